#!/usr/bin/env bash
# cps.sh - calls per second through tandemd (a benchmark, not a test).
#
#   tests/bench/cps.sh [-b BUILDDIR] [-s SECONDS] [-d HOLD_MS] [-r "RATE RATE ..."]
#
# Starts tandemd on loopback with one trunk (a sipp carrier that answers every
# call at once) and, for each rate in turn, places RATE calls per second for
# SECONDS seconds with sipp: INVITE, 200, ACK, HOLD_MS of call (default 0),
# BYE. A rate passes when fewer than 1% of its calls fail (sipp's count of
# failed calls, plus calls that never completed) and the calls really went at
# >= 95% of that rate (sipp on the same box may not keep up). Stops at the
# first rate that fails and reports the highest one that passed, with
# tandemd's CPU time per call. No media flows (each call still gets its RTP
# ports). Both sipps share the machine with tandemd: the figure is a floor.
#
# Needs sipp (sip-tester), jq, a build with src/tandemd and modules/.
set -u
here=$(cd "$(dirname "$0")" && pwd)
srcdir=${srcdir:-$(cd "$here/../.." && pwd)}
builddir=${builddir:-$srcdir/build}
secs=10 hold=0 rates="50 100 200 400 800 1200 1600 2000 2500 3000 4000 5000"
while getopts b:s:d:r: o; do
	case $o in
	b) builddir=$OPTARG ;;
	s) secs=$OPTARG ;;
	d) hold=$OPTARG ;;
	r) rates=$OPTARG ;;
	*) exit 2 ;;
	esac
done
builddir=$(cd "$builddir" && pwd) || { echo "no build dir"; exit 2; }
export srcdir builddir
. "$srcdir/tests/lib/testlib.sh"
tl_tmp
. "$srcdir/tests/sip/siplib.sh"
command -v "$SIPP" >/dev/null || { echo "cps.sh: sipp not found (apt-get install sip-tester)"; exit 2; }

TL_SIP_PORT=$(tl_port)
TL_TRUNK_PORT=$(tl_port)
TL_LOG_LEVEL=warn TL_ROUTES="9 = trunk1" tl_conf "$TL_TMP/conf"
fix_rtp_range "$TL_TMP/conf/tandem.conf" 8000
tl_start_tandemd "$TL_TMP/conf/tandem.conf" || { echo "tandemd did not start"; exit 1; }

# CPU time (user+system) of tandemd in milliseconds
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / hz)}' "/proc/$TANDEMD_PID/stat"; }

printf '%-8s %8s %8s %8s %8s %8s %10s %12s\n' RATE CALLS OK FAILED FAIL% "WALL s" "ACHIEVED" "CPU ms/call"
best=0
for rate in $rates; do
	n=$(( rate * secs ))
	SIPP_PORT=$TL_TRUNK_PORT SIPP_TIMEOUT=$(( secs * 3 + 30 )) sipp_bg "uas-$rate" uas_load.xml \
		-m "$n" -max_socket 1000 >/dev/null || { echo "carrier sipp did not start"; break; }
	uas=$SIPP_PID
	c0=$(cpu_ms)
	t0=$(date +%s%N)
	SIPP_TIMEOUT=$(( secs * 3 + 30 )) SIPP_RECV_TIMEOUT=5000 sipp_fg "uac-$rate" uac_cps.xml \
		"127.0.0.1:$TL_SIP_PORT" -s 9123456 -m "$n" -r "$rate" -d "$hold" -l $(( rate * 5 + 100 ))
	wall=$(awk -v ms="$(elapsed_ms "$t0")" 'BEGIN{printf "%.1f", ms / 1000}')
	c1=$(cpu_ms)
	kill "$uas" 2>/dev/null; wait "$uas" 2>/dev/null
	scr="$TL_TMP/uac-$rate.screen"
	ok=$(awk -F'|' '/Successful call/ {gsub(/ /, "", $3); v=$3} END {print v + 0}' "$scr" 2>/dev/null)
	failed=$(( n - ${ok:-0} ))
	pct=$(awk -v f="$failed" -v n="$n" 'BEGIN{printf "%.2f", 100 * f / n}')
	per=$(awk -v c=$(( c1 - c0 )) -v n="${ok:-0}" 'BEGIN{printf "%.3f", n ? c / n : 0}')
	got=$(awk -v n="${ok:-0}" -v w="$wall" 'BEGIN{printf "%.0f", (w > 0 ? n / w : 0)}')
	printf '%-8s %8s %8s %8s %8s %8s %10s %12s\n' "$rate" "$n" "${ok:-0}" "$failed" "$pct" "$wall" "$got/s" "$per"
	if awk -v p="$pct" -v g="$got" -v r="$rate" 'BEGIN{exit !(p < 1 && g >= 0.95 * r)}'; then
		best=$rate
	else
		break
	fi
	# let the BYE transactions of this rate finish before the next one
	for i in $(seq 1 100); do
		[ "$(tl_ctl --json status | jq -r .sip.calls_active)" = 0 ] && break
		sleep 0.1
	done
done
echo "highest rate with < 1% failed calls: $best calls/s (${secs} s per rate, ${hold} ms calls)"
tl_stop_tandemd >/dev/null
