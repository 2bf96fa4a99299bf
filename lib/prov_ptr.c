#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prov_int.h"
#include "xmalloc.h"

/* How many spellings {ip} accepts. */
#define NSPELL 7

/* The address a name is matched against: its octets and the spellings of the whole. */
struct ipctx {
	bool v4;
	char octet[4][4];	/* "203", "0", ... */
	char spell[NSPELL][16]; /* "203-0-113-50", "50.113.0.203", "203000113050", ... */
};

/* Tells whether c is an ASCII digit. */
static bool
digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Appends a token to a pattern. */
static struct prov_ptrtok *
add_tok(struct prov_ptrpat *m, enum prov_tok t)
{
	m->toks = xreallocarray(m->toks, m->ntoks + 1, sizeof(*m->toks));
	memset(&m->toks[m->ntoks], 0, sizeof(*m->toks));
	m->toks[m->ntoks].tok = t;
	return &m->toks[m->ntoks++];
}

/* Compiles a pattern into tokens; returns -1 with *why when it is not one. */
static int
compile(struct prov_ptrpat *m, const char *s, char **why)
{
	static const char *const names[] = {"a", "b", "c", "d"};

	for (const char *c = s; *c != '\0';) {
		if (c[0] == '*') {
			add_tok(m, c[1] == '*' ? PROV_TOK_STARS : PROV_TOK_STAR);
			c += c[1] == '*' ? 2 : 1;
		} else if (c[0] == '{') {
			const char *end = strchr(c, '}');
			size_t len = end ? (size_t)(end - c - 1) : 0;
			bool known = false;

			if (end == NULL) {
				*why = xasprintf("bad pattern \"%s\": unterminated \"{\"", s);
				return -1;
			}
			for (unsigned i = 0; i < 4; i++) {
				if (len == 1 && c[1] == names[i][0]) {
					add_tok(m, PROV_TOK_OCTET)->octet = i;
					known = true;
				}
			}
			if (len == 2 && strncmp(c + 1, "ip", 2) == 0) {
				add_tok(m, PROV_TOK_IP);
				known = true;
			}
			if (!known) {
				*why = xasprintf("bad pattern \"%s\": unknown token \"%.*s\"", s,
						 (int)(len + 2), c);
				return -1;
			}
			m->needs_ip = true;
			c = end + 1;
		} else {
			size_t len = 0;
			struct prov_ptrtok *t;

			while (c[len] != '\0' && c[len] != '*' && c[len] != '{') {
				char ch = c[len];

				if (!(ch >= 'a' && ch <= 'z') && !digit(ch) && ch != '-' &&
				    ch != '_' && ch != '.') {
					*why = xasprintf("bad pattern \"%s\": bad character '%c'",
							 s, ch);
					return -1;
				}
				len++;
			}
			t = add_tok(m, PROV_TOK_LIT);
			t->lit = xstrndup(c, len);
			t->len = len;
			c += len;
		}
	}
	return 0;
}

/* Frees one pattern. */
static void
ptrpat_clear(struct prov_ptrpat *m)
{
	for (size_t i = 0; i < m->ntoks; i++)
		free(m->toks[i].lit);
	free(m->toks);
	free(m->text);
	free(m->name);
}

/* Reads a default-ptr line. */
int
prov_parse_ptr(struct prov *p, char **f, size_t nf, char **why)
{
	struct prov_ptrpat m = {0};
	char low[256];

	if (nf != 2) {
		*why = xstrdup("expected \"PATTERN NAME\"");
		return -1;
	}
	if (!prov_name_lower(f[0], low, sizeof(low))) {
		*why = xasprintf("bad pattern \"%s\"", f[0]);
		return -1;
	}
	if (compile(&m, low, why) == -1) {
		ptrpat_clear(&m);
		return -1;
	}
	m.text = xstrdup(f[0]);
	m.name = xstrdup(f[1]);
	p->ptr = xreallocarray(p->ptr, p->nptr + 1, sizeof(*p->ptr));
	p->ptr[p->nptr++] = m;
	return 0;
}

/* Frees what default-ptr added. */
void
prov_ptr_free(struct prov *p)
{
	for (size_t i = 0; i < p->nptr; i++)
		ptrpat_clear(&p->ptr[i]);
	free(p->ptr);
}

/* Tells whether the number word w stands at s, not inside a longer run of digits. */
static bool
number_at(const char *start, const char *s, const char *w, size_t len)
{
	return strncmp(s, w, len) == 0 && (s == start || !digit(s[-1])) && !digit(s[len]);
}

