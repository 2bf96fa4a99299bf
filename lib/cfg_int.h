/*
 * What the files of the cfg module share, and nothing else: the node tree read from YAML,
 * the load in progress (struct ctx), and the functions one cfg*.c file calls in another.
 * Only lib/cfg*.c include this; everyone else uses cfg.h.
 *
 *   cfg.c         cfg_load, defaults, the top level and its small sections, cfg_free
 *   cfg_arena.c   arenas: small allocations from a few large blocks, freed at once
 *   cfg_yaml.c    YAML into a node tree with line:col, domains: streamed; errors collected
 *   cfg_value.c   typed values from nodes: mappings, lists, numbers, durations, labels
 *   cfg_file.c    paths, reading one file, include: and the files it names
 *   cfg_domain.c  domains: and the checks of names, IPs, SES regions and DKIM tokens
 *   cfg_sink.c    sinks: and the secrets they read from files
 */
#ifndef MXW_CFG_INT_H
#define MXW_CFG_INT_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cfg.h"

#define CFG_MAX_KEYS 16

#define MS_SECOND 1000ULL
#define MS_MINUTE (60 * MS_SECOND)
#define MS_HOUR (60 * MS_MINUTE)
#define MS_DAY (24 * MS_HOUR)

/* A YAML node as read: every scalar a string, with where it was written. Nodes live in the
 * arena of the file being read. */
struct node {
	char *value;	    /* scalars: the text */
	struct node *items; /* sequences: the first item; mappings: key, value, key, value, ... */
	struct node *next;  /* the next item of the sequence or mapping this node is in */
	size_t nitems;
	unsigned line, col;
	enum { NODE_SCALAR, NODE_SEQ, NODE_MAP } type;
};

/* A mapping's values sorted by key, in the order of a section's key list. */
struct fields {
	const struct node *key[CFG_MAX_KEYS];
	const struct node *val[CFG_MAX_KEYS];
};

struct cfg_arena;   /* cfg_arena.c */
struct cfg_include; /* cfg_file.c */
struct cfg_error;   /* cfg_yaml.c */

/* A configuration as cfg_load allocates it: the strings and lists of its domains, its
 * resolver servers and its sinks' names and matchers are in mem, freed with it. */
struct cfg_store {
	struct cfg c; /* first: cfg_free finds the store from it */
	struct cfg_arena *mem;
};

/* A load in progress: the configuration being built and every error found so far. */
struct ctx {
	struct cfg *c;
	struct cfg_arena *mem; /* the configuration's arena */
	unsigned flags;	       /* of cfg_load_flags: CFG_NO_SECRETS */
	const char *file;      /* the file being read, from c->files */
	char *dir;	       /* absolute directory of the main file */
	dev_t main_dev;
	ino_t main_ino;
	bool included;
	size_t domains_cap;
	struct cfg_include *incs;
	size_t nincs;
	struct cfg_error *errs;
	size_t nerrs;
};

/* A check and canonicalisation of one list entry: returns a new string in the
 * configuration's arena, or NULL after reporting why the entry is bad. */
typedef char *(*cfg_conv)(struct ctx *, const struct node *);

/* Takes one item of a list that is read a piece at a time; the item is gone after. */
typedef void (*cfg_item_fn)(struct ctx *, const struct node *);

/* cfg_arena.c */

/* Returns a new, empty arena (free with cfg_arena_free). */
struct cfg_arena *cfg_arena_new(void);
/* Returns size bytes, aligned for any pointer or size, valid until the arena is reset or
 * freed. */
void *cfg_arena_alloc(struct cfg_arena *a, size_t size);
/* Returns nmemb * size zeroed bytes as cfg_arena_alloc does; aborts on overflow. */
void *cfg_arena_calloc(struct cfg_arena *a, size_t nmemb, size_t size);
/* Returns a NUL-terminated copy of the first len bytes of s, in the arena. */
char *cfg_arena_strndup(struct cfg_arena *a, const char *s, size_t len);
/* Returns a copy of s in the arena. */
char *cfg_arena_strdup(struct cfg_arena *a, const char *s);
/* Forgets everything allocated from an arena, keeping one block for reuse. */
void cfg_arena_reset(struct cfg_arena *a);
/* Frees an arena and everything in it; NULL does nothing. */
void cfg_arena_free(struct cfg_arena *a);

/* cfg.c */

/* Reads the top of the main file. */
void cfg_top(struct ctx *x, const struct node *n);
/* Reads the top of an included file: domains: only. */
void cfg_top_included(struct ctx *x, const struct node *n);

/* cfg_yaml.c */

/* Reads one YAML stream into a node tree in mem (*root NULL when it holds no document). When
 * the top is a mapping, the items of its first list named stream_key (NULL: none) are not
 * kept: each goes to fn as soon as it is read, and the list stays in the tree empty. Returns
 * 0, or -1 after recording why not (fn may have been called before). */
