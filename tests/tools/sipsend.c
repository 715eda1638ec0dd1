/* sipsend - send one raw SIP message from a file and print the responses.
 *
 *   sipsend [-t] [-a] [-n] [-x] [-w MS] [-e MS] [-o FILE] HOST PORT FILE
 *     -t      send over TCP (default UDP); the connection stays open while waiting
 *     -a      rewrite every Via header, not just the first one (for files that
 *             hold several messages, like RFC 4475's dblreq)
 *     -n      send the file byte for byte (no Via rewrite)
 *     -w MS   wait at most MS milliseconds for responses (default 1000)
 *     -e MS   stop MS milliseconds after the first final (>= 200) response
 *             (default: wait the whole -w time)
 *     -o FILE append every response received, in full, to FILE
 *     -x      print the message as it would be sent, and exit (no network)
 *
 * Before sending, the sent-by (host[:port]) and transport of the top Via are
 * replaced with this tool's own socket (127.0.0.1:PORT, UDP or TCP) so the
 * answer comes back here; everything else in the file is kept byte-exact,
 * including NULs, folding and odd whitespace.
 *
 * Output, one line per response received: "STATUS CSEQ-METHOD", e.g.
 * "404 INVITE"; "? ?" when the response cannot be read. Over TCP a line
 * "closed" is printed if the peer closes the connection. Exit status: 0 sent,
 * 1 usage, 2 system error (cannot read, connect or send).
 *
 * A test tool: plain C, no dependencies, no heap limits worth mentioning.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_MSG (256 * 1024)

struct buf {
	char *p;
	size_t len, cap;
};

static int buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *p = realloc(b->p, cap);
		if (!p)
			return -ENOMEM;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Linear white space at p, including folded line breaks (CRLF or LF followed
 * by SP/HTAB). Returns the index after it. */
static size_t skip_lws(const char *s, size_t i, size_t n)
{
	for (;;) {
		if (i < n && (s[i] == ' ' || s[i] == '\t')) {
			i++;
		} else if (i + 2 < n && s[i] == '\r' && s[i + 1] == '\n' &&
			   (s[i + 2] == ' ' || s[i + 2] == '\t')) {
			i += 3;
		} else if (i + 1 < n && s[i] == '\n' && (s[i + 1] == ' ' || s[i + 1] == '\t')) {
			i += 2;
		} else {
			return i;
		}
	}
}

static bool is_token_char(char c)
{
	return isalnum((unsigned char)c) || (c && strchr("-.!%*_+`'~", c));
}

/* If a header line starts at 'i' and is a Via (long or compact form),
 * return the index just after its ':'; else 0. */
static size_t via_value_start(const char *s, size_t i, size_t n)
{
	size_t j = i;
	while (j < n && is_token_char(s[j]))
		j++;
	size_t namelen = j - i;
	bool via = (namelen == 3 && !strncasecmp(s + i, "via", 3)) ||
		   (namelen == 1 && (s[i] == 'v' || s[i] == 'V'));
	if (!via)
		return 0;
	while (j < n && (s[j] == ' ' || s[j] == '\t'))
		j++;
	return (j < n && s[j] == ':') ? j + 1 : 0;
}

/* Rewrite one Via value starting at 'i' (just after the colon): keep the
 * protocol name and version as they are, replace the transport token and the
 * sent-by. Appends the result up to the end of the sent-by to 'out' and
 * returns the index in 's' where copying continues. On anything it does not
 * understand, returns 'i' (nothing rewritten). */
static size_t rewrite_via(const char *s, size_t i, size_t n, const char *tp,
			  const char *sentby, struct buf *out)
{
	size_t j = skip_lws(s, i, n);
	/* protocol-name SLASH protocol-version SLASH */
	for (int part = 0; part < 2; part++) {
		while (j < n && is_token_char(s[j]))
			j++;
		j = skip_lws(s, j, n);
		if (j >= n || s[j] != '/')
			return i;
		j = skip_lws(s, j + 1, n);
	}
	size_t tp_start = j;
	while (j < n && is_token_char(s[j]))
		j++;
	if (j == tp_start)
		return i;
	size_t tp_end = j;
	j = skip_lws(s, j, n);
	size_t host_start = j;
	if (j < n && s[j] == '[') {
		while (j < n && s[j] != ']')
			j++;
		if (j < n)
			j++;
	} else {
		while (j < n && (isalnum((unsigned char)s[j]) || s[j] == '.' || s[j] == '-' ||
				 s[j] == '_'))
			j++;
	}
	if (j == host_start)
		return i;
	size_t k = skip_lws(s, j, n);
	if (k < n && s[k] == ':') {
		k = skip_lws(s, k + 1, n);
		while (k < n && isdigit((unsigned char)s[k]))
			k++;
		j = k;
	}
	if (buf_add(out, s + i, tp_start - i) < 0 || buf_add(out, tp, strlen(tp)) < 0 ||
	    buf_add(out, s + tp_end, host_start - tp_end) < 0 ||
	    buf_add(out, sentby, strlen(sentby)) < 0)
		return i;
	return j;
}

