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

/* Canonicalises a DNS name (lower case, no trailing dot) into a new string in the
 * configuration's arena, or returns NULL and why not: labels are 1..63 of a-z, 0-9, '-' and
 * '_', not starting or ending with '-'. */
static char *
cfg_name_canon(struct ctx *x, const char *s, size_t minlabels, const char **why)
{
	size_t len = strlen(s), nlabels = 0, start = 0;
	char out[254];

	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0) {
		*why = "empty name";
		return NULL;
	}
	if (len > 253) {
		*why = "longer than 253 characters";
		return NULL;
	}
	memcpy(out, s, len);
	out[len] = '\0';
	for (size_t i = 0; i <= len; i++) {
		char ch = out[i];

		if (ch >= 'A' && ch <= 'Z')
			out[i] = ch = (char)(ch - 'A' + 'a');
		if (ch != '.' && ch != '\0') {
			if (!cfg_lower(ch) && !cfg_digit(ch) && ch != '-' && ch != '_') {
				*why = "only a-z, 0-9, '-' and '_' may be used";
				return NULL;
			}
			continue;
		}
		if (i == start) {
			*why = "empty label";
			return NULL;
		}
		if (i - start > 63) {
			*why = "a label is longer than 63 characters";
			return NULL;
		}
		if (out[start] == '-' || out[i - 1] == '-') {
			*why = "a label starts or ends with '-'";
			return NULL;
		}
		nlabels++;
		start = i + 1;
	}
	if (nlabels < minlabels) {
		*why = "needs at least two labels";
		return NULL;
	}
	return cfg_arena_strndup(x->mem, out, len);
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
	unsigned char addr[16];
	char text[INET6_ADDRSTRLEN];
	int family = AF_INET;

	if (inet_pton(AF_INET, n->value, addr) != 1) {
		family = AF_INET6;
		if (inet_pton(AF_INET6, n->value, addr) != 1) {
			cfg_err(x, n, "bad sending IP \"%s\": expected an IPv4 or IPv6 address",
				n->value);
			return NULL;
		}
	}
	if (inet_ntop(family, addr, text, sizeof(text)) == NULL)
		fatal("inet_ntop");
	return cfg_arena_strdup(x->mem, text);
}

/* Checks an SES Easy DKIM token: 32 characters of a-z and 2-7. */
static char *
cfg_conv_token(struct ctx *x, const struct node *n)
{
	const char *s = n->value;

	if (strlen(s) != 32 || strspn(s, "abcdefghijklmnopqrstuvwxyz234567") != 32) {
		cfg_err(x, n,
			"bad DKIM token \"%s\": expected 32 characters of a-z and 2-7 (SES Easy "
			"DKIM)",
			s);
		return NULL;
	}
	return cfg_arena_strdup(x->mem, s);
}

/* True for AWS region names: ^[a-z]{2}(-gov)?-[a-z]+-[0-9]+$. */
static bool
cfg_region_ok(const char *s)
{
	if (!cfg_lower(s[0]) || !cfg_lower(s[1]))
		return false;
	for (size_t t = 0; t < 2; t++) {
		const char *p = s + 2;
		size_t n;

		if (t == 1) {
			if (strncmp(p, "-gov", 4) != 0)
				break;
			p += 4;
		}
		if (*p++ != '-')
			continue;
		for (n = 0; cfg_lower(*p); p++)
			n++;
		if (n == 0 || *p++ != '-')
			continue;
		for (n = 0; cfg_digit(*p); p++)
			n++;
		if (n > 0 && *p == '\0')
			return true;
	}
	return false;
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
		if (cfg_region_ok(s))
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
