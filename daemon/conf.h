/* mxwatchd's configuration: loading it (errors logged), the log level it sets, and reloading
 * it whole or not at all on SIGHUP. */
#ifndef MXW_CONF_H
#define MXW_CONF_H

#include "cfg.h"
#include "mxwatchd.h"
#include "prov.h"

/* Loads the configuration at path and the provider data it names into *prov, logging every
 * error (at error level when fatal: the process exits for it, else at warning level);
 * returns the configuration (caller frees), or NULL when either is not valid. */
struct cfg *conf_load(const char *path, struct prov **prov, bool fatal);

/* Sets the log level: --log-level when it was given (d->log_level_given), else c's
 * log.level, else info. */
void conf_log_level(const struct daemon *d, const struct cfg *c);

/* Reloads d->config_path whole, or keeps the running configuration (logged). A changed
 * http.listen moves the endpoint (the old one is closed once the new one listens); when the
 * new address cannot be listened on, the reload fails and the running endpoint goes on
 * serving. Tells the service manager RELOADING, then READY. Ignored while stopping. */
void conf_reload(struct daemon *d);

#endif
