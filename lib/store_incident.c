/* The store's incidents table: which PagerDuty dedup key covers each told alert, per sink. */
#include "config.h"

#include <stdlib.h>

#include "store.h"
#include "store_int.h"
#include "xmalloc.h"

/* Prepares the statements. */
int
store_incident_prepare(struct store *st, char **errstr)
{
	return store_prepare(st,
			     "INSERT INTO incidents (sink, domain, rule, subject, dedup_key, "
			     "opened_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (sink, "
			     "domain, rule, subject) DO UPDATE SET dedup_key = ?5, opened_at = ?6",
			     &st->put_incident, errstr) ||
		       store_prepare(st,
				     "SELECT dedup_key FROM incidents WHERE sink = ?1 AND domain = "
				     "?2 AND rule = ?3 AND subject = ?4",
				     &st->get_incident, errstr) ||
		       store_prepare(st,
				     "DELETE FROM incidents WHERE sink = ?1 AND domain = ?2 AND "
				     "rule = ?3 AND subject = ?4",
				     &st->del_incident, errstr) ||
		       store_prepare(st,
				     "SELECT count(*) FROM incidents WHERE sink = ?1 AND "
				     "dedup_key = ?2",
				     &st->count_incident, errstr)
		   ? -1
		   : 0;
}

/* Frees the statements. */
void
store_incident_finalize(struct store *st)
{
	sqlite3_finalize(st->put_incident);
	sqlite3_finalize(st->get_incident);
	sqlite3_finalize(st->del_incident);
	sqlite3_finalize(st->count_incident);
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

/* Records which key covers an alert. */
int
store_put_incident(struct store *st, const char *sink, const char *domain, const char *rule,
		   const char *subject, const char *key, int64_t now, char **errstr)
{
	sqlite3_stmt *s = st->put_incident;

	bind_alert(s, sink, domain, rule, subject);
	sqlite3_bind_text(s, 5, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, now);
	return store_step_done(st, s, "recording an incident", errstr);
}

/* Reads which key covers an alert. */
int
store_get_incident(struct store *st, const char *sink, const char *domain, const char *rule,
		   const char *subject, char **key, char **errstr)
{
	sqlite3_stmt *s = st->get_incident;
	int rc;

	*key = NULL;
	bind_alert(s, sink, domain, rule, subject);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*key = xstrdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_db_fail(st, "reading an incident", errstr);
	return rc == SQLITE_ROW ? 1 : 0;
}

/* Forgets that an alert is covered; tells how many its key still covers. */
int
store_close_incident(struct store *st, const char *sink, const char *domain, const char *rule,
		     const char *subject, char **key, int64_t *left, char **errstr)
{
	sqlite3_stmt *s = st->count_incident;
	int found, rc;

	*left = 0;
	found = store_get_incident(st, sink, domain, rule, subject, key, errstr);
	if (found != 1)
		return found;
	bind_alert(st->del_incident, sink, domain, rule, subject);
	if (store_step_done(st, st->del_incident, "closing an incident", errstr) != 0)
		goto fail;
	sqlite3_bind_text(s, 1, sink, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, *key, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*left = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_ROW) {
		store_db_fail(st, "counting an incident's alerts", errstr);
		goto fail;
	}
	return 1;
fail:
	free(*key);
	*key = NULL;
	return -1;
}
