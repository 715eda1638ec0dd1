/* sipauth - a minimal SIP phone that authenticates with digest, MD5 or SHA-256
 * (sipp only knows MD5 and answers whichever challenge comes first).
 *
 *   sipauth [options] HOST PORT
 *     -m METHOD   REGISTER (default) or INVITE
 *     -u USER     user name (default alice); -p PASSWORD (default secret)
 *     -a ALG      md5 or sha256: the challenge to answer (default sha256)
 *     -t          TCP (default UDP)
 *     -l PORT     local port to send from (default: any)
 *     -c PORT     port written in Contact (default: the local port); a
 *                 different one is what a phone behind NAT sends
 *     -e SECS     Expires of a REGISTER (default 120)
 *     -i ID       +sip.instance="<urn:uuid:ID>";reg-id=1 on the Contact
 *     -s NUMBER   called number of an INVITE (default 600)
 *     -n          send no credentials: only print the challenge
 *     -r          replay: after a 2xx, send the same credentials again
 *                 (same nonce and nonce-count; new branch and CSeq)
 *     -W SECS     wait before answering the challenge (makes a nonce stale)
 *     -U          after a REGISTER over TCP, wait on the same connection for
 *                 an INVITE and answer it (180, 200 with SDP), then its BYE
 *     -w MS       wait for each response at most MS ms (default 3000)
 *     -L IP       local address (default 127.0.0.1)
 *     -Z          REGISTER with "Contact: *" (remove every binding; use -e 0)
 *     -K SECS     after a REGISTER over TCP, stay connected SECS and print
 *                 "crlf N": the CRLF keepalives received (RFC 5626 s.4.4.1)
 *
 * Output, one line per event:
 *   "challenge ALG[,ALG...][ stale]" for a 401/407 (algorithms in header order)
 *   "STATUS METHOD" for every final response (e.g. "200 REGISTER")
 *   "invite received", "bye received" in -U mode
 * Exit status: 0 ran, 1 usage, 2 network error or timeout.
 *
 * Digest responses are computed with src/sip/digest.c (the server's own
 * code computes what it expects: a client bug and a server bug could cancel
 * out, so the tests also check against sipp's own MD5 implementation).
 */
#include "config.h"

#include <arpa/inet.h>
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

#include "sip/digest.h"

static struct {
	const char *host, *method, *user, *pass, *number, *instance;
	int port, lport, cport, expires, wait_ms, stale_wait, crlf_wait;
	bool tcp, nocred, replay, uas, star;
	enum tdigest_alg alg;
} o = { .method = "REGISTER", .user = "alice", .pass = "secret", .number = "600",
	.expires = 120, .wait_ms = 3000, .alg = TDIGEST_SHA256 };

static int fd = -1;
static struct sockaddr_in peer;
static char rbuf[65536];
static size_t rlen;
static unsigned cseq = 1;
static char callid[64], ftag[32], lip[32] = "127.0.0.1";
static char last_branch[32];
static bool ack_same_branch;
static unsigned crlf_seen;    /* the ACK of a non-2xx is part of the INVITE's transaction */

static int send_msg(const char *m)
{
	size_t n = strlen(m);
	ssize_t w = o.tcp ? send(fd, m, n, MSG_NOSIGNAL) :
		    sendto(fd, m, n, 0, (struct sockaddr *)&peer, sizeof peer);
	return w == (ssize_t)n ? 0 : -1;
}

