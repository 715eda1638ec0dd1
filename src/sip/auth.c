/* auth.c - see auth.h. */
#include "config.h"

#include "sip/auth.h"
#include "sip/ws_glue.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sofia-sip/msg_addr.h>
#include <sofia-sip/url.h>

#include "core/cidr.h"
#include "core/log.h"
#include "sip/banlist.h"
#include "sip/digest.h"
#include "sip/nonce.h"

struct tauth {
	tnonce_t *nonces;
	tban_t *bans;
};

static uint64_t mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

static void ban_params(const tconf_t *c, struct tban_params *p)
{
	memset(p, 0, sizeof *p);
	p->failures = c->auth.ban_failures;
	p->window = c->auth.ban_window;
	p->ban_time = c->auth.ban_time;
	p->ban_loopback = c->auth.ban_loopback;
}

int tauth_init(struct tsip *s)
{
	struct tauth *a = calloc(1, sizeof *a);
	if (!a)
		return -ENOMEM;
	struct tnonce_params np = { .ttl = s->conf->auth.nonce_ttl, .max_nonces = s->conf->auth.max_nonces };
	struct tban_params bp;
	ban_params(s->conf, &bp);
	int rc = tnonce_new(&np, &a->nonces);
	if (rc == 0)
		rc = tban_new(&bp, &a->bans);
	if (rc < 0) {
		tnonce_free(a->nonces);
		free(a);
		return rc;
	}
	s->auth = a;
	return 0;
}

void tauth_free(struct tsip *s)
{
	if (!s->auth)
		return;
	tnonce_free(s->auth->nonces);
	tban_free(s->auth->bans);
	free(s->auth);
	s->auth = NULL;
}

void tauth_follow_conf(struct tsip *s)
{
	struct tban_params bp;
	if (!s->auth)
		return;
	ban_params(s->conf, &bp);
	tban_set_params(s->auth->bans, &bp);
	tnonce_set_ttl(s->auth->nonces, s->conf->auth.nonce_ttl);
}

size_t tauth_banned_count(struct tsip *s)
{
	return s->auth ? tban_count(s->auth->bans, mono_now()) : 0;
}

int tsip_request_source(struct tsip *s, sip_t const *sip, struct tsip_src *out)
{
	memset(out, 0, sizeof *out);
	msg_t *msg = nua_current_request(s->nua);
	su_addrinfo_t *ai = msg ? msg_addrinfo(msg) : NULL;
	if (!ai || !ai->ai_addr)
		return -ENOENT;
	const struct sockaddr *sa = ai->ai_addr;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;
		inet_ntop(AF_INET, &in->sin_addr, out->ip, sizeof out->ip);
		out->port = ntohs(in->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, out->ip, sizeof out->ip);
		out->port = ntohs(in6->sin6_port);
	} else {
		return -ENOENT;
	}
	const char *tp = "udp";
	if (ai->ai_protocol == IPPROTO_TCP)
		tp = "tcp";
	else if (ai->ai_protocol != IPPROTO_UDP && sip && sip->sip_via && sip->sip_via->v_protocol &&
		 strcasestr(sip->sip_via->v_protocol, "TCP"))
		tp = "tcp";
	snprintf(out->transport, sizeof out->transport, "%s", tp);
	snprintf(out->peer, sizeof out->peer, "%s", out->ip);
	out->peer_port = out->port;
	char real[80];
	int w = tsip_ws_source(s, msg, sip, real, sizeof real);
	if (w < 0)
		return -EPERM;
	if (w > 0) {
		/* "IP:PORT" or "[IPv6]:PORT", as the shim wrote it */
		char *colon = strrchr(real, ':');
		if (!colon)
			return -EPERM;
		*colon = '\0';
		const char *ip = real;
		size_t n = strlen(ip);
		if (ip[0] == '[' && n > 1 && ip[n - 1] == ']') {
			real[n - 1] = '\0';
			ip++;
		}
		if (strlen(ip) >= sizeof out->peer)
			return -EPERM;
		memcpy(out->peer, ip, strlen(ip) + 1);
		out->peer_port = (uint16_t)atoi(colon + 1);
		out->ws = true;
	}
	return 0;
}

