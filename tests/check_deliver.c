/* Delivery: backoff and rate limits, and the outbox sent to a real receiver in process. */
#include "config.h"

#include <check.h>
#include <event2/event.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "deliver.h"
#include "httprecv.h"
#include "log.h"
#include "testdb.h"
#include "xmalloc.h"

START_TEST(test_backoff_doubles_with_jitter_to_a_cap)
{
	/* r = 0.5 is the middle of the jitter: exactly the doubling. */
	ck_assert_int_eq(deliver_backoff(1, 10, 0.5, -1), 10);
	ck_assert_int_eq(deliver_backoff(2, 10, 0.5, -1), 20);
	ck_assert_int_eq(deliver_backoff(4, 10, 0.5, -1), 80);
	ck_assert_int_eq(deliver_backoff(30, 10, 0.5, -1), DELIVER_BACKOFF_MAX);
	/* Jitter: whole seconds from 80% to 120%, both ends reachable. */
	ck_assert_int_eq(deliver_backoff(1, 10, 0.0, -1), 8);
	ck_assert_int_eq(deliver_backoff(1, 10, 0.999999, -1), 12);
	/* Retry-After wins when longer, capped at a day; a shorter one does not shorten. */
	ck_assert_int_eq(deliver_backoff(1, 10, 0.5, 120), 120);
	ck_assert_int_eq(deliver_backoff(1, 10, 0.5, 3), 10);
	ck_assert_int_eq(deliver_backoff(1, 10, 0.5, 10 * 86400), 86400);
}
END_TEST

START_TEST(test_backoff_of_one_second_is_exactly_one_second)
{
	const double rs[] = {0.0, 0.1, 0.5, 0.9, 0.999999};

	for (size_t i = 0; i < sizeof(rs) / sizeof(rs[0]); i++) {
		ck_assert_int_eq(deliver_backoff(1, 1, rs[i], -1), 1);
		ck_assert_int_eq(deliver_backoff(1, 1, rs[i], 0), 1);  /* Retry-After: 0 */
		ck_assert_int_eq(deliver_backoff(1, 0, rs[i], -1), 1); /* unset: 1 s */
		ck_assert_int_eq(deliver_backoff(2, 1, rs[i], -1), 2);
	}
}
END_TEST

START_TEST(test_backoff_stays_within_whole_second_bounds_over_many_draws)
{
	unsigned short seed[3] = {0x6d78, 0x7761, 0x7463}; /* fixed: the same draws each run */
	int seen[13] = {0};

	for (int i = 0; i < 100000; i++) {
		long long v = deliver_backoff(1, 10, erand48(seed), -1);

		ck_assert_int_ge(v, 8);
		ck_assert_int_le(v, 12);
		seen[v]++;
	}
	for (int v = 8; v <= 12; v++)
		ck_assert_msg(seen[v] > 15000, "%d drawn %d times of 100000", v, seen[v]);
	/* Every first backoff and attempt: ceil(0.8 b) to floor(1.2 b) of the capped doubling,
	 * never below 1 s. */
	for (long long first = 0; first <= 130; first++) {
		for (int n = 1; n <= 14; n++) {
			long long b = first > 0 ? first : 1, lo, hi;

			for (int i = 1; i < n; i++)
				b = b * 2 < DELIVER_BACKOFF_MAX ? b * 2 : DELIVER_BACKOFF_MAX;
			lo = (8 * b + 9) / 10;
			hi = 12 * b / 10;
			ck_assert_int_eq(deliver_backoff(n, first, 0.0, -1), lo);
			ck_assert_int_eq(deliver_backoff(n, first, 0.99999999, -1), hi);
			for (int i = 0; i < 50; i++) {
				long long v = deliver_backoff(n, first, erand48(seed), -1);

				ck_assert_int_ge(v, lo);
				ck_assert_int_le(v, hi);
				ck_assert_int_ge(v, 1);
			}
		}
	}
}
END_TEST

START_TEST(test_backoff_cap_holds)
{
	unsigned short seed[3] = {1, 2, 3};

	/* The doubling stops at an hour, the jitter around it at 120%; no overflow. */
	for (int i = 0; i < 10000; i++) {
		long long v = deliver_backoff(1000000, 10, erand48(seed), -1);

		ck_assert_int_ge(v, DELIVER_BACKOFF_MAX * 8 / 10);
		ck_assert_int_le(v, DELIVER_BACKOFF_MAX * 12 / 10);
	}
	ck_assert_int_eq(deliver_backoff(1, 1000000000LL, 0.999999, -1),
			 DELIVER_BACKOFF_MAX * 12 / 10);
	ck_assert_int_eq(deliver_backoff(1000000, 10, 0.5, -1), DELIVER_BACKOFF_MAX);
}
END_TEST

