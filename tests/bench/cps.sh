#!/usr/bin/env bash
# cps.sh - calls per second through tandemd (a benchmark, not a test).
#
#   tests/bench/cps.sh [-b BUILDDIR] [-m] [-s SECONDS] [-d HOLD_MS] [-r "RATE RATE ..."]
#
# Starts tandemd on loopback with one trunk (a sipp carrier that answers every
# call at once) and, for each rate in turn, places RATE calls per second for
# SECONDS seconds (default 10) with sipp: INVITE, 200, ACK, HOLD_MS of call,
# BYE. A rate passes when fewer than 1% of its calls fail (sipp's count of
# failed calls, plus calls that never completed) and the calls really went at
# >= 95% of that rate (sipp on the same box may not keep up). Stops at the
# first rate that fails and reports the highest one that passed, with
# tandemd's CPU time per call.
#
# Without -m no media flows (each call still gets its RTP ports) and calls
# last HOLD_MS (default 0).
#
# With -m every call carries RTP both ways through tandemd for its whole
# length (HOLD_MS, default 5000), so RATE * HOLD_MS / 1000 calls are up at
# once: tests/bench/rtpload (built by `make check TESTS=`) plays the phones of
# both ends, one UDP socket per call and end, one 172-byte PCMU packet every
# 20 ms each way ((HOLD_MS - 100) / 20 per call and direction, so that the
# last ones arrive before the BYE). The sipp scenarios (uac_cps_media.xml,
# uas_cps_media.xml, here) tell it each call's addresses through their log
# files. A rate then also needs < 1% RTP loss in each direction. Reported per
# rate: packets sent and received by the phones, tandemd's packets_relayed
# (each packet is relayed once: caller -> carrier or carrier -> caller) against
# what the phones sent and against the nominal calls * HOLD_MS/20 * 2, and
# tandemd's CPU split between its media threads (per relayed packet) and the
# rest (SIP, control; per call). Up to 2,500 calls at once (rtpload's sockets
# follow sipp's [auto_media_port], which wraps after 2,500 calls).
#
# Both sipps and the phones share the machine with tandemd: the figures are a
# floor. The generators run at nice -10 when allowed (root; CPS_NICE=N sets
# another value, 0 none), so that on a busy machine tandemd is what runs
# short of CPU, not them. CPU% is the CPU
# that tandemd and the generators used during the rate, as a share of all the
# machine's cores (averaged over the rate, ramp-up and tail included).
#
# Needs sipp (sip-tester), jq, a build with src/tandemd and modules/ (and
# tests/bench/rtpload for -m).
set -u
here=$(cd "$(dirname "$0")" && pwd)
srcdir=${srcdir:-$(cd "$here/../.." && pwd)}
builddir=${builddir:-$srcdir/build}
secs=10 hold='' media=0 rates=''
while getopts b:ms:d:r: o; do
	case $o in
	b) builddir=$OPTARG ;;
	m) media=1 ;;
	s) secs=$OPTARG ;;
	d) hold=$OPTARG ;;
	r) rates=$OPTARG ;;
	*) exit 2 ;;
	esac
done
if [ $media = 1 ]; then
	hold=${hold:-5000}
	rates=${rates:-"50 100 150 175 200 225 250 300 350 400"}
else
	hold=${hold:-0}
	rates=${rates:-"50 100 200 400 800 1200 1600 2000 2500 3000 4000 5000"}
fi
builddir=$(cd "$builddir" && pwd) || { echo "no build dir"; exit 2; }
export srcdir builddir
. "$srcdir/tests/lib/testlib.sh"
tl_tmp
. "$srcdir/tests/sip/siplib.sh"
command -v "$SIPP" >/dev/null || { echo "cps.sh: sipp not found (apt-get install sip-tester)"; exit 2; }
command -v jq >/dev/null || { echo "cps.sh: jq not found"; exit 2; }
RTPLOAD="$builddir/tests/bench/rtpload"
[ $media = 0 ] || [ -x "$RTPLOAD" ] || { echo "cps.sh: $RTPLOAD missing (make check TESTS=)"; exit 2; }
ulimit -n "$(ulimit -Hn)" 2>/dev/null

