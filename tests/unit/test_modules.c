/* test_modules.c - module loader (src/core/modules.c) and mod_g711.
 *
 * Loads the real modules/mod_g711.so and the broken test modules built from
 * tests/unit/mod_badabi.c. They live in two build directories, so main()
 * gathers symlinks to all of them in one temporary directory first.
 * Finds the build tree from $builddir, else from this binary's own path
 * (BUILD/tests/unit/test_modules).
 */
#include "config.h"

#include "core/log.h"
#include "core/modules.h"

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <spandsp/telephony.h>
#include <spandsp/bit_operations.h>
#include <spandsp/g711.h>

static char g_dir[PATH_MAX];            /* temp dir with every module linked in */

static const char *const test_mods[] = {
	"mod_badabi", "mod_badminor", "mod_badsize", "mod_badsig", "mod_nosym",
	"mod_initfail", "mod_dupcodec",
};

/* --- helpers ----------------------------------------------------------- */

static tmodules_t *load_ok(const char *const *names)
{
	char err[512];
	tmodules_t *m = NULL;
	int rc = tmodules_load(g_dir, names, &m, err, sizeof err);
	ck_assert_msg(rc == 0, "load failed (%d): %s", rc, err);
	ck_assert_ptr_nonnull(m);
	return m;
}

/* Load 'names', expect failure 'want_rc'; returns the message (static). */
static const char *load_fail(const char *const *names, int want_rc)
{
	static char err[1024];
	tmodules_t *m = (tmodules_t *)&m;       /* must be overwritten with NULL */
	int rc = tmodules_load(g_dir, names, &m, err, sizeof err);
	ck_assert_msg(rc == want_rc, "rc %d, want %d: %s", rc, want_rc, err);
	ck_assert_ptr_null(m);
	return err;
}

static void assert_has(const char *text, const char *part)
{
	ck_assert_msg(strstr(text, part) != NULL, "\"%s\" not in \"%s\"", part, text);
}

static void mod_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s.so", g_dir, name);
}

/* Route the daemon log to a file for this test; returns its path (static). */
static const char *log_to_file(const char *tag)
{
	static char path[PATH_MAX + 32];
	snprintf(path, sizeof path, "%s/log-%s", g_dir, tag);
	unlink(path);
	ck_assert_int_eq(tlog_set_file(path), 0);
	return path;
}

static char *slurp(const char *path)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static const struct tandem_codec *find(const tmodules_t *m, const char *name)
{
	const struct tandem_codec *c = tmodules_find_codec(m, name, 8000, 1);
	ck_assert_msg(c != NULL, "codec %s not found", name);
	ck_assert_ptr_nonnull(c->engine);
	return c;
}

static struct tandem_codec_state *make(const struct tandem_codec *c, unsigned dir)
{
	struct tandem_codec_state *st = NULL;
	ck_assert_int_eq(c->engine->create(c, NULL, 8000, dir, &st), 0);
	ck_assert_ptr_nonnull(st);
	return st;
}

static void sine(int16_t *pcm, size_t n, double hz, double amp, size_t phase0)
{
	for (size_t i = 0; i < n; i++)
		pcm[i] = (int16_t)lrint(amp * sin(2 * M_PI * hz * (double)(i + phase0) / 8000.0));
}

/* Goertzel power of 'hz' in pcm[n] at 8 kHz. */
static double tone_power(const int16_t *pcm, size_t n, double hz)
{
	double k = 2 * cos(2 * M_PI * hz / 8000.0), s1 = 0, s2 = 0;
	for (size_t i = 0; i < n; i++) {
		double s0 = pcm[i] + k * s1 - s2;
		s2 = s1;
		s1 = s0;
	}
	return s1 * s1 + s2 * s2 - k * s1 * s2;
}

static double rms(const int16_t *pcm, size_t n)
{
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += (double)pcm[i] * pcm[i];
	return sqrt(sum / (double)n);
}

/* --- mod_g711 ---------------------------------------------------------- */

