-- cdr_pgsql.sql - the table mod_cdr_pgsql inserts call records into.
--
-- mod_cdr_pgsql creates this table itself (CREATE TABLE IF NOT EXISTS) when
-- its role may; a DBA who prefers to create it, and to give tandemd's role only
-- INSERT (and USAGE on the id sequence), runs this file first:
--   psql -v ON_ERROR_STOP=1 -d billing -f cdr_pgsql.sql
-- The name is the default cdr_table; for another name, edit both lines below.
--
-- One row per call attempt (a call that failed over to a second trunk has two
-- rows with the same call_id). attempt_uid is unique across nodes and
-- restarts: tandemd inserts with ON CONFLICT (attempt_uid) DO NOTHING, so a
-- record replayed from its spool after an outage or a crash is stored once.
-- id grows in the order records were stored (replays keep their order).
CREATE TABLE IF NOT EXISTS tandem_cdr (
	id           bigserial,
	attempt_uid  text PRIMARY KEY,      -- NODE/RUN/CALLID-ATTEMPT
	node         text NOT NULL,         -- node_name of the tandemd that took the call
	call_id      text NOT NULL,         -- as in tandemd's logs and `tandemctl calls`
	attempt      integer NOT NULL,      -- 1, 2, ... (failover)
	start_time   timestamptz NOT NULL,  -- INVITE received (or this attempt started)
	answer_time  timestamptz,           -- NULL: not answered
	end_time     timestamptz NOT NULL,
	duration_ms  bigint NOT NULL,       -- connected time
	caller       text NOT NULL,
	called_in    text NOT NULL,         -- number as received
	called_out   text NOT NULL,         -- number as sent to the trunk
	target       text NOT NULL,         -- trunk or endpoint (echo, milliwatt)
	final_code   integer NOT NULL,      -- SIP final response
	q850_cause   integer,
	disposition  text NOT NULL,         -- ANSWERED BUSY NOANSWER CANCELLED FAILED FAILOVER REJECTED
	codec_a      text NOT NULL,         -- caller leg's codec
	codec_b      text NOT NULL,         -- far leg's codec
	a_pkts_in    bigint NOT NULL,       -- RTP packets from the caller
	a_pkts_out   bigint NOT NULL,       -- RTP packets to the caller
	b_pkts_in    bigint NOT NULL,
	b_pkts_out   bigint NOT NULL,
	a_dropped    bigint NOT NULL,
	b_dropped    bigint NOT NULL,
	inserted_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS tandem_cdr_start_idx ON tandem_cdr (start_time);
