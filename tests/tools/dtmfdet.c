/* dtmfdet - the DTMF digits in a raw audio file (s16le, 8 kHz mono, as
 * rtpprobe -o writes it), found with spandsp's dtmf_rx.
 *
 *   dtmfdet FILE
 *   Prints one line: digits=STRING (empty when none) samples=N
 * Exit status 0 when it ran, 1 usage, 2 error.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <spandsp/telephony.h>
#include <spandsp/logging.h>
#include <spandsp/super_tone_rx.h>
#include <spandsp/dtmf.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: dtmfdet FILE (s16le, 8 kHz mono)\n");
		return 1;
	}
	FILE *f = fopen(argv[1], "rb");
	if (!f) {
		perror(argv[1]);
		return 2;
	}
	dtmf_rx_state_t *rx = dtmf_rx_init(NULL, NULL, NULL);
	if (!rx) {
		fclose(f);
		return 2;
	}
	int16_t buf[800];
	size_t n, total = 0;
	char digits[256] = "";
	size_t nd = 0;

	while ((n = fread(buf, sizeof buf[0], sizeof buf / sizeof buf[0], f)) > 0) {
		dtmf_rx(rx, buf, (int)n);
		total += n;
		nd += dtmf_rx_get(rx, digits + nd, (int)(sizeof digits - 1 - nd));
	}
	int16_t quiet[800] = { 0 };
	dtmf_rx(rx, quiet, 800);
	nd += dtmf_rx_get(rx, digits + nd, (int)(sizeof digits - 1 - nd));
	digits[nd] = '\0';
	printf("digits=%s samples=%zu\n", digits, total);
	dtmf_rx_free(rx);
	fclose(f);
	return 0;
}
