/*
 * Test harness: a real HTTP receiver (libevent evhttp) on 127.0.0.1 and a free port, standing
 * in for Slack, PagerDuty and webhook endpoints. It records every request as one JSON line
 * in a log file, flushed before it answers:
 *
 *   {"method":"POST","path":"/hook?x=1","headers":{"content-type":"application/json",...},
 *    "body":"...","answer":"200"}
 *
 * "path" is the request target as sent (with the query); "headers" holds those of
 * content-type, user-agent, webhook-id, webhook-timestamp and webhook-signature that came
 * (names in lower case); "body" is the body when it is UTF-8, else "body_hex" holds it in
 * hex; "answer" is the plan action taken.
 *
 * How it answers comes from a plan file, read again at every request (so a test may
 * rewrite it mid-run; write a new file and rename it over the old one). Each line is
 *
 *   PATH-PREFIX ACTION...      or      * ACTION...
 *
 * The first line whose prefix starts the request path ("*" matches any) decides. Its
 * actions are used in order, one per request, and the last one repeats; a line whose text
 * changes starts again from its first action. Blank lines and lines starting with '#' are
 * ignored. Without a plan (or with no line matching) every request gets 200. Actions:
 *
 *   200, 202, 404, 500, any status 200-599   answer with it ("ok" for 2xx; a 404 body
 *                                            echoes the path, as many servers do)
 *   429 RETRY_AFTER                          429 with "Retry-After: RETRY_AFTER" where
 *                                            RETRY_AFTER is delta-seconds, "date+N" (the
 *                                            HTTP-date N seconds from now) or "-" (none)
 *   hang                                     never answer (until the receiver stops)
 *   reset                                    abort the connection (TCP RST), no answer
 *   redirect                                 302 with "Location: /redirected"
 *
 * An action it does not know is answered with 500 and logged as "bad plan: ACTION".
 */
#ifndef MXW_HTTPRECV_H
#define MXW_HTTPRECV_H

#include <stddef.h>

struct event_base;
struct httprecv;

/* Starts a receiver on base, listening on 127.0.0.1 and a free port. plan_path may be
 * NULL (always 200); log_path may be NULL (no log) and is truncated. Both are copied.
 * Returns NULL and *errstr (caller frees). */
struct httprecv *httprecv_start(struct event_base *base, const char *plan_path,
				const char *log_path, char **errstr);

/* The port it listens on. */
int httprecv_port(const struct httprecv *r);

/* The number of requests received so far. */
size_t httprecv_count(const struct httprecv *r);

/* Stops listening, drops every connection and held request, closes the log, frees r.
 * NULL does nothing. */
void httprecv_stop(struct httprecv *r);

#endif
