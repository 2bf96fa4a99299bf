/* The query plan: first queries per domain config, follow-ups per answer. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns_pkt.h"
#include "plan.h"
#include "xmalloc.h"

/* Renders a plan as "TYPE name depth" lines. */
static char *
render(struct plan_query *q, size_t n)
{
	char *out = xstrdup(""), tb[16];

	for (size_t i = 0; i < n; i++) {
		char *next =
		    xasprintf("%s%s %s %u\n", out, dns_type_name(q[i].type, tb, sizeof(tb)),
			      q[i].name, q[i].depth);

		free(out);
		out = next;
	}
	plan_free(q, n);
	return out;
}

/* A domain with everything configured. */
static void
full_domain(struct cfg_domain *d)
{
	static char name[] = "example.com", support[] = "support.example.com";
	static char ip4[] = "203.0.113.10", ip6[] = "2001:db8::25", s1[] = "s1";
	static char token[] = "abcdefghijklmnopqrstuvwxyz234567";
	static char region[] = "us-east-1", mail_from[] = "bounce.example.com";
	static char *mail_names[] = {name, support};
	static char *ips[] = {ip4, ip6};
	static char *selectors[] = {s1};
	static char *tokens[] = {token};

	memset(d, 0, sizeof(*d));
	d->name = name;
	d->mail_names = mail_names;
	d->nmail_names = 2;
	d->has_ses = true;
	d->ses.region = region;
	d->ses.mail_from = mail_from;
	d->ses.dkim_tokens = tokens;
	d->ses.ndkim_tokens = 1;
	d->sending_ips = ips;
	d->nsending_ips = 2;
	d->dkim_selectors = selectors;
	d->ndkim_selectors = 1;
}

/* A result of qtype for qname with records given as data strings (MX: "PREF TARGET"). */
static void
result(struct dns_result *res, const char *qname, uint16_t qtype, enum dns_outcome o,
       const char *const *data, size_t n)
{
	memset(res, 0, sizeof(*res));
	res->qname = dns_name_canon(qname);
	res->qtype = qtype;
	res->outcome = o;
	res->rrs = n ? xcalloc(n, sizeof(*res->rrs)) : NULL;
	res->nrrs = n;
	for (size_t i = 0; i < n; i++) {
		res->rrs[i].type = qtype;
		if (qtype == DNS_T_MX) {
			res->rrs[i].pref = (uint16_t)atoi(data[i]);
			res->rrs[i].data = xstrdup(strchr(data[i], ' ') + 1);
		} else {
			res->rrs[i].data = xstrdup(data[i]);
		}
		res->rrs[i].len = strlen(res->rrs[i].data);
	}
}

START_TEST(test_first_queries_cover_every_watched_set)
{
	struct cfg_domain d;
	struct plan_query *q;
	size_t n;
	char *text;

	full_domain(&d);
	n = plan_first(&d, &q);
	text = render(q, n);
	ck_assert_str_eq(text,
			 "MX example.com. 0\n"
			 "MX support.example.com. 0\n"
			 "A example.com. 0\n"
			 "AAAA example.com. 0\n"
			 "TXT example.com. 0\n"
			 "TXT _dmarc.example.com. 0\n"
			 "MX bounce.example.com. 0\n"
			 "TXT bounce.example.com. 0\n"
			 "TXT s1._domainkey.example.com. 0\n"
			 "TXT abcdefghijklmnopqrstuvwxyz234567._domainkey.example.com. 0\n"
			 "PTR 10.113.0.203.in-addr.arpa. 0\n"
			 "PTR 5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2."
			 "ip6.arpa. 0\n");
	free(text);
}
END_TEST

START_TEST(test_bare_domain_plan)
{
	static char name[] = "example.org";
	static char *mail_names[] = {name};
	struct cfg_domain d = {.name = name, .mail_names = mail_names, .nmail_names = 1};
	struct plan_query *q;
	size_t n = plan_first(&d, &q);
	char *text = render(q, n);

	ck_assert_str_eq(text, "MX example.org. 0\nA example.org. 0\nAAAA example.org. 0\n"
			       "TXT example.org. 0\nTXT _dmarc.example.org. 0\n");
	free(text);
}
END_TEST

