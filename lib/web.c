/* The HTTP endpoint: /metrics, /-/healthy, /-/ready, /status; and the metrics writer. */
#include "config.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "web.h"
#include "xmalloc.h"

/* Idle connections are closed after this many seconds. */
#define WEB_TIMEOUT_S 10
/* Requests carry no body worth reading; headers are small. */
#define WEB_MAX_HEADERS 8192
#define WEB_MAX_BODY 1024

/* One sample: its rendered label set ("" or "{a=\"b\"}") and value. */
struct sample {
	char *labels;
	double value;
};

/* One metric family and its samples. */
struct family {
	char *name;
	char *help;
	enum web_metric_type type;
	struct sample *v;
	size_t n;
};

struct web_metrics {
	struct family *v;
	size_t n;
};

struct web {
	struct event_base *base;
	struct evhttp *http;
	struct web_source src;
	int port;
};

/* Opens a stream writing into a growing string. */
static FILE *
mem_open(char **text, size_t *len)
{
	FILE *f = open_memstream(text, len);

	if (f == NULL)
		fatal("open_memstream");
	return f;
}

/* Tells whether s is a metric name. */
static bool
metric_name_ok(const char *s)
{
	if (*s == '\0')
		return false;
	for (const char *p = s; *p != '\0'; p++) {
		bool alpha =
		    (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' || *p == ':';

		if (!alpha && (p == s || *p < '0' || *p > '9'))
			return false;
	}
	return true;
}

/* Tells whether s is a label name a user may set. */
static bool
label_name_ok(const char *s)
{
	if (*s == '\0' || strncmp(s, "__", 2) == 0)
		return false;
	for (const char *p = s; *p != '\0'; p++) {
		bool alpha = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_';

		if (!alpha && (p == s || *p < '0' || *p > '9'))
			return false;
	}
	return true;
}

/* Writes s escaped: backslash and newline always, the double quote when quote is set. */
static void
put_escaped(FILE *f, const char *s, bool quote)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else if (*s == '"' && quote)
			fputs("\\\"", f);
		else
			fputc(*s, f);
	}
}

/* Writes a sample value as the text format wants it: the shortest exact decimal form,
 * NaN, +Inf or -Inf. */
static void
put_value(FILE *f, double v)
{
	char buf[32];

	if (isnan(v)) {
		fputs("NaN", f);
		return;
	}
	if (isinf(v)) {
		fputs(v > 0 ? "+Inf" : "-Inf", f);
		return;
	}
	snprintf(buf, sizeof(buf), "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, sizeof(buf), "%.17g", v);
	fputs(buf, f);
}

/* Creates a writer. */
struct web_metrics *
web_metrics_new(void)
{
	return xcalloc(1, sizeof(struct web_metrics));
}

/* Frees a writer. */
void
web_metrics_free(struct web_metrics *w)
{
	if (w == NULL)
		return;
	for (size_t i = 0; i < w->n; i++) {
		for (size_t j = 0; j < w->v[i].n; j++)
			free(w->v[i].v[j].labels);
		free(w->v[i].v);
		free(w->v[i].name);
		free(w->v[i].help);
	}
	free(w->v);
	free(w);
}

/* Finds a family by name. */
static struct family *
family_find(struct web_metrics *w, const char *name)
{
	for (size_t i = 0; i < w->n; i++)
		if (strcmp(w->v[i].name, name) == 0)
			return &w->v[i];
	return NULL;
}

/* Declares a family. */
int
web_metrics_family(struct web_metrics *w, const char *name, enum web_metric_type type,
		   const char *help)
{
	struct family *fam;

	if (!metric_name_ok(name))
		return -1;
	if (family_find(w, name) != NULL)
		return 0;
	w->v = xreallocarray(w->v, w->n + 1, sizeof(*w->v));
	fam = &w->v[w->n++];
	memset(fam, 0, sizeof(*fam));
	fam->name = xstrdup(name);
	fam->help = xstrdup(help != NULL ? help : "");
	fam->type = type;
	return 0;
}

/* One label of a sample being added. */
struct label {
	const char *name;
	const char *value;
};

/* Orders labels by name. */
static int
label_cmp(const void *a, const void *b)
{
	return strcmp(((const struct label *)a)->name, ((const struct label *)b)->name);
}

/* Adds a sample. */
int
web_metrics_add(struct web_metrics *w, const char *name, double value, ...)
{
	struct family *fam = family_find(w, name);
	struct label *l = NULL;
	size_t n = 0, len;
	char *text = NULL;
	const char *k;
	va_list ap;
	FILE *f;

	if (fam == NULL)
		return -1;
	va_start(ap, value);
	while ((k = va_arg(ap, const char *)) != NULL) {
		l = xreallocarray(l, n + 1, sizeof(*l));
		l[n].name = k;
		l[n].value = va_arg(ap, const char *);
		if (!label_name_ok(k) || l[n].value == NULL) {
			va_end(ap);
			free(l);
			return -1;
		}
		n++;
	}
	va_end(ap);
	if (n > 1)
		qsort(l, n, sizeof(*l), label_cmp);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(l[i - 1].name, l[i].name) == 0) {
			free(l);
			return -1;
		}
	}
	f = mem_open(&text, &len);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%s%s=\"", i == 0 ? "{" : ",", l[i].name);
		put_escaped(f, l[i].value, true);
		fputc('"', f);
	}
	if (n > 0)
		fputc('}', f);
	fclose(f);
	free(l);
	for (size_t i = 0; i < fam->n; i++) {
		if (strcmp(fam->v[i].labels, text) == 0) {
			fam->v[i].value = value;
			free(text);
			return 0;
		}
	}
	fam->v = xreallocarray(fam->v, fam->n + 1, sizeof(*fam->v));
	fam->v[fam->n].labels = text;
	fam->v[fam->n].value = value;
	fam->n++;
	return 0;
}

