/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The lxc driver: copies made with liblxc on this host (container.c and
 * its neighbours), behind the copy interface (copy.h). A place is an
 * lxcpath. A program's stand-in is the attached process itself (our
 * child); the copy's end is its init's pidfd.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <lxc/lxccontainer.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "cleanup.h"
#include "container.h"
#include "copy.h"
#include "kept.h"
#include "lxc_driver.h"
#include "safefs.h"
#include "util.h"

struct lxc_copy {
	struct copy base;
	struct copy_spec spec;
	struct lxc_container *origin; /* prepared, until the copy is made */
	struct lxc_container *c;
	char lower[PATH_MAX]; /* the origin's rootfs directory */
	char logfile[PATH_MAX];
	int initfd;      /* pidfd of the copy's init */
	int monitorfd;   /* pidfd of its monitor, or -EBADF: stop through liblxc */
	pid_t spare_pid; /* a process attached ahead of the first program */
	int spare_pidfd; /* its pidfd: it may have ended and been reaped */
	int spare_fd;    /* its socket, or -EBADF once spent */
};

static struct lxc_copy *lxc_of(struct copy *c)
{
	return (struct lxc_copy *)c;
}

static struct lxc_copy *new_copy(const struct copy_spec *s)
{
	struct lxc_copy *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->base.drv = &copy_driver_lxc;
	l->spec = *s;
	l->initfd = l->monitorfd = l->spare_fd = l->spare_pidfd = -EBADF;
	return l;
}

/*
 * What a process that makes copies, its monitors and their post-stop hooks
 * use of the host's mounts (mount_ns.c): the programs, libraries, config
 * and logs on the way to these paths; the kernel's file systems, our
 * runtime state, the copies and the origin's rootfs whole.
 */
static const struct ctr_keep keep_host[] = {
	{ "/etc", false },     { "/usr", false },     { "/bin", false },
	{ "/sbin", false },    { "/lib", false },     { "/lib64", false },
	{ "/tmp", false },     { "/var/log", false }, { "/run/systemd/journal", false },
	{ LIBEXECDIR, false }, { DATADIR, false },    { KEPT_DIR, false },
	{ "/proc", true },     { "/sys", true },      { "/dev", true },
	{ TW_RUNDIR, true },   { "/run/lxc", true },
};

/* keep_host, then the copies' place, the origin's rootfs, the home and the binds' sources. */
static size_t keep_list(const struct copy_spec *s, struct ctr_keep *k, char *rootfs, size_t len)
{
	const struct config *cfg = s->cfg;
	size_t n = ELEMENTSOF(keep_host);
	memcpy(k, keep_host, sizeof(keep_host));
	k[n++] = (struct ctr_keep){ cfg->lxcpath, true };
	if (ctr_origin_rootfs(cfg, rootfs, len) == 0)
		k[n++] = (struct ctr_keep){ rootfs, true };
	if (cfg->bind_home && s->home)
		k[n++] = (struct ctr_keep){ s->home, false };
	for (size_t i = 0; i < cfg->n_binds; i++)
		k[n++] = (struct ctr_keep){ cfg->binds[i].src, false };
	return n;
}

/* Copies' mounts are made in a mount namespace of the process that makes them (copy_mounts.c). */
static int lxc_prepare_process(const struct copy_spec *s, struct tw_err *err)
{
	struct ctr_keep keep[ELEMENTSOF(keep_host) + 3 + CONFIG_MAX_BINDS];
	char rootfs[PATH_MAX];
	int r = ctr_mount_namespace(keep, keep_list(s, keep, rootfs, sizeof(rootfs)));
	if (r < 0)
		return tw_err_set(err, r, "cannot make a mount namespace for the copies (%s)",
				  strerror(-r));
	return 0;
}

static int lxc_prepare(const struct copy_spec *s, struct copy **ret, struct tw_err *err)
{
	struct lxc_copy *l = new_copy(s);
	if (!l)
		return tw_err_set(err, ENOMEM, "out of memory");
	int r = ctr_check(s->cfg, &l->origin, err);
	if (r < 0) {
		free(l);
		return r;
	}
	*ret = &l->base;
	return 0;
}

