/* What a sink's receiver last heard of each alert, against the store at the end. */
#include "config.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerttold.h"
#include "notify.h"
#include "rule.h"
#include "severity.h"
#include "xmalloc.h"

/* What the store says of one alert at the end: a finding, or the resolver's outage. */
struct fact {
	char *key; /* its dedup key */
	enum severity sev;
	json_t *labels; /* the labels it was told with (an object), or NULL */
	bool global;	/* of no domain: label matchers do not apply to it */
	bool firing;	/* firing, or told firing (notified; a flapping notice too) */
};

/* What a sink's receiver last heard of one alert (2xx answers only, in log order). */
struct heard {
	char *key;   /* the alert's dedup key */
	bool firing; /* Slack and webhooks: its last notification said it fires */
	char *cover; /* PagerDuty: the incident (dedup key) of the last trigger naming it */
};

/* A PagerDuty incident the receiver heard of. */
struct incident {
	char *key;
	bool open;     /* its last event was a trigger */
	bool findings; /* it covered an alert that can resolve (not only changes) */
};

/* The facts, and what one sink's receiver heard. */
struct told {
	struct fact *f;
	size_t nf;
	struct heard *h;
	size_t nh;
	struct incident *inc;
	size_t ninc;
	size_t hidden; /* alerts notifications counted without naming them */
};

/* A sink's routing as the test configured it: its min_severity and match labels. */
struct route {
	enum severity min;
	char **key, **value;
	size_t n;
};

/* Reads what the store says of every finding, and of the resolver's outage; -1 on error. */
static int
load_facts(sqlite3 *db, struct told *t)
{
	sqlite3_stmt *q;
	int64_t since = 0;
	int rc;

	if (sqlite3_prepare_v2(db,
			       "SELECT d.name, f.rule, f.subject, f.severity, f.labels, "
			       "f.state = 'firing' OR f.notified != 0 FROM findings f "
			       "JOIN domains d ON d.id = f.domain_id",
			       -1, &q, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *labels = (const char *)sqlite3_column_text(q, 4);
		struct fact *f;

		t->f = xreallocarray(t->f, t->nf + 1, sizeof(*t->f));
		f = &t->f[t->nf++];
		memset(f, 0, sizeof(*f));
		f->key = notify_dedup_key((const char *)sqlite3_column_text(q, 0),
					  (const char *)sqlite3_column_text(q, 1),
					  (const char *)sqlite3_column_text(q, 2));
		if (!severity_parse((const char *)sqlite3_column_text(q, 3), &f->sev))
			f->sev = SEV_CRITICAL;
		f->labels = labels != NULL ? json_loads(labels, 0, NULL) : NULL;
		f->firing = sqlite3_column_int(q, 5) != 0;
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return -1;
	/* The outage is kept as the time it began: 0, or no row, when there is none. */
	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'resolver_unhealthy_since'",
			       -1, &q, NULL) != SQLITE_OK)
		return -1;
	if ((rc = sqlite3_step(q)) == SQLITE_ROW)
		since = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;
	t->f = xreallocarray(t->f, t->nf + 1, sizeof(*t->f));
	t->f[t->nf++] = (struct fact){.key = notify_dedup_key("", "resolver.unhealthy", ""),
				      .sev = SEV_CRITICAL,
				      .global = true,
				      .firing = since != 0};
	return 0;
}

/* Returns the fact of an alert, or NULL when the store has none (it resolved and was
 * forgotten, or never fired). */
static const struct fact *
find_fact(const struct told *t, const char *key)
{
	for (size_t i = 0; i < t->nf; i++)
		if (strcmp(t->f[i].key, key) == 0)
			return &t->f[i];
	return NULL;
}

/* Tells whether the sink's routing takes an alert (as sink_wants and sink_wants_global). */
static bool
routes(const struct route *r, const struct fact *f)
{
	if (f->sev < r->min)
		return false;
	for (size_t i = 0; !f->global && i < r->n; i++) {
		const char *v = json_string_value(json_object_get(f->labels, r->key[i]));

		if (v == NULL || strcmp(v, r->value[i]) != 0)
			return false;
	}
	return true;
}

/* Returns what the receiver heard of an alert, added when it heard nothing yet. */
static struct heard *
heard_get(struct told *t, const char *key)
{
	struct heard *h;

	for (size_t i = 0; i < t->nh; i++)
		if (strcmp(t->h[i].key, key) == 0)
			return &t->h[i];
	t->h = xreallocarray(t->h, t->nh + 1, sizeof(*t->h));
	h = &t->h[t->nh++];
	memset(h, 0, sizeof(*h));
	h->key = xstrdup(key);
	return h;
}

