/* Sink payloads: the exact bodies of Slack, PagerDuty and webhook messages (golden files in
 * tests/golden/sink/, one per case; MXW_GOLDEN_UPDATE=1 rewrites them), Slack's limits and
 * escaping, secrets kept out, the Standard Webhooks signature, and bad input. */
#include "config.h"

#include <check.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sink.h"
#include "sink_int.h"
#include "testns.h"
#include "testsecret.h"
#include "xmalloc.h"

/* Secrets of the fixture sinks: none may show up in a body, a header or an error. */
#define SLACK_URL "https://hooks.slack.example/services/T0/B0/SLACKURLSECRET"
#define PD_KEY "R0UTINGKEYSECRET0123456789abcdef"
#define HOOK_URL "https://hooks.example.net/mxwatch?token=HOOKURLSECRET"
#define HOOK_SECRET "whsec_SE9PS1NFQ1JFVGtleWJ5dGVzMDEyMzQ1Njc4OQ=="

#define T0 1709294400LL /* 2024-03-01T12:00:00Z */

/* A modifiable copy of a string literal, for the char * members of the configuration. */
#define S(lit) ((char[]){lit})

static struct cfg_label acme[] = {{S("customer"), S("acme")}, {S("tier"), S("gold")}};
static struct cfg_label acme_other[] = {{S("customer"), S("acme")}, {S("tier"), S("silver")}};

static struct cfg_sink slack = {.name = S("mail-ops"), .type = CFG_SINK_SLACK, .url = S(SLACK_URL)};
static struct cfg_sink pd = {
    .name = S("oncall"), .type = CFG_SINK_PAGERDUTY, .routing_key = S(PD_KEY)};
static struct cfg_sink am = {.name = S("audit"),
			     .type = CFG_SINK_WEBHOOK,
			     .url = S(HOOK_URL),
			     .secret = S(HOOK_SECRET),
			     .format = CFG_FORMAT_ALERTMANAGER};
static struct cfg_sink native = {.name = S("audit-native"),
				 .type = CFG_SINK_WEBHOOK,
				 .url = S(HOOK_URL),
				 .secret = S(HOOK_SECRET),
				 .format = CFG_FORMAT_NATIVE};

static char *mixed_ev[] = {S("example.com. 300 IN MX 10 aspmx.l.google.com."),
			   S("example.com. 300 IN MX 20 inbound-smtp.us-east-1.amazonaws.com.")};

/* example.com's MX mixes two mail systems: the alert most tests are about. */
static const struct notify_alert mixed = {
    .domain = "example.com",
    .rule = "mx.mixed-providers",
    .severity = SEV_CRITICAL,
    .subject = "example.com",
    .message = "part of the mail for example.com goes to Google Workspace and part to "
	       "Amazon SES",
    .evidence = mixed_ev,
    .nevidence = 2,
    .labels = acme,
    .nlabels = 2,
    .dedup_key = "example.com/mx.mixed-providers/example.com",
    .started = T0,
};

static char *ptr_ev[] = {S("10.113.0.203.in-addr.arpa. PTR 203-0-113-10.dyn.example.net.")};

/* A warning about the same domain. */
static const struct notify_alert generic_ptr = {
    .domain = "example.com",
    .rule = "ptr.generic",
    .severity = SEV_WARNING,
    .subject = "203.0.113.10",
    .message = "203.0.113.10 has a generic reverse name (203-0-113-10.dyn.example.net)",
    .evidence = ptr_ev,
    .nevidence = 1,
    .labels = acme,
    .nlabels = 2,
    .dedup_key = "example.com/ptr.generic/203.0.113.10",
    .started = T0 - 3600,
};

/* resolver.unhealthy: an alert of no domain, as alerting_global queues it. */
static const struct notify_alert unhealthy = {
    .domain = "",
    .rule = "resolver.unhealthy",
    .severity = SEV_CRITICAL,
    .subject = "resolver",
    .message = "most DNS checks are failing at once (the resolver or the network is down): "
	       "per-domain alerts are held until they succeed again",
    .started = T0,
};

/* Returns a notification of one alert. */
static struct notification
one(enum notify_kind kind, const struct notify_alert *a)
{
	struct notification n = {
	    .kind = kind, .at = T0 + 120, .id = "mxw_42", .alerts = a, .nalerts = 1, .total = 1};

	n.by_severity[a->severity] = 1;
	return n;
}

/* Alerts of a grouped notification: 10 shown, generated. */
struct many {
	struct notify_alert a[NOTIFY_MAX_SHOWN];
	char strings[NOTIFY_MAX_SHOWN][4][96];
	char *ev[NOTIFY_MAX_SHOWN][1];
};

/* Fills m with 10 alerts on d01.example ... d10.example, critical ones first. */
static void
many_fill(struct many *m, size_t ncritical)
{
	memset(m, 0, sizeof(*m));
	for (size_t i = 0; i < NOTIFY_MAX_SHOWN; i++) {
		struct notify_alert *a = &m->a[i];
		bool crit = i < ncritical;

		snprintf(m->strings[i][0], 96, "d%02zu.example", i + 1);
		snprintf(m->strings[i][1], 96, "%s/%s/%s", m->strings[i][0],
			 crit ? "mx.missing" : "dmarc.missing", m->strings[i][0]);
		snprintf(m->strings[i][2], 96, "%s has %s", m->strings[i][0],
			 crit ? "no MX: mail to it bounces" : "no DMARC record");
		snprintf(m->strings[i][3], 96, "%s%s TXT nxdomain", crit ? "" : "_dmarc.",
			 m->strings[i][0]);
		m->ev[i][0] = m->strings[i][3];
		a->domain = m->strings[i][0];
		a->rule = crit ? "mx.missing" : "dmarc.missing";
		a->severity = crit ? SEV_CRITICAL : SEV_WARNING;
		a->subject = m->strings[i][0];
		a->message = m->strings[i][2];
		a->evidence = m->ev[i];
		a->nevidence = 1;
		a->labels = i % 2 ? acme : acme_other;
		a->nlabels = 2;
		a->dedup_key = m->strings[i][1];
		a->started = T0;
	}
}

/* A notification standing for 25 alerts (5 critical, 20 warning); the first 10 are shown. */
static struct notification
grouped(const struct many *m)
{
	struct notification n = {.kind = NOTIFY_FIRING,
				 .at = T0 + 120,
				 .id = "mxw_43",
				 .alerts = m->a,
				 .nalerts = NOTIFY_MAX_SHOWN,
				 .total = 25,
				 .by_severity = {0, 20, 5}};

	return n;
}

/* Many generated alerts (n of them, every third critical), each with one evidence line of
 * evlen bytes. */
struct bulk {
	struct notify_alert *a;
	char **strings; /* 4 per alert: domain, key, message, evidence */
	char **ev;
	size_t n;
};

/* Fills b with n alerts on h0001.example and on. */
static void
bulk_fill(struct bulk *b, size_t n, size_t evlen)
{
	b->n = n;
	b->a = xcalloc(n, sizeof(*b->a));
	b->strings = xcalloc(4 * n, sizeof(*b->strings));
	b->ev = xcalloc(n, sizeof(*b->ev));
	for (size_t i = 0; i < n; i++) {
		struct notify_alert *a = &b->a[i];
		char **str = &b->strings[4 * i];

		str[0] = xasprintf("h%04zu.example", i + 1);
		str[1] = xasprintf("%s/dkim.missing/s1", str[0]);
		str[2] = xasprintf("%s has no DKIM key s1", str[0]);
		str[3] = xmalloc(evlen + 1);
		memset(str[3], 'x', evlen);
		str[3][evlen] = '\0';
		b->ev[i] = str[3];
		a->domain = str[0];
		a->rule = "dkim.missing";
		a->severity = i % 3 == 0 ? SEV_CRITICAL : SEV_WARNING;
		a->subject = "s1";
		a->message = str[2];
		a->evidence = &b->ev[i];
		a->nevidence = 1;
		a->labels = acme;
		a->nlabels = 2;
		a->dedup_key = str[1];
		a->started = T0;
	}
}

