/* The rule engine on snapshot fixtures written as text. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns_pkt.h"
#include "rule.h"
#include "xmalloc.h"

/* A healthy example.com: own mail server, SPF, DMARC, DKIM, SES MAIL FROM, a sending IP
 * with forward-confirmed reverse DNS. One set a line: "NAME TYPE OUTCOME [REC | REC]";
 * a record "@NAME" is a CNAME in the chain. */
static const char healthy[] =
    "example.com. MX answer 10 mail.example.com.\n"
    "mail.example.com. A answer 192.0.2.25\n"
    "mail.example.com. AAAA answer 2001:db8::25\n"
    "example.com. A answer 198.51.100.10\n"
    "example.com. AAAA nodata\n"
    "example.com. TXT answer v=spf1 ip4:192.0.2.25 ip4:203.0.113.10 include:amazonses.com -all\n"
    "amazonses.com. TXT answer v=spf1 ip4:199.255.192.0/22 ip4:54.240.0.0/18 -all\n"
    "_dmarc.example.com. TXT answer v=DMARC1; p=reject\n"
    "bounce.example.com. MX answer 10 feedback-smtp.us-east-1.amazonses.com.\n"
    "bounce.example.com. TXT answer v=spf1 include:amazonses.com ~all\n"
    "s1._domainkey.example.com. TXT answer v=DKIM1; k=rsa; p=MIGfMA0\n"
    "abcdefghijklmnopqrstuvwxyz234567._domainkey.example.com. TXT answer "
    "@abcdefghijklmnopqrstuvwxyz234567.dkim.amazonses.com. | p=MIGfMA0ses\n"
    "10.113.0.203.in-addr.arpa. PTR answer mail.example.com.\n"
    "mail.example.com. A answer 192.0.2.25 | 203.0.113.10\n";

static struct prov *prov; /* the shipped provider data */

/* Loads the shipped provider data. */
static void
prov_setup(void)
{
	const char *src = getenv("MXW_SRCDIR");
	char *dir = xasprintf("%s/conf/data", src ? src : ".");
	char *err = NULL;

	if (prov_load(dir, NULL, 0, &prov, &err) != 0) {
		fprintf(stderr, "check_rule: %s\n", err);
		exit(1);
	}
	free(dir);
}

static void
prov_teardown(void)
{
	prov_free(prov);
}

/* Builds a snapshot from fixture text. */
static struct snap *
fixture(const char *text)
{
	struct snap *s = snap_new("example.com");
	char *copy = xstrdup(text), *save = NULL;

	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[256], type[16], outcome[16];
		int off = 0;
		struct dns_result res;
		char *rest, *rsave = NULL;

		ck_assert_int_eq(sscanf(line, "%255s %15s %15s %n", name, type, outcome, &off), 3);
		memset(&res, 0, sizeof(res));
		res.qname = dns_name_canon(name);
		ck_assert(dns_type_parse(type, &res.qtype));
		ck_assert(dns_outcome_parse(outcome, &res.outcome));
		res.ttl = 300;
		rest = off ? line + off : line + strlen(line);
		for (char *r = strtok_r(rest, "|", &rsave); r; r = strtok_r(NULL, "|", &rsave)) {
			struct dns_rr rr = {0};

			while (*r == ' ')
				r++;
			for (size_t l = strlen(r); l > 0 && r[l - 1] == ' ';)
				r[--l] = '\0';
			if (*r == '@') {
				res.cnames = xreallocarray(res.cnames, res.ncnames + 1, sizeof(rr));
				rr.data = xstrdup(r + 1);
				res.cnames[res.ncnames++] = rr;
				continue;
			}
			rr.type = res.qtype;
			if (res.qtype == DNS_T_MX) {
				rr.pref = (uint16_t)atoi(r);
				rr.data = xstrdup(strchr(r, ' ') + 1);
			} else {
				rr.data = xstrdup(r);
			}
			rr.len = strlen(rr.data);
			if (res.qtype == DNS_T_TXT) {
				rr.nstrings = 1;
				rr.strlens = xmalloc(1);
				rr.strlens[0] = (uint8_t)rr.len;
			}
			res.rrs = xreallocarray(res.rrs, res.nrrs + 1, sizeof(rr));
			res.rrs[res.nrrs++] = rr;
		}
		snap_put(s, &res);
		dns_result_clear(&res);
	}
	free(copy);
	return s;
}

