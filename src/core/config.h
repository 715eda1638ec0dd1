/* config.h - the configuration snapshot.
 *
 * The INI files under conf/ are parsed and validated whole into one immutable,
 * reference-counted snapshot (tconf_t). Nothing in a snapshot changes after
 * tconf_load() returns it; a reload builds a new one and swaps it in only if it
 * is valid (see tconf_check_reload). Running calls keep a reference to the
 * snapshot they started with.
 *
 * Ownership: tconf_load() returns a snapshot with one reference, owned by the
 * caller. tconf_ref() adds one, tconf_unref() drops one and frees the whole
 * snapshot (every string and array in it) at zero. Any thread may ref/unref.
 * Pointers into a snapshot are valid as long as a reference is held.
 *
 * Every key is declared once in the schema table (config_schema.c): section
 * kind, name, type, bounds, default, reloadable or restart-only, one-line doc.
 * `tandemd -t` prints the effective config from the schema, and the man page
 * tandem.conf(5) follows it.
 *
 * File format: INI. `[name]` starts a section; `[name](!)` defines a template;
 * `[name](tpl1,tpl2)` inherits keys from templates (later keys override);
 * `key = value`; `;` and `#` start comments; `#include "file"` (path relative
 * to the including file) includes another file.
 * Details (quoting, includes, templates, every key): tandem.conf(5), generated
 * from the schema by tconf_schema_man().
 *
 * Section kinds:
 *   [general]            process-wide settings
 *   [media]              media plane settings
 *   [calls]              call timers
 *   [NAME] type=interface  a network interface: bind and advertised address,
 *                        SIP listeners, RTP port range
 *   [NAME] type=trunk    a SIP peer calls are routed to
 *   [NAME] type=user     a subscriber (phone, softphone) that authenticates
 *                        with digest and may register; NAME is its user name
 *   [auth]               digest realm, nonce lifetime, ban of failing sources
 *   [registrar]          REGISTER expiry bounds, limits, bindings file
 *   [NAME] type=route    a route with conditions (caller, source, regex) and
 *                        number changes; see routetab.h
 *   [limits]             CPS per source, reject code, emergency numbers
 *   [routes]             `prefix = target[, target...]`; target is a trunk
 *                        name, a built-in endpoint (echo, milliwatt) or
 *                        user:NAME (the user's registered phones).
 *                        A prefix is digits with an optional leading '+'
 *                        ("+" alone matches every number starting with '+');
 *                        the key `default` is the catch-all (prefix "").
 *                        Failover order is the order of the list, unless
 *                        targets say `priority=N` / `weight=N`; the key
 *                        `file` names a data file of `prefix,target,...`
 *                        lines for large tables.
 *   [response_map]       `code = code` mapping of final responses received on
 *                        the outbound leg before relaying them (e.g. 503 = 480)
 */
#ifndef TANDEM_CORE_CONFIG_H
#define TANDEM_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Reliable provisional responses (RFC 3262) asked of a trunk. */
enum tconf_prack { TCONF_PRACK_NO, TCONF_PRACK_SUPPORTED, TCONF_PRACK_REQUIRED };

enum tconf_transport {
	TCONF_TP_UDP = 1 << 0,
	TCONF_TP_TCP = 1 << 1,
	TCONF_TP_TLS = 1 << 2,
};

/* Transport security a leg accepts and offers (media.h: enum media_security,
 * same order). */
enum tconf_media_security {
	TCONF_MSEC_OPTIONAL = 0,
	TCONF_MSEC_NONE,
	TCONF_MSEC_SDES,
	TCONF_MSEC_DTLS,
};

struct tconf_interface {
	const char *name;
	const char *address;        /* bind address (IPv4/IPv6 literal) */
	const char *advertise;      /* address put in SDP/Via/Contact; = address if unset */
	uint16_t sip_port;          /* default 5060 */
	unsigned transports;        /* TCONF_TP_* bits; default udp,tcp */
	uint16_t rtp_port_min;      /* default 20000, even */
	uint16_t rtp_port_max;      /* default 29999 */
	uint16_t tls_port;          /* SIP over TLS (transports has tls); default 5061 */
	const char *tls_certificate_dir;  /* agent.pem (key + chain), cafile.pem (trusted CAs) */
	bool tls_verify_server;     /* check the certificate of TLS peers we connect to */
};

/* A trunk's DTMF: RFC 4733 events (or in-band when it takes none), or SIP
 * INFO (application/dtmf-relay) both ways. */
enum tconf_dtmf {
	TCONF_DTMF_RFC4733 = 0,
	TCONF_DTMF_INFO,
};

