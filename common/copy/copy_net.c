/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * network = veth:BRIDGE: the range of a config's copies and the subnet of
 * the bridge that holds it, where the copies run: this host's bridge, or
 * the one the driver finds (lxd: asked of the cluster). For the keeper
 * (each login's address) and throwawayctl doctor.
 */
#include <errno.h>
#include <string.h>

#include "bridge.h"
#include "copy.h"

static int find_subnet(const struct copy_driver *drv, const struct config *cfg, const char *bridge,
		       const struct netaddr_range *range, struct netaddr_net *net,
		       struct tw_err *err)
{
	if (drv->bridge_subnet)
		return drv->bridge_subnet(cfg, bridge, range, net, err);
	return bridge_subnet(bridge, range, net);
}

int copy_net_subnet(const struct config *cfg, struct netaddr_range *ret_range,
		    struct netaddr_net *ret_net, struct tw_err *err)
{
	const struct copy_driver *drv = copy_driver_of(cfg);
	const char *bridge = config_bridge(cfg);

	if (!bridge)
		return 0;
	if (!cfg->network_range || netaddr_parse_range(cfg->network_range, ret_range) < 0)
		return tw_err_set(err, EINVAL, "network_range '%s' is not a range",
				  cfg->network_range ? cfg->network_range : "");
	int r = find_subnet(drv, cfg, bridge, ret_range, ret_net, err);
	if (r == -ENODEV)
		return tw_err_set(err, ENODEV, "the bridge %s does not exist %s", bridge,
				  drv->bridge_subnet ? "where the copies run" : "on this host");
	if (r == -EADDRNOTAVAIL)
		return tw_err_set(err, EADDRNOTAVAIL,
				  "the bridge %s has no IPv4 address whose subnet holds "
				  "network_range %s",
				  bridge, cfg->network_range);
	if (r < 0 && (!err || !err->msg[0]))
		return tw_err_set(err, -r, "cannot read the bridge %s (%s)", bridge, strerror(-r));
	return r < 0 ? r : 1;
}
