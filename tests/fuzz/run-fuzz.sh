#!/usr/bin/env bash
# Build every tests/fuzz/fuzz_*.c with clang's libFuzzer (+ASan/UBSan), replay
# its seed corpus, then fuzz for a bounded time. Ends with "N passed, M failed"
# (one test per target: built, replayed and fuzzed without a crash).
#
#   tests/fuzz/run-fuzz.sh [-o OUTDIR] [-s SECONDS] [-k REGEX]
#
# A target declares what it links in its header:
#   /* fuzz-sources: src/core/config.c ... */   (paths from the repo root)
#   /* fuzz-pkgs: sofia-sip-ua libevent */      (pkg-config names, optional)
# New crashes land in OUTDIR/NAME/ as crash-* files: add them to the corpus
# once fixed, as regression inputs.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/build/fuzz secs=20 filter=.
while getopts o:s:k: o; do
	case $o in o) out=$OPTARG ;; s) secs=$OPTARG ;; k) filter=$OPTARG ;; *) exit 2 ;; esac
done
mkdir -p "$out" && out=$(cd "$out" && pwd)
cat >"$out/config.h" <<H
#define _GNU_SOURCE 1
#define PACKAGE_VERSION "fuzz"
#define TANDEM_MODULEDIR "/nonexistent"
#define TANDEM_SYSCONFDIR "/nonexistent"
#define TANDEM_RUNSTATEDIR "/nonexistent"
H
pass=0 fail=0
for src in "$top"/tests/fuzz/fuzz_*.c; do
	[ -e "$src" ] || continue
	name=$(basename "$src" .c); name=${name#fuzz_}
	[[ "$name" =~ $filter ]] || continue
	sources=$(sed -n 's|.*fuzz-sources:\(.*\)\*/.*|\1|p' "$src" | head -1)
	pkgs=$(sed -n 's|.*fuzz-pkgs:\(.*\)\*/.*|\1|p' "$src" | head -1)
	flags=""
	# shellcheck disable=SC2086
	[ -n "${pkgs// /}" ] && flags=$(pkg-config --cflags --libs $pkgs)
	srcs=()
	for f in $sources; do srcs+=("$top/$f"); done
	bin=$out/fuzz_$name
	# shellcheck disable=SC2086
	if ! clang -g -O1 -std=c11 -fsanitize=fuzzer,address,undefined -include "$out/config.h" \
		-I"$out" -I"$top/include" -I"$top/src" "$src" "${srcs[@]}" $flags -lm -lpthread \
		-o "$bin" >"$out/$name.build.log" 2>&1; then
		echo "FAIL   fuzz/$name: does not build"; sed 's/^/    /' "$out/$name.build.log" | tail -20
		fail=$((fail + 1)); continue
	fi
	corpus=$top/tests/fuzz/corpus/$name
	work=$out/$name; mkdir -p "$work/corpus"
	[ -d "$corpus" ] && cp -r "$corpus"/. "$work/corpus/" 2>/dev/null
	if ( cd "$work" && "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=0 corpus ) >"$out/$name.log" 2>&1; then
		execs=$(grep -oE 'Done [0-9]+ runs' "$out/$name.log" | tail -1)
		echo "PASS   fuzz/$name (${execs:-ran} in ${secs}s)"; pass=$((pass + 1))
	else
		echo "FAIL   fuzz/$name: crash or leak; see $out/$name.log"
		grep -E 'ERROR|SUMMARY|==[0-9]+==' "$out/$name.log" | head -10 | sed 's/^/    /'
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
