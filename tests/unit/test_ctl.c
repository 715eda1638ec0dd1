/* test_ctl.c - the control socket server (src/core/ctl.c) and tandemctl.
 *
 * Each test runs a real server on a libevent base in a thread, with its socket
 * in a fresh temp directory, and talks to it over the socket (harness in
 * ctl_harness.c); test_ctl_cli.c runs the tandemctl binary against it.
 */
#include "config.h"
#include "ctl_harness.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

/* ---- the parser ---------------------------------------------------------- */

static int parse(const char *line, char **argv, char *store, size_t storelen)
{
	return tctl_parse_line(line, strlen(line), argv, 4, store, storelen);
}

START_TEST(test_parse_words)
{
	char *argv[5], store[128];
	ck_assert_int_eq(parse("  status \t now  ", argv, store, sizeof store), 2);
	ck_assert_str_eq(argv[0], "status");
	ck_assert_str_eq(argv[1], "now");
	ck_assert_ptr_null(argv[2]);
	ck_assert_int_eq(parse("", argv, store, sizeof store), 0);
	ck_assert_int_eq(parse(" \t ", argv, store, sizeof store), 0);
	ck_assert_ptr_null(argv[0]);
	ck_assert_int_eq(tctl_parse_line(NULL, 0, argv, 4, store, sizeof store), 0);
}
END_TEST

START_TEST(test_parse_quotes)
{
	char *argv[5], store[128];
	ck_assert_int_eq(parse("a \"b c\" \"\" k=\"x y\"z", argv, store, sizeof store), 4);
	ck_assert_str_eq(argv[0], "a");
	ck_assert_str_eq(argv[1], "b c");
	ck_assert_str_eq(argv[2], "");
	ck_assert_str_eq(argv[3], "k=x yz");
	ck_assert_int_eq(parse("\"q\\\"uote\" \"b\\\\s\" \"\\n\"", argv, store, sizeof store), 3);
	ck_assert_str_eq(argv[0], "q\"uote");
	ck_assert_str_eq(argv[1], "b\\s");
	ck_assert_str_eq(argv[2], "\\n");     /* other escapes stay as they are */
	/* outside quotes a backslash is literal, so this quote opens a quoted part */
	ck_assert_int_eq(parse("x\\\" y\"", argv, store, sizeof store), 1);
	ck_assert_str_eq(argv[0], "x\\ y");
	ck_assert_int_eq(parse("x\\\"", argv, store, sizeof store), -EBADMSG);
	ck_assert_int_eq(parse("C:\\dir", argv, store, sizeof store), 1);
	ck_assert_str_eq(argv[0], "C:\\dir");
	ck_assert_int_eq(parse("tab\"\t\"in", argv, store, sizeof store), 1);
	ck_assert_str_eq(argv[0], "tab\tin");
	ck_assert_int_eq(parse("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\x9e", argv, store, sizeof store), 3);
	ck_assert_str_eq(argv[0], "caf\xc3\xa9");
}
END_TEST

