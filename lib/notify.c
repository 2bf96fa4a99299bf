/* Notifications: dedup keys and names. */
#include "config.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "notify.h"
#include "xmalloc.h"

/* Returns the dedup key of an alert. */
char *
notify_dedup_key(const char *domain, const char *rule, const char *subject)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	char *key;

	if (domain == NULL || domain[0] == '\0') {
		key = xasprintf("mxwatch/%s", rule);
		if (strlen(key) > NOTIFY_DEDUP_MAX)
			key[NOTIFY_DEDUP_MAX] = '\0';
		return key;
	}
	key = xasprintf("%s/%s/%s", domain, rule, subject);
	if (strlen(key) <= NOTIFY_DEDUP_MAX)
		return key;
	free(key);
	if (EVP_Digest(subject, strlen(subject), md, &mdlen, EVP_sha256(), NULL) != 1)
		fatalx("SHA-256 failed");
	for (unsigned int i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	key = xasprintf("%s/%s/%s", domain, rule, hex);
	if (strlen(key) > NOTIFY_DEDUP_MAX)
		key[NOTIFY_DEDUP_MAX] = '\0';
	return key;
}

/* Tells whether an alert belongs to no domain. */
bool
notify_alert_global(const struct notify_alert *a)
{
	return a->domain == NULL || a->domain[0] == '\0';
}

/* Returns the name of a kind. */
const char *
notify_kind_name(enum notify_kind k)
{
	switch (k) {
	case NOTIFY_FIRING:
		return "firing";
	case NOTIFY_RESOLVED:
		return "resolved";
	case NOTIFY_BASELINE:
		return "baseline";
	}
	return "unknown";
}