/* Frees what bulk_fill made. */
static void
bulk_free(struct bulk *b)
{
	for (size_t i = 0; i < 4 * b->n; i++)
		free(b->strings[i]);
	free(b->strings);
	free(b->ev);
	free(b->a);
}

/* Returns a firing notification of the alerts of b, standing for total. */
static struct notification
bulk_note(const struct bulk *b, size_t total)
{
	struct notification n = {.kind = NOTIFY_FIRING,
				 .at = T0 + 120,
				 .id = "mxw_50",
				 .alerts = b->a,
				 .nalerts = b->n,
				 .total = total};

	for (size_t i = 0; i < b->n; i++)
		n.by_severity[b->a[i].severity]++;
	n.by_severity[SEV_WARNING] += total - b->n;
	return n;
}

/* Returns the path of a golden file. */
static char *
golden_path(const char *name)
{
	const char *src = getenv("MXW_SRCDIR");

	return xasprintf("%s/tests/golden/sink/%s", src != NULL ? src : ".", name);
}

/* Compares got with the golden file name byte for byte, or rewrites the file when
 * MXW_GOLDEN_UPDATE=1. On a difference, says where (line, column) and shows both sides. */
static void
golden(const char *name, const char *got)
{
	char *path = golden_path(name), *want;
	const char *update = getenv("MXW_GOLDEN_UPDATE");
	size_t i = 0, line = 1, col = 1, from;

	if (update != NULL && strcmp(update, "1") == 0) {
		FILE *f = fopen(path, "wb");

		ck_assert_msg(f != NULL, "cannot write %s", path);
		fputs(got, f);
		fclose(f);
		free(path);
		return;
	}
	want = testns_slurp(path);
	ck_assert_msg(want != NULL, "missing golden file %s (MXW_GOLDEN_UPDATE=1 writes it)", path);
	while (want[i] != '\0' && want[i] == got[i]) {
		if (want[i] == '\n') {
			line++;
			col = 0;
		}
		col++;
		i++;
	}
	if (want[i] != got[i]) {
		from = i > 60 ? i - 60 : 0;
		fprintf(stderr,
			"%s:%zu:%zu: rendered body differs from the golden file\n"
			"  want: ...%.120s\n  got:  ...%.120s\n"
			"whole body:\n%s\n(MXW_GOLDEN_UPDATE=1 rewrites the golden files)\n",
			path, line, col, want + from, got + from, got);
		ck_abort_msg("%s differs at line %zu, column %zu", path, line, col);
	}
	free(want);
	free(path);
}

/* Renders n for s and returns the bodies, each followed by a newline. */
static char *
render(const struct cfg_sink *s, const struct notification *n, size_t *count)
{
	struct sink_msg *m = NULL;
	size_t nm = 0, len = 0;
	char *err = NULL, *all;

	ck_assert_int_eq(sink_render(s, n, &m, &nm, &err), 0);
	ck_assert_ptr_null(err);
	for (size_t i = 0; i < nm; i++)
		len += strlen(m[i].body) + 1;
	all = xmalloc(len + 1);
	all[0] = '\0';
	for (size_t i = 0; i < nm; i++) {
		json_error_t je;
		json_t *j = json_loads(m[i].body, 0, &je);

		ck_assert_msg(j != NULL, "body %zu is not JSON: %s", i, je.text);
		json_decref(j);
		strcat(all, m[i].body);
		strcat(all, "\n");
	}
	if (count != NULL)
		*count = nm;
	sink_msgs_free(m, nm);
	return all;
}

/* Renders n for s and compares the bodies with a golden file. */
static void
render_golden(const struct cfg_sink *s, const struct notification *n, const char *name)
{
	char *all = render(s, n, NULL);

	golden(name, all);
	free(all);
}

/* Returns the length of UTF-8 text in UTF-16 units, counted here independently. */
static size_t
utf16_len(const char *s)
{
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p != '\0';) {
		int len = *p < 0x80 ? 1 : *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : 4;

		n += len == 4 ? 2 : 1;
		p += len;
	}
	return n;
}

/* Returns the text of a text object, asserting its type and that it is not empty. */
static const char *
text_of(json_t *t, size_t max)
{
	const char *s = json_string_value(json_object_get(t, "text"));

	ck_assert_ptr_nonnull(s);
	ck_assert_msg(s[0] != '\0', "empty text");
	ck_assert_msg(utf16_len(s) <= max, "text of %zu units over %zu", utf16_len(s), max);
	return s;
}

/* Asserts that a Slack body keeps within Slack's limits. */
static void
assert_slack_limits(const char *body)
{
	json_t *o = json_loads(body, 0, NULL), *blocks, *b;
	size_t i;

	ck_assert_ptr_nonnull(o);
	ck_assert_uint_le(utf16_len(json_string_value(json_object_get(o, "text"))), 40000);
	blocks = json_object_get(o, "blocks");
	ck_assert_uint_ge(json_array_size(blocks), 1);
	ck_assert_uint_le(json_array_size(blocks), 50);
	json_array_foreach(blocks, i, b)
	{
		const char *type = json_string_value(json_object_get(b, "type"));
		json_t *f, *fields = json_object_get(b, "fields"),
			   *els = json_object_get(b, "elements");
		size_t j;

		if (strcmp(type, "header") == 0) {
			text_of(json_object_get(b, "text"), 150);
		} else if (strcmp(type, "section") == 0) {
			text_of(json_object_get(b, "text"), 3000);
			ck_assert_uint_le(json_array_size(fields), 10);
			json_array_foreach(fields, j, f) text_of(f, 2000);
		} else {
			ck_assert_str_eq(type, "context");
			ck_assert_uint_le(json_array_size(els), 10);
			json_array_foreach(els, j, f) text_of(f, 3000);
		}
	}
	json_decref(o);
}

START_TEST(test_slack_firing_single_critical)
{
	struct notification n = one(NOTIFY_FIRING, &mixed);
	char *body = render(&slack, &n, NULL);

	ck_assert_ptr_nonnull(strstr(body, "\"text\":\"CRITICAL mx.mixed-providers example.com: "
					   "part of the mail for example.com goes to"));
	assert_slack_limits(body);
	golden("slack-firing.json", body);
	free(body);
}
END_TEST

START_TEST(test_slack_resolved_says_how_long_it_fired)
{
	struct notify_alert a = mixed;
	struct notification n;
	char *body;

	a.ended = T0 + 2 * 3600 + 15 * 60;
	n = one(NOTIFY_RESOLVED, &a);
	n.at = a.ended;
	body = render(&slack, &n, NULL);
	ck_assert_ptr_nonnull(
	    strstr(body, "\"text\":\"Resolved mx.mixed-providers example.com after 2h 15m: "));
	golden("slack-resolved.json", body);
	free(body);
}
END_TEST

START_TEST(test_slack_reminder_and_flapping)
{
	struct notify_alert a = generic_ptr;
	struct notification n;
	char *body;

	a.reminder = true;
	n = one(NOTIFY_FIRING, &a);
	n.at = T0 + 4 * 3600;
	body = render(&slack, &n, NULL);
	ck_assert_ptr_nonnull(strstr(body, "still firing since 2024-03-01 11:00 UTC"));
	golden("slack-reminder.json", body);
	free(body);

	a.reminder = false;
	a.flapping = true;
	body = render(&slack, &n, NULL);
	ck_assert_ptr_nonnull(
	    strstr(body, "\"text\":\"WARNING ptr.generic example.com flapping: "));
	ck_assert_ptr_nonnull(strstr(body, "(notified once)\""));
	golden("slack-flapping.json", body);
	free(body);
}
END_TEST

