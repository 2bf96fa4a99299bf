/* Generic webhook bodies: the Alertmanager webhook v4 JSON that existing receivers read, or
 * mxwatch's own versioned JSON ("mxwatch.v1"). Every alert of a notification is in them (a
 * receiver may track each one); a notification over SINK_WEBHOOK_MAX_ALERTS or
 * SINK_WEBHOOK_MAX_BYTES goes as several whole messages. Signing is in sink_headers. */
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

/* Returns one alert in Alertmanager's form: no domain label for an alert of none, no
 * evidence annotation for an alert without evidence. */
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
	if (!notify_alert_global(a))
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
	if (evtext[0] != '\0')
		json_object_set_new(ann, "evidence", json_string_nocheck(evtext));
	free(evtext);
	/* Alertmanager has no flapping state: an annotation tells this notice from a repeat. */
	if (a->flapping)
		json_object_set_new(ann, "flapping",
				    json_string("it keeps flipping between failing and passing, "
						"so it is notified once until it settles"));
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

/* Returns one alert in mxwatch.v1 form: domain null for an alert of none. */
static json_t *
native_alert(const struct notification *n, const struct notify_alert *a)
{
	json_t *j = json_object();
	char *key = sink_alert_key(a);

	json_object_set_new(j, "domain",
			    notify_alert_global(a) ? json_null() : sink_json_str(a->domain));
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
	free(key);
	return j;
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

/* One message of a notification: which of its alerts, and what it says about the rest. */
struct part {
	size_t index, count; /* 1-based; of how many messages */
	size_t from, to;     /* the alerts [from, to) of the notification */
	size_t total;	     /* alerts it stands for: its own, and on the last those not given */
	size_t c[3];	     /* of total, by severity */
	char *id;	     /* the notification's id, "-index" added when split */
};

/* Returns an Alertmanager webhook v4 body of one part. */
static char *
alertmanager(const struct cfg_sink *s, const struct notification *n, const struct part *p,
	     json_t *alerts)
{
	json_t *o = json_object();
	size_t given = p->to - p->from;
	char *group;

	/* One alert: its own key, so a receiver can match the resolution to the firing. */
	if (p->count == 1 && !sink_is_digest(n) && given == 1)
		group = sink_alert_key(&n->alerts[p->from]);
	else
		group = xasprintf("mxwatch/%s/%s", notify_kind_name(n->kind), p->id);
	json_object_set_new(o, "version", json_string("4"));
	json_object_set_new(o, "groupKey", sink_json_str(group));
	json_object_set_new(o, "truncatedAlerts", json_integer((json_int_t)(p->total - given)));
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

/* Returns an mxwatch.v1 body of one part ("part" and "parts" when split). */
static char *
native(const struct notification *n, const struct part *p, json_t *alerts)
{
	json_t *o = json_object(), *by = json_object();

	json_object_set_new(o, "version", json_string("mxwatch.v1"));
	json_object_set_new(o, "id", sink_json_str(p->id));
	json_object_set_new(o, "kind", json_string(notify_kind_name(n->kind)));
	json_object_set_new(o, "at", jtime(n->at));
	if (p->count > 1) {
		json_object_set_new(o, "part", json_integer((json_int_t)p->index));
		json_object_set_new(o, "parts", json_integer((json_int_t)p->count));
	}
	json_object_set_new(o, "total", json_integer((json_int_t)p->total));
	json_object_set_new(by, "critical", json_integer((json_int_t)p->c[SEV_CRITICAL]));
	json_object_set_new(by, "warning", json_integer((json_int_t)p->c[SEV_WARNING]));
	json_object_set_new(by, "info", json_integer((json_int_t)p->c[SEV_INFO]));
	json_object_set_new(o, "by_severity", by);
	json_object_set_new(o, "alerts", alerts);
	return sink_json_dump(o);
}

/* Returns the length of v's compact JSON text. */
static size_t
json_size(const json_t *v)
{
	char *t = json_dumps(v, JSON_COMPACT);
	size_t len;

	if (t == NULL)
		fatalx("out of memory writing JSON");
	len = strlen(t);
	free(t);
	return len;
}

/* Renders webhook bodies: every alert, SINK_WEBHOOK_MAX_ALERTS and about
 * SINK_WEBHOOK_MAX_BYTES of them at most in one message. */
void
sink_webhook_render(const struct cfg_sink *s, const struct notification *n, struct sink_msg **out,
		    size_t *nout)
{
	bool am = s->format != CFG_FORMAT_NATIVE;
	size_t given = sink_given(n), total = sink_total(n), nparts = 0, start = 0, bytes = 0;
	size_t *ends = xcalloc(given + 1, sizeof(*ends)), all[3], rest[3];
	json_t **js = given > 0 ? xcalloc(given, sizeof(*js)) : NULL;

	/* A part ends where one more alert would make it too many or too big (an alert over
	 * the bytes on its own still goes, alone). Alertmanager's common labels and annotations
	 * are a part's first alert's at most: room is kept for them. */
	for (size_t i = 0; i < given; i++) {
		size_t size;

		js[i] = am ? am_alert(n, &n->alerts[i]) : native_alert(n, &n->alerts[i]);
		size = json_size(js[i]) + 1;
		if (i > start && (i - start == SINK_WEBHOOK_MAX_ALERTS ||
				  bytes + size > SINK_WEBHOOK_MAX_BYTES)) {
			ends[nparts++] = start = i;
			bytes = 0;
		}
		bytes += size * (am && i == start ? 2 : 1);
	}
	ends[nparts++] = given;

	/* The counts of the alerts not given go with the last part. */
	sink_counts(n, all);
	memcpy(rest, all, sizeof(rest));
	for (size_t i = 0; i < given; i++)
		if ((unsigned)n->alerts[i].severity <= SEV_CRITICAL)
			rest[n->alerts[i].severity] -= rest[n->alerts[i].severity] > 0 ? 1 : 0;

	for (size_t k = 0; k < nparts; k++) {
		struct part p = {.index = k + 1,
				 .count = nparts,
				 .from = k > 0 ? ends[k - 1] : 0,
				 .to = ends[k]};
		json_t *alerts = json_array();

		p.total = p.to - p.from + (k == nparts - 1 ? total - given : 0);
		if (k == nparts - 1)
			memcpy(p.c, rest, sizeof(p.c));
		for (size_t i = p.from; i < p.to; i++) {
			json_array_append_new(alerts, js[i]);
			if ((unsigned)n->alerts[i].severity <= SEV_CRITICAL)
				p.c[n->alerts[i].severity]++;
		}
		p.id = nparts > 1 ? xasprintf("%s-%zu", n->id != NULL ? n->id : "", p.index)
				  : xstrdup(n->id != NULL ? n->id : "");
		sink_msgs_add(out, nout, NULL,
			      am ? alertmanager(s, n, &p, alerts) : native(n, &p, alerts));
		free(p.id);
	}
	free(ends);
	free(js);
}
