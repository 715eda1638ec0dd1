/* rtpprobe - send a G.711 tone over RTP and measure what comes back.
 *
 * Single stream:
 *   rtpprobe [-l PORT] [-r HOST:PORT | -r @FILE] [-n N] [-f HZ] [-p 0|8]
 *            [-d MS] [-W MS] [-E] [-o FILE]
 *     -l PORT      local UDP port on 127.0.0.1 (default: any); packets are sent
 *                  from it too (symmetric RTP)
 *     -r HOST:PORT where to send; "@FILE" waits for FILE to hold "HOST PORT"
 *                  (written, e.g., by a sipp <exec> from the SDP it received)
 *     -n N         packets to send, one per 20 ms (default 150); 0 = only receive
 *     -f HZ        tone frequency (default 1000)
 *     -p PT        payload type: 0 PCMU (default) or 8 PCMA
 *     -c CODEC     pcmu, pcma, g722 (PT 9, spandsp) or g729 (PT 18, bcg729): what
 *                  is sent (its PT unless -p follows) and how PT 9 / 18 received
 *                  are decoded (G.711 by PT always); audio is measured at 8 kHz
 *                  (G.722's 16 kHz decimated)
 *     -L PCT       drop PCT % of the packets to send, at random (not sent, not
 *                  counted in sent=; seq and timestamp still advance)
 *     -P MS        packet duration sent (default 20; 10..60): -n packets every MS ms
 *     -e DIGITS    from the 100th packet on, send DIGITS as RFC 4733 events (PT
 *                  101) in place of audio: per digit 5 updates and 3 end packets
 *                  (100 ms), then 5 packets of audio
 *     -D DIGITS    from the 100th packet (2 s) on, play DIGITS in-band (spandsp
 *                  dtmf_tx, 80 ms on / 80 ms off) instead of the tone (G.711)
 *     -d MS        keep receiving MS ms after the last packet sent (default 500);
 *                  with -n 0, the whole receive time
 *     -W MS        how long to wait for @FILE (default 15000)
 *     -E           echo every received packet back to its source as well
 *     -o FILE      write the received audio (decoded, s16le, 8 kHz) to FILE
 *   Prints one line:
 *     sent=N recv=M pt=P freq=F level=L ssrcs=S src=IP:PORT first_ms=T psize=A-B
 *     pmode=SIZE:COUNT ival=I imax=G events=DIGITS
 *   freq is the dominant frequency of the received audio in Hz (Goertzel scan
 *   with a Hann window; 0 with under 0.2 s of audio), level its RMS in dBFS,
 *   src the address the first packet came from, first_ms when it came
 *   (milliseconds after start; -1 if nothing came), psize the smallest and
 *   largest audio payload received (bytes), pmode the most common size (under
 *   512 bytes) and how many audio packets had it, ival the mean interval between
 *   audio packets received (ms, first to last; 0 with fewer than two), imax
 *   the longest of those intervals (ms), events
 *   the RFC 4733 digits received (PT 101, one per end; "-" for none).
 *
 * Many streams (load tests):
 *   rtpprobe -M FILE -B BASE -C COUNT [-S STEP] [-n N] [-f HZ] [-T MS]
 *     binds COUNT ports BASE, BASE+STEP, ... (STEP default 4, as sipp's
 *     [auto_media_port]); follows FILE (it may grow while we run) for lines
 *     "LOCALPORT HOST PORT" and starts sending N packets on that stream when its
 *     line appears; stops after -T MS (default 30000) or once every stream that
 *     was started has sent everything and been quiet for -d MS.
 *   Prints one line per started stream ("stream PORT sent= recv= freq=") and a
 *   summary: streams=K sent=N recv=M min_recv=A max_recv=B freq_min=F freq_max=G
 *
 * Exit status 0 when it ran (the caller judges the numbers), 1 usage, 2 error.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <spandsp/telephony.h>
#include <spandsp/g722.h>
#include <spandsp/logging.h>
#include <spandsp/super_tone_rx.h>
#include <spandsp/dtmf.h>
#include <bcg729/encoder.h>
#include <bcg729/decoder.h>

#define RATE        8000
#define MAX_PTIME   60
#define PSZ_MAX     512                 /* payload sizes counted for pmode */
#define MAX_PKT     1500
#define MAX_STREAMS 1024
#define TONE_AMP    10000.0             /* about -10 dBFS peak */

