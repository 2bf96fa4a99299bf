#include "config.h"

#include <event2/event.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alerting.h"
#include "log.h"
#include "monitor.h"
#include "probe.h"
#include "sched.h"
#include "sink.h"
#include "xmalloc.h"

/* Domains stored per transaction at most, and how long a batch may wait for more. */
#define MONITOR_BATCH 1000
/* Resolver health: the last checks looked at (fewer with a smaller fleet, at least 3), and
 * the share of them that failed (most of their sets unknown) that makes it unhealthy. The
 * window is kept in the store (meta), so that --once runs and restarts go on with it. */
#define HEALTH_WINDOW 20
#define HEALTH_MASK ((UINT32_C(1) << HEALTH_WINDOW) - 1)
#define HEALTH_MIN_WINDOW 3
#define MONITOR_COMMIT_MS 200

/* A configuration and the checks still running against it. */
struct cfg_ref {
	struct cfg *c;
	struct prov *prov; /* loaded for c (its data_dir and CDN ranges); may be NULL */
	const struct cfg_domain **sorted; /* by name, for lookups */
	unsigned refs;
};

/* One running domain check. */
struct mon_check {
	struct monitor *m;
	struct cfg_ref *ref;
	const struct cfg_domain *d;
	struct snap *prev; /* the stored snapshot the check started from, or NULL */
	bool first;	   /* the domain's baseline is not taken yet: this check may take it */
	bool scheduled;
};

struct monitor {
	struct event_base *base;
	struct dns_resolver *r;
	struct store *st;
	struct monitor_events ev;
	struct cfg_ref *cur;
	struct sched *sched;
	struct event *pump;   /* starts checks; armed for the next due time when scheduled */
	struct event *commit; /* commits a partial batch */
	size_t max_running;
	bool in_tx;
	size_t tx_count;
	bool once;
	size_t once_next;
	int once_status;
	void (*once_done)(int status, void *arg);
	void *once_arg;
	bool started;
	bool stopping;
	void (*stopped)(void *arg);
	void *stopped_arg;
	struct monitor_stats stats;
	struct alerting *alerting;
	bool dry_run;	   /* every batch is rolled back: the store is read, never written */
	bool resync;	   /* the sinks may have changed: the next commit brings what they were told
			    * in line (a renamed sink's unsent notifications move to it), then kicks */
	uint32_t window;   /* the last checks, the latest in bit 0: 1 when one failed */
	size_t window_n;   /* how many checks window holds, up to HEALTH_WINDOW */
	bool window_dirty; /* window changed in the open batch */
	bool unhealthy;
	int64_t unhealthy_since;
	/* The pass in progress: from its first check's start until every domain of cur has
	 * completed a check. pass_seen has a bit per domain (index in cur->c->domains). */
	bool pass_open;
	int64_t pass_start_ms;
	unsigned char *pass_seen;
	size_t pass_left;
};

/* Orders domain pointers by name. */
static int
domain_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct cfg_domain *const *)a)->name,
		      (*(const struct cfg_domain *const *)b)->name);
}

/* Wraps a configuration. */
static struct cfg_ref *
ref_new(struct cfg *c, struct prov *p)
{
	struct cfg_ref *ref = xcalloc(1, sizeof(*ref));

	ref->c = c;
	ref->prov = p;
	ref->sorted = xcalloc(c->ndomains ? c->ndomains : 1, sizeof(*ref->sorted));
	for (size_t i = 0; i < c->ndomains; i++)
		ref->sorted[i] = &c->domains[i];
	qsort(ref->sorted, c->ndomains, sizeof(*ref->sorted), domain_cmp);
	return ref;
}

/* Frees a configuration no longer current once no check uses it. */
static void
ref_release(struct monitor *m, struct cfg_ref *ref)
{
	if (ref == NULL || ref == m->cur || ref->refs > 0)
		return;
	cfg_free(ref->c);
	prov_free(ref->prov);
	free(ref->sorted);
	free(ref);
}

/* Finds a domain of a configuration by canonical name. */
static const struct cfg_domain *
ref_find(const struct cfg_ref *ref, const char *name)
{
	struct cfg_domain key = {.name = (char *)(uintptr_t)name};
	const struct cfg_domain *kp = &key;
	const struct cfg_domain **found =
	    bsearch(&kp, ref->sorted, ref->c->ndomains, sizeof(*ref->sorted), domain_cmp);

	return found ? *found : NULL;
}

