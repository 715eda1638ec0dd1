/* session.c - the owner-side media session: port allocation, the SDP
 * offer/answer state machine of each leg, anchoring, and the event hand-off
 * back to the owner thread. Packets are the worker's business (relay.h).
 *
 * Each leg has its own state: STABLE, LOCAL_OFFER (we sent an offer on it and
 * wait for its answer) or REMOTE_OFFER (its peer offered and we wait for the
 * other leg's answer). A relayed exchange holds one leg in REMOTE_OFFER and
 * the other in LOCAL_OFFER until the answer comes back. Only complete
 * exchanges reach the worker.
 *
 * Codecs (transcode_neg.h): the offer sent on a leg is rebuilt for that leg
 * (what it allows, its own payload type numbers, codecs to transcode to);
 * the answer relayed back is rebuilt in the offerer's numbers. After every
 * completed exchange each leg's agreement (struct xleg) is recorded and the
 * media plan pushed to the worker: payload type maps, or a transcoder made
 * here on the owner thread (engines allocate) and handed over. A session
 * holds one of the core's transcoding slots while it transcodes, or while an
 * offer with codecs to transcode to is pending.
 *
 * Lifetime: the handle is reference counted: one reference for the owner
 * (dropped by media_session_destroy), one for the worker-side session
 * (dropped when the worker has closed the sockets) and one per event in the
 * owner's queue. 'dead' is set by destroy, so queued events are dropped
 * instead of calling back.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "media/media_priv.h"
#include "media/netaddr.h"
#include "media/relay.h"
#include "media/rtcp_leg.h"
#include "media/dtmf_info.h"
#include "media/dtmf_iw.h"
#include "media/repack_relay.h"
#include "media/sdp_ops.h"
#include "media/sdp_webrtc.h"
#include "media/sec_neg.h"
#include "media/transcode.h"
#include "media/transcode_sess.h"

enum ostate { OS_STABLE, OS_LOCAL_OFFER, OS_REMOTE_OFFER };

/* The codecs of an SDP we sent on a leg (identity and PT only). */
struct clist {
	size_t n;
	struct xcodec c[MSDP_MAX_CODECS];
};

struct oleg {
	enum media_endpoint ep;
	bool latch;
	bool dtmf_info;                 /* digits go to this leg as SIP INFO */
	struct mpool *pool;             /* NULL for an endpoint leg */
	uint16_t port;
	char **codecs;                  /* NULL-terminated copy, or NULL = any */
	struct msdp_origin origin;

	enum ostate st;
	bool answer_relays;             /* LOCAL_OFFER: the answer goes to the other leg */
	bool offer_local;               /* LOCAL_OFFER: made by media_session_local_offer */
	int offer_idx;                  /* LOCAL_OFFER: stream index carrying media */
	bool offer_raw;                 /* LOCAL_OFFER: that stream is T.38 (not RTP) */

	char *cur;                      /* last agreed remote SDP of this leg, or NULL */
	int cur_idx;
	bool we_offered_last;           /* the last exchange answered our offer */
	char *pend;                     /* REMOTE_OFFER: the remote offer */
	struct rleg_conf wconf, pend_wconf;
	struct clist sent;              /* codecs we sent in the last completed exchange */
	struct clist pend_sent;         /* LOCAL_OFFER: codecs of our offer */
	bool pend_extras;               /* LOCAL_OFFER: it has codecs to transcode to */
	struct xleg agreed;             /* what the leg agreed (valid after an exchange) */

	/* Owner-side copies for media_session_stats. */
	char codec[32], remote[64], local[64];
	struct osec sec;                /* transport security (sec_neg.h) */
};

struct media_session {
	media_core_t *mc;
	atomic_int refs;
	bool dead;
	tq_t *owner_q;
	media_event_cb cb;
	void *cb_arg;
	char label[64];
	struct rsess *rs;
	struct xsess x;                 /* transcoding slot and plan */
	int xpair;                      /* counted under this codec pair (xpairs.h), -1: none */
	struct oleg leg[2];
};

struct ev_msg {
	media_session_t *s;
	struct media_event ev;
};

static void sess_unref(media_session_t *s)
{
	if (atomic_fetch_sub(&s->refs, 1) == 1)
		free(s);
}

static void ev_deliver(void *arg)
{
	struct ev_msg *m = arg;
	media_session_t *s = m->s;

	if (!s->dead) {
		if (m->ev.type == MEDIA_EV_LATCHED || m->ev.type == MEDIA_EV_SOURCE_CHANGED)
			snprintf(s->leg[m->ev.leg].remote, sizeof s->leg[0].remote, "%s", m->ev.addr);
		if (s->cb)
			s->cb(s, &m->ev, s->cb_arg);
	}
	sess_unref(s);
	free(m);
}

