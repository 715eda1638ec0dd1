/* dtmf_info.h - the media side of DTMF by SIP INFO, for a leg that wants it
 * (media_leg_opts.dtmf_info, a trunk's "dtmf = info").
 *
 * Toward that leg: the other leg's RFC 4733 events are not sent (the plan
 * maps their payload types to RM_INFO, dinfo_plan); the end of each event
 * (its first end packet; the retransmitted ends are recognised by their
 * timestamp) is queued and reported to the owner as MEDIA_EV_DTMF on the
 * INFO leg, with the event's duration, from the notify callback (rsess.c),
 * never from the packet loop. In-band digits are left in the audio, except
 * on a transcoded call that detects them (dtmf_iw.h) because the INFO leg
 * took telephone-event: those are reported the same way (rmap.ev_info).
 *
 * From that leg: a digit the call core got in an INFO (media_session_dtmf)
 * is sent to the other leg as RFC 4733 events in its telephone-event: a
 * start packet (marker), an update every 50 ms, three end packets, in the
 * stream that leg already receives (its SSRC, the next sequence numbers, a
 * start timestamp that continues its clock). A leg without telephone-event
 * does not get it. A digit arriving while one is sent ends that one first.
 *
 * Worker thread, except dinfo_plan (owner). The state lives in the session
 * (struct rsess.di); its timer is made on the first digit and freed by
 * dinfo_stop().
 */
#ifndef TANDEM_MEDIA_DTMF_INFO_H
#define TANDEM_MEDIA_DTMF_INFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DINFO_QUEUE 8               /* digits waiting for the notify callback */
#define DINFO_UPDATE_MS 50
#define DINFO_MIN_MS 40
#define DINFO_MAX_MS 5000

struct event;
struct rleg;
struct rmap;
struct rsess;
struct xleg;

struct dinfo {
	/* RFC 4733 -> INFO */
	bool have_end[2];               /* by incoming leg */
	uint32_t end_ts[2];
	struct { char digit; uint8_t leg; uint16_t dur_ms; } q[DINFO_QUEUE];
	unsigned qn;
	uint64_t dropped;               /* queue full */
	/* INFO -> RFC 4733 */
	bool busy;
	int to;                         /* the leg the events go to */
	uint8_t code, pt;
	uint32_t rate, ts, dur_ticks, dur_ms;
	uint64_t t0_ms;
	struct event *ev;
};

/* Owner: events from leg 'in' go to a leg that wants INFO: every
 * telephone-event payload type 'in' may send becomes RM_INFO in 'm' (the
 * plan for packets from 'in'), with its clock in m->ev_in. */
void dinfo_plan(const struct xleg *in, struct rmap *m);

/* Worker: a digit for INFO leg 'to' (queued for the notify callback). */
void dinfo_queue(struct rsess *s, int to, char digit, unsigned dur_ms);
/* Worker: an RFC 4733 payload from leg 'in' (RM_INFO) at clock 'rate'. */
void dinfo_event(struct rleg *in, const uint8_t *payload, size_t len, uint32_t ts, uint32_t rate);
/* Worker, from the notify callback: report the queued digits. */
void dinfo_flush(struct rsess *s);
/* Worker: a digit that came as INFO on leg 'from'. */
void dinfo_inject(struct rsess *s, int from, char digit, unsigned dur_ms);
/* Worker: the session goes away. */
void dinfo_stop(struct rsess *s);

#endif