struct tconf_trunk {
	const char *name;
	const char *host;           /* IP literal or DNS name */
	uint16_t port;              /* 0 = unset: 5060/5061, or NAPTR/SRV for a name */
	enum tconf_transport transport;   /* default udp */
	const char *interface;      /* interface name; default: the first interface */
	bool latch;                 /* learn the media source (default yes); off for trusted trunks */
	const char **codecs;        /* NULL-terminated, preference order; NULL = any */
	unsigned max_channels;      /* 0 = unlimited */
	unsigned options_interval;  /* s between OPTIONS health checks; 0 = off */
	unsigned strip;             /* digits removed from the front of the called number */
	const char *prepend;        /* prefix added after strip; NULL = none */
	const char *caller_id;      /* fixed calling number toward the trunk; NULL = pass */
	/* number format (numplan.h): E.164 normalisation toward the trunk */
	const char *country_code;   /* e.g. "44"; NULL = numbers are passed as they are */
	const char *national_prefix;      /* default "0" */
	const char *international_prefix; /* default "00" */
	int number_format;          /* enum tnum_format; default as-is */
	unsigned max_cps;           /* new calls per second sent to the trunk; 0 = unlimited */
	unsigned max_cps_in;        /* new calls per second accepted from it; 0 = unlimited */
	/* header policy (hdrpolicy.h) */
	bool trust_pai;             /* P-Asserted-Identity accepted from and sent to it */
	bool pass_diversion;        /* Diversion headers relayed toward it */
	bool pass_history_info;     /* History-Info headers relayed toward it */
	enum tconf_dtmf dtmf;       /* how digits reach the trunk; default rfc4733 */
	/* outbound digest (trunk_auth.c) and registration (trunk_register.c) */
	const char *username;       /* answer 401/407 from the trunk; NULL = do not */
	const char *password;
	const char *realm;          /* only answer challenges of this realm; NULL = any */
	bool do_register;           /* keep a registration with the trunk ('register') */
	unsigned register_expiry;   /* s asked for in REGISTER */
	enum tconf_media_security media_security;  /* default optional */
	const char **acl;           /* trusted sources: IP, IP/bits or "host"; NULL = none */
	int prack;                  /* enum tconf_prack: 100rel offered to the trunk */
	bool session_timer;         /* RFC 4028 on calls to the trunk ([calls] session_expires) */
	bool allow_refer;           /* the trunk may transfer calls (REFER); default no */
};

/* A subscriber. Exactly one way to authenticate: the password, or HA1s
 * (lowercase hex, H(name:realm:password) for [auth] realm). A user with only
 * ha1_md5 cannot log in with SHA-256 (RFC 8760), and the reverse. */
struct tconf_user {
	const char *name;           /* section name = digest username */
	const char *password;       /* NULL when HA1s are given */
	const char *ha1_md5;        /* 32 hex digits, or NULL */
	const char *ha1_sha256;     /* 64 hex digits, or NULL */
	const char *number;         /* extension: calls to it go to the user's phones; NULL = none */
	unsigned max_calls;         /* concurrent calls from and to the user; 0 = unlimited */
	bool allow_international;   /* may call numbers starting with + or 00 */
	enum tconf_media_security media_security;  /* toward the user's phones; default optional */
};

enum tconf_target_kind {
	TCONF_TARGET_TRUNK,
	TCONF_TARGET_ECHO,
	TCONF_TARGET_MILLIWATT,
	TCONF_TARGET_USER,          /* every registered contact of a user, in parallel */
};

struct tconf_target {
	enum tconf_target_kind kind;
	const struct tconf_trunk *trunk;  /* for TCONF_TARGET_TRUNK */
	unsigned priority;          /* lower is tried first; default: position in the list */
	unsigned weight;            /* share among equal priorities; default 1 */
	const struct tconf_user *user;    /* for TCONF_TARGET_USER */
};

/* A [NAME] type=route section as written (routetab.c turns it into a route). */
struct tconf_route_def {
	const char *name;
	const char *number;         /* called-number prefix; NULL = any */
	const char *regex;          /* POSIX ERE on the whole called number; NULL = none */
	const char *caller;         /* caller-number prefix; NULL = any */
	const char *source;         /* trunk or user the call comes from; NULL = any */
	const char *targets;        /* "name [priority=N] [weight=N], ..." */
	const char *rewrite;        /* with regex: new number, \0..\9 are groups */
	unsigned strip;
	const char *prepend;
	const char *caller_id;
	const char *file;
	unsigned line;
};

struct tconf_route {
	const char *prefix;         /* digits, may start with '+'; "" matches all */
	const struct tconf_target *targets;
	size_t ntargets;
	const struct tconf_route_def *def;  /* conditions and number changes; NULL for
					     * [routes] keys and route file lines */
	const void *re;             /* compiled def->regex (regex_t), or NULL */
	const char *file;           /* where it is defined */
	unsigned line;
};

