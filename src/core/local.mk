# src/core: config snapshot, log, queues, module loader, control socket.
noinst_LIBRARIES += src/core/libtcore.a
src_core_libtcore_a_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS) $(EVENT_CFLAGS)
src_core_libtcore_a_SOURCES = \
	src/core/log.c src/core/log.h \
	src/core/queue.c src/core/queue.h \
	src/core/config.h src/core/config.c src/core/config_ini.c src/core/config_ini.h \
	src/core/config_schema.c src/core/config_schema.h \
	src/core/config_util.c src/core/config_util.h src/core/config_value.c src/core/config_value.h \
	src/core/config_print.c src/core/config_priv.h src/core/config_snapshot.c \
	src/core/modules.c src/core/modules.h \
	src/core/ctl.c src/core/ctl.h \
	src/core/cdr.c src/core/cdr.h src/core/cidr.c src/core/cidr.h \
	src/core/routetab.c src/core/routetab.h src/core/config_routes.c \
	src/core/numplan.c src/core/numplan.h \
	src/core/cdr_spool.c src/core/cdr_spool.h src/core/cdr_sink.c src/core/cdr_sink.h \
	src/core/metrics.c src/core/metrics.h
TCORE_LIBS = src/core/libtcore.a $(JANSSON_LIBS) $(EVENT_LIBS) $(DL_LIBS) $(PTHREAD_LIBS)
# Writes tandem.conf(5) from the config schema (see doc/local.mk).
noinst_PROGRAMS += src/core/gen_confman
src_core_gen_confman_SOURCES = src/core/gen_confman.c src/core/config_schema.c src/core/config_util.c
