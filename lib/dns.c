#include "config.h"

#include <sys/queue.h>
#include <sys/socket.h>

#include <ares.h>
#include <arpa/inet.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "dns_pkt.h"
#include "xmalloc.h"

#define DNS_MAX_CHAIN_QUERIES 8
#define DNS_CLASS_IN 1

/* One query from submission to callback. */
struct dns_req {
	TAILQ_ENTRY(dns_req) link;
	struct dns_resolver *r;
	char *ask; /* the name asked now: qname, then each CNAME target followed */
	uint16_t type;
	int hops;
	dns_cb cb;
	void *arg;
	struct dns_result res;
};

TAILQ_HEAD(dns_req_list, dns_req);

/* The libevent watcher of one c-ares socket. */
struct dns_sock {
	struct event ev;
	bool added;
};

struct dns_resolver {
	struct event_base *base;
	ares_channel ch;
	struct event *timer; /* c-ares retransmits and timeouts; armed coarsely */
	struct event *pump;  /* moves queued queries into flight, outside callbacks */
	struct dns_req_list queue;
	size_t max_inflight;
	int sockbuf;
	int edns_size;
	struct dns_sock **socks; /* indexed by file descriptor */
	size_t nsocks;
	bool closing;
	struct dns_stats st;
};

/* Fills in the default options. */
void
dns_options_init(struct dns_options *o)
{
	memset(o, 0, sizeof(*o));
	o->timeout_ms = 2000;
	o->tries = 3;
	o->max_inflight = 1000;
	o->socket_buffer = 4 << 20;
	o->edns_size = 1232;
}

/* Splits a server address into family, address and port. */
int
dns_parse_server(const char *s, int *family, unsigned char addr[16], uint16_t *port, char **errstr)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *h = s, *p = NULL, *colon = strchr(s, ':');
	size_t hlen;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL || (close[1] != '\0' && close[1] != ':'))
			goto bad;
		h = s + 1;
		hlen = (size_t)(close - h);
		if (close[1] == ':')
			p = close + 2;
	} else if (colon != NULL && strchr(colon + 1, ':') == NULL) {
		hlen = (size_t)(colon - s);
		p = colon + 1;
	} else {
		hlen = strlen(s);
	}
	if (hlen == 0 || hlen >= sizeof(host))
		goto bad;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	*port = 53;
	if (p != NULL) {
		char *end;
		unsigned long v = strtoul(p, &end, 10);

		if (*p < '0' || *p > '9' || *end != '\0' || v == 0 || v > 65535) {
			*errstr = xasprintf("bad port in DNS server \"%s\": use 1-65535", s);
			return -1;
		}
		*port = (uint16_t)v;
	}
	if (inet_pton(AF_INET, host, addr) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, host, addr) == 1) {
		*family = AF_INET6;
		return 0;
	}
bad:
	*errstr = xasprintf("bad DNS server \"%s\": expected an IP address with an optional "
			    "port, as 192.0.2.53:53 or [2001:db8::53]:53",
			    s);
	return -1;
}

/* Runs the callback of a finished query and frees it. */
static void
req_finish(struct dns_req *req)
{
	struct dns_resolver *r = req->r;

	r->st.completed++;
	r->st.by_outcome[req->res.outcome]++;
	req->cb(&req->res, req->arg);
	dns_result_clear(&req->res);
	free(req->ask);
	free(req);
}

/* Finishes a query with an error outcome. */
static void
req_fail(struct dns_req *req, enum dns_outcome o, char *msg)
{
	req->res.outcome = o;
	free(req->res.error);
	req->res.error = msg;
	req_finish(req);
}

/* Arms the timer from ares_timeout() when queries are in flight and it is idle. */
static void
arm_timer(struct dns_resolver *r)
{
	struct timeval tv, *tvp;

	if (r->st.inflight == 0 || r->closing || evtimer_pending(r->timer, NULL))
		return;
	tvp = ares_timeout(r->ch, NULL, &tv);
	if (tvp != NULL)
		evtimer_add(r->timer, tvp);
}

/* Asks for the pump to run soon; with nothing left to do, drops the timer so that an
 * idle resolver keeps no event pending. */
static void
want_pump(struct dns_resolver *r)
{
	if (r->closing)
		return;
	if (!TAILQ_EMPTY(&r->queue))
		event_active(r->pump, 0, 0);
	else if (r->st.inflight == 0)
		evtimer_del(r->timer);
}

/* Translates a c-ares failure into an outcome and a message. */
static void
fail_from_status(struct dns_req *req, int status)
{
	switch (status) {
	case ARES_ETIMEOUT:
		req_fail(req, DNS_TIMEOUT, xstrdup("no answer from any server"));
		break;
	case ARES_ESERVFAIL:
		req_fail(req, DNS_SERVFAIL, xstrdup("the server could not answer (SERVFAIL)"));
		break;
	case ARES_EREFUSED:
		req_fail(req, DNS_REFUSED, xstrdup("the server refused to answer (REFUSED)"));
		break;
	case ARES_ECONNREFUSED:
		req_fail(req, DNS_ERROR, xstrdup("connection refused by every server"));
		break;
	case ARES_ENOTIMP:
		req_fail(req, DNS_ERROR, xstrdup("server does not implement this query (NOTIMP)"));
		break;
	case ARES_ECANCELLED:
	case ARES_EDESTRUCTION:
		req->res.cancelled = true;
		req_fail(req, DNS_ERROR, xstrdup("cancelled: resolver shut down"));
		break;
	default:
		req_fail(req, DNS_ERROR, xasprintf("query failed: %s", ares_strerror(status)));
		break;
	}
}

