#include "config.h"

#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <yaml.h>

#include "cfg.h"
#include "dns.h"
#include "log.h"
#include "xmalloc.h"

#define CFG_MAX_DEPTH 64
#define CFG_MAX_KEYS 16
#define CFG_MAX_SECRET 65536

#define MS_SECOND 1000ULL
#define MS_MINUTE (60 * MS_SECOND)
#define MS_HOUR (60 * MS_MINUTE)
#define MS_DAY (24 * MS_HOUR)

/* A YAML node as read: every scalar a string, with where it was written. */
struct node {
	enum { NODE_SCALAR, NODE_SEQ, NODE_MAP } type;
	char *value;	     /* scalars */
	struct node **items; /* sequences: the items; mappings: key, value, key, value, ... */
	size_t nitems;
	unsigned line, col;
};

/* A mapping's values sorted by key, in the order of a section's key list. */
struct fields {
	const struct node *key[CFG_MAX_KEYS];
	const struct node *val[CFG_MAX_KEYS];
};

/* One include pattern and where it was written. */
struct cfg_include {
	char *pattern;
	struct cfg_loc loc;
};

/* A file an include pattern matched. */
struct cfg_match {
	char *path;
	size_t from; /* index of the include pattern */
};

/* One error found, with where it was found, so that errors come out in file order. */
struct cfg_error {
	size_t file; /* index in cfg.files; SIZE_MAX: a file that could not be opened */
	unsigned line, col;
	size_t seq;
	char *text;
};

/* A load in progress: the configuration being built and every error found so far. */
struct ctx {
	struct cfg *c;
	const char *file; /* the file being read, from c->files */
	char *dir;	  /* absolute directory of the main file */
	dev_t main_dev;
	ino_t main_ino;
	bool included;
	size_t domains_cap;
	struct cfg_include *incs;
	size_t nincs;
	struct cfg_error *errs;
	size_t nerrs;
};

/* A check and canonicalisation of one list entry: returns a new string, or NULL after
 * reporting why the entry is bad. */
typedef char *(*cfg_conv)(struct ctx *, const struct node *);

/* Records an error; file is one of cfg.files. */
static void
cfg_err_add(struct ctx *x, const char *file, unsigned line, unsigned col, char *text)
{
	struct cfg_error *e;

	x->errs = xreallocarray(x->errs, x->nerrs + 1, sizeof(*x->errs));
	e = &x->errs[x->nerrs];
	e->file = SIZE_MAX;
	for (size_t i = 0; i < x->c->nfiles; i++) {
		if (x->c->files[i] == file)
			e->file = i;
	}
	e->line = line;
	e->col = col;
	e->seq = x->nerrs++;
	e->text = text;
}

/* Records an error at a position. */
static void __attribute__((format(printf, 5, 6)))
cfg_err_at(struct ctx *x, const char *file, unsigned line, unsigned col, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	cfg_err_add(x, file, line, col, xasprintf("%s:%u:%u: %s", file, line, col, msg));
	free(msg);
}

/* Records an error about a file that could not be opened, which has no position. */
static void
cfg_err_file(struct ctx *x, const char *file, const char *msg)
{
	cfg_err_add(x, file, 0, 0, xasprintf("%s: %s", file, msg));
}

/* Orders errors by file, line and column, then as found. */
static int
cfg_err_cmp(const void *a, const void *b)
{
	const struct cfg_error *p = a, *q = b;

	if (p->file != q->file)
		return p->file < q->file ? -1 : 1;
	if (p->line != q->line)
		return p->line < q->line ? -1 : 1;
	if (p->col != q->col)
		return p->col < q->col ? -1 : 1;
	return p->seq < q->seq ? -1 : p->seq > q->seq;
}

/* Records an error at a node of the file being read. */
static void __attribute__((format(printf, 3, 4)))
cfg_err(struct ctx *x, const struct node *n, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	cfg_err_at(x, x->file, n->line, n->col, "%s", msg);
	free(msg);
}

/* Returns the position of a node in the file being read. */
static struct cfg_loc
cfg_loc_of(const struct ctx *x, const struct node *n)
{
	struct cfg_loc loc = {x->file, n->line, n->col};

	return loc;
}

/* Sets every default; the only place defaults live. */
static void
cfg_defaults(struct cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->resolver.timeout_ms = 2000;
	c->resolver.tries = 3;
	c->resolver.max_inflight = 1000;
	c->interval_s = 300;
	c->state = xstrdup("/var/lib/mxwatch/state.db");
	c->http_listen = xstrdup("127.0.0.1:9749");
	c->alerting.confirm_after = 2;
	c->alerting.resolve_after = 2;
	c->alerting.repeat_after_s = 4 * 3600;
}

/* Frees a node and everything under it. */
static void
node_free(struct node *n)
{
	if (n == NULL)
		return;
	for (size_t i = 0; i < n->nitems; i++)
		node_free(n->items[i]);
	free(n->items);
	free(n->value);
	free(n);
}

/* Appends a child to a sequence or mapping node. */
static void
node_add(struct node *parent, struct node *child)
{
	parent->items = xreallocarray(parent->items, parent->nitems + 1, sizeof(*parent->items));
	parent->items[parent->nitems++] = child;
}

/* Records libyaml's account of why a file does not parse. */
static void
cfg_yaml_error(struct ctx *x, const yaml_parser_t *p, FILE *f)
{
	const char *problem = p->problem != NULL ? p->problem : "cannot parse YAML";
	unsigned line = (unsigned)p->problem_mark.line + 1,
		 col = (unsigned)p->problem_mark.column + 1;

	if (p->error == YAML_MEMORY_ERROR)
		fatalx("out of memory parsing %s", x->file);
	if (p->error == YAML_READER_ERROR) {
		/* the reader reads ahead, so its marks are not where the bad byte is */
		line = col = 1;
		rewind(f);
		for (size_t off = 0; off < p->problem_offset; off++) {
			int ch = getc(f);

			if (ch == EOF)
				break;
			col = ch == '\n' ? 1 : col + 1;
			line += ch == '\n';
		}
	}
	if (p->context != NULL)
		cfg_err_at(x, x->file, line, col, "%s (%s at %u:%u)", problem, p->context,
			   (unsigned)p->context_mark.line + 1,
			   (unsigned)p->context_mark.column + 1);
	else
		cfg_err_at(x, x->file, line, col, "%s", problem);
}

/* Reads one YAML stream into a node tree (NULL when it holds no document). Returns 0, or -1
 * after recording why not: a syntax error, an alias, deep nesting or a second document. */
