# The daemon and its CLI.
sbin_PROGRAMS += src/tandemd
src_tandemd_SOURCES = src/tandemd.c src/metrics_collect.c src/metrics_collect.h \
	src/metrics_rtp.c src/metrics_rtp.h
src_tandemd_CPPFLAGS = $(AM_CPPFLAGS) $(SOFIA_CFLAGS) $(EVENT_CFLAGS) $(JANSSON_CFLAGS)
src_tandemd_LDADD = $(TSIP_LIBS) $(TMEDIA_LIBS) $(TCORE_LIBS)
src_tandemd_LDFLAGS = $(AM_LDFLAGS) -rdynamic

bin_PROGRAMS += src/tandemctl
src_tandemctl_SOURCES = src/tandemctl.c
src_tandemctl_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS)
src_tandemctl_LDADD = $(JANSSON_LIBS)
