/* The HTTP endpoint: the metrics writer's text (golden, escaping, order), and the endpoint
 * itself on 127.0.0.1 and a free port with fake sources, asked by a raw socket client on the
 * same event base: /metrics, /-/healthy, /-/ready, /status, 404, 405, HEAD, listen errors. */
#include "config.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <event2/event.h>
#include <jansson.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "web.h"
#include "xmalloc.h"

static struct event_base *base;
static struct web *web;

/* What the fake sources answer. */
static bool fake_ready;
static bool fake_status_fails;
static int metrics_calls;

/* A response as read off the socket. */
struct resp {
	int status;
	char *head; /* status line and headers, "\r\n" separated */
	char *body;
	size_t body_len;
};

/* The fake /metrics source. */
static void
fake_metrics(struct web_metrics *w, void *arg)
{
	metrics_calls++;
	web_metrics_family(w, "test_requests_total", WEB_COUNTER, "Requests.");
	web_metrics_add(w, "test_requests_total", 3, "code", "200", NULL);
	web_metrics_family(w, "test_up", WEB_GAUGE, "Up.");
	web_metrics_add(w, "test_up", 1, NULL);
}

/* The fake /status source. */
static json_t *
fake_status(void *arg)
{
	if (fake_status_fails)
		return NULL;
	return json_pack("{s:s, s:i, s:[]}", "version", "9.9", "domains", 2, "firing");
}

/* The fake /-/ready source. */
static bool
fake_is_ready(void *arg)
{
	return fake_ready;
}

/* Starts the endpoint with the fake sources on a free port. */
static void
setup(void)
{
	static const struct web_source src = {
	    .metrics = fake_metrics, .status = fake_status, .ready = fake_is_ready};
	char *err = NULL;

	fake_ready = false;
	fake_status_fails = false;
	metrics_calls = 0;
	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	web = web_new(base, "127.0.0.1:0", &src, &err);
	ck_assert_msg(web != NULL, "web_new: %s", err);
	ck_assert_int_gt(web_port(web), 0);
}

static void
teardown(void)
{
	web_free(web);
	web = NULL;
	event_base_free(base);
	base = NULL;
}

/* A client reading one response until the server closes. */
struct client {
	char *buf;
	size_t len;
	bool done;
};

/* Reads what came; stops the loop at end of file. */
static void
client_read(evutil_socket_t fd, short what, void *arg)
{
	struct client *c = arg;
	char chunk[4096];
	ssize_t n;

	if (what & EV_TIMEOUT) {
		event_base_loopbreak(base);
		return;
	}
	n = read(fd, chunk, sizeof(chunk));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		c->done = true;
		event_base_loopbreak(base);
		return;
	}
	c->buf = xreallocarray(c->buf, c->len + (size_t)n + 1, 1);
	memcpy(c->buf + c->len, chunk, (size_t)n);
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
}

/* Connects to the endpoint (family AF_INET or AF_INET6 on loopback, at port). */
static int
connect_to(int family, int port)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};

	ck_assert_int_ge(fd, 0);
	if (family == AF_INET) {
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	} else {
		sin6.sin6_addr = in6addr_loopback;
		ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin6, sizeof(sin6)), 0);
	}
	return fd;
}

/* Sends raw request text to the endpoint on family and port and reads the whole answer. */
static struct resp
ask_at(int family, int port, const char *request)
{
	struct client c = {0};
	struct timeval limit = {5, 0};
	int fd = connect_to(family, port);
	struct event *ev;
	struct resp r = {0};
	char *sep;

	ck_assert_int_eq(write(fd, request, strlen(request)), (ssize_t)strlen(request));
	evutil_make_socket_nonblocking(fd);
	ev = event_new(base, fd, EV_READ | EV_PERSIST, client_read, &c);
	event_add(ev, &limit);
	event_base_dispatch(base);
	event_free(ev);
	close(fd);
	ck_assert_msg(c.done, "no complete answer to %s", request);
	ck_assert_ptr_nonnull(c.buf);
	sep = strstr(c.buf, "\r\n\r\n");
	ck_assert_ptr_nonnull(sep);
	*sep = '\0';
	r.head = c.buf;
	r.body = sep + 4;
	r.body_len = c.len - (size_t)(r.body - c.buf);
	ck_assert_int_eq(sscanf(r.head, "HTTP/1.%*d %d", &r.status), 1);
	return r;
}