/* c-ares completion: reads the answer, follows a dangling CNAME chain, or finishes. */
static void
on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct dns_req *req = arg;
	struct dns_resolver *r = req->r;
	char *follow = NULL;

	r->st.inflight--;
	if (status != ARES_SUCCESS || abuf == NULL) {
		fail_from_status(req, status == ARES_SUCCESS ? ARES_EBADRESP : status);
		want_pump(r);
		return;
	}
	req->res.ttl = 0;
	if (dns_pkt_parse(abuf, (size_t)alen, req->ask, req->type, &req->res, &follow) == 0 &&
	    follow != NULL && !r->closing) {
		if (++req->hops >= DNS_MAX_CHAIN_QUERIES) {
			free(follow);
			req_fail(
			    req, DNS_ERROR,
			    xasprintf("CNAME chain longer than %d queries", DNS_MAX_CHAIN_QUERIES));
		} else {
			free(req->ask);
			req->ask = follow;
			TAILQ_INSERT_HEAD(&r->queue, req, link);
			r->st.queued++;
		}
		want_pump(r);
		return;
	}
	free(follow);
	req_finish(req);
	want_pump(r);
}

/* Sends one query to c-ares. */
static void
req_send(struct dns_resolver *r, struct dns_req *req)
{
	unsigned char *q;
	int qlen, rc;

	rc = ares_create_query(req->ask, DNS_CLASS_IN, req->type, 0, 1, &q, &qlen, r->edns_size);
	if (rc != ARES_SUCCESS) {
		req_fail(req, DNS_ERROR,
			 xasprintf("cannot ask for \"%s\": %s", req->ask, ares_strerror(rc)));
		return;
	}
	if (++r->st.inflight > r->st.max_inflight)
		r->st.max_inflight = r->st.inflight;
	ares_send(r->ch, q, qlen, on_answer, req);
	ares_free_string(q);
}

/* Moves queued queries into flight up to the bound. */
static void
pump_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dns_resolver *r = arg;
	struct dns_req *req;

	while (!r->closing && r->st.inflight < r->max_inflight &&
	       (req = TAILQ_FIRST(&r->queue)) != NULL) {
		TAILQ_REMOVE(&r->queue, req, link);
		r->st.queued--;
		req_send(r, req);
	}
	arm_timer(r);
}

/* Lets c-ares handle retransmits and timeouts. */
static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dns_resolver *r = arg;

	ares_process_fd(r->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	arm_timer(r);
}

/* Lets c-ares read or write one of its sockets. */
static void
sock_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dns_resolver *r = arg;

	ares_process_fd(r->ch, (what & EV_READ) ? fd : ARES_SOCKET_BAD,
			(what & EV_WRITE) ? fd : ARES_SOCKET_BAD);
	arm_timer(r);
}

/* c-ares tells which sockets it wants watched, and for what. */
static void
sock_state_cb(void *data, ares_socket_t fd, int readable, int writable)
{
	struct dns_resolver *r = data;
	struct dns_sock *s;

	if (fd < 0)
		return;
	if ((size_t)fd >= r->nsocks) {
		size_t n = (size_t)fd + 64;

		r->socks = xreallocarray(r->socks, n, sizeof(*r->socks));
		memset(r->socks + r->nsocks, 0, (n - r->nsocks) * sizeof(*r->socks));
		r->nsocks = n;
	}
	if ((s = r->socks[fd]) == NULL)
		s = r->socks[fd] = xcalloc(1, sizeof(*s));
	if (s->added) {
		event_del(&s->ev);
		s->added = false;
	}
	if (!readable && !writable)
		return;
	event_assign(&s->ev, r->base, fd,
		     (short)((readable ? EV_READ : 0) | (writable ? EV_WRITE : 0) | EV_PERSIST),
		     sock_cb, r);
	event_add(&s->ev, NULL);
	s->added = true;
}

/* Raises a new socket's buffers past the sysctl limit when privileged (ignored otherwise). */
static int
sock_create_cb(ares_socket_t fd, int type, void *data)
{
	struct dns_resolver *r = data;

	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &r->sockbuf, sizeof(r->sockbuf));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &r->sockbuf, sizeof(r->sockbuf));
	return 0;
}

