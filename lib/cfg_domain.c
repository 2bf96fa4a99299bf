/* The cfg module's domains: section: each domain's names, labels, SES settings, sending IPs
 * and DKIM selectors, checked and canonicalised, and no domain defined twice. */
#include "config.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_int.h"
#include "log.h"
#include "xmalloc.h"

/* Canonicalises a DNS name into a new string in the configuration's arena, or returns NULL
 * and why not (see cfg_name_check). */
static char *
cfg_name_canon(struct ctx *x, const char *s, size_t minlabels, const char **why)
{
	char out[CFG_NAME_MAX + 1];

	return cfg_name_check(s, minlabels, out, why) ? cfg_arena_strdup(x->mem, out) : NULL;
}

/* Canonicalises a domain name. */
static char *
cfg_conv_domain(struct ctx *x, const struct node *n)
{
	const char *why;
	char *name = cfg_name_canon(x, n->value, 2, &why);

	if (name == NULL)
		cfg_err(x, n, "bad domain name \"%s\": %s", n->value, why);
	return name;
}

/* Canonicalises a name that receives mail. */
static char *
cfg_conv_mail_name(struct ctx *x, const struct node *n)
{
	const char *why;
	char *name = cfg_name_canon(x, n->value, 2, &why);

	if (name == NULL)
		cfg_err(x, n, "bad mail name \"%s\": %s", n->value, why);
	return name;
}

/* Canonicalises a DKIM selector ("s1", "google", "sel.sub"). */
static char *
cfg_conv_selector(struct ctx *x, const struct node *n)
{
	const char *why;
	char *name = cfg_name_canon(x, n->value, 1, &why);

	if (name == NULL)
		cfg_err(x, n, "bad DKIM selector \"%s\": %s", n->value, why);
	return name;
}

/* Canonicalises an IPv4 or IPv6 address into inet_ntop's form. */
static char *
cfg_conv_ip(struct ctx *x, const struct node *n)
{
	char text[CFG_IP_MAX];

	if (!cfg_ip_check(n->value, text)) {
		cfg_err(x, n, "bad sending IP \"%s\": expected an IPv4 or IPv6 address", n->value);
		return NULL;
	}
	return cfg_arena_strdup(x->mem, text);
}

/* Checks an SES Easy DKIM token: 32 characters of a-z and 2-7. */
static char *
cfg_conv_token(struct ctx *x, const struct node *n)
{
	const char *s = n->value;

	if (!cfg_token_check(s)) {
		cfg_err(x, n,
			"bad DKIM token \"%s\": expected 32 characters of a-z and 2-7 (SES Easy "
			"DKIM)",
			s);
		return NULL;
	}
	return cfg_arena_strdup(x->mem, s);
}

/* Reads a domain's ses: mapping. */
static void
cfg_ses(struct ctx *x, const struct node *n, struct cfg_domain *d)
{
	static const char *const keys[] = {"region", "mail_from", "dkim_tokens", NULL};
	enum { K_REGION, K_MAIL_FROM, K_TOKENS };
	struct fields f;
	const char *s;

	if (!cfg_fields(x, n, "ses", "in ses", keys, &f))
		return;
	d->has_ses = true;
	if (f.val[K_REGION] != NULL && (s = cfg_scalar(x, f.val[K_REGION], "region")) != NULL) {
		if (cfg_region_check(s))
			d->ses.region = cfg_arena_strdup(x->mem, s);
		else
			cfg_err(x, f.val[K_REGION],
				"bad SES region \"%s\": expected e.g. us-east-1 or eu-west-2", s);
	}
	if (f.val[K_MAIL_FROM] != NULL && cfg_scalar(x, f.val[K_MAIL_FROM], "mail_from") != NULL) {
		const char *why;

		d->ses.mail_from = cfg_name_canon(x, f.val[K_MAIL_FROM]->value, 2, &why);
		if (d->ses.mail_from == NULL)
			cfg_err(x, f.val[K_MAIL_FROM], "bad mail_from \"%s\": %s",
				f.val[K_MAIL_FROM]->value, why);
	}
	if (f.val[K_TOKENS] != NULL)
		cfg_strlist(x, f.val[K_TOKENS], "dkim_tokens", cfg_conv_token, &d->ses.dkim_tokens,
			    &d->ses.ndkim_tokens);
}

/* Appends a domain to the configuration. */
static void
cfg_add_domain(struct ctx *x, const struct cfg_domain *d)
{
	struct cfg *c = x->c;

	if (c->ndomains == x->domains_cap) {
		x->domains_cap = x->domains_cap == 0 ? 16 : 2 * x->domains_cap;
		c->domains = xreallocarray(c->domains, x->domains_cap, sizeof(*c->domains));
	}
	c->domains[c->ndomains++] = *d;
}

