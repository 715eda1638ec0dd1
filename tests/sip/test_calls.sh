#!/usr/bin/env bash
# test_calls.sh - B2BUA call scenarios through tandemd: sipp as the caller
# (UAC) and sipp as the carrier (UAS on the trunk port), rtpprobe for audio.
#
# Every case starts its own tandemd on fresh ports (numbers starting with 9
# route to trunk1, the carrier sipp), runs one pair of scenarios from
# tests/sip/scenarios/, and checks what each side saw, what audio arrived, and
# that tandemd lists no call afterwards and stops cleanly.
#
#   CALL_CASES="basic busy"  run only some cases (default: all, in order)
. "$srcdir/tests/lib/testlib.sh"
tl_tmp
. "$srcdir/tests/sip/siplib.sh"
need_tools

ALL_CASES="basic busy cancel hold noanswer badsdp lateoffer early glare_carrier glare_caller
	cancel_cross bye_reinvite maxdur late200 echo milliwatt rtptimeout topology sigterm
	failover_503 failover_silent no_failover_busy ctl_hangup drain advertise ports_exhausted
	max_channels trunk_health numbers transcode fork update"
CASES=${CALL_CASES:-$ALL_CASES}
NUMBER=9123456          # routed to trunk1 by TL_ROUTES below

# --- per-case plumbing ------------------------------------------------------
# case_start NAME: fresh config (TL_* overrides from the caller's environment)
# and a running tandemd. Sets C (the case's file prefix in $TL_TMP).
case_start() {
	CASE=$1
	C="$TL_TMP/$CASE"
	mkdir -p "$C"
	echo "=== case $CASE" >>"$TL_TMP/tandemd.log"
	echo "# case $CASE"
	TL_SIP_PORT=$(tl_port)
	TL_TRUNK_PORT=$(tl_port)
	CDR="$C/cdr.csv"
	TL_EXTRA="cdr_file = $CDR" TL_ROUTES="${TL_ROUTES:-9 = trunk1}" tl_conf "$C/conf"
	fix_rtp_range "$C/conf/tandem.conf"
	CALLER_RC=0
	if ! tl_start_tandemd "$C/conf/tandem.conf"; then
		tl_fail "$CASE: tandemd starts"
		return 1
	fi
}

# No call may be left once both sides are done (polled: BYE transactions
# may still be finishing), and tandemd must stop with exit code 0.
case_end() {
	local n='' i
	if [ -n "$TANDEMD_PID" ] && kill -0 "$TANDEMD_PID" 2>/dev/null; then
		for i in $(seq 1 40); do
			n=$(tl_ctl --json calls 2>/dev/null | jq '.calls | length')
			[ "$n" = 0 ] && break
			sleep 0.1
		done
		tl_eq "$CASE: tandemctl calls lists no call afterwards" "$n" 0
		[ "$n" != 0 ] && tl_ctl calls | sed 's/^/    /'
		local sess
		sess=$(tl_ctl --json status | jq -r .media.sessions)
		tl_eq "$CASE: no media session left" "$sess" 0
		tl_stop_tandemd; local rc=$?
		tl_eq "$CASE: tandemd exits 0" "$rc" 0
	fi
	if [ "$TL_FAIL" -gt "${FAILS_BEFORE:-0}" ]; then
		echo "    --- tandemd log for $CASE:"
		sed -n "/^=== case $CASE\$/,\$p" "$TL_TMP/tandemd.log" | tail -n 40 | sed 's/^/    /'
	fi
	# the case's background processes are done or no longer needed
	local p
	for p in "${CASE_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	CASE_PIDS=()
}
CASE_PIDS=()

# carrier XML [sipp args...]: the carrier sipp in the background on the trunk port
carrier() {
	local xml=$1; shift
	SIPP_PORT=$TL_TRUNK_PORT sipp_bg "$CASE-carrier" "$xml" -m 1 "$@" || return 1
	CARRIER_PID=$SIPP_PID
	CASE_PIDS+=("$SIPP_PID")
}

# caller XML [sipp args...]: the caller sipp in the foreground; sets CALLER_RC
# and CALLER_MS (how long it ran).
caller() {
	local xml=$1; shift
	local t0; t0=$(date +%s%N)
	SIPP_PORT=${CALLER_PORT:-} sipp_fg "$CASE-${CALLER_NAME:-caller}" "$xml" "127.0.0.1:$TL_SIP_PORT" -m 1 "$@"
	CALLER_RC=$?
	CALLER_MS=$(elapsed_ms "$t0")
}

# expect_sipp DESC RC NAME: assert a sipp exit code of 0, with its logs on failure
expect_sipp() {
	tl_eq "$CASE: $1" "$2" 0
	[ "$2" -ne 0 ] && sipp_why "$CASE-$3"
}

# Wait for the carrier sipp. When the caller already failed, the carrier
# may wait for messages that never come: give it 3 s, not its 20 s timeout.
carrier_done() {
	local rc i
	if [ "${CALLER_RC:-0}" -ne 0 ]; then
		for i in $(seq 1 30); do kill -0 "$CARRIER_PID" 2>/dev/null || break; sleep 0.1; done
		kill "$CARRIER_PID" 2>/dev/null
	fi
	wait "$CARRIER_PID"; rc=$?
	expect_sipp "the carrier's side of the scenario completes" "$rc" carrier
}

# A probe pair for a call between caller (A) and carrier (B): each probe binds
# its port now, waits for the far address the sipp side writes, plays
# PACKETS of its tone and measures what it hears.
probes_start() { # packets
	PA=$(tl_port); PB=$(tl_port)
	rm -f "$C/ma" "$C/mb"
	probe_start "$CASE-a" -l "$PA" -r "@$C/ma" -n "$1" -f 1000 -d 600
	CASE_PIDS+=("$PROBE_PID"); PROBE_A=$PROBE_PID
	probe_start "$CASE-b" -l "$PB" -r "@$C/mb" -n "$1" -f 1500 -d 600
	CASE_PIDS+=("$PROBE_PID"); PROBE_B=$PROBE_PID
}

