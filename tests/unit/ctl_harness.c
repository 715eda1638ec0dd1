/* ctl_harness.c - see ctl_harness.h. */
#include "config.h"
#include "ctl_harness.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

/* ---- the test commands --------------------------------------------------- */

static int h_status(void *arg, int argc, char **argv, json_t **reply)
{
	*reply = json_pack("{s:s, s:i, s:{s:i, s:i}, s:[s, s]}",
	                   "version", "0.1.0", "uptime", 42,
	                   "media", "workers", 2, "sessions", 7,
	                   "codecs", "PCMU", "opus");
	return 0;
}

static int h_echo(void *arg, int argc, char **argv, json_t **reply)
{
	json_t *args = json_array();
	for (int i = 1; i < argc; i++)
		json_array_append_new(args, json_string(argv[i]));
	ck_assert_ptr_null(argv[argc]);
	*reply = json_pack("{s:o}", "args", args);
	return 0;
}

static int h_count(void *arg, int argc, char **argv, json_t **reply)
{
	struct server *s = arg;
	*reply = json_pack("{s:i}", "n", ++s->counter);
	return 0;
}

static int h_fail(void *arg, int argc, char **argv, json_t **reply)
{
	*reply = json_pack("{s:s, s:i}", "error", "no such call 'X'", "active", 3);
	return -ENOENT;
}

static int h_busy(void *arg, int argc, char **argv, json_t **reply)
{
	return -EBUSY;
}

static int h_calls(void *arg, int argc, char **argv, json_t **reply)
{
	*reply = json_pack("{s:[{s:s, s:s, s:s, s:s, s:i}, {s:s, s:s, s:s, s:s, s:i}]}", "calls",
	                   "id", "c1", "from", "1000", "to", "2000", "state", "up", "secs", 12,
	                   "id", "c22", "from", "44123", "to", "9", "state", "ringing", "secs", 0);
	return 0;
}

static int h_modules(void *arg, int argc, char **argv, json_t **reply)
{
	*reply = json_pack("{s:i, s:[{s:s, s:[s, s]}, {s:s, s:[s], s:s}], s:[], s:{}, s:n, s:b, s:f}",
	                   "loaded", 2, "modules",
	                   "name", "g711", "codecs", "PCMU", "PCMA",
	                   "name", "opus", "codecs", "opus", "path", "/m/mod_opus.so",
	                   "failed", "extra", "note", "flag", 1, "load", 0.25);
	return 0;
}

static int h_badreload(void *arg, int argc, char **argv, json_t **reply)
{
	*reply = json_pack("{s:s, s:[s, s], s:i}",
	                   "error", "reload failed; the running configuration stays in force",
	                   "errors", "/etc/tandem/tandem.conf:12: unknown key 'med_workers' "
	                   "(did you mean 'media_workers'?)",
	                   "/etc/tandem/tandem.conf:30: rtp_port_min: not a number",
	                   "generation", 4);
	return -EINVAL;
}

static int h_slow(void *arg, int argc, char **argv, json_t **reply)
{
	usleep(1500 * 1000);
	return 0;
}

/* ---- a server in a thread ------------------------------------------------ */