static void ev_drop(void *arg)
{
	struct ev_msg *m = arg;
	sess_unref(m->s);
	free(m);
}

/* Worker thread: an event for the owner. */
static void hook_notify(void *owner, const struct media_event *ev)
{
	media_session_t *s = owner;
	if (!s->owner_q)
		return;
	struct ev_msg *m = malloc(sizeof *m);
	if (!m) {
		LOG_ERR("media: %s: event lost (out of memory)", s->label);
		return;
	}
	m->s = s;
	m->ev = *ev;
	atomic_fetch_add(&s->refs, 1);
	if (tq_post(s->owner_q, ev_deliver, ev_drop, m) < 0)
		ev_drop(m);
}

/* Worker thread: the worker side is gone. */
static void hook_release(void *owner)
{
	sess_unref(owner);
}

static void free_codecs(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static int copy_codecs(const char *const *in, char ***out)
{
	size_t n = 0;

	*out = NULL;
	if (!in)
		return 0;
	while (in[n])
		n++;
	char **v = calloc(n + 1, sizeof *v);
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		v[i] = strdup(in[i]);
		if (!v[i]) {
			free_codecs(v);
			return -ENOMEM;
		}
	}
	*out = v;
	return 0;
}

static void release_ports(struct rsess_init *ri)
{
	for (int i = 0; i < 2; i++) {
		if (ri->fd_rtp[i] < 0)
			continue;
		close(ri->fd_rtp[i]);
		close(ri->fd_rtcp[i]);
		mpool_release(ri->pool[i], ri->port[i], 0);
		ri->fd_rtp[i] = ri->fd_rtcp[i] = -1;
	}
}

static int setup_legs(media_session_t *s, const struct media_session_opts *o,
		      struct rsess_init *ri)
{
	for (int i = 0; i < 2; i++) {
		const struct media_leg_opts *lo = &o->leg[i];
		struct oleg *l = &s->leg[i];
		l->ep = lo->endpoint;
		l->latch = lo->latch;
		l->dtmf_info = lo->dtmf_info;
		l->cur_idx = l->offer_idx = -1;
		msdp_origin_init(&l->origin);
		ri->ep[i] = l->ep;
		ri->latch[i] = l->latch;
		if (copy_codecs(lo->codecs, &l->codecs) < 0)
			return -ENOMEM;
		if (osec_init(&l->sec, lo->security, s->mc->dtls, s->label, i) < 0)
			return -EIO;
		if (l->ep != MEDIA_ENDPOINT_NONE)
			continue;
		l->pool = mcore_pool(s->mc, lo->iface);
		if (!l->pool) {
			LOG_ERR("media: %s: leg %c has no known interface", s->label, 'A' + i);
			return -EINVAL;
		}
		int rc = mpool_alloc(l->pool, &l->port, &ri->fd_rtp[i], &ri->fd_rtcp[i]);
		if (rc)
			return rc;
		ri->pool[i] = l->pool;
		ri->port[i] = l->port;
		snprintf(l->local, sizeof l->local, "%s%s%s:%u",
			 mpool_family(l->pool) == AF_INET6 ? "[" : "", mpool_advertise(l->pool),
			 mpool_family(l->pool) == AF_INET6 ? "]" : "", (unsigned)l->port);
	}
	return 0;
}

static void free_owner_side(media_session_t *s)
{
	for (int i = 0; i < 2; i++) {
		free_codecs(s->leg[i].codecs);
		free(s->leg[i].cur);
		free(s->leg[i].pend);
		s->leg[i].codecs = NULL;
		s->leg[i].cur = s->leg[i].pend = NULL;
	}
}

