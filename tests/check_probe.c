/* One whole check of a domain against a real NSD: plan, follow-ups, snapshot. */
#include "config.h"

#include <check.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"
#include "testns.h"
#include "xmalloc.h"

static struct testns *ns;

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
}

struct done {
	int calls;
	bool complete;
	char *text;
};

/* Renders a snapshot as "name TYPE outcome/known [records]" lines. */
static void
probe_done(struct snap *s, bool complete, void *arg)
{
	struct done *d = arg;
	char tb[16];

	d->calls++;
	d->complete = complete;
	d->text = xstrdup("");
	for (size_t i = 0; i < s->nsets; i++) {
		const struct snap_set *set = &s->sets[i];
		char *line = xasprintf("%s%s %s %s", d->text, set->name,
				       dns_type_name(set->type, tb, sizeof(tb)),
				       dns_outcome_name(set->outcome));

		for (size_t j = 0; j < set->nrecords; j++) {
			char *more = xasprintf("%s | %s", line, set->records[j]);

			free(line);
			line = more;
		}
		free(d->text);
		d->text = xasprintf("%s\n", line);
		free(line);
	}
	snap_free(s);
}

/* Compares long texts; Check's own message would be too long for it. */
static void
expect_text(const char *got, const char *want)
{
	if (strcmp(got, want) != 0) {
		fprintf(stderr, "got:\n%s\nwant:\n%s\n", got, want);
		ck_abort_msg("the snapshot differs (both printed on stderr)");
	}
}

START_TEST(test_whole_check_follows_mx_spf_chain_and_ptr)
{
	static char name[] = "probe.test", mail_from[] = "bounce.probe.test",
		    region[] = "us-east-1";
	static char ip[] = "192.0.2.25", s1[] = "s1";
	static char *mail_names[] = {name}, *ips[] = {ip}, *sels[] = {s1};
	struct cfg_domain d = {.name = name,
			       .mail_names = mail_names,
			       .nmail_names = 1,
			       .has_ses = true,
			       .ses = {.region = region, .mail_from = mail_from},
			       .sending_ips = ips,
			       .nsending_ips = 1,
			       .dkim_selectors = sels,
			       .ndkim_selectors = 1};
	const char *servers[] = {testns_server(ns)};
	struct event_base *base = event_base_new();
	struct dns_options o;
	struct dns_resolver *r;
	struct dns_stats st;
	struct done done = {0};
	char *err = NULL;

	dns_options_init(&o);
	o.servers = servers;
	o.nservers = 1;
	o.timeout_ms = 500;
	r = dns_new(base, &o, &err);
	ck_assert_msg(r != NULL, "%s", err);
	ck_assert_int_eq(probe_start(r, &d, NULL, probe_done, &done), 0);
	event_base_dispatch(base);
	ck_assert_int_eq(done.calls, 1);
	ck_assert(done.complete);
	expect_text(
	    done.text,
	    "25.2.0.192.in-addr.arpa. PTR answer | mail.example.test.\n"
	    "_dmarc.probe.test. TXT answer | v=DMARC1; p=reject\n"
	    "_spf.probe.test. TXT answer | v=spf1 include:_spf2.probe.test ip4:192.0.2.0/24 ~all\n"
	    "_spf2.probe.test. TXT answer | v=spf1 include:_spf.probe.test -all\n"
	    "amazonses.com. TXT refused\n"
	    "bounce.probe.test. MX answer | 10 feedback-smtp.us-east-1.amazonses.com.\n"
	    "bounce.probe.test. TXT answer | v=spf1 include:amazonses.com ~all\n"
	    "feedback-smtp.us-east-1.amazonses.com. A refused\n"
	    "feedback-smtp.us-east-1.amazonses.com. AAAA refused\n"
	    "mail.example.test. A answer | 192.0.2.25\n"
	    "mail.example.test. AAAA answer | 2001:db8::25\n"
	    "mx1.probe.test. A answer | 192.0.2.10\n"
	    "mx1.probe.test. AAAA answer | 2001:db8::10\n"
	    "probe.test. A answer | 192.0.2.80\n"
	    "probe.test. MX answer | 10 mx1.probe.test. | 20 target.other.test.\n"
	    "probe.test. TXT answer | v=spf1 include:_spf.probe.test -all\n"
	    "probe.test. AAAA nodata\n"
	    "s1._domainkey.probe.test. TXT answer | v=DKIM1; "
	    "p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC\n"
	    "target.other.test. A answer | 192.0.2.99\n"
	    "target.other.test. AAAA nodata\n");
	/* Each set asked once: the SPF loop back to _spf.probe.test is not asked again. */
	dns_get_stats(r, &st);
	ck_assert_int_eq(st.submitted, 20);
	free(done.text);
	dns_free(r);
	event_base_free(base);
}
END_TEST

START_TEST(test_check_cut_short_by_shutdown_is_incomplete)
{
	static char name[] = "probe.test";
	static char *mail_names[] = {name};
	struct cfg_domain d = {.name = name, .mail_names = mail_names, .nmail_names = 1};
	const char *servers[] = {testns_server(ns)};
	struct event_base *base = event_base_new();
	struct dns_options o;
	struct dns_resolver *r;
	struct done done = {0};
	char *err = NULL;

	dns_options_init(&o);
	o.servers = servers;
	o.nservers = 1;
	r = dns_new(base, &o, &err);
	ck_assert_int_eq(probe_start(r, &d, NULL, probe_done, &done), 0);
	dns_free(r); /* before the loop ever ran */
	ck_assert_int_eq(done.calls, 1);
	ck_assert(!done.complete);
	free(done.text);
	event_base_free(base);
}
END_TEST

static Suite *
probe_suite(void)
{
	Suite *s = suite_create("probe");
	TCase *tc = tcase_create("nsd");

	tcase_add_unchecked_fixture(tc, ns_setup, ns_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_whole_check_follows_mx_spf_chain_and_ptr);
	tcase_add_test(tc, test_check_cut_short_by_shutdown_is_incomplete);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(probe_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
