/* Delivery of the outbox: one queue per sink, backoff, rate limits, permanent errors. */
#include "config.h"

#include <sys/time.h>

#include <event2/event.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deliver.h"
#include "log.h"
#include "sink.h"
#include "xmalloc.h"

/* How long a store error pauses a sink, in seconds. */
#define STORE_PAUSE 5

/* Where a sink is. */
enum dstate {
	D_IDLE, /* nothing pending, or the head waits past the idle horizon */
	D_WAIT, /* the head is due soon (backoff or the rate limit): the timer is armed */
	D_BUSY, /* a request is in flight */
};

/* One sink's queue. */
struct dsink {
	struct deliver *d;
	struct cfg_sink cfg; /* copied: name, type, url, routing_key, secret, allow_http */
	bool active;	     /* still configured */
	enum dstate state;
	long long wait_until; /* D_WAIT and D_IDLE: when the head is due (0: no head) */
	long long last_ms;    /* when the last request went out */
	struct event *timer;
	/* The notification in flight. */
	int64_t id;
	int attempts;
	struct deliver_stats stats; /* this sink's share of the counters */
};

struct deliver {
	struct event_base *base;
	struct http_client *http;
	struct store *st;
	struct dsink **sinks;
	size_t nsinks;
	struct deliver_stats stats;
	long long backoff_first;
	void (*idle_fn)(void *arg);
	void *idle_arg;
	long long idle_horizon;
	struct event *idle_ev;
};

static void serve(struct dsink *s);

/* Returns the time in milliseconds. */
static long long
now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* Returns a random number in [0, 1). */
static double
jitter(void)
{
	uint32_t r = 0;

	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = (uint32_t)rand();
	return (double)r / 4294967296.0;
}

/* The backoff before the next attempt. */
long long
deliver_backoff(int n, long long first, double r, long long retry_after)
{
	long long base = first > 0 ? first : 1, lo, hi, delay;

	for (int i = 1; i < n && base < DELIVER_BACKOFF_MAX; i++)
		base *= 2;
	if (base > DELIVER_BACKOFF_MAX)
		base = DELIVER_BACKOFF_MAX;
	/* Whole seconds from ceil(0.8 base) to floor(1.2 base), drawn evenly: never below one
	 * second, never rounded down to less than 80%. */
	lo = (4 * base + 4) / 5;
	hi = 6 * base / 5;
	delay = lo + (long long)(r * (double)(hi - lo + 1));
	if (delay < lo)
		delay = lo;
	if (delay > hi)
		delay = hi;
	if (retry_after >= 0 && delay < retry_after)
		delay = retry_after < 86400 ? retry_after : 86400;
	return delay;
}

/* The least interval between requests to a sink. */
long
deliver_min_interval_ms(const struct cfg_sink *s)
{
	switch (s->type) {
	case CFG_SINK_SLACK:
		return 1000; /* Slack: about one message a second per webhook */
	case CFG_SINK_PAGERDUTY:
		return 500; /* PagerDuty: about 120 events a minute per key */
	case CFG_SINK_WEBHOOK:
		return 0;
	}
	return 0;
}

/* Creates the delivery. */
struct deliver *
deliver_new(struct event_base *base, struct http_client *http, struct store *st)
{
	struct deliver *d = xcalloc(1, sizeof(*d));

	d->base = base;
	d->http = http;
	d->st = st;
	return d;
}

/* Frees a sink's copied configuration. */
static void
sink_cfg_clear(struct cfg_sink *c)
{
	free(c->name);
	free(c->url);
	if (c->routing_key != NULL)
		explicit_bzero(c->routing_key, strlen(c->routing_key));
	free(c->routing_key);
	if (c->secret != NULL)
		explicit_bzero(c->secret, strlen(c->secret));
	free(c->secret);
	memset(c, 0, sizeof(*c));
}

/* Copies what delivery needs of a sink's configuration. */
static void
sink_cfg_copy(struct cfg_sink *to, const struct cfg_sink *from)
{
	memset(to, 0, sizeof(*to));
	to->name = xstrdup(from->name);
	to->type = from->type;
	to->url = from->url ? xstrdup(from->url) : NULL;
	to->routing_key = from->routing_key ? xstrdup(from->routing_key) : NULL;
	to->secret = from->secret ? xstrdup(from->secret) : NULL;
	to->format = from->format;
	to->allow_http = from->allow_http;
	to->min_severity = from->min_severity;
}

/* Frees the delivery. */
void
deliver_free(struct deliver *d)
{
	if (d == NULL)
		return;
	d->idle_fn = NULL;
	/* Cancelled requests call back: they must find their sinks still there. */
	for (size_t i = 0; i < d->nsinks; i++)
		d->sinks[i]->active = false;
	http_cancel_all(d->http);
	for (size_t i = 0; i < d->nsinks; i++) {
		event_free(d->sinks[i]->timer);
		sink_cfg_clear(&d->sinks[i]->cfg);
		free(d->sinks[i]);
	}
	free(d->sinks);
	if (d->idle_ev != NULL)
		event_free(d->idle_ev);
	free(d);
}

