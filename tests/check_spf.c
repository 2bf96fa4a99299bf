/* SPF: parsing, lookup counting, check_host() and the data an evaluation needs. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns_pkt.h"
#include "snap.h"
#include "spf.h"
#include "xmalloc.h"

/* Builds a snapshot from "NAME TYPE DATA" lines (NULL-terminated). DATA "=nxdomain",
 * "=nodata", "=servfail" or "=timeout" is an outcome; lines with the same NAME and TYPE are
 * the records of one answer. */
static struct snap *
zone(const char *const *lines)
{
	struct snap *s = snap_new("example.com");

	for (size_t i = 0; lines[i] != NULL; i++) {
		char name[256], type[16], *canon;
		uint16_t t;
		struct snap_set *set;
		int off = 0;

		ck_assert_int_eq(sscanf(lines[i], "%255s %15s %n", name, type, &off), 2);
		ck_assert(dns_type_parse(type, &t));
		canon = dns_name_canon(name);
		if (snap_get(s, canon, t) != NULL) {
			free(canon);
			continue;
		}
		set = snap_slot(s, canon, t);
		set->outcome = DNS_ANSWER;
		for (size_t j = i; lines[j] != NULL; j++) {
			char n2[256], t2[16], *c2;
			int o2 = 0;
			const char *data;

			sscanf(lines[j], "%255s %15s %n", n2, t2, &o2);
			c2 = dns_name_canon(n2);
			if (strcmp(c2, canon) == 0 && strcasecmp(t2, type) == 0) {
				data = lines[j] + o2;
				if (*data == '=') {
					ck_assert(dns_outcome_parse(data + 1, &set->outcome));
				} else {
					set->records = xreallocarray(
					    set->records, set->nrecords + 1, sizeof(char *));
					set->records[set->nrecords++] = xstrdup(data);
				}
			}
			free(c2);
		}
		set->known = dns_outcome_is_known(set->outcome) ? set->outcome : DNS_ERROR;
		free(canon);
	}
	return s;
}

/* Evaluates check_host(ip, domain) over lines; returns "result[ term][ (why)]". */
static char *
check(const char *const *lines, const char *ip, const char *domain, const char *sender)
{
	struct snap *s = zone(lines);
	struct spf_dns dns;
	struct spf_query q = {.ip = ip, .domain = domain, .sender = sender};
	struct spf_eval e;
	char *err = NULL, *out;

	spf_dns_from_snap(&dns, s);
	ck_assert_int_eq(spf_check_host(&dns, &q, &e, &err), 0);
	out = xasprintf("%s%s%s%s%s%s", spf_result_name(e.result), e.term ? " " : "",
			e.term ? e.term : "", e.why ? " (" : "", e.why ? e.why : "",
			e.why ? ")" : "");
	spf_eval_clear(&e);
	snap_free(s);
	return out;
}

/* Asserts check()'s outcome. */
#define CHECK(lines, ip, domain, want)                                                             \
	do {                                                                                       \
		char *got_ = check(lines, ip, domain, NULL);                                       \
		ck_assert_str_eq(got_, want);                                                      \
		free(got_);                                                                        \
	} while (0)

/* Counts domain's tree over lines; returns "status lookups void why". */
static char *
count(const char *const *lines, const char *domain)
{
	static const char *const names[] = {"ok",	 "none",   "too-many", "too-many-void",
					    "permerror", "unknown"};
	struct snap *s = zone(lines);
	struct spf_dns dns;
	struct spf_count c;
	char *out;

	spf_dns_from_snap(&dns, s);
	spf_count(&dns, domain, &c);
	out = xasprintf("%s %u %u%s%s%s", names[c.status], c.lookups, c.void_lookups,
			c.macros ? " macros" : "", c.why ? " " : "", c.why ? c.why : "");
	spf_count_clear(&c);
	snap_free(s);
	return out;
}

#define COUNT(lines, domain, want)                                                                 \
	do {                                                                                       \
		char *got_ = count(lines, domain);                                                 \
		ck_assert_str_eq(got_, want);                                                      \
		free(got_);                                                                        \
	} while (0)

