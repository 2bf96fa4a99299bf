/*
 * Alerting for PagerDuty sinks: every incident mxwatch opens is resolved once the alerts it
 * covers have all resolved (or their domain is no longer watched), and it pages once for
 * many alerts, not once each. The store remembers which dedup key covers each alert told to
 * each PagerDuty sink (store_*_told):
 *
 * - A baseline, and more than ALERTING_GROUP_AT new alerts firing in one flush, open one
 *   incident, "mxwatch/<kind>/<notification id>", that covers them all: a new domain or a
 *   broken include shared by fifty domains is one page, with the first alerts shown.
 * - Fewer open one incident each, under the alert's own key (domain/rule/subject). An
 *   alert of no domain (resolver.unhealthy) always opens its own, under "mxwatch/<rule>",
 *   so that its resolve is told when it resolves, not when the domains' alerts do.
 * - A reminder or flapping notice of a covered alert triggers its incident's key again:
 *   PagerDuty folds it into the open incident (or opens it again if a person resolved it
 *   while the problem lasts), instead of a second incident. An alert that fires anew is
 *   never folded into what covered it before: it opens an incident as above.
 * - A resolved alert is no longer covered, and a key is resolved when nothing is left under
 *   it: one resolve event per key, however many alerts resolve at once. So is a key that
 *   nothing is left under because its alerts fired anew under another.
 * - Changes (dns.changed and the like) are told once and never resolve, so nothing waits
 *   for them: a group resolves with the alerts it covers, and a change told on its own (or
 *   a group of changes only) stays open for a person to look at, as a change needs a look.
 *
 * Resolves follow what the store says the sink was told, not routing: a sink told of an
 * alert is told it resolved even when its min_severity or match changed meanwhile, and a
 * sink never told of it is told nothing. An alert that fired before the store kept what it
 * told is resolved under its own key when routed; the resolver's outage also under its key
 * of before ("/resolver.unhealthy/resolver").
 * (One incident per alert would be simpler, but pages once per alert, a hundred times for a
 * broken shared include, unless the PagerDuty service groups alerts itself.)
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "alerting_int.h"
#include "xmalloc.h"

/* Adds a notification's count to a total, or makes it -1. */
static int
add(int total, int rc)
{
	return total < 0 || rc < 0 ? -1 : total + rc;
}

/* Resolves key at s: q's own, or that of a group q was in. */
static int
resolve_key(struct alerting *a, struct store *st, const struct cfg_sink *s, const struct queued *q,
	    const char *key, long long now, char **errstr)
{
	return alerting_emit(a, st, s, NOTIFY_RESOLVED, &q, 1, NULL,
			     strcmp(key, q->dedup_key) == 0 ? NULL : key, now, errstr);
}

/* Records that key covers the alerts of items that can resolve (changes never do); a key
 * that covered one of them before and now covers nothing is resolved. Returns the number of
 * messages queued. */
static int
cover(struct alerting *a, struct store *st, const struct cfg_sink *s, const char *dest,
      const struct queued *const *items, size_t n, const char *key, long long now, char **errstr)
{
	int total = 0;

	for (size_t i = 0; total >= 0 && i < n; i++) {
		const struct queued *q = items[i];
		char *old = NULL;
		int64_t left;

		if (q->event)
			continue;
		if (store_put_told(st, s->name, dest, q->domain, q->rule, q->subject, key, now,
				   &old, &left, errstr) != 0)
			return -1;
		if (old != NULL && left == 0)
			total = add(total, resolve_key(a, st, s, q, old, now, errstr));
		free(old);
	}
	return total;
}

/* Opens one incident for all of items: its key is made of the notification's id. */
static int
open_group(struct alerting *a, struct store *st, const struct cfg_sink *s, const char *dest,
	   enum notify_kind kind, const struct queued *const *items, size_t n, long long now,
	   char **errstr)
{
	char id[32], *key;
	int rc;

	alerting_new_id(id, sizeof(id));
	key = xasprintf("mxwatch/%s/%s", notify_kind_name(kind), id);
	rc = alerting_emit(a, st, s, kind, items, n, id, key, now, errstr);
	if (rc >= 0)
		rc = add(rc, cover(a, st, s, dest, items, n, key, now, errstr));
	free(key);
	return rc;
}

