/* test_registrar.c - the bindings store: add, refresh, remove, expire,
 * instance replacement, limits, CSeq order, persistence and reload. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sip/registrar.h"

#define AOR "sip:alice@tandem.example"
#define T0 1800000000

static treg_t *r;
static char dir[] = "/tmp/test_registrar.XXXXXX";
static char path[256];

static void setup(void)
{
	struct treg_params p = { .min_expires = 60, .max_expires = 3600, .default_expires = 1800,
				 .max_bindings = 20, .max_per_aor = 3 };
	ck_assert_int_eq(treg_new(&p, &r), 0);
	strcpy(dir, "/tmp/test_registrar.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/bindings.json", dir);
}

static void teardown(void)
{
	treg_free(r);
	unlink(path);
	rmdir(dir);
}

static struct treg_request req(const char *call_id, uint32_t cseq)
{
	return (struct treg_request){ .aor = AOR, .call_id = call_id, .cseq = cseq,
				      .received_ip = "203.0.113.5", .received_port = 40312,
				      .transport = "udp" };
}

static int reg1(const char *call_id, uint32_t cseq, const char *contact, long expires, int64_t now,
		unsigned *granted)
{
	struct treg_request q = req(call_id, cseq);
	struct treg_contact c = { .contact = contact, .expires = expires };
	return treg_register(r, &q, &c, 1, now, granted);
}

START_TEST(add_refresh_remove)
{
	unsigned g[2];
	const struct treg_binding *b[4];
	ck_assert_uint_eq(treg_lookup(r, AOR, T0, b, 4), 0);
	uint64_t gen = treg_generation(r);
	ck_assert_int_eq(reg1("c1", 1, "sip:alice@192.168.1.20:5060", 600, T0, g), 0);
	ck_assert_uint_eq(g[0], 600);
	ck_assert_uint_gt(treg_generation(r), gen);
	ck_assert_uint_eq(treg_lookup(r, AOR, T0 + 1, b, 4), 1);
	ck_assert_str_eq(b[0]->aor, AOR);
	ck_assert_str_eq(b[0]->contact, "sip:alice@192.168.1.20:5060");
	/* NAT: the binding remembers where the REGISTER came from */
	ck_assert_str_eq(b[0]->received_ip, "203.0.113.5");
	ck_assert_uint_eq(b[0]->received_port, 40312);
	ck_assert_str_eq(b[0]->transport, "udp");
	ck_assert_int_eq(b[0]->expires_at, T0 + 600);
	ck_assert_ptr_null(b[0]->instance);

	/* refresh: same contact, same Call-ID, higher CSeq; expires header absent */
	ck_assert_int_eq(reg1("c1", 2, "sip:alice@192.168.1.20:5060", -1, T0 + 100, g), 0);
	ck_assert_uint_eq(g[0], 1800);
	ck_assert_uint_eq(treg_lookup(r, AOR, T0 + 100, b, 4), 1);
	ck_assert_int_eq(b[0]->expires_at, T0 + 1900);
	ck_assert_uint_eq(b[0]->cseq, 2);

	/* a second phone of the same AOR */
	ck_assert_int_eq(reg1("c2", 1, "sip:alice@10.0.0.7:5062;transport=tcp", 99999, T0 + 200, g), 0);
	ck_assert_uint_eq(g[0], 3600);  /* clamped to max */
	ck_assert_uint_eq(treg_lookup(r, AOR, T0 + 200, b, 4), 2);
	ck_assert_str_eq(b[0]->contact, "sip:alice@10.0.0.7:5062;transport=tcp"); /* newest first */
	ck_assert_uint_eq(treg_count(r), 2);

	/* remove one with expires=0 */
	ck_assert_int_eq(reg1("c1", 3, "sip:alice@192.168.1.20:5060", 0, T0 + 300, g), 0);
	ck_assert_uint_eq(g[0], 0);
	ck_assert_uint_eq(treg_lookup(r, AOR, T0 + 300, b, 4), 1);
	ck_assert_str_eq(b[0]->contact, "sip:alice@10.0.0.7:5062;transport=tcp");
	/* removing what is not there is fine */
	ck_assert_int_eq(reg1("c9", 1, "sip:nobody@192.0.2.1", 0, T0 + 300, g), 0);
	ck_assert_uint_eq(treg_count(r), 1);

	/* Contact: * */
	struct treg_request q = req("c2", 1);
	ck_assert_int_eq(treg_unregister_all(r, &q), -EALREADY);   /* not a newer CSeq */
	q.cseq = 2;
	ck_assert_int_eq(treg_unregister_all(r, &q), 1);
	ck_assert_uint_eq(treg_count(r), 0);
	ck_assert_uint_eq(treg_lookup(r, AOR, T0 + 300, b, 4), 0);
	ck_assert_int_eq(treg_unregister_all(r, &q), 0);
}
END_TEST

