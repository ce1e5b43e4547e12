/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bridge.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <limits.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "names.h"

static unsigned prefix_of(const struct sockaddr *mask)
{
	uint32_t m = ntohl(((const struct sockaddr_in *)mask)->sin_addr.s_addr);
	return (unsigned)__builtin_popcount(m);
}

int bridge_subnet(const char *bridge, const struct netaddr_range *r, struct netaddr_net *ret)
{
	struct ifaddrs *all;
	int found = if_nametoindex(bridge) ? -EADDRNOTAVAIL : -ENODEV;
	if (found == -ENODEV || getifaddrs(&all) < 0)
		return found == -ENODEV ? found : -errno;
	for (struct ifaddrs *i = all; i && found < 0; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !i->ifa_netmask ||
		    strcmp(i->ifa_name, bridge) != 0)
			continue;
		struct netaddr_net n = {
			.gateway = ntohl(((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr),
			.prefix = prefix_of(i->ifa_netmask)
		};
		if (netaddr_range_in(r, &n)) {
			*ret = n;
			found = 0;
		}
	}
	freeifaddrs(all);
	return found;
}

/* Is PORT enslaved to BRIDGE (its "master" in sysfs)? */
static bool port_of(const char *port, const char *bridge)
{
	char path[64], target[PATH_MAX];
	if (!names_bridge_valid(port) || !names_bridge_valid(bridge))
		return false;
	snprintf(path, sizeof(path), "/sys/class/net/%s/master", port);
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return false;
	target[n] = '\0';
	const char *base = strrchr(target, '/');
	return strcmp(base ? base + 1 : target, bridge) == 0;
}

/* RTM_SETLINK for the port's bridge side: IFLA_PROTINFO { IFLA_BRPORT_ISOLATED = 1 }. */
struct isolate_req {
	struct nlmsghdr nh;
	struct ifinfomsg ifi;
	struct rtattr protinfo;
	struct rtattr isolated;
	uint8_t on;
	uint8_t pad[3];
};

/* The kernel's answer to our one request: its error, 0 for an ack. */
static int read_ack(int fd)
{
	char buf[512];
	ssize_t n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0)
		return -errno;
	const struct nlmsghdr *h = (const struct nlmsghdr *)buf;
	if (!NLMSG_OK(h, (size_t)n) || h->nlmsg_type != NLMSG_ERROR ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
		return -EPROTO;
	return ((const struct nlmsgerr *)NLMSG_DATA(h))->error;
}

int bridge_port_isolate(const char *port, const char *bridge)
{
	unsigned idx = if_nametoindex(port);
	if (!idx || !port_of(port, bridge))
		return -ENODEV;
	struct isolate_req req = {
		.nh = { .nlmsg_len = sizeof(req),
			.nlmsg_type = RTM_SETLINK,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
			.nlmsg_seq = 1 },
		.ifi = { .ifi_family = AF_BRIDGE, .ifi_index = (int)idx },
		.protinfo = { .rta_len = RTA_LENGTH(RTA_SPACE(1)),
			      .rta_type = IFLA_PROTINFO | NLA_F_NESTED },
		.isolated = { .rta_len = RTA_LENGTH(1), .rta_type = IFLA_BRPORT_ISOLATED },
		.on = 1,
	};
	_cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	return read_ack(fd);
}
