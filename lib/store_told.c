/* The store's told table: what each sink was told firing, and which dedup key covers it. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_int.h"
#include "xmalloc.h"

/* Prepares the statements. */
int
store_told_prepare(struct store *st, char **errstr)
{
	return store_prepare(st,
			     "INSERT INTO told (sink, domain, rule, subject, dedup_key, told_at, "
			     "dest) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (sink, "
			     "domain, rule, subject) DO UPDATE SET dedup_key = ?5, told_at = ?6, "
			     "dest = ?7",
			     &st->put_told, errstr) ||
		       store_prepare(st,
				     "SELECT dedup_key FROM told WHERE sink = ?1 AND domain = "
				     "?2 AND rule = ?3 AND subject = ?4",
				     &st->get_told, errstr) ||
		       store_prepare(st,
				     "DELETE FROM told WHERE sink = ?1 AND domain = ?2 AND "
				     "rule = ?3 AND subject = ?4",
				     &st->del_told, errstr) ||
		       store_prepare(st,
				     "SELECT count(*) FROM told WHERE sink = ?1 AND "
				     "dedup_key = ?2",
				     &st->count_told, errstr)
		   ? -1
		   : 0;
}

/* Frees the statements. */
void
store_told_finalize(struct store *st)
{
	sqlite3_finalize(st->put_told);
	sqlite3_finalize(st->get_told);
	sqlite3_finalize(st->del_told);
	sqlite3_finalize(st->count_told);
}

/* Binds (sink, domain, rule, subject) to ?1 to ?4. */
static void
bind_alert(sqlite3_stmt *s, const char *sink, const char *domain, const char *rule,
	   const char *subject)
{
	sqlite3_bind_text(s, 1, sink, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, domain, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, rule, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, subject, -1, SQLITE_STATIC);
}

/* Reads into *n how many alerts key covers at sink. */
static int
count_key(struct store *st, const char *sink, const char *key, int64_t *n, char **errstr)
{
	sqlite3_stmt *s = st->count_told;
	int rc;

	sqlite3_bind_text(s, 1, sink, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	*n = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_ROW)
		return store_db_fail(st, "counting the alerts a key covers", errstr);
	return 0;
}

/* Records that an alert was told under key. */
int
store_put_told(struct store *st, const char *sink, const char *dest, const char *domain,
	       const char *rule, const char *subject, const char *key, int64_t now, char **old,
	       int64_t *left, char **errstr)
{
	sqlite3_stmt *s = st->put_told;
	char *prev = NULL;

	*old = NULL;
	*left = 0;
	if (store_get_told(st, sink, domain, rule, subject, &prev, errstr) < 0)
		return -1;
	bind_alert(s, sink, domain, rule, subject);
	sqlite3_bind_text(s, 5, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, now);
	if (dest != NULL)
		sqlite3_bind_text(s, 7, dest, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 7);
	if (store_step_done(st, s, "recording what a sink was told", errstr) != 0)
		goto fail;
	if (prev != NULL && strcmp(prev, key) != 0) {
		if (count_key(st, sink, prev, left, errstr) != 0)
			goto fail;
		*old = prev;
		return 0;
	}
	free(prev);
	return 0;
fail:
	free(prev);
	return -1;
}

/* Reads which key covers an alert. */
int
store_get_told(struct store *st, const char *sink, const char *domain, const char *rule,
	       const char *subject, char **key, char **errstr)
{
	sqlite3_stmt *s = st->get_told;
	int rc;

	*key = NULL;
	bind_alert(s, sink, domain, rule, subject);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*key = xstrdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_db_fail(st, "reading what a sink was told", errstr);
	return rc == SQLITE_ROW ? 1 : 0;
}

/* Forgets that an alert was told; tells how many its key still covers. */
int
store_close_told(struct store *st, const char *sink, const char *domain, const char *rule,
		 const char *subject, char **key, int64_t *left, char **errstr)
{
	int found;

	*left = 0;
	found = store_get_told(st, sink, domain, rule, subject, key, errstr);
	if (found != 1)
		return found;
	bind_alert(st->del_told, sink, domain, rule, subject);
	if (store_step_done(st, st->del_told, "closing what a sink was told", errstr) != 0 ||
	    count_key(st, sink, *key, left, errstr) != 0) {
		free(*key);
		*key = NULL;
		return -1;
	}
	return 1;
}
