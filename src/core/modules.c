/* modules.c - see modules.h.
 *
 * Checks run in the order in which reading the descriptor becomes safe: the
 * frozen header first (major, minor, struct_size), then the build signature,
 * then everything past the header. Each refusal is one line that names the
 * file, so an admin who upgraded tandemd but not a module sees which file to
 * rebuild and why.
 */
#include "config.h"
#include "core/modules.h"

#include "core/log.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Bounds on what a descriptor may claim, so a corrupt table cannot run away. */
#define MAX_MODULES          64
#define MAX_CODECS_PER_MOD   64
#define MAX_NAME             64

struct tmod {
	void *handle;                      /* dlopen() handle */
	struct tandem_module desc;         /* copy, zero past the module's struct_size */
	struct tmodule_info info;
	char *path;
	bool inited;                       /* init() succeeded: fini() owed */
};

struct tmodules {
	size_t n;
	struct tmod mods[];
};

static void host_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void host_log(int level, const char *fmt, ...)
{
	va_list ap;
	if (level < TANDEM_LOG_ERROR)
		level = TANDEM_LOG_ERROR;
	if (level > TANDEM_LOG_DEBUG)
		level = TANDEM_LOG_DEBUG;
	va_start(ap, fmt);
	tlogv((enum tlog_level)level, fmt, ap);
	va_end(ap);
}

/* The daemon's side of the ABI; read-only, shared by every module. */
static const struct tandem_host host = {
	.struct_size = sizeof(struct tandem_host),
	.abi_major = TANDEM_MODULE_ABI_MAJOR,
	.abi_minor = TANDEM_MODULE_ABI_MINOR,
	.log = host_log,
};

static int fail(char *errbuf, size_t errlen, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *errbuf, size_t errlen, int err, const char *fmt, ...)
{
	if (errbuf && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(errbuf, errlen, fmt, ap);
		va_end(ap);
	}
	return err;
}

static bool valid_name(const char *name)
{
	size_t len = strlen(name);
	if (len == 0 || len > MAX_NAME || name[0] == '.')
		return false;
	for (const char *p = name; *p; p++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
			return false;
	}
	return true;
}

/* The frozen header and the build signature. */
static int check_header(const char *path, const struct tandem_module *d,
			char *errbuf, size_t errlen)
{
	const unsigned dmaj = TANDEM_MODULE_ABI_MAJOR, dmin = TANDEM_MODULE_ABI_MINOR;

	if (d->abi_major != dmaj)
		return fail(errbuf, errlen, -ENOEXEC,
			    "%s: module ABI %u.%u does not match tandemd's ABI %u.%u "
			    "(rebuild the module against this tandemd)",
			    path, (unsigned)d->abi_major, (unsigned)d->abi_minor, dmaj, dmin);
	if (d->abi_minor > dmin)
		return fail(errbuf, errlen, -ENOEXEC,
			    "%s: module ABI %u.%u is newer than tandemd's ABI %u.%u "
			    "(upgrade tandemd, or rebuild the module against this tandemd)",
			    path, (unsigned)d->abi_major, (unsigned)d->abi_minor, dmaj, dmin);
	if (d->struct_size < TANDEM_MODULE_SIZE_1_0)
		return fail(errbuf, errlen, -ENOEXEC,
			    "%s: module descriptor is %u bytes, ABI %u.%u needs at least %zu "
			    "(module ABI %u.%u, tandemd's ABI %u.%u; rebuild the module "
			    "against this tandemd)",
			    path, (unsigned)d->struct_size, dmaj, 0u, TANDEM_MODULE_SIZE_1_0,
			    (unsigned)d->abi_major, (unsigned)d->abi_minor, dmaj, dmin);
	if (!d->signature || strcmp(d->signature, TANDEM_MODULE_SIGNATURE))
		return fail(errbuf, errlen, -ENOEXEC,
			    "%s: module build signature \"%s\" (ABI %u.%u) does not match "
			    "tandemd's \"%s\" (ABI %u.%u) (rebuild the module with the same "
			    "compiler and target as this tandemd)",
			    path, d->signature ? d->signature : "(none)",
			    (unsigned)d->abi_major, (unsigned)d->abi_minor,
			    TANDEM_MODULE_SIGNATURE, dmaj, dmin);
	return 0;
}

static bool valid_token(const char *s)
{
	if (!s || !*s || strlen(s) > MAX_NAME)
		return false;
	for (; *s; s++)
		if (*s <= ' ' || *s == '/' || *s >= 0x7f)
			return false;
	return true;
}

