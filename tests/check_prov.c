/* Provider knowledge: the shipped data files, mail host classification, SES regions, CDN
 * ranges, default reverse names, malformed data and the mixed-systems decision. */
#include "config.h"

#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "prov.h"
#include "xmalloc.h"

/* The shipped data, loaded afresh for each test of the "shipped" case. */
static struct prov *shipped;
/* The temporary data directory of the "files" case. */
static char *tmpdir;

/* Returns the shipped data directory; caller frees. */
static char *
shipped_dir(void)
{
	const char *src = getenv("MXW_SRCDIR");

	return xasprintf("%s/conf/data", src ? src : ".");
}

/* Loads the shipped data files. */
static void
shipped_setup(void)
{
	char *dir = shipped_dir(), *err = NULL;

	if (prov_load(dir, NULL, 0, &shipped, &err) != 0)
		ck_abort_msg("prov_load %s: %s", dir, err);
	free(dir);
}

/* Frees the shipped data. */
static void
shipped_teardown(void)
{
	prov_free(shipped);
	shipped = NULL;
}

/* Writes len bytes of text to dir/file. */
static void
put(const char *file, const char *text, size_t len)
{
	char *path = xasprintf("%s/%s", tmpdir, file);
	FILE *fp = fopen(path, "w");

	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(text, 1, len, fp), len);
	ck_assert_int_eq(fclose(fp), 0);
	free(path);
}

/* Writes a NUL-free text to dir/file. */
static void
put_text(const char *file, const char *text)
{
	put(file, text, strlen(text));
}

/* Makes a temporary data directory holding four small valid files. */
static void
files_setup(void)
{
	char tmpl[] = "/tmp/check_prov.XXXXXX";

	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	tmpdir = xstrdup(tmpl);
	put_text(PROV_FILE_SES_REGIONS, "# test\nreceive us-east-1\nsend us-east-1\n");
	put_text(PROV_FILE_MAIL_PROVIDERS,
		 "=inbound-smtp.*.amazonaws.com ses-inbound aws-ses-inbound Amazon SES inbound\n");
	put_text(PROV_FILE_CDN_RANGES, "104.16.0.0/13 Cloudflare\n");
	put_text(PROV_FILE_DEFAULT_PTR, "ec2-{a}-{b}-{c}-{d}.compute-1.amazonaws.com Amazon EC2\n");
}

