/*
 * What the files of the prov module share, and nothing else. Only lib/prov*.c include this;
 * everyone else uses prov.h.
 *
 *   prov.c       prov_load, prov_free, the line reader and name helpers
 *   prov_mail.c  ses-regions and mail-providers: mail host classification, mixed systems
 *   prov_cdn.c   cdn-ranges and the caller's ranges: sorted, searched by address
 *   prov_ptr.c   default-ptr: glob patterns over reverse names with IP tokens
 */
#ifndef MXW_PROV_INT_H
#define MXW_PROV_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prov.h"

/* Most labels a host name has (253 bytes, two per label). */
#define PROV_MAX_LABELS 128

/* One mail-providers line. */
struct prov_mailpat {
	char *text; /* the pattern as written, lower-cased */
	char *id;
	char *name;
	enum prov_kind kind;
	bool exact;    /* "=": the name itself only, not the names below it */
	char **labels; /* left to right; "*" is any one label */
	size_t nlabels;
	size_t region; /* SES kinds: the index of the "*" label naming the region */
};

/* One address range, IPv4 as IPv4-mapped IPv6, big-endian. */
struct prov_range {
	uint8_t start[16];
	uint8_t end[16];
	const char *name; /* interned in prov->names */
};

/* One compiled default-ptr token. */
enum prov_tok {
	PROV_TOK_LIT,	/* literal text */
	PROV_TOK_STAR,	/* '*': any run of characters within one label */
	PROV_TOK_STARS, /* '**': any run of characters, dots included */
	PROV_TOK_OCTET, /* {a} {b} {c} {d}: that octet of the IPv4 address in decimal */
	PROV_TOK_IP	/* {ip}: the whole IPv4 address in one of its common spellings */
};

struct prov_ptrtok {
	enum prov_tok tok;
	char *lit;	/* PROV_TOK_LIT */
	size_t len;	/* PROV_TOK_LIT */
	unsigned octet; /* PROV_TOK_OCTET: 0 for {a} .. 3 for {d} */
};

/* One default-ptr line. */
struct prov_ptrpat {
	char *text;
	char *name;
	struct prov_ptrtok *toks;
	size_t ntoks;
	bool needs_ip; /* has {a}..{d} or {ip} */
};

struct prov {
	char **recv_regions;
	size_t nrecv_regions;
	char **send_regions;
	size_t nsend_regions;
	struct prov_mailpat *mail;
	size_t nmail;
	struct prov_range *ranges; /* sorted by start, disjoint (nested ranges dropped) */
	size_t nranges;
	char **names; /* interned CDN names */
	size_t nnames;
	struct prov_ptrpat *ptr;
	size_t nptr;
};

/* A line parser: reads the fields of one line into p, or returns -1 with *why (caller
 * frees) saying what is wrong, without the file:line prefix. */
typedef int prov_line_fn(struct prov *p, char **fields, size_t nfields, char **why);

/* Parses one ses-regions line: "receive REGION" or "send REGION". */
int prov_parse_region(struct prov *p, char **f, size_t nf, char **why);
/* Parses one mail-providers line: "PATTERN KIND ID NAME...". */
int prov_parse_mail(struct prov *p, char **f, size_t nf, char **why);
/* Parses one cdn-ranges line: "CIDR NAME...". */
int prov_parse_cdn(struct prov *p, char **f, size_t nf, char **why);
/* Parses one default-ptr line: "PATTERN NAME...". */
int prov_parse_ptr(struct prov *p, char **f, size_t nf, char **why);

/* Adds the CIDR range cidr under name; false when cidr is not a range. */
bool prov_cdn_add(struct prov *p, const char *cidr, const char *name);
/* Sorts the ranges and drops those inside others; called once everything is added. */
void prov_cdn_finish(struct prov *p);

/* Frees the parts each file added. */
void prov_mail_free(struct prov *p);
void prov_cdn_free(struct prov *p);
void prov_ptr_free(struct prov *p);

/* Writes name lower-cased without its trailing dot into buf (size len); false when it does
 * not fit or is empty. */
bool prov_name_lower(const char *name, char *buf, size_t len);

#endif