/* Returns a monotonic time in milliseconds. */
static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Abandons the pass in progress (the configuration changed). */
static void
pass_reset(struct monitor *m)
{
	free(m->pass_seen);
	m->pass_seen = NULL;
	m->pass_open = false;
}

/* A check of the current configuration starts: opens a pass when none is open. */
static void
pass_start(struct monitor *m)
{
	size_t n = m->cur->c->ndomains;

	if (m->pass_open || n == 0)
		return;
	m->pass_open = true;
	m->pass_start_ms = mono_ms();
	m->pass_seen = xcalloc((n + 7) / 8, 1);
	m->pass_left = n;
}

/* A check completed: closes the pass once every domain was checked in it. */
static void
pass_done(struct monitor *m, const struct cfg_ref *ref, const struct cfg_domain *d)
{
	size_t i;

	if (!m->pass_open || ref != m->cur)
		return;
	i = (size_t)(d - ref->c->domains);
	if (m->pass_seen[i / 8] & (1u << (i % 8)))
		return;
	m->pass_seen[i / 8] |= (unsigned char)(1u << (i % 8));
	if (--m->pass_left > 0)
		return;
	m->stats.cycles++;
	m->stats.cycle_ms = mono_ms() - m->pass_start_ms;
	pass_reset(m);
}

/* Reports an error to the owner. */
static void
report(struct monitor *m, char *msg)
{
	m->stats.store_errors++;
	m->once_status = -1;
	if (m->ev.error != NULL)
		m->ev.error(msg, m->ev.arg);
	free(msg);
}

/* Reads the resolver's health as the store has it: an outage a previous run or an earlier
 * batch reported is open until checks succeed, and the window of the last checks goes on. */
static void
health_load(struct monitor *m)
{
	int64_t since = 0, failed = 0, checks = 0;
	char *err = NULL;

	if (store_get_meta(m->st, "resolver_unhealthy_since", &since, &err) != 0 ||
	    store_get_meta(m->st, "resolver_window_failed", &failed, &err) != 0 ||
	    store_get_meta(m->st, "resolver_window_checks", &checks, &err) != 0)
		free(err);
	m->unhealthy = since > 0;
	m->unhealthy_since = since;
	m->window_n = checks < 0 ? 0 : checks > HEALTH_WINDOW ? HEALTH_WINDOW : (size_t)checks;
	m->window_dirty = false;
	m->window = (uint32_t)failed & HEALTH_MASK &
		    (m->window_n < HEALTH_WINDOW ? (UINT32_C(1) << m->window_n) - 1 : HEALTH_MASK);
}

/* Undoes the open batch after a failure. The resolver health goes back to what the store
 * holds, so that a flip whose alert was rolled back is made, and told, again. */
static void
abort_batch(struct monitor *m)
{
	evtimer_del(m->commit);
	store_rollback(m->st);
	alerting_discard(m->alerting);
	m->in_tx = false;
	m->tx_count = 0;
	health_load(m);
}

/* Commits the open batch, if any. */
static void
commit(struct monitor *m)
{
	char *err = NULL;
	int n = 0;

	evtimer_del(m->commit);
	if (!m->in_tx)
		return;
	m->in_tx = false; /* a delivery mark made meanwhile must not commit it again */
	m->tx_count = 0;
	if (m->window_dirty &&
	    (store_set_meta(m->st, "resolver_window_failed", m->window, &err) != 0 ||
	     store_set_meta(m->st, "resolver_window_checks", (int64_t)m->window_n, &err) != 0))
		report(m, err); /* kept in memory; a restart then starts from what was stored */
	m->window_dirty = false;
	/* The notifications go in with the finding states they report. */
	if ((alerting_pending(m->alerting) > 0 || m->resync) && m->cur != NULL) {
		n = alerting_flush(m->alerting, m->st, m->cur->c, time(NULL), &err);
		if (n < 0) {
			report(m, err);
			abort_batch(m);
			return;
		}
	}
	if (m->dry_run) {
		/* Rolled back on purpose: the health seen stays, as a real run would store it. */
		store_rollback(m->st);
	} else if (store_commit(m->st, &err) != 0) {
		report(m, err);
		abort_batch(m);
		return;
	}
	m->stats.notifications += (uint64_t)n;
	if ((n > 0 || m->resync) && m->ev.notified != NULL)
		m->ev.notified(m->ev.arg);
	m->resync = false;
}

