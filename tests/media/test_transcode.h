/* test_transcode.h - shared by the transcoding tests: the codec modules
 * (loaded once from $builddir/modules), signal measurements. */
#ifndef TANDEM_TESTS_MEDIA_TEST_TRANSCODE_H
#define TANDEM_TESTS_MEDIA_TEST_TRANSCODE_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/modules.h"

extern tmodules_t *g_mods;      /* mod_g711 (+ mod_opus, mod_g722 when built) */
extern bool g_have_opus, g_have_g722;

/* Load / free g_mods (checked fixtures: in each test's own process). */
void tt_mods_load(void);
void tt_mods_free(void);
/* A codec of g_mods (fails the test if absent). */
const struct tandem_codec *tt_codec(const char *name, unsigned rate, unsigned ch);

/* The frequency in [lo, hi] with the most power (0.5 Hz steps). */
double tt_peak_freq(const double *x, int n, double fs, double lo, double hi);
/* RMS of x, in dB relative to a full-scale 16-bit sine. */
double tt_level_dbfs(const double *x, int n);
/* A tone of 'hz' at 'dbfs' (relative to full-scale sine), samples [off, off+n). */
void tt_tone(int16_t *out, size_t n, size_t off, double fs, double hz, double dbfs);

TCase *tt_units_tcase(void);
TCase *tt_neg_tcase(void);

#endif
