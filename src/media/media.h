/* media.h - the media API: the one narrow interface between SIP and media.
 *
 * The SIP side (the call core) never touches packets; the media side never
 * parses SIP. A call creates a media session of two legs (A = caller side,
 * B = callee side), hands it every SDP it receives, and gets back the SDP to
 * send on the other leg. The gateway anchors all media: each leg only ever
 * sees the gateway's advertised address for its interface.
 *
 * Threads: the media core runs N worker threads, each with its own libevent
 * base. A session's packet path (sockets, relay state) is owned by one worker
 * for life. The session handle returned to the caller is used only from the
 * caller's thread ("owner thread", the SIP thread in tandemd, the test thread
 * in tests): SDP work happens synchronously on that thread, and changes to the
 * packet path are posted to the worker. Events come back to the owner through
 * the owner's queue (tq_t), so the callback runs on the owner thread.
 *
 * Ownership: media_core_new() returns a core owned by the caller, freed with
 * media_core_free() after every session is destroyed. media_session_new()
 * returns a session owned by the caller; media_session_destroy() releases it
 * (the worker closes its sockets asynchronously; after destroy returns the
 * event callback is never called for that session). SDP strings handed out in
 * struct media_sdp are malloc'd and owned by the caller (free()).
 *
 * Media path rules (the worker side; details in relay.h and endpoint.h):
 *   - One stream per session is relayed: the first audio stream over an RTP
 *     profile; other streams go out rejected (port 0). Secure profiles
 *     (RTP/SAVP, UDP/TLS/RTP/SAVPF) and a=crypto are terminated per leg
 *     (SDES-SRTP, DTLS-SRTP with ICE-lite; media_security and
 *     doc/webrtc.md); non-RTP streams are not relayed (-ENOTSUP when
 *     nothing else is offered), except that an offer with no audio
 *     stream but an m=image udptl (T.38 fax) relays that one as it is
 *     (its attributes pass; no codec work) and its datagrams untouched
 *     (relay.h 'raw'); an answer refusing it (port 0) goes back to the
 *     offerer and leaves the media as they were (audio stays up).
 *   - Latching (latch = true): within latch_window s after a leg's first
 *     negotiation, or after its signalled address changes, a packet from the
 *     signalled address latches at once (and wins over an earlier latch,
 *     MEDIA_EV_SOURCE_CHANGED); otherwise the first packet from any source
 *     latches (NAT, MEDIA_EV_LATCHED). Outside the window only the latched
 *     source is accepted; strangers are dropped and counted ('dropped').
 *     latch = false: media goes to the SDP address, and is accepted only
 *     from its IP address. Nothing is accepted on a leg before its first
 *     completed offer/answer.
 *   - SSRC continuity: a stream passes untouched while its source keeps its
 *     SSRC. When the SSRC arriving from a leg changes (re-INVITE, another
 *     fork), the stream sent on the other leg keeps its SSRC, its sequence
 *     numbers continue +1 and its timestamps continue by the time elapsed;
 *     RTCP SR/RR SSRCs (sender and report blocks) are mapped to match.
 *   - RTCP goes to the peer's a=rtcp port (else RTP port + 1), or shares the
 *     RTP port when the leg agreed a=rtcp-mux (RFC 5761: answered when a
 *     leg offers it, offered to a leg when the other leg's SDP had it). On
 *     relayed calls it passes through, SSRCs mapped as above; on transcoded
 *     calls the gateway terminates it per leg (rtcp_leg.h: own SR/RR every
 *     media.rtcp_interval, randomised as RFC 3550 says). Either way every
 *     leg's reception (loss, jitter) is measured and its peer's reports read
 *     (struct media_leg_stats).
 *   - Timeouts (MEDIA_EV_TIMEOUT, at most once per completed offer/answer;
 *     checked every quarter of the shortest timeout, at most every second):
 *     not on hold, a leg that is expected to send (its SDP says sendrecv or
 *     sendonly, with a port) and sent no RTP for rtp_timeout s, counted from
 *     its last packet or the last completed exchange, whichever is later.
 *     Any RTP counts, comfort noise (PT 13, RFC 3389) and DTX included: DTX
 *     gaps (Opus up to 400 ms) are far below any sane timeout. A local
 *     endpoint never times out itself. On hold (either leg's SDP says
 *     sendonly or inactive, or c=0.0.0.0), rtp_timeout does not apply;
 *     hold_timeout does: no RTP and no RTCP on any leg for hold_timeout s.
 *     ev.leg is the silent leg (on hold: the leg that holds).
 *   - Local endpoints: echo answers with the offer's first codec and sends
 *     every packet back to its source with the payload untouched, as its own
 *     stream (own SSRC; sequence numbers and timestamps shifted by a fixed
 *     offset, so timing and gaps are kept and the caller never gets its own
 *     SSRC back). Milliwatt answers the first of PCMU/PCMA offered and sends
 *     1004 Hz at 0 dBm0 (the digital milliwatt) every 20 ms while its answer allows sending.
 *
 * Codecs and transcoding (details in transcode_neg.h): the core knows G.711
 * plus the codecs of the modules given to media_core_set_codecs(). An offer
 * relayed to a leg lists first what both legs allow of what was offered
 * (passed through untouched), then the codecs the receiving leg's list names
 * that the gateway can transcode to (modules on both sides), then
 * telephone-event/8000 (and /48000 next to Opus). Payload types are per leg.
 * When the agreed codecs differ, the worker transcodes: jitter buffer,
 * decode with concealment, one PCM rate where possible, 20 ms frames,
 * encode, the outgoing leg's own SSRC/sequence/timestamps (Opus: RTP clock
 * 48000 always). Telephone-events are mapped between the legs' payload types
 * and clocks, and never sent to a leg that did not accept telephone-event.
 * DTMF interworking (dtmf_iw.h) when only one leg accepted telephone-event:
 * its events are played as in-band tones to the other leg (on a G.711
 * pass-through call that direction is decoded and re-encoded for it, without
 * a transcoding slot); on a transcoded call the other leg's in-band digits
 * are detected (spandsp dtmf_rx), sent as events and muted in the audio
 * (that direction gets 40 ms more delay). A pass-through call keeps in-band
 * digits in the audio, untouched. No digit ever reaches a leg both ways.
 * A leg with dtmf_info gets its digits as MEDIA_EV_DTMF (the call core sends
 * SIP INFO) instead, and media_session_dtmf() sends the digits of its INFOs
 * to the other leg as events (dtmf_info.h).
 * ptime (repack_relay.h): each leg is sent packets of the duration its SDP
 * asks for (a=ptime, capped by a=maxptime; 20 ms when absent). G.711, G.722
 * and G.729 are cut and joined without transcoding; the answer relayed to
 * an offerer asks it for its own ptime. Transcoded Opus goes in 20 ms
 * frames, joined into 40..120 ms packets when asked (opus_pack.h); relayed
 * Opus keeps its packets.
 * Comfort noise (cng.h): on a transcoded call, RFC 3389 CN and Opus DTX from
 * one leg become noise at the signalled level in the other leg's stream, a
 * packet every period.
 * At most max_transcoded sessions transcode at once (0 = no limit): one that
 * would need it beyond the cap is offered pass-through codecs only, or gets
 * -EBUSY when there are none.
 *
 * Errors are negative errno values:
 *   -EINVAL   malformed or unusable SDP (the call core answers 400/488)
 *   -ENOTSUP  no codec in common / nothing to bridge, no module to transcode
 *             with (488; a LOG_WARN names the codecs)
 *   -EBUSY    the call needs transcoding and max_transcoded is reached (503)
 *   -ENOSPC   RTP port pool exhausted (503)
 *   -EPROTO   SDP arrived in the wrong offer/answer state
 *   -ENOMEM
 */
