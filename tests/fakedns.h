/* An in-process fake DNS server on 127.0.0.1 for what a real server cannot do: answer
 * with malformed packets. It runs on the test's event base. */
#ifndef MXW_FAKEDNS_H
#define MXW_FAKEDNS_H

struct event_base;

enum fakedns_mode {
	FAKEDNS_GOOD,		/* one A record, 192.0.2.1, TTL 42 */
	FAKEDNS_TRUNCATED,	/* the good answer cut off inside its record */
	FAKEDNS_BAD_POINTER,	/* the answer's owner is a compression pointer past the end */
	FAKEDNS_POINTER_LOOP,	/* a CNAME whose target points at itself */
	FAKEDNS_WRONG_QUESTION, /* the question section names another name */
	FAKEDNS_SHORT,		/* seven bytes: less than a header */
	FAKEDNS_RDATA_OVERRUN,	/* RDLENGTH says more bytes than the packet has */
};

struct fakedns;

/* Binds a UDP socket on 127.0.0.1 and answers every query per mode. Aborts on failure. */
struct fakedns *fakedns_new(struct event_base *base, enum fakedns_mode mode);
/* "127.0.0.1:PORT"; borrowed. */
const char *fakedns_server(const struct fakedns *f);
/* Number of queries received. */
unsigned fakedns_queries(const struct fakedns *f);
/* Closes the socket; NULL does nothing. */
void fakedns_free(struct fakedns *f);

#endif
