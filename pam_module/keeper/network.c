/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * network = veth:BRIDGE: each copy's IPv4 address, chosen on the host, so
 * that the copy needs neither DHCP nor net_admin. Addresses come from
 * network_range, in the subnet of the bridge's own address (the copies'
 * gateway). One is taken under the ledger lock and written into the
 * session's record: no two records hold the same one, and a record keeps
 * its address until it is removed, so a copy that outlived its keeper
 * keeps its own until gc has destroyed it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge.h"
#include "cleanup.h"
#include "keeper.h"
#include "netaddr.h"
#include "util.h"

static bool on_bridge(const struct config *cfg)
{
	return strncmp(cfg->network, "veth:", 5) == 0;
}

/* The range and the bridge's subnet that holds it; err names what is wrong. */
static int subnet(const struct config *cfg, struct netaddr_range *range, struct netaddr_net *net,
		  struct tw_err *err)
{
	const char *bridge = cfg->network + strlen("veth:");
	if (netaddr_parse_range(cfg->network_range, range) < 0)
		return tw_err_set(err, EINVAL, "network_range '%s' is not a range",
				  cfg->network_range);
	int r = bridge_subnet(bridge, range, net);
	if (r == -ENODEV)
		return tw_err_set(err, ENODEV, "the bridge %s does not exist on this host", bridge);
	if (r < 0)
		return tw_err_set(err, -r,
				  "the bridge %s has no IPv4 address whose subnet holds "
				  "network_range %s",
				  bridge, cfg->network_range);
	return 0;
}

struct taken {
	const struct netaddr_range *range;
	uint8_t *used;
};

static int mark_taken(const struct ledger_entry *e, void *data)
{
	struct taken *t = data;
	uint32_t a;
	if (e->addr[0] && netaddr_parse(e->addr, &a) == 0)
		netaddr_mark(t->range, t->used, a);
	return 0;
}

int keeper_net_pick(const struct config *cfg, char *ret_addr, size_t len, struct tw_err *err)
{
	struct netaddr_range range = { 0 };
	struct netaddr_net net = { 0 };
	uint32_t a;
	if (!on_bridge(cfg))
		return 0;
	if (len < NETADDR_STRLEN)
		return tw_err_set(err, ENAMETOOLONG, "no room for an address");
	int r = subnet(cfg, &range, &net, err);
	if (r < 0)
		return r;
	_cleanup_free_ uint8_t *used = calloc(NETADDR_RANGE_MAX / 8, 1);
	struct taken t = { .range = &range, .used = used };
	if (!used)
		return tw_err_set(err, ENOMEM, "out of memory");
	if ((r = ledger_foreach(TW_RUNDIR, mark_taken, &t)) < 0)
		return tw_err_set(err, -r, "cannot read the session ledger");
	if (netaddr_pick(&range, &net, used, &a) < 0)
		return tw_err_set(err, EADDRNOTAVAIL,
				  "every address of network_range %s is taken by a live copy",
				  cfg->network_range);
	netaddr_format(a, ret_addr);
	return 0;
}

int keeper_net_spec(const struct config *cfg, const char *addr, struct keeper_net *ret,
		    struct tw_err *err)
{
	struct netaddr_range range = { 0 };
	struct netaddr_net net = { 0 };
	uint32_t a;
	if (!on_bridge(cfg) || !addr[0])
		return 0;
	int r = subnet(cfg, &range, &net, err);
	if (r < 0)
		return r;
	if (netaddr_parse(addr, &a) < 0)
		return tw_err_set(err, EINVAL, "the session's address '%s' is not one", addr);
	snprintf(ret->address, sizeof(ret->address), "%s/%u", addr, net.prefix);
	netaddr_format(net.gateway, ret->gateway);
	return 0;
}
