#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "httprecv.h"
#include "testns.h"
#include "xmalloc.h"

/* The request headers written to the log, in this order. */
static const char *const logged_headers[] = {"content-type", "user-agent", "webhook-id",
					     "webhook-timestamp", "webhook-signature"};

/* How far the requests have got through one plan line. */
struct cursor {
	char *line; /* the line's text: a changed line starts again */
	size_t next;
};

enum act_kind { ACT_STATUS, ACT_HANG, ACT_RESET, ACT_REDIRECT, ACT_BAD };

/* One action of a plan line, parsed. */
struct act {
	enum act_kind kind;
	int status;
	char retry_after[64]; /* the Retry-After value to send; "" for none */
};

struct httprecv {
	struct event_base *base;
	struct evhttp *http;
	char *plan_path;
	FILE *log;
	int port;
	size_t count;
	struct cursor *cursors;
	size_t ncursors;
	struct evhttp_request **held; /* "hang": never answered */
	size_t nheld;
};

/* Splits s at blanks into at most max words, in place; returns how many. */
static size_t
split_words(char *s, char **words, size_t max)
{
	size_t n = 0;
	char *save = NULL;

	for (char *w = strtok_r(s, " \t", &save); w != NULL && n < max;
	     w = strtok_r(NULL, " \t", &save))
		words[n++] = w;
	return n;
}

/* Returns the cursor of a plan line, creating it at the first action. */
static struct cursor *
cursor_for(struct httprecv *r, const char *line)
{
	for (size_t i = 0; i < r->ncursors; i++)
		if (strcmp(r->cursors[i].line, line) == 0)
			return &r->cursors[i];
	r->cursors = xreallocarray(r->cursors, r->ncursors + 1, sizeof(*r->cursors));
	r->cursors[r->ncursors].line = xstrdup(line);
	r->cursors[r->ncursors].next = 0;
	return &r->cursors[r->ncursors++];
}

/* Picks the next action for a request to path; returns its text (caller frees), "200"
 * when no plan line matches. */
