/* mxwatchd: the monitoring daemon. Wires lib/ together; all logic lives there. */
#include "config.h"

#include <event2/event.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cfg.h"
#include "deliver.h"
#include "dns.h"
#include "http.h"
#include "log.h"
#include "monitor.h"
#include "prov.h"
#include "sdnotify.h"
#include "snap.h"
#include "store.h"
#include "version.h"
#include "web.h"
#include "xmalloc.h"

#define DEFAULT_CONFIG "/etc/mxwatch/mxwatch.yaml"
#define EXIT_UNKNOWN 3
#define EXIT_USAGE 64
#define EXIT_CONFIG 78
/* Firing findings listed by /status at most (firing_total counts them all). */
#define STATUS_FIRING_MAX 100
/* The service manager's status line is refreshed at most this often (seconds). */
#define STATUS_EVERY_S 10

struct daemon {
	struct event_base *base;
	const char *config_path;
	struct dns_resolver *r;
	struct store *st;
	struct prov *prov;
	struct monitor *m;
	struct http_client *http;
	struct deliver *dl; /* NULL in a dry run */
	bool json;
	bool once;
	bool dry_run;
	int status;
	struct event *sigterm, *sigint, *sighup, *stop_timer;
	/* The HTTP endpoint (NULL when off and with --once) and the address it listens on. */
	struct web *web;
	struct web_source src;
	char *listen;
	const struct cfg *cfg; /* the running configuration (the monitor owns it) */
	bool ready;	       /* checking on schedule, not stopping */
	bool reload_ok;	       /* the last load of the configuration (start or SIGHUP) worked */
	int64_t reload_at;     /* when the running configuration was loaded */
	/* Talking to the service manager (daemon mode only). */
	bool service;		    /* not --once: READY, RELOADING, STOPPING, STATUS, WATCHDOG */
	unsigned interval_s;	    /* schedule.interval of the running configuration */
	bool reload_failed;	    /* the last SIGHUP kept the old configuration */
	bool stopping;		    /* SIGTERM or SIGINT came */
	bool tell_failing;	    /* the last notification failed (logged once) */
	char *status_sent;	    /* the last STATUS line sent */
	struct event *status_timer; /* refreshes the STATUS line */
	struct event *watchdog;	    /* WATCHDOG=1 at half the manager's interval */
};

/* Prints the usage text to f. */
static void
usage(FILE *f)
{
	fputs("usage: mxwatchd [-c FILE] [--log-level LEVEL]   run, checking domains on schedule\n"
	      "       mxwatchd [-c FILE] -t                    check the configuration and exit\n"
	      "       mxwatchd [-c FILE] --once [--json]       check every domain once and exit\n"
	      "       add --dry-run to print the notifications (JSON lines) instead of sending\n"
	      "       mxwatchd -V                              print the versions and exit\n"
	      "\n"
	      "The configuration defaults to " DEFAULT_CONFIG ".\n"
	      "Exit status of --once: 0 ok, 1 warnings, 2 critical findings, 3 a check could not\n"
	      "be stored; 64 usage, 78 bad configuration.\n",
	      f);
}

/* Notes how a notification went: a failure is logged once until one succeeds again. */
static void
service_told(struct daemon *d, int rc, char *err)
{
	if (rc == 0) {
		d->tell_failing = false;
		return;
	}
	if (!d->tell_failing)
		log_warnx("%s", err);
	d->tell_failing = true;
	free(err);
}

/* Sends one fixed notification (sdnotify_ready and the like) in daemon mode. */
static void
service_tell(struct daemon *d, int (*send)(char **errstr))
{
	char *err = NULL;
	int rc;

	if (!d->service)
		return;
	rc = send(&err);
	service_told(d, rc, err);
}

/* Writes an interval as people write it: "5m", "1h", "90s". */
static void
format_interval(unsigned s, char *buf, size_t len)
{
	if (s > 0 && s % 3600 == 0)
		snprintf(buf, len, "%uh", s / 3600);
	else if (s > 0 && s % 60 == 0)
		snprintf(buf, len, "%um", s / 60);
	else
		snprintf(buf, len, "%us", s);
}

