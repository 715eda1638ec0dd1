/* netaddr.c - see netaddr.h. */
#include "config.h"
#include "media/netaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

int na_from_str(na_addr_t *sa, const char *ip, uint16_t port)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;

	memset(sa, 0, sizeof *sa);
	if (inet_pton(AF_INET, ip, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		return 0;
	}
	if (inet_pton(AF_INET6, ip, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		return 0;
	}
	return -EINVAL;
}

bool na_ip_equal(const na_addr_t *a, const na_addr_t *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->sa.sa_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			      &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
	return false;
}

uint16_t na_port(const na_addr_t *sa)
{
	if (sa->sa.sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	if (sa->sa.sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return 0;
}

void na_set_port(na_addr_t *sa, uint16_t port)
{
	if (sa->sa.sa_family == AF_INET)
		((struct sockaddr_in *)sa)->sin_port = htons(port);
	else if (sa->sa.sa_family == AF_INET6)
		((struct sockaddr_in6 *)sa)->sin6_port = htons(port);
}

bool na_equal(const na_addr_t *a, const na_addr_t *b)
{
	return na_port(a) == na_port(b) && na_ip_equal(a, b);
}

socklen_t na_len(const na_addr_t *sa)
{
	return sa->sa.sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

void na_format(const na_addr_t *sa, char *out, size_t outlen)
{
	char ip[INET6_ADDRSTRLEN] = "";

	if (sa->sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, ip, sizeof ip);
		snprintf(out, outlen, "%s:%u", ip, (unsigned)na_port(sa));
	} else if (sa->sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, ip, sizeof ip);
		snprintf(out, outlen, "[%s]:%u", ip, (unsigned)na_port(sa));
	} else if (outlen) {
		out[0] = '\0';
	}
}

bool na_is_any(const na_addr_t *sa)
{
	static const uint8_t zero[16];
	if (sa->sa.sa_family == AF_INET)
		return ((const struct sockaddr_in *)sa)->sin_addr.s_addr == 0;
	if (sa->sa.sa_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)sa)->sin6_addr, zero, 16) == 0;
	return true;
}