/* The configured example.com. */
static void
domain(struct cfg_domain *d, char *mail_from)
{
	static char name[] = "example.com", region[] = "us-east-1", ip[] = "203.0.113.10";
	static char s1[] = "s1", token[] = "abcdefghijklmnopqrstuvwxyz234567";
	static char *mail_names[] = {name}, *ips[] = {ip}, *sels[] = {s1}, *tokens[] = {token};

	memset(d, 0, sizeof(*d));
	d->name = name;
	d->mail_names = mail_names;
	d->nmail_names = 1;
	d->has_ses = true;
	d->ses.region = region;
	d->ses.mail_from = mail_from;
	d->ses.dkim_tokens = tokens;
	d->ses.ndkim_tokens = 1;
	d->sending_ips = ips;
	d->nsending_ips = 1;
	d->dkim_selectors = sels;
	d->ndkim_selectors = 1;
}

/* Evaluates cur (and prev) and renders "RULE SUBJECT SEVERITY[ new]" lines. */
static char *
eval_text(const char *prev_text, const char *cur_text, char *mail_from, bool messages)
{
	static char bounce[] = "bounce.example.com";
	struct cfg_domain d;
	struct snap *prev = prev_text ? fixture(prev_text) : NULL, *cur = fixture(cur_text);
	struct findings out = {0};
	char *text = xstrdup("");

	domain(&d, mail_from ? mail_from : bounce);
	snap_carry(cur, prev);
	rule_eval(&(struct rule_env){.prov = prov, .confirm_after = 2}, &d, prev, cur, &out);
	for (size_t i = 0; i < out.n; i++) {
		const struct finding *f = &out.v[i];
		char *next = xasprintf("%s%s %s %s%s%s%s\n", text, f->rule, f->subject,
				       severity_name(f->severity), f->regression ? " new" : "",
				       messages ? ": " : "", messages ? f->message : "");

		free(text);
		text = next;
	}
	findings_clear(&out);
	snap_free(prev);
	snap_free(cur);
	return text;
}

/* Asserts the findings of healthy + extra lines (later lines replace earlier sets). */
static void
expect(const char *extra, const char *want)
{
	char *cur = xasprintf("%s%s", healthy, extra);
	char *got = eval_text(NULL, cur, NULL, false);

	ck_assert_str_eq(got, want);
	free(got);
	free(cur);
}

START_TEST(test_healthy_domain_has_no_finding)
{
	expect("", "");
}
END_TEST

START_TEST(test_mx_rules)
{
	/* No MX: mail goes to the apex address, the web site's (the implicit MX). */
	expect("example.com. MX nodata\n", "mx.missing example.com. critical new\n"
					   "mx.target-is-web-host example.com. warning new\n");
	expect("example.com. MX answer 10 mail.example.com. | 0 .\n",
	       "mx.null-mixed example.com. critical new\n");
	expect("mail.example.com. A nodata\nmail.example.com. AAAA nxdomain\n",
	       "mx.target-no-address mail.example.com. critical new\n"
	       "ptr.not-confirmed 203.0.113.10 critical new\n");
	expect("mail.example.com. A answer @host.example.net. | 192.0.2.25 | 203.0.113.10\n",
	       "mx.target-cname mail.example.com. warning new\n");
	expect("example.com. MX answer 10 192.0.2.25.\n",
	       "mx.target-invalid 192.0.2.25. warning new\n");
	expect("mail.example.com. A answer 10.1.2.3\nmail.example.com. AAAA answer fd00::1\n",
	       "mx.target-invalid mail.example.com. warning new\n"
	       "ptr.not-confirmed 203.0.113.10 critical new\n");
	expect("example.com. MX answer 10 example.com.\n"
	       "example.com. AAAA nodata\n",
	       "mx.target-is-web-host example.com. warning new\n");
	/* An IPv6-only MX target has an address (the PTR name lost the sending IP, though). */
	expect("mail.example.com. A nodata\nmail.example.com. AAAA answer 2001:db8::25\n",
	       "ptr.not-confirmed 203.0.113.10 critical new\n");
	/* A null MX alone is fine: the domain says it takes no mail. */
	expect("example.com. MX answer 0 .\n", "");
}
END_TEST

