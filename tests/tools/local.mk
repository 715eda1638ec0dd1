# tests/tools: small C peers for the shell tests in tests/sip/ (built by
# `make check`; the tests look for them in $(builddir)/tests/tools/).
check_PROGRAMS += tests/tools/sipsend tests/tools/rtpprobe
tests_tools_sipsend_SOURCES = tests/tools/sipsend.c
tests_tools_rtpprobe_SOURCES = tests/tools/rtpprobe.c
tests_tools_rtpprobe_LDADD = $(M_LIBS)
