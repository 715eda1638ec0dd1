/* test_config.c - the configuration loader: syntax, schema, templates,
 * includes, reload, snapshot lifetime, routing and response map lookups.
 *
 * Data files are in tests/unit/conf/ (found through $srcdir, the repo root).
 * Error messages are asserted whole, file:line included.
 */
#include "config.h"

#include <check.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "core/config_schema.h"
#include "core/config_util.h"
#include "core/config_value.h"

#ifndef TEST_SRCDIR
#define TEST_SRCDIR "."
#endif

/* The smallest valid configuration: one interface. */
#define IFACE "[lo]\ntype = interface\naddress = 127.0.0.1\n"

static struct tconf_errors errs;

static void setup(void)
{
	memset(&errs, 0, sizeof errs);
}

static void teardown(void)
{
	tconf_errors_free(&errs);
}

static const char *srcdir(void)
{
	const char *s = getenv("srcdir");
	return s && *s ? s : TEST_SRCDIR;
}

static char *data_path(const char *rel)
{
	static char buf[4][PATH_MAX];
	static int n;
	char *p = buf[n++ % 4];
	snprintf(p, PATH_MAX, "%s/%s", srcdir(), rel);
	return p;
}

static tconf_t *load(const char *text)
{
	return tconf_load_string("t.conf", text, strlen(text), 1, &errs);
}

static void dump_errors(void)
{
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "  error: %s\n", errs.msgs[i]);
}

static bool has_error(const char *msg)
{
	for (size_t i = 0; i < errs.n; i++)
		if (!strcmp(errs.msgs[i], msg))
			return true;
	return false;
}

/* Suffix match, for messages that start with an absolute path. */
static bool has_error_suffix(const char *suffix)
{
	size_t sl = strlen(suffix);
	for (size_t i = 0; i < errs.n; i++) {
		size_t ml = strlen(errs.msgs[i]);
		if (ml >= sl && !strcmp(errs.msgs[i] + ml - sl, suffix))
			return true;
	}
	return false;
}

/* 'text' must fail to load, with 'msg' among the errors. */
static void expect_error(const char *text, const char *msg)
{
	tconf_errors_free(&errs);
	tconf_t *c = load(text);
	if (c || !has_error(msg)) {
		fprintf(stderr, "expected error: %s\n", msg);
		dump_errors();
	}
	ck_assert_ptr_null(c);
	ck_assert_msg(has_error(msg), "missing error: %s", msg);
}

static tconf_t *load_ok(const char *text)
{
	tconf_errors_free(&errs);
	tconf_t *c = load(text);
	if (!c)
		dump_errors();
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(errs.n, 0);
	return c;
}

/* ---- good files ---- */

START_TEST(shipped_conf_loads)
{
	tconf_t *c = tconf_load(data_path("conf/tandem.conf"), 7, &errs);
	if (!c)
		dump_errors();
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(errs.n, 0);
	ck_assert_uint_eq(c->generation, 7);
	ck_assert_uint_eq(c->ninterfaces, 1);
	ck_assert_str_eq(c->interfaces[0].name, "loopback");
	ck_assert_str_eq(c->interfaces[0].address, "127.0.0.1");
	ck_assert_str_eq(c->interfaces[0].advertise, "127.0.0.1");
	ck_assert_uint_eq(c->interfaces[0].sip_port, 5060);
	ck_assert_uint_eq(c->interfaces[0].transports, TCONF_TP_UDP | TCONF_TP_TCP);
	/* The template is not a trunk; the trunk got its keys. */
	ck_assert_uint_eq(c->ntrunks, 1);
	ck_assert_ptr_null(tconf_trunk(c, "carrier-defaults"));
	const struct tconf_trunk *t = tconf_trunk(c, "carrier-a");
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t->host, "127.0.0.1");
	ck_assert_uint_eq(t->port, 5080);
	ck_assert_int_eq(t->transport, TCONF_TP_UDP);
	ck_assert(t->latch);
	ck_assert_str_eq(t->interface, "loopback");
	ck_assert_int_eq(tconf_route_lookup(c, "600")->targets[0].kind, TCONF_TARGET_ECHO);
	ck_assert_int_eq(tconf_route_lookup(c, "1004")->targets[0].kind, TCONF_TARGET_MILLIWATT);
	ck_assert_ptr_eq(tconf_route_lookup(c, "+4420123")->targets[0].trunk, t);
	ck_assert_int_eq(tconf_map_response(c, 503), 480);
	ck_assert_int_eq(c->general.log_level, 3);
	ck_assert_str_eq(c->general.modules[0], "mod_g711");
	ck_assert_ptr_null(c->general.modules[1]);
	/* users.conf: the test user 1000 (and a commented example); carrier-a
	 * trusts this machine only, so the README's test call works */
	ck_assert_uint_eq(c->nusers, 1);
	ck_assert_str_eq(c->users[0].name, "1000");
	ck_assert_str_eq(c->users[0].number, "1000");
	ck_assert_str_eq(t->acl[0], "127.0.0.1");
	ck_assert_ptr_null(t->acl[1]);
	ck_assert_str_eq(c->auth.realm, "tandem");
	tconf_unref(c);
}
END_TEST

/* Relative paths follow the main file's directory, absolute ones stay. */
START_TEST(paths_relative_to_main_file)
{
	tconf_t *c = tconf_load(data_path("tests/unit/conf/paths/tandem.conf"), 1, &errs);
	ck_assert_ptr_nonnull(c);
	char dir[PATH_MAX], want[PATH_MAX + 64];
	ck_assert_ptr_nonnull(realpath(data_path("tests/unit/conf/paths"), dir));
	snprintf(want, sizeof want, "%s/logs/tandemd.log", dir);
	ck_assert_str_eq(c->general.log_file, want);
	snprintf(want, sizeof want, "%s/../mods", dir);
	ck_assert_str_eq(c->general.modules_dir, want);
	ck_assert_str_eq(c->general.control_socket, "/tmp/abs.sock");
	ck_assert_str_eq(c->interfaces[0].address, "::1");
	tconf_unref(c);

	c = tconf_load(data_path("conf/tandem.conf"), 1, &errs);
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_nonnull(realpath(data_path("conf"), dir));
	snprintf(want, sizeof want, "%s/run/tandemd.sock", dir);
	ck_assert_str_eq(c->general.control_socket, want);
	tconf_unref(c);
}
END_TEST

