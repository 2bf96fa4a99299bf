#include "config.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "store_int.h"
#include "xmalloc.h"

/* The migrations: migrations[i] takes the schema from version i to i + 1. */
static const char *const migrations[] = {
    /* 1: domains and their latest state, the change history, findings, the outbox. */
    "CREATE TABLE domains ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  added_at INTEGER NOT NULL,"
    "  last_check INTEGER NOT NULL DEFAULT 0,"
    "  next_due INTEGER NOT NULL DEFAULT 0,"
    "  snapshot TEXT);"
    "CREATE TABLE changes ("
    "  id INTEGER PRIMARY KEY,"
    "  domain_id INTEGER NOT NULL REFERENCES domains(id),"
    "  at INTEGER NOT NULL,"
    "  name TEXT NOT NULL,"
    "  rrtype TEXT NOT NULL,"
    "  before TEXT NOT NULL,"
    "  after TEXT NOT NULL);"
    "CREATE INDEX changes_by_domain ON changes(domain_id, id);"
    "CREATE TABLE findings ("
    "  id INTEGER PRIMARY KEY,"
    "  domain_id INTEGER NOT NULL REFERENCES domains(id),"
    "  rule TEXT NOT NULL,"
    "  subject TEXT NOT NULL,"
    "  severity TEXT NOT NULL,"
    "  state TEXT NOT NULL,"
    "  failing INTEGER NOT NULL DEFAULT 0,"
    "  passing INTEGER NOT NULL DEFAULT 0,"
    "  first_seen INTEGER NOT NULL,"
    "  last_seen INTEGER NOT NULL,"
    "  last_notified INTEGER NOT NULL DEFAULT 0,"
    "  message TEXT NOT NULL,"
    "  evidence TEXT NOT NULL,"
    "  UNIQUE (domain_id, rule, subject));"
    "CREATE TABLE outbox ("
    "  id INTEGER PRIMARY KEY,"
    "  sink TEXT NOT NULL,"
    "  dedup_key TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  payload TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_attempt INTEGER NOT NULL,"
    "  state TEXT NOT NULL DEFAULT 'pending',"
    "  last_error TEXT);"
    "CREATE INDEX outbox_due ON outbox(state, next_attempt);",
    /* 2: the alert lifecycle's state per finding; outbox delivery order per sink. */
    "ALTER TABLE findings ADD COLUMN history INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE findings ADD COLUMN nhistory INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE findings ADD COLUMN flapping INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE findings ADD COLUMN notified INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE findings ADD COLUMN since INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE outbox ADD COLUMN delivered_at INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX outbox_by_sink ON outbox(sink, state, id);",
    /* 3: small facts of the daemon itself (the resolver's health) that survive a restart. */
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);",
    /* 4: which PagerDuty incident (dedup key) covers each told alert, per sink. */
    "CREATE TABLE incidents ("
    "  sink TEXT NOT NULL,"
    "  domain TEXT NOT NULL,"
    "  rule TEXT NOT NULL,"
    "  subject TEXT NOT NULL,"
    "  dedup_key TEXT NOT NULL,"
    "  opened_at INTEGER NOT NULL,"
    "  PRIMARY KEY (sink, domain, rule, subject));"
    "CREATE INDEX incidents_by_key ON incidents(sink, dedup_key);",
    /* 5: the labels each finding was told with, so that its resolve reaches the same sinks
     * (NULL: not known, a row of before). */
    "ALTER TABLE findings ADD COLUMN labels TEXT;",
    /* 6: what each sink was told firing (the incidents of 4, for every sink), with a
     * fingerprint of the sink's destination (dest; NULL: not known), so that a resolve goes
     * to the sinks told the fire, also once renamed. Sink '' marks what was told before:
     * the alerts firing now (and the resolver's outage, told under its key of before,
     * "/resolver.unhealthy/resolver"), whose sinks are not known. */
    "CREATE TABLE told ("
    "  sink TEXT NOT NULL,"
    "  domain TEXT NOT NULL,"
    "  rule TEXT NOT NULL,"
    "  subject TEXT NOT NULL,"
    "  dedup_key TEXT NOT NULL,"
    "  told_at INTEGER NOT NULL,"
    "  dest TEXT,"
    "  PRIMARY KEY (sink, domain, rule, subject));"
    "CREATE INDEX told_by_key ON told(sink, dedup_key);"
    "INSERT INTO told (sink, domain, rule, subject, dedup_key, told_at) "
    "  SELECT sink, domain, rule, subject, dedup_key, opened_at FROM incidents;"
    "DROP TABLE incidents;"
    "INSERT INTO told (sink, domain, rule, subject, dedup_key, told_at) "
    "  SELECT '', d.name, f.rule, f.subject, '', f.last_notified FROM findings f "
    "  JOIN domains d ON d.id = f.domain_id WHERE f.notified != 0;"
    "INSERT INTO told (sink, domain, rule, subject, dedup_key, told_at) "
    "  SELECT '', '', 'resolver.unhealthy', 'resolver', '/resolver.unhealthy/resolver', "
    "  value FROM meta WHERE key = 'resolver_unhealthy_since' AND value > 0;",
    /* 7: the domains whose baseline waits: every check of theirs so far was held (an
     * outage), so that the next one that is not is taken as their first. IF NOT EXISTS: a
     * store made older by hand (tests) may have it. */
    "CREATE TABLE IF NOT EXISTS baseline_held ("
    "  domain TEXT PRIMARY KEY,"
    "  since INTEGER NOT NULL);",
    /* 8: the destination (fingerprint) of each sink of the last flush, so that a renamed
     * sink's undelivered notifications follow it even when the told table has nothing of
     * it (a pending resolve, a change). The next flush records them (told_sinks goes). */
    "CREATE TABLE IF NOT EXISTS sink_dests ("
    "  sink TEXT PRIMARY KEY,"
    "  dest TEXT NOT NULL);"
    "DELETE FROM meta WHERE key = 'told_sinks';",
};

