/*
 * The query plan: which record sets of a domain are watched (DESIGN §5), including the
 * follow-up queries that depend on answers (MX targets' addresses, the SPF include and
 * redirect chain, PTR names' addresses). Pure: no I/O.
 */
#ifndef MXW_PLAN_H
#define MXW_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "cfg.h"
#include "dns.h"
#include "snap.h"

/* How deep the SPF include/redirect chain is followed (RFC 7208 allows 10 lookups). */
#define PLAN_SPF_MAX_DEPTH 10

struct plan_query {
	char *name;	/* canonical, absolute */
	uint16_t type;	/* DNS_T_* */
	unsigned depth; /* SPF include depth: 0 for the domain's own names */
};

/* Returns the first queries for domain d in *out (caller frees with plan_free). */
size_t plan_first(const struct cfg_domain *d, struct plan_query **out);

/* Returns the queries that the answer res to a query of the given depth calls for. */
size_t plan_next(const struct cfg_domain *d, const struct dns_result *res, unsigned depth,
		 struct plan_query **out);

/* Returns the queries that the last known state of a set calls for: used when this check's
 * answer for the set is unknown, so that what depends on it stays watched. */
size_t plan_next_known(const struct cfg_domain *d, const struct snap_set *set, unsigned depth,
		       struct plan_query **out);

/* Frees a list of queries. */
void plan_free(struct plan_query *q, size_t n);

/* Returns the reverse-lookup name of an IPv4 or IPv6 address ("10.113.0.203.in-addr.arpa."),
 * or NULL when ip is not an address; caller frees. */
char *plan_reverse_name(const char *ip);

/* Returns what check_host() reads for the SPF record text found at domain, the record
 * itself read at the given include depth: TXT of include and redirect targets (depth + 1;
 * redirect only without "all"; nothing at all from a record at PLAN_SPF_MAX_DEPTH), A and AAAA of a
 * targets, MX of mx targets (their addresses follow from the MX answer), A of exists targets.
 * Targets with macros are skipped; a record that does not parse (or is not SPF) gives nothing.
 * Caller frees with plan_free. */
size_t plan_spf(const char *text, const char *domain, unsigned depth, struct plan_query **out);

#endif
