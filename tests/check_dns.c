/* The async DNS core against a real NSD on loopback, and against a fake for malformed
 * answers. */
#include "config.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <check.h>
#include <event2/event.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dns.h"
#include "dns_fmt.h"
#include "fakedns.h"
#include "testns.h"
#include "xmalloc.h"

static struct testns *ns;

/* What one query gave, kept past its callback. */
struct got {
	int calls;
	enum dns_outcome outcome;
	bool cancelled;
	uint32_t ttl;
	size_t nrrs, ncnames;
	char *text; /* dns_fmt_text output */
	json_t *json;
};

/* Starts the NSD shared by every test of the suite. */
static void
ns_setup(void)
{
	ns = testns_start_fixtures();
}

static void
ns_teardown(void)
{
	testns_stop(ns);
	ns = NULL;
}

/* Records a result. */
static void
got_cb(const struct dns_result *res, void *arg)
{
	struct got *g = arg;
	size_t len;
	FILE *f;

	g->calls++;
	g->outcome = res->outcome;
	g->cancelled = res->cancelled;
	g->ttl = res->ttl;
	g->nrrs = res->nrrs;
	g->ncnames = res->ncnames;
	free(g->text);
	f = open_memstream(&g->text, &len);
	dns_fmt_text(f, res);
	fclose(f);
	json_decref(g->json);
	g->json = dns_fmt_json(res);
}

static void
got_clear(struct got *g)
{
	free(g->text);
	json_decref(g->json);
	memset(g, 0, sizeof(*g));
}

/* Options for the test server, with short timeouts. */
static void
test_options(struct dns_options *o, const char **servers, size_t n)
{
	dns_options_init(o);
	o->servers = servers;
	o->nservers = n;
	o->timeout_ms = 300;
	o->tries = 2;
}

/* Resolves one (name, type) with options o and waits for the callback. */
static void
ask_with(const struct dns_options *o, const char *name, uint16_t type, struct got *g)
{
	struct event_base *base = event_base_new();
	char *err = NULL;
	struct dns_resolver *r = dns_new(base, o, &err);

	ck_assert_msg(r != NULL, "dns_new: %s", err);
	g->calls = 0;
	ck_assert_int_eq(dns_query(r, name, type, got_cb, g), 0);
	ck_assert_int_eq(g->calls, 0); /* never from inside dns_query */
	event_base_dispatch(base);
	ck_assert_int_eq(g->calls, 1);
	/* An idle resolver keeps nothing pending: the loop sleeps between cycles. */
	ck_assert_int_eq(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), 0);
	dns_free(r);
	ck_assert_int_eq(g->calls, 1);
	event_base_free(base);
}

/* Resolves one (name, type) at the test NSD. */
static void
ask(const char *name, uint16_t type, struct got *g)
{
	const char *servers[] = {testns_server(ns)};
	struct dns_options o;

	test_options(&o, servers, 1);
	ask_with(&o, name, type, g);
}

START_TEST(test_mx_answer_lists_records_with_ttls_in_preference_order)
{
	struct got g = {0};

	ask("Example.TEST", DNS_T_MX, &g);
	ck_assert_int_eq(g.outcome, DNS_ANSWER);
	ck_assert_str_eq(g.text, "example.test. MX answer\n"
				 "example.test. 300 MX 10 mail.example.test.\n"
				 "example.test. 300 MX 20 backup.example.net.\n");
	ck_assert_int_eq(g.ttl, 300);
	got_clear(&g);
}
END_TEST

START_TEST(test_a_aaaa_ptr_ns_soa_answers)
{
	struct got g = {0};

	ask("mail.example.test", DNS_T_A, &g);
	ck_assert_str_eq(g.text,
			 "mail.example.test. A answer\nmail.example.test. 600 A 192.0.2.25\n");
	ck_assert_int_eq(g.ttl, 600);
	ask("mail.example.test", DNS_T_AAAA, &g);
	ck_assert_str_eq(
	    g.text, "mail.example.test. AAAA answer\nmail.example.test. 600 AAAA 2001:db8::25\n");
	ask("80.2.0.192.in-addr.arpa", DNS_T_PTR, &g);
	ck_assert_str_eq(g.text, "80.2.0.192.in-addr.arpa. PTR answer\n"
				 "80.2.0.192.in-addr.arpa. 300 PTR example.test.\n"
				 "80.2.0.192.in-addr.arpa. 300 PTR www.example.test.\n");
	ask("example.test", DNS_T_NS, &g);
	ck_assert_str_eq(g.text,
			 "example.test. NS answer\nexample.test. 300 NS ns1.example.test.\n");
	ask("example.test", DNS_T_SOA, &g);
	ck_assert_str_eq(g.text,
			 "example.test. SOA answer\nexample.test. 300 SOA "
			 "ns1.example.test. hostmaster.example.test. 1 3600 900 604800 60\n");
	got_clear(&g);
}
END_TEST

