/* sec_neg.c - choosing a leg's transport security (see sec_neg.h). */
#include "config.h"

#include "media/sec_neg.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"

const char *osec_policy_name(enum media_security p)
{
	switch (p) {
	case MEDIA_SEC_NONE: return "none";
	case MEDIA_SEC_SDES: return "sdes";
	case MEDIA_SEC_DTLS: return "dtls";
	default: return "optional";
	}
}

int osec_init(struct osec *o, enum media_security policy, const struct mdtls_cert *cert,
	      const char *label, int leg)
{
	struct ice_lite tmp;

	memset(o, 0, sizeof(*o));
	o->policy = policy;
	o->cert = cert;
	snprintf(o->label, sizeof(o->label), "%s: leg %c", label, 'A' + leg);
	if (ice_lite_init(&tmp, 0) < 0)
		return -EIO;
	memcpy(o->lufrag, tmp.lufrag, sizeof(o->lufrag));
	memcpy(o->lpwd, tmp.lpwd, sizeof(o->lpwd));
	o->sdes[0].tag = 1;
	o->sdes[1].tag = 2;
	if (msrtp_keys_random(MSRTP_AES_CM_128_HMAC_SHA1_80, &o->sdes[0].keys) < 0 ||
	    msrtp_keys_random(MSRTP_AEAD_AES_128_GCM, &o->sdes[1].keys) < 0)
		return -EIO;
	return 0;
}

static bool proto_secure(const char *p) { return strstr(p, "SAVP") != NULL; }
static bool proto_dtls(const char *p) { return strncasecmp(p, "UDP/TLS/", 8) == 0; }

static const struct msrtp_crypto *ours_by_suite(const struct osec *o, enum msrtp_suite s)
{
	for (int i = 0; i < 2; i++)
		if (o->sdes[i].keys.suite == s)
			return &o->sdes[i];
	return NULL;
}

/* The first a=crypto line we can use. */
static bool pick_crypto(const struct wsdp_remote *r, struct msrtp_crypto *out)
{
	for (size_t i = 0; i < r->ncrypto; i++)
		if (msrtp_crypto_parse(r->crypto[i], strlen(r->crypto[i]), out) == 0)
			return true;
	return false;
}

static int refuse(const struct osec *o, const char *what)
{
	LOG_WARN("media: %s: media_security = %s refuses %s", o->label, osec_policy_name(o->policy), what);
	return -ENOTSUP;
}

/* ICE, rtcp-mux and BUNDLE follow the peer on secure legs. */
static void transport_follow(struct osec *o, struct rsec_conf *c, const struct msdp_stream *st,
			     const struct wsdp_remote *r)
{
	if (st->ice_ufrag[0] && st->ice_pwd[0]) {
		c->ice = o->dec.ice = true;
		snprintf(c->rufrag, sizeof(c->rufrag), "%s", st->ice_ufrag);
	}
	c->mux = o->dec.mux = st->rtcp_mux;
	if (r->mid[0]) {
		snprintf(o->mid, sizeof(o->mid), "%s", r->mid);
		o->bundle = r->bundle;
	}
	snprintf(o->dec.mid, sizeof(o->dec.mid), "%s", r->mid);
	o->dec.bundle = r->bundle;
}

int osec_remote_offer(struct osec *o, const struct msdp_stream *st, const struct wsdp_remote *r)
{
	struct rsec_conf c = { 0 };
	struct msrtp_crypto theirs;
	bool dtls = proto_dtls(st->proto) && st->fingerprint[0];
	bool sdes = !proto_dtls(st->proto) && pick_crypto(r, &theirs);
	bool secure_only = proto_secure(st->proto);

	memset(&o->dec, 0, sizeof(o->dec));
	o->have_pend = false;
	switch (o->policy) {
	case MEDIA_SEC_NONE:
		if (secure_only)
			return refuse(o, "an SRTP-only offer");
		sdes = dtls = false;
		break;
	case MEDIA_SEC_SDES:
		if (!sdes)
			return refuse(o, "an offer without a usable a=crypto");
		break;
	case MEDIA_SEC_DTLS:
		if (!dtls)
			return refuse(o, "an offer without DTLS-SRTP (UDP/TLS/RTP/SAVPF and a=fingerprint)");
		break;
	default:
		if (secure_only && !dtls && !sdes)
			return refuse(o, "an SRTP offer with no key we can use");
		break;
	}
	if (dtls) {
		c.kind = RSEC_DTLS;
		/* RFC 5763 5: an offerer's actpass (or active) makes us passive:
		 * the browser sends the ClientHello. Only a passive offerer gets
		 * an active (client) answer. */
		c.dtls_client = strcasecmp(st->setup, "passive") == 0;
		snprintf(o->dec.setup, sizeof(o->dec.setup), "%s", c.dtls_client ? "active" : "passive");
		snprintf(c.remote_fp, sizeof(c.remote_fp), "%s", st->fingerprint);
		o->dec.dtls = true;
	} else if (sdes) {
		const struct msrtp_crypto *ours = ours_by_suite(o, theirs.keys.suite);
		struct msrtp_crypto ans = { .tag = theirs.tag, .keys = ours->keys };
		c.kind = RSEC_SDES;
		c.tx = ours->keys;
		c.rx = theirs.keys;
		msrtp_crypto_format(&ans, o->dec.crypto[0], sizeof(o->dec.crypto[0]));
		o->dec.ncrypto = 1;
	}
	if (dtls || sdes) {
		snprintf(o->dec.proto, sizeof(o->dec.proto), "%s", st->proto);
		transport_follow(o, &c, st, r);
		/* ICE restart (a new peer ufrag): we answer with new credentials
		 * too (RFC 8839 4.4.1.1); keys and the DTLS association stay. */
		if (o->cur.ice && c.ice && strcmp(o->cur.rufrag, c.rufrag) != 0) {
			struct ice_lite tmp;
			if (ice_lite_init(&tmp, 0) == 0) {
				memcpy(o->lufrag, tmp.lufrag, sizeof(o->lufrag));
				memcpy(o->lpwd, tmp.lpwd, sizeof(o->lpwd));
			}
		}
	}
	o->pend = c;
	o->have_pend = true;
	return 0;
}

