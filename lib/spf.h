/*
 * SPF (RFC 7208): parsing one record, counting the DNS lookups of an include/redirect
 * tree, check_host() for an IP, and the list of (name, type) an evaluation needs.
 * Pure: DNS data comes in through struct spf_dns; no I/O, no clock, no globals.
 */
#ifndef MXW_SPF_H
#define MXW_SPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns.h"

struct snap;

/* check_host() results (RFC 7208 §2.6). */
enum spf_result {
	SPF_NONE,
	SPF_NEUTRAL,
	SPF_PASS,
	SPF_FAIL,
	SPF_SOFTFAIL,
	SPF_TEMPERROR,
	SPF_PERMERROR,
};

enum spf_mech {
	SPF_M_ALL,
	SPF_M_INCLUDE,
	SPF_M_A,
	SPF_M_MX,
	SPF_M_PTR,
	SPF_M_IP4,
	SPF_M_IP6,
	SPF_M_EXISTS,
};

/* One directive ([qualifier] mechanism). */
struct spf_term {
	enum spf_mech mech;
	enum spf_result qual;	/* SPF_PASS, SPF_FAIL, SPF_SOFTFAIL or SPF_NEUTRAL */
	char *text;		/* the term as written ("-ip4:192.0.2.0/24") */
	char *domain;		/* include/a/mx/ptr/exists domain-spec; NULL when absent */
	unsigned char addr[16]; /* ip4 (first 4 bytes) / ip6 network */
	int cidr4;		/* ip4, a, mx: prefix length, 32 when absent */
	int cidr6;		/* ip6, a, mx: prefix length, 128 when absent */
};

/* One parsed record. */
struct spf_record {
	struct spf_term *terms;
	size_t nterms;
	char *redirect; /* redirect= domain-spec, NULL when absent */
	char *exp;	/* exp= domain-spec, NULL when absent */
	bool has_all;	/* an "all" mechanism is present (redirect is then ignored) */
};

/* Parses one SPF record ("v=spf1 ..."). Returns 0 and *out (caller frees with
 * spf_record_free), or -1 and *errstr (caller frees) naming the bad term:
 * "permerror: ip4:300.1.1.1 is not an IPv4 network". */
int spf_parse(const char *text, struct spf_record **out, char **errstr);
/* Frees a record; NULL does nothing. */
void spf_record_free(struct spf_record *r);

/* True when txt is an SPF record: "v=spf1" (any case) followed by a space or the end. */
bool spf_is_record(const char *txt);
/* Returns how many of the n TXT records are SPF records (more than one is a permerror). */
size_t spf_count_records(char *const *txt, size_t n);

/* Returns "none", "neutral", "pass", "fail", "softfail", "temperror" or "permerror". */
const char *spf_result_name(enum spf_result r);

/* Checks the macro-string s[0..len): letters c, r and t only when exp is true; *ends_macro
 * tells whether it ends with a macro-expand. Returns 0, or -1 and *why (a static phrase
 * such as "an unknown macro letter"). */
int spf_macro_check(const char *s, size_t len, bool exp, bool *ends_macro, const char **why);

/* The DNS data an SPF module reads. lookup answers (name, type): false when the data
 * holds nothing about it ("not fetched"); else true, *outcome, and for DNS_ANSWER the
 * records in canonical form (as struct snap_set: TXT joined, MX "PREF TARGET.", A/AAAA
 * addresses, PTR "name."), borrowed while the data lives. name is canonical
 * (lower-case, trailing dot). */
struct spf_dns {
	bool (*lookup)(void *arg, const char *name, uint16_t type, enum dns_outcome *outcome,
		       char *const **records, size_t *n);
	void *arg;
};

/* Answers lookups from a snapshot (borrowed; must outlive d): a set absent from it is
 * "not fetched"; a set's known state is the answer (the last known records when this
 * check's answer is unknown, see snap_carry; unknown when never known), so that an outage
 * neither raises nor clears an SPF finding. */
void spf_dns_from_snap(struct spf_dns *d, const struct snap *s);

/* What an evaluation is about. */
struct spf_query {
	const char *ip;	      /* client address, IPv4 or IPv6 text */
	const char *domain;   /* the domain whose SPF is checked */
	const char *sender;   /* MAIL FROM "local@domain"; NULL: "postmaster@<domain>" */
	const char *helo;     /* %{h}; NULL: the domain */
	const char *receiver; /* %{r}; NULL: "unknown" */
	long long now;	      /* %{t}: seconds since the epoch, from the caller */
};