START_TEST(test_nodata_has_negative_ttl_from_soa)
{
	struct got g = {0};

	ask("only-a.example.test", DNS_T_MX, &g);
	ck_assert_int_eq(g.outcome, DNS_NODATA);
	ck_assert_str_eq(g.text, "only-a.example.test. MX nodata\n");
	ck_assert_int_eq(g.ttl, 60); /* min(SOA TTL 300, SOA minimum 60) */
	got_clear(&g);
}
END_TEST

START_TEST(test_nxdomain)
{
	struct got g = {0};

	ask("nope.example.test", DNS_T_A, &g);
	ck_assert_int_eq(g.outcome, DNS_NXDOMAIN);
	ck_assert_str_eq(g.text, "nope.example.test. A nxdomain\n");
	ck_assert_int_eq(g.ttl, 60);
	got_clear(&g);
}
END_TEST

START_TEST(test_servfail_from_unloadable_zone)
{
	struct got g = {0};

	ask("broken.test", DNS_T_MX, &g);
	ck_assert_int_eq(g.outcome, DNS_SERVFAIL);
	ck_assert_str_eq(g.text,
			 "broken.test. MX servfail (the server could not answer (SERVFAIL))\n");
	ck_assert(!dns_outcome_is_known(g.outcome));
	got_clear(&g);
}
END_TEST

START_TEST(test_refused_for_zone_not_served)
{
	struct got g = {0};

	ask("example.org", DNS_T_MX, &g);
	ck_assert_int_eq(g.outcome, DNS_REFUSED);
	ck_assert_str_eq(g.text,
			 "example.org. MX refused (the server refused to answer (REFUSED))\n");
	got_clear(&g);
}
END_TEST

/* Binds a UDP socket on 127.0.0.1 that nobody reads: queries to it get no answer and no
 * ICMP error. Writes "127.0.0.1:PORT" into server (32 bytes); returns the socket. */
static int
silent_server(char *server)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	snprintf(server, 32, "127.0.0.1:%u", ntohs(sin.sin_port));
	return fd;
}

START_TEST(test_timeout_when_nothing_answers)
{
	char server[32];
	int fd = silent_server(server);
	const char *servers[] = {server};
	struct dns_options o;
	struct got g = {0};

	test_options(&o, servers, 1);
	o.timeout_ms = 100;
	o.tries = 2;
	ask_with(&o, "example.test", DNS_T_MX, &g);
	ck_assert_int_eq(g.outcome, DNS_TIMEOUT);
	ck_assert_str_eq(g.text, "example.test. MX timeout (no answer from any server)\n");
	close(fd);
	got_clear(&g);
}
END_TEST

START_TEST(test_error_for_a_name_that_cannot_be_asked)
{
	struct got g = {0};

	ask("a..example.test", DNS_T_A, &g);
	ck_assert_int_eq(g.outcome, DNS_ERROR);
	ck_assert_str_eq(g.text, "a..example.test. A error (cannot ask for \"a..example.test.\": "
				 "Misformatted domain name)\n");
	got_clear(&g);
}
END_TEST

START_TEST(test_txt_strings_kept_and_joined)
{
	struct got g = {0};
	json_t *rec;

	ask("example.test", DNS_T_TXT, &g);
	ck_assert_str_eq(g.text,
			 "example.test. TXT answer\nexample.test. 300 TXT "
			 "\"v=spf1 ip4:192.0.2.0/24 \" \"include:_spf.example.net ~all\"\n");
	rec = json_array_get(json_object_get(g.json, "records"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(rec, "text")),
			 "v=spf1 ip4:192.0.2.0/24 include:_spf.example.net ~all");
	ck_assert_int_eq(json_array_size(json_object_get(rec, "strings")), 2);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(rec, "strings"), 1)),
			 "include:_spf.example.net ~all");
	got_clear(&g);
}
END_TEST