START_TEST(test_parse_errors)
{
	char *argv[5], store[128];
	ck_assert_int_eq(parse("say \"unterminated", argv, store, sizeof store), -EBADMSG);
	ck_assert_int_eq(parse("a \"b\\\"", argv, store, sizeof store), -EBADMSG);
	ck_assert_int_eq(parse("a b c d e", argv, store, sizeof store), -E2BIG);
	ck_assert_int_eq(parse("a b c d", argv, store, sizeof store), 4);
	ck_assert_int_eq(parse("bell\a", argv, store, sizeof store), -EINVAL);
	ck_assert_int_eq(parse("cr\r", argv, store, sizeof store), -EINVAL);
	ck_assert_int_eq(parse("del\x7f", argv, store, sizeof store), -EINVAL);
	ck_assert_int_eq(tctl_parse_line("a\0b", 3, argv, 4, store, sizeof store), -EINVAL);
	ck_assert_int_eq(parse("\xc3", argv, store, sizeof store), -EILSEQ);          /* truncated */
	ck_assert_int_eq(parse("\xc0\xaf", argv, store, sizeof store), -EILSEQ);      /* overlong */
	ck_assert_int_eq(parse("\xe0\x80\xaf", argv, store, sizeof store), -EILSEQ);  /* overlong */
	ck_assert_int_eq(parse("\xed\xa0\x80", argv, store, sizeof store), -EILSEQ);  /* surrogate */
	ck_assert_int_eq(parse("\xf4\x90\x80\x80", argv, store, sizeof store), -EILSEQ); /* > U+10FFFF */
	ck_assert_int_eq(parse("\xff", argv, store, sizeof store), -EILSEQ);
	/* store: "abc def" needs 8 bytes */
	ck_assert_int_eq(parse("abc def", argv, store, 7), -ENOBUFS);
	ck_assert_int_eq(parse("abc def", argv, store, 8), 2);
	ck_assert_int_eq(parse("abc def", argv, store, 0), -ENOBUFS);
}
END_TEST

/* ---- the server ---------------------------------------------------------- */

START_TEST(test_status_roundtrip)
{
	struct server s;
	server_start(&s, 0660);
	struct conn *c = conn_open(s.path);
	conn_send(c, "status\n", 7);
	const char *line = conn_line(c);
	ck_assert_ptr_nonnull(line);
	/* compact, "ok" first, the handler's keys in its order */
	ck_assert_str_eq(line, "{\"ok\":true,\"version\":\"0.1.0\",\"uptime\":42,"
	                 "\"media\":{\"workers\":2,\"sessions\":7},\"codecs\":[\"PCMU\",\"opus\"]}");
	json_t *j = conn_request(c, "status\r\n");   /* CRLF clients too */
	ck_assert_int_eq(json_integer_value(json_object_get(j, "uptime")), 42);
	json_decref(j);
	conn_close(c);
	server_stop(&s);
}
END_TEST

START_TEST(test_unknown_command)
{
	struct server s;
	server_start(&s, 0600);
	struct conn *c = conn_open(s.path);
	json_t *j = conn_request(c, "frobnicate now\n");
	assert_error(j, "unknown command 'frobnicate' (try 'help')");
	ck_assert_uint_eq(json_object_size(j), 2);
	json_decref(j);
	/* the connection survives */
	j = conn_request(c, "count\n");
	ck_assert(json_is_true(json_object_get(j, "ok")));
	json_decref(j);
	conn_close(c);
	server_stop(&s);
}
END_TEST

START_TEST(test_quoted_args)
{
	struct server s;
	server_start(&s, 0600);
	struct conn *c = conn_open(s.path);
	json_t *j = conn_request(c, "echo \"a b\" c \"\" key=\"x y\" \"q\\\"uote\" back\\slash\n");
	json_t *want = json_pack("[s, s, s, s, s, s]", "a b", "c", "", "key=x y", "q\"uote", "back\\slash");
	ck_assert(json_is_true(json_object_get(j, "ok")));
	ck_assert_msg(json_equal(json_object_get(j, "args"), want), "args differ");
	json_decref(want);
	json_decref(j);

	j = conn_request(c, "echo \"open\n");
	assert_error(j, "malformed request: unterminated quote");
	json_decref(j);
	j = conn_request(c, "echo \xff\xfe\n");
	assert_error(j, "malformed request: not valid UTF-8");
	json_decref(j);
	char many[256] = "echo";
	for (int i = 0; i < 32; i++)
		strcat(many, " w");
	strcat(many, "\n");
	j = conn_request(c, many);
	assert_error(j, "too many words in request (max 32)");
	json_decref(j);
	many[strlen(many) - 3] = '\n';       /* 32 words: fine */
	many[strlen(many) - 2] = '\0';
	j = conn_request(c, many);
	ck_assert_uint_eq(json_array_size(json_object_get(j, "args")), 31);
	json_decref(j);
	/* blank lines get no reply: the next reply answers "count" */
	j = conn_request(c, "\n  \n\r\ncount\n");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "n")), 1);
	json_decref(j);
	conn_close(c);
	server_stop(&s);
}
END_TEST

