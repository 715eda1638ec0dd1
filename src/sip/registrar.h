/* registrar.h - the registrar's bindings: address of record -> contacts.
 *
 * A pure store: the SIP side parses REGISTER (RFC 3261 s.10.3) and passes the
 * fields; this module applies the rules and answers with a code.
 *   - expiry: a requested expiry below min_expires fails the whole request
 *     (-ERANGE: answer 423 Interval Too Brief with Min-Expires); above
 *     max_expires it is lowered; none given means default_expires.
 *   - identity of a binding (which one a Contact refreshes): with
 *     +sip.instance, the instance and reg-id (RFC 5626 s.7; a phone that
 *     comes back from a new address replaces its old binding); otherwise the
 *     contact URI, compared as a string (the caller normalises it).
 *   - the same Call-ID with a CSeq not above the stored one is out of order:
 *     the request fails (-EALREADY: answer 500) and nothing changes.
 *   - NAT (RFC 3581): each binding keeps where its REGISTER came from
 *     (received IP, port, transport); requests to the phone go there.
 *   - a request is applied whole or not at all.
 *   - bounded: at most max_per_aor bindings per AOR (a new one then replaces
 *     the AOR's least recently updated binding: a phone whose NAT mapping
 *     changed must not be locked out by its own stale bindings) and at most
 *     max_bindings in all (then -ENOSPC: answer 503).
 *
 * Times are wall-clock seconds (time(NULL)), because bindings are saved and
 * outlive the process (registrar_file.c).
 * AORs are compared as given (the caller makes "sip:user@domain" canonical).
 *
 * Threads: one store belongs to one thread (the SIP thread); no locking.
 * Ownership: treg_new() returns a store owned by the caller; treg_free().
 * struct treg_binding pointers handed out by the store point into it and are
 * valid until the next call that changes it (register, unregister, sweep,
 * restore, load, free): copy what must live longer.
 */
#ifndef TANDEM_SIP_REGISTRAR_H
#define TANDEM_SIP_REGISTRAR_H

#include <stddef.h>
#include <stdint.h>

typedef struct treg treg_t;

#define TREG_MIN_EXPIRES_DEFAULT 60
#define TREG_MAX_EXPIRES_DEFAULT 3600
#define TREG_DEFAULT_EXPIRES_DEFAULT 3600
#define TREG_MAX_BINDINGS_DEFAULT 10000
#define TREG_MAX_PER_AOR_DEFAULT 10

/* Longest accepted strings (longer input is -EINVAL). */
#define TREG_URI_MAX 1024           /* aor, contact */
#define TREG_ID_MAX 256             /* instance, call_id */
#define TREG_IP_MAX 45              /* INET6_ADDRSTRLEN - 1 */
#define TREG_TRANSPORT_MAX 8        /* "udp", "tcp", "tls", "ws", "wss" */
#define TREG_UA_MAX 128             /* longer User-Agents are cut */

struct treg_params {
	unsigned min_expires;       /* 0 = default; each 0 below means its default */
	unsigned max_expires;
	unsigned default_expires;
	size_t max_bindings;
	size_t max_per_aor;
};

/* One Contact of a REGISTER as the caller parsed it. */
struct treg_contact {
	const char *contact;        /* contact URI, without <> and header params */
	const char *instance;       /* +sip.instance value, or NULL */
	unsigned reg_id;            /* reg-id; 0 = none */
	long expires;               /* its expires (param, else the Expires header); -1 = none */
};

/* What one REGISTER says beyond its contacts. */
struct treg_request {
	const char *aor;
	const char *call_id;
	uint32_t cseq;
	const char *received_ip;    /* source of the request (RFC 3581) */
	uint16_t received_port;
	const char *transport;      /* "udp", "tcp", ... */
	const char *user_agent;     /* User-Agent of the REGISTER, or NULL (shown, never used) */
};

/* A binding, read-only. */
struct treg_binding {
	const char *aor;
	const char *contact;
	const char *instance;       /* NULL if none */
	unsigned reg_id;
	const char *received_ip;
	uint16_t received_port;
	const char *transport;
	const char *call_id;
	const char *user_agent;     /* NULL if none */
	uint32_t cseq;
	int64_t expires_at;         /* wall-clock s */
	int64_t updated;            /* when last registered */
};

/* p NULL: the defaults. Bounds are fixed up: min <= default <= max.
 * 0 or -ENOMEM. */
int treg_new(const struct treg_params *p, treg_t **out);
void treg_free(treg_t *r);

/* Apply a REGISTER's contacts. granted[i] receives the expiry given to
 * contacts[i] (0: removed). Returns 0, or nothing changed and:
 *   -EINVAL     missing or too long field (400)
 *   -ERANGE     an expiry below min_expires (423; see treg_min_expires)
 *   -EALREADY   out-of-order CSeq for an existing binding (500)
 *   -ENOSPC     the store is full (503)
 *   -ENOMEM */
int treg_register(treg_t *r, const struct treg_request *req, const struct treg_contact *contacts,
		  size_t n, int64_t now, unsigned *granted);

/* "Contact: *" with Expires 0: remove every binding of req->aor (the CSeq
 * rule applies to each binding of the same Call-ID). Returns the number
 * removed, or -EALREADY / -EINVAL with nothing changed. */
int treg_unregister_all(treg_t *r, const struct treg_request *req);

/* The live bindings of 'aor' at 'now' (at most 'max' of them, most recently
 * updated first); returns how many there are in all. */
size_t treg_lookup(treg_t *r, const char *aor, int64_t now, const struct treg_binding **out,
		   size_t max);

/* Remove expired bindings; returns how many. */
size_t treg_sweep(treg_t *r, int64_t now);

/* Remove every binding whose REGISTER came from ip:port (a connection that
 * closed); returns how many went. */
size_t treg_drop_received(treg_t *r, const char *ip, uint16_t port);

/* Every binding, in no particular order (cb must not change the store). */
void treg_foreach(const treg_t *r, void (*cb)(const struct treg_binding *b, void *arg), void *arg);

/* A reload: new expiry bounds (fixed up as in treg_new); the limits stay.
 * Existing bindings keep their expiry. */
void treg_set_expires(treg_t *r, unsigned min_expires, unsigned max_expires, unsigned default_expires);

size_t treg_count(const treg_t *r);
unsigned treg_min_expires(const treg_t *r);
/* Increases with every change (to know when to save). */
uint64_t treg_generation(const treg_t *r);

/* Put a saved binding back (used by treg_load): skipped if expired at 'now'
 * (returns 0), added otherwise (1), limits and lengths apply (-ENOSPC,
 * -EINVAL); a binding with the same identity is replaced. */
int treg_restore(treg_t *r, const struct treg_binding *b, int64_t now);

/* Persistence (registrar_file.c). treg_save writes every binding as JSON to
 * 'path' atomically (a temporary file in the same directory, fsync, rename):
 * a crash leaves the old file or the new one, never half of one.
 * treg_load restores the bindings of 'path' that are still live at 'now';
 * returns how many, 0 when the file does not exist, -EINVAL for a file that
 * is not a bindings file (bad entries inside a good file are skipped). */
int treg_save(const treg_t *r, const char *path);
int treg_load(treg_t *r, const char *path, int64_t now);

#endif
