#!/usr/bin/env bash
# test_baresip.sh - a real SIP user agent (baresip) as the peer of tandemd.
#
# baresip sends a sine from its ausine source as G.711 u-law and records what
# it decodes (the sndfile module writes a WAV); tests/tools/wavtone measures
# the recording. The cases:
#   echo       baresip (440 Hz) calls 600: its own 440 Hz comes back
#   milliwatt  baresip calls 1004: it hears 1004 Hz at 0 dBm0
#   trunk      baresip A (440 Hz) calls a number routed to trunk1, where
#              baresip B (880 Hz, answermode=auto) answers: A hears 880 Hz, B
#              hears 440 Hz, both from tandemd's media ports; while the call
#              is up, tandemctl lists it with packets counted on both legs;
#              A's hangup reaches B.
#   user       baresip B registers as user bob (digest MD5: baresip 1.0's
#              libre gives up on any SHA-256 challenge, so this tandemd
#              offers MD5 only) and answers a call to bob's number 202.
#
# baresip binds its RTP ports on every address, so the whole test runs in a
# private network namespace with only loopback (it re-executes itself under
# `unshare --net`; that needs root or user namespaces). baresip's DNS points
# at a loopback address where nothing listens.
#
#   BARESIP_CASES="echo trunk"   run only some cases (default: all)
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

CASES=${BARESIP_CASES:-echo milliwatt trunk user}
NUMBER=9123456                  # routed to trunk1 (TL_ROUTES below)
TONE_A=440 TONE_B=880
BARESIP=${BARESIP:-baresip}
WAVTONE="$builddir/tests/tools/wavtone"
TEMPLATES="$srcdir/tests/sip/baresip"
WAV_HDR=44                      # libsndfile's WAV header; 16000 bytes a second follow

preflight() {
	local missing=
	command -v "$BARESIP" >/dev/null || missing="$missing baresip(baresip-core)"
	[ -f /usr/lib/baresip/modules/sndfile.so ] || missing="$missing baresip-sndfile-module(baresip-core)"
	[ -x "$WAVTONE" ] || missing="$missing $WAVTONE(make check TESTS=)"
	command -v jq >/dev/null || missing="$missing jq"
	command -v ip >/dev/null || missing="$missing ip(iproute2)"
	if [ -n "$missing" ]; then
		tl_fail "test tools missing:$missing"
		tl_done
	fi
	if ! ip link set lo up; then
		tl_fail "bring up loopback in the test's network namespace"
		tl_done
	fi
}

# --- baresip plumbing ---------------------------------------------------------

# bs_conf NAME SIP_PORT FREQ USER ANSWERMODE RTP_PORTS: a config dir $TL_TMP/NAME
bs_conf() {
	local d="$TL_TMP/$1"
	mkdir -p "$d/rec"
	sed -e "s|@SIP_PORT@|$2|; s|@FREQ@|$3|; s|@RTP_PORTS@|$6|" \
	    -e "s|@DEAD_DNS@|127.0.0.9:53|; s|@SND_PATH@|$d/rec|" "$TEMPLATES/config.in" >"$d/config"
	sed -e "s|@USER@|$4|; s|@ANSWERMODE@|$5|" "$TEMPLATES/accounts.in" >"$d/accounts"
}

# bs_start NAME SIP_PORT [baresip args...]: start baresip in the background
# (SIP trace and log in $TL_TMP/NAME.log, a 30 s self-timeout as a safety
# net); sets BS_PID and waits until it listens on its SIP port.
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

# bs_stop PID: SIGTERM (baresip hangs up its calls with a BYE, then exits);
# SIGKILL after 5 s.
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

# bs_rec NAME KIND: the recording (KIND dec = heard, enc = sent); empty if none
bs_rec() {
	local f
	for f in "$TL_TMP/$1"/rec/dump-*-"$2".wav; do
		[ -f "$f" ] && echo "$f" && return
	done
}

# wait_heard NAME SECS TENTHS: wait until NAME's decoded recording holds SECS
# seconds of audio (polled; at most TENTHS tenths of a second)
wait_heard() {
	local want=$(( WAV_HDR + $2 * 16000 )) f
	for _ in $(seq 1 "$3"); do
		f=$(bs_rec "$1" dec)
		[ -n "$f" ] && [ "$(stat -c %s "$f")" -ge "$want" ] && return 0
		sleep 0.1
	done
	return 1
}

