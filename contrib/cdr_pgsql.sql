-- cdr_pgsql.sql - the table mod_cdr_pgsql inserts call records into.
--
-- mod_cdr_pgsql creates this table itself when it is absent and its role may;
-- a DBA who prefers to create it, and to give tandemd's role no more than it
-- needs, runs this file first:
--   psql -v ON_ERROR_STOP=1 -d billing -f cdr_pgsql.sql
-- then grants the role (here 'tandem') what the insert needs (SELECT on
-- attempt_uid is for ON CONFLICT (attempt_uid)):
--   GRANT INSERT, SELECT (attempt_uid) ON tandem_cdr TO tandem;
--   GRANT USAGE ON SEQUENCE tandem_cdr_id_seq TO tandem;
-- After an upgrade of tandemd, such a role cannot add new columns: the module
-- logs which are missing and stores records without them until the DBA runs
-- this file again (its ALTER TABLE at the end adds them).
-- The name is the default cdr_table; for another name, edit every statement below.
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
	-- Added by mod_cdr_pgsql 1.1 (module ABI 1.3): the CSV file's quality, source and
	-- caller_out columns. NULL: not known (in a record spooled by an older
	-- tandemd, or, for rtt/remote_lost/mos, not measured: the CSV's empty
	-- fields). Per leg, a_ (caller side) then b_:
	a_rtp_expected bigint,              -- RTP packets expected from the peer (RFC 3550)
	a_rtp_lost     bigint,              -- ... and lost
	a_jitter_ms    numeric(10,2),       -- interarrival jitter at the end
	a_rtt_ms       numeric(10,1),       -- round trip from RTCP; NULL: unknown
	a_remote_lost  bigint,              -- the peer's loss on what tandemd sent; NULL: no report
	a_mos          numeric(3,2),        -- E-model estimate of the received audio; NULL: no RTP
	b_rtp_expected bigint,
	b_rtp_lost     bigint,
	b_jitter_ms    numeric(10,2),
	b_rtt_ms       numeric(10,1),
	b_remote_lost  bigint,
	b_mos          numeric(3,2),
	source         text,                -- trunk or user the call came from ('' if neither)
	caller_out     text,                -- calling number as sent to the trunk ('anonymous': hidden)
	inserted_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS tandem_cdr_start_idx ON tandem_cdr (start_time);

-- Upgrade of a table made for an earlier tandemd: mod_cdr_pgsql runs this
-- itself at connect when its role may alter the table (and logs an error
-- naming the missing columns when it may not); a DBA can run it instead.
-- Harmless on an up-to-date table.
ALTER TABLE tandem_cdr
	ADD COLUMN IF NOT EXISTS a_rtp_expected bigint,
	ADD COLUMN IF NOT EXISTS a_rtp_lost bigint,
	ADD COLUMN IF NOT EXISTS a_jitter_ms numeric(10,2),
	ADD COLUMN IF NOT EXISTS a_rtt_ms numeric(10,1),
	ADD COLUMN IF NOT EXISTS a_remote_lost bigint,
	ADD COLUMN IF NOT EXISTS a_mos numeric(3,2),
	ADD COLUMN IF NOT EXISTS b_rtp_expected bigint,
	ADD COLUMN IF NOT EXISTS b_rtp_lost bigint,
	ADD COLUMN IF NOT EXISTS b_jitter_ms numeric(10,2),
	ADD COLUMN IF NOT EXISTS b_rtt_ms numeric(10,1),
	ADD COLUMN IF NOT EXISTS b_remote_lost bigint,
	ADD COLUMN IF NOT EXISTS b_mos numeric(3,2),
	ADD COLUMN IF NOT EXISTS source text,
	ADD COLUMN IF NOT EXISTS caller_out text;
