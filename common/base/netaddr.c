/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "netaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

int netaddr_parse(const char *s, uint32_t *ret)
{
	struct in_addr in;
	/* inet_pton takes only the dotted quad, no octal or short forms */
	if (!s || inet_pton(AF_INET, s, &in) != 1)
		return -EINVAL;
	*ret = ntohl(in.s_addr);
	return 0;
}

int netaddr_parse_range(const char *s, struct netaddr_range *ret)
{
	char first[NETADDR_STRLEN];
	const char *dash = s ? strchr(s, '-') : NULL;
	struct netaddr_range r;
	if (!dash || (size_t)(dash - s) >= sizeof(first))
		return -EINVAL;
	memcpy(first, s, (size_t)(dash - s));
	first[dash - s] = '\0';
	if (netaddr_parse(first, &r.first) < 0 || netaddr_parse(dash + 1, &r.last) < 0 ||
	    r.first > r.last || r.last - r.first >= NETADDR_RANGE_MAX)
		return -EINVAL;
	*ret = r;
	return 0;
}

bool netaddr_range_valid(const char *s)
{
	struct netaddr_range r;
	return netaddr_parse_range(s, &r) == 0;
}

void netaddr_format(uint32_t a, char *buf)
{
	snprintf(buf, NETADDR_STRLEN, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff,
		 a & 0xff);
}

static uint32_t mask_of(unsigned prefix)
{
	return prefix == 0 ? 0 : ~0U << (32 - prefix);
}

bool netaddr_range_in(const struct netaddr_range *r, const struct netaddr_net *net)
{
	if (net->prefix < 8 || net->prefix > 30)
		return false;
	uint32_t mask = mask_of(net->prefix), base = net->gateway & mask;
	/* the subnet's own first and last addresses are no host's */
	return (r->first & mask) == base && (r->last & mask) == base && r->first != base &&
	       r->last != (base | ~mask);
}

void netaddr_mark(const struct netaddr_range *r, uint8_t *used, uint32_t a)
{
	if (a < r->first || a > r->last)
		return;
	uint32_t i = a - r->first;
	used[i / 8] |= (uint8_t)(1U << (i % 8));
}

int netaddr_pick(const struct netaddr_range *r, const struct netaddr_net *net, const uint8_t *used,
		 uint32_t start, uint32_t *ret)
{
	uint64_t size = (uint64_t)(r->last - r->first) + 1;

	for (uint64_t n = 0; n < size; n++) {
		uint32_t i = (uint32_t)((start % size + n) % size);
		uint32_t a = r->first + i;
		if (!(used[i / 8] & (1U << (i % 8))) && a != net->gateway) {
			*ret = a;
			return 0;
		}
	}
	return -EADDRNOTAVAIL;
}