START_TEST(test_slack_grouped_shows_ten_and_counts_the_rest)
{
	struct many m;
	struct notification n;
	char *body;
	json_t *o;

	many_fill(&m, 5);
	n = grouped(&m);
	body = render(&slack, &n, NULL);
	ck_assert_ptr_nonnull(
	    strstr(body, "\"text\":\"25 mail-DNS problems: 5 critical, 20 warning\""));
	ck_assert_ptr_nonnull(strstr(body, "\xe2\x80\xa6"
					   "and 15 more\""));
	o = json_loads(body, 0, NULL);
	/* The title, 10 alerts, the rest counted, the context. */
	ck_assert_uint_eq(json_array_size(json_object_get(o, "blocks")), 13);
	json_decref(o);
	assert_slack_limits(body);
	golden("slack-grouped.json", body);
	free(body);
}
END_TEST

START_TEST(test_slack_baseline_is_one_digest)
{
	const struct notify_alert alerts[] = {mixed,
					      generic_ptr,
					      {
						  .domain = "example.org",
						  .rule = "dmarc.missing",
						  .severity = SEV_WARNING,
						  .subject = "example.org",
						  .message = "example.org has no DMARC record",
						  .started = T0,
					      }};
	struct notification n = {.kind = NOTIFY_BASELINE,
				 .at = T0,
				 .id = "mxw_1",
				 .alerts = alerts,
				 .nalerts = 3,
				 .total = 3,
				 .by_severity = {0, 2, 1}};
	char *body = render(&slack, &n, NULL);

	ck_assert_ptr_nonnull(strstr(
	    body,
	    "\"text\":\"Baseline of 2 domains: 3 mail-DNS problems (1 critical, 2 warning)\""));
	golden("slack-baseline.json", body);
	free(body);

	/* One domain is named. */
	n.alerts = alerts + 1;
	n.nalerts = n.total = 1;
	n.by_severity[SEV_CRITICAL] = 0;
	n.by_severity[SEV_WARNING] = 1;
	body = render(&slack, &n, NULL);
	ck_assert_ptr_nonnull(
	    strstr(body, "\"text\":\"Baseline of example.com: 1 mail-DNS problem (1 warning)\""));
	free(body);
}
END_TEST

START_TEST(test_slack_escapes_dns_data_so_nothing_pings_or_links)
{
	char *ev[] = {S("example.com. TXT \"<!channel> urgent\""),
		      S("example.com. TXT \"<https://evil.example|bank> & <@U024BE7LH>\"")};
	struct notify_alert a = mixed;
	struct notification n;
	char *body;

	a.rule = "spf.syntax";
	a.subject = "<!here>";
	a.message = "the SPF record <!channel> is broken & see <https://evil.example|bank>";
	a.evidence = ev;
	a.nevidence = 2;
	n = one(NOTIFY_FIRING, &a);
	body = render(&slack, &n, NULL);
	ck_assert_ptr_null(strstr(body, "<!"));
	ck_assert_ptr_null(strstr(body, "<http"));
	ck_assert_ptr_null(strstr(body, "<@"));
	ck_assert_ptr_null(strstr(body, " & "));
	ck_assert_ptr_nonnull(strstr(body, "&lt;!channel&gt;"));
	ck_assert_ptr_nonnull(strstr(body, "&lt;https://evil.example|bank&gt; &amp; "));
	golden("slack-injection.json", body);
	free(body);

	/* The same in a list. */
	{
		struct notify_alert two[] = {a, a};
		struct notification g = {.kind = NOTIFY_FIRING,
					 .at = T0,
					 .id = "mxw_44",
					 .alerts = two,
					 .nalerts = 2,
					 .total = 2,
					 .by_severity = {0, 0, 2}};

		body = render(&slack, &g, NULL);
		ck_assert_ptr_null(strstr(body, "<!"));
		ck_assert_ptr_null(strstr(body, "<http"));
		free(body);
	}
}
END_TEST

/* Builds an alert with a message of msglen characters and nev evidence lines. */
static struct notify_alert
huge(char **ev, size_t nev, char *msg, size_t msglen, char *domain)
{
	struct notify_alert a = mixed;

	for (size_t i = 0; i < nev; i++)
		ev[i] = xasprintf("line %03zu: example.com. TXT \"v=spf1 include:_spf.example.net "
				  "&& <more> and more and more\"",
				  i + 1);
	for (size_t i = 0; i < msglen; i++)
		msg[i] = "mail & <dns> "[i % 13];
	msg[msglen] = '\0';
	/* A domain of 250 characters makes the header too long. */
	for (size_t i = 0; i < 250; i++)
		domain[i] = i % 50 == 49 ? '.' : 'a' + (char)(i % 26);
	domain[250] = '\0';
	a.domain = domain;
	a.message = msg;
	a.evidence = ev;
	a.nevidence = nev;
	return a;
}

START_TEST(test_slack_keeps_within_limits)
{
	char *ev[200], msg[10001], domain[251], *body;
	struct notify_alert a = huge(ev, 200, msg, 10000, domain), ten[NOTIFY_MAX_SHOWN];
	struct notification n = one(NOTIFY_FIRING, &a), g;

	body = render(&slack, &n, NULL);
	assert_slack_limits(body);
	ck_assert_ptr_nonnull(strstr(body, "\xe2\x80\xa6 190 more"));
	golden("slack-limits.json", body);
	free(body);

	/* Ten such alerts of 500. */
	for (size_t i = 0; i < NOTIFY_MAX_SHOWN; i++)
		ten[i] = a;
	g = (struct notification){.kind = NOTIFY_FIRING,
				  .at = T0,
				  .id = "mxw_45",
				  .alerts = ten,
				  .nalerts = NOTIFY_MAX_SHOWN,
				  .total = 500,
				  .by_severity = {0, 0, 500}};
	body = render(&slack, &g, NULL);
	assert_slack_limits(body);
	ck_assert_ptr_nonnull(strstr(body, "and 490 more"));
	free(body);
	for (size_t i = 0; i < 200; i++)
		free(ev[i]);
}
END_TEST

START_TEST(test_pagerduty_trigger_and_resolve)
{
	struct notify_alert a = mixed;
	struct notification n = one(NOTIFY_FIRING, &a);
	struct sink_msg *m = NULL;
	size_t nm = 0;
	char *err = NULL, *body;

	ck_assert_int_eq(sink_render(&pd, &n, &m, &nm, &err), 0);
	ck_assert_uint_eq(nm, 1);
	ck_assert_str_eq(m[0].dedup_key, "example.com/mx.mixed-providers/example.com");
	sink_msgs_free(m, nm);
	render_golden(&pd, &n, "pagerduty-trigger.json");

	a.ended = T0 + 600;
	n = one(NOTIFY_RESOLVED, &a);
	body = render(&pd, &n, NULL);
	ck_assert_str_eq(body, "{\"event_action\":\"resolve\",\"dedup_key\":"
			       "\"example.com/mx.mixed-providers/example.com\"}\n");
	golden("pagerduty-resolve.json", body);
	free(body);
}
END_TEST

START_TEST(test_pagerduty_reminder_triggers_the_same_key_again)
{
	struct notify_alert a = mixed;
	struct notification n;
	struct sink_msg *m = NULL;
	size_t nm = 0;
	char *err = NULL;

	a.reminder = true;
	n = one(NOTIFY_FIRING, &a);
	ck_assert_int_eq(sink_render(&pd, &n, &m, &nm, &err), 0);
	ck_assert_uint_eq(nm, 1);
	ck_assert_str_eq(m[0].dedup_key, mixed.dedup_key);
	ck_assert_ptr_nonnull(strstr(m[0].body, "\"event_action\":\"trigger\""));
	ck_assert_ptr_nonnull(strstr(m[0].body, "still firing since 2024-03-01 12:00 UTC"));
	sink_msgs_free(m, nm);
}
END_TEST

