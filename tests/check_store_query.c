/* The read-only view of the state store: opening without side effects, one consistent read
 * beside a writer, and the summaries of `mxwatch status`. */
#include "config.h"

#include <check.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "dns_pkt.h"
#include "store.h"
#include "store_query.h"
#include "xmalloc.h"

static char dir[64];
static char *db;

static void
setup(void)
{
	strcpy(dir, "/tmp/mxw-storeq.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	db = xasprintf("%s/state.db", dir);
}

static void
teardown(void)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	free(db);
}

/* Opens the test database for writing (creating it) or fails the test. */
static struct store *
open_writer(void)
{
	struct store *st = NULL;
	char *err = NULL;

	ck_assert_msg(store_open(db, &st, &err) == 0, "%s", err);
	return st;
}

/* Opens the test database read-only or fails the test. */
static struct store *
open_reader(void)
{
	struct store *st = NULL;
	char *err = NULL;

	ck_assert_msg(store_open_readonly(db, 100, &st, &err) == 0, "%s", err);
	return st;
}

/* Runs SQL on the test database through a connection of its own. */
static void
sql(const char *text)
{
	sqlite3 *h;

	ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(h, text, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

/* A snapshot of domain with one A set. */
static struct snap *
snap_of(const char *domain)
{
	struct snap *s = snap_new(domain);
	struct dns_result res;
	char *name = xasprintf("mail.%s", domain);

	memset(&res, 0, sizeof(res));
	res.qname = dns_name_canon(name);
	res.qtype = DNS_T_A;
	res.outcome = DNS_NXDOMAIN;
	res.ttl = 300;
	snap_put(s, &res);
	dns_result_clear(&res);
	free(name);
	return s;
}

/* Stores a firing finding of domain. */
static void
put_firing(struct store *st, const char *domain, const char *rule, enum severity sev, int64_t since)
{
	struct store_alert a = {
	    .rule = rule,
	    .subject = domain,
	    .severity = sev,
	    .first_seen = since,
	    .last_seen = since,
	    .message = "m",
	    .evidence = "[]",
	};
	char *err = NULL;

	a.st.phase = ALERT_FIRING;
	a.st.since = since;
	ck_assert_msg(store_put_alert(st, domain, &a, &err) == 0, "%s", err);
}

/* Formats the store's summary as "DOMAINS CHECKED LAST_CHECK" into buf. */
static void
summary_of(struct store *st, char *buf, size_t size)
{
	struct store_summary s = {-1, -1, -1};
	char *err = NULL;

	ck_assert_msg(store_get_summary(st, &s, &err) == 0, "%s", err);
	snprintf(buf, size, "%lld %lld %lld", (long long)s.domains, (long long)s.checked,
		 (long long)s.last_check);
}

/* The size of the test database file. */
static long long
db_size(void)
{
	struct stat sb;

	ck_assert_int_eq(stat(db, &sb), 0);
	return (long long)sb.st_size;
}

/* Counts a finding. */
static int
count_alert(const struct store_alert *a, void *arg)
{
	(void)a;
	++*(int *)arg;
	return 0;
}

/* Appends one sink status line to the string *arg. */
static int
sink_line(const struct store_sink_status *s, void *arg)
{
	char **out = arg, *prev = *out;

	*out =
	    xasprintf("%s%s pending=%lld oldest=%lld attempts=%d next=%lld error=%s dead=%lld "
		      "dead_error=%s\n",
		      prev ? prev : "", s->sink, (long long)s->pending, (long long)s->oldest,
		      s->attempts, (long long)s->next_attempt, s->last_error ? s->last_error : "-",
		      (long long)s->dead, s->dead_error ? s->dead_error : "-");
	free(prev);
	return 0;
}

START_TEST(test_readonly_open_creates_nothing_and_refuses_what_it_cannot_read)
{
	struct store *st = NULL;
	char *err = NULL, *want;
	FILE *f;

	/* Missing: an error, and no file is created. */
	ck_assert_int_eq(store_open_readonly(db, 100, &st, &err), -1);
	want = xasprintf("%s: cannot open the state database: unable to open database file", db);
	ck_assert_str_eq(err, want);
	free(want);
	free(err);
	ck_assert_int_eq(access(db, F_OK), -1);
	/* Empty: no state yet, and it stays empty. */
	f = fopen(db, "w");
	fclose(f);
	ck_assert_int_eq(store_open_readonly(db, 100, &st, &err), -1);
	want = xasprintf("%s: no state yet: the database is empty (has mxwatchd run?)", db);
	ck_assert_str_eq(err, want);
	free(want);
	free(err);
	ck_assert_int_eq(db_size(), 0);
	/* Older and newer schemas. */
	unlink(db);
	store_close(open_writer());
	sql("PRAGMA user_version = 2");
	ck_assert_int_eq(store_open_readonly(db, 100, &st, &err), -1);
	want = xasprintf("%s: schema version 2 is older than this mxwatch reads (%d); mxwatchd "
			 "upgrades it when it starts",
			 db, STORE_SCHEMA_VERSION);
	ck_assert_str_eq(err, want);
	free(want);
	free(err);
	sql("PRAGMA user_version = 99");
	ck_assert_int_eq(store_open_readonly(db, 100, &st, &err), -1);
	want = xasprintf("%s: schema version 99 is newer than this mxwatch knows (%d); use a newer "
			 "mxwatch",
			 db, STORE_SCHEMA_VERSION);
	ck_assert_str_eq(err, want);
	free(want);
	free(err);
	ck_assert_ptr_null(st);
}
END_TEST

START_TEST(test_reader_sees_committed_state_beside_a_writer_and_cannot_write)
{
	struct store *w = open_writer(), *r;
	struct snap *a = snap_of("a.example"), *b = snap_of("b.example");
	char *err = NULL, got[64];
	int64_t v;
	int n = 0;

	ck_assert_int_eq(store_put_check(w, a, NULL, 0, 100, &err), 0);
	ck_assert_int_eq(store_set_next_due(w, "b.example", 500, &err), 0);
	ck_assert_int_eq(store_set_meta(w, "resolver_unhealthy_since", 90, &err), 0);
	put_firing(w, "a.example", "mx.missing", SEV_CRITICAL, 100);
	r = open_reader();
	/* The reads of store.h work on it. */
	ck_assert_int_eq(store_get_alerts(r, "a.example", count_alert, &n, &err), 0);
	ck_assert_int_eq(n, 1);
	summary_of(r, got, sizeof(got));
	ck_assert_str_eq(got, "2 1 100");
	ck_assert_int_eq(store_get_meta(r, "resolver_unhealthy_since", &v, &err), 0);
	ck_assert_int_eq(v, 90);
	/* A writer in the middle of a transaction: the reader neither waits nor sees it. */
	ck_assert_int_eq(store_begin(w, &err), 0);
	ck_assert_int_eq(store_put_check(w, b, NULL, 0, 200, &err), 0);
	ck_assert_int_eq(store_begin_read(r, &err), 0);
	summary_of(r, got, sizeof(got));
	ck_assert_str_eq(got, "2 1 100");
	ck_assert_int_eq(store_commit(w, &err), 0);
	/* Within its read the reader keeps the state it started with. */
	summary_of(r, got, sizeof(got));
	ck_assert_str_eq(got, "2 1 100");
	ck_assert_int_eq(store_commit(r, &err), 0);
	summary_of(r, got, sizeof(got));
	ck_assert_str_eq(got, "2 2 200");
	/* Writes fail. */
	ck_assert_int_eq(store_set_meta(r, "resolver_unhealthy_since", 0, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "readonly database"));
	free(err);
	store_close(r);
	store_close(w);
	snap_free(a);
	snap_free(b);
}
END_TEST

START_TEST(test_sink_status_gives_the_head_of_each_queue_and_the_latest_dead)
{
	struct store *w = open_writer(), *r;
	char *err = NULL, *text = NULL;
	int64_t s1, s2, p1, p2, a1;

	ck_assert_int_eq(store_outbox_add(w, "slack", "", "firing", "{}", 50, &s1, &err), 0);
	ck_assert_int_eq(store_outbox_add(w, "slack", "", "firing", "{}", 60, &s2, &err), 0);
	ck_assert_int_eq(store_outbox_add(w, "pd", "k", "firing", "{}", 40, &p1, &err), 0);
	ck_assert_int_eq(store_outbox_add(w, "pd", "k", "resolved", "{}", 45, &p2, &err), 0);
	ck_assert_int_eq(store_outbox_add(w, "audit", "", "firing", "{}", 30, &a1, &err), 0);
	ck_assert_int_eq(store_outbox_retry(w, s1, 2, 90, "HTTP 500", &err), 0);
	ck_assert_int_eq(store_outbox_retry(w, s2, 1, 95, "HTTP 429", &err), 0);
	ck_assert_int_eq(store_outbox_dead(w, p1, 1, "HTTP 404", &err), 0);
	ck_assert_int_eq(store_outbox_dead(w, p2, 1, "HTTP 410", &err), 0);
	ck_assert_int_eq(store_outbox_done(w, a1, 31, &err), 0);
	r = open_reader();
	ck_assert_int_eq(store_each_sink_status(r, sink_line, &text, &err), 0);
	ck_assert_str_eq(text, "pd pending=0 oldest=0 attempts=0 next=0 error=- dead=2 "
			       "dead_error=HTTP 410\n"
			       "slack pending=2 oldest=50 attempts=2 next=90 error=HTTP 500 dead=0 "
			       "dead_error=-\n");
	free(text);
	store_close(r);
	store_close(w);
}
END_TEST

static Suite *
store_query_suite(void)
{
	Suite *s = suite_create("store_query");
	TCase *tc = tcase_create("readonly");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_readonly_open_creates_nothing_and_refuses_what_it_cannot_read);
	tcase_add_test(tc, test_reader_sees_committed_state_beside_a_writer_and_cannot_write);
	tcase_add_test(tc, test_sink_status_gives_the_head_of_each_queue_and_the_latest_dead);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(store_query_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
