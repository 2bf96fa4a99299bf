#include "config.h"

#include <sys/queue.h>

#include <curl/curl.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http.h"
#include "log.h"
#include "xmalloc.h"

#define HTTP_USER_AGENT "mxwatch/" PACKAGE_VERSION

/* One request from http_post() to its done callback. */
struct http_xfer {
	TAILQ_ENTRY(http_xfer) link;
	CURL *easy; /* while in flight */
	struct curl_slist *headers;
	char *url;
	char *body;
	bool allow_http;
	long connect_timeout_ms;
	long timeout_ms;
	http_done_cb done;
	void *arg;
	size_t nread;	 /* response body bytes seen */
	size_t nexcerpt; /* bytes kept in excerpt */
	char excerpt[HTTP_EXCERPT_MAX + 1];
	char *error; /* owned; NULL on a response */
	struct http_result res;
};

TAILQ_HEAD(http_xfer_list, http_xfer);

/* The libevent watcher of one libcurl socket. */
struct http_sock {
	TAILQ_ENTRY(http_sock) link;
	struct http_client *c;
	curl_socket_t fd;
	struct event ev;
	bool added;
};

TAILQ_HEAD(http_sock_list, http_sock);

struct http_client {
	struct event_base *base;
	CURLM *multi;
	struct event *timer; /* libcurl's single timeout */
	struct event *pump;  /* reports early ends and starts queued transfers, outside calls */
	struct http_xfer_list queue;	/* accepted, waiting for a slot */
	struct http_xfer_list running;	/* handed to libcurl */
	struct http_xfer_list finished; /* ended before starting; done not yet run */
	struct http_sock_list socks;
	size_t max_inflight;
	int depth;    /* nesting of our own frames that run done callbacks */
	bool closing; /* http_free() was called: destroy when depth drops to 0 */
	struct http_stats st;
};

/* Keeps the client alive while one of our frames may run done callbacks. */
static void
client_enter(struct http_client *c)
{
	c->depth++;
}

static void client_destroy(struct http_client *c);

/* Leaves such a frame; the last one out destroys a client that http_free() doomed. The
 * caller must not touch c afterwards. */
static void
client_leave(struct http_client *c)
{
	if (--c->depth == 0 && c->closing)
		client_destroy(c);
}

/* Frees a request and what it holds. */
static void
xfer_free(struct http_xfer *x)
{
	if (x->easy != NULL)
		curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->headers);
	free(x->url);
	free(x->body);
	free(x->error);
	free(x);
}

/* Masks with '*' every occurrence in x->excerpt of each long piece of the URL after its
 * scheme (user, host, path segments, query names and values): a server that echoes the
 * request must not leak a secret URL. */
static void
excerpt_mask(struct http_xfer *x)
{
	static const char seps[] = "/?#&=;:@";
	const char *p = strstr(x->url, "://");

	if (p == NULL || x->nexcerpt == 0)
		return;
	p += 3;
	while (*p != '\0') {
		size_t n;

		p += strspn(p, seps);
		n = strcspn(p, seps);
		if (n >= 6) {
			char *hit = x->excerpt, *end = x->excerpt + x->nexcerpt;

			while ((size_t)(end - hit) >= n &&
			       (hit = memmem(hit, (size_t)(end - hit), p, n)) != NULL) {
				memset(hit, '*', n);
				hit += n;
			}
		}
		p += n;
	}
}

/* Turns the kept start of the body into a one-line, URL-free excerpt. */
static void
excerpt_finish(struct http_xfer *x)
{
	size_t n = x->nexcerpt;

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)x->excerpt[i];

		if (ch < 0x20 || ch == 0x7f)
			x->excerpt[i] = ' ';
	}
	/* Drop a UTF-8 sequence cut short at the end. */
	if (x->nread > n) {
		size_t lead = n;
		unsigned char ch;

		while (lead > 0 && ((unsigned char)x->excerpt[lead - 1] & 0xc0) == 0x80)
			lead--;
		if (lead > 0 && ((ch = (unsigned char)x->excerpt[lead - 1]) & 0x80) != 0) {
			size_t want = ch >= 0xf0 ? 4 : ch >= 0xe0 ? 3 : 2;

			if (n - (lead - 1) < want)
				n = lead - 1;
		}
	}
	while (n > 0 && x->excerpt[n - 1] == ' ')
		n--;
	x->nexcerpt = n;
	x->excerpt[n] = '\0';
	excerpt_mask(x);
}