# Both directions carried the other side's tone, packet counts within 5%.
check_audio_both_ways() {
	wait "$PROBE_A" "$PROBE_B"
	local sa ra fa sb rb fb
	sa=$(probe_val "$CASE-a" sent); ra=$(probe_val "$CASE-a" recv); fa=$(probe_val "$CASE-a" freq)
	sb=$(probe_val "$CASE-b" sent); rb=$(probe_val "$CASE-b" recv); fb=$(probe_val "$CASE-b" freq)
	tl_near "$CASE: caller -> carrier RTP: packets the carrier got vs. the caller sent" "${rb:-0}" "${sa:-0}" 5
	tl_near "$CASE: carrier -> caller RTP: packets the caller got vs. the carrier sent" "${ra:-0}" "${sb:-0}" 5
	tl_check "$CASE: the carrier hears the caller's 1000 Hz tone (measured ${fb:-none} Hz)" in_range "${fb:-0}" 995 1005
	tl_check "$CASE: the caller hears the carrier's 1500 Hz tone (measured ${fa:-none} Hz)" in_range "${fa:-0}" 1495 1505
	# The media is anchored: each side talks to tandemd, not to the other.
	local srca sdpa
	srca=$(probe_val "$CASE-a" src)
	sdpa=$(tr ' ' : <"$C/ma" 2>/dev/null)
	tl_check "$CASE: the caller's RTP comes from the address in tandemd's SDP (${sdpa:-none})" \
		test -n "$sdpa" -a "$srca" = "$sdpa"
	tl_check "$CASE: the carrier is offered tandemd's media address, not the caller's port $PA" \
		bash -c '[ -s "$1" ] && ! grep -q " $2\$" "$1"' _ "$C/mb" "$PA"
}

# cdr_get N FIELD: field FIELD (a column name of the header) of record N
# (1 = the first record after the header) of this case's call record file.
cdr_get() {
	awk -F, -v n="$1" -v f="$2" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		NR == n + 1 { print $(col[f]) }' "$CDR" 2>/dev/null
}
cdr_count() { echo $(( $(wc -l <"$CDR" 2>/dev/null || echo 1) - 1 )); }

# --- the cases ----------------------------------------------------------------

case_basic() {
	case_start basic || return
	probes_start 100
	carrier uas_basic.xml -key mport "$PB" -key mfile "$C/mb" || return
	caller uac_basic.xml -s "$NUMBER" -key mport "$PA" -key mfile "$C/ma" -d 3500
	expect_sipp "the caller's call is answered and hung up (200, ACK, BYE, 200)" "$CALLER_RC" caller
	carrier_done
	check_audio_both_ways
	local st; st=$(tl_ctl --json status)
	tl_eq "$CASE: status counts one answered call" "$(jq -r .sip.calls_answered <<<"$st")" 1
	tl_check "$CASE: status counted relayed media packets" \
		test "$(jq -r .media.packets_relayed <<<"$st")" -ge 180
	tl_eq "$CASE: one call record" "$(cdr_count)" 1
	tl_eq "$CASE: record: disposition" "$(cdr_get 1 disposition)" ANSWERED
	tl_eq "$CASE: record: final code" "$(cdr_get 1 final_code)" 200
	tl_eq "$CASE: record: Q.850 16 (normal clearing)" "$(cdr_get 1 q850_cause)" 16
	tl_eq "$CASE: record: callee as received" "$(cdr_get 1 called_in)" "$NUMBER"
	tl_eq "$CASE: record: callee as sent" "$(cdr_get 1 called_out)" "$NUMBER"
	tl_eq "$CASE: record: trunk" "$(cdr_get 1 target)" trunk1
	tl_eq "$CASE: record: caller" "$(cdr_get 1 caller)" caller
	tl_eq "$CASE: record: codecs" "$(cdr_get 1 codec_a)/$(cdr_get 1 codec_b)" "PCMU/8000/PCMU/8000"
	tl_check "$CASE: record: connected 3 s or so (duration_s $(cdr_get 1 duration_s))" \
		in_range "$(cdr_get 1 duration_s)" 2 5
	tl_check "$CASE: record: answer time set, after start" \
		bash -c '[ -n "$1" ] && [[ "$1" > "$2" || "$1" == "$2" ]]' _ "$(cdr_get 1 answer)" "$(cdr_get 1 start)"
	tl_check "$CASE: record: RTP counted on both legs (A in $(cdr_get 1 a_pkts_in), B in $(cdr_get 1 b_pkts_in))" \
		bash -c '[ "${1:-0}" -ge 95 ] && [ "${2:-0}" -ge 95 ]' _ "$(cdr_get 1 a_pkts_in)" "$(cdr_get 1 b_pkts_in)"
	case_end
}

case_busy() {
	case_start busy || return
	carrier uas_busy.xml || return
	caller uac_busy.xml -s "$NUMBER" -key mport "$(tl_port)"
	expect_sipp "the carrier's 486 reaches the caller as 486" "$CALLER_RC" caller
	carrier_done
	case_end
	tl_eq "$CASE: record: BUSY, 486, Q.850 17" \
		"$(cdr_get 1 disposition),$(cdr_get 1 final_code),$(cdr_get 1 q850_cause)" "BUSY,486,17"
}

case_cancel() {
	case_start cancel || return
	carrier uas_cancel.xml || return
	caller uac_cancel.xml -s "$NUMBER" -key mport "$(tl_port)"
	expect_sipp "CANCEL while ringing: the caller gets 200 (CANCEL) and 487" "$CALLER_RC" caller
	carrier_done
	tl_eq "$CASE: the carrier received one CANCEL" \
		"$(sip_count "$C-carrier.msg" received '^CANCEL ')" 1
	case_end
}

