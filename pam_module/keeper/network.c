/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * network = veth:BRIDGE: each copy's IPv4 address, chosen on the host, so
 * that the copy needs neither DHCP nor net_admin. Addresses come from
 * network_range, in the subnet of the bridge's own address (the copies'
 * gateway). One is taken under the ledger lock and written into the
 * session's record: no two records hold the same one, and a record keeps
 * its address until it is removed, so a copy that outlived its keeper
 * keeps its own until gc has destroyed it. The bridge is read before that
 * lock (copy_net_subnet): on a cluster it is a question to the cluster.
 * There the copies of other front doors may share the bridge and the
 * range: the addresses they hold, asked for before the lock, are not
 * picked either, and a clash of two doors' picks at the same moment is
 * the driver's to find (it says -EADDRINUSE) and the keeper picks again.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "copy.h"
#include "keeper.h"
#include "netaddr.h"
#include "util.h"

int keeper_net_subnet(const struct config *cfg, struct keeper_subnet *ret, struct tw_err *err)
{
	*ret = (struct keeper_subnet){ 0 };
	int r = copy_net_subnet(cfg, &ret->range, &ret->net, err);
	ret->on = r > 0;
	return r < 0 ? r : 0;
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

/*
 * Where this front door starts its search in a range that other front
 * doors may share: a point set by its host name (FNV-1a), so that doors
 * picking at the same moment mostly pick apart. One host alone starts at
 * the range's first address.
 */
static uint32_t door_start(void)
{
	char host[HOST_NAME_MAX + 1] = "";
	uint32_t h = 2166136261U;

	gethostname(host, sizeof(host) - 1);
	for (const char *p = host; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619U;
	return h;
}

int keeper_net_pick(const struct config *cfg, const struct keeper_subnet *sn,
		    const struct copy_elsewhere *others, char *ret_addr, size_t len,
		    struct tw_err *err)
{
	uint32_t a;
	if (!sn->on)
		return 0;
	if (len < NETADDR_STRLEN)
		return tw_err_set(err, ENAMETOOLONG, "no room for an address");
	_cleanup_free_ uint8_t *used = calloc(NETADDR_RANGE_MAX / 8, 1);
	struct taken t = { .range = &sn->range, .used = used };
	if (!used)
		return tw_err_set(err, ENOMEM, "out of memory");
	int r = ledger_foreach(TW_RUNDIR, mark_taken, &t);
	if (r < 0)
		return tw_err_set(err, -r, "cannot read the session ledger");
	for (size_t i = 0; others && i < others->n_addrs; i++)
		netaddr_mark(&sn->range, used, others->addrs[i]);
	if (netaddr_pick(&sn->range, &sn->net, used, others ? door_start() : 0, &a) < 0)
		return tw_err_set(err, EADDRNOTAVAIL,
				  "every address of network_range %s is taken by a live copy",
				  cfg->network_range);
	netaddr_format(a, ret_addr);
	return 0;
}

int keeper_net_spec(const struct keeper_subnet *sn, const char *addr, struct keeper_net *ret,
		    struct tw_err *err)
{
	uint32_t a;
	if (!sn->on || !addr[0])
		return 0;
	if (netaddr_parse(addr, &a) < 0)
		return tw_err_set(err, EINVAL, "the session's address '%s' is not one", addr);
	snprintf(ret->address, sizeof(ret->address), "%s/%u", addr, sn->net.prefix);
	netaddr_format(sn->net.gateway, ret->gateway);
	return 0;
}
