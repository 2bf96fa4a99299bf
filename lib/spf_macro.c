/* SPF macros (RFC 7208 §7): validating and expanding macro-strings. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spf.h"
#include "xmalloc.h"

#define SPF_DELIMS ".-+,/_="
#define SPF_MAX_NAME 253

/* A growing string. */
struct buf {
	char *s;
	size_t len, cap;
};

/* Appends n bytes of s to b. */
static void
buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = xreallocarray(b->s, b->cap, 1);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

/* Tells whether c is a macro delimiter. */
static bool
is_delim(char c)
{
	return c != '\0' && strchr(SPF_DELIMS, c) != NULL;
}

/* Checks a macro-string. */
int
spf_macro_check(const char *s, size_t len, bool exp, bool *ends_macro, const char **why)
{
	size_t i = 0;

	*ends_macro = false;
	while (i < len) {
		*ends_macro = false;
		if (s[i] != '%') {
			i++;
			continue;
		}
		if (i + 1 >= len) {
			*why = "a % at the end";
			return -1;
		}
		if (s[i + 1] == '%' || s[i + 1] == '_' || s[i + 1] == '-') {
			i += 2;
			*ends_macro = true;
			continue;
		}
		if (s[i + 1] != '{') {
			*why = "a % not followed by {, %, _ or -";
			return -1;
		}
		i += 2;
		if (i >= len || strchr("slodiphcrtv", tolower((unsigned char)s[i])) == NULL) {
			*why = "an unknown macro letter";
			return -1;
		}
		if (!exp && strchr("crt", tolower((unsigned char)s[i])) != NULL) {
			*why = "macro letters c, r and t are only allowed in exp";
			return -1;
		}
		i++;
		if (i < len && s[i] == '0') {
			*why = "a zero digit transformer";
			return -1;
		}
		while (i < len && isdigit((unsigned char)s[i]))
			i++;
		if (i < len && (s[i] == 'r' || s[i] == 'R'))
			i++;
		while (i < len && is_delim(s[i]))
			i++;
		if (i >= len || s[i] != '}') {
			*why = "an unterminated macro";
			return -1;
		}
		i++;
		*ends_macro = true;
	}
	return 0;
}

/* Returns the value of macro letter c (lower case) for q; caller frees. */
static char *
macro_value(char c, const struct spf_query *q, const char *domain)
{
	const char *sender = q->sender, *at;
	unsigned char addr[16];
	char text[INET6_ADDRSTRLEN];
	bool v4 = false;
	struct buf b = {0};

	at = sender != NULL ? strrchr(sender, '@') : NULL;
	switch (c) {
	case 's':
	case 'l':
	case 'o':
		if (sender == NULL || *sender == '\0')
			return c == 'l'	  ? xstrdup("postmaster")
			       : c == 'o' ? xstrdup(q->domain)
					  : xasprintf("postmaster@%s", q->domain);
		if (at == NULL || at == sender) {
			const char *d = at == NULL ? sender : at + 1;

			return c == 'l'	  ? xstrdup("postmaster")
			       : c == 'o' ? xstrdup(d)
					  : xasprintf("postmaster@%s", d);
		}
		if (c == 'l')
			return xstrndup(sender, (size_t)(at - sender));
		return xstrdup(c == 'o' ? at + 1 : sender);
	case 'd': {
		size_t n = strlen(domain);

		return xstrndup(domain, n > 0 && domain[n - 1] == '.' ? n - 1 : n);
	}
	case 'i':
	case 'c':
	case 'v':
		if (!spf_ip_parse(q->ip, addr, &v4))
			return xstrdup("unknown");
		if (c == 'v')
			return xstrdup(v4 ? "in-addr" : "ip6");
		if (c == 'c' || v4) {
			inet_ntop(v4 ? AF_INET : AF_INET6, addr, text, sizeof(text));
			return xstrdup(text);
		}
		for (int j = 0; j < 16; j++) {
			char nib[5];

			snprintf(nib, sizeof(nib), "%s%x.%x", j ? "." : "", addr[j] >> 4,
				 addr[j] & 15);
			buf_add(&b, nib, strlen(nib));
		}
		return b.s;
	case 'h':
		return xstrdup(q->helo != NULL ? q->helo : q->domain);
	case 'r':
		return xstrdup(q->receiver != NULL ? q->receiver : "unknown");
	case 't':
		return xasprintf("%lld", q->now);
	default: /* p: the validated name is not looked up here */
		return xstrdup("unknown");
	}
}

