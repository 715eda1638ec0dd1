#!/usr/bin/env bash
# test_rtcp.sh - RTCP terminated per leg on a transcoded call, through the
# real daemon, and the per-leg quality in the call record and /metrics.
#
# A PCMU caller (sipp + rtpprobe, dropping 5 % of its 400 packets at random)
# calls a PCMA-only carrier (baresip, auto-answer, its own RTCP on port + 1).
# tandemd transcodes and sends its own SR/RR on each leg every ~1 s
# (rtcp_interval = 1000). dumpcap records the loopback; tshark decodes the
# RTCP. Checked:
#   leg A (to the caller): tandemd's SRs carry a report block on the caller's
#     SSRC whose cumulative loss grows to what the probe dropped, and the
#     fraction lost of some interval is non-zero; its packet count follows
#     what the caller received;
#   leg B (to baresip): tandemd's SRs report no loss on baresip's stream;
#     baresip's reports on tandemd's stream reach tandemd (round trip known);
#   the call record: a_rtp_expected - a_rtp_lost = what the probe sent,
#     a_rtp_lost = the last SR's cumulative loss, b_rtp_lost = 0, MOS of A
#     below B's, B's round trip present;
#   /metrics: the lost, expected and report counters match the record, the
#     histograms counted both legs, and promtool accepts the page.
# Runs in a private network namespace (baresip binds every address).
: "${srcdir:?srcdir must be set}"
if [ -z "${TL_IN_NETNS:-}" ] && unshare --net true 2>/dev/null; then
	exec unshare --net env TL_IN_NETNS=1 bash "$0" "$@"
fi
. "$srcdir/tests/lib/testlib.sh"
if [ -z "${TL_IN_NETNS:-}" ]; then
	tl_fail "cannot create a private network namespace (unshare --net needs root or user namespaces)"
	tl_done
fi
tl_tmp
. "$srcdir/tests/sip/siplib.sh"
need_tools
ip link set lo up

BARESIP=${BARESIP:-baresip}
NUMBER=9123456
NPKT=400
command -v "$BARESIP" >/dev/null || { tl_fail "baresip is installed"; tl_done; }
for t in dumpcap tshark curl promtool; do
	command -v $t >/dev/null || { tl_fail "$t is installed"; tl_done; }
done

MP=$(tl_port)
CDR="$TL_TMP/cdr.csv"
TL_EXTRA="metrics_listen = 127.0.0.1:$MP
cdr_file = $CDR" TL_TRUNKS="codecs = PCMA" TL_ROUTES="9 = trunk1" tl_conf "$TL_TMP/conf"
sed -i -E 's/^\[media\]$/[media]\nrtcp_interval = 1000/' "$TL_TMP/conf/tandem.conf"
fix_rtp_range "$TL_TMP/conf/tandem.conf"
RTP_MIN=$(sed -n -E 's/^rtp_port_min = //p' "$TL_TMP/conf/tandem.conf")
tl_start_tandemd "$TL_TMP/conf/tandem.conf" || { tl_fail "tandemd starts"; tl_done; }

# baresip: PCMA only, RTCP on port + 1 (rtcp_mux no), its RTP 20100-20199
B="$TL_TMP/bs"
mkdir -p "$B/rec"
sed -e "s|@SIP_PORT@|$TL_TRUNK_PORT|; s|@FREQ@|1500|; s|@RTP_PORTS@|20100-20199|" \
    -e "s|@DEAD_DNS@|127.0.0.9:53|; s|@SND_PATH@|$B/rec|" \
    "$srcdir/tests/sip/baresip/config.in" >"$B/config"
sed -e "s|@USER@|$NUMBER|; s|@ANSWERMODE@|auto|; s|audio_codecs=pcmu|audio_codecs=pcma|" \
    "$srcdir/tests/sip/baresip/accounts.in" >"$B/accounts"
tl_bg "$BARESIP" -f "$B" -t 40 >"$TL_TMP/bs.log" 2>&1 </dev/null
BS=$TL_LAST_PID

