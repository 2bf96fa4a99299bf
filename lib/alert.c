/* The alert lifecycle: phases, reminders and flapping of one (domain, rule, subject). */
#include "config.h"

#include <string.h>

#include "alert.h"

#define HISTORY_MASK ((UINT32_C(1) << ALERT_HISTORY) - 1)

/* Sets a policy. */
void
alert_policy_init(struct alert_policy *p, unsigned confirm_after, unsigned resolve_after,
		  long long repeat_after)
{
	p->confirm_after = confirm_after ? confirm_after : 1;
	p->resolve_after = resolve_after ? resolve_after : 1;
	p->repeat_after = repeat_after > 0 ? repeat_after : 0;
	p->flap_start = 50.0;
	p->flap_stop = 25.0;
}

/* Returns the weighted percent state change of the history. */
double
alert_flap_percent(const struct alert_state *s)
{
	double sum = 0;

	for (unsigned i = 0; i + 1 < s->nhistory && i + 1 < ALERT_HISTORY; i++) {
		unsigned newer = (s->history >> i) & 1, older = (s->history >> (i + 1)) & 1;

		/* Transition i is the i-th newest: 1.2 for the newest down to 0.8. */
		if (newer != older)
			sum += 0.8 + 0.4 * (double)(ALERT_HISTORY - 2 - i) / (ALERT_HISTORY - 2);
	}
	return sum * 100.0 / (ALERT_HISTORY - 1);
}

/* Records an observation and decides what to notify. */
enum alert_action
alert_observe(struct alert_state *s, enum alert_obs obs, long long now,
	      const struct alert_policy *p)
{
	bool failing = obs == ALERT_FAILING, started_flapping = false;
	double pct;

	if (obs == ALERT_UNKNOWN)
		return ALERT_NONE;
	s->history = ((s->history << 1) | (failing ? 1u : 0u)) & HISTORY_MASK;
	if (s->nhistory < ALERT_HISTORY)
		s->nhistory++;
	if (failing) {
		s->failing++;
		s->passing = 0;
		if (s->phase == ALERT_OK)
			s->phase = ALERT_PENDING;
		if (s->phase == ALERT_PENDING && s->failing >= p->confirm_after) {
			s->phase = ALERT_FIRING;
			s->since = now;
		}
	} else {
		s->passing++;
		s->failing = 0;
		if (s->phase == ALERT_PENDING ||
		    (s->phase == ALERT_FIRING && s->passing >= p->resolve_after)) {
			s->phase = ALERT_OK;
			s->since = 0;
		}
	}
	pct = alert_flap_percent(s);
	if (!s->flapping && pct >= p->flap_start) {
		s->flapping = true;
		started_flapping = true;
	} else if (s->flapping && pct < p->flap_stop) {
		s->flapping = false;
	}
	if (started_flapping) {
		/* One notice instead of every flip; it counts as told for the resolve. */
		s->notified = true;
		s->last_notified = now;
		return ALERT_FLAPPING;
	}
	if (s->flapping)
		return ALERT_NONE;
	if (s->phase == ALERT_FIRING && !s->notified) {
		s->notified = true;
		s->last_notified = now;
		return ALERT_FIRE;
	}
	if (s->phase == ALERT_OK && s->notified) {
		s->notified = false;
		return ALERT_RESOLVE;
	}
	if (s->phase == ALERT_FIRING && p->repeat_after > 0 &&
	    now - s->last_notified >= p->repeat_after) {
		s->last_notified = now;
		return ALERT_REMIND;
	}
	return ALERT_NONE;
}

/* Fires at once, as part of a baseline. */
void
alert_baseline(struct alert_state *s, long long now)
{
	memset(s, 0, sizeof(*s));
	s->phase = ALERT_FIRING;
	s->failing = 1;
	s->history = 1;
	s->nhistory = 1;
	s->notified = true;
	s->since = now;
	s->last_notified = now;
}

/* Tells whether the state can be dropped. */
bool
alert_forgettable(const struct alert_state *s)
{
	return s->phase == ALERT_OK && !s->notified && !s->flapping && s->history == 0;
}

/* Names a phase. */
const char *
alert_phase_name(enum alert_phase p)
{
	switch (p) {
	case ALERT_OK:
		return "ok";
	case ALERT_PENDING:
		return "pending";
	case ALERT_FIRING:
		return "firing";
	}
	return "ok";
}

/* Parses a phase name. */
bool
alert_phase_parse(const char *s, enum alert_phase *out)
{
	static const enum alert_phase all[] = {ALERT_OK, ALERT_PENDING, ALERT_FIRING};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (strcmp(s, alert_phase_name(all[i])) == 0) {
			*out = all[i];
			return true;
		}
	}
	return false;
}
