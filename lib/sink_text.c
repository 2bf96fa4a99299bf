/* Text for sink payloads: UTF-8 repair, mrkdwn escaping, truncation, times and titles. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "sink_int.h"
#include "xmalloc.h"

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */
#define ELLIPSIS "\xe2\x80\xa6"	   /* U+2026 */

/* The last second RFC 3339 can write with four digits of year. */
#define TIME_MAX 253402300799LL

/* Appends n bytes of p. */
static void
buf_addn(struct sink_buf *b, const char *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;

		while (b->len + n + 1 > cap)
			cap *= 2;
		b->s = xreallocarray(b->s, cap, 1);
		b->cap = cap;
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

/* Appends text this module writes. */
void
sink_buf_add(struct sink_buf *b, const char *s)
{
	buf_addn(b, s, strlen(s));
}

/* Appends formatted text this module writes. */
void
sink_buf_addf(struct sink_buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	sink_buf_add(b, s);
	free(s);
}

/* Returns the length of the valid UTF-8 sequence at p, or 0 when p starts none. */
static size_t
utf8_seq(const unsigned char *p)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0; /* overlong */
	else if (p[0] == 0xed)
		hi = 0x9f; /* UTF-16 surrogates */
	else if (p[0] == 0xf0)
		lo = 0x90; /* overlong */
	else if (p[0] == 0xf4)
		hi = 0x8f; /* above U+10FFFF */
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

/* Appends outside data, repaired and escaped as flags say. */
void
sink_buf_text(struct sink_buf *b, const char *s, int flags)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");

	while (*p != '\0') {
		size_t n = utf8_seq(p);

		if (n == 0) {
			sink_buf_add(b, REPLACEMENT);
			p++;
			continue;
		}
		if (n == 1 && (flags & SINK_MRKDWN) && *p == '&')
			sink_buf_add(b, "&amp;");
		else if (n == 1 && (flags & SINK_MRKDWN) && *p == '<')
			sink_buf_add(b, "&lt;");
		else if (n == 1 && (flags & SINK_MRKDWN) && *p == '>')
			sink_buf_add(b, "&gt;");
		else if (n == 1 && (flags & SINK_ONE_LINE) && (*p < 0x20 || *p == 0x7f))
			sink_buf_add(b, " ");
		else if (n == 1 && (flags & SINK_MRKDWN) &&
			 ((*p < 0x20 && *p != '\n') || *p == 0x7f))
			sink_buf_add(b, " ");
		else
			buf_addn(b, (const char *)p, n);
		p += n;
	}
}

/* Returns the text of b and empties it. */
char *
sink_buf_take(struct sink_buf *b)
{
	char *s = b->s != NULL ? b->s : xstrdup("");

	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

/* Returns outside data as valid UTF-8. */
char *
sink_text(const char *s, int flags)
{
	struct sink_buf b = {0};

	sink_buf_text(&b, s, flags);
	return sink_buf_take(&b);
}

/* Returns the UTF-16 length of valid UTF-8 text. */
size_t
sink_width(const char *s)
{
	size_t w = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p & 0xc0) != 0x80)
			w++;
		if (*p >= 0xf0)
			w++; /* outside the BMP: a surrogate pair */
	}
	return w;
}

/* Cuts valid UTF-8 text to max units with an ellipsis. */
char *
sink_trunc(char *s, size_t max, bool entities)
{
	size_t w = 0, cut = 0;

	if (sink_width(s) <= max)
		return s;
	if (max == 0) {
		s[0] = '\0';
		return s;
	}
	while (s[cut] != '\0') {
		unsigned char c = (unsigned char)s[cut];
		size_t cw = c >= 0xf0 ? 2 : 1;
		size_t len = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;

		if (w + cw > max - 1)
			break;
		w += cw;
		cut += len;
	}
	if (entities) {
		/* "&amp;" is the longest entity sink_buf_text writes. */
		for (size_t k = cut; k > 0 && cut - k < 5; k--) {
			if (s[k - 1] == ';')
				break;
			if (s[k - 1] == '&') {
				cut = k - 1;
				break;
			}
		}
	}
	s = xreallocarray(s, cut + sizeof(ELLIPSIS), 1);
	memcpy(s + cut, ELLIPSIS, sizeof(ELLIPSIS));
	return s;
}

/* Returns a JSON string of outside data. */
json_t *
sink_json_str(const char *s)
{
	char *t = sink_text(s, 0);
	json_t *j = json_string_nocheck(t);

	free(t);
	if (j == NULL)
		fatalx("out of memory building JSON");
	return j;
}

/* Sets a member whose name is outside data. */
void
sink_json_set(json_t *o, const char *key, json_t *v)
{
	char *k = sink_text(key, 0);

	if (json_object_set_new_nocheck(o, k, v) != 0)
		fatalx("out of memory building JSON");
	free(k);
}