static void *loop_thread(void *arg)
{
	struct server *s = arg;
	event_base_loop(s->base, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

void server_init(struct server *s)
{
	memset(s, 0, sizeof *s);
	snprintf(s->dir, sizeof s->dir, "/tmp/test_ctl.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(s->dir));
	snprintf(s->path, sizeof s->path, "%s/tandemd.sock", s->dir);
	s->base = event_base_new();
	ck_assert_ptr_nonnull(s->base);
}

void server_register(struct server *s)
{
	ck_assert_int_eq(tctl_register(s->ctl, "status", "show the daemon status", h_status, s), 0);
	ck_assert_int_eq(tctl_register(s->ctl, "echo", "reply with the arguments", h_echo, s), 0);
	ck_assert_int_eq(tctl_register(s->ctl, "count", "count requests", h_count, s), 0);
	ck_assert_int_eq(tctl_register(s->ctl, "fail", "always fail", h_fail, s), 0);
	ck_assert_int_eq(tctl_register(s->ctl, "busy", "fail without a reply", h_busy, s), 0);
	ck_assert_int_eq(tctl_register(s->ctl, "calls", "list calls", h_calls, s), 0);
	ck_assert_int_eq(tctl_register(s->ctl, "slow", "take 1.5 s", h_slow, s), 0);
	ck_assert_int_eq(tctl_register(s->ctl, "modules", "nested things", h_modules, s), 0);
	ck_assert_int_eq(tctl_register(s->ctl, "badreload", "fail with a list", h_badreload, s), 0);
}

void server_run(struct server *s)
{
	ck_assert_int_eq(pthread_create(&s->thread, NULL, loop_thread, s), 0);
	s->running = true;
}

void server_start(struct server *s, unsigned mode)
{
	server_init(s);
	ck_assert_int_eq(tctl_new(s->base, s->path, mode, &s->ctl), 0);
	server_register(s);
	server_run(s);
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(p);
}

void rm_tree(const char *dir)
{
	nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopbreak(arg);
}

/* A loopbreak issued before the thread enters the loop would be lost (the
 * loop clears the flag when it starts); an event is not. */
void server_halt(struct server *s)
{
	if (!s->running)
		return;
	static const struct timeval now_tv = { 0, 0 };
	ck_assert_int_eq(event_base_once(s->base, -1, EV_TIMEOUT, on_stop, s->base, &now_tv), 0);
	pthread_join(s->thread, NULL);
	s->running = false;
}

void server_stop(struct server *s)
{
	server_halt(s);
	tctl_free(s->ctl);
	s->ctl = NULL;
	event_base_free(s->base);
	rm_tree(s->dir);
}

/* ---- a client ------------------------------------------------------------ */


int try_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) < 0) {
		int err = errno;
		close(fd);
		return -err;
	}
	struct timeval tv = { 5, 0 };   /* never hang a test on a lost reply */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	return fd;
}

struct conn *conn_open(const char *path)
{
	struct conn *c = calloc(1, sizeof *c);
	c->fd = try_connect(path);
	ck_assert_msg(c->fd >= 0, "connect %s: %s", path, strerror(-c->fd));
	return c;
}

void conn_close(struct conn *c)
{
	close(c->fd);
	free(c);
}

void conn_send(struct conn *c, const char *data, size_t len)
{
	size_t off = 0;
	while (off < len) {
		ssize_t n = send(c->fd, data + off, len - off, MSG_NOSIGNAL);
		ck_assert_msg(n > 0, "send: %s", strerror(errno));
		off += (size_t)n;
	}
}

/* Next reply line (NUL-terminated, without '\n') in a static buffer, or NULL
 * at EOF. */
const char *conn_line(struct conn *c)
{
	static char line[sizeof c->buf];
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		if (nl) {
			size_t n = (size_t)(nl - c->buf);
			memcpy(line, c->buf, n);
			line[n] = '\0';
			memmove(c->buf, nl + 1, c->len - n - 1);
			c->len -= n + 1;
			return line;
		}
		ck_assert_uint_lt(c->len, sizeof c->buf);
		ssize_t n = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
		ck_assert_msg(n >= 0, "recv: %s", strerror(errno));
		if (n == 0) {
			ck_assert_uint_eq(c->len, 0);
			return NULL;
		}
		c->len += (size_t)n;
	}
}

json_t *conn_reply(struct conn *c)
{
	const char *line = conn_line(c);
	ck_assert_msg(line != NULL, "connection closed before the reply");
	json_error_t err;
	json_t *j = json_loads(line, 0, &err);
	ck_assert_msg(json_is_object(j), "reply is not a JSON object: %s", line);
	return j;
}

json_t *conn_request(struct conn *c, const char *req)
{
	conn_send(c, req, strlen(req));
	return conn_reply(c);
}

json_t *request(const char *path, const char *req)
{
	struct conn *c = conn_open(path);
	json_t *j = conn_request(c, req);
	conn_close(c);
	return j;
}

void assert_error(json_t *j, const char *msg)
{
	ck_assert(json_is_false(json_object_get(j, "ok")));
	ck_assert_str_eq(json_string_value(json_object_get(j, "error")), msg);
}

double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
