/*
 * Loading the configuration: defaults in one place, the top level of the main file and its
 * small sections (resolver, schedule, state, http, alerting, log), then the includes and
 * the checks across files. The other sections are in cfg_domain.c and cfg_sink.c; see
 * cfg_int.h for the map of the module.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg.h"
#include "cfg_int.h"
#include "dns.h"
#include "prov.h"
#include "xmalloc.h"

/* Sets every default; the only place defaults live. */
static void
cfg_defaults(struct cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->resolver.timeout_ms = 2000;
	c->resolver.tries = 3;
	c->resolver.max_inflight = 1000;
	c->interval_s = 300;
	c->state = xstrdup("/var/lib/mxwatch/state.db");
	c->http_listen = xstrdup("127.0.0.1:9749");
	c->alerting.confirm_after = 2;
	c->alerting.resolve_after = 2;
	c->alerting.repeat_after_s = 4 * 3600;
	c->alerting.retry_backoff_s = 10;
}

/* Checks a DNS server address ("192.0.2.1:53", "[2001:db8::1]:53"); keeps it as written. */
static char *
cfg_conv_server(struct ctx *x, const struct node *n)
{
	unsigned char addr[16];
	uint16_t port;
	int family;
	char *err = NULL;

	if (dns_parse_server(n->value, &family, addr, &port, &err) == -1) {
		cfg_err(x, n, "%s", err);
		free(err);
		return NULL;
	}
	return cfg_arena_strdup(x->mem, n->value);
}

/* Reads resolver:. */
static void
cfg_resolver(struct ctx *x, const struct node *n)
{
	static const char *const keys[] = {"servers", "timeout", "tries", "max_inflight", NULL};
	enum { K_SERVERS, K_TIMEOUT, K_TRIES, K_MAX_INFLIGHT };
	struct cfg *c = x->c;
	struct fields f;
	unsigned long long ms;

	if (!cfg_fields(x, n, "resolver", "in resolver", keys, &f))
		return;
	if (f.val[K_SERVERS] != NULL)
		cfg_strlist(x, f.val[K_SERVERS], "servers", cfg_conv_server, &c->resolver.servers,
			    &c->resolver.nservers);
	if (f.val[K_TIMEOUT] != NULL &&
	    cfg_duration(x, f.val[K_TIMEOUT], "timeout", 1, 60 * MS_SECOND, "1ms to 60s", &ms))
		c->resolver.timeout_ms = (unsigned)ms;
	if (f.val[K_TRIES] != NULL)
		cfg_uint(x, f.val[K_TRIES], "tries", 1, 20, &c->resolver.tries);
	if (f.val[K_MAX_INFLIGHT] != NULL)
		cfg_uint(x, f.val[K_MAX_INFLIGHT], "max_inflight", 1, 100000,
			 &c->resolver.max_inflight);
}

/* Reads http:; "off" turns the endpoint off. */
static void
cfg_http(struct ctx *x, const struct node *n)
{
	static const char *const keys[] = {"listen", NULL};
	struct fields f;
	const char *s;
	unsigned char addr[16];
	uint16_t port;
	int family;
	char *err = NULL;
	bool has_port;

	if (!cfg_fields(x, n, "http", "in http", keys, &f) || f.val[0] == NULL ||
	    (s = cfg_scalar(x, f.val[0], "listen")) == NULL)
		return;
	free(x->c->http_listen);
	x->c->http_listen = NULL;
	if (strcmp(s, "off") == 0)
		return;
	if (s[0] == '[')
		has_port = strstr(s, "]:") != NULL;
	else
		has_port = strchr(s, ':') != NULL && strchr(s, ':') == strrchr(s, ':');
	if (!has_port || dns_parse_server(s, &family, addr, &port, &err) == -1) {
		cfg_err(x, f.val[0],
			"bad listen address \"%s\": expected an IP address and port, as "
			"127.0.0.1:9749 or [::1]:9749, or off",
			s);
		free(err);
		return;
	}
	x->c->http_listen = xstrdup(s);
}

