/* Alerting over a real store: baseline digests, confirm and resolve, change events, routing
 * by severity, grouping, degraded checks, and the outbox rows it writes. */
#include "config.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerting.h"
#include "log.h"
#include "store.h"
#include "xmalloc.h"

static char dir[64];
static struct store *st;
static struct cfg c;
static struct cfg_sink sinks[2];
static struct cfg_domain dom;
static char *outbuf;
static size_t outlen;
static FILE *out;
static char ops[] = "ops", feed[] = "feed", ops_url[] = "http://127.0.0.1:9/hook",
	    feed_url[] = "http://127.0.0.1:9/feed", example[] = "example.com";

static void
setup(void)
{
	char *db, *err = NULL;

	strcpy(dir, "/tmp/mxw-alerting.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	db = xasprintf("%s/state.db", dir);
	ck_assert_msg(store_open(db, &st, &err) == 0, "%s", err);
	free(db);
	memset(&c, 0, sizeof(c));
	c.alerting.confirm_after = 2;
	c.alerting.resolve_after = 2;
	memset(sinks, 0, sizeof(sinks));
	sinks[0].name = ops;
	sinks[0].type = CFG_SINK_WEBHOOK;
	sinks[0].format = CFG_FORMAT_NATIVE;
	sinks[0].url = ops_url;
	sinks[0].min_severity = SEV_WARNING;
	sinks[1].name = feed;
	sinks[1].type = CFG_SINK_WEBHOOK;
	sinks[1].format = CFG_FORMAT_NATIVE;
	sinks[1].url = feed_url;
	sinks[1].min_severity = SEV_INFO;
	c.sinks = sinks;
	c.nsinks = 2;
	memset(&dom, 0, sizeof(dom));
	dom.name = example;
	out = open_memstream(&outbuf, &outlen);
}

static void
teardown(void)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	store_close(st);
	fclose(out);
	free(outbuf);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
}

/* Findings from "rule severity subject" lines. */
static void
findings_of(const char *text, struct findings *f)
{
	char *copy = xstrdup(text), *save = NULL;

	memset(f, 0, sizeof(*f));
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char rule[64], sev[16], subject[128];
		struct finding *x;

		ck_assert_int_eq(sscanf(l, "%63s %15s %127s", rule, sev, subject), 3);
		f->v = xreallocarray(f->v, f->n + 1, sizeof(*f->v));
		x = &f->v[f->n++];
		memset(x, 0, sizeof(*x));
		x->rule = rule_lookup(rule)->id;
		ck_assert(severity_parse(sev, &x->severity));
		x->domain = xstrdup("example.com");
		x->subject = xstrdup(subject);
		x->message = xasprintf("%s is wrong", subject);
		x->evidence = xcalloc(1, sizeof(*x->evidence));
		x->evidence[0] = xasprintf("%s TXT evidence", subject);
		x->nevidence = 1;
	}
	free(copy);
}

/* Runs one check at now and a flush; returns the notifications as "SINK KIND total
 * rule:subject,..." lines. */
static char *
cycle(struct alerting *a, const char *found_text, bool first, bool degraded, long long now)
{
	struct findings f;
	char *err = NULL, *text = xstrdup(""), *save = NULL, *copy;

	findings_of(found_text, &f);
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_msg(alerting_check(a, st, &c, &dom, &f, first, degraded, now, &err) == 0, "%s",
		      err);
	ck_assert_int_ge(alerting_flush(a, st, &c, now, &err), 0);
	ck_assert_int_eq(store_commit(st, &err), 0);
	findings_clear(&f);
	fflush(out);
	copy = xstrndup(outbuf, outlen);
	rewind(out);
	fflush(out);
	outlen = 0;
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		json_t *o = json_loads(l, 0, NULL), *body = json_object_get(o, "body"), *al;
		char *next, *list = xstrdup("");
		size_t i;

		ck_assert_ptr_nonnull(body);
		json_array_foreach(json_object_get(body, "alerts"), i, al)
		{
			next = xasprintf("%s%s%s:%s", list, i ? "," : "",
					 json_string_value(json_object_get(al, "rule")),
					 json_string_value(json_object_get(al, "subject")));
			free(list);
			list = next;
		}
		next = xasprintf(
		    "%s%s %s %lld %s\n", text, json_string_value(json_object_get(o, "sink")),
		    json_string_value(json_object_get(o, "kind")),
		    (long long)json_integer_value(json_object_get(body, "total")), list);
		free(text);
		free(list);
		text = next;
		json_decref(o);
	}
	free(copy);
	return text;
}

#define EXPECT(a, found, first, degraded, now, want)                                               \
	do {                                                                                       \
		char *got_ = cycle(a, found, first, degraded, now);                                \
		ck_assert_str_eq(got_, want);                                                      \
		free(got_);                                                                        \
	} while (0)

