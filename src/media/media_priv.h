/* media_priv.h - the media core's internals shared by media_core.c (core,
 * workers, pools, stats) and session.c (the owner-side session). */
#ifndef TANDEM_MEDIA_MEDIA_PRIV_H
#define TANDEM_MEDIA_MEDIA_PRIV_H

#include <stdatomic.h>

#include "media/dtls.h"
#include "media/endpoint.h"
#include "media/media.h"
#include "media/media_quality.h"
#include "media/portpool.h"
#include "media/transcode_neg.h"
#include "media/worker.h"
#include "media/xpairs.h"

struct mc_iface {
	const struct tconf_interface *iface;   /* identity only: never dereferenced after new */
	char *name;
	struct mpool *pool;
};

struct media_core {
	unsigned nworkers;
	struct mworker **workers;
	atomic_uint rr;
	struct mc_iface *ifaces;
	size_t nifaces;
	atomic_uint sessions;
	/* One second of the milliwatt tone per law, shared read-only by workers. */
	uint8_t tone[2][TONE_TABLE_LEN];
	/* Codecs known (owner threads read it; set before any session). */
	struct xcat cat;
	atomic_uint transcoding, max_transcoded;
	unsigned rtcp_interval_ms;          /* own RTCP reports (conf, restart-only) */
	struct media_quality quality;       /* ended legs, for metrics */
	/* DTLS identity (generated at start or loaded), read-only for workers. */
	struct mdtls_cert *dtls;
	struct xpairs xpairs;               /* sessions transcoding, by codec pair */
};

/* The pool of an interface: matched by pointer into the snapshot the core was
 * made from, else by name. NULL if unknown. */
struct mpool *mcore_pool(media_core_t *mc, const struct tconf_interface *iface);
/* The worker for a new session: the least loaded, ties taken in turn. */
struct mworker *mcore_pick_worker(media_core_t *mc);
/* One transcoding slot: true if taken (under the cap), false at the cap. */
bool mcore_slot_take(media_core_t *mc);
void mcore_slot_give(media_core_t *mc);

#endif
