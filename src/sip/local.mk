# src/sip: sofia-sip glue, SIP thread, B2BUA call core.
noinst_LIBRARIES += src/sip/libtsip.a
src_sip_libtsip_a_CPPFLAGS = $(AM_CPPFLAGS) $(SOFIA_CFLAGS) $(EVENT_CFLAGS) $(JANSSON_CFLAGS) $(SSL_CFLAGS)
src_sip_libtsip_a_SOURCES = \
	src/sip/sip_thread.c src/sip/sip_thread.h src/sip/sip_internal.h \
	src/sip/call.c src/sip/call.h src/sip/call_fsm.c src/sip/trunks.c src/sip/trunks.h \
	src/sip/sip_metrics.c src/sip/sip_metrics.h \
	src/sip/digest.c src/sip/digest.h src/sip/nonce.c src/sip/nonce.h \
	src/sip/banlist.c src/sip/banlist.h \
	src/sip/prack.c src/sip/prack.h src/sip/session_timer.c src/sip/session_timer.h \
	src/sip/refer.c src/sip/refer.h src/sip/sdp_origin.c src/sip/sdp_origin.h \
	src/sip/registrar.c src/sip/registrar_file.c src/sip/registrar.h
TSIP_LIBS = src/sip/libtsip.a $(SOFIA_LIBS) $(SSL_LIBS)
