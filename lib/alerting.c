/* Alerting: the lifecycle of each finding, and notifications per sink into the outbox. */
#include "config.h"

#include <jansson.h>
#include <openssl/rand.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "alerting_int.h"
#include "log.h"
#include "notify.h"
#include "sink.h"
#include "xmalloc.h"

/* A stored finding state, copied out of the store's callback. */
struct known {
	char *rule, *subject, *message, *evidence;
	char *labels; /* JSON object it was told with; NULL: not known */
	enum severity severity;
	struct alert_state st;
	long long first_seen;
	bool seen; /* a finding of this check matched it */
};

struct known_list {
	struct known *v;
	size_t n;
};

/* Creates the state. */
struct alerting *
alerting_new(FILE *dry_run)
{
	struct alerting *a = xcalloc(1, sizeof(*a));

	a->dry_run = dry_run;
	return a;
}

/* Frees a list of strings. */
static void
free_strs(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Frees one queued alert's strings. */
static void
queued_clear(struct queued *q)
{
	free(q->domain);
	free(q->rule);
	free(q->subject);
	free(q->message);
	free(q->dedup_key);
	free_strs(q->evidence, q->nevidence);
	for (size_t i = 0; i < q->nlabels; i++) {
		free(q->labels[i].key);
		free(q->labels[i].value);
	}
	free(q->labels);
}

/* Empties the queue. */
static void
queue_clear(struct alerting *a)
{
	for (size_t i = 0; i < a->n; i++)
		queued_clear(&a->q[i]);
	free(a->q);
	a->q = NULL;
	a->n = 0;
}

/* Drops the queue. */
void
alerting_discard(struct alerting *a)
{
	queue_clear(a);
}

/* Frees the state. */
void
alerting_free(struct alerting *a)
{
	if (a == NULL)
		return;
	queue_clear(a);
	free(a);
}

/* Returns how many alerts wait. */
size_t
alerting_pending(const struct alerting *a)
{
	return a->n;
}

/* Appends an alert to the queue; returns it for the caller to fill in. */
static struct queued *
enqueue(struct alerting *a, enum notify_kind kind, const char *domain, const char *rule,
	const char *subject, enum severity sev, const char *message)
{
	struct queued *q;

	a->q = xreallocarray(a->q, a->n + 1, sizeof(*a->q));
	q = &a->q[a->n++];
	memset(q, 0, sizeof(*q));
	q->kind = kind;
	q->domain = xstrdup(domain);
	q->rule = xstrdup(rule);
	q->subject = xstrdup(subject);
	q->severity = sev;
	q->message = xstrdup(message);
	q->dedup_key = notify_dedup_key(domain, rule, subject);
	return q;
}

/* Returns a domain's labels as JSON object text (NULL d: none); caller frees. */
static char *
labels_text(const struct cfg_domain *d)
{
	json_t *o = json_object();
	char *t;

	for (size_t i = 0; d != NULL && i < d->nlabels; i++)
		if (d->labels[i].key != NULL && d->labels[i].value != NULL)
			json_object_set_new(o, d->labels[i].key, json_string(d->labels[i].value));
	t = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return t != NULL ? t : xstrdup("{}");
}

/* Reads labels stored as a JSON object into a queued alert (none on anything else). */
static void
load_labels(struct queued *q, const char *text)
{
	json_t *o = text != NULL ? json_loads(text, 0, NULL) : NULL, *v;
	const char *key;

	if (json_is_object(o) && json_object_size(o) > 0) {
		q->labels = xcalloc(json_object_size(o), sizeof(*q->labels));
		json_object_foreach(o, key, v)
		{
			if (!json_is_string(v))
				continue;
			q->labels[q->nlabels].key = xstrdup(key);
			q->labels[q->nlabels++].value = xstrdup(json_string_value(v));
		}
	}
	json_decref(o);
}

/* Copies evidence lines into a queued alert. */
static void
copy_evidence(struct queued *q, char *const *ev, size_t n)
{
	if (n == 0)
		return;
	q->evidence = xcalloc(n, sizeof(*q->evidence));
	for (size_t i = 0; i < n; i++)
		q->evidence[i] = xstrdup(ev[i]);
	q->nevidence = n;
}

/* Reads evidence stored as a JSON array back into lines (empty on anything else). */
static void
load_evidence(struct queued *q, const char *text)
{
	json_t *a = json_loads(text, 0, NULL);
	size_t i;
	json_t *e;

	if (json_is_array(a) && json_array_size(a) > 0) {
		q->evidence = xcalloc(json_array_size(a), sizeof(*q->evidence));
		json_array_foreach(a, i, e)
		{
			if (json_is_string(e))
				q->evidence[q->nevidence++] = xstrdup(json_string_value(e));
		}
	}
	json_decref(a);
}

/* Returns a finding's evidence as JSON array text; caller frees. */
static char *
evidence_text(const struct finding *f)
{
	json_t *a = json_array();
	char *t;

	for (size_t i = 0; i < f->nevidence; i++)
		json_array_append_new(a, json_string(f->evidence[i]));
	t = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return t != NULL ? t : xstrdup("[]");
}

/* Store callback: copies one known state. */
static int
collect(const struct store_alert *sa, void *arg)
{
	struct known_list *l = arg;
	struct known *k;

	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	k = &l->v[l->n++];
	memset(k, 0, sizeof(*k));
	k->rule = xstrdup(sa->rule);
	k->subject = xstrdup(sa->subject);
	k->message = xstrdup(sa->message);
	k->evidence = xstrdup(sa->evidence);
	k->labels = sa->labels != NULL ? xstrdup(sa->labels) : NULL;
	k->severity = sa->severity;
	k->st = sa->st;
	k->first_seen = sa->first_seen;
	return 0;
}

/* Frees the known states. */
static void
known_clear(struct known_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].rule);
		free(l->v[i].subject);
		free(l->v[i].message);
		free(l->v[i].evidence);
		free(l->v[i].labels);
	}
	free(l->v);
}