int cfg_parse(struct ctx *x, FILE *f, struct cfg_arena *mem, const char *stream_key, cfg_item_fn fn,
	      struct node **root);
/* Records an error at a position; file is one of cfg.files. */
void cfg_err_at(struct ctx *x, const char *file, unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Records an error about a file that could not be opened, which has no position. */
void cfg_err_file(struct ctx *x, const char *file, const char *msg);
/* Records an error at a node of the file being read. */
void cfg_err(struct ctx *x, const struct node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Returns every error recorded, in file order, one per line (caller frees); the list is
 * emptied. Call only when there is at least one. */
char *cfg_err_join(struct ctx *x);
/* Returns how many errors are recorded, a mark for cfg_err_drop and cfg_err_defer. */
size_t cfg_err_mark(const struct ctx *x);
/* Forgets the errors recorded from mark from up to mark to. */
void cfg_err_drop(struct ctx *x, size_t from, size_t to);
/* Moves the errors recorded from mark from up to mark to after all the others, as if they had
 * been recorded last. */
void cfg_err_defer(struct ctx *x, size_t from, size_t to);
/* Returns the position of a node in the file being read. */
struct cfg_loc cfg_loc_of(const struct ctx *x, const struct node *n);

/* cfg_value.c: each reports a bad value where it was written. */

/* True for ASCII a-z. */
bool cfg_lower(char ch);
/* True for ASCII 0-9. */
bool cfg_digit(char ch);
/* Checks that a node is a list, reporting it otherwise. */
bool cfg_is_list(struct ctx *x, const struct node *n, const char *what);
/* Returns the text of a single value (borrowed from n), or NULL after reporting that
 * something else is there. */
const char *cfg_scalar(struct ctx *x, const struct node *n, const char *what);
/* Sorts a mapping's values by key into f, in the order of keys (NULL-terminated, at most
 * CFG_MAX_KEYS); reports unknown and repeated keys (where: in which section; NULL: the top
 * of an included file). Returns false when n is not a mapping. */
bool cfg_fields(struct ctx *x, const struct node *n, const char *what, const char *where,
		const char *const *keys, struct fields *f);
/* Reads a duration within lo..hi milliseconds (range says so in messages). */
bool cfg_duration(struct ctx *x, const struct node *n, const char *what, unsigned long long lo,
		  unsigned long long hi, const char *range, unsigned long long *out);
/* Reads a duration in whole seconds within lo..hi milliseconds. */
void cfg_duration_s(struct ctx *x, const struct node *n, const char *what, unsigned long long lo,
		    unsigned long long hi, const char *range, unsigned *out);
/* Reads a decimal whole number within lo..hi. */
void cfg_uint(struct ctx *x, const struct node *n, const char *what, unsigned lo, unsigned hi,
	      unsigned *out);
/* Reads true or false. */
void cfg_bool(struct ctx *x, const struct node *n, const char *what, bool *out);
/* Reads a list of single values into a new *out in the configuration's arena, each checked
 * and canonicalised by conv; reports entries listed twice. */
void cfg_strlist(struct ctx *x, const struct node *n, const char *what, cfg_conv conv, char ***out,
		 size_t *nout);
/* Reads a mapping of label names to values into a new *out in the configuration's arena. */
void cfg_labels(struct ctx *x, const struct node *n, const char *what, struct cfg_label **out,
		size_t *nout);

/* cfg_file.c */

/* Joins a directory and a relative path; caller frees. */
char *cfg_join(const char *dir, const char *rel);
/* Returns path when absolute, else path under the main file's directory; caller frees. */
char *cfg_resolve(const struct ctx *x, const char *path);
/* Returns the absolute directory a file is in; caller frees. */
char *cfg_dir_of(const char *path);
/* Reads include:, keeping each pattern for cfg_read_includes. */
void cfg_include(struct ctx *x, const struct node *n);
/* Reads one file into the configuration; from is the include pattern that named it (NULL for
 * the main file). */
void cfg_read_file(struct ctx *x, const char *path, const struct cfg_loc *from);
/* Reads every .yaml file the include patterns match, sorted by path, then frees the
 * patterns. */
void cfg_read_includes(struct ctx *x);

/* cfg_domain.c */

/* Reads domains:, a list of domains, appending them to the configuration. */
void cfg_domains(struct ctx *x, const struct node *n);
/* Reads one entry of domains:, appending it to the configuration (a cfg_item_fn). */
void cfg_domain(struct ctx *x, const struct node *n);
/* Forgets the domains after the first n (their strings stay in the arena). */
void cfg_domains_truncate(struct ctx *x, size_t n);
/* Gives the domain list back the room it has beyond its last domain. */
void cfg_domains_fit(struct ctx *x);
/* Reports each domain defined twice, with both places. */
void cfg_check_duplicates(struct ctx *x);

/* cfg_sink.c */

/* Reads sinks:, a list of sinks, appending them to the configuration. */
void cfg_sinks(struct ctx *x, const struct node *n);

#endif
