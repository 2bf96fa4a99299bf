#include "config.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns_pkt.h"
#include "xmalloc.h"

#define DNS_HEADER_SIZE 12
#define DNS_CLASS_IN 1
#define DNS_RCODE_NOERROR 0
#define DNS_RCODE_SERVFAIL 2
#define DNS_RCODE_NXDOMAIN 3
#define DNS_RCODE_REFUSED 5
#define DNS_MAX_POINTER_HOPS 64

/* A cursor over a packet; any read past the end sets err and returns zeroes. */
struct rd {
	const uint8_t *buf;
	size_t len;
	size_t off;
	const char *err; /* first error seen, sticky */
};

/* A record of the answer section before the chain is followed. */
struct raw_rr {
	struct dns_rr rr;
	bool used;
};

/* Records the first error of a reader. */
static void
rd_fail(struct rd *r, const char *why)
{
	if (r->err == NULL)
		r->err = why;
}

/* Reads one byte. */
static uint8_t
rd_u8(struct rd *r)
{
	if (r->err != NULL || r->len - r->off < 1) {
		rd_fail(r, "packet ends inside a field");
		return 0;
	}
	return r->buf[r->off++];
}

/* Reads a 16-bit big-endian value. */
static uint16_t
rd_u16(struct rd *r)
{
	uint16_t v;

	if (r->err != NULL || r->len - r->off < 2) {
		rd_fail(r, "packet ends inside a field");
		return 0;
	}
	v = (uint16_t)(r->buf[r->off] << 8 | r->buf[r->off + 1]);
	r->off += 2;
	return v;
}

/* Reads a 32-bit big-endian value. */
static uint32_t
rd_u32(struct rd *r)
{
	uint32_t hi = rd_u16(r);

	return hi << 16 | rd_u16(r);
}

/* Appends one label byte to a presentation name, escaped and lower-cased. */
static size_t
put_label_byte(char *out, size_t o, uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		c = (uint8_t)(c - 'A' + 'a');
	if (c == '.' || c == '\\' || c == '"' || c == ';' || c == '(' || c == ')' || c == '@' ||
	    c == '$') {
		out[o++] = '\\';
		out[o++] = (char)c;
	} else if (c <= 0x20 || c >= 0x7f) {
		o += (size_t)snprintf(out + o, 5, "\\%03u", c);
	} else {
		out[o++] = (char)c;
	}
	return o;
}

/* Reads a possibly compressed name into out (DNS_NAME_TEXT_MAX bytes) in presentation form. */
static void
rd_name(struct rd *r, char *out)
{
	size_t pos = r->off, lowest = r->off, o = 0, wire = 1;
	bool jumped = false;
	int hops = 0;

	out[0] = '\0';
	if (r->err != NULL)
		return;
	for (;;) {
		uint8_t c;

		if (pos >= r->len) {
			rd_fail(r, "packet ends inside a name");
			return;
		}
		c = r->buf[pos];
		if ((c & 0xc0) == 0xc0) {
			size_t ptr;

			if (pos + 1 >= r->len) {
				rd_fail(r, "packet ends inside a compression pointer");
				return;
			}
			ptr = (size_t)(c & 0x3f) << 8 | r->buf[pos + 1];
			/* Only strictly backward jumps: that alone rules out loops. */
			if (ptr >= lowest || ++hops > DNS_MAX_POINTER_HOPS) {
				rd_fail(r, "bad compression pointer");
				return;
			}
			if (!jumped)
				r->off = pos + 2;
			jumped = true;
			lowest = pos = ptr;
			continue;
		}
		if ((c & 0xc0) != 0) {
			rd_fail(r, "unknown label type");
			return;
		}
		if (c == 0) {
			if (!jumped)
				r->off = pos + 1;
			break;
		}
		if (c > r->len - pos - 1) {
			rd_fail(r, "packet ends inside a label");
			return;
		}
		wire += (size_t)c + 1;
		if (wire > 255) {
			rd_fail(r, "name longer than 255 bytes");
			return;
		}
		for (size_t i = 0; i < c; i++)
			o = put_label_byte(out, o, r->buf[pos + 1 + i]);
		out[o++] = '.';
		pos += (size_t)c + 1;
	}
	if (o == 0)
		out[o++] = '.';
	out[o] = '\0';
}