START_TEST(test_pagerduty_one_event_per_alert_when_not_grouped)
{
	const struct notify_alert two[] = {mixed, generic_ptr};
	struct notification n = {.kind = NOTIFY_FIRING,
				 .at = T0,
				 .id = "mxw_46",
				 .alerts = two,
				 .nalerts = 2,
				 .total = 2,
				 .by_severity = {0, 1, 1}};
	struct sink_msg *m = NULL;
	size_t nm = 0;
	char *err = NULL;

	ck_assert_int_eq(sink_render(&pd, &n, &m, &nm, &err), 0);
	ck_assert_uint_eq(nm, 2);
	ck_assert_str_eq(m[0].dedup_key, mixed.dedup_key);
	ck_assert_str_eq(m[1].dedup_key, generic_ptr.dedup_key);
	ck_assert_ptr_nonnull(strstr(m[1].body, "\"severity\":\"warning\""));
	sink_msgs_free(m, nm);
}
END_TEST

START_TEST(test_pagerduty_grouped_and_baseline_are_one_trigger)
{
	struct many m;
	struct notification n;
	struct sink_msg *msgs = NULL;
	size_t nm = 0;
	char *err = NULL;

	many_fill(&m, 5);
	n = grouped(&m);
	ck_assert_int_eq(sink_render(&pd, &n, &msgs, &nm, &err), 0);
	ck_assert_uint_eq(nm, 1);
	ck_assert_str_eq(msgs[0].dedup_key, "mxwatch/firing/mxw_43");
	ck_assert_ptr_nonnull(strstr(msgs[0].body, "\"severity\":\"critical\""));
	sink_msgs_free(msgs, nm);
	render_golden(&pd, &n, "pagerduty-grouped.json");

	/* A baseline of one domain: its source is the domain. */
	{
		const struct notify_alert two[] = {mixed, generic_ptr};
		struct notification b = {.kind = NOTIFY_BASELINE,
					 .at = T0,
					 .id = "mxw_1",
					 .alerts = two,
					 .nalerts = 2,
					 .total = 2,
					 .by_severity = {0, 1, 1}};

		msgs = NULL;
		nm = 0;
		ck_assert_int_eq(sink_render(&pd, &b, &msgs, &nm, &err), 0);
		ck_assert_uint_eq(nm, 1);
		ck_assert_str_eq(msgs[0].dedup_key, "mxwatch/baseline/mxw_1");
		sink_msgs_free(msgs, nm);
		render_golden(&pd, &b, "pagerduty-baseline.json");
	}
}
END_TEST

START_TEST(test_pagerduty_grouped_resolution_resolves_every_alert_it_carries)
{
	struct bulk b;
	struct notification n;
	struct sink_msg *msgs = NULL;
	size_t nm = 0;
	char *err = NULL;

	bulk_fill(&b, 25, 20);
	n = bulk_note(&b, 25);
	n.kind = NOTIFY_RESOLVED;
	ck_assert_int_eq(sink_render(&pd, &n, &msgs, &nm, &err), 0);
	ck_assert_uint_eq(nm, 25);
	for (size_t i = 0; i < nm; i++) {
		ck_assert_str_eq(msgs[i].dedup_key, b.a[i].dedup_key);
		ck_assert_ptr_null(strstr(msgs[i].body, "trigger"));
	}
	sink_msgs_free(msgs, nm);
	bulk_free(&b);
}
END_TEST

START_TEST(test_pagerduty_group_key_makes_one_trigger_or_one_resolve)
{
	const struct notify_alert two[] = {mixed, generic_ptr};
	struct notification n = {.kind = NOTIFY_FIRING,
				 .at = T0 + 3600,
				 .id = "mxw_47",
				 .alerts = two,
				 .nalerts = 2,
				 .total = 2,
				 .by_severity = {0, 1, 1},
				 .group_key = "mxwatch/firing/mxw_7"};
	struct sink_msg *m = NULL;
	size_t nm = 0;
	char *err = NULL, *body, *plain;

	/* Two alerts of an incident that covers more (reminders): one trigger of its key. */
	ck_assert_int_eq(sink_render(&pd, &n, &m, &nm, &err), 0);
	ck_assert_uint_eq(nm, 1);
	ck_assert_str_eq(m[0].dedup_key, "mxwatch/firing/mxw_7");
	sink_msgs_free(m, nm);
	render_golden(&pd, &n, "pagerduty-group-key.json");
	/* Its last alert resolved: one resolve of the key, however many it covered. */
	n.kind = NOTIFY_RESOLVED;
	n.nalerts = 1;
	n.total = 1;
	body = render(&pd, &n, &nm);
	ck_assert_uint_eq(nm, 1);
	ck_assert_str_eq(body,
			 "{\"event_action\":\"resolve\",\"dedup_key\":\"mxwatch/firing/mxw_7\"}\n");
	free(body);
	/* Other sinks ignore it. */
	body = render(&slack, &n, NULL);
	n.group_key = NULL;
	plain = render(&slack, &n, NULL);
	ck_assert_str_eq(body, plain);
	free(body);
	free(plain);
}
END_TEST

START_TEST(test_pagerduty_summary_is_cut_at_1024)
{
	char msg[3001];
	struct notify_alert a = mixed;
	struct notification n;
	char *body;
	json_t *o;
	const char *summary;

	for (size_t i = 0; i < 3000; i++)
		msg[i] = "0123456789"[i % 10];
	msg[3000] = '\0';
	a.message = msg;
	n = one(NOTIFY_FIRING, &a);
	body = render(&pd, &n, NULL);
	o = json_loads(body, 0, NULL);
	summary = json_string_value(json_object_get(json_object_get(o, "payload"), "summary"));
	ck_assert_uint_eq(utf16_len(summary), 1024);
	ck_assert_str_eq(summary + strlen(summary) - 3, "\xe2\x80\xa6");
	/* The whole message is still in the details. */
	ck_assert_str_eq(
	    json_string_value(json_object_get(
		json_object_get(json_object_get(o, "payload"), "custom_details"), "message")),
	    msg);
	json_decref(o);
	golden("pagerduty-summary-cut.json", body);
	free(body);
}
END_TEST

START_TEST(test_pagerduty_send_body_adds_the_routing_key_first)
{
	struct notification n = one(NOTIFY_FIRING, &mixed);
	struct sink_msg *m = NULL;
	size_t nm = 0;
	char *err = NULL, *sent, *both;

	ck_assert_int_eq(sink_render(&pd, &n, &m, &nm, &err), 0);
	ck_assert_ptr_null(strstr(m[0].body, PD_KEY));
	ck_assert_ptr_null(strstr(m[0].body, "routing_key"));
	sent = sink_send_body(&pd, m[0].body);
	ck_assert_int_eq(strncmp(sent, "{\"routing_key\":\"" PD_KEY "\",\"event_action\"", 50), 0);
	ck_assert_str_eq(sent + strlen("{\"routing_key\":\"" PD_KEY "\","), m[0].body + 1);
	both = xasprintf("%s\n", sent);
	golden("pagerduty-send-body.json", both);
	free(both);
	free(sent);
	sink_msgs_free(m, nm);

	sent = sink_send_body(&pd, "{}");
	ck_assert_str_eq(sent, "{\"routing_key\":\"" PD_KEY "\"}");
	free(sent);
	/* A key that needs escaping stays valid JSON. */
	{
		struct cfg_sink odd = pd;
		json_t *o;

		odd.routing_key = S("a\"b\\c");
		sent = sink_send_body(&odd, "{\"event_action\":\"resolve\"}");
		o = json_loads(sent, 0, NULL);
		ck_assert_ptr_nonnull(o);
		ck_assert_str_eq(json_string_value(json_object_get(o, "routing_key")), "a\"b\\c");
		json_decref(o);
		free(sent);
	}
	/* Others send the body as rendered. */
	sent = sink_send_body(&am, "{\"a\":1}");
	ck_assert_str_eq(sent, "{\"a\":1}");
	free(sent);
}
END_TEST

