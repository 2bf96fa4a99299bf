/* mxwatchd's HTTP endpoint (web_*): what /metrics, /status and /-/ready report of the
 * daemon, and starting the endpoint on a new address when a reload changes it. */
#ifndef MXW_ENDPOINT_H
#define MXW_ENDPOINT_H

#include "mxwatchd.h"

/* Points d->src at the callbacks that read d (d must outlive every endpoint made with it). */
void endpoint_init(struct daemon *d);

/* Starts the endpoint on addr for a reload, beside the running one, which it leaves alone
 * (the caller closes it once the new one is swapped in). Returns the new endpoint, or NULL
 * and *errstr ("cannot listen on ADDR: REASON") when addr cannot be listened on, as when
 * another process, or the running endpoint itself (the same port on an address that
 * overlaps its own, such as 0.0.0.0 for 127.0.0.1), holds it. */
struct web *endpoint_move(struct daemon *d, const char *addr, char **errstr);

#endif
