#!/usr/bin/env bash
# test_metrics.sh - the Prometheus endpoint (metrics_listen): off unless
# configured; once on, /metrics passes `promtool check metrics` and its values
# match the calls made through tandemd: one answered through a sipp carrier
# (with RTP both ways from rtpprobe), one busy (486 from the carrier), one to a
# number with no route (404 from tandemd); reloads are counted; other paths
# get 404; a bad or busy metrics_listen stops tandemd from starting.
#
# Needs promtool (Debian package prometheus) and curl.
. "$srcdir/tests/lib/testlib.sh"
tl_tmp
. "$srcdir/tests/sip/siplib.sh"
need_tools
for t in promtool curl; do
	command -v "$t" >/dev/null && continue
	tl_fail "$t is missing (Debian packages: prometheus for promtool, curl)"
	tl_done
done

NUMBER=9123456          # routed to trunk1
UNROUTED=7777           # no route: 404

# tandemd's listening TCP ports, one a line, sorted
tcp_ports() {
	ss -Hltnp | awk -v p="pid=$TANDEMD_PID," 'index($0, p) { n = split($4, a, ":"); print a[n] }' |
		sort -un
}

# scrape NAME: GET /metrics into $TL_TMP/NAME.prom (headers in NAME.hdr);
# returns curl's status
scrape() {
	curl -sS --max-time 5 -D "$TL_TMP/$1.hdr" -o "$TL_TMP/$1.prom" "http://127.0.0.1:$MP/metrics"
}

# m NAME SERIES: the value of one series, e.g. m s1 'tandem_call_results_total{code="486"}'
m() { awk -v s="$2" '$1 == s { print $2 }' "$TL_TMP/$1.prom"; }

# check_format NAME: promtool accepts the exposition as it is
check_format() {
	local out
	if out=$(promtool check metrics <"$TL_TMP/$1.prom" 2>&1); then
		tl_ok "$1: promtool check metrics passes"
	else
		tl_fail "$1: promtool check metrics: $out"
	fi
}

# wait_metric NAME SERIES WANT: scrape until SERIES == WANT (5 s at most)
wait_metric() {
	for _ in $(seq 1 50); do
		scrape "$1" && [ "$(m "$1" "$2")" = "$3" ] && return 0
		sleep 0.1
	done
	return 1
}

# --- off unless configured ----------------------------------------------------
TL_ROUTES="9 = trunk1" tl_conf "$TL_TMP/off"
if tl_start_tandemd "$TL_TMP/off/tandem.conf"; then
	tl_eq "off: without metrics_listen tandemd listens on TCP for SIP only" \
		"$(tcp_ports | tr '\n' ' ')" "$TL_SIP_PORT "
	tl_stop_tandemd; tl_eq "off: tandemd exits 0" "$?" 0
else
	tl_fail "off: tandemd starts"
fi

# --- a bad address is refused before anything starts ----------------------------
unset TL_SIP_PORT TL_TRUNK_PORT
TL_EXTRA="metrics_listen = localhost:9" TL_ROUTES="9 = trunk1" tl_conf "$TL_TMP/bad"
out=$("$TANDEMD" -t -c "$TL_TMP/bad/tandem.conf" 2>&1 >/dev/null); rc=$?
tl_eq "tandemd -t refuses metrics_listen = localhost:9 (host names are not taken)" "$rc" 1
tl_check "... and says which key and what it wants" \
	grep -q 'metrics_listen = localhost:9: want IPV4:PORT or \[IPV6\]:PORT' <<<"$out"

# --- on ---------------------------------------------------------------------------
unset TL_SIP_PORT TL_TRUNK_PORT
MP=$(tl_port)
TL_EXTRA="metrics_listen = 127.0.0.1:$MP" TL_ROUTES="9 = trunk1" tl_conf "$TL_TMP/on"
CONF="$TL_TMP/on/tandem.conf"
if ! tl_start_tandemd "$CONF"; then
	tl_fail "on: tandemd starts"
	tl_done
fi
tl_eq "on: tandemd listens on TCP for SIP and the metrics port" \
	"$(tcp_ports | tr '\n' ' ')" "$(printf '%s\n' "$TL_SIP_PORT" "$MP" | sort -n | tr '\n' ' ')"

tl_check "s0: GET /metrics answers" scrape s0
tl_check "s0: HTTP 200" grep -q '^HTTP/1.1 200' "$TL_TMP/s0.hdr"
tl_check "s0: Content-Type text/plain; version=0.0.4" \
	grep -qi '^Content-Type: text/plain; version=0.0.4' "$TL_TMP/s0.hdr"
check_format s0
tl_eq "s0: no attempt yet" "$(m s0 tandem_call_attempts_total)" 0
tl_eq "s0: build info carries the version of tandemd -V" \
	"$(m s0 "tandem_build_info{version=\"$("$TANDEMD" -V | awk '{print $2}')\"}")" 1