int media_session_new(media_core_t *mc, const struct media_session_opts *opts,
		      media_session_t **out)
{
	struct rsess_init ri = { .fd_rtp = { -1, -1 }, .fd_rtcp = { -1, -1 } };
	media_session_t *s;
	int rc;

	*out = NULL;
	if (opts->leg[0].endpoint != MEDIA_ENDPOINT_NONE && opts->leg[1].endpoint != MEDIA_ENDPOINT_NONE)
		return -EINVAL;
	s = calloc(1, sizeof *s);
	if (!s)
		return -ENOMEM;
	s->mc = mc;
	s->owner_q = opts->owner_q;
	s->cb = opts->cb;
	s->cb_arg = opts->cb_arg;
	snprintf(s->label, sizeof s->label, "%s", opts->label ? opts->label : "-");
	s->x.mc = mc;
	s->x.label = s->label;
	s->xpair = -1;
	rc = setup_legs(s, opts, &ri);
	if (rc)
		goto fail;
	ri.worker = mcore_pick_worker(mc);
	ri.rtp_timeout = opts->rtp_timeout;
	ri.hold_timeout = opts->hold_timeout;
	ri.latch_window = opts->latch_window;
	ri.rtcp_interval_ms = mc->rtcp_interval_ms;
	ri.tone[0] = mc->tone[0];
	ri.tone[1] = mc->tone[1];
	ri.owner = s;
	ri.notify = hook_notify;
	ri.release = hook_release;
	/* Two references: the owner's and the worker side's. */
	atomic_init(&s->refs, 2);
	rc = rsess_new(&ri, &s->rs);
	if (rc) {
		/* rsess_new closed the sockets; the pairs are still reserved. */
		for (int i = 0; i < 2; i++)
			if (ri.pool[i])
				mpool_release(ri.pool[i], ri.port[i], 0);
		ri.fd_rtp[0] = ri.fd_rtp[1] = -1;
		goto fail;
	}
	rc = rsess_start(s->rs);
	if (rc) {
		/* Not on the worker yet: stopping it releases everything and
		 * drops the worker's reference. */
		rsess_stop(s->rs);
		free_owner_side(s);
		sess_unref(s);
		return rc;
	}
	atomic_fetch_add(&mc->sessions, 1);
	*out = s;
	return 0;
fail:
	release_ports(&ri);
	free_owner_side(s);
	free(s);
	return rc;
}

void media_session_destroy(media_session_t *s)
{
	if (!s)
		return;
	struct media_leg_stats st[2];
	media_session_stats(s, st);
	mq_observe(&s->mc->quality, st);
	s->dead = true;
	atomic_fetch_sub(&s->mc->sessions, 1);
	xsess_slot_sync(&s->x, false);
	s->xpair = xpairs_set(&s->mc->xpairs, s->xpair, NULL, NULL);
	free_owner_side(s);
	rsess_stop(s->rs);
	s->rs = NULL;
	sess_unref(s);
}

/* ---- SDP ---- */

static struct msdp *msdp_alloc(void)
{
	return calloc(1, sizeof(struct msdp));
}

static void msdp_free(struct msdp *m)
{
	if (m) {
		msdp_clear(m);
		free(m);
	}
}

static int parse(media_session_t *s, int leg, const char *sdp, size_t len, struct msdp **out)
{
	char why[128] = "";
	struct msdp *m = msdp_alloc();

	*out = NULL;
	if (!m)
		return -ENOMEM;
	int rc = msdp_parse(sdp, len, m, why, sizeof why);
	if (rc) {
		LOG_INFO("media: %s: leg %c: unusable SDP: %s", s->label, 'A' + leg, why);
		free(m);
		return rc == -ENOMEM ? rc : -EINVAL;
	}
	*out = m;
	return 0;
}

static struct msdp_stream *stream_at(struct msdp *m, int idx)
{
	return m && idx >= 0 && (size_t)idx < m->nstreams ? &m->streams[idx] : NULL;
}

/* A leg's last agreed SDP, parsed (NULL if none or unparsable). */
static struct msdp *parse_cur(media_session_t *s, int leg)
{
	struct msdp *m = NULL;
	if (s->leg[leg].cur)
		parse(s, leg, s->leg[leg].cur, strlen(s->leg[leg].cur), &m);
	return m;
}

/* What the worker needs from stream 'idx' of a leg's remote SDP. -EINVAL
 * when the address is unusable (a name, or the wrong family for the leg's
 * interface). */
static int wconf_from(const struct oleg *l, const struct msdp *m, int idx, struct rleg_conf *c)
{
	memset(c, 0, sizeof *c);
	c->ep_pt = -1;
	c->negotiated = true;
	if (idx < 0 || (size_t)idx >= m->nstreams || !m->streams[idx].port)
		return 0;           /* negotiated, but no media on this leg */
	const struct msdp_stream *st = &m->streams[idx];
	enum msdp_dir d = msdp_stream_dir(st);
	c->raw = !msdp_proto_is_rtp(st->proto);
	c->hold = d == MSDP_SENDONLY || d == MSDP_INACTIVE;
	c->rtcp_mux = st->rtcp_mux && !c->raw;     /* we answer mux when offered, offer it only when offered */
	c->sends = d == MSDP_SENDRECV || d == MSDP_SENDONLY;
	c->ptime = (uint16_t)(st->ptime < 1000 ? st->ptime : 0);
	c->maxptime = (uint16_t)(st->maxptime < 1000 ? st->maxptime : 0);
	for (size_t i = 0; i < st->ncodecs && c->npt < RLEG_MAX_PT; i++) {
		c->pts[c->npt].pt = st->codecs[i].pt;
		c->pts[c->npt].rate = st->codecs[i].rate;
		c->npt++;
	}
	if (st->hold_zero_addr)
		return 0;
	if (na_from_str(&c->rtp, st->addr, st->port) < 0 ||
	    c->rtp.sa.sa_family != mpool_family(l->pool))
		return -EINVAL;
	if (na_is_any(&c->rtp))
		return 0;
	c->have_addr = true;
	c->rtcp = c->rtp;
	if (st->rtcp_addr[0]) {
		na_addr_t ra;
		if (na_from_str(&ra, st->rtcp_addr, 0) == 0 && ra.sa.sa_family == c->rtp.sa.sa_family)
			c->rtcp = ra;
	}
	na_set_port(&c->rtcp, st->rtcp_port ? st->rtcp_port : (uint16_t)(st->port + 1));
	return 0;
}

