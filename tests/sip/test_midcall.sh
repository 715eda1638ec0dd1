#!/usr/bin/env bash
# test_midcall.sh - mid-call features through the B2BUA, sipp on both sides:
# PRACK/100rel (RFC 3262) per leg, session timers (RFC 4028) per leg: the
# gateway's own refreshes, a caller's refresh answered locally, 422, and a
# call ended when a peer stops refreshing; REFER blind transfer; T.38 (a re-INVITE to m=image
# udptl relayed leg to leg, UDPTL datagrams counted both ways through the
# media plane, a refresh during the fax keeping m=image; T.38 refused: the
# audio stays up).
#
#   MIDCALL_CASES="prack"  run only some cases (default: all, in order)
. "$srcdir/tests/lib/testlib.sh"
tl_tmp
. "$srcdir/tests/sip/siplib.sh"
need_tools

ALL_CASES="prack early_update st_422 st_422_trunk st_refresh st_expire t38 t38_refuse t38_488 refer refer_caller refer_denied"
CASES=${MIDCALL_CASES:-$ALL_CASES}
NUMBER=9123456
# session-timer cases run for up to 30 s of call time
export SIPP_TIMEOUT=60 SIPP_RECV_TIMEOUT=40000

cdr_get() {
	awk -F, -v n="$1" -v f="$2" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		NR == n + 1 { print $(col[f]) }' "$CDR" 2>/dev/null
}

# case_start NAME [SESSION_EXPIRES]: fresh config and tandemd; numbers
# starting with 9 go to trunk1 (the carrier sipp). TL_TRUNKS adds trunk keys.
case_start() {
	CASE=$1
	C="$TL_TMP/$CASE"
	mkdir -p "$C"
	echo "=== case $CASE" >>"$TL_TMP/tandemd.log"
	echo "# case $CASE"
	TL_SIP_PORT=$(tl_port)
	TL_TRUNK_PORT=$(tl_port)
	CDR="$C/cdr.csv"
	TL_EXTRA="cdr_file = $CDR" TL_ROUTES="${ROUTES:-9 = trunk1}" tl_conf "$C/conf"
	fix_rtp_range "$C/conf/tandem.conf"
	sed -i "/^\[calls\]/a session_expires = ${2:-0}\nmin_se = 30" "$C/conf/tandem.conf"
	CALLER_RC=0
	tl_start_tandemd "$C/conf/tandem.conf" || { tl_fail "$CASE: tandemd starts"; return 1; }
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
	if [ "$TL_FAIL" -gt "${FAILS_BEFORE:-0}" ]; then
		echo "    --- tandemd log for $CASE:"
		sed -n "/^=== case $CASE\$/,\$p" "$TL_TMP/tandemd.log" | tail -n 40 | sed 's/^/    /'
	fi
	[ -n "${CARRIER_PID:-}" ] && kill "$CARRIER_PID" 2>/dev/null
	CARRIER_PID=
}

carrier() {
	local xml=$1; shift
	SIPP_PORT=$TL_TRUNK_PORT sipp_bg "$CASE-carrier" "$xml" -m 1 "$@" || return 1
	CARRIER_PID=$SIPP_PID
}
caller() {
	local xml=$1; shift
	sipp_fg "$CASE-caller" "$xml" "127.0.0.1:$TL_SIP_PORT" -m 1 "$@"
	CALLER_RC=$?
}
expect_sipp() {
	tl_eq "$CASE: $1" "$2" 0
	[ "$2" -ne 0 ] && sipp_why "$CASE-$3"
}
carrier_done() {
	local rc
	if [ "$CALLER_RC" -ne 0 ]; then sleep 3; kill "$CARRIER_PID" 2>/dev/null; fi
	wait "$CARRIER_PID"; rc=$?
	CARRIER_PID=
	expect_sipp "the carrier's side of the scenario completes" "$rc" carrier
}

# --- the cases ------------------------------------------------------------------