/* Returns a PagerDuty incident, added when new. */
static struct incident *
incident_get(struct told *t, const char *key)
{
	struct incident *inc;

	for (size_t i = 0; i < t->ninc; i++)
		if (strcmp(t->inc[i].key, key) == 0)
			return &t->inc[i];
	t->inc = xreallocarray(t->inc, t->ninc + 1, sizeof(*t->inc));
	inc = &t->inc[t->ninc++];
	memset(inc, 0, sizeof(*inc));
	inc->key = xstrdup(key);
	return inc;
}

/* Tells whether a rule is a change (told once, never resolved): not a finding's. */
static bool
is_change(const char *rule)
{
	const struct rule_info *info = rule != NULL ? rule_lookup(rule) : NULL;

	return info != NULL && info->event;
}

/* Records that the receiver heard the alert (domain, rule, subject) fire or resolve; with
 * incident not NULL (PagerDuty), that the incident covers it. */
static void
hear(struct told *t, const char *domain, const char *rule, const char *subject, bool firing,
     const char *incident)
{
	struct heard *h;
	char *key;

	if (rule == NULL || is_change(rule))
		return;
	key = notify_dedup_key(domain != NULL ? domain : "", rule, subject != NULL ? subject : "");
	h = heard_get(t, key);
	h->firing = firing;
	if (incident != NULL) {
		free(h->cover);
		h->cover = xstrdup(incident);
		incident_get(t, incident)->findings = true;
	}
	free(key);
}

/* Returns a string member, or NULL. */
static const char *
str(const json_t *o, const char *member)
{
	return json_string_value(json_object_get(o, member));
}

/* An mxwatch.v1 webhook body: every alert, firing unless the notification resolves. */
static void
hear_native(struct told *t, const json_t *body)
{
	bool firing = strcmp(str(body, "kind") ? str(body, "kind") : "", "resolved") != 0;
	size_t i;
	json_t *a;

	json_array_foreach(json_object_get(body, "alerts"), i, a)
	{
		hear(t, str(a, "domain"), str(a, "rule"), str(a, "subject"), firing, NULL);
	}
}

/* An Alertmanager body: every alert with its status. */
static void
hear_alertmanager(struct told *t, const json_t *body)
{
	size_t i;
	json_t *a;

	json_array_foreach(json_object_get(body, "alerts"), i, a)
	{
		const json_t *l = json_object_get(a, "labels");
		const char *status = str(a, "status");

		hear(t, str(l, "domain"), str(l, "alertname"), str(l, "subject"),
		     status != NULL && strcmp(status, "firing") == 0, NULL);
	}
}

/* A PagerDuty event: a trigger opens its incident and covers the alerts it names (a
 * digest's shown ones, or the one whose key it has); a resolve closes the incident. */
static void
hear_pagerduty(struct told *t, const json_t *body)
{
	const char *action = str(body, "event_action"), *key = str(body, "dedup_key");
	const json_t *d = json_object_get(json_object_get(body, "payload"), "custom_details");
	const json_t *alerts = json_object_get(d, "alerts");
	size_t i;
	json_t *a;

	if (action == NULL || key == NULL)
		return;
	if (strcmp(action, "resolve") == 0) {
		incident_get(t, key)->open = false;
		return;
	}
	incident_get(t, key)->open = true;
	if (json_is_array(alerts)) {
		json_array_foreach(alerts, i, a)
		{
			hear(t, str(a, "domain"), str(a, "rule"), str(a, "subject"), true, key);
		}
		t->hidden += (size_t)json_integer_value(json_object_get(d, "more"));
	} else {
		/* One alert: its key is domain/rule/subject (or mxwatch/rule, of no domain). */
		const char *src = str(json_object_get(body, "payload"), "source");
		bool global = strncmp(key, "mxwatch/", 8) == 0;

		hear(t, global ? "" : src, str(d, "rule"), str(d, "subject"), true, key);
	}
}

/* Returns Slack mrkdwn text with &amp;, &lt; and &gt; undone, up to end (or its NUL). */
static char *
unescape(const char *s, const char *end)
{
	static const char *const ent[] = {"&amp;", "&", "&lt;", "<", "&gt;", ">"};
	char *out = xcalloc(1, strlen(s) + 1), *o = out;

	while (*s != '\0' && (end == NULL || s < end)) {
		size_t k;

		for (k = 0; k < 6; k += 2)
			if (strncmp(s, ent[k], strlen(ent[k])) == 0)
				break;
		if (k < 6) {
			*o++ = ent[k + 1][0];
			s += strlen(ent[k]);
		} else {
			*o++ = *s++;
		}
	}
	return out;
}

