#!/usr/bin/env bash
# test_trunk_auth.sh - tandemd answers a trunk's digest challenges (sipp as the
# carrier): a 401 with MD5, a 407 offering MD5 and SHA-256 (SHA-256 must be
# picked), refused credentials (one answer, no loop, 503 to the caller), and
# a challenge to our BYE.
# The Authorization the carrier received is recomputed here with openssl dgst.
. "$srcdir/tests/lib/testlib.sh"
tl_tmp
. "$srcdir/tests/sip/siplib.sh"
need_tools
command -v openssl >/dev/null || { tl_fail "openssl(1) is installed"; tl_done; }

NUMBER=9123456
USER=gw-user
PASS='s3cret!pw'

# h ALG TEXT: lowercase hex digest (ALG md5 or sha256)
h() { printf '%s' "$2" | openssl dgst "-$1" -r | cut -d' ' -f1; }
# field NAME LINE: a digest parameter's value, quotes removed
field() { sed -n -E "s/.*[ ,]$1=\"?([^\",]*)\"?.*/\1/p" <<<"$2"; }

start() {   # CASE: a tandemd whose trunk1 has credentials
	CASE=$1; C="$TL_TMP/$CASE"; mkdir -p "$C"
	echo "=== case $CASE" >>"$TL_TMP/tandemd.log"
	TL_SIP_PORT=$(tl_port); TL_TRUNK_PORT=$(tl_port)
	TL_TRUNKS="username = $USER
password = $PASS
${REALM_LINE:-}" TL_ROUTES="9 = trunk1" tl_conf "$C/conf"
	tl_start_tandemd "$C/conf/tandem.conf" || { tl_fail "$CASE: tandemd starts"; return 1; }
}

finish() {
	tl_stop_tandemd; tl_eq "$CASE: tandemd exits 0" "$?" 0
}

# check_answer CASE ALG HEADER: the credentials line in $C/auth answer the
# challenge with ALG for our user and the INVITE's Request-URI.
check_answer() {
	local alg=$2 hdr=$3 line cseq cseq1 uri realm nonce cnonce nc resp want ha1 ha2
	tr -d '\r' <"$C/auth" >"$C/auth.txt"
	line=$(sed -n 1p "$C/auth.txt"); cseq=$(sed -n 2p "$C/auth.txt"); cseq1=$(sed -n 3p "$C/auth.txt")
	tl_check "$CASE: the carrier got a $hdr line ($line)" grep -q "^$hdr: Digest " "$C/auth"
	uri=$(field uri "$line"); realm=$(field realm "$line"); nonce=$(field nonce "$line")
	cnonce=$(field cnonce "$line"); nc=$(field nc "$line"); resp=$(field response "$line")
	tl_eq "$CASE: username" "$(field username "$line")" "$USER"
	tl_eq "$CASE: algorithm" "$(field algorithm "$line")" "$4"
	tl_eq "$CASE: qop=auth with nc 00000001" "$(field qop "$line")/$nc" "auth/00000001"
	tl_check "$CASE: digest uri is the Request-URI (sip:$NUMBER@127.0.0.1:$TL_TRUNK_PORT)" \
		test "$uri" = "sip:$NUMBER@127.0.0.1:$TL_TRUNK_PORT"
	ha1=$(h "$alg" "$USER:$realm:$PASS"); ha2=$(h "$alg" "INVITE:$uri")
	want=$(h "$alg" "$ha1:$nonce:$nc:$cnonce:auth:$ha2")
	tl_eq "$CASE: response = $alg(HA1:nonce:nc:cnonce:auth:HA2) computed with openssl" "$resp" "$want"
	tl_eq "$CASE: the answer is the same request with the next CSeq" "$cseq" "$((${cseq1%% *} + 1)) INVITE"
}

call_ok() { # DIR XML ARGS: one answered call through trunk1, the carrier challenging first
	local dir=$1 xml=$2; shift 2
	SCEN=$dir SIPP_PORT=$TL_TRUNK_PORT sipp_bg "$CASE-carrier" "$xml" -m 1 -key afile "$C/auth" \
		-key mport "$(tl_port)" "$@" || return 1
	local carrier=$SIPP_PID
	sipp_fg "$CASE-caller" uac_basic.xml "127.0.0.1:$TL_SIP_PORT" -m 1 -s "$NUMBER" \
		-key mport "$(tl_port)" -key mfile "$C/ma" -d 1000
	local rc=$?
	tl_eq "$CASE: the caller's call is answered after the challenge" "$rc" 0
	[ $rc -ne 0 ] && sipp_why "$CASE-caller"
	wait "$carrier"; rc=$?
	tl_eq "$CASE: the carrier's scenario completes (challenge, answer, call)" "$rc" 0
	[ $rc -ne 0 ] && sipp_why "$CASE-carrier"
}

# the same carrier answering 407 Proxy Authentication Required
sed 's/SIP\/2.0 401 Unauthorized/SIP\/2.0 407 Proxy Authentication Required/' \
	"$SCEN/uas_auth.xml" >"$TL_TMP/uas_auth407.xml"

# 1. 401, MD5, qop=auth, with opaque
if start md5; then
	call_ok "$SCEN" uas_auth.xml \
		-key chal1 'WWW-Authenticate: Digest realm="carrier.test", nonce="n0nceMD5x", opaque="op1", algorithm=MD5, qop="auth"' \
		-key chal2 'X-Nothing: 1'
	check_answer md5 md5 Authorization MD5
	tl_eq "$CASE: opaque is returned" "$(field opaque "$(sed -n 1p "$C/auth.txt")")" op1
	tl_check "$CASE: the log says which challenge was answered" \
		grep -q "answering trunk trunk1's 401 challenge (MD5, realm \"carrier.test\")" "$TL_TMP/tandemd.log"
	finish
