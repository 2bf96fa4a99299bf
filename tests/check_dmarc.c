/* DMARC records: parsing, selection, organisational domain, weakening, description. */
#include "config.h"

#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc.h"
#include "xmalloc.h"

/* Renders a list of reporting URIs as "[uri!bytes,uri]". */
static char *
render_uris(const struct dmarc_uri *u, size_t n)
{
	char *out = xstrdup("[");

	for (size_t i = 0; i < n; i++) {
		char *size = u[i].max_size ? xasprintf("!%" PRIu64, u[i].max_size) : xstrdup("");
		char *next = xasprintf("%s%s%s%s", out, i ? "," : "", u[i].uri, size);

		free(size);
		free(out);
		out = next;
	}
	return strcat(xreallocarray(out, strlen(out) + 2, 1), "]");
}

/* Renders every field of a parsed record on one line. */
static char *
render(const struct dmarc *d)
{
	char *rua = render_uris(d->rua, d->nrua), *ruf = render_uris(d->ruf, d->nruf);
	char fo[5] = "", *p = fo;
	static const char psd[] = "uyn";
	char *out;

	if (d->fo & DMARC_FO_0)
		*p++ = '0';
	if (d->fo & DMARC_FO_1)
		*p++ = '1';
	if (d->fo & DMARC_FO_D)
		*p++ = 'd';
	if (d->fo & DMARC_FO_S)
		*p++ = 's';
	out = xasprintf("p=%s sp=%s%s np=%s%s pct=%u adkim=%c aspf=%c rua=%s ruf=%s fo=%s rf=%s "
			"ri=%" PRIu32 " t=%c psd=%c%s%s",
			dmarc_policy_name(d->p), dmarc_policy_name(d->sp), d->has_sp ? "" : "*",
			dmarc_policy_name(d->np), d->has_np ? "" : "*", d->pct,
			d->adkim == DMARC_ALIGN_STRICT ? 's' : 'r',
			d->aspf == DMARC_ALIGN_STRICT ? 's' : 'r', rua, ruf, fo, d->rf, d->ri,
			d->t ? 'y' : 'n', psd[d->psd], d->fallback ? " fallback: " : "",
			d->fallback ? d->fallback : "");
	free(rua);
	free(ruf);
	return out;
}