static void codec_name(const struct msdp *m, int idx, char *out, size_t outlen)
{
	out[0] = '\0';
	if (idx >= 0 && (size_t)idx < m->nstreams && m->streams[idx].port && m->streams[idx].ncodecs) {
		const struct msdp_codec *c = &m->streams[idx].codecs[0];
		snprintf(out, outlen, "%s/%u", c->name, (unsigned)c->rate);
	}
}

/* Make 'm' the SDP sent on leg 'leg' (gateway address, the leg's origin). */
static int anchor_for(media_session_t *s, int leg, const struct msdp *m, bool is_offer,
		      bool mux, struct media_sdp *out)
{
	struct oleg *l = &s->leg[leg];
	struct msdp_local loc = { .advertise = mpool_advertise(l->pool), .rtcp_mux = mux };
	size_t len = 0;

	for (int k = 0; k < MSDP_MAX_STREAMS; k++)
		loc.ports[k] = l->port;
	if (is_offer) {
		const char *proto = NULL;
		for (size_t k = 0; k < m->nstreams && !proto; k++)
			if (m->streams[k].port)
				proto = m->streams[k].proto;
		osec_local_offer(&l->sec, proto);
	}
	char *plain = msdp_anchor(m, &loc, &l->origin, &len);
	if (!plain)
		return -ENOMEM;
	/* The leg's own transport: profile, keys, ICE-lite, mux, mid. */
	char *txt = osec_decorate(&l->sec, plain, len, loc.advertise, l->port, &len);
	free(plain);
	if (!txt)
		return -ENOMEM;
	out->sdp = txt;
	out->len = len;
	out->is_offer = is_offer;
	return 0;
}

static void set_list(struct clist *l, const struct msdp_codec *c, size_t n)
{
	l->n = n < MSDP_MAX_CODECS ? n : MSDP_MAX_CODECS;
	for (size_t i = 0; i < l->n; i++)
		xcodec_of(&c[i], &l->c[i]);
}

static void set_codecs(struct msdp_stream *st, const struct msdp_codec *c, size_t n)
{
	st->ncodecs = n < MSDP_MAX_CODECS ? n : MSDP_MAX_CODECS;
	memcpy(st->codecs, c, st->ncodecs * sizeof *c);
}

/* The stats name of the codec a leg agreed ("PCMU/8000"), if it agreed one. */
static void name_main(struct oleg *l)
{
	char tmp[sizeof l->codec];
	xleg_name(&l->agreed, tmp, sizeof tmp);
	if (tmp[0])
		memcpy(l->codec, tmp, sizeof tmp);
}

/* Record what the offering leg 'l' agreed: its offer 'own' against the
 * answer we sent it ('ans', n codecs). */
static void agree(media_session_t *s, struct oleg *l, const struct msdp_stream *own,
		  const struct msdp_codec *ans, size_t n)
{
	set_list(&l->sent, ans, n);
	xleg_build(&s->mc->cat, own, l->sent.c, l->sent.n, n ? ans[0].fmtp : NULL, false, &l->agreed);
	name_main(l);
}

/* Record an agreed remote SDP on a leg (takes 'sdp'). */
static void commit(struct oleg *l, char *sdp, int idx, const struct rleg_conf *wc, bool we_offered)
{
	free(l->cur);
	l->cur = sdp;
	l->cur_idx = idx;
	l->wconf = *wc;
	l->we_offered_last = we_offered;
	l->st = OS_STABLE;
	l->pend_extras = false;
	osec_commit(&l->sec);
	if (wc->have_addr)
		na_format(&wc->rtp, l->remote, sizeof l->remote);
	else
		l->remote[0] = '\0';
}

/* Hold a transcoding slot exactly while transcoding or while an offer with
 * codecs to transcode to is pending. */
static void slot_sync(media_session_t *s)
{
	bool want = s->x.xcoding;
	for (int i = 0; i < 2; i++)
		want |= s->leg[i].st == OS_LOCAL_OFFER && s->leg[i].pend_extras;
	xsess_slot_sync(&s->x, want);
}