/* --- G.711 (ITU-T G.711 segment encoding, written from the definition) --- */

static uint8_t ulaw_encode(int16_t pcm)
{
	int s = pcm, sign = 0;
	if (s < 0) {
		s = -s;
		sign = 0x80;
	}
	if (s > 32635)
		s = 32635;
	s += 0x84;
	int seg = 7;
	for (int mask = 0x4000; !(s & mask) && seg > 0; mask >>= 1)
		seg--;
	int mant = (s >> (seg + 3)) & 0x0f;
	return (uint8_t)~(sign | (seg << 4) | mant);
}

static int16_t ulaw_decode(uint8_t u)
{
	u = (uint8_t)~u;
	int t = ((u & 0x0f) << 3) + 0x84;
	t <<= (u & 0x70) >> 4;
	return (int16_t)((u & 0x80) ? 0x84 - t : t - 0x84);
}

static uint8_t alaw_encode(int16_t pcm)
{
	int s = pcm, mask = 0xd5;
	if (s < 0) {
		s = -s - 1;
		mask = 0x55;
	}
	if (s > 32767)
		s = 32767;
	int seg = 0;
	for (int v = s >> 8; v && seg < 7; v >>= 1)
		seg++;
	int mant = seg ? (s >> (seg + 3)) & 0x0f : (s >> 4) & 0x0f;
	return (uint8_t)(((seg << 4) | mant) ^ mask);
}

static int16_t alaw_decode(uint8_t a)
{
	a ^= 0x55;
	int t = (a & 0x0f) << 4;
	int seg = (a & 0x70) >> 4;
	if (seg == 0)
		t += 8;
	else
		t = (t + 0x108) << (seg - 1);
	return (int16_t)((a & 0x80) ? t : -t);
}

/* --- measuring ---------------------------------------------------------- */

static double goertzel_power(const double *x, size_t n, double f)
{
	double coeff = 2.0 * cos(2.0 * M_PI * f / RATE), s1 = 0, s2 = 0;
	for (size_t i = 0; i < n; i++) {
		double s0 = x[i] + coeff * s1 - s2;
		s2 = s1;
		s1 = s0;
	}
	return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}

/* Hann-windowed copy of pcm[off, off+len) */
static double *hann(const int16_t *pcm, size_t off, size_t len)
{
	double *x = malloc(len * sizeof *x);
	if (x)
		for (size_t i = 0; i < len; i++)
			x[i] = pcm[off + i] * (0.5 - 0.5 * cos(2.0 * M_PI * i / (len - 1)));
	return x;
}

/* Dominant frequency of up to 2 s from the middle of 'pcm'. A coarse scan in
 * 10 Hz steps runs over 50 ms, whose main lobe (+-40 Hz) cannot fall between
 * two steps; a fine scan in 0.1 Hz steps around its peak then runs over the
 * whole stretch, where the lobe is a fraction of a hertz wide. */
static double dominant_freq(const int16_t *pcm, size_t n)
{
	if (n < RATE / 5)
		return 0;
	size_t len = n > 2 * RATE ? 2 * RATE : n, off = (n - len) / 2;
	size_t slen = RATE / 20, soff = (n - slen) / 2;
	double *x = hann(pcm, off, len), *xs = hann(pcm, soff, slen);
	double best = 0, bestp = -1;
	if (!x || !xs)
		goto out;
	for (double f = 50; f <= 3950; f += 10) {
		double p = goertzel_power(xs, slen, f);
		if (p > bestp) {
			bestp = p;
			best = f;
		}
	}
	double lo = best - 25;
	bestp = -1;
	for (double f = lo; f <= lo + 50; f += 0.1) {
		double p = goertzel_power(x, len, f);
		if (p > bestp) {
			bestp = p;
			best = f;
		}
	}
out:
	free(x);
	free(xs);
	return best;
}

static double level_dbfs(const int16_t *pcm, size_t n)
{
	if (!n)
		return -200;
	double e = 0;
	for (size_t i = 0; i < n; i++)
		e += (double)pcm[i] * pcm[i];
	double rms = sqrt(e / n);
	return rms > 0 ? 20 * log10(rms / 32768.0) : -200;
}

/* --- one stream ------------------------------------------------------- */

