/* ctl_harness.h - shared harness of the control socket tests (test_ctl*.c).
 *
 * A server is a real tctl_t on its own event_base, run in a thread, with its
 * socket in a fresh temp directory and a set of test commands registered
 * (status, echo, count, fail, busy, calls, modules, badreload, slow; see
 * ctl_harness.c). A conn is a blocking client with a 5 s receive timeout.
 * Everything asserts with Check, so a failure stops the test where it happens.
 */
#ifndef TANDEM_TEST_CTL_HARNESS_H
#define TANDEM_TEST_CTL_HARNESS_H

#include <check.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "core/ctl.h"

struct server {
	char dir[32];
	char path[108];         /* fits sun_path */
	struct event_base *base;
	tctl_t *ctl;
	pthread_t thread;
	bool running;
	int counter;
};

/* server_start = init + tctl_new(mode) + register + run. The steps are apart
 * for tests that need something between them. */
void server_init(struct server *s);
void server_register(struct server *s);
void server_run(struct server *s);
void server_start(struct server *s, unsigned mode);
/* Stop the loop thread (the server stays). */
void server_halt(struct server *s);
/* Halt, tctl_free, free the base, remove the temp directory. */
void server_stop(struct server *s);

struct conn {
	int fd;
	size_t len;
	char buf[1 << 16];
};

/* connect(); the fd, or -errno. */
int try_connect(const char *path);
struct conn *conn_open(const char *path);
void conn_close(struct conn *c);
void conn_send(struct conn *c, const char *data, size_t len);
/* Next reply line without its '\n' (static buffer), or NULL at EOF. */
const char *conn_line(struct conn *c);
/* Next reply, parsed; asserts it is an object. Caller decrefs. */
json_t *conn_reply(struct conn *c);
json_t *conn_request(struct conn *c, const char *req);
/* One request on a connection of its own. */
json_t *request(const char *path, const char *req);
void assert_error(json_t *j, const char *msg);
double now(void);
void rm_tree(const char *dir);

/* The tandemctl test case (test_ctl_cli.c). */
TCase *ctl_cli_tcase(void);

#endif
