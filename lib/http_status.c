/* What an HTTP answer means for delivery: the verdict of a status, and Retry-After. Pure. */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http.h"
#include "xmalloc.h"

/* RFC 9111 §1.2.2: a delta-seconds too large to represent reads as this. */
#define HTTP_DELTA_MAX 2147483648LL

/* Returns the verdict for an HTTP status. */
enum http_verdict
http_verdict_of_status(int status)
{
	if (status >= 200 && status <= 299)
		return HTTP_OK;
	if (status == 408 || status == 425 || status == 429 || (status >= 500 && status <= 599))
		return HTTP_RETRY;
	return HTTP_PERMANENT;
}

/* Names a verdict. */
const char *
http_verdict_name(enum http_verdict v)
{
	switch (v) {
	case HTTP_OK:
		return "ok";
	case HTTP_RETRY:
		return "retry";
	case HTTP_PERMANENT:
		return "permanent";
	}
	return "unknown";
}

/* Reads exactly n digits at *p into *out and moves past them. */
static bool
take_digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return true;
}

/* Moves past the literal text lit at *p. */
static bool
take_lit(const char **p, const char *lit)
{
	size_t n = strlen(lit);

	if (strncmp(*p, lit, n) != 0)
		return false;
	*p += n;
	return true;
}

/* Reads a three-letter month name into *mon (0-11). */
static bool
take_month(const char **p, int *mon)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

	for (int i = 0; i < 12; i++)
		if (strncmp(*p, months + 3 * i, 3) == 0) {
			*p += 3;
			*mon = i;
			return true;
		}
	return false;
}

/* Reads a day name: short ("Sun") or, when long is set, full ("Sunday"). */
static bool
take_day_name(const char **p, bool long_form)
{
	static const char *const days[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
					   "Thursday", "Friday", "Saturday"};

	for (int i = 0; i < 7; i++) {
		size_t n = long_form ? strlen(days[i]) : 3;

		if (strncmp(*p, days[i], n) == 0) {
			*p += n;
			return true;
		}
	}
	return false;
}

/* Reads "HH:MM:SS" into tm. */
static bool
take_clock(const char **p, struct tm *tm)
{
	return take_digits(p, 2, &tm->tm_hour) && take_lit(p, ":") &&
	       take_digits(p, 2, &tm->tm_min) && take_lit(p, ":") &&
	       take_digits(p, 2, &tm->tm_sec) && tm->tm_hour <= 23 && tm->tm_min <= 59 &&
	       tm->tm_sec <= 60;
}

/* Parses the three HTTP-date forms of RFC 9110 §5.6.7 into seconds since the epoch. */
static bool
parse_http_date(const char *s, long long now, long long *out)
{
	struct tm tm;
	const char *p = s;
	int year;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (take_day_name(&p, false) && take_lit(&p, ", ")) {
		/* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
		if (!take_digits(&p, 2, &tm.tm_mday) || !take_lit(&p, " ") ||
		    !take_month(&p, &tm.tm_mon) || !take_lit(&p, " ") ||
		    !take_digits(&p, 4, &year) || !take_lit(&p, " ") || !take_clock(&p, &tm) ||
		    !take_lit(&p, " GMT"))
			return false;
	} else if (p = s, take_day_name(&p, true) && take_lit(&p, ", ")) {
		/* rfc850-date: Sunday, 06-Nov-94 08:49:37 GMT */
		time_t nt = (time_t)now;
		struct tm ntm;
		int yy, this_year;

		if (!take_digits(&p, 2, &tm.tm_mday) || !take_lit(&p, "-") ||
		    !take_month(&p, &tm.tm_mon) || !take_lit(&p, "-") || !take_digits(&p, 2, &yy) ||
		    !take_lit(&p, " ") || !take_clock(&p, &tm) || !take_lit(&p, " GMT") ||
		    gmtime_r(&nt, &ntm) == NULL)
			return false;
		/* A two-digit year more than 50 years ahead is in the past century. */
		this_year = ntm.tm_year + 1900;
		year = this_year - this_year % 100 + yy;
		if (year > this_year + 50)
			year -= 100;
	} else if (p = s, take_day_name(&p, false) && take_lit(&p, " ")) {
		/* asctime-date: Sun Nov  6 08:49:37 1994 */
		if (!take_month(&p, &tm.tm_mon) || !take_lit(&p, " "))
			return false;
		if (*p == ' ') {
			p++;
			if (!take_digits(&p, 1, &tm.tm_mday))
				return false;
		} else if (!take_digits(&p, 2, &tm.tm_mday)) {
			return false;
		}
		if (!take_lit(&p, " ") || !take_clock(&p, &tm) || !take_lit(&p, " ") ||
		    !take_digits(&p, 4, &year))
			return false;
	} else {
		return false;
	}
	if (*p != '\0' || tm.tm_mday < 1 || tm.tm_mday > 31)
		return false;
	tm.tm_year = year - 1900;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return false;
	*out = (long long)t;
	return true;
}

/* Reads a Retry-After value as seconds from now. */
long long
http_retry_after_parse(const char *value, long long now)
{
	const char *p, *end;
	char *s;
	long long when, secs = 0;
	bool ok;

	if (value == NULL)
		return -1;
	p = value;
	while (*p == ' ' || *p == '\t')
		p++;
	end = p + strlen(p);
	while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n'))
		end--;
	if (end == p)
		return -1;
	if (*p >= '0' && *p <= '9') {
		for (const char *q = p; q < end; q++) {
			if (*q < '0' || *q > '9')
				return -1;
			if (secs < HTTP_DELTA_MAX)
				secs = secs * 10 + (*q - '0');
		}
		return secs < HTTP_DELTA_MAX ? secs : HTTP_DELTA_MAX;
	}
	s = xstrndup(p, (size_t)(end - p));
	ok = parse_http_date(s, now, &when);
	free(s);
	if (!ok)
		return -1;
	return when > now ? when - now : 0;
}