/* Removes one entry of the temporary directory. */
static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* Removes the temporary data directory. */
static void
files_teardown(void)
{
	ck_assert_int_eq(nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
	free(tmpdir);
	tmpdir = NULL;
}

/* Loads the temporary directory, which must fail with the message want (after "DIR/"). */
static void
load_fails(const char *want)
{
	struct prov *p = (struct prov *)1;
	char *err = NULL, *full = xasprintf("%s/%s", tmpdir, want);

	ck_assert_int_eq(prov_load(tmpdir, NULL, 0, &p, &err), -1);
	ck_assert_ptr_null(p);
	ck_assert_str_eq(err, full);
	free(err);
	free(full);
}

START_TEST(test_shipped_data_files_load)
{
	struct prov_host h;

	ck_assert_ptr_nonnull(shipped);
	ck_assert_int_eq(prov_mail_host(shipped, "aspmx.l.google.com", &h), PROV_NAMED);
	ck_assert(prov_ses_inbound_region_known(shipped, "us-east-1"));
	ck_assert_str_eq(prov_cdn(shipped, "104.16.0.1"), "Cloudflare");
	ck_assert(prov_default_ptr(shipped, "ec2-203-0-113-50.compute-1.amazonaws.com",
				   "203.0.113.50", NULL));
}
END_TEST

/* Host names and the provider each belongs to. */
static const struct {
	const char *host;
	enum prov_kind kind;
	const char *id;
	const char *name;
} hosts[] = {
    {"mail.example.com", PROV_OWN, "own", "own server"},
    {"aspmx.l.google.com", PROV_NAMED, "google", "Google Workspace"},
    {"ALT1.ASPMX.L.GOOGLE.COM.", PROV_NAMED, "google", "Google Workspace"},
    {"aspmx2.googlemail.com", PROV_NAMED, "google", "Google Workspace"},
    {"smtp.google.com", PROV_NAMED, "google", "Google Workspace"},
    {"gmail-smtp-in.l.google.com", PROV_NAMED, "google", "Google Workspace"},
    {"contoso-com.mail.protection.outlook.com", PROV_NAMED, "microsoft", "Microsoft 365"},
    {"contoso-com.o-v1.mx.microsoft", PROV_NAMED, "microsoft", "Microsoft 365"},
    {"mx.zoho.com", PROV_NAMED, "zoho", "Zoho Mail"},
    {"mx2.zoho.eu", PROV_NAMED, "zoho", "Zoho Mail"},
    {"in1-smtp.messagingengine.com", PROV_NAMED, "fastmail", "Fastmail"},
    {"mail.protonmail.ch", PROV_NAMED, "proton", "Proton Mail"},
    {"mx01.mail.icloud.com", PROV_NAMED, "icloud", "iCloud Mail"},
    {"mta5.am0.yahoodns.net", PROV_NAMED, "yahoo", "Yahoo Mail"},
    {"mx0a-00123456.pphosted.com", PROV_NAMED, "proofpoint", "Proofpoint"},
    {"mx1-us1.ppe-hosted.com", PROV_NAMED, "proofpoint", "Proofpoint"},
    {"us-smtp-inbound-1.mimecast.com", PROV_NAMED, "mimecast", "Mimecast"},
    {"d123456a.ess.barracudanetworks.com", PROV_NAMED, "barracuda", "Barracuda"},
    {"mx1.example.iphmx.com", PROV_NAMED, "cisco", "Cisco Secure Email"},
    {"mxa.mailgun.org", PROV_NAMED, "mailgun", "Mailgun"},
    {"mx.sendgrid.net", PROV_NAMED, "sendgrid", "SendGrid"},
    {"inbound.postmarkapp.com", PROV_NAMED, "postmark", "Postmark"},
    {"route2.mx.cloudflare.net", PROV_NAMED, "cloudflare", "Cloudflare Email Routing"},
    {"mx1.improvmx.com", PROV_NAMED, "improvmx", "ImprovMX"},
    {"mx.yandex.net", PROV_NAMED, "yandex", "Yandex 360"},
    {"mx.yandex.ru", PROV_NAMED, "yandex", "Yandex 360"},
    /* near misses: suffixes match on label boundaries, '=' patterns only themselves */
    {"notgoogle.com", PROV_OWN, "own", "own server"},
    {"aspmx.l.google.com.example.net", PROV_OWN, "own", "own server"},
    {"evilpphosted.com", PROV_OWN, "own", "own server"},
    {"postmarkapp.com", PROV_OWN, "own", "own server"},
    {"x.inbound.postmarkapp.com", PROV_OWN, "own", "own server"},
    {"", PROV_OWN, "own", "own server"},
};

START_TEST(test_mail_hosts_are_classified_by_provider)
{
	struct prov_host h;

	ck_assert_int_eq(prov_mail_host(shipped, hosts[_i].host, &h), hosts[_i].kind);
	ck_assert_int_eq(h.kind, hosts[_i].kind);
	ck_assert_str_eq(h.id, hosts[_i].id);
	ck_assert_str_eq(h.name, hosts[_i].name);
	ck_assert_str_eq(h.region, "");
	if (hosts[_i].kind == PROV_OWN)
		ck_assert_ptr_null(h.pattern);
	else
		ck_assert_ptr_nonnull(h.pattern);
}
END_TEST

START_TEST(test_ses_inbound_and_feedback_hosts_carry_their_region)
{
	struct prov_host h;

	ck_assert_int_eq(prov_mail_host(shipped, "inbound-smtp.us-east-1.amazonaws.com", &h),
			 PROV_SES_INBOUND);
	ck_assert_str_eq(h.id, "aws-ses-inbound");
	ck_assert_str_eq(h.name, "Amazon SES inbound");
	ck_assert_str_eq(h.region, "us-east-1");
	ck_assert_str_eq(h.pattern, "=inbound-smtp.*.amazonaws.com");

	ck_assert_int_eq(prov_mail_host(shipped, "Inbound-SMTP.EU-WEST-1.amazonaws.com.", &h),
			 PROV_SES_INBOUND);
	ck_assert_str_eq(h.region, "eu-west-1");

	ck_assert_int_eq(prov_mail_host(shipped, "feedback-smtp.eu-west-2.amazonses.com.", &h),
			 PROV_SES_FEEDBACK);
	ck_assert_str_eq(h.id, "aws-ses-feedback");
	ck_assert_str_eq(h.name, "Amazon SES feedback (MAIL FROM)");
	ck_assert_str_eq(h.region, "eu-west-2");

	/* the region label is whatever the host names, known or not */
	ck_assert_int_eq(prov_mail_host(shipped, "inbound-smtp.mars-north-1.amazonaws.com", &h),
			 PROV_SES_INBOUND);
	ck_assert_str_eq(h.region, "mars-north-1");

	/* not SES: a label too few or too many, or the other kind's domain */
	ck_assert_int_eq(prov_mail_host(shipped, "inbound-smtp.amazonaws.com", &h), PROV_OWN);
	ck_assert_int_eq(prov_mail_host(shipped, "x.inbound-smtp.us-east-1.amazonaws.com", &h),
			 PROV_OWN);
	ck_assert_int_eq(prov_mail_host(shipped, "feedback-smtp.us-east-1.amazonaws.com", &h),
			 PROV_OWN);
	ck_assert_int_eq(prov_mail_host(shipped, "inbound-smtp.us-east-1.amazonses.com", &h),
			 PROV_OWN);
}
END_TEST

START_TEST(test_ses_regions_are_known_per_direction)
{
	ck_assert(prov_ses_inbound_region_known(shipped, "us-east-1"));
	ck_assert(prov_ses_inbound_region_known(shipped, "us-west-2"));
	ck_assert(prov_ses_inbound_region_known(shipped, "eu-west-1"));
	ck_assert(prov_ses_inbound_region_known(shipped, "EU-WEST-1"));
	/* SES sends from ap-south-1 but does not receive there */
	ck_assert(!prov_ses_inbound_region_known(shipped, "ap-south-1"));
	ck_assert(prov_ses_sending_region_known(shipped, "ap-south-1"));
	ck_assert(prov_ses_sending_region_known(shipped, "us-east-1"));
	ck_assert(!prov_ses_inbound_region_known(shipped, "mars-north-1"));
	ck_assert(!prov_ses_sending_region_known(shipped, "mars-north-1"));
	ck_assert(!prov_ses_inbound_region_known(shipped, ""));
}
END_TEST

/* Addresses and the CDN that holds each (NULL: none). */
static const struct {
	const char *addr;
	const char *cdn;
} cdn_cases[] = {
    {"104.16.0.0", "Cloudflare"},
    {"104.16.132.229", "Cloudflare"},
    {"104.23.255.255", "Cloudflare"}, /* last address of 104.16.0.0/13 */
    {"104.15.255.255", NULL},
    {"104.28.0.0", NULL}, /* just past 104.24.0.0/14 */
    {"2606:4700::6810:84e5", "Cloudflare"},
    {"2606:4701::1", NULL},
    {"::ffff:104.16.0.1", "Cloudflare"},
    {"151.101.1.140", "Fastly"},
    {"2a04:4e42::81", "Fastly"},
    {"13.32.0.1", "Amazon CloudFront"},
    {"2600:9000:2000::1", "Amazon CloudFront"},
    {"192.0.2.1", NULL},
    {"203.0.113.50", NULL},
    {"0.0.0.0", NULL},
    {"255.255.255.255", NULL},
    {"::", NULL},
    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", NULL},
    {"not-an-address", NULL},
    {"104.16.0.0/13", NULL},
    {"", NULL},
};

START_TEST(test_cdn_lookup_finds_the_range_holding_an_address)
{
	const char *got = prov_cdn(shipped, cdn_cases[_i].addr);

	if (cdn_cases[_i].cdn == NULL)
		ck_assert_msg(got == NULL, "%s: got %s", cdn_cases[_i].addr, got);
	else
		ck_assert_str_eq(got, cdn_cases[_i].cdn);
}
END_TEST

START_TEST(test_extra_cdn_ranges_of_the_user_are_searched)
{
	static const char *const extra[] = {"198.51.100.0/24 Corp WAF", "2001:db8:1::/48",
					    "104.16.5.0/24 inside cloudflare", "192.0.2.7"};
	char *dir = shipped_dir(), *err = NULL;
	struct prov *p;

	ck_assert_int_eq(prov_load(dir, extra, 4, &p, &err), 0);
	ck_assert_ptr_null(err);
	ck_assert_str_eq(prov_cdn(p, "198.51.100.77"), "Corp WAF");
	ck_assert_ptr_null(prov_cdn(p, "198.51.101.1"));
	ck_assert_str_eq(prov_cdn(p, "2001:db8:1:ffff::1"), PROV_USER_CDN_NAME);
	ck_assert_ptr_null(prov_cdn(p, "2001:db8:2::1"));
	ck_assert_str_eq(prov_cdn(p, "192.0.2.7"), PROV_USER_CDN_NAME);
	ck_assert_ptr_null(prov_cdn(p, "192.0.2.8"));
	/* a range inside another: any match counts, the outer one is told */
	ck_assert_str_eq(prov_cdn(p, "104.16.5.1"), "Cloudflare");
	ck_assert_str_eq(prov_cdn(p, "104.16.6.1"), "Cloudflare");
	prov_free(p);
	free(dir);
}
END_TEST

/* Bad ranges of the user and the message each gives. */
static const struct {
	const char *range;
	const char *err;
} bad_extra[] = {
    {"1.2.3/40", "extra CDN range 2: bad CIDR \"1.2.3/40\""},
    {"10.0.0.1/8 Corp", "extra CDN range 2: bad CIDR \"10.0.0.1/8 Corp\""},
    {"10.0.0.0/33", "extra CDN range 2: bad CIDR \"10.0.0.0/33\""},
    {"2001:db8::/129", "extra CDN range 2: bad CIDR \"2001:db8::/129\""},
    {"10.0.0.0/", "extra CDN range 2: bad CIDR \"10.0.0.0/\""},
    {"10.0.0.0/-8", "extra CDN range 2: bad CIDR \"10.0.0.0/-8\""},
    {"", "extra CDN range 2: bad CIDR \"\""},
    {"example.com", "extra CDN range 2: bad CIDR \"example.com\""},
};

START_TEST(test_bad_extra_cdn_range_is_an_error)
{
	const char *extra[] = {"10.0.0.0/8", bad_extra[_i].range};
	char *dir = shipped_dir(), *err = NULL;
	struct prov *p = (struct prov *)1;

	ck_assert_int_eq(prov_load(dir, extra, 2, &p, &err), -1);
	ck_assert_ptr_null(p);
	ck_assert_str_eq(err, bad_extra[_i].err);
	free(err);
	free(dir);
}
END_TEST

/* Reverse names that are provider defaults for an address, and the match told. */
static const struct {
	const char *ptr;
	const char *ip;
	const char *pattern;
	const char *name;
} ptr_yes[] = {
    {"ec2-203-0-113-50.compute-1.amazonaws.com", "203.0.113.50",
     "ec2-{a}-{b}-{c}-{d}.compute-1.amazonaws.com", "Amazon EC2"},
    {"EC2-203-0-113-50.eu-west-1.compute.amazonaws.com.", "203.0.113.50",
     "ec2-{a}-{b}-{c}-{d}.*.compute.amazonaws.com", "Amazon EC2"},
    {"50.113.0.203.bc.googleusercontent.com", "203.0.113.50",
     "{d}.{c}.{b}.{a}.bc.googleusercontent.com", "Google Cloud"},
    {"myvm.westeurope.cloudapp.azure.com", "203.0.113.50", "**.cloudapp.azure.com",
     "Microsoft Azure"},
    {"static.50.113.0.203.clients.your-server.de", "203.0.113.50",
     "static.{ip}.clients.your-server.de", "Hetzner"},
    {"ip50.ip-203-0-113.eu", "203.0.113.50", "*.ip-{a}-{b}-{c}.eu", "OVHcloud"},
    {"li123-45.members.linode.com", "203.0.113.50", "li*-*.members.linode.com", "Linode"},
    {"li123-45.members.linode.com", NULL, "li*-*.members.linode.com", "Linode"},
    {"203-0-113-50.ip.linodeusercontent.com", "203.0.113.50",
     "{a}-{b}-{c}-{d}.ip.linodeusercontent.com", "Linode"},
    {"203-0-113-50.dynamic.isp.example", "203.0.113.50", "**{ip}**dyn**", "dynamic address"},
    {"pool-203-0-113-50.bstnma.fios.verizon.net", "203.0.113.50", "**pool**{ip}**", "address pool"},
    {"host203000113050.dsl.isp.example", "203.0.113.50", "**{ip}**dsl**", "DSL line"},
    {"cpe-50-113-0-203.nyc.res.isp.example", "203.0.113.50", "**cpe**{ip}**", "customer premises"},
};

START_TEST(test_provider_default_ptr_names_match)
{
	struct prov_ptr_match m = {0};

	ck_assert_msg(prov_default_ptr(shipped, ptr_yes[_i].ptr, ptr_yes[_i].ip, &m), "%s",
		      ptr_yes[_i].ptr);
	ck_assert_str_eq(m.pattern, ptr_yes[_i].pattern);
	ck_assert_str_eq(m.name, ptr_yes[_i].name);
}
END_TEST

/* Reverse names that are not provider defaults for the address given. */
static const struct {
	const char *ptr;
	const char *ip;
} ptr_no[] = {
    {"mail.example.com", "203.0.113.50"},
    {"mail.example.com", NULL},
    /* an EC2 name that spells another address: not this address's default name */
    {"ec2-198-51-100-7.compute-1.amazonaws.com", "203.0.113.50"},
    {"ec2-203-0-113-5.compute-1.amazonaws.com", "203.0.113.50"},
    {"ec2-203-0-113-50.compute-1.amazonaws.com", "203.0.113.5"},
    {"ec2-203-0-113-50.compute-1.amazonaws.com", "2001:db8::25"},
    {"ec2-203-0-113-50.compute-1.amazonaws.com", NULL},
    {"ec2-203-0-113-50.compute-1.amazonaws.com.example.net", "203.0.113.50"},
    /* the address alone, or a keyword without the address, is not enough */
    {"mail-203-0-113-50.example.com", "203.0.113.50"},
    {"dynamic.example.net", "203.0.113.50"},
    {"203-0-113-50.dynamic.isp.example", "203.0.113.5"},
    {"1203-0-113-50.dynamic.isp.example", "203.0.113.50"},
    {"static.example.your-server.de", "203.0.113.50"},
    {"", "203.0.113.50"},
};

START_TEST(test_own_and_foreign_ptr_names_do_not_match)
{
	struct prov_ptr_match m = {"unset", "unset"};

	ck_assert_msg(!prov_default_ptr(shipped, ptr_no[_i].ptr, ptr_no[_i].ip, &m), "%s %s",
		      ptr_no[_i].ptr, ptr_no[_i].ip ? ptr_no[_i].ip : "(null)");
	ck_assert_str_eq(m.pattern, "unset");
}
END_TEST

/* Malformed data lines and the message each gives, after the directory. */
static const struct {
	const char *file;
	const char *text;
	const char *err;
} bad_lines[] = {
    {PROV_FILE_SES_REGIONS, "receive us-east-1\nfetch us-east-1\n",
     "ses-regions:2: unknown kind \"fetch\": expected receive or send"},
    {PROV_FILE_SES_REGIONS, "receive US East\n",
     "ses-regions:1: expected \"receive REGION\" or \"send REGION\""},
    {PROV_FILE_SES_REGIONS, "receive\n",
     "ses-regions:1: expected \"receive REGION\" or \"send REGION\""},
    {PROV_FILE_SES_REGIONS, "# regions\n\nreceive useast1\n",
     "ses-regions:3: bad region \"useast1\": expected e.g. us-east-1"},
    {PROV_FILE_MAIL_PROVIDERS, "google.com provider google\n",
     "mail-providers:1: expected \"PATTERN KIND ID NAME\""},
    {PROV_FILE_MAIL_PROVIDERS, "goo..gle.com provider g G\n",
     "mail-providers:1: bad pattern \"goo..gle.com\""},
    {PROV_FILE_MAIL_PROVIDERS, "google.com. provider g G\nx*y.com provider g G\n",
     "mail-providers:2: bad pattern \"x*y.com\""},
    {PROV_FILE_MAIL_PROVIDERS, "= provider g G\n", "mail-providers:1: bad pattern \"=\""},
    {PROV_FILE_MAIL_PROVIDERS, "x.com mailbox x X\n",
     "mail-providers:1: unknown kind \"mailbox\": expected provider, ses-inbound or "
     "ses-feedback"},
    {PROV_FILE_MAIL_PROVIDERS, "inbound-smtp.*.amazonaws.com ses-inbound a A\n",
     "mail-providers:1: ses-inbound pattern \"inbound-smtp.*.amazonaws.com\" must start with "
     "'=' and have one '*' label for the region"},
    {PROV_FILE_MAIL_PROVIDERS, "=feedback-smtp.amazonses.com ses-feedback a A\n",
     "mail-providers:1: ses-feedback pattern \"=feedback-smtp.amazonses.com\" must start with "
     "'=' and have one '*' label for the region"},
    {PROV_FILE_CDN_RANGES, "# ranges\n\n1.2.3/40 X\n", "cdn-ranges:3: bad CIDR \"1.2.3/40\""},
    {PROV_FILE_CDN_RANGES, "10.0.0.0/8\n", "cdn-ranges:1: expected \"CIDR NAME\""},
    {PROV_FILE_CDN_RANGES, "10.0.0.1/8 X\n", "cdn-ranges:1: bad CIDR \"10.0.0.1/8\""},
    {PROV_FILE_CDN_RANGES, "2001:db8::/129 X\n", "cdn-ranges:1: bad CIDR \"2001:db8::/129\""},
    {PROV_FILE_CDN_RANGES, "10.0.0.0/0008 X\n", "cdn-ranges:1: bad CIDR \"10.0.0.0/0008\""},
    {PROV_FILE_DEFAULT_PTR, "ec2-{e}.example X\n",
     "default-ptr:1: bad pattern \"ec2-{e}.example\": unknown token \"{e}\""},
    {PROV_FILE_DEFAULT_PTR, "ec2-{a.example X\n",
     "default-ptr:1: bad pattern \"ec2-{a.example\": unterminated \"{\""},
    {PROV_FILE_DEFAULT_PTR, "ec2+{a}.example X\n",
     "default-ptr:1: bad pattern \"ec2+{a}.example\": bad character '+'"},
    {PROV_FILE_DEFAULT_PTR, "just-a-pattern\n", "default-ptr:1: expected \"PATTERN NAME\""},
};

START_TEST(test_malformed_data_lines_name_file_and_line)
{
	put_text(bad_lines[_i].file, bad_lines[_i].text);
	load_fails(bad_lines[_i].err);
}
END_TEST

START_TEST(test_nul_byte_in_a_data_line_is_an_error)
{
	static const char text[] = "10.0.0.0/8 X\n10.1.0.0/16 \0X\n";

	put(PROV_FILE_CDN_RANGES, text, sizeof(text) - 1);
	load_fails("cdn-ranges:2: NUL byte in line");
}
END_TEST

START_TEST(test_missing_data_file_is_an_error)
{
	char *path = xasprintf("%s/%s", tmpdir, PROV_FILE_DEFAULT_PTR);

	ck_assert_int_eq(unlink(path), 0);
	load_fails("default-ptr: No such file or directory");
	free(path);
}
END_TEST

START_TEST(test_comments_blanks_and_trailing_comments_are_skipped)
{
	struct prov *p;
	struct prov_host h;
	char *err = NULL;

	put_text(PROV_FILE_CDN_RANGES, "# CDN\n\n   \t\n10.0.0.0/8\tCorp  WAF  # ours\n");
	put_text(PROV_FILE_MAIL_PROVIDERS,
		 "# providers\nExample.NET provider ex Example Mail # trailing\n"
		 "mx.example.net provider exmx Example MX\n");
	ck_assert_int_eq(prov_load(tmpdir, NULL, 0, &p, &err), 0);
	ck_assert_str_eq(prov_cdn(p, "10.200.0.1"), "Corp  WAF");
	ck_assert_ptr_null(prov_cdn(p, "11.0.0.1"));
	/* the most specific pattern wins */
	ck_assert_int_eq(prov_mail_host(p, "mx.example.net", &h), PROV_NAMED);
	ck_assert_str_eq(h.id, "exmx");
	ck_assert_int_eq(prov_mail_host(p, "in.example.net", &h), PROV_NAMED);
	ck_assert_str_eq(h.id, "ex");
	ck_assert_str_eq(h.name, "Example Mail");
	ck_assert_str_eq(h.pattern, "Example.NET");
	ck_assert(prov_ses_inbound_region_known(p, "us-east-1"));
	ck_assert(!prov_ses_inbound_region_known(p, "eu-west-1"));
	prov_free(p);
}
END_TEST

START_TEST(test_ip_tokens_never_match_inside_a_longer_number)
{
	struct prov *p;
	struct prov_ptr_match m;
	char *err = NULL;

	put_text(PROV_FILE_DEFAULT_PTR, "host*{d}.example Octet\nvm*{ip}*.example Whole\n");
	ck_assert_int_eq(prov_load(tmpdir, NULL, 0, &p, &err), 0);
	ck_assert(prov_default_ptr(p, "host-50.example", "203.0.113.50", &m));
	ck_assert_str_eq(m.name, "Octet");
	ck_assert(prov_default_ptr(p, "host50.example", "203.0.113.50", &m));
	ck_assert(!prov_default_ptr(p, "host150.example", "203.0.113.50", &m));
	ck_assert(!prov_default_ptr(p, "host-50.example", "203.0.113.5", &m));
	ck_assert(prov_default_ptr(p, "vm-203-0-113-50x.example", "203.0.113.50", &m));
	ck_assert_str_eq(m.name, "Whole");
	ck_assert(prov_default_ptr(p, "vm203.000.113.050.example", "203.0.113.50", &m));
	ck_assert(!prov_default_ptr(p, "vm1203-0-113-50.example", "203.0.113.50", &m));
	ck_assert(!prov_default_ptr(p, "vm-203-0-113-501.example", "203.0.113.50", &m));
	/* '*' stays within one label */
	ck_assert(!prov_default_ptr(p, "host.a-50.example", "203.0.113.50", &m));
	prov_free(p);
}
END_TEST

START_TEST(test_free_of_null_does_nothing)
{
	prov_free(NULL);
}
END_TEST

/* A stand-in for libpsl: the last two labels, three under co.uk. */
static const char *
fake_org(const char *host, void *arg)
{
	const char *last = strrchr(host, '.'), *p;
	size_t want = last && strcmp(last, ".uk") == 0 ? 3 : 2, dots = 0;

	(*(unsigned *)arg)++;
	for (p = host + strlen(host); p > host; p--) {
		if (p[-1] == '.' && ++dots == want)
			return p;
	}
	return dots + 1 >= want ? host : NULL;
}

/* Pairs of MX hosts and how they relate. */
static const struct {
	const char *a, *b;
	bool with_org;
	enum prov_systems want;
} systems[] = {
    /* DESIGN §1 problem 1: own server beside SES */
    {"mail.example.com", "inbound-smtp.us-east-1.amazonaws.com", true, PROV_DIFFERENT_SYSTEMS},
    {"mail.example.com", "feedback-smtp.us-east-1.amazonses.com", true, PROV_DIFFERENT_SYSTEMS},
    {"inbound-smtp.us-east-1.amazonaws.com", "feedback-smtp.us-east-1.amazonses.com", true,
     PROV_DIFFERENT_SYSTEMS},
    {"inbound-smtp.us-east-1.amazonaws.com", "inbound-smtp.eu-west-1.amazonaws.com", true,
     PROV_DIFFERENT_SYSTEMS},
    {"inbound-smtp.us-east-1.amazonaws.com", "INBOUND-SMTP.us-east-1.amazonaws.com.", false,
     PROV_SAME_SYSTEM},
    {"aspmx.l.google.com", "inbound-smtp.us-east-1.amazonaws.com", true, PROV_DIFFERENT_SYSTEMS},
    /* listed providers */
    {"aspmx.l.google.com", "alt1.aspmx.l.google.com", true, PROV_SAME_SYSTEM},
    {"aspmx.l.google.com", "aspmx2.googlemail.com", false, PROV_SAME_SYSTEM},
    {"aspmx.l.google.com", "contoso-com.mail.protection.outlook.com", true, PROV_DIFFERENT_SYSTEMS},
    {"us-smtp-inbound-1.mimecast.com", "contoso-com.mail.protection.outlook.com", true,
     PROV_DIFFERENT_SYSTEMS},
    {"aspmx.l.google.com", "mail.example.com", true, PROV_DIFFERENT_SYSTEMS},
    {"mx1.example.com", "route1.mx.cloudflare.net", true, PROV_DIFFERENT_SYSTEMS},
    /* unlisted servers: never different */
    {"mx1.example.com", "mx2.example.com", true, PROV_SAME_SYSTEM},
    {"mx1.example.co.uk", "mx2.mail.example.co.uk", true, PROV_SAME_SYSTEM},
    {"mx1.example.com", "MX1.EXAMPLE.COM.", false, PROV_SAME_SYSTEM},
    {"mx1.example.com", "backup-mx.hoster.net", true, PROV_UNSURE},
    {"mx1.example.co.uk", "mx1.other.co.uk", true, PROV_UNSURE},
    {"mx1.example.com", "mx2.example.com", false, PROV_UNSURE},
};

START_TEST(test_mixed_systems_decision_table)
{
	unsigned calls = 0;
	enum prov_systems got = prov_mail_systems(shipped, systems[_i].a, systems[_i].b,
						  systems[_i].with_org ? fake_org : NULL, &calls);

	ck_assert_msg(got == systems[_i].want, "%s vs %s: got %d, want %d", systems[_i].a,
		      systems[_i].b, (int)got, (int)systems[_i].want);
	/* the decision is symmetric */
	ck_assert_int_eq(prov_mail_systems(shipped, systems[_i].b, systems[_i].a,
					   systems[_i].with_org ? fake_org : NULL, &calls),
			 got);
}
END_TEST

START_TEST(test_org_callback_is_asked_only_for_two_unlisted_servers)
{
	unsigned calls = 0;

	prov_mail_systems(shipped, "mail.example.com", "inbound-smtp.us-east-1.amazonaws.com",
			  fake_org, &calls);
	ck_assert_uint_eq(calls, 0);
	prov_mail_systems(shipped, "mx1.example.com", "mx2.example.com", fake_org, &calls);
	ck_assert_uint_eq(calls, 2);
}
END_TEST

/* Sets $MXW_DATA_DIR to value (NULL: unsets it); returns its old value (caller frees). */
static char *
swap_data_dir(const char *value)
{
	const char *old = getenv("MXW_DATA_DIR");
	char *saved = old ? xstrdup(old) : NULL;

	if (value != NULL)
		setenv("MXW_DATA_DIR", value, 1);
	else
		unsetenv("MXW_DATA_DIR");
	return saved;
}

START_TEST(test_data_dir_variable_names_the_data)
{
	char *dir = shipped_dir(), *saved = swap_data_dir(dir), *err = NULL;
	struct prov *p = NULL;

	ck_assert_int_eq(prov_load_for(NULL, NULL, 0, &p, &err), 0);
	ck_assert_ptr_nonnull(p);
	prov_free(p);
	free(swap_data_dir(saved));
	free(saved);
	free(dir);
}
END_TEST

START_TEST(test_empty_data_dir_variable_is_unset)
{
	static const char want[] = "provider data: " MXW_DATA_DIR "/";
	char *saved = swap_data_dir(""), *err = NULL;
	struct prov *p = NULL;

	/* The installed data directory, not "/ses-regions": loaded if installed, else named. */
	if (prov_load_for(NULL, NULL, 0, &p, &err) == 0) {
		prov_free(p);
	} else {
		ck_assert_msg(strncmp(err, want, sizeof(want) - 1) == 0, "error: %s", err);
		free(err);
	}
	free(swap_data_dir(saved));
	free(saved);
}
END_TEST

#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *
prov_suite(void)
{
	Suite *s = suite_create("prov");
	TCase *tc = tcase_create("shipped"), *tf = tcase_create("files");
	TCase *te = tcase_create("environment");

	tcase_add_checked_fixture(tc, shipped_setup, shipped_teardown);
	tcase_add_test(tc, test_shipped_data_files_load);
	tcase_add_loop_test(tc, test_mail_hosts_are_classified_by_provider, 0, NELEM(hosts));
	tcase_add_test(tc, test_ses_inbound_and_feedback_hosts_carry_their_region);
	tcase_add_test(tc, test_ses_regions_are_known_per_direction);
	tcase_add_loop_test(tc, test_cdn_lookup_finds_the_range_holding_an_address, 0,
			    NELEM(cdn_cases));
	tcase_add_test(tc, test_extra_cdn_ranges_of_the_user_are_searched);
	tcase_add_loop_test(tc, test_bad_extra_cdn_range_is_an_error, 0, NELEM(bad_extra));
	tcase_add_loop_test(tc, test_provider_default_ptr_names_match, 0, NELEM(ptr_yes));
	tcase_add_loop_test(tc, test_own_and_foreign_ptr_names_do_not_match, 0, NELEM(ptr_no));
	tcase_add_loop_test(tc, test_mixed_systems_decision_table, 0, NELEM(systems));
	tcase_add_test(tc, test_org_callback_is_asked_only_for_two_unlisted_servers);
	tcase_add_test(tc, test_free_of_null_does_nothing);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(tf, files_setup, files_teardown);
	tcase_add_loop_test(tf, test_malformed_data_lines_name_file_and_line, 0, NELEM(bad_lines));
	tcase_add_test(tf, test_nul_byte_in_a_data_line_is_an_error);
	tcase_add_test(tf, test_missing_data_file_is_an_error);
	tcase_add_test(tf, test_comments_blanks_and_trailing_comments_are_skipped);
	tcase_add_test(tf, test_ip_tokens_never_match_inside_a_longer_number);
	suite_add_tcase(s, tf);

	tcase_add_test(te, test_data_dir_variable_names_the_data);
	tcase_add_test(te, test_empty_data_dir_variable_is_unset);
	suite_add_tcase(s, te);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(prov_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