/* Sets *errstr from the database's last error, prefixed with what was being done. */
int
store_db_fail(struct store *st, const char *doing, char **errstr)
{
	*errstr = xasprintf("%s: %s: %s", st->path, doing, sqlite3_errmsg(st->db));
	return -1;
}

/* Runs SQL without results. */
static int
exec_sql(struct store *st, const char *sql, const char *doing, char **errstr)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		*errstr = xasprintf("%s: %s: %s", st->path, doing, msg ? msg : "unknown error");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* Reads PRAGMA user_version. */
static int
schema_version(struct store *st, int *v, char **errstr)
{
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return store_db_fail(st, "reading the schema version", errstr);
	*v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
	sqlite3_finalize(s);
	return 0;
}

/* Brings the schema to STORE_SCHEMA_VERSION, each step in its own transaction. */
static int
migrate(struct store *st, char **errstr)
{
	int v;

	if (schema_version(st, &v, errstr) != 0)
		return -1;
	if (v > STORE_SCHEMA_VERSION) {
		*errstr = xasprintf("%s: schema version %d is newer than this mxwatch knows (%d); "
				    "use a newer mxwatch",
				    st->path, v, STORE_SCHEMA_VERSION);
		return -1;
	}
	for (; v < STORE_SCHEMA_VERSION; v++) {
		char *sql = xasprintf("BEGIN IMMEDIATE; %s PRAGMA user_version = %d; COMMIT;",
				      migrations[v], v + 1);
		int rc = exec_sql(st, sql, "migrating the schema", errstr);

		free(sql);
		if (rc != 0) {
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
	}
	return 0;
}

/* Prepares one statement. */
int
store_prepare(struct store *st, const char *sql, sqlite3_stmt **s, char **errstr)
{
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, s, NULL) != SQLITE_OK)
		return store_db_fail(st, "preparing a statement", errstr);
	return 0;
}

/* Sets up an open connection: pragmas, the schema brought to the current version, the
 * statements. */
