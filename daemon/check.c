/* mxwatch check: builds one domain from the command line, looks up what is watched for it
 * once, runs the rules without a previous state and prints what they found. Nothing is read
 * from or written to the state database. */
#include "config.h"

#include <errno.h>
#include <event2/event.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cfg.h"
#include "check.h"
#include "cli.h"
#include "dns.h"
#include "log.h"
#include "probe.h"
#include "prov.h"
#include "rule.h"
#include "snap.h"
#include "xmalloc.h"

/* The checked domain and how to look it up, as given on the command line. */
struct check_opts {
	struct cfg_domain d;  /* every string owned; freed by check_opts_clear */
	const char **servers; /* borrowed from argv */
	size_t nservers;
	long timeout_ms, tries; /* 0: the resolver's default */
	bool json;
};

/* The one probe of a check and what it handed over. */
struct check_run {
	struct event_base *base;
	struct snap *snap;
	bool complete;
};

/* Prints the usage text of check to f. */
static void
check_usage(FILE *f)
{
	fputs("usage: mxwatch check DOMAIN [--ses-region R] [--mail-from NAME] [--ip ADDR]...\n"
	      "                     [--dkim-selector S]... [--dkim-token T]...\n"
	      "                     [--mail-name NAME]... [--server HOST:PORT]...\n"
	      "                     [--timeout MS] [--tries N] [--json]\n"
	      "\n"
	      "Looks up the mail DNS of DOMAIN once (MX and their addresses, SPF, DMARC,\n"
	      "DKIM, the SES MAIL FROM, the PTR of each sending IP), runs the rules and prints\n"
	      "what is wrong, critical first. Nothing is stored: each run starts afresh.\n"
	      "\n"
	      "  --ses-region R       the SES region the domain sends from (us-east-1)\n"
	      "  --mail-from NAME     the SES custom MAIL FROM name (bounce.DOMAIN)\n"
	      "  --ip ADDR            a sending IP; its PTR must resolve back to it\n"
	      "  --dkim-selector S    a DKIM selector that must hold a key\n"
	      "  --dkim-token T       an SES Easy DKIM token\n"
	      "  --mail-name NAME     a name that receives mail (default: DOMAIN)\n"
	      "  --server HOST:PORT   the resolver to ask (default: /etc/resolv.conf)\n"
	      "  --timeout MS         the first try's timeout of each query (default 2000)\n"
	      "  --tries N            tries per server (default 3)\n"
	      "  --json               one JSON line per finding, as mxwatchd --once --json\n"
	      "Options shown with ... may be repeated.\n"
	      "\n"
	      "Exit status: 0 nothing wrong, 1 warnings, 2 critical findings, 3 some record\n"
	      "sets could not be looked up or the check could not run, 64 usage error.\n",
	      f);
}

/* Appends s (taken) to a list of names, unless the list holds it already. */
static void
check_list_add(char ***v, size_t *n, char *s)
{
	for (size_t i = 0; i < *n; i++) {
		if (strcmp((*v)[i], s) == 0) {
			free(s);
			return;
		}
	}
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = s;
}

/* Frees a list of names. */
static void
check_list_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Frees what the options hold. */
static void
check_opts_clear(struct check_opts *co)
{
	struct cfg_domain *d = &co->d;

	free(d->name);
	check_list_free(d->mail_names, d->nmail_names);
	free(d->ses.region);
	free(d->ses.mail_from);
	check_list_free(d->ses.dkim_tokens, d->ses.ndkim_tokens);
	check_list_free(d->sending_ips, d->nsending_ips);
	check_list_free(d->dkim_selectors, d->ndkim_selectors);
	free(co->servers);
	memset(co, 0, sizeof(*co));
}

/* Reads a name option into a new string; prints why not and returns NULL when bad. */
static char *
check_name_arg(const char *what, const char *s, size_t minlabels)
{
	const char *why;
	char name[CFG_NAME_MAX + 1];

	if (!cfg_name_check(s, minlabels, name, &why)) {
		fprintf(stderr, "mxwatch: bad %s \"%s\": %s\n", what, s, why);
		return NULL;
	}
	return xstrdup(name);
}

