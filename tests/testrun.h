/*
 * Runs a test's command beside a helper server (testns-run, httprecv-run): the command
 * gets SIGINT, SIGTERM and SIGHUP sent to the runner, and the runner learns how it ended.
 */
#ifndef MXW_TESTRUN_H
#define MXW_TESTRUN_H

/* Runs argv[0] with argv, passing termination signals on to it, and waits for it. Returns
 * its exit status (128 + N when killed by signal N), or -1 after printing why with prefix
 * who when it could not be started or waited for. */
int testrun_command(const char *who, char **argv);

#endif