/* Tells whether most of a check's sets were unknown this time. */
static bool
check_failed(const struct snap *s)
{
	size_t unknown = 0;

	for (size_t i = 0; i < s->nsets; i++)
		unknown += !dns_outcome_is_known(s->sets[i].outcome);
	return s->nsets > 0 && 2 * unknown > s->nsets;
}

/* Tells whether any of a check's sets was unknown this time. */
static bool
check_unknown(const struct snap *s)
{
	for (size_t i = 0; i < s->nsets; i++)
		if (!dns_outcome_is_known(s->sets[i].outcome))
			return true;
	return false;
}

/* Tells whether a check could not see all it watches for a reason that may pass: a set
 * unknown for fewer than confirm_after checks (longer is dns.lookup-failed's business). */
static bool
check_degraded(const struct snap *s, unsigned confirm_after)
{
	for (size_t i = 0; i < s->nsets; i++)
		if (!dns_outcome_is_known(s->sets[i].outcome) && s->sets[i].failed < confirm_after)
			return true;
	return false;
}

/* The checks the health window looks at: the fleet's size up to HEALTH_WINDOW, at least
 * HEALTH_MIN_WINDOW. */
static size_t
health_want(const struct monitor *m)
{
	size_t want = m->stats.domains < HEALTH_WINDOW ? m->stats.domains : HEALTH_WINDOW;

	return want < HEALTH_MIN_WINDOW ? HEALTH_MIN_WINDOW : want;
}

/* Tells whether the window has seen enough checks to judge the resolver. */
static bool
health_known(const struct monitor *m)
{
	return m->window_n >= health_want(m);
}

/* Tells whether a failed check cannot be told yet from the start of a resolver outage: the
 * window has not seen enough checks, or the domain's last check did not fail (a domain that
 * just failed looks like the first of an outage until the window has seen the checks that
 * follow; its next check, if it fails too, is judged by that window). */
static bool
failure_unjudged(const struct monitor *m, const struct snap *prev)
{
	return !health_known(m) || prev == NULL || !check_failed(prev);
}

/* Counts a check in the resolver health window (stored when the batch with the check
 * commits); fires or resolves resolver.unhealthy. */
static void
health(struct monitor *m, bool failed, int64_t now)
{
	size_t want = health_want(m), nfailed = 0;
	bool unhealthy;
	char *err = NULL;

	m->window = ((m->window << 1) | failed) & HEALTH_MASK;
	if (m->window_n < HEALTH_WINDOW)
		m->window_n++;
	m->window_dirty = true; /* stored with the batch, at its commit */
	if (m->window_n < want)
		return;
	for (size_t i = 0; i < want; i++)
		nfailed += (m->window >> i) & 1;
	unhealthy = 2 * nfailed > want;
	if (unhealthy == m->unhealthy)
		return;
	m->unhealthy = unhealthy;
	if (m->in_tx &&
	    store_set_meta(m->st, "resolver_unhealthy_since", unhealthy ? now : 0, &err) != 0)
		report(m, err); /* kept in memory; a restart then forgets the outage */
	if (unhealthy) {
		/* One line per state change, as alerting logs those of the domains' alerts. */
		log_warnx("resolver.unhealthy fires: %zu of the last %zu checks failed (most of "
			  "their lookups failed): per-domain alerts are held",
			  nfailed, want);
		m->unhealthy_since = now;
		alerting_global(m->alerting, "resolver.unhealthy", "resolver",
				"most DNS checks are failing at once (the resolver or the network "
				"is down): per-domain alerts are held until they succeed again",
				false, now, now);
	} else {
		char took[32];

		sink_duration(m->unhealthy_since > 0 ? (long long)(now - m->unhealthy_since) : 0,
			      took);
		log_info("resolver.unhealthy resolved after %s: %zu of the last %zu checks "
			 "failed: per-domain alerts resume",
			 took, nfailed, want);
		alerting_global(m->alerting, "resolver.unhealthy", "resolver",
				"DNS checks succeed again: per-domain alerts resume", true,
				m->unhealthy_since, now);
		m->unhealthy_since = 0;
	}
}

/* Opens a batch when none is open. */
static bool
begin(struct monitor *m)
{
	struct timeval tv = {0, MONITOR_COMMIT_MS * 1000};
	char *err = NULL;

	if (m->in_tx)
		return true;
	if (store_begin(m->st, &err) != 0) {
		report(m, err);
		return false;
	}
	m->in_tx = true;
	evtimer_add(m->commit, &tv);
	return true;
}

/* The sinks may have changed (a start, a reload): opens a batch, so that what they were
 * told and have not sent is brought in line at its commit, and delivered. */
