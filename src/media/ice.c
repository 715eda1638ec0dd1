/* ice.c - ICE-lite responder (see ice.h). */
#include "config.h"

#include "media/ice.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>

#include "media/stun.h"

static int random_chars(char *out, size_t n)
{
	/* ice-char = ALPHA / DIGIT / "+" / "/" (RFC 8839) */
	static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char r[64];

	if (n > sizeof(r) || RAND_bytes(r, (int)n) != 1)
		return -EIO;
	for (size_t i = 0; i < n; i++)
		out[i] = set[r[i] & 63];
	out[n] = '\0';
	return 0;
}

int ice_lite_init(struct ice_lite *ice, uint64_t now_ms)
{
	memset(ice, 0, sizeof(*ice));
	if (random_chars(ice->lufrag, ICE_UFRAG_LEN) < 0 || random_chars(ice->lpwd, ICE_PWD_LEN) < 0)
		return -EIO;
	ice->last_ok_ms = now_ms;
	return 0;
}

void ice_lite_set_remote(struct ice_lite *ice, const char *ufrag, uint64_t now_ms)
{
	if (strcmp(ice->rufrag, ufrag) == 0)
		return;
	if (ice->rufrag[0]) {       /* restart */
		ice->have_selected = false;
		ice->nominated = false;
	}
	snprintf(ice->rufrag, sizeof(ice->rufrag), "%s", ufrag);
	ice->last_ok_ms = now_ms;
}

/* USERNAME must be exactly "<our ufrag>:<their ufrag>". */
static bool username_ok(const struct ice_lite *ice, const struct stun_msg *m)
{
	size_t l = strlen(ice->lufrag), r = strlen(ice->rufrag);

	if (!m->username || m->username_len != l + 1 + r)
		return false;
	if (memcmp(m->username, ice->lufrag, l) != 0 || m->username[l] != ':')
		return false;
	/* Before the peer's SDP is known, any peer ufrag is accepted. */
	return r == 0 || memcmp(m->username + l + 1, ice->rufrag, r) == 0;
}

int ice_lite_on_stun(struct ice_lite *ice, const uint8_t *buf, size_t len,
		     const na_addr_t *from, uint64_t now_ms,
		     uint8_t *resp, size_t respsz, unsigned *events)
{
	struct stun_msg m;

	*events = 0;
	if (len > STUN_MAX_MSG || stun_parse(buf, len, &m) < 0 ||
	    m.type != STUN_BINDING_REQUEST || m.unknown_required ||
	    !stun_fingerprint_ok(buf, len, &m) || !username_ok(ice, &m) ||
	    !stun_integrity_ok(buf, len, &m, ice->lpwd, strlen(ice->lpwd))) {
		ice->checks_ignored++;
		return 0;
	}
	int n = stun_binding_success(resp, respsz, m.tid, &from->sa, ice->lpwd, strlen(ice->lpwd));
	if (n < 0) {
		ice->checks_ignored++;
		return 0;
	}
	ice->checks_ok++;
	ice->last_ok_ms = now_ms;
	/* The controlling peer nominates; until it does, media follows the last
	 * source that checked. A nominated pair is only replaced by another
	 * nomination (peer-reflexive sources included). */
	bool take = m.use_candidate || !ice->nominated;
	if (take && (!ice->have_selected || !na_equal(&ice->selected, from))) {
		ice->selected = *from;
		ice->have_selected = true;
		*events |= ICE_EV_SELECTED;
	}
	if (m.use_candidate)
		ice->nominated = true;
	return n;
}

bool ice_lite_consent_expired(const struct ice_lite *ice, uint64_t now_ms, unsigned timeout_ms)
{
	return now_ms > ice->last_ok_ms && now_ms - ice->last_ok_ms >= timeout_ms;
}