START_TEST(test_lifecycle_through_the_store)
{
	struct alerting *a = alerting_new(out);

	/* First check: one baseline digest per sink that wants them. */
	EXPECT(a, "mx.missing critical example.com.\nspf.missing warning example.com.\n", true,
	       false, 1000,
	       "ops baseline 2 mx.missing:example.com.,spf.missing:example.com.\n"
	       "feed baseline 2 mx.missing:example.com.,spf.missing:example.com.\n");
	/* Nothing new: nothing. */
	EXPECT(a, "mx.missing critical example.com.\nspf.missing warning example.com.\n", false,
	       false, 1300, "");
	/* spf.missing passes: resolve_after 2. */
	EXPECT(a, "mx.missing critical example.com.\n", false, false, 1600, "");
	EXPECT(a, "mx.missing critical example.com.\n", false, false, 1900,
	       "ops resolved 1 spf.missing:example.com.\n"
	       "feed resolved 1 spf.missing:example.com.\n");
	/* A new finding: pending, then firing at the second check. A change event goes out at
	 * once, to the sink that takes info only. */
	EXPECT(
	    a,
	    "mx.missing critical example.com.\ndkim.missing critical s1._domainkey.example.com.\n"
	    "dns.changed info example.com.\n",
	    false, false, 2200, "feed firing 1 dns.changed:example.com.\n");
	/* An outage (degraded): neither fires nor resolves. */
	EXPECT(a, "", false, true, 2500, "");
	EXPECT(
	    a,
	    "mx.missing critical example.com.\ndkim.missing critical s1._domainkey.example.com.\n",
	    false, false, 2800,
	    "ops firing 1 dkim.missing:s1._domainkey.example.com.\n"
	    "feed firing 1 dkim.missing:s1._domainkey.example.com.\n");
	alerting_free(a);
}
END_TEST

START_TEST(test_many_at_once_are_grouped_and_queued_in_the_outbox)
{
	struct alerting *a = alerting_new(NULL);
	struct findings f;
	char *err = NULL;
	int64_t n;

	c.alerting.confirm_after = 1;
	/* Baseline with nothing, then five fire at once: one grouped notification a sink. */
	findings_of("", &f);
	ck_assert_int_eq(alerting_check(a, st, &c, &dom, &f, true, false, 100, &err), 0);
	findings_clear(&f);
	findings_of("dkim.missing critical a\ndkim.missing critical b\ndkim.missing critical c\n"
		    "dkim.missing critical d\nptr.missing critical 192.0.2.1\n",
		    &f);
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_eq(alerting_check(a, st, &c, &dom, &f, false, false, 200, &err), 0);
	ck_assert_uint_eq(alerting_pending(a), 5);
	ck_assert_int_eq(alerting_flush(a, st, &c, 200, &err), 2);
	ck_assert_int_eq(store_commit(st, &err), 0);
	ck_assert_uint_eq(alerting_pending(a), 0);
	ck_assert_int_eq(store_outbox_count(st, "ops", "pending", &n, &err), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(store_outbox_count(st, NULL, "pending", &n, &err), 0);
	ck_assert_int_eq(n, 2);
	findings_clear(&f);
	/* A rolled-back batch leaves nothing queued behind. */
	findings_of("dkim.missing critical e\n", &f);
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_eq(alerting_check(a, st, &c, &dom, &f, false, false, 300, &err), 0);
	ck_assert_uint_eq(alerting_pending(a), 1);
	store_rollback(st);
	alerting_discard(a);
	ck_assert_uint_eq(alerting_pending(a), 0);
	findings_clear(&f);
	alerting_free(a);
}
END_TEST

START_TEST(test_each_change_has_its_own_dedup_key)
{
	struct alerting *a = alerting_new(out);
	struct findings f;
	char *err = NULL, *text;

	findings_of("dmarc.weakened critical _dmarc.example.com.\n", &f);
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_eq(alerting_check(a, st, &c, &dom, &f, false, false, 4242, &err), 0);
	ck_assert_int_eq(alerting_flush(a, st, &c, 4242, &err), 2);
	ck_assert_int_eq(store_commit(st, &err), 0);
	fflush(out);
	text = xstrndup(outbuf, outlen);
	ck_assert_ptr_nonnull(strstr(text, "example.com/dmarc.weakened/_dmarc.example.com.@4242"));
	free(text);
	findings_clear(&f);
	alerting_free(a);
}
END_TEST

START_TEST(test_resolver_alert_is_global)
{
	struct alerting *a = alerting_new(out);
	char *err = NULL, *text;

	alerting_global(a, "resolver.unhealthy", "resolver", "most checks fail", false, 50, 50);
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_eq(alerting_flush(a, st, &c, 50, &err), 2);
	ck_assert_int_eq(store_commit(st, &err), 0);
	fflush(out);
	text = xstrndup(outbuf, outlen);
	ck_assert_ptr_nonnull(strstr(text, "\"rule\":\"resolver.unhealthy\""));
	ck_assert_ptr_nonnull(strstr(text, "\"severity\":\"critical\""));
	free(text);
	alerting_free(a);
}
END_TEST

static Suite *
alerting_suite(void)
{
	Suite *s = suite_create("alerting");
	TCase *tc = tcase_create("store");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_lifecycle_through_the_store);
	tcase_add_test(tc, test_many_at_once_are_grouped_and_queued_in_the_outbox);
	tcase_add_test(tc, test_resolver_alert_is_global);
	tcase_add_test(tc, test_each_change_has_its_own_dedup_key);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(alerting_suite());
	int failed;

	log_set_level(LOG_LEVEL_ERR); /* the state changes it logs are expected */
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
