#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>

#include "log.h"

static enum log_level log_threshold = LOG_LEVEL_INFO;
static int log_prefix = -1; /* -1: decide from JOURNAL_STREAM on first use */
static const char *log_progname = "mxwatch";

/* Tells whether stderr is the journal's stream: $JOURNAL_STREAM names its device and inode
 * ("DEV:INO"), and a process that inherited the variable with another stderr (a terminal of
 * a systemd user session) must not get priority prefixes. */
static int
stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(2, &st) != 0)
		return 0;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

/* Sets the least important level that is written. */
void
log_set_level(enum log_level level)
{
	log_threshold = level;
}

/* Maps a level name to its level. */
bool
log_parse_level(const char *name, enum log_level *out)
{
	static const struct {
		const char *name;
		enum log_level level;
	} names[] = {
	    {"error", LOG_LEVEL_ERR},
	    {"warning", LOG_LEVEL_WARNING},
	    {"info", LOG_LEVEL_INFO},
	    {"debug", LOG_LEVEL_DEBUG},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(name, names[i].name) == 0) {
			*out = names[i].level;
			return true;
		}
	}
	return false;
}

/* Turns priority prefixes on or off. */
void
log_set_prefix(bool on)
{
	log_prefix = on;
}

/* Sets the name written before each message. */
void
log_set_progname(const char *name)
{
	log_progname = name;
}

/* Writes one message line at the given level. */
static void
log_vwrite(enum log_level level, int errnum, const char *fmt, va_list ap)
{
	char msg[2048];

	if (level > log_threshold)
		return;
	if (log_prefix == -1)
		log_prefix = stderr_is_journal();
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_prefix)
		fprintf(stderr, "<%d>%s%s%s\n", (int)level, msg, errnum ? ": " : "",
			errnum ? strerror(errnum) : "");
	else
		fprintf(stderr, "%s: %s%s%s\n", log_progname, msg, errnum ? ": " : "",
			errnum ? strerror(errnum) : "");
}

#define LOG_BODY(level, errnum)                                                                    \
	do {                                                                                       \
		va_list ap;                                                                        \
		va_start(ap, fmt);                                                                 \
		log_vwrite((level), (errnum), fmt, ap);                                            \
		va_end(ap);                                                                        \
	} while (0)

/* Logs an error with the current errno. */
void
log_err(const char *fmt, ...)
{
	int e = errno;

	LOG_BODY(LOG_LEVEL_ERR, e);
}

/* Logs an error. */
void
log_errx(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_ERR, 0);
}

/* Logs a warning with the current errno. */
void
log_warn(const char *fmt, ...)
{
	int e = errno;

	LOG_BODY(LOG_LEVEL_WARNING, e);
}

/* Logs a warning. */
void
log_warnx(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_WARNING, 0);
}

/* Logs an informational message. */
void
log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_INFO, 0);
}

/* Logs a debugging message. */
void
log_debug(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_DEBUG, 0);
}

/* Logs an error with errno and exits. */
void
fatal(const char *fmt, ...)
{
	int e = errno;

	LOG_BODY(LOG_LEVEL_ERR, e);
	exit(1);
}

/* Logs an error and exits. */
void
fatalx(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_ERR, 0);
	exit(1);
}

/* libevent's log callback. */
static void
libevent_log(int severity, const char *msg)
{
	switch (severity) {
	case EVENT_LOG_DEBUG:
		log_debug("libevent: %s", msg);
		break;
	case EVENT_LOG_MSG:
		log_info("libevent: %s", msg);
		break;
	case EVENT_LOG_WARN:
		log_warnx("libevent: %s", msg);
		break;
	default:
		log_warnx("libevent error: %s", msg);
		break;
	}
}

/* Routes libevent's messages here. */
void
log_route_libevent(void)
{
	event_set_log_callback(libevent_log);
}
