/*
 * Test harness: reads a state database as a second connection sees it, which is what a
 * SIGKILL or a crash of the connection under test would leave on disk.
 */
#ifndef MXW_TESTDB_H
#define MXW_TESTDB_H

/* Returns the first column of sql's first row in the database file db, as text, or NULL when
 * there is no row; caller frees. Opens db read-only; fails the running Check test when it
 * cannot open it or prepare sql. Borrows its arguments. */
char *testdb_peek(const char *db, const char *sql);

#endif