/* Valid records and every field they parse into ("*": the tag was absent, default shown). */
static const struct {
	const char *text, *fields;
} valid[] = {
    {"v=DMARC1; p=none",
     "p=none sp=none* np=none* pct=100 adkim=r aspf=r rua=[] ruf=[] fo=0 rf=afrf ri=86400 t=n "
     "psd=u"},
    {"v=DMARC1;p=reject",
     "p=reject sp=reject* np=reject* pct=100 adkim=r aspf=r rua=[] ruf=[] fo=0 rf=afrf "
     "ri=86400 t=n psd=u"},
    {"V = DMARC1 ; P = Quarantine ; SP=REJECT;",
     "p=quarantine sp=reject np=reject* pct=100 adkim=r aspf=r rua=[] ruf=[] fo=0 rf=afrf "
     "ri=86400 t=n psd=u"},
    {"v=DMARC1;\tp=reject;\t",
     "p=reject sp=reject* np=reject* pct=100 adkim=r aspf=r rua=[] ruf=[] fo=0 rf=afrf "
     "ri=86400 t=n psd=u"},
    {"v=DMARC1; p=quarantine; sp=none; np=reject; pct=25; adkim=s; aspf=s; "
     "rua=mailto:dmarc@example.com,mailto:agg@reports.example.net!10m; "
     "ruf=mailto:forensic@example.com!500k; fo=0:1:d:s; rf=afrf; ri=3600; t=y; psd=n",
     "p=quarantine sp=none np=reject pct=25 adkim=s aspf=s "
     "rua=[mailto:dmarc@example.com,mailto:agg@reports.example.net!10485760] "
     "ruf=[mailto:forensic@example.com!512000] fo=01ds rf=afrf ri=3600 t=y psd=n"},
    {"v=DMARC1; p=reject; foo=bar; x_y=; future=1,2,3",
     "p=reject sp=reject* np=reject* pct=100 adkim=r aspf=r rua=[] ruf=[] fo=0 rf=afrf "
     "ri=86400 t=n psd=u"},
    {"v=DMARC1;; p=none;;",
     "p=none sp=none* np=none* pct=100 adkim=r aspf=r rua=[] ruf=[] fo=0 rf=afrf ri=86400 t=n "
     "psd=u"},
    {"v=DMARC1; rua=mailto:a@example.com; p=reject",
     "p=reject sp=reject* np=reject* pct=100 adkim=r aspf=r rua=[mailto:a@example.com] ruf=[] "
     "fo=0 rf=afrf ri=86400 t=n psd=u"},
    {"v=DMARC1; p=reject; np=none",
     "p=reject sp=reject* np=none pct=100 adkim=r aspf=r rua=[] ruf=[] fo=0 rf=afrf ri=86400 "
     "t=n psd=u"},
    {"v=DMARC1; p=reject; pct=0; ri=0",
     "p=reject sp=reject* np=reject* pct=0 adkim=r aspf=r rua=[] ruf=[] fo=0 rf=afrf ri=0 t=n "
     "psd=u"},
    {"v=DMARC1; p=reject; pct=100; ri=4294967295; t=n; psd=u",
     "p=reject sp=reject* np=reject* pct=100 adkim=r aspf=r rua=[] ruf=[] fo=0 rf=afrf "
     "ri=4294967295 t=n psd=u"},
    {"v=DMARC1; p=reject; pct=050; psd=Y; adkim=S; aspf=R; t=Y",
     "p=reject sp=reject* np=reject* pct=50 adkim=s aspf=r rua=[] ruf=[] fo=0 rf=afrf "
     "ri=86400 t=y psd=y"},
    {"v=DMARC1; p=none; fo = 1 : D; rf = AFRF : iodef",
     "p=none sp=none* np=none* pct=100 adkim=r aspf=r rua=[] ruf=[] fo=1d rf=afrf:iodef "
     "ri=86400 t=n psd=u"},
    {"v=DMARC1; p=none; rua=MAILTO:dmarc%2Breports@example.com!1000 , "
     "mailto:b@example.com!1K,mailto:c@example.com!2g,mailto:d@example.com!1t",
     "p=none sp=none* np=none* pct=100 adkim=r aspf=r "
     "rua=[MAILTO:dmarc%2Breports@example.com!1000,mailto:b@example.com!1024,"
     "mailto:c@example.com!2147483648,mailto:d@example.com!1099511627776] ruf=[] fo=0 rf=afrf "
     "ri=86400 t=n psd=u"},
    {"v=DMARC1; p=none; rua=mailto:a@example.com?subject=dmarc",
     "p=none sp=none* np=none* pct=100 adkim=r aspf=r rua=[mailto:a@example.com?subject=dmarc] "
     "ruf=[] fo=0 rf=afrf ri=86400 t=n psd=u"},
    /* RFC 7489 §6.6.3: no valid p= (or sp=) but a valid rua=: read as p=none. */
    {"v=DMARC1; rua=mailto:dmarc@example.com",
     "p=none sp=none* np=none* pct=100 adkim=r aspf=r rua=[mailto:dmarc@example.com] ruf=[] "
     "fo=0 rf=afrf ri=86400 t=n psd=u fallback: p= is missing; read as p=none because rua= is "
     "valid (RFC 7489 section 6.6.3)"},
    {"v=DMARC1; p=rejct; rua=mailto:dmarc@example.com",
     "p=none sp=none* np=none* pct=100 adkim=r aspf=r rua=[mailto:dmarc@example.com] ruf=[] "
     "fo=0 rf=afrf ri=86400 t=n psd=u fallback: p=rejct is not none, quarantine or reject; "
     "read as p=none because rua= is valid (RFC 7489 section 6.6.3)"},
    {"v=DMARC1; p=reject; sp=bogus; rua=mailto:d@example.com",
     "p=none sp=none* np=none* pct=100 adkim=r aspf=r rua=[mailto:d@example.com] ruf=[] fo=0 "
     "rf=afrf ri=86400 t=n psd=u fallback: sp=bogus is not none, quarantine or reject; read as "
     "p=none because rua= is valid (RFC 7489 section 6.6.3)"},
};

