/* What the commands of mxwatch share: option errors, the state database, times. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>
#include <time.h>

#include "cfg.h"
#include "cli.h"
#include "store.h"
#include "store_query.h"
#include "xmalloc.h"

/* Reports an unknown option or a missing value. */
void
cli_option_error(const char *cmd, int c, char **argv)
{
	const char *opt = optind > 0 ? argv[optind - 1] : "";

	if (c == ':')
		fprintf(stderr, "mxwatch: %s: option \"%s\" needs a value\n", cmd, opt);
	else if (optopt != 0)
		fprintf(stderr, "mxwatch: %s: unknown option \"-%c\"\n", cmd, optopt);
	else
		fprintf(stderr, "mxwatch: %s: unknown option \"%.*s\"\n", cmd,
			(int)strcspn(opt, "="), opt);
}

/* Reads a whole number option. */
int
parse_count(const char *opt, const char *s, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v <= 0 || v > max) {
		fprintf(stderr, "mxwatch: %s wants a whole number from 1 to %ld, not \"%s\"\n", opt,
			max, s);
		return -1;
	}
	*out = v;
	return 0;
}

/* Opens the state database read-only, reading no secret of the configuration. */
struct store *
cli_open_state(const char *config, const char *state, struct cfg **cfgp)
{
	struct cfg *c = NULL;
	struct store *st = NULL;
	char *err = NULL, *path;
	struct stat sb;

	if (cfgp != NULL)
		*cfgp = NULL;
	if (state != NULL) {
		path = xstrdup(state);
	} else {
		if (cfg_load_flags(config, CFG_NO_SECRETS, &c, &err) != 0) {
			fprintf(stderr, "%s\n", err);
			free(err);
			return NULL;
		}
		path = xstrdup(c->state);
	}
	if (stat(path, &sb) != 0) {
		if (errno == ENOENT)
			fprintf(stderr,
				"mxwatch: no state database at %s (has mxwatchd run yet?)\n", path);
		else
			fprintf(stderr, "mxwatch: cannot read the state database at %s: %s\n", path,
				strerror(errno));
	} else if (store_open_readonly(path, CLI_BUSY_MS, &st, &err) != 0) {
		fprintf(stderr, "mxwatch: %s\n", err);
		free(err);
	}
	free(path);
	if (st != NULL && cfgp != NULL)
		*cfgp = c;
	else
		cfg_free(c);
	return st;
}

/* Formats a Unix time for a person. */
const char *
cli_fmt_time(int64_t t, char *buf, size_t size)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t == 0)
		return "never";
	gmtime_r(&tt, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm);
	return buf;
}

/* Formats a Unix time as ISO 8601. */
const char *
cli_iso_time(int64_t t, char *buf, size_t size)
{
	struct tm tm;
	time_t tt = (time_t)t;

	gmtime_r(&tt, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

/* Formats a duration for a person, to the minute (a clock a little off shows "<1m"). */
const char *
cli_fmt_age(int64_t secs, char *buf, size_t size)
{
	long long m = secs / 60;

	if (m < 1)
		snprintf(buf, size, "<1m");
	else if (m < 60)
		snprintf(buf, size, "%lldm", m);
	else if (m < 24 * 60)
		snprintf(buf, size, "%lldh%lldm", m / 60, m % 60);
	else
		snprintf(buf, size, "%lldd%lldh", m / (24 * 60), m % (24 * 60) / 60);
	return buf;
}

/* Formats a duration exactly, largest unit first: "90s" as "1m30s", "1d", "1h30m", "0s". */
const char *
cli_fmt_duration(int64_t secs, char *buf, size_t size)
{
	static const struct {
		int64_t secs;
		char unit;
	} units[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
	size_t n = 0;

	buf[0] = '\0';
	if (secs <= 0) {
		snprintf(buf, size, "0s");
		return buf;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]) && n < size; i++) {
		if (secs >= units[i].secs) {
			int w = snprintf(buf + n, size - n, "%lld%c",
					 (long long)(secs / units[i].secs), units[i].unit);

			if (w < 0)
				break;
			n += (size_t)w;
			secs %= units[i].secs;
		}
	}
	return buf;
}
