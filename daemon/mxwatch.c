/* mxwatch: the command-line tool for people. */
#include "config.h"

#include <errno.h>
#include <event2/event.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>
#include <time.h>

#include "cfg.h"
#include "check.h"
#include "dns.h"
#include "dns_fmt.h"
#include "log.h"
#include "snap.h"
#include "store.h"
#include "xmalloc.h"

#define DEFAULT_CONFIG "/etc/mxwatch/mxwatch.yaml"

#define EXIT_UNKNOWN 3
#define EXIT_USAGE 64

struct dig_run;

/* One query of a dig run and, once answered, its rendering. */
struct dig_item {
	struct dig_run *run;
	char *name;
	uint16_t type;
	char *out;
	bool known;
};

struct dig_run {
	struct event_base *base;
	struct dig_item *items;
	size_t n, done;
	bool json;
};

/* Prints the usage text to f. */
static void
usage(FILE *f)
{
	fputs("usage: mxwatch dig NAME TYPE [--server HOST:PORT]... [--json] [--timeout MS]\n"
	      "                   [--tries N] [--max-inflight N]\n"
	      "       mxwatch dig --batch FILE [same options]\n"
	      "       mxwatch history DOMAIN [-c FILE | --state DB] [--limit N] [--json]\n"
	      "       mxwatch show DOMAIN [-c FILE | --state DB] [--json]\n"
	      "       mxwatch check DOMAIN [--ses-region R] [--mail-from NAME] [--ip ADDR]...\n"
	      "                     [--server HOST:PORT]... [--json] [...]\n"
	      "\n"
	      "dig      asks for one record set, or for every \"NAME TYPE\" line of FILE (- for\n"
	      "         standard input) at once, and prints the outcome, the TTLs and the\n"
	      "         records. --server may be repeated; without it /etc/resolv.conf is used.\n"
	      "         Exit status: 0 when every outcome is authoritative (answer, nodata,\n"
	      "         nxdomain); 3 when any is unknown (servfail, refused, timeout, error).\n"
	      "history  lists the recorded changes of DOMAIN, newest first.\n"
	      "show     prints the last known record sets of DOMAIN.\n"
	      "         Both read the state database named by the configuration (default\n"
	      "         " DEFAULT_CONFIG ") or given with --state.\n"
	      "check    looks up the mail DNS of DOMAIN once, without any state, and reports\n"
	      "         what is wrong (mxwatch check --help lists all its options). Exit\n"
	      "         status: 2 critical, 1 warnings, 3 lookups failed, 0 nothing wrong.\n",
	      f);
}

/* Renders a finished query into its slot; stops the loop after the last one. */
static void
dig_done(const struct dns_result *res, void *arg)
{
	struct dig_item *it = arg;
	struct dig_run *run = it->run;

	it->known = dns_outcome_is_known(res->outcome);
	if (run->json) {
		json_t *o = dns_fmt_json(res);

		it->out = json_dumps(o, JSON_COMPACT);
		json_decref(o);
	} else {
		size_t len;
		FILE *f = open_memstream(&it->out, &len);

		if (f == NULL)
			fatal("open_memstream");
		dns_fmt_text(f, res);
		fclose(f);
	}
	if (++run->done == run->n)
		event_base_loopbreak(run->base);
}

/* Adds one query to the run; returns -1 with a message on a bad type. */
static int
dig_add(struct dig_run *run, const char *name, const char *type, const char *where)
{
	uint16_t t;

	if (!dns_type_parse(type, &t)) {
		fprintf(stderr,
			"mxwatch: %s%sunknown record type \"%s\" (use A, AAAA, MX, TXT, "
			"PTR, CNAME, NS, SOA or TYPEnnn)\n",
			where ? where : "", where ? ": " : "", type);
		return -1;
	}
	run->items = xreallocarray(run->items, run->n + 1, sizeof(*run->items));
	memset(&run->items[run->n], 0, sizeof(run->items[0]));
	run->items[run->n].run = run;
	run->items[run->n].name = xstrdup(name);
	run->items[run->n].type = t;
	run->n++;
	return 0;
}