/* Reads alerting:. */
static void
cfg_alerting(struct ctx *x, const struct node *n)
{
	static const char *const keys[] = {"confirm_after", "resolve_after", "repeat_after",
					   "retry_backoff", NULL};
	enum { K_CONFIRM, K_RESOLVE, K_REPEAT, K_BACKOFF };
	struct cfg *c = x->c;
	struct fields f;
	const char *s;

	if (!cfg_fields(x, n, "alerting", "in alerting", keys, &f))
		return;
	if (f.val[K_CONFIRM] != NULL)
		cfg_uint(x, f.val[K_CONFIRM], "confirm_after", 1, 100, &c->alerting.confirm_after);
	if (f.val[K_RESOLVE] != NULL)
		cfg_uint(x, f.val[K_RESOLVE], "resolve_after", 1, 100, &c->alerting.resolve_after);
	if (f.val[K_REPEAT] != NULL &&
	    (s = cfg_scalar(x, f.val[K_REPEAT], "repeat_after")) != NULL) {
		if (strcmp(s, "0") == 0 || strcmp(s, "off") == 0)
			c->alerting.repeat_after_s = 0;
		else
			cfg_duration_s(x, f.val[K_REPEAT], "repeat_after", MS_MINUTE, 30 * MS_DAY,
				       "1m to 30d, or 0 or off for never",
				       &c->alerting.repeat_after_s);
	}
	if (f.val[K_BACKOFF] != NULL)
		cfg_duration_s(x, f.val[K_BACKOFF], "retry_backoff", MS_SECOND, 3600 * MS_SECOND,
			       "1s to 1h", &c->alerting.retry_backoff_s);
}

/* Reads log:. */
static void
cfg_log(struct ctx *x, const struct node *n)
{
	static const char *const keys[] = {"level", NULL};
	static const char *const names[] = {"error", "warning", "info", "debug"};
	struct fields f;
	const char *s;

	if (!cfg_fields(x, n, "log", "in log", keys, &f) || f.val[0] == NULL ||
	    (s = cfg_scalar(x, f.val[0], "level")) == NULL)
		return;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i]) == 0) {
			free(x->c->log_level);
			x->c->log_level = xstrdup(names[i]);
			return;
		}
	}
	cfg_err(x, f.val[0], "level must be error, warning, info or debug, not \"%s\"", s);
}

/* Checks a user CDN range: "CIDR" or "CIDR NAME" (the name is the rest of the line). */
static char *
cfg_conv_cdn_range(struct ctx *x, const struct node *n)
{
	const char *s = n->value, *sp = strpbrk(s, " \t");
	char *cidr = xstrndup(s, sp ? (size_t)(sp - s) : strlen(s));
	bool ok = prov_cidr_ok(cidr);

	free(cidr);
	if (!ok) {
		cfg_err(x, n,
			"bad CDN range \"%s\": expected an address with a prefix length and an "
			"optional name, as \"198.51.100.0/24 Our WAF\" (no bits set past the "
			"prefix)",
			s);
		return NULL;
	}
	return cfg_arena_strdup(x->mem, s);
}

/* Reads providers:. */
static void
cfg_providers(struct ctx *x, const struct node *n)
{
	static const char *const keys[] = {"data_dir", "cdn_ranges", NULL};
	enum { K_DIR, K_RANGES };
	struct cfg *c = x->c;
	struct fields f;
	const char *s;

	if (!cfg_fields(x, n, "providers", "in providers", keys, &f))
		return;
	if (f.val[K_DIR] != NULL && (s = cfg_scalar(x, f.val[K_DIR], "data_dir")) != NULL) {
		if (s[0] == '\0') {
			cfg_err(x, f.val[K_DIR], "data_dir must not be empty");
		} else {
			free(c->providers.data_dir);
			c->providers.data_dir = cfg_resolve(x, s);
		}
	}
	if (f.val[K_RANGES] != NULL)
		cfg_strlist(x, f.val[K_RANGES], "cdn_ranges", cfg_conv_cdn_range,
			    &c->providers.cdn_ranges, &c->providers.ncdn_ranges);
}

