/* config_schema.c - every configuration key, once; and tandem.conf(5) from it.
 * See config_schema.h. */
#include <config.h>  /* autoconf; "config.h" would find core/config.h */
#include "core/config_schema.h"
#include "core/config_util.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#ifndef TANDEM_MODULEDIR
#define TANDEM_MODULEDIR "/usr/local/lib/tandem/modules"
#endif
#ifndef TANDEM_RUNSTATEDIR
#define TANDEM_RUNSTATEDIR "/run/tandem"
#endif
#ifndef TANDEM_SPOOLDIR
#define TANDEM_SPOOLDIR "/var/spool/tandem"
#endif
#ifndef TANDEM_SYSCONFDIR
#define TANDEM_SYSCONFDIR "/etc/tandem"
#endif

/* Same order and values as enum tlog_level (core/log.h). */
static const struct tcs_enum log_levels[] = {
	{ "error", 0 }, { "warn", 1 }, { "notice", 2 }, { "info", 3 }, { "debug", 4 },
	{ NULL, 0 },
};
static const struct tcs_enum transports[] = {
	{ "udp", TCONF_TP_UDP }, { "tcp", TCONF_TP_TCP }, { "tls", TCONF_TP_TLS },
	{ NULL, 0 },
};
static const struct tcs_enum dtmf_modes[] = {
	{ "rfc4733", TCONF_DTMF_RFC4733 }, { "info", TCONF_DTMF_INFO },
	{ NULL, 0 },
};
static const struct tcs_enum media_security[] = {
	{ "optional", TCONF_MSEC_OPTIONAL }, { "none", TCONF_MSEC_NONE },
	{ "sdes", TCONF_MSEC_SDES }, { "dtls", TCONF_MSEC_DTLS },
	{ NULL, 0 },
};
static const struct tcs_enum digests[] = {
	{ "md5", TCONF_DIGEST_MD5 }, { "sha256", TCONF_DIGEST_SHA256 },
	{ NULL, 0 },
};
static const struct tcs_enum keepalives[] = {
	{ "none", TCONF_KA_NONE }, { "options", TCONF_KA_OPTIONS }, { "crlf", TCONF_KA_CRLF },
	{ NULL, 0 },
};
static const struct tcs_enum pracks[] = {
	{ "no", TCONF_PRACK_NO }, { "supported", TCONF_PRACK_SUPPORTED },
	{ "required", TCONF_PRACK_REQUIRED },
	{ NULL, 0 },
};
const struct tcs_enum tcs_section_types[] = {
	{ "interface", TCS_INTERFACE }, { "trunk", TCS_TRUNK }, { "user", TCS_USER },
	{ "route", TCS_ROUTE },
	{ NULL, 0 },
};
/* Same values as enum tnum_format (core/numplan.h). */
static const struct tcs_enum number_formats[] = {
	{ "asis", 0 }, { "e164", 1 }, { "international", 2 }, { "national", 3 },
	{ NULL, 0 },
};

