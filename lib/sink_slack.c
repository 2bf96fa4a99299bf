/* Slack incoming webhook bodies: Block Kit with a one-line text fallback. Every piece of
 * outside data is escaped for mrkdwn, and every text is cut to Slack's limits. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sink_int.h"
#include "xmalloc.h"

/* Slack's limits, counted in UTF-16 units (see sink_width). */
#define SLACK_MAX_BLOCKS 50
#define SLACK_TEXT_MAX 40000   /* the top-level text */
#define SLACK_SECTION_MAX 3000 /* a section's text */
#define SLACK_FIELD_MAX 2000   /* one of a section's fields */
#define SLACK_HEADER_MAX 150   /* a header's plain_text */
#define SLACK_CONTEXT_MAX 2000 /* a context element (kept below the 3000 of any text) */

/* How much one alert shows: evidence lines, and the length of a message and of a line. */
#define SLACK_EVIDENCE_LINES 10
#define SLACK_LIST_EVIDENCE_LINES 3
#define SLACK_LINE_MAX 500
#define SLACK_LIST_LINE_MAX 200
#define SLACK_LIST_MESSAGE_MAX 1000
#define SLACK_FALLBACK_MESSAGE_MAX 1000

/* Room kept at the end of a section for "… N more" and the closing fence. */
#define SLACK_EVIDENCE_RESERVE 40

/* Returns a text object of a type holding text (taken). */
static json_t *
text_obj(const char *type, char *text)
{
	json_t *o = json_object();

	json_object_set_new(o, "type", json_string(type));
	json_object_set_new(o, "text", json_string_nocheck(text));
	if (strcmp(type, "mrkdwn") == 0)
		json_object_set_new(o, "verbatim", json_true()); /* no auto-links, no mentions */
	free(text);
	return o;
}

/* Returns a header block of the text in b (already escaped). */
static json_t *
header_block(struct sink_buf *b)
{
	json_t *o = json_object();

	json_object_set_new(o, "type", json_string("header"));
	json_object_set_new(
	    o, "text",
	    text_obj("plain_text", sink_trunc(sink_buf_take(b), SLACK_HEADER_MAX, true)));
	return o;
}

/* Returns a section block of the mrkdwn text in b. */
static json_t *
section_block(struct sink_buf *b)
{
	json_t *o = json_object();

	json_object_set_new(o, "type", json_string("section"));
	json_object_set_new(
	    o, "text", text_obj("mrkdwn", sink_trunc(sink_buf_take(b), SLACK_SECTION_MAX, true)));
	return o;
}

/* Returns the context block that closes every message: who sent it, which, when. */
static json_t *
context_block(const struct notification *n)
{
	struct sink_buf b = {0};
	json_t *o = json_object(), *el = json_array();
	char at[32];

	sink_time_human(n->at, at);
	sink_buf_add(&b, "mxwatch ");
	sink_buf_text(&b, n->id, SINK_MRKDWN | SINK_ONE_LINE);
	sink_buf_addf(&b, " at %s", at);
	json_array_append_new(
	    el, text_obj("mrkdwn", sink_trunc(sink_buf_take(&b), SLACK_CONTEXT_MAX, true)));
	json_object_set_new(o, "type", json_string("context"));
	json_object_set_new(o, "elements", el);
	return o;
}

/* Appends a field ("*Name*\nvalue") to fields; value is outside data. */
static void
field(json_t *fields, const char *name, const char *value)
{
	struct sink_buf b = {0};

	sink_buf_addf(&b, "*%s*\n", name);
	sink_buf_text(&b, value, SINK_MRKDWN | SINK_ONE_LINE);
	json_array_append_new(
	    fields, text_obj("mrkdwn", sink_trunc(sink_buf_take(&b), SLACK_FIELD_MAX, true)));
}

