/* Snapshots: canonical form, stable JSON, carrying unknown outcomes, diffs. */
#include "config.h"

#include <check.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns_pkt.h"
#include "snap.h"
#include "xmalloc.h"

/* Builds a result for (name, type) with outcome and records "data" (MX: "PREF TARGET"). */
static void
result(struct dns_result *res, const char *name, uint16_t type, enum dns_outcome o, uint32_t ttl,
       const char *const *data, size_t n)
{
	memset(res, 0, sizeof(*res));
	res->qname = dns_name_canon(name);
	res->qtype = type;
	res->outcome = o;
	res->ttl = ttl;
	res->rrs = n ? xcalloc(n, sizeof(*res->rrs)) : NULL;
	for (size_t i = 0; i < n; i++) {
		struct dns_rr *rr = &res->rrs[i];

		rr->name = xstrdup(res->qname);
		rr->type = type;
		rr->ttl = ttl;
		if (type == DNS_T_MX) {
			rr->pref = (uint16_t)strtoul(data[i], NULL, 10);
			rr->data = xstrdup(strchr(data[i], ' ') + 1);
		} else if (type == DNS_T_TXT) {
			rr->data = xstrdup(data[i]);
			rr->nstrings = 1;
			rr->strlens = xmalloc(1);
			rr->strlens[0] = (uint8_t)strlen(data[i]);
		} else {
			rr->data = xstrdup(data[i]);
		}
		rr->len = strlen(rr->data);
	}
	res->nrrs = n;
}

/* Puts one set into a snapshot. */
static void
put(struct snap *s, const char *name, uint16_t type, enum dns_outcome o, uint32_t ttl,
    const char *const *data, size_t n)
{
	struct dns_result res;

	result(&res, name, type, o, ttl, data, n);
	snap_put(s, &res);
	dns_result_clear(&res);
}

/* A small healthy snapshot of example.com, its sets put in the given order. */
static struct snap *
healthy(bool reverse)
{
	static const char *mx[] = {"20 backup.example.net.", "10 mail.example.com."};
	static const char *a[] = {"192.0.2.25"};
	static const char *txt[] = {"v=spf1 mx -all"};
	struct snap *s = snap_new("example.com");

	if (reverse) {
		put(s, "mail.example.com", DNS_T_A, DNS_ANSWER, 600, a, 1);
		put(s, "example.com", DNS_T_TXT, DNS_ANSWER, 300, txt, 1);
		put(s, "Example.COM.", DNS_T_MX, DNS_ANSWER, 300, mx, 2);
	} else {
		put(s, "example.com", DNS_T_MX, DNS_ANSWER, 300, mx, 2);
		put(s, "example.com", DNS_T_TXT, DNS_ANSWER, 300, txt, 1);
		put(s, "mail.example.com", DNS_T_A, DNS_ANSWER, 600, a, 1);
	}
	return s;
}

/* The text of a snapshot as jansson printed it before snap_dump wrote it directly. */
static char *
jansson_dump(const struct snap *s)
{
	json_t *sets = json_array(), *o;
	char *text;

	for (size_t i = 0; i < s->nsets; i++)
		json_array_append_new(sets, snap_set_json(&s->sets[i]));
	o = json_pack("{s:s, s:o}", "domain", s->domain, "sets", sets);
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	ck_assert_ptr_nonnull(text);
	return text;
}

/* Returns a pseudo-random number below n; the seed is fixed so that a failure repeats. */
static uint32_t
rnd(uint64_t *r, uint32_t n)
{
	*r ^= *r << 13;
	*r ^= *r >> 7;
	*r ^= *r << 17;
	return (uint32_t)((*r >> 32) % n);
}

