/*
 * Alerting for PagerDuty sinks: every incident mxwatch opens is resolved once the alerts it
 * covers have all resolved (or their domain is no longer watched), and it pages once for
 * many alerts, not once each. The store remembers which dedup key covers each alert told to
 * each PagerDuty sink (store_*_incident):
 *
 * - A baseline, and more than ALERTING_GROUP_AT new alerts firing in one flush, open one
 *   incident, "mxwatch/<kind>/<notification id>", that covers them all: a new domain or a
 *   broken include shared by fifty domains is one page, with the first alerts shown.
 * - Fewer open one incident each, under the alert's own key (domain/rule/subject). An
 *   alert of no domain (resolver.unhealthy) always opens its own, under "mxwatch/<rule>",
 *   so that its resolve is told when it resolves, not when the domains' alerts do.
 * - A reminder or flapping notice of a covered alert triggers its incident's key again:
 *   PagerDuty folds it into the open incident (or opens it again if a person resolved it
 *   while the problem lasts), instead of a second incident.
 * - A resolved alert is no longer covered, and a key is resolved when nothing is left under
 *   it: one resolve event per key, however many alerts resolve at once.
 * - Changes (dns.changed and the like) are told once and never resolve, so nothing waits
 *   for them: a group resolves with the alerts it covers, and a change told on its own (or
 *   a group of changes only) stays open for a person to look at, as a change needs a look.
 *
 * Resolves follow what the store says the sink was told, not routing: a sink told of an
 * alert is told it resolved even when its min_severity or match changed meanwhile. An alert
 * told before the store kept incidents is resolved under its own key, when routed.
 * (One incident per alert would be simpler, but pages once per alert, a hundred times for a
 * broken shared include, unless the PagerDuty service groups alerts itself.)
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "alerting_int.h"
#include "xmalloc.h"

/* Records that key covers the alerts of items that can resolve (changes never do). */
static int
cover(struct store *st, const struct cfg_sink *s, const struct queued *const *items, size_t n,
      const char *key, long long now, char **errstr)
{
	for (size_t i = 0; i < n; i++) {
		const struct queued *q = items[i];

		if (!q->event && store_put_incident(st, s->name, q->domain, q->rule, q->subject,
						    key, now, errstr) != 0)
			return -1;
	}
	return 0;
}

/* Opens one incident for all of items: its key is made of the notification's id. */
static int
open_group(struct alerting *a, struct store *st, const struct cfg_sink *s, enum notify_kind kind,
	   const struct queued *const *items, size_t n, long long now, char **errstr)
{
	char id[32], *key;
	int rc;

	alerting_new_id(id, sizeof(id));
	key = xasprintf("mxwatch/%s/%s", notify_kind_name(kind), id);
	rc = alerting_emit(a, st, s, kind, items, n, id, key, now, errstr);
	if (rc >= 0 && cover(st, s, items, n, key, now, errstr) != 0)
		rc = -1;
	free(key);
	return rc;
}

/* Adds a notification's count to a total, or makes it -1. */
static int
add(int total, int rc)
{
	return total < 0 || rc < 0 ? -1 : total + rc;
}

/* Tells the firing alerts: covered ones trigger their incident again, one notification per
 * key; new ones open one incident together when many, else one each. */