void osec_local_offer(struct osec *o, const char *src_proto)
{
	enum rsec_kind want = o->policy == MEDIA_SEC_SDES ? RSEC_SDES
			    : o->policy == MEDIA_SEC_DTLS ? RSEC_DTLS
			    : o->policy == MEDIA_SEC_OPTIONAL ? o->cur.kind : RSEC_NONE;

	memset(&o->dec, 0, sizeof(o->dec));
	o->have_pend = false;
	switch (want) {
	case RSEC_SDES:
		snprintf(o->dec.proto, sizeof(o->dec.proto), "RTP/SAVP");
		for (int i = 0; i < 2; i++)
			msrtp_crypto_format(&o->sdes[i], o->dec.crypto[i], sizeof(o->dec.crypto[i]));
		o->dec.ncrypto = 2;
		break;
	case RSEC_DTLS:
		snprintf(o->dec.proto, sizeof(o->dec.proto), "UDP/TLS/RTP/SAVPF");
		snprintf(o->dec.setup, sizeof(o->dec.setup), "actpass");
		snprintf(o->dec.mid, sizeof(o->dec.mid), "%s", o->mid[0] ? o->mid : "0");
		o->dec.dtls = o->dec.ice = o->dec.mux = true;
		o->dec.bundle = o->mid[0] ? o->bundle : true;
		break;
	default:
		/* Plain RTP: a secure profile from the other leg becomes RTP/AVP. */
		if (src_proto && (proto_secure(src_proto) || proto_dtls(src_proto)))
			snprintf(o->dec.proto, sizeof(o->dec.proto), "RTP/AVP");
		break;
	}
}

int osec_remote_answer(struct osec *o, const struct msdp_stream *st, const struct wsdp_remote *r)
{
	struct rsec_conf c = { 0 };
	struct msrtp_crypto theirs;

	o->have_pend = false;
	if (o->dec.ncrypto) {
		const struct msrtp_crypto *ours = NULL;
		for (size_t i = 0; i < r->ncrypto && !ours; i++)
			if (msrtp_crypto_parse(r->crypto[i], strlen(r->crypto[i]), &theirs) == 0)
				for (int k = 0; k < 2; k++)
					if (o->sdes[k].tag == theirs.tag && o->sdes[k].keys.suite == theirs.keys.suite)
						ours = &o->sdes[k];
		if (!ours)
			return refuse(o, "an answer without a=crypto matching our offer");
		c.kind = RSEC_SDES;
		c.tx = ours->keys;
		c.rx = theirs.keys;
		transport_follow(o, &c, st, r);
	} else if (o->dec.dtls) {
		if (!st->fingerprint[0] || !proto_dtls(st->proto))
			return refuse(o, "an answer without DTLS-SRTP");
		c.kind = RSEC_DTLS;
		/* Their active -> we serve; their passive -> we connect. */
		c.dtls_client = strcasecmp(st->setup, "passive") == 0;
		snprintf(c.remote_fp, sizeof(c.remote_fp), "%s", st->fingerprint);
		transport_follow(o, &c, st, r);
	}
	o->pend = c;
	o->have_pend = true;
	return 0;
}

static bool same_conf(const struct rsec_conf *a, const struct rsec_conf *b)
{
	struct rsec_conf x = *a, y = *b;
	x.gen = y.gen = 0;
	return memcmp(&x, &y, sizeof(x)) == 0;
}

void osec_commit(struct osec *o)
{
	if (!o->have_pend)
		return;
	struct rsec_conf c = o->pend;
	o->have_pend = false;
	if (c.kind == RSEC_NONE && !c.ice) {
		memset(&o->cur, 0, sizeof(o->cur));
		return;
	}
	c.cert = o->cert;
	memcpy(c.lufrag, o->lufrag, sizeof(c.lufrag));
	memcpy(c.lpwd, o->lpwd, sizeof(c.lpwd));
	if (o->cur.gen && same_conf(&o->cur, &c)) {
		c.gen = o->cur.gen;
	} else {
		if (++o->gen == 0)
			o->gen = 1;
		c.gen = o->gen;
	}
	o->cur = c;
	memset(&o->pend, 0, sizeof(o->pend));
}

void osec_rollback(struct osec *o)
{
	o->have_pend = false;
	memset(&o->pend, 0, sizeof(o->pend));
}

char *osec_decorate(const struct osec *o, const char *sdp, size_t len, const char *addr,
		    uint16_t port, size_t *outlen)
{
	struct wsdp_local w = {
		.proto = o->dec.proto[0] ? o->dec.proto : NULL,
		.fingerprint = o->dec.dtls ? mdtls_cert_fingerprint(o->cert) : NULL,
		.setup = o->dec.setup,
		.ice_ufrag = o->dec.ice ? o->lufrag : NULL,
		.ice_pwd = o->lpwd,
		.cand_addr = addr,
		.cand_port = port,
		.rtcp_mux = o->dec.mux,
		.mid = o->dec.mid,
		.bundle = o->dec.bundle,
	};
	for (size_t i = 0; i < o->dec.ncrypto && i < 2; i++)
		w.crypto[i] = o->dec.crypto[i];
	return wsdp_decorate(sdp, len, &w, outlen);
}

void osec_conf(const struct osec *o, struct rsec_conf *out)
{
	*out = o->cur;
}
