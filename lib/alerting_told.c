/*
 * What each sink was told (the store's told table, store_*_told), kept in line with the
 * configuration: a resolve goes to exactly the sinks that were told the fire, whatever their
 * routing is now, also after a reload renamed the sink. A sink is known by its name and by a
 * fingerprint of its destination (a SHA-256 of its type, URL and routing key; the secrets
 * themselves are never stored): what a sink no longer configured was told moves to the sink
 * that now has its destination, or is forgotten (with a warning naming the sink) when no sink
 * has it any more, as its resolves could not reach it.
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

/* One sink the told table names. */
struct told_sink {
	char *sink, *dest;
	int64_t n;
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

/* Store callback: copies one sink the told table names. */
static int
collect_sink(const char *sink, const char *dest, int64_t n, void *arg)
{
	struct told_sinks *l = arg;
	struct told_sink *t;

	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	t = &l->v[l->n++];
	t->sink = xstrdup(sink);
	t->dest = dest != NULL ? xstrdup(dest) : NULL;
	t->n = n;
	return 0;
}

/* Returns the index of the sink of c named name, or of the first with destination dest
 * (name NULL); -1 when none. */
static ssize_t
find_sink(const struct cfg *c, char (*dests)[ALERTING_DEST_SIZE], const char *name,
	  const char *dest)
{
	for (size_t i = 0; i < c->nsinks; i++)
		if (name != NULL ? strcmp(c->sinks[i].name, name) == 0
				 : dest != NULL && strcmp(dests[i], dest) == 0)
			return (ssize_t)i;
	return -1;
}

/* Moves what sink t was told to sink s (destination dest), which has its destination: a key
 * left covering nothing is resolved at s, a PagerDuty sink. Returns the number of messages. */
static int
move_sink(struct alerting *a, struct store *st, const struct told_sink *t, const struct cfg_sink *s,
	  const char *dest, long long now, char **errstr)
{
	char **keys = NULL;
	size_t nkeys = 0;
	int total = 0;

	log_info("sink \"%s\" is now sink \"%s\" (the same destination): the %lld alert%s it "
		 "was told move%s with it",
		 t->sink, s->name, (long long)t->n, t->n == 1 ? "" : "s", t->n == 1 ? "s" : "");
	if (store_told_move(st, t->sink, s->name, dest, &keys, &nkeys, errstr) != 0)
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

/* Brings the told table in line with the sinks of c. */
int
alerting_told_sync(struct alerting *a, struct store *st, const struct cfg *c,
		   char (*dests)[ALERTING_DEST_SIZE], long long now, char **errstr)
{
	struct told_sinks l = {0};
	int64_t sig = signature(c, dests), had = 0;
	int total = 0;

	if (store_get_meta(st, TOLD_SINKS_META, &had, errstr) != 0)
		return -1;
	if (had == sig)
		return 0;
	if (store_told_sinks(st, collect_sink, &l, errstr) != 0)
		total = -1;
	for (size_t i = 0; total >= 0 && i < l.n; i++) {
		const struct told_sink *t = &l.v[i];
		ssize_t s = find_sink(c, dests, t->sink, NULL);
		int rc;

		if (s >= 0) {
			rc = t->dest == NULL || strcmp(t->dest, dests[s]) != 0
				 ? store_told_set_dest(st, t->sink, dests[s], errstr)
				 : 0;
		} else if ((s = find_sink(c, dests, NULL, t->dest)) >= 0) {
			rc = move_sink(a, st, t, &c->sinks[s], dests[s], now, errstr);
		} else {
			log_warnx(
			    "sink \"%s\" is no longer configured: forgetting the %lld alert%s "
			    "it was told firing (their resolves cannot reach it)",
			    t->sink, (long long)t->n, t->n == 1 ? "" : "s");
			rc = store_told_drop(st, t->sink, errstr);
		}
		total = rc < 0 ? -1 : total + rc;
	}
	for (size_t i = 0; i < l.n; i++) {
		free(l.v[i].sink);
		free(l.v[i].dest);
	}
	free(l.v);
	if (total >= 0 && store_set_meta(st, TOLD_SINKS_META, sig, errstr) != 0)
		total = -1;
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