tl_bg dumpcap -q -i lo -f udp -w "$TL_TMP/lo.pcapng"
CAP=$TL_LAST_PID
sleep 1.5

PA=$(tl_port)
probe_start a -l "$PA" -r "@$TL_TMP/ma" -n $NPKT -f 1000 -d 600 -c pcmu -L 5
PROBE=$PROBE_PID
# 8 s of audio, the call held 6.5 s longer: the last reports see it all, and
# baresip (RTCP every 2-6 s, RFC 3550) has answered a report of tandemd's
# with LSR/DLSR, which is what the round trip on leg B needs
sipp_bg caller uac_codec.xml "127.0.0.1:$TL_SIP_PORT" -m 1 -s "$NUMBER" -d 14500 \
	-key mport "$PA" -key mfile "$TL_TMP/ma" -key pt 0 -key codec PCMU/8000
CALLER=$SIPP_PID
# mid-call, `tandemctl calls` shows the loss and quality so far
sleep 6
LIVE=$(tl_ctl --json calls 2>/dev/null)
tl_check "mid-call: tandemctl calls shows leg A's loss and MOS ($(jq -c '.calls[0].leg_a | {rtp_lost, jitter_ms, mos}' <<<"$LIVE" 2>/dev/null))" \
	jq -e '.calls[0].leg_a.rtp_lost > 0 and .calls[0].leg_a.mos > 1 and .calls[0].leg_b.rtp_lost == 0' <<<"$LIVE"
wait "$CALLER"; rc=$?
tl_eq "the PCMU caller's call to the PCMA trunk (baresip) is answered and ends" "$rc" 0
[ "$rc" -ne 0 ] && sipp_why caller
wait "$PROBE"
SENT=$(probe_val a sent); RECV=$(probe_val a recv)
tl_check "the caller dropped packets (sent $SENT of $NPKT) and heard the trunk ($RECV packets, $(probe_val a freq) Hz)" \
	bash -c '[ "$1" -lt '$NPKT' ] && [ "$1" -ge 340 ] && [ "$2" -ge 350 ]' _ "${SENT:-0}" "${RECV:-0}"
for _ in $(seq 1 30); do
	[ -s "$CDR" ] && [ "$(wc -l <"$CDR")" -ge 2 ] && break
	sleep 0.1
done
sleep 0.3
kill -TERM "$BS" 2>/dev/null; wait "$BS" 2>/dev/null
kill -TERM "$CAP" 2>/dev/null; wait "$CAP" 2>/dev/null

# --- tandemd's RTCP on each leg --------------------------------------------------
# One line per RTCP report from a tandemd port (odd ports of its range):
# dst port, type (200 SR / 201 RR), sender SSRC, SR packet count, and the first
# report block's SSRC, fraction lost (1/256), cumulative lost, jitter.
tshark -r "$TL_TMP/lo.pcapng" -Y "rtcp && udp.srcport >= $RTP_MIN && udp.srcport < $((RTP_MIN + 200))" \
	-T fields -E separator=' ' -E occurrence=f -e udp.dstport -e rtcp.pt -e rtcp.senderssrc \
	-e rtcp.sender.packetcount -e rtcp.ssrc.identifier -e rtcp.ssrc.fraction -e rtcp.ssrc.cum_nr \
	-e rtcp.ssrc.jitter >"$TL_TMP/rtcp.txt" 2>"$TL_TMP/tshark.err"
# Reports from baresip to tandemd (to tandemd's odd ports).
tshark -r "$TL_TMP/lo.pcapng" -Y "rtcp && udp.dstport >= $RTP_MIN && udp.dstport < $((RTP_MIN + 200)) && udp.srcport >= 20100 && udp.srcport < 20200" \
	-T fields -e rtcp.pt >"$TL_TMP/rtcp_bs.txt" 2>>"$TL_TMP/tshark.err"
