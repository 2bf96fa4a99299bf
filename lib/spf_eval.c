/* SPF check_host() (RFC 7208 §4, §5) over struct spf_dns data. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns_pkt.h"
#include "spf.h"
#include "xmalloc.h"

#define SPF_MAX_MX_PTR 10 /* address lookups per mx/ptr term (§4.6.4) */
#define SPF_MAX_NEST 32	  /* recursion guard; the lookup limit stops loops first */

/* One evaluation's state. */
struct ctx {
	const struct spf_dns *dns;
	const struct spf_query *q;
	unsigned char ip[16];
	bool v4;
	unsigned lookups, voids;
	unsigned nest;
	char *why; /* the reason for a temperror/permerror/none */
};

/* What one mechanism did. */
enum match { NO_MATCH, MATCH, TEMP, PERM };

/* Records why (taking it): the last reason is the one that decided. */
static void
set_why(struct ctx *c, char *why)
{
	free(c->why);
	c->why = why;
}

/* Returns how much of name to show in messages: all but the trailing dot. */
static int
shown(const char *name)
{
	size_t n = strlen(name);

	return (int)(n > 0 && name[n - 1] == '.' ? n - 1 : n);
}

/* Tells whether a canonical name is a valid domain: labels of 1..63, at most 253. */
static bool
valid_name(const char *name)
{
	size_t n = strlen(name), label = 0;

	if (n < 2 || n > 254 || strchr(name, '.') == name + n - 1)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (name[i] != '.') {
			if (++label > 63)
				return false;
			continue;
		}
		if (label == 0)
			return false;
		label = 0;
	}
	return true;
}

/* Counts a DNS-querying term; returns false past the limit. */
static bool
count_lookup(struct ctx *c)
{
	if (++c->lookups <= SPF_MAX_LOOKUPS)
		return true;
	set_why(c, xasprintf("more than %d DNS lookups", SPF_MAX_LOOKUPS));
	return false;
}

/* Looks up (name, type); returns TEMP when unknown, NO_MATCH for a known result. */
static enum match
lookup(struct ctx *c, const char *name, uint16_t type, char *const **rec, size_t *n)
{
	enum dns_outcome o;
	char tb[16];

	if (!spf_lookup(c->dns, name, type, &o, rec, n)) {
		set_why(c, xasprintf("%s %.*s not fetched", dns_type_name(type, tb, sizeof(tb)),
				     shown(name), name));
		return TEMP;
	}
	if (!dns_outcome_is_known(o)) {
		set_why(c, xasprintf("%s %.*s: %s", dns_type_name(type, tb, sizeof(tb)),
				     shown(name), name, dns_outcome_name(o)));
		return TEMP;
	}
	return NO_MATCH;
}

/* Counts a void lookup when n is 0; returns PERM past the limit. */
static enum match
note_void(struct ctx *c, size_t n)
{
	if (n > 0 || ++c->voids <= SPF_MAX_VOID)
		return NO_MATCH;
	set_why(c, xasprintf("more than %d void lookups", SPF_MAX_VOID));
	return PERM;
}

/* Looks up the client family's addresses of name and compares them with bits. */
static enum match
match_addresses(struct ctx *c, const char *name, int bits, bool count_void)
{
	char *const *rec;
	size_t n;
	unsigned char a[16];
	enum match m = lookup(c, name, c->v4 ? DNS_T_A : DNS_T_AAAA, &rec, &n);

	if (m != NO_MATCH)
		return m;
	if (count_void && (m = note_void(c, n)) != NO_MATCH)
		return m;
	for (size_t i = 0; i < n; i++) {
		memset(a, 0, sizeof(a));
		if (inet_pton(c->v4 ? AF_INET : AF_INET6, rec[i], a) == 1 &&
		    spf_ip_match(a, c->ip, bits))
			return MATCH;
	}
	return NO_MATCH;
}

