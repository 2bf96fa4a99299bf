/*
 * demo-view: shows a person what the test HTTP receiver (tests/httprecv.h) was sent.
 *
 *   demo-view [--full] LOG [FROM]
 *
 * Reads the requests logged in LOG from line FROM on (default 1, the first) and prints how
 * many messages each kind of sink got, then each one as its receiver would show it: a Slack
 * message as the text of its Block Kit blocks (header, sections, fields) and its fallback
 * text, mrkdwn rendered as plain text; a PagerDuty event as its action, severity, dedup
 * key and summary; a webhook call (mxwatch.v1 or Alertmanager v4) as its kind and alerts.
 * The Slack fallback and the PagerDuty summary, which repeat the message, are cut to one
 * line (ending in "…") unless --full is given. Text is wrapped to 100 columns; DNS records
 * never are. Slack comes first, then PagerDuty, then webhooks, each in the order received.
 * Secrets are never printed: neither the request path (a Slack URL holds one) nor the
 * PagerDuty routing key. Exit status: 0; 1 when LOG cannot be read or a line of it is not a
 * logged request; 2 on a usage error.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

/* Lines are wrapped to this many columns (code lines, such as DNS records, never are). */
#define WIDTH 100
/* Where the text of a message's first line starts (after "  " and its label). */
#define COL_TEXT 13
/* Where its further lines start, and its code lines. */
#define COL_MORE 15
#define COL_CODE 17

enum sink_kind { SINK_SLACK, SINK_PAGERDUTY, SINK_WEBHOOK, SINK_OTHER, SINK_KINDS };

static const char *const labels[SINK_KINDS] = {"Slack", "PagerDuty", "webhook", "other"};
static const char *const nouns[SINK_KINDS][2] = {{"Slack message", "Slack messages"},
						 {"PagerDuty event", "PagerDuty events"},
						 {"webhook call", "webhook calls"},
						 {"other request", "other requests"}};

/* A growing string; s is NUL-terminated once something was added. */
struct out {
	char *s;
	size_t len;
	size_t cap;
};

/* One message being printed into out: its first line starts with its label. */
struct view {
	struct out *out;
	const char *label;
	bool started;
	bool full; /* print the lines that repeat the message in full, not cut */
};

/* Appends n bytes of s. */
static void
out_addn(struct out *o, const char *s, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		o->cap = (o->len + n + 1) * 2;
		o->s = xreallocarray(o->s, o->cap, 1);
	}
	memcpy(o->s + o->len, s, n);
	o->len += n;
	o->s[o->len] = '\0';
}

static void out_addf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends formatted text. */
static void
out_addf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	out_addn(o, s, strlen(s));
	free(s);
}

/* Returns the number of columns of the first n bytes of UTF-8 text (one per character). */
static size_t
columns(const char *s, size_t n)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			c++;
	return c;
}

/* Starts a line of v: its label on its first line, else indent spaces. Returns the column
 * the text starts at. */
static size_t
view_start(struct view *v, size_t indent)
{
	if (!v->started) {
		out_addf(v->out, "  %-*s", COL_TEXT - 2, v->label);
		v->started = true;
		return COL_TEXT;
	}
	out_addf(v->out, "%*s", (int)indent, "");
	return indent;
}

/* Prints units (taken as is, never broken) joined by sep, as many to a line as fit in WIDTH;
 * the lines after the first start at indent. */
static void
view_units(struct view *v, size_t indent, char *const *units, size_t n, const char *sep)
{
	size_t col = view_start(v, indent), start = col;

	for (size_t i = 0; i < n; i++) {
		size_t w = columns(units[i], strlen(units[i])), sw = columns(sep, strlen(sep));

		if (col > start && col + sw + w > WIDTH) {
			out_addn(v->out, "\n", 1);
			col = start = view_start(v, indent);
		} else if (col > start) {
			out_addn(v->out, sep, strlen(sep));
			col += sw;
		}
		out_addn(v->out, units[i], strlen(units[i]));
		col += w;
	}
	out_addn(v->out, "\n", 1);
}

/* Prints one paragraph of text (no newline in it) wrapped at spaces. */
static void
view_para(struct view *v, size_t indent, const char *text)
{
	char **words = NULL;
	size_t n = 0;
	const char *p = text;

	while (*p != '\0') {
		size_t len = strcspn(p, " ");

		if (len > 0) {
			words = xreallocarray(words, n + 1, sizeof(*words));
			words[n++] = xstrndup(p, len);
		}
		p += len;
		p += strspn(p, " ");
	}
	view_units(v, indent, words, n, " ");
	for (size_t i = 0; i < n; i++)
		free(words[i]);
	free(words);
}