/* Copy 'in' to 'out', rewriting the first Via header (or all with 'all').
 * Headers are recognised at the start of a line. */
static int rewrite_message(const char *s, size_t n, bool all, const char *tp,
			   const char *sentby, struct buf *out)
{
	bool done = false;
	size_t i = 0, copied = 0;
	while (i < n) {
		/* i is at the start of a line */
		size_t v = (!done || all) ? via_value_start(s, i, n) : 0;
		if (v) {
			if (buf_add(out, s + copied, v - copied) < 0)
				return -ENOMEM;
			size_t len0 = out->len;
			size_t cont = rewrite_via(s, v, n, tp, sentby, out);
			if (cont == v)
				out->len = len0;
			else
				done = true;
			copied = cont;
			i = cont;
		}
		const char *nl = memchr(s + i, '\n', n - i);
		if (!nl)
			break;
		i = (size_t)(nl - s) + 1;
	}
	return buf_add(out, s + copied, n - copied);
}

/* --- responses ------------------------------------------------------------ */

/* Find header 'name' (or compact 'c') in the header block [s, s+n); returns
 * a pointer to its value, with *len set, or NULL. Unfolds nothing. */
static const char *find_header(const char *s, size_t n, const char *name, char c, size_t *len)
{
	size_t i = 0;
	while (i < n) {
		const char *nl = memchr(s + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - s) : n;
		size_t j = i;
		while (j < end && is_token_char(s[j]))
			j++;
		size_t nl_ = j - i;
		bool match = (nl_ == strlen(name) && !strncasecmp(s + i, name, nl_)) ||
			     (c && nl_ == 1 && tolower((unsigned char)s[i]) == c);
		while (j < end && (s[j] == ' ' || s[j] == '\t'))
			j++;
		if (match && j < end && s[j] == ':') {
			j++;
			while (j < end && (s[j] == ' ' || s[j] == '\t'))
				j++;
			size_t e = end;
			while (e > j && (s[e - 1] == '\r' || s[e - 1] == ' '))
				e--;
			*len = e - j;
			return s + j;
		}
		i = end + 1;
	}
	return NULL;
}

static void report(const char *msg, size_t n, FILE *dump)
{
	int status = 0;
	char method[64] = "?";
	if (n > 12 && !strncmp(msg, "SIP/2.0 ", 8) && isdigit((unsigned char)msg[8]))
		status = atoi(msg + 8);
	size_t vl;
	const char *cseq = find_header(msg, n, "cseq", 0, &vl);
	if (cseq) {
		size_t k = 0;
		while (k < vl && isdigit((unsigned char)cseq[k]))
			k++;
		while (k < vl && (cseq[k] == ' ' || cseq[k] == '\t'))
			k++;
		size_t m = 0;
		while (k < vl && m + 1 < sizeof method && !isspace((unsigned char)cseq[k]))
			method[m++] = cseq[k++];
		if (m)
			method[m] = '\0';
	}
	if (status)
		printf("%d %s\n", status, method);
	else
		printf("? ?\n");
	fflush(stdout);
	if (dump) {
		fwrite(msg, 1, n, dump);
		fputs("\n----\n", dump);
		fflush(dump);
	}
}

/* Split a TCP stream into messages: headers end at an empty line, the body
 * is Content-Length octets. Returns the bytes consumed (0: need more). */
static size_t tcp_frame(const char *s, size_t n, FILE *dump)
{
	const char *end = NULL;
	for (size_t i = 0; i + 3 < n; i++)
		if (!memcmp(s + i, "\r\n\r\n", 4)) {
			end = s + i + 4;
			break;
		}
	if (!end)
		return 0;
	size_t hl = (size_t)(end - s), vl;
	const char *cl = find_header(s, hl, "content-length", 'l', &vl);
	size_t body = cl ? strtoul(cl, NULL, 10) : 0;
	if (hl + body > n)
		return 0;
	report(s, hl + body, dump);
	return hl + body;
}

