/* rtpload - RTP both ways for every call sipp sets up (tests/bench/cps.sh -m).
 *
 *   rtpload -a BASE:LOGFILE -b BASE:LOGFILE -n PACKETS [-S SLOTS] [-r READYFILE] [-v]
 *
 * Two sides: a (the callers) and b (the carrier). Each side binds SLOTS UDP
 * sockets on 127.0.0.1, at BASE, BASE + 4, BASE + 8, ... : sipp's
 * [auto_media_port+OFFSET] for call number N is -mp + OFFSET +
 * (4 * (N - 1)) % 10000, so with BASE = -mp + OFFSET and SLOTS = 2500 (the
 * default) call N always owns socket (N - 1) % SLOTS of its side. It follows
 * LOGFILE, the sipp log file (-trace_logs -log_file) the benchmark scenarios
 * write "CALLNUMBER IP PORT" to once a call is set up (the caller on the 200,
 * the carrier on the ACK): that starts a stream on the call's socket, PACKETS
 * RTP packets (PCMU, 160 bytes of payload, 172 in all) to IP:PORT, one every
 * 20 ms. Whatever arrives on a socket is counted for the call that owns it.
 * The sockets are bound before the calls start, so the benchmark can check
 * the ports are free first; READYFILE is written once they are bound.
 *
 * One thread, kept cheap so that tandemd gets the CPU: a 1 ms timerfd drives
 * a wheel of 20 one-millisecond buckets (a stream sends in the bucket it
 * started in, one send() on a connected socket per packet, paced at 20 ms);
 * what comes back is only counted, so each socket is read every 100 ms
 * (recvmmsg, ~5 datagrams a call) instead of at every arrival.
 *
 * On SIGTERM or SIGINT it prints one line and exits 0:
 *   a_calls=N a_tx=N a_sent=N a_recv=N a_short=N a_dead=N b_... late_max_ms=N
 *   late_pkts=N overlaps=N send_errs=N cpu_ms=N
 * a_recv counts what the callers received, i.e. what the carrier sent
 * through tandemd: the loss from b to a is 1 - a_recv / b_tx (a_tx: packets
 * the callers tried to send, a_sent: those send() took). a_short:
 * calls whose caller side received < 95% of PACKETS; a_dead: nothing at all.
 * late_pkts: packets sent more than 10 ms after their time (the generator
 * could not keep up); overlaps: a call started on a socket whose previous
 * call was still sending (more calls up at once than SLOTS); send_errs:
 * packets send() refused (after an ICMP error: tandemd's port had closed).
 * With -v, a line on stderr for each call that got < 95% (when it was first
 * and last read with something to read, relative to its first packet).
 * Exit 1 on usage errors, 2 when a socket cannot be bound or a file read.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define PKT_LEN      172
#define PERIOD_MS    20
#define MAX_SLOTS    2500
#define LATE_MS      10
#define SETTLE_MS    500             /* a finished stream's late packets */
#define READ_EVERY   5               /* periods between reads of a socket */
#define RX_BATCH     16
#define LINE_MAX_LEN 256

struct stream {
	int fd;
	unsigned call;              /* sipp call number, 0 = never used */
	struct sockaddr_in dst;
	int64_t due_ms;             /* next packet */
	int64_t start_ms, first_rx_ms, last_rx_ms;  /* rx: 0 = none yet */
	unsigned tx, sent, recv, npk;   /* tx: send attempts, sent: sent */
	uint32_t ssrc, ts;
	uint16_t seq;
	bool sending, counted;      /* counted: recv already in the totals */
	bool in_wheel;
	uint8_t side;
	uint8_t rxtick;
};

struct side {
	const char *name;
	uint16_t base;
	const char *log;
	int logfd;
	char line[LINE_MAX_LEN];
	size_t linelen;
	struct stream *s;           /* [slots] */
	unsigned long calls, tx, sent, recv, shrt, dead;
};

struct wheel {
	struct stream **v[PERIOD_MS];
	unsigned n[PERIOD_MS], cap[PERIOD_MS];
};

struct gen {
	struct side side[2];
	unsigned slots, npk;
	struct wheel w;
	int tfd;
	bool verbose;
	int64_t last_ms;            /* last wheel millisecond processed */
	int64_t late_max_ms;
	unsigned long late_pkts, overlaps, send_errs;
	uint8_t pkt[PKT_LEN];
	uint8_t rxbuf[RX_BATCH][256];
	struct iovec rxiov[RX_BATCH];
	struct mmsghdr rxmsg[RX_BATCH];
};