const struct tconf_trunk *tauth_trusted(const tconf_t *conf, const char *ip)
{
	struct tcidr r;
	for (size_t i = 0; i < conf->ntrunks; i++) {
		const struct tconf_trunk *t = &conf->trunks[i];
		for (size_t j = 0; t->acl && t->acl[j]; j++) {
			const char *e = !strcmp(t->acl[j], "host") ? t->host : t->acl[j];
			if (tcidr_parse(e, &r) == 0 && tcidr_match(&r, ip))
				return t;
		}
	}
	return NULL;
}

/* 401/407 with one challenge per algorithm, SHA-256 first (RFC 8760 s.2.4). */
static void challenge(struct tsip *s, nua_handle_t *nh, bool proxy, const struct tsip_src *src, bool stale)
{
	const char *realm = s->conf->auth.realm;
	const char *ip = src->peer;
	unsigned algs = s->conf->auth.digest_algorithms;
	/* Browser SIP libraries answer MD5 only (JsSIP 3 reads the last
	 * challenge, and gives up on SHA-256) */
	if (src->ws && s->conf->websocket.md5_only)
		algs = TCONF_DIGEST_MD5;
	char nonce[TNONCE_LEN + 1], ch[2][512];
	uint64_t now = mono_now();
	bool md5_first = s->conf->auth.md5_first;
	for (int i = 0; i < 2; i++) {
		enum tdigest_alg alg = (i == 0) != md5_first ? TDIGEST_SHA256 : TDIGEST_MD5;
		ch[i][0] = 0;
		if (!(algs & (alg == TDIGEST_MD5 ? TCONF_DIGEST_MD5 : TCONF_DIGEST_SHA256)))
			continue;
		if (tnonce_make(s->auth->nonces, realm, ip, now, nonce) < 0 ||
		    tdigest_challenge(alg, realm, nonce, NULL, stale, ch[i], sizeof ch[i]) < 0) {
			nua_respond(nh, SIP_500_INTERNAL_SERVER_ERROR, NUTAG_WITH_THIS(s->nua), TAG_END());
			return;
		}
	}
	const char *c0 = ch[0][0] ? ch[0] : NULL, *c1 = ch[1][0] ? ch[1] : NULL;
	if (proxy)
		nua_respond(nh, SIP_407_PROXY_AUTH_REQUIRED, NUTAG_WITH_THIS(s->nua),
			    TAG_IF(c0, SIPTAG_PROXY_AUTHENTICATE_STR(c0)),
			    TAG_IF(c1, SIPTAG_PROXY_AUTHENTICATE_STR(c1)), TAG_END());
	else
		nua_respond(nh, SIP_401_UNAUTHORIZED, NUTAG_WITH_THIS(s->nua),
			    TAG_IF(c0, SIPTAG_WWW_AUTHENTICATE_STR(c0)),
			    TAG_IF(c1, SIPTAG_WWW_AUTHENTICATE_STR(c1)), TAG_END());
}

/* The credentials for our realm among those sent, parsed; 0, -ENOENT (none
 * for our realm), or the parse error. */
static int find_credentials(struct tsip *s, msg_auth_t const *au, struct tdigest_resp *r)
{
	char buf[2048];
	int err = -ENOENT;
	for (; au; au = au->au_next) {
		/* another scheme is someone else's business (RFC 4475 s.3.3.7) */
		if (!au->au_scheme || strcasecmp(au->au_scheme, "Digest"))
			continue;
		issize_t n = msg_header_field_e(buf, sizeof buf, (msg_header_t const *)au, 0);
		if (n <= 0 || (size_t)n >= sizeof buf) {
			err = -E2BIG;
			continue;
		}
		int rc = tdigest_parse(buf, (size_t)n, r);
		if (rc < 0) {
			if (err == -ENOENT)
				err = rc;
			continue;
		}
		if (!strcmp(r->realm, s->conf->auth.realm))
			return 0;
	}
	return err;
}

static bool uri_matches(const char *digest_uri, const url_t *ruri)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	url_t *u = url_make(home, digest_uri);
	bool ok = u && ruri && url_cmp(u, ruri) == 0;
	su_home_deinit(home);
	return ok;
}

