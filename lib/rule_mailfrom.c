/* The SES custom MAIL FROM rules. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns_pkt.h"
#include "rule_int.h"
#include "spf.h"
#include "xmalloc.h"

/* Tells whether host is an SES feedback host ("feedback-smtp.REGION.amazonses.com."); when
 * so and region is not NULL, copies the region there (64 bytes). */
bool
rule_ses_feedback(const char *host, char *region)
{
	static const char pre[] = "feedback-smtp.", suf[] = ".amazonses.com.";
	size_t n = strlen(host), p = sizeof(pre) - 1, s = sizeof(suf) - 1;

	if (n <= p + s || strncmp(host, pre, p) != 0 || strcmp(host + n - s, suf) != 0 ||
	    memchr(host + p, '.', n - p - s) != NULL || n - p - s >= 64)
		return false;
	if (region != NULL)
		snprintf(region, 64, "%.*s", (int)(n - p - s), host + p);
	return true;
}

/* Tells whether an SPF record includes amazonses.com. */
static bool
spf_includes_ses(const char *txt)
{
	const char *p;

	if (!spf_is_record(txt))
		return false;
	for (p = txt; (p = strcasestr(p, "include:amazonses.com")) != NULL; p++) {
		char after = p[21];

		if ((p == txt || p[-1] == ' ' || p[-1] == '+' || p[-1] == '~' || p[-1] == '?') &&
		    (after == '\0' || after == ' '))
			return true;
	}
	return false;
}

/* Describes an MX set that is not the one SES feedback MX: "2 MX records" or its target. */
static void
mx_found(const struct snap_set *mx, char *buf, size_t size)
{
	if (mx->nrecords != 1)
		snprintf(buf, size, "%zu MX records", mx->nrecords);
	else
		snprintf(buf, size, "%s", rule_mx_target(mx->records[0]));
}

/* The MAIL FROM rules of a domain that sends with SES. Names in subjects and messages are
 * absolute ("bounce.example.com."), as in every other rule. */
void
rule_mailfrom(struct rule_ctx *c)
{
	const char *region = c->d->has_ses ? c->d->ses.region : NULL;
	const struct snap_set *mx, *txt;
	size_t dl = strlen(c->d->name), ml;
	bool receives = false, apex;
	struct finding *f;
	char *mf;

	if (!c->d->has_ses || c->d->ses.mail_from == NULL)
		return;
	mf = xasprintf("%s.", c->d->ses.mail_from);
	ml = strlen(mf) - 1;
	apex = strcmp(c->d->ses.mail_from, c->d->name) == 0;
	if (!apex &&
	    !(ml > dl + 1 && mf[ml - dl - 1] == '.' && strncmp(mf + ml - dl, c->d->name, dl) == 0))
		rule_add(c, "mailfrom.not-subdomain", mf,
			 "the MAIL FROM domain %s is not a subdomain of %s: SPF will not align "
			 "for DMARC",
			 mf, c->d->name);
	for (size_t i = 0; i < c->d->nmail_names; i++)
		receives |= strcmp(c->d->mail_names[i], c->d->ses.mail_from) == 0;
	if (receives || apex) {
		f = rule_add(c, "mailfrom.receives-mail", mf,
			     "the MAIL FROM domain %s is %s: it must be a dedicated, unused "
			     "subdomain, or SES bounces and the name's own mail interfere",
			     mf, apex ? "the apex" : "a name that receives mail");
		if ((mx = rule_known(c->cur, mf, DNS_T_MX)) != NULL)
			rule_evidence(f, mx);
		free(mf);
		return;
	}
	mx = rule_known(c->cur, mf, DNS_T_MX);
	if (mx != NULL && rule_empty(mx)) {
		f = rule_add(c, "mailfrom.mx-missing", mf,
			     "the MAIL FROM domain %s has no MX: SES falls back to its own MAIL "
			     "FROM and SPF stops aligning for DMARC",
			     mf);
		rule_evidence(f, mx);
	} else if (mx != NULL) {
		char got[64] = "", found[300];
		bool other = false, wrong;

		for (size_t i = 0; i < mx->nrecords; i++)
			other |= !rule_ses_feedback(rule_mx_target(mx->records[i]), NULL);
		wrong = mx->nrecords != 1 || other ||
			!rule_ses_feedback(rule_mx_target(mx->records[0]), got) ||
			(region != NULL && strcmp(got, region) != 0);
		if (other) {
			f = rule_add(
			    c, "mailfrom.receives-mail", mf,
			    "the MAIL FROM domain %s has an MX other than SES feedback: it "
			    "receives mail, so SES bounce handling breaks",
			    mf);
			rule_evidence(f, mx);
		}
		if (wrong) {
			mx_found(mx, found, sizeof(found));
			f = rule_add(
			    c, "mailfrom.mx-wrong", mf,
			    "the MAIL FROM domain %s needs exactly one MX, "
			    "feedback-smtp.%s.amazonses.com., not %s: SES custom MAIL FROM setup "
			    "fails otherwise",
			    mf, region ? region : "REGION", found);
			rule_evidence(f, mx);
		}
	}
	txt = rule_known(c->cur, mf, DNS_T_TXT);
	if (txt != NULL) {
		bool ok = false;

		for (size_t i = 0; i < txt->nrecords; i++)
			ok |= spf_includes_ses(txt->records[i]);
		if (!ok) {
			f = rule_add(c, "mailfrom.spf-missing", mf,
				     "the MAIL FROM domain %s has no SPF record including "
				     "amazonses.com: mail sent through SES fails SPF",
				     mf);
			rule_evidence(f, txt);
		}
	}
	free(mf);
}
