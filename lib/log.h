/* Logging to stderr with levels; journald priority prefixes when run under systemd. */
#ifndef MXW_LOG_H
#define MXW_LOG_H

#include <stdbool.h>

enum log_level {
	LOG_LEVEL_ERR = 3,
	LOG_LEVEL_WARNING = 4,
	LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7
};

/* Sets the least important level that is still written (default: info). */
void log_set_level(enum log_level level);
/* Sends libevent's own messages through this log (errors and warnings; debug at debug). */
void log_route_libevent(void);
/* Parses "error", "warning", "info" or "debug"; returns false for anything else. */
bool log_parse_level(const char *name, enum log_level *out);
/* Turns "<N>" syslog priority prefixes on or off (on by default when JOURNAL_STREAM is set). */
void log_set_prefix(bool on);
/* Sets the program name written before messages when no prefix is used. */
void log_set_progname(const char *name);

/* log_err and log_errx log at error level, for what makes the process exit (after
 * cleaning up); log_err appends strerror(errno), log_errx does not. */
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_errx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* log_warn appends strerror(errno); log_warnx does not. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Log at error level and exit(1); fatal appends strerror(errno). */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
