/* ctl.c - see ctl.h. */
#include "config.h"
#include "core/ctl.h"
#include "core/log.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

/* Stop reading a connection's requests while this much of its replies is
 * still unsent: a client that pipelines requests but never reads cannot make
 * the daemon buffer without bound. */
#define TCTL_MAX_PENDING_OUT    (256 * 1024)
#define TCTL_BACKLOG            16

struct tctl_cmd {
	char name[TCTL_MAX_NAME + 1];
	char *help;
	tctl_handler_fn fn;
	void *arg;
};

struct tctl_client {
	TAILQ_ENTRY(tctl_client) link;
	tctl_t *ctl;
	struct bufferevent *bev;
	bool eof;               /* the client shut down its writing side */
	bool paused;            /* reading stopped until replies drain */
	bool closing;           /* close once replies are flushed */
};

struct tctl {
	struct event_base *base;
	struct evconnlistener *listener;
	struct event *retry_ev;         /* re-enables accept after EMFILE & co */
	char *path;
	dev_t dev;                      /* identity of the socket file we made */
	ino_t ino;
	struct tctl_cmd *cmds;          /* sorted by name */
	size_t ncmds;
	TAILQ_HEAD(, tctl_client) clients;
	unsigned nclients;
	unsigned max_clients;
	unsigned idle_ms;
	bool refusing;                  /* logged the client limit already */
};

/* ---- request line parser (pure) ---------------------------------------- */

/* Length of the valid UTF-8 sequence at s[0..len), or 0 if invalid.
 * Rejects overlong forms, surrogates and code points above U+10FFFF. */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
	unsigned char c = s[0];
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (len < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* Whole-line checks first, so the error does not depend on where parsing
 * stops. */
static int check_line(const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		if ((s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
			return -EINVAL;
		size_t n = utf8_seq(s + i, len - i);
		if (n == 0)
			return -EILSEQ;
		i += n;
	}
	return 0;
}

int tctl_parse_line(const char *buf, size_t len, char **argv, int maxargs,
                    char *store, size_t storelen)
{
	const unsigned char *s = (const unsigned char *)buf;
	size_t i = 0, o = 0;
	int argc = 0;

	if ((!buf && len) || !argv || maxargs < 0 || (!store && storelen))
		return -EINVAL;
	int rc = check_line(s, len);
	if (rc < 0)
		return rc;

	for (;;) {
		while (i < len && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i == len)
			break;
		if (argc == maxargs)
			return -E2BIG;
		argv[argc++] = store + o;
		bool quoted = false;
		while (i < len) {
			unsigned char c = s[i++];
			if (!quoted && (c == ' ' || c == '\t'))
				break;
			if (c == '"') {
				quoted = !quoted;
				continue;
			}
			if (quoted && c == '\\' && i < len && (s[i] == '"' || s[i] == '\\'))
				c = s[i++];
			if (o >= storelen)
				return -ENOBUFS;
			store[o++] = (char)c;
		}
		if (quoted)
			return -EBADMSG;
		if (o >= storelen)
			return -ENOBUFS;
		store[o++] = '\0';
	}
	argv[argc] = NULL;
	return argc;
}

/* ---- commands ------------------------------------------------------------ */

static struct tctl_cmd *cmd_find(tctl_t *ctl, const char *name)
{
	size_t lo = 0, hi = ctl->ncmds;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, ctl->cmds[mid].name);
		if (c == 0)
			return &ctl->cmds[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static bool name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > TCTL_MAX_NAME)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\')
			return false;
	}
	return true;
}

int tctl_register(tctl_t *ctl, const char *name, const char *help,
                  tctl_handler_fn fn, void *arg)
{
	if (!ctl || !name || !fn || !name_ok(name))
		return -EINVAL;
	if (cmd_find(ctl, name))
		return -EEXIST;
	char *h = strdup(help ? help : "");
	struct tctl_cmd *cmds = realloc(ctl->cmds, (ctl->ncmds + 1) * sizeof *cmds);
	if (!h || !cmds) {
		free(h);
		if (cmds)
			ctl->cmds = cmds;
		return -ENOMEM;
	}
	ctl->cmds = cmds;
	size_t at = 0;
	while (at < ctl->ncmds && strcmp(cmds[at].name, name) < 0)
		at++;
	memmove(&cmds[at + 1], &cmds[at], (ctl->ncmds - at) * sizeof *cmds);
	memset(&cmds[at], 0, sizeof cmds[at]);
	snprintf(cmds[at].name, sizeof cmds[at].name, "%s", name);
	cmds[at].help = h;
	cmds[at].fn = fn;
	cmds[at].arg = arg;
	ctl->ncmds++;
	return 0;
}

