#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "dns_fmt.h"
#include "dns_pkt.h"
#include "snap.h"
#include "xmalloc.h"

/* Returns an empty snapshot. */
struct snap *
snap_new(const char *domain)
{
	struct snap *s = xcalloc(1, sizeof(*s));

	s->domain = xstrdup(domain);
	return s;
}

/* Frees the strings of a list. */
static void
free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Frees what a set holds. */
static void
set_clear(struct snap_set *set)
{
	free(set->name);
	free_list(set->records, set->nrecords);
	free_list(set->cnames, set->ncnames);
	memset(set, 0, sizeof(*set));
}

/* Frees a snapshot. */
void
snap_free(struct snap *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nsets; i++)
		set_clear(&s->sets[i]);
	free(s->sets);
	free(s->domain);
	free(s);
}

/* Orders sets by name, then type. */
static int
key_cmp(const char *an, uint16_t at, const char *bn, uint16_t bt)
{
	int c = strcmp(an, bn);

	if (c != 0)
		return c;
	return at < bt ? -1 : at > bt;
}

/* Finds the index of (name, type), or where it would go; sets *found. */
static size_t
find(const struct snap *s, const char *name, uint16_t type, bool *found)
{
	size_t lo = 0, hi = s->nsets;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = key_cmp(s->sets[mid].name, s->sets[mid].type, name, type);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

/* Returns the set (name, type), emptied, adding it in order if needed. */
struct snap_set *
snap_slot(struct snap *s, const char *name, uint16_t type)
{
	bool found;
	size_t i = find(s, name, type, &found);

	if (found) {
		set_clear(&s->sets[i]);
	} else {
		s->sets = xreallocarray(s->sets, s->nsets + 1, sizeof(*s->sets));
		memmove(&s->sets[i + 1], &s->sets[i], (s->nsets - i) * sizeof(*s->sets));
		memset(&s->sets[i], 0, sizeof(*s->sets));
		s->nsets++;
	}
	s->sets[i].name = xstrdup(name);
	s->sets[i].type = type;
	return &s->sets[i];
}

/* Compares two strings for qsort. */
static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts a list of strings and drops duplicates. */
static void
sort_unique(char **v, size_t *n)
{
	size_t o = 0;

	qsort(v, *n, sizeof(*v), str_cmp);
	for (size_t i = 0; i < *n; i++) {
		if (o > 0 && strcmp(v[o - 1], v[i]) == 0)
			free(v[i]);
		else
			v[o++] = v[i];
	}
	*n = o;
}

/* Records a DNS result. */
void
snap_put(struct snap *s, const struct dns_result *res)
{
	struct snap_set *set = snap_slot(s, res->qname, res->qtype);

	set->outcome = res->outcome;
	set->known = dns_outcome_is_known(res->outcome) ? res->outcome : DNS_ERROR;
	set->failed = dns_outcome_is_known(res->outcome) ? 0 : 1;
	if (!dns_outcome_is_known(res->outcome))
		return;
	set->ttl = res->ttl;
	if (res->nrrs > 0) {
		set->records = xcalloc(res->nrrs, sizeof(*set->records));
		for (size_t i = 0; i < res->nrrs; i++)
			set->records[i] = dns_fmt_canon(&res->rrs[i]);
		set->nrecords = res->nrrs;
		sort_unique(set->records, &set->nrecords);
	}
	if (res->ncnames > 0) {
		set->cnames = xcalloc(res->ncnames, sizeof(*set->cnames));
		for (size_t i = 0; i < res->ncnames; i++)
			set->cnames[i] = xstrdup(res->cnames[i].data);
		set->ncnames = res->ncnames;
	}
}

/* Finds a set by name in any case. */
const struct snap_set *
snap_get(const struct snap *s, const char *name, uint16_t type)
{
	char canon[DNS_NAME_TEXT_MAX + 1];
	size_t n = strlen(name);
	bool found;
	size_t i;

	/* The canonical form (lower case, trailing dot) without an allocation: rules look up
	 * dozens of sets per domain. */
	if (n >= DNS_NAME_TEXT_MAX)
		return NULL;
	for (size_t j = 0; j < n; j++)
		canon[j] =
		    (name[j] >= 'A' && name[j] <= 'Z') ? (char)(name[j] - 'A' + 'a') : name[j];
	if (n == 0 || canon[n - 1] != '.' || (n >= 2 && canon[n - 2] == '\\'))
		canon[n++] = '.';
	canon[n] = '\0';
	i = find(s, canon, type, &found);
	return found ? &s->sets[i] : NULL;
}

/* Copies a list of strings. */
static char **
copy_list(char *const *v, size_t n)
{
	char **c = n ? xcalloc(n, sizeof(*c)) : NULL;

	for (size_t i = 0; i < n; i++)
		c[i] = xstrdup(v[i]);
	return c;
}

/* Keeps the last known state where this check learnt nothing. */
void
snap_carry(struct snap *cur, const struct snap *prev)
{
	if (prev == NULL)
		return;
	for (size_t i = 0; i < cur->nsets; i++) {
		struct snap_set *set = &cur->sets[i];
		const struct snap_set *old;

		if (dns_outcome_is_known(set->outcome))
			continue;
		old = snap_get(prev, set->name, set->type);
		if (old == NULL)
			continue;
		set->failed = old->failed < UINT32_MAX - 1 ? old->failed + 1 : UINT32_MAX;
		if (!dns_outcome_is_known(old->known))
			continue;
		set->known = old->known;
		set->ttl = old->ttl;
		free_list(set->records, set->nrecords);
		free_list(set->cnames, set->ncnames);
		set->records = copy_list(old->records, old->nrecords);
		set->nrecords = old->nrecords;
		set->cnames = copy_list(old->cnames, old->ncnames);
		set->ncnames = old->ncnames;
	}
}

/* Tells whether every set was learnt this check. */
bool
snap_all_known(const struct snap *s)
{
	for (size_t i = 0; i < s->nsets; i++)
		if (!dns_outcome_is_known(s->sets[i].outcome))
			return false;
	return true;
}

/* Builds a JSON array of strings. */
static json_t *
list_json(char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* Returns the JSON form of a set. */
json_t *
snap_set_json(const struct snap_set *set)
{
	char tb[16];
	json_t *o = json_pack(
	    "{s:s, s:s, s:s, s:s}", "name", set->name, "type",
	    dns_type_name(set->type, tb, sizeof(tb)), "outcome", dns_outcome_name(set->outcome),
	    "known", dns_outcome_is_known(set->known) ? dns_outcome_name(set->known) : "none");

	if (set->failed > 0)
		json_object_set_new(o, "failed", json_integer((json_int_t)set->failed));
	json_object_set_new(o, "ttl", json_integer((json_int_t)set->ttl));
	json_object_set_new(o, "records", list_json(set->records, set->nrecords));
	json_object_set_new(o, "cnames", list_json(set->cnames, set->ncnames));
	return o;
}

/* Compares two lists of strings. */
static bool
list_eq(char *const *a, size_t na, char *const *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

/* Tells whether the known state of two sets differs. */
static bool
set_changed(const struct snap_set *a, const struct snap_set *b)
{
	return a->known != b->known || !list_eq(a->records, a->nrecords, b->records, b->nrecords) ||
	       !list_eq(a->cnames, a->ncnames, b->cnames, b->ncnames);
}

/* Tells whether two snapshots hold the same known state. */
bool
snap_same_known(const struct snap *a, const struct snap *b)
{
	if (a->nsets != b->nsets)
		return false;
	for (size_t i = 0; i < a->nsets; i++)
		if (key_cmp(a->sets[i].name, a->sets[i].type, b->sets[i].name, b->sets[i].type) !=
			0 ||
		    set_changed(&a->sets[i], &b->sets[i]) || a->sets[i].failed != b->sets[i].failed)
			return false;
	return true;
}

/* Lists the changes between two snapshots. */
size_t
snap_diff(const struct snap *before, const struct snap *after, struct snap_change **out)
{
	size_t n = 0, i = 0, j = 0;

	*out = NULL;
	if (before == NULL)
		return 0;
	while (i < before->nsets && j < after->nsets) {
		const struct snap_set *b = &before->sets[i], *a = &after->sets[j];
		int c = key_cmp(b->name, b->type, a->name, a->type);

		if (c < 0) {
			i++;
			continue;
		}
		if (c > 0) {
			j++;
			continue;
		}
		i++, j++;
		if (!dns_outcome_is_known(a->outcome) || !dns_outcome_is_known(b->known) ||
		    !set_changed(b, a))
			continue;
		*out = xreallocarray(*out, n + 1, sizeof(**out));
		(*out)[n].before = b;
		(*out)[n].after = a;
		n++;
	}
	return n;
}

/* Tells whether a JSON array of strings holds s. */
static bool
json_list_has(json_t *a, const char *s)
{
	size_t i;
	json_t *e;

	json_array_foreach(a, i, e) if (json_is_string(e) &&
					strcmp(json_string_value(e), s) == 0) return true;
	return false;
}

/* Appends "SIGN PREFIX item" for every item of a that b lacks. */
static void
describe_gone(char **out, const char *sep, json_t *a, json_t *b, const char *sign,
	      const char *prefix)
{
	size_t i;
	json_t *e;

	json_array_foreach(a, i, e)
	{
		char *next;

		if (!json_is_string(e) || json_list_has(b, json_string_value(e)))
			continue;
		next = xasprintf("%s%s%s %s%s", *out, **out ? sep : "", sign, prefix,
				 json_string_value(e));
		free(*out);
		*out = next;
	}
}

/* Describes a change between two sets. */
char *
snap_describe(json_t *before, json_t *after, const char *sep)
{
	const char *bk = json_string_value(json_object_get(before, "known"));
	const char *ak = json_string_value(json_object_get(after, "known"));
	char *out = xstrdup("");

	if (bk != NULL && ak != NULL && strcmp(bk, ak) != 0) {
		free(out);
		out = xasprintf("%s -> %s", bk, ak);
	}
	describe_gone(&out, sep, json_object_get(before, "cnames"),
		      json_object_get(after, "cnames"), "-", "cname ");
	describe_gone(&out, sep, json_object_get(after, "cnames"),
		      json_object_get(before, "cnames"), "+", "cname ");
	describe_gone(&out, sep, json_object_get(before, "records"),
		      json_object_get(after, "records"), "-", "");
	describe_gone(&out, sep, json_object_get(after, "records"),
		      json_object_get(before, "records"), "+", "");
	return out;
}