sed 's/^/    rtcp: /' "$TL_TMP/rtcp.txt" | head -40

A=$(awk -v p=$((PA + 1)) '$1 == p' "$TL_TMP/rtcp.txt")
BPORT=$(awk -v p=$((PA + 1)) '$1 != p {print $1}' "$TL_TMP/rtcp.txt" | sort | uniq -c | sort -rn | awk 'NR==1{print $2}')
Bl=$(awk -v p="${BPORT:-0}" '$1 == p' "$TL_TMP/rtcp.txt")
na=$(grep -c . <<<"$A"); nb=$(grep -c . <<<"$Bl")
tl_check "leg A: tandemd sent the caller 7 or more RTCP reports in ~10 s at a 1 s interval ($na)" \
	bash -c '[ "$1" -ge 7 ] && [ "$1" -le 20 ]' _ "$na"
tl_check "leg B: tandemd sent baresip 7 or more RTCP reports ($nb, to port ${BPORT:-none})" \
	bash -c '[ "$1" -ge 7 ] && [ "$1" -le 20 ]' _ "$nb"
# (the first report may be an RR: nothing sent on the leg yet)
tl_eq "leg A: the reports are SRs (tandemd sends the caller PCMU)" \
	"$(tail -n +2 <<<"$A" | awk '$2 != 200' | grep -c .)" 0
tl_eq "leg B: the reports are SRs (tandemd sends baresip PCMA)" \
	"$(tail -n +2 <<<"$Bl" | awk '$2 != 200' | grep -c .)" 0
A_LAST=$(tail -1 <<<"$A"); B_LAST=$(tail -1 <<<"$Bl")
A_CUM=$(awk '{print $7}' <<<"$A_LAST"); A_PKTS=$(awk '{print $4}' <<<"$A_LAST")
A_FRAC=$(awk '$6 > 0 {n++} END {print n+0}' <<<"$A")
B_CUM=$(awk '{print $7}' <<<"$B_LAST")
tl_eq "leg A: the last report's cumulative loss is what the caller dropped ($NPKT - $SENT, give or take the packets dropped at the ends)" \
	"$(in_range "${A_CUM:-x}" $((NPKT - SENT - 3)) $((NPKT - SENT)) && echo yes)" yes
tl_check "leg A: $A_FRAC reports show a non-zero fraction lost" bash -c '[ "$1" -ge 2 ]' _ "$A_FRAC"
# RTP from tandemd to the caller in the capture: the last SR, up to 1.3 s
# before the end, counted all but the last 65 at most
A_RTP=$(tshark -r "$TL_TMP/lo.pcapng" -Y "udp.dstport == $PA && udp.srcport >= $RTP_MIN && udp.srcport < $((RTP_MIN + 200))" 2>/dev/null | grep -c .)
tl_check "leg A: the last SR's packet count ($A_PKTS) follows the RTP tandemd sent the caller ($A_RTP)" \
	bash -c '[ "${1:-0}" -le "$2" ] && [ "${1:-0}" -ge "$(($2 - 65))" ]' _ "$A_PKTS" "$A_RTP"
tl_eq "leg B: tandemd reports no loss on baresip's stream" "${B_CUM:-none}" 0
tl_check "baresip's own reports reached tandemd ($(grep -c . "$TL_TMP/rtcp_bs.txt"))" \
	bash -c '[ "$(grep -c . "$1")" -ge 2 ]' _ "$TL_TMP/rtcp_bs.txt"

# --- the call record ----------------------------------------------------------------
col() { awk -F, -v k="$1" 'NR==1 {for (i = 1; i <= NF; i++) if ($i == k) c = i} NR==2 {print $c}' "$CDR"; }
tl_eq "CDR: a_rtp_expected - a_rtp_lost = the packets the caller sent" \
	"$(( $(col a_rtp_expected) - $(col a_rtp_lost) ))" "$SENT"
