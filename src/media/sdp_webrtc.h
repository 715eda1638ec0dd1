/* sdp_webrtc.h - the SDP a secure or WebRTC leg needs beyond the common
 * model (sdp.h): reading a=crypto, a=mid and a=group:BUNDLE from a remote
 * SDP, and decorating the SDP the gateway prints for a leg with its
 * transport: profile, a=crypto, a=fingerprint/a=setup, ICE-lite
 * credentials and candidate, rtcp-mux, a=mid and a=group:BUNDLE.
 *
 * Pure functions over (buf, len); the remote parser is fuzzed
 * (tests/fuzz/fuzz_sdp_webrtc.c). It runs only on SDP msdp_parse() already
 * accepted (never hand raw SDP to sofia directly: see sdp.h), but checks its
 * own bounds anyway. Decorated SDP is malloc'd, owned by the caller.
 */
#ifndef TANDEM_MEDIA_SDP_WEBRTC_H
#define TANDEM_MEDIA_SDP_WEBRTC_H

#include <stdbool.h>
#include <stddef.h>

#define WSDP_MAX_CRYPTO 4

/* Transport attributes of one m= section (and the session level). */
struct wsdp_remote {
	char crypto[WSDP_MAX_CRYPTO][128];  /* a=crypto values, in order */
	size_t ncrypto;
	char mid[32];                       /* a=mid, "" when absent */
	bool bundle;                        /* a=group:BUNDLE lists this mid */
	bool ice_lite;                      /* the peer is ICE-lite itself */
};

/* Read the transport attributes of m= section 'idx' (0-based) of an SDP.
 * Lines that do not fit are skipped. Returns 0, -EINVAL when there is no
 * such section. */
int wsdp_remote_parse(const char *sdp, size_t len, int idx, struct wsdp_remote *out);

/* What the gateway adds to the SDP it sends on a leg. NULL/"" fields are
 * left out. */
struct wsdp_local {
	const char *proto;                  /* m= profile of the active section */
	const char *crypto[WSDP_MAX_CRYPTO];/* a=crypto values */
	const char *fingerprint;            /* "sha-256 AB:..." */
	const char *setup;                  /* "actpass", "passive", "active" */
	const char *ice_ufrag, *ice_pwd;    /* with a=ice-lite at session level */
	const char *cand_addr;              /* host candidate address and port */
	unsigned cand_port;
	bool rtcp_mux;
	const char *mid;                    /* a=mid; with bundle a=group:BUNDLE */
	bool bundle;
};

/* Decorate 'sdp' (as msdp_anchor prints it: CRLF lines, one active m=
 * section, the others with port 0): the active section gets w->proto and
 * the attributes, the session level a=ice-lite and a=group:BUNDLE. Returns
 * a malloc'd string (length in *outlen), or NULL on ENOMEM. An SDP with no
 * active m= section (a refusal) gets only the session-level lines. */
char *wsdp_decorate(const char *sdp, size_t len, const struct wsdp_local *w, size_t *outlen);

#endif
