/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

/*
 * Where a child failed, sent to the parent on a close-on-exec pipe: the
 * pipe's EOF without a word means the exec succeeded.
 */
enum step {
	STEP_FORK = 1,
	STEP_SETSID,
	STEP_NULL,
	STEP_FDS,
	STEP_CLOSE,
	STEP_EXEC,
};

static const char *const step_names[] = {
	[STEP_FORK] = "fork",
	[STEP_SETSID] = "setsid",
	[STEP_NULL] = "/dev/null",
	[STEP_FDS] = "passing it its fds",
	[STEP_CLOSE] = "closing the other fds",
	[STEP_EXEC] = NULL, /* the reason alone says it: "No such file or directory" */
};

struct word {
	int step;
	int err;
};

/*
 * Without close_range(2) (Linux 5.9) close one by one up to the fd limit,
 * capped as linux-pam's helpers cap it: a limit in the millions would
 * cost a second of close calls.
 */
#define FALLBACK_FD_MAX 65536

/* From here on in the child: async-signal-safe calls only, nothing allocated. */

static void __attribute__((noreturn)) child_fail(int wfd, enum step step)
{
	struct word w = { .step = step, .err = errno };
	if (write(wfd, &w, sizeof(w)) < 0) {
		/* the parent sees the pipe's EOF and the child's exit then */
	}
	_exit(127);
}

/* Close fds first..last (last may be ~0U). 0 or -1 with errno. */
static int close_span(unsigned first, unsigned last)
{
	struct rlimit rl;
	if (first > last)
		return 0;
	if (syscall(SYS_close_range, first, last, 0) == 0)
		return 0;
	if (errno != ENOSYS)
		return -1;
	unsigned max = FALLBACK_FD_MAX;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < max)
		max = (unsigned)rl.rlim_cur;
	for (unsigned fd = first; fd <= last && fd < max; fd++)
		close((int)fd);
	return 0;
}

static bool placed(const struct spawn_opts *o, int fd)
{
	for (size_t i = 0; i < o->n_fds; i++)
		if (o->fds[i].at == fd)
			return true;
	return false;
}

/* Every fd but 0-2, the placed ones and wfd (at or above floor). */
static int close_others(const struct spawn_opts *o, int floor, int wfd)
{
	for (int fd = 3; fd < floor; fd++)
		if (!placed(o, fd))
			close(fd);
	if (wfd > floor && close_span((unsigned)floor, (unsigned)wfd - 1) < 0)
		return -1;
	return close_span((unsigned)wfd + 1, ~0U);
}

/*
 * Give the child its fds at their numbers: 0, or the step that failed.
 * Each source is first copied to floor or above (above every target), so
 * that no dup2 overwrites a source still to be placed, and none is placed
 * onto itself, which would keep its close-on-exec flag: dup2 clears it on
 * every target.
 */
static int place_fds(const struct spawn_opts *o, int floor)
{
	int src[3 + SPAWN_FDS_MAX], at[3 + SPAWN_FDS_MAX];
	size_t n = 0;
	int null = -1;

	for (int i = 0; i < 3; i++, n++) {
		src[n] = o->stdio ? o->stdio[i] : -1;
		at[n] = i;
		if (src[n] < 0 && null < 0 && (null = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
			return STEP_NULL;
		if (src[n] < 0)
			src[n] = null;
	}
	for (size_t i = 0; i < o->n_fds; i++, n++) {
		src[n] = o->fds[i].fd;
		at[n] = o->fds[i].at;
	}
	for (size_t i = 0; i < n; i++)
		if ((src[i] = fcntl(src[i], F_DUPFD_CLOEXEC, floor)) < 0)
			return STEP_FDS;
	for (size_t i = 0; i < n; i++)
		if (dup2(src[i], at[i]) < 0)
			return STEP_FDS;
	return 0;
}

static void __attribute__((noreturn)) exec_child(const struct spawn_opts *o, int wfd)
{
	static char *const empty[] = { NULL };
	int floor = 3;
	for (size_t i = 0; i < o->n_fds; i++)
		if (o->fds[i].at >= floor)
			floor = o->fds[i].at + 1;

	util_reset_signals();
	if ((o->flags & SPAWN_SETSID) && setsid() < 0)
		child_fail(wfd, STEP_SETSID);
	/* The pipe out of the way of the fds placed below. */
	int w = fcntl(wfd, F_DUPFD_CLOEXEC, floor);
	if (w < 0)
		child_fail(wfd, STEP_FDS);
	int step = place_fds(o, floor);
	if (step != 0)
		child_fail(w, step);
	if (close_others(o, floor, w) < 0)
		child_fail(w, STEP_CLOSE);
	execve(o->path, o->argv, o->envp ? o->envp : empty);
	child_fail(w, STEP_EXEC);
}

/* SPAWN_DETACH's intermediate child: a new session, the program, and gone. */
static void __attribute__((noreturn)) detach_child(const struct spawn_opts *o, int wfd)
{
	if (setsid() < 0)
		child_fail(wfd, STEP_SETSID);
	pid_t pid = fork();
	if (pid == 0)
		exec_child(o, wfd);
	if (pid < 0)
		child_fail(wfd, STEP_FORK);
	_exit(0);
}

/* Back in the parent. */

/*
 * Fork with every signal blocked, so that none of the caller's handlers
 * runs in the child before it has reset them.
 */
static pid_t fork_child(const struct spawn_opts *o, int wfd)
{
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid_t pid = fork();
	if (pid == 0) {
		if (o->flags & SPAWN_DETACH)
			detach_child(o, wfd);
		exec_child(o, wfd);
	}
	int saved = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return pid;
}

static int fail(struct tw_err *e, const struct spawn_opts *o, enum step step, int err)
{
	if (!step_names[step])
		return tw_err_set(e, err, "cannot run '%s': %s", o->path, strerror(err));
	return tw_err_set(e, err, "cannot run '%s': %s: %s", o->path, step_names[step],
			  strerror(err));
}

/* The child's word: none (EOF) once the program runs, else what failed. */
static int read_word(int fd, const struct spawn_opts *o, struct tw_err *e)
{
	struct word w;
	ssize_t n;
	while ((n = read(fd, &w, sizeof(w))) < 0 && errno == EINTR)
		;
	if (n == 0)
		return 0;
	if (n != (ssize_t)sizeof(w) || w.step < STEP_FORK || w.step > STEP_EXEC)
		return tw_err_set(e, n < 0 ? errno : EIO, "cannot run '%s': no word from its child",
				  o->path);
	return fail(e, o, w.step, w.err);
}

static bool opts_valid(const struct spawn_opts *o)
{
	if (!o->path || o->path[0] != '/' || !o->argv || !o->argv[0] || o->n_fds > SPAWN_FDS_MAX ||
	    (o->n_fds > 0 && !o->fds))
		return false;
	for (size_t i = 0; i < o->n_fds; i++) {
		if (o->fds[i].fd < 0 || o->fds[i].at < 3 || o->fds[i].at >= SPAWN_FD_LIMIT)
			return false;
		for (size_t j = 0; j < i; j++)
			if (o->fds[j].at == o->fds[i].at)
				return false;
	}
	return true;
}

/*
 * SPAWN_DETACH: fork, and reap the intermediate child at once, with
 * SIGCHLD at its default meanwhile. 0 with its wait status, or -errno.
 */
static int start_detached(const struct spawn_opts *o, int wfd, struct tw_err *e, int *ret_status)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL }, old;
	sigaction(SIGCHLD, &dfl, &old);
	pid_t pid = fork_child(o, wfd);
	int r = pid < 0 ? fail(e, o, STEP_FORK, errno) : spawn_wait(pid, -1, ret_status);
	sigaction(SIGCHLD, &old, NULL);
	if (r < 0 && pid > 0)
		tw_err_set(e, r, "cannot run '%s': its intermediate child is lost: %s", o->path,
			   strerror(-r));
	return r;
}

