# netns.sh - run a test in its own network and mount namespace with a DNS
# server of its own, so that tandemd's resolver (which reads /etc/resolv.conf)
# asks our dnsmasq and the host's resolver is never touched.
# Source after tests/lib/testlib.sh, before tl_tmp:
#
#   netns_enter "$@"          re-run this script inside `unshare --net --mount`
#                             (only lo, brought up); fails the test without dnsmasq
#   netns_dns ARGS...         after tl_tmp: start dnsmasq on 127.0.0.1:53 with
#                             the given record options (--host-record=..., ...),
#                             queries logged to $TL_TMP/dns.log, TTL $NETNS_TTL
#                             (default 3); bind-mount a resolv.conf naming it

netns_enter() {
	[ -n "${TANDEM_IN_NETNS:-}" ] && return 0
	if ! command -v dnsmasq >/dev/null; then
		echo "FAIL - dnsmasq is installed (Debian: dnsmasq-base)"
		echo "RESULT passed=0 failed=1"
		exit 1
	fi
	exec unshare --net --mount env TANDEM_IN_NETNS=1 bash "$0" "$@"
}

netns_dns() {
	ip link set lo up
	echo "nameserver 127.0.0.1" >"$TL_TMP/resolv.conf"
	mount --bind "$TL_TMP/resolv.conf" /etc/resolv.conf || return 1
	tl_bg dnsmasq --keep-in-foreground --no-resolv --no-hosts --no-poll --user=root \
		--listen-address=127.0.0.1 --bind-interfaces --port=53 \
		--log-queries --log-facility="$TL_TMP/dns.log" --local-ttl="${NETNS_TTL:-3}" "$@"
	local i
	for i in $(seq 1 50); do
		ss -Hlnu 'sport = :53' | grep -q . && return 0
		sleep 0.1
	done
	return 1
}