START_TEST(test_provider_rules)
{
	expect("example.com. MX answer 10 mail.example.com. | 10 "
	       "feedback-smtp.us-east-1.amazonses.com.\n",
	       "mx.ses-feedback-on-mail-name example.com. critical new\n");
	expect("example.com. MX answer 10 inbound-smtp.xx-nowhere-9.amazonaws.com.\n",
	       "ses.inbound-region-unknown inbound-smtp.xx-nowhere-9.amazonaws.com. warning new\n");
	expect("example.com. MX answer 10 mail.example.com. | 20 aspmx.l.google.com.\n",
	       "mx.mixed-providers example.com. critical new\n");
	/* SES inbound at equal and at a different preference. */
	expect("example.com. MX answer 10 mail.example.com. | 10 "
	       "inbound-smtp.us-east-1.amazonaws.com.\n",
	       "mx.mixed-providers example.com. critical new\n");
	expect("example.com. MX answer 10 mail.example.com. | 20 "
	       "inbound-smtp.us-east-1.amazonaws.com.\n",
	       "mx.mixed-providers example.com. critical new\n");
	/* One provider's hosts at several preferences: one system. */
	expect("example.com. MX answer 1 aspmx.l.google.com. | 5 alt1.aspmx.l.google.com. | 10 "
	       "alt2.aspmx.l.google.com.\n",
	       "");
	/* Two own hosts under one organisational domain: one system. */
	expect("example.com. MX answer 10 mail.example.com. | 20 backup.example.com.\n", "");
	/* The apex is the mail host and its A moved into a CDN range. */
	expect("example.com. MX answer 10 example.com.\n"
	       "example.com. A answer 104.16.1.1\n",
	       "mx.target-is-web-host example.com. warning new\n"
	       "mx.target-on-cdn example.com. critical new\n");
	/* No MX: the implicit MX is the apex, now on a CDN. */
	expect("example.com. MX nodata\nexample.com. A answer 104.16.1.1\n",
	       "mx.missing example.com. critical new\n"
	       "mx.target-is-web-host example.com. warning new\n"
	       "mx.target-on-cdn example.com. critical new\n");
}
END_TEST

START_TEST(test_unknown_mx_fires_nothing)
{
	expect("example.com. MX timeout\nmail.example.com. A servfail\n", "");
}
END_TEST

START_TEST(test_mail_from_rules)
{
	static char apex[] = "example.com", other[] = "bounce.example.net";
	char *got;

	expect("bounce.example.com. MX nxdomain\n",
	       "mailfrom.mx-missing bounce.example.com. critical new\n");
	expect("bounce.example.com. MX answer 10 feedback-smtp.eu-west-1.amazonses.com.\n",
	       "mailfrom.mx-wrong bounce.example.com. critical new\n");
	expect("bounce.example.com. MX answer 10 feedback-smtp.us-east-1.amazonses.com. | 20 "
	       "mail.example.com.\n",
	       "mailfrom.mx-wrong bounce.example.com. critical new\n"
	       "mailfrom.receives-mail bounce.example.com. critical new\n");
	{
		char *cur = xasprintf("%s%s", healthy,
				      "bounce.example.com. MX answer 10 "
				      "feedback-smtp.eu-west-1.amazonses.com.\n");

		got = eval_text(NULL, cur, NULL, true);
		ck_assert_str_eq(got,
				 "mailfrom.mx-wrong bounce.example.com. critical new: the MAIL "
				 "FROM domain bounce.example.com. needs exactly one MX, "
				 "feedback-smtp.us-east-1.amazonses.com., not "
				 "feedback-smtp.eu-west-1.amazonses.com.: SES custom MAIL FROM "
				 "setup fails otherwise\n");
		free(got);
		free(cur);
	}
	expect("bounce.example.com. TXT answer v=spf1 -all\n",
	       "mailfrom.spf-missing bounce.example.com. critical new\n");
	got = eval_text(NULL, healthy, apex, false);
	/* The apex as MAIL FROM: it receives mail (it is not "not a subdomain"). */
	ck_assert_str_eq(got, "mailfrom.receives-mail example.com. critical new\n");
	free(got);
	got = eval_text(NULL, healthy, other, false);
	ck_assert_str_eq(got, "mailfrom.not-subdomain bounce.example.net. warning new\n");
	free(got);
}
END_TEST

