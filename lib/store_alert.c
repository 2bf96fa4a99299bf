/* The store's alerting tables: the lifecycle state of each finding, the outbox, the meta
 * values, and the domains whose baseline waits. */
#include "config.h"

#include <stdlib.h>

#include "store.h"
#include "store_int.h"

/* Prepares the statements. */
int
store_alert_prepare(struct store *st, char **errstr)
{
	return store_prepare(
		   st,
		   "SELECT f.rule, f.subject, f.severity, f.state, f.failing, f.passing, "
		   "f.history, "
		   "f.nhistory, f.flapping, f.notified, f.since, f.last_notified, f.first_seen, "
		   "f.last_seen, f.message, f.evidence, f.labels FROM findings f JOIN domains d ON "
		   "d.id = f.domain_id WHERE d.name = ?1 ORDER BY f.rule, f.subject",
		   &st->get_alerts, errstr) ||
		       store_prepare(
			   st,
			   "INSERT INTO findings (domain_id, rule, subject, severity, state, "
			   "failing, "
			   "passing, history, nhistory, flapping, notified, since, last_notified, "
			   "first_seen, last_seen, message, evidence, labels) SELECT id, ?2, ?3, "
			   "?4, ?5, ?6, ?7, "
			   "?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18 FROM domains WHERE "
			   "name "
			   "= ?1 "
			   "ON CONFLICT (domain_id, rule, subject) DO UPDATE SET severity = ?4, "
			   "state = ?5, "
			   "failing = ?6, passing = ?7, history = ?8, nhistory = ?9, flapping = "
			   "?10, "
			   "notified = ?11, since = ?12, last_notified = ?13, last_seen = ?15, "
			   "message = ?16, "
			   "evidence = ?17, labels = ?18",
			   &st->put_alert, errstr) ||
		       store_prepare(
			   st,
			   "DELETE FROM findings WHERE rule = ?2 AND subject = ?3 AND domain_id = "
			   "(SELECT id FROM domains WHERE name = ?1)",
			   &st->del_alert, errstr) ||
		       store_prepare(
			   st,
			   "INSERT INTO outbox (sink, dedup_key, kind, payload, created_at, "
			   "next_attempt) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
			   &st->outbox_add, errstr) ||
		       store_prepare(
			   st,
			   "SELECT id, sink, dedup_key, kind, payload, created_at, attempts, "
			   "next_attempt FROM outbox WHERE sink = ?1 AND state = 'pending' "
			   "ORDER BY id LIMIT 1",
			   &st->outbox_head, errstr) ||
		       store_prepare(st,
				     "UPDATE outbox SET state = 'done', attempts = attempts + 1, "
				     "delivered_at = ?2, last_error = NULL WHERE id = ?1",
				     &st->outbox_done, errstr) ||
		       store_prepare(
			   st,
			   "UPDATE outbox SET attempts = ?2, next_attempt = ?3, last_error = ?4 "
			   "WHERE id = ?1",
			   &st->outbox_retry, errstr) ||
		       store_prepare(
			   st,
			   "UPDATE outbox SET state = 'dead', attempts = ?2, last_error = ?3 "
			   "WHERE id = ?1",
			   &st->outbox_dead, errstr)
		   ? -1
		   : 0;
}

/* Frees the statements. */
void
store_alert_finalize(struct store *st)
{
	sqlite3_finalize(st->get_alerts);
	sqlite3_finalize(st->put_alert);
	sqlite3_finalize(st->del_alert);
	sqlite3_finalize(st->outbox_add);
	sqlite3_finalize(st->outbox_head);
	sqlite3_finalize(st->outbox_done);
	sqlite3_finalize(st->outbox_retry);
	sqlite3_finalize(st->outbox_dead);
}

/* Returns a text column, "" for NULL. */
static const char *
col_text(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t != NULL ? (const char *)t : "";
}

