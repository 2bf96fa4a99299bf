/* The rules that compare two states: dns.changed, mx.target-moved, ptr.changed. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "rule_int.h"
#include "xmalloc.h"

/* Tells whether name is a target of a known MX set of the domain's mail names. */
static bool
is_mx_target(const struct rule_ctx *c, const char *name)
{
	for (size_t i = 0; i < c->d->nmail_names; i++) {
		const struct snap_set *mx = rule_known(c->cur, c->d->mail_names[i], DNS_T_MX);

		for (size_t j = 0; mx != NULL && j < mx->nrecords; j++)
			if (strcmp(rule_mx_target(mx->records[j]), name) == 0)
				return true;
	}
	return false;
}

/* Every change between the two states, and what some of them mean. */
void
rule_changes(struct rule_ctx *c)
{
	struct snap_change *ch;
	size_t n = snap_diff(c->prev, c->cur, &ch);
	char tb[16];

	for (size_t i = 0; i < n; i++) {
		const struct snap_set *b = ch[i].before, *a = ch[i].after;
		json_t *jb = snap_set_json(b), *ja = snap_set_json(a);
		char *what = snap_describe(jb, ja, "; ");
		char *subject = xasprintf("%s %s", a->name, dns_type_name(a->type, tb, sizeof(tb)));
		struct finding *f;

		f = rule_add(c, "dns.changed", subject, "%s changed: %s", subject, what);
		rule_evidence_as(f, b, "before: ");
		rule_evidence_as(f, a, "after: ");
		if ((a->type == DNS_T_A || a->type == DNS_T_AAAA) && b->nrecords > 0 &&
		    a->nrecords > 0 && is_mx_target(c, a->name)) {
			f = rule_add(
			    c, "mx.target-moved", a->name,
			    "the addresses of MX target %s changed (%s): check that the new "
			    "host accepts the mail",
			    a->name, what);
			rule_evidence(f, b);
			rule_evidence(f, a);
		}
		if (a->type == DNS_T_PTR && b->nrecords > 0) {
			f = rule_add(c, "ptr.changed", a->name, "the reverse DNS %s changed: %s",
				     a->name, what);
			rule_evidence(f, b);
			rule_evidence(f, a);
		}
		free(what);
		free(subject);
		json_decref(jb);
		json_decref(ja);
	}
	free(ch);
	rule_dmarc_weakened(c);
}
