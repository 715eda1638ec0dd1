/* cidr.h - IP address ranges: "192.0.2.0/24", "2001:db8::/32", "198.51.100.7".
 *
 * Used for the trusted sources of a trunk (its `acl` key): the config loader
 * checks the syntax, the SIP thread matches a request's source against it.
 * Pure functions, no allocation; an IPv4-mapped IPv6 address
 * (::ffff:192.0.2.1) matches IPv4 ranges.
 */
#ifndef TANDEM_CORE_CIDR_H
#define TANDEM_CORE_CIDR_H

#include <stdbool.h>
#include <stdint.h>

struct tcidr {
	int family;                 /* AF_INET or AF_INET6 */
	uint8_t addr[16];           /* network address (4 bytes used for IPv4) */
	unsigned bits;              /* prefix length */
};

/* Parse an address or address/bits. 0, or -EINVAL (bad address, bits out of
 * range, host bits set after the prefix). */
int tcidr_parse(const char *text, struct tcidr *out);

/* Is the address 'ip' (text) inside 'range'? An unparsable ip matches nothing. */
bool tcidr_match(const struct tcidr *range, const char *ip);

#endif
