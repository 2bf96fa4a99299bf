#include "config.h"

#include <libpsl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dmarc.h"
#include "xmalloc.h"

/* The tags this module knows; any other tag is ignored (RFC 7489 §6.3). */
enum tag {
	T_V,
	T_P,
	T_SP,
	T_NP,
	T_PCT,
	T_ADKIM,
	T_ASPF,
	T_RUA,
	T_RUF,
	T_FO,
	T_RF,
	T_RI,
	T_T,
	T_PSD,
	T_UNKNOWN
};

static const char *const tag_names[] = {"v",   "p",   "sp", "np", "pct", "adkim", "aspf",
					"rua", "ruf", "fo", "rf", "ri",	 "t",	  "psd"};

/* What one parse collects: the first hard error, and the first error that RFC 7489 §6.6.3
 * forgives when rua= is valid (p= and sp=). */
struct parse {
	char *fatal;
	char *policy;
};

/* Tells whether c is WSP (RFC 5234: space or horizontal tab). */
static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* Tells whether c is an ASCII letter or digit. */
static bool
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Tells whether c is an ASCII digit. */
static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Returns c in lower case when it is an ASCII capital. */
static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Returns s without leading and trailing WSP, trimming it in place. */
static char *
trim(char *s)
{
	size_t n;

	while (is_wsp(*s))
		s++;
	n = strlen(s);
	while (n > 0 && is_wsp(s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* Records an error; only the first of each kind is kept. */
static void __attribute__((format(printf, 3, 4)))
fail(struct parse *ps, bool policy, const char *fmt, ...)
{
	char **slot = policy ? &ps->policy : &ps->fatal;
	va_list ap;

	if (*slot != NULL)
		return;
	va_start(ap, fmt);
	*slot = xvasprintf(fmt, ap);
	va_end(ap);
}

/* Returns the tag a name stands for (case-insensitive). */
static enum tag
tag_lookup(const char *name)
{
	for (int i = 0; i < T_UNKNOWN; i++)
		if (strcasecmp(name, tag_names[i]) == 0)
			return (enum tag)i;
	return T_UNKNOWN;
}

/* Tells whether name is a tag name: ALPHA *(ALPHA / DIGIT / "_") (RFC 6376 §3.2). */
static bool
valid_tag_name(const char *name)
{
	if (!((*name >= 'a' && *name <= 'z') || (*name >= 'A' && *name <= 'Z')))
		return false;
	for (name++; *name != '\0'; name++)
		if (!is_alnum(*name) && *name != '_')
			return false;
	return true;
}

/* Reads a policy keyword. */
static bool
read_policy(const char *v, enum dmarc_policy *out)
{
	static const enum dmarc_policy all[] = {DMARC_POLICY_NONE, DMARC_POLICY_QUARANTINE,
						DMARC_POLICY_REJECT};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (strcasecmp(v, dmarc_policy_name(all[i])) == 0) {
			*out = all[i];
			return true;
		}
	}
	return false;
}

/* Reads an unsigned decimal number no greater than max. Returns 0, -1 when v is not a
 * number, -2 when it is out of range. */
static int
read_uint(const char *v, uint64_t max, uint64_t *out)
{
	uint64_t n = 0;

	if (*v == '\0')
		return -1;
	for (; *v != '\0'; v++) {
		if (!is_digit(*v))
			return -1;
		if (n <= max)
			n = n * 10 + (uint64_t)(*v - '0');
	}
	if (n > max)
		return -2;
	*out = n;
	return 0;
}

/* Reads a one-letter flag among the letters of set (case-insensitive); returns its index or
 * -1. */
static int
read_letter(const char *v, const char *set)
{
	const char *p;

	if (v[0] == '\0' || v[1] != '\0' || (p = strchr(set, lower(v[0]))) == NULL)
		return -1;
	return (int)(p - set);
}

/* Reads fo=: 0, 1, d and s separated by ':' with optional WSP. */
static bool
read_fo(const char *v, unsigned *out)
{
	static const char set[] = "01ds";
	static const unsigned bits[] = {DMARC_FO_0, DMARC_FO_1, DMARC_FO_D, DMARC_FO_S};
	unsigned fo = 0;

	for (;;) {
		const char *p;

		while (is_wsp(*v))
			v++;
		if (*v == '\0' || (p = strchr(set, lower(*v))) == NULL)
			return false;
		fo |= bits[p - set];
		for (v++; is_wsp(*v); v++)
			;
		if (*v == '\0')
			break;
		if (*v++ != ':')
			return false;
	}
	*out = fo;
	return true;
}

/* Reads rf=: RFC 5321 Keywords separated by ':' with optional WSP; *out is the list in
 * lower case without WSP. */
static bool
read_rf(const char *v, char **out)
{
	char *s = xmalloc(strlen(v) + 1), *o = s;

	for (;;) {
		while (is_wsp(*v))
			v++;
		if (!is_alnum(*v))
			break;
		while (is_alnum(*v) || *v == '-')
			*o++ = lower(*v++);
		if (o[-1] == '-')
			break;
		while (is_wsp(*v))
			v++;
		if (*v == '\0') {
			*o = '\0';
			*out = s;
			return true;
		}
		if (*v != ':')
			break;
		*o++ = *v++;
	}
	free(s);
	return false;
}

/* Tells whether s (len bytes) is a host name of two or more LDH labels. */
static bool
valid_host(const char *s, size_t len)
{
	size_t label = 0, labels = 1;

	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
			labels++;
		} else if (is_alnum(s[i]) || (s[i] == '-' && label > 0)) {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return label > 0 && s[len - 1] != '-' && labels >= 2;
}

/* Tells whether c may appear unencoded in the local part of a mailto: URI in DMARC (RFC 6068
 * and RFC 3986, less ',' and '!', which DMARC needs encoded). */
static bool
local_char(char c)
{
	return is_alnum(c) || (c != '\0' && strchr("-._~$&'*+=/", c) != NULL);
}

/* Tells whether c is a hexadecimal digit. */
static bool
is_xdigit(char c)
{
	return is_digit(c) || (lower(c) >= 'a' && lower(c) <= 'f');
}

/* Reads a "!size" suffix (after the '!'): 1*DIGIT with an optional k, m, g or t (powers of
 * 1024). */
static bool
read_size(const char *s, uint64_t *out)
{
	static const char units[] = "kmgt";
	uint64_t n = 0, mult = 1;
	const char *u;

	if (!is_digit(*s))
		return false;
	for (; is_digit(*s); s++) {
		if (n > (UINT64_MAX - 9) / 10)
			return false;
		n = n * 10 + (uint64_t)(*s - '0');
	}
	if (*s != '\0') {
		if (s[1] != '\0' || (u = strchr(units, lower(*s))) == NULL)
			return false;
		for (const char *p = units; p <= u; p++)
			mult *= 1024;
	}
	if (n > UINT64_MAX / mult)
		return false;
	*out = n * mult;
	return true;
}

/* Checks one URI of rua= or ruf= and appends it. */
static bool
read_uri(struct parse *ps, const char *tag, char *uri, struct dmarc_uri **list, size_t *n)
{
	char *bang = strchr(uri, '!'), *addr, *at, *end;
	uint64_t size = 0;

	if (*uri == '\0') {
		fail(ps, false, "%s= has an empty URI in its list", tag);
		return false;
	}
	if (strncasecmp(uri, "mailto:", 7) != 0) {
		fail(ps, false, "%s= URI %s is not a mailto: URI", tag, uri);
		return false;
	}
	if (bang != NULL && !read_size(bang + 1, &size)) {
		fail(ps, false, "%s= URI %s has a bad size limit (!DIGITS with k, m, g or t)", tag,
		     uri);
		return false;
	}
	addr = uri + 7;
	end = bang != NULL ? bang : addr + strlen(addr);
	if (memchr(addr, '?', (size_t)(end - addr)) != NULL)
		end = memchr(addr, '?', (size_t)(end - addr)); /* hfields: not checked */
	at = memchr(addr, '@', (size_t)(end - addr));
	if (at == NULL || at == addr || memchr(at + 1, '@', (size_t)(end - at - 1)) != NULL) {
		fail(ps, false, "%s= URI %s is not mailto:local@domain", tag, uri);
		return false;
	}
	for (const char *p = addr; p < at; p++) {
		if (*p == '%' && is_xdigit(p[1]) && is_xdigit(p[2]))
			p += 2;
		else if (!local_char(*p)) {
			fail(ps, false, "%s= URI %s has a bad character in its local part", tag,
			     uri);
			return false;
		}
	}
	if (!valid_host(at + 1, (size_t)(end - at - 1))) {
		fail(ps, false, "%s= URI %s has a bad domain", tag, uri);
		return false;
	}
	*list = xreallocarray(*list, *n + 1, sizeof(**list));
	(*list)[*n].uri = bang != NULL ? xstrndup(uri, (size_t)(bang - uri)) : xstrdup(uri);
	(*list)[*n].max_size = size;
	(*n)++;
	return true;
}

/* Reads rua= or ruf=: URIs separated by ',' with optional WSP. */
static void
read_uris(struct parse *ps, const char *tag, char *v, struct dmarc_uri **list, size_t *n)
{
	char *next;

	for (; v != NULL; v = next) {
		next = strchr(v, ',');
		if (next != NULL)
			*next++ = '\0';
		if (!read_uri(ps, tag, trim(v), list, n))
			return;
	}
}

/* Checks the v= tag's value. */
static void
read_version(struct parse *ps, const char *name, const char *v)
{
	if (strcmp(v, "DMARC1") == 0)
		return;
	if (strncmp(v, "DMARC1", 6) == 0 && is_wsp(v[6]))
		fail(ps, false, "%s=DMARC1 must be followed by ';'", name);
	else if (strcasecmp(v, "DMARC1") == 0)
		fail(ps, false, "%s=%s must be DMARC1 in upper case", name, v);
	else
		fail(ps, false, "%s=%s is not DMARC1", name, v);
}

/* Reads the value of one known tag into d. */
static void
read_tag(struct parse *ps, struct dmarc *d, enum tag tag, const char *name, char *v)
{
	uint64_t n;
	int r;

	switch (tag) {
	case T_V:
		read_version(ps, name, v);
		break;
	case T_P:
	case T_SP:
	case T_NP:
		if (!read_policy(v, tag == T_P ? &d->p : tag == T_SP ? &d->sp : &d->np))
			fail(ps, tag != T_NP, "%s=%s is not none, quarantine or reject", name, v);
		d->has_sp |= tag == T_SP;
		d->has_np |= tag == T_NP;
		break;
	case T_PCT:
		if ((r = read_uint(v, 100, &n)) == 0)
			d->pct = (unsigned)n;
		else if (r == -2)
			fail(ps, false, "%s=%s is out of range 0-100", name, v);
		else
			fail(ps, false, "%s=%s is not an integer 0-100", name, v);
		break;
	case T_RI:
		if ((r = read_uint(v, UINT32_MAX, &n)) == 0)
			d->ri = (uint32_t)n;
		else if (r == -2)
			fail(ps, false, "%s=%s is out of range 0-4294967295", name, v);
		else
			fail(ps, false, "%s=%s is not an integer 0-4294967295", name, v);
		break;
	case T_ADKIM:
	case T_ASPF:
		if ((r = read_letter(v, "rs")) < 0)
			fail(ps, false, "%s=%s is not r or s", name, v);
		else
			*(tag == T_ADKIM ? &d->adkim : &d->aspf) =
			    r ? DMARC_ALIGN_STRICT : DMARC_ALIGN_RELAXED;
		break;
	case T_RUA:
		read_uris(ps, name, v, &d->rua, &d->nrua);
		break;
	case T_RUF:
		read_uris(ps, name, v, &d->ruf, &d->nruf);
		break;
	case T_FO:
		if (!read_fo(v, &d->fo))
			fail(ps, false, "%s=%s is not a ':'-separated list of 0, 1, d and s", name,
			     v);
		break;
	case T_RF:
		free(d->rf);
		d->rf = NULL;
		if (!read_rf(v, &d->rf))
			fail(ps, false, "%s=%s is not a ':'-separated list of report formats", name,
			     v);
		break;
	case T_T:
		if ((r = read_letter(v, "yn")) < 0)
			fail(ps, false, "%s=%s is not y or n", name, v);
		else
			d->t = r == 0;
		break;
	case T_PSD:
		if ((r = read_letter(v, "ynu")) < 0)
			fail(ps, false, "%s=%s is not y, n or u", name, v);
		else
			d->psd = r == 0 ? DMARC_PSD_YES : r == 1 ? DMARC_PSD_NO : DMARC_PSD_UNKNOWN;
		break;
	case T_UNKNOWN:
		break;
	}
}

/* Reads the tags of a record into d until a hard error; returns which tags were seen. */
static unsigned
read_tags(struct parse *ps, struct dmarc *d, char *copy)
{
	unsigned seen = 0;
	char *next;

	for (char *seg = copy; seg != NULL && ps->fatal == NULL; seg = next) {
		bool first = seg == copy;
		char *name, *value, *eq;
		enum tag tag;

		next = strchr(seg, ';');
		if (next != NULL)
			*next++ = '\0';
		seg = trim(seg);
		if (*seg == '\0' && !first)
			continue; /* an empty tag: harmless */
		if ((eq = strchr(seg, '=')) == NULL) {
			if (first)
				fail(ps, false, "the record must start with v=DMARC1");
			else
				fail(ps, false, "%s is not a tag=value pair", seg);
			break;
		}
		*eq = '\0';
		name = trim(seg);
		value = trim(eq + 1);
		tag = valid_tag_name(name) ? tag_lookup(name) : T_UNKNOWN;
		if (first && tag != T_V) {
			fail(ps, false, "the record must start with v=DMARC1");
		} else if (!valid_tag_name(name)) {
			fail(ps, false, "\"%s\" is not a tag name", name);
		} else if (tag != T_UNKNOWN && (seen & (1u << tag))) {
			fail(ps, false, "duplicate tag %s=", name);
		} else if (tag != T_UNKNOWN && *value == '\0') {
			seen |= 1u << tag;
			fail(ps, tag == T_P || tag == T_SP, "%s= has no value", name);
		} else if (tag != T_UNKNOWN) {
			seen |= 1u << tag;
			read_tag(ps, d, tag, name, value);
		}
	}
	return seen;
}

/* Parses a DMARC record. */
int
dmarc_parse(const char *text, struct dmarc *out, char **errstr)
{
	struct parse ps = {NULL, NULL};
	struct dmarc d = {.pct = 100, .fo = DMARC_FO_0, .ri = 86400};
	unsigned seen;
	char *copy;

	memset(out, 0, sizeof(*out));
	copy = xstrdup(text);
	if (*trim(copy) == '\0')
		fail(&ps, false, "the record is empty");
	else if (is_wsp(text[0]))
		fail(&ps, false, "the record must start with v=DMARC1, not white space");
	seen = ps.fatal == NULL ? read_tags(&ps, &d, copy) : 0;
	free(copy);
	if (ps.fatal == NULL && !(seen & (1u << T_P))) {
		free(ps.policy);
		ps.policy = xstrdup("p= is missing");
	}
	if (ps.fatal == NULL && ps.policy != NULL && d.nrua > 0) {
		/* RFC 7489 §6.6.3: act as if the record were "v=DMARC1; p=none". */
		d.fallback = xasprintf("%s; read as p=none because rua= is valid (RFC 7489 "
				       "section 6.6.3)",
				       ps.policy);
		d.p = DMARC_POLICY_NONE;
		d.has_sp = d.has_np = false;
	} else if (ps.fatal == NULL && ps.policy != NULL) {
		ps.fatal = ps.policy;
		ps.policy = NULL;
	}
	free(ps.policy);
	if (ps.fatal != NULL) {
		dmarc_clear(&d);
		*errstr = ps.fatal;
		return -1;
	}
	if (d.rf == NULL)
		d.rf = xstrdup("afrf");
	if (!d.has_sp)
		d.sp = d.p;
	if (!d.has_np)
		d.np = d.sp;
	*out = d;
	return 0;
}

/* Frees what a record owns. */
void
dmarc_clear(struct dmarc *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->nrua; i++)
		free(d->rua[i].uri);
	for (size_t i = 0; i < d->nruf; i++)
		free(d->ruf[i].uri);
	free(d->rua);
	free(d->ruf);
	free(d->rf);
	free(d->fallback);
	memset(d, 0, sizeof(*d));
}

/* Tells whether a TXT record is a DMARC record. */
bool
dmarc_is_record(const char *text)
{
	if (*text != 'v' && *text != 'V')
		return false;
	for (text++; is_wsp(*text); text++)
		;
	if (*text++ != '=')
		return false;
	while (is_wsp(*text))
		text++;
	if (strncmp(text, "DMARC1", 6) != 0)
		return false;
	text += 6;
	return *text == '\0' || *text == ';' || is_wsp(*text);
}

/* Counts the DMARC records among the TXT records of a name. */
size_t
dmarc_select(char *const *records, size_t n, size_t *first)
{
	size_t count = 0;

	for (size_t i = 0; i < n; i++) {
		if (!dmarc_is_record(records[i]))
			continue;
		if (count++ == 0 && first != NULL)
			*first = i;
	}
	return count;
}

/* Finds the organisational domain of a name. */
char *
dmarc_org_domain(const char *name)
{
	const psl_ctx_t *psl = psl_builtin();
	size_t len = strlen(name);
	bool dot = len > 0 && name[len - 1] == '.';
	const char *reg;
	char *low, *out = NULL;

	if (dot)
		len--;
	if (psl == NULL || len == 0 || len > 253)
		return NULL;
	low = xstrndup(name, len);
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)low[i] <= ' ' || (unsigned char)low[i] >= 0x7f ||
		    (low[i] == '.' && (i == 0 || i == len - 1 || low[i - 1] == '.'))) {
			free(low);
			return NULL;
		}
		low[i] = lower(low[i]);
	}
	reg = psl_registrable_domain(psl, low);
	if (reg != NULL)
		out = dot ? xasprintf("%s.", reg) : xstrdup(reg);
	free(low);
	return out;
}

