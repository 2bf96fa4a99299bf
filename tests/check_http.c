/* The HTTP delivery client against a real receiver on loopback (tests/httprecv.h), both on
 * one event base: verdicts, Retry-After, timeouts, resets, redirects, the https-only
 * rule, URL secrecy in errors, the in-flight bound, and cancellation. */
#include "config.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <check.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http.h"
#include "httprecv.h"
#include "testsecret.h"
#include "xmalloc.h"

/* Every test posts to this path: it stands for the secret part of a Slack webhook URL. */
#define SECRET_PATH "/services/SECRET123"

static char dir[64];
static char *plan_path, *log_path;
static struct event_base *base;
static struct httprecv *rcv;
static struct http_client *hc;

/* What one request gave, kept past its callback. */
struct got {
	int calls;
	int status;
	long long retry_after;
	enum http_verdict verdict;
	bool cancelled;
	char *error;
	char *excerpt;
	/* when set: done posts again to this path until `chain` requests were made */
	int chain;
	/* when set: done frees the client */
	bool free_client;
};

/* Replaces the receiver's plan (a new file renamed over the old one). */
static void
write_plan(const char *text)
{
	char *tmp = xasprintf("%s.new", plan_path);
	FILE *f = fopen(tmp, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(rename(tmp, plan_path), 0);
	free(tmp);
}

static void
setup(void)
{
	char *err = NULL;

	strcpy(dir, "/tmp/mxw-http.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	plan_path = xasprintf("%s/plan", dir);
	log_path = xasprintf("%s/requests.log", dir);
	write_plan("* 200\n");
	base = event_base_new();
	rcv = httprecv_start(base, plan_path, log_path, &err);
	ck_assert_msg(rcv != NULL, "httprecv_start: %s", err);
	hc = http_new(base, &err);
	ck_assert_msg(hc != NULL, "http_new: %s", err);
}

static void
teardown(void)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	http_free(hc);
	hc = NULL;
	httprecv_stop(rcv);
	rcv = NULL;
	event_base_free(base);
	base = NULL;
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	free(plan_path);
	free(log_path);
}

static void
got_clear(struct got *g)
{
	free(g->error);
	free(g->excerpt);
	memset(g, 0, sizeof(*g));
}

/* Returns the receiver's URL for path; caller frees. */
static char *
url_for(const char *path)
{
	return xasprintf("http://127.0.0.1:%d%s", httprecv_port(rcv), path);
}

static void got_cb(const struct http_result *res, void *arg);

/* Posts body to url with a timeout; fails the test when the post is refused. */
static void
post_url(const char *url, bool allow_http, const char *body, long timeout_ms, struct got *g)
{
	struct http_request r = {
	    .url = url,
	    .body = body,
	    .allow_http = allow_http,
	    .connect_timeout_ms = timeout_ms, /* with TLS, it covers the handshake */
	    .timeout_ms = timeout_ms,
	};
	char *err = NULL;

	ck_assert_msg(http_post(hc, &r, got_cb, g, &err) == 0, "http_post: %s", err);
}

/* Posts body to path on the receiver (plain http allowed). */
static void
post(const char *path, const char *body, struct got *g)
{
	char *url = url_for(path);

	post_url(url, true, body, 5000, g);
	free(url);
}

/* Records a result; checks that nothing in it names the URL. */
static void
got_cb(const struct http_result *res, void *arg)
{
	struct got *g = arg;

	g->calls++;
	g->status = res->status;
	g->retry_after = res->retry_after;
	g->verdict = res->verdict;
	g->cancelled = res->cancelled;
	free(g->error);
	free(g->excerpt);
	g->error = res->error != NULL ? xstrdup(res->error) : NULL;
	g->excerpt = res->excerpt != NULL ? xstrdup(res->excerpt) : NULL;
	ck_assert_msg(res->error == NULL || (strstr(res->error, "SECRET123") == NULL &&
					     strstr(res->error, "services") == NULL &&
					     strstr(res->error, "127.0.0.1") == NULL),
		      "error names the URL: %s", res->error);
	ck_assert_msg(res->excerpt == NULL || strstr(res->excerpt, "SECRET123") == NULL,
		      "excerpt names the URL: %s", res->excerpt);
	ck_assert_int_eq(res->error == NULL, res->status != 0);
	if (g->free_client) {
		http_free(hc);
		hc = NULL;
	} else if (g->chain > g->calls) {
		post(SECRET_PATH, "again", g);
	}
}

static bool deadline_hit;

static void
deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	deadline_hit = true;
}