START_TEST(test_parse_reads_every_mechanism_and_modifier)
{
	static const char *const want[] = {
	    "+5 ip4:192.0.2.0/24 - 24/24",
	    "-6 -ip6:2001:db8::/32 - 32/32",
	    "~2 ~a (null) 32/128",
	    "?2 ?a:mail.example.com/28 mail.example.com 28/128",
	    "+3 mx//64 (null) 32/64",
	    "+3 mx:example.org/24//48 example.org 24/48",
	    "+4 ptr (null) 32/128",
	    "+4 ptr:example.net example.net 32/128",
	    "+7 exists:%{i}._spf.%{d} %{i}._spf.%{d} 32/128",
	    "+1 include:_spf.Example.net _spf.Example.net 32/128",
	    "~0 ~all (null) 32/128",
	};
	struct spf_record *r;
	char *err = NULL;

	ck_assert_int_eq(
	    spf_parse("v=spf1 ip4:192.0.2.0/24 -ip6:2001:db8::/32 ~a ?a:mail.example.com/28 "
		      "mx//64 mx:example.org/24//48 ptr ptr:example.net exists:%{i}._spf.%{d} "
		      "include:_spf.Example.net redirect=_spf.example.com exp=explain.%{d} "
		      "moo.cow-far_out=man:dog/cat%{c} ~all",
		      &r, &err),
	    0);
	ck_assert_uint_eq(r->nterms, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < r->nterms; i++) {
		const struct spf_term *t = &r->terms[i];
		char q = t->qual == SPF_PASS	   ? '+'
			 : t->qual == SPF_FAIL	   ? '-'
			 : t->qual == SPF_SOFTFAIL ? '~'
						   : '?';
		char *got;

		if (t->mech == SPF_M_IP4 || t->mech == SPF_M_IP6)
			got = xasprintf("%c%d %s - %d/%d", q, (int)t->mech, t->text,
					t->mech == SPF_M_IP4 ? t->cidr4 : t->cidr6,
					t->mech == SPF_M_IP4 ? t->cidr4 : t->cidr6);
		else
			got = xasprintf("%c%d %s %s %d/%d", q, (int)t->mech, t->text,
					t->domain ? t->domain : "(null)", t->cidr4, t->cidr6);
		ck_assert_str_eq(got, want[i]);
		free(got);
	}
	ck_assert_str_eq(r->redirect, "_spf.example.com");
	ck_assert_str_eq(r->exp, "explain.%{d}");
	ck_assert(r->has_all);
	ck_assert_int_eq(r->terms[0].addr[0], 192);
	ck_assert_int_eq(r->terms[1].addr[1], 0x01);
	spf_record_free(r);
	spf_record_free(NULL);
}
END_TEST

START_TEST(test_parse_accepts_rfc_edge_cases)
{
	static const char *const good[] = {
	    "v=spf1",
	    "V=SPF1 -ALL",
	    "v=spf1  -all  ",
	    "v=spf1 a:foo-bar.123-456",
	    "v=spf1 a:%{d}",
	    "v=spf1 a:example.com.",
	    "v=spf1 ip4:0.0.0.0/0 ip6:::/0",
	    "v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d2} -all",
	    "v=spf1 a:%%%_%-.example.com",
	    "v=spf1 IP4:192.0.2.1 MX:Example.COM/0 -all",
	    "v=spf1 unknown=%{c}%{r}%{t} -all",
	};
	struct spf_record *r;
	char *err = NULL;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (spf_parse(good[i], &r, &err) != 0)
			ck_abort_msg("%s: %s", good[i], err);
		spf_record_free(r);
	}
}
END_TEST

START_TEST(test_parse_rejects_bad_terms_naming_them)
{
	static const char *const bad[][2] = {
	    {"v=spf1 ip4:300.1.1.1", "permerror: ip4:300.1.1.1 is not an IPv4 network"},
	    {"v=spf1 ip4:192.0.2.0/33", "permerror: ip4:192.0.2.0/33 has a bad CIDR length"},
	    {"v=spf1 ip4:192.0.2.0/024", "permerror: ip4:192.0.2.0/024 has a bad CIDR length"},
	    {"v=spf1 ip4", "permerror: ip4 is not an IPv4 network"},
	    {"v=spf1 ip4:2001:db8::", "permerror: ip4:2001:db8:: is not an IPv4 network"},
	    {"v=spf1 ip6:2001:db8::/129", "permerror: ip6:2001:db8::/129 has a bad CIDR length"},
	    {"v=spf1 ip6:2001:zz::", "permerror: ip6:2001:zz:: is not an IPv6 network"},
	    {"v=spf1 a/33", "permerror: a/33 has a bad CIDR length"},
	    {"v=spf1 mx//129", "permerror: mx//129 has a bad CIDR length"},
	    {"v=spf1 a//64/24", "permerror: a//64/24 is malformed"},
	    {"v=spf1 foo:bar", "permerror: foo:bar is not a known mechanism"},
	    {"v=spf1 -redirect=x.example.com",
	     "permerror: -redirect=x.example.com is not a known mechanism"},
	    {"v=spf1 all:foo", "permerror: all:foo: all takes no argument"},
	    {"v=spf1 include", "permerror: include has no domain"},
	    {"v=spf1 include:", "permerror: include: has no domain"},
	    {"v=spf1 exists", "permerror: exists has no domain"},
	    {"v=spf1 ptr/24", "permerror: ptr/24: ptr takes no CIDR length"},
	    {"v=spf1 a:museum", "permerror: a:museum does not end in a valid top-level domain"},
	    {"v=spf1 a:1.2.3.4", "permerror: a:1.2.3.4 does not end in a valid top-level domain"},
	    {"v=spf1 a:example.com/abc",
	     "permerror: a:example.com/abc does not end in a valid top-level domain"},
	    {"v=spf1 exists:%{x}.example.com",
	     "permerror: exists:%{x}.example.com has a bad macro (an unknown macro letter)"},
	    {"v=spf1 exists:%{c}.example.com",
	     "permerror: exists:%{c}.example.com has a bad macro (macro letters c, r and t are "
	     "only allowed in exp)"},
	    {"v=spf1 a:%{d", "permerror: a:%{d has a bad macro (an unterminated macro)"},
	    {"v=spf1 a:foo%.example.com",
	     "permerror: a:foo%.example.com has a bad macro (a % not followed by {, %, _ or -)"},
	    {"v=spf1 exists:%{d0}.example.com",
	     "permerror: exists:%{d0}.example.com has a bad macro (a zero digit transformer)"},
	    {"v=spf1 redirect=a.example.com redirect=b.example.com",
	     "permerror: redirect= appears more than once"},
	    {"v=spf1 redirect=", "permerror: redirect= has no domain"},
	    {"v=spf1 a:ex\x01.com",
	     "permerror: a:ex\x01.com has a character outside printable ASCII"},
	    {"spf1 -all", "permerror: not an SPF record (no v=spf1)"},
	    {"v=spf10 -all", "permerror: not an SPF record (no v=spf1)"},
	};
	struct spf_record *r;
	char *err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = NULL;
		if (spf_parse(bad[i][0], &r, &err) != -1)
			ck_abort_msg("%s parsed", bad[i][0]);
		ck_assert_ptr_null(r);
		ck_assert_str_eq(err, bad[i][1]);
		free(err);
	}
}
END_TEST