/* The outcome of check_host(). */
struct spf_eval {
	enum spf_result result;
	/* The matched term with the includes that led to it, " > " between them
	 * ("include:_spf.example.net > ip4:192.0.2.0/24"); NULL for none and the default
	 * neutral. */
	char *term;
	char *why; /* for temperror/permerror/none: a sentence saying why; else NULL */
};

/* Evaluates check_host() (RFC 7208 §4) for q over dns. Returns 0 and fills *out (clear
 * with spf_eval_clear), or -1 and *errstr (caller frees) when q->ip is not an address. */
int spf_check_host(const struct spf_dns *dns, const struct spf_query *q, struct spf_eval *out,
		   char **errstr);
/* Frees what an evaluation holds (not the struct). */
void spf_eval_clear(struct spf_eval *e);

/* Expands a macro-string (RFC 7208 §7) for q with <domain> = domain; validated names over
 * 253 bytes lose their left labels. Returns a new string or NULL when s is not valid. */
char *spf_expand(const char *s, const struct spf_query *q, const char *domain, bool exp);

enum spf_count_status {
	SPF_COUNT_OK,
	SPF_COUNT_NONE,		 /* the domain has no SPF record */
	SPF_COUNT_TOO_MANY,	 /* more than 10 lookups, an include loop or a tree too deep */
	SPF_COUNT_TOO_MANY_VOID, /* more than 2 void lookups */
	SPF_COUNT_PERMERROR,	 /* syntax, multiple records, include without SPF, MX > 10 */
	SPF_COUNT_UNKNOWN,	 /* an include/redirect target's TXT is unknown or not fetched */
};

#define SPF_MAX_LOOKUPS 10
#define SPF_MAX_VOID 2
#define SPF_MAX_DEPTH 10

/* The lookup accounting of a domain's SPF tree. */
struct spf_count {
	enum spf_count_status status;
	unsigned lookups;      /* DNS-querying terms over the whole tree */
	unsigned void_lookups; /* a/mx/exists targets known empty (NODATA/NXDOMAIN) */
	bool macros;	       /* some target holds macros: counted, not followed */
	char *why;	       /* a sentence for every status but ok; caller frees */
};

/* Counts the lookups of domain's SPF tree (RFC 7208 §4.6.4). Unknown beats too-many and
 * ok: only a permerror seen in known data wins over it. Fills *out. */
void spf_count(const struct spf_dns *dns, const char *domain, struct spf_count *out);
/* Frees what a count holds (not the struct). */
void spf_count_clear(struct spf_count *c);

/* One (name, type) an evaluation needs. */
struct spf_need {
	char *name; /* canonical */
	uint16_t type;
};

/* Lists every (name, type) check_host(q) could read, given what dns already holds: the
 * TXT of q->domain and of every include/redirect target, A/AAAA of a targets (per the
 * family of q->ip; both when q->ip is NULL), MX and the MX targets' addresses, A of
 * exists targets, PTR of the IP and its names' addresses. Targets with macros are
 * expanded for q (skipped when q->ip is NULL). Call again after fetching what was
 * missing until the list stops growing. Returns the count and *out (free with
 * spf_needs_free). */
size_t spf_needed(const struct spf_dns *dns, const struct spf_query *q, struct spf_need **out);
/* Frees a list from spf_needed. */
void spf_needs_free(struct spf_need *v, size_t n);

/* Module-internal helpers shared by spf*.c. */

/* Parses an address into 16 bytes; *v4 set for IPv4 (bytes 0-3) and IPv4-mapped IPv6. */
bool spf_ip_parse(const char *s, unsigned char addr[16], bool *v4);
/* True when the first bits of a and b agree. */
bool spf_ip_match(const unsigned char *a, const unsigned char *b, int bits);
/* Returns the reverse name of an address ("4.3.2.1.in-addr.arpa."); caller frees. */
char *spf_reverse_name(const unsigned char addr[16], bool v4);
/* Looks (name, type) up, name in any form. false when not fetched. */
bool spf_lookup(const struct spf_dns *dns, const char *name, uint16_t type, enum dns_outcome *o,
		char *const **rec, size_t *n);
/* Returns the target of a canonical MX record ("10 mx.example.com." -> "mx.example.com.").*/
const char *spf_mx_target(const char *rec);

#endif
