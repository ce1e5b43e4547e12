/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Changing a copy that already runs: what a pooled copy (made before its
 * user logged in) gets when a session takes it, and the session's files
 * written as the copy's root. Each change is made by a forked child of
 * ours that joins namespaces of the copy's init, so the copy's dropped
 * capabilities do not stand in its way.
 */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <lxc/lxccontainer.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "budget.h"
#include "cleanup.h"
#include "spawn.h"

/* Does our user namespace differ from the copy's (userns = yes)? */
static bool other_userns(int nsfd)
{
	struct stat a, b;
	return fstat(nsfd, &a) == 0 && stat("/proc/self/ns/user", &b) == 0 &&
	       (a.st_ino != b.st_ino || a.st_dev != b.st_dev);
}

static int open_ns(pid_t init, const char *ns)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)init, ns);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/*
 * Start fn(data) in a child that joined the copy's NSTYPE namespace (ns
 * name NS); its pid in *ret_pid (ctr_run_end waits for it). as_root: first
 * its user namespace, if it has one of its own, whose root the child
 * becomes (then NS may be one that namespace owns).
 */
static int in_copy_begin(struct lxc_container *c, bool as_root, const char *ns, int nstype,
			 int (*fn)(void *), void *data, pid_t *ret_pid)
{
	*ret_pid = -1;
	pid_t init = c->init_pid(c);
	if (init <= 0)
		return -ESRCH;
	_cleanup_close_ int userns = as_root ? open_ns(init, "user") : -EBADF;
	_cleanup_close_ int nsfd = open_ns(init, ns);
	if (nsfd < 0 || (as_root && userns < 0))
		return -errno;
	bool join_user = as_root && other_userns(userns);
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if ((join_user && setns(userns, CLONE_NEWUSER) < 0) || setns(nsfd, nstype) < 0 ||
		    (as_root &&
		     (chdir("/") < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)))
			_exit(errno ? errno : EPERM);
		_exit(fn(data));
	}
	*ret_pid = pid;
	return 0;
}

int ctr_run_end(pid_t pid)
{
	int st;
	int r = spawn_wait(pid, -1, &st);
	if (r < 0)
		return r;
	return WIFEXITED(st) ? -WEXITSTATUS(st) : -EIO;
}

static int in_copy(struct lxc_container *c, bool as_root, const char *ns, int nstype,
		   int (*fn)(void *), void *data)
{
	pid_t pid = -1;
	int r = in_copy_begin(c, as_root, ns, nstype, fn, data, &pid);
	return r < 0 ? r : ctr_run_end(pid);
}

struct bind {
	int tree;
	const char *dst;
};

static int move_tree(void *data)
{
	const struct bind *b = data;
	/* setns() put us at the copy's root: DST resolves inside it. */
	return move_mount(b->tree, "", AT_FDCWD, b->dst, MOVE_MOUNT_F_EMPTY_PATH) < 0 ? errno : 0;
}

int ctr_inject_bind(struct lxc_container *c, const char *src, const char *dst, bool ro,
		    const struct ctr_ids *ids)
{
	/* A detached copy of the host's tree, made here, moved in there. */
	_cleanup_close_ int tree = ctr_bind_tree(src, ro, ids);
	if (tree < 0)
		return tree;
	struct bind b = { .tree = tree, .dst = dst };
	return in_copy(c, false, "mnt", CLONE_NEWNS, move_tree, &b);
}

static int set_name(void *data)
{
	const char *name = data;
	return sethostname(name, strlen(name)) < 0 ? errno : 0;
}

int ctr_set_hostname(struct lxc_container *c, const char *name)
{
	return in_copy(c, false, "uts", CLONE_NEWUTS, set_name, (void *)name);
}

/*
 * In a child that joined only the copy's user namespace, as its root
 * there: each name under /proc/sys/user/ is that namespace's own limit,
 * whatever procfs it is opened through, so ours (the copy's /proc/sys is
 * read-only) sets the copy's. A kernel without one (no fanotify) has
 * nothing of it to bound.
 */
static int write_budgets(void *data)
{
	(void)data;
	char path[96], v[24];
	for (size_t i = 0; i < budget_count; i++) {
		const struct budget *b = &budget_table[i];
		snprintf(path, sizeof(path), "/proc/sys/user/%s", b->name);
		_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT)
			continue;
		int n = snprintf(v, sizeof(v), "%lu", b->per_copy);
		if (fd < 0 || write(fd, v, (size_t)n) != n)
			return errno ? errno : EIO;
	}
	return 0;
}

int ctr_set_budgets(struct lxc_container *c)
{
	pid_t init = c->init_pid(c);
	if (init <= 0)
		return -ESRCH;
	_cleanup_close_ int userns = open_ns(init, "user");
	if (userns < 0)
		return -errno;
	/* userns = no: the copy's uids are charged on the host as themselves. */
	if (!other_userns(userns))
		return 0;
	return in_copy(c, false, "user", CLONE_NEWUSER, write_budgets, NULL);
}

int ctr_origin_rootfs(const struct config *cfg, char *buf, size_t len)
{
	struct lxc_container *o = lxc_container_new(cfg->origin, cfg->origin_lxcpath);
	if (!o)
		return -ENOMEM;
	int r = o->is_defined(o) ? ctr_origin_dir(o, buf, len) : -ENOENT;
	lxc_container_put(o);
	return r;
}

/*
 * Not an lxc attach (cgroups, LSM, seccomp, capabilities: ~4 ms): a child
 * that joins the copy's user namespace (if it has one) and mount namespace
 * and becomes its root, which is all fn needs to write a few files as the
 * copy's root. It never runs code of the copy's.
 */
int ctr_run_as_root_begin(struct lxc_container *c, int (*fn)(void *), void *data, pid_t *ret_pid)
{
	return in_copy_begin(c, true, "mnt", CLONE_NEWNS, fn, data, ret_pid);
}
