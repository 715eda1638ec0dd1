/* cdr_sink.c - see cdr_sink.h. */
#include "config.h"
#include "core/cdr_sink.h"

#include "core/cdr.h"
#include "core/cdr_spool.h"
#include "core/log.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <jansson.h>

#define BATCH_MAX      100
#define RETRY_MIN_MS   1000
#define RETRY_MAX_MS   10000

struct qent {
	struct qent *next;
	char *line;
};

struct tcdr_sink {
	const struct tandem_cdr_backend *be;
	void *state;
	tcdr_spool_t *spool;
	char *node;
	char run[17];

	pthread_t thread;
	bool thread_started;
	pthread_mutex_t lock;       /* guards the queue, stop and the counters */
	pthread_cond_t cond;
	struct qent *head, **tail;
	uint64_t queued;
	bool stop;
	struct tcdr_sink_stats st;

	/* writer thread only */
	size_t stride;              /* bytes between records in write()'s array */
	unsigned char *pack;        /* BATCH_MAX records at 'stride', if not ours */
	unsigned retry_ms;
	struct timespec retry_at;   /* zero: not waiting to retry */
};

static int64_t ts_us(const struct timespec *t)
{
	return t->tv_sec ? (int64_t)t->tv_sec * 1000000 + t->tv_nsec / 1000 : 0;
}

/* One leg's quality as PFX+exp, lost, jit, rtt, rlost, mos; what is unknown
 * is left out (the CSV file's empty fields). "a_exp" marks a line that
 * carries the ABI 1.3 fields. */
static int put_quality(json_t *o, const char *pfx, const struct tcdr_quality *q)
{
	struct { const char *k; json_t *v; } f[] = {
		{ "exp", json_integer((json_int_t)q->expected) },
		{ "lost", json_integer((json_int_t)q->lost) },
		{ "jit", json_real(q->jitter_ms) },
		{ "rtt", q->have_rtt ? json_real(q->rtt_ms) : NULL },
		{ "rlost", q->have_remote ? json_integer((json_int_t)q->remote_lost) : NULL },
		{ "mos", q->mos > 0 ? json_real(q->mos) : NULL },
	};
	int rc = 0;
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
		char k[16];
		snprintf(k, sizeof k, "%s%s", pfx, f[i].k);
		if (f[i].v && json_object_set_new(o, k, f[i].v) < 0)
			rc = -ENOMEM;
	}
	return rc;
}

char *tcdr_sink_encode(const struct tcdr_record *r, const char *uid)
{
#define S(x) ((x) ? (x) : "")
	json_t *o = json_pack(
		"{s:s, s:s, s:s, s:i, s:I, s:I, s:I, s:s, s:s, s:s, s:s, s:i, s:i, s:s,"
		" s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I}",
		"uid", uid, "node", S(r->node), "call_id", S(r->call_id),
		"attempt", (int)r->attempt, "start", (json_int_t)ts_us(&r->start),
		"answer", (json_int_t)ts_us(&r->answer), "end", (json_int_t)ts_us(&r->end),
		"caller", S(r->caller), "called_in", S(r->called_in),
		"called_out", S(r->called_out), "target", S(r->target),
		"code", r->final_code, "q850", r->q850, "disposition", S(r->disposition),
		"codec_a", S(r->codec_a), "codec_b", S(r->codec_b),
		"a_in", (json_int_t)r->a_in, "a_out", (json_int_t)r->a_out,
		"b_in", (json_int_t)r->b_in, "b_out", (json_int_t)r->b_out,
		"a_drop", (json_int_t)r->a_dropped, "b_drop", (json_int_t)r->b_dropped);
	if (o && (put_quality(o, "a_", &r->qa) < 0 || put_quality(o, "b_", &r->qb) < 0 ||
		  json_object_set_new(o, "source", json_string(S(r->source))) < 0 ||
		  json_object_set_new(o, "caller_out", json_string(S(r->caller_out))) < 0)) {
		json_decref(o);
		o = NULL;
	}
#undef S
	if (!o)
		return NULL;
	char *line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	return line;
}

