#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "probe.h"
#include "xmalloc.h"

struct probe;

/* One outstanding query of a probe. */
struct probe_q {
	struct probe *p;
	unsigned depth;
};

struct probe {
	struct dns_resolver *r;
	const struct cfg_domain *d;
	const struct snap *prev;
	probe_cb cb;
	void *arg;
	struct snap *snap;
	char **asked; /* "TYPE name" of every query made, to ask each once */
	size_t nasked;
	size_t pending;
	bool complete;
};

/* Tells whether (name, type) was asked already; records it when not. */
static bool
seen(struct probe *p, const char *name, uint16_t type)
{
	char *key = xasprintf("%u %s", type, name);

	for (size_t i = 0; i < p->nasked; i++) {
		if (strcmp(p->asked[i], key) == 0) {
			free(key);
			return true;
		}
	}
	p->asked = xreallocarray(p->asked, p->nasked + 1, sizeof(*p->asked));
	p->asked[p->nasked++] = key;
	return false;
}

static void probe_answer(const struct dns_result *res, void *arg);

/* Sends the queries of a plan step that were not asked before. */
static void
ask_all(struct probe *p, struct plan_query *q, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct probe_q *pq;

		if (p->nasked >= PROBE_MAX_QUERIES || seen(p, q[i].name, q[i].type))
			continue;
		pq = xmalloc(sizeof(*pq));
		pq->p = p;
		pq->depth = q[i].depth;
		if (dns_query(p->r, q[i].name, q[i].type, probe_answer, pq) == 0) {
			p->pending++;
		} else {
			free(pq);
			p->complete = false;
		}
	}
	plan_free(q, n);
}

/* Frees a probe but its snapshot. */
static void
probe_release(struct probe *p)
{
	for (size_t i = 0; i < p->nasked; i++)
		free(p->asked[i]);
	free(p->asked);
	free(p);
}

/* Ends a probe: hands over the snapshot and frees the rest. */
static void
probe_finish(struct probe *p)
{
	p->cb(p->snap, p->complete, p->arg);
	probe_release(p);
}

/* Records one answer and asks for what it calls for. */
static void
probe_answer(const struct dns_result *res, void *arg)
{
	struct probe_q *pq = arg;
	struct probe *p = pq->p;
	struct plan_query *next;
	size_t n;

	p->pending--;
	if (res->cancelled) {
		p->complete = false;
	} else {
		const struct snap_set *old = NULL;

		snap_put(p->snap, res);
		if (!dns_outcome_is_known(res->outcome) && p->prev != NULL)
			old = snap_get(p->prev, res->qname, res->qtype);
		if (old != NULL)
			n = plan_next_known(p->d, old, pq->depth, &next);
		else
			n = plan_next(p->d, res, pq->depth, &next);
		ask_all(p, next, n);
	}
	free(pq);
	if (p->pending == 0)
		probe_finish(p);
}

/* Starts a check of one domain. */
int
probe_start(struct dns_resolver *r, const struct cfg_domain *d, const struct snap *prev,
	    probe_cb cb, void *arg)
{
	struct probe *p = xcalloc(1, sizeof(*p));
	struct plan_query *q;
	size_t n = plan_first(d, &q);

	p->r = r;
	p->d = d;
	p->prev = prev;
	p->cb = cb;
	p->arg = arg;
	p->complete = true;
	p->snap = snap_new(d->name);
	ask_all(p, q, n);
	if (p->pending == 0) {
		/* Nothing could be asked: the resolver is closing. */
		snap_free(p->snap);
		probe_release(p);
		return -1;
	}
	return 0;
}
