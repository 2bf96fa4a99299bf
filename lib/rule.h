/*
 * The rule engine: (domain configuration, previous snapshot, current snapshot) -> findings.
 * Rule ids and default severities are the public catalogue of DESIGN §6. Pure: no I/O, no
 * clock. Rules read the known state of each set (snap_carry keeps the last known records
 * through an outage), so an unknown answer never fires a rule by itself.
 */
#ifndef MXW_RULE_H
#define MXW_RULE_H

#include <stdbool.h>
#include <stddef.h>

#include "cfg.h"
#include "prov.h"
#include "severity.h"
#include "snap.h"

/* One entry of the catalogue. */
struct rule_info {
	const char *id;
	enum severity severity; /* the default */
	const char *summary;
	/* A change between two states (dns.changed, mx.target-moved, ptr.changed,
	 * dmarc.weakened): found once, in the check that saw the change, so it is notified at
	 * once and never resolves, instead of going through confirm_after and resolve_after. */
	bool event;
};

/* Returns the catalogue entry of id, or NULL. */
const struct rule_info *rule_lookup(const char *id);
/* Returns the whole catalogue and its size in *n. */
const struct rule_info *rule_catalogue(size_t *n);

struct finding {
	const char *rule; /* a catalogue id (static) */
	enum severity severity;
	char *domain;
	char *subject;	 /* the name or IP the finding is about */
	char *message;	 /* one sentence: what is wrong and what it breaks */
	char **evidence; /* the records behind it, "NAME TYPE DATA" */
	size_t nevidence;
	bool regression; /* the previous snapshot did not have the same finding */
};

struct findings {
	struct finding *v;
	size_t n;
};

/* What the rules read besides the domain and its snapshots. */
struct rule_env {
	const struct prov *prov; /* provider knowledge; NULL: the provider rules are skipped */
	unsigned confirm_after;	 /* dns.lookup-failed: checks a set stays unknown; 0 means 1 */
	long long now;		 /* seconds since the epoch, for SPF's %{t} macro */
};

/* Evaluates every rule for domain d on cur, with prev (may be NULL) as the last known
 * state, appending to out (which the caller clears with findings_clear). env may be NULL
 * (no provider knowledge, confirm_after 1). Sorted by rule, then subject. */
void rule_eval(const struct rule_env *env, const struct cfg_domain *d, const struct snap *prev,
	       const struct snap *cur, struct findings *out);

/* Frees what out holds and empties it. */
void findings_clear(struct findings *out);

/* Returns the JSON line object of a finding (DESIGN §8); caller decrefs. */
json_t *finding_json(const struct finding *f);

#endif