START_TEST(expiry_bounds_and_errors)
{
	unsigned g[3] = { 7, 7, 7 };
	/* below min: 423, and nothing of the request is applied */
	struct treg_request q = req("c1", 1);
	struct treg_contact cs[2] = { { .contact = "sip:a@192.0.2.1", .expires = 600 },
				      { .contact = "sip:a@192.0.2.2", .expires = 30 } };
	ck_assert_int_eq(treg_register(r, &q, cs, 2, T0, g), -ERANGE);
	ck_assert_uint_eq(treg_min_expires(r), 60);
	ck_assert_uint_eq(treg_count(r), 0);
	ck_assert_uint_eq(g[0], 7);
	cs[1].expires = 60;
	ck_assert_int_eq(treg_register(r, &q, cs, 2, T0, g), 0);
	ck_assert_uint_eq(g[0], 600);
	ck_assert_uint_eq(g[1], 60);
	/* out-of-order CSeq: refused whole */
	cs[0].expires = 0;
	ck_assert_int_eq(treg_register(r, &q, cs, 2, T0, g), -EALREADY);
	ck_assert_uint_eq(treg_count(r), 2);
	/* another Call-ID may refresh with any CSeq */
	q = req("other", 1);
	ck_assert_int_eq(treg_register(r, &q, cs, 2, T0, g), 0);
	ck_assert_uint_eq(treg_count(r), 1);
	/* bad input */
	q.aor = NULL;
	ck_assert_int_eq(treg_register(r, &q, cs, 1, T0, g), -EINVAL);
	q = req("c3", 1);
	struct treg_contact bad = { .contact = "", .expires = 60 };
	ck_assert_int_eq(treg_register(r, &q, &bad, 1, T0, g), -EINVAL);
	char *longuri = malloc(TREG_URI_MAX + 2);
	memset(longuri, 'x', TREG_URI_MAX + 1);
	longuri[TREG_URI_MAX + 1] = 0;
	bad.contact = longuri;
	ck_assert_int_eq(treg_register(r, &q, &bad, 1, T0, g), -EINVAL);
	free(longuri);
	ck_assert_uint_eq(treg_count(r), 1);
	/* a reload changes the bounds */
	treg_set_expires(r, 10, 100, 50);
	ck_assert_uint_eq(treg_min_expires(r), 10);
	struct treg_contact c = { .contact = "sip:a@192.0.2.9", .expires = -1 };
	ck_assert_int_eq(treg_register(r, &q, &c, 1, T0, g), 0);
	ck_assert_uint_eq(g[0], 50);
	c.expires = 500;
	q.cseq = 2;
	ck_assert_int_eq(treg_register(r, &q, &c, 1, T0, g), 0);
	ck_assert_uint_eq(g[0], 100);
	c.expires = 9;
	q.cseq = 3;
	ck_assert_int_eq(treg_register(r, &q, &c, 1, T0, g), -ERANGE);
	treg_set_expires(r, 600, 60, 1);    /* fixed up: min <= default <= max */
	ck_assert_uint_eq(treg_min_expires(r), 600);
	c.expires = -1;
	ck_assert_int_eq(treg_register(r, &q, &c, 1, T0, g), 0);
	ck_assert_uint_eq(g[0], 600);
}
END_TEST

START_TEST(expire_and_sweep)
{
	unsigned g[1];
	const struct treg_binding *b[4];
	ck_assert_int_eq(reg1("c1", 1, "sip:a@192.0.2.1", 60, T0, g), 0);
	ck_assert_int_eq(reg1("c2", 1, "sip:a@192.0.2.2", 120, T0, g), 0);
	ck_assert_uint_eq(treg_lookup(r, AOR, T0 + 59, b, 4), 2);
	ck_assert_uint_eq(treg_lookup(r, AOR, T0 + 60, b, 4), 1);  /* expired: not used */
	ck_assert_str_eq(b[0]->contact, "sip:a@192.0.2.2");
	ck_assert_uint_eq(treg_count(r), 2);                        /* until swept */
	ck_assert_uint_eq(treg_sweep(r, T0 + 60), 1);
	ck_assert_uint_eq(treg_count(r), 1);
	ck_assert_uint_eq(treg_sweep(r, T0 + 60), 0);
	ck_assert_uint_eq(treg_sweep(r, T0 + 1000), 1);
	ck_assert_uint_eq(treg_count(r), 0);
}
END_TEST