static char *
plan_next(struct httprecv *r, const char *path)
{
	char *text, *line, *save = NULL, *pick = NULL;

	if (r->plan_path == NULL || (text = testns_slurp(r->plan_path)) == NULL)
		return xstrdup("200");
	for (line = strtok_r(text, "\n", &save); line != NULL && pick == NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char *copy, *words[64], *end;
		size_t n, nacts = 0, at;
		char *acts[64];
		struct cursor *cur;

		line += strspn(line, " \t\r");
		end = line + strlen(line);
		while (end > line && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
			*--end = '\0';
		if (*line == '\0' || *line == '#')
			continue;
		copy = xstrdup(line);
		n = split_words(copy, words, 64);
		if (n == 0 || (strcmp(words[0], "*") != 0 &&
			       strncmp(path, words[0], strlen(words[0])) != 0)) {
			free(copy);
			continue;
		}
		/* "429 VALUE" is one action; every other word is one. */
		for (size_t i = 1; i < n; i++) {
			acts[nacts++] = words[i];
			if (strcmp(words[i], "429") == 0 && i + 1 < n) {
				words[i][3] = ' ';
				memmove(words[i] + 4, words[i + 1], strlen(words[i + 1]) + 1);
				i++;
			}
		}
		if (nacts == 0) {
			pick = xstrdup("(no action)");
		} else {
			cur = cursor_for(r, line);
			at = cur->next < nacts ? cur->next : nacts - 1;
			cur->next++;
			pick = xstrdup(acts[at]);
		}
		free(copy);
	}
	free(text);
	return pick != NULL ? pick : xstrdup("200");
}

/* Formats now + secs as an IMF-fixdate. */
static void
http_date(long long secs, char *buf, size_t size)
{
	time_t t = time(NULL) + (time_t)secs;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* Reads an action's text. */
static void
act_parse(const char *text, struct act *a)
{
	memset(a, 0, sizeof(*a));
	a->kind = ACT_BAD;
	if (strcmp(text, "hang") == 0) {
		a->kind = ACT_HANG;
	} else if (strcmp(text, "reset") == 0) {
		a->kind = ACT_RESET;
	} else if (strcmp(text, "redirect") == 0) {
		a->kind = ACT_REDIRECT;
		a->status = 302;
	} else if (strncmp(text, "429 ", 4) == 0) {
		const char *v = text + 4;
		char *end;
		long long secs;

		a->kind = ACT_STATUS;
		a->status = 429;
		if (strncmp(v, "date+", 5) == 0) {
			secs = strtoll(v + 5, &end, 10);
			if (end == v + 5 || *end != '\0')
				a->kind = ACT_BAD;
			else
				http_date(secs, a->retry_after, sizeof(a->retry_after));
		} else if (strcmp(v, "-") != 0) {
			if (strspn(v, "0123456789") != strlen(v) ||
			    strlen(v) >= sizeof(a->retry_after))
				a->kind = ACT_BAD;
			else
				strcpy(a->retry_after, v);
		}
	} else if (strlen(text) == 3 && strspn(text, "0123456789") == 3) {
		a->status = atoi(text);
		if (a->status >= 200 && a->status <= 599)
			a->kind = ACT_STATUS;
	}
}

/* Returns the name of a request method. */
static const char *
method_name(enum evhttp_cmd_type cmd)
{
	switch (cmd) {
	case EVHTTP_REQ_GET:
		return "GET";
	case EVHTTP_REQ_POST:
		return "POST";
	case EVHTTP_REQ_HEAD:
		return "HEAD";
	case EVHTTP_REQ_PUT:
		return "PUT";
	case EVHTTP_REQ_DELETE:
		return "DELETE";
	case EVHTTP_REQ_OPTIONS:
		return "OPTIONS";
	case EVHTTP_REQ_TRACE:
		return "TRACE";
	case EVHTTP_REQ_CONNECT:
		return "CONNECT";
	case EVHTTP_REQ_PATCH:
		return "PATCH";
	}
	return "OTHER";
}

/* Writes one request as a JSON line and flushes it. */
static void
log_request(struct httprecv *r, struct evhttp_request *req, const char *answer)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	struct evbuffer *buf = evhttp_request_get_input_buffer(req);
	size_t blen = evbuffer_get_length(buf);
	const char *body = blen > 0 ? (const char *)evbuffer_pullup(buf, -1) : "";
	json_t *o = json_object(), *h = json_object(), *v;
	char *line;

	json_object_set_new(o, "method", json_string(method_name(evhttp_request_get_command(req))));
	v = json_stringn(evhttp_request_get_uri(req), strlen(evhttp_request_get_uri(req)));
	json_object_set_new(o, "path", v != NULL ? v : json_string("(not UTF-8)"));
	for (size_t i = 0; i < sizeof(logged_headers) / sizeof(logged_headers[0]); i++) {
		const char *val = evhttp_find_header(in, logged_headers[i]);

		if (val != NULL && (v = json_stringn(val, strlen(val))) != NULL)
			json_object_set_new(h, logged_headers[i], v);
	}
	json_object_set_new(o, "headers", h);
	if ((v = json_stringn(body, blen)) != NULL) {
		json_object_set_new(o, "body", v);
	} else {
		char *hex = xmalloc(blen * 2 + 1);

		for (size_t i = 0; i < blen; i++)
			snprintf(hex + 2 * i, 3, "%02x", (unsigned char)body[i]);
		hex[blen * 2] = '\0';
		json_object_set_new(o, "body_hex", json_string(hex));
		free(hex);
	}
	json_object_set_new(o, "answer", json_string(answer));
	line = json_dumps(o, JSON_COMPACT);
	if (r->log != NULL && line != NULL) {
		fprintf(r->log, "%s\n", line);
		fflush(r->log);
	}
	free(line);
	json_decref(o);
}

/* Aborts the connection of req with a TCP RST and frees it (and req). */
static void
reset_connection(struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	evutil_socket_t fd = bufferevent_getfd(evhttp_connection_get_bufferevent(evcon));
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	struct sockaddr sa;

	/* evhttp shuts the socket down for writing before closing it, which sends a FIN the
	 * client would read as a clean end. On Linux, connecting a TCP socket to AF_UNSPEC
	 * aborts it with a RST at once; a zero linger makes the close abortive should that
	 * fail. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_family = AF_UNSPEC;
	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	(void)connect(fd, &sa, sizeof(sa));
	evhttp_connection_free(evcon);
}

/* Sends a status with a short text body. */
static void
reply(struct evhttp_request *req, int status, const char *text)
{
	struct evbuffer *out = evbuffer_new();

	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "text/plain; charset=utf-8");
	evbuffer_add(out, text, strlen(text));
	evhttp_send_reply(req, status, NULL, out);
	evbuffer_free(out);
}

/* Records a request and answers it as the plan says. */
static void
on_request(struct evhttp_request *req, void *arg)
{
	struct httprecv *r = arg;
	const char *path = evhttp_request_get_uri(req);
	char *text = plan_next(r, path), *answer, *body;
	struct act a;

	r->count++;
	act_parse(text, &a);
	answer = a.kind == ACT_BAD ? xasprintf("bad plan: %s", text) : xstrdup(text);
	log_request(r, req, answer);
	switch (a.kind) {
	case ACT_HANG:
		r->held = xreallocarray(r->held, r->nheld + 1, sizeof(*r->held));
		r->held[r->nheld++] = req;
		break;
	case ACT_RESET:
		reset_connection(req);
		break;
	case ACT_REDIRECT:
		evhttp_add_header(evhttp_request_get_output_headers(req), "Location",
				  "/redirected");
		reply(req, 302, "moved\n");
		break;
	case ACT_STATUS:
		if (a.retry_after[0] != '\0')
			evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After",
					  a.retry_after);
		if (a.status == 404)
			body = xasprintf("no such hook: %s\n", path);
		else if (a.status >= 200 && a.status <= 299)
			body = xstrdup("ok\n");
		else
			body = xasprintf("error %d\n", a.status);
		reply(req, a.status, body);
		free(body);
		break;
	case ACT_BAD:
		reply(req, 500, "bad plan\n");
		break;
	}
	free(answer);
	free(text);
}

