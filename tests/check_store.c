/* The SQLite state store: schema migrations, snapshots, history, transactions; and its
 * read-only view (mxwatch status, history, show): no side effects, one consistent read
 * beside a writer. */
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
#include "testdb.h"
#include "xmalloc.h"

static char dir[64];
static char *db;

static void
setup(void)
{
	strcpy(dir, "/tmp/mxw-store.XXXXXX");
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

/* Opens the test database or fails the test. */
static struct store *
open_db(void)
{
	struct store *st = NULL;
	char *err = NULL;

	ck_assert_msg(store_open(db, &st, &err) == 0, "%s", err);
	return st;
}

/* A snapshot of domain with one A set holding addr (NULL: an nxdomain). */
static struct snap *
snap_with(const char *domain, const char *addr)
{
	struct snap *s = snap_new(domain);
	struct dns_result res;
	char *name = xasprintf("mail.%s", domain);

	memset(&res, 0, sizeof(res));
	res.qname = dns_name_canon(name);
	res.qtype = DNS_T_A;
	res.outcome = addr ? DNS_ANSWER : DNS_NXDOMAIN;
	res.ttl = 300;
	if (addr != NULL) {
		res.rrs = xcalloc(1, sizeof(*res.rrs));
		res.rrs[0].name = xstrdup(res.qname);
		res.rrs[0].type = DNS_T_A;
		res.rrs[0].data = xstrdup(addr);
		res.rrs[0].len = strlen(addr);
		res.nrrs = 1;
	}
	snap_put(s, &res);
	dns_result_clear(&res);
	free(name);
	return s;
}

/* Runs one SQL query returning a single integer. */
static long long
sql_int(const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *s;
	long long v = -1;

	ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(h, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(h);
	return v;
}

START_TEST(test_new_database_gets_the_current_schema_in_wal_mode)
{
	struct store *st = open_db();

	store_close(st);
	ck_assert_int_eq(sql_int("PRAGMA user_version"), STORE_SCHEMA_VERSION);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
				 "name IN ('domains', 'changes', 'findings', 'outbox', 'meta', "
				 "'told')"),
			 6);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = "
				 "'wal'"),
			 1);
	/* Opening again migrates nothing and keeps the data. */
	st = open_db();
	store_close(st);
	ck_assert_int_eq(sql_int("PRAGMA user_version"), STORE_SCHEMA_VERSION);
}
END_TEST

