/*
 * Test harness: tells tests/secrets.test, which runs after every other test, the secrets a
 * check program configures (sink URLs, routing keys, webhook secrets), so that it can look
 * for each of them in every log of the suite. The shell tests use tests/daemonlogs.sh.
 */
#ifndef MXW_TESTSECRET_H
#define MXW_TESTSECRET_H

/* Records value, the secret called name (one word) of the check program program, as a line
 * "NAME VALUE" of $MXW_DAEMON_LOGS/PROGRAM/secrets; the first call in a process replaces what
 * an earlier run left there. Does nothing when MXW_DAEMON_LOGS is unset or empty; exits 1,
 * saying why, when the file cannot be written. Borrows its arguments. */
void testsecret(const char *program, const char *name, const char *value);

#endif