# A caller with Supported: 100rel and a trunk with prack = required: the trunk
# is asked for Require: 100rel, its reliable 183 is PRACKed by tandemd, and the
# early media SDP reaches the caller in a reliable 183 that the caller PRACKs.
case_prack() {
	TL_TRUNKS="prack = required" case_start prack || return
	carrier uas_prack.xml -key mport "$(tl_port)" || return
	caller uac_prack.xml -s "$NUMBER" -key mport "$(tl_port)" -d 500
	expect_sipp "caller: reliable 183 with SDP (Require: 100rel, RSeq), its PRACK answered 200" \
		"$CALLER_RC" caller
	carrier_done
	local prack
	prack=$(sip_msgs "$C-carrier.msg" received '^PRACK ')
	tl_check "$CASE: tandemd PRACKed the trunk's reliable 183 (RAck: 1 n INVITE)" \
		grep -q '^RAck: 1 [0-9]* INVITE' <<<"$prack"
	tl_eq "$CASE: exactly one PRACK each way (no retransmission needed)" \
		"$(sip_count "$C-carrier.msg" received '^PRACK ') $(sip_count "$C-caller.msg" sent '^PRACK ')" "1 1"
	tl_check "$CASE: tandemd's INVITE to the trunk says Require: 100rel" \
		grep -q '^Require: 100rel' <<<"$(sip_msgs "$C-carrier.msg" received '^INVITE ')"
	tl_check "$CASE: the caller's 183 carries RSeq and tandemd's SDP" \
		bash -c 'grep -q "^RSeq: [0-9]" <<<"$1" && grep -q "^m=audio" <<<"$1"' _ \
		"$(sip_msgs "$C-caller.msg" received '^SIP/2.0 183')"
	tl_eq "$CASE: call record ANSWERED 200" "$(cdr_get 1 disposition) $(cdr_get 1 final_code)" "ANSWERED 200"
	case_end
}

# UPDATE in the early dialog (RFC 3311): after the reliable 183 and its
# PRACK the carrier moves its early media to another port with an UPDATE.
# It reaches the caller as an UPDATE in the caller's early dialog, the
# caller's answer goes back, and the caller's audio goes to the new port.
case_early_update() {
	TL_TRUNKS="prack = required" case_start early_update || return
	local pa pb2
	pa=$(tl_port); pb2=$(tl_port)
	rm -f "$C/ma"
	probe_start "$CASE-a" -l "$pa" -r "@$C/ma" -n 150 -f 1000 -d 300; local qa=$PROBE_PID
	probe_start "$CASE-b2" -l "$pb2" -r 127.0.0.1:9 -n 0 -d 5000; local qb=$PROBE_PID
	carrier uas_early_update.xml -key mport "$(tl_port)" -key mport2 "$pb2" || return
	caller uac_early_update.xml -s "$NUMBER" -key mport "$pa" -key mfile "$C/ma" -d 2000
	expect_sipp "caller: reliable 183, PRACK, an UPDATE with SDP in the early dialog, 200, BYE" \
		"$CALLER_RC" caller
	carrier_done
	wait "$qa" "$qb"
	local r2 f2
	r2=$(probe_val "$CASE-b2" recv); f2=$(probe_val "$CASE-b2" freq)
	tl_check "$CASE: the caller's audio reaches the carrier's new early-media port ($r2 packets)" \
		test "${r2:-0}" -ge 50
	tl_check "$CASE: ... its 1000 Hz tone (${f2:-none} Hz)" in_range "${f2:-0}" 995 1005
	tl_eq "$CASE: one UPDATE each way" \
		"$(sip_count "$C-caller.msg" received '^UPDATE ') $(sip_count "$C-carrier.msg" sent '^UPDATE ')" "1 1"
	tl_check "$CASE: the carrier's UPDATE was answered with SDP" \
		grep -q '^m=audio [1-9]' <<<"$(sip_msgs "$C-carrier.msg" received '^SIP/2.0 200' | awk '/CSeq: 1 UPDATE/,/^====$/')"
	case_end
}

