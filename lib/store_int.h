/* What the store's files share: the handle and its statement helpers. */
#ifndef MXW_STORE_INT_H
#define MXW_STORE_INT_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

struct store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *get_snap, *upsert_domain, *put_snap, *add_change, *set_due;
	sqlite3_stmt *get_alerts, *put_alert, *del_alert;
	sqlite3_stmt *outbox_add, *outbox_head, *outbox_done, *outbox_retry, *outbox_dead;
	sqlite3_stmt *put_told, *get_told, *del_told, *count_told;
	bool in_tx;
	void (*flush)(void *arg); /* completes and commits the open transaction (its owner's) */
	void *flush_arg;
	bool flushing;
};

/* Sets *errstr from the database's last error, prefixed with what was being done; -1. */
int store_db_fail(struct store *st, const char *doing, char **errstr);

/* Returns the SQLite URI (for SQLITE_OPEN_URI) that opens the file path read-only, and
 * immutable when asked: no lock, no -wal or -shm file made. Caller frees. */
char *store_readonly_uri(const char *path, bool immutable);
/* Prepares a persistent statement. */
int store_prepare(struct store *st, const char *sql, sqlite3_stmt **s, char **errstr);
/* Runs a statement that returns no row, then resets it. */
int store_step_done(struct store *st, sqlite3_stmt *s, const char *doing, char **errstr);
/* Adds the domain row when missing (now is its added_at). */
int store_ensure_domain(struct store *st, const char *domain, int64_t now, char **errstr);
/* Prepares the statements of store_alert.c; frees them. */
int store_alert_prepare(struct store *st, char **errstr);
void store_alert_finalize(struct store *st);
/* Prepares the statements of store_told.c; frees them. */
int store_told_prepare(struct store *st, char **errstr);
void store_told_finalize(struct store *st);

#endif
