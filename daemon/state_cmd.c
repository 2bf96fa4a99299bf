/* mxwatch history and mxwatch show: what mxwatchd has recorded of one domain, read from its
 * state database without disturbing it. */
#include "config.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "cli.h"
#include "dns.h"
#include "snap.h"
#include "store.h"
#include "store_query.h"
#include "xmalloc.h"

/* The options of history and show. */
struct state_opts {
	const char *config;
	const char *state;
	bool json;
	long limit;
	char domain[CFG_NAME_MAX + 1]; /* canonical */
};

/* Prints the help of history to f, or (not full) its synopsis and where the help is. */
static void
history_usage(FILE *f, bool full)
{
	fputs("usage: mxwatch history DOMAIN [-c FILE | --state DB] [--limit N] [--json]\n", f);
	if (!full) {
		fprintf(f, "mxwatch history --help lists the options.\n");
		return;
	}
	fputs("\n"
	      "Lists the recorded changes of DOMAIN (in any case, with or without the trailing\n"
	      "dot), newest first, from the state database of mxwatchd. The database is only\n"
	      "read: mxwatchd may run meanwhile.\n"
	      "\n"
	      "  -c, --config FILE   find the state database through this configuration\n"
	      "                      (default " CLI_DEFAULT_CONFIG "), read\n"
	      "                      without its secrets\n"
	      "  -s, --state DB      read this state database; no configuration is read\n"
	      "  -n, --limit N       show the N newest changes only\n"
	      "  -j, --json          one JSON object per change and line\n"
	      "  -h, --help          print this help\n"
	      "\n"
	      "Exit status: 0 the changes were printed (possibly none), 3 no readable state\n"
	      "database or DOMAIN is not in it, 64 usage error.\n",
	      f);
}

/* Prints the help of show to f, or (not full) its synopsis and where the help is. */
static void
show_usage(FILE *f, bool full)
{
	fputs("usage: mxwatch show DOMAIN [-c FILE | --state DB] [--json]\n", f);
	if (!full) {
		fprintf(f, "mxwatch show --help lists the options.\n");
		return;
	}
	fputs("\n"
	      "Prints the last known record sets of DOMAIN (in any case, with or without the\n"
	      "trailing dot) from the state database of mxwatchd. The database is only read:\n"
	      "mxwatchd may run meanwhile.\n"
	      "\n"
	      "  -c, --config FILE   find the state database through this configuration\n"
	      "                      (default " CLI_DEFAULT_CONFIG "), read\n"
	      "                      without its secrets\n"
	      "  -s, --state DB      read this state database; no configuration is read\n"
	      "  -j, --json          one JSON object\n"
	      "  -h, --help          print this help\n"
	      "\n"
	      "Exit status: 0 the state was printed, 3 no readable state database or DOMAIN is\n"
	      "not in it, 64 usage error.\n",
	      f);
}

/* Parses the options of history (with_limit) or show into so. Returns 0 to go on, 1 when
 * the help was printed, or -1 after printing a usage error. */
static int
parse_state_opts(int argc, char **argv, bool with_limit, struct state_opts *so)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"state", required_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},
	    {"limit", required_argument, NULL, 'n'}, /* history only */
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	void (*usage)(FILE *, bool) = with_limit ? history_usage : show_usage;
	const char *why;
	int c;

	memset(so, 0, sizeof(*so));
	so->config = CLI_DEFAULT_CONFIG;
	opterr = 0; /* getopt's own messages would name the command as the program */
	while ((c = getopt_long(argc, argv, ":c:s:jn:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			so->config = optarg;
			break;
		case 's':
			so->state = optarg;
			break;
		case 'j':
			so->json = true;
			break;
		case 'n':
			if (!with_limit) {
				fprintf(stderr, "mxwatch: %s does not take --limit\n", argv[0]);
				goto fail;
			}
			if (parse_count("--limit", optarg, 1000000000, &so->limit) == -1)
				goto fail;
			break;
		case 'h':
			usage(stdout, true);
			return 1;
		default:
			cli_option_error(argv[0], c, argv);
			goto fail;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "mxwatch: %s wants one DOMAIN\n", argv[0]);
		goto fail;
	}
	if (!cfg_name_check(argv[optind], 2, so->domain, &why)) {
		fprintf(stderr, "mxwatch: bad domain name \"%s\": %s\n", argv[optind], why);
		goto fail;
	}
	return 0;
fail:
	usage(stderr, false);
	return -1;
}