/* Returns the value of a Slack field "*NAME*\nvalue" of fields, or NULL. */
static char *
slack_field(const json_t *fields, const char *name)
{
	char *want = xasprintf("*%s*\n", name), *v = NULL;
	size_t i;
	json_t *f;

	json_array_foreach(fields, i, f)
	{
		const char *text = str(f, "text");

		if (v == NULL && text != NULL && strncmp(text, want, strlen(want)) == 0)
			v = unescape(text + strlen(want), NULL);
	}
	free(want);
	return v;
}

/* One alert of a Slack list: "*MARKER* RULE[ on *DOMAIN*][ · SUBJECT][ · ...]", its
 * subject left out when it is the domain. */
static void
hear_slack_item(struct told *t, const char *text)
{
	const char *dot = " \xc2\xb7 ", *eol = strchr(text, '\n'), *p, *e;
	char *rule, *domain = NULL, *subject;
	bool firing = strncmp(text, "*Resolved* ", 11) != 0;

	if (eol == NULL)
		eol = text + strlen(text);
	if ((p = strstr(text, "* ")) == NULL || p > eol)
		return;
	p += 2;
	if ((e = strstr(p, " on *")) != NULL && e < eol) {
		rule = unescape(p, e);
		p = e + 5;
		if ((e = strchr(p, '*')) == NULL || e > eol)
			e = eol;
		domain = unescape(p, e);
		p = e < eol ? e + 1 : eol;
	} else {
		e = strstr(p, dot);
		if (e == NULL || e > eol)
			e = eol;
		rule = unescape(p, e);
		p = e;
	}
	if (strncmp(p, dot, strlen(dot)) == 0) {
		p += strlen(dot);
		if ((e = strstr(p, dot)) == NULL || e > eol)
			e = eol;
		subject = unescape(p, e);
	} else {
		subject = xstrdup(domain != NULL ? domain : "");
	}
	hear(t, domain, rule, subject, firing, NULL);
	free(rule);
	free(domain);
	free(subject);
}

/* A Slack body: one alert (a header, then a section with Domain, Rule and Subject fields),
 * or a list (a title, a section per shown alert, "…and N more"). */
static void
hear_slack(struct told *t, const json_t *body)
{
	const json_t *blocks = json_object_get(body, "blocks"), *fields = NULL;
	const char *more = "\xe2\x80\xa6"
			   "and ";
	size_t i;
	json_t *b;

	json_array_foreach(blocks, i, b)
	{
		if (fields == NULL)
			fields = json_object_get(b, "fields");
	}
	if (fields != NULL) {
		const char *title = str(json_object_get(json_array_get(blocks, 0), "text"), "text");
		char *domain = slack_field(fields, "Domain"), *rule = slack_field(fields, "Rule");
		char *subject = slack_field(fields, "Subject");

		hear(t, domain, rule, subject,
		     title != NULL && strncmp(title, "Resolved: ", 10) != 0, NULL);
		free(domain);
		free(rule);
		free(subject);
		return;
	}
	json_array_foreach(blocks, i, b)
	{
		const char *type = str(b, "type"), *text = str(json_object_get(b, "text"), "text");

		if (i == 0 || type == NULL || strcmp(type, "section") != 0 || text == NULL)
			continue;
		if (strncmp(text, more, strlen(more)) == 0)
			t->hidden += strtoul(text + strlen(more), NULL, 10);
		else if (text[0] == '*')
			hear_slack_item(t, text);
	}
}

/* Reads every request of the sink at path answered 2xx, in order, into t. */
static int
hear_log(struct told *t, FILE *log, const char *path)
{
	char *line = NULL;
	size_t cap = 0;

	rewind(log);
	while (getline(&line, &cap, log) > 0) {
		json_t *req = json_loads(line, 0, NULL), *body;
		const char *p = str(req, "path"), *answer = str(req, "answer");
		const char *text = str(req, "body"), *v;

		if (p == NULL || strcmp(p, path) != 0 || answer == NULL || answer[0] != '2' ||
		    text == NULL || (body = json_loads(text, 0, NULL)) == NULL) {
			json_decref(req);
			continue;
		}
		v = str(body, "version");
		if (json_object_get(body, "event_action") != NULL)
			hear_pagerduty(t, body);
		else if (json_object_get(body, "blocks") != NULL)
			hear_slack(t, body);
		else if (v != NULL && strcmp(v, "mxwatch.v1") == 0)
			hear_native(t, body);
		else
			hear_alertmanager(t, body);
		json_decref(body);
		json_decref(req);
	}
	free(line);
	return 0;
}