START_TEST(defaults_filled)
{
	tconf_t *c = load_ok(IFACE);
	ck_assert_int_eq(c->general.log_level, 3);  /* info */
	ck_assert_ptr_null(c->general.log_file);
	ck_assert_uint_eq(c->general.media_workers, 2);
	ck_assert_uint_eq(c->general.max_open_files, 65536);
	ck_assert_uint_eq(c->general.control_socket_mode, 0660);
	ck_assert_str_eq(c->general.modules[0], "mod_g711");
	ck_assert_str_eq(c->general.user_agent, "tandem");
	ck_assert_ptr_nonnull(c->general.node_name);
	ck_assert_ptr_nonnull(strstr(c->general.control_socket, "/tandemd.sock"));
	ck_assert_uint_eq(c->media.rtp_timeout, 60);
	ck_assert_uint_eq(c->media.hold_timeout, 3600);
	ck_assert_uint_eq(c->media.latch_window, 10);
	ck_assert_uint_eq(c->calls.setup_timeout, 10);
	ck_assert_uint_eq(c->calls.no_answer_timeout, 120);
	ck_assert_uint_eq(c->calls.max_duration, 14400);
	const struct tconf_interface *i = tconf_interface(c, "lo");
	ck_assert_ptr_nonnull(i);
	ck_assert_str_eq(i->advertise, "127.0.0.1");
	ck_assert_uint_eq(i->sip_port, 5060);
	ck_assert_uint_eq(i->rtp_port_min, 20000);
	ck_assert_uint_eq(i->rtp_port_max, 29999);
	ck_assert_uint_eq(c->nroutes, 0);
	ck_assert_ptr_null(tconf_route_lookup(c, "123"));
	tconf_unref(c);
}
END_TEST

START_TEST(values_and_types)
{
	tconf_t *c = load_ok(IFACE
		"transports = tcp\n"
		"[general]\n"
		"log_level = DEBUG\n"
		"modules = mod_g711 , mod_opus\n"
		"control_socket_mode = 600\n"
		"[t1]\ntype = trunk\nhost = 2001:db8::1\ntransport = tcp\ncodecs = opus,PCMA\n"
		"latch = off\nmax_channels = 30\n"
		"[t2]\ntype = trunk\nhost = sip.example.net.\n");
	ck_assert_int_eq(c->general.log_level, 4);
	ck_assert_str_eq(c->general.modules[1], "mod_opus");
	ck_assert_ptr_null(c->general.modules[2]);
	ck_assert_uint_eq(c->general.control_socket_mode, 0600);
	ck_assert_uint_eq(c->interfaces[0].transports, TCONF_TP_TCP);
	const struct tconf_trunk *t = tconf_trunk(c, "t1");
	ck_assert_int_eq(t->transport, TCONF_TP_TCP);
	ck_assert(!t->latch);
	ck_assert_str_eq(t->codecs[0], "opus");
	ck_assert_str_eq(t->codecs[1], "PCMA");
	ck_assert_uint_eq(t->max_channels, 30);
	ck_assert_ptr_null(tconf_trunk(c, "t2")->codecs);
	tconf_unref(c);
}
END_TEST

START_TEST(bool_spellings)
{
	static const char *const yes[] = { "yes", "true", "on", "1", "YES", "True" };
	static const char *const no[] = { "no", "false", "off", "0", "No", "OFF" };
	char buf[256];
	for (size_t i = 0; i < 6; i++) {
		for (int v = 0; v < 2; v++) {
			snprintf(buf, sizeof buf, IFACE "[t]\ntype = trunk\nhost = h\nlatch = %s\n",
				 v ? yes[i] : no[i]);
			tconf_t *c = load_ok(buf);
			ck_assert_int_eq(c->trunks[0].latch, v);
			tconf_unref(c);
		}
	}
	expect_error(IFACE "[t]\ntype = trunk\nhost = h\nlatch = maybe\n",
		     "t.conf:7: [t] latch: 'maybe' is not a boolean (yes/no, true/false, on/off, 1/0)");
}
END_TEST

START_TEST(quotes_and_comments)
{
	tconf_t *c = load_ok(
		"; full-line comment\n"
		"  # indented comment\n"
		"[general] ; comment after a header\n"
		"user_agent = \"a;b #c \\\"q\\\" \\\\\"   ; quoted keeps ; and #\n"
		"node_name = x;y#z\n"
		"log_file = f.log #trailing\n"
		IFACE);
	ck_assert_str_eq(c->general.user_agent, "a;b #c \"q\" \\");
	ck_assert_str_eq(c->general.node_name, "x;y#z");
	ck_assert_str_eq(c->general.log_file, "f.log");
	tconf_unref(c);
	/* An empty value unsets a string. */
	c = load_ok("[general]\nnode_name = ; nothing\nlog_file = \"\"\n" IFACE);
	ck_assert_ptr_nonnull(c->general.node_name);  /* default: the host name */
	ck_assert_ptr_null(c->general.log_file);
	tconf_unref(c);
}
END_TEST

START_TEST(crlf_and_bom)
{
	const char text[] = "\xef\xbb\xbf[general]\r\nlog_level = warn\r\n[lo]\r\ntype = interface\r\n"
			    "address = 127.0.0.1\r\n";
	tconf_t *c = tconf_load_string("t.conf", text, sizeof text - 1, 1, &errs);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->general.log_level, 1);
	tconf_unref(c);
}
END_TEST

/* ---- bad lines ---- */

START_TEST(syntax_errors)
{
	expect_error("stray = 1\n" IFACE, "t.conf:1: key 'stray' outside any section");
	expect_error(IFACE "[general\n", "t.conf:4: malformed section header: missing ']'");
	expect_error(IFACE "[x](tpl\n", "t.conf:4: malformed section header: missing ')'");
	expect_error(IFACE "[x] junk\n", "t.conf:4: malformed section header: unexpected 'junk' after ']'");
	expect_error(IFACE "[a b]\n", "t.conf:4: invalid section name 'a b' (1 to 64 letters, digits, '_', '-', '.')");
	expect_error(IFACE "[x](a,,b)\n", "t.conf:4: empty name in the template list of [x]");
	expect_error(IFACE "just words\n", "t.conf:4: expected 'key = value' or '[section]', got 'just words'");
	expect_error(IFACE "= 5\n", "t.conf:4: missing key name before '='");
	expect_error(IFACE "bad key = 5\n",
		     "t.conf:4: invalid key name 'bad key' (1 to 64 letters, digits, '_', '-', '.', '+')");
	expect_error(IFACE "[general]\nuser_agent = \"open\n", "t.conf:5: unterminated quoted value");
	expect_error(IFACE "[general]\nuser_agent = \"a\" b\n", "t.conf:5: unexpected 'b' after the closing quote");
	expect_error(IFACE "#include\n", "t.conf:4: #include needs a file name");
}
END_TEST

/* Keys after a broken header are not reported one by one. */
START_TEST(broken_header_swallows_keys)
{
	expect_error(IFACE "[bad\nfoo = 1\nbar = 2\n", "t.conf:4: malformed section header: missing ']'");
	ck_assert_uint_eq(errs.n, 1);
}
END_TEST

