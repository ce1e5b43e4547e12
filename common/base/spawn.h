/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one way to run a program (after OpenSSH's subprocess() and
 * linux-pam's pam_modutil_sanitize_helper_fds()): fork and exec with an
 * explicit environment (empty unless given), fds 0-2 from the caller or
 * /dev/null, a few more fds at the numbers the program expects, every
 * other fd closed, every signal at its default and none blocked. The
 * caller then waits for it with a deadline (spawn_wait), or leaves it to
 * a loop that reaps any child, or detaches it entirely (SPAWN_DETACH).
 */
#ifndef THROWAWAY_SPAWN_H
#define THROWAWAY_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

/*
 * PATH of what root runs on the host (the keeper, throwawayctl's helpers,
 * and the programs liblxc runs for them): the system's directories only.
 */
#define SPAWN_PATH "/usr/sbin:/usr/bin:/sbin:/bin"

/* At most this many fds besides 0-2, each at a number below SPAWN_FD_LIMIT. */
#define SPAWN_FDS_MAX 8
#define SPAWN_FD_LIMIT 64

enum {
	/* The program starts a session of its own (setsid). */
	SPAWN_SETSID = 1 << 0,
	/*
	 * Double fork: an intermediate child starts a new session, forks the
	 * program and exits, and spawn_start reaps it before it returns (with
	 * SIGCHLD at its default for that moment, so a caller that ignores
	 * SIGCHLD or reaps any child from a handler does not lose it). The
	 * program is then nobody's child here, and can never get a
	 * controlling terminal (it is no session leader).
	 */
	SPAWN_DETACH = 1 << 1,
};

/* An fd of the caller that the program gets as fd number AT (>= 3). */
struct spawn_fd {
	int fd;
	int at;
};

struct spawn_opts {
	const char *path;           /* absolute: never looked up on a PATH */
	char *const *argv;          /* argv[0] included */
	char *const *envp;          /* NULL: an empty environment */
	const int *stdio;           /* NULL, or the fds for 0, 1, 2; NULL or < 0: /dev/null */
	const struct spawn_fd *fds; /* n_fds more, each at its number */
	size_t n_fds;               /* how many */
	unsigned flags;             /* SPAWN_* */
};

/*
 * Start the program O describes. Returns once it runs: a program that
 * cannot be started (missing, not executable, an fd that is not open)
 * is an error here, with e naming the program and the reason (e may be
 * NULL), and leaves no child behind. *ret_pid (may be NULL) gets its pid,
 * for spawn_wait; not written with SPAWN_DETACH, which leaves no child.
 * The caller's fds are left as they were. 0, or -errno.
 */
int spawn_start(const struct spawn_opts *o, struct tw_err *e, pid_t *ret_pid);

/*
 * Reap the child PID: the one waitpid loop. With timeout_ms >= 0, a child
 * still running after that long is killed (SIGKILL) and reaped, and the
 * result is -ETIMEDOUT; timeout_ms < 0 waits as long as it takes. 0 with
 * its wait status in *ret_status (may be NULL), or -errno.
 */
int spawn_wait(pid_t pid, int timeout_ms, int *ret_status);

#endif