START_TEST(test_handler_errors)
{
	struct server s;
	server_start(&s, 0600);
	json_t *j = request(s.path, "fail X\n");
	assert_error(j, "no such call 'X'");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "active")), 3);
	json_decref(j);
	j = request(s.path, "busy\n");
	assert_error(j, strerror(EBUSY));
	json_decref(j);
	server_stop(&s);
}
END_TEST

START_TEST(test_oversize_line)
{
	struct server s;
	server_start(&s, 0600);
	char line[TCTL_MAX_LINE + 16];

	/* exactly the limit: accepted */
	memset(line, 'x', sizeof line);
	memcpy(line, "echo ", 5);
	line[TCTL_MAX_LINE] = '\n';
	struct conn *c = conn_open(s.path);
	conn_send(c, line, TCTL_MAX_LINE + 1);
	json_t *j = conn_reply(c);
	ck_assert(json_is_true(json_object_get(j, "ok")));
	ck_assert_uint_eq(strlen(json_string_value(json_array_get(json_object_get(j, "args"), 0))),
	                  TCTL_MAX_LINE - 5);
	json_decref(j);
	/* one byte more: error reply, then the server closes */
	line[TCTL_MAX_LINE] = 'x';
	line[TCTL_MAX_LINE + 1] = '\n';
	conn_send(c, line, TCTL_MAX_LINE + 2);
	j = conn_reply(c);
	assert_error(j, "request line too long (max 4096 bytes)");
	json_decref(j);
	ck_assert_ptr_null(conn_line(c));
	conn_close(c);

	/* a huge line without any newline is cut off as soon as it is too long */
	c = conn_open(s.path);
	static char big[64 * 1024];
	memset(big, 'y', sizeof big);
	(void)send(c->fd, big, sizeof big, MSG_NOSIGNAL);
	j = conn_reply(c);
	assert_error(j, "request line too long (max 4096 bytes)");
	json_decref(j);
	conn_close(c);

	/* the server is still fine */
	j = request(s.path, "count\n");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "n")), 1);
	json_decref(j);
	server_stop(&s);
}
END_TEST

START_TEST(test_many_requests)
{
	enum { N = 2000 };
	struct server s;
	server_start(&s, 0600);
	struct conn *c = conn_open(s.path);
	/* all pipelined in one write, then all the replies read back in order */
	size_t len = 0;
	char *all = malloc(N * 16);
	for (int i = 0; i < N; i++)
		len += (size_t)sprintf(all + len, i % 2 ? "count\n" : "status\n");
	conn_send(c, all, len);
	free(all);
	int counted = 0;
	for (int i = 0; i < N; i++) {
		json_t *j = conn_reply(c);
		ck_assert(json_is_true(json_object_get(j, "ok")));
		if (i % 2)
			ck_assert_int_eq(json_integer_value(json_object_get(j, "n")), ++counted);
		else
			ck_assert_int_eq(json_integer_value(json_object_get(j, "uptime")), 42);
		json_decref(j);
	}
	ck_assert_int_eq(counted, N / 2);
	conn_close(c);
	server_stop(&s);
}
END_TEST

/* A client that pipelines but never reads: the server stops reading it
 * (bounded buffering), and still answers everything once it reads. */