START_TEST(test_webhook_alertmanager_firing_and_resolved)
{
	const struct notify_alert two[] = {mixed, generic_ptr};
	struct notification n = {.kind = NOTIFY_FIRING,
				 .at = T0 + 120,
				 .id = "mxw_47",
				 .alerts = two,
				 .nalerts = 2,
				 .total = 2,
				 .by_severity = {0, 1, 1}};
	struct notify_alert a = mixed;
	char *body = render(&am, &n, NULL);
	json_t *o = json_loads(body, 0, NULL);

	/* What the two alerts share. */
	ck_assert_str_eq(
	    json_string_value(json_object_get(json_object_get(o, "commonLabels"), "tier")), "gold");
	ck_assert_ptr_null(json_object_get(json_object_get(o, "commonLabels"), "alertname"));
	json_decref(o);
	golden("webhook-alertmanager-firing.json", body);
	free(body);

	a.ended = T0 + 600;
	n = one(NOTIFY_RESOLVED, &a);
	n.at = a.ended;
	body = render(&am, &n, NULL);
	ck_assert_ptr_nonnull(strstr(body, "\"endsAt\":\"2024-03-01T12:10:00Z\""));
	golden("webhook-alertmanager-resolved.json", body);
	free(body);
}
END_TEST

START_TEST(test_webhook_fingerprint_is_sha256_of_the_dedup_key)
{
	struct notification n = one(NOTIFY_FIRING, &mixed);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	char hex[17], *body;
	json_t *o;

	EVP_Digest(mixed.dedup_key, strlen(mixed.dedup_key), md, &mdlen, EVP_sha256(), NULL);
	for (int i = 0; i < 8; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	body = render(&am, &n, NULL);
	o = json_loads(body, 0, NULL);
	ck_assert_str_eq(json_string_value(json_object_get(
			     json_array_get(json_object_get(o, "alerts"), 0), "fingerprint")),
			 hex);
	json_decref(o);
	free(body);
}
END_TEST

START_TEST(test_webhook_native)
{
	struct notify_alert two[] = {mixed, generic_ptr};
	struct notification n = {.kind = NOTIFY_FIRING,
				 .at = T0 + 120,
				 .id = "mxw_48",
				 .alerts = two,
				 .nalerts = 2,
				 .total = 7,
				 .by_severity = {0, 5, 2}};

	two[1].reminder = true;
	render_golden(&native, &n, "webhook-native.json");
}
END_TEST

/* Returns the signature header of id.ts.body keyed with the given bytes, computed with
 * OpenSSL's one-shot HMAC (sink.c uses EVP_Q_mac). */
static char *
independent_signature(const void *key, int klen, const char *id, long long ts, const char *body)
{
	unsigned char mac[EVP_MAX_MD_SIZE], b64[64];
	unsigned int maclen = 0;
	char *text = xasprintf("%s.%lld.%s", id, ts, body), *sig;

	HMAC(EVP_sha256(), key, klen, (const unsigned char *)text, strlen(text), mac, &maclen);
	EVP_EncodeBlock(b64, mac, (int)maclen);
	sig = xasprintf("webhook-signature: v1,%s", (const char *)b64);
	free(text);
	return sig;
}

START_TEST(test_webhook_signature_headers)
{
	struct cfg_sink s = am;
	char **h, *want, *all;
	size_t n;
	const char *body = "{\"version\":\"4\",\"status\":\"firing\"}";

	/* The published Standard Webhooks example. */
	s.secret = S("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
	h = sink_headers(&s, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, "{\"test\": 2432232314}",
			 &n);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(h[0], "Content-Type: application/json");
	ck_assert_str_eq(h[1], "webhook-id: msg_p5jXN8AQM9LWM0D4loKWxJek");
	ck_assert_str_eq(h[2], "webhook-timestamp: 1614265330");
	ck_assert_str_eq(h[3],
			 "webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	for (size_t i = 0; i < n; i++)
		free(h[i]);
	free(h);

	/* The fixture secret (whsec_) and a raw one, against a second implementation. */
	h = sink_headers(&am, "mxw_42", T0, body, &n);
	ck_assert_uint_eq(n, 4);
	/* HOOK_SECRET is "whsec_" and the base64 of these 28 bytes. */
	want = independent_signature("HOOKSECRETkeybytes0123456789", 28, "mxw_42", T0, body);
	ck_assert_str_eq(h[3], want);
	free(want);
	all = xasprintf("%s\n%s\n%s\n%s\n", h[0], h[1], h[2], h[3]);
	golden("webhook-headers.txt", all);
	free(all);
	for (size_t i = 0; i < n; i++) {
		ck_assert_ptr_null(strstr(h[i], HOOK_SECRET + 6));
		ck_assert_ptr_null(strstr(h[i], "SECRET"));
		free(h[i]);
	}
	free(h);

	s.secret = S("plain secret, not base64");
	h = sink_headers(&s, "mxw_42", T0, body, &n);
	want = independent_signature(s.secret, (int)strlen(s.secret), "mxw_42", T0, body);
	ck_assert_str_eq(h[3], want);
	free(want);
	for (size_t i = 0; i < n; i++)
		free(h[i]);
	free(h);

	/* "whsec_" and no base64: the raw bytes. */
	s.secret = S("whsec_!!!");
	h = sink_headers(&s, "mxw_42", T0, body, &n);
	want = independent_signature("whsec_!!!", 9, "mxw_42", T0, body);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(h[3], want);
	free(want);
	for (size_t i = 0; i < n; i++)
		free(h[i]);
	free(h);

	/* A header never breaks a line. */
	h = sink_headers(&am, "id\r\nX-Evil: 1", T0, body, &n);
	for (size_t i = 0; i < n; i++) {
		ck_assert_ptr_null(strpbrk(h[i], "\r\n"));
		free(h[i]);
	}
	free(h);

	/* No secret, or not a webhook: only the content type. */
	s.secret = NULL;
	for (int k = 0; k < 3; k++) {
		const struct cfg_sink *which[] = {&s, &slack, &pd};

		h = sink_headers(which[k], "mxw_42", T0, body, &n);
		ck_assert_uint_eq(n, 1);
		ck_assert_str_eq(h[0], "Content-Type: application/json");
		free(h[0]);
		free(h);
	}
}
END_TEST

START_TEST(test_no_secret_in_any_body_or_error)
{
	const struct cfg_sink *sinks[] = {&slack, &pd, &am, &native};
	struct many m;
	struct notify_alert a = mixed;
	struct notification ns[5];
	char *err = NULL;
	struct cfg_sink bad = slack;
	struct sink_msg *msgs = NULL;
	size_t nm = 0;

	many_fill(&m, 5);
	a.ended = T0 + 60;
	ns[0] = one(NOTIFY_FIRING, &mixed);
	ns[1] = one(NOTIFY_RESOLVED, &a);
	ns[2] = grouped(&m);
	ns[3] = grouped(&m);
	ns[3].kind = NOTIFY_BASELINE;
	ns[4] = grouped(&m);
	ns[4].kind = NOTIFY_RESOLVED;
	for (size_t s = 0; s < 4; s++) {
		for (size_t i = 0; i < 5; i++) {
			char *body = render(sinks[s], &ns[i], NULL);

			/* Every secret has SECRET in it, the webhook's once decoded. */
			ck_assert_ptr_null(strstr(body, "SECRET"));
			ck_assert_ptr_null(strstr(body, "hooks."));
			ck_assert_ptr_null(strstr(body, HOOK_SECRET + 6));
			free(body);
		}
	}
	bad.type = (enum cfg_sink_type)42;
	bad.routing_key = S(PD_KEY);
	bad.secret = S(HOOK_SECRET);
	ck_assert_int_eq(sink_render(&bad, &ns[0], &msgs, &nm, &err), -1);
	ck_assert_ptr_nonnull(err);
	ck_assert_ptr_null(strstr(err, "SECRET"));
	ck_assert_ptr_null(strstr(err, "hooks."));
	ck_assert_ptr_null(msgs);
	ck_assert_uint_eq(nm, 0);
	free(err);
}
END_TEST

START_TEST(test_invalid_utf8_is_replaced)
{
	const struct cfg_sink *sinks[] = {&slack, &pd, &am, &native};
	char *ev[] = {S("surrogate \xed\xa0\x80 end"), S("overlong \xc0\xaf end"),
		      S("ok \xf0\x9f\x93\xa7")};
	struct cfg_label labels[] = {{S("customer"), S("ac\xffme")}, {S("t\xfe"), S("x")}};
	struct notify_alert a = mixed;
	struct notification n;

	a.message = "bad \xff\xfe byte, cut \xe2\x82";
	a.subject = "mail\x80.example.com";
	a.evidence = ev;
	a.nevidence = 3;
	a.labels = labels;
	a.nlabels = 2;
	n = one(NOTIFY_FIRING, &a);
	for (size_t s = 0; s < 4; s++) {
		char *body = render(sinks[s], &n, NULL);

		ck_assert_ptr_nonnull(strstr(body, "bad \xef\xbf\xbd\xef\xbf\xbd byte"));
		ck_assert_ptr_nonnull(strstr(body, "\xf0\x9f\x93\xa7"));
		ck_assert_ptr_null(strstr(body, "\xff"));
		free(body);
	}
	render_golden(&native, &n, "webhook-native-bad-utf8.json");
}
END_TEST

START_TEST(test_bad_input_never_crashes)
{
	const struct cfg_sink *sinks[] = {&slack, &pd, &am, &native};
	struct notify_alert bare = {.severity = SEV_INFO, .nevidence = 3, .nlabels = 2};
	char *nullev[] = {NULL, S(""), NULL};
	struct notify_alert holes = mixed;
	enum notify_kind kinds[] = {NOTIFY_FIRING, NOTIFY_RESOLVED, NOTIFY_BASELINE};

	holes.evidence = nullev;
	holes.nevidence = 3;
	holes.labels = NULL;
	holes.dedup_key = NULL; /* computed */
	for (size_t s = 0; s < 4; s++) {
		for (size_t k = 0; k < 3; k++) {
			struct notification n = {.kind = kinds[k], .id = NULL};
			size_t count;
			char *body;

			/* No alert at all. */
			body = render(sinks[s], &n, &count);
			if (sinks[s] == &pd)
				ck_assert_uint_eq(count, 0);
			else
				ck_assert_uint_eq(count, 1);
			if (sinks[s] == &slack)
				assert_slack_limits(body);
			free(body);

			/* Counted but none shown. */
			n.total = 5;
			n.by_severity[SEV_WARNING] = 5;
			body = render(sinks[s], &n, NULL);
			if (sinks[s] == &slack)
				assert_slack_limits(body);
			free(body);

			n = one(kinds[k], &bare);
			body = render(sinks[s], &n, NULL);
			if (sinks[s] == &slack)
				assert_slack_limits(body);
			free(body);

			n = one(kinds[k], &holes);
			body = render(sinks[s], &n, NULL);
			if (sinks[s] == &pd && kinds[k] != NOTIFY_BASELINE)
				ck_assert_ptr_nonnull(
				    strstr(body, "\"dedup_key\":\"example.com/mx.mixed-providers/"
						 "example.com\""));
			free(body);
		}
	}
}
END_TEST

START_TEST(test_text_is_cut_by_characters_never_inside_an_entity)
{
	char *t;

	t = sink_trunc(xstrdup("abcdef"), 6, false);
	ck_assert_str_eq(t, "abcdef");
	free(t);
	t = sink_trunc(xstrdup("abcdefg"), 6, false);
	ck_assert_str_eq(t, "abcde"
			    "\xe2\x80\xa6");
	free(t);
	/* "x &amp;" cut to 6 would end in "&am": the entity goes whole. */
	t = sink_trunc(sink_text("x & y z", SINK_MRKDWN), 6, true);
	ck_assert_str_eq(t, "x \xe2\x80\xa6");
	free(t);
	t = sink_trunc(sink_text("x & y z", SINK_MRKDWN), 8, true);
	ck_assert_str_eq(t, "x &amp;\xe2\x80\xa6");
	free(t);
	/* Characters, not bytes; one outside the BMP counts two, as in UTF-16. */
	ck_assert_uint_eq(sink_width("\xc3\xa9t\xc3\xa9"), 3);
	ck_assert_uint_eq(sink_width("\xf0\x9f\x93\xa7"), 2);
	t = sink_trunc(xstrdup("\xc3\xa9\xc3\xa9\xf0\x9f\x93\xa7\xc3\xa9"), 4, false);
	ck_assert_str_eq(t, "\xc3\xa9\xc3\xa9\xe2\x80\xa6");
	free(t);
	t = sink_text("a\xff"
		      "b\nc\td",
		      SINK_ONE_LINE);
	ck_assert_str_eq(t, "a\xef\xbf\xbd"
			    "b c d");
	free(t);
}
END_TEST

START_TEST(test_random_bytes_render_as_valid_json_within_limits)
{
	const struct cfg_sink *sinks[] = {&slack, &pd, &am, &native};
	unsigned long long seed = 42;
	char buf[6][400], *ev[4];
	struct cfg_label labels[1];

	for (int round = 0; round < 200; round++) {
		struct notify_alert a[2];
		struct notification n;

		for (size_t i = 0; i < 6; i++) {
			size_t len = 0;

			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			len = (size_t)(seed >> 33) % sizeof(buf[i]);
			for (size_t j = 0; j < len; j++) {
				seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
				buf[i][j] = (char)((seed >> 33) % 255 + 1);
			}
			buf[i][len] = '\0';
		}
		ev[0] = buf[3];
		ev[1] = buf[4];
		ev[2] = buf[5];
		ev[3] = buf[0];
		labels[0].key = buf[5];
		labels[0].value = buf[4];
		a[0] = mixed;
		a[0].rule = buf[0];
		a[0].subject = buf[1];
		a[0].message = buf[2];
		a[0].evidence = ev;
		a[0].nevidence = 4;
		a[0].labels = labels;
		a[0].nlabels = 1;
		a[0].dedup_key = NULL;
		a[1] = a[0];
		a[1].domain = buf[1];
		n = one((enum notify_kind)(round % 3), a);
		n.nalerts = n.total = 1 + (size_t)round % 2;
		for (size_t s = 0; s < 4; s++) {
			char *body = render(sinks[s], &n, NULL);

			if (sinks[s] == &slack) {
				ck_assert_ptr_null(strstr(body, "<"));
				assert_slack_limits(body);
			}
			free(body);
		}
	}
}
END_TEST

START_TEST(test_webhook_carries_every_alert_of_a_group)
{
	struct bulk b;
	struct notification n;
	struct sink_msg *m = NULL;
	size_t nm = 0;
	char *err = NULL;
	json_t *o;

	bulk_fill(&b, 25, 20);
	n = bulk_note(&b, 25);
	ck_assert_int_eq(sink_render(&am, &n, &m, &nm, &err), 0);
	ck_assert_uint_eq(nm, 1);
	o = json_loads(m[0].body, 0, NULL);
	ck_assert_uint_eq(json_array_size(json_object_get(o, "alerts")), 25);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "truncatedAlerts")), 0);
	ck_assert_str_eq(json_string_value(json_object_get(o, "groupKey")),
			 "mxwatch/firing/mxw_50");
	json_decref(o);
	sink_msgs_free(m, nm);

	m = NULL;
	nm = 0;
	ck_assert_int_eq(sink_render(&native, &n, &m, &nm, &err), 0);
	ck_assert_uint_eq(nm, 1);
	o = json_loads(m[0].body, 0, NULL);
	ck_assert_uint_eq(json_array_size(json_object_get(o, "alerts")), 25);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "total")), 25);
	ck_assert_str_eq(json_string_value(json_object_get(o, "id")), "mxw_50");
	ck_assert_ptr_null(json_object_get(o, "part"));
	ck_assert_ptr_null(json_object_get(o, "parts"));
	json_decref(o);
	sink_msgs_free(m, nm);
	bulk_free(&b);
}
END_TEST