/* Runs the done callback of an ended request and frees it. */
static void
xfer_report(struct http_client *c, struct http_xfer *x)
{
	c->st.completed++;
	x->res.error = x->error;
	x->res.excerpt = x->nexcerpt > 0 ? x->excerpt : NULL;
	x->done(&x->res, x->arg);
	xfer_free(x);
}

/* Ends a request with an error of our own. */
static void
xfer_fail(struct http_xfer *x, enum http_verdict v, const char *why)
{
	free(x->error);
	x->error = xstrdup(why);
	x->res.status = 0;
	x->res.retry_after = -1;
	x->res.verdict = v;
}

/* Translates a failed transfer into a reason that never names the URL. */
static void
xfer_fail_curl(struct http_xfer *x, CURLcode code)
{
	long oserr = 0;
	char *why;

	curl_easy_getinfo(x->easy, CURLINFO_OS_ERRNO, &oserr);
	switch (code) {
	case CURLE_OPERATION_TIMEDOUT:
		xfer_fail(x, HTTP_RETRY, "timed out");
		return;
	case CURLE_COULDNT_CONNECT:
		if (oserr == ECONNREFUSED)
			xfer_fail(x, HTTP_RETRY, "connection refused");
		else if (oserr == ENETUNREACH || oserr == EHOSTUNREACH)
			xfer_fail(x, HTTP_RETRY, "host unreachable");
		else if (oserr == ETIMEDOUT)
			xfer_fail(x, HTTP_RETRY, "timed out");
		else
			xfer_fail(x, HTTP_RETRY, "cannot connect");
		return;
	case CURLE_COULDNT_RESOLVE_HOST:
		xfer_fail(x, HTTP_RETRY, "cannot resolve the host name");
		return;
	case CURLE_COULDNT_RESOLVE_PROXY:
		xfer_fail(x, HTTP_RETRY, "cannot resolve the proxy");
		return;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
		if (oserr == ECONNRESET || oserr == EPIPE)
			xfer_fail(x, HTTP_RETRY, "connection reset");
		else
			xfer_fail(x, HTTP_RETRY,
				  code == CURLE_SEND_ERROR ? "send failed" : "receive failed");
		return;
	case CURLE_GOT_NOTHING:
		xfer_fail(x, HTTP_RETRY, "connection closed without a response");
		return;
	case CURLE_PEER_FAILED_VERIFICATION:
		xfer_fail(x, HTTP_RETRY, "TLS certificate not trusted");
		return;
	case CURLE_SSL_CACERT_BADFILE:
		xfer_fail(x, HTTP_RETRY, "TLS trust store unreadable");
		return;
	case CURLE_SSL_CONNECT_ERROR:
		xfer_fail(x, HTTP_RETRY, "TLS handshake failed");
		return;
	case CURLE_WEIRD_SERVER_REPLY:
		xfer_fail(x, HTTP_RETRY, "malformed response");
		return;
	case CURLE_UNSUPPORTED_PROTOCOL:
		xfer_fail(x, HTTP_PERMANENT, "URL scheme not allowed");
		return;
	case CURLE_URL_MALFORMAT:
		xfer_fail(x, HTTP_PERMANENT, "malformed URL");
		return;
	default:
		/* curl_easy_strerror() gives a fixed text per code, never the URL (unlike the
		 * CURLOPT_ERRORBUFFER text, which this module never reads). */
		why = xasprintf("transfer failed: %s", curl_easy_strerror(code));
		xfer_fail(x, HTTP_RETRY, why);
		free(why);
		return;
	}
}

/* Fills in the result of a transfer libcurl finished. */
static void
xfer_conclude(struct http_xfer *x, CURLcode code)
{
	long status = 0;
#if LIBCURL_VERSION_NUM >= 0x075400
	struct curl_header *h;
#endif

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	excerpt_finish(x);
	/* A status line is an answer, even if the body was cut short afterwards. */
	if (status < 200 || status > 999) {
		xfer_fail_curl(x, code == CURLE_OK ? CURLE_WEIRD_SERVER_REPLY : code);
		return;
	}
	x->res.status = (int)status;
	x->res.verdict = http_verdict_of_status((int)status);
	x->res.retry_after = -1;
#if LIBCURL_VERSION_NUM >= 0x075400
	if (curl_easy_header(x->easy, "Retry-After", 0, CURLH_HEADER, -1, &h) == CURLHE_OK)
		x->res.retry_after = http_retry_after_parse(h->value, (long long)time(NULL));
#endif
}

