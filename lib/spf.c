/* SPF records: parsing and validating one record (RFC 7208 §4.6, §5, §6, §7). */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "spf.h"
#include "xmalloc.h"

/* Tells whether txt is an SPF record. */
bool
spf_is_record(const char *txt)
{
	return strncasecmp(txt, "v=spf1", 6) == 0 && (txt[6] == '\0' || txt[6] == ' ');
}

/* Counts the SPF records among TXT records. */
size_t
spf_count_records(char *const *txt, size_t n)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		if (spf_is_record(txt[i]))
			c++;
	return c;
}

/* Names a result. */
const char *
spf_result_name(enum spf_result r)
{
	static const char *const names[] = {"none",	"neutral",   "pass",	 "fail",
					    "softfail", "temperror", "permerror"};

	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "?";
}

/* Frees a record. */
void
spf_record_free(struct spf_record *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nterms; i++) {
		free(r->terms[i].text);
		free(r->terms[i].domain);
	}
	free(r->terms);
	free(r->redirect);
	free(r->exp);
	free(r);
}

/* Tells whether s[0..len) is a toplabel (RFC 7208 §7.1). */
static bool
is_toplabel(const char *s, size_t len)
{
	bool alpha = false;

	if (len == 0 || len > 63 || !isalnum((unsigned char)s[0]) ||
	    !isalnum((unsigned char)s[len - 1]))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (isalpha((unsigned char)s[i]))
			alpha = true;
		else if (!isdigit((unsigned char)s[i]) && s[i] != '-')
			return false;
	}
	/* All digits is only a toplabel with a hyphen inside. */
	return alpha || memchr(s, '-', len) != NULL;
}

/* Checks a domain-spec of term; returns 0 or -1 with *errstr. */
static int
check_domain_spec(const char *term, const char *s, size_t len, char **errstr)
{
	const char *why, *dot;
	bool ends_macro;
	size_t end = len;

	if (len == 0) {
		*errstr = xasprintf("permerror: %s has no domain", term);
		return -1;
	}
	if (spf_macro_check(s, len, false, &ends_macro, &why) == -1) {
		*errstr = xasprintf("permerror: %s has a bad macro (%s)", term, why);
		return -1;
	}
	if (ends_macro)
		return 0;
	if (s[end - 1] == '.')
		end--;
	dot = NULL;
	for (size_t i = end; i > 0; i--)
		if (s[i - 1] == '.') {
			dot = s + i - 1;
			break;
		}
	if (dot == NULL || !is_toplabel(dot + 1, (size_t)(s + end - dot - 1))) {
		*errstr = xasprintf("permerror: %s does not end in a valid top-level domain", term);
		return -1;
	}
	return 0;
}

