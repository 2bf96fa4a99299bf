/*
 * The cfg module's arenas: many small allocations carved from a few large blocks and freed
 * all at once. A configuration keeps its domains' strings and lists in one (no malloc
 * header and no rounding up per string), and the YAML reader keeps its nodes in them.
 */
#include "config.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_int.h"
#include "log.h"
#include "xmalloc.h"

#define CFG_ARENA_FIRST 4096	    /* the first block; each next one is twice as large */
#define CFG_ARENA_MAX (1024 * 1024) /* up to this; larger requests get a block of their own */

/* What an arena holds that needs aligning: pointers, sizes and the nodes made of them. */
union cfg_arena_align {
	void *p;
	size_t z;
	unsigned long long u;
};

#define CFG_ARENA_ALIGN alignof(union cfg_arena_align)

/* One block of memory; the arena's blocks form a list, the one being filled first. */
struct cfg_arena_block {
	struct cfg_arena_block *next;
	size_t size, used;
	alignas(CFG_ARENA_ALIGN) char data[];
};

struct cfg_arena {
	struct cfg_arena_block *blocks; /* the block being filled, then older ones */
	size_t next_size;		/* size of the next block */
};

/* Returns a new, empty arena. */
struct cfg_arena *
cfg_arena_new(void)
{
	struct cfg_arena *a = xcalloc(1, sizeof(*a));

	a->next_size = CFG_ARENA_FIRST;
	return a;
}

/* Returns a new block for size bytes: a block of its own behind the one being filled when
 * the request is large, else the next, larger block to fill. */
static struct cfg_arena_block *
cfg_arena_grow(struct cfg_arena *a, size_t size)
{
	struct cfg_arena_block *b;

	if (size > SIZE_MAX - sizeof(*b))
		fatalx("cfg_arena: %zu bytes is too large", size);
	if (size > a->next_size / 4) {
		b = xmalloc(sizeof(*b) + size);
		b->size = size;
		b->used = 0;
		if (a->blocks == NULL) {
			b->next = NULL;
			a->blocks = b;
		} else {
			b->next = a->blocks->next;
			a->blocks->next = b;
		}
		return b;
	}
	b = xmalloc(sizeof(*b) + a->next_size);
	b->size = a->next_size;
	b->used = 0;
	b->next = a->blocks;
	a->blocks = b;
	if (a->next_size < CFG_ARENA_MAX)
		a->next_size *= 2;
	return b;
}

/* Returns size bytes from the arena, aligned as align (a power of two). */
static void *
cfg_arena_get(struct cfg_arena *a, size_t size, size_t align)
{
	struct cfg_arena_block *b = a->blocks;
	size_t at = 0;

	if (b != NULL)
		at = (b->used + align - 1) & ~(align - 1);
	if (b == NULL || at > b->size || b->size - at < size) {
		b = cfg_arena_grow(a, size);
		at = 0;
	}
	b->used = at + size;
	return b->data + at;
}

/* Returns size bytes of uninitialised memory, aligned for any pointer or size; they live
 * until the arena is reset or freed. */
void *
cfg_arena_alloc(struct cfg_arena *a, size_t size)
{
	return cfg_arena_get(a, size, CFG_ARENA_ALIGN);
}

/* Returns nmemb * size zeroed bytes, aligned as cfg_arena_alloc's; aborts on overflow. */
void *
cfg_arena_calloc(struct cfg_arena *a, size_t nmemb, size_t size)
{
	size_t total;
	void *p;

	if (__builtin_mul_overflow(nmemb, size, &total))
		fatalx("cfg_arena: %zu * %zu bytes overflows", nmemb, size);
	p = cfg_arena_alloc(a, total);
	memset(p, 0, total);
	return p;
}

/* Returns a NUL-terminated copy of the first len bytes of s. */
char *
cfg_arena_strndup(struct cfg_arena *a, const char *s, size_t len)
{
	char *p;

	if (len == SIZE_MAX)
		fatalx("cfg_arena: string too long");
	p = cfg_arena_get(a, len + 1, 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* Returns a copy of s. */
char *
cfg_arena_strdup(struct cfg_arena *a, const char *s)
{
	return cfg_arena_strndup(a, s, strlen(s));
}

/* Forgets everything allocated, keeping the block being filled (the largest but for those
 * of a single request) for what comes next. */
void
cfg_arena_reset(struct cfg_arena *a)
{
	struct cfg_arena_block *b, *next;

	if (a->blocks == NULL)
		return;
	for (b = a->blocks->next; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	a->blocks->next = NULL;
	a->blocks->used = 0;
}

/* Frees an arena and everything allocated from it; NULL does nothing. */
void
cfg_arena_free(struct cfg_arena *a)
{
	struct cfg_arena_block *b, *next;

	if (a == NULL)
		return;
	for (b = a->blocks; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	free(a);
}
