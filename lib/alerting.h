/*
 * Alerting: applies each domain check's findings to the alert lifecycle (alert_*), keeps the
 * state of every finding in the store, and at each commit turns what must be told into
 * notifications per sink (grouped when many, one baseline digest for first checks), rendered
 * (sink_*) into the outbox in the same transaction as the states they report. It keeps
 * which sinks were told each alert fired (alerting_told.c), so that its resolve goes to
 * exactly those; for PagerDuty also which incident (dedup key) covers each alert, and
 * resolves an incident when the last alert it covers resolves (alerting_pd.c).
 */
#ifndef MXW_ALERTING_H
#define MXW_ALERTING_H

#include <stdbool.h>
#include <stdio.h>

#include "cfg.h"
#include "rule.h"
#include "store.h"

/* More alerts of one kind than this for one sink in one flush make a grouped notification. */
#define ALERTING_GROUP_AT 3

struct alerting;

/* Creates the alerting state. With dry_run not NULL, flushes print each notification there,
 * one JSON line {"type":"notification","sink","kind","dedup_key","body"} each, instead of
 * queueing it in the outbox. */
struct alerting *alerting_new(FILE *dry_run);
/* Frees it, and whatever is still queued. */
void alerting_free(struct alerting *a);

/* Applies one check of domain d (its findings) inside the open store transaction. first:
 * the domain's first check (none came before it, or only held ones: see
 * store_get_baseline_held), whose findings are its baseline, told as one digest per sink.
 * degraded: the check could not see everything (an outage, an unhealthy resolver), so
 * findings neither start nor clear. A first check that is degraded is no baseline: nothing
 * is queued or kept for it, and the store records that the domain's baseline waits
 * (store_set_baseline_held), which the first check that is not degraded ends. An alert
 * keeps the labels of d it fired with until it resolves (its reminders and its resolve
 * carry them, and are routed by them). Returns 0, or -1 and *errstr. */
int alerting_check(struct alerting *a, struct store *st, const struct cfg *c,
		   const struct cfg_domain *d, const struct findings *found, bool first,
		   bool degraded, long long now, char **errstr);

/* A domain is no longer watched: its alerts that were told resolve, with the labels they
 * were told with (d's, or none, for a state stored before labels were kept), and every
 * state it had is forgotten, in the open transaction. Returns 0, or -1 and *errstr. */
int alerting_forget(struct alerting *a, struct store *st, const char *domain,
		    const struct cfg_domain *d, long long now, char **errstr);

/* Queues an alert that belongs to no domain (resolver.unhealthy): fires (resolved false) or
 * resolves. Its dedup key is "mxwatch/<rule>": one such alert per rule. */
void alerting_global(struct alerting *a, const char *rule, const char *subject, const char *message,
		     bool resolved, long long since, long long now);

/* Renders what was queued for each sink of c into the outbox (or the dry-run output), in the
 * open transaction, and empties the queue. The queue is told in order, in runs in which no
 * alert comes twice, each run grouped per sink: an alert that resolved and fired again is
 * told resolved, then firing. What fires goes by the sinks' routing (alerts of no domain
 * skip their label matchers, sink_wants_global); a resolve goes to the sinks that were told
 * the fire, and to no other. First, when c's sinks are not those of the last flush, what
 * a sink no longer configured was told moves to the sink that now has its destination (a
 * rename), or is forgotten. Returns the number of notifications, or -1 and *errstr. */
int alerting_flush(struct alerting *a, struct store *st, const struct cfg *c, long long now,
		   char **errstr);

/* Drops what was queued (its transaction was rolled back). */
void alerting_discard(struct alerting *a);

/* Notifications queued for the next flush. */
size_t alerting_pending(const struct alerting *a);

#endif