START_TEST(test_spf_dmarc_dkim_rules)
{
	expect("example.com. TXT answer google-site-verification=x\n",
	       "spf.missing example.com. warning new\n");
	expect("example.com. TXT answer v=spf1 -all | v=spf1 mx -all\n",
	       "spf.multiple example.com. critical new\n");
	expect("example.com. TXT answer v=spf1 mx +all\n",
	       "spf.pass-all example.com. critical new\n");
	expect("_dmarc.example.com. TXT nxdomain\n",
	       "dmarc.missing _dmarc.example.com. warning new\n");
	expect("_dmarc.example.com. TXT answer v=DMARC1; p=reject | v=DMARC1; p=none\n",
	       "dmarc.invalid _dmarc.example.com. warning new\n");
	expect("_dmarc.example.com. TXT answer v=DMARC1; p=bogus\n",
	       "dmarc.invalid _dmarc.example.com. warning new\n");
	expect("_dmarc.example.com. TXT answer v=DMARC1; p=quarantine; rua=mailto:d@example.com\n",
	       "");
	expect("s1._domainkey.example.com. TXT nxdomain\n",
	       "dkim.missing s1._domainkey.example.com. critical new\n");
	expect("s1._domainkey.example.com. TXT answer v=DKIM1; p=\n",
	       "dkim.missing s1._domainkey.example.com. critical new\n");
	expect(
	    "abcdefghijklmnopqrstuvwxyz234567._domainkey.example.com. TXT answer "
	    "@elsewhere.example.net. | p=abc\n",
	    "dkim.missing abcdefghijklmnopqrstuvwxyz234567._domainkey.example.com. critical new\n");
}
END_TEST

START_TEST(test_spf_tree_rules)
{
	/* A record that does not parse. */
	expect("example.com. TXT answer v=spf1 ip4:300.1.1.1 -all\n",
	       "spf.syntax example.com. critical new\n");
	/* An include without SPF is a permanent error of the whole tree. */
	expect("example.com. TXT answer v=spf1 ip4:203.0.113.10 include:nospf.example.net -all\n"
	       "nospf.example.net. TXT answer hello\n",
	       "spf.syntax example.com. critical new\n");
	/* Eleven DNS-querying terms; the sending IP still passes (its ip4 comes first). */
	expect("example.com. TXT answer v=spf1 ip4:203.0.113.10 a:h1.example.net a:h2.example.net "
	       "a:h3.example.net a:h4.example.net a:h5.example.net a:h6.example.net mx "
	       "a:h8.example.net a:h9.example.net a:h10.example.net a:h11.example.net -all\n",
	       "spf.too-many-lookups example.com. critical new\n");
	/* Ten are fine. */
	expect("example.com. TXT answer v=spf1 ip4:203.0.113.10 a:h1.example.net a:h2.example.net "
	       "a:h3.example.net a:h4.example.net a:h5.example.net a:h6.example.net mx "
	       "a:h8.example.net a:h9.example.net a:h10.example.net -all\n",
	       "");
	/* Three names that do not exist. */
	expect("example.com. TXT answer v=spf1 a:v1.example.net a:v2.example.net mx:v3.example.net "
	       "ip4:203.0.113.10 -all\n"
	       "v1.example.net. A nxdomain\nv1.example.net. AAAA nxdomain\n"
	       "v2.example.net. A nodata\nv2.example.net. AAAA nodata\n"
	       "v3.example.net. MX nxdomain\n",
	       "spf.too-many-void-lookups example.com. critical new\n");
	/* Two are allowed; an unknown one is not void. */
	expect("example.com. TXT answer v=spf1 a:v1.example.net a:v2.example.net mx:v3.example.net "
	       "ip4:203.0.113.10 -all\n"
	       "v1.example.net. A nxdomain\nv1.example.net. AAAA nxdomain\n"
	       "v2.example.net. A nodata\nv2.example.net. AAAA nodata\n"
	       "v3.example.net. MX servfail\n",
	       "");
	/* The MAIL FROM name's tree is checked too. */
	expect("bounce.example.com. TXT answer v=spf1 include:amazonses.com include:x.example.net "
	       "~all\n"
	       "x.example.net. TXT nxdomain\n",
	       "spf.syntax bounce.example.com. critical new\n");
}
END_TEST

