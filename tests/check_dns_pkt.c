/* The answer parser on byte arrays (malformed packets included), names, and formatting. */
#include "config.h"

#include <sys/socket.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "dns_fmt.h"
#include "dns_pkt.h"
#include "xmalloc.h"

/* A packet under construction. */
struct pkt {
	uint8_t b[8192];
	size_t n;
};

static void
put8(struct pkt *p, unsigned v)
{
	p->b[p->n++] = (uint8_t)v;
}

static void
put16(struct pkt *p, unsigned v)
{
	put8(p, v >> 8);
	put8(p, v & 0xff);
}

static void
put32(struct pkt *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p, v & 0xffff);
}

/* Writes a name uncompressed ("a.b" -> 1a1b0); "" is the root. */
static void
put_name(struct pkt *p, const char *name)
{
	while (*name != '\0') {
		size_t l = strcspn(name, ".");

		put8(p, (unsigned)l);
		memcpy(p->b + p->n, name, l);
		p->n += l;
		name += l;
		if (*name == '.')
			name++;
	}
	put8(p, 0);
}

/* Starts an answer: header (QR, AA, rcode) and the question. */
static void
begin(struct pkt *p, const char *qname, unsigned qtype, unsigned rcode, unsigned an, unsigned ns)
{
	p->n = 0;
	put16(p, 0x1234);
	put16(p, 0x8400 | rcode);
	put16(p, 1);
	put16(p, an);
	put16(p, ns);
	put16(p, 0);
	put_name(p, qname);
	put16(p, qtype);
	put16(p, 1);
}

/* Writes a record header with owner name; returns where RDLENGTH goes. */
static size_t
rr_head(struct pkt *p, const char *owner, unsigned type, uint32_t ttl)
{
	size_t at;

	if (owner == NULL) {
		put16(p, 0xc00c); /* pointer to the question name */
	} else {
		put_name(p, owner);
	}
	put16(p, type);
	put16(p, 1);
	put32(p, ttl);
	at = p->n;
	put16(p, 0);
	return at;
}

/* Fills in RDLENGTH from where the rdata ends now. */
static void
rr_end(struct pkt *p, size_t at)
{
	size_t len = p->n - at - 2;

	p->b[at] = (uint8_t)(len >> 8);
	p->b[at + 1] = (uint8_t)len;
}

/* Parses p as the answer to (qname, qtype); returns the result and its text. */
static int
parse(const struct pkt *p, const char *qname, uint16_t qtype, struct dns_result *res, char **text,
      char **follow)
{
	size_t len;
	FILE *f;
	int rc;

	memset(res, 0, sizeof(*res));
	res->qname = dns_name_canon(qname);
	res->qtype = qtype;
	rc = dns_pkt_parse(p->b, p->n, qname, qtype, res, follow);
	f = open_memstream(text, &len);
	dns_fmt_text(f, res);
	fclose(f);
	return rc;
}

/* Parses and checks the text form, then frees everything. */
static void
expect(const struct pkt *p, const char *qname, uint16_t qtype, int want_rc, const char *want)
{
	struct dns_result res;
	char *text, *follow;
	int rc = parse(p, qname, qtype, &res, &text, &follow);

	ck_assert_str_eq(text, want);
	ck_assert_int_eq(rc, want_rc);
	free(text);
	free(follow);
	dns_result_clear(&res);
}

START_TEST(test_a_record_with_ttl_and_case_folded_names)
{
	struct pkt p;
	size_t at;

	begin(&p, "WWW.Example.COM", DNS_T_A, 0, 1, 0);
	at = rr_head(&p, NULL, DNS_T_A, 3600);
	put32(&p, 0xc0000201);
	rr_end(&p, at);
	expect(&p, "www.example.com", DNS_T_A, 0,
	       "www.example.com. A answer\nwww.example.com. 3600 A 192.0.2.1\n");
}
END_TEST

