#!/usr/bin/env bash
# test_info_dtmf.sh - DTMF by SIP INFO through the real daemon: a caller with
# RFC 4733 telephone-event (sipp + rtpprobe) and a carrier whose trunk says
# dtmf = info (sipp uas_info.xml + rtpprobe).
#   - the carrier sends digit 5 in an INFO (application/dtmf-relay, 200 ms):
#     the caller receives it as RFC 4733 events (rtpprobe events=5), once;
#   - the caller sends digit 9 as RFC 4733 events (100 ms): the carrier
#     receives one INFO with Signal=9 and Duration=100, and no
#     telephone-event packet in its RTP;
#   - both tones still cross (1000 Hz / 1500 Hz), the call ends cleanly.
: "${srcdir:?srcdir must be set}"
. "$srcdir/tests/lib/testlib.sh"
tl_tmp
. "$srcdir/tests/sip/siplib.sh"
need_tools

NUMBER=9123456
C="$TL_TMP/info"
mkdir -p "$C"
TL_SIP_PORT=$(tl_port)
TL_TRUNK_PORT=$(tl_port)
TL_TRUNKS="dtmf = info" TL_ROUTES="9 = trunk1" tl_conf "$C/conf"
fix_rtp_range "$C/conf/tandem.conf"
tl_start_tandemd "$C/conf/tandem.conf" || { tl_fail "tandemd starts"; tl_done; }

# The caller offers PCMU and telephone-event/8000.
sed -e 's|m=audio \[mport\] RTP/AVP \[pt\]|m=audio [mport] RTP/AVP [pt] 101|' \
    -e 's|a=rtpmap:\[pt\] \[codec\]|a=rtpmap:[pt] [codec]\n      a=rtpmap:101 telephone-event/8000\n      a=fmtp:101 0-16|' \
    "$SCEN/uac_codec.xml" >"$C/uac_te.xml"
cp "$SCEN/uas_info.xml" "$C/"

pa=$(tl_port); pb=$(tl_port)
probe_start info-a -l "$pa" -r "@$C/ma" -n 175 -f 1000 -d 600 -e 9
probe_a=$PROBE_PID
probe_start info-b -l "$pb" -r "@$C/mb" -n 175 -f 1500 -d 600
probe_b=$PROBE_PID
SCEN=$C SIPP_PORT=$TL_TRUNK_PORT sipp_bg info-carrier uas_info.xml -m 1 -key mport "$pb" \
	-key mfile "$C/mb" -key digit 5 || tl_fail "the carrier's sipp starts"
carrier=$SIPP_PID
SCEN=$C sipp_fg info-caller uac_te.xml "127.0.0.1:$TL_SIP_PORT" -m 1 -s "$NUMBER" -d 4000 \
	-key mport "$pa" -key mfile "$C/ma" -key pt 0 -key codec PCMU/8000
rc=$?
tl_eq "the call is answered and ends" "$rc" 0
[ "$rc" -ne 0 ] && sipp_why info-caller
wait "$carrier"; rc=$?
tl_eq "the carrier's side completes (its INFO answered, the gateway's INFO taken)" "$rc" 0
[ "$rc" -ne 0 ] && sipp_why info-carrier
wait "$probe_a" "$probe_b"

info=$(sip_msgs "$TL_TMP/info-carrier.msg" received '^INFO')
echo "    the gateway's INFO to the carrier:"; grep -E 'Content-Type|Signal|Duration' <<<"$info" | sed 's/^/      /'
tl_eq "the carrier gets one INFO" "$(grep -c '^Signal' <<<"$info")" 1
tl_check "... application/dtmf-relay, Signal=9, Duration=100" \
	bash -c 'grep -qi "^Content-Type: *application/dtmf-relay" <<<"$1" && grep -q "^Signal=9\s*$" <<<"$1" &&
		 grep -q "^Duration=100\s*$" <<<"$1"' _ "$info"
tl_eq "the caller receives the carrier's INFO digit as RFC 4733 events, once" \
	"$(probe_val info-a events)" 5
tl_eq "the carrier receives no telephone-event packet (it wants INFO)" "$(probe_val info-b events)" -
tl_check "the carrier hears the caller's 1000 Hz (measured $(probe_val info-b freq) Hz)" \
	in_range "$(probe_val info-b freq)" 995 1005
tl_check "the caller hears the carrier's 1500 Hz (measured $(probe_val info-a freq) Hz)" \
	in_range "$(probe_val info-a freq)" 1495 1505
echo "    caller: $(cat "$TL_TMP/info-a.probe")"
echo "    carrier: $(cat "$TL_TMP/info-b.probe")"
for _ in $(seq 1 40); do
	n=$(tl_ctl --json calls 2>/dev/null | jq '.calls | length')
	[ "$n" = 0 ] && break
	sleep 0.1
done
tl_eq "no call left" "$n" 0
tl_stop_tandemd; rc=$?
tl_eq "tandemd exits 0" "$rc" 0
tl_done