START_TEST(test_backpressure)
{
	enum { N = 100000 };
	struct server s;
	server_start(&s, 0600);
	struct conn *c = conn_open(s.path);
	int fl = fcntl(c->fd, F_GETFL);
	fcntl(c->fd, F_SETFL, fl | O_NONBLOCK);
	size_t sent = 0, len = (size_t)N * 7;
	char *all = malloc(len);
	for (int i = 0; i < N; i++)
		memcpy(all + i * 7, "status\n", 7);
	double until = now() + 1.0;
	while (sent < len && now() < until) {
		ssize_t n = send(c->fd, all + sent, len - sent, MSG_NOSIGNAL);
		if (n > 0)
			sent += (size_t)n;
		else
			usleep(10 * 1000);
	}
	/* 700 kB of requests, ~10 MB of replies due: once the socket buffers and
	 * the server's 256 KiB of pending output are full, the server stops
	 * reading and our sending stalls */
	ck_assert_uint_lt(sent, len);
	fcntl(c->fd, F_SETFL, fl);
	size_t got = 0;
	while (got < N) {
		if (sent < len) {
			ssize_t n = send(c->fd, all + sent, len - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n > 0)
				sent += (size_t)n;
		}
		if (got * 7 >= sent)
			continue;
		json_t *j = conn_reply(c);
		ck_assert(json_is_true(json_object_get(j, "ok")));
		json_decref(j);
		got++;
	}
	ck_assert_uint_eq(sent, len);
	free(all);
	conn_close(c);
	server_stop(&s);
}
END_TEST

START_TEST(test_final_line_at_eof)
{
	struct server s;
	server_start(&s, 0600);
	struct conn *c = conn_open(s.path);
	conn_send(c, "count\necho last", 15);
	shutdown(c->fd, SHUT_WR);
	json_t *j = conn_reply(c);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "n")), 1);
	json_decref(j);
	j = conn_reply(c);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(j, "args"), 0)), "last");
	json_decref(j);
	ck_assert_ptr_null(conn_line(c));
	conn_close(c);
	server_stop(&s);
}
END_TEST

START_TEST(test_help)
{
	struct server s;
	server_start(&s, 0600);
	json_t *j = request(s.path, "help\n");
	ck_assert(json_is_true(json_object_get(j, "ok")));
	json_t *cmds = json_object_get(j, "commands");
	const char *want[] = { "badreload", "busy", "calls", "count", "echo", "fail", "help",
	                       "modules", "slow", "status" };
	ck_assert_uint_eq(json_array_size(cmds), 10);
	for (size_t i = 0; i < 10; i++)
		ck_assert_str_eq(json_string_value(json_object_get(json_array_get(cmds, i), "command")),
		                 want[i]);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(cmds, 9), "help")),
	                 "show the daemon status");
	json_decref(j);
	server_stop(&s);
}
END_TEST

static int h_nop(void *arg, int argc, char **argv, json_t **reply)
{
	return 0;
}

START_TEST(test_register_rules)
{
	struct server s;
	server_start(&s, 0600);
	ck_assert_int_eq(tctl_register(s.ctl, "help", "", h_nop, NULL), -EEXIST);
	ck_assert_int_eq(tctl_register(s.ctl, "status", "", h_nop, NULL), -EEXIST);
	ck_assert_int_eq(tctl_register(s.ctl, "", "", h_nop, NULL), -EINVAL);
	ck_assert_int_eq(tctl_register(s.ctl, "two words", "", h_nop, NULL), -EINVAL);
	ck_assert_int_eq(tctl_register(s.ctl, "q\"", "", h_nop, NULL), -EINVAL);
	ck_assert_int_eq(tctl_register(s.ctl, "x", "", NULL, NULL), -EINVAL);
	ck_assert_int_eq(tctl_register(s.ctl, "0123456789abcdef0123456789abcdefX", "", h_nop, NULL),
	                 -EINVAL);
	ck_assert_str_eq(tctl_path(s.ctl), s.path);
	server_stop(&s);
}
END_TEST

/* ---- the socket file ----------------------------------------------------- */