START_TEST(instance_replaces)
{
	unsigned g[1];
	const struct treg_binding *b[4];
	const char *inst = "\"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>\"";
	struct treg_request q = req("c1", 1);
	struct treg_contact c = { .contact = "sip:alice@192.168.1.20:5060", .instance = inst,
				  .reg_id = 1, .expires = 600 };
	ck_assert_int_eq(treg_register(r, &q, &c, 1, T0, g), 0);
	/* the phone comes back from another address (new Call-ID after a reboot) */
	q = req("c2", 1);
	q.received_ip = "198.51.100.77";
	q.received_port = 5999;
	c.contact = "sip:alice@10.1.1.1:5060";
	ck_assert_int_eq(treg_register(r, &q, &c, 1, T0 + 10, g), 0);
	ck_assert_uint_eq(treg_lookup(r, AOR, T0 + 10, b, 4), 1);
	ck_assert_str_eq(b[0]->contact, "sip:alice@10.1.1.1:5060");
	ck_assert_str_eq(b[0]->received_ip, "198.51.100.77");
	ck_assert_uint_eq(b[0]->received_port, 5999);
	ck_assert_str_eq(b[0]->instance, inst);
	ck_assert_uint_eq(b[0]->reg_id, 1);
	/* a second flow (reg-id 2) of the same instance is its own binding */
	c.reg_id = 2;
	c.contact = "sip:alice@10.1.1.1:5061";
	q.cseq = 2;
	ck_assert_int_eq(treg_register(r, &q, &c, 1, T0 + 20, g), 0);
	ck_assert_uint_eq(treg_lookup(r, AOR, T0 + 20, b, 4), 2);
	/* unregister by instance even though the URI changed again */
	q.cseq = 3;
	c.reg_id = 1;
	c.contact = "sip:alice@10.9.9.9";
	c.expires = 0;
	ck_assert_int_eq(treg_register(r, &q, &c, 1, T0 + 30, g), 0);
	ck_assert_uint_eq(treg_lookup(r, AOR, T0 + 30, b, 4), 1);
	ck_assert_uint_eq(b[0]->reg_id, 2);
}
END_TEST

START_TEST(limits)
{
	unsigned g[4];
	const struct treg_binding *b[8];
	char uri[64];
	/* per AOR (3): the least recently updated binding makes room */
	for (int i = 0; i < 5; i++) {
		snprintf(uri, sizeof uri, "sip:a@192.0.2.%d", i);
		ck_assert_int_eq(reg1("c", (uint32_t)i + 1, uri, 600, T0 + i, g), 0);
	}
	ck_assert_uint_eq(treg_lookup(r, AOR, T0 + 5, b, 8), 3);
	ck_assert_str_eq(b[0]->contact, "sip:a@192.0.2.4");
	ck_assert_str_eq(b[2]->contact, "sip:a@192.0.2.2");
	ck_assert_uint_eq(treg_lookup(r, AOR, T0 + 5, b, 1), 3);  /* count beyond max */
	ck_assert_str_eq(b[0]->contact, "sip:a@192.0.2.4");
	/* more contacts in one request than one AOR may have */
	struct treg_request q = req("d", 1);
	q.aor = "sip:bob@tandem.example";
	struct treg_contact cs[4] = { { "sip:b@1.1.1.1", NULL, 0, 60 }, { "sip:b@1.1.1.2", NULL, 0, 60 },
				      { "sip:b@1.1.1.3", NULL, 0, 60 }, { "sip:b@1.1.1.4", NULL, 0, 60 } };
	ck_assert_int_eq(treg_register(r, &q, cs, 4, T0, g), -ENOSPC);
	/* in all (20) */
	for (int i = 0; i < 17; i++) {
		snprintf(uri, sizeof uri, "sip:u%d@tandem.example", i);
		q.aor = uri;
		ck_assert_int_eq(treg_register(r, &q, cs, 1, T0, g), 0);
	}
	ck_assert_uint_eq(treg_count(r), 20);
	q.aor = "sip:late@tandem.example";
	ck_assert_int_eq(treg_register(r, &q, cs, 1, T0, g), -ENOSPC);
	/* a refresh still works when full */
	ck_assert_int_eq(reg1("c", 10, "sip:a@192.0.2.4", 600, T0 + 9, g), 0);
	ck_assert_uint_eq(treg_count(r), 20);
}
END_TEST

