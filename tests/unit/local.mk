# tests/unit

# Module loader + mod_g711. The mod_*.so here are deliberately broken modules,
# all built from mod_badabi.c with one -D each (see its header).
check_PROGRAMS += tests/unit/test_modules
tests_unit_test_modules_SOURCES = tests/unit/test_modules.c
tests_unit_test_modules_CPPFLAGS = $(AM_CPPFLAGS) $(CHECK_CFLAGS) $(SPANDSP_CFLAGS)
tests_unit_test_modules_LDADD = $(TCORE_LIBS) $(CHECK_LIBS) $(SPANDSP_LIBS) $(M_LIBS)

check_PROGRAMS += tests/unit/mod_badabi.so tests/unit/mod_badminor.so \
	tests/unit/mod_badsize.so tests/unit/mod_badsig.so tests/unit/mod_nosym.so \
	tests/unit/mod_initfail.so tests/unit/mod_dupcodec.so
tests_unit_mod_badabi_so_SOURCES = tests/unit/mod_badabi.c
tests_unit_mod_badabi_so_CFLAGS = $(MODULE_CFLAGS) -DBAD_MAJOR
tests_unit_mod_badabi_so_LDFLAGS = $(MODULE_LINKFLAGS)
tests_unit_mod_badminor_so_SOURCES = tests/unit/mod_badabi.c
tests_unit_mod_badminor_so_CFLAGS = $(MODULE_CFLAGS) -DBAD_MINOR
tests_unit_mod_badminor_so_LDFLAGS = $(MODULE_LINKFLAGS)
tests_unit_mod_badsize_so_SOURCES = tests/unit/mod_badabi.c
tests_unit_mod_badsize_so_CFLAGS = $(MODULE_CFLAGS) -DBAD_SIZE
tests_unit_mod_badsize_so_LDFLAGS = $(MODULE_LINKFLAGS)
tests_unit_mod_badsig_so_SOURCES = tests/unit/mod_badabi.c
tests_unit_mod_badsig_so_CFLAGS = $(MODULE_CFLAGS) -DBAD_SIG
tests_unit_mod_badsig_so_LDFLAGS = $(MODULE_LINKFLAGS)
tests_unit_mod_nosym_so_SOURCES = tests/unit/mod_badabi.c
tests_unit_mod_nosym_so_CFLAGS = $(MODULE_CFLAGS) -DNO_SYMBOL
tests_unit_mod_nosym_so_LDFLAGS = $(MODULE_LINKFLAGS)
tests_unit_mod_initfail_so_SOURCES = tests/unit/mod_badabi.c
tests_unit_mod_initfail_so_CFLAGS = $(MODULE_CFLAGS) -DINIT_FAIL
tests_unit_mod_initfail_so_LDFLAGS = $(MODULE_LINKFLAGS)
tests_unit_mod_dupcodec_so_SOURCES = tests/unit/mod_badabi.c
tests_unit_mod_dupcodec_so_CFLAGS = $(MODULE_CFLAGS) -DDUP_CODEC
tests_unit_mod_dupcodec_so_LDFLAGS = $(MODULE_LINKFLAGS)

# mod_opus, mod_g722, mod_g729 (loaded from $(builddir)/modules with mod_g711).
check_PROGRAMS += tests/unit/test_codecs
tests_unit_test_codecs_SOURCES = tests/unit/test_codecs.c
tests_unit_test_codecs_CPPFLAGS = $(AM_CPPFLAGS) $(CHECK_CFLAGS)
tests_unit_test_codecs_LDADD = $(TCORE_LIBS) $(CHECK_LIBS) $(M_LIBS)

# Control socket server + tandemctl (runs $(builddir)/src/tandemctl).
check_PROGRAMS += tests/unit/test_ctl
tests_unit_test_ctl_SOURCES = tests/unit/test_ctl.c tests/unit/test_ctl_cli.c \
	tests/unit/ctl_harness.c tests/unit/ctl_harness.h