START_TEST(test_socket_mode)
{
	static const unsigned modes[] = { 0600, 0660, 0666 };
	for (size_t i = 0; i < 3; i++) {
		struct server s;
		umask(i == 2 ? 022 : 0);       /* the mode must not depend on the umask */
		server_start(&s, modes[i]);
		struct stat st;
		ck_assert_int_eq(lstat(s.path, &st), 0);
		ck_assert(S_ISSOCK(st.st_mode));
		ck_assert_uint_eq(st.st_mode & 07777, modes[i]);
		json_decref(request(s.path, "status\n"));
		server_stop(&s);
	}
}
END_TEST

START_TEST(test_second_server_refused)
{
	struct server s;
	server_start(&s, 0600);
	struct stat before, after;
	ck_assert_int_eq(lstat(s.path, &before), 0);

	struct event_base *base2 = event_base_new();
	tctl_t *ctl2 = (tctl_t *)&s;    /* must be reset to NULL */
	ck_assert_int_eq(tctl_new(base2, s.path, 0600, &ctl2), -EADDRINUSE);
	ck_assert_ptr_null(ctl2);
	event_base_free(base2);

	ck_assert_int_eq(lstat(s.path, &after), 0);
	ck_assert_uint_eq(before.st_ino, after.st_ino);
	json_t *j = request(s.path, "count\n");       /* the first one still answers */
	ck_assert_int_eq(json_integer_value(json_object_get(j, "n")), 1);
	json_decref(j);
	server_stop(&s);
}
END_TEST

START_TEST(test_stale_socket_replaced)
{
	struct server s;
	server_init(&s);
	/* a socket file nobody listens on, as a crashed daemon leaves it */
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", s.path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof sun), 0);
	close(fd);
	ck_assert_int_eq(try_connect(s.path), -ECONNREFUSED);

	ck_assert_int_eq(tctl_new(s.base, s.path, 0600, &s.ctl), 0);
	server_register(&s);
	server_run(&s);
	json_t *j = request(s.path, "status\n");
	ck_assert(json_is_true(json_object_get(j, "ok")));
	json_decref(j);
	server_stop(&s);
}
END_TEST

START_TEST(test_not_a_socket_kept)
{
	struct server s;
	server_init(&s);
	FILE *f = fopen(s.path, "w");
	fputs("precious", f);
	fclose(f);
	ck_assert_int_eq(tctl_new(s.base, s.path, 0600, &s.ctl), -EEXIST);
	char buf[16] = "";
	f = fopen(s.path, "r");
	ck_assert_ptr_nonnull(fgets(buf, sizeof buf, f));
	fclose(f);
	ck_assert_str_eq(buf, "precious");

	char longpath[200];
	memset(longpath, 'a', sizeof longpath - 1);
	longpath[0] = '/';
	longpath[sizeof longpath - 1] = '\0';
	ck_assert_int_eq(tctl_new(s.base, longpath, 0600, &s.ctl), -ENAMETOOLONG);
	server_stop(&s);
}
END_TEST

START_TEST(test_parent_dir_created)
{
	struct server s;
	server_init(&s);
	snprintf(s.path, sizeof s.path, "%s/run/tandem/ctl.sock", s.dir);
	umask(077);
	ck_assert_int_eq(tctl_new(s.base, s.path, 0660, &s.ctl), 0);
	char dir[160];
	struct stat st;
	snprintf(dir, sizeof dir, "%s/run/tandem", s.dir);
	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0755);
	snprintf(dir, sizeof dir, "%s/run", s.dir);
	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0755);
	server_register(&s);
	server_run(&s);
	json_decref(request(s.path, "status\n"));
	server_stop(&s);
}
END_TEST