/* Returns a random text as records and names may hold it; with bad, sometimes not UTF-8. */
static char *
random_text(uint64_t *r, bool bad)
{
	static const char *const good[] = {"mail",
					   "example",
					   ".",
					   "com.",
					   "10 ",
					   "v=spf1 ",
					   "include:_spf.google.com",
					   " -all",
					   "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCB",
					   "\"",
					   "\\",
					   "/",
					   "\\034",
					   "\\092",
					   "\\\"",
					   "\\u0041",
					   "\b",
					   "\f",
					   "\n",
					   "\r",
					   "\t",
					   "\x01",
					   "\x1f",
					   "\x7f",
					   " ",
					   "{",
					   "}",
					   "[",
					   "]",
					   ",",
					   ":",
					   "0",
					   "4294967295",
					   "\xc3\xa9",
					   "\xe2\x82\xac",
					   "\xf0\x9f\x98\x80",
					   "\xf4\x8f\xbf\xbf",
					   "\xef\xbf\xbf",
					   "\xed\x9f\xbf",
					   "\xc2\x80",
					   "\xe0\xa0\x80",
					   "\xf0\x90\x80\x80"};
	static const char *const invalid[] = {"\x80",
					      "\xbf",
					      "\xc0\x80",
					      "\xc1\xbf",
					      "\xed\xa0\x80",
					      "\xed\xbf\xbf",
					      "\xf4\x90\x80\x80",
					      "\xe0\x80\x80",
					      "\xf0\x80\x80\x80",
					      "\xf5\x80\x80\x80",
					      "\xe2\x82",
					      "\xf0\x9f\x98",
					      "\xff",
					      "\xc3"};
	size_t n = rnd(r, 200) == 0 ? 100 + rnd(r, 400) : rnd(r, 8), len = 0;
	char *text = xmalloc(n * 32 + 1);

	for (size_t i = 0; i < n; i++) {
		const char *p = bad && rnd(r, 24) == 0
				    ? invalid[rnd(r, sizeof(invalid) / sizeof(invalid[0]))]
				    : good[rnd(r, sizeof(good) / sizeof(good[0]))];

		ck_assert_uint_le(strlen(p), 32);
		memcpy(text + len, p, strlen(p));
		len += strlen(p);
	}
	text[len] = '\0';
	return text;
}

/* Fills a list with n random texts. */
static void
random_list(uint64_t *r, bool bad, char ***v, size_t *nv, size_t n)
{
	*v = n ? xcalloc(n, sizeof(**v)) : NULL;
	*nv = n;
	for (size_t i = 0; i < n; i++)
		(*v)[i] = random_text(r, bad);
}

/* Returns a random snapshot: names, types, outcomes, TTLs, records and CNAME chains of every
 * kind; with bad, some names and records are not UTF-8 (the domain always is). */
static struct snap *
random_snap(uint64_t *r, bool bad)
{
	static const uint16_t types[] = {DNS_T_A,   DNS_T_AAAA, DNS_T_MX,  DNS_T_TXT, DNS_T_CNAME,
					 DNS_T_PTR, DNS_T_NS,	DNS_T_SOA, 99,	      65535};
	static const uint32_t ttls[] = {0, 1, 300, 86400, UINT32_MAX};
	char *domain = random_text(r, false);
	struct snap *s = snap_new(domain);
	size_t n = rnd(r, 10) == 0 ? 0 : rnd(r, 18);

	free(domain);
	for (size_t i = 0; i < n; i++) {
		char *name = random_text(r, bad);
		struct snap_set *set =
		    snap_slot(s, name, types[rnd(r, sizeof(types) / sizeof(types[0]))]);

		free(name);
		set->outcome = (enum dns_outcome)rnd(r, DNS_ERROR + 1);
		set->known = dns_outcome_is_known(set->outcome)
				 ? set->outcome
				 : (enum dns_outcome)rnd(r, DNS_ERROR + 1);
		set->failed = rnd(r, 3) ? 0 : (rnd(r, 2) ? (uint32_t)(1 + rnd(r, 5)) : UINT32_MAX);
		set->ttl = rnd(r, 2) ? ttls[rnd(r, 5)] : (uint32_t)(*r >> 16);
		random_list(r, bad, &set->records, &set->nrecords, rnd(r, 6));
		random_list(r, bad, &set->cnames, &set->ncnames, rnd(r, 3) ? 0 : 1 + rnd(r, 3));
	}
	return s;
}

/* Asserts that b holds what a held; with dumped, as a text of a reads back (a known outcome
 * that is not one reads back as DNS_ERROR). */
