/* test_sdp.h - helpers shared by the SDP test files (test_sdp.c holds
 * parse/print tests and main, test_sdp_anchor.c anchoring and local models).
 */
#ifndef TANDEM_TEST_SDP_H
#define TANDEM_TEST_SDP_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>

#include "media/sdp.h"

#define HDR "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n"

extern const char *const samples[];
#define NSAMPLES 8

/* A sample body from tests/media/sdp/NAME.sdp, with CRLF line ends (malloc'd). */
char *load_sample(const char *name, size_t *len);
void parse_ok(const char *text, struct msdp *out);
void parse_sample(const char *name, struct msdp *out);
bool has_extra(const struct msdp_stream *st, const char *prefix);
int count_substr(const char *hay, const char *needle);
bool lines_are_crlf(const char *s, size_t len);
void assert_codec(const struct msdp_stream *st, size_t i, unsigned pt, const char *name,
		  uint32_t rate, unsigned ch, const char *fmtp);

TCase *sdp_anchor_tcase(void);
TCase *sdp_local_tcase(void);

#endif