static const char *str_of(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	return v ? v : "";
}

static int64_t int_of(json_t *o, const char *k)
{
	return (int64_t)json_integer_value(json_object_get(o, k));
}

static double num_of(json_t *o, const char *pfx, const char *k, double absent)
{
	char key[16];
	snprintf(key, sizeof key, "%s%s", pfx, k);
	json_t *v = json_object_get(o, key);
	return json_is_number(v) ? json_number_value(v) : absent;
}

static void get_quality(json_t *o, const char *pfx, struct tandem_cdr_quality *q)
{
	char key[16];
	snprintf(key, sizeof key, "%srlost", pfx);
	*q = (struct tandem_cdr_quality){
		.rtp_expected = (uint64_t)num_of(o, pfx, "exp", 0),
		.rtp_lost = (uint64_t)num_of(o, pfx, "lost", 0),
		.jitter_ms = num_of(o, pfx, "jit", 0),
		.rtt_ms = num_of(o, pfx, "rtt", -1),
		.have_remote = json_is_integer(json_object_get(o, key)),
		.remote_lost = int_of(o, key),
		.mos = num_of(o, pfx, "mos", 0),
	};
}

int tcdr_sink_decode(const char *line, struct tandem_cdr_record *r, void **holder)
{
	json_t *o = json_loads(line, 0, NULL);
	*holder = NULL;
	if (!json_is_object(o) || !*str_of(o, "uid") || !json_is_integer(json_object_get(o, "start"))) {
		json_decref(o);
		return -EINVAL;
	}
	*r = (struct tandem_cdr_record){
		.struct_size = sizeof *r,
		.attempt_uid = str_of(o, "uid"), .node = str_of(o, "node"),
		.call_id = str_of(o, "call_id"), .attempt = (unsigned)int_of(o, "attempt"),
		.start_us = int_of(o, "start"), .answer_us = int_of(o, "answer"),
		.end_us = int_of(o, "end"),
		.caller = str_of(o, "caller"), .called_in = str_of(o, "called_in"),
		.called_out = str_of(o, "called_out"), .target = str_of(o, "target"),
		.final_code = (int)int_of(o, "code"), .q850 = (int)int_of(o, "q850"),
		.disposition = str_of(o, "disposition"),
		.codec_a = str_of(o, "codec_a"), .codec_b = str_of(o, "codec_b"),
		.a_pkts_in = (uint64_t)int_of(o, "a_in"), .a_pkts_out = (uint64_t)int_of(o, "a_out"),
		.b_pkts_in = (uint64_t)int_of(o, "b_in"), .b_pkts_out = (uint64_t)int_of(o, "b_out"),
		.a_dropped = (uint64_t)int_of(o, "a_drop"), .b_dropped = (uint64_t)int_of(o, "b_drop"),
	};
	if (json_is_integer(json_object_get(o, "a_exp"))) {
		get_quality(o, "a_", &r->qa);
		get_quality(o, "b_", &r->qb);
		r->source = str_of(o, "source");
		r->caller_out = str_of(o, "caller_out");
	} else {
		/* spooled by a tandemd before ABI 1.3: those fields are unknown */
		r->struct_size = TANDEM_CDR_RECORD_SIZE_1_2;
		r->source = r->caller_out = "";
	}
	*holder = o;
	return 0;
}

