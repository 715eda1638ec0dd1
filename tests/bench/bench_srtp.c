/* bench_srtp - what SRTP costs per packet in the libsrtp2 tandemd links, as
 * the number of live SRTP sessions grows.
 *
 *   bench_srtp [-n N1,N2,...] [-p PACKETS]
 *
 * For each session count N (default 1,1000,4000) and each of the two
 * suites tandemd negotiates (AES_CM_128_HMAC_SHA1_80, AEAD_AES_128_GCM):
 * N sender sessions and N receiver sessions are created with random keys
 * (one SSRC each, as one call leg has), then PACKETS packets (default
 * 200,000) of 172 bytes (12-byte RTP header + 160 bytes of G.711) are
 * protected and unprotected, walking the sessions round-robin, as a media
 * worker serving N calls does. Prints microseconds per protect and per
 * unprotect (CPU time of this thread), the crypto backend configure found,
 * and "RESULT passed=1 failed=0" when every packet authenticated.
 *
 * Debian 12's libsrtp2 is built on NSS, whose cost grows with the number of
 * live sessions; contrib/srtp-openssl.sh rebuilds it on OpenSSL (flat).
 * Figures: doc/webrtc.md.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>
#include <srtp2/srtp.h>

#define PKT_LEN 172
#define MAX_COUNTS 8

struct suite {
	const char *name;
	void (*rtp)(srtp_crypto_policy_t *);
	int key_len; /* master key + salt */
};

static void set_cm80(srtp_crypto_policy_t *p) { srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(p); }
static void set_gcm(srtp_crypto_policy_t *p) { srtp_crypto_policy_set_aes_gcm_128_16_auth(p); }

static const struct suite suites[] = {
	{ "AES_CM_128_HMAC_SHA1_80", set_cm80, 30 },
	{ "AEAD_AES_128_GCM", set_gcm, 28 },
};

static double cpu_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void fail(const char *what, int err)
{
	fprintf(stderr, "bench_srtp: %s: libsrtp2 error %d\n", what, err);
	printf("RESULT passed=0 failed=1\n");
	exit(1);
}

/* Sender and receiver contexts for n legs, each with its own key and SSRC. */
static void make_sessions(const struct suite *s, int n, srtp_t *tx, srtp_t *rx)
{
	for (int i = 0; i < n; i++) {
		unsigned char key[64];
		srtp_policy_t pol;
		memset(&pol, 0, sizeof(pol));
		if (RAND_bytes(key, s->key_len) != 1)
			fail("RAND_bytes", -1);
		s->rtp(&pol.rtp);
		s->rtp(&pol.rtcp);
		pol.key = key;
		pol.ssrc.type = ssrc_specific;
		pol.ssrc.value = 0x10000u + (uint32_t)i;
		pol.window_size = 128;
		int err = srtp_create(&tx[i], &pol);
		if (err == srtp_err_status_ok)
			err = srtp_create(&rx[i], &pol);
		if (err != srtp_err_status_ok)
			fail("srtp_create", err);
	}
}

static void rtp_packet(uint8_t *p, uint32_t ssrc, uint16_t seq)
{
	memset(p, 0xd5, PKT_LEN); /* PCMU silence */
	p[0] = 0x80; p[1] = 0;
	p[2] = seq >> 8; p[3] = seq & 0xff;
	uint32_t ts = seq * 160u;
	p[4] = ts >> 24; p[5] = ts >> 16; p[6] = ts >> 8; p[7] = ts;
	p[8] = ssrc >> 24; p[9] = ssrc >> 16; p[10] = ssrc >> 8; p[11] = ssrc;
}

/* Returns 0 when every packet authenticated; prints one table row. */
static int run(const struct suite *s, int n, long packets)
{
	srtp_t *tx = calloc((size_t)n, sizeof(*tx));
	srtp_t *rx = calloc((size_t)n, sizeof(*rx));
	uint8_t (*pkts)[PKT_LEN + SRTP_MAX_TRAILER_LEN] = malloc(64 * sizeof(*pkts));
	uint16_t *seqs = calloc((size_t)n, sizeof(*seqs));
	int lens[64];
	if (!tx || !rx || !pkts || !seqs)
		fail("out of memory", -ENOMEM);
	make_sessions(s, n, tx, rx);
	double t_prot = 0, t_unprot = 0;
	long bad = 0, done = 0;
	int sess = 0;
	/* Batches of 64 so protect and unprotect are timed apart. */
	while (done < packets) {
		int batch = 64, first = sess;
		double t0 = cpu_us();
		for (int k = 0; k < batch; k++) {
			int i = (first + k) % n;
			rtp_packet(pkts[k], 0x10000u + (uint32_t)i, ++seqs[i]);
			lens[k] = PKT_LEN;
			if (srtp_protect(tx[i], pkts[k], &lens[k]) != srtp_err_status_ok)
				bad++;
		}
		double t1 = cpu_us();
		for (int k = 0; k < batch; k++) {
			int i = (first + k) % n;
			if (srtp_unprotect(rx[i], pkts[k], &lens[k]) != srtp_err_status_ok ||
			    lens[k] != PKT_LEN)
				bad++;
		}
		double t2 = cpu_us();
		t_prot += t1 - t0;
		t_unprot += t2 - t1;
		sess = (first + batch) % n;
		done += batch;
	}
	for (int i = 0; i < n; i++) {
		srtp_dealloc(tx[i]);
		srtp_dealloc(rx[i]);
	}
	free(tx); free(rx); free(pkts); free(seqs);
	printf("%-24s %6d  %8.2f  %8.2f  %s\n", s->name, n, t_prot / done, t_unprot / done,
	       bad ? "AUTH FAILURES" : "ok");
	return bad ? -1 : 0;
}

int main(int argc, char **argv)
{
	int counts[MAX_COUNTS] = { 1, 1000, 4000 }, ncounts = 3;
	long packets = 200000;
	int opt;
	while ((opt = getopt(argc, argv, "n:p:")) != -1) {
		if (opt == 'n') {
			ncounts = 0;
			for (char *tok = strtok(optarg, ","); tok && ncounts < MAX_COUNTS; tok = strtok(NULL, ","))
				counts[ncounts++] = atoi(tok);
		} else if (opt == 'p') {
			packets = atol(optarg);
		} else {
			fprintf(stderr, "usage: bench_srtp [-n N1,N2,...] [-p PACKETS]\n");
			return 2;
		}
	}
	for (int i = 0; i < ncounts; i++)
		if (counts[i] < 1 || counts[i] > 100000) {
			fprintf(stderr, "bench_srtp: session counts are 1..100000\n");
			return 2;
		}
	if (packets < 64)
		packets = 64;
	int err = srtp_init();
	if (err != srtp_err_status_ok)
		fail("srtp_init", err);
	printf("libsrtp2: %s, crypto backend (configure): %s; %d-byte packets, %ld per run\n",
	       srtp_get_version_string(), TANDEM_SRTP_BACKEND, PKT_LEN, packets);
	printf("%-24s %6s  %8s  %8s\n", "suite", "live", "prot_us", "unprot_us");
	int failed = 0;
	for (size_t s = 0; s < sizeof(suites) / sizeof(suites[0]); s++)
		for (int i = 0; i < ncounts; i++)
			if (run(&suites[s], counts[i], packets) < 0)
				failed++;
	srtp_shutdown();
	printf("RESULT passed=%d failed=%d\n", failed ? 0 : 1, failed ? 1 : 0);
	return failed ? 1 : 0;
}
