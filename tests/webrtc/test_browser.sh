#!/usr/bin/env bash
# test_browser.sh - WebRTC to PSTN through one tandemd, with a real browser.
#
# Debian's chromium (headless) loads a page with JsSIP 3.13 (npm, bundled by
# esbuild), registers over WebSocket as user alice, and:
#   1. calls 5551234, routed to a plain SIP/RTP PCMU carrier (sipp + rtpprobe):
#      the carrier must hear the page's 440 Hz WebAudio tone (measured), and
#      the browser's getStats must show Opus packets with audio energy from the
#      carrier's 1000 Hz tone;
#   2. is called by the carrier side (a PCMU caller dialling alice's number):
#      the page answers, and the same checks run the other way.
# Everything runs in a private network namespace that has only loopback:
# Chromium otherwise pairs ICE from the machine's other interfaces. npm runs
# before entering it (the namespace has no network).
: "${srcdir:?srcdir must be set}"
WEBDEPS=${WEBDEPS:-$builddir/webrtc-deps}
if [ -z "${TL_IN_NETNS:-}" ]; then
	# Outside the namespace: fetch JsSIP and esbuild (pinned by package-lock.json).
	if command -v npm >/dev/null && [ ! -x "$WEBDEPS/node_modules/.bin/esbuild" ]; then
		mkdir -p "$WEBDEPS"
		cp "$srcdir/tests/webrtc/package.json" "$srcdir/tests/webrtc/package-lock.json" "$WEBDEPS/"
		(cd "$WEBDEPS" && npm ci --no-audit --no-fund --loglevel=error) >"$WEBDEPS/npm.log" 2>&1
	fi
	if unshare --net true 2>/dev/null; then
		exec unshare --net env TL_IN_NETNS=1 WEBDEPS="$WEBDEPS" bash "$0" "$@"
	fi
fi
. "$srcdir/tests/lib/testlib.sh"
if [ -z "${TL_IN_NETNS:-}" ]; then
	tl_fail "cannot create a private network namespace (unshare --net needs root)"
	tl_done
fi
tl_tmp
. "$srcdir/tests/sip/siplib.sh"
need_tools
ip link set lo up
CHROMIUM=${CHROMIUM:-chromium}
for t in "$CHROMIUM" python3; do
	command -v "$t" >/dev/null || { tl_fail "$t is installed (contrib/quickstart.sh installs it)"; tl_done; }
done
[ -x "$WEBDEPS/node_modules/.bin/esbuild" ] || {
	tl_fail "JsSIP and esbuild installed from npm (see $WEBDEPS/npm.log)"; tl_done; }

# The page: page.js + JsSIP bundled for the browser.
web="$TL_TMP/web"
mkdir -p "$web"
cp "$srcdir/tests/webrtc/page.js" "$WEBDEPS/page.js"
"$WEBDEPS/node_modules/.bin/esbuild" "$WEBDEPS/page.js" --bundle --format=iife --platform=browser \
	--outfile="$web/bundle.js" --log-level=warning || { tl_fail "esbuild bundles JsSIP"; tl_done; }
cp "$srcdir/tests/webrtc/page.html" "$web/"

WS_PORT=$(tl_port); HTTP_PORT=$(tl_port)
TL_TRUNKS="codecs = PCMU" TL_ROUTES="5551234 = trunk1" tl_conf "$TL_TMP/conf"
sed -i -E 's/^modules = .*/modules = mod_g711, mod_opus/' "$TL_TMP/conf/tandem.conf"
cat >>"$TL_TMP/conf/tandem.conf" <<CONF

[websocket]
ws_listen = 127.0.0.1:$WS_PORT
origins = http://127.0.0.1:$HTTP_PORT

[alice]
type = user
password = browser-secret
number = 1000
media_security = dtls           ; a browser: DTLS-SRTP with ICE-lite when it is called
CONF
tl_start_tandemd "$TL_TMP/conf/tandem.conf" || { tl_fail "tandemd starts"; tl_done; }
python3 "$srcdir/tests/webrtc/serve.py" "$HTTP_PORT" "$web" &
TL_PIDS+=($!)

# run_page MODE SECONDS: chromium on the page until it posts its result.
run_page() {
	rm -f "$web/result.json" "$web/ready"
	cat >"$web/config.json" <<JSON
{"ws": "ws://127.0.0.1:$WS_PORT", "uri": "sip:alice@127.0.0.1", "password": "browser-secret",
 "mode": "$1", "target": "sip:5551234@127.0.0.1", "tone": 440, "seconds": $2, "dtmf": "159#"}
JSON
	"$CHROMIUM" --headless=new --no-sandbox --disable-gpu --no-first-run \
		--user-data-dir="$TL_TMP/chrome-$1" \
		--use-fake-ui-for-media-stream --use-fake-device-for-media-stream \
		--allow-loopback-in-peer-connection --disable-features=WebRtcHideLocalIpsWithMdns \
		--autoplay-policy=no-user-gesture-required \
		"http://127.0.0.1:$HTTP_PORT/" >"$TL_TMP/chrome-$1.log" 2>&1 &
	CHROME_PID=$!
	TL_PIDS+=("$CHROME_PID")
}
wait_file() { local f=$1 n=$2; while [ ! -s "$f" ] && [ "$n" -gt 0 ]; do sleep 0.2; n=$((n - 1)); done; [ -s "$f" ]; }
res() { jq -r ".$1 // empty" "$web/result.json" 2>/dev/null; }
stop_chrome() { kill "$CHROME_PID" 2>/dev/null; wait "$CHROME_PID" 2>/dev/null; }

