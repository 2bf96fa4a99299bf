/* Read-only access to the state store for mxwatch: opening without side effects, one
 * consistent read, and the summaries of `mxwatch status`. */
#include "config.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "store.h"
#include "store_int.h"
#include "store_query.h"
#include "xmalloc.h"

/* Reads PRAGMA user_version: 0 for a database without a schema yet. */
static int
read_version(struct store *st, int *v, char **errstr)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return store_db_fail(st, "reading the schema version", errstr);
	rc = sqlite3_step(s);
	*v = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return store_db_fail(st, "reading the schema version", errstr);
	return 0;
}

/* Opens the database (immutable or not) and reads its schema version into *v. */
static int
open_conn(struct store *st, const char *path, bool immutable, int busy_ms, int *v, char **errstr)
{
	char *uri = immutable ? store_readonly_uri(path, true) : NULL;
	int rc = sqlite3_open_v2(uri ? uri : path, &st->db,
				 SQLITE_OPEN_READONLY | (immutable ? SQLITE_OPEN_URI : 0), NULL);

	free(uri);
	if (rc != SQLITE_OK) {
		*errstr = xasprintf("%s: cannot open the state database: %s", path,
				    st->db ? sqlite3_errmsg(st->db) : "out of memory");
		return -1;
	}
	sqlite3_busy_timeout(st->db, busy_ms);
	sqlite3_extended_result_codes(st->db, 1);
	return read_version(st, v, errstr);
}

/* Opens the store read-only. */
int
store_open_readonly(const char *path, int busy_ms, struct store **out, char **errstr)
{
	struct store *st = xcalloc(1, sizeof(*st));
	char *wal = xasprintf("%s-wal", path);
	struct stat sb;
	int v, rc;

	st->path = xstrdup(path);
	rc = open_conn(st, path, false, busy_ms, &v, errstr);
	/* A WAL database needs its -shm file even to be read. A reader that may not create it
	 * (no write access to the directory) can still read the database when no -wal file
	 * exists: then mxwatchd is not running and everything it committed is in the file. */
	if (rc != 0 && st->db != NULL &&
	    ((sqlite3_errcode(st->db) & 0xff) == SQLITE_READONLY ||
	     (sqlite3_errcode(st->db) & 0xff) == SQLITE_CANTOPEN) &&
	    stat(path, &sb) == 0 && stat(wal, &sb) != 0 && errno == ENOENT) {
		sqlite3_close(st->db);
		st->db = NULL;
		free(*errstr);
		rc = open_conn(st, path, true, busy_ms, &v, errstr);
	}
	free(wal);
	if (rc != 0)
		goto fail;
	if (v == 0) {
		*errstr =
		    xasprintf("%s: no state yet: the database is empty (has mxwatchd run?)", path);
		goto fail;
	}
	if (v > STORE_SCHEMA_VERSION) {
		*errstr = xasprintf("%s: schema version %d is newer than this mxwatch knows (%d); "
				    "use a newer mxwatch",
				    path, v, STORE_SCHEMA_VERSION);
		goto fail;
	}
	if (v < STORE_SCHEMA_VERSION) {
		*errstr = xasprintf("%s: schema version %d is older than this mxwatch reads (%d); "
				    "mxwatchd upgrades it when it starts",
				    path, v, STORE_SCHEMA_VERSION);
		goto fail;
	}
	if (store_prepare(st, "SELECT d.snapshot FROM domains d WHERE d.name = ?1", &st->get_snap,
			  errstr) != 0 ||
	    store_alert_prepare(st, errstr) != 0)
		goto fail;
	*out = st;
	return 0;
fail:
	store_close(st);
	return -1;
}

/* Starts a read transaction. */
int
store_begin_read(struct store *st, char **errstr)
{
	if (sqlite3_exec(st->db, "BEGIN DEFERRED", NULL, NULL, NULL) != SQLITE_OK)
		return store_db_fail(st, "starting a read", errstr);
	st->in_tx = true;
	return 0;
}

/* Reads the summary of the domains. */
int
store_get_summary(struct store *st, struct store_summary *out, char **errstr)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db,
			       "SELECT count(*), count(NULLIF(last_check, 0)), "
			       "coalesce(max(last_check), 0) FROM domains",
			       -1, &s, NULL) != SQLITE_OK)
		return store_db_fail(st, "summing up the domains", errstr);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->domains = sqlite3_column_int64(s, 0);
		out->checked = sqlite3_column_int64(s, 1);
		out->last_check = sqlite3_column_int64(s, 2);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return store_db_fail(st, "summing up the domains", errstr);
	return 0;
}

/* Returns a text column, or NULL when it is NULL. */
static const char *
col_text_or_null(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

/* Lists the sinks whose notifications wait or were given up. */
int
store_each_sink_status(struct store *st, int (*fn)(const struct store_sink_status *s, void *arg),
		       void *arg, char **errstr)
{
	sqlite3_stmt *s;
	int rc;

	/* The oldest pending notification is the head of the sink's queue (sent in id order). */
	if (sqlite3_prepare_v2(
		st->db,
		"SELECT q.sink, q.pending, q.dead, h.created_at, h.attempts, h.next_attempt, "
		"h.last_error, d.last_error FROM (SELECT sink, "
		"sum(state = 'pending') AS pending, sum(state = 'dead') AS dead, "
		"min(CASE WHEN state = 'pending' THEN id END) AS head, "
		"max(CASE WHEN state = 'dead' THEN id END) AS last_dead "
		"FROM outbox WHERE state IN ('pending', 'dead') GROUP BY sink) q "
		"LEFT JOIN outbox h ON h.id = q.head LEFT JOIN outbox d ON d.id = q.last_dead "
		"ORDER BY q.sink",
		-1, &s, NULL) != SQLITE_OK)
		return store_db_fail(st, "reading the outbox", errstr);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_sink_status ss = {
		    .sink = (const char *)sqlite3_column_text(s, 0),
		    .pending = sqlite3_column_int64(s, 1),
		    .dead = sqlite3_column_int64(s, 2),
		    .oldest = sqlite3_column_int64(s, 3),
		    .attempts = sqlite3_column_int(s, 4),
		    .next_attempt = sqlite3_column_int64(s, 5),
		    .last_error = col_text_or_null(s, 6),
		    .dead_error = col_text_or_null(s, 7),
		};

		if (ss.sink == NULL)
			ss.sink = "";
		if (ss.pending == 0)
			ss.last_error = NULL;
		if (fn(&ss, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_db_fail(st, "reading the outbox", errstr);
	return 0;
}