/* Keeps the start of the response body and counts the rest, up to HTTP_BODY_MAX. */
static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct http_xfer *x = arg;
	size_t len = size * nmemb, keep;

	if (x->nread + len > HTTP_BODY_MAX)
		return 0; /* ends the transfer (CURLE_WRITE_ERROR); the status still counts */
	keep = HTTP_EXCERPT_MAX - x->nexcerpt;
	if (keep > len)
		keep = len;
	memcpy(x->excerpt + x->nexcerpt, data, keep);
	x->nexcerpt += keep;
	x->nread += len;
	return len;
}

/* Creates the easy handle of a request. Returns false when libcurl refuses an option. */
static bool
xfer_setup(struct http_xfer *x)
{
	CURL *e = curl_easy_init();
	bool ok = true;

	if (e == NULL)
		return false;
	x->easy = e;
	ok &= curl_easy_setopt(e, CURLOPT_URL, x->url) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_PRIVATE, x) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK;
#if LIBCURL_VERSION_NUM >= 0x075500
	ok &= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, x->allow_http ? "http,https" : "https") ==
	      CURLE_OK;
#else
	ok &= curl_easy_setopt(e, CURLOPT_PROTOCOLS,
			       x->allow_http ? (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS)
					     : (long)CURLPROTO_HTTPS) == CURLE_OK;
#endif
	ok &= curl_easy_setopt(e, CURLOPT_USERAGENT, HTTP_USER_AGENT) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, x->connect_timeout_ms) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, x->timeout_ms) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_POST, 1L) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(x->body)) ==
	      CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->body) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_WRITEDATA, x) == CURLE_OK;
	return ok;
}

/* Hands queued requests to libcurl up to the bound. */
static void
start_queued(struct http_client *c)
{
	struct http_xfer *x;

	while (!c->closing && c->st.inflight < c->max_inflight &&
	       (x = TAILQ_FIRST(&c->queue)) != NULL) {
		TAILQ_REMOVE(&c->queue, x, link);
		c->st.queued--;
		if (!xfer_setup(x)) {
			xfer_fail(x, HTTP_RETRY, "cannot set up the transfer");
			TAILQ_INSERT_TAIL(&c->finished, x, link);
			continue;
		}
		if (curl_multi_add_handle(c->multi, x->easy) != CURLM_OK) {
			xfer_fail(x, HTTP_RETRY, "cannot start the transfer");
			TAILQ_INSERT_TAIL(&c->finished, x, link);
			continue;
		}
		TAILQ_INSERT_TAIL(&c->running, x, link);
		if (++c->st.inflight > c->st.max_inflight)
			c->st.max_inflight = c->st.inflight;
	}
	if (!TAILQ_EMPTY(&c->finished))
		event_active(c->pump, 0, 0);
}

/* Reports the transfers libcurl has finished. */
static void
collect_done(struct http_client *c)
{
	CURLMsg *msg;
	int left;

	while (!c->closing && (msg = curl_multi_info_read(c->multi, &left)) != NULL) {
		CURL *e = msg->easy_handle;
		CURLcode code = msg->data.result;
		struct http_xfer *x;
		char *priv = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(e, CURLINFO_PRIVATE, &priv);
		x = (struct http_xfer *)(void *)priv;
		curl_multi_remove_handle(c->multi, e);
		TAILQ_REMOVE(&c->running, x, link);
		c->st.inflight--;
		xfer_conclude(x, code);
		xfer_report(c, x);
	}
	if (!c->closing && !TAILQ_EMPTY(&c->queue))
		event_active(c->pump, 0, 0);
}

/* Reports requests that ended before starting and starts queued ones. */
static void
pump_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_client *c = arg;
	struct http_xfer *x;

	client_enter(c);
	while (!c->closing && (x = TAILQ_FIRST(&c->finished)) != NULL) {
		TAILQ_REMOVE(&c->finished, x, link);
		xfer_report(c, x);
	}
	start_queued(c);
	client_leave(c);
}

/* libcurl's timeout expired. */
static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_client *c = arg;
	int running;

	client_enter(c);
	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	collect_done(c);
	client_leave(c);
}

/* One of libcurl's sockets is ready. */
static void
sock_ready_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_sock *s = arg;
	struct http_client *c = s->c; /* s may be freed by the call below */
	int running, flags = 0;

	if (what & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	client_enter(c);
	curl_multi_socket_action(c->multi, fd, flags, &running);
	collect_done(c);
	client_leave(c);
}

