/* dtls.c - DTLS-SRTP handshakes on OpenSSL memory BIOs (see dtls.h). */
#include "config.h"

#include "media/dtls.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "core/log.h"

#define DTLS_MTU 1200
#define SRTP_PROFILES "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80"

struct mdtls_cert {
	SSL_CTX *ctx;
	char fp[MDTLS_FP_MAX];
};

struct mdtls {
	SSL *ssl;
	BIO *rbio, *wbio;               /* owned by ssl */
	bool client;
	enum mdtls_state state;
	uint8_t want_fp[32];
	char err[96];
};

static void fp_format(const uint8_t md[32], char *out, size_t outsz)
{
	size_t n = (size_t)snprintf(out, outsz, "sha-256 ");
	for (int i = 0; i < 32 && n + 3 < outsz; i++)
		n += (size_t)snprintf(out + n, outsz - n, i ? ":%02X" : "%02X", md[i]);
}

static EVP_PKEY *gen_key(void)
{
	return EVP_EC_gen("P-256");
}

/* A self-signed certificate: browsers check only its fingerprint. */
static X509 *gen_cert(EVP_PKEY *pkey)
{
	X509 *x = X509_new();
	uint32_t serial;

	if (!x || RAND_bytes((unsigned char *)&serial, sizeof(serial)) != 1)
		goto fail;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), (long)(serial & 0x7fffffff));
	X509_gmtime_adj(X509_getm_notBefore(x), -86400L);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 365);
	X509_NAME *name = X509_get_subject_name(x);
	if (!X509_set_pubkey(x, pkey) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"tandem", -1, -1, 0) ||
	    !X509_set_issuer_name(x, name) || !X509_sign(x, pkey, EVP_sha256()))
		goto fail;
	return x;
fail:
	X509_free(x);
	return NULL;
}

/* Fingerprints are compared in the handshake itself, so a mismatch aborts
 * it with an alert (RFC 5763 section 5). Self-signed is expected. */
static int verify_cb(int ok, X509_STORE_CTX *xs)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct mdtls *d = ssl ? SSL_get_app_data(ssl) : NULL;
	X509 *peer = X509_STORE_CTX_get_current_cert(xs);
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	(void)ok;
	if (!d || X509_STORE_CTX_get_error_depth(xs) != 0)
		return 1;               /* chain members: only the leaf matters */
	if (!peer || !X509_digest(peer, EVP_sha256(), md, &mdlen) || mdlen != 32 ||
	    CRYPTO_memcmp(md, d->want_fp, 32) != 0) {
		snprintf(d->err, sizeof(d->err), "fingerprint mismatch");
		return 0;
	}
	return 1;
}

static int load_or_make(SSL_CTX *ctx, const char *cert_file, const char *key_file)
{
	if (cert_file && key_file) {
		if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1 ||
		    SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_check_private_key(ctx) != 1) {
			LOG_ERR("dtls: cannot use certificate %s with key %s: %s", cert_file,
			     key_file, ERR_reason_error_string(ERR_peek_last_error()));
			return -EINVAL;
		}
		return 0;
	}
	EVP_PKEY *pkey = gen_key();
	X509 *x = pkey ? gen_cert(pkey) : NULL;
	int rc = x && SSL_CTX_use_certificate(ctx, x) == 1 && SSL_CTX_use_PrivateKey(ctx, pkey) == 1 ? 0 : -EIO;
	X509_free(x);
	EVP_PKEY_free(pkey);
	return rc;
}