/* Prints one paragraph of text that repeats what the message already showed: on one line,
 * cut to WIDTH with "…" at the end, unless v->full (then wrapped as view_para does). */
static void
view_repeat(struct view *v, size_t indent, const char *text)
{
	size_t col, keep = 0, cols = 0, len = strlen(text);

	if (v->full) {
		view_para(v, indent, text);
		return;
	}
	col = view_start(v, indent);
	if (col + columns(text, len) <= WIDTH) {
		out_addn(v->out, text, len);
	} else {
		/* Keep whole characters, one column left for the ellipsis. */
		while (keep < len) {
			size_t next = keep + 1;

			while (next < len && ((unsigned char)text[next] & 0xc0) == 0x80)
				next++;
			if (col + cols + 1 >= WIDTH)
				break;
			keep = next;
			cols++;
		}
		out_addn(v->out, text, keep);
		out_addn(v->out, "\xe2\x80\xa6", 3);
	}
	out_addn(v->out, "\n", 1);
}

/* Prints one line as it is (code: DNS records are never wrapped). */
static void
view_code(struct view *v, const char *line, size_t len)
{
	view_start(v, COL_CODE);
	out_addn(v->out, line, len);
	out_addn(v->out, "\n", 1);
}

/* Returns the string member key of o, or "" when it has none. */
static const char *
jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

