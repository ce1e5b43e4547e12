/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The host's bridges, for copies with network = veth:BRIDGE: the subnet a
 * bridge's own address gives the copies (their gateway), and isolated
 * ports (rtnetlink, IFLA_BRPORT_ISOLATED), through which a copy reaches
 * the bridge and what lies beyond it, but no other isolated port: not
 * another copy. Root in the host's network namespace.
 */
#ifndef THROWAWAY_BRIDGE_H
#define THROWAWAY_BRIDGE_H

#include "netaddr.h"

/*
 * The IPv4 address of BRIDGE whose subnet holds all of r, as the copies'
 * gateway and prefix. 0, -ENODEV (no such interface) or -EADDRNOTAVAIL
 * (no address of it holds r).
 */
int bridge_subnet(const char *bridge, const struct netaddr_range *r, struct netaddr_net *ret);

/*
 * Make PORT, a port of BRIDGE, an isolated one: frames between it and
 * another isolated port are dropped by the bridge. 0, -ENODEV (no such
 * port of BRIDGE) or -errno from the kernel.
 */
int bridge_port_isolate(const char *port, const char *bridge);

#endif
