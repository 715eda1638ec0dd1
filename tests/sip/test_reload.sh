#!/usr/bin/env bash
# test_reload.sh - reloading routes under live calls (tandemctl reload).
#
#   1. a call to 9123456 goes to trunk1 (a sipp carrier) with RTP both ways
#      from rtpprobe; while it is up, routes.conf is changed to send 9... to
#      trunk2 and `tandemctl reload` applies it (generation 2)
#   2. a new call to the same number reaches trunk2; trunk1 sees no new INVITE
#   3. the first call keeps its media: tandemd's per-leg packet counters grow
#      at the packet rate after the reload as before it, and at the end each
#      side received what the other sent (within 5%)
#   4. a broken routes.conf: `tandemctl reload` exits 1 and prints
#      routes.conf:LINE; the generation stays, and a new call still goes to trunk2
#   5. a sip_port change: the reload succeeds and says "requires restart";
#      tandemd still answers OPTIONS on the old port
. "$srcdir/tests/lib/testlib.sh"
tl_tmp
. "$srcdir/tests/sip/siplib.sh"
need_tools

NUMBER=9123456
T2_PORT=$(tl_port)
TL_ROUTES="9 = trunk1" TL_TRUNKS="
[trunk2](carrier)
host = 127.0.0.1
port = $T2_PORT" tl_conf "$TL_TMP/conf"
fix_rtp_range "$TL_TMP/conf/tandem.conf"
ROUTES="$TL_TMP/conf/routes.conf"
tl_start_tandemd "$TL_TMP/conf/tandem.conf" || { tl_fail "tandemd starts"; tl_done; }

