/* test_routetab.c - the route table (prefix lookup against a brute force,
 * conditions, regex rewrite, target order), the route file, number plans,
 * the token bucket of the limits and the header policy's PAI rules. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/numplan.h"
#include "core/routetab.h"
#include "sip/hdrpolicy.h"
#include "sip/limits.h"

static const char base[] =
	"[lo]\ntype = interface\naddress = 127.0.0.1\n"
	"[a]\ntype = trunk\nhost = 127.0.0.1\nport = 5071\n"
	"[b]\ntype = trunk\nhost = 127.0.0.1\nport = 5072\n"
	"[c]\ntype = trunk\nhost = 127.0.0.1\nport = 5073\n"
	"[alice]\ntype = user\npassword = x\nnumber = 201\n";

static tconf_t *load(const char *extra, struct tconf_errors *e)
{
	char text[8192];
	snprintf(text, sizeof text, "%s%s", base, extra);
	return tconf_load_string("t.conf", text, strlen(text), 1, e);
}

static tconf_t *load_ok(const char *extra)
{
	struct tconf_errors e = { 0 };
	tconf_t *c = load(extra, &e);
	for (size_t i = 0; i < e.n; i++)
		fprintf(stderr, "  error: %s\n", e.msgs[i]);
	ck_assert_ptr_nonnull(c);
	tconf_errors_free(&e);
	return c;
}

static bool has_error(const char *extra, const char *want)
{
	struct tconf_errors e = { 0 };
	tconf_t *c = load(extra, &e);
	bool found = false;
	for (size_t i = 0; i < e.n; i++) {
		found = found || strstr(e.msgs[i], want);
		if (!found)
			fprintf(stderr, "  error: %s\n", e.msgs[i]);
	}
	tconf_unref(c);
	tconf_errors_free(&e);
	return !c && found;
}

static const char *match(const tconf_t *c, const char *called, const char *caller, const char *source,
			 char *out)
{
	struct troute_query q = { called, caller, source };
	const struct tconf_route *r = troute_match(c, &q, out, 100);
	return r ? tconf_target_name(&r->targets[0]) : "none";
}

/* 20,000 random prefixes from a route file: the table agrees with a brute
 * force longest match for random numbers, and errors name file:line. */
START_TEST(test_file_longest_prefix)
{
	char path[] = "/tmp/tandem-routes-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	FILE *f = fdopen(fd, "w");
	srandom(7);
	fprintf(f, "# prefix,targets\n\n");
	static char prefixes[20000][12];
	for (size_t i = 0; i < 20000; i++) {
		int len = 1 + (int)(random() % 9);
		for (int k = 0; k < len; k++)
			prefixes[i][k] = (char)('0' + random() % 10);
		prefixes[i][len] = 0;
	}
	qsort(prefixes, 20000, sizeof prefixes[0], (int (*)(const void *, const void *))strcmp);
	for (size_t i = 0; i < 20000; i++)
		if (i == 0 || strcmp(prefixes[i], prefixes[i - 1]))
			fprintf(f, "%s,%s\n", prefixes[i], (i % 3) ? "a" : "b, c");
	fclose(f);
	char conf[256];
	snprintf(conf, sizeof conf, "[routes]\nfile = %s\ndefault = c\n", path);
	tconf_t *c = load_ok(conf);
	ck_assert_uint_gt(c->nroutes, 10000);
	for (int t = 0; t < 20000; t++) {
		char num[16];
		int len = 1 + (int)(random() % 12);
		for (int k = 0; k < len; k++)
			num[k] = (char)('0' + random() % 10);
		num[len] = 0;
		const struct tconf_route *best = NULL;
		for (size_t j = 0; j < c->nroutes; j++) {
			size_t l = strlen(c->routes[j].prefix);
			if (!strncmp(num, c->routes[j].prefix, l) && (!best || l > strlen(best->prefix)))
				best = &c->routes[j];
		}
		ck_assert_ptr_eq(tconf_route_lookup(c, num), best);
	}
	tconf_unref(c);

	f = fopen(path, "w");
	fprintf(f, "44,a\n# comment\n44x,a\n45,nosuch\n46\n44,b\n");
	fclose(f);
	char want[300];
	snprintf(want, sizeof want, "%s:3: '44x' is not a number prefix", path);
	ck_assert(has_error(conf, want));
	snprintf(want, sizeof want, "%s:4: 45: unknown target 'nosuch'", path);
	ck_assert(has_error(conf, want));
	snprintf(want, sizeof want, "%s:5: expected 'prefix,target", path);
	ck_assert(has_error(conf, want));
	snprintf(want, sizeof want, "%s:6: prefix '44' is already routed at %s:1", path, path);
	ck_assert(has_error(conf, want));
	unlink(path);
	ck_assert(has_error("[routes]\nfile = /nonexistent/routes.csv\n", "t.conf:"));
}
END_TEST