START_TEST(test_newer_schema_is_refused)
{
	struct store *st = open_db();
	sqlite3 *h;
	char *err = NULL, *want;

	store_close(st);
	ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(h, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	ck_assert_int_eq(store_open(db, &st, &err), -1);
	want = xasprintf("%s: schema version 99 is newer than this mxwatch knows (%d); use a newer "
			 "mxwatch",
			 db, STORE_SCHEMA_VERSION);
	ck_assert_str_eq(err, want);
	free(want);
	free(err);
}
END_TEST

START_TEST(test_not_a_database_is_a_clear_error)
{
	FILE *f = fopen(db, "w");
	struct store *st = NULL;
	char *err = NULL, *want;

	fputs("this is not an SQLite file, it is a text file with enough bytes in it to have a "
	      "header of one hundred bytes and then some more text.\n",
	      f);
	fclose(f);
	ck_assert_int_eq(store_open(db, &st, &err), -1);
	want = xasprintf("%s: setting up the database: file is not a database", db);
	ck_assert_str_eq(err, want);
	ck_assert_ptr_null(st);
	free(want);
	free(err);
}
END_TEST

START_TEST(test_snapshot_round_trips_and_each_change_is_recorded)
{
	struct store *st = open_db();
	struct snap *s1 = snap_with("example.com", "192.0.2.1"), *s2, *s3, *got = NULL;
	struct snap_change *c;
	char *err = NULL, *d1, *d2;
	size_t n;

	ck_assert_int_eq(store_get_snapshot(st, "example.com", &got, &err), 0);
	ck_assert_ptr_null(got);
	ck_assert_int_eq(store_put_check(st, s1, NULL, 0, 1000, &err), 0);
	ck_assert_int_eq(store_get_snapshot(st, "example.com", &got, &err), 0);
	d1 = snap_dump(s1);
	d2 = snap_dump(got);
	ck_assert_str_eq(d1, d2);
	free(d1);
	free(d2);
	snap_free(got);

	s2 = snap_with("example.com", "192.0.2.2");
	n = snap_diff(s1, s2, &c);
	ck_assert_int_eq(store_put_check(st, s2, c, n, 2000, &err), 0);
	free(c);
	s3 = snap_with("example.com", NULL);
	n = snap_diff(s2, s3, &c);
	ck_assert_int_eq(store_put_check(st, s3, c, n, 3000, &err), 0);
	free(c);
	store_close(st);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM changes"), 2);
	ck_assert_int_eq(sql_int("SELECT last_check FROM domains WHERE name = 'example.com'"),
			 3000);
	snap_free(s1);
	snap_free(s2);
	snap_free(s3);
}
END_TEST

/* Collects history entries as text lines. */
static int
history_line(const struct store_change *c, void *arg)
{
	char **out = arg;
	char *line =
	    xasprintf("%s%lld %s %s %s\n  before %s\n  after %s\n", *out ? *out : "",
		      (long long)c->at, c->domain, c->name, c->rrtype, c->before, c->after);

	free(*out);
	*out = line;
	return 0;
}

START_TEST(test_history_lists_changes_with_before_and_after)
{
	struct store *st = open_db();
	struct snap *s1 = snap_with("example.com", "192.0.2.1"),
		    *s2 = snap_with("example.com", NULL);
	struct snap_change *c;
	char *err = NULL, *text = NULL;
	size_t n = snap_diff(s1, s2, &c);

	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(store_put_check(st, s1, NULL, 0, 1000, &err), 0);
	ck_assert_int_eq(store_put_check(st, s2, c, n, 2000, &err), 0);
	ck_assert_int_eq(store_history(st, "example.com", 0, history_line, &text, &err), 0);
	ck_assert_str_eq(text,
			 "2000 example.com mail.example.com. A\n"
			 "  before {\"name\":\"mail.example.com.\",\"type\":\"A\",\"outcome\":"
			 "\"answer\",\"known\":\"answer\",\"ttl\":300,\"records\":[\"192.0.2."
			 "1\"],\"cnames\":[]}\n"
			 "  after {\"name\":\"mail.example.com.\",\"type\":\"A\",\"outcome\":"
			 "\"nxdomain\",\"known\":\"nxdomain\",\"ttl\":300,\"records\":[],"
			 "\"cnames\":[]}\n");
	free(text);
	text = NULL;
	/* A third check brings the address back: newest first, and the limit holds. */
	{
		struct snap *s3 = snap_with("example.com", "192.0.2.3");
		struct snap_change *c3;
		size_t n3 = snap_diff(s2, s3, &c3);

		ck_assert_int_eq(store_put_check(st, s3, c3, n3, 3000, &err), 0);
		ck_assert_int_eq(store_history(st, "example.com", 1, history_line, &text, &err), 0);
		ck_assert_str_eq(text, "3000 example.com mail.example.com. A\n"
				       "  before {\"name\":\"mail.example.com.\",\"type\":\"A\","
				       "\"outcome\":\"nxdomain\",\"known\":\"nxdomain\",\"ttl\":"
				       "300,\"records\":[],\"cnames\":[]}\n"
				       "  after {\"name\":\"mail.example.com.\",\"type\":\"A\","
				       "\"outcome\":\"answer\",\"known\":\"answer\",\"ttl\":300,"
				       "\"records\":[\"192.0.2.3\"],\"cnames\":[]}\n");
		free(c3);
		snap_free(s3);
		free(text);
		text = NULL;
	}
	ck_assert_int_eq(store_history(st, "other.example", 0, history_line, &text, &err), 0);
	ck_assert_ptr_null(text);
	free(c);
	snap_free(s1);
	snap_free(s2);
	store_close(st);
}
END_TEST

START_TEST(test_rolled_back_transaction_leaves_nothing)
{
	struct store *st = open_db();
	struct snap *s = snap_with("example.com", "192.0.2.1");
	char *err = NULL;

	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_eq(store_put_check(st, s, NULL, 0, 1000, &err), 0);
	ck_assert_int_eq(store_set_next_due(st, "example.net", 1300, &err), 0);
	store_rollback(st);
	store_close(st);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM domains"), 0);
	st = open_db();
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_eq(store_put_check(st, s, NULL, 0, 1000, &err), 0);
	ck_assert_int_eq(store_set_next_due(st, "example.net", 1300, &err), 0);
	ck_assert_int_eq(store_commit(st, &err), 0);
	store_close(st);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM domains"), 2);
	ck_assert_int_eq(sql_int("SELECT next_due FROM domains WHERE name = 'example.net'"), 1300);
	snap_free(s);
}
END_TEST

/* Collects domain rows as text. */
static int
domain_line(const struct store_domain *d, void *arg)
{
	char **out = arg;
	char *line =
	    xasprintf("%s%s %lld %lld %lld\n", *out ? *out : "", d->name, (long long)d->last_check,
		      (long long)d->next_due, (long long)d->nchanges);

	free(*out);
	*out = line;
	return 0;
}

START_TEST(test_domains_are_listed_with_schedule_and_change_counts)
{
	struct store *st = open_db();
	struct snap *a1 = snap_with("b.example", "192.0.2.1"), *a2 = snap_with("b.example", NULL);
	struct snap_change *c;
	char *err = NULL, *text = NULL;
	size_t n = snap_diff(a1, a2, &c);

	ck_assert_int_eq(store_put_check(st, a1, NULL, 0, 10, &err), 0);
	ck_assert_int_eq(store_put_check(st, a2, c, n, 20, &err), 0);
	ck_assert_int_eq(store_set_next_due(st, "b.example", 320, &err), 0);
	ck_assert_int_eq(store_set_next_due(st, "a.example", 100, &err), 0);
	ck_assert_int_eq(store_each_domain(st, domain_line, &text, &err), 0);
	ck_assert_str_eq(text, "a.example 0 100 0\nb.example 20 320 1\n");
	free(text);
	free(c);
	snap_free(a1);
	snap_free(a2);
	store_close(st);
}
END_TEST

/* Renders finding states as "rule subject severity phase failing/passing history/n flags
 * since notified-at first last message evidence labels" lines (labels "-" when unknown). */
static int
alert_line(const struct store_alert *a, void *arg)
{
	char **text = arg, *next;

	next = xasprintf(
	    "%s%s %s %s %s %u/%u %x/%u%s%s %lld %lld %lld %lld %s %s %s\n", *text, a->rule,
	    a->subject, severity_name(a->severity), alert_phase_name(a->st.phase), a->st.failing,
	    a->st.passing, (unsigned)a->st.history, a->st.nhistory,
	    a->st.flapping ? " flapping" : "", a->st.notified ? " notified" : "",
	    (long long)a->st.since, (long long)a->st.last_notified, (long long)a->first_seen,
	    (long long)a->last_seen, a->message, a->evidence, a->labels != NULL ? a->labels : "-");
	free(*text);
	*text = next;
	return 0;
}

START_TEST(test_meta_values)
{
	struct store *st = open_db();
	char *err = NULL;
	int64_t v = -1;

	ck_assert_int_eq(store_get_meta(st, "resolver_unhealthy_since", &v, &err), 0);
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(store_set_meta(st, "resolver_unhealthy_since", 1234, &err), 0);
	ck_assert_int_eq(store_set_meta(st, "resolver_unhealthy_since", 5678, &err), 0);
	store_close(st);
	st = open_db();
	ck_assert_int_eq(store_get_meta(st, "resolver_unhealthy_since", &v, &err), 0);
	ck_assert_int_eq(v, 5678);
	store_close(st);
}
END_TEST

/* Runs SQL on the test database (not open in the store) or fails the test. */
static void
sql_exec(const char *sql)
{
	sqlite3 *h;
	char *msg = NULL;

	ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
	ck_assert_msg(sqlite3_exec(h, sql, NULL, NULL, &msg) == SQLITE_OK, "%s", msg);
	sqlite3_close(h);
}

/* Records that key covers (domain, rule, subject) at sink; checks that nothing covered it. */
static void
put_told(struct store *st, const char *sink, const char *domain, const char *rule,
	 const char *subject, const char *key)
{
	char *err = NULL, *old = NULL;
	int64_t left = -1;

	ck_assert_msg(
	    store_put_told(st, sink, "d1", domain, rule, subject, key, 100, &old, &left, &err) == 0,
	    "%s", err);
	ck_assert_ptr_null(old);
	ck_assert_int_eq(left, 0);
}

START_TEST(test_told_key_is_left_without_alerts_when_its_last_one_closes)
{
	struct store *st = open_db();
	char *err = NULL, *key = NULL;
	int64_t left = -1;

	/* A store of schema 3 (before told and findings' labels) gets them when opened. */
	store_close(st);
	sql_exec("DROP TABLE told; ALTER TABLE findings DROP COLUMN labels; PRAGMA user_version "
		 "= 3");
	st = open_db();
	ck_assert_int_eq(sql_int("PRAGMA user_version"), STORE_SCHEMA_VERSION);

	/* A group covers two alerts at sink oncall, one of them global; an alert has its own. */
	put_told(st, "oncall", "a.example", "mx.missing", "a.example.", "mxwatch/firing/mxw_1");
	put_told(st, "oncall", "", "resolver.unhealthy", "resolver", "mxwatch/firing/mxw_1");
	put_told(st, "oncall", "b.example", "mx.missing", "b.example.",
		 "b.example/mx.missing/b.example.");
	ck_assert_int_eq(
	    store_get_told(st, "oncall", "", "resolver.unhealthy", "resolver", &key, &err), 1);
	ck_assert_str_eq(key, "mxwatch/firing/mxw_1");
	free(key);
	/* Another sink, another rule: not told. */
	ck_assert_int_eq(
	    store_get_told(st, "other", "a.example", "mx.missing", "a.example.", &key, &err), 0);
	ck_assert_ptr_null(key);
	ck_assert_int_eq(store_close_told(st, "oncall", "a.example", "spf.missing", "a.example.",
					  &key, &left, &err),
			 0);
	ck_assert_ptr_null(key);
	ck_assert_int_eq(left, 0);

	/* The group's first alert closes: one left under its key. */
	ck_assert_int_eq(store_close_told(st, "oncall", "a.example", "mx.missing", "a.example.",
					  &key, &left, &err),
			 1);
	ck_assert_str_eq(key, "mxwatch/firing/mxw_1");
	ck_assert_int_eq(left, 1);
	free(key);
	/* Closed twice: the second time there is nothing. */
	ck_assert_int_eq(store_close_told(st, "oncall", "a.example", "mx.missing", "a.example.",
					  &key, &left, &err),
			 0);
	store_close(st);
	st = open_db();
	ck_assert_int_eq(
	    store_close_told(st, "oncall", "", "resolver.unhealthy", "resolver", &key, &left, &err),
	    1);
	ck_assert_str_eq(key, "mxwatch/firing/mxw_1");
	ck_assert_int_eq(left, 0);
	free(key);
	ck_assert_int_eq(store_close_told(st, "oncall", "b.example", "mx.missing", "b.example.",
					  &key, &left, &err),
			 1);
	ck_assert_str_eq(key, "b.example/mx.missing/b.example.");
	ck_assert_int_eq(left, 0);
	free(key);
	store_close(st);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM told"), 0);
}
END_TEST

START_TEST(test_moving_an_alert_to_another_key_tells_what_the_old_key_still_covers)
{
	struct store *st = open_db();
	char *err = NULL, *old = NULL;
	int64_t left = -1;

	put_told(st, "oncall", "a.example", "mx.missing", "a.example.", "mxwatch/firing/mxw_1");
	put_told(st, "oncall", "b.example", "mx.missing", "b.example.", "mxwatch/firing/mxw_1");
	/* The same key again: nothing moved. */
	ck_assert_int_eq(store_put_told(st, "oncall", "d1", "a.example", "mx.missing", "a.example.",
					"mxwatch/firing/mxw_1", 200, &old, &left, &err),
			 0);
	ck_assert_ptr_null(old);
	/* a.example's alert moves to its own key: the group still covers b.example's. */
	ck_assert_int_eq(store_put_told(st, "oncall", "d1", "a.example", "mx.missing", "a.example.",
					"a.example/mx.missing/a.example.", 200, &old, &left, &err),
			 0);
	ck_assert_str_eq(old, "mxwatch/firing/mxw_1");
	ck_assert_int_eq(left, 1);
	free(old);
	/* b.example's too: the group covers nothing. */
	ck_assert_int_eq(store_put_told(st, "oncall", "d1", "b.example", "mx.missing", "b.example.",
					"mxwatch/firing/mxw_2", 200, &old, &left, &err),
			 0);
	ck_assert_str_eq(old, "mxwatch/firing/mxw_1");
	ck_assert_int_eq(left, 0);
	free(old);
	store_close(st);
}
END_TEST

/* Appends "sink dest n unsent" to the text at arg. */
static int
told_sink_line(const char *sink, const char *dest, int64_t n, int64_t unsent, void *arg)
{
	char **text = arg,
	     *next = xasprintf("%s%s %s %lld %lld\n", *text, sink, dest != NULL ? dest : "-",
			       (long long)n, (long long)unsent);

	free(*text);
	*text = next;
	return 0;
}

START_TEST(test_what_a_sink_was_told_moves_to_another_or_is_dropped)
{
	struct store *st = open_db();
	char *err = NULL, *text = xstrdup(""), **keys = NULL;
	size_t nkeys = 0;

	/* old and new were both told of a.example's alert, under different keys; old alone of
	 * b.example's, under the key that also covers a.example's there. */
	put_told(st, "old", "a.example", "mx.missing", "a.example.", "mxwatch/firing/mxw_1");
	put_told(st, "old", "b.example", "mx.missing", "b.example.", "mxwatch/firing/mxw_1");
	put_told(st, "old", "c.example", "mx.missing", "c.example.", "mxwatch/firing/mxw_3");
	put_told(st, "new", "c.example", "mx.missing", "c.example.", "c.example/mx.missing/c");
	put_told(st, "gone", "a.example", "mx.missing", "a.example.", "mxwatch/firing/mxw_4");
	put_told(st, STORE_TOLD_BEFORE, "a.example", "mx.missing", "a.example.", "");
	ck_assert_int_eq(store_told_set_dest(st, "new", "d2", &err), 0);
	ck_assert_int_eq(store_told_sinks(st, told_sink_line, &text, &err), 0);
	ck_assert_str_eq(text, "gone d1 1 0\nnew d2 1 0\nold d1 3 0\n");
	free(text);
	/* old moves to new: what new was told of c.example stays, so old's key of it is left
	 * covering nothing. */
	ck_assert_int_eq(store_told_move(st, "old", "new", "d2", &keys, &nkeys, &err), 0);
	ck_assert_uint_eq(nkeys, 1);
	ck_assert_str_eq(keys[0], "mxwatch/firing/mxw_3");
	free(keys[0]);
	free(keys);
	ck_assert_int_eq(store_told_drop(st, "gone", &err), 0);
	text = xstrdup("");
	ck_assert_int_eq(store_told_sinks(st, told_sink_line, &text, &err), 0);
	ck_assert_str_eq(text, "new d2 3 0\n");
	free(text);
	store_close(st);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM told WHERE sink = 'new' AND dedup_key = "
				 "'mxwatch/firing/mxw_1'"),
			 2);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM told WHERE dedup_key = "
				 "'c.example/mx.missing/c'"),
			 1);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM told WHERE sink = ''"), 1);
}
END_TEST