int mdtls_cert_new(const char *cert_file, const char *key_file, struct mdtls_cert **out)
{
	struct mdtls_cert *c = calloc(1, sizeof(*c));
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	int rc = -ENOMEM;

	if (!c || !(c->ctx = SSL_CTX_new(DTLS_method())))
		goto fail;
	if ((rc = load_or_make(c->ctx, cert_file, key_file)) < 0)
		goto fail;
	rc = -EIO;
	X509 *x = SSL_CTX_get0_certificate(c->ctx);
	if (!x || !X509_digest(x, EVP_sha256(), md, &mdlen) || mdlen != 32)
		goto fail;
	fp_format(md, c->fp, sizeof(c->fp));
	SSL_CTX_set_min_proto_version(c->ctx, DTLS1_2_VERSION);
	/* SSL_CTX_set_tlsext_use_srtp returns 0 on success. */
	if (SSL_CTX_set_tlsext_use_srtp(c->ctx, SRTP_PROFILES) != 0)
		goto fail;
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
	SSL_CTX_set_read_ahead(c->ctx, 1);
	*out = c;
	return 0;
fail:
	mdtls_cert_free(c);
	return rc;
}

void mdtls_cert_free(struct mdtls_cert *c)
{
	if (!c)
		return;
	SSL_CTX_free(c->ctx);
	free(c);
}

const char *mdtls_cert_fingerprint(const struct mdtls_cert *c)
{
	return c->fp;
}

/* "sha-256 AB:CD:..." -> 32 bytes. */
static int parse_fp(const char *s, uint8_t md[32])
{
	if (strncasecmp(s, "sha-256 ", 8) != 0)
		return -ENOTSUP;
	s += 8;
	while (*s == ' ')
		s++;
	for (int i = 0; i < 32; i++) {
		if (!isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]))
			return -EINVAL;
		char h[3] = { s[0], s[1], 0 };
		md[i] = (uint8_t)strtoul(h, NULL, 16);
		s += 2;
		if (i < 31 && *s++ != ':')
			return -EINVAL;
	}
	return *s && !isspace((unsigned char)*s) ? -EINVAL : 0;
}

int mdtls_new(const struct mdtls_cert *cert, bool client, const char *remote_fp, struct mdtls **out)
{
	struct mdtls *d = calloc(1, sizeof(*d));
	int rc = -ENOMEM;

	if (!d)
		goto fail;
	if ((rc = parse_fp(remote_fp, d->want_fp)) < 0)
		goto fail;
	rc = -ENOMEM;
	d->client = client;
	if (!(d->ssl = SSL_new(cert->ctx)))
		goto fail;
	d->rbio = BIO_new(BIO_s_mem());
	d->wbio = BIO_new(BIO_s_mem());
	if (!d->rbio || !d->wbio) {
		BIO_free(d->rbio);
		BIO_free(d->wbio);
		goto fail;
	}
	BIO_set_mem_eof_return(d->rbio, -1);
	SSL_set_bio(d->ssl, d->rbio, d->wbio);
	SSL_set_app_data(d->ssl, d);
	SSL_set_options(d->ssl, SSL_OP_NO_QUERY_MTU);
	SSL_set_mtu(d->ssl, DTLS_MTU);
	if (client)
		SSL_set_connect_state(d->ssl);
	else
		SSL_set_accept_state(d->ssl);
	*out = d;
	return 0;
fail:
	mdtls_free(d);
	return rc;
}

void mdtls_free(struct mdtls *d)
{
	if (!d)
		return;
	SSL_free(d->ssl);
	free(d);
}