START_TEST(test_g711_loads_and_logs)
{
	const char *log = log_to_file("loads");
	const char *names[] = { "mod_g711", NULL };
	char want[PATH_MAX + 256];
	tmodules_t *m = load_ok(names);

	ck_assert_uint_eq(tmodules_count(m), 1);
	const struct tmodule_info *mi = tmodules_get(m, 0);
	ck_assert_ptr_nonnull(mi);
	ck_assert_ptr_null(tmodules_get(m, 1));
	ck_assert_str_eq(mi->name, "g711");
	ck_assert_str_eq(mi->version, "1.0.0");
	mod_path(want, sizeof want, "mod_g711");
	ck_assert_str_eq(mi->path, want);
	ck_assert_uint_eq(mi->abi_major, TANDEM_MODULE_ABI_MAJOR);
	ck_assert_uint_eq(mi->abi_minor, TANDEM_MODULE_ABI_MINOR);
	ck_assert_uint_eq(mi->ncodecs, 2);
	ck_assert_str_eq(mi->codecs[0]->name, "PCMU");
	ck_assert_str_eq(mi->codecs[1]->name, "PCMA");
	tmodules_free(m);
	tlog_set_file(NULL);

	snprintf(want, sizeof want, "module g711 1.0.0 (ABI %d.%d) loaded from %s/mod_g711.so; "
		 "codecs: PCMU/8000 PCMA/8000", TANDEM_MODULE_ABI_MAJOR,
		 TANDEM_MODULE_ABI_MINOR, g_dir);
	assert_has(slurp(log), want);
}
END_TEST

START_TEST(test_find_codecs)
{
	const char *names[] = { "mod_g711", NULL };
	tmodules_t *m = load_ok(names);

	const struct tandem_codec *u = tmodules_find_codec(m, "pcmu", 8000, 1);
	const struct tandem_codec *a = tmodules_find_codec(m, "PcMa", 8000, 1);
	ck_assert_ptr_nonnull(u);
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(u->name, "PCMU");
	ck_assert_int_eq(u->payload_type, 0);
	ck_assert_int_eq(a->payload_type, 8);
	ck_assert_uint_eq(u->clock_rate, 8000);
	ck_assert_uint_eq(u->sample_rate, 8000);
	ck_assert_uint_eq(u->frame_ms, 20);
	ck_assert_ptr_null(u->negotiation);
	ck_assert_ptr_nonnull(u->engine->plc);
	ck_assert_ptr_null(tmodules_find_codec(m, "PCMU", 16000, 1));
	ck_assert_ptr_null(tmodules_find_codec(m, "PCMU", 8000, 2));
	ck_assert_ptr_null(tmodules_find_codec(m, "G722", 8000, 1));
	ck_assert_ptr_null(tmodules_find_codec(m, "PCM", 8000, 1));
	ck_assert_ptr_eq(tmodules_find_static_pt(m, 0), u);
	ck_assert_ptr_eq(tmodules_find_static_pt(m, 8), a);
	ck_assert_ptr_null(tmodules_find_static_pt(m, 9));
	ck_assert_ptr_null(tmodules_find_static_pt(m, -1));
	tmodules_free(m);

	/* No set at all: pass-through only, nothing found. */
	ck_assert_uint_eq(tmodules_count(NULL), 0);
	ck_assert_ptr_null(tmodules_get(NULL, 0));
	ck_assert_ptr_null(tmodules_find_codec(NULL, "PCMU", 8000, 1));
	ck_assert_ptr_null(tmodules_find_static_pt(NULL, 0));
}
END_TEST