/* Returns the canonical form of a user-given name. */
char *
dns_name_canon(const char *name)
{
	size_t n = strlen(name);
	char *s = xmalloc(n + 2);

	for (size_t i = 0; i < n; i++)
		s[i] = (name[i] >= 'A' && name[i] <= 'Z') ? (char)(name[i] - 'A' + 'a') : name[i];
	if (n == 0 || s[n - 1] != '.' || (n >= 2 && s[n - 2] == '\\'))
		s[n++] = '.';
	s[n] = '\0';
	return s;
}

/* Sets rr's data to a copy of a NUL-terminated string. */
static void
rr_set_text(struct dns_rr *rr, const char *s)
{
	rr->len = strlen(s);
	rr->data = xstrndup(s, rr->len);
}

/* Reads rdata of known layout into rr; end is the offset where the rdata stops. */
static void
rd_rdata(struct rd *r, struct dns_rr *rr, size_t end)
{
	char name[DNS_NAME_TEXT_MAX], name2[DNS_NAME_TEXT_MAX];
	char addr[INET6_ADDRSTRLEN];
	size_t rdlen = end - r->off;

	switch (rr->type) {
	case DNS_T_A:
	case DNS_T_AAAA: {
		size_t want = rr->type == DNS_T_A ? 4 : 16;

		if (rdlen != want) {
			rd_fail(r, "address record of the wrong length");
			return;
		}
		inet_ntop(rr->type == DNS_T_A ? AF_INET : AF_INET6, r->buf + r->off, addr,
			  sizeof(addr));
		r->off += want;
		rr_set_text(rr, addr);
		return;
	}
	case DNS_T_NS:
	case DNS_T_CNAME:
	case DNS_T_PTR:
		rd_name(r, name);
		if (r->err == NULL)
			rr_set_text(rr, name);
		break;
	case DNS_T_MX:
		rr->pref = rd_u16(r);
		rd_name(r, name);
		if (r->err == NULL)
			rr_set_text(rr, name);
		break;
	case DNS_T_SOA: {
		uint32_t v[5];

		rd_name(r, name);
		rd_name(r, name2);
		for (int i = 0; i < 5; i++)
			v[i] = rd_u32(r);
		if (r->err != NULL)
			return;
		rr->serial = v[0];
		rr->data =
		    xasprintf("%s %s %u %u %u %u %u", name, name2, v[0], v[1], v[2], v[3], v[4]);
		rr->len = strlen(rr->data);
		break;
	}
	case DNS_T_TXT: {
		size_t cap = 0;

		rr->data = xmalloc(rdlen + 1);
		rr->len = 0;
		while (r->err == NULL && r->off < end) {
			uint8_t sl = rd_u8(r);

			if (sl > end - r->off) {
				rd_fail(r, "TXT string runs past its record");
				return;
			}
			memcpy(rr->data + rr->len, r->buf + r->off, sl);
			rr->len += sl;
			r->off += sl;
			if (rr->nstrings == cap) {
				cap = cap ? cap * 2 : 4;
				rr->strlens = xreallocarray(rr->strlens, cap, 1);
			}
			rr->strlens[rr->nstrings++] = sl;
		}
		rr->data[rr->len] = '\0';
		break;
	}
	default: {
		size_t o;

		rr->data = xmalloc(32 + rdlen * 2);
		o = (size_t)sprintf(rr->data, "\\# %zu%s", rdlen, rdlen ? " " : "");
		for (size_t i = 0; i < rdlen; i++)
			o += (size_t)sprintf(rr->data + o, "%02x", r->buf[r->off + i]);
		rr->len = o;
		r->off = end;
		return;
	}
	}
	if (r->err == NULL && r->off != end)
		rd_fail(r, "record data length does not match its contents");
}