static const char *user_ha1(const struct tconf_user *u, enum tdigest_alg alg, const char *realm,
			    char buf[TDIGEST_HEX_MAX])
{
	if (!u)
		return NULL;
	if (u->password)
		return tdigest_ha1(alg, u->name, realm, u->password, buf) == 0 ? buf : NULL;
	return alg == TDIGEST_MD5 ? u->ha1_md5 : u->ha1_sha256;
}

static void refuse(struct tsip *s, nua_handle_t *nh, const struct tsip_src *src, const char *method,
		   const char *user, const char *why)
{
	uint64_t now = mono_now();
	LOG_INFO("auth: %s from %s:%u refused: %s (user '%s')", method, src->peer, src->peer_port, why, user);
	if (tban_fail(s->auth->bans, src->peer, now))
		LOG_WARN("auth: banning %s for %us after %u failed authentications in %us (last as user "
			 "'%s'); [auth] ban_* set the policy", src->peer, s->conf->auth.ban_time,
			 s->conf->auth.ban_failures, s->conf->auth.ban_window, user);
	nua_respond(nh, SIP_403_FORBIDDEN, NUTAG_WITH_THIS(s->nua), TAG_END());
}

enum tauth_result tauth_check(struct tsip *s, nua_handle_t *nh, sip_t const *sip,
			      const struct tsip_src *src, bool trust,
			      const struct tconf_trunk **trunk, const struct tconf_user **user)
{
	const char *method = sip->sip_request->rq_method_name;
	bool proxy = sip->sip_request->rq_method == sip_method_invite;
	uint64_t now = mono_now();

	*trunk = NULL;
	*user = NULL;
	if (trust && (*trunk = tauth_trusted(s->conf, src->peer)))
		return TAUTH_TRUSTED;
	if (tban_banned(s->auth->bans, src->peer, now)) {
		/* no log line: a banned guesser must cost us (and the log) nothing */
		nua_respond(nh, SIP_403_FORBIDDEN, NUTAG_WITH_THIS(s->nua), TAG_END());
		return TAUTH_ANSWERED;
	}
	struct tdigest_resp r;
	int rc = find_credentials(s, proxy ? sip->sip_proxy_authorization : sip->sip_authorization, &r);
	if (rc == -ENOENT) {
		challenge(s, nh, proxy, src, false);
		return TAUTH_ANSWERED;
	}
	if (rc < 0 || !uri_matches(r.uri, sip->sip_request->rq_url)) {
		LOG_INFO("auth: %s from %s:%u: %s", method, src->peer, src->peer_port,
			 rc == -ENOTSUP ? "unsupported digest (scheme, qop or algorithm)" :
			 rc < 0 ? "malformed credentials" : "digest uri is not the Request-URI");
		nua_respond(nh, SIP_400_BAD_REQUEST, NUTAG_WITH_THIS(s->nua), TAG_END());
		return TAUTH_ANSWERED;
	}
	unsigned want = r.alg == TDIGEST_MD5 ? TCONF_DIGEST_MD5 : TCONF_DIGEST_SHA256;
	if (!(s->conf->auth.digest_algorithms & want)) {
		challenge(s, nh, proxy, src, false);
		return TAUTH_ANSWERED;
	}
	const struct tconf_user *u = tconf_user(s->conf, r.username);
	char ha1buf[TDIGEST_HEX_MAX];
	const char *ha1 = user_ha1(u, r.alg, s->conf->auth.realm, ha1buf);
	switch (tdigest_verify(&r, method, ha1, s->conf->auth.realm, s->auth->nonces, src->peer, now)) {
	case TDIGEST_OK:
		tban_success(s->auth->bans, src->peer);
		*user = u;
		return TAUTH_USER;
	case TDIGEST_STALE:
		challenge(s, nh, proxy, src, true);
		return TAUTH_ANSWERED;
	case TDIGEST_BADNONCE:
		challenge(s, nh, proxy, src, false);
		return TAUTH_ANSWERED;
	case TDIGEST_REPLAY:
		refuse(s, nh, src, method, r.username, "nonce-count replayed");
		return TAUTH_ANSWERED;
	case TDIGEST_FAIL:
	default:
		refuse(s, nh, src, method, r.username, u ? "wrong password" : "unknown user");
		return TAUTH_ANSWERED;
	}
}