static int
store_setup(struct store *st, char **errstr)
{
	sqlite3_busy_timeout(st->db, 5000);
	sqlite3_extended_result_codes(st->db, 1);
	if (exec_sql(st,
		     "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
		     "PRAGMA foreign_keys = ON;",
		     "setting up the database", errstr) != 0 ||
	    migrate(st, errstr) != 0 ||
	    store_prepare(st, "SELECT d.snapshot FROM domains d WHERE d.name = ?1", &st->get_snap,
			  errstr) != 0 ||
	    store_prepare(st,
			  "INSERT INTO domains (name, added_at) VALUES (?1, ?2) "
			  "ON CONFLICT (name) DO NOTHING",
			  &st->upsert_domain, errstr) != 0 ||
	    store_prepare(st, "UPDATE domains SET snapshot = ?2, last_check = ?3 WHERE name = ?1",
			  &st->put_snap, errstr) != 0 ||
	    store_prepare(st,
			  "INSERT INTO changes (domain_id, at, name, rrtype, before, after) "
			  "SELECT id, ?2, ?3, ?4, ?5, ?6 FROM domains WHERE name = ?1",
			  &st->add_change, errstr) != 0 ||
	    store_prepare(st, "UPDATE domains SET next_due = ?2 WHERE name = ?1", &st->set_due,
			  errstr) != 0 ||
	    store_alert_prepare(st, errstr) != 0 || store_told_prepare(st, errstr) != 0)
		return -1;
	return 0;
}

/* Opens the store. */
int
store_open(const char *path, struct store **out, char **errstr)
{
	struct store *st = xcalloc(1, sizeof(*st));

	st->path = xstrdup(path);
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		*errstr = xasprintf("%s: cannot open the state database: %s", path,
				    st->db ? sqlite3_errmsg(st->db) : "out of memory");
		store_close(st);
		return -1;
	}
	if (store_setup(st, errstr) != 0) {
		store_close(st);
		return -1;
	}
	*out = st;
	return 0;
}

/* Tells whether a file beside path, path with suffix, exists. */
static bool
beside_exists(const char *path, const char *suffix)
{
	char *p = xasprintf("%s%s", path, suffix);
	bool yes = access(p, F_OK) == 0;

	free(p);
	return yes;
}

/* Makes the SQLite URI that opens path read-only; immutable (no lock, no -wal or -shm made)
 * when asked. Caller frees. */
char *
store_readonly_uri(const char *path, bool immutable)
{
	char *uri = xmalloc(3 * strlen(path) + sizeof("file:?mode=ro&immutable=1"));
	size_t n = (size_t)sprintf(uri, "file:");

	for (const char *p = path; *p != '\0'; p++) {
		if (*p == '%' || *p == '?' || *p == '#')
			n += (size_t)sprintf(uri + n, "%%%02x", (unsigned char)*p);
		else
			uri[n++] = *p;
	}
	strcpy(uri + n, immutable ? "?mode=ro&immutable=1" : "?mode=ro");
	return uri;
}

/* Copies the database at path, opened read-only, into the empty database dst. */
static int
copy_database(const char *path, sqlite3 *dst, char **errstr)
{
	/* Without a -wal (or -journal) file everything committed is in the file itself (no
	 * mxwatchd has it open): it is read immutable, which creates no -wal or -shm file
	 * beside it. Else it is read as SQLite reads a WAL database, with the files there. */
	bool immutable = !beside_exists(path, "-wal") && !beside_exists(path, "-journal");
	char *uri = store_readonly_uri(path, immutable);
	sqlite3 *src = NULL;
	sqlite3_backup *b;
	int rc = sqlite3_open_v2(uri, &src, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);

	free(uri);
	if (rc != SQLITE_OK) {
		*errstr = xasprintf("%s: cannot open the state database: %s", path,
				    src != NULL ? sqlite3_errmsg(src) : "out of memory");
		sqlite3_close(src);
		return -1;
	}
	sqlite3_busy_timeout(src, 5000);
	if ((b = sqlite3_backup_init(dst, "main", src, "main")) == NULL) {
		*errstr =
		    xasprintf("%s: cannot copy the state database: %s", path, sqlite3_errmsg(dst));
	} else {
		rc = sqlite3_backup_step(b, -1);
		sqlite3_backup_finish(b);
		if (rc != SQLITE_DONE)
			*errstr = xasprintf("%s: cannot read the state database: %s", path,
					    sqlite3_errstr(rc));
	}
	sqlite3_close(src);
	return b != NULL && rc == SQLITE_DONE ? 0 : -1;
}

