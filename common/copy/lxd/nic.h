/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A copy's network as LXD devices and config, as the lxc driver has it:
 * with network = none no interface but loopback, whatever the origin or
 * the profiles it takes would give it; with network = veth:BRIDGE one
 * interface, eth0, on BRIDGE of the member it runs on (an isolated port
 * unless network_peers = yes), its address and gateway set from outside
 * (liblxc's lxc.net.0.ipv4.*, the only raw.lxc network keys LXD takes),
 * so that the copy needs neither DHCP nor net_admin.
 */
#ifndef THROWAWAY_LXD_NIC_H
#define THROWAWAY_LXD_NIC_H

#include <json-c/json.h>
#include <stddef.h>

#include "api.h"
#include "copy.h"
#include "netaddr.h"

#define LXD_NICS_MAX 8 /* inherited interfaces a copy's devices mask */
#define LXD_NIC_NAME_MAX 64

/* The interfaces a copy would inherit: their device names. */
struct lxd_nics {
	char names[LXD_NICS_MAX][LXD_NIC_NAME_MAX];
	size_t n;
	bool more; /* more than LXD_NICS_MAX: the copy is refused */
};

/* The nic devices of DEVICES (an instance's expanded_devices, a profile's devices) into ret. */
void lxd_nics_of(json_object *devices, struct lxd_nics *ret);

/*
 * The network of S into D (the instance's devices): each of INHERITED
 * masked (a device of type none), then eth0 on the bridge if S has one.
 * 0 or -ENOMEM.
 */
int lxd_nic_devices(json_object *d, const struct copy_spec *s, const struct lxd_nics *inherited);

/* The raw.lxc lines that give eth0 S's address and gateway into buf; "" without. */
void lxd_nic_raw(const struct copy_spec *s, char *buf, size_t len);

/*
 * The address of BRIDGE whose subnet holds R, on the member TARGET (NULL,
 * or an "@group": the member C talks to; in a cluster every member's
 * bridge must have the same one), from LXD's view of the member's
 * interfaces. 0, -ENODEV, -EADDRNOTAVAIL, or -errno with err.
 */
int lxd_bridge_subnet(struct lxd_conn *c, const char *bridge, const char *target,
		      const struct netaddr_range *r, struct netaddr_net *ret, struct tw_err *err);

#endif
