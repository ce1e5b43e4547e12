/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The keeper's event loop: serve the session's shells on its socket,
 * watch the PAM caller and the copy through pollable fds, enforce the
 * session and idle timeouts, and tear the copy down when any of them ends
 * it.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "cleanup.h"
#include "copy.h"
#include "keeper.h"
#include "log.h"
#include "proto.h"
#include "util.h"

/*
 * When the copy's init exits, the kernel kills every process in the copy
 * before init's pidfd reports: a program killed by SIGKILL may be the first
 * sign. Wait a moment for init, so the user hears that the copy stopped.
 */
static bool copy_stopping(struct keeper *k, int status)
{
	struct pollfd p = { .fd = copy_stopped_fd(k->s.copy), .events = POLLIN };
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
		return false;
	if (poll(&p, 1, 200) <= 0)
		return false;
	k->s.end_reason = "copy-stopped";
	return true;
}

static void report_exit(struct keeper *k, pid_t pid, int status)
{
	char v[16];
	for (size_t i = 0; i < k->cl.n; i++) {
		struct client *cl = &k->cl.c[i];
		if (cl->pid != pid)
			continue;
		/* Only a client's program may be the first sign of a stopped
		 * copy; another child (a spare killed unused) is just reaped. */
		if (k->s.end_reason || copy_stopping(k, status))
			return; /* teardown tells every client why */
		cl->pid = 0;
		if (WIFSIGNALED(status)) {
			snprintf(v, sizeof(v), "%d", WTERMSIG(status));
			proto_send_pair(cl->fd, "exit", "signal", v);
		} else {
			snprintf(v, sizeof(v), "%d", WEXITSTATUS(status));
			proto_send_pair(cl->fd, "exit", "status", v);
		}
		keeper_client_close(k, i);
		return;
	}
}

static void on_signal(struct keeper *k)
{
	struct signalfd_siginfo si;
	while (read(k->s.sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo != SIGCHLD)
			k->s.end_reason = "killed";
	}
	for (;;) {
		int st;
		pid_t pid = waitpid(-1, &st, WNOHANG);
		if (pid <= 0)
			break;
		report_exit(k, pid, st);
	}
}

static int setup_signals(struct keeper *k)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGPIPE);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	sigdelset(&set, SIGPIPE);
	k->s.sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return k->s.sigfd < 0 ? -errno : 0;
}

/*
 * A once-a-second tick while a timeout is set or the copy is to be vouched
 * for (copy_renew): cheap, and no deadline to re-arm.
 */
static int setup_timer(struct keeper *k)
{
	k->s.timerfd = -EBADF;
	k->s.last_activity_ms = k->s.renewed_ms = util_now_ms();
	if (k->s.cfg.session_timeout == 0 && k->s.cfg.idle_timeout == 0 && !copy_renews(k->s.copy))
		return 0;
	k->s.timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (k->s.timerfd < 0)
		return -errno;
	struct itimerspec its = { .it_value = { .tv_sec = 1 }, .it_interval = { .tv_sec = 1 } };
	return timerfd_settime(k->s.timerfd, 0, &its, NULL) < 0 ? -errno : 0;
}

/* Tell every terminal of the session that it ends soon. */
static void warn_clients(struct keeper *k, uint64_t left_ms, const char *why)
{
	for (size_t i = 0; i < k->cl.n; i++)
		if (k->cl.c[i].pid > 0)
			keeper_client_warn(k->cl.c[i].fd, left_ms, why);
}

/* How long before a timeout the user is warned: 60 s, or half a short one. */
static uint64_t warn_ms(uint64_t timeout_s)
{
	return (timeout_s >= 120 ? 60 : timeout_s / 2) * 1000;
}

static bool has_plain_program(const struct keeper *k)
{
	for (size_t i = 0; i < k->cl.n; i++)
		if (k->cl.c[i].pid > 0 && !k->cl.c[i].pty)
			return true;
	return false;
}

static void vouch_failed(const struct keeper *k, int r)
{
	/* the next tick's try is a minute on; the lease is ten */
	log_event(LOG_WARNING, "error", "session", k->req.session, "container", k->s.container,
		  "reason", "vouching for the copy failed", "errno", strerror(-r), NULL);
}

/* In a child of the keeper: vouch, then exit. */
static void __attribute__((noreturn)) vouch(const struct keeper *k)
{
	util_reset_signals();
	/* Not the session's socket nor its clients': a shell hears of the
	 * keeper's end when the keeper ends, not this child. (Not every fd:
	 * the driver's own, curl's among them, stay whole.) */
	close(k->s.listenfd);
	for (size_t i = 0; i < k->cl.n; i++)
		close(k->cl.c[i].fd);
	int r = copy_renew(k->s.copy);
	if (r < 0)
		vouch_failed(k, r);
	_exit(r < 0 ? 1 : 0);
}

/*
 * Other hosts judge the copy by when it was last vouched for (copy.h,
 * renew). A child vouches, so that an engine slow to answer (seconds,
 * for a cluster losing a member) never holds up the session's programs
 * and signals; the driver's requests in a child go over connections of
 * its own. Reaped with the other children (on_signal).
 */
static void renew(struct keeper *k, uint64_t now)
{
	if (!copy_renews(k->s.copy) || now < k->s.renewed_ms + COPY_RENEW_S * 1000)
		return;
	k->s.renewed_ms = now;
	pid_t pid = fork();
	if (pid == 0)
		vouch(k);
	if (pid < 0)
		vouch_failed(k, -errno);
}