static int
cfg_parse(struct ctx *x, FILE *f, struct node **root)
{
	yaml_parser_t p;
	yaml_event_t ev;
	struct node *stack[CFG_MAX_DEPTH];
	size_t depth = 0;
	int ndocs = 0, rc = 0;
	bool done = false;

	*root = NULL;
	if (!yaml_parser_initialize(&p))
		fatalx("out of memory parsing %s", x->file);
	yaml_parser_set_input_file(&p, f);
	while (!done) {
		struct node *n = NULL;
		unsigned line, col;

		if (!yaml_parser_parse(&p, &ev)) {
			cfg_yaml_error(x, &p, f);
			rc = -1;
			break;
		}
		line = (unsigned)ev.start_mark.line + 1;
		col = (unsigned)ev.start_mark.column + 1;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++ndocs > 1) {
				cfg_err_at(x, x->file, line, col,
					   "more than one YAML document in one file");
				rc = -1;
				done = true;
			}
			break;
		case YAML_ALIAS_EVENT:
			cfg_err_at(x, x->file, line, col, "aliases (*%s) are not allowed",
				   (const char *)ev.data.alias.anchor);
			rc = -1;
			done = true;
			break;
		case YAML_SCALAR_EVENT:
			n = xcalloc(1, sizeof(*n));
			n->type = NODE_SCALAR;
			n->value =
			    xstrndup((const char *)ev.data.scalar.value, ev.data.scalar.length);
			if (strlen(n->value) != ev.data.scalar.length) {
				cfg_err_at(x, x->file, line, col,
					   "a value contains a NUL character");
				rc = -1;
				done = true;
			}
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			n = xcalloc(1, sizeof(*n));
			n->type = ev.type == YAML_SEQUENCE_START_EVENT ? NODE_SEQ : NODE_MAP;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		default:
			break;
		}
		if (n != NULL) {
			n->line = line;
			n->col = col;
			if (depth == 0)
				*root = n;
			else
				node_add(stack[depth - 1], n);
			if (n->type != NODE_SCALAR) {
				if (depth == CFG_MAX_DEPTH) {
					cfg_err_at(x, x->file, line, col,
						   "nested deeper than %d levels", CFG_MAX_DEPTH);
					rc = -1;
					done = true;
				} else {
					stack[depth++] = n;
				}
			}
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	if (rc != 0) {
		node_free(*root);
		*root = NULL;
	}
	return rc;
}

/* Checks that a node is a mapping, reporting it otherwise. */
static bool
cfg_is_map(struct ctx *x, const struct node *n, const char *what)
{
	if (n->type == NODE_MAP)
		return true;
	cfg_err(x, n, "%s: expected a mapping", what);
	return false;
}

/* Checks that a node is a list, reporting it otherwise. */
static bool
cfg_is_list(struct ctx *x, const struct node *n, const char *what)
{
	if (n->type == NODE_SEQ)
		return true;
	cfg_err(x, n, "%s: expected a list", what);
	return false;
}

/* Returns the text of a single value, or NULL after reporting that something else is there. */
static const char *
cfg_scalar(struct ctx *x, const struct node *n, const char *what)
{
	if (n->type == NODE_SCALAR)
		return n->value;
	cfg_err(x, n, "%s: expected a single value", what);
	return NULL;
}

/* Sorts a mapping's values by key into f, in the order of keys; reports keys not in keys
 * (where says in which section; NULL: the top of an included file) and repeated keys.
 * Returns false when n is not a mapping. */
static bool
cfg_fields(struct ctx *x, const struct node *n, const char *what, const char *where,
	   const char *const *keys, struct fields *f)
{
	memset(f, 0, sizeof(*f));
	if (!cfg_is_map(x, n, what))
		return false;
	for (size_t i = 0; i + 1 < n->nitems; i += 2) {
		const struct node *k = n->items[i];
		size_t j;

		if (k->type != NODE_SCALAR) {
			cfg_err(x, k, "%s: a key must be a single value", what);
			continue;
		}
		for (j = 0; keys[j] != NULL && strcmp(keys[j], k->value) != 0; j++)
			;
		if (keys[j] == NULL) {
			if (where == NULL)
				cfg_err(x, k, "only domains: is allowed in an included file");
			else
				cfg_err(x, k, "unknown key \"%s\" %s", k->value, where);
		} else if (f->val[j] != NULL) {
			cfg_err(x, k, "duplicate key \"%s\" %s", k->value,
				where != NULL ? where : "at the top level");
		} else {
			f->key[j] = k;
			f->val[j] = n->items[i + 1];
		}
	}
	return true;
}

/* Joins a directory and a relative path. */
static char *
cfg_join(const char *dir, const char *rel)
{
	size_t n = strlen(dir);

	return xasprintf("%s%s%s", dir, n > 0 && dir[n - 1] == '/' ? "" : "/", rel);
}

/* Returns path when absolute, else path under the main file's directory. */
static char *
cfg_resolve(const struct ctx *x, const char *path)
{
	return path[0] == '/' ? xstrdup(path) : cfg_join(x->dir, path);
}

/* Returns the absolute directory a file is in. */
static char *
cfg_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char cwd[PATH_MAX], *dir, *abs;

	if (slash == NULL)
		dir = xstrdup(".");
	else if (slash == path)
		dir = xstrdup("/");
	else
		dir = xstrndup(path, (size_t)(slash - path));
	if (dir[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		return dir;
	abs = strcmp(dir, ".") == 0 ? xstrdup(cwd) : cfg_join(cwd, dir);
	free(dir);
	return abs;
}

/* Returns s with the characters glob(3) treats specially escaped. */
static char *
cfg_glob_escape(const char *s)
{
	char *out = xmalloc(2 * strlen(s) + 1), *o = out;

	for (; *s != '\0'; s++) {
		if (strchr("*?[\\", *s) != NULL)
			*o++ = '\\';
		*o++ = *s;
	}
	*o = '\0';
	return out;
}

/* True for ASCII a-z. */
static bool
cfg_lower(char ch)
{
	return ch >= 'a' && ch <= 'z';
}

/* True for ASCII 0-9. */
static bool
cfg_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* Canonicalises a DNS name (lower case, no trailing dot) into a new string, or returns NULL
 * and why not: labels are 1..63 of a-z, 0-9, '-' and '_', not starting or ending with '-'. */
static char *
cfg_name_canon(const char *s, size_t minlabels, const char **why)
{
	size_t len = strlen(s), nlabels = 0, start = 0;
	char *out;

	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0) {
		*why = "empty name";
		return NULL;
	}
	if (len > 253) {
		*why = "longer than 253 characters";
		return NULL;
	}
	out = xstrndup(s, len);
	for (size_t i = 0; i <= len; i++) {
		char ch = out[i];

		if (ch >= 'A' && ch <= 'Z')
			out[i] = ch = (char)(ch - 'A' + 'a');
		if (ch != '.' && ch != '\0') {
			if (!cfg_lower(ch) && !cfg_digit(ch) && ch != '-' && ch != '_') {
				*why = "only a-z, 0-9, '-' and '_' may be used";
				goto bad;
			}
			continue;
		}
		if (i == start) {
			*why = "empty label";
			goto bad;
		}
		if (i - start > 63) {
			*why = "a label is longer than 63 characters";
			goto bad;
		}
		if (out[start] == '-' || out[i - 1] == '-') {
			*why = "a label starts or ends with '-'";
			goto bad;
		}
		nlabels++;
		start = i + 1;
	}
	if (nlabels < minlabels) {
		*why = "needs at least two labels";
		goto bad;
	}
	return out;
bad:
	free(out);
	return NULL;
}

