/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A copy's network as LXD devices and config (nic.h). */
#include "nic.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

#define PATH_SIZE 512

void lxd_nics_of(json_object *devices, struct lxd_nics *ret)
{
	*ret = (struct lxd_nics){ 0 };
	if (!devices || !json_object_is_type(devices, json_type_object))
		return;
	json_object_object_foreach(devices, name, dev)
	{
		const char *type = lxd_str(dev, "type");
		if (!type || strcmp(type, "nic") != 0)
			continue;
		if (ret->n == LXD_NICS_MAX || strlen(name) >= LXD_NIC_NAME_MAX) {
			ret->more = true;
			continue;
		}
		snprintf(ret->names[ret->n++], LXD_NIC_NAME_MAX, "%s", name);
	}
}

/* A device NAME of KEYS (key, value, ..., NULL) into D. */
static int add_device(json_object *d, const char *name, const char *const *keys)
{
	json_object *dev = json_object_new_object();
	int r = dev ? 0 : -ENOMEM;

	for (size_t i = 0; r >= 0 && keys[i]; i += 2)
		r = lxd_add_str(dev, keys[i], keys[i + 1]);
	if (r >= 0 && json_object_object_add(d, name, dev) != 0)
		r = -ENOMEM;
	if (r < 0 && dev)
		json_object_put(dev);
	return r;
}

int lxd_nic_devices(json_object *d, const struct copy_spec *s, const struct lxd_nics *inherited)
{
	static const char *const none[] = { "type", "none", NULL };
	const char *bridge = config_bridge(s->cfg);
	int r = 0;

	/* The origin's and the profiles' interfaces are never a copy's (as
	 * lxc.net is cleared on the lxc driver): each becomes nothing. */
	for (size_t i = 0; r >= 0 && i < inherited->n; i++)
		r = add_device(d, inherited->names[i], none);
	if (r < 0 || !bridge)
		return r;
	/* LXD gives each instance a MAC of its own. The port is isolated in
	 * the bridge: a copy reaches the bridge's host and beyond, not
	 * another copy (bridge.h). */
	const char *const eth0[] = { "type",
				     "nic",
				     "nictype",
				     "bridged",
				     "parent",
				     bridge,
				     "name",
				     "eth0",
				     "security.port_isolation",
				     s->cfg->network_peers ? "false" : "true",
				     NULL };
	return add_device(d, "eth0", eth0);
}

void lxd_nic_raw(const struct copy_spec *s, char *buf, size_t len)
{
	buf[0] = '\0';
	/* eth0 is the copy's only interface: liblxc's first (lxc.net.0). */
	if (config_bridge(s->cfg) && s->address && s->gateway)
		snprintf(buf, len, "lxc.net.0.ipv4.address = %s\nlxc.net.0.ipv4.gateway = %s\n",
			 s->address, s->gateway);
}

/* One of LXD's addresses ({family, address, netmask}) as a subnet, if IPv4. */
static bool subnet_of(json_object *a, struct netaddr_net *ret)
{
	const char *family = lxd_str(a, "family"), *addr = lxd_str(a, "address");
	const char *mask = lxd_str(a, "netmask");
	char *end = NULL;

	if (!family || strcmp(family, "inet") != 0 || !addr || !mask ||
	    netaddr_parse(addr, &ret->gateway) < 0)
		return false;
	errno = 0;
	unsigned long p = strtoul(mask, &end, 10);
	if (errno || end == mask || *end || p < 8 || p > 30)
		return false;
	ret->prefix = (unsigned)p;
	return true;
}

int lxd_bridge_subnet(struct lxd_conn *c, const char *bridge, const char *target,
		      const struct netaddr_range *r, struct netaddr_net *ret, struct tw_err *err)
{
	_cleanup_json_ json_object *state = NULL;
	_cleanup_free_ char *where = target && target[0] != '@' ? lxd_escape(c, target) : NULL;
	char path[PATH_SIZE];
	json_object *addrs = NULL;

	if (target && target[0] != '@' && !where)
		return tw_err_set(err, ENOMEM, "out of memory");
	snprintf(path, sizeof(path), "/networks/%s/state%s%s", bridge, where ? "?target=" : "",
		 where ? where : "");
	int n = lxd_call(c, "GET", path, NULL, 10, &state, err);
	if (n == -ENOENT)
		return -ENODEV;
	if (n < 0)
		return n;
	if (!json_object_object_get_ex(state, "addresses", &addrs) ||
	    !json_object_is_type(addrs, json_type_array))
		return -EADDRNOTAVAIL;
	for (size_t i = 0; i < json_object_array_length(addrs); i++) {
		struct netaddr_net net = { 0 };
		if (subnet_of(json_object_array_get_idx(addrs, i), &net) &&
		    netaddr_range_in(r, &net)) {
			*ret = net;
			return 0;
		}
	}
	return -EADDRNOTAVAIL;
}
