/* ws_shim.c - WebSocket front for sofia-sip; see ws_shim.h.
 *
 * One thread, one event_base. Per connection: a client bufferevent (plain
 * or OpenSSL), a WebSocket reader, and - once the HTTP upgrade is accepted -
 * an upstream bufferevent to sofia's internal listener. Messages are
 * rewritten through a per-shim scratch buffer (the loop is single-threaded).
 */
#include "sip/ws_shim.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "core/log.h"
#include "sip/ws_frame.h"
#include "sip/ws_handshake.h"
#include "sip/ws_sipmsg.h"

#define IP_BUCKETS 1021

struct ipcnt {
	char ip[48];
	unsigned n;
	struct ipcnt *next;
};

enum wc_state { WC_HANDSHAKE, WC_OPEN, WC_CLOSING };

struct wsconn {
	struct ws_shim *s;
	struct bufferevent *cli, *up;
	struct event *timer;          /* ping interval, or the closing deadline */
	enum wc_state st;
	bool secure;
	char peer[64], ip[48];
	struct ws_alias alias;
	struct ws_reader rd;
	char src_hdr[WS_SOURCE_MAX];
	time_t last_rx;
	struct wsconn *prev, *next;
};

struct ws_shim {
	struct ws_shim_conf c;        /* strings below are our copies */
	char *origins, *sofia;
	struct event_base *base;
	struct evconnlistener *lws, *lwss;
	char ws_addr[64], wss_addr[64];
	struct event *stop_ev;
	int stop_fd;
	pthread_t thread;
	pthread_mutex_t tls_lock;
	SSL_CTX *tls;                 /* current WSS context (tls_lock) */
	struct sockaddr_storage sofia_sa;
	int sofia_salen;
	ws_closed_fn on_closed;
	void *arg;
	struct wsconn *conns;
	unsigned nconns;
	struct ipcnt *ips[IP_BUCKETS];
	char *scratch;
	size_t scratch_len;
	_Atomic uint64_t accepted, refused, active, msgs_in, msgs_out, oversize;
};

static unsigned ip_hash(const char *ip)
{
	unsigned h = 5381;
	while (*ip)
		h = h * 33 + (unsigned char)*ip++;
	return h % IP_BUCKETS;
}

/* Count one more connection from ip; false when over the cap. */
static bool ip_take(struct ws_shim *s, const char *ip)
{
	struct ipcnt **pp = &s->ips[ip_hash(ip)], *e;
	for (e = *pp; e; e = e->next)
		if (!strcmp(e->ip, ip))
			break;
	if (e && s->c.max_per_ip && e->n >= s->c.max_per_ip)
		return false;
	if (!e) {
		if (!(e = calloc(1, sizeof *e)))
			return false;
		snprintf(e->ip, sizeof e->ip, "%s", ip);
		e->next = *pp;
		*pp = e;
	}
	e->n++;
	return true;
}

static void ip_give(struct ws_shim *s, const char *ip)
{
	for (struct ipcnt **pp = &s->ips[ip_hash(ip)]; *pp; pp = &(*pp)->next) {
		struct ipcnt *e = *pp;
		if (strcmp(e->ip, ip))
			continue;
		if (--e->n == 0) {
			*pp = e->next;
			free(e);
		}
		return;
	}
}

/* "IP:PORT" or "[IPv6]:PORT" of sa into out; the bare IP into ip (if given). */
static int sockaddr_text(const struct sockaddr *sa, char *out, size_t len, char *ip, size_t iplen)
{
	char host[INET6_ADDRSTRLEN];
	unsigned port;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
		port = ntohs(in->sin_port);
		snprintf(out, len, "%s:%u", host, port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
		port = ntohs(in6->sin6_port);
		snprintf(out, len, "[%s]:%u", host, port);
	} else {
		return -EAFNOSUPPORT;
	}
	if (ip)
		snprintf(ip, iplen, "%s", host);
	return 0;
}

static void conn_free(struct wsconn *c, bool notify)
{
	struct ws_shim *s = c->s;
	if (c->up) {
		bufferevent_free(c->up);
		if (notify && s->on_closed && c->alias.local[0])
			s->on_closed(s->arg, c->alias.local);
	}
	if (c->cli)
		bufferevent_free(c->cli);
	if (c->timer)
		event_free(c->timer);
	ws_reader_free(&c->rd);
	ip_give(s, c->ip);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nconns--;
	if (c->st != WC_HANDSHAKE)
		atomic_fetch_sub(&s->active, 1);
	LOG_DEBUG("ws: %s closed", c->peer);
	free(c);
}

