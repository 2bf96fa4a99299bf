/*
 * The state store (SQLite, WAL): domains with their latest snapshot and schedule, the
 * append-only change history, and the findings, outbox and told tables alerting fills.
 * The schema is created and upgraded by versioned migrations (PRAGMA user_version).
 * Every function returns 0 or -1 with *errstr (caller frees).
 */
#ifndef MXW_STORE_H
#define MXW_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "severity.h"
#include "snap.h"

struct store;

/* The schema version this build creates and reads. */
#define STORE_SCHEMA_VERSION 8

/* Opens (creating when missing) the database at path and migrates it to the current
 * schema. A database from a newer mxwatch is refused. */
int store_open(const char *path, struct store **out, char **errstr);
/* Opens a copy in memory of the database at path, for a run that must not write (a dry
 * run): the file is opened read-only and copied whole (sqlite3_backup), then the copy is
 * migrated to the current schema; the writes go to the copy and are lost when it is
 * closed. Nothing is created, locked or written beside path when it has no -wal file (no
 * mxwatchd has it open): it is read immutable. Beside a running mxwatchd it is read
 * with the -wal and -shm files there, so the copy has what mxwatchd committed. A missing
 * file, a file that is not a database and a newer schema are errors. */
int store_open_copy(const char *path, struct store **out, char **errstr);
/* Closes the database; NULL does nothing. */
void store_close(struct store *st);

/* Groups writes in one transaction. Every write outside one commits on its own. */
int store_begin(struct store *st, char **errstr);
int store_commit(struct store *st, char **errstr);
/* Abandons the open transaction, if any. */
void store_rollback(struct store *st);
/* Sets fn (NULL: none) as what completes and commits a transaction its owner keeps open
 * (a batch): a delivery mark (store_outbox_done, _retry, _dead) never waits in a batch,
 * it first calls fn(arg), then commits whatever is still open, then commits on its own.
 * The owner thus adds what the batch still lacks (the notifications of its finding
 * changes) before it commits. */
void store_set_flush(struct store *st, void (*fn)(void *arg), void *arg);

/* Loads the latest snapshot of domain: *out is NULL when it was never checked. */
int store_get_snapshot(struct store *st, const char *domain, struct snap **out, char **errstr);

/* Records one completed check of a domain at time now: its snapshot (replacing the
 * previous one) and its changes, appended to the history. */
int store_put_check(struct store *st, const struct snap *snap, const struct snap_change *changes,
		    size_t nchanges, int64_t now, char **errstr);

/* Sets when domain is next due (creating the domain row when needed). */
int store_set_next_due(struct store *st, const char *domain, int64_t due, char **errstr);

/* What the store knows of one domain. */
struct store_domain {
	const char *name;
	int64_t last_check; /* 0: never */
	int64_t next_due;   /* 0: not scheduled yet */
	int64_t nchanges;
};

/* Calls fn for every known domain, in name order. fn returns 0 to go on. */
int store_each_domain(struct store *st, int (*fn)(const struct store_domain *d, void *arg),
		      void *arg, char **errstr);

/* Reads what the store knows of one domain into *d (name borrowed from the argument) and
 * its latest snapshot text into *snapshot (caller frees; NULL when never checked). Returns
 * 1 when found, 0 when the store does not know domain, -1 on error. */
int store_get_domain(struct store *st, const char *domain, struct store_domain *d, char **snapshot,
		     char **errstr);

/* One entry of the change history. The strings are borrowed for the call. */
struct store_change {
	int64_t id;
	int64_t at;
	const char *domain;
	const char *name;
	const char *rrtype;
	const char *before; /* JSON of the set (snap_set_json) */
	const char *after;
};

/* Calls fn for the changes of domain, newest first, at most limit (0: all). */
int store_history(struct store *st, const char *domain, size_t limit,
		  int (*fn)(const struct store_change *c, void *arg), void *arg, char **errstr);

