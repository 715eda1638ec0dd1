/* trunk_auth.c - see trunk_auth.h. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>

#include "core/log.h"
#include "sip/digest_client.h"
#include "sip/trunk_auth.h"

/* sofia keeps a challenge as its scheme and "name=value" parameters (values
 * still quoted): put the value back together for our parser. */
static int chal_of(msg_auth_t const *au, struct tdigest_chal *ch)
{
	char buf[1024];
	size_t off = 0;
	int n = snprintf(buf, sizeof buf, "%s ", au->au_scheme ? au->au_scheme : "");
	if (n < 0 || (size_t)n >= sizeof buf)
		return -E2BIG;
	off = (size_t)n;
	for (size_t i = 0; au->au_params && au->au_params[i]; i++) {
		n = snprintf(buf + off, sizeof buf - off, "%s%s", i ? ", " : "", au->au_params[i]);
		if (n < 0 || (size_t)n >= sizeof buf - off)
			return -E2BIG;
		off += (size_t)n;
	}
	return tdigest_chal_parse(buf, off, ch);
}

/* The best challenge in one list of headers for the trunk; -ENOENT if none. */
static int pick(const struct tconf_trunk *t, msg_auth_t const *au, struct tdigest_chal *best)
{
	struct tdigest_chal ch;
	int found = -ENOENT;
	for (; au; au = au->au_next) {
		if (chal_of(au, &ch) < 0)
			continue;
		if (t->realm && strcmp(t->realm, ch.realm))
			continue;
		if (found < 0 || tdigest_chal_better(&ch, best)) {
			*best = ch;
			found = 0;
		}
	}
	return found;
}

int trunk_auth_answer(const struct tconf_trunk *t, sip_t const *sip, const char *method,
		      const char *uri, unsigned answered, const char *who,
		      char *out, size_t len, bool *proxy)
{
	struct tdigest_chal ch;
	if (!t->username || !t->password) {
		LOG_WARN("%s: trunk %s asks for authentication: set username and password in its section",
			 who, t->name);
		return -EPERM;
	}
	*proxy = sip->sip_status && sip->sip_status->st_status == 407;
	msg_auth_t const *list = *proxy ? (msg_auth_t const *)sip->sip_proxy_authenticate
					: (msg_auth_t const *)sip->sip_www_authenticate;
	if (pick(t, list, &ch) < 0) {
		LOG_WARN("%s: trunk %s sent no digest challenge we can answer (MD5 or SHA-256, qop auth%s%s)",
			 who, t->name, t->realm ? ", realm " : "", t->realm ? t->realm : "");
		return -ENOENT;
	}
	/* challenged again after an answer: the credentials were refused, unless
	 * the nonce just went stale (then one more answer is due) */
	if (answered >= 2 || (answered && !ch.stale)) {
		LOG_ERR("%s: trunk %s refused our credentials (username %s, realm \"%s\"): "
			"check username and password of [%s]", who, t->name, t->username, ch.realm, t->name);
		return -EACCES;
	}
	unsigned char rnd[8];
	char cnonce[17];
	if (RAND_bytes(rnd, sizeof rnd) != 1)
		return -EIO;
	for (size_t i = 0; i < sizeof rnd; i++)
		snprintf(cnonce + 2 * i, 3, "%02x", rnd[i]);
	int rc = tdigest_answer(&ch, method, uri, t->username, t->password, cnonce, 1, out, len);
	if (rc < 0)
		return rc == -ENOSPC ? -ENOSPC : -ENOENT;
	LOG_INFO("%s: answering trunk %s's %s challenge (%s, realm \"%s\")%s", who, t->name,
		 *proxy ? "407" : "401", tdigest_alg_name(ch.alg, ch.sess), ch.realm,
		 ch.stale ? " again: its nonce went stale" : "");
	return 0;
}

int trunk_auth_nua_md5(const struct tconf_trunk *t, sip_t const *sip, char *out, size_t len)
{
	if (!t->username || !t->password)
		return -EPERM;
	bool proxy = sip->sip_status && sip->sip_status->st_status == 407;
	msg_auth_t const *au = proxy ? (msg_auth_t const *)sip->sip_proxy_authenticate
				     : (msg_auth_t const *)sip->sip_www_authenticate;
	struct tdigest_chal ch;
	for (; au; au = au->au_next) {
		if (chal_of(au, &ch) < 0 || ch.alg != TDIGEST_MD5 || ch.sess ||
		    (t->realm && strcmp(t->realm, ch.realm)))
			continue;
		int n = snprintf(out, len, "Digest:\"%s\":%s:%s", ch.realm, t->username, t->password);
		return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
	}
	return -ENOENT;
}
