#include "config.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fakedns.h"
#include "log.h"
#include "xmalloc.h"

struct fakedns {
	int fd;
	struct event *ev;
	enum fakedns_mode mode;
	unsigned queries;
	char server[32];
};

/* Builds the reply to query q (qlen bytes) into r; returns its length. */
static size_t
build_reply(enum fakedns_mode mode, const uint8_t *q, size_t qlen, uint8_t *r)
{
	size_t qend = 12, o;
	static const uint8_t a_rr[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 42, 0, 4, 192, 0, 2, 1};

	if (mode == FAKEDNS_SHORT) {
		memcpy(r, q, 7);
		return 7;
	}
	/* The question: the name, then type and class. */
	while (qend < qlen && q[qend] != 0)
		qend += (size_t)q[qend] + 1;
	qend += 5;
	if (qend > qlen)
		return 0;
	memcpy(r, q, qend);
	r[2] = 0x84; /* QR, AA */
	r[3] = 0x00;
	r[6] = 0, r[7] = 1;   /* ANCOUNT */
	r[8] = 0, r[9] = 0;   /* NSCOUNT */
	r[10] = 0, r[11] = 0; /* ARCOUNT: no OPT echoed */
	o = qend;
	switch (mode) {
	case FAKEDNS_GOOD:
	case FAKEDNS_WRONG_QUESTION:
	case FAKEDNS_TRUNCATED:
		memcpy(r + o, a_rr, sizeof(a_rr));
		o += sizeof(a_rr);
		if (mode == FAKEDNS_WRONG_QUESTION)
			r[13] ^= 0x01; /* flip a bit of the first label's first letter */
		if (mode == FAKEDNS_TRUNCATED)
			o -= 9;
		break;
	case FAKEDNS_BAD_POINTER:
		memcpy(r + o, a_rr, sizeof(a_rr));
		r[o] = 0xc1, r[o + 1] = 0xff;
		o += sizeof(a_rr);
		break;
	case FAKEDNS_POINTER_LOOP: {
		/* owner -> question; type CNAME; rdata: a pointer to itself. */
		static const uint8_t cn[] = {0xc0, 0x0c, 0, 5, 0, 1, 0, 0, 0, 42, 0, 2};

		memcpy(r + o, cn, sizeof(cn));
		o += sizeof(cn);
		r[o] = (uint8_t)(0xc0 | (o >> 8));
		r[o + 1] = (uint8_t)o;
		o += 2;
		break;
	}
	case FAKEDNS_RDATA_OVERRUN:
		memcpy(r + o, a_rr, sizeof(a_rr));
		r[o + 11] = 200; /* RDLENGTH 200, four bytes present */
		o += sizeof(a_rr);
		break;
	case FAKEDNS_SHORT:
		break;
	}
	return o;
}

/* Answers one datagram. */
static void
fake_read(evutil_socket_t fd, short what, void *arg)
{
	struct fakedns *f = arg;
	uint8_t q[4096], r[4200];
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	ssize_t n = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
	size_t rl;

	if (n < 12)
		return;
	f->queries++;
	rl = build_reply(f->mode, q, (size_t)n, r);
	if (rl > 0)
		(void)sendto(fd, r, rl, 0, (struct sockaddr *)&from, fl);
}

/* Starts a fake server. */
struct fakedns *
fakedns_new(struct event_base *base, enum fakedns_mode mode)
{
	struct fakedns *f = xcalloc(1, sizeof(*f));
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sin);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->mode = mode;
	f->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (f->fd < 0 || bind(f->fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    getsockname(f->fd, (struct sockaddr *)&sin, &sl) != 0)
		fatal("fakedns: cannot bind 127.0.0.1");
	snprintf(f->server, sizeof(f->server), "127.0.0.1:%u", ntohs(sin.sin_port));
	f->ev = event_new(base, f->fd, EV_READ | EV_PERSIST, fake_read, f);
	event_add(f->ev, NULL);
	return f;
}

const char *
fakedns_server(const struct fakedns *f)
{
	return f->server;
}

unsigned
fakedns_queries(const struct fakedns *f)
{
	return f->queries;
}

void
fakedns_free(struct fakedns *f)
{
	if (f == NULL)
		return;
	event_free(f->ev);
	close(f->fd);
	free(f);
}