START_TEST(test_more_than_one_spf_record_is_detected)
{
	static char a[] = "v=spf1 -all", b[] = "V=SPF1 a", c[] = "v=spf10 x", d[] = "v=spf1",
		    e[] = "google-site-verification=x", f[] = " v=spf1";
	char *txt[] = {a, b, c, d, e, f};

	ck_assert_uint_eq(spf_count_records(txt, 6), 3);
	ck_assert_uint_eq(spf_count_records(txt + 2, 4), 1);
	ck_assert_uint_eq(spf_count_records(NULL, 0), 0);
	ck_assert(!spf_is_record("v=spf1\t-all"));
	ck_assert_str_eq(spf_result_name(SPF_SOFTFAIL), "softfail");
}
END_TEST

START_TEST(test_count_ten_lookups_is_ok_eleven_too_many)
{
	/* 2 + 5 + 1 + 2 = 10 lookups; the eleventh tips it over. */
	static const char *const ten[] = {
	    "example.com TXT v=spf1 include:a.example.net include:b.example.net ip4:192.0.2.1 -all",
	    "a.example.net TXT v=spf1 a mx ptr exists:x.example.net include:c.example.net",
	    "b.example.net TXT v=spf1 a:x.example.net mx:x.example.net",
	    "c.example.net TXT v=spf1 a ~all",
	    NULL,
	};
	static const char *const eleven[] = {
	    "example.com TXT v=spf1 include:a.example.net include:b.example.net -all",
	    "a.example.net TXT v=spf1 a mx ptr exists:x.example.net include:c.example.net",
	    "b.example.net TXT v=spf1 a:x.example.net mx:x.example.net redirect=c.example.net",
	    "c.example.net TXT v=spf1 a ~all",
	    NULL,
	};

	COUNT(ten, "example.com", "ok 10 0");
	COUNT(eleven, "example.com", "too-many 12 0 12 DNS lookups, more than 10");
}
END_TEST

START_TEST(test_count_void_lookups_over_two_are_flagged)
{
	static const char *const three[] = {
	    "example.com TXT v=spf1 a:n1.example.com mx:n2.example.com exists:n3.example.com "
	    "a:ok.example.com a:half.example.com -all",
	    "n1.example.com A =nxdomain",
	    "n1.example.com AAAA =nxdomain",
	    "n2.example.com MX =nodata",
	    "n3.example.com A =nodata",
	    "ok.example.com A =nodata",
	    "ok.example.com AAAA 2001:db8::1",
	    "half.example.com A =servfail",
	    "half.example.com AAAA =nodata",
	    NULL,
	};
	static const char *const two[] = {
	    "example.com TXT v=spf1 a:n1.example.com mx:n2.example.com exists:n3.example.com -all",
	    "n1.example.com A =nxdomain",
	    "n2.example.com MX =nodata",
	    NULL,
	};

	COUNT(three, "example.com", "too-many-void 5 3 3 void lookups, more than 2");
	/* n3 not fetched: not known void. */
	COUNT(two, "example.com", "ok 3 2");
}
END_TEST

