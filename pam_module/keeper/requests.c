/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the keeper answers on its socket: one table of request, who may
 * send it and its handler (after OpenSSH monitor.c's dispatch table), and
 * the handlers that are not a program's.
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

static void on_signal_request(struct keeper *k, size_t i, const struct proto_msg *m, const int *fds,
			      size_t n_fds)
{
	const struct client *cl = &k->cl.c[i];
	(void)fds, (void)n_fds;
	static const int allowed[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGWINCH, SIGCONT };
	unsigned long long sig;
	if (cl->pid <= 0 || proto_getu(m, "sig", 64, &sig) < 0)
		return;
	for (size_t a = 0; a < ELEMENTSOF(allowed); a++)
		if ((int)sig == allowed[a])
			kill(-cl->pid, (int)sig);
}

/* Terminal I/O a shell saw: the session is not idle. */
static void on_activity(struct keeper *k, size_t i, const struct proto_msg *m, const int *fds,
			size_t n_fds)
{
	(void)i, (void)m, (void)fds, (void)n_fds;
	k->s.last_activity_ms = util_now_ms();
	k->s.warned_idle = false;
}

/* share = user: root (the PAM module of another login) adds its login process. */
static void on_join(struct keeper *k, size_t i, const struct proto_msg *m, const int *fds,
		    size_t n_fds)
{
	const struct client *cl = &k->cl.c[i];
	unsigned long long pid;
	char n[16];
	int fd = -EBADF;
	(void)fds, (void)n_fds;
	if (k->s.cfg.share != SHARE_USER || k->s.n_callers >= KEEPER_MAX_CALLERS ||
	    proto_getu(m, "caller", INT32_MAX, &pid) < 0 ||
	    (fd = util_pidfd_open((pid_t)pid)) < 0) {
		keeper_client_error(cl->fd, "cannot join this sandbox", NULL);
		return;
	}
	k->s.callers[k->s.n_callers++] = (struct caller){ .pid = (pid_t)pid, .fd = fd };
	k->s.entry.logins = (unsigned)k->s.n_callers;
	ledger_write(TW_RUNDIR, &k->s.entry);
	snprintf(n, sizeof(n), "%zu", k->s.n_callers);
	log_event(LOG_INFO, "join", "session", k->req.session, "user", k->req.user, "rhost",
		  proto_get(m, "rhost"), "container", k->s.container, "logins", n, NULL);
	proto_send_pair(cl->fd, "ready", "container", k->s.container);
}

/*
 * root's "close": an admin's ends the session; a login's ends it when it
 * is the last login of the copy, else only that login leaves.
 */
static void on_close(struct keeper *k, size_t i, const struct proto_msg *m, const int *fds,
		     size_t n_fds)
{
	struct client *cl = &k->cl.c[i];
	const char *reason = proto_get(m, "reason");
	unsigned long long pid;
	(void)fds, (void)n_fds;
	bool admin = reason && strcmp(reason, "admin") == 0;
	if (!admin && k->s.n_callers > 1 && proto_getu(m, "caller", INT32_MAX, &pid) == 0) {
		for (size_t c = 0; c < k->s.n_callers; c++)
			if (k->s.callers[c].pid == (pid_t)pid) {
				keeper_drop_caller(k, c);
				proto_send_pair(cl->fd, "closed", "reason", "left");
				return;
			}
	}
	cl->closer = true;
	k->s.end_reason = admin ? "admin" : "logout";
}

/* Who may send a request: the session's user (its shells), root (the PAM module, throwawayctl). */
enum { FROM_USER = 1 << 0, FROM_ROOT = 1 << 1 };

/* Every request the keeper answers, who may send it, and its handler (cf. OpenSSH monitor.c). */
static const struct {
	const char *type;
	unsigned from;
	void (*handle)(struct keeper *k, size_t i, const struct proto_msg *m, const int *fds,
		       size_t n_fds);
} requests[] = {
	{ "run", FROM_USER, keeper_request_run },   /* the shell's program, once per connection */
	{ "signal", FROM_USER, on_signal_request }, /* to that program */
	{ "activity", FROM_USER, on_activity },     /* terminal I/O: not idle */
	{ "close", FROM_ROOT, on_close },           /* a logout, or throwawayctl kill */
	{ "join", FROM_ROOT, on_join },             /* share = user: another login */
};

void keeper_request(struct keeper *k, size_t i)
{
	struct client *cl = &k->cl.c[i];
	struct proto_msg m;
	int fds[PROTO_MAX_FDS];
	size_t n_fds = 0;

	int r = proto_recv(cl->fd, &m, fds, PROTO_MAX_FDS, &n_fds, 0);
	if (r < 0) {
		keeper_client_close(k, i);
		return;
	}
	unsigned from = cl->uid == 0 ? FROM_ROOT : FROM_USER;
	size_t t = 0;
	while (t < ELEMENTSOF(requests) && strcmp(requests[t].type, m.type) != 0)
		t++;
	bool allowed = t < ELEMENTSOF(requests) && (requests[t].from & from);
	if (allowed)
		requests[t].handle(k, i, &m, fds, n_fds);
	/* The program got its own copies: ours are not needed any more. */
	for (size_t f = 0; f < n_fds; f++)
		close(fds[f]);
	proto_free(&m);
	/* A peer that asks what it may not ask is told so and let go. */
	if (!allowed) {
		keeper_client_error(cl->fd, "request not allowed", NULL);
		keeper_client_close(k, i);
	}
}
