/* mxwatch status: what mxwatchd's state database says now, for a person woken at night or a
 * monitoring system (Nagios exit status, or one JSON object). Only reads the database: it
 * works whether mxwatchd runs or not, and never holds it up. Sink names only: no URL, key
 * or secret is in the database, nor printed. */
#include "config.h"

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cfg.h"
#include "cli.h"
#include "rule.h"
#include "severity.h"
#include "store.h"
#include "store_query.h"
#include "xmalloc.h"

/* A firing finding, copied out of the store; or resolver.unhealthy (domain NULL). */
struct status_firing {
	char *domain, *rule, *subject;
	enum severity severity;
	int64_t since;
};

/* The outbox of a sink, copied out of the store (or only configured: all zero). */
struct status_sink {
	char *name;
	int64_t pending, oldest, next_attempt, dead;
	int attempts;
	char *last_error, *dead_error; /* NULL: none */
};

/* The options of status. */
struct status_opts {
	const char *config;
	const char *state;
	bool json;
	int64_t max_age; /* --max-age in seconds; 0: not given */
};

/* Where the age limit of the last check comes from, for the stale line. */
enum status_age_from { AGE_OPTION, AGE_CONFIG, AGE_DEFAULT };

/* The age limit without a configuration: three times the default schedule.interval (5m). */
#define STATUS_DEFAULT_MAX_AGE (3 * 5 * 60)

/* Everything status prints, read in one transaction. */
struct status {
	char *path;
	int64_t now;
	int64_t max_age; /* a last check older than this is stale (seconds) */
	enum status_age_from max_age_from;
	int64_t interval; /* AGE_CONFIG: the shortest interval configured (seconds) */
	bool stale;	  /* some domain was checked, the last check longer than max_age ago */
	struct store_summary sum;
	int64_t unhealthy_since; /* 0: the resolver is healthy */
	struct status_firing *firing;
	size_t nfiring;
	size_t count[SEV_CRITICAL + 1];
	struct status_sink *sinks;
	size_t nsinks;
	int64_t pending, dead;
};

/* The exit statuses and their names, Nagios style. */
enum { ST_OK = 0, ST_WARNING = 1, ST_CRITICAL = 2, ST_UNKNOWN = 3 };
static const char *const status_names[] = {"ok", "warning", "critical", "unknown"};

/* Prints the help of status to f, or (not full) its synopsis and where the help is. */
static void
status_usage(FILE *f, bool full)
{
	fputs("usage: mxwatch status [-c FILE | --state DB] [--max-age DURATION] [--json]\n", f);
	if (!full) {
		fprintf(f, "mxwatch status --help lists the options.\n");
		return;
	}
	fputs("\n"
	      "Prints what the state database of mxwatchd says now: how many domains are\n"
	      "checked and when the last check finished, the resolver's health, the findings\n"
	      "firing (critical first, with their domain, rule, subject and since when), and per\n"
	      "sink the notifications waiting in the outbox (how many, the oldest) and those\n"
	      "given up. The database is only read: mxwatchd may run meanwhile. When the last\n"
	      "check finished longer ago than the max age, the state is stale: is mxwatchd\n"
	      "running?\n"
	      "\n"
	      "  -c, --config FILE     find the state database through this configuration\n"
	      "                        (default " CLI_DEFAULT_CONFIG "), read without\n"
	      "                        its secrets; its sinks are listed even when nothing\n"
	      "                        waits for them\n"
	      "  -s, --state DB        read this state database; no configuration is read\n"
	      "  -m, --max-age DURATION\n"
	      "                        the state is stale when the last check finished longer\n"
	      "                        ago, as 15m, 2h or 1d (default: 3 times the shortest\n"
	      "                        interval of the configuration; with --state, 15m)\n"
	      "  -j, --json            one JSON object\n"
	      "  -h, --help            print this help\n"
	      "\n"
	      "Exit status: 0 nothing firing, 1 warnings firing, 2 critical findings firing or\n"
	      "the resolver unhealthy, 3 no readable state database, no check finished yet or\n"
	      "the state stale (whatever fires), 64 usage error.\n",
	      f);
}

/* Parses the options; returns 0 to go on, 1 when the help was printed, -1 after printing a
 * usage error. */