case_hold() {
	case_start hold || return
	carrier uas_hold.xml -key mport "$(tl_port)" || return
	caller uac_hold.xml -s "$NUMBER" -key mport "$(tl_port)"
	expect_sipp "hold (sendonly -> recvonly) and resume (sendrecv) answered right" "$CALLER_RC" caller
	carrier_done
	case_end
}

case_noanswer() {
	TL_NO_ANSWER=3 case_start noanswer || return
	carrier uas_cancel.xml || return
	caller uac_noanswer.xml -s "$NUMBER" -key mport "$(tl_port)"
	expect_sipp "no answer: the caller gets 480 (or 408)" "$CALLER_RC" caller
	tl_check "$CASE: ... after the 3 s no-answer timeout (took ${CALLER_MS} ms)" in_range "$CALLER_MS" 2500 4500
	carrier_done
	tl_eq "$CASE: the carrier got a CANCEL" "$(sip_count "$C-carrier.msg" received '^CANCEL ')" 1
	case_end
}

case_badsdp() {
	case_start badsdp || return
	probes_start 50
	carrier uas_basic.xml -key mport "$PB" -key mfile "$C/mb" || return
	CALLER_NAME=bad caller uac_badsdp.xml -s "$NUMBER"
	expect_sipp "an INVITE with a malformed SDP gets 400/415/488" "$CALLER_RC" bad
	tl_eq "$CASE: the carrier was not called for it" "$(sip_count "$C-carrier.msg" received '^INVITE ')" 0
	caller uac_basic.xml -s "$NUMBER" -key mport "$PA" -key mfile "$C/ma" -d 2000
	expect_sipp "the next call succeeds" "$CALLER_RC" caller
	carrier_done
	wait "$PROBE_A" "$PROBE_B"
	tl_check "$CASE: ... with audio (the caller got $(probe_val "$CASE-a" recv) packets)" \
		test "$(probe_val "$CASE-a" recv)" -ge 40
	case_end
}

case_lateoffer() {
	case_start lateoffer || return
	probes_start 100
	carrier uas_lateoffer.xml -key mport "$PB" -key mfile "$C/mb" || return
	caller uac_lateoffer.xml -s "$NUMBER" -key mport "$PA" -key mfile "$C/ma" -d 3500
	expect_sipp "late offer: the 200 offers, the ACK answers; the same for a re-INVITE without SDP" \
		"$CALLER_RC" caller
	carrier_done
	check_audio_both_ways
	case_end
}

case_early() {
	case_start early || return
	PA=$(tl_port); PB=$(tl_port)
	rm -f "$C/ma" "$C/mb"
	# The carrier plays as soon as it has the INVITE; the caller listens
	# (and talks) from the 183 on, for 1.5 s: well before the 200 (3 s).
	probe_start "$CASE-b" -l "$PB" -r "@$C/mb" -n 200 -f 1500 -d 300
	CASE_PIDS+=("$PROBE_PID"); PROBE_B=$PROBE_PID
	probe_start "$CASE-a" -l "$PA" -r "@$C/ma" -n 75 -f 1000 -d 100
	CASE_PIDS+=("$PROBE_PID"); PROBE_A=$PROBE_PID
	carrier uas_early.xml -key mport "$PB" -key mfile "$C/mb" || return
	caller uac_early.xml -s "$NUMBER" -key mport "$PA" -key mfile "$C/ma" -d 1000
	expect_sipp "early media: 183 with SDP, then 200" "$CALLER_RC" caller
	tl_check "$CASE: a 183 with SDP reached the caller" \
		bash -c 'grep -q "^m=audio" <<<"$1"' _ "$(sip_msgs "$C-caller.msg" received '^SIP/2.0 183')"
	carrier_done
	wait "$PROBE_A"
	local ra fa
	ra=$(probe_val "$CASE-a" recv); fa=$(probe_val "$CASE-a" freq)
	tl_check "$CASE: the caller got the carrier's early media before the 200 ($ra packets in 1.5 s)" \
		test "${ra:-0}" -ge 60
	tl_check "$CASE: ... and it is the carrier's 1500 Hz tone (measured ${fa:-none} Hz)" in_range "${fa:-0}" 1495 1505
	case_end
}

case_glare_carrier() {
	case_start glare_carrier || return
	carrier uas_glare_carrier.xml -key mport "$(tl_port)" || return
	caller uac_glare_carrier.xml -s "$NUMBER" -key mport "$(tl_port)"
	expect_sipp "the caller's re-INVITE completes (200) despite the carrier's crossing re-INVITE" \
		"$CALLER_RC" caller
	carrier_done
	tl_eq "$CASE: the carrier's crossing re-INVITE got 491" \
		"$(sip_count "$C-carrier.msg" received '^SIP/2.0 491')" 1
	case_end
}

case_glare_caller() {
	case_start glare_caller || return
	carrier uas_glare_caller.xml -key mport "$(tl_port)" || return
	caller uac_glare_caller.xml -s "$NUMBER" -key mport "$(tl_port)"
	expect_sipp "the caller's crossing re-INVITE gets 491, the carrier's completes" "$CALLER_RC" caller
	carrier_done
	tl_eq "$CASE: the caller's crossing re-INVITE got 491" \
		"$(sip_count "$C-caller.msg" received '^SIP/2.0 491')" 1
	case_end
}

case_cancel_cross() {
	case_start cancel_cross || return
	carrier uas_cancel_cross.xml -key mport "$(tl_port)" || return
	caller uac_cancel_cross.xml -s "$NUMBER" -key mport "$(tl_port)"
	expect_sipp "CANCEL crossing the carrier's 200: the caller gets 200 (CANCEL) and 487" \
		"$CALLER_RC" caller
	carrier_done
	tl_eq "$CASE: the carrier's 200 was ACKed" "$(sip_count "$C-carrier.msg" received '^ACK ')" 1
	tl_eq "$CASE: and the carrier got a BYE" "$(sip_count "$C-carrier.msg" received '^BYE ')" 1
	case_end
}