static void
want_resync(struct monitor *m)
{
	m->resync = true;
	begin(m);
}

/* Timer: commits a batch that waited long enough. */
static void
commit_cb(evutil_socket_t fd, short what, void *arg)
{
	commit(arg);
}

/* The store is about to make a delivery mark: the batch goes first, with its notifications. */
static void
flush_cb(void *arg)
{
	commit(arg);
}

/* Stores one finished check against the state it started from: carries unknown outcomes,
 * diffs, records. first: the domain's baseline is not taken yet. */
static void
record(struct monitor *m, const struct cfg_ref *ref, const struct cfg_domain *d, struct snap *snap,
       const struct snap *prev, bool first, int64_t now)
{
	struct rule_env env = {
	    .prov = ref->prov, .confirm_after = ref->c->alerting.confirm_after, .now = now};
	struct findings found = {0};
	struct snap_change *changes = NULL;
	size_t n;
	char *err = NULL;
	bool failed, held;

	if (!begin(m))
		return;
	snap_carry(snap, prev);
	n = snap_diff(prev, snap, &changes);
	if (store_put_check(m->st, snap, changes, n, now, &err) != 0) {
		report(m, err);
		abort_batch(m);
	} else {
		for (size_t i = 0; i < n && m->ev.change != NULL; i++)
			m->ev.change(snap->domain, &changes[i], now, m->ev.arg);
		m->stats.checks++;
		m->stats.checks_unknown += check_unknown(snap);
		m->stats.changes += n;
		m->stats.last_check = now;
		rule_eval(&env, d, prev, snap, &found);
		for (size_t i = 0; i < found.n; i++) {
			m->stats.findings[found.v[i].severity]++;
			if (m->ev.finding != NULL)
				m->ev.finding(&found.v[i], m->ev.arg);
		}
		failed = check_failed(snap);
		health(m, failed, now);
		/* Held: the resolver is unhealthy, or this check failed and the window cannot
		 * tell yet a resolver outage from one broken domain, or a set is unknown for
		 * now. A held first check is no baseline: the domain's next check is the first
		 * again. */
		held = m->unhealthy || (failed && failure_unjudged(m, prev)) ||
		       check_degraded(snap, ref->c->alerting.confirm_after);
		if (alerting_check(m->alerting, m->st, ref->c, d, &found, first, held, now, &err) !=
		    0) {
			report(m, err);
			abort_batch(m);
			findings_clear(&found);
			free(changes);
			return;
		}
		findings_clear(&found);
		if (++m->tx_count >= MONITOR_BATCH)
			commit(m);
	}
	free(changes);
}

/* Asks for the pump to run from the loop. */
static void
want_pump(struct monitor *m)
{
	event_active(m->pump, 0, 0);
}

/* A domain check is over. */
static void
check_done(struct snap *snap, bool complete, void *arg)
{
	struct mon_check *c = arg;
	struct monitor *m = c->m;
	int64_t now = time(NULL);

	m->stats.running--;
	if (complete) {
		record(m, c->ref, c->d, snap, c->prev, c->first, now);
		pass_done(m, c->ref, c->d);
	}
	snap_free(snap);
	snap_free(c->prev);
	if (c->scheduled) {
		int64_t due = sched_done(m->sched, c->d->name, now);
		char *err = NULL;

		if (due >= 0 && begin(m) && store_set_next_due(m->st, c->d->name, due, &err) != 0)
			report(m, err);
	}
	c->ref->refs--;
	ref_release(m, c->ref);
	free(c);
	want_pump(m);
}

/* Starts one domain check. */
static void
start_check(struct monitor *m, const struct cfg_domain *d, bool scheduled)
{
	struct mon_check *c = xcalloc(1, sizeof(*c));
	char *err = NULL;

	c->m = m;
	c->ref = m->cur;
	c->d = d;
	c->scheduled = scheduled;
	if (store_get_snapshot(m->st, d->name, &c->prev, &err) != 0) {
		/* An unreadable old state is reported and replaced, never a crash. */
		report(m, err);
		c->prev = NULL;
	}
	c->first = c->prev == NULL;
	if (c->prev != NULL) {
		bool held = false;

		/* Unreadable, the baseline is taken for done: no digest of what already fires. */
		if (store_get_baseline_held(m->st, d->name, &held, &err) != 0)
			report(m, err);
		c->first = held;
	}
	if (probe_start(m->r, d, c->prev, check_done, c) != 0) {
		snap_free(c->prev);
		free(c);
		if (scheduled)
			sched_done(m->sched, d->name, time(NULL));
		return;
	}
	m->cur->refs++;
	m->stats.running++;
	pass_start(m);
}