/* Renders n for webhook sink s and checks that the messages hold each of its nalerts alerts
 * exactly once, in order, in parts of the given sizes, each a whole notification of its own. */
static void
assert_parts(const struct cfg_sink *s, const struct notification *n, const size_t *sizes,
	     size_t nparts)
{
	bool am_format = s->format == CFG_FORMAT_ALERTMANAGER;
	struct sink_msg *m = NULL;
	size_t nm = 0, next = 0, c[3] = {0};
	char *err = NULL;

	ck_assert_int_eq(sink_render(s, n, &m, &nm, &err), 0);
	ck_assert_uint_eq(nm, nparts);
	for (size_t k = 0; k < nm; k++) {
		json_t *o = json_loads(m[k].body, 0, NULL), *alerts = json_object_get(o, "alerts"),
		       *a;
		bool last = k == nm - 1;
		size_t i, more = last ? n->total - n->nalerts : 0;
		char *id = nparts > 1 ? xasprintf("mxw_50-%zu", k + 1) : xstrdup("mxw_50");

		ck_assert_ptr_nonnull(o);
		ck_assert_ptr_null(m[k].dedup_key);
		ck_assert_uint_le(strlen(m[k].body), SINK_WEBHOOK_MAX_BYTES + 4096);
		ck_assert_uint_eq(json_array_size(alerts), sizes[k]);
		json_array_foreach(alerts, i, a)
		{
			const char *domain =
			    am_format ? json_string_value(
					    json_object_get(json_object_get(a, "labels"), "domain"))
				      : json_string_value(json_object_get(a, "domain"));

			ck_assert_str_eq(domain, n->alerts[next++].domain);
		}
		if (am_format) {
			char *group = xasprintf("mxwatch/firing/%s", id);

			ck_assert_str_eq(json_string_value(json_object_get(o, "groupKey")), group);
			ck_assert_int_eq(json_integer_value(json_object_get(o, "truncatedAlerts")),
					 (json_int_t)more);
			free(group);
		} else {
			json_t *by = json_object_get(o, "by_severity");

			ck_assert_str_eq(json_string_value(json_object_get(o, "id")), id);
			ck_assert_int_eq(json_integer_value(json_object_get(o, "total")),
					 (json_int_t)(sizes[k] + more));
			if (nparts > 1) {
				ck_assert_int_eq(json_integer_value(json_object_get(o, "part")),
						 (json_int_t)(k + 1));
				ck_assert_int_eq(json_integer_value(json_object_get(o, "parts")),
						 (json_int_t)nparts);
			}
			c[SEV_CRITICAL] +=
			    (size_t)json_integer_value(json_object_get(by, "critical"));
			c[SEV_WARNING] +=
			    (size_t)json_integer_value(json_object_get(by, "warning"));
			c[SEV_INFO] += (size_t)json_integer_value(json_object_get(by, "info"));
		}
		free(id);
		json_decref(o);
	}
	ck_assert_uint_eq(next, n->nalerts);
	if (!am_format)
		for (int sev = 0; sev < 3; sev++)
			ck_assert_uint_eq(c[sev], n->by_severity[sev]);
	sink_msgs_free(m, nm);
}