/* Names a policy. */
const char *
dmarc_policy_name(enum dmarc_policy p)
{
	switch (p) {
	case DMARC_POLICY_QUARANTINE:
		return "quarantine";
	case DMARC_POLICY_REJECT:
		return "reject";
	case DMARC_POLICY_NONE:
		break;
	}
	return "none";
}

/* Tells whether a policy change weakened the record, and why. */
bool
dmarc_weaker(const struct dmarc *before, const struct dmarc *after, char **why)
{
	char *r[5], *s;
	size_t n = 0;
	bool enforcing = after->p != DMARC_POLICY_NONE || after->sp != DMARC_POLICY_NONE ||
			 after->np != DMARC_POLICY_NONE;

	if (after->p < before->p)
		r[n++] = xasprintf("policy lowered from %s to %s", dmarc_policy_name(before->p),
				   dmarc_policy_name(after->p));
	if ((before->has_sp || after->has_sp) && after->sp < before->sp)
		r[n++] = xasprintf("subdomain policy lowered from %s to %s",
				   dmarc_policy_name(before->sp), dmarc_policy_name(after->sp));
	if ((before->has_np || after->has_np) && after->np < before->np)
		r[n++] = xasprintf("non-existent subdomain policy lowered from %s to %s",
				   dmarc_policy_name(before->np), dmarc_policy_name(after->np));
	if (enforcing && after->pct < before->pct)
		r[n++] = xasprintf("pct lowered from %u to %u", before->pct, after->pct);
	if (enforcing && after->t && !before->t)
		r[n++] = xstrdup("testing mode (t=y) newly set");
	if (n == 0)
		return false;
	s = r[0];
	for (size_t i = 1; i < n; i++) {
		char *next = xasprintf("%s%s%s", s, i == n - 1 ? " and " : ", ", r[i]);

		free(s);
		free(r[i]);
		s = next;
	}
	if (why != NULL)
		*why = s;
	else
		free(s);
	return true;
}

/* Describes a record's policy on one line. */
char *
dmarc_describe(const struct dmarc *d)
{
	char *s =
	    xasprintf("p=%s sp=%s pct=%u adkim=%c aspf=%c", dmarc_policy_name(d->p),
		      dmarc_policy_name(d->sp), d->pct, d->adkim == DMARC_ALIGN_STRICT ? 's' : 'r',
		      d->aspf == DMARC_ALIGN_STRICT ? 's' : 'r');
	char *next;

	if (d->has_np) {
		next = xasprintf("%s np=%s", s, dmarc_policy_name(d->np));
		free(s);
		s = next;
	}
	if (d->t) {
		next = xasprintf("%s t=y", s);
		free(s);
		s = next;
	}
	if (d->psd != DMARC_PSD_UNKNOWN) {
		next = xasprintf("%s psd=%c", s, d->psd == DMARC_PSD_YES ? 'y' : 'n');
		free(s);
		s = next;
	}
	return s;
}
