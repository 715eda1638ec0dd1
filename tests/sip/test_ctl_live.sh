#!/usr/bin/env bash
# test_ctl_live.sh - every tandemctl command against a running tandemd with
# live sipp calls, in both outputs: aligned tables/"key: value" lines for
# people and --json for scripts.
#
# Calls: one through trunk1 with RTP both ways (rtpprobe), two to the echo
# endpoint whose callers never hang up (uac_wait_bye). trunk2 takes no calls
# but answers OPTIONS (options_interval = 1), so `trunks` shows an RTT.
#   status, calls, trunks, help     values match the calls made; columns align
#   call hangup ID                  the caller gets a BYE; unknown ids exit 1
#   log level [LEVEL]               shows, sets, refuses a bad level
#   reload                          generation 2
#   drain / undrain                 OPTIONS and INVITE get 503 + Retry-After,
#                                   then 200 / a call again after undrain
#   drain 2                         with a call that never ends: after the
#                                   maximum drain time tandemd hangs it up (the
#                                   caller gets BYE) and exits 0
. "$srcdir/tests/lib/testlib.sh"
tl_tmp
. "$srcdir/tests/sip/siplib.sh"
need_tools

NUMBER=9123456
T2_PORT=$(tl_port)
MP=$(tl_port)
TL_EXTRA="drain_timeout = 30
metrics_listen = 127.0.0.1:$MP" TL_ROUTES="9 = trunk1
8 = trunk1" TL_TRUNKS="max_channels = 1

[trunk2](carrier)
host = 127.0.0.1
port = $T2_PORT
options_interval = 1" tl_conf "$TL_TMP/conf"
fix_rtp_range "$TL_TMP/conf/tandem.conf"
tl_start_tandemd "$TL_TMP/conf/tandem.conf" || { tl_fail "tandemd starts"; tl_done; }

# aligned OUT: every row of a table (first line = header) has a value that
# starts at each header column, with a blank before it
aligned() {
	awk 'NR == 1 { for (i = 1; i <= length($0); i++)
			if (substr($0, i, 1) != " " && (i == 1 || substr($0, i - 1, 1) == " ")) col[++n] = i
		next }
		{ for (k = 1; k <= n; k++) { c = col[k]
			if (c > length($0)) { if (k < n) bad = 1; continue }
			if (substr($0, c, 1) == " " || (c > 1 && substr($0, c - 1, 1) != " ")) bad = 1 } }
		END { exit bad || n < 2 }' <<<"$1"
}
col() { # col TABLE HEADER ROWMATCH: the value under HEADER in the first row matching ROWMATCH
	awk -v h="$2" -v m="$3" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == h) k = i; next }
		$0 ~ m { print $k; exit }' <<<"$1"
}

# --- the calls -----------------------------------------------------------------------------
SIPP_PORT=$T2_PORT sipp_bg t2opt uas_options.xml -m 1000 || { tl_fail "trunk2 (OPTIONS) starts"; tl_done; }
PA=$(tl_port); PB=$(tl_port)
probe_start a -l "$PA" -r "@$TL_TMP/ma" -n 200 -f 1000 -d 600; PROBE_A=$PROBE_PID
probe_start b -l "$PB" -r "@$TL_TMP/mb" -n 200 -f 1500 -d 600; PROBE_B=$PROBE_PID
SIPP_PORT=$TL_TRUNK_PORT sipp_bg t1 uas_basic.xml -m 1 -key mport "$PB" -key mfile "$TL_TMP/mb" ||
	{ tl_fail "trunk1 carrier starts"; tl_done; }
t1_pid=$SIPP_PID
sipp_bg trunkcall uac_basic.xml "127.0.0.1:$TL_SIP_PORT" -m 1 -s "$NUMBER" \
	-key mport "$PA" -key mfile "$TL_TMP/ma" -d 6000
tc_pid=$SIPP_PID
E1P=$(tl_port)
SIPP_TIMEOUT=60 SIPP_RECV_TIMEOUT=60000 sipp_bg echo1 uac_wait_bye.xml "127.0.0.1:$TL_SIP_PORT" \
	-m 1 -s 600 -key mport "$E1P" -key mfile "$TL_TMP/e1"
e1_pid=$SIPP_PID
SIPP_TIMEOUT=60 SIPP_RECV_TIMEOUT=60000 sipp_bg echo2 uac_wait_bye.xml "127.0.0.1:$TL_SIP_PORT" \
	-m 1 -s 600 -key mport "$(tl_port)" -key mfile "$TL_TMP/e2"