START_TEST(long_line_nul_control)
{
	char *text = malloc(6000);
	int n = snprintf(text, 6000, IFACE "[general]\nuser_agent = ");
	memset(text + n, 'a', 4100);
	strcpy(text + n + 4100, "\nlog_level = nope\n");
	expect_error(text, "t.conf:5: line longer than 4096 bytes");
	ck_assert(has_error("t.conf:6: [general] log_level: 'nope' is not one of: error, warn, notice, info, debug"));
	/* Exactly 4096 bytes is allowed. */
	n = snprintf(text, 6000, IFACE "[general]\nuser_agent = ");
	memset(text + n, 'a', 4096 - strlen("user_agent = "));
	strcpy(text + n + 4096 - strlen("user_agent = "), "\n");
	tconf_t *c = load_ok(text);
	ck_assert_uint_eq(strlen(c->general.user_agent), 4096 - strlen("user_agent = "));
	tconf_unref(c);
	free(text);

	const char nul[] = IFACE "[general]\nuser_agent = a\0b\n";
	tconf_errors_free(&errs);
	ck_assert_ptr_null(tconf_load_string("t.conf", nul, sizeof nul - 1, 1, &errs));
	ck_assert(has_error("t.conf:5: NUL byte in line"));
	expect_error(IFACE "[general]\nuser_agent = a\rb\n", "t.conf:5: control character 0x0d in line");
}
END_TEST

START_TEST(unknown_key_did_you_mean)
{
	expect_error(IFACE "[general]\nlog_levl = info\n",
		     "t.conf:5: [general] unknown key 'log_levl'; did you mean 'log_level'?");
	expect_error(IFACE "[calls]\nsetup_timout = 5\n",
		     "t.conf:5: [calls] unknown key 'setup_timout'; did you mean 'setup_timeout'?");
	expect_error(IFACE "[t]\ntype = trunk\nhost = h\nprot = 5\n",
		     "t.conf:7: [t] unknown key 'prot' for a trunk; did you mean 'port'?");
	expect_error(IFACE "[media]\nfrobnicate = 1\n", "t.conf:5: [media] unknown key 'frobnicate'");
	/* A key of another section kind is unknown here. */
	expect_error("[lo]\ntype = interface\naddress = 127.0.0.1\nhost = x\n",
		     "t.conf:4: [lo] unknown key 'host' for an interface");
}
END_TEST

START_TEST(duplicates)
{
	expect_error(IFACE "[general]\nlog_level = info\n\nlog_level = debug\n",
		     "t.conf:7: [general] duplicate key 'log_level' (first set at t.conf:5)");
	expect_error(IFACE "[general]\n[media]\n[general]\n",
		     "t.conf:6: duplicate section [general] (first defined at t.conf:4)");
	expect_error(IFACE "[lo]\ntype = trunk\nhost = h\n",
		     "t.conf:4: duplicate section [lo] (first defined at t.conf:1)");
}
END_TEST

START_TEST(range_and_enum_errors)
{
	expect_error(IFACE "[general]\nmedia_workers = 0\n",
		     "t.conf:5: [general] media_workers: 0 is out of range (1..64)");
	expect_error(IFACE "[general]\nmedia_workers = 65\n",
		     "t.conf:5: [general] media_workers: 65 is out of range (1..64)");
	expect_error(IFACE "[general]\nmedia_workers = -1\n",
		     "t.conf:5: [general] media_workers: '-1' is not a number (1..64)");
	expect_error(IFACE "[general]\nmax_open_files = 99999999999\n",
		     "t.conf:5: [general] max_open_files: '99999999999' is not a number (256..1048576)");
	expect_error(IFACE "[general]\nlog_level = loud\n",
		     "t.conf:5: [general] log_level: 'loud' is not one of: error, warn, notice, info, debug");
	expect_error("[lo]\ntype = interface\naddress = 127.0.0.1\ntransports = udp, sctp\n",
		     "t.conf:4: [lo] transports: 'sctp' is not one of: udp, tcp, tls");
	expect_error("[lo]\ntype = interface\naddress = 127.0.0.1\nsip_port = 70000\n",
		     "t.conf:4: [lo] sip_port: 70000 is out of range (1..65535)");
	expect_error(IFACE "[general]\ncontrol_socket_mode = 0999\n",
		     "t.conf:5: [general] control_socket_mode: '0999' is not an octal mode (0000..0777)");
	expect_error("[lo]\ntype = interface\naddress = localhost\n",
		     "t.conf:3: [lo] address: 'localhost' is not an IPv4 or IPv6 address");
	expect_error(IFACE "[t]\ntype = trunk\nhost = -bad-.example\n",
		     "t.conf:6: [t] host: '-bad-.example' is not an IP address or host name");
	expect_error(IFACE "[general]\nmodules = a,,b\n",
		     "t.conf:5: [general] modules: empty element in list 'a,,b'");
}
END_TEST

START_TEST(section_kind_errors)
{
	expect_error(IFACE "[t]\nhost = h\n",
		     "t.conf:4: [t] has no 'type' (interface, trunk, user or route), so it defines nothing");
	expect_error(IFACE "[t]\ntype = router\n",
		     "t.conf:5: [t] type: unknown section type 'router' (allowed: interface, trunk, user, route)");
	expect_error(IFACE "[genral]\nlog_level = info\n", "t.conf:4: unknown section [genral]; did you mean [general]?");
	expect_error(IFACE "[t]\ntype = trunk\nport = 5\n", "t.conf:4: [t] missing required key 'host'");
	expect_error("[lo]\ntype = interface\n", "t.conf:1: [lo] missing required key 'address'");
	expect_error("[general]\n", "t.conf: no interface defined: add a section with 'type = interface'");
}
END_TEST

START_TEST(cross_reference_errors)
{
	expect_error(IFACE "[carrier-a]\ntype = trunk\nhost = h\n[routes]\n1 = carier-a\n",
		     "t.conf:8: [routes] 1: unknown target 'carier-a' (not a trunk, echo, milliwatt or user:NAME); "
		     "did you mean 'carrier-a'?");
	expect_error(IFACE "[routes]\n1 = ecco\n",
		     "t.conf:5: [routes] 1: unknown target 'ecco' (not a trunk, echo, milliwatt or user:NAME); did you mean 'echo'?");
	expect_error("[loopback]\ntype = interface\naddress = 127.0.0.1\n"
		     "[t]\ntype = trunk\nhost = h\ninterface = loopbak\n",
		     "t.conf:7: [t] interface: no interface named 'loopbak'; did you mean 'loopback'?");
	expect_error(IFACE "[echo]\ntype = trunk\nhost = h\n",
		     "t.conf:4: [echo] is the name of a built-in target; pick another trunk name");
	expect_error(IFACE "[milliwatt]\ntype = trunk\nhost = h\n",
		     "t.conf:4: [milliwatt] is the name of a built-in target; pick another trunk name");
	expect_error(IFACE "[routes]\n12a = echo\n",
		     "t.conf:5: [routes] '12a' is not a number prefix (digits, optional leading '+', at most 23) or 'default'");
	expect_error(IFACE "[routes]\n1 = echo, echo\n", "t.conf:5: [routes] 1: target 'echo' is listed twice");
	expect_error(IFACE "[routes]\n1 =\n", "t.conf:5: [routes] 1: no target");
	expect_error(IFACE "[routes]\n1 = echo,\n", "t.conf:5: [routes] 1: empty target in list 'echo,'");
}
END_TEST

