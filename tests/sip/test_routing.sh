#!/usr/bin/env bash
# test_routing.sh - routing, number formats, limits and header policy through
# tandemd: sipp callers (tests/sip/scenarios/uac_route.xml, uac_pai.xml) and
# sipp carriers answering 486 on the trunk ports. What each carrier received
# (Request-URI, To, From, identity headers) is read from its message log;
# where calls went and what callers were told, from the call records.
#
#   ROUTING_CASES="routes numbers"  run only some cases (default: all)
. "$srcdir/tests/lib/testlib.sh"
tl_tmp
. "$srcdir/tests/sip/siplib.sh"
need_tools

ALL_CASES="routes weights numbers trunk_cps channels source_cps user_limits privacy no_ua loop cdr"
CASES=${ROUTING_CASES:-$ALL_CASES}

# case_start NAME: tandemd with trunk1 (TL_TRUNK_PORT) and trunk2 (T2), plus
# $EXTRA_TRUNKS, $EXTRA_CONF (tandem.conf) and routes $ROUTES.
case_start() {
	CASE=$1
	C="$TL_TMP/$CASE"
	mkdir -p "$C"
	echo "=== case $CASE" >>"$TL_TMP/tandemd.log"
	echo "# case $CASE"
	FAILS_BEFORE=$TL_FAIL
	TL_SIP_PORT=${SELF_PORT:-$(tl_port)}
	TL_TRUNK_PORT=$(tl_port)
	T2=$(tl_port)
	PBX=$(tl_port)
	CDR="$C/cdr.csv"
	METRICS=$(tl_port)
	TL_EXTRA="cdr_file = $CDR
metrics_listen = 127.0.0.1:$METRICS
${EXTRA_CONF:-}" \
	TL_TRUNKS="${TRUNK1:-}

[trunk2](carrier)
host = 127.0.0.1
port = $T2
${TRUNK2:-}

[pbx](carrier)
host = 127.0.0.1
port = $PBX
${PBX_KEYS:-}
${EXTRA_TRUNKS:-}" \
	TL_ROUTES="${ROUTES:-9 = trunk1}" tl_conf "$C/conf"
	fix_rtp_range "$C/conf/tandem.conf"
	if ! tl_start_tandemd "$C/conf/tandem.conf"; then
		tl_fail "$CASE: tandemd starts"
		return 1
	fi
}

case_end() {
	local p
	for p in "${CASE_PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	CASE_PIDS=()
	if [ -n "$TANDEMD_PID" ]; then
		tl_stop_tandemd; local rc=$?
		tl_eq "$CASE: tandemd exits 0" "$rc" 0
	fi
	if [ "$TL_FAIL" -gt "$FAILS_BEFORE" ]; then
		echo "    --- tandemd log for $CASE:"
		sed -n "/^=== case $CASE\$/,\$p" "$TL_TMP/tandemd.log" | tail -n 40 | sed 's/^/    /'
	fi
}
CASE_PIDS=()

# carrier NAME PORT [sipp args]: a carrier answering 486 to every INVITE, in
# the background until the case ends (or -m N calls).
carrier() {
	local name=$1 port=$2; shift 2
	SIPP_PORT=$port sipp_bg "$CASE-$name" uas_busy.xml "$@" || return 1
	CASE_PIDS+=("$SIPP_PID")
}

# call NAME NUMBER [sipp args]: one call (or -m N) from uac_route.xml, from
# "caller" unless -key from is given; waits for it to finish.
call() {
	local name=$1 number=$2 m=(-m 1); shift 2
	[[ " $* " == *" -m "* ]] && m=()
	sipp_fg "$CASE-$name" "${SCEN_UAC:-uac_route.xml}" "127.0.0.1:$TL_SIP_PORT" -s "$number" \
		-key mport "$(tl_port)" -key mf "${MF:-70}" -key from "${FROM:-caller}" \
		-key privacy "${PRIVACY:-none}" "${m[@]}" "$@"
	local rc=$?
	[ $rc -ne 0 ] && sipp_why "$CASE-$name"
	return $rc
}