/* Tells whether the receiver last heard that an alert fires: its last notification fired
 * (PagerDuty: the incident of its last trigger is open). */
static bool
heard_firing(const struct told *t, const char *key)
{
	for (size_t i = 0; i < t->nh; i++) {
		const struct heard *h = &t->h[i];

		if (strcmp(h->key, key) != 0)
			continue;
		if (h->cover == NULL)
			return h->firing;
		for (size_t k = 0; k < t->ninc; k++)
			if (strcmp(t->inc[k].key, h->cover) == 0)
				return t->inc[k].open;
	}
	return false;
}

/* Lines up what the receiver of one sink last heard of each alert with the store. */
static int
check_told(sqlite3 *db, FILE *log, const char *name, const char *path, const struct route *r)
{
	struct told t = {0};
	size_t firing = 0, heard = 0;
	bool pd = false;

	if (load_facts(db, &t) != 0) {
		fprintf(stderr, "alertlog: %s: %s\n", name, sqlite3_errmsg(db));
		return -1;
	}
	hear_log(&t, log, path);
	for (size_t i = 0; i < t.nf; i++) {
		if (!t.f[i].firing || !routes(r, &t.f[i]))
			continue;
		firing++;
		if (!heard_firing(&t, t.f[i].key))
			printf("untold %s %s\n", name, t.f[i].key);
	}
	for (size_t i = 0; i < t.nh; i++) {
		const struct fact *f = find_fact(&t, t.h[i].key);

		pd = pd || t.h[i].cover != NULL;
		if (t.h[i].cover != NULL || !t.h[i].firing)
			continue;
		heard++;
		if (f == NULL || !f->firing)
			printf("stale %s %s\n", name, t.h[i].key);
	}
	for (size_t k = 0; pd && k < t.ninc; k++) {
		bool live = false;

		if (!t.inc[k].open || !t.inc[k].findings)
			continue;
		heard++;
		for (size_t i = 0; i < t.nh && !live; i++) {
			const struct fact *f = find_fact(&t, t.h[i].key);

			live = t.h[i].cover != NULL && strcmp(t.h[i].cover, t.inc[k].key) == 0 &&
			       f != NULL && f->firing;
		}
		if (!live)
			printf("stale %s %s\n", name, t.inc[k].key);
	}
	printf("%s firing=%zu heard_firing=%zu hidden=%zu\n", name, firing, heard, t.hidden);
	for (size_t i = 0; i < t.nf; i++) {
		free(t.f[i].key);
		json_decref(t.f[i].labels);
	}
	for (size_t i = 0; i < t.nh; i++) {
		free(t.h[i].key);
		free(t.h[i].cover);
	}
	for (size_t i = 0; i < t.ninc; i++)
		free(t.inc[i].key);
	free(t.f);
	free(t.h);
	free(t.inc);
	return 0;
}

/* Reads a sink's routing from the words after its path: a severity (its min_severity,
 * warning when none) and LABEL=VALUE matchers. Returns -1 on a word it does not know. */
static int
parse_route(char *words, struct route *r)
{
	char *w, *save = NULL;

	memset(r, 0, sizeof(*r));
	r->min = SEV_WARNING;
	for (w = strtok_r(words, ",", &save); w != NULL; w = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(w, '=');

		if (eq == NULL) {
			if (!severity_parse(w, &r->min))
				return -1;
			continue;
		}
		*eq = '\0';
		r->key = xreallocarray(r->key, r->n + 1, sizeof(*r->key));
		r->value = xreallocarray(r->value, r->n + 1, sizeof(*r->value));
		r->key[r->n] = w;
		r->value[r->n++] = eq + 1;
	}
	return 0;
}

/* Checks one sink's alerts against the store. */
int
alerttold_check(sqlite3 *db, FILE *log, const char *name, const char *path, const char *routing)
{
	char *words = xstrdup(routing);
	struct route r;
	int rc;

	if (parse_route(words, &r) != 0) {
		fprintf(stderr, "alertlog: %s: cannot read the routing \"%s\"\n", name, routing);
		rc = -1;
	} else {
		rc = check_told(db, log, name, path, &r);
	}
	free(r.key);
	free(r.value);
	free(words);
	return rc;
}