START_TEST(test_conditions_and_regex)
{
	tconf_t *c = load_ok("[routes]\n+44 = a\n+4420 = b\ndefault = c\n"
			     "[from-alice]\ntype = route\nnumber = +44\nsource = alice\ntargets = c\n"
			     "[london-callers]\ntype = route\nnumber = +44\ncaller = 4420\ntargets = b\n"
			     "[uk-mobile]\ntype = route\nregex = ^0(7[0-9]{9})$\nrewrite = +44\\1\n"
			     "targets = a\n"
			     "[short]\ntype = route\nnumber = 8\nstrip = 1\nprepend = +1\ntargets = b\n");
	char out[100];
	ck_assert_str_eq(match(c, "+4417", "", NULL, out), "a");
	ck_assert_str_eq(out, "+4417");
	ck_assert_str_eq(match(c, "+4417", "", "alice", out), "c");        /* source */
	ck_assert_str_eq(match(c, "+4417", "44201234", NULL, out), "b");   /* caller prefix */
	ck_assert_str_eq(match(c, "+4417", "4430", NULL, out), "a");
	/* a longer plain prefix beats a shorter one with conditions */
	ck_assert_str_eq(match(c, "+44201", "", "alice", out), "b");
	ck_assert_str_eq(match(c, "07700900123", "", NULL, out), "a");      /* regex, rewritten */
	ck_assert_str_eq(out, "+447700900123");
	ck_assert_str_eq(match(c, "077009001234", "", NULL, out), "c");     /* not the whole number */
	ck_assert_str_eq(match(c, "8555", "", NULL, out), "b");
	ck_assert_str_eq(out, "+1555");
	tconf_unref(c);

	/* a * in a prefix (service codes) turns the first-characters index off */
	c = load_ok("[routes]\n+44 = a\n4420 = b\n[svc]\ntype = route\nnumber = *21\ntargets = c\n");
	ck_assert_str_eq(match(c, "*2199", "", NULL, out), "c");
	ck_assert_str_eq(match(c, "442012", "", NULL, out), "b");
	ck_assert_str_eq(match(c, "+4412", "", NULL, out), "a");
	ck_assert_str_eq(match(c, "4412", "", NULL, out), "none");
	tconf_unref(c);

	ck_assert(has_error("[r]\ntype = route\nregex = ^(9\ntargets = a\n", "t.conf:20: [r] regex: bad regular"));
	ck_assert(has_error("[r]\ntype = route\nnumber = 9\nregex = ^9\ntargets = a\n", "either number"));
	ck_assert(has_error("[r]\ntype = route\nnumber = 9\n", "[r] route has no targets"));
	ck_assert(has_error("[r]\ntype = route\nsource = bob\ntargets = a\n", "neither a trunk nor a user"));
	ck_assert(has_error("[routes]\n9 = a priority=x\n", "expected priority=N or weight=N"));
	ck_assert(has_error("[routes]\n9 = a colour=1\n", "unknown target option"));
	ck_assert(has_error("[routes]\n9 = a, a\n", "listed twice"));
}
END_TEST

static uint32_t lcg(void *arg)
{
	uint64_t *s = arg;
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*s >> 33);
}

START_TEST(test_order_priority_weight)
{
	tconf_t *c = load_ok("[routes]\n9 = c priority=2, a priority=1 weight=70, b priority=1 weight=30\n"
			     "8 = a, b, c\n7 = a weight=0 priority=1, b priority=1\n6 = a weight=3, b\n");
	uint8_t order[TROUTE_MAX_TARGETS];
	uint64_t seed = 1;
	unsigned first_a = 0, n = 10000;
	const struct tconf_route *r = tconf_route_lookup(c, "9");
	for (unsigned i = 0; i < n; i++) {
		ck_assert_uint_eq(troute_order(r, lcg, &seed, order), 3);
		ck_assert_str_eq(tconf_target_name(&r->targets[order[2]]), "c");  /* priority 2 last */
		first_a += !strcmp(tconf_target_name(&r->targets[order[0]]), "a");
	}
	ck_assert_uint_ge(first_a, 6700);
	ck_assert_uint_le(first_a, 7300);
	r = tconf_route_lookup(c, "6");                 /* weights alone: one priority */
	first_a = 0;
	for (unsigned i = 0; i < n; i++) {
		troute_order(r, lcg, &seed, order);
		first_a += order[0] == 0;
	}
	ck_assert_uint_ge(first_a, 7200);
	ck_assert_uint_le(first_a, 7800);
	r = tconf_route_lookup(c, "8");                 /* list order by default */
	troute_order(r, lcg, &seed, order);
	ck_assert(order[0] == 0 && order[1] == 1 && order[2] == 2);
	r = tconf_route_lookup(c, "7");                 /* weight 0: last of its priority */
	for (int i = 0; i < 100; i++) {
		troute_order(r, lcg, &seed, order);
		ck_assert_str_eq(tconf_target_name(&r->targets[order[0]]), "b");
	}
	tconf_unref(c);
}
END_TEST

