/*
 * Notifications: what one sink is told at one moment (DESIGN §7). The alert lifecycle
 * (alert_*) decides when; the sink payload builders (sink_*) turn a notification into HTTP
 * bodies; the outbox (store_*) keeps them until delivered. Pure data: no I/O.
 */
#ifndef MXW_NOTIFY_H
#define MXW_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "cfg.h"
#include "severity.h"

/* How many alerts of a grouped notification Slack and a PagerDuty summary show in full (a
 * person reads them); the rest are counted. Webhooks carry every alert. */
#define NOTIFY_MAX_SHOWN 10

/* Longest dedup key (PagerDuty allows 255). */
#define NOTIFY_DEDUP_MAX 255

enum notify_kind {
	NOTIFY_FIRING,	 /* alerts that started firing, or reminders (alert.reminder) */
	NOTIFY_RESOLVED, /* alerts that stopped firing */
	NOTIFY_BASELINE, /* a domain's first check: what it already has, one digest */
};

/* One alert: a (domain, rule, subject) that fires or resolved. Strings are borrowed. */
struct notify_alert {
	const char *domain; /* "example.com"; NULL or "" for an alert of no domain (global) */
	const char *rule;   /* a catalogue id ("mx.mixed-providers") */
	enum severity severity;
	const char *subject; /* the name or IP it is about */
	const char *message; /* one sentence; DNS data in it is raw: sinks escape it */
	char *const *evidence;
	size_t nevidence;
	const struct cfg_label *labels; /* the domain's labels (as told when it fired) */
	size_t nlabels;
	const char *dedup_key; /* notify_dedup_key(domain, rule, subject) */
	long long started;     /* when it started firing (seconds since the epoch) */
	long long ended;       /* when it resolved; 0 while it fires */
	bool reminder;	       /* firing, sent again after repeat_after */
	bool flapping;	       /* it flips between failing and passing (sent once as such) */
};

/* One notification for one sink. */
struct notification {
	enum notify_kind kind;
	long long at;	/* when it was made (seconds since the epoch) */
	const char *id; /* unique per notification and stable across retries ("mxw_42") */
	const struct notify_alert *alerts; /* every alert it is about, in order */
	size_t nalerts;
	size_t total;	       /* alerts it stands for: more than nalerts if only some are given */
	size_t by_severity[3]; /* of total, by enum severity */
	/* PagerDuty: the dedup key of the one incident n is about (a group's), or NULL; see
	 * sink_render. Other sinks ignore it. */
	const char *group_key;
};

/* Returns the dedup key of (domain, rule, subject): "domain/rule/subject" when it fits in
 * NOTIFY_DEDUP_MAX bytes, else "domain/rule/" and the SHA-256 of the subject in hex, cut to
 * fit. An alert of no domain (domain NULL or "") is one per rule: "mxwatch/rule". Stable:
 * the same triple always gives the same key. Caller frees. */
char *notify_dedup_key(const char *domain, const char *rule, const char *subject);

/* Tells whether an alert belongs to no domain (resolver.unhealthy). */
bool notify_alert_global(const struct notify_alert *a);

/* Returns "firing", "resolved" or "baseline". */
const char *notify_kind_name(enum notify_kind k);

#endif
