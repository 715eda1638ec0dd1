/* sdp.h - SDP model, parsing (sofia-sip's sdp_parse) and printing, and the
 * anchoring rewrite: what one leg's SDP becomes when the gateway sends it on
 * the other leg.
 *
 * Pure functions over (buf, len): no sockets, no threads, no global state, so
 * they are safe on any thread and fuzzable. Parsing uses sofia-sip's SDP parser
 * (note: sofia fills m_rtpmaps only for RTP/AVP and RTP/SAVP; for other profiles
 * rtpmap/fmtp are read from the raw attributes). Debian's sofia-sip 1.12.11
 * loops forever, allocating, on some malformed m= lines; msdp_parse() refuses
 * those before sofia sees them (see sdp_parse.c), so never hand untrusted SDP
 * to sofia's sdp_parse() directly.
 *
 * Ownership: struct msdp is a plain value type with fixed-size arrays; it owns
 * no heap memory except 'extra' attribute lines, freed by msdp_clear(). Output
 * of msdp_print() is a malloc'd string owned by the caller.
 */
#ifndef TANDEM_MEDIA_SDP_H
#define TANDEM_MEDIA_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MSDP_MAX_STREAMS 4
#define MSDP_MAX_CODECS 16
#define MSDP_MAX_EXTRA 16
#define MSDP_MAX_BODY 16384         /* larger SDP bodies are rejected */
#define MSDP_MAX_ATTR 256           /* longer unknown attribute lines are dropped */

enum msdp_dir {
	MSDP_SENDRECV = 0,
	MSDP_SENDONLY,
	MSDP_RECVONLY,
	MSDP_INACTIVE,
};

struct msdp_codec {
	uint8_t pt;
	char name[32];              /* encoding name as signalled, e.g. "PCMU", "opus" */
	uint32_t rate;              /* RTP clock rate */
	uint8_t channels;           /* 1 unless given */
	char fmtp[256];             /* a=fmtp parameters, "" if none */
};

struct msdp_stream {
	char media[16];             /* "audio", "video", "image", ... */
	uint16_t port;              /* 0: stream rejected/disabled */
	char proto[32];             /* "RTP/AVP", "RTP/SAVP", "UDP/TLS/RTP/SAVPF", "udptl" ... */
	char addr[64];              /* connection address for this stream (stream c= or session c=) */
	bool ipv6;
	uint16_t rtcp_port;         /* a=rtcp port, or port+1 when absent (0 if port is 0) */
	char rtcp_addr[64];         /* a=rtcp address when given, else "" */
	bool rtcp_mux;              /* a=rtcp-mux present */
	enum msdp_dir dir;          /* effective direction (stream attr, else session attr) */
	bool hold_zero_addr;        /* c=0.0.0.0 old-style hold (RFC 2543) */
	struct msdp_codec codecs[MSDP_MAX_CODECS];
	size_t ncodecs;
	char fmt_raw[128];          /* the m= format list as given, for non-RTP protos */
	unsigned ptime, maxptime;   /* 0 when absent */
	/* Transport parameters of a DTLS/ICE peer (stream value, else session
	 * value; "" when absent or too long). Parsed so a WebRTC leg can use
	 * them; never relayed: msdp_anchor() clears them. */
	char ice_ufrag[64];
	char ice_pwd[128];
	char fingerprint[224];      /* "sha-256 AB:CD:..." */
	char setup[16];             /* "actpass", "active", "passive" */
	/* Attributes we neither interpret nor strip, passed through verbatim
	 * ("name:value" or "name"). See msdp_attr_passes() for the rule. */
	char *extra[MSDP_MAX_EXTRA];
	size_t nextra;
};

struct msdp {
	char origin_user[64];       /* o= username */
	uint64_t sess_id, sess_version;
	char origin_addr[64];       /* o= address ("" when not IN IP4/IP6) */
	char session_name[64];      /* s= */
	struct msdp_stream streams[MSDP_MAX_STREAMS];
	size_t nstreams;
	/* Session-level attributes that pass msdp_attr_passes() (malloc'd,
	 * freed by msdp_clear()). Direction is folded into each stream. */
	char *sess_extra[MSDP_MAX_EXTRA];
	size_t nsess_extra;
};

