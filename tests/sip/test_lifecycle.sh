#!/usr/bin/env bash
# test_lifecycle.sh - tandemd's life: -t, start, status, reload (SIGHUP and
# tandemctl), a refused second instance, SIGTERM, and a module with the wrong ABI.
# Needs: jq.
. "$srcdir/tests/lib/testlib.sh"
tl_tmp

jstatus() { tl_ctl --json status | jq -r "$1"; }

# Wait up to $2 tenths of a second for "jstatus $1" to print $3.
wait_status() {
	local i v=
	for i in $(seq 1 "$2"); do
		v=$(jstatus "$1" 2>/dev/null)
		[ "$v" = "$3" ] && break
		sleep 0.1
	done
	echo "$v"
}

# Put KEY = VALUE in place of any KEY line in FILE's [general] (or add it there).
set_general() {
	local f=$1 key=$2 val=$3
	sed -i -E "/^[[:space:]]*${key}[[:space:]]*=/d" "$f"
	sed -i -E "s|^\[general\][[:space:]]*$|[general]\n$key = $val|" "$f"
}

# --- tandemd -t on the shipped configuration --------------------------------
shipped="$TL_TMP/shipped"
if [ -f "$srcdir/conf/tandem.conf" ]; then
	cp -r "$srcdir/conf" "$shipped"
	# The shipped file names the installed module directory; use the build's.
	set_general "$shipped/tandem.conf" modules_dir "$builddir/modules"
	out=$("$TANDEMD" -t -c "$shipped/tandem.conf" 2>"$TL_TMP/t.err"); rc=$?
	tl_eq "tandemd -t on the shipped conf/ exits 0" "$rc" 0
	[ $rc -ne 0 ] && sed 's/^/    /' "$TL_TMP/t.err"
	tl_check "tandemd -t prints the effective configuration ([general], [media], [calls], [routes])" \
		bash -c 'for s in general media calls routes; do grep -q "^\\[$s\\]" <<<"$1" || exit 1; done' _ "$out"
	tl_check "the printed configuration has every [general] key, e.g. media_workers and control_socket" \
		bash -c 'grep -Eq "^media_workers[[:space:]]*=" <<<"$1" && grep -Eq "^control_socket[[:space:]]*=" <<<"$1"' _ "$out"
	tl_check "tandemd -t says the configuration is OK" grep -q 'configuration OK' "$TL_TMP/t.err"
else
	tl_fail "conf/tandem.conf is missing from the source tree"
fi

# --- tandemd -t on a broken file: file:line: message, exit 1 ----------------
cat >"$TL_TMP/broken.conf" <<'EOF'
[general]
log_level = info
log_levl = debug
media_workers = lots
EOF
"$TANDEMD" -t -c "$TL_TMP/broken.conf" >"$TL_TMP/b.out" 2>&1; rc=$?
tl_eq "tandemd -t on a broken file exits 1" "$rc" 1
tl_check "the unknown key is reported as broken.conf:3: ..." grep -q 'broken.conf:3: ' "$TL_TMP/b.out"
tl_check "the bad value on the next line is reported too (broken.conf:4: ...)" \
	grep -q 'broken.conf:4: ' "$TL_TMP/b.out"
grep -q 'broken.conf:3: ' "$TL_TMP/b.out" || sed 's/^/    /' "$TL_TMP/b.out"

# --- start, status ------------------------------------------------------------
conf="$TL_TMP/c1"
tl_conf "$conf"
cp "$conf/tandem.conf" "$conf/tandem.conf.good"
if ! tl_start_tandemd "$conf/tandem.conf"; then
	tl_fail "tandemd starts on a test configuration"
	tl_done
fi
tl_ok "tandemd starts on a test configuration"

tl_ctl status >"$TL_TMP/status.txt"; rc=$?
tl_eq "tandemctl status exits 0" "$rc" 0
tl_check "tandemctl status (human) shows the generation" grep -Eq 'generation:[[:space:]]+1' "$TL_TMP/status.txt"
json=$(tl_ctl --json status)
tl_check "tandemctl --json status is one JSON object with ok=true" \
	bash -c 'jq -e ".ok == true" <<<"$1" >/dev/null' _ "$json"
