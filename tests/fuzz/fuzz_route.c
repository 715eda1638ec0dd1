/* fuzz_route.c - libFuzzer target for routing a number from the network.
 *
 * The called and calling numbers of an INVITE come from the caller's
 * Request-URI and From: the input is "called\ncaller\nsource", run against a
 * fixed table with regex routes (rewrite with groups), caller and source
 * conditions, strip/prepend, and then through every number format. Checks:
 * no crash, outputs are terminated and bounded, a prefix match really is a
 * prefix of the number, and the target order is a permutation.
 */
/* fuzz-sources: src/core/config.c src/core/config_ini.c src/core/config_schema.c src/core/config_util.c src/core/config_value.c src/core/config_print.c src/core/config_snapshot.c src/core/config_routes.c src/core/routetab.c src/core/numplan.c src/core/cidr.c */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/numplan.h"
#include "core/routetab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char conf_text[] =
	"[lo]\ntype = interface\naddress = 127.0.0.1\n"
	"[a]\ntype = trunk\nhost = 127.0.0.1\n[b]\ntype = trunk\nhost = 127.0.0.2\n"
	"[routes]\n+44 = a weight=3, b\n44 = b\n0 = a, b\n00 = b priority=2, a\ndefault = a\n"
	"[m]\ntype = route\nregex = ^0(7[0-9]{9})$\nrewrite = +44\\1\\0\\1\ntargets = b\n"
	"[x]\ntype = route\nregex = ^(\\*|#)([0-9]*)(#?)$\nrewrite = \\3\\2\\1\nstrip = 1\nprepend = 99\n"
	"targets = a\n"
	"[c]\ntype = route\nnumber = 1\ncaller = 4420\ntargets = b\n"
	"[s]\ntype = route\nnumber = 2\nsource = b\ntargets = a, b\n";

static tconf_t *conf;

static uint32_t rnd(void *arg)
{
	uint32_t *s = arg;
	*s = *s * 1103515245u + 12345u;
	return *s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!conf) {
		struct tconf_errors e = { 0 };
		conf = tconf_load_buffer("fuzz", conf_text, sizeof conf_text - 1, 1, TCONF_LOAD_NO_INCLUDE, &e);
		if (!conf)
			abort();
	}
	char buf[256];
	if (size >= sizeof buf)
		size = sizeof buf - 1;
	memcpy(buf, data, size);
	buf[size] = 0;
	char *caller = strchr(buf, '\n');
	char *source = NULL;
	if (caller) {
		*caller++ = 0;
		if ((source = strchr(caller, '\n')))
			*source++ = 0;
	}
	struct troute_query q = { buf, caller ? caller : "", source };
	char out[100];
	const struct tconf_route *r = troute_match(conf, &q, out, sizeof out);
	if (r) {
		if (strnlen(out, sizeof out) >= sizeof out)
			abort();
		if (!r->re && strncmp(buf, r->prefix, strlen(r->prefix)))
			abort();
		uint8_t order[TROUTE_MAX_TARGETS];
		uint32_t seed = (uint32_t)size;
		size_t n = troute_order(r, rnd, &seed, order);
		unsigned seen = 0;
		for (size_t i = 0; i < n; i++) {
			if (order[i] >= n || (seen & (1u << order[i])))
				abort();
			seen |= 1u << order[i];
		}
	}
	const struct tnum_plan plans[] = { { "44", "0", "00" }, { "1", "1", "011" }, { NULL, NULL, NULL },
					   { "", "", "" } };
	for (size_t p = 0; p < sizeof plans / sizeof plans[0]; p++) {
		for (int f = TNUM_ASIS; f <= TNUM_NATIONAL; f++) {
			char o[40];
			int rc = tnum_format(&plans[p], (enum tnum_format)f, buf, o, sizeof o);
			if (rc == 0 && strnlen(o, sizeof o) >= sizeof o)
				abort();
		}
		(void)tnum_is_international(&plans[p], buf);
	}
	return 0;
}