/* Orders families by name. */
static int
family_cmp(const void *a, const void *b)
{
	return strcmp(((const struct family *)a)->name, ((const struct family *)b)->name);
}

/* Orders samples by their label text. */
static int
sample_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sample *)a)->labels, ((const struct sample *)b)->labels);
}

/* Renders the scrape. */
char *
web_metrics_render(struct web_metrics *w, size_t *len)
{
	char *text = NULL;
	size_t n = 0;
	FILE *f = mem_open(&text, &n);

	if (w->n > 1)
		qsort(w->v, w->n, sizeof(*w->v), family_cmp);
	for (size_t i = 0; i < w->n; i++) {
		struct family *fam = &w->v[i];

		if (fam->n > 1)
			qsort(fam->v, fam->n, sizeof(*fam->v), sample_cmp);
		fprintf(f, "# HELP %s ", fam->name);
		put_escaped(f, fam->help, false);
		fprintf(f, "\n# TYPE %s %s\n", fam->name,
			fam->type == WEB_COUNTER ? "counter" : "gauge");
		for (size_t j = 0; j < fam->n; j++) {
			fprintf(f, "%s%s ", fam->name, fam->v[j].labels);
			put_value(f, fam->v[j].value);
			fputc('\n', f);
		}
	}
	fclose(f);
	if (len != NULL)
		*len = n;
	return text;
}

/* Sends a response with a body; to HEAD, its headers only. */
static void
reply(struct evhttp_request *req, int code, const char *reason, const char *type, const char *body,
      size_t len)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *b = evbuffer_new();

	if (b == NULL)
		fatalx("out of memory");
	evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "Cache-Control", "no-store");
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
		/* evhttp would send the body and leave the length out. */
		char n[24];

		snprintf(n, sizeof(n), "%zu", len);
		evhttp_add_header(h, "Content-Length", n);
	} else {
		evbuffer_add(b, body, len);
	}
	evhttp_send_reply(req, code, reason, b);
	evbuffer_free(b);
}

/* Sends a short plain-text response. */
static void
reply_text(struct evhttp_request *req, int code, const char *reason, const char *body)
{
	reply(req, code, reason, WEB_TEXT_TYPE, body, strlen(body));
}

/* /metrics. */
static void
serve_metrics(struct web *w, struct evhttp_request *req)
{
	struct web_metrics *m = web_metrics_new();
	size_t len;
	char *text;

	if (w->src.metrics != NULL)
		w->src.metrics(m, w->src.arg);
	text = web_metrics_render(m, &len);
	reply(req, 200, "OK", WEB_METRICS_TYPE, text, len);
	free(text);
	web_metrics_free(m);
}

/* /status. */
static void
serve_status(struct web *w, struct evhttp_request *req)
{
	json_t *o = w->src.status != NULL ? w->src.status(w->src.arg) : json_object();
	char *text;
	size_t len;

	if (o == NULL) {
		reply_text(req, 500, "Internal Server Error", "status unavailable\n");
		return;
	}
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (text == NULL) {
		reply_text(req, 500, "Internal Server Error", "status unavailable\n");
		return;
	}
	len = strlen(text);
	text = xreallocarray(text, len + 2, 1);
	text[len++] = '\n';
	text[len] = '\0';
	reply(req, 200, "OK", WEB_JSON_TYPE, text, len);
	free(text);
}

/* /-/healthy. */
static void
serve_healthy(struct web *w, struct evhttp_request *req)
{
	if (w->src.healthy == NULL || w->src.healthy(w->src.arg))
		reply_text(req, 200, "OK", "OK\n");
	else
		reply_text(req, 503, "Service Unavailable", "unhealthy\n");
}

