/* srtp.c - SRTP/SRTCP on libsrtp2 and SDES a=crypto (see srtp.h). */
#include "config.h"

#include "media/srtp.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <srtp2/srtp.h>

#ifndef TANDEM_SRTP_BACKEND             /* from configure; not in the fuzz builds */
#define TANDEM_SRTP_BACKEND "unknown"
#endif

struct msrtp {
	srtp_t tx, rx;
};

static const struct {
	enum msrtp_suite suite;
	const char *name;
	size_t key_len;
} suites[] = {
	{ MSRTP_AES_CM_128_HMAC_SHA1_80, "AES_CM_128_HMAC_SHA1_80", 30 },
	{ MSRTP_AEAD_AES_128_GCM, "AEAD_AES_128_GCM", 28 },
};

size_t msrtp_key_len(enum msrtp_suite s)
{
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		if (suites[i].suite == s)
			return suites[i].key_len;
	return 0;
}

const char *msrtp_suite_name(enum msrtp_suite s)
{
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		if (suites[i].suite == s)
			return suites[i].name;
	return "none";
}

enum msrtp_suite msrtp_suite_by_name(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		if (strlen(suites[i].name) == len && memcmp(suites[i].name, name, len) == 0)
			return suites[i].suite;
	return MSRTP_NONE;
}

/* Decode base64 of exactly 'want' bytes (padding optional). */
static int b64_key(const char *s, size_t n, uint8_t *out, size_t want)
{
	char tmp[96];
	uint8_t dec[72];

	if (n == 0 || n + 3 >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, s, n);
	while (n % 4)
		tmp[n++] = '=';
	size_t pad = (tmp[n - 1] == '=') + (tmp[n - 2] == '=');
	int r = EVP_DecodeBlock(dec, (const unsigned char *)tmp, (int)n);
	if (r < 0 || (size_t)r < pad || (size_t)r - pad != want)
		return -EINVAL;
	memcpy(out, dec, want);
	return 0;
}

int msrtp_crypto_parse(const char *val, size_t len, struct msrtp_crypto *out)
{
	const char *p = val, *end = val + len;

	memset(out, 0, sizeof(*out));
	/* tag */
	unsigned tag = 0;
	size_t digits = 0;
	while (p < end && *p >= '0' && *p <= '9' && digits < 9) {
		tag = tag * 10 + (unsigned)(*p++ - '0');
		digits++;
	}
	if (!digits || p >= end || *p != ' ')
		return -EINVAL;
	while (p < end && *p == ' ')
		p++;
	const char *sn = p;
	while (p < end && *p != ' ')
		p++;
	enum msrtp_suite suite = msrtp_suite_by_name(sn, (size_t)(p - sn));
	while (p < end && *p == ' ')
		p++;
	if (end - p < 8 || strncmp(p, "inline:", 7) != 0)
		return -EINVAL;
	p += 7;
	const char *k = p;
	while (p < end && *p != '|' && *p != ' ' && *p != ';')
		p++;
	const char *kend = p;
	if (p < end && *p == '|') {
		/* lifetime: accepted and ignored (calls are far shorter than 2^31
		 * packets); an MKI is not supported. */
		const char *q = ++p;
		while (p < end && *p != '|' && *p != ' ' && *p != ';')
			p++;
		if (memchr(q, ':', (size_t)(p - q)))
			return -ENOTSUP;
		if (p < end && *p == '|')
			return -ENOTSUP;
	}
	if (p < end)                /* a second key or session parameters */
		return -ENOTSUP;
	if (suite == MSRTP_NONE)
		return -ENOTSUP;
	if (b64_key(k, (size_t)(kend - k), out->keys.key, msrtp_key_len(suite)) < 0)
		return -EINVAL;
	out->tag = tag;
	out->keys.suite = suite;
	return 0;
}

int msrtp_crypto_format(const struct msrtp_crypto *c, char *out, size_t outsz)
{
	char b64[72];
	size_t kl = msrtp_key_len(c->keys.suite);

	if (!kl)
		return -EINVAL;
	EVP_EncodeBlock((unsigned char *)b64, c->keys.key, (int)kl);
	int n = snprintf(out, outsz, "%u %s inline:%s", c->tag, msrtp_suite_name(c->keys.suite), b64);
	return n < 0 || (size_t)n >= outsz ? -ENOSPC : n;
}