#define FIELD(st, f) offsetof(struct st, f), sizeof(((struct st *)0)->f)
#define ROW(kind, st, f, type, flags, min, max, def, en, unset, doc) \
	{ kind, #f, type, flags, min, max, def, en, FIELD(st, f), unset, doc }
#define GEN(f, ...)   ROW(TCS_GENERAL, tconf_general, f, __VA_ARGS__)
#define MED(f, ...)   ROW(TCS_MEDIA, tconf_media, f, __VA_ARGS__)
#define CAL(f, ...)   ROW(TCS_CALLS, tconf_calls, f, __VA_ARGS__)
#define IFC(f, ...)   ROW(TCS_INTERFACE, tconf_interface, f, __VA_ARGS__)
#define TRK(f, ...)   ROW(TCS_TRUNK, tconf_trunk, f, __VA_ARGS__)
#define AUT(f, ...)   ROW(TCS_AUTH, tconf_auth, f, __VA_ARGS__)
#define REG(f, ...)   ROW(TCS_REGISTRAR, tconf_registrar, f, __VA_ARGS__)
#define USR(f, ...)   ROW(TCS_USER, tconf_user, f, __VA_ARGS__)
#define RTE(f, ...)   ROW(TCS_ROUTE, tconf_route_def, f, __VA_ARGS__)
#define LIM(f, ...)   ROW(TCS_LIMITS, tconf_limits, f, __VA_ARGS__)
#define WSK(f, ...)   ROW(TCS_WEBSOCKET, tconf_websocket, f, __VA_ARGS__)

enum { R = TCS_RESTART, REQ = TCS_REQUIRED, PATH = TCS_PATH };

const struct tcs_key tcs_keys[] = {
	GEN(log_level, TCS_ENUM, 0, 0, 0, "info", log_levels, NULL,
	    "Least severe level that is logged."),
	GEN(log_file, TCS_STRING, PATH, 0, 0, NULL, NULL,
	    "stderr in the foreground, syslog as a daemon",
	    "Append the log to this file (reopened on SIGUSR1, for logrotate)."),
	GEN(media_workers, TCS_UINT, R, 1, 64, "2", NULL, NULL,
	    "Media worker threads; each owns its calls' RTP sockets and event loop."),
	GEN(max_open_files, TCS_UINT, R, 256, 1048576, "65536", NULL, NULL,
	    "File descriptor limit (RLIMIT_NOFILE) raised to at start; a call uses about 4."),
	GEN(modules_dir, TCS_STRING, R | PATH, 0, 0, TANDEM_MODULEDIR, NULL, NULL,
	    "Directory the codec modules are loaded from."),
	GEN(modules, TCS_LIST, R, 0, 0, "mod_g711", NULL, "no codec module: calls are relayed only",
	    "Codec modules to load at start, in order."),
	GEN(control_socket, TCS_STRING, R | PATH, 0, 0, TANDEM_RUNSTATEDIR "/tandemd.sock", NULL, NULL,
	    "Unix socket tandemctl talks to."),
	GEN(control_socket_mode, TCS_MODE, R, 0, 0777, "0660", NULL, NULL,
	    "Permissions of the control socket (octal)."),
	GEN(drain_timeout, TCS_UINT, 0, 0, 604800, "3600", NULL, NULL,
	    "Longest a drain waits for calls to end before hanging up the rest and exiting."),
	GEN(cdr_file, TCS_STRING, PATH, 0, 0, NULL, NULL, "no call records",
	    "Append one CSV call record per attempt to this file (reopened on SIGUSR1)."),
	GEN(cdr_database, TCS_STRING, R, 0, 0, NULL, NULL, "none",
	    "Where a call record module (e.g. mod_cdr_pgsql in modules) stores records: for "
	    "PostgreSQL a libpq connection string, e.g. \"host=/run/postgresql dbname=billing\"."),
	GEN(cdr_table, TCS_STRING, R, 0, 0, "tandem_cdr", NULL, NULL,
	    "Table a call record module inserts into (created if absent; see contrib/cdr_pgsql.sql)."),
	GEN(cdr_spool_dir, TCS_STRING, R | PATH, 0, 0, TANDEM_SPOOLDIR, NULL, NULL,
	    "Directory where a call record module spools records (fdatasync'ed per batch) until "
	    "its database has them; replayed in order after an outage or a restart."),
	GEN(node_name, TCS_STRING, 0, 0, 0, NULL, NULL, "the host name",
	    "Name of this node in logs and call records."),
	GEN(user_agent, TCS_STRING, 0, 0, 0, "tandem", NULL, NULL,
	    "Value of the User-Agent and Server headers; none sends neither. A caller's own are never relayed."),
	GEN(metrics_listen, TCS_STRING, R, 0, 0, NULL, NULL, "no metrics endpoint",
	    "Serve Prometheus metrics over HTTP at /metrics on this IPv4:PORT or [IPv6]:PORT."),

	MED(rtp_timeout, TCS_UINT, 0, 0, 86400, "60", NULL, NULL,
	    "Seconds without RTP from either side before a call is ended; 0 = never."),
	MED(hold_timeout, TCS_UINT, 0, 0, 86400, "3600", NULL, NULL,
	    "Seconds without RTP while a call is on hold before it is ended; 0 = never."),
	MED(latch_window, TCS_UINT, 0, 0, 3600, "10", NULL, NULL,
	    "Seconds after setup or a re-offer in which a leg's media source may be learnt."),
	MED(max_transcoded, TCS_UINT, 0, 0, 1000000, "0", NULL, NULL,
	    "Most calls transcoding at once (then new calls that need it get 503); 0 = unlimited."),
	MED(rtcp_interval, TCS_UINT, R, 100, 60000, "5000", NULL, NULL,
	    "Milliseconds between the RTCP reports tandemd sends on transcoded calls, before "
	    "RFC 3550 randomisation (x0.5..1.5 / 1.22); 5000 is the RFC minimum."),
	MED(dtls_cert, TCS_STRING, R | PATH, 0, 0, NULL, NULL, "a self-signed certificate generated at start",
	    "PEM certificate for DTLS-SRTP (browsers check only its a=fingerprint)."),
	MED(dtls_key, TCS_STRING, R | PATH, 0, 0, NULL, NULL, "the generated key",
	    "PEM private key of dtls_cert."),

	CAL(setup_timeout, TCS_UINT, 0, 1, 300, "10", NULL, NULL,
	    "Seconds a trunk may stay silent before its first provisional response; then the next target is tried."),
	CAL(no_answer_timeout, TCS_UINT, 0, 1, 3600, "120", NULL, NULL,
	    "Seconds of ringing before the call is given up."),
	CAL(max_duration, TCS_UINT, 0, 0, 604800, "14400", NULL, NULL,
	    "Longest call in seconds; 0 = unlimited."),
	CAL(session_expires, TCS_UINT, R, 0, 86400, "1800", NULL, NULL,
	    "Session interval (RFC 4028) asked of each leg, in seconds; each leg is refreshed on its own "
	    "and a leg whose peer stops refreshing ends the call; 0 = no session timers."),
	CAL(min_se, TCS_UINT, R, 30, 86400, "90", NULL, NULL,
	    "Shortest session interval accepted from a peer (a shorter one gets 422 Session Interval Too Small); "
	    "RFC 4028 puts the floor at 90, lower values are for tests."),
	CAL(allow_refer, TCS_BOOL, 0, 0, 0, "yes", NULL, NULL,
	    "Callers (the side that sent the INVITE) may transfer a call with REFER (blind transfer: tandemd "
	    "calls the Refer-To number through the routes and bridges it in); trunks have their own allow_refer."),

	{ TCS_NAMED, "type", TCS_ENUM, REQ | TCS_NOSTORE, 0, 0, NULL, tcs_section_types,
	  0, 0, NULL, "What the section defines: an interface, a trunk or a user. May come from a template." },

	IFC(address, TCS_ADDRESS, R | REQ, 0, 0, NULL, NULL, NULL,
	    "Local IPv4 or IPv6 address the SIP listeners and RTP sockets bind to."),
	IFC(advertise, TCS_ADDRESS, R, 0, 0, NULL, NULL, "the address",
	    "Address written into Via, Contact and SDP, e.g. the public address behind 1:1 NAT."),
	IFC(sip_port, TCS_PORT, R, 1, 65535, "5060", NULL, NULL,
	    "SIP listening port."),
	IFC(transports, TCS_ENUMSET, R, 0, 0, "udp,tcp", transports, NULL,
	    "SIP transports to listen on (comma list)."),
	IFC(rtp_port_min, TCS_PORT, R, 1024, 65534, "20000", NULL, NULL,
	    "First RTP port (even; RTCP uses the next odd port)."),
	IFC(rtp_port_max, TCS_PORT, R, 1025, 65535, "29999", NULL, NULL,
	    "Last RTP/RTCP port."),
	IFC(tls_port, TCS_PORT, R, 1, 65535, "5061", NULL, NULL,
	    "SIP over TLS listening port (when transports includes tls)."),
	IFC(tls_certificate_dir, TCS_STRING, R | PATH, 0, 0, NULL, NULL, "no TLS",
	    "Directory with agent.pem (private key and certificate chain) and cafile.pem (CAs trusted "
	    "for the certificates of TLS peers); needed for tls in transports and for TLS trunks."),
	IFC(tls_verify_server, TCS_BOOL, R, 0, 0, "yes", NULL, NULL,
	    "Refuse TLS connections to peers (trunks) whose certificate does not chain to cafile.pem; "
	    "no is for tests only and is logged as a warning. Applies to every TLS trunk of the interface."),

	TRK(host, TCS_HOST, REQ, 0, 0, NULL, NULL, NULL,
	    "IP address or DNS name of the peer; a name is resolved per RFC 3263 and calls fail over across its SRV targets."),
	TRK(port, TCS_PORT, 0, 1, 65535, NULL, NULL, "5060 (5061 for TLS); for a DNS name: NAPTR/SRV",
	    "SIP port of the peer. Leave unset for a DNS name to use its NAPTR and SRV records (RFC 3263)."),
	TRK(transport, TCS_ENUM, 0, 0, 0, "udp", transports, NULL,
	    "SIP transport to the peer."),
	TRK(interface, TCS_STRING, 0, 0, 0, NULL, NULL, "the first interface",
	    "Name of the interface calls to this trunk leave from."),
	TRK(latch, TCS_BOOL, 0, 0, 0, "yes", NULL, NULL,
	    "Learn the peer's media source from the first packets (for NATed peers); no for trusted trunks."),
	TRK(codecs, TCS_LIST, 0, 0, 0, NULL, NULL, "any codec",
	    "Codecs offered to the trunk, in order of preference."),
	TRK(max_channels, TCS_UINT, 0, 0, 1000000, "0", NULL, NULL,
	    "Most concurrent calls to the trunk (then the next target is tried); 0 = unlimited."),
	TRK(options_interval, TCS_UINT, 0, 0, 3600, "0", NULL, "no health checks",
	    "Seconds between OPTIONS health checks; a trunk that fails two in a row is skipped until it answers."),
	TRK(strip, TCS_UINT, 0, 0, 32, "0", NULL, NULL,
	    "Digits removed from the front of the called number before it is sent to the trunk."),
	TRK(prepend, TCS_DIGITS, 0, 0, 0, NULL, NULL, "nothing",
	    "Prefix put in front of the called number (after strip), e.g. + or a carrier code."),
	TRK(caller_id, TCS_DIGITS, 0, 0, 0, NULL, NULL, "the caller's own number",
	    "Calling number presented to the trunk in From (a fixed caller-ID rewrite)."),
	TRK(country_code, TCS_DIGITS, 0, 0, 0, NULL, NULL, "numbers are not normalised",
	    "Country of the trunk's numbering plan (e.g. 44): national numbers toward it are read as this country's."),
	TRK(national_prefix, TCS_DIGITS, 0, 0, 0, "0", NULL, NULL,
	    "Trunk (national) dialling prefix of its country, e.g. 0 in 020 7946 0000."),
	TRK(international_prefix, TCS_DIGITS, 0, 0, 0, "00", NULL, NULL,
	    "International dialling prefix of its country (00, or 011 in North America)."),
	TRK(number_format, TCS_ENUM, 0, 0, 0, "asis", number_formats, NULL,
	    "Form of the called and calling numbers sent to the trunk: asis, e164 (+CC...), "
	    "international (00CC...) or national (0... for its own country, 00CC... otherwise); needs "
	    "country_code. Numbers in calls from the trunk are read in its plan and routed as E.164."),
	TRK(max_cps, TCS_UINT, 0, 0, 100000, "0", NULL, NULL,
	    "Most new calls per second sent to the trunk (then the next target is tried); 0 = unlimited."),
	TRK(max_cps_in, TCS_UINT, 0, 0, 100000, "0", NULL, NULL,
	    "Most new calls per second accepted from the trunk (instead of [limits] source_cps); 0 = unlimited."),
	TRK(trust_pai, TCS_BOOL, 0, 0, 0, "no", NULL, NULL,
	    "Trust domain (RFC 3325): P-Asserted-Identity is accepted from the trunk and sent to it; "
	    "from other peers it is removed, and a caller's Privacy: id hides its identity from them."),
	TRK(pass_diversion, TCS_BOOL, 0, 0, 0, "no", NULL, NULL,
	    "Relay the caller's Diversion headers to the trunk."),
	TRK(pass_history_info, TCS_BOOL, 0, 0, 0, "no", NULL, NULL,
	    "Relay the caller's History-Info headers to the trunk."),
	TRK(dtmf, TCS_ENUM, 0, 0, 0, "rfc4733", dtmf_modes, NULL,
	    "How digits reach the trunk: rfc4733 (telephone-events, or tones in the audio when it takes none) or "
	    "info (SIP INFO, application/dtmf-relay; digits the trunk sends by INFO reach the caller as events)."),
	TRK(username, TCS_STRING, 0, 0, 0, NULL, NULL, "challenges from the trunk are not answered",
	    "Digest username for the trunk's 401/407 challenges (MD5 or SHA-256, SHA-256 preferred) and REGISTER."),
	TRK(password, TCS_STRING, 0, 0, 0, NULL, NULL, "none",
	    "Digest password for the trunk (with username)."),
	TRK(realm, TCS_STRING, 0, 0, 0, NULL, NULL, "any realm",
	    "Only answer challenges of this realm (the credentials are not offered to others)."),
	{ TCS_TRUNK, "register", TCS_BOOL, 0, 0, 0, "no", NULL, FIELD(tconf_trunk, do_register), NULL,
	  "Register with the trunk as username (needs username and password); refreshed before expiry, "
	  "retried with back-off on failure, removed on a clean shutdown." },
	TRK(register_expiry, TCS_UINT, 0, 60, 86400, "3600", NULL, NULL,
	    "Seconds of registration asked for; refreshed before what the trunk grants runs out."),
	TRK(media_security, TCS_ENUM, 0, 0, 0, "optional", media_security, NULL,
	    "Media transport security toward the trunk: optional (offer RTP/AVP, accept SRTP), "
	    "none (plain RTP only), sdes (RTP/SAVP with a=crypto required), dtls (DTLS-SRTP with ICE-lite required)."),
	TRK(acl, TCS_LIST, 0, 0, 0, NULL, NULL, "nobody: every INVITE from it must authenticate",
	    "Trusted sources: INVITEs from these addresses (IP, IP/bits, or host = the trunk's host "
	    "when it is an IP address) are routed without digest authentication."),
	TRK(prack, TCS_ENUM, 0, 0, 0, "supported", pracks, NULL,
	    "Reliable provisional responses (RFC 3262, 100rel) toward the trunk: no, supported or required."),
	TRK(session_timer, TCS_BOOL, 0, 0, 0, "yes", NULL, NULL,
	    "Run session timers (RFC 4028, [calls] session_expires) on calls to this trunk."),
	TRK(allow_refer, TCS_BOOL, 0, 0, 0, "no", NULL, NULL,
	    "The trunk may transfer calls with REFER (off: a carrier's REFER gets 403, so it cannot make "
	    "tandemd place calls on its behalf)."),

	AUT(realm, TCS_STRING, 0, 0, 0, "tandem", NULL, NULL,
	    "Digest realm in challenges; HA1s in users are computed with it, so changing it invalidates them."),
	AUT(nonce_ttl, TCS_UINT, 0, 10, 86400, "300", NULL, NULL,
	    "Seconds a nonce is valid; a phone answering an older one is challenged again with stale=true."),
	AUT(max_nonces, TCS_UINT, R, 64, 16777216, "4096", NULL, NULL,
	    "Nonces remembered with their nonce-count (replay protection); the least recently used is forgotten."),
	AUT(ban_failures, TCS_UINT, 0, 0, 1000, "5", NULL, NULL,
	    "Failed authentications from one IP address within ban_window that ban it; 0 = never ban."),
	AUT(ban_window, TCS_UINT, 0, 1, 86400, "60", NULL, NULL,
	    "Seconds in which ban_failures failures must happen."),
	AUT(ban_time, TCS_UINT, 0, 1, 604800, "600", NULL, NULL,
	    "Seconds every request from a banned address is refused with 403."),
	AUT(ban_loopback, TCS_BOOL, 0, 0, 0, "no", NULL, NULL,
	    "Also ban loopback addresses; off because a local front proxy relays every phone from 127.0.0.1."),
	AUT(digest_algorithms, TCS_ENUMSET, 0, 0, 0, "sha256,md5", digests, NULL,
	    "Digest algorithms offered in a challenge (one header each, SHA-256 first as RFC 8760 asks); "
	    "md5 alone for phones that give up on any SHA-256 challenge (e.g. baresip 1.0)."),
	AUT(md5_first, TCS_BOOL, 0, 0, 0, "no", NULL, NULL,
	    "List the MD5 challenge first: for phones that take the first challenge and know only MD5."),

	REG(min_expires, TCS_UINT, 0, 1, 86400, "60", NULL, NULL,
	    "Shortest registration accepted; a REGISTER asking for less gets 423 Interval Too Brief."),
	REG(max_expires, TCS_UINT, 0, 1, 604800, "3600", NULL, NULL,
	    "Longest registration granted; longer requests are lowered to it."),
	REG(default_expires, TCS_UINT, 0, 1, 604800, "3600", NULL, NULL,
	    "Registration granted when a REGISTER asks for no particular time."),
	REG(max_bindings, TCS_UINT, R, 1, 10000000, "10000", NULL, NULL,
	    "Most registered contacts in all; then a REGISTER for a new contact gets 503."),
	REG(max_contacts, TCS_UINT, R, 1, 100, "10", NULL, NULL,
	    "Most contacts per user; a new one then replaces the user's least recently registered."),
	REG(bindings_file, TCS_STRING, R | PATH, 0, 0, NULL, NULL, "registrations are lost on restart",
	    "File the registrations are saved to (atomically) and loaded from at start."),
	REG(keepalive, TCS_ENUM, 0, 0, 0, "options", keepalives, NULL,
	    "How NAT bindings of registered phones are kept open: options (an OPTIONS to every "
	    "contact each keepalive_interval), crlf (CRLF pings on TCP connections) or none."),
	REG(keepalive_interval, TCS_UINT, 0, 5, 3600, "30", NULL, NULL,
	    "Seconds between keepalives to each registered contact."),
	REG(udp_max_expires, TCS_UINT, 0, 0, 604800, "0", NULL, "max_expires",
	    "Longest registration granted over UDP (a short one makes NATed phones refresh, "
	    "which keeps their NAT binding open); 0 = max_expires."),

	USR(password, TCS_STRING, 0, 0, 0, NULL, NULL, "ha1_md5 and/or ha1_sha256 instead",
	    "Password for digest authentication (MD5 and SHA-256)."),
	USR(ha1_md5, TCS_STRING, 0, 0, 0, NULL, NULL, "none",
	    "Instead of password: MD5(name:realm:password) in hex; without it MD5 logins fail."),
	USR(ha1_sha256, TCS_STRING, 0, 0, 0, NULL, NULL, "none",
	    "Instead of password: SHA-256(name:realm:password) in hex; without it SHA-256 logins fail."),
	USR(number, TCS_DIGITS, 0, 0, 0, NULL, NULL, "no number: the user cannot be called",
	    "Extension of the user: calls to it ring every registered contact at once."),
	USR(max_calls, TCS_UINT, 0, 0, 1000, "0", NULL, NULL,
	    "Most concurrent calls from and to the user; 0 = unlimited."),
	USR(allow_international, TCS_BOOL, 0, 0, 0, "no", NULL, NULL,
	    "May call international numbers (starting with + or 00)."),
	USR(media_security, TCS_ENUM, 0, 0, 0, "optional", media_security, NULL,
	    "Media toward the user's phones when they are called: optional (RTP/AVP offered, SRTP accepted), "
	    "none, sdes, or dtls (DTLS-SRTP with ICE-lite: what browsers on WebSocket need)."),

	RTE(number, TCS_DIGITS, 0, 0, 0, NULL, NULL, "any number",
	    "Called numbers starting with this prefix; the longest matching prefix wins, as in [routes]."),
	RTE(regex, TCS_STRING, 0, 0, 0, NULL, NULL, "none",
	    "Instead of number: a POSIX extended regular expression the whole called number must match; "
	    "regex routes are tried before prefixes, in file order."),
	RTE(caller, TCS_DIGITS, 0, 0, 0, NULL, NULL, "any caller",
	    "Only calls whose caller number starts with this prefix."),
	RTE(source, TCS_STRING, 0, 0, 0, NULL, NULL, "any source",
	    "Only calls that come from this trunk (by address) or user."),
	RTE(targets, TCS_STRING, 0, 0, 0, NULL, NULL, "none (required)",
	    "Comma list of targets, each 'name [priority=N] [weight=N]' (as in [routes])."),
	RTE(rewrite, TCS_STRING, 0, 0, 0, NULL, NULL, "the number as received",
	    "With regex: the new called number; \\1 to \\9 are the regex's groups, \\0 the whole number."),
	RTE(strip, TCS_UINT, 0, 0, 32, "0", NULL, NULL,
	    "Digits removed from the front of the called number (after rewrite)."),
	RTE(prepend, TCS_DIGITS, 0, 0, 0, NULL, NULL, "nothing",
	    "Prefix put in front of the called number (after strip)."),
	RTE(caller_id, TCS_DIGITS, 0, 0, 0, NULL, NULL, "the caller's own number",
	    "Calling number presented on this route (a trunk's caller_id still wins)."),

	LIM(source_cps, TCS_UINT, 0, 0, 100000, "0", NULL, NULL,
	    "Most new calls per second from one source address that is not a trunk (burst: one second's "
	    "worth); 0 = unlimited. Trunks have max_cps_in."),
	LIM(reject_code, TCS_UINT, 0, 403, 503, "503", NULL, NULL,
	    "Response to a call over a limit: 503 (try later) or 403 (refused)."),
	LIM(emergency, TCS_LIST, 0, 0, 0, "112, 911, 999", NULL, "no number is exempt",
	    "Called numbers that no limit ever refuses (exact match)."),

	WSK(ws_listen, TCS_STRING, R, 0, 0, NULL, NULL, "no plain WebSocket listener",
	    "Accept SIP over plain WebSocket (ws://) on this IP:PORT; for loopback tests or behind a TLS proxy."),
	WSK(wss_listen, TCS_STRING, R, 0, 0, NULL, NULL, "no secure WebSocket listener",
	    "Accept SIP over secure WebSocket (wss://) on this IP:PORT; needs certificate and private_key."),
	WSK(certificate, TCS_STRING, PATH, 0, 0, NULL, NULL, "none",
	    "PEM certificate chain for wss; re-read on every reload, so a renewed certificate needs no restart."),
	WSK(private_key, TCS_STRING, PATH, 0, 0, NULL, NULL, "none",
	    "PEM private key of the wss certificate (readable by tandemd only)."),
	WSK(origins, TCS_LIST, R, 0, 0, NULL, NULL, "any origin",
	    "Web pages (scheme://host[:port]) allowed to open a WebSocket; a browser from any other Origin gets 403."),
	WSK(max_per_ip, TCS_UINT, R, 0, 100000, "20", NULL, NULL,
	    "Most concurrent WebSocket connections from one IP address; 0 = no limit."),
	WSK(max_connections, TCS_UINT, R, 0, 1000000, "10000", NULL, NULL,
	    "Most concurrent WebSocket connections in all; 0 = no limit."),
	WSK(max_message, TCS_UINT, R, 1024, 1048576, "65536", NULL, NULL,
	    "Largest WebSocket message (one SIP message) in bytes; a bigger one closes that connection."),
	WSK(handshake_timeout, TCS_UINT, R, 1, 120, "10", NULL, NULL,
	    "Seconds a new connection has to finish its TLS and WebSocket handshakes."),
	WSK(ping_interval, TCS_UINT, R, 0, 3600, "30", NULL, NULL,
	    "Seconds between WebSocket pings; a client silent for two intervals is disconnected; 0 = no pings."),
	WSK(md5_only, TCS_BOOL, 0, 0, 0, "yes", NULL, NULL,
	    "Challenge WebSocket clients with MD5 digest only: browser SIP libraries (JsSIP 3, SIP.js) answer "
	    "nothing else, and JsSIP reads only the last challenge. no: as [auth] digest_algorithms says."),

	{ TCS_ROUTES, "PREFIX", TCS_LIST, TCS_PATTERN, 0, 0, NULL, NULL, 0, 0, NULL,
	  "Called numbers starting with PREFIX (digits, optional leading +, at most 23; default = any "
	  "number) go to the listed targets: trunk names, echo, milliwatt or user:NAME (every registered phone of"
	  " user NAME rings at once), each optionally followed "
	  "by priority=N and weight=N. The key file (a path) reads more of them from a route file." },
	{ TCS_RESPMAP, "CODE", TCS_UINT, TCS_PATTERN, 300, 699, NULL, NULL, 0, 0, NULL,
	  "A final response CODE received from a trunk is relayed as the given code instead." },
};
const size_t tcs_nkeys = sizeof tcs_keys / sizeof tcs_keys[0];

static const char *const kind_sections[TCS_NKINDS] = {
	[TCS_GENERAL] = "general", [TCS_MEDIA] = "media", [TCS_CALLS] = "calls",
	[TCS_ROUTES] = "routes", [TCS_RESPMAP] = "response_map",
	[TCS_AUTH] = "auth", [TCS_REGISTRAR] = "registrar", [TCS_LIMITS] = "limits",
	[TCS_WEBSOCKET] = "websocket",
};

const char *tcs_kind_section(enum tcs_kind kind)
{
	return (unsigned)kind < TCS_NKINDS ? kind_sections[kind] : NULL;
}

const char *tcs_kind_label(enum tcs_kind kind)
{
	switch (kind) {
	case TCS_GENERAL: return "[general]";
	case TCS_MEDIA: return "[media]";
	case TCS_CALLS: return "[calls]";
	case TCS_NAMED: return "named section";
	case TCS_INTERFACE: return "interface";
	case TCS_TRUNK: return "trunk";
	case TCS_ROUTES: return "[routes]";
	case TCS_RESPMAP: return "[response_map]";
	case TCS_AUTH: return "[auth]";
	case TCS_REGISTRAR: return "[registrar]";
	case TCS_WEBSOCKET: return "[websocket]";
	case TCS_USER: return "user";
	case TCS_ROUTE: return "route";
	case TCS_LIMITS: return "[limits]";
	default: return "?";
	}
}

int tcs_kind_of_section(const char *name)
{
	for (int k = 0; k < TCS_NKINDS; k++)
		if (kind_sections[k] && !strcmp(kind_sections[k], name))
			return k;
	return -1;
}

static int kind_has(enum tcs_kind kind, const struct tcs_key *k)
{
	if (k->flags & TCS_PATTERN)
		return 0;
	return k->kind == kind ||
	       (k->kind == TCS_NAMED && (kind == TCS_INTERFACE || kind == TCS_TRUNK || kind == TCS_USER ||
						kind == TCS_ROUTE));
}

const struct tcs_key *tcs_find(enum tcs_kind kind, const char *name)
{
	for (size_t i = 0; i < tcs_nkeys; i++)
		if (kind_has(kind, &tcs_keys[i]) && !strcmp(tcs_keys[i].name, name))
			return &tcs_keys[i];
	return NULL;
}

const char *tcs_suggest(enum tcs_kind kind, const char *name)
{
	struct tconf_suggest s;
	tconf_suggest_init(&s, name);
	for (size_t i = 0; i < tcs_nkeys; i++)
		if (kind_has(kind, &tcs_keys[i]))
			tconf_suggest_try(&s, tcs_keys[i].name);
	return tconf_suggest_result(&s);
}

const struct tcs_key *tcs_pattern(enum tcs_kind kind)
{
	for (size_t i = 0; i < tcs_nkeys; i++)
		if (tcs_keys[i].kind == kind && (tcs_keys[i].flags & TCS_PATTERN))
			return &tcs_keys[i];
	return NULL;
}

int tcs_enum_value(const struct tcs_enum *e, const char *name)
{
	for (; e->name; e++)
		if (!strcasecmp(e->name, name))
			return e->value;
	return -1;
}

const char *tcs_enum_name(const struct tcs_enum *e, int value)
{
	for (; e->name; e++)
		if (e->value == value)
			return e->name;
	return NULL;
}

/* ---- tandem.conf(5) ---- */

/* roff-escape: backslash, leading dot/quote, and '-' (so it stays a hyphen). */
static void man_text(FILE *out, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", out);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", out);
		else if (*s == '-')
			fputs("\\-", out);
		else
			fputc(*s, out);
	}
}

