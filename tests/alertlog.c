/*
 * alertlog: lines up what the test HTTP receiver got (its log, tests/httprecv.h) with the
 * outbox and the findings of a state database, for tests/alert-kill.test.
 *
 *   alertlog STATE LOG STARTS SINK=PATH[,SEVERITY][,LABEL=VALUE]...
 *
 * STARTS lists the log line numbers at which each run of the daemon began. A request is
 * matched to the rows of its sink by content: its body is a row's payload (a PagerDuty body
 * with the routing key added at send time), and a webhook-id header ("msg_<id>") must name
 * one of the rows with that payload. Rows with equal payloads (one alert resolved twice in
 * its life, say) cannot be told apart: they are counted together. A sink marks a row done
 * only after a 2xx and sends its rows in id order, one at a time; a run killed before its
 * marks were committed leaves the next run to send them again. Prints per sink
 *
 *   SINK rows=N requests=M answered=A duplicates=D interrupted=I replays=R
 *
 * (answered: requests answered 2xx; duplicates: 2xx answers beyond one per row;
 * interrupted: requests whose outcome the outbox never counted as an attempt, as the daemon
 * died first; replays: runs that began with a row an earlier run had already sent after a
 * later one), then one line per problem:
 *
 *   lost SINK ID         a row done that no 2xx answer accounts for (of rows with equal
 *                        payloads, the first is named, once for each one missing)
 *   foreign SINK LINE    a request (log line LINE) that is no row of the sink
 *   order SINK LINE      a request sent before an earlier row was ever sent, or, within one
 *                        run, after a later row (checked for rows with a payload of their own)
 *
 * Then, per sink, what its receiver last heard of each alert against the store at the end
 * (alerttold.h): the words after PATH are the sink's routing.
 *
 * Exits 0, or 2 when it cannot read its input.
 */
#include "config.h"

#include <inttypes.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerttold.h"
#include "xmalloc.h"

/* One outbox row of the sink; the counters are kept on the first row of its payload. */
struct row {
	int64_t id;
	json_t *payload;
	size_t same;	     /* the first row with an equal payload */
	size_t rows, done;   /* on the first: rows with this payload; of them, in state 'done' */
	long long attempts;  /* on the first: the attempts the outbox counted for them */
	size_t requests, ok; /* on the first: requests with this payload; of them, answered 2xx */
	bool sent;	     /* a request for it came */
};

struct sink {
	struct row *v;
	size_t n;
};

