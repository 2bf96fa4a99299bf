/*
 * Inside the sink module: text helpers shared by the payload builders (UTF-8 repair, Slack
 * mrkdwn escaping, truncation by length, times) and one builder per sink type.
 */
#ifndef MXW_SINK_INT_H
#define MXW_SINK_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "sink.h"

/* Flags of sink_buf_text. */
#define SINK_MRKDWN 0x1	  /* escape &, < and > as Slack requires */
#define SINK_ONE_LINE 0x2 /* control characters (newlines too) become spaces */

/* A growing string; s is always NUL-terminated once something was added. */
struct sink_buf {
	char *s;
	size_t len;
	size_t cap;
};

/* Appends s as is (text this module writes itself). */
void sink_buf_add(struct sink_buf *b, const char *s);
/* Appends formatted text this module writes itself. */
void sink_buf_addf(struct sink_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends outside data (NULL is ""): invalid UTF-8 bytes become U+FFFD, then flags apply. */
void sink_buf_text(struct sink_buf *b, const char *s, int flags);
/* Returns the text (never NULL; "" when empty) and empties b. Caller frees. */
char *sink_buf_take(struct sink_buf *b);

/* Returns s as valid UTF-8 (NULL is ""), with flags as in sink_buf_text. Caller frees. */
char *sink_text(const char *s, int flags);
/* Returns the length of s in UTF-16 code units, the unit Slack and PagerDuty limits are
 * safe to count in (never less than the number of characters). */
size_t sink_width(const char *s);
/* Cuts valid UTF-8 text s (taken) to at most max units (see sink_width), ending with "…"
 * when cut; entities says not to cut inside an "&amp;"-style entity. Returns the text. */
char *sink_trunc(char *s, size_t max, bool entities);

/* Returns a JSON string of outside data (NULL is ""), repaired as by sink_text. */
json_t *sink_json_str(const char *s);
/* Sets key (outside data, repaired) of object o to v (taken). */
void sink_json_set(json_t *o, const char *key, json_t *v);
/* Returns the JSON array of an alert's evidence lines. */
json_t *sink_json_evidence(const struct notify_alert *a);
/* Returns the JSON object of labels. */
json_t *sink_json_labels(const struct cfg_label *l, size_t n);
/* Returns the compact text of o (insertion order kept) and releases o. Caller frees. */
char *sink_json_dump(json_t *o);

/* Writes t (seconds since the epoch) as RFC 3339 UTC ("2024-03-01T12:00:00Z"). */
void sink_time_rfc3339(long long t, char out[32]);
/* Writes t for a person ("2024-03-01 12:00 UTC"). */
void sink_time_human(long long t, char out[32]);

/* Returns "CRITICAL", "WARNING" or "info": readable at a glance, without colour or emoji. */
const char *sink_marker(enum severity sev);
/* Returns the alert's dedup key (computed when the caller left it NULL). Caller frees. */
char *sink_alert_key(const struct notify_alert *a);
/* How many alerts n stands for (never fewer than it carries). */
size_t sink_total(const struct notification *n);
/* How many alerts n carries (its nalerts; 0 without alerts). */
size_t sink_given(const struct notification *n);
/* How many alerts n shows to a person (never more than NOTIFY_MAX_SHOWN). */
size_t sink_shown(const struct notification *n);
/* Tells whether n is sent as one summary: a baseline, or more alerts than one message shows
 * one by one. */
bool sink_is_digest(const struct notification *n);
/* Writes how many alerts of n there are of each severity (indexed by enum severity): its
 * by_severity, or the alerts it carries counted when the caller left it zero. */
void sink_counts(const struct notification *n, size_t c[3]);
/* Returns the worst severity n stands for. */
enum severity sink_worst(const struct notification *n);
/* Appends "12 critical, 25 warning" (the non-zero counts of n, worst first). */
void sink_buf_counts(struct sink_buf *b, const struct notification *n);
/* Appends the one-line title of a digest ("37 mail-DNS problems: 12 critical, 25 warning",
 * "Baseline of 3 domains: ..."); flags as in sink_buf_text. */
void sink_buf_digest_title(struct sink_buf *b, const struct notification *n, int flags);
/* Appends the one-line title of one alert ("CRITICAL mx.mixed-providers example.com:
 * message", with resolved, still-firing and flapping variants; no domain for an alert of
 * none); the message part is cut to msgmax units. */
void sink_buf_alert_line(struct sink_buf *b, const struct notification *n,
			 const struct notify_alert *a, int flags, size_t msgmax);

/* Appends a message to *m (*n of them). Takes dedup_key (may be NULL) and body. */
void sink_msgs_add(struct sink_msg **m, size_t *n, char *dedup_key, char *body);

/* The builders of each sink type, as sink_render without the error (they cannot fail). */
void sink_slack_render(const struct cfg_sink *s, const struct notification *n,
		       struct sink_msg **out, size_t *nout);
void sink_pagerduty_render(const struct cfg_sink *s, const struct notification *n,
			   struct sink_msg **out, size_t *nout);
void sink_webhook_render(const struct cfg_sink *s, const struct notification *n,
			 struct sink_msg **out, size_t *nout);

#endif
