/* tandem/module.h - the loadable module ABI (public: modules include this).
 *
 * A module is a shared object (modules/mod_NAME.so) that exports exactly one
 * data symbol, `tandem_module_descriptor`, a `struct tandem_module`. tandemd
 * dlopen()s the file, reads the descriptor, checks it, then calls init().
 * A module includes only the headers in <tandem/> and links against no part of
 * tandemd: everything it may call in the daemon comes through `struct tandem_host`.
 *
 * Versioning (checked by the loader, refused with a line naming the file and
 * both versions):
 *   - TANDEM_MODULE_ABI_MAJOR changes when any existing field changes meaning,
 *     type or place. A module must have the daemon's major exactly.
 *   - TANDEM_MODULE_ABI_MINOR grows when fields are appended to the end of a
 *     struct (descriptor, host, codec, engine). A module built against an older
 *     minor keeps working: the daemon reads struct_size and treats fields past
 *     it as absent. A module built against a newer minor than the daemon is
 *     refused (it may rely on host fields this daemon lacks).
 *   - struct_size is sizeof() as the module saw it; it must cover at least the
 *     fields of the minor the module declares.
 *   - signature is TANDEM_MODULE_SIGNATURE as the module's compiler expanded
 *     it: the target, data model and byte order. A module built for another
 *     target or data model disagrees with the daemon and is refused.
 *
 * The first four descriptor fields (abi_major, abi_minor, struct_size,
 * signature) are frozen for every ABI version, so any loader can read them.
 *
 * Ownership and lifetime: the descriptor, its strings and codec tables are
 * static data of the module, valid from dlopen() to dlclose(). The daemon
 * owns the host struct and keeps it valid from init() until fini() returns.
 * init() runs once per load, on the main thread, before any media thread
 * uses a codec; fini() runs once, after every codec state has been destroyed.
 */
#ifndef TANDEM_MODULE_H
#define TANDEM_MODULE_H

#include <stddef.h>
#include <stdint.h>

#include <tandem/cdr.h>
#include <tandem/codec.h>

#define TANDEM_MODULE_ABI_MAJOR 1
/* Minor history: 1.0 first release; 1.1 appended tandem_codec.pcm_channels
 * and tandem_codec_engine.decode_fec (see tandem/codec.h); 1.2 appended
 * tandem_module.cdr (call record backends, see tandem/cdr.h); 1.3 appended
 * tandem_cdr_record's quality, source and caller_out and
 * tandem_cdr_backend.record_size. */
#define TANDEM_MODULE_ABI_MINOR 3

/* The one symbol the loader looks up. */
#define TANDEM_MODULE_SYMBOL      tandem_module_descriptor
#define TANDEM_MODULE_SYMBOL_NAME "tandem_module_descriptor"

#define TANDEM_STR_(x) #x
#define TANDEM_STR(x)  TANDEM_STR_(x)

#if defined(__x86_64__) && defined(__ILP32__)
#define TANDEM_ABI_ARCH "x32"
#elif defined(__x86_64__)
#define TANDEM_ABI_ARCH "x86_64"
#elif defined(__i386__)
#define TANDEM_ABI_ARCH "i386"
#elif defined(__aarch64__)
#define TANDEM_ABI_ARCH "aarch64"
#elif defined(__arm__) && defined(__ARM_PCS_VFP)
#define TANDEM_ABI_ARCH "armhf"
#elif defined(__arm__)
#define TANDEM_ABI_ARCH "armel"
#elif defined(__riscv)
#define TANDEM_ABI_ARCH "riscv" TANDEM_STR(__riscv_xlen)
#elif defined(__powerpc64__)
#define TANDEM_ABI_ARCH "ppc64"
#elif defined(__s390x__)
#define TANDEM_ABI_ARCH "s390x"
#else
#define TANDEM_ABI_ARCH "unknown"
#endif

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define TANDEM_ABI_ENDIAN "be"
#else
#define TANDEM_ABI_ENDIAN "le"
#endif

/* Build signature: "tandem-1 x86_64 le ptr8 long8 int4 wchar4". Compared as a
 * string; the ABI major is part of it so it can never match across majors. */