tl_eq "CDR: a_rtp_lost = the last report's cumulative loss on leg A" "$(col a_rtp_lost)" "${A_CUM:-none}"
tl_eq "CDR: b_rtp_lost = 0" "$(col b_rtp_lost)" 0
tl_check "CDR: b_rtp_expected is baresip's stream (~725 packets in 14.5 s: $(col b_rtp_expected))" \
	in_range "$(col b_rtp_expected)" 620 800
tl_check "CDR: a_mos ($(col a_mos)) in 3.4..4.2 (5 % loss), below b_mos ($(col b_mos))" \
	bash -c 'awk -v a="$1" -v b="$2" "BEGIN{exit !(a >= 3.4 && a <= 4.2 && b > a && b >= 4.2)}"' _ "$(col a_mos)" "$(col b_mos)"
tl_check "CDR: b_rtt_ms known and small on loopback ($(col b_rtt_ms))" in_range "$(col b_rtt_ms)" 0 50
tl_eq "CDR: b_remote_lost (baresip's view of tandemd's stream) = 0" "$(col b_remote_lost)" 0
tl_eq "CDR: a_rtt_ms unknown (the caller sends no RTCP)" "$(col a_rtt_ms)" ""
tl_check "CDR: jitter on loopback under 10 ms (a $(col a_jitter_ms), b $(col b_jitter_ms))" \
	bash -c 'in_range() { awk -v v="$1" "BEGIN{exit !(v != \"\" && v >= 0 && v < 10)}"; }; in_range "$1" && in_range "$2"' \
	_ "$(col a_jitter_ms)" "$(col b_jitter_ms)"

# --- /metrics ------------------------------------------------------------------------
curl -sS --max-time 5 -o "$TL_TMP/m.prom" "http://127.0.0.1:$MP/metrics"
mval() { sed -n -E "s/^$1 ([0-9.e+]+)$/\1/p" "$TL_TMP/m.prom"; }
tl_eq "metrics: tandem_rtp_packets_lost_total{direction=\"in\"} = a_rtp_lost + b_rtp_lost" \
	"$(mval 'tandem_rtp_packets_lost_total\{direction="in"\}')" "$(( $(col a_rtp_lost) + $(col b_rtp_lost) ))"
tl_eq "metrics: tandem_rtp_packets_expected_total{direction=\"in\"} = a + b expected" \
	"$(mval 'tandem_rtp_packets_expected_total\{direction="in"\}')" "$(( $(col a_rtp_expected) + $(col b_rtp_expected) ))"
tl_eq "metrics: tandem_rtp_mos_count = 2 legs" "$(mval tandem_rtp_mos_count)" 2
tl_eq "metrics: tandem_rtp_rtt_seconds_count = 1 (leg B)" "$(mval tandem_rtp_rtt_seconds_count)" 1
tl_eq "metrics: tandem_rtp_loss_ratio: one leg at or under 1 %, both under 10 %" \
	"$(mval 'tandem_rtp_loss_ratio_bucket\{direction="in",le="0.01"\}') $(mval 'tandem_rtp_loss_ratio_bucket\{direction="in",le="0.1"\}')" "1 2"
tl_eq "metrics: tandem_rtcp_reports_total{direction=\"sent\"} = the reports captured" \
	"$(mval 'tandem_rtcp_reports_total\{direction="sent"\}')" "$((na + nb))"
if out=$(promtool check metrics <"$TL_TMP/m.prom" 2>&1); then
	tl_ok "metrics: promtool check metrics passes"
else
	tl_fail "metrics: promtool check metrics: $out"
fi

tl_stop_tandemd; rc=$?
tl_eq "tandemd exits 0" "$rc" 0
if [ "$TL_FAIL" -gt 0 ]; then
	echo "    --- CDR:"; sed 's/^/    /' "$CDR"
	echo "    --- tandemd log:"; tail -n 30 "$TANDEMD_LOG" | sed 's/^/    /'
	head -5 "$TL_TMP/tshark.err" | sed 's/^/    tshark: /'
fi
tl_done