/* Parse an SDP body. Returns 0, or -EINVAL with a short reason in 'why'
 * (may be NULL) when the SDP is malformed or unusable (no c= for an active
 * stream, no m= line, too many streams, port out of range, ...). On error
 * *out is left cleared. *out is treated as uninitialised storage: clear a
 * previously parsed value with msdp_clear() first. -ENOMEM on allocation
 * failure.
 *
 * Limits: bodies over MSDP_MAX_BODY bytes are rejected; more than
 * MSDP_MAX_STREAMS m= lines are rejected (an answer must keep every m= line,
 * so dropping some is not an option); codecs past MSDP_MAX_CODECS, extra
 * attributes past MSDP_MAX_EXTRA or longer than MSDP_MAX_ATTR are ignored;
 * an fmtp that does not fit is cut at the last whole ';'-separated
 * parameter. Streams with port 0 are kept (rejected) and need no c=. */
int msdp_parse(const char *buf, size_t len, struct msdp *out, char *why, size_t whylen);
/* Free the extra attributes and zero the whole value. */
void msdp_clear(struct msdp *s);
/* Deep copy (duplicates extra attributes). dst is treated as uninitialised;
 * on -ENOMEM it is left cleared. */
int msdp_copy(struct msdp *dst, const struct msdp *src);

/* Print as SDP text with CRLF line ends. Returns a malloc'd NUL-terminated
 * string (length in *len, len may be NULL), or NULL on ENOMEM.
 * Layout: v=, o=, s=, one session c= (the first active stream's address),
 * t=0 0, session extras, then per stream the m= line, a c= only when the
 * stream's address differs from the session one, a=rtpmap for every codec
 * with a known name (static payload types too: RFC 3264 allows it and some
 * peers need it), a=fmtp, a=ptime, a=maxptime, a=rtcp only when the RTCP
 * port is not port+1 (or an RTCP address is set), a=rtcp-mux, ICE/DTLS
 * parameters when set, the direction (always explicit), extras.
 * A rejected stream (port 0) prints only its m= line. */
char *msdp_print(const struct msdp *s, size_t *len);

/* True for RTP profiles (RTP/AVP, RTP/SAVP, RTP/AVPF, RTP/SAVPF and their
 * UDP/TLS/ or TCP/ variants): formats are payload types. */
bool msdp_proto_is_rtp(const char *proto);
/* The codec with payload type 'pt' in a stream, or NULL. */
const struct msdp_codec *msdp_codec_by_pt(const struct msdp_stream *st, unsigned pt);
/* The first codec named 'name' (case-insensitive) at clock rate 'rate'
 * (0 = any rate), or NULL. */
const struct msdp_codec *msdp_codec_by_name(const struct msdp_stream *st,
					    const char *name, uint32_t rate);
/* The direction a stream really has, with old-style hold folded in: a peer
 * that says c=0.0.0.0 cannot receive, so sendrecv becomes sendonly and
 * recvonly becomes inactive. Use this, not 'dir', to decide "on hold". */
enum msdp_dir msdp_stream_dir(const struct msdp_stream *st);

/* Which unknown attributes pass through the gateway. Rule: attributes that
 * describe the media content pass (e.g. a=silenceSupp, a=label, a=T38*,
 * vendor attributes we do not know); attributes that describe transport or
 * the peer's topology are dropped because the gateway terminates transport
 * (candidate, ice-*, fingerprint, setup, connection, tls-id, crypto,
 * key-mgmt, zrtp-hash, rtcp, rtcp-mux, rtcp-rsize, rtcp-fb, rtcp-xr, ssrc,
 * ssrc-group, mid, group, msid, msid-semantic, extmap, rid, simulcast,
 * bundle-only, sctp-*, max-message-size). Attributes the model holds in
 * fields (rtpmap, fmtp, ptime, maxptime, the directions) are not "extra"
 * either: they return false. Case-insensitive; the name without ':'. */
bool msdp_attr_passes(const char *name);

/* The direction seen from the other side: sendonly <-> recvonly. */
enum msdp_dir msdp_dir_reverse(enum msdp_dir d);
const char *msdp_dir_name(enum msdp_dir d);