# pbx_call NAME NUMBER [sipp args]: call() from the pbx trunk's address. The
# port was free when tandemd started; if something took it since, the pbx
# trunk moves to a fresh port (reload) and the call is tried again.
pbx_call() {
	local try rc np
	for try in 1 2 3; do
		SIPP_PORT=$PBX call "$@"; rc=$?
		grep -q "Unable to bind main socket" "$TL_TMP/$CASE-$1.err" 2>/dev/null || return $rc
		np=$(tl_port)
		sed -i "s/^port = $PBX\$/port = $np/" "$C/conf/trunks.conf"
		PBX=$np
		tl_ctl reload >/dev/null
		rm -f "$TL_TMP/$CASE-$1.err"
	done
	return $rc
}

# got NAME CODE: how many final responses CODE the caller NAME received
got() { sip_count "$TL_TMP/$CASE-$1.msg" received "^SIP/2.0 $2 "; }
# invites NAME: the INVITEs carrier NAME received
invites() { sip_msgs "$TL_TMP/$CASE-$1.msg" received '^INVITE '; }

cdr_col() { # N FIELD: FIELD of record N (1 = first after the header)
	awk -F, -v n="$1" -v f="$2" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		NR == n + 1 { print $(col[f]) }' "$CDR" 2>/dev/null
}
cdr_where() { # FIELD VALUE: how many records have FIELD == VALUE
	awk -F, -v f="$1" -v v="$2" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		$(col[f]) == v { n++ } END { print n + 0 }' "$CDR" 2>/dev/null
}
metric() { # NAME{LABELS}: its value from /metrics
	curl -s "http://127.0.0.1:$METRICS/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}
wait_cdr() { # N: until the record file has N records
	for _ in $(seq 1 50); do
		[ "$(( $(wc -l <"$CDR" 2>/dev/null || echo 1) - 1 ))" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# --- cases --------------------------------------------------------------------

# Longest prefix, regex with rewrite, caller-number and source conditions.
case_routes() {
	ROUTES=$'9 = trunk1\n955 = trunk2
[uk-mobile]
type = route
regex = ^0(7[0-9]{9})$
rewrite = +44\\1
targets = trunk2

[london-callers]
type = route
number = 9
caller = 4420
targets = trunk2

[from-pbx]
type = route
number = 9
source = pbx
targets = trunk2' case_start routes || return
	carrier t1 "$TL_TRUNK_PORT" -m 1 || return
	local c1=$SIPP_PID
	carrier t2 "$T2" -m 4 || return
	local c2=$SIPP_PID
	call plain 9123456
	call longer 9551234
	call regex 07700900123
	FROM=442079460000 call caller_cond 9123456
	pbx_call source_cond 9123456
	call none 5551234
	wait "$c1"; tl_eq "$CASE: trunk1 got its one call (prefix 9)" "$?" 0
	wait "$c2"; tl_eq "$CASE: trunk2 got its four calls" "$?" 0
	local t1 t2; t1=$(invites t1); t2=$(invites t2)
	tl_check "$CASE: 9123456 from an ordinary caller: prefix 9 -> trunk1" grep -q '^INVITE sip:9123456@' <<<"$t1"
	tl_check "$CASE: 9551234: the longer prefix 955 -> trunk2" grep -q '^INVITE sip:9551234@' <<<"$t2"
	tl_check "$CASE: 07700900123: regex route, rewritten to +447700900123" \
		grep -q '^INVITE sip:+447700900123@' <<<"$t2"
	tl_check "$CASE: the rewritten number is in To too" grep -q '^To: <sip:+447700900123@' <<<"$t2"
	tl_eq "$CASE: caller 4420... and source pbx took trunk2 for 9123456" \
		"$(grep -c '^INVITE sip:9123456@' <<<"$t2")" 2
	tl_eq "$CASE: no route: 404" "$(got none 404)" 1
	case_end
	tl_eq "$CASE: record of the pbx call: source pbx" \
		"$(awk -F, '$8 == "9123456" && $10 == "trunk2"' "$CDR" | grep -c ',pbx,')" 1
}

# Same priority, weights 3:1: 40 calls split about 30/10.
case_weights() {
	ROUTES="9 = trunk1 weight=3, trunk2 weight=1" case_start weights || return
	carrier t1 "$TL_TRUNK_PORT" || return
	carrier t2 "$T2" || return
	call many 9123456 -m 40 -r 20 -l 10
	wait_cdr 40
	local n1 n2; n1=$(cdr_where target trunk1); n2=$(cdr_where target trunk2)
	tl_eq "$CASE: 40 calls recorded" "$((n1 + n2))" 40
	tl_check "$CASE: trunk1 (weight 3) took $n1 of 40 (expected ~30, 22..37)" in_range "$n1" 22 37
	tl_check "$CASE: trunk2 (weight 1) took some too ($n2)" in_range "$n2" 3 18
	case_end
}

# E.164 normalisation per trunk, route strip/prepend, calling number format.
case_numbers() {
	TRUNK1=$'country_code = 44\nnumber_format = e164' \
	TRUNK2=$'country_code = 44\nnumber_format = national' \
	PBX_KEYS=$'country_code = 44\nnumber_format = national' \
	ROUTES=$'0 = trunk1\n+ = trunk2\n+44161 = trunk1
[intl-code]
type = route
number = 900
strip = 3
prepend = 00
caller_id = 442071234567
targets = trunk1' case_start numbers || return
	carrier t1 "$TL_TRUNK_PORT" -m 3 || return
	local c1=$SIPP_PID
	carrier t2 "$T2" -m 1 || return
	local c2=$SIPP_PID
	FROM=07700900123 call national 02079460000
	FROM=07700900456 pbx_call from_pbx 01614960000
	call strip_prepend 900331234
	FROM=+33123456789 call to_national +442079460000
	wait "$c1" "$c2"
	local t1 t2; t1=$(invites t1); t2=$(invites t2)
	tl_check "$CASE: national 0207... sent to an e164 trunk as +442079460000 (Request-URI)" \
		grep -q '^INVITE sip:+442079460000@' <<<"$t1"
	tl_check "$CASE: ... and in To" grep -q '^To: <sip:+442079460000@' <<<"$t1"
	tl_check "$CASE: the calling number 07700900123 becomes +447700900123 in From" \
		grep -q '^From: <sip:+447700900123@' <<<"$t1"
	tl_check "$CASE: route strip 3 + prepend 00, then E.164: 900331234 -> +331234" \
		grep -q '^INVITE sip:+331234@' <<<"$t1"
	tl_check "$CASE: ... with the route's caller_id in From" \
		bash -c 'awk "/^INVITE sip:\\+331234@/,/^====\$/" <<<"$1" | grep -q "^From: <sip:442071234567@"' _ "$t1"
	tl_check "$CASE: 01614960000 from a national-format trunk is routed as +441614960000 (+44161)" \
		grep -q '^INVITE sip:+441614960000@' <<<"$t1"
	tl_check "$CASE: ... and its caller 07700900456 read as +447700900456" \
		grep -q '^From: <sip:+447700900456@' <<<"$t1"
	tl_check "$CASE: +442079460000 sent to a national-format trunk as 02079460000" \
		grep -q '^INVITE sip:02079460000@' <<<"$t2"
	tl_check "$CASE: a foreign caller +33... is 0033... on a national trunk" \
		grep -q '^From: <sip:0033123456789@' <<<"$t2"
	case_end
	tl_eq "$CASE: record: callee as received / as sent" \
		"$(cdr_col 1 called_in) $(cdr_col 1 called_out)" "02079460000 +442079460000"
	tl_eq "$CASE: record: calling number as sent" "$(cdr_col 1 caller_out)" "+447700900123"
}

# max_cps on a trunk: 4 calls within a few ms, 1 token: 1 reaches the trunk,
# 3 get 503 (no other target), counted as trunk_cps hits.
case_trunk_cps() {
	TRUNK1="max_cps = 1" case_start trunk_cps || return
	carrier t1 "$TL_TRUNK_PORT" || return
	call burst 9123456 -m 4 -r 200 -l 4
	wait_cdr 4
	# 4 calls in ~20 ms against 1 call/s: 1 passes (2 if the machine stalled a second)
	local ok=$(got burst 486) no=$(got burst 503)
	tl_check "$CASE: one call reached the trunk (got $ok)" in_range "$ok" 1 2
	tl_eq "$CASE: the others were refused with 503" "$((ok + no))" 4
	tl_eq "$CASE: tandem_limit_hits_total{limit=\"trunk_cps\"}" \
		"$(metric 'tandem_limit_hits_total{limit="trunk_cps"}')" "$no"
	tl_check "$CASE: the log names the limit" grep -q "limit trunk_cps reached by trunk trunk1 (max_cps 1)" "$TANDEMD_LOG"
	case_end
	tl_eq "$CASE: records: each refused one REJECTED with 503" \
		"$(awk -F, '$13 == "REJECTED" && $11 == 503' "$CDR" | wc -l)" "$no"
}

# max_channels 1: with one call up, the next one finds no channel: 503 at
# once and a trunk_channels hit.
case_channels() {
	TRUNK1="max_channels = 1" case_start channels || return
	SIPP_PORT=$TL_TRUNK_PORT sipp_bg "$CASE-t1" uas_wait_bye.xml -m 1 -key mport "$(tl_port)" \
		-key mfile "$C/mb" || return
	CASE_PIDS+=("$SIPP_PID")
	sipp_bg "$CASE-hold" uac_wait_bye.xml "127.0.0.1:$TL_SIP_PORT" -m 1 -s 9123 \
		-key mport "$(tl_port)" -key mfile "$C/ma" || return
	local hold=$SIPP_PID i n
	for i in $(seq 1 50); do
		n=$(tl_ctl --json calls 2>/dev/null | jq '[.calls[] | select(.state == "confirmed")] | length')
		[ "$n" = 1 ] && break
		sleep 0.1
	done
	tl_eq "$CASE: the first call holds trunk1's only channel" "$n" 1
	call second 9123456
	tl_eq "$CASE: the second gets 503 at once" "$(got second 503)" 1
	tl_eq "$CASE: tandem_limit_hits_total{limit=\"trunk_channels\"}" \
		"$(metric 'tandem_limit_hits_total{limit="trunk_channels"}')" 1
	tl_check "$CASE: the log names the limit" grep -q "limit trunk_channels reached by trunk1" "$TANDEMD_LOG"
	tl_ctl call hangup "$(tl_ctl --json calls | jq -r '.calls[0].id')" >/dev/null
	wait "$hold"
	case_end
}

# source_cps 2 with reject_code 403: of 6 quick calls 2 pass; calls to an
# emergency number pass however many come.
case_source_cps() {
	EXTRA_CONF=$'\n[limits]\nsource_cps = 1\nreject_code = 403' PBX_KEYS="max_cps_in = 2" \
	ROUTES=$'9 = trunk1\n112 = trunk1' case_start source_cps || return
	carrier t1 "$TL_TRUNK_PORT" || return
	call burst 9123456 -m 6 -r 200 -l 6
	call emergency 112 -m 4 -r 200 -l 4
	pbx_call pbx 9123456 -m 5 -r 200 -l 5
	# bursts of ~25 ms against 1 and 2 calls/s: a stall of a second adds one
	local ok=$(got pbx 486) no=$(got pbx 403)
	tl_check "$CASE: a trunk is not held to source_cps 1: $ok of 5 from pbx (its max_cps_in 2)" in_range "$ok" 2 3
	tl_eq "$CASE: the rest refused with 403" "$((ok + no))" 5
	tl_eq "$CASE: tandem_limit_hits_total{limit=\"trunk_cps_in\"}" \
		"$(metric 'tandem_limit_hits_total{limit="trunk_cps_in"}')" "$no"
	wait_cdr 15
	tl_eq "$CASE: records: the refused pbx calls are REJECTED 403 with source pbx" \
		"$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
			$(c["disposition"]) == "REJECTED" && $(c["final_code"]) == 403 && $(c["source"]) == "pbx"' \
			"$CDR" | wc -l)" "$no"
	ok=$(got burst 486); no=$(got burst 403)
	tl_check "$CASE: one call of the burst reached the trunk (got $ok)" in_range "$ok" 1 2
	tl_eq "$CASE: the others were refused with 403 (reject_code)" "$((ok + no))" 6
	tl_eq "$CASE: all four emergency calls (112) reached the trunk" "$(got emergency 486)" 4
	tl_eq "$CASE: tandem_limit_hits_total{limit=\"source_cps\"}" \
		"$(metric 'tandem_limit_hits_total{limit="source_cps"}')" "$no"
	tl_check "$CASE: the log names the limit and the source" \
		grep -q "limit source_cps reached by source 127.0.0.1 (source_cps 1)" "$TANDEMD_LOG"
	case_end
}

# A user without allow_international calling + or 00 gets 403; an emergency
# number still goes through; max_calls counts the user's calls.
case_user_limits() {
	EXTRA_CONF=$'\n[limits]\nreject_code = 403' \
	EXTRA_TRUNKS=$'\n[alice]\ntype = user\npassword = secret\nnumber = 201\nallow_international = no\nmax_calls = 1' \
	ROUTES=$'0 = trunk1\n+ = trunk1\n999 = trunk1\n01 = trunk2' case_start user_limits || return
	carrier t1 "$TL_TRUNK_PORT" || return
	FROM=alice call intl_plus +33123456789
	FROM=alice call intl_00 0033123456789
	FROM=alice call national 02079460000
	FROM=alice call emergency 999
	FROM=bob call other +33123456789
	tl_eq "$CASE: alice calling +33...: 403" "$(got intl_plus 403)" 1
	tl_eq "$CASE: alice calling 0033...: 403" "$(got intl_00 403)" 1
	tl_eq "$CASE: alice calling a national number reaches the trunk" "$(got national 486)" 1
	tl_eq "$CASE: alice calling 999 (emergency) reaches the trunk" "$(got emergency 486)" 1
	tl_eq "$CASE: a caller who is not a user is not limited" "$(got other 486)" 1
	tl_eq "$CASE: tandem_limit_hits_total{limit=\"international\"}" \
		"$(metric 'tandem_limit_hits_total{limit="international"}')" 2
	tl_check "$CASE: the log names the user and the setting" \
		grep -q "limit international reached by user alice calling +33123456789 (allow_international = no)" \
		"$TANDEMD_LOG"
	# max_calls 1: while alice has a call up, her next one is refused
	SIPP_PORT=$T2 sipp_bg "$CASE-t2" uas_wait_bye.xml -m 1 -key mport "$(tl_port)" -key mfile "$C/mb" || return
	CASE_PIDS+=("$SIPP_PID")
	sed 's/sip:caller@/sip:alice@/g' "$SCEN/uac_wait_bye.xml" >"$TL_TMP/uac_alice_hold.xml"
	SCEN=$TL_TMP sipp_bg "$CASE-hold" uac_alice_hold.xml "127.0.0.1:$TL_SIP_PORT" -m 1 -s 0123 \
		-key mport "$(tl_port)" -key mfile "$C/ma" || return
	local hold=$SIPP_PID n i
	for i in $(seq 1 50); do
		n=$(tl_ctl --json calls 2>/dev/null | jq '[.calls[] | select(.state == "confirmed")] | length')
		[ "$n" = 1 ] && break
		sleep 0.1
	done
	tl_eq "$CASE: alice's first call is up" "$n" 1
	FROM=alice call second 02079460000
	tl_eq "$CASE: her second call at once: 403 (max_calls 1)" "$(got second 403)" 1
	tl_eq "$CASE: tandem_limit_hits_total{limit=\"user_calls\"}" \
		"$(metric 'tandem_limit_hits_total{limit="user_calls"}')" 1
	tl_ctl call hangup "$(tl_ctl --json calls | jq -r '.calls[0].id')" >/dev/null
	wait "$hold"
	for i in $(seq 1 30); do
		[ "$(tl_ctl --json calls | jq '.calls | length')" = 0 ] && break
		sleep 0.1
	done
	FROM=alice call third 02079460000
	tl_eq "$CASE: after it ended she may call again" "$(got third 486)" 1
	case_end
}

# PAI and Privacy: trusted source pbx -> trusted trunk1 keeps PAI and
# Privacy; -> untrusted trunk2 gets an anonymous From and no identity;
# an untrusted caller's PAI is never passed on; User-Agent never leaks.
case_privacy() {
	TRUNK1=$'trust_pai = yes\npass_diversion = yes\npass_history_info = yes' \
	PBX_KEYS="trust_pai = yes" \
	ROUTES=$'91 = trunk1\n92 = trunk2' case_start privacy || return
	carrier t1 "$TL_TRUNK_PORT" -m 2 || return
	local c1=$SIPP_PID
	carrier t2 "$T2" -m 1 || return
	local c2=$SIPP_PID
	SCEN_UAC=uac_pai.xml PRIVACY=id FROM=2071234567 pbx_call trusted 9100
	SCEN_UAC=uac_pai.xml PRIVACY=id FROM=2071234567 pbx_call untrusted_peer 9200
	SCEN_UAC=uac_pai.xml PRIVACY=none FROM=666 call untrusted_src 9101
	wait "$c1" "$c2"
	local t1 t2 a b
	t1=$(invites t1); t2=$(invites t2)
	a=$(awk '/^INVITE sip:9100@/,/^====$/' <<<"$t1")
	b=$(awk '/^INVITE sip:9101@/,/^====$/' <<<"$t1")
	tl_check "$CASE: trusted -> trusted: P-Asserted-Identity passed" \
		grep -q '^P-Asserted-Identity: <sip:+442071234567@pbx.example>' <<<"$a"
	tl_check "$CASE: trusted -> trusted: Privacy: id passed" grep -qi '^Privacy: id' <<<"$a"
	tl_check "$CASE: trusted -> trusted: From keeps the number" grep -q '^From: <sip:2071234567@' <<<"$a"
	tl_check "$CASE: Diversion relayed (pass_diversion)" grep -q '^Diversion: <sip:201@pbx.example>;reason=no-answer' <<<"$a"
	tl_check "$CASE: History-Info relayed (pass_history_info)" grep -q '^History-Info: <sip:201@pbx.example>;index=1' <<<"$a"
	tl_check "$CASE: privacy toward an untrusted trunk: From is anonymous" \
		grep -q '^From: "Anonymous" <sip:anonymous@anonymous.invalid>' <<<"$t2"
	tl_check "$CASE: ... and no P-Asserted-Identity, Privacy, Diversion or History-Info" \
		bash -c '! grep -Eqi "^(P-Asserted-Identity|Privacy|Diversion|History-Info):|2071234567" <<<"$1"' _ "$t2"
	tl_check "$CASE: an untrusted caller's P-Asserted-Identity is dropped" \
		bash -c '[ -n "$1" ] && ! grep -qi "^P-Asserted-Identity:" <<<"$1"' _ "$b"
	tl_check "$CASE: the caller's User-Agent never reaches a carrier" \
		bash -c '! grep -q SecretPBX <<<"$1$2"' _ "$t1" "$t2"
	tl_check "$CASE: carriers see tandemd's own User-Agent" grep -q '^User-Agent: tandem' <<<"$t1"
	case_end
	tl_eq "$CASE: record: caller_out anonymous toward trunk2" \
		"$(awk -F, '$10 == "trunk2" { print $NF }' "$CDR")" anonymous
}

# user_agent = none: no User-Agent in requests, no Server in responses.
case_no_ua() {
	EXTRA_CONF="user_agent = none" case_start no_ua || return
	carrier t1 "$TL_TRUNK_PORT" -m 1 || return
	local c1=$SIPP_PID
	call busy 9123456
	call none 5551234
	wait "$c1"
	tl_check "$CASE: the carrier's INVITE has no User-Agent" \
		bash -c '[ -n "$1" ] && ! grep -qi "^User-Agent:" <<<"$1"' _ "$(invites t1)"
	tl_check "$CASE: tandemd's own 404 has no Server header" \
		bash -c '[ -n "$1" ] && ! grep -qi "^Server:\|^User-Agent:" <<<"$1"' _ \
		"$(sip_msgs "$TL_TMP/$CASE-none.msg" received '^SIP/2.0 404')"
	case_end
}

# A trunk that points back at tandemd: the INVITE comes back with our own
# Via and gets 482; Max-Forwards is decremented, and 0 gets 483.
case_loop() {
	SELF_PORT=$(tl_port)
	EXTRA_TRUNKS=$'\n[self](carrier)\nhost = 127.0.0.1\nport = '"$SELF_PORT" \
	ROUTES=$'8 = self\n9 = trunk1' case_start loop || return
	carrier t1 "$TL_TRUNK_PORT" -m 1 || return
	local c1=$SIPP_PID
	call loop 8123
	MF=0 call mf0 9123456
	MF=5 call mf5 9123456
	wait "$c1"
	tl_eq "$CASE: a call routed back to this node gets 482 Loop Detected" "$(got loop 482)" 1
	tl_check "$CASE: the log says why" grep -q "rejected: 482 Loop Detected" "$TANDEMD_LOG"
	tl_eq "$CASE: Max-Forwards: 0 gets 483" "$(got mf0 483)" 1
	tl_check "$CASE: Max-Forwards 5 reaches the carrier as 4" grep -q '^Max-Forwards: 4' <<<"$(invites t1)"
	case_end
}

# Records field by field for an attempt that failed over and one refused by
# a limit; a record file moved away is reopened on SIGUSR1.
case_cdr() {
	ROUTES=$'9 = trunk1, trunk2\n8 = trunk2\n7 = trunk1' case_start cdr || return
	SIPP_PORT=$TL_TRUNK_PORT sipp_bg "$CASE-t1" uas_503.xml -m 1 || return
	local t1=$SIPP_PID
	carrier t2 "$T2" || return
	FROM=2071234567 call failover 9123456
	wait_cdr 2
	tl_eq "$CASE: the caller hears trunk2's 486" "$(got failover 486)" 1
	tl_eq "$CASE: record 1: trunk1, FAILOVER, 503, Q.850 41" \
		"$(cdr_col 1 target) $(cdr_col 1 disposition) $(cdr_col 1 final_code) $(cdr_col 1 q850_cause)" \
		"trunk1 FAILOVER 503 41"
	tl_eq "$CASE: record 2: trunk2, BUSY, 486, Q.850 17" \
		"$(cdr_col 2 target) $(cdr_col 2 disposition) $(cdr_col 2 final_code) $(cdr_col 2 q850_cause)" \
		"trunk2 BUSY 486 17"
	tl_eq "$CASE: both attempts share the call id, attempt ids -1 and -2" \
		"$(cdr_col 2 call_id)-1 $(cdr_col 2 call_id)-2" "$(cdr_col 1 attempt_id) $(cdr_col 2 attempt_id)"
	tl_eq "$CASE: callee as received and as sent, caller, caller as sent" \
		"$(cdr_col 2 called_in) $(cdr_col 2 called_out) $(cdr_col 2 caller) $(cdr_col 2 caller_out)" \
		"9123456 9123456 2071234567 2071234567"
	tl_check "$CASE: start <= end, no answer time, duration 0" \
		bash -c '[[ "$1" < "$2" || "$1" == "$2" ]] && [ -z "$3" ] && [ "$4" = 0 ]' _ \
		"$(cdr_col 2 start)" "$(cdr_col 2 end)" "$(cdr_col 2 answer)" "$(cdr_col 2 duration_s)"
	tl_eq "$CASE: header names every column in order" "$(head -1 "$CDR")" \
		"node,call_id,attempt_id,start,answer,end,caller,called_in,called_out,target,final_code,q850_cause,disposition,duration_s,codec_a,codec_b,a_pkts_in,a_pkts_out,b_pkts_in,b_pkts_out,a_dropped,b_dropped,a_rtp_expected,a_rtp_lost,a_jitter_ms,a_rtt_ms,a_remote_lost,a_mos,b_rtp_expected,b_rtp_lost,b_jitter_ms,b_rtt_ms,b_remote_lost,b_mos,source,caller_out"
	mv "$CDR" "$CDR.1"
	kill -USR1 "$TANDEMD_PID"
	sleep 0.3
	call again 8123456
	wait_cdr 1
	tl_eq "$CASE: after SIGUSR1 a new file with its header and the next record" \
		"$(wc -l <"$CDR" 2>/dev/null)" 2
	# a call still up at a clean shutdown gets its record too
	wait "$t1"
	SIPP_PORT=$TL_TRUNK_PORT sipp_bg "$CASE-t1b" uas_wait_bye.xml -m 1 -key mport "$(tl_port)" \
		-key mfile "$C/mb" || return
	CASE_PIDS+=("$SIPP_PID")
	sipp_bg "$CASE-hold" uac_wait_bye.xml "127.0.0.1:$TL_SIP_PORT" -m 1 -s 7123 \
		-key mport "$(tl_port)" -key mfile "$C/ma" || return
	CASE_PIDS+=("$SIPP_PID")
	local i n
	for i in $(seq 1 50); do
		n=$(tl_ctl --json calls 2>/dev/null | jq '[.calls[] | select(.state == "confirmed")] | length')
		[ "$n" = 1 ] && break
		sleep 0.1
	done
	tl_eq "$CASE: a call is up" "$n" 1
	sleep 1.2
	tl_stop_tandemd; local rc=$?
	tl_eq "$CASE: tandemd stops cleanly (SIGTERM) with the call up" "$rc" 0
	tl_eq "$CASE: its record was written: trunk1, ANSWERED, 200, Q.850 16" \
		"$(cdr_col 2 target) $(cdr_col 2 disposition) $(cdr_col 2 final_code) $(cdr_col 2 q850_cause)" \
		"trunk1 ANSWERED 200 16"
	tl_check "$CASE: ... with its answer time and a duration of 1 s or more" \
		bash -c '[ -n "$1" ] && [ "$2" -ge 1 ]' _ "$(cdr_col 2 answer)" "$(cdr_col 2 duration_s)"
	tl_eq "$CASE: ... and codecs" "$(cdr_col 2 codec_a) $(cdr_col 2 codec_b)" "PCMU/8000 PCMU/8000"
	case_end
}

for c in $CASES; do
	unset ROUTES TRUNK1 TRUNK2 PBX_KEYS EXTRA_TRUNKS EXTRA_CONF SELF_PORT
	"case_$c"
done
tl_done