START_TEST(test_spf_sender_not_authorized)
{
	char *cur, *got;

	/* Authorised by ip4, through a:, through mx, through an include: nothing. */
	expect("", "");
	expect("example.com. TXT answer v=spf1 a:mail.example.com -all\n", "");
	expect("example.com. TXT answer v=spf1 mx -all\n", "");
	expect("example.com. TXT answer v=spf1 include:amazonses.com -all\n"
	       "amazonses.com. TXT answer v=spf1 ip4:203.0.113.0/24 -all\n",
	       "");
	expect("example.com. TXT answer v=spf1 ip6:2001:db8::/32 ip4:203.0.113.10/32 -all\n", "");
	/* fail, softfail and the default neutral fire. */
	cur =
	    xasprintf("%s%s", healthy,
		      "example.com. TXT answer v=spf1 ip4:192.0.2.25 include:amazonses.com -all\n");
	got = eval_text(NULL, cur, NULL, true);
	ck_assert_str_eq(got, "spf.sender-not-authorized 203.0.113.10 critical new: sending IP "
			      "203.0.113.10 gets \"fail\" from the SPF of example.com (matched "
			      "-all): receivers junk or reject the mail it sends as example.com\n");
	free(got);
	free(cur);
	cur = xasprintf("%s%s", healthy, "example.com. TXT answer v=spf1 ip4:192.0.2.25\n");
	got = eval_text(NULL, cur, NULL, true);
	ck_assert_str_eq(got, "spf.sender-not-authorized 203.0.113.10 critical new: sending IP "
			      "203.0.113.10 gets \"neutral\" from the SPF of example.com (no term "
			      "matches it): receivers junk or reject the mail it sends as "
			      "example.com\n");
	free(got);
	free(cur);
	expect("example.com. TXT answer v=spf1 ip4:192.0.2.25 ~all\n",
	       "spf.sender-not-authorized 203.0.113.10 critical new\n");
	/* An include whose TXT is unknown (temperror) fires nothing. */
	expect("example.com. TXT answer v=spf1 include:amazonses.com -all\n"
	       "amazonses.com. TXT timeout\n",
	       "");
}
END_TEST

/* Renders findings as "RULE SUBJECT SEVERITY[ new]: MESSAGE" lines, evidence indented. */
static char *
render_all(const struct findings *out)
{
	char *text = xstrdup(""), *next;

	for (size_t i = 0; i < out->n; i++) {
		const struct finding *f = &out->v[i];

		next =
		    xasprintf("%s%s %s %s%s: %s\n", text, f->rule, f->subject,
			      severity_name(f->severity), f->regression ? " new" : "", f->message);
		free(text);
		text = next;
		for (size_t j = 0; j < f->nevidence; j++) {
			next = xasprintf("%s  %s\n", text, f->evidence[j]);
			free(text);
			text = next;
		}
	}
	return text;
}