/* Applies transformers to v: split on delims, maybe reverse, keep the right-most keep
 * parts (0: all), join with dots; appends to b, URL-escaped when escape. */
static void
transform(struct buf *b, const char *v, const char *delims, size_t ndelims, unsigned keep,
	  bool reverse, bool escape)
{
	const char *parts[256];
	size_t lens[256], n = 0, start = 0, first;
	struct buf out = {0};
	char d[sizeof(SPF_DELIMS)] = "";
	size_t nd = 0;

	for (size_t i = 0; i < ndelims; i++)
		if (strchr(d, delims[i]) == NULL) {
			d[nd++] = delims[i];
			d[nd] = '\0';
		}
	if (nd == 0)
		strcpy(d, ".");
	for (size_t i = 0;; i++) {
		if (v[i] == '\0' || strchr(d, v[i]) != NULL) {
			if (n < 256) {
				parts[n] = v + start;
				lens[n++] = i - start;
			}
			start = i + 1;
			if (v[i] == '\0')
				break;
		}
	}
	if (reverse)
		for (size_t i = 0; i < n / 2; i++) {
			const char *tp = parts[i];
			size_t tl = lens[i];

			parts[i] = parts[n - 1 - i];
			lens[i] = lens[n - 1 - i];
			parts[n - 1 - i] = tp;
			lens[n - 1 - i] = tl;
		}
	first = keep > 0 && keep < n ? n - keep : 0;
	buf_add(&out, "", 0);
	for (size_t i = first; i < n; i++) {
		if (i > first)
			buf_add(&out, ".", 1);
		buf_add(&out, parts[i], lens[i]);
	}
	for (size_t i = 0; i < out.len; i++) {
		unsigned char c = (unsigned char)out.s[i];
		char hex[4];

		if (escape && !isalnum(c) && c != '-' && c != '.' && c != '_' && c != '~') {
			snprintf(hex, sizeof(hex), "%%%02X", c);
			buf_add(b, hex, 3);
		} else {
			buf_add(b, out.s + i, 1);
		}
	}
	free(out.s);
}

/* Expands a macro-string. */
char *
spf_expand(const char *s, const struct spf_query *q, const char *domain, bool exp)
{
	struct buf b = {0};
	const char *why;
	bool ends_macro;
	size_t i = 0, len = strlen(s);

	if (spf_macro_check(s, len, exp, &ends_macro, &why) == -1)
		return NULL;
	buf_add(&b, "", 0);
	while (i < len) {
		char letter, *v;
		unsigned keep = 0;
		bool reverse = false;
		size_t dstart;

		if (s[i] != '%') {
			buf_add(&b, s + i, 1);
			i++;
			continue;
		}
		if (s[i + 1] != '{') {
			buf_add(&b,
				s[i + 1] == '%'	  ? "%"
				: s[i + 1] == '_' ? " "
						  : "%20",
				s[i + 1] == '-' ? 3 : 1);
			i += 2;
			continue;
		}
		letter = s[i + 2];
		i += 3;
		while (isdigit((unsigned char)s[i])) {
			keep = keep < 1000 ? keep * 10 + (unsigned)(s[i] - '0') : keep;
			i++;
		}
		if (s[i] == 'r' || s[i] == 'R') {
			reverse = true;
			i++;
		}
		dstart = i;
		while (s[i] != '}')
			i++;
		v = macro_value((char)tolower((unsigned char)letter), q, domain);
		transform(&b, v, s + dstart, i - dstart, keep, reverse,
			  isupper((unsigned char)letter));
		free(v);
		i++;
	}
	/* A name too long loses labels from the left (RFC 7208 §7.3). */
	while (!exp && b.len > SPF_MAX_NAME) {
		char *dot = strchr(b.s, '.');
		size_t cut = dot != NULL ? (size_t)(dot - b.s) + 1 : b.len;

		memmove(b.s, b.s + cut, b.len - cut + 1);
		b.len -= cut;
	}
	return b.s;
}
