#!/usr/bin/env bash
# test_kamailio.sh - two tandemd nodes behind Kamailio's dispatcher, with the
# shipped contrib/kamailio/kamailio.cfg (paths and ports given with -A) and
# dispatcher.list (its example nodes replaced by the test's).
#
#   spread    10 calls to 600 (echo) through Kamailio are answered, by both nodes
#   failover  node 1 drains while Kamailio's probes are paused: the INVITE that
#             still reaches it gets 503 and is sent on to node 2 (failure_route)
#   probe     with the probes back on, node 1's 503 to OPTIONS marks it inactive;
#             10 more calls all go to node 2, none fails
#   undrain   `tandemctl undrain` brings node 1 back (probe: 200), drain takes it out
#   drain     a long call that node 1 took before the drain finishes normally
#             (its BYE routed by Record-Route), then node 1 exits 0
. "$srcdir/tests/lib/testlib.sh"
tl_tmp
. "$srcdir/tests/sip/siplib.sh"
need_tools
KAMAILIO=${KAMAILIO:-kamailio}
KAMCMD=${KAMCMD:-kamcmd}
if ! command -v "$KAMAILIO" >/dev/null || ! command -v "$KAMCMD" >/dev/null; then
	tl_fail "kamailio/kamcmd not found (Debian package 'kamailio')"
	tl_done
fi
KCFG=${KCFG:-$srcdir/contrib/kamailio/kamailio.cfg}