START_TEST(test_subdomain_also_watches_the_org_dmarc)
{
	static char name[] = "shop.example.co.uk";
	static char *mail_names[] = {name};
	struct cfg_domain d = {.name = name, .mail_names = mail_names, .nmail_names = 1};
	struct plan_query *q;
	size_t n = plan_first(&d, &q);
	char *text = render(q, n);

	ck_assert_str_eq(text, "MX shop.example.co.uk. 0\nA shop.example.co.uk. 0\n"
			       "AAAA shop.example.co.uk. 0\nTXT shop.example.co.uk. 0\n"
			       "TXT _dmarc.shop.example.co.uk. 0\nTXT _dmarc.example.co.uk. 0\n");
	free(text);
}
END_TEST

START_TEST(test_mx_targets_get_address_queries_but_not_null_mx)
{
	static const char *mx[] = {"10 mail.example.com.", "0 ."};
	struct cfg_domain d;
	struct dns_result res;
	struct plan_query *q;
	size_t n;
	char *text;

	full_domain(&d);
	result(&res, "example.com", DNS_T_MX, DNS_ANSWER, mx, 2);
	n = plan_next(&d, &res, 0, &q);
	text = render(q, n);
	ck_assert_str_eq(text, "A mail.example.com. 0\nAAAA mail.example.com. 0\n");
	free(text);
	dns_result_clear(&res);
}
END_TEST

START_TEST(test_mail_name_without_mx_watches_its_implicit_mx)
{
	struct cfg_domain d;
	struct dns_result res;
	struct plan_query *q;
	size_t n;
	char *text;

	full_domain(&d);
	result(&res, "support.example.com", DNS_T_MX, DNS_NODATA, NULL, 0);
	n = plan_next(&d, &res, 0, &q);
	text = render(q, n);
	ck_assert_str_eq(text, "A support.example.com. 0\nAAAA support.example.com. 0\n");
	free(text);
	dns_result_clear(&res);
	/* The MAIL FROM name is not a mail name: no implicit MX for it. */
	result(&res, "bounce.example.com", DNS_T_MX, DNS_NXDOMAIN, NULL, 0);
	ck_assert_int_eq(plan_next(&d, &res, 0, &q), 0);
	dns_result_clear(&res);
	/* An unknown outcome calls for nothing. */
	result(&res, "example.com", DNS_T_MX, DNS_SERVFAIL, NULL, 0);
	ck_assert_int_eq(plan_next(&d, &res, 0, &q), 0);
	dns_result_clear(&res);
}
END_TEST

START_TEST(test_spf_includes_and_redirect_are_followed_one_level_deeper)
{
	static const char *txt[] = {
	    "v=spf1 ip4:192.0.2.0/24 include:_spf.Google.com ~include:amazonses.com "
	    "include:%{d}.macro.example a mx:Mail.example.net exists:e.example.org -all "
	    "redirect=ignored.example.net",
	    "google-site-verification=abc include:not.spf.example",
	    "v=spf1 a:web.example.com/24 exists:%{i}.ip.example ptr redirect=_spf.example.net",
	};
	struct cfg_domain d;
	struct dns_result res;
	struct plan_query *q;
	size_t n;
	char *text;

	full_domain(&d);
	result(&res, "example.com", DNS_T_TXT, DNS_ANSWER, txt, 3);
	n = plan_next(&d, &res, 3, &q);
	text = render(q, n);
	/* Includes one level deeper; a, mx and exists targets at depth 0; redirect only in the
	 * record without "all"; macros, ptr, ip4 and non-SPF text ask nothing. */
	ck_assert_str_eq(text, "TXT _spf.google.com. 4\nTXT amazonses.com. 4\n"
			       "A example.com. 0\nAAAA example.com. 0\nMX mail.example.net. 0\n"
			       "A e.example.org. 0\n"
			       "A web.example.com. 0\nAAAA web.example.com. 0\n"
			       "TXT _spf.example.net. 4\n");
	free(text);
	/* At the depth cap, nothing more is followed. */
	ck_assert_int_eq(plan_next(&d, &res, PLAN_SPF_MAX_DEPTH, &q), 0);
	dns_result_clear(&res);
}
END_TEST