START_TEST(test_valid_records_parse_into_their_fields)
{
	struct dmarc d;
	char *err = NULL, *fields;

	ck_assert_msg(dmarc_parse(valid[_i].text, &d, &err) == 0, "%s: %s", valid[_i].text, err);
	fields = render(&d);
	ck_assert_str_eq(fields, valid[_i].fields);
	free(fields);
	dmarc_clear(&d);
}
END_TEST

/* Invalid records and the exact message for each. */
static const struct {
	const char *text, *err;
} invalid[] = {
    {"", "the record is empty"},
    {" \t ", "the record is empty"},
    {"p=reject", "the record must start with v=DMARC1"},
    {"p=none; v=DMARC1", "the record must start with v=DMARC1"},
    {";v=DMARC1; p=none", "the record must start with v=DMARC1"},
    {"DMARC1; p=none", "the record must start with v=DMARC1"},
    {" v=DMARC1; p=none", "the record must start with v=DMARC1, not white space"},
    {"v=dmarc1; p=none", "v=dmarc1 must be DMARC1 in upper case"},
    {"v=DMARC2; p=none", "v=DMARC2 is not DMARC1"},
    {"v=DMARC1 p=none", "v=DMARC1 must be followed by ';'"},
    {"v=DMARC1", "p= is missing"},
    {"v=DMARC1; sp=reject", "p= is missing"},
    {"v=DMARC1; p=rejected", "p=rejected is not none, quarantine or reject"},
    {"v=DMARC1; p=", "p= has no value"},
    {"v=DMARC1; p=reject; sp=strict", "sp=strict is not none, quarantine or reject"},
    {"v=DMARC1; p=reject; np=all", "np=all is not none, quarantine or reject"},
    {"v=DMARC1; p=reject; pct=150", "pct=150 is out of range 0-100"},
    {"v=DMARC1; p=reject; pct=-1", "pct=-1 is not an integer 0-100"},
    {"v=DMARC1; p=reject; pct=50%", "pct=50% is not an integer 0-100"},
    {"v=DMARC1; p=reject; rua=https://example.com/dmarc",
     "rua= URI https://example.com/dmarc is not a mailto: URI"},
    {"v=DMARC1; p=reject; rua=dmarc@example.com",
     "rua= URI dmarc@example.com is not a mailto: URI"},
    {"v=DMARC1; p=reject; rua=mailto:dmarc", "rua= URI mailto:dmarc is not mailto:local@domain"},
    {"v=DMARC1; p=reject; ruf=mailto:@example.com",
     "ruf= URI mailto:@example.com is not mailto:local@domain"},
    {"v=DMARC1; p=reject; rua=mailto:a@b@example.com",
     "rua= URI mailto:a@b@example.com is not mailto:local@domain"},
    {"v=DMARC1; p=reject; rua=mailto:d@example.com!10x",
     "rua= URI mailto:d@example.com!10x has a bad size limit (!DIGITS with k, m, g or t)"},
    {"v=DMARC1; p=reject; rua=mailto:d@example.com!",
     "rua= URI mailto:d@example.com! has a bad size limit (!DIGITS with k, m, g or t)"},
    {"v=DMARC1; p=reject; rua=mailto:d@example.com!99999999999999999999",
     "rua= URI mailto:d@example.com!99999999999999999999 has a bad size limit (!DIGITS with k, "
     "m, g or t)"},
    {"v=DMARC1; p=reject; rua=mailto:d@example.com,", "rua= has an empty URI in its list"},
    {"v=DMARC1; p=reject; rua=mailto:d@exa_mple.com",
     "rua= URI mailto:d@exa_mple.com has a bad domain"},
    {"v=DMARC1; p=reject; rua=mailto:d@example", "rua= URI mailto:d@example has a bad domain"},
    {"v=DMARC1; p=reject; rua=mailto:d@-example.com",
     "rua= URI mailto:d@-example.com has a bad domain"},
    {"v=DMARC1; p=reject; rua=mailto:d d@example.com",
     "rua= URI mailto:d d@example.com has a bad character in its local part"},
    {"v=DMARC1; p=reject; rua=mailto:d%2@example.com",
     "rua= URI mailto:d%2@example.com has a bad character in its local part"},
    {"v=DMARC1; p=reject; rua=", "rua= has no value"},
    {"v=DMARC1; p=reject; p=none", "duplicate tag p="},
    {"v=DMARC1; p=reject; P=none", "duplicate tag P="},
    {"v=DMARC1; v=DMARC1; p=reject", "duplicate tag v="},
    {"v=DMARC1; p=reject; rua=mailto:a@example.com; rua=mailto:b@example.com",
     "duplicate tag rua="},
    {"v=DMARC1; p=reject; adkim=x", "adkim=x is not r or s"},
    {"v=DMARC1; p=reject; aspf=relaxed", "aspf=relaxed is not r or s"},
    {"v=DMARC1; p=reject; fo=2", "fo=2 is not a ':'-separated list of 0, 1, d and s"},
    {"v=DMARC1; p=reject; fo=1:", "fo=1: is not a ':'-separated list of 0, 1, d and s"},
    {"v=DMARC1; p=reject; rf=afrf:", "rf=afrf: is not a ':'-separated list of report formats"},
    {"v=DMARC1; p=reject; ri=4294967296", "ri=4294967296 is out of range 0-4294967295"},
    {"v=DMARC1; p=reject; ri=1h", "ri=1h is not an integer 0-4294967295"},
    {"v=DMARC1; p=reject; t=yes", "t=yes is not y or n"},
    {"v=DMARC1; p=reject; psd=maybe", "psd=maybe is not y, n or u"},
    {"v=DMARC1; p=reject; reject", "reject is not a tag=value pair"},
    {"v=DMARC1; p=reject; p x=1", "\"p x\" is not a tag name"},
    /* A hard error wins over a p= error that a valid rua= would have forgiven. */
    {"v=DMARC1; p=bogus; pct=150", "pct=150 is out of range 0-100"},
    {"v=DMARC1; p=bogus; rua=mailto:bad", "rua= URI mailto:bad is not mailto:local@domain"},
};

