#include "config.h"

#include <search.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sched.h"
#include "xmalloc.h"

/* One scheduled domain. */
struct sentry {
	char *name;
	unsigned interval_s;
	int64_t due;
	size_t heap_at; /* index in the heap; SIZE_MAX while running */
};

struct sched {
	struct sentry **heap; /* min-heap by due time of the domains not running */
	size_t nheap, cap;
	void *byname; /* tsearch tree of entries by name */
	size_t count;
};

/* Orders entries by name for the tree. */
static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct sentry *)a)->name, ((const struct sentry *)b)->name);
}

/* Returns a small stable jitter in [0, span) from a name (FNV-1a). */
static int64_t
jitter(const char *name, int64_t span)
{
	uint64_t h = 1469598103934665603ULL;

	if (span <= 0)
		return 0;
	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return (int64_t)(h % (uint64_t)span);
}

struct sched *
sched_new(void)
{
	return xcalloc(1, sizeof(struct sched));
}

/* Frees one entry (tdestroy callback). */
static void
entry_free(void *p)
{
	struct sentry *e = p;

	free(e->name);
	free(e);
}

void
sched_free(struct sched *s)
{
	if (s == NULL)
		return;
	tdestroy(s->byname, entry_free);
	free(s->heap);
	free(s);
}

/* Swaps two heap slots. */
static void
swap(struct sched *s, size_t i, size_t j)
{
	struct sentry *t = s->heap[i];

	s->heap[i] = s->heap[j];
	s->heap[j] = t;
	s->heap[i]->heap_at = i;
	s->heap[j]->heap_at = j;
}

/* Tells whether slot i comes before slot j. */
static bool
before(const struct sched *s, size_t i, size_t j)
{
	if (s->heap[i]->due != s->heap[j]->due)
		return s->heap[i]->due < s->heap[j]->due;
	return strcmp(s->heap[i]->name, s->heap[j]->name) < 0;
}

/* Restores the heap order around slot i. */
static void
fix(struct sched *s, size_t i)
{
	while (i > 0 && before(s, i, (i - 1) / 2)) {
		swap(s, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < s->nheap && before(s, l, m))
			m = l;
		if (r < s->nheap && before(s, r, m))
			m = r;
		if (m == i)
			break;
		swap(s, i, m);
		i = m;
	}
}

/* Puts an entry into the heap. */
static void
heap_push(struct sched *s, struct sentry *e)
{
	if (s->nheap == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->heap = xreallocarray(s->heap, s->cap, sizeof(*s->heap));
	}
	e->heap_at = s->nheap;
	s->heap[s->nheap++] = e;
	fix(s, e->heap_at);
}

/* Takes an entry out of the heap. */
static void
heap_remove(struct sched *s, struct sentry *e)
{
	size_t i = e->heap_at;

	s->nheap--;
	if (i != s->nheap) {
		s->heap[i] = s->heap[s->nheap];
		s->heap[i]->heap_at = i;
		fix(s, i);
	}
	e->heap_at = SIZE_MAX;
}

/* Finds an entry by name. */
static struct sentry *
lookup(const struct sched *s, const char *name)
{
	struct sentry key = {.name = (char *)(uintptr_t)name};
	void *const *found = tfind(&key, &s->byname, by_name);

	return found ? *(struct sentry *const *)found : NULL;
}

void
sched_add(struct sched *s, const char *name, unsigned interval_s, int64_t next_due, int64_t now,
	  size_t rank, size_t count)
{
	struct sentry *e = lookup(s, name);

	if (interval_s == 0)
		interval_s = 1;
	if (e != NULL) {
		e->interval_s = interval_s;
		return;
	}
	e = xcalloc(1, sizeof(*e));
	e->name = xstrdup(name);
	e->interval_s = interval_s;
	if (next_due > now + (int64_t)interval_s)
		next_due = 0; /* from a longer interval: schedule afresh */
	if (next_due == 0)
		e->due = now + (int64_t)((uint64_t)interval_s * rank / (count ? count : 1));
	else if (next_due < now)
		e->due = now + jitter(name, interval_s); /* overdue: spread, do not stampede */
	else
		e->due = next_due;
	tsearch(e, &s->byname, by_name);
	s->count++;
	heap_push(s, e);
}

void
sched_remove(struct sched *s, const char *name)
{
	struct sentry *e = lookup(s, name);

	if (e == NULL)
		return;
	if (e->heap_at != SIZE_MAX)
		heap_remove(s, e);
	tdelete(e, &s->byname, by_name);
	s->count--;
	entry_free(e);
}

size_t
sched_count(const struct sched *s)
{
	return s->count;
}

const char *
sched_take(struct sched *s, int64_t now)
{
	struct sentry *e;

	if (s->nheap == 0 || s->heap[0]->due > now)
		return NULL;
	e = s->heap[0];
	heap_remove(s, e);
	return e->name;
}

int64_t
sched_done(struct sched *s, const char *name, int64_t now)
{
	struct sentry *e = lookup(s, name);

	if (e == NULL || e->heap_at != SIZE_MAX)
		return -1;
	/* The next slot after the one just run; slots missed while it ran are skipped. */
	e->due += e->interval_s;
	if (e->due <= now)
		e->due += ((now - e->due) / e->interval_s + 1) * e->interval_s;
	heap_push(s, e);
	return e->due;
}

int64_t
sched_next(const struct sched *s)
{
	return s->nheap ? s->heap[0]->due : -1;
}

int64_t
sched_due_of(const struct sched *s, const char *name)
{
	struct sentry *e = lookup(s, name);

	return e ? e->due : -1;
}
