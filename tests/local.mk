# Tests. The list of what runs, and in which tier, is tests/TESTS.
include $(srcdir)/tests/unit/local.mk
include $(srcdir)/tests/media/local.mk
include $(srcdir)/tests/bench/local.mk
include $(srcdir)/tests/tools/local.mk
# What the tarball needs to run the tests (the sources of check_PROGRAMS are
# distributed by automake). Directories only where nothing is built.
EXTRA_DIST += tests/TESTS tests/run-tests.sh tests/lib tests/sip tests/webrtc \
	tests/unit/conf tests/media/sdp \
	tests/fuzz/run-fuzz.sh tests/fuzz/corpus tests/fuzz/fuzz_codec_fmtp.c \
	tests/fuzz/fuzz_config.c tests/fuzz/fuzz_ctl.c tests/fuzz/fuzz_rtp.c tests/fuzz/fuzz_sdp.c \
	tests/fuzz/fuzz_digest.c tests/fuzz/fuzz_rtcp.c tests/fuzz/fuzz_sdp_origin.c tests/fuzz/fuzz_route.c tests/fuzz/fuzz_websocket.c tests/fuzz/fuzz_cng.c tests/fuzz/fuzz_dtmf_relay.c tests/fuzz/fuzz_digest_chal.c \
	tests/bench/README.md tests/bench/cps.sh \
	tests/bench/uac_cps_media.xml tests/bench/uas_cps_media.xml

# A test file missing from the list above fails `make dist` here, not a
# user's `make check` later: every source-like file under tests/ must be in
# the distribution directory.
dist-hook: dist-check-tests
dist-check-tests:
	@dd='$(distdir)'; case $$dd in /*) ;; *) dd=`pwd`/$$dd ;; esac; \
	cd '$(srcdir)' && missing=`find tests -type f \( -name '*.sh' -o -name '*.xml' -o -name '*.c' \
	  -o -name '*.h' -o -name '*.in' -o -name '*.md' -o -name '*.sdp' -o -name '*.py' -o -name '*.conf' -o -name TESTS \) \
	  | while read f; do test -f "$$dd/$$f" || echo "$$f"; done`; \
	if test -n "$$missing"; then \
	  echo "not distributed (add to EXTRA_DIST in tests/local.mk):" $$missing >&2; exit 1; fi
.PHONY: dist-check-tests
