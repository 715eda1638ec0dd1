# testlib.sh - shared helpers for shell tests. Source it; then use
#   tl_ok DESC / tl_fail DESC / tl_check DESC CMD... / tl_eq DESC GOT WANT
#   tl_tmp            -> a temp dir removed at exit ($TL_TMP)
#   tl_port           -> a free UDP+TCP port on 127.0.0.1
#   tl_conf DIR [extra lines for routes.conf]  -> a test config in DIR
#   tl_start_tandemd CONF [args]  -> starts tandemd, waits for its control socket
#   tl_stop_tandemd   -> SIGTERM, waits, returns tandemd's exit code
#   tl_ctl ARGS...    -> tandemctl against the test daemon
#   tl_bg CMD...      -> start a background process that is killed at exit
#   tl_done           -> prints "RESULT passed=N failed=M" and exits
# Every process started here is stopped by its PID at exit.
set -u
: "${srcdir:?srcdir must be set}" "${builddir:?builddir must be set}"
TL_PASS=0 TL_FAIL=0 TL_PIDS=() TL_TMP= TANDEMD_PID=
TANDEMD="$builddir/src/tandemd"
TANDEMCTL="$builddir/src/tandemctl"

tl_ok()   { TL_PASS=$((TL_PASS + 1)); echo "ok   - $*"; }
tl_fail() { TL_FAIL=$((TL_FAIL + 1)); echo "FAIL - $*"; }
tl_check() { local d=$1; shift; if "$@"; then tl_ok "$d"; else tl_fail "$d"; fi; }
tl_eq() { if [ "$2" = "$3" ]; then tl_ok "$1"; else tl_fail "$1 (got '$2', want '$3')"; fi; }
# tl_near DESC GOT WANT PCT: GOT within PCT percent of WANT
tl_near() {
	if awk -v g="$2" -v w="$3" -v p="$4" 'BEGIN{d=g-w; if(d<0)d=-d; exit !(w>0 && d*100<=w*p)}'; then
		tl_ok "$1 ($2 vs $3, within $4%)"
	else
		tl_fail "$1 (got $2, want $3 within $4%)"
	fi
}

tl_cleanup() {
	local p
	for p in "${TL_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	sleep 0.2
	for p in "${TL_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	[ -n "$TL_TMP" ] && [ -z "${TL_KEEP:-}" ] && rm -rf "$TL_TMP"
}
trap tl_cleanup EXIT

tl_tmp() { TL_TMP=$(mktemp -d /tmp/tandem-test.XXXXXX); }

tl_bg() { "$@" & TL_PIDS+=($!); TL_LAST_PID=$!; }

# A port nobody uses on UDP or TCP, from a range away from the shipped
# defaults (5060, 20000-29999) and the kernel's ephemeral range.
tl_port() {
	local p tries=0
	while [ $tries -lt 200 ]; do
		p=$(( 12000 + (RANDOM % 3000) * 2 ))
		if ! ss -Hlnu "sport = :$p" | grep -q . && ! ss -Hlnt "sport = :$p" | grep -q .; then
			echo "$p"; return 0
		fi
		tries=$((tries + 1))
	done
	return 1
}

# tl_rtp_block SIZE: the first port of a block of SIZE ports nothing is bound
# to now, above the kernel's ephemeral range (32768-60999) so that sockets of
# sipp and the tools never land in it.
tl_rtp_block() {
	local size=$1 lo bound
	bound=$(ss -Hlun | awk '{n=split($4,a,":"); print a[n]}')
	for _ in $(seq 1 50); do
		lo=$(( 61000 + (RANDOM % (4000 / size)) * size ))
		if ! awk -v lo="$lo" -v n="$size" '$1 >= lo && $1 < lo + n {f=1} END {exit !f}' <<<"$bound"; then
			echo "$lo"; return 0
		fi
	done
	echo 61000
}

# tl_conf DIR: a runnable config on loopback with fresh ports.
# Sets TL_SIP_PORT, TL_TRUNK_PORT, TL_CTL. Extra routes via $TL_ROUTES,
# extra tandem.conf lines via $TL_EXTRA, extra trunks via $TL_TRUNKS. The trunks
# trust 127.0.0.0/8 (acl: INVITEs from loopback need no digest) unless $TL_ACL
# says otherwise (TL_ACL= : nothing trusted).
tl_conf() {
	local d=$1
	mkdir -p "$d"
	TL_SIP_PORT=${TL_SIP_PORT:-$(tl_port)}
	TL_TRUNK_PORT=${TL_TRUNK_PORT:-$(tl_port)}
	TL_CTL="$d/tandemd.sock"
	local rtp_min; rtp_min=$(tl_rtp_block 200)
	cat >"$d/tandem.conf" <<CONF
[general]
log_level = ${TL_LOG_LEVEL:-info}
media_workers = 2
modules_dir = $builddir/modules
modules = mod_g711
control_socket = $TL_CTL
control_socket_mode = 0600
${TL_EXTRA:-}

[media]
rtp_timeout = ${TL_RTP_TIMEOUT:-30}
hold_timeout = 600

[calls]
setup_timeout = ${TL_SETUP_TIMEOUT:-5}
no_answer_timeout = ${TL_NO_ANSWER:-30}
max_duration = ${TL_MAX_DURATION:-3600}

[lo]
type = interface
address = 127.0.0.1
sip_port = $TL_SIP_PORT
rtp_port_min = $rtp_min
rtp_port_max = $((rtp_min + 199))

#include "trunks.conf"
#include "routes.conf"
CONF
	cat >"$d/trunks.conf" <<CONF
[carrier](!)
type = trunk
transport = udp
latch = yes
${TL_ACL-acl = 127.0.0.0/8}

[trunk1](carrier)
host = 127.0.0.1
port = $TL_TRUNK_PORT
${TL_TRUNKS:-}
CONF
	cat >"$d/routes.conf" <<CONF
[routes]
600 = echo
1004 = milliwatt
${TL_ROUTES:-}
CONF
}

tl_start_tandemd() {
	local conf=$1; shift
	local log=${TL_TMP:-/tmp}/tandemd.log
	"$TANDEMD" -f -c "$conf" "$@" >>"$log" 2>&1 &
	TANDEMD_PID=$!
	TL_PIDS+=("$TANDEMD_PID")
	TANDEMD_LOG=$log
	local i
	for i in $(seq 1 100); do
		if [ -S "$TL_CTL" ] && "$TANDEMCTL" -s "$TL_CTL" status >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "$TANDEMD_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "tandemd did not start; its log:"; tail -n 30 "$log"
	return 1
}

tl_stop_tandemd() {
	local rc
	kill -TERM "$TANDEMD_PID" 2>/dev/null
	wait "$TANDEMD_PID"; rc=$?
	TANDEMD_PID=
	return $rc
}

tl_ctl() { "$TANDEMCTL" -s "$TL_CTL" "$@"; }

tl_done() {
	echo "RESULT passed=$TL_PASS failed=$TL_FAIL"
	[ "$TL_FAIL" -eq 0 ]
	exit $?
}
