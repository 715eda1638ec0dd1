/* ws_glue.h - the SIP thread's side of the WebSocket shim (ws_shim.h).
 *
 * When [websocket] is configured, the shim connects to the TCP listener of
 * the SIP interface (Debian's sofia-sip 1.12.11 cannot add a listener to a
 * running nua, and a second listener would change the Contact sofia puts in
 * outgoing requests), and a per-process secret signs the shim's
 * X-Tandem-Source headers. These
 * functions run on the SIP thread unless said otherwise. The struct tsip owns
 * the secret and the address strings (freed with it).
 */
#ifndef TANDEM_SIP_WS_GLUE_H
#define TANDEM_SIP_WS_GLUE_H

#include <stddef.h>
#include <stdlib.h>

#include "sip/sip_internal.h"

/* Pick the address the shim connects to and make the secret (when the
 * config asks for WebSocket; the interface must carry TCP). Returns 0 (also when WebSocket is off) or a negative errno. */
int tsip_ws_listen(struct tsip *s);

/* Who sent this request: returns 1 and the real "IP:PORT" when it came
 * through the shim with a valid signed header, 0 when it did not come through
 * the shim, -EPERM when it carries an X-Tandem-Source header that does not
 * verify (forged, replayed on another connection: refuse with 403). */
int tsip_ws_source(struct tsip *s, msg_t *msg, const sip_t *sip, char *real, size_t reallen);

/* Refuse (403) an out-of-dialog request whose X-Tandem-Source header does
 * not verify; returns -EPERM when it did so (the handle is gone), else 0. */
int tsip_ws_check_request(struct tsip *s, nua_event_t event, nua_handle_t *nh, const sip_t *sip);

/* Drop every registration whose contact is at this address (a WebSocket
 * connection closed). Implemented by the registrar glue. */
void tsip_drop_bindings_at(struct tsip *s, const char *hostport);

#endif
