#!/usr/bin/env bash
# test_metrics_xcode.sh - /metrics: sessions transcoding by codec pair
# (tandem_media_transcoded_sessions{codec_a,codec_b}), during and after
# transcoded calls through tandemd (mod_g711, mod_g722):
#   two PCMU calls to trunk1 (PCMA only), one PCMU call to trunk2 (G.722
#   only) with rtpprobe audio both ways, and one echo call (not transcoded),
#   all up at once: the gauge says 2 for PCMU->PCMA and 1 for PCMU->G722, its
#   sum is tandem_media_transcoding, no pair for the echo call; promtool
#   accepts the page. After the calls end both pairs read 0 (still listed).
. "$srcdir/tests/lib/testlib.sh"
tl_tmp
. "$srcdir/tests/sip/siplib.sh"
need_tools
for t in promtool curl; do
	command -v "$t" >/dev/null && continue
	tl_fail "$t is missing (Debian packages: prometheus for promtool, curl)"
	tl_done
done

MP=$(tl_port) T2=$(tl_port)
TL_EXTRA="metrics_listen = 127.0.0.1:$MP" TL_TRUNKS="codecs = PCMA

[trunk2](carrier)
host = 127.0.0.1
port = $T2
codecs = G722" TL_ROUTES=$'9 = trunk1\n8 = trunk2' tl_conf "$TL_TMP/conf"
sed -i 's/^modules = mod_g711$/modules = mod_g711, mod_g722/' "$TL_TMP/conf/tandem.conf"
fix_rtp_range "$TL_TMP/conf/tandem.conf"
tl_start_tandemd "$TL_TMP/conf/tandem.conf" || { tl_fail "tandemd starts with mod_g722"; tl_done; }

scrape() { curl -s --max-time 5 -o "$TL_TMP/$1.prom" "http://127.0.0.1:$MP/metrics"; }
m() { awk -v s="$2" '$1 == s { print $2 }' "$TL_TMP/$1.prom"; }
PCMA='tandem_media_transcoded_sessions{codec_a="PCMU/8000",codec_b="PCMA/8000"}'
G722='tandem_media_transcoded_sessions{codec_a="PCMU/8000",codec_b="G722/8000"}'

scrape s0
tl_eq "before any call: no transcoding pair is listed" \
	"$(grep -c '^tandem_media_transcoded_sessions' "$TL_TMP/s0.prom")" 0

# the calls: 6 s each, all up together
SIPP_PORT=$TL_TRUNK_PORT sipp_bg pcma-carrier uas_pcma.xml -m 2 -key mport "$(tl_port)" -key mfile /dev/null
C1=$SIPP_PID
PA=$(tl_port); PB=$(tl_port)
probe_start g722-a -l "$PA" -r "@$TL_TMP/ma" -n 250 -f 1000 -d 600 -c pcmu; PROBE_A=$PROBE_PID
probe_start g722-b -l "$PB" -r "@$TL_TMP/mb" -n 250 -f 1500 -d 600 -c g722; PROBE_B=$PROBE_PID
SIPP_PORT=$T2 sipp_bg g722-carrier uas_codec.xml -m 1 -key mport "$PB" -key mfile "$TL_TMP/mb" \
	-key pt 9 -key codec G722/8000
C2=$SIPP_PID
sipp_bg pcma-caller uac_basic.xml "127.0.0.1:$TL_SIP_PORT" -m 2 -l 2 -r 10 -s 9123456 -d 6000 \
	-key mport "$(tl_port)" -key mfile /dev/null
U1=$SIPP_PID
sipp_bg g722-caller uac_codec.xml "127.0.0.1:$TL_SIP_PORT" -m 1 -s 8123456 -d 6000 \
	-key mport "$PA" -key mfile "$TL_TMP/ma" -key pt 0 -key codec PCMU/8000
U2=$SIPP_PID
sipp_bg echo-caller uac_basic.xml "127.0.0.1:$TL_SIP_PORT" -m 1 -s 600 -d 6000 \
	-key mport "$(tl_port)" -key mfile /dev/null
U3=$SIPP_PID

for _ in $(seq 1 50); do
	scrape mid && [ "$(m mid tandem_media_sessions)" = 4 ] && [ "$(m mid "$PCMA")" = 2 ] &&
		[ "$(m mid "$G722")" = 1 ] && break
	sleep 0.1
done
tl_eq "mid-call: 4 media sessions" "$(m mid tandem_media_sessions)" 4
tl_eq "mid-call: 2 sessions transcode PCMU/8000 <-> PCMA/8000" "$(m mid "$PCMA")" 2
tl_eq "mid-call: 1 session transcodes PCMU/8000 <-> G722/8000" "$(m mid "$G722")" 1
tl_eq "mid-call: the pairs add up to tandem_media_transcoding" \
	"$(awk '/^tandem_media_transcoded_sessions\{/ { n += $2 } END { print n + 0 }' "$TL_TMP/mid.prom")" \
	"$(m mid tandem_media_transcoding)"
tl_eq "mid-call: only those two pairs (the echo call is not transcoded)" \
	"$(grep -c '^tandem_media_transcoded_sessions{' "$TL_TMP/mid.prom")" 2
tl_eq "mid-call: tandemctl calls agrees: 3 calls whose legs' codecs differ" \
	"$(tl_ctl --json calls | jq '[.calls[] | select(.leg_a.codec != .leg_b.codec)] | length')" 3
if out=$(promtool check metrics <"$TL_TMP/mid.prom" 2>&1); then
	tl_ok "mid-call: promtool check metrics passes"
else
	tl_fail "mid-call: promtool check metrics: $out"
fi
grep '^# .* tandem_media_transcoded_sessions \|^tandem_media_transcoded_sessions' "$TL_TMP/mid.prom" | sed 's/^/    /'

wait "$U1"; tl_eq "the two PCMU calls to the PCMA trunk are answered and end" "$?" 0
wait "$U2"; tl_eq "the PCMU call to the G.722 trunk is answered and ends" "$?" 0
wait "$U3"; tl_eq "the echo call is answered and ends" "$?" 0
wait "$C1" "$C2" "$PROBE_A" "$PROBE_B"
tl_check "the G.722 trunk hears the PCMU caller's 1000 Hz ($(probe_val g722-b freq) Hz)" \
	in_range "$(probe_val g722-b freq)" 995 1005
tl_eq "... in G.722 (PT 9)" "$(probe_val g722-b pt)" 9
tl_check "the caller hears the trunk's 1500 Hz ($(probe_val g722-a freq) Hz)" \
	in_range "$(probe_val g722-a freq)" 1495 1505
tl_eq "... in PCMU (PT 0)" "$(probe_val g722-a pt)" 0

for _ in $(seq 1 50); do
	scrape end && [ "$(m end tandem_media_sessions)" = 0 ] && break
	sleep 0.1
done
tl_eq "after the calls: no media session" "$(m end tandem_media_sessions)" 0
tl_eq "after the calls: both pairs listed at 0" "$(m end "$PCMA") $(m end "$G722")" "0 0"
tl_stop_tandemd; tl_eq "tandemd exits 0" "$?" 0
tl_done
