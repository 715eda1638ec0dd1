/* ws_glue.c - internal listener and source check for the WebSocket shim;
 * see ws_glue.h. */
#include "config.h"
#include "sip/ws_glue.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sofia-sip/msg_addr.h>

#include "core/log.h"
#include "sip/regsip.h"
#include "sip/ws_shim.h"
#include "sip/ws_source.h"

int tsip_ws_listen(struct tsip *s)
{
	const tconf_t *c = s->conf;
	const struct tconf_websocket *w = &c->websocket;
	if (!w->ws_listen && !w->wss_listen)
		return 0;
	const struct tconf_interface *ifc = &c->interfaces[0];
	if (!(ifc->transports & TCONF_TP_TCP)) {
		LOG_ERR("sip: [websocket] needs tcp among the transports of interface %s", ifc->name);
		return -EINVAL;
	}
	if (RAND_bytes(s->ws_secret, sizeof s->ws_secret) != 1)
		return -EIO;
	const char *a = ifc->address;
	bool v6 = strchr(a, ':') != NULL;
	if (!strcmp(a, "0.0.0.0") || !strcmp(a, "*"))
		a = "127.0.0.1", v6 = false;
	else if (!strcmp(a, "::"))
		a = "::1";
	snprintf(s->ws_internal, sizeof s->ws_internal, v6 ? "[%s]:%u" : "%s:%u", a, ifc->sip_port);
	LOG_INFO("sip: WebSocket clients reach the SIP stack over TCP at %s", s->ws_internal);
	return 0;
}

/* "IP:PORT" of where a message came from, per sofia. */
static int msg_source(msg_t *msg, char *out, size_t len)
{
	su_addrinfo_t *ai = msg_addrinfo(msg);
	if (!ai || !ai->ai_addr)
		return -EINVAL;
	su_sockaddr_t *su = (su_sockaddr_t *)ai->ai_addr;
	char ip[64];
	if (!su_inet_ntop(su->su_family, SU_ADDR(su), ip, sizeof ip))
		return -EINVAL;
	snprintf(out, len, su->su_family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip, ntohs(su->su_port));
	return 0;
}

int tsip_ws_source(struct tsip *s, msg_t *msg, const sip_t *sip, char *real, size_t reallen)
{
	const char *val = NULL;
	for (const sip_unknown_t *u = sip ? sip->sip_unknown : NULL; u; u = u->un_next)
		if (u->un_name && !strcasecmp(u->un_name, "X-Tandem-Source")) {
			if (val)
				return -EPERM;      /* only the shim adds one, and only once */
			val = u->un_value;
		}
	if (!val)
		return 0;
	char src[80], proto[8];
	if (!s->ws_internal[0] || !msg || msg_source(msg, src, sizeof src) < 0 ||
	    ws_source_verify(s->ws_secret, val, src, real, reallen, proto, sizeof proto) < 0) {
		LOG_WARN("sip: refused a request with a forged or replayed X-Tandem-Source header");
		return -EPERM;
	}
	return 1;
}

const char *tsip_ws_internal(const tsip_t *s) { return s->ws_internal; }
const uint8_t *tsip_ws_secret(const tsip_t *s) { return s->ws_secret; }

static void do_ws_closed(void *arg)
{
	struct ws_closed_msg { struct tsip *s; char local[64]; } *m = arg;
	tsip_drop_bindings_at(m->s, m->local);
	free(m);
}

void tsip_ws_closed(tsip_t *s, const char *local)
{
	struct ws_closed_msg { struct tsip *s; char local[64]; } *m = calloc(1, sizeof *m);
	if (!m)
		return;
	m->s = s;
	snprintf(m->local, sizeof m->local, "%s", local);
	if (tq_post(s->q, do_ws_closed, free, m) < 0)
		free(m);
}

int tsip_ws_check_request(struct tsip *s, nua_event_t event, nua_handle_t *nh, const sip_t *sip)
{
	switch (event) {
	case nua_i_invite: case nua_i_register: case nua_i_options: case nua_i_message:
	case nua_i_subscribe: case nua_i_refer: case nua_i_publish: case nua_i_info:
		break;
	default:
		return 0;
	}
	char real[64];
	if (tsip_ws_source(s, nua_current_request(s->nua), sip, real, sizeof real) >= 0)
		return 0;
	nua_respond(nh, 403, "Forbidden", NUTAG_WITH_THIS(s->nua), TAG_END());
	nua_handle_destroy(nh);
	return -EPERM;
}

void tsip_drop_bindings_at(struct tsip *s, const char *hostport)
{
	LOG_DEBUG("sip: WebSocket connection %s closed", hostport);
	tregsip_drop_connection(s, hostport);
}
static void shim_closed(void *arg, const char *local)
{
	tsip_ws_closed(arg, local);
}

int tsip_ws_start(tsip_t *s, const tconf_t *c, struct ws_shim **out)
{
	const struct tconf_websocket *w = &c->websocket;
	*out = NULL;
	if (!s->ws_internal[0])
		return 0;
	char origins[2048] = "";
	size_t n = 0;
	for (const char **o = w->origins; o && *o; o++)
		n += (size_t)snprintf(origins + n, n < sizeof origins ? sizeof origins - n : 0, "%s%s",
				      n ? " " : "", *o);
	if (n >= sizeof origins) {
		LOG_ERR("[websocket] origins: the list is too long");
		return -E2BIG;
	}
	struct ws_shim_conf sc = {
		.ws_listen = w->ws_listen, .wss_listen = w->wss_listen,
		.certificate = w->certificate, .private_key = w->private_key,
		.origins = origins, .max_per_ip = w->max_per_ip, .max_connections = w->max_connections,
		.max_message = w->max_message, .handshake_timeout = w->handshake_timeout,
		.ping_interval = w->ping_interval, .sofia = s->ws_internal,
	};
	memcpy(sc.secret, s->ws_secret, sizeof sc.secret);
	int rc = ws_shim_start(&sc, shim_closed, s, out);
	OPENSSL_cleanse(sc.secret, sizeof sc.secret);
	return rc;
}
