/* udptlprobe - send UDPTL-shaped datagrams (T.38 over UDP, ITU-T T.38 9.1)
 * and check the ones that come back arrive byte for byte.
 *
 *   udptlprobe -l PORT -r HOST:PORT|@FILE [-n N] [-d MS] [-W MS]
 *     -l PORT   local UDP port on 127.0.0.1; sent from it too
 *     -r        where to send; "@FILE" waits for FILE to hold "HOST PORT"
 *     -n N      datagrams to send, one per 20 ms (default 100)
 *     -d MS     keep receiving MS ms after the last one sent (default 500)
 *     -W MS     how long to wait for @FILE (default 15000)
 *   Prints: sent=N recv=M intact=K src=IP:PORT
 *
 * Each datagram: sequence number (16 bits), the primary IFP as an open type
 * (length 12, bytes derived from the sequence number), no redundancy. The
 * first byte is 0x00, so an RTP parser would refuse it (version 0): only an
 * opaque relay delivers it. 'intact' counts received datagrams equal to what
 * their sequence number says was sent.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DGRAM_LEN 16

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void make(uint16_t seq, uint8_t *b)
{
	b[0] = 0x00;                    /* sequence numbers below 256 here */
	b[1] = (uint8_t)seq;
	b[2] = 12;                      /* primary IFP length */
	for (int i = 0; i < 12; i++)
		b[3 + i] = (uint8_t)(seq * 31u + (unsigned)i * 7u + 0x41u);
	b[15] = 0x00;                   /* no secondary IFPs */
}

static int parse_target(const char *s, struct sockaddr_in *to)
{
	char host[64];
	unsigned port;
	if (sscanf(s, "%63[^: ]%*[: ]%u", host, &port) != 2 || port == 0 || port > 65535)
		return -1;
	memset(to, 0, sizeof *to);
	to->sin_family = AF_INET;
	to->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &to->sin_addr) == 1 ? 0 : -1;
}

static int wait_target(const char *spec, unsigned wait_ms, struct sockaddr_in *to)
{
	if (spec[0] != '@')
		return parse_target(spec, to);
	uint64_t end = now_ms() + wait_ms;
	while (now_ms() < end) {
		FILE *f = fopen(spec + 1, "r");
		char line[128];
		if (f && fgets(line, sizeof line, f) && parse_target(line, to) == 0) {
			fclose(f);
			return 0;
		}
		if (f)
			fclose(f);
		usleep(20000);
	}
	return -1;
}

int main(int argc, char **argv)
{
	unsigned lport = 0, n = 100, linger = 500, wait_ms = 15000;
	const char *target = NULL;
	int opt;
	while ((opt = getopt(argc, argv, "l:r:n:d:W:")) != -1) {
		switch (opt) {
		case 'l': lport = (unsigned)atoi(optarg); break;
		case 'r': target = optarg; break;
		case 'n': n = (unsigned)atoi(optarg); break;
		case 'd': linger = (unsigned)atoi(optarg); break;
		case 'W': wait_ms = (unsigned)atoi(optarg); break;
		default: return 1;
		}
	}
	if (!lport || !target || n > 255)
		return 1;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons((uint16_t)lport) };
	inet_pton(AF_INET, "127.0.0.1", &me.sin_addr);
	if (fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof me) < 0) {
		perror("udptlprobe: bind");
		return 2;
	}
	struct sockaddr_in to;
	if (wait_target(target, wait_ms, &to) < 0) {
		fprintf(stderr, "udptlprobe: no target from %s\n", target);
		printf("sent=0 recv=0 intact=0 src=-\n");
		return 0;
	}
	unsigned sent = 0, recv = 0, intact = 0;
	char src[64] = "-";
	uint64_t next = now_ms(), end = 0;
	for (;;) {
		uint64_t t = now_ms();
		if (sent < n && t >= next) {
			uint8_t b[DGRAM_LEN];
			make((uint16_t)sent, b);
			if (sendto(fd, b, sizeof b, 0, (struct sockaddr *)&to, sizeof to) == (ssize_t)sizeof b)
				sent++;
			next += 20;
			if (sent == n)
				end = now_ms() + linger;
		}
		if (sent == n && t >= end)
			break;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int wait = sent < n ? (int)(next > t ? next - t : 0) : (int)(end > t ? end - t : 0);
		if (poll(&p, 1, wait) <= 0)
			continue;
		uint8_t b[2048], want[DGRAM_LEN];
		struct sockaddr_in from;
		socklen_t fl = sizeof from;
		ssize_t r = recvfrom(fd, b, sizeof b, 0, (struct sockaddr *)&from, &fl);
		if (r < 0)
			continue;
		if (recv++ == 0) {
			char ip[INET_ADDRSTRLEN];
			inet_ntop(AF_INET, &from.sin_addr, ip, sizeof ip);
			snprintf(src, sizeof src, "%s:%u", ip, (unsigned)ntohs(from.sin_port));
		}
		if (r == DGRAM_LEN) {
			make(b[1], want);
			if (!memcmp(b, want, DGRAM_LEN))
				intact++;
		}
	}
	printf("sent=%u recv=%u intact=%u src=%s\n", sent, recv, intact, src);
	return 0;
}