/* The mx mechanism: the MX targets' addresses. */
static enum match
match_mx(struct ctx *c, const char *name, int bits)
{
	char *const *rec;
	size_t n;
	enum match m = lookup(c, name, DNS_T_MX, &rec, &n), seen = NO_MATCH;

	if (m != NO_MATCH || (m = note_void(c, n)) != NO_MATCH)
		return m;
	if (n > SPF_MAX_MX_PTR) {
		set_why(c, xasprintf("%.*s has more than %d MX records", shown(name), name,
				     SPF_MAX_MX_PTR));
		return PERM;
	}
	for (size_t i = 0; i < n; i++) {
		const char *target = spf_mx_target(rec[i]);

		if (strcmp(target, ".") == 0)
			continue; /* null MX */
		m = match_addresses(c, target, bits, false);
		if (m == MATCH)
			return MATCH;
		if (m == TEMP)
			seen = TEMP;
	}
	return seen;
}

/* Tells whether name equals target or is a subdomain of it (both canonical). */
static bool
within(const char *name, const char *target)
{
	size_t n = strlen(name), t = strlen(target);

	return strcasecmp(name, target) == 0 ||
	       (n > t && name[n - t - 1] == '.' && strcasecmp(name + n - t, target) == 0);
}

/* The ptr mechanism: a validated PTR name within target. */
static enum match
match_ptr(struct ctx *c, const char *target)
{
	char *rev = spf_reverse_name(c->ip, c->v4), *const * rec;
	size_t n;
	enum match m = lookup(c, rev, DNS_T_PTR, &rec, &n), seen = NO_MATCH;

	free(rev);
	if (m != NO_MATCH || (m = note_void(c, n)) != NO_MATCH)
		return m;
	for (size_t i = 0; i < n && i < SPF_MAX_MX_PTR; i++) {
		if (!within(rec[i], target))
			continue;
		m = match_addresses(c, rec[i], c->v4 ? 32 : 128, false);
		if (m == MATCH)
			return MATCH;
		if (m == TEMP)
			seen = TEMP;
	}
	return seen;
}

static enum spf_result check_host(struct ctx *c, const char *domain, char **term);

/* Evaluates an include or redirect target; *r is its result. */
static enum match
recurse(struct ctx *c, const char *spec, const char *domain, const char *text, enum spf_result *r,
	char **sub)
{
	char *exp = spf_expand(spec, c->q, domain, false), *target;

	*r = SPF_PERMERROR;
	*sub = NULL;
	if (exp == NULL) {
		set_why(c, xasprintf("%s: bad macro", text));
		return PERM;
	}
	target = dns_name_canon(exp);
	free(exp);
	if (c->nest >= SPF_MAX_NEST) {
		free(target);
		set_why(c, xasprintf("%s: too deep", text));
		return PERM;
	}
	c->nest++;
	*r = check_host(c, target, sub);
	c->nest--;
	if (*r == SPF_NONE) {
		set_why(c, xasprintf("%s: %.*s has no SPF record", text, shown(target), target));
		*r = SPF_PERMERROR;
	}
	free(target);
	return *r == SPF_TEMPERROR ? TEMP : *r == SPF_PERMERROR ? PERM : NO_MATCH;
}

/* Evaluates one mechanism of domain's record. */
static enum match
match_term(struct ctx *c, const struct spf_term *t, const char *domain, char **sub)
{
	enum spf_result r;
	enum match m;
	char *exp = NULL, *target;

	switch (t->mech) {
	case SPF_M_ALL:
		return MATCH;
	case SPF_M_IP4:
		return c->v4 && spf_ip_match(t->addr, c->ip, t->cidr4) ? MATCH : NO_MATCH;
	case SPF_M_IP6:
		return !c->v4 && spf_ip_match(t->addr, c->ip, t->cidr6) ? MATCH : NO_MATCH;
	case SPF_M_INCLUDE:
		if (!count_lookup(c))
			return PERM;
		m = recurse(c, t->domain, domain, t->text, &r, sub);
		if (m == NO_MATCH && r == SPF_PASS)
			return MATCH;
		free(*sub);
		*sub = NULL;
		return m;
	default:
		break;
	}
	if (!count_lookup(c))
		return PERM;
	if (t->domain != NULL && (exp = spf_expand(t->domain, c->q, domain, false)) == NULL) {
		set_why(c, xasprintf("%s: bad macro", t->text));
		return PERM;
	}
	target = dns_name_canon(exp != NULL ? exp : domain);
	free(exp);
	if (!valid_name(target)) {
		free(target);
		return note_void(c, 0);
	}
	switch (t->mech) {
	case SPF_M_A:
		m = match_addresses(c, target, c->v4 ? t->cidr4 : t->cidr6, true);
		break;
	case SPF_M_MX:
		m = match_mx(c, target, c->v4 ? t->cidr4 : t->cidr6);
		break;
	case SPF_M_PTR:
		m = match_ptr(c, target);
		break;
	default: { /* exists: an A lookup, whatever the client's family */
		char *const *rec;
		size_t n;

		m = lookup(c, target, DNS_T_A, &rec, &n);
		if (m == NO_MATCH && (m = note_void(c, n)) == NO_MATCH && n > 0)
			m = MATCH;
		break;
	}
	}
	free(target);
	return m;
}