struct stream {
	int fd;
	unsigned port;
	bool started;                /* remote known */
	struct sockaddr_in remote;
	unsigned sent, recv;
	uint32_t ssrc, ts, phase_n;
	uint16_t seq;
	/* received audio, in arrival order of sequence numbers */
	int16_t *pcm;
	size_t npcm, cap;
	uint32_t ssrcs[8];
	unsigned nssrcs;
	int pt_seen;
	struct sockaddr_in first_src;
	long long first_ms;
	/* audio packets received: payload sizes, arrival times */
	unsigned naudio;
	unsigned npk;                /* packets made (sent or dropped) */
	uint32_t ev_ts, end_ts;      /* -e: event start; received: last end */
	bool have_end;
	char events[64];
	size_t psz_min, psz_max;
	unsigned psz_count[PSZ_MAX];    /* audio packets by payload size */
	long long audio_first_ms, audio_last_ms, audio_max_gap;
	/* G.722 / G.729 (single stream with -c) */
	g722_encode_state_t *g722e;
	g722_decode_state_t *g722d;
	bcg729EncoderChannelContextStruct *g729e;
	bcg729DecoderChannelContextStruct *g729d;
};

enum codec { C_G711, C_G722, C_G729 };

static struct {
	unsigned npkts, freq_hz;
	int pt;
	bool echo;
	enum codec codec;
	unsigned loss_pct;
	const char *digits;
	dtmf_tx_state_t *dtmf;
	unsigned ptime;
	const char *events;
} g = { 150, 1000, 0, false, C_G711, 0, NULL, NULL, 20, NULL };

#define EV_PT 101
static const char ev_digits[] = "0123456789*#ABCD";

/* -e: the event packet due now (payload into out), 0 for audio. */
static size_t event_payload(struct stream *st, uint8_t *out, bool *marker)
{
	if (!g.events || st->npk < 100)
		return 0;
	unsigned i = st->npk - 100, d = i / 13, j = i % 13;
	if (d >= strlen(g.events) || j >= 8)
		return 0;
	const char *c = strchr(ev_digits, g.events[d]);
	if (!c || !*c)
		return 0;
	if (j == 0)
		st->ev_ts = st->ts;
	unsigned dur = j < 5 ? 160 * (j + 1) : 800;
	out[0] = (uint8_t)(c - ev_digits);
	out[1] = (uint8_t)((j >= 5 ? 0x80 : 0) | 10);
	out[2] = (uint8_t)(dur >> 8);
	out[3] = (uint8_t)dur;
	*marker = j == 0;
	return 4;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int open_port(unsigned port, struct stream *st)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof a;
	memset(st, 0, sizeof *st);
	st->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (st->fd < 0 || bind(st->fd, (struct sockaddr *)&a, sizeof a) < 0 ||
	    getsockname(st->fd, (struct sockaddr *)&a, &al) < 0) {
		fprintf(stderr, "rtpprobe: bind 127.0.0.1:%u: %s\n", port, strerror(errno));
		return -1;
	}
	st->port = ntohs(a.sin_port);
	st->ssrc = (uint32_t)random() ^ (uint32_t)st->port << 16;
	st->seq = (uint16_t)random();
	st->ts = (uint32_t)random();
	st->pt_seen = -1;
	st->first_ms = -1;
	return 0;
}

/* The payload of the next packet (g.ptime ms) of the tone; returns its length. */
static size_t make_payload(struct stream *st, uint8_t *out)
{
	int16_t pcm[2 * RATE * MAX_PTIME / 1000];
	unsigned rate = g.codec == C_G722 ? 2 * RATE : RATE, n = rate * g.ptime / 1000;

	for (unsigned i = 0; i < n; i++)
		pcm[i] = (int16_t)lrint(TONE_AMP * sin(2.0 * M_PI * g.freq_hz * (double)st->phase_n++ / rate));
	if (g.codec == C_G722)
		return (size_t)g722_encode(st->g722e, out, pcm, (int)n);
	if (g.codec == C_G729) {
		uint8_t len = 0, total = 0;
		for (unsigned f = 0; f < n; f += 80) {
			bcg729Encoder(st->g729e, pcm + f, out + total, &len);
			total = (uint8_t)(total + len);
		}
		return total;
	}
	if (g.dtmf && st->sent + 1 >= 100) {
		if (g.digits) {
			dtmf_tx_put(g.dtmf, g.digits, -1);
			g.digits = NULL;
		}
		memset(pcm, 0, n * sizeof pcm[0]);
		dtmf_tx(g.dtmf, pcm, (int)n);
	}
	for (unsigned i = 0; i < n; i++)
		out[i] = g.pt == 8 ? alaw_encode(pcm[i]) : ulaw_encode(pcm[i]);
	return n;
}

