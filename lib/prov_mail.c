#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "prov_int.h"
#include "xmalloc.h"

/* One host name split into labels, pointing into a lower-cased copy. */
struct labels {
	char buf[256];
	const char *l[PROV_MAX_LABELS];
	size_t n;
};

/* Tells whether c is a lower-case ASCII letter. */
static bool
lower(char c)
{
	return c >= 'a' && c <= 'z';
}

/* Tells whether c is an ASCII digit. */
static bool
digit(char c)
{
	return c >= '0' && c <= '9';
}

/* True for AWS region names: ^[a-z]{2}(-gov)?-[a-z]+-[0-9]+$. */
static bool
region_ok(const char *s)
{
	size_t n;

	if (!lower(s[0]) || !lower(s[1]))
		return false;
	s += 2;
	if (strncmp(s, "-gov-", 5) == 0)
		s += 4;
	if (*s++ != '-')
		return false;
	for (n = 0; lower(*s); s++)
		n++;
	if (n == 0 || *s++ != '-')
		return false;
	for (n = 0; digit(*s); s++)
		n++;
	return n > 0 && *s == '\0';
}

/* Appends a copy of s to a list of strings. */
static void
push(char ***list, size_t *n, const char *s)
{
	*list = xreallocarray(*list, *n + 1, sizeof(**list));
	(*list)[(*n)++] = xstrdup(s);
}

/* Reads a ses-regions line. */
int
prov_parse_region(struct prov *p, char **f, size_t nf, char **why)
{
	if (nf != 2) {
		*why = xstrdup("expected \"receive REGION\" or \"send REGION\"");
		return -1;
	}
	if (!region_ok(f[1])) {
		*why = xasprintf("bad region \"%s\": expected e.g. us-east-1", f[1]);
		return -1;
	}
	if (strcmp(f[0], "receive") == 0)
		push(&p->recv_regions, &p->nrecv_regions, f[1]);
	else if (strcmp(f[0], "send") == 0)
		push(&p->send_regions, &p->nsend_regions, f[1]);
	else {
		*why = xasprintf("unknown kind \"%s\": expected receive or send", f[0]);
		return -1;
	}
	return 0;
}

/* Tells whether c may appear in a host name label of a pattern. */
static bool
label_char(char c)
{
	return lower(c) || digit(c) || c == '-' || c == '_';
}

/* Splits a pattern into its labels; false when it is not a pattern. */
static bool
pattern_labels(struct prov_mailpat *m, const char *s)
{
	const char *start = s;

	for (;;) {
		const char *dot = strchr(start, '.');
		size_t len = dot ? (size_t)(dot - start) : strlen(start);
		bool ok = len > 0 && len < 64;

		for (size_t i = 0; ok && i < len; i++)
			ok = label_char(start[i]);
		if (len == 1 && start[0] == '*')
			ok = true;
		if (!ok || m->nlabels == PROV_MAX_LABELS)
			return false;
		m->labels = xreallocarray(m->labels, m->nlabels + 1, sizeof(*m->labels));
		m->labels[m->nlabels++] = xstrndup(start, len);
		if (dot == NULL)
			return true;
		start = dot + 1;
	}
}

/* Frees one pattern. */
static void
mailpat_clear(struct prov_mailpat *m)
{
	for (size_t i = 0; i < m->nlabels; i++)
		free(m->labels[i]);
	free(m->labels);
	free(m->text);
	free(m->id);
	free(m->name);
}

/* Reads a mail-providers line. */
int
prov_parse_mail(struct prov *p, char **f, size_t nf, char **why)
{
	struct prov_mailpat m = {0};
	char low[256];
	size_t stars = 0;

	if (nf != 4) {
		*why = xstrdup("expected \"PATTERN KIND ID NAME\"");
		return -1;
	}
	if (strcmp(f[1], "ses-inbound") == 0)
		m.kind = PROV_SES_INBOUND;
	else if (strcmp(f[1], "ses-feedback") == 0)
		m.kind = PROV_SES_FEEDBACK;
	else if (strcmp(f[1], "provider") == 0)
		m.kind = PROV_NAMED;
	else {
		*why = xasprintf("unknown kind \"%s\": expected provider, ses-inbound or "
				 "ses-feedback",
				 f[1]);
		return -1;
	}
	m.exact = f[0][0] == '=';
	if (!prov_name_lower(f[0] + m.exact, low, sizeof(low)) || !pattern_labels(&m, low)) {
		*why = xasprintf("bad pattern \"%s\"", f[0]);
		mailpat_clear(&m);
		return -1;
	}
	for (size_t i = 0; i < m.nlabels; i++) {
		if (strcmp(m.labels[i], "*") == 0) {
			stars++;
			m.region = i;
		}
	}
	if (m.kind != PROV_NAMED && (stars != 1 || !m.exact)) {
		*why = xasprintf("%s pattern \"%s\" must start with '=' and have one '*' label for "
				 "the region",
				 f[1], f[0]);
		mailpat_clear(&m);
		return -1;
	}
	m.text = xstrdup(f[0]);
	m.id = xstrdup(f[2]);
	m.name = xstrdup(f[3]);
	p->mail = xreallocarray(p->mail, p->nmail + 1, sizeof(*p->mail));
	p->mail[p->nmail++] = m;
	return 0;
}

