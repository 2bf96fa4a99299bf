#include "config.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dmarc.h"
#include "dns_pkt.h"
#include "plan.h"
#include "spf.h"
#include "xmalloc.h"

/* Appends one query. */
static void
add(struct plan_query **q, size_t *n, const char *name, uint16_t type, unsigned depth)
{
	*q = xreallocarray(*q, *n + 1, sizeof(**q));
	(*q)[*n].name = dns_name_canon(name);
	(*q)[*n].type = type;
	(*q)[*n].depth = depth;
	(*n)++;
}

/* Appends a query for a name built from a prefix and the domain. */
static void
add_under(struct plan_query **q, size_t *n, const char *prefix, const char *domain, uint16_t type)
{
	char *name = xasprintf("%s.%s", prefix, domain);

	add(q, n, name, type, 0);
	free(name);
}

/* Returns the reverse-lookup name of an address. */
char *
plan_reverse_name(const char *ip)
{
	unsigned char a[16];
	char *s, *p;

	if (inet_pton(AF_INET, ip, a) == 1)
		return xasprintf("%u.%u.%u.%u.in-addr.arpa.", a[3], a[2], a[1], a[0]);
	if (inet_pton(AF_INET6, ip, a) != 1)
		return NULL;
	s = p = xmalloc(64 + sizeof("ip6.arpa."));
	for (int i = 15; i >= 0; i--)
		p += sprintf(p, "%x.%x.", a[i] & 0x0f, a[i] >> 4);
	strcpy(p, "ip6.arpa.");
	return s;
}

/* Plans the first queries. */
size_t
plan_first(const struct cfg_domain *d, struct plan_query **out)
{
	size_t n = 0;

	*out = NULL;
	for (size_t i = 0; i < d->nmail_names; i++)
		add(out, &n, d->mail_names[i], DNS_T_MX, 0);
	add(out, &n, d->name, DNS_T_A, 0);
	add(out, &n, d->name, DNS_T_AAAA, 0);
	add(out, &n, d->name, DNS_T_TXT, 0);
	add_under(out, &n, "_dmarc", d->name, DNS_T_TXT);
	{
		/* A subdomain without DMARC gets its organisational domain's policy. */
		char *org = dmarc_org_domain(d->name);

		if (org != NULL && strcmp(org, d->name) != 0)
			add_under(out, &n, "_dmarc", org, DNS_T_TXT);
		free(org);
	}
	if (d->has_ses && d->ses.mail_from != NULL) {
		add(out, &n, d->ses.mail_from, DNS_T_MX, 0);
		add(out, &n, d->ses.mail_from, DNS_T_TXT, 0);
	}
	for (size_t i = 0; i < d->ndkim_selectors; i++) {
		char *p = xasprintf("%s._domainkey", d->dkim_selectors[i]);

		add_under(out, &n, p, d->name, DNS_T_TXT);
		free(p);
	}
	for (size_t i = 0; d->has_ses && i < d->ses.ndkim_tokens; i++) {
		char *p = xasprintf("%s._domainkey", d->ses.dkim_tokens[i]);

		add_under(out, &n, p, d->name, DNS_T_TXT);
		free(p);
	}
	for (size_t i = 0; i < d->nsending_ips; i++) {
		char *rev = plan_reverse_name(d->sending_ips[i]);

		if (rev != NULL)
			add(out, &n, rev, DNS_T_PTR, 0);
		free(rev);
	}
	return n;
}

/* Plans what one SPF record at domain makes check_host() read. */
size_t
plan_spf(const char *text, const char *domain, unsigned depth, struct plan_query **out)
{
	struct spf_record *rec;
	char *err = NULL;
	size_t n = 0;

	*out = NULL;
	if (depth >= PLAN_SPF_MAX_DEPTH || !spf_is_record(text))
		return 0;
	if (spf_parse(text, &rec, &err) != 0) {
		free(err); /* spf.syntax reports it; nothing it names is looked up */
		return 0;
	}
	for (size_t i = 0; i < rec->nterms; i++) {
		const struct spf_term *t = &rec->terms[i];
		const char *target = t->domain != NULL ? t->domain : domain;

		if (strchr(target, '%') != NULL)
			continue; /* macros depend on the sender: not watched */
		switch (t->mech) {
		case SPF_M_INCLUDE:
			add(out, &n, target, DNS_T_TXT, depth + 1);
			break;
		case SPF_M_A:
			add(out, &n, target, DNS_T_A, 0);
			add(out, &n, target, DNS_T_AAAA, 0);
			break;
		case SPF_M_MX:
			add(out, &n, target, DNS_T_MX, 0);
			break;
		case SPF_M_EXISTS:
			add(out, &n, target, DNS_T_A, 0);
			break;
		default:
			break; /* all, ip4, ip6; ptr reads the PTR names of sending IPs */
		}
	}
	if (rec->redirect != NULL && !rec->has_all && strchr(rec->redirect, '%') == NULL)
		add(out, &n, rec->redirect, DNS_T_TXT, depth + 1);
	spf_record_free(rec);
	return n;
}