/* Reads an IPv4 or IPv6 address into its inet_ntop form; prints why not and returns NULL
 * when bad. */
static char *
check_ip_arg(const char *s)
{
	char text[CFG_IP_MAX];

	if (!cfg_ip_check(s, text)) {
		fprintf(stderr, "mxwatch: bad --ip \"%s\": expected an IPv4 or IPv6 address\n", s);
		return NULL;
	}
	return xstrdup(text);
}

/* Reads one option with its argument into co; prints why not and returns -1 when bad. */
static int
check_option(struct check_opts *co, int c, const char *arg)
{
	struct cfg_domain *d = &co->d;
	char *s, *err = NULL;
	unsigned char addr[16];
	uint16_t port;
	int family;

	switch (c) {
	case 'R':
		if (!cfg_region_check(arg)) {
			fprintf(stderr,
				"mxwatch: bad --ses-region \"%s\": expected e.g. us-east-1 or "
				"eu-west-2\n",
				arg);
			return -1;
		}
		free(d->ses.region);
		d->ses.region = xstrdup(arg);
		d->has_ses = true;
		return 0;
	case 'F':
		if ((s = check_name_arg("--mail-from", arg, 2)) == NULL)
			return -1;
		free(d->ses.mail_from);
		d->ses.mail_from = s;
		d->has_ses = true;
		return 0;
	case 'i':
		if ((s = check_ip_arg(arg)) == NULL)
			return -1;
		check_list_add(&d->sending_ips, &d->nsending_ips, s);
		return 0;
	case 'S':
		if ((s = check_name_arg("--dkim-selector", arg, 1)) == NULL)
			return -1;
		check_list_add(&d->dkim_selectors, &d->ndkim_selectors, s);
		return 0;
	case 'T':
		if (!cfg_token_check(arg)) {
			fprintf(
			    stderr,
			    "mxwatch: bad --dkim-token \"%s\": expected 32 characters of a-z and "
			    "2-7 (SES Easy DKIM)\n",
			    arg);
			return -1;
		}
		check_list_add(&d->ses.dkim_tokens, &d->ses.ndkim_tokens, xstrdup(arg));
		d->has_ses = true;
		return 0;
	case 'N':
		if ((s = check_name_arg("--mail-name", arg, 2)) == NULL)
			return -1;
		check_list_add(&d->mail_names, &d->nmail_names, s);
		return 0;
	case 's':
		if (dns_parse_server(arg, &family, addr, &port, &err) != 0) {
			fprintf(stderr, "mxwatch: %s\n", err);
			free(err);
			return -1;
		}
		co->servers = xreallocarray(co->servers, co->nservers + 1, sizeof(*co->servers));
		co->servers[co->nservers++] = arg;
		return 0;
	case 't':
		return parse_count("--timeout", arg, 600000, &co->timeout_ms);
	case 'r':
		return parse_count("--tries", arg, 100, &co->tries);
	case 'j':
		co->json = true;
		return 0;
	default:
		return -1;
	}
}

/* Reads the command line into co. Returns 0 to go on, 1 when --help was printed, or -1 after
 * printing a usage error. */
static int
check_parse(int argc, char **argv, struct check_opts *co)
{
	static const struct option opts[] = {
	    {"ses-region", required_argument, NULL, 'R'},
	    {"mail-from", required_argument, NULL, 'F'},
	    {"ip", required_argument, NULL, 'i'},
	    {"dkim-selector", required_argument, NULL, 'S'},
	    {"dkim-token", required_argument, NULL, 'T'},
	    {"mail-name", required_argument, NULL, 'N'},
	    {"server", required_argument, NULL, 's'},
	    {"timeout", required_argument, NULL, 't'},
	    {"tries", required_argument, NULL, 'r'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	memset(co, 0, sizeof(*co));
	opterr = 0; /* getopt's own messages would name "check" as the program */
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		const char *opt = argv[optind - 1];

		if (c == 'h') {
			check_usage(stdout);
			return 1;
		}
		if (c == ':') {
			fprintf(stderr, "mxwatch: option \"%s\" needs a value\n", opt);
			return -1;
		}
		if (c == '?') {
			if (strncmp(opt, "--", 2) == 0)
				fprintf(stderr,
					"mxwatch: unknown option \"%.*s\" (see mxwatch check "
					"--help)\n",
					(int)strcspn(opt, "="), opt);
			else
				fprintf(
				    stderr,
				    "mxwatch: unknown option \"-%c\" (see mxwatch check --help)\n",
				    optopt);
			return -1;
		}
		if (check_option(co, c, optarg) != 0)
			return -1;
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "mxwatch: check wants one DOMAIN (see mxwatch check --help)\n");
		return -1;
	}
	if ((co->d.name = check_name_arg("domain name", argv[optind], 2)) == NULL)
		return -1;
	if (co->d.nmail_names == 0)
		check_list_add(&co->d.mail_names, &co->d.nmail_names, xstrdup(co->d.name));
	return 0;
}