/* Lists the finding states of a domain. */
int
store_get_alerts(struct store *st, const char *domain,
		 int (*fn)(const struct store_alert *a, void *arg), void *arg, char **errstr)
{
	sqlite3_stmt *s = st->get_alerts;
	int rc;

	sqlite3_bind_text(s, 1, domain, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_alert a = {
		    .rule = col_text(s, 0),
		    .subject = col_text(s, 1),
		    .first_seen = sqlite3_column_int64(s, 12),
		    .last_seen = sqlite3_column_int64(s, 13),
		    .message = col_text(s, 14),
		    .evidence = col_text(s, 15),
		    .labels = sqlite3_column_type(s, 16) == SQLITE_NULL ? NULL : col_text(s, 16),
		};

		if (!severity_parse(col_text(s, 2), &a.severity))
			a.severity = SEV_WARNING;
		if (!alert_phase_parse(col_text(s, 3), &a.st.phase))
			a.st.phase = ALERT_OK;
		a.st.failing = (unsigned)sqlite3_column_int(s, 4);
		a.st.passing = (unsigned)sqlite3_column_int(s, 5);
		a.st.history = (uint32_t)sqlite3_column_int64(s, 6);
		a.st.nhistory = (unsigned)sqlite3_column_int(s, 7);
		a.st.flapping = sqlite3_column_int(s, 8) != 0;
		a.st.notified = sqlite3_column_int(s, 9) != 0;
		a.st.since = sqlite3_column_int64(s, 10);
		a.st.last_notified = sqlite3_column_int64(s, 11);
		if (a.st.nhistory > ALERT_HISTORY)
			a.st.nhistory = ALERT_HISTORY;
		if (fn(&a, arg) != 0)
			break;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_db_fail(st, "reading finding states", errstr);
	return 0;
}

/* Saves a finding state. */
int
store_put_alert(struct store *st, const char *domain, const struct store_alert *a, char **errstr)
{
	sqlite3_stmt *s = st->put_alert;

	if (store_ensure_domain(st, domain, a->first_seen, errstr) != 0)
		return -1;
	sqlite3_bind_text(s, 1, domain, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, a->rule, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, a->subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, severity_name(a->severity), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, alert_phase_name(a->st.phase), -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 6, (int)a->st.failing);
	sqlite3_bind_int(s, 7, (int)a->st.passing);
	sqlite3_bind_int64(s, 8, a->st.history);
	sqlite3_bind_int(s, 9, (int)a->st.nhistory);
	sqlite3_bind_int(s, 10, a->st.flapping);
	sqlite3_bind_int(s, 11, a->st.notified);
	sqlite3_bind_int64(s, 12, a->st.since);
	sqlite3_bind_int64(s, 13, a->st.last_notified);
	sqlite3_bind_int64(s, 14, a->first_seen);
	sqlite3_bind_int64(s, 15, a->last_seen);
	sqlite3_bind_text(s, 16, a->message ? a->message : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 17, a->evidence ? a->evidence : "[]", -1, SQLITE_STATIC);
	if (a->labels != NULL)
		sqlite3_bind_text(s, 18, a->labels, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 18);
	return store_step_done(st, s, "saving a finding state", errstr);
}

/* Forgets a finding state. */
int
store_del_alert(struct store *st, const char *domain, const char *rule, const char *subject,
		char **errstr)
{
	sqlite3_stmt *s = st->del_alert;

	sqlite3_bind_text(s, 1, domain, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, rule, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, subject, -1, SQLITE_STATIC);
	return store_step_done(st, s, "forgetting a finding state", errstr);
}

/* Queues a notification. */
int
store_outbox_add(struct store *st, const char *sink, const char *dedup_key, const char *kind,
		 const char *payload, int64_t now, int64_t *id, char **errstr)
{
	sqlite3_stmt *s = st->outbox_add;

	sqlite3_bind_text(s, 1, sink, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, dedup_key ? dedup_key : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, payload, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, now);
	if (store_step_done(st, s, "queueing a notification", errstr) != 0)
		return -1;
	if (id != NULL)
		*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

/* Reads the oldest pending notification of a sink. */
int
store_outbox_head(struct store *st, const char *sink,
		  void (*fn)(const struct store_outbox *o, void *arg), void *arg, char **errstr)
{
	sqlite3_stmt *s = st->outbox_head;
	int rc, found = 0;

	sqlite3_bind_text(s, 1, sink, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		struct store_outbox o = {
		    .id = sqlite3_column_int64(s, 0),
		    .sink = col_text(s, 1),
		    .dedup_key = col_text(s, 2),
		    .kind = col_text(s, 3),
		    .payload = col_text(s, 4),
		    .created_at = sqlite3_column_int64(s, 5),
		    .attempts = sqlite3_column_int(s, 6),
		    .next_attempt = sqlite3_column_int64(s, 7),
		};

		fn(&o, arg);
		found = 1;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_db_fail(st, "reading the outbox", errstr);
	return found;
}

/* Commits the open batch, completed by its owner, so that a delivery mark commits alone. */
static int
outbox_mark_alone(struct store *st, char **errstr)
{
	if (!st->in_tx)
		return 0;
	if (st->flush != NULL && !st->flushing) {
		st->flushing = true;
		st->flush(st->flush_arg);
		st->flushing = false;
	}
	return st->in_tx ? store_commit(st, errstr) : 0;
}

/* Marks a notification delivered. */
int
store_outbox_done(struct store *st, int64_t id, int64_t now, char **errstr)
{
	if (outbox_mark_alone(st, errstr) != 0)
		return -1;
	sqlite3_bind_int64(st->outbox_done, 1, id);
	sqlite3_bind_int64(st->outbox_done, 2, now);
	return store_step_done(st, st->outbox_done, "marking a notification delivered", errstr);
}

/* Records a failed attempt. */
int
store_outbox_retry(struct store *st, int64_t id, int attempts, int64_t next_attempt,
		   const char *error, char **errstr)
{
	if (outbox_mark_alone(st, errstr) != 0)
		return -1;
	sqlite3_bind_int64(st->outbox_retry, 1, id);
	sqlite3_bind_int(st->outbox_retry, 2, attempts);
	sqlite3_bind_int64(st->outbox_retry, 3, next_attempt);
	sqlite3_bind_text(st->outbox_retry, 4, error, -1, SQLITE_STATIC);
	return store_step_done(st, st->outbox_retry, "recording a failed delivery", errstr);
}

/* Gives a notification up. */
int
store_outbox_dead(struct store *st, int64_t id, int attempts, const char *error, char **errstr)
{
	if (outbox_mark_alone(st, errstr) != 0)
		return -1;
	sqlite3_bind_int64(st->outbox_dead, 1, id);
	sqlite3_bind_int(st->outbox_dead, 2, attempts);
	sqlite3_bind_text(st->outbox_dead, 3, error, -1, SQLITE_STATIC);
	return store_step_done(st, st->outbox_dead, "giving a notification up", errstr);
}

/* Counts notifications. */
int
store_outbox_count(struct store *st, const char *sink, const char *state, int64_t *n, char **errstr)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db,
			       "SELECT count(*) FROM outbox WHERE state = ?1 AND (?2 IS NULL OR "
			       "sink = ?2)",
			       -1, &s, NULL) != SQLITE_OK)
		return store_db_fail(st, "counting notifications", errstr);
	sqlite3_bind_text(s, 1, state, -1, SQLITE_STATIC);
	if (sink != NULL)
		sqlite3_bind_text(s, 2, sink, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	*n = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return store_db_fail(st, "counting notifications", errstr);
	return 0;
}

/* Counts the firing findings per rule and severity. */
int
store_count_firing(struct store *st,
		   int (*fn)(const char *rule, enum severity sev, int64_t n, void *arg), void *arg,
		   char **errstr)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db,
			       "SELECT rule, severity, count(*) FROM findings WHERE state = "
			       "'firing' GROUP BY rule, severity ORDER BY rule, severity",
			       -1, &s, NULL) != SQLITE_OK)
		return store_db_fail(st, "counting firing findings", errstr);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		enum severity sev;

		if (!severity_parse(col_text(s, 1), &sev))
			sev = SEV_WARNING; /* as store_get_alerts reads it */
		if (fn(col_text(s, 0), sev, sqlite3_column_int64(s, 2), arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_db_fail(st, "counting firing findings", errstr);
	return 0;
}

/* Lists the firing findings, most severe first. */
int
store_each_firing(struct store *st, size_t limit,
		  int (*fn)(const struct store_firing *f, void *arg), void *arg, char **errstr)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(
		st->db,
		"SELECT d.name, f.rule, f.severity, f.subject, f.since FROM findings "
		"f JOIN domains d ON d.id = f.domain_id WHERE f.state = 'firing' "
		"ORDER BY CASE f.severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 "
		"ELSE 2 END, d.name, f.rule, f.subject LIMIT ?1",
		-1, &s, NULL) != SQLITE_OK)
		return store_db_fail(st, "listing firing findings", errstr);
	sqlite3_bind_int64(s, 1, limit > 0 ? (int64_t)limit : -1);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_firing f = {
		    .domain = col_text(s, 0),
		    .rule = col_text(s, 1),
		    .subject = col_text(s, 3),
		    .since = sqlite3_column_int64(s, 4),
		};

		if (!severity_parse(col_text(s, 2), &f.severity))
			f.severity = SEV_WARNING;
		if (fn(&f, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_db_fail(st, "listing firing findings", errstr);
	return 0;
}

/* Reads a meta value. */
int
store_get_meta(struct store *st, const char *key, int64_t *value, char **errstr)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, "SELECT value FROM meta WHERE key = ?1", -1, &s, NULL) !=
	    SQLITE_OK)
		return store_db_fail(st, "reading a meta value", errstr);
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	*value = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_db_fail(st, "reading a meta value", errstr);
	return 0;
}

