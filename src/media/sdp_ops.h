/* sdp_ops.h - what a media session does to SDP models (struct msdp from
 * sdp.h) beyond parsing and anchoring: pick the stream the gateway relays,
 * filter codecs by a leg's preference, build the gateway's own offer and a
 * local endpoint's answer.
 *
 * Pure functions over caller-owned structs; nothing here allocates except
 * through msdp_clear()-managed 'extra' attributes, which these functions
 * never create. One relayed stream per session for now: other streams are
 * rejected (port 0) in what the gateway sends.
 */
#ifndef TANDEM_MEDIA_SDP_OPS_H
#define TANDEM_MEDIA_SDP_OPS_H

#include <stdbool.h>

#include "media/media.h"
#include "media/sdp.h"

/* The stream the gateway relays: the first audio stream over RTP/AVP or
 * RTP/AVPF with a port, else the first such stream of any media; -1 if none
 * (non-RTP streams are not relayed; secure profiles are terminated per leg). */
int sdpo_pick_stream(const struct msdp *m);

/* A fax stream (T.38, RFC 3362): the first m=image over udptl with a port;
 * -1 if none. Relayed as opaque UDP when an offer has no RTP stream to
 * relay (a T.38 re-INVITE: m=image alone, or beside m=audio port 0). */
int sdpo_pick_image(const struct msdp *m);

/* Reject (port 0) every stream but 'keep'. */
void sdpo_only_stream(struct msdp *m, int keep);

/* Keep only codecs matching 'prefs' ("PCMU", "opus/48000", "opus/48000/2";
 * NULL-terminated; NULL keeps all), in the stream's order; telephone-event
 * and CN pass when a real codec remains. Returns 0, or -ENOTSUP when no real
 * codec remains. */
int sdpo_filter_codecs(struct msdp_stream *st, const char *const *prefs);

/* Does 'c' match the preference entry 'pref'? */
bool sdpo_codec_matches(const struct msdp_codec *c, const char *pref);

/* The gateway's own offer: one audio RTP/AVP stream, sendrecv, codecs from
 * 'prefs' in that order (NULL: PCMU PCMA G722 opus), plus telephone-event.
 * Names the gateway cannot number are skipped; -ENOTSUP when none is left. */
int sdpo_local_offer(struct msdp *m, const char *const *prefs);

/* A local endpoint's answer to 'offer'. Milliwatt: msdp_answer_g711() (first
 * plain-RTP audio stream, first of PCMU/PCMA). Echo: the stream of
 * sdpo_pick_stream() with the offer's first codec (echo is codec-agnostic)
 * and telephone-event at its rate. Other streams are rejected, the direction
 * is the offer's reversed (c=0.0.0.0 counts as sendonly). *idx is the stream
 * carrying media, *ep_pt the payload type the endpoint sends, *ep_law 0 for
 * mu-law / 1 for A-law (milliwatt), *ep_send whether it may send.
 * -ENOTSUP if nothing fits. */
int sdpo_endpoint_answer(const struct msdp *offer, enum media_endpoint ep, struct msdp *ans,
			 int *idx, int *ep_pt, int *ep_law, bool *ep_send);

/* The endpoint's part when the peer answered an offer the gateway made for
 * the endpoint (late offer): first G.711 codec of the answer, and whether
 * the peer accepts media. -ENOTSUP if a milliwatt gets no G.711. */
int sdpo_endpoint_from_answer(const struct msdp_stream *ans, enum media_endpoint ep,
			      int *ep_pt, int *ep_law, bool *ep_send);

#endif