/* Reads a CIDR length s[0..len) of at most max; returns it or -1. */
static int
cidr_len(const char *s, size_t len, int max)
{
	int v = 0;

	if (len == 0 || len > 3 || (len > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= max ? v : -1;
}

/* Tells whether s[0..len) is all digits (and not empty). */
static bool
all_digits(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* Strips a dual-cidr-length from the end of s[0..*len) into t; returns 0 or -1. */
static int
strip_dual_cidr(struct spf_term *t, const char *s, size_t *len, char **errstr)
{
	size_t end = *len, p;

	for (int pass = 0; pass < 2; pass++) {
		for (p = end; p > 0 && s[p - 1] != '/'; p--)
			;
		if (p == 0 || !all_digits(s + p, end - p))
			break;
		if (p >= 2 && s[p - 2] == '/') {
			if (pass == 1)
				break; /* "//N" must come last */
			t->cidr6 = cidr_len(s + p, end - p, 128);
			if (t->cidr6 < 0)
				goto bad;
			end = p - 2;
		} else {
			t->cidr4 = cidr_len(s + p, end - p, 32);
			if (t->cidr4 < 0)
				goto bad;
			end = p - 1;
			break;
		}
	}
	*len = end;
	return 0;
bad:
	*errstr = xasprintf("permerror: %s has a bad CIDR length", t->text);
	return -1;
}

/* Parses an ip4:/ip6: argument into t; returns 0 or -1. */
static int
parse_network(struct spf_term *t, const char *arg, bool v6, char **errstr)
{
	const char *slash = strchr(arg, '/');
	size_t alen = slash != NULL ? (size_t)(slash - arg) : strlen(arg);
	char buf[INET6_ADDRSTRLEN + 1];
	int bits;

	if (alen == 0 || alen >= sizeof(buf))
		goto bad;
	memcpy(buf, arg, alen);
	buf[alen] = '\0';
	if (inet_pton(v6 ? AF_INET6 : AF_INET, buf, t->addr) != 1)
		goto bad;
	if (slash != NULL) {
		bits = cidr_len(slash + 1, strlen(slash + 1), v6 ? 128 : 32);
		if (bits < 0) {
			*errstr = xasprintf("permerror: %s has a bad CIDR length", t->text);
			return -1;
		}
		if (v6)
			t->cidr6 = bits;
		else
			t->cidr4 = bits;
	}
	return 0;
bad:
	*errstr = xasprintf("permerror: %s is not an IPv%d network", t->text, v6 ? 6 : 4);
	return -1;
}

/* Parses a directive into t; returns 0 or -1. */
static int
parse_directive(struct spf_term *t, const char *term, char **errstr)
{
	static const struct {
		const char *name;
		enum spf_mech mech;
	} mechs[] = {
	    {"all", SPF_M_ALL}, {"include", SPF_M_INCLUDE}, {"a", SPF_M_A},
	    {"mx", SPF_M_MX},	{"ptr", SPF_M_PTR},	    {"ip4", SPF_M_IP4},
	    {"ip6", SPF_M_IP6}, {"exists", SPF_M_EXISTS},
	};
	const char *s = term, *rest;
	size_t nlen, i, dlen;

	t->qual = SPF_PASS;
	switch (*s) {
	case '+':
		s++;
		break;
	case '-':
		t->qual = SPF_FAIL;
		s++;
		break;
	case '~':
		t->qual = SPF_SOFTFAIL;
		s++;
		break;
	case '?':
		t->qual = SPF_NEUTRAL;
		s++;
		break;
	}
	nlen = strcspn(s, ":/");
	for (i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++)
		if (strlen(mechs[i].name) == nlen && strncasecmp(s, mechs[i].name, nlen) == 0)
			break;
	if (i == sizeof(mechs) / sizeof(mechs[0])) {
		*errstr = xasprintf("permerror: %s is not a known mechanism", term);
		return -1;
	}
	t->mech = mechs[i].mech;
	rest = s + nlen;
	switch (t->mech) {
	case SPF_M_ALL:
		if (*rest != '\0') {
			*errstr = xasprintf("permerror: %s: all takes no argument", term);
			return -1;
		}
		return 0;
	case SPF_M_IP4:
	case SPF_M_IP6:
		if (*rest != ':') {
			*errstr = xasprintf("permerror: %s is not an IPv%d network", term,
					    t->mech == SPF_M_IP6 ? 6 : 4);
			return -1;
		}
		return parse_network(t, rest + 1, t->mech == SPF_M_IP6, errstr);
	case SPF_M_INCLUDE:
	case SPF_M_EXISTS:
		if (*rest != ':') {
			*errstr = xasprintf("permerror: %s has no domain", term);
			return -1;
		}
		dlen = strlen(rest + 1);
		break;
	case SPF_M_PTR:
		if (*rest != '\0' && *rest != ':') {
			*errstr = xasprintf("permerror: %s: ptr takes no CIDR length", term);
			return -1;
		}
		dlen = *rest == ':' ? strlen(rest + 1) : 0;
		if (*rest == '\0')
			return 0;
		break;
	default: /* a, mx */
		dlen = strlen(rest);
		if (strip_dual_cidr(t, rest, &dlen, errstr) == -1)
			return -1;
		if (dlen == 0)
			return 0;
		if (*rest != ':') {
			*errstr = xasprintf("permerror: %s is malformed", term);
			return -1;
		}
		dlen--;
		break;
	}
	if (check_domain_spec(term, rest + 1, dlen, errstr) == -1)
		return -1;
	t->domain = xstrndup(rest + 1, dlen);
	return 0;
}

/* Parses a modifier name=value into r; returns 0 or -1. */
static int
parse_modifier(struct spf_record *r, const char *term, size_t nlen, char **errstr)
{
	const char *value = term + nlen + 1, *why;
	char **slot = NULL;
	bool ends_macro;

	if (nlen == 8 && strncasecmp(term, "redirect", 8) == 0)
		slot = &r->redirect;
	else if (nlen == 3 && strncasecmp(term, "exp", 3) == 0)
		slot = &r->exp;
	if (slot == NULL) {
		if (spf_macro_check(value, strlen(value), true, &ends_macro, &why) == -1) {
			*errstr = xasprintf("permerror: %s has a bad macro (%s)", term, why);
			return -1;
		}
		return 0; /* unknown modifiers are ignored */
	}
	if (*slot != NULL) {
		*errstr = xasprintf("permerror: %.*s= appears more than once", (int)nlen, term);
		return -1;
	}
	if (check_domain_spec(term, value, strlen(value), errstr) == -1)
		return -1;
	*slot = xstrdup(value);
	return 0;
}

/* Returns the length of a modifier name at the start of term, or 0 when term is no
 * modifier. */
static size_t
modifier_name(const char *term)
{
	size_t i = 0;

	if (!isalpha((unsigned char)term[0]))
		return 0;
	while (isalnum((unsigned char)term[i]) || term[i] == '-' || term[i] == '_' ||
	       term[i] == '.')
		i++;
	return term[i] == '=' ? i : 0;
}

/* Parses one term into r; returns 0 or -1. */
static int
parse_term(struct spf_record *r, const char *term, char **errstr)
{
	size_t nlen;
	struct spf_term *t;

	for (const char *p = term; *p != '\0'; p++)
		if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e) {
			*errstr = xasprintf("permerror: %s has a character outside printable "
					    "ASCII",
					    term);
			return -1;
		}
	nlen = modifier_name(term);
	if (nlen > 0)
		return parse_modifier(r, term, nlen, errstr);
	r->terms = xreallocarray(r->terms, r->nterms + 1, sizeof(*r->terms));
	t = &r->terms[r->nterms++];
	memset(t, 0, sizeof(*t));
	t->text = xstrdup(term);
	t->cidr4 = 32;
	t->cidr6 = 128;
	if (parse_directive(t, term, errstr) == -1)
		return -1;
	if (t->mech == SPF_M_ALL)
		r->has_all = true;
	return 0;
}

/* Parses one SPF record. */
int
spf_parse(const char *text, struct spf_record **out, char **errstr)
{
	struct spf_record *r;
	char *copy, *save = NULL, *term;
	int rc = 0;

	*out = NULL;
	if (!spf_is_record(text)) {
		*errstr = xstrdup("permerror: not an SPF record (no v=spf1)");
		return -1;
	}
	r = xcalloc(1, sizeof(*r));
	copy = xstrdup(text + 6);
	for (term = strtok_r(copy, " ", &save); term != NULL; term = strtok_r(NULL, " ", &save))
		if ((rc = parse_term(r, term, errstr)) == -1)
			break;
	free(copy);
	if (rc == -1) {
		spf_record_free(r);
		return -1;
	}
	*out = r;
	return 0;
}