static void send_frame(struct wsconn *c, uint8_t op, const void *p, size_t n)
{
	uint8_t h[10];
	size_t hl = ws_frame_write_header(h, op, n);
	bufferevent_write(c->cli, h, hl);
	if (n)
		bufferevent_write(c->cli, p, n);
}

static void closing_deadline(evutil_socket_t fd, short what, void *arg)
{
	conn_free(arg, true);
}

static void closing_written(struct bufferevent *bev, void *arg)
{
	struct wsconn *c = arg;
	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		conn_free(c, true);
}

static void closing_event(struct bufferevent *bev, short what, void *arg)
{
	conn_free(arg, true);
}

/* Stop reading, flush what is queued for the client (a close frame or an
 * HTTP error), then free; never wait more than 2 s for a slow reader. */
static void conn_close_after_flush(struct wsconn *c)
{
	c->st = c->st == WC_HANDSHAKE ? WC_HANDSHAKE : WC_CLOSING;
	if (c->up) {
		bufferevent_disable(c->up, EV_READ);
	}
	bufferevent_disable(c->cli, EV_READ);
	bufferevent_setcb(c->cli, NULL, closing_written, closing_event, c);
	if (c->timer)
		event_free(c->timer);
	c->timer = evtimer_new(c->s->base, closing_deadline, c);
	struct timeval tv = { 2, 0 };
	if (!c->timer || evtimer_add(c->timer, &tv) < 0) {
		conn_free(c, true);
		return;
	}
	if (evbuffer_get_length(bufferevent_get_output(c->cli)) == 0)
		conn_free(c, true);
}

static void ws_close(struct wsconn *c, unsigned code, const char *why)
{
	uint8_t b[2] = { (uint8_t)(code >> 8), (uint8_t)code };
	if (why)
		LOG_INFO("ws: closing %s: %s", c->peer, why);
	send_frame(c, WS_OP_CLOSE, b, 2);
	conn_close_after_flush(c);
}

static void http_refuse(struct wsconn *c, int code, const char *why)
{
	static const struct { int code; const char *text; } texts[] = {
		{ 400, "Bad Request" }, { 403, "Forbidden" }, { 405, "Method Not Allowed" },
		{ 426, "Upgrade Required" }, { 503, "Service Unavailable" },
	};
	const char *t = "Bad Request";
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
		if (texts[i].code == code)
			t = texts[i].text;
	LOG_INFO("ws: refused %s: %s (%d)", c->peer, why, code);
	atomic_fetch_add(&c->s->refused, 1);
	evbuffer_add_printf(bufferevent_get_output(c->cli),
			    "HTTP/1.1 %d %s\r\n%sConnection: close\r\nContent-Length: 0\r\n\r\n",
			    code, t, code == 426 ? "Sec-WebSocket-Version: 13\r\n" : "");
	conn_close_after_flush(c);
}

static bool scratch_fit(struct ws_shim *s, size_t need)
{
	if (s->scratch_len >= need)
		return true;
	char *p = realloc(s->scratch, need);
	if (!p)
		return false;
	s->scratch = p;
	s->scratch_len = need;
	return true;
}

/* At debug level, the start line of each message (what an admin chasing a
 * browser's registration wants to see). */
static void log_first_line(const char *peer, const char *dir, const char *m, size_t n)
{
	if (tlog_get_level() < TLOG_DEBUG)
		return;
	const char *e = memchr(m, '\r', n);
	LOG_DEBUG("ws: %s %s: %.*s", peer, dir, (int)((e ? e : m + n) - m), m);
}

/* --- sofia -> browser ---------------------------------------------------- */

