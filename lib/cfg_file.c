/* The cfg module's files: paths relative to the main file, reading one file, and the
 * include: patterns with the files they match. */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg_int.h"
#include "log.h"
#include "xmalloc.h"

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

/* Joins a directory and a relative path. */
char *
cfg_join(const char *dir, const char *rel)
{
	size_t n = strlen(dir);

	return xasprintf("%s%s%s", dir, n > 0 && dir[n - 1] == '/' ? "" : "/", rel);
}

/* Returns path when absolute, else path under the main file's directory. */
char *
cfg_resolve(const struct ctx *x, const char *path)
{
	return path[0] == '/' ? xstrdup(path) : cfg_join(x->dir, path);
}

/* Returns the absolute directory a file is in. */
char *
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

/* Reads include:, keeping each pattern (resolved against the main file's directory) and
 * where it was written; the files are read once the main file is done. */
void
cfg_include(struct ctx *x, const struct node *n)
{
	if (!cfg_is_list(x, n, "include"))
		return;
	x->incs = xcalloc(n->nitems, sizeof(*x->incs));
	for (const struct node *it = n->items; it != NULL; it = it->next) {
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

/* Reads one file into the configuration; from is the include pattern that named it (NULL for
 * the main file). Domains are read as the YAML is, never all kept as nodes; what they find
 * is ordered as if they were read after the rest of the file, and a file that does not parse
 * gives only its syntax error. */
void
cfg_read_file(struct ctx *x, const char *path, const struct cfg_loc *from)
{
	struct cfg *c = x->c;
	struct cfg_arena *mem;
	struct node *root;
	struct stat st;
	FILE *f;
	size_t ndomains = c->ndomains, mark = cfg_err_mark(x), streamed;
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
	mem = cfg_arena_new();
	if (cfg_parse(x, f, mem, "domains", cfg_domain, &root) != 0) {
		cfg_domains_truncate(x, ndomains);
		cfg_err_drop(x, mark, cfg_err_mark(x) - 1);
	} else if (root != NULL) {
		streamed = cfg_err_mark(x);
		if (root->type == NODE_SCALAR && root->value[0] == '\0')
			; /* a document with nothing in it */
		else if (x->included)
			cfg_top_included(x, root);
		else
			cfg_top(x, root);
		cfg_err_defer(x, mark, streamed);
	}
	cfg_arena_free(mem);
	fclose(f);
}

/* Orders include matches by path. */
static int
cfg_match_cmp(const void *a, const void *b)
{
	return strcmp(((const struct cfg_match *)a)->path, ((const struct cfg_match *)b)->path);
}

/* Expands the include patterns and reads every .yaml file they match, sorted by path; then
 * frees the patterns. */
void
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
	for (size_t i = 0; i < x->nincs; i++)
		free(x->incs[i].pattern);
	free(x->incs);
	x->incs = NULL;
	x->nincs = 0;
}