/* Runs the event loop until *counter reaches want (at most 20 s). */
static void
run_until(const int *counter, int want)
{
	struct event *dl = evtimer_new(base, deadline_cb, NULL);
	struct timeval tv = {20, 0};

	deadline_hit = false;
	evtimer_add(dl, &tv);
	while (*counter < want && !deadline_hit)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(dl);
	ck_assert_msg(!deadline_hit, "gave up waiting: %d of %d", *counter, want);
}

/* Runs the event loop until the receiver has seen n requests (at most 20 s). */
static void
run_until_received(size_t n)
{
	struct event *dl = evtimer_new(base, deadline_cb, NULL);
	struct timeval tv = {20, 0};

	deadline_hit = false;
	evtimer_add(dl, &tv);
	while (httprecv_count(rcv) < n && !deadline_hit)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(dl);
	ck_assert_msg(!deadline_hit, "the receiver saw %zu requests, not %zu", httprecv_count(rcv),
		      n);
}

/* Posts one request to SECRET_PATH and waits for its result. */
static void
post_once(const char *body, struct got *g)
{
	post(SECRET_PATH, body, g);
	ck_assert_int_eq(g->calls, 0); /* never from inside http_post */
	run_until(&g->calls, 1);
	ck_assert_int_eq(g->calls, 1);
}