START_TEST(test_webhook_splits_a_group_over_its_limits_and_loses_nothing)
{
	const size_t by_count[] = {1000, 1000, 500}, by_bytes[] = {4, 4, 2},
		     by_bytes_am[] = {3, 3, 3, 1};
	struct bulk b;
	struct notification n;

	/* Over SINK_WEBHOOK_MAX_ALERTS: parts of 1000; the 100 not given are on the last. */
	bulk_fill(&b, 2500, 20);
	n = bulk_note(&b, 2600);
	assert_parts(&am, &n, by_count, 3);
	assert_parts(&native, &n, by_count, 3);
	bulk_free(&b);

	/* Over SINK_WEBHOOK_MAX_BYTES: 120 kB of evidence each, four fit in one; three in
	 * Alertmanager's, whose common annotations may repeat as much as one more. */
	bulk_fill(&b, 10, 120000);
	n = bulk_note(&b, 10);
	assert_parts(&am, &n, by_bytes_am, 4);
	assert_parts(&native, &n, by_bytes, 3);
	bulk_free(&b);

	/* An alert bigger than that on its own still goes. */
	bulk_fill(&b, 1, SINK_WEBHOOK_MAX_BYTES);
	n = bulk_note(&b, 1);
	{
		struct sink_msg *m = NULL;
		size_t nm = 0;
		char *err = NULL;

		ck_assert_int_eq(sink_render(&native, &n, &m, &nm, &err), 0);
		ck_assert_uint_eq(nm, 1);
		ck_assert_uint_gt(strlen(m[0].body), SINK_WEBHOOK_MAX_BYTES);
		sink_msgs_free(m, nm);
	}
	bulk_free(&b);
}
END_TEST

START_TEST(test_slack_and_pagerduty_show_ten_of_a_big_group)
{
	struct bulk b;
	struct notification n;
	struct sink_msg *m = NULL;
	size_t nm = 0;
	char *err = NULL, *body;
	json_t *o, *d;

	bulk_fill(&b, 2500, 20);
	n = bulk_note(&b, 2500);
	body = render(&slack, &n, NULL);
	assert_slack_limits(body);
	ck_assert_ptr_nonnull(strstr(body, "and 2490 more"));
	free(body);
	ck_assert_int_eq(sink_render(&pd, &n, &m, &nm, &err), 0);
	ck_assert_uint_eq(nm, 1);
	o = json_loads(m[0].body, 0, NULL);
	d = json_object_get(json_object_get(o, "payload"), "custom_details");
	ck_assert_uint_eq(json_array_size(json_object_get(d, "alerts")), NOTIFY_MAX_SHOWN);
	ck_assert_int_eq(json_integer_value(json_object_get(d, "more")), 2490);
	ck_assert_int_eq(json_integer_value(json_object_get(d, "total")), 2500);
	json_decref(o);
	sink_msgs_free(m, nm);
	bulk_free(&b);
}
END_TEST

/* Asserts that body has no empty string and no domain member. */
static void
assert_no_empty_domain(const char *body)
{
	ck_assert_msg(strstr(body, "\"\"") == NULL, "empty string in %s", body);
	ck_assert_msg(strstr(body, "\"domain\":\"") == NULL, "domain in %s", body);
	ck_assert_msg(strstr(body, "\"group\":") == NULL, "group in %s", body);
	ck_assert_msg(strstr(body, " on ") == NULL, "\" on \" in %s", body);
	ck_assert_msg(strstr(body, " :") == NULL, "\" :\" in %s", body);
}

