# src/media: SDP anchoring, RTP/RTCP, port pool, relay workers, local endpoints.
noinst_LIBRARIES += src/media/libtmedia.a
src_media_libtmedia_a_CPPFLAGS = $(AM_CPPFLAGS) $(SOFIA_CFLAGS) $(EVENT_CFLAGS) $(SPANDSP_CFLAGS)
src_media_libtmedia_a_SOURCES = \
	src/media/media.h src/media/media_priv.h src/media/media_core.c src/media/session.c \
	src/media/sdp_ops.h src/media/sdp_ops.c \
	src/media/worker.h src/media/worker.c src/media/portpool.h src/media/portpool.c \
	src/media/relay.h src/media/relay_priv.h src/media/relay.c src/media/rsess.c \
	src/media/endpoint.h src/media/endpoint.c src/media/rtp.h src/media/rtp.c \
	src/media/netaddr.h src/media/netaddr.c
# Transcoding: negotiation and plan, the engine pipeline, jitter buffer,
# resampler, RFC 4733 events, worker and owner glue.
src_media_libtmedia_a_SOURCES += \
	src/media/transcode.h src/media/transcode.c src/media/transcode_rs.h src/media/transcode_rs.c \
	src/media/transcode_neg.h src/media/transcode_neg.c src/media/transcode_plan.c \
	src/media/transcode_relay.c src/media/transcode_sess.h src/media/transcode_sess.c \
	src/media/xticker.h src/media/xticker.c \
	src/media/jitter.h src/media/jitter.c src/media/dtmf.h src/media/dtmf.c \
	src/media/dtmf_iw.h src/media/dtmf_iw.c src/media/xpairs.h src/media/xpairs.c
# ptime conversion (repacketising without transcoding).
src_media_libtmedia_a_SOURCES += \
	src/media/repack.h src/media/repack.c src/media/repack_relay.h src/media/repack_relay.c \
	src/media/opus_pack.h src/media/opus_pack.c
# Comfort noise for transcoded directions whose source sends CN or Opus DTX.
src_media_libtmedia_a_SOURCES += src/media/cng.h src/media/cng.c
# DTMF by SIP INFO: events reported to the call core, digits from it sent as events.
src_media_libtmedia_a_SOURCES += src/media/dtmf_info.h src/media/dtmf_info.c
# WebRTC media: STUN, ICE-lite, SRTP (SDES and DTLS-keyed), DTLS-SRTP.
src_media_libtmedia_a_CPPFLAGS += $(SRTP_CFLAGS) $(SSL_CFLAGS)
src_media_libtmedia_a_SOURCES += \
	src/media/stun.h src/media/stun.c src/media/ice.h src/media/ice.c \
	src/media/srtp.h src/media/srtp.c src/media/dtls.h src/media/dtls.c \
	src/media/sdp_webrtc.h src/media/sdp_webrtc.c src/media/sec_neg.h src/media/sec_neg.c \
	src/media/relay_sec.h src/media/relay_sec.c
TMEDIA_LIBS = src/media/libtmedia.a $(SOFIA_LIBS) $(EVENT_LIBS) $(SPANDSP_LIBS) $(SRTP_LIBS) $(SSL_LIBS) \
	$(M_LIBS) $(PTHREAD_LIBS)
# SDP model, parse (sofia-sip), print, anchoring rewrite, local-endpoint models.
src_media_libtmedia_a_SOURCES += \
	src/media/sdp.h src/media/sdp_priv.h src/media/sdp.c src/media/sdp_parse.c \
	src/media/sdp_print.c src/media/sdp_anchor.c src/media/sdp_g711.c
# RTCP per leg: SR/RR parse and build, reception statistics, quality estimate.
src_media_libtmedia_a_SOURCES += \
	src/media/rtcp.h src/media/rtcp.c src/media/rtpstats.h src/media/rtpstats.c \
	src/media/rtcp_leg.h src/media/rtcp_leg.c src/media/media_quality.h src/media/media_quality.c
