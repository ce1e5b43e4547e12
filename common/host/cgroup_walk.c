/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Walking cgroups (cgroup.h): the hierarchies of a root, a copy's cgroup
 * and those below it, to read their processes, kill them, remove them.
 * Every directory is opened below the one before it, O_NOFOLLOW, and no
 * walk goes deeper than CGROUP_DEPTH_MAX levels below a copy's cgroup.
 */
#include "cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "names.h"
#include "util.h"

/* cgroup.procs: a decimal pid and a newline each, CGROUP_PIDS_MAX of them at most */
#define PROCS_FILE_MAX (CGROUP_PIDS_MAX * 12)

/* Can the entry de be a cgroup below its directory (O_DIRECTORY tells for sure)? */
static bool maybe_cgroup(const struct dirent *de)
{
	/* liblxc keeps init in a ".lxc" child: only "." and ".." are not cgroups */
	return (de->d_type == DT_DIR || de->d_type == DT_UNKNOWN) &&
	       !util_dot_or_dotdot(de->d_name);
}

/* The entry de of dfd, if it is a directory (a cgroup): an fd, else -errno. */
static int open_subdir(int dfd, const struct dirent *de)
{
	if (!maybe_cgroup(de))
		return -ENOTDIR;
	int fd = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* Hierarchies ----------------------------------------------------------------- */

int cgroup_foreach_hierarchy(const char *root, int (*fn)(int hfd, const char *hier, void *data),
			     void *data)
{
	_cleanup_close_ int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0)
		return -errno;
	if (cgroup_layout_at(rfd) == CGROUP_UNIFIED)
		return fn(rfd, "", data);
	_cleanup_closedir_ DIR *d = NULL;
	int r = util_list_dir(rfd, &d);
	if (r < 0)
		return r;
	struct dirent *de;
	while (r >= 0 && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		/* O_NOFOLLOW: a link to a hierarchy (cpu -> cpu,cpuacct) is not one more */
		_cleanup_close_ int hfd = open_subdir(rfd, de);
		if (hfd >= 0)
			r = fn(hfd, de->d_name, data);
	}
	return r;
}

/* Walks ------------------------------------------------------------------------- */

/*
 * fn(dfd, data) on the cgroup dfd, then on each cgroup below it, parents
 * first, down to CGROUP_DEPTH_MAX levels. Stops at fn's first negative
 * return, which it returns.
 */
static int walk(int dfd, unsigned depth, int (*fn)(int dfd, void *data), void *data)
{
	int r = fn(dfd, data);
	if (r < 0 || depth >= CGROUP_DEPTH_MAX)
		return r;
	_cleanup_closedir_ DIR *d = NULL;
	int q = util_list_dir(dfd, &d);
	if (q < 0)
		return q;
	struct dirent *de;
	while (r >= 0 && (de = readdir(d))) {
		_cleanup_close_ int sub = open_subdir(dfd, de);
		if (sub >= 0)
			r = walk(sub, depth + 1, fn, data);
	}
	return r;
}

/* The pids in the cgroup.procs of dfd, appended to l. */
static int read_procs(int dfd, struct cgroup_pids *l)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	_cleanup_close_ int fd = openat(dfd, "cgroup.procs", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = util_read_capped(fd, PROCS_FILE_MAX, &text, &len);
	return r < 0 ? r : cgroup_parse_procs(text, l);
}

static int read_procs_fn(int dfd, void *data)
{
	return read_procs(dfd, data);
}

int cgroup_read_tree(int dfd, struct cgroup_pids *l)
{
	return walk(dfd, 0, read_procs_fn, l);
}

int cgroup_copy_pids(const char *root, const char *name, struct cgroup_pids *l)
{
	/* On v1 each hierarchy lists every process; pids is the one a copy surely has. */
	static const char *const hierarchies[] = { "pids", "memory", "cpu", "systemd", "unified" };
	enum cgroup_layout layout = cgroup_layout(root);
	int r = -ENOENT;
	for (size_t i = 0; i < ELEMENTSOF(hierarchies) && r == -ENOENT; i++) {
		_cleanup_close_ int fd =
			cgroup_open_copy(root, layout, hierarchies[i], CGROUP_PAYLOAD, name);
		r = fd < 0 ? fd : cgroup_read_tree(fd, l);
		if (layout == CGROUP_UNIFIED)
			break;
	}
	return r;
}

