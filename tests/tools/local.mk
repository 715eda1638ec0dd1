# tests/tools: small C peers for the shell tests in tests/sip/ (built by
# `make check`; the tests look for them in $(builddir)/tests/tools/).
check_PROGRAMS += tests/tools/sipsend tests/tools/rtpprobe
check_PROGRAMS += tests/tools/wavtone tests/tools/dtmfdet tests/tools/sipauth tests/tools/udptlprobe
tests_tools_sipsend_SOURCES = tests/tools/sipsend.c
tests_tools_rtpprobe_SOURCES = tests/tools/rtpprobe.c
tests_tools_rtpprobe_CPPFLAGS = $(AM_CPPFLAGS) $(SPANDSP_CFLAGS) $(BCG729_CFLAGS)
tests_tools_rtpprobe_LDADD = $(SPANDSP_LIBS) $(BCG729_LIBS) $(M_LIBS)
tests_tools_udptlprobe_SOURCES = tests/tools/udptlprobe.c
tests_tools_wavtone_SOURCES = tests/tools/wavtone.c
tests_tools_wavtone_LDADD = $(M_LIBS)
tests_tools_dtmfdet_SOURCES = tests/tools/dtmfdet.c
tests_tools_dtmfdet_CPPFLAGS = $(AM_CPPFLAGS) $(SPANDSP_CFLAGS)
tests_tools_dtmfdet_LDADD = $(SPANDSP_LIBS) $(M_LIBS)
# A phone that authenticates with MD5 or SHA-256 digest (answers with src/sip/digest.c).
tests_tools_sipauth_SOURCES = tests/tools/sipauth.c src/sip/digest.c src/sip/nonce.c
tests_tools_sipauth_CPPFLAGS = $(AM_CPPFLAGS) $(SSL_CFLAGS)
tests_tools_sipauth_LDADD = $(SSL_LIBS)