/* Appends up to maxlines evidence lines as a code block, keeping b within a section. */
static void
evidence(struct sink_buf *b, const struct notify_alert *a, size_t maxlines, size_t linemax)
{
	size_t n = a->evidence != NULL ? a->nevidence : 0, shown = 0;

	if (n == 0)
		return;
	sink_buf_add(b, "```\n");
	for (size_t i = 0; i < n && shown < maxlines; i++) {
		char *l = sink_trunc(sink_text(a->evidence[i], SINK_MRKDWN), linemax, true);
		bool fits = sink_width(b->s) + sink_width(l) + 1 + SLACK_EVIDENCE_RESERVE <=
			    SLACK_SECTION_MAX;

		if (fits) {
			sink_buf_add(b, l);
			sink_buf_add(b, "\n");
			shown++;
		}
		free(l);
		if (!fits)
			break;
	}
	if (shown < n)
		sink_buf_addf(b, "\xe2\x80\xa6 %zu more\n", n - shown);
	sink_buf_add(b, "```");
}

/* Appends an alert's message (outside data, never empty) cut to max units. */
static void
message(struct sink_buf *b, const struct notify_alert *a, size_t max)
{
	char *m = sink_trunc(sink_text(a->message, SINK_MRKDWN), max, true);

	sink_buf_add(b, m[0] != '\0' ? m : "(no message)");
	free(m);
}

/* Adds the blocks of a notification about one alert. */
static void
single(json_t *blocks, const struct notification *n, const struct notify_alert *a)
{
	struct sink_buf b = {0};
	json_t *sec, *fields = json_array();
	char when[32];
	const int esc = SINK_MRKDWN | SINK_ONE_LINE;

	if (n->kind == NOTIFY_RESOLVED)
		sink_buf_add(&b, "Resolved: ");
	else if (a->flapping)
		sink_buf_addf(&b, "Flapping, %s: ", sink_marker(a->severity));
	else if (a->reminder)
		sink_buf_addf(&b, "Still firing, %s: ", sink_marker(a->severity));
	else
		sink_buf_addf(&b, "%s: ", sink_marker(a->severity));
	sink_buf_text(&b, a->rule, esc);
	if (!notify_alert_global(a)) {
		sink_buf_add(&b, " on ");
		sink_buf_text(&b, a->domain, esc);
	}
	json_array_append_new(blocks, header_block(&b));

	message(&b, a, SLACK_SECTION_MAX - 120);
	if (a->flapping && n->kind != NOTIFY_RESOLVED)
		sink_buf_add(&b, "\n_Flapping: it keeps flipping between failing and passing, so "
				 "it is notified once until it settles._");
	sec = section_block(&b);
	field(fields, "Severity", sink_marker(a->severity));
	if (!notify_alert_global(a))
		field(fields, "Domain", a->domain);
	field(fields, "Rule", a->rule);
	field(fields, "Subject", a->subject);
	if (n->kind == NOTIFY_RESOLVED) {
		long long end = a->ended > 0 ? a->ended : n->at;

		if (a->started > 0 && end >= a->started) {
			sink_duration(end - a->started, when);
			field(fields, "Fired for", when);
		}
		sink_time_human(end, when);
		field(fields, "Resolved at", when);
	} else {
		sink_time_human(a->started > 0 ? a->started : n->at, when);
		field(fields, "Firing since", when);
	}
	json_object_set_new(sec, "fields", fields);
	json_array_append_new(blocks, sec);

	if (a->evidence != NULL && a->nevidence > 0) {
		sink_buf_add(&b, "*Evidence*\n");
		evidence(&b, a, SLACK_EVIDENCE_LINES, SLACK_LINE_MAX);
		json_array_append_new(blocks, section_block(&b));
	}
}

