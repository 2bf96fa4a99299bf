#include "config.h"

#include <string.h>

#include "severity.h"

/* Names a severity. */
const char *
severity_name(enum severity s)
{
	switch (s) {
	case SEV_INFO:
		return "info";
	case SEV_WARNING:
		return "warning";
	case SEV_CRITICAL:
		return "critical";
	}
	return "critical";
}

/* Parses a severity name. */
bool
severity_parse(const char *s, enum severity *out)
{
	static const enum severity all[] = {SEV_INFO, SEV_WARNING, SEV_CRITICAL};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (strcmp(s, severity_name(all[i])) == 0) {
			*out = all[i];
			return true;
		}
	}
	return false;
}