/* Parses a duration such as "1h30m" into milliseconds. */
bool
cfg_parse_duration_ms(const char *s, unsigned long long *ms)
{
	static const struct {
		const char *unit;
		unsigned long long ms;
	} units[] = {
	    {"ms", 1}, {"s", MS_SECOND}, {"m", MS_MINUTE}, {"h", MS_HOUR}, {"d", MS_DAY},
	};
	unsigned long long total = 0;

	if (*s == '\0')
		return false;
	while (*s != '\0') {
		unsigned long long v = 0;
		size_t u;

		if (!cfg_digit(*s))
			return false;
		for (; cfg_digit(*s); s++) {
			if (__builtin_mul_overflow(v, 10ULL, &v) ||
			    __builtin_add_overflow(v, (unsigned long long)(*s - '0'), &v))
				return false;
		}
		for (u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
			if (strncmp(s, units[u].unit, strlen(units[u].unit)) == 0)
				break;
		}
		if (u == sizeof(units) / sizeof(units[0]))
			return false;
		s += strlen(units[u].unit);
		if (__builtin_mul_overflow(v, units[u].ms, &v) ||
		    __builtin_add_overflow(total, v, &total))
			return false;
	}
	*ms = total;
	return true;
}

/* Reads a duration within lo..hi milliseconds (named lo_s and hi_s in messages). */
static bool
cfg_duration(struct ctx *x, const struct node *n, const char *what, unsigned long long lo,
	     unsigned long long hi, const char *range, unsigned long long *out)
{
	const char *s = cfg_scalar(x, n, what);

	if (s == NULL)
		return false;
	if (*s != '\0' && strspn(s, "0123456789") == strlen(s)) {
		cfg_err(x, n, "%s \"%s\": duration needs a unit: ms, s, m, h or d", what, s);
		return false;
	}
	if (!cfg_parse_duration_ms(s, out)) {
		cfg_err(x, n,
			"%s \"%s\" is not a duration (use e.g. 250ms, 90s, 5m, 4h, 1d or 1h30m)",
			what, s);
		return false;
	}
	if (*out < lo || *out > hi) {
		cfg_err(x, n, "%s must be from %s, not \"%s\"", what, range, s);
		return false;
	}
	return true;
}

/* Reads a duration in whole seconds within lo..hi milliseconds. */
static void
cfg_duration_s(struct ctx *x, const struct node *n, const char *what, unsigned long long lo,
	       unsigned long long hi, const char *range, unsigned *out)
{
	unsigned long long ms;

	if (!cfg_duration(x, n, what, lo, hi, range, &ms))
		return;
	if (ms % MS_SECOND != 0) {
		cfg_err(x, n, "%s must be whole seconds, not \"%s\"", what, n->value);
		return;
	}
	*out = (unsigned)(ms / MS_SECOND);
}

