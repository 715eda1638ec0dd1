#!/usr/bin/env bash
# test_subscribers.sh - phones attached to tandemd: digest authentication
# (MD5 and SHA-256: good, wrong and missing credentials, replay, stale nonce,
# ban), never a free call, the registrar (expiry bounds, un-register, restart),
# NAT (received/rport), keepalives, TCP connection reuse, parallel forking
# with early media and CANCEL to the loser, tandemctl registrations.
#
# Loopback is NOT trusted here: the only trusted source is 127.0.0.2 (trunk1's
# acl), which plays a carrier calling in. Phones are sipauth (tests/tools:
# MD5 or SHA-256) and sipp (MD5, its own implementation).
. "$srcdir/tests/lib/testlib.sh"
tl_tmp
. "$srcdir/tests/sip/siplib.sh"
need_tools
SIPAUTH="$builddir/tests/tools/sipauth"
[ -x "$SIPAUTH" ] || { tl_fail "tests/tools/sipauth is built"; tl_done; }

TL_ACL="acl = 127.0.0.2" tl_conf "$TL_TMP/conf"
cat >>"$TL_TMP/conf/tandem.conf" <<CONF

[auth]
nonce_ttl = 10
ban_failures = 3
ban_window = 60
ban_time = 600
ban_loopback = yes

[registrar]
min_expires = 30
max_expires = 600
default_expires = 300
bindings_file = $TL_TMP/bindings.json
keepalive = none
keepalive_interval = 5

[alice]
type = user
password = secret
number = 201

[bob]
type = user
ha1_sha256 = $(printf '%s' 'bob:tandem:pw2' | sha256sum | cut -d' ' -f1)
ha1_md5 = $(printf '%s' 'bob:tandem:pw2' | md5sum | cut -d' ' -f1)
number = 202
max_calls = 1

[carol]
type = user
password = carol-pw
number = 203
CONF
C=$TL_TMP/conf
tl_start_tandemd "$C/tandem.conf" || { tl_fail "tandemd starts"; tl_done; }
P=$TL_SIP_PORT
auth() { "$SIPAUTH" "$@" 127.0.0.1 "$P" 2>>"$TL_TMP/sipauth.err"; }
regs() { tl_ctl --json registrations | jq -r "$1"; }
# Each failed login comes from an address of its own (127.0.1.N): the ban
# (3 failures) is tested on its own at the end.
bad() { local n=$1; shift; auth -L "127.0.1.$n" "$@"; }