START_TEST(rtp_port_errors)
{
	expect_error("[lo]\ntype = interface\naddress = 127.0.0.1\nrtp_port_min = 20001\n",
		     "t.conf:4: [lo] rtp_port_min: 20001 is odd (RTP uses even ports, RTCP the next one)");
	expect_error("[lo]\ntype = interface\naddress = 127.0.0.1\nrtp_port_min = 30000\nrtp_port_max = 29999\n",
		     "t.conf:5: [lo] rtp_port_min 30000 must be below rtp_port_max 29999");
	/* Default max (29999) below a configured min: points at the section. */
	expect_error("[lo]\ntype = interface\naddress = 127.0.0.1\nrtp_port_min = 40000\n",
		     "t.conf:1: [lo] rtp_port_min 40000 must be below rtp_port_max 29999");
	expect_error(IFACE "[lo2]\ntype = interface\naddress = 127.0.0.1\n",
		     "t.conf:4: [lo2] listens on 127.0.0.1 port 5060 like interface [lo]");
}
END_TEST

/* Every error of a file is reported, not only the first. */
START_TEST(all_errors_collected)
{
	tconf_errors_free(&errs);
	tconf_t *c = load("[general]\n"
			  "media_workers = 0\n"          /* 2 */
			  "log_levl = info\n"            /* 3 */
			  "[media]\n"
			  "rtp_timeout = x\n"            /* 5 */
			  "[t]\ntype = trunk\n"          /* 7: missing host (line 6) */
			  "[routes]\n"
			  "1 = nowhere\n");              /* 9; and no interface */
	ck_assert_ptr_null(c);
	if (errs.n != 6)
		dump_errors();
	ck_assert_uint_eq(errs.n, 6);
	ck_assert(has_error("t.conf:2: [general] media_workers: 0 is out of range (1..64)"));
	ck_assert(has_error("t.conf:3: [general] unknown key 'log_levl'; did you mean 'log_level'?"));
	ck_assert(has_error("t.conf:5: [media] rtp_timeout: 'x' is not a number (0..86400)"));
	ck_assert(has_error("t.conf:6: [t] missing required key 'host'"));
	ck_assert(has_error("t.conf:9: [routes] 1: unknown target 'nowhere' (not a trunk, echo, milliwatt or user:NAME)"));
	ck_assert(has_error("t.conf: no interface defined: add a section with 'type = interface'"));
}
END_TEST

START_TEST(error_cap)
{
	size_t size = 300 * 32;
	char *text = malloc(size), *p = text;
	p += sprintf(p, "[general]\n");
	for (int i = 0; i < 300; i++)
		p += sprintf(p, "bad_key_%d = 1\n", i);
	tconf_errors_free(&errs);
	ck_assert_ptr_null(tconf_load_string("t.conf", text, (size_t)(p - text), 1, &errs));
	ck_assert_uint_eq(errs.n, TCONF_MAX_ERRORS + 1);
	ck_assert_str_eq(errs.msgs[TCONF_MAX_ERRORS], "too many errors; the rest are not shown");
	free(text);
}
END_TEST

/* ---- templates ---- */

START_TEST(template_inheritance)
{
	tconf_t *c = load_ok(IFACE
		"[base](!)\ntype = trunk\nport = 5070\ntransport = tcp\nlatch = no\n"
		"[more](!,base)\nport = 5080\nmax_channels = 7\n"
		"[other](!)\nmax_channels = 9\n"
		"[a](base)\nhost = a.example\n"
		"[b](more,other)\nhost = b.example\nlatch = yes\n"
		"[c](other,more)\nhost = c.example\ntransport = udp\n");
	ck_assert_uint_eq(c->ntrunks, 3);
	ck_assert_ptr_null(tconf_trunk(c, "base"));
	ck_assert_ptr_null(tconf_trunk(c, "more"));
	const struct tconf_trunk *a = tconf_trunk(c, "a"), *b = tconf_trunk(c, "b"), *t = tconf_trunk(c, "c");
	ck_assert_uint_eq(a->port, 5070);
	ck_assert_int_eq(a->transport, TCONF_TP_TCP);
	ck_assert(!a->latch);
	/* Template of a template; later template overrides; own key overrides. */
	ck_assert_uint_eq(b->port, 5080);
	ck_assert_uint_eq(b->max_channels, 9);
	ck_assert(b->latch);
	ck_assert_uint_eq(t->max_channels, 7);
	ck_assert_int_eq(t->transport, TCONF_TP_UDP);
	tconf_unref(c);
}
END_TEST

START_TEST(template_errors)
{
	expect_error(IFACE "[carrier-defaults](!)\ntype = trunk\n[a](carrier-defualts)\nhost = h\n",
		     "t.conf:6: [a] uses unknown template [carrier-defualts]; did you mean [carrier-defaults]?");
	expect_error(IFACE "[plain]\ntype = trunk\nhost = h\n[a](plain)\nhost = h\n",
		     "t.conf:7: [a] uses [plain], which is not a template (define it as [plain](!))");
	expect_error(IFACE "[x](!,y)\n[y](!,x)\n[a](x)\ntype = trunk\nhost = h\n",
		     "t.conf:5: template cycle: [y] inherits from [x], which inherits from it");
	/* A bad key in a template is reported once, at its line, even if used twice. */
	expect_error(IFACE "[tpl](!)\ntype = trunk\nprot = 1\n[a](tpl)\nhost = h\n[b](tpl)\nhost = h\n",
		     "t.conf:6: [tpl] unknown key 'prot' for a trunk; did you mean 'port'?");
	ck_assert_uint_eq(errs.n, 1);
	/* An unused template is not checked as a section. */
	tconf_t *c = load_ok(IFACE "[unused](!)\nnonsense = 1\n");
	ck_assert_uint_eq(c->ntrunks, 0);
	tconf_unref(c);
}
END_TEST

/* ---- includes ---- */

START_TEST(include_relative)
{
	tconf_t *c = tconf_load(data_path("tests/unit/conf/inc/main.conf"), 1, &errs);
	if (!c)
		dump_errors();
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->general.log_level, 4);
	ck_assert_str_eq(c->interfaces[0].address, "192.0.2.1");
	ck_assert_str_eq(c->trunks[0].host, "peer.example.net");
	ck_assert_ptr_eq(tconf_route_lookup(c, "1")->targets[0].trunk, &c->trunks[0]);
	tconf_unref(c);
}
END_TEST

