/* banlist.h - sources that fail authentication too often are banned a while.
 *
 * A source (an IP address, without port: a NAT port changes, the attacker
 * stays) that fails 'failures' times within 'window' seconds is banned for
 * 'ban_time' seconds: every request from it is refused before any digest work
 * (so a banned password guesser costs us almost nothing, and learns nothing).
 *
 * Loopback is never banned unless ban_loopback is set: a local front proxy
 * (Kamailio in contrib/) relays every phone from 127.0.0.1, so banning it
 * would lock out every phone because of one bad password. The same holds for
 * any front proxy: run tandemd's auth there, or trust the proxy by IP.
 *
 * The table is bounded ('max_entries'): O(1) lookup through a hash index,
 * and when full the least recently seen source is forgotten (a banned source
 * that keeps knocking stays recent, so it stays banned).
 *
 * 'now' is seconds from a monotonic clock. One table per thread (the SIP
 * thread); no locking. tban_new() returns a table owned by the caller;
 * tban_free().
 */
#ifndef TANDEM_SIP_BANLIST_H
#define TANDEM_SIP_BANLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tban tban_t;

#define TBAN_FAILURES_DEFAULT 5
#define TBAN_WINDOW_DEFAULT 60
#define TBAN_TIME_DEFAULT 600
#define TBAN_MAX_DEFAULT 4096

struct tban_params {
	unsigned failures;          /* failures that ban; 0 = never ban */
	unsigned window;            /* s in which they must happen */
	unsigned ban_time;          /* s a ban lasts */
	bool ban_loopback;          /* also ban 127.0.0.0/8 and ::1 */
	size_t max_entries;         /* sources remembered; 0 = TBAN_MAX_DEFAULT */
};

/* p NULL: the defaults above (loopback not banned). 0 or -ENOMEM. */
int tban_new(const struct tban_params *p, tban_t **out);
void tban_free(tban_t *b);

/* A reload: new failures, window, ban time and loopback policy; running
 * bans keep their end, counts are kept; max_entries is ignored. */
void tban_set_params(tban_t *b, const struct tban_params *p);

/* Is 'ip' (IPv4 or IPv6 literal; an IPv4-mapped IPv6 address is the IPv4
 * one) banned now? An unparsable address is never banned. */
bool tban_banned(tban_t *b, const char *ip, uint64_t now);

/* Count a failed authentication from 'ip'. Returns true when this failure
 * starts a ban (log it then, once). */
bool tban_fail(tban_t *b, const char *ip, uint64_t now);

/* A success from 'ip' forgets its failures (not a running ban). */
void tban_success(tban_t *b, const char *ip);

/* Sources banned at 'now' (O(n); for the control socket and tests). */
size_t tban_count(const tban_t *b, uint64_t now);

#endif