/* Reads a sink's outbox rows in id order; returns -1 on a database error. */
static int
load_rows(sqlite3 *db, const char *name, struct sink *s)
{
	sqlite3_stmt *q;
	int rc;

	if (sqlite3_prepare_v2(db,
			       "SELECT id, payload, state, attempts FROM outbox WHERE sink = ?1 "
			       "ORDER BY id",
			       -1, &q, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *text = (const char *)sqlite3_column_text(q, 1);
		struct row *r, *first;

		s->v = xreallocarray(s->v, s->n + 1, sizeof(*s->v));
		r = &s->v[s->n];
		memset(r, 0, sizeof(*r));
		r->id = sqlite3_column_int64(q, 0);
		r->payload = json_loads(text != NULL ? text : "", 0, NULL);
		r->same = s->n;
		for (size_t i = 0; i < s->n; i++)
			if (s->v[i].same == i && json_equal(s->v[i].payload, r->payload)) {
				r->same = i;
				break;
			}
		first = &s->v[r->same];
		first->rows++;
		first->done += strcmp((const char *)sqlite3_column_text(q, 2), "done") == 0;
		first->attempts += sqlite3_column_int(q, 3);
		s->n++;
	}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Returns the first row whose payload is body, or -1. */
static long
find_row(const struct sink *s, const json_t *body)
{
	for (size_t i = 0; body != NULL && i < s->n; i++)
		if (s->v[i].same == i && json_equal(s->v[i].payload, body))
			return (long)i;
	return -1;
}

/* Tells whether the webhook-id header hid, if any, names a row with the payload of row i. */
static bool
names_row(const struct sink *s, size_t i, const char *hid)
{
	long long id;

	if (hid == NULL)
		return true;
	if (sscanf(hid, "msg_%lld", &id) != 1)
		return false;
	for (size_t k = i; k < s->n; k++)
		if (s->v[k].id == id)
			return s->v[k].same == i;
	return false;
}

/* Reads the next number of the STARTS file, or returns 0 when there is none. */
static size_t
next_start(FILE *f)
{
	unsigned long n;

	return fscanf(f, "%lu", &n) == 1 ? (size_t)n : 0;
}

/* Matches one sink's requests in the log to its rows and prints what it found. */
static int
check_sink(sqlite3 *db, FILE *log, FILE *starts, const char *name, const char *path)
{
	struct sink s = {0};
	char *line = NULL;
	size_t cap = 0, lineno = 0, start, requests = 0, ok = 0, dups = 0, cut = 0;
	size_t replays = 0;
	long last = -1;	     /* the last row of its own payload sent in this run */
	long first_max = -1; /* the latest such row sent at all */
	bool fresh = false;
	int rc = 0;

	if (load_rows(db, name, &s) != 0) {
		fprintf(stderr, "alertlog: %s: %s\n", name, sqlite3_errmsg(db));
		return -1;
	}
	rewind(log);
	rewind(starts);
	start = next_start(starts);
	while (getline(&line, &cap, log) > 0) {
		json_t *req = json_loads(line, 0, NULL), *body = NULL;
		const char *p = json_string_value(json_object_get(req, "path"));
		const char *text = json_string_value(json_object_get(req, "body"));
		const char *answer = json_string_value(json_object_get(req, "answer"));
		const char *hid = json_string_value(
		    json_object_get(json_object_get(req, "headers"), "webhook-id"));
		long i = -1;

		for (lineno++; start != 0 && start <= lineno; start = next_start(starts))
			fresh = true;
		if (p == NULL) {
			fprintf(stderr, "alertlog: log line %zu is no request\n", lineno);
			rc = -1;
		} else if (strcmp(p, path) == 0) {
			requests++;
			if (text != NULL && (body = json_loads(text, 0, NULL)) != NULL)
				json_object_del(body, "routing_key"); /* added at send time */
			if ((i = find_row(&s, body)) < 0 || !names_row(&s, (size_t)i, hid)) {
				printf("foreign %s %zu\n", name, lineno);
				i = -1;
			}
		}
		if (i >= 0) {
			struct row *r = &s.v[i];

			r->requests++;
			if (answer != NULL && answer[0] == '2') {
				r->ok++;
				ok++;
			}
			if (r->rows == 1) {
				if (!r->sent) {
					if (i < first_max) /* after a later row's first */
						printf("order %s %zu\n", name, lineno);
					else
						first_max = i;
					r->sent = true;
				}
				if (i < last && !fresh)
					printf("order %s %zu\n", name, lineno);
				else if (i < last)
					replays++;
				last = i;
				fresh = false;
			}
		}
		json_decref(body);
		json_decref(req);
	}
	free(line);
	for (size_t i = 0; i < s.n; i++) {
		struct row *r = &s.v[i];

		for (size_t k = r->ok; k < r->done; k++)
			printf("lost %s %" PRId64 "\n", name, r->id);
		if (r->ok > r->rows)
			dups += r->ok - r->rows;
		if ((long long)r->requests > r->attempts)
			cut += (size_t)((long long)r->requests - r->attempts);
		json_decref(r->payload);
	}
	printf("%s rows=%zu requests=%zu answered=%zu duplicates=%zu interrupted=%zu replays=%zu\n",
	       name, s.n, requests, ok, dups, cut, replays);
	free(s.v);
	return rc;
}

int
main(int argc, char **argv)
{
	sqlite3 *db = NULL;
	FILE *log, *starts;
	int rc = 0;

	if (argc < 5) {
		fprintf(stderr,
			"usage: alertlog STATE LOG STARTS SINK=PATH[,SEVERITY][,LABEL=VALUE]...\n");
		return 2;
	}
	if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		fprintf(stderr, "alertlog: %s: %s\n", argv[1], sqlite3_errmsg(db));
		sqlite3_close(db);
		return 2;
	}
	sqlite3_busy_timeout(db, 5000);
	if ((log = fopen(argv[2], "r")) == NULL || (starts = fopen(argv[3], "r")) == NULL) {
		perror(log == NULL ? argv[2] : argv[3]);
		if (log != NULL)
			fclose(log);
		sqlite3_close(db);
		return 2;
	}
	for (int i = 4; i < argc && rc == 0; i++) {
		char *name = xstrdup(argv[i]), *path = strchr(name, '=');

		if (path == NULL) {
			fprintf(stderr, "alertlog: %s is not SINK=PATH\n", argv[i]);
			rc = -1;
		} else {
			char *words = strchr(++path, ',');

			path[-1] = '\0';
			if (words != NULL)
				*words++ = '\0';
			rc = check_sink(db, log, starts, name, path);
			if (rc == 0)
				rc = alerttold_check(db, log, name, path,
						     words != NULL ? words : "");
		}
		free(name);
	}
	fclose(starts);
	fclose(log);
	sqlite3_close(db);
	return rc == 0 ? 0 : 2;
}
