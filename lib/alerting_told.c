/*
 * What each sink was told (the store's told table, store_*_told), kept in line with the
 * configuration: a resolve goes to exactly the sinks that were told the fire, whatever their
 * routing is now, also after a reload renamed the sink. A sink is known by a fingerprint of
 * its destination (a SHA-256 of its type, URL and routing key; the secrets themselves are
 * never stored), then by its name: what a sink was told, and the notifications it has not
 * delivered yet, go to the sink that now has its destination, whatever its name (sinks may
 * even swap destinations); when no sink has it any more, they stay with the sink of the
 * same name (its destination was changed), else what it was told is forgotten and what it
 * had not delivered is given up (each with a warning naming the sink).
 */
#include "config.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "alerting_int.h"
#include "log.h"
#include "xmalloc.h"

/* The meta key of the signature of the sinks the told table was last brought in line with. */
#define TOLD_SINKS_META "told_sinks"

/* One sink the told table or the outbox names, and where it goes. */
struct told_sink {
	char *sink, *dest;
	int64_t n, unsent;
	ssize_t to; /* the configured sink that takes it; -1: none */
	char *tmp;  /* the name it has while it moves; NULL: it does not move */
};

struct told_sinks {
	struct told_sink *v;
	size_t n;
};

/* Adds bytes (and a NUL, so that fields stay apart) to a digest. */
static void
digest_add(EVP_MD_CTX *ctx, const char *s)
{
	if (EVP_DigestUpdate(ctx, s != NULL ? s : "", s != NULL ? strlen(s) + 1 : 1) != 1)
		fatalx("SHA-256 failed");
}

/* Writes the fingerprint of a sink's destination. */
void
alerting_dest(const struct cfg_sink *s, char buf[ALERTING_DEST_SIZE])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	char type[16];

	snprintf(type, sizeof(type), "%d", (int)s->type);
	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		fatalx("SHA-256 failed");
	digest_add(ctx, "mxwatch sink destination");
	digest_add(ctx, type);
	digest_add(ctx, s->url);
	digest_add(ctx, s->routing_key);
	if (EVP_DigestFinal_ex(ctx, md, &len) != 1 || len != 32)
		fatalx("SHA-256 failed");
	EVP_MD_CTX_free(ctx);
	for (unsigned int i = 0; i < len; i++)
		snprintf(buf + 2 * i, 3, "%02x", md[i]);
}

/* Returns a number that changes when a sink of c is added, removed, renamed or given another
 * destination. */
static int64_t
signature(const struct cfg *c, char (*dests)[ALERTING_DEST_SIZE])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	uint64_t v = 0;

	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		fatalx("SHA-256 failed");
	for (size_t i = 0; i < c->nsinks; i++) {
		digest_add(ctx, c->sinks[i].name);
		digest_add(ctx, dests[i]);
	}
	if (EVP_DigestFinal_ex(ctx, md, &len) != 1 || len < 8)
		fatalx("SHA-256 failed");
	EVP_MD_CTX_free(ctx);
	for (int i = 0; i < 8; i++)
		v = v << 8 | md[i];
	return (int64_t)(v >> 1) + 1; /* never 0, which the meta table gives for none */
}

/* Store callback: copies one sink the told table or the outbox names. */
static int
collect_sink(const char *sink, const char *dest, int64_t n, int64_t unsent, void *arg)
{
	struct told_sinks *l = arg;
	struct told_sink *t;

	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	t = &l->v[l->n++];
	memset(t, 0, sizeof(*t));
	t->sink = xstrdup(sink);
	t->dest = dest != NULL ? xstrdup(dest) : NULL;
	t->n = n;
	t->unsent = unsent;
	t->to = -1;
	return 0;
}

/* Returns the index of the sink of c that takes what sink t was told: the one named as t
 * with t's destination, else the first with it, else (no sink has it, or it is not known)
 * the one named as t; -1 when none. */
static ssize_t
target(const struct cfg *c, char (*dests)[ALERTING_DEST_SIZE], const struct told_sink *t)
{
	ssize_t first = -1, named = -1;

	for (size_t i = 0; i < c->nsinks; i++) {
		bool same = t->dest != NULL && strcmp(dests[i], t->dest) == 0;

		if (strcmp(c->sinks[i].name, t->sink) == 0) {
			if (same)
				return (ssize_t)i;
			named = (ssize_t)i;
		} else if (same && first < 0) {
			first = (ssize_t)i;
		}
	}
	return first >= 0 ? first : named;
}

/* Tells whether name is that of a sink of c or of l. */
static bool
name_used(const struct cfg *c, const struct told_sinks *l, const char *name)
{
	for (size_t i = 0; i < c->nsinks; i++)
		if (strcmp(c->sinks[i].name, name) == 0)
			return true;
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].sink, name) == 0)
			return true;
	return false;
}

/* Returns a name for sink i of l to have while it moves, used by no other sink (caller
 * frees). */
static char *
aside_name(const struct cfg *c, const struct told_sinks *l, size_t i)
{
	for (unsigned k = 0;; k++) {
		char *name = xasprintf("\x01moving %zu.%u", i, k);

		if (!name_used(c, l, name))
			return name;
		free(name);
	}
}

/* Returns "s" for a count other than one. */
static const char *
plural(int64_t n)
{
	return n == 1 ? "" : "s";
}

/* Moves what sink t (now named t->tmp) was told, and its undelivered notifications, to sink
 * s (destination dest), which has its destination: a key left covering nothing is resolved
 * at s, a PagerDuty sink. Returns the number of messages. */