/* One recorded change, copied out of the store so that it is printed after the read. */
struct history_change {
	int64_t at;
	char *name, *rrtype, *before, *after;
};

/* The changes history read, newest first. */
struct history {
	struct history_change *v;
	size_t n;
};

/* Copies one change (a store_history callback). */
static int
add_change(const struct store_change *c, void *arg)
{
	struct history *h = arg;
	struct history_change *x;

	h->v = xreallocarray(h->v, h->n + 1, sizeof(*h->v));
	x = &h->v[h->n++];
	x->at = c->at;
	x->name = xstrdup(c->name ? c->name : "");
	x->rrtype = xstrdup(c->rrtype ? c->rrtype : "");
	x->before = c->before ? xstrdup(c->before) : NULL;
	x->after = c->after ? xstrdup(c->after) : NULL;
	return 0;
}

/* Frees the changes read. */
static void
history_clear(struct history *h)
{
	for (size_t i = 0; i < h->n; i++) {
		free(h->v[i].name);
		free(h->v[i].rrtype);
		free(h->v[i].before);
		free(h->v[i].after);
	}
	free(h->v);
}

/* Reads the changes of so->domain into h in one read transaction, which is over before
 * anything is printed: a reader of the output that stalls never holds up mxwatchd. Returns
 * 1 when the domain is known, 0 when it is not, -1 with *errstr. */
static int
history_read(struct store *st, const struct state_opts *so, struct history *h, char **errstr)
{
	struct store_domain d;
	char *text = NULL;
	int found;

	if (store_begin_read(st, errstr) != 0)
		return -1;
	found = store_get_domain(st, so->domain, &d, &text, errstr);
	free(text);
	if (found < 0 || (found > 0 && store_history(st, so->domain, (size_t)so->limit, add_change,
						     h, errstr) != 0)) {
		store_rollback(st);
		return -1;
	}
	if (store_commit(st, errstr) != 0)
		return -1;
	return found;
}

/* Prints one history entry. */
static void
print_change(const struct state_opts *so, const struct history_change *c)
{
	json_t *before = c->before ? json_loads(c->before, 0, NULL) : NULL;
	json_t *after = c->after ? json_loads(c->after, 0, NULL) : NULL;
	char tb[40];

	if (so->json) {
		json_t *o = json_pack(
		    "{s:s, s:s, s:s, s:s, s:O, s:O}", "at", cli_iso_time(c->at, tb, sizeof(tb)),
		    "domain", so->domain, "name", c->name, "rrtype", c->rrtype, "before",
		    before ? before : json_null(), "after", after ? after : json_null());
		char *line = json_dumps(o, JSON_COMPACT);

		puts(line);
		free(line);
		json_decref(o);
	} else {
		char *what = snap_describe(before, after, "\n  ");

		printf("%s  %s %s\n  %s\n", cli_fmt_time(c->at, tb, sizeof(tb)), c->name, c->rrtype,
		       what);
		free(what);
	}
	json_decref(before);
	json_decref(after);
}