/* The lifecycle state of one finding of a domain. Strings are borrowed for the call. */
struct store_alert {
	const char *rule;
	const char *subject;
	enum severity severity;
	struct alert_state st;
	int64_t first_seen, last_seen;
	const char *message;
	const char *evidence; /* JSON array of strings */
	const char *labels;   /* JSON object: the domain's labels it was told with; NULL: unknown */
};

/* Calls fn for every finding state of domain, ordered by rule then subject. */
int store_get_alerts(struct store *st, const char *domain,
		     int (*fn)(const struct store_alert *a, void *arg), void *arg, char **errstr);
/* Inserts or replaces the state of (domain, a->rule, a->subject). */
int store_put_alert(struct store *st, const char *domain, const struct store_alert *a,
		    char **errstr);
/* Forgets the state of (domain, rule, subject). */
int store_del_alert(struct store *st, const char *domain, const char *rule, const char *subject,
		    char **errstr);

/* Calls fn with the number of firing findings of each (rule, severity) present, ordered by
 * rule then severity name. rule is borrowed for the call; fn returns 0 to go on. */
int store_count_firing(struct store *st,
		       int (*fn)(const char *rule, enum severity sev, int64_t n, void *arg),
		       void *arg, char **errstr);

/* One firing finding. Strings are borrowed for the call. */
struct store_firing {
	const char *domain;
	const char *rule;
	const char *subject;
	enum severity severity;
	int64_t since; /* firing since (Unix time) */
};

/* Calls fn for the firing findings, critical first, then by domain, rule and subject; at most
 * limit of them (0: all). fn returns 0 to go on. */
int store_each_firing(struct store *st, size_t limit,
		      int (*fn)(const struct store_firing *f, void *arg), void *arg, char **errstr);

/* What mxwatch told each sink firing, so that each resolve goes to exactly the sinks that
 * were told the fire, whatever their routing is now: per sink, each alert (domain, rule,
 * subject; domain "" for an alert of no domain) and the dedup key that covers it, its own
 * or (PagerDuty) a group's. A key covers one alert or several (a group or baseline digest);
 * it is resolved once the last alert it covers resolves. dest is a fingerprint of the sink's
 * destination (never the secret itself), so that what a renamed sink was told follows it.
 * Sink STORE_TOLD_BEFORE holds the alerts that fired before the store kept this (schema 6):
 * to which sinks is not known. */
#define STORE_TOLD_BEFORE ""
/* Records that key covers (domain, rule, subject) at sink (destination dest, may be NULL),
 * since now, replacing whatever covered it. When another key covered it, *old gets that key
 * (caller frees) and *left the alerts it still covers at sink; else *old is NULL, *left 0. */
int store_put_told(struct store *st, const char *sink, const char *dest, const char *domain,
		   const char *rule, const char *subject, const char *key, int64_t now, char **old,
		   int64_t *left, char **errstr);
/* Reads the key that covers (domain, rule, subject) at sink into *key (caller frees). Returns
 * 1 when there is one, 0 when none (*key NULL), -1 on error. */
int store_get_told(struct store *st, const char *sink, const char *domain, const char *rule,
		   const char *subject, char **key, char **errstr);
/* Forgets that (domain, rule, subject) was told to sink. Returns 1 when it was, with *key
 * the key that covered it (caller frees) and *left the alerts that key still covers at sink;
 * 0 when it was not (*key NULL, *left 0); -1 on error. */
int store_close_told(struct store *st, const char *sink, const char *domain, const char *rule,
		     const char *subject, char **key, int64_t *left, char **errstr);
/* Calls fn for each sink that was told alerts (not STORE_TOLD_BEFORE) or has notifications
 * not yet delivered (pending) in the outbox, in name order, with the fingerprint of its
 * destination (from the told table, else as the last flush recorded it with
 * store_set_sink_dests; NULL: not known), the number n
 * of alerts it was told and the number unsent of its undelivered notifications; the
 * strings are borrowed for the call; fn returns 0 to go on. */
int store_told_sinks(struct store *st,
		     int (*fn)(const char *sink, const char *dest, int64_t n, int64_t unsent,
			       void *arg),
		     void *arg, char **errstr);