/* Returns the receiver's log; caller frees. */
static char *
read_log(void)
{
	FILE *f = fopen(log_path, "r");
	char *buf = xmalloc(1 << 20);
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* Returns the number of lines in the receiver's log. */
static size_t
log_lines(void)
{
	char *text = read_log();
	size_t n = 0;

	for (const char *p = text; *p != '\0'; p++)
		n += *p == '\n';
	free(text);
	return n;
}

START_TEST(test_200_is_ok_and_the_request_arrives_exactly)
{
	static char type[] = "Content-Type: application/json", id[] = "webhook-id: msg_1",
		    ts[] = "webhook-timestamp: 1700000000",
		    sig[] = "webhook-signature: v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=";
	char *const headers[] = {type, id, ts, sig};
	char *url = url_for(SECRET_PATH), *log, *want;
	struct http_request r = {
	    .url = url,
	    .body = "{\"text\":\"h\xc3\xa9llo <b>\"}",
	    .headers = headers,
	    .nheaders = 4,
	    .allow_http = true,
	};
	struct got g = {0};
	char *err = NULL;

	ck_assert_int_eq(http_post(hc, &r, got_cb, &g, &err), 0);
	free(url);
	run_until(&g.calls, 1);
	ck_assert_int_eq(g.calls, 1);
	ck_assert_int_eq(g.status, 200);
	ck_assert_int_eq(g.verdict, HTTP_OK);
	ck_assert_ptr_null(g.error);
	ck_assert_int_eq(g.retry_after, -1);
	ck_assert_str_eq(g.excerpt, "ok");
	log = read_log();
	want = xasprintf("{\"method\":\"POST\",\"path\":\"/services/SECRET123\",\"headers\":{"
			 "\"content-type\":\"application/json\",\"user-agent\":\"mxwatch/%s\","
			 "\"webhook-id\":\"msg_1\",\"webhook-timestamp\":\"1700000000\","
			 "\"webhook-signature\":\"v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/"
			 "pI4=\"},\"body\":\"{\\\"text\\\":\\\"h\xc3\xa9llo <b>\\\"}\","
			 "\"answer\":\"200\"}\n",
			 PACKAGE_VERSION);
	ck_assert_str_eq(log, want);
	free(log);
	free(want);
	got_clear(&g);
}
END_TEST

START_TEST(test_202_is_ok_and_json_is_the_default_content_type)
{
	struct got g = {0};
	char *log, *want;

	write_plan("* 202\n");
	post_once("{}", &g);
	ck_assert_int_eq(g.status, 202);
	ck_assert_int_eq(g.verdict, HTTP_OK);
	ck_assert_ptr_null(g.error);
	log = read_log();
	want = xasprintf("{\"method\":\"POST\",\"path\":\"/services/SECRET123\",\"headers\":{"
			 "\"content-type\":\"application/json\",\"user-agent\":\"mxwatch/%s\"},"
			 "\"body\":\"{}\",\"answer\":\"202\"}\n",
			 PACKAGE_VERSION);
	ck_assert_str_eq(log, want);
	free(log);
	free(want);
	got_clear(&g);
}
END_TEST

START_TEST(test_500_is_retry)
{
	struct got g = {0};

	write_plan("* 500\n");
	post_once("{}", &g);
	ck_assert_int_eq(g.status, 500);
	ck_assert_int_eq(g.verdict, HTTP_RETRY);
	ck_assert_ptr_null(g.error);
	ck_assert_int_eq(g.retry_after, -1);
	ck_assert_str_eq(g.excerpt, "error 500");
	got_clear(&g);
}
END_TEST

START_TEST(test_429_with_retry_after_seconds_is_retry_after_them)
{
	struct got g = {0};

	write_plan("* 429 7\n");
	post_once("{}", &g);
	ck_assert_int_eq(g.status, 429);
	ck_assert_int_eq(g.verdict, HTTP_RETRY);
	ck_assert_int_eq(g.retry_after, 7);
	got_clear(&g);
}
END_TEST

START_TEST(test_429_with_retry_after_http_date_is_retry_until_then)
{
	struct got g = {0};

	write_plan("* 429 date+120\n");
	post_once("{}", &g);
	ck_assert_int_eq(g.status, 429);
	ck_assert_int_eq(g.verdict, HTTP_RETRY);
	/* The date has whole seconds and the clock moves on between the two ends. */
	ck_assert_msg(g.retry_after >= 115 && g.retry_after <= 120, "retry_after %lld",
		      g.retry_after);
	got_clear(&g);
}
END_TEST

START_TEST(test_404_and_410_are_permanent_and_the_echoed_path_is_masked)
{
	struct got g = {0};

	write_plan("* 404 410\n");
	post_once("{}", &g);
	ck_assert_int_eq(g.status, 404);
	ck_assert_int_eq(g.verdict, HTTP_PERMANENT);
	ck_assert_ptr_null(g.error);
	ck_assert_str_eq(g.excerpt, "no such hook: /********/*********");
	got_clear(&g);
	post_once("{}", &g);
	ck_assert_int_eq(g.status, 410);
	ck_assert_int_eq(g.verdict, HTTP_PERMANENT);
	got_clear(&g);
}
END_TEST

START_TEST(test_redirect_is_permanent_and_not_followed)
{
	struct got g = {0};

	write_plan("* redirect\n");
	post_once("{}", &g);
	ck_assert_int_eq(g.status, 302);
	ck_assert_int_eq(g.verdict, HTTP_PERMANENT);
	ck_assert_ptr_null(g.error);
	ck_assert_uint_eq(httprecv_count(rcv), 1);
	ck_assert_uint_eq(log_lines(), 1);
	got_clear(&g);
}
END_TEST

START_TEST(test_hang_times_out_as_retry)
{
	char *url = url_for(SECRET_PATH);
	struct got g = {0};

	write_plan("* hang\n");
	post_url(url, true, "{}", 300, &g);
	free(url);
	run_until(&g.calls, 1);
	ck_assert_int_eq(g.calls, 1);
	ck_assert_int_eq(g.status, 0);
	ck_assert_int_eq(g.verdict, HTTP_RETRY);
	ck_assert_str_eq(g.error, "timed out");
	ck_assert_int_eq(g.retry_after, -1);
	ck_assert_uint_eq(httprecv_count(rcv), 1);
	got_clear(&g);
}
END_TEST

START_TEST(test_reset_is_retry)
{
	struct got g = {0};

	write_plan("* reset\n");
	post_once("{}", &g);
	ck_assert_int_eq(g.status, 0);
	ck_assert_int_eq(g.verdict, HTTP_RETRY);
	ck_assert_str_eq(g.error, "connection reset");
	got_clear(&g);
}
END_TEST

/* Returns a loopback port nothing listens on. */
static int
dead_port(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sin);
	int s = socket(AF_INET, SOCK_STREAM, 0), port;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_ge(s, 0);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(s, (struct sockaddr *)&sin, &sl), 0);
	port = ntohs(sin.sin_port);
	close(s); /* bound, never listening: now free */
	return port;
}

START_TEST(test_connection_refused_is_retry)
{
	char *url = xasprintf("http://127.0.0.1:%d" SECRET_PATH, dead_port());
	struct got g = {0};

	post_url(url, true, "{}", 2000, &g);
	free(url);
	run_until(&g.calls, 1);
	ck_assert_int_eq(g.status, 0);
	ck_assert_int_eq(g.verdict, HTTP_RETRY);
	ck_assert_str_eq(g.error, "connection refused");
	got_clear(&g);
}
END_TEST

START_TEST(test_plain_http_without_allow_http_is_permanent_and_never_sent)
{
	char *url = url_for(SECRET_PATH);
	struct got g = {0};

	post_url(url, false, "{}", 2000, &g);
	free(url);
	ck_assert_int_eq(g.calls, 0);
	run_until(&g.calls, 1);
	ck_assert_int_eq(g.calls, 1);
	ck_assert_int_eq(g.status, 0);
	ck_assert_int_eq(g.verdict, HTTP_PERMANENT);
	ck_assert_str_eq(g.error, "plain http not allowed (https only)");
	event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_uint_eq(httprecv_count(rcv), 0);
	ck_assert_uint_eq(log_lines(), 0);
	got_clear(&g);
}
END_TEST