static const char *type_doc(const struct tcs_key *k)
{
	switch (k->type) {
	case TCS_BOOL: return "boolean: yes/no, true/false, on/off, 1/0";
	case TCS_UINT: return "number";
	case TCS_PORT: return "port";
	case TCS_STRING: return (k->flags & TCS_PATH) ? "path" : "string";
	case TCS_ENUM: return "one of";
	case TCS_ENUMSET: return "comma list of";
	case TCS_LIST: return "comma list";
	case TCS_MODE: return "octal mode";
	case TCS_ADDRESS: return "IP address";
	case TCS_HOST: return "IP address or host name";
	case TCS_DIGITS: return "dial string";
	}
	return "?";
}

static void man_key(FILE *out, const struct tcs_key *k)
{
	fputs(".TP\n.B ", out);
	man_text(out, k->name);
	fputs("\n(", out);
	man_text(out, type_doc(k));
	if (k->enums) {
		for (const struct tcs_enum *e = k->enums; e->name; e++) {
			fputs(e == k->enums ? " " : ", ", out);
			man_text(out, e->name);
		}
	}
	if (k->type == TCS_UINT || k->type == TCS_PORT)
		fprintf(out, " %u..%u", k->min, k->max);
	if (k->flags & TCS_REQUIRED) {
		fputs("; required", out);
	} else if (k->def) {
		fputs("; default ", out);
		man_text(out, k->def);
	} else if (k->unset_doc) {
		fputs("; default: ", out);
		man_text(out, k->unset_doc);
	}
	if (k->flags & TCS_RESTART)
		fputs("; restart to change", out);
	fputs(")\n", out);
	man_text(out, k->doc);
	fputc('\n', out);
}

