#!/usr/bin/env bash
# test_cdr_pgsql.sh - call records into a real PostgreSQL through mod_cdr_pgsql.
#
# Starts a private PostgreSQL 15 (initdb in a temporary directory, Unix socket
# only, run as the 'postgres' user when we are root), makes the table as
# mod_cdr_pgsql 1.0 made it (one row in it), and runs tandemd with
# mod_cdr_pgsql and a CSV cdr_file side by side:
#   upgrade  at connect the module adds the columns 1.0 lacked (the old row
#            kept, NULL in them); the table then has the columns and types of
#            contrib/cdr_pgsql.sql (loaded, twice, into another database)
#   up       an answered trunk call with RTP both ways, a transcoded call
#            (PCMU caller from trunk pbx, 5 % of its packets dropped, to a
#            PCMA-only trunk2 with a caller_id) with RTP both ways, a busy
#            one, an unrouted one and 10 echo calls: the answered and the
#            transcoded calls' rows match their CSV records column by column
#            (all 36: quality per leg, source, caller_out included), the RTP
#            counts match what rtpprobe sent, the loss what it dropped
#   outage   PostgreSQL is stopped; 10 echo calls and a busy one go through as
#            fast as before (nothing blocks on the database), tandemctl status
#            and /metrics say the backend is down with 11 records pending, the
#            spool holds them; tandemd is restarted while the database is
#            still down (the spool survives) and takes 5 more calls
#   back     PostgreSQL starts again: every record of the CSV is in the table
#            exactly once, stored in the order the calls ended
#   replay   the spool saved during the outage is put back and tandemd restarted:
#            the replayed records are dropped as duplicates (ON CONFLICT)
#   insert-only  a 1.0 table a DBA made, tandemd's role granted only what
#            contrib/cdr_pgsql.sql says (INSERT, SELECT (attempt_uid), the
#            sequence): records are stored in the columns there are, and an
#            error names the missing columns and what to run
# Budget: about 60 s on a loaded 2-core machine.
. "$srcdir/tests/lib/testlib.sh"
tl_tmp
. "$srcdir/tests/sip/siplib.sh"
need_tools

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
for t in "$PGBIN/initdb" "$PGBIN/pg_ctl" "$PGBIN/psql" curl; do
	[ -x "$t" ] || command -v "$t" >/dev/null && continue
	tl_fail "$t is missing (Debian packages: postgresql, curl)"
	tl_done
done
[ -x "$builddir/modules/mod_cdr_pgsql.so" ] || { tl_fail "mod_cdr_pgsql.so was not built"; tl_done; }

NUMBER=9123456
# --- a private PostgreSQL ------------------------------------------------------------
PGROOT=$(mktemp -d /tmp/tandem-pg.XXXXXX)
chmod 755 "$PGROOT"
PGDATA="$PGROOT/data" PGSOCK="$PGROOT/sock" PGPORT=$(tl_port)
mkdir -p "$PGSOCK"
if [ "$(id -u)" -eq 0 ]; then
	chown postgres: "$PGROOT" "$PGSOCK"
	as_pg() { runuser -u postgres -- "$@"; }
else
	as_pg() { "$@"; }