/* Opens an in-memory copy of the store. */
int
store_open_copy(const char *path, struct store **out, char **errstr)
{
	struct store *st = xcalloc(1, sizeof(*st));

	st->path = xstrdup(path);
	if (sqlite3_open_v2(":memory:", &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
			    NULL) != SQLITE_OK) {
		*errstr = xasprintf("%s: cannot open a database in memory: %s", path,
				    st->db ? sqlite3_errmsg(st->db) : "out of memory");
		store_close(st);
		return -1;
	}
	if (copy_database(path, st->db, errstr) != 0 || store_setup(st, errstr) != 0) {
		store_close(st);
		return -1;
	}
	*out = st;
	return 0;
}

/* Closes the store. */
void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	if (st->in_tx)
		store_rollback(st);
	sqlite3_finalize(st->get_snap);
	sqlite3_finalize(st->upsert_domain);
	sqlite3_finalize(st->put_snap);
	sqlite3_finalize(st->add_change);
	sqlite3_finalize(st->set_due);
	store_alert_finalize(st);
	store_told_finalize(st);
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}

/* Starts a transaction. */
int
store_begin(struct store *st, char **errstr)
{
	if (exec_sql(st, "BEGIN IMMEDIATE", "starting a transaction", errstr) != 0)
		return -1;
	st->in_tx = true;
	return 0;
}

/* Commits the open transaction. */
int
store_commit(struct store *st, char **errstr)
{
	if (exec_sql(st, "COMMIT", "committing", errstr) != 0) {
		store_rollback(st);
		return -1;
	}
	st->in_tx = false;
	return 0;
}

/* Rolls the open transaction back. */
void
store_rollback(struct store *st)
{
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	st->in_tx = false;
}

/* Sets what completes a batch before a delivery mark. */
void
store_set_flush(struct store *st, void (*fn)(void *arg), void *arg)
{
	st->flush = fn;
	st->flush_arg = arg;
}

/* Runs a prepared statement that returns no rows, then resets it. */
int
store_step_done(struct store *st, sqlite3_stmt *s, const char *doing, char **errstr)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE)
		return store_db_fail(st, doing, errstr);
	return 0;
}

