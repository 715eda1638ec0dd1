/* metrics.c - see metrics.h. */
#include "config.h"
#include "core/metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#define BACKLOG 16

const double tmetrics_lat_bounds[TMETRICS_LAT_NBUCKETS] = {
	0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120,
};

/* --- histogram ------------------------------------------------------------- */

void tmetrics_hist_observe_us(struct tmetrics_hist *h, uint64_t us)
{
	size_t i = 0;
	while (i < TMETRICS_LAT_NBUCKETS && (double)us > tmetrics_lat_bounds[i] * 1e6)
		i++;
	atomic_fetch_add_explicit(&h->bucket[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum_us, us, memory_order_relaxed);
}

void tmetrics_hist_observe_since(struct tmetrics_hist *h, const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	int64_t us = ((int64_t)now.tv_sec - start->tv_sec) * 1000000 +
		     (now.tv_nsec - start->tv_nsec) / 1000;
	tmetrics_hist_observe_us(h, us > 0 ? (uint64_t)us : 0);
}

/* --- exposition ---------------------------------------------------------------- */

/* HELP text escapes backslash and newline; label values also the quote. */
static void put_escaped(struct evbuffer *b, const char *s, int quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			evbuffer_add(b, "\\\\", 2);
		else if (*s == '\n')
			evbuffer_add(b, "\\n", 2);
		else if (*s == '"' && quote)
			evbuffer_add(b, "\\\"", 2);
		else
			evbuffer_add(b, s, 1);
	}
}

void tmetrics_family(struct tmetrics_out *o, const char *name, const char *type,
		     const char *help)
{
	evbuffer_add_printf(o->buf, "# HELP %s ", name);
	put_escaped(o->buf, help, 0);
	evbuffer_add_printf(o->buf, "\n# TYPE %s %s\n", name, type);
}

static void put_name(struct tmetrics_out *o, const char *name, const char *labels)
{
	if (labels && *labels)
		evbuffer_add_printf(o->buf, "%s{%s} ", name, labels);
	else
		evbuffer_add_printf(o->buf, "%s ", name);
}

void tmetrics_u64(struct tmetrics_out *o, const char *name, const char *labels, uint64_t v)
{
	put_name(o, name, labels);
	evbuffer_add_printf(o->buf, "%" PRIu64 "\n", v);
}

void tmetrics_f64(struct tmetrics_out *o, const char *name, const char *labels, double v)
{
	put_name(o, name, labels);
	if (isnan(v))
		evbuffer_add_printf(o->buf, "NaN\n");
	else if (isinf(v))
		evbuffer_add_printf(o->buf, "%sInf\n", v > 0 ? "+" : "-");
	else
		evbuffer_add_printf(o->buf, "%.15g\n", v);
}

int tmetrics_label(char *buf, size_t len, const char *key, const char *value)
{
	size_t n = strnlen(buf, len);
	size_t need = (n ? 1 : 0) + strlen(key) + 3;   /* [,]key="" */
	for (const char *p = value; *p; p++)
		need += (*p == '\\' || *p == '"' || *p == '\n') ? 2 : 1;
	if (n >= len || need >= len - n)
		return -ENOSPC;
	char *w = buf + n;
	if (n)
		*w++ = ',';
	w += sprintf(w, "%s=\"", key);
	for (const char *p = value; *p; p++) {
		if (*p == '\\' || *p == '"' || *p == '\n') {
			*w++ = '\\';
			*w++ = *p == '\n' ? 'n' : *p;
		} else {
			*w++ = *p;
		}
	}
	*w++ = '"';
	*w = '\0';
	return 0;
}

void tmetrics_hist(struct tmetrics_out *o, const char *name, const char *labels,
		   const struct tmetrics_hist *h)
{
	char n[128], l[512];
	uint64_t cum = 0;
	snprintf(n, sizeof n, "%s_bucket", name);
	for (size_t i = 0; i <= TMETRICS_LAT_NBUCKETS; i++) {
		char le[32];
		cum += atomic_load_explicit(&h->bucket[i], memory_order_relaxed);
		if (i < TMETRICS_LAT_NBUCKETS)
			snprintf(le, sizeof le, "%g", tmetrics_lat_bounds[i]);
		else
			snprintf(le, sizeof le, "+Inf");
		snprintf(l, sizeof l, "%s", labels ? labels : "");
		if (tmetrics_label(l, sizeof l, "le", le) == 0)
			tmetrics_u64(o, n, l, cum);
	}
	uint64_t sum = atomic_load_explicit(&h->sum_us, memory_order_relaxed);
	snprintf(n, sizeof n, "%s_sum", name);
	put_name(o, n, labels);
	evbuffer_add_printf(o->buf, "%" PRIu64 ".%06" PRIu64 "\n", sum / 1000000, sum % 1000000);
	snprintf(n, sizeof n, "%s_count", name);
	tmetrics_u64(o, n, labels, cum);
}

