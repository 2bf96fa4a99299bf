/* mxwatchd's HTTP endpoint: the daemon's counters, status and readiness, read for web_*. */
#include "config.h"

#include <jansson.h>
#include <stdlib.h>

#include "endpoint.h"
#include "log.h"
#include "rule.h"
#include "severity.h"

/* Firing findings listed by /status at most (firing_total counts them all). */
#define STATUS_FIRING_MAX 100

/* The alert that belongs to no domain: fires while most checks fail at once. */
#define RESOLVER_RULE "resolver.unhealthy"
#define RESOLVER_SUBJECT "resolver"

/* The severity resolver.unhealthy is told with. */
static enum severity
resolver_severity(void)
{
	const struct rule_info *info = rule_lookup(RESOLVER_RULE);

	return info != NULL ? info->severity : SEV_CRITICAL;
}

/* Starts the endpoint on addr for a reload, beside the running one. */
struct web *
endpoint_move(struct daemon *d, const char *addr, char **errstr)
{
	/* The running endpoint is never closed first: when addr cannot be listened on, it
	 * goes on serving, its connections open. */
	return web_new(d->base, addr, &d->src, errstr);
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
	    "Notifications given up (a permanent error, or their sink removed with its "
	    "destination; kept in the outbox), by sink.";

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
	web_metrics_family(
	    w, "mxwatch_findings_firing", WEB_GAUGE,
	    "Alerts firing now, by rule and severity (resolver.unhealthy included).");
	if (store_count_firing(d->st, add_firing_count, w, &err) != 0) {
		log_warnx("metrics: %s", err);
		free(err);
	}
	if (!monitor_resolver_healthy(d->m))
		add_firing_count(RESOLVER_RULE, resolver_severity(), 1, w);
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

/* /status: what a person asks first, as JSON. Sink names only: no URL, key or secret.
 * resolver.unhealthy, while it fires, is the first of the firing list, without a domain. */
static json_t *
on_status(void *arg)
{
	struct daemon *d = arg;
	struct monitor_stats ms;
	json_t *sinks = json_array(), *firing = json_array();
	int64_t pending = 0, dead = 0, total = 0;
	int64_t outage = monitor_resolver_unhealthy_since(d->m);
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
	if (outage > 0) {
		json_array_append_new(
		    firing, json_pack("{s:s, s:s, s:s, s:I}", "rule", RESOLVER_RULE, "severity",
				      severity_name(resolver_severity()), "subject",
				      RESOLVER_SUBJECT, "since", (json_int_t)outage));
		total = 1;
	}
	if (store_count_firing(d->st, sum_firing, &total, &err) != 0 ||
	    store_each_firing(d->st, STATUS_FIRING_MAX - json_array_size(firing), add_firing,
			      firing, &err) != 0)
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

/* Points the endpoint's source at the daemon. */
void
endpoint_init(struct daemon *d)
{
	const struct web_source src = {
	    .metrics = on_metrics, .status = on_status, .ready = is_ready, .arg = d};

	d->src = src;
}