START_TEST(test_mx_sorted_by_preference_then_name)
{
	struct pkt p;
	static const struct {
		unsigned pref;
		const char *host;
	} mx[] = {{20, "b.example.net"}, {10, "z.example.com"}, {10, "a.example.com"}};

	begin(&p, "example.com", DNS_T_MX, 0, 3, 0);
	for (int i = 0; i < 3; i++) {
		size_t at = rr_head(&p, NULL, DNS_T_MX, 300u - (unsigned)i);

		put16(&p, mx[i].pref);
		put_name(&p, mx[i].host);
		rr_end(&p, at);
	}
	expect(&p, "example.com", DNS_T_MX, 0,
	       "example.com. MX answer\n"
	       "example.com. 298 MX 10 a.example.com.\n"
	       "example.com. 299 MX 10 z.example.com.\n"
	       "example.com. 300 MX 20 b.example.net.\n");
}
END_TEST

START_TEST(test_mx_result_keeps_preference_and_lowest_ttl)
{
	struct pkt p;
	struct dns_result res;
	char *text, *follow;
	size_t at;

	begin(&p, "example.com", DNS_T_MX, 0, 2, 0);
	at = rr_head(&p, NULL, DNS_T_MX, 900);
	put16(&p, 0);
	put_name(&p, "");
	rr_end(&p, at);
	at = rr_head(&p, NULL, DNS_T_MX, 60);
	put16(&p, 10);
	put_name(&p, "inbound-smtp.us-east-1.amazonaws.com");
	rr_end(&p, at);
	ck_assert_int_eq(parse(&p, "example.com", DNS_T_MX, &res, &text, &follow), 0);
	ck_assert_int_eq(res.nrrs, 2);
	ck_assert_int_eq(res.rrs[0].pref, 0);
	ck_assert_str_eq(res.rrs[0].data, "."); /* null MX */
	ck_assert_int_eq(res.rrs[1].pref, 10);
	ck_assert_str_eq(res.rrs[1].data, "inbound-smtp.us-east-1.amazonaws.com.");
	ck_assert_int_eq(res.ttl, 60);
	ck_assert_ptr_null(follow);
	free(text);
	dns_result_clear(&res);
}
END_TEST

START_TEST(test_txt_strings_kept_with_lengths)
{
	struct pkt p;
	struct dns_result res;
	char *text, *follow;
	size_t at;
	static const char *strs[] = {"v=spf1 ", "", "-all"};

	begin(&p, "example.com", DNS_T_TXT, 0, 1, 0);
	at = rr_head(&p, NULL, DNS_T_TXT, 300);
	for (int i = 0; i < 3; i++) {
		put8(&p, (unsigned)strlen(strs[i]));
		memcpy(p.b + p.n, strs[i], strlen(strs[i]));
		p.n += strlen(strs[i]);
	}
	rr_end(&p, at);
	ck_assert_int_eq(parse(&p, "example.com", DNS_T_TXT, &res, &text, &follow), 0);
	ck_assert_str_eq(
	    text, "example.com. TXT answer\nexample.com. 300 TXT \"v=spf1 \" \"\" \"-all\"\n");
	ck_assert_int_eq(res.rrs[0].nstrings, 3);
	ck_assert_int_eq(res.rrs[0].strlens[0], 7);
	ck_assert_int_eq(res.rrs[0].strlens[1], 0);
	ck_assert_int_eq(res.rrs[0].strlens[2], 4);
	ck_assert_str_eq(res.rrs[0].data, "v=spf1 -all");
	ck_assert_int_eq(res.rrs[0].len, 11);
	free(text);
	dns_result_clear(&res);
}
END_TEST