/* --- listen address ---------------------------------------------------------- */

int tmetrics_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[64];
	const char *port, *colon;
	size_t hl;

	if (!s)
		return -EINVAL;
	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		if (!end || end[1] != ':')
			return -EINVAL;
		hl = (size_t)(end - s - 1);
		if (hl == 0 || hl >= sizeof host)
			return -EINVAL;
		memcpy(host, s + 1, hl);
		port = end + 2;
	} else {
		colon = strchr(s, ':');
		if (!colon || strchr(colon + 1, ':'))
			return -EINVAL;     /* no port, or an IPv6 address without brackets */
		hl = (size_t)(colon - s);
		if (hl == 0 || hl >= sizeof host)
			return -EINVAL;
		memcpy(host, s, hl);
		port = colon + 1;
	}
	host[hl] = '\0';
	unsigned long p = 0;
	if (!*port || strlen(port) > 5)
		return -EINVAL;
	for (const char *c = port; *c; c++) {
		if (*c < '0' || *c > '9')
			return -EINVAL;
		p = p * 10 + (unsigned long)(*c - '0');
	}
	if (p == 0 || p > 65535)
		return -EINVAL;

	memset(ss, 0, sizeof *ss);
	if (s[0] == '[') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
		if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
			return -EINVAL;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)p);
		*len = sizeof *a6;
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
		if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
			return -EINVAL;
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)p);
		*len = sizeof *a4;
	}
	return 0;
}

/* --- HTTP ---------------------------------------------------------------------- */

struct tmetrics_server {
	struct evhttp *http;
	tmetrics_collect_fn collect;
	void *arg;
};

static void on_request(struct evhttp_request *req, void *arg)
{
	struct tmetrics_server *m = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;

	if (!path || strcmp(path, "/metrics")) {
		evhttp_send_error(req, HTTP_NOTFOUND, NULL);
		return;
	}
	struct evbuffer *body = evbuffer_new();
	if (!body) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	struct tmetrics_out o = { body };
	m->collect(&o, m->arg);
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_send_reply(req, HTTP_OK, "OK", body);
	evbuffer_free(body);
}

int tmetrics_server_new(struct event_base *base, const char *listen, tmetrics_collect_fn collect,
			void *arg, tmetrics_server_t **out)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int rc = tmetrics_parse_listen(listen, &ss, &sl);
	struct tmetrics_server *m = NULL;
	struct evconnlistener *lev = NULL;

	*out = NULL;
	if (rc < 0)
		return rc;
	rc = -ENOMEM;
	m = calloc(1, sizeof *m);
	if (!m || !(m->http = evhttp_new(base)))
		goto fail;
	m->collect = collect;
	m->arg = arg;
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_max_headers_size(m->http, TMETRICS_MAX_HEADERS);
	evhttp_set_max_body_size(m->http, 0);
	evhttp_set_timeout(m->http, TMETRICS_TIMEOUT_S);
	evhttp_set_gencb(m->http, on_request, m);

	errno = 0;
	lev = evconnlistener_new_bind(base, NULL, NULL,
				      LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
				      BACKLOG, (struct sockaddr *)&ss, (int)sl);
	if (!lev) {
		rc = errno ? -errno : -EADDRNOTAVAIL;
		goto fail;
	}
	if (!evhttp_bind_listener(m->http, lev)) {
		evconnlistener_free(lev);
		goto fail;
	}
	*out = m;
	return 0;
fail:
	tmetrics_server_free(m);
	return rc;
}

void tmetrics_server_free(tmetrics_server_t *m)
{
	if (!m)
		return;
	if (m->http)
		evhttp_free(m->http);   /* and its bound listeners and connections */
	free(m);
}
