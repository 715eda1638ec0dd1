# Tests. The list of what runs, and in which tier, is tests/TESTS.
include $(srcdir)/tests/unit/local.mk
include $(srcdir)/tests/media/local.mk
include $(srcdir)/tests/bench/local.mk
include $(srcdir)/tests/tools/local.mk
EXTRA_DIST += tests