/* Queues a notification of kind for sink; returns its id. */
static int64_t
queue(struct store *st, const char *sink, const char *kind)
{
	char *err = NULL;
	int64_t id = 0;

	ck_assert_msg(store_outbox_add(st, sink, "", kind, "{}", 100, &id, &err) == 0, "%s", err);
	return id;
}

/* Returns the outbox as "id sink kind state" lines, in id order. */
static char *
outbox_lines(void)
{
	char *v = testdb_peek(db, "SELECT group_concat(id || ' ' || sink || ' ' || kind || ' ' || "
				  "state, char(10)) FROM (SELECT * FROM outbox ORDER BY id)");

	return v != NULL ? v : xstrdup("");
}

START_TEST(test_undelivered_notifications_move_with_what_a_sink_was_told_keeping_their_order)
{
	struct store *st = open_db();
	char *err = NULL, *text = xstrdup(""), **keys = NULL;
	size_t nkeys = 0;

	put_told(st, "old", "a.example", "mx.missing", "a.example.", "a.example/mx.missing/a");
	queue(st, "old", "firing");
	queue(st, "new", "firing");
	queue(st, "old", "resolved");
	queue(st, "old", "firing");
	ck_assert_int_eq(store_outbox_done(st, 1, 150, &err), 0);
	ck_assert_int_eq(store_outbox_dead(st, 4, 1, "HTTP 404", &err), 0);
	queue(st, "quiet", "resolved");
	/* The sinks named: by the told table, and by the outbox's pending rows alone. */
	ck_assert_int_eq(store_told_sinks(st, told_sink_line, &text, &err), 0);
	ck_assert_str_eq(text, "new - 0 1\nold d1 1 1\nquiet - 0 1\n");
	free(text);
	/* old moves to new: its pending row goes along, keeping its id; what was delivered or
	 * given up stays old's. */
	ck_assert_int_eq(store_told_move(st, "old", "new", "d2", &keys, &nkeys, &err), 0);
	ck_assert_uint_eq(nkeys, 0);
	free(keys);
	text = outbox_lines();
	ck_assert_str_eq(text, "1 old firing done\n"
			       "2 new firing pending\n"
			       "3 new resolved pending\n"
			       "4 old firing dead\n"
			       "5 quiet resolved pending");
	free(text);
	/* quiet is gone: its pending rows are given up, with the reason. */
	ck_assert_int_eq(store_told_give_up(st, "quiet", "the sink is gone", &err), 0);
	store_close(st);
	text = outbox_lines();
	ck_assert_str_eq(text, "1 old firing done\n"
			       "2 new firing pending\n"
			       "3 new resolved pending\n"
			       "4 old firing dead\n"
			       "5 quiet resolved dead");
	free(text);
	text = testdb_peek(db, "SELECT last_error FROM outbox WHERE id = 5");
	ck_assert_str_eq(text, "the sink is gone");
	free(text);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM told WHERE sink = 'new' AND dest = 'd2'"),
			 1);
}
END_TEST