/* Stops watching a socket and forgets it. */
static void
sock_free(struct http_client *c, struct http_sock *s)
{
	if (s->added)
		event_del(&s->ev);
	TAILQ_REMOVE(&c->socks, s, link);
	free(s);
}

/* libcurl says which of its sockets to watch, and for what (CURLMOPT_SOCKETFUNCTION). */
static int
on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct http_client *c = userp;
	struct http_sock *s = socketp;
	short events = EV_PERSIST;

	if (what == CURL_POLL_REMOVE) {
		if (s != NULL)
			sock_free(c, s);
		return 0;
	}
	if (s == NULL) {
		s = xcalloc(1, sizeof(*s));
		s->c = c;
		s->fd = fd;
		TAILQ_INSERT_TAIL(&c->socks, s, link);
		curl_multi_assign(c->multi, fd, s);
	} else if (s->added) {
		event_del(&s->ev);
		s->added = false;
	}
	if (what & CURL_POLL_IN)
		events |= EV_READ;
	if (what & CURL_POLL_OUT)
		events |= EV_WRITE;
	event_assign(&s->ev, c->base, fd, events, sock_ready_cb, s);
	if (event_add(&s->ev, NULL) != 0)
		return -1;
	s->added = true;
	return 0;
}

/* libcurl asks to be called back after timeout_ms, or never (-1)
 * (CURLMOPT_TIMERFUNCTION). It must not be called from here: the timer does it. */
static int
on_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct http_client *c = userp;
	struct timeval tv;

	if (timeout_ms < 0) {
		evtimer_del(c->timer);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	return evtimer_add(c->timer, &tv) == 0 ? 0 : -1;
}

