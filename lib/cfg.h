/*
 * The configuration: YAML (libyaml) read into a typed struct cfg, with every default set in
 * one place (cfg_defaults) and every problem reported as "file:line:col: message".
 * See mxwatch.yaml(5) and DESIGN §4 for the schema.
 */
#ifndef MXW_CFG_H
#define MXW_CFG_H

#include <stdbool.h>
#include <stddef.h>

#include "severity.h"

/* Where a value was written, for messages. */
struct cfg_loc {
	const char *file;   /* borrowed from struct cfg's file list; valid while the cfg lives */
	unsigned line, col; /* 1-based */
};

struct cfg_label {
	char *key;
	char *value;
};

enum cfg_sink_type { CFG_SINK_SLACK, CFG_SINK_PAGERDUTY, CFG_SINK_WEBHOOK };
enum cfg_webhook_format { CFG_FORMAT_ALERTMANAGER, CFG_FORMAT_NATIVE };

struct cfg_sink {
	char *name;
	enum cfg_sink_type type;
	/* Secrets: never logged, never in an error message. url is NULL for PagerDuty when the
	 * default Events API v2 endpoint is used. All three are NULL when the configuration was
	 * loaded with CFG_NO_SECRETS. */
	char *url;
	char *routing_key;	    /* PagerDuty only */
	char *secret;		    /* webhook HMAC key; NULL when unsigned */
	enum severity min_severity; /* default: warning */
	struct cfg_label *match;    /* label matchers, all must hold */
	size_t nmatch;
	enum cfg_webhook_format format; /* webhook only; default alertmanager */
	bool allow_http;
	struct cfg_loc loc;
};

struct cfg_ses {
	char *region;	 /* e.g. "us-east-1"; NULL when not set */
	char *mail_from; /* canonical name (see cfg_domain.name); NULL when not set */
	char **dkim_tokens;
	size_t ndkim_tokens;
};

struct cfg_domain {
	/* Names are canonical: lower-case ASCII, no trailing dot ("example.com"). */
	char *name;
	struct cfg_label *labels;
	size_t nlabels;
	char **mail_names; /* default: { name } */
	size_t nmail_names;
	bool has_ses;
	struct cfg_ses ses;
	char **sending_ips; /* canonical text form (inet_ntop of the parsed address) */
	size_t nsending_ips;
	char **dkim_selectors;
	size_t ndkim_selectors;
	unsigned interval_s; /* 0: schedule.interval applies */
	struct cfg_loc loc;
};

struct cfg {
	char **files; /* every file read, the main one first; cfg_loc.file points in here */
	size_t nfiles;
	struct {
		char **servers; /* "host:port" strings as written; none: /etc/resolv.conf */
		size_t nservers;
		unsigned timeout_ms;   /* default 2000 */
		unsigned tries;	       /* default 3 */
		unsigned max_inflight; /* default 1000 */
	} resolver;
	unsigned interval_s; /* schedule.interval; default 300 */
	char *log_level;   /* log.level: "error", "warning", "info" or "debug"; NULL when not set */
	char *state;	   /* default /var/lib/mxwatch/state.db */
	char *http_listen; /* default "127.0.0.1:9749"; NULL when "off" */
	struct {
		unsigned confirm_after;	  /* default 2 */
		unsigned resolve_after;	  /* default 2 */
		unsigned repeat_after_s;  /* default 4h; 0: never */
		unsigned retry_backoff_s; /* first delivery retry; doubles to 1h; default 10s */
	} alerting;
	struct {
		char *data_dir;	   /* providers.data_dir: the provider data; NULL: the default */
		char **cdn_ranges; /* providers.cdn_ranges: "CIDR" or "CIDR NAME", validated */
		size_t ncdn_ranges;
	} providers;
	struct cfg_sink *sinks;
	size_t nsinks;
	struct cfg_domain *domains; /* in file order: main file, then includes sorted by path */
	size_t ndomains;
};

/* Reads and validates path and its includes. Returns 0 and *out (caller frees with
 * cfg_free), or -1 and *errstr (caller frees): every error found, one per line, each
 * "file:line:col: message". */
int cfg_load(const char *path, struct cfg **out, char **errstr);

/* A flag of cfg_load_flags: read no secret. The *_file keys of the sinks are checked as
 * values but their files are not opened (neither under $CREDENTIALS_DIRECTORY), so a file
 * missing or unreadable is no error; a secret written inline is checked, then forgotten. The
 * sinks' url, routing_key and secret are all NULL. For readers that need no sink's address,
 * such as mxwatch's commands that read the state database. */
#define CFG_NO_SECRETS 0x1u

/* Reads path and its includes as cfg_load does, with flags (CFG_NO_SECRETS, or 0 for
 * everything). */
int cfg_load_flags(const char *path, unsigned flags, struct cfg **out, char **errstr);

/* Frees a configuration; NULL does nothing. */
void cfg_free(struct cfg *c);

/* Returns the domain named name (canonical or not), or NULL. */
const struct cfg_domain *cfg_find_domain(const struct cfg *c, const char *name);

/* The longest name (without the trailing dot) and the text of an address, with its NUL. */
#define CFG_NAME_MAX 253
#define CFG_IP_MAX 46

/* Checks a DNS name and writes its canonical form (lower case, no trailing dot) to out;
 * false with why (a static phrase) when it is not: at least minlabels labels, each 1 to 63
 * characters of a-z, 0-9, '-' and '_', not starting or ending with '-'. */
bool cfg_name_check(const char *s, size_t minlabels, char out[CFG_NAME_MAX + 1], const char **why);
/* True for an AWS region name: ^[a-z]{2}(-gov)?-[a-z]+-[0-9]+$ ("us-east-1"). */
bool cfg_region_check(const char *s);
/* True for an SES Easy DKIM token: 32 characters of a-z and 2-7. */
bool cfg_token_check(const char *s);
/* Checks an IPv4 or IPv6 address and writes its inet_ntop form to out. */
bool cfg_ip_check(const char *s, char out[CFG_IP_MAX]);

/* Parses a duration such as "90s", "5m", "4h", "1d", "250ms" or "1h30m" into milliseconds.
 * Returns false on anything else (no unit, negative, overflow). */
bool cfg_parse_duration_ms(const char *s, unsigned long long *ms);

#endif