tl_eq "s0: configuration generation 1" "$(m s0 tandem_config_generation)" 1
tl_eq "s0: RTP ports of the configured range (200)" "$(m s0 tandem_rtp_ports_capacity)" 200
tl_eq "s0: trunk1 has no health checks" \
	"$(m s0 'tandem_trunk_state{trunk="trunk1",state="unmonitored"}')" 1
tl_check "s0: CPU time of media workers 0 and 1 is shown" \
	test -n "$(m s0 'tandem_media_worker_cpu_seconds_total{worker="0"}')" \
	     -a -n "$(m s0 'tandem_media_worker_cpu_seconds_total{worker="1"}')"

# --- call 1: answered, RTP both ways ---------------------------------------------------
PA=$(tl_port); PB=$(tl_port)
probe_start a -l "$PA" -r "@$TL_TMP/ma" -n 100 -f 1000 -d 600; PROBE_A=$PROBE_PID
probe_start b -l "$PB" -r "@$TL_TMP/mb" -n 100 -f 1500 -d 600; PROBE_B=$PROBE_PID
SIPP_PORT=$TL_TRUNK_PORT sipp_bg carrier1 uas_basic.xml -m 1 -key mport "$PB" -key mfile "$TL_TMP/mb"
CARRIER=$SIPP_PID
( sipp_fg caller1 uac_basic.xml "127.0.0.1:$TL_SIP_PORT" -m 1 -s "$NUMBER" \
	-key mport "$PA" -key mfile "$TL_TMP/ma" -d 3000; echo $? >"$TL_TMP/caller1.rc" ) &
CALLER=$!
TL_PIDS+=("$CALLER")
# during the call: the media addresses are out once both sides have the SDP
if wait_file "$TL_TMP/ma" 100 && wait_file "$TL_TMP/mb" 100; then
	sleep 0.3
	scrape mid
	tl_eq "mid-call: one call active" "$(m mid tandem_calls_active)" 1
	tl_eq "mid-call: trunk1 has one channel in use" \
		"$(m mid 'tandem_trunk_channels_active{trunk="trunk1"}')" 1
	tl_eq "mid-call: one media session" "$(m mid tandem_media_sessions)" 1
	tl_eq "mid-call: 4 RTP/RTCP ports in use (2 legs)" "$(m mid tandem_rtp_ports_in_use)" 4
else
	tl_fail "call 1: both sides got their media address"
fi
wait "$CALLER"
tl_eq "call 1: the caller's call is answered and hung up" "$(cat "$TL_TMP/caller1.rc" 2>/dev/null)" 0
wait "$CARRIER"; tl_eq "call 1: the carrier's side completes" "$?" 0
wait "$PROBE_A" "$PROBE_B"
sa=$(probe_val a sent); ra=$(probe_val a recv); sb=$(probe_val b sent); rb=$(probe_val b recv)
tl_check "call 1: RTP went both ways (caller got ${ra:-0}/${sb:-0}, carrier ${rb:-0}/${sa:-0})" \
	test "${ra:-0}" -ge 95 -a "${rb:-0}" -ge 95

# --- call 2: busy; call 3: no route ----------------------------------------------------
SIPP_PORT=$TL_TRUNK_PORT sipp_bg carrier2 uas_busy.xml -m 1; CARRIER=$SIPP_PID
sipp_fg caller2 uac_busy.xml "127.0.0.1:$TL_SIP_PORT" -m 1 -s "$NUMBER" -key mport "$(tl_port)"
tl_eq "call 2: the carrier's 486 reaches the caller" "$?" 0
wait "$CARRIER"; tl_eq "call 2: the carrier's side completes" "$?" 0
sipp_fg caller3 uac_notfound.xml "127.0.0.1:$TL_SIP_PORT" -m 1 -s "$UNROUTED" -key mport "$(tl_port)"
tl_eq "call 3: a number without a route gets 404" "$?" 0

# --- the counts match the calls --------------------------------------------------------
tl_check "after: no call active (polled)" wait_metric s1 tandem_calls_active 0
check_format s1
tl_eq "after: 3 attempts" "$(m s1 tandem_call_attempts_total)" 3
tl_eq "after: one 200" "$(m s1 'tandem_call_results_total{code="200"}')" 1
tl_eq "after: one 486" "$(m s1 'tandem_call_results_total{code="486"}')" 1
tl_eq "after: one 404" "$(m s1 'tandem_call_results_total{code="404"}')" 1
tl_eq "after: results over all codes add up to the attempts" \
	"$(awk '/^tandem_call_results_total\{/ { s += $2 } END { print s }' "$TL_TMP/s1.prom")" 3
tl_eq "after: one answered" "$(m s1 tandem_calls_answered_total)" 1
tl_eq "after: setup time to answer observed once" \
	"$(m s1 'tandem_call_setup_seconds_count{stage="answer"}')" 1
tl_eq "after: ... its +Inf bucket equals the count" \
	"$(m s1 'tandem_call_setup_seconds_bucket{stage="answer",le="+Inf"}')" 1
tl_check "after: ... and it took under 5 s ($(m s1 'tandem_call_setup_seconds_sum{stage="answer"}') s)" \
	in_range "$(m s1 'tandem_call_setup_seconds_sum{stage="answer"}')" 0.000001 5