START_TEST(test_free_unlinks)
{
	struct server s;
	server_start(&s, 0600);
	struct conn *c = conn_open(s.path);     /* open connections are closed too */
	json_decref(conn_request(c, "count\n"));
	server_halt(&s);
	tctl_free(s.ctl);
	s.ctl = NULL;
	ck_assert_int_eq(access(s.path, F_OK), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_ptr_null(conn_line(c));
	conn_close(c);

	/* someone else's file at our path since is left alone */
	ck_assert_int_eq(tctl_new(s.base, s.path, 0600, &s.ctl), 0);
	unlink(s.path);
	FILE *f = fopen(s.path, "w");
	fclose(f);
	tctl_free(s.ctl);
	s.ctl = NULL;
	ck_assert_int_eq(access(s.path, F_OK), 0);
	server_stop(&s);
}
END_TEST

/* ---- limits -------------------------------------------------------------- */

START_TEST(test_max_clients)
{
	struct server s;
	server_init(&s);
	ck_assert_int_eq(tctl_new(s.base, s.path, 0600, &s.ctl), 0);
	server_register(&s);
	tctl_set_limits(s.ctl, 3, 0);
	server_run(&s);

	struct conn *c[3];
	for (int i = 0; i < 3; i++) {
		c[i] = conn_open(s.path);
		json_decref(conn_request(c[i], "count\n"));     /* surely accepted */
	}
	struct conn *extra = conn_open(s.path);
	json_t *j = conn_reply(extra);
	assert_error(j, "too many control connections");
	json_decref(j);
	ck_assert_ptr_null(conn_line(extra));
	conn_close(extra);

	/* a slot frees when a client leaves */
	conn_close(c[0]);
	bool served = false;
	for (int tries = 0; tries < 100 && !served; tries++) {
		extra = conn_open(s.path);
		j = conn_request(extra, "count\n");
		served = json_is_true(json_object_get(j, "ok"));
		json_decref(j);
		conn_close(extra);
		if (!served)
			usleep(20 * 1000);
	}
	ck_assert(served);
	conn_close(c[1]);
	conn_close(c[2]);
	server_stop(&s);
}
END_TEST

START_TEST(test_idle_timeout)
{
	struct server s;
	server_init(&s);
	ck_assert_int_eq(tctl_new(s.base, s.path, 0600, &s.ctl), 0);
	server_register(&s);
	tctl_set_limits(s.ctl, 0, 300);
	server_run(&s);

	struct conn *c = conn_open(s.path);
	json_decref(conn_request(c, "count\n"));
	double t0 = now();
	ck_assert_ptr_null(conn_line(c));           /* closed by the server */
	double idle = now() - t0;
	ck_assert_msg(idle > 0.25 && idle < 3.0, "closed after %.3f s", idle);
	conn_close(c);
	server_stop(&s);
}
END_TEST

static Suite *ctl_suite(void)
{
	Suite *s = suite_create("ctl");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, test_parse_words);
	tcase_add_test(tc, test_parse_quotes);
	tcase_add_test(tc, test_parse_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("server");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_status_roundtrip);
	tcase_add_test(tc, test_unknown_command);
	tcase_add_test(tc, test_quoted_args);
	tcase_add_test(tc, test_handler_errors);
	tcase_add_test(tc, test_oversize_line);
	tcase_add_test(tc, test_many_requests);
	tcase_add_test(tc, test_backpressure);
	tcase_add_test(tc, test_final_line_at_eof);
	tcase_add_test(tc, test_help);
	tcase_add_test(tc, test_register_rules);
	suite_add_tcase(s, tc);

	tc = tcase_create("socket");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_socket_mode);
	tcase_add_test(tc, test_second_server_refused);
	tcase_add_test(tc, test_stale_socket_replaced);
	tcase_add_test(tc, test_not_a_socket_kept);
	tcase_add_test(tc, test_parent_dir_created);
	tcase_add_test(tc, test_free_unlinks);
	tcase_add_test(tc, test_max_clients);
	tcase_add_test(tc, test_idle_timeout);
	suite_add_tcase(s, tc);

	suite_add_tcase(s, ctl_cli_tcase());
	return s;
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);       /* as tandemd does */
	evthread_use_pthreads();
	SRunner *sr = srunner_create(ctl_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
