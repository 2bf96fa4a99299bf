#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "rule_int.h"
#include "xmalloc.h"

static const struct rule_info catalogue[] = {
    {"mx.mixed-providers", SEV_CRITICAL, "a mail name's MX set points at two mail systems", false},
    {"mx.ses-feedback-on-mail-name", SEV_CRITICAL, "SES feedback host as the MX of a mail name",
     false},
    {"mx.missing", SEV_CRITICAL, "a mail name has no MX", false},
    {"mx.null-mixed", SEV_CRITICAL, "null MX together with other MX records", false},
    {"mx.target-no-address", SEV_CRITICAL, "an MX target has no A and no AAAA", false},
    {"mx.target-cname", SEV_WARNING, "an MX target is an alias", false},
    {"mx.target-invalid", SEV_WARNING, "an MX target is an IP literal, special or private", false},
    {"mx.target-moved", SEV_WARNING, "the addresses of an MX target changed", true},
    {"mx.target-is-web-host", SEV_WARNING, "an MX target is the name that serves the web site",
     false},
    {"mx.target-on-cdn", SEV_CRITICAL, "an MX target resolves into a CDN/WAF/proxy range", false},
    {"mailfrom.mx-missing", SEV_CRITICAL, "the MAIL FROM name has no MX", false},
    {"mailfrom.mx-wrong", SEV_CRITICAL, "the MAIL FROM MX is not one SES feedback host", false},
    {"mailfrom.spf-missing", SEV_CRITICAL, "the MAIL FROM SPF does not include amazonses.com",
     false},
    {"mailfrom.receives-mail", SEV_CRITICAL, "the MAIL FROM name receives mail", false},
    {"mailfrom.not-subdomain", SEV_WARNING, "the MAIL FROM name is not a subdomain", false},
    {"ses.inbound-region-unknown", SEV_WARNING, "an inbound-smtp MX names an unknown region",
     false},
    {"spf.missing", SEV_WARNING, "no SPF record at a sending name", false},
    {"spf.multiple", SEV_CRITICAL, "more than one SPF record", false},
    {"spf.syntax", SEV_CRITICAL, "SPF does not parse", false},
    {"spf.too-many-lookups", SEV_CRITICAL, "more than 10 DNS-querying SPF terms", false},
    {"spf.too-many-void-lookups", SEV_CRITICAL, "more than 2 void SPF lookups", false},
    {"spf.pass-all", SEV_CRITICAL, "SPF passes everyone (+all)", false},
    {"spf.sender-not-authorized", SEV_CRITICAL, "a sending IP does not pass SPF", false},
    {"dmarc.missing", SEV_WARNING, "no DMARC record", false},
    {"dmarc.invalid", SEV_WARNING, "DMARC does not parse, or more than one record", false},
    {"dmarc.weakened", SEV_CRITICAL, "the DMARC policy was lowered", true},
    {"dkim.missing", SEV_CRITICAL, "a DKIM selector or SES token no longer resolves", false},
    {"ptr.missing", SEV_CRITICAL, "a sending IP has no PTR", false},
    {"ptr.not-confirmed", SEV_CRITICAL, "the PTR name does not resolve back to the IP", false},
    {"ptr.generic", SEV_WARNING, "the PTR is a provider default name", false},
    {"ptr.changed", SEV_WARNING, "the PTR of a sending IP changed", true},
    {"dns.lookup-failed", SEV_WARNING, "a watched set stayed unknown", false},
    {"dns.changed", SEV_INFO, "a watched record set changed", true},
    {"resolver.unhealthy", SEV_CRITICAL, "most checks fail at once", false},
};

/* Returns a catalogue entry. */
const struct rule_info *
rule_lookup(const char *id)
{
	for (size_t i = 0; i < sizeof(catalogue) / sizeof(catalogue[0]); i++)
		if (strcmp(catalogue[i].id, id) == 0)
			return &catalogue[i];
	return NULL;
}

/* Returns the catalogue. */
const struct rule_info *
rule_catalogue(size_t *n)
{
	*n = sizeof(catalogue) / sizeof(catalogue[0]);
	return catalogue;
}

/* Returns a set whose state is known (this check or carried), or NULL. */
const struct snap_set *
rule_known(const struct snap *s, const char *name, uint16_t type)
{
	const struct snap_set *set = s ? snap_get(s, name, type) : NULL;

	return set && dns_outcome_is_known(set->known) ? set : NULL;
}

/* Tells whether a known set has no records (NODATA or NXDOMAIN). */
bool
rule_empty(const struct snap_set *set)
{
	return set->known == DNS_NODATA || set->known == DNS_NXDOMAIN;
}

/* Appends the evidence lines of a set: one per record, or one with its outcome. */
void
rule_evidence(struct finding *f, const struct snap_set *set)
{
	rule_evidence_as(f, set, "");
}

