/* What the alerting files share: the queue of alerts waiting for a flush, and rendering. */
#ifndef MXW_ALERTING_INT_H
#define MXW_ALERTING_INT_H

#include "alerting.h"
#include "notify.h"

/* One alert waiting for the next flush; owns its strings. */
struct queued {
	enum notify_kind kind;
	char *domain, *rule, *subject, *message, *dedup_key;
	enum severity severity;
	char **evidence;
	size_t nevidence;
	struct cfg_label *labels;
	size_t nlabels;
	long long started, ended;
	bool reminder, flapping;
	bool event;  /* a change: told once, never resolves */
	bool global; /* belongs to no domain (resolver.unhealthy) */
};

struct alerting {
	FILE *dry_run;
	struct queued *q;
	size_t n;
};

/* Tells whether queued alert q goes to sink s (sink_wants; sink_wants_global for an alert
 * of no domain). */
bool alerting_routes(const struct cfg_sink *s, const struct queued *q);

/* Writes a fresh notification id ("mxw_" and 16 hex digits) into buf. */
void alerting_new_id(char *buf, size_t size);

/* Renders one notification of kind for sink s, carrying the n alerts of items, into the
 * outbox (or the dry-run output). id (NULL: a fresh one) is the notification's id and
 * group_key (may be NULL) its notification.group_key. Returns the number of messages
 * queued, or -1 and *errstr. */
int alerting_emit(struct alerting *a, struct store *st, const struct cfg_sink *s,
		  enum notify_kind kind, const struct queued *const *items, size_t n,
		  const char *id, const char *group_key, long long now, char **errstr);

/* Renders the nq queued alerts of q (a run of a's queue in which no alert comes twice) for
 * PagerDuty sink s, keeping its incidents in the store so that each is resolved when the
 * last alert it covers resolves. items has room for nq. Returns the number of messages
 * queued, or -1 and *errstr. */
int alerting_pd_flush(struct alerting *a, struct store *st, const struct cfg_sink *s,
		      const struct queued *q, size_t nq, const struct queued **items, long long now,
		      char **errstr);

#endif