/* [limits]: fraud and overload protection (sip/limits.h). */
struct tconf_limits {
	unsigned source_cps;        /* new calls per second per source address; 0 = off */
	unsigned reject_code;       /* 503 or 403 */
	const char **emergency;     /* numbers never limited (exact match) */
};

struct tconf_respmap {
	uint16_t from, to;
};

struct tconf_general {
	int log_level;              /* enum tlog_level */
	const char *log_file;       /* NULL: stderr in the foreground, syslog otherwise */
	unsigned media_workers;     /* restart-only */
	unsigned max_open_files;    /* restart-only; RLIMIT_NOFILE to raise to */
	const char *modules_dir;    /* restart-only */
	const char **modules;       /* NULL-terminated names, e.g. "mod_g711"; NULL if none; restart-only */
	const char *control_socket; /* restart-only */
	unsigned control_socket_mode; /* e.g. 0660; restart-only */
	unsigned drain_timeout;     /* s a drain waits for calls before hanging up */
	const char *cdr_file;       /* CSV call records; NULL = none */
	const char *cdr_database;   /* CDR module's store (libpq conninfo); restart-only */
	const char *cdr_table;      /* CDR module's table; restart-only */
	const char *cdr_spool_dir;  /* where CDR modules spool records; restart-only */
	const char *node_name;      /* used in logs and CDRs; default: hostname */
	const char *user_agent;     /* Server/User-Agent header; default "tandem" */
	const char *metrics_listen; /* "IP:PORT" of the HTTP /metrics endpoint; NULL = off; restart-only */
};

struct tconf_media {
	unsigned rtp_timeout;       /* s of no RTP before the call ends; 0 = off */
	unsigned hold_timeout;      /* s of no RTP while on hold; 0 = off */
	unsigned latch_window;      /* s after setup/re-offer in which a source may be learnt */
	unsigned max_transcoded;    /* calls transcoding at once; 0 = unlimited */
	unsigned rtcp_interval;     /* ms: own RTCP report interval (RFC 3550 Tmin); restart-only */
	const char *dtls_cert, *dtls_key;  /* PEM files; NULL: generated at start */
};

struct tconf_calls {
	unsigned setup_timeout;     /* s to wait for a first provisional from a trunk */
	unsigned no_answer_timeout; /* s of ringing before giving up */
	unsigned max_duration;      /* s; 0 = unlimited */
	unsigned session_expires;   /* RFC 4028 session interval asked for, s; 0 = no session timers */
	unsigned min_se;            /* shortest session interval accepted (else 422), s */
	bool allow_refer;           /* callers (leg A) may transfer calls (REFER); default yes */
};

struct tconf_auth {
	const char *realm;          /* digest realm; default "tandem" */
	unsigned nonce_ttl;         /* s a nonce is valid, then stale */
	unsigned max_nonces;        /* nonces remembered for replay protection; restart-only */
	unsigned ban_failures;      /* failed authentications that ban a source; 0 = never */
	unsigned ban_window;        /* s in which they must happen */
	unsigned ban_time;          /* s a ban lasts */
	bool ban_loopback;          /* also ban 127.0.0.0/8 and ::1 (default no) */
	unsigned digest_algorithms; /* TCONF_DIGEST_* bits offered in challenges */
	bool md5_first;             /* list the MD5 challenge before SHA-256 */
};

enum { TCONF_DIGEST_MD5 = 1 << 0, TCONF_DIGEST_SHA256 = 1 << 1 };

struct tconf_registrar {
	unsigned min_expires;       /* below: 423 Interval Too Brief */
	unsigned max_expires;       /* above: lowered to this */
	unsigned default_expires;   /* when a REGISTER asks for none */
	unsigned max_bindings;      /* in all; restart-only */
	unsigned max_contacts;      /* per address of record; restart-only */
	const char *bindings_file;  /* bindings saved here and loaded at start; NULL = not kept; restart-only */
	int keepalive;              /* enum tconf_keepalive: how NAT bindings are kept open */
	unsigned keepalive_interval; /* s between keepalives to each registered contact */
	unsigned udp_max_expires;   /* UDP registrations are granted at most this; 0 = max_expires */
};

enum tconf_keepalive {
	TCONF_KA_NONE,
	TCONF_KA_OPTIONS,           /* OPTIONS to every contact (UDP and TCP) */
	TCONF_KA_CRLF,              /* CRLF pings on TCP connections (RFC 5626 s.4.4.1) */
};

