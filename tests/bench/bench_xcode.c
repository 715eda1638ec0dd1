/* bench_xcode - transcoded calls (PCMU <-> Opus) per core of the media core,
 * at under 1 % late frames, and what the pipeline costs beyond the codecs.
 *
 *   bench_xcode [-n N1,N2,...] [-d SECONDS] [-w WORKERS] [-p PORTMIN] [-E]
 *
 * For each call count N (default 100,200,300): a media core with WORKERS
 * worker threads (default 1, so "per core" is read directly) and the codec
 * modules mod_g711 + mod_opus from $builddir/modules (the shipped defaults:
 * Opus encoded at 8 kHz against G.711, the module's complexity), N sessions
 * set up through the real API: phone A offers PCMU only, phone B allows
 * Opus only and answers opus/48000/2 with useinbandfec=1 and
 * telephone-event/48000, so the gateway runs its in-band DTMF detector on
 * A -> B, as it does for a browser (-E: B takes no telephone-event, no
 * detector). A generator thread sends PCMU from every A and
 * Opus (a pre-encoded 48 kHz tone) from every B every 20 ms and receives
 * what the gateway sends back. Then the same N calls as a PCMU pass-through
 * (the relay floor).
 *
 * Measured over the window after 1 s of warm-up:
 *   - worker CPU (/proc/self/task/TID/schedstat of "tmedia-w*"), per call,
 *     and the time the worker was runnable but waited for a CPU (wait%:
 *     how much the rest of the machine got in the way);
 *   - late frames: a received frame whose transit (its kernel receive
 *     time, SO_TIMESTAMPNS, so the generator's own scheduling does not
 *     count, minus its RTP timestamp) exceeds its stream's smallest transit
 *     by more than one period (20 ms): a receiver with a 20 ms jitter
 *     buffer misses it;
 *   - frames received vs the periods that should have produced one;
 *   - memory per call: heap in use (mallinfo2, every arena) and resident
 *     set growth from before the sessions were set up to after warm-up.
 * And, single-threaded, in this thread's CPU time, the codec cost of one
 * call's 20 ms (PCMU decode + Opus encode at 8 kHz, Opus decode to 8 kHz +
 * PCMU encode) through the same module engines, with N calls' engines used
 * in turn as the worker does (their states do not stay in cache either).
 * Overhead = transcoded CPU - pass-through CPU - codec cost, per call.
 * The worker and the generator run at nice $BENCH_NICE (default -10, as
 * cps.sh; 0: unchanged) when allowed, or with BENCH_RT=PRIO at SCHED_FIFO
 * PRIO (the worker; the generator at the nice value): the machine is
 * shared.
 *
 * Prints a table and "RESULT passed=1 failed=0" when media flowed; the
 * targets are reported, not enforced (timing on a shared machine).
 */
#include "config.h"

#include "benchutil.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <tandem/codec.h>

#include "core/log.h"
#include "core/modules.h"
#include "core/queue.h"
#include "media/media.h"

#define TICK_US 2000                /* generator tick; 10 slots = 20 ms */
#define SLOTS 10
#define WARMUP_MS 1000
#define NOPUS 50                    /* pre-encoded Opus frames (1 s, looped) */
#define MAXN 16

struct phone {
	int fd;
	uint16_t port;
	struct sockaddr_in dst;
	uint32_t ssrc, ts;
	uint16_t seq;
	/* receive side (generator thread) */
	bool have;
	uint32_t last_ts;
	int64_t ext_ts, min_transit;
	uint32_t clock;
};

struct gen {
	struct phone *ph;           /* 2 per call: [2i] A (PCMU), [2i+1] B (Opus or PCMU) */
	int n;
	int epfd, tfd;
	pthread_t th;
	atomic_bool run, sending, counting;
	bool opus;                  /* B sends Opus */
	uint8_t opus_pt;
	uint8_t opus_pl[NOPUS][400];
	uint8_t ulaw[160];
	uint64_t real_off;          /* CLOCK_REALTIME - CLOCK_MONOTONIC, us */
	size_t opus_len[NOPUS];
	_Atomic uint64_t sent, recvd, late, late_dir[2], recvd_dir[2];
};

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void add(_Atomic uint64_t *c, uint64_t v)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + v, memory_order_relaxed);
}