# wait_log FILE REGEX TENTHS
wait_log() {
	for _ in $(seq 1 "$3"); do
		grep -Eq "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# measure NAME KIND: wavtone's line for the recording (empty if none)
measure() {
	local f; f=$(bs_rec "$1" "$2")
	[ -n "$f" ] && "$WAVTONE" "$f"
}
wt_val() { sed -n -E "s/.*(^| )$2=([^ ]*).*/\2/p" <<<"$1"; }

# check_heard CASE NAME FREQ MIN_DBFS MAX_DBFS: NAME's recording is FREQ +-5 Hz
# at a level in [MIN, MAX] dBFS, with at least 1.5 s of it not silent.
check_heard() {
	local m f l a
	m=$(measure "$2" dec)
	f=$(wt_val "$m" freq); l=$(wt_val "$m" level); a=$(wt_val "$m" active)
	tl_check "$1: $2 hears ${3} Hz +-5 (measured ${f:-none} Hz)" in_range "${f:-0}" $(( $3 - 5 )) $(( $3 + 5 ))
	tl_check "$1: ... at a level in $4..$5 dBFS (measured ${l:-none})" in_range "${l:--200}" "$4" "$5"
	tl_check "$1: ... for at least 1.5 s (${a:-0} s not silent)" in_range "${a:-0}" 1.5 1000
}

# the port baresip NAME got its RTP from is one of tandemd's media ports
check_anchored() {
	local p
	p=$(sed -n -E "s/.*incoming rtp for 'audio' established, receiving from 127\.0\.0\.1:([0-9]+).*/\1/p" \
		"$TL_TMP/$2.log" | head -1)
	tl_check "$1: $2 receives its RTP from tandemd's media ports $RTP_MIN-$RTP_MAX (port ${p:-none})" \
		in_range "${p:-0}" "$RTP_MIN" "$RTP_MAX"
}

check_pcmu() {
	tl_check "$1: $2 negotiated PCMU both ways" bash -c \
		'grep -q "Set audio encoder: PCMU 8000Hz" "$1" && grep -q "Set audio decoder: PCMU 8000Hz" "$1"' \
		_ "$TL_TMP/$2.log"
}

# no call left in tandemd (polled: the BYE transaction may still be finishing)
check_no_call() {
	local n=''
	for _ in $(seq 1 50); do
		n=$(tl_ctl --json calls 2>/dev/null | jq '.calls | length')
		[ "$n" = 0 ] && break
		sleep 0.1
	done
	tl_eq "$1: the hangup ends the call in tandemd (calls listed)" "$n" 0
}

# show the logs of a case that failed
why() {
	local n
	for n in "$@"; do
		echo "    --- $n: baresip log (end)"
		grep -v '^\s*$' "$TL_TMP/$n.log" 2>/dev/null | tail -n 40 | sed 's/^/    /'
	done
	echo "    --- tandemd log (end)"
	tail -n 15 "$TANDEMD_LOG" | sed 's/^/    /'
}

# --- the cases ----------------------------------------------------------------

# call_endpoint CASE NUMBER FREQ MIN_DBFS MAX_DBFS: baresip with a 440 Hz
# source calls one of tandemd's endpoints and must hear FREQ.
call_endpoint() {
	local c=$1 num=$2 name="$1-a" port; port=$(tl_port)
	bs_conf "$name" "$port" "$TONE_A" alice manual 20000-20099
	bs_start "$name" "$port" -e "/dial sip:$num@127.0.0.1:$TL_SIP_PORT" || { tl_fail "$c: baresip starts"; return; }
	local pid=$BS_PID
	if wait_heard "$name" 2 150; then
		tl_ok "$c: the call to $num is answered and 2 s of audio arrive"
	else
		tl_fail "$c: the call to $num is answered and 2 s of audio arrive (within 15 s)"
	fi
	local calls call v dir
	calls=$(tl_ctl --json calls)
	call=$(jq -c '[.calls[] | select(.called == "'"$num"'")][0] // empty' <<<"$calls")
	tl_check "$c: tandemctl lists the call to $num while it is up" test -n "$call"
	for dir in packets_in packets_out; do
		v=$(jq -r ".leg_a.$dir // 0" <<<"${call:-null}")
		tl_check "$c: ... leg_a $dir counted ($v, want >= 50)" test "$v" -ge 50
	done
	[ -z "$call" ] && echo "    tandemctl --json calls: $calls"
	bs_stop "$pid"
	check_no_call "$c"
	check_pcmu "$c" "$name"
	check_heard "$c" "$name" "$3" "$4" "$5"
}

case_echo() {
	# the echo sends back what it gets: the level is baresip's own (-10 dBFS)
	call_endpoint echo 600 "$TONE_A" -14 -7
}

case_milliwatt() {
	# the digital milliwatt: 1004 Hz at 0 dBm0, -6.2 dBFS RMS in G.711
	call_endpoint milliwatt 1004 1004 -8 -4.5
}

case_trunk() {
	local c=trunk pa; pa=$(tl_port)
	bs_conf trunk-b "$TL_TRUNK_PORT" "$TONE_B" "$NUMBER" auto 20100-20199
	bs_conf trunk-a "$pa" "$TONE_A" alice manual 20000-20099
	bs_start trunk-b "$TL_TRUNK_PORT" || { tl_fail "$c: baresip B starts"; return; }
	local pid_b=$BS_PID
	bs_start trunk-a "$pa" -e "/dial sip:$NUMBER@127.0.0.1:$TL_SIP_PORT" || { tl_fail "$c: baresip A starts"; return; }
	local pid_a=$BS_PID
	if wait_heard trunk-a 2 150 && wait_heard trunk-b 2 50; then
		tl_ok "$c: B answers A's call through tandemd; both record 2 s of audio"
	else
		tl_fail "$c: B answers A's call through tandemd; both record 2 s of audio (within 15 s)"
	fi
	# while the call is up: one call to trunk1, packets counted on both legs
	local calls call v
	calls=$(tl_ctl --json calls)
	call=$(jq -c '[.calls[] | select(.called == "'"$NUMBER"'")][0] // empty' <<<"$calls")
	tl_check "$c: tandemctl lists the call to $NUMBER via trunk1, confirmed" \
		test "$(jq -r '"\(.target) \(.state)"' <<<"${call:-null}")" = "trunk1 confirmed"
	v=$(jq -r .codec <<<"${call:-null}")
	tl_eq "$c: ... with codec PCMU (listed as '$v')" "${v%%/*}" PCMU
	local leg dir
	for leg in leg_a leg_b; do
		for dir in packets_in packets_out; do
			v=$(jq -r ".$leg.$dir // 0" <<<"${call:-null}")
			tl_check "$c: ... $leg $dir counted ($v, want >= 50)" test "$v" -ge 50
		done
	done
	[ -z "$call" ] && echo "    tandemctl --json calls: $calls"
	bs_stop "$pid_a"
	if wait_log "$TL_TMP/trunk-b.log" 'Call with .* terminated' 50; then
		tl_ok "$c: A's hangup reaches B"
	else
		tl_fail "$c: A's hangup reaches B (B's call did not end within 5 s)"
	fi
	bs_stop "$pid_b"
	check_no_call "$c"
	check_pcmu "$c" trunk-a
	check_pcmu "$c" trunk-b
	check_heard "$c" trunk-a "$TONE_B" -14 -7
	check_heard "$c" trunk-b "$TONE_A" -14 -7
	check_anchored "$c" trunk-a
	check_anchored "$c" trunk-b
}

case_user() {
	local c=user pa pb; pa=$(tl_port); pb=$(tl_port)
	bs_conf user-b "$pb" "$TONE_B" bob auto 20100-20199
	echo "<sip:bob@127.0.0.1:$TL_SIP_PORT>;auth_pass=pw2;regint=60;answermode=auto;audio_codecs=pcmu" \
		>"$TL_TMP/user-b/accounts"
	bs_conf user-a "$pa" "$TONE_A" alice manual 20000-20099
	bs_start user-b "$pb" || { tl_fail "$c: baresip B starts"; return; }
	local pid_b=$BS_PID ua=''
	for _ in $(seq 1 50); do
		ua=$(tl_ctl --json registrations | jq -r '.registrations[] | select(.user == "bob") | .user_agent')
		[ -n "$ua" ] && break
		sleep 0.1
	done
	tl_check "$c: baresip registers as bob with digest ($ua)" grep -q baresip <<<"$ua"
	bs_start user-a "$pa" -e "/dial sip:202@127.0.0.1:$TL_SIP_PORT" || { tl_fail "$c: baresip A starts"; return; }
	local pid_a=$BS_PID
	if wait_heard user-a 2 150 && wait_heard user-b 2 50; then
		tl_ok "$c: bob's registered phone answers the call to 202; both record 2 s of audio"
	else
		tl_fail "$c: bob's registered phone answers the call to 202; both record 2 s of audio (within 15 s)"
	fi
	local t; t=$(tl_ctl --json calls | jq -r '.calls[0].target // empty')
	tl_eq "$c: tandemctl lists the call with target bob" "$t" bob
	bs_stop "$pid_a"
	bs_stop "$pid_b"
	check_no_call "$c"
	check_heard "$c" user-a "$TONE_B" -14 -7
	check_heard "$c" user-b "$TONE_A" -14 -7
	check_anchored "$c" user-b
}

# --- main ---------------------------------------------------------------------

preflight
TL_SIP_PORT=$(tl_port)
TL_TRUNK_PORT=$(tl_port)
TL_ROUTES="9 = trunk1" tl_conf "$TL_TMP/conf"
cat >>"$TL_TMP/conf/tandem.conf" <<CONF

[auth]
digest_algorithms = md5

[bob]
type = user
password = pw2
number = 202
CONF
RTP_MIN=$(sed -n -E 's/^rtp_port_min = ([0-9]+)/\1/p' "$TL_TMP/conf/tandem.conf")
RTP_MAX=$(sed -n -E 's/^rtp_port_max = ([0-9]+)/\1/p' "$TL_TMP/conf/tandem.conf")
if ! tl_start_tandemd "$TL_TMP/conf/tandem.conf"; then
	tl_fail "tandemd starts"
	tl_done
fi

for c in $CASES; do
	echo "# case $c"
	fails=$TL_FAIL
	"case_$c"
	if [ "$TL_FAIL" -gt "$fails" ]; then
		case $c in trunk|user) why "$c-a" "$c-b" ;; *) why "$c-a" ;; esac
	fi
done

tl_eq "no media session left" "$(tl_ctl --json status | jq -r .media.sessions)" 0
tl_stop_tandemd; rc=$?
tl_eq "tandemd exits 0" "$rc" 0
tl_done
