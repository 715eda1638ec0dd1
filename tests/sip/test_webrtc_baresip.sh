#!/usr/bin/env bash
# test_webrtc_baresip.sh - secure media through tandemd with baresip peers,
# no browser: baresip plays the WebRTC side (its ice and dtls_srtp modules:
# ICE, DTLS-SRTP, rtcp-mux) and the SDES side (srtp module, RTP/SAVP).
#
#   dtls   baresip A (ICE + DTLS-SRTP, 440 Hz) calls a number routed to
#          trunk1 (media_security = none), where baresip B (plain PCMU,
#          880 Hz) answers: A hears 880 Hz, B hears 440 Hz; B's SDP is plain
#          RTP/AVP; tandemd logs "DTLS-SRTP up"; ICE was answered (baresip
#          logs its established pair); the configured dtls_cert's
#          fingerprint is the one A gets.
#   opus   the same with A speaking Opus only, to trunk4 (codecs = PCMU):
#          tandemd transcodes Opus <-> PCMU between DTLS-SRTP and plain RTP.
#   sdes   baresip A (RTP/SAVP, a=crypto) calls trunk2 (media_security =
#          sdes), where baresip B (RTP/SAVP) answers: SRTP on both legs with
#          different keys, both tones measured.
#   sdes_avp  A uses baresip's best-effort SDES (RTP/AVP with a=crypto):
#          answered with a=crypto, SRTP on leg A, RTP/SAVP on trunk2.
#   dtls_out  tandemd offers DTLS-SRTP (actpass, ICE-lite) to trunk3, where
#          baresip B answers with ICE + DTLS-SRTP; a plain caller A.
#   refuse baresip A with plain RTP calls trunk3 (media_security = dtls):
#          tandemd offers B only DTLS-SRTP; plain baresip B refuses it, so
#          the call fails (488) and never connects in clear.
#   nodtls a WebRTC-style sipp caller to the echo (600) that never starts
#          DTLS: after the 10 s handshake timeout tandemd logs why and
#          sends BYE.
#
# Like test_baresip.sh it runs in a private network namespace (baresip binds
# RTP on every address).
#   WEBRTC_CASES="dtls sdes"   run only some cases
: "${srcdir:?srcdir must be set}"
if [ -z "${TL_IN_NETNS:-}" ] && unshare --net true 2>/dev/null; then
	exec unshare --net env TL_IN_NETNS=1 bash "$0" "$@"
fi
. "$srcdir/tests/lib/testlib.sh"
if [ -z "${TL_IN_NETNS:-}" ]; then
	tl_fail "cannot create a private network namespace (unshare --net needs root or user namespaces)"
	tl_done
fi
tl_tmp
. "$srcdir/tests/sip/siplib.sh"

CASES=${WEBRTC_CASES:-dtls opus sdes sdes_avp dtls_out refuse nodtls}
ICE_ADDR=10.99.0.1
TONE_A=440 TONE_B=880
BARESIP=${BARESIP:-baresip}
WAVTONE="$builddir/tests/tools/wavtone"
WAV_HDR=44

preflight() {
	local missing= m
	command -v "$BARESIP" >/dev/null || missing="$missing baresip(baresip-core)"
	for m in sndfile dtls_srtp ice srtp; do
		[ -f /usr/lib/baresip/modules/$m.so ] || missing="$missing baresip-$m-module(baresip-core)"
	done
	[ -x "$WAVTONE" ] || missing="$missing $WAVTONE(make check TESTS=)"
	command -v jq >/dev/null || missing="$missing jq"
	if [ -n "$missing" ]; then
		tl_fail "test tools missing:$missing"
		tl_done
	fi
	ip link set lo up || { tl_fail "bring up loopback in the namespace"; tl_done; }
	# baresip's ICE gathers no loopback (127/8) candidate: give the WebRTC
	# side a private address of its own, on lo (no other device exists here).
	ip addr add "$ICE_ADDR/32" dev lo || { tl_fail "add $ICE_ADDR to lo"; tl_done; }
}

