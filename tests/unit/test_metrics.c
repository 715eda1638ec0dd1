/* test_metrics.c - core/metrics: histogram buckets, exposition text and its
 * escaping, the metrics_listen parser, and the HTTP endpoint (200 on
 * /metrics with the collector's text, 404 elsewhere, bind errors). */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "core/metrics.h"

/* Run fn on a fresh tmetrics_out and return what it wrote (malloc'd). */
static char *render(void (*fn)(struct tmetrics_out *o, void *arg), void *arg)
{
	struct evbuffer *b = evbuffer_new();
	struct tmetrics_out o = { b };
	fn(&o, arg);
	size_t n = evbuffer_get_length(b);
	char *s = malloc(n + 1);
	evbuffer_remove(b, s, n);
	s[n] = '\0';
	evbuffer_free(b);
	return s;
}

static void write_hist(struct tmetrics_out *o, void *arg)
{
	tmetrics_hist(o, "x_seconds", "stage=\"a\"", arg);
}

START_TEST(test_hist_cumulative)
{
	struct tmetrics_hist h;
	memset(&h, 0, sizeof h);
	tmetrics_hist_observe_us(&h, 5000);        /* 0.005 s: le 0.01 */
	tmetrics_hist_observe_us(&h, 10000);       /* on the bound: le 0.01 */
	tmetrics_hist_observe_us(&h, 30000);       /* le 0.05 */
	tmetrics_hist_observe_us(&h, 1000000);     /* le 1 */
	tmetrics_hist_observe_us(&h, 200000000);   /* above 120: only +Inf */
	char *s = render(write_hist, &h);
	ck_assert_ptr_nonnull(strstr(s, "x_seconds_bucket{stage=\"a\",le=\"0.01\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(s, "x_seconds_bucket{stage=\"a\",le=\"0.025\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(s, "x_seconds_bucket{stage=\"a\",le=\"0.05\"} 3\n"));
	ck_assert_ptr_nonnull(strstr(s, "x_seconds_bucket{stage=\"a\",le=\"0.5\"} 3\n"));
	ck_assert_ptr_nonnull(strstr(s, "x_seconds_bucket{stage=\"a\",le=\"1\"} 4\n"));
	ck_assert_ptr_nonnull(strstr(s, "x_seconds_bucket{stage=\"a\",le=\"120\"} 4\n"));
	ck_assert_ptr_nonnull(strstr(s, "x_seconds_bucket{stage=\"a\",le=\"+Inf\"} 5\n"));
	ck_assert_ptr_nonnull(strstr(s, "x_seconds_sum{stage=\"a\"} 201.045000\n"));
	ck_assert_ptr_nonnull(strstr(s, "x_seconds_count{stage=\"a\"} 5\n"));
	/* 15 buckets + sum + count, nothing else */
	int lines = 0;
	for (const char *p = s; *p; p++)
		lines += *p == '\n';
	ck_assert_int_eq(lines, TMETRICS_LAT_NBUCKETS + 3);
	free(s);
}
END_TEST

START_TEST(test_hist_since)
{
	struct tmetrics_hist h;
	memset(&h, 0, sizeof h);
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec -= 3;                              /* 3 s ago: le 5 */
	tmetrics_hist_observe_since(&h, &t);
	t.tv_sec += 3600;                           /* in the future: counts as 0 */
	tmetrics_hist_observe_since(&h, &t);
	ck_assert_uint_eq(atomic_load(&h.bucket[0]), 1);
	ck_assert_uint_eq(atomic_load(&h.bucket[8]), 1);   /* (2.5, 5] */
	uint64_t sum = atomic_load(&h.sum_us);
	ck_assert(sum >= 3000000 && sum < 3500000);
}
END_TEST

static void write_misc(struct tmetrics_out *o, void *arg)
{
	(void)arg;
	tmetrics_family(o, "a_total", "counter", "Back\\slash and\nnewline \"kept\".");
	tmetrics_u64(o, "a_total", NULL, 18446744073709551615ull);
	tmetrics_u64(o, "a_total", "", 0);
	tmetrics_f64(o, "b", "k=\"v\"", 0.5);
	tmetrics_f64(o, "b", NULL, NAN);
	tmetrics_f64(o, "b", NULL, INFINITY);
	tmetrics_f64(o, "b", NULL, -INFINITY);
}

START_TEST(test_text)
{
	char *s = render(write_misc, NULL);
	ck_assert_str_eq(s,
		"# HELP a_total Back\\\\slash and\\nnewline \"kept\".\n"
		"# TYPE a_total counter\n"
		"a_total 18446744073709551615\n"
		"a_total 0\n"
		"b{k=\"v\"} 0.5\n"
		"b NaN\n"
		"b +Inf\n"
		"b -Inf\n");
	free(s);
}
END_TEST

START_TEST(test_labels)
{
	char l[64] = "";
	ck_assert_int_eq(tmetrics_label(l, sizeof l, "trunk", "a\"b\\c\nd"), 0);
	ck_assert_str_eq(l, "trunk=\"a\\\"b\\\\c\\nd\"");
	ck_assert_int_eq(tmetrics_label(l, sizeof l, "state", "up"), 0);
	ck_assert_str_eq(l, "trunk=\"a\\\"b\\\\c\\nd\",state=\"up\"");

	/* exactly full: "k=\"vvvv\"" is 8 chars + NUL */
	char small[9] = "";
	ck_assert_int_eq(tmetrics_label(small, sizeof small, "k", "vvvvv"), -ENOSPC);
	ck_assert_str_eq(small, "");
	ck_assert_int_eq(tmetrics_label(small, sizeof small, "k", "vvvv"), 0);
	ck_assert_str_eq(small, "k=\"vvvv\"");
	ck_assert_int_eq(tmetrics_label(small, sizeof small, "x", ""), -ENOSPC);
	ck_assert_str_eq(small, "k=\"vvvv\"");
}
END_TEST

START_TEST(test_parse_listen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	ck_assert_int_eq(tmetrics_parse_listen("127.0.0.1:9100", &ss, &len), 0);
	ck_assert_int_eq(ss.ss_family, AF_INET);
	ck_assert_int_eq(ntohs(((struct sockaddr_in *)&ss)->sin_port), 9100);
	ck_assert_int_eq(len, sizeof(struct sockaddr_in));
	ck_assert_int_eq(tmetrics_parse_listen("[::1]:65535", &ss, &len), 0);
	ck_assert_int_eq(ss.ss_family, AF_INET6);
	ck_assert_int_eq(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), 65535);
	ck_assert_int_eq(tmetrics_parse_listen("0.0.0.0:1", &ss, &len), 0);

	const char *bad[] = {
		"", "localhost:9100", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
		"127.0.0.1:123456", "127.0.0.1:9a", "127.0.0.1:-1", "::1:9100", "[::1]9100",
		"[::1]:", "[]:80", ":9100", "[127.0.0.1]:80", "1.2.3:80", "[::1:80",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(tmetrics_parse_listen(bad[i], &ss, &len) == -EINVAL, "accepted '%s'", bad[i]);
	ck_assert_int_eq(tmetrics_parse_listen(NULL, &ss, &len), -EINVAL);
}
END_TEST

/* --- HTTP ------------------------------------------------------------------------ */

static int scrapes;

static void collect(struct tmetrics_out *o, void *arg)
{
	scrapes++;
	tmetrics_family(o, "t_up", "gauge", (const char *)arg);
	tmetrics_u64(o, "t_up", NULL, 1);
}

struct reply {
	int code;
	char body[512];
	char ctype[128];
	struct event_base *base;
};

static void on_reply(struct evhttp_request *req, void *arg)
{
	struct reply *r = arg;
	if (req) {
		r->code = evhttp_request_get_response_code(req);
		struct evbuffer *b = evhttp_request_get_input_buffer(req);
		size_t n = evbuffer_get_length(b);
		n = n < sizeof r->body - 1 ? n : sizeof r->body - 1;
		evbuffer_remove(b, r->body, n);
		r->body[n] = '\0';
		const char *ct = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
		snprintf(r->ctype, sizeof r->ctype, "%s", ct ? ct : "");
	}
	event_base_loopexit(r->base, NULL);
}

static void get(struct event_base *base, int port, const char *path, struct reply *r)
{
	memset(r, 0, sizeof *r);
	r->base = base;
	struct evhttp_connection *c = evhttp_connection_base_new(base, NULL, "127.0.0.1", (uint16_t)port);
	struct evhttp_request *req = evhttp_request_new(on_reply, r);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host", "127.0.0.1");
	evhttp_make_request(c, req, EVHTTP_REQ_GET, path);
	struct timeval tv = { 5, 0 };
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	evhttp_connection_free(c);
}

/* A free TCP port on 127.0.0.1 (bound and released). */
static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

START_TEST(test_http)
{
	struct event_base *base = event_base_new();
	tmetrics_server_t *m = NULL, *m2 = NULL;
	char listen[32];
	int port = free_port();
	snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
	scrapes = 0;
	ck_assert_int_eq(tmetrics_server_new(base, listen, collect, "Up.", &m), 0);
	ck_assert_ptr_nonnull(m);

	struct reply r;
	get(base, port, "/metrics", &r);
	ck_assert_int_eq(r.code, 200);
	ck_assert_str_eq(r.body, "# HELP t_up Up.\n# TYPE t_up gauge\nt_up 1\n");
	ck_assert_str_eq(r.ctype, "text/plain; version=0.0.4; charset=utf-8");
	get(base, port, "/metrics?x=1", &r);
	ck_assert_int_eq(r.code, 200);
	ck_assert_int_eq(scrapes, 2);
	get(base, port, "/metric", &r);
	ck_assert_int_eq(r.code, 404);
	get(base, port, "/metrics/", &r);
	ck_assert_int_eq(r.code, 404);
	ck_assert_int_eq(scrapes, 2);

	ck_assert_int_eq(tmetrics_server_new(base, listen, collect, "Up.", &m2), -EADDRINUSE);
	ck_assert_ptr_null(m2);
	ck_assert_int_eq(tmetrics_server_new(base, "127.0.0.1", collect, "Up.", &m2), -EINVAL);
	ck_assert_ptr_null(m2);

	tmetrics_server_free(m);
	get(base, port, "/metrics", &r);
	ck_assert_int_eq(r.code, 0);       /* nothing listens any more */
	tmetrics_server_free(NULL);
	event_base_free(base);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("metrics");
	tcase_add_test(tc, test_hist_cumulative);
	tcase_add_test(tc, test_hist_since);
	tcase_add_test(tc, test_text);
	tcase_add_test(tc, test_labels);
	tcase_add_test(tc, test_parse_listen);
	tcase_add_test(tc, test_http);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