static int cmd_help(void *arg, int argc, char **argv, json_t **reply)
{
	tctl_t *ctl = arg;
	json_t *list = json_array();
	json_t *obj = json_object();
	if (!list || !obj || json_object_set_new(obj, "commands", list) < 0) {
		json_decref(list);
		json_decref(obj);
		return -ENOMEM;
	}
	for (size_t i = 0; i < ctl->ncmds; i++) {
		json_t *row = json_pack("{s:s, s:s}", "command", ctl->cmds[i].name,
		                        "help", ctl->cmds[i].help);
		if (!row || json_array_append_new(list, row) < 0) {
			json_decref(obj);
			return -ENOMEM;
		}
	}
	*reply = obj;
	return 0;
}

/* ---- replies ------------------------------------------------------------- */

static json_t *error_reply(const char *msg)
{
	return json_pack("{s:s}", "error", msg);
}

/* Frame the reply: "ok" first, then the handler's keys. Takes 'reply'. */
static void send_reply(struct tctl_client *c, int rc, json_t *reply)
{
	static const char fallback[] =
		"{\"ok\":false,\"error\":\"internal error: cannot encode the reply\"}";
	struct evbuffer *out = bufferevent_get_output(c->bev);
	json_t *obj = json_object();
	char *text = NULL;

	if (obj) {
		json_object_set_new(obj, "ok", json_boolean(rc >= 0));
		if (json_is_object(reply))
			json_object_update(obj, reply);
		else if (reply)
			json_object_set(obj, "result", reply);
		json_object_set_new(obj, "ok", json_boolean(rc >= 0));
		if (rc < 0 && !json_is_string(json_object_get(obj, "error")))
			json_object_set_new(obj, "error", json_string(strerror(-rc)));
		text = json_dumps(obj, JSON_COMPACT);
	}
	json_decref(reply);
	json_decref(obj);
	if (text)
		evbuffer_add(out, text, strlen(text));
	else
		evbuffer_add(out, fallback, sizeof fallback - 1);
	evbuffer_add(out, "\n", 1);
	free(text);
}

static const char *parse_error(int rc)
{
	switch (rc) {
	case -EBADMSG: return "malformed request: unterminated quote";
	case -EILSEQ:  return "malformed request: not valid UTF-8";
	case -E2BIG:   return "too many words in request (max 32)";
	default:       return "malformed request: control character in line";
	}
}

static void run_request(struct tctl_client *c, const char *line, size_t len)
{
	tctl_t *ctl = c->ctl;
	char *argv[TCTL_MAX_ARGS + 1];
	char store[TCTL_MAX_LINE + 1];
	json_t *reply = NULL;
	int rc;

	int argc = tctl_parse_line(line, len, argv, TCTL_MAX_ARGS, store, sizeof store);
	if (argc == 0)
		return;
	if (argc < 0) {
		send_reply(c, argc, error_reply(parse_error(argc)));
		return;
	}
	struct tctl_cmd *cmd = cmd_find(ctl, argv[0]);
	if (!cmd) {
		char msg[TCTL_MAX_LINE + 64];
		snprintf(msg, sizeof msg, "unknown command '%s' (try 'help')", argv[0]);
		send_reply(c, -ENOENT, error_reply(msg));
		return;
	}
	LOG_DEBUG("control: %s (%d args)", cmd->name, argc - 1);
	rc = cmd->fn(cmd->arg, argc, argv, &reply);
	send_reply(c, rc > 0 ? 0 : rc, reply);
}

/* ---- connections --------------------------------------------------------- */

static void client_free(struct tctl_client *c)
{
	tctl_t *ctl = c->ctl;
	TAILQ_REMOVE(&ctl->clients, c, link);
	ctl->nclients--;
	/* libevent closes the fd from a finalizer on the next loop turn; let the
	 * client see the end now (tctl_free may be followed by no loop turn). */
	shutdown(bufferevent_getfd(c->bev), SHUT_RDWR);
	bufferevent_free(c->bev);
	free(c);
}

static void client_close_after_reply(struct tctl_client *c, const char *msg)
{
	send_reply(c, -EMSGSIZE, error_reply(msg));
	struct evbuffer *in = bufferevent_get_input(c->bev);
	evbuffer_drain(in, evbuffer_get_length(in));
	bufferevent_disable(c->bev, EV_READ);
	c->closing = true;
}

/* Take the next request line out of the input buffer into 'line' (at least
 * TCTL_MAX_LINE + 2 bytes). Returns its length without "\r\n", -EAGAIN if no
 * whole line is there yet, or -EMSGSIZE if the line is too long. */
