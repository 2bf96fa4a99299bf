/* mxwatch: the command-line tool for people. */
#include "config.h"

#include <errno.h>
#include <event2/event.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cli.h"
#include "dns.h"
#include "dns_fmt.h"
#include "log.h"
#include "xmalloc.h"

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
	fputs("usage: mxwatch status [-c FILE | --state DB] [--max-age DURATION] [--json]\n"
	      "       mxwatch show DOMAIN [-c FILE | --state DB] [--json]\n"
	      "       mxwatch history DOMAIN [-c FILE | --state DB] [--limit N] [--json]\n"
	      "       mxwatch check DOMAIN [--ses-region R] [--mail-from NAME] [--ip ADDR]...\n"
	      "                     [--server HOST:PORT]... [--json] [...]\n"
	      "       mxwatch dig NAME TYPE [--server HOST:PORT]... [--json] [--timeout MS]\n"
	      "                   [--tries N] [--max-inflight N]\n"
	      "       mxwatch dig --batch FILE [same options]\n"
	      "\n"
	      "status   what mxwatchd's state database says now: the domains, the findings\n"
	      "         firing (critical first), the notifications waiting or given up per\n"
	      "         sink, the resolver's health. Exit status: 0 nothing firing, 1 warnings,\n"
	      "         2 critical, 3 no readable state, no check finished yet, or the last\n"
	      "         check older than --max-age (default 3 times the interval).\n"
	      "show     prints the last known record sets of DOMAIN.\n"
	      "history  lists the recorded changes of DOMAIN, newest first.\n"
	      "         These three read the state database named by the configuration\n"
	      "         (default " CLI_DEFAULT_CONFIG ") or given with --state, and only\n"
	      "         read it: mxwatchd may run meanwhile.\n"
	      "check    looks up the mail DNS of DOMAIN once, without any state, and reports\n"
	      "         what is wrong. Exit status: 2 critical, 1 warnings, 3 lookups failed,\n"
	      "         0 nothing wrong.\n"
	      "dig      asks for one record set, or for every \"NAME TYPE\" line of FILE (- for\n"
	      "         standard input) at once, and prints the outcome, the TTLs and the\n"
	      "         records. --server may be repeated; without it /etc/resolv.conf is used.\n"
	      "         Exit status: 0 when every outcome is authoritative (answer, nodata,\n"
	      "         nxdomain); 3 when any is unknown (servfail, refused, timeout, error).\n"
	      "\n"
	      "mxwatch COMMAND --help lists the options of a command.\n",
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
		status = CLI_EXIT_USAGE;
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
		status = CLI_EXIT_USAGE;
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
			status = CLI_EXIT_UNKNOWN;
	}
	if (fflush(stdout) != 0)
		status = CLI_EXIT_UNKNOWN;
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
	return CLI_EXIT_USAGE;
}

int
main(int argc, char **argv)
{
	log_set_progname("mxwatch");
	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[1], "dig") == 0)
		return cmd_dig(argc - 1, argv + 1);
	if (strcmp(argv[1], "history") == 0)
		return cmd_history(argc - 1, argv + 1);
	if (strcmp(argv[1], "show") == 0)
		return cmd_show(argc - 1, argv + 1);
	if (strcmp(argv[1], "status") == 0)
		return cmd_status(argc - 1, argv + 1);
	if (strcmp(argv[1], "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "mxwatch: unknown command \"%s\"\n", argv[1]);
	usage(stderr);
	return CLI_EXIT_USAGE;
}
