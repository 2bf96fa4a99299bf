/* SPF data access: the snapshot adapter, lookups and address helpers. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns_pkt.h"
#include "snap.h"
#include "spf.h"
#include "xmalloc.h"

/* Answers a lookup from a snapshot's known state (carried through an outage). */
static bool
snap_lookup(void *arg, const char *name, uint16_t type, enum dns_outcome *outcome,
	    char *const **records, size_t *n)
{
	const struct snap_set *set = snap_get(arg, name, type);

	*records = NULL;
	*n = 0;
	if (set == NULL)
		return false;
	/* Never known: this check's outcome says why (servfail, timeout, ...). */
	*outcome = dns_outcome_is_known(set->known) ? set->known : set->outcome;
	if (set->known == DNS_ANSWER) {
		*records = set->records;
		*n = set->nrecords;
	}
	return true;
}

/* Makes d answer from a snapshot. */
void
spf_dns_from_snap(struct spf_dns *d, const struct snap *s)
{
	d->lookup = snap_lookup;
	d->arg = (void *)(uintptr_t)s; /* read only: snap_lookup takes it back as const */
}

/* Looks (name, type) up. */
bool
spf_lookup(const struct spf_dns *dns, const char *name, uint16_t type, enum dns_outcome *o,
	   char *const **rec, size_t *n)
{
	char *canon = dns_name_canon(name);
	bool found;

	*rec = NULL;
	*n = 0;
	*o = DNS_ERROR;
	found = dns->lookup(dns->arg, canon, type, o, rec, n);
	free(canon);
	if (found && *o != DNS_ANSWER) {
		*rec = NULL;
		*n = 0;
	}
	return found;
}

/* Parses an address. */
bool
spf_ip_parse(const char *s, unsigned char addr[16], bool *v4)
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	memset(addr, 0, 16);
	*v4 = false;
	if (s == NULL)
		return false;
	if (inet_pton(AF_INET, s, addr) == 1) {
		*v4 = true;
		return true;
	}
	if (inet_pton(AF_INET6, s, addr) != 1)
		return false;
	if (memcmp(addr, mapped, 12) == 0) { /* IPv4-mapped: checked as IPv4 (§5) */
		memmove(addr, addr + 12, 4);
		memset(addr + 4, 0, 12);
		*v4 = true;
	}
	return true;
}

/* Compares the first bits of two addresses. */
bool
spf_ip_match(const unsigned char *a, const unsigned char *b, int bits)
{
	int full = bits / 8, rest = bits % 8;

	if (memcmp(a, b, (size_t)full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((a[full] ^ b[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

/* Builds the reverse name of an address. */
char *
spf_reverse_name(const unsigned char addr[16], bool v4)
{
	char *out, *p;

	if (v4)
		return xasprintf("%u.%u.%u.%u.in-addr.arpa.", addr[3], addr[2], addr[1], addr[0]);
	out = xmalloc(64 + sizeof("ip6.arpa."));
	p = out;
	for (int i = 15; i >= 0; i--)
		p += sprintf(p, "%x.%x.", addr[i] & 15, addr[i] >> 4);
	strcpy(p, "ip6.arpa.");
	return out;
}

/* Returns an MX record's target. */
const char *
spf_mx_target(const char *rec)
{
	const char *sp = strchr(rec, ' ');

	return sp != NULL ? sp + 1 : rec;
}
