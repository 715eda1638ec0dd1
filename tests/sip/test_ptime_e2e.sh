#!/usr/bin/env bash
# test_ptime_e2e.sh - ptime conversion through the real daemon: a caller that
# asks for 20 ms packets (a=ptime:20) and a carrier that asks for 30 ms
# (a=ptime:30) and sends 30 ms itself, sipp for signalling, rtpprobe on each
# side sending at its own ptime and measuring what arrives.
#
# The cases:
#   pcmu_pass  PCMU both legs: relayed without transcoding, repacketised
#   g722_pass  G.722 both legs: the same (a byte per clock tick)
#   xcode      PCMU caller, PCMA-only carrier: transcoded, the encoder's
#              20 ms frames packed into the carrier's 30 ms
# For each case: the carrier receives 240-byte payloads (30 ms) at 30 ms
# intervals (95 % of them at least: a stall on a loaded machine leaves a gap,
# and what was pending before it goes out shorter), the caller 160-byte ones
# at 20 ms, packet counts match the time
# sent, each side hears the other's tone within +-5 Hz (the caller's 1000 Hz,
# the carrier's 1500 Hz), the caller's answer says a=ptime:20 and the
# carrier's offer a=ptime:20 (the caller's, relayed), no call left.
#
#   PTIME_CASES="pcmu_pass"   run only some cases (default: all)
: "${srcdir:?srcdir must be set}"
. "$srcdir/tests/lib/testlib.sh"
tl_tmp
. "$srcdir/tests/sip/siplib.sh"
need_tools

CASES=${PTIME_CASES:-pcmu_pass g722_pass xcode}
NUMBER=9123456
MODULES="mod_g711, mod_g722"

# What tandemd logged during this case.
case_log() { sed -n "/^=== case $CASE\$/,\$p" "$TL_TMP/tandemd.log"; }

# The codec scenarios with another a=ptime, in the case's directory.
scenarios() {
	sed "s/a=ptime:20/a=ptime:$1/" "$SCEN/uac_codec.xml" >"$C/uac_codec.xml"
	sed "s/a=ptime:20/a=ptime:$2/" "$SCEN/uas_codec.xml" >"$C/uas_codec.xml"
}

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
	tl_stop_tandemd; local rc=$?
	tl_eq "$CASE: tandemd exits 0" "$rc" 0
	if [ "$TL_FAIL" -gt "$FAILS_BEFORE" ]; then
		echo "    --- tandemd log for $CASE:"
		sed -n "/^=== case $CASE\$/,\$p" "$TL_TMP/tandemd.log" | tail -n 30 | sed 's/^/    /'
	fi
}

# ptime_call A_PT A_CODEC B_PT B_CODEC A_PROBE_ARGS B_PROBE_ARGS: the caller
# sends 150 packets of 20 ms (3 s), the carrier 100 of 30 ms.
ptime_call() {
	local pa pb
	pa=$(tl_port); pb=$(tl_port)
	scenarios 20 30
	probe_start "$CASE-a" -l "$pa" -r "@$C/ma" -n 150 -P 20 -f 1000 -d 600 $5
	local probe_a=$PROBE_PID
	probe_start "$CASE-b" -l "$pb" -r "@$C/mb" -n 100 -P 30 -f 1500 -d 600 $6
	local probe_b=$PROBE_PID
	SCEN=$C SIPP_PORT=$TL_TRUNK_PORT sipp_bg "$CASE-carrier" uas_codec.xml -m 1 -key mport "$pb" \
		-key mfile "$C/mb" -key pt "$3" -key codec "$4" || { tl_fail "$CASE: carrier sipp starts"; return 1; }
	local carrier=$SIPP_PID
	SCEN=$C sipp_fg "$CASE-caller" uac_codec.xml "127.0.0.1:$TL_SIP_PORT" -m 1 -s "$NUMBER" -d 3800 \
		-key mport "$pa" -key mfile "$C/ma" -key pt "$1" -key codec "$2"
	local rc=$?
	tl_eq "$CASE: the call is answered and ends" "$rc" 0
	[ "$rc" -ne 0 ] && sipp_why "$CASE-caller"
	wait "$carrier"; rc=$?
	tl_eq "$CASE: the carrier's side completes" "$rc" 0
	wait "$probe_a" "$probe_b"
}