static void up_read(struct bufferevent *bev, void *arg)
{
	struct wsconn *c = arg;
	struct ws_shim *s = c->s;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t max = s->c.max_message * 2;
	for (;;) {
		size_t len = evbuffer_get_length(in), skip;
		if (!len)
			return;
		const char *p = (const char *)evbuffer_pullup(in, (ev_ssize_t)(len < max ? len : max));
		int n = ws_sip_frame(p, len < max ? len : max, max, &skip);
		if (n < 0) {
			ws_close(c, WS_CLOSE_GOING_AWAY, "unreadable message from sofia");
			return;
		}
		if (n == 0) {
			evbuffer_drain(in, skip);
			return;
		}
		if (!scratch_fit(s, (size_t)n * 2 + 1024))
			return;
		int m = ws_sip_outbound(p + skip, (size_t)n, &c->alias, s->scratch, s->scratch_len);
		if (m == -EACCES) {
			LOG_WARN("ws: refused a request for a user that is not on connection %s (%s): "
				 "stale binding on a reused port", c->peer, c->alias.local);
			m = ws_sip_reply(p + skip, (size_t)n, 480, "Temporarily Unavailable",
					 s->scratch, s->scratch_len);
			if (m > 0)
				bufferevent_write(c->up, s->scratch, (size_t)m);
		} else if (m > 0) {
			send_frame(c, WS_OP_TEXT, s->scratch, (size_t)m);
			atomic_fetch_add(&s->msgs_out, 1);
			log_first_line(c->peer, "out", s->scratch, (size_t)m);
		}
		evbuffer_drain(in, skip + (size_t)n);
	}
}

static void up_event(struct bufferevent *bev, short what, void *arg)
{
	struct wsconn *c = arg;
	if (what & BEV_EVENT_CONNECTED)
		return;
	ws_close(c, WS_CLOSE_GOING_AWAY, (what & BEV_EVENT_EOF) ? NULL : "connection to sofia failed");
}