/* Timer: serves a sink. */
static void
sink_timer(evutil_socket_t fd, short what, void *arg)
{
	serve(arg);
}

/* Takes the configured sinks. */
void
deliver_set_config(struct deliver *d, const struct cfg *c)
{
	d->backoff_first = c->alerting.retry_backoff_s;
	for (size_t i = 0; i < d->nsinks; i++)
		d->sinks[i]->active = false;
	for (size_t j = 0; j < c->nsinks; j++) {
		struct dsink *s = NULL;

		for (size_t i = 0; i < d->nsinks && s == NULL; i++)
			if (strcmp(d->sinks[i]->cfg.name, c->sinks[j].name) == 0)
				s = d->sinks[i];
		if (s == NULL) {
			s = xcalloc(1, sizeof(*s));
			s->d = d;
			s->timer = evtimer_new(d->base, sink_timer, s);
			d->sinks = xreallocarray(d->sinks, d->nsinks + 1, sizeof(*d->sinks));
			d->sinks[d->nsinks++] = s;
		} else {
			sink_cfg_clear(&s->cfg);
		}
		sink_cfg_copy(&s->cfg, &c->sinks[j]);
		s->active = true;
	}
	deliver_kick(d);
}

/* Tells whether a sink has nothing to do before now + horizon. */
static bool
sink_idle(const struct dsink *s, long long now, long long horizon)
{
	if (!s->active)
		return true;
	if (s->state == D_BUSY)
		return false;
	return s->wait_until == 0 || s->wait_until > now + horizon;
}

/* Tells whether the delivery is idle. */
bool
deliver_idle(const struct deliver *d)
{
	long long now = time(NULL);

	for (size_t i = 0; i < d->nsinks; i++)
		if (!sink_idle(d->sinks[i], now, 0))
			return false;
	return true;
}

/* Event: calls the idle callback. */
static void
idle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct deliver *d = arg;
	void (*fn)(void *) = d->idle_fn;
	long long now = time(NULL);

	if (fn == NULL)
		return;
	for (size_t i = 0; i < d->nsinks; i++)
		if (!sink_idle(d->sinks[i], now, d->idle_horizon))
			return;
	d->idle_fn = NULL;
	fn(d->idle_arg);
}

/* Looks whether the idle callback is due, from the loop. */
static void
check_idle(struct deliver *d)
{
	if (d->idle_fn != NULL)
		event_active(d->idle_ev, 0, 0);
}

/* Asks for fn once idle. */
void
deliver_when_idle(struct deliver *d, long long horizon_s, void (*fn)(void *arg), void *arg)
{
	if (d->idle_ev == NULL)
		d->idle_ev = event_new(d->base, -1, 0, idle_cb, d);
	d->idle_fn = fn;
	d->idle_arg = arg;
	d->idle_horizon = horizon_s;
	check_idle(d);
}

/* Arms a sink's timer in ms milliseconds. */
static void
arm(struct dsink *s, long long ms)
{
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};

	evtimer_add(s->timer, &tv);
}

/* Has a sink look at its queue from the loop; until then it is not idle. */
static void
soon(struct dsink *s)
{
	s->state = D_WAIT;
	s->wait_until = time(NULL);
	arm(s, 0);
}

/* Notes a store error: the sink pauses and tries again. */
static void
store_trouble(struct dsink *s, char *err)
{
	log_warnx("sink %s: %s", s->cfg.name, err);
	free(err);
	s->state = D_WAIT;
	s->wait_until = time(NULL) + STORE_PAUSE;
	arm(s, STORE_PAUSE * 1000);
}

