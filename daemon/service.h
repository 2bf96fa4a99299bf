/* mxwatchd and its service manager (sd_notify): READY, RELOADING, STOPPING, a STATUS line
 * kept current, WATCHDOG pings. Everything here does nothing unless d->service is set. */
#ifndef MXW_SERVICE_H
#define MXW_SERVICE_H

#include <stdbool.h>

#include "mxwatchd.h"

/* Starts the status timer and, when the manager wants one, the watchdog ping; then tells
 * the manager the daemon is ready. */
void service_start(struct daemon *d);
/* Frees the timers and the last status line; the daemon's event base must still exist. */
void service_free(struct daemon *d);

/* Sends one fixed notification (sdnotify_ready and the like); a failure is logged once until
 * one succeeds again. */
void service_tell(struct daemon *d, int (*send)(char **errstr));
/* Sends the status line when it changed since the last one sent (or always, with force). */
void service_status(struct daemon *d, bool force);

#endif