/* Reads "NAME TYPE" lines from path into the run. */
static int
dig_read_batch(struct dig_run *run, const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	int rc = 0;

	if (f == NULL) {
		fprintf(stderr, "mxwatch: cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && getline(&line, &cap, f) != -1) {
		char name[1100], type[32], extra[2], where[64];
		int n;

		lineno++;
		line[strcspn(line, "#")] = '\0';
		n = sscanf(line, "%1099s %31s %1s", name, type, extra);
		if (n <= 0)
			continue;
		snprintf(where, sizeof(where), "%s:%u", path, lineno);
		if (n != 2) {
			fprintf(stderr, "mxwatch: %s: expected \"NAME TYPE\"\n", where);
			rc = -1;
		} else {
			rc = dig_add(run, name, type, where);
		}
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return rc;
}

/* Parses a positive integer option. */
int
parse_count(const char *opt, const char *s, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v <= 0 || v > max) {
		fprintf(stderr, "mxwatch: %s wants a whole number from 1 to %ld, not \"%s\"\n", opt,
			max, s);
		return -1;
	}
	*out = v;
	return 0;
}

/* mxwatch dig: resolves record sets through the async core and prints them. */
static int
cmd_dig(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"server", required_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},
	    {"batch", required_argument, NULL, 'b'},
	    {"timeout", required_argument, NULL, 't'},
	    {"tries", required_argument, NULL, 'r'},
	    {"max-inflight", required_argument, NULL, 'm'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct dig_run run = {0};
	struct dns_options o;
	struct dns_resolver *r;
	const char **servers = NULL;
	const char *batch = NULL;
	char *err = NULL;
	int c, status = 0;
	long v;

	dns_options_init(&o);
	while ((c = getopt_long(argc, argv, "s:jb:t:r:m:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			servers = xreallocarray(servers, o.nservers + 1, sizeof(*servers));
			servers[o.nservers++] = optarg;
			break;
		case 'j':
			run.json = true;
			break;
		case 'b':
			batch = optarg;
			break;
		case 't':
			if (parse_count("--timeout", optarg, 600000, &v) == -1)
				goto usage;
			o.timeout_ms = (int)v;
			break;
		case 'r':
			if (parse_count("--tries", optarg, 100, &v) == -1)
				goto usage;
			o.tries = (int)v;
			break;
		case 'm':
			if (parse_count("--max-inflight", optarg, 1000000, &v) == -1)
				goto usage;
			o.max_inflight = (size_t)v;
			break;
		case 'h':
			usage(stdout);
			free(servers);
			return 0;
		default:
			goto usage;
		}
	}
	o.servers = servers;
	if (batch != NULL ? optind != argc : optind + 2 != argc) {
		fprintf(stderr, "mxwatch: dig wants NAME TYPE, or --batch FILE\n");
		goto usage;
	}
	if (batch != NULL ? dig_read_batch(&run, batch) == -1
			  : dig_add(&run, argv[optind], argv[optind + 1], NULL) == -1) {
		status = EXIT_USAGE;
		goto out;
	}
	run.base = event_base_new();
	if (run.base == NULL)
		fatalx("cannot create the event loop");
	r = dns_new(run.base, &o, &err);
	if (r == NULL) {
		fprintf(stderr, "mxwatch: %s\n", err);
		free(err);
		event_base_free(run.base);
		status = EXIT_USAGE;
		goto out;
	}
	for (size_t i = 0; i < run.n; i++)
		dns_query(r, run.items[i].name, run.items[i].type, dig_done, &run.items[i]);
	if (run.n > 0)
		event_base_dispatch(run.base);
	dns_free(r);
	event_base_free(run.base);
	for (size_t i = 0; i < run.n; i++) {
		if (i > 0 && !run.json)
			putchar('\n');
		fputs(run.items[i].out, stdout);
		if (run.json)
			putchar('\n');
		if (!run.items[i].known)
			status = EXIT_UNKNOWN;
	}
	if (fflush(stdout) != 0)
		status = EXIT_UNKNOWN;
out:
	for (size_t i = 0; i < run.n; i++) {
		free(run.items[i].name);
		free(run.items[i].out);
	}
	free(run.items);
	free(servers);
	return status;
usage:
	usage(stderr);
	free(servers);
	return EXIT_USAGE;
}

/* Formats a Unix time as "2026-11-23 06:40:12 UTC" (or "never" for 0) into buf. */
static const char *
fmt_time(int64_t t, char *buf, size_t size)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t == 0)
		return "never";
	gmtime_r(&tt, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm);
	return buf;
}

/* Formats a Unix time as ISO 8601 ("2026-11-23T06:40:12Z") into buf. */
static const char *
iso_time(int64_t t, char *buf, size_t size)
{
	struct tm tm;
	time_t tt = (time_t)t;

	gmtime_r(&tt, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

/* Options shared by the commands that read the state database. */
struct state_opts {
	const char *config;
	const char *state;
	bool json;
	long limit;
	const char *domain;
};

/* Parses history/show options; returns -1 after printing an error. */
static int
parse_state_opts(int argc, char **argv, bool with_limit, struct state_opts *so)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"state", required_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},
	    {"limit", required_argument, NULL, 'n'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	memset(so, 0, sizeof(*so));
	so->config = DEFAULT_CONFIG;
	while ((c = getopt_long(argc, argv, "c:s:jn:", opts, NULL)) != -1) {
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
			if (!with_limit ||
			    parse_count("--limit", optarg, 1000000000, &so->limit) == -1)
				return -1;
			break;
		default:
			return -1;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "mxwatch: %s wants one DOMAIN\n", argv[0]);
		return -1;
	}
	so->domain = argv[optind];
	return 0;
}

