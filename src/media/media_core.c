/* media_core.c - the media core: workers, port pools, the milliwatt tables,
 * statistics. Sessions live in session.c. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "media/media_priv.h"

int media_core_new(const tconf_t *conf, unsigned nworkers, media_core_t **out)
{
	int rc = -ENOMEM;
	media_core_t *mc = calloc(1, sizeof *mc);

	*out = NULL;
	if (!mc)
		return -ENOMEM;
	if (!nworkers)
		nworkers = 1;
	endpoint_tone_tables(mc->tone[0], mc->tone[1]);
	xcat_build(&mc->cat, NULL);
	atomic_init(&mc->transcoding, 0);
	atomic_init(&mc->max_transcoded, conf->media.max_transcoded);
	xpairs_init(&mc->xpairs);
	mc->rtcp_interval_ms = conf->media.rtcp_interval;
	mc->ifaces = calloc(conf->ninterfaces ? conf->ninterfaces : 1, sizeof *mc->ifaces);
	mc->workers = calloc(nworkers, sizeof *mc->workers);
	if (!mc->ifaces || !mc->workers)
		goto fail;
	if ((rc = mdtls_cert_new(NULL, NULL, &mc->dtls)) < 0) {
		LOG_ERR("media: cannot generate the DTLS certificate");
		goto fail;
	}
	rc = -ENOMEM;
	for (size_t i = 0; i < conf->ninterfaces; i++) {
		const struct tconf_interface *ifc = &conf->interfaces[i];
		struct mc_iface *m = &mc->ifaces[mc->nifaces];
		m->iface = ifc;
		m->name = strdup(ifc->name ? ifc->name : "");
		if (!m->name)
			goto fail;
		mc->nifaces++;
		rc = mpool_new(ifc->name, ifc->address, ifc->advertise, ifc->rtp_port_min,
			       ifc->rtp_port_max, &m->pool);
		if (rc) {
			LOG_ERR("media: interface '%s': cannot make an RTP port pool (address '%s', ports %u-%u)",
				m->name, ifc->address ? ifc->address : "", ifc->rtp_port_min,
				ifc->rtp_port_max);
			goto fail;
		}
	}
	for (unsigned i = 0; i < nworkers; i++) {
		rc = mworker_start(i, &mc->workers[i]);
		if (rc)
			goto fail;
		mc->nworkers++;
	}
	LOG_INFO("media: %u worker%s, %zu interface%s; SRTP: %s", mc->nworkers, mc->nworkers == 1 ? "" : "s",
		 mc->nifaces, mc->nifaces == 1 ? "" : "s", msrtp_describe());
	*out = mc;
	return 0;
fail:
	media_core_free(mc);
	return rc;
}

void media_core_free(media_core_t *mc)
{
	if (!mc)
		return;
	unsigned left = atomic_load(&mc->sessions);
	if (left)
		LOG_ERR("media: core freed with %u session%s alive", left, left == 1 ? "" : "s");
	/* Workers first: queued removals run before the stop message, so every
	 * port is back in its pool before the pools go. */
	for (unsigned i = 0; i < mc->nworkers; i++)
		mworker_stop(mc->workers[i]);
	for (size_t i = 0; i < mc->nifaces; i++) {
		mpool_free(mc->ifaces[i].pool);
		free(mc->ifaces[i].name);
	}
	free(mc->ifaces);
	free(mc->workers);
	mdtls_cert_free(mc->dtls);
	xpairs_fini(&mc->xpairs);
	free(mc);
}

int media_core_set_dtls_cert(media_core_t *mc, const char *cert_file, const char *key_file)
{
	struct mdtls_cert *c;

	if (!cert_file || !key_file) {
		LOG_ERR("media: [media] dtls_cert and dtls_key go together: set both, or neither "
			"(a certificate is generated at start)");
		return -EINVAL;
	}
	int rc = mdtls_cert_new(cert_file, key_file, &c);
	if (rc < 0)
		return rc;
	mdtls_cert_free(mc->dtls);
	mc->dtls = c;
	LOG_INFO("media: DTLS certificate from %s, %s", cert_file, mdtls_cert_fingerprint(c));
	return 0;
}

void media_core_set_codecs(media_core_t *mc, const tmodules_t *mods)
{
	char list[256] = "";
	size_t used = 0;

	xcat_build(&mc->cat, mods);
	for (size_t i = 0; i < mc->cat.n && used < sizeof list; i++)
		if (xcat_engine(&mc->cat.c[i]))
			used += (size_t)snprintf(list + used, sizeof list - used, "%s%s/%u", used ? " " : "",
						 mc->cat.c[i].name, (unsigned)mc->cat.c[i].clock);
	if (list[0])
		LOG_INFO("media: can transcode %s", list);
	else
		LOG_INFO("media: no codec module with an engine: calls are relayed only");
}

void media_core_set_max_transcoded(media_core_t *mc, unsigned max)
{
	atomic_store(&mc->max_transcoded, max);
}

bool mcore_slot_take(media_core_t *mc)
{
	unsigned cur = atomic_load(&mc->transcoding);
	for (;;) {
		unsigned max = atomic_load(&mc->max_transcoded);
		if (max && cur >= max)
			return false;
		if (atomic_compare_exchange_weak(&mc->transcoding, &cur, cur + 1))
			return true;
	}
}

void mcore_slot_give(media_core_t *mc)
{
	atomic_fetch_sub(&mc->transcoding, 1);
}

void media_core_stats(media_core_t *mc, struct media_core_stats *out)
{
	memset(out, 0, sizeof *out);
	out->sessions = atomic_load(&mc->sessions);
	out->transcoding = atomic_load(&mc->transcoding);
	out->max_transcoded = atomic_load(&mc->max_transcoded);
	out->workers = mc->nworkers;
	for (size_t i = 0; i < mc->nifaces; i++) {
		unsigned used, total;
		mpool_counts(mc->ifaces[i].pool, &used, &total);
		out->ports_in_use += used;
		out->ports_total += total;
	}
	for (unsigned i = 0; i < mc->nworkers; i++) {
		struct mworker *w = mc->workers[i];
		out->packets_relayed += mw_get(&w->pkts_out);
		out->bytes_relayed += mw_get(&w->bytes_out);
		out->packets_dropped += mw_get(&w->dropped);
	}
}

size_t media_core_xpairs(media_core_t *mc, struct media_xpair *out, size_t max)
{
	return xpairs_snapshot(&mc->xpairs, out, max);
}

struct mpool *mcore_pool(media_core_t *mc, const struct tconf_interface *iface)
{
	if (!iface)
		return NULL;
	for (size_t i = 0; i < mc->nifaces; i++)
		if (mc->ifaces[i].iface == iface)
			return mc->ifaces[i].pool;
	for (size_t i = 0; i < mc->nifaces && iface->name; i++)
		if (strcmp(mc->ifaces[i].name, iface->name) == 0)
			return mc->ifaces[i].pool;
	return NULL;
}

struct mworker *mcore_pick_worker(media_core_t *mc)
{
	unsigned start = atomic_fetch_add(&mc->rr, 1) % mc->nworkers;
	struct mworker *best = mc->workers[start];

	for (unsigned n = 1; n < mc->nworkers; n++) {
		struct mworker *w = mc->workers[(start + n) % mc->nworkers];
		if (atomic_load(&w->load) < atomic_load(&best->load))
			best = w;
	}
	return best;
}