/* Finds the known state of (rule, subject). */
static struct known *
find_known(struct known_list *l, const char *rule, const char *subject)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].rule, rule) == 0 && strcmp(l->v[i].subject, subject) == 0)
			return &l->v[i];
	return NULL;
}

/* Queues what an action calls for; labels is the JSON object of the labels to tell. */
static void
act(struct alerting *a, enum alert_action action, const struct cfg_domain *d, const char *labels,
    const char *rule, const char *subject, enum severity sev, const char *message, char *const *ev,
    size_t nev, const char *ev_text, long long since, long long now)
{
	struct queued *q;

	if (action == ALERT_NONE)
		return;
	/* One line per state change, with domain and rule. */
	log_info("%s: %s %s %s", d->name, rule, subject,
		 action == ALERT_FIRE	   ? "fires"
		 : action == ALERT_RESOLVE ? "resolved"
		 : action == ALERT_REMIND  ? "still fires (reminder)"
					   : "is flapping (told once)");
	q = enqueue(a, action == ALERT_RESOLVE ? NOTIFY_RESOLVED : NOTIFY_FIRING, d->name, rule,
		    subject, sev, message);
	load_labels(q, labels);
	if (ev_text != NULL)
		load_evidence(q, ev_text);
	else
		copy_evidence(q, ev, nev);
	q->started = since != 0 ? since : now;
	q->ended = action == ALERT_RESOLVE ? now : 0;
	q->reminder = action == ALERT_REMIND;
	q->flapping = action == ALERT_FLAPPING;
}

