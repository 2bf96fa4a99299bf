/* The sending IP rules: PTR present and forward-confirmed. */
#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "rule_int.h"

/* Tells whether a known address set holds ip (compared as addresses). */
static bool
holds(const struct snap_set *set, const char *ip)
{
	unsigned char want[16], got[16];
	int af = strchr(ip, ':') ? AF_INET6 : AF_INET;

	if (inet_pton(af, ip, want) != 1)
		return false;
	for (size_t i = 0; i < set->nrecords; i++)
		if (inet_pton(af, set->records[i], got) == 1 &&
		    memcmp(want, got, af == AF_INET ? 4 : 16) == 0)
			return true;
	return false;
}

/* The PTR rules of every sending IP. */
void
rule_ptr(struct rule_ctx *c)
{
	for (size_t i = 0; i < c->d->nsending_ips; i++) {
		const char *ip = c->d->sending_ips[i];
		char *rev = plan_reverse_name(ip);
		const struct snap_set *ptr = rev ? rule_known(c->cur, rev, DNS_T_PTR) : NULL;
		uint16_t fwd = strchr(ip, ':') ? DNS_T_AAAA : DNS_T_A;
		bool confirmed = false, unknown = false;
		struct finding *f;

		free(rev);
		if (ptr == NULL)
			continue;
		if (rule_empty(ptr) || ptr->nrecords == 0) {
			f = rule_add(
			    c, "ptr.missing", ip,
			    "sending IP %s has no reverse DNS (PTR): large mailbox providers "
			    "reject or junk its mail",
			    ip);
			rule_evidence(f, ptr);
			continue;
		}
		for (size_t j = 0; j < ptr->nrecords; j++) {
			const struct snap_set *a = rule_known(c->cur, ptr->records[j], fwd);

			if (a == NULL)
				unknown = true;
			else if (holds(a, ip))
				confirmed = true;
		}
		if (!confirmed && !unknown) {
			f = rule_add(
			    c, "ptr.not-confirmed", ip,
			    "the reverse name of sending IP %s (%s) does not resolve back to "
			    "it: receivers treat the IP as unidentified",
			    ip, ptr->records[0]);
			rule_evidence(f, ptr);
			for (size_t j = 0; j < ptr->nrecords; j++)
				rule_evidence(f, rule_known(c->cur, ptr->records[j], fwd));
		}
	}
}