check_browser_side() {
	local what=$1
	tl_eq "$what: the browser registered over WebSocket" "$(res registered)" true
	tl_eq "$what: the call was connected in the browser" "$(res connected)" true
	tl_eq "$what: the browser's codec is ${2:-Opus}" "$(res codec)" "${3:-audio/opus}"
	local pr; pr=$(res packetsReceived)
	tl_check "$what: the browser received RTP (packetsReceived=${pr:-0} > 150)" test "${pr:-0}" -gt 150
	local en; en=$(res totalAudioEnergy)
	tl_check "$what: the browser heard audio (totalAudioEnergy=${en:-0}, audioLevel=$(res audioLevel))" \
		awk -v e="${en:-0}" 'BEGIN{exit !(e > 0.01)}'
	[ -n "$(res error)" ] && tl_fail "$what: page error: $(res error)"
}

# 1. Browser -> PSTN.
pc=$(tl_port)
rm -f "$TL_TMP/m1"
probe_start carrier1 -l "$pc" -r "@$TL_TMP/m1" -n 500 -f 1000 -d 600 -o "$TL_TMP/heard1.raw"
probe1=$PROBE_PID
SIPP_PORT=$TL_TRUNK_PORT sipp_bg carrier1 uas_hold_probe.xml -m 1 -key mport "$pc" -key mfile "$TL_TMP/m1" \
	|| tl_fail "carrier sipp starts"
carrier=$SIPP_PID
run_page call 8
wait_file "$web/result.json" 150 || tl_fail "browser -> PSTN: the page reported (see $TL_TMP/web/page.log)"
stop_chrome
wait "$carrier"; rc=$?
tl_eq "browser -> PSTN: the carrier's call completed" "$rc" 0
wait "$probe1"
check_browser_side "browser -> PSTN"
r=$(probe_val carrier1 recv)
# The tone is measured on the first second the carrier heard: later come the
# hold and the in-band digits, whose tones would win a whole-call measurement.
f=$(python3 - "$TL_TMP/heard1.raw" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
s = struct.unpack("<%dh" % (len(d) // 2), d)
# skip silence at the start, then one second of audio
i = next((k for k, v in enumerate(s) if abs(v) > 500), len(s))
w = s[i + 800:i + 8800]
z = sum(1 for a, b in zip(w, w[1:]) if (a < 0) != (b < 0))
print("%.1f" % (z / 2.0) if len(w) == 8000 else 0)
PY
)
tl_check "browser -> PSTN: the carrier got PCMU from the browser (recv=${r:-0} > 150)" test "${r:-0}" -gt 150
tl_check "browser -> PSTN: the carrier hears the page's 440 Hz (measured ${f:-none} Hz in its first second)" in_range "${f:-0}" 435 445
tl_eq "browser -> PSTN: the browser put the call on hold" "$(res held)" true
tl_eq "browser -> PSTN: ... and resumed it" "$(res resumed)" true
after=$(res afterResume); total=$(res packetsReceived)
tl_check "browser -> PSTN: audio came back after the resume (${after:-?} -> ${total:-?} packets, > 150 more)" \
	test $(( ${total:-0} - ${after:-0} )) -gt 150
digits=$("$builddir/tests/tools/dtmfdet" "$TL_TMP/heard1.raw" 2>/dev/null | sed -n 's/^digits=\([^ ]*\).*/\1/p')
tl_eq "browser -> PSTN: the browser's RFC 4733 digits reach the G.711 carrier as tones" "$digits" "159#"

# 2. PSTN -> browser.
run_page answer 6
if wait_file "$web/ready" 100; then
	pa=$(tl_port)
	rm -f "$TL_TMP/m2"
	probe_start caller2 -l "$pa" -r "@$TL_TMP/m2" -n 400 -f 1000 -d 600
	probe2=$PROBE_PID
	sipp_fg caller2 uac_codec.xml "127.0.0.1:$TL_SIP_PORT" -m 1 -s 1000 -d 9000 \
		-key mport "$pa" -key mfile "$TL_TMP/m2" -key pt 0 -key codec PCMU/8000; rc=$?
	tl_eq "PSTN -> browser: the call to alice's number 1000 is answered by the browser" "$rc" 0
	wait "$probe2"
	wait_file "$web/result.json" 50 || tl_fail "PSTN -> browser: the page reported"
	# tandemd offers the browser the caller's PCMU (no transcoding needed)
	check_browser_side "PSTN -> browser" PCMU audio/PCMU
	f=$(probe_val caller2 freq); r=$(probe_val caller2 recv)
	tl_check "PSTN -> browser: the caller got the browser's audio (recv=${r:-0} > 150)" test "${r:-0}" -gt 150
	tl_check "PSTN -> browser: the caller hears the page's 440 Hz (measured ${f:-none} Hz)" in_range "${f:-0}" 435 445
else
	tl_fail "PSTN -> browser: the page registered and is ready (see $TL_TMP/web/page.log)"
fi
stop_chrome
tl_stop_tandemd; rc=$?
tl_eq "tandemd stops cleanly" "$rc" 0
if [ "$TL_FAIL" -gt 0 ]; then
	echo "--- page log"; cat "$web/page.log" 2>/dev/null | tail -20
	echo "--- tandemd log"; tail -40 "$TANDEMD_LOG"
fi
tl_done
