/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A copy that failed after the login went on: the login's shell hears why
 * instead of getting a program.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include "cleanup.h"
#include "copy.h"
#include "keeper.h"
#include "log.h"
#include "proto.h"
#include "util.h"

#define FAILURE_LINGER_MS 30000

/* One message in the failure loop: a shell hears why; root's close ends it. */
static bool on_failed_client(struct keeper *k, size_t i, const char *msg)
{
	struct client *cl = &k->cl.c[i];
	struct proto_msg m;
	int fds[PROTO_MAX_FDS];
	size_t n_fds = 0;
	bool done = false;

	if (proto_recv(cl->fd, &m, fds, PROTO_MAX_FDS, &n_fds, 0) < 0) {
		keeper_client_close(k, i);
		return false;
	}
	for (size_t f = 0; f < n_fds; f++)
		close(fds[f]);
	if (strcmp(m.type, "close") == 0 && cl->uid == 0) {
		proto_send_pair(cl->fd, "closed", "reason", "failed");
		done = true;
	} else if (strcmp(m.type, "run") == 0 || strcmp(m.type, "join") == 0) {
		keeper_client_error(cl->fd, msg, NULL);
	}
	proto_free(&m);
	keeper_client_close(k, i);
	return done;
}

/*
 * The copy failed after the login went on (the module returned at
 * "accepted"): the login's shell is on its way, and hears why instead of
 * getting a program. Ends when the login closes or its process goes, or
 * after FAILURE_LINGER_MS.
 */
void keeper_serve_failure(struct keeper *k, const char *why)
{
	char msg[TW_ERR_MAX + 64];
	struct pollfd p[1 + KEEPER_MAX_CALLERS + KEEPER_MAX_CLIENTS];
	uint64_t end = util_now_ms() + FAILURE_LINGER_MS, now;
	bool done = false;

	snprintf(msg, sizeof(msg), "cannot create your sandbox: %s", why);
	while (!done && (now = util_now_ms()) < end) {
		size_t n_callers = k->s.n_callers, n_clients = k->cl.n;
		p[0] = (struct pollfd){ .fd = k->s.listenfd, .events = POLLIN };
		int n = poll(p, 1 + keeper_poll_peers(k, p + 1), (int)(end - now));
		if (n < 0 && errno != EINTR)
			break;
		for (size_t i = 0; n > 0 && i < n_callers; i++)
			done = done || p[1 + i].revents;
		for (size_t i = n_clients; n > 0 && i-- > 0;)
			if (p[1 + n_callers + i].revents)
				done = on_failed_client(k, i, msg) || done;
		if (n > 0 && p[0].revents)
			keeper_client_accept(k);
	}
	while (k->cl.n > 0)
		keeper_client_close(k, k->cl.n - 1);
}
