/* mxwatchd: the state of one running daemon, shared by its modules in daemon/ (mxwatchd.c
 * wires lib/ together; conf.c loads and reloads the configuration; service.c talks to the
 * service manager; endpoint.c answers HTTP). */
#ifndef MXW_MXWATCHD_H
#define MXW_MXWATCHD_H

#include <stdbool.h>
#include <stdint.h>

#include "cfg.h"
#include "deliver.h"
#include "dns.h"
#include "http.h"
#include "monitor.h"
#include "prov.h"
#include "store.h"
#include "web.h"

struct event;
struct event_base;

struct daemon {
	struct event_base *base;
	const char *config_path;
	struct dns_resolver *r; /* NULL once the checks still running were cancelled */
	struct store *st;
	struct prov *prov;
	struct monitor *m;
	struct http_client *http;
	struct deliver *dl; /* NULL in a dry run */
	bool json;
	bool once;
	bool dry_run;
	bool log_level_given; /* --log-level was given: it wins over log.level */
	int status;
	bool once_over; /* --once: every check was started and is over */
	/* The findings of the checks by severity, for the status of --once; dns.lookup-failed
	 * is left out: the set it reports is unknown, and that makes the status unknown. */
	uint64_t findings[SEV_CRITICAL + 1];
	struct event *sigterm, *sigint, *sighup, *stop_timer;
	/* The HTTP endpoint (NULL when off and with --once) and the address it listens on. */
	struct web *web;
	struct web_source src;
	char *listen;
	const struct cfg *cfg; /* the running configuration (the monitor owns it) */
	bool ready;	       /* checking on schedule, not stopping */
	bool reload_ok;	       /* the last load of the configuration (start or SIGHUP) worked */
	int64_t reload_at;     /* when the running configuration was loaded */
	/* Talking to the service manager (daemon mode only). */
	bool service;		    /* not --once: READY, RELOADING, STOPPING, STATUS, WATCHDOG */
	unsigned interval_s;	    /* schedule.interval of the running configuration */
	bool reload_failed;	    /* the last SIGHUP kept the old configuration */
	bool stopping;		    /* SIGTERM or SIGINT came */
	bool tell_failing;	    /* the last notification failed (logged once) */
	char *status_sent;	    /* the last STATUS line sent */
	struct event *status_timer; /* refreshes the STATUS line */
	struct event *watchdog;	    /* WATCHDOG=1 at half the manager's interval */
};

#endif
