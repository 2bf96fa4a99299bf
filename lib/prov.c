#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prov_int.h"
#include "xmalloc.h"

/* Most fields any data line has; the last one takes the rest of the line. */
#define MAX_FIELDS 4

/* One data file: its name and its line parser, with the number of fields it splits into. */
static const struct {
	const char *file;
	prov_line_fn *parse;
	size_t nfields;
} files[] = {
    {PROV_FILE_SES_REGIONS, prov_parse_region, 3},
    {PROV_FILE_MAIL_PROVIDERS, prov_parse_mail, 4},
    {PROV_FILE_CDN_RANGES, prov_parse_cdn, 2},
    {PROV_FILE_DEFAULT_PTR, prov_parse_ptr, 2},
};

/* Tells whether c is blank space in a data line. */
static bool
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Writes the lower-case form of a host name without its trailing dot. */
bool
prov_name_lower(const char *name, char *buf, size_t len)
{
	size_t n = strlen(name);

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == 0 || n >= len)
		return false;
	for (size_t i = 0; i < n; i++)
		buf[i] = (name[i] >= 'A' && name[i] <= 'Z') ? (char)(name[i] - 'A' + 'a') : name[i];
	buf[n] = '\0';
	return true;
}

/* Splits line (comment already cut) into at most max fields; the last takes the rest. */
static size_t
split(char *line, char **f, size_t max)
{
	size_t n = 0;
	char *s = line;

	while (n < max) {
		while (blank(*s))
			s++;
		if (*s == '\0')
			break;
		f[n++] = s;
		if (n == max) {
			char *e = s + strlen(s);

			while (e > s && blank(e[-1]))
				e--;
			*e = '\0';
			break;
		}
		while (*s != '\0' && !blank(*s))
			s++;
		if (*s != '\0')
			*s++ = '\0';
	}
	return n;
}

/* Reads one data file line by line into p. */
static int
read_file(struct prov *p, const char *dir, size_t which, char **errstr)
{
	char *path = xasprintf("%s/%s", dir, files[which].file);
	char *line = NULL, *f[MAX_FIELDS];
	size_t cap = 0;
	unsigned lineno = 0;
	ssize_t len;
	FILE *fp;
	int rc = 0;

	if ((fp = fopen(path, "r")) == NULL) {
		*errstr = xasprintf("%s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	while (rc == 0 && (len = getline(&line, &cap, fp)) != -1) {
		char *why = NULL, *hash;
		size_t nf;

		lineno++;
		if (strlen(line) != (size_t)len) {
			*errstr = xasprintf("%s:%u: NUL byte in line", path, lineno);
			rc = -1;
			break;
		}
		if ((hash = strchr(line, '#')) != NULL)
			*hash = '\0';
		if ((nf = split(line, f, files[which].nfields)) == 0)
			continue;
		if (files[which].parse(p, f, nf, &why) == -1) {
			*errstr = xasprintf("%s:%u: %s", path, lineno, why);
			free(why);
			rc = -1;
		}
	}
	if (rc == 0 && ferror(fp)) {
		*errstr = xasprintf("%s: %s", path, strerror(errno));
		rc = -1;
	}
	fclose(fp);
	free(line);
	free(path);
	return rc;
}

/* Adds the caller's CDN ranges. */
static int
add_extra(struct prov *p, const char *const *extra, size_t n, char **errstr)
{
	for (size_t i = 0; i < n; i++) {
		char *copy = xstrdup(extra[i]), *f[2];
		size_t nf = split(copy, f, 2);
		bool ok = nf > 0 && prov_cdn_add(p, f[0], nf == 2 ? f[1] : PROV_USER_CDN_NAME);

		free(copy);
		if (!ok) {
			*errstr =
			    xasprintf("extra CDN range %zu: bad CIDR \"%s\"", i + 1, extra[i]);
			return -1;
		}
	}
	return 0;
}

/* Loads the provider knowledge. */
int
prov_load(const char *dir, const char *const *extra_cdn_ranges, size_t n, struct prov **out,
	  char **errstr)
{
	struct prov *p = xcalloc(1, sizeof(*p));

	*out = NULL;
	*errstr = NULL;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (read_file(p, dir, i, errstr) == -1) {
			prov_free(p);
			return -1;
		}
	}
	if (add_extra(p, extra_cdn_ranges, n, errstr) == -1) {
		prov_free(p);
		return -1;
	}
	prov_cdn_finish(p);
	*out = p;
	return 0;
}

/* Frees the provider knowledge. */
void
prov_free(struct prov *p)
{
	if (p == NULL)
		return;
	prov_mail_free(p);
	prov_cdn_free(p);
	prov_ptr_free(p);
	free(p);
}

/* Loads the provider knowledge from the configured, environment or installed directory. */
int
prov_load_for(const char *dir, const char *const *extra_cdn_ranges, size_t n, struct prov **out,
	      char **errstr)
{
	const char *env = getenv("MXW_DATA_DIR");
	char *err = NULL;

	if (dir == NULL) /* an empty MXW_DATA_DIR is unset, not the current directory */
		dir = env != NULL && env[0] != '\0' ? env : MXW_DATA_DIR;
	if (prov_load(dir, extra_cdn_ranges, n, out, &err) == 0)
		return 0;
	*errstr = xasprintf("provider data: %s", err);
	free(err);
	return -1;
}
