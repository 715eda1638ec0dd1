# tests/tools: small C peers for the shell tests in tests/sip/ (built by
# `make check`; the tests look for them in $(builddir)/tests/tools/).
check_PROGRAMS += tests/tools/sipsend tests/tools/rtpprobe
check_PROGRAMS += tests/tools/wavtone
tests_tools_sipsend_SOURCES = tests/tools/sipsend.c
tests_tools_rtpprobe_SOURCES = tests/tools/rtpprobe.c
tests_tools_rtpprobe_LDADD = $(M_LIBS)
tests_tools_wavtone_SOURCES = tests/tools/wavtone.c
tests_tools_wavtone_LDADD = $(M_LIBS)