static void send_one(struct stream *st)
{
	uint8_t pkt[12 + 2 * RATE * MAX_PTIME / 1000];
	pkt[0] = 0x80;
	pkt[1] = (uint8_t)(g.pt | (st->sent == 0 ? 0x80 : 0));
	pkt[2] = st->seq >> 8;
	pkt[3] = st->seq & 0xff;
	for (int i = 0; i < 4; i++) {
		pkt[4 + i] = (uint8_t)(st->ts >> (24 - 8 * i));
		pkt[8 + i] = (uint8_t)(st->ssrc >> (24 - 8 * i));
	}
	bool marker = false;
	size_t evlen = event_payload(st, pkt + 12, &marker);
	size_t len = 12 + (evlen ? evlen : make_payload(st, pkt + 12));
	if (evlen) {
		pkt[1] = (uint8_t)(EV_PT | (marker ? 0x80 : 0));
		for (int i = 0; i < 4; i++)
			pkt[4 + i] = (uint8_t)(st->ev_ts >> (24 - 8 * i));
	}
	st->npk++;
	bool drop = g.loss_pct && (unsigned)(random() % 100) < g.loss_pct;
	if (!drop && sendto(st->fd, pkt, len, 0, (struct sockaddr *)&st->remote,
			    sizeof st->remote) == (ssize_t)len)
		st->sent++;
	st->seq++;
	st->ts += RATE * g.ptime / 1000;
}

static int codec_init(struct stream *st)
{
	if (g.codec == C_G722) {
		st->g722e = g722_encode_init(NULL, 64000, 0);
		st->g722d = g722_decode_init(NULL, 64000, 0);
		return st->g722e && st->g722d ? 0 : -1;
	}
	if (g.codec == C_G729) {
		st->g729e = initBcg729EncoderChannel(0);
		st->g729d = initBcg729DecoderChannel();
		return st->g729e && st->g729d ? 0 : -1;
	}
	return 0;
}

static void codec_free(struct stream *st)
{
	if (st->g722e)
		g722_encode_free(st->g722e);
	if (st->g722d)
		g722_decode_free(st->g722d);
	if (st->g729e)
		closeBcg729EncoderChannel(st->g729e);
	if (st->g729d)
		closeBcg729DecoderChannel(st->g729d);
}

static void take_audio(struct stream *st, const uint8_t *p, size_t n, int pt)
{
	if (st->npcm + n > st->cap) {
		size_t cap = st->cap ? st->cap * 2 : RATE * 4;
		while (cap < st->npcm + n)
			cap *= 2;
		int16_t *np = realloc(st->pcm, cap * sizeof *np);
		if (!np)
			return;
		st->pcm = np;
		st->cap = cap;
	}
	for (size_t i = 0; i < n; i++)
		st->pcm[st->npcm++] = pt == 8 ? alaw_decode(p[i]) : ulaw_decode(p[i]);
}

/* A G.722 or G.729 payload, decoded into 8 kHz samples. */
static void take_coded(struct stream *st, const uint8_t *p, size_t n, int pt)
{
	int16_t pcm[4 * MAX_PKT];
	size_t m = 0;

	if (pt == 9 && st->g722d) {
		int k = g722_decode(st->g722d, pcm, p, (int)(n > MAX_PKT ? MAX_PKT : n));
		for (int i = 0; i < k; i += 2)
			pcm[m++] = pcm[i];          /* 16 -> 8 kHz: nothing above 4 kHz here */
	} else if (pt == 18 && st->g729d) {
		for (size_t off = 0; off + 10 <= n && m + 80 <= sizeof pcm / sizeof pcm[0]; off += 10) {
			bcg729Decoder(st->g729d, p + off, 10, 0, 0, 0, pcm + m);
			m += 80;
		}
	}
	if (!m)
		return;
	if (st->npcm + m > st->cap) {
		size_t cap = st->cap ? st->cap * 2 : RATE * 4;
		while (cap < st->npcm + m)
			cap *= 2;
		int16_t *np = realloc(st->pcm, cap * sizeof *np);
		if (!np)
			return;
		st->pcm = np;
		st->cap = cap;
	}
	memcpy(st->pcm + st->npcm, pcm, m * sizeof *pcm);
	st->npcm += m;
}

