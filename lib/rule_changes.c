/* The rules about the DNS data itself: dns.lookup-failed on one state, and those that
 * compare two states: dns.changed, mx.target-moved, ptr.changed. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "rule_int.h"
#include "xmalloc.h"

/* Tells whether name is a target of a known MX set of the domain's mail names, or a mail
 * name without MX (its own address is the implicit MX). */
static bool
is_mx_target(const struct rule_ctx *c, const char *name)
{
	for (size_t i = 0; i < c->d->nmail_names; i++) {
		const struct snap_set *mx = rule_known(c->cur, c->d->mail_names[i], DNS_T_MX);

		if (mx != NULL && rule_empty(mx) && strcmp(mx->name, name) == 0)
			return true;
		for (size_t j = 0; mx != NULL && j < mx->nrecords; j++)
			if (strcmp(rule_mx_target(mx->records[j]), name) == 0)
				return true;
	}
	return false;
}

/* Returns the sending IP whose reverse name is name, or NULL. */
static const char *
sending_ip_of(const struct rule_ctx *c, const char *name)
{
	for (size_t i = 0; i < c->d->nsending_ips; i++) {
		char *rev = plan_reverse_name(c->d->sending_ips[i]);
		bool same = rev != NULL && strcmp(rev, name) == 0;

		free(rev);
		if (same)
			return c->d->sending_ips[i];
	}
	return NULL;
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
		if (a->type == DNS_T_PTR && b->nrecords > 0 && a->nrecords > 0) {
			/* Removed is ptr.missing's. The subject is the IP, as for ptr.*. */
			const char *ip = sending_ip_of(c, a->name);

			if (ip != NULL)
				f = rule_add(c, "ptr.changed", ip,
					     "the reverse DNS of sending IP %s changed (%s): "
					     "receivers that check it see another name",
					     ip, what);
			else
				f = rule_add(c, "ptr.changed", a->name,
					     "the reverse DNS %s changed (%s)", a->name, what);
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

/* dns.lookup-failed: a watched set whose answer stayed unknown for confirm_after checks in
 * a row. Its last known records stay what the other rules read. */
void
rule_lookup_failed(struct rule_ctx *c)
{
	char tb[16], when[48];

	for (size_t i = 0; i < c->cur->nsets; i++) {
		const struct snap_set *set = &c->cur->sets[i];
		char *subject;
		struct finding *f;

		if (set->failed < c->confirm_after || dns_outcome_is_known(set->outcome))
			continue;
		subject = xasprintf("%s %s", set->name, dns_type_name(set->type, tb, sizeof(tb)));
		if (set->failed == 1)
			snprintf(when, sizeof(when), "in the last check");
		else
			snprintf(when, sizeof(when), "in %u checks in a row",
				 (unsigned)set->failed);
		f = rule_add(c, "dns.lookup-failed", subject,
			     "%s could not be looked up (%s) %s: changes to it go unseen; %s",
			     subject, dns_outcome_name(set->outcome), when,
			     dns_outcome_is_known(set->known)
				 ? "the rules keep reading its last known records"
				 : "it was never known");
		if (dns_outcome_is_known(set->known))
			rule_evidence_as(f, set, "last known: ");
		free(subject);
	}
}
