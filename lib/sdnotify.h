/*
 * The service manager's notification protocol (sd_notify), written by hand so that mxwatchd
 * needs no libsystemd: "KEY=VALUE" lines sent as one datagram to the AF_UNIX socket named by
 * $NOTIFY_SOCKET (a path, or an abstract name written with a leading '@'). Without
 * $NOTIFY_SOCKET every call does nothing and succeeds. The watchdog interval comes from
 * $WATCHDOG_USEC (and $WATCHDOG_PID, when set, must be this process).
 */
#ifndef MXW_SDNOTIFY_H
#define MXW_SDNOTIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Sends state (one or more "KEY=VALUE" lines) to the socket named socket_name (a path, or
 * '@' and an abstract name). Returns 0, or -1 with *errstr (a name that is not absolute, too
 * long for a socket address, or a send that failed). */
int sdnotify_send_to(const char *socket_name, const char *state, char **errstr);

/* Sends state to $NOTIFY_SOCKET; does nothing when it is unset or empty. Returns 0 or -1 with
 * *errstr. */
int sdnotify_send(const char *state, char **errstr);

/* The service is up: "READY=1". */
int sdnotify_ready(char **errstr);
/* The configuration is being reloaded: "RELOADING=1" with the MONOTONIC_USEC that newer
 * service managers want to match the reload; READY=1 follows when it is done. */
int sdnotify_reloading(char **errstr);
/* The service is shutting down: "STOPPING=1". */
int sdnotify_stopping(char **errstr);
/* One line for `systemctl status`: "STATUS=" and status (a newline in it ends it there). */
int sdnotify_status(const char *status, char **errstr);
/* Keeps the watchdog from firing: "WATCHDOG=1". */
int sdnotify_watchdog(char **errstr);

/* Reads a watchdog interval: usec from $WATCHDOG_USEC and pid from $WATCHDOG_PID (either may
 * be NULL). True, with *interval_usec, when the watchdog is on for the process self: usec is
 * a positive decimal number and pid is NULL or self. */
bool sdnotify_watchdog_parse(const char *usec, const char *pid, pid_t self,
			     uint64_t *interval_usec);
/* The same from the environment, for this process. */
bool sdnotify_watchdog_enabled(uint64_t *interval_usec);

#endif