static void man_kind(FILE *out, enum tcs_kind kind, const char *title, const char *intro)
{
	fputs(".SS ", out);
	man_text(out, title);
	fputc('\n', out);
	man_text(out, intro);
	fputc('\n', out);
	for (size_t i = 0; i < tcs_nkeys; i++)
		if (tcs_keys[i].kind == kind)
			man_key(out, &tcs_keys[i]);
}

static const char *const man_head =
".TH TANDEM.CONF 5 \"\" \"tandem " PACKAGE_VERSION "\" \"File Formats\"\n"
".SH NAME\n"
"tandem.conf \\- configuration of the tandemd SIP/RTP gateway\n"
".SH SYNOPSIS\n"
TANDEM_SYSCONFDIR "/tandem.conf\n"
".SH DESCRIPTION\n"
".B tandemd\n"
"reads one main file and the files it includes, checks all of it, and only\n"
"then uses it. A reload (SIGHUP or\n"
".BR \"tandemctl reload\" )\n"
"that has any error changes nothing and reports every error as\n"
".IR file : line : \" message\" .\n"
"Running calls keep the configuration they started with. Keys marked\n"
"\\(lqrestart to change\\(rq keep their running value on reload, with a note.\n"
".B tandemd \\-t\n"
"checks the files and prints the effective configuration: templates\n"
"expanded, defaults filled in.\n"
".SS Syntax\n"
".TP\n.B [name]\nstarts a section.\n"
".TP\n.B [name](!)\ndefines a template: a section that is not used by itself,\n"
"only copied into sections that name it.\n"
".TP\n.B [name](tpl1,tpl2)\nstarts a section that first takes every key of the\n"
"templates, in order; later templates and the section's own keys override\n"
"earlier ones. A template may itself use templates: \\fB[name](!,tpl)\\fR.\n"
".TP\n.B key = value\nspace around key and value is ignored. A value in double\n"
"quotes keeps ; and # and spaces; inside quotes \\e\" is a quote and \\e\\e a\n"
"backslash. An empty value leaves a string or list unset.\n"
".TP\n.BR ; \" or \" #\nstarts a comment at the start of a line or after a space.\n"
".TP\n.B #include \\(dqfile\\(dq\nreads another file at that point, as if its text were\n"
"here (the current section continues into it). A relative name is relative\n"
"to the directory of the file that includes it. Includes nest at most 8 deep;\n"
"a file that includes itself, directly or not, is an error.\n"
".PP\n"
"Relative paths in values (log_file, modules_dir, control_socket) are\n"
"relative to the directory of the main file. Lines are at most 4096 bytes.\n"
"Keys are case\\-sensitive; an unknown key is an error that names the nearest\n"
"valid one. A key may be set once per section.\n"
".SH SECTIONS\n";

