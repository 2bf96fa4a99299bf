/*
 * Snapshots: the canonical record state of one domain, one entry per watched (name, type),
 * a stable JSON form (the same state always gives the same bytes), and the diff of two
 * snapshots into changes. Pure: no I/O, no clock.
 */
#ifndef MXW_SNAP_H
#define MXW_SNAP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns.h"

/* One watched record set. */
struct snap_set {
	char *name;    /* canonical: lower-case, absolute ("mail.example.com.") */
	uint16_t type; /* DNS_T_* */
	/* What this check saw. */
	enum dns_outcome outcome;
	/* What is known: outcome when it is answer, nodata or nxdomain; else the last known
	 * outcome carried from the previous snapshot (DNS_ERROR when never known). */
	enum dns_outcome known;
	/* Consecutive checks, this one included, whose outcome was unknown; 0 when this
	 * check's is known (dns.lookup-failed reads it). */
	uint32_t failed;
	uint32_t ttl;
	char **records; /* canonical presentation, sorted: "10 mail.example.com.", TXT joined */
	size_t nrecords;
	char **cnames; /* the CNAME chain followed from name: each target in order */
	size_t ncnames;
};

struct snap {
	char *domain;	       /* the configured domain ("example.com") */
	struct snap_set *sets; /* sorted by (name, type) */
	size_t nsets;
};

/* One change between two snapshots. before/after are borrowed from the snapshots. */
struct snap_change {
	const struct snap_set *before;
	const struct snap_set *after;
};

/* Returns an empty snapshot of domain; caller frees with snap_free. */
struct snap *snap_new(const char *domain);
/* Frees a snapshot; NULL does nothing. */
void snap_free(struct snap *s);

/* Records a DNS result as the set (res->qname, res->qtype), replacing any earlier one.
 * An unknown outcome records no records (see snap_carry). */
void snap_put(struct snap *s, const struct dns_result *res);

/* Returns the set (name, type) of s with every other field zeroed (what it held is freed),
 * adding it in order when s lacks it: for code that rebuilds a snapshot from its text
 * (snap_load). name must be canonical; it is copied. Valid until s changes. */
struct snap_set *snap_slot(struct snap *s, const char *name, uint16_t type);

/* Returns the set (name, type) or NULL; name may be given in any case, with or without the
 * trailing dot. */
const struct snap_set *snap_get(const struct snap *s, const char *name, uint16_t type);

/* For every set of cur whose outcome is unknown, keeps the last known state from prev (its
 * records, TTL, chain and known outcome), so that an outage never reads as a removal, and
 * counts the failure on top of prev's. prev may be NULL. */
void snap_carry(struct snap *cur, const struct snap *prev);

/* Returns true when every set of s has a known outcome this check. */
bool snap_all_known(const struct snap *s);

/* Returns the JSON form of a set: {"name","type","outcome","known",["failed",]"ttl",
 * "records","cnames"} ("failed" only when not 0); caller decrefs. */
json_t *snap_set_json(const struct snap_set *set);
/* Returns the stable JSON text of a snapshot; caller frees. */
char *snap_dump(const struct snap *s);
/* Reads snap_dump's text back. Returns 0 and *out, or -1 and *errstr (caller frees). */
int snap_load(const char *text, struct snap **out, char **errstr);
/* As snap_load, through jansson alone: slower, the same result and errors; snap_load falls
 * back to it on text its own reader does not take (tests compare the two). */
int snap_load_json(const char *text, struct snap **out, char **errstr);

/* Lists what changed from before to after: sets present in both whose known state (known
 * outcome, records or CNAME chain) differs, with after known this check. Sets watched in only
 * one of them, TTL-only changes and unknown outcomes are not changes. before may be NULL
 * (first check: no changes). Returns the number of changes and *out (caller frees the array
 * only; its pointers borrow from before and after). */
size_t snap_diff(const struct snap *before, const struct snap *after, struct snap_change **out);

/* Tells whether a and b watch the same sets with the same known state (known outcome,
 * records, CNAME chain) and failure counts: what the rules read. */
bool snap_same_known(const struct snap *a, const struct snap *b);

/* Describes a change between two sets in their JSON form (snap_set_json): the outcome when
 * it changed ("answer -> nxdomain"), then "- record" for each record gone and "+ record" for
 * each record new (CNAME chain entries as "cname NAME"), the parts joined by sep. Returns a
 * new string; caller frees. */
char *snap_describe(json_t *before, json_t *after, const char *sep);

#endif
