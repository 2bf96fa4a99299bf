/* Delivery: backoff and rate limits, and the outbox sent to a real receiver in process. */
#include "config.h"

#include <check.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deliver.h"
#include "httprecv.h"
#include "log.h"
#include "xmalloc.h"

START_TEST(test_backoff_doubles_with_jitter_to_a_cap)
{
	/* r = 0.5 is the middle of the jitter: exactly the doubling. */
	ck_assert_int_eq(deliver_backoff(1, 10, 0.5, -1), 10);
	ck_assert_int_eq(deliver_backoff(2, 10, 0.5, -1), 20);
	ck_assert_int_eq(deliver_backoff(4, 10, 0.5, -1), 80);
	ck_assert_int_eq(deliver_backoff(30, 10, 0.5, -1), DELIVER_BACKOFF_MAX);
	/* Jitter: 80% to 120%. */
	ck_assert_int_eq(deliver_backoff(1, 10, 0.0, -1), 8);
	ck_assert_int_eq(deliver_backoff(1, 10, 0.999, -1), 11);
	/* Retry-After wins when longer, capped at a day; a shorter one does not shorten. */
	ck_assert_int_eq(deliver_backoff(1, 10, 0.5, 120), 120);
	ck_assert_int_eq(deliver_backoff(1, 10, 0.5, 3), 10);
	ck_assert_int_eq(deliver_backoff(1, 10, 0.5, 10 * 86400), 86400);
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

static Suite *
deliver_suite(void)
{
	Suite *s = suite_create("deliver");
	TCase *tc = tcase_create("deliver");

	tcase_add_test(tc, test_backoff_doubles_with_jitter_to_a_cap);
	tcase_add_test(tc, test_rate_limits_per_sink_type);
	tcase_add_test(tc, test_outbox_is_sent_in_order_and_errors_are_handled);
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