/* Starts what is due, and finishes once/stop when nothing is left. */
static void
pump_cb(evutil_socket_t fd, short what, void *arg)
{
	struct monitor *m = arg;
	int64_t now = time(NULL);

	while (!m->stopping && m->stats.running < m->max_running) {
		if (m->once && m->once_next < m->cur->c->ndomains) {
			start_check(m, &m->cur->c->domains[m->once_next++], false);
		} else if (m->started) {
			const char *name = sched_take(m->sched, now);
			const struct cfg_domain *d = name ? ref_find(m->cur, name) : NULL;

			if (name == NULL)
				break;
			if (d != NULL)
				start_check(m, d, true);
			else
				sched_done(m->sched, name, now);
		} else {
			break;
		}
	}
	if (m->stats.running > 0)
		return;
	if (m->once && m->once_next >= m->cur->c->ndomains) {
		m->once = false;
		commit(m);
		m->once_done(m->once_status, m->once_arg);
		return;
	}
	if (m->stopping) {
		commit(m);
		m->stopping = false;
		m->started = false;
		m->stopped(m->stopped_arg);
		return;
	}
	if (m->started) {
		int64_t next = sched_next(m->sched);

		if (next >= 0) {
			struct timeval tv = {next > now ? next - now : 0, 0};

			evtimer_add(m->pump, &tv);
		}
		if (m->tx_count > 0 && next > now)
			commit(m); /* idle until the next due: nothing waits uncommitted */
	}
}

/* Creates a monitor. */
struct monitor *
monitor_new(struct event_base *base, struct dns_resolver *r, struct store *st,
	    const struct monitor_events *ev)
{
	struct monitor *m = xcalloc(1, sizeof(*m));

	m->base = base;
	m->r = r;
	m->st = st;
	if (ev != NULL)
		m->ev = *ev;
	m->sched = sched_new();
	m->pump = evtimer_new(base, pump_cb, m);
	m->commit = evtimer_new(base, commit_cb, m);
	m->max_running = 1;
	m->stats.cycle_ms = -1;
	m->alerting = alerting_new(NULL);
	store_set_flush(st, flush_cb, m);
	health_load(m);
	return m;
}

/* Switches to a dry run: notifications printed, every batch rolled back. */
void
monitor_set_dry_run(struct monitor *m, FILE *f)
{
	m->dry_run = true;
	alerting_free(m->alerting);
	m->alerting = alerting_new(f);
}

/* Frees a monitor. */
void
monitor_free(struct monitor *m)
{
	struct cfg_ref *cur;

	if (m == NULL)
		return;
	commit(m);
	store_set_flush(m->st, NULL, NULL);
	cur = m->cur;
	m->cur = NULL;
	if (cur != NULL)
		cur->refs = 0;
	ref_release(m, cur);
	sched_free(m->sched);
	pass_reset(m);
	alerting_free(m->alerting);
	event_free(m->pump);
	event_free(m->commit);
	free(m);
}

/* A persisted due time, read from the store. */
struct due {
	char *name;
	int64_t due;
};

/* Orders due times by name. */
static int
due_cmp(const void *a, const void *b)
{
	return strcmp(((const struct due *)a)->name, ((const struct due *)b)->name);
}

/* Collects a domain's persisted due time. */
static int
collect_due(const struct store_domain *d, void *arg)
{
	void **tree = arg;
	struct due *e = xmalloc(sizeof(*e));

	e->name = xstrdup(d->name);
	e->due = d->next_due;
	tsearch(e, tree, due_cmp);
	return 0;
}

/* Frees a due time (tdestroy callback). */
static void
due_free(void *p)
{
	struct due *e = p;

	free(e->name);
	free(e);
}

/* The store's domains that the configuration no longer has (tree walk). */
static struct {
	struct monitor *m;
	const struct cfg_ref *old;
	int64_t now;
} forgetting;

static void
forget_one(const void *node, VISIT which, int depth)
{
	const struct due *e = *(const struct due *const *)node;
	struct monitor *m = forgetting.m;
	char *err = NULL;

	(void)depth;
	if ((which != postorder && which != leaf) || ref_find(m->cur, e->name) != NULL)
		return;
	if (begin(m) && alerting_forget(m->alerting, m->st, e->name,
					forgetting.old ? ref_find(forgetting.old, e->name) : NULL,
					forgetting.now, &err) != 0)
		report(m, err);
}