static const char *fmt(const struct tnum_plan *p, enum tnum_format f, const char *in)
{
	static char out[64];
	ck_assert_int_eq(tnum_format(p, f, in, out, sizeof out), 0);
	return out;
}

START_TEST(test_numplan)
{
	struct tnum_plan uk = { "44", "0", "00" }, us = { "1", "1", "011" }, none = { NULL, "0", "00" };
	ck_assert_str_eq(fmt(&uk, TNUM_E164, "02079460000"), "+442079460000");
	ck_assert_str_eq(fmt(&uk, TNUM_E164, "00331234"), "+331234");
	ck_assert_str_eq(fmt(&uk, TNUM_E164, "+331234"), "+331234");
	ck_assert_str_eq(fmt(&uk, TNUM_E164, "112"), "112");          /* unreadable: left alone */
	ck_assert_str_eq(fmt(&uk, TNUM_NATIONAL, "+442079460000"), "02079460000");
	ck_assert_str_eq(fmt(&uk, TNUM_NATIONAL, "+331234"), "00331234");
	ck_assert_str_eq(fmt(&uk, TNUM_INTERNATIONAL, "02079460000"), "00442079460000");
	ck_assert_str_eq(fmt(&us, TNUM_E164, "12125550100"), "+12125550100");
	ck_assert_str_eq(fmt(&us, TNUM_E164, "011442079460000"), "+442079460000");
	ck_assert_str_eq(fmt(&us, TNUM_INTERNATIONAL, "+442079460000"), "011442079460000");
	ck_assert_str_eq(fmt(&none, TNUM_E164, "02079460000"), "02079460000");  /* no plan */
	ck_assert_str_eq(fmt(&uk, TNUM_ASIS, "02079460000"), "02079460000");
	char small[4];
	ck_assert_int_eq(tnum_format(&uk, TNUM_E164, "02079460000", small, sizeof small), -ENOSPC);
	ck_assert(tnum_is_international(NULL, "+1"));
	ck_assert(tnum_is_international(NULL, "0044"));
	ck_assert(!tnum_is_international(NULL, "0207"));
	ck_assert(tnum_is_international(&us, "01144"));
}
END_TEST

START_TEST(test_bucket)
{
	double tokens = 2, last = 100.0;
	ck_assert(tlimits_bucket_take(&tokens, &last, 2, 2, 100.0));
	ck_assert(tlimits_bucket_take(&tokens, &last, 2, 2, 100.0));
	ck_assert(!tlimits_bucket_take(&tokens, &last, 2, 2, 100.1));   /* 0.2 tokens */
	ck_assert(tlimits_bucket_take(&tokens, &last, 2, 2, 100.6));    /* 1.2 */
	ck_assert(!tlimits_bucket_take(&tokens, &last, 2, 2, 100.6));
	ck_assert(tlimits_bucket_take(&tokens, &last, 2, 2, 200.0));    /* refilled to burst only */
	ck_assert(tlimits_bucket_take(&tokens, &last, 2, 2, 200.0));
	ck_assert(!tlimits_bucket_take(&tokens, &last, 2, 2, 200.0));
}
END_TEST

START_TEST(test_hdr_outbound)
{
	struct tconf_trunk trusted = { .name = "t", .trust_pai = true, .pass_diversion = true };
	struct tconf_trunk plain = { .name = "p" };
	struct hdr_identity id = { .privacy = true };
	snprintf(id.privacy_value, sizeof id.privacy_value, "id");
	snprintf(id.pai, sizeof id.pai, "<sip:+442071234567@pbx>");
	snprintf(id.diversion, sizeof id.diversion, "<sip:201@pbx>;reason=no-answer");
	char buf[512];
	bool anon;
	ck_assert_int_eq(hdr_outbound(&id, &trusted, buf, sizeof buf, &anon), 0);
	ck_assert(!anon);
	ck_assert_str_eq(buf, "P-Asserted-Identity: <sip:+442071234567@pbx>\r\nPrivacy: id\r\n"
			      "Diversion: <sip:201@pbx>;reason=no-answer");
	ck_assert_int_eq(hdr_outbound(&id, &plain, buf, sizeof buf, &anon), 0);
	ck_assert(anon);
	ck_assert_str_eq(buf, "");
	id.privacy = false;
	ck_assert_int_eq(hdr_outbound(&id, &plain, buf, sizeof buf, &anon), 0);
	ck_assert(!anon);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("routetab");
	TCase *tc = tcase_create("routetab");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_file_longest_prefix);
	tcase_add_test(tc, test_conditions_and_regex);
	tcase_add_test(tc, test_order_priority_weight);
	tcase_add_test(tc, test_numplan);
	tcase_add_test(tc, test_bucket);
	tcase_add_test(tc, test_hdr_outbound);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
