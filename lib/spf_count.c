/* SPF trees: lookup accounting (RFC 7208 §4.6.4) and the data an evaluation needs. */
#include <stdlib.h>
#include <string.h>

#include "dns_pkt.h"
#include "spf.h"
#include "xmalloc.h"

#define SPF_MAX_NODES 200 /* records visited before counting gives up */

/* One count's state. */
struct counter {
	const struct spf_dns *dns;
	struct spf_count *out;
	const char *stack[SPF_MAX_DEPTH + 2];
	unsigned depth, nodes;
	char *perm, *unknown, *too_many; /* the first reason of each kind */
	bool none;
};

/* Keeps the first reason of a kind (taking why). */
static void
note(char **slot, char *why)
{
	if (*slot == NULL)
		*slot = why;
	else
		free(why);
}

/* Returns how much of name to show in messages: all but the trailing dot. */
static int
shown(const char *name)
{
	size_t n = strlen(name);

	return (int)(n > 0 && name[n - 1] == '.' ? n - 1 : n);
}

/* Tells whether name's lookups of type are known empty (NODATA/NXDOMAIN): a void lookup.
 * For a (both families), empty means no fetched family has records and none is unknown. */
static bool
is_void(struct counter *c, const char *name, const uint16_t *types, size_t ntypes)
{
	size_t known_empty = 0;

	for (size_t i = 0; i < ntypes; i++) {
		enum dns_outcome o;
		char *const *rec;
		size_t n;

		if (!spf_lookup(c->dns, name, types[i], &o, &rec, &n))
			continue;
		if (!dns_outcome_is_known(o) || n > 0)
			return false;
		known_empty++;
	}
	return known_empty > 0;
}

static void walk(struct counter *c, const char *domain, const char *via);

/* Follows an include/redirect target written in term. */
static void
follow(struct counter *c, const char *spec, const char *via)
{
	char *target, *loop;

	if (strchr(spec, '%') != NULL) {
		c->out->macros = true;
		return;
	}
	target = dns_name_canon(spec);
	for (unsigned i = 0; i < c->depth; i++) {
		if (strcmp(c->stack[i], target) != 0)
			continue;
		loop = xstrdup("include loop:");
		for (unsigned j = i; j < c->depth; j++) {
			char *next = xasprintf("%s %.*s ->", loop, shown(c->stack[j]), c->stack[j]);

			free(loop);
			loop = next;
		}
		note(&c->too_many, xasprintf("%s %.*s", loop, shown(target), target));
		free(loop);
		free(target);
		return;
	}
	walk(c, target, via);
	free(target);
}

/* Counts the terms of one record at domain. */
static void
count_terms(struct counter *c, const struct spf_record *rec, const char *domain)
{
	static const uint16_t both[] = {DNS_T_A, DNS_T_AAAA}, mx[] = {DNS_T_MX}, a4[] = {DNS_T_A};

	for (size_t i = 0; i < rec->nterms; i++) {
		const struct spf_term *t = &rec->terms[i];
		const char *spec = t->domain != NULL ? t->domain : domain;
		enum dns_outcome o;
		char *const *r;
		size_t n;

		if (t->mech == SPF_M_ALL || t->mech == SPF_M_IP4 || t->mech == SPF_M_IP6)
			continue;
		c->out->lookups++;
		if (t->mech == SPF_M_INCLUDE) {
			follow(c, t->domain, t->text);
			continue;
		}
		if (t->mech == SPF_M_PTR)
			continue;
		if (strchr(spec, '%') != NULL) {
			c->out->macros = true;
			continue;
		}
		if (is_void(c, spec,
			    t->mech == SPF_M_A	  ? both
			    : t->mech == SPF_M_MX ? mx
						  : a4,
			    t->mech == SPF_M_A ? 2 : 1))
			c->out->void_lookups++;
		if (t->mech == SPF_M_MX && spf_lookup(c->dns, spec, DNS_T_MX, &o, &r, &n) && n > 10)
			note(&c->perm, xasprintf("%s: %.*s has %zu MX records (more than 10)",
						 t->text, shown(spec), spec, n));
	}
	if (rec->redirect != NULL && !rec->has_all) {
		char *via = xasprintf("redirect=%s", rec->redirect);

		c->out->lookups++;
		follow(c, rec->redirect, via);
		free(via);
	}
}

/* Counts the record at domain (canonical), reached through via (NULL at the top). */
static void
walk(struct counter *c, const char *domain, const char *via)
{
	enum dns_outcome o;
	char *const *txt, *err;
	const char *text = NULL;
	size_t n, nspf = 0;
	struct spf_record *rec;

	if (c->depth > SPF_MAX_DEPTH || ++c->nodes > SPF_MAX_NODES) {
		note(&c->too_many, xasprintf("%s: the include tree is too deep or too wide",
					     via != NULL ? via : domain));
		return;
	}
	if (!spf_lookup(c->dns, domain, DNS_T_TXT, &o, &txt, &n)) {
		note(&c->unknown, xasprintf("TXT %.*s not fetched", shown(domain), domain));
		return;
	}
	if (!dns_outcome_is_known(o)) {
		note(&c->unknown,
		     xasprintf("TXT %.*s: %s", shown(domain), domain, dns_outcome_name(o)));
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (spf_is_record(txt[i])) {
			nspf++;
			text = txt[i];
		}
	if (nspf == 0) {
		if (via == NULL)
			c->none = true;
		else
			note(&c->perm,
			     xasprintf("%s: %.*s has no SPF record", via, shown(domain), domain));
		return;
	}
	if (nspf > 1) {
		note(&c->perm, xasprintf("%.*s has %zu SPF records", shown(domain), domain, nspf));
		return;
	}
	if (spf_parse(text, &rec, &err) == -1) {
		note(&c->perm, xasprintf("%.*s: %s", shown(domain), domain, err));
		free(err);
		return;
	}
	c->stack[c->depth++] = domain;
	count_terms(c, rec, domain);
	c->depth--;
	spf_record_free(rec);
}

/* Counts the lookups of a domain's SPF tree. */
void
spf_count(const struct spf_dns *dns, const char *domain, struct spf_count *out)
{
	struct counter c = {.dns = dns, .out = out};
	char *canon = dns_name_canon(domain);

	memset(out, 0, sizeof(*out));
	walk(&c, canon, NULL);
	free(canon);
	if (c.none && c.perm == NULL && c.unknown == NULL) {
		out->status = SPF_COUNT_NONE;
		out->why = xasprintf("%s has no SPF record", domain);
	} else if (c.perm != NULL) {
		out->status = SPF_COUNT_PERMERROR;
		out->why = xstrdup(c.perm);
	} else if (c.unknown != NULL) {
		out->status = SPF_COUNT_UNKNOWN;
		out->why = xstrdup(c.unknown);
	} else if (c.too_many != NULL || out->lookups > SPF_MAX_LOOKUPS) {
		out->status = SPF_COUNT_TOO_MANY;
		out->why = c.too_many != NULL ? xstrdup(c.too_many)
					      : xasprintf("%u DNS lookups, more than %d",
							  out->lookups, SPF_MAX_LOOKUPS);
	} else if (out->void_lookups > SPF_MAX_VOID) {
		out->status = SPF_COUNT_TOO_MANY_VOID;
		out->why =
		    xasprintf("%u void lookups, more than %d", out->void_lookups, SPF_MAX_VOID);
	}
	free(c.perm);
	free(c.unknown);
	free(c.too_many);
}

/* Frees a count's strings. */
void
spf_count_clear(struct spf_count *c)
{
	free(c->why);
	c->why = NULL;
}
