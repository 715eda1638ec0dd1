#!/usr/bin/env bash
# test_install.sh - packaging: `make install DESTDIR=...` lays out what an
# admin gets and the installed tandemd accepts its installed configuration; a
# second install keeps an edited file (new one as FILE.dist); the man pages
# render without warnings; uninstall removes all but the edited file; the
# tarball holds every test file; contrib/tandemd.service passes
# systemd-analyze verify; contrib/logrotate.d/tandem rotates a running
# tandemd's log and call records (it reopens them on SIGUSR1).
. "$srcdir/tests/lib/testlib.sh"
tl_tmp
DEST="$TL_TMP/root"

# mkvar VAR: a variable of the build's Makefile, fully expanded (the
# Makefile is brought up to date first, so that no configure output mixes in)
make -C "$builddir" Makefile >"$TL_TMP/remake.log" 2>&1
mkvar() { printf 'print-%%:\n\t@echo $($*)\n' | make -s -C "$builddir" -f Makefile -f - "print-$1"; }
prefix=$(mkvar prefix); sbindir=$(mkvar sbindir); bindir=$(mkvar bindir)
moduledir=$(mkvar moduledir); sysconfdir=$(mkvar sysconfdir); mandir=$(mkvar mandir)
runstatedir=$(mkvar runstatedir); includedir=$(mkvar includedir)
confdir="$DEST$sysconfdir/tandem"
tl_check "the build's install directories are known (prefix '$prefix', modules in '$moduledir')" \
	test -n "$prefix" -a -n "$moduledir" -a -n "$sysconfdir"

# --- install -------------------------------------------------------------------
make -C "$builddir" install DESTDIR="$DEST" >"$TL_TMP/install1.log" 2>&1; rc=$?
tl_eq "make install DESTDIR=... succeeds" "$rc" 0
[ "$rc" -ne 0 ] && tail -n 20 "$TL_TMP/install1.log"

for f in "$sbindir/tandemd" "$bindir/tandemctl"; do
	tl_check "installed and executable: $f" test -x "$DEST$f"
done
built_mods=$(cd "$builddir/modules" && ls mod_*.so 2>/dev/null)
tl_check "codec modules were built ($(echo $built_mods))" test -n "$built_mods"
for m in $built_mods; do
	tl_check "module in moduledir: $moduledir/$m" test -f "$DEST$moduledir/$m"
done
for f in man5/tandem.conf.5 man8/tandemd.8 man8/tandemctl.8; do
	tl_check "man page installed: $mandir/$f" test -s "$DEST$mandir/$f"
done
for f in module.h codec.h cdr.h; do
	tl_check "module ABI header installed: $includedir/tandem/$f" test -f "$DEST$includedir/tandem/$f"
done
for f in tandem.conf interfaces.conf trunks.conf routes.conf; do
	tl_check "configuration installed: $sysconfdir/tandem/$f" test -s "$confdir/$f"
done
tl_eq "installed tandem.conf: modules_dir is the installed module directory" \
	"$(sed -n 's/^modules_dir *= *\([^ ;]*\).*/\1/p' "$confdir/tandem.conf")" "$moduledir"
tl_eq "installed tandem.conf: control_socket is tandemctl's default" \
	"$(sed -n 's/^control_socket *= *\([^ ;]*\).*/\1/p' "$confdir/tandem.conf")" \
	"$runstatedir/tandem/tandemd.sock"
tl_check "tandemctl -h names the same socket" \
	bash -c '"$1" -h 2>&1 | grep -qF "$2"' _ "$DEST$bindir/tandemctl" "$runstatedir/tandem/tandemd.sock"

# The installed daemon checks the installed configuration (its modules taken
# from DESTDIR: that is the edit an admin's file gets here).
sed -i "s|^modules_dir *=.*|modules_dir = $DEST$moduledir|" "$confdir/tandem.conf"
"$DEST$sbindir/tandemd" -t -c "$confdir/tandem.conf" >"$TL_TMP/t.out" 2>&1; rc=$?
tl_eq "installed tandemd -t accepts the installed configuration" "$rc" 0
[ "$rc" -ne 0 ] && tail -n 20 "$TL_TMP/t.out"
tl_check "... and loads mod_g711 from the installed module directory" \
	grep -q "loaded from $DEST$moduledir/mod_g711.so" "$TL_TMP/t.out"
tl_eq "installed tandemd -V" "$("$DEST$sbindir/tandemd" -V 2>&1 | head -1)" "tandemd $(mkvar PACKAGE_VERSION)"

# --- a second install keeps the admin's edit -----------------------------------------
cp "$confdir/tandem.conf" "$TL_TMP/edited.conf"
make -C "$builddir" install DESTDIR="$DEST" >"$TL_TMP/install2.log" 2>&1; rc=$?
tl_eq "a second make install succeeds" "$rc" 0
tl_check "the edited tandem.conf is left as it was" cmp -s "$TL_TMP/edited.conf" "$confdir/tandem.conf"
tl_eq "the new one is installed beside it as tandem.conf.dist" \
	"$(sed -n 's/^modules_dir *= *\([^ ;]*\).*/\1/p' "$confdir/tandem.conf.dist")" "$moduledir"
tl_check "make install says so" grep -q "tandem.conf was edited: kept" "$TL_TMP/install2.log"
tl_check "unedited files get no .dist" test ! -e "$confdir/routes.conf.dist" -a ! -e "$confdir/trunks.conf.dist"

