# tests/bench
# Media relay benchmark: the media core against a minimal relay, same load
# (see tests/bench/README.md). Built by `make check`; run by the load tier.
check_PROGRAMS += tests/bench/bench_media
tests_bench_bench_media_SOURCES = tests/bench/bench_media.c tests/bench/benchutil.c tests/bench/benchutil.h
tests_bench_bench_media_CPPFLAGS = $(AM_CPPFLAGS) $(EVENT_CFLAGS)
tests_bench_bench_media_LDADD = $(TMEDIA_LIBS) $(TCORE_LIBS) $(M_LIBS)
# Transcoded PCMU <-> Opus calls per core, late frames, overhead vs codec cost
# (README.md); not a timed test.
check_PROGRAMS += tests/bench/bench_xcode
tests_bench_bench_xcode_SOURCES = tests/bench/bench_xcode.c tests/bench/benchutil.c tests/bench/benchutil.h
tests_bench_bench_xcode_CPPFLAGS = $(AM_CPPFLAGS) $(EVENT_CFLAGS)
tests_bench_bench_xcode_LDADD = $(TMEDIA_LIBS) $(TCORE_LIBS) $(M_LIBS)
# Opus encoder complexity 0..10 at 8 kHz: time per frame and SNR of decoded
# reference signals (README.md); not a timed test.
check_PROGRAMS += tests/bench/bench_opus_cx
tests_bench_bench_opus_cx_SOURCES = tests/bench/bench_opus_cx.c tests/bench/benchutil.c tests/bench/benchutil.h
tests_bench_bench_opus_cx_LDADD = $(TCORE_LIBS) $(M_LIBS)
# RTP both ways for the calls sipp sets up in tests/bench/cps.sh -m
check_PROGRAMS += tests/bench/rtpload
tests_bench_rtpload_SOURCES = tests/bench/rtpload.c
# Route lookups per second at 100,000 prefixes: the route table against the
# previous per-length binary search and a linear scan (README.md).
check_PROGRAMS += tests/bench/bench_route
tests_bench_bench_route_SOURCES = tests/bench/bench_route.c
tests_bench_bench_route_LDADD = $(TCORE_LIBS)

# SRTP protect/unprotect cost at 1, 1,000 and 4,000 live sessions in the
# libsrtp2 tandemd links (doc/webrtc.md).
check_PROGRAMS += tests/bench/bench_srtp
tests_bench_bench_srtp_SOURCES = tests/bench/bench_srtp.c
tests_bench_bench_srtp_CPPFLAGS = $(AM_CPPFLAGS) $(SRTP_CFLAGS) $(SSL_CFLAGS)
tests_bench_bench_srtp_LDADD = $(SRTP_LIBS) $(SSL_LIBS)
