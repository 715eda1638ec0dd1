#!/usr/bin/env bash
# test_websocket.sh - SIP over WebSocket (RFC 7118) through tandemd's shim:
# handshakes good and bad, OPTIONS and a call to the echo endpoint signalled
# over WS with RTP measured both ways, tandemd's BYE reaching the browser
# over its own connection, forged source headers refused, size and
# per-address limits, pings, WSS and a certificate renewed by a reload.
# The scenarios are in ws_scenarios.py (Python standard library only).
. "$srcdir/tests/lib/testlib.sh"
tl_tmp
command -v python3 >/dev/null || { tl_fail "python3 is installed"; tl_done; }
command -v openssl >/dev/null || { tl_fail "openssl is installed"; tl_done; }

certs="$TL_TMP/certs"
mkdir -p "$certs"
for n in ws new; do
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj "/CN=127.0.0.1" -keyout "$certs/$n.key" -out "$certs/$n.pem" 2>/dev/null
done
openssl x509 -in "$certs/new.pem" -outform DER | sha256sum | cut -d' ' -f1 >"$certs/new.sha256"

tl_conf "$TL_TMP/conf"
WS_PORT=$(tl_port); WSS_PORT=$(tl_port)
cat >>"$TL_TMP/conf/tandem.conf" <<CONF

[websocket]
ws_listen = 127.0.0.1:$WS_PORT
wss_listen = 127.0.0.1:$WSS_PORT
certificate = $certs/ws.pem
private_key = $certs/ws.key
origins = http://127.0.0.1, https://phone.example.com
max_per_ip = 4
max_message = 4096
handshake_timeout = 2
ping_interval = 1
CONF
tl_start_tandemd "$TL_TMP/conf/tandem.conf" || { tl_fail "tandemd starts with [websocket]"; tl_done; }
tl_check "tandemd logs its WebSocket listeners" grep -q "SIP over WebSocket on 127.0.0.1:$WS_PORT" "$TANDEMD_LOG"

out=$(WS_PORT=$WS_PORT WSS_PORT=$WSS_PORT SIP_PORT=$TL_SIP_PORT TANDEMCTL=$TANDEMCTL CTL=$TL_CTL \
	CERT_DIR=$certs TANDEMD_PID=$TANDEMD_PID timeout 120 python3 "$srcdir/tests/sip/ws_scenarios.py" 2>&1)
echo "$out"
while IFS= read -r line; do
	case $line in
	"ok   - "*) tl_ok "${line#ok   - }" ;;
	"FAIL - "*) tl_fail "${line#FAIL - }" ;;
	esac
done <<<"$out"
grep -q '^ok   - ' <<<"$out" || tl_fail "the WebSocket scenarios ran"

tl_check "the oversize close is logged with the peer" grep -q "ws: closing 127.0.0.1:[0-9]*: message over the size limit" "$TANDEMD_LOG"
tl_check "the forged source header is logged" grep -q "forged or replayed X-Tandem-Source" "$TANDEMD_LOG"
tl_stop_tandemd; rc=$?
tl_eq "tandemd stops cleanly with WebSocket clients gone" "$rc" 0

# A config error names the file and line: wss without a certificate.
sed -i '/^certificate/d' "$TL_TMP/conf/tandem.conf"
msg=$("$TANDEMD" -t -c "$TL_TMP/conf/tandem.conf" 2>&1)
tl_check "tandemd -t: wss_listen without certificate names file:line ($msg)" \
	grep -q "tandem.conf:[0-9]*:.*wss_listen needs certificate and private_key" <<<"$msg"
tl_done