# sipp without per-message traces (they would cost more than tandemd does):
# the screen at the end for the counts, errors, and for -m the log actions.
# The generators (both sipps, rtpload) run at a higher priority than tandemd
# when we may (root): on a busy 2-core box a rate should then fail because
# tandemd could not keep up with the CPU left to it rather than because a
# generator was starved (LATE% shows how late rtpload sent nonetheless).
NICE=()
gen_nice=${CPS_NICE:--10}
[ "$gen_nice" != 0 ] && nice -n "$gen_nice" true 2>/dev/null && NICE=(nice -n "$gen_nice")

# sipp_cmd NAME XML PORT ARGS... sets SIPP_CMD.
sipp_cmd() {
	local name=$1 xml=$2 port=$3; shift 3
	SIPP_CMD=("${NICE[@]}" "$SIPP" -i 127.0.0.1 -p "$port" -mi 127.0.0.1 -cp "$(tl_port)" -nostdin -skip_rlimit
		-timeout "$(( secs * 3 + hold / 1000 + 30 ))s" -timeout_error
		-trace_err -error_file "$TL_TMP/$name.err"
		-trace_screen -screen_file "$TL_TMP/$name.screen"
		-sf "$xml" "$@")
}

# RTP ports for tandemd: a block in the kernel's ephemeral range, which only
# tandemd binds to explicitly here (its pool skips a port that is busy).
rtp_size=$(( media ? 20000 : 8000 ))
rtp_lo=34000

# CPU (ms) of this script's finished children: the sipps, rtpload, the
# status polls (bash's `times`, which is precise; /proc/stat in a VM is
# sampled at ticks and misses short bursts). Sets GEN_MS.
gen_ms() {
	times >"$TL_TMP/times"
	GEN_MS=$(awk 'NR == 2 {
		t = 0
		for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); t += a[1] * 60000 + a[2] * 1000 }
		printf "%d", t }' "$TL_TMP/times")
}
ncpu=$(nproc)
# How much of the machine is free before we start: one busy loop per CPU at
# SCHED_IDLE priority for a second gets only what nothing else wants.
idle_check() {
	local pids=() i before
	command -v chrt >/dev/null || return 0
	gen_ms; before=$GEN_MS
	for i in $(seq 1 "$ncpu"); do
		chrt -i 0 timeout 1 bash -c 'while :; do :; done' &
		pids+=($!)
	done
	wait "${pids[@]}"
	gen_ms
	i=$(( (GEN_MS - before) / (10 * ncpu) ))
	echo "machine: $ncpu CPUs, ${i}% idle before the run$([ "$i" -lt 90 ] &&
		echo " (other work is running: expect lower figures than on an idle machine)")"
}
idle_check

TL_SIP_PORT=$(tl_port)
TL_TRUNK_PORT=$(tl_port)
TL_LOG_LEVEL=warn TL_ROUTES="9 = trunk1" tl_conf "$TL_TMP/conf"
sed -i -E "s/^rtp_port_min[[:space:]]*=.*/rtp_port_min = $rtp_lo/; s/^rtp_port_max[[:space:]]*=.*/rtp_port_max = $((rtp_lo + rtp_size - 1))/" \
	"$TL_TMP/conf/tandem.conf"
tl_start_tandemd "$TL_TMP/conf/tandem.conf" || { echo "tandemd did not start"; exit 1; }