/* ---- generator ---- */

static uint8_t ulaw_of(int16_t pcm)
{
	int s = pcm, sign = 0, seg = 7;
	if (s < 0) {
		s = -s;
		sign = 0x80;
	}
	if (s > 32635)
		s = 32635;
	s += 0x84;
	for (int mask = 0x4000; !(s & mask) && seg > 0; mask >>= 1)
		seg--;
	return (uint8_t)~(sign | (seg << 4) | ((s >> (seg + 3)) & 0x0f));
}

static void send_one(struct gen *g, struct phone *p, bool opus)
{
	uint8_t pkt[12 + 400];
	size_t len;

	pkt[0] = 0x80;
	pkt[2] = (uint8_t)(p->seq >> 8);
	pkt[3] = (uint8_t)p->seq;
	for (int i = 0; i < 4; i++) {
		pkt[4 + i] = (uint8_t)(p->ts >> (24 - 8 * i));
		pkt[8 + i] = (uint8_t)(p->ssrc >> (24 - 8 * i));
	}
	if (opus) {
		unsigned k = p->seq % NOPUS;
		pkt[1] = g->opus_pt;
		memcpy(pkt + 12, g->opus_pl[k], g->opus_len[k]);
		len = 12 + g->opus_len[k];
		p->ts += 960;
	} else {
		pkt[1] = 0;
		/* 1 kHz at about -10 dBFS: 8 samples a cycle, so every 20 ms
		 * frame is the same (computed once: the generator shares the
		 * machine with what it measures). */
		memcpy(pkt + 12, g->ulaw, 160);
		len = 12 + 160;
		p->ts += 160;
	}
	p->seq++;
	(void)sendto(p->fd, pkt, len, 0, (struct sockaddr *)&p->dst, sizeof p->dst);
}

static void gen_recv(struct gen *g, int idx);

/* Every 2 ms, a tenth of the calls: read what their phones received since
 * their last turn (the kernel's receive times say when it came), then send
 * each phone's next frame. The phones' sockets are not in the epoll set:
 * a sender into a socket nobody waits on wakes nobody, so the worker's
 * sendto costs what it would toward a remote phone, not a local thread's
 * wakeup (which depends on what that thread is doing, and was the noisiest
 * part of the worker's CPU). */
static void gen_tick(struct gen *g, uint64_t tick)
{
	unsigned slot = (unsigned)(tick % SLOTS);
	uint64_t n = 0;

	for (int i = (int)slot; i < g->n; i += SLOTS) {
		gen_recv(g, 2 * i);
		gen_recv(g, 2 * i + 1);
	}
	if (!atomic_load(&g->sending))
		return;
	for (int i = (int)slot; i < g->n; i += SLOTS) {
		send_one(g, &g->ph[2 * i], false);
		send_one(g, &g->ph[2 * i + 1], g->opus);
		n += 2;
	}
	if (atomic_load(&g->counting))
		add(&g->sent, n);
}

/* A frame arrived at phone p: late if its transit exceeds the stream's
 * smallest by more than a period. */
static bool frame_late(struct phone *p, const uint8_t *b, uint64_t t)
{
	uint32_t ts = (uint32_t)b[4] << 24 | b[5] << 16 | b[6] << 8 | b[7];
	if (!p->have) {
		p->have = true;
		p->ext_ts = ts;
		p->min_transit = INT64_MAX;
	} else {
		p->ext_ts += (int32_t)(ts - p->last_ts);
	}
	p->last_ts = ts;
	int64_t transit = (int64_t)t - p->ext_ts * 1000000 / (int64_t)p->clock;
	if (transit < p->min_transit)
		p->min_transit = transit;
	return transit - p->min_transit > 20000;
}

