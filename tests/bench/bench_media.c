/* bench_media - relay cost of the media core against a minimal relay.
 *
 *   bench_media [-n CALLS] [-d SECONDS] [-w WORKERS] [-p PORTMIN] [-S]
 *
 * -S: SDES-SRTP on both legs (RTP/SAVP, AES_CM_128_HMAC_SHA1_80): the phones
 * protect what they send, the core unprotects and protects again with the
 * other leg's keys (the minimal relay still forwards blindly).
 *
 * A generator thread plays 2 phones per call (one UDP socket each, 20 ms
 * pacing, 50 packets/s, 172-byte G.711 packets, sent with sendmmsg and
 * received with recvmmsg), both directions at once. The same load goes
 * through (a) the media core (sessions set up through the real API with SDP
 * offer/answer, latching on, timeouts on) and (b) a minimal relay written
 * here with the same socket layout (one socket per leg, epoll, recvfrom +
 * sendto, no checks at all), one after the other in the same run.
 *
 * Measured per relay, over the measurement window (after 1 s of warm-up):
 * CPU of the relay threads (/proc/self/task/TID/schedstat, "tmedia-w*" for
 * ours, "minrelay" for the minimal one) per relayed packet, loss (received by
 * the phones vs sent), and memory per call (RSS growth from before the calls
 * were set up to after the warm-up, divided by the number of calls).
 *
 * Prints a summary and "RESULT passed=1 failed=0" when both relays moved
 * packets (the targets are reported, not enforced: timing on a shared
 * machine is not a pass/fail matter).
 */
#include "config.h"

#include "benchutil.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
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

#include "core/log.h"
#include "core/queue.h"
#include "media/media.h"
#include "media/srtp.h"

#define PKT_LEN 172
#define TICK_US 2000                /* generator tick; 10 slots = 20 ms */
#define SLOTS 10
#define WARMUP_MS 1000

struct phone {
	int fd;
	uint16_t port;
	struct sockaddr_in dst;     /* the relay's socket for this leg */
	uint32_t ssrc, ts;
	uint16_t seq;
	struct msrtp *srtp;         /* -S: this phone's SRTP, NULL: plain */
};

static bool g_srtp;

struct call {
	struct phone p[2];          /* [0] caller side, [1] callee side */
};

