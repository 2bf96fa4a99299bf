/* The cfg module's typed values: mappings with known keys, lists, numbers, booleans,
 * durations and labels read from YAML nodes, each bad value reported where it was written. */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_int.h"

/* True for ASCII a-z. */
bool
cfg_lower(char ch)
{
	return ch >= 'a' && ch <= 'z';
}

/* True for ASCII 0-9. */
bool
cfg_digit(char ch)
{
	return ch >= '0' && ch <= '9';
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
bool
cfg_is_list(struct ctx *x, const struct node *n, const char *what)
{
	if (n->type == NODE_SEQ)
		return true;
	cfg_err(x, n, "%s: expected a list", what);
	return false;
}

/* Returns the text of a single value, or NULL after reporting that something else is there. */
const char *
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
bool
cfg_fields(struct ctx *x, const struct node *n, const char *what, const char *where,
	   const char *const *keys, struct fields *f)
{
	memset(f, 0, sizeof(*f));
	if (!cfg_is_map(x, n, what))
		return false;
	for (const struct node *k = n->items; k != NULL && k->next != NULL; k = k->next->next) {
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
			f->val[j] = k->next;
		}
	}
	return true;
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
bool
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
void
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
void
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
void
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
void
cfg_strlist(struct ctx *x, const struct node *n, const char *what, cfg_conv conv, char ***out,
	    size_t *nout)
{
	if (!cfg_is_list(x, n, what))
		return;
	*out = cfg_arena_calloc(x->mem, n->nitems, sizeof(**out));
	*nout = 0;
	for (const struct node *it = n->items; it != NULL; it = it->next) {
		char *v;
		size_t j;

		if (cfg_scalar(x, it, what) == NULL || (v = conv(x, it)) == NULL)
			continue;
		for (j = 0; j < *nout && strcmp((*out)[j], v) != 0; j++)
			;
		if (j < *nout) {
			cfg_err(x, it, "%s: \"%s\" is listed twice", what, it->value);
			continue;
		}
		(*out)[(*nout)++] = v;
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
void
cfg_labels(struct ctx *x, const struct node *n, const char *what, struct cfg_label **out,
	   size_t *nout)
{
	if (!cfg_is_map(x, n, what))
		return;
	*out = cfg_arena_calloc(x->mem, n->nitems / 2, sizeof(**out));
	*nout = 0;
	for (const struct node *k = n->items; k != NULL && k->next != NULL; k = k->next->next) {
		const struct node *v = k->next;
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
		(*out)[*nout].key = cfg_arena_strdup(x->mem, k->value);
		(*out)[*nout].value = cfg_arena_strdup(x->mem, v->value);
		(*nout)++;
	}
}
