/*
 * Test harness: a real NSD authoritative server on loopback, serving every NAME.zone file
 * of a directory. A NAME.zone fixture holds the records of the zone NAME (relative names,
 * no SOA): the harness adds the SOA, whose serial it bumps on every change, so that it can
 * wait until NSD serves the new data. NSD dies with the process that started it.
 */
#ifndef MXW_TESTNS_H
#define MXW_TESTNS_H

#include <stdbool.h>
#include <stdint.h>

struct testns;

/* Starts NSD on 127.0.0.1 (and ::1 when the host has it) on a free port with the zones of
 * zonedir, and waits until every zone answers. Returns NULL and *errstr (caller frees).
 * A NAME.broken-zone file is served as written so that NSD fails to load it and answers
 * SERVFAIL for NAME; it is not waited for. */
struct testns *testns_start(const char *zonedir, char **errstr);

/* Starts NSD with the project's fixture zones ($MXW_SRCDIR/tests/zones), for unit tests;
 * on failure prints why and exits 1. */
struct testns *testns_start_fixtures(void);

/* Re-opens a server started by another process from its work directory (for scripts). */
struct testns *testns_attach(const char *workdir, char **errstr);

/* "127.0.0.1:PORT"; borrowed. */
const char *testns_server(const struct testns *ns);
/* "[::1]:PORT", or NULL when the server does not listen on ::1; borrowed. */
const char *testns_server6(const struct testns *ns);
/* The work directory (config, zone files, log); borrowed. */
const char *testns_workdir(const struct testns *ns);

/* Replaces the records of zone with the text records (zone-file syntax, relative names),
 * reloads NSD and waits until the new data is served. Returns 0 or -1 with *errstr. */
int testns_set_zone(struct testns *ns, const char *zone, const char *records, char **errstr);

/* As testns_set_zone with the contents of a file. */
int testns_set_zone_file(struct testns *ns, const char *zone, const char *path, char **errstr);

/* Stops NSD and removes the work directory (when this process started it). NULL does
 * nothing. */
void testns_stop(struct testns *ns);

/* Reads a whole file into a NUL-terminated string (caller frees); NULL when it cannot
 * be read. */
char *testns_slurp(const char *path);

/* Frees an attached handle without stopping the server. */
void testns_detach(struct testns *ns);

#endif