/* One whole message into out (NUL-terminated); -1 on timeout/close. */
static int recv_msg(char *out, size_t cap, int ms)
{
	for (;;) {
		if (o.tcp) {
			char *end = memmem(rbuf, rlen, "\r\n\r\n", 4);
			if (end) {
				size_t hl = (size_t)(end - rbuf) + 4, cl = 0;
				char *p = strcasestr(rbuf, "\nContent-Length:");
				if (p && p < end)
					cl = strtoul(p + 16, NULL, 10);
				if (rlen >= hl + cl) {
					size_t n = hl + cl < cap ? hl + cl : cap - 1;
					memcpy(out, rbuf, n);
					out[n] = 0;
					memmove(rbuf, rbuf + hl + cl, rlen - hl - cl);
					rlen -= hl + cl;
					if (!strncmp(out, "\r\n", 2))
						continue;
					return 0;
				}
			}
		}
		struct pollfd pf = { fd, POLLIN, 0 };
		if (poll(&pf, 1, ms) <= 0)
			return -1;
		if (o.tcp) {
			ssize_t n = recv(fd, rbuf + rlen, sizeof rbuf - rlen - 1, 0);
			if (n <= 0)
				return -1;
			rlen += (size_t)n;
			rbuf[rlen] = 0;
			/* CRLF keepalives (RFC 5626) between messages */
			while (rlen >= 2 && rbuf[0] == '\r' && rbuf[1] == '\n') {
				memmove(rbuf, rbuf + 2, rlen - 2);
				rlen -= 2;
				crlf_seen++;
				/* a pong (single CRLF) keeps the server's ping happy */
				send(fd, "\r\n", 2, MSG_NOSIGNAL);
			}
		} else {
			ssize_t n = recv(fd, out, cap - 1, 0);
			if (n <= 0)
				return -1;
			out[n] = 0;
			if (n <= 4)
				continue;       /* a CRLF keepalive */
			return 0;
		}
	}
}

/* The value of header 'name' in msg (first one at or after *from), copied. */
static bool header(const char *msg, const char *name, char *out, size_t cap, const char **from)
{
	char pat[64];
	snprintf(pat, sizeof pat, "\n%s:", name);
	const char *p = strcasestr(from && *from ? *from : msg, pat);
	if (!p)
		return false;
	p += strlen(pat);
	while (*p == ' ')
		p++;
	size_t n = strcspn(p, "\r\n");
	if (n >= cap)
		n = cap - 1;
	memcpy(out, p, n);
	out[n] = 0;
	if (from)
		*from = p;
	return true;
}

static bool param(const char *h, const char *name, char *out, size_t cap)
{
	char pat[32];
	snprintf(pat, sizeof pat, "%s=", name);
	for (const char *p = h; (p = strcasestr(p, pat)); p++) {
		if (p != h && p[-1] != ' ' && p[-1] != ',' && p[-1] != ';')
			continue;
		p += strlen(pat);
		bool q = *p == '"';
		p += q;
		size_t n = strcspn(p, q ? "\"" : ", ");
		if (n >= cap)
			n = cap - 1;
		memcpy(out, p, n);
		out[n] = 0;
		return true;
	}
	return false;
}

static int status_of(const char *m) { return strncmp(m, "SIP/2.0 ", 8) ? 0 : atoi(m + 8); }

static void ruri(char *out, size_t cap)
{
	if (!strcmp(o.method, "INVITE"))
		snprintf(out, cap, "sip:%s@%s:%d", o.number, o.host, o.port);
	else
		snprintf(out, cap, "sip:%s:%d", o.host, o.port);
}

