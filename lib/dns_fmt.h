/* Stable text and JSON forms of DNS results, for people and for scripts. */
#ifndef MXW_DNS_FMT_H
#define MXW_DNS_FMT_H

#include <jansson.h>
#include <stdio.h>

#include "dns.h"

/* Returns the presentation form of a record's data (TXT quoted per string, bytes
 * outside printable ASCII escaped as \DDD); caller frees. */
char *dns_fmt_rdata(const struct dns_rr *rr);

/* Returns the canonical one-string form of a record's data, as snapshots keep it: MX
 * "PREF TARGET", TXT its strings joined (backslash and bytes outside printable ASCII
 * escaped as \DDD), others as dns_rr.data; caller frees. */
char *dns_fmt_canon(const struct dns_rr *rr);

/* Writes a result: a header line "QNAME TYPE OUTCOME[ (why)]", then one line per CNAME
 * and per record, "OWNER TTL TYPE DATA". */
void dns_fmt_text(FILE *out, const struct dns_result *res);

/* Returns a new JSON object for a result (caller decrefs):
 * {"name","type","outcome","rcode","ttl","cnames":[...],"records":[...],"error"?}. */
json_t *dns_fmt_json(const struct dns_result *res);

#endif