START_TEST(test_other_schemes_and_malformed_urls_are_permanent)
{
	struct got g = {0};

	post_url("ftp://127.0.0.1" SECRET_PATH, true, "{}", 2000, &g);
	run_until(&g.calls, 1);
	ck_assert_int_eq(g.verdict, HTTP_PERMANENT);
	ck_assert_str_eq(g.error, "URL scheme not allowed (https only)");
	got_clear(&g);
	post_url("https://[::1" SECRET_PATH, false, "{}", 2000, &g);
	run_until(&g.calls, 1);
	ck_assert_int_eq(g.verdict, HTTP_PERMANENT);
	ck_assert_str_eq(g.error, "malformed URL");
	got_clear(&g);
}
END_TEST

/* A loopback server that answers a client's first bytes with fixed bytes, then closes:
 * for what the receiver cannot say (not TLS at all, an endless body). */
struct canned {
	int fd;
	struct event *accept_ev;
	char *reply;
	size_t len;
	struct bufferevent *conns[8]; /* open connections, freed at the latest by stop */
};

/* Frees a connection and forgets it. */
static void
canned_close(struct canned *cn, struct bufferevent *bev)
{
	for (size_t i = 0; i < sizeof(cn->conns) / sizeof(cn->conns[0]); i++)
		if (cn->conns[i] == bev)
			cn->conns[i] = NULL;
	bufferevent_free(bev);
}

/* The client closed or failed: done with it. */
static void
canned_event(struct bufferevent *bev, short what, void *arg)
{
	canned_close(arg, bev);
}

/* Reads and forgets whatever else the client sends. */
static void
canned_drain(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);

	evbuffer_drain(in, evbuffer_get_length(in));
}

/* The reply is out: end the stream, and wait for the client to close. */
static void
canned_written(struct bufferevent *bev, void *arg)
{
	shutdown(bufferevent_getfd(bev), SHUT_WR);
	bufferevent_setcb(bev, canned_drain, NULL, canned_event, arg);
}

/* Sends the reply once the client has said something. */
static void
canned_read(struct bufferevent *bev, void *arg)
{
	struct canned *cn = arg;

	canned_drain(bev, arg);
	bufferevent_setcb(bev, canned_drain, canned_written, canned_event, cn);
	bufferevent_write(bev, cn->reply, cn->len);
}