START_TEST(include_missing)
{
	ck_assert_ptr_null(tconf_load(data_path("tests/unit/conf/inc/missing.conf"), 1, &errs));
	/* The message names the include's path as resolved. */
	char want[PATH_MAX + 100];
	snprintf(want, sizeof want, "%s:3: cannot include '%s': No such file or directory",
		 data_path("tests/unit/conf/inc/missing.conf"), data_path("tests/unit/conf/inc/nope.conf"));
	ck_assert_msg(has_error(want), "missing: %s", want);
	/* The rest of the file was read: the key after the include is there. */
	ck_assert_uint_eq(errs.n, 1);
	tconf_errors_free(&errs);
	ck_assert_ptr_null(tconf_load("/nonexistent/tandem.conf", 1, &errs));
	ck_assert(has_error("/nonexistent/tandem.conf: cannot read: No such file or directory"));
	ck_assert_uint_eq(errs.n, 1);  /* and not also "no interface defined" */
}
END_TEST

START_TEST(include_cycle)
{
	char want[PATH_MAX + 100];
	ck_assert_ptr_null(tconf_load(data_path("tests/unit/conf/cycle/a.conf"), 1, &errs));
	snprintf(want, sizeof want, "%s:2: include cycle: '%s' is already being read",
		 data_path("tests/unit/conf/cycle/b.conf"), data_path("tests/unit/conf/cycle/a.conf"));
	ck_assert_msg(has_error(want), "missing: %s", want);
	ck_assert_uint_eq(errs.n, 1);
	tconf_errors_free(&errs);
	ck_assert_ptr_null(tconf_load(data_path("tests/unit/conf/cycle/self.conf"), 1, &errs));
	ck_assert(has_error_suffix("cycle/self.conf' is already being read"));
}
END_TEST

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

START_TEST(include_depth_limit)
{
	char dir[] = "/tmp/tconf-depth-XXXXXX", path[PATH_MAX], text[256];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	/* f0 includes f1 ... includes f(depth); f(depth) defines the interface. */
	for (int depth = 8; depth <= 9; depth++) {
		for (int i = 0; i <= depth; i++) {
			snprintf(path, sizeof path, "%s/f%d.conf", dir, i);
			if (i < depth)
				snprintf(text, sizeof text, "#include \"f%d.conf\"\n", i + 1);
			else
				snprintf(text, sizeof text, IFACE);
			write_file(path, text);
		}
		snprintf(path, sizeof path, "%s/f0.conf", dir);
		tconf_errors_free(&errs);
		tconf_t *c = tconf_load(path, 1, &errs);
		if (depth == 8) {
			ck_assert_ptr_nonnull(c);  /* 8 nested includes are fine */
			tconf_unref(c);
		} else {
			ck_assert_ptr_null(c);
			ck_assert(has_error_suffix("f8.conf:1: #include 'f9.conf': includes nest deeper than 8 files"));
		}
	}
	for (int i = 0; i <= 9; i++) {
		snprintf(path, sizeof path, "%s/f%d.conf", dir, i);
		unlink(path);
	}
	rmdir(dir);
}
END_TEST

START_TEST(include_disabled_for_buffers)
{
	const char text[] = IFACE "#include \"/etc/passwd\"\n";
	ck_assert_ptr_null(tconf_load_buffer("fuzz", text, sizeof text - 1, 1, TCONF_LOAD_NO_INCLUDE, &errs));
	ck_assert(has_error("fuzz:4: #include is not allowed here"));
}
END_TEST

/* ---- reload ---- */

START_TEST(reload_failure_keeps_old)
{
	tconf_t *running = load_ok(IFACE "[general]\nmedia_workers = 3\n");
	tconf_t *next = load(IFACE "[general]\nmedia_workers = 300\n");
	ck_assert_ptr_null(next);
	ck_assert_uint_eq(errs.n, 1);
	/* The old snapshot is untouched and still usable. */
	ck_assert_uint_eq(running->general.media_workers, 3);
	ck_assert_ptr_nonnull(tconf_interface(running, "lo"));
	tconf_unref(running);
}
END_TEST

START_TEST(reload_restart_only_keys)
{
	tconf_t *running = load_ok("[general]\nmedia_workers = 2\nlog_level = info\n" IFACE
				   "[gone]\ntype = interface\naddress = 127.0.0.2\n");
	tconf_t *next = load_ok("[general]\nlog_level = debug\nmedia_workers = 4\nmodules = mod_g711, mod_opus\n"
				"[lo]\ntype = interface\naddress = 127.0.0.1\nsip_port = 5070\n"
				"[new]\ntype = interface\naddress = 127.0.0.3\n");
	struct tconf_errors notes = { 0 };
	size_t n = tconf_check_reload(running, next, &notes);
	for (size_t i = 0; n != 5 && i < notes.n; i++)
		fprintf(stderr, "  note: %s\n", notes.msgs[i]);
	ck_assert_uint_eq(n, 5);
	ck_assert_uint_eq(notes.n, 5);
	ck_assert_str_eq(notes.msgs[0], "t.conf:3: [general] media_workers requires restart (running value 2 kept)");
	ck_assert_str_eq(notes.msgs[1], "t.conf:4: [general] modules requires restart (running value mod_g711 kept)");
	ck_assert_str_eq(notes.msgs[2], "t.conf:8: [lo] sip_port requires restart (running value 5060 kept)");
	ck_assert_str_eq(notes.msgs[3], "t.conf:9: [new] new interface requires restart (not listening until then)");
	ck_assert_str_eq(notes.msgs[4], "t.conf: interface [gone] removed: requires restart (still listening until then)");
	tconf_errors_free(&notes);
	/* Same files: nothing to say. */
	ck_assert_uint_eq(tconf_check_reload(next, next, &notes), 0);
	ck_assert_uint_eq(notes.n, 0);
	tconf_unref(running);
	tconf_unref(next);
}
END_TEST

/* ---- snapshot lifetime ---- */

START_TEST(refcount_basic)
{
	tconf_t *c = load_ok(IFACE);
	ck_assert_ptr_eq(tconf_ref(c), c);
	ck_assert_ptr_eq(tconf_ref(c), c);
	tconf_unref(c);
	tconf_unref(c);
	ck_assert_str_eq(c->interfaces[0].name, "lo");  /* one reference left */
	tconf_unref(c);  /* freed: ASan/LSan would flag a leak or double free */
	tconf_unref(NULL);
	ck_assert_ptr_null(tconf_ref(NULL));
}
END_TEST

static void *ref_worker(void *arg)
{
	tconf_t *c = arg;
	for (int i = 0; i < 100000; i++) {
		tconf_t *r = tconf_ref(c);
		if (r->general.media_workers != 2)
			abort();
		tconf_unref(r);
	}
	tconf_unref(c);  /* the reference the main thread gave this thread */
	return NULL;
}

START_TEST(refcount_threads)
{
	tconf_t *c = load_ok(IFACE);
	pthread_t th[4];
	for (int i = 0; i < 4; i++) {
		tconf_ref(c);
		ck_assert_int_eq(pthread_create(&th[i], NULL, ref_worker, c), 0);
	}
	tconf_unref(c);  /* the workers may now free it, whichever ends last */
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
}
END_TEST