static ssize_t next_line(struct tctl_client *c, char *line)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t avail = evbuffer_get_length(in), eol_len = 0, n;
	struct evbuffer_ptr p = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);

	if (p.pos < 0) {
		/* room for a line of TCTL_MAX_LINE plus its '\r' */
		if (avail > TCTL_MAX_LINE + 1)
			return -EMSGSIZE;
		if (!c->eof || avail == 0)
			return -EAGAIN;
		n = avail;
	} else {
		n = (size_t)p.pos;
		if (n > TCTL_MAX_LINE + 1)
			return -EMSGSIZE;
	}
	evbuffer_remove(in, line, n);
	evbuffer_drain(in, eol_len);
	if (n > 0 && line[n - 1] == '\r')
		n--;
	if (n > TCTL_MAX_LINE)
		return -EMSGSIZE;
	return (ssize_t)n;
}

/* Answer every whole request that has arrived; frees c when it is done. */
static void client_run(struct tctl_client *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	char line[TCTL_MAX_LINE + 2];

	while (!c->closing) {
		if (evbuffer_get_length(out) > TCTL_MAX_PENDING_OUT) {
			c->paused = true;
			bufferevent_disable(c->bev, EV_READ);
			return;
		}
		ssize_t n = next_line(c, line);
		if (n == -EAGAIN)
			break;
		if (n == -EMSGSIZE) {
			client_close_after_reply(c, "request line too long (max 4096 bytes)");
			break;
		}
		run_request(c, line, (size_t)n);
	}
	if (c->eof)
		c->closing = true;
	if (c->closing && evbuffer_get_length(out) == 0)
		client_free(c);
}

static void on_read(struct bufferevent *bev, void *arg)
{
	client_run(arg);
}

/* Output drained (low watermark 0). */
static void on_write(struct bufferevent *bev, void *arg)
{
	struct tctl_client *c = arg;
	if (c->closing) {
		client_free(c);
		return;
	}
	if (c->paused) {
		c->paused = false;
		if (!c->eof)
			bufferevent_enable(c->bev, EV_READ);
		client_run(c);
	}
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct tctl_client *c = arg;
	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR)
	    && (what & BEV_EVENT_READING)) {
		/* Answer what was sent before the shutdown, then close. */
		c->eof = true;
		if (!c->paused)
			client_run(c);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT)
		LOG_DEBUG("control: closing idle connection");
	client_free(c);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd,
                      struct sockaddr *sa, int socklen, void *arg)
{
	static const char busy[] =
		"{\"ok\":false,\"error\":\"too many control connections\"}\n";
	tctl_t *ctl = arg;

