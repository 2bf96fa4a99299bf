/*
 * One check of one domain: asks every watched record set of the plan through the resolver,
 * follows up on the answers, and hands over the finished snapshot.
 */
#ifndef MXW_PROBE_H
#define MXW_PROBE_H

#include <stdbool.h>

#include "cfg.h"
#include "dns.h"
#include "snap.h"

/* Most queries one domain may cost per check (a guard against runaway SPF trees). */
#define PROBE_MAX_QUERIES 64

/* Called once when the check is over. snap is the caller's to free. complete is false when
 * the resolver shut down before every answer came (the snapshot must then not be kept). */
typedef void (*probe_cb)(struct snap *snap, bool complete, void *arg);

/* Starts checking domain d. prev is the domain's last stored snapshot, or NULL: where an
 * answer is unknown, the follow-ups of its last known records are still asked. d and prev
 * are borrowed and must live until the callback. Returns 0, or -1 when the resolver is
 * shutting down (the callback is then never called). */
int probe_start(struct dns_resolver *r, const struct cfg_domain *d, const struct snap *prev,
		probe_cb cb, void *arg);

#endif
