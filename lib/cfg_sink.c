/* The cfg module's sinks: section: where alerts go, with URLs, routing keys and HMAC
 * secrets written inline or read from files, and never quoted in a message. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg_int.h"
#include "xmalloc.h"

#define CFG_MAX_SECRET 65536

/* Returns where a *_file secret is: as is when absolute, else under $CREDENTIALS_DIRECTORY
 * when set, else under the main file's directory. */
static char *
cfg_secret_path(const struct ctx *x, const char *path)
{
	const char *creds = getenv("CREDENTIALS_DIRECTORY");

	if (path[0] != '/' && creds != NULL && creds[0] != '\0')
		return cfg_join(creds, path);
	return cfg_resolve(x, path);
}

/* Reads a secret from the file named by n, without trailing whitespace; NULL after
 * reporting the file (never its contents), or without opening it under CFG_NO_SECRETS. */
static char *
cfg_read_secret(struct ctx *x, const struct node *n, const char *key)
{
	const char *s = cfg_scalar(x, n, key);
	char *path, *buf, *secret = NULL;
	size_t len;
	FILE *f;

	if (s == NULL)
		return NULL;
	if (s[0] == '\0') {
		cfg_err(x, n, "%s is empty", key);
		return NULL;
	}
	if (x->flags & CFG_NO_SECRETS)
		return NULL;
	path = cfg_secret_path(x, s);
	if ((f = fopen(path, "r")) == NULL) {
		cfg_err(x, n, "cannot read %s \"%s\": %s", key, path, strerror(errno));
		free(path);
		return NULL;
	}
	buf = xmalloc(CFG_MAX_SECRET + 1);
	len = fread(buf, 1, CFG_MAX_SECRET + 1, f);
	if (ferror(f))
		cfg_err(x, n, "cannot read %s \"%s\": %s", key, path, strerror(errno));
	else if (len > CFG_MAX_SECRET)
		cfg_err(x, n, "%s \"%s\" is larger than %d bytes", key, path, CFG_MAX_SECRET);
	else if (memchr(buf, '\0', len) != NULL)
		cfg_err(x, n, "%s \"%s\" contains a NUL byte", key, path);
	else {
		while (len > 0 && strchr(" \t\r\n\v\f", buf[len - 1]) != NULL)
			len--;
		if (len == 0)
			cfg_err(x, n, "%s \"%s\" is empty", key, path);
		else
			secret = xstrndup(buf, len);
	}
	explicit_bzero(buf, CFG_MAX_SECRET + 1);
	free(buf);
	fclose(f);
	free(path);
	return secret;
}

/* Reads a secret written inline (val) or in a file (file); NULL when neither is given or
 * after reporting an error that never quotes the secret. */
static char *
cfg_secret(struct ctx *x, const char *pre, const char *key, const struct node *val,
	   const char *file_key, const struct node *file)
{
	const char *s;

	if (file != NULL)
		return cfg_read_secret(x, file, file_key);
	if (val == NULL || (s = cfg_scalar(x, val, key)) == NULL)
		return NULL;
	if (s[0] == '\0') {
		cfg_err(x, val, "%s: %s is empty", pre, key);
		return NULL;
	}
	return xstrdup(s);
}

/* Wipes and forgets a secret read inline, for a load with CFG_NO_SECRETS. */
static void
cfg_forget_secret(char **s)
{
	if (*s == NULL)
		return;
	explicit_bzero(*s, strlen(*s));
	free(*s);
	*s = NULL;
}

/* Checks a sink URL without ever quoting it: https://, or http:// when allowed. */
static void
cfg_check_url(struct ctx *x, const struct node *at, const char *pre, const char *from,
	      const struct cfg_sink *s)
{
	const char *u = s->url;
	size_t skip = 0;

	if (strncasecmp(u, "https://", 8) == 0)
		skip = 8;
	else if (s->allow_http && strncasecmp(u, "http://", 7) == 0)
		skip = 7;
	if (skip == 0) {
		if (s->allow_http)
			cfg_err(x, at, "%s: url%s must be https:// or http://", pre, from);
		else
			cfg_err(x, at,
				"%s: url%s must be https:// (set allow_http: true for plain http)",
				pre, from);
		return;
	}
	if (u[skip] == '\0' || u[skip] == '/') {
		cfg_err(x, at, "%s: url%s has no host", pre, from);
		return;
	}
	for (; *u != '\0'; u++) {
		if ((unsigned char)*u <= ' ' || *u == 0x7f) {
			cfg_err(x, at, "%s: url%s contains spaces or control characters", pre,
				from);
			return;
		}
	}
}