START_TEST(test_txt_string_past_its_record_is_malformed)
{
	struct pkt p;
	size_t at;

	begin(&p, "example.com", DNS_T_TXT, 0, 1, 0);
	at = rr_head(&p, NULL, DNS_T_TXT, 300);
	put8(&p, 10); /* says 10 bytes, the record has 3 */
	put8(&p, 'a');
	put8(&p, 'b');
	put8(&p, 'c');
	rr_end(&p, at);
	put16(&p, 0); /* bytes after the record, so only the record bound catches it */
	expect(&p, "example.com", DNS_T_TXT, -1,
	       "example.com. TXT error (malformed answer: TXT string runs past its record)\n");
}
END_TEST

START_TEST(test_nodata_and_nxdomain_take_ttl_from_soa)
{
	struct pkt p;
	struct dns_result res;
	char *text, *follow;
	size_t at;

	for (unsigned rcode = 0; rcode <= 3; rcode += 3) {
		begin(&p, "x.example.com", DNS_T_MX, rcode, 0, 1);
		at = rr_head(&p, "example.com", DNS_T_SOA, 900);
		put_name(&p, "ns.example.com");
		put_name(&p, "hostmaster.example.com");
		put32(&p, 7);
		put32(&p, 3600);
		put32(&p, 600);
		put32(&p, 86400);
		put32(&p, 120);
		rr_end(&p, at);
		ck_assert_int_eq(parse(&p, "x.example.com", DNS_T_MX, &res, &text, &follow), 0);
		ck_assert_int_eq(res.outcome, rcode == 0 ? DNS_NODATA : DNS_NXDOMAIN);
		ck_assert_int_eq(res.ttl, 120);
		ck_assert_int_eq(res.rcode, (int)rcode);
		ck_assert_int_eq(res.nrrs, 0);
		free(text);
		dns_result_clear(&res);
	}
}
END_TEST

START_TEST(test_rcodes_map_to_outcomes)
{
	struct pkt p;

	begin(&p, "example.com", DNS_T_A, 2, 0, 0);
	expect(&p, "example.com", DNS_T_A, 0,
	       "example.com. A servfail (the server could not answer (SERVFAIL))\n");
	begin(&p, "example.com", DNS_T_A, 5, 0, 0);
	expect(&p, "example.com", DNS_T_A, 0,
	       "example.com. A refused (the server refused to answer (REFUSED))\n");
	begin(&p, "example.com", DNS_T_A, 4, 0, 0);
	expect(&p, "example.com", DNS_T_A, -1, "example.com. A error (server answered NOTIMP)\n");
	begin(&p, "example.com", DNS_T_A, 1, 0, 0);
	expect(&p, "example.com", DNS_T_A, -1, "example.com. A error (server answered FORMERR)\n");
	begin(&p, "example.com", DNS_T_A, 9, 0, 0);
	expect(&p, "example.com", DNS_T_A, -1, "example.com. A error (server answered RCODE9)\n");
}
END_TEST

START_TEST(test_truncated_packets_at_every_length_are_errors)
{
	struct pkt p, cut;
	size_t at, full;

	begin(&p, "www.example.com", DNS_T_MX, 0, 1, 0);
	at = rr_head(&p, "www.example.com", DNS_T_MX, 300);
	put16(&p, 10);
	put_name(&p, "mail.example.com");
	rr_end(&p, at);
	full = p.n;
	/* Every cut past the question leaves a record half there. */
	for (size_t n = 12; n < full; n++) {
		struct dns_result res;
		char *text, *follow;

		memcpy(&cut, &p, sizeof(p));
		cut.n = n;
		ck_assert_int_eq(parse(&cut, "www.example.com", DNS_T_MX, &res, &text, &follow),
				 -1);
		ck_assert_int_eq(res.outcome, DNS_ERROR);
		ck_assert_ptr_nonnull(res.error);
		free(text);
		dns_result_clear(&res);
	}
	cut.n = 5;
	expect(&cut, "www.example.com", DNS_T_MX, -1,
	       "www.example.com. MX error (answer shorter than a DNS header)\n");
}
END_TEST

