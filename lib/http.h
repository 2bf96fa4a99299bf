/*
 * Asynchronous HTTP POST on libevent: libcurl's multi socket interface driven by socket
 * events and one timer on the caller's event base, with a bounded number of transfers in
 * flight and a FIFO queue beyond the bound (the queue is ours, not libcurl's, so that a
 * request's timeouts only start when its transfer does).
 *
 * Every request gets one verdict: delivered, worth retrying later, or never going to work.
 * Redirects are not followed, TLS is verified, and only https is spoken unless a request
 * allows plain http. Nothing this module returns or logs holds the URL: webhook URLs
 * (Slack's, for one) are secrets.
 *
 * One client per event base; one thread. http_new() calls curl_global_init() and
 * http_free() calls curl_global_cleanup(): libcurl counts these calls, so clients may come
 * and go, but no other thread may use libcurl meanwhile.
 */
#ifndef MXW_HTTP_H
#define MXW_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;

/* Transfers in flight at once by default; more wait in the queue. */
#define HTTP_MAX_INFLIGHT 32
/* Defaults for a request that sets no timeout. */
#define HTTP_CONNECT_TIMEOUT_MS 10000
#define HTTP_TIMEOUT_MS 30000
/* Response bodies are read up to this size; a longer one ends the transfer (the status
 * still counts). */
#define HTTP_BODY_MAX (64 * 1024)
/* The most of a response body kept in http_result.excerpt. */
#define HTTP_EXCERPT_MAX 200

/* What to do about a request after its attempt. */
enum http_verdict {
	HTTP_OK,	/* delivered: a 2xx answer */
	HTTP_RETRY,	/* try again later: 5xx, 408, 425, 429, network errors, timeouts */
	HTTP_PERMANENT, /* will never work as it is: other 4xx, 3xx (redirects are not
			   followed), a URL that is not allowed or not well-formed */
};

/* One POST. Everything is borrowed during http_post() only: the client copies it. */
struct http_request {
	const char *url;	 /* https://... (or http://... with allow_http) */
	const char *body;	 /* NUL-terminated; NULL sends an empty body */
	char *const *headers;	 /* "Name: value" strings; without a Content-Type one,
				    "Content-Type: application/json" is sent */
	size_t nheaders;	 /* entries in headers */
	bool allow_http;	 /* also speak plain http (loopback receivers, tests) */
	long connect_timeout_ms; /* 0: HTTP_CONNECT_TIMEOUT_MS */
	long timeout_ms;	 /* the whole transfer; 0: HTTP_TIMEOUT_MS */
};

/* How one request ended. Borrowed: valid only during the done callback. */
struct http_result {
	int status;	       /* the HTTP status, or 0 when no response came */
	long long retry_after; /* seconds to wait from a Retry-After header (delta-seconds or
				  HTTP-date against time()), -1 when absent or unparsable */
	const char *error;     /* NULL when a response came; else a short reason, as
				  "connection refused", "timed out", "TLS certificate not
				  trusted", "connection reset", "cancelled". Never holds the
				  URL or any part of it. */
	enum http_verdict verdict;
	bool cancelled; /* ended by http_cancel_all() or http_free(): HTTP_RETRY,
			   error "cancelled" (the receiver may have got it) */
	/* The start of the response body, for a log line: at most HTTP_EXCERPT_MAX bytes,
	 * control characters blanked, no character cut in half, and every piece of the URL
	 * of 6 bytes or more (host, path segment, query value) that the server echoed
	 * masked with '*'. NULL when there was no body. */
	const char *excerpt;
};

/* Runs once per accepted request, from the event loop (or from http_cancel_all() and
 * http_free()), never from inside http_post(). It may call http_post(),
 * http_cancel_all() and http_free(). res is borrowed: valid only during the call. */
typedef void (*http_done_cb)(const struct http_result *res, void *arg);

struct http_stats {
	uint64_t submitted;
	uint64_t completed;
	size_t inflight;     /* transfers running now */
	size_t queued;	     /* waiting for a free slot now */
	size_t max_inflight; /* the most ever running at once */
};

struct http_client;

/* Creates a client on base with HTTP_MAX_INFLIGHT slots. Returns NULL and *errstr
 * (caller frees) when libcurl cannot be initialised. */
struct http_client *http_new(struct event_base *base, char **errstr);

/* Sets how many transfers run at once (at least 1); takes effect as slots free up. */
void http_set_max_inflight(struct http_client *c, size_t n);

/* Queues one POST. done runs later exactly once with its result; arg is passed along.
 * A URL that is neither https nor (with allow_http) http is not contacted: done gets
 * HTTP_PERMANENT. Returns 0, or -1 and *errstr (caller frees; done is never called)
 * when r has no URL, a header is malformed (no colon, or a line break), or the client is
 * being freed. */
int http_post(struct http_client *c, const struct http_request *r, http_done_cb done, void *arg,
	      char **errstr);

/* Ends every request accepted so far, queued or in flight: each done runs now with error
 * "cancelled". The client stays usable. */
void http_cancel_all(struct http_client *c);

/* Cancels as http_cancel_all() does and frees the client. NULL does nothing. May be
 * called from a done callback: the client then goes away when that callback returns. */
void http_free(struct http_client *c);

/* Copies the client's counters into *st. */
void http_get_stats(const struct http_client *c, struct http_stats *st);

/* The verdict for an HTTP status: 2xx OK; 408, 425, 429 and 5xx RETRY; anything else
 * (other 4xx, 3xx, 1xx, nonsense) PERMANENT. */
enum http_verdict http_verdict_of_status(int status);

/* Reads a Retry-After value: delta-seconds ("120") or an HTTP-date in any of the three
 * forms of RFC 9110 §5.6.7, as seconds after now (0 for a date in the past). Returns -1
 * when value is NULL or not one of those. */
long long http_retry_after_parse(const char *value, long long now);

/* Returns "ok", "retry" or "permanent". */
const char *http_verdict_name(enum http_verdict v);

#endif