/* Makes a queued change's dedup key its own: "KEY@TIME", within NOTIFY_DEDUP_MAX. */
static void
occurrence_key(struct queued *q, long long now)
{
	char suffix[32];
	size_t n = (size_t)snprintf(suffix, sizeof(suffix), "@%lld", now), len;
	char *key;

	len = strlen(q->dedup_key);
	if (len + n > NOTIFY_DEDUP_MAX)
		len = NOTIFY_DEDUP_MAX - n;
	key = xasprintf("%.*s%s", (int)len, q->dedup_key, suffix);
	free(q->dedup_key);
	q->dedup_key = key;
}

/* Saves a state, or forgets it when nothing is left to remember. */
static int
save(struct store *st, const struct cfg_domain *d, const char *rule, const char *subject,
     enum severity sev, const struct alert_state *as, long long first_seen, long long now,
     const char *message, const char *evidence, const char *labels, char **errstr)
{
	struct store_alert sa = {.rule = rule,
				 .subject = subject,
				 .severity = sev,
				 .st = *as,
				 .first_seen = first_seen,
				 .last_seen = now,
				 .message = message,
				 .evidence = evidence,
				 .labels = labels};

	if (alert_forgettable(as))
		return store_del_alert(st, d->name, rule, subject, errstr);
	return store_put_alert(st, d->name, &sa, errstr);
}

/* Returns the labels an alert tells: those it was told with while it is told (so that its
 * reminders and resolve reach the sinks its trigger reached), else the domain's (cur). */
static const char *
told_labels(const struct known *k, const char *cur)
{
	return k != NULL && k->st.notified && k->labels != NULL ? k->labels : cur;
}

/* Applies one check. */
int
alerting_check(struct alerting *a, struct store *st, const struct cfg *c,
	       const struct cfg_domain *d, const struct findings *found, bool first, bool degraded,
	       long long now, char **errstr)
{
	struct known_list known = {0};
	struct alert_policy p;
	char *cur;
	int rc = 0;

	/* A first check that is held is no baseline: nothing is told or kept, and the next
	 * check is the first again. */
	if (first && store_set_baseline_held(st, d->name, degraded, now, errstr) != 0)
		return -1;
	if (first && degraded)
		return 0;
	alert_policy_init(&p, c->alerting.confirm_after, c->alerting.resolve_after,
			  c->alerting.repeat_after_s);
	if (store_get_alerts(st, d->name, collect, &known, errstr) != 0) {
		known_clear(&known); /* it may have failed after some */
		return -1;
	}
	cur = labels_text(d);
	for (size_t i = 0; rc == 0 && i < found->n; i++) {
		const struct finding *f = &found->v[i];
		const struct rule_info *info = rule_lookup(f->rule);
		struct known *k = find_known(&known, f->rule, f->subject);
		struct alert_state as = k ? k->st : (struct alert_state){0};
		enum alert_action action = ALERT_NONE;
		const char *labels = told_labels(k, cur);
		char *ev;

		if (info != NULL && info->event) {
			/* A change: told once, now; nothing to resolve later. Each occurrence
			 * has its own dedup key, or PagerDuty would fold it into an incident
			 * still open from the last one. */
			if (!first) {
				act(a, ALERT_FIRE, d, cur, f->rule, f->subject, f->severity,
				    f->message, f->evidence, f->nevidence, NULL, now, now);
				occurrence_key(&a->q[a->n - 1], now);
				a->q[a->n - 1].event = true;
			}
			continue;
		}
		if (k != NULL)
			k->seen = true;
		if (first && k == NULL) {
			struct queued *q;

			alert_baseline(&as, now);
			q = enqueue(a, NOTIFY_BASELINE, d->name, f->rule, f->subject, f->severity,
				    f->message);
			load_labels(q, cur);
			copy_evidence(q, f->evidence, f->nevidence);
			q->started = now;
		} else {
			action =
			    alert_observe(&as, degraded ? ALERT_UNKNOWN : ALERT_FAILING, now, &p);
			act(a, action, d, labels, f->rule, f->subject, f->severity, f->message,
			    f->evidence, f->nevidence, NULL, as.since, now);
		}
		ev = evidence_text(f);
		rc = save(st, d, f->rule, f->subject, f->severity, &as, k ? k->first_seen : now,
			  now, f->message, ev, labels, errstr);
		free(ev);
	}
	for (size_t i = 0; rc == 0 && i < known.n; i++) {
		struct known *k = &known.v[i];
		long long since = k->st.since;
		const char *labels = told_labels(k, cur);
		enum alert_action action;

		if (k->seen)
			continue;
		action = alert_observe(&k->st, degraded ? ALERT_UNKNOWN : ALERT_PASSING, now, &p);
		act(a, action, d, labels, k->rule, k->subject, k->severity, k->message, NULL, 0,
		    k->evidence, since, now);
		rc = save(st, d, k->rule, k->subject, k->severity, &k->st, k->first_seen, now,
			  k->message, k->evidence, labels, errstr);
	}
	free(cur);
	known_clear(&known);
	return rc;
}

