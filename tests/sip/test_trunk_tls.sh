#!/usr/bin/env bash
# test_trunk_tls.sh - a TLS trunk. The carrier is sipp (built without TLS)
# behind socat, which terminates TLS with a certificate from a test CA made
# here with openssl; it is carrier.test, served by dnsmasq in a private
# network namespace (see netns.sh). tandemd trusts that CA (cafile.pem): a call with a good
# certificate goes through; a self-signed one and one from another CA are
# refused (the call fails over to the next trunk, with a log line). Also
# records whether tandemd's ClientHello carries SNI, and a certificate for
# another name (same CA).
. "$srcdir/tests/lib/testlib.sh"
. "$srcdir/tests/sip/netns.sh"
netns_enter "$@"
tl_tmp
. "$srcdir/tests/sip/siplib.sh"
need_tools
# sofia's TLS transport leaks its OpenSSL objects at exit (see the file)
export LSAN_OPTIONS="suppressions=$srcdir/tests/sip/sofia-tls.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
for t in openssl socat dumpcap tshark; do
	command -v $t >/dev/null || { tl_fail "$t is installed"; tl_done; }
done
# the carrier is carrier.test (127.0.0.1), named in its certificate
# tls-srv.test: a domain whose _sips._tcp SRV points at carrier.test
TPS=$(tl_port)
netns_dns --host-record=carrier.test,127.0.0.1 --srv-host=_sips._tcp.tls-srv.test,carrier.test,$TPS,10,10 ||
	{ tl_fail "dnsmasq starts"; tl_done; }

NUMBER=9123456
K="$TL_TMP/pki"; mkdir -p "$K/gw"
key() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "$@" 2>/dev/null; }
# a CA, a carrier certificate for carrier.test/127.0.0.1, one for another
# name, a self-signed one, and a second CA nobody trusts
key -x509 -days 2 -keyout "$K/ca.key" -out "$K/ca.pem" -subj "/CN=Tandem Test CA"
key -x509 -days 2 -keyout "$K/ca2.key" -out "$K/ca2.pem" -subj "/CN=Unknown CA"
sign() { # NAME SAN CA
	key -keyout "$K/$1.key" -out "$K/$1.csr" -subj "/CN=$1"
	printf 'subjectAltName=%s\n' "$2" >"$K/$1.ext"
	openssl x509 -req -in "$K/$1.csr" -CA "$K/$3.pem" -CAkey "$K/$3.key" -CAcreateserial \
		-days 2 -extfile "$K/$1.ext" -out "$K/$1.pem" 2>/dev/null
}
sign good "DNS:carrier.test,IP:127.0.0.1" ca
sign wrongname "DNS:other.test" ca
sign otherca "DNS:carrier.test,IP:127.0.0.1" ca2
sign srvdomain "DNS:tls-srv.test" ca
key -x509 -days 2 -keyout "$K/selfsigned.key" -out "$K/selfsigned.pem" -subj "/CN=carrier.test" \
	-addext "subjectAltName=DNS:carrier.test,IP:127.0.0.1"
key -x509 -days 2 -keyout "$K/gw.key" -out "$K/gw.pem" -subj "/CN=tandem-gw"
cat "$K/gw.key" "$K/gw.pem" >"$K/gw/agent.pem"
cp "$K/ca.pem" "$K/gw/cafile.pem"
tl_check "test PKI made (good certificate verifies against the CA)" \
	bash -c "openssl verify -CAfile '$K/ca.pem' '$K/good.pem' >/dev/null"

# the carrier: sipp over TCP behind socat's TLS; its Contact is the TLS port
sed 's/\[local_port\];transport=\[transport\]/[tlsport];transport=tls/' \
	"$SCEN/uas_basic.xml" >"$TL_TMP/uas_tls.xml"