e2_pid=$SIPP_PID
for _ in $(seq 1 50); do
	[ "$(tl_ctl --json calls | jq '[.calls[] | select(.state == "confirmed")] | length')" = 3 ] && break
	sleep 0.1
done
sleep 1.5     # RTP flows, trunk2 has answered a few OPTIONS

# --- status ------------------------------------------------------------------------------------
out=$(tl_ctl status); rc=$?
tl_eq "status exits 0" "$rc" 0
tl_check "status: 'calls_active: 3' under sip:, values aligned" grep -Eq '^  calls_active: +3$' <<<"$out"
tl_check "status: every key of a block has its value in the same column" \
	bash -c 'grep -A7 "^sip:" <<<"$1" | tail -7 | awk "{ print index(\$0, \$2) }" | sort -u | wc -l | grep -qx 1' _ "$out"
tl_eq "status --json: calls_active, sessions, draining" \
	"$(tl_ctl --json status | jq -r '"\(.sip.calls_active) \(.media.sessions) \(.draining)"')" "3 3 false"

# --- calls ----------------------------------------------------------------------------------------
out=$(tl_ctl calls)
tl_check "calls: a table whose columns align" aligned "$out"
tl_eq "calls: header" "$(head -1 <<<"$out" | tr -s ' ')" \
	"ID STATE CALLER CALLED TARGET AGE_S UP_S A_CODEC A_REMOTE A_IN/OUT B_CODEC B_REMOTE B_IN/OUT"
tl_eq "calls: 3 rows" "$(( $(wc -l <<<"$out") - 1 ))" 3
tl_eq "calls: the trunk call's row: confirmed, to trunk1, PCMU both legs" \
	"$(col "$out" STATE trunk1) $(col "$out" CALLED trunk1) $(col "$out" A_CODEC trunk1) $(col "$out" B_CODEC trunk1)" \
	"confirmed $NUMBER PCMU/8000 PCMU/8000"
io=$(col "$out" A_IN/OUT trunk1)
tl_check "calls: the trunk call's leg A counts RTP both ways ($io)" bash -c '[[ $1 =~ ^([0-9]+)/([0-9]+)$ ]] && (( BASH_REMATCH[1] > 20 && BASH_REMATCH[2] > 20 ))' _ "$io"
tl_eq "calls: two echo calls" "$(grep -c ' echo ' <<<"$out")" 2
tl_eq "calls --json: 3 calls, trunk1 once" \
	"$(tl_ctl --json calls | jq -r '"\(.calls | length) \([.calls[] | select(.target == "trunk1")] | length)"')" "3 1"
[ "$(tl_ctl --json calls | jq '.calls | length')" = 3 ] || echo "$out" | sed 's/^/    /'

# --- trunks ---------------------------------------------------------------------------------------
out=$(tl_ctl trunks)
tl_check "trunks: a table whose columns align" aligned "$out"
tl_eq "trunks: trunk1 (no OPTIONS) unmonitored, 1 of 1 channels in use" \
	"$(col "$out" STATE '^trunk1') $(col "$out" CHANNELS '^trunk1') $(col "$out" MAX_CHANNELS '^trunk1')" "unmonitored 1 1"
tl_eq "trunks: trunk2 (OPTIONS every 1 s) up" "$(col "$out" STATE '^trunk2')" up
rtt=$(tl_ctl --json trunks | jq -r '.trunks[] | select(.name == "trunk2") | .options_rtt_ms')
tl_check "trunks --json: trunk2's last OPTIONS round trip is measured ($rtt ms, 0..500)" in_range "$rtt" 0 500
tl_eq "trunks: ... and shown in the table" "$(col "$out" OPTIONS_RTT_MS '^trunk2')" "$rtt"

# --- a limit hit, seen in /metrics -------------------------------------------------------------
sipp_fg full uac_503_plain.xml "127.0.0.1:$TL_SIP_PORT" -m 1 -s 8123 -key mport "$(tl_port)"
tl_eq "a second call to trunk1 (max_channels = 1) gets 503" "$?" 0
curl -s --max-time 5 -o "$TL_TMP/m.prom" "http://127.0.0.1:$MP/metrics"
mval() { awk -v s="$1" '$1 == s { print $2 }' "$TL_TMP/m.prom"; }
tl_eq "metrics: tandem_limit_hits_total{limit=\"trunk_channels\"} 1" "$(mval 'tandem_limit_hits_total{limit="trunk_channels"}')" 1
tl_eq "metrics: ... rtp_ports 0, transcoding 0" \
	"$(mval 'tandem_limit_hits_total{limit="rtp_ports"}') $(mval 'tandem_limit_hits_total{limit="transcoding"}')" "0 0"