/* Forgets an unwatched domain. */
int
alerting_forget(struct alerting *a, struct store *st, const char *domain,
		const struct cfg_domain *d, long long now, char **errstr)
{
	struct known_list known = {0};
	char *cur;
	int rc = 0;

	if (store_get_alerts(st, domain, collect, &known, errstr) != 0) {
		known_clear(&known); /* it may have failed after some */
		return -1;
	}
	cur = labels_text(d);
	for (size_t i = 0; rc == 0 && i < known.n; i++) {
		struct known *k = &known.v[i];

		if (k->st.notified) {
			struct queued *q = enqueue(a, NOTIFY_RESOLVED, domain, k->rule, k->subject,
						   k->severity, k->message);

			load_labels(q, told_labels(k, cur));
			load_evidence(q, k->evidence);
			q->started = k->st.since ? k->st.since : now;
			q->ended = now;
		}
		rc = store_del_alert(st, domain, k->rule, k->subject, errstr);
	}
	free(cur);
	known_clear(&known);
	return rc;
}

/* Queues a global alert. */
void
alerting_global(struct alerting *a, const char *rule, const char *subject, const char *message,
		bool resolved, long long since, long long now)
{
	const struct rule_info *info = rule_lookup(rule);
	struct queued *q = enqueue(a, resolved ? NOTIFY_RESOLVED : NOTIFY_FIRING, "", rule, subject,
				   info ? info->severity : SEV_CRITICAL, message);

	q->started = since;
	q->ended = resolved ? now : 0;
	q->global = true;
}

/* Makes a fresh notification id. */
void
alerting_new_id(char *buf, size_t size)
{
	unsigned char r[8];

	if (RAND_bytes(r, sizeof(r)) != 1)
		fatalx("no random bytes for a notification id");
	snprintf(buf, size, "mxw_%02x%02x%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4],
		 r[5], r[6], r[7]);
}

/* Fills a notify_alert from a queued alert. */
static void
to_alert(const struct queued *q, struct notify_alert *n)
{
	memset(n, 0, sizeof(*n));
	n->domain = q->domain;
	n->rule = q->rule;
	n->severity = q->severity;
	n->subject = q->subject;
	n->message = q->message;
	n->evidence = q->evidence;
	n->nevidence = q->nevidence;
	n->labels = q->labels;
	n->nlabels = q->nlabels;
	n->dedup_key = q->dedup_key;
	n->started = q->started;
	n->ended = q->ended;
	n->reminder = q->reminder;
	n->flapping = q->flapping;
}

/* Prints what a dry run would have queued: {"type":"notification","sink","kind",
 * "dedup_key","body"}. */
static void
dry_run_line(FILE *f, const struct cfg_sink *s, enum notify_kind kind, const struct sink_msg *m)
{
	json_t *body = json_loads(m->body, 0, NULL);
	json_t *o = json_pack("{s:s, s:s, s:s}", "type", "notification", "sink", s->name, "kind",
			      notify_kind_name(kind));
	char *line;

	if (m->dedup_key != NULL)
		json_object_set_new(o, "dedup_key", json_string(m->dedup_key));
	json_object_set_new(o, "body", body != NULL ? body : json_string(m->body));
	line = json_dumps(o, JSON_COMPACT);
	if (line != NULL)
		fprintf(f, "%s\n", line);
	free(line);
	json_decref(o);
}

