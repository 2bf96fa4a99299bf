/* Runs a command beside a helper server; see testrun.h. */
#include "config.h"

#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "testrun.h"

static volatile sig_atomic_t child_pid;

/* Passes a termination signal on to the command. */
static void
forward(int sig)
{
	if (child_pid > 0)
		kill((pid_t)child_pid, sig);
}

/* Runs the command and returns how it ended (see testrun.h). */
int
testrun_command(const char *who, char **argv)
{
	struct sigaction sa;
	pid_t pid, w;
	int st = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = forward;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	fflush(NULL);
	pid = fork();
	if (pid == -1) {
		fprintf(stderr, "%s: fork: %s\n", who, strerror(errno));
		return -1;
	}
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "%s: cannot run %s\n", who, argv[0]);
		_exit(127);
	}
	child_pid = pid;
	while ((w = waitpid(pid, &st, 0)) == -1 && errno == EINTR)
		;
	child_pid = 0;
	if (w == -1) {
		fprintf(stderr, "%s: waitpid: %s\n", who, strerror(errno));
		return -1;
	}
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}