/* Starts a receiver. */
struct httprecv *
httprecv_start(struct event_base *base, const char *plan_path, const char *log_path, char **errstr)
{
	struct httprecv *r = xcalloc(1, sizeof(*r));
	struct evhttp_bound_socket *bound;
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);

	r->base = base;
	r->plan_path = plan_path != NULL ? xstrdup(plan_path) : NULL;
	if (log_path != NULL && (r->log = fopen(log_path, "w")) == NULL) {
		*errstr = xasprintf("cannot write %s: %s", log_path, strerror(errno));
		goto fail;
	}
	if ((r->http = evhttp_new(base)) == NULL) {
		*errstr = xstrdup("cannot create an HTTP server");
		goto fail;
	}
	evhttp_set_allowed_methods(r->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
						EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
						EVHTTP_REQ_PATCH | EVHTTP_REQ_OPTIONS);
	evhttp_set_gencb(r->http, on_request, r);
	bound = evhttp_bind_socket_with_handle(r->http, "127.0.0.1", 0);
	if (bound == NULL) {
		*errstr = xstrdup("cannot listen on 127.0.0.1");
		goto fail;
	}
	if (getsockname(evhttp_bound_socket_get_fd(bound), (struct sockaddr *)&sin, &sl) != 0) {
		*errstr = xasprintf("cannot read the listening port: %s", strerror(errno));
		goto fail;
	}
	r->port = ntohs(sin.sin_port);
	return r;
fail:
	httprecv_stop(r);
	return NULL;
}

int
httprecv_port(const struct httprecv *r)
{
	return r->port;
}

size_t
httprecv_count(const struct httprecv *r)
{
	return r->count;
}

/* Stops the receiver and frees everything. */
void
httprecv_stop(struct httprecv *r)
{
	if (r == NULL)
		return;
	/* A held request still on its connection goes with it; one the connection dropped
	 * (evhttp then lets go of it) is ours to free. */
	for (size_t i = 0; i < r->nheld; i++)
		if (evhttp_request_get_connection(r->held[i]) == NULL)
			evhttp_request_free(r->held[i]);
	if (r->http != NULL)
		evhttp_free(r->http);
	if (r->log != NULL)
		fclose(r->log);
	for (size_t i = 0; i < r->ncursors; i++)
		free(r->cursors[i].line);
	free(r->cursors);
	free(r->held);
	free(r->plan_path);
	free(r);
}
