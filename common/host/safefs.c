/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "safefs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "spawn.h"
#include "util.h"

int safefs_open_beneath(int dirfd, const char *path, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (unsigned)(flags | O_CLOEXEC | O_NOFOLLOW),
		.mode = (flags & O_CREAT) ? mode : 0,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
	return fd < 0 ? -errno : fd;
}

int safefs_read_beneath(int dirfd, const char *path, size_t max, char **ret_buf, size_t *ret_len)
{
	struct stat st;
	_cleanup_close_ int fd = safefs_open_beneath(dirfd, path, O_RDONLY | O_NONBLOCK, 0);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if ((size_t)st.st_size > max)
		return -EFBIG;
	return util_read_capped(fd, max, ret_buf, ret_len);
}

/* The child side of safefs_read_as_user: never returns. */
static void __attribute__((noreturn))
read_child(int out, uid_t uid, gid_t gid, const char *home, const char *relpath, size_t max)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;

	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		_exit(EPERM);
	/* Check that it took: a silent failure would read as root. */
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 || ru != uid ||
	    eu != uid || su != uid || rg != gid || eg != gid || sg != gid ||
	    getgroups(0, NULL) != 0)
		_exit(EPERM);
	int dfd = open(home, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		_exit(errno);
	int r = safefs_read_beneath(dfd, relpath, max, &buf, &len);
	if (r < 0)
		_exit(-r);
	_exit(util_write_all(out, buf, len) < 0 ? EIO : 0);
}

int safefs_read_as_user(uid_t uid, gid_t gid, const char *home, const char *relpath, size_t max,
			char **ret_buf, size_t *ret_len)
{
	int p[2], status;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (pid == 0) {
		close(p[0]);
		read_child(p[1], uid, gid, home, relpath, max);
	}
	close(p[1]);
	int r = util_read_capped(p[0], max, &buf, &len);
	close(p[0]);
	int w = spawn_wait(pid, -1, &status);
	if (w < 0)
		return w;
	if (!WIFEXITED(status))
		return -EIO;
	if (WEXITSTATUS(status) != 0)
		return -WEXITSTATUS(status);
	if (r < 0)
		return r;
	*ret_buf = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

int safefs_mkdirs_beneath(int dirfd, const char *relpath, mode_t mode, uid_t uid, gid_t gid)
{
	_cleanup_free_ char *copy = strdup(relpath);
	char *save = NULL;
	int cur = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);

	if (!copy || cur < 0) {
		if (cur >= 0)
			close(cur);
		return copy ? -errno : -ENOMEM;
	}
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0 || strcmp(c, "..") == 0) {
			close(cur);
			return -EINVAL;
		}
		bool made = mkdirat(cur, c, mode) == 0;
		if (!made && errno != EEXIST) {
			int r = -errno;
			close(cur);
			return r;
		}
		int next = openat(cur, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(cur);
		if (next < 0)
			return -errno;
		if (made && (fchown(next, uid, gid) < 0 || fchmod(next, mode) < 0)) {
			int r = -errno;
			close(next);
			return r;
		}
		cur = next;
	}
	return cur;
}

int safefs_write_beneath(int dirfd, const char *relpath, const void *data, size_t len, mode_t mode,
			 uid_t uid, gid_t gid, int replace)
{
	/* No O_TRUNC before the checks: a FIFO must not block us, a hard link
	 * to a file elsewhere must not be truncated. */
	int flags = O_WRONLY | O_CREAT | O_NONBLOCK | (replace ? 0 : O_EXCL);
	_cleanup_close_ int fd = safefs_open_beneath(dirfd, relpath, flags, mode);
	struct stat st;

	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_nlink != 1)
		return -EINVAL;
	if (replace && ftruncate(fd, 0) < 0)
		return -errno;
	if (fchown(fd, uid, gid) < 0 || fchmod(fd, mode) < 0)
		return -errno;
	int r = util_write_all(fd, data, len);
	if (r < 0)
		return r;
	return close(TAKE_FD(fd)) < 0 ? -errno : 0;
}

/*
 * Removing a tree that its owner may still change. Every step is relative
 * to an fd of the directory it works in: no path is resolved twice, no
 * symlink is followed (one is removed as itself), and a directory on
 * another device (a mount) is left. Past REMOVE_DEPTH_MAX levels a
 * subtree is not entered but moved (renameat2, no replace) to the top of
 * the removal, which empties it on a later pass: the walk holds at most
 * that many fds and stack frames, whatever the tree's depth.
 */
#define REMOVE_DEPTH_MAX 32

struct removal {
	int topfd;            /* the directory whose contents go (depth 0) */
	dev_t dev;            /* the only device entered */
	unsigned long lifted; /* subtrees moved to the top, for their names */
	int err;              /* the first failure */
};

static void failed(struct removal *rm, int r)
{
	if (r < 0 && rm->err == 0)
		rm->err = r;
}

/* Too deep to enter from here: to the top, under a name of ours. */
static void lift(struct removal *rm, int dfd, const char *name)
{
	char to[64];
	snprintf(to, sizeof(to), ".throwaway-rm-%lu", rm->lifted++);
	if (renameat2(dfd, name, rm->topfd, to, RENAME_NOREPLACE) < 0 && errno != ENOENT)
		failed(rm, -errno);
}

static void empty(struct removal *rm, int fd, unsigned depth, const char *except);

static void remove_entry(struct removal *rm, int dfd, const char *name, unsigned depth)
{
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		failed(rm, errno == ENOENT ? 0 : -errno);
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT)
			failed(rm, -errno);
		return;
	}
	/* Another file system mounted here is not ours to empty. */
	if (st.st_dev != rm->dev) {
		failed(rm, -EXDEV);
		return;
	}
	if (depth >= REMOVE_DEPTH_MAX) {
		lift(rm, dfd, name);
		return;
	}
	/* O_NOFOLLOW: a directory swapped for a symlink since the fstatat is not entered. */
	_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		failed(rm, -errno);
		return;
	}
	empty(rm, fd, depth + 1, NULL);
	if (unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		failed(rm, -errno);
}

/* Everything in the directory fd (borrowed) but the entry named except. */
static void empty(struct removal *rm, int fd, unsigned depth, const char *except)
{
	_cleanup_closedir_ DIR *d = NULL;
	int r = util_list_dir(fd, &d);
	if (r < 0) {
		failed(rm, r);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d)))
		if (!util_dot_or_dotdot(de->d_name) && !(except && strcmp(de->d_name, except) == 0))
			remove_entry(rm, fd, de->d_name, depth);
}

/* The top's passes: another as long as the last one lifted something into it. */
static int empty_top(int fd, dev_t dev, const char *except)
{
	struct removal rm = { .topfd = fd, .dev = dev };
	unsigned long before;
	do {
		before = rm.lifted;
		empty(&rm, fd, 0, except);
	} while (rm.lifted != before);
	return rm.err;
}

int safefs_empty_dir(int dirfd, dev_t dev, const char *except)
{
	return empty_top(dirfd, dev, except);
}

int safefs_remove_tree(int dirfd, const char *name, dev_t dev)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dirfd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
	if (st.st_dev != dev)
		return -EXDEV;
	_cleanup_close_ int fd =
		openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = empty_top(fd, dev, NULL);
	if (r == 0 && unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		r = -errno;
	return r;
}