static int check_codec(const char *path, size_t i, const struct tandem_codec *c,
		       char *errbuf, size_t errlen)
{
	const char *why = NULL;

	if (c->struct_size < TANDEM_CODEC_SIZE_1_0)
		why = "descriptor smaller than ABI 1.0 requires";
	else if (!valid_token(c->name))
		why = "missing or invalid encoding name";
	else if (c->clock_rate == 0 || c->sample_rate == 0)
		why = "clock_rate and sample_rate must be positive";
	else if (c->channels < 1 || c->channels > 8)
		why = "channels must be 1..8";
	else if (c->frame_ms < 1 || c->frame_ms > 120)
		why = "frame_ms must be 1..120";
	else if (c->payload_type < TANDEM_CODEC_PT_DYNAMIC || c->payload_type > 95)
		why = "payload_type must be a static RTP payload type (0..95) or -1";
	else if (c->negotiation &&
		 c->negotiation->struct_size < TANDEM_CODEC_NEGOTIATION_SIZE_1_0)
		why = "negotiation struct smaller than ABI 1.0 requires";
	else if (c->engine && c->engine->struct_size < TANDEM_CODEC_ENGINE_SIZE_1_0)
		why = "engine struct smaller than ABI 1.0 requires";
	else if (c->engine && (!c->engine->create || !c->engine->encode ||
			       !c->engine->decode || !c->engine->destroy))
		why = "engine lacks create, encode, decode or destroy";
	if (!why)
		return 0;
	return fail(errbuf, errlen, -EINVAL, "%s: codec #%zu (%s): %s", path, i,
		    valid_token(c->name) ? c->name : "?", why);
}

static bool same_codec(const struct tandem_codec *a, const struct tandem_codec *b)
{
	return !strcasecmp(a->name, b->name) && a->clock_rate == b->clock_rate &&
	       a->channels == b->channels;
}

static int dup_error(const struct tmod *mod, const struct tmod *other,
		     const struct tandem_codec *c, const struct tandem_codec *o,
		     char *errbuf, size_t errlen)
{
	if (same_codec(o, c))
		return fail(errbuf, errlen, -EEXIST,
			    "%s: codec %s/%u/%u is already provided by module %s (%s)",
			    mod->path, c->name, (unsigned)c->clock_rate,
			    (unsigned)c->channels, other->info.name, other->path);
	if (c->payload_type >= 0 && o->payload_type == c->payload_type)
		return fail(errbuf, errlen, -EEXIST,
			    "%s: codec %s claims static payload type %d, already claimed "
			    "by %s of module %s (%s)", mod->path, c->name,
			    (int)c->payload_type, o->name, other->info.name, other->path);
	return 0;
}

/* Codec number ci of module 'mod' against every codec accepted before it. */
static int check_unique(const struct tmodules *set, const struct tmod *mod, size_t ci,
			char *errbuf, size_t errlen)
{
	const struct tandem_codec *c = mod->info.codecs[ci];
	int rc;

	for (size_t m = 0; m < set->n; m++)
		for (size_t i = 0; i < set->mods[m].info.ncodecs; i++)
			if ((rc = dup_error(mod, &set->mods[m], c, set->mods[m].info.codecs[i],
					    errbuf, errlen)) < 0)
				return rc;
	for (size_t i = 0; i < ci; i++)
		if ((rc = dup_error(mod, mod, c, mod->info.codecs[i], errbuf, errlen)) < 0)
			return rc;
	return 0;
}