/* Opens one incident for q alone, under its own key. */
static int
open_one(struct alerting *a, struct store *st, const struct cfg_sink *s, const char *dest,
	 const struct queued **q, long long now, char **errstr)
{
	int rc = alerting_emit(a, st, s, NOTIFY_FIRING, q, 1, NULL, NULL, now, errstr);

	return rc < 0 ? -1 : add(rc, cover(a, st, s, dest, q, 1, (*q)->dedup_key, now, errstr));
}

/* Tells the firing alerts: covered ones trigger their incident again, one notification per
 * key; new ones open one incident together when many, else one each. */
static int
firing(struct alerting *a, struct store *st, const struct cfg_sink *s, const char *dest,
       const struct queued *q, size_t nq, const struct queued **items, long long now, char **errstr)
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
	for (size_t i = 0; total >= 0 && i < n; i++) {
		if (items[i]->event)
			continue;
		if (store_get_told(st, s->name, items[i]->domain, items[i]->rule, items[i]->subject,
				   &keys[i], errstr) < 0)
			total = -1;
		/* What covered an alert that fires anew is stale: it is not folded into it. */
		if (keys[i] != NULL && alerting_fresh(items[i])) {
			free(keys[i]);
			keys[i] = NULL;
		}
	}
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
		if (!items[i]->global)
			items[nnew++] = items[i];
		else /* alone: a group would hold its resolve back */
			total = add(total, open_one(a, st, s, dest, &items[i], now, errstr));
	}
	if (total >= 0 && nnew > ALERTING_GROUP_AT) {
		total =
		    add(total, open_group(a, st, s, dest, NOTIFY_FIRING, items, nnew, now, errstr));
	} else {
		for (size_t i = 0; total >= 0 && i < nnew; i++)
			total = add(total, open_one(a, st, s, dest, &items[i], now, errstr));
	}
	for (size_t i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
	free(done);
	free(same);
	return total;
}

/* Resolves an alert that fired before the store kept what it told, when s's routing takes
 * it: under its own key, and the resolver's outage also under its key of before. */
static int
resolved_before(struct alerting *a, struct store *st, const struct cfg_sink *s,
		const struct queued *q, long long now, char **errstr)
{
	char *old;
	int total;

	if (!alerting_routes(s, q))
		return 0;
	total = alerting_emit(a, st, s, NOTIFY_RESOLVED, &q, 1, NULL, NULL, now, errstr);
	if (total < 0 || !q->global)
		return total;
	old = xasprintf("/%s/%s", q->rule, q->subject);
	total = add(total, resolve_key(a, st, s, q, old, now, errstr));
	free(old);
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
		found = store_close_told(st, s->name, q->domain, q->rule, q->subject, &key, &left,
					 errstr);
		if (found == 0) {
			int before = alerting_told_before(st, q, errstr);

			found = before < 0 ? -1 : before == 1 ? 2 : 0;
		}
		if (found < 0)
			total = -1;
		else if (found == 1 && left == 0)
			total = add(total, resolve_key(a, st, s, q, key, now, errstr));
		else if (found == 2)
			total = add(total, resolved_before(a, st, s, q, now, errstr));
		free(key);
	}
	return total;
}

/* Renders the queue for a PagerDuty sink. */
int
alerting_pd_flush(struct alerting *a, struct store *st, const struct cfg_sink *s, const char *dest,
		  const struct queued *q, size_t nq, const struct queued **items, long long now,
		  char **errstr)
{
	size_t n = 0;
	int total = 0;

	for (size_t i = 0; i < nq; i++)
		if (q[i].kind == NOTIFY_BASELINE && alerting_routes(s, &q[i]))
			items[n++] = &q[i];
	if (n > 0)
		total = open_group(a, st, s, dest, NOTIFY_BASELINE, items, n, now, errstr);
	if (total >= 0)
		total = add(total, firing(a, st, s, dest, q, nq, items, now, errstr));
	if (total >= 0)
		total = add(total, resolved(a, st, s, q, nq, now, errstr));
	return total;
}