int msrtp_keys_random(enum msrtp_suite suite, struct msrtp_keys *out)
{
	memset(out, 0, sizeof(*out));
	out->suite = suite;
	size_t kl = msrtp_key_len(suite);
	if (!kl || RAND_bytes(out->key, (int)kl) != 1)
		return -EIO;
	return 0;
}

const char *msrtp_describe(void)
{
	static char d[96];
	if (!d[0])
		snprintf(d, sizeof(d), "%s on %s", srtp_get_version_string(), TANDEM_SRTP_BACKEND);
	return d;
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int init_rc;

static void do_init(void)
{
	init_rc = srtp_init() == srtp_err_status_ok ? 0 : -EIO;
}

int msrtp_global_init(void)
{
	pthread_once(&once, do_init);
	return init_rc;
}

static int make_ctx(const struct msrtp_keys *k, bool outbound, srtp_t *out)
{
	srtp_policy_t pol;
	uint8_t key[MSRTP_MAX_KEY];

	memset(&pol, 0, sizeof(pol));
	if (k->suite == MSRTP_AES_CM_128_HMAC_SHA1_80) {
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtcp);
	} else if (k->suite == MSRTP_AEAD_AES_128_GCM) {
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtcp);
	} else {
		return -EINVAL;
	}
	memcpy(key, k->key, sizeof(key));
	pol.key = key;
	pol.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
	pol.window_size = 1024;         /* reordering on a loaded path */
	pol.allow_repeat_tx = 1;        /* retransmitted DTMF end packets */
	srtp_err_status_t e = srtp_create(out, &pol);
	memset(key, 0, sizeof(key));
	return e == srtp_err_status_ok ? 0 : e == srtp_err_status_alloc_fail ? -ENOMEM : -EINVAL;
}

int msrtp_new(const struct msrtp_keys *tx, const struct msrtp_keys *rx, struct msrtp **out)
{
	struct msrtp *s = NULL;
	int rc = msrtp_global_init();

	if (rc < 0)
		goto fail;
	rc = -EINVAL;
	if (tx->suite != rx->suite)
		goto fail;
	rc = -ENOMEM;
	if (!(s = calloc(1, sizeof(*s))))
		goto fail;
	if ((rc = make_ctx(tx, true, &s->tx)) < 0)
		goto fail;
	if ((rc = make_ctx(rx, false, &s->rx)) < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	msrtp_free(s);
	return rc;
}

void msrtp_free(struct msrtp *s)
{
	if (!s)
		return;
	if (s->tx)
		srtp_dealloc(s->tx);
	if (s->rx)
		srtp_dealloc(s->rx);
	free(s);
}

static int map_err(srtp_err_status_t e)
{
	switch (e) {
	case srtp_err_status_ok:
		return 0;
	case srtp_err_status_auth_fail:
	case srtp_err_status_replay_fail:
	case srtp_err_status_replay_old:
		return -EACCES;
	default:
		return -EINVAL;
	}
}

int msrtp_protect(struct msrtp *s, uint8_t *buf, size_t *len, size_t cap)
{
	if (*len + MSRTP_TRAILER > cap || *len > INT32_MAX)
		return -ENOSPC;
	int l = (int)*len;
	int rc = map_err(srtp_protect(s->tx, buf, &l));
	if (rc == 0)
		*len = (size_t)l;
	return rc;
}

int msrtp_unprotect(struct msrtp *s, uint8_t *buf, size_t *len)
{
	int l = (int)*len;
	int rc = map_err(srtp_unprotect(s->rx, buf, &l));
	if (rc == 0)
		*len = (size_t)l;
	return rc;
}

int msrtp_protect_rtcp(struct msrtp *s, uint8_t *buf, size_t *len, size_t cap)
{
	if (*len + MSRTP_TRAILER > cap || *len > INT32_MAX)
		return -ENOSPC;
	int l = (int)*len;
	int rc = map_err(srtp_protect_rtcp(s->tx, buf, &l));
	if (rc == 0)
		*len = (size_t)l;
	return rc;
}

int msrtp_unprotect_rtcp(struct msrtp *s, uint8_t *buf, size_t *len)
{
	int l = (int)*len;
	int rc = map_err(srtp_unprotect_rtcp(s->rx, buf, &l));
	if (rc == 0)
		*len = (size_t)l;
	return rc;
}
