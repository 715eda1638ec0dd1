/* mtest.c - see mtest.h. */
#include "config.h"
#include "mtest.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "media/rtp.h"

uint64_t mt_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void mt_owner_init(struct mt_owner *o)
{
	memset(o, 0, sizeof *o);
	o->q = tq_new();
	ck_assert_ptr_nonnull(o->q);
}

void mt_owner_fini(struct mt_owner *o)
{
	tq_free(o->q);
	o->q = NULL;
}

void mt_cb(media_session_t *s, const struct media_event *ev, void *arg)
{
	struct mt_owner *o = arg;
	o->calls++;
	if (o->nev < MT_MAX_EVENTS) {
		o->ev[o->nev].s = s;
		o->ev[o->nev].ev = *ev;
		o->nev++;
	}
}

void mt_pump(struct mt_owner *o, int ms)
{
	uint64_t end = mt_now_ms() + (uint64_t)ms;
	for (;;) {
		uint64_t now = mt_now_ms();
		int left = now >= end ? 0 : (int)(end - now);
		struct pollfd p = { .fd = tq_fd(o->q), .events = POLLIN };
		if (poll(&p, 1, left) > 0)
			tq_drain(o->q);
		if (left == 0)
			break;
	}
}

static int find_event(const struct mt_owner *o, int from, enum media_event_type type, int leg)
{
	for (int i = from; i < o->nev; i++)
		if (o->ev[i].ev.type == type && (leg < 0 || (int)o->ev[i].ev.leg == leg))
			return i;
	return -1;
}

int mt_wait_event(struct mt_owner *o, enum media_event_type type, int leg, int ms)
{
	uint64_t end = mt_now_ms() + (uint64_t)ms;
	int i;
	while ((i = find_event(o, 0, type, leg)) < 0 && mt_now_ms() < end)
		mt_pump(o, 20);
	return i;
}

int mt_count_events(const struct mt_owner *o, enum media_event_type type, int leg)
{
	int n = 0;
	for (int i = 0; i < o->nev; i++)
		if (o->ev[i].ev.type == type && (leg < 0 || (int)o->ev[i].ev.leg == leg))
			n++;
	return n;
}

void mt_conf_init(struct mt_conf *c, uint16_t min, uint16_t max)
{
	memset(c, 0, sizeof *c);
	c->ifc.name = "lo";
	c->ifc.address = "127.0.0.1";
	c->ifc.advertise = "127.0.0.1";
	c->ifc.sip_port = 5060;
	c->ifc.rtp_port_min = min;
	c->ifc.rtp_port_max = max;
	c->conf.interfaces = &c->ifc;
	c->conf.ninterfaces = 1;
}

static int bind_lo(uint16_t port, uint16_t *got)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	socklen_t sl = sizeof sa;

	ck_assert_int_ge(fd, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		close(fd);
		return -1;
	}
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	*got = ntohs(sa.sin_port);
	return fd;
}

void mt_phone_open(struct mt_phone *p)
{
	for (int tries = 0; tries < 200; tries++) {
		uint16_t port, p2;
		int a = bind_lo(0, &port);
		if (a < 0)
			continue;
		if (port & 1 || port == 65535) {
			close(a);
			continue;
		}
		int b = bind_lo((uint16_t)(port + 1), &p2);
		if (b < 0) {
			close(a);
			continue;
		}
		p->rtp = a;
		p->rtcp = b;
		p->port = port;
		return;
	}
	ck_abort_msg("cannot bind a phone");
}

void mt_phone_close(struct mt_phone *p)
{
	if (p->rtp > 0)
		close(p->rtp);
	if (p->rtcp > 0)
		close(p->rtcp);
	p->rtp = p->rtcp = -1;
}

const char *mt_sdp(uint16_t port, const char *fmts, const char *dir, unsigned version)
{
	static char buf[4][1024];
	static int turn;
	char *b = buf[turn++ % 4];
	char maps[512] = "";
	char tmp[16];
	const char *p = fmts;

	while (*p) {
		unsigned pt;
		int n;
		if (sscanf(p, "%u%n", &pt, &n) != 1)
			break;
		p += n;
		while (*p == ' ')
			p++;
		size_t used = strlen(maps);
		if (pt == 0)
			snprintf(maps + used, sizeof maps - used, "a=rtpmap:0 PCMU/8000\r\n");
		else if (pt == 8)
			snprintf(maps + used, sizeof maps - used, "a=rtpmap:8 PCMA/8000\r\n");
		else if (pt == 9)
			snprintf(maps + used, sizeof maps - used, "a=rtpmap:9 G722/8000\r\n");
		else if (pt == 101)
			snprintf(maps + used, sizeof maps - used,
				 "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n");
		else if (pt == 111)
			snprintf(maps + used, sizeof maps - used, "a=rtpmap:111 opus/48000/2\r\n");
		(void)tmp;
	}
	snprintf(b, sizeof buf[0],
		 "v=0\r\no=- 4242 %u IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
		 "m=audio %u RTP/AVP %s\r\n%sa=ptime:20\r\na=%s\r\n",
		 version, (unsigned)port, fmts, maps, dir);
	return b;
}

