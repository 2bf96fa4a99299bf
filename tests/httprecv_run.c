/*
 * httprecv-run: runs a command beside a test HTTP receiver (tests/httprecv.h).
 *
 *   httprecv-run [--plan FILE] --log FILE [--port-file FILE] -- COMMAND [ARG]...
 *       starts the receiver on 127.0.0.1 and a free port in a child process, runs COMMAND
 *       with MXW_HTTP_URL (http://127.0.0.1:PORT) and MXW_HTTP_LOG set, writes PORT to
 *       the port file when asked, stops the receiver however COMMAND ends, and exits with
 *       COMMAND's status. The receiver dies with this process too.
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/wait.h>

#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "httprecv.h"
#include "testrun.h"
#include "xmalloc.h"

/* Ends the receiver's event loop on SIGTERM. */
static void
on_term(evutil_socket_t sig, short what, void *arg)
{
	event_base_loopbreak(arg);
}

/* The receiver process: serves until SIGTERM. Reports "PORT\n" or "!ERROR\n" on fd. */
static void
serve(const char *plan, const char *log_path, int fd, pid_t parent)
{
	struct event_base *base;
	struct httprecv *r;
	struct event *term;
	char *err = NULL;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(1);
	base = event_base_new();
	term = evsignal_new(base, SIGTERM, on_term, base);
	evsignal_add(term, NULL);
	if ((r = httprecv_start(base, plan, log_path, &err)) == NULL) {
		dprintf(fd, "!%s\n", err);
		_exit(1);
	}
	dprintf(fd, "%d\n", httprecv_port(r));
	close(fd);
	event_base_dispatch(base);
	httprecv_stop(r);
	event_free(term);
	event_base_free(base);
	_exit(0);
}

/* Starts the receiver; returns its pid and sets *port, or -1 after printing why. */
static pid_t
start_receiver(const char *plan, const char *log_path, int *port)
{
	char buf[512];
	size_t len = 0;
	ssize_t n;
	int p[2];
	pid_t parent = getpid(), pid;

	if (pipe(p) != 0) {
		perror("httprecv-run: pipe");
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid == -1) {
		perror("httprecv-run: fork");
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		serve(plan, log_path, p[1], parent);
	}
	close(p[1]);
	while (len < sizeof(buf) - 1 && ((n = read(p[0], buf + len, sizeof(buf) - 1 - len)) > 0 ||
					 (n < 0 && errno == EINTR)))
		if (n > 0)
			len += (size_t)n;
	close(p[0]);
	buf[len] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (buf[0] == '\0' || buf[0] == '!' || (*port = atoi(buf)) <= 0) {
		fprintf(stderr, "httprecv-run: the receiver did not start: %s\n",
			buf[0] == '!' ? buf + 1 : "no port reported");
		waitpid(pid, NULL, 0);
		return -1;
	}
	return pid;
}

/* Prints the usage and returns 2. */
static int
usage(void)
{
	fprintf(stderr, "usage: httprecv-run [--plan FILE] --log FILE [--port-file FILE] -- "
			"COMMAND [ARG]...\n");
	return 2;
}

int
main(int argc, char **argv)
{
	const char *plan = NULL, *log_path = NULL, *port_file = NULL;
	char *url;
	int i, port = 0, st = 0;
	pid_t recv_pid;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i += 2) {
		if (i + 1 >= argc)
			return usage();
		if (strcmp(argv[i], "--plan") == 0)
			plan = argv[i + 1];
		else if (strcmp(argv[i], "--log") == 0)
			log_path = argv[i + 1];
		else if (strcmp(argv[i], "--port-file") == 0)
			port_file = argv[i + 1];
		else
			return usage();
	}
	if (log_path == NULL || i + 1 >= argc)
		return usage();
	if ((recv_pid = start_receiver(plan, log_path, &port)) == -1)
		return 1;
	if (port_file != NULL) {
		FILE *f = fopen(port_file, "w");

		if (f == NULL || fprintf(f, "%d\n", port) < 0 || fclose(f) != 0) {
			fprintf(stderr, "httprecv-run: cannot write %s\n", port_file);
			kill(recv_pid, SIGTERM);
			waitpid(recv_pid, NULL, 0);
			return 1;
		}
	}
	url = xasprintf("http://127.0.0.1:%d", port);
	setenv("MXW_HTTP_URL", url, 1);
	setenv("MXW_HTTP_LOG", log_path, 1);
	free(url);
	st = testrun_command("httprecv-run", argv + i + 1);
	kill(recv_pid, SIGTERM);
	waitpid(recv_pid, NULL, 0);
	return st == -1 ? 1 : st;
}