START_TEST(test_count_include_loop_is_too_many)
{
	static const char *const loop[] = {
	    "example.com TXT v=spf1 include:_spf.example.net -all",
	    "_spf.example.net TXT v=spf1 ip4:192.0.2.0/24 redirect=example.com",
	    NULL,
	};

	COUNT(loop, "example.com",
	      "too-many 2 0 include loop: example.com -> _spf.example.net -> example.com");
}
END_TEST

START_TEST(test_count_unknown_include_is_unknown_never_ok_or_too_many)
{
	static const char *const unfetched[] = {
	    "example.com TXT v=spf1 include:_spf.example.net -all",
	    NULL,
	};
	static const char *const servfail_and_eleven[] = {
	    "example.com TXT v=spf1 a a a a a a a a a a include:_spf.example.net -all",
	    "_spf.example.net TXT =servfail",
	    NULL,
	};

	COUNT(unfetched, "example.com", "unknown 1 0 TXT _spf.example.net not fetched");
	COUNT(servfail_and_eleven, "example.com", "unknown 11 0 TXT _spf.example.net: servfail");
}
END_TEST

START_TEST(test_count_reports_none_permerror_and_macros)
{
	static const char *const none[] = {"example.com TXT hello", NULL};
	static const char *const no_spf_include[] = {
	    "example.com TXT v=spf1 include:_spf.example.net -all",
	    "_spf.example.net TXT =nxdomain",
	    NULL,
	};
	static const char *const syntax[] = {
	    "example.com TXT v=spf1 include:_spf.example.net -all",
	    "_spf.example.net TXT v=spf1 ip4:300.1.1.1",
	    NULL,
	};
	static const char *const multiple[] = {
	    "example.com TXT v=spf1 -all",
	    "example.com TXT v=spf1 +all",
	    NULL,
	};
	static const char *const macros[] = {
	    "example.com TXT v=spf1 include:%{ir}.example.net exists:%{i}.x.example.com "
	    "redirect=r.example.com ~all",
	    NULL,
	};

	COUNT(none, "example.com", "none 0 0 example.com has no SPF record");
	COUNT(no_spf_include, "example.com",
	      "permerror 1 0 include:_spf.example.net: _spf.example.net has no SPF record");
	COUNT(syntax, "example.com",
	      "permerror 1 0 _spf.example.net: permerror: ip4:300.1.1.1 is not an IPv4 network");
	COUNT(multiple, "example.com", "permerror 0 0 example.com has 2 SPF records");
	/* Macro targets count but are not followed; redirect is ignored beside all. */
	COUNT(macros, "example.com", "ok 2 0 macros");
}
END_TEST

static const char *const basic[] = {
    "example.com TXT v=spf1 -ip4:192.0.2.1 ~ip4:192.0.2.2 ?ip4:192.0.2.3 +ip4:192.0.2.4 "
    "ip4:192.0.2.5",
    "example.com TXT google-site-verification=abc",
    "none.example.com TXT hello",
    "nodata.example.com TXT =nodata",
    "gone.example.com TXT =nxdomain",
    "broken.example.com TXT =servfail",
    "two.example.com TXT v=spf1 -all",
    "two.example.com TXT v=spf1 +all",
    "bad.example.com TXT v=spf1 ip4:300.1.1.1 -all",
    NULL,
};

START_TEST(test_check_host_applies_qualifiers)
{
	CHECK(basic, "192.0.2.1", "example.com", "fail -ip4:192.0.2.1");
	CHECK(basic, "192.0.2.2", "example.com", "softfail ~ip4:192.0.2.2");
	CHECK(basic, "192.0.2.3", "example.com", "neutral ?ip4:192.0.2.3");
	CHECK(basic, "192.0.2.4", "example.com", "pass +ip4:192.0.2.4");
	CHECK(basic, "192.0.2.5", "Example.COM.", "pass ip4:192.0.2.5");
	/* No match: the default is neutral, with no term. */
	CHECK(basic, "192.0.2.6", "example.com", "neutral");
	CHECK(basic, "2001:db8::1", "example.com", "neutral");
	/* An IPv4-mapped IPv6 client is checked as IPv4. */
	CHECK(basic, "::ffff:192.0.2.1", "example.com", "fail -ip4:192.0.2.1");
}
END_TEST