static int up_connect(struct wsconn *c)
{
	struct ws_shim *s = c->s;
	c->up = bufferevent_socket_new(s->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (!c->up)
		return -ENOMEM;
	bufferevent_setcb(c->up, up_read, NULL, up_event, c);
	if (bufferevent_socket_connect(c->up, (struct sockaddr *)&s->sofia_sa, s->sofia_salen) < 0)
		return -ECONNREFUSED;
	/* The ephemeral port is bound by connect(): it is this browser's alias. */
	struct sockaddr_storage la;
	socklen_t ll = sizeof la;
	if (getsockname(bufferevent_getfd(c->up), (struct sockaddr *)&la, &ll) < 0 ||
	    sockaddr_text((struct sockaddr *)&la, c->alias.local, sizeof c->alias.local, NULL, 0) < 0)
		return -EADDRNOTAVAIL;
	int one = 1;
	setsockopt(bufferevent_getfd(c->up), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	bufferevent_enable(c->up, EV_READ | EV_WRITE);
	return ws_source_sign(s->c.secret, c->peer, c->secure ? "wss" : "ws", c->alias.local,
			      c->src_hdr, sizeof c->src_hdr);
}

/* --- browser -> sofia ---------------------------------------------------- */

static void on_message(struct wsconn *c)
{
	struct ws_shim *s = c->s;
	const uint8_t *m = c->rd.msg;
	size_t n = c->rd.msg_len, i;
	for (i = 0; i < n && (m[i] == '\r' || m[i] == '\n'); i++)
		;
	if (i == n) {                 /* RFC 5626 CRLF keep-alive: pong */
		if (n)
			send_frame(c, WS_OP_TEXT, "\r\n", 2);
		return;
	}
	if (!scratch_fit(s, n + 1024 + WS_SOURCE_MAX))
		return;
	int r = ws_sip_inbound((const char *)m, n, &c->alias, c->src_hdr, s->scratch, s->scratch_len);
	if (r < 0) {
		LOG_INFO("ws: dropped a message from %s that is not a SIP message", c->peer);
		return;
	}
	bufferevent_write(c->up, s->scratch, (size_t)r);
	atomic_fetch_add(&s->msgs_in, 1);
	log_first_line(c->peer, "in", s->scratch, (size_t)r);
}

/* Handle one reader event; false when the connection was closed. */
static bool on_ws_event(struct wsconn *c, int ev)
{
	switch (ev) {
	case WS_EV_MESSAGE:
		on_message(c);
		return true;
	case WS_EV_PING:
		send_frame(c, WS_OP_PONG, c->rd.ctl, c->rd.ctl_len);
		return true;
	case WS_EV_PONG:
		return true;
	case WS_EV_CLOSE:
		ws_close(c, c->rd.close_code ? WS_CLOSE_NORMAL : WS_CLOSE_NORMAL, NULL);
		return false;
	case -EMSGSIZE:
		atomic_fetch_add(&c->s->oversize, 1);
		ws_close(c, WS_CLOSE_TOO_BIG, "message over the size limit");
		return false;
	default:
		ws_close(c, WS_CLOSE_PROTOCOL, "WebSocket protocol error");
		return false;
	}
}

static void frames_read(struct wsconn *c, struct evbuffer *in)
{
	for (;;) {
		size_t len = evbuffer_get_length(in), used;
		if (len < 2)
			return;
		struct ws_frame_hdr h;
		const uint8_t *p = evbuffer_pullup(in, len < 14 ? (ev_ssize_t)len : 14);
		int rc = ws_frame_header(p, len < 14 ? len : 14, true, c->s->c.max_message, &h);
		if (rc == 0)
			return;
		if (rc > 0) {
			if (len < h.hdr_len + h.len)
				return;
			p = evbuffer_pullup(in, (ev_ssize_t)(h.hdr_len + h.len));
			rc = ws_reader_next(&c->rd, p, h.hdr_len + (size_t)h.len, &used);
			evbuffer_drain(in, used);
			if (rc == 0)
				continue;
		}
		if (!on_ws_event(c, rc))
			return;
	}
}

static void ping_tick(evutil_socket_t fd, short what, void *arg)
{
	struct wsconn *c = arg;
	unsigned iv = c->s->c.ping_interval;
	if (time(NULL) - c->last_rx > (time_t)(2 * iv + 1)) {
		ws_close(c, WS_CLOSE_GOING_AWAY, "no answer to pings");
		return;
	}
	send_frame(c, WS_OP_PING, "tandem", 6);
}

static void upgrade(struct wsconn *c, const struct ws_handshake *h)
{
	struct ws_shim *s = c->s;
	char accept[32];
	if (h->origin[0] && !ws_origin_allowed(s->origins, h->origin)) {
		http_refuse(c, 403, "Origin not allowed");
		return;
	}
	if (ws_accept_value(h->key, accept, sizeof accept) < 0 || up_connect(c) < 0) {
		http_refuse(c, 503, "cannot reach the SIP stack");
		return;
	}
	evbuffer_add_printf(bufferevent_get_output(c->cli),
			    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
			    "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n"
			    "Sec-WebSocket-Protocol: sip\r\n\r\n", accept);
	c->st = WC_OPEN;
	atomic_fetch_add(&s->accepted, 1);
	atomic_fetch_add(&s->active, 1);
	bufferevent_set_timeouts(c->cli, NULL, NULL);
	if (s->c.ping_interval) {
		c->timer = event_new(s->base, -1, EV_PERSIST, ping_tick, c);
		struct timeval tv = { (time_t)s->c.ping_interval, 0 };
		if (c->timer)
			event_add(c->timer, &tv);
	}
	LOG_DEBUG("ws: %s open as %s (origin %s)", c->peer, c->alias.local, h->origin[0] ? h->origin : "-");
}

static void cli_read(struct bufferevent *bev, void *arg)
{
	struct wsconn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	c->last_rx = time(NULL);
	if (c->st == WC_OPEN) {
		frames_read(c, in);
		return;
	}
	if (c->st != WC_HANDSHAKE)
		return;
	size_t len = evbuffer_get_length(in);
	size_t take = len < WS_HANDSHAKE_MAX ? len : WS_HANDSHAKE_MAX;
	const char *p = (const char *)evbuffer_pullup(in, (ev_ssize_t)take);
	int hl = ws_handshake_complete(p, take);
	if (hl == 0)
		return;
	if (hl < 0) {
		http_refuse(c, 400, "request head too long");
		return;
	}
	struct ws_handshake h;
	const char *why;
	int code = ws_handshake_parse(p, (size_t)hl, &h, &why);
	evbuffer_drain(in, (size_t)hl);
	if (code) {
		http_refuse(c, code, why);
		return;
	}
	upgrade(c, &h);
	if (c->st == WC_OPEN && evbuffer_get_length(in))
		frames_read(c, in);
}

static void cli_event(struct bufferevent *bev, short what, void *arg)
{
	struct wsconn *c = arg;
	if (what & BEV_EVENT_CONNECTED)
		return;             /* the TLS handshake completed */
	if (what & BEV_EVENT_TIMEOUT) {
		LOG_INFO("ws: %s did not complete the handshake in %u s", c->peer,
			 c->s->c.handshake_timeout);
		atomic_fetch_add(&c->s->refused, 1);
	} else if ((what & BEV_EVENT_ERROR) && c->secure) {
		unsigned long e = bufferevent_get_openssl_error(bev);
		if (e) {
			char buf[160];
			ERR_error_string_n(e, buf, sizeof buf);
			LOG_INFO("ws: TLS with %s failed: %s", c->peer, buf);
		}
	}
	conn_free(c, true);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
		      void *arg)
{
	struct ws_shim *s = arg;
	bool secure = l == s->lwss;
	struct wsconn *c = calloc(1, sizeof *c);
	if (!c) {
		evutil_closesocket(fd);
		return;
	}
	c->s = s;
	c->secure = secure;
	c->st = WC_HANDSHAKE;
	c->last_rx = time(NULL);
	ws_reader_init(&c->rd, s->c.max_message);
	if (sockaddr_text(sa, c->peer, sizeof c->peer, c->ip, sizeof c->ip) < 0)
		snprintf(c->peer, sizeof c->peer, "?");
	bool over_total = s->c.max_connections && s->nconns >= s->c.max_connections;
	if (over_total || !ip_take(s, c->ip)) {
		LOG_INFO("ws: refused %s: too many connections%s", c->peer, over_total ? "" : " from this address");
		atomic_fetch_add(&s->refused, 1);
		evutil_closesocket(fd);
		ws_reader_free(&c->rd);
		free(c);
		return;
	}
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
	if (secure) {
		pthread_mutex_lock(&s->tls_lock);
		SSL *ssl = s->tls ? SSL_new(s->tls) : NULL;
		pthread_mutex_unlock(&s->tls_lock);
		c->cli = ssl ? bufferevent_openssl_socket_new(s->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
							     BEV_OPT_CLOSE_ON_FREE) : NULL;
		if (c->cli)
			bufferevent_openssl_set_allow_dirty_shutdown(c->cli, 1);
		else if (ssl)
			SSL_free(ssl);
	} else {
		c->cli = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	}
	if (!c->cli) {
		evutil_closesocket(fd);
		conn_free(c, false);
		return;
	}
	bufferevent_setcb(c->cli, cli_read, NULL, cli_event, c);
	struct timeval tv = { (time_t)(s->c.handshake_timeout ? s->c.handshake_timeout : 10), 0 };
	bufferevent_set_timeouts(c->cli, &tv, NULL);
	bufferevent_enable(c->cli, EV_READ | EV_WRITE);
}

/* --- lifecycle ------------------------------------------------------------ */

static SSL_CTX *tls_load(const char *cert, const char *key)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		char buf[160];
		ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
		LOG_ERR("ws: cannot load WSS certificate %s / key %s: %s", cert, key, buf);
		SSL_CTX_free(ctx);
		ERR_clear_error();
		return NULL;
	}
	return ctx;
}