/* Accepts a connection and waits for its first bytes. */
static void
canned_accept(evutil_socket_t fd, short what, void *arg)
{
	struct canned *cn = arg;
	int c = accept(fd, NULL, NULL);
	struct bufferevent *bev;
	size_t i;

	if (c < 0)
		return;
	for (i = 0; i < sizeof(cn->conns) / sizeof(cn->conns[0]) && cn->conns[i] != NULL; i++)
		;
	if (i == sizeof(cn->conns) / sizeof(cn->conns[0])) {
		close(c);
		return;
	}
	evutil_make_socket_nonblocking(c);
	bev = cn->conns[i] = bufferevent_socket_new(base, c, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(bev, canned_read, NULL, canned_event, cn);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

/* Starts such a server on base, answering with reply (len bytes); returns its port. */
static int
canned_start(struct canned *cn, const char *reply, size_t len)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sin);

	memset(cn, 0, sizeof(*cn));
	cn->reply = xmalloc(len);
	memcpy(cn->reply, reply, len);
	cn->len = len;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cn->fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(cn->fd, 0);
	ck_assert_int_eq(bind(cn->fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(cn->fd, 8), 0);
	ck_assert_int_eq(getsockname(cn->fd, (struct sockaddr *)&sin, &sl), 0);
	cn->accept_ev = event_new(base, cn->fd, EV_READ | EV_PERSIST, canned_accept, cn);
	event_add(cn->accept_ev, NULL);
	return ntohs(sin.sin_port);
}

static void
canned_stop(struct canned *cn)
{
	for (size_t i = 0; i < sizeof(cn->conns) / sizeof(cn->conns[0]); i++)
		if (cn->conns[i] != NULL)
			bufferevent_free(cn->conns[i]);
	event_free(cn->accept_ev);
	close(cn->fd);
	free(cn->reply);
}

/* Starts a canned server whose reply is not TLS; returns its port. */
static int
not_tls_start(struct canned *cn)
{
	static const char text[] = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n";

	return canned_start(cn, text, sizeof(text) - 1);
}

START_TEST(test_tls_to_a_server_not_speaking_it_fails_as_retry)
{
	struct canned srv;
	char *url = xasprintf("https://127.0.0.1:%d" SECRET_PATH, not_tls_start(&srv));
	struct got g = {0};

	post_url(url, false, "{}", 30000, &g);
	free(url);
	run_until(&g.calls, 1);
	ck_assert_int_eq(g.status, 0);
	ck_assert_int_eq(g.verdict, HTTP_RETRY);
	ck_assert_str_eq(g.error, "TLS handshake failed");
	canned_stop(&srv);
	got_clear(&g);
}
END_TEST

START_TEST(test_a_body_past_the_cap_ends_the_transfer_but_the_status_counts)
{
	static const char head[] = "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n";
	size_t len = sizeof(head) - 1 + 100000;
	char *reply = xmalloc(len), *url, *want = xmalloc(HTTP_EXCERPT_MAX + 1);
	struct canned srv;
	struct got g = {0};

	memcpy(reply, head, sizeof(head) - 1);
	memset(reply + sizeof(head) - 1, 'a', 100000);
	url = xasprintf("http://127.0.0.1:%d" SECRET_PATH, canned_start(&srv, reply, len));
	post_url(url, true, "{}", 5000, &g);
	run_until(&g.calls, 1);
	ck_assert_int_eq(g.status, 200);
	ck_assert_int_eq(g.verdict, HTTP_OK);
	ck_assert_ptr_null(g.error);
	memset(want, 'a', HTTP_EXCERPT_MAX);
	want[HTTP_EXCERPT_MAX] = '\0';
	ck_assert_str_eq(g.excerpt, want);
	canned_stop(&srv);
	got_clear(&g);
	free(url);
	free(reply);
	free(want);
}
END_TEST

START_TEST(test_excerpt_is_one_line_and_never_ends_inside_a_character)
{
	/* "x\ny" then 150 two-byte characters: the 200-byte cut falls inside the 99th. */
	char body[3 + 300 + 1], *reply, *url, want[3 + 2 * 98 + 1];
	struct canned srv;
	struct got g = {0};

	memcpy(body, "x\ny", 3);
	for (int i = 0; i < 150; i++)
		memcpy(body + 3 + 2 * i, "\xc3\xa9", 2);
	body[303] = '\0';
	reply = xasprintf("HTTP/1.1 400 Bad Request\r\nContent-Length: 303\r\n\r\n%s", body);
	url =
	    xasprintf("http://127.0.0.1:%d" SECRET_PATH, canned_start(&srv, reply, strlen(reply)));
	post_url(url, true, "{}", 5000, &g);
	run_until(&g.calls, 1);
	ck_assert_int_eq(g.status, 400);
	ck_assert_int_eq(g.verdict, HTTP_PERMANENT);
	/* The newline blanked; 98 whole characters; the half of the 99th dropped. */
	memcpy(want, "x y", 3);
	memcpy(want + 3, body + 3, 2 * 98);
	want[3 + 2 * 98] = '\0';
	ck_assert_str_eq(g.excerpt, want);
	canned_stop(&srv);
	got_clear(&g);
	free(url);
	free(reply);
}
END_TEST

START_TEST(test_no_error_names_the_url_or_its_path)
{
	/* got_cb checks every error and excerpt of every test; here each kind of failure
	 * once more, side by side on one client. */
	char *hang = url_for("/hang" SECRET_PATH), *reset = url_for("/reset" SECRET_PATH);
	char *nf = url_for("/nf" SECRET_PATH);
	char *refused =
	    xasprintf("http://127.0.0.1:%d" SECRET_PATH "?token=SECRET123", dead_port());
	struct canned srv;
	char *tls = xasprintf("https://127.0.0.1:%d" SECRET_PATH, not_tls_start(&srv));
	struct got g[7];
	int done = 0;

	memset(g, 0, sizeof(g));
	write_plan("/hang hang\n/reset reset\n/nf 404\n");
	post_url(hang, true, "{}", 300, &g[0]);
	post_url(reset, true, "{}", 30000, &g[1]);
	post_url(refused, true, "{}", 30000, &g[2]);
	post_url(tls, false, "{}", 30000, &g[3]);
	post_url(hang, false, "{}", 30000, &g[4]);
	post_url("https://[::1" SECRET_PATH, false, "{}", 30000, &g[5]);
	post_url(nf, true, "{}", 30000, &g[6]);
	while (done < 7) {
		run_until(&g[done].calls, 1);
		done++;
	}
	for (int i = 0; i < 7; i++) {
		ck_assert_int_eq(g[i].calls, 1);
		ck_assert_msg(i == 6 ? g[i].error == NULL : g[i].error != NULL, "request %d", i);
		got_clear(&g[i]);
	}
	free(hang);
	free(reset);
	free(nf);
	free(refused);
	free(tls);
	canned_stop(&srv);
}
END_TEST

START_TEST(test_plan_actions_run_in_order_and_the_last_repeats)
{
	static const int want[] = {500, 429, 200, 200};
	struct got g = {0};

	write_plan("# the first matching line decides\n"
		   "/other 404\n"
		   "/services 500 429 3 200\n"
		   "* 202\n");
	for (size_t i = 0; i < 4; i++) {
		post_once("{}", &g);
		ck_assert_int_eq(g.status, want[i]);
		ck_assert_int_eq(g.retry_after, i == 1 ? 3 : -1);
		got_clear(&g);
	}
	post("/other/x", "{}", &g);
	run_until(&g.calls, 1);
	ck_assert_int_eq(g.status, 404);
	got_clear(&g);
	post("/elsewhere", "{}", &g);
	run_until(&g.calls, 1);
	ck_assert_int_eq(g.status, 202);
	got_clear(&g);
}
END_TEST

START_TEST(test_plan_rewritten_mid_run_applies_to_the_next_request)
{
	struct got g = {0};

	write_plan("* 500\n");
	post_once("{}", &g);
	ck_assert_int_eq(g.verdict, HTTP_RETRY);
	got_clear(&g);
	write_plan("* 200\n");
	post_once("{}", &g);
	ck_assert_int_eq(g.verdict, HTTP_OK);
	got_clear(&g);
}
END_TEST

START_TEST(test_two_hundred_parallel_posts_complete_once_each_within_the_bound)
{
	enum { N = 200, BOUND = 16 };
	struct got *g = xcalloc(N, sizeof(*g));
	bool seen[N] = {false};
	struct http_stats st;
	char *log, *line, *save = NULL;
	int total = 0;

	http_set_max_inflight(hc, BOUND);
	for (int i = 0; i < N; i++) {
		char body[32];

		snprintf(body, sizeof(body), "{\"n\":%d}", i);
		post(SECRET_PATH, body, &g[i]);
	}
	http_get_stats(hc, &st);
	ck_assert_uint_eq(st.queued, N);
	for (int i = 0; i < N; i++) {
		run_until(&g[i].calls, 1);
	}
	event_base_loop(base, EVLOOP_NONBLOCK);
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(g[i].calls, 1);
		ck_assert_int_eq(g[i].status, 200);
		total += g[i].calls;
		got_clear(&g[i]);
	}
	ck_assert_int_eq(total, N);
	http_get_stats(hc, &st);
	ck_assert_uint_eq(st.submitted, N);
	ck_assert_uint_eq(st.completed, N);
	ck_assert_uint_eq(st.inflight, 0);
	ck_assert_uint_eq(st.queued, 0);
	ck_assert_uint_le(st.max_inflight, BOUND);
	ck_assert_uint_ge(st.max_inflight, 2);
	ck_assert_uint_eq(httprecv_count(rcv), N);
	/* Each body arrived once. */
	log = read_log();
	for (line = strtok_r(log, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		json_t *o = json_loads(line, 0, NULL), *inner;
		int n;

		ck_assert_ptr_nonnull(o);
		inner = json_loads(json_string_value(json_object_get(o, "body")), 0, NULL);
		ck_assert_ptr_nonnull(inner);
		n = (int)json_integer_value(json_object_get(inner, "n"));
		ck_assert(n >= 0 && n < N && !seen[n]);
		seen[n] = true;
		json_decref(inner);
		json_decref(o);
	}
	for (int i = 0; i < N; i++)
		ck_assert(seen[i]);
	free(log);
	free(g);
}
END_TEST

START_TEST(test_queued_request_timeout_starts_when_it_is_sent)
{
	char *slow = url_for("/slow"), *fast = url_for("/fast");
	struct got a = {0}, b = {0};

	/* One slot: b waits behind a, which hangs until its timeout, longer than b's. */
	write_plan("/slow hang\n* 200\n");
	http_set_max_inflight(hc, 1);
	post_url(slow, true, "{}", 800, &a);
	post_url(fast, true, "{}", 600, &b);
	run_until(&b.calls, 1);
	ck_assert_int_eq(a.calls, 1);
	ck_assert_str_eq(a.error, "timed out");
	ck_assert_int_eq(b.status, 200);
	ck_assert_int_eq(b.verdict, HTTP_OK);
	free(slow);
	free(fast);
	got_clear(&a);
	got_clear(&b);
}
END_TEST

START_TEST(test_free_with_requests_in_flight_cancels_each_once)
{
	enum { N = 10 };
	struct got g[N];

	memset(g, 0, sizeof(g));
	write_plan("* hang\n");
	http_set_max_inflight(hc, 4);
	for (int i = 0; i < N; i++)
		post(SECRET_PATH, "{}", &g[i]);
	run_until_received(4);
	for (int i = 0; i < N; i++)
		ck_assert_int_eq(g[i].calls, 0);
	http_free(hc);
	hc = NULL;
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(g[i].calls, 1);
		ck_assert(g[i].cancelled);
		ck_assert_int_eq(g[i].verdict, HTTP_RETRY);
		ck_assert_int_eq(g[i].status, 0);
		ck_assert_str_eq(g[i].error, "cancelled");
	}
	/* Nothing of the client is left to fire. */
	event_base_loop(base, EVLOOP_NONBLOCK);
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(g[i].calls, 1);
		got_clear(&g[i]);
	}
}
END_TEST