START_TEST(test_two_sinks_swap_names_through_a_name_set_aside)
{
	struct store *st = open_db();
	char *err = NULL, *text, **keys = NULL;
	size_t nkeys = 0;

	put_told(st, "a", "a.example", "mx.missing", "a.example.", "a.example/mx.missing/a");
	queue(st, "a", "firing");
	queue(st, "b", "firing");
	ck_assert_int_eq(store_told_rename(st, "a", "\x01a", &err), 0);
	ck_assert_int_eq(store_told_move(st, "b", "a", "d1", &keys, &nkeys, &err), 0);
	free(keys);
	ck_assert_int_eq(store_told_move(st, "\x01a", "b", "d2", &keys, &nkeys, &err), 0);
	free(keys);
	store_close(st);
	text = outbox_lines();
	ck_assert_str_eq(text, "1 b firing pending\n2 a firing pending");
	free(text);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM told WHERE sink = 'b' AND dest = 'd2'"), 1);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM told WHERE sink != 'b'"), 0);
}
END_TEST

START_TEST(test_upgrade_keeps_incidents_and_marks_what_fires_as_told_before)
{
	struct store *st = open_db();
	struct snap *s = snap_with("c.example", "192.0.2.1");
	struct store_alert a = {
	    .rule = "mx.missing",
	    .subject = "c.example.",
	    .severity = SEV_CRITICAL,
	    .st = {.phase = ALERT_FIRING, .notified = true, .last_notified = 90},
	    .first_seen = 40,
	    .last_seen = 160,
	    .message = "m",
	    .evidence = "[]"};
	char *err = NULL, *key = NULL;

	/* A store of schema 5: an incident, two findings, one of them told, and the resolver's
	 * outage. */
	ck_assert_int_eq(store_put_check(st, s, NULL, 0, 10, &err), 0);
	ck_assert_int_eq(store_put_alert(st, "c.example", &a, &err), 0);
	a.rule = "spf.missing";
	a.st.notified = false;
	ck_assert_int_eq(store_put_alert(st, "c.example", &a, &err), 0);
	ck_assert_int_eq(store_set_meta(st, "resolver_unhealthy_since", 80, &err), 0);
	store_close(st);
	sql_exec("DROP TABLE told; CREATE TABLE incidents (sink TEXT NOT NULL, domain TEXT NOT "
		 "NULL, rule TEXT NOT NULL, subject TEXT NOT NULL, dedup_key TEXT NOT NULL, "
		 "opened_at INTEGER NOT NULL, PRIMARY KEY (sink, domain, rule, subject)); CREATE "
		 "INDEX incidents_by_key ON incidents(sink, dedup_key); INSERT INTO incidents "
		 "VALUES ('oncall', 'c.example', 'mx.missing', 'c.example.', "
		 "'mxwatch/firing/mxw_1', 90); PRAGMA user_version = 5");
	st = open_db();
	ck_assert_int_eq(
	    store_get_told(st, "oncall", "c.example", "mx.missing", "c.example.", &key, &err), 1);
	ck_assert_str_eq(key, "mxwatch/firing/mxw_1");
	free(key);
	ck_assert_int_eq(store_get_told(st, STORE_TOLD_BEFORE, "c.example", "mx.missing",
					"c.example.", &key, &err),
			 1);
	free(key);
	ck_assert_int_eq(store_get_told(st, STORE_TOLD_BEFORE, "c.example", "spf.missing",
					"c.example.", &key, &err),
			 0);
	ck_assert_int_eq(
	    store_get_told(st, STORE_TOLD_BEFORE, "", "resolver.unhealthy", "resolver", &key, &err),
	    1);
	ck_assert_str_eq(key, "/resolver.unhealthy/resolver");
	free(key);
	snap_free(s);
	store_close(st);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM sqlite_master WHERE name = 'incidents'"), 0);
}
END_TEST