START_TEST(test_compression_pointers_forward_and_looping_are_rejected)
{
	struct pkt p;
	size_t at;

	/* The owner points forward, past itself. */
	begin(&p, "example.com", DNS_T_A, 0, 1, 0);
	at = rr_head(&p, NULL, DNS_T_A, 1);
	p.b[at - 10] = 0xc0;
	p.b[at - 9] = (uint8_t)(at + 6);
	put32(&p, 1);
	rr_end(&p, at);
	expect(&p, "example.com", DNS_T_A, -1,
	       "example.com. A error (malformed answer: bad compression pointer)\n");
	/* A CNAME target that points at itself. */
	begin(&p, "example.com", DNS_T_A, 0, 1, 0);
	at = rr_head(&p, NULL, DNS_T_CNAME, 1);
	put16(&p, 0xc000 | (unsigned)p.n);
	rr_end(&p, at);
	expect(&p, "example.com", DNS_T_A, -1,
	       "example.com. A error (malformed answer: bad compression pointer)\n");
	/* Label type 0x40 (extended labels) is not allowed. */
	begin(&p, "example.com", DNS_T_A, 0, 1, 0);
	at = rr_head(&p, NULL, DNS_T_CNAME, 1);
	put8(&p, 0x41);
	rr_end(&p, at);
	expect(&p, "example.com", DNS_T_A, -1,
	       "example.com. A error (malformed answer: unknown label type)\n");
}
END_TEST

START_TEST(test_backward_pointer_chain_is_followed)
{
	struct pkt p;
	size_t at, mail;

	begin(&p, "example.com", DNS_T_MX, 0, 2, 0);
	at = rr_head(&p, NULL, DNS_T_MX, 60);
	put16(&p, 10);
	mail = p.n;
	put8(&p, 4);
	memcpy(p.b + p.n, "mail", 4);
	p.n += 4;
	put16(&p, 0xc00c); /* mail + example.com */
	rr_end(&p, at);
	at = rr_head(&p, NULL, DNS_T_MX, 60);
	put16(&p, 20);
	put8(&p, 3);
	memcpy(p.b + p.n, "alt", 3);
	p.n += 3;
	put16(&p, 0xc000 | (unsigned)mail); /* alt + mail.example.com */
	rr_end(&p, at);
	expect(&p, "example.com", DNS_T_MX, 0,
	       "example.com. MX answer\nexample.com. 60 MX 10 mail.example.com.\n"
	       "example.com. 60 MX 20 alt.mail.example.com.\n");
}
END_TEST

START_TEST(test_answer_to_another_question_is_rejected)
{
	struct pkt p;

	begin(&p, "evil.example.com", DNS_T_A, 0, 0, 0);
	expect(&p, "good.example.com", DNS_T_A, -1,
	       "good.example.com. A error (answer is for a different question)\n");
	begin(&p, "good.example.com", DNS_T_AAAA, 0, 0, 0);
	expect(&p, "good.example.com", DNS_T_A, -1,
	       "good.example.com. A error (answer is for a different question)\n");
	begin(&p, "good.example.com", DNS_T_A, 0, 0, 0);
	p.b[5] = 0; /* QDCOUNT 0 */
	expect(&p, "good.example.com", DNS_T_A, -1,
	       "good.example.com. A error (answer is for a different question)\n");
}
END_TEST

START_TEST(test_queries_and_truncated_answers_are_rejected)
{
	struct pkt p;

	begin(&p, "example.com", DNS_T_A, 0, 0, 0);
	p.b[2] &= 0x7f; /* QR clear: a query, not an answer */
	expect(&p, "example.com", DNS_T_A, -1,
	       "example.com. A error (packet is not an answer to a standard query)\n");
	begin(&p, "example.com", DNS_T_A, 0, 0, 0);
	p.b[2] |= 0x02; /* TC */
	expect(&p, "example.com", DNS_T_A, -1, "example.com. A error (answer is truncated)\n");
}
END_TEST

