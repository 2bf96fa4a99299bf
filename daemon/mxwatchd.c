/* mxwatchd: the monitoring daemon. Wires lib/ together; all logic lives there. */
#include "config.h"

#include <errno.h>
#include <event2/event.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "endpoint.h"
#include "log.h"
#include "mxwatchd.h"
#include "sdnotify.h"
#include "service.h"
#include "snap.h"
#include "version.h"
#include "xmalloc.h"

#define DEFAULT_CONFIG "/etc/mxwatch/mxwatch.yaml"
#define EXIT_UNKNOWN 3
#define EXIT_USAGE 64
#define EXIT_CONFIG 78
/* After SIGTERM or SIGINT, the checks still running are cancelled after this long (seconds). */
#define STOP_GRACE_S 3

/* Prints the usage text to f. */
static void
usage(FILE *f)
{
	fputs("usage: mxwatchd [-c FILE] [--log-level LEVEL]   run, checking domains on schedule\n"
	      "       mxwatchd [-c FILE] -t                    check the configuration and exit\n"
	      "       mxwatchd [-c FILE] --once [--json]       check every domain once and exit\n"
	      "       add --dry-run to print the notifications, sending and storing nothing\n"
	      "       mxwatchd -V                              print the versions and exit\n"
	      "\n"
	      "The configuration defaults to " DEFAULT_CONFIG ".\n"
	      "Exit status of --once: 0 ok, 1 warnings, 2 critical findings, 3 unknown (no\n"
	      "warning or critical finding but lookups failed; or a check could not be stored,\n"
	      "or a signal stopped the run before every domain was checked); 64 usage, 78 bad\n"
	      "configuration.\n",
	      f);
}

/* Prints or logs one change. */
static void
on_change(const char *domain, const struct snap_change *c, int64_t now, void *arg)
{
	struct daemon *d = arg;
	json_t *before = snap_set_json(c->before), *after = snap_set_json(c->after);
	char tb[16];

	if (d->json) {
		json_t *o;
		char *line;

		json_object_del(before, "name");
		json_object_del(before, "type");
		json_object_del(after, "name");
		json_object_del(after, "type");
		o = json_pack("{s:s, s:s, s:s, s:s, s:O, s:O}", "type", "change", "domain", domain,
			      "name", c->after->name, "rrtype",
			      dns_type_name(c->after->type, tb, sizeof(tb)), "before", before,
			      "after", after);
		line = json_dumps(o, JSON_COMPACT);
		puts(line);
		free(line);
		json_decref(o);
	} else {
		char *what = snap_describe(before, after, "; ");

		log_info("%s: %s %s changed: %s", domain, c->after->name,
			 dns_type_name(c->after->type, tb, sizeof(tb)), what);
		free(what);
	}
	json_decref(before);
	json_decref(after);
}

/* Prints or logs one finding. */
static void
on_finding(const struct finding *f, void *arg)
{
	struct daemon *d = arg;

	if (strcmp(f->rule, "dns.lookup-failed") != 0)
		d->findings[f->severity]++;
	if (d->json) {
		json_t *o = finding_json(f);
		char *line = json_dumps(o, JSON_COMPACT);

		puts(line);
		free(line);
		json_decref(o);
	} else if ((d->once || f->regression) && strcmp(f->rule, "dns.changed") != 0) {
		/* dns.changed repeats the change line already logged. */
		log_info("%s: %s %s %s: %s", f->domain, severity_name(f->severity), f->rule,
			 f->subject, f->message);
	}
}

/* Logs a store failure. */
static void
on_error(const char *message, void *arg)
{
	log_warnx("%s", message);
}

/* Notifications were committed: send them. */
static void
on_notified(void *arg)
{
	struct daemon *d = arg;

	if (d->dl != NULL)
		deliver_kick(d->dl);
}

/* --once: everything due was delivered (or is waiting for a later attempt): leave. */
static void
delivered(void *arg)
{
	struct daemon *d = arg;

	event_base_loopexit(d->base, NULL);
}

