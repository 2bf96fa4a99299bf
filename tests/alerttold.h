/*
 * alerttold: for tests/alertlog, what a sink's receiver last heard of each alert, against
 * the store at the end.
 *
 * It reads what the receiver last heard of each alert (a finding's domain/rule/subject;
 * changes, told once, are left out) from the requests answered 2xx, in log order,
 * whatever the sink's kind (Slack, PagerDuty, mxwatch.v1 or Alertmanager webhook), and
 * lines that up with the store at the end: an alert fires when its state is firing or the
 * sinks were told it fires (also as flapping), and a sink takes it by the routing given
 * after its path (min_severity SEVERITY, warning when none; every LABEL=VALUE among the
 * labels it was told with). PagerDuty is told incidents: an alert is heard firing while
 * the incident of the last trigger naming it is open. Prints per sink
 *
 *   SINK firing=F heard_firing=H hidden=N
 *
 * (F: alerts firing that the sink takes; H: alerts, for PagerDuty incidents, whose last
 * notification fired; N: alerts notifications counted without naming them), then
 *
 *   untold SINK KEY      an alert firing that the sink takes, last heard resolved or never
 *   stale SINK KEY       an alert (PagerDuty: an incident) last heard firing, that the store
 *                        has resolved or forgotten (PagerDuty: none of its alerts fires)
 */
#ifndef MXW_ALERTTOLD_H
#define MXW_ALERTTOLD_H

#include <sqlite3.h>
#include <stdio.h>

/* Checks sink name, whose requests have path in log (the receiver's, tests/httprecv.h),
 * against the store db; routing is the words after the path ("critical,team=mail": a
 * min_severity, LABEL=VALUE matchers, comma-separated). Prints what it found. Returns 0,
 * or -1 on a database error or a routing it cannot read. */
int alerttold_check(sqlite3 *db, FILE *log, const char *name, const char *path,
		    const char *routing);

#endif
