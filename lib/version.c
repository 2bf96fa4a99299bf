/* The versions of mxwatch and of the libraries it runs on, for -V. */
#include "config.h"

#include <ares.h>
#include <curl/curl.h>
#include <event2/event.h>
#include <jansson.h>
#include <libpsl.h>
#include <openssl/crypto.h>
#include <sqlite3.h>
#include <yaml.h>

#include "version.h"
#include "xmalloc.h"

/* Returns the version lines. */
char *
version_text(const char *program)
{
	const curl_version_info_data *curl = curl_version_info(CURLVERSION_NOW);

	return xasprintf("%s %s\n"
			 "  libevent %s, c-ares %s, libcurl %s, jansson %s, SQLite %s,\n"
			 "  libyaml %s, %s, libpsl %s\n",
			 program, PACKAGE_VERSION, event_get_version(), ares_version(NULL),
			 curl->version, jansson_version_str(), sqlite3_libversion(),
			 yaml_get_version_string(), OpenSSL_version(OPENSSL_VERSION),
			 psl_get_version());
}