/* Frees what ses-regions and mail-providers added. */
void
prov_mail_free(struct prov *p)
{
	for (size_t i = 0; i < p->nrecv_regions; i++)
		free(p->recv_regions[i]);
	free(p->recv_regions);
	for (size_t i = 0; i < p->nsend_regions; i++)
		free(p->send_regions[i]);
	free(p->send_regions);
	for (size_t i = 0; i < p->nmail; i++)
		mailpat_clear(&p->mail[i]);
	free(p->mail);
}

/* Splits a host name into lower-case labels; false when it is not a name. */
static bool
split_labels(const char *host, struct labels *h)
{
	char *s = h->buf;

	h->n = 0;
	if (!prov_name_lower(host, h->buf, sizeof(h->buf)))
		return false;
	for (;;) {
		char *dot = strchr(s, '.');

		if (h->n == PROV_MAX_LABELS)
			return false;
		h->l[h->n++] = s;
		if (dot == NULL)
			return true;
		*dot = '\0';
		s = dot + 1;
	}
}

/* Tells whether pattern m matches the host labels h. */
static bool
mailpat_match(const struct prov_mailpat *m, const struct labels *h)
{
	if (h->n < m->nlabels || (m->exact && h->n != m->nlabels))
		return false;
	for (size_t i = 1; i <= m->nlabels; i++) {
		const char *pl = m->labels[m->nlabels - i], *hl = h->l[h->n - i];

		if (strcmp(pl, "*") == 0 ? *hl == '\0' : strcmp(pl, hl) != 0)
			return false;
	}
	return true;
}

/* Classifies a mail host. */
enum prov_kind
prov_mail_host(const struct prov *p, const char *hostname, struct prov_host *out)
{
	const struct prov_mailpat *best = NULL;
	struct labels h;

	memset(out, 0, sizeof(*out));
	out->kind = PROV_OWN;
	out->id = "own";
	out->name = "own server";
	if (!split_labels(hostname, &h))
		return PROV_OWN;
	for (size_t i = 0; i < p->nmail; i++) {
		if ((best == NULL || p->mail[i].nlabels > best->nlabels) &&
		    mailpat_match(&p->mail[i], &h))
			best = &p->mail[i];
	}
	if (best == NULL)
		return PROV_OWN;
	out->kind = best->kind;
	out->id = best->id;
	out->name = best->name;
	out->pattern = best->text;
	if (best->kind != PROV_NAMED) {
		const char *r = h.l[h.n - best->nlabels + best->region];

		if (strlen(r) < sizeof(out->region))
			strcpy(out->region, r);
	}
	return out->kind;
}

/* Tells whether region is in a list. */
static bool
listed(char *const *list, size_t n, const char *region)
{
	char low[PROV_REGION_MAX];

	if (!prov_name_lower(region, low, sizeof(low)))
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], low) == 0)
			return true;
	return false;
}

/* Tells whether SES receives mail in region. */
bool
prov_ses_inbound_region_known(const struct prov *p, const char *region)
{
	return listed(p->recv_regions, p->nrecv_regions, region);
}

/* Tells whether SES sends from region. */
bool
prov_ses_sending_region_known(const struct prov *p, const char *region)
{
	return listed(p->send_regions, p->nsend_regions, region);
}

/* Compares two organisational domains, ignoring case and a trailing dot. */
static bool
same_org(const char *x, const char *y)
{
	char a[256], b[256];

	return x != NULL && y != NULL && prov_name_lower(x, a, sizeof(a)) &&
	       prov_name_lower(y, b, sizeof(b)) && strcmp(a, b) == 0;
}

/* Decides whether two MX hosts are one mail system. */
enum prov_systems
prov_mail_systems(const struct prov *p, const char *a, const char *b, prov_orgdomain_fn *org,
		  void *arg)
{
	struct prov_host ha, hb;
	char la[256], lb[256], *orga;
	const char *r;
	bool same;

	if (prov_name_lower(a, la, sizeof(la)) && prov_name_lower(b, lb, sizeof(lb)) &&
	    strcmp(la, lb) == 0)
		return PROV_SAME_SYSTEM;
	prov_mail_host(p, a, &ha);
	prov_mail_host(p, b, &hb);
	if (ha.kind != hb.kind)
		return PROV_DIFFERENT_SYSTEMS;
	switch (ha.kind) {
	case PROV_SES_INBOUND:
	case PROV_SES_FEEDBACK:
		return strcmp(ha.region, hb.region) == 0 ? PROV_SAME_SYSTEM
							 : PROV_DIFFERENT_SYSTEMS;
	case PROV_NAMED:
		return strcmp(ha.id, hb.id) == 0 ? PROV_SAME_SYSTEM : PROV_DIFFERENT_SYSTEMS;
	case PROV_OWN:
	default:
		break;
	}
	if (org == NULL || !prov_name_lower(a, la, sizeof(la)) ||
	    !prov_name_lower(b, lb, sizeof(lb)))
		return PROV_UNSURE;
	r = org(la, arg);
	orga = r != NULL ? xstrdup(r) : NULL;
	same = same_org(orga, org(lb, arg));
	free(orga);
	return same ? PROV_SAME_SYSTEM : PROV_UNSURE;
}
