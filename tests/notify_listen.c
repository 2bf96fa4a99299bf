/*
 * notify-listen SOCKET FILE: plays the service manager's end of sd_notify for the tests. Binds
 * an AF_UNIX datagram socket at SOCKET (a path, or '@' and an abstract name) and appends each
 * datagram it receives to FILE as one line, a newline inside it written as the two characters
 * "\n". The socket path appears once it listens; SIGTERM removes it and exits 0.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* The socket path to remove on SIGTERM; NULL for an abstract name. */
static const char *listen_path;

/* SIGTERM: leave, without the socket file. */
static void
on_term(int sig)
{
	if (listen_path != NULL)
		unlink(listen_path);
	_exit(0);
}

/* Appends one datagram to fd as one line; false when the write failed. */
static bool
write_line(int fd, const char *buf, size_t n)
{
	char line[8192];
	size_t len = 0;

	for (size_t i = 0; i < n && len + 2 < sizeof(line); i++) {
		if (buf[i] == '\n') {
			line[len++] = '\\';
			line[len++] = 'n';
		} else {
			line[len++] = buf[i];
		}
	}
	line[len++] = '\n';
	return write(fd, line, len) == (ssize_t)len; /* one write: a line is never split */
}

int
main(int argc, char **argv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct sigaction act = {.sa_handler = on_term};
	socklen_t len;
	size_t n;
	int fd, out;

	if (argc != 3) {
		fprintf(stderr, "usage: notify-listen SOCKET FILE\n");
		return 64;
	}
	n = strlen(argv[1]);
	if (n == 0 || n >= sizeof(sa.sun_path)) {
		fprintf(stderr, "notify-listen: %s: bad socket name\n", argv[1]);
		return 64;
	}
	memcpy(sa.sun_path, argv[1], n);
	if (argv[1][0] == '@') {
		sa.sun_path[0] = '\0';
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	} else {
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
		listen_path = argv[1];
	}
	if ((out = open(argv[2], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) == -1) {
		fprintf(stderr, "notify-listen: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	sigemptyset(&act.sa_mask);
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sa, len) == -1) {
		fprintf(stderr, "notify-listen: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	for (;;) {
		char buf[4096];
		ssize_t got = recv(fd, buf, sizeof(buf), 0);

		if (got == -1 && errno == EINTR)
			continue;
		if (got == -1 || !write_line(out, buf, (size_t)got)) {
			fprintf(stderr, "notify-listen: %s\n", strerror(errno));
			return 1;
		}
	}
}