/* Records dest as the destination of what sink was told. */
int store_told_set_dest(struct store *st, const char *sink, const char *dest, char **errstr);
/* Renames sink from to to (a name neither the told table nor the outbox uses) in the told
 * table and in the outbox's undelivered notifications, so that sinks can swap names. */
int store_told_rename(struct store *st, const char *from, const char *to, char **errstr);
/* Moves what sink from was told to sink to (destination dest), and its undelivered
 * notifications, which keep their ids (so their order among to's own). An alert told to
 * both keeps what to was told; *keys gets the nkeys keys of from that then cover nothing
 * (caller frees each and the array), to be resolved at to. Delivered and dead
 * notifications stay under from. */
int store_told_move(struct store *st, const char *from, const char *to, const char *dest,
		    char ***keys, size_t *nkeys, char **errstr);
/* Forgets what sink was told. */
int store_told_drop(struct store *st, const char *sink, char **errstr);
/* Gives up sink's undelivered notifications (marks them dead, as a permanent error does),
 * with error (no secret) as their last error. */
int store_told_give_up(struct store *st, const char *sink, const char *error, char **errstr);
/* Records the sinks of a flush: forgets the destinations recorded before, then records
 * dests[i] (a fingerprint, no secret) as the destination of sink names[i], for i < n. */
int store_set_sink_dests(struct store *st, const char *const *names, const char *const *dests,
			 size_t n, char **errstr);

/* Reads into *held whether the baseline of domain waits: its checks so far were all held
 * (store_set_baseline_held), so that its next check is its first again. */
int store_get_baseline_held(struct store *st, const char *domain, bool *held, char **errstr);
/* Records that the baseline of domain waits (held: since now, unless it already did), or
 * that it was taken (not held). */
int store_set_baseline_held(struct store *st, const char *domain, bool held, int64_t now,
			    char **errstr);

/* Reads the number stored under key into *value; 0 when none. */
int store_get_meta(struct store *st, const char *key, int64_t *value, char **errstr);
/* Stores a number under key. */
int store_set_meta(struct store *st, const char *key, int64_t value, char **errstr);

/* One notification waiting in the outbox. Strings are borrowed for the call. */
struct store_outbox {
	int64_t id;
	const char *sink;
	const char *dedup_key; /* may be "" */
	const char *kind;      /* "firing", "resolved", "baseline" */
	const char *payload;   /* the body, without secrets */
	int64_t created_at;
	int attempts;
	int64_t next_attempt;
};

/* Queues a notification for sink; *id (may be NULL) gets its row id. Commit it in the same
 * transaction as the finding states it reports. */
int store_outbox_add(struct store *st, const char *sink, const char *dedup_key, const char *kind,
		     const char *payload, int64_t now, int64_t *id, char **errstr);
/* Calls fn with the oldest pending notification of sink (due or not: order is kept per
 * sink); returns 1 when there was one, 0 when none, -1 on error. */
int store_outbox_head(struct store *st, const char *sink,
		      void (*fn)(const struct store_outbox *o, void *arg), void *arg,
		      char **errstr);
/* The three delivery marks below are each committed on their own before they return, also
 * when a batch is open (see store_set_flush): a crash right after a 2xx loses nothing. */
/* Marks a notification delivered (a 2xx). */
int store_outbox_done(struct store *st, int64_t id, int64_t now, char **errstr);
/* Records a failed attempt: tried again at next_attempt. error holds no secret. */
int store_outbox_retry(struct store *st, int64_t id, int attempts, int64_t next_attempt,
		       const char *error, char **errstr);
/* Gives a notification up (a permanent error): kept, counted, never sent again. */
int store_outbox_dead(struct store *st, int64_t id, int attempts, const char *error, char **errstr);
/* Counts the notifications of sink (NULL: all sinks) in state ("pending", "done", "dead"). */
int store_outbox_count(struct store *st, const char *sink, const char *state, int64_t *n,
		       char **errstr);

#endif