/* Reads the top of the main file. */
void
cfg_top(struct ctx *x, const struct node *n)
{
	static const char *const keys[] = {"resolver", "schedule", "state",	"http",
					   "alerting", "log",	   "providers", "sinks",
					   "include",  "domains",  NULL};
	enum {
		K_RESOLVER,
		K_SCHEDULE,
		K_STATE,
		K_HTTP,
		K_ALERTING,
		K_LOG,
		K_PROVIDERS,
		K_SINKS,
		K_INCLUDE,
		K_DOMAINS
	};
	static const char *const schedule_keys[] = {"interval", NULL};
	struct cfg *c = x->c;
	struct fields f, sf;
	const char *s;

	if (!cfg_fields(x, n, "the top level", "at the top level", keys, &f))
		return;
	if (f.val[K_RESOLVER] != NULL)
		cfg_resolver(x, f.val[K_RESOLVER]);
	if (f.val[K_SCHEDULE] != NULL &&
	    cfg_fields(x, f.val[K_SCHEDULE], "schedule", "in schedule", schedule_keys, &sf) &&
	    sf.val[0] != NULL)
		cfg_duration_s(x, sf.val[0], "interval", MS_SECOND, 7 * MS_DAY, "1s to 7d",
			       &c->interval_s);
	if (f.val[K_STATE] != NULL && (s = cfg_scalar(x, f.val[K_STATE], "state")) != NULL) {
		if (s[0] == '\0') {
			cfg_err(x, f.val[K_STATE], "state must not be empty");
		} else {
			free(c->state);
			c->state = cfg_resolve(x, s);
		}
	}
	if (f.val[K_HTTP] != NULL)
		cfg_http(x, f.val[K_HTTP]);
	if (f.val[K_ALERTING] != NULL)
		cfg_alerting(x, f.val[K_ALERTING]);
	if (f.val[K_LOG] != NULL)
		cfg_log(x, f.val[K_LOG]);
	if (f.val[K_PROVIDERS] != NULL)
		cfg_providers(x, f.val[K_PROVIDERS]);
	if (f.val[K_SINKS] != NULL)
		cfg_sinks(x, f.val[K_SINKS]);
	if (f.val[K_INCLUDE] != NULL)
		cfg_include(x, f.val[K_INCLUDE]);
	if (f.val[K_DOMAINS] != NULL)
		cfg_domains(x, f.val[K_DOMAINS]);
}

/* Reads the top of an included file: domains: only. */
void
cfg_top_included(struct ctx *x, const struct node *n)
{
	static const char *const keys[] = {"domains", NULL};
	struct fields f;

	if (cfg_fields(x, n, "the top level", NULL, keys, &f) && f.val[0] != NULL)
		cfg_domains(x, f.val[0]);
}

/* Reads and validates a configuration file and its includes, secrets included. */
int
cfg_load(const char *path, struct cfg **out, char **errstr)
{
	return cfg_load_flags(path, 0, out, errstr);
}

/* Reads and validates a configuration file and its includes, leaving out what flags say. */
int
cfg_load_flags(const char *path, unsigned flags, struct cfg **out, char **errstr)
{
	struct cfg_store *st = xmalloc(sizeof(*st));
	struct ctx x;

	cfg_defaults(&st->c);
	st->mem = cfg_arena_new();
	memset(&x, 0, sizeof(x));
	x.c = &st->c;
	x.mem = st->mem;
	x.flags = flags;
	x.dir = cfg_dir_of(path);
	cfg_read_file(&x, path, NULL);
	cfg_read_includes(&x);
	cfg_domains_fit(&x);
	cfg_check_duplicates(&x);
	free(x.dir);
	if (x.nerrs == 0) {
		*out = x.c;
		return 0;
	}
	*errstr = cfg_err_join(&x);
	cfg_free(x.c);
	*out = NULL;
	return -1;
}

/* Frees a list of strings. */
static void
cfg_free_strs(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Wipes and frees a secret. */
static void
cfg_free_secret(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

/* Frees a configuration and the arena with its domains, lists and labels. */
void
cfg_free(struct cfg *c)
{
	struct cfg_store *st = (struct cfg_store *)c;

	if (c == NULL)
		return;
	cfg_free_strs(c->files, c->nfiles);
	free(c->log_level);
	free(c->providers.data_dir);
	free(c->state);
	free(c->http_listen);
	for (size_t i = 0; i < c->nsinks; i++) {
		struct cfg_sink *s = &c->sinks[i];

		cfg_free_secret(s->url);
		cfg_free_secret(s->routing_key);
		cfg_free_secret(s->secret);
	}
	free(c->sinks);
	free(c->domains);
	cfg_arena_free(st->mem);
	free(st);
}

/* Finds a domain by name, in any case and with or without the trailing dot. */
const struct cfg_domain *
cfg_find_domain(const struct cfg *c, const char *name)
{
	size_t len = strlen(name);

	if (len > 0 && name[len - 1] == '.')
		len--;
	for (size_t i = 0; i < c->ndomains; i++) {
		const char *d = c->domains[i].name;

		if (d != NULL && strlen(d) == len && strncasecmp(d, name, len) == 0)
			return &c->domains[i];
	}
	return NULL;
}