#define TANDEM_MODULE_SIGNATURE                                              \
	"tandem-" TANDEM_STR(TANDEM_MODULE_ABI_MAJOR)                        \
	" " TANDEM_ABI_ARCH " " TANDEM_ABI_ENDIAN                            \
	" ptr" TANDEM_STR(__SIZEOF_POINTER__)                                \
	" long" TANDEM_STR(__SIZEOF_LONG__)                                  \
	" int" TANDEM_STR(__SIZEOF_INT__)                                    \
	" wchar" TANDEM_STR(__SIZEOF_WCHAR_T__)

/* Log levels for tandem_host.log (same order as the daemon's own levels). */
enum tandem_log_level {
	TANDEM_LOG_ERROR = 0,
	TANDEM_LOG_WARN,
	TANDEM_LOG_NOTICE,
	TANDEM_LOG_INFO,
	TANDEM_LOG_DEBUG,
};

/* What the daemon offers a module. Check host->struct_size before using a
 * field added in a later minor than the one the module needs. */
struct tandem_host {
	uint32_t struct_size;   /* sizeof(struct tandem_host) in the daemon */
	uint32_t abi_major;     /* the daemon's ABI */
	uint32_t abi_minor;
	/* Thread-safe; one line per call (no trailing newline needed). Modules
	 * prefix their own name. Never call per packet. */
	void (*log)(int level, const char *fmt, ...)
		__attribute__((format(printf, 2, 3)));
};

struct tandem_module {
	/* Frozen header: same place in every ABI version. */
	uint32_t abi_major;       /* TANDEM_MODULE_ABI_MAJOR */
	uint32_t abi_minor;       /* TANDEM_MODULE_ABI_MINOR */
	uint32_t struct_size;     /* sizeof(struct tandem_module) */
	const char *signature;    /* TANDEM_MODULE_SIGNATURE */

	/* ABI 1.0 */
	const char *name;         /* "g711": short, shown by `tandemctl status` */
	const char *version;      /* the module's own version, "1.0.0" */
	const char *description;  /* one line, may be NULL */
	/* Optional (NULL = nothing to do). Return 0 or a negative errno; on error
	 * the load fails and fini() is not called. host stays valid until fini()
	 * returns. */
	int (*init)(const struct tandem_host *host);
	void (*fini)(void);
	/* NULL-terminated list of codecs this module provides (may be NULL). */
	const struct tandem_codec *const *codecs;

	/* ABI 1.2: a call record backend (NULL = none); see tandem/cdr.h. */
	const struct tandem_cdr_backend *cdr;
};

/* Bytes of the descriptor every ABI 1.x module must provide. */
#define TANDEM_MODULE_SIZE_1_0 \
	(offsetof(struct tandem_module, codecs) + sizeof(const struct tandem_codec *const *))

#if defined(__GNUC__)
#define TANDEM_MODULE_EXPORT __attribute__((visibility("default")))
#else
#define TANDEM_MODULE_EXPORT
#endif

/* Define the module's descriptor. The macro fills the ABI fields; the module
 * writes only its own, as designated initializers:
 *
 *   TANDEM_MODULE_DEFINE(
 *           .name = "g711", .version = "1.0.0",
 *           .description = "G.711 mu-law and A-law",
 *           .init = g711_init, .codecs = g711_codecs);
 */
#define TANDEM_MODULE_DEFINE(...)                                            \
	extern TANDEM_MODULE_EXPORT const struct tandem_module               \
		TANDEM_MODULE_SYMBOL;                                        \
	TANDEM_MODULE_EXPORT const struct tandem_module TANDEM_MODULE_SYMBOL = { \
		.abi_major = TANDEM_MODULE_ABI_MAJOR,                        \
		.abi_minor = TANDEM_MODULE_ABI_MINOR,                        \
		.struct_size = sizeof(struct tandem_module),                 \
		.signature = TANDEM_MODULE_SIGNATURE,                        \
		__VA_ARGS__                                                  \
	}

#endif
