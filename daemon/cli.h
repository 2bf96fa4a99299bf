/* What the commands of mxwatch share: exit statuses, option errors, the state database. */
#ifndef MXW_CLI_H
#define MXW_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct cfg;
struct store;

#define CLI_DEFAULT_CONFIG "/etc/mxwatch/mxwatch.yaml"

/* The exit statuses every command shares (Nagios: 3 is "unknown"). */
#define CLI_EXIT_UNKNOWN 3
#define CLI_EXIT_USAGE 64

/* How long a command waits for a lock mxwatchd holds on the state database (ms). */
#define CLI_BUSY_MS 2000

/* Runs "mxwatch history|show|status ..."; argv[0] is the command. Each prints to stdout,
 * errors to stderr, and returns its exit status (see mxwatch(1)). */
int cmd_history(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_status(int argc, char **argv);

/* Reads a whole number from 1 to max for option opt into *out; prints why not and returns
 * -1 when s is not one. */
int parse_count(const char *opt, const char *s, long max, long *out);

/* Reports the getopt_long result c ('?' for an unknown option, ':' for a missing value) of
 * command cmd on stderr; argv is the command's. */
void cli_option_error(const char *cmd, int c, char **argv);

/* Opens the state database read-only: state when not NULL, else the one the configuration
 * file config names. The configuration is loaded without its secrets (CFG_NO_SECRETS): no
 * secret file is opened. When cfgp is not NULL it gets the configuration loaded (caller
 * frees with cfg_free; NULL when state was given). Returns NULL after printing why not. */
struct store *cli_open_state(const char *config, const char *state, struct cfg **cfgp);

/* Formats a Unix time as "2026-11-23 06:40:12 UTC" ("never" for 0) into buf; returns it. */
const char *cli_fmt_time(int64_t t, char *buf, size_t size);
/* Formats a Unix time as ISO 8601 ("2026-11-23T06:40:12Z") into buf; returns it. */
const char *cli_iso_time(int64_t t, char *buf, size_t size);
/* Formats a duration in seconds for a person: "<1m", "42m", "3h10m", "2d4h". */
const char *cli_fmt_age(int64_t secs, char *buf, size_t size);
/* Formats a duration in seconds exactly, as a configuration writes it: "15m", "1h30m",
 * "1m30s", "1d" ("0s" for 0 or less). */
const char *cli_fmt_duration(int64_t secs, char *buf, size_t size);

#endif
