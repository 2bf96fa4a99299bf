#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns.h"

static const struct {
	uint16_t type;
	const char *name;
} dns_types[] = {
    {DNS_T_A, "A"},	{DNS_T_NS, "NS"}, {DNS_T_CNAME, "CNAME"}, {DNS_T_SOA, "SOA"},
    {DNS_T_PTR, "PTR"}, {DNS_T_MX, "MX"}, {DNS_T_TXT, "TXT"},	  {DNS_T_AAAA, "AAAA"},
};

/* Names an outcome. */
const char *
dns_outcome_name(enum dns_outcome o)
{
	static const char *const names[] = {"answer",  "nodata",  "nxdomain", "servfail",
					    "refused", "timeout", "error"};

	return (unsigned)o <= DNS_ERROR ? names[o] : "error";
}

/* Parses an outcome name. */
bool
dns_outcome_parse(const char *s, enum dns_outcome *o)
{
	for (int i = DNS_ANSWER; i <= DNS_ERROR; i++) {
		if (strcmp(s, dns_outcome_name((enum dns_outcome)i)) == 0) {
			*o = (enum dns_outcome)i;
			return true;
		}
	}
	return false;
}

/* Tells whether an outcome states what is in the DNS. */
bool
dns_outcome_is_known(enum dns_outcome o)
{
	return o == DNS_ANSWER || o == DNS_NODATA || o == DNS_NXDOMAIN;
}

/* Names an RR type. */
const char *
dns_type_name(uint16_t type, char *buf, size_t size)
{
	for (size_t i = 0; i < sizeof(dns_types) / sizeof(dns_types[0]); i++) {
		if (dns_types[i].type == type) {
			snprintf(buf, size, "%s", dns_types[i].name);
			return buf;
		}
	}
	snprintf(buf, size, "TYPE%u", type);
	return buf;
}

/* Parses an RR type name. */
bool
dns_type_parse(const char *s, uint16_t *type)
{
	char *end;
	unsigned long v;

	for (size_t i = 0; i < sizeof(dns_types) / sizeof(dns_types[0]); i++) {
		if (strcasecmp(s, dns_types[i].name) == 0) {
			*type = dns_types[i].type;
			return true;
		}
	}
	if (strncasecmp(s, "TYPE", 4) != 0 || s[4] < '0' || s[4] > '9')
		return false;
	v = strtoul(s + 4, &end, 10);
	if (*end != '\0' || v == 0 || v > 65535)
		return false;
	*type = (uint16_t)v;
	return true;
}

/* Names a response code. */
const char *
dns_rcode_name(int rcode, char *buf, size_t size)
{
	static const char *const names[] = {"NOERROR",	"FORMERR", "SERVFAIL",
					    "NXDOMAIN", "NOTIMP",  "REFUSED"};

	if (rcode >= 0 && rcode < (int)(sizeof(names) / sizeof(names[0])))
		snprintf(buf, size, "%s", names[rcode]);
	else
		snprintf(buf, size, "RCODE%d", rcode);
	return buf;
}

/* Frees a record's contents. */
void
dns_rr_clear(struct dns_rr *rr)
{
	free(rr->name);
	free(rr->data);
	free(rr->strlens);
	memset(rr, 0, sizeof(*rr));
}

/* Frees a result's contents. */
void
dns_result_clear(struct dns_result *res)
{
	for (size_t i = 0; i < res->ncnames; i++)
		dns_rr_clear(&res->cnames[i]);
	for (size_t i = 0; i < res->nrrs; i++)
		dns_rr_clear(&res->rrs[i]);
	free(res->cnames);
	free(res->rrs);
	free(res->qname);
	free(res->error);
	memset(res, 0, sizeof(*res));
}