/* Sends METHOD PATH to the endpoint and reads the answer. */
static struct resp
ask(const char *method, const char *path)
{
	char *req = xasprintf("%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
			      method, path);
	struct resp r = ask_at(AF_INET, web_port(web), req);

	free(req);
	return r;
}

/* The value of header name in a response, or NULL (static buffer). */
static const char *
header(const struct resp *r, const char *name)
{
	static char value[256];
	size_t n = strlen(name);

	for (const char *line = strstr(r->head, "\r\n"); line != NULL;
	     line = strstr(line + 2, "\r\n")) {
		const char *h = line + 2, *end = strstr(h, "\r\n");
		size_t len = end != NULL ? (size_t)(end - h) : strlen(h);

		if (len > n + 1 && strncasecmp(h, name, n) == 0 && h[n] == ':') {
			h += n + 1;
			len -= n + 1;
			while (len > 0 && *h == ' ') {
				h++;
				len--;
			}
			snprintf(value, sizeof(value), "%.*s", (int)len, h);
			return value;
		}
	}
	return NULL;
}

static void
resp_free(struct resp *r)
{
	free(r->head);
}

/* Renders a writer and frees it. */
static char *
render(struct web_metrics *w)
{
	size_t len;
	char *text = web_metrics_render(w, &len);

	ck_assert_uint_eq(len, strlen(text));
	web_metrics_free(w);
	return text;
}

START_TEST(test_writer_sorts_families_and_samples_with_help_and_type_once)
{
	struct web_metrics *w = web_metrics_new();
	char *text;

	ck_assert_int_eq(web_metrics_family(w, "mxwatch_z_total", WEB_COUNTER, "Zs."), 0);
	ck_assert_int_eq(web_metrics_family(w, "mxwatch_a", WEB_GAUGE, "As."), 0);
	ck_assert_int_eq(
	    web_metrics_add(w, "mxwatch_z_total", 2, "sink", "ops", "result", "sent", NULL), 0);
	/* Labels given in another order still come out sorted by name. */
	ck_assert_int_eq(
	    web_metrics_add(w, "mxwatch_z_total", 1, "result", "dead", "sink", "ops", NULL), 0);
	ck_assert_int_eq(
	    web_metrics_add(w, "mxwatch_z_total", 5, "sink", "audit", "result", "sent", NULL), 0);
	ck_assert_int_eq(web_metrics_add(w, "mxwatch_a", 7, NULL), 0);
	text = render(w);
	ck_assert_str_eq(text, "# HELP mxwatch_a As.\n"
			       "# TYPE mxwatch_a gauge\n"
			       "mxwatch_a 7\n"
			       "# HELP mxwatch_z_total Zs.\n"
			       "# TYPE mxwatch_z_total counter\n"
			       "mxwatch_z_total{result=\"dead\",sink=\"ops\"} 1\n"
			       "mxwatch_z_total{result=\"sent\",sink=\"audit\"} 5\n"
			       "mxwatch_z_total{result=\"sent\",sink=\"ops\"} 2\n");
	free(text);
}
END_TEST

START_TEST(test_writer_escapes_label_values_and_help_per_text_format_004)
{
	struct web_metrics *w = web_metrics_new();
	char *text;

	web_metrics_family(w, "mxwatch_x", WEB_GAUGE, "Back\\slash and\nnewline, \"quotes\" kept.");
	web_metrics_add(w, "mxwatch_x", 1, "name", "a\\b\"c\nd", NULL);
	web_metrics_add(w, "mxwatch_x", 2, "name", "caf\xc3\xa9 {x=\"y\"}", NULL);
	text = render(w);
	ck_assert_str_eq(text, "# HELP mxwatch_x Back\\\\slash and\\nnewline, \"quotes\" kept.\n"
			       "# TYPE mxwatch_x gauge\n"
			       "mxwatch_x{name=\"a\\\\b\\\"c\\nd\"} 1\n"
			       "mxwatch_x{name=\"caf\xc3\xa9 {x=\\\"y\\\"}\"} 2\n");
	free(text);
}
END_TEST