START_TEST(test_cancel_all_leaves_the_client_usable)
{
	struct got g[3], after = {0};

	memset(g, 0, sizeof(g));
	write_plan("* hang\n");
	for (int i = 0; i < 3; i++)
		post(SECRET_PATH, "{}", &g[i]);
	run_until_received(3);
	http_cancel_all(hc);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(g[i].calls, 1);
		ck_assert_str_eq(g[i].error, "cancelled");
		got_clear(&g[i]);
	}
	write_plan("* 200\n");
	post_once("{}", &after);
	ck_assert_int_eq(after.verdict, HTTP_OK);
	got_clear(&after);
}
END_TEST

START_TEST(test_a_done_callback_may_free_the_client)
{
	struct got first = {.free_client = true}, rest[2];

	memset(rest, 0, sizeof(rest));
	http_set_max_inflight(hc, 1);
	post(SECRET_PATH, "{}", &first);
	post(SECRET_PATH, "{}", &rest[0]);
	post(SECRET_PATH, "{}", &rest[1]);
	run_until(&first.calls, 1);
	ck_assert_ptr_null(hc);
	ck_assert_int_eq(first.status, 200);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(rest[i].calls, 1);
		ck_assert(rest[i].cancelled);
	}
	event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_int_eq(first.calls, 1);
	got_clear(&first);
	got_clear(&rest[0]);
	got_clear(&rest[1]);
}
END_TEST