/* ---- lookups ---- */

START_TEST(route_longest_prefix)
{
	tconf_t *c = load_ok(IFACE
		"[a]\ntype = trunk\nhost = a\n[b]\ntype = trunk\nhost = b\n"
		"[routes]\n1 = a\n12 = b\n123 = echo\n+44 = b, a\n+ = a\ndefault = milliwatt\n44 = echo\n");
	ck_assert_uint_eq(c->nroutes, 7);
	ck_assert_uint_eq(strlen(c->routes[0].prefix), 3);  /* longest first */
	ck_assert_str_eq(c->routes[6].prefix, "");
	ck_assert_str_eq(tconf_route_lookup(c, "1234")->prefix, "123");
	ck_assert_str_eq(tconf_route_lookup(c, "123")->prefix, "123");
	ck_assert_str_eq(tconf_route_lookup(c, "129")->prefix, "12");
	ck_assert_str_eq(tconf_route_lookup(c, "1")->prefix, "1");
	ck_assert_str_eq(tconf_route_lookup(c, "+4420")->prefix, "+44");
	ck_assert_str_eq(tconf_route_lookup(c, "4420")->prefix, "44");
	ck_assert_str_eq(tconf_route_lookup(c, "+33")->prefix, "+");
	ck_assert_str_eq(tconf_route_lookup(c, "999")->prefix, "");
	ck_assert_str_eq(tconf_route_lookup(c, "")->prefix, "");
	ck_assert_str_eq(tconf_route_lookup(c, "alice")->prefix, "");
	const struct tconf_route *r = tconf_route_lookup(c, "+441");
	ck_assert_uint_eq(r->ntargets, 2);
	ck_assert_str_eq(tconf_target_name(&r->targets[0]), "b");
	ck_assert_str_eq(tconf_target_name(&r->targets[1]), "a");
	ck_assert_str_eq(tconf_target_name(&tconf_route_lookup(c, "5")->targets[0]), "milliwatt");
	tconf_unref(c);

	c = load_ok(IFACE "[routes]\n600 = echo\n");
	ck_assert_ptr_null(tconf_route_lookup(c, "601"));
	ck_assert_ptr_null(tconf_route_lookup(c, "60"));
	ck_assert_ptr_nonnull(tconf_route_lookup(c, "6001"));
	tconf_unref(c);
}
END_TEST

/* A big random table agrees with a plain scan for the longest match. */
START_TEST(route_lookup_matches_linear_scan)
{
	size_t size = 4000 * 24 + 256;
	char *text = malloc(size), *p = text;
	p += sprintf(p, IFACE "[routes]\n");
	/* Distinct prefixes of 1..5 digits (7919 is coprime with 100003). */
	for (int i = 0; i < 4000; i++)
		p += sprintf(p, "%s%d = echo\n", i % 3 ? "" : "+", i * 7919 % 100003);
	tconf_t *c = tconf_load_string("t.conf", text, (size_t)(p - text), 1, &errs);
	free(text);
	if (!c)
		dump_errors();
	ck_assert_ptr_nonnull(c);
	char num[32];
	for (int i = 0; i < 20000; i++) {
		snprintf(num, sizeof num, "%s%u", i % 2 ? "+" : "", (unsigned)(i * 2654435761u) % 10000000);
		const struct tconf_route *best = NULL;
		for (size_t j = 0; j < c->nroutes; j++) {
			size_t l = strlen(c->routes[j].prefix);
			if (!strncmp(num, c->routes[j].prefix, l) && (!best || l > strlen(best->prefix)))
				best = &c->routes[j];
		}
		ck_assert_ptr_eq(tconf_route_lookup(c, num), best);
	}
	tconf_unref(c);
}
END_TEST

START_TEST(response_map)
{
	tconf_t *c = load_ok(IFACE "[response_map]\n503 = 480\n486 = 600\n404 = 604\n");
	ck_assert_uint_eq(c->nrespmap, 3);
	ck_assert_int_eq(tconf_map_response(c, 503), 480);
	ck_assert_int_eq(tconf_map_response(c, 486), 600);
	ck_assert_int_eq(tconf_map_response(c, 404), 604);
	ck_assert_int_eq(tconf_map_response(c, 500), 500);
	ck_assert_int_eq(tconf_map_response(c, 200), 200);
	tconf_unref(c);
	expect_error(IFACE "[response_map]\n503 = 200\n",
		     "t.conf:5: [response_map] 503: '200' is not a final response code (300..699)");
	expect_error(IFACE "[response_map]\n200 = 480\n",
		     "t.conf:5: [response_map] '200' is not a final response code to map (300..699)");
	expect_error(IFACE "[response_map]\n5033 = 480\n",
		     "t.conf:5: [response_map] '5033' is not a final response code to map (300..699)");
	expect_error(IFACE "[response_map]\n503 = 700\n",
		     "t.conf:5: [response_map] 503: '700' is not a final response code (300..699)");
}
END_TEST

/* ---- printing and schema ---- */

static char *print_to_string(const tconf_t *c)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	tconf_print(c, f);
	fclose(f);
	return text;
}

/* ---- users, [auth], [registrar] ---- */

#define MD5_HEX "939E7578ED9E3C518A452ACEE763BCE9"
#define SHA_HEX "7a7d6b2e2a5c8e0f1b3d4c5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192"

