/* Alerting over a real store: baseline digests, confirm and resolve, change events, routing
 * by severity and labels, grouping, degraded checks, the outbox rows it writes, and the
 * PagerDuty incidents it opens and resolves. */
#include "config.h"

#include <check.h>
#include <ctype.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerting.h"
#include "log.h"
#include "store.h"
#include "store_int.h"
#include "testsecret.h"
#include "xmalloc.h"

static char dir[64];
static struct store *st;
static struct cfg c;
static struct cfg_sink sinks[3];
static struct cfg_domain dom;
static char *outbuf;
static size_t outlen;
static FILE *out;
/* The sinks' URLs are secrets: their paths end in a token (tests/secrets.test). */
#define OPS_PATH "/hook/alertingOPS3f1c"
#define FEED_PATH "/feed/alertingFEED9a27"
#define PD_PATH "/pd/alertingPD5e08"
#define OPS2_PATH "/hook/alertingOPS2b7d4"
static char ops[] = "ops", feed[] = "feed", ops_url[] = "http://127.0.0.1:9" OPS_PATH,
	    feed_url[] = "http://127.0.0.1:9" FEED_PATH, example[] = "example.com",
	    oncall[] = "oncall", pd_url[] = "http://127.0.0.1:9" PD_PATH, team[] = "team",
	    mail[] = "mail", web[] = "web", pager[] = "pager",
	    ops2_url[] = "http://127.0.0.1:9" OPS2_PATH;
/* The PagerDuty group keys seen ("mxwatch/KIND/mxw_" and a random id), in order. */
static char *groups[16];
static size_t ngroups;

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
	ngroups = 0;
}

static void
teardown(void)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	store_close(st);
	fclose(out);
	free(outbuf);
	for (size_t i = 0; i < ngroups; i++)
		free(groups[i]);
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

/* Makes sinks[0] the PagerDuty sink "oncall" (min_severity warning); nsinks 2 keeps "feed". */
static void
use_pagerduty(size_t nsinks)
{
	memset(&sinks[0], 0, sizeof(sinks[0]));
	sinks[0].name = oncall;
	sinks[0].type = CFG_SINK_PAGERDUTY;
	sinks[0].url = pd_url;
	sinks[0].min_severity = SEV_WARNING;
	c.nsinks = nsinks;
	c.alerting.confirm_after = 1;
	c.alerting.resolve_after = 1;
}

/* Returns key with a group's random id replaced by its number in order of appearance
 * ("mxwatch/firing/#1"); other keys as they are. */
static char *
stable_key(const char *key)
{
	const char *id = strstr(key, "/mxw_");
	size_t i;

	if (strncmp(key, "mxwatch/", 8) != 0 || id == NULL)
		return xstrdup(key);
	for (i = 0; i < ngroups && strcmp(groups[i], key) != 0; i++)
		;
	if (i == ngroups) {
		ck_assert_uint_lt(ngroups, sizeof(groups) / sizeof(groups[0]));
		groups[ngroups++] = xstrdup(key);
	}
	return xasprintf("%.*s/#%zu", (int)(id - key), key, i + 1);
}

/* Returns the notifications printed since the last call as lines: "SINK KIND total
 * rule:subject,..." for a webhook, "SINK KIND ACTION DEDUP_KEY" for a PagerDuty event, with
 * " total" after the key of a trigger that sums several alerts up. */
static char *
drain(void)
{
	char *text = xstrdup(""), *save = NULL, *copy;

	fflush(out);
	copy = xstrndup(outbuf, outlen);
	rewind(out);
	fflush(out);
	outlen = 0;
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		json_t *o = json_loads(l, 0, NULL), *body = json_object_get(o, "body"), *al;
		const char *sink = json_string_value(json_object_get(o, "sink")),
			   *kind = json_string_value(json_object_get(o, "kind"));
		char *next, *list = xstrdup("");
		size_t i;

		ck_assert_ptr_nonnull(body);
		if (json_object_get(body, "event_action") != NULL) {
			json_t *total = json_object_get(
			    json_object_get(json_object_get(body, "payload"), "custom_details"),
			    "total");
			char *key =
			    stable_key(json_string_value(json_object_get(body, "dedup_key")));

			ck_assert_str_eq(json_string_value(json_object_get(o, "dedup_key")),
					 json_string_value(json_object_get(body, "dedup_key")));
			if (total != NULL)
				next = xasprintf(
				    "%s%s %s %s %s %lld\n", text, sink, kind,
				    json_string_value(json_object_get(body, "event_action")), key,
				    (long long)json_integer_value(total));
			else
				next = xasprintf(
				    "%s%s %s %s %s\n", text, sink, kind,
				    json_string_value(json_object_get(body, "event_action")), key);
			free(key);
			free(list);
			free(text);
			text = next;
			json_decref(o);
			continue;
		}
		json_array_foreach(json_object_get(body, "alerts"), i, al)
		{
			next = xasprintf("%s%s%s:%s", list, i ? "," : "",
					 json_string_value(json_object_get(al, "rule")),
					 json_string_value(json_object_get(al, "subject")));
			free(list);
			list = next;
		}
		next =
		    xasprintf("%s%s %s %lld %s\n", text, sink, kind,
			      (long long)json_integer_value(json_object_get(body, "total")), list);
		free(text);
		free(list);
		text = next;
		json_decref(o);
	}
	free(copy);
	return text;
}

/* Runs one check at now and a flush; returns the notifications (see drain). */
static char *
cycle(struct alerting *a, const char *found_text, bool first, bool degraded, long long now)
{
	struct findings f;
	char *err = NULL;

	findings_of(found_text, &f);
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_msg(alerting_check(a, st, &c, &dom, &f, first, degraded, now, &err) == 0, "%s",
		      err);
	ck_assert_int_ge(alerting_flush(a, st, &c, now, &err), 0);
	ck_assert_int_eq(store_commit(st, &err), 0);
	findings_clear(&f);
	return drain();
}

/* Runs n checks (found[i] at now[i]) in one transaction and one flush at the last now, as
 * a commit batch of the daemon does; returns the notifications (see drain). */
static char *
batch(struct alerting *a, const char *const *found, const long long *now, size_t n)
{
	char *err = NULL;

	ck_assert_int_eq(store_begin(st, &err), 0);
	for (size_t i = 0; i < n; i++) {
		struct findings f;

		findings_of(found[i], &f);
		ck_assert_msg(alerting_check(a, st, &c, &dom, &f, false, false, now[i], &err) == 0,
			      "%s", err);
		findings_clear(&f);
	}
	ck_assert_int_ge(alerting_flush(a, st, &c, now[n - 1], &err), 0);
	ck_assert_int_eq(store_commit(st, &err), 0);
	return drain();
}