START_TEST(test_check_host_none_permerror_temperror)
{
	CHECK(basic, "192.0.2.1", "none.example.com", "none (none.example.com has no SPF record)");
	CHECK(basic, "192.0.2.1", "nodata.example.com",
	      "none (nodata.example.com has no SPF record)");
	CHECK(basic, "192.0.2.1", "gone.example.com", "none (gone.example.com has no SPF record)");
	CHECK(basic, "192.0.2.1", "localhost", "none (localhost. is not a valid domain)");
	CHECK(basic, "192.0.2.1", "two.example.com",
	      "permerror (two.example.com has 2 SPF records)");
	CHECK(basic, "192.0.2.1", "bad.example.com",
	      "permerror (bad.example.com: permerror: ip4:300.1.1.1 is not an IPv4 network)");
	CHECK(basic, "192.0.2.1", "broken.example.com",
	      "temperror (TXT broken.example.com: servfail)");
	CHECK(basic, "192.0.2.1", "unfetched.example.com",
	      "temperror (TXT unfetched.example.com not fetched)");
}
END_TEST

START_TEST(test_check_host_bad_ip_is_an_error)
{
	struct spf_dns dns;
	struct snap *s = zone(basic);
	struct spf_query q = {.ip = "192.0.2.300", .domain = "example.com"};
	struct spf_eval e;
	char *err = NULL;

	spf_dns_from_snap(&dns, s);
	ck_assert_int_eq(spf_check_host(&dns, &q, &e, &err), -1);
	ck_assert_str_eq(err, "not an IP address: 192.0.2.300");
	free(err);
	snap_free(s);
}
END_TEST

START_TEST(test_include_pass_matches_other_results_do_not)
{
	static const char *const z[] = {
	    "example.com TXT v=spf1 include:fail.example.net include:soft.example.net "
	    "include:neutral.example.net include:pass.example.net -all",
	    "fail.example.net TXT v=spf1 -all",
	    "soft.example.net TXT v=spf1 ~all",
	    "neutral.example.net TXT v=spf1 ?all",
	    "pass.example.net TXT v=spf1 ip4:192.0.2.0/24",
	    "nospf.example.com TXT v=spf1 include:nospf.example.net -all",
	    "nospf.example.net TXT =nxdomain",
	    "temp.example.com TXT v=spf1 include:temp.example.net -all",
	    "temp.example.net TXT =timeout",
	    "perm.example.com TXT v=spf1 include:perm.example.net -all",
	    "perm.example.net TXT v=spf1 foo",
	    NULL,
	};

	CHECK(z, "192.0.2.9", "example.com", "pass include:pass.example.net > ip4:192.0.2.0/24");
	CHECK(z, "198.51.100.1", "example.com", "fail -all");
	CHECK(z, "192.0.2.9", "nospf.example.com",
	      "permerror (include:nospf.example.net: nospf.example.net has no SPF record)");
	CHECK(z, "192.0.2.9", "temp.example.com", "temperror (TXT temp.example.net: timeout)");
	CHECK(z, "192.0.2.9", "perm.example.com",
	      "permerror (perm.example.net: permerror: foo is not a known mechanism)");
}
END_TEST

START_TEST(test_redirect_applies_only_without_a_match)
{
	static const char *const z[] = {
	    "example.com TXT v=spf1 ip4:192.0.2.1 redirect=_spf.example.net",
	    "_spf.example.net TXT v=spf1 ip4:198.51.100.0/24 -all",
	    "all.example.com TXT v=spf1 ?all redirect=_spf.example.net",
	    "empty.example.com TXT v=spf1 redirect=nospf.example.net",
	    "nospf.example.net TXT =nodata",
	    NULL,
	};

	CHECK(z, "192.0.2.1", "example.com", "pass ip4:192.0.2.1");
	CHECK(z, "198.51.100.7", "example.com",
	      "pass redirect=_spf.example.net > ip4:198.51.100.0/24");
	CHECK(z, "203.0.113.1", "example.com", "fail redirect=_spf.example.net > -all");
	CHECK(z, "198.51.100.7", "all.example.com", "neutral ?all");
	CHECK(z, "198.51.100.7", "empty.example.com",
	      "permerror (redirect=nospf.example.net: nospf.example.net has no SPF record)");
}
END_TEST

START_TEST(test_ip6_cidr_matches_by_prefix)
{
	static const char *const z[] = {
	    "example.com TXT v=spf1 ip6:2001:db8::/32 ip6:2001:db9:8000::/33 ip6:::1 -all",
	    NULL,
	};

	CHECK(z, "2001:db8:1::5", "example.com", "pass ip6:2001:db8::/32");
	CHECK(z, "2001:db9:8000::1", "example.com", "pass ip6:2001:db9:8000::/33");
	CHECK(z, "2001:db9:7fff::1", "example.com", "fail -all");
	CHECK(z, "::1", "example.com", "pass ip6:::1");
	CHECK(z, "192.0.2.1", "example.com", "fail -all");
}
END_TEST

