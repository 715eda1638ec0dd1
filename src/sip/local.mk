# src/sip: sofia-sip glue, SIP thread, B2BUA call core.
noinst_LIBRARIES += src/sip/libtsip.a
src_sip_libtsip_a_CPPFLAGS = $(AM_CPPFLAGS) $(SOFIA_CFLAGS) $(EVENT_CFLAGS) $(JANSSON_CFLAGS) $(SSL_CFLAGS)
src_sip_libtsip_a_SOURCES = \
	src/sip/sip_thread.c src/sip/sip_thread.h src/sip/sip_internal.h \
	src/sip/call.c src/sip/call.h src/sip/call_fsm.c src/sip/call_auth.c src/sip/trunks.c src/sip/trunks.h \
	src/sip/call_route.c src/sip/call_route.h src/sip/limits.c src/sip/limits.h \
	src/sip/hdrpolicy.c src/sip/hdrpolicy.h \
	src/sip/sip_metrics.c src/sip/sip_metrics.h \
	src/sip/digest.c src/sip/digest.h src/sip/nonce.c src/sip/nonce.h \
	src/sip/digest_client.c src/sip/digest_client.h src/sip/trunk_auth.c src/sip/trunk_auth.h \
	src/sip/trunk_register.c src/sip/trunk_register.h \
	src/sip/trunk_dns.c src/sip/trunk_dns.h src/sip/srv_order.c src/sip/srv_order.h \
	src/sip/banlist.c src/sip/banlist.h \
	src/sip/registrar.c src/sip/registrar_file.c src/sip/registrar.h \
	src/sip/prack.c src/sip/prack.h src/sip/session_timer.c src/sip/session_timer.h \
	src/sip/refer.c src/sip/refer.h src/sip/sdp_origin.c src/sip/sdp_origin.h \
	src/sip/ws_frame.c src/sip/ws_frame.h src/sip/ws_handshake.c src/sip/ws_handshake.h \
	src/sip/ws_sipmsg.c src/sip/ws_sipmsg.h src/sip/ws_source.c src/sip/ws_source.h \
	src/sip/ws_shim.c src/sip/ws_shim.h src/sip/ws_glue.c src/sip/ws_glue.h \
	src/sip/auth.c src/sip/auth.h src/sip/regsip.c src/sip/regsip.h \
	src/sip/fork.c src/sip/fork.h
# DTMF in SIP INFO bodies (application/dtmf-relay).
src_sip_libtsip_a_SOURCES += src/sip/dtmf_relay.c src/sip/dtmf_relay.h
TSIP_LIBS = src/sip/libtsip.a $(SOFIA_LIBS) $(SSL_LIBS)