/* Reads one resource record; the caller clears rr. Returns its class. */
static uint16_t
rd_rr(struct rd *r, struct dns_rr *rr)
{
	char owner[DNS_NAME_TEXT_MAX];
	uint16_t class, rdlen;

	rd_name(r, owner);
	rr->type = rd_u16(r);
	class = rd_u16(r);
	rr->ttl = rd_u32(r);
	rdlen = rd_u16(r);
	if (r->err != NULL)
		return 0;
	if (rdlen > r->len - r->off) {
		rd_fail(r, "record data runs past the end of the packet");
		return 0;
	}
	rr->name = xstrdup(owner);
	rd_rdata(r, rr, r->off + rdlen);
	return class;
}

/* Orders records canonically: type, preference, then data bytes. */
static int
rr_cmp(const void *a, const void *b)
{
	const struct dns_rr *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c;

	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	if (x->pref != y->pref)
		return x->pref < y->pref ? -1 : 1;
	c = memcmp(x->data, y->data, n);
	if (c != 0)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

/* Returns whether name already appears in the chain (as a start or a target). */
static bool
chain_has(const struct dns_result *res, const char *name)
{
	if (res->qname != NULL && strcmp(res->qname, name) == 0)
		return true;
	for (size_t i = 0; i < res->ncnames; i++)
		if (strcmp(res->cnames[i].data, name) == 0)
			return true;
	return false;
}

/* Moves a record into a growing array. */
static void
push_rr(struct dns_rr **arr, size_t *n, struct dns_rr *rr)
{
	*arr = xreallocarray(*arr, *n + 1, sizeof(**arr));
	(*arr)[(*n)++] = *rr;
	memset(rr, 0, sizeof(*rr));
}

/* Sets an error outcome with a message. */
static int __attribute__((format(printf, 2, 3)))
set_error(struct dns_result *res, const char *fmt, ...)
{
	va_list ap;

	res->outcome = DNS_ERROR;
	free(res->error);
	va_start(ap, fmt);
	res->error = xvasprintf(fmt, ap);
	va_end(ap);
	return -1;
}

/* Follows the CNAME chain from name through the answer records, then takes the records
 * of qtype. Returns the name the chain ends at (borrowed from raw) or NULL on a loop. */
static const char *
take_chain(struct dns_result *res, struct raw_rr *raw, size_t nraw, const char *name,
	   uint16_t qtype, const char **loop_at)
{
	const char *cur = name;

	while (qtype != DNS_T_CNAME) {
		struct raw_rr *cn = NULL;

		for (size_t i = 0; i < nraw && cn == NULL; i++)
			if (!raw[i].used && raw[i].rr.type == DNS_T_CNAME &&
			    strcmp(raw[i].rr.name, cur) == 0)
				cn = &raw[i];
		if (cn == NULL)
			break;
		if (chain_has(res, cn->rr.data) || strcmp(cn->rr.data, name) == 0) {
			*loop_at = cn->rr.data;
			return NULL;
		}
		cn->used = true;
		push_rr(&res->cnames, &res->ncnames, &cn->rr);
		cur = res->cnames[res->ncnames - 1].data;
	}
	for (size_t i = 0; i < nraw; i++) {
		if (raw[i].used || raw[i].rr.type != qtype || strcmp(raw[i].rr.name, cur) != 0)
			continue;
		raw[i].used = true;
		push_rr(&res->rrs, &res->nrrs, &raw[i].rr);
	}
	return cur;
}

/* Reads an answer packet into res. */
int
dns_pkt_parse(const uint8_t *pkt, size_t len, const char *qname, uint16_t qtype,
	      struct dns_result *res, char **follow)
{
	struct rd r = {.buf = pkt, .len = len, .off = 0, .err = NULL};
	char qn[DNS_NAME_TEXT_MAX];
	struct raw_rr *raw = NULL;
	size_t nraw = 0;
	uint16_t flags, qd, an, ns, qt, qc;
	const char *end = NULL, *loop_at = NULL;
	char *want = dns_name_canon(qname);
	int rc = -1;

	*follow = NULL;
	if (len < DNS_HEADER_SIZE) {
		set_error(res, "answer shorter than a DNS header");
		goto out;
	}
	r.off = 2;
	flags = rd_u16(&r);
	qd = rd_u16(&r);
	an = rd_u16(&r);
	ns = rd_u16(&r);
	(void)rd_u16(&r);
	res->rcode = flags & 0x0f;
	if (!(flags & 0x8000) || ((flags >> 11) & 0x0f) != 0) {
		set_error(res, "packet is not an answer to a standard query");
		goto out;
	}
	if (qd != 1) {
		set_error(res, "answer is for a different question");
		goto out;
	}
	rd_name(&r, qn);
	qt = rd_u16(&r);
	qc = rd_u16(&r);
	if (r.err != NULL) {
		set_error(res, "malformed answer: %s", r.err);
		goto out;
	}
	if (strcmp(qn, want) != 0 || qt != qtype || qc != DNS_CLASS_IN) {
		set_error(res, "answer is for a different question");
		goto out;
	}
	if (flags & 0x0200) {
		set_error(res, "answer is truncated");
		goto out;
	}
	for (uint32_t i = 0; i < (uint32_t)an + ns && r.err == NULL; i++) {
		struct raw_rr rr;
		uint16_t class;

		memset(&rr, 0, sizeof(rr));
		class = rd_rr(&r, &rr.rr);
		if (r.err == NULL && i >= an) {
			/* Authority: only the SOA matters, for the negative TTL. */
			if (rr.rr.type == DNS_T_SOA && class == DNS_CLASS_IN) {
				const char *minimum = strrchr(rr.rr.data, ' ') + 1;
				uint32_t m = (uint32_t)strtoul(minimum, NULL, 10);

				res->ttl = rr.rr.ttl < m ? rr.rr.ttl : m;
			}
			dns_rr_clear(&rr.rr);
		} else if (r.err == NULL && class == DNS_CLASS_IN) {
			raw = xreallocarray(raw, nraw + 1, sizeof(*raw));
			raw[nraw++] = rr;
		} else {
			dns_rr_clear(&rr.rr);
		}
	}
	if (r.err != NULL) {
		set_error(res, "malformed answer: %s", r.err);
		goto out;
	}
	switch (res->rcode) {
	case DNS_RCODE_NOERROR:
	case DNS_RCODE_NXDOMAIN:
		break;
	case DNS_RCODE_SERVFAIL:
		res->outcome = DNS_SERVFAIL;
		res->error = xstrdup("the server could not answer (SERVFAIL)");
		rc = 0;
		goto out;
	case DNS_RCODE_REFUSED:
		res->outcome = DNS_REFUSED;
		res->error = xstrdup("the server refused to answer (REFUSED)");
		rc = 0;
		goto out;
	default: {
		char b[16];

		set_error(res, "server answered %s", dns_rcode_name(res->rcode, b, sizeof(b)));
		goto out;
	}
	}
	end = take_chain(res, raw, nraw, want, qtype, &loop_at);
	if (end == NULL) {
		set_error(res, "CNAME loop at %s", loop_at);
		goto out;
	}
	if (res->nrrs > 0) {
		qsort(res->rrs, res->nrrs, sizeof(*res->rrs), rr_cmp);
		res->ttl = res->rrs[0].ttl;
		for (size_t i = 1; i < res->nrrs; i++)
			if (res->rrs[i].ttl < res->ttl)
				res->ttl = res->rrs[i].ttl;
	}
	if (res->rcode == DNS_RCODE_NXDOMAIN)
		res->outcome = DNS_NXDOMAIN;
	else if (res->nrrs > 0)
		res->outcome = DNS_ANSWER;
	else {
		res->outcome = DNS_NODATA;
		if (strcmp(end, want) != 0)
			*follow = xstrdup(end);
	}
	rc = 0;
out:
	for (size_t i = 0; i < nraw; i++)
		dns_rr_clear(&raw[i].rr);
	free(raw);
	free(want);
	return rc;
}
