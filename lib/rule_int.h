/* What the rule files share: the evaluation context and small helpers. */
#ifndef MXW_RULE_INT_H
#define MXW_RULE_INT_H

#include "rule.h"

struct rule_ctx {
	const struct prov *prov; /* provider knowledge; NULL: those rules are skipped */
	unsigned confirm_after;	 /* at least 1 */
	long long now;
	const struct cfg_domain *d;
	const struct snap *prev; /* NULL on a first check */
	const struct snap *cur;
	struct findings *out;
};

/* A set of s whose state is known, or NULL. */
const struct snap_set *rule_known(const struct snap *s, const char *name, uint16_t type);
/* True when a known set says there are no records. */
bool rule_empty(const struct snap_set *set);
/* Appends a finding; returns it for evidence. */
struct finding *rule_add(struct rule_ctx *c, const char *rule, const char *subject, const char *fmt,
			 ...) __attribute__((format(printf, 4, 5)));
/* Appends a set's records (or its outcome) to a finding's evidence. */
void rule_evidence(struct finding *f, const struct snap_set *set);
/* As rule_evidence, each line starting with prefix ("before: "). */
void rule_evidence_as(struct finding *f, const struct snap_set *set, const char *prefix);

/* The target of a canonical MX record ("10 mail.example.com." -> "mail.example.com."). */
const char *rule_mx_target(const char *record);

/* True for "feedback-smtp.REGION.amazonses.com."; copies REGION (64 bytes) when asked. */
bool rule_ses_feedback(const char *host, char *region);

/* The rule families. */
void rule_mx(struct rule_ctx *c);
void rule_mailfrom(struct rule_ctx *c);
void rule_auth(struct rule_ctx *c);
void rule_ptr(struct rule_ctx *c);
void rule_changes(struct rule_ctx *c);
void rule_lookup_failed(struct rule_ctx *c);
void rule_dmarc_weakened(struct rule_ctx *c);
void rule_prov(struct rule_ctx *c);

#endif
