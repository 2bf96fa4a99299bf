/* mxwatchd's configuration: loading, the log level, reloading on SIGHUP. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "endpoint.h"
#include "log.h"
#include "sdnotify.h"
#include "service.h"
#include "xmalloc.h"

/* Logs one error of the configuration: at error level when the process exits for it. */
static void
conf_error(bool fatal, const char *msg)
{
	if (fatal)
		log_errx("%s", msg);
	else
		log_warnx("%s", msg);
}

/* Loads the configuration, printing every error; returns NULL when it is not valid. */
struct cfg *
conf_load(const char *path, struct prov **prov, bool fatal)
{
	struct cfg *c = NULL;
	char *err = NULL;

	if (cfg_load(path, &c, &err) != 0) {
		char *save = NULL;

		for (char *line = strtok_r(err, "\n", &save); line != NULL;
		     line = strtok_r(NULL, "\n", &save))
			conf_error(fatal, line);
		free(err);
		return NULL;
	}
	if (prov_load_for(c->providers.data_dir, (const char *const *)c->providers.cdn_ranges,
			  c->providers.ncdn_ranges, prov, &err) != 0) {
		conf_error(fatal, err);
		free(err);
		cfg_free(c);
		return NULL;
	}
	return c;
}

/* Sets the log level: --log-level when given, else the configuration's log.level, else
 * info. Called at start and after each reload that worked. */
void
conf_log_level(const struct daemon *d, const struct cfg *c)
{
	enum log_level level = LOG_LEVEL_INFO;

	if (d->log_level_given)
		return;
	if (c->log_level != NULL && !log_parse_level(c->log_level, &level))
		level = LOG_LEVEL_INFO; /* cfg_load accepts only the four names */
	log_set_level(level);
}

/* Tells whether two listen addresses (NULL: off) are the same. */
static bool
same_listen(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

/* A reload is over (ok: the new configuration runs): the service is ready again. */
static void
reloaded(struct daemon *d, bool ok)
{
	d->reload_failed = !ok;
	service_tell(d, sdnotify_ready);
	service_status(d, true);
}

/* SIGHUP: reload the configuration whole, or keep the old one. */
void
conf_reload(struct daemon *d)
{
	unsigned interval_s;
	struct prov *prov = NULL;
	struct cfg *c;
	struct web *web = NULL;
	bool move;
	char *err = NULL;

	if (d->stopping) {
		log_info("stopping: the reload is ignored");
		return;
	}
	service_tell(d, sdnotify_reloading);
	d->reload_ok = false;
	if ((c = conf_load(d->config_path, &prov, false)) == NULL) {
		log_warnx("reload failed: keeping the running configuration");
		reloaded(d, false);
		return;
	}
	/* The new endpoint is started beside the running one, which is closed only once the
	 * reload worked: a reload that fails leaves it serving. */
	move = !same_listen(d->listen, c->http_listen);
	if (move && c->http_listen != NULL &&
	    (web = endpoint_move(d, c->http_listen, &err)) == NULL) {
		log_warnx("reload failed: %s: keeping the running configuration", err);
		free(err);
		cfg_free(c);
		prov_free(prov);
		reloaded(d, false);
		return;
	}
	interval_s = c->interval_s;
	if (monitor_set_config(d->m, c, prov, &err) != 0) {
		log_warnx("reload failed: %s: keeping the running configuration", err);
		free(err);
		web_free(web);
		reloaded(d, false);
		return;
	}
	conf_log_level(d, c); /* before the lines below: they follow the new level */
	if (move) {
		web_free(d->web);
		d->web = web;
		free(d->listen);
		d->listen = c->http_listen != NULL ? xstrdup(c->http_listen) : NULL;
		if (d->listen != NULL)
			log_info("HTTP endpoint moved to %s", d->listen);
		else
			log_info("HTTP endpoint off");
	}
	d->cfg = c;
	d->reload_ok = true;
	d->reload_at = time(NULL);
	if (d->dl != NULL)
		deliver_set_config(d->dl, c); /* c stays alive: the monitor holds it */
	d->interval_s = interval_s;
	log_info("configuration reloaded: %zu domain%s", c->ndomains, c->ndomains == 1 ? "" : "s");
	reloaded(d, true);
}
