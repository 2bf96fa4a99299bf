/* The told table and the outbox per sink: which sinks they name, and moving or dropping what
 * a sink was told, and what it has not delivered yet, when the configuration renames or
 * removes it. */
#include "config.h"

#include <stdlib.h>

#include "store.h"
#include "store_int.h"
#include "xmalloc.h"

/* Lists the sinks the told table or the outbox's undelivered notifications name. */
int
store_told_sinks(struct store *st,
		 int (*fn)(const char *sink, const char *dest, int64_t n, int64_t unsent,
			   void *arg),
		 void *arg, char **errstr)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(
		st->db,
		"SELECT x.sink, coalesce(max(x.dest), (SELECT d.dest FROM sink_dests d "
		"WHERE d.sink = x.sink)), sum(x.told), sum(x.unsent) FROM (SELECT "
		"sink, dest, 1 AS told, 0 AS unsent FROM told WHERE sink != '' UNION "
		"ALL SELECT sink, NULL, 0, 1 FROM outbox WHERE state = 'pending') x "
		"GROUP BY x.sink ORDER BY x.sink",
		-1, &s, NULL) != SQLITE_OK)
		return store_db_fail(st, "listing the sinks told", errstr);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const unsigned char *dest = sqlite3_column_text(s, 1);

		if (fn((const char *)sqlite3_column_text(s, 0), (const char *)dest,
		       sqlite3_column_int64(s, 2), sqlite3_column_int64(s, 3), arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_db_fail(st, "listing the sinks told", errstr);
	return 0;
}

/* Runs one statement with up to three text parameters (NULL: none). */
static int
run(struct store *st, const char *sql, const char *p1, const char *p2, const char *p3,
    const char *doing, char **errstr)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return store_db_fail(st, doing, errstr);
	if (p1 != NULL)
		sqlite3_bind_text(s, 1, p1, -1, SQLITE_STATIC);
	if (p2 != NULL)
		sqlite3_bind_text(s, 2, p2, -1, SQLITE_STATIC);
	if (p3 != NULL)
		sqlite3_bind_text(s, 3, p3, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_db_fail(st, doing, errstr);
	return 0;
}

/* Sets the destination of what a sink was told. */
int
store_told_set_dest(struct store *st, const char *sink, const char *dest, char **errstr)
{
	return run(st, "UPDATE told SET dest = ?2 WHERE sink = ?1 AND dest IS NOT ?2", sink, dest,
		   NULL, "recording a sink's destination", errstr);
}

/* Moves a sink's undelivered notifications to another, in their order. */
static int
move_unsent(struct store *st, const char *from, const char *to, char **errstr)
{
	return run(st, "UPDATE outbox SET sink = ?2 WHERE sink = ?1 AND state = 'pending'", from,
		   to, NULL, "moving a sink's undelivered notifications", errstr);
}

/* Renames what a sink was told and its undelivered notifications. */
int
store_told_rename(struct store *st, const char *from, const char *to, char **errstr)
{
	if (run(st, "UPDATE told SET sink = ?2 WHERE sink = ?1", from, to, NULL,
		"renaming what a sink was told", errstr) != 0)
		return -1;
	return move_unsent(st, from, to, errstr);
}

/* Moves what a sink was told, and its undelivered notifications, to another. */
int
store_told_move(struct store *st, const char *from, const char *to, const char *dest, char ***keys,
		size_t *nkeys, char **errstr)
{
	sqlite3_stmt *s;
	int rc;

	*keys = NULL;
	*nkeys = 0;
	if (move_unsent(st, from, to, errstr) != 0 ||
	    run(st, "UPDATE OR IGNORE told SET sink = ?2, dest = ?3 WHERE sink = ?1", from, to,
		dest, "moving what a sink was told", errstr) != 0)
		return -1;
	/* What is left of from was told to both: to keeps its own. */
	if (sqlite3_prepare_v2(st->db,
			       "SELECT DISTINCT dedup_key FROM told WHERE sink = ?1 AND dedup_key "
			       "NOT IN (SELECT dedup_key FROM told WHERE sink = ?2) ORDER BY "
			       "dedup_key",
			       -1, &s, NULL) != SQLITE_OK)
		return store_db_fail(st, "moving what a sink was told", errstr);
	sqlite3_bind_text(s, 1, from, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, to, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*keys = xreallocarray(*keys, *nkeys + 1, sizeof(**keys));
		(*keys)[(*nkeys)++] = xstrdup((const char *)sqlite3_column_text(s, 0));
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE || store_told_drop(st, from, errstr) != 0) {
		if (rc != SQLITE_DONE)
			store_db_fail(st, "moving what a sink was told", errstr);
		for (size_t i = 0; i < *nkeys; i++)
			free((*keys)[i]);
		free(*keys);
		*keys = NULL;
		*nkeys = 0;
		return -1;
	}
	return 0;
}

/* Forgets what a sink was told. */
int
store_told_drop(struct store *st, const char *sink, char **errstr)
{
	return run(st, "DELETE FROM told WHERE sink = ?1", sink, NULL, NULL,
		   "forgetting what a sink was told", errstr);
}

/* Gives up a sink's undelivered notifications. */
int
store_told_give_up(struct store *st, const char *sink, const char *error, char **errstr)
{
	return run(st,
		   "UPDATE outbox SET state = 'dead', last_error = ?2 WHERE sink = ?1 AND state = "
		   "'pending'",
		   sink, error, NULL, "giving up a sink's undelivered notifications", errstr);
}

/* Records the sinks of a flush and their destinations. */
int
store_set_sink_dests(struct store *st, const char *const *names, const char *const *dests, size_t n,
		     char **errstr)
{
	if (run(st, "DELETE FROM sink_dests", NULL, NULL, NULL, "recording the sinks", errstr) != 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (run(st, "INSERT OR REPLACE INTO sink_dests (sink, dest) VALUES (?1, ?2)",
			names[i], dests[i], NULL, "recording the sinks", errstr) != 0)
			return -1;
	return 0;
}
