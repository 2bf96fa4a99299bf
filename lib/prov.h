/*
 * Provider knowledge (DESIGN §6): which mail system a mail host belongs to (SES inbound,
 * SES feedback, Google, Microsoft 365, ...), the SES receiving and sending regions, the
 * CDN/WAF/proxy address ranges and the providers' default reverse names. The knowledge is
 * data in conf/data/ (see the header of each file there for its syntax and source), read
 * once by prov_load; everything else is pure and never touches files, sockets or the clock.
 */
#ifndef MXW_PROV_H
#define MXW_PROV_H

#include <stdbool.h>
#include <stddef.h>

/* The data files prov_load reads from its directory. */
#define PROV_FILE_SES_REGIONS "ses-regions"
#define PROV_FILE_MAIL_PROVIDERS "mail-providers"
#define PROV_FILE_CDN_RANGES "cdn-ranges"
#define PROV_FILE_DEFAULT_PTR "default-ptr"

/* The name a CDN range of the caller's list gets when it names none. */
#define PROV_USER_CDN_NAME "configured CDN range"

/* Longest SES region name kept (a DNS label is at most 63 bytes). */
#define PROV_REGION_MAX 64

struct prov;

/* What kind of mail system a mail host is. */
enum prov_kind {
	PROV_OWN,	   /* no pattern matched: the domain's own or an unlisted server */
	PROV_SES_INBOUND,  /* inbound-smtp.REGION.amazonaws.com: SES receiving */
	PROV_SES_FEEDBACK, /* feedback-smtp.REGION.amazonses.com: SES bounces (MAIL FROM) */
	PROV_NAMED	   /* a listed provider (Google, Microsoft 365, Proofpoint, ...) */
};

/* The classification of one mail host. Strings are borrowed from the struct prov. */
struct prov_host {
	enum prov_kind kind;
	const char *id;	     /* "google", "aws-ses-inbound", ...; "own" for PROV_OWN */
	const char *name;    /* display name: "Google Workspace"; "own server" for PROV_OWN */
	const char *pattern; /* the data pattern that matched; NULL for PROV_OWN */
	char region[PROV_REGION_MAX]; /* SES kinds: the region named by the host; else "" */
};

/* How two MX hosts relate, for mx.mixed-providers. */
enum prov_systems {
	PROV_SAME_SYSTEM,	/* one mail system: mail reaches the same place either way */
	PROV_DIFFERENT_SYSTEMS, /* two mail systems: part of the mail goes astray (page) */
	PROV_UNSURE		/* two unlisted servers under different organisational domains */
};

/* Which default-PTR pattern matched. Strings are borrowed from the struct prov. */
struct prov_ptr_match {
	const char *pattern; /* as written in the data file ("ec2-{a}-{b}-{c}-{d}.compute-1...") */
	const char *name;    /* who it belongs to ("Amazon EC2") */
};

/* Returns the organisational (registrable) domain of host, a lower-case name without the
 * trailing dot (e.g. a pointer into host, as libpsl's psl_registrable_domain gives), or
 * NULL when it has none. The result is borrowed and must stay valid until the next call. */
typedef const char *prov_orgdomain_fn(const char *host, void *arg);

/* Reads the four data files of dir and adds the caller's CDN ranges extra[0..n) (each
 * "CIDR" or "CIDR NAME", e.g. from the configuration) into a new struct prov in *out. On
 * failure returns -1 with *errstr (caller frees) naming file and line
 * ("conf/data/cdn-ranges:12: bad CIDR \"1.2.3/40\"") or the extra range; *out is then NULL. */
int prov_load(const char *dir, const char *const *extra_cdn_ranges, size_t n, struct prov **out,
	      char **errstr);
/* prov_load from dir, or when dir is NULL from $MXW_DATA_DIR (an empty one counts as unset),
 * else the installed data directory; an error says it is about the provider data. */
int prov_load_for(const char *dir, const char *const *extra_cdn_ranges, size_t n, struct prov **out,
		  char **errstr);

/* True when cidr is a range prov_load takes ("198.51.100.0/24", "2001:db8::/32", a bare
 * address; no bits set past the prefix). */
bool prov_cidr_ok(const char *cidr);
/* Frees p; NULL does nothing. */
void prov_free(struct prov *p);

/* Classifies the mail host hostname (any case, with or without the trailing dot) into *out
 * and returns its kind. When several patterns match, the one with the most labels wins. */
enum prov_kind prov_mail_host(const struct prov *p, const char *hostname, struct prov_host *out);

/* True when SES receives mail in region (inbound-smtp.REGION.amazonaws.com exists). */
bool prov_ses_inbound_region_known(const struct prov *p, const char *region);
/* True when SES sends from region (feedback-smtp.REGION.amazonses.com exists). */
bool prov_ses_sending_region_known(const struct prov *p, const char *region);

/* Tells whether the MX hosts a and b are one mail system. The rule, conservative so that
 * a backup MX never pages anyone:
 *   - same host name, or two hosts of the same listed provider: same system;
 *   - SES inbound or SES feedback against anything else, or against the other SES kind or
 *     another region (receipt rules are per region): different systems;
 *   - a listed provider against another listed provider or an unlisted server: different;
 *   - two unlisted servers: same system when org (may be NULL) gives both the same
 *     organisational domain, else PROV_UNSURE, never different: a backup MX at a hosting
 *     company looks exactly like a second mail system.
 * arg is passed to org. */
enum prov_systems prov_mail_systems(const struct prov *p, const char *a, const char *b,
				    prov_orgdomain_fn *org, void *arg);

/* Returns the name of the CDN whose ranges hold address (IPv4 or IPv6 text), or NULL when
 * none does or address is not an address. Borrowed from p. */
const char *prov_cdn(const struct prov *p, const char *address);

/* True when ptrname (any case, with or without the trailing dot) is a provider's default
 * reverse name for the address ip (text; may be NULL); the matching pattern goes to *match
 * when match is not NULL. Patterns naming the IP's octets match only the IPv4 address they
 * spell (ec2-203-0-113-50.compute-1.amazonaws.com matches 203.0.113.50 only); patterns
 * without them match whatever ip is. */
bool prov_default_ptr(const struct prov *p, const char *ptrname, const char *ip,
		      struct prov_ptr_match *match);

#endif
