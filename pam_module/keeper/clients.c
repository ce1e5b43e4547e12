/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The session's clients: accepting them (each checked with SO_PEERCRED),
 * answering and letting them go, and the login processes it lives for.
 * Peers are untrusted.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
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

/*
 * Closing a unix socket with unread data makes the peer's next read fail
 * with ECONNRESET before it reads what we sent last ("end", "exit"), so
 * read all of it first. Reading a fixed number was not enough: a client
 * that kept sending (an "activity" at every turn) had more queued, and
 * lost its program's exit status. Our reading side is shut first, so the
 * peer can queue nothing more and the loop ends at what its send buffer
 * held.
 */
static void drain(int fd)
{
	char buf[512];
	shutdown(fd, SHUT_RD);
	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		continue;
}

void keeper_client_close(struct keeper *k, size_t i)
{
	struct client *cl = &k->cl.c[i];
	/* The shell went away: its program goes too, like a hung-up login. */
	if (cl->pid > 0)
		kill(-cl->pid, SIGKILL);
	drain(cl->fd);
	close(cl->fd);
	k->cl.c[i] = k->cl.c[--k->cl.n];
}

void keeper_client_error(int fd, const char *msg, const char *code)
{
	proto_send_simple(fd, "error", "msg", msg, "code", code);
}

void keeper_client_warn(int fd, uint64_t left_ms, const char *why)
{
	char msg[128];
	snprintf(msg, sizeof(msg), "this session ends in %llu s (%s)",
		 (unsigned long long)((left_ms + 999) / 1000), why);
	proto_send_pair(fd, "warn", "msg", msg);
}

/*
 * Room for one more client of uid. The user has KEEPER_MAX_CLIENTS -
 * KEEPER_ROOT_CLIENTS slots, root every free one. When there is none, the
 * user's oldest connection that asked for no program gives way: a shell
 * asks as soon as it connects, so it is one that never will.
 */
static bool make_room(struct keeper *k, uid_t uid)
{
	size_t users = 0, idle = SIZE_MAX;
	for (size_t i = 0; i < k->cl.n; i++) {
		const struct client *cl = &k->cl.c[i];
		if (cl->uid == 0)
			continue;
		users++;
		if (cl->pid == 0 && (idle == SIZE_MAX || cl->id < k->cl.c[idle].id))
			idle = i;
	}
	if (k->cl.n < KEEPER_MAX_CLIENTS &&
	    (uid == 0 || users < KEEPER_MAX_CLIENTS - KEEPER_ROOT_CLIENTS))
		return true;
	if (idle == SIZE_MAX)
		return false;
	keeper_client_close(k, idle);
	return true;
}

void keeper_client_accept(struct keeper *k)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	/* Non-blocking: a peer that never reads holds a send of ours only
	 * for a moment (proto_send), not the keeper and its timeouts. */
	int fd = accept4(k->s.listenfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    (cred.uid != k->req.uid && cred.uid != 0) || !make_room(k, cred.uid)) {
		close(fd);
		return;
	}
	k->cl.c[k->cl.n++] = (struct client){ .id = ++k->cl.last_id, .fd = fd, .uid = cred.uid };
}

ssize_t keeper_client_find(const struct keeper *k, uint64_t id)
{
	for (size_t i = 0; i < k->cl.n; i++)
		if (k->cl.c[i].id == id)
			return (ssize_t)i;
	return -1;
}

/* A login of this copy ended: the copy goes with the last one. */
void keeper_drop_caller(struct keeper *k, size_t i)
{
	char n[16];
	close(k->s.callers[i].fd);
	k->s.callers[i] = k->s.callers[--k->s.n_callers];
	if (k->s.n_callers == 0)
		return;
	k->s.entry.logins = (unsigned)k->s.n_callers;
	ledger_write(TW_RUNDIR, &k->s.entry);
	snprintf(n, sizeof(n), "%zu", k->s.n_callers);
	log_event(LOG_INFO, "leave", "session", k->req.session, "user", k->req.user, "container",
		  k->s.container, "logins", n, NULL);
}

/* The callers' pidfds, then the clients' sockets, into p; how many. */
size_t keeper_poll_peers(const struct keeper *k, struct pollfd *p)
{
	size_t n = 0;
	for (size_t i = 0; i < k->s.n_callers; i++)
		p[n++] = (struct pollfd){ .fd = k->s.callers[i].fd, .events = POLLIN };
	for (size_t i = 0; i < k->cl.n; i++)
		p[n++] = (struct pollfd){ .fd = k->cl.c[i].fd, .events = POLLIN };
	return n;
}
