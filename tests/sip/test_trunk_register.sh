#!/usr/bin/env bash
# test_trunk_register.sh - outbound REGISTER to a trunk (sipp as the
# registrar): the challenge is answered (SHA-256, checked with openssl dgst),
# the binding is refreshed before the granted time runs out, `tandemctl trunks`
# shows the state, and a clean stop un-registers (Expires: 0). A registrar
# answering 403 makes the state "failed", retried with a growing back-off.
. "$srcdir/tests/lib/testlib.sh"
tl_tmp
. "$srcdir/tests/sip/siplib.sh"
need_tools

USER=gw-reg
PASS=regpass
h() { printf '%s' "$2" | openssl dgst "-$1" -r | cut -d' ' -f1; }
field() { sed -n -E "s/.*[ ,]$1=\"?([^\",]*)\"?.*/\1/p" <<<"$2"; }
reg_state() { tl_ctl --json trunks | jq -r '.trunks[] | select(.name == "trunk1") | .registration'; }
wait_state() { # STATE TENTHS
	local i
	for i in $(seq 1 "$2"); do
		[ "$(reg_state)" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
ev_ms() { tr -d '\r' <"$C/reg" | awk -v e="$1" '$1 == e { print $2 }' | head -1; }

start() {
	CASE=$1; C="$TL_TMP/$CASE"; mkdir -p "$C"
	echo "=== case $CASE" >>"$TL_TMP/tandemd.log"
	TL_SIP_PORT=$(tl_port); TL_TRUNK_PORT=$(tl_port)
	TL_TRUNKS="username = $USER
password = $PASS
register = yes
register_expiry = 120" tl_conf "$C/conf"
}

# 1. challenged, registered, refreshed, un-registered on stop
start ok
SIPP_PORT=$TL_TRUNK_PORT sipp_bg ok-registrar uas_register.xml -m 1 -key rfile "$C/reg" -key grant 8 \
	-key chal1 'WWW-Authenticate: Digest realm="reg.test", nonce="rn1", algorithm=SHA-256, qop="auth"'
registrar=$SIPP_PID
if tl_start_tandemd "$C/conf/tandem.conf"; then
	tl_check "ok: tandemctl trunks shows trunk1 registered" wait_state registered 50
	left=$(tl_ctl --json trunks | jq -r '.trunks[] | select(.name == "trunk1") | .registration_expires_s')
	tl_check "ok: ... with the granted 8 s left or less (got $left)" test "${left:-99}" -le 8
	line=$(sed -n 1p "$C/reg" | tr -d '\r')
	uri=$(field uri "$line"); nonce=$(field nonce "$line"); cnonce=$(field cnonce "$line"); nc=$(field nc "$line")
	want=$(h sha256 "$(h sha256 "$USER:reg.test:$PASS"):$nonce:$nc:$cnonce:auth:$(h sha256 "REGISTER:$uri")")
	tl_eq "ok: REGISTER answered with SHA-256 (response recomputed with openssl)" "$(field response "$line")" "$want"
	tl_eq "ok: digest uri is the registrar's URI" "$uri" "sip:127.0.0.1:$TL_TRUNK_PORT"
	tl_check "ok: the registration is logged" \
		grep -q "trunk trunk1: registered (as $USER@127.0.0.1 for 8 s)" "$TL_TMP/tandemd.log"
	for i in $(seq 1 100); do [ -n "$(ev_ms refresh)" ] && break; sleep 0.1; done
	a=$(ev_ms auth); r=$(ev_ms refresh)
	gap=$(( ${r:-0} - ${a:-0} ))
	# sofia refreshes between 1/4 and 3/4 of the granted time, on whole seconds
	tl_check "ok: refreshed before the granted 8 s ran out (after $gap ms)" test "$gap" -ge 1000 -a "$gap" -le 7500
	tl_stop_tandemd; tl_eq "ok: tandemd exits 0" "$?" 0
	wait "$registrar"; rc=$?
	tl_eq "ok: the registrar saw challenge, answer, refresh and an un-REGISTER" "$rc" 0
	[ $rc -ne 0 ] && sipp_why ok-registrar
	tl_check "ok: the stop sent Expires: 0" grep -q "^unregister [0-9]* Expires: *0" "$C/reg"
	tl_check "ok: the un-registration is logged" \
		grep -q "trunk trunk1: unregistered (removed (Expires: 0))" "$TL_TMP/tandemd.log"
else
	tl_fail "ok: tandemd starts"
fi

# 2. refused: state failed, retried after 2 s then 4 s
start refused
SIPP_PORT=$TL_TRUNK_PORT sipp_bg refused-registrar uas_register_403.xml -m 1 -key rfile "$C/reg"
registrar=$SIPP_PID
if tl_start_tandemd "$C/conf/tandem.conf"; then
	tl_check "refused: tandemctl trunks shows trunk1 failed" wait_state failed 50
	tl_check "refused: the failure is logged with its reason and the next try" \
		grep -q "trunk trunk1: registration FAILED (403 Forbidden; next try in 2 s)" "$TL_TMP/tandemd.log"
	wait "$registrar"; rc=$?
	tl_eq "refused: three REGISTERs arrived" "$rc" 0
	sleep 1       # sipp's exec of the last line may finish after sipp
	mapfile -t t < <(awk '{ print $2 }' "$C/reg")
	g1=$(( ${t[1]:-0} - ${t[0]:-0} )); g2=$(( ${t[2]:-0} - ${t[1]:-0} ))
	tl_check "refused: first retry after about 2 s ($g1 ms)" test "$g1" -ge 1000 -a "$g1" -le 3000
	tl_check "refused: second retry after about 4 s ($g2 ms)" test "$g2" -ge 3000 -a "$g2" -le 5500
	tl_stop_tandemd; tl_eq "refused: tandemd exits 0" "$?" 0
else
	tl_fail "refused: tandemd starts"
fi
tl_done
