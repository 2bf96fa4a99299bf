#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testsecret.h"
#include "xmalloc.h"

/* Whether this process has written its secrets file yet (a forked child inherits it). */
static bool testsecret_started;

/* Makes the directory path unless it exists; exits 1 when it cannot. */
static void
testsecret_mkdir(const char *path)
{
	if (mkdir(path, 0777) != 0 && errno != EEXIST) {
		fprintf(stderr, "testsecret: cannot make %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

/* Records one secret of a check program for tests/secrets.test. */
void
testsecret(const char *program, const char *name, const char *value)
{
	const char *logs = getenv("MXW_DAEMON_LOGS");
	char *dir, *path;
	FILE *f;

	if (logs == NULL || *logs == '\0')
		return;
	dir = xasprintf("%s/%s", logs, program);
	path = xasprintf("%s/secrets", dir);
	testsecret_mkdir(logs);
	testsecret_mkdir(dir);
	f = fopen(path, testsecret_started ? "a" : "w");
	if (f == NULL || fprintf(f, "%s %s\n", name, value) < 0 || fclose(f) != 0) {
		fprintf(stderr, "testsecret: cannot write %s\n", path);
		exit(1);
	}
	testsecret_started = true;
	free(path);
	free(dir);
}