START_TEST(test_invalid_records_fail_with_a_message_naming_the_tag)
{
	struct dmarc d;
	char *err = NULL;

	ck_assert_msg(dmarc_parse(invalid[_i].text, &d, &err) == -1, "%s parsed", invalid[_i].text);
	ck_assert_str_eq(err, invalid[_i].err);
	ck_assert_ptr_null(d.rua);
	ck_assert_ptr_null(d.rf);
	ck_assert_ptr_null(d.fallback);
	free(err);
}
END_TEST

START_TEST(test_clearing_null_or_a_cleared_record_does_nothing)
{
	struct dmarc d;
	char *err = NULL;

	dmarc_clear(NULL);
	ck_assert_int_eq(dmarc_parse("v=DMARC1; p=none; rua=mailto:a@example.com", &d, &err), 0);
	dmarc_clear(&d);
	ck_assert_ptr_null(d.rua);
	ck_assert_uint_eq(d.nrua, 0);
	dmarc_clear(&d);
}
END_TEST

START_TEST(test_dmarc_records_are_told_from_other_txt_records)
{
	ck_assert(dmarc_is_record("v=DMARC1; p=none"));
	ck_assert(dmarc_is_record("v=DMARC1"));
	ck_assert(dmarc_is_record("V = DMARC1;p=none"));
	ck_assert(dmarc_is_record("v=DMARC1 p=none")); /* a DMARC record that does not parse */
	ck_assert(!dmarc_is_record("v=DMARC10; p=none"));
	ck_assert(!dmarc_is_record("v=dmarc1; p=none"));
	ck_assert(!dmarc_is_record(" v=DMARC1; p=none"));
	ck_assert(!dmarc_is_record("v=spf1 -all"));
	ck_assert(!dmarc_is_record("p=none; v=DMARC1"));
	ck_assert(!dmarc_is_record(""));
}
END_TEST

START_TEST(test_one_dmarc_record_among_other_txt_is_selected)
{
	char r0[] = "v=spf1 -all", r1[] = "google-site-verification=abc",
	     r2[] = "v=DMARC1; p=reject";
	char *records[] = {r0, r1, r2};
	size_t first = 99;

	ck_assert_uint_eq(dmarc_select(records, 3, &first), 1);
	ck_assert_uint_eq(first, 2);
}
END_TEST

