/* SPF data needs: every (name, type) an evaluation could read. */
#include <stdlib.h>
#include <string.h>

#include "dns_pkt.h"
#include "spf.h"
#include "xmalloc.h"

/* One listing's state. */
struct needs {
	const struct spf_dns *dns;
	const struct spf_query *q;
	bool has_ip, v4;
	unsigned char ip[16];
	struct spf_need *v;
	size_t n;
};

/* Adds (name, type) unless listed; returns false when it was. */
static bool
add(struct needs *s, const char *name, uint16_t type)
{
	char *canon = dns_name_canon(name);

	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].type == type && strcmp(s->v[i].name, canon) == 0) {
			free(canon);
			return false;
		}
	s->v = xreallocarray(s->v, s->n + 1, sizeof(*s->v));
	s->v[s->n].name = canon;
	s->v[s->n++].type = type;
	return true;
}

/* Adds the address types of name the client's family needs. */
static void
add_addresses(struct needs *s, const char *name)
{
	if (!s->has_ip || s->v4)
		add(s, name, DNS_T_A);
	if (!s->has_ip || !s->v4)
		add(s, name, DNS_T_AAAA);
}

/* Returns the target of a domain-spec at domain (caller frees), or NULL when it holds
 * macros that cannot be expanded without an IP. */
static char *
target(struct needs *s, const char *spec, const char *domain)
{
	char *exp, *canon;

	if (spec == NULL)
		return xstrdup(domain);
	if (strchr(spec, '%') == NULL)
		return dns_name_canon(spec);
	if (!s->has_ip || (exp = spf_expand(spec, s->q, domain, false)) == NULL)
		return NULL;
	canon = dns_name_canon(exp);
	free(exp);
	return canon;
}

/* Lists what the names of a lookup's answer need: addresses (of at most 10 names). */
static void
follow_names(struct needs *s, const char *name, uint16_t type)
{
	enum dns_outcome o;
	char *const *rec;
	size_t n;

	if (!spf_lookup(s->dns, name, type, &o, &rec, &n))
		return;
	for (size_t i = 0; i < n && i < 10; i++) {
		const char *t = type == DNS_T_MX ? spf_mx_target(rec[i]) : rec[i];

		if (strcmp(t, ".") != 0)
			add_addresses(s, t);
	}
}

/* Lists what the record at domain (canonical) needs. */
static void
walk(struct needs *s, const char *domain, unsigned depth)
{
	enum dns_outcome o;
	char *const *txt, *err, *t;
	size_t n, nspf = 0;
	const char *text = NULL;
	struct spf_record *rec;

	if (depth > SPF_MAX_DEPTH || !add(s, domain, DNS_T_TXT))
		return;
	if (!spf_lookup(s->dns, domain, DNS_T_TXT, &o, &txt, &n))
		return;
	for (size_t i = 0; i < n; i++)
		if (spf_is_record(txt[i])) {
			nspf++;
			text = txt[i];
		}
	if (nspf != 1 || spf_parse(text, &rec, &err) == -1) {
		if (nspf == 1)
			free(err);
		return;
	}
	for (size_t i = 0; i < rec->nterms; i++) {
		const struct spf_term *term = &rec->terms[i];

		if (term->mech == SPF_M_ALL || term->mech == SPF_M_IP4 || term->mech == SPF_M_IP6)
			continue;
		if (term->mech == SPF_M_PTR) {
			if (s->has_ip) {
				char *rev = spf_reverse_name(s->ip, s->v4);

				add(s, rev, DNS_T_PTR);
				follow_names(s, rev, DNS_T_PTR);
				free(rev);
			}
			continue;
		}
		if ((t = target(s, term->domain, domain)) == NULL)
			continue;
		switch (term->mech) {
		case SPF_M_INCLUDE:
			walk(s, t, depth + 1);
			break;
		case SPF_M_A:
			add_addresses(s, t);
			break;
		case SPF_M_MX:
			add(s, t, DNS_T_MX);
			follow_names(s, t, DNS_T_MX);
			break;
		default: /* exists */
			add(s, t, DNS_T_A);
			break;
		}
		free(t);
	}
	if (rec->redirect != NULL && !rec->has_all && (t = target(s, rec->redirect, domain))) {
		walk(s, t, depth + 1);
		free(t);
	}
	spf_record_free(rec);
}

/* Lists the data an evaluation of q needs. */
size_t
spf_needed(const struct spf_dns *dns, const struct spf_query *q, struct spf_need **out)
{
	struct needs s = {.dns = dns, .q = q};
	char *domain = dns_name_canon(q->domain);

	s.has_ip = spf_ip_parse(q->ip, s.ip, &s.v4);
	walk(&s, domain, 0);
	free(domain);
	*out = s.v;
	return s.n;
}

/* Frees a needs list. */
void
spf_needs_free(struct spf_need *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}