fi

# 2. 407 offering MD5 first and SHA-256 second: SHA-256 is answered (RFC 8760)
if start sha256; then
	call_ok "$TL_TMP" uas_auth407.xml \
		-key chal1 'Proxy-Authenticate: Digest realm="carrier.test", nonce="n0nceA", algorithm=MD5, qop="auth"' \
		-key chal2 'Proxy-Authenticate: Digest realm="carrier.test", nonce="n0nceB", algorithm=SHA-256, qop="auth,auth-int"'
	check_answer sha256 sha256 Proxy-Authorization SHA-256
	tl_eq "$CASE: the SHA-256 challenge's nonce was used" "$(field nonce "$(sed -n 1p "$C/auth.txt")")" n0nceB
	finish
fi

# 3. a realm we have no credentials for is not answered: 503, no second INVITE
if REALM_LINE="realm = other.test" start wrongrealm; then
	SIPP_PORT=$TL_TRUNK_PORT sipp_bg "$CASE-carrier" uas_auth_refuse.xml -m 1 \
		-key chal1 'WWW-Authenticate: Digest realm="carrier.test", nonce="x1", algorithm=MD5' \
		-key chal2 'X-Nothing: 1'
	carrier=$SIPP_PID
	sipp_fg "$CASE-caller" uac_503_plain.xml "127.0.0.1:$TL_SIP_PORT" -m 1 -s "$NUMBER" \
		-key mport "$(tl_port)"; rc=$?
	tl_eq "$CASE: the caller gets 503" "$rc" 0
	kill "$carrier" 2>/dev/null; wait "$carrier" 2>/dev/null
	tl_eq "$CASE: the carrier got one INVITE only" \
		"$(grep -c '^INVITE ' "$TL_TMP/$CASE-carrier.msg")" 1
	tl_check "$CASE: the log says no challenge could be answered" \
		grep -q "trunk trunk1 sent no digest challenge we can answer" "$TL_TMP/tandemd.log"
	finish
fi

# 4. wrong password: the answer is challenged again (not stale); no third INVITE
if start refused; then
	SIPP_PORT=$TL_TRUNK_PORT sipp_bg "$CASE-carrier" uas_auth_refuse.xml -m 1 \
		-key chal1 'WWW-Authenticate: Digest realm="carrier.test", nonce="r1", algorithm=SHA-256, qop="auth"' \
		-key chal2 'WWW-Authenticate: Digest realm="carrier.test", nonce="r2", algorithm=SHA-256, qop="auth"'
	carrier=$SIPP_PID
	t0=$(date +%s%N)
	sipp_fg "$CASE-caller" uac_503_plain.xml "127.0.0.1:$TL_SIP_PORT" -m 1 -s "$NUMBER" \
		-key mport "$(tl_port)"; rc=$?
	ms=$(elapsed_ms "$t0")
	tl_eq "$CASE: the caller gets 503" "$rc" 0
	[ $rc -ne 0 ] && sipp_why "$CASE-caller"
	tl_check "$CASE: ... at once ($ms ms < 3000)" test "$ms" -lt 3000
	wait "$carrier"; rc=$?
	tl_eq "$CASE: the carrier saw two INVITEs and then nothing for 2 s" "$rc" 0
	[ $rc -ne 0 ] && sipp_why "$CASE-carrier"
	tl_check "$CASE: the log names the refused credentials" \
		grep -q "trunk trunk1 refused our credentials (username $USER, realm \"carrier.test\")" "$TL_TMP/tandemd.log"
	finish
fi
# 5. the carrier challenges our BYE (MD5): answered once (sofia resends it),
# and the call ends on both sides
if start bye; then
	SIPP_PORT=$TL_TRUNK_PORT sipp_bg "$CASE-carrier" uas_auth_bye.xml -m 1 -key afile "$C/auth" \
		-key mport "$(tl_port)" \
		-key chal1 'WWW-Authenticate: Digest realm="carrier.test", nonce="byeN0nce", algorithm=MD5, qop="auth"'
	carrier=$SIPP_PID
	sipp_fg "$CASE-caller" uac_basic.xml "127.0.0.1:$TL_SIP_PORT" -m 1 -s "$NUMBER" \
		-key mport "$(tl_port)" -key mfile "$C/ma" -d 500; rc=$?
	tl_eq "$CASE: the call is answered and the caller's BYE answered" "$rc" 0
	wait "$carrier"; rc=$?
	tl_eq "$CASE: the carrier got our BYE again with credentials" "$rc" 0
	[ $rc -ne 0 ] && sipp_why "$CASE-carrier"
	tr -d '\r' <"$C/auth" >"$C/auth.txt"
	line=$(sed -n 1p "$C/auth.txt"); ruri=$(sed -n 2p "$C/auth.txt" | sed 's/^BYE //')
	uri=$(field uri "$line"); nonce=$(field nonce "$line"); cnonce=$(field cnonce "$line"); nc=$(field nc "$line")
	tl_eq "$CASE: digest uri is the BYE's Request-URI" "$uri" "$ruri"
	want=$(h md5 "$(h md5 "$USER:carrier.test:$PASS"):$nonce:$nc:$cnonce:auth:$(h md5 "BYE:$uri")")
	tl_eq "$CASE: BYE response = MD5(...) computed with openssl" "$(field response "$line")" "$want"
	for _ in $(seq 1 30); do [ "$(tl_ctl --json calls | jq '.calls | length')" = 0 ] && break; sleep 0.1; done
	tl_eq "$CASE: no call is left" "$(tl_ctl --json calls | jq '.calls | length')" 0
	finish
fi
tl_done