tl_eq "metrics: tandem_media_transcoding 0 of limit 0" \
	"$(mval tandem_media_transcoding) $(mval tandem_media_transcoding_limit)" "0 0"
tl_eq "metrics: trunk1 channels 1 of 1" \
	"$(mval 'tandem_trunk_channels_active{trunk="trunk1"}') $(mval 'tandem_trunk_channels_limit{trunk="trunk1"}')" "1 1"
if command -v promtool >/dev/null; then
	tl_check "metrics: promtool check metrics passes" bash -c 'promtool check metrics <"$1"' _ "$TL_TMP/m.prom"
fi

# --- help -------------------------------------------------------------------------------------------
out=$(tl_ctl help)
tl_check "help: a table whose columns align" aligned "$out"
for c in status calls trunks registrations call drain undrain log reload help; do
	tl_check "help lists '$c'" grep -q "^$c " <<<"$out"
done
tl_eq "help --json lists the same 10 commands" \
	"$(tl_ctl --json help | jq -r '[.commands[].command] | sort | join(",")')" \
	"call,calls,drain,help,log,registrations,reload,status,trunks,undrain"

# --- call hangup ------------------------------------------------------------------------------------
id=$(tl_ctl --json calls | jq -r --arg r "127.0.0.1:$E1P" '.calls[] | select(.leg_a.remote == $r) | .id')
e1_id=$id
out=$(tl_ctl call hangup "$id"); rc=$?
tl_eq "call hangup $id exits 0" "$rc" 0
tl_check "... and says which call ('hungup: $id')" grep -Eq "^hungup: +$id$" <<<"$out"
for _ in $(seq 1 50); do kill -0 "$e1_pid" 2>/dev/null || break; sleep 0.1; done
wait_first=$(kill -0 "$e1_pid" 2>/dev/null && echo running || echo done)
tl_eq "the hung-up caller got its BYE and finished" "$wait_first" done
sipp_wait "$e1_pid"; tl_eq "... cleanly (sipp exit 0)" "$?" 0
tl_ctl call hangup nosuchcall >"$TL_TMP/h.out" 2>&1; rc=$?
tl_eq "call hangup of an unknown id exits 1" "$rc" 1
tl_check "... saying 'no such call'" grep -q "no such call" "$TL_TMP/h.out"
tl_eq "call hangup --json of an unknown id: ok false and the error" \
	"$(tl_ctl --json call hangup nosuchcall | jq -c '[.ok, .error]')" '[false,"no such call"]'
tl_eq "calls --json no longer lists $e1_id" \
	"$(tl_ctl --json calls | jq --arg id "$e1_id" '[.calls[] | select(.id == $id)] | length')" 0

# --- log level ------------------------------------------------------------------------------------
tl_eq "log level shows the level" "$(tl_ctl log level)" "level: info"
tl_eq "log level debug sets it (--json)" "$(tl_ctl --json log level debug | jq -r .level)" debug
tl_eq "status still answers at debug" "$(tl_ctl --json status | jq -r .ok)" true
tl_check "the log records who changed the level" grep -q "log level set to debug over the control socket" "$TANDEMD_LOG"
tl_ctl log level loud >"$TL_TMP/l.out" 2>&1; rc=$?
tl_eq "log level with a bad level exits 1" "$rc" 1
tl_check "... naming the valid levels" grep -q "error, warn, notice, info, debug" "$TL_TMP/l.out"
tl_eq "log level info" "$(tl_ctl --json log level info | jq -r .level)" info

# --- reload ----------------------------------------------------------------------------------------
tl_eq "reload prints the new generation" "$(tl_ctl reload | head -1 | tr -s ' ')" "generation: 2"
tl_eq "reload --json: generation 3, nothing needs a restart" \
	"$(tl_ctl --json reload | jq -c '[.generation, .requires_restart]')" '[3,[]]'

# --- drain and undrain ------------------------------------------------------------------------------
out=$(tl_ctl --json drain)
tl_eq "drain --json: draining, 2 calls active, deadline = drain_timeout (30)" \
	"$(jq -r '"\(.draining) \(.calls_active) \(.deadline_s)"' <<<"$out")" "true 2 30"