# tandemd's CPU (utime + stime) in clock ticks: "ALL MEDIA", MEDIA being
# that of its media worker threads (tmedia-w*)
cpu_ticks() {
	local t med=0 line comm
	for t in /proc/"$TANDEMD_PID"/task/*; do
		read -r line <"$t/stat" 2>/dev/null || continue
		comm=${line#*(}; comm=${comm%)*}
		# shellcheck disable=SC2086
		set -- ${line##*) }
		case $comm in tmedia-w*) med=$(( med + ${12} + ${13} )) ;; esac
	done
	read -r line <"/proc/$TANDEMD_PID/stat"
	# shellcheck disable=SC2086
	set -- ${line##*) }
	echo "$(( ${12} + ${13} )) $med"
}
hz=$(getconf CLK_TCK)
status() { tl_ctl --json status; }
# the kernel's UDP counters (whole machine): "NOPORTS RCVBUFERRORS"
udp_errs() { awk '/^Udp: [0-9]/ {print $3, $6}' /proc/net/snmp; }
wait_idle() {
	for _ in $(seq 1 150); do
		[ "$(status | jq -r .sip.calls_active)" = 0 ] && return 0
		sleep 0.1
	done
	return 1
}

watch_peak() {
	local peak=0 v
	while :; do
		v=$(status 2>/dev/null | jq -r '.media.sessions // 0')
		[ "${v:-0}" -gt "$peak" ] && peak=$v && echo "$peak" >"$1"
		sleep 1
	done
}

# rtpload's sockets: callers at MP+1000+4k, carrier at MP+1010+4k (sipp's
# [auto_media_port+1000] with -mp MP and MP+10): 10,010 ports below the
# ephemeral range, away from tl_port's 12000-17998.
start_rtpload() {
	local name=$1 npk=$2 mp
	for mp in 19000 21000 20000 19500 20500; do
		if ss -Hlun | awk '{n=split($4,a,":"); print a[n]}' |
			awk -v lo=$(( mp + 1000 )) -v hi=$(( mp + 11010 )) '$1 >= lo && $1 <= hi {f=1} END {exit !f}'; then
			continue
		fi
		rm -f "$TL_TMP/$name.ready"
		tl_bg "${NICE[@]}" "$RTPLOAD" -a "$(( mp + 1000 )):$TL_TMP/$name-a.sipplog" \
			-b "$(( mp + 1010 )):$TL_TMP/$name-b.sipplog" -n "$npk" \
			-r "$TL_TMP/$name.ready" -v >"$TL_TMP/$name.rtpload" 2>&1
		RTPLOAD_PID=$TL_LAST_PID RTPLOAD_MP=$mp
		wait_file "$TL_TMP/$name.ready" 100 && return 0
		kill "$RTPLOAD_PID" 2>/dev/null; wait "$RTPLOAD_PID" 2>/dev/null
	done
	echo "cps.sh: no free ports for rtpload:"; cat "$TL_TMP/$name.rtpload"
	return 1
}
rl() { grep '^a_calls=' "$RTPLOAD_OUT" | sed -n -E "s/.*(^| )$1=([^ ]*).*/\2/p"; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", (b > 0) ? 100 * a / b : 0}'; }

npk=$(( (hold - 100) / 20 ))
if [ $media = 1 ]; then
	[ "$npk" -ge 1 ] || { echo "cps.sh: -m needs -d of at least 120 ms"; exit 2; }
	printf '%-5s %6s %6s %6s %6s %7s | %9s %9s %6s %6s %6s %9s | %6s %7s %7s %5s\n' \
		RATE CALLS OK FAIL% "CPS" "PEAK" "RTP_SENT" "RELAYED" "LOSSab" "LOSSba" "SHORT" \
		"NOMINAL" "LATE%" "ms/call" "us/pkt" "CPU%"
else
	printf '%-8s %8s %8s %8s %8s %8s %10s %12s %6s\n' RATE CALLS OK FAILED FAIL% "WALL s" "ACHIEVED" "CPU ms/call" "CPU%"
