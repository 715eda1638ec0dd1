# tests/media
check_PROGRAMS += tests/media/test_sdp
tests_media_test_sdp_SOURCES = tests/media/test_sdp.c tests/media/test_sdp.h tests/media/test_sdp_anchor.c
tests_media_test_sdp_CPPFLAGS = $(AM_CPPFLAGS) $(CHECK_CFLAGS) $(SOFIA_CFLAGS) \
	-DTEST_SRCDIR='"$(abs_top_srcdir)"'
tests_media_test_sdp_LDADD = $(TMEDIA_LIBS) $(CHECK_LIBS)

# Media plane: pure RTP/RTCP/SDP-ops units, relay / latching and timeouts
# through the API over real UDP, local endpoints (tone measured, echo compared).
MEDIA_TEST_CPPFLAGS = $(AM_CPPFLAGS) $(CHECK_CFLAGS) $(SOFIA_CFLAGS) $(EVENT_CFLAGS) $(SPANDSP_CFLAGS)
MEDIA_TEST_LDADD = $(TMEDIA_LIBS) $(TCORE_LIBS) $(CHECK_LIBS) $(M_LIBS)
check_PROGRAMS += tests/media/test_rtp tests/media/test_media tests/media/test_latch \
	tests/media/test_endpoints
tests_media_test_rtp_SOURCES = tests/media/test_rtp.c
tests_media_test_rtp_CPPFLAGS = $(MEDIA_TEST_CPPFLAGS)
tests_media_test_rtp_LDADD = $(MEDIA_TEST_LDADD)
tests_media_test_media_SOURCES = tests/media/test_media.c tests/media/mtest.c tests/media/mtest.h
tests_media_test_media_CPPFLAGS = $(MEDIA_TEST_CPPFLAGS)
tests_media_test_media_LDADD = $(MEDIA_TEST_LDADD)
tests_media_test_latch_SOURCES = tests/media/test_latch.c tests/media/mtest.c tests/media/mtest.h
tests_media_test_latch_CPPFLAGS = $(MEDIA_TEST_CPPFLAGS)
tests_media_test_latch_LDADD = $(MEDIA_TEST_LDADD)
tests_media_test_endpoints_SOURCES = tests/media/test_endpoints.c tests/media/mtest.c tests/media/mtest.h
tests_media_test_endpoints_CPPFLAGS = $(MEDIA_TEST_CPPFLAGS)
tests_media_test_endpoints_LDADD = $(MEDIA_TEST_LDADD)
# The media worker's shared 20 ms clock for transcoded sessions.
check_PROGRAMS += tests/media/test_xticker
tests_media_test_xticker_SOURCES = tests/media/test_xticker.c
tests_media_test_xticker_CPPFLAGS = $(MEDIA_TEST_CPPFLAGS)
tests_media_test_xticker_LDADD = $(MEDIA_TEST_LDADD)
# Transcoding: tone through PCMU<->PCMA / PCMU<->Opus over real UDP, events,
# PT maps, cap; jitter buffer, resampler, engine and negotiation units.
check_PROGRAMS += tests/media/test_transcode
tests_media_test_transcode_SOURCES = tests/media/test_transcode.c tests/media/test_transcode.h \
	tests/media/test_transcode_units.c tests/media/test_transcode_neg.c \
	tests/media/test_transcode_dtmf.c tests/media/test_transcode_ptime.c tests/media/test_transcode_cn.c \
	tests/media/test_transcode_jb.c tests/media/test_dtmf_info.c tests/media/mtest.c \
	tests/media/mtest.h
tests_media_test_transcode_CPPFLAGS = $(MEDIA_TEST_CPPFLAGS) -DTEST_SRCDIR='"$(abs_top_srcdir)"'
tests_media_test_transcode_LDADD = $(MEDIA_TEST_LDADD)
# Read at run time by test_transcode (ASan builds), and the jitter buffer's
# fuzz target (tests/fuzz/run-fuzz.sh builds it).
EXTRA_DIST += tests/media/spandsp.supp tests/fuzz/fuzz_jitter.c tests/fuzz/fuzz_dtmf_iw.c
# RTCP reports, reception statistics (jitter, loss), E-model estimate.
check_PROGRAMS += tests/media/test_rtcp
tests_media_test_rtcp_SOURCES = tests/media/test_rtcp.c
tests_media_test_rtcp_CPPFLAGS = $(MEDIA_TEST_CPPFLAGS)
tests_media_test_rtcp_LDADD = $(MEDIA_TEST_LDADD)
check_PROGRAMS += tests/media/test_rtcp_flow
tests_media_test_rtcp_flow_SOURCES = tests/media/test_rtcp_flow.c tests/media/mtest.c tests/media/mtest.h
tests_media_test_rtcp_flow_CPPFLAGS = $(MEDIA_TEST_CPPFLAGS)
tests_media_test_rtcp_flow_LDADD = $(MEDIA_TEST_LDADD)

# WebRTC media units: STUN, ICE-lite, SDES/SRTP, DTLS-SRTP (in memory).
check_PROGRAMS += tests/media/test_webrtc
tests_media_test_webrtc_SOURCES = tests/media/test_webrtc.c
tests_media_test_webrtc_CPPFLAGS = $(MEDIA_TEST_CPPFLAGS) $(SRTP_CFLAGS) $(SSL_CFLAGS)
tests_media_test_webrtc_LDADD = $(MEDIA_TEST_LDADD)
EXTRA_DIST += tests/fuzz/fuzz_stun.c tests/fuzz/fuzz_sdes.c tests/fuzz/fuzz_sdp_webrtc.c
# Secure legs through the media API: WebRTC (ICE-lite, DTLS-SRTP) <-> G.711,
# SDES both ways, bad input (fingerprint mismatch, no handshake, policies).
check_PROGRAMS += tests/media/test_webrtc_call
tests_media_test_webrtc_call_SOURCES = tests/media/test_webrtc_call.c tests/media/mtest.c tests/media/mtest.h
tests_media_test_webrtc_call_CPPFLAGS = $(MEDIA_TEST_CPPFLAGS) $(SRTP_CFLAGS) $(SSL_CFLAGS)
tests_media_test_webrtc_call_LDADD = $(MEDIA_TEST_LDADD)

# Transcoding by codec pair (media/xpairs.h), behind tandem_media_transcoded_sessions.
check_PROGRAMS += tests/media/test_xpairs
tests_media_test_xpairs_SOURCES = tests/media/test_xpairs.c
tests_media_test_xpairs_CPPFLAGS = $(MEDIA_TEST_CPPFLAGS)
tests_media_test_xpairs_LDADD = $(MEDIA_TEST_LDADD)