/* After a completed exchange: the per-leg parameters and the media plan. */
static void push_conf(media_session_t *s)
{
	struct rsess_conf c = { .leg = { s->leg[0].wconf, s->leg[1].wconf } };

	osec_conf(&s->leg[0].sec, &c.sec[0]);
	osec_conf(&s->leg[1].sec, &c.sec[1]);

	if (c.leg[0].raw || c.leg[1].raw) {
		/* T.38 (relay.h raw): opaque datagrams, no codec plan; a
		 * transcoder, if any, is dropped and made again for audio */
		s->x.xcoding = false;
		s->x.sig[0] = '\0';
	} else if (s->leg[0].ep == MEDIA_ENDPOINT_NONE && s->leg[1].ep == MEDIA_ENDPOINT_NONE &&
	    s->leg[0].agreed.valid && s->leg[1].agreed.valid) {
		xsess_plan(&s->x, &s->leg[0].agreed, &s->leg[1].agreed, s->leg[0].codec,
			   s->leg[1].codec, &c);
		rpk_plan(&s->leg[0].agreed, &s->leg[1].agreed, &c, s->label);
		for (int i = 0; i < 2; i++)
			if (s->leg[i].dtmf_info && c.map[!i].on)
				dinfo_plan(&s->leg[!i].agreed, &c.map[!i]);
	}
	if (rsess_configure(s->rs, &c) < 0) {
		LOG_ERR("media: %s: cannot update the media path (out of memory)", s->label);
		s->x.xcoding = false;   /* the transcoder, if any, went with the message */
		s->x.sig[0] = '\0';
	}
	slot_sync(s);
	/* the transcoding-by-pair gauge follows the plan (xpairs.h) */
	s->xpair = xpairs_set(&s->mc->xpairs, s->xpair, s->x.xcoding ? s->leg[0].codec : NULL,
			      s->leg[1].codec);
}

static char *dup_sdp(const char *sdp, size_t len)
{
	char *d = malloc(len + 1);
	if (d) {
		memcpy(d, sdp, len);
		d[len] = '\0';
	}
	return d;
}

/* Turn 'st' (leg 'from''s stream, in its numbers) into the offer for the
 * other leg (transcode_sess.h: the cap, -EBUSY, -ENOTSUP). */
static int offer_codecs(media_session_t *s, int from, struct msdp_stream *st, enum xneg_extras ex)
{
	struct oleg *t = &s->leg[!from];
	struct msdp *cur = parse_cur(s, !from);
	struct msdp_codec main;
	struct xneg_target tg = {
		.prefs = (const char *const *)t->codecs,
		.cur = stream_at(cur, t->cur_idx),
		.cur_main = xleg_main(&t->agreed, &main) ? &main : NULL,
	};
	struct xneg_offer *xo = malloc(sizeof *xo);
	int rc = xo ? xsess_offer(&s->x, from, st, (const char *const *)s->leg[from].codecs, &tg, ex, xo)
		    : -ENOMEM;

	if (rc == 0) {
		set_codecs(st, xo->codecs, xo->n);
		set_list(&t->pend_sent, xo->codecs, xo->n);
		t->pend_extras = xo->nextra > 0;
	} else {
		slot_sync(s);
	}
	free(xo);
	msdp_free(cur);
	return rc;
}

/* The transport security leg 'f''s peer offers in stream 'idx' of its SDP
 * (sec_neg.h): -ENOTSUP when its media_security refuses it. */
static int sec_offer(struct oleg *f, const char *sdp, size_t len, const struct msdp *m, int idx)
{
	struct wsdp_remote r;
	if (idx < 0 || (size_t)idx >= m->nstreams)
		return 0;
	if (wsdp_remote_parse(sdp, len, idx, &r) < 0)
		return -EINVAL;
	return osec_remote_offer(&f->sec, &m->streams[idx], &r);
}

/* Offer toward a local endpoint: answer it here. */
static int offer_to_endpoint(media_session_t *s, int from, const char *sdp, size_t len,
			     struct msdp *m, struct media_sdp *out)
{
	struct oleg *f = &s->leg[from], *o = &s->leg[!from];
	struct rleg_conf wc, ec = { .negotiated = true, .ep_pt = -1 };
	struct msdp *ans = msdp_alloc();
	char *dup = dup_sdp(sdp, len);
	int idx, rc = -ENOMEM;

	if (!ans || !dup)
		goto out;
	rc = sdpo_endpoint_answer(m, o->ep, ans, &idx, &ec.ep_pt, &ec.ep_law, &ec.ep_send);
	if (rc == 0)
		rc = wconf_from(f, m, idx, &wc);
	if (rc == 0)
		rc = sec_offer(f, sdp, len, m, idx);
	if (rc == 0)
		rc = anchor_for(s, from, ans, false, stream_at(m, idx) && stream_at(m, idx)->rtcp_mux, out);
	if (rc)
		goto out;
	codec_name(ans, idx, f->codec, sizeof f->codec);
	memcpy(o->codec, f->codec, sizeof o->codec);
	commit(f, dup, idx, &wc, false);
	dup = NULL;
	o->wconf = ec;
	push_conf(s);
out:
	free(dup);
	msdp_free(ans);
	return rc;
}

