/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * throwaway-keeper: the per-session root helper.
 *
 *   throwaway-keeper             fd 3 is a socket to the PAM module, which
 *                                sends one "open" request and waits for
 *                                "ready" or "error"; the keeper then serves
 *                                the session until it ends.
 *   throwaway-keeper --destroy SESSION
 *                                one-shot: destroy the copy of a session
 *                                whose keeper is gone (close_session's
 *                                fallback), and its record and socket.
 *
 * Exec'd by the PAM module with an empty environment and fds 0-2 on
 * /dev/null; trusts its request (root wrote it), not the user's files.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "cleanup.h"
#include "gc.h"
#include "keeper.h"
#include "landlock.h"
#include "log.h"
#include "proto.h"
#include "spawn.h"
#include "util.h"

#define REQUEST_FD 3

static void sanitize_process(void)
{
	clearenv();
	setenv("PATH", SPAWN_PATH, 1);
	umask(022);
	util_reset_signals();
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int fd = 0; fd < 3 && null >= 0; fd++)
		if (fcntl(fd, F_GETFD) < 0 || fd == 2) /* liblxc writes noise to stderr */
			dup2(null, fd);
	if (null > 2)
		close(null);
	util_cloexec_from(REQUEST_FD);
	if (chdir("/") < 0) {
		/* / always exists */
	}
}

static int destroy_session(const char *session)
{
	struct ledger_entry e;
	const struct gc_report rep = { .fn = gc_log };

	if (!names_session_valid(session))
		return 2;
	int r = ledger_read(TW_RUNDIR, session, &e);
	if (r < 0)
		return r == -ENOENT ? 0 : 1; /* no record: nothing left to destroy */
	return gc_destroy_session(TW_RUNDIR, &e, "keeper-gone", &rep) < 0 ? 1 : 0;
}

/* Log the failure, and tell the module if it still listens. */
static void report_failure(const struct keeper *k, const char *err, bool tell)
{
	char uid[16];
	snprintf(uid, sizeof(uid), "%u", (unsigned)k->req.uid);
	log_event(LOG_ERR, "error", "session", k->req.session, "user", k->req.user, "uid", uid,
		  "rhost", k->req.rhost, "container", k->s.container[0] ? k->s.container : NULL,
		  "reason", err, NULL);
	if (tell)
		proto_send_pair(REQUEST_FD, "error", "msg", err);
}

/*
 * The login goes on while the copy is made ("accepted": the session id,
 * a pooled copy's own), unless the module waits for "ready" (its wait
 * argument). Either way its socket exists already: a shell that comes
 * early waits for the copy, or hears why there is none.
 */
static int accept_login(struct keeper *k, struct tw_err *err)
{
	if (k->req.wait)
		return 0;
	int r = proto_send_pair(REQUEST_FD, "accepted", "session", k->req.session);
	if (r < 0)
		tw_err_set(err, 0, "the login gave up waiting");
	return r;
}

static void log_ready(const struct keeper *k)
{
	char ms[32];
	snprintf(ms, sizeof(ms), "%llu", (unsigned long long)(util_now_ms() - k->s.t0_ms));
	log_event(LOG_INFO, "ready", "session", k->req.session, "user", k->req.user, "rhost",
		  k->req.rhost, "container", k->s.container, "ms", ms, "keys",
		  k->s.cfg.bind_home ? "home" : NULL, NULL);
}

/*
 * Without Landlock (ABI 2) the copy's programs may make sockets in the home
 * and the binds, which the user's other copies reach: said once a session,
 * since then only memory_max_per_user bounds what a copy that ended keeps.
 */
static void log_unrestricted(const struct keeper *k)
{
	const char *fix = NULL;
	const char *missing = landlock_missing(landlock_abi(), &fix);
	if (!missing || (!k->s.cfg.bind_home && k->s.cfg.n_binds == 0))
		return;
	log_event(LOG_WARNING, "error", "session", k->req.session, "user", k->req.user, "container",
		  k->s.container, "reason",
		  "sockets and FIFOs in the home and binds not refused, ignoring", "landlock",
		  missing, "fix", fix, NULL);
}

static int run_session(void)
{
	struct keeper k = { .s = { .listenfd = -EBADF, .sigfd = -EBADF, .timerfd = -EBADF } };
	struct tw_err err = { 0 };

	k.s.t0_ms = util_now_ms();
	int r = keeper_read_request(&k, REQUEST_FD, &err);
	if (r >= 0) {
		char uid[16];
		snprintf(uid, sizeof(uid), "%u", (unsigned)k.req.uid);
		log_event(LOG_INFO, "open", "session", k.req.session, "user", k.req.user, "uid",
			  uid, "rhost", k.req.rhost, "service", k.req.service, NULL);
		r = keeper_setup(&k, &err);
	}
	if (r == -EEXIST && k.s.join[0]) {
		/* share = user and the user has a copy: the module joins it instead. */
		proto_send_pair(REQUEST_FD, "join", "session", k.s.join);
		config_free(&k.s.cfg);
		return 0;
	}
	if (r >= 0)
		r = accept_login(&k, &err);
	if (r < 0) {
		report_failure(&k, err.msg, true);
		keeper_abort(&k);
		config_free(&k.s.cfg);
		return 1;
	}
	r = keeper_make_copy(&k, &err);
	if (r >= 0) {
		log_ready(&k);
		log_unrestricted(&k);
		/* A module that waits may have given up: then nobody will use the copy. */
		if (k.req.wait && proto_send_simple(REQUEST_FD, "ready", "container", k.s.container,
						    "session", k.req.session) < 0) {
			tw_err_set(&err, EPIPE, "the login gave up waiting");
			r = -EPIPE;
		}
	}
	if (r < 0) {
		report_failure(&k, err.msg, k.req.wait);
		keeper_abort_copy(&k);
		if (!k.req.wait)
			keeper_serve_failure(&k, err.msg);
		keeper_abort(&k);
		config_free(&k.s.cfg);
		return 1;
	}
	close(REQUEST_FD);
	r = keeper_loop(&k);
	if (r < 0 && !k.s.end_reason)
		k.s.end_reason = "internal-error";
	keeper_teardown(&k);
	keeper_housekeeping(&k); /* a session that ended before it had a quiet moment */
	config_free(&k.s.cfg);
	return 0;
}

int main(int argc, char **argv)
{
	sanitize_process();
	log_open(false);
	if (argc == 3 && strcmp(argv[1], "--destroy") == 0)
		return destroy_session(argv[2]);
	if (argc == 3 && strcmp(argv[1], "--pool-fill") == 0 && argv[2][0] == '/')
		return keeper_pool_fill(argv[2], false);
	if (argc == 3 && strcmp(argv[1], "--pool-fill-later") == 0 && argv[2][0] == '/')
		return keeper_pool_fill(argv[2], true);
	if (argc != 1 || fcntl(REQUEST_FD, F_GETFD) < 0) {
		log_event(LOG_ERR, "error", "reason", "throwaway-keeper: bad invocation", NULL);
		return 2;
	}
	return run_session();
}
