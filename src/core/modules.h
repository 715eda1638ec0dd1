/* modules.h - the module loader: dlopen codec modules and index their codecs.
 *
 * tmodules_load() opens each named module (NAME -> DIR/NAME.so) with
 * dlopen(RTLD_NOW | RTLD_LOCAL), checks its descriptor against this daemon's
 * ABI (see <tandem/module.h>), validates its codec tables and calls its init().
 * Loading is all-or-nothing: on any failure every module opened so far is
 * finalized and closed, *out is left NULL and errbuf holds one line naming the
 * module file and, for version problems, both ABI versions.
 *
 * Ownership: the caller owns the returned set and frees it with
 * tmodules_free(), which calls each module's fini() (in reverse load order)
 * and dlclose()s it. The set is immutable after load: any thread may read it
 * (count/get/find) without locks. Every pointer obtained from it (info,
 * codec descriptors, their strings) is valid until tmodules_free(); every
 * codec state created through it must be destroyed before that.
 *
 * An empty name list gives an empty set: the daemon runs pass-through only.
 * All readers accept a NULL set and treat it as empty.
 */
#ifndef TANDEM_CORE_MODULES_H
#define TANDEM_CORE_MODULES_H

#include <stddef.h>

#include <tandem/codec.h>
#include <tandem/module.h>

typedef struct tmodules tmodules_t;

/* One loaded module, for `tandemctl status` and logs. */
struct tmodule_info {
	const char *name;          /* descriptor name, e.g. "g711" */
	const char *version;       /* module version, e.g. "1.0.0" */
	const char *description;   /* never NULL ("" if the module gave none) */
	const char *path;          /* the file loaded, e.g. "DIR/mod_g711.so" */
	unsigned abi_major;        /* ABI the module was built against */
	unsigned abi_minor;
	size_t ncodecs;
	const struct tandem_codec *const *codecs;   /* ncodecs entries */
	const struct tandem_cdr_backend *cdr;       /* NULL unless a CDR module */
};

/* Load the modules 'names' (NULL-terminated; a name is [A-Za-z0-9_.-], no
 * '/', without ".so") from directory 'dir'. On success returns 0 and stores a
 * new set in *out. On failure returns a negative errno (-ENOENT missing file,
 * -ENOEXEC not a module or ABI/signature mismatch, -EINVAL bad name or
 * descriptor, -EEXIST duplicate module or codec, -ENOMEM, or the errno an
 * init() returned), writes a message to errbuf[errlen] and stores NULL. */
int tmodules_load(const char *dir, const char *const *names, tmodules_t **out,
		  char *errbuf, size_t errlen);
/* Finalize and unload every module. NULL-safe. */
void tmodules_free(tmodules_t *m);

size_t tmodules_count(const tmodules_t *m);
/* The i-th module in load order, or NULL if i >= count. */
const struct tmodule_info *tmodules_get(const tmodules_t *m, size_t i);

/* The codec for an SDP rtpmap: name compared case-insensitively, exact clock
 * rate and channel count (pass 1 when the rtpmap omits channels). NULL if no
 * loaded module provides it. */
const struct tandem_codec *tmodules_find_codec(const tmodules_t *m, const char *name,
					       unsigned clock_rate, unsigned channels);
/* The codec with static RTP payload type 'pt' (0..95), or NULL. */
const struct tandem_codec *tmodules_find_static_pt(const tmodules_t *m, int pt);

#endif