/* Creates a client. */
struct http_client *
http_new(struct event_base *base, char **errstr)
{
	struct http_client *c;
	CURLcode rc;

	rc = curl_global_init(CURL_GLOBAL_DEFAULT);
	if (rc != CURLE_OK) {
		*errstr = xasprintf("cannot initialise libcurl: %s", curl_easy_strerror(rc));
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->base = base;
	c->max_inflight = HTTP_MAX_INFLIGHT;
	TAILQ_INIT(&c->queue);
	TAILQ_INIT(&c->running);
	TAILQ_INIT(&c->finished);
	TAILQ_INIT(&c->socks);
	c->multi = curl_multi_init();
	if (c->multi == NULL) {
		*errstr = xstrdup("cannot initialise libcurl: no multi handle");
		free(c);
		curl_global_cleanup();
		return NULL;
	}
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	c->timer = evtimer_new(base, timer_cb, c);
	c->pump = event_new(base, -1, 0, pump_cb, c);
	return c;
}

/* Sets the number of transfers run at once. */
void
http_set_max_inflight(struct http_client *c, size_t n)
{
	c->max_inflight = n > 0 ? n : 1;
	if (!TAILQ_EMPTY(&c->queue))
		event_active(c->pump, 0, 0);
}

/* Appends a copy of s to list; aborts when out of memory, as xmalloc does. */
static struct curl_slist *
slist_add(struct curl_slist *list, const char *s)
{
	struct curl_slist *l = curl_slist_append(list, s);

	if (l == NULL)
		fatalx("out of memory adding an HTTP header");
	return l;
}

/* Tells whether a header line is "Name: value" on one line. */
static bool
header_ok(const char *h)
{
	const char *colon = strchr(h, ':');

	return colon != NULL && colon != h && strpbrk(h, "\r\n") == NULL;
}

/* Tells whether url starts with scheme followed by "://", ignoring case. */
static bool
has_scheme(const char *url, const char *scheme)
{
	size_t n = strlen(scheme);

	return strncasecmp(url, scheme, n) == 0 && strncmp(url + n, "://", 3) == 0;
}

/* Queues one POST. */
int
http_post(struct http_client *c, const struct http_request *r, http_done_cb done, void *arg,
	  char **errstr)
{
	struct http_xfer *x;
	bool has_type = false;

	if (c->closing) {
		*errstr = xstrdup("the HTTP client is shutting down");
		return -1;
	}
	if (r->url == NULL) {
		*errstr = xstrdup("no URL to post to");
		return -1;
	}
	for (size_t i = 0; i < r->nheaders; i++) {
		/* The header's text may be a secret (a signature, a token): not in the message. */
		if (r->headers[i] == NULL || !header_ok(r->headers[i])) {
			*errstr =
			    xasprintf("HTTP header %zu is not one \"Name: value\" line", i + 1);
			return -1;
		}
		if (strncasecmp(r->headers[i], "Content-Type:", 13) == 0)
			has_type = true;
	}
	x = xcalloc(1, sizeof(*x));
	x->url = xstrdup(r->url);
	x->body = xstrdup(r->body != NULL ? r->body : "");
	x->allow_http = r->allow_http;
	x->connect_timeout_ms =
	    r->connect_timeout_ms > 0 ? r->connect_timeout_ms : HTTP_CONNECT_TIMEOUT_MS;
	x->timeout_ms = r->timeout_ms > 0 ? r->timeout_ms : HTTP_TIMEOUT_MS;
	x->done = done;
	x->arg = arg;
	x->res.retry_after = -1;
	for (size_t i = 0; i < r->nheaders; i++)
		x->headers = slist_add(x->headers, r->headers[i]);
	if (!has_type)
		x->headers = slist_add(x->headers, "Content-Type: application/json");
	/* No "Expect: 100-continue" round trip before the body. */
	x->headers = slist_add(x->headers, "Expect:");
	c->st.submitted++;
	if (has_scheme(x->url, "https") || (x->allow_http && has_scheme(x->url, "http"))) {
		TAILQ_INSERT_TAIL(&c->queue, x, link);
		c->st.queued++;
	} else {
		xfer_fail(x, HTTP_PERMANENT,
			  has_scheme(x->url, "http") ? "plain http not allowed (https only)"
						     : "URL scheme not allowed (https only)");
		TAILQ_INSERT_TAIL(&c->finished, x, link);
	}
	event_active(c->pump, 0, 0);
	return 0;
}

/* Moves every pending request onto list, so that their callbacks run from a list no
 * callback can change. */
static void
take_all(struct http_client *c, struct http_xfer_list *list)
{
	struct http_xfer *x;

	while ((x = TAILQ_FIRST(&c->finished)) != NULL) {
		TAILQ_REMOVE(&c->finished, x, link);
		TAILQ_INSERT_TAIL(list, x, link);
	}
	while ((x = TAILQ_FIRST(&c->running)) != NULL) {
		TAILQ_REMOVE(&c->running, x, link);
		curl_multi_remove_handle(c->multi, x->easy);
		c->st.inflight--;
		TAILQ_INSERT_TAIL(list, x, link);
	}
	while ((x = TAILQ_FIRST(&c->queue)) != NULL) {
		TAILQ_REMOVE(&c->queue, x, link);
		c->st.queued--;
		TAILQ_INSERT_TAIL(list, x, link);
	}
}

/* Ends every pending request with "cancelled". */
void
http_cancel_all(struct http_client *c)
{
	struct http_xfer_list list;
	struct http_xfer *x;

	TAILQ_INIT(&list);
	client_enter(c);
	take_all(c, &list);
	while ((x = TAILQ_FIRST(&list)) != NULL) {
		TAILQ_REMOVE(&list, x, link);
		xfer_fail(x, HTTP_RETRY, "cancelled");
		x->res.cancelled = true;
		x->nexcerpt = 0;
		xfer_report(c, x);
	}
	client_leave(c);
}

/* Releases everything; runs with no done callback on the stack. */
static void
client_destroy(struct http_client *c)
{
	struct http_sock *s;
	struct http_xfer_list list;
	struct http_xfer *x;

	/* Requests a callback posted while the client was closing were refused, but be
	 * sure nothing is left. */
	TAILQ_INIT(&list);
	take_all(c, &list);
	while ((x = TAILQ_FIRST(&list)) != NULL) {
		TAILQ_REMOVE(&list, x, link);
		xfer_free(x);
	}
	curl_multi_cleanup(c->multi);
	while ((s = TAILQ_FIRST(&c->socks)) != NULL)
		sock_free(c, s);
	event_free(c->timer);
	event_free(c->pump);
	free(c);
	curl_global_cleanup();
}

/* Cancels everything and frees the client, now or when the running callback returns. */
void
http_free(struct http_client *c)
{
	if (c == NULL || c->closing)
		return;
	/* Closing first: a done callback run by the cancel cannot queue anything new. */
	c->closing = true;
	client_enter(c);
	http_cancel_all(c);
	client_leave(c);
}

/* Reports the counters. */
void
http_get_stats(const struct http_client *c, struct http_stats *st)
{
	*st = c->st;
}