START_TEST(test_bad_rdata_lengths_are_rejected)
{
	struct pkt p;
	size_t at;

	begin(&p, "example.com", DNS_T_A, 0, 1, 0);
	at = rr_head(&p, NULL, DNS_T_A, 1);
	put32(&p, 1);
	put8(&p, 1);
	rr_end(&p, at);
	expect(&p, "example.com", DNS_T_A, -1,
	       "example.com. A error (malformed answer: address record of the wrong length)\n");
	begin(&p, "example.com", DNS_T_MX, 0, 1, 0);
	at = rr_head(&p, NULL, DNS_T_MX, 1);
	put16(&p, 10);
	put_name(&p, "mx.example.com");
	put8(&p, 0);
	rr_end(&p, at);
	expect(&p, "example.com", DNS_T_MX, -1,
	       "example.com. MX error (malformed answer: record data length does not match its "
	       "contents)\n");
	begin(&p, "example.com", DNS_T_A, 0, 1, 0);
	at = rr_head(&p, NULL, DNS_T_A, 1);
	put32(&p, 1);
	rr_end(&p, at);
	p.b[at + 1] = 40;
	expect(&p, "example.com", DNS_T_A, -1,
	       "example.com. A error (malformed answer: record data runs past the end of the "
	       "packet)\n");
}
END_TEST

START_TEST(test_cname_chain_in_one_answer_and_dangling_target)
{
	struct pkt p;
	struct dns_result res;
	char *text, *follow;
	size_t at;

	begin(&p, "www.example.com", DNS_T_A, 0, 2, 0);
	at = rr_head(&p, NULL, DNS_T_CNAME, 300);
	put_name(&p, "web.example.com");
	rr_end(&p, at);
	at = rr_head(&p, "web.example.com", DNS_T_A, 30);
	put32(&p, 0xc0000202);
	rr_end(&p, at);
	expect(&p, "www.example.com", DNS_T_A, 0,
	       "www.example.com. A answer\nwww.example.com. 300 CNAME web.example.com.\n"
	       "web.example.com. 30 A 192.0.2.2\n");
	/* Only the CNAME: the target must be asked for. */
	begin(&p, "www.example.com", DNS_T_A, 0, 1, 0);
	at = rr_head(&p, NULL, DNS_T_CNAME, 300);
	put_name(&p, "web.example.net");
	rr_end(&p, at);
	ck_assert_int_eq(parse(&p, "www.example.com", DNS_T_A, &res, &text, &follow), 0);
	ck_assert_int_eq(res.outcome, DNS_NODATA);
	ck_assert_str_eq(follow, "web.example.net.");
	ck_assert_int_eq(res.ncnames, 1);
	free(follow);
	free(text);
	dns_result_clear(&res);
}
END_TEST

START_TEST(test_cname_loop_in_one_answer)
{
	struct pkt p;
	size_t at;

	begin(&p, "a.example.com", DNS_T_A, 0, 2, 0);
	at = rr_head(&p, NULL, DNS_T_CNAME, 300);
	put_name(&p, "b.example.com");
	rr_end(&p, at);
	at = rr_head(&p, "b.example.com", DNS_T_CNAME, 300);
	put_name(&p, "a.example.com");
	rr_end(&p, at);
	expect(&p, "a.example.com", DNS_T_A, -1,
	       "a.example.com. A error (CNAME loop at a.example.com.)\n"
	       "a.example.com. 300 CNAME b.example.com.\n");
}
END_TEST

START_TEST(test_records_of_other_owners_and_classes_are_ignored)
{
	struct pkt p;
	size_t at;

	begin(&p, "example.com", DNS_T_A, 0, 3, 0);
	at = rr_head(&p, "other.example.com", DNS_T_A, 1);
	put32(&p, 0x0a000001);
	rr_end(&p, at);
	at = rr_head(&p, NULL, DNS_T_A, 5);
	p.b[at - 6] = 3; /* class CH */
	put32(&p, 0x0a000002);
	rr_end(&p, at);
	at = rr_head(&p, NULL, DNS_T_A, 7);
	put32(&p, 0x0a000003);
	rr_end(&p, at);
	expect(&p, "example.com", DNS_T_A, 0, "example.com. A answer\nexample.com. 7 A 10.0.0.3\n");
}
END_TEST