/* Reads a decimal whole number within lo..hi. */
static void
cfg_uint(struct ctx *x, const struct node *n, const char *what, unsigned lo, unsigned hi,
	 unsigned *out)
{
	const char *s = cfg_scalar(x, n, what);
	unsigned long long v = 0;

	if (s == NULL)
		return;
	for (const char *p = s; *p != '\0' && v <= hi; p++) {
		if (!cfg_digit(*p)) {
			v = ULLONG_MAX;
			break;
		}
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (*s == '\0' || v < lo || v > hi) {
		cfg_err(x, n, "%s must be a whole number from %u to %u, not \"%s\"", what, lo, hi,
			s);
		return;
	}
	*out = (unsigned)v;
}

/* Reads true or false. */
static void
cfg_bool(struct ctx *x, const struct node *n, const char *what, bool *out)
{
	const char *s = cfg_scalar(x, n, what);

	if (s == NULL)
		return;
	if (strcmp(s, "true") == 0)
		*out = true;
	else if (strcmp(s, "false") == 0)
		*out = false;
	else
		cfg_err(x, n, "%s must be true or false, not \"%s\"", what, s);
}

/* Reads a list of single values, each checked and canonicalised by conv; reports entries
 * listed twice. */
static void
cfg_strlist(struct ctx *x, const struct node *n, const char *what, cfg_conv conv, char ***out,
	    size_t *nout)
{
	if (!cfg_is_list(x, n, what))
		return;
	*out = xcalloc(n->nitems, sizeof(**out));
	*nout = 0;
	for (size_t i = 0; i < n->nitems; i++) {
		const struct node *it = n->items[i];
		char *v;
		size_t j;

		if (cfg_scalar(x, it, what) == NULL || (v = conv(x, it)) == NULL)
			continue;
		for (j = 0; j < *nout && strcmp((*out)[j], v) != 0; j++)
			;
		if (j < *nout) {
			cfg_err(x, it, "%s: \"%s\" is listed twice", what, it->value);
			free(v);
			continue;
		}
		(*out)[(*nout)++] = v;
	}
}

/* Checks a DNS server address ("192.0.2.1:53", "[2001:db8::1]:53"); keeps it as written. */
static char *
cfg_conv_server(struct ctx *x, const struct node *n)
{
	unsigned char addr[16];
	uint16_t port;
	int family;
	char *err = NULL;

	if (dns_parse_server(n->value, &family, addr, &port, &err) == -1) {
		cfg_err(x, n, "%s", err);
		free(err);
		return NULL;
	}
	return xstrdup(n->value);
}

/* Canonicalises a domain name. */
static char *
cfg_conv_domain(struct ctx *x, const struct node *n)
{
	const char *why;
	char *name = cfg_name_canon(n->value, 2, &why);

	if (name == NULL)
		cfg_err(x, n, "bad domain name \"%s\": %s", n->value, why);
	return name;
}

/* Canonicalises a name that receives mail. */
static char *
cfg_conv_mail_name(struct ctx *x, const struct node *n)
{
	const char *why;
	char *name = cfg_name_canon(n->value, 2, &why);

	if (name == NULL)
		cfg_err(x, n, "bad mail name \"%s\": %s", n->value, why);
	return name;
}

/* Canonicalises a DKIM selector ("s1", "google", "sel.sub"). */
static char *
cfg_conv_selector(struct ctx *x, const struct node *n)
{
	const char *why;
	char *name = cfg_name_canon(n->value, 1, &why);

	if (name == NULL)
		cfg_err(x, n, "bad DKIM selector \"%s\": %s", n->value, why);
	return name;
}

/* Canonicalises an IPv4 or IPv6 address into inet_ntop's form. */
static char *
cfg_conv_ip(struct ctx *x, const struct node *n)
{
	unsigned char addr[16];
	char text[INET6_ADDRSTRLEN];
	int family = AF_INET;

	if (inet_pton(AF_INET, n->value, addr) != 1) {
		family = AF_INET6;
		if (inet_pton(AF_INET6, n->value, addr) != 1) {
			cfg_err(x, n, "bad sending IP \"%s\": expected an IPv4 or IPv6 address",
				n->value);
			return NULL;
		}
	}
	if (inet_ntop(family, addr, text, sizeof(text)) == NULL)
		fatal("inet_ntop");
	return xstrdup(text);
}

/* Checks an SES Easy DKIM token: 32 characters of a-z and 2-7. */
static char *
cfg_conv_token(struct ctx *x, const struct node *n)
{
	const char *s = n->value;

	if (strlen(s) != 32 || strspn(s, "abcdefghijklmnopqrstuvwxyz234567") != 32) {
		cfg_err(x, n,
			"bad DKIM token \"%s\": expected 32 characters of a-z and 2-7 (SES Easy "
			"DKIM)",
			s);
		return NULL;
	}
	return xstrdup(s);
}

/* Reads include:, keeping each pattern (resolved against the main file's directory) and
 * where it was written; the files are read once the main file is done. */
static void
cfg_include(struct ctx *x, const struct node *n)
{
	if (!cfg_is_list(x, n, "include"))
		return;
	x->incs = xcalloc(n->nitems, sizeof(*x->incs));
	for (size_t i = 0; i < n->nitems; i++) {
		const struct node *it = n->items[i];
		struct cfg_include *inc = &x->incs[x->nincs];
		char *dir;

		if (cfg_scalar(x, it, "include") == NULL)
			continue;
		if (it->value[0] == '\0') {
			cfg_err(x, it, "include: empty pattern");
			continue;
		}
		if (it->value[0] == '/') {
			inc->pattern = xstrdup(it->value);
		} else {
			dir = cfg_glob_escape(x->dir);
			inc->pattern = cfg_join(dir, it->value);
			free(dir);
		}
		inc->loc = cfg_loc_of(x, it);
		x->nincs++;
	}
}

/* True for label names: [a-z_][a-z0-9_]*. */
static bool
cfg_label_name_ok(const char *s)
{
	if (!cfg_lower(*s) && *s != '_')
		return false;
	for (s++; *s != '\0'; s++) {
		if (!cfg_lower(*s) && !cfg_digit(*s) && *s != '_')
			return false;
	}
	return true;
}

/* Reads a mapping of label names to values. */
static void
cfg_labels(struct ctx *x, const struct node *n, const char *what, struct cfg_label **out,
	   size_t *nout)
{
	if (!cfg_is_map(x, n, what))
		return;
	*out = xcalloc(n->nitems / 2, sizeof(**out));
	*nout = 0;
	for (size_t i = 0; i + 1 < n->nitems; i += 2) {
		const struct node *k = n->items[i], *v = n->items[i + 1];
		size_t j;

		if (k->type != NODE_SCALAR) {
			cfg_err(x, k, "%s: a key must be a single value", what);
			continue;
		}
		if (!cfg_label_name_ok(k->value)) {
			cfg_err(x, k,
				"bad label name \"%s\": use a-z, 0-9 and _, not first a digit",
				k->value);
			continue;
		}
		for (j = 0; j < *nout && strcmp((*out)[j].key, k->value) != 0; j++)
			;
		if (j < *nout) {
			cfg_err(x, k, "%s: label \"%s\" is given twice", what, k->value);
			continue;
		}
		if (cfg_scalar(x, v, k->value) == NULL)
			continue;
		(*out)[*nout].key = xstrdup(k->value);
		(*out)[*nout].value = xstrdup(v->value);
		(*nout)++;
	}
}

/* True for AWS region names: ^[a-z]{2}(-gov)?-[a-z]+-[0-9]+$. */
static bool
cfg_region_ok(const char *s)
{
	if (!cfg_lower(s[0]) || !cfg_lower(s[1]))
		return false;
	for (size_t t = 0; t < 2; t++) {
		const char *p = s + 2;
		size_t n;

		if (t == 1) {
			if (strncmp(p, "-gov", 4) != 0)
				break;
			p += 4;
		}
		if (*p++ != '-')
			continue;
		for (n = 0; cfg_lower(*p); p++)
			n++;
		if (n == 0 || *p++ != '-')
			continue;
		for (n = 0; cfg_digit(*p); p++)
			n++;
		if (n > 0 && *p == '\0')
			return true;
	}
	return false;
}

/* Reads a domain's ses: mapping. */
static void
cfg_ses(struct ctx *x, const struct node *n, struct cfg_domain *d)
{
	static const char *const keys[] = {"region", "mail_from", "dkim_tokens", NULL};
	enum { K_REGION, K_MAIL_FROM, K_TOKENS };
	struct fields f;
	const char *s;

	if (!cfg_fields(x, n, "ses", "in ses", keys, &f))
		return;
	d->has_ses = true;
	if (f.val[K_REGION] != NULL && (s = cfg_scalar(x, f.val[K_REGION], "region")) != NULL) {
		if (cfg_region_ok(s))
			d->ses.region = xstrdup(s);
		else
			cfg_err(x, f.val[K_REGION],
				"bad SES region \"%s\": expected e.g. us-east-1 or eu-west-2", s);
	}
	if (f.val[K_MAIL_FROM] != NULL && cfg_scalar(x, f.val[K_MAIL_FROM], "mail_from") != NULL) {
		const char *why;

		d->ses.mail_from = cfg_name_canon(f.val[K_MAIL_FROM]->value, 2, &why);
		if (d->ses.mail_from == NULL)
			cfg_err(x, f.val[K_MAIL_FROM], "bad mail_from \"%s\": %s",
				f.val[K_MAIL_FROM]->value, why);
	}
	if (f.val[K_TOKENS] != NULL)
		cfg_strlist(x, f.val[K_TOKENS], "dkim_tokens", cfg_conv_token, &d->ses.dkim_tokens,
			    &d->ses.ndkim_tokens);
}

/* Appends a domain to the configuration. */
static void
cfg_add_domain(struct ctx *x, const struct cfg_domain *d)
{
	struct cfg *c = x->c;

	if (c->ndomains == x->domains_cap) {
		x->domains_cap = x->domains_cap == 0 ? 16 : 2 * x->domains_cap;
		c->domains = xreallocarray(c->domains, x->domains_cap, sizeof(*c->domains));
	}
	c->domains[c->ndomains++] = *d;
}

/* Reads one entry of domains:. */
static void
cfg_domain(struct ctx *x, const struct node *n)
{
	static const char *const keys[] = {"name",	  "labels",	    "mail_names", "ses",
					   "sending_ips", "dkim_selectors", "interval",	  NULL};
	enum { K_NAME, K_LABELS, K_MAIL_NAMES, K_SES, K_IPS, K_SELECTORS, K_INTERVAL };
	struct cfg_domain d;
	struct fields f;

	if (n->type != NODE_MAP) {
		cfg_err(x, n, "domain: expected a mapping such as {name: example.com}");
		return;
	}
	cfg_fields(x, n, "domain", "in a domain", keys, &f);
	memset(&d, 0, sizeof(d));
	d.loc = cfg_loc_of(x, n);
	if (f.val[K_NAME] == NULL)
		cfg_err(x, n, "domain without a name");
	else if (cfg_scalar(x, f.val[K_NAME], "name") != NULL)
		d.name = cfg_conv_domain(x, f.val[K_NAME]);
	if (f.val[K_LABELS] != NULL)
		cfg_labels(x, f.val[K_LABELS], "labels", &d.labels, &d.nlabels);
	if (f.val[K_MAIL_NAMES] != NULL) {
		cfg_strlist(x, f.val[K_MAIL_NAMES], "mail_names", cfg_conv_mail_name, &d.mail_names,
			    &d.nmail_names);
	} else if (d.name != NULL) {
		d.mail_names = xcalloc(1, sizeof(*d.mail_names));
		d.mail_names[0] = xstrdup(d.name);
		d.nmail_names = 1;
	}
	if (f.val[K_SES] != NULL)
		cfg_ses(x, f.val[K_SES], &d);
	if (f.val[K_IPS] != NULL)
		cfg_strlist(x, f.val[K_IPS], "sending_ips", cfg_conv_ip, &d.sending_ips,
			    &d.nsending_ips);
	if (f.val[K_SELECTORS] != NULL)
		cfg_strlist(x, f.val[K_SELECTORS], "dkim_selectors", cfg_conv_selector,
			    &d.dkim_selectors, &d.ndkim_selectors);
	if (f.val[K_INTERVAL] != NULL)
		cfg_duration_s(x, f.val[K_INTERVAL], "interval", MS_SECOND, 7 * MS_DAY, "1s to 7d",
			       &d.interval_s);
	cfg_add_domain(x, &d);
}

/* Reads domains:, a list of domains. */
static void
cfg_domains(struct ctx *x, const struct node *n)
{
	if (!cfg_is_list(x, n, "domains"))
		return;
	for (size_t i = 0; i < n->nitems; i++)
		cfg_domain(x, n->items[i]);
}

/* Returns where a *_file secret is: as is when absolute, else under $CREDENTIALS_DIRECTORY
 * when set, else under the main file's directory. */
static char *
cfg_secret_path(const struct ctx *x, const char *path)
{
	const char *creds = getenv("CREDENTIALS_DIRECTORY");

	if (path[0] != '/' && creds != NULL && creds[0] != '\0')
		return cfg_join(creds, path);
	return cfg_resolve(x, path);
}

/* Reads a secret from the file named by n, without trailing whitespace; NULL after
 * reporting the file (never its contents). */
static char *
cfg_read_secret(struct ctx *x, const struct node *n, const char *key)
{
	const char *s = cfg_scalar(x, n, key);
	char *path, *buf, *secret = NULL;
	size_t len;
	FILE *f;

	if (s == NULL)
		return NULL;
	if (s[0] == '\0') {
		cfg_err(x, n, "%s is empty", key);
		return NULL;
	}
	path = cfg_secret_path(x, s);
	if ((f = fopen(path, "r")) == NULL) {
		cfg_err(x, n, "cannot read %s \"%s\": %s", key, path, strerror(errno));
		free(path);
		return NULL;
	}
	buf = xmalloc(CFG_MAX_SECRET + 1);
	len = fread(buf, 1, CFG_MAX_SECRET + 1, f);
	if (ferror(f))
		cfg_err(x, n, "cannot read %s \"%s\": %s", key, path, strerror(errno));
	else if (len > CFG_MAX_SECRET)
		cfg_err(x, n, "%s \"%s\" is larger than %d bytes", key, path, CFG_MAX_SECRET);
	else if (memchr(buf, '\0', len) != NULL)
		cfg_err(x, n, "%s \"%s\" contains a NUL byte", key, path);
	else {
		while (len > 0 && strchr(" \t\r\n\v\f", buf[len - 1]) != NULL)
			len--;
		if (len == 0)
			cfg_err(x, n, "%s \"%s\" is empty", key, path);
		else
			secret = xstrndup(buf, len);
	}
	explicit_bzero(buf, CFG_MAX_SECRET + 1);
	free(buf);
	fclose(f);
	free(path);
	return secret;
}

/* Reads a secret written inline (val) or in a file (file); NULL when neither is given or
 * after reporting an error that never quotes the secret. */
static char *
cfg_secret(struct ctx *x, const char *pre, const char *key, const struct node *val,
	   const char *file_key, const struct node *file)
{
	const char *s;

	if (file != NULL)
		return cfg_read_secret(x, file, file_key);
	if (val == NULL || (s = cfg_scalar(x, val, key)) == NULL)
		return NULL;
	if (s[0] == '\0') {
		cfg_err(x, val, "%s: %s is empty", pre, key);
		return NULL;
	}
	return xstrdup(s);
}

/* Checks a sink URL without ever quoting it: https://, or http:// when allowed. */
static void
cfg_check_url(struct ctx *x, const struct node *at, const char *pre, const char *from,
	      const struct cfg_sink *s)
{
	const char *u = s->url;
	size_t skip = 0;

	if (strncasecmp(u, "https://", 8) == 0)
		skip = 8;
	else if (s->allow_http && strncasecmp(u, "http://", 7) == 0)
		skip = 7;
	if (skip == 0) {
		if (s->allow_http)
			cfg_err(x, at, "%s: url%s must be https:// or http://", pre, from);
		else
			cfg_err(x, at,
				"%s: url%s must be https:// (set allow_http: true for plain http)",
				pre, from);
		return;
	}
	if (u[skip] == '\0' || u[skip] == '/') {
		cfg_err(x, at, "%s: url%s has no host", pre, from);
		return;
	}
	for (; *u != '\0'; u++) {
		if ((unsigned char)*u <= ' ' || *u == 0x7f) {
			cfg_err(x, at, "%s: url%s contains spaces or control characters", pre,
				from);
			return;
		}
	}
}

/* Reads one entry of sinks:. */
static void
cfg_sink(struct ctx *x, const struct node *n, size_t idx)
{
	static const char *const keys[] = {
	    "name",   "type",	     "url",	     "url_file", "routing_key", "routing_key_file",
	    "secret", "secret_file", "min_severity", "match",	 "format",	"allow_http",
	    NULL};
	enum {
		K_NAME,
		K_TYPE,
		K_URL,
		K_URL_FILE,
		K_ROUTING_KEY,
		K_ROUTING_KEY_FILE,
		K_SECRET,
		K_SECRET_FILE,
		K_MIN_SEVERITY,
		K_MATCH,
		K_FORMAT,
		K_ALLOW_HTTP,
	};
	struct cfg *c = x->c;
	struct cfg_sink s;
	struct fields f;
	const struct node *url_at;
	const char *v;
	char *pre;
	bool typed = false;

	if (!cfg_fields(x, n, "sink", "in a sink", keys, &f))
		return;
	memset(&s, 0, sizeof(s));
	s.min_severity = SEV_WARNING;
	s.format = CFG_FORMAT_ALERTMANAGER;
	s.loc = cfg_loc_of(x, n);
	if (f.val[K_NAME] != NULL && (v = cfg_scalar(x, f.val[K_NAME], "name")) != NULL &&
	    v[0] != '\0') {
		s.name = xstrdup(v);
		pre = xasprintf("sinks[%zu] \"%s\"", idx, v);
		for (size_t i = 0; i < c->nsinks; i++) {
			const struct cfg_loc *l = &c->sinks[i].loc;

			if (c->sinks[i].name != NULL && strcmp(c->sinks[i].name, v) == 0)
				cfg_err(x, n, "duplicate sink \"%s\" (first defined at %s:%u:%u)",
					v, l->file, l->line, l->col);
		}
	} else {
		pre = xasprintf("sinks[%zu]", idx);
		cfg_err(x, n, "%s: sink without a name", pre);
	}

	if (f.val[K_TYPE] == NULL) {
		cfg_err(x, n, "%s: missing type (slack, pagerduty or webhook)", pre);
	} else if ((v = cfg_scalar(x, f.val[K_TYPE], "type")) != NULL) {
		typed = true;
		if (strcmp(v, "slack") == 0)
			s.type = CFG_SINK_SLACK;
		else if (strcmp(v, "pagerduty") == 0)
			s.type = CFG_SINK_PAGERDUTY;
		else if (strcmp(v, "webhook") == 0)
			s.type = CFG_SINK_WEBHOOK;
		else {
			cfg_err(x, f.val[K_TYPE],
				"%s: type must be slack, pagerduty or webhook, not \"%s\"", pre, v);
			typed = false;
		}
	}
	if (typed) {
		static const struct {
			int key;
			enum cfg_sink_type only;
		} only[] = {
		    {K_ROUTING_KEY, CFG_SINK_PAGERDUTY}, {K_ROUTING_KEY_FILE, CFG_SINK_PAGERDUTY},
		    {K_SECRET, CFG_SINK_WEBHOOK},	 {K_SECRET_FILE, CFG_SINK_WEBHOOK},
		    {K_FORMAT, CFG_SINK_WEBHOOK},
		};

		for (size_t i = 0; i < sizeof(only) / sizeof(only[0]); i++) {
			int k = only[i].key;

			if (f.key[k] == NULL || s.type == only[i].only)
				continue;
			cfg_err(x, f.key[k], "%s: %s is only for %s sinks", pre, keys[k],
				only[i].only == CFG_SINK_PAGERDUTY ? "pagerduty" : "webhook");
			f.key[k] = f.val[k] = NULL;
		}
		if (s.type != CFG_SINK_PAGERDUTY && f.val[K_URL] == NULL &&
		    f.val[K_URL_FILE] == NULL)
			cfg_err(x, n, "%s: needs url or url_file", pre);
		if (s.type == CFG_SINK_PAGERDUTY && f.val[K_ROUTING_KEY] == NULL &&
		    f.val[K_ROUTING_KEY_FILE] == NULL)
			cfg_err(x, n, "%s: needs routing_key or routing_key_file", pre);
	}
	if (f.val[K_URL] != NULL && f.val[K_URL_FILE] != NULL) {
		cfg_err(x, f.key[K_URL_FILE], "%s: set only one of url and url_file", pre);
		f.val[K_URL_FILE] = NULL;
	}
	if (f.val[K_ROUTING_KEY] != NULL && f.val[K_ROUTING_KEY_FILE] != NULL) {
		cfg_err(x, f.key[K_ROUTING_KEY_FILE],
			"%s: set only one of routing_key and routing_key_file", pre);
		f.val[K_ROUTING_KEY_FILE] = NULL;
	}
	if (f.val[K_SECRET] != NULL && f.val[K_SECRET_FILE] != NULL) {
		cfg_err(x, f.key[K_SECRET_FILE], "%s: set only one of secret and secret_file", pre);
		f.val[K_SECRET_FILE] = NULL;
	}

	if (f.val[K_ALLOW_HTTP] != NULL)
		cfg_bool(x, f.val[K_ALLOW_HTTP], "allow_http", &s.allow_http);
	s.url = cfg_secret(x, pre, "url", f.val[K_URL], "url_file", f.val[K_URL_FILE]);
	url_at = f.val[K_URL_FILE] != NULL ? f.val[K_URL_FILE] : f.val[K_URL];
	if (s.url != NULL)
		cfg_check_url(x, url_at, pre, f.val[K_URL_FILE] != NULL ? " in url_file" : "", &s);
	s.routing_key = cfg_secret(x, pre, "routing_key", f.val[K_ROUTING_KEY], "routing_key_file",
				   f.val[K_ROUTING_KEY_FILE]);
	s.secret =
	    cfg_secret(x, pre, "secret", f.val[K_SECRET], "secret_file", f.val[K_SECRET_FILE]);
	if (f.val[K_MIN_SEVERITY] != NULL &&
	    (v = cfg_scalar(x, f.val[K_MIN_SEVERITY], "min_severity")) != NULL &&
	    !severity_parse(v, &s.min_severity))
		cfg_err(x, f.val[K_MIN_SEVERITY],
			"%s: min_severity must be info, warning or critical, not \"%s\"", pre, v);
	if (f.val[K_MATCH] != NULL)
		cfg_labels(x, f.val[K_MATCH], "match", &s.match, &s.nmatch);
	if (f.val[K_FORMAT] != NULL && (v = cfg_scalar(x, f.val[K_FORMAT], "format")) != NULL) {
		if (strcmp(v, "alertmanager") == 0)
			s.format = CFG_FORMAT_ALERTMANAGER;
		else if (strcmp(v, "native") == 0)
			s.format = CFG_FORMAT_NATIVE;
		else
			cfg_err(x, f.val[K_FORMAT],
				"%s: format must be alertmanager or native, not \"%s\"", pre, v);
	}
	free(pre);
	c->sinks = xreallocarray(c->sinks, c->nsinks + 1, sizeof(*c->sinks));
	c->sinks[c->nsinks++] = s;
}

/* Reads resolver:. */
static void
cfg_resolver(struct ctx *x, const struct node *n)
{
	static const char *const keys[] = {"servers", "timeout", "tries", "max_inflight", NULL};
	enum { K_SERVERS, K_TIMEOUT, K_TRIES, K_MAX_INFLIGHT };
	struct cfg *c = x->c;
	struct fields f;
	unsigned long long ms;

	if (!cfg_fields(x, n, "resolver", "in resolver", keys, &f))
		return;
	if (f.val[K_SERVERS] != NULL)
		cfg_strlist(x, f.val[K_SERVERS], "servers", cfg_conv_server, &c->resolver.servers,
			    &c->resolver.nservers);
	if (f.val[K_TIMEOUT] != NULL &&
	    cfg_duration(x, f.val[K_TIMEOUT], "timeout", 1, 60 * MS_SECOND, "1ms to 60s", &ms))
		c->resolver.timeout_ms = (unsigned)ms;
	if (f.val[K_TRIES] != NULL)
		cfg_uint(x, f.val[K_TRIES], "tries", 1, 20, &c->resolver.tries);
	if (f.val[K_MAX_INFLIGHT] != NULL)
		cfg_uint(x, f.val[K_MAX_INFLIGHT], "max_inflight", 1, 100000,
			 &c->resolver.max_inflight);
}

/* Reads http:; "off" turns the endpoint off. */
static void
cfg_http(struct ctx *x, const struct node *n)
{
	static const char *const keys[] = {"listen", NULL};
	struct fields f;
	const char *s;
	unsigned char addr[16];
	uint16_t port;
	int family;
	char *err = NULL;
	bool has_port;

	if (!cfg_fields(x, n, "http", "in http", keys, &f) || f.val[0] == NULL ||
	    (s = cfg_scalar(x, f.val[0], "listen")) == NULL)
		return;
	free(x->c->http_listen);
	x->c->http_listen = NULL;
	if (strcmp(s, "off") == 0)
		return;
	if (s[0] == '[')
		has_port = strstr(s, "]:") != NULL;
	else
		has_port = strchr(s, ':') != NULL && strchr(s, ':') == strrchr(s, ':');
	if (!has_port || dns_parse_server(s, &family, addr, &port, &err) == -1) {
		cfg_err(x, f.val[0],
			"bad listen address \"%s\": expected an IP address and port, as "
			"127.0.0.1:9749 or [::1]:9749, or off",
			s);
		free(err);
		return;
	}
	x->c->http_listen = xstrdup(s);
}

/* Reads alerting:. */
static void
cfg_alerting(struct ctx *x, const struct node *n)
{
	static const char *const keys[] = {"confirm_after", "resolve_after", "repeat_after", NULL};
	enum { K_CONFIRM, K_RESOLVE, K_REPEAT };
	struct cfg *c = x->c;
	struct fields f;
	const char *s;

	if (!cfg_fields(x, n, "alerting", "in alerting", keys, &f))
		return;
	if (f.val[K_CONFIRM] != NULL)
		cfg_uint(x, f.val[K_CONFIRM], "confirm_after", 1, 100, &c->alerting.confirm_after);
	if (f.val[K_RESOLVE] != NULL)
		cfg_uint(x, f.val[K_RESOLVE], "resolve_after", 1, 100, &c->alerting.resolve_after);
	if (f.val[K_REPEAT] != NULL &&
	    (s = cfg_scalar(x, f.val[K_REPEAT], "repeat_after")) != NULL) {
		if (strcmp(s, "0") == 0 || strcmp(s, "off") == 0)
			c->alerting.repeat_after_s = 0;
		else
			cfg_duration_s(x, f.val[K_REPEAT], "repeat_after", MS_MINUTE, 30 * MS_DAY,
				       "1m to 30d, or 0 or off for never",
				       &c->alerting.repeat_after_s);
	}
}

/* Reads log:. */
static void
cfg_log(struct ctx *x, const struct node *n)
{
	static const char *const keys[] = {"level", NULL};
	static const char *const names[] = {"error", "warning", "info", "debug"};
	struct fields f;
	const char *s;

	if (!cfg_fields(x, n, "log", "in log", keys, &f) || f.val[0] == NULL ||
	    (s = cfg_scalar(x, f.val[0], "level")) == NULL)
		return;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i]) == 0) {
			free(x->c->log_level);
			x->c->log_level = xstrdup(names[i]);
			return;
		}
	}
	cfg_err(x, f.val[0], "level must be error, warning, info or debug, not \"%s\"", s);
}