tl_eq "status: config generation is 1" "$(jq -r .config.generation <<<"$json")" 1
tl_eq "status: pid is tandemd's" "$(jq -r .pid <<<"$json")" "$TANDEMD_PID"
tl_check "status: modules list has mod_g711 (name g711)" \
	bash -c 'jq -e "[.modules[].name] | any(test(\"g711\"))" <<<"$1" >/dev/null' _ "$json"
up1=$(jq -r .uptime_s <<<"$json")
sleep 1.2
up2=$(jstatus .uptime_s)
tl_check "status: uptime_s is a number that grows ($up1 -> $up2)" \
	bash -c '[[ "$1" =~ ^[0-9]+$ && "$2" =~ ^[0-9]+$ ]] && [ "$2" -gt "$1" ]' _ "$up1" "$up2"

# --- SIGHUP with a broken file keeps generation 1; a fixed file -> 2 ---------
set_general "$conf/tandem.conf" log_levl debug
bad_line=$(grep -n '^log_levl' "$conf/tandem.conf" | cut -d: -f1)
kill -HUP "$TANDEMD_PID"
gen=$(wait_status .config.reloads_failed 30 1)
tl_eq "SIGHUP with a broken file counts a failed reload" "$gen" 1
tl_eq "SIGHUP with a broken file keeps generation 1" "$(jstatus .config.generation)" 1
tl_check "the log names the error as tandem.conf:$bad_line: ..." \
	grep -q "tandem.conf:$bad_line: " "$TANDEMD_LOG"
tl_check "tandemd is still running after the failed reload" kill -0 "$TANDEMD_PID"

cp "$conf/tandem.conf.good" "$conf/tandem.conf"
kill -HUP "$TANDEMD_PID"
tl_eq "SIGHUP with the fixed file moves to generation 2" "$(wait_status .config.generation 30 2)" 2

# --- tandemctl reload with a broken file: exit 1 and the errors listed -------
set_general "$conf/tandem.conf" media_workers lots
bad_line=$(grep -n '^media_workers' "$conf/tandem.conf" | cut -d: -f1)
tl_ctl reload >"$TL_TMP/reload.out" 2>&1; rc=$?
tl_eq "tandemctl reload with a broken file exits 1" "$rc" 1
tl_check "tandemctl reload lists the error (tandem.conf:$bad_line: ...)" \
	grep -q "tandem.conf:$bad_line: " "$TL_TMP/reload.out"
[ $rc -ne 1 ] && sed 's/^/    /' "$TL_TMP/reload.out"
tl_eq "the failed tandemctl reload keeps generation 2" "$(jstatus .config.generation)" 2
cp "$conf/tandem.conf.good" "$conf/tandem.conf"
tl_ctl reload >/dev/null 2>&1; rc=$?
tl_eq "tandemctl reload with the fixed file exits 0" "$rc" 0
tl_eq "... and moves to generation 3" "$(jstatus .config.generation)" 3

# --- a second tandemd on the same control socket refuses --------------------
conf2="$TL_TMP/c2"
first_ctl=$TL_CTL first_sip=$TL_SIP_PORT
TL_SIP_PORT='' TL_TRUNK_PORT='' tl_conf "$conf2"
TL_CTL=$first_ctl
sed -i -E "s|^control_socket[[:space:]]*=.*|control_socket = $first_ctl|" "$conf2/tandem.conf"
timeout 10 "$TANDEMD" -f -c "$conf2/tandem.conf" >"$TL_TMP/second.log" 2>&1; rc=$?
tl_check "a second tandemd on the same control socket exits with an error (rc=$rc)" \
	test "$rc" -ne 0 -a "$rc" -ne 124
tl_check "... and says why (names the control socket)" grep -q "$first_ctl" "$TL_TMP/second.log"
[ "$rc" -eq 0 ] || [ "$rc" -eq 124 ] && sed 's/^/    /' "$TL_TMP/second.log"
tl_eq "the first tandemd still answers on its socket" "$(jstatus .pid)" "$TANDEMD_PID"
TL_SIP_PORT=$first_sip