/* The exit status of --once, the Nagios convention as mxwatch check applies it: 3 (unknown)
 * when a check could not be stored (store_status -1) or a signal stopped the run before every
 * domain's check was stored, whatever the findings; else 2 when a finding is critical, 1 when
 * one is a warning (critical and warning findings win over lookups that failed); else 3 when
 * a watched set could not be looked up (its state is unknown), else 0. */
static int
once_status(const struct daemon *d, int store_status)
{
	struct monitor_stats st;

	monitor_get_stats(d->m, &st);
	if (d->stopping && st.checks < st.domains) {
		log_warnx("interrupted: %llu of %zu domain%s checked, the run is incomplete: exit "
			  "status 3 (unknown)",
			  (unsigned long long)st.checks, st.domains, st.domains == 1 ? "" : "s");
		return EXIT_UNKNOWN;
	}
	if (store_status != 0)
		return EXIT_UNKNOWN;
	if (d->findings[SEV_CRITICAL] > 0)
		return 2;
	if (d->findings[SEV_WARNING] > 0)
		return 1;
	if (st.checks_unknown > 0) {
		log_warnx("lookups failed (SERVFAIL, REFUSED, timeout or error) for %llu of %zu "
			  "domain%s: %s state is unknown: exit status 3 (unknown)",
			  (unsigned long long)st.checks_unknown, st.domains,
			  st.domains == 1 ? "" : "s", st.checks_unknown == 1 ? "its" : "their");
		return EXIT_UNKNOWN;
	}
	return 0;
}

/* --once started every domain's check and each is over (stored, or cancelled after a
 * signal): deliver what is due and leave, or after a signal leave at once. */
static void
once_done(int status, void *arg)
{
	struct daemon *d = arg;

	d->once_over = true;
	d->status = once_status(d, status);
	if (d->dl != NULL && !d->stopping)
		deliver_when_idle(d->dl, 0, delivered, d); /* send what is due, then leave */
	else
		event_base_loopexit(d->base, NULL); /* what is not sent stays in the outbox */
}

/* The monitor has stopped: leave the loop. */
static void
stopped(void *arg)
{
	struct daemon *d = arg;

	if (d->once && !d->once_over)
		d->status = once_status(d, 0); /* a signal came before every check started */
	event_base_loopexit(d->base, NULL);
}

/* Checks still running after the grace time are cancelled. */
static void
stop_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	log_info("cancelling the checks still running");
	dns_free(d->r); /* their callbacks run now, incomplete; nothing half-done is stored */
	d->r = NULL;
}

/* Ends the process at once by sig, as the signal's default action does. */
static void
die_of(int sig)
{
	sigset_t set;

	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	_exit(128 + sig); /* not reached */
}

/* SIGTERM or SIGINT: stop scheduling, let running checks finish, commit, exit. Deliveries
 * in flight are cancelled (they stay in the outbox). A second one ends the process at once:
 * from here on the signals take their default action, and one that came before this
 * handler ran (its event is still to be handled) is raised again with it. */
static void
on_stop_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	struct timeval grace = {STOP_GRACE_S, 0};
	const char *name = sig == SIGINT ? "SIGINT" : "SIGTERM";

	if (d->stopping) {
		log_warnx("%s while stopping: exiting at once, the open batch is not committed",
			  name);
		die_of((int)sig);
	}
	signal(SIGTERM, SIG_DFL); /* even while the event loop is busy */
	signal(SIGINT, SIG_DFL);
	log_info("stopping on %s", name);
	d->ready = false;
	d->stopping = true;
	service_tell(d, sdnotify_stopping);
	service_status(d, true);
	d->stop_timer = evtimer_new(d->base, stop_timeout, d);
	evtimer_add(d->stop_timer, &grace);
	monitor_stop(d->m, stopped, d);
}