/* Our tables against spandsp's independent G.711, for every input. */
START_TEST(test_g711_tables)
{
	const char *names[] = { "mod_g711", NULL };
	tmodules_t *m = load_ok(names);
	const struct tandem_codec *u = find(m, "PCMU"), *a = find(m, "PCMA");
	struct tandem_codec_state *ue = make(u, TANDEM_CODEC_BOTH);
	struct tandem_codec_state *ae = make(a, TANDEM_CODEC_BOTH);
	static int16_t pcm[65536], back[65536];
	static uint8_t ucode[65536], acode[65536];
	uint8_t all[256];

	for (int i = 0; i < 65536; i++)
		pcm[i] = (int16_t)(i - 32768);
	ck_assert_int_eq(u->engine->encode(ue, pcm, 65536, ucode, sizeof ucode), 65536);
	ck_assert_int_eq(a->engine->encode(ae, pcm, 65536, acode, sizeof acode), 65536);
	for (int i = 0; i < 65536; i++) {
		ck_assert_msg(ucode[i] == linear_to_ulaw(pcm[i]), "ulaw(%d) = 0x%02x, want 0x%02x",
			      pcm[i], ucode[i], linear_to_ulaw(pcm[i]));
		ck_assert_msg(acode[i] == linear_to_alaw(pcm[i]), "alaw(%d) = 0x%02x, want 0x%02x",
			      pcm[i], acode[i], linear_to_alaw(pcm[i]));
	}
	/* Known values from G.711 itself. */
	ck_assert_uint_eq(ucode[32768 + 0], 0xFF);
	ck_assert_uint_eq(ucode[32768 + 32767], 0x80);
	ck_assert_uint_eq(ucode[0], 0x00);
	ck_assert_uint_eq(acode[32768 + 0], 0xD5);
	ck_assert_uint_eq(acode[32768 - 1], 0x55);
	ck_assert_uint_eq(acode[32768 + 32767], 0xAA);
	ck_assert_uint_eq(acode[0], 0x2A);

	for (int c = 0; c < 256; c++)
		all[c] = (uint8_t)c;
	ck_assert_int_eq(u->engine->decode(ue, all, 256, back, 256), 256);
	for (int c = 0; c < 256; c++)
		ck_assert_int_eq(back[c], ulaw_to_linear((uint8_t)c));
	ck_assert_int_eq(back[0xFF], 0);
	ck_assert_int_eq(back[0x80], 32124);
	ck_assert_int_eq(back[0x00], -32124);
	ck_assert_int_eq(a->engine->decode(ae, all, 256, back, 256), 256);
	for (int c = 0; c < 256; c++)
		ck_assert_int_eq(back[c], alaw_to_linear((uint8_t)c));
	ck_assert_int_eq(back[0xD5], 8);
	ck_assert_int_eq(back[0xAA], 32256);
	ck_assert_int_eq(back[0x2A], -32256);

	u->engine->destroy(ue);
	a->engine->destroy(ae);
	tmodules_free(m);
}
END_TEST

/* 1 s of a 1 kHz tone, 20 ms frames, through encode and decode. */
static double roundtrip_snr(const struct tandem_codec *c, double amp)
{
	struct tandem_codec_state *enc = make(c, TANDEM_CODEC_ENCODE);
	struct tandem_codec_state *dec = make(c, TANDEM_CODEC_DECODE);
	int16_t in[160], out[TANDEM_CODEC_MAX_SAMPLES];
	uint8_t pay[TANDEM_CODEC_MAX_PAYLOAD];
	double sig = 0, noise = 0;

	for (size_t f = 0; f < 50; f++) {
		sine(in, 160, 1000, amp, f * 160);
		ck_assert_int_eq(c->engine->encode(enc, in, 160, pay, sizeof pay), 160);
		ck_assert_int_eq(c->engine->decode(dec, pay, 160, out, TANDEM_CODEC_MAX_SAMPLES), 160);
		for (size_t i = 0; i < 160; i++) {
			double d = (double)in[i] - out[i];
			sig += (double)in[i] * in[i];
			noise += d * d;
		}
	}
	c->engine->destroy(enc);
	c->engine->destroy(dec);
	return 10 * log10(sig / noise);
}

START_TEST(test_g711_roundtrip_snr)
{
	const char *names[] = { "mod_g711", NULL };
	tmodules_t *m = load_ok(names);
	const char *law[] = { "PCMU", "PCMA" };

	for (int i = 0; i < 2; i++) {
		const struct tandem_codec *c = find(m, law[i]);
		double loud = roundtrip_snr(c, 16000), quiet = roundtrip_snr(c, 1000);
		ck_assert_msg(loud > 30, "%s SNR at -6 dBFS: %.1f dB", law[i], loud);
		ck_assert_msg(quiet > 30, "%s SNR at -30 dBFS: %.1f dB", law[i], quiet);
	}
	tmodules_free(m);
}
END_TEST