gen() { tl_ctl --json status | jq -r .config.generation; }
# legpk: "A_IN B_IN" packet counters of the one call tandemctl lists
legpk() { tl_ctl --json calls | jq -r '.calls[0] | "\(.leg_a.packets_in) \(.leg_b.packets_in)"'; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# --- 1. a call through trunk1, with media ---------------------------------------------
PA=$(tl_port); PB=$(tl_port)
probe_start a -l "$PA" -r "@$TL_TMP/ma" -n 400 -f 1000 -d 600; PROBE_A=$PROBE_PID
probe_start b -l "$PB" -r "@$TL_TMP/mb" -n 400 -f 1500 -d 600; PROBE_B=$PROBE_PID
SIPP_PORT=$TL_TRUNK_PORT sipp_bg t1 uas_basic.xml -m 1 -key mport "$PB" -key mfile "$TL_TMP/mb" ||
	{ tl_fail "trunk1 carrier starts"; tl_done; }
t1_pid=$SIPP_PID
SIPP_TIMEOUT=30 sipp_bg caller1 uac_basic.xml "127.0.0.1:$TL_SIP_PORT" -m 1 -s "$NUMBER" \
	-key mport "$PA" -key mfile "$TL_TMP/ma" -d 9000
c1_pid=$SIPP_PID
for _ in $(seq 1 50); do
	[ "$(tl_ctl --json calls | jq -r '.calls[0].state // empty')" = confirmed ] && break
	sleep 0.1
done
tl_eq "call 1 is up through trunk1" "$(tl_ctl --json calls | jq -r '.calls[0] | "\(.state) \(.target)"')" \
	"confirmed trunk1"
sleep 1.5
read -r a0 b0 <<<"$(legpk)"; m0=$(now_ms)
echo "    before the reload: leg A got $a0, leg B got $b0 packets"

# --- 2. reload: 9... now goes to trunk2 ---------------------------------------------------
sed -i 's/^9 = trunk1$/9 = trunk2/' "$ROUTES"
tl_ctl reload >"$TL_TMP/reload1.out" 2>&1; rc=$?
tl_eq "tandemctl reload with the new route exits 0" "$rc" 0
tl_eq "generation 2" "$(gen)" 2
tl_check "tandemctl reload prints the generation" grep -q "^generation: *2" "$TL_TMP/reload1.out"

SIPP_PORT=$T2_PORT sipp_bg t2 uas_busy.xml -m 2 || { tl_fail "trunk2 carrier starts"; tl_done; }
t2_pid=$SIPP_PID
sipp_fg caller2 uac_busy.xml "127.0.0.1:$TL_SIP_PORT" -m 1 -s "$NUMBER" -key mport "$(tl_port)"
tl_eq "a new call after the reload reaches trunk2 (its 486 comes back)" "$?" 0
tl_eq "trunk2 got the INVITE" "$(sip_count "$TL_TMP/t2.msg" received '^INVITE ')" 1

# --- 3. the first call's media across the reload ----------------------------------------
sleep 1.5
read -r a1 b1 <<<"$(legpk)"; m1=$(now_ms)
dt=$(( m1 - m0 ))
want=$(( dt * 50 / 1000 ))
echo "    ${dt} ms later: leg A got $a1 (+$((a1 - a0))), leg B got $b1 (+$((b1 - b0))); 50/s would be +$want"
tl_check "call 1, leg A: RTP keeps flowing after the reload (+$((a1 - a0)) in ${dt} ms, >= 80% of +$want)" \
	test $(( (a1 - a0) * 100 )) -ge $(( want * 80 ))
tl_check "call 1, leg B: RTP keeps flowing after the reload (+$((b1 - b0)) in ${dt} ms, >= 80% of +$want)" \
	test $(( (b1 - b0) * 100 )) -ge $(( want * 80 ))
tl_eq "call 1 still lists trunk1 as its target" "$(tl_ctl --json calls | jq -r '[.calls[] | select(.target=="trunk1")] | length')" 1

# --- 4. a broken reload changes nothing -----------------------------------------------------
echo "8 = nosuchtrunk" >>"$ROUTES"
bad_line=$(wc -l <"$ROUTES")
tl_ctl reload >"$TL_TMP/reload2.out" 2>&1; rc=$?
tl_eq "tandemctl reload with a broken routes.conf exits 1" "$rc" 1
tl_check "... and prints routes.conf:$bad_line and what is wrong" \
	grep -q "routes.conf:$bad_line: .*unknown target 'nosuchtrunk'" "$TL_TMP/reload2.out"
[ $rc -ne 1 ] && sed 's/^/    /' "$TL_TMP/reload2.out"
tl_eq "the generation stays 2" "$(gen)" 2
sipp_fg caller3 uac_busy.xml "127.0.0.1:$TL_SIP_PORT" -m 1 -s "$NUMBER" -key mport "$(tl_port)"
tl_eq "a call after the broken reload still goes to trunk2" "$?" 0
wait "$t2_pid"; rc=$?
tl_eq "trunk2 took both calls" "$rc" 0
tl_eq "... 2 INVITEs" "$(sip_count "$TL_TMP/t2.msg" received '^INVITE ')" 2

# --- 5. a listener change needs a restart --------------------------------------------------
sed -i '$d' "$ROUTES"
NEW_PORT=$(tl_port)
sed -i "s/^sip_port = $TL_SIP_PORT\$/sip_port = $NEW_PORT/" "$TL_TMP/conf/tandem.conf"
tl_ctl reload >"$TL_TMP/reload3.out" 2>&1; rc=$?
tl_eq "a reload that changes sip_port succeeds for the rest" "$rc" 0
tl_check "... and says sip_port requires restart (tandem.conf:LINE)" \
	grep -q "tandem.conf:[0-9]*: \[lo\] sip_port requires restart (running value $TL_SIP_PORT kept)" "$TL_TMP/reload3.out"
[ $rc -ne 0 ] && sed 's/^/    /' "$TL_TMP/reload3.out"
tl_eq "generation 3" "$(gen)" 3
sipp_fg opt options.xml "127.0.0.1:$TL_SIP_PORT" -m 1
tl_eq "OPTIONS on the old port still answered" "$?" 0

# --- the first call ends normally with all its media -------------------------------------------
wait "$c1_pid"; rc=$?
tl_eq "call 1 ends normally (caller's BYE)" "$rc" 0
[ $rc -ne 0 ] && sipp_why caller1
wait "$t1_pid"; rc=$?
tl_eq "trunk1's side of call 1 completes" "$rc" 0
tl_eq "trunk1 got exactly one INVITE" "$(sip_count "$TL_TMP/t1.msg" received '^INVITE ')" 1
wait "$PROBE_A" "$PROBE_B"
sa=$(probe_val a sent); ra=$(probe_val a recv); sb=$(probe_val b sent); rb=$(probe_val b recv)
tl_near "call 1: trunk1 got what the caller sent, across the reload" "${rb:-0}" "${sa:-0}" 5
tl_near "call 1: the caller got what trunk1 sent, across the reload" "${ra:-0}" "${sb:-0}" 5
tl_stop_tandemd; tl_eq "tandemd exits 0" "$?" 0
tl_done
