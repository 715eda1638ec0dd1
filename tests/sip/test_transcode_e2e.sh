#!/usr/bin/env bash
# test_transcode_e2e.sh - transcoding and DTMF interworking through the real
# daemon (tandemd with mod_g711, mod_opus, mod_g722, mod_g729), each side's
# audio measured.
#
# The cases (sipp for signalling, rtpprobe for media, encoding and decoding
# G.722 / G.729 itself; baresip as the Opus peer):
#   g722_pcma  G.722-only caller (1000 Hz), PCMA-only trunk (1500 Hz)
#   g729_pcmu  G.729-only caller, PCMU-only trunk
#   loss       PCMU caller to a PCMA-only trunk, both sides dropping 5 % of
#              their packets at random: the tones still arrive, whole (PLC)
#   opus       PCMU-only caller without telephone-event (1000 Hz) to an
#              Opus-only baresip (audio_codecs=opus/48000/2, 880 Hz): each
#              side's tone arrives at the other; then baresip sends the
#              digits "0123456789*#ABCD" as RFC 4733 events, and the caller
#              decodes them in-band (dtmfdet, spandsp's dtmf_rx), never as
#              events; the caller plays the same digits in-band (rtpprobe
#              -D) and baresip logs them as received events, once each.
# For each case: packets counted both ways, tones within +-5 Hz, payload
# types as negotiated, no call left, tandemd exits 0.
#
# baresip binds its RTP ports on every address, so the whole test runs in a
# private network namespace with only loopback (re-executed under
# `unshare --net`, as test_baresip.sh).
#
#   E2E_CASES="g722_pcma opus"   run only some cases (default: all)
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
need_tools
ip link set lo up

CASES=${E2E_CASES:-g722_pcma g729_pcmu loss opus}
NUMBER=9123456
DIGITS='0123456789*#ABCD'
DTMFDET="$builddir/tests/tools/dtmfdet"
WAVTONE="$builddir/tests/tools/wavtone"
BARESIP=${BARESIP:-baresip}
MODULES="mod_g711, mod_opus, mod_g722, mod_g729"

# case_start NAME TRUNK_CODECS: a fresh tandemd whose trunk allows only
# TRUNK_CODECS. Sets C (the case's file prefix).
case_start() {
	CASE=$1
	C="$TL_TMP/$CASE"
	mkdir -p "$C"
	echo "=== case $CASE" >>"$TL_TMP/tandemd.log"
	echo "# case $CASE"
	TL_SIP_PORT=$(tl_port)
	TL_TRUNK_PORT=$(tl_port)
	TL_TRUNKS="codecs = $2" TL_ROUTES="9 = trunk1" tl_conf "$C/conf"
	sed -i -E "s/^modules = .*/modules = $MODULES/" "$C/conf/tandem.conf"
	fix_rtp_range "$C/conf/tandem.conf"
	if ! tl_start_tandemd "$C/conf/tandem.conf"; then
		tl_fail "$CASE: tandemd starts"
		return 1
	fi
}

case_end() {
	local n='' i
	for i in $(seq 1 40); do
		n=$(tl_ctl --json calls 2>/dev/null | jq '.calls | length')
		[ "$n" = 0 ] && break
		sleep 0.1
	done
	tl_eq "$CASE: no call left" "$n" 0
	tl_eq "$CASE: no media session left" "$(tl_ctl --json status | jq -r .media.sessions)" 0
	tl_stop_tandemd; local rc=$?
	tl_eq "$CASE: tandemd exits 0" "$rc" 0
	if [ "$TL_FAIL" -gt "$FAILS_BEFORE" ]; then
		echo "    --- tandemd log for $CASE:"
		sed -n "/^=== case $CASE\$/,\$p" "$TL_TMP/tandemd.log" | tail -n 30 | sed 's/^/    /'
	fi
}

