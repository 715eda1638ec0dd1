#!/usr/bin/env bash
# test_trunk_dns.sh - a trunk given by DNS name (RFC 3263): dnsmasq serves
# NAPTR -> SRV (two targets, priorities 10 and 20) -> A for carrier.test in a
# private network and mount namespace (lo only, our own /etc/resolv.conf), so
# the host's resolver is never touched. The first target answers 503 (then:
# is not there at all) and the call must go to the second; the Request-URI
# keeps the name; answers are cached for their TTL and resolved again after.
. "$srcdir/tests/lib/testlib.sh"

. "$srcdir/tests/sip/netns.sh"
netns_enter "$@"
tl_tmp
. "$srcdir/tests/sip/siplib.sh"
need_tools

NUMBER=9123456
TTL=3
PA=$(tl_port); PB=$(tl_port)
NETNS_TTL=$TTL netns_dns \
	--naptr-record=carrier.test,10,10,S,SIP+D2T,,_sip._tcp.sip.carrier.test \
	--naptr-record=carrier.test,20,10,S,SIP+D2U,,_sip._udp.sip.carrier.test \
	--srv-host=_sip._udp.sip.carrier.test,b.carrier.test,$PB,20,10 \
	--srv-host=_sip._udp.sip.carrier.test,a.carrier.test,$PA,10,10 \
	--host-record=a.carrier.test,127.0.0.1 --host-record=b.carrier.test,127.0.0.1
tl_check "dnsmasq serves the test zone on 127.0.0.1:53 (in the namespace, own resolv.conf)" \
	bash -c "ss -Hlnu 'sport = :53' | grep -q . && grep -q '^nameserver 127.0.0.1' /etc/resolv.conf"

TL_SIP_PORT=$(tl_port); TL_TRUNK_PORT=$PA
TL_EXTRA="cdr_file = $TL_TMP/cdr.csv" TL_SETUP_TIMEOUT=3 TL_ROUTES="9 = trunk1" tl_conf "$TL_TMP/conf"
# trunk1 by name, no port: NAPTR/SRV
sed -i -E 's/^host = .*/host = carrier.test/; /^port = /d' "$TL_TMP/conf/trunks.conf"
tl_start_tandemd "$TL_TMP/conf/tandem.conf" || { tl_fail "tandemd starts"; tl_done; }
for _ in $(seq 1 50); do grep -q "dns: carrier.test ->" "$TL_TMP/tandemd.log" && break; sleep 0.1; done
tl_check "tandemd resolved carrier.test via NAPTR and SRV to both targets, priority 10 first" \
	grep -q "dns: carrier.test -> 127.0.0.1:$PA, 127.0.0.1:$PB (for $TTL s)" "$TL_TMP/tandemd.log"
tl_eq "tandemctl trunks lists the DNS targets in order" \
	"$(tl_ctl --json trunks | jq -r '.trunks[0].dns_targets | join(", ")')" \
	"a.carrier.test -> 127.0.0.1:$PA, b.carrier.test -> 127.0.0.1:$PB"

call() { # NAME: one call from a caller; sets RC
	sipp_fg "$1-caller" uac_basic.xml "127.0.0.1:$TL_SIP_PORT" -m 1 -s "$NUMBER" \
		-key mport "$(tl_port)" -key mfile "$TL_TMP/$1.ma" -d 500
	RC=$?
}

# 1. the first target answers 503: the call goes to the second
SIPP_PORT=$PA sipp_bg a503-first uas_503.xml -m 1; first=$SIPP_PID
SIPP_PORT=$PB sipp_bg a503-second uas_basic.xml -m 1 -key mport "$(tl_port)" -key mfile "$TL_TMP/mb1"; second=$SIPP_PID
call a503
tl_eq "503 from target 1 (priority 10): the caller's call is answered" "$RC" 0
[ $RC -ne 0 ] && sipp_why a503-caller
wait "$first"; tl_eq "target 1 got the INVITE and its 503 was ACKed" "$?" 0
wait "$second"; rc=$?
tl_eq "target 2 (priority 20) took the call" "$rc" 0
[ $rc -ne 0 ] && sipp_why a503-second
tl_check "the Request-URI keeps the name: INVITE sip:$NUMBER@carrier.test" \
	grep -q "^INVITE sip:$NUMBER@carrier.test SIP/2.0" "$TL_TMP/a503-second.msg"
tl_check "the log names the DNS failover" \
	grep -q "trunk trunk1 target 1 failed (503 .*): trying its next DNS target" "$TL_TMP/tandemd.log"
tl_eq "two call records: FAILOVER then ANSWERED" \
	"$(awk -F, 'NR > 1 { print $0 }' "$TL_TMP/cdr.csv" | grep -o 'FAILOVER\|ANSWERED' | tr '\n' ' ')" "FAILOVER ANSWERED "

# 2. the first target is not there at all (nothing listens): the same
SIPP_PORT=$PB sipp_bg gone-second uas_basic.xml -m 1 -key mport "$(tl_port)" -key mfile "$TL_TMP/mb2"; second=$SIPP_PID
t0=$(date +%s%N)
call gone
ms=$(elapsed_ms "$t0")
tl_eq "target 1 unreachable: the caller's call is answered by target 2" "$RC" 0
[ $RC -ne 0 ] && sipp_why gone-caller
wait "$second"; tl_eq "target 2 took the call" "$?" 0
tl_check "... within the setup timeout plus the call ($ms ms < 6000)" test "$ms" -lt 6000

# 3. caching: three calls' worth of time within one TTL asked NAPTR once or
# twice at most; after the TTL the name is resolved again
n1=$(grep -c "query\[NAPTR\] carrier.test" "$TL_TMP/dns.log")
tl_check "NAPTR carrier.test asked $n1 time(s) so far: cached, not per call" test "$n1" -ge 1 -a "$n1" -le 4
sleep $((TTL + 2))
n2=$(grep -c "query\[NAPTR\] carrier.test" "$TL_TMP/dns.log")
tl_check "after the TTL ($TTL s) it is asked again ($n1 -> $n2)" test "$n2" -gt "$n1"
tl_check "SRV asked for the NAPTR's replacement _sip._udp.sip.carrier.test" \
	grep -q "query\[SRV\] _sip._udp.sip.carrier.test" "$TL_TMP/dns.log"

tl_stop_tandemd; tl_eq "tandemd exits 0" "$?" 0
tl_done