/* The status line: what is watched, how far it got, what went wrong. */
static char *
status_text(const struct daemon *d)
{
	struct monitor_stats st;
	char every[16], *s, *t;

	monitor_get_stats(d->m, &st);
	format_interval(d->interval_s, every, sizeof(every));
	s = xasprintf("%s %zu domain%s every %s; %llu checks, %llu changes since start",
		      d->stopping ? "stopping: was checking" : "checking", st.domains,
		      st.domains == 1 ? "" : "s", every, (unsigned long long)st.checks,
		      (unsigned long long)st.changes);
	if (st.store_errors > 0) {
		t = xasprintf("%s; %llu store errors", s, (unsigned long long)st.store_errors);
		free(s);
		s = t;
	}
	if (d->reload_failed) {
		t = xasprintf("%s; reload failed, running the previous configuration", s);
		free(s);
		s = t;
	}
	return s;
}

/* Sends the status line when it changed since the last one sent (or always, with force). */
static void
service_status(struct daemon *d, bool force)
{
	char *s, *err = NULL;
	int rc;

	if (!d->service)
		return;
	s = status_text(d);
	if (!force && d->status_sent != NULL && strcmp(s, d->status_sent) == 0) {
		free(s);
		return;
	}
	rc = sdnotify_status(s, &err);
	service_told(d, rc, err);
	free(d->status_sent);
	d->status_sent = s;
}

/* Every few seconds: the status line, when it changed. */
static void
status_tick(evutil_socket_t fd, short what, void *arg)
{
	service_status(arg, false);
}

/* Half the watchdog interval: tells the manager the event loop still turns. */
static void
watchdog_tick(evutil_socket_t fd, short what, void *arg)
{
	service_tell(arg, sdnotify_watchdog);
}

/* Starts the status timer and, when the manager wants one, the watchdog ping. */
static void
service_start(struct daemon *d)
{
	struct timeval every = {STATUS_EVERY_S, 0};
	uint64_t usec;

	d->status_timer = event_new(d->base, -1, EV_PERSIST, status_tick, d);
	event_add(d->status_timer, &every);
	if (sdnotify_watchdog_enabled(&usec)) {
		uint64_t half = usec / 2 > 1000 ? usec / 2 : 1000;
		struct timeval tv = {(time_t)(half / 1000000), (suseconds_t)(half % 1000000)};

		d->watchdog = event_new(d->base, -1, EV_PERSIST, watchdog_tick, d);
		event_add(d->watchdog, &tv);
		service_tell(d, sdnotify_watchdog);
	}
	service_tell(d, sdnotify_ready);
	service_status(d, true);
}