# A Session-Expires below min_se is refused with 422 and a Min-SE header.
case_st_422() {
	case_start st_422 30 || return
	caller uac_st_422.xml -s "$NUMBER" -key mport "$(tl_port)"
	expect_sipp "Session-Expires: 20 answered 422 with Min-SE" "$CALLER_RC" caller
	tl_check "$CASE: the 422 names a Min-SE of at least 30" \
		bash -c 'grep -Eq "^Min-SE: *(3[0-9]|[4-9][0-9]|[0-9]{3,})" <<<"$1"' _ \
		"$(sip_msgs "$C-caller.msg" received '^SIP/2.0 422')"
	case_end
}

# A trunk that wants longer sessions answers 422 (Min-SE: 60): tandemd asks
# again with Session-Expires of at least 60 and the call goes through. The
# trunk has prack = no: no 100rel is offered to it.
case_st_422_trunk() {
	TL_TRUNKS="prack = no" case_start st_422_trunk 30 || return
	carrier uas_st_422.xml -key mport "$(tl_port)" || return
	caller uac_basic.xml -s "$NUMBER" -key mport "$(tl_port)" -key mfile "$C/ma" -d 1000
	expect_sipp "caller: the call is answered after the trunk's 422" "$CALLER_RC" caller
	carrier_done
	local inv
	inv=$(sip_msgs "$C-carrier.msg" received '^INVITE ' | awk '/^====$/ {n++} n == 1')
	tl_check "$CASE: the second INVITE asks for Session-Expires >= 60 with Min-SE: 60" \
		bash -c 'grep -Eq "^Session-Expires: *([6-9][0-9]|[1-9][0-9]{2,})" <<<"$1" && grep -q "^Min-SE: *60" <<<"$1"' _ "$inv"
	tl_check "$CASE: prack = no: the INVITE offers timer but not 100rel" \
		bash -c 'grep -q "^Supported: timer" <<<"$1" && ! grep -qi "100rel" <<<"$1"' _ "$inv"
	tl_eq "$CASE: call record ANSWERED 200" "$(cdr_get 1 disposition) $(cdr_get 1 final_code)" "ANSWERED 200"
	case_end
}

# session_expires = 30. Leg A: a caller without timer support and without
# UPDATE: tandemd refreshes it with a re-INVITE that repeats the SDP it sent
# (same o= line). Its own re-INVITE with unchanged SDP is answered by tandemd
# and never reaches the carrier. Leg B: the carrier answers with
# Session-Expires: 30;refresher=uac and allows UPDATE: tandemd refreshes it
# with UPDATEs without SDP every ~10 s.
case_st_refresh() {
	case_start st_refresh 30 || return
	carrier uas_st_refresh.xml -key mport "$(tl_port)" || return
	caller uac_st_refresh.xml -s "$NUMBER" -key mport "$(tl_port)"
	expect_sipp "caller: its refresh answered; tandemd's refresh re-INVITE repeats its SDP" \
		"$CALLER_RC" caller
	carrier_done
	local inv200 reinv o1 o2
	inv200=$(sip_msgs "$C-caller.msg" received '^SIP/2.0 200' | sed -n '1,/^====/p')
	reinv=$(sip_msgs "$C-caller.msg" received '^INVITE ')
	o1=$(grep '^o=' <<<"$inv200" | head -1); o2=$(grep '^o=' <<<"$reinv" | head -1)
	tl_check "$CASE: tandemd's refresh re-INVITE to the caller keeps the o= line ($o2)" \
		test -n "$o1" -a "$o1" = "$o2"
	tl_check "$CASE: ... and the m= line" test "$(grep '^m=' <<<"$inv200")" = "$(grep '^m=' <<<"$reinv")"
	tl_check "$CASE: the caller's 200 (no timer support) carries no Require: timer" \
		bash -c '! grep -q "^Require:.*timer" <<<"$1"' _ "$inv200"
	tl_eq "$CASE: the carrier saw 1 INVITE (the caller's refresh was not relayed) and 1+ UPDATE" \
		"$(sip_count "$C-carrier.msg" received '^INVITE ') $(( $(sip_count "$C-carrier.msg" received '^UPDATE ') >= 1 ))" "1 1"
	tl_check "$CASE: tandemd's UPDATE refresh has no body" \
		bash -c '! grep -q "^v=0" <<<"$1"' _ "$(sip_msgs "$C-carrier.msg" received '^UPDATE ')"
	tl_check "$CASE: tandemd asked the carrier for Session-Expires: 30" \
		grep -Eq '^(Session-Expires|x): 30' <<<"$(sip_msgs "$C-carrier.msg" received '^INVITE ')"
	case_end
}