/* mxwatch history: the recorded changes of a domain. */
int
cmd_history(int argc, char **argv)
{
	struct state_opts so;
	struct history h = {0};
	struct store *st;
	char *err = NULL;
	int found, rc = 0;

	if ((rc = parse_state_opts(argc, argv, true, &so)) != 0)
		return rc > 0 ? 0 : CLI_EXIT_USAGE;
	if ((st = cli_open_state(so.config, so.state, NULL)) == NULL)
		return CLI_EXIT_UNKNOWN;
	found = history_read(st, &so, &h, &err);
	store_close(st);
	if (found < 0) {
		fprintf(stderr, "mxwatch: %s\n", err);
		free(err);
		rc = CLI_EXIT_UNKNOWN;
	} else if (found == 0) {
		fprintf(stderr, "mxwatch: %s is not in the state database\n", so.domain);
		rc = CLI_EXIT_UNKNOWN;
	}
	for (size_t i = 0; i < h.n; i++)
		print_change(&so, &h.v[i]);
	history_clear(&h);
	if (fflush(stdout) != 0)
		rc = CLI_EXIT_UNKNOWN;
	return rc;
}

/* Prints one record set of a snapshot. */
static void
print_set(const struct snap_set *set)
{
	char tb[16];

	printf("%s %s %s", set->name, dns_type_name(set->type, tb, sizeof(tb)),
	       dns_outcome_name(set->outcome));
	if (!dns_outcome_is_known(set->outcome))
		printf(" (last known: %s)",
		       dns_outcome_is_known(set->known) ? dns_outcome_name(set->known) : "nothing");
	if (set->nrecords > 0)
		printf(" ttl %u", set->ttl);
	putchar('\n');
	for (size_t i = 0; i < set->ncnames; i++)
		printf("  cname %s\n", set->cnames[i]);
	for (size_t i = 0; i < set->nrecords; i++)
		printf("  %s\n", set->records[i]);
}

/* Prints the state of a domain as one JSON object. */
static void
print_domain_json(const struct state_opts *so, const struct store_domain *d,
		  const struct snap *snap)
{
	json_t *sets = json_array(), *o;
	char *line, t1[40], t2[40];

	for (size_t i = 0; snap && i < snap->nsets; i++)
		json_array_append_new(sets, snap_set_json(&snap->sets[i]));
	o = json_pack(
	    "{s:s, s:o, s:o, s:I, s:o}", "domain", so->domain, "last_check",
	    d->last_check ? json_string(cli_iso_time(d->last_check, t1, sizeof(t1))) : json_null(),
	    "next_due",
	    d->next_due ? json_string(cli_iso_time(d->next_due, t2, sizeof(t2))) : json_null(),
	    "changes", (json_int_t)d->nchanges, "sets", sets);
	line = json_dumps(o, JSON_COMPACT);
	puts(line);
	free(line);
	json_decref(o);
}

/* mxwatch show: the last known state of a domain. */
int
cmd_show(int argc, char **argv)
{
	struct state_opts so;
	struct store *st;
	struct store_domain d;
	struct snap *snap = NULL;
	char *err = NULL, *text = NULL, t1[40], t2[40];
	int found, rc;

	if ((rc = parse_state_opts(argc, argv, false, &so)) != 0)
		return rc > 0 ? 0 : CLI_EXIT_USAGE;
	if ((st = cli_open_state(so.config, so.state, NULL)) == NULL)
		return CLI_EXIT_UNKNOWN;
	found = store_get_domain(st, so.domain, &d, &text, &err);
	if (found < 0 || (text != NULL && snap_load(text, &snap, &err) != 0)) {
		fprintf(stderr, "mxwatch: %s\n", err);
		free(err);
		rc = CLI_EXIT_UNKNOWN;
	} else if (found == 0) {
		fprintf(stderr, "mxwatch: %s is not in the state database\n", so.domain);
		rc = CLI_EXIT_UNKNOWN;
	} else if (so.json) {
		print_domain_json(&so, &d, snap);
	} else {
		printf("%s: last checked %s, next due %s, changes recorded: %lld\n", so.domain,
		       cli_fmt_time(d.last_check, t1, sizeof(t1)),
		       cli_fmt_time(d.next_due, t2, sizeof(t2)), (long long)d.nchanges);
		for (size_t i = 0; snap && i < snap->nsets; i++)
			print_set(&snap->sets[i]);
	}
	snap_free(snap);
	free(text);
	store_close(st);
	if (fflush(stdout) != 0)
		rc = CLI_EXIT_UNKNOWN;
	return rc;
}