int spawn_start(const struct spawn_opts *o, struct tw_err *e, pid_t *ret_pid)
{
	int p[2], st = 0;
	pid_t pid = 0;

	if (!opts_valid(o))
		return tw_err_set(e, EINVAL, "cannot run '%s': bad spawn options",
				  o->path ? o->path : "(null)");
	if (pipe2(p, O_CLOEXEC) < 0)
		return tw_err_set(e, errno, "cannot run '%s': no pipe: %s", o->path,
				  strerror(errno));
	_cleanup_close_ int rfd = p[0];
	int r = 0;
	if (o->flags & SPAWN_DETACH)
		r = start_detached(o, p[1], e, &st);
	else if ((pid = fork_child(o, p[1])) < 0)
		r = fail(e, o, STEP_FORK, errno);
	close(p[1]);
	/* The word comes once the program runs, or once its start failed. */
	if (r == 0)
		r = read_word(rfd, o, e);
	if (r == 0 && (o->flags & SPAWN_DETACH) && !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
		r = tw_err_set(e, ECHILD, "cannot run '%s': its intermediate child failed",
			       o->path);
	if (r < 0 && pid > 0)
		spawn_wait(pid, -1, NULL);
	if (r == 0 && ret_pid && pid > 0)
		*ret_pid = pid;
	return r;
}

/*
 * Wait up to timeout_ms for PID to end, without reaping it: 0 once it
 * has, -ETIMEDOUT when it has not. A pidfd tells of its end; without one
 * (a kernel before 5.3, no fd left) look every 10 ms.
 */
static int wait_end(pid_t pid, int timeout_ms)
{
	uint64_t deadline = util_now_ms() + (uint64_t)timeout_ms;
	_cleanup_close_ int fd = util_pidfd_open(pid);
	for (;;) {
		uint64_t now = util_now_ms();
		int left = now < deadline ? (int)(deadline - now) : 0;
		if (fd >= 0) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			int n = poll(&p, 1, left);
			if (n > 0)
				return 0;
			if (n < 0 && errno != EINTR)
				close(TAKE_FD(fd)); /* look every 10 ms, then */
		} else {
			siginfo_t si = { 0 };
			struct timespec tick = { .tv_nsec = (left < 10 ? left : 10) * 1000000L };
			if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 ||
			    si.si_pid == pid)
				return 0; /* gone or not ours: waitpid says which */
			nanosleep(&tick, NULL);
		}
		if (left == 0)
			return -ETIMEDOUT;
	}
}

int spawn_wait(pid_t pid, int timeout_ms, int *ret_status)
{
	int st;
	/* pid -1 or 0 would reap any child, or one of a process group. */
	if (pid <= 0)
		return -EINVAL;
	int r = timeout_ms < 0 ? 0 : wait_end(pid, timeout_ms);
	if (r == -ETIMEDOUT)
		kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (r < 0)
		return r;
	if (ret_status)
		*ret_status = st;
	return 0;
}