	if (ctl->nclients >= ctl->max_clients) {
		/* A short reply fits the empty socket buffer: no need to queue it. */
		(void)send(fd, busy, sizeof busy - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		close(fd);
		if (!ctl->refusing)
			LOG_WARN("control socket %s: %u connections open, refusing more",
			         ctl->path, ctl->nclients);
		ctl->refusing = true;
		return;
	}
	ctl->refusing = false;

	struct tctl_client *c = calloc(1, sizeof *c);
	struct bufferevent *bev = bufferevent_socket_new(ctl->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!c || !bev) {
		LOG_WARN("control socket %s: out of memory for a connection", ctl->path);
		free(c);
		if (bev)
			bufferevent_free(bev);
		else
			close(fd);
		return;
	}
	c->ctl = ctl;
	c->bev = bev;
	TAILQ_INSERT_TAIL(&ctl->clients, c, link);
	ctl->nclients++;

	struct timeval idle = {
		.tv_sec = ctl->idle_ms / 1000,
		.tv_usec = (ctl->idle_ms % 1000) * 1000,
	};
	bufferevent_setcb(bev, on_read, on_write, on_event, c);
	bufferevent_set_timeouts(bev, &idle, &idle);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

/* accept() failing for other reasons than "nothing there" (EMFILE, ENFILE,
 * ENOMEM) would fire again at once: pause the listener for a second. */
static void on_accept_error(struct evconnlistener *l, void *arg)
{
	tctl_t *ctl = arg;
	static const struct timeval pause = { 1, 0 };
	int err = EVUTIL_SOCKET_ERROR();

	LOG_WARN("control socket %s: accept: %s; pausing for a second",
	         ctl->path, strerror(err));
	evconnlistener_disable(l);
	evtimer_add(ctl->retry_ev, &pause);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	tctl_t *ctl = arg;
	evconnlistener_enable(ctl->listener);
}

/* ---- the socket file ----------------------------------------------------- */

/* mkdir -p the directory part of 'path'; directories we create get 0755
 * whatever the umask. */
static int make_parents(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;
		*p = '\0';
		if (mkdir(dir, 0755) == 0)
			(void)chmod(dir, 0755);
		else if (errno != EEXIST) {
			int err = errno;
			LOG_ERR("control socket %s: cannot create directory %s: %s",
			        path, dir, strerror(err));
			return -err;
		}
		*p = saved;
		if (saved == '\0')
			return 0;
	}
}

/* Something already has our path. Remove it only if it is a socket that
 * nobody answers on (a crashed daemon's leftover). */
static int clear_stale(const struct sockaddr_un *sun, const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		LOG_ERR("control socket %s: exists and is not a socket; not touching it", path);
		return -EEXIST;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	int rc = connect(fd, (const struct sockaddr *)sun, sizeof *sun);
	int err = rc == 0 ? 0 : errno;
	close(fd);
	if (err == ENOENT)
		return 0;
	if (err != ECONNREFUSED) {
		/* It answered (or its backlog is full): a live daemon. */
		LOG_ERR("control socket %s: in use by a running process%s%s",
		        path, err ? ": " : "", err ? strerror(err) : "");
		return -EADDRINUSE;
	}
	LOG_INFO("control socket %s: removing stale socket", path);
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

static int bind_socket(tctl_t *ctl, unsigned mode, int *fdp)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, rc;

	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", ctl->path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	rc = bind(fd, (struct sockaddr *)&sun, sizeof sun);
	if (rc < 0 && errno == EADDRINUSE) {
		rc = clear_stale(&sun, ctl->path);
		if (rc < 0)
			goto out;
		rc = bind(fd, (struct sockaddr *)&sun, sizeof sun);
	}
	if (rc < 0) {
		rc = -errno;
		LOG_ERR("control socket %s: bind: %s", ctl->path, strerror(-rc));
		goto out;
	}
	/* Linux takes the socket file's mode from the umask at bind time; set the
	 * configured one before anyone may connect (we do not listen yet). */
	if (chmod(ctl->path, mode & 07777) < 0 || stat(ctl->path, &st) < 0
	    || listen(fd, TCTL_BACKLOG) < 0) {
		rc = -errno;
		LOG_ERR("control socket %s: %s", ctl->path, strerror(-rc));
		unlink(ctl->path);
		goto out;
	}
	ctl->dev = st.st_dev;
	ctl->ino = st.st_ino;
	*fdp = fd;
	return 0;
out:
	close(fd);
	return rc;
}

int tctl_new(struct event_base *base, const char *path, unsigned mode, tctl_t **out)
{
	tctl_t *ctl = NULL;
	int fd = -1, rc;

	*out = NULL;
	if (!base || !path || !*path)
		return -EINVAL;
	if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		LOG_ERR("control socket %s: path too long (max %zu bytes)", path,
		        sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
		return -ENAMETOOLONG;
	}
	ctl = calloc(1, sizeof *ctl);
	if (!ctl || !(ctl->path = strdup(path))) {
		rc = -ENOMEM;
		goto fail;
	}
	ctl->base = base;
	ctl->max_clients = TCTL_MAX_CLIENTS;
	ctl->idle_ms = TCTL_IDLE_TIMEOUT_MS;
	TAILQ_INIT(&ctl->clients);
	rc = tctl_register(ctl, "help", "list the commands", cmd_help, ctl);
	if (rc < 0)
		goto fail;
	rc = make_parents(path);
	if (rc < 0)
		goto fail;
	rc = bind_socket(ctl, mode, &fd);
	if (rc < 0)
		goto fail;
	ctl->retry_ev = evtimer_new(base, on_retry, ctl);
	ctl->listener = evconnlistener_new(base, on_accept, ctl,
	                                   LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (!ctl->retry_ev || !ctl->listener) {
		if (!ctl->listener)
			close(fd);
		unlink(path);
		rc = -ENOMEM;
		goto fail;
	}
	evconnlistener_set_error_cb(ctl->listener, on_accept_error);
	LOG_INFO("control socket listening on %s (mode %04o)", path, mode & 07777);
	*out = ctl;
	return 0;
fail:
	tctl_free(ctl);
	return rc;
}

void tctl_free(tctl_t *ctl)
{
	if (!ctl)
		return;
	while (!TAILQ_EMPTY(&ctl->clients))
		client_free(TAILQ_FIRST(&ctl->clients));
	if (ctl->listener) {
		struct stat st;
		evconnlistener_free(ctl->listener);
		/* Leave the file alone if someone else has put theirs there since. */
		if (lstat(ctl->path, &st) == 0 && st.st_dev == ctl->dev && st.st_ino == ctl->ino)
			unlink(ctl->path);
	}
	if (ctl->retry_ev)
		event_free(ctl->retry_ev);
	for (size_t i = 0; i < ctl->ncmds; i++)
		free(ctl->cmds[i].help);
	free(ctl->cmds);
	free(ctl->path);
	free(ctl);
}

const char *tctl_path(const tctl_t *ctl)
{
	return ctl->path;
}

void tctl_set_limits(tctl_t *ctl, unsigned max_clients, unsigned idle_timeout_ms)
{
	if (max_clients)
		ctl->max_clients = max_clients;
	if (idle_timeout_ms)
		ctl->idle_ms = idle_timeout_ms;
}
