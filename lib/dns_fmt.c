#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dns_fmt.h"
#include "xmalloc.h"

/* Appends bytes with backslash and non-printable bytes escaped; when quote is set, also
 * escapes '"' and wraps the whole in quotes. Returns the new length. */
static size_t
put_escaped(char *out, size_t o, const char *p, size_t n, bool quote)
{
	if (quote)
		out[o++] = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if ((c == '"' && quote) || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			o += (size_t)snprintf(out + o, 5, "\\%03u", c);
		} else {
			out[o++] = (char)c;
		}
	}
	if (quote)
		out[o++] = '"';
	return o;
}

/* Presents one record's data. */
char *
dns_fmt_rdata(const struct dns_rr *rr)
{
	char *out;
	size_t o = 0, off = 0;

	switch (rr->type) {
	case DNS_T_MX:
		return xasprintf("%u %s", rr->pref, rr->data);
	case DNS_T_TXT:
		out = xmalloc(rr->len * 4 + rr->nstrings * 3 + 3);
		for (size_t i = 0; i < rr->nstrings; i++) {
			if (i > 0)
				out[o++] = ' ';
			o = put_escaped(out, o, rr->data + off, rr->strlens[i], true);
			off += rr->strlens[i];
		}
		if (rr->nstrings == 0)
			o = put_escaped(out, o, "", 0, true);
		out[o] = '\0';
		return out;
	default:
		return xstrdup(rr->data);
	}
}

/* Presents one record's data canonically, in one string. */
char *
dns_fmt_canon(const struct dns_rr *rr)
{
	char *out;
	size_t o;

	switch (rr->type) {
	case DNS_T_MX:
		return xasprintf("%u %s", rr->pref, rr->data);
	case DNS_T_TXT:
		out = xmalloc(rr->len * 4 + 1);
		o = put_escaped(out, 0, rr->data, rr->len, false);
		out[o] = '\0';
		return out;
	default:
		return xstrdup(rr->data);
	}
}

/* Writes one record line. */
static void
put_rr(FILE *out, const struct dns_rr *rr)
{
	char tb[16];
	char *d = dns_fmt_rdata(rr);

	fprintf(out, "%s %u %s %s\n", rr->name, rr->ttl, dns_type_name(rr->type, tb, sizeof(tb)),
		d);
	free(d);
}

/* Writes a result as text. */
void
dns_fmt_text(FILE *out, const struct dns_result *res)
{
	char tb[16];

	fprintf(out, "%s %s %s", res->qname, dns_type_name(res->qtype, tb, sizeof(tb)),
		dns_outcome_name(res->outcome));
	if (res->error != NULL)
		fprintf(out, " (%s)", res->error);
	fputc('\n', out);
	for (size_t i = 0; i < res->ncnames; i++)
		put_rr(out, &res->cnames[i]);
	for (size_t i = 0; i < res->nrrs; i++)
		put_rr(out, &res->rrs[i]);
}

/* Builds the JSON object of one record. */
static json_t *
rr_json(const struct dns_rr *rr)
{
	char tb[16];
	char *d = dns_fmt_rdata(rr);
	json_t *o = json_pack("{s:s, s:i, s:s, s:s}", "name", rr->name, "ttl", (json_int_t)rr->ttl,
			      "type", dns_type_name(rr->type, tb, sizeof(tb)), "data", d);

	free(d);
	if (rr->type == DNS_T_MX) {
		json_object_set_new(o, "preference", json_integer(rr->pref));
		json_object_set_new(o, "exchange", json_string(rr->data));
	} else if (rr->type == DNS_T_TXT) {
		json_t *strs = json_array();
		size_t off = 0;
		char *joined;

		for (size_t i = 0; i < rr->nstrings; i++) {
			char *q = xmalloc((size_t)rr->strlens[i] * 4 + 1);
			size_t n = put_escaped(q, 0, rr->data + off, rr->strlens[i], false);

			json_array_append_new(strs, json_stringn(q, n));
			free(q);
			off += rr->strlens[i];
		}
		json_object_set_new(o, "strings", strs);
		joined = dns_fmt_canon(rr);
		json_object_set_new(o, "text", json_string(joined));
		free(joined);
	}
	return o;
}

/* Builds the JSON object of a result. */
json_t *
dns_fmt_json(const struct dns_result *res)
{
	char tb[16], rb[16];
	json_t *cn = json_array(), *rrs = json_array();
	json_t *o;

	for (size_t i = 0; i < res->ncnames; i++)
		json_array_append_new(cn, rr_json(&res->cnames[i]));
	for (size_t i = 0; i < res->nrrs; i++)
		json_array_append_new(rrs, rr_json(&res->rrs[i]));
	o = json_pack("{s:s, s:s, s:s, s:o, s:i, s:o, s:o}", "name", res->qname, "type",
		      dns_type_name(res->qtype, tb, sizeof(tb)), "outcome",
		      dns_outcome_name(res->outcome), "rcode",
		      res->rcode >= 0 ? json_string(dns_rcode_name(res->rcode, rb, sizeof(rb)))
				      : json_null(),
		      "ttl", (json_int_t)res->ttl, "cnames", cn, "records", rrs);
	if (res->error != NULL)
		json_object_set_new(o, "error", json_string(res->error));
	return o;
}