# bs_conf NAME SIP_PORT FREQ USER ANSWERMODE RTP_PORTS MEDIAENC MEDIANAT MUX [CODECS]
bs_conf() {
	local d="$TL_TMP/$1" params="" ifc=127.0.0.1
	mkdir -p "$d/rec"
	[ -n "$7" ] && params="$params;mediaenc=$7"
	[ -n "$8" ] && params="$params;medianat=$8" && ifc=$ICE_ADDR
	cat >"$d/config" <<CONF
poll_method		epoll
sip_listen		127.0.0.1:$2
net_interface		$ifc
dns_server		127.0.0.9:53
call_local_timeout	30
call_max_calls		2
audio_source		ausine,$3
ausrc_srate		48000
ausrc_channels		2
audio_player		alsa,null
audio_alert		alsa,null
audio_level		no
rtp_ports		$6
rtcp_mux		$9
jitter_buffer_delay	1-5
rtp_stats		no
module_path		/usr/lib/baresip/modules
module			g711.so
module			opus.so
module			ausine.so
module			alsa.so
module			sndfile.so
module			srtp.so
module			dtls_srtp.so
module			ice.so
module_tmp		account.so
module_app		menu.so
statmode_default	off
ringback_disabled	yes
snd_path		$d/rec
ice_debug		yes
CONF
	echo "<sip:$4@127.0.0.1>;regint=0;answermode=$5;audio_codecs=${10:-pcmu}$params" >"$d/accounts"
}

bs_start() {
	local name=$1 port=$2; shift 2
	tl_bg "$BARESIP" -f "$TL_TMP/$name" -s -t 30 "$@" >"$TL_TMP/$name.log" 2>&1 </dev/null
	BS_PID=$TL_LAST_PID
	for _ in $(seq 1 100); do
		ss -Hlnu "sport = :$port" | grep -q . && return 0
		kill -0 "$BS_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "baresip $name did not start:"; tail -n 20 "$TL_TMP/$name.log" | sed 's/^/    /'
	return 1
}

