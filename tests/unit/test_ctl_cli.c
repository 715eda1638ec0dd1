/* test_ctl_cli.c - tandemctl against a real control socket server: human
 * and JSON output, exit codes, quoting, timeouts, usage.
 * Runs $builddir/src/tandemctl (builddir defaults to ".").
 */
#include "config.h"
#include "ctl_harness.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct run {
	int status;             /* exit code, or -1 if it did not exit */
	char out[8192];
	char err[8192];
};

static void slurp(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, size - 1, f) : 0;
	buf[n] = '\0';
	if (f)
		fclose(f);
}

/* Run tandemctl with args (NULL-terminated); env_socket sets
 * TANDEM_CTL_SOCKET (NULL unsets it). */
static void run_ctl(struct run *r, const char *dir, const char *env_socket, ...)
{
	const char *bdir = getenv("builddir");
	char bin[512], outp[160], errp[160];
	snprintf(bin, sizeof bin, "%s/src/tandemctl", bdir && *bdir ? bdir : ".");
	ck_assert_msg(access(bin, X_OK) == 0, "%s not built (set builddir)", bin);
	snprintf(outp, sizeof outp, "%s/out.txt", dir);
	snprintf(errp, sizeof errp, "%s/err.txt", dir);

	char *argv[32] = { bin };
	int argc = 1;
	va_list ap;
	va_start(ap, env_socket);
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);

	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(o, 1);
		dup2(e, 2);
		if (env_socket)
			setenv("TANDEM_CTL_SOCKET", env_socket, 1);
		else
			unsetenv("TANDEM_CTL_SOCKET");
		execv(bin, argv);
		_exit(127);
	}
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	slurp(outp, r->out, sizeof r->out);
	slurp(errp, r->err, sizeof r->err);
}

START_TEST(test_tandemctl_human)
{
	struct server s;
	struct run r;
	server_start(&s, 0600);

	run_ctl(&r, s.dir, NULL, "-s", s.path, "status", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out,
		"version: 0.1.0\n"
		"uptime:  42\n"
		"media:\n"
		"  workers:  2\n"
		"  sessions: 7\n"
		"codecs:  PCMU, opus\n");
	ck_assert_str_eq(r.err, "");

	run_ctl(&r, s.dir, s.path, "calls", NULL);    /* socket from the environment */
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out,
		"ID   FROM   TO    STATE    SECS\n"
		"c1   1000   2000  up       12\n"
		"c22  44123  9     ringing  0\n");

	/* nested table with list cells, empty list/object, null, bool, real */
	run_ctl(&r, s.dir, NULL, "-s", s.path, "modules", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out,
		"loaded: 2\n"
		"modules:\n"
		"  NAME  CODECS      PATH\n"
		"  g711  PCMU, PCMA\n"
		"  opus  opus        /m/mod_opus.so\n"
		"failed: (none)\n"
		"extra:  (none)\n"
		"note:   -\n"
		"flag:   true\n"
		"load:   0.25\n");

	run_ctl(&r, s.dir, "/nonexistent/env.sock", "-s", s.path, "help", NULL); /* -s wins */
	ck_assert_int_eq(r.status, 0);
	const char *head = "COMMAND    HELP\nbadreload  fail with a list\n";
	ck_assert_msg(strncmp(r.out, head, strlen(head)) == 0, "help table: %s", r.out);
	ck_assert_ptr_nonnull(strstr(r.out, "\nhelp       list the commands\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "\nstatus     show the daemon status\n"));

	run_ctl(&r, s.dir, NULL, "-s", s.path, "slow", NULL);  /* bare {"ok":true} */
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out, "ok\n");
	server_stop(&s);
}
END_TEST