/* Adds the section of one alert of a list. */
static void
list_item(json_t *blocks, const struct notification *n, const struct notify_alert *a)
{
	struct sink_buf b = {0};
	char when[32];
	const int esc = SINK_MRKDWN | SINK_ONE_LINE;

	if (n->kind == NOTIFY_RESOLVED)
		sink_buf_add(&b, "*Resolved* ");
	else
		sink_buf_addf(&b, "*%s* ", sink_marker(a->severity));
	sink_buf_text(&b, a->rule, esc);
	if (!notify_alert_global(a)) {
		sink_buf_add(&b, " on *");
		sink_buf_text(&b, a->domain, esc);
		sink_buf_add(&b, "*");
	}
	if (a->subject != NULL && a->subject[0] != '\0' &&
	    (a->domain == NULL || strcmp(a->subject, a->domain) != 0)) {
		sink_buf_add(&b, " \xc2\xb7 "); /* U+00B7 */
		sink_buf_text(&b, a->subject, esc);
	}
	if (n->kind == NOTIFY_RESOLVED) {
		long long end = a->ended > 0 ? a->ended : n->at;

		if (a->started > 0 && end >= a->started) {
			sink_duration(end - a->started, when);
			sink_buf_addf(&b, " \xc2\xb7 after %s", when);
		}
	} else if (n->kind == NOTIFY_FIRING && a->flapping) {
		sink_buf_add(&b, " \xc2\xb7 flapping (notified once)");
	} else if (n->kind == NOTIFY_FIRING && a->reminder) {
		sink_time_human(a->started, when);
		sink_buf_addf(&b, " \xc2\xb7 still firing since %s", when);
	}
	sink_buf_add(&b, "\n");
	message(&b, a, SLACK_LIST_MESSAGE_MAX);
	if (a->evidence != NULL && a->nevidence > 0) {
		sink_buf_add(&b, "\n");
		evidence(&b, a, SLACK_LIST_EVIDENCE_LINES, SLACK_LIST_LINE_MAX);
	}
	json_array_append_new(blocks, section_block(&b));
}

/* Adds the blocks of a digest or of several alerts: a title, each shown alert, the rest
 * counted. */
static void
list(json_t *blocks, const struct notification *n)
{
	struct sink_buf b = {0};
	size_t shown = sink_shown(n), total = sink_total(n);

	sink_buf_digest_title(&b, n, SINK_MRKDWN);
	json_array_append_new(blocks, header_block(&b));
	/* Room for the title, the count of the rest and the context. */
	if (shown > SLACK_MAX_BLOCKS - 3)
		shown = SLACK_MAX_BLOCKS - 3;
	for (size_t i = 0; i < shown; i++)
		list_item(blocks, n, &n->alerts[i]);
	if (total > shown) {
		sink_buf_addf(&b,
			      "\xe2\x80\xa6"
			      "and %zu more",
			      total - shown);
		json_array_append_new(blocks, section_block(&b));
	}
}

/* Renders a Slack message. */
void
sink_slack_render(const struct cfg_sink *s, const struct notification *n, struct sink_msg **out,
		  size_t *nout)
{
	struct sink_buf b = {0};
	json_t *o = json_object(), *blocks = json_array();
	char *text;

	if (!sink_is_digest(n) && sink_shown(n) == 1) {
		sink_buf_alert_line(&b, n, &n->alerts[0], SINK_MRKDWN, SLACK_FALLBACK_MESSAGE_MAX);
		single(blocks, n, &n->alerts[0]);
	} else {
		sink_buf_digest_title(&b, n, SINK_MRKDWN);
		list(blocks, n);
	}
	json_array_append_new(blocks, context_block(n));
	text = sink_trunc(sink_buf_take(&b), SLACK_TEXT_MAX, true);
	json_object_set_new(o, "text", json_string_nocheck(text));
	free(text);
	json_object_set_new(o, "blocks", blocks);
	json_object_set_new(o, "unfurl_links", json_false());
	json_object_set_new(o, "unfurl_media", json_false());
	sink_msgs_add(out, nout, NULL, sink_json_dump(o));
}
