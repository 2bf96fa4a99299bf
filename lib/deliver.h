/*
 * Delivery: sends the outbox to the sinks over HTTP (http_*), one queue per sink in outbox
 * order, one request at a time per sink, with a minimum interval between requests (Slack
 * about 1/s per webhook, PagerDuty about 120/min per key), capped exponential backoff with
 * jitter on failures, Retry-After honoured, and permanent errors (400, 404, 410, ...) marked
 * dead, logged and counted, never retried. A notification is marked done only after a 2xx,
 * so a crash at any point sends it again (at least once; same dedup key).
 */
#ifndef MXW_DELIVER_H
#define MXW_DELIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "cfg.h"
#include "http.h"
#include "store.h"

struct event_base;
struct deliver;

/* Backoff after failed attempts: alerting.retry_backoff (10 s) doubling up to an hour, then
 * jittered by ±20% (so at most 72 minutes between attempts). */
#define DELIVER_BACKOFF_MAX 3600

struct deliver_stats {
	uint64_t sent;	  /* delivered (2xx) */
	uint64_t retried; /* failed attempts that will be tried again */
	uint64_t dead;	  /* given up: permanent errors */
};

/* Creates the delivery on base, sending through http and keeping state in st (both
 * borrowed). */
struct deliver *deliver_new(struct event_base *base, struct http_client *http, struct store *st);
/* Frees it; requests in flight are cancelled (they stay pending in the outbox). */
void deliver_free(struct deliver *d);

/* Takes the sinks of c (copied: c may go). Sinks no longer configured stop being served;
 * their notifications stay in the outbox. */
void deliver_set_config(struct deliver *d, const struct cfg *c);

/* New notifications were committed: look at the outbox now. */
void deliver_kick(struct deliver *d);

/* True when no request is in flight and no sink has a notification due now. */
bool deliver_idle(const struct deliver *d);

/* Calls fn once no request is in flight and nothing is due before now + horizon_s seconds
 * (for mxwatchd --once: deliver what can be delivered, then exit). */
void deliver_when_idle(struct deliver *d, long long horizon_s, void (*fn)(void *arg), void *arg);

void deliver_get_stats(const struct deliver *d, struct deliver_stats *st);
/* Copies the counters of the sink named sink (kept across reloads, also once it is no longer
 * configured) into *st; false and zeros when no sink of that name was ever configured. */
bool deliver_get_sink_stats(const struct deliver *d, const char *sink, struct deliver_stats *st);

/* The delay in whole seconds before attempt n + 1 after n failed ones, with jitter r in
 * [0, 1): b = first (at least 1), doubling up to DELIVER_BACKOFF_MAX, then drawn evenly by
 * r from ceil(0.8 b) to floor(1.2 b), so never below 1 s; at least retry_after when that
 * is >= 0 (capped at a day). Delivery waits at least that long from the failure (the
 * outbox keeps next_attempt in whole seconds, rounded up). */
long long deliver_backoff(int n, long long first, double r, long long retry_after);

/* The least interval between two requests to a sink, in milliseconds. */
long deliver_min_interval_ms(const struct cfg_sink *s);

#endif
