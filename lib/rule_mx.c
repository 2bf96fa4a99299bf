/* The MX rules: missing, null MX mixed, targets without address, aliased, invalid, web host. */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns_pkt.h"
#include "rule_int.h"
#include "xmalloc.h"

/* Returns the target of a canonical MX record ("10 mail.example.com." -> the name). */
const char *
rule_mx_target(const char *record)
{
	const char *sp = strchr(record, ' ');

	return sp ? sp + 1 : record;
}

/* Tells whether an address is private, loopback, link-local or unspecified. */
static bool
private_address(const char *a)
{
	unsigned char b[16];

	if (inet_pton(AF_INET, a, b) == 1)
		return b[0] == 10 || b[0] == 127 || b[0] == 0 ||
		       (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168) ||
		       (b[0] == 169 && b[1] == 254);
	if (inet_pton(AF_INET6, a, b) == 1) {
		static const unsigned char loop[16] = {[15] = 1}, zero[16] = {0};

		return memcmp(b, loop, 16) == 0 || memcmp(b, zero, 16) == 0 ||
		       (b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80);
	}
	return false;
}

/* Tells whether a name ends in label (with its dot), or is it. */
static bool
in_zone(const char *name, const char *zone)
{
	size_t n = strlen(name), z = strlen(zone);

	return n == z ? strcmp(name, zone) == 0
		      : n > z && name[n - z - 1] == '.' && strcmp(name + n - z, zone) == 0;
}

/* Checks one MX target's addresses. */
static void
check_target(struct rule_ctx *c, const struct snap_set *mx, const char *target)
{
	const struct snap_set *a = rule_known(c->cur, target, DNS_T_A);
	const struct snap_set *aaaa = rule_known(c->cur, target, DNS_T_AAAA);
	char literal[64];
	size_t tl = strlen(target);
	struct finding *f;

	snprintf(literal, sizeof(literal), "%.*s", (int)(tl && target[tl - 1] == '.' ? tl - 1 : tl),
		 target);
	{
		unsigned char b[16];

		if (inet_pton(AF_INET, literal, b) == 1 || inet_pton(AF_INET6, literal, b) == 1) {
			f = rule_add(c, "mx.target-invalid", target,
				     "MX target %s is an IP address, not a host name: senders will "
				     "not deliver to it",
				     target);
			rule_evidence(f, mx);
			return;
		}
	}
	if (in_zone(target, "localhost.") || in_zone(target, "invalid.") ||
	    in_zone(target, "local.")) {
		f = rule_add(c, "mx.target-invalid", target,
			     "MX target %s is a special-use name that does not exist on the "
			     "Internet: mail to it cannot be delivered",
			     target);
		rule_evidence(f, mx);
		return;
	}
	if (a == NULL || aaaa == NULL)
		return; /* not known yet: no finding either way */
	if (a->nrecords == 0 && aaaa->nrecords == 0) {
		f = rule_add(
		    c, "mx.target-no-address", target,
		    "MX target %s has no A or AAAA record: mail for %s cannot be delivered "
		    "to it",
		    target, mx->name);
		rule_evidence(f, mx);
		rule_evidence(f, a);
		rule_evidence(f, aaaa);
		return;
	}
	if (a->ncnames > 0 || aaaa->ncnames > 0) {
		f = rule_add(c, "mx.target-cname", target,
			     "MX target %s is an alias (CNAME to %s), which RFC 2181 forbids: "
			     "some senders will refuse or bounce mail",
			     target, a->ncnames ? a->cnames[0] : aaaa->cnames[0]);
		rule_evidence(f, mx);
	}
	{
		bool all_private = true;

		for (size_t i = 0; i < a->nrecords; i++)
			all_private &= private_address(a->records[i]);
		for (size_t i = 0; i < aaaa->nrecords; i++)
			all_private &= private_address(aaaa->records[i]);
		if (all_private) {
			f = rule_add(c, "mx.target-invalid", target,
				     "MX target %s resolves only to private or loopback addresses: "
				     "senders on the Internet cannot reach it",
				     target);
			rule_evidence(f, a);
			rule_evidence(f, aaaa);
		}
	}
}

/* Flags a mail host that is also the web site's name (the apex). */
static void
check_web_host(struct rule_ctx *c, const struct snap_set *mx, const char *host)
{
	char *apex = dns_name_canon(c->d->name);
	struct finding *f;

	if (strcmp(host, apex) == 0 && rule_known(c->cur, apex, DNS_T_A) != NULL &&
	    rule_known(c->cur, apex, DNS_T_A)->nrecords > 0) {
		f = rule_add(c, "mx.target-is-web-host", host,
			     "mail for %s goes to %s, the name that also serves the web site: "
			     "moving the web site (to a CDN or proxy) moves the mail with it",
			     mx->name, host);
		rule_evidence(f, mx);
		rule_evidence(f, rule_known(c->cur, apex, DNS_T_A));
	}
	free(apex);
}

/* The MX rules of every mail name. */
void
rule_mx(struct rule_ctx *c)
{
	for (size_t i = 0; i < c->d->nmail_names; i++) {
		const struct snap_set *mx = rule_known(c->cur, c->d->mail_names[i], DNS_T_MX);
		bool null_mx = false;
		struct finding *f;

		if (mx == NULL)
			continue;
		if (rule_empty(mx)) {
			f = rule_add(c, "mx.missing", mx->name,
				     "%s has no MX record: senders fall back to its address record "
				     "or bounce the mail",
				     mx->name);
			rule_evidence(f, mx);
			check_web_host(c, mx, mx->name); /* the implicit MX */
			continue;
		}
		for (size_t j = 0; j < mx->nrecords; j++)
			null_mx |= strcmp(rule_mx_target(mx->records[j]), ".") == 0;
		if (null_mx && mx->nrecords > 1) {
			f = rule_add(
			    c, "mx.null-mixed", mx->name,
			    "%s has a null MX (\"0 .\", no mail accepted) together with other "
			    "MX records: senders disagree on whether to deliver",
			    mx->name);
			rule_evidence(f, mx);
		}
		for (size_t j = 0; j < mx->nrecords; j++) {
			const char *t = rule_mx_target(mx->records[j]);

			if (strcmp(t, ".") == 0)
				continue;
			check_target(c, mx, t);
			check_web_host(c, mx, t);
		}
	}
}