/* The kernel's receive time of a datagram (SO_TIMESTAMPNS): on loopback,
 * when tandem sent it, whenever this thread gets to read it. */
static uint64_t rx_time_us(struct msghdr *h, uint64_t fallback)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;
			memcpy(&ts, CMSG_DATA(c), sizeof ts);
			return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
		}
	}
	return fallback;
}

static void gen_recv(struct gen *g, int idx)
{
	static uint8_t bufs[16][512];
	static union {
		char b[CMSG_SPACE(sizeof(struct timespec))];
		struct cmsghdr align;
	} ctl[16];
	struct iovec iov[16];
	struct mmsghdr m[16];
	struct phone *p = &g->ph[idx];

	for (int i = 0; i < 16; i++) {
		iov[i] = (struct iovec){ bufs[i], sizeof bufs[i] };
		m[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1,
						      .msg_control = ctl[i].b,
						      .msg_controllen = sizeof ctl[i].b } };
	}
	int r = recvmmsg(p->fd, m, 16, MSG_DONTWAIT, NULL);
	/* Kernel timestamps are CLOCK_REALTIME: carried over to the monotonic
	 * clock the RTP timestamps are compared with (the offset cancels in
	 * transit - min transit anyway, as long as it is the same for all). */
	uint64_t t = now_us(), late = 0, n = 0;
	for (int i = 0; i < r; i++) {
		if (m[i].msg_len < 12)
			continue;
		n++;
		late += frame_late(p, bufs[i], rx_time_us(&m[i].msg_hdr, t + g->real_off) - g->real_off);
	}
	if (atomic_load(&g->counting)) {
		add(&g->recvd, n);
		add(&g->late, late);
		add(&g->late_dir[idx & 1], late);
		add(&g->recvd_dir[idx & 1], n);
	}
}

static void *gen_main(void *arg)
{
	struct gen *g = arg;
	struct epoll_event ev[256];
	uint64_t tick = 0;

	pthread_setname_np(pthread_self(), "bench-gen");
	while (atomic_load(&g->run)) {
		int n = epoll_wait(g->epfd, ev, 256, 100);
		for (int i = 0; i < n; i++) {
			if (ev[i].data.u32 == UINT32_MAX) {
				uint64_t exp = 0;
				if (read(g->tfd, &exp, sizeof exp) == sizeof exp)
					while (exp--)
						gen_tick(g, tick++);
			}
		}
	}
	return NULL;
}

