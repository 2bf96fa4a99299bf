/* SPF presence, DMARC presence and DKIM keys: the rules that need no SPF/DMARC evaluation. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dmarc.h"
#include "rule_int.h"
#include "spf.h"
#include "xmalloc.h"

/* The lookup accounting of the SPF tree at a name: spf.syntax for a permerror anywhere in
 * it, spf.too-many-lookups, spf.too-many-void-lookups. Unknown parts fire nothing. */
static void
spf_tree(struct rule_ctx *c, const struct spf_dns *dns, const struct snap_set *txt)
{
	struct spf_count n;
	struct finding *f = NULL;

	spf_count(dns, txt->name, &n);
	switch (n.status) {
	case SPF_COUNT_PERMERROR:
		f = rule_add(c, "spf.syntax", txt->name,
			     "the SPF of %s is a permanent error (%s): its mail fails SPF "
			     "everywhere",
			     txt->name, n.why);
		break;
	case SPF_COUNT_TOO_MANY:
		f = rule_add(c, "spf.too-many-lookups", txt->name,
			     "the SPF of %s needs too many DNS lookups (%s): receivers that "
			     "evaluate that far stop with a permanent error and the mail fails SPF",
			     txt->name, n.why);
		break;
	case SPF_COUNT_TOO_MANY_VOID:
		f = rule_add(c, "spf.too-many-void-lookups", txt->name,
			     "the SPF of %s names too many hosts that do not exist (%s): "
			     "receivers that evaluate that far stop with a permanent error and "
			     "the mail fails SPF",
			     txt->name, n.why);
		break;
	default:
		break; /* ok, none (spf.missing) or unknown */
	}
	if (f != NULL)
		rule_evidence(f, txt);
	spf_count_clear(&n);
}

/* spf.sender-not-authorized: each sending IP must get "pass" from the domain's SPF. A
 * permanent error has its own rule and a temporary one (unknown data) fires nothing. */
static void
spf_senders(struct rule_ctx *c, const struct spf_dns *dns, const struct snap_set *txt)
{
	for (size_t i = 0; i < c->d->nsending_ips; i++) {
		const char *ip = c->d->sending_ips[i];
		struct spf_query q = {.ip = ip, .domain = c->d->name, .now = c->now};
		struct spf_eval e;
		struct finding *f;
		char *err = NULL;

		if (spf_check_host(dns, &q, &e, &err) != 0) {
			free(err);
			continue;
		}
		if (e.result == SPF_FAIL || e.result == SPF_SOFTFAIL || e.result == SPF_NEUTRAL) {
			f = rule_add(c, "spf.sender-not-authorized", ip,
				     "sending IP %s gets \"%s\" from the SPF of %s (%s%s): "
				     "receivers junk or reject the mail it sends as %s",
				     ip, spf_result_name(e.result), c->d->name,
				     e.term ? "matched " : "no term matches it",
				     e.term ? e.term : "", c->d->name);
			rule_evidence(f, txt);
		}
		spf_eval_clear(&e);
	}
}

/* SPF at the apex: present, single, parsing, within its limits, not passing everyone, and
 * authorising the sending IPs. */
static void
rule_spf(struct rule_ctx *c)
{
	const struct snap_set *txt = rule_known(c->cur, c->d->name, DNS_T_TXT);
	const char *spf = NULL;
	struct spf_record *rec;
	struct spf_dns dns;
	size_t count = 0;
	struct finding *f;
	char *err = NULL;

	if (txt == NULL)
		return;
	for (size_t i = 0; i < txt->nrecords; i++) {
		if (spf_is_record(txt->records[i])) {
			count++;
			spf = txt->records[i];
		}
	}
	if (count == 0) {
		f = rule_add(c, "spf.missing", txt->name,
			     "%s has no SPF record: receivers cannot tell its mail from forgeries",
			     txt->name);
		rule_evidence(f, txt);
		return;
	}
	if (count > 1) {
		f = rule_add(c, "spf.multiple", txt->name,
			     "%s has %zu SPF records: SPF is a permanent error and its mail fails "
			     "SPF everywhere",
			     txt->name, count);
		rule_evidence(f, txt);
		return;
	}
	if (spf_parse(spf, &rec, &err) != 0) {
		f = rule_add(c, "spf.syntax", txt->name,
			     "the SPF record of %s does not parse (%s): its mail fails SPF "
			     "everywhere",
			     txt->name, err);
		rule_evidence(f, txt);
		free(err);
		return;
	}
	for (size_t i = 0; i < rec->nterms; i++) {
		const struct spf_term *t = &rec->terms[i];

		if (t->mech == SPF_M_ALL && t->qual == SPF_PASS) {
			f = rule_add(c, "spf.pass-all", txt->name,
				     "the SPF record of %s ends in \"%s\": it authorises every "
				     "server on the Internet to send as %s",
				     txt->name, t->text, c->d->name);
			rule_evidence(f, txt);
			break;
		}
	}
	spf_record_free(rec);
	spf_dns_from_snap(&dns, c->cur);
	spf_tree(c, &dns, txt);
	spf_senders(c, &dns, txt);
}

