/* The versions of mxwatch and its libraries. */
#ifndef MXW_VERSION_H
#define MXW_VERSION_H

/* Returns "PROGRAM VERSION" and the versions of the libraries it was linked with, as
 * they report them at run time, one text of a few lines; caller frees. */
char *version_text(const char *program);

#endif
