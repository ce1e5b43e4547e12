/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Running the user's programs in a copy: liblxc's attach (the copy's
 * namespaces, cgroups, seccomp, capability drops, the user's ids and
 * no_new_privs), then, inside, a session of its own, a terminal from the
 * copy's devpts if asked, and exec.
 *
 * A spare is such a process attached ahead of time, as soon as the copy is
 * ready, that waits for what to run: the attach (some 4 ms) is then off
 * the path of an ssh login, whose client is still asking for its channel
 * when the copy is ready. It hears from the keeper only; what it sends
 * back (a terminal's master) goes to the user's own shell.
 */
#include "container.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <lxc/attach_options.h>
#include <lxc/lxccontainer.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "cleanup.h"
#include "landlock.h"
#include "proto.h"
#include "util.h"

/* The terminal's master, to the keeper: a "pty" message carrying it. */
static int send_master(int sock, int master)
{
	struct proto_msg m;
	int r = proto_begin(&m, "pty");
	if (r == 0)
		r = proto_send(sock, &m, &master, 1);
	proto_free(&m);
	return r;
}

/* How long the attached side has to open the copy's terminal and send its master back. */
#define MASTER_TIMEOUT_MS 5000

static int recv_master(int sock, int timeout_ms)
{
	struct proto_msg m;
	int fd = -EBADF;
	size_t n = 0;
	int r = proto_recv(sock, &m, &fd, 1, &n, timeout_ms);
	if (r < 0)
		return r;
	bool ok = m.type && strcmp(m.type, "pty") == 0 && n == 1;
	proto_free(&m);
	if (ok)
		return fd;
	if (n == 1)
		close(fd);
	return -EIO;
}

struct inside {
	const struct copy_exec *x;
	const struct ctr_shared *shared; /* where the program makes no socket or FIFO */
	int pty_sock;                    /* where the master goes, or -1 */
};

void ctr_shared_of(const struct config *cfg, const char *home, struct ctr_shared *ret)
{
	ret->n = config_shared_dirs(cfg, home, ret->dirs, ELEMENTSOF(ret->dirs));
}

/*
 * Inside the copy, as the user, before exec: no socket or FIFO in what the
 * user's copies share (landlock.h). A kernel without Landlock (or with ABI
 * 1 only) leaves that to the per-user memory cap, which bounds what a
 * copy that ended can keep: the keeper logs it at each session's ready,
 * throwawayctl doctor says so. Any other
 * failure refuses the program.
 */
static int restrict_shared(const struct ctr_shared *shared)
{
	int r = landlock_deny_make(shared->dirs, shared->n);
	if (r == -ENOSYS || r == -EOPNOTSUPP || r == -EPROTONOSUPPORT)
		return 0;
	return r;
}

/*
 * Inside the copy, as the user: a terminal from the copy's devpts becomes
 * the controlling terminal and stdio; the master goes back to the keeper.
 * Returns the slave's name for SSH_TTY.
 */
static int open_pty_inside(const struct inside *in, char *name, size_t len)
{
	struct winsize ws = { .ws_row = in->x->rows, .ws_col = in->x->cols };
	int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || unlockpt(master) < 0 || ptsname_r(master, name, len) != 0)
		return -1;
	int slave = open(name, O_RDWR | O_CLOEXEC);
	if (slave < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
		return -1;
	if (ws.ws_row && ws.ws_col)
		ioctl(slave, TIOCSWINSZ, &ws);
	if (dup2(slave, 0) < 0 || dup2(slave, 1) < 0 || dup2(slave, 2) < 0)
		return -1;
	return send_master(in->pty_sock, master);
}

/* envp plus SSH_TTY=name, in storage that lives until exec. */
static char **env_with_tty(char *const *envp, const char *name)
{
	size_t n = 0;
	while (envp[n])
		n++;
	char **env = calloc(n + 2, sizeof(char *));
	if (!env || asprintf(&env[0], "SSH_TTY=%s", name) < 0)
		return NULL;
	memcpy(env + 1, envp, n * sizeof(char *));
	return env;
}

/* Runs inside the copy, already as the user: new session, then exec. */
static int exec_inside(void *payload)
{
	const struct inside *in = payload;
	const struct copy_exec *x = in->x;
	char *const *envp = x->envp;
	char name[64];

	util_reset_signals(); /* the keeper blocks some; a shell must not inherit that */
	/* The keeper is our parent: if it is killed, the program goes too, and
	 * with it the session's stdio that would hold the login open. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() == 1 || setsid() < 0)
		_exit(126);
	if (in->pty_sock >= 0) {
		if (open_pty_inside(in, name, sizeof(name)) < 0)
			_exit(126);
		char **env = env_with_tty(x->envp, name);
		if (env)
			envp = env;
	}
	if (x->cwd && chdir(x->cwd) < 0 && chdir("/") < 0)
		_exit(126);
	if (restrict_shared(in->shared) < 0)
		_exit(126);
	execve(x->path, x->argv, envp);
	_exit(127);
}

#define FD_SET_MAX 1024

/* Mark every open pidfd below FD_SET_MAX in set. */
static void pidfds(bool *set)
{
	_cleanup_closedir_ DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	char link[32], path[64];
	if (!d)
		return;
	while ((de = readdir(d))) {
		int fd = util_fd_name(de->d_name);
		if (fd <= 2 || fd >= FD_SET_MAX || fd == dirfd(d))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		ssize_t n = readlink(path, link, sizeof(link) - 1);
		if (n > 0 && (link[n] = '\0', strcmp(link, "anon_inode:[pidfd]") == 0))
			set[fd] = true;
	}
}

/* liblxc 5.0's attach() opens a pidfd of the copy's init and never closes
 * it: one leaked fd per program run. Close the pidfds it left. */
static void close_new_pidfds(const bool *before)
{
	bool after[FD_SET_MAX] = { false };
	pidfds(after);
	for (int fd = 3; fd < FD_SET_MAX; fd++)
		if (after[fd] && !before[fd])
			close(fd);
}

/* c->attach() without the pidfd it leaks. */
static int attach(struct lxc_container *c, lxc_attach_exec_t fn, void *data,
		  lxc_attach_options_t *o, pid_t *ret_pid)
{
	bool before[FD_SET_MAX] = { false };
	pidfds(before);
	int r = c->attach(c, fn, data, o, ret_pid) < 0 ? -EIO : 0;
	close_new_pidfds(before);
	return r;
}

/* Every namespace and cgroup of the copy, its LSM and seccomp, as x's user with no_new_privs. */
static void as_user(lxc_attach_options_t *o, const struct copy_exec *x)
{
	o->attach_flags = LXC_ATTACH_DEFAULT | LXC_ATTACH_NO_NEW_PRIVS | LXC_ATTACH_SETGROUPS;
	o->env_policy = LXC_ATTACH_CLEAR_ENV;
	o->uid = x->uid;
	o->gid = x->gid;
	o->groups.size = x->n_groups;
	o->groups.list = (gid_t *)x->groups; /* liblxc copies the list */
	o->initial_cwd = (char *)"/";
}

int ctr_attach(struct lxc_container *c, const struct copy_exec *x, const struct ctr_shared *shared,
	       pid_t *ret_pid, int *ret_master)
{
	lxc_attach_options_t o = LXC_ATTACH_OPTIONS_DEFAULT;
	struct inside in = { .x = x, .shared = shared, .pty_sock = -1 };
	int sv[2] = { -1, -1 };
	pid_t pid;

	if (x->pty && socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	in.pty_sock = sv[1];
	as_user(&o, x);
	o.stdin_fd = x->pty ? -1 : x->fds[0];
	o.stdout_fd = x->pty ? -1 : x->fds[1];
	o.stderr_fd = x->pty ? -1 : x->fds[2];
	int r = attach(c, exec_inside, &in, &o, &pid);
	if (sv[1] >= 0)
		close(sv[1]);
	if (r == 0 && x->pty) {
		int master = recv_master(sv[0], MASTER_TIMEOUT_MS);
		if (master < 0) {
			kill(pid, SIGKILL);
			r = master;
		} else {
			*ret_master = master;
		}
	}
	if (sv[0] >= 0)
		close(sv[0]);
	if (r == 0)
		*ret_pid = pid;
	return r;
}

#define SPARE_MAX_ARGS 8
#define SPARE_MAX_ENV 64

struct spare_exec {
	struct copy_exec x;
	char *argv[SPARE_MAX_ARGS + 1];
	char *envp[SPARE_MAX_ENV + 1];
};

/* Fill *s from the keeper's "run" (the values stay in m). */
static int spare_parse(const struct proto_msg *m, struct spare_exec *s)
{
	size_t na = 0, ne = 0;
	unsigned long long rows = 0, cols = 0;
	for (size_t i = 0; i < m->n; i++) {
		if (strcmp(m->keys[i], "arg") == 0 && na < SPARE_MAX_ARGS)
			s->argv[na++] = (char *)m->vals[i];
		else if (strcmp(m->keys[i], "env") == 0 && ne < SPARE_MAX_ENV)
			s->envp[ne++] = (char *)m->vals[i];
	}
	s->x.path = proto_get(m, "path");
	s->x.cwd = proto_get(m, "cwd");
	s->x.pty = proto_get(m, "pty") != NULL;
	if (s->x.pty && (proto_getu(m, "rows", PROTO_MAX_WINSIZE, &rows) < 0 ||
			 proto_getu(m, "cols", PROTO_MAX_WINSIZE, &cols) < 0))
		return -EBADMSG;
	s->x.rows = (unsigned short)rows;
	s->x.cols = (unsigned short)cols;
	s->x.argv = s->argv;
	s->x.envp = s->envp;
	return strcmp(m->type, "run") == 0 && s->x.path && na > 0 ? 0 : -EBADMSG;
}

/* What a spare is attached with (its memory is a copy of ours as of the attach). */
struct spare_payload {
	int sock;
	const struct ctr_shared *shared;
};

/* Inside the copy, as the user: wait for the keeper's "run", then as exec_inside. */
static int spare_inside(void *payload)
{
	const struct spare_payload *sp = payload;
	const int sock = sp->sock;
	struct proto_msg m;
	struct spare_exec s = { 0 };
	int fds[PROTO_MAX_FDS];
	size_t n = 0;

	/* The user's other programs in the copy must not steer it (ptrace). */
	if (prctl(PR_SET_DUMPABLE, 0) < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		_exit(126);
	if (proto_recv(sock, &m, fds, PROTO_MAX_FDS, &n, -1) < 0 || spare_parse(&m, &s) < 0 ||
	    (!s.x.pty && n != 3))
		_exit(126);
	for (size_t i = 0; !s.x.pty && i < 3; i++)
		if (dup2(fds[i], (int)i) < 0)
			_exit(126);
	struct inside in = { .x = &s.x, .shared = sp->shared, .pty_sock = s.x.pty ? sock : -1 };
	return exec_inside(&in);
}

int ctr_spare(struct lxc_container *c, const struct copy_exec *who, const struct ctr_shared *shared,
	      pid_t *ret_pid, int *ret_sock)
{
	lxc_attach_options_t o = LXC_ATTACH_OPTIONS_DEFAULT;
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	as_user(&o, who);
	struct spare_payload sp = { .sock = sv[1], .shared = shared };
	int r = attach(c, spare_inside, &sp, &o, &pid);
	close(sv[1]);
	if (r < 0) {
		close(sv[0]);
		return r;
	}
	*ret_pid = pid;
	*ret_sock = sv[0];
	return 0;
}

int ctr_spare_run(int sock, const struct copy_exec *x, int *ret_master)
{
	struct proto_msg m;
	int r = proto_begin(&m, "run") ?: proto_put(&m, "path", x->path) ?: proto_put(&m, "cwd", x->cwd);
	for (size_t i = 0; r == 0 && x->argv[i]; i++)
		r = i < SPARE_MAX_ARGS ? proto_put(&m, "arg", x->argv[i]) : -E2BIG;
	for (size_t i = 0; r == 0 && x->envp[i]; i++)
		r = i < SPARE_MAX_ENV ? proto_put(&m, "env", x->envp[i]) : -E2BIG;
	if (r == 0 && x->pty)
		r = proto_put(&m, "pty", "1") ?: proto_putu(&m, "rows", x->rows) ?: proto_putu(&m, "cols", x->cols);
	if (r == 0)
		r = proto_send(sock, &m, x->pty ? NULL : x->fds, x->pty ? 0 : 3);
	proto_free(&m);
	if (r == 0 && x->pty) {
		int master = recv_master(sock, MASTER_TIMEOUT_MS);
		if (master < 0)
			return master;
		*ret_master = master;
	}
	return r;
}