#ifndef TANDEM_MEDIA_MEDIA_H
#define TANDEM_MEDIA_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/modules.h"
#include "core/queue.h"

typedef struct media_core media_core_t;
typedef struct media_session media_session_t;

enum media_leg { MEDIA_LEG_A = 0, MEDIA_LEG_B = 1 };

/* A leg that terminates on the gateway instead of a remote peer. */
enum media_endpoint {
	MEDIA_ENDPOINT_NONE = 0,
	MEDIA_ENDPOINT_ECHO,        /* reflects the caller's media back */
	MEDIA_ENDPOINT_MILLIWATT,   /* 1004 Hz tone at 0 dBm0 (digital milliwatt), G.711 */
};

enum media_event_type {
	MEDIA_EV_FIRST_PACKET,      /* first RTP received on a leg */
	MEDIA_EV_LATCHED,           /* a leg's source address was learnt (addr) */
	MEDIA_EV_SOURCE_CHANGED,    /* a leg's source moved inside the latch window (addr) */
	MEDIA_EV_TIMEOUT,           /* no RTP for rtp_timeout (or hold_timeout when on hold) */
	MEDIA_EV_DTMF,              /* a digit for a dtmf_info leg (digit, duration_ms):
				     * send it there as SIP INFO */
	/* Secure transport (media_security, doc/webrtc.md); addr carries the
	 * detail: the SRTP suite, or why it failed. */
	MEDIA_EV_SECURE,            /* DTLS-SRTP keys are in place on a leg */
	MEDIA_EV_SECURITY_FAILED,   /* DTLS failed (fingerprint mismatch, handshake
	                             * timeout, alert): end the call */
	MEDIA_EV_CONSENT_LOST,      /* ICE consent expired (RFC 7675): media to the
	                             * leg stopped; end the call */
};

