/* Snapshots: canonical form, stable JSON, carrying unknown outcomes, diffs. */
#include "config.h"

#include <check.h>
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
	ck_assert_int_eq(snap_diff(before, during, &c), 0);
	/* The server comes back with one MX fewer: a change against the last known state. */
	put(after, "example.com", DNS_T_MX, DNS_ANSWER, 300, mx, 1);
	n = snap_diff(during, after, &c);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(c[0].before->nrecords, 2);
	ck_assert_int_eq(c[0].after->nrecords, 1);
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
	ck_assert_str_eq(d, "{\"domain\":\"example.com\",\"sets\":[{\"name\":\"example.com.\","
			    "\"type\":\"MX\",\"outcome\":\"timeout\",\"known\":\"none\",\"ttl\":0,"
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

static Suite *
snap_suite(void)
{
	Suite *s = suite_create("snap");
	TCase *tc = tcase_create("snap");

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