/* Tells whether name (canonical, absolute) is one of the domain's mail names. */
static bool
is_mail_name(const struct cfg_domain *d, const char *name)
{
	size_t l = strlen(name);

	for (size_t i = 0; i < d->nmail_names; i++)
		if (strlen(d->mail_names[i]) == l - 1 &&
		    strncmp(d->mail_names[i], name, l - 1) == 0)
			return true;
	return false;
}

/* Plans the follow-ups of one answer. */
size_t
plan_next(const struct cfg_domain *d, const struct dns_result *res, unsigned depth,
	  struct plan_query **out)
{
	size_t n = 0;

	*out = NULL;
	switch (res->qtype) {
	case DNS_T_MX:
		if (res->outcome == DNS_ANSWER) {
			for (size_t i = 0; i < res->nrrs; i++) {
				if (strcmp(res->rrs[i].data, ".") == 0)
					continue; /* null MX */
				add(out, &n, res->rrs[i].data, DNS_T_A, 0);
				add(out, &n, res->rrs[i].data, DNS_T_AAAA, 0);
			}
		} else if ((res->outcome == DNS_NODATA || res->outcome == DNS_NXDOMAIN) &&
			   is_mail_name(d, res->qname)) {
			/* No MX: mail goes to the name's own address (the implicit MX). */
			add(out, &n, res->qname, DNS_T_A, 0);
			add(out, &n, res->qname, DNS_T_AAAA, 0);
		}
		break;
	case DNS_T_PTR:
		for (size_t i = 0; res->outcome == DNS_ANSWER && i < res->nrrs; i++) {
			add(out, &n, res->rrs[i].data, DNS_T_A, 0);
			add(out, &n, res->rrs[i].data, DNS_T_AAAA, 0);
		}
		break;
	case DNS_T_TXT:
		for (size_t i = 0; res->outcome == DNS_ANSWER && i < res->nrrs; i++) {
			struct plan_query *sq;
			size_t ns;

			if (memchr(res->rrs[i].data, '\0', res->rrs[i].len) != NULL)
				continue;
			ns = plan_spf(res->rrs[i].data, res->qname, depth, &sq);
			for (size_t j = 0; j < ns; j++)
				add(out, &n, sq[j].name, sq[j].type, sq[j].depth);
			plan_free(sq, ns);
		}
		break;
	default:
		break;
	}
	return n;
}

/* Plans the follow-ups of a set's last known state. */
size_t
plan_next_known(const struct cfg_domain *d, const struct snap_set *set, unsigned depth,
		struct plan_query **out)
{
	struct dns_result res = {.qname = set->name, .qtype = set->type, .outcome = set->known};
	size_t n;

	*out = NULL;
	if (!dns_outcome_is_known(set->known))
		return 0;
	res.rrs = set->nrecords ? xcalloc(set->nrecords, sizeof(*res.rrs)) : NULL;
	res.nrrs = set->nrecords;
	for (size_t i = 0; i < set->nrecords; i++) {
		const char *data = set->records[i];

		if (set->type == DNS_T_MX && strchr(data, ' ') != NULL)
			data = strchr(data, ' ') + 1;
		res.rrs[i].type = set->type;
		res.rrs[i].data = (char *)(uintptr_t)data;
		res.rrs[i].len = strlen(data);
	}
	n = plan_next(d, &res, depth, out);
	free(res.rrs);
	return n;
}

/* Frees a list of queries. */
void
plan_free(struct plan_query *q, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(q[i].name);
	free(q);
}