/* Kill ---------------------------------------------------------------------------- */

static int compare_pids(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
	return (x > y) - (x < y);
}

/* pidfds open at once: well below any RLIMIT_NOFILE */
#define KILL_BATCH 256

static bool listed(const struct cgroup_pids *sorted, pid_t pid)
{
	return bsearch(&pid, sorted->pids, sorted->n, sizeof(pid), compare_pids) != NULL;
}

/*
 * SIGKILL the processes pids[0..n) (n <= KILL_BATCH) of dfd's cgroup.procs
 * through pidfds, each only when its pid is listed there again after its
 * pidfd was opened: the pidfd then names the process that was in the
 * cgroup, even if the pid is reused later. Pid 1 never. How many were
 * signalled.
 */
static unsigned kill_batch(int dfd, const pid_t *pids, size_t n)
{
	_cleanup_(cgroup_pids_free) struct cgroup_pids now = { 0 };
	int fds[KILL_BATCH];
	unsigned killed = 0;
	for (size_t i = 0; i < n; i++)
		fds[i] = pids[i] > 1 ? util_pidfd_open(pids[i]) : -EBADF;
	if (read_procs(dfd, &now) == 0 && now.n > 0)
		qsort(now.pids, now.n, sizeof(*now.pids), compare_pids);
	for (size_t i = 0; i < n; i++) {
		if (fds[i] >= 0 && now.n > 0 && listed(&now, pids[i]) &&
		    syscall(SYS_pidfd_send_signal, fds[i], SIGKILL, NULL, 0) == 0)
			killed++;
		if (fds[i] >= 0)
			close(fds[i]);
	}
	return killed;
}

/* SIGKILL what dfd's cgroup.procs lists (kill_batch); how many were signalled. */
static unsigned kill_procs(int dfd)
{
	_cleanup_(cgroup_pids_free) struct cgroup_pids l = { 0 };
	unsigned killed = 0;
	if (read_procs(dfd, &l) < 0)
		return 0;
	for (size_t off = 0; off < l.n; off += KILL_BATCH)
		killed += kill_batch(dfd, l.pids + off,
				     l.n - off < KILL_BATCH ? l.n - off : KILL_BATCH);
	return killed;
}

static int kill_procs_fn(int dfd, void *data)
{
	unsigned *n = data;
	*n += kill_procs(dfd);
	return 0; /* a cgroup that went meanwhile stops nothing */
}

/* v2's cgroup.kill (Linux 5.14): the kernel kills the whole subtree, no pid involved. */
static int kill_by_file(int dfd, int kfd)
{
	_cleanup_(cgroup_pids_free) struct cgroup_pids l = { 0 };
	int r = cgroup_read_tree(dfd, &l);
	/* a tree that could not be read whole is killed all the same */
	if ((r < 0 || l.n > 0) && write(kfd, "1", 1) != 1)
		return -errno;
	return r < 0 ? r : (int)l.n;
}