START_TEST(test_writer_formats_values_exactly)
{
	struct web_metrics *w = web_metrics_new();
	char *text;

	web_metrics_family(w, "v", WEB_GAUGE, "Values.");
	web_metrics_add(w, "v", 0, "k", "a", NULL);
	web_metrics_add(w, "v", 0.1, "k", "b", NULL);
	web_metrics_add(w, "v", 1.014, "k", "c", NULL);
	web_metrics_add(w, "v", -3, "k", "d", NULL);
	web_metrics_add(w, "v", 9007199254740992.0, "k", "e", NULL);
	web_metrics_add(w, "v", 1795425131, "k", "f", NULL);
	web_metrics_add(w, "v", NAN, "k", "g", NULL);
	web_metrics_add(w, "v", INFINITY, "k", "h", NULL);
	web_metrics_add(w, "v", -INFINITY, "k", "i", NULL);
	web_metrics_add(w, "v", 1.0 / 3.0, "k", "j", NULL);
	text = render(w);
	ck_assert_str_eq(text, "# HELP v Values.\n"
			       "# TYPE v gauge\n"
			       "v{k=\"a\"} 0\n"
			       "v{k=\"b\"} 0.1\n"
			       "v{k=\"c\"} 1.014\n"
			       "v{k=\"d\"} -3\n"
			       "v{k=\"e\"} 9007199254740992\n"
			       "v{k=\"f\"} 1795425131\n"
			       "v{k=\"g\"} NaN\n"
			       "v{k=\"h\"} +Inf\n"
			       "v{k=\"i\"} -Inf\n"
			       "v{k=\"j\"} 0.33333333333333331\n");
	free(text);
}
END_TEST

START_TEST(test_writer_keeps_an_empty_family_and_the_first_declaration)
{
	struct web_metrics *w = web_metrics_new();
	char *text;

	web_metrics_family(w, "mxwatch_firing", WEB_GAUGE, "Firing.");
	web_metrics_family(w, "mxwatch_firing", WEB_COUNTER, "Ignored.");
	text = render(w);
	ck_assert_str_eq(text, "# HELP mxwatch_firing Firing.\n"
			       "# TYPE mxwatch_firing gauge\n");
	free(text);
}
END_TEST

START_TEST(test_writer_replaces_a_sample_with_the_same_labels)
{
	struct web_metrics *w = web_metrics_new();
	char *text;

	web_metrics_family(w, "mxwatch_n", WEB_GAUGE, "N.");
	web_metrics_add(w, "mxwatch_n", 1, "a", "1", "b", "2", NULL);
	web_metrics_add(w, "mxwatch_n", 4, "b", "2", "a", "1", NULL);
	text = render(w);
	ck_assert_str_eq(text, "# HELP mxwatch_n N.\n"
			       "# TYPE mxwatch_n gauge\n"
			       "mxwatch_n{a=\"1\",b=\"2\"} 4\n");
	free(text);
}
END_TEST

START_TEST(test_writer_refuses_bad_names_undeclared_families_and_repeated_labels)
{
	struct web_metrics *w = web_metrics_new();
	char *text;

	ck_assert_int_eq(web_metrics_family(w, "9lives", WEB_GAUGE, "x"), -1);
	ck_assert_int_eq(web_metrics_family(w, "has-dash", WEB_GAUGE, "x"), -1);
	ck_assert_int_eq(web_metrics_family(w, "", WEB_GAUGE, "x"), -1);
	ck_assert_int_eq(web_metrics_family(w, "ns:ok_1", WEB_GAUGE, "x"), 0);
	ck_assert_int_eq(web_metrics_add(w, "undeclared", 1, NULL), -1);
	ck_assert_int_eq(web_metrics_add(w, "ns:ok_1", 1, "__reserved", "x", NULL), -1);
	ck_assert_int_eq(web_metrics_add(w, "ns:ok_1", 1, "a:b", "x", NULL), -1);
	ck_assert_int_eq(web_metrics_add(w, "ns:ok_1", 1, "1a", "x", NULL), -1);
	ck_assert_int_eq(web_metrics_add(w, "ns:ok_1", 1, "a", "x", "a", "y", NULL), -1);
	ck_assert_int_eq(web_metrics_add(w, "ns:ok_1", 2, "_a1", "x", NULL), 0);
	text = render(w);
	ck_assert_str_eq(text, "# HELP ns:ok_1 x\n"
			       "# TYPE ns:ok_1 gauge\n"
			       "ns:ok_1{_a1=\"x\"} 2\n");
	free(text);
}
END_TEST

