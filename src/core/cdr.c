/* cdr.c - see cdr.h. */
#include "config.h"
#include "core/cdr.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CDR_LINE_MAX 4096

static const char header[] =
	"node,call_id,attempt_id,start,answer,end,caller,called_in,called_out,target,"
	"final_code,q850_cause,disposition,duration_s,codec_a,codec_b,"
	"a_pkts_in,a_pkts_out,b_pkts_in,b_pkts_out,a_dropped,b_dropped,"
	"a_rtp_expected,a_rtp_lost,a_jitter_ms,a_rtt_ms,a_remote_lost,a_mos,"
	"b_rtp_expected,b_rtp_lost,b_jitter_ms,b_rtt_ms,b_remote_lost,b_mos,source,caller_out\n";

struct tcdr {
	pthread_mutex_t lock;       /* guards fd against a reopen */
	int fd;
	char *path;
};

static int open_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) == 0 && st.st_size == 0) {
		ssize_t w = write(fd, header, sizeof header - 1);
		(void)w;
	}
	return fd;
}

int tcdr_open(const char *path, tcdr_t **out)
{
	tcdr_t *w = calloc(1, sizeof *w);
	if (!w || !(w->path = strdup(path))) {
		free(w);
		return -ENOMEM;
	}
	w->fd = open_file(path);
	if (w->fd < 0) {
		int rc = w->fd;
		free(w->path);
		free(w);
		return rc;
	}
	pthread_mutex_init(&w->lock, NULL);
	*out = w;
	return 0;
}

int tcdr_reopen(tcdr_t *w)
{
	int fd = open_file(w->path);
	if (fd < 0)
		return fd;
	pthread_mutex_lock(&w->lock);
	int old = w->fd;
	w->fd = fd;
	pthread_mutex_unlock(&w->lock);
	close(old);
	return 0;
}

void tcdr_close(tcdr_t *w)
{
	if (!w)
		return;
	close(w->fd);
	pthread_mutex_destroy(&w->lock);
	free(w->path);
	free(w);
}

const char *tcdr_path(const tcdr_t *w) { return w->path; }

/* Append a CSV field; quoted when needed. Returns false when out of room. */
static bool put_field(char *buf, size_t len, size_t *n, const char *v, bool first)
{
	if (!first) {
		if (*n + 1 >= len)
			return false;
		buf[(*n)++] = ',';
	}
	if (!v)
		v = "";
	bool quote = strpbrk(v, ",\"\r\n") != NULL;
	if (quote) {
		if (*n + 1 >= len)
			return false;
		buf[(*n)++] = '"';
	}
	for (const char *p = v; *p; p++) {
		char ch = (unsigned char)*p < 0x20 ? ' ' : *p;
		size_t need = ch == '"' ? 2 : 1;
		if (*n + need >= len)
			return false;
		if (ch == '"')
			buf[(*n)++] = '"';
		buf[(*n)++] = ch;
	}
	if (quote) {
		if (*n + 1 >= len)
			return false;
		buf[(*n)++] = '"';
	}
	return true;
}

static void fmt_time(const struct timespec *t, char *buf, size_t len)
{
	struct tm tm;
	if (!t->tv_sec) {
		buf[0] = '\0';
		return;
	}
	gmtime_r(&t->tv_sec, &tm);
	size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03ldZ", t->tv_nsec / 1000000);
}

#define QNUM 6

/* One leg's quality columns; unknown values stay empty. */
static void fmt_quality(const struct tcdr_quality *q, char out[QNUM][24])
{
	snprintf(out[0], 24, "%llu", (unsigned long long)q->expected);
	snprintf(out[1], 24, "%llu", (unsigned long long)q->lost);
	snprintf(out[2], 24, "%.2f", q->jitter_ms);
	out[3][0] = out[4][0] = out[5][0] = '\0';
	if (q->have_rtt)
		snprintf(out[3], 24, "%.1f", q->rtt_ms);
	if (q->have_remote)
		snprintf(out[4], 24, "%lld", (long long)q->remote_lost);
	if (q->mos > 0)
		snprintf(out[5], 24, "%.2f", q->mos);
}