static int
status_parse(int argc, char **argv, struct status_opts *so)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"state", required_argument, NULL, 's'},
	    {"max-age", required_argument, NULL, 'm'}, /* a duration, as 15m */
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	unsigned long long ms;
	int c;

	opterr = 0; /* getopt's own messages would name "status" as the program */
	while ((c = getopt_long(argc, argv, ":c:s:m:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			so->config = optarg;
			break;
		case 's':
			so->state = optarg;
			break;
		case 'm':
			if (!cfg_parse_duration_ms(optarg, &ms) || ms < 1000 || ms % 1000 != 0 ||
			    ms / 1000 > INT64_MAX / 2) {
				fprintf(
				    stderr,
				    "mxwatch: --max-age wants whole seconds, 1s or more, as 90s, "
				    "15m, 2h or 1d, not \"%s\"\n",
				    optarg);
				status_usage(stderr, false);
				return -1;
			}
			so->max_age = (int64_t)(ms / 1000);
			break;
		case 'j':
			so->json = true;
			break;
		case 'h':
			status_usage(stdout, true);
			return 1;
		default:
			cli_option_error("status", c, argv);
			status_usage(stderr, false);
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "mxwatch: status takes no operand (\"%s\")\n", argv[optind]);
		status_usage(stderr, false);
		return -1;
	}
	return 0;
}

/* Copies one firing finding. */
static int
add_firing(const struct store_firing *f, void *arg)
{
	struct status *s = arg;
	struct status_firing *x;

	s->firing = xreallocarray(s->firing, s->nfiring + 1, sizeof(*s->firing));
	x = &s->firing[s->nfiring++];
	x->domain = xstrdup(f->domain);
	x->rule = xstrdup(f->rule);
	x->subject = xstrdup(f->subject);
	x->severity = f->severity;
	x->since = f->since;
	s->count[f->severity]++;
	return 0;
}

/* Adds resolver.unhealthy, firing since s->unhealthy_since, to the firing list: the alert
 * of no domain, first of its severity as the store lists by domain. */
static void
add_resolver_firing(struct status *s)
{
	const struct rule_info *info = rule_lookup("resolver.unhealthy");
	struct status_firing *x;

	s->firing = xreallocarray(s->firing, s->nfiring + 1, sizeof(*s->firing));
	x = &s->firing[s->nfiring++];
	x->domain = NULL;
	x->rule = xstrdup("resolver.unhealthy");
	x->subject = xstrdup("resolver");
	x->severity = info != NULL ? info->severity : SEV_CRITICAL;
	x->since = s->unhealthy_since;
	s->count[x->severity]++;
}

/* Adds a sink row named name, all zero. */
static struct status_sink *
add_sink(struct status *s, const char *name)
{
	struct status_sink *x;

	s->sinks = xreallocarray(s->sinks, s->nsinks + 1, sizeof(*s->sinks));
	x = &s->sinks[s->nsinks++];
	memset(x, 0, sizeof(*x));
	x->name = xstrdup(name);
	return x;
}

/* Copies the outbox state of one sink. */
static int
add_sink_status(const struct store_sink_status *ss, void *arg)
{
	struct status *s = arg;
	struct status_sink *x = add_sink(s, ss->sink);

	x->pending = ss->pending;
	x->oldest = ss->oldest;
	x->next_attempt = ss->next_attempt;
	x->attempts = ss->attempts;
	x->dead = ss->dead;
	x->last_error = ss->last_error ? xstrdup(ss->last_error) : NULL;
	x->dead_error = ss->dead_error ? xstrdup(ss->dead_error) : NULL;
	s->pending += ss->pending;
	s->dead += ss->dead;
	return 0;
}

/* Orders sinks by name. */
static int
sink_cmp(const void *a, const void *b)
{
	return strcmp(((const struct status_sink *)a)->name, ((const struct status_sink *)b)->name);
}

/* Adds the configured sinks the outbox has nothing of, then orders them all by name. */
static void
add_configured_sinks(struct status *s, const struct cfg *c)
{
	size_t n = s->nsinks;

	for (size_t i = 0; c != NULL && i < c->nsinks; i++) {
		bool known = false;

		for (size_t j = 0; j < n && !known; j++)
			known = strcmp(s->sinks[j].name, c->sinks[i].name) == 0;
		if (!known)
			add_sink(s, c->sinks[i].name);
	}
	if (s->nsinks > 1)
		qsort(s->sinks, s->nsinks, sizeof(*s->sinks), sink_cmp);
}

