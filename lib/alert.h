/*
 * The alert lifecycle (DESIGN §7), per (domain, rule, subject): ok -> pending (failing, fewer
 * than confirm_after checks) -> firing (notify) -> resolved (notify, after resolve_after
 * passing checks); reminders every repeat_after while firing; flapping (the Nagios percent
 * state change over the last ALERT_HISTORY checks) is notified once instead of every flip.
 * An unknown observation neither fires nor resolves. Pure: the clock comes in as arguments.
 */
#ifndef MXW_ALERT_H
#define MXW_ALERT_H

#include <stdbool.h>
#include <stdint.h>

/* Observations kept for flapping detection (Nagios keeps 21). */
#define ALERT_HISTORY 21

enum alert_phase {
	ALERT_OK,      /* passing (or resolved) */
	ALERT_PENDING, /* failing, not yet confirm_after times in a row */
	ALERT_FIRING,  /* confirmed */
};

/* What one check says of an alert. */
enum alert_obs {
	ALERT_FAILING, /* the finding is there */
	ALERT_PASSING, /* it is not, and the check's data is good */
	ALERT_UNKNOWN, /* the check could not tell (outage, resolver unhealthy) */
};

/* What the sinks must be told after an observation. */
enum alert_action {
	ALERT_NONE,
	ALERT_FIRE,	/* it fires: a trigger */
	ALERT_RESOLVE,	/* it stopped firing: a resolve */
	ALERT_REMIND,	/* still firing after repeat_after: a reminder */
	ALERT_FLAPPING, /* it started flapping: one notice; flips are not notified until it calms */
};

struct alert_policy {
	unsigned confirm_after; /* at least 1 */
	unsigned resolve_after; /* at least 1 */
	long long repeat_after; /* seconds; 0: never remind */
	double flap_start;	/* percent state change at which flapping starts (50) */
	double flap_stop;	/* and below which it stops (25) */
};

/* The state kept per (domain, rule, subject). Zeroed is a new, ok alert. */
struct alert_state {
	enum alert_phase phase;
	unsigned failing;  /* consecutive failing observations */
	unsigned passing;  /* consecutive passing observations */
	uint32_t history;  /* bit i: observation i checks ago failed (bit 0 the newest) */
	unsigned nhistory; /* how many observations history holds (at most ALERT_HISTORY) */
	bool flapping;
	bool notified;	 /* the sinks were told it fires (fire, baseline or flapping) */
	long long since; /* firing since; 0 when not firing */
	long long last_notified;
};

/* Fills a policy from the configuration's values, with the flapping defaults. */
void alert_policy_init(struct alert_policy *p, unsigned confirm_after, unsigned resolve_after,
		       long long repeat_after);

/* Records one observation at now and returns what to notify. */
enum alert_action alert_observe(struct alert_state *s, enum alert_obs obs, long long now,
				const struct alert_policy *p);

/* A domain's first check found it: it fires at once and goes out in the baseline digest. */
void alert_baseline(struct alert_state *s, long long now);

/* The percent state change of the history (Nagios: transitions weighted from 0.8 for the
 * oldest to 1.2 for the newest, over the ALERT_HISTORY - 1 possible ones). */
double alert_flap_percent(const struct alert_state *s);

/* True when the state needs no row any more: ok, notified of nothing, and no failure in its
 * history (so flapping cannot start from it). */
bool alert_forgettable(const struct alert_state *s);

/* Returns "ok", "pending" or "firing"; alert_phase_parse reads them back. */
const char *alert_phase_name(enum alert_phase p);
bool alert_phase_parse(const char *s, enum alert_phase *out);

#endif