/* The probe is over: keep its snapshot and leave the loop. */
static void
check_done(struct snap *snap, bool complete, void *arg)
{
	struct check_run *run = arg;

	run->snap = snap;
	run->complete = complete;
	event_base_loopbreak(run->base);
}

/* Looks up every watched set of the domain once. Returns the snapshot (caller frees) and
 * whether every answer came in *complete, or NULL and *errstr (caller frees) when the check
 * could not run. */
static struct snap *
check_probe(const struct check_opts *co, bool *complete, char **errstr)
{
	struct check_run run = {0};
	struct dns_options o;
	struct dns_resolver *r;

	dns_options_init(&o);
	o.servers = co->servers;
	o.nservers = co->nservers;
	if (co->timeout_ms > 0)
		o.timeout_ms = (int)co->timeout_ms;
	if (co->tries > 0)
		o.tries = (int)co->tries;
	if ((run.base = event_base_new()) == NULL)
		fatalx("cannot create the event loop");
	if ((r = dns_new(run.base, &o, errstr)) == NULL) {
		event_base_free(run.base);
		return NULL;
	}
	if (probe_start(r, &co->d, NULL, check_done, &run) == 0)
		event_base_dispatch(run.base);
	dns_free(r);
	event_base_free(run.base);
	if (run.snap == NULL)
		*errstr = xstrdup("the resolver stopped before the check could run");
	*complete = run.complete;
	return run.snap;
}

/* Tells whether the text report leaves a finding out: dns.changed repeats a change, and a
 * check without a previous state has none. */
static bool
check_omitted(const struct finding *f)
{
	return strcmp(f->rule, "dns.changed") == 0;
}

/* Prints the report for a person: a summary line, the findings by severity (critical first)
 * with their evidence, then the record sets that could not be looked up. A check that found
 * nothing says so in its summary line alone. */
static void
check_print_text(const struct cfg_domain *d, const struct snap *snap, size_t nunknown,
		 const struct findings *found)
{
	size_t count[SEV_CRITICAL + 1] = {0}, total = 0;
	char tb[16];

	for (size_t i = 0; i < found->n; i++) {
		if (!check_omitted(&found->v[i])) {
			count[found->v[i].severity]++;
			total++;
		}
	}
	if (total == 0 && nunknown == 0) {
		printf("%s: no problem found (%zu record sets checked)\n", d->name, snap->nsets);
	} else if (total == 0 && nunknown == snap->nsets) {
		printf("%s: nothing could be checked (%zu record sets could not be looked up)\n",
		       d->name, nunknown);
	} else if (total == 0) {
		printf("%s: no problem found in the %zu record sets checked; %zu could not be "
		       "checked\n",
		       d->name, snap->nsets - nunknown, nunknown);
	} else {
		printf("%s: %zu critical, %zu warning%s, %zu info", d->name, count[SEV_CRITICAL],
		       count[SEV_WARNING], count[SEV_WARNING] == 1 ? "" : "s", count[SEV_INFO]);
		if (nunknown > 0)
			printf("; %zu of %zu record sets could not be checked", nunknown,
			       snap->nsets);
		putchar('\n');
	}
	for (int sev = SEV_CRITICAL; sev >= SEV_INFO; sev--) {
		for (size_t i = 0; i < found->n; i++) {
			const struct finding *f = &found->v[i];

			if ((int)f->severity != sev || check_omitted(f))
				continue;
			printf("\n[%s] %s: %s\n  %s\n", severity_name(f->severity), f->rule,
			       f->subject, f->message);
			for (size_t j = 0; j < f->nevidence; j++)
				printf("    %s\n", f->evidence[j]);
		}
	}
	if (nunknown > 0) {
		printf("\ncould not check:\n");
		for (size_t i = 0; i < snap->nsets; i++) {
			const struct snap_set *set = &snap->sets[i];

			if (!dns_outcome_is_known(set->outcome))
				printf("  %s %s %s\n", set->name,
				       dns_type_name(set->type, tb, sizeof(tb)),
				       dns_outcome_name(set->outcome));
		}
	}
}