# The caller takes the refresher role (Session-Expires: 30;refresher=uac) and
# then never refreshes: tandemd ends both legs before 30 s, Reason
# Q.850 cause 102, and the call record says so. The carrier side meanwhile
# is refreshed by tandemd.
case_st_expire() {
	case_start st_expire 30 || return
	carrier uas_st_expire.xml -key mport "$(tl_port)" || return
	local t0; t0=$(date +%s%N)
	caller uac_st_expire.xml -s "$NUMBER" -key mport "$(tl_port)"
	local ms; ms=$(elapsed_ms "$t0")
	expect_sipp "caller: 200 names it refresher (refresher=uac); BYE from tandemd when it stops" \
		"$CALLER_RC" caller
	carrier_done
	tl_check "$CASE: the call ended after 20..32 s (took ${ms} ms)" in_range "$ms" 20000 32000
	tl_check "$CASE: the carrier's BYE says Q.850 cause 102 (session timer expired)" \
		grep -q '^Reason: Q.850;cause=102' <<<"$(sip_msgs "$C-carrier.msg" received '^BYE ')"
	tl_eq "$CASE: call record ANSWERED, Q.850 102" "$(cdr_get 1 disposition) $(cdr_get 1 q850_cause)" \
		"ANSWERED 102"
	case_end
}

UDPTLPROBE="$builddir/tests/tools/udptlprobe"

# udptl_start NAME PORT ADDRFILE: a UDPTL probe (100 datagrams, 2 s)
udptl_start() {
	"$UDPTLPROBE" -l "$2" -r "@$3" -n 100 -d 1500 >"$TL_TMP/$1.udptl" 2>&1 &
	TL_PIDS+=($!)
	UDPTL_PID=$!
}
uval() { sed -n -E "s/.*(^| )$2=([^ ]*).*/\2/p" "$TL_TMP/$1.udptl" | tail -1; }