/* Everything past the header: identity strings, codec tables, duplicates. */
static int check_body(const struct tmodules *set, struct tmod *mod,
		      char *errbuf, size_t errlen)
{
	const struct tandem_module *d = &mod->desc;
	int rc;

	if (!valid_token(d->name) || !d->version || !*d->version)
		return fail(errbuf, errlen, -EINVAL,
			    "%s: module descriptor lacks a valid name or version", mod->path);
	for (size_t m = 0; m < set->n; m++)
		if (!strcmp(set->mods[m].info.name, d->name))
			return fail(errbuf, errlen, -EEXIST,
				    "%s: module name '%s' is already used by %s", mod->path,
				    d->name, set->mods[m].path);
	mod->info = (struct tmodule_info){
		.name = d->name,
		.version = d->version,
		.description = d->description ? d->description : "",
		.path = mod->path,
		.abi_major = d->abi_major,
		.abi_minor = d->abi_minor,
		.codecs = d->codecs,
		.cdr = d->cdr,
	};
	if (d->cdr && (d->cdr->struct_size < TANDEM_CDR_BACKEND_SIZE_1_2 ||
		       !valid_token(d->cdr->name) || !d->cdr->open || !d->cdr->write ||
		       !d->cdr->close))
		return fail(errbuf, errlen, -EINVAL,
			    "%s: call record backend lacks a name, open, write or close",
			    mod->path);
	if (d->cdr && d->cdr->struct_size >= TANDEM_CDR_BACKEND_SIZE_1_3 &&
	    d->cdr->record_size < TANDEM_CDR_RECORD_SIZE_1_2)
		return fail(errbuf, errlen, -EINVAL,
			    "%s: call record backend's record_size %u is below ABI 1.2's %zu "
			    "(set it to sizeof(struct tandem_cdr_record))", mod->path,
			    (unsigned)d->cdr->record_size, TANDEM_CDR_RECORD_SIZE_1_2);
	for (size_t i = 0; d->codecs && d->codecs[i]; i++) {
		if (i == MAX_CODECS_PER_MOD)
			return fail(errbuf, errlen, -EINVAL,
				    "%s: more than %d codecs (list not NULL-terminated?)",
				    mod->path, MAX_CODECS_PER_MOD);
		if ((rc = check_codec(mod->path, i, d->codecs[i], errbuf, errlen)) < 0)
			return rc;
		if ((rc = check_unique(set, mod, i, errbuf, errlen)) < 0)
			return rc;
		mod->info.ncodecs = i + 1;
	}
	return 0;
}

static int open_module(struct tmod *mod, char *errbuf, size_t errlen)
{
	const struct tandem_module *sym;
	int rc;

	if (access(mod->path, F_OK) < 0)
		return fail(errbuf, errlen, -ENOENT, "%s: no such module file", mod->path);
	dlerror();
	mod->handle = dlopen(mod->path, RTLD_NOW | RTLD_LOCAL);
	if (!mod->handle) {
		const char *e = dlerror();
		return fail(errbuf, errlen, -ENOEXEC, "%s: cannot load module: %s",
			    mod->path, e ? e : "unknown dlopen error");
	}
	sym = dlsym(mod->handle, TANDEM_MODULE_SYMBOL_NAME);
	if (!sym)
		return fail(errbuf, errlen, -ENOEXEC,
			    "%s: no '%s' symbol: not a Tandem module (tandemd's ABI %u.%u)",
			    mod->path, TANDEM_MODULE_SYMBOL_NAME,
			    (unsigned)TANDEM_MODULE_ABI_MAJOR, (unsigned)TANDEM_MODULE_ABI_MINOR);
	/* The header is read in place; it is the same in every ABI version. */
	if ((rc = check_header(mod->path, sym, errbuf, errlen)) < 0)
		return rc;
	/* An older minor's descriptor is shorter: fields it lacks read as zero. */
	memcpy(&mod->desc, sym, sym->struct_size < sizeof mod->desc ?
	       sym->struct_size : sizeof mod->desc);
	return 0;
}

static int init_module(struct tmod *mod, char *errbuf, size_t errlen)
{
	if (!mod->desc.init) {
		mod->inited = true;
		return 0;
	}
	int rc = mod->desc.init(&host);
	if (rc != 0) {
		if (rc > 0)
			rc = -EIO;
		return fail(errbuf, errlen, rc, "%s: module %s init failed: %s",
			    mod->path, mod->desc.name, strerror(-rc));
	}
	mod->inited = true;
	return 0;
}

static void close_module(struct tmod *mod)
{
	if (mod->inited && mod->desc.fini)
		mod->desc.fini();
	if (mod->handle)
		dlclose(mod->handle);
	free(mod->path);
	memset(mod, 0, sizeof *mod);
}

static int make_path(const char *dir, const char *name, char **out)
{
	size_t dl = strlen(dir);
	const char *sep = (dl > 0 && dir[dl - 1] == '/') ? "" : "/";
	if (dl == 0)
		dir = ".";
	size_t len = strlen(dir) + strlen(sep) + strlen(name) + sizeof ".so";
	*out = malloc(len);
	if (!*out)
		return -ENOMEM;
	snprintf(*out, len, "%s%s%s.so", dir, sep, name);
	return 0;
}