START_TEST(test_ptr_names_get_address_queries)
{
	static const char *ptr[] = {"mail.example.com.", "mx2.example.com."};
	struct cfg_domain d;
	struct dns_result res;
	struct plan_query *q;
	size_t n;
	char *text;

	full_domain(&d);
	result(&res, "10.113.0.203.in-addr.arpa", DNS_T_PTR, DNS_ANSWER, ptr, 2);
	n = plan_next(&d, &res, 0, &q);
	text = render(q, n);
	ck_assert_str_eq(text, "A mail.example.com. 0\nAAAA mail.example.com. 0\n"
			       "A mx2.example.com. 0\nAAAA mx2.example.com. 0\n");
	free(text);
	dns_result_clear(&res);
}
END_TEST

START_TEST(test_last_known_records_keep_their_dependants_watched)
{
	static char name[] = "example.com.", r1[] = "10 mail.example.com.", r2[] = "0 .";
	static char txt[] = "v=spf1 include:_spf.example.net -all";
	static char *mx[] = {r1, r2}, *spf[] = {txt};
	struct snap_set set = {.name = name,
			       .type = DNS_T_MX,
			       .outcome = DNS_SERVFAIL,
			       .known = DNS_ANSWER,
			       .records = mx,
			       .nrecords = 2};
	struct cfg_domain d;
	struct plan_query *q;
	size_t n;
	char *text;

	full_domain(&d);
	n = plan_next_known(&d, &set, 0, &q);
	text = render(q, n);
	ck_assert_str_eq(text, "A mail.example.com. 0\nAAAA mail.example.com. 0\n");
	free(text);
	set.type = DNS_T_TXT;
	set.records = spf;
	set.nrecords = 1;
	n = plan_next_known(&d, &set, 0, &q);
	text = render(q, n);
	ck_assert_str_eq(text, "TXT _spf.example.net. 1\n");
	free(text);
	/* Never known: nothing to go on. */
	set.known = DNS_ERROR;
	ck_assert_int_eq(plan_next_known(&d, &set, 0, &q), 0);
}
END_TEST

START_TEST(test_spf_target_parsing)
{
	struct plan_query *q;
	size_t n;
	char *text;

	ck_assert_int_eq(plan_spf("v=spf10 include:x.example", "example.com.", 0, &q), 0);
	ck_assert_int_eq(plan_spf("spf1 include:x.example", "example.com.", 0, &q), 0);
	ck_assert_int_eq(plan_spf("v=spf1", "example.com.", 0, &q), 0);
	/* A record that does not parse is a permerror: nothing in it is looked up. */
	ck_assert_int_eq(plan_spf("v=spf1 include:x.example redirect=", "example.com.", 0, &q), 0);
	n = plan_spf("V=SPF1  INCLUDE:X.Example  MX", "Example.COM", 0, &q);
	text = render(q, n);
	ck_assert_str_eq(text, "TXT x.example. 1\nMX example.com. 0\n");
	free(text);
}
END_TEST

START_TEST(test_reverse_names)
{
	char *r = plan_reverse_name("192.0.2.1");

	ck_assert_str_eq(r, "1.2.0.192.in-addr.arpa.");
	free(r);
	r = plan_reverse_name("2001:db8::1");
	ck_assert_str_eq(
	    r, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.");
	free(r);
	ck_assert_ptr_null(plan_reverse_name("mail.example.com"));
}
END_TEST

static Suite *
plan_suite(void)
{
	Suite *s = suite_create("plan");
	TCase *tc = tcase_create("plan");

	tcase_add_test(tc, test_first_queries_cover_every_watched_set);
	tcase_add_test(tc, test_bare_domain_plan);
	tcase_add_test(tc, test_subdomain_also_watches_the_org_dmarc);
	tcase_add_test(tc, test_mx_targets_get_address_queries_but_not_null_mx);
	tcase_add_test(tc, test_mail_name_without_mx_watches_its_implicit_mx);
	tcase_add_test(tc, test_spf_includes_and_redirect_are_followed_one_level_deeper);
	tcase_add_test(tc, test_ptr_names_get_address_queries);
	tcase_add_test(tc, test_last_known_records_keep_their_dependants_watched);
	tcase_add_test(tc, test_spf_target_parsing);
	tcase_add_test(tc, test_reverse_names);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(plan_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