# sipp_call A_PT A_CODEC B_PT B_CODEC A_PROBE_ARGS B_PROBE_ARGS: one call
# between a sipp caller and a sipp carrier (one codec each, no events), an
# rtpprobe on each side; waits for both probes.
sipp_call() {
	local pa pb
	pa=$(tl_port); pb=$(tl_port)
	rm -f "$C/ma" "$C/mb"
	probe_start "$CASE-a" -l "$pa" -r "@$C/ma" -n 150 -f 1000 -d 600 $5
	local probe_a=$PROBE_PID
	probe_start "$CASE-b" -l "$pb" -r "@$C/mb" -n 150 -f 1500 -d 600 $6
	local probe_b=$PROBE_PID
	SIPP_PORT=$TL_TRUNK_PORT sipp_bg "$CASE-carrier" uas_codec.xml -m 1 -key mport "$pb" \
		-key mfile "$C/mb" -key pt "$3" -key codec "$4" || { tl_fail "$CASE: carrier sipp starts"; return 1; }
	local carrier=$SIPP_PID
	sipp_fg "$CASE-caller" uac_codec.xml "127.0.0.1:$TL_SIP_PORT" -m 1 -s "$NUMBER" -d 3500 \
		-key mport "$pa" -key mfile "$C/ma" -key pt "$1" -key codec "$2"
	local rc=$?
	tl_eq "$CASE: the $2 caller's call to the $4 trunk is answered and ends" "$rc" 0
	[ "$rc" -ne 0 ] && sipp_why "$CASE-caller"
	wait "$carrier"; rc=$?
	tl_eq "$CASE: the carrier's side completes" "$rc" 0
	wait "$probe_a" "$probe_b"
}

# check_tones A_PT B_PT TOLERANCE_PCT: each side heard the other's tone,
# with the payload type of its own codec, and about as many packets as the
# other sent.
check_tones() {
	local sa ra fa sb rb fb
	sa=$(probe_val "$CASE-a" sent); ra=$(probe_val "$CASE-a" recv); fa=$(probe_val "$CASE-a" freq)
	sb=$(probe_val "$CASE-b" sent); rb=$(probe_val "$CASE-b" recv); fb=$(probe_val "$CASE-b" freq)
	tl_near "$CASE: caller -> trunk: packets the trunk got vs. the caller sent" "${rb:-0}" "${sa:-0}" "$3"
	tl_near "$CASE: trunk -> caller: packets the caller got vs. the trunk sent" "${ra:-0}" "${sb:-0}" "$3"
	tl_check "$CASE: the trunk hears the caller's 1000 Hz (measured ${fb:-none} Hz)" in_range "${fb:-0}" 995 1005
	tl_check "$CASE: the caller hears the trunk's 1500 Hz (measured ${fa:-none} Hz)" in_range "${fa:-0}" 1495 1505
	tl_eq "$CASE: the caller receives PT $1" "$(probe_val "$CASE-a" pt)" "$1"
	tl_eq "$CASE: the trunk receives PT $2" "$(probe_val "$CASE-b" pt)" "$2"
}

case_g722_pcma() {
	case_start g722_pcma PCMA || return
	sipp_call 9 G722/8000 8 PCMA/8000 "-c g722" "-c pcma"
	check_tones 9 8 5
	case_end
}

case_g729_pcmu() {
	case_start g729_pcmu PCMU || return
	sipp_call 18 G729/8000 0 PCMU/8000 "-c g729" "-c pcmu"
	check_tones 18 0 5
	case_end
}

# 5 % random loss each way: the gateway conceals the missing packets, so
# each side gets about as many packets as the other meant to send (150),
# not just the 95 % that arrived, and the tone is intact.
case_loss() {
	case_start loss PCMA || return
	sipp_call 0 PCMU/8000 8 PCMA/8000 "-c pcmu -L 5" "-c pcma -L 5"
	local sa sb ra rb
	sa=$(probe_val "$CASE-a" sent); sb=$(probe_val "$CASE-b" sent)
	ra=$(probe_val "$CASE-a" recv); rb=$(probe_val "$CASE-b" recv)
	tl_check "$CASE: the probes really dropped packets (sent $sa and $sb of 150)" \
		bash -c '[ "$1" -lt 150 ] && [ "$2" -lt 150 ] && [ "$1" -ge 120 ] && [ "$2" -ge 120 ]' _ "${sa:-0}" "${sb:-0}"
	tl_near "$CASE: the trunk gets a packet for every period, lost ones concealed ($rb of 150)" "${rb:-0}" 150 5
	tl_near "$CASE: the caller gets a packet for every period, lost ones concealed ($ra of 150)" "${ra:-0}" 150 5
	local fa fb
	fa=$(probe_val "$CASE-a" freq); fb=$(probe_val "$CASE-b" freq)
	tl_check "$CASE: the trunk hears the caller's 1000 Hz (measured ${fb:-none} Hz)" in_range "${fb:-0}" 995 1005
	tl_check "$CASE: the caller hears the trunk's 1500 Hz (measured ${fa:-none} Hz)" in_range "${fa:-0}" 1495 1505
	case_end
}