START_TEST(test_metrics_are_served_in_the_text_format)
{
	struct resp r = ask("GET", "/metrics");

	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(header(&r, "Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
	ck_assert_str_eq(r.body, "# HELP test_requests_total Requests.\n"
				 "# TYPE test_requests_total counter\n"
				 "test_requests_total{code=\"200\"} 3\n"
				 "# HELP test_up Up.\n"
				 "# TYPE test_up gauge\n"
				 "test_up 1\n");
	ck_assert_str_eq(header(&r, "Content-Length"), "156");
	ck_assert_int_eq(metrics_calls, 1);
	resp_free(&r);
}
END_TEST

START_TEST(test_a_query_string_does_not_change_the_path)
{
	struct resp r = ask("GET", "/metrics?name[]=x");

	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "test_up 1\n"));
	resp_free(&r);
}
END_TEST

START_TEST(test_head_answers_the_headers_without_a_body)
{
	struct resp r = ask("HEAD", "/metrics");

	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(header(&r, "Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
	ck_assert_str_eq(header(&r, "Content-Length"), "156"); /* as GET would send */
	ck_assert_uint_eq(r.body_len, 0);
	resp_free(&r);
}
END_TEST

START_TEST(test_healthy_is_200_ok_while_the_loop_runs)
{
	struct resp r = ask("GET", "/-/healthy");

	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(header(&r, "Content-Type"), "text/plain; charset=utf-8");
	ck_assert_str_eq(r.body, "OK\n");
	resp_free(&r);
}
END_TEST

START_TEST(test_ready_is_503_until_the_source_says_ready_then_200)
{
	struct resp r = ask("GET", "/-/ready");

	ck_assert_int_eq(r.status, 503);
	ck_assert_str_eq(r.body, "not ready\n");
	resp_free(&r);
	fake_ready = true;
	r = ask("GET", "/-/ready");
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "OK\n");
	resp_free(&r);
	fake_ready = false; /* stopping */
	r = ask("GET", "/-/ready");
	ck_assert_int_eq(r.status, 503);
	resp_free(&r);
}
END_TEST

START_TEST(test_status_is_the_sources_json)
{
	struct resp r = ask("GET", "/status");
	json_error_t jerr;
	json_t *o;

	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(header(&r, "Content-Type"), "application/json");
	ck_assert_str_eq(r.body, "{\"version\":\"9.9\",\"domains\":2,\"firing\":[]}\n");
	o = json_loads(r.body, 0, &jerr);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "domains")), 2);
	json_decref(o);
	resp_free(&r);
}
END_TEST

START_TEST(test_status_without_data_is_500)
{
	struct resp r;

	fake_status_fails = true;
	r = ask("GET", "/status");
	ck_assert_int_eq(r.status, 500);
	ck_assert_str_eq(r.body, "status unavailable\n");
	resp_free(&r);
}
END_TEST

START_TEST(test_other_paths_are_404)
{
	static const char *const paths[] = {"/",   "/metrics/",	  "/Metrics", "/status.json",
					    "/-/", "/-/healthy/x"};

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct resp r = ask("GET", paths[i]);

		ck_assert_msg(r.status == 404, "%s: %d", paths[i], r.status);
		ck_assert_str_eq(r.body, "not found\n");
		resp_free(&r);
	}
	ck_assert_int_eq(metrics_calls, 0);
}
END_TEST

START_TEST(test_methods_other_than_get_and_head_are_405_with_allow)
{
	static const char *const methods[] = {"POST", "PUT", "DELETE", "OPTIONS", "PATCH"};

	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		struct resp r = ask(methods[i], "/metrics");

		ck_assert_msg(r.status == 405, "%s: %d", methods[i], r.status);
		ck_assert_str_eq(header(&r, "Allow"), "GET, HEAD");
		resp_free(&r);
	}
	ck_assert_int_eq(metrics_calls, 0);
}
END_TEST

