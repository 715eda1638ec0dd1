/* tandemctl - talk to a running tandemd over its control socket.
 *
 * Sends one request line (the command and its arguments, quoted where needed),
 * reads the one-line JSON reply and prints it, either as is (--json) or for
 * people: objects as aligned "key: value" lines, arrays of objects as tables,
 * short lists inline ("a, b"), long ones one item a line.
 * The protocol is described in src/core/ctl.h.
 *
 * Exit status: 0 the command succeeded, 1 tandemd answered with an error,
 * 2 tandemd could not be reached or did not answer, 64 bad usage.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#ifndef TANDEM_RUNSTATEDIR
#define TANDEM_RUNSTATEDIR "/run/tandem"
#endif

#define DEFAULT_SOCKET   TANDEM_RUNSTATEDIR "/tandemd.sock"
#define DEFAULT_TIMEOUT  10.0
#define MAX_REQUEST      4096           /* the server's limit, without '\n' */
#define MAX_REPLY        (64u << 20)
#define MAX_COLUMNS      64
#define INLINE_LIST_MAX  60             /* longer lists print one item a line */

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_NOSERVER = 2, EXIT_USAGE = 64 };

struct opts {
	const char *socket;
	double timeout;
	bool json;
};

static void usage(FILE *f)
{
	fprintf(f,
"Usage: tandemctl [-s SOCKET] [--json] [-t TIMEOUT] COMMAND [ARGS...]\n"
"Send COMMAND to a running tandemd and print its reply.\n"
"\n"
"  -s, --socket=PATH    control socket (default: $TANDEM_CTL_SOCKET, else\n"
"                       %s)\n"
"  -j, --json           print the reply as JSON, one object on one line\n"
"  -t, --timeout=SECS   give up after SECS seconds without a reply (default %g)\n"
"  -h, --help           show this help\n"
"  -V, --version        show the version\n"
"\n"
"Commands: 'tandemctl help' asks tandemd which commands it knows\n"
"(status, reload, ...). Arguments with spaces are quoted for you.\n"
"Exit status: 0 success, 1 tandemd reported an error, 2 tandemd not reachable\n"
"or no reply, 64 usage error. See tandemctl(8).\n",
	        DEFAULT_SOCKET, DEFAULT_TIMEOUT);
}

/* ---- request ------------------------------------------------------------- */

/* Join the words into one request line ending in '\n', double-quoting words
 * that are empty or hold spaces, tabs or quotes. Returns NULL (with a message)
 * if a word holds a control character or the line is too long. */
static char *build_request(int argc, char **argv)
{
	size_t cap = 2;
	for (int i = 0; i < argc; i++)
		cap += 2 * strlen(argv[i]) + 3;
	char *line = malloc(cap), *o = line;
	if (!line) {
		fprintf(stderr, "tandemctl: out of memory\n");
		return NULL;
	}
	for (int i = 0; i < argc; i++) {
		const char *w = argv[i];
		bool quote = *w == '\0' || strpbrk(w, " \t\"") != NULL;
		for (const unsigned char *p = (const unsigned char *)w; *p; p++) {
			if ((*p < 0x20 && *p != '\t') || *p == 0x7f) {
				fprintf(stderr, "tandemctl: word %d of the command contains a "
				        "control character\n", i + 1);
				free(line);
				return NULL;
			}
		}
		if (i)
			*o++ = ' ';
		if (quote)
			*o++ = '"';
		for (const char *p = w; *p; p++) {
			if (quote && (*p == '"' || *p == '\\'))
				*o++ = '\\';
			*o++ = *p;
		}
		if (quote)
			*o++ = '"';
	}
	if ((size_t)(o - line) > MAX_REQUEST) {
		fprintf(stderr, "tandemctl: request too long (%zu bytes, max %d)\n",
		        (size_t)(o - line), MAX_REQUEST);
		free(line);
		return NULL;
	}
	*o++ = '\n';
	*o = '\0';
	return line;
}

/* ---- talking to tandemd -------------------------------------------------- */

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* poll() one fd until 'deadline'; returns 1 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short events, double deadline)
{
	for (;;) {
		double left = deadline - now();
		if (left <= 0)
			return 0;
		struct pollfd p = { .fd = fd, .events = events };
		int rc = poll(&p, 1, (int)(left * 1000) + 1);
		if (rc > 0)
			return 1;
		if (rc < 0 && errno != EINTR)
			return -1;
	}
}