/* Load names[i] as set->mods[set->n]; on success set->n grows by one. */
static int load_one(struct tmodules *set, const char *dir, const char *name,
		    const char *const *names, size_t idx, char *errbuf, size_t errlen)
{
	struct tmod *mod = &set->mods[set->n];
	int rc;

	if (!valid_name(name))
		return fail(errbuf, errlen, -EINVAL,
			    "invalid module name '%s' (expected e.g. mod_g711)", name);
	for (size_t j = 0; j < idx; j++)
		if (!strcmp(names[j], name))
			return fail(errbuf, errlen, -EEXIST, "module '%s' is listed twice",
				    name);
	if ((rc = make_path(dir, name, &mod->path)) < 0)
		return fail(errbuf, errlen, rc, "out of memory loading '%s'", name);
	if ((rc = open_module(mod, errbuf, errlen)) < 0 ||
	    (rc = check_body(set, mod, errbuf, errlen)) < 0 ||
	    (rc = init_module(mod, errbuf, errlen)) < 0) {
		close_module(mod);
		return rc;
	}
	set->n++;
	return 0;
}

static void log_loaded(const struct tmod *mod)
{
	char codecs[256] = "";
	size_t off = 0;
	for (size_t i = 0; i < mod->info.ncodecs && off < sizeof codecs; i++) {
		const struct tandem_codec *c = mod->info.codecs[i];
		int n = snprintf(codecs + off, sizeof codecs - off, " %s/%u%s", c->name,
				 (unsigned)c->clock_rate, c->engine ? "" : "(relay-only)");
		if (n < 0)
			break;
		off += (size_t)n;
	}
	LOG_INFO("module %s %s (ABI %u.%u) loaded from %s; codecs:%s%s%s",
		 mod->info.name, mod->info.version, mod->info.abi_major,
		 mod->info.abi_minor, mod->path, mod->info.ncodecs ? codecs : " none",
		 mod->info.cdr ? "; call records: " : "", mod->info.cdr ? mod->info.cdr->name : "");
}

int tmodules_load(const char *dir, const char *const *names, tmodules_t **out,
		  char *errbuf, size_t errlen)
{
	struct tmodules *set = NULL;
	size_t count = 0;
	int rc = 0;

	*out = NULL;
	if (errbuf && errlen)
		errbuf[0] = '\0';
	while (names && names[count])
		count++;
	if (count > MAX_MODULES)
		return fail(errbuf, errlen, -EINVAL, "too many modules (%zu, at most %d)",
			    count, MAX_MODULES);
	set = calloc(1, sizeof *set + count * sizeof set->mods[0]);
	if (!set)
		return fail(errbuf, errlen, -ENOMEM, "out of memory loading modules");
	for (size_t i = 0; i < count; i++)
		if ((rc = load_one(set, dir ? dir : ".", names[i], names, i,
				   errbuf, errlen)) < 0)
			goto out;
	for (size_t i = 0; i < set->n; i++)
		log_loaded(&set->mods[i]);
	*out = set;
	set = NULL;
out:
	tmodules_free(set);
	return rc;
}

void tmodules_free(tmodules_t *m)
{
	if (!m)
		return;
	for (size_t i = m->n; i-- > 0;)
		close_module(&m->mods[i]);
	free(m);
}

size_t tmodules_count(const tmodules_t *m)
{
	return m ? m->n : 0;
}

const struct tmodule_info *tmodules_get(const tmodules_t *m, size_t i)
{
	return m && i < m->n ? &m->mods[i].info : NULL;
}

const struct tandem_codec *tmodules_find_codec(const tmodules_t *m, const char *name,
					       unsigned clock_rate, unsigned channels)
{
	if (!m || !name)
		return NULL;
	for (size_t i = 0; i < m->n; i++)
		for (size_t j = 0; j < m->mods[i].info.ncodecs; j++) {
			const struct tandem_codec *c = m->mods[i].info.codecs[j];
			if (!strcasecmp(c->name, name) && c->clock_rate == clock_rate &&
			    c->channels == channels)
				return c;
		}
	return NULL;
}

const struct tandem_codec *tmodules_find_static_pt(const tmodules_t *m, int pt)
{
	if (!m || pt < 0 || pt > 95)
		return NULL;
	for (size_t i = 0; i < m->n; i++)
		for (size_t j = 0; j < m->mods[i].info.ncodecs; j++)
			if (m->mods[i].info.codecs[j]->payload_type == pt)
				return m->mods[i].info.codecs[j];
	return NULL;
}