START_TEST(test_lookup_failed_after_confirm_after_checks)
{
	static char bounce[] = "bounce.example.com";
	struct rule_env env = {.prov = prov, .confirm_after = 2};
	struct snap *s0 = fixture(healthy);
	char *t1 = xasprintf("%s%s", healthy, "example.com. MX timeout\n");
	char *t2 = xasprintf("%s%s", healthy, "example.com. MX servfail\n");
	struct snap *s1 = fixture(t1), *s2 = fixture(t2), *s3 = fixture(healthy);
	struct findings out = {0};
	struct cfg_domain d;
	char *got;

	domain(&d, bounce);
	/* One failed check: pending, nothing yet; the MX rules read the last known MX. */
	snap_carry(s1, s0);
	rule_eval(&env, &d, s0, s1, &out);
	ck_assert_uint_eq(out.n, 0);
	/* The second in a row fires, once, as new. */
	snap_carry(s2, s1);
	rule_eval(&env, &d, s1, s2, &out);
	got = render_all(&out);
	ck_assert_str_eq(got,
			 "dns.lookup-failed example.com. MX warning new: example.com. MX could "
			 "not be looked up (servfail) in 2 checks in a row: changes to it go "
			 "unseen; the rules keep reading its last known records\n"
			 "  last known: example.com. MX 10 mail.example.com.\n");
	free(got);
	findings_clear(&out);
	/* With confirm_after 3 it is still pending. */
	env.confirm_after = 3;
	rule_eval(&env, &d, s1, s2, &out);
	ck_assert_uint_eq(out.n, 0);
	/* Answered again: gone. */
	snap_carry(s3, s2);
	rule_eval(&env, &d, s2, s3, &out);
	ck_assert_uint_eq(out.n, 0);
	snap_free(s0);
	snap_free(s1);
	snap_free(s2);
	snap_free(s3);
	free(t1);
	free(t2);
	/* Never known, failing from the first check: with confirm_after 1 it fires at once. */
	s1 = fixture("example.com. MX refused\n");
	env.confirm_after = 1;
	rule_eval(&env, &d, NULL, s1, &out);
	got = render_all(&out);
	ck_assert_str_eq(got,
			 "dns.lookup-failed example.com. MX warning new: example.com. MX could "
			 "not be looked up (refused) in the last check: changes to it go "
			 "unseen; it was never known\n");
	free(got);
	findings_clear(&out);
	snap_free(s1);
}
END_TEST

START_TEST(test_dmarc_of_a_subdomain_falls_back_to_the_org_domain)
{
	static char name[] = "shop.example.com";
	static char *mail_names[] = {name};
	struct cfg_domain d = {.name = name, .mail_names = mail_names, .nmail_names = 1};
	struct rule_env env = {.prov = prov, .confirm_after = 2};
	static const char *const cases[][2] = {
	    /* The organisational domain's policy applies: nothing. */
	    {"_dmarc.shop.example.com. TXT nxdomain\n"
	     "_dmarc.example.com. TXT answer v=DMARC1; p=reject; sp=quarantine\n",
	     ""},
	    /* Neither has one. */
	    {"_dmarc.shop.example.com. TXT nxdomain\n_dmarc.example.com. TXT answer hello\n",
	     "dmarc.missing _dmarc.shop.example.com. warning new: shop.example.com has no DMARC "
	     "record: receivers apply no policy to mail that fails SPF and DKIM\n"
	     "  _dmarc.shop.example.com. TXT nxdomain\n"
	     "  _dmarc.example.com. TXT hello\n"},
	    /* The org's record is unknown: we cannot tell. */
	    {"_dmarc.shop.example.com. TXT nxdomain\n_dmarc.example.com. TXT servfail\n", ""},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct snap *s = fixture(cases[i][0]);
		struct findings out = {0};
		char *got;

		rule_eval(&env, &d, NULL, s, &out);
		got = render_all(&out);
		ck_assert_str_eq(got, cases[i][1]);
		free(got);
		findings_clear(&out);
		snap_free(s);
	}
}
END_TEST