/* Tells whether a queued alert goes to a sink. */
bool
alerting_routes(const struct cfg_sink *s, const struct queued *q)
{
	if (q->global)
		return sink_wants_global(s, q->severity);
	return sink_wants(s, q->severity, q->labels, q->nlabels);
}

/* Renders one notification for a sink into the outbox or the dry-run output. */
int
alerting_emit(struct alerting *a, struct store *st, const struct cfg_sink *s, enum notify_kind kind,
	      const struct queued *const *items, size_t n, const char *id, const char *group_key,
	      long long now, char **errstr)
{
	struct notify_alert *all = n > 0 ? xcalloc(n, sizeof(*all)) : NULL;
	char fresh[32];
	struct notification note = {.kind = kind,
				    .at = now,
				    .id = id,
				    .alerts = all,
				    .nalerts = n,
				    .total = n,
				    .group_key = group_key};
	struct sink_msg *msgs = NULL;
	size_t nmsgs = 0;
	int rc = 0;

	if (id == NULL) {
		alerting_new_id(fresh, sizeof(fresh));
		note.id = fresh;
	}
	for (size_t i = 0; i < n; i++) {
		to_alert(items[i], &all[i]);
		note.by_severity[items[i]->severity]++;
	}
	rc = sink_render(s, &note, &msgs, &nmsgs, errstr);
	free(all);
	if (rc != 0)
		return -1;
	for (size_t i = 0; rc == 0 && i < nmsgs; i++) {
		if (a->dry_run != NULL)
			dry_run_line(a->dry_run, s, kind, &msgs[i]);
		else
			rc =
			    store_outbox_add(st, s->name, msgs[i].dedup_key, notify_kind_name(kind),
					     msgs[i].body, now, NULL, errstr);
	}
	sink_msgs_free(msgs, nmsgs);
	return rc == 0 ? (int)nmsgs : -1;
}

/* Tells whether a Slack or webhook sink is to be told that q resolved: it was told q fired,
 * or q fired before the store kept that and the sink's routing takes it. Forgets that it
 * was told. Returns 1 or 0, or -1 and *errstr. */
static int
told_resolve(struct store *st, const struct cfg_sink *sink, const struct queued *q, char **errstr)
{
	char *key = NULL;
	int64_t left;
	int found =
	    store_close_told(st, sink->name, q->domain, q->rule, q->subject, &key, &left, errstr);

	free(key);
	if (found != 0)
		return found;
	found = alerting_told_before(st, q, errstr);
	return found == 1 ? alerting_routes(sink, q) : found;
}

/* Records that a Slack or webhook sink was told the n alerts of items firing. */
static int
told_fire(struct store *st, const struct cfg_sink *sink, const char *dest,
	  const struct queued *const *items, size_t n, long long now, char **errstr)
{
	for (size_t i = 0; i < n; i++) {
		const struct queued *q = items[i];
		char *old = NULL;
		int64_t left;

		if (q->event)
			continue; /* told once, never resolves */
		if (store_put_told(st, sink->name, dest, q->domain, q->rule, q->subject,
				   q->dedup_key, now, &old, &left, errstr) != 0)
			return -1;
		free(old);
	}
	return 0;
}

/* Renders the alerts of q (n of them) for a Slack or webhook sink (destination dest): per
 * kind, one grouped notification for a baseline or for many, else one each. What fires goes
 * by the sink's routing; what resolves goes by what the sink was told. */