static void build(char *m, size_t cap, const char *method, const char *auth, const char *to_tag)
{
	char uri[256], contact[256], branch[32], body[512] = "", extra[256] = "";
	ruri(uri, sizeof uri);
	if (!strcmp(method, "ACK") && ack_same_branch)
		snprintf(branch, sizeof branch, "%s", last_branch);
	else
		snprintf(branch, sizeof branch, "z9hG4bK%08x", (unsigned)rand());
	snprintf(last_branch, sizeof last_branch, "%s", branch);
	snprintf(contact, sizeof contact, "<sip:%s@%s:%d;transport=%s>%s%s%s", o.user, lip, o.cport,
		 o.tcp ? "tcp" : "udp", o.instance ? ";+sip.instance=\"<urn:uuid:" : "",
		 o.instance ? o.instance : "", o.instance ? ">\";reg-id=1" : "");
	if (o.star && !strcmp(method, "REGISTER"))
		snprintf(contact, sizeof contact, "*");
	if (!strcmp(method, "REGISTER"))
		snprintf(extra, sizeof extra, "Expires: %d\r\n", o.expires);
	if (!strcmp(method, "INVITE"))
		snprintf(body, sizeof body,
			 "v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
			 "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n", lip, lip, o.cport + 1000);
	snprintf(m, cap,
		 "%s %s SIP/2.0\r\nVia: SIP/2.0/%s %s:%d;branch=%s;rport\r\nMax-Forwards: 70\r\n"
		 "From: <sip:%s@%s>;tag=%s\r\nTo: <sip:%s@%s>%s%s\r\nCall-ID: %s\r\nCSeq: %u %s\r\n"
		 "Contact: %s\r\n%s%sUser-Agent: sipauth\r\n%sContent-Length: %zu\r\n\r\n%s",
		 method, uri, o.tcp ? "TCP" : "UDP", lip, o.cport, branch, o.user, o.host, ftag,
		 !strcmp(o.method, "INVITE") ? o.number : o.user, o.host, to_tag ? ";tag=" : "",
		 to_tag ? to_tag : "", callid, cseq, method, contact, extra, auth ? auth : "",
		 body[0] ? "Content-Type: application/sdp\r\n" : "", strlen(body), body);
}

/* The Authorization line answering the challenge of o.alg in 'resp'. */
static int answer(const char *resp, bool proxy, unsigned nc, char *out, size_t cap)
{
	const char *from = NULL;
	char h[1024], alg[32];
	struct tdigest_resp r;
	while (header(resp, proxy ? "Proxy-Authenticate" : "WWW-Authenticate", h, sizeof h, &from)) {
		if (!param(h, "algorithm", alg, sizeof alg) ||
		    strcasecmp(alg, tdigest_alg_name(o.alg, false)))
			continue;
		memset(&r, 0, sizeof r);
		r.alg = o.alg;
		r.qop = true;
		r.nc = nc;
		snprintf(r.nc_text, sizeof r.nc_text, "%08x", nc);
		snprintf(r.username, sizeof r.username, "%s", o.user);
		param(h, "realm", r.realm, sizeof r.realm);
		param(h, "nonce", r.nonce, sizeof r.nonce);
		snprintf(r.cnonce, sizeof r.cnonce, "%08x", (unsigned)rand());
		ruri(r.uri, sizeof r.uri);
		char ha1[TDIGEST_HEX_MAX], rsp[TDIGEST_HEX_MAX];
		if (tdigest_ha1(o.alg, o.user, r.realm, o.pass, ha1) < 0 ||
		    tdigest_expected(&r, o.method, ha1, rsp) < 0)
			return -1;
		snprintf(out, cap,
			 "%s: Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", uri=\"%s\", "
			 "response=\"%s\", algorithm=%s, qop=auth, nc=%s, cnonce=\"%s\"\r\n",
			 proxy ? "Proxy-Authorization" : "Authorization", o.user, r.realm, r.nonce, r.uri,
			 rsp, alg, r.nc_text, r.cnonce);
		return 0;
	}
	return -1;
}

static void print_challenge(const char *resp, bool proxy)
{
	const char *from = NULL;
	char h[1024], alg[32], line[128] = "challenge ";
	bool stale = false, first = true;
	while (header(resp, proxy ? "Proxy-Authenticate" : "WWW-Authenticate", h, sizeof h, &from)) {
		if (param(h, "algorithm", alg, sizeof alg)) {
			strncat(line, first ? "" : ",", sizeof line - strlen(line) - 1);
			strncat(line, alg, sizeof line - strlen(line) - 1);
			first = false;
		}
		char st[16];
		if (param(h, "stale", st, sizeof st) && !strcasecmp(st, "true"))
			stale = true;
	}
	printf("%s%s\n", line, stale ? " stale" : "");
}