/* The SPF tree of the MAIL FROM name (its presence is mailfrom.spf-missing's). */
static void
rule_spf_mail_from(struct rule_ctx *c)
{
	const struct snap_set *txt;
	struct spf_dns dns;

	if (!c->d->has_ses || c->d->ses.mail_from == NULL ||
	    strcmp(c->d->ses.mail_from, c->d->name) == 0 ||
	    (txt = rule_known(c->cur, c->d->ses.mail_from, DNS_T_TXT)) == NULL ||
	    spf_count_records(txt->records, txt->nrecords) != 1)
		return;
	spf_dns_from_snap(&dns, c->cur);
	spf_tree(c, &dns, txt);
}

/* For a domain below its organisational domain: the org's _dmarc set when it is known and
 * holds exactly one DMARC record (receivers then apply its policy, RFC 7489 §6.6.3), or NULL
 * with *unknown telling whether it could not be read. */
static const struct snap_set *
org_dmarc(struct rule_ctx *c, bool *unknown)
{
	char *org = dmarc_org_domain(c->d->name), *name;
	const struct snap_set *set = NULL;
	size_t first;

	*unknown = false;
	if (org == NULL || strcmp(org, c->d->name) == 0) {
		free(org);
		return NULL;
	}
	name = xasprintf("_dmarc.%s", org);
	set = rule_known(c->cur, name, DNS_T_TXT);
	*unknown = set == NULL;
	if (set != NULL && dmarc_select(set->records, set->nrecords, &first) != 1)
		set = NULL;
	free(name);
	free(org);
	return set;
}

/* DMARC at _dmarc.DOMAIN: present (here or at the organisational domain), one record,
 * valid. */
static void
rule_dmarc(struct rule_ctx *c)
{
	char *name = xasprintf("_dmarc.%s", c->d->name);
	const struct snap_set *txt = rule_known(c->cur, name, DNS_T_TXT), *org;
	struct dmarc rec;
	char *err = NULL;
	size_t first = 0, count;
	struct finding *f;
	bool unknown;

	free(name);
	if (txt == NULL)
		return;
	count = dmarc_select(txt->records, txt->nrecords, &first);
	if (count == 0) {
		if ((org = org_dmarc(c, &unknown)) != NULL || unknown)
			return; /* the organisational domain's policy applies, or we cannot tell */
		f = rule_add(c, "dmarc.missing", txt->name,
			     "%s has no DMARC record: receivers apply no policy to mail that fails "
			     "SPF and DKIM",
			     c->d->name);
		rule_evidence(f, txt);
		{
			char *o = dmarc_org_domain(c->d->name), *oname;

			if (o != NULL && strcmp(o, c->d->name) != 0) {
				oname = xasprintf("_dmarc.%s", o);
				rule_evidence(f, rule_known(c->cur, oname, DNS_T_TXT));
				free(oname);
			}
			free(o);
		}
	} else if (count > 1) {
		f = rule_add(c, "dmarc.invalid", txt->name,
			     "%s has %zu DMARC records: receivers ignore them all and apply no "
			     "policy",
			     txt->name, count);
		rule_evidence(f, txt);
	} else if (dmarc_parse(txt->records[first], &rec, &err) != 0) {
		f = rule_add(
		    c, "dmarc.invalid", txt->name,
		    "the DMARC record of %s does not parse (%s): receivers apply no policy",
		    c->d->name, err);
		rule_evidence(f, txt);
		free(err);
	} else {
		if (rec.fallback != NULL) {
			f = rule_add(c, "dmarc.invalid", txt->name,
				     "the DMARC record of %s is broken: %s", c->d->name,
				     rec.fallback);
			rule_evidence(f, txt);
		}
		dmarc_clear(&rec);
	}
}