START_TEST(test_finding_states_round_trip)
{
	struct store *st = open_db();
	struct snap *s = snap_with("c.example", "192.0.2.1");
	struct store_alert a = {.rule = "mx.missing",
				.subject = "c.example.",
				.severity = SEV_CRITICAL,
				.st = {.phase = ALERT_FIRING,
				       .failing = 3,
				       .history = 0x7,
				       .nhistory = 3,
				       .notified = true,
				       .since = 100,
				       .last_notified = 100},
				.first_seen = 40,
				.last_seen = 160,
				.message = "c.example. has no MX record",
				.evidence = "[\"c.example. MX nodata\"]",
				.labels = "{\"team\":\"mail\"}"};
	char *err = NULL, *text = xstrdup("");

	ck_assert_int_eq(store_put_check(st, s, NULL, 0, 10, &err), 0);
	ck_assert_int_eq(store_put_alert(st, "c.example", &a, &err), 0);
	a.rule = "dkim.missing";
	a.subject = "s1._domainkey.c.example.";
	a.st.phase = ALERT_PENDING;
	a.st.flapping = true;
	a.st.notified = false;
	ck_assert_int_eq(store_put_alert(st, "c.example", &a, &err), 0);
	/* An update keeps first_seen; labels not known are NULL, not "". */
	a.st.phase = ALERT_OK;
	a.labels = NULL;
	a.first_seen = 999;
	a.last_seen = 170;
	ck_assert_int_eq(store_put_alert(st, "c.example", &a, &err), 0);
	ck_assert_int_eq(store_get_alerts(st, "c.example", alert_line, &text, &err), 0);
	ck_assert_str_eq(text,
			 "dkim.missing s1._domainkey.c.example. critical ok 3/0 7/3 flapping "
			 "100 100 40 170 c.example. has no MX record [\"c.example. MX nodata\"] "
			 "-\n"
			 "mx.missing c.example. critical firing 3/0 7/3 notified 100 100 40 160 "
			 "c.example. has no MX record [\"c.example. MX nodata\"] "
			 "{\"team\":\"mail\"}\n");
	free(text);
	ck_assert_int_eq(store_del_alert(st, "c.example", "mx.missing", "c.example.", &err), 0);
	text = xstrdup("");
	ck_assert_int_eq(store_get_alerts(st, "other.example", alert_line, &text, &err), 0);
	ck_assert_int_eq(store_get_alerts(st, "c.example", alert_line, &text, &err), 0);
	ck_assert_ptr_nonnull(strstr(text, "dkim.missing"));
	ck_assert_ptr_null(strstr(text, "mx.missing"));
	free(text);
	snap_free(s);
	store_close(st);
}
END_TEST

