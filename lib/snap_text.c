/*
 * The stable JSON text of a snapshot (snap_dump, snap_load), written and read without a
 * jansson tree. The writer prints exactly the bytes json_dumps(JSON_COMPACT) printed for
 * {"domain", "sets": [snap_set_json...]}: the same keys in the same order, jansson's escaping
 * ('"' and '\\', \b \f \n \r \t, other control bytes as \u00XX; '/', DEL and UTF-8 as they
 * are), and a string jansson refuses (not UTF-8) left out where jansson left it out. The
 * reader takes the text as the writer prints it and hands anything else (other spacing,
 * order or escapes, malformed text) to jansson, so what loads and every error stay the same.
 */
#include "config.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "snap.h"
#include "xmalloc.h"

/* A text being written: one growing buffer, with room for the final NUL. */
struct buf {
	char *p;
	size_t len, cap;
};

/* Makes room for n more bytes and the NUL. */
static void
buf_reserve(struct buf *b, size_t n)
{
	if (b->len + n < b->cap)
		return;
	while (b->len + n >= b->cap)
		b->cap *= 2;
	b->p = xreallocarray(b->p, b->cap, 1);
}

/* Appends a text that needs no escaping. */
static inline void
buf_add(struct buf *b, const char *s)
{
	/* Inline, so that the length of a literal is known when compiling. */
	size_t n = strlen(s);

	buf_reserve(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

/* Returns the length of the UTF-8 sequence at s (>= 0x80) if jansson takes it, else 0. */
static size_t
utf8_len(const unsigned char *s)
{
	/* As jansson's utf8_check_full: no overlong form, no surrogate, at most U+10FFFF. Reads
	 * no further than the first byte that is not a continuation byte, so never past a NUL. */
	size_t n;
	uint32_t v;

	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		n = 2, v = s[0] & 0x1F;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		n = 3, v = s[0] & 0x0F;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		n = 4, v = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
		v = v << 6 | (s[i] & 0x3F);
	}
	if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) || (n == 3 && v < 0x800) ||
	    (n == 4 && v < 0x10000))
		return 0;
	return n;
}

/* Appends s as jansson prints a string; false, writing nothing, if jansson refuses it. */
static bool
buf_str(struct buf *b, const char *s)
{
	/* As jansson's dump_string without flags: '"', '\\' and control bytes escaped, \u00XX in
	 * upper case; '/', DEL and UTF-8 as they are. A string that is not UTF-8 jansson never
	 * holds: json_string and json_pack fail on it. */
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;
	char *o;
	size_t k;

	buf_reserve(b, 6 * strlen(s) + 2);
	o = b->p + b->len;
	*o++ = '"';
	for (; *p != '\0'; p++) {
		if (*p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\') {
			*o++ = (char)*p;
			continue;
		}
		if (*p >= 0x80) {
			if ((k = utf8_len(p)) == 0)
				return false;
			memcpy(o, p, k);
			o += k;
			p += k - 1;
			continue;
		}
		*o++ = '\\';
		switch (*p) {
		case '"':
		case '\\':
			*o++ = (char)*p;
			break;
		case '\b':
			*o++ = 'b';
			break;
		case '\f':
			*o++ = 'f';
			break;
		case '\n':
			*o++ = 'n';
			break;
		case '\r':
			*o++ = 'r';
			break;
		case '\t':
			*o++ = 't';
			break;
		default:
			memcpy(o, "u00", 3);
			o[3] = hex[*p >> 4];
			o[4] = hex[*p & 0xF];
			o += 5;
			break;
		}
	}
	*o++ = '"';
	b->len = (size_t)(o - b->p);
	return true;
}