int media_session_offer(media_session_t *s, enum media_leg from, const char *sdp, size_t len,
			struct media_sdp *out)
{
	struct oleg *f = &s->leg[from], *o = &s->leg[!from];
	struct msdp *m = NULL;
	struct rleg_conf wc;
	char *dup = NULL;
	int rc, idx;

	memset(out, 0, sizeof *out);
	if (f->ep != MEDIA_ENDPOINT_NONE)
		return -EINVAL;
	if (f->st != OS_STABLE || o->st != OS_STABLE)
		return -EPROTO;
	rc = parse(s, from, sdp, len, &m);
	if (rc)
		return rc;
	if (o->ep != MEDIA_ENDPOINT_NONE) {
		rc = offer_to_endpoint(s, from, sdp, len, m, out);
		goto out;
	}
	idx = sdpo_pick_stream(m);
	if (idx < 0)
		idx = sdpo_pick_image(m);   /* T.38: relayed as it is, no codecs */
	if (idx < 0) {
		rc = -ENOTSUP;
		goto out;
	}
	rc = wconf_from(f, m, idx, &wc);
	if (rc == 0)
		rc = sec_offer(f, sdp, len, m, idx);
	if (rc)
		goto out;
	sdpo_only_stream(m, idx);
	if (!wc.raw)
		rc = offer_codecs(s, from, &m->streams[idx], XNEG_EXTRAS_PREFS);
	else
		o->pend_extras = false;
	if (rc)
		goto out;
	dup = dup_sdp(sdp, len);
	if (!dup) {
		rc = -ENOMEM;
		goto out;
	}
	rc = anchor_for(s, !from, m, true, m->streams[idx].rtcp_mux, out);
	if (rc)
		goto out;
	free(f->pend);
	f->pend = dup;
	dup = NULL;
	f->pend_wconf = wc;
	f->st = OS_REMOTE_OFFER;
	o->st = OS_LOCAL_OFFER;
	o->answer_relays = true;
	o->offer_local = false;
	o->offer_idx = idx;
	o->offer_raw = wc.raw;
out:
	if (rc && o->st == OS_STABLE) {
		o->pend_extras = false;
		slot_sync(s);
	}
	free(dup);
	msdp_free(m);
	return rc;
}

/* The answer completes our own offer on 'from' and the other leg has no SDP
 * yet (late offer): offer it what 'from' answered. */
static int late_offer(media_session_t *s, int from, struct msdp *m, int idx, struct media_sdp *out)
{
	struct oleg *o = &s->leg[!from];
	struct msdp_stream *st = stream_at(m, idx);

	if (!st)
		return -ENOTSUP;
	sdpo_only_stream(m, idx);
	int rc = offer_codecs(s, from, st, XNEG_EXTRAS_ALL);
	if (rc == 0)
		rc = anchor_for(s, !from, m, true, st->rtcp_mux, out);
	if (rc == 0) {
		o->st = OS_LOCAL_OFFER;
		o->answer_relays = false;
		o->offer_local = false;
		o->offer_idx = idx;
	}
	return rc;
}

/* T ('from') answered the offer relayed from F: F's answer, in F's numbers,
 * built into T's answer model 'm'. Commits F. */
static int relay_answer(media_session_t *s, int from, struct msdp *m, int idx,
			struct media_sdp *out)
{
	struct oleg *o = &s->leg[!from];
	struct msdp *fo = NULL;
	struct xneg_answer *xa = malloc(sizeof *xa);
	struct msdp_stream *ts = stream_at(m, idx), *fs;
	int rc = xa ? parse(s, !from, o->pend, strlen(o->pend), &fo) : -ENOMEM;

