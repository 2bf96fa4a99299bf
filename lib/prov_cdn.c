#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "prov_int.h"
#include "xmalloc.h"

/* Reads an IPv4 or IPv6 address as 16 bytes (IPv4 mapped); returns the bits it has, or 0. */
static unsigned
parse_addr(const char *s, uint8_t a[16])
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (inet_pton(AF_INET, s, a + 12) == 1) {
		memcpy(a, mapped, sizeof(mapped));
		return 32;
	}
	if (inet_pton(AF_INET6, s, a) == 1)
		return 128;
	return 0;
}

static bool parse_cidr(const char *s, struct prov_range *r);

/* Tells whether a range is valid. */
bool
prov_cidr_ok(const char *cidr)
{
	struct prov_range r;

	return parse_cidr(cidr, &r);
}

/* Reads "ADDR/LEN" (or a bare ADDR, one address) into r; false when it is not a range or
 * the address has bits set past the prefix. */
static bool
parse_cidr(const char *s, struct prov_range *r)
{
	const char *slash = strchr(s, '/');
	char addr[INET6_ADDRSTRLEN];
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned bits, len = 0;

	if (alen == 0 || alen >= sizeof(addr))
		return false;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if ((bits = parse_addr(addr, r->start)) == 0)
		return false;
	if (slash == NULL) {
		len = bits;
	} else {
		const char *d = slash + 1;

		if (*d == '\0' || strlen(d) > 3)
			return false;
		for (; *d != '\0'; d++) {
			if (*d < '0' || *d > '9')
				return false;
			len = len * 10 + (unsigned)(*d - '0');
		}
		if (len > bits)
			return false;
	}
	len += 128 - bits;
	for (unsigned i = 0; i < 16; i++) {
		unsigned keep = len >= 8 * (i + 1) ? 8 : (len > 8 * i ? len - 8 * i : 0);
		uint8_t host = (uint8_t)(0xffu >> keep);

		if (r->start[i] & host)
			return false;
		r->end[i] = r->start[i] | host;
	}
	return true;
}

/* Returns the interned copy of a CDN name. */
static const char *
intern(struct prov *p, const char *name)
{
	for (size_t i = 0; i < p->nnames; i++)
		if (strcmp(p->names[i], name) == 0)
			return p->names[i];
	p->names = xreallocarray(p->names, p->nnames + 1, sizeof(*p->names));
	return p->names[p->nnames++] = xstrdup(name);
}

/* Adds one range. */
bool
prov_cdn_add(struct prov *p, const char *cidr, const char *name)
{
	struct prov_range r;

	if (!parse_cidr(cidr, &r))
		return false;
	r.name = intern(p, name);
	p->ranges = xreallocarray(p->ranges, p->nranges + 1, sizeof(*p->ranges));
	p->ranges[p->nranges++] = r;
	return true;
}

/* Reads a cdn-ranges line. */
int
prov_parse_cdn(struct prov *p, char **f, size_t nf, char **why)
{
	if (nf != 2) {
		*why = xstrdup("expected \"CIDR NAME\"");
		return -1;
	}
	if (!prov_cdn_add(p, f[0], f[1])) {
		*why = xasprintf("bad CIDR \"%s\"", f[0]);
		return -1;
	}
	return 0;
}

/* Orders ranges by start, the wider first. */
static int
range_cmp(const void *x, const void *y)
{
	const struct prov_range *a = x, *b = y;
	int c = memcmp(a->start, b->start, 16);

	return c != 0 ? c : memcmp(b->end, a->end, 16);
}

/* Sorts the ranges and keeps only the outermost: CIDR ranges nest or are disjoint. */
void
prov_cdn_finish(struct prov *p)
{
	size_t kept = 0;

	if (p->nranges == 0)
		return;
	qsort(p->ranges, p->nranges, sizeof(*p->ranges), range_cmp);
	for (size_t i = 0; i < p->nranges; i++) {
		if (kept > 0 && memcmp(p->ranges[i].start, p->ranges[kept - 1].end, 16) <= 0)
			continue;
		p->ranges[kept++] = p->ranges[i];
	}
	p->nranges = kept;
}

/* Finds the CDN of an address. */
const char *
prov_cdn(const struct prov *p, const char *address)
{
	uint8_t a[16];
	size_t lo = 0, hi = p->nranges;

	if (parse_addr(address, a) == 0)
		return NULL;
	/* The last range starting at or before a is the only one that can hold it. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (memcmp(p->ranges[mid].start, a, 16) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || memcmp(a, p->ranges[lo - 1].end, 16) > 0)
		return NULL;
	return p->ranges[lo - 1].name;
}

/* Frees what cdn-ranges and the caller's ranges added. */
void
prov_cdn_free(struct prov *p)
{
	for (size_t i = 0; i < p->nnames; i++)
		free(p->names[i]);
	free(p->names);
	free(p->ranges);
}