static void receive_all(struct stream *st, long long t0)
{
	uint8_t b[MAX_PKT];
	struct sockaddr_in src;
	for (;;) {
		socklen_t sl = sizeof src;
		ssize_t r = recvfrom(st->fd, b, sizeof b, 0, (struct sockaddr *)&src, &sl);
		if (r < 0)
			return;
		if (r < 12 || (b[0] & 0xc0) != 0x80)
			continue;
		if (g.echo)
			sendto(st->fd, b, (size_t)r, 0, (struct sockaddr *)&src, sl);
		int pt = b[1] & 0x7f;
		size_t hl = 12 + 4u * (b[0] & 0x0f);
		if (b[0] & 0x10) {                 /* header extension */
			if ((size_t)r < hl + 4)
				continue;
			hl += 4 + 4u * (size_t)(b[hl + 2] << 8 | b[hl + 3]);
		}
		size_t end = (size_t)r;
		if (b[0] & 0x20 && end > hl)       /* padding */
			end -= b[end - 1];
		if (hl > end)
			continue;
		st->recv++;
		if (st->first_ms < 0) {
			st->first_ms = now_ms() - t0;
			st->first_src = src;
		}
		uint32_t ssrc = (uint32_t)b[8] << 24 | b[9] << 16 | b[10] << 8 | b[11];
		bool known = false;
		for (unsigned i = 0; i < st->nssrcs; i++)
			known |= st->ssrcs[i] == ssrc;
		if (!known && st->nssrcs < 8)
			st->ssrcs[st->nssrcs++] = ssrc;
		if (pt == EV_PT && end - hl >= 4 && (b[hl + 1] & 0x80) && b[hl] < 16) {
			uint32_t ts = (uint32_t)b[4] << 24 | b[5] << 16 | b[6] << 8 | b[7];
			size_t ne = strlen(st->events);
			if ((!st->have_end || ts != st->end_ts) && ne + 1 < sizeof st->events)
				st->events[ne] = ev_digits[b[hl]];
			st->have_end = true;
			st->end_ts = ts;
		}
		if (pt == 0 || pt == 8 || pt == 9 || pt == 18) {
			size_t plen = end - hl;
			long long t = now_ms() - t0;
			if (!st->naudio++) {
				st->psz_min = st->psz_max = plen;
				st->audio_first_ms = t;
			}
			if (plen < PSZ_MAX)
				st->psz_count[plen]++;
			st->psz_min = plen < st->psz_min ? plen : st->psz_min;
			st->psz_max = plen > st->psz_max ? plen : st->psz_max;
			if (st->naudio > 1 && t - st->audio_last_ms > st->audio_max_gap)
				st->audio_max_gap = t - st->audio_last_ms;
			st->audio_last_ms = t;
		}
		if (pt == 0 || pt == 8) {
			st->pt_seen = pt;
			take_audio(st, b + hl, end - hl, pt);
		} else if (pt == 9 || pt == 18) {
			st->pt_seen = pt;
			take_coded(st, b + hl, end - hl, pt);
		}
	}
}

static int parse_hostport(const char *s, struct sockaddr_in *a)
{
	char host[64];
	unsigned port;
	if (sscanf(s, "%63[^: ]%*[: ]%u", host, &port) != 2 || port == 0 || port > 65535)
		return -1;
	memset(a, 0, sizeof *a);
	a->sin_family = AF_INET;
	a->sin_port = htons(port);
	return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
}

static int wait_remote_file(const char *path, long wait_ms, struct sockaddr_in *a)
{
	long long end = now_ms() + wait_ms;
	while (now_ms() < end) {
		FILE *f = fopen(path, "r");
		if (f) {
			char line[256];
			bool ok = fgets(line, sizeof line, f) && parse_hostport(line, a) == 0;
			fclose(f);
			if (ok)
				return 0;
		}
		usleep(10000);
	}
	fprintf(stderr, "rtpprobe: %s did not give HOST PORT within %ld ms\n", path, wait_ms);
	return -1;
}