/* As rule_evidence, each line starting with prefix. */
void
rule_evidence_as(struct finding *f, const struct snap_set *set, const char *prefix)
{
	char tb[16];

	dns_type_name(set->type, tb, sizeof(tb));
	if (set->nrecords == 0) {
		f->evidence = xreallocarray(f->evidence, f->nevidence + 1, sizeof(*f->evidence));
		f->evidence[f->nevidence++] =
		    xasprintf("%s%s %s %s", prefix, set->name, tb, dns_outcome_name(set->known));
	}
	for (size_t i = 0; i < set->nrecords; i++) {
		f->evidence = xreallocarray(f->evidence, f->nevidence + 1, sizeof(*f->evidence));
		f->evidence[f->nevidence++] =
		    xasprintf("%s%s %s %s", prefix, set->name, tb, set->records[i]);
	}
}

/* Adds a finding of rule about subject; returns it so evidence can be added. */
struct finding *
rule_add(struct rule_ctx *c, const char *rule, const char *subject, const char *fmt, ...)
{
	const struct rule_info *info = rule_lookup(rule);
	struct finding *f;
	va_list ap;

	c->out->v = xreallocarray(c->out->v, c->out->n + 1, sizeof(*c->out->v));
	f = &c->out->v[c->out->n++];
	memset(f, 0, sizeof(*f));
	f->rule = info->id;
	f->severity = info->severity;
	f->domain = xstrdup(c->d->name);
	f->subject = xstrdup(subject);
	va_start(ap, fmt);
	f->message = xvasprintf(fmt, ap);
	va_end(ap);
	return f;
}

/* Orders findings by rule, then subject. */
static int
finding_cmp(const void *a, const void *b)
{
	const struct finding *x = a, *y = b;
	int c = strcmp(x->rule, y->rule);

	return c ? c : strcmp(x->subject, y->subject);
}

/* Runs the state rules (those that need no previous snapshot). */
static void
eval_state(struct rule_ctx *c)
{
	rule_mx(c);
	rule_mailfrom(c);
	rule_auth(c);
	rule_ptr(c);
	rule_prov(c);
	rule_lookup_failed(c);
}

/* Frees one finding's contents. */
static void
finding_clear(struct finding *f)
{
	free(f->domain);
	free(f->subject);
	free(f->message);
	for (size_t i = 0; i < f->nevidence; i++)
		free(f->evidence[i]);
	free(f->evidence);
}

/* Evaluates every rule. */
void
rule_eval(const struct rule_env *env, const struct cfg_domain *d, const struct snap *prev,
	  const struct snap *cur, struct findings *out)
{
	struct findings before = {0};
	const struct prov *p = env ? env->prov : NULL;
	unsigned confirm = env && env->confirm_after ? env->confirm_after : 1;
	long long now = env ? env->now : 0;
	struct rule_ctx c = {.prov = p,
			     .confirm_after = confirm,
			     .now = now,
			     .d = d,
			     .prev = prev,
			     .cur = cur,
			     .out = out};
	size_t start = out->n;

	eval_state(&c);
	/* With nothing changed, the previous state has the same findings: none is new, and
	 * there is no need to evaluate the previous state again. */
	if (prev != NULL && snap_same_known(prev, cur)) {
		for (size_t i = start; i < out->n; i++)
			out->v[i].regression = false;
		if (out->n > start)
			qsort(out->v + start, out->n - start, sizeof(*out->v), finding_cmp);
		return;
	}
	if (prev != NULL) {
		struct rule_ctx pc = {.prov = p,
				      .confirm_after = confirm,
				      .now = now,
				      .d = d,
				      .prev = NULL,
				      .cur = prev,
				      .out = &before};

		eval_state(&pc);
	}
	/* A state finding is a regression when the previous state did not have it. */
	for (size_t i = start; i < out->n; i++) {
		out->v[i].regression = true;
		for (size_t j = 0; j < before.n; j++)
			if (strcmp(before.v[j].rule, out->v[i].rule) == 0 &&
			    strcmp(before.v[j].subject, out->v[i].subject) == 0)
				out->v[i].regression = false;
	}
	/* Change rules compare the two states: whatever they find is new. */
	if (prev != NULL) {
		size_t mid = out->n;

		rule_changes(&c);
		for (size_t i = mid; i < out->n; i++)
			out->v[i].regression = true;
	}
	for (size_t i = 0; i < before.n; i++)
		finding_clear(&before.v[i]);
	free(before.v);
	if (out->n > start)
		qsort(out->v + start, out->n - start, sizeof(*out->v), finding_cmp);
}

/* Frees the findings. */
void
findings_clear(struct findings *out)
{
	for (size_t i = 0; i < out->n; i++)
		finding_clear(&out->v[i]);
	free(out->v);
	out->v = NULL;
	out->n = 0;
}

/* Builds the JSON line of a finding. */
json_t *
finding_json(const struct finding *f)
{
	json_t *ev = json_array();

	for (size_t i = 0; i < f->nevidence; i++)
		json_array_append_new(ev, json_string(f->evidence[i]));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:o}", "type", "finding", "domain",
			 f->domain, "rule", f->rule, "severity", severity_name(f->severity),
			 "subject", f->subject, "regression", f->regression, "message", f->message,
			 "evidence", ev);
}
