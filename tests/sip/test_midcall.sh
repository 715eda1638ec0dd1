#!/usr/bin/env bash
# test_midcall.sh - mid-call features through the B2BUA, sipp on both sides:
# PRACK/100rel (RFC 3262) per leg, session timers (RFC 4028) per leg: the
# gateway's own refreshes, a caller's refresh answered locally, 422, and a
# call ended when a peer stops refreshing.
#
#   MIDCALL_CASES="prack"  run only some cases (default: all, in order)
. "$srcdir/tests/lib/testlib.sh"
tl_tmp
. "$srcdir/tests/sip/siplib.sh"
need_tools

ALL_CASES="prack st_422 st_refresh st_expire"
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
	TL_EXTRA="cdr_file = $CDR" TL_ROUTES="9 = trunk1" tl_conf "$C/conf"
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

for c in $CASES; do
	FAILS_BEFORE=$TL_FAIL
	"case_$c"
	[ -n "${TANDEMD_PID:-}" ] && case_end
done
tl_done