# --- digest: good, wrong, missing, for both algorithms --------------------
for alg in sha256 md5; do
	out=$(auth -a $alg -u alice -p secret | tr '\n' '|')
	tl_eq "$alg: REGISTER is challenged with SHA-256 then MD5, and the right password gets 200" \
		"$out" "401 REGISTER|challenge SHA-256,MD5|200 REGISTER|"
	out=$(auth -a $alg -u bob -p pw2 | tail -1)
	tl_eq "$alg: a user given by its HA1 hashes logs in" "$out" "200 REGISTER"
	out=$(bad ${#alg} -a $alg -u alice -p wrong | tail -1)
	tl_eq "$alg: a wrong password gets 403" "$out" "403 REGISTER"
	out=$(bad 1${#alg} -a $alg -u mallory -p x | tail -1)
	tl_eq "$alg: an unknown user gets 403" "$out" "403 REGISTER"
done
out=$(auth -n | tr '\n' '|')
tl_eq "no credentials: 401 with two challenges, nothing else" "$out" "401 REGISTER|challenge SHA-256,MD5|"

out=$(bad 20 -r | tr '\n' '|')
tl_eq "a replayed nonce-count is refused (403) after its first use succeeded" \
	"$out" "401 REGISTER|challenge SHA-256,MD5|200 REGISTER|403 REGISTER|"
out=$(auth -W 11 | tr '\n' '|')
tl_eq "an expired nonce (nonce_ttl 10 s) is challenged again with stale=true" \
	"$out" "401 REGISTER|challenge SHA-256,MD5|401 REGISTER|challenge SHA-256,MD5 stale|"

# --- never a free call --------------------------------------------------------
out=$(auth -m INVITE -s 600 -n | tr '\n' '|')
tl_eq "INVITE from an untrusted source (loopback) without credentials: 407 with both challenges" \
	"$out" "407 INVITE|challenge SHA-256,MD5|"
out=$(bad 21 -m INVITE -s 600 -u alice -p wrong | tail -1)
tl_eq "INVITE with a wrong password: 403" "$out" "403 INVITE"
n=$(tl_ctl --json status | jq -r .sip.calls_total)
tl_eq "no unauthenticated INVITE became a call (calls_total)" "$n" 0
out=$(auth -m INVITE -s 600 -a sha256 -u alice -p secret | tr '\n' '|')
tl_eq "INVITE with SHA-256 credentials reaches routing (echo answers, BYE 200)" \
	"$out" "407 INVITE|challenge SHA-256,MD5|200 INVITE|200 BYE|"
out=$(auth -m INVITE -s 600 -a md5 -u bob -p pw2 | tail -2 | tr '\n' '|')
tl_eq "INVITE with MD5 credentials is routed too" "$out" "200 INVITE|200 BYE|"

# sipp's own MD5 digest, against a reload that lists MD5 first (sipp answers
# the first challenge it sees and knows no SHA-256).
sed -i 's/^ban_loopback = yes/ban_loopback = yes\nmd5_first = yes/' "$C/tandem.conf"
tl_ctl reload >/dev/null
sipp_fg reg_sipp reg_auth.xml "127.0.0.1:$P" -s alice -au alice -ap secret -key expires 120 -m 1; rc=$?
tl_eq "sipp registers with its own MD5 digest ([auth] md5_first = yes)" "$rc" 0
[ $rc -ne 0 ] && sipp_why reg_sipp
tl_check "the 200 lists the registered contact with its expiry" \
	grep -qE "^Contact: <sip:alice@127.0.0.1:[0-9]+;transport=UDP>;expires=120" "$TL_TMP/reg_sipp.msg"

# A phone behind NAT calls (sipp's MD5, Contact port 41099 where nothing
# listens); when the gateway ends the call, its BYE goes to where the phone's
# INVITE came from.
sipp_bg nat_caller uac_auth_wait_bye.xml "127.0.0.1:$P" -s 600 -key caller alice -key cport 41099 \
	-key mport "$(tl_port)" -au alice -ap secret -auth_uri "600@127.0.0.1:$P" -m 1; NC=$SIPP_PID
id=''
for i in $(seq 1 50); do
	id=$(tl_ctl --json calls | jq -r '.calls[0].id // empty')
	[ -n "$id" ] && break
	sleep 0.1
done
tl_ctl call hangup "$id" >/dev/null
sipp_wait "$NC"; rc=$?
tl_eq "a NATed caller gets the gateway's BYE at its source port, not at its Contact" "$rc" 0
[ $rc -ne 0 ] && sipp_why nat_caller

# --- registrar: bounds, multiple contacts, un-register --------------------------
out=$(SIPAUTH_DEBUG=1 "$SIPAUTH" -u carol -p carol-pw -e 10 127.0.0.1 "$P" 2>"$TL_TMP/423.txt" | tail -1)
tl_eq "Expires below min_expires (30): 423 Interval Too Brief" "$out" "423 REGISTER"
tl_check "the 423 says Min-Expires: 30" grep -q "^Min-Expires: 30" "$TL_TMP/423.txt"
auth -u carol -p carol-pw -e 99999 -l "$(tl_port)" -c 41001 >/dev/null
e=$(regs '[.registrations[] | select(.user=="carol")][0].expires')
tl_check "Expires above max_expires is lowered to 600 (granted $e)" test "${e:-0}" -le 600 -a "${e:-0}" -gt 590
CP=$(tl_port)
SIPAUTH_DEBUG=1 "$SIPAUTH" -u carol -p carol-pw -e 300 -l "$CP" -c 41002 -i 0d5a-carol 127.0.0.1 "$P" \
	>/dev/null 2>"$TL_TMP/two.txt"
n=$(regs '[.registrations[] | select(.user=="carol")] | length')
tl_eq "two contacts of one user are both registered" "$n" 2
n=$(grep "^Contact:" "$TL_TMP/two.txt" | grep -o "expires=" | wc -l)   # only the 200 has expires=
tl_eq "the 200 lists both contacts, each with its expiry" "$n" 2
# the same instance from a new address replaces its binding (RFC 5626)
out=$(auth -u carol -p carol-pw -e 300 -l "$(tl_port)" -c 41003 -i 0d5a-carol | tail -1)
n=$(regs '[.registrations[] | select(.user=="carol")] | length')
tl_eq "+sip.instance/reg-id names the binding: a re-REGISTER from elsewhere replaces it ($out)" "$n" 2
auth -u carol -p carol-pw -e 0 -l "$(tl_port)" -c 41003 -i 0d5a-carol >/dev/null
n=$(regs '[.registrations[] | select(.user=="carol")] | length')
tl_eq "Expires: 0 removes that binding" "$n" 1
out=$(auth -u carol -p carol-pw -e 0 -Z | tail -1)
n=$(regs '[.registrations[] | select(.user=="carol")] | length')
tl_eq "Contact: * with Expires: 0 removes every binding ($out)" "$n" 0

# udp_max_expires (a reload): UDP phones re-register often, which keeps their
# NAT binding open; TCP ones keep what they asked for
sed -i 's/^keepalive_interval = 5$/keepalive_interval = 5\nudp_max_expires = 45/' "$C/tandem.conf"
tl_ctl reload >/dev/null
out=$(SIPAUTH_DEBUG=1 "$SIPAUTH" -u carol -p carol-pw -e 300 127.0.0.1 "$P" 2>&1 >/dev/null | grep -c "expires=45")
tl_eq "udp_max_expires = 45: a UDP phone asking for 300 s gets 45" "$out" 1
out=$(SIPAUTH_DEBUG=1 "$SIPAUTH" -t -u carol -p carol-pw -e 300 127.0.0.1 "$P" 2>&1 >/dev/null | grep -c "expires=300")
tl_eq "udp_max_expires: a TCP phone keeps its 300 s" "$out" 1
auth -u carol -p carol-pw -e 0 -Z >/dev/null

# --- calls to users ---------------------------------------------------------------
out=$(auth -L 127.0.0.2 -m INVITE -s 203 | tail -1)
tl_eq "a call to a user with no registered phone gets 480" "$out" "480 INVITE"
out=$(auth -L 127.0.0.2 -m INVITE -s 299 | tail -1)
tl_eq "a call to a number that is neither a user nor routed gets 404" "$out" "404 INVITE"

# Two phones of bob behind a NAT: each REGISTERs from one port (PHONE_n) and
# writes another one (41xxx, where nothing listens) into its Contact.
tl_ctl --json registrations >/dev/null
PH1=$(tl_port); PH2=$(tl_port)
auth -u bob -p pw2 -l "$PH1" -c 41011 >/dev/null
auth -u bob -p pw2 -l "$PH2" -c 41012 >/dev/null
rcv=$(regs "[.registrations[] | select(.user==\"bob\" and .received==\"127.0.0.1:$PH1\")][0].contact")
tl_eq "the binding keeps the NATed contact and the address it came from" \
	"$rcv" "sip:bob@127.0.0.1:41011;transport=udp"
# RTP: the loser plays a 1500 Hz tone as early media; the winner (answering
# after 2.5 s) echoes. The caller talks at 700 Hz from the 183 on and must
# hear the loser's early media; once answered it talks at 1000 Hz, which must
# come back from the winner and never reach the loser.
LM=$(tl_port); WM=$(tl_port); PA=$(tl_port)
rm -f "$TL_TMP/ma" "$TL_TMP/mloser"
probe_start fork_loser_rtp -l "$LM" -r "@$TL_TMP/mloser" -n 50 -f 1500 -d 6000; LPR=$PROBE_PID
probe_start fork_winner_rtp -l "$WM" -n 0 -E -d 9000; WPR=$PROBE_PID
probe_start fork_early_rtp -l "$PA" -r "@$TL_TMP/ma" -n 50 -f 700 -d 100; EPR=$PROBE_PID
SIPP_PORT=$PH1 sipp_bg fork_loser uas_fork_loser.xml -key mport "$LM" -key mfile "$TL_TMP/mloser" -m 1; LP=$SIPP_PID
SIPP_PORT=$PH2 sipp_bg fork_winner uas_fork_winner.xml -key mport "$WM" -m 1; WP=$SIPP_PID
sipp_bg fork_caller uac_early.xml "127.0.0.1:$P" -i 127.0.0.2 -s 202 -key mport "$PA" \
	-key mfile "$TL_TMP/ma" -d 3500 -m 1; CP=$SIPP_PID
wait "$EPR"
st=''
for i in $(seq 1 60); do
	st=$(tl_ctl --json calls | jq -r '.calls[0].state // empty')
	[ "$st" = confirmed ] && break
	sleep 0.1
done
# bob talks now: a second call finds him busy (max_calls = 1)
out=$(auth -L 127.0.0.2 -m INVITE -s 202 | tail -1)
tl_eq "bob has max_calls = 1: a second call while he talks gets 486" "$out" "486 INVITE"
probe_start fork_caller_rtp -l "$PA" -r "@$TL_TMP/ma" -n 100 -f 1000 -d 600; CPR=$PROBE_PID
sipp_wait "$CP"; rc=$?
tl_eq "a trusted carrier's call to 202 is answered by one of bob's two phones" "$rc" 0
[ $rc -ne 0 ] && sipp_why fork_caller
sipp_wait "$LP"; rc=$?
tl_eq "the phone that sent 183 with SDP and did not answer got CANCEL (200, 487, ACK)" "$rc" 0
[ $rc -ne 0 ] && sipp_why fork_loser
sipp_wait "$WP"; rc=$?
tl_eq "the phone that answered after the other's 183 got ACK and BYE" "$rc" 0
[ $rc -ne 0 ] && sipp_why fork_winner
tl_check "both INVITEs reached the phones at their source ports, not their Contact ports" \
	grep -q "^INVITE sip:bob@127.0.0.1:41011" "$TL_TMP/fork_loser.msg"
early=$(awk '/^SIP\/2.0 183/ { f = 1 } f && /^m=audio/ { print "yes"; exit } /^SIP\/2.0 200/ { exit }' \
	"$TL_TMP/fork_caller.msg")
tl_eq "the caller got the early media (183 with SDP) before the 200" "$early" "yes"
tl_check "the loser was cancelled" grep -q "^CANCEL " "$TL_TMP/fork_loser.msg"
wait "$CPR" "$WPR" "$LPR"
r=$(probe_val fork_caller_rtp recv); f=$(probe_val fork_caller_rtp freq)
tl_check "after the answer the caller's audio goes to the winner and back ($r packets, ${f:-none} Hz)" \
	bash -c '[ "${1:-0}" -ge 90 ] && [ "${2%.*}" -ge 995 ] && [ "${2%.*}" -le 1005 ]' _ "$r" "${f:-0}"
r=$(probe_val fork_early_rtp recv); f=$(probe_val fork_early_rtp freq)
tl_check "before the answer the caller heard the first fork's early media ($r packets, ${f:-none} Hz)" \
	bash -c '[ "${1:-0}" -ge 20 ] && [ "${2%.*}" -ge 1495 ] && [ "${2%.*}" -le 1505 ]' _ "$r" "${f:-0}"
r=$(probe_val fork_loser_rtp recv); f=$(probe_val fork_loser_rtp freq)
tl_check "the early fork heard the caller's 700 Hz, and nothing after the answer ($r packets, ${f:-none} Hz)" \
	bash -c '[ "${1:-0}" -le 55 ] && [ "${2%.*}" -ge 695 ] && [ "${2%.*}" -le 705 ]' _ "$r" "${f:-0}"

# The caller gives up while both phones ring: each gets a CANCEL.
PH3=$(tl_port); PH4=$(tl_port)
auth -u carol -p carol-pw -l "$PH3" -c 41041 >/dev/null
auth -u carol -p carol-pw -l "$PH4" -c 41042 >/dev/null
SIPP_PORT=$PH3 sipp_bg ring1 uas_cancel.xml -m 1; R1=$SIPP_PID
SIPP_PORT=$PH4 sipp_bg ring2 uas_cancel.xml -m 1; R2=$SIPP_PID
sipp_fg cancel_caller uac_cancel.xml "127.0.0.1:$P" -i 127.0.0.2 -s 203 -key mport "$(tl_port)" -m 1; rc=$?
tl_eq "the caller cancels while carol's two phones ring: 200 and 487" "$rc" 0
sipp_wait "$R1"; r1=$?; sipp_wait "$R2"; r2=$?
tl_eq "both ringing phones got CANCEL (200, 487, ACK)" "$r1 $r2" "0 0"
auth -u carol -p carol-pw -e 0 -Z >/dev/null
# phones registered but gone (nothing listens at their address any more)
auth -u carol -p carol-pw -l "$(tl_port)" >/dev/null
out=$(auth -L 127.0.0.2 -m INVITE -s 203 | tail -1)
tl_eq "a user whose phones are all unreachable: 480, not 503 (a dispatcher must not drop the node)" \
	"$out" "480 INVITE"
auth -u carol -p carol-pw -e 0 -Z >/dev/null

# TCP: the phone keeps its connection; the call comes back over it (sipauth
# has no listening socket at all).
rm -f "$TL_TMP/tcp.out"
"$SIPAUTH" -t -U -u alice -p secret -c 41021 127.0.0.1 "$P" >"$TL_TMP/tcp.out" 2>&1 &
TP=$!; TL_PIDS+=("$TP")
for i in $(seq 1 50); do grep -q "200 REGISTER" "$TL_TMP/tcp.out" && break; sleep 0.1; done
tp=$(regs '[.registrations[] | select(.user=="alice" and .transport=="tcp")][0].received')
sipp_fg tcp_caller uac_basic.xml "127.0.0.1:$P" -i 127.0.0.2 -s 201 -key mport "$(tl_port)" \
	-key mfile "$TL_TMP/ma2" -d 500 -m 1; rc=$?
wait "$TP"
tl_eq "a call to a phone registered over TCP is answered" "$rc" 0
tl_check "INVITE and BYE came over the phone's own TCP connection ($tp)" \
	bash -c "grep -q 'invite received' '$TL_TMP/tcp.out' && grep -q 'bye received' '$TL_TMP/tcp.out'"

# --- keepalives: an OPTIONS to a registered phone every keepalive_interval ------
# (off until now: an OPTIONS would confuse the sipp phones above)
sed -i 's/^keepalive = none$/keepalive = options/' "$C/tandem.conf"
tl_ctl reload >/dev/null
KP=$(tl_port)
auth -u carol -p carol-pw -l "$KP" -c 41031 >/dev/null
SIPP_PORT=$KP SIPP_TIMEOUT=30 SIPP_RECV_TIMEOUT=15000 sipp_bg keepalive uas_options.xml -m 2; KAP=$SIPP_PID
sipp_wait "$KAP"; rc=$?
tl_eq "a registered phone behind NAT gets OPTIONS keepalives at its source port (2 seen)" "$rc" 0
[ $rc -ne 0 ] && sipp_why keepalive

# keepalive = crlf (a reload): tport pings phones' TCP connections with CRLF
sed -i 's/^keepalive = options$/keepalive = crlf/' "$C/tandem.conf"
tl_ctl reload >/dev/null
out=$("$SIPAUTH" -t -K 12 -u carol -p carol-pw 127.0.0.1 "$P" | tail -1)
n=${out#crlf }
tl_check "keepalive = crlf: CRLF pings on the phone's TCP connection every 5 s ($out in 12 s)" \
	test "${n:-0}" -ge 2

# --- tandemctl registrations ---------------------------------------------------------
tl_check "tandemctl registrations (table) shows user, contact, received, transport, expires, user agent" \
	bash -c '"$1" -s "$2" registrations | head -1 | grep -q "USER.*CONTACT.*RECEIVED.*TRANSPORT.*EXPIRES.*USER_AGENT"' \
	_ "$TANDEMCTL" "$TL_CTL"
ua=$(regs '[.registrations[] | select(.user=="bob")][0].user_agent')
tl_eq "the user agent of the REGISTER is listed" "$ua" "sipauth"

# --- bindings survive a restart ---------------------------------------------------------
before=$(regs '[.registrations[] | .contact] | sort | join(" ")')
tl_stop_tandemd; rc=$?
tl_eq "tandemd stops cleanly (bindings saved)" "$rc" 0
tl_start_tandemd "$C/tandem.conf" || tl_fail "tandemd starts again"
after=$(regs '[.registrations[] | .contact] | sort | join(" ")')
tl_eq "the registrations are back after a restart" "$after" "$before"
tl_check "tandemd logged the restored bindings" grep -q "binding(s) restored from" "$TL_TMP/tandemd.log"

# --- ban, last: it locks 127.0.0.1 out ---------------------------------------------------
for i in 1 2 3; do auth -u alice -p bad >/dev/null; done
out=$(auth -u alice -p secret | tr '\n' '|')
tl_eq "after 3 failures the source is banned: even the right password gets 403 at once" "$out" "403 REGISTER|"
tl_check "the ban is logged with the address and the setting" \
	grep -q "auth: banning 127.0.0.1 for 600s after 3 failed" "$TL_TMP/tandemd.log"
out=$(auth -L 127.0.0.3 -u alice -p secret | tail -1)
tl_eq "another source is not banned" "$out" "200 REGISTER"

tl_stop_tandemd; rc=$?
tl_eq "tandemd stops cleanly" "$rc" 0
tl_done