START_TEST(test_a_done_callback_may_post_again)
{
	struct got g = {.chain = 5};

	post(SECRET_PATH, "{}", &g);
	run_until(&g.calls, 5);
	ck_assert_int_eq(g.calls, 5);
	ck_assert_int_eq(g.status, 200);
	ck_assert_uint_eq(httprecv_count(rcv), 5);
	got_clear(&g);
}
END_TEST

START_TEST(test_malformed_headers_are_refused_without_a_callback)
{
	static char crlf[] = "X-Bad: a\r\nInjected: b", word[] = "NoColon";
	char *const bad[] = {crlf}, *const nocolon[] = {word};
	char *url = url_for(SECRET_PATH);
	struct http_request r = {.url = url, .allow_http = true, .headers = bad, .nheaders = 1};
	struct got g = {0};
	char *err = NULL;

	ck_assert_int_eq(http_post(hc, &r, got_cb, &g, &err), -1);
	ck_assert_str_eq(err, "HTTP header 1 is not one \"Name: value\" line");
	free(err);
	err = NULL;
	r.headers = nocolon;
	ck_assert_int_eq(http_post(hc, &r, got_cb, &g, &err), -1);
	free(err);
	event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_int_eq(g.calls, 0);
	free(url);
}
END_TEST

START_TEST(test_status_verdicts)
{
	static const int ok[] = {200, 201, 202, 204, 299};
	static const int retry[] = {408, 425, 429, 500, 502, 503, 504, 599};
	static const int permanent[] = {0,   100, 301, 302, 304, 400, 401, 403,
					404, 405, 410, 413, 418, 422, 451, 600};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		ck_assert_int_eq(http_verdict_of_status(ok[i]), HTTP_OK);
	for (size_t i = 0; i < sizeof(retry) / sizeof(retry[0]); i++)
		ck_assert_int_eq(http_verdict_of_status(retry[i]), HTTP_RETRY);
	for (size_t i = 0; i < sizeof(permanent) / sizeof(permanent[0]); i++)
		ck_assert_msg(http_verdict_of_status(permanent[i]) == HTTP_PERMANENT, "%d",
			      permanent[i]);
	ck_assert_str_eq(http_verdict_name(HTTP_PERMANENT), "permanent");
}
END_TEST

