# Loadable modules: each is a shared object built only from its own folder and
# include/tandem/. Built as programs with -shared so the .so lands in the tree
# (modules/mod_NAME.so) where tests load it from.
MODULE_CFLAGS = $(AM_CFLAGS) -fPIC -fvisibility=hidden
MODULE_LINKFLAGS = $(AM_LDFLAGS) -shared -fPIC
# They install into $(moduledir) (configure --with-moduledir), and the module
# ABI headers into $(includedir)/tandem for modules built out of tree.
pkginclude_HEADERS = include/tandem/module.h include/tandem/codec.h include/tandem/cdr.h

module_PROGRAMS += modules/mod_g711.so
modules_mod_g711_so_SOURCES = modules/mod_g711/g711.c modules/common/plc.c modules/common/plc.h
modules_mod_g711_so_CFLAGS = $(MODULE_CFLAGS)
modules_mod_g711_so_LDFLAGS = $(MODULE_LINKFLAGS)
modules_mod_g711_so_CPPFLAGS = $(AM_CPPFLAGS) $(SPANDSP_CFLAGS)
modules_mod_g711_so_LDADD = $(SPANDSP_LIBS) $(M_LIBS)

# Opus (libopus), G.722 (spandsp), G.729 (bcg729): see each module's header.
module_PROGRAMS += modules/mod_opus.so
modules_mod_opus_so_SOURCES = modules/mod_opus/opus.c modules/mod_opus/opus_fmtp.c \
	modules/mod_opus/opus_fmtp.h
modules_mod_opus_so_CFLAGS = $(MODULE_CFLAGS)
modules_mod_opus_so_LDFLAGS = $(MODULE_LINKFLAGS)
modules_mod_opus_so_CPPFLAGS = $(AM_CPPFLAGS) $(OPUS_CFLAGS)
modules_mod_opus_so_LDADD = $(OPUS_LIBS)

module_PROGRAMS += modules/mod_g722.so
modules_mod_g722_so_SOURCES = modules/mod_g722/g722.c modules/common/plc.c modules/common/plc.h
modules_mod_g722_so_CFLAGS = $(MODULE_CFLAGS)
modules_mod_g722_so_LDFLAGS = $(MODULE_LINKFLAGS)
modules_mod_g722_so_CPPFLAGS = $(AM_CPPFLAGS) $(SPANDSP_CFLAGS)
modules_mod_g722_so_LDADD = $(SPANDSP_LIBS) $(M_LIBS)

module_PROGRAMS += modules/mod_g729.so
modules_mod_g729_so_SOURCES = modules/mod_g729/g729.c modules/mod_g729/g729_fmtp.c \
	modules/mod_g729/g729_fmtp.h
modules_mod_g729_so_CFLAGS = $(MODULE_CFLAGS)
modules_mod_g729_so_LDFLAGS = $(MODULE_LINKFLAGS)
modules_mod_g729_so_CPPFLAGS = $(AM_CPPFLAGS) $(BCG729_CFLAGS)
modules_mod_g729_so_LDADD = $(BCG729_LIBS)

# Call records into PostgreSQL (libpq): a CDR backend (include/tandem/cdr.h).
module_PROGRAMS += modules/mod_cdr_pgsql.so
modules_mod_cdr_pgsql_so_SOURCES = modules/mod_cdr_pgsql/cdr_pgsql.c \
	modules/mod_cdr_pgsql/schema.h modules/mod_cdr_pgsql/schema.c
modules_mod_cdr_pgsql_so_CFLAGS = $(MODULE_CFLAGS)
modules_mod_cdr_pgsql_so_LDFLAGS = $(MODULE_LINKFLAGS)
modules_mod_cdr_pgsql_so_CPPFLAGS = $(AM_CPPFLAGS) $(PQ_CFLAGS)
modules_mod_cdr_pgsql_so_LDADD = $(PQ_LIBS)