int tcdr_format(const struct tcdr_record *r, char *buf, size_t len)
{
	char qn[2][QNUM][24];
	fmt_quality(&r->qa, qn[0]);
	fmt_quality(&r->qb, qn[1]);
	char start[40], answer[40], end[40], attempt[96], nums[10][24];
	fmt_time(&r->start, start, sizeof start);
	fmt_time(&r->answer, answer, sizeof answer);
	fmt_time(&r->end, end, sizeof end);
	snprintf(attempt, sizeof attempt, "%s-%u", r->call_id ? r->call_id : "", r->attempt);
	/* connected time, rounded to the nearest second */
	long dur = r->answer.tv_sec ? (long)(((r->end.tv_sec - r->answer.tv_sec) * 1000 +
					     (r->end.tv_nsec - r->answer.tv_nsec) / 1000000 + 500) / 1000) : 0;
	snprintf(nums[0], sizeof nums[0], "%d", r->final_code);
	snprintf(nums[1], sizeof nums[1], "%d", r->q850);
	snprintf(nums[2], sizeof nums[2], "%ld", dur < 0 ? 0 : dur);
	uint64_t c[6] = { r->a_in, r->a_out, r->b_in, r->b_out, r->a_dropped, r->b_dropped };
	for (int i = 0; i < 6; i++)
		snprintf(nums[3 + i], sizeof nums[3 + i], "%llu", (unsigned long long)c[i]);

	const char *f[] = {
		r->node, r->call_id, attempt, start, answer, end, r->caller, r->called_in,
		r->called_out, r->target, nums[0], r->q850 ? nums[1] : "", r->disposition,
		nums[2], r->codec_a, r->codec_b, nums[3], nums[4], nums[5], nums[6], nums[7], nums[8],
		qn[0][0], qn[0][1], qn[0][2], qn[0][3], qn[0][4], qn[0][5],
		qn[1][0], qn[1][1], qn[1][2], qn[1][3], qn[1][4], qn[1][5],
		r->source, r->caller_out,
	};
	size_t n = 0;
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
		if (!put_field(buf, len, &n, f[i], i == 0))
			return -ENOSPC;
	buf[n] = '\0';
	return (int)n;
}

int tcdr_write(tcdr_t *w, const struct tcdr_record *r)
{
	char line[CDR_LINE_MAX];
	int n = tcdr_format(r, line, sizeof line - 1);
	if (n < 0)
		return n;
	line[n++] = '\n';
	pthread_mutex_lock(&w->lock);
	ssize_t wr = write(w->fd, line, (size_t)n);
	pthread_mutex_unlock(&w->lock);
	return wr == n ? 0 : -EIO;
}

int tcdr_q850_from_sip(int code)
{
	static const struct { int sip, q850; } map[] = {
		{ 400, 41 }, { 401, 21 }, { 402, 21 }, { 403, 21 }, { 404, 1 }, { 405, 63 },
		{ 406, 79 }, { 407, 21 }, { 408, 102 }, { 410, 22 }, { 413, 127 }, { 414, 127 },
		{ 415, 79 }, { 416, 127 }, { 420, 127 }, { 421, 127 }, { 423, 127 }, { 480, 18 },
		{ 481, 41 }, { 482, 25 }, { 483, 25 }, { 484, 28 }, { 485, 1 }, { 486, 17 },
		{ 488, 65 }, { 500, 41 }, { 501, 79 }, { 502, 38 }, { 503, 41 },
		{ 504, 102 }, { 505, 127 }, { 513, 127 }, { 600, 17 }, { 603, 21 }, { 604, 1 },
		{ 606, 58 },
	};
	if (code >= 200 && code < 300)
		return 16;
	if (code == 487)
		return 16;          /* the caller gave up: normal clearing, as switches log it */
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (map[i].sip == code)
			return map[i].q850;
	return code >= 300 ? 31 : 0;
}