# --- man pages -----------------------------------------------------------------------
if command -v man >/dev/null; then
	for f in man5/tandem.conf.5 man8/tandemd.8 man8/tandemctl.8; do
		out=$(MANWIDTH=80 man --warnings -l "$DEST$mandir/$f" 2>&1 >/dev/null)
		tl_eq "man -l $f renders without warnings" "$out" ""
		tl_check "... and says something ($f)" \
			bash -c '[ "$(MANWIDTH=80 man -l "$1" 2>/dev/null | wc -l)" -gt 10 ]' _ "$DEST$mandir/$f"
	done
else
	tl_fail "man not found (Debian packages 'man-db' and 'groff-base')"
fi

# --- systemd unit ----------------------------------------------------------------------
if command -v systemd-analyze >/dev/null; then
	sed "s|/usr/local/sbin/|$DEST$sbindir/|g; s|/usr/local/etc/|$DEST$sysconfdir/|g" \
		"$srcdir/contrib/tandemd.service" >"$TL_TMP/tandemd.service"
	out=$(MANPATH="$DEST$mandir" systemd-analyze verify "$TL_TMP/tandemd.service" 2>&1); rc=$?
	tl_eq "systemd-analyze verify contrib/tandemd.service: clean${out:+ ($out)}" "$rc/$out" "0/"
	tl_check "the unit runs tandemd in the foreground unprivileged, with no capabilities" \
		bash -c 'grep -q "^ExecStart=.*tandemd -f -c " "$1" && grep -q "^User=tandem$" "$1" &&
			grep -q "^CapabilityBoundingSet=$" "$1" && grep -q "^NoNewPrivileges=yes$" "$1"' \
		_ "$srcdir/contrib/tandemd.service"
else
	echo "# systemd-analyze not installed: unit not verified"
fi

# --- uninstall -------------------------------------------------------------------------
make -C "$builddir" uninstall DESTDIR="$DEST" >"$TL_TMP/uninstall.log" 2>&1; rc=$?
tl_eq "make uninstall succeeds" "$rc" 0
left=$(cd "$DEST" && find . -type f | sort | tr '\n' ' ')
tl_eq "uninstall leaves only the edited configuration file" "$left" ".$sysconfdir/tandem/tandem.conf "

# --- the tarball holds every test file (tests/local.mk checks in dist-hook) -----------
mkdir -p "$TL_TMP/dist"
make -C "$builddir" distdir distdir="$TL_TMP/dist/tandem" >"$TL_TMP/distdir.log" 2>&1; rc=$?
tl_eq "make distdir: every file the tests need is distributed" "$rc" 0
[ "$rc" -ne 0 ] && grep -i "not distributed\|error" "$TL_TMP/distdir.log" | head -5
tl_check "... tests/TESTS and this script among them" \
	test -f "$TL_TMP/dist/tandem/tests/TESTS" -a -f "$TL_TMP/dist/tandem/tests/sip/test_install.sh"
chmod -R u+w "$TL_TMP/dist" 2>/dev/null

# --- logrotate ----------------------------------------------------------------------------
if command -v logrotate >/dev/null; then
	out=$(logrotate -d "$srcdir/contrib/logrotate.d/tandem" 2>&1); rc=$?
	tl_check "logrotate -d accepts contrib/logrotate.d/tandem" \
		bash -c '[ "$1" = 0 ] && ! grep -qi "^error" <<<"$2"' _ "$rc" "$out"
	# The same file on a running tandemd: its paths moved into the test
	# directory, the PID given directly instead of asked from systemd.
	L="$TL_TMP/lr"; mkdir -p "$L/log" "$L/lib"
	TL_EXTRA="log_file = $L/log/tandemd.log
cdr_file = $L/lib/cdr.csv" tl_conf "$L/conf"
	if tl_start_tandemd "$L/conf/tandem.conf"; then
		sed -e "s|/var/log/tandem/|$L/log/|; s|/var/lib/tandem/|$L/lib/|" \
		    -e "s|^\([[:space:]]*\)pid=.*|\1pid=$TANDEMD_PID|" \
			"$srcdir/contrib/logrotate.d/tandem" >"$L/logrotate.conf"
		wait_nonempty() { for _ in $(seq 1 30); do [ -s "$1" ] && return 0; sleep 0.1; done; return 1; }
		wait_nonempty "$L/log/tandemd.log"
		logrotate -f -s "$L/state" "$L/logrotate.conf" >"$L/out" 2>&1; rc=$?
		tl_eq "logrotate -f rotates a running tandemd's files" "$rc" 0
		[ "$rc" -ne 0 ] && cat "$L/out"
		tl_check "the log was renamed to tandemd.log.1" test -s "$L/log/tandemd.log.1"
		tl_check "call records renamed to cdr.csv-DATE" \
			bash -c 'ls "$1"/cdr.csv-2* >/dev/null 2>&1' _ "$L/lib"
		wait_nonempty "$L/log/tandemd.log"
		tl_check "after SIGUSR1 tandemd writes a new log file" grep -q "reopened" "$L/log/tandemd.log"
		wait_nonempty "$L/lib/cdr.csv"
		tl_check "... and a new call record file that starts with the CSV header" \
			grep -q "^node,call_id," "$L/lib/cdr.csv"
		tl_stop_tandemd; rc=$?
		tl_eq "tandemd exits 0" "$rc" 0
	else
		tl_fail "tandemd starts with log_file and cdr_file set"
	fi
else
	echo "# logrotate not installed: rotation not tested"
fi
tl_done