START_TEST(test_a_and_mx_match_with_cidr)
{
	static const char *const z[] = {
	    "example.com TXT v=spf1 a/24 mx:mx.example.com/30//64 -all",
	    "example.com A 192.0.2.10",
	    "example.com AAAA 2001:db8::10",
	    "mx.example.com MX 10 mail1.example.com.",
	    "mx.example.com MX 20 mail2.example.com.",
	    "mail1.example.com A 198.51.100.4",
	    "mail1.example.com AAAA 2001:db8:1::1",
	    "mail2.example.com A =servfail",
	    NULL,
	};

	CHECK(z, "192.0.2.200", "example.com", "pass a/24");
	CHECK(z, "198.51.100.7", "example.com", "pass mx:mx.example.com/30//64");
	CHECK(z, "2001:db8:1::ffff", "example.com", "pass mx:mx.example.com/30//64");
	/* A /128 for a: 2001:db8::11 is not 2001:db8::10; mail2 is unknown: temperror. */
	CHECK(z, "2001:db8::11", "example.com", "temperror (AAAA mail2.example.com not fetched)");
	CHECK(z, "203.0.113.1", "example.com", "temperror (A mail2.example.com: servfail)");
}
END_TEST

START_TEST(test_unknown_lookup_gives_temperror_not_fail)
{
	static const char *const z[] = {
	    "example.com TXT v=spf1 a:mail.example.com -all",
	    "x.example.com TXT v=spf1 exists:%{i}.x.example.com -all",
	    NULL,
	};

	CHECK(z, "192.0.2.1", "example.com", "temperror (A mail.example.com not fetched)");
	CHECK(z, "192.0.2.1", "x.example.com", "temperror (A 192.0.2.1.x.example.com not fetched)");
}
END_TEST

START_TEST(test_exists_with_macros)
{
	static const char *const z[] = {
	    "example.com TXT v=spf1 exists:%{ir}.%{l1r-}.lp._spf.%{d} -all",
	    "1.2.0.192.strong.lp._spf.example.com A 127.0.0.2",
	    "2.2.0.192.strong.lp._spf.example.com A =nxdomain",
	    "1.2.0.192.postmaster.lp._spf.example.com A =nodata",
	    NULL,
	};
	char *got;

	got = check(z, "192.0.2.1", "example.com", "strong-bad@example.com");
	ck_assert_str_eq(got, "pass exists:%{ir}.%{l1r-}.lp._spf.%{d}");
	free(got);
	got = check(z, "192.0.2.2", "example.com", "strong-bad@example.com");
	ck_assert_str_eq(got, "fail -all");
	free(got);
	/* No sender: postmaster@domain. */
	CHECK(z, "192.0.2.1", "example.com", "fail -all");
}
END_TEST

START_TEST(test_macro_expansion_follows_rfc_examples)
{
	static const char *const cases[][2] = {
	    {"%{s}", "strong-bad@email.example.com"},
	    {"%{o}", "email.example.com"},
	    {"%{d}", "email.example.com"},
	    {"%{d4}", "email.example.com"},
	    {"%{d3}", "email.example.com"},
	    {"%{d2}", "example.com"},
	    {"%{d1}", "com"},
	    {"%{dr}", "com.example.email"},
	    {"%{d2r}", "example.email"},
	    {"%{l}", "strong-bad"},
	    {"%{l-}", "strong.bad"},
	    {"%{lr}", "strong-bad"},
	    {"%{lr-}", "bad.strong"},
	    {"%{l1r-}", "strong"},
	    {"%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"},
	    {"%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"},
	    {"%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"},
	    {"%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"},
	    {"%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"},
	    {"%{S}", "strong-bad%40email.example.com"},
	    {"a%%b%_c%-d", "a%b c%20d"},
	    {"%{h}.%{p}", "mx.example.org.unknown"},
	};
	struct spf_query q = {.ip = "192.0.2.3",
			      .domain = "email.example.com",
			      .sender = "strong-bad@email.example.com",
			      .helo = "mx.example.org"};
	char *got;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = spf_expand(cases[i][0], &q, "email.example.com", false);
		ck_assert_str_eq(got, cases[i][1]);
		free(got);
	}
	q.ip = "2001:db8::cb01";
	got = spf_expand("%{ir}.%{v}._spf.%{d2}", &q, "email.example.com", false);
	ck_assert_str_eq(got, "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2."
			      "ip6._spf.example.com");
	free(got);
	/* exp-only letters. */
	q.now = 1700000000;
	got = spf_expand("%{c} %{r} %{t}", &q, "email.example.com", true);
	ck_assert_str_eq(got, "2001:db8::cb01 unknown 1700000000");
	free(got);
	ck_assert_ptr_null(spf_expand("%{c}", &q, "email.example.com", false));
}
END_TEST