START_TEST(test_tandemctl_json)
{
	struct server s;
	struct run r;
	server_start(&s, 0600);
	/* arguments that need quoting reach the handler intact */
	run_ctl(&r, s.dir, NULL, "-s", s.path, "--json", "echo", "a b", "", "q\"x", "back\\sl",
	        "-t", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out, "{\"ok\":true,\"args\":[\"a b\",\"\",\"q\\\"x\",\"back\\\\sl\",\"-t\"]}\n");

	run_ctl(&r, s.dir, NULL, "-j", "-s", s.path, "status", NULL);
	ck_assert_int_eq(r.status, 0);
	json_t *j = json_loads(r.out, 0, NULL);
	ck_assert(json_is_object(j));
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "media"), "sessions")), 7);
	json_decref(j);

	run_ctl(&r, s.dir, NULL, "--json", "-s", s.path, "fail", NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_str_eq(r.out, "{\"ok\":false,\"error\":\"no such call 'X'\",\"active\":3}\n");
	server_stop(&s);
}
END_TEST

START_TEST(test_tandemctl_errors)
{
	struct server s;
	struct run r;
	server_start(&s, 0600);

	run_ctl(&r, s.dir, NULL, "-s", s.path, "fail", "X", NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_str_eq(r.out, "");
	ck_assert_str_eq(r.err, "tandemctl: no such call 'X'\n  active: 3\n");

	/* extra fields of an error reply go to stderr too; long lists one a line */
	run_ctl(&r, s.dir, NULL, "-s", s.path, "badreload", NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_str_eq(r.out, "");
	ck_assert_str_eq(r.err,
		"tandemctl: reload failed; the running configuration stays in force\n"
		"  errors:\n"
		"    - /etc/tandem/tandem.conf:12: unknown key 'med_workers' (did you mean "
		"'media_workers'?)\n"
		"    - /etc/tandem/tandem.conf:30: rtp_port_min: not a number\n"
		"  generation: 4\n");

	run_ctl(&r, s.dir, NULL, "-s", s.path, "nope", NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_str_eq(r.err, "tandemctl: unknown command 'nope' (try 'help')\n");

	/* no reply in time */
	double t0 = now();
	run_ctl(&r, s.dir, NULL, "-s", s.path, "-t", "0.3", "slow", NULL);
	ck_assert_int_eq(r.status, 2);
	ck_assert_msg(now() - t0 < 1.4, "tandemctl did not time out");
	ck_assert_ptr_nonnull(strstr(r.err, "no reply from tandemd"));
	server_stop(&s);

	/* no server: says which socket and what to check */
	char gone[160], dir[] = "/tmp/test_ctl.XXXXXX";
	snprintf(gone, sizeof gone, "%s", s.path);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	run_ctl(&r, dir, NULL, "-s", gone, "status", NULL);
	ck_assert_int_eq(r.status, 2);
	ck_assert_str_eq(r.out, "");
	ck_assert_ptr_nonnull(strstr(r.err, gone));
	ck_assert_ptr_nonnull(strstr(r.err, "control_socket"));
	ck_assert_ptr_nonnull(strstr(r.err, "tandemd running"));
	rm_tree(dir);
}
END_TEST

START_TEST(test_tandemctl_usage)
{
	struct run r;
	char dir[] = "/tmp/test_ctl.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	run_ctl(&r, dir, NULL, "-h", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "Usage: tandemctl"));
	run_ctl(&r, dir, NULL, NULL);
	ck_assert_int_eq(r.status, 64);
	ck_assert_ptr_nonnull(strstr(r.err, "no command"));
	run_ctl(&r, dir, NULL, "-t", "soon", "status", NULL);
	ck_assert_int_eq(r.status, 64);
	run_ctl(&r, dir, NULL, "-s", "/nonexistent.sock", "echo", "new\nline", NULL);
	ck_assert_int_eq(r.status, 64);
	ck_assert_ptr_nonnull(strstr(r.err, "control character"));
	rm_tree(dir);
}
END_TEST

TCase *ctl_cli_tcase(void)
{
	TCase *tc = tcase_create("tandemctl");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_tandemctl_human);
	tcase_add_test(tc, test_tandemctl_json);
	tcase_add_test(tc, test_tandemctl_errors);
	tcase_add_test(tc, test_tandemctl_usage);
	return tc;
}