/* Reads the top of the main file. */
static void
cfg_top(struct ctx *x, const struct node *n)
{
	static const char *const keys[] = {"resolver", "schedule", "state",   "http",	 "alerting",
					   "log",      "sinks",	   "include", "domains", NULL};
	enum {
		K_RESOLVER,
		K_SCHEDULE,
		K_STATE,
		K_HTTP,
		K_ALERTING,
		K_LOG,
		K_SINKS,
		K_INCLUDE,
		K_DOMAINS
	};
	static const char *const schedule_keys[] = {"interval", NULL};
	struct cfg *c = x->c;
	struct fields f, sf;
	const char *s;

	if (!cfg_fields(x, n, "the top level", "at the top level", keys, &f))
		return;
	if (f.val[K_RESOLVER] != NULL)
		cfg_resolver(x, f.val[K_RESOLVER]);
	if (f.val[K_SCHEDULE] != NULL &&
	    cfg_fields(x, f.val[K_SCHEDULE], "schedule", "in schedule", schedule_keys, &sf) &&
	    sf.val[0] != NULL)
		cfg_duration_s(x, sf.val[0], "interval", MS_SECOND, 7 * MS_DAY, "1s to 7d",
			       &c->interval_s);
	if (f.val[K_STATE] != NULL && (s = cfg_scalar(x, f.val[K_STATE], "state")) != NULL) {
		if (s[0] == '\0') {
			cfg_err(x, f.val[K_STATE], "state must not be empty");
		} else {
			free(c->state);
			c->state = cfg_resolve(x, s);
		}
	}
	if (f.val[K_HTTP] != NULL)
		cfg_http(x, f.val[K_HTTP]);
	if (f.val[K_ALERTING] != NULL)
		cfg_alerting(x, f.val[K_ALERTING]);
	if (f.val[K_LOG] != NULL)
		cfg_log(x, f.val[K_LOG]);
	if (f.val[K_SINKS] != NULL && cfg_is_list(x, f.val[K_SINKS], "sinks")) {
		for (size_t i = 0; i < f.val[K_SINKS]->nitems; i++)
			cfg_sink(x, f.val[K_SINKS]->items[i], i);
	}
	if (f.val[K_INCLUDE] != NULL)
		cfg_include(x, f.val[K_INCLUDE]);
	if (f.val[K_DOMAINS] != NULL)
		cfg_domains(x, f.val[K_DOMAINS]);
}