/* Sleep until 'next' (ms), receiving on all streams meanwhile. */
static void wait_until(struct stream *ss, unsigned n, long long next, long long t0)
{
	struct pollfd pf[MAX_STREAMS];
	for (unsigned i = 0; i < n; i++)
		pf[i] = (struct pollfd){ .fd = ss[i].fd, .events = POLLIN };
	for (;;) {
		long long left = next - now_ms();
		if (left <= 0)
			break;
		int r = poll(pf, n, (int)left);
		if (r <= 0)
			continue;
		for (unsigned i = 0; i < n; i++)
			if (pf[i].revents)
				receive_all(&ss[i], t0);
	}
	for (unsigned i = 0; i < n; i++)
		receive_all(&ss[i], t0);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: rtpprobe [-l PORT] [-r HOST:PORT|@FILE] [-n N] [-f HZ] [-p 0|8] [-d MS]\n"
		"                [-c pcmu|pcma|g722|g729] [-L LOSS_PCT] [-D DIGITS] [-P PTIME_MS] [-e DIGITS]\n"
		"                [-W MS] [-E] [-o FILE]\n"
		"       rtpprobe -M FILE -B BASE -C COUNT [-S STEP] [-n N] [-f HZ] [-d MS] [-T MS]\n");
	exit(1);
}

static int run_single(unsigned lport, const char *remote, long linger, long wait_file,
		      const char *outpath)
{
	struct stream st;
	if (open_port(lport, &st) < 0)
		return 2;
	if (codec_init(&st) < 0) {
		fprintf(stderr, "rtpprobe: cannot make the codec\n");
		return 2;
	}
	long long t0 = now_ms();
	if (g.npkts) {
		if (!remote)
			usage();
		if (remote[0] == '@' ? wait_remote_file(remote + 1, wait_file, &st.remote) < 0
				     : parse_hostport(remote, &st.remote) < 0)
			return 2;
		long long next = now_ms();
		for (unsigned i = 0; i < g.npkts; i++) {
			send_one(&st);
			next += g.ptime;
			wait_until(&st, 1, next, t0);
		}
	}
	wait_until(&st, 1, now_ms() + linger, t0);

	char src[64] = "-";
	if (st.first_ms >= 0)
		snprintf(src, sizeof src, "%s:%u", inet_ntoa(st.first_src.sin_addr),
			 ntohs(st.first_src.sin_port));
	size_t mode = 0;
	for (size_t i = 1; i < PSZ_MAX; i++)
		if (st.psz_count[i] > st.psz_count[mode])
			mode = i;
	double ival = st.naudio > 1 ? (double)(st.audio_last_ms - st.audio_first_ms) / (st.naudio - 1) : 0;
	printf("sent=%u recv=%u pt=%d freq=%.1f level=%.1f ssrcs=%u src=%s first_ms=%lld "
	       "psize=%zu-%zu pmode=%zu:%u ival=%.1f imax=%lld events=%s\n",
	       st.sent, st.recv, st.pt_seen, dominant_freq(st.pcm, st.npcm),
	       level_dbfs(st.pcm, st.npcm), st.nssrcs, src, st.first_ms, st.psz_min, st.psz_max, mode, st.psz_count[mode], ival, st.audio_max_gap,
	       st.events[0] ? st.events : "-");
	if (outpath) {
		FILE *f = fopen(outpath, "wb");
		if (f) {
			fwrite(st.pcm, sizeof *st.pcm, st.npcm, f);
			fclose(f);
		}
	}
	free(st.pcm);
	codec_free(&st);
	close(st.fd);
	return 0;
}

/* Read any complete new lines of the stream file; start those streams. */
static void follow_file(FILE *f, struct stream *ss, unsigned n)
{
	char line[256];
	while (fgets(line, sizeof line, f)) {
		unsigned lport;
		char rest[200];
		if (sscanf(line, "%u %199[^\n]", &lport, rest) != 2)
			continue;
		for (unsigned i = 0; i < n; i++)
			if (ss[i].port == lport && !ss[i].started &&
			    parse_hostport(rest, &ss[i].remote) == 0)
				ss[i].started = true;
	}
	clearerr(f);
}