uint16_t mt_sdp_port(const char *sdp)
{
	const char *m = sdp ? strstr(sdp, "m=audio ") : NULL;
	unsigned port = 0;
	if (m)
		sscanf(m, "m=audio %u", &port);
	return (uint16_t)port;
}

void mt_send_raw(int fd, uint16_t to_port, const void *buf, size_t n)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(to_port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ssize_t r = sendto(fd, buf, n, 0, (struct sockaddr *)&sa, sizeof sa);
	ck_assert_int_eq(r, (ssize_t)n);
}

void mt_send_rtp(int fd, uint16_t to_port, uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc,
		 const uint8_t *payload, size_t n)
{
	uint8_t pkt[1500];
	ck_assert_uint_le(n, sizeof pkt - 12);
	rtp_write_hdr(pkt, pt, false, seq, ts, ssrc);
	if (n)
		memcpy(pkt + 12, payload, n);
	mt_send_raw(fd, to_port, pkt, n + 12);
}

int mt_recv(int fd, uint8_t *buf, size_t cap, int timeout_ms, uint16_t *from_port)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (poll(&p, 1, timeout_ms) <= 0)
		return -1;
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;
	ssize_t r = recvfrom(fd, buf, cap, MSG_DONTWAIT, (struct sockaddr *)&sa, &sl);
	if (r < 0)
		return -1;
	if (from_port)
		*from_port = ntohs(sa.sin_port);
	return (int)r;
}

int mt_drain(int fd)
{
	uint8_t buf[2048];
	int n = 0;
	while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) >= 0)
		n++;
	return n;
}

void mt_opts(struct media_session_opts *o, struct mt_conf *c, struct mt_owner *ow)
{
	memset(o, 0, sizeof *o);
	for (int i = 0; i < 2; i++) {
		o->leg[i].iface = &c->ifc;
		o->leg[i].latch = true;
	}
	o->latch_window = 2;
	o->owner_q = ow->q;
	o->cb = mt_cb;
	o->cb_arg = ow;
	o->label = "test";
}

void mt_call_setup(struct mt_call *c, media_core_t *mc, const struct media_session_opts *o)
{
	struct media_sdp out;

	memset(c, 0, sizeof *c);
	mt_phone_open(&c->a);
	mt_phone_open(&c->b);
	ck_assert_int_eq(media_session_new(mc, o, &c->s), 0);
	const char *sa = mt_sdp(c->a.port, "0 8 101", "sendrecv", 1);
	ck_assert_int_eq(media_session_offer(c->s, MEDIA_LEG_A, sa, strlen(sa), &out), 0);
	ck_assert_ptr_nonnull(out.sdp);
	ck_assert(out.is_offer);
	c->gb = mt_sdp_port(out.sdp);
	ck_assert_uint_ne(c->gb, 0);
	media_sdp_clear(&out);
	const char *sb = mt_sdp(c->b.port, "0 101", "sendrecv", 1);
	ck_assert_int_eq(media_session_answer(c->s, MEDIA_LEG_B, sb, strlen(sb), &out), 0);
	ck_assert_ptr_nonnull(out.sdp);
	ck_assert(!out.is_offer);
	c->ga = mt_sdp_port(out.sdp);
	ck_assert_uint_ne(c->ga, 0);
	ck_assert_uint_ne(c->ga, c->gb);
	media_sdp_clear(&out);
}

void mt_call_teardown(struct mt_call *c)
{
	media_session_destroy(c->s);
	c->s = NULL;
	mt_phone_close(&c->a);
	mt_phone_close(&c->b);
}

void mt_exchange(struct mt_call *c, struct mt_owner *ow, int n, int interval_ms,
		 int *got_at_b, int *got_at_a)
{
	uint8_t payload[160], buf[2048];
	int gb = 0, ga = 0;

	memset(payload, 0xd5, sizeof payload);
	for (int i = 0; i < n; i++) {
		mt_send_rtp(c->a.rtp, c->ga, 0, (uint16_t)(1000 + i), 160u * (unsigned)i, 0xaaaa0001,
			    payload, sizeof payload);
		mt_send_rtp(c->b.rtp, c->gb, 0, (uint16_t)(5000 + i), 160u * (unsigned)i, 0xbbbb0001,
			    payload, sizeof payload);
		uint64_t end = mt_now_ms() + (uint64_t)interval_ms;
		while (mt_now_ms() < end) {
			uint16_t from;
			if (mt_recv(c->b.rtp, buf, sizeof buf, 1, &from) > 0 && from == c->gb)
				gb++;
			if (mt_recv(c->a.rtp, buf, sizeof buf, 0, &from) > 0 && from == c->ga)
				ga++;
		}
		tq_drain(ow->q);
	}
	/* Stragglers. */
	uint64_t end = mt_now_ms() + 200;
	while (mt_now_ms() < end) {
		uint16_t from;
		if (mt_recv(c->b.rtp, buf, sizeof buf, 5, &from) > 0 && from == c->gb)
			gb++;
		if (mt_recv(c->a.rtp, buf, sizeof buf, 0, &from) > 0 && from == c->ga)
			ga++;
	}
	*got_at_b = gb;
	*got_at_a = ga;
}