/* Reads everything status prints in one read transaction. */
static int
status_read(struct store *st, struct status *s, char **errstr)
{
	if (store_begin_read(st, errstr) != 0)
		return -1;
	if (store_get_summary(st, &s->sum, errstr) != 0 ||
	    store_get_meta(st, "resolver_unhealthy_since", &s->unhealthy_since, errstr) != 0) {
		store_rollback(st);
		return -1;
	}
	if (s->unhealthy_since > 0)
		add_resolver_firing(s);
	if (store_each_firing(st, 0, add_firing, s, errstr) != 0 ||
	    store_each_sink_status(st, add_sink_status, s, errstr) != 0) {
		store_rollback(st);
		return -1;
	}
	return store_commit(st, errstr);
}

/* Frees what status read. */
static void
status_clear(struct status *s)
{
	for (size_t i = 0; i < s->nfiring; i++) {
		free(s->firing[i].domain);
		free(s->firing[i].rule);
		free(s->firing[i].subject);
	}
	free(s->firing);
	for (size_t i = 0; i < s->nsinks; i++) {
		free(s->sinks[i].name);
		free(s->sinks[i].last_error);
		free(s->sinks[i].dead_error);
	}
	free(s->sinks);
	free(s->path);
}

/* Sets the age limit of the last check: --max-age, else three times the shortest interval
 * of the configured domains (each domain's own, or schedule.interval), else the default. */
static void
set_max_age(struct status *s, const struct status_opts *so, const struct cfg *c)
{
	if (so->max_age > 0) {
		s->max_age = so->max_age;
		s->max_age_from = AGE_OPTION;
	} else if (c != NULL) {
		s->interval = c->interval_s;
		for (size_t i = 0; i < c->ndomains; i++) {
			unsigned iv =
			    c->domains[i].interval_s ? c->domains[i].interval_s : c->interval_s;

			if (i == 0 || iv < s->interval)
				s->interval = iv;
		}
		s->max_age = 3 * s->interval;
		s->max_age_from = AGE_CONFIG;
	} else {
		s->max_age = STATUS_DEFAULT_MAX_AGE;
		s->max_age_from = AGE_DEFAULT;
	}
	s->stale = s->sum.checked > 0 && s->now - s->sum.last_check > s->max_age;
}

/* The exit status: a stale state first (what it says firing may be over), then what is
 * firing, then whether anything was checked at all. */
static int
status_code(const struct status *s)
{
	if (s->stale)
		return ST_UNKNOWN;
	if (s->count[SEV_CRITICAL] > 0 || s->unhealthy_since > 0)
		return ST_CRITICAL;
	if (s->count[SEV_WARNING] > 0)
		return ST_WARNING;
	if (s->sum.checked == 0)
		return ST_UNKNOWN;
	return ST_OK;
}

/* Prints the first line: the verdict and why. The resolver's outage is said in words; the
 * counts are those of the domains' alerts. */
static void
print_verdict(const struct status *s, int code)
{
	static const char *const verdicts[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};
	size_t count[SEV_CRITICAL + 1], n = s->nfiring;
	const char *sep = "";

	memcpy(count, s->count, sizeof(count));
	printf("%s: ", verdicts[code]);
	if (s->stale) {
		char ab[24], mb[32];

		printf("the last check finished %s ago, more than %s ago",
		       cli_fmt_age(s->now - s->sum.last_check, ab, sizeof(ab)),
		       cli_fmt_duration(s->max_age, mb, sizeof(mb)));
		sep = "; ";
	}
	if (s->unhealthy_since > 0) {
		fputs(sep, stdout);
		fputs("the resolver is unhealthy", stdout);
		sep = "; ";
		count[s->firing[0].severity]--; /* resolver.unhealthy, listed first */
		n--;
	}
	if (n > 0) {
		fputs(sep, stdout);
		sep = "";
		for (int sev = SEV_CRITICAL; sev >= SEV_INFO; sev--) {
			if (count[sev] == 0)
				continue;
			printf("%s%zu %s", sep, count[sev], severity_name((enum severity)sev));
			sep = ", ";
		}
		fputs(" firing", stdout);
	} else if (s->unhealthy_since == 0) {
		fputs(sep, stdout);
		fputs(s->sum.checked == 0 ? "no check has finished yet" : "nothing firing", stdout);
	}
	putchar('\n');
}

/* Prints the domains line. */
static void
print_domains(const struct status *s)
{
	char tb[40], ab[24];

	fputs("domains:  ", stdout);
	if (s->sum.domains == 0) {
		puts("none yet");
		return;
	}
	if (s->sum.checked == 0) {
		printf("%lld known, none checked yet\n", (long long)s->sum.domains);
		return;
	}
	if (s->sum.checked < s->sum.domains)
		printf("%lld known, ", (long long)s->sum.domains);
	printf("%lld checked, the last check finished %s (%s ago)\n", (long long)s->sum.checked,
	       cli_fmt_time(s->sum.last_check, tb, sizeof(tb)),
	       cli_fmt_age(s->now - s->sum.last_check, ab, sizeof(ab)));
}