START_TEST(test_ptr_matches_a_validated_name)
{
	static const char *const z[] = {
	    "example.com TXT v=spf1 ptr -all",
	    "1.2.0.192.in-addr.arpa PTR mail.example.com.",
	    "1.2.0.192.in-addr.arpa PTR other.example.org.",
	    "mail.example.com A 192.0.2.1",
	    "2.2.0.192.in-addr.arpa PTR fake.example.com.",
	    "fake.example.com A 192.0.2.99",
	    NULL,
	};

	CHECK(z, "192.0.2.1", "example.com", "pass ptr");
	CHECK(z, "192.0.2.2", "example.com", "fail -all");
}
END_TEST

START_TEST(test_limits_give_permerror)
{
	static const char *const z[] = {
	    "loop.example.com TXT v=spf1 include:loop.example.com -all",
	    "void.example.com TXT v=spf1 a:n1.example.com a:n2.example.com a:n3.example.com "
	    "+all",
	    "n1.example.com A =nxdomain",
	    "n2.example.com A =nodata",
	    "n3.example.com A =nxdomain",
	    "mx.example.com TXT v=spf1 mx -all",
	    "mx.example.com MX 1 m1.example.net.",
	    "mx.example.com MX 2 m2.example.net.",
	    "mx.example.com MX 3 m3.example.net.",
	    "mx.example.com MX 4 m4.example.net.",
	    "mx.example.com MX 5 m5.example.net.",
	    "mx.example.com MX 6 m6.example.net.",
	    "mx.example.com MX 7 m7.example.net.",
	    "mx.example.com MX 8 m8.example.net.",
	    "mx.example.com MX 9 m9.example.net.",
	    "mx.example.com MX 10 m10.example.net.",
	    "mx.example.com MX 11 m11.example.net.",
	    "many.example.com TXT v=spf1 a a a a a a a a a a a +all",
	    "many.example.com A 192.0.2.7",
	    NULL,
	};

	CHECK(z, "192.0.2.1", "loop.example.com", "permerror (more than 10 DNS lookups)");
	CHECK(z, "192.0.2.1", "void.example.com", "permerror (more than 2 void lookups)");
	CHECK(z, "192.0.2.1", "mx.example.com",
	      "permerror (mx.example.com has more than 10 MX records)");
	CHECK(z, "192.0.2.1", "many.example.com", "permerror (more than 10 DNS lookups)");
	CHECK(z, "192.0.2.7", "many.example.com", "pass a");
}
END_TEST

START_TEST(test_needed_lists_what_an_evaluation_reads)
{
	static const char *const z[] = {
	    "example.com TXT v=spf1 a mx include:_spf.example.net exists:%{i}.x.example.com ptr "
	    "redirect=r.example.com -all",
	    "example.com MX 10 mx1.example.com.",
	    "example.com MX 20 .",
	    NULL,
	};
	static const char *const z2[] = {
	    "example.com TXT v=spf1 include:_spf.example.net ~all",
	    "_spf.example.net TXT v=spf1 a:Mail.example.net include:example.com",
	    NULL,
	};
	struct snap *s = zone(z);
	struct spf_dns dns;
	struct spf_query q = {.ip = "192.0.2.1", .domain = "example.com"};
	struct spf_need *v;
	size_t n;
	char *text = xstrdup(""), *next, tb[16];

	spf_dns_from_snap(&dns, s);
	n = spf_needed(&dns, &q, &v);
	for (size_t i = 0; i < n; i++) {
		next = xasprintf("%s%s %s\n", text, dns_type_name(v[i].type, tb, sizeof(tb)),
				 v[i].name);
		free(text);
		text = next;
	}
	spf_needs_free(v, n);
	ck_assert_str_eq(text, "TXT example.com.\nA example.com.\nMX example.com.\n"
			       "A mx1.example.com.\nTXT _spf.example.net.\n"
			       "A 192.0.2.1.x.example.com.\nPTR 1.2.0.192.in-addr.arpa.\n");
	free(text);
	snap_free(s);

	/* Without an IP: both address types, no macro targets; loops stop. */
	s = zone(z2);
	spf_dns_from_snap(&dns, s);
	q.ip = NULL;
	n = spf_needed(&dns, &q, &v);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(v[1].name, "_spf.example.net.");
	ck_assert_str_eq(v[2].name, "mail.example.net.");
	ck_assert_int_eq(v[2].type, DNS_T_A);
	ck_assert_int_eq(v[3].type, DNS_T_AAAA);
	spf_needs_free(v, n);
	snap_free(s);
}
END_TEST