/* Copies the head row's id and attempts. */
static void
head_of(const struct store_outbox *o, void *arg)
{
	char **text = arg;

	free(*text);
	*text = xasprintf("%lld %s %s %s %s %lld %d %lld", (long long)o->id, o->sink, o->dedup_key,
			  o->kind, o->payload, (long long)o->created_at, o->attempts,
			  (long long)o->next_attempt);
}

START_TEST(test_outbox_keeps_order_per_sink_and_counts_states)
{
	struct store *st = open_db();
	char *err = NULL, *text = NULL;
	int64_t id1, id2, id3, n;

	ck_assert_int_eq(store_outbox_add(st, "slack", "", "firing", "{\"a\":1}", 50, &id1, &err),
			 0);
	ck_assert_int_eq(store_outbox_add(st, "pd", "d/r/s", "firing", "{\"b\":1}", 51, NULL, &err),
			 0);
	ck_assert_int_eq(store_outbox_add(st, "slack", "", "resolved", "{\"a\":2}", 52, &id2, &err),
			 0);
	ck_assert_int_eq(store_outbox_add(st, "slack", "", "firing", "{\"a\":3}", 53, &id3, &err),
			 0);
	ck_assert_int_eq(store_outbox_head(st, "slack", head_of, &text, &err), 1);
	ck_assert_str_eq(text, "1 slack  firing {\"a\":1} 50 0 50");
	/* A failed attempt keeps it at the head: order is kept per sink. */
	ck_assert_int_eq(store_outbox_retry(st, id1, 1, 80, "HTTP 500", &err), 0);
	ck_assert_int_eq(store_outbox_head(st, "slack", head_of, &text, &err), 1);
	ck_assert_str_eq(text, "1 slack  firing {\"a\":1} 50 1 80");
	ck_assert_int_eq(store_outbox_done(st, id1, 81, &err), 0);
	ck_assert_int_eq(store_outbox_head(st, "slack", head_of, &text, &err), 1);
	ck_assert_str_eq(text, "3 slack  resolved {\"a\":2} 52 0 52");
	ck_assert_int_eq(store_outbox_dead(st, id2, 1, "HTTP 404", &err), 0);
	ck_assert_int_eq(store_outbox_head(st, "slack", head_of, &text, &err), 1);
	ck_assert_str_eq(text, "4 slack  firing {\"a\":3} 53 0 53");
	ck_assert_int_eq(store_outbox_head(st, "pd", head_of, &text, &err), 1);
	ck_assert_str_eq(text, "2 pd d/r/s firing {\"b\":1} 51 0 51");
	ck_assert_int_eq(store_outbox_done(st, id3, 90, &err), 0);
	ck_assert_int_eq(store_outbox_head(st, "slack", head_of, &text, &err), 0);
	ck_assert_int_eq(store_outbox_count(st, "slack", "done", &n, &err), 0);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(store_outbox_count(st, "slack", "dead", &n, &err), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(store_outbox_count(st, NULL, "pending", &n, &err), 0);
	ck_assert_int_eq(n, 1);
	free(text);
	store_close(st);
}
END_TEST

/* Checks that a second connection sees sql's first value as want. */
static void
assert_on_disk(const char *sql, const char *want)
{
	char *v = testdb_peek(db, sql);

	ck_assert_msg(v != NULL && strcmp(v, want) == 0, "%s: got %s, want %s", sql,
		      v ? v : "no row", want);
	free(v);
}

/* A batch owner's flush: queues the notification of its finding change, then commits. */
struct owner {
	struct store *st;
	int calls;
};

static void
owner_flush(void *arg)
{
	struct owner *o = arg;
	char *err = NULL;

	o->calls++;
	ck_assert_int_eq(
	    store_outbox_add(o->st, "slack", "", "firing", "{\"late\":1}", 60, NULL, &err), 0);
	ck_assert_int_eq(store_commit(o->st, &err), 0);
}

START_TEST(test_delivery_marks_commit_at_once_with_the_batch_completed_first)
{
	struct store *st = open_db();
	struct owner o = {.st = st};
	char *err = NULL;
	int64_t id1, id2, id3;

	ck_assert_int_eq(store_outbox_add(st, "slack", "", "firing", "{\"a\":1}", 50, &id1, &err),
			 0);
	ck_assert_int_eq(store_outbox_add(st, "slack", "", "firing", "{\"a\":2}", 50, &id2, &err),
			 0);
	ck_assert_int_eq(store_outbox_add(st, "slack", "", "firing", "{\"a\":3}", 50, &id3, &err),
			 0);
	store_set_flush(st, owner_flush, &o);
	/* A batch is open with a state change whose notification is not queued yet. */
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_eq(store_set_meta(st, "batch", 1, &err), 0);
	assert_on_disk("SELECT count(*) FROM meta", "0");
	/* The mark is on disk at once; the batch went first, with its notification. */
	ck_assert_int_eq(store_outbox_done(st, id1, 61, &err), 0);
	ck_assert_int_eq(o.calls, 1);
	assert_on_disk("SELECT state || ' ' || delivered_at FROM outbox WHERE id = 1", "done 61");
	assert_on_disk("SELECT value FROM meta WHERE key = 'batch'", "1");
	assert_on_disk("SELECT payload FROM outbox WHERE id = 4", "{\"late\":1}");
	/* Retry and dead marks too, each with a fresh batch open. */
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_eq(store_set_meta(st, "batch", 2, &err), 0);
	ck_assert_int_eq(store_outbox_retry(st, id2, 1, 90, "HTTP 500", &err), 0);
	ck_assert_int_eq(o.calls, 2);
	assert_on_disk("SELECT attempts || ' ' || next_attempt || ' ' || last_error FROM outbox "
		       "WHERE id = 2",
		       "1 90 HTTP 500");
	assert_on_disk("SELECT value FROM meta WHERE key = 'batch'", "2");
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_eq(store_outbox_dead(st, id3, 1, "HTTP 404", &err), 0);
	ck_assert_int_eq(o.calls, 3);
	assert_on_disk("SELECT state FROM outbox WHERE id = 3", "dead");
	assert_on_disk("SELECT count(*) FROM outbox WHERE payload = '{\"late\":1}'", "3");
	/* Outside a batch a mark does not call the owner. */
	ck_assert_int_eq(store_outbox_done(st, id2, 91, &err), 0);
	ck_assert_int_eq(o.calls, 3);
	assert_on_disk("SELECT state FROM outbox WHERE id = 2", "done");
	store_close(st);
}
END_TEST

START_TEST(test_delivery_mark_without_a_flush_commits_the_open_batch)
{
	struct store *st = open_db();
	char *err = NULL;
	int64_t id;

	ck_assert_int_eq(store_outbox_add(st, "slack", "", "firing", "{}", 50, &id, &err), 0);
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_eq(store_set_meta(st, "batch", 7, &err), 0);
	ck_assert_int_eq(store_outbox_done(st, id, 61, &err), 0);
	assert_on_disk("SELECT state FROM outbox WHERE id = 1", "done");
	assert_on_disk("SELECT value FROM meta WHERE key = 'batch'", "7");
	/* Nothing is left open: the next writes commit on their own again. */
	ck_assert_int_eq(store_set_meta(st, "after", 8, &err), 0);
	assert_on_disk("SELECT value FROM meta WHERE key = 'after'", "8");
	store_close(st);
}
END_TEST

START_TEST(test_unreadable_stored_snapshot_is_an_error_not_a_crash)
{
	struct store *st = open_db();
	struct snap *s = snap_with("example.com", "192.0.2.1"), *got = NULL;
	sqlite3 *h;
	char *err = NULL, *want;

	ck_assert_int_eq(store_put_check(st, s, NULL, 0, 1, &err), 0);
	ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
	ck_assert_int_eq(
	    sqlite3_exec(h, "UPDATE domains SET snapshot = '{\"domain\":1}'", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(h);
	ck_assert_int_eq(store_get_snapshot(st, "example.com", &got, &err), -1);
	want = xasprintf("%s: stored snapshot of example.com is unreadable: snapshot lacks its "
			 "domain or sets",
			 db);
	ck_assert_str_eq(err, want);
	ck_assert_ptr_null(got);
	free(want);
	free(err);
	snap_free(s);
	store_close(st);
}
END_TEST

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
	store_close(open_db());
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
	struct store *w = open_db(), *r;
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
	struct store *w = open_db(), *r;
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
store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("sqlite");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_new_database_gets_the_current_schema_in_wal_mode);
	tcase_add_test(tc, test_newer_schema_is_refused);
	tcase_add_test(tc, test_not_a_database_is_a_clear_error);
	tcase_add_test(tc, test_snapshot_round_trips_and_each_change_is_recorded);
	tcase_add_test(tc, test_history_lists_changes_with_before_and_after);
	tcase_add_test(tc, test_rolled_back_transaction_leaves_nothing);
	tcase_add_test(tc, test_domains_are_listed_with_schedule_and_change_counts);
	tcase_add_test(tc, test_unreadable_stored_snapshot_is_an_error_not_a_crash);
	tcase_add_test(tc, test_finding_states_round_trip);
	tcase_add_test(tc, test_meta_values);
	tcase_add_test(tc, test_told_key_is_left_without_alerts_when_its_last_one_closes);
	tcase_add_test(tc, test_moving_an_alert_to_another_key_tells_what_the_old_key_still_covers);
	tcase_add_test(tc, test_what_a_sink_was_told_moves_to_another_or_is_dropped);
	tcase_add_test(
	    tc, test_undelivered_notifications_move_with_what_a_sink_was_told_keeping_their_order);
	tcase_add_test(tc, test_two_sinks_swap_names_through_a_name_set_aside);
	tcase_add_test(tc, test_upgrade_keeps_incidents_and_marks_what_fires_as_told_before);
	tcase_add_test(tc, test_outbox_keeps_order_per_sink_and_counts_states);
	tcase_add_test(tc, test_delivery_marks_commit_at_once_with_the_batch_completed_first);
	tcase_add_test(tc, test_delivery_mark_without_a_flush_commits_the_open_batch);
	suite_add_tcase(s, tc);

	tc = tcase_create("readonly");
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
	SRunner *sr = srunner_create(store_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
