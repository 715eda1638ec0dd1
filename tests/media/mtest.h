/* mtest.h - helpers for the media-plane tests: an owner-side event loop over
 * a tq_t, fake phones (real UDP sockets on 127.0.0.1), SDP text for them,
 * RTP packets, and a hand-built configuration snapshot. */
#ifndef TANDEM_TESTS_MEDIA_MTEST_H
#define TANDEM_TESTS_MEDIA_MTEST_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/queue.h"
#include "media/media.h"

#define MT_MAX_EVENTS 256

/* The owner thread's side: the test thread drains the queue itself. */
struct mt_owner {
	tq_t *q;
	struct {
		media_session_t *s;
		struct media_event ev;
	} ev[MT_MAX_EVENTS];
	int nev;
	int calls;                  /* callbacks run */
};

void mt_owner_init(struct mt_owner *o);
void mt_owner_fini(struct mt_owner *o);
void mt_cb(media_session_t *s, const struct media_event *ev, void *arg);
/* Run the owner queue for 'ms' milliseconds. */
void mt_pump(struct mt_owner *o, int ms);
/* Pump until an event of 'type' on 'leg' (-1: any) arrives; its index or -1. */
int mt_wait_event(struct mt_owner *o, enum media_event_type type, int leg, int ms);
int mt_count_events(const struct mt_owner *o, enum media_event_type type, int leg);

/* A hand-built snapshot with one interface on 127.0.0.1. */
struct mt_conf {
	struct tconf_interface ifc;
	tconf_t conf;
};
void mt_conf_init(struct mt_conf *c, uint16_t min, uint16_t max);

/* A phone: RTP socket on an even port, RTCP on port+1, both on 127.0.0.1. */
struct mt_phone {
	int rtp, rtcp;
	uint16_t port;
};
void mt_phone_open(struct mt_phone *p);
void mt_phone_close(struct mt_phone *p);

/* SDP of a phone at 'port': 'fmts' like "0 8 101", 'dir' like "sendrecv".
 * Returns a static buffer (one per call site is enough). */
const char *mt_sdp(uint16_t port, const char *fmts, const char *dir, unsigned version);
/* The port of the first m= line and the c= address (may be NULL). */
uint16_t mt_sdp_port(const char *sdp);

void mt_send_rtp(int fd, uint16_t to_port, uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc,
		 const uint8_t *payload, size_t n);
void mt_send_raw(int fd, uint16_t to_port, const void *buf, size_t n);
/* Receive one datagram within timeout_ms; length or -1. */
int mt_recv(int fd, uint8_t *buf, size_t cap, int timeout_ms, uint16_t *from_port);
/* Discard everything queued on fd. */
int mt_drain(int fd);

/* A relayed call between two phones through one session. */
struct mt_call {
	media_session_t *s;
	struct mt_phone a, b;
	uint16_t ga, gb;            /* gateway RTP ports facing A and B */
};
/* Fill default session options (both legs on the interface, latch on). */
void mt_opts(struct media_session_opts *o, struct mt_conf *c, struct mt_owner *ow);
/* Open phones, create the session, run offer (A) / answer (B). */
void mt_call_setup(struct mt_call *c, media_core_t *mc, const struct media_session_opts *o);
void mt_call_teardown(struct mt_call *c);

/* Send n packets each way at 'interval_ms' and count what arrives at the
 * other phone. */
void mt_exchange(struct mt_call *c, struct mt_owner *ow, int n, int interval_ms,
		 int *got_at_b, int *got_at_a);

uint64_t mt_now_ms(void);

#endif