START_TEST(test_txt_255_byte_string_and_escapes)
{
	struct got g = {0};
	char want[400];
	json_t *rec;

	ask("long.example.test", DNS_T_TXT, &g);
	rec = json_array_get(json_object_get(g.json, "records"), 0);
	memset(want, 'a', 255);
	want[255] = '\0';
	ck_assert_str_eq(json_string_value(json_object_get(rec, "text")), want);
	ask("quote.example.test", DNS_T_TXT, &g);
	ck_assert_str_eq(g.text, "quote.example.test. TXT answer\nquote.example.test. 300 TXT "
				 "\"say \\\"hi\\\"; then\\\\leave\" \"\\007bell\"\n");
	got_clear(&g);
}
END_TEST

START_TEST(test_hundred_record_rrset)
{
	struct got g = {0};
	json_t *recs;

	ask("hundred.example.test", DNS_T_A, &g);
	ck_assert_int_eq(g.outcome, DNS_ANSWER);
	ck_assert_int_eq(g.nrrs, 100);
	recs = json_object_get(g.json, "records");
	for (size_t i = 0; i < 100; i++)
		ck_assert_int_eq(
		    json_integer_value(json_object_get(json_array_get(recs, i), "ttl")), 300);
	/* Canonical order: by the presentation bytes. */
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(recs, 0), "data")),
			 "10.0.0.1");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(recs, 1), "data")),
			 "10.0.0.10");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(recs, 99), "data")),
			 "10.0.0.99");
	got_clear(&g);
}
END_TEST

START_TEST(test_answer_too_large_for_udp_comes_over_tcp)
{
	const char *servers[] = {testns_server(ns)};
	struct dns_options o;
	struct got g = {0};

	/* 4 kB of TXT: NSD sets TC over UDP whatever the EDNS size. */
	ask("bigtxt.example.test", DNS_T_TXT, &g);
	ck_assert_int_eq(g.outcome, DNS_ANSWER);
	ck_assert_int_eq(g.nrrs, 20);
	/* Without EDNS, UDP stops at 512 bytes: the 1.6 kB set must come over TCP. */
	test_options(&o, servers, 1);
	o.edns_size = 0;
	ask_with(&o, "hundred.example.test", DNS_T_A, &g);
	ck_assert_int_eq(g.outcome, DNS_ANSWER);
	ck_assert_int_eq(g.nrrs, 100);
	got_clear(&g);
}
END_TEST

START_TEST(test_cname_chain_followed_with_ttls)
{
	struct got g = {0};

	ask("www.example.test", DNS_T_A, &g);
	ck_assert_int_eq(g.outcome, DNS_ANSWER);
	ck_assert_int_eq(g.ncnames, 2);
	ck_assert_str_eq(g.text, "www.example.test. A answer\n"
				 "www.example.test. 120 CNAME web.example.test.\n"
				 "web.example.test. 60 CNAME mail.example.test.\n"
				 "mail.example.test. 600 A 192.0.2.25\n");
	ck_assert_int_eq(g.ttl, 600);
	got_clear(&g);
}
END_TEST

START_TEST(test_cname_leaving_the_zone_is_asked_again)
{
	struct got g = {0};

	ask("away.example.test", DNS_T_A, &g);
	ck_assert_str_eq(g.text, "away.example.test. A answer\n"
				 "away.example.test. 300 CNAME target.other.test.\n"
				 "target.other.test. 450 A 192.0.2.99\n");
	ask("dangling.example.test", DNS_T_A, &g);
	ck_assert_int_eq(g.outcome, DNS_NXDOMAIN);
	ck_assert_str_eq(g.text, "dangling.example.test. A nxdomain\n"
				 "dangling.example.test. 300 CNAME nowhere.other.test.\n");
	got_clear(&g);
}
END_TEST

START_TEST(test_cname_loop_is_an_error)
{
	struct got g = {0};

	ask("loop1.example.test", DNS_T_A, &g);
	ck_assert_int_eq(g.outcome, DNS_ERROR);
	ck_assert_str_eq(g.text, "loop1.example.test. A error (CNAME loop at loop1.example.test.)\n"
				 "loop1.example.test. 300 CNAME loop2.example.test.\n");
	got_clear(&g);
}
END_TEST