/* Send m and wait for its final response (into resp); returns the status. */
static int transact(const char *m, char *resp, size_t cap, const char *method)
{
	if (send_msg(m) < 0)
		return -1;
	for (;;) {
		if (recv_msg(resp, cap, o.wait_ms) < 0)
			return -1;
		int st = status_of(resp);
		char cs[64];
		if (st >= 200 && header(resp, "CSeq", cs, sizeof cs, NULL) && strstr(cs, method) &&
		    (unsigned)atoi(cs) == cseq) {
			printf("%d %s\n", st, method);
			if (getenv("SIPAUTH_DEBUG"))
				fprintf(stderr, "%s\n---\n%s\n", m, resp);
			return st;
		}
	}
}

static void ack_bye(const char *resp, bool bye)
{
	char to[256], tag[96] = "", m[4096], r[8192];
	if (header(resp, "To", to, sizeof to, NULL))
		param(to, "tag", tag, sizeof tag);
	unsigned keep = cseq;
	ack_same_branch = !bye;
	build(m, sizeof m, "ACK", NULL, tag);   /* with the INVITE's CSeq number */
	send_msg(m);
	if (!bye)
		return;
	cseq = keep + 1;
	build(m, sizeof m, "BYE", NULL, tag);
	transact(m, r, sizeof r, "BYE");
}

/* -U: answer the INVITE that comes over our own connection. */
static int serve_invite(void)
{
	char m[8192], out[4096], via[512], from[256], to[256], cid[256], cs[64];
	for (;;) {
		if (recv_msg(m, sizeof m, 20000) < 0)
			return 2;
		if (!strncmp(m, "SIP/2.0", 7))
			continue;
		bool inv = !strncmp(m, "INVITE ", 7), bye = !strncmp(m, "BYE ", 4);
		if (!inv && !bye && strncmp(m, "OPTIONS ", 8))
			continue;
		printf("%s received\n", inv ? "invite" : bye ? "bye" : "options");
		fflush(stdout);
		header(m, "Via", via, sizeof via, NULL);
		header(m, "From", from, sizeof from, NULL);
		header(m, "To", to, sizeof to, NULL);
		header(m, "Call-ID", cid, sizeof cid, NULL);
		header(m, "CSeq", cs, sizeof cs, NULL);
		const char *tag = strstr(to, "tag=") ? "" : ";tag=uas1";
		if (inv) {
			snprintf(out, sizeof out, "SIP/2.0 180 Ringing\r\nVia: %s\r\nFrom: %s\r\nTo: %s%s\r\n"
				 "Call-ID: %s\r\nCSeq: %s\r\nContent-Length: 0\r\n\r\n", via, from, to, tag, cid, cs);
			send_msg(out);
			const char *sdp = "v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
					  "t=0 0\r\nm=audio 39000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
			snprintf(out, sizeof out, "SIP/2.0 200 OK\r\nVia: %s\r\nFrom: %s\r\nTo: %s%s\r\n"
				 "Call-ID: %s\r\nCSeq: %s\r\nContact: <sip:%s@%s:%d;transport=tcp>\r\n"
				 "Content-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s",
				 via, from, to, tag, cid, cs, o.user, lip, o.cport, strlen(sdp), sdp);
		} else {
			snprintf(out, sizeof out, "SIP/2.0 200 OK\r\nVia: %s\r\nFrom: %s\r\nTo: %s\r\n"
				 "Call-ID: %s\r\nCSeq: %s\r\nContent-Length: 0\r\n\r\n", via, from, to, cid, cs);
		}
		send_msg(out);
		if (bye)
			return 0;
	}
}

static int usage(void)
{
	fprintf(stderr, "usage: sipauth [-m METHOD] [-u USER] [-p PASS] [-a md5|sha256] [-t] [-l PORT] "
		"[-c PORT] [-e SECS] [-i ID] [-s NUMBER] [-n] [-r] [-W SECS] [-U] [-w MS] [-L IP] [-Z] HOST PORT\n");
	return 1;
}