START_TEST(test_rate_limits_per_sink_type)
{
	struct cfg_sink s = {.type = CFG_SINK_SLACK};

	ck_assert_int_eq(deliver_min_interval_ms(&s), 1000);
	s.type = CFG_SINK_PAGERDUTY;
	ck_assert_int_eq(deliver_min_interval_ms(&s), 500);
	s.type = CFG_SINK_WEBHOOK;
	ck_assert_int_eq(deliver_min_interval_ms(&s), 0);
}
END_TEST

static char dir[64];

/* Stops the loop once delivery is idle. */
static void
idle(void *arg)
{
	event_base_loopexit(arg, NULL);
}

/* Rows by state, as "pending done dead". */
static char *
states(struct store *st, const char *sink)
{
	int64_t p, d, x;
	char *err = NULL;

	ck_assert_int_eq(store_outbox_count(st, sink, "pending", &p, &err), 0);
	ck_assert_int_eq(store_outbox_count(st, sink, "done", &d, &err), 0);
	ck_assert_int_eq(store_outbox_count(st, sink, "dead", &x, &err), 0);
	return xasprintf("%lld %lld %lld", (long long)p, (long long)d, (long long)x);
}

START_TEST(test_outbox_is_sent_in_order_and_errors_are_handled)
{
	struct event_base *base = event_base_new();
	char *err = NULL, *db, *plan, *logp, *url_ok, *url_gone, *s;
	struct httprecv *r;
	struct http_client *http;
	struct store *st;
	struct deliver *d;
	struct cfg_sink sinks[2] = {{0}};
	struct cfg c = {0};
	FILE *f;
	char line[4096];
	int64_t id;
	size_t nlines = 0;

	strcpy(dir, "/tmp/mxw-deliver.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	db = xasprintf("%s/state.db", dir);
	plan = xasprintf("%s/plan", dir);
	logp = xasprintf("%s/log", dir);
	f = fopen(plan, "w");
	fputs("/gone 404\n/ok 200\n", f);
	fclose(f);
	ck_assert_ptr_nonnull(r = httprecv_start(base, plan, logp, &err));
	ck_assert_ptr_nonnull(http = http_new(base, &err));
	ck_assert_int_eq(store_open(db, &st, &err), 0);
	url_ok = xasprintf("http://127.0.0.1:%d/ok", httprecv_port(r));
	url_gone = xasprintf("http://127.0.0.1:%d/gone", httprecv_port(r));
	sinks[0].name = xstrdup("ok");
	sinks[0].type = CFG_SINK_WEBHOOK;
	sinks[0].url = url_ok;
	sinks[0].allow_http = true;
	sinks[1].name = xstrdup("gone");
	sinks[1].type = CFG_SINK_WEBHOOK;
	sinks[1].url = url_gone;
	sinks[1].allow_http = true;
	c.sinks = sinks;
	c.nsinks = 2;
	c.alerting.retry_backoff_s = 10;
	for (int i = 0; i < 3; i++) {
		char *body = xasprintf("{\"n\":%d}", i);

		ck_assert_int_eq(
		    store_outbox_add(st, "ok", "", "firing", body, time(NULL), &id, &err), 0);
		free(body);
	}
	ck_assert_int_eq(store_outbox_add(st, "gone", "", "firing", "{}", time(NULL), NULL, &err),
			 0);
	d = deliver_new(base, http, st);
	deliver_set_config(d, &c);
	deliver_when_idle(d, 0, idle, base);
	event_base_dispatch(base);
	/* The three in order, each once; the 404 tried once and dead. */
	s = states(st, "ok");
	ck_assert_str_eq(s, "0 3 0");
	free(s);
	s = states(st, "gone");
	ck_assert_str_eq(s, "0 0 1");
	free(s);
	f = fopen(logp, "r");
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strstr(line, "\"path\":\"/ok\"") != NULL) {
			char want[64];

			snprintf(want, sizeof(want), "\\\"n\\\":%zu", nlines);
			ck_assert_msg(strstr(line, want) != NULL, "out of order: %s", line);
			nlines++;
		}
	}
	fclose(f);
	ck_assert_uint_eq(nlines, 3);
	{
		struct deliver_stats ds;

		deliver_get_stats(d, &ds);
		ck_assert_uint_eq(ds.sent, 3);
		ck_assert_uint_eq(ds.dead, 1);
		ck_assert_uint_eq(ds.retried, 0);
	}
	deliver_free(d);
	http_free(http);
	httprecv_stop(r);
	store_close(st);
	event_base_free(base);
	free(sinks[0].name);
	free(sinks[1].name);
	free(url_ok);
	free(url_gone);
	s = xasprintf("rm -rf '%s'", dir);
	ck_assert_int_eq(system(s), 0);
	free(s);
	free(db);
	free(plan);
	free(logp);
}
END_TEST

