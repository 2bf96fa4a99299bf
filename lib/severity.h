/* Finding severities, ordered: info < warning < critical. */
#ifndef MXW_SEVERITY_H
#define MXW_SEVERITY_H

#include <stdbool.h>

enum severity {
	SEV_INFO = 0,
	SEV_WARNING = 1,
	SEV_CRITICAL = 2,
};

/* Returns "info", "warning" or "critical". */
const char *severity_name(enum severity s);
/* Parses "info", "warning" or "critical"; returns false for anything else. */
bool severity_parse(const char *s, enum severity *out);

#endif