/* SIGHUP during --once: the run goes on with the configuration it started with. */
static void
on_hup_once(evutil_socket_t sig, short what, void *arg)
{
	log_info("SIGHUP ignored: --once runs with the configuration it started with");
}

/* SIGHUP: reload the configuration. */
static void
on_reload(evutil_socket_t sig, short what, void *arg)
{
	conf_reload(arg);
}

/* Opens the state database. A dry run writes nothing (the monitor rolls back what it would
 * store) and works on a copy in memory of the database, read without writing; of a
 * database that does not exist yet, on an empty one in memory, so that it does not create
 * the file either. */
static int
open_state(const struct daemon *d, const struct cfg *c, struct store **st, char **errstr)
{
	if (!d->dry_run)
		return store_open(c->state, st, errstr);
	if (access(c->state, F_OK) != 0 && errno == ENOENT) {
		log_info("dry run: %s does not exist: starting from an empty state in memory",
			 c->state);
		return store_open(":memory:", st, errstr);
	}
	return store_open_copy(c->state, st, errstr);
}

/* Blocks SIGTERM, SIGINT and SIGHUP until their events are in place: one that comes during
 * the start waits for its handler instead of killing the process. main restores *old then,
 * before the event loop runs, so nothing started later inherits the blocked mask. */
static void
hold_signals(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, old);
}

/* The exit status once standard output is flushed: 3 (unknown) when anything printed
 * there (--json, --dry-run) could not be written, as to a full disk or a closed pipe. */
static int
output_status(int status)
{
	bool flushed = fflush(stdout) == 0;
	int e = errno;

	if (flushed && !ferror(stdout))
		return status;
	log_errx("cannot write to standard output: %s: the output is incomplete: exit status 3 "
		 "(unknown)",
		 flushed ? "write error" : strerror(e));
	return EXIT_UNKNOWN;
}

