#!/usr/bin/env bash
# srtp-openssl.sh - build Debian's own libsrtp2 source package on OpenSSL.
#
#   contrib/srtp-openssl.sh PREFIX
#
# Debian 12's libsrtp2 is built on NSS, and its cost per packet grows with the
# number of live SRTP sessions (about 3.8 us per protect with one session,
# 28 us with 4,000; see tests/bench/bench_srtp.c and doc/webrtc.md). The same
# source configured with --enable-openssl stays near 1 us however many
# sessions are live. This script:
#   1. enables source packages on the machine's existing apt sources (adds
#      "deb-src" to their Types, or a deb-src twin of each one-line "deb"
#      entry), without naming any mirror itself;
#   2. fetches the source with `apt-get source libsrtp2` (the version apt has);
#   3. configures it with --enable-openssl and installs a STATIC library with
#      its headers and libsrtp2.pc under PREFIX. tandemd links it statically,
#      so an installed tandemd needs nothing from PREFIX at run time.
# PREFIX/.stamp records the source version; a second run with the same
# version does nothing (a few milliseconds).
# Needs root (or sudo) only for the apt steps; prints where it installed.
set -euo pipefail
prefix=${1:?usage: $0 PREFIX}
mkdir -p "$prefix"
prefix=$(cd "$prefix" && pwd)

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# The candidate version apt would install: the cache key.
want=$(apt-cache policy libsrtp2-dev 2>/dev/null | sed -n 's/^ *Candidate: *//p')
[ -n "$want" ] && [ "$want" != "(none)" ] || { echo "srtp-openssl: apt knows no libsrtp2-dev" >&2; exit 1; }
if [ -f "$prefix/.stamp" ] && [ "$(cat "$prefix/.stamp")" = "$want openssl" ] &&
   [ -f "$prefix/lib/pkgconfig/libsrtp2.pc" ]; then
	exit 0
fi

enable_deb_src() {
	local f changed=0
	# deb822 files: "Types: deb" -> "Types: deb deb-src".
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		if grep -Eq '^Types:.*\bdeb\b' "$f" && grep -E '^Types:' "$f" | grep -vq 'deb-src'; then
			as_root sed -i -E '/^Types:/{/deb-src/!s/\bdeb\b/deb deb-src/}' "$f"
			changed=1
		fi
	done
	# One-line format: a deb-src twin after every "deb" line that has none.
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		if grep -Eq '^deb ' "$f" && ! grep -Eq '^deb-src ' "$f"; then
			as_root sed -i -E 's/^deb (.*)$/deb \1\ndeb-src \1/' "$f"
			changed=1
		fi
	done
	return $changed
}

work="$prefix/src"
rm -rf "$work"; mkdir -p "$work"
cd "$work"
if ! apt-get source --download-only -qq libsrtp2 >/dev/null 2>&1; then
	enable_deb_src || true
	as_root apt-get update -qq
	apt-get source --download-only -qq libsrtp2 >/dev/null 2>&1
fi
dpkg-source -q -x ./*.dsc srtp >/dev/null 2>&1
cd srtp
# Debian's own patches are applied by dpkg-source; only the crypto backend
# differs from the Debian build. No shared library: static linking keeps the
# installed tandemd independent of PREFIX.
./configure -q --prefix="$prefix" --enable-openssl --disable-pcap \
	CFLAGS="-O2 -g -fPIC" >/dev/null
make -j"$(nproc)" libsrtp2.a >/dev/null
make install >/dev/null 2>&1
rm -f "$prefix"/lib/libsrtp2.so*
# Static consumers need libcrypto after libsrtp2.
sed -i -E 's/^Libs:(.*)-lsrtp2.*/Libs:\1-lsrtp2 -lcrypto/' "$prefix/lib/pkgconfig/libsrtp2.pc"
cd "$prefix"; rm -rf "$work"
echo "$want openssl" >"$prefix/.stamp"
echo "srtp-openssl: libsrtp2 $want (OpenSSL) installed in $prefix"
