/* mxwatch check: a stateless one-shot check of one domain, for a person at a terminal. */
#ifndef MXW_CHECK_H
#define MXW_CHECK_H

/* Runs "mxwatch check DOMAIN [options]"; argv[0] is "check". Prints the report (or, with
 * --json, the finding lines) to stdout and errors to stderr. Returns the exit status: 2 when
 * a finding is critical, else 1 when one is a warning, else 3 when a watched set could not be
 * looked up or the check could not run, else 0; 64 on a usage error. */
int cmd_check(int argc, char **argv);

#endif