/* Reads one entry of sinks:. */
static void
cfg_sink(struct ctx *x, const struct node *n, size_t idx)
{
	static const char *const keys[] = {
	    "name",   "type",	     "url",	     "url_file", "routing_key", "routing_key_file",
	    "secret", "secret_file", "min_severity", "match",	 "format",	"allow_http",
	    NULL};
	enum {
		K_NAME,
		K_TYPE,
		K_URL,
		K_URL_FILE,
		K_ROUTING_KEY,
		K_ROUTING_KEY_FILE,
		K_SECRET,
		K_SECRET_FILE,
		K_MIN_SEVERITY,
		K_MATCH,
		K_FORMAT,
		K_ALLOW_HTTP,
	};
	struct cfg *c = x->c;
	struct cfg_sink s;
	struct fields f;
	const struct node *url_at;
	const char *v;
	char *pre;
	bool typed = false;

	if (!cfg_fields(x, n, "sink", "in a sink", keys, &f))
		return;
	memset(&s, 0, sizeof(s));
	s.min_severity = SEV_WARNING;
	s.format = CFG_FORMAT_ALERTMANAGER;
	s.loc = cfg_loc_of(x, n);
	if (f.val[K_NAME] != NULL && (v = cfg_scalar(x, f.val[K_NAME], "name")) != NULL &&
	    v[0] != '\0') {
		s.name = cfg_arena_strdup(x->mem, v);
		pre = xasprintf("sinks[%zu] \"%s\"", idx, v);
		for (size_t i = 0; i < c->nsinks; i++) {
			const struct cfg_loc *l = &c->sinks[i].loc;

			if (c->sinks[i].name != NULL && strcmp(c->sinks[i].name, v) == 0)
				cfg_err(x, n, "duplicate sink \"%s\" (first defined at %s:%u:%u)",
					v, l->file, l->line, l->col);
		}
	} else {
		pre = xasprintf("sinks[%zu]", idx);
		cfg_err(x, n, "%s: sink without a name", pre);
	}

	if (f.val[K_TYPE] == NULL) {
		cfg_err(x, n, "%s: missing type (slack, pagerduty or webhook)", pre);
	} else if ((v = cfg_scalar(x, f.val[K_TYPE], "type")) != NULL) {
		typed = true;
		if (strcmp(v, "slack") == 0)
			s.type = CFG_SINK_SLACK;
		else if (strcmp(v, "pagerduty") == 0)
			s.type = CFG_SINK_PAGERDUTY;
		else if (strcmp(v, "webhook") == 0)
			s.type = CFG_SINK_WEBHOOK;
		else {
			cfg_err(x, f.val[K_TYPE],
				"%s: type must be slack, pagerduty or webhook, not \"%s\"", pre, v);
			typed = false;
		}
	}
	if (typed) {
		static const struct {
			int key;
			enum cfg_sink_type only;
		} only[] = {
		    {K_ROUTING_KEY, CFG_SINK_PAGERDUTY}, {K_ROUTING_KEY_FILE, CFG_SINK_PAGERDUTY},
		    {K_SECRET, CFG_SINK_WEBHOOK},	 {K_SECRET_FILE, CFG_SINK_WEBHOOK},
		    {K_FORMAT, CFG_SINK_WEBHOOK},
		};

		for (size_t i = 0; i < sizeof(only) / sizeof(only[0]); i++) {
			int k = only[i].key;

			if (f.key[k] == NULL || s.type == only[i].only)
				continue;
			cfg_err(x, f.key[k], "%s: %s is only for %s sinks", pre, keys[k],
				only[i].only == CFG_SINK_PAGERDUTY ? "pagerduty" : "webhook");
			f.key[k] = f.val[k] = NULL;
		}
		if (s.type != CFG_SINK_PAGERDUTY && f.val[K_URL] == NULL &&
		    f.val[K_URL_FILE] == NULL)
			cfg_err(x, n, "%s: needs url or url_file", pre);
		if (s.type == CFG_SINK_PAGERDUTY && f.val[K_ROUTING_KEY] == NULL &&
		    f.val[K_ROUTING_KEY_FILE] == NULL)
			cfg_err(x, n, "%s: needs routing_key or routing_key_file", pre);
	}
	if (f.val[K_URL] != NULL && f.val[K_URL_FILE] != NULL) {
		cfg_err(x, f.key[K_URL_FILE], "%s: set only one of url and url_file", pre);
		f.val[K_URL_FILE] = NULL;
	}
	if (f.val[K_ROUTING_KEY] != NULL && f.val[K_ROUTING_KEY_FILE] != NULL) {
		cfg_err(x, f.key[K_ROUTING_KEY_FILE],
			"%s: set only one of routing_key and routing_key_file", pre);
		f.val[K_ROUTING_KEY_FILE] = NULL;
	}
	if (f.val[K_SECRET] != NULL && f.val[K_SECRET_FILE] != NULL) {
		cfg_err(x, f.key[K_SECRET_FILE], "%s: set only one of secret and secret_file", pre);
		f.val[K_SECRET_FILE] = NULL;
	}

	if (f.val[K_ALLOW_HTTP] != NULL)
		cfg_bool(x, f.val[K_ALLOW_HTTP], "allow_http", &s.allow_http);
	s.url = cfg_secret(x, pre, "url", f.val[K_URL], "url_file", f.val[K_URL_FILE]);
	url_at = f.val[K_URL_FILE] != NULL ? f.val[K_URL_FILE] : f.val[K_URL];
	if (s.url != NULL)
		cfg_check_url(x, url_at, pre, f.val[K_URL_FILE] != NULL ? " in url_file" : "", &s);
	s.routing_key = cfg_secret(x, pre, "routing_key", f.val[K_ROUTING_KEY], "routing_key_file",
				   f.val[K_ROUTING_KEY_FILE]);
	s.secret =
	    cfg_secret(x, pre, "secret", f.val[K_SECRET], "secret_file", f.val[K_SECRET_FILE]);
	if (f.val[K_MIN_SEVERITY] != NULL &&
	    (v = cfg_scalar(x, f.val[K_MIN_SEVERITY], "min_severity")) != NULL &&
	    !severity_parse(v, &s.min_severity))
		cfg_err(x, f.val[K_MIN_SEVERITY],
			"%s: min_severity must be info, warning or critical, not \"%s\"", pre, v);
	if (f.val[K_MATCH] != NULL)
		cfg_labels(x, f.val[K_MATCH], "match", &s.match, &s.nmatch);
	if (f.val[K_FORMAT] != NULL && (v = cfg_scalar(x, f.val[K_FORMAT], "format")) != NULL) {
		if (strcmp(v, "alertmanager") == 0)
			s.format = CFG_FORMAT_ALERTMANAGER;
		else if (strcmp(v, "native") == 0)
			s.format = CFG_FORMAT_NATIVE;
		else
			cfg_err(x, f.val[K_FORMAT],
				"%s: format must be alertmanager or native, not \"%s\"", pre, v);
	}
	free(pre);
	if (x->flags & CFG_NO_SECRETS) {
		cfg_forget_secret(&s.url);
		cfg_forget_secret(&s.routing_key);
		cfg_forget_secret(&s.secret);
	}
	c->sinks = xreallocarray(c->sinks, c->nsinks + 1, sizeof(*c->sinks));
	c->sinks[c->nsinks++] = s;
}

/* Reads sinks:, a list of sinks. */
void
cfg_sinks(struct ctx *x, const struct node *n)
{
	size_t i = 0;

	if (!cfg_is_list(x, n, "sinks"))
		return;
	for (const struct node *it = n->items; it != NULL; it = it->next)
		cfg_sink(x, it, i++);
}
