/* mod_badabi.c - deliberately broken modules for tests/unit/test_modules.c.
 *
 * One source, built several times with one -D each (tests/unit/local.mk):
 *   BAD_MAJOR      ABI major one past the daemon's        mod_badabi.so
 *   BAD_MINOR      ABI minor one past the daemon's        mod_badminor.so
 *   BAD_SIZE       struct_size smaller than ABI 1.0 needs mod_badsize.so
 *   BAD_SIG        build signature of another target      mod_badsig.so
 *   NO_SYMBOL      no tandem_module_descriptor symbol     mod_nosym.so
 *   INIT_FAIL      valid, but init() returns -ENODEV      mod_initfail.so
 *   DUP_CODEC      valid, relay-only "pcmu"/8000 (clashes with mod_g711);
 *                  logs its init and fini through the host  mod_dupcodec.so
 * The ABI fields are written out by hand where they must be wrong, since
 * TANDEM_MODULE_DEFINE always fills them correctly.
 */
#include "config.h"

#include <tandem/codec.h>
#include <tandem/module.h>

#include <errno.h>
#include <stddef.h>

#define FAKE_SIGNATURE "tandem-1 sparc64 be ptr8 long8 int4 wchar4"

#if !defined(NO_SYMBOL) && !defined(INIT_FAIL)
static const struct tandem_codec relay_pcmu = {
	.struct_size = sizeof(struct tandem_codec),
	.name = "pcmu",
	.clock_rate = 8000,
	.channels = 1,
	.payload_type = 0,
	.sample_rate = 8000,
	.frame_ms = 20,
};

static const struct tandem_codec *const codecs[] = { &relay_pcmu, NULL };
#endif

#if defined(BAD_MAJOR) || defined(BAD_MINOR) || defined(BAD_SIZE) || defined(BAD_SIG)

#if defined(BAD_MAJOR)
#define ABI_MAJOR (TANDEM_MODULE_ABI_MAJOR + 1)
#define ABI_MINOR 0
#elif defined(BAD_MINOR)
#define ABI_MAJOR TANDEM_MODULE_ABI_MAJOR
#define ABI_MINOR (TANDEM_MODULE_ABI_MINOR + 1)
#else
#define ABI_MAJOR TANDEM_MODULE_ABI_MAJOR
#define ABI_MINOR TANDEM_MODULE_ABI_MINOR
#endif

#if defined(BAD_SIZE)
#define STRUCT_SIZE offsetof(struct tandem_module, codecs)
#else
#define STRUCT_SIZE sizeof(struct tandem_module)
#endif

#if defined(BAD_SIG)
#define SIGNATURE FAKE_SIGNATURE
#else
#define SIGNATURE TANDEM_MODULE_SIGNATURE
#endif

extern TANDEM_MODULE_EXPORT const struct tandem_module TANDEM_MODULE_SYMBOL;
TANDEM_MODULE_EXPORT const struct tandem_module TANDEM_MODULE_SYMBOL = {
	.abi_major = ABI_MAJOR,
	.abi_minor = ABI_MINOR,
	.struct_size = STRUCT_SIZE,
	.signature = SIGNATURE,
	.name = "badabi",
	.version = "0.0.1",
	.codecs = codecs,
};

#elif defined(NO_SYMBOL)

extern TANDEM_MODULE_EXPORT const struct tandem_module tandem_module_descriptr;
TANDEM_MODULE_EXPORT const struct tandem_module tandem_module_descriptr = {
	.abi_major = TANDEM_MODULE_ABI_MAJOR,
	.abi_minor = TANDEM_MODULE_ABI_MINOR,
	.struct_size = sizeof(struct tandem_module),
	.signature = TANDEM_MODULE_SIGNATURE,
	.name = "nosym",
	.version = "0.0.1",
};

#elif defined(INIT_FAIL)

static int initfail_init(const struct tandem_host *host)
{
	host->log(TANDEM_LOG_NOTICE, "initfail: init refuses");
	return -ENODEV;
}

static void initfail_fini(void)
{
	/* Must never run: init failed. Nothing to log it with, so crash loudly. */
	__builtin_trap();
}

TANDEM_MODULE_DEFINE(
	.name = "initfail",
	.version = "0.0.1",
	.init = initfail_init,
	.fini = initfail_fini,
);

#elif defined(DUP_CODEC)

static const struct tandem_host *the_host;

static int dup_init(const struct tandem_host *host)
{
	the_host = host;
	host->log(TANDEM_LOG_NOTICE, "dupcodec: init (host ABI %u.%u, %u bytes)",
		  (unsigned)host->abi_major, (unsigned)host->abi_minor,
		  (unsigned)host->struct_size);
	return 0;
}

static void dup_fini(void)
{
	the_host->log(TANDEM_LOG_NOTICE, "dupcodec: fini");
	the_host = NULL;
}

TANDEM_MODULE_DEFINE(
	.name = "dupcodec",
	.version = "0.0.2",
	.description = "relay-only pcmu, for tests",
	.init = dup_init,
	.fini = dup_fini,
	.codecs = codecs,
);

#else
#error "build with one of -DBAD_MAJOR -DBAD_MINOR -DBAD_SIZE -DBAD_SIG -DNO_SYMBOL -DINIT_FAIL -DDUP_CODEC"
#endif
