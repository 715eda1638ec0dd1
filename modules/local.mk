# Loadable modules: each is a shared object built only from its own folder and
# include/tandem/. Built as programs with -shared so the .so lands in the tree
# (modules/mod_NAME.so) where tests load it from.
MODULE_CFLAGS = $(AM_CFLAGS) -fPIC -fvisibility=hidden
MODULE_LINKFLAGS = $(AM_LDFLAGS) -shared -fPIC

module_PROGRAMS += modules/mod_g711.so
modules_mod_g711_so_SOURCES = modules/mod_g711/g711.c
modules_mod_g711_so_CFLAGS = $(MODULE_CFLAGS)
modules_mod_g711_so_LDFLAGS = $(MODULE_LINKFLAGS)
modules_mod_g711_so_CPPFLAGS = $(AM_CPPFLAGS) $(SPANDSP_CFLAGS)
modules_mod_g711_so_LDADD = $(SPANDSP_LIBS)