/* Reads the top of an included file: domains: only. */
static void
cfg_top_included(struct ctx *x, const struct node *n)
{
	static const char *const keys[] = {"domains", NULL};
	struct fields f;

	if (cfg_fields(x, n, "the top level", NULL, keys, &f) && f.val[0] != NULL)
		cfg_domains(x, f.val[0]);
}

/* Reads one file into the configuration; from is the include pattern that named it (NULL for
 * the main file). */
static void
cfg_read_file(struct ctx *x, const char *path, const struct cfg_loc *from)
{
	struct cfg *c = x->c;
	struct node *root;
	struct stat st;
	FILE *f;
	int err = 0;

	if ((f = fopen(path, "r")) == NULL)
		err = errno;
	else if (fstat(fileno(f), &st) == -1)
		err = errno;
	else if (S_ISDIR(st.st_mode))
		err = EISDIR;
	if (err != 0) {
		if (from != NULL)
			cfg_err_at(x, from->file, from->line, from->col,
				   "cannot read included file \"%s\": %s", path, strerror(err));
		else
			cfg_err_file(x, path, strerror(err));
		if (f != NULL)
			fclose(f);
		return;
	}
	if (from == NULL) {
		x->main_dev = st.st_dev;
		x->main_ino = st.st_ino;
	}
	c->files = xreallocarray(c->files, c->nfiles + 1, sizeof(*c->files));
	c->files[c->nfiles] = xstrdup(path);
	x->file = c->files[c->nfiles++];
	x->included = from != NULL;
	if (cfg_parse(x, f, &root) == 0 && root != NULL) {
		if (root->type == NODE_SCALAR && root->value[0] == '\0')
			; /* a document with nothing in it */
		else if (x->included)
			cfg_top_included(x, root);
		else
			cfg_top(x, root);
	}
	node_free(root);
	fclose(f);
}

