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

/* Returns how many errors are recorded, a mark for cfg_err_drop and cfg_err_defer. */
size_t
cfg_err_mark(const struct ctx *x)
{
	return x->nerrs;
}

/* Forgets the errors recorded between two marks. */
void
cfg_err_drop(struct ctx *x, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		free(x->errs[i].text);
	memmove(x->errs + from, x->errs + to, (x->nerrs - to) * sizeof(*x->errs));
	x->nerrs -= to - from;
	for (size_t i = from; i < x->nerrs; i++)
		x->errs[i].seq = i;
}

/* Moves the errors recorded between two marks after all the others, as if recorded last. */
void
cfg_err_defer(struct ctx *x, size_t from, size_t to)
{
	size_t n = to - from;
	struct cfg_error *moved;

	if (n == 0 || to == x->nerrs)
		return;
	moved = xreallocarray(NULL, n, sizeof(*moved));
	memcpy(moved, x->errs + from, n * sizeof(*moved));
	memmove(x->errs + from, x->errs + to, (x->nerrs - to) * sizeof(*x->errs));
	memcpy(x->errs + x->nerrs - n, moved, n * sizeof(*moved));
	free(moved);
	for (size_t i = from; i < x->nerrs; i++)
		x->errs[i].seq = i;
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

/* The state of one cfg_parse: the containers open and the list being streamed. */
struct parse {
	struct ctx *x;
	struct cfg_arena *mem;		  /* the tree */
	struct cfg_arena *item_mem;	  /* the item of the streamed list being read */
	struct node *open[CFG_MAX_DEPTH]; /* the containers open, the top first */
	struct node *last[CFG_MAX_DEPTH]; /* the last item of each */
	size_t depth;
	const char *stream_key;
	cfg_item_fn fn;
	size_t stream; /* depth while the streamed list is the innermost container; 0: none */
	bool key_seen; /* the top-level mapping has had stream_key */
	bool key_next; /* the next top-level value is the first stream_key's */
};

/* Makes a node and puts it in the tree, except an item of the streamed list, which stays
 * apart until it is handed on. */
static struct node *
cfg_parse_node(struct parse *p, int type, unsigned line, unsigned col, const char *value,
	       size_t len)
{
	struct cfg_arena *a = p->stream != 0 && p->depth >= p->stream ? p->item_mem : p->mem;
	struct node *n = cfg_arena_calloc(a, 1, sizeof(*n)), *parent;

	n->type = type;
	n->line = line;
	n->col = col;
	if (type == NODE_SCALAR)
		n->value = cfg_arena_strndup(a, value, len);
	if (p->depth == 0 || p->depth == p->stream)
		return n;
	parent = p->open[p->depth - 1];
	if (parent->items == NULL)
		parent->items = n;
	else
		p->last[p->depth - 1]->next = n;
	p->last[p->depth - 1] = n;
	parent->nitems++;
	return n;
}

/* Notes whether a node just put in the top-level mapping is the first stream_key: key, or
 * the list that is its value, which is then streamed. */
static void
cfg_parse_top(struct parse *p, const struct node *n)
{
	if (p->depth != 1 || p->open[0]->type != NODE_MAP || p->stream_key == NULL)
		return;
	if (p->open[0]->nitems % 2 == 1) {
		p->key_next =
		    !p->key_seen && n->type == NODE_SCALAR && strcmp(n->value, p->stream_key) == 0;
		p->key_seen = p->key_seen || p->key_next;
	} else if (p->key_next) {
		p->key_next = false;
		if (n->type == NODE_SEQ)
			p->stream = 2;
	}
}

/* Hands on an item of the streamed list that has been read, and forgets it. */
static void
cfg_parse_item(struct parse *p, const struct node *item)
{
	p->fn(p->x, item);
	cfg_arena_reset(p->item_mem);
}

/* Reads one YAML stream into a node tree (NULL when it holds no document), streaming the
 * items of the first top-level stream_key: list to fn. Returns 0, or -1 after recording why
 * not: a syntax error, an alias, deep nesting, a NUL or a second document. */
int
cfg_parse(struct ctx *x, FILE *f, struct cfg_arena *mem, const char *stream_key, cfg_item_fn fn,
	  struct node **root)
{
	struct parse p = {.x = x, .mem = mem, .stream_key = stream_key, .fn = fn};
	yaml_parser_t yp;
	yaml_event_t ev;
	int ndocs = 0, rc = 0;
	bool done = false;

	*root = NULL;
	if (!yaml_parser_initialize(&yp))
		fatalx("out of memory parsing %s", x->file);
	yaml_parser_set_input_file(&yp, f);
	p.item_mem = cfg_arena_new();
	while (!done) {
		struct node *n = NULL;
		unsigned line, col;

		if (!yaml_parser_parse(&yp, &ev)) {
			cfg_yaml_error(x, &yp, f);
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
			if (memchr(ev.data.scalar.value, '\0', ev.data.scalar.length) != NULL) {
				cfg_err_at(x, x->file, line, col,
					   "a value contains a NUL character");
				rc = -1;
				done = true;
				break;
			}
			n = cfg_parse_node(&p, NODE_SCALAR, line, col,
					   (const char *)ev.data.scalar.value,
					   ev.data.scalar.length);
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			n = cfg_parse_node(
			    &p, ev.type == YAML_SEQUENCE_START_EVENT ? NODE_SEQ : NODE_MAP, line,
			    col, NULL, 0);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			p.depth--;
			if (p.stream != 0 && p.depth == p.stream)
				cfg_parse_item(&p, p.open[p.depth]);
			else if (p.stream != 0 && p.depth + 1 == p.stream)
				p.stream = 0;
			break;
		default:
			break;
		}
		if (n != NULL) {
			if (p.depth == 0)
				*root = n;
			cfg_parse_top(&p, n);
			if (n->type == NODE_SCALAR) {
				if (p.stream != 0 && p.depth == p.stream)
					cfg_parse_item(&p, n);
			} else if (p.depth == CFG_MAX_DEPTH) {
				cfg_err_at(x, x->file, line, col, "nested deeper than %d levels",
					   CFG_MAX_DEPTH);
				rc = -1;
				done = true;
			} else {
				p.open[p.depth++] = n;
			}
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&yp);
	cfg_arena_free(p.item_mem);
	if (rc != 0)
		*root = NULL;
	return rc;
}