START_TEST(test_two_dmarc_records_are_counted_so_no_policy_applies)
{
	char r0[] = "v=DMARC1; p=reject", r1[] = "text", r2[] = "v=DMARC1; p=none";
	char *records[] = {r0, r1, r2};
	size_t first = 99;

	ck_assert_uint_eq(dmarc_select(records, 3, &first), 2);
	ck_assert_uint_eq(first, 0);
}
END_TEST

START_TEST(test_records_not_starting_with_v_dmarc1_are_discarded)
{
	char r0[] = "v=DMARC10; p=none", r1[] = "v=dmarc1; p=none", r2[] = "x v=DMARC1; p=none";
	char r3[] = " v=DMARC1; p=none";
	char *records[] = {r0, r1, r2, r3};
	size_t first = 99;

	ck_assert_uint_eq(dmarc_select(records, 4, &first), 0);
	ck_assert_uint_eq(first, 99);
	ck_assert_uint_eq(dmarc_select(NULL, 0, &first), 0);
}
END_TEST

/* Names and their organisational domains (NULL: the name is a public suffix or unusable). */
static const struct {
	const char *name, *org;
} orgs[] = {
    {"example.com", "example.com"},
    {"mail.example.com", "example.com"},
    {"a.b.example.co.uk", "example.co.uk"},
    {"A.B.Example.CO.UK.", "example.co.uk."},
    {"_dmarc.example.com.", "example.com."},
    {"foo.github.io", "foo.github.io"}, /* github.io is in the private section */
    {"bar.foo.github.io", "foo.github.io"},
    {"www.example.test", "example.test"}, /* not in the list: the "*" rule */
    {"github.io", NULL},
    {"com", NULL},
    {"com.", NULL},
    {"co.uk", NULL},
    {"", NULL},
    {".", NULL},
    {"a..example.com", NULL},
    {".example.com", NULL},
    {"exa mple.com", NULL},
};

START_TEST(test_organisational_domain_follows_the_public_suffix_list)
{
	char *org = dmarc_org_domain(orgs[_i].name);

	if (orgs[_i].org == NULL) {
		ck_assert_msg(org == NULL, "%s gave %s", orgs[_i].name, org);
	} else {
		ck_assert_msg(org != NULL, "%s gave NULL", orgs[_i].name);
		ck_assert_str_eq(org, orgs[_i].org);
	}
	free(org);
}
END_TEST

/* Policy changes: before, after, and the reason when weaker (NULL: not weaker). */
static const struct {
	const char *before, *after, *why;
} changes[] = {
    {"v=DMARC1; p=reject", "v=DMARC1; p=quarantine", "policy lowered from reject to quarantine"},
    {"v=DMARC1; p=quarantine", "v=DMARC1; p=none", "policy lowered from quarantine to none"},
    {"v=DMARC1; p=reject", "v=DMARC1; p=none", "policy lowered from reject to none"},
    {"v=DMARC1; p=reject", "v=DMARC1; p=reject; pct=50", "pct lowered from 100 to 50"},
    {"v=DMARC1; p=reject; t=n", "v=DMARC1; p=reject; t=y", "testing mode (t=y) newly set"},
    {"v=DMARC1; p=reject; sp=reject", "v=DMARC1; p=reject; sp=none",
     "subdomain policy lowered from reject to none"},
    {"v=DMARC1; p=reject", "v=DMARC1; p=reject; sp=quarantine",
     "subdomain policy lowered from reject to quarantine"},
    {"v=DMARC1; p=reject", "v=DMARC1; p=reject; np=quarantine",
     "non-existent subdomain policy lowered from reject to quarantine"},
    {"v=DMARC1; p=reject; sp=reject; pct=100", "v=DMARC1; p=quarantine; sp=none; pct=20; t=y",
     "policy lowered from reject to quarantine, subdomain policy lowered from reject to none, "
     "pct lowered from 100 to 20 and testing mode (t=y) newly set"},
    {"v=DMARC1; p=reject", "v=DMARC1; p=rejct; rua=mailto:d@example.com",
     "policy lowered from reject to none"},
    /* Not weaker. */
    {"v=DMARC1; p=reject", "v=DMARC1; p=reject", NULL},
    {"v=DMARC1; p=reject", "V=DMARC1;P=REJECT;pct=100;rua=mailto:new@example.com", NULL},
    {"v=DMARC1; p=none", "v=DMARC1; p=reject", NULL},
    {"v=DMARC1; p=quarantine; pct=50", "v=DMARC1; p=quarantine; pct=100", NULL},
    {"v=DMARC1; p=reject; t=y", "v=DMARC1; p=reject; t=n", NULL},
    {"v=DMARC1; p=reject; sp=none", "v=DMARC1; p=reject", NULL},
    /* pct= and t= mean nothing when no policy is applied. */
    {"v=DMARC1; p=none", "v=DMARC1; p=none; pct=50; t=y", NULL},
    /* Alignment is not a policy level. */
    {"v=DMARC1; p=reject; adkim=s; aspf=s", "v=DMARC1; p=reject", NULL},
};