/* Orders include matches by path. */
static int
cfg_match_cmp(const void *a, const void *b)
{
	return strcmp(((const struct cfg_match *)a)->path, ((const struct cfg_match *)b)->path);
}

/* Expands the include patterns and reads every .yaml file they match, sorted by path. */
static void
cfg_read_includes(struct ctx *x)
{
	struct cfg_match *m = NULL;
	size_t nm = 0;

	for (size_t i = 0; i < x->nincs; i++) {
		const struct cfg_loc *l = &x->incs[i].loc;
		glob_t g;
		int rc = glob(x->incs[i].pattern, 0, NULL, &g);

		if (rc == GLOB_NOSPACE)
			fatalx("out of memory expanding %s", x->incs[i].pattern);
		if (rc == GLOB_ABORTED)
			cfg_err_at(x, l->file, l->line, l->col, "cannot expand include \"%s\"",
				   x->incs[i].pattern);
		for (size_t j = 0; rc == 0 && j < g.gl_pathc; j++) {
			const char *p = g.gl_pathv[j];
			size_t len = strlen(p);
			struct stat st;

			if (len < 5 || strcmp(p + len - 5, ".yaml") != 0)
				continue;
			if (stat(p, &st) == 0 && st.st_dev == x->main_dev &&
			    st.st_ino == x->main_ino)
				continue; /* the main file itself */
			m = xreallocarray(m, nm + 1, sizeof(*m));
			m[nm].path = xstrdup(p);
			m[nm++].from = i;
		}
		globfree(&g);
	}
	if (nm > 1)
		qsort(m, nm, sizeof(*m), cfg_match_cmp);
	for (size_t i = 0; i < nm; i++) {
		if (i == 0 || strcmp(m[i].path, m[i - 1].path) != 0)
			cfg_read_file(x, m[i].path, &x->incs[m[i].from].loc);
	}
	for (size_t i = 0; i < nm; i++)
		free(m[i].path);
	free(m);
}