/* What a leg accepts and offers for media transport security.
 * OPTIONAL: accept plain RTP, SDES-SRTP or DTLS-SRTP (ICE-lite) as offered;
 * offer plain RTP/AVP. NONE: plain RTP only (secure-only offers get 488).
 * SDES: RTP/SAVP with a=crypto required and offered. DTLS: DTLS-SRTP with
 * ICE-lite and rtcp-mux required and offered (UDP/TLS/RTP/SAVPF). */
enum media_security {
	MEDIA_SEC_OPTIONAL = 0,
	MEDIA_SEC_NONE,
	MEDIA_SEC_SDES,
	MEDIA_SEC_DTLS,
};

struct media_event {
	enum media_event_type type;
	enum media_leg leg;
	char addr[64];              /* "ip:port" where relevant, else "" */
	char digit;                 /* MEDIA_EV_DTMF: '0'-'9', '*', '#', 'A'-'D' */
	unsigned duration_ms;       /* MEDIA_EV_DTMF */
};

typedef void (*media_event_cb)(media_session_t *s, const struct media_event *ev, void *arg);

struct media_leg_opts {
	const struct tconf_interface *iface; /* bind/advertise address and port range */
	bool latch;                 /* learn the real source (NAT); false: trust SDP */
	enum media_endpoint endpoint; /* MEDIA_ENDPOINT_NONE for a real peer */
	const char *const *codecs;  /* offer preference for this leg (NULL = all known) */
	bool dtmf_info;             /* digits go to this leg as SIP INFO (MEDIA_EV_DTMF),
				     * never as RFC 4733 events or tones */
	enum media_security security;
};

struct media_session_opts {
	struct media_leg_opts leg[2];
	unsigned rtp_timeout;       /* seconds; 0 = off */
	unsigned hold_timeout;      /* seconds; 0 = off */
	unsigned latch_window;      /* seconds */
	tq_t *owner_q;              /* events are posted here */
	media_event_cb cb;
	void *cb_arg;
	const char *label;          /* for logs, e.g. the call id; copied */
};

/* SDP to send on the other leg. sdp is NULL when nothing needs sending. */
struct media_sdp {
	char *sdp;
	size_t len;
	bool is_offer;              /* true: send as an offer; false: as an answer */
};

/* Start the media core: 'nworkers' threads, port pools per interface of 'conf',
 * the transcoding cap from conf->media.max_transcoded. Without
 * media_core_set_codecs() it knows G.711 only and never transcodes.
 * Returns 0 and *out, or a negative errno. */
int media_core_new(const tconf_t *conf, unsigned nworkers, media_core_t **out);
/* The DTLS certificate of the core (media_core_new generates one), or
 * replace it with one loaded from PEM files before the first session.
 * 0, or -EINVAL with a log line naming the files. */
int media_core_set_dtls_cert(media_core_t *mc, const char *cert_file, const char *key_file);
/* Stop the workers and free. Every session must already be destroyed. */
void media_core_free(media_core_t *mc);

/* The codec modules sessions may negotiate and transcode with (NULL: none).
 * Call before the first session, from the thread that made the core. The
 * set must stay loaded until media_core_free() has returned. */
void media_core_set_codecs(media_core_t *mc, const tmodules_t *mods);
/* The transcoding cap (0 = unlimited); reloadable: sessions already
 * transcoding keep going, new ones see the new cap. Any thread. */
void media_core_set_max_transcoded(media_core_t *mc, unsigned max);

struct media_core_stats {
	unsigned sessions;
	unsigned ports_in_use, ports_total;
	uint64_t packets_relayed, bytes_relayed, packets_dropped;
	unsigned workers;
	unsigned transcoding;       /* sessions holding a transcoding slot */
	unsigned max_transcoded;    /* the cap, 0 = unlimited */
};
void media_core_stats(media_core_t *mc, struct media_core_stats *out);