START_TEST(persist_and_reload)
{
	unsigned g[1];
	const struct treg_binding *b[4];
	ck_assert_int_eq(treg_load(r, path, T0), 0);   /* no file yet: nothing */
	ck_assert_int_eq(reg1("c1", 7, "sip:alice@192.168.1.20:5060;ob", 600, T0, g), 0);
	struct treg_request q = req("c2", 1);
	q.aor = "sip:\"odd\\name\"@tandem.example";
	q.transport = "tcp";
	struct treg_contact c = { .contact = "sip:x@10.0.0.1;transport=tcp", .instance = "\"<urn:uuid:1>\"",
				  .reg_id = 3, .expires = 60 };
	ck_assert_int_eq(treg_register(r, &q, &c, 1, T0, g), 0);
	ck_assert_int_eq(treg_save(r, path), 0);
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);

	/* a restart 30 s later: both back */
	treg_t *r2;
	ck_assert_int_eq(treg_new(NULL, &r2), 0);
	ck_assert_int_eq(treg_load(r2, path, T0 + 30), 2);
	ck_assert_uint_eq(treg_lookup(r2, AOR, T0 + 30, b, 4), 1);
	ck_assert_str_eq(b[0]->contact, "sip:alice@192.168.1.20:5060;ob");
	ck_assert_str_eq(b[0]->received_ip, "203.0.113.5");
	ck_assert_uint_eq(b[0]->received_port, 40312);
	ck_assert_str_eq(b[0]->call_id, "c1");
	ck_assert_uint_eq(b[0]->cseq, 7);
	ck_assert_int_eq(b[0]->expires_at, T0 + 600);
	ck_assert_ptr_null(b[0]->instance);
	ck_assert_uint_eq(treg_lookup(r2, "sip:\"odd\\name\"@tandem.example", T0 + 30, b, 4), 1);
	ck_assert_str_eq(b[0]->instance, "\"<urn:uuid:1>\"");
	ck_assert_uint_eq(b[0]->reg_id, 3);
	ck_assert_str_eq(b[0]->transport, "tcp");
	/* the CSeq rule holds across the restart */
	struct treg_request old = req("c1", 7);
	struct treg_contact oc = { .contact = "sip:alice@192.168.1.20:5060;ob", .expires = 0 };
	ck_assert_int_eq(treg_register(r2, &old, &oc, 1, T0 + 30, g), -EALREADY);
	treg_free(r2);

	/* a restart 100 s later: the 60 s binding has expired and is dropped */
	ck_assert_int_eq(treg_new(NULL, &r2), 0);
	ck_assert_int_eq(treg_load(r2, path, T0 + 100), 1);
	ck_assert_uint_eq(treg_count(r2), 1);
	treg_free(r2);

	/* the save replaced the file whole; no temporary left behind */
	ck_assert_int_eq(reg1("c1", 8, "sip:alice@192.168.1.20:5060;ob", 0, T0 + 1, g), 0);
	ck_assert_int_eq(treg_save(r, path), 0);
	ck_assert_int_eq(treg_new(NULL, &r2), 0);
	ck_assert_int_eq(treg_load(r2, path, T0 + 2), 1);
	treg_free(r2);
	char tmp[300];
	snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
	ck_assert_int_eq(access(tmp, F_OK), -1);
}
END_TEST

START_TEST(load_bad_files)
{
	static const char *const bad[] = {
		"", "not json", "[]", "{\"bindings\": []}", "{\"tandem_bindings\": 2, \"bindings\": []}",
		"{\"tandem_bindings\": 1, \"bindings\": {}}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		FILE *f = fopen(path, "w");
		fputs(bad[i], f);
		fclose(f);
		ck_assert_msg(treg_load(r, path, T0) == -EINVAL, "accepted: %s", bad[i]);
	}
	/* a good file with bad entries: those are skipped */
	FILE *f = fopen(path, "w");
	fprintf(f, "{\"tandem_bindings\": 1, \"bindings\": ["
		   "{\"aor\": \"sip:a@x\"},"
		   "{\"aor\": \"sip:a@x\", \"contact\": \"sip:a@1.2.3.4\", \"reg_id\": 0,"
		   " \"received_ip\": \"1.2.3.4\", \"received_port\": 70000, \"transport\": \"udp\","
		   " \"call_id\": \"c\", \"cseq\": 1, \"expires_at\": %d, \"updated\": %d},"
		   "{\"aor\": \"sip:a@x\", \"contact\": \"sip:a@1.2.3.4\", \"reg_id\": 0,"
		   " \"received_ip\": \"1.2.3.4\", \"received_port\": 5060, \"transport\": \"udp\","
		   " \"call_id\": \"c\", \"cseq\": 1, \"expires_at\": %d, \"updated\": %d},"
		   "17]}", T0 + 100, T0, T0 + 999999, T0);
	fclose(f);
	ck_assert_int_eq(treg_load(r, path, T0), 1);
	const struct treg_binding *b[2];
	ck_assert_uint_eq(treg_lookup(r, "sip:a@x", T0, b, 2), 1);
	ck_assert_int_eq(b[0]->expires_at, T0 + 3600);  /* never more than max_expires */
	ck_assert_int_eq(treg_load(r, "/nonexistent/dir/file", T0), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("registrar");
	TCase *tc = tcase_create("store");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, add_refresh_remove);
	tcase_add_test(tc, expiry_bounds_and_errors);
	tcase_add_test(tc, expire_and_sweep);
	tcase_add_test(tc, instance_replaces);
	tcase_add_test(tc, limits);
	tcase_add_test(tc, persist_and_reload);
	tcase_add_test(tc, load_bad_files);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
