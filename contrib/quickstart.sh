#!/usr/bin/env bash
# quickstart.sh - all set-up on a fresh Debian 12 machine, in one command.
#
#   contrib/quickstart.sh run    install build deps, build, run tandemd in the
#                                foreground on the shipped conf/
#   contrib/quickstart.sh test   install build+test deps, build (plain and
#                                with ASan/UBSan), run the whole test suite;
#                                ends with "N passed, M failed"
#   contrib/quickstart.sh build  install build deps and build only
#
# Needs root or sudo for apt-get. Builds in ./build (and ./build-asan); the
# first build also rebuilds Debian's libsrtp2 source package on OpenSSL into
# build/.deps/srtp2-openssl (contrib/srtp-openssl.sh; cached afterwards).
# Environment: TIERS=fast,slow,... limits the test tiers; FUZZ_SECONDS sets
# the time each fuzz target runs after replaying its corpus (default 15).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

BUILD_DEPS="build-essential autoconf automake pkg-config dpkg-dev libsofia-sip-ua-dev libsrtp2-dev
 libopus-dev libspandsp-dev libtiff-dev libevent-dev libssl-dev libjansson-dev check libbcg729-dev libpq-dev"
TEST_DEPS="sip-tester python3 openssl chromium clang libclang-rt-14-dev iproute2 procps jq baresip-core prometheus curl kamailio logrotate man-db groff-base systemd tshark postgresql dnsmasq-base socat"

# Private, static libsrtp2 on OpenSSL (contrib/srtp-openssl.sh); tandemd links
# it statically, so the installed daemon does not need this directory.
SRTP_PREFIX=${SRTP_PREFIX:-$top/build/.deps/srtp2-openssl}

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

install_deps() { # packages...
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "quickstart: installing ${missing[*]}"
	as_root apt-get update -qq
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

build() { # dir [configure args]
	local dir=$1; shift
	[ -x "$top/configure" ] && [ "$top/configure" -nt "$top/configure.ac" ] || autoreconf -fi >/dev/null
	mkdir -p "$dir"
	# libsrtp2 on OpenSSL (Debian's is on NSS and slows down with many live
	# sessions): built once from Debian's source package, then cached.
	bash "$top/contrib/srtp-openssl.sh" "$SRTP_PREFIX"
	( cd "$dir"
	  [ -f Makefile ] || "$top/configure" -q --enable-werror --with-srtp="$SRTP_PREFIX" "$@"
	  make -j"$(nproc)" >/dev/null
	  make -j"$(nproc)" check TESTS= >/dev/null )
}

cmd=${1:-}
case "$cmd" in
run)
	# shellcheck disable=SC2086
	install_deps $BUILD_DEPS
	build "$top/build"
	echo "quickstart: starting tandemd on conf/tandem.conf (Ctrl-C stops it)"
	echo "quickstart: in another shell: build/src/tandemctl -s conf/run/tandemd.sock status"
	exec "$top/build/src/tandemd" -f -c "$top/conf/tandem.conf"
	;;
build)
	# shellcheck disable=SC2086
	install_deps $BUILD_DEPS
	build "$top/build"
	;;
test)
	# shellcheck disable=SC2086
	install_deps $BUILD_DEPS $TEST_DEPS
	# The browser test fetches JsSIP and esbuild with npm; Debian's npm only
	# when no npm is installed (a NodeSource nodejs brings its own).
	command -v npm >/dev/null || install_deps npm
	# Debian's kamailio package starts its own service on port 5060, which the
	# tests need free (tests/sip/test_kamailio.sh runs a Kamailio of its own).
	if [ -d /run/systemd/system ] && systemctl is-active --quiet kamailio.service; then
		as_root systemctl disable --now kamailio.service
	fi
	set +e
	pass=0 fail=0
	# A build that fails is a failed test, and the closing line still comes.
	if ! ( set -e; build "$top/build" ); then
		echo "quickstart: the plain build failed"; echo "0 passed, 1 failed"; exit 1
	fi
	asan_ok=1
	( set -e; build "$top/build-asan" --enable-sanitizers ) || { asan_ok=0; fail=$((fail + 1));
		echo "quickstart: the ASan/UBSan build failed"; }
	tiers=${TIERS:-fast,slow,load,browser}
	tally() { # log
		local l; l=$(tail -n 1 "$1")
		if [[ "$l" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
			pass=$((pass + BASH_REMATCH[1])); fail=$((fail + BASH_REMATCH[2]))
		else
			fail=$((fail + 1))
		fi
	}
	echo "### plain build: tiers $tiers"
	tests/run-tests.sh -b build -t "$tiers" | tee build/tests.out; tally build/tests.out
	if [ $asan_ok = 1 ]; then
		echo "### ASan/UBSan build: fast and slow tiers (leaks fail)"
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
			tests/run-tests.sh -b build-asan -t fast,slow -l build-asan/test-logs | tee build-asan/tests.out
		tally build-asan/tests.out
	fi
	echo "### fuzz targets: corpus replay + ${FUZZ_SECONDS:-15}s each"
	tests/fuzz/run-fuzz.sh -o build/fuzz -s "${FUZZ_SECONDS:-15}" | tee build/fuzz.out; tally build/fuzz.out
	echo "### total"
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	;;
*)
	echo "usage: $0 run|test|build" >&2
	exit 2
	;;
esac