START_TEST(test_unknown_type_in_rfc3597_form_and_escaped_labels)
{
	struct pkt p;
	size_t at;
	uint16_t t;

	ck_assert(dns_type_parse("TYPE257", &t));
	begin(&p, "example.com", t, 0, 1, 0);
	at = rr_head(&p, NULL, t, 60);
	put8(&p, 0);
	put8(&p, 5);
	memcpy(p.b + p.n, "issue", 5);
	p.n += 5;
	rr_end(&p, at);
	expect(&p, "example.com", t, 0,
	       "example.com. TYPE257 answer\nexample.com. 60 TYPE257 \\# 7 00056973737565\n");
	/* A label holding a dot and a space. */
	begin(&p, "example.com", DNS_T_PTR, 0, 1, 0);
	at = rr_head(&p, NULL, DNS_T_PTR, 60);
	put8(&p, 3);
	memcpy(p.b + p.n, "a.b", 3);
	p.n += 3;
	put8(&p, 2);
	memcpy(p.b + p.n, "C ", 2);
	p.n += 2;
	put8(&p, 0);
	rr_end(&p, at);
	expect(&p, "example.com", DNS_T_PTR, 0,
	       "example.com. PTR answer\nexample.com. 60 PTR a\\.b.c\\032.\n");
}
END_TEST

START_TEST(test_name_longer_than_255_bytes_is_rejected)
{
	struct pkt p;
	size_t at;

	begin(&p, "example.com", DNS_T_PTR, 0, 1, 0);
	at = rr_head(&p, NULL, DNS_T_PTR, 60);
	for (int i = 0; i < 5; i++) {
		put8(&p, 63);
		memset(p.b + p.n, 'x', 63);
		p.n += 63;
	}
	put8(&p, 0);
	rr_end(&p, at);
	expect(&p, "example.com", DNS_T_PTR, -1,
	       "example.com. PTR error (malformed answer: name longer than 255 bytes)\n");
}
END_TEST

START_TEST(test_server_addresses_parse)
{
	static const struct {
		const char *in;
		int family;
		uint16_t port;
	} good[] = {
	    {"127.0.0.1", AF_INET, 53},
	    {"127.0.0.1:5353", AF_INET, 5353},
	    {"::1", AF_INET6, 53},
	    {"[::1]:5300", AF_INET6, 5300},
	    {"[2001:db8::53]", AF_INET6, 53},
	};
	static const char *bad[] = {"localhost:53", "127.0.0.1:",    "127.0.0.1:x",
				    "[::1]x",	    "1.2.3.4:99999", "[::1"};
	unsigned char addr[16];
	int family;
	uint16_t port;
	char *err;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		err = NULL;
		ck_assert_msg(dns_parse_server(good[i].in, &family, addr, &port, &err) == 0, "%s",
			      good[i].in);
		ck_assert_int_eq(family, good[i].family);
		ck_assert_int_eq(port, good[i].port);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = NULL;
		ck_assert_int_eq(dns_parse_server(bad[i], &family, addr, &port, &err), -1);
		ck_assert_msg(strstr(err, bad[i]) != NULL, "%s", err);
		free(err);
	}
}
END_TEST