START_TEST(users_good)
{
	tconf_t *c = load_ok(IFACE
		"[auth]\nrealm = pbx.example\nban_failures = 0\n"
		"[registrar]\nmin_expires = 30\n"
		"[phone](!)\ntype = user\nmax_calls = 2\n"
		"[alice](phone)\npassword = \"s3cret; #1\"\nnumber = 201\nallow_international = yes\n"
		"[bob](phone)\nha1_md5 = " MD5_HEX "\nha1_sha256 = " SHA_HEX "\nnumber = +44201\n"
		"max_calls = 0\n"
		"[carol]\ntype = user\nha1_sha256 = " SHA_HEX "\n");
	ck_assert_uint_eq(c->nusers, 3);
	ck_assert_ptr_null(tconf_user(c, "phone"));     /* a template is not a user */
	const struct tconf_user *a = tconf_user(c, "alice"), *b = tconf_user(c, "bob");
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a->name, "alice");
	ck_assert_str_eq(a->password, "s3cret; #1");
	ck_assert_ptr_null(a->ha1_md5);
	ck_assert_str_eq(a->number, "201");
	ck_assert_uint_eq(a->max_calls, 2);
	ck_assert(a->allow_international);
	ck_assert_ptr_null(b->password);
	ck_assert_str_eq(b->ha1_md5, "939e7578ed9e3c518a452acee763bce9");  /* stored lowercase */
	ck_assert_str_eq(b->ha1_sha256, SHA_HEX);
	ck_assert_uint_eq(b->max_calls, 0);
	ck_assert(!b->allow_international);
	ck_assert_ptr_null(tconf_user(c, "carol")->number);
	ck_assert_ptr_eq(tconf_user_by_number(c, "+44201"), b);
	ck_assert_ptr_eq(tconf_user_by_number(c, "201"), a);
	ck_assert_ptr_null(tconf_user_by_number(c, "202"));
	ck_assert_ptr_null(tconf_user(c, "dave"));
	ck_assert_str_eq(c->auth.realm, "pbx.example");
	ck_assert_uint_eq(c->auth.ban_failures, 0);
	ck_assert_uint_eq(c->auth.nonce_ttl, 300);
	ck_assert_uint_eq(c->registrar.min_expires, 30);
	tconf_unref(c);

	/* defaults, with no user at all */
	c = load_ok(IFACE);
	ck_assert_uint_eq(c->nusers, 0);
	ck_assert_ptr_null(tconf_user(c, "alice"));
	ck_assert_str_eq(c->auth.realm, "tandem");
	ck_assert_uint_eq(c->auth.max_nonces, 4096);
	ck_assert_uint_eq(c->auth.ban_failures, 5);
	ck_assert_uint_eq(c->auth.ban_window, 60);
	ck_assert_uint_eq(c->auth.ban_time, 600);
	ck_assert(!c->auth.ban_loopback);
	ck_assert_uint_eq(c->registrar.min_expires, 60);
	ck_assert_uint_eq(c->registrar.max_expires, 3600);
	ck_assert_uint_eq(c->registrar.default_expires, 3600);
	ck_assert_uint_eq(c->registrar.max_bindings, 10000);
	ck_assert_uint_eq(c->registrar.max_contacts, 10);
	ck_assert_ptr_null(c->registrar.bindings_file);
	tconf_unref(c);
}
END_TEST

START_TEST(users_errors)
{
	expect_error(IFACE "[alice]\ntype = user\nnumber = 201\n",
		     "t.conf:4: [alice] user has no password (nor ha1_md5 / ha1_sha256)");
	expect_error(IFACE "[alice]\ntype = user\npassword = x\nha1_md5 = " MD5_HEX "\n",
		     "t.conf:7: [alice] set either password or the ha1_* keys, not both");
	expect_error(IFACE "[alice]\ntype = user\nha1_md5 = 939e7578\n",
		     "t.conf:6: [alice] ha1_md5: not 32 hex digits");
	expect_error(IFACE "[alice]\ntype = user\nha1_sha256 = " MD5_HEX MD5_HEX "x\n",
		     "t.conf:6: [alice] ha1_sha256: not 64 hex digits");
	expect_error(IFACE "[alice]\ntype = user\nha1_md5 = 939e7578ed9e3c518a452acee763bcez\n",
		     "t.conf:6: [alice] ha1_md5: not 32 hex digits");
	expect_error(IFACE "[alice]\ntype = user\npassword = a\nnumber = 201\n"
		     "[bob]\ntype = user\npassword = b\nnumber = 201\n",
		     "t.conf:11: [bob] number 201 is already user [alice]'s");
	expect_error(IFACE "[alice]\ntype = user\npasword = x\n",
		     "t.conf:6: [alice] unknown key 'pasword' for a user; did you mean 'password'?");
	expect_error(IFACE "[alice]\ntype = user\npassword = x\nhost = h\n",
		     "t.conf:7: [alice] unknown key 'host' for a user");
	expect_error(IFACE "[alice]\ntype = user\npassword = x\nmax_calls = 5000\n",
		     "t.conf:7: [alice] max_calls: 5000 is out of range (0..1000)");
	expect_error(IFACE "[auth]\nrelm = x\n", "t.conf:5: [auth] unknown key 'relm'; did you mean 'realm'?");
	expect_error(IFACE "[registrar]\nmin_expires = 600\nmax_expires = 300\ndefault_expires = 300\n",
		     "t.conf:5: [registrar] min_expires 600 is above max_expires 300");
	expect_error(IFACE "[registrar]\ndefault_expires = 10\n",
		     "t.conf:5: [registrar] default_expires 10 is not within 60..3600");
}
END_TEST

/* tandemd -t output is a configuration that loads to the same thing. */
START_TEST(print_round_trip)
{
	tconf_t *c = tconf_load(data_path("conf/tandem.conf"), 1, &errs);
	ck_assert_ptr_nonnull(c);
	char *first = print_to_string(c);
	ck_assert_ptr_nonnull(strstr(first, "\n[carrier-a]\ntype = trunk\nhost = 127.0.0.1\nport = 5080\n"));
	ck_assert_ptr_nonnull(strstr(first, "\n[routes]\n1004 = milliwatt\n600 = echo\ndefault = carrier-a\n"));
	ck_assert_ptr_nonnull(strstr(first, "\n[response_map]\n503 = 480\n"));
	ck_assert_ptr_null(strstr(first, "carrier-defaults"));
	tconf_t *again = tconf_load_string("printed", first, strlen(first), 1, &errs);
	if (!again)
		dump_errors();
	ck_assert_ptr_nonnull(again);
	char *second = print_to_string(again);
	/* Equal after the first line, which names the source. */
	ck_assert_str_eq(strchr(first, '\n'), strchr(second, '\n'));
	free(first);
	free(second);
	tconf_unref(again);
	tconf_unref(c);

	/* users and [auth]/[registrar] too */
	c = load_ok(IFACE "[auth]\nrealm = \"a b\"\n[registrar]\nbindings_file = /var/lib/tandem/b.json\n"
		    "[alice]\ntype = user\npassword = \"p;w\"\nnumber = 201\n"
		    "[bob]\ntype = user\nha1_md5 = " MD5_HEX "\n");
	first = print_to_string(c);
	ck_assert_ptr_nonnull(strstr(first, "\n[alice]\ntype = user\npassword = \"p;w\"\n"));
	ck_assert_ptr_nonnull(strstr(first, "\n[auth]\nrealm = a b\n"));
	again = load_ok(first);
	ck_assert_uint_eq(again->nusers, 2);
	ck_assert_str_eq(tconf_user(again, "alice")->password, "p;w");
	ck_assert_str_eq(tconf_user(again, "bob")->ha1_md5, "939e7578ed9e3c518a452acee763bce9");
	ck_assert_str_eq(again->auth.realm, "a b");
	ck_assert_str_eq(again->registrar.bindings_file, "/var/lib/tandem/b.json");
	second = print_to_string(again);
	ck_assert_str_eq(strchr(first, '\n'), strchr(second, '\n'));
	free(first);
	free(second);
	tconf_unref(again);
	tconf_unref(c);

	c = load_ok("[general]\nuser_agent = \" odd;#\\\"\\\\ \"\n" IFACE);
	first = print_to_string(c);
	again = load_ok(first);
	ck_assert_str_eq(again->general.user_agent, " odd;#\"\\ ");
	free(first);
	tconf_unref(again);
	tconf_unref(c);
}
END_TEST

