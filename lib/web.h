/*
 * The HTTP endpoint (evhttp, DESIGN §8): /metrics in the Prometheus text format 0.0.4,
 * /-/healthy, /-/ready and /status (JSON). GET and HEAD only (405 otherwise), any other path
 * 404. What it serves comes from its owner through the callbacks of struct web_source, so
 * this module knows nothing of the monitor, the store or the sinks. There is no
 * authentication: listen on loopback (the default) or behind a proxy.
 *
 * The metrics writer (web_metrics_*) collects the samples of one scrape and renders them:
 * families sorted by name, each with its HELP and TYPE lines once, then its samples sorted
 * by their labels (themselves sorted by name), label values and help text escaped.
 *
 * One event base, one thread: the callbacks run from the event loop.
 */
#ifndef MXW_WEB_H
#define MXW_WEB_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct web;
struct web_metrics;

/* Content types of the responses. */
#define WEB_METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define WEB_JSON_TYPE "application/json"
#define WEB_TEXT_TYPE "text/plain; charset=utf-8"

enum web_metric_type { WEB_COUNTER, WEB_GAUGE };

/* Creates an empty metrics writer. */
struct web_metrics *web_metrics_new(void);
/* Frees it; NULL does nothing. */
void web_metrics_free(struct web_metrics *w);

/* Declares the family name ([a-zA-Z_:][a-zA-Z0-9_:]*) with its type and help text (one line;
 * a newline or backslash in it is escaped). A family is rendered, with its HELP and TYPE
 * lines, even when it has no sample. Declaring a family again keeps the first declaration.
 * Returns 0, or -1 when name is not a metric name (nothing is declared). */
int web_metrics_family(struct web_metrics *w, const char *name, enum web_metric_type type,
		       const char *help);

/* Adds a sample with value to the family name (declared before), with labels given as
 * name, value pairs and a NULL after the last: ("mxwatch_x", 1.0, "sink", "ops", NULL).
 * Label names are [a-zA-Z_][a-zA-Z0-9_]* not starting with "__"; values are any UTF-8 text
 * (backslash, double quote and newline are escaped). A sample with the same labels as an
 * earlier one of its family replaces it. Returns 0, or -1 (nothing added) for an undeclared
 * family, a bad label name, or a label given twice. */
int web_metrics_add(struct web_metrics *w, const char *name, double value, ...)
    __attribute__((sentinel));

/* Renders everything added, sorted (the same samples always give the same bytes). Returns
 * the text (caller frees) and its length in *len (may be NULL). */
char *web_metrics_render(struct web_metrics *w, size_t *len);

/* Where the endpoint's answers come from. Every member may be NULL. */
struct web_source {
	/* /metrics: adds the samples of one scrape to w. */
	void (*metrics)(struct web_metrics *w, void *arg);
	/* /status: returns a new reference the endpoint serialises and releases; NULL answers
	 * 500. Without it /status answers {}. */
	json_t *(*status)(void *arg);
	/* /-/ready: 200 when true, 503 when false. Without it: always ready. */
	bool (*ready)(void *arg);
	/* /-/healthy: 200 when true, 503 when false. Without it: healthy while the event loop
	 * answers. */
	bool (*healthy)(void *arg);
	void *arg;
};

/* Starts the endpoint on base, listening on listen ("HOST:PORT" with an IPv4 address, or
 * "[IPV6]:PORT"; port 0 takes any free port, see web_port). src is copied. Returns NULL
 * and *errstr (caller frees) when listen is malformed ("bad listen address ...") or cannot
 * be bound ("cannot listen on 127.0.0.1:9749: Address already in use"). */
struct web *web_new(struct event_base *base, const char *listen, const struct web_source *src,
		    char **errstr);

/* The port the endpoint listens on. */
int web_port(const struct web *w);

/* Stops listening, closes every connection and frees the endpoint; NULL does nothing. Must
 * not be called from inside one of its source's callbacks. */
void web_free(struct web *w);

#endif
