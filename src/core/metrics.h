/* metrics.h - Prometheus metrics: lock-free latency histograms, a writer for
 * the text exposition format 0.0.4, and the HTTP endpoint that serves it.
 *
 * Counters live where they are counted (atomics in the SIP thread's state,
 * the media workers' own counters); nothing is copied into a registry. At
 * scrape time a collector (tandemd's, see metrics_collect.h) reads them and
 * writes families with the helpers below. Values are read, never invented:
 * a metric the daemon cannot measure yet is left out, not written as 0.
 *
 * HTTP (off unless metrics_listen is set): GET or HEAD /metrics (a query
 * string is ignored) answers 200 with "text/plain; version=0.0.4"; any other
 * path gets 404, any other method 501 (libevent's answer). Requests are bounded:
 * TMETRICS_MAX_HEADERS bytes of request line and headers, no body; a
 * connection idle for TMETRICS_TIMEOUT_S is closed. There is no
 * authentication: bind it to a loopback or management address.
 *
 * Threads: histograms may be observed from any thread (relaxed atomics) and
 * read from any other; a reader may see a sum that is one observation ahead of
 * or behind the buckets, which Prometheus tolerates. The server and the
 * collector run on the thread that runs the event_base (tandemd's main thread).
 *
 * Ownership: tmetrics_server_new() returns a server owned by the caller,
 * freed with tmetrics_server_free() (closes the socket and every connection)
 * before the event_base. 'arg' of the collector is borrowed and must outlive
 * the server. A struct tmetrics_out's buffer belongs to whoever made it.
 */
#ifndef TANDEM_CORE_METRICS_H
#define TANDEM_CORE_METRICS_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

struct event_base;
struct evbuffer;

#define TMETRICS_MAX_HEADERS    8192    /* request line + headers, bytes */
#define TMETRICS_TIMEOUT_S      10      /* idle connection timeout */

/* --- latency histogram ----------------------------------------------------- */

/* Bucket upper bounds in seconds, shared by every latency histogram (call
 * setup: from a near-instant endpoint answer to two minutes of ringing). */
#define TMETRICS_LAT_NBUCKETS 14
extern const double tmetrics_lat_bounds[TMETRICS_LAT_NBUCKETS];

/* Zero-initialised (calloc or static) is ready to use. bucket[i] counts
 * observations in (bound[i-1], bound[i]]; bucket[NBUCKETS] those above the
 * last bound. Exposed cumulatively by tmetrics_hist(). */
struct tmetrics_hist {
	atomic_uint_fast64_t bucket[TMETRICS_LAT_NBUCKETS + 1];
	atomic_uint_fast64_t sum_us;
};

void tmetrics_hist_observe_us(struct tmetrics_hist *h, uint64_t us);
/* Observe the time elapsed since 'start' (CLOCK_REALTIME, as call records
 * keep it); a negative interval (clock stepped back) counts as 0. */
void tmetrics_hist_observe_since(struct tmetrics_hist *h, const struct timespec *start);

/* --- exposition (text format 0.0.4) ------------------------------------------ */

struct tmetrics_out {
	struct evbuffer *buf;       /* borrowed */
};

/* "# HELP" and "# TYPE" lines; type is counter, gauge, histogram or untyped.
 * Each family once per scrape, its samples right after it. 'help' is escaped. */
void tmetrics_family(struct tmetrics_out *o, const char *name, const char *type,
		     const char *help);
/* One sample: name{labels} value. 'labels' is NULL/"" or pairs made with
 * tmetrics_label(). */
void tmetrics_u64(struct tmetrics_out *o, const char *name, const char *labels, uint64_t v);
void tmetrics_f64(struct tmetrics_out *o, const char *name, const char *labels, double v);
/* Append key="value" (value escaped: backslash, quote, newline) to the label
 * list in buf, with a comma when buf is not empty. Returns 0, or -ENOSPC when
 * it does not fit (buf is left as it was). */
int tmetrics_label(char *buf, size_t len, const char *key, const char *value);
/* A histogram's samples (_bucket with le, _sum in seconds, _count) with extra
 * 'labels' (may be NULL); the family line is the caller's. */
void tmetrics_hist(struct tmetrics_out *o, const char *name, const char *labels,
		   const struct tmetrics_hist *h);

/* --- HTTP endpoint ------------------------------------------------------------- */

/* Parse "IPV4:PORT" or "[IPV6]:PORT" (port 1..65535; no host names) into *ss.
 * Pure. Returns 0, or -EINVAL. */
int tmetrics_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len);

typedef void (*tmetrics_collect_fn)(struct tmetrics_out *o, void *arg);
typedef struct tmetrics_server tmetrics_server_t;

/* Listen on 'listen' (see tmetrics_parse_listen) and serve /metrics from
 * collect(o, arg), called once per scrape on base's thread. Returns 0, or
 * -EINVAL (bad address), -EADDRINUSE & co (bind), -ENOMEM. */
int tmetrics_server_new(struct event_base *base, const char *listen, tmetrics_collect_fn collect,
			void *arg, tmetrics_server_t **out);
void tmetrics_server_free(tmetrics_server_t *m);

#endif