START_TEST(test_g711_plc)
{
	const char *names[] = { "mod_g711", NULL };
	tmodules_t *m = load_ok(names);
	const struct tandem_codec *c = find(m, "PCMA");
	struct tandem_codec_state *enc = make(c, TANDEM_CODEC_ENCODE);
	struct tandem_codec_state *dec = make(c, TANDEM_CODEC_DECODE);
	int16_t in[160], out[160];
	uint8_t pay[160];
	double rms_in = 0;

	for (size_t f = 0; f < 10; f++) {
		sine(in, 160, 1000, 8000, f * 160);
		ck_assert_int_eq(c->engine->encode(enc, in, 160, pay, sizeof pay), 160);
		ck_assert_int_eq(c->engine->decode(dec, pay, 160, out, 160), 160);
		rms_in = rms(out, 160);
	}
	/* The first lost frame continues the tone. */
	memset(out, 0, sizeof out);
	ck_assert_int_eq(c->engine->plc(dec, out, 160), 160);
	double r = rms(out, 160);
	ck_assert_msg(r > 0.5 * rms_in, "PLC frame rms %.0f vs %.0f before the loss", r, rms_in);
	double p1k = tone_power(out, 160, 1000);
	ck_assert_msg(p1k > 20 * tone_power(out, 160, 600) && p1k > 20 * tone_power(out, 160, 2000),
		      "PLC frame is not the 1 kHz tone");
	/* A long loss fades to silence instead of buzzing on. */
	for (int f = 0; f < 5; f++)
		ck_assert_int_eq(c->engine->plc(dec, out, 160), 160);
	ck_assert_msg(rms(out, 160) < 1.0, "PLC still loud after 120 ms: rms %.1f", rms(out, 160));
	/* Encode-only states have no concealer. */
	ck_assert_int_eq(c->engine->plc(enc, out, 160), -EINVAL);

	c->engine->destroy(enc);
	c->engine->destroy(dec);
	tmodules_free(m);
}
END_TEST

START_TEST(test_g711_engine_errors)
{
	const char *names[] = { "mod_g711", NULL };
	tmodules_t *m = load_ok(names);
	const struct tandem_codec *c = find(m, "PCMU");
	const struct tandem_codec_engine *e = c->engine;
	struct tandem_codec_state *st = (struct tandem_codec_state *)&st;
	int16_t pcm[160] = { 0 };
	uint8_t pay[160] = { 0 };

	ck_assert_int_eq(e->create(c, NULL, 16000, TANDEM_CODEC_BOTH, &st), -ENOTSUP);
	ck_assert_int_eq(e->create(c, NULL, 8000, 0, &st), -EINVAL);
	ck_assert_int_eq(e->create(c, NULL, 8000, 4, &st), -EINVAL);
	ck_assert_ptr_eq(st, (struct tandem_codec_state *)&st);      /* untouched */

	struct tandem_codec_state *enc = make(c, TANDEM_CODEC_ENCODE);
	struct tandem_codec_state *dec = make(c, TANDEM_CODEC_DECODE);
	ck_assert_int_eq(e->encode(enc, pcm, 160, pay, 159), -ENOBUFS);
	ck_assert_int_eq(e->decode(dec, pay, 160, pcm, 80), -ENOBUFS);
	ck_assert_int_eq(e->decode(enc, pay, 160, pcm, 160), -EINVAL);
	ck_assert_int_eq(e->encode(dec, pcm, 160, pay, 160), -EINVAL);
	ck_assert_int_eq(e->decode(dec, pay, 0, pcm, 160), 0);
	e->destroy(enc);
	e->destroy(dec);
	e->destroy(NULL);
	tmodules_free(m);
}
END_TEST

/* --- refusals ---------------------------------------------------------- */

START_TEST(test_missing_module)
{
	const char *names[] = { "mod_nope", NULL };
	char path[PATH_MAX + 16];
	const char *err = load_fail(names, -ENOENT);
	mod_path(path, sizeof path, "mod_nope");
	assert_has(err, path);
	assert_has(err, "no such module file");
}
END_TEST

START_TEST(test_bad_major)
{
	const char *names[] = { "mod_badabi", NULL };
	char want[PATH_MAX + 256];
	const char *err = load_fail(names, -ENOEXEC);
	snprintf(want, sizeof want, "%s/mod_badabi.so: module ABI %d.0 does not match tandemd's "
		 "ABI %d.%d (rebuild the module against this tandemd)", g_dir,
		 TANDEM_MODULE_ABI_MAJOR + 1, TANDEM_MODULE_ABI_MAJOR, TANDEM_MODULE_ABI_MINOR);
	ck_assert_str_eq(err, want);
}
END_TEST