START_TEST(test_cname_asked_directly_is_not_followed)
{
	struct got g = {0};

	ask("www.example.test", DNS_T_CNAME, &g);
	ck_assert_str_eq(g.text, "www.example.test. CNAME answer\n"
				 "www.example.test. 120 CNAME web.example.test.\n");
	got_clear(&g);
}
END_TEST

START_TEST(test_ipv6_server_address)
{
	const char *servers[] = {testns_server6(ns)};
	struct dns_options o;
	struct got g = {0};

	ck_assert_msg(servers[0] != NULL, "the test server does not listen on ::1");
	test_options(&o, servers, 1);
	ask_with(&o, "v6only.example.test", DNS_T_AAAA, &g);
	ck_assert_str_eq(
	    g.text,
	    "v6only.example.test. AAAA answer\nv6only.example.test. 300 AAAA 2001:db8::6\n");
	got_clear(&g);
}
END_TEST

START_TEST(test_second_server_answers_when_first_is_silent)
{
	char dead[32];
	int fd = silent_server(dead);
	const char *servers[] = {dead, testns_server(ns)};
	struct dns_options o;
	struct got g = {0};

	test_options(&o, servers, 2);
	o.timeout_ms = 100;
	ask_with(&o, "mail.example.test", DNS_T_A, &g);
	ck_assert_str_eq(g.text,
			 "mail.example.test. A answer\nmail.example.test. 600 A 192.0.2.25\n");
	close(fd);
	got_clear(&g);
}
END_TEST

START_TEST(test_zone_change_is_seen_after_reload)
{
	struct got g = {0};
	char *err = NULL;
	const char *src = getenv("MXW_SRCDIR");
	char *orig = xasprintf("%s/tests/zones/other.test.zone", src ? src : ".");

	ask("target.other.test", DNS_T_A, &g);
	ck_assert_str_eq(g.text,
			 "target.other.test. A answer\ntarget.other.test. 450 A 192.0.2.99\n");
	ck_assert_msg(testns_set_zone(ns, "other.test",
				      "@ 300 NS ns1.example.test.\ntarget 30 A 192.0.2.100\n",
				      &err) == 0,
		      "%s", err);
	ask("target.other.test", DNS_T_A, &g);
	ck_assert_str_eq(g.text,
			 "target.other.test. A answer\ntarget.other.test. 30 A 192.0.2.100\n");
	ck_assert_msg(testns_set_zone_file(ns, "other.test", orig, &err) == 0, "%s", err);
	ask("target.other.test", DNS_T_A, &g);
	ck_assert_str_eq(g.text,
			 "target.other.test. A answer\ntarget.other.test. 450 A 192.0.2.99\n");
	free(orig);
	got_clear(&g);
}
END_TEST

/* Counts callbacks of a burst. */
struct burst {
	size_t calls, answers, cancelled, requeue_refused;
	struct dns_resolver *r;
};

static void
burst_cb(const struct dns_result *res, void *arg)
{
	struct burst *b = arg;

	b->calls++;
	if (res->outcome == DNS_ANSWER)
		b->answers++;
	if (res->cancelled) {
		b->cancelled++;
		/* A callback run by dns_free cannot start new work. */
		if (dns_query(b->r, "mail.example.test", DNS_T_A, burst_cb, b) == -1)
			b->requeue_refused++;
	}
}