static void
assert_snap_eq(const struct snap *a, const struct snap *b, bool dumped)
{
	ck_assert_str_eq(a->domain, b->domain);
	ck_assert_uint_eq(a->nsets, b->nsets);
	for (size_t i = 0; i < a->nsets; i++) {
		const struct snap_set *x = &a->sets[i], *y = &b->sets[i];
		enum dns_outcome known =
		    !dumped || dns_outcome_is_known(x->known) ? x->known : DNS_ERROR;

		ck_assert_str_eq(x->name, y->name);
		ck_assert_uint_eq(x->type, y->type);
		ck_assert_int_eq(x->outcome, y->outcome);
		ck_assert_int_eq(known, y->known);
		ck_assert_uint_eq(x->ttl, y->ttl);
		ck_assert_uint_eq(x->failed, y->failed);
		ck_assert_uint_eq(x->nrecords, y->nrecords);
		for (size_t j = 0; j < x->nrecords; j++)
			ck_assert_str_eq(x->records[j], y->records[j]);
		ck_assert_uint_eq(x->ncnames, y->ncnames);
		for (size_t j = 0; j < x->ncnames; j++)
			ck_assert_str_eq(x->cnames[j], y->cnames[j]);
	}
}

/* Asserts that snap_load reads text exactly as jansson alone read it: the same snapshot, or
 * the same error. */
static void
assert_loads_as_jansson(const char *text)
{
	struct snap *a = NULL, *b = NULL;
	char *ea = NULL, *eb = NULL;
	int ra = snap_load(text, &a, &ea), rb = snap_load_json(text, &b, &eb);

	ck_assert_int_eq(ra, rb);
	if (ra == 0) {
		ck_assert_ptr_nonnull(a);
		assert_snap_eq(b, a, false);
	} else {
		ck_assert_ptr_null(a);
		ck_assert_str_eq(ea, eb);
	}
	free(ea);
	free(eb);
	snap_free(a);
	snap_free(b);
}

/* Returns text with one random change: a byte replaced, removed or added, or the end cut. */
static char *
mutate(uint64_t *r, const char *text)
{
	static const char bytes[] = "\"\\,:[]{}0129-eEu/ntAz \x01\x7f\x80\xc3\xa9\xed\xf4";
	size_t n = strlen(text), at = rnd(r, (uint32_t)n + 1);
	char *m = xmalloc(n + 2), c = bytes[rnd(r, sizeof(bytes) - 1)];

	memcpy(m, text, n + 1);
	switch (rnd(r, 4)) {
	case 0:
		if (at < n)
			m[at] = c;
		break;
	case 1:
		if (at < n)
			memmove(m + at, m + at + 1, n - at);
		break;
	case 2:
		memmove(m + at + 1, m + at, n - at + 1);
		m[at] = c;
		break;
	default:
		m[at] = '\0';
		break;
	}
	return m;
}

START_TEST(test_same_state_gives_same_bytes)
{
	struct snap *a = healthy(false), *b = healthy(true);
	char *da = snap_dump(a), *db = snap_dump(b);

	ck_assert_str_eq(da, db);
	ck_assert_str_eq(
	    da, "{\"domain\":\"example.com\",\"sets\":["
		"{\"name\":\"example.com.\",\"type\":\"MX\",\"outcome\":\"answer\",\"known\":"
		"\"answer\",\"ttl\":300,\"records\":[\"10 mail.example.com.\",\"20 "
		"backup.example.net.\"],\"cnames\":[]},"
		"{\"name\":\"example.com.\",\"type\":\"TXT\",\"outcome\":\"answer\",\"known\":"
		"\"answer\",\"ttl\":300,\"records\":[\"v=spf1 mx -all\"],\"cnames\":[]},"
		"{\"name\":\"mail.example.com.\",\"type\":\"A\",\"outcome\":\"answer\",\"known\":"
		"\"answer\",\"ttl\":600,\"records\":[\"192.0.2.25\"],\"cnames\":[]}]}");
	free(da);
	free(db);
	snap_free(a);
	snap_free(b);
}
END_TEST

START_TEST(test_dump_and_load_round_trip)
{
	struct snap *a = healthy(false), *b = NULL;
	char *da = snap_dump(a), *db, *err = NULL;

	put(a, "gone.example.com", DNS_T_A, DNS_TIMEOUT, 0, NULL, 0);
	free(da);
	da = snap_dump(a);
	ck_assert_int_eq(snap_load(da, &b, &err), 0);
	db = snap_dump(b);
	ck_assert_str_eq(da, db);
	ck_assert_int_eq(snap_get(b, "gone.example.com", DNS_T_A)->known, DNS_ERROR);
	free(da);
	free(db);
	snap_free(a);
	snap_free(b);
}
END_TEST