fi
pg_cleanup() {
	as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate stop >/dev/null 2>&1
	[ -z "${TL_KEEP:-}" ] && rm -rf "$PGROOT"
}
trap 'pg_cleanup; tl_cleanup' EXIT
pg_start() { as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGROOT/pg.log" -w -t 60 \
	-o "-k $PGSOCK -p $PGPORT -c listen_addresses= -c fsync=off" start >/dev/null; }
pg_stop() { as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null; }
sql_db() { local db=$1; shift; "$PGBIN/psql" -X -A -t -q -v ON_ERROR_STOP=1 -h "$PGSOCK" -p "$PGPORT" -U tandem -d "$db" "$@"; }
sql() { sql_db billing "$@"; }

as_pg "$PGBIN/initdb" -D "$PGDATA" -U tandem -A trust -E UTF8 --no-sync >"$PGROOT/initdb.log" 2>&1 ||
	{ tl_fail "initdb"; tail "$PGROOT/initdb.log"; tl_done; }
pg_start || { tl_fail "PostgreSQL starts"; tail "$PGROOT/pg.log"; tl_done; }
"$PGBIN/psql" -X -q -h "$PGSOCK" -p "$PGPORT" -U tandem -d postgres -c "CREATE DATABASE billing" ||
	{ tl_fail "create the database"; tail "$PGROOT/pg.log"; tl_done; }
# contrib/cdr_pgsql.sql in a database of its own (twice: its upgrade part is harmless)
"$PGBIN/psql" -X -q -h "$PGSOCK" -p "$PGPORT" -U tandem -d postgres -c "CREATE DATABASE fresh"
tl_check "contrib/cdr_pgsql.sql loads" sql_db fresh -f "$srcdir/contrib/cdr_pgsql.sql"
tl_check "contrib/cdr_pgsql.sql loads again on its own table" sql_db fresh -f "$srcdir/contrib/cdr_pgsql.sql"
# v1_table NAME: the table as mod_cdr_pgsql 1.0 made it
v1_table() {
	sql <<SQL
CREATE TABLE $1 (id bigserial, attempt_uid text PRIMARY KEY, node text NOT NULL,
	call_id text NOT NULL, attempt integer NOT NULL, start_time timestamptz NOT NULL,
	answer_time timestamptz, end_time timestamptz NOT NULL, duration_ms bigint NOT NULL,
	caller text NOT NULL, called_in text NOT NULL, called_out text NOT NULL, target text NOT NULL,
	final_code integer NOT NULL, q850_cause integer, disposition text NOT NULL,
	codec_a text NOT NULL, codec_b text NOT NULL, a_pkts_in bigint NOT NULL,
	a_pkts_out bigint NOT NULL, b_pkts_in bigint NOT NULL, b_pkts_out bigint NOT NULL,
	a_dropped bigint NOT NULL, b_dropped bigint NOT NULL,
	inserted_at timestamptz NOT NULL DEFAULT now());
SQL
}
# billing: the 1.0 table, with a row
v1_table tandem_cdr || tl_fail "make the 1.0 table"
sql <<'SQL' || tl_fail "a row in the 1.0 table"
INSERT INTO tandem_cdr (attempt_uid, node, call_id, attempt, start_time, end_time, duration_ms,
	caller, called_in, called_out, target, final_code, disposition, codec_a, codec_b,
	a_pkts_in, a_pkts_out, b_pkts_in, b_pkts_out, a_dropped, b_dropped)
	VALUES ('legacy/0/x-1', 'legacy', 'x', 1, now(), now(), 0, 'c', '1', '1', 'trunk1', 404,
	'REJECTED', '', '', 0, 0, 0, 0, 0, 0);
SQL

# --- tandemd with mod_cdr_pgsql ----------------------------------------------------------
CDR="$TL_TMP/cdr.csv" SPOOL="$TL_TMP/spool" MP=$(tl_port) T2=$(tl_port) PBX=$(tl_port)
mkdir -p "$SPOOL"
TL_EXTRA="cdr_file = $CDR
cdr_database = host=$PGSOCK port=$PGPORT user=tandem dbname=billing
cdr_spool_dir = $SPOOL
node_name = gw-test
metrics_listen = 127.0.0.1:$MP" TL_TRUNKS="
[trunk2](carrier)
host = 127.0.0.1
port = $T2
codecs = PCMA
caller_id = 442071234567

[pbx](carrier)
host = 127.0.0.1
port = $PBX" TL_ROUTES=$'9 = trunk1\n8 = trunk2' tl_conf "$TL_TMP/conf"
sed -i 's/^modules = mod_g711$/modules = mod_g711, mod_cdr_pgsql/' "$TL_TMP/conf/tandem.conf"
fix_rtp_range "$TL_TMP/conf/tandem.conf"
tl_start_tandemd "$TL_TMP/conf/tandem.conf" || { tl_fail "tandemd starts with mod_cdr_pgsql"; tl_done; }
tl_check "tandemd logs the CDR module" grep -q "call records also go to module cdr_pgsql" "$TANDEMD_LOG"

rows() { sql -c "SELECT count(*) FROM tandem_cdr WHERE node <> 'legacy'" 2>/dev/null; }
csv_rows() { echo $(( $(wc -l <"$CDR") - 1 )); }
wait_rows() { # N: until the table has N rows (25 s at most; retries back off to 10 s)
	for _ in $(seq 1 250); do [ "$(rows)" = "$1" ] && return 0; sleep 0.1; done
	return 1
}
cdr_status() { tl_ctl --json status | jq -r ".cdr[0].$1"; }
metric() { curl -s --max-time 5 "http://127.0.0.1:$MP/metrics" | awk -v s="$1" '$1 == s { print $2 }'; }
# echo_calls N NAME: N calls to the echo endpoint, 200 ms each; prints sipp's rc
echo_calls() {
	sipp_fg "$2" uac_basic.xml "127.0.0.1:$TL_SIP_PORT" -s 600 -m "$1" -l "$1" -r 20 \
		-key mport "$(tl_port)" -key mfile /dev/null -d 200
	local rc=$?
	if [ $rc -ne 0 ]; then
		sipp_why "$2"
		tail -n 20 "$TANDEMD_LOG" | sed 's/^/    tandemd: /'
	fi
	return $rc
}
# busy_call NAME
busy_call() {
	SIPP_PORT=$TL_TRUNK_PORT sipp_bg "$1-carrier" uas_busy.xml -m 1 || return 1
	local cpid=$SIPP_PID
	sipp_fg "$1" uac_busy.xml "127.0.0.1:$TL_SIP_PORT" -m 1 -s "$NUMBER" -key mport "$(tl_port)"
	local rc=$?
	wait "$cpid"
	return $rc
}

# --- up: rows field by field ---------------------------------------------------------------
PA=$(tl_port); PB=$(tl_port)
probe_start up-a -l "$PA" -r "@$TL_TMP/ma" -n 100 -f 1000 -d 600; PROBE_A=$PROBE_PID
probe_start up-b -l "$PB" -r "@$TL_TMP/mb" -n 120 -f 1500 -d 600; PROBE_B=$PROBE_PID
SIPP_PORT=$TL_TRUNK_PORT sipp_bg up-carrier uas_basic.xml -m 1 -key mport "$PB" -key mfile "$TL_TMP/mb"
cpid=$SIPP_PID
sipp_fg up-caller uac_basic.xml "127.0.0.1:$TL_SIP_PORT" -m 1 -s "$NUMBER" -key mport "$PA" \
	-key mfile "$TL_TMP/ma" -d 4000; rc=$?
tl_eq "up: an answered call through trunk1" "$rc" 0
[ $rc -ne 0 ] && sipp_why up-caller
wait "$cpid"
wait "$PROBE_A" "$PROBE_B"
sent_a=$(probe_val up-a sent); sent_b=$(probe_val up-b sent)
busy_call up-busy; tl_eq "up: a busy call (486 from the carrier)" "$?" 0
sipp_fg up-404 uac_notfound.xml "127.0.0.1:$TL_SIP_PORT" -m 1 -s 7777 -key mport "$(tl_port)"
tl_eq "up: an unrouted call (404)" "$?" 0
# a transcoded call: PCMU from trunk pbx (its address and port: the call's
# source) to trunk2 (PCMA only, caller_id set), the caller dropping 5 % of its packets
XA=$(tl_port); XB=$(tl_port)
probe_start xc-a -l "$XA" -r "@$TL_TMP/xa" -n 150 -f 1000 -d 600 -L 5; PROBE_A=$PROBE_PID
probe_start xc-b -l "$XB" -r "@$TL_TMP/xb" -n 150 -f 1500 -d 600 -p 8; PROBE_B=$PROBE_PID
SIPP_PORT=$T2 sipp_bg xc-carrier uas_pcma.xml -m 1 -key mport "$XB" -key mfile "$TL_TMP/xb"
cpid=$SIPP_PID
SIPP_PORT=$PBX sipp_fg xc-caller uac_basic.xml "127.0.0.1:$TL_SIP_PORT" -m 1 -s 8123456 \
	-key mport "$XA" -key mfile "$TL_TMP/xa" -d 4000; rc=$?
tl_eq "up: a transcoded call from pbx through trunk2" "$rc" 0
[ $rc -ne 0 ] && sipp_why xc-caller
wait "$cpid"
wait "$PROBE_A" "$PROBE_B"
xsent_a=$(probe_val xc-a sent); xsent_b=$(probe_val xc-b sent)
tl_check "up: ... the PCMA carrier hears the caller's 1000 Hz ($(probe_val xc-b freq) Hz, PT $(probe_val xc-b pt))" \
	bash -c '[ "$2" = 8 ] && awk -v f="$1" "BEGIN{exit !(f >= 995 && f <= 1005)}"' _ "$(probe_val xc-b freq)" "$(probe_val xc-b pt)"
awk -F, '$10 == "trunk2"' "$CDR" | sed 's/^/    csv: /'
echo_calls 10 up-echo; tl_eq "up: 10 echo calls" "$?" 0
tl_check "up: 14 rows in the table" wait_rows 14
tl_eq "up: ... as many as the CSV file has records" "$(rows)" "$(csv_rows)"

# --- upgrade: the 1.0 table got the new columns at connect ----------------------------------
tl_check "upgrade: tandemd logs the columns it added" \
	grep -q "cdr_pgsql: table tandem_cdr made by an earlier version: added the columns a_rtp_expected, .*, source, caller_out" "$TANDEMD_LOG"
tl_eq "upgrade: the 1.0 row is kept, NULL in the new columns" \
	"$(sql -F ' ' -c "SELECT call_id, a_rtp_expected IS NULL, b_mos IS NULL, source IS NULL FROM tandem_cdr WHERE node = 'legacy'")" "x t t t"
columns() { sql_db "$1" -c "SELECT attname || ' ' || format_type(atttypid, atttypmod) || ' ' || attnotnull
	FROM pg_attribute WHERE attrelid = 'tandem_cdr'::regclass AND attnum > 0 AND NOT attisdropped" | sort; }
columns billing >"$TL_TMP/cols.billing"; columns fresh >"$TL_TMP/cols.fresh"
tl_check "upgrade: the table has the columns and types of contrib/cdr_pgsql.sql ($(wc -l <"$TL_TMP/cols.billing") columns)" \
	cmp -s "$TL_TMP/cols.billing" "$TL_TMP/cols.fresh"
diff "$TL_TMP/cols.billing" "$TL_TMP/cols.fresh" | sed 's/^/    /'
tl_eq "upgrade: 39 columns" "$(wc -l <"$TL_TMP/cols.billing")" 39
sql -c "DELETE FROM tandem_cdr WHERE node = 'legacy'"

# row_vs_csv NAME WHERE AWK_COND: the row matching WHERE against the CSV record
# matching AWK_COND, every CSV column by its header name; fills ROW[] and CSV[]
declare -A ROW CSV
row_vs_csv() {
	local -a H R V
	local expr='' h i ts="AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
	IFS=',' read -r -a H <"$CDR"
	for h in "${H[@]}"; do
		case $h in
		attempt_id) h="call_id || '-' || attempt" ;;
		start|answer|end) h="to_char(${h}_time $ts" ;;
		duration_s) h="round(duration_ms / 1000.0)" ;;
		esac
		expr="$expr${expr:+, }$h"
	done
	IFS='|' read -r -a R <<<"$(sql -F '|' -c "SELECT $expr, attempt_uid FROM tandem_cdr WHERE $2")"
	IFS=',' read -r -a V <<<"$(awk -F, "$3" "$CDR")"
	ROW=() CSV=()
	for i in "${!H[@]}"; do
		ROW[${H[$i]}]=${R[$i]:-} CSV[${H[$i]}]=${V[$i]:-}
		tl_eq "$1: row's ${H[$i]} = CSV's" "${R[$i]:-}" "${V[$i]:-}"
	done
	ROW[attempt_uid]=${R[${#H[@]}]:-}
}

# the answered call's row against its CSV record
row_vs_csv up "disposition = 'ANSWERED' AND target = 'trunk1'" '$13 == "ANSWERED" && $10 == "trunk1"'
tl_eq "up: all 36 CSV columns compared" "${#CSV[@]}" 36
tl_eq "up: node" "${ROW[node]}" gw-test
tl_eq "up: caller, called_in, called_out" "${ROW[caller]} ${ROW[called_in]} ${ROW[called_out]}" "caller $NUMBER $NUMBER"
tl_eq "up: final_code, q850, disposition" "${ROW[final_code]} ${ROW[q850_cause]} ${ROW[disposition]}" "200 16 ANSWERED"
tl_eq "up: codecs" "${ROW[codec_a]} ${ROW[codec_b]}" "PCMU/8000 PCMU/8000"
tl_check "up: a_pkts_in ${ROW[a_pkts_in]} = what the caller sent ($sent_a), 2% slack" \
	in_range "${ROW[a_pkts_in]}" "$(( sent_a * 98 / 100 ))" "$sent_a"
tl_check "up: b_pkts_in ${ROW[b_pkts_in]} = what the carrier sent ($sent_b), 2% slack" \
	in_range "${ROW[b_pkts_in]}" "$(( sent_b * 98 / 100 ))" "$sent_b"
tl_check "up: attempt_uid is NODE/RUN/CALLID-1 (${ROW[attempt_uid]})" \
	bash -c '[[ $1 =~ ^gw-test/[0-9a-f]{16}/$2-1$ ]]' _ "${ROW[attempt_uid]}" "${ROW[call_id]}"
tl_eq "up: a relayed call from no known source: source empty, caller_out as sent" \
	"${ROW[source]}|${ROW[caller_out]}" "|caller"

# the transcoded call's row: the new columns carry what the call did
row_vs_csv xcode "target = 'trunk2'" '$10 == "trunk2"'
tl_eq "xcode: codecs" "${ROW[codec_a]} ${ROW[codec_b]}" "PCMU/8000 PCMA/8000"
tl_eq "xcode: source pbx, caller_out the trunk's caller_id" "${ROW[source]} ${ROW[caller_out]}" "pbx 442071234567"
tl_eq "xcode: a_rtp_expected - a_rtp_lost = what the caller sent ($xsent_a of 150)" \
	"$(( ${ROW[a_rtp_expected]:-0} - ${ROW[a_rtp_lost]:-0} ))" "$xsent_a"
tl_check "xcode: a_rtp_lost ${ROW[a_rtp_lost]} = what the caller dropped ($((150 - xsent_a)), the ends may hide 3)" \
	in_range "${ROW[a_rtp_lost]}" "$((150 - xsent_a - 3))" "$((150 - xsent_a))"
tl_check "xcode: b_rtp_expected ${ROW[b_rtp_expected]} = what the carrier sent ($xsent_b), b_rtp_lost 0" \
	bash -c '[ "$1" = "$2" ] && [ "$3" = 0 ]' _ "${ROW[b_rtp_expected]}" "$xsent_b" "${ROW[b_rtp_lost]}"
tl_check "xcode: a_mos ${ROW[a_mos]} (5 % loss) below b_mos ${ROW[b_mos]} (none)" \
	bash -c 'awk -v a="$1" -v b="$2" "BEGIN{exit !(a >= 2.5 && a < b && b >= 4.2)}"' _ "${ROW[a_mos]}" "${ROW[b_mos]}"
tl_eq "xcode: no RTCP from sipp's side: round trip and remote loss NULL (empty in the CSV)" \
	"$(sql -F ' ' -c "SELECT a_rtt_ms IS NULL, b_rtt_ms IS NULL, a_remote_lost IS NULL, b_remote_lost IS NULL FROM tandem_cdr WHERE target = 'trunk2'")" "t t t t"
tl_eq "up: the busy call: 486, q850 17, BUSY, to trunk1" \
	"$(sql -F ' ' -c "SELECT final_code, q850_cause, disposition, target FROM tandem_cdr WHERE final_code = 486")" \
	"486 17 BUSY trunk1"
tl_eq "up: the unrouted call: 404 REJECTED, no answer time" \
	"$(sql -F ' ' -c "SELECT final_code, disposition, called_in, answer_time IS NULL FROM tandem_cdr WHERE final_code = 404")" \
	"404 REJECTED 7777 t"
tl_eq "up: 10 echo rows answered by the echo endpoint" \
	"$(sql -c "SELECT count(*) FROM tandem_cdr WHERE target = 'echo' AND disposition = 'ANSWERED' AND duration_ms BETWEEN 100 AND 5000")" 10
tl_eq "up: tandemctl status: cdr backend pgsql up, 14 written, 0 pending" \
	"$(tl_ctl --json status | jq -r '.cdr[0] | "\(.backend) \(.state) \(.written) \(.pending)"')" "pgsql up 14 0"
tl_check "up: tandemctl status prints a cdr table" bash -c '"$1" -s "$2" status | grep -Eq "^  pgsql +up +14 +0"' _ "$TANDEMCTL" "$TL_CTL"

# every series the Grafana dashboard graphs exists (this daemon has a CDR module)
curl -s --max-time 5 "http://127.0.0.1:$MP/metrics" >"$TL_TMP/up.prom"
missing=
for name in $(grep -o 'tandem_[a-z_0-9]*' "$srcdir/contrib/grafana/tandem-dashboard.json" | sort -u); do
	grep -q "^$name[{ ]" "$TL_TMP/up.prom" || missing="$missing $name"
done
tl_eq "up: every metric contrib/grafana/tandem-dashboard.json uses is served" "${missing:-none}" none
if command -v promtool >/dev/null; then
	tl_check "up: promtool check metrics passes (CDR families included)" \
		bash -c 'promtool check metrics <"$1"' _ "$TL_TMP/up.prom"
fi

# --- outage -------------------------------------------------------------------------------------
pg_stop || tl_fail "PostgreSQL stops"
t0=$(date +%s%N)
echo_calls 10 out-echo; rc=$?
ms=$(elapsed_ms "$t0")
tl_eq "outage: 10 echo calls go through with the database down ($ms ms)" "$rc" 0
tl_check "outage: ... as fast as with it up (< 8 s for 10 calls of 200 ms at 20/s)" test "$ms" -lt 8000
busy_call out-busy; tl_eq "outage: a busy call" "$?" 0
for _ in $(seq 1 50); do [ "$(cdr_status pending)" = 11 ] && break; sleep 0.1; done
tl_eq "outage: tandemctl status: pgsql down, 11 pending" "$(cdr_status state) $(cdr_status pending)" "down 11"
tl_eq "outage: the spool holds the 11 records" "$(wc -l <"$SPOOL/cdr-pgsql.spool")" 11
tl_eq "outage: metric tandem_cdr_backend_up is 0" "$(metric 'tandem_cdr_backend_up{backend="pgsql"}')" 0
tl_eq "outage: metric tandem_cdr_records_pending is 11" "$(metric 'tandem_cdr_records_pending{backend="pgsql"}')" 11
tl_check "outage: tandemd logs where the records are kept" \
	grep -q "cdr pgsql: cannot store call records .*kept in $SPOOL/cdr-pgsql.spool" "$TANDEMD_LOG"
cp "$SPOOL/cdr-pgsql.spool" "$TL_TMP/outage.spool"
tl_stop_tandemd; tl_eq "outage: tandemd stops (exit 0) with records still spooled" "$?" 0
tl_check "outage: ... and says they stay for the next start" \
	grep -q "11 record(s) stay spooled in $SPOOL/cdr-pgsql.spool" "$TANDEMD_LOG"
fix_rtp_range "$TL_TMP/conf/tandem.conf"   # a free block now: the machine is shared
tl_start_tandemd "$TL_TMP/conf/tandem.conf" || { tl_fail "tandemd restarts"; tl_done; }
echo_calls 5 out2-echo; tl_eq "outage: 5 more echo calls after the restart, database still down" "$?" 0
for _ in $(seq 1 50); do [ "$(cdr_status pending)" = 16 ] && break; sleep 0.1; done
tl_eq "outage: 16 pending now" "$(cdr_status pending)" 16

# --- back ----------------------------------------------------------------------------------------
pg_start || tl_fail "PostgreSQL starts again"
t0=$(date +%s%N)
tl_check "back: the table reaches 30 rows" wait_rows 30
echo "    (all delivered $(elapsed_ms "$t0") ms after PostgreSQL came back)"
tl_eq "back: the CSV file has 30 records" "$(csv_rows)" 30
# every CSV record exactly once in the table: compare (call id, attempt, start, code, disposition)
awk -F, 'NR > 1 { print $3, $4, $11, $13 }' "$CDR" |
	sort >"$TL_TMP/csv.keys"
sql -F ' ' -c "SELECT call_id || '-' || attempt, to_char(start_time AT TIME ZONE 'UTC',
	'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), final_code, disposition FROM tandem_cdr" |
	sort >"$TL_TMP/db.keys"
tl_check "back: every CSV record is in the table exactly once (and nothing else)" \
	cmp -s "$TL_TMP/csv.keys" "$TL_TMP/db.keys"
cmp -s "$TL_TMP/csv.keys" "$TL_TMP/db.keys" || diff "$TL_TMP/csv.keys" "$TL_TMP/db.keys" | head | sed 's/^/    /'
tl_eq "back: 30 distinct attempt_uids" "$(sql -c "SELECT count(DISTINCT attempt_uid) FROM tandem_cdr")" 30
tl_eq "back: two runs of tandemd (two RUN parts in the uids)" \
	"$(sql -c "SELECT count(DISTINCT split_part(attempt_uid, '/', 2)) FROM tandem_cdr")" 2
tl_eq "back: stored in the order the calls ended (id order = end_time order)" \
	"$(sql -c "SELECT count(*) FROM (SELECT end_time < lag(end_time) OVER (ORDER BY id) AS back FROM tandem_cdr) x WHERE back")" 0
for _ in $(seq 1 50); do [ "$(cdr_status state)" = up ] && break; sleep 0.1; done
tl_eq "back: tandemctl status: pgsql up, 0 pending" "$(cdr_status state) $(cdr_status pending)" "up 0"
tl_eq "back: metric tandem_cdr_backend_up is 1" "$(metric 'tandem_cdr_backend_up{backend="pgsql"}')" 1
tl_check "back: tandemd logs that it stores records again" grep -q "cdr pgsql: storing call records again" "$TANDEMD_LOG"
tl_eq "back: the spool is empty" "$(stat -c %s "$SPOOL/cdr-pgsql.spool")" 0

# --- replay: records already stored are not stored twice ---------------------------------------
tl_stop_tandemd
cp "$TL_TMP/outage.spool" "$SPOOL/cdr-pgsql.spool"
rm -f "$SPOOL/cdr-pgsql.offset"
fix_rtp_range "$TL_TMP/conf/tandem.conf"   # a free block now: the machine is shared
tl_start_tandemd "$TL_TMP/conf/tandem.conf" || { tl_fail "tandemd restarts for the replay"; tl_done; }
for _ in $(seq 1 100); do [ "$(cdr_status written)" = 11 ] && break; sleep 0.1; done
tl_eq "replay: the 11 old records are offered again and taken" "$(cdr_status written) $(cdr_status pending)" "11 0"
tl_eq "replay: the table still has 30 rows" "$(rows)" 30
echo_calls 2 replay-echo
tl_check "replay: new calls are still stored (32 rows)" wait_rows 32
tl_stop_tandemd; tl_eq "tandemd exits 0" "$?" 0

# --- insert-only: a 1.0 table a DBA made, tandemd's role may only INSERT -------------------------
v1_table cdr_ro || tl_fail "make the 1.0 table cdr_ro"
sql -c "CREATE ROLE ins LOGIN; GRANT INSERT, SELECT (attempt_uid) ON cdr_ro TO ins;
	GRANT USAGE ON SEQUENCE cdr_ro_id_seq TO ins" ||
	tl_fail "make the insert-only role"
sed -i -E "s|^cdr_database = .*|cdr_database = host=$PGSOCK port=$PGPORT user=ins dbname=billing|" "$TL_TMP/conf/tandem.conf"
sed -i -E '/^cdr_table = cdr_ro$/d; s/^(cdr_spool_dir = .*)$/\1\ncdr_table = cdr_ro/' "$TL_TMP/conf/tandem.conf"
fix_rtp_range "$TL_TMP/conf/tandem.conf"
tl_check "insert-only: tandem.conf names role ins and table cdr_ro" \
	bash -c 'grep -q "^cdr_database = .* user=ins " "$1" && grep -q "^cdr_table = cdr_ro$" "$1"' _ "$TL_TMP/conf/tandem.conf"
tl_start_tandemd "$TL_TMP/conf/tandem.conf" || { tl_fail "tandemd starts with the insert-only role"; tl_done; }
echo_calls 2 ro-echo; tl_eq "insert-only: 2 echo calls" "$?" 0
ro_rows() { sql -c "SELECT count(*) FROM cdr_ro" 2>/dev/null; }
for _ in $(seq 1 100); do [ "$(ro_rows)" = 2 ] && break; sleep 0.1; done
tl_eq "insert-only: both records stored in the 1.0 columns" "$(ro_rows)" 2
tl_check "insert-only: tandemd says which columns are missing and what to run" \
	grep -q "cdr_pgsql: table cdr_ro lacks the columns a_rtp_expected, .*, caller_out and cannot be altered (ERROR: *must be owner of table cdr_ro.*a DBA runs the ALTER TABLE in cdr_pgsql.sql" "$TANDEMD_LOG"
tl_eq "insert-only: tandemctl status: pgsql up, 2 written, 0 pending" \
	"$(tl_ctl --json status | jq -r '.cdr[0] | "\(.state) \(.written) \(.pending)"')" "up 2 0"
tl_stop_tandemd; tl_eq "tandemd exits 0" "$?" 0
tl_done