/* Sessions transcoding, by codec pair (leg A's codec, leg B's, e.g.
 * "PCMU/8000" and "opus/48000/2"). Counted when a session's media plan
 * changes and when it ends, not per packet. Pairs seen once stay listed (0
 * when unused); at most 64, past that "other"/"other". Copies up to 'max'
 * into out and returns how many. Any thread. */
struct media_xpair {
	char codec_a[32], codec_b[32];
	unsigned sessions;
};
size_t media_core_xpairs(media_core_t *mc, struct media_xpair *out, size_t max);

/* Create a session and allocate its ports (RTP+RTCP per leg). -ENOSPC when the
 * pool is exhausted. Must be called from the owner thread. */
int media_session_new(media_core_t *mc, const struct media_session_opts *opts,
		      media_session_t **out);
void media_session_destroy(media_session_t *s);

/* A remote offer arrived on leg 'from'. *out is the offer to send on the other
 * leg (or, when the other leg is a local endpoint, the answer for 'from').
 * Used for initial offers and re-offers (hold/resume/new address). */
int media_session_offer(media_session_t *s, enum media_leg from,
			const char *sdp, size_t len, struct media_sdp *out);

/* A remote answer arrived on leg 'from', answering the offer last sent on that
 * leg. *out is the answer for the other leg; or, when the other leg never made
 * an offer (late offer: INVITE without SDP), an offer for it (is_offer); or
 * nothing (sdp NULL) when the other leg needs no SDP. A second answer to an
 * offer already answered (a 200 from another fork than the 183, or with a
 * different SDP) is accepted as an update of that leg's media and returns
 * nothing. */
int media_session_answer(media_session_t *s, enum media_leg from,
			 const char *sdp, size_t len, struct media_sdp *out);

/* The gateway's own offer for leg 'to', from the leg's codec preference:
 * used when the other leg sent no SDP (late offer) and for a re-INVITE without
 * SDP. The session then expects media_session_answer(s, to, ...). */
int media_session_local_offer(media_session_t *s, enum media_leg to, struct media_sdp *out);

/* The offer sent on leg 'to' was rejected or abandoned (4xx, CANCEL, glare):
 * return to the last agreed state. */
void media_session_offer_rejected(media_session_t *s, enum media_leg to);

/* A digit that arrived on leg 'from' as SIP INFO: sent to the other leg as
 * RFC 4733 events (start, an update every 50 ms, three ends) lasting
 * 'duration_ms' (clamped to 40..5000), in that leg's telephone-event; a leg
 * that took none does not get it (logged). -EINVAL for a digit outside
 * 0-9 * # A-D, -ENOMEM. */
int media_session_dtmf(media_session_t *s, enum media_leg from, char digit, unsigned duration_ms);

struct media_leg_stats {
	uint64_t packets_in, packets_out, bytes_in, bytes_out, dropped;
	char codec[32];             /* negotiated codec, e.g. "PCMU/8000" */
	char remote[64];            /* current remote (latched or signalled) "ip:port" */
	char local[64];             /* our advertised "ip:port" */
	bool on_hold;
	bool transcoded;            /* the call is transcoded (same on both legs) */
	/* Quality (rtcp_leg.h): the RTP received from the leg's peer, as the
	 * gateway measures it (RFC 3550 loss and interarrival jitter), and the
	 * E-model estimate for that audio (rtpstats.h); the peer's RTCP view of
	 * the stream the gateway sends it; the round trip when the gateway
	 * terminates RTCP (transcoded calls). */
	uint64_t rtp_expected, rtp_lost;
	double jitter_ms;
	double rtt_ms;              /* -1: unknown */
	double r_factor, mos;       /* 0 before any RTP */
	bool have_remote;           /* the peer sent a report block on our stream */
	int64_t remote_lost;
	double remote_fraction;     /* 0..1, its latest interval */
	double remote_jitter_ms;
	uint64_t rtcp_sent, rtcp_received;
	char security[16];          /* "rtp", "sdes-srtp" or "dtls-srtp" (agreed) */
};
/* Snapshot of a session's counters (read from the owner thread). Counters are
 * live (atomics written by the worker); 'remote' follows LATCHED and
 * SOURCE_CHANGED events once the owner has run them. Per leg: packets_in /
 * bytes_in are RTP and RTCP accepted from the leg's peer, packets_out /
 * bytes_out what the gateway sent to it, dropped what arrived on the leg's
 * sockets but was not relayed (strangers, invalid packets, no destination
 * yet) plus what the kernel refused to send to the leg. */
void media_session_stats(media_session_t *s, struct media_leg_stats out[2]);

/* Free a struct media_sdp's string. */
void media_sdp_clear(struct media_sdp *m);

#endif