int tcdr_sink_submit(tcdr_sink_t *s, const struct tcdr_record *r)
{
	char uid[256];
	snprintf(uid, sizeof uid, "%s/%s/%s-%u", r->node ? r->node : "", s->run,
		 r->call_id ? r->call_id : "", r->attempt ? r->attempt : 1);
	struct qent *e = malloc(sizeof *e);
	if (!e || !(e->line = tcdr_sink_encode(r, uid))) {
		free(e);
		LOG_ERR("cdr %s: out of memory: the record of %s is lost", s->be->name, uid);
		return -ENOMEM;
	}
	e->next = NULL;
	pthread_mutex_lock(&s->lock);
	*s->tail = e;
	s->tail = &e->next;
	s->queued++;
	s->st.submitted++;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

void tcdr_sink_stats(tcdr_sink_t *s, struct tcdr_sink_stats *st)
{
	pthread_mutex_lock(&s->lock);
	*st = s->st;
	st->pending = s->queued + st->pending;
	pthread_mutex_unlock(&s->lock);
}

/* --- writer thread ------------------------------------------------------------ */

static void set_retry(tcdr_sink_t *s, int rc)
{
	bool was_up;
	pthread_mutex_lock(&s->lock);
	was_up = s->st.up;
	s->st.up = false;
	s->st.failures++;
	pthread_mutex_unlock(&s->lock);
	s->retry_ms = s->retry_ms ? s->retry_ms * 2 : RETRY_MIN_MS;
	if (s->retry_ms > RETRY_MAX_MS)
		s->retry_ms = RETRY_MAX_MS;
	clock_gettime(CLOCK_MONOTONIC, &s->retry_at);
	s->retry_at.tv_sec += s->retry_ms / 1000;
	s->retry_at.tv_nsec += (long)(s->retry_ms % 1000) * 1000000;
	if (s->retry_at.tv_nsec >= 1000000000) {
		s->retry_at.tv_sec++;
		s->retry_at.tv_nsec -= 1000000000;
	}
	if (was_up)
		LOG_ERR("cdr %s: cannot store call records (%s); they are kept in %s and "
			"delivered in order once it works again", s->be->name, strerror(-rc),
			tcdr_spool_path(s->spool));
}

static void set_up(tcdr_sink_t *s, size_t n)
{
	bool was_down;
	pthread_mutex_lock(&s->lock);
	was_down = !s->st.up;
	s->st.up = true;
	s->st.written += n;
	s->st.pending = tcdr_spool_pending(s->spool);
	pthread_mutex_unlock(&s->lock);
	if (was_down && s->retry_ms)
		LOG_NOTICE("cdr %s: storing call records again (%" PRIu64 " still spooled)",
			   s->be->name, tcdr_spool_pending(s->spool));
	s->retry_ms = 0;
	s->retry_at = (struct timespec){ 0, 0 };
}

/* The stride of write()'s array for this backend (tandem/cdr.h). */
static size_t backend_stride(const struct tandem_cdr_backend *be)
{
	if (be->struct_size < TANDEM_CDR_BACKEND_SIZE_1_3 || be->record_size < TANDEM_CDR_RECORD_SIZE_1_2)
		return TANDEM_CDR_RECORD_SIZE_1_2;
	return be->record_size < sizeof(struct tandem_cdr_record) ? be->record_size
								  : sizeof(struct tandem_cdr_record);
}

/* The records as the backend reads them: ours, or copies cut to its stride
 * (a module built for an older ABI minor). */
static const struct tandem_cdr_record *lay_out(tcdr_sink_t *s, struct tandem_cdr_record *recs, size_t k)
{
	if (!s->pack)
		return recs;
	for (size_t i = 0; i < k; i++) {
		if (recs[i].struct_size > s->stride)
			recs[i].struct_size = (uint32_t)s->stride;
		memcpy(s->pack + i * s->stride, &recs[i], s->stride);
	}
	return (const struct tandem_cdr_record *)(void *)s->pack;
}

static const struct tandem_cdr_record *rec_at(const tcdr_sink_t *s, const struct tandem_cdr_record *base,
					      size_t i)
{
	return (const struct tandem_cdr_record *)(const void *)((const unsigned char *)base + i * s->stride);
}

/* Offer n spooled lines to the backend; on a data refusal retry them one by
 * one and set the refused ones aside. Returns records consumed or -errno. */
static int offer(tcdr_sink_t *s, char **lines, size_t n)
{
	struct tandem_cdr_record recs[BATCH_MAX];
	void *holders[BATCH_MAX];
	size_t line_of[BATCH_MAX], k = 0;
	int rc;
	for (size_t i = 0; i < n; i++) {
		if (tcdr_sink_decode(lines[i], &recs[k], &holders[k]) == 0) {
			line_of[k++] = i;
			continue;
		}
		LOG_ERR("cdr %s: unreadable spooled record set aside in the .rejected file", s->be->name);
		tcdr_spool_reject(s->spool, lines[i]);
	}
	const struct tandem_cdr_record *arr = lay_out(s, recs, k);
	rc = k ? s->be->write(s->state, arr, k) : 0;
	if (rc == -EINVAL) {
		/* one bad record must not hold up the others: find it */
		rc = 0;
		for (size_t i = 0; i < k && rc == 0; i++) {
			rc = k > 1 ? s->be->write(s->state, rec_at(s, arr, i), 1) : -EINVAL;
			if (rc != -EINVAL)
				continue;
			LOG_ERR("cdr %s: the database refused the record %s; it is set aside in the "
				".rejected file next to the spool", s->be->name, recs[i].attempt_uid);
			tcdr_spool_reject(s->spool, lines[line_of[i]]);
			pthread_mutex_lock(&s->lock);
			s->st.rejected++;
			pthread_mutex_unlock(&s->lock);
			rc = 0;
		}
	}
	for (size_t i = 0; i < k; i++)
		json_decref(holders[i]);
	return rc < 0 ? rc : (int)n;
}

static void deliver(tcdr_sink_t *s)
{
	char *lines[BATCH_MAX];
	size_t bytes;
	int n;
	while ((n = tcdr_spool_peek(s->spool, BATCH_MAX, lines, &bytes)) > 0) {
		int rc = offer(s, lines, (size_t)n);
		for (int i = 0; i < n; i++)
			free(lines[i]);
		if (rc < 0) {
			set_retry(s, rc);
			return;
		}
		if ((rc = tcdr_spool_commit(s->spool, bytes, (size_t)n)) < 0)
			LOG_ERR("cdr %s: cannot record progress in the spool: %s (records may be "
				"offered twice; the database drops repeats)", s->be->name, strerror(-rc));
		set_up(s, (size_t)n);
	}
}

static bool retry_due(const tcdr_sink_t *s)
{
	struct timespec now;
	if (!s->retry_at.tv_sec)
		return true;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > s->retry_at.tv_sec ||
	       (now.tv_sec == s->retry_at.tv_sec && now.tv_nsec >= s->retry_at.tv_nsec);
}

/* Move the queue to the spool; on a disk error put it back and try later. */
static void spool_queue(tcdr_sink_t *s, struct qent *list, uint64_t count)
{
	char *lines[256];
	struct qent *e = list;
	int rc = 0;
	while (e && rc == 0) {
		size_t n = 0;
		struct qent *first = e;
		for (; e && n < sizeof lines / sizeof lines[0]; e = e->next)
			lines[n++] = e->line;
		if ((rc = tcdr_spool_append(s->spool, lines, n)) < 0) {
			e = first;
			break;
		}
		for (struct qent *q = first; q != e;) {
			struct qent *next = q->next;
			free(q->line);
			free(q);
			q = next;
			count--;
		}
	}
	pthread_mutex_lock(&s->lock);
	if (e) {
		/* not spooled: back to the front of the queue */
		struct qent *last = e;
		while (last->next)
			last = last->next;
		last->next = s->head;
		if (!s->head)
			s->tail = &last->next;
		s->head = e;
		s->queued += count;
	}
	s->st.pending = tcdr_spool_pending(s->spool);
	pthread_mutex_unlock(&s->lock);
	if (rc < 0) {
		LOG_ERR("cdr %s: cannot write the spool %s: %s; records wait in memory",
			s->be->name, tcdr_spool_path(s->spool), strerror(-rc));
		set_retry(s, rc);
	}
}

static void *writer_main(void *arg)
{
	tcdr_sink_t *s = arg;
	for (;;) {
		/* wake for new records (spooled at once, even while the backend is
		 * down), for a due retry, or to stop */
		pthread_mutex_lock(&s->lock);
		while (!s->stop && !s->head && !(s->retry_at.tv_sec && retry_due(s))) {
			if (s->retry_at.tv_sec) {
				struct timespec at = s->retry_at;
				pthread_cond_timedwait(&s->cond, &s->lock, &at);
			} else {
				pthread_cond_wait(&s->cond, &s->lock);
			}
		}
		struct qent *list = s->head;
		uint64_t count = s->queued;
		bool stop = s->stop;
		s->head = NULL;
		s->tail = &s->head;
		s->queued = 0;
		pthread_mutex_unlock(&s->lock);

		if (list)
			spool_queue(s, list, count);
		/* stopping while the backend is down: leave the rest for the next start */
		if (retry_due(s) && !(stop && s->retry_ms))
			deliver(s);
		if (stop)
			break;
	}
	return NULL;
}

/* --- life ---------------------------------------------------------------------- */

static void make_run_id(char out[17])
{
	uint64_t v = 0;
	if (getrandom(&v, sizeof v, GRND_NONBLOCK) != (ssize_t)sizeof v) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		v = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	}
	snprintf(out, 17, "%016" PRIx64, v);
}