/* Appends a number as jansson prints an integer. */
static void
buf_uint(struct buf *b, uint32_t v)
{
	char d[10];
	size_t n = 0;

	do
		d[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	buf_reserve(b, n);
	while (n > 0)
		b->p[b->len++] = d[--n];
}

/* Appends a JSON array of strings, leaving out those that json_array_append_new left out. */
static void
dump_list(struct buf *b, char *const *v, size_t n)
{
	bool first = true;

	buf_add(b, "[");
	for (size_t i = 0; i < n; i++) {
		size_t mark = b->len;

		if (!first)
			buf_add(b, ",");
		if (buf_str(b, v[i]))
			first = false;
		else
			b->len = mark;
	}
	buf_add(b, "]");
}

/* Appends a set as snap_set_json's object prints; false, writing nothing, if it fails. */
static bool
dump_set(struct buf *b, const struct snap_set *set)
{
	/* json_pack failed on a name that is not UTF-8, and the set was left out. Type and
	 * outcome names are plain ASCII. */
	char tb[16];
	size_t mark = b->len;

	buf_add(b, "{\"name\":");
	if (!buf_str(b, set->name)) {
		b->len = mark;
		return false;
	}
	buf_add(b, ",\"type\":\"");
	buf_add(b, dns_type_name(set->type, tb, sizeof(tb)));
	buf_add(b, "\",\"outcome\":\"");
	buf_add(b, dns_outcome_name(set->outcome));
	buf_add(b, "\",\"known\":\"");
	buf_add(b, dns_outcome_is_known(set->known) ? dns_outcome_name(set->known) : "none");
	if (set->failed > 0) {
		buf_add(b, "\",\"failed\":");
		buf_uint(b, set->failed);
		buf_add(b, ",\"ttl\":");
	} else {
		buf_add(b, "\",\"ttl\":");
	}
	buf_uint(b, set->ttl);
	buf_add(b, ",\"records\":");
	dump_list(b, set->records, set->nrecords);
	buf_add(b, ",\"cnames\":");
	dump_list(b, set->cnames, set->ncnames);
	buf_add(b, "}");
	return true;
}

/* Returns the stable JSON text of a snapshot. */
char *
snap_dump(const struct snap *s)
{
	struct buf b = {.cap = 512 + 384 * s->nsets};
	bool first = true;

	b.p = xmalloc(b.cap);
	buf_add(&b, "{\"domain\":");
	if (!buf_str(&b, s->domain))
		abort(); /* json_dumps failed too; the configuration gives UTF-8 domains */
	buf_add(&b, ",\"sets\":[");
	for (size_t i = 0; i < s->nsets; i++) {
		size_t mark = b.len;

		if (!first)
			buf_add(&b, ",");
		if (dump_set(&b, &s->sets[i]))
			first = false;
		else
			b.len = mark;
	}
	buf_add(&b, "]}");
	b.p[b.len] = '\0';
	return b.p;
}

/* Frees the strings of a list. */
static void
free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Skips lit when the text goes on with it; returns false otherwise. */
static inline bool
rd_lit(const char **p, const char *lit)
{
	const char *q = *p;

	while (*lit != '\0')
		if (*q++ != *lit++)
			return false;
	*p = q;
	return true;
}

/* Returns the value of 4 hex digits, or -1. Reads no further than the first other byte. */
static int
rd_hex4(const unsigned char *q)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		int c = q[i];

		if (c >= '0' && c <= '9')
			v = v * 16 + c - '0';
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v = v * 16 + c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* Reads a JSON string (caller frees); NULL on anything unusual, left to jansson. */
static char *
rd_str(const char **p)
{
	/* Not the writer's: a control byte, bytes that are not UTF-8, \u0000 or \u above 007F
	 * (jansson then decides), the end of the text. */
	const unsigned char *q = (const unsigned char *)*p, *end;
	char *out, *o;
	size_t k;
	int v;

	if (*q++ != '"')
		return NULL;
	for (end = q; *end != '"'; end++) {
		if (*end < 0x20)
			return NULL; /* also the end of the text */
		if (*end == '\\' && end[1] != '\0')
			end++;
		else if (*end >= 0x80 && (k = utf8_len(end)) > 0)
			end += k - 1;
		else if (*end >= 0x80)
			return NULL;
	}
	out = o = xmalloc((size_t)(end - q) + 1);
	while (q < end) {
		if (*q != '\\') {
			*o++ = (char)*q++;
			continue;
		}
		switch (q[1]) {
		case '"':
		case '\\':
		case '/':
			*o++ = (char)q[1];
			break;
		case 'b':
			*o++ = '\b';
			break;
		case 'f':
			*o++ = '\f';
			break;
		case 'n':
			*o++ = '\n';
			break;
		case 'r':
			*o++ = '\r';
			break;
		case 't':
			*o++ = '\t';
			break;
		case 'u':
			if ((v = rd_hex4(q + 2)) <= 0 || v >= 0x80) {
				free(out);
				return NULL;
			}
			*o++ = (char)v;
			q += 4;
			break;
		default:
			free(out);
			return NULL;
		}
		q += 2;
	}
	*o = '\0';
	*p = (const char *)end + 1;
	return out;
}

/* Reads a short JSON string without escapes into buf; returns false on anything else. */
static bool
rd_word(const char **p, char *buf, size_t size)
{
	const char *q = *p;
	size_t n = 0;

	if (*q++ != '"')
		return false;
	while (*q != '"') {
		if (*q < 0x20 || *q > 0x7E || *q == '\\' || n + 1 >= size)
			return false;
		buf[n++] = *q++;
	}
	buf[n] = '\0';
	*p = q + 1;
	return true;
}

/* Reads a JSON integer from 0 to UINT32_MAX as the writer prints it. */
static bool
rd_uint32(const char **p, uint32_t *v)
{
	const char *q = *p;
	uint64_t n = 0;

	if (q[0] == '0' && q[1] >= '0' && q[1] <= '9')
		return false;
	while (*q >= '0' && *q <= '9' && q - *p <= 10)
		n = n * 10 + (uint64_t)(*q++ - '0');
	if (q == *p || q - *p > 10 || n > UINT32_MAX)
		return false;
	*v = (uint32_t)n;
	*p = q;
	return true;
}

/* Reads a JSON array of strings; on false, the caller frees what *v holds. */
static bool
rd_list(const char **p, char ***v, size_t *n)
{
	size_t cap = 0;
	char *e;

	*v = NULL;
	*n = 0;
	if (!rd_lit(p, "["))
		return false;
	if (rd_lit(p, "]"))
		return true;
	do {
		if ((e = rd_str(p)) == NULL)
			return false;
		if (*n == cap) {
			cap = cap ? 2 * cap : 4;
			*v = xreallocarray(*v, cap, sizeof(**v));
		}
		(*v)[(*n)++] = e;
	} while (rd_lit(p, ","));
	return rd_lit(p, "]");
}

/* Reads one set as the writer prints it into s; false, s unchanged, on anything else. */
static bool
rd_set(const char **p, struct snap *s)
{
	char tb[16], ob[16], kb[16], *name, **rec = NULL, **cn = NULL;
	size_t nrec = 0, ncn = 0;
	uint16_t t = 0;
	uint32_t ttl = 0, failed = 0;
	enum dns_outcome oc = DNS_ERROR, kn = DNS_ERROR;
	struct snap_set *set;

	if (!rd_lit(p, "{\"name\":") || (name = rd_str(p)) == NULL)
		return false;
	if (!rd_lit(p, ",\"type\":") || !rd_word(p, tb, sizeof(tb)) || !dns_type_parse(tb, &t) ||
	    !rd_lit(p, ",\"outcome\":") || !rd_word(p, ob, sizeof(ob)) ||
	    !dns_outcome_parse(ob, &oc) || !rd_lit(p, ",\"known\":") ||
	    !rd_word(p, kb, sizeof(kb)) ||
	    (strcmp(kb, "none") != 0 && !dns_outcome_parse(kb, &kn)) ||
	    (rd_lit(p, ",\"failed\":") && (!rd_uint32(p, &failed) || failed == 0)) ||
	    !rd_lit(p, ",\"ttl\":") || !rd_uint32(p, &ttl) || !rd_lit(p, ",\"records\":") ||
	    !rd_list(p, &rec, &nrec) || !rd_lit(p, ",\"cnames\":") || !rd_list(p, &cn, &ncn) ||
	    !rd_lit(p, "}")) {
		free(name);
		free_list(rec, nrec);
		free_list(cn, ncn);
		return false;
	}
	set = snap_slot(s, name, t);
	free(name);
	set->outcome = oc;
	set->known = kn;
	set->failed = failed;
	set->ttl = ttl;
	set->records = rec;
	set->nrecords = nrec;
	set->cnames = cn;
	set->ncnames = ncn;
	return true;
}

/* Reads a snapshot as snap_dump prints it; returns NULL on anything else. */
static struct snap *
text_load(const char *text)
{
	const char *p = text;
	char *domain;
	struct snap *s;

	if (!rd_lit(&p, "{\"domain\":") || (domain = rd_str(&p)) == NULL)
		return NULL;
	s = snap_new(domain);
	free(domain);
	if (!rd_lit(&p, ",\"sets\":["))
		goto fail;
	if (!rd_lit(&p, "]")) {
		do {
			if (!rd_set(&p, s))
				goto fail;
		} while (rd_lit(&p, ","));
		if (!rd_lit(&p, "]"))
			goto fail;
	}
	if (!rd_lit(&p, "}") || *p != '\0')
		goto fail;
	return s;
fail:
	snap_free(s);
	return NULL;
}

/* Reads a JSON array of strings; returns false when it is something else. */
static bool
jansson_list_load(json_t *a, char ***v, size_t *n)
{
	size_t i;
	json_t *e;

	if (!json_is_array(a))
		return false;
	*n = 0;
	*v = json_array_size(a) ? xcalloc(json_array_size(a), sizeof(**v)) : NULL;
	json_array_foreach(a, i, e)
	{
		if (!json_is_string(e))
			return false;
		(*v)[(*n)++] = xstrdup(json_string_value(e));
	}
	return true;
}

/* Reads one set from jansson; returns false when malformed. */
static bool
jansson_set_load(struct snap *s, json_t *o)
{
	const char *name, *type, *outcome, *known;
	json_int_t ttl, failed = 0;
	json_t *records, *cnames;
	uint16_t t;
	enum dns_outcome oc, kn = DNS_ERROR;
	struct snap_set *set;

	if (json_unpack(o, "{s:s, s:s, s:s, s:s, s?I, s:I, s:o, s:o}", "name", &name, "type", &type,
			"outcome", &outcome, "known", &known, "failed", &failed, "ttl", &ttl,
			"records", &records, "cnames", &cnames) != 0 ||
	    failed < 0 || failed > UINT32_MAX || !dns_type_parse(type, &t) ||
	    !dns_outcome_parse(outcome, &oc) ||
	    (strcmp(known, "none") != 0 && !dns_outcome_parse(known, &kn)) || ttl < 0 ||
	    ttl > UINT32_MAX)
		return false;
	set = snap_slot(s, name, t);
	set->outcome = oc;
	set->known = kn;
	set->failed = (uint32_t)failed;
	set->ttl = (uint32_t)ttl;
	return jansson_list_load(records, &set->records, &set->nrecords) &&
	       jansson_list_load(cnames, &set->cnames, &set->ncnames);
}

/* Reads a snapshot with jansson: any JSON text, and the errors a person reads. */
int
snap_load_json(const char *text, struct snap **out, char **errstr)
{
	json_error_t jerr;
	json_t *o = json_loads(text, 0, &jerr), *sets, *e;
	const char *domain;
	struct snap *s;
	size_t i;

	if (o == NULL) {
		*errstr = xasprintf("snapshot is not JSON: %s", jerr.text);
		return -1;
	}
	if (json_unpack(o, "{s:s, s:o}", "domain", &domain, "sets", &sets) != 0 ||
	    !json_is_array(sets)) {
		json_decref(o);
		*errstr = xstrdup("snapshot lacks its domain or sets");
		return -1;
	}
	s = snap_new(domain);
	json_array_foreach(sets, i, e)
	{
		if (!jansson_set_load(s, e)) {
			*errstr = xasprintf("snapshot of %s: set %zu is malformed", domain, i);
			snap_free(s);
			json_decref(o);
			return -1;
		}
	}
	json_decref(o);
	*out = s;
	return 0;
}

/* Reads a snapshot back from its JSON text. */
int
snap_load(const char *text, struct snap **out, char **errstr)
{
	struct snap *s = text != NULL ? text_load(text) : NULL;

	if (s == NULL)
		return snap_load_json(text, out, errstr);
	*out = s;
	return 0;
}
