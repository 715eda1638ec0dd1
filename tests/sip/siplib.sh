# siplib.sh - helpers for the SIP tests in tests/sip/, on top of testlib.sh.
# Source after tests/lib/testlib.sh and tl_tmp.
#
#   SCEN                     the sipp scenario directory
#   need_tools               fail early when sipsend/rtpprobe/sipp are missing
#   sipp_fg NAME XML ARGS... run sipp to completion; returns its exit code;
#                            messages in $TL_TMP/NAME.msg, screen in NAME.log
#   sipp_bg NAME XML ARGS... start sipp in the background (UAS side); sets
#                            SIPP_PID and waits until its UDP port is bound
#   sipp_wait PID            wait for a background sipp; returns its exit code
#   sipp_port                the SIP port the last sipp_fg/sipp_bg used
#   wait_file FILE [TENTHS]  wait until FILE exists and is not empty
#   probe_start NAME ARGS... start rtpprobe in the background, output in
#                            $TL_TMP/NAME.probe; sets PROBE_PID
#   probe_val NAME KEY       a key=value from a finished probe's output
#   elapsed_ms START_NS      milliseconds since START_NS (date +%s%N)
SCEN="$srcdir/tests/sip/scenarios"
SIPSEND="$builddir/tests/tools/sipsend"
RTPPROBE="$builddir/tests/tools/rtpprobe"
SIPP=${SIPP:-sipp}

need_tools() {
	local t missing=
	for t in "$SIPSEND" "$RTPPROBE"; do
		[ -x "$t" ] || missing="$missing $t"
	done
	command -v "$SIPP" >/dev/null || missing="$missing sipp(sip-tester)"
	command -v jq >/dev/null || missing="$missing jq"
	if [ -n "$missing" ]; then
		tl_fail "test tools missing:$missing (run 'make check TESTS=' to build tests/tools)"
		tl_done
	fi
}

# Common sipp options: loopback only, fresh ports, hard timeouts, logs.
# (call _sipp_port first, in the current shell: it sets SIPP_LAST_PORT)
_sipp_port() { SIPP_LAST_PORT=${SIPP_PORT:-$(tl_port)}; }
_sipp_args() {
	local name=$1
	echo "-i 127.0.0.1 -p $SIPP_LAST_PORT -mi 127.0.0.1 -mp $(tl_port) -cp $(tl_port)" \
	     "-nostdin -timeout ${SIPP_TIMEOUT:-20}s -timeout_error -recv_timeout ${SIPP_RECV_TIMEOUT:-10000}" \
	     "-trace_msg -message_file $TL_TMP/$name.msg -trace_err -error_file $TL_TMP/$name.err" \
	     "-trace_screen -screen_file $TL_TMP/$name.screen -max_recv_loops 1000 -skip_rlimit"
}

sipp_port() { echo "$SIPP_LAST_PORT"; }

# sipp exits 254 when it cannot bind one of its sockets: another process took
# the port between tl_port's check and sipp's bind. Nothing was sent then, so
# the run is retried on fresh ports.
sipp_fg() {
	local name=$1 xml=$2 rc try; shift 2
	for try in 1 2 3; do
		_sipp_port
		# shellcheck disable=SC2046
		"$SIPP" $(_sipp_args "$name") -sf "$SCEN/$xml" "$@" >"$TL_TMP/$name.log" 2>&1 </dev/null
		rc=$?
		[ $rc -eq 254 ] || break
	done
	return $rc
}

sipp_bg() {
	local name=$1 xml=$2 try i; shift 2
	for try in 1 2 3; do
		_sipp_port
		local args; args=$(_sipp_args "$name")
		# shellcheck disable=SC2086
		tl_bg "$SIPP" $args -sf "$SCEN/$xml" "$@" >"$TL_TMP/$name.log" 2>&1 </dev/null
		SIPP_PID=$TL_LAST_PID
		for i in $(seq 1 50); do
			ss -Hlnu "sport = :$SIPP_LAST_PORT" | grep -q . && return 0
			ss -Hlnt "sport = :$SIPP_LAST_PORT" | grep -q . && return 0
			kill -0 "$SIPP_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$SIPP_PID" 2>/dev/null && break   # alive but silent: give up
		wait "$SIPP_PID" 2>/dev/null
		[ $? -eq 254 ] || break      # see sipp_fg: retry only a failed bind
	done
	echo "sipp $name did not start:"; tail -n 20 "$TL_TMP/$name.log"
	return 1
}

sipp_wait() { wait "$1"; }

# Show why a sipp run failed (its error log and the end of its messages).
sipp_why() {
	local name=$1
	echo "    --- $name: errors"
	[ -f "$TL_TMP/$name.err" ] && tail -n 15 "$TL_TMP/$name.err" | sed 's/^/    /'
	echo "    --- $name: last messages"
	[ -f "$TL_TMP/$name.msg" ] && tail -n 40 "$TL_TMP/$name.msg" | sed 's/^/    /'
}

wait_file() {
	local f=$1 n=${2:-100}
	for _ in $(seq 1 "$n"); do
		[ -s "$f" ] && return 0
		sleep 0.1
	done
	return 1
}

# probe NAME ARGS... in the background writing $TL_TMP/NAME.probe
probe_start() {
	local name=$1; shift
	"$RTPPROBE" "$@" >"$TL_TMP/$name.probe" 2>&1 &
	TL_PIDS+=($!)
	PROBE_PID=$!
}

probe_val() {
	sed -n -E "s/.*(^| )$2=([^ ]*).*/\2/p" "$TL_TMP/$1.probe" | tail -1
}

elapsed_ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# Count SIP messages of a kind in a sipp message log: msg_count FILE REGEX
# (matched against the start line of received messages).
msg_count() {
	grep -Ec "$2" "$1" 2>/dev/null || true
}

# Is a number within [lo, hi]? (floating point)
in_range() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN{exit !(v!="" && v>=lo && v<=hi)}'; }

# sip_msgs FILE DIR REGEX: the messages a sipp -trace_msg log holds that were
# DIR (received|sent) and whose start line matches REGEX, each followed by a
# "====" line.
sip_msgs() {
	[ -f "$1" ] || return 0
	awk -v dir="$2" -v re="$3" '
		function flush() { if (started && first ~ re) printf "%s====\n", buf; buf = ""; started = 0 }
		/^-----------------------------------------------/ { flush(); hdr = 1; next }
		# "UDP message received [N] bytes :" / "UDP message sent (N bytes):";
		# sipp also logs "Unexpected ... message received:" copies: not counted
		hdr == 1 { indir = ($0 ~ ("^[A-Z]+ message " dir " [[(][0-9]")); hdr = 2; next }
		hdr == 2 && !started && /^[[:space:]]*$/ { next }
		indir { if (!started) { started = 1; first = $0 }; buf = buf $0 "\n" }
		END { flush() }' "$1"
}

# sip_count FILE DIR REGEX: how many such messages
sip_count() { sip_msgs "$@" | grep -c '^====$'; }

# fix_rtp_range CONFFILE [SIZE]: give the interface a free block of SIZE
# (default 200) RTP ports (tl_rtp_block in testlib.sh picks it).
fix_rtp_range() {
	local f=$1 size=${2:-200} lo
	lo=$(tl_rtp_block "$size")
	sed -i -E "s/^rtp_port_min[[:space:]]*=.*/rtp_port_min = $lo/; s/^rtp_port_max[[:space:]]*=.*/rtp_port_max = $((lo + size - 1))/" "$f"
}