/* Reads the one valid DMARC record of a known set into *out; false when there is none. */
static bool
parse_one(const struct snap_set *txt, struct dmarc *out)
{
	size_t first = 0;
	char *err = NULL;

	if (txt == NULL || dmarc_select(txt->records, txt->nrecords, &first) != 1)
		return false;
	if (dmarc_parse(txt->records[first], out, &err) != 0) {
		free(err);
		return false;
	}
	return true;
}

/* dmarc.weakened: the policy of the previous state is stronger than the current one. */
void
rule_dmarc_weakened(struct rule_ctx *c)
{
	char *name = xasprintf("_dmarc.%s", c->d->name), *why = NULL;
	const struct snap_set *b = rule_known(c->prev, name, DNS_T_TXT);
	const struct snap_set *a = rule_known(c->cur, name, DNS_T_TXT);
	struct dmarc before, after;
	struct finding *f;

	free(name);
	if (!parse_one(b, &before))
		return;
	if (parse_one(a, &after)) {
		if (dmarc_weaker(&before, &after, &why)) {
			f = rule_add(c, "dmarc.weakened", a->name,
				     "the DMARC policy of %s was weakened: %s", c->d->name, why);
			rule_evidence_as(f, b, "before: ");
			rule_evidence_as(f, a, "after: ");
			free(why);
		}
		dmarc_clear(&after);
	}
	dmarc_clear(&before);
}

/* Tells whether a TXT record holds a non-empty DKIM key (p=...). */
static bool
has_key(const char *txt)
{
	for (const char *p = txt; (p = strstr(p, "p=")) != NULL; p += 2) {
		if (p == txt || p[-1] == ';' || p[-1] == ' ') {
			p += 2;
			while (*p == ' ')
				p++;
			return *p != '\0' && *p != ';';
		}
	}
	return false;
}

/* One DKIM name: a selector (target NULL) or an SES token that must alias target. */
static void
check_dkim(struct rule_ctx *c, const char *label, const char *target)
{
	char *name = xasprintf("%s._domainkey.%s", label, c->d->name);
	const struct snap_set *txt = rule_known(c->cur, name, DNS_T_TXT);
	bool key = false, aliased = target == NULL;
	struct finding *f;

	if (txt != NULL) {
		for (size_t i = 0; i < txt->nrecords; i++)
			key |= has_key(txt->records[i]);
		if (target != NULL && txt->ncnames > 0)
			aliased = strcmp(txt->cnames[0], target) == 0;
		if (!key || !aliased) {
			f = rule_add(c, "dkim.missing", txt->name,
				     target
					 ? "SES DKIM name %s no longer points at %s: mail signed "
					   "with this token fails DKIM"
					 : "DKIM selector %s no longer holds a key: mail signed "
					   "with it fails DKIM%s",
				     txt->name, target ? target : "");
			rule_evidence(f, txt);
		}
	}
	free(name);
}

/* The SPF, DMARC and DKIM rules. */
void
rule_auth(struct rule_ctx *c)
{
	rule_spf(c);
	rule_spf_mail_from(c);
	rule_dmarc(c);
	for (size_t i = 0; i < c->d->ndkim_selectors; i++)
		check_dkim(c, c->d->dkim_selectors[i], NULL);
	for (size_t i = 0; c->d->has_ses && i < c->d->ses.ndkim_tokens; i++) {
		char *target = xasprintf("%s.dkim.amazonses.com.", c->d->ses.dkim_tokens[i]);

		check_dkim(c, c->d->ses.dkim_tokens[i], target);
		free(target);
	}
}