static size_t type_size(enum tcs_type t)
{
	switch (t) {
	case TCS_BOOL: return sizeof(bool);
	case TCS_UINT: case TCS_MODE: case TCS_ENUMSET: return sizeof(unsigned);
	case TCS_PORT: return sizeof(uint16_t);
	case TCS_ENUM: return sizeof(int);
	case TCS_STRING: case TCS_ADDRESS: case TCS_HOST: case TCS_DIGITS: return sizeof(const char *);
	case TCS_LIST: return sizeof(const char **);
	}
	return 0;
}

START_TEST(schema_consistent)
{
	ck_assert_uint_le(tcs_nkeys, 128);
	union {
		struct tconf_general g;
		struct tconf_media m;
		struct tconf_calls c;
		struct tconf_interface i;
		struct tconf_trunk t;
		struct tconf_auth au;
		struct tconf_registrar rg;
		struct tconf_user u;
	} base;
	struct tca *a = tca_new();
	char why[256];
	for (size_t i = 0; i < tcs_nkeys; i++) {
		const struct tcs_key *k = &tcs_keys[i];
		ck_assert_msg(k->doc && *k->doc, "%s has no doc", k->name);
		if (k->flags & (TCS_PATTERN | TCS_NOSTORE))
			continue;
		ck_assert_msg(k->size == type_size(k->type), "%s: field size does not match its type", k->name);
		ck_assert_msg(!(k->flags & TCS_REQUIRED) || !k->def, "%s: required with a default", k->name);
		if (k->def)
			ck_assert_msg(tcv_parse(k, k->def, &base, a, NULL, why, sizeof why) == 0,
				      "%s: bad default: %s", k->name, why);
		for (size_t j = 0; j < i; j++)
			ck_assert_msg(tcs_keys[j].kind != k->kind || strcmp(tcs_keys[j].name, k->name),
				      "%s declared twice", k->name);
	}
	tca_free(a);
	ck_assert_uint_eq(tconf_distance("prot", "port"), 1);
	ck_assert_uint_eq(tconf_distance("Log_Level", "log_level"), 0);
	ck_assert_uint_eq(tconf_distance("", "abc"), 3);
}
END_TEST

START_TEST(man_page_lists_every_key)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	tconf_schema_man(f);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(text, ".TH TANDEM.CONF 5"));
	char want[128];
	for (size_t i = 0; i < tcs_nkeys; i++) {
		snprintf(want, sizeof want, ".B %s\n", tcs_keys[i].name);
		ck_assert_msg(strstr(text, want), "man page lacks %s", tcs_keys[i].name);
	}
	ck_assert_ptr_nonnull(strstr(text, "restart to change"));
	ck_assert_ptr_nonnull(strstr(text, ".B #include \\(dqfile\\(dq\n"));

	/* The man page's example is a configuration that loads. */
	char *ex = strstr(text, ".SH EXAMPLE\n.nf\n"), *end = ex ? strstr(ex, ".fi\n") : NULL;
	ck_assert_ptr_nonnull(end);
	ex += strlen(".SH EXAMPLE\n.nf\n");
	*end = 0;
	for (char *r = ex, *w = ex;; r++) {  /* roff "\-" is "-" */
		if (r[0] == '\\' && r[1] == '-')
			r++;
		if (!(*w++ = *r))
			break;
	}
	tconf_t *c = load_ok(ex);
	ck_assert_uint_eq(c->ntrunks, 2);
	ck_assert_str_eq(tconf_target_name(&tconf_route_lookup(c, "+4420")->targets[0]), "carrier-b");
	tconf_unref(c);
	free(text);
}
END_TEST

/* Trunk digest, registration and TLS keys (issue 6). */
START_TEST(trunk_auth_tls_keys)
{
	tconf_t *c = load_ok(IFACE "[t]\ntype = trunk\nhost = sip.example.net\nusername = u\n"
			     "password = p\nregister = yes\nregister_expiry = 600\n");
	ck_assert_str_eq(c->trunks[0].username, "u");
	ck_assert(c->trunks[0].do_register);
	ck_assert_uint_eq(c->trunks[0].register_expiry, 600);
	ck_assert_uint_eq(c->trunks[0].port, 0);      /* unset: SRV for a name */
	ck_assert(c->interfaces[0].tls_verify_server);
	ck_assert_uint_eq(c->interfaces[0].tls_port, 5061);
	tconf_unref(c);
	expect_error(IFACE "[t]\ntype = trunk\nhost = h\nusername = u\n",
		     "t.conf:4: [t] set both username and password (digest toward the trunk), or neither");
	expect_error(IFACE "[t]\ntype = trunk\nhost = h\nregister = yes\n",
		     "t.conf:4: [t] register = yes needs username and password");
	expect_error(IFACE "[t]\ntype = trunk\nhost = h\ntransport = tls\n",
		     "t.conf:4: [t] transport = tls needs tls in the transports of interface [lo] "
		     "(SIP leaves from the first interface)");
	expect_error("[lo]\ntype = interface\naddress = 127.0.0.1\ntransports = udp, tls\n",
		     "t.conf:1: [lo] transports has tls: set tls_certificate_dir (a directory with agent.pem and cafile.pem)");
	c = load_ok("[lo]\ntype = interface\naddress = 127.0.0.1\ntransports = udp, tls\n"
		    "tls_certificate_dir = /etc/tandem/tls\n[t]\ntype = trunk\nhost = h\ntransport = tls\n");
	ck_assert_int_eq(c->trunks[0].transport, TCONF_TP_TLS);
	tconf_unref(c);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	struct {
		const char *name;
		const TTest *tests[16];
	} cases[] = {
		{ "good", { shipped_conf_loads, paths_relative_to_main_file, defaults_filled,
			    values_and_types, bool_spellings, quotes_and_comments, crlf_and_bom } },
		{ "bad", { syntax_errors, broken_header_swallows_keys, long_line_nul_control,
			   unknown_key_did_you_mean, duplicates, range_and_enum_errors, section_kind_errors,
			   cross_reference_errors, rtp_port_errors, all_errors_collected, error_cap } },
		{ "templates", { template_inheritance, template_errors } },
		{ "includes", { include_relative, include_missing, include_cycle, include_depth_limit,
				include_disabled_for_buffers } },
		{ "reload", { reload_failure_keeps_old, reload_restart_only_keys, refcount_basic,
			      refcount_threads } },
		{ "lookup", { route_longest_prefix, route_lookup_matches_linear_scan, response_map } },
		{ "users", { users_good, users_errors } },
		{ "trunks", { trunk_auth_tls_keys } },
		{ "output", { print_round_trip, schema_consistent, man_page_lists_every_key } },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		TCase *tc = tcase_create(cases[i].name);
		tcase_add_checked_fixture(tc, setup, teardown);
		tcase_set_timeout(tc, 30);
		for (size_t j = 0; cases[i].tests[j]; j++)
			tcase_add_test(tc, cases[i].tests[j]);
		suite_add_tcase(s, tc);
	}
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
