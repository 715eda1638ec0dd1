/* config_util.c - see config_util.h. */
#include <config.h>  /* autoconf; "config.h" would find core/config.h */
#include "core/config_util.h"

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- arena ---- */

#define TCA_CHUNK 16384
#define TCA_ALIGN 16

struct tca_chunk {
	struct tca_chunk *next;
	size_t used, size;
	_Alignas(TCA_ALIGN) unsigned char data[];
};

struct tca {
	struct tca_chunk *head;
};

struct tca *tca_new(void)
{
	return calloc(1, sizeof(struct tca));
}

void tca_free(struct tca *a)
{
	if (!a)
		return;
	struct tca_chunk *c = a->head;
	while (c) {
		struct tca_chunk *next = c->next;
		free(c);
		c = next;
	}
	free(a);
}

void *tca_alloc(struct tca *a, size_t n)
{
	if (n > SIZE_MAX / 2)
		return NULL;
	n = (n + TCA_ALIGN - 1) & ~(size_t)(TCA_ALIGN - 1);
	if (n == 0)
		n = TCA_ALIGN;
	struct tca_chunk *c = a->head;
	if (!c || c->size - c->used < n) {
		/* Big requests get a chunk of their own behind the current one, so
		 * the free space of the current chunk is not wasted. */
		size_t size = n > TCA_CHUNK / 4 ? n : TCA_CHUNK;
		struct tca_chunk *nc = malloc(sizeof *nc + size);
		if (!nc)
			return NULL;
		nc->used = 0;
		nc->size = size;
		if (c && size != TCA_CHUNK) {
			nc->next = c->next;
			c->next = nc;
		} else {
			nc->next = c;
			a->head = nc;
		}
		c = nc;
	}
	void *p = c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

char *tca_strndup(struct tca *a, const char *s, size_t n)
{
	char *p = tca_alloc(a, n + 1);
	if (p)
		memcpy(p, s, n);
	return p;
}

char *tca_strdup(struct tca *a, const char *s)
{
	return s ? tca_strndup(a, s, strlen(s)) : NULL;
}

char *tca_printf(struct tca *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	char *p = tca_alloc(a, (size_t)n + 1);
	if (!p)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

/* ---- errors ---- */

void tconf_errors_free(struct tconf_errors *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->n; i++)
		free(e->msgs[i]);
	free(e->msgs);
	e->msgs = NULL;
	e->n = 0;
}

static int errors_push(struct tconf_errors *e, char *msg)
{
	char **m = realloc(e->msgs, (e->n + 1) * sizeof *m);
	if (!m)
		return -1;
	e->msgs = m;
	e->msgs[e->n++] = msg;
	return 0;
}

void tconf_diag(struct tconf_diag *d, const char *file, unsigned line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);

	char *full = NULL;
	int r;
	if (file && line)
		r = asprintf(&full, "%s:%u: %s", file, line, msg);
	else if (file)
		r = asprintf(&full, "%s: %s", file, msg);
	else
		r = asprintf(&full, "%s", msg);
	if (r < 0)
		full = NULL;

	struct tconf_errors *e = d->errs;
	if (e && full) {
		for (size_t i = e->n - d->stored; i < e->n; i++) {
			if (!strcmp(e->msgs[i], full)) {
				free(full);  /* already said; not a new error */
				return;
			}
		}
	}
	d->count++;
	if (!e || !full || d->stored > TCONF_MAX_ERRORS) {
		free(full);
		return;
	}
	if (d->stored == TCONF_MAX_ERRORS) {
		free(full);
		full = strdup("too many errors; the rest are not shown");
		if (!full)
			return;
	}
	if (errors_push(e, full) < 0)
		free(full);
	else
		d->stored++;
}

/* ---- suggestions ---- */

#define DIST_MAXLEN 64
#define DIST_FAR (UINT_MAX / 2)

unsigned tconf_distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	if (n > DIST_MAXLEN || m > DIST_MAXLEN)
		return DIST_FAR;
	/* Three rows are enough for optimal string alignment distance. */
	unsigned rows[3][DIST_MAXLEN + 1];
	unsigned *pp = rows[0], *prev = rows[1], *cur = rows[2];
	for (size_t j = 0; j <= m; j++)
		prev[j] = (unsigned)j;
	for (size_t i = 1; i <= n; i++) {
		cur[0] = (unsigned)i;
		int ca = tolower((unsigned char)a[i - 1]);
		for (size_t j = 1; j <= m; j++) {
			int cb = tolower((unsigned char)b[j - 1]);
			unsigned best = prev[j - 1] + (ca != cb);
			if (prev[j] + 1 < best)
				best = prev[j] + 1;
			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == cb && pp[j - 2] + 1 < best)
				best = pp[j - 2] + 1;
			cur[j] = best;
		}
		unsigned *t = pp;
		pp = prev;
		prev = cur;
		cur = t;
	}
	return prev[m];
}

void tconf_suggest_init(struct tconf_suggest *s, const char *word)
{
	s->word = word;
	s->best = NULL;
	s->dist = DIST_FAR;
}

void tconf_suggest_try(struct tconf_suggest *s, const char *candidate)
{
	if (!candidate)
		return;
	unsigned d = tconf_distance(s->word, candidate);
	if (d < s->dist) {
		s->dist = d;
		s->best = candidate;
	}
}

const char *tconf_suggest_result(const struct tconf_suggest *s)
{
	/* A typo is a few edits, and fewer than the word has letters: "ab"
	 * should not suggest "cd". */
	size_t len = strlen(s->word);
	unsigned limit = len < 4 ? 1 : len < 7 ? 2 : 3;
	if (!s->best || s->dist > limit || s->dist >= len)
		return NULL;
	return s->best;
}