/* Returns "rule critical PREFIX01" to "rule critical PREFIXn" lines. */
static char *
numbered(const char *rule, const char *prefix, int n)
{
	char *text = xstrdup(""), *next;

	for (int i = 1; i <= n; i++) {
		next = xasprintf("%s%s critical %s%02d\n", text, rule, prefix, i);
		free(text);
		text = next;
	}
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

/* Runs alerting_forget for example.com, whose configuration is d (NULL: no longer in it), and
 * a flush at now; returns the notifications (see drain), and the printed lines as they are
 * in *lines. */
static char *
forget_as(struct alerting *a, const struct cfg_domain *d, long long now, char **lines)
{
	char *err = NULL;

	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_msg(alerting_forget(a, st, "example.com", d, now, &err) == 0, "%s", err);
	ck_assert_int_ge(alerting_flush(a, st, &c, now, &err), 0);
	ck_assert_int_eq(store_commit(st, &err), 0);
	fflush(out);
	*lines = xstrndup(outbuf, outlen);
	return drain();
}

/* Runs alerting_forget for example.com and a flush at now; returns the notifications. */
static char *
forget(struct alerting *a, long long now)
{
	char *err = NULL;

	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_msg(alerting_forget(a, st, "example.com", &dom, now, &err) == 0, "%s", err);
	ck_assert_int_ge(alerting_flush(a, st, &c, now, &err), 0);
	ck_assert_int_eq(store_commit(st, &err), 0);
	return drain();
}

/* Tells whether the store still has a PagerDuty incident covering (rule, subject). */
static bool
covered(const char *rule, const char *subject)
{
	char *err = NULL, *key = NULL;
	int rc = store_get_told(st, "oncall", "example.com", rule, subject, &key, &err);

	ck_assert_int_ge(rc, 0);
	free(key);
	return rc == 1;
}

START_TEST(test_pagerduty_group_is_one_incident_resolved_with_its_last_alert)
{
	struct alerting *a = alerting_new(out);
	char *fifteen = numbered("dkim.missing", "s", 15);

	use_pagerduty(1);
	EXPECT(a, "", true, false, 100, "");
	/* 15 fire together: one incident covers them all, one page. */
	EXPECT(a, fifteen, false, false, 200, "oncall firing trigger mxwatch/firing/#1 15\n");
	/* 14 resolve while two others fire: those get an incident each, and the group stays
	 * open for the one it still covers. */
	EXPECT(a,
	       "dkim.missing critical s15\nptr.missing critical 192.0.2.1\n"
	       "ptr.missing critical 192.0.2.2\n",
	       false, false, 300,
	       "oncall firing trigger example.com/ptr.missing/192.0.2.1\n"
	       "oncall firing trigger example.com/ptr.missing/192.0.2.2\n");
	ck_assert(!covered("dkim.missing", "s01"));
	ck_assert(covered("dkim.missing", "s15"));
	/* All resolve at once: exactly one resolve for each open key. */
	EXPECT(a, "", false, false, 400,
	       "oncall resolved resolve mxwatch/firing/#1\n"
	       "oncall resolved resolve example.com/ptr.missing/192.0.2.1\n"
	       "oncall resolved resolve example.com/ptr.missing/192.0.2.2\n");
	ck_assert(!covered("dkim.missing", "s15"));
	ck_assert(!covered("ptr.missing", "192.0.2.1"));
	EXPECT(a, "", false, false, 500, "");
	free(fifteen);
	alerting_free(a);
}
END_TEST

START_TEST(test_pagerduty_gets_a_resolve_for_every_alert_when_many_resolve_at_once)
{
	struct alerting *a = alerting_new(out);
	char *found = xstrdup(""), *want, *next;

	use_pagerduty(2);
	EXPECT(a, "", true, false, 100, "");
	/* Twelve fire three at a time: one incident each. */
	for (int i = 1; i <= 12; i += 3) {
		char *more = numbered("dkim.missing", "s", i + 2);

		free(found);
		found = more;
		want = xstrdup("");
		for (int j = i; j < i + 3; j++) {
			next = xasprintf("%soncall firing trigger example.com/dkim.missing/s%02d\n",
					 want, j);
			free(want);
			want = next;
		}
		for (int j = i; j < i + 3; j++) {
			next = xasprintf("%sfeed firing 1 dkim.missing:s%02d\n", want, j);
			free(want);
			want = next;
		}
		EXPECT(a, found, false, false, 100 + 100 * i, want);
		free(want);
	}
	/* They resolve together: webhooks get one grouped message with all twelve, PagerDuty
	 * one resolve for each of the twelve incidents. */
	want = xstrdup("");
	for (int j = 1; j <= 12; j++) {
		next = xasprintf("%soncall resolved resolve example.com/dkim.missing/s%02d\n", want,
				 j);
		free(want);
		want = next;
	}
	next = xasprintf("%sfeed resolved 12 dkim.missing:s01,dkim.missing:s02,dkim.missing:s03,"
			 "dkim.missing:s04,dkim.missing:s05,dkim.missing:s06,dkim.missing:s07,"
			 "dkim.missing:s08,dkim.missing:s09,dkim.missing:s10,dkim.missing:s11,"
			 "dkim.missing:s12\n",
			 want);
	free(want);
	EXPECT(a, "", false, false, 2000, next);
	free(next);
	free(found);
	alerting_free(a);
}
END_TEST

START_TEST(test_pagerduty_baseline_incident_resolves_with_its_last_alert)
{
	struct alerting *a = alerting_new(out);

	use_pagerduty(1);
	/* The info finding is not the PagerDuty sink's (min_severity warning): it holds
	 * nothing open. */
	EXPECT(a,
	       "dkim.missing critical s1\nmx.missing critical example.com.\n"
	       "ptr.generic info 192.0.2.9\nspf.missing warning example.com.\n",
	       true, false, 100, "oncall baseline trigger mxwatch/baseline/#1 3\n");
	EXPECT(a, "mx.missing critical example.com.\nptr.generic info 192.0.2.9\n", false, false,
	       200, "");
	EXPECT(a, "ptr.generic info 192.0.2.9\n", false, false, 300,
	       "oncall resolved resolve mxwatch/baseline/#1\n");
	alerting_free(a);
}
END_TEST

START_TEST(test_pagerduty_incidents_resolve_when_the_domain_is_no_longer_watched)
{
	struct alerting *a = alerting_new(out);
	char *five = numbered("dkim.missing", "s", 5), *more, *got;

	use_pagerduty(1);
	EXPECT(a, "", true, false, 100, "");
	EXPECT(a, five, false, false, 200, "oncall firing trigger mxwatch/firing/#1 5\n");
	more = xasprintf("%sdkim.missing critical x\n", five);
	EXPECT(a, more, false, false, 300, "oncall firing trigger example.com/dkim.missing/x\n");
	got = forget(a, 400);
	ck_assert_str_eq(got, "oncall resolved resolve mxwatch/firing/#1\n"
			      "oncall resolved resolve example.com/dkim.missing/x\n");
	ck_assert(!covered("dkim.missing", "s05"));
	free(got);
	free(more);
	free(five);
	alerting_free(a);
}
END_TEST

START_TEST(test_pagerduty_reminders_trigger_their_incident_and_changes_hold_none_open)
{
	struct alerting *a = alerting_new(out);
	const char *three = "dkim.missing critical s01\ndkim.missing critical s02\n"
			    "dkim.missing critical s03\n";
	char *with_change = xasprintf("%sdmarc.weakened critical _dmarc.example.com.\n", three),
	     *with_ptr = xasprintf("%sptr.missing critical 192.0.2.1\n", three);

	use_pagerduty(1);
	c.alerting.repeat_after_s = 1000;
	EXPECT(a, "", true, false, 100, "");
	/* Three alerts and a change: four, one incident. */
	EXPECT(a, with_change, false, false, 200, "oncall firing trigger mxwatch/firing/#1 4\n");
	EXPECT(a, with_ptr, false, false, 300,
	       "oncall firing trigger example.com/ptr.missing/192.0.2.1\n");
	/* Reminders trigger the incidents that cover them again, no new one. */
	EXPECT(a, with_ptr, false, false, 1300,
	       "oncall firing trigger mxwatch/firing/#1 3\n"
	       "oncall firing trigger example.com/ptr.missing/192.0.2.1\n");
	/* The change never resolves; the group resolves with its three alerts. */
	EXPECT(a, "", false, false, 1400,
	       "oncall resolved resolve mxwatch/firing/#1\n"
	       "oncall resolved resolve example.com/ptr.missing/192.0.2.1\n");
	free(with_change);
	free(with_ptr);
	alerting_free(a);
}
END_TEST

START_TEST(test_resolver_alert_reaches_sinks_with_label_matchers)
{
	struct alerting *a = alerting_new(out);
	struct cfg_label mail_team = {team, mail}, web_team = {team, web};
	char *err = NULL, *got;

	/* ops takes team=mail only; oncall (PagerDuty) team=mail at critical; the domain is
	 * team=web. */
	sinks[0].match = &mail_team;
	sinks[0].nmatch = 1;
	memset(&sinks[2], 0, sizeof(sinks[2]));
	sinks[2].name = oncall;
	sinks[2].type = CFG_SINK_PAGERDUTY;
	sinks[2].url = pd_url;
	sinks[2].min_severity = SEV_CRITICAL;
	sinks[2].match = &mail_team;
	sinks[2].nmatch = 1;
	c.nsinks = 3;
	dom.labels = &web_team;
	dom.nlabels = 1;
	EXPECT(a, "mx.missing critical example.com.\n", true, false, 100,
	       "feed baseline 1 mx.missing:example.com.\n");
	/* The resolver alert belongs to no domain: the matchers do not apply to it. */
	alerting_global(a, "resolver.unhealthy", "resolver", "most checks fail", false, 200, 200);
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_eq(alerting_flush(a, st, &c, 200, &err), 3);
	ck_assert_int_eq(store_commit(st, &err), 0);
	got = drain();
	ck_assert_str_eq(got, "ops firing 1 resolver.unhealthy:resolver\n"
			      "feed firing 1 resolver.unhealthy:resolver\n"
			      "oncall firing trigger mxwatch/resolver.unhealthy\n");
	free(got);
	alerting_global(a, "resolver.unhealthy", "resolver", "checks succeed", true, 200, 300);
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_eq(alerting_flush(a, st, &c, 300, &err), 3);
	ck_assert_int_eq(store_commit(st, &err), 0);
	got = drain();
	ck_assert_str_eq(got, "ops resolved 1 resolver.unhealthy:resolver\n"
			      "feed resolved 1 resolver.unhealthy:resolver\n"
			      "oncall resolved resolve mxwatch/resolver.unhealthy\n");
	free(got);
	alerting_free(a);
}
END_TEST

START_TEST(test_webhook_carries_every_alert_of_a_group)
{
	struct alerting *a = alerting_new(out);
	char *fifteen = numbered("dkim.missing", "s", 15), *want = xstrdup(""), *next;

	c.alerting.confirm_after = 1;
	c.nsinks = 1;
	EXPECT(a, "", true, false, 100, "");
	for (int i = 1; i <= 15; i++) {
		next = xasprintf("%s%sdkim.missing:s%02d", want, i > 1 ? "," : "", i);
		free(want);
		want = next;
	}
	next = xasprintf("ops firing 15 %s\n", want);
	EXPECT(a, fifteen, false, false, 200, next);
	free(next);
	c.alerting.resolve_after = 1;
	next = xasprintf("ops resolved 15 %s\n", want);
	EXPECT(a, "", false, false, 300, next);
	free(next);
	free(want);
	free(fifteen);
	alerting_free(a);
}
END_TEST

START_TEST(test_more_alerts_than_one_webhook_message_holds_go_as_several)
{
	struct alerting *a = alerting_new(out);
	char *many = xstrdup(""), *next, *got, *save = NULL;
	size_t lines = 0, seen = 0;

	c.alerting.confirm_after = 1;
	c.nsinks = 1;
	for (int i = 1; i <= 1001; i++) {
		next = xasprintf("%sdkim.missing critical s%04d\n", many, i);
		free(many);
		many = next;
	}
	EXPECT(a, "", true, false, 100, "");
	/* 1001 fire at once: 1000 in one message, the last in another, none twice. */
	got = cycle(a, many, false, false, 200);
	for (char *l = strtok_r(got, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		size_t total = lines == 0 ? 1000 : 1;
		char *head = xasprintf("ops firing %zu dkim.missing:s%04zu,", total, seen + 1);

		if (total == 1)
			head[strlen(head) - 1] = '\0';
		ck_assert_int_eq(strncmp(l, head, strlen(head)), 0);
		free(head);
		for (char *p = strstr(l, "dkim.missing:"); p; p = strstr(p + 1, "dkim.missing:")) {
			char want[32];

			snprintf(want, sizeof(want), "dkim.missing:s%04zu", ++seen);
			ck_assert_int_eq(strncmp(p, want, strlen(want)), 0);
		}
		lines++;
	}
	ck_assert_uint_eq(lines, 2);
	ck_assert_uint_eq(seen, 1001);
	free(got);
	free(many);
	alerting_free(a);
}
END_TEST

START_TEST(test_an_alert_that_resolves_and_fires_again_in_one_batch_is_told_in_that_order)
{
	struct alerting *a = alerting_new(out);
	const char *gone_back[] = {"", "dkim.missing critical s1\n"},
		   *back_gone[] = {"dkim.missing critical s1\n", ""};
	const long long at1[] = {300, 400}, at2[] = {500, 600};
	char *got;

	use_pagerduty(2);
	EXPECT(a, "", true, false, 100, "");
	EXPECT(a, "dkim.missing critical s1\n", false, false, 200,
	       "oncall firing trigger example.com/dkim.missing/s1\n"
	       "feed firing 1 dkim.missing:s1\n");
	/* It resolves, then fires again, before the batch commits: its incident ends open. */
	got = batch(a, gone_back, at1, 2);
	ck_assert_str_eq(got, "oncall resolved resolve example.com/dkim.missing/s1\n"
			      "feed resolved 1 dkim.missing:s1\n"
			      "oncall firing trigger example.com/dkim.missing/s1\n"
			      "feed firing 1 dkim.missing:s1\n");
	free(got);
	ck_assert(covered("dkim.missing", "s1"));
	/* Still firing, then resolved, then firing again, in one batch: each in order. */
	EXPECT(a, "", false, false, 450,
	       "oncall resolved resolve example.com/dkim.missing/s1\n"
	       "feed resolved 1 dkim.missing:s1\n");
	got = batch(a, back_gone, at2, 2);
	ck_assert_str_eq(got, "oncall firing trigger example.com/dkim.missing/s1\n"
			      "feed firing 1 dkim.missing:s1\n"
			      "oncall resolved resolve example.com/dkim.missing/s1\n"
			      "feed resolved 1 dkim.missing:s1\n");
	free(got);
	ck_assert(!covered("dkim.missing", "s1"));
	alerting_free(a);
}
END_TEST

START_TEST(test_resolves_of_a_domain_no_longer_configured_keep_its_labels)
{
	struct alerting *a = alerting_new(out);
	struct cfg_label mail_team = {team, mail};
	char *got, *lines, *save = NULL;

	/* ops takes team=mail only; the domain is team=mail. */
	sinks[0].match = &mail_team;
	sinks[0].nmatch = 1;
	dom.labels = &mail_team;
	dom.nlabels = 1;
	c.alerting.confirm_after = 1;
	EXPECT(a, "", true, false, 100, "");
	EXPECT(a, "dkim.missing critical s1\n", false, false, 200,
	       "ops firing 1 dkim.missing:s1\n"
	       "feed firing 1 dkim.missing:s1\n");
	/* mxwatchd restarted without it: no configuration of it is left, only the store. The
	 * resolves reach ops, and carry the labels the alert fired with. */
	got = forget_as(a, NULL, 300, &lines);
	ck_assert_str_eq(got, "ops resolved 1 dkim.missing:s1\n"
			      "feed resolved 1 dkim.missing:s1\n");
	for (char *l = strtok_r(lines, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		ck_assert_ptr_nonnull(strstr(l, "\"labels\":{\"team\":\"mail\"}"));
	free(lines);
	free(got);
	alerting_free(a);
}
END_TEST

START_TEST(test_an_alert_keeps_the_labels_it_fired_with_until_it_resolves)
{
	struct alerting *a = alerting_new(out);
	struct cfg_label mail_team = {team, mail}, web_team = {team, web};

	sinks[0].match = &mail_team;
	sinks[0].nmatch = 1;
	dom.labels = &mail_team;
	dom.nlabels = 1;
	c.alerting.confirm_after = 1;
	c.alerting.resolve_after = 1;
	c.alerting.repeat_after_s = 1000;
	EXPECT(a, "", true, false, 100, "");
	EXPECT(a, "dkim.missing critical s1\n", false, false, 200,
	       "ops firing 1 dkim.missing:s1\n"
	       "feed firing 1 dkim.missing:s1\n");
	/* A reload moves the domain to team=web while it fires: its reminder and its resolve
	 * still go where its trigger went, with the labels it fired with. */
	dom.labels = &web_team;
	EXPECT(a, "dkim.missing critical s1\n", false, false, 1200,
	       "ops firing 1 dkim.missing:s1\n"
	       "feed firing 1 dkim.missing:s1\n");
	EXPECT(a, "", false, false, 1300,
	       "ops resolved 1 dkim.missing:s1\n"
	       "feed resolved 1 dkim.missing:s1\n");
	/* It fires again: now with team=web, which ops does not take. */
	EXPECT(a, "dkim.missing critical s1\n", false, false, 1400,
	       "feed firing 1 dkim.missing:s1\n");
	alerting_free(a);
}
END_TEST

/* Rows the store has returned since interrupt_after_rows armed it (SQLITE_TRACE_ROW). */
static unsigned rows_seen, rows_allowed;

static int
count_row(unsigned what, void *arg, void *p, void *x)
{
	(void)what;
	(void)arg;
	(void)p;
	(void)x;
	rows_seen++;
	return 0;
}

static int
interrupt_when_seen(void *arg)
{
	(void)arg;
	/* SQLite also asks when it returns a row: the step after the nth row fails. */
	return rows_seen > rows_allowed;
}

/* Makes the store's next query fail (SQLITE_INTERRUPT) once it has returned n rows; n 0:
 * disarms it. */
static void
interrupt_after_rows(unsigned n)
{
	rows_seen = 0;
	rows_allowed = n;
	sqlite3_trace_v2(st->db, n ? SQLITE_TRACE_ROW : 0, n ? count_row : NULL, NULL);
	sqlite3_progress_handler(st->db, n ? 1 : 0, n ? interrupt_when_seen : NULL, NULL);
}

START_TEST(test_a_store_error_partway_through_the_known_states_fails_the_check_cleanly)
{
	struct alerting *a = alerting_new(out);
	struct findings f;
	char *err = NULL;

	EXPECT(a, "dkim.missing critical s1\ndkim.missing critical s2\n", true, false, 100,
	       "ops baseline 2 dkim.missing:s1,dkim.missing:s2\n"
	       "feed baseline 2 dkim.missing:s1,dkim.missing:s2\n");
	/* Reading the two stored states fails after the first: the check fails, queues
	 * nothing, and frees the state it had read (valgrind.test runs this). */
	findings_of("", &f);
	ck_assert_int_eq(store_begin(st, &err), 0);
	interrupt_after_rows(1);
	ck_assert_int_eq(alerting_check(a, st, &c, &dom, &f, false, false, 200, &err), -1);
	interrupt_after_rows(0);
	ck_assert_ptr_nonnull(strstr(err, "reading finding states: interrupted"));
	free(err);
	err = NULL;
	ck_assert_uint_eq(alerting_pending(a), 0);
	store_rollback(st);
	/* The same through forgetting the domain. */
	ck_assert_int_eq(store_begin(st, &err), 0);
	interrupt_after_rows(1);
	ck_assert_int_eq(alerting_forget(a, st, "example.com", &dom, 200, &err), -1);
	interrupt_after_rows(0);
	ck_assert_ptr_nonnull(strstr(err, "reading finding states: interrupted"));
	free(err);
	ck_assert_uint_eq(alerting_pending(a), 0);
	store_rollback(st);
	findings_clear(&f);
	alerting_free(a);
}
END_TEST

START_TEST(test_pagerduty_never_groups_the_resolver_alert_so_its_resolve_is_told)
{
	struct alerting *a = alerting_new(out);
	char *four = numbered("dkim.missing", "s", 4), *err = NULL, *got;

	use_pagerduty(1);
	EXPECT(a, "", true, false, 100, "");
	/* The resolver alert fires in the flush in which four alerts of a domain fire: they
	 * are a group, it has its own incident. */
	alerting_global(a, "resolver.unhealthy", "resolver", "most checks fail", false, 200, 200);
	EXPECT(a, four, false, false, 200,
	       "oncall firing trigger mxwatch/resolver.unhealthy\n"
	       "oncall firing trigger mxwatch/firing/#1 4\n");
	/* It resolves while the four still fire: its incident resolves now. */
	alerting_global(a, "resolver.unhealthy", "resolver", "checks succeed", true, 200, 300);
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_eq(alerting_flush(a, st, &c, 300, &err), 1);
	ck_assert_int_eq(store_commit(st, &err), 0);
	got = drain();
	ck_assert_str_eq(got, "oncall resolved resolve mxwatch/resolver.unhealthy\n");
	free(got);
	EXPECT(a, "", false, false, 400, "oncall resolved resolve mxwatch/firing/#1\n");
	free(four);
	alerting_free(a);
}
END_TEST

/* Runs a flush of what is queued at now; returns the notifications (see drain). */
static char *
flush_at(struct alerting *a, long long now)
{
	char *err = NULL;

	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_msg(alerting_flush(a, st, &c, now, &err) >= 0, "%s", err);
	ck_assert_int_eq(store_commit(st, &err), 0);
	return drain();
}

/* Tells whether the store says sink was told example.com's (rule, subject). */
static bool
told(const char *sink, const char *rule, const char *subject)
{
	char *err = NULL, *key = NULL;
	int rc = store_get_told(st, sink, "example.com", rule, subject, &key, &err);

	ck_assert_int_ge(rc, 0);
	free(key);
	return rc == 1;
}

START_TEST(test_webhook_resolves_go_to_the_sinks_told_the_fire_whatever_their_routing_is_now)
{
	struct alerting *a = alerting_new(out);

	c.alerting.confirm_after = 1;
	c.alerting.resolve_after = 1;
	sinks[0].min_severity = SEV_CRITICAL;
	EXPECT(a, "", true, false, 100, "");
	EXPECT(a, "spf.missing warning example.com.\n", false, false, 200,
	       "feed firing 1 spf.missing:example.com.\n");
	/* A reload: ops now takes warnings, feed only critical alerts. The resolve goes to
	 * feed, which was told the fire, and not to ops, which never was. */
	sinks[0].min_severity = SEV_WARNING;
	sinks[1].min_severity = SEV_CRITICAL;
	EXPECT(a, "", false, false, 300, "feed resolved 1 spf.missing:example.com.\n");
	ck_assert(!told("feed", "spf.missing", "example.com."));
	alerting_free(a);
}
END_TEST

START_TEST(test_pagerduty_never_gets_a_resolve_of_what_it_was_never_told)
{
	struct alerting *a = alerting_new(out);

	use_pagerduty(2);
	sinks[0].min_severity = SEV_CRITICAL;
	EXPECT(a, "", true, false, 100, "");
	EXPECT(a, "spf.missing warning example.com.\n", false, false, 200,
	       "feed firing 1 spf.missing:example.com.\n");
	/* oncall takes warnings now, but was never told of this one. */
	sinks[0].min_severity = SEV_WARNING;
	EXPECT(a, "", false, false, 300, "feed resolved 1 spf.missing:example.com.\n");
	alerting_free(a);
}
END_TEST

/* Takes the store back to schema 5 (incidents, before it kept what every sink was told),
 * with what PagerDuty sinks were told in its incidents, and, since (not 0), the resolver's
 * outage; then opens it, as an upgrade does. */
static void
store_of_schema_5(long long since)
{
	sqlite3 *h;
	char *path = xasprintf("%s/state.db", dir), *sql, *msg = NULL, *err = NULL;

	store_close(st);
	ck_assert_int_eq(sqlite3_open(path, &h), SQLITE_OK);
	sql = xasprintf(
	    "CREATE TABLE incidents (sink TEXT NOT NULL, domain TEXT NOT NULL, rule TEXT NOT "
	    "NULL, subject TEXT NOT NULL, dedup_key TEXT NOT NULL, opened_at INTEGER NOT NULL, "
	    "PRIMARY KEY (sink, domain, rule, subject)); CREATE INDEX incidents_by_key ON "
	    "incidents(sink, dedup_key); INSERT INTO incidents SELECT t.sink, t.domain, t.rule, "
	    "t.subject, t.dedup_key, t.told_at FROM told t WHERE t.sink = 'oncall'; DROP TABLE "
	    "told; DELETE FROM meta; INSERT INTO meta VALUES ('resolver_unhealthy_since', %lld); "
	    "PRAGMA user_version = 5",
	    since);
	ck_assert_msg(sqlite3_exec(h, sql, NULL, NULL, &msg) == SQLITE_OK, "%s", msg);
	sqlite3_close(h);
	ck_assert_msg(store_open(path, &st, &err) == 0, "%s", err);
	free(sql);
	free(path);
}

START_TEST(test_after_an_upgrade_what_fired_before_resolves_by_routing_and_old_keys_too)
{
	struct alerting *a = alerting_new(out);
	char *got;

	use_pagerduty(2);
	EXPECT(a, "", true, false, 100, "");
	EXPECT(a, "dkim.missing critical s1\n", false, false, 200,
	       "oncall firing trigger example.com/dkim.missing/s1\n"
	       "feed firing 1 dkim.missing:s1\n");
	/* mxwatch is upgraded while the alert fires, and while the resolver's outage, told
	 * under its key of before, lasts. */
	store_of_schema_5(150);
	alerting_global(a, "resolver.unhealthy", "resolver", "checks succeed", true, 150, 250);
	got = flush_at(a, 250);
	ck_assert_str_eq(got, "oncall resolved resolve mxwatch/resolver.unhealthy\n"
			      "oncall resolved resolve /resolver.unhealthy/resolver\n"
			      "feed resolved 1 resolver.unhealthy:resolver\n");
	free(got);
	/* The alert resolves: PagerDuty by its incident, feed by its routing. */
	EXPECT(a, "", false, false, 300,
	       "oncall resolved resolve example.com/dkim.missing/s1\n"
	       "feed resolved 1 dkim.missing:s1\n");
	ck_assert(!told(STORE_TOLD_BEFORE, "dkim.missing", "s1"));
	/* The resolver's outage is over: a second resolve reaches no one. */
	alerting_global(a, "resolver.unhealthy", "resolver", "checks succeed", true, 150, 350);
	got = flush_at(a, 350);
	ck_assert_str_eq(got, "");
	free(got);
	alerting_free(a);
}
END_TEST

START_TEST(test_what_a_renamed_pagerduty_sink_was_told_follows_it)
{
	struct alerting *a = alerting_new(out);
	char *five = numbered("dkim.missing", "s", 5);

	use_pagerduty(1);
	EXPECT(a, "", true, false, 100, "");
	EXPECT(a, five, false, false, 200, "oncall firing trigger mxwatch/firing/#1 5\n");
	/* A reload renames the sink; its destination is the same: its incident resolves. */
	sinks[0].name = pager;
	EXPECT(a, "", false, false, 300, "pager resolved resolve mxwatch/firing/#1\n");
	ck_assert(!told("oncall", "dkim.missing", "s01"));
	ck_assert(!told("pager", "dkim.missing", "s01"));
	free(five);
	alerting_free(a);
}
END_TEST

START_TEST(test_what_a_removed_sink_was_told_is_forgotten)
{
	struct alerting *a = alerting_new(out);

	c.alerting.confirm_after = 1;
	c.alerting.resolve_after = 1;
	EXPECT(a, "", true, false, 100, "");
	EXPECT(a, "dkim.missing critical s1\n", false, false, 200,
	       "ops firing 1 dkim.missing:s1\n"
	       "feed firing 1 dkim.missing:s1\n");
	/* A reload removes ops: no sink has its destination now. */
	c.sinks = &sinks[1];
	c.nsinks = 1;
	EXPECT(a, "dkim.missing critical s1\ndkim.missing critical s2\n", false, false, 300,
	       "feed firing 1 dkim.missing:s2\n");
	ck_assert(!told("ops", "dkim.missing", "s1"));
	ck_assert(told("feed", "dkim.missing", "s1"));
	/* It comes back with another destination: it was not told of s1, nor of s2. */
	sinks[0].url = ops2_url;
	c.sinks = sinks;
	c.nsinks = 2;
	EXPECT(a, "", false, false, 400,
	       "feed resolved 1 dkim.missing:s1\n"
	       "feed resolved 1 dkim.missing:s2\n");
	alerting_free(a);
}
END_TEST

/* Returns the outbox as "sink kind WHAT state" lines, in id order, WHAT being the rule and
 * subject of a webhook's first alert, or a Slack message's text. */
static char *
outbox_rows(void)
{
	sqlite3_stmt *s;
	char *text = xstrdup(""), *next;

	ck_assert_int_eq(
	    sqlite3_prepare_v2(st->db,
			       "SELECT sink, kind, coalesce(json_extract(payload, "
			       "'$.alerts[0].rule') || ':' || json_extract(payload, "
			       "'$.alerts[0].subject'), json_extract(payload, '$.text')), "
			       "state FROM outbox ORDER BY id",
			       -1, &s, NULL),
	    SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		next = xasprintf("%s%s %s %s %s\n", text, sqlite3_column_text(s, 0),
				 sqlite3_column_text(s, 1), sqlite3_column_text(s, 2),
				 sqlite3_column_text(s, 3));
		free(text);
		text = next;
	}
	sqlite3_finalize(s);
	return text;
}

/* Runs one check at now and a flush into the outbox; asserts that the outbox holds want
 * (see outbox_rows). */
static void
expect_outbox(struct alerting *a, const char *found, long long now, const char *want)
{
	char *got = cycle(a, found, false, false, now);

	ck_assert_str_eq(got, ""); /* nothing printed: it all went into the outbox */
	free(got);
	got = outbox_rows();
	ck_assert_str_eq(got, want);
	free(got);
}

/* Fires example.com's dkim.missing for s1 to ops and feed, leaving both unsent. */
static struct alerting *
fire_unsent(void)
{
	struct alerting *a = alerting_new(NULL);

	c.alerting.confirm_after = 1;
	c.alerting.resolve_after = 1;
	expect_outbox(a, "", 100, "");
	expect_outbox(a, "dkim.missing critical s1\n", 200,
		      "ops firing dkim.missing:s1 pending\n"
		      "feed firing dkim.missing:s1 pending\n");
	return a;
}

START_TEST(test_what_a_renamed_webhook_sink_was_told_and_had_not_sent_follows_it)
{
	struct alerting *a = fire_unsent();

	/* A reload renames ops; its destination is the same: its unsent fire and its resolve
	 * both go to web. */
	sinks[0].name = web;
	expect_outbox(a, "", 300,
		      "web firing dkim.missing:s1 pending\n"
		      "feed firing dkim.missing:s1 pending\n"
		      "web resolved dkim.missing:s1 pending\n"
		      "feed resolved dkim.missing:s1 pending\n");
	ck_assert(!told("ops", "dkim.missing", "s1"));
	ck_assert(!told("web", "dkim.missing", "s1"));
	alerting_free(a);
}
END_TEST

/* A Slack sink ops alone, which was told dkim.missing firing at 200 and has not sent it. */
static struct alerting *
slack_fire_unsent(void)
{
	struct alerting *a = alerting_new(NULL);

	sinks[0].type = CFG_SINK_SLACK;
	c.nsinks = 1;
	c.alerting.confirm_after = 1;
	c.alerting.resolve_after = 1;
	expect_outbox(a, "", 100, "");
	expect_outbox(a, "dkim.missing critical s1\n", 200,
		      "ops firing CRITICAL dkim.missing example.com: s1 is wrong pending\n");
	return a;
}

START_TEST(test_what_a_renamed_slack_sink_was_told_and_had_not_sent_follows_it)
{
	struct alerting *a = slack_fire_unsent();

	/* A reload renames the Slack sink; its destination is the same: its unsent fire and
	 * its resolve both go to team. */
	sinks[0].name = team;
	expect_outbox(
	    a, "", 300,
	    "team firing CRITICAL dkim.missing example.com: s1 is wrong pending\n"
	    "team resolved Resolved dkim.missing example.com after 1m: s1 is wrong pending\n");
	ck_assert(!told("ops", "dkim.missing", "s1"));
	ck_assert(!told("team", "dkim.missing", "s1"));
	alerting_free(a);
}
END_TEST

START_TEST(test_a_renamed_sink_takes_its_unsent_resolve_when_nothing_it_was_told_is_left)
{
	struct alerting *a = slack_fire_unsent();

	/* It resolves before Slack took either: the told table has nothing of ops left. */
	expect_outbox(
	    a, "", 300,
	    "ops firing CRITICAL dkim.missing example.com: s1 is wrong pending\n"
	    "ops resolved Resolved dkim.missing example.com after 1m: s1 is wrong pending\n");
	ck_assert(!told("ops", "dkim.missing", "s1"));
	/* A reload renames it, the same destination: both unsent notifications follow. */
	sinks[0].name = team;
	expect_outbox(
	    a, "", 400,
	    "team firing CRITICAL dkim.missing example.com: s1 is wrong pending\n"
	    "team resolved Resolved dkim.missing example.com after 1m: s1 is wrong pending\n");
	alerting_free(a);
}
END_TEST

START_TEST(test_sinks_that_swap_destinations_swap_what_they_were_told_and_had_not_sent)
{
	struct alerting *a = alerting_new(NULL);

	c.alerting.confirm_after = 1;
	c.alerting.resolve_after = 1;
	expect_outbox(a, "", 100, "");
	/* a fires to ops alone, then b to feed alone. */
	sinks[1].min_severity = SEV_CRITICAL;
	expect_outbox(a, "spf.missing warning a\n", 200, "ops firing spf.missing:a pending\n");
	sinks[0].min_severity = SEV_CRITICAL;
	sinks[1].min_severity = SEV_WARNING;
	expect_outbox(a, "spf.missing warning a\nspf.missing warning b\n", 300,
		      "ops firing spf.missing:a pending\n"
		      "feed firing spf.missing:b pending\n");
	/* A reload swaps their URLs: what each was told, and its unsent fire, go with its
	 * destination, to the other name. */
	sinks[0].url = feed_url;
	sinks[1].url = ops_url;
	expect_outbox(a, "", 400,
		      "feed firing spf.missing:a pending\n"
		      "ops firing spf.missing:b pending\n"
		      "ops resolved spf.missing:b pending\n"
		      "feed resolved spf.missing:a pending\n");
	ck_assert(!told("ops", "spf.missing", "a"));
	ck_assert(!told("feed", "spf.missing", "b"));
	alerting_free(a);
}
END_TEST

START_TEST(test_a_renamed_sink_keeps_what_it_was_told_when_a_new_sink_takes_its_name)
{
	struct alerting *a = fire_unsent();

	/* A reload renames ops to web (the same URL) and adds a new ops (another URL): web
	 * has what ops was told and had not sent; the new ops was told nothing. */
	sinks[2] = sinks[0];
	sinks[2].name = web;
	sinks[0].url = ops2_url;
	c.nsinks = 3;
	expect_outbox(a, "", 300,
		      "web firing dkim.missing:s1 pending\n"
		      "feed firing dkim.missing:s1 pending\n"
		      "feed resolved dkim.missing:s1 pending\n"
		      "web resolved dkim.missing:s1 pending\n");
	alerting_free(a);
}
END_TEST

START_TEST(test_a_sink_given_another_destination_keeps_what_it_was_told_and_had_not_sent)
{
	struct alerting *a = fire_unsent();

	/* No sink has ops's URL of before any more: ops itself, at its new URL, gets its
	 * unsent fire and the resolve. */
	sinks[0].url = ops2_url;
	expect_outbox(a, "", 300,
		      "ops firing dkim.missing:s1 pending\n"
		      "feed firing dkim.missing:s1 pending\n"
		      "ops resolved dkim.missing:s1 pending\n"
		      "feed resolved dkim.missing:s1 pending\n");
	alerting_free(a);
}
END_TEST

START_TEST(test_what_a_removed_sink_had_not_sent_is_given_up)
{
	struct alerting *a = fire_unsent();
	sqlite3_stmt *s;

	/* A reload removes ops with its destination: its unsent fire can never be sent. */
	c.sinks = &sinks[1];
	c.nsinks = 1;
	expect_outbox(a, "", 300,
		      "ops firing dkim.missing:s1 dead\n"
		      "feed firing dkim.missing:s1 pending\n"
		      "feed resolved dkim.missing:s1 pending\n");
	ck_assert_int_eq(sqlite3_prepare_v2(st->db,
					    "SELECT last_error FROM outbox WHERE sink = 'ops'", -1,
					    &s, NULL),
			 SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(s, 0),
			 "given up: the sink is no longer configured and no sink has its "
			 "destination");
	sqlite3_finalize(s);
	ck_assert(!told("ops", "dkim.missing", "s1"));
	alerting_free(a);
}
END_TEST

START_TEST(test_pagerduty_fresh_fire_is_not_swallowed_by_a_stale_key_which_resolves_when_empty)
{
	struct alerting *a = alerting_new(out);
	char *err = NULL, *old = NULL;
	int64_t left;

	use_pagerduty(1);
	EXPECT(a, "", true, false, 100, "");
	/* A key left from before covers two alerts that are not firing. */
	for (int i = 1; i <= 2; i++) {
		char subject[8];

		snprintf(subject, sizeof(subject), "s%d", i);
		ck_assert_int_eq(store_put_told(st, "oncall", NULL, "example.com", "dkim.missing",
						subject, "mxwatch/firing/mxw_0123456789abcdef", 100,
						&old, &left, &err),
				 0);
	}
	/* s1 fires: its own incident; the stale key still covers s2. */
	EXPECT(a, "dkim.missing critical s1\n", false, false, 200,
	       "oncall firing trigger example.com/dkim.missing/s1\n");
	/* s2 fires: its own incident, and the stale key, covering nothing now, resolves. */
	EXPECT(a, "dkim.missing critical s1\ndkim.missing critical s2\n", false, false, 300,
	       "oncall firing trigger example.com/dkim.missing/s2\n"
	       "oncall resolved resolve mxwatch/firing/#1\n");
	ck_assert_str_eq(groups[0], "mxwatch/firing/mxw_0123456789abcdef");
	EXPECT(a, "", false, false, 400,
	       "oncall resolved resolve example.com/dkim.missing/s1\n"
	       "oncall resolved resolve example.com/dkim.missing/s2\n");
	alerting_free(a);
}
END_TEST

/* The Slack sink of the flapping test: its URL is a secret too. */
#define CHAT_PATH "/slack/alertingCHAT7d21"
static char chat[] = "chat", chat_url[] = "http://127.0.0.1:9" CHAT_PATH;

/* Returns the outbox rows after *last as "SINK KIND DEDUP_KEY" lines ("-" for no key), their
 * payloads in bodies (in order, up to nbodies; caller decrefs), and moves *last on. */
static char *
outbox_after(int64_t *last, json_t **bodies, size_t nbodies)
{
	sqlite3_stmt *q;
	char *text = xstrdup(""), *next;
	size_t n = 0;

	ck_assert_int_eq(sqlite3_prepare_v2(st->db,
					    "SELECT id, sink, kind, dedup_key, payload FROM outbox "
					    "WHERE id > ?1 ORDER BY id",
					    -1, &q, NULL),
			 SQLITE_OK);
	sqlite3_bind_int64(q, 1, *last);
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(q, 3);

		*last = sqlite3_column_int64(q, 0);
		next = xasprintf("%s%s %s %s\n", text, sqlite3_column_text(q, 1),
				 sqlite3_column_text(q, 2), key != NULL && key[0] ? key : "-");
		free(text);
		text = next;
		if (n < nbodies) {
			bodies[n] = json_loads((const char *)sqlite3_column_text(q, 4), 0, NULL);
			ck_assert_ptr_nonnull(bodies[n++]);
		}
	}
	sqlite3_finalize(q);
	return text;
}

/* Runs one check of the alerting with the outbox (a queue, not a dry run) at now, the
 * finding there (failing) or not; returns the rows it queued (see outbox_after). */
static char *
flip(struct alerting *a, bool failing, long long now, int64_t *last, json_t **bodies,
     size_t nbodies)
{
	struct findings f;
	char *err = NULL;

	findings_of(failing ? "dkim.missing critical s1._domainkey.example.com.\n" : "", &f);
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_msg(alerting_check(a, st, &c, &dom, &f, false, false, now, &err) == 0, "%s", err);
	ck_assert_int_ge(alerting_flush(a, st, &c, now, &err), 0);
	ck_assert_int_eq(store_commit(st, &err), 0);
	findings_clear(&f);
	return outbox_after(last, bodies, nbodies);
}

/* Returns a string member of o reached through a path of members ("payload.summary"). */
static const char *
member(const json_t *o, const char *path)
{
	char *copy = xstrdup(path), *save = NULL;
	const json_t *v = o;

	for (char *m = strtok_r(copy, ".", &save); m; m = strtok_r(NULL, ".", &save))
		v = isdigit((unsigned char)m[0]) ? json_array_get(v, (size_t)atoi(m))
						 : json_object_get(v, m);
	free(copy);
	ck_assert_msg(json_is_string(v), "%s is no string", path);
	return json_string_value(v);
}

START_TEST(test_flapping_is_told_once_to_every_sink_kind_and_resolved_once_it_calms)
{
	struct alerting *a = alerting_new(NULL);
	struct cfg_sink four[4];
	const char *key = "example.com/dkim.missing/s1._domainkey.example.com.";
	const char *fire = "ops firing -\nfeed firing -\nchat firing -\n"
			   "oncall firing example.com/dkim.missing/s1._domainkey.example.com.\n";
	const char *resolve =
	    "ops resolved -\nfeed resolved -\nchat resolved -\n"
	    "oncall resolved example.com/dkim.missing/s1._domainkey.example.com.\n";
	json_t *b[4];
	int64_t last = 0;
	long long now = 1000;
	char *got;

	/* Each kind of sink: a native webhook, an Alertmanager webhook, Slack, PagerDuty. */
	memset(four, 0, sizeof(four));
	four[0] = (struct cfg_sink){.name = ops,
				    .type = CFG_SINK_WEBHOOK,
				    .format = CFG_FORMAT_NATIVE,
				    .url = ops_url,
				    .min_severity = SEV_WARNING};
	four[1] = (struct cfg_sink){.name = feed,
				    .type = CFG_SINK_WEBHOOK,
				    .format = CFG_FORMAT_ALERTMANAGER,
				    .url = feed_url,
				    .min_severity = SEV_WARNING};
	four[2] = (struct cfg_sink){
	    .name = chat, .type = CFG_SINK_SLACK, .url = chat_url, .min_severity = SEV_WARNING};
	four[3] = (struct cfg_sink){
	    .name = oncall, .type = CFG_SINK_PAGERDUTY, .url = pd_url, .min_severity = SEV_WARNING};
	c.sinks = four;
	c.nsinks = 4;
	c.alerting.confirm_after = 1;
	c.alerting.resolve_after = 1;
	EXPECT(a, "", true, false, now, "");

	/* Nine checks flip it (percent state change up to 45%, under the 50% at which
	 * flapping starts): each fire and each resolve goes to every sink. */
	for (int i = 1; i <= 9; i++) {
		got = flip(a, i % 2 == 1, now += 60, &last, NULL, 0);
		ck_assert_msg(strcmp(got, i % 2 == 1 ? fire : resolve) == 0, "check %d: %s", i,
			      got);
		free(got);
	}

	/* The tenth flip (it passes; 50.2%): one flapping notice a sink, a firing one. */
	got = flip(a, false, now += 60, &last, b, 4);
	ck_assert_str_eq(got, fire);
	free(got);
	/* mxwatch.v1: the alert, flapping, not ended. */
	ck_assert_str_eq(member(b[0], "kind"), "firing");
	ck_assert_int_eq(json_integer_value(json_object_get(b[0], "total")), 1);
	ck_assert_uint_eq(json_array_size(json_object_get(b[0], "alerts")), 1);
	ck_assert_str_eq(member(b[0], "alerts.0.dedup_key"), key);
	ck_assert_str_eq(member(b[0], "alerts.0.rule"), "dkim.missing");
	ck_assert(json_is_true(
	    json_object_get(json_array_get(json_object_get(b[0], "alerts"), 0), "flapping")));
	ck_assert(json_is_false(
	    json_object_get(json_array_get(json_object_get(b[0], "alerts"), 0), "reminder")));
	ck_assert(json_is_null(
	    json_object_get(json_array_get(json_object_get(b[0], "alerts"), 0), "ended")));
	/* Alertmanager has no word for flapping: the alert is firing, under its own key, with
	 * an annotation that says it flaps. */
	ck_assert_str_eq(member(b[1], "status"), "firing");
	ck_assert_str_eq(member(b[1], "alerts.0.annotations.flapping"),
			 "it keeps flipping between failing and passing, so it is notified once "
			 "until it settles");
	ck_assert_str_eq(member(b[1], "groupKey"), key);
	ck_assert_str_eq(member(b[1], "alerts.0.status"), "firing");
	ck_assert_str_eq(member(b[1], "alerts.0.labels.alertname"), "dkim.missing");
	ck_assert_str_eq(member(b[1], "alerts.0.endsAt"), "0001-01-01T00:00:00Z");
	/* Slack: the flapping header, the note in the section, and the fallback text. */
	ck_assert_str_eq(member(b[2], "blocks.0.type"), "header");
	ck_assert_str_eq(member(b[2], "blocks.0.text.text"),
			 "Flapping, CRITICAL: dkim.missing on example.com");
	ck_assert_str_eq(member(b[2], "blocks.1.text.text"),
			 "s1._domainkey.example.com. is wrong\n_Flapping: it keeps flipping "
			 "between failing and passing, so it is notified once until it settles._");
	ck_assert_str_eq(member(b[2], "text"),
			 "CRITICAL dkim.missing example.com flapping: s1._domainkey.example.com. "
			 "is wrong (notified once)");
	/* PagerDuty: a trigger of the alert's own incident, marked flapping. */
	ck_assert_str_eq(member(b[3], "event_action"), "trigger");
	ck_assert_str_eq(member(b[3], "dedup_key"), key);
	ck_assert_str_eq(member(b[3], "payload.summary"),
			 "CRITICAL dkim.missing example.com flapping: s1._domainkey.example.com. "
			 "is wrong (notified once)");
	ck_assert_str_eq(member(b[3], "payload.severity"), "critical");
	ck_assert_str_eq(member(b[3], "payload.source"), "example.com");
	ck_assert(json_is_true(json_object_get(
	    json_object_get(json_object_get(b[3], "payload"), "custom_details"), "flapping")));
	for (int i = 0; i < 4; i++)
		json_decref(b[i]);

	/* Six more flips, then it passes: nothing until it calms (under 25%, at the 15th
	 * passing check), then one resolve a sink, and nothing after. */
	for (int i = 11; i <= 30; i++) {
		got = flip(a, i <= 16 && i % 2 == 1, now += 60, &last, NULL, 0);
		ck_assert_msg(strcmp(got, "") == 0, "check %d: %s", i, got);
		free(got);
	}
	got = flip(a, false, now += 60, &last, b, 4);
	ck_assert_str_eq(got, resolve);
	free(got);
	ck_assert_str_eq(member(b[0], "kind"), "resolved");
	ck_assert(json_is_false(
	    json_object_get(json_array_get(json_object_get(b[0], "alerts"), 0), "flapping")));
	ck_assert_str_eq(member(b[1], "alerts.0.status"), "resolved");
	ck_assert_str_eq(member(b[2], "blocks.0.text.text"),
			 "Resolved: dkim.missing on example.com");
	ck_assert_str_eq(member(b[3], "event_action"), "resolve");
	ck_assert_str_eq(member(b[3], "dedup_key"), key);
	ck_assert_ptr_null(json_object_get(b[3], "payload"));
	for (int i = 0; i < 4; i++)
		json_decref(b[i]);
	for (int i = 32; i <= 40; i++) {
		got = flip(a, false, now += 60, &last, NULL, 0);
		ck_assert_msg(strcmp(got, "") == 0, "check %d: %s", i, got);
		free(got);
	}
	alerting_free(a);
}
END_TEST

/* Counts a finding state (store_get_alerts callback). */
static int
count_state(const struct store_alert *sa, void *arg)
{
	(void)sa;
	++*(size_t *)arg;
	return 0;
}

/* Returns how many finding states the store keeps for example.com. */
static size_t
states(void)
{
	size_t n = 0;
	char *err = NULL;

	ck_assert_int_eq(store_get_alerts(st, "example.com", count_state, &n, &err), 0);
	return n;
}

/* Tells whether the store says the baseline of domain waits. */
static bool
baseline_held(const char *domain)
{
	bool held = false;
	char *err = NULL;

	ck_assert_int_eq(store_get_baseline_held(st, domain, &held, &err), 0);
	return held;
}

START_TEST(test_a_held_first_check_queues_nothing_and_the_next_clean_one_is_the_baseline)
{
	struct alerting *a = alerting_new(out);

	use_pagerduty(2);
	/* The resolver is down during the first checks: what they found is told to no one,
	 * kept nowhere, and no baseline is taken. */
	EXPECT(a,
	       "dns.lookup-failed warning example.com.\nmx.missing critical example.com.\n"
	       "dns.changed info example.com.\n",
	       true, true, 100, "");
	ck_assert_uint_eq(states(), 0);
	ck_assert(baseline_held("example.com"));
	EXPECT(a, "dns.lookup-failed warning example.com.\nmx.missing critical example.com.\n",
	       true, true, 200, "");
	ck_assert_uint_eq(states(), 0);
	ck_assert(baseline_held("example.com"));
	/* DNS answers again: the problems there are go out as one baseline digest a sink. */
	EXPECT(a, "mx.missing critical example.com.\nspf.missing warning example.com.\n", true,
	       false, 300,
	       "oncall baseline trigger mxwatch/baseline/#1 2\n"
	       "feed baseline 2 mx.missing:example.com.,spf.missing:example.com.\n");
	ck_assert(!baseline_held("example.com"));
	ck_assert_uint_eq(states(), 2);
	/* Once it is taken, a new problem is an alert of its own. */
	EXPECT(a,
	       "mx.missing critical example.com.\nspf.missing warning example.com.\n"
	       "dkim.missing critical s1\n",
	       false, false, 400,
	       "oncall firing trigger example.com/dkim.missing/s1\n"
	       "feed firing 1 dkim.missing:s1\n");
	alerting_free(a);
}
END_TEST

START_TEST(test_no_baseline_waits_after_an_upgrade)
{
	sqlite3 *h;
	char *path = xasprintf("%s/state.db", dir), *msg = NULL, *err = NULL;

	/* A store of schema 6, whose domains all took their baseline with their first check. */
	store_close(st);
	ck_assert_int_eq(sqlite3_open(path, &h), SQLITE_OK);
	ck_assert_msg(sqlite3_exec(h,
				   "DROP TABLE baseline_held; INSERT INTO domains (name, added_at, "
				   "last_check, snapshot) VALUES ('example.com', 10, 500, '{}'); "
				   "PRAGMA user_version = 6",
				   NULL, NULL, &msg) == SQLITE_OK,
		      "%s", msg);
	sqlite3_close(h);
	ck_assert_msg(store_open(path, &st, &err) == 0, "%s", err);
	free(path);
	ck_assert(!baseline_held("example.com"));
	ck_assert(!baseline_held("unknown.example"));
	ck_assert_int_eq(store_set_baseline_held(st, "example.com", true, 600, &err), 0);
	ck_assert(baseline_held("example.com"));
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
	tcase_add_test(tc, test_pagerduty_group_is_one_incident_resolved_with_its_last_alert);
	tcase_add_test(tc, test_pagerduty_gets_a_resolve_for_every_alert_when_many_resolve_at_once);
	tcase_add_test(tc, test_pagerduty_baseline_incident_resolves_with_its_last_alert);
	tcase_add_test(tc, test_pagerduty_incidents_resolve_when_the_domain_is_no_longer_watched);
	tcase_add_test(tc,
		       test_pagerduty_reminders_trigger_their_incident_and_changes_hold_none_open);
	tcase_add_test(tc, test_resolver_alert_reaches_sinks_with_label_matchers);
	tcase_add_test(tc, test_pagerduty_never_groups_the_resolver_alert_so_its_resolve_is_told);
	tcase_add_test(tc, test_webhook_carries_every_alert_of_a_group);
	tcase_add_test(tc, test_more_alerts_than_one_webhook_message_holds_go_as_several);
	tcase_add_test(
	    tc, test_an_alert_that_resolves_and_fires_again_in_one_batch_is_told_in_that_order);
	tcase_add_test(tc, test_resolves_of_a_domain_no_longer_configured_keep_its_labels);
	tcase_add_test(tc, test_an_alert_keeps_the_labels_it_fired_with_until_it_resolves);
	tcase_add_test(tc,
		       test_a_store_error_partway_through_the_known_states_fails_the_check_cleanly);
	tcase_add_test(
	    tc, test_webhook_resolves_go_to_the_sinks_told_the_fire_whatever_their_routing_is_now);
	tcase_add_test(tc, test_pagerduty_never_gets_a_resolve_of_what_it_was_never_told);
	tcase_add_test(
	    tc, test_after_an_upgrade_what_fired_before_resolves_by_routing_and_old_keys_too);
	tcase_add_test(tc, test_what_a_renamed_pagerduty_sink_was_told_follows_it);
	tcase_add_test(tc, test_what_a_removed_sink_was_told_is_forgotten);
	tcase_add_test(tc, test_what_a_renamed_webhook_sink_was_told_and_had_not_sent_follows_it);
	tcase_add_test(tc, test_what_a_renamed_slack_sink_was_told_and_had_not_sent_follows_it);
	tcase_add_test(tc,
		       test_sinks_that_swap_destinations_swap_what_they_were_told_and_had_not_sent);
	tcase_add_test(tc,
		       test_a_renamed_sink_keeps_what_it_was_told_when_a_new_sink_takes_its_name);
	tcase_add_test(
	    tc, test_a_sink_given_another_destination_keeps_what_it_was_told_and_had_not_sent);
	tcase_add_test(tc, test_what_a_removed_sink_had_not_sent_is_given_up);
	tcase_add_test(
	    tc, test_a_renamed_sink_takes_its_unsent_resolve_when_nothing_it_was_told_is_left);
	tcase_add_test(
	    tc, test_a_held_first_check_queues_nothing_and_the_next_clean_one_is_the_baseline);
	tcase_add_test(tc, test_no_baseline_waits_after_an_upgrade);
	tcase_add_test(
	    tc,
	    test_pagerduty_fresh_fire_is_not_swallowed_by_a_stale_key_which_resolves_when_empty);
	tcase_add_test(tc,
		       test_flapping_is_told_once_to_every_sink_kind_and_resolved_once_it_calms);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(alerting_suite());
	int failed;

	log_set_level(LOG_LEVEL_ERR); /* the state changes it logs are expected */
	testsecret("check_alerting", "ops_url", ops_url);
	testsecret("check_alerting", "ops_url_path", OPS_PATH);
	testsecret("check_alerting", "feed_url", feed_url);
	testsecret("check_alerting", "feed_url_path", FEED_PATH);
	testsecret("check_alerting", "pagerduty_url", pd_url);
	testsecret("check_alerting", "pagerduty_url_path", PD_PATH);
	testsecret("check_alerting", "ops2_url", ops2_url);
	testsecret("check_alerting", "ops2_url_path", OPS2_PATH);
	testsecret("check_alerting", "chat_url", chat_url);
	testsecret("check_alerting", "chat_url_path", CHAT_PATH);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
