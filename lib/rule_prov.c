/* The rules that need provider knowledge: mixed mail systems, SES hosts in the wrong place,
 * MX targets on a CDN, provider-default reverse names. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "dmarc.h"
#include "plan.h"
#include "prov.h"
#include "rule_int.h"
#include "xmalloc.h"

/* The organisational domain adapter for prov_mail_systems: keeps the last answer. */
struct org_cache {
	char *last;
};

/* Returns the organisational domain of host without the trailing dot (borrowed). */
static const char *
org_of(const char *host, void *arg)
{
	struct org_cache *oc = arg;
	size_t n;

	free(oc->last);
	oc->last = dmarc_org_domain(host);
	if (oc->last != NULL && (n = strlen(oc->last)) > 0 && oc->last[n - 1] == '.')
		oc->last[n - 1] = '\0';
	return oc->last;
}

/* Describes a host for a message: "mail.example.com. (own server)". */
static char *
label(const struct prov_host *h, const char *host)
{
	if (h->region[0] != '\0')
		return xasprintf("%s (%s %s)", host, h->name, h->region);
	return xasprintf("%s (%s)", host, h->name);
}

/* mx.mixed-providers and the SES host rules of one mail name. */
static void
check_mail_name(struct rule_ctx *c, const struct snap_set *mx)
{
	struct org_cache oc = {0};
	bool mixed = false;
	struct finding *f;

	for (size_t i = 0; i < mx->nrecords; i++) {
		const char *t = rule_mx_target(mx->records[i]);
		struct prov_host h;

		if (strcmp(t, ".") == 0)
			continue;
		prov_mail_host(c->prov, t, &h);
		if (h.kind == PROV_SES_FEEDBACK) {
			f = rule_add(c, "mx.ses-feedback-on-mail-name", mx->name,
				     "%s, an SES bounce-handling host, is an MX of %s, a name that "
				     "receives mail: mail sent to it there is lost",
				     t, mx->name);
			rule_evidence(f, mx);
		}
		if (h.kind == PROV_SES_INBOUND &&
		    !prov_ses_inbound_region_known(c->prov, h.region)) {
			f = rule_add(c, "ses.inbound-region-unknown", t,
				     "%s names region %s, where SES does not receive mail: mail "
				     "to %s cannot be delivered there",
				     t, h.region, mx->name);
			rule_evidence(f, mx);
		}
		for (size_t j = i + 1; j < mx->nrecords && !mixed; j++) {
			const char *u = rule_mx_target(mx->records[j]);
			struct prov_host k;
			char *a, *b;

			if (strcmp(u, ".") == 0)
				continue;
			prov_mail_host(c->prov, u, &k);
			if (h.kind == PROV_SES_FEEDBACK || k.kind == PROV_SES_FEEDBACK ||
			    prov_mail_systems(c->prov, t, u, org_of, &oc) != PROV_DIFFERENT_SYSTEMS)
				continue;
			mixed = true;
			a = label(&h, t);
			b = label(&k, u);
			if (h.kind == PROV_OWN) { /* name the other system as where mail is lost */
				char *t2 = a;

				a = b;
				b = t2;
			}
			if (atoi(mx->records[i]) == atoi(mx->records[j]))
				f = rule_add(
				    c, "mx.mixed-providers", mx->name,
				    "part of the mail to %s goes to %s and is lost there: "
				    "equal preference %d with %s, and senders pick at random",
				    mx->name, a, atoi(mx->records[i]), b);
			else
				f = rule_add(
				    c, "mx.mixed-providers", mx->name,
				    "mail to %s goes to two mail systems, %s and %s: "
				    "whenever the preferred one is slow or down, mail lands "
				    "in the other",
				    mx->name, a, b);
			rule_evidence(f, mx);
			free(a);
			free(b);
		}
	}
	free(oc.last);
}

/* mx.target-on-cdn for one mail host (a target, or the implicit MX). */
static void
check_cdn(struct rule_ctx *c, const char *host, const char *mail_name)
{
	static const uint16_t types[] = {DNS_T_A, DNS_T_AAAA};

	for (size_t t = 0; t < 2; t++) {
		const struct snap_set *set = rule_known(c->cur, host, types[t]);

		for (size_t i = 0; set != NULL && i < set->nrecords; i++) {
			const char *cdn = prov_cdn(c->prov, set->records[i]);
			struct finding *f;

			if (cdn == NULL)
				continue;
			f = rule_add(c, "mx.target-on-cdn", host,
				     "mail host %s of %s resolves to %s, an address of %s: a CDN, "
				     "WAF or proxy does not accept mail, so mail to %s is not "
				     "delivered",
				     host, mail_name, set->records[i], cdn, mail_name);
			rule_evidence(f, set);
			return;
		}
	}
}

/* ptr.generic for every sending IP. */
static void
check_ptr(struct rule_ctx *c)
{
	for (size_t i = 0; i < c->d->nsending_ips; i++) {
		const char *ip = c->d->sending_ips[i];
		char *rev = plan_reverse_name(ip);
		const struct snap_set *ptr = rev ? rule_known(c->cur, rev, DNS_T_PTR) : NULL;

		free(rev);
		for (size_t j = 0; ptr != NULL && j < ptr->nrecords; j++) {
			struct prov_ptr_match m;
			struct finding *f;

			if (!prov_default_ptr(c->prov, ptr->records[j], ip, &m))
				continue;
			f = rule_add(
			    c, "ptr.generic", ip,
			    "the reverse name of sending IP %s is %s, the %s default: mailbox "
			    "providers treat mail from such names as suspect",
			    ip, ptr->records[j], m.name);
			rule_evidence(f, ptr);
			break;
		}
	}
}

/* The provider rules; nothing without provider data. */
void
rule_prov(struct rule_ctx *c)
{
	if (c->prov == NULL)
		return;
	for (size_t i = 0; i < c->d->nmail_names; i++) {
		const struct snap_set *mx = rule_known(c->cur, c->d->mail_names[i], DNS_T_MX);

		if (mx == NULL)
			continue;
		if (rule_empty(mx)) {
			check_cdn(c, mx->name, mx->name); /* the implicit MX */
			continue;
		}
		check_mail_name(c, mx);
		for (size_t j = 0; j < mx->nrecords; j++)
			if (strcmp(rule_mx_target(mx->records[j]), ".") != 0)
				check_cdn(c, rule_mx_target(mx->records[j]), mx->name);
	}
	check_ptr(c);
}
