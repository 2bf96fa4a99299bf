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
 * PagerDuty sink s (destination dest, see alerting_dest), keeping its incidents in the
 * store so that each is resolved when the last alert it covers resolves. items has room for
 * nq. Returns the number of messages queued, or -1 and *errstr. */
int alerting_pd_flush(struct alerting *a, struct store *st, const struct cfg_sink *s,
		      const char *dest, const struct queued *q, size_t nq,
		      const struct queued **items, long long now, char **errstr);

/* The size of a sink's destination fingerprint: 64 hex digits and a NUL. */
#define ALERTING_DEST_SIZE 65

/* Writes into buf the fingerprint of sink s's destination (a SHA-256 of its type, URL and
 * routing key, in hex): what the store keeps of it instead of the secrets. */
void alerting_dest(const struct cfg_sink *s, char buf[ALERTING_DEST_SIZE]);

/* Brings what the store says each sink was told, and the outbox's undelivered
 * notifications, in line with the sinks of c, whose destinations are dests (one per sink):
 * both go to the sink that has their destination now, whatever its name (also when sinks
 * swap destinations); when none has it, or it is not known, to the sink of the same name;
 * when there is none, what it was told is forgotten and what it had not delivered is given
 * up (marked dead), each logged. Moved notifications keep their ids, so their order; they
 * are sent once the delivery looks at the new name's queue (deliver_kick). Does nothing
 * when the sinks are those it last saw. Returns the number of messages queued (resolves of
 * PagerDuty keys a move left covering nothing; not the notifications moved), or -1 and
 * *errstr. */
int alerting_told_sync(struct alerting *a, struct store *st, const struct cfg *c,
		       char (*dests)[ALERTING_DEST_SIZE], long long now, char **errstr);

/* Tells whether queued alert q is told for the first time (not a reminder, a flapping
 * notice or a change), so that nothing told before covers it. */
bool alerting_fresh(const struct queued *q);

/* Tells whether q fired before the store kept what each sink was told (STORE_TOLD_BEFORE),
 * so that its resolve follows the sinks' routing: 1 when so, 0 when not, -1 and *errstr. */
int alerting_told_before(struct store *st, const struct queued *q, char **errstr);

/* Forgets that the nq alerts of q, a run told to every sink, fired before the store kept
 * what it told, for those that resolved or fired anew. Returns 0, or -1 and *errstr. */
int alerting_told_done(struct store *st, const struct queued *q, size_t nq, char **errstr);

#endif