/* A domain's name and its place in the list, for finding duplicates. */
struct cfg_dup {
	const char *name;
	size_t idx, first;
};

/* Orders domains by name, then by position. */
static int
cfg_dup_by_name(const void *a, const void *b)
{
	const struct cfg_dup *p = a, *q = b;
	int r = strcmp(p->name, q->name);

	if (r != 0)
		return r;
	return p->idx < q->idx ? -1 : p->idx > q->idx;
}

/* Orders duplicates by position. */
static int
cfg_dup_by_idx(const void *a, const void *b)
{
	const struct cfg_dup *p = a, *q = b;

	return p->idx < q->idx ? -1 : p->idx > q->idx;
}

/* Reports each domain defined twice, with both places. */
static void
cfg_check_duplicates(struct ctx *x)
{
	const struct cfg *c = x->c;
	struct cfg_dup *v = xcalloc(c->ndomains, sizeof(*v)), *dups;
	size_t n = 0, ndups = 0;

	for (size_t i = 0; i < c->ndomains; i++) {
		if (c->domains[i].name != NULL) {
			v[n].name = c->domains[i].name;
			v[n++].idx = i;
		}
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), cfg_dup_by_name);
	dups = xcalloc(n, sizeof(*dups));
	for (size_t i = 1, first = 0; i < n; i++) {
		if (strcmp(v[i].name, v[first].name) != 0) {
			first = i;
			continue;
		}
		dups[ndups] = v[i];
		dups[ndups++].first = v[first].idx;
	}
	if (ndups > 1)
		qsort(dups, ndups, sizeof(*dups), cfg_dup_by_idx);
	for (size_t i = 0; i < ndups; i++) {
		const struct cfg_loc *a = &c->domains[dups[i].idx].loc;
		const struct cfg_loc *b = &c->domains[dups[i].first].loc;

		cfg_err_at(x, a->file, a->line, a->col,
			   "duplicate domain \"%s\" (first defined at %s:%u:%u)", dups[i].name,
			   b->file, b->line, b->col);
	}
	free(dups);
	free(v);
}

/* Reads and validates a configuration file and its includes. */
int
cfg_load(const char *path, struct cfg **out, char **errstr)
{
	struct ctx x;
	size_t len = 0;
	char *p;

	memset(&x, 0, sizeof(x));
	x.c = xmalloc(sizeof(*x.c));
	cfg_defaults(x.c);
	x.dir = cfg_dir_of(path);
	cfg_read_file(&x, path, NULL);
	cfg_read_includes(&x);
	cfg_check_duplicates(&x);
	for (size_t i = 0; i < x.nincs; i++)
		free(x.incs[i].pattern);
	free(x.incs);
	free(x.dir);
	if (x.nerrs == 0) {
		*out = x.c;
		return 0;
	}
	qsort(x.errs, x.nerrs, sizeof(*x.errs), cfg_err_cmp);
	for (size_t i = 0; i < x.nerrs; i++)
		len += strlen(x.errs[i].text) + 1;
	*errstr = p = xmalloc(len);
	for (size_t i = 0; i < x.nerrs; i++) {
		if (i > 0)
			*p++ = '\n';
		p = stpcpy(p, x.errs[i].text);
		free(x.errs[i].text);
	}
	free(x.errs);
	cfg_free(x.c);
	*out = NULL;
	return -1;
}

/* Frees a list of strings. */
static void
cfg_free_strs(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Frees labels. */
static void
cfg_free_labels(struct cfg_label *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].value);
	}
	free(v);
}

/* Wipes and frees a secret. */
static void
cfg_free_secret(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

/* Frees a configuration. */
void
cfg_free(struct cfg *c)
{
	if (c == NULL)
		return;
	cfg_free_strs(c->files, c->nfiles);
	cfg_free_strs(c->resolver.servers, c->resolver.nservers);
	free(c->log_level);
	free(c->state);
	free(c->http_listen);
	for (size_t i = 0; i < c->nsinks; i++) {
		struct cfg_sink *s = &c->sinks[i];

		free(s->name);
		cfg_free_secret(s->url);
		cfg_free_secret(s->routing_key);
		cfg_free_secret(s->secret);
		cfg_free_labels(s->match, s->nmatch);
	}
	free(c->sinks);
	for (size_t i = 0; i < c->ndomains; i++) {
		struct cfg_domain *d = &c->domains[i];

		free(d->name);
		cfg_free_labels(d->labels, d->nlabels);
		cfg_free_strs(d->mail_names, d->nmail_names);
		free(d->ses.region);
		free(d->ses.mail_from);
		cfg_free_strs(d->ses.dkim_tokens, d->ses.ndkim_tokens);
		cfg_free_strs(d->sending_ips, d->nsending_ips);
		cfg_free_strs(d->dkim_selectors, d->ndkim_selectors);
	}
	free(c->domains);
	free(c);
}

/* Finds a domain by name, in any case and with or without the trailing dot. */
const struct cfg_domain *
cfg_find_domain(const struct cfg *c, const char *name)
{
	size_t len = strlen(name);

	if (len > 0 && name[len - 1] == '.')
		len--;
	for (size_t i = 0; i < c->ndomains; i++) {
		const char *d = c->domains[i].name;

		if (d != NULL && strlen(d) == len && strncasecmp(d, name, len) == 0)
			return &c->domains[i];
	}
	return NULL;
}