START_TEST(test_one_connection_serves_several_requests)
{
	struct resp r = ask_at(AF_INET, web_port(web),
			       "GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n"
			       "GET /-/healthy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "HTTP/1.1 200 OK\r\n"));
	resp_free(&r);
}
END_TEST

START_TEST(test_free_with_an_idle_connection_open)
{
	int fd = connect_to(AF_INET, web_port(web));
	struct timeval tv = {0, 50000};

	/* Let the endpoint accept it, then free the endpoint under it. */
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	web_free(web);
	web = NULL;
	close(fd);
}
END_TEST

START_TEST(test_bad_listen_addresses_are_refused_with_a_message)
{
	static const char *const bad[] = {
	    "localhost:9749", "127.0.0.1",    "127.0.0.1:", "127.0.0.1:65536", "[::1]", "::1:9749",
	    "[::1]9749",      "127.0.0.1:9x", ":9749"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *err = NULL, *want;

		ck_assert_ptr_null(web_new(base, bad[i], NULL, &err));
		want = xasprintf("bad listen address \"%s\": expected an IP address and port, as "
				 "127.0.0.1:9749 or [::1]:9749",
				 bad[i]);
		ck_assert_str_eq(err, want);
		free(want);
		free(err);
	}
}
END_TEST

START_TEST(test_a_port_in_use_is_a_clear_error)
{
	char *addr = xasprintf("127.0.0.1:%d", web_port(web)), *err = NULL, *want;

	ck_assert_ptr_null(web_new(base, addr, NULL, &err));
	want = xasprintf("cannot listen on %s: Address already in use", addr);
	ck_assert_str_eq(err, want);
	free(want);
	free(err);
	free(addr);
}
END_TEST

START_TEST(test_ipv6_loopback_is_served)
{
	struct web *w6;
	struct resp r;
	char *err = NULL;
	int probe = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	bool has_v6 = probe >= 0 && bind(probe, (struct sockaddr *)&sin6, sizeof(sin6)) == 0;

	if (probe >= 0)
		close(probe);
	if (!has_v6)
		return; /* no ::1 on this machine */
	w6 = web_new(base, "[::1]:0", NULL, &err);
	ck_assert_msg(w6 != NULL, "web_new: %s", err);
	r = ask_at(AF_INET6, web_port(w6), "GET /-/ready HTTP/1.0\r\n\r\n");
	ck_assert_int_eq(r.status, 200); /* no ready source: always ready */
	ck_assert_str_eq(r.body, "OK\n");
	resp_free(&r);
	r = ask_at(AF_INET6, web_port(w6), "GET /metrics HTTP/1.0\r\n\r\n");
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, ""); /* no metrics source: nothing */
	resp_free(&r);
	r = ask_at(AF_INET6, web_port(w6), "GET /status HTTP/1.0\r\n\r\n");
	ck_assert_str_eq(r.body, "{}\n");
	resp_free(&r);
	web_free(w6);
}
END_TEST

static Suite *
web_suite(void)
{
	Suite *s = suite_create("web");
	TCase *writer = tcase_create("writer");
	TCase *tc = tcase_create("endpoint");

	tcase_add_test(writer, test_writer_sorts_families_and_samples_with_help_and_type_once);
	tcase_add_test(writer, test_writer_escapes_label_values_and_help_per_text_format_004);
	tcase_add_test(writer, test_writer_formats_values_exactly);
	tcase_add_test(writer, test_writer_keeps_an_empty_family_and_the_first_declaration);
	tcase_add_test(writer, test_writer_replaces_a_sample_with_the_same_labels);
	tcase_add_test(writer,
		       test_writer_refuses_bad_names_undeclared_families_and_repeated_labels);
	suite_add_tcase(s, writer);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_metrics_are_served_in_the_text_format);
	tcase_add_test(tc, test_a_query_string_does_not_change_the_path);
	tcase_add_test(tc, test_head_answers_the_headers_without_a_body);
	tcase_add_test(tc, test_healthy_is_200_ok_while_the_loop_runs);
	tcase_add_test(tc, test_ready_is_503_until_the_source_says_ready_then_200);
	tcase_add_test(tc, test_status_is_the_sources_json);
	tcase_add_test(tc, test_status_without_data_is_500);
	tcase_add_test(tc, test_other_paths_are_404);
	tcase_add_test(tc, test_methods_other_than_get_and_head_are_405_with_allow);
	tcase_add_test(tc, test_one_connection_serves_several_requests);
	tcase_add_test(tc, test_free_with_an_idle_connection_open);
	tcase_add_test(tc, test_bad_listen_addresses_are_refused_with_a_message);
	tcase_add_test(tc, test_a_port_in_use_is_a_clear_error);
	tcase_add_test(tc, test_ipv6_loopback_is_served);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(web_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