static volatile sig_atomic_t stop;

static void on_signal(int sig) { (void)sig; stop = 1; }

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int wheel_add(struct wheel *w, unsigned b, struct stream *s)
{
	if (w->n[b] == w->cap[b]) {
		unsigned cap = w->cap[b] ? w->cap[b] * 2 : 64;
		struct stream **v = realloc(w->v[b], cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		w->v[b] = v;
		w->cap[b] = cap;
	}
	w->v[b][w->n[b]++] = s;
	s->in_wheel = true;
	return 0;
}

static int bind_side(struct gen *g, struct side *sd, uint8_t idx)
{
	sd->s = calloc(g->slots, sizeof *sd->s);
	if (!sd->s)
		return -ENOMEM;
	for (unsigned i = 0; i < g->slots; i++) {
		struct stream *s = &sd->s[i];
		struct sockaddr_in sa = { .sin_family = AF_INET };
		unsigned port = sd->base + 4 * i;

		s->side = idx;
		s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (s->fd < 0)
			return -errno;
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sa.sin_port = htons((uint16_t)port);
		if (port > 65535 || bind(s->fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
			fprintf(stderr, "rtpload: side %s: cannot bind 127.0.0.1:%u: %s\n",
				sd->name, port, strerror(port > 65535 ? ERANGE : errno));
			return -EADDRINUSE;
		}
	}
	return 0;
}

/* Count what has arrived on the stream's socket. */
static void stream_drain(struct gen *g, struct stream *s)
{
	int n;
	do {
		n = recvmmsg(s->fd, g->rxmsg, RX_BATCH, MSG_DONTWAIT, NULL);
		if (n > 0 && g->verbose) {
			s->last_rx_ms = now_ms();
			if (!s->first_rx_ms)
				s->first_rx_ms = s->last_rx_ms;
		}
		for (int i = 0; i < n; i++) {
			if (g->rxmsg[i].msg_len >= 12 && (g->rxbuf[i][0] & 0xc0) == 0x80) {
				s->recv++;
				g->side[s->side].recv++;
			}
		}
	} while (n == RX_BATCH);
}

/* A stream's received count goes into its side's totals once: when the
 * stream has been quiet for SETTLE_MS, or when its socket's next call starts. */
static void stream_count(struct gen *g, struct stream *s)
{
	struct side *sd = &g->side[s->side];
	if (s->counted || !s->call)
		return;
	stream_drain(g, s);
	if (s->recv < g->npk * 95 / 100) {
		sd->shrt++;
		if (g->verbose)
			fprintf(stderr, "short: side %s call %u got %u of %u; first read %lld ms, last"
				" read %lld ms after its start, sent %u\n", sd->name, s->call, s->recv,
				g->npk, (long long)(s->first_rx_ms ? s->first_rx_ms - s->start_ms : -1),
				(long long)(s->last_rx_ms ? s->last_rx_ms - s->start_ms : -1), s->sent);
	}
	if (!s->recv)
		sd->dead++;
	s->counted = true;
	s->recv = 0;
}

static void stream_send(struct gen *g, struct stream *s, int64_t t)
{
	uint8_t *p = g->pkt;

	p[0] = 0x80;
	p[1] = 0;                   /* PCMU */
	p[2] = (uint8_t)(s->seq >> 8);
	p[3] = (uint8_t)s->seq;
	p[4] = (uint8_t)(s->ts >> 24);
	p[5] = (uint8_t)(s->ts >> 16);
	p[6] = (uint8_t)(s->ts >> 8);
	p[7] = (uint8_t)s->ts;
	p[8] = (uint8_t)(s->ssrc >> 24);
	p[9] = (uint8_t)(s->ssrc >> 16);
	p[10] = (uint8_t)(s->ssrc >> 8);
	p[11] = (uint8_t)s->ssrc;
	/* a connected socket reports an earlier ICMP error on the next send:
	 * that packet is not sent and counts as a send error */
	s->tx++;
	g->side[s->side].tx++;
	if (send(s->fd, p, PKT_LEN, 0) == PKT_LEN) {
		s->sent++;
		g->side[s->side].sent++;
	} else {
		g->send_errs++;
	}
	int64_t late = t - s->due_ms;
	if (late > g->late_max_ms)
		g->late_max_ms = late;
	if (late > LATE_MS)
		g->late_pkts++;
	s->seq++;
	s->ts += 160;
	s->due_ms += PERIOD_MS;
	if (s->tx >= s->npk)
		s->sending = false;
}

static void stream_start(struct gen *g, struct side *sd, unsigned call,
			 const char *ip, unsigned port)
{
	struct stream *s = &sd->s[(call - 1) % g->slots];
	int64_t t = now_ms();

	if (s->sending)
		g->overlaps++;
	stream_count(g, s);
	memset(&s->dst, 0, sizeof s->dst);
	s->dst.sin_family = AF_INET;
	s->dst.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, ip, &s->dst.sin_addr) != 1 || !port || port > 65535 ||
	    connect(s->fd, (struct sockaddr *)&s->dst, sizeof s->dst) < 0)
		return;
	s->call = call;
	s->tx = s->sent = 0;
	s->npk = g->npk;
	s->ssrc = (uint32_t)random();
	s->seq = (uint16_t)random();
	s->ts = (uint32_t)random();
	s->sending = s->npk > 0;
	s->counted = false;
	s->start_ms = t;
	s->first_rx_ms = s->last_rx_ms = 0;
	sd->calls++;
	if (s->in_wheel) {
		/* keeps its old bucket: next time that bucket comes round */
		int64_t d = (s->due_ms - t) % PERIOD_MS;
		s->due_ms = t + (d < 0 ? d + PERIOD_MS : d);
		return;
	}
	/* the first packet now; the bucket of this millisecond sends the rest */
	s->due_ms = t;
	if (wheel_add(&g->w, (unsigned)(t % PERIOD_MS), s) < 0)
		s->sending = false;
	else
		stream_send(g, s, t);
}