/* Resolves and forgets the alerts of domains no longer configured. */
static void
forget_unwatched(struct monitor *m, const struct cfg_ref *old, void *dues, int64_t now)
{
	forgetting.m = m;
	forgetting.old = old;
	forgetting.now = now;
	twalk(dues, forget_one);
}

/* Brings the scheduler in line with the current configuration. */
static int
sync_sched(struct monitor *m, const struct cfg_ref *old, char **errstr)
{
	const struct cfg *c = m->cur->c;
	void *dues = NULL;
	int64_t now = time(NULL);
	size_t fresh = 0, rank = 0;

	if (store_each_domain(m->st, collect_due, &dues, errstr) != 0)
		return -1;
	for (size_t i = 0; old != NULL && i < old->c->ndomains; i++)
		if (ref_find(m->cur, old->c->domains[i].name) == NULL)
			sched_remove(m->sched, old->c->domains[i].name);
	forget_unwatched(m, old, dues, now);
	for (size_t i = 0; i < c->ndomains; i++)
		if (sched_due_of(m->sched, c->domains[i].name) < 0)
			fresh++;
	for (size_t i = 0; i < c->ndomains; i++) {
		const struct cfg_domain *d = &c->domains[i];
		unsigned interval = d->interval_s ? d->interval_s : c->interval_s;
		struct due key = {.name = d->name}, **found;
		bool is_new = sched_due_of(m->sched, d->name) < 0;

		found = tfind(&key, &dues, due_cmp);
		sched_add(m->sched, d->name, interval, found ? (*found)->due : 0, now, rank, fresh);
		if (is_new)
			rank++;
	}
	tdestroy(dues, due_free);
	m->stats.domains = c->ndomains;
	return 0;
}

/* Takes a new configuration. */
int
monitor_set_config(struct monitor *m, struct cfg *c, struct prov *p, char **errstr)
{
	struct cfg_ref *old = m->cur;
	size_t old_running = m->max_running;
	size_t old_domains = m->stats.domains;

	m->cur = ref_new(c, p);
	m->max_running = c->resolver.max_inflight / 4 ? c->resolver.max_inflight / 4 : 1;
	m->stats.domains = c->ndomains;
	if (m->started && sync_sched(m, old, errstr) != 0) {
		/* Keep the old configuration: it still matches the scheduler. */
		struct cfg_ref *fresh = m->cur;

		m->cur = old;
		m->max_running = old_running;
		m->stats.domains = old_domains;
		ref_release(m, fresh);
		return -1;
	}
	pass_reset(m); /* a pass is over one configuration's domains */
	ref_release(m, old);
	want_resync(m);
	if (m->started)
		want_pump(m);
	return 0;
}

/* Checks every domain once. */
void
monitor_run_once(struct monitor *m, void (*done)(int status, void *arg), void *arg)
{
	void *dues = NULL;
	char *err = NULL;

	/* As a reload does: the domains gone from the configuration resolve and are forgotten. */
	if (store_each_domain(m->st, collect_due, &dues, &err) != 0)
		report(m, err);
	else
		forget_unwatched(m, NULL, dues, time(NULL));
	tdestroy(dues, due_free);
	m->once = true;
	m->once_next = 0;
	m->once_status = 0;
	m->once_done = done;
	m->once_arg = arg;
	want_pump(m);
}

/* Runs on schedule. */
void
monitor_start(struct monitor *m)
{
	char *err = NULL;

	m->started = true;
	if (sync_sched(m, NULL, &err) != 0)
		report(m, err);
	want_pump(m);
}

/* Stops after the running checks. */
void
monitor_stop(struct monitor *m, void (*stopped)(void *arg), void *arg)
{
	m->stopping = true;
	m->stopped = stopped;
	m->stopped_arg = arg;
	evtimer_del(m->pump);
	want_pump(m);
}

/* Reports the counters. */
void
monitor_get_stats(const struct monitor *m, struct monitor_stats *st)
{
	*st = m->stats;
}

/* Tells whether the resolver is taken for healthy. */
bool
monitor_resolver_healthy(const struct monitor *m)
{
	return !m->unhealthy;
}

/* Tells since when resolver.unhealthy fires. */
int64_t
monitor_resolver_unhealthy_since(const struct monitor *m)
{
	return m->unhealthy ? m->unhealthy_since : 0;
}