/* Replaces Slack's three entities (&amp; &lt; &gt;) in s by what they stand for. */
static void
unescape(char *s)
{
	static const struct {
		const char *entity;
		char c;
	} ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}};
	char *r = s, *w = s;

	while (*r != '\0') {
		size_t i;

		for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++)
			if (strncmp(r, ents[i].entity, strlen(ents[i].entity)) == 0)
				break;
		if (i < sizeof(ents) / sizeof(ents[0])) {
			*w++ = ents[i].c;
			r += strlen(ents[i].entity);
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

/* Tells whether c ends an emphasised run or may stand before one (not a letter or digit). */
static bool
boundary(char c)
{
	return c == '\0' || !isalnum((unsigned char)c);
}

/* Removes the mrkdwn emphasis marks (*bold*, _italic_) of one line of s, in place, where
 * Slack would render them: a mark after a boundary and before text, closed on the same
 * line by a mark after text and before a boundary. */
static void
plain(char *s)
{
	for (const char *m = "*_"; *m != '\0'; m++) {
		for (size_t i = 0; s[i] != '\0'; i++) {
			size_t j;

			if (s[i] != *m || (i > 0 && !boundary(s[i - 1])) || s[i + 1] == ' ' ||
			    s[i + 1] == *m || s[i + 1] == '\0')
				continue;
			for (j = i + 2; s[j] != '\0'; j++)
				if (s[j] == *m && s[j - 1] != ' ' && boundary(s[j + 1]))
					break;
			if (s[j] == '\0')
				continue;
			memmove(s + j, s + j + 1, strlen(s + j + 1) + 1);
			memmove(s + i, s + i + 1, strlen(s + i + 1) + 1);
			i = j - 2;
		}
	}
	unescape(s);
}

/* Prints a mrkdwn text: paragraphs wrapped, code blocks (``` fences) as they are. */
static void
view_mrkdwn(struct view *v, const char *text)
{
	char *copy = xstrdup(text), *line = copy;
	bool code = false;

	while (line != NULL) {
		char *next = strchr(line, '\n');

		if (next != NULL)
			*next++ = '\0';
		if (strncmp(line, "```", 3) == 0) {
			code = !code;
			line += 3;
		}
		if (code) {
			size_t len = strlen(line);
			bool closes = len >= 3 && strcmp(line + len - 3, "```") == 0;

			if (closes)
				line[len - 3] = '\0';
			unescape(line);
			if (line[0] != '\0')
				view_code(v, line, strlen(line));
			code = !closes;
		} else if (line[0] != '\0') {
			plain(line);
			view_para(v, COL_MORE, line);
		}
		line = next;
	}
	free(copy);
}

/* Prints a Slack message: the header, each section (its text, then its fields on as few
 * lines as fit), any other block by its type; the context (who sent it, when) is left out.
 * Then the fallback text, which notifications show. */
static void
view_slack(struct view *v, const json_t *body)
{
	const json_t *blocks = json_object_get(body, "blocks"), *b;
	char *fallback;
	size_t i;

	json_array_foreach(blocks, i, b)
	{
		const char *type = jstr(b, "type");
		const json_t *fields = json_object_get(b, "fields"), *f;
		char **units = NULL;
		size_t j;

		if (strcmp(type, "header") == 0) {
			view_para(v, COL_TEXT, jstr(json_object_get(b, "text"), "text"));
		} else if (strcmp(type, "section") == 0) {
			view_mrkdwn(v, jstr(json_object_get(b, "text"), "text"));
			json_array_foreach(fields, j, f)
			{
				char *t = xstrdup(jstr(f, "text")), *nl = strchr(t, '\n');

				if (nl != NULL)
					*nl = ' ';
				plain(t);
				units = xreallocarray(units, j + 1, sizeof(*units));
				units[j] = t;
			}
			if (json_array_size(fields) > 0)
				view_units(v, COL_MORE, units, json_array_size(fields), "  |  ");
			for (j = 0; j < json_array_size(fields); j++)
				free(units[j]);
			free(units);
		} else if (strcmp(type, "context") != 0) {
			char *t = xasprintf("(a %s block)", type);

			view_para(v, COL_MORE, t);
			free(t);
		}
	}
	fallback = xasprintf("fallback: %s", jstr(body, "text"));
	plain(fallback);
	view_repeat(v, COL_MORE, fallback);
	free(fallback);
}

/* Prints a PagerDuty event: action, severity and dedup key, then the summary. The routing
 * key it carries is a secret: never printed. */
static void
view_pagerduty(struct view *v, const json_t *body)
{
	const json_t *payload = json_object_get(body, "payload");
	char *head;

	if (payload != NULL)
		head = xasprintf("%s %s %s", jstr(body, "event_action"), jstr(payload, "severity"),
				 jstr(body, "dedup_key"));
	else
		head = xasprintf("%s %s", jstr(body, "event_action"), jstr(body, "dedup_key"));
	view_para(v, COL_TEXT, head);
	free(head);
	if (payload != NULL)
		view_repeat(v, COL_MORE, jstr(payload, "summary"));
}

/* Returns how a person reads a severity at a glance, as the Slack header does. */
static const char *
marker(const char *severity)
{
	if (strcmp(severity, "critical") == 0)
		return "CRITICAL";
	if (strcmp(severity, "warning") == 0)
		return "WARNING";
	return severity;
}

/* Prints one alert of a webhook call: severity, rule, domain, and the subject unless it is
 * the domain itself. */
static void
view_alert(struct view *v, const char *severity, const char *rule, const char *domain,
	   const char *subject)
{
	size_t dl = strlen(domain);
	bool same = strncmp(subject, domain, dl) == 0 &&
		    (subject[dl] == '\0' || strcmp(subject + dl, ".") == 0);
	char *t = xasprintf("%s %s on %s%s%s", marker(severity), rule, domain,
			    same ? "" : " \xc2\xb7 ", same ? "" : subject);

	view_para(v, COL_MORE, t);
	free(t);
}

/* Prints a webhook call: its kind (mxwatch.v1) or status (Alertmanager), how many alerts,
 * whether it was signed, then each alert. */
static void
view_webhook(struct view *v, const json_t *rec, const json_t *body)
{
	const char *sig = jstr(json_object_get(rec, "headers"), "webhook-signature");
	const json_t *alerts = json_object_get(body, "alerts"), *a;
	bool am = strcmp(jstr(body, "version"), "4") == 0;
	size_t i, n = json_array_size(alerts);
	json_int_t more = am ? json_integer_value(json_object_get(body, "truncatedAlerts"))
			     : json_integer_value(json_object_get(body, "total")) - (json_int_t)n;
	size_t total = n + (size_t)(more > 0 ? more : 0);
	char *head;

	head = xasprintf("%s%s: %zu alert%s, %s", am ? jstr(body, "status") : jstr(body, "kind"),
			 am ? " (Alertmanager)" : "", total, total == 1 ? "" : "s",
			 strncmp(sig, "v1,", 3) == 0 ? "signed" : "unsigned");
	view_para(v, COL_TEXT, head);
	free(head);
	json_array_foreach(alerts, i, a)
	{
		const json_t *l = am ? json_object_get(a, "labels") : a;

		view_alert(v, jstr(l, "severity"), jstr(l, am ? "alertname" : "rule"),
			   jstr(l, "domain"), jstr(l, "subject"));
	}
	if (more > 0) {
		char *t = xasprintf("\xe2\x80\xa6 and %lld more", (long long)more);

		view_para(v, COL_MORE, t);
		free(t);
	}
}

/* Tells which kind of sink a body was meant for, from its shape. */
static enum sink_kind
sink_of(const json_t *body)
{
	const char *version = jstr(body, "version");

	if (json_is_array(json_object_get(body, "blocks")))
		return SINK_SLACK;
	if (json_is_string(json_object_get(body, "event_action")))
		return SINK_PAGERDUTY;
	if (strcmp(version, "mxwatch.v1") == 0 || strcmp(version, "4") == 0)
		return SINK_WEBHOOK;
	return SINK_OTHER;
}

/* Prints one logged request rec into the output of its kind of sink; counts it. */
static void
view_request(const json_t *rec, bool full, struct out out[SINK_KINDS], size_t count[SINK_KINDS])
{
	const char *text = json_string_value(json_object_get(rec, "body"));
	const char *answer = jstr(rec, "answer");
	json_t *body = text != NULL ? json_loads(text, 0, NULL) : NULL;
	enum sink_kind k = json_is_object(body) ? sink_of(body) : SINK_OTHER;
	struct view v = {.out = &out[k], .label = labels[k], .full = full};

	count[k]++;
	switch (k) {
	case SINK_SLACK:
		view_slack(&v, body);
		break;
	case SINK_PAGERDUTY:
		view_pagerduty(&v, body);
		break;
	case SINK_WEBHOOK:
		view_webhook(&v, rec, body);
		break;
	default:
		view_para(&v, COL_TEXT,
			  text != NULL ? "a body of no sink it knows" : "a body that is not text");
		break;
	}
	if (answer[0] != '2') {
		char *t = xasprintf("answered \"%s\": not delivered", answer);

		view_para(&v, COL_MORE, t);
		free(t);
	}
	json_decref(body);
}

/* Prints the count line: "received   1 Slack message, 2 webhook calls", or nothing. */
static void
print_counts(const size_t count[SINK_KINDS])
{
	const char *sep = "";

	printf("  %-*s", COL_TEXT - 2, "received");
	for (int k = 0; k < SINK_KINDS; k++) {
		if (count[k] == 0)
			continue;
		printf("%s%zu %s", sep, count[k], nouns[k][count[k] == 1 ? 0 : 1]);
		sep = ", ";
	}
	printf("%s\n", sep[0] == '\0' ? "nothing" : "");
}

/* Reads the log from line `from` on into out and count. Returns 0, or -1 after saying why. */
static int
read_log(const char *path, long from, bool full, struct out out[SINK_KINDS],
	 size_t count[SINK_KINDS])
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	long lineno = 0;
	int rc = 0;

	if (f == NULL) {
		fprintf(stderr, "demo-view: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && getline(&line, &cap, f) != -1) {
		json_t *rec;
		json_error_t err;

		if (++lineno < from)
			continue;
		rec = json_loads(line, 0, &err);
		if (!json_is_object(rec) || json_object_get(rec, "answer") == NULL) {
			fprintf(stderr, "demo-view: %s:%ld: not a logged request\n", path, lineno);
			rc = -1;
		} else {
			view_request(rec, full, out, count);
		}
		json_decref(rec);
	}
	if (rc == 0 && ferror(f)) {
		fprintf(stderr, "demo-view: %s: %s\n", path, strerror(errno));
		rc = -1;
	}
	free(line);
	fclose(f);
	return rc;
}

int
main(int argc, char **argv)
{
	struct out out[SINK_KINDS] = {{0}};
	size_t count[SINK_KINDS] = {0};
	bool full = argc > 1 && strcmp(argv[1], "--full") == 0;
	long from = 1;
	char *end;
	int rc;

	if (full) {
		argc--;
		argv++;
	}
	if (argc == 3) {
		errno = 0;
		from = strtol(argv[2], &end, 10);
		if (errno != 0 || end == argv[2] || *end != '\0' || from < 1)
			argc = 0;
	}
	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: demo-view [--full] LOG [FROM]\n");
		return 2;
	}
	rc = read_log(argv[1], from, full, out, count);
	if (rc == 0) {
		print_counts(count);
		for (int k = 0; k < SINK_KINDS; k++)
			if (out[k].s != NULL)
				fputs(out[k].s, stdout);
	}
	for (int k = 0; k < SINK_KINDS; k++)
		free(out[k].s);
	if (fflush(stdout) != 0 || ferror(stdout))
		return 1;
	return rc == 0 ? 0 : 1;
}
