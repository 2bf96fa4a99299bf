/* PagerDuty Events API v2 bodies: one trigger or resolve event per alert, or one trigger
 * summing up a digest or group, or one resolve of a group. The routing key is added at send
 * time (sink_send_body). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sink_int.h"
#include "xmalloc.h"

/* The longest summary PagerDuty takes. */
#define PD_SUMMARY_MAX 1024

/* Returns an alert's custom details: what a responder needs beyond the summary (domain and
 * severity too when it is one of a digest's; no domain nor labels for an alert of none, no
 * evidence when it has none). */
static json_t *
alert_details(const struct notify_alert *a, bool domain)
{
	json_t *d = json_object();
	bool global = notify_alert_global(a);

	if (domain && !global)
		json_object_set_new(d, "domain", sink_json_str(a->domain));
	json_object_set_new(d, "rule", sink_json_str(a->rule));
	if (domain)
		json_object_set_new(d, "severity", json_string(severity_name(a->severity)));
	json_object_set_new(d, "subject", sink_json_str(a->subject));
	json_object_set_new(d, "message", sink_json_str(a->message));
	if (a->evidence != NULL && a->nevidence > 0)
		json_object_set_new(d, "evidence", sink_json_evidence(a));
	if (!global)
		json_object_set_new(d, "labels", sink_json_labels(a->labels, a->nlabels));
	if (a->reminder)
		json_object_set_new(d, "reminder", json_true());
	if (a->flapping)
		json_object_set_new(d, "flapping", json_true());
	return d;
}

/* Returns a source PagerDuty accepts (it must not be empty): the domain, or "mxwatch" for
 * what is about no one domain. */
static json_t *
source(const char *domain)
{
	return sink_json_str(domain != NULL && domain[0] != '\0' ? domain : "mxwatch");
}

/* Returns an event: its action and key, then the payload of a trigger. */
static char *
event(const char *action, const char *key, json_t *payload)
{
	json_t *o = json_object();

	json_object_set_new(o, "event_action", json_string(action));
	json_object_set_new(o, "dedup_key", sink_json_str(key));
	if (payload != NULL) {
		json_object_set_new(o, "payload", payload);
		json_object_set_new(o, "client", json_string("mxwatch"));
	}
	return sink_json_dump(o);
}

/* Returns a summary of at most PD_SUMMARY_MAX characters from the text in b. */
static json_t *
summary(struct sink_buf *b)
{
	char *s = sink_trunc(sink_buf_take(b), PD_SUMMARY_MAX, false);
	json_t *j = json_string_nocheck(s);

	free(s);
	return j;
}

/* Adds the trigger event of one alert. */
static void
trigger(const struct notification *n, const struct notify_alert *a, struct sink_msg **out,
	size_t *nout)
{
	struct sink_buf b = {0};
	json_t *p = json_object();
	char *key = sink_alert_key(a), ts[32];

	sink_buf_alert_line(&b, n, a, 0, PD_SUMMARY_MAX);
	sink_time_rfc3339(a->started > 0 ? a->started : n->at, ts);
	json_object_set_new(p, "summary", summary(&b));
	json_object_set_new(p, "source", source(a->domain));
	json_object_set_new(p, "severity", json_string(severity_name(a->severity)));
	json_object_set_new(p, "timestamp", json_string(ts));
	json_object_set_new(p, "component", sink_json_str(a->subject));
	if (!notify_alert_global(a))
		json_object_set_new(p, "group", sink_json_str(a->domain));
	json_object_set_new(p, "class", sink_json_str(a->rule));
	json_object_set_new(p, "custom_details", alert_details(a, false));
	sink_msgs_add(out, nout, key, event("trigger", key, p));
}

/* Adds the one trigger event that sums up a digest. */
static void
digest(const struct notification *n, struct sink_msg **out, size_t *nout)
{
	struct sink_buf b = {0};
	json_t *p = json_object(), *d = json_object(), *by = json_object(), *alerts = json_array();
	size_t shown = sink_shown(n), given = sink_given(n), total = sink_total(n);
	const char *one = given > 0 ? n->alerts[0].domain : NULL;
	char *key, ts[32];
	size_t c[3];

	for (size_t i = 0; i < given && one != NULL; i++)
		if (n->alerts[i].domain == NULL || strcmp(n->alerts[i].domain, one) != 0)
			one = NULL;
	if (total > given)
		one = NULL; /* the alerts not given may be about other domains */
	if (n->group_key != NULL)
		key = xstrdup(n->group_key);
	else
		key = xasprintf("mxwatch/%s/%s", notify_kind_name(n->kind),
				n->id != NULL ? n->id : "");
	if (strlen(key) > NOTIFY_DEDUP_MAX)
		key[NOTIFY_DEDUP_MAX] = '\0';

	sink_buf_digest_title(&b, n, 0);
	sink_time_rfc3339(n->at, ts);
	json_object_set_new(p, "summary", summary(&b));
	json_object_set_new(p, "source", source(one));
	json_object_set_new(p, "severity", json_string(severity_name(sink_worst(n))));
	json_object_set_new(p, "timestamp", json_string(ts));
	json_object_set_new(p, "class",
			    json_string(n->kind == NOTIFY_BASELINE ? "baseline" : "grouped"));

	json_object_set_new(d, "kind", json_string(notify_kind_name(n->kind)));
	json_object_set_new(d, "total", json_integer((json_int_t)total));
	sink_counts(n, c);
	json_object_set_new(by, "critical", json_integer((json_int_t)c[SEV_CRITICAL]));
	json_object_set_new(by, "warning", json_integer((json_int_t)c[SEV_WARNING]));
	json_object_set_new(by, "info", json_integer((json_int_t)c[SEV_INFO]));
	json_object_set_new(d, "by_severity", by);
	for (size_t i = 0; i < shown; i++)
		json_array_append_new(alerts, alert_details(&n->alerts[i], true));
	json_object_set_new(d, "alerts", alerts);
	json_object_set_new(d, "more", json_integer((json_int_t)(total - shown)));
	json_object_set_new(p, "custom_details", d);
	sink_msgs_add(out, nout, key, event("trigger", key, p));
}

/* Renders PagerDuty events. */
void
sink_pagerduty_render(const struct cfg_sink *s, const struct notification *n, struct sink_msg **out,
		      size_t *nout)
{
	size_t shown = sink_shown(n), given = sink_given(n);

	if (n->group_key != NULL) {
		/* One incident that stands for several alerts: one event, whatever their
		 * number. */
		if (n->kind == NOTIFY_RESOLVED)
			sink_msgs_add(out, nout, xstrdup(n->group_key),
				      event("resolve", n->group_key, NULL));
		else if (sink_total(n) > 0)
			digest(n, out, nout);
		return;
	}
	if (n->kind == NOTIFY_RESOLVED) {
		/* Resolving is done alert by alert, also for a grouped notification (every alert
		 * it carries): a trigger would open an incident to say that things got better. */
		for (size_t i = 0; i < given; i++) {
			char *key = sink_alert_key(&n->alerts[i]);

			sink_msgs_add(out, nout, key, event("resolve", key, NULL));
		}
		return;
	}
	if (sink_is_digest(n)) {
		if (sink_total(n) > 0)
			digest(n, out, nout);
		return;
	}
	for (size_t i = 0; i < shown; i++)
		trigger(n, &n->alerts[i], out, nout);
}