# A caller's re-INVITE to T.38 (m=audio 0 + m=image udptl t38, T38Fax*) is
# relayed to the carrier, the carrier's m=image answer back; UDPTL datagrams
# (which no RTP parser would take) pass both ways byte for byte. The caller
# then refreshes with the same T.38 SDP: answered by tandemd with m=image.
# tandemd's own refresh of the carrier leg (re-INVITE: no UPDATE there)
# repeats m=image: the fax survives the session timer.
case_t38() {
	case_start t38 30 || return
	local ta tb
	ta=$(tl_port); tb=$(tl_port)
	rm -f "$C/ta" "$C/tb"
	udptl_start "$CASE-a" "$ta" "$C/ta"; local pa=$UDPTL_PID
	udptl_start "$CASE-b" "$tb" "$C/tb"; local pb=$UDPTL_PID
	carrier uas_t38.xml -key mport "$(tl_port)" -key mfile "$C/mb" -key t38port "$tb" \
		-key t38file "$C/tb" || return
	caller uac_t38.xml -s "$NUMBER" -key mport "$(tl_port)" -key mfile "$C/ma" -key t38port "$ta" \
		-key t38file "$C/ta" -d 11000
	expect_sipp "caller: T.38 re-INVITE answered with m=image; its refresh answered with m=image" \
		"$CALLER_RC" caller
	carrier_done
	wait "$pa" "$pb"
	local sa ra ia sb rb ib
	sa=$(uval "$CASE-a" sent); ra=$(uval "$CASE-a" recv); ia=$(uval "$CASE-a" intact)
	sb=$(uval "$CASE-b" sent); rb=$(uval "$CASE-b" recv); ib=$(uval "$CASE-b" intact)
	echo "    UDPTL caller->carrier: sent $sa, arrived $rb ($ib intact); carrier->caller: sent $sb, arrived $ra ($ia intact)"
	tl_near "$CASE: UDPTL caller -> carrier: datagrams arrived vs. sent" "${rb:-0}" "${sa:-0}" 5
	tl_near "$CASE: UDPTL carrier -> caller: datagrams arrived vs. sent" "${ra:-0}" "${sb:-0}" 5
	tl_check "$CASE: ... every one byte for byte ($ia/$ra, $ib/$rb)" \
		test "${ra:-0}" -gt 0 -a "$ia" = "$ra" -a "${rb:-0}" -gt 0 -a "$ib" = "$rb"
	tl_check "$CASE: the caller's UDPTL comes from tandemd's m=image address ($(tr ' ' : <"$C/ta"))" \
		test "$(uval "$CASE-a" src)" = "$(tr ' ' : <"$C/ta")"
	local reinv
	reinv=$(sip_msgs "$C-carrier.msg" received '^INVITE ' | awk '/^====$/ {n++} n == 1')
	tl_check "$CASE: the relayed T.38 offer keeps m=audio 0 and the T38Fax* attributes" \
		bash -c 'grep -q "^m=audio 0 " <<<"$1" && grep -q "^m=image [1-9][0-9]* udptl t38" <<<"$1" &&
			 [ "$(grep -c "^a=T38" <<<"$1")" = 6 ]' _ "$reinv"
	tl_eq "$CASE: the carrier saw 3 INVITEs: the call, T.38, tandemd's refresh (not the caller's)" \
		"$(sip_count "$C-carrier.msg" received '^INVITE ')" 3
	tl_eq "$CASE: call record ANSWERED, codecs t38/t38" \
		"$(cdr_get 1 disposition) $(cdr_get 1 codec_a)/$(cdr_get 1 codec_b)" "ANSWERED t38/t38"
	case_end
}

# The carrier refuses T.38 (200 with m=image port 0, or 488): the refusal
# reaches the caller and the G.711 audio goes on both ways.
case_t38_refuse() { t38_refused t38_refuse "200, m=image 0"; }
case_t38_488() { t38_refused t38_488 "488"; }

# t38_refused NAME HOW: scenarios uac_NAME.xml / uas_NAME.xml
t38_refused() {
	local how=$2
	case_start "$1" || return
	local pa pb
	pa=$(tl_port); pb=$(tl_port)
	rm -f "$C/ma" "$C/mb"
	probe_start "$CASE-a" -l "$pa" -r "@$C/ma" -n 150 -f 1000 -d 600; local qa=$PROBE_PID
	probe_start "$CASE-b" -l "$pb" -r "@$C/mb" -n 150 -f 1500 -d 600; local qb=$PROBE_PID
	carrier "uas_$1.xml" -key mport "$pb" -key mfile "$C/mb" || return
	caller "uac_$1.xml" -s "$NUMBER" -key mport "$pa" -key mfile "$C/ma" -key t38port "$(tl_port)" \
		-d 3000
	expect_sipp "caller: T.38 refused ($how), call goes on" "$CALLER_RC" caller
	carrier_done
	wait "$qa" "$qb"
	local sa ra fa sb rb fb
	sa=$(probe_val "$CASE-a" sent); ra=$(probe_val "$CASE-a" recv); fa=$(probe_val "$CASE-a" freq)
	sb=$(probe_val "$CASE-b" sent); rb=$(probe_val "$CASE-b" recv); fb=$(probe_val "$CASE-b" freq)
	tl_near "$CASE: caller -> carrier RTP across the refused T.38 offer" "${rb:-0}" "${sa:-0}" 5
	tl_near "$CASE: carrier -> caller RTP across it" "${ra:-0}" "${sb:-0}" 5
	tl_check "$CASE: the carrier hears 1000 Hz (${fb:-none})" in_range "${fb:-0}" 995 1005
	tl_check "$CASE: the caller hears 1500 Hz (${fa:-none})" in_range "${fa:-0}" 1495 1505
	tl_eq "$CASE: call record codecs stay PCMU" "$(cdr_get 1 codec_a)" "PCMU/8000"
	case_end
}

