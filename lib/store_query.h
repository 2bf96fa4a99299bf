/*
 * Read-only access to the state store, for the command-line tool: opening a database that
 * mxwatchd may be writing at the same time without creating, migrating or locking anything,
 * one consistent read over several queries, and the summaries `mxwatch status` prints.
 * Every function returns 0 or -1 with *errstr (caller frees), unless it says otherwise.
 */
#ifndef MXW_STORE_QUERY_H
#define MXW_STORE_QUERY_H

#include <stdint.h>

#include "store.h"

/* Opens the database at path read-only, waiting at most busy_ms for a lock a writer holds.
 * No database is created: a missing file, an empty one (no schema yet), a schema older or
 * newer than this build's, or a file that is not a database is an error. (SQLite may leave
 * empty -wal and -shm files beside it, owned like the database.) A reader that may not
 * create them still reads the database while no -wal file exists (mxwatchd stopped). The
 * read functions of store.h work on it; its writes fail. Close it with store_close. */
int store_open_readonly(const char *path, int busy_ms, struct store **out, char **errstr);

/* Starts a read transaction: the reads until store_commit (or store_rollback) see one
 * state of the database, whatever writers commit meanwhile. */
int store_begin_read(struct store *st, char **errstr);

/* What the store holds of its domains. */
struct store_summary {
	int64_t domains;    /* domains known (checked or only scheduled) */
	int64_t checked;    /* domains checked at least once */
	int64_t last_check; /* when the latest check was stored (Unix time); 0: none */
};

/* Reads the summary of the domains into *out. */
int store_get_summary(struct store *st, struct store_summary *out, char **errstr);

/* The outbox of one sink, as far as it needs attention. Strings are borrowed for the call;
 * none holds a secret (errors are "HTTP 500" or a fixed transfer error text). */
struct store_sink_status {
	const char *sink;
	int64_t pending;	/* notifications waiting to be delivered */
	int64_t oldest;		/* when the oldest pending one was queued; 0: none pending */
	int attempts;		/* delivery attempts of the oldest pending one */
	int64_t next_attempt;	/* when it is tried next (Unix time); 0: none pending */
	const char *last_error; /* why its last attempt failed; NULL: never tried */
	int64_t dead;		/* notifications given up (permanent errors) */
	const char *dead_error; /* why the latest dead one was given up; NULL: none dead */
};

/* Calls fn for every sink with pending or dead notifications, in name order. fn returns 0
 * to go on. */
int store_each_sink_status(struct store *st,
			   int (*fn)(const struct store_sink_status *s, void *arg), void *arg,
			   char **errstr);

#endif
