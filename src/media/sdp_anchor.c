/* sdp_anchor.c - what one leg's SDP becomes when the gateway sends it on the
 * other leg, and the per-leg origin (o=) state behind it.
 *
 * The rewrite builds a model that borrows the remote's extra-attribute
 * strings (never freed here), prints it once with version 0 to hash the body,
 * decides the version (RFC 3264 section 8: the version changes if and only if
 * the body changes), and prints it again with that version.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/types.h>
#include <time.h>

#include <sofia-sip/su_md5.h>

#include "media/sdp.h"
#include "media/sdp_priv.h"

#define ANCHOR_USER "tandem"
#define ANCHOR_SESSION "tandem"

void msdp_origin_init(struct msdp_origin *o)
{
	uint64_t r = 0;

	memset(o, 0, sizeof(*o));
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
		/* Unique enough for an o= line; not a secret. */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		r = ((uint64_t)ts.tv_sec << 30) ^ (uint64_t)ts.tv_nsec ^ (uint64_t)(uintptr_t)o;
	}
	o->sess_id = r >> 2;
	if (o->sess_id == 0)
		o->sess_id = 1;
	o->version = 1;
}

/* Keep only the strings that pass the rule (borrowed pointers). */
static size_t filter_extra(char **dst, char *const *src, size_t n)
{
	size_t k = 0;

	if (n > MSDP_MAX_EXTRA)
		n = MSDP_MAX_EXTRA;
	for (size_t i = 0; i < n; i++) {
		char name[MSDP_MAX_ATTR + 1];
		size_t nl;
		if (!src[i])
			continue;
		nl = strcspn(src[i], ":");
		if (nl > MSDP_MAX_ATTR)
			continue;
		memcpy(name, src[i], nl);
		name[nl] = '\0';
		if (msdp_attr_passes(name))
			dst[k++] = src[i];
	}
	return k;
}

static void anchor_stream(const struct msdp_stream *src, struct msdp_stream *dst,
			  const struct msdp_local *local, uint16_t local_port)
{
	const char *advertise = local->advertise;
	bool active = src->port != 0 && local_port != 0;

	*dst = *src;
	if (local->rtp_proto && msdp_proto_is_rtp(src->proto) &&
	    msdp_text_clean(local->rtp_proto) && !strchr(local->rtp_proto, ' '))
		msdp_copy_fit(dst->proto, sizeof(dst->proto), local->rtp_proto);
	if (!dst->proto[0])
		memcpy(dst->proto, src->proto, sizeof(dst->proto));
	dst->port = active ? local_port : 0;
	msdp_copy_fit(dst->addr, sizeof(dst->addr), advertise);
	dst->ipv6 = strchr(advertise, ':') != NULL;
	dst->rtcp_port = active && local_port < 65535 ? (uint16_t)(local_port + 1) : 0;
	dst->rtcp_addr[0] = '\0';
	dst->rtcp_mux = active && local->rtcp_mux;
	/* Old-style hold goes on as a direction toward the other leg. */
	dst->dir = msdp_stream_dir(src);
	dst->hold_zero_addr = false;
	dst->ice_ufrag[0] = dst->ice_pwd[0] = dst->fingerprint[0] = dst->setup[0] = '\0';
	memset(dst->extra, 0, sizeof(dst->extra));
	dst->nextra = filter_extra(dst->extra, src->extra, src->nextra);
	if (dst->ncodecs > MSDP_MAX_CODECS)
		dst->ncodecs = MSDP_MAX_CODECS;
}

static void body_hash(const char *body, size_t len, unsigned char out[16])
{
	su_md5_t md5;

	su_md5_init(&md5);
	su_md5_update(&md5, body, len);
	su_md5_digest(&md5, out);
	su_md5_deinit(&md5);
}

char *msdp_anchor(const struct msdp *remote, const struct msdp_local *local,
		  struct msdp_origin *origin, size_t *len)
{
	struct msdp *m = NULL;
	struct msdp_origin saved;
	unsigned char hash[16];
	char *body = NULL;
	size_t blen = 0;

	if (!remote || !local || !local->advertise || !origin)
		return NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	if (!msdp_copy_fit(m->origin_addr, sizeof(m->origin_addr), local->advertise) ||
	    !msdp_text_clean(local->advertise))
		goto out;
	strcpy(m->origin_user, ANCHOR_USER);
	strcpy(m->session_name, ANCHOR_SESSION);
	m->sess_id = origin->sess_id;
	m->nsess_extra = filter_extra(m->sess_extra, remote->sess_extra, remote->nsess_extra);
	m->nstreams = remote->nstreams < MSDP_MAX_STREAMS ? remote->nstreams : MSDP_MAX_STREAMS;
	for (size_t i = 0; i < m->nstreams; i++)
		anchor_stream(&remote->streams[i], &m->streams[i], local, local->ports[i]);

	/* Version 0 stands in for "the version" while hashing the body. */
	m->sess_version = 0;
	body = msdp_print(m, &blen);
	if (!body)
		goto out;
	body_hash(body, blen, hash);
	free(body);
	body = NULL;

	saved = *origin;
	if (!origin->used) {
		origin->used = true;
	} else if (memcmp(hash, origin->last_body_hash, sizeof(hash)) != 0) {
		origin->version++;
	}
	memcpy(origin->last_body_hash, hash, sizeof(hash));
	m->sess_version = origin->version;
	body = msdp_print(m, len);
	if (!body)
		*origin = saved; /* nothing was sent: nothing changed */
out:
	free(m); /* borrowed extras: not msdp_clear() */
	return body;
}