START_TEST(test_ten_thousand_queries_complete_within_the_inflight_bound)
{
	static const char *names[] = {"mail.example.test", "example.test", "www.example.test",
				      "only-a.example.test", "v6only.example.test"};
	static const uint16_t types[] = {DNS_T_A, DNS_T_MX, DNS_T_A, DNS_T_A, DNS_T_AAAA};
	const char *servers[] = {testns_server(ns)};
	struct event_base *base = event_base_new();
	struct dns_options o;
	struct dns_stats st;
	struct burst b = {0};
	char *err = NULL;
	struct dns_resolver *r;

	test_options(&o, servers, 1);
	o.max_inflight = 100;
	o.timeout_ms = 2000;
	o.tries = 3;
	r = dns_new(base, &o, &err);
	ck_assert_msg(r != NULL, "%s", err);
	for (int i = 0; i < 10000; i++)
		ck_assert_int_eq(dns_query(r, names[i % 5], types[i % 5], burst_cb, &b), 0);
	dns_get_stats(r, &st);
	ck_assert_int_eq(st.queued, 10000);
	ck_assert_int_eq(st.inflight, 0);
	event_base_dispatch(base);
	dns_get_stats(r, &st);
	ck_assert_int_eq(b.calls, 10000);
	ck_assert_int_eq(b.answers, 10000);
	ck_assert_int_eq(st.submitted, 10000);
	ck_assert_int_eq(st.completed, 10000);
	ck_assert_int_eq(st.by_outcome[DNS_ANSWER], 10000);
	ck_assert_int_eq(st.max_inflight, 100);
	ck_assert_int_eq(st.inflight, 0);
	ck_assert_int_eq(st.queued, 0);
	dns_free(r);
	event_base_free(base);
}
END_TEST

/* Stops the loop. */
static void
stop_cb(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopbreak(arg);
}

START_TEST(test_free_with_queries_pending_cancels_each_once)
{
	char dead[32];
	int fd = silent_server(dead);
	const char *servers[] = {dead};
	struct event_base *base = event_base_new();
	struct timeval tv = {0, 50000};
	struct event *stop;
	struct dns_options o;
	struct dns_stats st;
	struct burst b = {0};
	char *err = NULL;

	test_options(&o, servers, 1);
	o.max_inflight = 10;
	o.timeout_ms = 10000;
	b.r = dns_new(base, &o, &err);
	ck_assert_msg(b.r != NULL, "%s", err);
	for (int i = 0; i < 1000; i++)
		dns_query(b.r, "mail.example.test", DNS_T_A, burst_cb, &b);
	stop = evtimer_new(base, stop_cb, base);
	evtimer_add(stop, &tv);
	event_base_dispatch(base);
	dns_get_stats(b.r, &st);
	ck_assert_int_eq(st.inflight, 10);
	ck_assert_int_eq(st.queued, 990);
	ck_assert_int_eq(b.calls, 0);
	dns_free(b.r);
	ck_assert_int_eq(b.calls, 1000);
	ck_assert_int_eq(b.cancelled, 1000);
	ck_assert_int_eq(b.requeue_refused, 1000);
	event_free(stop);
	event_base_free(base);
	close(fd);
}
END_TEST

/* Asks the fake server in mode m. */
static void
ask_fake(enum fakedns_mode m, struct got *g, unsigned *queries)
{
	struct event_base *base = event_base_new();
	struct fakedns *f = fakedns_new(base, m);
	const char *servers[] = {fakedns_server(f)};
	struct dns_options o;
	char *err = NULL;
	struct dns_resolver *r;

	test_options(&o, servers, 1);
	o.timeout_ms = 100;
	o.tries = 2;
	r = dns_new(base, &o, &err);
	ck_assert_msg(r != NULL, "%s", err);
	dns_query(r, "www.example.test", DNS_T_A, got_cb, g);
	while (g->calls == 0)
		event_base_loop(base, EVLOOP_ONCE);
	*queries = fakedns_queries(f);
	dns_free(r);
	fakedns_free(f);
	event_base_free(base);
}

START_TEST(test_fake_good_answer_is_read)
{
	struct got g = {0};
	unsigned q;

	ask_fake(FAKEDNS_GOOD, &g, &q);
	ck_assert_str_eq(g.text, "www.example.test. A answer\nwww.example.test. 42 A 192.0.2.1\n");
	got_clear(&g);
}
END_TEST