START_TEST(test_retry_after_values)
{
	/* 784111777 is Sun, 06 Nov 1994 08:49:37 GMT. */
	const long long now = 784111777 - 100;

	ck_assert_int_eq(http_retry_after_parse("7", now), 7);
	ck_assert_int_eq(http_retry_after_parse(" 120 ", now), 120);
	ck_assert_int_eq(http_retry_after_parse("0", now), 0);
	ck_assert_int_eq(http_retry_after_parse("99999999999999999999999", now), 2147483648LL);
	ck_assert_int_eq(http_retry_after_parse("Sun, 06 Nov 1994 08:49:37 GMT", now), 100);
	ck_assert_int_eq(http_retry_after_parse("Sunday, 06-Nov-94 08:49:37 GMT", now), 100);
	ck_assert_int_eq(http_retry_after_parse("Sun Nov  6 08:49:37 1994", now), 100);
	ck_assert_int_eq(http_retry_after_parse("Sun, 06 Nov 1994 08:49:37 GMT", now + 500), 0);
	ck_assert_int_eq(http_retry_after_parse(NULL, now), -1);
	ck_assert_int_eq(http_retry_after_parse("", now), -1);
	ck_assert_int_eq(http_retry_after_parse("-5", now), -1);
	ck_assert_int_eq(http_retry_after_parse("5s", now), -1);
	ck_assert_int_eq(http_retry_after_parse("1.5", now), -1);
	ck_assert_int_eq(http_retry_after_parse("soon", now), -1);
	ck_assert_int_eq(http_retry_after_parse("Sun, 06 Nov 1994 08:49:37", now), -1);
	ck_assert_int_eq(http_retry_after_parse("Sun, 06 Nov 1994 25:49:37 GMT", now), -1);
	ck_assert_int_eq(http_retry_after_parse("Sun, 32 Nov 1994 08:49:37 GMT", now), -1);
	ck_assert_int_eq(http_retry_after_parse("Sun, 06 Nox 1994 08:49:37 GMT", now), -1);
	ck_assert_int_eq(http_retry_after_parse("Sun, 06 Nov 1994 08:49:37 GMT junk", now), -1);
}
END_TEST

static Suite *
http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("receiver");
	TCase *pure = tcase_create("pure");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_200_is_ok_and_the_request_arrives_exactly);
	tcase_add_test(tc, test_202_is_ok_and_json_is_the_default_content_type);
	tcase_add_test(tc, test_500_is_retry);
	tcase_add_test(tc, test_429_with_retry_after_seconds_is_retry_after_them);
	tcase_add_test(tc, test_429_with_retry_after_http_date_is_retry_until_then);
	tcase_add_test(tc, test_404_and_410_are_permanent_and_the_echoed_path_is_masked);
	tcase_add_test(tc, test_redirect_is_permanent_and_not_followed);
	tcase_add_test(tc, test_hang_times_out_as_retry);
	tcase_add_test(tc, test_reset_is_retry);
	tcase_add_test(tc, test_connection_refused_is_retry);
	tcase_add_test(tc, test_plain_http_without_allow_http_is_permanent_and_never_sent);
	tcase_add_test(tc, test_other_schemes_and_malformed_urls_are_permanent);
	tcase_add_test(tc, test_tls_to_a_server_not_speaking_it_fails_as_retry);
	tcase_add_test(tc, test_a_body_past_the_cap_ends_the_transfer_but_the_status_counts);
	tcase_add_test(tc, test_excerpt_is_one_line_and_never_ends_inside_a_character);
	tcase_add_test(tc, test_no_error_names_the_url_or_its_path);
	tcase_add_test(tc, test_plan_actions_run_in_order_and_the_last_repeats);
	tcase_add_test(tc, test_plan_rewritten_mid_run_applies_to_the_next_request);
	tcase_add_test(tc, test_two_hundred_parallel_posts_complete_once_each_within_the_bound);
	tcase_add_test(tc, test_queued_request_timeout_starts_when_it_is_sent);
	tcase_add_test(tc, test_free_with_requests_in_flight_cancels_each_once);
	tcase_add_test(tc, test_cancel_all_leaves_the_client_usable);
	tcase_add_test(tc, test_a_done_callback_may_free_the_client);
	tcase_add_test(tc, test_a_done_callback_may_post_again);
	tcase_add_test(tc, test_malformed_headers_are_refused_without_a_callback);
	suite_add_tcase(s, tc);
	tcase_add_test(pure, test_status_verdicts);
	tcase_add_test(pure, test_retry_after_values);
	suite_add_tcase(s, pure);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	/* Loopback only: a proxy from the environment must not see the test traffic. */
	unsetenv("http_proxy");
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");
	testsecret("check_http", "slack_url_path", SECRET_PATH);
	testsecret("check_http", "url_token", "SECRET123");
	sr = srunner_create(http_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