/* Returns the evidence lines of an alert. */
json_t *
sink_json_evidence(const struct notify_alert *a)
{
	json_t *ev = json_array();

	for (size_t i = 0; a->evidence != NULL && i < a->nevidence; i++)
		json_array_append_new(ev, sink_json_str(a->evidence[i]));
	return ev;
}

/* Returns labels as an object. */
json_t *
sink_json_labels(const struct cfg_label *l, size_t n)
{
	json_t *o = json_object();

	for (size_t i = 0; l != NULL && i < n; i++)
		if (l[i].key != NULL)
			sink_json_set(o, l[i].key, sink_json_str(l[i].value));
	return o;
}

/* Returns the compact text of o and releases it. */
char *
sink_json_dump(json_t *o)
{
	char *j = json_dumps(o, JSON_COMPACT), *s;

	json_decref(o);
	if (j == NULL)
		fatalx("out of memory writing JSON");
	s = xstrdup(j);
	free(j);
	return s;
}

/* Breaks t down in UTC, clamped to what four digits of year can write. */
static void
utc(long long t, struct tm *tm)
{
	time_t tt;

	if (t < 0)
		t = 0;
	if (t > TIME_MAX)
		t = TIME_MAX;
	tt = (time_t)t;
	if (gmtime_r(&tt, tm) == NULL)
		memset(tm, 0, sizeof(*tm));
}