/* Prints the stale line: since when nothing was checked, the limit and where it is from. */
static void
print_stale(const struct status *s)
{
	char mb[32], ib[32];

	if (!s->stale)
		return;
	printf("stale:    no check has finished in the last %s ",
	       cli_fmt_duration(s->max_age, mb, sizeof(mb)));
	switch (s->max_age_from) {
	case AGE_OPTION:
		fputs("(--max-age)", stdout);
		break;
	case AGE_CONFIG:
		printf("(3 times the interval, %s)", cli_fmt_duration(s->interval, ib, sizeof(ib)));
		break;
	case AGE_DEFAULT:
		fputs("(3 times the default interval; see --max-age)", stdout);
		break;
	}
	puts(": is mxwatchd running?");
}

/* What the domain column shows for resolver.unhealthy, which belongs to no domain. */
#define NO_DOMAIN "-"

/* Prints the firing findings, grouped by severity, most severe first, in aligned columns. */
static void
print_firing(const struct status *s)
{
	int wd = 0, wr = 0, ws = 0, group = -1;
	char tb[40], ab[24];

	if (s->nfiring == 0) {
		puts("firing:   nothing");
		return;
	}
	puts("firing:");
	for (size_t i = 0; i < s->nfiring; i++) {
		const struct status_firing *f = &s->firing[i];
		const char *domain = f->domain != NULL ? f->domain : NO_DOMAIN;

		wd = (int)strlen(domain) > wd ? (int)strlen(domain) : wd;
		wr = (int)strlen(f->rule) > wr ? (int)strlen(f->rule) : wr;
		ws = (int)strlen(f->subject) > ws ? (int)strlen(f->subject) : ws;
	}
	for (size_t i = 0; i < s->nfiring; i++) {
		const struct status_firing *f = &s->firing[i];

		if ((int)f->severity != group) {
			group = (int)f->severity;
			printf("  %s (%zu)\n", severity_name(f->severity), s->count[f->severity]);
		}
		printf("    %-*s  %-*s  %-*s  since %s (%s)\n", wd,
		       f->domain != NULL ? f->domain : NO_DOMAIN, wr, f->rule, ws, f->subject,
		       cli_fmt_time(f->since, tb, sizeof(tb)),
		       cli_fmt_age(s->now - f->since, ab, sizeof(ab)));
	}
}

/* Prints the outbox of each sink. */
static void
print_outbox(const struct status *s)
{
	int wn = 0;
	char tb[40], ab[24];

	if (s->nsinks == 0) {
		puts("outbox:   nothing pending, none dead");
		return;
	}
	puts("outbox:");
	for (size_t i = 0; i < s->nsinks; i++)
		wn = (int)strlen(s->sinks[i].name) > wn ? (int)strlen(s->sinks[i].name) : wn;
	for (size_t i = 0; i < s->nsinks; i++) {
		const struct status_sink *k = &s->sinks[i];

		printf("  %-*s  ", wn, k->name);
		if (k->pending == 0) {
			fputs("nothing pending", stdout);
		} else {
			printf("%lld pending since %s (%s), ", (long long)k->pending,
			       cli_fmt_time(k->oldest, tb, sizeof(tb)),
			       cli_fmt_age(s->now - k->oldest, ab, sizeof(ab)));
			if (k->attempts == 0)
				fputs("not tried yet", stdout);
			else
				printf("%d attempt%s, the last: %s", k->attempts,
				       k->attempts == 1 ? "" : "s",
				       k->last_error ? k->last_error : "failed");
		}
		if (k->dead == 0)
			puts("; none dead");
		else
			printf("; %lld dead, the latest: %s\n", (long long)k->dead,
			       k->dead_error ? k->dead_error : "given up");
	}
}

/* Prints the status for a person. */
static void
print_text(const struct status *s, int code)
{
	char tb[40], ab[24];

	print_verdict(s, code);
	printf("state:    %s\n", s->path);
	print_domains(s);
	print_stale(s);
	if (s->unhealthy_since > 0)
		printf("resolver: UNHEALTHY since %s (%s): most checks fail at once; per-domain "
		       "alerts are held\n",
		       cli_fmt_time(s->unhealthy_since, tb, sizeof(tb)),
		       cli_fmt_age(s->now - s->unhealthy_since, ab, sizeof(ab)));
	else
		puts("resolver: healthy");
	print_firing(s);
	print_outbox(s);
}