/* Gives c-ares the configured servers. */
static int
set_servers(struct dns_resolver *r, const struct dns_options *o, char **errstr)
{
	struct ares_addr_port_node *nodes = xcalloc(o->nservers, sizeof(*nodes));
	int rc;

	for (size_t i = 0; i < o->nservers; i++) {
		uint16_t port;

		if (dns_parse_server(o->servers[i], &nodes[i].family,
				     (unsigned char *)&nodes[i].addr, &port, errstr) == -1) {
			free(nodes);
			return -1;
		}
		nodes[i].udp_port = nodes[i].tcp_port = port;
		nodes[i].next = i + 1 < o->nservers ? &nodes[i + 1] : NULL;
	}
	rc = ares_set_servers_ports(r->ch, nodes);
	free(nodes);
	if (rc != ARES_SUCCESS) {
		*errstr = xasprintf("cannot set DNS servers: %s", ares_strerror(rc));
		return -1;
	}
	return 0;
}

/* Creates a resolver. */
struct dns_resolver *
dns_new(struct event_base *base, const struct dns_options *o, char **errstr)
{
	struct dns_resolver *r;
	struct ares_options ao;
	int rc, mask;

	if (o->timeout_ms <= 0 || o->tries <= 0 || o->max_inflight == 0 || o->edns_size < 0 ||
	    o->edns_size > 65535 || o->socket_buffer < 0) {
		*errstr = xstrdup("resolver options out of range");
		return NULL;
	}
	rc = ares_library_init(ARES_LIB_INIT_ALL);
	if (rc != ARES_SUCCESS) {
		*errstr = xasprintf("cannot initialise c-ares: %s", ares_strerror(rc));
		return NULL;
	}
	r = xcalloc(1, sizeof(*r));
	r->base = base;
	r->max_inflight = o->max_inflight;
	r->sockbuf = o->socket_buffer;
	r->edns_size = o->edns_size;
	TAILQ_INIT(&r->queue);

	memset(&ao, 0, sizeof(ao));
	/* NOCHECKRESP: c-ares 1.18 reports a SERVFAIL or REFUSED answer as "connection
	 * refused"; take every answer and read its RCODE ourselves. */
	ao.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES | ARES_FLAG_NOCHECKRESP |
		   (o->edns_size ? ARES_FLAG_EDNS : 0);
	ao.timeout = o->timeout_ms;
	ao.tries = o->tries;
	ao.sock_state_cb = sock_state_cb;
	ao.sock_state_cb_data = r;
	ao.socket_send_buffer_size = o->socket_buffer;
	ao.socket_receive_buffer_size = o->socket_buffer;
	ao.ednspsz = o->edns_size;
	mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB;
	if (o->socket_buffer > 0)
		mask |= ARES_OPT_SOCK_SNDBUF | ARES_OPT_SOCK_RCVBUF;
	if (o->edns_size > 0)
		mask |= ARES_OPT_EDNSPSZ;
	rc = ares_init_options(&r->ch, &ao, mask);
	if (rc != ARES_SUCCESS) {
		*errstr = xasprintf("cannot initialise c-ares: %s", ares_strerror(rc));
		free(r);
		ares_library_cleanup();
		return NULL;
	}
	if (o->socket_buffer > 0)
		ares_set_socket_callback(r->ch, sock_create_cb, r);
	if (o->nservers > 0 && set_servers(r, o, errstr) == -1) {
		ares_destroy(r->ch);
		free(r);
		ares_library_cleanup();
		return NULL;
	}
	r->timer = evtimer_new(base, timer_cb, r);
	r->pump = event_new(base, -1, 0, pump_cb, r);
	return r;
}

/* Cancels everything pending and frees the resolver. */
void
dns_free(struct dns_resolver *r)
{
	struct dns_req *req;

	if (r == NULL)
		return;
	r->closing = true;
	while ((req = TAILQ_FIRST(&r->queue)) != NULL) {
		TAILQ_REMOVE(&r->queue, req, link);
		r->st.queued--;
		fail_from_status(req, ARES_EDESTRUCTION);
	}
	ares_destroy(r->ch); /* runs the callbacks of queries in flight */
	event_free(r->timer);
	event_free(r->pump);
	for (size_t i = 0; i < r->nsocks; i++) {
		if (r->socks[i] != NULL && r->socks[i]->added)
			event_del(&r->socks[i]->ev);
		free(r->socks[i]);
	}
	free(r->socks);
	free(r);
	ares_library_cleanup();
}

/* Queues one query. */
int
dns_query(struct dns_resolver *r, const char *name, uint16_t type, dns_cb cb, void *arg)
{
	struct dns_req *req;

	if (r->closing)
		return -1;
	req = xcalloc(1, sizeof(*req));
	req->r = r;
	req->ask = dns_name_canon(name);
	req->type = type;
	req->cb = cb;
	req->arg = arg;
	req->res.qname = xstrdup(req->ask);
	req->res.qtype = type;
	req->res.rcode = -1;
	req->res.outcome = DNS_ERROR;
	TAILQ_INSERT_TAIL(&r->queue, req, link);
	r->st.queued++;
	r->st.submitted++;
	event_active(r->pump, 0, 0);
	return 0;
}

/* Reports the counters. */
void
dns_get_stats(const struct dns_resolver *r, struct dns_stats *st)
{
	*st = r->st;
}
