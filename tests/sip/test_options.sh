#!/usr/bin/env bash
# test_options.sh - tandemd answers SIP OPTIONS (the load balancer's health
# check) with 200 and an Allow header, over UDP and TCP, and counts them.
. "$srcdir/tests/lib/testlib.sh"
tl_tmp
. "$srcdir/tests/sip/siplib.sh"
need_tools

tl_conf "$TL_TMP/conf"
tl_start_tandemd "$TL_TMP/conf/tandem.conf" || { tl_fail "tandemd starts"; tl_done; }

before=$(tl_ctl --json status | jq -r .sip.options_answered)
tl_eq "options_answered starts at 0" "$before" 0

sipp_fg opt_udp options.xml "127.0.0.1:$TL_SIP_PORT" -t u1 -m 3 -r 10; rc=$?
tl_eq "sipp: 3 OPTIONS over UDP each get 200 with Allow: ...INVITE..." "$rc" 0
[ $rc -ne 0 ] && sipp_why opt_udp

sipp_fg opt_tcp options.xml "127.0.0.1:$TL_SIP_PORT" -t t1 -m 2 -r 10; rc=$?
tl_eq "sipp: 2 OPTIONS over TCP each get 200 with Allow: ...INVITE..." "$rc" 0
[ $rc -ne 0 ] && sipp_why opt_tcp

# The 200 carries the configured User-Agent as Server (default "tandem").
tl_check "the 200 names the server (Server: tandem)" grep -qi '^Server: *tandem' "$TL_TMP/opt_udp.msg"

after=$(tl_ctl --json status | jq -r .sip.options_answered)
tl_eq "tandemctl status counts options_answered" "$after" 5
req=$(tl_ctl --json status | jq -r .sip.requests_in)
tl_check "tandemctl status counts requests_in >= 5 (got $req)" test "${req:-0}" -ge 5

tl_stop_tandemd; rc=$?
tl_eq "tandemd stops cleanly" "$rc" 0

# The shipped conf/ as a newcomer runs it (contrib/quickstart.sh run): a copy,
# with modules_dir pointed at this build; everything else as shipped, so it
# listens on 127.0.0.1:5060 and its control socket is conf/run/tandemd.sock.
cp -r "$srcdir/conf" "$TL_TMP/shipped"
rm -rf "$TL_TMP/shipped/run"
sed -i -E "s|^modules_dir[[:space:]]*=.*|modules_dir = $builddir/modules|" "$TL_TMP/shipped/tandem.conf"
TL_CTL="$TL_TMP/shipped/run/tandemd.sock"
if ss -Hlnu 'sport = :5060' | grep -q . || ss -Hlnt 'sport = :5060' | grep -q .; then
	tl_fail "port 5060 is free for the shipped configuration (something else listens on it)"
elif tl_start_tandemd "$TL_TMP/shipped/tandem.conf"; then
	tl_ok "tandemd starts on the shipped conf/"
	sipp_fg shipped_udp options.xml "127.0.0.1:5060" -t u1 -m 1; rc=$?
	tl_eq "shipped conf: OPTIONS over UDP on 127.0.0.1:5060 gets 200" "$rc" 0
	sipp_fg shipped_tcp options.xml "127.0.0.1:5060" -t t1 -m 1; rc=$?
	tl_eq "shipped conf: OPTIONS over TCP on 127.0.0.1:5060 gets 200" "$rc" 0
	# the README's test call: from this machine (trusted by carrier-a's acl)
	sipp_fg shipped_call uac_basic.xml "127.0.0.1:5060" -s 600 -key mport "$(tl_port)" \
		-key mfile "$TL_TMP/shipped_ma" -d 500 -m 1; rc=$?
	tl_eq "shipped conf: a call to 600 (echo) from 127.0.0.1 is answered without a password" "$rc" 0
	out=$("$builddir/tests/tools/sipauth" -L 127.0.0.2 -m INVITE -s 600 -n 127.0.0.1 5060 | head -1)
	tl_eq "shipped conf: the same call from another address (127.0.0.2) must authenticate" "$out" "407 INVITE"
	out=$("$builddir/tests/tools/sipauth" -L 127.0.0.2 -m INVITE -s 600 -u 1000 -p tandem-1000 127.0.0.1 5060 | tail -2 | tr '\n' ' ')
	tl_eq "shipped conf: the test user 1000 (password tandem-1000) may call" "$out" "200 INVITE 200 BYE "
	tl_check "shipped conf: tandemctl status answers on conf/run/tandemd.sock" \
		bash -c '"$1" -s "$2" --json status | jq -e ".modules[0].name == \"g711\"" >/dev/null' _ "$TANDEMCTL" "$TL_CTL"
	tl_stop_tandemd; rc=$?
	tl_eq "shipped conf: tandemd stops cleanly" "$rc" 0
else
	tl_fail "tandemd starts on the shipped conf/"
fi
tl_done