# The carrier (trunk1, allow_refer = yes) transfers the caller to 8111 with
# REFER: tandemd answers 202, NOTIFY 100 Trying, calls 8111 through the
# routes (trunk2, a second carrier sipp), NOTIFY 200 OK, BYEs the carrier
# and bridges the caller to the new leg: audio flows caller <-> target.
# Two call records: TRANSFERRED (trunk1) and ANSWERED (trunk2, 8111).
case_refer() {
	local p2; p2=$(tl_port)
	ROUTES="9 = trunk1
8 = trunk2" TL_TRUNKS="allow_refer = yes

[trunk2](carrier)
host = 127.0.0.1
port = $p2" case_start refer || return
	local pa pc
	pa=$(tl_port); pc=$(tl_port)
	rm -f "$C/ma" "$C/mc"
	probe_start "$CASE-a" -l "$pa" -r "@$C/ma" -n 200 -f 1000 -d 600; local qa=$PROBE_PID
	probe_start "$CASE-c" -l "$pc" -r "@$C/mc" -n 100 -f 1500 -d 600; local qc=$PROBE_PID
	SIPP_PORT=$p2 sipp_bg "$CASE-target" uas_basic.xml -m 1 -key mport "$pc" -key mfile "$C/mc" || return
	local tpid=$SIPP_PID
	carrier uas_refer.xml -key mport "$(tl_port)" -key target 8111 || return
	caller uac_basic.xml -s "$NUMBER" -key mport "$pa" -key mfile "$C/ma" -d 4500
	expect_sipp "caller: its call goes on after the transfer and ends with its BYE" "$CALLER_RC" caller
	carrier_done
	wait "$tpid"; local rc=$?
	expect_sipp "the transfer target: INVITE, 200, ACK, the caller's BYE" "$rc" target
	wait "$qa" "$qc"
	local ra fa rc2 fc
	ra=$(probe_val "$CASE-a" recv); fa=$(probe_val "$CASE-a" freq)
	rc2=$(probe_val "$CASE-c" recv); fc=$(probe_val "$CASE-c" freq)
	echo "    caller got $ra packets (${fa} Hz), target got $rc2 packets (${fc} Hz)"
	tl_check "$CASE: the target hears the caller: >= 100 packets ($rc2), 1000 Hz (${fc:-none})" \
		bash -c '[ "${1:-0}" -ge 100 ] && awk -v f="$2" "BEGIN{exit !(f>=995 && f<=1005)}"' _ "$rc2" "$fc"
	tl_check "$CASE: the caller hears the target: >= 90 packets ($ra), 1500 Hz (${fa:-none})" \
		bash -c '[ "${1:-0}" -ge 90 ] && awk -v f="$2" "BEGIN{exit !(f>=1495 && f<=1505)}"' _ "$ra" "$fa"
	tl_check "$CASE: the target was called as 8111" \
		grep -q '^INVITE sip:8111@' <<<"$(sip_msgs "$C-target.msg" received '^INVITE ')"
	tl_eq "$CASE: records: TRANSFERRED via trunk1, then ANSWERED via trunk2 to 8111" \
		"$(cdr_get 1 disposition) $(cdr_get 1 target) $(cdr_get 1 attempt_id) / $(cdr_get 2 disposition) $(cdr_get 2 target) $(cdr_get 2 called_in) $(cdr_get 2 attempt_id)" \
		"TRANSFERRED trunk1 c000001-1 / ANSWERED trunk2 8111 c000001-2"
	case_end
}