# --- baresip (the Opus side) ---------------------------------------------------

# bs_conf NAME SIP_PORT FREQ USER CTRL_PORT: an auto-answering Opus-only
# baresip with a TCP control port (to send DTMF during the call).
bs_conf() {
	local d="$TL_TMP/$1"
	mkdir -p "$d/rec"
	sed -e "s|@SIP_PORT@|$2|; s|@FREQ@|$3|; s|@RTP_PORTS@|20100-20199|" \
	    -e "s|@DEAD_DNS@|127.0.0.9:53|; s|@SND_PATH@|$d/rec|" \
	    -e "s|^module[[:space:]]*g711.so|module\t\t\tg711.so\nmodule\t\t\topus.so|" \
	    "$srcdir/tests/sip/baresip/config.in" >"$d/config"
	printf 'module_app\t\tctrl_tcp.so\nctrl_tcp_listen\t\t127.0.0.1:%s\n' "$5" >>"$d/config"
	sed -e "s|@USER@|$4|; s|@ANSWERMODE@|auto|; s|audio_codecs=pcmu|audio_codecs=opus/48000/2|" \
	    "$srcdir/tests/sip/baresip/accounts.in" >"$d/accounts"
}

# bs_cmd PORT COMMAND PARAMS: one command to baresip's ctrl_tcp (netstring JSON)
bs_cmd() {
	local json="{\"command\":\"$2\",\"params\":\"$3\",\"token\":\"t\"}"
	exec 7<>"/dev/tcp/127.0.0.1/$1" || return 1
	printf '%d:%s,' "${#json}" "$json" >&7
	timeout 2 head -c 200 <&7 >/dev/null 2>&1
	exec 7>&-
}

# le BYTES VALUE: VALUE as BYTES little-endian bytes (printf escapes)
le() {
	local i v=$2 out=
	for ((i = 0; i < $1; i++)); do
		out="$out\\x$(printf %02x $((v & 255)))"
		v=$((v >> 8))
	done
	printf "$out"
}

# raw_wav RAW OUT SECS: the first SECS s of RAW (s16le, 8 kHz mono) as a WAV
raw_wav() {
	local n=$(($3 * 16000))
	{
		printf 'RIFF'; le 4 $((36 + n)); printf 'WAVEfmt '; le 4 16; le 2 1; le 2 1
		le 4 8000; le 4 16000; le 2 2; le 2 16; printf 'data'; le 4 "$n"
		head -c "$n" "$1"
	} >"$2"
}

