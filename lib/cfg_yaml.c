/*
 * The cfg module's reading of YAML: a file becomes a tree of nodes that remember where they
 * were written, and every problem found is collected at its position and reported in file
 * order, one per line.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "cfg_int.h"
#include "log.h"
#include "xmalloc.h"

#define CFG_MAX_DEPTH 64

/* One error found, with where it was found, so that errors come out in file order. */
struct cfg_error {
	size_t file; /* index in cfg.files; SIZE_MAX: a file that could not be opened */
	unsigned line, col;
	size_t seq;
	char *text;
};

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
void __attribute__((format(printf, 5, 6)))
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
void
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

/* Returns every error in file order, one per line, and empties the list. */
char *
cfg_err_join(struct ctx *x)
{
	size_t len = 0;
	char *s, *p;

	qsort(x->errs, x->nerrs, sizeof(*x->errs), cfg_err_cmp);
	for (size_t i = 0; i < x->nerrs; i++)
		len += strlen(x->errs[i].text) + 1;
	s = p = xmalloc(len);
	for (size_t i = 0; i < x->nerrs; i++) {
		if (i > 0)
			*p++ = '\n';
		p = stpcpy(p, x->errs[i].text);
		free(x->errs[i].text);
	}
	free(x->errs);
	x->errs = NULL;
	x->nerrs = 0;
	return s;
}

/* Records an error at a node of the file being read. */
void __attribute__((format(printf, 3, 4)))
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
struct cfg_loc
cfg_loc_of(const struct ctx *x, const struct node *n)
{
	struct cfg_loc loc = {x->file, n->line, n->col};

	return loc;
}

/* Frees a node and everything under it. */
void
cfg_node_free(struct node *n)
{
	if (n == NULL)
		return;
	for (size_t i = 0; i < n->nitems; i++)
		cfg_node_free(n->items[i]);
	free(n->items);
	free(n->value);
	free(n);
}

/* Appends a child to a sequence or mapping node. */
static void
cfg_node_add(struct node *parent, struct node *child)
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
int
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
				cfg_node_add(stack[depth - 1], n);
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
		cfg_node_free(*root);
		*root = NULL;
	}
	return rc;
}