/* Joins a term and what it led to. */
static char *
chain(const char *text, char *sub)
{
	char *s = sub != NULL ? xasprintf("%s > %s", text, sub) : xstrdup(text);

	free(sub);
	return s;
}

/* check_host() for domain (canonical); *term gets the matched term chain. */
static enum spf_result
check_host(struct ctx *c, const char *domain, char **term)
{
	struct spf_record *rec;
	char *const *txt, *err, *sub = NULL;
	size_t n, nspf = 0;
	const char *text = NULL;
	enum spf_result r = SPF_NEUTRAL;
	enum match m;

	*term = NULL;
	if (!valid_name(domain)) {
		set_why(c, xasprintf("%s is not a valid domain", domain));
		return SPF_NONE;
	}
	if (lookup(c, domain, DNS_T_TXT, &txt, &n) == TEMP)
		return SPF_TEMPERROR;
	for (size_t i = 0; i < n; i++)
		if (spf_is_record(txt[i])) {
			nspf++;
			text = txt[i];
		}
	if (nspf == 0) {
		set_why(c, xasprintf("%.*s has no SPF record", shown(domain), domain));
		return SPF_NONE;
	}
	if (nspf > 1) {
		set_why(c, xasprintf("%.*s has %zu SPF records", shown(domain), domain, nspf));
		return SPF_PERMERROR;
	}
	if (spf_parse(text, &rec, &err) == -1) {
		set_why(c, xasprintf("%.*s: %s", shown(domain), domain, err));
		free(err);
		return SPF_PERMERROR;
	}
	for (size_t i = 0; i < rec->nterms; i++) {
		m = match_term(c, &rec->terms[i], domain, &sub);
		if (m == NO_MATCH)
			continue;
		if (m == MATCH) {
			*term = chain(rec->terms[i].text, sub);
			r = rec->terms[i].qual;
		} else {
			r = m == TEMP ? SPF_TEMPERROR : SPF_PERMERROR;
		}
		spf_record_free(rec);
		return r;
	}
	if (rec->redirect != NULL && !rec->has_all) {
		char *text_r = xasprintf("redirect=%s", rec->redirect);

		if (!count_lookup(c))
			r = SPF_PERMERROR;
		else if (recurse(c, rec->redirect, domain, text_r, &r, &sub) == NO_MATCH &&
			 sub != NULL)
			*term = chain(text_r, sub);
		else
			free(sub);
		free(text_r);
	}
	spf_record_free(rec);
	return r;
}

/* Evaluates check_host() for q. */
int
spf_check_host(const struct spf_dns *dns, const struct spf_query *q, struct spf_eval *out,
	       char **errstr)
{
	struct ctx c = {.dns = dns, .q = q};
	char *domain;

	memset(out, 0, sizeof(*out));
	if (!spf_ip_parse(q->ip, c.ip, &c.v4)) {
		*errstr = xasprintf("not an IP address: %s", q->ip != NULL ? q->ip : "(null)");
		return -1;
	}
	if (q->domain == NULL) {
		*errstr = xstrdup("no domain to check");
		return -1;
	}
	domain = dns_name_canon(q->domain);
	out->result = check_host(&c, domain, &out->term);
	free(domain);
	if (out->result == SPF_NONE || out->result == SPF_TEMPERROR ||
	    out->result == SPF_PERMERROR) {
		out->why = c.why;
		free(out->term);
		out->term = NULL;
	} else {
		free(c.why);
	}
	return 0;
}

/* Frees an evaluation's strings. */
void
spf_eval_clear(struct spf_eval *e)
{
	free(e->term);
	free(e->why);
	e->term = e->why = NULL;
}
