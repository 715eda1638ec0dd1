/* relay.h - the worker side of a media session: sockets, latching, the relay
 * fast path, SSRC continuity, timeouts and local endpoints.
 *
 * An rsess is created on the owner thread (rsess_new: sockets already bound),
 * then handed to its worker (rsess_start). From then on only the worker
 * touches it, except:
 *   - the per-leg counters, single-writer atomics anyone may read
 *     (rsess_leg_counters);
 *   - rsess_configure / rsess_stop, which post messages to the worker.
 * After rsess_stop() the owner must not touch the rsess again: the worker
 * closes the sockets, gives the ports back to their pools, calls the
 * 'release' hook and frees it.
 *
 * Events (first packet, latched, source changed, timeout) are handed to the
 * 'notify' hook on the worker thread, outside the packet loop (a deferred
 * libevent callback), so the packet path itself never allocates or posts.
 *
 * Latching (per leg, when latch is on): within latch_window s after the
 * leg's first negotiation or a change of its signalled address, a packet from
 * the signalled address latches at once (and wins over an earlier latch to
 * another source); otherwise the first packet from any source latches (NAT).
 * A latched non-signalled source that has been silent for 500 ms may be
 * replaced by another one inside the window. Outside the window only the
 * latched source (or, if none latched, the signalled address) is accepted;
 * everything else is dropped and counted. Latch off: packets are sent to the
 * signalled address and accepted only from its IP address.
 * RTCP follows RTP: accepted from the IP address media is exchanged with,
 * sent to the RTCP source learnt, else to the signalled RTCP address (or to
 * the latched RTP port + 1).
 */
#ifndef TANDEM_MEDIA_RELAY_H
#define TANDEM_MEDIA_RELAY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "media/media.h"
#include "media/netaddr.h"
#include "media/relay_sec.h"
#include "media/worker.h"

struct mpool;

#define RLEG_MAX_PT 16

/* What the owner tells the worker about a leg after a completed exchange. */
struct rleg_conf {
	bool negotiated;            /* an offer/answer completed on this leg */
	bool have_addr;             /* rtp/rtcp usable (not 0.0.0.0, port != 0) */
	bool hold;                  /* leg signalled sendonly/inactive/c=0.0.0.0 */
	bool sends;                 /* leg is expected to send RTP */
	bool rtcp_mux;              /* RTCP shares the RTP port (RFC 5761) */
	bool raw;                   /* not RTP (T.38 UDPTL): datagrams relayed untouched,
				     * no RTP parsing, mapping or RTCP */
	na_addr_t rtp, rtcp;
	/* Local endpoint legs only: */
	int ep_pt;                  /* PT the endpoint sends (milliwatt), -1: none */
	int ep_law;                 /* milliwatt: 0 mu-law, 1 A-law */
	bool ep_send;               /* the endpoint's answer lets it send */
	uint8_t npt;
	struct { uint8_t pt; uint32_t rate; } pts[RLEG_MAX_PT];
	uint16_t ptime, maxptime;   /* the leg's a=ptime / a=maxptime, 0: absent */
};

/* What happens to an RTP packet arriving on a leg, by payload type, once
 * both legs have negotiated (the media plan, transcode_neg.h). Before that
 * (on == false) packets pass untouched, as they always did. */
enum rmap_act {
	RM_DROP = 0,                /* not negotiated on both sides: never sent */
	RM_PASS,                    /* relay, payload type rewritten to out_pt */
	RM_AUDIO,                   /* into the transcoder */
	RM_EVENT,                   /* RFC 4733 event: PT mapped, clock rescaled */
	RM_TONE,                    /* RFC 4733 event to play in-band (the other
				     * leg took no telephone-event; xcode) */
	RM_CN,                      /* RFC 3389 comfort noise into the transcoder
				     * (cng.h: the other leg gets noise) */
	RM_INFO,                    /* RFC 4733 event for a leg that wants SIP INFO
				     * (dtmf_info.h): reported, not sent */
};

#define RMAP_MAX_EV 4

struct rmap {
	bool on;
	bool xcode;                 /* transcoding: audio goes through the session's xcode */
	uint8_t audio_out_pt;       /* xcode: PT of the encoded audio sent to the other leg */
	uint8_t ev_out_pt;          /* PT of events sent to the other leg */
	bool ev_info;               /* the other leg takes digits as SIP INFO (dtmf_info.h) */
	uint32_t ev_out_rate;       /* their clock */
	uint32_t audio_out_clock;   /* RTP clock of what goes out (event timestamps) */
	uint8_t nev;
	struct { uint8_t pt; uint32_t rate; } ev_in[RMAP_MAX_EV];
	uint8_t act[128];           /* enum rmap_act, by incoming PT */
	uint8_t out_pt[128];        /* RM_PASS / RM_EVENT: the PT sent */
};

struct xcode;
struct rpk;

struct rsess_conf {
	struct rleg_conf leg[2];
	struct rmap map[2];         /* by incoming leg */
	struct rsec_conf sec[2];    /* transport security per leg (gen 0: plain) */
	/* A new transcoder (owned by the message, then by the worker), or NULL:
	 * with map[].xcode and xc_keep the worker keeps the one it has, without
	 * xc_keep it drops it. */
	struct xcode *xc;
	bool xc_keep;
	/* ptime conversion by incoming leg (repack_relay.h), or NULL; owned by
	 * the message, then by the worker. */
	struct rpk *rp[2];
};

struct rsess_init {
	struct mworker *worker;
	enum media_endpoint ep[2];
	bool latch[2];
	struct mpool *pool[2];      /* NULL for an endpoint leg */
	uint16_t port[2];
	int fd_rtp[2], fd_rtcp[2];  /* -1 for an endpoint leg; owned by the rsess from rsess_new */
	unsigned rtp_timeout, hold_timeout, latch_window;
	unsigned rtcp_interval_ms;  /* own RTCP reports (transcoded calls); 0: 5 s */
	const uint8_t *tone[2];     /* milliwatt frames per PT: [0] PCMU, [1] PCMA (8000 bytes, 1 s) */
	void *owner;
	void (*notify)(void *owner, const struct media_event *ev);  /* worker thread */
	void (*release)(void *owner);                               /* worker thread, last call */
};

struct rsess;

/* Owner thread. On success the rsess owns the fds; on failure they are closed. */
int rsess_new(const struct rsess_init *init, struct rsess **out);
/* Hand the session to its worker. */
int rsess_start(struct rsess *rs);
/* Post new per-leg parameters (copied; conf->xc is taken over, also on
 * failure, when it is freed). */
int rsess_configure(struct rsess *rs, const struct rsess_conf *conf);
/* Post a digit that arrived as SIP INFO on leg 'from' (dtmf_info.h). */
int rsess_dtmf(struct rsess *rs, int from, char digit, unsigned duration_ms);
/* Post the removal; the rsess is gone for the caller. */
void rsess_stop(struct rsess *rs);

struct rleg_counters {
	uint64_t packets_in, packets_out, bytes_in, bytes_out, dropped;
};
void rsess_leg_counters(struct rsess *rs, int leg, struct rleg_counters *out);

#endif
