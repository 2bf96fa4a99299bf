/*
 * The monitor: checks the configured domains (once, or on schedule), keeps their state in
 * the store and reports each change. It wires cfg, sched, probe, snap and store together on
 * one event base; the daemon only creates it and feeds it signals.
 */
#ifndef MXW_MONITOR_H
#define MXW_MONITOR_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cfg.h"
#include "dns.h"
#include "rule.h"
#include "snap.h"
#include "store.h"

struct event_base;
struct monitor;

/* What the monitor tells its owner. Every member may be NULL. */
struct monitor_events {
	/* A change of domain, recorded in the transaction that is being built. */
	void (*change)(const char *domain, const struct snap_change *c, int64_t now, void *arg);
	/* A finding of a domain's check (confirmed or not: alerting decides what to send). */
	void (*finding)(const struct finding *f, void *arg);
	/* A batch that queued notifications in the outbox was committed. */
	void (*notified)(void *arg);
	/* A failure that stops nothing but must be seen (store errors): message only. */
	void (*error)(const char *message, void *arg);
	void *arg;
};

/* Creates a monitor on base using resolver r and store st (both borrowed). Its writes are
 * batched in store transactions; until monitor_free it is st's flush function
 * (store_set_flush), so a delivery mark first commits the open batch with its notifications. */
struct monitor *monitor_new(struct event_base *base, struct dns_resolver *r, struct store *st,
			    const struct monitor_events *ev);
/* Makes the monitor a dry run (mxwatchd --dry-run): notifications are printed to f instead
 * of queued in the outbox, and every batch is rolled back instead of committed, so the
 * store is read but never written (each check compares with the stored state). */
void monitor_set_dry_run(struct monitor *m, FILE *f);

/* Frees the monitor and every configuration it holds; call after it stopped. */
void monitor_free(struct monitor *m);

/* Gives the monitor a configuration and the provider knowledge loaded for it (it takes c and
 * p, also on failure; p may be NULL: no provider rules). Domains added are scheduled
 * (spread over their interval, or at their persisted due time), removed ones are dropped; checks
 * running finish against the configuration they started with. Returns 0 or -1 with *errstr. */
int monitor_set_config(struct monitor *m, struct cfg *c, struct prov *p, char **errstr);

/* Checks every configured domain once, stores the results, then calls done with 0, or -1
 * when a store write failed. */
void monitor_run_once(struct monitor *m, void (*done)(int status, void *arg), void *arg);

/* Checks domains as they fall due, until monitor_stop. */
void monitor_start(struct monitor *m);

/* Stops taking new checks, lets the running ones finish (or, with cancel, abandons them),
 * commits, then calls stopped. */
void monitor_stop(struct monitor *m, void (*stopped)(void *arg), void *arg);

/* Counters for status output. */
struct monitor_stats {
	uint64_t checks;		     /* domain checks stored */
	uint64_t changes;		     /* changes recorded */
	uint64_t findings[SEV_CRITICAL + 1]; /* findings by severity */
	uint64_t store_errors;
	uint64_t notifications; /* queued in the outbox (or printed by a dry run) */
	size_t running;		/* domain checks in progress */
	size_t domains;		/* configured domains */
	int64_t last_check;	/* when the latest check was stored (Unix time); 0: none yet */
	/* Domain checks stored in which at least one watched set could not be looked up
	 * (SERVFAIL, REFUSED, timeout, error): what they found rests on last known records. */
	uint64_t checks_unknown;
	/* Passes: a pass starts with a check when none is open and ends when every configured
	 * domain has completed a check since (with --once: the run; on schedule: about the
	 * interval while the daemon keeps up, longer when it falls behind). A reload abandons
	 * the pass in progress. */
	uint64_t cycles;  /* passes completed */
	int64_t cycle_ms; /* how long the last completed pass took; -1: none yet */
};
void monitor_get_stats(const struct monitor *m, struct monitor_stats *st);

/* False while resolver.unhealthy fires: most checks fail at once (DNS or the network is
 * down) and per-domain alerts are held. */
bool monitor_resolver_healthy(const struct monitor *m);
/* Since when resolver.unhealthy fires (Unix time), as the store keeps it (meta key
 * resolver_unhealthy_since); 0 while the resolver is healthy. */
int64_t monitor_resolver_unhealthy_since(const struct monitor *m);

#endif