case_bye_reinvite() {
	case_start bye_reinvite || return
	carrier uas_bye_reinvite.xml -key mport "$(tl_port)" || return
	caller uac_bye_reinvite.xml -s "$NUMBER" -key mport "$(tl_port)"
	expect_sipp "BYE during a pending re-INVITE: 200 for the BYE, 487 for the re-INVITE" \
		"$CALLER_RC" caller
	carrier_done
	case_end
}

case_maxdur() {
	TL_MAX_DURATION=3 case_start maxdur || return
	carrier uas_wait_bye.xml -key mport "$(tl_port)" -key mfile "$C/mb" || return
	caller uac_wait_bye.xml -s "$NUMBER" -key mport "$(tl_port)" -key mfile "$C/ma"
	expect_sipp "max_duration: the caller gets a BYE" "$CALLER_RC" caller
	tl_check "$CASE: ... about 3 s after the answer (call took ${CALLER_MS} ms)" in_range "$CALLER_MS" 2700 4500
	carrier_done
	case_end
}

case_late200() {
	TL_SETUP_TIMEOUT=2 case_start late200 || return
	carrier uas_late200.xml -key mport "$(tl_port)" || return
	caller uac_late200.xml -s "$NUMBER" -key mport "$(tl_port)"
	expect_sipp "silent trunk: the caller gets a final error" "$CALLER_RC" caller
	tl_check "$CASE: ... after the 2 s setup timeout (took ${CALLER_MS} ms)" in_range "$CALLER_MS" 1500 3400
	carrier_done
	tl_eq "$CASE: no CANCEL was sent before any provisional response (RFC 3261 9.1)" \
		"$(sip_count "$C-carrier.msg" received '^CANCEL ')" 0
	tl_eq "$CASE: the late 200 was ACKed" "$(sip_count "$C-carrier.msg" received '^ACK ')" 1
	tl_eq "$CASE: and BYEd" "$(sip_count "$C-carrier.msg" received '^BYE ')" 1
	case_end
}

case_echo() {
	case_start echo || return
	PA=$(tl_port)
	rm -f "$C/ma"
	probe_start "$CASE-a" -l "$PA" -r "@$C/ma" -n 100 -f 1000 -d 600
	CASE_PIDS+=("$PROBE_PID"); PROBE_A=$PROBE_PID
	caller uac_basic.xml -s 600 -key mport "$PA" -key mfile "$C/ma" -d 3000
	expect_sipp "a call to 600 (echo) is answered" "$CALLER_RC" caller
	wait "$PROBE_A"
	tl_near "$CASE: the echo returns every packet" "$(probe_val "$CASE-a" recv)" "$(probe_val "$CASE-a" sent)" 5
	tl_check "$CASE: ... with the caller's own 1000 Hz tone (measured $(probe_val "$CASE-a" freq) Hz)" \
		in_range "$(probe_val "$CASE-a" freq)" 995 1005
	case_end
}

case_milliwatt() {
	case_start milliwatt || return
	PA=$(tl_port)
	rm -f "$C/ma"
	probe_start "$CASE-a" -l "$PA" -r "@$C/ma" -n 100 -f 440 -d 600
	CASE_PIDS+=("$PROBE_PID"); PROBE_A=$PROBE_PID
	caller uac_basic.xml -s 1004 -key mport "$PA" -key mfile "$C/ma" -d 3000
	expect_sipp "a call to 1004 (milliwatt) is answered" "$CALLER_RC" caller
	wait "$PROBE_A"
	local r f l
	r=$(probe_val "$CASE-a" recv); f=$(probe_val "$CASE-a" freq); l=$(probe_val "$CASE-a" level)
	tl_check "$CASE: the tone streams (got ${r:-0} packets in 2.6 s, want >= 120)" test "${r:-0}" -ge 120
	tl_check "$CASE: it is 1004 Hz +-5 (measured ${f:-none} Hz)" in_range "${f:-0}" 999 1009
	# media.h: the milliwatt is 1004 Hz at 0 dBm0, the digital milliwatt:
	# 0 dBm0 in G.711 is -6.2 dBFS RMS.
	tl_check "$CASE: at 0 dBm0 +-1 dB (level ${l:-none} dBFS, want -7.2..-5.2)" in_range "${l:--200}" -7.2 -5.2
	case_end
}

case_rtptimeout() {
	TL_RTP_TIMEOUT=2 case_start rtptimeout || return
	carrier uas_wait_bye.xml -key mport "$(tl_port)" -key mfile "$C/mb" || return
	caller uac_wait_bye.xml -s "$NUMBER" -key mport "$(tl_port)" -key mfile "$C/ma"
	expect_sipp "no RTP at all: the caller gets a BYE" "$CALLER_RC" caller
	tl_check "$CASE: ... after the 2 s RTP timeout (call took ${CALLER_MS} ms)" in_range "$CALLER_MS" 1500 5000
	carrier_done
	case_end
}