static int
flush_sink(struct alerting *a, struct store *st, const struct cfg_sink *sink, const char *dest,
	   const struct queued *q, size_t nq, const struct queued **items, long long now,
	   char **errstr)
{
	static const enum notify_kind kinds[] = {NOTIFY_BASELINE, NOTIFY_FIRING, NOTIFY_RESOLVED};
	int total = 0;

	for (size_t k = 0; total >= 0 && k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		size_t n = 0;
		int rc = 0;

		for (size_t i = 0; rc >= 0 && i < nq; i++) {
			if (q[i].kind != kinds[k])
				continue;
			rc = kinds[k] == NOTIFY_RESOLVED ? told_resolve(st, sink, &q[i], errstr)
							 : alerting_routes(sink, &q[i]);
			if (rc == 1)
				items[n++] = &q[i];
		}
		if (rc < 0)
			return -1;
		if (n == 0)
			continue;
		rc = 0;
		if (kinds[k] == NOTIFY_BASELINE || n > ALERTING_GROUP_AT) {
			rc =
			    alerting_emit(a, st, sink, kinds[k], items, n, NULL, NULL, now, errstr);
		} else {
			for (size_t i = 0; rc >= 0 && i < n; i++) {
				int one = alerting_emit(a, st, sink, kinds[k], &items[i], 1, NULL,
							NULL, now, errstr);

				rc = one < 0 ? -1 : rc + one;
			}
		}
		if (rc >= 0 && kinds[k] != NOTIFY_RESOLVED &&
		    told_fire(st, sink, dest, items, n, now, errstr) != 0)
			rc = -1;
		total = rc < 0 ? -1 : total + rc;
	}
	return total;
}

/* Orders dedup keys (tsearch). */
static int
key_cmp(const void *x, const void *y)
{
	return strcmp(x, y);
}

/* Leaves a key alone (tdestroy: the queue owns it). */
static void
key_keep(void *key)
{
	(void)key;
}

/* Returns where the run of the queue that starts at from ends: before the first alert whose
 * dedup key the run already has, so that no run tells one alert twice. */
static size_t
run_end(const struct alerting *a, size_t from)
{
	void *keys = NULL;
	size_t end = from;

	for (; end < a->n; end++) {
		const char *key = a->q[end].dedup_key;

		if (tfind(key, &keys, key_cmp) != NULL)
			break;
		if (tsearch(key, &keys, key_cmp) == NULL)
			fatalx("out of memory");
	}
	tdestroy(keys, key_keep);
	return end;
}

/* Renders the queue: run by run in the order the changes happened (an alert that resolved
 * and fired again is told so, in that order), each run grouped per sink. */
int
alerting_flush(struct alerting *a, struct store *st, const struct cfg *c, long long now,
	       char **errstr)
{
	const struct queued **items = a->n ? xcalloc(a->n, sizeof(*items)) : NULL;
	char(*dests)[ALERTING_DEST_SIZE] = xcalloc(c->nsinks ? c->nsinks : 1, sizeof(*dests));
	int total;

	for (size_t s = 0; s < c->nsinks; s++)
		alerting_dest(&c->sinks[s], dests[s]);
	total = alerting_told_sync(a, st, c, dests, now, errstr);
	for (size_t from = 0, end; total >= 0 && from < a->n; from = end) {
		end = run_end(a, from);
		for (size_t s = 0; total >= 0 && s < c->nsinks; s++) {
			const struct cfg_sink *sink = &c->sinks[s];
			int rc;

			if (sink->type == CFG_SINK_PAGERDUTY)
				rc = alerting_pd_flush(a, st, sink, dests[s], &a->q[from],
						       end - from, items, now, errstr);
			else
				rc = flush_sink(a, st, sink, dests[s], &a->q[from], end - from,
						items, now, errstr);
			total = rc < 0 ? -1 : total + rc;
		}
		if (total >= 0 && alerting_told_done(st, &a->q[from], end - from, errstr) != 0)
			total = -1;
	}
	free(dests);
	free(items);
	queue_clear(a);
	return total;
}
