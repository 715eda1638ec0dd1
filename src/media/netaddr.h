/* netaddr.h - small socket-address helpers shared by the owner and worker
 * sides of the media plane. Pure functions, no allocation. */
#ifndef TANDEM_MEDIA_NETADDR_H
#define TANDEM_MEDIA_NETADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* An IPv4 or IPv6 socket address, 28 bytes instead of sockaddr_storage's
 * 128: the relay keeps several per leg in its hot data. */
typedef union na_addr {
	struct sockaddr sa;
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
} na_addr_t;

/* Fill *sa from an IPv4/IPv6 literal and a port. Returns 0 or -EINVAL. */
int na_from_str(na_addr_t *sa, const char *ip, uint16_t port);
/* Same family, address and port. */
bool na_equal(const na_addr_t *a, const na_addr_t *b);
/* Same family and address (port ignored). */
bool na_ip_equal(const na_addr_t *a, const na_addr_t *b);
uint16_t na_port(const na_addr_t *sa);
void na_set_port(na_addr_t *sa, uint16_t port);
socklen_t na_len(const na_addr_t *sa);
/* "ip:port" or "[ip6]:port"; "" for AF_UNSPEC. */
void na_format(const na_addr_t *sa, char *out, size_t outlen);
/* 0.0.0.0 or :: */
bool na_is_any(const na_addr_t *sa);

#endif