case_topology() {
	case_start topology || return
	probes_start 50
	CALLER_PORT=$(tl_port)
	carrier uas_basic.xml -key mport "$PB" -key mfile "$C/mb" || return
	local cid="topo-$$-$RANDOM@caller.example"
	caller uac_basic.xml -s "$NUMBER" -key mport "$PA" -key mfile "$C/ma" -d 1500 -cid_str "$cid"
	expect_sipp "the call goes through" "$CALLER_RC" caller
	carrier_done
	wait "$PROBE_A" "$PROBE_B"
	local inv; inv=$(sip_msgs "$C-carrier.msg" received '^INVITE ')
	tl_check "$CASE: the carrier's log holds the INVITE it got" grep -q '^INVITE ' <<<"$inv"
	local what pat
	# (the caller's user part "caller" does pass: it is the calling number)
	for what in "Call-ID:$cid" "From-tag:SIPpTag00" "address (Via, Contact):127.0.0.1:$CALLER_PORT" \
		    "Via-branch:z9hG4bK-[0-9]+-1-0" "Contact:^(Contact|m):.*caller@" \
		    "SDP-port:m=audio $PA "; do
		pat=${what#*:}
		tl_check "$CASE: the carrier sees none of the caller's ${what%%:*} ($pat)" \
			bash -c '! grep -Eq -- "$1" <<<"$2"' _ "$pat" "$inv"
	done
	CALLER_PORT=
	case_end
}

case_sigterm() {
	case_start sigterm || return
	carrier uas_wait_bye.xml -key mport "$(tl_port)" -key mfile "$C/mb" || return
	SIPP_PORT='' sipp_bg "$CASE-caller" uac_wait_bye.xml "127.0.0.1:$TL_SIP_PORT" -m 1 -s "$NUMBER" \
		-key mport "$(tl_port)" -key mfile "$C/ma"
	local cpid=$SIPP_PID; CASE_PIDS+=("$cpid")
	wait_file "$C/mb" 50 || tl_fail "$CASE: the call is set up"
	sleep 0.3
	tl_eq "$CASE: tandemctl calls lists the active call" "$(tl_ctl --json calls | jq '.calls | length')" 1
	local t0; t0=$(date +%s%N)
	kill -TERM "$TANDEMD_PID"

	for _ in $(seq 1 60); do kill -0 "$TANDEMD_PID" 2>/dev/null || break; sleep 0.1; done
	local ms; ms=$(elapsed_ms "$t0")
	if kill -0 "$TANDEMD_PID" 2>/dev/null; then
		tl_fail "$CASE: tandemd exits within 5 s of SIGTERM with a call up"
	else
		wait "$TANDEMD_PID"; local rc=$?
		tl_eq "$CASE: tandemd exits 0 after hanging up (${ms} ms)" "$rc" 0
	fi
	TANDEMD_PID=
	wait "$cpid"; local crc=$?
	expect_sipp "the caller got a BYE on shutdown" "$crc" caller
	carrier_done
	case_end
}

# --- failover: routes with two trunks -----------------------------------------
# trunk1 (TL_TRUNK_PORT) fails; trunk2 (T2_PORT) answers like the basic case.
failover_start() { # name [env for case_start]
	T2_PORT=$(tl_port)
	TL_TRUNKS=$'\n[trunk2](carrier)\nhost = 127.0.0.1\nport = '"$T2_PORT"
	TL_ROUTES="9 = trunk1, trunk2" case_start "$1" || return 1
	probes_start 100
	SIPP_PORT=$T2_PORT sipp_bg "$CASE-trunk2" uas_basic.xml -m 1 -key mport "$PB" -key mfile "$C/mb" || return 1
	T2_PID=$SIPP_PID
	CASE_PIDS+=("$SIPP_PID")
}

failover_finish() {
	expect_sipp "the caller's call is answered by trunk2 and hung up" "$CALLER_RC" caller
	if [ "$CASE" = failover_silent ]; then
		kill "$CARRIER_PID" 2>/dev/null; wait "$CARRIER_PID" 2>/dev/null
	else
		carrier_done
	fi
	wait "$T2_PID"; local rc=$?
	expect_sipp "trunk2 took the call" "$rc" trunk2
	check_audio_both_ways
	unset TL_TRUNKS
	case_end
}

case_failover_503() {
	failover_start failover_503 || return
	carrier uas_503.xml || return
	caller uac_basic.xml -s "$NUMBER" -key mport "$PA" -key mfile "$C/ma" -d 3500
	failover_finish
	tl_eq "$CASE: two call records, one per attempt" "$(cdr_count)" 2
	tl_eq "$CASE: attempt 1: trunk1, 503, FAILOVER" \
		"$(cdr_get 1 attempt_id | sed 's/.*-//'),$(cdr_get 1 target),$(cdr_get 1 final_code),$(cdr_get 1 disposition)" \
		"1,trunk1,503,FAILOVER"
	tl_eq "$CASE: attempt 2: trunk2, 200, ANSWERED" \
		"$(cdr_get 2 attempt_id | sed 's/.*-//'),$(cdr_get 2 target),$(cdr_get 2 final_code),$(cdr_get 2 disposition)" \
		"2,trunk2,200,ANSWERED"
	tl_eq "$CASE: both attempts carry the same call id" "$(cdr_get 1 call_id)" "$(cdr_get 2 call_id)"
}

case_failover_silent() {
	TL_SETUP_TIMEOUT=2 failover_start failover_silent || return
	carrier uas_silent.xml || return
	caller uac_basic.xml -s "$NUMBER" -key mport "$PA" -key mfile "$C/ma" -d 3500
	tl_check "$CASE: trunk2 got the call after the 2 s setup timeout (the call took ${CALLER_MS} ms)" \
		in_range "$CALLER_MS" 5400 7500
	tl_eq "$CASE: no CANCEL went to the silent trunk (it never sent a provisional)" \
		"$(sip_count "$C-carrier.msg" received '^CANCEL ')" 0
	failover_finish
}

case_no_failover_busy() {
	T2_PORT=$(tl_port)
	TL_TRUNKS=$'\n[trunk2](carrier)\nhost = 127.0.0.1\nport = '"$T2_PORT"
	TL_ROUTES="9 = trunk1, trunk2" case_start no_failover_busy || return
	unset TL_TRUNKS
	SIPP_PORT=$T2_PORT sipp_bg "$CASE-trunk2" uas_basic.xml -m 1 -key mport "$(tl_port)" -key mfile "$C/mb2" || return
	T2_PID=$SIPP_PID
	CASE_PIDS+=("$SIPP_PID")
	carrier uas_busy.xml || return
	caller uac_busy.xml -s "$NUMBER" -key mport "$(tl_port)"
	expect_sipp "486 from trunk1 reaches the caller: busy is an answer, not a failure" "$CALLER_RC" caller
	carrier_done
	tl_eq "$CASE: trunk2 never saw an INVITE" "$(sip_count "$C-trunk2.msg" received '^INVITE ')" 0
	case_end
}

# --- operations: tandemctl call hangup, drain ------------------------------------

# wait_calls N: until tandemctl lists N calls (5 s at most); prints the count
wait_calls() {
	local n= i
	for i in $(seq 1 50); do
		n=$(tl_ctl --json calls 2>/dev/null | jq '.calls | length')
		[ "$n" = "$1" ] && break
		sleep 0.1
	done
	echo "$n"
}

case_ctl_hangup() {
	case_start ctl_hangup || return
	carrier uas_wait_bye.xml -key mport "$(tl_port)" -key mfile "$C/mb" || return
	CALLER_NAME=caller sipp_bg "$CASE-caller" uac_wait_bye.xml "127.0.0.1:$TL_SIP_PORT" -m 1 \
		-s "$NUMBER" -key mport "$(tl_port)" -key mfile "$C/ma"
	local cpid=$SIPP_PID
	tl_eq "$CASE: tandemctl calls lists the call" "$(wait_calls 1)" 1
	local id; id=$(tl_ctl --json calls | jq -r '.calls[0].id')
	tl_eq "$CASE: ... confirmed" "$(tl_ctl --json calls | jq -r '.calls[0].state')" confirmed
	tl_check "$CASE: tandemctl call hangup $id succeeds" tl_ctl call hangup "$id"
	wait "$cpid"; local crc=$?
	expect_sipp "the caller got a BYE from the hang-up" "$crc" caller
	carrier_done
	tl_check "$CASE: hanging up an unknown call fails (exit 1)" \
		bash -c '"$1" -s "$2" call hangup nosuchcall >/dev/null 2>&1; [ $? -eq 1 ]' _ "$TANDEMCTL" "$TL_CTL"
	tl_eq "$CASE: log level can be set" "$(tl_ctl --json log level debug | jq -r .level)" debug
	case_end
}

case_drain() {
	case_start drain || return
	probes_start 150
	carrier uas_basic.xml -key mport "$PB" -key mfile "$C/mb" || return
	CALLER_NAME=caller sipp_bg "$CASE-caller" uac_basic.xml "127.0.0.1:$TL_SIP_PORT" -m 1 \
		-s "$NUMBER" -key mport "$PA" -key mfile "$C/ma" -d 4000
	local cpid=$SIPP_PID
	tl_eq "$CASE: a call is up before the drain" "$(wait_calls 1)" 1
	tl_check "$CASE: tandemctl drain" tl_ctl drain 30
	tl_eq "$CASE: status says draining" "$(tl_ctl --json status | jq -r .draining)" true
	sipp_fg "$CASE-options" options_503.xml "127.0.0.1:$TL_SIP_PORT" -m 1; local rc=$?
	expect_sipp "draining: OPTIONS gets 503 with Retry-After" "$rc" options
	sipp_fg "$CASE-new" uac_503.xml "127.0.0.1:$TL_SIP_PORT" -m 1 -s "$NUMBER" -key mport "$(tl_port)"; rc=$?
	expect_sipp "draining: a new call gets 503 with Retry-After" "$rc" new
	wait "$cpid"; local crc=$?
	expect_sipp "the call placed before the drain finishes normally" "$crc" caller
	carrier_done
	check_audio_both_ways
	local i
	for i in $(seq 1 30); do kill -0 "$TANDEMD_PID" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$TANDEMD_PID" 2>/dev/null; then
		tl_fail "$CASE: tandemd exits once the last call has ended"
		case_end
	else
		wait "$TANDEMD_PID"; rc=$?
		tl_eq "$CASE: tandemd exits 0 once the last call has ended" "$rc" 0
		TANDEMD_PID=
		CASE_PIDS=()
	fi
}

# Cloud 1:1 NAT: bound to 127.0.0.1, advertising 127.0.0.2. Every address the
# far ends see (Via, Contact, o=, c=) is the advertised one; the sockets stay
# on the bind address. (No media here: on loopback nothing maps .2 to .1.)
case_advertise() {
	TL_SIP_PORT=$(tl_port)
	case_start advertise || return
	tl_stop_tandemd
	sed -i 's/^address = 127.0.0.1$/address = 127.0.0.1\nadvertise = 127.0.0.2/' "$C/conf/tandem.conf"
	tl_start_tandemd "$C/conf/tandem.conf" || { tl_fail "$CASE: tandemd restarts"; return; }
	tl_check "$CASE: the SIP socket is bound to the bind address 127.0.0.1" \
		bash -c 'ss -Hlnu "sport = :$1" | grep -q "127.0.0.1:$1"' _ "$TL_SIP_PORT"
	carrier uas_busy.xml || return
	caller uac_busy.xml -s "$NUMBER" -key mport "$(tl_port)"
	expect_sipp "the call is set up (and refused busy) through the advertised address" "$CALLER_RC" caller
	carrier_done
	local inv; inv=$(sip_msgs "$C-carrier.msg" received '^INVITE ')
	tl_check "$CASE: the carrier sees Via 127.0.0.2" grep -q '^Via: SIP/2.0/UDP 127.0.0.2:' <<<"$inv"
	tl_check "$CASE: ... Contact 127.0.0.2" grep -q '^Contact: <sip:[^>]*127.0.0.2:' <<<"$inv"
	tl_check "$CASE: ... o= and c= 127.0.0.2" \
		bash -c 'grep -q "^o=.* IN IP4 127.0.0.2" <<<"$1" && grep -q "^c=IN IP4 127.0.0.2" <<<"$1"' _ "$inv"
	tl_check "$CASE: ... and never the bind address 127.0.0.1 in Via, Contact or SDP" \
		bash -c '! grep -E "^(Via|Contact|o=|c=).*127\.0\.0\.1" <<<"$1"' _ "$inv"
	case_end
}

# RTP port pool exhaustion: 503, and the gateway keeps working.
case_ports_exhausted() {
	case_start ports_exhausted || return
	tl_stop_tandemd
	local lo; lo=$(tl_rtp_block 200)
	sed -i -E "s/^rtp_port_min.*/rtp_port_min = $lo/; s/^rtp_port_max.*/rtp_port_max = $((lo + 3))/" "$C/conf/tandem.conf"
	tl_start_tandemd "$C/conf/tandem.conf" || { tl_fail "$CASE: tandemd restarts"; return; }
	carrier uas_wait_bye.xml -key mport "$(tl_port)" -key mfile "$C/mb" || return
	CALLER_NAME=caller sipp_bg "$CASE-caller" uac_wait_bye.xml "127.0.0.1:$TL_SIP_PORT" -m 1 \
		-s "$NUMBER" -key mport "$(tl_port)" -key mfile "$C/ma"
	local cpid=$SIPP_PID
	tl_eq "$CASE: the first call takes the 4 ports of the pool" "$(wait_calls 1)" 1
	sipp_fg "$CASE-second" uac_503_plain.xml "127.0.0.1:$TL_SIP_PORT" -m 1 -s "$NUMBER" \
		-key mport "$(tl_port)"; local rc=$?
	expect_sipp "the second call gets 503 (no RTP ports left)" "$rc" second
	tl_check "$CASE: the log says what to widen" grep -q "widen rtp_port_min/max" "$TANDEMD_LOG"
	tl_check "$CASE: tandemctl call hangup ends the first call" \
		tl_ctl call hangup "$(tl_ctl --json calls | jq -r '.calls[0].id')"
	wait "$cpid"
	carrier_done
	tl_eq "$CASE: the ports are back" "$(wait_calls 0)" 0
	case_end
}

# trunk1 takes one call at a time: the second call goes to trunk2.
case_max_channels() {
	T2_PORT=$(tl_port)
	TL_TRUNKS=$'max_channels = 1\n\n[trunk2](carrier)\nhost = 127.0.0.1\nport = '"$T2_PORT"
	TL_ROUTES="9 = trunk1, trunk2" case_start max_channels || return
	unset TL_TRUNKS
	carrier uas_wait_bye.xml -key mport "$(tl_port)" -key mfile "$C/mb" || return
	CALLER_NAME=caller sipp_bg "$CASE-caller" uac_wait_bye.xml "127.0.0.1:$TL_SIP_PORT" -m 1 \
		-s "$NUMBER" -key mport "$(tl_port)" -key mfile "$C/ma"
	local cpid=$SIPP_PID
	tl_eq "$CASE: the first call is up on trunk1" "$(wait_calls 1)" 1
	tl_eq "$CASE: tandemctl trunks: trunk1 uses 1 of 1 channels" \
		"$(tl_ctl --json trunks | jq -r '.trunks[] | select(.name=="trunk1") | "\(.channels)/\(.max_channels)"')" 1/1
	SIPP_PORT=$T2_PORT sipp_bg "$CASE-trunk2" uas_busy.xml -m 1 || return
	local t2=$SIPP_PID
	CASE_PIDS+=("$t2")
	sipp_fg "$CASE-second" uac_busy.xml "127.0.0.1:$TL_SIP_PORT" -m 1 -s "$NUMBER" -key mport "$(tl_port)"
	expect_sipp "the second call went to trunk2 (its 486 came back)" "$?" second
	wait "$t2"; expect_sipp "trunk2 got the second call" "$?" trunk2
	tl_ctl call hangup "$(tl_ctl --json calls | jq -r '.calls[0].id')" >/dev/null
	wait "$cpid"
	carrier_done
	tl_eq "$CASE: the channel is free again" \
		"$(tl_ctl --json trunks | jq -r '.trunks[] | select(.name=="trunk1") | .channels')" 0
	case_end
}

# OPTIONS health: a trunk that does not answer is marked down and calls to it
# get 503 at once; when it answers again it is up and takes calls.
case_trunk_health() {
	TL_TRUNKS="options_interval = 1"
	case_start trunk_health || return
	unset TL_TRUNKS
	local st i
	for i in $(seq 1 60); do
		st=$(tl_ctl --json trunks | jq -r '.trunks[0].state')
		[ "$st" = down ] && break
		sleep 0.1
	done
	tl_eq "$CASE: a trunk nobody answers on is marked down" "$st" down
	tl_check "$CASE: the log says it is down and what that means" grep -q "trunk trunk1 is DOWN" "$TANDEMD_LOG"
	sipp_fg "$CASE-fast503" uac_503_plain.xml "127.0.0.1:$TL_SIP_PORT" -m 1 -s "$NUMBER" -key mport "$(tl_port)"
	expect_sipp "a call to a route whose only trunk is down gets 503" "$?" fast503
	SIPP_PORT=$TL_TRUNK_PORT sipp_bg "$CASE-options" uas_options.xml -m 1000 || return
	CASE_PIDS+=("$SIPP_PID")
	for i in $(seq 1 60); do
		st=$(tl_ctl --json trunks | jq -r '.trunks[0].state')
		[ "$st" = up ] && break
		sleep 0.1
	done
	tl_eq "$CASE: once it answers OPTIONS it is up again" "$st" up
	tl_check "$CASE: the OPTIONS round trip is reported" \
		test "$(tl_ctl --json trunks | jq -r '.trunks[0].options_rtt_ms')" -ge 0
	case_end
}

# The trunk's number format: strip the route's leading 9, prepend +44, and
# present a fixed caller ID.
case_numbers() {
	TL_TRUNKS=$'strip = 1\nprepend = +44\ncaller_id = 442071234567'
	case_start numbers || return
	unset TL_TRUNKS
	carrier uas_busy.xml || return
	caller uac_busy.xml -s "$NUMBER" -key mport "$(tl_port)"
	expect_sipp "the call reaches the carrier" "$CALLER_RC" caller
	carrier_done
	local inv; inv=$(sip_msgs "$C-carrier.msg" received '^INVITE ')
	tl_check "$CASE: Request-URI carries +44 and the number without its 9" \
		grep -q '^INVITE sip:+44123456@' <<<"$inv"
	tl_check "$CASE: To carries the same number" grep -q '^To: <sip:+44123456@' <<<"$inv"
	tl_check "$CASE: From carries the configured caller ID, no display name" \
		grep -q '^From: <sip:442071234567@' <<<"$inv"
	case_end
	tl_eq "$CASE: record: callee as received and as sent" \
		"$(cdr_get 1 called_in) $(cdr_get 1 called_out)" "$NUMBER +44123456"
}

# A PCMU caller and a trunk that only takes PCMA: tandemd transcodes, each
# side hears the other's tone in its own codec.
case_transcode() {
	TL_TRUNKS="codecs = PCMA"
	case_start transcode || return
	unset TL_TRUNKS
	PA=$(tl_port); PB=$(tl_port)
	rm -f "$C/ma" "$C/mb"
	probe_start "$CASE-a" -l "$PA" -r "@$C/ma" -n 150 -f 1000 -d 600 -p 0
	CASE_PIDS+=("$PROBE_PID"); PROBE_A=$PROBE_PID
	probe_start "$CASE-b" -l "$PB" -r "@$C/mb" -n 150 -f 1500 -d 600 -p 8
	CASE_PIDS+=("$PROBE_PID"); PROBE_B=$PROBE_PID
	carrier uas_pcma.xml -key mport "$PB" -key mfile "$C/mb" || return
	caller uac_basic.xml -s "$NUMBER" -key mport "$PA" -key mfile "$C/ma" -d 3500
	expect_sipp "a PCMU call to a PCMA-only trunk is answered" "$CALLER_RC" caller
	carrier_done
	local inv; inv=$(sip_msgs "$C-carrier.msg" received '^INVITE ')
	tl_check "$CASE: the trunk is offered PCMA only (its codecs setting)" \
		bash -c 'grep -q "^m=audio [0-9]* RTP/AVP 8\b" <<<"$1" && ! grep -q "PCMU" <<<"$1"' _ "$inv"
	check_audio_both_ways
	tl_eq "$CASE: the carrier receives PCMA (PT 8)" "$(probe_val "$CASE-b" pt)" 8
	tl_eq "$CASE: the caller receives PCMU (PT 0)" "$(probe_val "$CASE-a" pt)" 0
	case_end
	tl_eq "$CASE: record: codecs per leg" "$(cdr_get 1 codec_a) $(cdr_get 1 codec_b)" "PCMU/8000 PCMA/8000"
}

# A forking carrier: early media from one dialog, the 200 from another with
# another media address. The caller keeps the SDP it already has; the media
# follows the dialog that answered, and the BYE goes on that dialog.
case_fork() {
	case_start fork || return
	PA=$(tl_port); PB=$(tl_port); PB2=$(tl_port)
	rm -f "$C/ma" "$C/mb"
	probe_start "$CASE-a" -l "$PA" -r "@$C/ma" -n 150 -f 1000 -d 300
	CASE_PIDS+=("$PROBE_PID"); PROBE_A=$PROBE_PID
	probe_start "$CASE-b2" -l "$PB2" -n 0 -d 4500
	CASE_PIDS+=("$PROBE_PID"); PROBE_B2=$PROBE_PID
	carrier uas_fork.xml -key mport "$PB" -key mport2 "$PB2" -key mfile "$C/mb" || return
	caller uac_early.xml -s "$NUMBER" -key mport "$PA" -key mfile "$C/ma" -d 2500
	expect_sipp "183 from one fork, 200 from another: the call is answered and hung up" "$CALLER_RC" caller
	carrier_done
	local s183 s200
	s183=$(sip_msgs "$C-caller.msg" received '^SIP/2.0 183' | sed -n '/^v=0/,/^====/p' | grep -v '^====')
	s200=$(sip_msgs "$C-caller.msg" received '^SIP/2.0 200 OK' | head -40 | sed -n '/^v=0/,/^====/p' | grep -v '^====')
	tl_check "$CASE: the caller's 200 repeats the SDP of its 183 (same o= version)" \
		bash -c '[ -n "$1" ] && [ "$1" = "$2" ]' _ "$s183" "$s200"
	tl_check "$CASE: the BYE went on the answering dialog (tag ...02)" \
		bash -c 'grep -q "^To: .*tag=[0-9]*SIPpTag02" <<<"$1"' _ "$(sip_msgs "$C-carrier.msg" received '^BYE ')"
	wait "$PROBE_A" "$PROBE_B2"
	local r2 f2
	r2=$(probe_val "$CASE-b2" recv); f2=$(probe_val "$CASE-b2" freq)
	tl_check "$CASE: the answering fork's media port gets the caller's audio ($r2 packets)" \
		test "${r2:-0}" -ge 50
	tl_check "$CASE: ... the caller's 1000 Hz tone (measured ${f2:-none} Hz)" in_range "${f2:-0}" 995 1005
	case_end
}

case_update() {
	case_start update || return
	carrier uas_update.xml -key mport "$(tl_port)" || return
	caller uac_update.xml -s "$NUMBER" -key mport "$(tl_port)"
	expect_sipp "hold offered in an UPDATE: relayed as an UPDATE, answered recvonly" "$CALLER_RC" caller
	carrier_done
	tl_eq "$CASE: the carrier got one UPDATE and no re-INVITE" \
		"$(sip_count "$C-carrier.msg" received '^UPDATE ') $(sip_count "$C-carrier.msg" received '^INVITE ')" "1 1"
	case_end
}

for c in $CASES; do
	FAILS_BEFORE=$TL_FAIL
	"case_$c"
	[ -n "${TANDEMD_PID:-}" ] && case_end
done
tl_done