/* Reads one entry of domains:. */
void
cfg_domain(struct ctx *x, const struct node *n)
{
	static const char *const keys[] = {"name",	  "labels",	    "mail_names", "ses",
					   "sending_ips", "dkim_selectors", "interval",	  NULL};
	enum { K_NAME, K_LABELS, K_MAIL_NAMES, K_SES, K_IPS, K_SELECTORS, K_INTERVAL };
	struct cfg_domain d;
	struct fields f;

	if (n->type != NODE_MAP) {
		cfg_err(x, n, "domain: expected a mapping such as {name: example.com}");
		return;
	}
	cfg_fields(x, n, "domain", "in a domain", keys, &f);
	memset(&d, 0, sizeof(d));
	d.loc = cfg_loc_of(x, n);
	if (f.val[K_NAME] == NULL)
		cfg_err(x, n, "domain without a name");
	else if (cfg_scalar(x, f.val[K_NAME], "name") != NULL)
		d.name = cfg_conv_domain(x, f.val[K_NAME]);
	if (f.val[K_LABELS] != NULL)
		cfg_labels(x, f.val[K_LABELS], "labels", &d.labels, &d.nlabels);
	if (f.val[K_MAIL_NAMES] != NULL) {
		cfg_strlist(x, f.val[K_MAIL_NAMES], "mail_names", cfg_conv_mail_name, &d.mail_names,
			    &d.nmail_names);
	} else if (d.name != NULL) {
		d.mail_names = cfg_arena_alloc(x->mem, sizeof(*d.mail_names));
		d.mail_names[0] = d.name;
		d.nmail_names = 1;
	}
	if (f.val[K_SES] != NULL)
		cfg_ses(x, f.val[K_SES], &d);
	if (f.val[K_IPS] != NULL)
		cfg_strlist(x, f.val[K_IPS], "sending_ips", cfg_conv_ip, &d.sending_ips,
			    &d.nsending_ips);
	if (f.val[K_SELECTORS] != NULL)
		cfg_strlist(x, f.val[K_SELECTORS], "dkim_selectors", cfg_conv_selector,
			    &d.dkim_selectors, &d.ndkim_selectors);
	if (f.val[K_INTERVAL] != NULL)
		cfg_duration_s(x, f.val[K_INTERVAL], "interval", MS_SECOND, 7 * MS_DAY, "1s to 7d",
			       &d.interval_s);
	cfg_add_domain(x, &d);
}

/* Reads domains:, a list of domains. */
void
cfg_domains(struct ctx *x, const struct node *n)
{
	if (!cfg_is_list(x, n, "domains"))
		return;
	for (const struct node *it = n->items; it != NULL; it = it->next)
		cfg_domain(x, it);
}

/* Forgets the domains after the first n; their strings stay in the arena. */
void
cfg_domains_truncate(struct ctx *x, size_t n)
{
	if (n < x->c->ndomains)
		x->c->ndomains = n;
}

/* Gives the domain list back the room it has beyond its last domain. */
void
cfg_domains_fit(struct ctx *x)
{
	struct cfg *c = x->c;

	if (c->ndomains == 0 || c->ndomains == x->domains_cap)
		return;
	c->domains = xreallocarray(c->domains, c->ndomains, sizeof(*c->domains));
	x->domains_cap = c->ndomains;
}

/* Hashes a name (FNV-1a), for finding duplicates. */
static size_t
cfg_name_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)h;
}

/* Reports each domain defined twice, with both places: every later definition, in file
 * order, against the first. */
void
cfg_check_duplicates(struct ctx *x)
{
	const struct cfg *c = x->c;
	size_t cap = 16, *first; /* open addressing: index + 1 of the first domain of a name */

	while (cap < 2 * c->ndomains)
		cap *= 2;
	first = xcalloc(cap, sizeof(*first));
	for (size_t i = 0; i < c->ndomains; i++) {
		const char *name = c->domains[i].name;
		const struct cfg_loc *a = &c->domains[i].loc, *b;
		size_t h;

		if (name == NULL)
			continue;
		for (h = cfg_name_hash(name) & (cap - 1); first[h] != 0; h = (h + 1) & (cap - 1)) {
			if (strcmp(c->domains[first[h] - 1].name, name) == 0)
				break;
		}
		if (first[h] == 0) {
			first[h] = i + 1;
			continue;
		}
		b = &c->domains[first[h] - 1].loc;
		cfg_err_at(x, a->file, a->line, a->col,
			   "duplicate domain \"%s\" (first defined at %s:%u:%u)", name, b->file,
			   b->line, b->col);
	}
	free(first);
}