int ws_shim_set_tls(ws_shim_t *s, const char *certificate, const char *private_key)
{
	if (!certificate || !private_key)
		return -EINVAL;
	SSL_CTX *ctx = tls_load(certificate, private_key);
	if (!ctx)
		return -EINVAL;
	pthread_mutex_lock(&s->tls_lock);
	SSL_CTX *old = s->tls;
	s->tls = ctx;               /* running connections hold their own reference */
	pthread_mutex_unlock(&s->tls_lock);
	SSL_CTX_free(old);
	LOG_INFO("ws: WSS certificate loaded from %s", certificate);
	return 0;
}

static struct evconnlistener *listen_on(struct ws_shim *s, const char *addr, char *bound, size_t blen)
{
	struct sockaddr_storage ss;
	int sl = sizeof ss;
	if (evutil_parse_sockaddr_port(addr, (struct sockaddr *)&ss, &sl) < 0) {
		LOG_ERR("ws: cannot parse listen address '%s' (want IP:PORT)", addr);
		return NULL;
	}
	struct evconnlistener *l = evconnlistener_new_bind(s->base, on_accept, s,
		LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 128,
		(struct sockaddr *)&ss, sl);
	if (!l) {
		LOG_ERR("ws: cannot listen on %s: %s", addr, strerror(errno));
		return NULL;
	}
	struct sockaddr_storage b;
	socklen_t bl = sizeof b;
	if (getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&b, &bl) < 0 ||
	    sockaddr_text((struct sockaddr *)&b, bound, blen, NULL, 0) < 0)
		snprintf(bound, blen, "%s", addr);
	return l;
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	struct ws_shim *s = arg;
	event_base_loopbreak(s->base);
}