START_TEST(test_newer_minor)
{
	const char *names[] = { "mod_badminor", NULL };
	char want[PATH_MAX + 256];
	const char *err = load_fail(names, -ENOEXEC);
	snprintf(want, sizeof want, "%s/mod_badminor.so: module ABI %d.%d is newer than tandemd's "
		 "ABI %d.%d", g_dir, TANDEM_MODULE_ABI_MAJOR, TANDEM_MODULE_ABI_MINOR + 1,
		 TANDEM_MODULE_ABI_MAJOR, TANDEM_MODULE_ABI_MINOR);
	assert_has(err, want);
}
END_TEST

START_TEST(test_bad_struct_size)
{
	const char *names[] = { "mod_badsize", NULL };
	char path[PATH_MAX + 16], v[64];
	const char *err = load_fail(names, -ENOEXEC);
	mod_path(path, sizeof path, "mod_badsize");
	ck_assert_msg(strncmp(err, path, strlen(path)) == 0, "no path first: %s", err);
	snprintf(v, sizeof v, "descriptor is %zu bytes",
		 offsetof(struct tandem_module, codecs));
	assert_has(err, v);
	snprintf(v, sizeof v, "module ABI %d.%d, tandemd's ABI %d.%d", TANDEM_MODULE_ABI_MAJOR,
		 TANDEM_MODULE_ABI_MINOR, TANDEM_MODULE_ABI_MAJOR, TANDEM_MODULE_ABI_MINOR);
	assert_has(err, v);
}
END_TEST

START_TEST(test_bad_signature)
{
	const char *names[] = { "mod_badsig", NULL };
	char want[PATH_MAX + 512];
	const char *err = load_fail(names, -ENOEXEC);
	snprintf(want, sizeof want, "%s/mod_badsig.so: module build signature "
		 "\"tandem-1 sparc64 be ptr8 long8 int4 wchar4\" (ABI %d.%d) does not match "
		 "tandemd's \"%s\" (ABI %d.%d)", g_dir, TANDEM_MODULE_ABI_MAJOR,
		 TANDEM_MODULE_ABI_MINOR, TANDEM_MODULE_SIGNATURE, TANDEM_MODULE_ABI_MAJOR,
		 TANDEM_MODULE_ABI_MINOR);
	assert_has(err, want);
}
END_TEST

START_TEST(test_no_symbol)
{
	const char *names[] = { "mod_nosym", NULL };
	char path[PATH_MAX + 16], v[64];
	const char *err = load_fail(names, -ENOEXEC);
	mod_path(path, sizeof path, "mod_nosym");
	assert_has(err, path);
	assert_has(err, "no 'tandem_module_descriptor' symbol");
	snprintf(v, sizeof v, "tandemd's ABI %d.%d", TANDEM_MODULE_ABI_MAJOR,
		 TANDEM_MODULE_ABI_MINOR);
	assert_has(err, v);
}
END_TEST

START_TEST(test_duplicate_codec)
{
	const char *names[] = { "mod_g711", "mod_dupcodec", NULL };
	char path[PATH_MAX + 16];
	const char *err = load_fail(names, -EEXIST);
	mod_path(path, sizeof path, "mod_dupcodec");
	assert_has(err, path);
	assert_has(err, "codec pcmu/8000/1 is already provided by module g711");
	mod_path(path, sizeof path, "mod_g711");
	assert_has(err, path);
}
END_TEST

/* A failed load finalizes what it had already initialized, and only that. */
START_TEST(test_rollback_runs_fini)
{
	const char *log = log_to_file("rollback");
	const char *names[] = { "mod_dupcodec", "mod_initfail", NULL };
	char path[PATH_MAX + 16], v[64];
	const char *err = load_fail(names, -ENODEV);
	tlog_set_file(NULL);

	mod_path(path, sizeof path, "mod_initfail");
	assert_has(err, path);
	assert_has(err, "init failed");
	const char *text = slurp(log);
	snprintf(v, sizeof v, "dupcodec: init (host ABI %d.%d, %zu bytes)",
		 TANDEM_MODULE_ABI_MAJOR, TANDEM_MODULE_ABI_MINOR, sizeof(struct tandem_host));
	assert_has(text, v);
	assert_has(text, "initfail: init refuses");
	assert_has(text, "dupcodec: fini");
	ck_assert_msg(strstr(text, "loaded from") == NULL, "logged a load that was rolled back");
}
END_TEST