static void gen_start(struct gen *g, int ncalls, bool opus)
{
	struct timespec rt;
	g->n = ncalls;
	g->opus = opus;
	clock_gettime(CLOCK_REALTIME, &rt);
	g->real_off = (uint64_t)rt.tv_sec * 1000000u + (uint64_t)rt.tv_nsec / 1000u - now_us();
	g->ph = calloc((size_t)ncalls * 2, sizeof *g->ph);
	g->epfd = epoll_create1(EPOLL_CLOEXEC);
	g->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (!g->ph || g->epfd < 0 || g->tfd < 0)
		bench_die("generator");
	struct itimerspec its = { { 0, TICK_US * 1000 }, { 0, TICK_US * 1000 } };
	timerfd_settime(g->tfd, 0, &its, NULL);
	struct epoll_event e = { .events = EPOLLIN, .data.u32 = UINT32_MAX };
	epoll_ctl(g->epfd, EPOLL_CTL_ADD, g->tfd, &e);
	for (int i = 0; i < 2 * ncalls; i++) {
		struct phone *p = &g->ph[i];
		p->fd = bench_udp_lo(&p->port);
		int on = 1;
		setsockopt(p->fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
		p->ssrc = (uint32_t)random();
		p->seq = (uint16_t)random();
		p->ts = (uint32_t)random();
		p->clock = (i & 1) && opus ? 48000 : 8000;  /* what it receives */
		/* Not in the epoll set: read on the generator's ticks. */
	}
	atomic_store(&g->run, true);
	if (pthread_create(&g->th, NULL, gen_main, g))
		bench_die("pthread_create");
}

static void gen_stop(struct gen *g)
{
	atomic_store(&g->run, false);
	pthread_join(g->th, NULL);
	for (int i = 0; i < 2 * g->n; i++)
		close(g->ph[i].fd);
	close(g->tfd);
	close(g->epfd);
	free(g->ph);
}

/* ---- sessions ---- */

static int sdp_pt(const char *sdp, const char *name)
{
	char pat[64];
	const char *p = sdp;
	snprintf(pat, sizeof pat, " %s/", name);
	while (p && (p = strstr(p, "a=rtpmap:"))) {
		unsigned pt;
		const char *eol = strchr(p, '\n');
		const char *hit = strstr(p, pat);
		if (hit && (!eol || hit < eol) && sscanf(p, "a=rtpmap:%u", &pt) == 1)
			return (int)pt;
		p = eol;
	}
	return -1;
}

static media_session_t **setup(media_core_t *mc, struct gen *g, const struct tconf_interface *ifc,
			       tq_t *q, bool events)
{
	static const char *const opus_only[] = { "opus", NULL };
	media_session_t **s = calloc((size_t)g->n, sizeof *s);
	struct media_session_opts o = { .rtp_timeout = 60, .hold_timeout = 600,
					.latch_window = 5, .owner_q = q, .label = "bench" };
	struct media_sdp out;
	char sdp[512];

	if (!s)
		bench_die("calloc");
	for (int k = 0; k < 2; k++) {
		o.leg[k].iface = ifc;
		o.leg[k].latch = true;
	}
	o.leg[1].codecs = g->opus ? opus_only : NULL;
	for (int i = 0; i < g->n; i++) {
		struct phone *a = &g->ph[2 * i], *b = &g->ph[2 * i + 1];
		int rc = media_session_new(mc, &o, &s[i]);
		if (rc) {
			errno = -rc;
			bench_die("media_session_new (port range too small for -n?)");
		}
		snprintf(sdp, sizeof sdp, "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
			 "t=0 0\r\nm=audio %u RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\n",
			 (unsigned)a->port);
		if (media_session_offer(s[i], MEDIA_LEG_A, sdp, strlen(sdp), &out))
			bench_die("media_session_offer");
		bench_lo_addr(&b->dst, bench_sdp_port(out.sdp));
		int opt = sdp_pt(out.sdp, "opus"), tpt = sdp_pt(out.sdp, "telephone-event");
		media_sdp_clear(&out);
		if (g->opus && opt < 0)
			bench_die("no Opus in the offer to B");
		g->opus_pt = (uint8_t)opt;
		if (g->opus && events && tpt >= 0)
			snprintf(sdp, sizeof sdp, "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
				 "c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %u RTP/AVP %d %d\r\n"
				 "a=rtpmap:%d opus/48000/2\r\na=fmtp:%d useinbandfec=1\r\n"
				 "a=rtpmap:%d telephone-event/48000\r\na=ptime:20\r\n",
				 (unsigned)b->port, opt, tpt, opt, opt, tpt);
		else if (g->opus)
			snprintf(sdp, sizeof sdp, "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
				 "c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %u RTP/AVP %d\r\n"
				 "a=rtpmap:%d opus/48000/2\r\na=fmtp:%d useinbandfec=1\r\na=ptime:20\r\n",
				 (unsigned)b->port, opt, opt, opt);
		else
			snprintf(sdp, sizeof sdp, "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
				 "c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %u RTP/AVP 0\r\n"
				 "a=rtpmap:0 PCMU/8000\r\na=ptime:20\r\n", (unsigned)b->port);
		if (media_session_answer(s[i], MEDIA_LEG_B, sdp, strlen(sdp), &out))
			bench_die("media_session_answer");
		bench_lo_addr(&a->dst, bench_sdp_port(out.sdp));
		media_sdp_clear(&out);
	}
	return s;
}

struct result {
	uint64_t sent, recvd, late, late_dir[2], recvd_dir[2];
	double cpu_share;           /* worker CPU, fraction of one core */
	double wait_share;          /* worker runnable but not running, fraction */
	unsigned transcoding;
	double heap_kb, rss_kb;     /* per call: heap in use, resident memory */
	bool niced;                 /* worker and generator took the nice value */
};

/* Heap in use (every arena, mmapped blocks included) and resident set. */
static void mem_now(uint64_t *heap, uint64_t *rss)
{
	struct mallinfo2 mi = mallinfo2();
	unsigned long size = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	*heap = mi.uordblks + mi.hblkhd;
	if (f) {
		if (fscanf(f, "%lu %lu", &size, &res) != 2)
			res = 0;
		fclose(f);
	}
	*rss = (uint64_t)res * (uint64_t)sysconf(_SC_PAGESIZE);
}

static void idle(tq_t *q, int ms)
{
	uint64_t end = now_us() + (uint64_t)ms * 1000;
	while (now_us() < end) {
		usleep(50000);
		tq_drain(q);
	}
}

static void run(const tmodules_t *mods, const struct tconf_interface *ifc, int n, int workers,
		int seconds, bool opus, bool events, const struct gen *proto, int nice, int rt,
		struct result *r)
{
	struct gen g = { 0 };
	tconf_t conf = { .interfaces = (struct tconf_interface *)ifc, .ninterfaces = 1 };
	media_core_t *mc;
	tq_t *q = tq_new();

	memset(r, 0, sizeof *r);

	if (!q || media_core_new(&conf, (unsigned)workers, &mc))
		bench_die("media_core_new");
	media_core_set_codecs(mc, mods);
	memcpy(g.opus_pl, proto->opus_pl, sizeof g.opus_pl);
	memcpy(g.opus_len, proto->opus_len, sizeof g.opus_len);
	memcpy(g.ulaw, proto->ulaw, sizeof g.ulaw);
	gen_start(&g, n, opus);
	uint64_t h0, r0, h1, r1;
	mem_now(&h0, &r0);
	media_session_t **s = setup(mc, &g, ifc, q, events);
	/* After setup, and again until the threads have named themselves. */
	for (int tries = 0; tries < 100 && (rt || nice) && !r->niced; tries++) {
		if (tries)
			usleep(2000);
		if (rt) {
			/* The worker only: waking a real-time receiver preempts
			 * at once, and loopback wakes it inside the worker's
			 * sendto. */
			r->niced = bench_threads_fifo("tmedia-w", rt) == workers;
			r->niced &= !nice || bench_threads_nice("bench-gen", nice) == 1;
		} else {
			r->niced = bench_threads_nice("tmedia-w", nice) == workers;
			r->niced &= bench_threads_nice("bench-gen", nice) == 1;
		}
	}
	struct media_core_stats cs;
	media_core_stats(mc, &cs);
	r->transcoding = cs.transcoding;
	atomic_store(&g.sending, true);
	idle(q, WARMUP_MS);
	mem_now(&h1, &r1);
	r->heap_kb = ((double)h1 - (double)h0) / 1024.0 / n;
	r->rss_kb = ((double)r1 - (double)r0) / 1024.0 / n;
	atomic_store(&g.counting, true);
	uint64_t w0, w1, c0 = bench_threads_sched_ns("tmedia-w", &w0), t0 = now_us();
	idle(q, seconds * 1000);
	uint64_t c1 = bench_threads_sched_ns("tmedia-w", &w1), t1 = now_us();
	r->wait_share = (double)(w1 - w0) / 1000.0 / (double)(t1 - t0);
	atomic_store(&g.counting, false);
	atomic_store(&g.sending, false);
	r->sent = atomic_load(&g.sent);
	r->recvd = atomic_load(&g.recvd);
	r->late = atomic_load(&g.late);
	r->late_dir[0] = atomic_load(&g.late_dir[0]);
	r->late_dir[1] = atomic_load(&g.late_dir[1]);
	r->recvd_dir[0] = atomic_load(&g.recvd_dir[0]);
	r->recvd_dir[1] = atomic_load(&g.recvd_dir[1]);
	r->cpu_share = (double)(c1 - c0) / 1000.0 / (double)(t1 - t0);
	for (int i = 0; i < n; i++)
		media_session_destroy(s[i]);
	free(s);
	gen_stop(&g);
	media_core_free(mc);
	tq_drain(q);
	tq_free(q);
}

/* ---- codec cost, single-threaded, through the module engines ---- */

struct codecs {
	const struct tandem_codec *op, *mu;
	unsigned och;
};

/* One call's four engines (A -> B: PCMU decode, Opus encode at 8 kHz;
 * B -> A: Opus decode to 8 kHz, PCMU encode). */
struct call_engines {
	struct tandem_codec_state *oe, *od, *me, *md;
};

static void engines_new(const struct codecs *c, struct call_engines *e)
{
	/* The fmtp B answers with (a browser's): FEC on, as in the calls. */
	if (c->op->engine->create(c->op, "useinbandfec=1", 8000, TANDEM_CODEC_ENCODE, &e->oe) ||
	    c->op->engine->create(c->op, NULL, 8000, TANDEM_CODEC_DECODE, &e->od) ||
	    c->mu->engine->create(c->mu, NULL, 8000, TANDEM_CODEC_ENCODE, &e->me) ||
	    c->mu->engine->create(c->mu, NULL, 8000, TANDEM_CODEC_DECODE, &e->md))
		bench_die("codec engines");
}

static void engines_free(const struct codecs *c, struct call_engines *e)
{
	c->op->engine->destroy(e->oe);
	c->op->engine->destroy(e->od);
	c->mu->engine->destroy(e->me);
	c->mu->engine->destroy(e->md);
}

/* One period of one call: what the transcoder's codecs do, nothing else. */
static void call_period(const struct codecs *c, struct call_engines *e, const struct gen *proto,
			unsigned k)
{
	int16_t pcm[5760 * 2], mono[160 * 2];
	uint8_t out[1500];

	c->mu->engine->decode(e->md, proto->ulaw, 160, mono, 160);
	if (c->och == 2) {
		for (int i = 159; i >= 0; i--)
			mono[2 * i] = mono[2 * i + 1] = mono[i];
	}
	c->op->engine->encode(e->oe, mono, 160, out, sizeof out);
	int n = c->op->engine->decode(e->od, proto->opus_pl[k % NOPUS], proto->opus_len[k % NOPUS],
				      pcm, 5760);
	if (n > 0 && c->och == 2)
		for (int i = 0; i < n; i++)
			pcm[i] = (int16_t)((pcm[2 * i] + pcm[2 * i + 1]) / 2);
	c->mu->engine->encode(e->me, pcm, 160, out, sizeof out);
}

/* Codec cost per call per 20 ms, us: with 'ncalls' calls' engines used in
 * turn, as a worker does (their states, ~62 kB a call for Opus, do not stay
 * in cache: that is the codec's cost too); ncalls = 1 is the hot figure. */
static double codec_us(const struct codecs *c, const struct gen *proto, int ncalls)
{
	struct call_engines *e = calloc((size_t)ncalls, sizeof *e);
	int periods = ncalls >= 300 ? 10 : 3000 / ncalls;

	if (!e)
		bench_die("calloc");
	for (int i = 0; i < ncalls; i++)
		engines_new(c, &e[i]);
	for (int i = 0; i < ncalls; i++)            /* warm up: past the codecs' start */
		for (unsigned k = 0; k < 5; k++)
			call_period(c, &e[i], proto, k);
	/* CPU time of this thread, like the worker's: time spent waiting for
	 * a CPU on a shared machine counts in neither. */
	struct timespec a, b;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
	for (int k = 0; k < periods; k++)
		for (int i = 0; i < ncalls; i++)
			call_period(c, &e[i], proto, (unsigned)k + 5);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
	double us = ((double)(b.tv_sec - a.tv_sec) * 1e6 + (double)(b.tv_nsec - a.tv_nsec) / 1e3) /
		    ((double)periods * ncalls);
	for (int i = 0; i < ncalls; i++)
		engines_free(c, &e[i]);
	free(e);
	return us;
}

/* B's stream: a 48 kHz 440 Hz tone, as a browser would send it; and A's
 * PCMU frame. */
static void make_streams(const struct codecs *c, struct gen *proto)
{
	struct tandem_codec_state *oe48;
	int16_t tone[960 * 2];

	if (c->op->engine->create(c->op, NULL, 48000, TANDEM_CODEC_ENCODE, &oe48))
		bench_die("opus encoder at 48 kHz");
	for (int k = 0; k < NOPUS; k++) {
		for (int i = 0; i < 960; i++)
			for (unsigned ch = 0; ch < c->och; ch++)
				tone[i * c->och + ch] =
					(int16_t)lrint(3000 * sin(2 * M_PI * 440 * (k * 960 + i) / 48000.0));
		int len = c->op->engine->encode(oe48, tone, 960, proto->opus_pl[k], sizeof proto->opus_pl[k]);
		if (len <= 0)
			bench_die("opus encode");
		proto->opus_len[k] = (size_t)len;
	}
	c->op->engine->destroy(oe48);
	for (int i = 0; i < 160; i++)
		proto->ulaw[i] = ulaw_of((int16_t)lrint(10000 * sin(2 * M_PI * i / 8.0)));
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_xcode [-n N1,N2,...] [-d SECONDS] [-w WORKERS] [-p PORTMIN] [-E]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int ns[MAXN] = { 100, 200, 300 }, nn = 3, seconds = 5, workers = 1, pmin = 61000, opt;
	bool events = true;

	while ((opt = getopt(argc, argv, "n:d:w:p:Eh")) != -1) {
		switch (opt) {
		case 'n': {
			nn = 0;
			for (char *t = strtok(optarg, ","); t && nn < MAXN; t = strtok(NULL, ","))
				ns[nn++] = atoi(t);
			break;
		}
		case 'd': seconds = atoi(optarg); break;
		case 'w': workers = atoi(optarg); break;
		case 'p': pmin = atoi(optarg); break;
		case 'E': events = false; break;
		default: usage();
		}
	}
	int nmax = 0;
	for (int i = 0; i < nn; i++)
		nmax = ns[i] > nmax ? ns[i] : nmax;
	if (!nn || nmax < 1 || seconds < 1 || workers < 1 || pmin < 1024 || pmin + nmax * 6 + 199 > 65535)
		usage();
	tlog_open("bench_xcode", true);
	tlog_set_level(TLOG_WARN);
	srandom((unsigned)time(NULL));

	const char *bd = getenv("builddir");
	char dir[PATH_MAX], err[512];
	static const char *const names[] = { "mod_g711", "mod_opus", NULL };
	tmodules_t *mods;
	snprintf(dir, sizeof dir, "%s/modules", bd && *bd ? bd : ".");
	if (tmodules_load(dir, names, &mods, err, sizeof err)) {
		fprintf(stderr, "bench_xcode: %s\n", err);
		printf("RESULT passed=0 failed=1\n");
		return 1;
	}
	static struct gen proto;
	struct codecs cod = { tmodules_find_codec(mods, "opus", 48000, 2),
			      tmodules_find_codec(mods, "PCMU", 8000, 1), 0 };
	if (!cod.op || !cod.mu)
		bench_die("mod_opus / mod_g711 not loaded");
	cod.och = tandem_codec_pcm_channels(cod.op);
	make_streams(&cod, &proto);
	struct tconf_interface ifc = {
		.name = "lo", .address = "127.0.0.1", .advertise = "127.0.0.1",
		.rtp_port_min = (uint16_t)pmin, .rtp_port_max = (uint16_t)(pmin + nmax * 6 + 199),
	};

	int nice = bench_nice(), rt = bench_rt();
	char prio[32];
	if (rt)
		snprintf(prio, sizeof prio, "SCHED_FIFO %d / nice %d", rt, nice);
	else
		snprintf(prio, sizeof prio, "nice %d", nice);
	printf("transcode bench: PCMU <-> Opus (opus/48000/2 with the module's defaults), %d s per run, "
	       "%d worker%s, B %s telephone-event, worker and generator at %s\n", seconds,
	       workers, workers == 1 ? "" : "s", events ? "with" : "without", prio);
	double hot = codec_us(&cod, &proto, 1);
	printf("codec cost per call per 20 ms (PCMU dec + Opus enc 8k, Opus dec 8k + PCMU enc), one "
	       "call, hot caches: %.1f us = %.2f %% of a core per call\n", hot, hot / 200.0);
	printf("%5s %6s %6s %6s %6s %6s %6s %6s %6s %6s %6s %6s %6s %6s %6s\n", "calls", "xcCPU%",
	       "wait%", "ptCPU%", "late%", "lateA", "lateB", "recv/s", "us/cl", "relay", "codec", "over",
	       "over%", "heapkB", "rsskB");
	bool ok = true;
	for (int i = 0; i < nn; i++) {
		struct result x, p;
		double cus = codec_us(&cod, &proto, ns[i]);
		run(mods, &ifc, ns[i], workers, seconds, true, events, &proto, nice, rt, &x);
		run(mods, &ifc, ns[i], workers, seconds, false, false, &proto, nice, rt, &p);
		/* per call, per 20 ms period, in us of worker CPU */
		double xc = x.cpu_share * 20000.0 / ns[i], pt = p.cpu_share * 20000.0 / ns[i];
		double over = xc - pt - cus, rv = x.recvd ? (double)x.recvd : 1;
		printf("%5d %6.1f %6.1f %6.1f %6.2f %6.2f %6.2f %6.3f %6.1f %6.1f %6.1f %6.1f %6.1f %6.1f "
		       "%6.1f%s%s\n", ns[i], x.cpu_share * 100, x.wait_share * 100, p.cpu_share * 100, 100.0 * (double)x.late / rv,
		       100.0 * (double)x.late_dir[0] / (x.recvd_dir[0] ? (double)x.recvd_dir[0] : 1),
		       100.0 * (double)x.late_dir[1] / (x.recvd_dir[1] ? (double)x.recvd_dir[1] : 1),
		       x.sent ? (double)x.recvd / (double)x.sent : 0, xc, pt, cus, over,
		       100.0 * over / cus, x.heap_kb, x.rss_kb,
		       x.transcoding == (unsigned)ns[i] ? "" : "  (not all transcoded!)",
		       (!nice && !rt) || (x.niced && p.niced) ? "" : "  (priority refused)");
		ok &= x.recvd > 0 && p.recvd > 0 && x.transcoding == (unsigned)ns[i];
	}
	printf("wait%%: the worker was runnable but waited for a CPU (other load on the machine); "
	       "late%%: frames received > 20 ms later than the stream's best (lateA: at the PCMU "
	       "phone, lateB: at the Opus phone, each of its own frames); us/cl: worker us per "
	       "call per 20 ms transcoded, relay: the same calls passed through, codec: the codecs "
	       "alone with as many calls' states in turn; over = us/cl - relay - codec, over%% of "
	       "codec (target <= 15); calls per core at 100%% = 20000 / us/cl; heapkB / rsskB: heap "
	       "in use / resident memory added per transcoded call (target <= 96 kB)\n");
	tmodules_free(mods);
	printf("RESULT passed=%d failed=%d\n", ok, !ok);
	return ok ? 0 : 1;
}
