/*
 * Asynchronous DNS on libevent: c-ares 1.18 driven by a socket-state callback,
 * ares_process_fd and one coarse timer, with a bounded number of queries in
 * flight and a FIFO queue beyond the bound.
 *
 * One resolver per event base; one thread. Callbacks run from the event loop,
 * never from inside dns_query(), and exactly once per accepted query: with the
 * outcome, or with DNS_ERROR and `cancelled` set when the resolver is freed.
 */
#ifndef MXW_DNS_H
#define MXW_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;

enum dns_type {
	DNS_T_A = 1,
	DNS_T_NS = 2,
	DNS_T_CNAME = 5,
	DNS_T_SOA = 6,
	DNS_T_PTR = 12,
	DNS_T_MX = 15,
	DNS_T_TXT = 16,
	DNS_T_AAAA = 28,
};

/* What one query found out. answer, nodata and nxdomain are authoritative facts;
 * the others mean "unknown" and must never be read as an absence of records. */
enum dns_outcome {
	DNS_ANSWER,
	DNS_NODATA,
	DNS_NXDOMAIN,
	DNS_SERVFAIL,
	DNS_REFUSED,
	DNS_TIMEOUT,
	DNS_ERROR,
};

/* One resource record in canonical form. */
struct dns_rr {
	char *name;    /* owner: lower-case, absolute ("mail.example.com.") */
	uint16_t type; /* enum dns_type or any other RR type number */
	uint32_t ttl;
	uint16_t pref; /* MX preference; 0 for other types */
	/* The record data. A/AAAA: the address; NS/CNAME/PTR/MX: the target name
	 * (lower-case, absolute); SOA: "mname rname serial refresh retry expire minimum";
	 * TXT: the raw character-strings joined (may hold any byte, see len);
	 * other types: RFC 3597 "\# LEN HEX". Always NUL-terminated. */
	char *data;
	size_t len;	  /* bytes in data, not counting the terminating NUL */
	uint8_t *strlens; /* TXT only: length of each character-string in data */
	size_t nstrings;  /* TXT only: number of character-strings */
	uint32_t serial;  /* SOA only */
};

struct dns_result {
	char *qname; /* the name asked for, canonical form */
	uint16_t qtype;
	enum dns_outcome outcome;
	int rcode;	/* the last answer's RCODE, or -1 when no answer was read */
	bool cancelled; /* outcome is DNS_ERROR because the resolver shut down */
	/* The CNAME records followed from qname, in order (empty when qtype is CNAME). */
	struct dns_rr *cnames;
	size_t ncnames;
	/* Records of qtype at the end of the chain, sorted canonically. */
	struct dns_rr *rrs;
	size_t nrrs;
	/* Answer: the lowest TTL of rrs. NODATA/NXDOMAIN: the negative-caching TTL from
	 * the SOA in the authority section (0 when none). */
	uint32_t ttl;
	char *error; /* why, for timeout/servfail/refused/error; NULL otherwise */
};

struct dns_options {
	const char *const *servers; /* "host:port" strings; NULL or empty: /etc/resolv.conf */
	size_t nservers;
	int timeout_ms;	     /* first try; c-ares doubles it per round of retries */
	int tries;	     /* tries per server */
	size_t max_inflight; /* queries sent and unanswered at once; more wait in a FIFO */
	int socket_buffer;   /* SO_RCVBUF/SO_SNDBUF in bytes */
	int edns_size;	     /* advertised EDNS UDP payload size; 0 disables EDNS */
};

struct dns_stats {
	uint64_t submitted;
	uint64_t completed;
	uint64_t by_outcome[DNS_ERROR + 1];
	size_t inflight;     /* c-ares queries outstanding now */
	size_t queued;	     /* waiting for a free slot now */
	size_t max_inflight; /* the highest inflight ever seen */
};

struct dns_resolver;

/* Called once per query. res is borrowed: valid only during the call. */
typedef void (*dns_cb)(const struct dns_result *res, void *arg);

/* Fills o with the defaults: resolv.conf, 2000 ms, 3 tries, 1000 in flight, 4 MiB buffers,
 * EDNS 1232. */
void dns_options_init(struct dns_options *o);

/* Creates a resolver on base. Returns NULL and sets *errstr (caller frees) on a bad
 * option or server address. */
struct dns_resolver *dns_new(struct event_base *base, const struct dns_options *o, char **errstr);

/* Cancels every pending query (their callbacks run with `cancelled`) and frees the
 * resolver. NULL does nothing. Must not be called from inside a dns callback. */
void dns_free(struct dns_resolver *r);

/* Queues a query for (name, type). The callback runs later from the event loop, exactly
 * once. Returns 0, or -1 (callback never called) while the resolver is being freed. */
int dns_query(struct dns_resolver *r, const char *name, uint16_t type, dns_cb cb, void *arg);

/* Copies the resolver's counters into *st. */
void dns_get_stats(const struct dns_resolver *r, struct dns_stats *st);

/* Splits "host:port", "[v6]:port", "v6" or "host" (port 53) into a numeric address and port.
 * Returns 0, or -1 with *errstr (caller frees). family is AF_INET or AF_INET6. */
int dns_parse_server(const char *s, int *family, unsigned char addr[16], uint16_t *port,
		     char **errstr);

/* Returns "answer", "nodata", ... for an outcome. */
const char *dns_outcome_name(enum dns_outcome o);
/* Parses an outcome name; returns false when unknown. */
bool dns_outcome_parse(const char *s, enum dns_outcome *o);
/* True for answer, nodata and nxdomain: outcomes that say what is in the DNS. */
bool dns_outcome_is_known(enum dns_outcome o);
/* Returns "A", "MX", ... or "TYPE65" into buf (at least 16 bytes); returns buf. */
const char *dns_type_name(uint16_t type, char *buf, size_t size);
/* Parses "A", "mx", "TYPE65"; returns false when unknown. */
bool dns_type_parse(const char *s, uint16_t *type);
/* Returns "NOERROR", "NXDOMAIN", ... or "RCODE17" into buf (at least 16 bytes). */
const char *dns_rcode_name(int rcode, char *buf, size_t size);

/* Frees what a result holds (not the struct itself). */
void dns_result_clear(struct dns_result *res);
/* Frees what a record holds (not the struct itself). */
void dns_rr_clear(struct dns_rr *rr);

#endif