/* A Unix time as JSON: null for 0 (never). */
static json_t *
json_time(int64_t t)
{
	return t > 0 ? json_integer((json_int_t)t) : json_null();
}

/* A string or null. */
static json_t *
json_string_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

/* Prints the status as one JSON object. */
static void
print_json(const struct status *s, int code)
{
	json_t *firing = json_array(), *sinks = json_array(), *o;
	char *line;

	for (size_t i = 0; i < s->nfiring; i++) {
		const struct status_firing *f = &s->firing[i];
		const char *sev = severity_name(f->severity);

		/* resolver.unhealthy has no domain member, as in mxwatchd's /status. */
		if (f->domain != NULL)
			json_array_append_new(
			    firing, json_pack("{s:s, s:s, s:s, s:s, s:I}", "domain", f->domain,
					      "rule", f->rule, "severity", sev, "subject",
					      f->subject, "since", (json_int_t)f->since));
		else
			json_array_append_new(firing,
					      json_pack("{s:s, s:s, s:s, s:I}", "rule", f->rule,
							"severity", sev, "subject", f->subject,
							"since", (json_int_t)f->since));
	}
	for (size_t i = 0; i < s->nsinks; i++) {
		const struct status_sink *k = &s->sinks[i];

		json_array_append_new(
		    sinks, json_pack("{s:s, s:I, s:o, s:i, s:o, s:o, s:I, s:o}", "name", k->name,
				     "pending", (json_int_t)k->pending, "oldest_pending",
				     json_time(k->oldest), "attempts", k->attempts, "last_error",
				     json_string_or_null(k->last_error), "next_attempt",
				     json_time(k->pending > 0 ? k->next_attempt : 0), "dead",
				     (json_int_t)k->dead, "last_dead_error",
				     json_string_or_null(k->dead_error)));
	}
	o = json_pack(
	    "{s:s, s:s, s:I, s:I, s:o, s:I, s:b, s:b, s:o, s:I, s:{s:I, s:I, s:I}, s:o, "
	    "s:{s:I, s:I}, s:o}",
	    "status", status_names[code], "state", s->path, "domains", (json_int_t)s->sum.domains,
	    "checked", (json_int_t)s->sum.checked, "last_check", json_time(s->sum.last_check),
	    "max_age", (json_int_t)s->max_age, "stale", s->stale, "resolver_healthy",
	    s->unhealthy_since == 0, "resolver_unhealthy_since", json_time(s->unhealthy_since),
	    "firing_total", (json_int_t)s->nfiring, "firing_count", "critical",
	    (json_int_t)s->count[SEV_CRITICAL], "warning", (json_int_t)s->count[SEV_WARNING],
	    "info", (json_int_t)s->count[SEV_INFO], "firing", firing, "outbox", "pending",
	    (json_int_t)s->pending, "dead", (json_int_t)s->dead, "sinks", sinks);
	line = json_dumps(o, JSON_COMPACT);
	puts(line);
	free(line);
	json_decref(o);
}

/* mxwatch status. */
int
cmd_status(int argc, char **argv)
{
	struct status_opts so = {.config = CLI_DEFAULT_CONFIG};
	struct status s = {0};
	struct store *st;
	struct cfg *c = NULL;
	char *err = NULL;
	int rc;

	if ((rc = status_parse(argc, argv, &so)) != 0)
		return rc > 0 ? 0 : CLI_EXIT_USAGE;
	if ((st = cli_open_state(so.config, so.state, &c)) == NULL)
		return CLI_EXIT_UNKNOWN;
	s.path = xstrdup(so.state != NULL ? so.state : c->state);
	s.now = (int64_t)time(NULL);
	if (status_read(st, &s, &err) != 0) {
		fprintf(stderr, "mxwatch: %s\n", err);
		free(err);
		rc = CLI_EXIT_UNKNOWN;
	} else {
		add_configured_sinks(&s, c);
		set_max_age(&s, &so, c);
		rc = status_code(&s);
		if (so.json)
			print_json(&s, rc);
		else
			print_text(&s, rc);
		if (fflush(stdout) != 0)
			rc = CLI_EXIT_UNKNOWN;
	}
	store_close(st);
	cfg_free(c);
	status_clear(&s);
	return rc;
}