sipp_fg opt503 options_503.xml "127.0.0.1:$TL_SIP_PORT" -m 1
tl_eq "draining: OPTIONS gets 503 with Retry-After" "$?" 0
sipp_fg inv503 uac_503.xml "127.0.0.1:$TL_SIP_PORT" -m 1 -s 600 -key mport "$(tl_port)"
tl_eq "draining: a new call gets 503 with Retry-After" "$?" 0
tl_check "draining: the refusal is logged with its own call id" \
	grep -Eq "call r[0-9a-f]{6}: INVITE caller -> 600 rejected: 503 Service Unavailable \(draining\)" "$TANDEMD_LOG"
tl_eq "undrain" "$(tl_ctl undrain | tr -s ' ')" "draining: false"
tl_eq "undrain --json" "$(tl_ctl --json undrain | jq -c .)" '{"ok":true,"draining":false}'
tl_eq "status: not draining" "$(tl_ctl --json status | jq -r .draining)" false
sipp_fg opt200 options.xml "127.0.0.1:$TL_SIP_PORT" -m 1
tl_eq "after undrain: OPTIONS gets 200" "$?" 0
sipp_fg again uac_basic.xml "127.0.0.1:$TL_SIP_PORT" -m 1 -s 600 -key mport "$(tl_port)" \
	-key mfile /dev/null -d 200
tl_eq "after undrain: a new call goes through" "$?" 0

# the trunk call ends by itself, with its media
sipp_wait "$tc_pid"; tl_eq "the trunk call ends normally" "$?" 0
sipp_wait "$t1_pid"; tl_eq "trunk1's side completes" "$?" 0
wait "$PROBE_A" "$PROBE_B"
tl_near "trunk call: trunk1 got what the caller sent" "$(probe_val b recv)" "$(probe_val a sent)" 5
tl_near "trunk call: the caller got what trunk1 sent" "$(probe_val a recv)" "$(probe_val b sent)" 5
# logging: one INFO line per attempt with its outcome, every call line carries its id
tc_id=$(grep -Eo "call c[0-9a-f]{6}: INVITE caller -> $NUMBER" "$TANDEMD_LOG" | head -1 | cut -d' ' -f2 | tr -d :)
for _ in $(seq 1 30); do grep -q "call $tc_id: attempt" "$TANDEMD_LOG" && break; sleep 0.1; done
tl_eq "log: the trunk call ($tc_id) has exactly one attempt line" "$(grep -c "call $tc_id: attempt " "$TANDEMD_LOG")" 1
tl_check "log: ... giving its outcome (ANSWERED, final 200, via trunk1)" \
	grep -Eq "call $tc_id: attempt 1 caller -> $NUMBER via trunk1: ANSWERED, final 200, [0-9]+s connected" "$TANDEMD_LOG"
tl_eq "log: the hung-up echo call's attempt line" \
	"$(grep -c "call $e1_id: attempt 1 caller -> 600 via echo: ANSWERED" "$TANDEMD_LOG")" 1
tl_eq "log: the refused call (trunk1 full) gets one line with its id and outcome" \
	"$(grep -Ec "call r[0-9a-f]{6}: INVITE caller -> 8123 rejected: 503 Service Unavailable \(no usable trunk \(down, full or over max_cps\)\)" "$TANDEMD_LOG")" 1

# --- drain with a maximum time ---------------------------------------------------------------------
tl_eq "one call left (a caller that never hangs up)" "$(tl_ctl --json status | jq -r .sip.calls_active)" 1
t0=$(date +%s%N)
tl_eq "drain 2 (human output)" "$(tl_ctl drain 2 | tr -s ' ' | tr '\n' ';')" "draining: true;calls_active: 1;deadline_s: 2;"
rc=
for _ in $(seq 1 100); do kill -0 "$TANDEMD_PID" 2>/dev/null || break; sleep 0.1; done
ms=$(elapsed_ms "$t0")
if kill -0 "$TANDEMD_PID" 2>/dev/null; then
	tl_fail "tandemd exits after the maximum drain time (still running after $ms ms)"
else
	wait "$TANDEMD_PID"; rc=$?
	TANDEMD_PID=
	tl_eq "tandemd exits 0 after the maximum drain time" "$rc" 0
	tl_check "... 2 s after the drain, not before (${ms} ms, 1900..8000)" in_range "$ms" 1900 8000
fi
sipp_wait "$e2_pid"; rc=$?
tl_eq "the call left at the deadline got a BYE (its caller finished cleanly)" "$rc" 0
[ $rc -ne 0 ] && sipp_why echo2
tl_check "the log says time was up with 1 call left" grep -q "drain: time is up with 1 call(s) left" "$TANDEMD_LOG"
tl_done