START_TEST(test_snap_adapter_answers_from_snapshot)
{
	struct snap *s = snap_new("example.com");
	struct dns_result res = {0};
	struct dns_rr rr[2] = {{0}};
	struct spf_dns dns;
	enum dns_outcome o;
	char *const *rec;
	size_t n;

	res.qname = xstrdup("example.com.");
	res.qtype = DNS_T_MX;
	res.outcome = DNS_ANSWER;
	rr[0].type = rr[1].type = DNS_T_MX;
	rr[0].pref = 10;
	rr[0].data = xstrdup("mx.example.com.");
	rr[1].pref = 20;
	rr[1].data = xstrdup("mx2.example.com.");
	res.rrs = rr;
	res.nrrs = 2;
	snap_put(s, &res);
	res.qtype = DNS_T_TXT;
	res.outcome = DNS_SERVFAIL;
	res.nrrs = 0;
	snap_put(s, &res);
	spf_dns_from_snap(&dns, s);

	ck_assert(spf_lookup(&dns, "EXAMPLE.com", DNS_T_MX, &o, &rec, &n));
	ck_assert_int_eq(o, DNS_ANSWER);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(rec[0], "10 mx.example.com.");
	ck_assert_str_eq(spf_mx_target(rec[1]), "mx2.example.com.");
	ck_assert(spf_lookup(&dns, "example.com", DNS_T_TXT, &o, &rec, &n));
	ck_assert_int_eq(o, DNS_SERVFAIL);
	ck_assert_uint_eq(n, 0);
	ck_assert(!spf_lookup(&dns, "example.com", DNS_T_A, &o, &rec, &n));
	{
		/* An MX that times out this check answers with its last known records. */
		struct snap *now = snap_new("example.com");

		res.qtype = DNS_T_MX;
		res.outcome = DNS_TIMEOUT;
		snap_put(now, &res);
		snap_carry(now, s);
		spf_dns_from_snap(&dns, now);
		ck_assert(spf_lookup(&dns, "example.com", DNS_T_MX, &o, &rec, &n));
		ck_assert_int_eq(o, DNS_ANSWER);
		ck_assert_uint_eq(n, 2);
		ck_assert_str_eq(rec[1], "20 mx2.example.com.");
		snap_free(now);
	}
	free(res.qname);
	free(rr[0].data);
	free(rr[1].data);
	snap_free(s);
}
END_TEST

START_TEST(test_address_helpers)
{
	unsigned char a[16], b[16];
	bool v4;
	char *r;

	ck_assert(spf_ip_parse("192.0.2.1", a, &v4) && v4);
	ck_assert(spf_ip_parse("192.0.3.1", b, &v4) && v4);
	ck_assert(spf_ip_match(a, b, 23));
	ck_assert(!spf_ip_match(a, b, 24));
	ck_assert(spf_ip_match(a, b, 0));
	r = spf_reverse_name(a, true);
	ck_assert_str_eq(r, "1.2.0.192.in-addr.arpa.");
	free(r);
	ck_assert(spf_ip_parse("2001:db8::1", a, &v4) && !v4);
	r = spf_reverse_name(a, false);
	ck_assert_str_eq(
	    r, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.");
	free(r);
	ck_assert(!spf_ip_parse("mail.example.com", a, &v4));
	ck_assert(!spf_ip_parse(NULL, a, &v4));
}
END_TEST

static Suite *
spf_suite(void)
{
	Suite *s = suite_create("spf");
	TCase *tc = tcase_create("spf");

	tcase_add_test(tc, test_parse_reads_every_mechanism_and_modifier);
	tcase_add_test(tc, test_parse_accepts_rfc_edge_cases);
	tcase_add_test(tc, test_parse_rejects_bad_terms_naming_them);
	tcase_add_test(tc, test_more_than_one_spf_record_is_detected);
	tcase_add_test(tc, test_count_ten_lookups_is_ok_eleven_too_many);
	tcase_add_test(tc, test_count_void_lookups_over_two_are_flagged);
	tcase_add_test(tc, test_count_include_loop_is_too_many);
	tcase_add_test(tc, test_count_unknown_include_is_unknown_never_ok_or_too_many);
	tcase_add_test(tc, test_count_reports_none_permerror_and_macros);
	tcase_add_test(tc, test_check_host_applies_qualifiers);
	tcase_add_test(tc, test_check_host_none_permerror_temperror);
	tcase_add_test(tc, test_check_host_bad_ip_is_an_error);
	tcase_add_test(tc, test_include_pass_matches_other_results_do_not);
	tcase_add_test(tc, test_redirect_applies_only_without_a_match);
	tcase_add_test(tc, test_ip6_cidr_matches_by_prefix);
	tcase_add_test(tc, test_a_and_mx_match_with_cidr);
	tcase_add_test(tc, test_unknown_lookup_gives_temperror_not_fail);
	tcase_add_test(tc, test_exists_with_macros);
	tcase_add_test(tc, test_macro_expansion_follows_rfc_examples);
	tcase_add_test(tc, test_ptr_matches_a_validated_name);
	tcase_add_test(tc, test_limits_give_permerror);
	tcase_add_test(tc, test_needed_lists_what_an_evaluation_reads);
	tcase_add_test(tc, test_snap_adapter_answers_from_snapshot);
	tcase_add_test(tc, test_address_helpers);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(spf_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
