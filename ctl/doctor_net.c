/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * throwawayctl doctor: network = veth:BRIDGE in any section, the bridge
 * there, where the copies run (copy_net_subnet: this host's, or LXD's
 * answer), with an address whose subnet holds the section's
 * network_range; else every login of that section is refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "config.h"
#include "copy.h"
#include "doctor.h"
#include "netaddr.h"

#define NET_SECTIONS_MAX 64
#define NET_SECTION_MAX 96

/*
 * The sections' names ("global", "user:alice", "group:class") of the
 * (already validated) text, [global] first.
 */
static size_t sections_of(const char *text, char (*ret)[NET_SECTION_MAX], size_t max)
{
	size_t n = 0;

	snprintf(ret[n++], NET_SECTION_MAX, "global");
	for (const char *l = text; l && *l && n < max;
	     l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		l += strspn(l, " \t");
		size_t len = *l == '[' ? strcspn(l + 1, "]\n") : 0;
		if (len && l[1 + len] == ']' && strncmp(l + 1, "global]", 7) != 0)
			snprintf(ret[n++], NET_SECTION_MAX, "%.*s", (int)len, l + 1);
	}
	return n;
}

/* The config as SECTION's user, or a member of its group, gets it. */
static int resolve(const struct doctor *d, const char *section, struct config *ret,
		   struct tw_err *err)
{
	const char *group = strncmp(section, "group:", 6) == 0 ? section + 6 : NULL;
	const char *const groups[] = { group };
	struct config_who who = {
		.user = strncmp(section, "user:", 5) == 0 ? section + 5 : "",
		.groups = group ? groups : NULL,
		.n_groups = group ? 1 : 0,
	};
	return config_load(d->config_path, strcmp(section, "global") == 0 ? NULL : &who, ret, err);
}

/* Was NETWORK with RANGE on this backend checked for an earlier section? */
static bool seen(const struct config *c, const struct config *done, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(done[i].network, c->network) == 0 &&
		    strcmp(done[i].network_range, c->network_range) == 0 &&
		    done[i].backend == c->backend)
			return true;
	return false;
}

static void check_one(struct doctor *d, const char *section, const struct config *c)
{
	struct netaddr_range range;
	struct netaddr_net net;
	struct tw_err err = { 0 };
	char gw[NETADDR_STRLEN];

	if (copy_driver_loaded(copy_driver_of(c), &err) < 0 ||
	    copy_net_subnet(c, &range, &net, &err) < 0) {
		doctor_say(d, V_FAIL, "network",
			   "make the bridge (on every member with backend = lxd) and give it an "
			   "address whose subnet holds network_range",
			   "[%s] %s: logins are refused", section, err.msg);
		return;
	}
	netaddr_format(net.gateway, gw);
	doctor_say(d, V_OK, "network", NULL, "[%s] %s: the bridge has %s/%u, holding %s", section,
		   c->network, gw, net.prefix, c->network_range);
}

void doctor_check_network(struct doctor *d)
{
	_cleanup_free_ char(*s)[NET_SECTION_MAX] = calloc(NET_SECTIONS_MAX, sizeof(*s));
	_cleanup_free_ struct config *done = calloc(NET_SECTIONS_MAX, sizeof(*done));
	size_t n_done = 0;

	if (!d->cfg_ok || !s || !done)
		return;
	size_t n = sections_of(d->cfg_text, s, NET_SECTIONS_MAX);
	for (size_t i = 0; i < n; i++) {
		struct config c = { 0 };
		if (resolve(d, s[i], &c, NULL) < 0)
			continue;
		if (config_bridge(&c) && c.network_range && !seen(&c, done, n_done)) {
			check_one(d, s[i], &c);
			done[n_done++] = c;
			continue;
		}
		config_free(&c);
	}
	for (size_t i = 0; i < n_done; i++)
		config_free(&done[i]);
}