/* Prints the finding lines of mxwatchd --once --json; the sets that could not be looked up
 * go to stderr. */
static void
check_print_json(const struct snap *snap, const struct findings *found)
{
	char tb[16];

	for (size_t i = 0; i < found->n; i++) {
		json_t *o = finding_json(&found->v[i]);
		char *line = json_dumps(o, JSON_COMPACT);

		puts(line);
		free(line);
		json_decref(o);
	}
	for (size_t i = 0; i < snap->nsets; i++) {
		const struct snap_set *set = &snap->sets[i];

		if (!dns_outcome_is_known(set->outcome))
			fprintf(stderr, "mxwatch: could not check %s %s: %s\n", set->name,
				dns_type_name(set->type, tb, sizeof(tb)),
				dns_outcome_name(set->outcome));
	}
}

/* Runs the rules on a finished snapshot, prints the outcome and returns the exit status. */
static int
check_report(const struct check_opts *co, const struct prov *prov, const struct snap *snap,
	     bool complete)
{
	/* Sets that could not be looked up are listed under "could not check" and make the
	 * status unknown: dns.lookup-failed, a finding about repeated checks, stays out. */
	struct rule_env env = {
	    .prov = prov, .confirm_after = UINT_MAX, .now = (long long)time(NULL)};
	struct findings found = {0};
	bool critical = false, warning = false;
	size_t nunknown = 0;
	int status;

	rule_eval(&env, &co->d, NULL, snap, &found);
	for (size_t i = 0; i < snap->nsets; i++)
		nunknown += !dns_outcome_is_known(snap->sets[i].outcome);
	for (size_t i = 0; i < found.n; i++) {
		critical |= found.v[i].severity == SEV_CRITICAL;
		warning |= found.v[i].severity == SEV_WARNING;
	}
	if (co->json)
		check_print_json(snap, &found);
	else
		check_print_text(&co->d, snap, nunknown, &found);
	if (!complete)
		fprintf(stderr, "mxwatch: the check was cut short: not every answer came\n");
	findings_clear(&found);
	if (critical)
		status = 2;
	else if (warning)
		status = 1;
	else if (nunknown > 0 || !complete)
		status = CLI_EXIT_UNKNOWN;
	else
		status = 0;
	return status;
}

/* mxwatch check: one stateless check of one domain. */
int
cmd_check(int argc, char **argv)
{
	struct check_opts co;
	struct prov *prov = NULL;
	struct snap *snap = NULL;
	char *err = NULL;
	bool complete = false;
	int status, rc;

	if ((rc = check_parse(argc, argv, &co)) != 0) {
		check_opts_clear(&co);
		return rc > 0 ? 0 : CLI_EXIT_USAGE;
	}
	if (prov_load_for(NULL, NULL, 0, &prov, &err) != 0 ||
	    (snap = check_probe(&co, &complete, &err)) == NULL) {
		fprintf(stderr, "mxwatch: %s\n", err);
		free(err);
		status = CLI_EXIT_UNKNOWN;
	} else {
		status = check_report(&co, prov, snap, complete);
		if (fflush(stdout) != 0 || ferror(stdout)) {
			fprintf(stderr, "mxwatch: cannot write the report: %s\n", strerror(errno));
			status = CLI_EXIT_UNKNOWN;
		}
	}
	snap_free(snap);
	prov_free(prov);
	check_opts_clear(&co);
	return status;
}