START_TEST(test_relay_only_codec)
{
	const char *names[] = { "mod_dupcodec", NULL };
	tmodules_t *m = load_ok(names);
	const struct tandem_codec *c = tmodules_find_codec(m, "PCMU", 8000, 1);
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_null(c->engine);
	ck_assert_str_eq(tmodules_get(m, 0)->description, "relay-only pcmu, for tests");
	tmodules_free(m);
}
END_TEST

START_TEST(test_bad_names_and_empty)
{
	const char *traversal[] = { "../mod_g711", NULL };
	const char *twice[] = { "mod_g711", "mod_g711", NULL };
	const char *hidden[] = { ".mod", NULL };
	const char *none[] = { NULL };

	assert_has(load_fail(traversal, -EINVAL), "invalid module name '../mod_g711'");
	assert_has(load_fail(hidden, -EINVAL), "invalid module name");
	assert_has(load_fail(twice, -EEXIST), "module 'mod_g711' is listed twice");

	tmodules_t *m = load_ok(none);
	ck_assert_uint_eq(tmodules_count(m), 0);
	ck_assert_ptr_null(tmodules_find_codec(m, "PCMU", 8000, 1));
	tmodules_free(m);
	m = load_ok(NULL);
	ck_assert_uint_eq(tmodules_count(m), 0);
	tmodules_free(m);
}
END_TEST

/* --- setup ------------------------------------------------------------- */

static void build_root(char *out, size_t len)
{
	const char *env = getenv("builddir");
	if (env && *env) {
		snprintf(out, len, "%s", env);
		return;
	}
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0) {
		snprintf(out, len, ".");
		return;
	}
	exe[n] = '\0';
	for (int up = 0; up < 3; up++) {        /* strip test_modules, unit, tests */
		char *slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
	}
	snprintf(out, len, "%s", exe[0] ? exe : "/");
}

static int link_module(const char *root, const char *subdir, const char *name)
{
	char src[PATH_MAX * 2], abs[PATH_MAX], dst[PATH_MAX * 2];
	snprintf(src, sizeof src, "%s/%s/%s.so", root, subdir, name);
	if (!realpath(src, abs)) {
		fprintf(stderr, "test_modules: %s: %s (build with 'make check')\n", src,
			strerror(errno));
		return -1;
	}
	snprintf(dst, sizeof dst, "%s/%s.so", g_dir, name);
	return symlink(abs, dst);
}

static void cleanup_dir(void)
{
	char p[PATH_MAX * 2];
	snprintf(p, sizeof p, "rm -rf '%s'", g_dir);
	if (g_dir[0] && system(p) != 0)
		fprintf(stderr, "test_modules: could not remove %s\n", g_dir);
}

static Suite *suite(void)
{
	Suite *s = suite_create("modules");
	TCase *tc = tcase_create("g711");
	tcase_add_test(tc, test_g711_loads_and_logs);
	tcase_add_test(tc, test_find_codecs);
	tcase_add_test(tc, test_g711_tables);
	tcase_add_test(tc, test_g711_roundtrip_snr);
	tcase_add_test(tc, test_g711_plc);
	tcase_add_test(tc, test_g711_engine_errors);
	suite_add_tcase(s, tc);
	tc = tcase_create("refusals");
	tcase_add_test(tc, test_missing_module);
	tcase_add_test(tc, test_bad_major);
	tcase_add_test(tc, test_newer_minor);
	tcase_add_test(tc, test_bad_struct_size);
	tcase_add_test(tc, test_bad_signature);
	tcase_add_test(tc, test_no_symbol);
	tcase_add_test(tc, test_duplicate_codec);
	tcase_add_test(tc, test_rollback_runs_fini);
	tcase_add_test(tc, test_relay_only_codec);
	tcase_add_test(tc, test_bad_names_and_empty);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	char root[PATH_MAX];
	const char *tmp = getenv("TMPDIR");
	int failed = 1;

	tlog_open("test_modules", true);
	build_root(root, sizeof root);
	snprintf(g_dir, sizeof g_dir, "%s/tandem-modtest-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(g_dir)) {
		perror("mkdtemp");
		return 1;
	}
	if (link_module(root, "modules", "mod_g711") < 0)
		goto out;
	for (size_t i = 0; i < sizeof test_mods / sizeof test_mods[0]; i++)
		if (link_module(root, "tests/unit", test_mods[i]) < 0)
			goto out;

	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
out:
	cleanup_dir();
	return failed ? 1 : 0;
}