/* Matches tokens i.. of m against s (start is the whole name, for digit boundaries). */
static bool
match_from(const struct prov_ptrpat *m, size_t i, const char *start, const char *s,
	   const struct ipctx *ip)
{
	const struct prov_ptrtok *t;

	if (i == m->ntoks)
		return *s == '\0';
	t = &m->toks[i];
	switch (t->tok) {
	case PROV_TOK_LIT:
		return strncmp(s, t->lit, t->len) == 0 &&
		       match_from(m, i + 1, start, s + t->len, ip);
	case PROV_TOK_STAR:
	case PROV_TOK_STARS:
		if (t->tok == PROV_TOK_STARS && i + 1 == m->ntoks)
			return true;
		for (size_t k = 0;; k++) {
			if (match_from(m, i + 1, start, s + k, ip))
				return true;
			if (s[k] == '\0' || (t->tok == PROV_TOK_STAR && s[k] == '.'))
				return false;
		}
	case PROV_TOK_OCTET: {
		const char *o = ip->octet[t->octet];
		size_t len = strlen(o);

		return number_at(start, s, o, len) && match_from(m, i + 1, start, s + len, ip);
	}
	case PROV_TOK_IP:
		for (size_t k = 0; k < NSPELL; k++) {
			size_t len = strlen(ip->spell[k]);

			if (number_at(start, s, ip->spell[k], len) &&
			    match_from(m, i + 1, start, s + len, ip))
				return true;
		}
		return false;
	}
	return false;
}

/* Tells whether name can match m at all: cheap checks before the backtracking match. */
static bool
may_match(const struct prov_ptrpat *m, const char *name, size_t nlen, const struct ipctx *ip,
	  bool ip_in_name)
{
	const struct prov_ptrtok *last = m->ntoks ? &m->toks[m->ntoks - 1] : NULL;

	if (m->needs_ip && !ip->v4)
		return false;
	for (size_t i = 0; i < m->ntoks; i++) {
		if (m->toks[i].tok == PROV_TOK_LIT && strstr(name, m->toks[i].lit) == NULL)
			return false;
		if (m->toks[i].tok == PROV_TOK_IP && !ip_in_name)
			return false;
	}
	if (last != NULL && last->tok == PROV_TOK_LIT &&
	    (nlen < last->len || strcmp(name + nlen - last->len, last->lit) != 0))
		return false;
	return true;
}

/* Fills the octets and spellings of an IPv4 address; v4 stays false for anything else. */
static void
ipctx_init(struct ipctx *c, const char *ip)
{
	unsigned char a[4];

	memset(c, 0, sizeof(*c));
	if (ip == NULL || inet_pton(AF_INET, ip, a) != 1)
		return;
	c->v4 = true;
	for (int i = 0; i < 4; i++)
		snprintf(c->octet[i], sizeof(c->octet[i]), "%u", a[i]);
	snprintf(c->spell[0], 16, "%u-%u-%u-%u", a[0], a[1], a[2], a[3]);
	snprintf(c->spell[1], 16, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
	snprintf(c->spell[2], 16, "%u-%u-%u-%u", a[3], a[2], a[1], a[0]);
	snprintf(c->spell[3], 16, "%u.%u.%u.%u", a[3], a[2], a[1], a[0]);
	snprintf(c->spell[4], 16, "%03u-%03u-%03u-%03u", a[0], a[1], a[2], a[3]);
	snprintf(c->spell[5], 16, "%03u.%03u.%03u.%03u", a[0], a[1], a[2], a[3]);
	snprintf(c->spell[6], 16, "%03u%03u%03u%03u", a[0], a[1], a[2], a[3]);
}

/* Tells whether a PTR name is a provider's default name. */
bool
prov_default_ptr(const struct prov *p, const char *ptrname, const char *ip,
		 struct prov_ptr_match *match)
{
	struct ipctx c;
	char name[256];
	bool ip_in_name = false;
	size_t nlen;

	if (!prov_name_lower(ptrname, name, sizeof(name)))
		return false;
	nlen = strlen(name);
	ipctx_init(&c, ip);
	for (size_t k = 0; c.v4 && k < NSPELL && !ip_in_name; k++)
		ip_in_name = strstr(name, c.spell[k]) != NULL;
	for (size_t i = 0; i < p->nptr; i++) {
		const struct prov_ptrpat *m = &p->ptr[i];

		if (!may_match(m, name, nlen, &c, ip_in_name) || !match_from(m, 0, name, name, &c))
			continue;
		if (match != NULL) {
			match->pattern = m->text;
			match->name = m->name;
		}
		return true;
	}
	return false;
}
