/* The service manager's notification protocol, by hand: one datagram per state change. */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "sdnotify.h"
#include "xmalloc.h"

/* How long a send may wait for room in a manager's full queue before it gives up. */
#define SDNOTIFY_SEND_TIMEOUT_MS 1000

/* Fills *sa and *len with the address of a socket name; -1 with *errstr when it has none. */
static int
sdnotify_address(const char *name, struct sockaddr_un *sa, socklen_t *len, char **errstr)
{
	size_t n = strlen(name);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (name[0] == '@') {
		/* An abstract name: a NUL, then the name, with no terminator counted. */
		if (n < 2 || n > sizeof(sa->sun_path)) {
			*errstr =
			    xasprintf("notify socket %s: the abstract name is empty or longer "
				      "than %zu bytes",
				      name, sizeof(sa->sun_path) - 1);
			return -1;
		}
		memcpy(sa->sun_path + 1, name + 1, n - 1);
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
		return 0;
	}
	if (name[0] != '/') {
		*errstr = xasprintf("notify socket %s: neither an absolute path nor an abstract "
				    "name",
				    name);
		return -1;
	}
	if (n >= sizeof(sa->sun_path)) {
		*errstr = xasprintf("notify socket: the path is longer than %zu bytes",
				    sizeof(sa->sun_path) - 1);
		return -1;
	}
	memcpy(sa->sun_path, name, n + 1);
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	return 0;
}

/* Sends one state datagram to a socket name. */
int
sdnotify_send_to(const char *socket_name, const char *state, char **errstr)
{
	struct sockaddr_un sa;
	struct timeval tv = {SDNOTIFY_SEND_TIMEOUT_MS / 1000,
			     (SDNOTIFY_SEND_TIMEOUT_MS % 1000) * 1000};
	socklen_t len;
	size_t n = strlen(state);
	ssize_t sent;
	int fd, saved;

	if (sdnotify_address(socket_name, &sa, &len, errstr) != 0)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		*errstr = xasprintf("notify socket: %s", strerror(errno));
		return -1;
	}
	/* A manager that stops reading must not stall the event loop for long. */
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	do
		sent = sendto(fd, state, n, MSG_NOSIGNAL, (const struct sockaddr *)&sa, len);
	while (sent == -1 && errno == EINTR);
	saved = errno;
	close(fd);
	if (sent == -1) {
		*errstr = xasprintf("notify socket %s: %s", socket_name, strerror(saved));
		return -1;
	}
	if ((size_t)sent != n) {
		*errstr = xasprintf("notify socket %s: short send", socket_name);
		return -1;
	}
	return 0;
}

/* Sends one state datagram to $NOTIFY_SOCKET, if there is one. */
int
sdnotify_send(const char *state, char **errstr)
{
	const char *name = getenv("NOTIFY_SOCKET");

	if (name == NULL || name[0] == '\0')
		return 0;
	return sdnotify_send_to(name, state, errstr);
}

/* Tells the manager the service is up. */
int
sdnotify_ready(char **errstr)
{
	return sdnotify_send("READY=1", errstr);
}

/* Tells the manager a reload started, with the time it did. */
int
sdnotify_reloading(char **errstr)
{
	struct timespec ts;
	char state[64];

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
		*errstr = xasprintf("clock_gettime: %s", strerror(errno));
		return -1;
	}
	snprintf(state, sizeof(state), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ULL +
		     (unsigned long long)ts.tv_nsec / 1000);
	return sdnotify_send(state, errstr);
}

/* Tells the manager the service is shutting down. */
int
sdnotify_stopping(char **errstr)
{
	return sdnotify_send("STOPPING=1", errstr);
}

/* Sets the status line `systemctl status` shows. */
int
sdnotify_status(const char *status, char **errstr)
{
	size_t n = strcspn(status, "\n");
	char *state = xasprintf("STATUS=%.*s", (int)n, status);
	int rc = sdnotify_send(state, errstr);

	free(state);
	return rc;
}

/* Pets the watchdog. */
int
sdnotify_watchdog(char **errstr)
{
	return sdnotify_send("WATCHDOG=1", errstr);
}

/* Reads a positive decimal number with no sign, space or trailing text. */
static bool
sdnotify_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (s == NULL || *s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return v > 0;
}

/* Decides whether the watchdog is on for self, and its interval. */
bool
sdnotify_watchdog_parse(const char *usec, const char *pid, pid_t self, uint64_t *interval_usec)
{
	uint64_t v, p;

	if (!sdnotify_parse_u64(usec, &v))
		return false;
	if (pid != NULL && (!sdnotify_parse_u64(pid, &p) || p != (uint64_t)self))
		return false; /* meant for another process (a parent that exec'd us, say) */
	*interval_usec = v;
	return true;
}

/* Decides from the environment whether the watchdog is on for this process. */
bool
sdnotify_watchdog_enabled(uint64_t *interval_usec)
{
	return sdnotify_watchdog_parse(getenv("WATCHDOG_USEC"), getenv("WATCHDOG_PID"), getpid(),
				       interval_usec);
}