/* A request is over. */
static void
request_done(const struct http_result *res, void *arg)
{
	struct dsink *s = arg;
	struct deliver *d = s->d;
	long long now = time(NULL);
	char *err = NULL, what[64];
	int rc = 0;

	s->state = D_IDLE;
	if (res->cancelled || !s->active)
		return; /* it stays pending in the outbox */
	if (res->status != 0)
		snprintf(what, sizeof(what), "HTTP %d", res->status);
	else
		snprintf(what, sizeof(what), "%s", res->error ? res->error : "no response");
	switch (res->verdict) {
	case HTTP_OK:
		rc = store_outbox_done(d->st, s->id, now, &err);
		d->stats.sent++;
		s->stats.sent++;
		log_debug("sink %s: notification %lld delivered (%s)", s->cfg.name,
			  (long long)s->id, what);
		break;
	case HTTP_RETRY: {
		long long delay =
		    deliver_backoff(s->attempts + 1, d->backoff_first, jitter(), res->retry_after);

		/* The next Unix second at least delay seconds from now, so that the attempt
		 * never comes early (the store keeps whole seconds). */
		long long next = (now_ms() + delay * 1000 + 999) / 1000;

		rc = store_outbox_retry(d->st, s->id, s->attempts + 1, next, what, &err);
		d->stats.retried++;
		s->stats.retried++;
		log_warnx("sink %s: notification %lld not delivered (%s), attempt %d; trying "
			  "again in %llds",
			  s->cfg.name, (long long)s->id, what, s->attempts + 1, delay);
		break;
	}
	case HTTP_PERMANENT:
		rc = store_outbox_dead(d->st, s->id, s->attempts + 1, what, &err);
		d->stats.dead++;
		s->stats.dead++;
		log_warnx("sink %s: notification %lld given up: %s is a permanent error (check "
			  "the sink's URL and key)",
			  s->cfg.name, (long long)s->id, what);
		break;
	}
	if (rc != 0) {
		store_trouble(s, err);
		check_idle(d);
		return;
	}
	soon(s);
}

/* Copies the head of a sink's queue. */
struct head {
	bool found;
	int64_t id;
	int attempts;
	long long next_attempt;
	char *payload;
};

static void
take_head(const struct store_outbox *o, void *arg)
{
	struct head *h = arg;

	h->found = true;
	h->id = o->id;
	h->attempts = o->attempts;
	h->next_attempt = o->next_attempt;
	h->payload = xstrdup(o->payload);
}

/* Sends a sink's next notification when it is due. */
static void
serve(struct dsink *s)
{
	struct deliver *d = s->d;
	struct head h = {0};
	long long ms = now_ms(), now = ms / 1000, gap;
	char *err = NULL, *body, msg_id[32], **headers;
	size_t nheaders = 0;
	struct http_request req = {0};

	if (!s->active || s->state == D_BUSY)
		return;
	if (store_outbox_head(d->st, s->cfg.name, take_head, &h, &err) < 0) {
		store_trouble(s, err);
		check_idle(d);
		return;
	}
	if (!h.found) {
		s->state = D_IDLE;
		s->wait_until = 0;
		check_idle(d);
		return;
	}
	if (h.next_attempt * 1000 > ms) {
		s->state = D_WAIT;
		s->wait_until = h.next_attempt;
		arm(s, h.next_attempt * 1000 - ms);
		free(h.payload);
		check_idle(d);
		return;
	}
	gap = s->last_ms + deliver_min_interval_ms(&s->cfg) - ms;
	if (s->last_ms != 0 && gap > 0) {
		s->state = D_WAIT;
		s->wait_until = now;
		arm(s, gap);
		free(h.payload);
		return;
	}
	snprintf(msg_id, sizeof(msg_id), "msg_%lld", (long long)h.id);
	body = sink_send_body(&s->cfg, h.payload);
	headers = sink_headers(&s->cfg, msg_id, now, body, &nheaders);
	req.url = sink_url(&s->cfg);
	req.body = body;
	req.headers = headers;
	req.nheaders = nheaders;
	req.allow_http = s->cfg.allow_http;
	s->id = h.id;
	s->attempts = h.attempts;
	s->last_ms = ms;
	if (http_post(d->http, &req, request_done, s, &err) == 0) {
		s->state = D_BUSY;
	} else {
		/* The request cannot even be made (a malformed URL or header): permanent. */
		char *serr = NULL;

		log_warnx("sink %s: notification %lld given up: %s", s->cfg.name, (long long)h.id,
			  err);
		free(err);
		if (store_outbox_dead(d->st, h.id, h.attempts + 1, "the request could not be made",
				      &serr) != 0)
			store_trouble(s, serr);
		else
			soon(s);
		d->stats.dead++;
		s->stats.dead++;
	}
	if (body != NULL)
		explicit_bzero(body, strlen(body));
	free(body);
	for (size_t i = 0; i < nheaders; i++)
		free(headers[i]);
	free(headers);
	free(h.payload);
}

/* Looks at every sink's queue. */
void
deliver_kick(struct deliver *d)
{
	for (size_t i = 0; i < d->nsinks; i++)
		if (d->sinks[i]->active && d->sinks[i]->state != D_BUSY)
			soon(d->sinks[i]);
	check_idle(d);
}

/* Copies the counters. */
void
deliver_get_stats(const struct deliver *d, struct deliver_stats *st)
{
	*st = d->stats;
}

/* Copies the counters of one sink. */
bool
deliver_get_sink_stats(const struct deliver *d, const char *sink, struct deliver_stats *st)
{
	for (size_t i = 0; i < d->nsinks; i++) {
		if (strcmp(d->sinks[i]->cfg.name, sink) == 0) {
			*st = d->sinks[i]->stats;
			return true;
		}
	}
	memset(st, 0, sizeof(*st));
	return false;
}