START_TEST(test_names_of_types_outcomes_and_rcodes)
{
	char b[16];
	uint16_t t;

	ck_assert_str_eq(dns_type_name(DNS_T_AAAA, b, sizeof(b)), "AAAA");
	ck_assert_str_eq(dns_type_name(99, b, sizeof(b)), "TYPE99");
	ck_assert(dns_type_parse("mx", &t) && t == DNS_T_MX);
	ck_assert(!dns_type_parse("TYPE0", &t));
	ck_assert(!dns_type_parse("TYPE70000", &t));
	ck_assert(!dns_type_parse("SPF1", &t));
	ck_assert_str_eq(dns_outcome_name(DNS_NODATA), "nodata");
	ck_assert_str_eq(dns_outcome_name(DNS_TIMEOUT), "timeout");
	ck_assert(dns_outcome_is_known(DNS_NXDOMAIN));
	ck_assert(!dns_outcome_is_known(DNS_REFUSED));
	ck_assert_str_eq(dns_rcode_name(3, b, sizeof(b)), "NXDOMAIN");
	ck_assert_str_eq(dns_rcode_name(23, b, sizeof(b)), "RCODE23");
	{
		char *c = dns_name_canon("Mail.Example.COM");

		ck_assert_str_eq(c, "mail.example.com.");
		free(c);
		c = dns_name_canon("example.com.");
		ck_assert_str_eq(c, "example.com.");
		free(c);
	}
}
END_TEST

START_TEST(test_json_form_of_a_result)
{
	struct pkt p;
	struct dns_result res;
	char *text, *follow, *js;
	json_t *o;
	size_t at;

	begin(&p, "example.com", DNS_T_MX, 0, 1, 0);
	at = rr_head(&p, NULL, DNS_T_MX, 300);
	put16(&p, 10);
	put_name(&p, "mail.example.com");
	rr_end(&p, at);
	parse(&p, "example.com", DNS_T_MX, &res, &text, &follow);
	o = dns_fmt_json(&res);
	js = json_dumps(o, JSON_COMPACT);
	ck_assert_str_eq(
	    js, "{\"name\":\"example.com.\",\"type\":\"MX\",\"outcome\":\"answer\","
		"\"rcode\":\"NOERROR\",\"ttl\":300,\"cnames\":[],\"records\":[{"
		"\"name\":\"example.com.\",\"ttl\":300,\"type\":\"MX\",\"data\":\"10 "
		"mail.example.com.\",\"preference\":10,\"exchange\":\"mail.example.com.\"}]}");
	free(js);
	json_decref(o);
	free(text);
	dns_result_clear(&res);
}
END_TEST

static Suite *
pkt_suite(void)
{
	Suite *s = suite_create("dns_pkt");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_a_record_with_ttl_and_case_folded_names);
	tcase_add_test(tc, test_mx_sorted_by_preference_then_name);
	tcase_add_test(tc, test_mx_result_keeps_preference_and_lowest_ttl);
	tcase_add_test(tc, test_txt_strings_kept_with_lengths);
	tcase_add_test(tc, test_txt_string_past_its_record_is_malformed);
	tcase_add_test(tc, test_nodata_and_nxdomain_take_ttl_from_soa);
	tcase_add_test(tc, test_rcodes_map_to_outcomes);
	tcase_add_test(tc, test_truncated_packets_at_every_length_are_errors);
	tcase_add_test(tc, test_compression_pointers_forward_and_looping_are_rejected);
	tcase_add_test(tc, test_backward_pointer_chain_is_followed);
	tcase_add_test(tc, test_answer_to_another_question_is_rejected);
	tcase_add_test(tc, test_queries_and_truncated_answers_are_rejected);
	tcase_add_test(tc, test_bad_rdata_lengths_are_rejected);
	tcase_add_test(tc, test_cname_chain_in_one_answer_and_dangling_target);
	tcase_add_test(tc, test_cname_loop_in_one_answer);
	tcase_add_test(tc, test_records_of_other_owners_and_classes_are_ignored);
	tcase_add_test(tc, test_unknown_type_in_rfc3597_form_and_escaped_labels);
	tcase_add_test(tc, test_name_longer_than_255_bytes_is_rejected);
	tcase_add_test(tc, test_server_addresses_parse);
	tcase_add_test(tc, test_names_of_types_outcomes_and_rcodes);
	tcase_add_test(tc, test_json_form_of_a_result);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(pkt_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