int tcdr_sink_new(const struct tandem_cdr_backend *be, const struct tandem_cdr_params *p,
		  const char *spool_dir, const char *node, tcdr_sink_t **out,
		  char *err, size_t errlen)
{
	int rc;
	tcdr_sink_t *s = calloc(1, sizeof *s);
	*out = NULL;
	if (!s || !(s->node = strdup(node ? node : ""))) {
		free(s);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->be = be;
	s->stride = backend_stride(be);
	if (s->stride != sizeof(struct tandem_cdr_record) &&
	    !(s->pack = malloc(BATCH_MAX * s->stride))) {
		free(s->node);
		free(s);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->tail = &s->head;
	s->st.backend = be->name;
	s->st.up = true;
	make_run_id(s->run);
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &ca);
	pthread_condattr_destroy(&ca);
	if ((rc = tcdr_spool_open(spool_dir, be->name, &s->spool)) < 0) {
		snprintf(err, errlen, "cdr %s: cannot open its spool in %s: %s (check cdr_spool_dir "
			 "exists and is writable by tandemd)", be->name, spool_dir, strerror(-rc));
		goto fail;
	}
	s->st.pending = tcdr_spool_pending(s->spool);
	if (s->st.pending)          /* a retry due now: replay what an earlier run left */
		clock_gettime(CLOCK_MONOTONIC, &s->retry_at);
	if ((rc = be->open(p, &s->state)) < 0) {
		snprintf(err, errlen, "cdr %s: cannot start: %s (check cdr_database and cdr_table)",
			 be->name, strerror(-rc));
		goto fail;
	}
	if ((rc = -pthread_create(&s->thread, NULL, writer_main, s)) < 0) {
		snprintf(err, errlen, "cdr %s: cannot start its thread: %s", be->name, strerror(-rc));
		be->close(s->state);
		goto fail;
	}
	s->thread_started = true;
	if (s->st.pending)
		LOG_NOTICE("cdr %s: %" PRIu64 " record(s) left spooled in %s by a previous run: "
			   "delivering them first", be->name, s->st.pending, tcdr_spool_path(s->spool));
	*out = s;
	return 0;
fail:
	s->state = NULL;
	tcdr_sink_free(s);
	return rc;
}

void tcdr_sink_free(tcdr_sink_t *s)
{
	if (!s)
		return;
	if (s->thread_started) {
		pthread_mutex_lock(&s->lock);
		s->stop = true;
		pthread_cond_signal(&s->cond);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->thread, NULL);
		s->be->close(s->state);
		if (tcdr_spool_pending(s->spool))
			LOG_WARN("cdr %s: %" PRIu64 " record(s) stay spooled in %s until the next start",
				 s->be->name, tcdr_spool_pending(s->spool), tcdr_spool_path(s->spool));
	}
	for (struct qent *e = s->head; e;) {
		struct qent *next = e->next;
		free(e->line);
		free(e);
		e = next;
	}
	tcdr_spool_close(s->spool);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	free(s->node);
	free(s->pack);
	free(s);
}