static int connect_to(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sun.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) < 0) {
		int err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* Send the request and read one reply line. Returns the line (without '\n',
 * NUL-terminated) or NULL after printing why. */
static char *roundtrip(int fd, const struct opts *o, const char *req)
{
	double deadline = now() + o->timeout;
	size_t len = strlen(req), off = 0;

	while (off < len) {
		int rc = wait_fd(fd, POLLOUT, deadline);
		ssize_t n = rc > 0 ? send(fd, req + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT) : -1;
		if (rc == 0)
			goto timeout;
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0) {
			fprintf(stderr, "tandemctl: sending to %s: %s\n", o->socket, strerror(errno));
			return NULL;
		}
		off += (size_t)n;
	}

	size_t cap = 4096, got = 0;
	char *buf = malloc(cap);
	while (buf) {
		char *nl = memchr(buf, '\n', got);
		if (nl) {
			*nl = '\0';
			return buf;
		}
		if (got + 1 >= cap) {
			char *nb = cap < MAX_REPLY ? realloc(buf, cap * 2) : NULL;
			if (!nb) {
				fprintf(stderr, "tandemctl: reply from %s too large\n", o->socket);
				free(buf);
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
		int rc = wait_fd(fd, POLLIN, deadline);
		if (rc == 0) {
			free(buf);
			goto timeout;
		}
		ssize_t n = rc > 0 ? recv(fd, buf + got, cap - got - 1, MSG_DONTWAIT) : -1;
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) {
			fprintf(stderr, "tandemctl: %s: %s\n", o->socket,
			        n == 0 ? "tandemd closed the connection without replying"
			               : strerror(errno));
			free(buf);
			return NULL;
		}
		got += (size_t)n;
	}
	fprintf(stderr, "tandemctl: out of memory\n");
	return NULL;
timeout:
	fprintf(stderr, "tandemctl: no reply from tandemd on %s within %g s\n",
	        o->socket, o->timeout);
	return NULL;
}

/* ---- printing for people ------------------------------------------------- */

/* Characters on screen, counting each UTF-8 sequence once. */
static size_t display_width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

static void pad(FILE *f, size_t n)
{
	while (n--)
		fputc(' ', f);
}

/* A scalar (or anything else, compactly) as text; caller frees. */
static char *scalar_text(json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		return strdup(json_string_value(v));
	case JSON_NULL:
		return strdup("-");
	case JSON_ARRAY: {
		/* a list of scalars: "a, b, c" */
		size_t n = json_array_size(v);
		if (n == 0)
			return strdup("(none)");
		char *acc = strdup("");
		for (size_t i = 0; acc && i < n; i++) {
			json_t *e = json_array_get(v, i);
			char *t = json_is_array(e) ? json_dumps(e, JSON_COMPACT) : scalar_text(e);
			char *next = NULL;
			if (t && asprintf(&next, "%s%s%s", acc, i ? ", " : "", t) < 0)
				next = NULL;
			free(t);
			free(acc);
			acc = next;
		}
		return acc;
	}
	default:
		return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(10));
	}
}

static bool is_table(json_t *v)
{
	if (!json_is_array(v) || json_array_size(v) == 0)
		return false;
	size_t i;
	json_t *e;
	json_array_foreach(v, i, e)
		if (!json_is_object(e))
			return false;
	return true;
}

/* A list of several scalars too long for one line (reload errors, ...) goes
 * below its key, one item a line. */
static bool is_long_list(json_t *v)
{
	if (!json_is_array(v) || json_array_size(v) < 2 || is_table(v))
		return false;
	char *t = scalar_text(v);
	bool longer = !t || display_width(t) > INLINE_LIST_MAX || strchr(t, '\n');
	free(t);
	return longer;
}

static bool is_block(json_t *v)
{
	return (json_is_object(v) && json_object_size(v) > 0) || is_table(v) || is_long_list(v);
}