/* Opens the state database named by the options; prints why not. */
static struct store *
open_state(const struct state_opts *so)
{
	struct cfg *c = NULL;
	struct store *st = NULL;
	char *err = NULL, *path;
	struct stat sb;

	if (so->state != NULL) {
		path = xstrdup(so->state);
	} else {
		if (cfg_load(so->config, &c, &err) != 0) {
			fprintf(stderr, "%s\n", err);
			free(err);
			return NULL;
		}
		path = xstrdup(c->state);
		cfg_free(c);
	}
	if (stat(path, &sb) != 0) {
		fprintf(stderr, "mxwatch: no state database at %s (has mxwatchd run yet?)\n", path);
		free(path);
		return NULL;
	}
	if (store_open(path, &st, &err) != 0) {
		fprintf(stderr, "mxwatch: %s\n", err);
		free(err);
	}
	free(path);
	return st;
}

/* Prints one history entry. */
static int
print_change(const struct store_change *c, void *arg)
{
	const struct state_opts *so = arg;
	json_t *before = json_loads(c->before, 0, NULL), *after = json_loads(c->after, 0, NULL);
	char tb[40];

	if (so->json) {
		json_t *o = json_pack(
		    "{s:s, s:s, s:s, s:s, s:O, s:O}", "at", iso_time(c->at, tb, sizeof(tb)),
		    "domain", c->domain, "name", c->name, "rrtype", c->rrtype, "before",
		    before ? before : json_null(), "after", after ? after : json_null());
		char *line = json_dumps(o, JSON_COMPACT);

		puts(line);
		free(line);
		json_decref(o);
	} else {
		char *what = snap_describe(before, after, "\n  ");

		printf("%s  %s %s\n  %s\n", fmt_time(c->at, tb, sizeof(tb)), c->name, c->rrtype,
		       what);
		free(what);
	}
	json_decref(before);
	json_decref(after);
	return 0;
}

/* mxwatch history: the recorded changes of a domain. */
static int
cmd_history(int argc, char **argv)
{
	struct state_opts so;
	struct store *st;
	char *err = NULL, *canon;
	int rc = 0;

	if (parse_state_opts(argc, argv, true, &so) != 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if ((st = open_state(&so)) == NULL)
		return EXIT_UNKNOWN;
	canon = xstrdup(so.domain);
	for (char *p = canon; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
	if (*canon && canon[strlen(canon) - 1] == '.')
		canon[strlen(canon) - 1] = '\0';
	if (store_history(st, canon, (size_t)so.limit, print_change, &so, &err) != 0) {
		fprintf(stderr, "mxwatch: %s\n", err);
		free(err);
		rc = EXIT_UNKNOWN;
	}
	free(canon);
	store_close(st);
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

/* mxwatch show: the last known state of a domain. */
static int
cmd_show(int argc, char **argv)
{
	struct state_opts so;
	struct store *st;
	struct store_domain d;
	struct snap *snap = NULL;
	char *err = NULL, *text = NULL, t1[40], t2[40];
	int found, rc = 0;

	if (parse_state_opts(argc, argv, false, &so) != 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if ((st = open_state(&so)) == NULL)
		return EXIT_UNKNOWN;
	found = store_get_domain(st, so.domain, &d, &text, &err);
	if (found < 0 || (text != NULL && snap_load(text, &snap, &err) != 0)) {
		fprintf(stderr, "mxwatch: %s\n", err);
		free(err);
		rc = EXIT_UNKNOWN;
	} else if (found == 0) {
		fprintf(stderr, "mxwatch: %s is not in the state database\n", so.domain);
		rc = EXIT_UNKNOWN;
	} else if (so.json) {
		json_t *sets = json_array(), *o;
		char *line;

		for (size_t i = 0; snap && i < snap->nsets; i++)
			json_array_append_new(sets, snap_set_json(&snap->sets[i]));
		o = json_pack("{s:s, s:o, s:o, s:I, s:o}", "domain", so.domain, "last_check",
			      d.last_check ? json_string(iso_time(d.last_check, t1, sizeof(t1)))
					   : json_null(),
			      "next_due",
			      d.next_due ? json_string(iso_time(d.next_due, t2, sizeof(t2)))
					 : json_null(),
			      "changes", (json_int_t)d.nchanges, "sets", sets);
		line = json_dumps(o, JSON_COMPACT);
		puts(line);
		free(line);
		json_decref(o);
	} else {
		printf("%s: last checked %s, next due %s, changes recorded: %lld\n", so.domain,
		       fmt_time(d.last_check, t1, sizeof(t1)), fmt_time(d.next_due, t2, sizeof(t2)),
		       (long long)d.nchanges);
		for (size_t i = 0; snap && i < snap->nsets; i++)
			print_set(&snap->sets[i]);
	}
	snap_free(snap);
	free(text);
	store_close(st);
	return rc;
}

int
main(int argc, char **argv)
{
	log_set_progname("mxwatch");
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "dig") == 0)
		return cmd_dig(argc - 1, argv + 1);
	if (strcmp(argv[1], "history") == 0)
		return cmd_history(argc - 1, argv + 1);
	if (strcmp(argv[1], "show") == 0)
		return cmd_show(argc - 1, argv + 1);
	if (strcmp(argv[1], "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "mxwatch: unknown command \"%s\"\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