static void usage(void)
{
	fprintf(stderr, "usage: sipsend [-t] [-a] [-n] [-x] [-w MS] [-e MS] [-o FILE] HOST PORT FILE\n");
	exit(1);
}

static int read_file(const char *path, struct buf *b)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -errno;
	char tmp[4096];
	size_t r;
	while ((r = fread(tmp, 1, sizeof tmp, f)) > 0)
		if (b->len + r > MAX_MSG || buf_add(b, tmp, r) < 0) {
			fclose(f);
			return -EFBIG;
		}
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	bool tcp = false, all = false, raw = false, show = false;
	long wait_ms = 1000, end_ms = -1;
	const char *dump_path = NULL;
	int opt;
	while ((opt = getopt(argc, argv, "tanxw:e:o:")) != -1) {
		switch (opt) {
		case 't': tcp = true; break;
		case 'a': all = true; break;
		case 'n': raw = true; break;
		case 'x': show = true; break;
		case 'w': wait_ms = atol(optarg); break;
		case 'e': end_ms = atol(optarg); break;
		case 'o': dump_path = optarg; break;
		default: usage();
		}
	}
	if (argc - optind != 3)
		usage();

	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[optind + 1])) };
	if (inet_pton(AF_INET, argv[optind], &dst.sin_addr) != 1)
		usage();
	struct buf in = { 0 }, out = { 0 };
	int rc = read_file(argv[optind + 2], &in);
	if (rc < 0) {
		fprintf(stderr, "sipsend: %s: %s\n", argv[optind + 2], strerror(-rc));
		return 2;
	}
	FILE *dump = dump_path ? fopen(dump_path, "a") : NULL;

	int fd = socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t ml = sizeof me;
	if (fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof me) < 0 ||
	    getsockname(fd, (struct sockaddr *)&me, &ml) < 0 ||
	    (tcp && connect(fd, (struct sockaddr *)&dst, sizeof dst) < 0)) {
		fprintf(stderr, "sipsend: socket: %s\n", strerror(errno));
		return 2;
	}
	char sentby[64];
	snprintf(sentby, sizeof sentby, "127.0.0.1:%u", ntohs(me.sin_port));
	if (raw)
		buf_add(&out, in.p, in.len);
	else if (rewrite_message(in.p, in.len, all, tcp ? "TCP" : "UDP", sentby, &out) < 0)
		return 2;
	if (show) {
		fwrite(out.p, 1, out.len, stdout);
		return 0;
	}

	ssize_t w = tcp ? send(fd, out.p, out.len, MSG_NOSIGNAL)
			: sendto(fd, out.p, out.len, 0, (struct sockaddr *)&dst, sizeof dst);
	if (w != (ssize_t)out.len) {
		fprintf(stderr, "sipsend: send: %s\n", w < 0 ? strerror(errno) : "short write");
		return 2;
	}

	struct buf stream = { 0 };
	long long deadline = now_ms() + wait_ms;
	bool open = true;
	for (;;) {
		long long left = deadline - now_ms();
		if (left <= 0 || !open)
			break;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		char msg[65536];
		ssize_t r = recv(fd, msg, sizeof msg - 1, 0);
		if (r < 0) {
			if (errno == EINTR || errno == ECONNREFUSED)
				continue;
			break;
		}
		if (tcp && r == 0) {
			printf("closed\n");
			open = false;
			break;
		}
		bool final = false;
		if (tcp) {
			buf_add(&stream, msg, (size_t)r);
			size_t used;
			while (stream.len && (used = tcp_frame(stream.p, stream.len, dump)) > 0) {
				if (stream.len > 8 && !strncmp(stream.p, "SIP/2.0 ", 8) &&
				    stream.p[8] >= '2')
					final = true;
				memmove(stream.p, stream.p + used, stream.len - used);
				stream.len -= used;
			}
		} else {
			msg[r] = '\0';
			report(msg, (size_t)r, dump);
			final = r > 8 && !strncmp(msg, "SIP/2.0 ", 8) && msg[8] >= '2';
		}
		if (final && end_ms >= 0 && now_ms() + end_ms < deadline)
			deadline = now_ms() + end_ms;
	}
	if (dump)
		fclose(dump);
	close(fd);
	free(in.p);
	free(out.p);
	free(stream.p);
	return 0;
}
