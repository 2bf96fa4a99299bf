/*
 * testns-run: runs a command beside a real NSD serving a directory of zone fixtures.
 *
 *   testns-run ZONEDIR -- COMMAND [ARG]...
 *       starts NSD on loopback, runs COMMAND with MXW_DNS_SERVER (127.0.0.1:PORT),
 *       MXW_DNS_SERVER6 ([::1]:PORT, when served) and MXW_TESTNS_DIR set, stops NSD
 *       however COMMAND ends, and exits with COMMAND's status.
 *   testns-run --set-zone ZONE FILE
 *       from inside COMMAND: replaces ZONE's records with FILE and waits until they are
 *       served.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testns.h"
#include "testrun.h"

/* Changes one zone of the server this process runs under. */
static int
set_zone(const char *zone, const char *file)
{
	const char *dir = getenv("MXW_TESTNS_DIR");
	struct testns *ns;
	char *err = NULL;
	int rc;

	if (dir == NULL) {
		fprintf(stderr, "testns-run: --set-zone works only under testns-run\n");
		return 2;
	}
	if ((ns = testns_attach(dir, &err)) == NULL) {
		fprintf(stderr, "testns-run: %s\n", err);
		free(err);
		return 1;
	}
	rc = testns_set_zone_file(ns, zone, file, &err);
	if (rc != 0) {
		fprintf(stderr, "testns-run: %s\n", err);
		free(err);
	}
	testns_detach(ns);
	return rc == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct testns *ns;
	char *err = NULL;
	int rc;

	if (argc == 4 && strcmp(argv[1], "--set-zone") == 0)
		return set_zone(argv[2], argv[3]);
	if (argc < 4 || strcmp(argv[2], "--") != 0) {
		fprintf(stderr, "usage: testns-run ZONEDIR -- COMMAND [ARG]...\n"
				"       testns-run --set-zone ZONE FILE\n");
		return 2;
	}
	if ((ns = testns_start(argv[1], &err)) == NULL) {
		fprintf(stderr, "testns-run: %s\n", err);
		free(err);
		return 1;
	}
	setenv("MXW_DNS_SERVER", testns_server(ns), 1);
	if (testns_server6(ns) != NULL)
		setenv("MXW_DNS_SERVER6", testns_server6(ns), 1);
	setenv("MXW_TESTNS_DIR", testns_workdir(ns), 1);
	rc = testrun_command("testns-run", argv + 3);
	testns_stop(ns);
	return rc == -1 ? 1 : rc;
}
