/* mxwatchd's HTTP endpoint (web_*): what /metrics, /status and /-/ready report of the
 * daemon, and moving the endpoint when a reload changes its address. */
#ifndef MXW_ENDPOINT_H
#define MXW_ENDPOINT_H

#include "mxwatchd.h"

/* Points d->src at the callbacks that read d (d must outlive every endpoint made with it). */
void endpoint_init(struct daemon *d);

/* Starts the endpoint on addr for a reload: beside the running one, or in its place when
 * both cannot listen at once (the same port on another address). Returns the new endpoint
 * (the caller swaps it in), or NULL and *errstr when addr cannot be listened on; the
 * running endpoint is then kept (restarted on its address if it had to go). */
struct web *endpoint_move(struct daemon *d, const char *addr, char **errstr);

/* Restarts the endpoint on its running address (d->listen) when a move left it down. */
void endpoint_restore(struct daemon *d);

#endif
