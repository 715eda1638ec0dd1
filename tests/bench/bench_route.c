/* bench_route - route lookups per second at 100,000 prefixes.
 *
 *   bench_route [-n PREFIXES] [-l LOOKUPS] [-s SEED]
 *
 * Writes N random distinct prefixes (3 to 10 digits, one in ten with a
 * leading '+') to a route file, loads it through the configuration loader
 * (as tandemd does: [routes] file = ...), and looks up L random numbers
 * (6 to 14 digits, '+' as often) three ways, in the same run:
 *   table     the route table (routetab.c): one binary search + parent walk
 *   by-length the previous lookup: routes sorted by (length, prefix), one
 *             binary search per possible length, longest first
 *   linear    a scan of every prefix (on L/1000 numbers: it is slow)
 * Every answer of the table is checked against the by-length one (and the
 * linear one where it runs). Reports lookups per second, ns per lookup, the
 * load time, and memory: the table's own bytes and the process RSS growth of
 * the load (routes + targets + table).
 * Prints "RESULT passed=1 failed=0" when all answers agree.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "core/routetab.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0, res = 0;
	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &res) != 2)
			res = 0;
		fclose(f);
	}
	return res * (sysconf(_SC_PAGESIZE) / 1024);
}

static void rand_digits(char *out, int len, int plus_one_in)
{
	int i = 0;
	if (random() % plus_one_in == 0)
		out[i++] = '+';
	for (; i < len; i++)
		out[i] = (char)('0' + random() % 10);
	out[len] = 0;
}

/* ---- the previous lookup, for comparison ---- */

struct key {
	const char *number;
	size_t len;
};

static int by_length_cmp(const void *key, const void *elem)
{
	const struct key *k = key;
	const struct tconf_route *r = elem;
	size_t len = strlen(r->prefix);
	if (k->len != len)
		return k->len > len ? -1 : 1;
	return strncmp(k->number, r->prefix, len);
}

static const struct tconf_route *by_length(const tconf_t *c, const char *number, size_t maxlen)
{
	size_t len = strnlen(number, maxlen);
	for (size_t l = len + 1; l-- > 0;) {
		struct key k = { number, l };
		const struct tconf_route *r = bsearch(&k, c->routes, c->nroutes, sizeof *c->routes, by_length_cmp);
		if (r)
			return r;
	}
	return NULL;
}

static const struct tconf_route *linear(const tconf_t *c, const char *number)
{
	const struct tconf_route *best = NULL;
	size_t bl = 0;
	for (size_t i = 0; i < c->nroutes; i++) {
		size_t l = strlen(c->routes[i].prefix);
		if ((!best || l > bl) && !strncmp(number, c->routes[i].prefix, l)) {
			best = &c->routes[i];
			bl = l;
		}
	}
	return best;
}