wait_log() {
	for _ in $(seq 1 "$3"); do
		grep -Eq "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

case_opus() {
	command -v "$BARESIP" >/dev/null && [ -f /usr/lib/baresip/modules/opus.so ] &&
		[ -f /usr/lib/baresip/modules/ctrl_tcp.so ] || { tl_fail "opus: baresip with opus.so and ctrl_tcp.so"; return; }
	case_start opus opus || return
	local ctrl pa
	ctrl=$(tl_port); pa=$(tl_port)
	bs_conf opus-b "$TL_TRUNK_PORT" 880 "$NUMBER" "$ctrl"
	tl_bg "$BARESIP" -f "$TL_TMP/opus-b" -s -t 40 >"$TL_TMP/opus-b.log" 2>&1 </dev/null
	local bs=$TL_LAST_PID
	wait_log "$TL_TMP/opus-b.log" "baresip is ready|Listening on|ua: .* registered|$NUMBER" 50
	sleep 0.5
	rm -f "$C/ma"
	# 8 s of the caller's tone, the digits in-band from 2 s on; the caller
	# records what it hears
	probe_start "$CASE-a" -l "$pa" -r "@$C/ma" -n 400 -f 1000 -d 600 -o "$C/heard.raw" -D "$DIGITS"
	local probe_a=$PROBE_PID
	sipp_bg "$CASE-caller" uac_codec.xml "127.0.0.1:$TL_SIP_PORT" -m 1 -s "$NUMBER" -d 8500 \
		-key mport "$pa" -key mfile "$C/ma" -key pt 0 -key codec PCMU/8000
	local caller=$SIPP_PID
	if wait_log "$TL_TMP/opus-b.log" "Set audio decoder: opus" 100; then
		tl_ok "$CASE: baresip answers with Opus"
	else
		tl_fail "$CASE: baresip answers with Opus (no 'Set audio decoder: opus' within 10 s)"
	fi
	sleep 3
	bs_cmd "$ctrl" sndcode "$DIGITS" || tl_fail "$CASE: send DTMF through baresip's ctrl_tcp"
	wait "$caller"; local rc=$?
	tl_eq "$CASE: the PCMU caller's call to the Opus trunk is answered and ends" "$rc" 0
	[ "$rc" -ne 0 ] && sipp_why "$CASE-caller"
	wait "$probe_a"
	kill -TERM "$bs" 2>/dev/null; wait "$bs" 2>/dev/null
	local ans; ans=$(sip_msgs "$TL_TMP/$CASE-caller.msg" received '^SIP/2.0 200 OK' | head -40)
	tl_check "$CASE: the caller's answer is PCMU without telephone-event" \
		bash -c 'grep -q "^m=audio [0-9]* RTP/AVP 0\s*$" <<<"$1" && ! grep -q telephone-event <<<"$1"' _ "$ans"
	# the tone is measured before the digits start (3 s after the answer)
	local fa ra; ra=$(probe_val "$CASE-a" recv)
	raw_wav "$C/heard.raw" "$C/heard.wav" 2
	fa=$("$WAVTONE" "$C/heard.wav" | sed -n -E 's/.*(^| )freq=([^ ]*).*/\2/p')
	tl_check "$CASE: the caller hears baresip's 880 Hz through Opus (measured ${fa:-none} Hz in its first 2 s)" \
		in_range "${fa:-0}" 875 885
	tl_check "$CASE: ... $ra packets, all PCMU (PT $(probe_val "$CASE-a" pt))" \
		bash -c '[ "$1" -ge 300 ] && [ "$2" = 0 ]' _ "${ra:-0}" "$(probe_val "$CASE-a" pt)"
	local dec m f
	dec=$(ls "$TL_TMP"/opus-b/rec/dump-*-dec.wav 2>/dev/null | head -1)
	m=$([ -n "$dec" ] && "$WAVTONE" "$dec"); f=$(sed -n -E 's/.*(^| )freq=([^ ]*).*/\2/p' <<<"$m")
	tl_check "$CASE: baresip hears the caller's 1000 Hz through Opus (measured ${f:-none} Hz)" in_range "${f:-0}" 995 1005
	tl_check "$CASE: baresip sent its digits as RFC 4733 events" \
		grep -q "send DTMF digit" "$TL_TMP/opus-b.log"
	local got; got=$("$DTMFDET" "$C/heard.raw" | sed -n 's/^digits=\([^ ]*\).*/\1/p')
	tl_eq "$CASE: the caller decodes baresip's digits in-band (dtmf_rx)" "$got" "$DIGITS"
	# the other way: the caller's in-band digits reach baresip as events,
	# each exactly once
	got=$(sed -n -E "s/.*received event: '(.)' \(end=1\).*/\1/p" "$TL_TMP/opus-b.log" | tr -d '\n')
	tl_eq "$CASE: baresip receives the caller's in-band digits as RFC 4733 events, once each" "$got" "$DIGITS"
	case_end
}

for c in $CASES; do
	FAILS_BEFORE=$TL_FAIL
	"case_$c"
done
tl_done