static int open_socket(void)
{
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons((uint16_t)o.lport) };
	inet_pton(AF_INET, lip, &me.sin_addr);
	fd = socket(AF_INET, o.tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof me) < 0)
		return -1;
	socklen_t sl = sizeof me;
	getsockname(fd, (struct sockaddr *)&me, &sl);
	o.lport = ntohs(me.sin_port);
	if (!o.cport)
		o.cport = o.lport;
	peer.sin_family = AF_INET;
	peer.sin_port = htons((uint16_t)o.port);
	if (inet_pton(AF_INET, o.host, &peer.sin_addr) != 1)
		return -1;
	if (o.tcp && connect(fd, (struct sockaddr *)&peer, sizeof peer) < 0)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	int ch;
	while ((ch = getopt(argc, argv, "m:u:p:a:tl:c:e:i:s:nrW:Uw:L:ZK:")) != -1) {
		switch (ch) {
		case 'm': o.method = optarg; break;
		case 'u': o.user = optarg; break;
		case 'p': o.pass = optarg; break;
		case 'a': o.alg = !strcasecmp(optarg, "md5") ? TDIGEST_MD5 : TDIGEST_SHA256; break;
		case 't': o.tcp = true; break;
		case 'l': o.lport = atoi(optarg); break;
		case 'c': o.cport = atoi(optarg); break;
		case 'e': o.expires = atoi(optarg); break;
		case 'i': o.instance = optarg; break;
		case 's': o.number = optarg; break;
		case 'n': o.nocred = true; break;
		case 'r': o.replay = true; break;
		case 'W': o.stale_wait = atoi(optarg); break;
		case 'U': o.uas = true; break;
		case 'w': o.wait_ms = atoi(optarg); break;
		case 'L': snprintf(lip, sizeof lip, "%s", optarg); break;
		case 'Z': o.star = true; break;
		case 'K': o.crlf_wait = atoi(optarg); break;
		default: return usage();
		}
	}
	if (argc - optind != 2)
		return usage();
	o.host = argv[optind];
	o.port = atoi(argv[optind + 1]);
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	snprintf(callid, sizeof callid, "%08x%08x@sipauth", (unsigned)rand(), (unsigned)getpid());
	snprintf(ftag, sizeof ftag, "%08x", (unsigned)rand());
	if (open_socket() < 0) {
		perror("sipauth: socket");
		return 2;
	}
	bool inv = !strcmp(o.method, "INVITE");
	char m[8192], resp[8192], auth[2048];
	build(m, sizeof m, o.method, NULL, NULL);
	int st = transact(m, resp, sizeof resp, o.method);
	if (st < 0)
		return 2;
	if (st != 401 && st != 407) {
		if (inv)
			ack_bye(resp, st < 300);
		return 0;
	}
	print_challenge(resp, st == 407);
	if (inv)
		ack_bye(resp, false);
	if (o.nocred)
		return 0;
	if (o.stale_wait)
		sleep((unsigned)o.stale_wait);
	if (answer(resp, st == 407, 1, auth, sizeof auth) < 0) {
		printf("no %s challenge\n", tdigest_alg_name(o.alg, false));
		return 0;
	}
	cseq++;
	build(m, sizeof m, o.method, auth, NULL);
	st = transact(m, resp, sizeof resp, o.method);
	if (st == 401 || st == 407)
		print_challenge(resp, st == 407);
	if (inv && st >= 200)
		ack_bye(resp, st < 300);
	if (st < 0)
		return 2;
	if (o.replay && st < 300) {
		cseq += 2;
		build(m, sizeof m, o.method, auth, NULL);
		st = transact(m, resp, sizeof resp, o.method);
		if (inv && st >= 200)
			ack_bye(resp, st < 300);
	}
	fflush(stdout);
	if (o.uas && o.tcp && st >= 200 && st < 300)
		return serve_invite();
	if (o.crlf_wait && o.tcp) {
		time_t end = time(NULL) + o.crlf_wait;
		while (time(NULL) < end)
			recv_msg(resp, sizeof resp, 500);
		printf("crlf %u\n", crlf_seen);
	}
	return 0;
}