static int run_multi(const char *path, unsigned base, unsigned count, unsigned step,
		     long linger, long total)
{
	static struct stream ss[MAX_STREAMS];
	if (count == 0 || count > MAX_STREAMS || !base)
		usage();
	for (unsigned i = 0; i < count; i++)
		if (open_port(base + i * step, &ss[i]) < 0)
			return 2;
	FILE *f = NULL;
	long long t0 = now_ms(), next = t0, last_send = t0;
	while (now_ms() - t0 < total) {
		if (!f)
			f = fopen(path, "r");
		if (f)
			follow_file(f, ss, count);
		bool busy = false, any = false;
		for (unsigned i = 0; i < count; i++) {
			if (!ss[i].started)
				continue;
			any = true;
			if (ss[i].sent < g.npkts) {
				send_one(&ss[i]);
				busy = true;
				last_send = now_ms();
			}
		}
		if (any && !busy && now_ms() - last_send > linger)
			break;
		next += 20;
		wait_until(ss, count, next, t0);
	}
	if (f)
		fclose(f);
	unsigned k = 0, minr = ~0u, maxr = 0;
	unsigned long sent = 0, recv = 0;
	double fmin = 1e9, fmax = 0;
	for (unsigned i = 0; i < count; i++) {
		struct stream *st = &ss[i];
		if (!st->started)
			continue;
		double fr = dominant_freq(st->pcm, st->npcm);
		printf("stream %u sent=%u recv=%u freq=%.1f\n", st->port, st->sent, st->recv, fr);
		k++;
		sent += st->sent;
		recv += st->recv;
		minr = st->recv < minr ? st->recv : minr;
		maxr = st->recv > maxr ? st->recv : maxr;
		fmin = fr < fmin ? fr : fmin;
		fmax = fr > fmax ? fr : fmax;
		free(st->pcm);
	}
	if (!k) {
		minr = 0;
		fmin = 0;
	}
	printf("streams=%u sent=%lu recv=%lu min_recv=%u max_recv=%u freq_min=%.1f freq_max=%.1f\n",
	       k, sent, recv, minr, maxr, fmin, fmax);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned lport = 0, base = 0, count = 0, step = 4;
	const char *remote = NULL, *multi = NULL, *outpath = NULL;
	long linger = 500, wait_file = 15000, total = 30000;
	int opt;
	while ((opt = getopt(argc, argv, "l:r:n:f:p:d:W:Eo:M:B:C:S:T:c:L:D:P:e:")) != -1) {
		switch (opt) {
		case 'l': lport = (unsigned)atoi(optarg); break;
		case 'r': remote = optarg; break;
		case 'n': g.npkts = (unsigned)atoi(optarg); break;
		case 'f': g.freq_hz = (unsigned)atoi(optarg); break;
		case 'p': g.pt = atoi(optarg); break;
		case 'P':
			g.ptime = (unsigned)atoi(optarg);
			if (g.ptime < 10 || g.ptime > MAX_PTIME || g.ptime % 10)
				usage();
			break;
		case 'd': linger = atol(optarg); break;
		case 'W': wait_file = atol(optarg); break;
		case 'E': g.echo = true; break;
		case 'o': outpath = optarg; break;
		case 'M': multi = optarg; break;
		case 'B': base = (unsigned)atoi(optarg); break;
		case 'C': count = (unsigned)atoi(optarg); break;
		case 'S': step = (unsigned)atoi(optarg); break;
		case 'T': total = atol(optarg); break;
		case 'L': g.loss_pct = (unsigned)atoi(optarg); break;
		case 'e':
			g.events = optarg;
			break;
		case 'D':
			g.digits = optarg;
			g.dtmf = dtmf_tx_init(NULL);
			if (!g.dtmf)
				return 2;
			dtmf_tx_set_timing(g.dtmf, 80, 80);
			break;
		case 'c':
			if (strcmp(optarg, "g722") == 0) {
				g.codec = C_G722;
				g.pt = 9;
			} else if (strcmp(optarg, "g729") == 0) {
				g.codec = C_G729;
				g.pt = 18;
			} else {
				g.codec = C_G711;
				g.pt = strcmp(optarg, "pcma") == 0 ? 8 : 0;
			}
			break;
		default: usage();
		}
	}
	if (optind != argc || g.pt < 0 || g.pt > 127 || (g.codec == C_G711 && g.pt != 0 && g.pt != 8) ||
	    !g.freq_hz || g.freq_hz >= RATE / 2 || g.loss_pct > 100)
		usage();
	srandom((unsigned)getpid() ^ (unsigned)now_ms());
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (multi)
		return run_multi(multi, base, count, step, linger, total);
	return run_single(lport, remote, linger, wait_file, outpath);
}
