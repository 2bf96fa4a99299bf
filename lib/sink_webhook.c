/* Generic webhook bodies: the Alertmanager webhook v4 JSON that existing receivers read, or
 * mxwatch's own versioned JSON ("mxwatch.v1"). Signing is in sink_headers. */
#include "config.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sink_int.h"
#include "xmalloc.h"

/* Alertmanager's "not resolved" end time (Go's zero time). */
#define AM_ZERO_TIME "0001-01-01T00:00:00Z"

/* Returns a JSON RFC 3339 time. */
static json_t *
jtime(long long t)
{
	char ts[32];

	sink_time_rfc3339(t, ts);
	return json_string(ts);
}

/* Returns the Alertmanager fingerprint of an alert: 16 hex digits of the SHA-256 of its
 * dedup key, stable for the alert's whole life. */
static json_t *
fingerprint(const struct notify_alert *a)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char hex[17], *key = sink_alert_key(a);

	if (EVP_Digest(key, strlen(key), md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen < 8)
		fatalx("SHA-256 failed");
	for (size_t i = 0; i < 8; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	free(key);
	return json_string(hex);
}

/* Returns one alert in Alertmanager's form. */
static json_t *
am_alert(const struct notification *n, const struct notify_alert *a)
{
	json_t *o = json_object(), *labels = json_object(), *ann = json_object(), *dom;
	struct sink_buf ev = {0};
	const char *key;
	json_t *v;
	char *evtext;

	json_object_set_new(o, "status",
			    json_string(n->kind == NOTIFY_RESOLVED ? "resolved" : "firing"));
	json_object_set_new(labels, "alertname", sink_json_str(a->rule));
	json_object_set_new(labels, "domain", sink_json_str(a->domain));
	json_object_set_new(labels, "subject", sink_json_str(a->subject));
	json_object_set_new(labels, "severity", json_string(severity_name(a->severity)));
	/* The domain's labels, except any that would hide the four above. */
	dom = sink_json_labels(a->labels, a->nlabels);
	json_object_foreach(dom, key, v)
	{
		if (json_object_get(labels, key) == NULL)
			json_object_set(labels, key, v);
	}
	json_decref(dom);
	json_object_set_new(o, "labels", labels);

	json_object_set_new(ann, "summary", sink_json_str(a->message));
	for (size_t i = 0; a->evidence != NULL && i < a->nevidence; i++) {
		if (i > 0)
			sink_buf_add(&ev, "\n");
		sink_buf_text(&ev, a->evidence[i], 0);
	}
	evtext = sink_buf_take(&ev);
	json_object_set_new(ann, "evidence", json_string_nocheck(evtext));
	free(evtext);
	json_object_set_new(o, "annotations", ann);

	json_object_set_new(o, "startsAt", jtime(a->started > 0 ? a->started : n->at));
	if (n->kind == NOTIFY_RESOLVED)
		json_object_set_new(o, "endsAt", jtime(a->ended > 0 ? a->ended : n->at));
	else
		json_object_set_new(o, "endsAt", json_string(AM_ZERO_TIME));
	json_object_set_new(o, "generatorURL", json_string(""));
	json_object_set_new(o, "fingerprint", fingerprint(a));
	return o;
}

/* Returns the members of member (an object) that every alert has with the same value. */
static json_t *
common(json_t *alerts, const char *member)
{
	json_t *c, *a, *v;
	const char *key;
	size_t i;
	void *tmp;

	if (json_array_size(alerts) == 0)
		return json_object();
	c = json_deep_copy(json_object_get(json_array_get(alerts, 0), member));
	json_array_foreach(alerts, i, a)
	{
		json_t *other = json_object_get(a, member);

		json_object_foreach_safe(c, tmp, key, v)
		{
			if (!json_equal(v, json_object_get(other, key)))
				json_object_del(c, key);
		}
	}
	return c;
}

/* Returns an Alertmanager webhook v4 body. */
static char *
alertmanager(const struct cfg_sink *s, const struct notification *n)
{
	json_t *o = json_object(), *alerts = json_array();
	size_t shown = sink_shown(n);
	char *group;

	for (size_t i = 0; i < shown; i++)
		json_array_append_new(alerts, am_alert(n, &n->alerts[i]));
	/* One alert: its own key, so a receiver can match the resolution to the firing. */
	if (!sink_is_digest(n) && shown == 1)
		group = sink_alert_key(&n->alerts[0]);
	else
		group = xasprintf("mxwatch/%s/%s", notify_kind_name(n->kind),
				  n->id != NULL ? n->id : "");
	json_object_set_new(o, "version", json_string("4"));
	json_object_set_new(o, "groupKey", sink_json_str(group));
	json_object_set_new(o, "truncatedAlerts",
			    json_integer((json_int_t)(sink_total(n) - shown)));
	json_object_set_new(o, "status",
			    json_string(n->kind == NOTIFY_RESOLVED ? "resolved" : "firing"));
	json_object_set_new(o, "receiver", sink_json_str(s->name));
	json_object_set_new(o, "groupLabels", json_object());
	json_object_set_new(o, "commonLabels", common(alerts, "labels"));
	json_object_set_new(o, "commonAnnotations", common(alerts, "annotations"));
	json_object_set_new(o, "externalURL", json_string(""));
	json_object_set_new(o, "alerts", alerts);
	free(group);
	return sink_json_dump(o);
}

/* Returns an mxwatch.v1 body. */
static char *
native(const struct notification *n)
{
	json_t *o = json_object(), *by = json_object(), *alerts = json_array();
	size_t c[3];

	sink_counts(n, c);
	json_object_set_new(o, "version", json_string("mxwatch.v1"));
	json_object_set_new(o, "id", sink_json_str(n->id));
	json_object_set_new(o, "kind", json_string(notify_kind_name(n->kind)));
	json_object_set_new(o, "at", jtime(n->at));
	json_object_set_new(o, "total", json_integer((json_int_t)sink_total(n)));
	json_object_set_new(by, "critical", json_integer((json_int_t)c[SEV_CRITICAL]));
	json_object_set_new(by, "warning", json_integer((json_int_t)c[SEV_WARNING]));
	json_object_set_new(by, "info", json_integer((json_int_t)c[SEV_INFO]));
	json_object_set_new(o, "by_severity", by);
	for (size_t i = 0; i < sink_shown(n); i++) {
		const struct notify_alert *a = &n->alerts[i];
		json_t *j = json_object();
		char *key = sink_alert_key(a);

		json_object_set_new(j, "domain", sink_json_str(a->domain));
		json_object_set_new(j, "rule", sink_json_str(a->rule));
		json_object_set_new(j, "severity", json_string(severity_name(a->severity)));
		json_object_set_new(j, "subject", sink_json_str(a->subject));
		json_object_set_new(j, "message", sink_json_str(a->message));
		json_object_set_new(j, "evidence", sink_json_evidence(a));
		json_object_set_new(j, "labels", sink_json_labels(a->labels, a->nlabels));
		json_object_set_new(j, "dedup_key", sink_json_str(key));
		json_object_set_new(j, "started", jtime(a->started > 0 ? a->started : n->at));
		json_object_set_new(j, "ended", a->ended > 0 ? jtime(a->ended) : json_null());
		json_object_set_new(j, "reminder", json_boolean(a->reminder));
		json_object_set_new(j, "flapping", json_boolean(a->flapping));
		json_array_append_new(alerts, j);
		free(key);
	}
	json_object_set_new(o, "alerts", alerts);
	return sink_json_dump(o);
}

/* Renders a webhook body. */
void
sink_webhook_render(const struct cfg_sink *s, const struct notification *n, struct sink_msg **out,
		    size_t *nout)
{
	char *body = s->format == CFG_FORMAT_NATIVE ? native(n) : alertmanager(s, n);

	sink_msgs_add(out, nout, NULL, body);
}
