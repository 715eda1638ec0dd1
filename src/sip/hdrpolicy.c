/* hdrpolicy.c - see hdrpolicy.h. */
#include "config.h"
#include "sip/hdrpolicy.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/sip.h>
#include <sofia-sip/sip_extra.h>
#include <sofia-sip/msg_header.h>

/* Append 'v' to buf (comma-joined); false (buf unchanged) when it does not fit
 * or holds a line break. */
static bool join(char *buf, size_t len, const char *v, size_t vlen)
{
	size_t n = strlen(buf);
	if (memchr(v, '\r', vlen) || memchr(v, '\n', vlen) || n + vlen + 3 > len)
		return false;
	if (n) {
		buf[n++] = ',';
		buf[n++] = ' ';
	}
	memcpy(buf + n, v, vlen);
	buf[n + vlen] = '\0';
	return true;
}

/* Values of every header called 'name' that sofia did not parse. */
static void unknown_values(sip_t const *sip, const char *name, char *buf, size_t len)
{
	buf[0] = '\0';
	for (sip_unknown_t const *u = sip->sip_unknown; u; u = u->un_next)
		if (u->un_name && u->un_value && !strcasecmp(u->un_name, name))
			join(buf, len, u->un_value, strlen(u->un_value));
}

static void pai_values(sip_t const *sip, char *buf, size_t len)
{
	unknown_values(sip, "P-Asserted-Identity", buf, len);
	if (buf[0])
		return;
	/* parsed when the message class knows the extension headers */
	for (msg_header_t const *h = (msg_header_t const *)sip_p_asserted_identity(sip); h;
	     h = h->sh_next) {
		char v[256];
		issize_t n = msg_header_field_e(v, sizeof v, h, 0);
		if (n > 0 && (size_t)n < sizeof v)
			join(buf, len, v, (size_t)n);
	}
}

void hdr_inbound(const struct tconf_trunk *src, sip_t const *sip, struct hdr_identity *id)
{
	memset(id, 0, sizeof *id);
	if (!sip)
		return;
	for (sip_privacy_t const *p = sip->sip_privacy; p; p = (sip_privacy_t const *)p->priv_next) {
		for (msg_param_t const *v = p->priv_values; v && *v; v++) {
			if (!strcasecmp(*v, "id") || !strcasecmp(*v, "header") || !strcasecmp(*v, "user"))
				id->privacy = true;
			join(id->privacy_value, sizeof id->privacy_value, *v, strlen(*v));
		}
	}
	if (src && src->trust_pai)
		pai_values(sip, id->pai, sizeof id->pai);
	unknown_values(sip, "Diversion", id->diversion, sizeof id->diversion);
	unknown_values(sip, "History-Info", id->history, sizeof id->history);
}

static int add(char *buf, size_t len, size_t *n, const char *name, const char *value)
{
	int w = snprintf(buf + *n, len - *n, "%s%s: %s", *n ? "\r\n" : "", name, value);
	if (w < 0 || (size_t)w >= len - *n) {
		buf[*n] = '\0';
		return -ENOSPC;
	}
	*n += (size_t)w;
	return 0;
}

int hdr_outbound(const struct hdr_identity *id, const struct tconf_trunk *t, char *buf, size_t len,
		 bool *anon_from)
{
	size_t n = 0;
	int rc = 0;
	buf[0] = '\0';
	bool trusted = t && t->trust_pai;
	*anon_from = id->privacy && !trusted;
	if (trusted && id->pai[0])
		rc |= add(buf, len, &n, "P-Asserted-Identity", id->pai);
	/* inside the trust domain the next hop applies the privacy itself */
	if (trusted && id->privacy_value[0])
		rc |= add(buf, len, &n, "Privacy", id->privacy_value);
	if (t && t->pass_diversion && id->diversion[0])
		rc |= add(buf, len, &n, "Diversion", id->diversion);
	if (t && t->pass_history_info && id->history[0])
		rc |= add(buf, len, &n, "History-Info", id->history);
	return rc ? -ENOSPC : 0;
}