START_TEST(test_alert_of_no_domain_renders_cleanly_everywhere)
{
	struct notify_alert a = unhealthy;
	struct notification n = one(NOTIFY_FIRING, &a);
	char *body;
	json_t *o;

	/* PagerDuty: its own key, source mxwatch, no group, no empty domain in the summary. */
	body = render(&pd, &n, NULL);
	o = json_loads(body, 0, NULL);
	ck_assert_str_eq(json_string_value(json_object_get(o, "dedup_key")),
			 "mxwatch/resolver.unhealthy");
	ck_assert_str_eq(
	    json_string_value(json_object_get(json_object_get(o, "payload"), "summary")),
	    "CRITICAL resolver.unhealthy: most DNS checks are failing at once (the resolver or "
	    "the network is down): per-domain alerts are held until they succeed again");
	ck_assert_str_eq(
	    json_string_value(json_object_get(json_object_get(o, "payload"), "source")), "mxwatch");
	json_decref(o);
	assert_no_empty_domain(body);
	golden("pagerduty-global-trigger.json", body);
	free(body);

	/* Slack: no "on" a domain, no Domain field. */
	body = render(&slack, &n, NULL);
	ck_assert_ptr_nonnull(strstr(body, "\"text\":\"CRITICAL resolver.unhealthy: most DNS"));
	ck_assert_ptr_nonnull(strstr(body, "\"text\":\"CRITICAL: resolver.unhealthy\""));
	ck_assert_ptr_null(strstr(body, "*Domain*"));
	assert_no_empty_domain(body);
	assert_slack_limits(body);
	golden("slack-global-firing.json", body);
	free(body);

	/* Webhooks: no domain label; null in the native format. */
	body = render(&am, &n, NULL);
	ck_assert_ptr_null(strstr(body, "\"domain\""));
	ck_assert_ptr_nonnull(strstr(body, "\"groupKey\":\"mxwatch/resolver.unhealthy\""));
	golden("webhook-alertmanager-global.json", body);
	free(body);
	body = render(&native, &n, NULL);
	ck_assert_ptr_nonnull(strstr(body, "\"domain\":null"));
	ck_assert_ptr_nonnull(strstr(body, "\"dedup_key\":\"mxwatch/resolver.unhealthy\""));
	golden("webhook-native-global.json", body);
	free(body);

	/* Resolved. */
	a.message = "DNS checks succeed again: per-domain alerts resume";
	a.ended = T0 + 900;
	n = one(NOTIFY_RESOLVED, &a);
	n.at = a.ended;
	body = render(&pd, &n, NULL);
	ck_assert_str_eq(
	    body, "{\"event_action\":\"resolve\",\"dedup_key\":\"mxwatch/resolver.unhealthy\"}\n");
	golden("pagerduty-global-resolve.json", body);
	free(body);
	body = render(&slack, &n, NULL);
	ck_assert_ptr_nonnull(
	    strstr(body, "\"text\":\"Resolved resolver.unhealthy after 15m: DNS"));
	assert_no_empty_domain(body);
	golden("slack-global-resolved.json", body);
	free(body);
	body = render(&am, &n, NULL);
	ck_assert_ptr_null(strstr(body, "\"domain\""));
	golden("webhook-alertmanager-global-resolved.json", body);
	free(body);

	/* In a list, too. */
	{
		const struct notify_alert two[] = {unhealthy, mixed, generic_ptr, mixed,
						   mixed,     mixed, mixed,	  mixed,
						   mixed,     mixed, mixed};
		struct notification g = {.kind = NOTIFY_FIRING,
					 .at = T0,
					 .id = "mxw_51",
					 .alerts = two,
					 .nalerts = 11,
					 .total = 11,
					 .by_severity = {0, 1, 10}};

		body = render(&slack, &g, NULL);
		ck_assert_ptr_nonnull(
		    strstr(body, "\"text\":\"*CRITICAL* resolver.unhealthy \xc2\xb7 resolver\\n"));
		free(body);
	}
}
END_TEST

START_TEST(test_sink_wants_severity_and_labels)
{
	struct cfg_label match[] = {{S("customer"), S("acme")}};
	struct cfg_sink s = slack;

	s.min_severity = SEV_WARNING;
	ck_assert(sink_wants(&s, SEV_WARNING, NULL, 0));
	ck_assert(sink_wants(&s, SEV_CRITICAL, acme, 2));
	ck_assert(!sink_wants(&s, SEV_INFO, acme, 2));
	s.match = match;
	s.nmatch = 1;
	ck_assert(sink_wants(&s, SEV_CRITICAL, acme, 2));
	ck_assert(!sink_wants(&s, SEV_CRITICAL, NULL, 0));
	match[0].value = S("other");
	ck_assert(!sink_wants(&s, SEV_CRITICAL, acme, 2));
	match[0].key = S("tier");
	match[0].value = S("gold");
	ck_assert(sink_wants(&s, SEV_WARNING, acme, 2));
	/* An alert of no domain: severity only, the matchers do not apply. */
	ck_assert(sink_wants_global(&s, SEV_WARNING));
	ck_assert(!sink_wants_global(&s, SEV_INFO));
	s.min_severity = SEV_CRITICAL;
	ck_assert(!sink_wants_global(&s, SEV_WARNING));
	ck_assert(sink_wants_global(&s, SEV_CRITICAL));
}
END_TEST

START_TEST(test_sink_url)
{
	struct cfg_sink p = pd;

	ck_assert_str_eq(sink_url(&pd), SINK_PAGERDUTY_URL);
	p.url = S("http://127.0.0.1:8080/v2/enqueue");
	ck_assert_str_eq(sink_url(&p), "http://127.0.0.1:8080/v2/enqueue");
	ck_assert_str_eq(sink_url(&slack), SLACK_URL);
	ck_assert_str_eq(sink_url(&am), HOOK_URL);
}
END_TEST

static Suite *
sink_suite(void)
{
	Suite *s = suite_create("sink");
	TCase *tc = tcase_create("sink");

	tcase_add_test(tc, test_slack_firing_single_critical);
	tcase_add_test(tc, test_slack_resolved_says_how_long_it_fired);
	tcase_add_test(tc, test_slack_reminder_and_flapping);
	tcase_add_test(tc, test_slack_grouped_shows_ten_and_counts_the_rest);
	tcase_add_test(tc, test_slack_baseline_is_one_digest);
	tcase_add_test(tc, test_slack_escapes_dns_data_so_nothing_pings_or_links);
	tcase_add_test(tc, test_slack_keeps_within_limits);
	tcase_add_test(tc, test_pagerduty_trigger_and_resolve);
	tcase_add_test(tc, test_pagerduty_reminder_triggers_the_same_key_again);
	tcase_add_test(tc, test_pagerduty_one_event_per_alert_when_not_grouped);
	tcase_add_test(tc, test_pagerduty_grouped_and_baseline_are_one_trigger);
	tcase_add_test(tc, test_pagerduty_grouped_resolution_resolves_every_alert_it_carries);
	tcase_add_test(tc, test_pagerduty_group_key_makes_one_trigger_or_one_resolve);
	tcase_add_test(tc, test_pagerduty_summary_is_cut_at_1024);
	tcase_add_test(tc, test_pagerduty_send_body_adds_the_routing_key_first);
	tcase_add_test(tc, test_webhook_alertmanager_firing_and_resolved);
	tcase_add_test(tc, test_webhook_fingerprint_is_sha256_of_the_dedup_key);
	tcase_add_test(tc, test_webhook_native);
	tcase_add_test(tc, test_webhook_signature_headers);
	tcase_add_test(tc, test_no_secret_in_any_body_or_error);
	tcase_add_test(tc, test_invalid_utf8_is_replaced);
	tcase_add_test(tc, test_bad_input_never_crashes);
	tcase_add_test(tc, test_text_is_cut_by_characters_never_inside_an_entity);
	tcase_add_test(tc, test_random_bytes_render_as_valid_json_within_limits);
	tcase_add_test(tc, test_webhook_carries_every_alert_of_a_group);
	tcase_add_test(tc, test_webhook_splits_a_group_over_its_limits_and_loses_nothing);
	tcase_add_test(tc, test_slack_and_pagerduty_show_ten_of_a_big_group);
	tcase_add_test(tc, test_alert_of_no_domain_renders_cleanly_everywhere);
	tcase_add_test(tc, test_sink_wants_severity_and_labels);
	tcase_add_test(tc, test_sink_url);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(sink_suite());
	int failed;

	testsecret("check_sink", "slack_url", SLACK_URL);
	testsecret("check_sink", "slack_url_path",
		   SLACK_URL + strlen("https://hooks.slack.example"));
	testsecret("check_sink", "pagerduty_routing_key", PD_KEY);
	testsecret("check_sink", "webhook_url", HOOK_URL);
	testsecret("check_sink", "webhook_url_token", "HOOKURLSECRET");
	testsecret("check_sink", "webhook_secret", HOOK_SECRET);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