/* Stores a meta value. */
int
store_set_meta(struct store *st, const char *key, int64_t value, char **errstr)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db,
			       "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO "
			       "UPDATE SET value = ?2",
			       -1, &s, NULL) != SQLITE_OK)
		return store_db_fail(st, "storing a meta value", errstr);
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, value);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_db_fail(st, "storing a meta value", errstr);
	return 0;
}

/* Reads whether a domain's baseline waits. */
int
store_get_baseline_held(struct store *st, const char *domain, bool *held, char **errstr)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, "SELECT 1 FROM baseline_held WHERE domain = ?1", -1, &s,
			       NULL) != SQLITE_OK)
		return store_db_fail(st, "reading a held baseline", errstr);
	sqlite3_bind_text(s, 1, domain, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	*held = rc == SQLITE_ROW;
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_db_fail(st, "reading a held baseline", errstr);
	return 0;
}

/* Records whether a domain's baseline waits. */
int
store_set_baseline_held(struct store *st, const char *domain, bool held, int64_t now, char **errstr)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db,
			       held ? "INSERT INTO baseline_held (domain, since) VALUES (?1, ?2) "
				      "ON CONFLICT (domain) DO NOTHING"
				    : "DELETE FROM baseline_held WHERE domain = ?1",
			       -1, &s, NULL) != SQLITE_OK)
		return store_db_fail(st, "recording a held baseline", errstr);
	sqlite3_bind_text(s, 1, domain, -1, SQLITE_STATIC);
	if (held)
		sqlite3_bind_int64(s, 2, now);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_db_fail(st, "recording a held baseline", errstr);
	return 0;
}