/* With the debug argument liblxc logs each start in full, beside the ledger. */
static const char *debug_log(struct lxc_copy *l)
{
	if (!l->spec.debug || util_mkdir_secure(TW_RUNDIR "/log", 0700, NULL) < 0)
		return NULL;
	snprintf(l->logfile, sizeof(l->logfile), "%s/log/%s.log", TW_RUNDIR, l->spec.name);
	return l->logfile;
}

static int lxc_make(struct copy *c, struct tw_err *err)
{
	struct lxc_copy *l = lxc_of(c);
	const struct copy_spec *s = &l->spec;
	struct ctr_params p = { .cfg = s->cfg,
				.name = s->name,
				.session = s->session,
				.hook = LIBEXECDIR "/throwaway-hook",
				.home = s->home,
				.user = s->user,
				.uid = s->uid,
				.gid = s->gid,
				.ret_lower = l->lower,
				.logfile = debug_log(l),
				.pool = s->pool,
				.address = s->address,
				.gateway = s->gateway };
	p.groups = s->groups;
	p.n_groups = s->n_groups;
	struct lxc_container *o = l->origin;
	l->origin = NULL;
	return ctr_create(&p, o, &l->c, err);
}

/* Pidfds of the running copy's init and monitor: 0, or -ESRCH when init is gone. */
static int open_init(struct lxc_copy *l)
{
	l->initfd = l->c->init_pidfd(l->c);
	if (l->initfd < 0)
		l->initfd = util_pidfd_open(l->c->init_pid(l->c));
	if (l->initfd < 0)
		return -ESRCH;
	l->monitorfd = ctr_monitor_pidfd(l->initfd);
	return 0;
}

static int lxc_start(struct copy *c, unsigned timeout_ms, struct tw_err *err)
{
	struct lxc_copy *l = lxc_of(c);
	struct ctr_cgroup cg;
	ctr_cgroup_plan(l->spec.cfg, l->spec.pool, l->spec.uid, &cg);
	int r = ctr_start(l->c, &cg, timeout_ms, err);
	if (r < 0)
		return r;
	if (open_init(l) < 0)
		return tw_err_set(err, ESRCH, "the copy '%s' stopped right after start",
				  l->spec.name);
	return 0;
}

static int lxc_open(const struct copy_spec *s, struct copy **ret, struct tw_err *err)
{
	struct lxc_copy *l = new_copy(s);
	if (!l)
		return tw_err_set(err, ENOMEM, "out of memory");
	l->c = lxc_container_new(s->name, s->cfg->lxcpath);
	int r = 0;
	if (!l->c || !l->c->is_running(l->c) || open_init(l) < 0)
		r = tw_err_set(err, ESRCH, "the copy '%s' is not running", s->name);
	else if (ctr_origin_rootfs(s->cfg, l->lower, sizeof(l->lower)) < 0)
		r = tw_err_set(err, ENOENT, "the origin '%s' has no root file system",
			       s->cfg->origin);
	if (r < 0) {
		copy_free(&l->base);
		return r;
	}
	*ret = &l->base;
	return 0;
}

static void lxc_free(struct copy *c)
{
	struct lxc_copy *l = lxc_of(c);
	if (l->origin)
		lxc_container_put(l->origin);
	if (l->c)
		lxc_container_put(l->c);
	if (l->initfd >= 0)
		close(l->initfd);
	if (l->monitorfd >= 0)
		close(l->monitorfd);
	if (l->spare_fd >= 0)
		close(l->spare_fd);
	if (l->spare_pidfd >= 0)
		close(l->spare_pidfd);
	free(l);
}