bs_stop() {
	local pid=$1
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

bs_rec() {
	local f
	for f in "$TL_TMP/$1"/rec/dump-*-"$2".wav; do
		[ -f "$f" ] && echo "$f" && return
	done
}

wait_heard() {
	local want=$(( WAV_HDR + $2 * 16000 )) f
	for _ in $(seq 1 "$3"); do
		f=$(bs_rec "$1" dec)
		[ -n "$f" ] && [ "$(stat -c %s "$f")" -ge "$want" ] && return 0
		sleep 0.1
	done
	return 1
}

wt_val() { sed -n -E "s/.*(^| )$2=([^ ]*).*/\2/p" <<<"$1"; }

check_heard() {
	local m='' f l a r
	r=$(bs_rec "$2" dec)
	[ -n "$r" ] && m=$("$WAVTONE" "$r")
	f=$(wt_val "$m" freq); l=$(wt_val "$m" level); a=$(wt_val "$m" active)
	tl_check "$1: $2 hears ${3} Hz +-5 (measured ${f:-none} Hz)" in_range "${f:-0}" $(( $3 - 5 )) $(( $3 + 5 ))
	tl_check "$1: ... at a level in -14..-7 dBFS (measured ${l:-none})" in_range "${l:--200}" -14 -7
	tl_check "$1: ... for at least 1.5 s (${a:-0} s not silent)" in_range "${a:-0}" 1.5 1000
}

why() {
	local n
	for n in "$@"; do
		echo "    --- $n: baresip log (end)"
		grep -v '^\s*$' "$TL_TMP/$n.log" 2>/dev/null | tail -n 40 | sed 's/^/    /'
	done
	echo "    --- tandemd log (end)"
	tail -n 15 "$TANDEMD_LOG" | sed 's/^/    /'
}

# two_party CASE NUMBER B_PORT ENC_A NAT_A MUX_A ENC_B [CODECS_A]: A calls
# NUMBER, B (PCMU) answers
two_party() {
	local c=$1 pa; pa=$(tl_port)
	bs_conf "$c-b" "$3" "$TONE_B" "$2" auto 20100-20199 "$7" "" no
	bs_conf "$c-a" "$pa" "$TONE_A" alice manual 20000-20099 "$4" "$5" "$6" "${8:-pcmu}"
	bs_start "$c-b" "$3" || { tl_fail "$c: baresip B starts"; return 1; }
	PID_B=$BS_PID
	bs_start "$c-a" "$pa" -e "/dial sip:$2@127.0.0.1:$TL_SIP_PORT" || { tl_fail "$c: baresip A starts"; return 1; }
	PID_A=$BS_PID
	if wait_heard "$c-a" 2 150 && wait_heard "$c-b" 2 50; then
		tl_ok "$c: B answers A's call through tandemd; both record 2 s of audio"
	else
		tl_fail "$c: B answers A's call through tandemd; both record 2 s of audio (within 15 s)"
	fi
}

case_dtls() {
	local c=dtls call
	two_party $c 9100 "$TL_TRUNK_PORT" dtls_srtp ice yes "" || return
	call=$(tl_ctl --json calls | jq -c '[.calls[] | select(.called == "9100")][0] // empty')
	tl_eq "$c: tandemctl calls shows leg A dtls-srtp, leg B rtp" \
		"$(jq -r '"\(.leg_a.security) \(.leg_b.security)"' <<<"${call:-null}")" "dtls-srtp rtp"
	bs_stop "$PID_A"; bs_stop "$PID_B"
	check_heard $c $c-a "$TONE_B"
	check_heard $c $c-b "$TONE_A"
	tl_check "$c: tandemd logs DTLS-SRTP up on leg A" grep -q "leg A: DTLS-SRTP up" "$TANDEMD_LOG"
	tl_check "$c: B was offered plain RTP/AVP (no fingerprint, no ICE)" bash -c \
		'awk "/INVITE sip:9100/,/^a=sendrecv/" "$1" | grep -q "m=audio [0-9]* RTP/AVP " &&
		 ! awk "/INVITE sip:9100/,/^a=sendrecv/" "$1" | grep -Eq "a=(fingerprint|ice-ufrag|crypto)"' _ "$TL_TMP/$c-b.log"
	tl_check "$c: A was given the configured certificate's fingerprint (${DTLS_FP:-no openssl})" \
		grep -q "a=fingerprint:sha-256 ${DTLS_FP:-none}" "$TL_TMP/$c-a.log"
	tl_check "$c: A got UDP/TLS/RTP/SAVPF with a=ice-lite and a=setup:passive" bash -c \
		'grep -q "UDP/TLS/RTP/SAVPF" "$1" && grep -q "a=ice-lite" "$1" && grep -q "a=setup:passive" "$1"' _ "$TL_TMP/$c-a.log"
}

# The browser's usual case: Opus over DTLS-SRTP, transcoded to a PCMU-only
# carrier (trunk4: codecs = PCMU).
case_opus() {
	local c=opus
	two_party $c 9400 "$TRUNK4_PORT" dtls_srtp ice yes "" opus/48000/2 || return
	bs_stop "$PID_A"; bs_stop "$PID_B"
	check_heard $c $c-a "$TONE_B"
	check_heard $c $c-b "$TONE_A"
	tl_check "$c: A encodes and decodes Opus" bash -c \
		'grep -q "Set audio encoder: opus 48000Hz" "$1" && grep -q "Set audio decoder: opus 48000Hz" "$1"' _ "$TL_TMP/$c-a.log"
	tl_check "$c: B encodes and decodes PCMU" bash -c \
		'grep -q "Set audio encoder: PCMU 8000Hz" "$1" && grep -q "Set audio decoder: PCMU 8000Hz" "$1"' _ "$TL_TMP/$c-b.log"
}

case_sdes() {
	local c=sdes call
	two_party $c 9200 "$TRUNK2_PORT" srtp-mand "" no srtp-mand || return
	call=$(tl_ctl --json calls | jq -c '[.calls[] | select(.called == "9200")][0] // empty')
	tl_eq "$c: tandemctl calls shows both legs sdes-srtp" \
		"$(jq -r '"\(.leg_a.security) \(.leg_b.security)"' <<<"${call:-null}")" "sdes-srtp sdes-srtp"
	bs_stop "$PID_A"; bs_stop "$PID_B"
	check_heard $c $c-a "$TONE_B"
	check_heard $c $c-b "$TONE_A"
	tl_check "$c: both legs are RTP/SAVP with a=crypto" bash -c \
		'grep -q "m=audio [0-9]* RTP/SAVP " "$1" && grep -q "a=crypto:" "$1" &&
		 grep -q "m=audio [0-9]* RTP/SAVP " "$2" && grep -q "a=crypto:" "$2"' _ "$TL_TMP/$c-a.log" "$TL_TMP/$c-b.log"
}

# baresip's best-effort SDES (mediaenc=srtp): RTP/AVP with a=crypto from A,
# answered with a=crypto on leg A; trunk2 still gets RTP/SAVP.
case_sdes_avp() {
	local c=sdes_avp
	two_party $c 9201 "$TRUNK2_PORT" srtp "" no srtp-mand || return
	bs_stop "$PID_A"; bs_stop "$PID_B"
	check_heard $c $c-a "$TONE_B"
	check_heard $c $c-b "$TONE_A"
	tl_check "$c: A offered RTP/AVP with a=crypto; tandemd's 200 answers with a=crypto" bash -c \
		'grep -A40 "^INVITE sip:9201" "$1" | grep -q "m=audio [0-9]* RTP/AVP " &&
		 grep -A40 "SIP/2.0 200 OK" "$1" | grep -q "a=crypto:"' _ "$TL_TMP/$c-a.log"
}

# tandemd as the offerer of DTLS-SRTP: a plain PCMU caller to trunk3
# (media_security = dtls), where baresip B answers with ICE + DTLS-SRTP.
case_dtls_out() {
	local c=dtls_out pa call; pa=$(tl_port)
	bs_conf "$c-b" "$TRUNK3_PORT" "$TONE_B" 9301 auto 20100-20199 dtls_srtp ice yes
	bs_conf "$c-a" "$pa" "$TONE_A" alice manual 20000-20099 "" "" no
	bs_start "$c-b" "$TRUNK3_PORT" || { tl_fail "$c: baresip B starts"; return; }
	PID_B=$BS_PID
	bs_start "$c-a" "$pa" -e "/dial sip:9301@127.0.0.1:$TL_SIP_PORT" || { tl_fail "$c: baresip A starts"; return; }
	PID_A=$BS_PID
	if wait_heard "$c-a" 2 150 && wait_heard "$c-b" 2 50; then
		tl_ok "$c: B (ICE + DTLS-SRTP) answers tandemd's DTLS offer; both record 2 s of audio"
	else
		tl_fail "$c: B (ICE + DTLS-SRTP) answers tandemd's DTLS offer; both record 2 s of audio (within 15 s)"
	fi
	call=$(tl_ctl --json calls | jq -c '[.calls[] | select(.called == "9301")][0] // empty')
	tl_eq "$c: tandemctl calls shows leg A rtp, leg B dtls-srtp" \
		"$(jq -r '"\(.leg_a.security) \(.leg_b.security)"' <<<"${call:-null}")" "rtp dtls-srtp"
	bs_stop "$PID_A"; bs_stop "$PID_B"
	check_heard $c $c-a "$TONE_B"
	check_heard $c $c-b "$TONE_A"
	tl_check "$c: tandemd offered B a=setup:actpass with a=ice-lite" bash -c \
		'grep -q "a=setup:actpass" "$1" && grep -q "a=ice-lite" "$1"' _ "$TL_TMP/$c-b.log"
	tl_check "$c: tandemd logs DTLS-SRTP up on leg B" grep -q "leg B: DTLS-SRTP up" "$TANDEMD_LOG"
}

case_refuse() {
	local c=refuse pa; pa=$(tl_port)
	bs_conf "$c-b" "$TRUNK3_PORT" "$TONE_B" 9300 auto 20100-20199 "" "" no
	bs_conf "$c-a" "$pa" "$TONE_A" alice manual 20000-20099 "" "" no
	bs_start "$c-b" "$TRUNK3_PORT" || { tl_fail "$c: baresip B starts"; return; }
	PID_B=$BS_PID
	bs_start "$c-a" "$pa" -e "/dial sip:9300@127.0.0.1:$TL_SIP_PORT" || { tl_fail "$c: baresip A starts"; return; }
	PID_A=$BS_PID
	for _ in $(seq 1 50); do
		grep -q "session closed" "$TL_TMP/$c-a.log" && break
		sleep 0.1
	done
	tl_check "$c: B is offered DTLS-SRTP (UDP/TLS/RTP/SAVPF, fingerprint, actpass, ICE-lite)" bash -c \
		'grep -q "m=audio [0-9]* UDP/TLS/RTP/SAVPF " "$1" && grep -q "a=fingerprint:sha-256 " "$1" &&
		 grep -q "a=setup:actpass" "$1" && grep -q "a=ice-lite" "$1"' _ "$TL_TMP/$c-b.log"
	tl_check "$c: B (no DTLS) refuses; A's call fails with 488" grep -q "session closed: 488" "$TL_TMP/$c-a.log"
	tl_check "$c: A never hears anything in clear" bash -c '! ls "$1"/rec/dump-*-dec.wav >/dev/null 2>&1 ||
		[ "$(stat -c %s "$1"/rec/dump-*-dec.wav)" -lt 16044 ]' _ "$TL_TMP/$c-a"
	bs_stop "$PID_A"; bs_stop "$PID_B"
}

# A WebRTC caller (sipp) that never starts DTLS: the handshake timeout
# (10 s) ends the call with a log line and a BYE.
case_nodtls() {
	local c=nodtls t0 rc ms
	t0=$(date +%s%N)
	SIPP_RECV_TIMEOUT=20000 SIPP_TIMEOUT=30 sipp_fg $c-caller uac_webrtc_no_dtls.xml -s 600 -m 1 \
		-key mport "$(tl_port)" -key mfile "$TL_TMP/$c.m" "127.0.0.1:$TL_SIP_PORT"
	rc=$? ms=$(elapsed_ms "$t0")
	tl_eq "$c: the call is answered (a=setup:passive) and then gets tandemd's BYE" "$rc" 0
	tl_check "$c: ... after the 10 s DTLS handshake timeout (call took $ms ms)" in_range "$ms" 9000 16000
	tl_check "$c: tandemd logs why it hung up" \
		grep -q "leg A: DTLS-SRTP failed: DTLS handshake timeout: hanging up" "$TANDEMD_LOG"
	[ "$rc" = 0 ] || sipp_why $c-caller 2>/dev/null
}

preflight
TL_SIP_PORT=$(tl_port)
TL_TRUNK_PORT=$(tl_port)
TRUNK2_PORT=$(tl_port)
TRUNK3_PORT=$(tl_port)
TRUNK4_PORT=$(tl_port)
TL_TRUNKS="media_security = none

[trunk2](carrier)
host = 127.0.0.1
port = $TRUNK2_PORT
media_security = sdes

[trunk3](carrier)
host = 127.0.0.1
port = $TRUNK3_PORT
media_security = dtls

[trunk4](carrier)
host = 127.0.0.1
port = $TRUNK4_PORT
codecs = PCMU
media_security = none" \
TL_ROUTES="91 = trunk1
92 = trunk2
93 = trunk3
94 = trunk4" tl_conf "$TL_TMP/conf"
sed -i -E "s/^modules = .*/modules = mod_g711, mod_opus/" "$TL_TMP/conf/tandem.conf"
# A configured DTLS certificate (instead of the generated one): its
# fingerprint is what the WebRTC side must be given.
DTLS_FP=
if openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=tandem-test \
	-days 2 -keyout "$TL_TMP/dtls.key" -out "$TL_TMP/dtls.crt" >/dev/null 2>&1; then
	sed -i -E "s|^\[media\]|[media]\ndtls_cert = $TL_TMP/dtls.crt\ndtls_key = $TL_TMP/dtls.key|" \
		"$TL_TMP/conf/tandem.conf"
	DTLS_FP=$(openssl x509 -in "$TL_TMP/dtls.crt" -noout -fingerprint -sha256 | sed 's/.*=//')
fi
if ! tl_start_tandemd "$TL_TMP/conf/tandem.conf"; then
	tl_fail "tandemd starts"
	tl_done
fi

for c in $CASES; do
	echo "# case $c"
	fails=$TL_FAIL
	"case_$c"
	[ "$TL_FAIL" -gt "$fails" ] && why "$c-a" "$c-b"
done

tl_eq "no media session left" "$(tl_ctl --json status | jq -r .media.sessions)" 0
tl_stop_tandemd; rc=$?
tl_eq "tandemd exits 0" "$rc" 0
tl_done