START_TEST(test_weakened_policies_are_detected_with_a_reason)
{
	struct dmarc before, after;
	char *err = NULL, *why = NULL;

	ck_assert_int_eq(dmarc_parse(changes[_i].before, &before, &err), 0);
	ck_assert_int_eq(dmarc_parse(changes[_i].after, &after, &err), 0);
	if (changes[_i].why == NULL) {
		ck_assert_msg(!dmarc_weaker(&before, &after, &why), "%s -> %s: %s",
			      changes[_i].before, changes[_i].after, why);
		ck_assert_ptr_null(why);
	} else {
		ck_assert(dmarc_weaker(&before, &after, &why));
		ck_assert_str_eq(why, changes[_i].why);
		ck_assert(dmarc_weaker(&before, &after, NULL));
	}
	free(why);
	dmarc_clear(&before);
	dmarc_clear(&after);
}
END_TEST

/* Records and their canonical description. */
static const struct {
	const char *text, *desc;
} descs[] = {
    {"v=DMARC1; p=reject", "p=reject sp=reject pct=100 adkim=r aspf=r"},
    {"V=DMARC1;P=REJECT;pct=100;adkim=R;rua=mailto:a@example.com",
     "p=reject sp=reject pct=100 adkim=r aspf=r"},
    {"v=DMARC1; p=quarantine; sp=none; np=reject; pct=25; adkim=s; aspf=s; t=y; psd=n",
     "p=quarantine sp=none pct=25 adkim=s aspf=s np=reject t=y psd=n"},
    {"v=DMARC1; p=none; psd=y; t=n", "p=none sp=none pct=100 adkim=r aspf=r psd=y"},
    {"v=DMARC1; rua=mailto:a@example.com", "p=none sp=none pct=100 adkim=r aspf=r"},
};

START_TEST(test_description_is_canonical_and_stable)
{
	struct dmarc d;
	char *err = NULL, *desc;

	ck_assert_int_eq(dmarc_parse(descs[_i].text, &d, &err), 0);
	desc = dmarc_describe(&d);
	ck_assert_str_eq(desc, descs[_i].desc);
	free(desc);
	dmarc_clear(&d);
}
END_TEST

#define NROWS(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* The dmarc test suite. */
static Suite *
dmarc_suite(void)
{
	Suite *s = suite_create("dmarc");
	TCase *tc = tcase_create("dmarc");

	tcase_add_loop_test(tc, test_valid_records_parse_into_their_fields, 0, NROWS(valid));
	tcase_add_loop_test(tc, test_invalid_records_fail_with_a_message_naming_the_tag, 0,
			    NROWS(invalid));
	tcase_add_test(tc, test_clearing_null_or_a_cleared_record_does_nothing);
	tcase_add_test(tc, test_dmarc_records_are_told_from_other_txt_records);
	tcase_add_test(tc, test_one_dmarc_record_among_other_txt_is_selected);
	tcase_add_test(tc, test_two_dmarc_records_are_counted_so_no_policy_applies);
	tcase_add_test(tc, test_records_not_starting_with_v_dmarc1_are_discarded);
	tcase_add_loop_test(tc, test_organisational_domain_follows_the_public_suffix_list, 0,
			    NROWS(orgs));
	tcase_add_loop_test(tc, test_weakened_policies_are_detected_with_a_reason, 0,
			    NROWS(changes));
	tcase_add_loop_test(tc, test_description_is_canonical_and_stable, 0, NROWS(descs));
	suite_add_tcase(s, tc);
	return s;
}

/* Runs the suite. */
int
main(void)
{
	SRunner *sr = srunner_create(dmarc_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
