/* Bounds-checked reading of DNS answer packets into struct dns_result. Pure: no I/O. */
#ifndef MXW_DNS_PKT_H
#define MXW_DNS_PKT_H

#include <stddef.h>
#include <stdint.h>

#include "dns.h"

/* Longest presentation form of a name, escapes included, plus the NUL. */
#define DNS_NAME_TEXT_MAX 1025

/*
 * Reads the answer pkt to the question (qname, qtype) into res. res->cnames may already
 * hold the chain followed so far (it is extended; a repeated name is a loop); res->rrs
 * must be empty. Sets outcome, rcode, cnames, rrs and ttl. A malformed packet, an answer
 * to another question or a CNAME loop sets outcome DNS_ERROR and res->error, and
 * returns -1; otherwise returns 0. When the chain ends at a target the packet says
 * nothing about (NOERROR, no data), *follow is set to that target (caller frees) so the
 * caller can ask for it; else *follow is NULL.
 */
int dns_pkt_parse(const uint8_t *pkt, size_t len, const char *qname, uint16_t qtype,
		  struct dns_result *res, char **follow);

/* Returns the canonical form of a name (lower-case ASCII, trailing dot); caller frees. */
char *dns_name_canon(const char *name);

#endif
