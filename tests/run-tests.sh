#!/usr/bin/env bash
# Run the test suite from tests/TESTS, tier by tier, and end with
# "N passed, M failed".
#
#   tests/run-tests.sh [-b BUILDDIR] [-t TIERS] [-k REGEX] [-l LOGDIR]
#     -b  build directory (default: build)
#     -t  comma-separated tiers (default: fast,slow,load,browser)
#     -k  only tests whose name matches REGEX
#     -l  where each test's output goes (default: BUILDDIR/test-logs)
#
# Counting: a Check program counts its checks ("NN%: Checks: X, Failures: Y,
# Errors: Z"); a script that prints "RESULT passed=N failed=M" counts those;
# anything else counts as one test, passed when it exits 0. A non-zero exit
# or a timeout always counts as at least one failure.
set -u
srcdir=$(cd "$(dirname "$0")/.." && pwd)
builddir=build
tiers=fast,slow,load,browser
filter=.
logdir=
while getopts b:t:k:l: o; do
	case $o in
	b) builddir=$OPTARG ;;
	t) tiers=$OPTARG ;;
	k) filter=$OPTARG ;;
	l) logdir=$OPTARG ;;
	*) exit 2 ;;
	esac
done
builddir=$(cd "$builddir" && pwd) || { echo "no build dir"; exit 2; }
logdir=${logdir:-$builddir/test-logs}
mkdir -p "$logdir"
export srcdir builddir

# Stated time budget per tier (seconds); a tier over budget is reported.
declare -A tier_budget=([fast]=300 [slow]=600 [load]=300 [browser]=300)
declare -A tier_time=()
total_pass=0 total_fail=0
failed_names=()

run_one() { # tier budget name cmd...
	local tier=$1 budget=$2 name=$3; shift 3
	local log="$logdir/${name//\//_}.log" start end rc p=0 f=0 line
	start=$(date +%s.%N)
	( cd "$builddir" && exec timeout -k 5 "$budget" bash -c "$*" ) >"$log" 2>&1 </dev/null
	rc=$?
	end=$(date +%s.%N)
	local dt; dt=$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.1f", b-a}')
	tier_time[$tier]=$(awk -v a="${tier_time[$tier]:-0}" -v b="$dt" 'BEGIN{printf "%.1f", a+b}')
	if line=$(grep -E '^[0-9]+%: Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+' "$log" | tail -1) && [ -n "$line" ]; then
		local c fl e
		c=$(sed -E 's/.*Checks: ([0-9]+).*/\1/' <<<"$line")
		fl=$(sed -E 's/.*Failures: ([0-9]+).*/\1/' <<<"$line")
		e=$(sed -E 's/.*Errors: ([0-9]+).*/\1/' <<<"$line")
		f=$((fl + e)); p=$((c - f))
	elif line=$(grep -E '^RESULT passed=[0-9]+ failed=[0-9]+' "$log" | tail -1) && [ -n "$line" ]; then
		p=$(sed -E 's/.*passed=([0-9]+).*/\1/' <<<"$line")
		f=$(sed -E 's/.*failed=([0-9]+).*/\1/' <<<"$line")
	elif [ $rc -eq 0 ]; then
		p=1
	fi
	if [ $rc -ne 0 ] && [ $f -eq 0 ]; then f=1; fi
	local status=PASS
	[ $f -gt 0 ] && status=FAIL
	[ $rc -eq 124 ] || [ $rc -eq 137 ] && status="FAIL (timeout ${budget}s)"
	printf '%-6s %-28s %4d passed %3d failed  %6ss  [%s]\n' "${status%% *}" "$name" "$p" "$f" "$dt" "$tier"
	if [ $f -gt 0 ]; then
		failed_names+=("$name")
		echo "------ last lines of $log ($status, exit $rc)"
		tail -n 25 "$log" | sed 's/^/    /'
		echo "------"
	fi
	total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
}

IFS=, read -r -a want <<<"$tiers"
for tier in "${want[@]}"; do
	echo "== tier $tier (budget ${tier_budget[$tier]:-?}s)"
	while read -r t budget name cmd; do
		case "$t" in ''|\#*) continue ;; esac
		[ "$t" = "$tier" ] || continue
		[[ "$name" =~ $filter ]] || continue
		run_one "$t" "$budget" "$name" "$cmd"
	done <"$srcdir/tests/TESTS"
	used=${tier_time[$tier]:-0}
	echo "== tier $tier took ${used}s of its ${tier_budget[$tier]:-?}s budget"
	if awk -v u="$used" -v b="${tier_budget[$tier]:-0}" 'BEGIN{exit !(u>b)}'; then
		echo "WARNING: tier $tier is over its budget"
	fi
done
if [ ${#failed_names[@]} -gt 0 ]; then
	echo "failed: ${failed_names[*]}"
fi
echo "$total_pass passed, $total_fail failed"
[ $total_fail -eq 0 ]