int cgroup_kill_tree(int dfd)
{
	_cleanup_close_ int kfd = openat(dfd, "cgroup.kill", O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (kfd >= 0)
		return kill_by_file(dfd, kfd);
	unsigned n = 0;
	walk(dfd, 0, kill_procs_fn, &n);
	return (int)n;
}

struct copy_op {
	const char *name;
	enum cgroup_kind kind;
	unsigned n;
};

static int kill_found(int holder, const char *parent, const char *dirname, void *data)
{
	struct copy_op *op = data;
	(void)parent;
	_cleanup_close_ int fd =
		openat(holder, dirname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int r = fd >= 0 ? cgroup_kill_tree(fd) : 0;
	if (r > 0)
		op->n += (unsigned)r;
	return 0;
}

static int kill_in(int hfd, const char *hier, void *data)
{
	struct copy_op *op = data;
	(void)hier;
	cgroup_foreach_copy_at(hfd, op->kind, op->name, kill_found, op);
	return 0;
}

unsigned cgroup_kill_copy(const char *root, enum cgroup_kind kind, const char *name)
{
	struct copy_op op = { .name = name, .kind = kind };
	if (!names_container_valid(name))
		return 0;
	cgroup_foreach_hierarchy(root, kill_in, &op);
	return op.n;
}

/* Removal ----------------------------------------------------------------------- */

static bool remove_at(int parent, const char *name, unsigned depth);

/* The empty cgroups below NAME of parent, deepest first. */
static void remove_children(int parent, const char *name, unsigned depth)
{
	_cleanup_close_ int fd =
		openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	if (fd < 0 || util_list_dir(fd, &d) < 0)
		return;
	while ((de = readdir(d)))
		if (maybe_cgroup(de))
			remove_at(fd, de->d_name, depth + 1);
}

/* rmdir fails on a cgroup that holds a process or a child: busy ones stay. */
static bool remove_at(int parent, const char *name, unsigned depth)
{
	if (depth < CGROUP_DEPTH_MAX)
		remove_children(parent, name, depth);
	return unlinkat(parent, name, AT_REMOVEDIR) == 0;
}

bool cgroup_remove_tree(int parent, const char *name)
{
	return remove_at(parent, name, 0);
}

static int remove_found(int holder, const char *parent, const char *dirname, void *data)
{
	struct copy_op *op = data;
	(void)parent;
	op->n += cgroup_remove_tree(holder, dirname);
	return 0;
}

static int remove_in(int hfd, const char *hier, void *data)
{
	struct copy_op *op = data;
	(void)hier;
	cgroup_foreach_copy_at(hfd, CGROUP_MONITOR, op->name, remove_found, op);
	cgroup_foreach_copy_at(hfd, CGROUP_PAYLOAD, op->name, remove_found, op);
	return 0;
}

unsigned cgroup_remove_copy(const char *root, const char *name)
{
	struct copy_op op = { .name = name };
	if (!names_container_valid(name))
		return 0;
	cgroup_foreach_hierarchy(root, remove_in, &op);
	return op.n;
}

struct leftovers {
	const char *root;
	bool (*is_dead)(const char *name, void *data);
	void *data;
	unsigned n;
};

/* The copies' cgroups in the directory dfd whose copy is dead: all of that copy's go. */
static void leftovers_at(int dfd, struct leftovers *lo)
{
	char name[NAMES_CONTAINER_MAX + 1];
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	if (dfd < 0 || util_list_dir(dfd, &d) < 0)
		return;
	while ((de = readdir(d))) {
		const char *n = cgroup_copy_name(de->d_name, NULL);
		if (!maybe_cgroup(de) || !n || util_strscpy(name, sizeof(name), n) < 0)
			continue;
		if (lo->is_dead(name, lo->data))
			lo->n += cgroup_remove_copy(lo->root, name);
	}
}

/* Every place of a hierarchy that holds copies' cgroups: ours, and the top (older versions'). */
static int leftovers_in(int hfd, const char *hier, void *data)
{
	struct leftovers *lo = data;
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	(void)hier;
	leftovers_at(hfd, lo);
	_cleanup_close_ int top =
		openat(hfd, CGROUP_TOP, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	leftovers_at(top, lo);
	_cleanup_close_ int copies =
		openat(hfd, CGROUP_COPIES, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (copies < 0 || util_list_dir(copies, &d) < 0)
		return 0;
	while ((de = readdir(d))) {
		if (!maybe_cgroup(de) || !cgroup_parent_valid(de->d_name))
			continue;
		_cleanup_close_ int pfd =
			openat(copies, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		leftovers_at(pfd, lo);
	}
	return 0;
}

unsigned cgroup_remove_leftovers(const char *root, bool (*is_dead)(const char *name, void *data),
				 void *data)
{
	struct leftovers lo = { .root = root, .is_dead = is_dead, .data = data };
	cgroup_foreach_hierarchy(root, leftovers_in, &lo);
	return lo.n;
}