/* Lines "CALLNUMBER IP PORT" appended to the side's sipp log so far. */
static int follow_log(struct gen *g, struct side *sd)
{
	char buf[8192];
	ssize_t n;

	if (sd->logfd < 0) {
		sd->logfd = open(sd->log, O_RDONLY | O_CLOEXEC);
		if (sd->logfd < 0)
			return errno == ENOENT ? 0 : -errno;
	}
	while ((n = read(sd->logfd, buf, sizeof buf)) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				if (sd->linelen < sizeof sd->line - 1)
					sd->line[sd->linelen++] = buf[i];
				continue;
			}
			sd->line[sd->linelen] = '\0';
			sd->linelen = 0;
			unsigned call, port;
			char ip[INET_ADDRSTRLEN];
			if (sscanf(sd->line, "%u %15s %u", &call, ip, &port) == 3 && call)
				stream_start(g, sd, call, ip, port);
		}
	}
	return n < 0 ? -errno : 0;
}

/* Every stream of bucket b whose packet is due; streams done and settled
 * leave the wheel. */
static void run_bucket(struct gen *g, unsigned b, int64_t t)
{
	struct wheel *w = &g->w;
	for (unsigned i = 0; i < w->n[b];) {
		struct stream *s = w->v[b][i];
		if (s->sending && s->due_ms <= t)
			stream_send(g, s, t);
		if (++s->rxtick >= READ_EVERY) {
			s->rxtick = 0;
			stream_drain(g, s);
		}
		if (!s->sending && t - s->due_ms >= SETTLE_MS) {
			/* unconnected again: the socket's next call may start with
			 * packets from tandemd before its log line is read */
			struct sockaddr unspec = { .sa_family = AF_UNSPEC };
			stream_count(g, s);
			connect(s->fd, &unspec, sizeof unspec);
			s->in_wheel = false;
			w->v[b][i] = w->v[b][--w->n[b]];
			continue;
		}
		i++;
	}
}

/* Waits for the next millisecond tick, then runs the buckets due. */
static void on_tick(struct gen *g)
{
	uint64_t exp;
	if (read(g->tfd, &exp, sizeof exp) < 0)
		return;             /* EINTR: a signal, the loop checks it */
	int64_t t = now_ms();
	if (t - g->last_ms > PERIOD_MS)
		g->last_ms = t - PERIOD_MS;
	while (g->last_ms < t) {
		g->last_ms++;
		run_bucket(g, (unsigned)(g->last_ms % PERIOD_MS), t);
	}
}

