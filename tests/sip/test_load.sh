#!/usr/bin/env bash
# test_load.sh - 100 concurrent calls with RTP through tandemd.
#
# sipp places 100 calls at 20 per second (-l 100 -m 100 -r 20) to the trunk,
# where a sipp carrier answers them all and echoes their RTP (-rtp_echo). Each
# call is held 8 s, so all 100 are up together for about 3 s. rtpprobe plays a
# 1 kHz tone into every call (5 s, one stream per call, started when the call
# is answered) and measures what comes back through tandemd twice (caller leg
# -> trunk leg -> echo -> trunk leg -> caller leg).
. "$srcdir/tests/lib/testlib.sh"
tl_tmp
. "$srcdir/tests/sip/siplib.sh"
need_tools

CALLS=${LOAD_CALLS:-100}
RATE=${LOAD_RATE:-20}
PKTS=250                    # per call: 5 s of 20 ms packets
HOLD_MS=8000

TL_SIP_PORT=$(tl_port)
TL_TRUNK_PORT=$(tl_port)
TL_ROUTES="9 = trunk1" tl_conf "$TL_TMP/conf"
# two RTP ports per leg, two legs per call, and room to spare
fix_rtp_range "$TL_TMP/conf/tandem.conf" $(( CALLS * 8 ))
tl_start_tandemd "$TL_TMP/conf/tandem.conf" || { tl_fail "tandemd starts"; tl_done; }

# carrier: answers everything, echoes RTP on its media port
SIPP_PORT=$TL_TRUNK_PORT sipp_bg carrier uas_load.xml -m "$CALLS" -rtp_echo \
	-max_socket 200 || { tl_fail "carrier sipp starts"; tl_done; }
carrier_pid=$SIPP_PID

# caller media ports: sipp's [auto_media_port+1000] = MP + 1000 + 4 * (n - 1)
MP=$(( 20000 + (RANDOM % 40) * 100 ))
while ss -Hlun | awk '{n=split($4,a,":"); print a[n]}' |
	awk -v lo="$MP" -v hi=$((MP + 1000 + 4 * CALLS)) '$1 >= lo && $1 <= hi' | grep -q .; do
	MP=$(( 20000 + (RANDOM % 40) * 100 ))
done
streams="$TL_TMP/streams.txt"
: >"$streams"
"$RTPPROBE" -M "$streams" -B $((MP + 1000)) -C "$CALLS" -S 4 -n "$PKTS" -f 1000 -d 800 \
	-T 60000 >"$TL_TMP/probe.out" 2>&1 &
probe_pid=$!
TL_PIDS+=("$probe_pid")

# watch the number of active calls while the load runs
peak_file="$TL_TMP/peak"
(
	peak=0
	while :; do
		n=$(tl_ctl --json status 2>/dev/null | jq -r '.sip.calls_active // 0')
		[ "${n:-0}" -gt "$peak" ] && peak=$n && echo "$peak" >"$peak_file"
		sleep 0.25
	done
) &
watch_pid=$!
TL_PIDS+=("$watch_pid")

t0=$(date +%s%N)
SIPP_TIMEOUT=60 sipp_fg caller uac_load.xml "127.0.0.1:$TL_SIP_PORT" -s 9123456 \
	-m "$CALLS" -l "$CALLS" -r "$RATE" -d "$HOLD_MS" -mp "$MP" \
	-key mfile "$streams" -key mbase $((MP + 1000)); rc=$?
ms=$(elapsed_ms "$t0")
tl_eq "all $CALLS calls answered and hung up cleanly (sipp caller, ${ms} ms)" "$rc" 0
[ $rc -ne 0 ] && sipp_why caller
ok=$(awk -F'|' '/Successful call/ {gsub(/ /, "", $3); v=$3} END {print v}' "$TL_TMP/caller.screen")
tl_eq "sipp counts $CALLS successful calls" "${ok:-0}" "$CALLS"
wait "$carrier_pid"; rc=$?
tl_eq "the carrier answered $CALLS calls and got their BYEs" "$rc" 0
[ $rc -ne 0 ] && sipp_why carrier

wait "$probe_pid"
kill "$watch_pid" 2>/dev/null
summary=$(tail -1 "$TL_TMP/probe.out")
echo "rtpprobe: $summary"
get() { sed -n -E "s/.*(^| )$1=([^ ]*).*/\2/p" <<<"$summary"; }
tl_eq "rtpprobe played into every call" "$(get streams)" "$CALLS"
tl_near "RTP through tandemd and back: packets received vs. sent (all calls)" \
	"$(get recv)" "$(get sent)" 5
minr=$(get min_recv)
tl_check "the worst call still got >= 95% of its packets back ($minr of $PKTS)" \
	test "${minr:-0}" -ge $(( PKTS * 95 / 100 ))
tl_check "every call carried the 1 kHz tone (measured $(get freq_min)..$(get freq_max) Hz)" \
	bash -c 'awk -v a="$1" -v b="$2" "BEGIN{exit !(a >= 995 && b <= 1005)}"' _ "$(get freq_min)" "$(get freq_max)"
peak=$(cat "$peak_file" 2>/dev/null || echo 0)
tl_check "tandemd had the calls up at once (peak calls_active $peak, want >= $(( CALLS * 9 / 10 )))" \
	test "$peak" -ge $(( CALLS * 9 / 10 ))

# afterwards: every call counted and gone, every port back
for _ in $(seq 1 50); do
	st=$(tl_ctl --json status)
	[ "$(jq -r .sip.calls_active <<<"$st")" = 0 ] && [ "$(jq -r .media.sessions <<<"$st")" = 0 ] && break
	sleep 0.1
done
tl_eq "status: $CALLS calls answered" "$(jq -r .sip.calls_answered <<<"$st")" "$CALLS"
tl_eq "status: no call active afterwards" "$(jq -r .sip.calls_active <<<"$st")" 0
tl_eq "status: no media session left" "$(jq -r .media.sessions <<<"$st")" 0
tl_eq "status: every RTP port returned" "$(jq -r .media.ports_in_use <<<"$st")" 0
# each packet is relayed twice: caller leg -> trunk leg, and back after the echo
relayed=$(jq -r .media.packets_relayed <<<"$st")
tl_check "status: tandemd relayed >= 95% of the expected $(( CALLS * PKTS * 2 )) packets ($relayed)" \
	test "${relayed:-0}" -ge $(( CALLS * PKTS * 2 * 95 / 100 ))
echo "status after the run: $(jq -c '{sip, media}' <<<"$st")"

tl_stop_tandemd; rc=$?
tl_eq "tandemd stops cleanly" "$rc" 0
tl_done