/* Loads a domain's latest snapshot. */
int
store_get_snapshot(struct store *st, const char *domain, struct snap **out, char **errstr)
{
	int rc;

	*out = NULL;
	sqlite3_bind_text(st->get_snap, 1, domain, -1, SQLITE_STATIC);
	rc = sqlite3_step(st->get_snap);
	if (rc == SQLITE_ROW && sqlite3_column_type(st->get_snap, 0) == SQLITE_TEXT) {
		char *err = NULL;

		if (snap_load((const char *)sqlite3_column_text(st->get_snap, 0), out, &err) != 0) {
			*errstr = xasprintf("%s: stored snapshot of %s is unreadable: %s", st->path,
					    domain, err);
			free(err);
			rc = SQLITE_ERROR;
		} else {
			rc = SQLITE_DONE;
		}
	} else if (rc == SQLITE_ROW) {
		rc = SQLITE_DONE;
	} else if (rc != SQLITE_DONE) {
		store_db_fail(st, "reading a snapshot", errstr);
	}
	sqlite3_reset(st->get_snap);
	sqlite3_clear_bindings(st->get_snap);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Makes sure a domain has its row. */
int
store_ensure_domain(struct store *st, const char *domain, int64_t now, char **errstr)
{
	sqlite3_bind_text(st->upsert_domain, 1, domain, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st->upsert_domain, 2, now);
	return store_step_done(st, st->upsert_domain, "adding a domain", errstr);
}

/* Dumps a set as JSON text; caller frees. */
static char *
set_text(const struct snap_set *set)
{
	json_t *o = snap_set_json(set);
	char *t = json_dumps(o, JSON_COMPACT);

	json_decref(o);
	return t;
}

/* Records a completed check. */
int
store_put_check(struct store *st, const struct snap *snap, const struct snap_change *changes,
		size_t nchanges, int64_t now, char **errstr)
{
	char *text, tb[16];

	if (store_ensure_domain(st, snap->domain, now, errstr) != 0)
		return -1;
	text = snap_dump(snap);
	sqlite3_bind_text(st->put_snap, 1, snap->domain, -1, SQLITE_STATIC);
	sqlite3_bind_text(st->put_snap, 2, text, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st->put_snap, 3, now);
	free(text);
	if (store_step_done(st, st->put_snap, "saving a snapshot", errstr) != 0)
		return -1;
	for (size_t i = 0; i < nchanges; i++) {
		char *before = set_text(changes[i].before), *after = set_text(changes[i].after);
		sqlite3_stmt *s = st->add_change;

		sqlite3_bind_text(s, 1, snap->domain, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, now);
		sqlite3_bind_text(s, 3, changes[i].after->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, dns_type_name(changes[i].after->type, tb, sizeof(tb)), -1,
				  SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 5, before, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 6, after, -1, SQLITE_TRANSIENT);
		free(before);
		free(after);
		if (store_step_done(st, s, "recording a change", errstr) != 0)
			return -1;
	}
	return 0;
}

/* Sets when a domain is next due. */
int
store_set_next_due(struct store *st, const char *domain, int64_t due, char **errstr)
{
	if (store_ensure_domain(st, domain, due, errstr) != 0)
		return -1;
	sqlite3_bind_text(st->set_due, 1, domain, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st->set_due, 2, due);
	return store_step_done(st, st->set_due, "scheduling a domain", errstr);
}

/* Lists the domains. */
int
store_each_domain(struct store *st, int (*fn)(const struct store_domain *d, void *arg), void *arg,
		  char **errstr)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db,
			       "SELECT d.name, d.last_check, d.next_due, "
			       "(SELECT count(*) FROM changes c WHERE c.domain_id = d.id) "
			       "FROM domains d ORDER BY d.name",
			       -1, &s, NULL) != SQLITE_OK)
		return store_db_fail(st, "listing domains", errstr);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_domain d = {
		    .name = (const char *)sqlite3_column_text(s, 0),
		    .last_check = sqlite3_column_int64(s, 1),
		    .next_due = sqlite3_column_int64(s, 2),
		    .nchanges = sqlite3_column_int64(s, 3),
		};

		if (fn(&d, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_db_fail(st, "listing domains", errstr);
	return 0;
}

/* Reads one domain. */
int
store_get_domain(struct store *st, const char *domain, struct store_domain *d, char **snapshot,
		 char **errstr)
{
	sqlite3_stmt *s;
	int rc, found = 0;

	*snapshot = NULL;
	if (sqlite3_prepare_v2(st->db,
			       "SELECT d.last_check, d.next_due, d.snapshot, "
			       "(SELECT count(*) FROM changes c WHERE c.domain_id = d.id) "
			       "FROM domains d WHERE d.name = ?1",
			       -1, &s, NULL) != SQLITE_OK)
		return store_db_fail(st, "reading a domain", errstr);
	sqlite3_bind_text(s, 1, domain, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		found = 1;
		d->name = domain;
		d->last_check = sqlite3_column_int64(s, 0);
		d->next_due = sqlite3_column_int64(s, 1);
		if (sqlite3_column_type(s, 2) == SQLITE_TEXT)
			*snapshot = xstrdup((const char *)sqlite3_column_text(s, 2));
		d->nchanges = sqlite3_column_int64(s, 3);
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_db_fail(st, "reading a domain", errstr);
	return found;
}

/* Lists a domain's changes, newest first. */
int
store_history(struct store *st, const char *domain, size_t limit,
	      int (*fn)(const struct store_change *c, void *arg), void *arg, char **errstr)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db,
			       "SELECT c.id, c.at, d.name, c.name, c.rrtype, c.before, c.after "
			       "FROM changes c JOIN domains d ON d.id = c.domain_id "
			       "WHERE d.name = ?1 ORDER BY c.id DESC LIMIT ?2",
			       -1, &s, NULL) != SQLITE_OK)
		return store_db_fail(st, "reading the history", errstr);
	sqlite3_bind_text(s, 1, domain, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, limit ? (int64_t)limit : -1);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_change c = {
		    .id = sqlite3_column_int64(s, 0),
		    .at = sqlite3_column_int64(s, 1),
		    .domain = (const char *)sqlite3_column_text(s, 2),
		    .name = (const char *)sqlite3_column_text(s, 3),
		    .rrtype = (const char *)sqlite3_column_text(s, 4),
		    .before = (const char *)sqlite3_column_text(s, 5),
		    .after = (const char *)sqlite3_column_text(s, 6),
		};

		if (fn(&c, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_db_fail(st, "reading the history", errstr);
	return 0;
}