TL_SIP_PORT=$(tl_port)
TLS_PORT=$(tl_port)
TLSB=$(tl_port)         # trunk2: the fallback (plain UDP)
begin() { # CASE: its directory and the carrier's TLS port
	CASE=$1; C="$TL_TMP/$CASE"; mkdir -p "$C"
	echo "=== case $CASE" >>"$TL_TMP/tandemd.log"
	TP=$(tl_port)
}
start_gw() { # [VERIFY]: tandemd with trunk1 = TLS to the carrier, trunk2 = fallback
	TL_TRUNK_PORT=$TP TL_SETUP_TIMEOUT=2
	TL_SIP_PORT=$(tl_port); TLS_PORT=$(tl_port)
	TL_TRUNKS="transport = tls

[trunk2](carrier)
host = 127.0.0.1
port = $TLSB" TL_ROUTES="9 = trunk1, trunk2" tl_conf "$C/conf"
	sed -i "/^rtp_port_max/a transports = udp,tcp,tls\ntls_port = $TLS_PORT\ntls_certificate_dir = $K/gw\ntls_verify_server = ${1:-yes}" \
		"$C/conf/tandem.conf"
	if [ "$CASE" = srv ]; then   # by domain: no port, SRV
		sed -i -E '0,/^host = /s/^host = .*/host = tls-srv.test/; 0,/^port = /{/^port = /d}' "$C/conf/trunks.conf"
	else
		sed -i -E '0,/^host = /s/^host = .*/host = carrier.test/' "$C/conf/trunks.conf"
	fi
	tl_start_tandemd "$C/conf/tandem.conf"
}

carrier_tls() { # CERT: socat with that certificate in front of a sipp carrier
	CP=$(tl_port)
	SCEN=$TL_TMP SIPP_PORT=$CP sipp_bg "$CASE-carrier" uas_tls.xml -t t1 -m 1 \
		-key tlsport "$TP" -key mport "$(tl_port)" -key mfile "$C/mb" || return 1
	CARRIER=$SIPP_PID
	tl_bg socat -d -d OPENSSL-LISTEN:"$TP",bind=127.0.0.1,reuseaddr,fork,cert="$K/$1.pem",key="$K/$1.key",verify=0 \
		TCP:127.0.0.1:"$CP" 2>"$C/socat.log"
	SOCAT=$TL_LAST_PID
	for _ in $(seq 1 50); do ss -Hlnt "sport = :$TP" | grep -q . && break; sleep 0.1; done
}

caller() {
	sipp_fg "$CASE-caller" uac_basic.xml "127.0.0.1:$TL_SIP_PORT" -m 1 -s "$NUMBER" \
		-key mport "$(tl_port)" -key mfile "$C/ma" -d 800
	RC=$?
}

# 1. good certificate: the call goes over TLS
begin good
if carrier_tls good && start_gw; then
	tl_bg dumpcap -q -i lo -f "tcp port $TP" -w "$C/tls.pcapng" 2>/dev/null; DUMP=$TL_LAST_PID
	sleep 0.5
	# the trunk port is where socat listens
	caller
	tl_eq "good: the call over the TLS trunk is answered" "$RC" 0
	[ $RC -ne 0 ] && sipp_why good-caller
	wait "$CARRIER"; rc=$?
	tl_eq "good: the carrier (behind TLS) took the call" "$rc" 0
	[ $rc -ne 0 ] && sipp_why good-carrier
	tl_check "good: the INVITE said it came over TLS (Via SIP/2.0/TLS)" \
		grep -q "^Via: SIP/2.0/TLS" "$TL_TMP/good-carrier.msg"
	sleep 0.5; kill "$DUMP" 2>/dev/null; wait "$DUMP" 2>/dev/null
	sni=$(tshark -r "$C/tls.pcapng" -Y "tls.handshake.type == 1" -T fields \
		-e tls.handshake.extensions_server_name 2>/dev/null | head -1)
	hello=$(tshark -r "$C/tls.pcapng" -Y "tls.handshake.type == 1" 2>/dev/null | wc -l)
	tl_check "good: tandemd's ClientHello was captured ($hello)" test "$hello" -ge 1
	echo "# SNI in tandemd's ClientHello: '${sni:-none}'"
	tl_stop_tandemd; tl_eq "good: tandemd exits 0" "$?" 0
	kill "$SOCAT" 2>/dev/null