START_TEST(test_load_rejects_malformed_text)
{
	static const struct {
		const char *text, *err;
	} cases[] = {
	    {"{", "snapshot is not JSON: string or '}' expected near end of file"},
	    {"{\"sets\":[]}", "snapshot lacks its domain or sets"},
	    {"{\"domain\":\"x.com\",\"sets\":[{\"name\":\"x.com.\"}]}",
	     "snapshot of x.com: set 0 is malformed"},
	    {"{\"domain\":\"x.com\",\"sets\":[{\"name\":\"x.com.\",\"type\":\"BOGUS\","
	     "\"outcome\":\"answer\",\"known\":\"answer\",\"ttl\":1,\"records\":[],"
	     "\"cnames\":[]}]}",
	     "snapshot of x.com: set 0 is malformed"},
	    {"{\"domain\":\"x.com\",\"sets\":[{\"name\":\"x.com.\",\"type\":\"A\","
	     "\"outcome\":\"answer\",\"known\":\"answer\",\"ttl\":1,\"records\":[1],"
	     "\"cnames\":[]}]}",
	     "snapshot of x.com: set 0 is malformed"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct snap *s = NULL;
		char *err = NULL;

		ck_assert_int_eq(snap_load(cases[i].text, &s, &err), -1);
		ck_assert_str_eq(err, cases[i].err);
		ck_assert_ptr_null(s);
		free(err);
	}
}
END_TEST

START_TEST(test_records_are_sorted_and_deduplicated)
{
	static const char *a[] = {"192.0.2.9", "192.0.2.10", "192.0.2.9"};
	struct snap *s = snap_new("example.com");
	const struct snap_set *set;

	put(s, "example.com", DNS_T_A, DNS_ANSWER, 60, a, 3);
	set = snap_get(s, "EXAMPLE.com", DNS_T_A);
	ck_assert_ptr_nonnull(set);
	ck_assert_int_eq(set->nrecords, 2);
	ck_assert_str_eq(set->records[0], "192.0.2.10");
	ck_assert_str_eq(set->records[1], "192.0.2.9");
	ck_assert_ptr_null(snap_get(s, "example.com", DNS_T_AAAA));
	snap_free(s);
}
END_TEST

START_TEST(test_first_check_has_no_changes)
{
	struct snap *s = healthy(false);
	struct snap_change *c;

	ck_assert_int_eq(snap_diff(NULL, s, &c), 0);
	ck_assert_ptr_null(c);
	snap_free(s);
}
END_TEST

START_TEST(test_added_mx_is_one_change)
{
	static const char *mx[] = {"10 mail.example.com.",
				   "10 inbound-smtp.us-east-1.amazonaws.com.",
				   "20 backup.example.net."};
	struct snap *before = healthy(false), *after = healthy(false);
	struct snap_change *c;
	size_t n;

	put(after, "example.com", DNS_T_MX, DNS_ANSWER, 300, mx, 3);
	n = snap_diff(before, after, &c);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(c[0].after->name, "example.com.");
	ck_assert_int_eq(c[0].after->type, DNS_T_MX);
	ck_assert_int_eq(c[0].before->nrecords, 2);
	ck_assert_int_eq(c[0].after->nrecords, 3);
	ck_assert_str_eq(c[0].after->records[0], "10 inbound-smtp.us-east-1.amazonaws.com.");
	free(c);
	snap_free(before);
	snap_free(after);
}
END_TEST

START_TEST(test_ttl_only_change_is_not_a_change)
{
	static const char *a[] = {"192.0.2.25"};
	struct snap *before = healthy(false), *after = healthy(false);
	struct snap_change *c;

	put(after, "mail.example.com", DNS_T_A, DNS_ANSWER, 30, a, 1);
	ck_assert_int_eq(snap_diff(before, after, &c), 0);
	snap_free(before);
	snap_free(after);
}
END_TEST

START_TEST(test_outage_keeps_last_known_records_and_is_not_a_removal)
{
	static const char *mx[] = {"10 mail.example.com."};
	struct snap *before = healthy(false), *during = healthy(false), *after = healthy(false);
	struct snap_change *c;
	const struct snap_set *set;
	size_t n;

	put(during, "example.com", DNS_T_MX, DNS_SERVFAIL, 0, NULL, 0);
	snap_carry(during, before);
	ck_assert(!snap_all_known(during));
	set = snap_get(during, "example.com", DNS_T_MX);
	ck_assert_int_eq(set->outcome, DNS_SERVFAIL);
	ck_assert_int_eq(set->known, DNS_ANSWER);
	ck_assert_int_eq(set->nrecords, 2);
	ck_assert_int_eq(set->ttl, 300);
	ck_assert_uint_eq(set->failed, 1);
	ck_assert_int_eq(snap_diff(before, during, &c), 0);
	{
		/* A second failed check in a row counts on; the last known state stays. */
		struct snap *again = healthy(false);
		char *text;
		struct snap *back;

		put(again, "example.com", DNS_T_MX, DNS_TIMEOUT, 0, NULL, 0);
		snap_carry(again, during);
		set = snap_get(again, "example.com", DNS_T_MX);
		ck_assert_uint_eq(set->failed, 2);
		ck_assert_int_eq(set->nrecords, 2);
		ck_assert_uint_eq(snap_get(again, "mail.example.com", DNS_T_A)->failed, 0);
		ck_assert(!snap_same_known(during, again)); /* the count is what a rule reads */
		text = snap_dump(again);
		ck_assert_ptr_nonnull(
		    strstr(text, "\"known\":\"answer\",\"failed\":2,\"ttl\":300"));
		ck_assert_int_eq(snap_load(text, &back, NULL), 0);
		ck_assert_uint_eq(snap_get(back, "example.com", DNS_T_MX)->failed, 2);
		snap_free(back);
		free(text);
		snap_free(again);
	}
	/* The server comes back with one MX fewer: a change against the last known state. */
	put(after, "example.com", DNS_T_MX, DNS_ANSWER, 300, mx, 1);
	n = snap_diff(during, after, &c);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(c[0].before->nrecords, 2);
	ck_assert_int_eq(c[0].after->nrecords, 1);
	ck_assert_uint_eq(c[0].after->failed, 0);
	free(c);
	snap_free(before);
	snap_free(during);
	snap_free(after);
}
END_TEST

START_TEST(test_never_known_set_is_not_carried)
{
	struct snap *before = snap_new("example.com"), *cur = snap_new("example.com");
	char *d;

	put(before, "example.com", DNS_T_MX, DNS_TIMEOUT, 0, NULL, 0);
	put(cur, "example.com", DNS_T_MX, DNS_TIMEOUT, 0, NULL, 0);
	snap_carry(cur, before);
	d = snap_dump(cur);
	ck_assert_str_eq(d,
			 "{\"domain\":\"example.com\",\"sets\":[{\"name\":\"example.com.\","
			 "\"type\":\"MX\",\"outcome\":\"timeout\",\"known\":\"none\",\"failed\":2,"
			 "\"ttl\":0,"
			 "\"records\":[],\"cnames\":[]}]}");
	free(d);
	snap_free(before);
	snap_free(cur);
}
END_TEST

START_TEST(test_answer_to_nxdomain_is_a_change)
{
	struct snap *before = healthy(false), *after = healthy(false);
	struct snap_change *c;

	put(after, "mail.example.com", DNS_T_A, DNS_NXDOMAIN, 60, NULL, 0);
	ck_assert_int_eq(snap_diff(before, after, &c), 1);
	ck_assert_int_eq(c[0].before->known, DNS_ANSWER);
	ck_assert_int_eq(c[0].after->known, DNS_NXDOMAIN);
	free(c);
	snap_free(before);
	snap_free(after);
}
END_TEST

START_TEST(test_sets_watched_on_one_side_only_are_not_changes)
{
	static const char *a[] = {"192.0.2.26"};
	struct snap *before = healthy(false), *after = healthy(false);
	struct snap_change *c;

	put(after, "mail2.example.com", DNS_T_A, DNS_ANSWER, 60, a, 1);
	put(before, "old.example.com", DNS_T_A, DNS_ANSWER, 60, a, 1);
	ck_assert_int_eq(snap_diff(before, after, &c), 0);
	snap_free(before);
	snap_free(after);
}
END_TEST

START_TEST(test_cname_chain_change_is_a_change)
{
	static const char *a[] = {"192.0.2.25"};
	struct snap *before = snap_new("example.com"), *after = snap_new("example.com");
	struct dns_result res;
	struct snap_change *c;

	result(&res, "www.example.com", DNS_T_A, DNS_ANSWER, 60, a, 1);
	res.cnames = xcalloc(1, sizeof(*res.cnames));
	res.cnames[0].data = xstrdup("web.example.com.");
	res.ncnames = 1;
	snap_put(before, &res);
	free(res.cnames[0].data);
	res.cnames[0].data = xstrdup("cdn.example.net.");
	snap_put(after, &res);
	dns_result_clear(&res);
	ck_assert_str_eq(snap_get(before, "www.example.com", DNS_T_A)->cnames[0],
			 "web.example.com.");
	ck_assert_int_eq(snap_diff(before, after, &c), 1);
	free(c);
	snap_free(before);
	snap_free(after);
}
END_TEST

START_TEST(test_dump_escapes_as_jansson_does)
{
	static const char *rec[] = {
	    "a\"b\\c/d \x01\x02\x1f\b\f\n\r\t\x7f \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 \\092"};
	struct snap *s = snap_new("example.com");
	struct snap_set *set = snap_slot(s, "example.com.", DNS_T_TXT);
	char *d, *j;

	set->records = xcalloc(1, sizeof(*set->records));
	set->records[0] = xstrdup(rec[0]);
	set->nrecords = 1;
	set->ttl = UINT32_MAX;
	d = snap_dump(s);
	j = jansson_dump(s);
	ck_assert_str_eq(d, j);
	ck_assert_str_eq(d, "{\"domain\":\"example.com\",\"sets\":[{\"name\":\"example.com.\","
			    "\"type\":\"TXT\",\"outcome\":\"answer\",\"known\":\"answer\","
			    "\"ttl\":4294967295,\"records\":[\"a\\\"b\\\\c/d "
			    "\\u0001\\u0002\\u001F\\b\\f\\n\\r\\t\x7f "
			    "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 \\\\092\"],\"cnames\":[]}]}");
	free(d);
	free(j);
	snap_free(s);
}
END_TEST

START_TEST(test_dump_leaves_out_what_jansson_refuses)
{
	static const char *a[] = {"192.0.2.1"};
	struct snap *s = snap_new("example.com");
	struct snap_set *set;
	char *d, *j;

	put(s, "example.com", DNS_T_A, DNS_ANSWER, 60, a, 1);
	set = snap_slot(s, "bad\xc0\x80.example.com.", DNS_T_A);
	set->ttl = 5;
	set = snap_slot(s, "www.example.com.", DNS_T_A);
	set->records = xcalloc(3, sizeof(*set->records));
	set->records[0] = xstrdup("\xed\xa0\x80");
	set->records[1] = xstrdup("192.0.2.2");
	set->records[2] = xstrdup("\xff");
	set->nrecords = 3;
	set->cnames = xcalloc(1, sizeof(*set->cnames));
	set->cnames[0] = xstrdup("web\xe2\x82.example.com.");
	set->ncnames = 1;
	d = snap_dump(s);
	j = jansson_dump(s);
	ck_assert_str_eq(d, j);
	ck_assert_str_eq(d, "{\"domain\":\"example.com\",\"sets\":["
			    "{\"name\":\"example.com.\",\"type\":\"A\",\"outcome\":\"answer\","
			    "\"known\":\"answer\",\"ttl\":60,\"records\":[\"192.0.2.1\"],"
			    "\"cnames\":[]},"
			    "{\"name\":\"www.example.com.\",\"type\":\"A\",\"outcome\":\"answer\","
			    "\"known\":\"answer\",\"ttl\":0,\"records\":[\"192.0.2.2\"],"
			    "\"cnames\":[]}]}");
	free(d);
	free(j);
	snap_free(s);
}
END_TEST

START_TEST(test_dump_of_random_snapshots_is_byte_identical_to_jansson)
{
	uint64_t r = 0x9e3779b97f4a7c15ULL;

	for (int i = 0; i < 600; i++) {
		struct snap *s = random_snap(&r, i % 2 == 1);
		char *d = snap_dump(s), *j = jansson_dump(s);

		ck_assert_str_eq(d, j);
		free(d);
		free(j);
		snap_free(s);
	}
}
END_TEST

START_TEST(test_load_of_random_dumps_round_trips)
{
	uint64_t r = 0x2545f4914f6cdd1dULL;

	for (int i = 0; i < 400; i++) {
		bool bad = i % 2 == 1;
		struct snap *s = random_snap(&r, bad), *b = NULL;
		char *d = snap_dump(s), *db, *err = NULL;

		ck_assert_int_eq(snap_load(d, &b, &err), 0);
		if (!bad)
			assert_snap_eq(s, b, true);
		db = snap_dump(b);
		ck_assert_str_eq(d, db);
		free(d);
		free(db);
		snap_free(s);
		snap_free(b);
	}
}
END_TEST

START_TEST(test_load_reads_any_json_as_jansson_does)
{
	static const size_t flags[] = {JSON_INDENT(2), JSON_COMPACT | JSON_ESCAPE_SLASH,
				       JSON_COMPACT | JSON_ENSURE_ASCII,
				       JSON_COMPACT | JSON_SORT_KEYS};
	uint64_t r = 0x853c49e6748fea9bULL;

	for (int i = 0; i < 100; i++) {
		struct snap *s = random_snap(&r, false);
		char *d = snap_dump(s), *v;
		json_t *o = json_loads(d, 0, NULL), *sets = json_object_get(o, "sets");

		ck_assert_ptr_nonnull(sets);
		assert_loads_as_jansson(d);
		for (size_t f = 0; f < sizeof(flags) / sizeof(flags[0]); f++) {
			v = json_dumps(o, flags[f]);
			assert_loads_as_jansson(v);
			free(v);
		}
		/* Sets out of order and a set twice, in the compact form. */
		if (json_array_size(sets) > 0) {
			json_t *first = json_incref(json_array_get(sets, 0));

			json_array_remove(sets, 0);
			json_array_append_new(sets, first);
			json_array_append(sets, json_array_get(sets, 0));
			v = json_dumps(o, JSON_COMPACT);
			assert_loads_as_jansson(v);
			free(v);
		}
		for (int m = 0; m < 8; m++) {
			v = mutate(&r, d);
			assert_loads_as_jansson(v);
			free(v);
		}
		json_decref(o);
		free(d);
		snap_free(s);
	}
}
END_TEST

START_TEST(test_load_agrees_with_jansson_on_edge_texts)
{
	static const char *const texts[] = {
	    "",
	    "{\"domain\":\"x.com\",\"sets\":[]}",
	    "{\"domain\":\"x.com\",\"sets\":[]} \n",
	    "{\"domain\":\"x.com\",\"sets\":[]}x",
	    "{\"domain\":\"x.com\",\"sets\":[]",
	    "{\"domain\":\"x\\u0000.com\",\"sets\":[]}",
	    "{\"domain\":\"x\\u00e9\\u0041\\u007f\\/.com\",\"sets\":[]}",
	    "{\"domain\":\"x\\ud83d\\ude00\",\"sets\":[]}",
	    "{\"domain\":\"x\\ud83d\",\"sets\":[]}",
	    "{\"domain\":\"x\\q\",\"sets\":[]}",
	    "{\"domain\":\"x\\u00G1\",\"sets\":[]}",
	    "{\"domain\":\"x\x01\",\"sets\":[]}",
	    "{\"domain\":\"x\xc3\",\"sets\":[]}",
	    "{\"domain\":\"x\\",
	    "{\"domain\":\"x.com\",\"sets\":[],\"domain\":\"y.com\"}",
	    "{\"domain\":\"x.com\",\"sets\":{}}",
	    "{\"domain\":1,\"sets\":[]}",
	    "[]",
	    "{\"domain\":\"x.com\",\"sets\":[{\"name\":\"x.com.\",\"type\":\"a\","
	    "\"outcome\":\"answer\",\"known\":\"none\",\"ttl\":4294967295,\"records\":[],"
	    "\"cnames\":[]}]}",
	    "{\"domain\":\"x.com\",\"sets\":[{\"name\":\"x.com.\",\"type\":\"TYPE00000000001\","
	    "\"outcome\":\"answer\",\"known\":\"timeout\",\"ttl\":0,\"records\":[],"
	    "\"cnames\":[]}]}",
	    "{\"domain\":\"x.com\",\"sets\":[{\"name\":\"x.com.\",\"type\":\"A\","
	    "\"outcome\":\"answer\",\"known\":\"none\",\"ttl\":4294967296,\"records\":[],"
	    "\"cnames\":[]}]}",
	    "{\"domain\":\"x.com\",\"sets\":[{\"name\":\"x.com.\",\"type\":\"A\","
	    "\"outcome\":\"answer\",\"known\":\"none\",\"ttl\":99999999999999999999,"
	    "\"records\":[],\"cnames\":[]}]}",
	    "{\"domain\":\"x.com\",\"sets\":[{\"name\":\"x.com.\",\"type\":\"A\","
	    "\"outcome\":\"answer\",\"known\":\"none\",\"ttl\":-0,\"records\":[],"
	    "\"cnames\":[]}]}",
	    "{\"domain\":\"x.com\",\"sets\":[{\"name\":\"x.com.\",\"type\":\"A\","
	    "\"outcome\":\"answer\",\"known\":\"none\",\"ttl\":01,\"records\":[],"
	    "\"cnames\":[]}]}",
	    "{\"domain\":\"x.com\",\"sets\":[{\"name\":\"x.com.\",\"type\":\"A\","
	    "\"outcome\":\"answer\",\"known\":\"none\",\"ttl\":1.0,\"records\":[],"
	    "\"cnames\":[]}]}",
	    "{\"domain\":\"x.com\",\"sets\":[{\"name\":\"x.com.\",\"type\":\"A\","
	    "\"outcome\":\"answer\",\"known\":\"none\",\"ttl\":1,\"records\":{},"
	    "\"cnames\":[]}]}",
	    "{\"domain\":\"x.com\",\"sets\":[{\"name\":\"x.com.\",\"type\":\"A\","
	    "\"outcome\":\"answer\",\"known\":\"none\",\"ttl\":1,\"records\":[\"a\",],"
	    "\"cnames\":[]}]}",
	    "{\"domain\":\"x.com\",\"sets\":[{\"name\":\"x.com.\",\"type\":\"A\","
	    "\"outcome\":\"answer\",\"known\":\"none\",\"ttl\":1,\"records\":[\"a\"],"
	    "\"cnames\":[],\"extra\":null}]}",
	    "{\"domain\":\"x.com\",\"sets\":[{\"name\":\"x.com.\",\"type\":\"A\","
	    "\"outcome\":\"answer\",\"known\":\"none\",\"ttl\":1,\"records\":[\"a\"],"
	    "\"cnames\":[]},]}",
	    "{\"domain\":\"x.com\",\"sets\":[{\"name\":\"b.x.com.\",\"type\":\"A\","
	    "\"outcome\":\"answer\",\"known\":\"none\",\"ttl\":1,\"records\":[\"a\"],"
	    "\"cnames\":[]},{\"name\":\"a.x.com.\",\"type\":\"A\",\"outcome\":\"nodata\","
	    "\"known\":\"nodata\",\"ttl\":2,\"records\":[],\"cnames\":[\"c.\"]},"
	    "{\"name\":\"b.x.com.\",\"type\":\"A\",\"outcome\":\"timeout\",\"known\":\"none\","
	    "\"ttl\":3,\"records\":[],\"cnames\":[]}]}",
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		assert_loads_as_jansson(texts[i]);
}
END_TEST

static Suite *
snap_suite(void)
{
	Suite *s = suite_create("snap");
	TCase *tc = tcase_create("snap"), *text = tcase_create("text");

	tcase_add_test(tc, test_same_state_gives_same_bytes);
	tcase_add_test(tc, test_dump_and_load_round_trip);
	tcase_add_test(tc, test_load_rejects_malformed_text);
	tcase_add_test(tc, test_records_are_sorted_and_deduplicated);
	tcase_add_test(tc, test_first_check_has_no_changes);
	tcase_add_test(tc, test_added_mx_is_one_change);
	tcase_add_test(tc, test_ttl_only_change_is_not_a_change);
	tcase_add_test(tc, test_outage_keeps_last_known_records_and_is_not_a_removal);
	tcase_add_test(tc, test_never_known_set_is_not_carried);
	tcase_add_test(tc, test_answer_to_nxdomain_is_a_change);
	tcase_add_test(tc, test_sets_watched_on_one_side_only_are_not_changes);
	tcase_add_test(tc, test_cname_chain_change_is_a_change);
	suite_add_tcase(s, tc);
	/* The direct writer and reader against jansson: many snapshots, slow under valgrind. */
	tcase_set_timeout(text, 60);
	tcase_add_test(text, test_dump_escapes_as_jansson_does);
	tcase_add_test(text, test_dump_leaves_out_what_jansson_refuses);
	tcase_add_test(text, test_dump_of_random_snapshots_is_byte_identical_to_jansson);
	tcase_add_test(text, test_load_of_random_dumps_round_trips);
	tcase_add_test(text, test_load_reads_any_json_as_jansson_does);
	tcase_add_test(text, test_load_agrees_with_jansson_on_edge_texts);
	suite_add_tcase(s, text);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(snap_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