/* [websocket]: SIP over WebSocket for browsers (RFC 7118); see doc/websocket.md. */
struct tconf_websocket {
	const char *ws_listen;      /* IP:PORT of the plain WS listener; NULL = none; restart-only */
	const char *wss_listen;     /* IP:PORT of the WSS listener; NULL = none; restart-only */
	const char *certificate;    /* WSS certificate chain (PEM); re-read on every reload */
	const char *private_key;
	const char **origins;       /* allowed Origin values; NULL = any; restart-only */
	unsigned max_per_ip;        /* restart-only */
	unsigned max_connections;   /* restart-only */
	unsigned max_message;       /* restart-only */
	unsigned handshake_timeout; /* restart-only */
	unsigned ping_interval;     /* restart-only */
	bool md5_only;              /* WebSocket clients are challenged with MD5 alone */
};

typedef struct tconf {
	/* private: reference count and allocation arena */
	struct tconf_priv *priv;

	unsigned generation;        /* set by the loader; increases with every successful load */
	const char *path;           /* main file */

	struct tconf_general general;
	struct tconf_media media;
	struct tconf_calls calls;
	struct tconf_auth auth;
	struct tconf_registrar registrar;
	struct tconf_limits limits;
	struct tconf_websocket websocket;

	const struct tconf_interface *interfaces;
	size_t ninterfaces;
	const struct tconf_trunk *trunks;
	size_t ntrunks;
	const struct tconf_user *users;    /* in file order */
	size_t nusers;
	const struct tconf_route *routes;  /* [routes] and its file: by prefix length, longest first */
	size_t nroutes;
	const struct tconf_route *xroutes; /* type=route sections, in file order */
	size_t nxroutes;
	struct troutetab *rtab;     /* lookup table over all of them (routetab.h) */
	const struct tconf_route_def *route_defs;  /* the type=route sections as written */
	size_t nroute_defs;
	const struct tconf_respmap *respmap;
	size_t nrespmap;
} tconf_t;

/* A list of errors, each "file:line: message" (just "file: message" for
 * errors about the whole configuration). Start with a zeroed struct; loaders
 * append to it (at most ~100 messages, then one "too many errors" line).
 * Owned by the caller; free with tconf_errors_free(), which leaves it zeroed. */
struct tconf_errors {
	char **msgs;
	size_t n;
};
void tconf_errors_free(struct tconf_errors *e);

/* Parse and validate 'path' and its includes. On success returns a snapshot
 * (one reference) with the given generation and leaves errs empty; on any error
 * returns NULL and fills errs (every error found, not only the first). */
tconf_t *tconf_load(const char *path, unsigned generation, struct tconf_errors *errs);

/* Same, from a string (for tests and the fuzzer); 'name' is used in messages;
 * includes are resolved relative to the current directory. */
tconf_t *tconf_load_string(const char *name, const char *text, size_t len,
			   unsigned generation, struct tconf_errors *errs);

/* tconf_load_string() with flags. TCONF_LOAD_NO_INCLUDE makes every
 * `#include` an error (the fuzzer uses it: no file access from its input). */
enum { TCONF_LOAD_NO_INCLUDE = 1u << 0 };
tconf_t *tconf_load_buffer(const char *name, const char *text, size_t len,
			   unsigned generation, unsigned flags, struct tconf_errors *errs);

tconf_t *tconf_ref(tconf_t *c);
void tconf_unref(tconf_t *c);

/* Compare a running snapshot with a candidate: for each restart-only key whose
 * value differs, add "file:line: KEY requires restart (running value kept)" to
 * 'notes'. Returns the number of such keys. The reload still applies the
 * reloadable keys. */
size_t tconf_check_reload(const tconf_t *running, const tconf_t *next, struct tconf_errors *notes);

/* Print the effective configuration (templates expanded, defaults filled) in
 * INI form, as `tandemd -t` does. */
void tconf_print(const tconf_t *c, FILE *out);

/* Lookups. */
const struct tconf_interface *tconf_interface(const tconf_t *c, const char *name);
const struct tconf_trunk *tconf_trunk(const tconf_t *c, const char *name);
/* A user by name (digest username) or by number (extension); NULL if none. */
const struct tconf_user *tconf_user(const tconf_t *c, const char *name);
const struct tconf_user *tconf_user_by_number(const tconf_t *c, const char *number);
/* Longest-prefix match of a called number among the unconditional routes
 * ([routes] and its file); NULL when none matches. See routetab.h for the
 * full match (regex, caller, source). */
const struct tconf_route *tconf_route_lookup(const tconf_t *c, const char *number);
/* Mapped final response code (identity when not in the table). */
int tconf_map_response(const tconf_t *c, int code);
/* "echo", "milliwatt" or the trunk's name; for logs and CDRs. */
const char *tconf_target_name(const struct tconf_target *t);

/* Write tandem.conf(5) in roff, generated from the schema table (build tool
 * src/core/gen_confman). */
void tconf_schema_man(FILE *out);

#endif
