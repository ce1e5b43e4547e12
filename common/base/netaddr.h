/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * IPv4 addresses of copies on a bridge (network = veth:BRIDGE): the range
 * the admin gives (network_range = FIRST-LAST) and the choice of a free
 * address in it. Addresses are in host byte order here.
 */
#ifndef THROWAWAY_NETADDR_H
#define THROWAWAY_NETADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The most addresses a range may hold: what a pick looks through is bounded. */
#define NETADDR_RANGE_MAX 65536
/* "255.255.255.255" and its NUL. */
#define NETADDR_STRLEN 16

struct netaddr_range {
	uint32_t first, last; /* first <= last, at most NETADDR_RANGE_MAX of them */
};

/* A subnet: the bridge's own address in it (the copies' gateway) and its prefix. */
struct netaddr_net {
	uint32_t gateway;
	unsigned prefix; /* 8 ... 30: room for a network, a broadcast and hosts */
};

/* "A.B.C.D", dotted quad only. 0 or -EINVAL. */
int netaddr_parse(const char *s, uint32_t *ret);
/* "A.B.C.D-A.B.C.D", first <= last, at most NETADDR_RANGE_MAX. 0 or -EINVAL. */
int netaddr_parse_range(const char *s, struct netaddr_range *ret);
bool netaddr_range_valid(const char *s);

/* "A.B.C.D" into buf (NETADDR_STRLEN). */
void netaddr_format(uint32_t a, char *buf);

/* Is the whole range inside net, clear of its network and broadcast addresses? */
bool netaddr_range_in(const struct netaddr_range *r, const struct netaddr_net *net);

/*
 * The first address of r from its START-th on (modulo r's size, wrapping
 * round) that used does not mark (one bit per address of r, from first)
 * and that is not net's gateway. 0, or -EADDRNOTAVAIL when every one is
 * taken.
 */
int netaddr_pick(const struct netaddr_range *r, const struct netaddr_net *net, const uint8_t *used,
		 uint32_t start, uint32_t *ret);

/* Mark a in used (a bitmap over r), if a is in r. */
void netaddr_mark(const struct netaddr_range *r, uint8_t *used, uint32_t a);

#endif