tl_eq "after: setup time to the first provisional observed once (the 180 of call 1)" \
	"$(m s1 'tandem_call_setup_seconds_count{stage="provisional"}')" 1
relayed=$(m s1 tandem_rtp_packets_relayed_total)
tl_check "after: RTP packets relayed (${relayed:-none}) >= what the probes received ($((ra + rb)))" \
	test "${relayed:-0}" -ge $((ra + rb))
tl_near "after: RTP packets relayed vs. what the probes sent ($((sa + sb)))" "${relayed:-0}" $((sa + sb)) 5
tl_check "after: RTP bytes relayed >= 172 per packet received (G.711 20 ms)" \
	test "$(m s1 tandem_rtp_bytes_relayed_total)" -ge $((172 * (ra + rb)))
tl_eq "after: trunk1 was sent 2 calls" "$(m s1 'tandem_trunk_calls_total{trunk="trunk1"}')" 2
tl_eq "after: trunk1 has no channel in use" "$(m s1 'tandem_trunk_channels_active{trunk="trunk1"}')" 0
tl_eq "after: no media session, no port in use" \
	"$(m s1 tandem_media_sessions),$(m s1 tandem_rtp_ports_in_use)" "0,0"

# --- HTTP: other paths and methods, oversize requests ----------------------------------------
code() { curl -s --max-time 5 -o /dev/null -w '%{http_code}' "$@"; }
tl_eq "GET /foo: 404" "$(code "http://127.0.0.1:$MP/foo")" 404
tl_eq "GET /: 404" "$(code "http://127.0.0.1:$MP/")" 404
tl_eq "POST /metrics: 501 (GET and HEAD only)" "$(code -X POST "http://127.0.0.1:$MP/metrics")" 501
tl_eq "a request with a body: 413 (none is taken)" \
	"$(code -X GET -d x=1 "http://127.0.0.1:$MP/metrics")" 413
tl_eq "HEAD /metrics: 200" "$(code -I "http://127.0.0.1:$MP/metrics")" 200
big=$(head -c 12000 /dev/zero | tr '\0' a)
c=$(code -H "X-Big: $big" "http://127.0.0.1:$MP/metrics")
tl_check "a request with 12 kB of headers is refused (HTTP $c)" test "$c" != 200
tl_eq "... and /metrics still answers afterwards" "$(code "http://127.0.0.1:$MP/metrics")" 200

# --- reloads ------------------------------------------------------------------------------
kill -HUP "$TANDEMD_PID"
tl_check "SIGHUP: reloads{result=ok} becomes 1" wait_metric r1 'tandem_config_reloads_total{result="ok"}' 1
tl_eq "SIGHUP: generation 2" "$(m r1 tandem_config_generation)" 2
cp "$CONF" "$TL_TMP/good.conf"
sed -i 's/^\[general\]$/[general]\nno_such_key = 1/' "$CONF"
kill -HUP "$TANDEMD_PID"
tl_check "a reload with an error: reloads{result=failed} becomes 1" \
	wait_metric r2 'tandem_config_reloads_total{result="failed"}' 1
tl_eq "... the generation stays 2" "$(m r2 tandem_config_generation)" 2
tl_eq "... reloads{result=ok} stays 1" "$(m r2 'tandem_config_reloads_total{result="ok"}')" 1
check_format r2
MP2=$(tl_port)
sed "s/^metrics_listen = .*/metrics_listen = 127.0.0.1:$MP2/" "$TL_TMP/good.conf" >"$CONF"
kill -HUP "$TANDEMD_PID"
tl_check "a reload that moves metrics_listen applies the rest (reloads ok 2)" \
	wait_metric r3 'tandem_config_reloads_total{result="ok"}' 2
tl_check "... and logs that metrics_listen needs a restart" \
	grep -q 'metrics_listen requires restart' "$TANDEMD_LOG"
tl_eq "... while the metrics stay on the running port" \
	"$(code "http://127.0.0.1:$MP/metrics"),$(code "http://127.0.0.1:$MP2/metrics")" "200,000"

# --- a port already taken: tandemd does not start ---------------------------------------------
cp "$TL_TMP/good.conf" "$CONF"   # back to the running port, for the second instance
ON_CTL=$TL_CTL
unset TL_SIP_PORT TL_TRUNK_PORT
TL_EXTRA="metrics_listen = 127.0.0.1:$MP" TL_ROUTES="9 = trunk1" tl_conf "$TL_TMP/busy"
TL_CTL=$ON_CTL
timeout 15 "$TANDEMD" -f -c "$TL_TMP/busy/tandem.conf" >"$TL_TMP/busy.log" 2>&1; rc=$?
tl_eq "a second tandemd on the same metrics port exits 1" "$rc" 1
tl_check "... saying it cannot serve metrics there" \
	grep -q "cannot serve metrics on 127.0.0.1:$MP: Address already in use" "$TL_TMP/busy.log"

tl_stop_tandemd; tl_eq "on: tandemd exits 0" "$?" 0
tl_done