	if (rc)
		goto out;
	fs = stream_at(fo, idx);
	if (fs && ts && !msdp_proto_is_rtp(fs->proto)) {
		/* T.38 accepted: its answer goes back as it is (anchored) */
		rc = anchor_for(s, !from, m, false, false, out);
		if (rc == 0) {
			commit(o, o->pend, idx, &o->pend_wconf, false);
			o->pend = NULL;
			snprintf(o->codec, sizeof o->codec, "t38");
		}
		goto out;
	}
	rc = fs && ts ? xneg_answer_codecs(&s->mc->cat, fs, (const char *const *)o->codecs, ts, xa)
		      : -ENOTSUP;
	if (rc) {
		char got[64] = "";
		codec_name(m, idx, got, sizeof got);
		LOG_WARN("media: %s: leg %c answered %s, which nothing leg %c offered can carry",
			 s->label, 'A' + from, got[0] ? got : "nothing", 'A' + !from);
		goto out;
	}
	if (ts->port)
		set_codecs(ts, xa->codecs, xa->n);
	if (ts->port)
		rpk_answer_ptime(fs, ts, xa->xcode);
	rc = anchor_for(s, !from, m, false, fs->rtcp_mux, out);
	if (rc)
		goto out;
	commit(o, o->pend, idx, &o->pend_wconf, false);
	o->pend = NULL;
	agree(s, o, fs, xa->codecs, xa->n);
out:
	free(xa);
	msdp_free(fo);
	return rc;
}

int media_session_answer(media_session_t *s, enum media_leg from, const char *sdp, size_t len,
			 struct media_sdp *out)
{
	struct oleg *f = &s->leg[from], *o = &s->leg[!from];
	struct msdp *m = NULL;
	struct rleg_conf wc, ec = { .negotiated = true, .ep_pt = -1 };
	struct xleg *fx = NULL;
	char codec[32], *dup = NULL;
	int rc;

	memset(out, 0, sizeof *out);
	if (f->ep != MEDIA_ENDPOINT_NONE)
		return -EINVAL;
	/* A second answer to the offer already answered (another fork, or a
	 * 200 after a 183 with different SDP) updates the leg in place. */
	bool update = f->st == OS_STABLE && f->we_offered_last && f->cur;
	if (f->st != OS_LOCAL_OFFER && !update)
		return -EPROTO;
	int idx = update ? f->cur_idx : f->offer_idx;
	const struct clist *ours = update ? &f->sent : &f->pend_sent;
	rc = parse(s, from, sdp, len, &m);
	if (rc)
		return rc;
	if (!update && f->answer_relays && f->offer_raw) {
		const struct msdp_stream *as = stream_at(m, idx);
		if (!as || !as->port) {
			/* T.38 refused: the refusal goes back to the requester
			 * and the audio as agreed before stays up (G.711 fax
			 * pass-through) */
			rc = anchor_for(s, !from, m, false, false, out);
			if (rc == 0) {
				LOG_INFO("media: %s: leg %c refused T.38: the audio stays up",
					 s->label, 'A' + from);
				media_session_offer_rejected(s, from);
			}
			goto out;
		}
	}
	rc = wconf_from(f, m, idx, &wc);
	if (rc == 0 && stream_at(m, idx) && m->streams[idx].port) {
		struct wsdp_remote r;
		rc = wsdp_remote_parse(sdp, len, idx, &r) < 0 ? -EINVAL
			: osec_remote_answer(&f->sec, &m->streams[idx], &r);
	}
	if (rc)
		goto out;
	dup = dup_sdp(sdp, len);
	fx = malloc(sizeof *fx);
	if (!dup || !fx) {
		rc = -ENOMEM;
		goto out;
	}
	codec_name(m, idx, codec, sizeof codec);
	/* What 'from' agreed, before its stream is rewritten for the other leg. */
	xleg_build(&s->mc->cat, stream_at(m, idx), ours->c, ours->n, NULL, true, fx);
	if (update) {
		/* sdp stays NULL: the other leg already has its answer. */
	} else if (f->answer_relays) {
		rc = relay_answer(s, from, m, idx, out);
	} else if (o->ep != MEDIA_ENDPOINT_NONE) {
		const struct msdp_stream *st = stream_at(m, idx);
		rc = st ? sdpo_endpoint_from_answer(st, o->ep, &ec.ep_pt, &ec.ep_law, &ec.ep_send) : -ENOTSUP;
		if (rc == 0) {
			o->wconf = ec;
			memcpy(o->codec, codec, sizeof codec);
		}
	} else if (f->offer_local && o->st == OS_STABLE && !o->cur) {
		rc = late_offer(s, from, m, idx, out);
	}
	if (rc)
		goto out;
	if (!update)
		f->sent = f->pend_sent;
	commit(f, dup, idx, &wc, true);
	dup = NULL;
	if (wc.raw) {
		/* T.38: the audio agreement stays for when the call goes back */
		snprintf(f->codec, sizeof f->codec, "t38");
	} else {
		memcpy(f->codec, codec, sizeof codec);
		f->agreed = *fx;
		name_main(f);
	}
	push_conf(s);
out:
	free(fx);
	free(dup);
	msdp_free(m);
	return rc;
}