tests_unit_test_ctl_CPPFLAGS = $(AM_CPPFLAGS) $(CHECK_CFLAGS) $(EVENT_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_ctl_LDADD = $(TCORE_LIBS) $(CHECK_LIBS)

# Configuration loader; data files in tests/unit/conf/, the shipped conf/ too.
check_PROGRAMS += tests/unit/test_config
tests_unit_test_config_SOURCES = tests/unit/test_config.c
tests_unit_test_config_CPPFLAGS = $(AM_CPPFLAGS) $(CHECK_CFLAGS) -DTEST_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_test_config_LDADD = $(TCORE_LIBS) $(CHECK_LIBS)

check_PROGRAMS += tests/unit/test_cdr
tests_unit_test_cdr_SOURCES = tests/unit/test_cdr.c
tests_unit_test_cdr_CPPFLAGS = $(AM_CPPFLAGS) $(CHECK_CFLAGS)
tests_unit_test_cdr_LDADD = $(TCORE_LIBS) $(CHECK_LIBS)

# Metrics: histogram, exposition text, metrics_listen parser, HTTP endpoint.
check_PROGRAMS += tests/unit/test_metrics
tests_unit_test_metrics_SOURCES = tests/unit/test_metrics.c
tests_unit_test_metrics_CPPFLAGS = $(AM_CPPFLAGS) $(CHECK_CFLAGS) $(EVENT_CFLAGS)
tests_unit_test_metrics_LDADD = $(TCORE_LIBS) $(CHECK_LIBS) $(M_LIBS)

# Digest auth (RFC 7616 vectors, SHA-256/MD5), nonces, ban list.
check_PROGRAMS += tests/unit/test_digest
tests_unit_test_digest_SOURCES = tests/unit/test_digest.c
tests_unit_test_digest_CPPFLAGS = $(AM_CPPFLAGS) $(CHECK_CFLAGS) $(SSL_CFLAGS)
tests_unit_test_digest_LDADD = $(TSIP_LIBS) $(TCORE_LIBS) $(CHECK_LIBS)

# Registrar bindings store and its file.
check_PROGRAMS += tests/unit/test_registrar
tests_unit_test_registrar_SOURCES = tests/unit/test_registrar.c
tests_unit_test_registrar_CPPFLAGS = $(AM_CPPFLAGS) $(CHECK_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_registrar_LDADD = $(TSIP_LIBS) $(TCORE_LIBS) $(CHECK_LIBS)

# Route table, route file, number plans, limit buckets, header policy.
check_PROGRAMS += tests/unit/test_routetab
tests_unit_test_routetab_SOURCES = tests/unit/test_routetab.c
tests_unit_test_routetab_CPPFLAGS = $(AM_CPPFLAGS) $(CHECK_CFLAGS) $(SOFIA_CFLAGS) $(EVENT_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_routetab_LDADD = $(TSIP_LIBS) $(TCORE_LIBS) $(CHECK_LIBS)

# CDR modules' spool and writer thread (core/cdr_spool, core/cdr_sink), fake backend.
check_PROGRAMS += tests/unit/test_cdr_sink
tests_unit_test_cdr_sink_SOURCES = tests/unit/test_cdr_sink.c
tests_unit_test_cdr_sink_CPPFLAGS = $(AM_CPPFLAGS) $(CHECK_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_cdr_sink_LDADD = $(TCORE_LIBS) $(CHECK_LIBS)

# WebSocket shim: frames, handshake, SIP rewriting, signed source header.
check_PROGRAMS += tests/unit/test_ws
tests_unit_test_ws_SOURCES = tests/unit/test_ws.c
tests_unit_test_ws_CPPFLAGS = $(AM_CPPFLAGS) $(CHECK_CFLAGS) $(SSL_CFLAGS)
tests_unit_test_ws_LDADD = $(TSIP_LIBS) $(TCORE_LIBS) $(CHECK_LIBS)

# DTMF in SIP INFO bodies.
check_PROGRAMS += tests/unit/test_dtmf_relay
tests_unit_test_dtmf_relay_SOURCES = tests/unit/test_dtmf_relay.c
tests_unit_test_dtmf_relay_CPPFLAGS = $(AM_CPPFLAGS) $(CHECK_CFLAGS)
tests_unit_test_dtmf_relay_LDADD = $(TSIP_LIBS) $(TCORE_LIBS) $(CHECK_LIBS)

check_PROGRAMS += tests/unit/test_digest_client
tests_unit_test_digest_client_SOURCES = tests/unit/test_digest_client.c
tests_unit_test_digest_client_CPPFLAGS = $(AM_CPPFLAGS) $(CHECK_CFLAGS) $(SSL_CFLAGS)
tests_unit_test_digest_client_LDADD = $(TSIP_LIBS) $(TCORE_LIBS) $(CHECK_LIBS)

check_PROGRAMS += tests/unit/test_srv_order
tests_unit_test_srv_order_SOURCES = tests/unit/test_srv_order.c
tests_unit_test_srv_order_CPPFLAGS = $(AM_CPPFLAGS) $(CHECK_CFLAGS)
tests_unit_test_srv_order_LDADD = $(TSIP_LIBS) $(TCORE_LIBS) $(CHECK_LIBS)

# Trusted-source ranges (core/cidr.c) and the subscriber config keys.
check_PROGRAMS += tests/unit/test_cidr
tests_unit_test_cidr_SOURCES = tests/unit/test_cidr.c
tests_unit_test_cidr_CPPFLAGS = $(AM_CPPFLAGS) $(CHECK_CFLAGS)
tests_unit_test_cidr_LDADD = $(TCORE_LIBS) $(CHECK_LIBS)

# mod_cdr_pgsql's column list: values, upgrade ALTER, insert (no database).
check_PROGRAMS += tests/unit/test_cdr_pgsql_schema
tests_unit_test_cdr_pgsql_schema_SOURCES = tests/unit/test_cdr_pgsql_schema.c \
	modules/mod_cdr_pgsql/schema.c
tests_unit_test_cdr_pgsql_schema_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/modules/mod_cdr_pgsql $(CHECK_CFLAGS)
tests_unit_test_cdr_pgsql_schema_LDADD = $(CHECK_LIBS)