static int cmpstr(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* N distinct random prefixes into a route file. */
static void write_routes(const char *path, size_t n)
{
	size_t cap = n * 2 + 16, have = 0;
	char **p = malloc(cap * sizeof *p);
	FILE *f = fopen(path, "w");
	if (!p || !f) {
		perror(path);
		exit(2);
	}
	while (have < n) {
		/* draw more than needed, then keep the distinct ones */
		while (have < cap) {
			p[have] = malloc(16);
			rand_digits(p[have++], 3 + (int)(random() % 8), 10);
		}
		qsort(p, have, sizeof *p, cmpstr);
		size_t w = 0;
		for (size_t i = 0; i < have; i++) {
			if (w && !strcmp(p[i], p[w - 1]))
				free(p[i]);
			else
				p[w++] = p[i];
		}
		have = w;
	}
	/* keep a random n of them */
	for (size_t i = have; i-- > 1;) {
		size_t j = (size_t)random() % (i + 1);
		char *t = p[i];
		p[i] = p[j];
		p[j] = t;
	}
	for (size_t i = 0; i < have; i++) {
		if (i < n)
			fprintf(f, "%s,%s\n", p[i], i % 4 ? "a" : "b priority=1 weight=3, a priority=1");
		free(p[i]);
	}
	free(p);
	fclose(f);
}

int main(int argc, char **argv)
{
	size_t n = 100000, lookups = 2000000;
	unsigned seed = 1;
	int opt;
	while ((opt = getopt(argc, argv, "n:l:s:")) != -1) {
		if (opt == 'n')
			n = strtoul(optarg, NULL, 10);
		else if (opt == 'l')
			lookups = strtoul(optarg, NULL, 10);
		else if (opt == 's')
			seed = (unsigned)strtoul(optarg, NULL, 10);
		else {
			fprintf(stderr, "usage: bench_route [-n PREFIXES] [-l LOOKUPS] [-s SEED]\n");
			return 2;
		}
	}
	srandom(seed);
	char path[] = "/tmp/bench-routes-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0) {
		perror("mkstemp");
		return 2;
	}
	close(fd);
	write_routes(path, n);

	char conf[512];
	snprintf(conf, sizeof conf,
		 "[lo]\ntype = interface\naddress = 127.0.0.1\n"
		 "[a]\ntype = trunk\nhost = 127.0.0.1\n[b]\ntype = trunk\nhost = 127.0.0.2\n"
		 "[routes]\nfile = %s\ndefault = a\n", path);
	long rss0 = rss_kb();
	double t0 = now();
	struct tconf_errors e = { 0 };
	tconf_t *c = tconf_load_string("bench.conf", conf, strlen(conf), 1, &e);
	double tload = now() - t0;
	long rss1 = rss_kb();
	unlink(path);
	if (!c) {
		for (size_t i = 0; i < e.n; i++)
			fprintf(stderr, "%s\n", e.msgs[i]);
		return 2;
	}
	size_t maxlen = 0;
	for (size_t i = 0; i < c->nroutes; i++)
		if (strlen(c->routes[i].prefix) > maxlen)
			maxlen = strlen(c->routes[i].prefix);

	size_t nnum = 65536;
	char (*num)[16] = malloc(nnum * sizeof *num);
	for (size_t i = 0; i < nnum; i++)
		rand_digits(num[i], 6 + (int)(random() % 9), 10);

	unsigned mismatches = 0;
	size_t sink = 0;
	t0 = now();
	for (size_t i = 0; i < lookups; i++)
		sink += (size_t)tconf_route_lookup(c, num[i & (nnum - 1)]);
	double ttab = now() - t0;
	t0 = now();
	for (size_t i = 0; i < lookups; i++)
		sink += (size_t)by_length(c, num[i & (nnum - 1)], maxlen);
	double tlen = now() - t0;
	size_t nlin = lookups / 1000 ? lookups / 1000 : 1;
	t0 = now();
	for (size_t i = 0; i < nlin; i++)
		sink += (size_t)linear(c, num[i & (nnum - 1)]);
	double tlin = now() - t0;
	for (size_t i = 0; i < nnum; i++) {
		const struct tconf_route *r = tconf_route_lookup(c, num[i]);
		mismatches += r != by_length(c, num[i], maxlen);
		if (i < 500)
			mismatches += r != linear(c, num[i]);
	}

	printf("bench_route: %zu distinct prefixes (3 to 10 characters), %zu lookups (seed %u)\n",
	       c->nroutes, lookups, seed);
	printf("  load (parse file + build table): %.0f ms; RSS growth %ld kB (%.0f bytes/route); "
	       "table %zu kB (%.0f bytes/prefix)\n", tload * 1e3, rss1 - rss0,
	       (double)(rss1 - rss0) * 1024 / (double)c->nroutes, troutetab_bytes(c->rtab) / 1024,
	       (double)troutetab_bytes(c->rtab) / (double)troutetab_prefixes(c->rtab));
	printf("  table     %10.0f lookups/s  %6.0f ns/lookup\n", lookups / ttab, ttab * 1e9 / lookups);
	printf("  by-length %10.0f lookups/s  %6.0f ns/lookup  (table is %.1fx faster)\n", lookups / tlen,
	       tlen * 1e9 / lookups, tlen / ttab);
	printf("  linear    %10.0f lookups/s  %6.0f ns/lookup\n", nlin / tlin, tlin * 1e9 / nlin);
	printf("  answers checked: %zu against by-length, 500 against linear: %u mismatches%s\n", nnum,
	       mismatches, sink ? "" : " ");
	free(num);
	tconf_unref(c);
	tconf_errors_free(&e);
	printf("RESULT passed=%d failed=%d\n", mismatches == 0, mismatches != 0);
	return mismatches ? 1 : 0;
}