static const char *const man_tail =
".SH EXAMPLE\n"
".nf\n"
"[general]\n"
"log_level = info\n"
"\n"
"[lan]\n"
"type = interface\n"
"address = 192.0.2.10\n"
"\n"
"[carrier\\-defaults](!)\n"
"type = trunk\n"
"transport = udp\n"
"codecs = PCMA, PCMU\n"
"\n"
"[carrier\\-a](carrier\\-defaults)\n"
"host = 198.51.100.7\n"
"\n"
"[carrier\\-b](carrier\\-defaults)\n"
"host = sip.example.net\n"
"transport = tcp\n"
"\n"
"[routes]\n"
"600 = echo\n"
"+44 = carrier\\-b, carrier\\-a\n"
"default = carrier\\-a, carrier\\-b\n"
"\n"
"[response_map]\n"
"503 = 480\n"
".fi\n"
".SH FILES\n"
TANDEM_SYSCONFDIR "/tandem.conf\n"
".SH SEE ALSO\n"
".BR tandemd (8),\n"
".BR tandemctl (8)\n";

void tconf_schema_man(FILE *out)
{
	fputs(man_head, out);
	man_kind(out, TCS_GENERAL, "[general]", "Process-wide settings.");
	man_kind(out, TCS_MEDIA, "[media]", "Media plane settings.");
	man_kind(out, TCS_CALLS, "[calls]", "Call timers.");
	man_kind(out, TCS_NAMED, "[NAME]",
		 "Any other section name defines an interface, a trunk or a user. The names "
		 "echo and milliwatt are reserved for the built-in targets.");
	man_kind(out, TCS_INTERFACE, "[NAME] type = interface",
		 "A local address with SIP listeners and an RTP port range. At least one is required.");
	man_kind(out, TCS_TRUNK, "[NAME] type = trunk", "A SIP peer that calls are routed to.");
	man_kind(out, TCS_USER, "[NAME] type = user",
		 "A subscriber: a phone or softphone that authenticates with digest (MD5 or "
		 "SHA-256) as NAME and may register. Set password, or the HA1 hashes instead "
		 "(then set both, or logins with the other algorithm fail). Numbers are unique "
		 "among users. Usually kept in users.conf, readable by tandemd only.");
	man_kind(out, TCS_AUTH, "[auth]",
		 "Digest authentication of requests from sources that are not trusted trunks. "
		 "Wrong credentials get 403 and count toward a ban of the source address.");
	man_kind(out, TCS_REGISTRAR, "[registrar]",
		 "Registrations of users' phones (REGISTER).");
	man_kind(out, TCS_WEBSOCKET, "[websocket]",
		 "SIP over WebSocket (RFC 7118) for browser softphones such as JsSIP and SIP.js. "
		 "Off unless ws_listen or wss_listen is set. Browsers authenticate as users "
		 "like any phone; see doc/websocket.md for the design.");
	man_kind(out, TCS_ROUTES, "[routes]",
		 "Routing by the longest matching prefix of the called number. A prefix "
		 "is digits with an optional leading +; + and 44 are different prefixes; "
		 "the key default matches every number. Targets: a trunk name, echo (plays "
		 "back what it hears), milliwatt (a 1004 Hz tone). When a target fails, "
		 "is busy or full, the next one is tried: in list order, or by priority=N "
		 "(lower first) written after the name; targets of equal priority are tried "
		 "in a random order weighted by weight=N (default 1). A list that gives any "
		 "priority or weight puts targets without a priority at priority 1, e.g. "
		 "+44 = carrier-b priority=1 weight=70, carrier-c priority=1 weight=30, carrier-a priority=2. "
		 "The key file names a route file for large tables: one prefix,target[,target...] a line, "
		 "# or ; comments; errors name the file and line; read again on every reload.");
	man_kind(out, TCS_ROUTE, "[NAME] type = route",
		 "A route with conditions or number changes. Regex routes are tried first, in "
		 "file order; other routes join the prefix table of [routes], where at one "
		 "prefix routes with conditions (caller, source) come before the plain one.");
	man_kind(out, TCS_LIMITS, "[limits]",
		 "Limits against fraud and overload: calls per second per source address here; "
		 "per trunk max_cps and max_channels; per user max_calls and allow_international. "
		 "A call over a limit gets reject_code (trunk limits: the next target is tried "
		 "first), a log line naming the limit, and counts in tandem_limit_hits_total.");
	man_kind(out, TCS_RESPMAP, "[response_map]",
		 "Rewrites final responses from trunks before they are relayed to the "
		 "caller; both codes in 300..699. Other codes pass unchanged.");
	fputs(man_tail, out);
}