static void *shim_main(void *arg)
{
	struct ws_shim *s = arg;
	pthread_setname_np(pthread_self(), "tandem-ws");
	event_base_dispatch(s->base);
	return NULL;
}

static void shim_free(struct ws_shim *s)
{
	while (s->conns)
		conn_free(s->conns, false);
	if (s->lws)
		evconnlistener_free(s->lws);
	if (s->lwss)
		evconnlistener_free(s->lwss);
	if (s->stop_ev)
		event_free(s->stop_ev);
	if (s->stop_fd >= 0)
		close(s->stop_fd);
	if (s->base)
		event_base_free(s->base);
	SSL_CTX_free(s->tls);
	pthread_mutex_destroy(&s->tls_lock);
	free(s->origins);
	free(s->sofia);
	free(s->scratch);
	free(s);
}

int ws_shim_start(const struct ws_shim_conf *c, ws_closed_fn on_closed, void *arg, ws_shim_t **out)
{
	int rc = -ENOMEM;
	struct ws_shim *s = calloc(1, sizeof *s);
	*out = NULL;
	if (!s)
		return -ENOMEM;
	s->stop_fd = -1;
	pthread_mutex_init(&s->tls_lock, NULL);
	s->c = *c;
	s->origins = c->origins ? strdup(c->origins) : NULL;
	s->sofia = strdup(c->sofia ? c->sofia : "");
	s->c.origins = s->c.sofia = s->c.certificate = s->c.private_key = NULL;
	s->c.ws_listen = s->c.wss_listen = NULL;
	if (!s->c.max_message)
		s->c.max_message = 65536;
	s->on_closed = on_closed;
	s->arg = arg;
	s->sofia_salen = sizeof s->sofia_sa;
	if (!s->sofia || evutil_parse_sockaddr_port(s->sofia, (struct sockaddr *)&s->sofia_sa,
						     &s->sofia_salen) < 0) {
		rc = -EINVAL;
		goto fail;
	}
	struct event_config *cfg = event_config_new();
	if (cfg) {
		event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK);
		s->base = event_base_new_with_config(cfg);
		event_config_free(cfg);
	}
	s->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!s->base || s->stop_fd < 0)
		goto fail;
	s->stop_ev = event_new(s->base, s->stop_fd, EV_READ, on_stop, s);
	if (!s->stop_ev || event_add(s->stop_ev, NULL) < 0)
		goto fail;
	rc = -EINVAL;
	if (c->wss_listen) {
		if (!(s->tls = tls_load(c->certificate ? c->certificate : "", c->private_key ? c->private_key : "")))
			goto fail;
		if (!(s->lwss = listen_on(s, c->wss_listen, s->wss_addr, sizeof s->wss_addr)))
			goto fail;
		LOG_NOTICE("ws: SIP over secure WebSocket on %s", s->wss_addr);
	}
	if (c->ws_listen) {
		if (!(s->lws = listen_on(s, c->ws_listen, s->ws_addr, sizeof s->ws_addr)))
			goto fail;
		LOG_NOTICE("ws: SIP over WebSocket on %s", s->ws_addr);
	}
	rc = -pthread_create(&s->thread, NULL, shim_main, s);
	if (rc)
		goto fail;
	*out = s;
	return 0;
fail:
	shim_free(s);
	return rc;
}

void ws_shim_stop(ws_shim_t *s)
{
	if (!s)
		return;
	uint64_t one = 1;
	if (write(s->stop_fd, &one, sizeof one) < 0)
		LOG_WARN("ws: cannot wake the shim thread: %s", strerror(errno));
	pthread_join(s->thread, NULL);
	shim_free(s);
}

void ws_shim_stats(const ws_shim_t *s, struct ws_shim_stats *out)
{
	out->accepted = atomic_load(&s->accepted);
	out->refused = atomic_load(&s->refused);
	out->active = atomic_load(&s->active);
	out->msgs_in = atomic_load(&s->msgs_in);
	out->msgs_out = atomic_load(&s->msgs_out);
	out->closed_oversize = atomic_load(&s->oversize);
}

const char *ws_shim_ws_addr(const ws_shim_t *s) { return s->ws_addr; }
const char *ws_shim_wss_addr(const ws_shim_t *s) { return s->wss_addr; }