fi
best=0
for rate in $rates; do
	n=$(( rate * secs ))
	if [ $media = 1 ] && [ $(( rate * (hold + 1000) / 1000 )) -gt 2500 ]; then
		echo "rate $rate: more than 2,500 calls at once, beyond rtpload; stopping"
		break
	fi
	uas_args=(-m "$n" -max_socket 1000) uac_extra=()
	uas_xml=$SCEN/uas_load.xml uac_xml=$SCEN/uac_cps.xml
	if [ $media = 1 ]; then
		start_rtpload "r$rate" "$npk" || break
		uas_xml=$here/uas_cps_media.xml uac_xml=$here/uac_cps_media.xml
		uas_args+=(-mp $(( RTPLOAD_MP + 10 )) -trace_logs -log_file "$TL_TMP/r$rate-b.sipplog")
		uac_extra=(-mp "$RTPLOAD_MP" -trace_logs -log_file "$TL_TMP/r$rate-a.sipplog")
	fi
	sipp_cmd "uas-$rate" "$uas_xml" "$TL_TRUNK_PORT" "${uas_args[@]}"
	tl_bg "${SIPP_CMD[@]}" >"$TL_TMP/uas-$rate.log" 2>&1 </dev/null
	uas=$TL_LAST_PID
	for _ in $(seq 1 50); do
		ss -Hlnu "sport = :$TL_TRUNK_PORT" | grep -q . && break
		sleep 0.1
	done
	if [ $media = 1 ]; then
		# the most media sessions up at once, sampled every second
		tl_bg watch_peak "$TL_TMP/peak-$rate"
		watch=$TL_LAST_PID
	fi
	s0=$(status); read -r c0 m0 <<<"$(cpu_ticks)"; gen_ms; g0=$GEN_MS
	read -r np0 rb0 <<<"$(udp_errs)"
	t0=$(date +%s%N)
	sipp_cmd "uac-$rate" "$uac_xml" "$(tl_port)" "127.0.0.1:$TL_SIP_PORT" -s 9123456 \
		-m "$n" -r "$rate" -d "$hold" -l $(( rate * (hold / 1000 + 5) + 100 )) \
		-recv_timeout 5000 "${uac_extra[@]}"
	"${SIPP_CMD[@]}" >"$TL_TMP/uac-$rate.log" 2>&1 </dev/null
	wall_ms=$(elapsed_ms "$t0")
	wait_idle    # the BYE transactions of this rate finish before the next one
	s1=$(status); read -r c1 m1 <<<"$(cpu_ticks)"
	read -r np1 rb1 <<<"$(udp_errs)"
	kill "$uas" 2>/dev/null; wait "$uas" 2>/dev/null
	if [ $media = 1 ]; then
		kill "$RTPLOAD_PID" "$watch" 2>/dev/null; wait "$RTPLOAD_PID" "$watch" 2>/dev/null
	fi
	gen_ms
	t1=$(date +%s%N)
	ok=$(awk -F'|' '/Successful call/ {gsub(/ /, "", $3); v=$3} END {print v + 0}' "$TL_TMP/uac-$rate.screen" 2>/dev/null)
	ok=${ok:-0}
	failed=$(( n - ok ))
	fpct=$(pct "$failed" "$n")
	# calls were placed over the wall time minus one call length
	got=$(awk -v n="$ok" -v w="$wall_ms" -v h="$hold" 'BEGIN{w -= h; printf "%.0f", (w > 0 ? n * 1000 / w : 0)}')
	# the machine's CPU used by tandemd and by the generators
	box=$(pct $(( (c1 - c0) * 1000 / hz + GEN_MS - g0 )) $(( (t1 - t0) * ncpu / 1000000 )))
	# CPU per call: all of tandemd's without media; with media, that of its
	# threads other than the media workers (SIP, control)
	other=$(( c1 - c0 - (media ? m1 - m0 : 0) ))
	per_call=$(awk -v c="$other" -v n="$ok" -v hz="$hz" 'BEGIN{printf "%.3f", n ? c * 1000 / hz / n : 0}')
	pass=$(awk -v p="$fpct" -v g="$got" -v r="$rate" 'BEGIN{print (p < 1 && g >= 0.95 * r) ? 1 : 0}')
	if [ $media = 0 ]; then
		printf '%-8s %8s %8s %8s %8s %8s %10s %12s %6s\n' "$rate" "$n" "$ok" "$failed" "$fpct" \
			"$(awk -v ms="$wall_ms" 'BEGIN{printf "%.1f", ms / 1000}')" "$got/s" "$per_call" "$box"
	else
		RTPLOAD_OUT="$TL_TMP/r$rate.rtpload"
		as=$(rl a_sent) ar=$(rl a_recv) bs=$(rl b_sent) br=$(rl b_recv)
		atx=$(rl a_tx) btx=$(rl b_tx)
		sent=$(( ${as:-0} + ${bs:-0} ))
		relayed=$(( $(jq -r .media.packets_relayed <<<"$s1") - $(jq -r .media.packets_relayed <<<"$s0") ))
		dropped=$(( $(jq -r .media.packets_dropped <<<"$s1") - $(jq -r .media.packets_dropped <<<"$s0") ))
		# loss per direction: of what the phones tried to send (a packet
		# send() refused after an ICMP error from a closed port is lost too)
		lab=$(pct $(( ${atx:-0} - ${br:-0} )) "${atx:-0}")
		lba=$(pct $(( ${btx:-0} - ${ar:-0} )) "${btx:-0}")
		short=$(( $(rl a_short) + $(rl b_short) ))
		late=$(pct "$(rl late_pkts)" "$sent")
		nominal=$(( n * hold * 2 / 20 ))
		us_pkt=$(awk -v c=$(( m1 - m0 )) -v p="$relayed" -v hz="$hz" 'BEGIN{printf "%.2f", p ? c * 1e6 / hz / p : 0}')
		peak=$(cat "$TL_TMP/peak-$rate" 2>/dev/null || echo 0)
		printf '%-5s %6s %6s %6s %6s %7s | %9s %9s %6s %6s %6s %9s | %6s %7s %7s %5s\n' \
			"$rate" "$n" "$ok" "$fpct" "$got" "$peak" "$sent" "$relayed" "$lab" "$lba" \
			"$short" "$nominal" "$late" "$per_call" "$us_pkt" "$box"
		echo "      rtpload: $(grep '^a_calls=' "$RTPLOAD_OUT")"
		# a few of the calls that got < 95% of their packets, if any
		grep '^short:' "$RTPLOAD_OUT" | head -n 4 | sed 's/^/      /'
		echo "      tandemd: relayed/sent $(pct "$relayed" "$sent")%, relayed/nominal $(pct "$relayed" "$nominal")%," \
			"dropped $dropped, CPU $(( (c1 - c0) * 1000 / hz )) ms (media threads $(( (m1 - m0) * 1000 / hz )) ms)"
		# NoPorts: datagrams to a closed port (RTP sent after its call ended);
		# RcvbufErrors: a full socket buffer (a receiver fell behind)
		echo "      kernel (whole machine): UDP to closed ports +$(( np1 - np0 )), receive buffer overflows +$(( rb1 - rb0 ))"
		pass=$(awk -v p="$pass" -v a="$lab" -v b="$lba" -v s="$sent" 'BEGIN{print (p && a < 1 && b < 1 && s > 0) ? 1 : 0}')
	fi
	if [ "$pass" = 1 ]; then
		best=$rate
	else
		break
	fi
done
if [ $media = 1 ]; then
	echo "highest rate with < 1% failed calls and < 1% RTP loss: $best calls/s" \
		"(${secs} s per rate, ${hold} ms calls with RTP both ways)"
else
	echo "highest rate with < 1% failed calls: $best calls/s (${secs} s per rate, ${hold} ms calls)"
fi
tl_stop_tandemd >/dev/null
