/* mxwatchd and its service manager: readiness, reloads, stopping, status and watchdog. */
#include "config.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "sdnotify.h"
#include "service.h"
#include "xmalloc.h"

/* The service manager's status line is refreshed at most this often (seconds). */
#define STATUS_EVERY_S 10

/* Notes how a notification went: a failure is logged once until one succeeds again. */
static void
service_told(struct daemon *d, int rc, char *err)
{
	if (rc == 0) {
		d->tell_failing = false;
		return;
	}
	if (!d->tell_failing)
		log_warnx("%s", err);
	d->tell_failing = true;
	free(err);
}

/* Sends one fixed notification (sdnotify_ready and the like) in daemon mode. */
void
service_tell(struct daemon *d, int (*send)(char **errstr))
{
	char *err = NULL;
	int rc;

	if (!d->service)
		return;
	rc = send(&err);
	service_told(d, rc, err);
}

/* Writes an interval as people write it: "5m", "1h", "90s". */
static void
format_interval(unsigned s, char *buf, size_t len)
{
	if (s > 0 && s % 3600 == 0)
		snprintf(buf, len, "%uh", s / 3600);
	else if (s > 0 && s % 60 == 0)
		snprintf(buf, len, "%um", s / 60);
	else
		snprintf(buf, len, "%us", s);
}

/* The status line: what is watched, how far it got, what went wrong. */
static char *
status_text(const struct daemon *d)
{
	struct monitor_stats st;
	char every[16], *s, *t;

	monitor_get_stats(d->m, &st);
	format_interval(d->interval_s, every, sizeof(every));
	s = xasprintf("%s %zu domain%s every %s; %llu check%s, %llu change%s since start",
		      d->stopping ? "stopping: was checking" : "checking", st.domains,
		      st.domains == 1 ? "" : "s", every, (unsigned long long)st.checks,
		      st.checks == 1 ? "" : "s", (unsigned long long)st.changes,
		      st.changes == 1 ? "" : "s");
	if (st.store_errors > 0) {
		t = xasprintf("%s; %llu store error%s", s, (unsigned long long)st.store_errors,
			      st.store_errors == 1 ? "" : "s");
		free(s);
		s = t;
	}
	if (d->reload_failed) {
		t = xasprintf("%s; reload failed, running the previous configuration", s);
		free(s);
		s = t;
	}
	return s;
}

/* Sends the status line when it changed since the last one sent (or always, with force). */
void
service_status(struct daemon *d, bool force)
{
	char *s, *err = NULL;
	int rc;

	if (!d->service)
		return;
	s = status_text(d);
	if (!force && d->status_sent != NULL && strcmp(s, d->status_sent) == 0) {
		free(s);
		return;
	}
	rc = sdnotify_status(s, &err);
	service_told(d, rc, err);
	free(d->status_sent);
	d->status_sent = s;
}

/* Every few seconds: the status line, when it changed. */
static void
status_tick(evutil_socket_t fd, short what, void *arg)
{
	service_status(arg, false);
}

/* Half the watchdog interval: tells the manager the event loop still turns. */
static void
watchdog_tick(evutil_socket_t fd, short what, void *arg)
{
	service_tell(arg, sdnotify_watchdog);
}

/* Starts the status timer and, when the manager wants one, the watchdog ping. */
void
service_start(struct daemon *d)
{
	struct timeval every = {STATUS_EVERY_S, 0};
	uint64_t usec;

	d->status_timer = event_new(d->base, -1, EV_PERSIST, status_tick, d);
	event_add(d->status_timer, &every);
	if (sdnotify_watchdog_enabled(&usec)) {
		uint64_t half = usec / 2 > 1000 ? usec / 2 : 1000;
		struct timeval tv = {(time_t)(half / 1000000), (suseconds_t)(half % 1000000)};

		d->watchdog = event_new(d->base, -1, EV_PERSIST, watchdog_tick, d);
		event_add(d->watchdog, &tv);
		service_tell(d, sdnotify_watchdog);
	}
	service_tell(d, sdnotify_ready);
	service_status(d, true);
}

/* Frees what service_start made. */
void
service_free(struct daemon *d)
{
	if (d->status_timer != NULL)
		event_free(d->status_timer);
	if (d->watchdog != NULL)
		event_free(d->watchdog);
	d->status_timer = NULL;
	d->watchdog = NULL;
	free(d->status_sent);
	d->status_sent = NULL;
}