/* Per-leg origin state: a stable session id for the leg and a version bumped
 * only when the SDP sent on that leg changes (RFC 3264 section 8). */
struct msdp_origin {
	uint64_t sess_id;
	uint64_t version;
	char last_body_hash[32];    /* of the last printed body, minus the o= version
	                             * (MD5, first 16 bytes used) */
	bool used;
};
/* Random session id (getrandom(), below 2^62 so peers that read it as a
 * signed 64-bit number cope), version 1, nothing sent yet. */
void msdp_origin_init(struct msdp_origin *o);

/* Where the gateway receives media on a leg, per stream. */
struct msdp_local {
	const char *advertise;      /* address to put in o= and c= (IPv4 or IPv6 literal) */
	uint16_t ports[MSDP_MAX_STREAMS];  /* RTP port per stream; RTCP = port+1;
	                                    * 0: the gateway does not carry this
	                                    * stream, it goes out rejected (port 0) */
	const char *rtp_proto;      /* NULL: keep each stream's profile; else the
	                             * profile for every RTP stream on this leg
	                             * (the gateway terminates transport: e.g.
	                             * "RTP/AVP" toward a SIP phone when the other
	                             * leg is WebRTC's UDP/TLS/RTP/SAVPF) */
	bool rtcp_mux;              /* a=rtcp-mux on the carried stream (RFC 5761):
	                             * in an answer when the leg offered it, in an
	                             * offer when the other leg's SDP had it */
};

/* Build the SDP the gateway sends on a leg from a remote SDP received on the
 * other leg: same streams and codecs (profile replaced by local->rtp_proto
 * when set), the gateway's address and ports, the
 * leg's own origin (o=tandem <origin->sess_id> <version>, version bumped only
 * if the body changed since the last one sent on this leg), s=tandem,
 * transport and topology attributes dropped (msdp_attr_passes(); rtcp-fb too,
 * since the gateway terminates RTCP and rewrites SSRCs), no ICE/DTLS
 * parameters, no a=rtcp (RTCP is always port+1, the RFC 3550 default, so the
 * attribute would add nothing and some old peers mishandle it), and
 * a=rtcp-mux only when local->rtcp_mux says so.
 * Direction is kept as signalled (the gateway relays what it is told).
 * Old-style hold (c=0.0.0.0) is not copied: the gateway always advertises its
 * own address, and the hold goes on as a direction (msdp_stream_dir():
 * sendrecv -> sendonly, recvonly -> inactive), so the other leg still sees a
 * hold. Rejected streams (port 0) stay rejected and use no gateway port.
 * Returns a malloc'd string (length in *len, may be NULL), or NULL on ENOMEM
 * or when local->advertise is NULL. */
char *msdp_anchor(const struct msdp *remote, const struct msdp_local *local,
		  struct msdp_origin *origin, size_t *len);

/* For local endpoints (echo, milliwatt): the answer to 'offer' as a model to
 * pass to msdp_anchor() (which fills in the gateway's address, ports and
 * origin). The first active audio stream with a UDP RTP profile (RTP/AVP,
 * RTP/AVPF, or a secure one: the session terminates SRTP on the caller's leg
 * and adds its keys, sec_neg.h) is accepted with the first offered of PCMU/8000 and
 * PCMA/8000, plus telephone-event/8000 if offered, ptime 20, direction
 * reversed (sendonly -> recvonly; an old-style hold counts as sendonly);
 * every other stream is rejected (port 0). *pt_out (may be NULL) gets the
 * chosen G.711 payload type. Returns 0, -ENOTSUP when no stream offers G.711
 * (answer_model is then cleared), or -ENOMEM. answer_model is treated as
 * uninitialised; msdp_clear() it after use. */
int msdp_answer_g711(const struct msdp *offer, struct msdp *answer_model, int *pt_out);

/* A default G.711 offer model for the gateway's own (late) offers: one audio
 * stream RTP/AVP with PCMU 0, PCMA 8, telephone-event/8000 101 (fmtp 0-16),
 * ptime 20, sendrecv. Its address and port are placeholders: send it through
 * msdp_anchor(). model is treated as uninitialised. Returns 0. */
int msdp_offer_g711(struct msdp *model);

#endif
