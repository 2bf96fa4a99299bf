#include "config.h"

#include <check.h>
#include <sqlite3.h>

#include "testdb.h"
#include "xmalloc.h"

/* Reads one value of a database as another connection sees it. */
char *
testdb_peek(const char *db, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *s;
	char *v = NULL;

	ck_assert_int_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(h, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = xstrdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(h);
	return v;
}
