/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The lxc driver's step as a copy's network comes up: the work of its
 * up script (throwaway-hook SESSION, lxc.net.0.script.up, run by liblxc's
 * monitor on the host with lxc.hook.version = 1: LXC_HOOK_SECTION=net,
 * LXC_HOOK_TYPE=up, the interfaces in LXC_NET_*, and "veth BRIDGE PORT"
 * appended to our arguments). The host side of the copy's veth becomes an
 * isolated port of its bridge. liblxc runs it after attaching that port
 * and before the copy's side is configured or its init runs, and a
 * failure here fails the start: no copy runs unisolated.
 *
 * Trusts the environment liblxc sets and its arguments, which the keeper
 * wrote into the copy's root-owned config.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bridge.h"
#include "container.h"
#include "names.h"

static bool is(const char *env, const char *want)
{
	const char *v = getenv(env);
	return v && strcmp(v, want) == 0;
}

int ctr_net_up(int argc, char **argv, char *ret_session, size_t len, struct tw_err *err)
{
	if (!is("LXC_HOOK_SECTION", "net"))
		return 1;
	const char *port = getenv("LXC_NET_PEER"), *bridge = getenv("LXC_NET_PARENT");
	if (argc != 5 || !names_session_valid(argv[1]) || len <= NAMES_SESSION_LEN ||
	    !is("LXC_HOOK_TYPE", "up") || !is("LXC_NET_TYPE", "veth") || !port || !bridge)
		return tw_err_set(err, EINVAL, "throwaway-hook: bad network invocation");
	memcpy(ret_session, argv[1], NAMES_SESSION_LEN + 1);
	int r = bridge_port_isolate(port, bridge);
	if (r < 0)
		return tw_err_set(err, r, "cannot make %.15s an isolated port of %.15s: %s", port,
				  bridge, strerror(-r));
	return 0;
}