static int
move_sink(struct alerting *a, struct store *st, const struct told_sink *t, const struct cfg_sink *s,
	  const char *dest, long long now, char **errstr)
{
	char **keys = NULL;
	size_t nkeys = 0;
	int total = 0;

	log_info("sink \"%s\" is now sink \"%s\" (the same destination): the %lld alert%s it "
		 "was told and its %lld undelivered notification%s move with it",
		 t->sink, s->name, (long long)t->n, plural(t->n), (long long)t->unsent,
		 plural(t->unsent));
	if (store_told_move(st, t->tmp, s->name, dest, &keys, &nkeys, errstr) != 0)
		return -1;
	for (size_t i = 0; i < nkeys; i++) {
		int rc = 0;

		if (total >= 0 && s->type == CFG_SINK_PAGERDUTY)
			rc = alerting_emit(a, st, s, NOTIFY_RESOLVED, NULL, 0, NULL, keys[i], now,
					   errstr);
		total = total < 0 || rc < 0 ? -1 : total + rc;
		free(keys[i]);
	}
	free(keys);
	return total;
}

/* Forgets what sink t, whose destination no sink has, was told, and gives up what it had
 * not delivered. */
static int
drop_sink(struct store *st, const struct told_sink *t, char **errstr)
{
	if (t->n > 0) {
		log_warnx("sink \"%s\" is no longer configured: forgetting the %lld alert%s it "
			  "was told firing (their resolves cannot reach it)",
			  t->sink, (long long)t->n, plural(t->n));
		if (store_told_drop(st, t->sink, errstr) != 0)
			return -1;
	}
	if (t->unsent > 0) {
		log_warnx("sink \"%s\" is no longer configured: giving up its %lld undelivered "
			  "notification%s",
			  t->sink, (long long)t->unsent, plural(t->unsent));
		if (store_told_give_up(st, t->sink,
				       "given up: the sink is no longer configured and no sink "
				       "has its destination",
				       errstr) != 0)
			return -1;
	}
	return 0;
}

/* Brings the sinks of l in line with those of c: all moves are known before any is made, and
 * those that move are first set aside under names of their own, so that sinks may swap. */
static int
apply(struct alerting *a, struct store *st, const struct cfg *c, char (*dests)[ALERTING_DEST_SIZE],
      struct told_sinks *l, long long now, char **errstr)
{
	int total = 0;

	for (size_t i = 0; i < l->n; i++) {
		struct told_sink *t = &l->v[i];

		t->to = target(c, dests, t);
		if (t->to < 0) {
			if (drop_sink(st, t, errstr) != 0)
				return -1;
		} else if (strcmp(c->sinks[t->to].name, t->sink) == 0) {
			if (t->n > 0 && store_told_set_dest(st, t->sink, dests[t->to], errstr) != 0)
				return -1;
		} else {
			t->tmp = aside_name(c, l, i);
			if (store_told_rename(st, t->sink, t->tmp, errstr) != 0)
				return -1;
		}
	}
	for (size_t i = 0; i < l->n; i++) {
		const struct told_sink *t = &l->v[i];
		int rc;

		if (t->tmp == NULL)
			continue;
		rc = move_sink(a, st, t, &c->sinks[t->to], dests[t->to], now, errstr);
		if (rc < 0)
			return -1;
		total += rc;
	}
	return total;
}

/* Brings the told table and the outbox in line with the sinks of c. */
int
alerting_told_sync(struct alerting *a, struct store *st, const struct cfg *c,
		   char (*dests)[ALERTING_DEST_SIZE], long long now, char **errstr)
{
	struct told_sinks l = {0};
	int64_t sig = signature(c, dests), had = 0;
	int total;

	if (store_get_meta(st, TOLD_SINKS_META, &had, errstr) != 0)
		return -1;
	if (had == sig)
		return 0;
	total = store_told_sinks(st, collect_sink, &l, errstr) != 0
		    ? -1
		    : apply(a, st, c, dests, &l, now, errstr);
	for (size_t i = 0; i < l.n; i++) {
		free(l.v[i].sink);
		free(l.v[i].dest);
		free(l.v[i].tmp);
	}
	free(l.v);
	if (total >= 0) {
		const char **names = xcalloc(c->nsinks ? c->nsinks : 1, sizeof(*names));
		const char **ds = xcalloc(c->nsinks ? c->nsinks : 1, sizeof(*ds));

		for (size_t i = 0; i < c->nsinks; i++) {
			names[i] = c->sinks[i].name;
			ds[i] = dests[i];
		}
		if (store_set_sink_dests(st, names, ds, c->nsinks, errstr) != 0 ||
		    store_set_meta(st, TOLD_SINKS_META, sig, errstr) != 0)
			total = -1;
		free(names);
		free(ds);
	}
	return total;
}

/* Tells whether q is told for the first time: not a reminder nor a flapping notice. */
bool
alerting_fresh(const struct queued *q)
{
	return !q->reminder && !q->flapping && !q->event;
}

/* Tells whether q fired before the store kept what it told. */
int
alerting_told_before(struct store *st, const struct queued *q, char **errstr)
{
	char *key = NULL;
	int rc =
	    store_get_told(st, STORE_TOLD_BEFORE, q->domain, q->rule, q->subject, &key, errstr);

	free(key);
	return rc;
}

/* Forgets that the alerts of a run fired before the store kept what it told, once they
 * resolve or fire anew. */
int
alerting_told_done(struct store *st, const struct queued *q, size_t nq, char **errstr)
{
	for (size_t i = 0; i < nq; i++) {
		char *key = NULL;
		int64_t left;

		if (q[i].event || (q[i].kind != NOTIFY_RESOLVED && !alerting_fresh(&q[i])))
			continue;
		if (store_close_told(st, STORE_TOLD_BEFORE, q[i].domain, q[i].rule, q[i].subject,
				     &key, &left, errstr) < 0)
			return -1;
		free(key);
	}
	return 0;
}