/* The gateway's own offer (no other SDP to start from). */
static int own_offer(media_session_t *s, int to, struct msdp *m)
{
	struct oleg *t = &s->leg[to];
	int rc = xsess_own_offer(&s->x, (const char *const *)t->codecs,
				 s->leg[!to].ep == MEDIA_ENDPOINT_MILLIWATT, m);
	if (rc == 0) {
		set_list(&t->pend_sent, m->streams[0].codecs, m->streams[0].ncodecs);
		t->pend_extras = false;
	}
	return rc;
}

int media_session_local_offer(media_session_t *s, enum media_leg to, struct media_sdp *out)
{
	struct oleg *t = &s->leg[to], *o = &s->leg[!to];
	struct msdp *m = NULL;
	int rc, idx = 0;

	memset(out, 0, sizeof *out);
	if (t->ep != MEDIA_ENDPOINT_NONE)
		return -EINVAL;
	if (t->st != OS_STABLE || o->st != OS_STABLE)
		return -EPROTO;
	if (o->ep == MEDIA_ENDPOINT_NONE && o->cur && o->cur_idx >= 0) {
		/* Offer what the other leg has agreed (re-INVITE without SDP). */
		rc = parse(s, !to, o->cur, strlen(o->cur), &m);
		if (rc)
			return rc;
		idx = o->cur_idx;
		sdpo_only_stream(m, idx);
		struct msdp_stream *st = stream_at(m, idx);
		if (st && !msdp_proto_is_rtp(st->proto))
			rc = 0;                 /* T.38: offered as agreed, no codecs */
		else if (st)
			xleg_restrict(&o->agreed, st);     /* only what it agreed */
		if (st && msdp_proto_is_rtp(st->proto))
			rc = offer_codecs(s, !to, st, XNEG_EXTRAS_PREFS);
		else if (!st)
			rc = -ENOTSUP;
	} else {
		m = msdp_alloc();
		if (!m)
			return -ENOMEM;
		rc = own_offer(s, to, m);
	}
	if (rc == 0)
		rc = anchor_for(s, to, m, true, stream_at(m, idx) && stream_at(m, idx)->rtcp_mux, out);
	if (rc == 0) {
		t->st = OS_LOCAL_OFFER;
		t->offer_local = true;
		t->answer_relays = false;
		t->offer_idx = idx;
		t->offer_raw = false;
	} else {
		t->pend_extras = false;
		slot_sync(s);
	}
	msdp_free(m);
	return rc;
}

void media_session_offer_rejected(media_session_t *s, enum media_leg to)
{
	struct oleg *t = &s->leg[to], *o = &s->leg[!to];

	if (t->st != OS_LOCAL_OFFER)
		return;
	if (t->answer_relays && o->st == OS_REMOTE_OFFER) {
		free(o->pend);
		o->pend = NULL;
		o->st = OS_STABLE;
		osec_rollback(&o->sec);
	}
	osec_rollback(&t->sec);
	t->st = OS_STABLE;
	t->pend_extras = false;
	slot_sync(s);
}

int media_session_dtmf(media_session_t *s, enum media_leg from, char digit, unsigned duration_ms)
{
	if (digit >= 'a' && digit <= 'd')
		digit = (char)(digit - 'a' + 'A');
	if (dtmf_code_of(digit) < 0)
		return -EINVAL;
	if (duration_ms < DINFO_MIN_MS)
		duration_ms = DINFO_MIN_MS;
	if (duration_ms > DINFO_MAX_MS)
		duration_ms = DINFO_MAX_MS;
	return rsess_dtmf(s->rs, from, digit, duration_ms);
}

void media_session_stats(media_session_t *s, struct media_leg_stats out[2])
{
	for (int i = 0; i < 2; i++) {
		const struct oleg *l = &s->leg[i];
		struct rleg_counters c;
		rsess_leg_counters(s->rs, i, &c);
		memset(&out[i], 0, sizeof out[i]);
		out[i].packets_in = c.packets_in;
		out[i].packets_out = c.packets_out;
		out[i].bytes_in = c.bytes_in;
		out[i].bytes_out = c.bytes_out;
		out[i].dropped = c.dropped;
		snprintf(out[i].codec, sizeof out[i].codec, "%s", l->codec);
		snprintf(out[i].remote, sizeof out[i].remote, "%s", l->remote);
		snprintf(out[i].local, sizeof out[i].local, "%s", l->local);
		out[i].on_hold = l->wconf.negotiated && l->wconf.hold;
		out[i].transcoded = s->x.xcoding;
		rsess_leg_quality(s->rs, i, &out[i]);
		snprintf(out[i].security, sizeof out[i].security, "%s",
			 l->sec.cur.kind == RSEC_DTLS ? "dtls-srtp" : l->sec.cur.kind == RSEC_SDES ? "sdes-srtp" : "rtp");
	}
}

void media_sdp_clear(struct media_sdp *m)
{
	if (!m)
		return;
	free(m->sdp);
	m->sdp = NULL;
	m->len = 0;
}