# --- SIGUSR1 reopens the log file (logrotate moves it away first) -----------
logf="$TL_TMP/tandemd-file.log"
set_general "$conf/tandem.conf" log_file "$logf"
kill -HUP "$TANDEMD_PID"
sleep 0.3
mv "$logf" "$logf.1" 2>/dev/null
kill -USR1 "$TANDEMD_PID"
for _ in $(seq 1 30); do [ -s "$logf" ] && break; sleep 0.1; done
tl_check "SIGUSR1: a new log file is opened at log_file after logrotate moved the old one" \
	grep -q "log file reopened" "$logf"

# --- the open-file limit is raised at start and reported -----------------------
nofile=$(jstatus .open_files_limit)
tl_check "status reports the open-file limit tandemd runs with (${nofile:-none} >= 4096)" \
	test "${nofile:-0}" -ge 4096

# --- SIGTERM: exit 0 within 5 s ---------------------------------------------
start=$(date +%s%N)
kill -TERM "$TANDEMD_PID"
rc=
for _ in $(seq 1 50); do
	kill -0 "$TANDEMD_PID" 2>/dev/null || break
	sleep 0.1
done
if kill -0 "$TANDEMD_PID" 2>/dev/null; then
	tl_fail "tandemd exits within 5 s of SIGTERM"
else
	wait "$TANDEMD_PID"; rc=$?
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	tl_ok "tandemd exits within 5 s of SIGTERM (${ms} ms)"
	tl_eq "tandemd's exit code after SIGTERM" "$rc" 0
fi
tl_check "the control socket file is gone after exit" test ! -e "$first_ctl"

# --- a module with a mismatched ABI refuses to start ------------------------
bad_so=$(ls "$builddir"/tests/unit/mod_badabi.so 2>/dev/null)
if [ -z "$bad_so" ]; then
	tl_fail "tests/unit/mod_badabi.so is not built (make check TESTS=)"
else
	mdir="$TL_TMP/modules"
	mkdir -p "$mdir"
	cp "$builddir/modules/mod_g711.so" "$mdir/"
	cp "$bad_so" "$mdir/mod_bad.so"
	conf3="$TL_TMP/c3"
	TL_SIP_PORT='' TL_TRUNK_PORT='' tl_conf "$conf3"
	sed -i -E "s|^modules_dir[[:space:]]*=.*|modules_dir = $mdir|; s|^modules[[:space:]]*=.*|modules = mod_g711,mod_bad|" \
		"$conf3/tandem.conf"
	maj=$(sed -n -E 's/^#define TANDEM_MODULE_ABI_MAJOR ([0-9]+).*/\1/p' "$srcdir/include/tandem/module.h")
	min=$(sed -n -E 's/^#define TANDEM_MODULE_ABI_MINOR ([0-9]+).*/\1/p' "$srcdir/include/tandem/module.h")
	timeout 10 "$TANDEMD" -f -c "$conf3/tandem.conf" >"$TL_TMP/badabi.log" 2>&1; rc=$?
	tl_eq "tandemd with a module of another ABI major exits 1" "$rc" 1
	line=$(grep -F "$mdir/mod_bad.so" "$TL_TMP/badabi.log" | head -1)
	tl_check "the refusal names the module path ($mdir/mod_bad.so)" test -n "$line"
	tl_check "the refusal names both ABI versions (module $((maj + 1)).0, tandemd $maj.$min)" \
		bash -c 'grep -q "$2" <<<"$1" && grep -q "$3" <<<"$1"' _ "$line" "$((maj + 1))\.0" "$maj\.$min"
	[ -z "$line" ] && sed 's/^/    /' "$TL_TMP/badabi.log"
	timeout 10 "$TANDEMD" -t -c "$conf3/tandem.conf" >/dev/null 2>&1; rc=$?
	tl_eq "tandemd -t with that module exits 1 too" "$rc" 1
	tl_check "no control socket is left behind by the refused start" test ! -e "$TL_CTL"
fi

tl_done