# check A_PT B_PT: sizes, intervals, counts, tones, payload types, SDP.
check() {
	local sa ra fa sb rb fb za zb ia ib
	sa=$(probe_val "$CASE-a" sent); ra=$(probe_val "$CASE-a" recv); fa=$(probe_val "$CASE-a" freq)
	sb=$(probe_val "$CASE-b" sent); rb=$(probe_val "$CASE-b" recv); fb=$(probe_val "$CASE-b" freq)
	za=$(probe_val "$CASE-a" psize); zb=$(probe_val "$CASE-b" psize)
	ia=$(probe_val "$CASE-a" ival); ib=$(probe_val "$CASE-b" ival)
	echo "    measured: carrier got $rb packets, payload $zb bytes, every $ib ms" \
	     "(longest gap $(probe_val "$CASE-b" imax) ms), tone $fb Hz;" \
	     "caller got $ra packets, payload $za bytes, every $ia ms" \
	     "(longest gap $(probe_val "$CASE-a" imax) ms), tone $fa Hz"
	# 30 ms payloads to the carrier, 20 ms to the caller, none longer; a
	# shorter one only where the stream had a gap (a stalled, loaded machine:
	# what was pending goes out short, so no timestamp moves): 95 % or more
	# have the leg's size
	local ma mb
	ma=$(probe_val "$CASE-a" pmode); mb=$(probe_val "$CASE-b" pmode)
	tl_check "$CASE: the carrier receives 30 ms payloads (240 bytes: $mb of $rb, sizes $zb)" \
		bash -c '[ "${1%%:*}" = 240 ] && [ "${2#*-}" = 240 ] && [ $(( ${1#*:} * 100 )) -ge $(( $3 * 95 )) ]' \
		_ "$mb" "$zb" "${rb:-0}"
	tl_check "$CASE: the caller receives 20 ms payloads (160 bytes: $ma of $ra, sizes $za)" \
		bash -c '[ "${1%%:*}" = 160 ] && [ "${2#*-}" = 160 ] && [ $(( ${1#*:} * 100 )) -ge $(( $3 * 95 )) ]' \
		_ "$ma" "$za" "${ra:-0}"
	tl_check "$CASE: ... every 30 ms at the carrier (mean $ib ms)" in_range "${ib:-0}" 28.5 31.5
	tl_check "$CASE: ... every 20 ms at the caller (mean $ia ms)" in_range "${ia:-0}" 19 21
	# 3 s of audio each way: 100 packets of 30 ms to the carrier (the last
	# 20 ms may still be pending), 150 of 20 ms to the caller
	tl_near "$CASE: the carrier gets the caller's 3 s ($sa x 20 ms) as 30 ms packets" "${rb:-0}" \
		$(( ${sa:-0} * 2 / 3 )) 4
	tl_near "$CASE: the caller gets the carrier's 3 s ($sb x 30 ms) as 20 ms packets" "${ra:-0}" \
		$(( ${sb:-0} * 3 / 2 )) 4
	tl_check "$CASE: the carrier hears the caller's 1000 Hz (measured ${fb:-none} Hz)" in_range "${fb:-0}" 995 1005
	tl_check "$CASE: the caller hears the carrier's 1500 Hz (measured ${fa:-none} Hz)" in_range "${fa:-0}" 1495 1505
	tl_eq "$CASE: the caller receives PT $1" "$(probe_val "$CASE-a" pt)" "$1"
	tl_eq "$CASE: the carrier receives PT $2" "$(probe_val "$CASE-b" pt)" "$2"
	local ans off
	ans=$(sip_msgs "$TL_TMP/$CASE-caller.msg" received '^SIP/2.0 200 OK' | head -40)
	off=$(sip_msgs "$TL_TMP/$CASE-carrier.msg" received '^INVITE' | head -40)
	tl_check "$CASE: the caller's answer asks for its own 20 ms (a=ptime:20, no maxptime)" \
		bash -c 'grep -q "^a=ptime:20\s*$" <<<"$1" && ! grep -q "a=maxptime" <<<"$1"' _ "$ans"
	tl_check "$CASE: the carrier's offer says a=ptime:20 (the caller's)" \
		bash -c 'grep -q "^a=ptime:20\s*$" <<<"$1"' _ "$off"
}

case_pcmu_pass() {
	case_start pcmu_pass PCMU || return
	ptime_call 0 PCMU/8000 0 PCMU/8000 "-c pcmu" "-c pcmu"
	check 0 0
	tl_check "$CASE: not transcoded, repacketised" \
		bash -c '! grep -q "transcoding PCMU" <<<"$1" && grep -q "PCMU toward leg B repacketised to 30 ms" <<<"$1"' \
		_ "$(case_log)"
	case_end
}

case_g722_pass() {
	case_start g722_pass G722 || return
	ptime_call 9 G722/8000 9 G722/8000 "-c g722" "-c g722"
	check 9 9
	tl_check "$CASE: not transcoded, repacketised" \
		bash -c '! grep -q "transcoding G722" <<<"$1" && grep -q "G722 toward leg B repacketised to 30 ms" <<<"$1"' \
		_ "$(case_log)"
	case_end
}

case_xcode() {
	case_start xcode PCMA || return
	ptime_call 0 PCMU/8000 8 PCMA/8000 "-c pcmu" "-c pcma"
	check 0 8
	tl_check "$CASE: transcoded, the PCMA side packed to 30 ms" \
		bash -c 'grep -q "transcoding PCMU/8000 <-> PCMA/8000" <<<"$1" &&
			 grep -q "PCMA toward leg B repacketised to 30 ms (transcoded)" <<<"$1"' _ "$(case_log)"
	case_end
}

for c in $CASES; do
	FAILS_BEFORE=$TL_FAIL
	"case_$c"
done
tl_done