# A caller that honours the route set (the stock scenarios send ACK and BYE
# without Route headers): INVITE to 600, 200 -> ACK, pause -d ms, BYE, 200.
cat >"$TL_TMP/uac_routed.xml" <<'XML'
<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="uac_routed">
  <send retrans="500">
    <![CDATA[

      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:caller@[local_ip]:[local_port]>;tag=[pid]kam[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:caller@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=caller 1 1 IN IP4 [local_ip]
      s=-
      c=IN IP4 [local_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000
      a=sendrecv

    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rrs="true"/>
  <send>
    <![CDATA[

      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      [routes]
      From: <sip:caller@[local_ip]:[local_port]>;tag=[pid]kam[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <pause/>
  <send retrans="500">
    <![CDATA[

      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      [routes]
      From: <sip:caller@[local_ip]:[local_port]>;tag=[pid]kam[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200" crlf="true"/>
</scenario>
XML

# --- the two nodes -------------------------------------------------------------
declare -a NODE_PID NODE_CTL NODE_PORT
node_start() { # N
	local n=$1 d="$TL_TMP/node$1"
	unset TL_SIP_PORT TL_TRUNK_PORT
	TL_EXTRA="node_name = node$n" tl_conf "$d"
	# the two nodes must not share an RTP port block
	while [ "$n" = 2 ] && [ "$(grep '^rtp_port_min' "$d/tandem.conf")" = \
		"$(grep '^rtp_port_min' "$TL_TMP/node1/tandem.conf")" ]; do
		fix_rtp_range "$d/tandem.conf"
	done
	NODE_CTL[$n]=$TL_CTL NODE_PORT[$n]=$TL_SIP_PORT
	"$TANDEMD" -f -c "$d/tandem.conf" >"$TL_TMP/node$n.log" 2>&1 &
	NODE_PID[$n]=$!
	TL_PIDS+=("${NODE_PID[$n]}")
	for _ in $(seq 1 100); do
		"$TANDEMCTL" -s "${NODE_CTL[$n]}" status >/dev/null 2>&1 && return 0
		kill -0 "${NODE_PID[$n]}" 2>/dev/null || break
		sleep 0.1
	done
	echo "node $n did not start:"; tail -n 20 "$TL_TMP/node$n.log"
	return 1
}
nctl() { local n=$1; shift; "$TANDEMCTL" -s "${NODE_CTL[$n]}" "$@"; }
nctlq() { nctl "$@" >/dev/null; }
# nstat N JQPATH: one number from node N's status
nstat() { nctl "$1" --json status 2>/dev/null | jq -r "$2"; }

# --- Kamailio --------------------------------------------------------------------
KCTL="unix:$TL_TMP/kamailio_ctl"
kam() { "$KAMCMD" -s "$KCTL" "$@"; }
# ds_flags N: node N's dispatcher state, e.g. AP (active, probed) or IP (inactive)
ds_flags() {
	kam dispatcher.list 2>/dev/null | awk -v uri="sip:127.0.0.1:${NODE_PORT[$1]}" '
		$1 == "URI:" { found = ($2 == uri) } found && $1 == "FLAGS:" { print $2; exit }'
}
# wait_flags N REGEX TENTHS: until node N's state matches; prints the wait in ms
wait_flags() {
	local t0; t0=$(date +%s%N)
	for _ in $(seq 1 "$3"); do
		[[ "$(ds_flags "$1")" =~ $2 ]] && { elapsed_ms "$t0"; return 0; }
		sleep 0.1
	done
	return 1
}
# calls through Kamailio: kcalls NAME COUNT HOLD_MS [sipp args]
kcalls() {
	local name=$1 m=$2 d=$3; shift 3
	SCEN=$TL_TMP sipp_fg "$name" uac_routed.xml "127.0.0.1:$KPORT" -s 600 -m "$m" -d "$d" "$@"
}
# failed_over: how many times Kamailio's failure route gave up on a node
failed_over() { grep -c 'failed (.*): set inactive' "$TL_TMP/kamailio.log"; }

node_start 1 || { tl_fail "node 1 starts"; tl_done; }
node_start 2 || { tl_fail "node 2 starts"; tl_done; }
KPORT=$(tl_port)
sed -e "s/192\.0\.2\.11:5060/127.0.0.1:${NODE_PORT[1]}/; s/192\.0\.2\.12:5060/127.0.0.1:${NODE_PORT[2]}/" \
	"$srcdir/contrib/kamailio/dispatcher.list" >"$TL_TMP/dispatcher.list"
KDEFS=(-A "LISTEN=udp:127.0.0.1:$KPORT" -A "DS_LIST=\"$TL_TMP/dispatcher.list\""
	-A "CTL_SOCKET=\"$KCTL\"" -A "RUN_DIR=\"$TL_TMP\"" -A DS_PING_INTERVAL=1 -A CHILDREN=2)
tl_check "kamailio -c accepts contrib/kamailio/kamailio.cfg" \
	bash -c '"$@" >"'"$TL_TMP"'/kamailio-c.log" 2>&1' _ "$KAMAILIO" -c -f "$KCFG" "${KDEFS[@]}"
tl_bg "$KAMAILIO" -f "$KCFG" "${KDEFS[@]}" -DD -E -m 64 -M 8 -w "$TL_TMP" >"$TL_TMP/kamailio.log" 2>&1
KPID=$TL_LAST_PID
for _ in $(seq 1 50); do
	[ -S "$TL_TMP/kamailio_ctl" ] && kam core.version >/dev/null 2>&1 && break
	sleep 0.1
done
if ! kill -0 "$KPID" 2>/dev/null || [ -z "$(ds_flags 1)" ]; then
	tl_fail "kamailio starts with both nodes in its dispatcher list"
	tail -n 30 "$TL_TMP/kamailio.log"
	tl_done
fi
tl_ok "kamailio runs on 127.0.0.1:$KPORT, nodes on ${NODE_PORT[1]} and ${NODE_PORT[2]}"
tl_check "the probes find both nodes up (flags AP)" \
	bash -c '[[ "$1" == AP && "$2" == AP ]]' _ "$(wait_flags 1 '^AP$' 30 >/dev/null; ds_flags 1)" \
	"$(wait_flags 2 '^AP$' 30 >/dev/null; ds_flags 2)"

# --- spread --------------------------------------------------------------------
kcalls spread 10 300 -l 5 -r 20; rc=$?
tl_eq "spread: 10 calls to 600 through kamailio are answered" "$rc" 0
[ "$rc" -ne 0 ] && sipp_why spread
t1=$(nstat 1 .sip.calls_total); t2=$(nstat 2 .sip.calls_total)
tl_eq "spread: the nodes took 10 calls between them (node 1: $t1, node 2: $t2)" "$((t1 + t2))" 10
tl_check "spread: both nodes took calls" test "$t1" -gt 0 -a "$t2" -gt 0
tl_eq "spread: every call ended on node 1" "$(nstat 1 .sip.calls_active)" 0
tl_eq "spread: every call ended on node 2" "$(nstat 2 .sip.calls_active)" 0

# --- a long call on node 1 ---------------------------------------------------------
LONG_PIDS=()
long_on_1=0
for i in 1 2 3 4; do
	before=$(( $(nstat 1 .sip.calls_total) + $(nstat 2 .sip.calls_total) ))
	SCEN=$TL_TMP SIPP_TIMEOUT=40 sipp_bg "long$i" uac_routed.xml "127.0.0.1:$KPORT" -s 600 -m 1 -d 20000 ||
		break
	LONG_PIDS+=("$SIPP_PID")
	for _ in $(seq 1 50); do
		[ $(( $(nstat 1 .sip.calls_total) + $(nstat 2 .sip.calls_total) )) -gt "$before" ] && break
		sleep 0.1
	done
	[ "$(nstat 1 .sip.calls_active)" -ge 1 ] && { long_on_1=1; break; }
done
tl_eq "drain: a long call is up on node 1" "$long_on_1" 1

# --- failover ------------------------------------------------------------------------
kam dispatcher.ping_active 0 >/dev/null
tl_check "failover: tandemctl drain on node 1" nctlq 1 drain 60
tl_eq "failover: node 1 says draining" "$(nstat 1 .draining)" true
tl_eq "failover: kamailio still has node 1 active (probes paused)" "$(ds_flags 1)" AP
fo0=$(failed_over); r1=$(nstat 1 .sip.calls_rejected); t2=$(nstat 2 .sip.calls_total)
kcalls failover 4 200 -l 1; rc=$?
tl_eq "failover: 4 calls are answered although node 1 refuses new ones" "$rc" 0
[ "$rc" -ne 0 ] && sipp_why failover
tl_eq "failover: node 1 refused one INVITE (503), then was taken out" \
	"$(( $(nstat 1 .sip.calls_rejected) - r1 ))" 1
tl_eq "failover: kamailio's failure route sent it on" "$(( $(failed_over) - fo0 ))" 1
tl_eq "failover: node 2 took all 4 calls" "$(( $(nstat 2 .sip.calls_total) - t2 ))" 4
tl_check "failover: node 1 is now inactive in kamailio (flags $(ds_flags 1))" \
	bash -c '[[ "$1" == I* ]]' _ "$(ds_flags 1)"

# --- the probes take a draining node out ---------------------------------------------
kam dispatcher.set_state ap 1 "sip:127.0.0.1:${NODE_PORT[1]}" >/dev/null
tl_eq "probe: node 1 set active again by hand" "$(ds_flags 1)" AP
kam dispatcher.ping_active 1 >/dev/null
o1=$(nstat 1 .sip.options_answered)
if ms=$(wait_flags 1 '^I' 40); then
	tl_ok "probe: kamailio marks node 1 inactive after its 503 to OPTIONS ($ms ms)"
else
	tl_fail "probe: kamailio marks node 1 inactive within 4 s (flags $(ds_flags 1))"
fi
tl_check "probe: ... node 1 answered its OPTIONS" test "$(nstat 1 .sip.options_answered)" -gt "$o1"
tl_eq "probe: node 2 stays active" "$(ds_flags 2)" AP
fo0=$(failed_over); t1=$(nstat 1 .sip.calls_total); r1=$(nstat 1 .sip.calls_rejected)
t2=$(nstat 2 .sip.calls_total)
kcalls drained 10 300 -l 5 -r 20; rc=$?
tl_eq "probe: 10 new calls are all answered" "$rc" 0
[ "$rc" -ne 0 ] && sipp_why drained
tl_eq "probe: node 2 took all 10" "$(( $(nstat 2 .sip.calls_total) - t2 ))" 10
tl_eq "probe: node 1 saw none of them" \
	"$(( $(nstat 1 .sip.calls_total) - t1 )),$(( $(nstat 1 .sip.calls_rejected) - r1 ))" 0,0
tl_eq "probe: no failover was needed" "$(( $(failed_over) - fo0 ))" 0
tl_check "probe: kamailio logged node 1 going down" \
	grep -q "node sip:127.0.0.1:${NODE_PORT[1]} is down" "$TL_TMP/kamailio.log"

# --- back in service and out again -------------------------------------------------
tl_check "undrain: tandemctl undrain on node 1" nctlq 1 undrain
if ms=$(wait_flags 1 '^AP$' 40); then
	tl_ok "undrain: kamailio's probe sets node 1 active again ($ms ms)"
else
	tl_fail "undrain: kamailio sets node 1 active again within 4 s (flags $(ds_flags 1))"
fi
tl_check "undrain: kamailio logged node 1 coming up" \
	grep -q "node sip:127.0.0.1:${NODE_PORT[1]} is up" "$TL_TMP/kamailio.log"
tl_check "drain: tandemctl drain on node 1 again" nctlq 1 drain 60
tl_check "drain: ... and kamailio takes it out again" bash -c '[ -n "$1" ]' _ "$(wait_flags 1 '^I' 40)"

# --- the drained node finishes its call and exits --------------------------------------
for p in "${LONG_PIDS[@]}"; do
	wait "$p"; rc=$?
	tl_eq "drain: a long call (sipp $p) ends normally, BYE through kamailio" "$rc" 0
done
for _ in $(seq 1 50); do kill -0 "${NODE_PID[1]}" 2>/dev/null || break; sleep 0.1; done
if kill -0 "${NODE_PID[1]}" 2>/dev/null; then
	tl_fail "drain: node 1 exits once its last call has ended"
else
	wait "${NODE_PID[1]}"; rc=$?
	tl_eq "drain: node 1 exits 0 once its last call has ended" "$rc" 0
fi
tl_eq "node 2 has no call left" "$(nstat 2 .sip.calls_active)" 0
kill -TERM "${NODE_PID[2]}"; wait "${NODE_PID[2]}"; rc=$?
tl_eq "node 2 exits 0 on SIGTERM" "$rc" 0

kchildren=$(ps -o pid= --ppid "$KPID" | tr -d ' ' | tr '\n' ' ')
kill -TERM "$KPID"; wait "$KPID"
left=
for p in $kchildren; do kill -0 "$p" 2>/dev/null && left="$left $p"; done
for p in $left; do kill -9 "$p" 2>/dev/null; done
tl_eq "kamailio and its worker processes stopped" "$left" ""
if [ "$TL_FAIL" -gt 0 ]; then
	echo "--- kamailio log (last lines)"; tail -n 30 "$TL_TMP/kamailio.log"
	echo "--- node 1 log (last lines)"; tail -n 20 "$TL_TMP/node1.log"
fi
tl_done
