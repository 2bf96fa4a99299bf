/* Checks of the values a domain is made of (names, SES regions and tokens, addresses),
 * shared by the configuration and the command line. Pure. */
#include "config.h"

#include <arpa/inet.h>
#include <string.h>

#include "cfg.h"
#include "cfg_int.h"

/* Checks and canonicalises a DNS name. */
bool
cfg_name_check(const char *s, size_t minlabels, char out[CFG_NAME_MAX + 1], const char **why)
{
	size_t len = strlen(s), nlabels = 0, start = 0;

	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0) {
		*why = "empty name";
		return false;
	}
	if (len > CFG_NAME_MAX) {
		*why = "longer than 253 characters";
		return false;
	}
	memcpy(out, s, len);
	out[len] = '\0';
	for (size_t i = 0; i <= len; i++) {
		char ch = out[i];

		if (ch >= 'A' && ch <= 'Z')
			out[i] = ch = (char)(ch - 'A' + 'a');
		if (ch != '.' && ch != '\0') {
			if (!cfg_lower(ch) && !cfg_digit(ch) && ch != '-' && ch != '_') {
				*why = "only a-z, 0-9, '-' and '_' may be used";
				return false;
			}
			continue;
		}
		if (i == start) {
			*why = "empty label";
			return false;
		}
		if (i - start > 63) {
			*why = "a label is longer than 63 characters";
			return false;
		}
		if (out[start] == '-' || out[i - 1] == '-') {
			*why = "a label starts or ends with '-'";
			return false;
		}
		nlabels++;
		start = i + 1;
	}
	if (nlabels < minlabels) {
		*why = "needs at least two labels";
		return false;
	}
	return true;
}

/* True for AWS region names: ^[a-z]{2}(-gov)?-[a-z]+-[0-9]+$. */
bool
cfg_region_check(const char *s)
{
	if (!cfg_lower(s[0]) || !cfg_lower(s[1]))
		return false;
	for (size_t t = 0; t < 2; t++) {
		const char *p = s + 2;
		size_t n;

		if (t == 1) {
			if (strncmp(p, "-gov", 4) != 0)
				break;
			p += 4;
		}
		if (*p++ != '-')
			continue;
		for (n = 0; cfg_lower(*p); p++)
			n++;
		if (n == 0 || *p++ != '-')
			continue;
		for (n = 0; cfg_digit(*p); p++)
			n++;
		if (n > 0 && *p == '\0')
			return true;
	}
	return false;
}

/* True for an SES Easy DKIM token: 32 characters of a-z and 2-7. */
bool
cfg_token_check(const char *s)
{
	return strlen(s) == 32 && strspn(s, "abcdefghijklmnopqrstuvwxyz234567") == 32;
}

/* Canonicalises an IPv4 or IPv6 address. */
bool
cfg_ip_check(const char *s, char out[CFG_IP_MAX])
{
	unsigned char addr[16];
	int family = AF_INET;

	if (inet_pton(AF_INET, s, addr) != 1) {
		family = AF_INET6;
		if (inet_pton(AF_INET6, s, addr) != 1)
			return false;
	}
	return inet_ntop(family, addr, out, CFG_IP_MAX) != NULL;
}
