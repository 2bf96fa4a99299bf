/*
 * Sink payloads (DESIGN §7): pure builders that turn a notification into the HTTP request
 * bodies of a Slack incoming webhook (Block Kit with a text fallback), the PagerDuty Events
 * API v2, or a generic webhook (Alertmanager v4 JSON, or mxwatch's native JSON), and the
 * headers of each attempt (Standard Webhooks HMAC-SHA256 signature for signed webhooks).
 * No I/O, no clock: time comes in as arguments.
 */
#ifndef MXW_SINK_H
#define MXW_SINK_H

#include <stddef.h>

#include "cfg.h"
#include "notify.h"

/* The PagerDuty Events API v2 endpoint, used when a pagerduty sink sets no url. */
#define SINK_PAGERDUTY_URL "https://events.pagerduty.com/v2/enqueue"

/* The most alerts, and about the most bytes of them, one webhook message carries: a
 * notification over either goes as several messages (never truncated). */
#define SINK_WEBHOOK_MAX_ALERTS 1000
#define SINK_WEBHOOK_MAX_BYTES (512 * 1024)

/* One HTTP request body to POST to the sink's URL. */
struct sink_msg {
	char *dedup_key; /* the alert's key (PagerDuty: one event per alert); NULL for others */
	char *body;	 /* JSON text */
};

/* Renders notification n for sink s into *out (*nout messages, in sending order; free with
 * sink_msgs_free). Bodies hold no secret (they wait in the outbox): see sink_send_body.
 * Slack gets one message per notification, showing NOTIFY_MAX_SHOWN alerts of a group and
 * counting the rest. A webhook gets every alert n carries, in one message, or in several
 * when there are more than SINK_WEBHOOK_MAX_ALERTS or SINK_WEBHOOK_MAX_BYTES of them: each
 * part then has its own id ("<id>-<part>", "part" and "parts" in the native format) and
 * Alertmanager groupKey ("mxwatch/<kind>/<id>-<part>"), and every alert is in exactly one.
 * PagerDuty gets one event per alert (trigger, or resolve with only the dedup key), except
 * that a grouped firing notification (more alerts than NOTIFY_MAX_SHOWN) or a baseline is
 * one trigger event summing it up, with the first alerts shown in custom_details and the
 * dedup key n->group_key, else "mxwatch/<kind>/<notification id>"; with n->group_key set,
 * a firing notification is such a trigger too whatever its size, and a resolution is one
 * resolve event of n->group_key. Without it, a grouped resolution resolves every alert it
 * carries (a trigger would page to say things got better), and a notification of no alert
 * gives PagerDuty no event (*nout 0). Returns 0, or -1 and *errstr (caller frees) when it
 * cannot be rendered (never for a well-formed one). */
int sink_render(const struct cfg_sink *s, const struct notification *n, struct sink_msg **out,
		size_t *nout, char **errstr);
/* Frees what sink_render returned. */
void sink_msgs_free(struct sink_msg *m, size_t n);

/* Returns the body to send for a rendered body: for PagerDuty, with the sink's routing_key
 * added; else a copy. Caller frees. Called at each attempt, so a rotated key applies. */
char *sink_send_body(const struct cfg_sink *s, const char *body);

/* Returns the extra headers of one delivery attempt of body ("Name: value" strings, *n of
 * them; free each and the array): "Content-Type: application/json" always; for a webhook
 * sink with a secret, the Standard Webhooks headers webhook-id (msg_id), webhook-timestamp
 * (now) and webhook-signature ("v1," and the base64 HMAC-SHA256 of "msg_id.now.body" keyed
 * with the secret: the bytes after "whsec_" base64-decoded when it starts so, else the
 * secret's bytes). */
char **sink_headers(const struct cfg_sink *s, const char *msg_id, long long now, const char *body,
		    size_t *n);

/* Writes a duration for a person in its two largest units ("2h 15m", "3d 4h", "45s"), as
 * the messages say how long an alert fired (the daemon's log uses it too). */
void sink_duration(long long secs, char out[32]);

/* Returns the URL a sink posts to (its url, or SINK_PAGERDUTY_URL); borrowed. */
const char *sink_url(const struct cfg_sink *s);

/* Tells whether a finding of severity sev with the domain's labels goes to sink s: at least
 * its min_severity, and every one of its label matchers equal to the domain's label. */
bool sink_wants(const struct cfg_sink *s, enum severity sev, const struct cfg_label *labels,
		size_t nlabels);
/* Tells whether an alert of severity sev that belongs to no domain (resolver.unhealthy) goes
 * to sink s: at least its min_severity. Label matchers do not apply: such an alert has no
 * labels, and it concerns every domain the sink may watch. */
bool sink_wants_global(const struct cfg_sink *s, enum severity sev);

#endif
