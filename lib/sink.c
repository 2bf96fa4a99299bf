/* Sinks: rendering dispatch, the body and headers of each delivery attempt, routing. */
#include "config.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sink_int.h"
#include "xmalloc.h"

/* Renders a notification for one sink. */
int
sink_render(const struct cfg_sink *s, const struct notification *n, struct sink_msg **out,
	    size_t *nout, char **errstr)
{
	*out = NULL;
	*nout = 0;
	switch (s->type) {
	case CFG_SINK_SLACK:
		sink_slack_render(s, n, out, nout);
		return 0;
	case CFG_SINK_PAGERDUTY:
		sink_pagerduty_render(s, n, out, nout);
		return 0;
	case CFG_SINK_WEBHOOK:
		sink_webhook_render(s, n, out, nout);
		return 0;
	}
	*errstr = xasprintf("sink \"%s\": unknown sink type %d", s->name != NULL ? s->name : "",
			    (int)s->type);
	return -1;
}

/* Frees rendered messages. */
void
sink_msgs_free(struct sink_msg *m, size_t n)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(m[i].dedup_key);
		free(m[i].body);
	}
	free(m);
}

/* Returns the body of one attempt: PagerDuty's with the routing key as its first member. */
char *
sink_send_body(const struct cfg_sink *s, const char *body)
{
	json_t *key;
	char *k, *out;
	const char *rest;

	if (s->type != CFG_SINK_PAGERDUTY || s->routing_key == NULL || body[0] != '{')
		return xstrdup(body);
	key = sink_json_str(s->routing_key);
	k = json_dumps(key, JSON_ENCODE_ANY);
	json_decref(key);
	if (k == NULL)
		fatalx("out of memory writing JSON");
	rest = body + 1;
	while (*rest == ' ' || *rest == '\n' || *rest == '\t' || *rest == '\r')
		rest++;
	out = xasprintf("{\"routing_key\":%s%s%s", k, *rest == '}' ? "" : ",", rest);
	OPENSSL_cleanse(k, strlen(k));
	free(k);
	return out;
}

/* Returns the HMAC key of a webhook secret: the bytes after "whsec_" base64-decoded when it
 * starts so (and they decode), else the secret's own bytes. */
static unsigned char *
webhook_key(const char *secret, size_t *len)
{
	size_t n = strlen(secret);
	unsigned char *key = xmalloc(n + 1);
	EVP_ENCODE_CTX *ctx;
	int out = 0, fin = 0;
	bool ok;

	if (strncmp(secret, "whsec_", 6) == 0 && secret[6] != '\0') {
		if ((ctx = EVP_ENCODE_CTX_new()) == NULL)
			fatalx("out of memory decoding base64");
		EVP_DecodeInit(ctx);
		ok = EVP_DecodeUpdate(ctx, key, &out, (const unsigned char *)secret + 6,
				      (int)(n - 6)) >= 0 &&
		     EVP_DecodeFinal(ctx, key + out, &fin) == 1 && out + fin > 0;
		EVP_ENCODE_CTX_free(ctx);
		if (ok) {
			*len = (size_t)(out + fin);
			return key;
		}
	}
	memcpy(key, secret, n);
	*len = n;
	return key;
}

/* Returns "v1," and the Standard Webhooks signature of msg_id.now.body. */
static char *
webhook_signature(const char *secret, const char *msg_id, long long now, const char *body)
{
	unsigned char mac[EVP_MAX_MD_SIZE], b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
	size_t klen, maclen = 0;
	unsigned char *key = webhook_key(secret, &klen);
	char *signed_text = xasprintf("%s.%lld.%s", msg_id, now, body);

	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, klen,
		      (const unsigned char *)signed_text, strlen(signed_text), mac, sizeof(mac),
		      &maclen) == NULL)
		fatalx("HMAC-SHA256 failed");
	OPENSSL_cleanse(key, klen);
	free(key);
	free(signed_text);
	EVP_EncodeBlock(b64, mac, (int)maclen);
	return xasprintf("v1,%s", (const char *)b64);
}

/* Returns the headers of one delivery attempt. */
char **
sink_headers(const struct cfg_sink *s, const char *msg_id, long long now, const char *body,
	     size_t *n)
{
	char **h = xcalloc(4, sizeof(*h));

	*n = 0;
	h[(*n)++] = xstrdup("Content-Type: application/json");
	if (s->type == CFG_SINK_WEBHOOK && s->secret != NULL && s->secret[0] != '\0') {
		char *id = sink_text(msg_id, SINK_ONE_LINE), *sig;

		sig = webhook_signature(s->secret, id, now, body);
		h[(*n)++] = xasprintf("webhook-id: %s", id);
		h[(*n)++] = xasprintf("webhook-timestamp: %lld", now);
		h[(*n)++] = xasprintf("webhook-signature: %s", sig);
		free(sig);
		free(id);
	}
	return h;
}

/* Returns the URL a sink posts to. */
const char *
sink_url(const struct cfg_sink *s)
{
	if (s->url == NULL && s->type == CFG_SINK_PAGERDUTY)
		return SINK_PAGERDUTY_URL;
	return s->url;
}

/* Tells whether a finding goes to a sink. */
bool
sink_wants(const struct cfg_sink *s, enum severity sev, const struct cfg_label *labels,
	   size_t nlabels)
{
	if (sev < s->min_severity)
		return false;
	for (size_t i = 0; i < s->nmatch; i++) {
		bool ok = false;

		for (size_t j = 0; labels != NULL && j < nlabels && !ok; j++)
			ok = labels[j].key != NULL && labels[j].value != NULL &&
			     strcmp(labels[j].key, s->match[i].key) == 0 &&
			     strcmp(labels[j].value, s->match[i].value) == 0;
		if (!ok)
			return false;
	}
	return true;
}

/* Tells whether an alert of no domain goes to a sink. */
bool
sink_wants_global(const struct cfg_sink *s, enum severity sev)
{
	return sev >= s->min_severity;
}