# The caller transfers the callee (trunk1) to 8111 (trunk2): the new leg
# takes leg A's place, the caller is released with BYE, callee and target
# talk; the target hangs up and tandemd BYEs the callee.
case_refer_caller() {
	local p2; p2=$(tl_port)
	ROUTES="9 = trunk1
8 = trunk2" TL_TRUNKS="
[trunk2](carrier)
host = 127.0.0.1
port = $p2" case_start refer_caller || return
	local pb pc
	pb=$(tl_port); pc=$(tl_port)
	rm -f "$C/mb" "$C/mc"
	probe_start "$CASE-b" -l "$pb" -r "@$C/mb" -n 200 -f 1000 -d 600; local qb=$PROBE_PID
	probe_start "$CASE-c" -l "$pc" -r "@$C/mc" -n 100 -f 1500 -d 600; local qc=$PROBE_PID
	SIPP_PORT=$p2 sipp_bg "$CASE-target" uas_answer_hangup.xml -m 1 -key mport "$pc" -key mfile "$C/mc" ||
		return
	local tpid=$SIPP_PID
	carrier uas_basic.xml -key mport "$pb" -key mfile "$C/mb" || return
	caller uac_refer.xml -s "$NUMBER" -key mport "$(tl_port)" -key mfile "$C/ma" -key target 8111
	expect_sipp "caller: REFER, 202, NOTIFY 100, NOTIFY 200, then released (BYE)" "$CALLER_RC" caller
	wait "$tpid"; local rc=$?
	expect_sipp "the target answers and hangs up" "$rc" target
	carrier_done
	wait "$qb" "$qc"
	local rb fb rc2 fc
	rb=$(probe_val "$CASE-b" recv); fb=$(probe_val "$CASE-b" freq)
	rc2=$(probe_val "$CASE-c" recv); fc=$(probe_val "$CASE-c" freq)
	echo "    callee got $rb packets (${fb} Hz), target got $rc2 packets (${fc} Hz)"
	tl_check "$CASE: the target hears the callee: >= 80 packets ($rc2), 1000 Hz (${fc:-none})" \
		bash -c '[ "${1:-0}" -ge 80 ] && awk -v f="$2" "BEGIN{exit !(f>=995 && f<=1005)}"' _ "$rc2" "$fc"
	tl_check "$CASE: the callee hears the target: >= 80 packets ($rb), 1500 Hz (${fb:-none})" \
		bash -c '[ "${1:-0}" -ge 80 ] && awk -v f="$2" "BEGIN{exit !(f>=1495 && f<=1505)}"' _ "$rb" "$fb"
	tl_check "$CASE: the caller's BYE from tandemd says Reason cause=200 (transferred)" \
		grep -q '^Reason: SIP;cause=200' <<<"$(sip_msgs "$C-caller.msg" received '^BYE ')"
	tl_eq "$CASE: records: TRANSFERRED, then ANSWERED to 8111" \
		"$(cdr_get 1 disposition) / $(cdr_get 2 disposition) $(cdr_get 2 called_in)" "TRANSFERRED / ANSWERED 8111"
	case_end
}

# A trunk without allow_refer: its REFER is accepted by the stack (202) but
# refused in the final NOTIFY (403); the call goes on until the carrier
# hangs up.
case_refer_denied() {
	case_start refer_denied || return
	carrier uas_refer_refused.xml -key mport "$(tl_port)" -key target 8111 || return
	caller uac_wait_bye.xml -s "$NUMBER" -key mport "$(tl_port)" -key mfile "$C/ma"
	expect_sipp "caller: the call stays up until the carrier's BYE" "$CALLER_RC" caller
	carrier_done
	tl_check "$CASE: tandemd logged the refusal" grep -q 'REFER from leg B refused: 403' "$TL_TMP/tandemd.log"
	case_end
}

for c in $CASES; do
	FAILS_BEFORE=$TL_FAIL
	"case_$c"
	[ -n "${TANDEMD_PID:-}" ] && case_end
done
tl_done