/* /-/ready. */
static void
serve_ready(struct web *w, struct evhttp_request *req)
{
	if (w->src.ready == NULL || w->src.ready(w->src.arg))
		reply_text(req, 200, "OK", "OK\n");
	else
		reply_text(req, 503, "Service Unavailable", "not ready\n");
}

/* Answers one request. */
static void
handle(struct evhttp_request *req, void *arg)
{
	static const struct {
		const char *path;
		void (*serve)(struct web *w, struct evhttp_request *req);
	} routes[] = {
	    {"/metrics", serve_metrics},
	    {"/status", serve_status},
	    {"/-/healthy", serve_healthy},
	    {"/-/ready", serve_ready},
	};
	struct web *w = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);

	for (size_t i = 0; path != NULL && i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (strcmp(path, routes[i].path) != 0)
			continue;
		if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
			evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
					  "GET, HEAD");
			reply_text(req, 405, "Method Not Allowed", "method not allowed\n");
			return;
		}
		routes[i].serve(w, req);
		return;
	}
	reply_text(req, 404, "Not Found", "not found\n");
}

/* Reads "A.B.C.D:PORT" or "[V6]:PORT" (port 0 to 65535) into a socket address. */
static bool
parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *sslen)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *h = s, *p, *end;
	unsigned long port;
	char *pend;

	if (s[0] == '[') {
		h = s + 1;
		end = strchr(h, ']');
		if (end == NULL || end[1] != ':')
			return false;
		p = end + 2;
	} else {
		end = strchr(s, ':');
		if (end == NULL || strchr(end + 1, ':') != NULL)
			return false;
		p = end + 1;
	}
	if (end == h || (size_t)(end - h) >= sizeof(host) || *p < '0' || *p > '9')
		return false;
	port = strtoul(p, &pend, 10);
	if (*pend != '\0' || port > 65535)
		return false;
	memcpy(host, h, (size_t)(end - h));
	host[end - h] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (s[0] != '[') {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*sslen = sizeof(*sin);
		return inet_pton(AF_INET, host, &sin->sin_addr) == 1;
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*sslen = sizeof(*sin6);
		return inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1;
	}
}

/* Opens a listening socket on listen; -1 with *errstr on failure. */
static evutil_socket_t
listen_on(const char *listen_addr, int *port, char **errstr)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	evutil_socket_t fd;
	int one = 1, e;

	if (!parse_listen(listen_addr, &ss, &sslen)) {
		*errstr = xasprintf("bad listen address \"%s\": expected an IP address and port, "
				    "as 127.0.0.1:9749 or [::1]:9749",
				    listen_addr);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, (struct sockaddr *)&ss, sslen) != 0 || listen(fd, 64) != 0)
		goto fail;
	sslen = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) != 0)
		goto fail;
	*port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					      : ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
fail:
	e = errno;
	if (fd >= 0)
		close(fd);
	*errstr = xasprintf("cannot listen on %s: %s", listen_addr, strerror(e));
	return -1;
}

/* Starts the endpoint. */
struct web *
web_new(struct event_base *base, const char *listen_addr, const struct web_source *src,
	char **errstr)
{
	struct web *w;
	evutil_socket_t fd;
	int port;

	if ((fd = listen_on(listen_addr, &port, errstr)) < 0)
		return NULL;
	w = xcalloc(1, sizeof(*w));
	w->base = base;
	w->port = port;
	if (src != NULL)
		w->src = *src;
	if ((w->http = evhttp_new(base)) == NULL ||
	    evhttp_accept_socket_with_handle(w->http, fd) == NULL) {
		*errstr =
		    xasprintf("cannot listen on %s: cannot set up the HTTP server", listen_addr);
		close(fd);
		if (w->http != NULL)
			evhttp_free(w->http);
		free(w);
		return NULL;
	}
	/* Every method reaches handle(), which answers 405 to all but GET and HEAD. */
	evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
						EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
						EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
						EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	evhttp_set_timeout(w->http, WEB_TIMEOUT_S);
	evhttp_set_max_headers_size(w->http, WEB_MAX_HEADERS);
	evhttp_set_max_body_size(w->http, WEB_MAX_BODY);
	evhttp_set_default_content_type(w->http, WEB_TEXT_TYPE);
	evhttp_set_gencb(w->http, handle, w);
	return w;
}

/* The port listened on. */
int
web_port(const struct web *w)
{
	return w->port;
}

/* Stops the endpoint. */
void
web_free(struct web *w)
{
	if (w == NULL)
		return;
	evhttp_free(w->http);
	free(w);
}