START_TEST(test_ptr_changed_but_not_when_removed)
{
	char *cur = xasprintf("%s%s", healthy,
			      "10.113.0.203.in-addr.arpa. PTR answer mx.example.com.\n"
			      "mx.example.com. A answer 203.0.113.10\n");
	char *gone = xasprintf("%s%s", healthy, "10.113.0.203.in-addr.arpa. PTR nxdomain\n");
	char *got = eval_text(healthy, cur, NULL, true);

	ck_assert_str_eq(got, "dns.changed 10.113.0.203.in-addr.arpa. PTR info new: "
			      "10.113.0.203.in-addr.arpa. PTR changed: - mail.example.com.; + "
			      "mx.example.com.\n"
			      "ptr.changed 203.0.113.10 warning new: the reverse DNS of sending IP "
			      "203.0.113.10 changed (- mail.example.com.; + mx.example.com.): "
			      "receivers that check it see another name\n");
	free(got);
	/* Removed: ptr.missing says it, not ptr.changed. */
	got = eval_text(healthy, gone, NULL, false);
	ck_assert_str_eq(got, "dns.changed 10.113.0.203.in-addr.arpa. PTR info new\n"
			      "ptr.missing 203.0.113.10 critical new\n");
	free(got);
	free(cur);
	free(gone);
}
END_TEST

START_TEST(test_ptr_rules)
{
	expect("10.113.0.203.in-addr.arpa. PTR nxdomain\n",
	       "ptr.missing 203.0.113.10 critical new\n");
	expect("10.113.0.203.in-addr.arpa. PTR answer ec2-203-0-113-10.compute-1.amazonaws.com.\n"
	       "ec2-203-0-113-10.compute-1.amazonaws.com. A answer 203.0.113.99\n",
	       "ptr.generic 203.0.113.10 warning new\n"
	       "ptr.not-confirmed 203.0.113.10 critical new\n");
	/* One of two names resolving back is enough. */
	expect("10.113.0.203.in-addr.arpa. PTR answer mail.example.com. | other.example.com.\n"
	       "other.example.com. A nxdomain\n",
	       "");
}
END_TEST

START_TEST(test_changes_are_reported_and_regressions_marked)
{
	char *cur = xasprintf("%s%s", healthy,
			      "example.com. MX answer 10 mail.example.com. | 10 "
			      "inbound-smtp.us-east-1.amazonaws.com.\n"
			      "mail.example.com. A answer 192.0.2.26 | 203.0.113.10\n"
			      "_dmarc.example.com. TXT nxdomain\n");
	char *prev = xasprintf("%s%s", healthy, "_dmarc.example.com. TXT nxdomain\n");
	char *got = eval_text(prev, cur, NULL, true);

	ck_assert_str_eq(
	    got, "dmarc.missing _dmarc.example.com. warning: example.com has no DMARC record: "
		 "receivers apply no policy to mail that fails SPF and DKIM\n"
		 "dns.changed example.com. MX info new: example.com. MX changed: + 10 "
		 "inbound-smtp.us-east-1.amazonaws.com.\n"
		 "dns.changed mail.example.com. A info new: mail.example.com. A changed: - "
		 "192.0.2.25; + 192.0.2.26\n"
		 "mx.mixed-providers example.com. critical new: part of the mail to "
		 "example.com. goes to inbound-smtp.us-east-1.amazonaws.com. (Amazon SES "
		 "inbound us-east-1) and is lost there: equal preference 10 with "
		 "mail.example.com. (own server), and senders pick at random\n"
		 "mx.target-moved mail.example.com. warning new: the addresses of MX target "
		 "mail.example.com. changed (- 192.0.2.25; + 192.0.2.26): check that the new "
		 "host accepts the mail\n");
	free(got);
	free(cur);
	free(prev);
}
END_TEST

START_TEST(test_dmarc_lowered_from_reject_to_none_is_weakened)
{
	char *cur = xasprintf("%s%s", healthy, "_dmarc.example.com. TXT answer v=DMARC1; p=none\n");
	char *got = eval_text(healthy, cur, NULL, true);

	ck_assert_str_eq(got,
			 "dmarc.weakened _dmarc.example.com. critical new: the DMARC policy of "
			 "example.com was weakened: policy lowered from reject to none\n"
			 "dns.changed _dmarc.example.com. TXT info new: _dmarc.example.com. TXT "
			 "changed: - v=DMARC1; p=reject; + v=DMARC1; p=none\n");
	free(got);
	free(cur);
	/* Strengthened: only the change. */
	got = eval_text(cur = xasprintf("%s%s", healthy,
					"_dmarc.example.com. TXT answer v=DMARC1; "
					"p=none\n"),
			healthy, NULL, false);
	ck_assert_str_eq(got, "dns.changed _dmarc.example.com. TXT info new\n");
	free(got);
	free(cur);
}
END_TEST