/* Loads the configuration, printing every error; returns NULL when it is not valid. */
static struct cfg *
load_config(const char *path, struct prov **prov)
{
	struct cfg *c = NULL;
	char *err = NULL;

	if (cfg_load(path, &c, &err) != 0) {
		char *save = NULL;

		for (char *line = strtok_r(err, "\n", &save); line != NULL;
		     line = strtok_r(NULL, "\n", &save))
			log_warnx("%s", line);
		free(err);
		return NULL;
	}
	if (prov_load_for(c->providers.data_dir, (const char *const *)c->providers.cdn_ranges,
			  c->providers.ncdn_ranges, prov, &err) != 0) {
		log_warnx("%s", err);
		free(err);
		cfg_free(c);
		return NULL;
	}
	return c;
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

/* --once is over. */
static void
once_done(int status, void *arg)
{
	struct daemon *d = arg;

	struct monitor_stats st;

	monitor_get_stats(d->m, &st);
	/* The Nagios convention: 3 unknown (a check could not be stored), 2 critical, 1 warning. */
	if (status != 0)
		d->status = EXIT_UNKNOWN;
	else if (st.findings[SEV_CRITICAL] > 0)
		d->status = 2;
	else if (st.findings[SEV_WARNING] > 0)
		d->status = 1;
	else
		d->status = 0;
	if (d->dl != NULL)
		deliver_when_idle(d->dl, 0, delivered, d); /* send what is due, then leave */
	else
		event_base_loopexit(d->base, NULL);
}

/* The monitor has stopped: leave the loop. */
static void
stopped(void *arg)
{
	struct daemon *d = arg;

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

/* SIGTERM or SIGINT: stop scheduling, let running checks finish, commit, exit. */
static void
on_stop_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	struct timeval grace = {3, 0};

	log_info("stopping (signal %d)", (int)sig);
	d->ready = false;
	d->stopping = true;
	service_tell(d, sdnotify_stopping);
	service_status(d, true);
	d->status = d->once ? EXIT_UNKNOWN : 0; /* a cut-short --once checked not everything */
	event_del(d->sigterm);
	event_del(d->sigint);
	d->stop_timer = evtimer_new(d->base, stop_timeout, d);
	evtimer_add(d->stop_timer, &grace);
	monitor_stop(d->m, stopped, d);
}

/* Restarts the endpoint on its running address after a move that failed. */
static void
web_restore(struct daemon *d)
{
	char *err = NULL;

	if (d->web != NULL || d->listen == NULL)
		return;
	if ((d->web = web_new(d->base, d->listen, &d->src, &err)) == NULL) {
		log_warnx("%s: the HTTP endpoint is off until a reload starts it", err);
		free(err);
	}
}

/* Starts the endpoint on addr for a reload: beside the running one, or in its place when
 * both cannot listen at once (the same port on another address). Returns NULL and *errstr
 * when addr cannot be listened on; the running endpoint is then kept. */
static struct web *
web_move(struct daemon *d, const char *addr, char **errstr)
{
	struct web *w = web_new(d->base, addr, &d->src, errstr);

	if (w != NULL || d->web == NULL)
		return w;
	free(*errstr);
	*errstr = NULL;
	web_free(d->web);
	d->web = NULL;
	if ((w = web_new(d->base, addr, &d->src, errstr)) == NULL)
		web_restore(d);
	return w;
}

/* Tells whether two listen addresses (NULL: off) are the same. */
static bool
same_listen(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

/* A reload is over (ok: the new configuration runs): the service is ready again. */
static void
reloaded(struct daemon *d, bool ok)
{
	d->reload_failed = !ok;
	service_tell(d, sdnotify_ready);
	service_status(d, true);
}

/* SIGHUP: reload the configuration whole, or keep the old one. A changed http.listen moves
 * the endpoint; when the new address cannot be listened on, the reload fails. */
static void
on_reload(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	unsigned interval_s;
	struct prov *prov = NULL;
	struct cfg *c;
	struct web *web = NULL;
	bool move;
	char *err = NULL;

	if (d->stopping) {
		log_info("stopping: the reload is ignored");
		return;
	}
	service_tell(d, sdnotify_reloading);
	d->reload_ok = false;
	if ((c = load_config(d->config_path, &prov)) == NULL) {
		log_warnx("reload failed: keeping the running configuration");
		reloaded(d, false);
		return;
	}
	/* An endpoint that a failed move left down is started again by any reload. */
	move =
	    !same_listen(d->listen, c->http_listen) || (c->http_listen != NULL && d->web == NULL);
	if (move && c->http_listen != NULL && (web = web_move(d, c->http_listen, &err)) == NULL) {
		log_warnx("reload failed: %s: keeping the running configuration", err);
		free(err);
		cfg_free(c);
		prov_free(prov);
		reloaded(d, false);
		return;
	}
	interval_s = c->interval_s;
	if (monitor_set_config(d->m, c, prov, &err) != 0) {
		log_warnx("reload failed: %s", err);
		free(err);
		web_free(web);
		web_restore(d);
		reloaded(d, false);
		return;
	}
	if (move) {
		web_free(d->web);
		d->web = web;
		free(d->listen);
		d->listen = c->http_listen != NULL ? xstrdup(c->http_listen) : NULL;
		if (d->listen != NULL)
			log_info("HTTP endpoint moved to %s", d->listen);
		else
			log_info("HTTP endpoint off");
	}
	d->cfg = c;
	d->reload_ok = true;
	d->reload_at = time(NULL);
	if (d->dl != NULL)
		deliver_set_config(d->dl, c); /* c stays alive: the monitor holds it */
	d->interval_s = interval_s;
	log_info("configuration reloaded: %zu domains", c->ndomains);
	reloaded(d, true);
}

/* Declares a family and adds its one sample, without labels. */
static void
metric(struct web_metrics *w, const char *name, enum web_metric_type type, const char *help,
       double value)
{
	web_metrics_family(w, name, type, help);
	web_metrics_add(w, name, value, NULL);
}

/* Adds the firing count of one (rule, severity). */
static int
add_firing_count(const char *rule, enum severity sev, int64_t n, void *arg)
{
	web_metrics_add(arg, "mxwatch_findings_firing", (double)n, "rule", rule, "severity",
			severity_name(sev), NULL);
	return 0;
}

/* Adds the outbox and delivery counters of each configured sink. */
static void
sink_metrics(struct daemon *d, struct web_metrics *w)
{
	static const char *const help_pending = "Notifications waiting in the outbox, by sink.";
	static const char *const help_dead =
	    "Notifications given up after a permanent error (kept in the outbox), by sink.";

	web_metrics_family(w, "mxwatch_outbox_pending", WEB_GAUGE, help_pending);
	web_metrics_family(w, "mxwatch_outbox_dead", WEB_GAUGE, help_dead);
	web_metrics_family(w, "mxwatch_deliveries_total", WEB_COUNTER,
			   "Delivery attempts since the start, by sink and result: sent (2xx), "
			   "retried (to be tried again), dead (a permanent error).");
	for (size_t i = 0; d->cfg != NULL && i < d->cfg->nsinks; i++) {
		const char *name = d->cfg->sinks[i].name;
		struct deliver_stats ds = {0};
		int64_t pending, dead;
		char *err = NULL;

		if (store_outbox_count(d->st, name, "pending", &pending, &err) != 0 ||
		    store_outbox_count(d->st, name, "dead", &dead, &err) != 0) {
			log_warnx("metrics: %s", err);
			free(err);
		} else {
			web_metrics_add(w, "mxwatch_outbox_pending", (double)pending, "sink", name,
					NULL);
			web_metrics_add(w, "mxwatch_outbox_dead", (double)dead, "sink", name, NULL);
		}
		if (d->dl != NULL)
			deliver_get_sink_stats(d->dl, name, &ds);
		web_metrics_add(w, "mxwatch_deliveries_total", (double)ds.sent, "sink", name,
				"result", "sent", NULL);
		web_metrics_add(w, "mxwatch_deliveries_total", (double)ds.retried, "sink", name,
				"result", "retried", NULL);
		web_metrics_add(w, "mxwatch_deliveries_total", (double)ds.dead, "sink", name,
				"result", "dead", NULL);
	}
}

/* /metrics: the daemon's counters. Labels take bounded values only: severities, rules of
 * the catalogue, DNS outcomes, configured sinks; never a domain name. */
static void
on_metrics(struct web_metrics *w, void *arg)
{
	struct daemon *d = arg;
	struct monitor_stats ms;
	struct dns_stats ds = {0};
	char *err = NULL;

	monitor_get_stats(d->m, &ms);
	if (d->r != NULL)
		dns_get_stats(d->r, &ds);
	web_metrics_family(w, "mxwatch_build_info", WEB_GAUGE,
			   "The version of mxwatchd, in the label version (always 1).");
	web_metrics_add(w, "mxwatch_build_info", 1, "version", PACKAGE_VERSION, NULL);
	metric(w, "mxwatch_domains", WEB_GAUGE, "Domains configured.", (double)ms.domains);
	metric(w, "mxwatch_checks_total", WEB_COUNTER, "Domain checks completed and stored.",
	       (double)ms.checks);
	metric(w, "mxwatch_checks_running", WEB_GAUGE, "Domain checks in progress.",
	       (double)ms.running);
	metric(w, "mxwatch_changes_total", WEB_COUNTER, "Changes of watched record sets recorded.",
	       (double)ms.changes);
	web_metrics_family(w, "mxwatch_findings_total", WEB_COUNTER,
			   "Findings of the checks by severity, each check counting what it found "
			   "(confirmed or not).");
	for (int s = SEV_INFO; s <= SEV_CRITICAL; s++)
		web_metrics_add(w, "mxwatch_findings_total", (double)ms.findings[s], "severity",
				severity_name((enum severity)s), NULL);
	web_metrics_family(w, "mxwatch_findings_firing", WEB_GAUGE,
			   "Alerts firing now, by rule and severity.");
	if (store_count_firing(d->st, add_firing_count, w, &err) != 0) {
		log_warnx("metrics: %s", err);
		free(err);
	}
	web_metrics_family(w, "mxwatch_dns_queries_total", WEB_COUNTER,
			   "DNS queries completed, by outcome.");
	for (int o = DNS_ANSWER; o <= DNS_ERROR; o++)
		web_metrics_add(w, "mxwatch_dns_queries_total", (double)ds.by_outcome[o], "outcome",
				dns_outcome_name((enum dns_outcome)o), NULL);
	metric(w, "mxwatch_dns_inflight", WEB_GAUGE, "DNS queries sent and not answered yet.",
	       (double)ds.inflight);
	metric(w, "mxwatch_dns_queued", WEB_GAUGE, "DNS queries waiting for a free slot.",
	       (double)ds.queued);
	web_metrics_family(w, "mxwatch_cycle_duration_seconds", WEB_GAUGE,
			   "How long the last full pass took: from its first check's start until "
			   "every configured domain had completed a check (about the interval "
			   "while mxwatchd keeps up).");
	if (ms.cycles > 0)
		web_metrics_add(w, "mxwatch_cycle_duration_seconds", (double)ms.cycle_ms / 1000.0,
				NULL);
	metric(w, "mxwatch_cycles_total", WEB_COUNTER, "Full passes over the domains completed.",
	       (double)ms.cycles);
	web_metrics_family(w, "mxwatch_last_check_timestamp_seconds", WEB_GAUGE,
			   "When the latest domain check was stored (Unix time).");
	if (ms.last_check > 0)
		web_metrics_add(w, "mxwatch_last_check_timestamp_seconds", (double)ms.last_check,
				NULL);
	sink_metrics(d, w);
	metric(w, "mxwatch_notifications_total", WEB_COUNTER, "Notifications queued in the outbox.",
	       (double)ms.notifications);
	metric(w, "mxwatch_resolver_healthy", WEB_GAUGE,
	       "0 while most checks fail at once (resolver.unhealthy fires), else 1.",
	       monitor_resolver_healthy(d->m) ? 1 : 0);
	metric(w, "mxwatch_config_reload_success", WEB_GAUGE,
	       "1 when the last load of the configuration (start or SIGHUP) worked, else 0.",
	       d->reload_ok ? 1 : 0);
	metric(w, "mxwatch_config_reload_timestamp_seconds", WEB_GAUGE,
	       "When the running configuration was loaded (Unix time).", (double)d->reload_at);
	metric(w, "mxwatch_store_errors_total", WEB_COUNTER,
	       "Failed writes and reads of the state database during checks.",
	       (double)ms.store_errors);
}

/* Adds one firing finding to the /status list. */
static int
add_firing(const struct store_firing *f, void *arg)
{
	json_array_append_new(arg,
			      json_pack("{s:s, s:s, s:s, s:s, s:I}", "domain", f->domain, "rule",
					f->rule, "severity", severity_name(f->severity), "subject",
					f->subject, "since", (json_int_t)f->since));
	return 0;
}

/* Sums the firing counts. */
static int
sum_firing(const char *rule, enum severity sev, int64_t n, void *arg)
{
	*(int64_t *)arg += n;
	return 0;
}

/* /status: what a person asks first, as JSON. Sink names only: no URL, key or secret. */
static json_t *
on_status(void *arg)
{
	struct daemon *d = arg;
	struct monitor_stats ms;
	json_t *sinks = json_array(), *firing = json_array();
	int64_t pending = 0, dead = 0, total = 0;
	char *err = NULL;

	monitor_get_stats(d->m, &ms);
	for (size_t i = 0; d->cfg != NULL && i < d->cfg->nsinks; i++) {
		const char *name = d->cfg->sinks[i].name;
		int64_t p, x;

		if (store_outbox_count(d->st, name, "pending", &p, &err) != 0 ||
		    store_outbox_count(d->st, name, "dead", &x, &err) != 0)
			goto fail;
		json_array_append_new(sinks, json_pack("{s:s, s:I, s:I}", "name", name, "pending",
						       (json_int_t)p, "dead", (json_int_t)x));
		pending += p;
		dead += x;
	}
	if (store_count_firing(d->st, sum_firing, &total, &err) != 0 ||
	    store_each_firing(d->st, STATUS_FIRING_MAX, add_firing, firing, &err) != 0)
		goto fail;
	return json_pack("{s:s, s:I, s:I, s:o, s:o, s:b, s:b, s:I, s:b, s:{s:I, s:I}, s:o, s:I, "
			 "s:o}",
			 "version", PACKAGE_VERSION, "domains", (json_int_t)ms.domains, "checks",
			 (json_int_t)ms.checks, "last_check",
			 ms.last_check > 0 ? json_integer(ms.last_check) : json_null(),
			 "cycle_seconds",
			 ms.cycles > 0 ? json_real((double)ms.cycle_ms / 1000.0) : json_null(),
			 "ready", d->ready, "resolver_healthy", monitor_resolver_healthy(d->m),
			 "last_reload", (json_int_t)d->reload_at, "last_reload_ok", d->reload_ok,
			 "outbox", "pending", (json_int_t)pending, "dead", (json_int_t)dead,
			 "sinks", sinks, "firing_total", (json_int_t)total, "firing", firing);
fail:
	log_warnx("status: %s", err);
	free(err);
	json_decref(sinks);
	json_decref(firing);
	return NULL;
}

/* /-/ready: checking on schedule and not stopping. */
static bool
is_ready(void *arg)
{
	return ((struct daemon *)arg)->ready;
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
	const struct web_source src = {
	    .metrics = on_metrics, .status = on_status, .ready = is_ready, .arg = &d};
	struct monitor_events ev = {.change = on_change,
				    .finding = on_finding,
				    .notified = on_notified,
				    .error = on_error,
				    .arg = &d};
	bool test = false;
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
	if ((c = load_config(d.config_path, &d.prov)) == NULL)
		return EXIT_CONFIG;
	if (test) {
		prov_free(d.prov);
		printf("%s: configuration OK: %zu domains, %zu sinks\n", d.config_path, c->ndomains,
		       c->nsinks);
		cfg_free(c);
		return 0;
	}
	if (c->log_level != NULL) {
		enum log_level level;

		if (log_parse_level(c->log_level, &level))
			log_set_level(level);
	}
	signal(SIGPIPE, SIG_IGN);
	log_route_libevent();
	if ((d.base = event_base_new()) == NULL)
		fatalx("cannot create the event loop");
	resolver_options(c, &o);
	if (store_open(c->state, &d.st, &err) != 0 || (d.r = dns_new(d.base, &o, &err)) == NULL) {
		log_warnx("%s", err);
		free(err);
		store_close(d.st);
		cfg_free(c);
		prov_free(d.prov);
		event_base_free(d.base);
		return EXIT_UNKNOWN;
	}
	d.src = src;
	if (!d.once && c->http_listen != NULL &&
	    (d.web = web_new(d.base, c->http_listen, &d.src, &err)) == NULL) {
		log_warnx("%s",
			  err); /* "cannot listen on 127.0.0.1:9749: Address already in use" */
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
	log_info("%zu domains, state %s", c->ndomains, c->state);
	d.interval_s = c->interval_s;
	monitor_set_config(d.m, c, d.prov, &err);
	d.prov = NULL; /* the monitor owns it now */
	d.cfg = c;
	d.reload_ok = true;
	d.reload_at = time(NULL);
	d.sigterm = evsignal_new(d.base, SIGTERM, on_stop_signal, &d);
	d.sigint = evsignal_new(d.base, SIGINT, on_stop_signal, &d);
	d.sighup = evsignal_new(d.base, SIGHUP, on_reload, &d);
	event_add(d.sigterm, NULL);
	event_add(d.sigint, NULL);
	if (d.once) {
		monitor_run_once(d.m, once_done, &d);
	} else {
		event_add(d.sighup, NULL);
		monitor_start(d.m);
		d.ready = true; /* configuration loaded, store open, first cycle scheduled */
		d.service = true;
		service_start(&d); /* the store is open, the configuration loaded: ready */
	}
	/* Logged once the signals are handled: tests wait for this line. */
	log_info("%zu domains, state %s", c->ndomains, c->state);
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
	if (d.status_timer != NULL)
		event_free(d.status_timer);
	if (d.watchdog != NULL)
		event_free(d.watchdog);
	free(d.status_sent);
	event_base_free(d.base);
	fflush(stdout);
	return d.status;
}