/* Builds the resolver options from the configuration. */
static void
resolver_options(const struct cfg *c, struct dns_options *o)
{
	dns_options_init(o);
	o->servers = (const char *const *)c->resolver.servers;
	o->nservers = c->resolver.nservers;
	o->timeout_ms = (int)c->resolver.timeout_ms;
	o->tries = (int)c->resolver.tries;
	o->max_inflight = c->resolver.max_inflight;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"test", no_argument, NULL, 't'},
	    {"once", no_argument, NULL, 'o'},
	    {"json", no_argument, NULL, 'j'},
	    {"dry-run", no_argument, NULL, 'n'},
	    {"log-level", required_argument, NULL, 'l'},
	    {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct daemon d = {.config_path = DEFAULT_CONFIG};
	struct monitor_events ev = {.change = on_change,
				    .finding = on_finding,
				    .notified = on_notified,
				    .error = on_error,
				    .arg = &d};
	bool test = false;
	sigset_t old_mask;
	struct dns_options o;
	struct cfg *c;
	char *err = NULL;
	int ch;

	log_set_progname("mxwatchd");
	while ((ch = getopt_long(argc, argv, "c:tVh", opts, NULL)) != -1) {
		enum log_level level;

		switch (ch) {
		case 'c':
			d.config_path = optarg;
			break;
		case 't':
			test = true;
			break;
		case 'o':
			d.once = true;
			break;
		case 'j':
			d.json = true;
			break;
		case 'n':
			d.dry_run = true;
			break;
		case 'l':
			if (!log_parse_level(optarg, &level)) {
				fprintf(stderr, "mxwatchd: --log-level wants error, warning, info "
						"or debug\n");
				return EXIT_USAGE;
			}
			log_set_level(level);
			d.log_level_given = true;
			break;
		case 'V': {
			char *v = version_text("mxwatchd");

			fputs(v, stdout);
			free(v);
			return 0;
		}
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc || (d.json && !d.once)) {
		usage(stderr);
		return EXIT_USAGE;
	}
	sigemptyset(&old_mask);
	if (!test)
		hold_signals(&old_mask);
	if ((c = conf_load(d.config_path, &d.prov, true)) == NULL)
		return EXIT_CONFIG;
	if (test) {
		prov_free(d.prov);
		printf("%s: configuration OK: %zu domain%s, %zu sink%s\n", d.config_path,
		       c->ndomains, c->ndomains == 1 ? "" : "s", c->nsinks,
		       c->nsinks == 1 ? "" : "s");
		cfg_free(c);
		return 0;
	}
	conf_log_level(&d, c);
	signal(SIGPIPE, SIG_IGN);
	log_route_libevent();
	if ((d.base = event_base_new()) == NULL)
		fatalx("cannot create the event loop");
	resolver_options(c, &o);
	if (open_state(&d, c, &d.st, &err) != 0 || (d.r = dns_new(d.base, &o, &err)) == NULL) {
		log_errx("%s", err);
		free(err);
		store_close(d.st);
		cfg_free(c);
		prov_free(d.prov);
		event_base_free(d.base);
		return EXIT_UNKNOWN;
	}
	endpoint_init(&d);
	if (!d.once && c->http_listen != NULL &&
	    (d.web = web_new(d.base, c->http_listen, &d.src, &err)) == NULL) {
		log_errx("%s", err); /* "cannot listen on 127.0.0.1:9749: Address already in use" */
		free(err);
		dns_free(d.r);
		store_close(d.st);
		cfg_free(c);
		prov_free(d.prov);
		event_base_free(d.base);
		return EXIT_CONFIG;
	}
	if (d.web != NULL) {
		d.listen = xstrdup(c->http_listen);
		log_info("HTTP endpoint on %s", d.listen);
	}
	d.m = monitor_new(d.base, d.r, d.st, &ev);
	if (d.dry_run) {
		monitor_set_dry_run(d.m, stdout);
	} else if ((d.http = http_new(d.base, &err)) != NULL) {
		d.dl = deliver_new(d.base, d.http, d.st);
		deliver_set_config(d.dl, c); /* also sends what an earlier run left pending */
	} else {
		log_warnx("%s: notifications stay in the outbox", err);
		free(err);
		err = NULL;
	}
	d.interval_s = c->interval_s;
	monitor_set_config(d.m, c, d.prov, &err);
	d.prov = NULL; /* the monitor owns it now */
	d.cfg = c;
	d.reload_ok = true;
	d.reload_at = time(NULL);
	d.sigterm = evsignal_new(d.base, SIGTERM, on_stop_signal, &d);
	d.sigint = evsignal_new(d.base, SIGINT, on_stop_signal, &d);
	d.sighup = evsignal_new(d.base, SIGHUP, d.once ? on_hup_once : on_reload, &d);
	event_add(d.sigterm, NULL);
	event_add(d.sigint, NULL);
	event_add(d.sighup, NULL);
	sigprocmask(SIG_SETMASK, &old_mask, NULL); /* what came meanwhile is handled now */
	if (d.once) {
		monitor_run_once(d.m, once_done, &d);
	} else {
		monitor_start(d.m);
		d.ready = true; /* configuration loaded, store open, first cycle scheduled */
		d.service = true;
		service_start(&d); /* the store is open, the configuration loaded: ready */
	}
	/* Logged once the signals are handled: tests wait for this line. */
	log_info("%zu domain%s, state %s", c->ndomains, c->ndomains == 1 ? "" : "s", c->state);
	event_base_dispatch(d.base);
	web_free(d.web); /* first: its callbacks read the monitor and the store */
	free(d.listen);
	monitor_free(d.m);
	deliver_free(d.dl); /* requests in flight stay pending in the outbox */
	http_free(d.http);
	dns_free(d.r);
	store_close(d.st);
	prov_free(d.prov);
	event_free(d.sigterm);
	event_free(d.sigint);
	event_free(d.sighup);
	if (d.stop_timer != NULL)
		event_free(d.stop_timer);
	service_free(&d);
	event_base_free(d.base);
	return output_status(d.status);
}
