/* Allocation wrappers that abort on out-of-memory, so callers never check. */
#ifndef MXW_XMALLOC_H
#define MXW_XMALLOC_H

#include <stdarg.h>
#include <stddef.h>

/* Returns size bytes of uninitialised memory; never NULL (size 0 gives a 1-byte block). */
void *xmalloc(size_t size);
/* Returns nmemb * size zeroed bytes; aborts on overflow. */
void *xcalloc(size_t nmemb, size_t size);
/* Resizes ptr to nmemb * size bytes; aborts on overflow. */
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
/* Returns a copy of s; the caller frees it. */
char *xstrdup(const char *s);
/* Returns a copy of the first n bytes of s, NUL-terminated; the caller frees it. */
char *xstrndup(const char *s, size_t n);
/* Returns a newly allocated formatted string; the caller frees it. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* As xasprintf, with a va_list. */
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#endif