static int run(struct gen *g)
{
	while (!stop) {
		for (int i = 0; i < 2; i++) {
			int rc = follow_log(g, &g->side[i]);
			if (rc < 0) {
				fprintf(stderr, "rtpload: %s: %s\n", g->side[i].log, strerror(-rc));
				return 2;
			}
		}
		on_tick(g);
	}
	return 0;
}

static int setup(struct gen *g, const char *ready)
{
	struct itimerspec its = { .it_interval.tv_nsec = 1000000, .it_value.tv_nsec = 1000000 };

	g->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (g->tfd < 0 || timerfd_settime(g->tfd, 0, &its, NULL) < 0) {
		perror("rtpload: setup");
		return 2;
	}
	for (unsigned i = 0; i < RX_BATCH; i++) {
		g->rxiov[i] = (struct iovec){ .iov_base = g->rxbuf[i], .iov_len = sizeof g->rxbuf[i] };
		g->rxmsg[i].msg_hdr.msg_iov = &g->rxiov[i];
		g->rxmsg[i].msg_hdr.msg_iovlen = 1;
	}
	for (uint8_t i = 0; i < 2; i++)
		if (bind_side(g, &g->side[i], i) < 0)
			return 2;
	g->last_ms = now_ms();
	if (ready) {
		FILE *f = fopen(ready, "w");
		if (!f || fputs("ready\n", f) < 0 || fclose(f) != 0) {
			perror(ready);
			return 2;
		}
	}
	return 0;
}

static void report(struct gen *g)
{
	struct rusage ru;

	for (int i = 0; i < 2; i++)
		for (unsigned j = 0; j < g->slots; j++)
			stream_count(g, &g->side[i].s[j]);
	getrusage(RUSAGE_SELF, &ru);
	long cpu_ms = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
		      (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
	for (int i = 0; i < 2; i++) {
		const struct side *sd = &g->side[i];
		printf("%s_calls=%lu %s_tx=%lu %s_sent=%lu %s_recv=%lu %s_short=%lu %s_dead=%lu ",
		       sd->name, sd->calls, sd->name, sd->tx, sd->name, sd->sent, sd->name,
		       sd->recv, sd->name, sd->shrt, sd->name, sd->dead);
	}
	printf("late_max_ms=%lld late_pkts=%lu overlaps=%lu send_errs=%lu cpu_ms=%ld\n",
	       (long long)g->late_max_ms, g->late_pkts, g->overlaps, g->send_errs, cpu_ms);
}

static int parse_side(struct side *sd, const char *name, char *arg)
{
	char *colon = strchr(arg, ':');
	char *end;
	if (!colon)
		return -EINVAL;
	*colon = '\0';
	unsigned long base = strtoul(arg, &end, 10);
	if (*end || base < 1024 || base > 65535 || !colon[1])
		return -EINVAL;
	sd->name = name;
	sd->base = (uint16_t)base;
	sd->log = colon + 1;
	sd->logfd = -1;
	return 0;
}

int main(int argc, char **argv)
{
	static struct gen g;
	const char *ready = NULL;
	int o;

	g.slots = MAX_SLOTS;
	g.npk = 250;
	while ((o = getopt(argc, argv, "a:b:n:S:r:v")) != -1) {
		switch (o) {
		case 'a':
		case 'b':
			if (parse_side(&g.side[o == 'b'], o == 'a' ? "a" : "b", optarg) < 0)
				goto usage;
			break;
		case 'n': g.npk = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'S': g.slots = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'r': ready = optarg; break;
		case 'v': g.verbose = true; break;
		default: goto usage;
		}
	}
	if (!g.side[0].log || !g.side[1].log || !g.slots || g.slots > MAX_SLOTS)
		goto usage;

	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	srandom((unsigned)getpid());
	memset(g.pkt, 0xff, sizeof g.pkt);  /* PCMU silence */
	int rc = setup(&g, ready);
	if (rc == 0)
		rc = run(&g);
	if (rc == 0)
		report(&g);
	return rc;
usage:
	fprintf(stderr, "usage: rtpload -a BASE:LOGFILE -b BASE:LOGFILE -n PACKETS"
		" [-S SLOTS] [-r READYFILE] [-v]\n");
	return 1;
}
