/* The configuration loader: a full fixture, defaults, secrets, includes and exact errors. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg.h"
#include "testsecret.h"
#include "xmalloc.h"

static char *srcdir;  /* absolute source root */
static char *tmpbase; /* the run's temporary directory, removed by main() even after failures */
static char *tmp;     /* the test's temporary directory in it, also its working directory */
static int oldcwd;

/* Returns a path under tests/cfg of the source tree; the caller frees it. */
static char *
fixture(const char *name)
{
	return xasprintf("%s/tests/cfg/%s", srcdir, name);
}

/* Writes a file under the temporary directory, making its directory first. */
static void
write_file(const char *name, const char *text)
{
	FILE *f;

	for (const char *slash = strchr(name, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
		char *dir = xstrndup(name, (size_t)(slash - name));

		ck_assert_msg(mkdir(dir, 0700) == 0 || errno == EEXIST, "mkdir %s", dir);
		free(dir);
	}
	f = fopen(name, "w");
	ck_assert_msg(f != NULL, "cannot write %s", name);
	fputs(text, f);
	fclose(f);
}

/* Returns s with every "{T}" replaced by the temporary directory; the caller frees it. */
static char *
expand(const char *s)
{
	char *out = xstrdup(""), *next;
	const char *at;

	while ((at = strstr(s, "{T}")) != NULL) {
		next = xasprintf("%s%.*s%s", out, (int)(at - s), s, tmp);
		free(out);
		out = next;
		s = at + 3;
	}
	next = xasprintf("%s%s", out, s);
	free(out);
	return next;
}

/* Makes a temporary directory and works in it. */
static void
tmp_setup(void)
{
	char buf[PATH_MAX], *tmpl = xasprintf("%s/t.XXXXXX", tmpbase);

	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	oldcwd = open(".", O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(oldcwd, 0);
	ck_assert_int_eq(chdir(tmpl), 0);
	ck_assert_ptr_nonnull(getcwd(buf, sizeof(buf)));
	tmp = xstrdup(buf);
	free(tmpl);
}

/* Removes one entry of the temporary directory. */
static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* Leaves and removes the temporary directory. */
static void
tmp_teardown(void)
{
	ck_assert_int_eq(fchdir(oldcwd), 0);
	close(oldcwd);
	ck_assert_int_eq(nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
	free(tmp);
	tmp = NULL;
	unsetenv("CREDENTIALS_DIRECTORY");
}

/* Loads path, which must be valid. */
static struct cfg *
load_ok(const char *path)
{
	struct cfg *c = NULL;
	char *err = NULL;

	if (cfg_load(path, &c, &err) != 0)
		ck_abort_msg("cfg_load %s: %s", path, err);
	ck_assert_ptr_nonnull(c);
	return c;
}

/* Loads path, which must be rejected; returns the errors (caller frees). */
static char *
load_bad(const char *path)
{
	struct cfg *c = (struct cfg *)1;
	char *err = NULL;

	ck_assert_int_eq(cfg_load(path, &c, &err), -1);
	ck_assert_ptr_null(c);
	ck_assert_ptr_nonnull(err);
	return err;
}

START_TEST(test_full_config_sets_every_field)
{
	char *path = fixture("full.yaml"), *state = fixture("state/mxwatch.db");
	char *inc1 = fixture("domains.d/10-acme.yaml"), *inc2 = fixture("domains.d/20-globex.yaml");
	struct cfg *c = load_ok(path);
	const struct cfg_sink *s;
	const struct cfg_domain *d;

	ck_assert_uint_eq(c->nfiles, 3);
	ck_assert_str_eq(c->files[0], path);
	ck_assert_str_eq(c->files[1], inc1);
	ck_assert_str_eq(c->files[2], inc2);
	ck_assert_str_eq(c->log_level, "debug");

	ck_assert_uint_eq(c->resolver.nservers, 4);
	ck_assert_str_eq(c->resolver.servers[0], "192.0.2.1");
	ck_assert_str_eq(c->resolver.servers[1], "192.0.2.2:5353");
	ck_assert_str_eq(c->resolver.servers[2], "[2001:db8::53]:53");
	ck_assert_str_eq(c->resolver.servers[3], "2001:db8::54");
	ck_assert_uint_eq(c->resolver.timeout_ms, 1500);
	{
		char *data = fixture("data");

		ck_assert_str_eq(c->providers.data_dir, data);
		free(data);
	}
	ck_assert_uint_eq(c->providers.ncdn_ranges, 3);
	ck_assert_str_eq(c->providers.cdn_ranges[0], "198.51.100.0/24 Acme WAF");
	ck_assert_str_eq(c->providers.cdn_ranges[1], "2001:db8:cd::/48");
	ck_assert_str_eq(c->providers.cdn_ranges[2], "203.0.113.7");
	ck_assert_uint_eq(c->resolver.tries, 5);
	ck_assert_uint_eq(c->resolver.max_inflight, 250);
	ck_assert_uint_eq(c->interval_s, 5400);
	ck_assert_str_eq(c->state, state);
	ck_assert_str_eq(c->http_listen, "[::1]:9750");
	ck_assert_uint_eq(c->alerting.confirm_after, 3);
	ck_assert_uint_eq(c->alerting.resolve_after, 4);
	ck_assert_uint_eq(c->alerting.repeat_after_s, 86400);
	ck_assert_uint_eq(c->alerting.retry_backoff_s, 30);

	ck_assert_uint_eq(c->nsinks, 5);
	s = &c->sinks[0];
	ck_assert_str_eq(s->name, "oncall");
	ck_assert_int_eq(s->type, CFG_SINK_PAGERDUTY);
	ck_assert_ptr_null(s->url);
	ck_assert_str_eq(s->routing_key, "0123456789abcdef0123456789abcdef");
	ck_assert_ptr_null(s->secret);
	ck_assert_int_eq(s->min_severity, SEV_CRITICAL);
	ck_assert_uint_eq(s->nmatch, 0);
	ck_assert_int_eq(s->format, CFG_FORMAT_ALERTMANAGER);
	ck_assert(!s->allow_http);
	ck_assert_ptr_eq(s->loc.file, c->files[0]);
	ck_assert_uint_eq(s->loc.line, 20);
	ck_assert_uint_eq(s->loc.col, 5);
	s = &c->sinks[1];
	ck_assert_str_eq(s->name, "mail-ops");
	ck_assert_int_eq(s->type, CFG_SINK_SLACK);
	ck_assert_str_eq(s->url, "https://slack-webhook.invalid/services/test-only-secret");
	ck_assert_ptr_null(s->routing_key);
	ck_assert_ptr_null(s->secret);
	ck_assert_int_eq(s->min_severity, SEV_WARNING);
	ck_assert_uint_eq(s->nmatch, 2);
	ck_assert_str_eq(s->match[0].key, "customer");
	ck_assert_str_eq(s->match[0].value, "acme");
	ck_assert_str_eq(s->match[1].key, "tier");
	ck_assert_str_eq(s->match[1].value, "gold");
	ck_assert(!s->allow_http);
	s = &c->sinks[2];
	ck_assert_str_eq(s->name, "audit");
	ck_assert_int_eq(s->type, CFG_SINK_WEBHOOK);
	ck_assert_str_eq(s->url, "http://127.0.0.1:8080/hook");
	ck_assert_str_eq(s->secret, "webhook-hmac-key");
	ck_assert_int_eq(s->format, CFG_FORMAT_NATIVE);
	ck_assert_int_eq(s->min_severity, SEV_INFO);
	ck_assert(s->allow_http);
	s = &c->sinks[3];
	ck_assert_str_eq(s->name, "pd-proxy");
	ck_assert_int_eq(s->type, CFG_SINK_PAGERDUTY);
	ck_assert_str_eq(s->url, "https://pd-proxy.example.net/v2/enqueue");
	ck_assert_str_eq(s->routing_key, "R0UT1NGKEY");
	s = &c->sinks[4];
	ck_assert_str_eq(s->name, "signed");
	ck_assert_int_eq(s->type, CFG_SINK_WEBHOOK);
	ck_assert_str_eq(s->url, "https://hooks.example.net/mxwatch");
	ck_assert_str_eq(s->secret, "inline-secret");
	ck_assert_int_eq(s->format, CFG_FORMAT_ALERTMANAGER);
	ck_assert(!s->allow_http);

	/* the main file's domains, then 10-acme.yaml's, then 20-globex.yaml's */
	ck_assert_uint_eq(c->ndomains, 5);
	d = &c->domains[0];
	ck_assert_str_eq(d->name, "example.com");
	ck_assert_uint_eq(d->nlabels, 2);
	ck_assert_str_eq(d->labels[0].key, "customer");
	ck_assert_str_eq(d->labels[0].value, "acme");
	ck_assert_str_eq(d->labels[1].key, "plan");
	ck_assert_str_eq(d->labels[1].value, "NO");
	ck_assert_uint_eq(d->nmail_names, 2);
	ck_assert_str_eq(d->mail_names[0], "example.com");
	ck_assert_str_eq(d->mail_names[1], "mail.example.com");
	ck_assert(d->has_ses);
	ck_assert_str_eq(d->ses.region, "us-east-1");
	ck_assert_str_eq(d->ses.mail_from, "bounce.example.com");
	ck_assert_uint_eq(d->ses.ndkim_tokens, 2);
	ck_assert_str_eq(d->ses.dkim_tokens[0], "abcdefghijklmnopqrstuvwxyz234567");
	ck_assert_str_eq(d->ses.dkim_tokens[1], "234567abcdefghijklmnopqrstuvwxyz");
	ck_assert_uint_eq(d->nsending_ips, 2);
	ck_assert_str_eq(d->sending_ips[0], "203.0.113.10");
	ck_assert_str_eq(d->sending_ips[1], "2001:db8::25");
	ck_assert_uint_eq(d->ndkim_selectors, 2);
	ck_assert_str_eq(d->dkim_selectors[0], "s1");
	ck_assert_str_eq(d->dkim_selectors[1], "google");
	ck_assert_uint_eq(d->interval_s, 600);
	ck_assert_ptr_eq(d->loc.file, c->files[0]);
	ck_assert_uint_eq(d->loc.line, 47);
	ck_assert_uint_eq(d->loc.col, 5);
	d = &c->domains[1];
	ck_assert_str_eq(d->name, "example.net");
	ck_assert_uint_eq(d->nlabels, 0);
	ck_assert_uint_eq(d->nmail_names, 1);
	ck_assert_str_eq(d->mail_names[0], "example.net");
	ck_assert(!d->has_ses);
	ck_assert_ptr_null(d->ses.region);
	ck_assert_ptr_null(d->ses.mail_from);
	ck_assert_uint_eq(d->ses.ndkim_tokens, 0);
	ck_assert_uint_eq(d->nsending_ips, 0);
	ck_assert_uint_eq(d->ndkim_selectors, 0);
	ck_assert_uint_eq(d->interval_s, 0);
	d = &c->domains[2];
	ck_assert_str_eq(d->name, "acme.example");
	ck_assert(d->has_ses);
	ck_assert_str_eq(d->ses.region, "us-gov-west-1");
	ck_assert_ptr_null(d->ses.mail_from);
	ck_assert_uint_eq(d->ses.ndkim_tokens, 0);
	ck_assert_ptr_eq(d->loc.file, c->files[1]);
	ck_assert_uint_eq(d->loc.line, 3);
	ck_assert_uint_eq(d->loc.col, 5);
	ck_assert_str_eq(c->domains[3].name, "shop.acme.example");
	ck_assert_str_eq(c->domains[3].mail_names[0], "shop.acme.example");
	d = &c->domains[4];
	ck_assert_str_eq(d->name, "globex.example");
	ck_assert_uint_eq(d->nlabels, 1);
	ck_assert_str_eq(d->labels[0].value, "globex");
	ck_assert_ptr_eq(d->loc.file, c->files[2]);

	cfg_free(c);
	free(path);
	free(state);
	free(inc1);
	free(inc2);
}
END_TEST

START_TEST(test_empty_file_is_all_defaults)
{
	char *path = fixture("empty.yaml");
	struct cfg *c = load_ok(path);

	ck_assert_uint_eq(c->nfiles, 1);
	ck_assert_str_eq(c->files[0], path);
	ck_assert_ptr_null(c->log_level);
	ck_assert_uint_eq(c->resolver.nservers, 0);
	ck_assert_uint_eq(c->resolver.timeout_ms, 2000);
	ck_assert_uint_eq(c->resolver.tries, 3);
	ck_assert_uint_eq(c->resolver.max_inflight, 1000);
	ck_assert_uint_eq(c->interval_s, 300);
	ck_assert_str_eq(c->state, "/var/lib/mxwatch/state.db");
	ck_assert_str_eq(c->http_listen, "127.0.0.1:9749");
	ck_assert_uint_eq(c->alerting.confirm_after, 2);
	ck_assert_uint_eq(c->alerting.resolve_after, 2);
	ck_assert_uint_eq(c->alerting.repeat_after_s, 14400);
	ck_assert_uint_eq(c->alerting.retry_backoff_s, 10);
	ck_assert_uint_eq(c->nsinks, 0);
	ck_assert_uint_eq(c->ndomains, 0);
	ck_assert_ptr_null(c->providers.data_dir);
	ck_assert_uint_eq(c->providers.ncdn_ranges, 0);
	cfg_free(c);
	free(path);
}
END_TEST

START_TEST(test_comments_only_and_empty_document_are_empty_configs)
{
	struct cfg *c;

	write_file("a.yaml", "# nothing here yet\n");
	c = load_ok("a.yaml");
	ck_assert_uint_eq(c->ndomains, 0);
	cfg_free(c);
	write_file("b.yaml", "---\n");
	c = load_ok("b.yaml");
	ck_assert_uint_eq(c->ndomains, 0);
	ck_assert_uint_eq(c->interval_s, 300);
	cfg_free(c);
}
END_TEST

START_TEST(test_off_values_and_relative_paths)
{
	struct cfg *c;
	char *want;

	write_file("m.yaml", "http: {listen: \"off\"}\n"
			     "alerting: {repeat_after: \"off\"}\n"
			     "state: db/state.db\n"
			     "sinks: []\n"
			     "include: [\"inc/*.yaml\", \"inc/a*.yaml\", \"*.yaml\"]\n");
	write_file("inc/a.yaml", "domains: [{name: a.example}]\n");
	write_file("inc/b.yaml", "");
	c = load_ok("m.yaml");
	ck_assert_ptr_null(c->http_listen);
	ck_assert_uint_eq(c->alerting.repeat_after_s, 0);
	want = xasprintf("%s/db/state.db", tmp);
	ck_assert_str_eq(c->state, want);
	free(want);
	/* inc/a.yaml is matched twice and read once; m.yaml itself is not read again */
	ck_assert_uint_eq(c->nfiles, 3);
	ck_assert_uint_eq(c->ndomains, 1);
	ck_assert_str_eq(c->domains[0].name, "a.example");
	cfg_free(c);

	write_file("z.yaml", "alerting: {repeat_after: 0}\ninclude: [nothing/*.yaml]\n");
	c = load_ok("z.yaml");
	ck_assert_uint_eq(c->alerting.repeat_after_s, 0);
	ck_assert_uint_eq(c->nfiles, 1);
	cfg_free(c);
}
END_TEST

START_TEST(test_relative_secret_file_is_read_from_credentials_directory)
{
	char *path = fixture("creds.yaml"), *creds = fixture("secrets");
	char *err, *want;
	struct cfg *c;

	ck_assert_int_eq(setenv("CREDENTIALS_DIRECTORY", creds, 1), 0);
	c = load_ok(path);
	ck_assert_uint_eq(c->nsinks, 1);
	ck_assert_str_eq(c->sinks[0].routing_key, "0123456789abcdef0123456789abcdef");
	cfg_free(c);

	/* without it, beside the config file, where there is no such file */
	ck_assert_int_eq(unsetenv("CREDENTIALS_DIRECTORY"), 0);
	err = load_bad(path);
	want = xasprintf("%s:5:23: cannot read routing_key_file \"%s/tests/cfg/pagerduty\": No "
			 "such file or directory",
			 path, srcdir);
	ck_assert_str_eq(err, want);
	free(want);
	free(err);
	free(path);
	free(creds);
}
END_TEST

/* A bad configuration: bad.yaml, perhaps another file, and every error it must give; "{T}"
 * stands for the temporary directory. */
struct bad {
	const char *yaml;
	const char *other, *other_text;
	const char *want;
};

static const struct bad bad[] = {
    /* keys */
    {"foo: 1\n", NULL, NULL, "bad.yaml:1:1: unknown key \"foo\" at the top level"},
    {"resolver:\n  retries: 3\n", NULL, NULL, "bad.yaml:2:3: unknown key \"retries\" in resolver"},
    {"domains:\n  - name: example.com\n    mx: [a]\n", NULL, NULL,
     "bad.yaml:3:5: unknown key \"mx\" in a domain"},
    {"domains:\n  - name: example.com\n    ses: {region: us-east-1, dkim: x}\n", NULL, NULL,
     "bad.yaml:3:30: unknown key \"dkim\" in ses"},
    {"sinks:\n  - {name: a, type: slack, url: \"https://x.example\", channel: ops}\n", NULL, NULL,
     "bad.yaml:2:54: unknown key \"channel\" in a sink"},
    {"resolver:\n  tries: 2\n  tries: 3\n", NULL, NULL,
     "bad.yaml:3:3: duplicate key \"tries\" in resolver"},
    {"providers: {cdn_ranges: [\"198.51.100.1/24 WAF\"]}\n", NULL, NULL,
     "bad.yaml:1:26: bad CDN range \"198.51.100.1/24 WAF\": expected an address with a prefix "
     "length and an optional name, as \"198.51.100.0/24 Our WAF\" (no bits set past the "
     "prefix)"},
    {"providers: {cdn_ranges: [\"2001:db8::/129\"]}\n", NULL, NULL,
     "bad.yaml:1:26: bad CDN range \"2001:db8::/129\": expected an address with a prefix "
     "length and an optional name, as \"198.51.100.0/24 Our WAF\" (no bits set past the "
     "prefix)"},
    {"providers: {data_dir: \"\"}\n", NULL, NULL, "bad.yaml:1:23: data_dir must not be empty"},
    {"providers: {cdn: []}\n", NULL, NULL, "bad.yaml:1:13: unknown key \"cdn\" in providers"},
    {"log: {level: trace}\n", NULL, NULL,
     "bad.yaml:1:14: level must be error, warning, info or debug, not \"trace\""},
    /* types */
    {"resolver:\n  tries: [3]\n", NULL, NULL, "bad.yaml:2:10: tries: expected a single value"},
    {"resolver:\n  servers: 192.0.2.1\n", NULL, NULL, "bad.yaml:2:12: servers: expected a list"},
    {"domains:\n  name: example.com\n", NULL, NULL, "bad.yaml:2:3: domains: expected a list"},
    {"resolver: fast\n", NULL, NULL, "bad.yaml:1:11: resolver: expected a mapping"},
    {"- a\n- b\n", NULL, NULL, "bad.yaml:1:1: the top level: expected a mapping"},
    {"domains:\n  - example.com\n", NULL, NULL,
     "bad.yaml:2:5: domain: expected a mapping such as {name: example.com}"},
    {"domains:\n  - name: example.com\n    labels: [a]\n", NULL, NULL,
     "bad.yaml:3:13: labels: expected a mapping"},
    /* durations */
    {"resolver:\n  timeout: 5\n", NULL, NULL,
     "bad.yaml:2:12: timeout \"5\": duration needs a unit: ms, s, m, h or d"},
    {"schedule:\n  interval: -5m\n", NULL, NULL,
     "bad.yaml:2:13: interval \"-5m\" is not a duration (use e.g. 250ms, 90s, 5m, 4h, 1d or "
     "1h30m)"},
    {"resolver:\n  timeout: 61s\n", NULL, NULL,
     "bad.yaml:2:12: timeout must be from 1ms to 60s, not \"61s\""},
    {"schedule:\n  interval: 8d\n", NULL, NULL,
     "bad.yaml:2:13: interval must be from 1s to 7d, not \"8d\""},
    {"schedule:\n  interval: 1500ms\n", NULL, NULL,
     "bad.yaml:2:13: interval must be whole seconds, not \"1500ms\""},
    {"alerting:\n  repeat_after: 30s\n", NULL, NULL,
     "bad.yaml:2:17: repeat_after must be from 1m to 30d, or 0 or off for never, not \"30s\""},
    /* numbers */
    {"resolver:\n  tries: 0\n", NULL, NULL,
     "bad.yaml:2:10: tries must be a whole number from 1 to 20, not \"0\""},
    {"resolver:\n  tries: 21\n", NULL, NULL,
     "bad.yaml:2:10: tries must be a whole number from 1 to 20, not \"21\""},
    {"resolver:\n  max_inflight: 0x10\n", NULL, NULL,
     "bad.yaml:2:17: max_inflight must be a whole number from 1 to 100000, not \"0x10\""},
    {"alerting:\n  confirm_after: 99999999999999999999\n", NULL, NULL,
     "bad.yaml:2:18: confirm_after must be a whole number from 1 to 100, not "
     "\"99999999999999999999\""},
    /* addresses */
    {"resolver:\n  servers: [192.0.2.1, 192.0.2.300]\n", NULL, NULL,
     "bad.yaml:2:24: bad DNS server \"192.0.2.300\": expected an IP address with an optional "
     "port, as 192.0.2.53:53 or [2001:db8::53]:53"},
    {"resolver:\n  servers: [\"192.0.2.1:0\"]\n", NULL, NULL,
     "bad.yaml:2:13: bad port in DNS server \"192.0.2.1:0\": use 1-65535"},
    {"http:\n  listen: localhost:9749\n", NULL, NULL,
     "bad.yaml:2:11: bad listen address \"localhost:9749\": expected an IP address and port, as "
     "127.0.0.1:9749 or [::1]:9749, or off"},
    {"http:\n  listen: 127.0.0.1\n", NULL, NULL,
     "bad.yaml:2:11: bad listen address \"127.0.0.1\": expected an IP address and port, as "
     "127.0.0.1:9749 or [::1]:9749, or off"},
    {"state: \"\"\n", NULL, NULL, "bad.yaml:1:8: state must not be empty"},
    /* domains */
    {"domains:\n  - name: \"exa mple.com\"\n", NULL, NULL,
     "bad.yaml:2:11: bad domain name \"exa mple.com\": only a-z, 0-9, '-' and '_' may be used"},
    {"domains:\n  - name: "
     "a1234567890123456789012345678901234567890123456789012345678901234.com\n",
     NULL, NULL,
     "bad.yaml:2:11: bad domain name "
     "\"a1234567890123456789012345678901234567890123456789012345678901234.com\": a label is "
     "longer than 63 characters"},
    {"domains:\n  - name: localhost\n", NULL, NULL,
     "bad.yaml:2:11: bad domain name \"localhost\": needs at least two labels"},
    {"domains:\n  - name: -bad.example\n  - name: a..example\n", NULL, NULL,
     "bad.yaml:2:11: bad domain name \"-bad.example\": a label starts or ends with '-'\n"
     "bad.yaml:3:11: bad domain name \"a..example\": empty label"},
    {"domains:\n  - labels: {customer: acme}\n", NULL, NULL, "bad.yaml:2:5: domain without a name"},
    {"domains:\n  - name: example.com\n    labels: {Customer: acme}\n", NULL, NULL,
     "bad.yaml:3:14: bad label name \"Customer\": use a-z, 0-9 and _, not first a digit"},
    {"domains:\n  - name: example.com\n    mail_names: [example.com, mx_ok.example.com, \"x y\"]\n",
     NULL, NULL, "bad.yaml:3:50: bad mail name \"x y\": only a-z, 0-9, '-' and '_' may be used"},
    {"domains:\n  - name: example.com\n    ses: {region: us-east, mail_from: bounce}\n", NULL, NULL,
     "bad.yaml:3:19: bad SES region \"us-east\": expected e.g. us-east-1 or eu-west-2\n"
     "bad.yaml:3:39: bad mail_from \"bounce\": needs at least two labels"},
    {"domains:\n  - name: example.com\n    ses: {region: usa-east-1}\n", NULL, NULL,
     "bad.yaml:3:19: bad SES region \"usa-east-1\": expected e.g. us-east-1 or eu-west-2"},
    {"domains:\n  - name: example.com\n    sending_ips: [203.0.113.10, 203.0.113.0/24]\n", NULL,
     NULL, "bad.yaml:3:33: bad sending IP \"203.0.113.0/24\": expected an IPv4 or IPv6 address"},
    {"domains:\n  - name: example.com\n    sending_ips: [\"2001:db8::1\", \"2001:DB8:0::1\"]\n",
     NULL, NULL, "bad.yaml:3:34: sending_ips: \"2001:DB8:0::1\" is listed twice"},
    {"domains:\n  - name: example.com\n    ses:\n      dkim_tokens: [abc, "
     "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567]\n",
     NULL, NULL,
     "bad.yaml:4:21: bad DKIM token \"abc\": expected 32 characters of a-z and 2-7 (SES Easy "
     "DKIM)\n"
     "bad.yaml:4:26: bad DKIM token \"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567\": expected 32 "
     "characters of a-z and 2-7 (SES Easy DKIM)"},
    {"domains:\n  - name: example.com\n    dkim_selectors: [s1, \"s 2\"]\n", NULL, NULL,
     "bad.yaml:3:26: bad DKIM selector \"s 2\": only a-z, 0-9, '-' and '_' may be used"},
    {"domains:\n  - name: example.com\n    interval: 5\n", NULL, NULL,
     "bad.yaml:3:15: interval \"5\": duration needs a unit: ms, s, m, h or d"},
    {"domains:\n  - name: example.com\n  - name: other.example\n  - name: EXAMPLE.com.\n", NULL,
     NULL, "bad.yaml:4:5: duplicate domain \"example.com\" (first defined at bad.yaml:2:5)"},
    {"include: [d/*.yaml]\ndomains:\n  - name: example.com\n", "d/x.yaml",
     "# customer x\ndomains:\n  - name: Example.com\n",
     "{T}/d/x.yaml:3:5: duplicate domain \"example.com\" (first defined at bad.yaml:3:5)"},
    {"include: [d/*.yaml]\n", "d/x.yaml", "state: /tmp/x\ndomains: []\ninclude: [y.yaml]\n",
     "{T}/d/x.yaml:1:1: only domains: is allowed in an included file\n"
     "{T}/d/x.yaml:3:1: only domains: is allowed in an included file"},
    {"include: [d/*.yaml]\n", "d/x.yaml", "domains:\n  - name: [x\n",
     "{T}/d/x.yaml:3:1: did not find expected ',' or ']' (while parsing a flow sequence at "
     "2:11)"},
    {"include: [\"d/*.yaml\", 3, [x]]\n", "d/x.yaml/y", "",
     "bad.yaml:1:11: cannot read included file \"{T}/d/x.yaml\": Is a directory\n"
     "bad.yaml:1:26: include: expected a single value"},
    /* sinks */
    {"sinks:\n  - {name: a, type: slack, url: \"https://a.example\"}\n"
     "  - {name: a, type: webhook, url: \"https://b.example\"}\n",
     NULL, NULL, "bad.yaml:3:5: duplicate sink \"a\" (first defined at bad.yaml:2:5)"},
    {"sinks:\n  - name: ops\n    url: https://x.example\n", NULL, NULL,
     "bad.yaml:2:5: sinks[0] \"ops\": missing type (slack, pagerduty or webhook)"},
    {"sinks:\n  - name: ops\n    type: teams\n", NULL, NULL,
     "bad.yaml:3:11: sinks[0] \"ops\": type must be slack, pagerduty or webhook, not \"teams\""},
    {"sinks:\n  - type: slack\n    url: https://x.example\n", NULL, NULL,
     "bad.yaml:2:5: sinks[0]: sink without a name"},
    {"sinks:\n  - name: ops\n    type: slack\n", NULL, NULL,
     "bad.yaml:2:5: sinks[0] \"ops\": needs url or url_file"},
    {"sinks:\n  - name: pd\n    type: pagerduty\n", NULL, NULL,
     "bad.yaml:2:5: sinks[0] \"pd\": needs routing_key or routing_key_file"},
    {"sinks:\n  - name: ops\n    type: slack\n    url: https://x.example\n    url_file: /x\n", NULL,
     NULL, "bad.yaml:5:5: sinks[0] \"ops\": set only one of url and url_file"},
    {"sinks:\n  - name: ops\n    type: slack\n    url: https://x.example\n"
     "    routing_key: abc\n    format: native\n",
     NULL, NULL,
     "bad.yaml:5:5: sinks[0] \"ops\": routing_key is only for pagerduty sinks\n"
     "bad.yaml:6:5: sinks[0] \"ops\": format is only for webhook sinks"},
    {"sinks:\n  - name: ops\n    type: slack\n    url: http://127.0.0.1/hook\n", NULL, NULL,
     "bad.yaml:4:10: sinks[0] \"ops\": url must be https:// (set allow_http: true for plain "
     "http)"},
    {"sinks:\n  - name: ops\n    type: slack\n    url: ftp://x.example/\n    allow_http: true\n",
     NULL, NULL, "bad.yaml:4:10: sinks[0] \"ops\": url must be https:// or http://"},
    {"sinks:\n  - name: ops\n    type: slack\n    url: https://x.example\n    allow_http: yes\n",
     NULL, NULL, "bad.yaml:5:17: allow_http must be true or false, not \"yes\""},
    {"sinks:\n  - name: ops\n    type: slack\n    url: https://x.example\n"
     "    min_severity: high\n",
     NULL, NULL,
     "bad.yaml:5:19: sinks[0] \"ops\": min_severity must be info, warning or critical, not "
     "\"high\""},
    {"sinks:\n  - name: ops\n    type: slack\n    url_file: /nonexistent/slack\n", NULL, NULL,
     "bad.yaml:4:15: cannot read url_file \"/nonexistent/slack\": No such file or directory"},
    {"sinks:\n  - name: ops\n    type: slack\n    url_file: empty\n", "empty", " \n\n",
     "bad.yaml:4:15: url_file \"{T}/empty\" is empty"},
    /* the file itself */
    {"domains:\n  - name: a.example\n  name: b\n", NULL, NULL,
     "bad.yaml:3:3: did not find expected '-' indicator (while parsing a block collection at "
     "2:3)"},
    {"resolver: {tries: 3\n", NULL, NULL,
     "bad.yaml:2:1: did not find expected ',' or '}' (while parsing a flow mapping at 1:11)"},
    {"a: &x [1, 2]\nresolver: *x\n", NULL, NULL, "bad.yaml:2:11: aliases (*x) are not allowed"},
    {"resolver: {tries: 3}\n---\nresolver: {tries: 4}\n", NULL, NULL,
     "bad.yaml:2:1: more than one YAML document in one file"},
    {"domains: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]"
     "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
     NULL, NULL, "bad.yaml:1:73: nested deeper than 64 levels"},
    {"state: \"a\\0b\"\n", NULL, NULL, "bad.yaml:1:8: a value contains a NUL character"},
    {"resolver: {tries: 3}\n\xff\n", NULL, NULL, "bad.yaml:2:1: invalid leading UTF-8 octet"},
    /* every error, not just the first */
    {"resolver:\n  tries: 0\n  timeout: 1\nfoo: bar\ndomains:\n  - name: x\n  - name: ok.example\n"
     "    ses: {region: mars-1}\n  - name: ok.example\n",
     NULL, NULL,
     "bad.yaml:2:10: tries must be a whole number from 1 to 20, not \"0\"\n"
     "bad.yaml:3:12: timeout \"1\": duration needs a unit: ms, s, m, h or d\n"
     "bad.yaml:4:1: unknown key \"foo\" at the top level\n"
     "bad.yaml:6:11: bad domain name \"x\": needs at least two labels\n"
     "bad.yaml:8:19: bad SES region \"mars-1\": expected e.g. us-east-1 or eu-west-2\n"
     "bad.yaml:9:5: duplicate domain \"ok.example\" (first defined at bad.yaml:7:5)"},
};

START_TEST(test_no_secrets_opens_no_secret_file)
{
	struct cfg *c = (struct cfg *)1;
	char *err = NULL, *want, *yaml;

	ck_assert_int_eq(mkdir("adir", 0700), 0);
	ck_assert_int_eq(setenv("CREDENTIALS_DIRECTORY", "/nonexistent-creds", 1), 0);
	yaml = expand("state: s.db\n"
		      "sinks:\n"
		      "  - {name: chat, type: slack, url_file: /nonexistent/slack}\n"
		      "  - {name: oncall, type: pagerduty, routing_key_file: {T}/adir}\n"
		      "  - {name: hook, type: webhook, url: \"https://h.example/x\",\n"
		      "     secret_file: hmac}\n"
		      "  - {name: inline, type: webhook, url: \"https://i.example/x\",\n"
		      "     secret: inline-key}\n"
		      "domains:\n"
		      "  - name: example.com\n");
	write_file("m.yaml", yaml);
	free(yaml);

	/* cfg_load reads them all and fails on each */
	err = load_bad("m.yaml");
	want =
	    xasprintf("m.yaml:3:41: cannot read url_file \"/nonexistent/slack\": No such file "
		      "or directory\n"
		      "m.yaml:4:55: cannot read routing_key_file \"%s/adir\": Is a directory\n"
		      "m.yaml:6:19: cannot read secret_file \"/nonexistent-creds/hmac\": No such "
		      "file or directory",
		      tmp);
	ck_assert_str_eq(err, want);
	free(want);
	free(err);
	err = NULL;

	/* without secrets: loaded, every sink named, no secret kept, inline ones neither */
	ck_assert_int_eq(cfg_load_flags("m.yaml", CFG_NO_SECRETS, &c, &err), 0);
	ck_assert_ptr_null(err);
	want = xasprintf("%s/s.db", tmp);
	ck_assert_str_eq(c->state, want);
	free(want);
	ck_assert_uint_eq(c->ndomains, 1);
	ck_assert_str_eq(c->domains[0].name, "example.com");
	ck_assert_uint_eq(c->nsinks, 4);
	ck_assert_str_eq(c->sinks[0].name, "chat");
	ck_assert_str_eq(c->sinks[1].name, "oncall");
	ck_assert_int_eq(c->sinks[1].type, CFG_SINK_PAGERDUTY);
	ck_assert_str_eq(c->sinks[2].name, "hook");
	ck_assert_str_eq(c->sinks[3].name, "inline");
	for (size_t i = 0; i < c->nsinks; i++) {
		ck_assert_ptr_null(c->sinks[i].url);
		ck_assert_ptr_null(c->sinks[i].routing_key);
		ck_assert_ptr_null(c->sinks[i].secret);
	}
	cfg_free(c);
}
END_TEST

START_TEST(test_no_secrets_still_checks_the_keys)
{
	struct cfg *c = (struct cfg *)1;
	char *err = NULL;

	write_file("m.yaml",
		   "sinks:\n"
		   "  - {name: chat, type: slack, url_file: \"\"}\n"
		   "  - {name: oncall, type: pagerduty}\n"
		   "  - {name: hook, type: webhook, url: \"http://SECRET-10.example\"}\n");
	ck_assert_int_eq(cfg_load_flags("m.yaml", CFG_NO_SECRETS, &c, &err), -1);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(err,
			 "m.yaml:2:41: url_file is empty\n"
			 "m.yaml:3:5: sinks[1] \"oncall\": needs routing_key or "
			 "routing_key_file\n"
			 "m.yaml:4:38: sinks[2] \"hook\": url must be https:// (set allow_http: "
			 "true for plain http)");
	free(err);
}
END_TEST

START_TEST(test_bad_config_gives_exact_errors)
{
	const struct bad *b = &bad[_i];
	char *err, *want;

	write_file("bad.yaml", b->yaml);
	if (b->other != NULL)
		write_file(b->other, b->other_text);
	err = load_bad("bad.yaml");
	want = expand(b->want);
	ck_assert_str_eq(err, want);
	free(want);
	free(err);
}
END_TEST

START_TEST(test_missing_file_is_an_error)
{
	char *err = load_bad("nope.yaml");

	ck_assert_str_eq(err, "nope.yaml: No such file or directory");
	free(err);
}
END_TEST

START_TEST(test_secrets_never_appear_in_errors)
{
	char *err;

	write_file("leak", "ftp://SECRET-2/hook\n");
	write_file("bad.yaml", "sinks:\n"
			       "  - name: a\n"
			       "    type: slack\n"
			       "    url: http://SECRET-1.example/x\n"
			       "  - name: b\n"
			       "    type: slack\n"
			       "    url_file: leak\n"
			       "    allow_http: yes\n"
			       "  - name: c\n"
			       "    type: slack\n"
			       "    url: [https://SECRET-3.example]\n"
			       "  - name: d\n"
			       "    type: webhook\n"
			       "    url: https://ok.example/x\n"
			       "    routing_key: SECRET-4\n"
			       "    secret: \"\"\n"
			       "  - name: e\n"
			       "    type: pagerduty\n"
			       "    routing_key: SECRET-5\n"
			       "    routing_key_file: leak\n"
			       "    url: SECRET-6\n"
			       "  - name: f\n"
			       "    type: slack\n"
			       "    url: \"https://SECRET 7\"\n"
			       "  - name: g\n"
			       "    type: slack\n"
			       "    url: https://SECRET-8.example\n"
			       "    url: https://SECRET-9.example\n");
	err = load_bad("bad.yaml");
	ck_assert_msg(strstr(err, "SECRET") == NULL, "a secret leaked: %s", err);
	ck_assert_str_eq(
	    err, "bad.yaml:4:10: sinks[0] \"a\": url must be https:// (set allow_http: true for "
		 "plain http)\n"
		 "bad.yaml:7:15: sinks[1] \"b\": url in url_file must be https:// (set allow_http: "
		 "true for plain http)\n"
		 "bad.yaml:8:17: allow_http must be true or false, not \"yes\"\n"
		 "bad.yaml:11:10: url: expected a single value\n"
		 "bad.yaml:15:5: sinks[3] \"d\": routing_key is only for pagerduty sinks\n"
		 "bad.yaml:16:13: sinks[3] \"d\": secret is empty\n"
		 "bad.yaml:20:5: sinks[4] \"e\": set only one of routing_key and routing_key_file\n"
		 "bad.yaml:21:10: sinks[4] \"e\": url must be https:// (set allow_http: true for "
		 "plain http)\n"
		 "bad.yaml:24:10: sinks[5] \"f\": url contains spaces or control characters\n"
		 "bad.yaml:28:5: duplicate key \"url\" in a sink");
	free(err);
}
END_TEST

START_TEST(test_duration_parsing)
{
	static const struct {
		const char *s;
		unsigned long long ms;
	} good[] = {
	    {"250ms", 250},
	    {"90s", 90000},
	    {"5m", 300000},
	    {"4h", 14400000},
	    {"1d", 86400000},
	    {"1h30m", 5400000},
	    {"0s", 0},
	    {"1d2h3m4s5ms", 93784005},
	    {"18446744073709551615ms", 18446744073709551615ULL},
	};
	static const char *const badv[] = {
	    "",
	    "5",
	    "-5s",
	    "+5s",
	    "5 s",
	    " 5s",
	    "5s ",
	    "1.5h",
	    "5S",
	    "s",
	    "1h30",
	    "5sm",
	    "5msx",
	    "1w",
	    "18446744073709551616ms",
	    "213503982335d",
	};
	unsigned long long ms;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ms = 1;
		ck_assert_msg(cfg_parse_duration_ms(good[i].s, &ms), "%s", good[i].s);
		ck_assert_uint_eq(ms, good[i].ms);
	}
	for (size_t i = 0; i < sizeof(badv) / sizeof(badv[0]); i++) {
		ms = 7;
		ck_assert_msg(!cfg_parse_duration_ms(badv[i], &ms), "%s", badv[i]);
		ck_assert_uint_eq(ms, 7);
	}
}
END_TEST

START_TEST(test_free_null_does_nothing)
{
	cfg_free(NULL);
}
END_TEST

START_TEST(test_find_domain_canonicalises_its_argument)
{
	char *path = fixture("full.yaml");
	struct cfg *c = load_ok(path);

	ck_assert_ptr_eq(cfg_find_domain(c, "Example.COM."), &c->domains[0]);
	ck_assert_ptr_eq(cfg_find_domain(c, "globex.example"), &c->domains[4]);
	ck_assert_ptr_null(cfg_find_domain(c, "example.org"));
	ck_assert_ptr_null(cfg_find_domain(c, "example.co"));
	ck_assert_ptr_null(cfg_find_domain(c, ""));
	cfg_free(c);
	free(path);
}
END_TEST

static Suite *
cfg_suite(void)
{
	Suite *s = suite_create("cfg");
	TCase *tc = tcase_create("load");

	tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_test(tc, test_full_config_sets_every_field);
	tcase_add_test(tc, test_empty_file_is_all_defaults);
	tcase_add_test(tc, test_comments_only_and_empty_document_are_empty_configs);
	tcase_add_test(tc, test_off_values_and_relative_paths);
	tcase_add_test(tc, test_relative_secret_file_is_read_from_credentials_directory);
	tcase_add_test(tc, test_no_secrets_opens_no_secret_file);
	tcase_add_test(tc, test_no_secrets_still_checks_the_keys);
	tcase_add_loop_test(tc, test_bad_config_gives_exact_errors, 0,
			    sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_missing_file_is_an_error);
	tcase_add_test(tc, test_secrets_never_appear_in_errors);
	tcase_add_test(tc, test_duration_parsing);
	tcase_add_test(tc, test_free_null_does_nothing);
	tcase_add_test(tc, test_find_domain_canonicalises_its_argument);
	suite_add_tcase(s, tc);
	return s;
}

/* The secrets of the fixtures (tests/cfg/full.yaml and tests/cfg/secrets/) and of
 * test_secrets_never_appear_in_errors, for tests/secrets.test. */
static const char *const secrets[][2] = {
    {"oncall_routing_key_file", "0123456789abcdef0123456789abcdef"},
    {"mail_ops_url_file", "https://slack-webhook.invalid/services/test-only-secret"},
    {"mail_ops_url_path", "/services/test-only-secret"},
    {"audit_url", "http://127.0.0.1:8080/hook"},
    {"audit_secret_file", "webhook-hmac-key"},
    {"pd_proxy_url", "https://pd-proxy.example.net/v2/enqueue"},
    {"pd_proxy_routing_key", "R0UT1NGKEY"},
    {"signed_url", "https://hooks.example.net/mxwatch"},
    {"signed_secret", "inline-secret"},
    {"leak_1", "SECRET-1"},
    {"leak_2", "SECRET-2"},
    {"leak_3", "SECRET-3"},
    {"leak_4", "SECRET-4"},
    {"leak_5", "SECRET-5"},
    {"leak_6", "SECRET-6"},
    {"leak_7", "SECRET 7"},
    {"leak_8", "SECRET-8"},
    {"leak_9", "SECRET-9"},
    {"leak_10", "SECRET-10"},
    {"no_secrets_inline", "inline-key"},
    {"no_secrets_hook_url", "https://h.example/x"},
    {"no_secrets_inline_url", "https://i.example/x"},
};

int
main(void)
{
	const char *src = getenv("MXW_SRCDIR");
	char cwd[PATH_MAX], base[] = "/tmp/check_cfg.XXXXXX";
	SRunner *sr;
	int failed;

	/* fixtures are named by absolute paths, as the tests change directory */
	if (src == NULL)
		src = ".";
	if (src[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		srcdir = xstrdup(src);
	else
		srcdir = xasprintf("%s/%s", cwd, src);
	if (mkdtemp(base) == NULL) {
		perror("check_cfg: mkdtemp");
		return EXIT_FAILURE;
	}
	tmpbase = base;
	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		testsecret("check_cfg", secrets[i][0], secrets[i][1]);
	sr = srunner_create(cfg_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (nftw(base, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
		perror("check_cfg: removing the temporary directory");
	free(srcdir);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