/* Writes t in RFC 3339 UTC. */
void
sink_time_rfc3339(long long t, char out[32])
{
	struct tm tm;

	utc(t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Writes t for a person. */
void
sink_time_human(long long t, char out[32])
{
	struct tm tm;

	utc(t, &tm);
	strftime(out, 32, "%Y-%m-%d %H:%M UTC", &tm);
}

/* Writes a duration for a person, in its two largest units. */
void
sink_duration(long long secs, char out[32])
{
	long long d, h, m;

	if (secs < 0)
		secs = 0;
	d = secs / 86400;
	h = secs % 86400 / 3600;
	m = secs % 3600 / 60;
	if (d > 0 && h > 0)
		snprintf(out, 32, "%lldd %lldh", d, h);
	else if (d > 0)
		snprintf(out, 32, "%lldd", d);
	else if (h > 0 && m > 0)
		snprintf(out, 32, "%lldh %lldm", h, m);
	else if (h > 0)
		snprintf(out, 32, "%lldh", h);
	else if (m > 0)
		snprintf(out, 32, "%lldm", m);
	else
		snprintf(out, 32, "%llds", secs);
}

/* Returns the marker of a severity. */
const char *
sink_marker(enum severity sev)
{
	switch (sev) {
	case SEV_CRITICAL:
		return "CRITICAL";
	case SEV_WARNING:
		return "WARNING";
	case SEV_INFO:
		return "info";
	}
	return "unknown";
}

/* Returns an alert's dedup key. */
char *
sink_alert_key(const struct notify_alert *a)
{
	if (a->dedup_key != NULL)
		return xstrdup(a->dedup_key);
	return notify_dedup_key(a->domain != NULL ? a->domain : "", a->rule != NULL ? a->rule : "",
				a->subject != NULL ? a->subject : "");
}

/* How many alerts n shows. */
size_t
sink_shown(const struct notification *n)
{
	if (n->alerts == NULL)
		return 0;
	return n->nalerts < NOTIFY_MAX_SHOWN ? n->nalerts : NOTIFY_MAX_SHOWN;
}

/* How many alerts n carries. */
size_t
sink_given(const struct notification *n)
{
	return n->alerts != NULL ? n->nalerts : 0;
}

/* How many alerts n stands for. */
size_t
sink_total(const struct notification *n)
{
	size_t given = sink_given(n);

	return n->total > given ? n->total : given;
}

/* Tells whether n goes out as one summary. */
bool
sink_is_digest(const struct notification *n)
{
	return n->kind == NOTIFY_BASELINE || sink_total(n) > sink_shown(n);
}

/* Counts n's alerts by severity: its by_severity, or the alerts it carries when it has none. */
void
sink_counts(const struct notification *n, size_t c[3])
{
	memcpy(c, n->by_severity, sizeof(n->by_severity));
	if (c[SEV_INFO] + c[SEV_WARNING] + c[SEV_CRITICAL] > 0)
		return;
	for (size_t i = 0; i < sink_given(n); i++)
		if ((unsigned)n->alerts[i].severity <= SEV_CRITICAL)
			c[n->alerts[i].severity]++;
}

/* Returns the worst severity of n. */
enum severity
sink_worst(const struct notification *n)
{
	size_t c[3];

	sink_counts(n, c);
	if (c[SEV_CRITICAL] > 0)
		return SEV_CRITICAL;
	if (c[SEV_WARNING] > 0)
		return SEV_WARNING;
	return SEV_INFO;
}

/* Appends the non-zero counts of n, worst first. */
void
sink_buf_counts(struct sink_buf *b, const struct notification *n)
{
	static const enum severity order[] = {SEV_CRITICAL, SEV_WARNING, SEV_INFO};
	const char *sep = "";
	size_t c[3];

	sink_counts(n, c);
	for (size_t i = 0; i < 3; i++) {
		if (c[order[i]] == 0)
			continue;
		sink_buf_addf(b, "%s%zu %s", sep, c[order[i]], severity_name(order[i]));
		sep = ", ";
	}
}

/* Returns how many domains the shown alerts of n are about, and one of them. */
static size_t
domains(const struct notification *n, const char **one)
{
	size_t count = 0;

	*one = NULL;
	for (size_t i = 0; i < sink_shown(n); i++) {
		const char *d = n->alerts[i].domain != NULL ? n->alerts[i].domain : "";
		bool seen = false;

		for (size_t j = 0; j < i && !seen; j++)
			seen =
			    strcmp(n->alerts[j].domain != NULL ? n->alerts[j].domain : "", d) == 0;
		if (!seen && count++ == 0)
			*one = d;
	}
	return count;
}

/* Appends the one-line title of a digest. */
void
sink_buf_digest_title(struct sink_buf *b, const struct notification *n, int flags)
{
	size_t total = sink_total(n), nd;
	const char *noun = total == 1 ? "mail-DNS problem" : "mail-DNS problems", *one;

	switch (n->kind) {
	case NOTIFY_FIRING:
		if (total == 0) {
			sink_buf_add(b, "No mail-DNS problems");
			return;
		}
		sink_buf_addf(b, "%zu %s: ", total, noun);
		break;
	case NOTIFY_RESOLVED:
		if (total == 0) {
			sink_buf_add(b, "No mail-DNS problems resolved");
			return;
		}
		sink_buf_addf(b, "%zu %s resolved: ", total, noun);
		break;
	case NOTIFY_BASELINE:
		if (total == 0) {
			sink_buf_add(b, "Baseline: no mail-DNS problems");
			return;
		}
		nd = domains(n, &one);
		if (total > sink_shown(n)) {
			sink_buf_add(b, "Baseline: ");
		} else if (nd == 1) {
			sink_buf_add(b, "Baseline of ");
			sink_buf_text(b, one, flags | SINK_ONE_LINE);
			sink_buf_add(b, ": ");
		} else {
			sink_buf_addf(b, "Baseline of %zu domains: ", nd);
		}
		sink_buf_addf(b, "%zu %s (", total, noun);
		sink_buf_counts(b, n);
		sink_buf_add(b, ")");
		return;
	}
	sink_buf_counts(b, n);
}

/* Appends the one-line title of one alert. */
void
sink_buf_alert_line(struct sink_buf *b, const struct notification *n, const struct notify_alert *a,
		    int flags, size_t msgmax)
{
	char when[32], *msg;

	flags |= SINK_ONE_LINE;
	if (n->kind == NOTIFY_RESOLVED) {
		sink_buf_add(b, "Resolved ");
	} else {
		sink_buf_add(b, sink_marker(a->severity));
		sink_buf_add(b, " ");
	}
	sink_buf_text(b, a->rule, flags);
	if (!notify_alert_global(a)) {
		sink_buf_add(b, " ");
		sink_buf_text(b, a->domain, flags);
	}
	if (n->kind == NOTIFY_RESOLVED) {
		long long end = a->ended > 0 ? a->ended : n->at;

		if (a->started > 0 && end >= a->started) {
			sink_duration(end - a->started, when);
			sink_buf_addf(b, " after %s", when);
		}
	} else if (n->kind == NOTIFY_FIRING && a->flapping) {
		sink_buf_add(b, " flapping");
	} else if (n->kind == NOTIFY_FIRING && a->reminder) {
		sink_time_human(a->started, when);
		sink_buf_addf(b, ", still firing since %s", when);
	}
	sink_buf_add(b, ": ");
	msg = sink_trunc(sink_text(a->message, flags), msgmax, flags & SINK_MRKDWN);
	sink_buf_add(b, msg);
	free(msg);
	if (n->kind == NOTIFY_FIRING && a->flapping)
		sink_buf_add(b, " (notified once)");
}

/* Appends one message. */
void
sink_msgs_add(struct sink_msg **m, size_t *n, char *dedup_key, char *body)
{
	*m = xreallocarray(*m, *n + 1, sizeof(**m));
	(*m)[*n].dedup_key = dedup_key;
	(*m)[*n].body = body;
	(*n)++;
}