static int
firing(struct alerting *a, struct store *st, const struct cfg_sink *s, const struct queued *q,
       size_t nq, const struct queued **items, long long now, char **errstr)
{
	size_t n = 0, nnew = 0, m;
	char **keys;
	bool *done;
	const struct queued **same;
	int total = 0;

	for (size_t i = 0; i < nq; i++)
		if (q[i].kind == NOTIFY_FIRING && alerting_routes(s, &q[i]))
			items[n++] = &q[i];
	if (n == 0)
		return 0;
	keys = xcalloc(n, sizeof(*keys));
	done = xcalloc(n, sizeof(*done));
	same = xcalloc(n, sizeof(*same));
	for (size_t i = 0; total >= 0 && i < n; i++)
		if (!items[i]->event &&
		    store_get_incident(st, s->name, items[i]->domain, items[i]->rule,
				       items[i]->subject, &keys[i], errstr) < 0)
			total = -1;
	for (size_t i = 0; total >= 0 && i < n; i++) {
		if (keys[i] == NULL || done[i])
			continue;
		m = 0;
		for (size_t j = i; j < n; j++) {
			if (keys[j] != NULL && !done[j] && strcmp(keys[j], keys[i]) == 0) {
				same[m++] = items[j];
				done[j] = true;
			}
		}
		/* An alert's own key: its own trigger again, as when it first fired. */
		total = add(total, alerting_emit(a, st, s, NOTIFY_FIRING, same, m, NULL,
						 m == 1 && strcmp(keys[i], same[0]->dedup_key) == 0
						     ? NULL
						     : keys[i],
						 now, errstr));
	}
	for (size_t i = 0; total >= 0 && i < n; i++) {
		if (keys[i] != NULL)
			continue;
		if (!items[i]->global) {
			items[nnew++] = items[i];
			continue;
		}
		/* An alert of no domain always goes alone: a group would hold its resolve
		 * back until the domains' alerts resolve too. */
		total = add(total, alerting_emit(a, st, s, NOTIFY_FIRING, &items[i], 1, NULL, NULL,
						 now, errstr));
		if (total >= 0 && cover(st, s, &items[i], 1, items[i]->dedup_key, now, errstr) != 0)
			total = -1;
	}
	if (total >= 0 && nnew > ALERTING_GROUP_AT) {
		total = add(total, open_group(a, st, s, NOTIFY_FIRING, items, nnew, now, errstr));
	} else {
		for (size_t i = 0; total >= 0 && i < nnew; i++) {
			total = add(total, alerting_emit(a, st, s, NOTIFY_FIRING, &items[i], 1,
							 NULL, NULL, now, errstr));
			if (total >= 0 &&
			    cover(st, s, &items[i], 1, items[i]->dedup_key, now, errstr) != 0)
				total = -1;
		}
	}
	for (size_t i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
	free(done);
	free(same);
	return total;
}

/* Tells the resolved alerts: one resolve for each key nothing is left under. */
static int
resolved(struct alerting *a, struct store *st, const struct cfg_sink *s, const struct queued *all,
	 size_t nq, long long now, char **errstr)
{
	int total = 0;

	for (size_t i = 0; total >= 0 && i < nq; i++) {
		const struct queued *q = &all[i];
		char *key = NULL;
		int64_t left = 0;
		int found;

		if (q->kind != NOTIFY_RESOLVED)
			continue;
		found = store_close_incident(st, s->name, q->domain, q->rule, q->subject, &key,
					     &left, errstr);
		if (found < 0)
			total = -1;
		else if (found == 1 && left == 0)
			total =
			    add(total, alerting_emit(a, st, s, NOTIFY_RESOLVED, &q, 1, NULL,
						     strcmp(key, q->dedup_key) == 0 ? NULL : key,
						     now, errstr));
		else if (found == 0 && alerting_routes(s, q))
			total = add(total, alerting_emit(a, st, s, NOTIFY_RESOLVED, &q, 1, NULL,
							 NULL, now, errstr));
		free(key);
	}
	return total;
}

/* Renders the queue for a PagerDuty sink. */
int
alerting_pd_flush(struct alerting *a, struct store *st, const struct cfg_sink *s,
		  const struct queued *q, size_t nq, const struct queued **items, long long now,
		  char **errstr)
{
	size_t n = 0;
	int total = 0;

	for (size_t i = 0; i < nq; i++)
		if (q[i].kind == NOTIFY_BASELINE && alerting_routes(s, &q[i]))
			items[n++] = &q[i];
	if (n > 0)
		total = open_group(a, st, s, NOTIFY_BASELINE, items, n, now, errstr);
	if (total >= 0)
		total = add(total, firing(a, st, s, q, nq, items, now, errstr));
	if (total >= 0)
		total = add(total, resolved(a, st, s, q, nq, now, errstr));
	return total;
}
