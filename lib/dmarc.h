/*
 * DMARC policy records (RFC 7489, with the DMARCbis tags np=, t= and psd=): parsing,
 * choosing the record among the TXT records of _dmarc.NAME, the organisational domain
 * (Public Suffix List, through libpsl's built-in copy), whether a change weakened the
 * policy, and a canonical one-line description for evidence. Pure: no I/O.
 */
#ifndef MXW_DMARC_H
#define MXW_DMARC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Policies, ordered from weakest to strongest. */
enum dmarc_policy { DMARC_POLICY_NONE, DMARC_POLICY_QUARANTINE, DMARC_POLICY_REJECT };

/* Identifier alignment modes (adkim=, aspf=). */
enum dmarc_align { DMARC_ALIGN_RELAXED, DMARC_ALIGN_STRICT };

/* The DMARCbis psd= tag: u (the default) when the record does not say. */
enum dmarc_psd { DMARC_PSD_UNKNOWN, DMARC_PSD_YES, DMARC_PSD_NO };

/* Failure reporting options (fo=), as bits. */
#define DMARC_FO_0 0x1u
#define DMARC_FO_1 0x2u
#define DMARC_FO_D 0x4u
#define DMARC_FO_S 0x8u

/* One reporting URI of rua= or ruf=. */
struct dmarc_uri {
	char *uri;	   /* "mailto:..." as written, without the "!size" suffix */
	uint64_t max_size; /* the "!size" limit in bytes; 0 when there is none */
};

/* A parsed record. Absent tags hold their defaults, so every field is the effective value. */
struct dmarc {
	enum dmarc_policy p;
	enum dmarc_policy sp; /* p when sp= is absent */
	enum dmarc_policy np; /* sp when np= is absent */
	bool has_sp;	      /* sp= was given */
	bool has_np;	      /* np= was given */
	unsigned pct;	      /* 0-100; 100 by default */
	enum dmarc_align adkim;
	enum dmarc_align aspf;
	struct dmarc_uri *rua;
	size_t nrua;
	struct dmarc_uri *ruf;
	size_t nruf;
	unsigned fo; /* DMARC_FO_* bits; DMARC_FO_0 by default */
	char *rf;    /* report formats, lower-case, ':'-separated; "afrf" by default */
	uint32_t ri; /* aggregate report interval in seconds; 86400 by default */
	bool t;	     /* t=y: testing mode (DMARCbis) */
	enum dmarc_psd psd;
	/* Set when p= was missing or invalid (or sp= invalid) but rua= was valid, so the record
	 * is read as p=none (RFC 7489 §6.6.3): says what was wrong. NULL otherwise. */
	char *fallback;
};

/*
 * Parses the DMARC record text into *out. Returns 0, or -1 with *errstr set to a message
 * naming the offending tag ("pct=150 is out of range 0-100"; caller frees) and *out holding
 * nothing to free. On success the caller releases *out with dmarc_clear.
 * Rules: v=DMARC1 is the first tag (tag names and keyword values are case-insensitive, the
 * "DMARC1" value is not); WSP is allowed around '=' and ';'; empty tags (";;") and unknown
 * tags are ignored; a known tag given twice is an error; tag order after v= is free.
 */
int dmarc_parse(const char *text, struct dmarc *out, char **errstr);

/* Frees what a parsed record owns and zeroes it; the struct itself is the caller's. NULL is
 * fine. */
void dmarc_clear(struct dmarc *d);

/* Tells whether a TXT record is a DMARC record: it starts with a v= tag whose value is
 * exactly DMARC1 (RFC 7489 §6.6.3 step 4; other records at _dmarc.NAME are discarded). */
bool dmarc_is_record(const char *text);

/*
 * Returns how many of the n TXT records (strings joined) are DMARC records, and the index of
 * the first one in *first (when first is not NULL) if there is one. 0 means no policy at that
 * name; more than one also means no policy there (RFC 7489 §6.6.3), which the caller reports
 * as invalid.
 */
size_t dmarc_select(char *const *records, size_t n, size_t *first);

/*
 * Returns the organisational domain of name: its registrable domain in the Public Suffix
 * List (ICANN and private sections), lower-case, keeping a trailing dot when name has one
 * ("A.B.Example.CO.UK." gives "example.co.uk."; "foo.github.io" gives itself). Returns NULL
 * when name is itself a public suffix ("com", "github.io") or not a usable name (empty,
 * empty labels, non-ASCII). Caller frees.
 */
char *dmarc_org_domain(const char *name);

/*
 * Tells whether after is weaker than before: p=, sp= or np= lowered (reject > quarantine >
 * none; sp= and np= only count when one of the records gives them, as they otherwise follow
 * p=), or, while after still has a policy other than none, pct= lowered or t=y newly set.
 * When true and why is not NULL, *why is one sentence saying what was lowered ("policy
 * lowered from reject to none"; caller frees). Alignment changes are not counted.
 */
bool dmarc_weaker(const struct dmarc *before, const struct dmarc *after, char **why);

/* Returns the canonical one-line policy of a record for evidence, e.g.
 * "p=reject sp=reject pct=100 adkim=r aspf=r", followed by " np=X" when np= is given,
 * " t=y" when set and " psd=y" or " psd=n" when given. Caller frees. */
char *dmarc_describe(const struct dmarc *d);

/* Returns "none", "quarantine" or "reject". */
const char *dmarc_policy_name(enum dmarc_policy p);

#endif