START_TEST(test_malformed_answers_give_error_never_a_crash)
{
	static const struct {
		enum fakedns_mode mode;
		const char *text;
	} cases[] = {
	    {FAKEDNS_TRUNCATED,
	     "www.example.test. A error (malformed answer: packet ends inside a field)\n"},
	    {FAKEDNS_BAD_POINTER,
	     "www.example.test. A error (malformed answer: bad compression pointer)\n"},
	    {FAKEDNS_POINTER_LOOP,
	     "www.example.test. A error (malformed answer: bad compression pointer)\n"},
	    {FAKEDNS_RDATA_OVERRUN, "www.example.test. A error (malformed answer: record data "
				    "runs past the end of the packet)\n"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct got g = {0};
		unsigned q;

		ask_fake(cases[i].mode, &g, &q);
		ck_assert_int_eq(g.outcome, DNS_ERROR);
		ck_assert_str_eq(g.text, cases[i].text);
		ck_assert_int_eq(q, 1);
		got_clear(&g);
	}
}
END_TEST

START_TEST(test_answer_to_another_question_or_runt_is_dropped_as_spoof)
{
	/* c-ares discards a reply whose question differs from ours, or that is shorter than a
	 * header (it could be forged); the query then times out after its tries. Our own
	 * parser rejects such packets too (check_dns_pkt). */
	static const enum fakedns_mode modes[] = {FAKEDNS_WRONG_QUESTION, FAKEDNS_SHORT};

	for (size_t i = 0; i < 2; i++) {
		struct got g = {0};
		unsigned q;

		ask_fake(modes[i], &g, &q);
		ck_assert_int_eq(g.outcome, DNS_TIMEOUT);
		ck_assert_str_eq(g.text,
				 "www.example.test. A timeout (no answer from any server)\n");
		ck_assert_int_eq(q, 2);
		got_clear(&g);
	}
}
END_TEST

START_TEST(test_bad_server_address_is_rejected)
{
	static const char *bad[] = {"example.com:53", "127.0.0.1:0", "127.0.0.1:65536", "[::1", "",
				    "300.1.1.1"};
	struct event_base *base = event_base_new();

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *servers[] = {bad[i]};
		struct dns_options o;
		char *err = NULL;

		test_options(&o, servers, 1);
		ck_assert_ptr_null(dns_new(base, &o, &err));
		ck_assert_ptr_nonnull(err);
		ck_assert_msg(strstr(err, bad[i]) != NULL, "%s", err);
		free(err);
	}
	event_base_free(base);
}
END_TEST

static Suite *
dns_suite(void)
{
	Suite *s = suite_create("dns");
	TCase *tc = tcase_create("nsd");
	TCase *fake = tcase_create("fake");

	tcase_add_unchecked_fixture(tc, ns_setup, ns_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_mx_answer_lists_records_with_ttls_in_preference_order);
	tcase_add_test(tc, test_a_aaaa_ptr_ns_soa_answers);
	tcase_add_test(tc, test_nodata_has_negative_ttl_from_soa);
	tcase_add_test(tc, test_nxdomain);
	tcase_add_test(tc, test_servfail_from_unloadable_zone);
	tcase_add_test(tc, test_refused_for_zone_not_served);
	tcase_add_test(tc, test_timeout_when_nothing_answers);
	tcase_add_test(tc, test_error_for_a_name_that_cannot_be_asked);
	tcase_add_test(tc, test_txt_strings_kept_and_joined);
	tcase_add_test(tc, test_txt_255_byte_string_and_escapes);
	tcase_add_test(tc, test_hundred_record_rrset);
	tcase_add_test(tc, test_answer_too_large_for_udp_comes_over_tcp);
	tcase_add_test(tc, test_cname_chain_followed_with_ttls);
	tcase_add_test(tc, test_cname_leaving_the_zone_is_asked_again);
	tcase_add_test(tc, test_cname_loop_is_an_error);
	tcase_add_test(tc, test_cname_asked_directly_is_not_followed);
	tcase_add_test(tc, test_ipv6_server_address);
	tcase_add_test(tc, test_second_server_answers_when_first_is_silent);
	tcase_add_test(tc, test_zone_change_is_seen_after_reload);
	tcase_add_test(tc, test_ten_thousand_queries_complete_within_the_inflight_bound);
	tcase_add_test(tc, test_free_with_queries_pending_cancels_each_once);
	suite_add_tcase(s, tc);
	tcase_set_timeout(fake, 30);
	tcase_add_test(fake, test_fake_good_answer_is_read);
	tcase_add_test(fake, test_malformed_answers_give_error_never_a_crash);
	tcase_add_test(fake, test_answer_to_another_question_or_runt_is_dropped_as_spoof);
	tcase_add_test(fake, test_bad_server_address_is_rejected);
	suite_add_tcase(s, fake);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(dns_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