else
	tl_fail "good: carrier and tandemd start"
fi

# 1b. by SRV: trunk host tls-srv.test without a port -> _sips._tcp SRV ->
# carrier.test:PORT; the certificate must name the domain tls-srv.test
# (RFC 5922), which this one does, and only that
begin srv
TP=$TPS
if carrier_tls srvdomain && start_gw; then
	for _ in $(seq 1 50); do grep -q "dns: tls-srv.test ->" "$TL_TMP/tandemd.log" && break; sleep 0.1; done
	caller
	tl_eq "srv: the call to the TLS trunk found by SRV is answered" "$RC" 0
	[ $RC -ne 0 ] && sipp_why srv-caller
	wait "$CARRIER"; rc=$?
	tl_eq "srv: the carrier behind TLS took it" "$rc" 0
	tl_check "srv: the Request-URI keeps the domain (sip:$NUMBER@tls-srv.test;transport=tls)" \
		grep -q "^INVITE sip:$NUMBER@tls-srv.test;transport=tls SIP/2.0" "$TL_TMP/srv-carrier.msg"
	tl_check "srv: it went to the SRV target" \
		grep -q "via trunk trunk1 (sip:$NUMBER@tls-srv.test;transport=tls to carrier.test -> 127.0.0.1:$TPS)" "$TL_TMP/tandemd.log"
	tl_stop_tandemd; tl_eq "srv: tandemd exits 0" "$?" 0
	kill "$SOCAT" 2>/dev/null
else
	tl_fail "srv: carrier and tandemd start"
fi

# 2..4: certificates that must be refused: the TLS trunk fails, the call
# fails over to trunk2 (plain UDP) and the log says why
bad_case() { # CERT WHAT LOGTEXT
	begin "$1"
	carrier_tls "$1" || { tl_fail "$CASE: carrier starts"; return; }
	SIPP_PORT=$TLSB sipp_bg "$CASE-fallback" uas_basic.xml -m 1 -key mport "$(tl_port)" -key mfile "$C/mb2"
	local fb=$SIPP_PID
	start_gw || { tl_fail "$CASE: tandemd starts"; return; }
	caller
	tl_eq "$CASE ($2): the call is answered ..." "$RC" 0
	[ $RC -ne 0 ] && sipp_why "$CASE-caller"
	wait "$fb"; local rc=$?
	tl_eq "$CASE: ... by the fallback trunk2, not over TLS" "$rc" 0
	[ $rc -ne 0 ] && sipp_why "$CASE-fallback"
	kill "$CARRIER" 2>/dev/null; wait "$CARRIER" 2>/dev/null
	tl_eq "$CASE: the TLS carrier got no INVITE" "$(grep -c '^INVITE ' "$TL_TMP/$CASE-carrier.msg" 2>/dev/null)" 0
	tl_check "$CASE: socat saw the handshake fail (tandemd refused the certificate)" \
		grep -qi "alert\|SSL_accept\|certificate" "$C/socat.log"
	tl_check "$CASE: the log says why: 'TLS peer certificate refused: $3'" \
		grep -q "warn   sip: TLS peer certificate refused: $3" "$TL_TMP/tandemd.log"
	tl_check "$CASE: ... and that the call failed over" \
		grep -q "call .*: trunk trunk1 failed (.*): failing over to trunk trunk2" "$TL_TMP/tandemd.log"
	local t0; t0=$(date +%s%N)
	tl_stop_tandemd; tl_eq "$CASE: tandemd exits 0" "$?" 0
	local ms; ms=$(elapsed_ms "$t0")
	tl_check "$CASE: ... promptly, not held by the abandoned TLS attempt ($ms ms)" test "$ms" -lt 5000
	kill "$SOCAT" 2>/dev/null
}
bad_case selfsigned "self-signed certificate" "err 18:self-signed certificate"
bad_case otherca "certificate from a CA that is not in cafile.pem" "err 20:unable to get local issuer certificate"
bad_case wrongname "certificate of the trusted CA for other.test" "tls_post_connection_check.*Peer Subject Mismatch (carrier.test)"
tl_done