/* A delivery against a receiver in process: one sink per plan line's path. */
struct rig {
	char dir[64];
	char *db, *logp;
	struct event_base *base;
	struct httprecv *r;
	struct http_client *http;
	struct store *st;
	struct deliver *d;
	struct cfg_sink sinks[2];
	struct cfg c;
};

/* Starts a rig whose receiver answers as plan says; sinks "a" and "b" post to /a and /b. */
static void
rig_start(struct rig *g, const char *plan, long long retry_backoff_s)
{
	char *err = NULL, *planp;
	FILE *f;

	memset(g, 0, sizeof(*g));
	strcpy(g->dir, "/tmp/mxw-deliver.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(g->dir));
	g->db = xasprintf("%s/state.db", g->dir);
	g->logp = xasprintf("%s/log", g->dir);
	planp = xasprintf("%s/plan", g->dir);
	ck_assert_ptr_nonnull(f = fopen(planp, "w"));
	fputs(plan, f);
	fclose(f);
	g->base = event_base_new();
	ck_assert_ptr_nonnull(g->r = httprecv_start(g->base, planp, g->logp, &err));
	ck_assert_ptr_nonnull(g->http = http_new(g->base, &err));
	ck_assert_int_eq(store_open(g->db, &g->st, &err), 0);
	for (int i = 0; i < 2; i++) {
		g->sinks[i].name = xasprintf("%c", 'a' + i);
		g->sinks[i].type = CFG_SINK_WEBHOOK;
		g->sinks[i].url = xasprintf("http://127.0.0.1:%d/%c", httprecv_port(g->r), 'a' + i);
		g->sinks[i].allow_http = true;
	}
	g->c.sinks = g->sinks;
	g->c.nsinks = 2;
	g->c.alerting.retry_backoff_s = retry_backoff_s;
	free(planp);
}

/* Delivers until nothing is due within horizon_s seconds. */
static void
rig_deliver(struct rig *g, long long horizon_s)
{
	g->d = deliver_new(g->base, g->http, g->st);
	deliver_set_config(g->d, &g->c);
	deliver_when_idle(g->d, horizon_s, idle, g->base);
	event_base_dispatch(g->base);
}

/* Stops a rig and removes its files. */
static void
rig_stop(struct rig *g)
{
	char *cmd = xasprintf("rm -rf '%s'", g->dir);

	deliver_free(g->d);
	http_free(g->http);
	httprecv_stop(g->r);
	store_close(g->st);
	event_base_free(g->base);
	for (int i = 0; i < 2; i++) {
		free(g->sinks[i].name);
		free(g->sinks[i].url);
	}
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	free(g->db);
	free(g->logp);
}

/* Returns the time in milliseconds. */
static long long
ms_now(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

START_TEST(test_retry_after_one_second_backoff_waits_a_second)
{
	struct rig g;
	char *err = NULL, *s;
	long long t0, took;

	rig_start(&g, "/a 503 200\n", 1);
	ck_assert_int_eq(store_outbox_add(g.st, "a", "", "firing", "{}", time(NULL), NULL, &err),
			 0);
	t0 = ms_now();
	rig_deliver(&g, 5);
	took = ms_now() - t0;
	/* Tried, refused, tried again a whole second later (at most a second more: the outbox
	 * keeps whole seconds), then delivered. */
	ck_assert_uint_eq(httprecv_count(g.r), 2);
	s = states(g.st, "a");
	ck_assert_str_eq(s, "0 1 0");
	free(s);
	ck_assert_msg(took >= 1000, "the retry came after %lld ms", took);
	ck_assert_msg(took < 4000, "the retry came after %lld ms", took);
	rig_stop(&g);
}
END_TEST

/* The owner of a batch, as the monitor is: completes and commits it when asked. */
static void
commit_batch(void *arg)
{
	struct rig *g = arg;
	char *err = NULL;

	ck_assert_int_eq(store_set_meta(g->st, "flushed", 1, &err), 0);
	ck_assert_int_eq(store_commit(g->st, &err), 0);
}

START_TEST(test_delivery_marks_are_on_disk_while_a_batch_was_open)
{
	struct rig g;
	char *err = NULL, *v;

	rig_start(&g, "/a 200\n/b 404\n", 10);
	ck_assert_int_eq(store_outbox_add(g.st, "a", "", "firing", "{}", time(NULL), NULL, &err),
			 0);
	ck_assert_int_eq(store_outbox_add(g.st, "b", "", "firing", "{}", time(NULL), NULL, &err),
			 0);
	/* A batch is open (the monitor's, ~200 ms) when the answers come. */
	store_set_flush(g.st, commit_batch, &g);
	ck_assert_int_eq(store_begin(g.st, &err), 0);
	ck_assert_int_eq(store_set_meta(g.st, "batch", 1, &err), 0);
	rig_deliver(&g, 0);
	ck_assert_uint_eq(httprecv_count(g.r), 2);
	/* Nobody committed by hand: the marks went to disk on their own, after the batch. */
	v = testdb_peek(g.db, "SELECT group_concat(sink || ' ' || state, ', ') FROM "
			      "(SELECT sink, state FROM outbox ORDER BY id)");
	ck_assert_str_eq(v, "a done, b dead");
	free(v);
	v = testdb_peek(g.db, "SELECT group_concat(key || '=' || value, ', ') FROM "
			      "(SELECT key, value FROM meta ORDER BY key)");
	ck_assert_str_eq(v, "batch=1, flushed=1");
	free(v);
	rig_stop(&g);
}
END_TEST

START_TEST(test_notifications_moved_to_a_renamed_sink_are_sent_by_the_running_delivery)
{
	struct rig g;
	char *err = NULL, *s, **keys = NULL;
	size_t nkeys = 0;
	FILE *f;
	char line[4096];
	size_t n = 0;

	rig_start(&g, "/b 200\n", 10);
	/* Queued for "old", which a reload renamed to b: nothing is sent while they are
	 * old's. */
	for (int i = 0; i < 2; i++) {
		char *body = xasprintf("{\"n\":%d}", i);

		ck_assert_int_eq(
		    store_outbox_add(g.st, "old", "", "firing", body, time(NULL), NULL, &err), 0);
		free(body);
	}
	rig_deliver(&g, 0);
	ck_assert_uint_eq(httprecv_count(g.r), 0);
	/* The first flush after the reload moves them to b: the next kick sends them, in
	 * order, to b's URL. */
	ck_assert_int_eq(store_told_move(g.st, "old", "b", "d", &keys, &nkeys, &err), 0);
	free(keys);
	deliver_kick(g.d);
	deliver_when_idle(g.d, 0, idle, g.base);
	event_base_dispatch(g.base);
	ck_assert_uint_eq(httprecv_count(g.r), 2);
	s = states(g.st, "b");
	ck_assert_str_eq(s, "0 2 0");
	free(s);
	s = states(g.st, "old");
	ck_assert_str_eq(s, "0 0 0");
	free(s);
	ck_assert_ptr_nonnull(f = fopen(g.logp, "r"));
	while (fgets(line, sizeof(line), f) != NULL) {
		char want[64];

		ck_assert_msg(strstr(line, "\"path\":\"/b\"") != NULL, "sent elsewhere: %s", line);
		snprintf(want, sizeof(want), "\\\"n\\\":%zu", n++);
		ck_assert_msg(strstr(line, want) != NULL, "out of order: %s", line);
	}
	fclose(f);
	ck_assert_uint_eq(n, 2);
	rig_stop(&g);
}
END_TEST

static Suite *
deliver_suite(void)
{
	Suite *s = suite_create("deliver");
	TCase *tc = tcase_create("deliver");

	tcase_add_test(tc, test_backoff_doubles_with_jitter_to_a_cap);
	tcase_add_test(tc, test_backoff_of_one_second_is_exactly_one_second);
	tcase_add_test(tc, test_backoff_stays_within_whole_second_bounds_over_many_draws);
	tcase_add_test(tc, test_backoff_cap_holds);
	tcase_add_test(tc, test_rate_limits_per_sink_type);
	tcase_add_test(tc, test_outbox_is_sent_in_order_and_errors_are_handled);
	tcase_add_test(tc, test_retry_after_one_second_backoff_waits_a_second);
	tcase_add_test(tc, test_delivery_marks_are_on_disk_while_a_batch_was_open);
	tcase_add_test(tc,
		       test_notifications_moved_to_a_renamed_sink_are_sent_by_the_running_delivery);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(deliver_suite());
	int failed;

	log_set_level(LOG_LEVEL_ERR); /* the 404 warning is expected */
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