static void on_tick(struct keeper *k)
{
	uint64_t ticks, now = util_now_ms();
	if (read(k->s.timerfd, &ticks, sizeof(ticks)) < 0) {
		/* nothing to read: spurious wakeup */
	}
	renew(k, now);
	if (k->s.cfg.session_timeout) {
		uint64_t end = k->s.t0_ms + k->s.cfg.session_timeout * 1000;
		if (now >= end)
			k->s.end_reason = "timeout";
		else if (!k->s.warned_timeout && now + warn_ms(k->s.cfg.session_timeout) >= end) {
			warn_clients(k, end - now, "session timeout");
			k->s.warned_timeout = true;
		}
	}
	if (!k->s.cfg.idle_timeout || k->s.end_reason)
		return;
	/* A program without a terminal does I/O we cannot see: it counts as activity. */
	if (has_plain_program(k))
		k->s.last_activity_ms = now;
	uint64_t end = k->s.last_activity_ms + k->s.cfg.idle_timeout * 1000;
	if (now >= end)
		k->s.end_reason = "idle";
	else if (!k->s.warned_idle && now + warn_ms(k->s.cfg.idle_timeout) >= end) {
		warn_clients(k, end - now, "idle");
		k->s.warned_idle = true;
	}
}

static void caller_gone(struct keeper *k, size_t i)
{
	keeper_drop_caller(k, i);
	if (k->s.n_callers == 0)
		k->s.end_reason = "caller-gone";
}

enum { P_SIG, P_INIT, P_LISTEN, P_TIMER, P_CALLERS };

#define HOUSEKEEPING_QUIET_MS 50

int keeper_loop(struct keeper *k)
{
	struct pollfd p[P_CALLERS + KEEPER_MAX_CALLERS + KEEPER_MAX_CLIENTS];
	int r = setup_signals(k);
	if (r < 0 || (r = setup_timer(k)) < 0)
		return r;
	keeper_make_spare(k);
	while (!k->s.end_reason) {
		p[P_SIG] = (struct pollfd){ .fd = k->s.sigfd, .events = POLLIN };
		p[P_INIT] = (struct pollfd){ .fd = copy_stopped_fd(k->s.copy), .events = POLLIN };
		p[P_LISTEN] = (struct pollfd){ .fd = k->s.listenfd, .events = POLLIN };
		p[P_TIMER] = (struct pollfd){ .fd = k->s.timerfd, .events = POLLIN };
		size_t n_callers = k->s.n_callers, n_clients = k->cl.n;
		struct pollfd *pc = p + P_CALLERS, *pk = pc + n_callers;
		/* Which client each of pk[] is: handling one (a program's exit
		 * closes its client) moves another into its slot. */
		uint64_t ids[KEEPER_MAX_CLIENTS];
		for (size_t i = 0; i < n_clients; i++)
			ids[i] = k->cl.c[i].id;
		/* Housekeeping waits for a quiet moment: the first programs come first. */
		int n = poll(p, P_CALLERS + keeper_poll_peers(k, pc),
			     k->s.housekept ? -1 : HOUSEKEEPING_QUIET_MS);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0) {
			keeper_housekeeping(k);
			continue;
		}
		if (p[P_SIG].revents)
			on_signal(k);
		if (p[P_INIT].revents)
			k->s.end_reason = "copy-stopped";
		if (p[P_TIMER].revents)
			on_tick(k);
		/* Backwards: removing moves the last one into slot i. */
		for (size_t i = n_callers; i-- > 0;)
			if (i < k->s.n_callers && pc[i].revents)
				caller_gone(k, i);
		for (size_t i = 0; i < n_clients; i++) {
			ssize_t slot = pk[i].revents ? keeper_client_find(k, ids[i]) : -1;
			if (slot >= 0)
				keeper_request(k, (size_t)slot);
		}
		if (p[P_LISTEN].revents)
			keeper_client_accept(k);
	}
	return 0;
}

void keeper_teardown(struct keeper *k)
{
	char ms[32];
	/* The copy dies while the end is logged and recorded. */
	copy_kill(k->s.copy);
	snprintf(ms, sizeof(ms), "%llu", (unsigned long long)(util_now_ms() - k->s.t0_ms));
	log_event(LOG_INFO, "close", "session", k->req.session, "user", k->req.user, "rhost",
		  k->req.rhost, "container", k->s.container, "ms", ms, "reason", k->s.end_reason,
		  NULL);
	strcpy(k->s.entry.state, "stopping");
	ledger_write(TW_RUNDIR, &k->s.entry);
	unlink(k->s.sockpath);
	k->s.sockpath[0] = '\0';
	int r = copy_stop(k->s.copy);
	if (r < 0)
		log_event(LOG_ERR, "error", "session", k->req.session, "container", k->s.container,
			  "reason", "stopping the copy failed", "errno", strerror(-r), NULL);
	copy_free(k->s.copy);
	k->s.copy = NULL;
	ledger_remove(TW_RUNDIR, k->req.session);
	for (size_t i = k->cl.n; i-- > 0;) {
		struct client *cl = &k->cl.c[i];
		if (cl->closer)
			proto_send_pair(cl->fd, "closed", "reason", k->s.end_reason);
		else
			proto_send_pair(cl->fd, "end", "reason", k->s.end_reason);
		cl->pid = 0;
		keeper_client_close(k, i);
	}
}