struct gen {
	struct call *calls;
	int n;
	int epfd, tfd;
	pthread_t th;
	atomic_bool run, sending;
	/* Written by the generator thread only. */
	_Atomic uint64_t sent, recvd;
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- resource accounting ---- */

static long rss_bytes(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return rss * sysconf(_SC_PAGESIZE);
}

/* ---- generator ---- */

static void send_one(struct phone *p)
{
	uint8_t pkt[PKT_LEN + MSRTP_TRAILER];
	struct iovec iov = { pkt, PKT_LEN };
	struct mmsghdr m = { .msg_hdr = { .msg_name = &p->dst, .msg_namelen = sizeof p->dst,
					  .msg_iov = &iov, .msg_iovlen = 1 } };

	pkt[0] = 0x80;
	pkt[1] = 0;
	pkt[2] = (uint8_t)(p->seq >> 8);
	pkt[3] = (uint8_t)p->seq;
	for (int i = 0; i < 4; i++) {
		pkt[4 + i] = (uint8_t)(p->ts >> (24 - 8 * i));
		pkt[8 + i] = (uint8_t)(p->ssrc >> (24 - 8 * i));
	}
	memset(pkt + 12, 0xd5, PKT_LEN - 12);
	p->seq++;
	p->ts += 160;
	if (p->srtp && msrtp_protect(p->srtp, pkt, &iov.iov_len, sizeof pkt) < 0)
		return;
	(void)sendmmsg(p->fd, &m, 1, 0);
}

static void gen_tick(struct gen *g, uint64_t tick)
{
	unsigned slot = (unsigned)(tick % SLOTS);
	uint64_t n = 0;

	if (!atomic_load(&g->sending))
		return;
	for (int i = (int)slot; i < g->n; i += SLOTS) {
		send_one(&g->calls[i].p[0]);
		send_one(&g->calls[i].p[1]);
		n += 2;
	}
	atomic_store_explicit(&g->sent, atomic_load_explicit(&g->sent, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

static void gen_recv(struct gen *g, int fd)
{
	static uint8_t bufs[16][256];
	struct iovec iov[16];
	struct mmsghdr m[16];

	for (int i = 0; i < 16; i++) {
		iov[i] = (struct iovec){ bufs[i], sizeof bufs[i] };
		m[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
	}
	int r = recvmmsg(fd, m, 16, MSG_DONTWAIT, NULL);
	if (r > 0)
		atomic_store_explicit(&g->recvd,
				      atomic_load_explicit(&g->recvd, memory_order_relaxed) + (uint64_t)r,
				      memory_order_relaxed);
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
			if (ev[i].data.fd == g->tfd) {
				uint64_t exp = 0;
				if (read(g->tfd, &exp, sizeof exp) == sizeof exp)
					while (exp--)
						gen_tick(g, tick++);
			} else {
				gen_recv(g, ev[i].data.fd);
			}
		}
	}
	return NULL;
}

static void gen_start(struct gen *g, int ncalls)
{
	g->n = ncalls;
	g->calls = calloc((size_t)ncalls, sizeof *g->calls);
	g->epfd = epoll_create1(EPOLL_CLOEXEC);
	g->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (!g->calls || g->epfd < 0 || g->tfd < 0)
		bench_die("generator");
	struct itimerspec its = { { 0, TICK_US * 1000 }, { 0, TICK_US * 1000 } };
	timerfd_settime(g->tfd, 0, &its, NULL);
	struct epoll_event e = { .events = EPOLLIN, .data.fd = g->tfd };
	epoll_ctl(g->epfd, EPOLL_CTL_ADD, g->tfd, &e);
	for (int i = 0; i < ncalls; i++)
		for (int k = 0; k < 2; k++) {
			struct phone *p = &g->calls[i].p[k];
			p->fd = bench_udp_lo(&p->port);
			e.data.fd = p->fd;
			epoll_ctl(g->epfd, EPOLL_CTL_ADD, p->fd, &e);
		}
	atomic_store(&g->run, true);
	if (pthread_create(&g->th, NULL, gen_main, g))
		bench_die("pthread_create");
}

static void gen_stop(struct gen *g)
{
	atomic_store(&g->run, false);
	pthread_join(g->th, NULL);
	for (int i = 0; i < g->n; i++)
		for (int k = 0; k < 2; k++) {
			close(g->calls[i].p[k].fd);
			msrtp_free(g->calls[i].p[k].srtp);
		}
	close(g->tfd);
	close(g->epfd);
	free(g->calls);
}

static void gen_new_streams(struct gen *g)
{
	for (int i = 0; i < g->n; i++)
		for (int k = 0; k < 2; k++) {
			struct phone *p = &g->calls[i].p[k];
			p->ssrc = (uint32_t)random();
			p->seq = (uint16_t)random();
			p->ts = (uint32_t)random();
		}
}

/* ---- the minimal relay ---- */

struct minrelay {
	int n;                      /* sockets: 2 per call */
	int *fd;
	int *out;                   /* index of the socket to send from */
	struct sockaddr_in *to;     /* where that goes */
	int epfd;
	pthread_t th;
	atomic_bool run;
};

static void *minrelay_main(void *arg)
{
	struct minrelay *r = arg;
	struct epoll_event ev[256];
	uint8_t buf[2048];

	pthread_setname_np(pthread_self(), "minrelay");
	while (atomic_load(&r->run)) {
		int n = epoll_wait(r->epfd, ev, 256, 100);
		for (int i = 0; i < n; i++) {
			int k = ev[i].data.u32;
			ssize_t len = recvfrom(r->fd[k], buf, sizeof buf, MSG_DONTWAIT, NULL, NULL);
			if (len > 0)
				(void)sendto(r->fd[r->out[k]], buf, (size_t)len, 0,
					     (struct sockaddr *)&r->to[k], sizeof r->to[k]);
		}
	}
	return NULL;
}

static void minrelay_start(struct minrelay *r, struct gen *g)
{
	r->n = 2 * g->n;
	r->fd = calloc((size_t)r->n, sizeof *r->fd);
	r->out = calloc((size_t)r->n, sizeof *r->out);
	r->to = calloc((size_t)r->n, sizeof *r->to);
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!r->fd || !r->out || !r->to || r->epfd < 0)
		bench_die("minrelay");
	for (int i = 0; i < g->n; i++) {
		for (int k = 0; k < 2; k++) {
			uint16_t port;
			int idx = 2 * i + k;
			r->fd[idx] = bench_udp_lo(&port);
			bench_lo_addr(&g->calls[i].p[k].dst, port);
			/* What arrives from phone k leaves from the other leg's
			 * socket toward the other phone. */
			r->out[idx] = 2 * i + !k;
			bench_lo_addr(&r->to[idx], g->calls[i].p[!k].port);
			struct epoll_event e = { .events = EPOLLIN, .data.u32 = (uint32_t)idx };
			epoll_ctl(r->epfd, EPOLL_CTL_ADD, r->fd[idx], &e);
		}
	}
	atomic_store(&r->run, true);
	if (pthread_create(&r->th, NULL, minrelay_main, r))
		bench_die("pthread_create");
}

static void minrelay_stop(struct minrelay *r)
{
	atomic_store(&r->run, false);
	pthread_join(r->th, NULL);
	for (int i = 0; i < r->n; i++)
		close(r->fd[i]);
	close(r->epfd);
	free(r->fd);
	free(r->out);
	free(r->to);
}

/* ---- the media core ---- */

/* crypto: -S, the phone's own a=crypto value ("" for plain). */
static const char *phone_sdp(uint16_t port, const char *crypto)
{
	static char buf[512];
	snprintf(buf, sizeof buf,
		 "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
		 "m=audio %u RTP/%sAVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
		 "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\n%s%s%s",
		 (unsigned)port, crypto[0] ? "S" : "", crypto[0] ? "a=crypto:" : "", crypto,
		 crypto[0] ? "\r\n" : "");
	return buf;
}

/* -S: a phone's key as an a=crypto value (tag 1, AES_CM_128_HMAC_SHA1_80). */
static const char *phone_key(struct msrtp_keys *k, char *line, size_t n)
{
	struct msrtp_crypto c = { .tag = 1 };
	line[0] = '\0';
	if (!g_srtp)
		return line;
	if (msrtp_keys_random(MSRTP_AES_CM_128_HMAC_SHA1_80, &c.keys) < 0 ||
	    msrtp_crypto_format(&c, line, n) < 0)
		bench_die("SRTP key");
	*k = c.keys;
	return line;
}

/* -S: the gateway's key toward a phone (tag 1 in the SDP it sent), and the
 * phone's SRTP from it. */
static void phone_srtp(struct phone *p, const struct msrtp_keys *own, const char *gw_sdp)
{
	struct msrtp_crypto gw;
	const char *l = strstr(gw_sdp, "a=crypto:1 ");
	if (!g_srtp)
		return;
	if (!l || msrtp_crypto_parse(l + 9, strcspn(l + 9, "\r\n"), &gw) < 0 ||
	    msrtp_new(own, &gw.keys, &p->srtp) < 0)
		bench_die("the gateway's a=crypto");
}

static media_session_t **ours_setup(media_core_t *mc, struct gen *g,
				    const struct tconf_interface *ifc, tq_t *q)
{
	media_session_t **s = calloc((size_t)g->n, sizeof *s);
	struct media_session_opts o = { .rtp_timeout = 60, .hold_timeout = 600,
					.latch_window = 5, .owner_q = q, .label = "bench" };
	struct media_sdp out;

	if (!s)
		bench_die("calloc");
	for (int k = 0; k < 2; k++) {
		o.leg[k].iface = ifc;
		o.leg[k].latch = true;
		o.leg[k].security = g_srtp ? MEDIA_SEC_SDES : MEDIA_SEC_OPTIONAL;
	}
	for (int i = 0; i < g->n; i++) {
		struct call *c = &g->calls[i];
		const char *sdp;
		struct msrtp_keys ka, kb;
		char line[128];
		int rc = media_session_new(mc, &o, &s[i]);
		if (rc) {
			errno = -rc;
			bench_die("media_session_new (port range too small for -n?)");
		}
		sdp = phone_sdp(c->p[0].port, phone_key(&ka, line, sizeof line));
		if (media_session_offer(s[i], MEDIA_LEG_A, sdp, strlen(sdp), &out))
			bench_die("media_session_offer");
		bench_lo_addr(&c->p[1].dst, bench_sdp_port(out.sdp));
		sdp = phone_sdp(c->p[1].port, phone_key(&kb, line, sizeof line));
		phone_srtp(&c->p[1], &kb, out.sdp);
		media_sdp_clear(&out);
		if (media_session_answer(s[i], MEDIA_LEG_B, sdp, strlen(sdp), &out))
			bench_die("media_session_answer");
		bench_lo_addr(&c->p[0].dst, bench_sdp_port(out.sdp));
		phone_srtp(&c->p[0], &ka, out.sdp);
		media_sdp_clear(&out);
	}
	return s;
}

/* ---- one measured run ---- */

struct result {
	uint64_t sent, relayed;
	double cpu_us_per_pkt, cpu_share, loss, mem_per_call;
};

/* Sleep 'ms' while draining the owner queue (events of our sessions). */
static void idle(tq_t *q, int ms)
{
	uint64_t end = now_ms() + (uint64_t)ms;
	while (now_ms() < end) {
		usleep(50000);
		if (q)
			tq_drain(q);
	}
}

static void measure(struct gen *g, const char *threads, int seconds, long rss0, tq_t *q,
		    struct result *r)
{
	gen_new_streams(g);
	atomic_store(&g->sending, true);
	idle(q, WARMUP_MS);
	long rss1 = rss_bytes();
	uint64_t c0 = bench_threads_cpu_ns(threads), t0 = now_ms();
	uint64_t s0 = atomic_load(&g->sent), r0 = atomic_load(&g->recvd);
	idle(q, seconds * 1000);
	uint64_t c1 = bench_threads_cpu_ns(threads), t1 = now_ms();
	uint64_t s1 = atomic_load(&g->sent), r1 = atomic_load(&g->recvd);
	atomic_store(&g->sending, false);
	idle(q, 300);                       /* let the last packets land */

	r->sent = s1 - s0;
	r->relayed = r1 - r0;
	r->cpu_us_per_pkt = r->relayed ? (double)(c1 - c0) / 1000.0 / (double)r->relayed : 0;
	r->cpu_share = t1 > t0 ? (double)(c1 - c0) / 1e6 / (double)(t1 - t0) : 0;
	r->loss = r->sent ? 1.0 - (double)r->relayed / (double)r->sent : 1;
	if (r->loss < 0)
		r->loss = 0;
	r->mem_per_call = (double)(rss1 - rss0) / g->n;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_media [-n CALLS] [-d SECONDS] [-w WORKERS] [-p PORTMIN] [-S]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int ncalls = 300, seconds = 10, workers = 1, pmin = 40000, opt;

	while ((opt = getopt(argc, argv, "n:d:w:p:Sh")) != -1) {
		switch (opt) {
		case 'n': ncalls = atoi(optarg); break;
		case 'd': seconds = atoi(optarg); break;
		case 'w': workers = atoi(optarg); break;
		case 'p': pmin = atoi(optarg); break;
		case 'S': g_srtp = true; break;
		default: usage();
		}
	}
	/* the pool needs about 4 ports per call plus headroom below 65536 */
	if (ncalls < 1 || seconds < 1 || workers < 1 || pmin < 1024 || pmin + ncalls * 4 + 200 > 65535)
		usage();
	tlog_open("bench_media", true);
	tlog_set_level(TLOG_WARN);
	srandom((unsigned)time(NULL));

	struct gen g = { 0 };
	gen_start(&g, ncalls);

	/* (a) the media core. */
	struct tconf_interface ifc = {
		.name = "lo", .address = "127.0.0.1", .advertise = "127.0.0.1",
		.rtp_port_min = (uint16_t)pmin,
		/* 4 ports a call, and room for the phones' ephemeral ports that
		 * land in the range (the pool skips them). */
		.rtp_port_max = (uint16_t)(pmin + ncalls * 6 + 199 > 65535 ? 65535 : pmin + ncalls * 6 + 199),
	};
	tconf_t conf = { .interfaces = &ifc, .ninterfaces = 1 };
	media_core_t *mc;
	tq_t *q = tq_new();
	if (!q || media_core_new(&conf, (unsigned)workers, &mc))
		bench_die("media_core_new");
	long rss0 = rss_bytes();
	media_session_t **s = ours_setup(mc, &g, &ifc, q);
	struct result ours, mini;
	measure(&g, "tmedia-w", seconds, rss0, q, &ours);
	struct media_core_stats cs;
	media_core_stats(mc, &cs);
	for (int i = 0; i < ncalls; i++)
		media_session_destroy(s[i]);
	free(s);
	media_core_free(mc);
	tq_drain(q);
	tq_free(q);

	/* (b) the minimal relay, same load. */
	struct minrelay mr = { 0 };
	rss0 = rss_bytes();
	minrelay_start(&mr, &g);
	measure(&g, "minrelay", seconds, rss0, NULL, &mini);
	minrelay_stop(&mr);
	gen_stop(&g);

	double ratio = mini.cpu_us_per_pkt > 0 ? ours.cpu_us_per_pkt / mini.cpu_us_per_pkt : 0;
	printf("media bench: %d calls, both directions, 50 pps per leg (%d pps relayed), "
	       "%d s measured per relay, %d worker%s%s\n",
	       ncalls, ncalls * 100, seconds, workers, workers == 1 ? "" : "s",
	       g_srtp ? ", SDES-SRTP both legs (the minimal relay forwards it blindly)" : "");
	printf("%-26s %14s %14s\n", "", "tandem", "minimal");
	printf("%-26s %14llu %14llu\n", "packets sent", (unsigned long long)ours.sent,
	       (unsigned long long)mini.sent);
	printf("%-26s %14llu %14llu\n", "packets relayed", (unsigned long long)ours.relayed,
	       (unsigned long long)mini.relayed);
	printf("%-26s %13.3f%% %13.3f%%\n", "loss", ours.loss * 100, mini.loss * 100);
	printf("%-26s %14.2f %14.2f\n", "relay CPU us/packet", ours.cpu_us_per_pkt,
	       mini.cpu_us_per_pkt);
	printf("%-26s %13.1f%% %13.1f%%\n", "relay CPU (one core)", ours.cpu_share * 100,
	       mini.cpu_share * 100);
	printf("%-26s %14.0f %14.0f\n", "memory per call (bytes)", ours.mem_per_call,
	       mini.mem_per_call);
	printf("CPU ratio tandem/minimal: %.2f (target <= 1.30)%s\n", ratio,
	       ratio > 1.30 ? "  ABOVE TARGET" : "");
	printf("memory per call: %.1f kB (target <= 32 kB)%s\n", ours.mem_per_call / 1024,
	       ours.mem_per_call > 32 * 1024 ? "  ABOVE TARGET" : "");
	printf("core counters: relayed %llu, dropped %llu\n",
	       (unsigned long long)cs.packets_relayed, (unsigned long long)cs.packets_dropped);
	bool ok = ours.relayed > 0 && mini.relayed > 0;
	printf("RESULT passed=%d failed=%d\n", ok, !ok);
	return ok ? 0 : 1;
}