static void step(struct mdtls *d)
{
	ERR_clear_error();
	int r = SSL_do_handshake(d->ssl);
	if (r == 1) {
		d->state = MDTLS_CONNECTED;
		return;
	}
	int e = SSL_get_error(d->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return;
	d->state = MDTLS_FAILED;
	if (!d->err[0]) {
		const char *why = ERR_reason_error_string(ERR_peek_last_error());
		snprintf(d->err, sizeof(d->err), "%s", why ? why : "handshake failed");
	}
}

int mdtls_start(struct mdtls *d)
{
	if (d->client && d->state == MDTLS_HANDSHAKING)
		step(d);
	return d->state == MDTLS_FAILED ? -EPROTO : 0;
}

enum mdtls_state mdtls_input(struct mdtls *d, const uint8_t *buf, size_t len)
{
	if (d->state == MDTLS_FAILED || len > 65535)
		return d->state;
	if (BIO_write(d->rbio, buf, (int)len) != (int)len)
		return d->state;
	if (d->state == MDTLS_HANDSHAKING) {
		step(d);
	} else {
		/* Connected: retransmitted final flights are answered by OpenSSL;
		 * application data is not used (drained and dropped). */
		uint8_t junk[256];
		while (SSL_read(d->ssl, junk, sizeof(junk)) > 0)
			;
	}
	return d->state;
}

size_t mdtls_output(struct mdtls *d, uint8_t *out, size_t cap)
{
	char *data = NULL;
	long avail = BIO_get_mem_data(d->wbio, &data);
	size_t take = 0, limit = cap < DTLS_MTU ? cap : DTLS_MTU;

	if (avail <= 0 || !data)
		return 0;
	/* Whole records only (13-byte header, length in bytes 11-12). */
	while (take + 13 <= (size_t)avail) {
		size_t rl = 13 + ((size_t)(uint8_t)data[take + 11] << 8 | (uint8_t)data[take + 12]);
		if (take + rl > (size_t)avail || (take && take + rl > limit))
			break;
		take += rl;
		if (take >= limit)
			break;
	}
	if (!take || take > cap) {
		/* Unparseable or one record over cap: drop what is queued. */
		(void)BIO_reset(d->wbio);
		return 0;
	}
	return BIO_read(d->wbio, out, (int)take) == (int)take ? take : 0;
}

long mdtls_timeout_ms(struct mdtls *d)
{
	struct timeval tv;
	if (d->state != MDTLS_HANDSHAKING || DTLSv1_get_timeout(d->ssl, &tv) != 1)
		return -1;
	return tv.tv_sec * 1000L + tv.tv_usec / 1000;
}

void mdtls_on_timer(struct mdtls *d)
{
	if (d->state == MDTLS_HANDSHAKING && DTLSv1_handle_timeout(d->ssl) < 0) {
		d->state = MDTLS_FAILED;
		snprintf(d->err, sizeof(d->err), "retransmission limit reached");
	}
}

enum mdtls_state mdtls_state(const struct mdtls *d)
{
	return d->state;
}

const char *mdtls_error(const struct mdtls *d)
{
	return d->err[0] ? d->err : "none";
}

int mdtls_srtp_keys(struct mdtls *d, struct msrtp_keys *tx, struct msrtp_keys *rx)
{
	const SRTP_PROTECTION_PROFILE *p = SSL_get_selected_srtp_profile(d->ssl);
	enum msrtp_suite suite;
	size_t kl = 16, sl;

	if (d->state != MDTLS_CONNECTED || !p)
		return -ENOTSUP;
	if (p->id == SRTP_AES128_CM_SHA1_80) {
		suite = MSRTP_AES_CM_128_HMAC_SHA1_80;
		sl = 14;
	} else if (p->id == SRTP_AEAD_AES_128_GCM) {
		suite = MSRTP_AEAD_AES_128_GCM;
		sl = 12;
	} else {
		return -ENOTSUP;
	}
	uint8_t m[2 * (16 + 14)];
	static const char label[] = "EXTRACTOR-dtls_srtp";
	if (SSL_export_keying_material(d->ssl, m, 2 * (kl + sl), label, sizeof(label) - 1, NULL, 0, 0) != 1)
		return -EIO;
	/* client_key | server_key | client_salt | server_salt */
	const uint8_t *ck = m, *sk = m + kl, *cs = m + 2 * kl, *ss = m + 2 * kl + sl;
	memset(tx, 0, sizeof(*tx));
	memset(rx, 0, sizeof(*rx));
	tx->suite = rx->suite = suite;
	memcpy(tx->key, d->client ? ck : sk, kl);
	memcpy(tx->key + kl, d->client ? cs : ss, sl);
	memcpy(rx->key, d->client ? sk : ck, kl);
	memcpy(rx->key + kl, d->client ? ss : cs, sl);
	OPENSSL_cleanse(m, sizeof(m));
	return 0;
}
