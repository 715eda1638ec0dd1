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

/* ---- calls through the media API (test_transcode.c) ---- */
#include "media/media.h"
#include "media/rtp.h"
#include "media/sdp.h"
#include "mtest.h"

#define MAXRX 300

struct tcall {
	media_session_t *s;
	struct mt_phone a, b;
	uint16_t ga, gb;                    /* gateway ports facing A and B */
	struct msdp offer_b, answer_a;      /* what the gateway sent */
	char answer_a_txt[2048];
};

/* What a phone sends each 20 ms: fills payload, returns its length (0: none). */
typedef size_t (*gen_fn)(void *ctx, int k, uint8_t *payload, uint8_t *pt, uint32_t *ts);

struct rx {
	int n;
	struct { uint8_t buf[1500]; int len; struct rtp_hdr h; } pk[MAXRX];
};

struct g711_gen {
	bool alaw;
	uint8_t pt;
	double hz;
};

struct opus_gen {
	struct tandem_codec_state *enc;
	uint8_t pt;
	double hz;
};

/* Checked fixture: modules, a media core with them (2 workers). */
void tt_setup(void);
void tt_teardown(void);
/* A offers (fmts/attrs of its SDP); B's preference 'bprefs'. Returns the
 * offer's rc; on success c->offer_b holds what B got. */
int call_offer(struct tcall *c, const char *const *bprefs, const char *afmts, const char *aattrs);
void call_answer(struct tcall *c, const char *bfmts, const char *battrs);
void call_end(struct tcall *c);
const struct msdp_codec *offered(const struct msdp *m, const char *name, uint32_t rate);
/* Both phones send npk packets at 20 ms; everything that arrives is kept. */
void exchange(struct tcall *c, int npk, gen_fn ga, void *ca, gen_fn gb, void *cb,
	      struct rx *at_a, struct rx *at_b);
size_t gen_g711(void *ctx, int k, uint8_t *pl, uint8_t *pt, uint32_t *ts);
size_t gen_opus(void *ctx, int k, uint8_t *pl, uint8_t *pt, uint32_t *ts);
/* G.711 payloads of one PT as samples (after the first 'skip' packets). */
int g711_samples(const struct rx *rx, uint8_t pt, bool alaw, int skip, double *x, int max);

TCase *tt_units_tcase(void);
TCase *tt_dtmf_tcase(void);
TCase *tt_neg_tcase(void);
TCase *tt_ptime_tcase(void);
TCase *tt_ptime_api_tcase(void);
TCase *tt_cn_tcase(void);
TCase *tt_jb_tcase(void);
TCase *tt_dinfo_tcase(void);
/* call_offer() gives leg B dtmf_info when set; the owner's event log. */
extern bool g_b_dtmf_info;
struct mt_owner *tt_owner(void);

#endif