/* Table cells stay on one line. */
static char *cell_text(json_t *v)
{
	char *t = json_is_object(v) ? json_dumps(v, JSON_COMPACT) : scalar_text(v);
	for (char *p = t; p && *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	return t;
}

static void print_table(FILE *f, json_t *rows, int indent)
{
	const char *cols[MAX_COLUMNS];
	size_t ncols = 0, width[MAX_COLUMNS], i, nrows = json_array_size(rows);
	const char *key;
	json_t *row, *v;

	json_array_foreach(rows, i, row) {
		json_object_foreach(row, key, v) {
			size_t c = 0;
			while (c < ncols && strcmp(cols[c], key) != 0)
				c++;
			if (c == ncols && ncols < MAX_COLUMNS) {
				cols[ncols] = key;
				width[ncols++] = display_width(key);
			}
		}
	}
	char **cells = calloc(nrows * ncols + 1, sizeof *cells);
	if (!cells)
		return;
	for (size_t r = 0; r < nrows; r++)
		for (size_t c = 0; c < ncols; c++) {
			v = json_object_get(json_array_get(rows, r), cols[c]);
			char *t = v ? cell_text(v) : strdup("");
			cells[r * ncols + c] = t;
			if (t && display_width(t) > width[c])
				width[c] = display_width(t);
		}
	pad(f, (size_t)indent);
	for (size_t c = 0; c < ncols; c++) {
		for (const char *p = cols[c]; *p; p++)
			fputc(toupper((unsigned char)*p), f);
		if (c + 1 < ncols)
			pad(f, width[c] - display_width(cols[c]) + 2);
	}
	fputc('\n', f);
	for (size_t r = 0; r < nrows; r++) {
		char **line = &cells[r * ncols];
		size_t last = ncols;            /* no trailing blanks for empty cells */
		while (last > 1 && line[last - 1] && !*line[last - 1])
			last--;
		pad(f, (size_t)indent);
		for (size_t c = 0; c < last; c++) {
			const char *t = line[c] ? line[c] : "?";
			fputs(t, f);
			if (c + 1 < last)
				pad(f, width[c] - display_width(t) + 2);
		}
		fputc('\n', f);
	}
	for (size_t k = 0; k < nrows * ncols; k++)
		free(cells[k]);
	free(cells);
}

static void print_list(FILE *f, json_t *list, int indent)
{
	size_t i;
	json_t *e;
	json_array_foreach(list, i, e) {
		char *t = json_is_array(e) ? json_dumps(e, JSON_COMPACT) : scalar_text(e);
		pad(f, (size_t)indent);
		fprintf(f, "- %s\n", t ? t : "?");
		free(t);
	}
}

/* "key: value" lines, values aligned; nested objects, tables and long lists
 * below their key, indented by two. */
static void print_object(FILE *f, json_t *obj, int indent)
{
	const char *key;
	json_t *v;
	size_t w = 0;

	json_object_foreach(obj, key, v)
		if (!is_block(v) && display_width(key) > w)
			w = display_width(key);
	json_object_foreach(obj, key, v) {
		pad(f, (size_t)indent);
		if (is_block(v)) {
			fprintf(f, "%s:\n", key);
			if (json_is_object(v))
				print_object(f, v, indent + 2);
			else if (is_table(v))
				print_table(f, v, indent + 2);
			else
				print_list(f, v, indent + 2);
			continue;
		}
		char *t = json_is_object(v) ? strdup("(none)") : scalar_text(v);
		fprintf(f, "%s:", key);
		pad(f, w - display_width(key) + 1);
		fprintf(f, "%s\n", t ? t : "?");
		free(t);
	}
}

/* ---- views: flat columns for tables whose rows nest objects ------------- */

/* A column: its header and the path of its value in a row ("leg_a.codec");
 * with path2, the cell is "VALUE/VALUE2" (in/out counters). */
struct view_col {
	const char *head, *path, *path2;
};

static const struct view_col calls_view[] = {
	{ "id", "id", NULL }, { "state", "state", NULL }, { "caller", "caller", NULL },
	{ "called", "called", NULL }, { "target", "target", NULL }, { "age_s", "age_s", NULL },
	{ "up_s", "connected_s", NULL },
	{ "a_codec", "leg_a.codec", NULL }, { "a_remote", "leg_a.remote", NULL },
	{ "a_in/out", "leg_a.packets_in", "leg_a.packets_out" },
	{ "b_codec", "leg_b.codec", NULL }, { "b_remote", "leg_b.remote", NULL },
	{ "b_in/out", "leg_b.packets_in", "leg_b.packets_out" },
	{ NULL, NULL, NULL },
};

static const struct {
	const char *key;                /* the reply's only key */
	const char *needs;              /* ... whose first row has this member */
	const struct view_col *cols;
} views[] = {
	{ "calls", "leg_a", calls_view },
};

static json_t *at_path(json_t *v, const char *path)
{
	char part[64];
	while (v && *path) {
		size_t n = strcspn(path, ".");
		if (n >= sizeof part)
			return NULL;
		memcpy(part, path, n);
		part[n] = '\0';
		v = json_object_get(v, part);
		path += n + (path[n] == '.');
	}
	return v;
}

/* The rows of 'list' through a view, as a new array of flat objects. */
static json_t *apply_view(json_t *list, const struct view_col *cols)
{
	json_t *out = json_array(), *row;
	size_t i;
	json_array_foreach(list, i, row) {
		json_t *flat = json_object();
		for (const struct view_col *c = cols; c->head; c++) {
			json_t *v = at_path(row, c->path);
			if (c->path2) {
				char *a = v ? scalar_text(v) : strdup("-");
				json_t *v2 = at_path(row, c->path2);
				char *b = v2 ? scalar_text(v2) : strdup("-");
				char *t = NULL;
				if (a && b && asprintf(&t, "%s/%s", a, b) < 0)
					t = NULL;
				json_object_set_new(flat, c->head, json_string(t ? t : "?"));
				free(a);
				free(b);
				free(t);
			} else {
				bool empty = !v || (json_is_string(v) && !*json_string_value(v));
				if (empty)
					json_object_set_new(flat, c->head, json_string("-"));
				else
					json_object_set(flat, c->head, v);
			}
		}
		json_array_append_new(out, flat);
	}
	return out;
}

static int print_human(json_t *reply, bool ok)
{
	json_object_del(reply, "ok");
	if (!ok) {
		json_t *err = json_object_get(reply, "error");
		fprintf(stderr, "tandemctl: %s\n",
		        json_is_string(err) ? json_string_value(err) : "command failed");
		json_object_del(reply, "error");
		print_object(stderr, reply, 2);
		return EXIT_FAILED;
	}
	if (json_object_size(reply) == 0) {
		printf("ok\n");
		return EXIT_OK;
	}
	/* A reply that is just one list (help, calls, ...) prints as a bare table. */
	if (json_object_size(reply) == 1) {
		json_t *only = json_object_iter_value(json_object_iter(reply));
		const char *key = json_object_iter_key(json_object_iter(reply));
		for (size_t i = 0; is_table(only) && i < sizeof views / sizeof views[0]; i++) {
			if (strcmp(key, views[i].key) ||
			    !json_object_get(json_array_get(only, 0), views[i].needs))
				continue;
			json_t *flat = apply_view(only, views[i].cols);
			print_table(stdout, flat, 0);
			json_decref(flat);
			return EXIT_OK;
		}
		if (is_table(only)) {
			print_table(stdout, only, 0);
			return EXIT_OK;
		}
	}
	print_object(stdout, reply, 0);
	return EXIT_OK;
}

/* ---- main ---------------------------------------------------------------- */

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "socket",  required_argument, NULL, 's' },
		{ "json",    no_argument,       NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help",    no_argument,       NULL, 'h' },
		{ "version", no_argument,       NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	char *end;

	/* '+': options after COMMAND belong to the command. */
	while ((c = getopt_long(argc, argv, "+s:jt:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o->socket = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 't':
			errno = 0;
			o->timeout = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(o->timeout > 0 && o->timeout <= 86400)) {
				fprintf(stderr, "tandemctl: bad timeout '%s' (seconds, > 0)\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		case 'V':
			printf("tandemctl %s\n", PACKAGE_VERSION);
			exit(EXIT_OK);
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "tandemctl: no command given\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	struct opts o = { .timeout = DEFAULT_TIMEOUT };
	const char *env = getenv("TANDEM_CTL_SOCKET");
	o.socket = env && *env ? env : DEFAULT_SOCKET;

	int rc = parse_opts(argc, argv, &o);
	if (rc != EXIT_OK)
		return rc;
	char *req = build_request(argc - optind, argv + optind);
	if (!req)
		return EXIT_USAGE;

	int fd = connect_to(o.socket);
	if (fd < 0) {
		int err = errno;
		fprintf(stderr, "tandemctl: cannot connect to %s: %s\n", o.socket, strerror(err));
		if (err == EACCES || err == EPERM)
			fprintf(stderr, "tandemctl: connecting needs write permission on the "
			        "socket: run as root or as a member of its group\n");
		else
			fprintf(stderr, "tandemctl: is tandemd running? Check the control_socket "
			        "setting in tandem.conf, or pass -s SOCKET\n");
		free(req);
		return EXIT_NOSERVER;
	}
	char *line = roundtrip(fd, &o, req);
	close(fd);
	free(req);
	if (!line)
		return EXIT_NOSERVER;

	json_error_t jerr;
	json_t *reply = json_loads(line, 0, &jerr);
	json_t *ok = json_object_get(reply, "ok");
	if (!json_is_object(reply) || !json_is_boolean(ok)) {
		fprintf(stderr, "tandemctl: malformed reply from %s: %s\n", o.socket,
		        reply ? "not a status object" : jerr.text);
		json_decref(reply);
		free(line);
		return EXIT_NOSERVER;
	}
	if (o.json) {
		printf("%s\n", line);
		rc = json_is_true(ok) ? EXIT_OK : EXIT_FAILED;
	} else {
		rc = print_human(reply, json_is_true(ok));
	}
	json_decref(reply);
	free(line);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "tandemctl: writing output: %s\n", strerror(errno));
		return EXIT_FAILED;
	}
	return rc;
}