/* The origin's files, from its rootfs on this host (no symlink followed). */
static int lxc_read_origin(struct copy *c, const char *path, size_t max, char **ret_buf,
			   size_t *ret_len)
{
	struct lxc_copy *l = lxc_of(c);
	_cleanup_close_ int fd = open(l->lower, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return safefs_read_beneath(fd, path + strspn(path, "/"), max, ret_buf, ret_len);
}

static int lxc_write_begin(struct copy *c, const struct copy_file *f, size_t n, int *ret_job)
{
	pid_t pid;
	int r = ctr_write_files_begin(lxc_of(c)->c, f, n, &pid);
	if (r == 0)
		*ret_job = (int)pid;
	return r;
}

static int lxc_write_end(struct copy *c, int job)
{
	(void)c;
	return ctr_run_end((pid_t)job);
}

/*
 * A pooled copy's binds keep only its user's ids (ctr_bind_tree): its own
 * map, made before it had a user, passes every ordinary id through
 * (userns = yes), or it has none (userns = no), so that only the bind's
 * map keeps its root from other users' ids there.
 */
static int lxc_inject_bind(struct copy *c, const char *src, const char *dst, bool ro)
{
	const struct copy_spec *s = &lxc_of(c)->spec;
	const struct ctr_ids ids = { s->uid, s->gid, s->groups, s->n_groups };
	return ctr_inject_bind(lxc_of(c)->c, src, dst, ro, &ids);
}

static int lxc_set_hostname(struct copy *c, const char *name)
{
	return ctr_set_hostname(lxc_of(c)->c, name);
}

/*
 * The first program's attach, made now: the copy is ready before an ssh
 * client has asked for its channel (see container_attach.c).
 */
static int lxc_enter_ahead(struct copy *c, const struct copy_exec *who)
{
	struct lxc_copy *l = lxc_of(c);
	struct ctr_shared shared;
	if (l->spare_fd >= 0)
		return 0;
	ctr_shared_of(l->spec.cfg, l->spec.home, &shared);
	int r = ctr_spare(l->c, who, &shared, &l->spare_pid, &l->spare_fd);
	if (r < 0) {
		l->spare_fd = -EBADF;
		return r;
	}
	/* Our child, not reaped before we return: the pid is still its own. */
	l->spare_pidfd = util_pidfd_open(l->spare_pid);
	return 0;
}

/* The spare is spent: used, or failed and ended through its pidfd (never its pid). */
static void spend_spare(struct lxc_copy *l, bool failed)
{
	if (failed && l->spare_pidfd >= 0)
		util_pidfd_signal(l->spare_pidfd, SIGKILL);
	if (l->spare_pidfd >= 0)
		close(l->spare_pidfd);
	l->spare_pidfd = -EBADF;
}

/*
 * What the user typed ahead (x->typed) into the copy's terminal with its
 * echo off until its line discipline has taken it in: poll() on the slave
 * waits for that (the kernel's n_tty_poll flushes pending input first),
 * and setting the modes back waits for a receive under way. Only into a
 * pty master (TIOCGPTPEER finds its slave), and never blocking: the fd
 * came from inside the copy, and the keeper's loop must not wait on it.
 */
static void type_quietly(int master, const struct copy_exec *x)
{
	struct termios tio, quiet;
	_cleanup_close_ int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	int flags = slave >= 0 ? fcntl(master, F_GETFL) : -1;
	if (flags < 0 || tcgetattr(master, &tio) < 0)
		return;
	quiet = tio;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	if (tcsetattr(master, TCSANOW, &quiet) < 0)
		return;
	if (fcntl(master, F_SETFL, flags | O_NONBLOCK) == 0) {
		util_write_all(master, x->typed, x->n_typed);
		fcntl(master, F_SETFL, flags);
	}
	struct pollfd p = { .fd = slave, .events = POLLIN };
	poll(&p, 1, 0);
	tcsetattr(master, TCSANOW, &tio);
}

static int enter_now(struct lxc_copy *l, const struct copy_exec *x, pid_t *ret_pid, int *ret_master)
{
	struct ctr_shared shared;
	if (l->spare_fd >= 0) {
		int sock = l->spare_fd;
		l->spare_fd = -EBADF;
		int r = ctr_spare_run(sock, x, ret_master);
		close(sock);
		/* A failed one is reaped with the caller's other children; attach anew. */
		spend_spare(l, r < 0);
		if (r == 0) {
			*ret_pid = l->spare_pid;
			return 0;
		}
	}
	ctr_shared_of(l->spec.cfg, l->spec.home, &shared);
	return ctr_attach(l->c, x, &shared, ret_pid, ret_master);
}

static int lxc_enter(struct copy *c, const struct copy_exec *x, pid_t *ret_pid, int *ret_master)
{
	int r = enter_now(lxc_of(c), x, ret_pid, ret_master);
	if (r == 0 && x->pty && *ret_master >= 0 && x->n_typed)
		type_quietly(*ret_master, x);
	return r;
}

static bool lxc_path_exists(struct copy *c, const char *path)
{
	return ctr_path_exists(lxc_of(c)->c, path);
}

static int lxc_addresses(struct copy *c, char *buf, size_t len, unsigned wait_ms)
{
	return ctr_addresses(lxc_of(c)->c, buf, len, wait_ms);
}

static int lxc_stopped_fd(struct copy *c)
{
	return lxc_of(c)->initfd;
}

static int lxc_owner(struct copy *c, pid_t *ret_pid, uint64_t *ret_start)
{
	pid_t pid = lxc_of(c)->c->init_pid(lxc_of(c)->c);
	if (pid <= 0 || util_proc_starttime(pid, ret_start) < 0)
		return -ESRCH;
	*ret_pid = pid;
	return 0;
}

static int lxc_kill(struct copy *c)
{
	struct lxc_copy *l = lxc_of(c);
	/* Only with a monitor to wait for: stop then finishes the job. */
	if (l->initfd >= 0 && l->monitorfd >= 0)
		return ctr_kill_init(l->initfd);
	return 0;
}

/* Stop and destroy whatever was made of it: a prepared copy has nothing yet. */
static int lxc_stop(struct copy *c)
{
	struct lxc_copy *l = lxc_of(c);
	if (!l->c)
		return 0;
	if (l->spare_fd >= 0)
		close(l->spare_fd);
	l->spare_fd = -EBADF;
	spend_spare(l, false);
	bool started = l->initfd >= 0;
	int r = ctr_stop_init(l->c, l->initfd, l->monitorfd);
	/* A start that failed half way leaves its cgroups to whoever made it. */
	if (!started)
		ctr_remove_cgroups(l->spec.name);
	lxc_container_put(l->c);
	l->c = NULL;
	/* The user's parent cgroup goes with their last copy, unless what it
	 * charged is still held. Named, not looked up: the copy's cgroups may
	 * be gone already. (A taken pooled copy sits below the pool's, gc's.) */
	char parent[CGROUP_PARENT_MAX];
	if (cgroup_parent_name(l->spec.pool, l->spec.uid, parent, sizeof(parent)) == 0)
		ctr_cgroup_release(parent);
	return r;
}

/* Copies live in the config's lxcpath. */
static int lxc_place(const struct config *cfg, char *buf, size_t len)
{
	return util_strscpy(buf, len, cfg->lxcpath);
}

/* An lxc copy is one session's: it never outlives it. */
static int lxc_destroy(const char *lxcpath, const char *name, const char *session)
{
	(void)session;
	return ctr_destroy(lxcpath, name);
}

const struct copy_driver copy_driver_lxc = {
	.name = "lxc",
	.place = lxc_place,
	.prepare_process = lxc_prepare_process,
	.prepare = lxc_prepare,
	.make = lxc_make,
	.start = lxc_start,
	.open = lxc_open,
	.free = lxc_free,
	.read_origin = lxc_read_origin,
	.write_begin = lxc_write_begin,
	.write_end = lxc_write_end,
	.inject_bind = lxc_inject_bind,
	.set_hostname = lxc_set_hostname,
	.enter_ahead = lxc_enter_ahead,
	.enter = lxc_enter,
	.path_exists = lxc_path_exists,
	.addresses = lxc_addresses,
	.stopped_fd = lxc_stopped_fd,
	.owner = lxc_owner,
	.kill = lxc_kill,
	.stop = lxc_stop,
	.destroy = lxc_destroy,
	.usage = ctr_usage,
	.running = ctr_running,
	.list = ctr_list,
	.sweep = ctr_sweep,
	.check_origin = ctr_check_origin,
};