START_TEST(test_finding_in_an_unchanged_state_is_not_new)
{
	char *cur = xasprintf("%s%s", healthy, "example.com. MX nodata\n");
	char *got = eval_text(cur, cur, NULL, false);

	ck_assert_str_eq(got, "mx.missing example.com. critical\n"
			      "mx.target-is-web-host example.com. warning\n");
	free(got);
	/* After the change that caused them, they are new. */
	got = eval_text(healthy, cur, NULL, false);
	ck_assert_str_eq(got, "dns.changed example.com. MX info new\n"
			      "mx.missing example.com. critical new\n"
			      "mx.target-is-web-host example.com. warning new\n");
	free(got);
	free(cur);
}
END_TEST

START_TEST(test_finding_json_line)
{
	struct cfg_domain d;
	static char bounce[] = "bounce.example.com";
	char *cur = xasprintf("%s%s", healthy, "example.com. MX nodata\n");
	struct snap *s = fixture(cur);
	struct findings out = {0};
	json_t *o;
	char *line;

	domain(&d, bounce);
	rule_eval(&(struct rule_env){.prov = prov, .confirm_after = 2}, &d, NULL, s, &out);
	ck_assert_int_eq(out.n, 2);
	o = finding_json(&out.v[0]);
	line = json_dumps(o, JSON_COMPACT);
	ck_assert_str_eq(line,
			 "{\"type\":\"finding\",\"domain\":\"example.com\",\"rule\":\"mx.missing\","
			 "\"severity\":\"critical\",\"subject\":\"example.com.\",\"regression\":"
			 "true,\"message\":\"example.com. has no MX record: senders fall back to "
			 "its address record or bounce the mail\",\"evidence\":[\"example.com. MX "
			 "nodata\"]}");
	free(line);
	json_decref(o);
	findings_clear(&out);
	snap_free(s);
	free(cur);
}
END_TEST

START_TEST(test_catalogue_has_every_design_rule)
{
	size_t n;
	const struct rule_info *all = rule_catalogue(&n);

	ck_assert_int_eq(n, 34);
	ck_assert_str_eq(all[0].id, "mx.mixed-providers");
	ck_assert_int_eq(rule_lookup("dns.changed")->severity, SEV_INFO);
	ck_assert_int_eq(rule_lookup("ptr.generic")->severity, SEV_WARNING);
	ck_assert_ptr_null(rule_lookup("mx.bogus"));
}
END_TEST

static Suite *
rule_suite(void)
{
	Suite *s = suite_create("rule");
	TCase *tc = tcase_create("rule");

	tcase_add_unchecked_fixture(tc, prov_setup, prov_teardown);

	tcase_add_test(tc, test_healthy_domain_has_no_finding);
	tcase_add_test(tc, test_mx_rules);
	tcase_add_test(tc, test_provider_rules);
	tcase_add_test(tc, test_unknown_mx_fires_nothing);
	tcase_add_test(tc, test_mail_from_rules);
	tcase_add_test(tc, test_spf_dmarc_dkim_rules);
	tcase_add_test(tc, test_spf_tree_rules);
	tcase_add_test(tc, test_spf_sender_not_authorized);
	tcase_add_test(tc, test_lookup_failed_after_confirm_after_checks);
	tcase_add_test(tc, test_ptr_rules);
	tcase_add_test(tc, test_dmarc_of_a_subdomain_falls_back_to_the_org_domain);
	tcase_add_test(tc, test_ptr_changed_but_not_when_removed);
	tcase_add_test(tc, test_changes_are_reported_and_regressions_marked);
	tcase_add_test(tc, test_dmarc_lowered_from_reject_to_none_is_weakened);
	tcase_add_test(tc, test_finding_in_an_unchanged_state_is_not_new);
	tcase_add_test(tc, test_finding_json_line);
	tcase_add_test(tc, test_catalogue_has_every_design_rule);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(rule_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
