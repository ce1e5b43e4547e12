/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The mounts a copy starts on, made by the process that makes the copy (a
 * keeper, or the pool's filler) in a mount namespace of its own, before
 * liblxc starts it: the lxc monitor shares that namespace (no
 * lxc.monitor.unshare: ours is private already) and the copy's is made
 * from it.
 *
 *  - the upper layer's tmpfs, over <copy>/overlay: size-capped, and gone
 *    with the last namespace that holds it, so a dead keeper cannot leak it;
 *  - with userns, the origin's rootfs mounted idmapped with the copy's map
 *    at CTR_LOWER_DIR/<session>: the overlay's lower layer;
 *  - without userns, the home and the binds mounted idmapped with a map
 *    that holds only the user's own ids, at CTR_BINDS_DIR/<session>/<i>:
 *    the copy's bind entries take them from there. A pooled copy's, of
 *    either kind, are made the same way when a session takes it, and
 *    moved into it (ctr_inject_bind).
 *
 * Doing this here rather than in liblxc hooks saves each copy two runs of
 * sh and of throwaway-hook. The namespace (mount_ns.c) is a slave of the
 * host's that holds only what we need of it; ours never reach the host.
 * The process that makes copies asks for it once, before its first
 * (copy_prepare_process, which calls ctr_mount_namespace): a change to the
 * whole process is its caller's to decide, never a side effect of making
 * a copy. Whoever
 * destroys a copy in such a namespace releases its mounts first
 * (ctr_release_mounts), as the post-stop hook does, run by the monitor.
 */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "subid.h"
#include "util.h"

/* The copy's map (see container.c): the user's id, or (CTR_POOL_ID) all users' ids, pass through. */
static int copy_map(char *buf, size_t len, unsigned id)
{
	const unsigned first = SUBID_USERS_FIRST, end = SUBID_USERS_FIRST + SUBID_USERS_COUNT;
	int n = id == CTR_POOL_ID
			? snprintf(buf, len, "0 %u %u\n%u %u %u\n%u %u %u\n", SUBID_BASE, first,
				   first, first, SUBID_USERS_COUNT, end, SUBID_BASE + end,
				   SUBID_COUNT - end)
			: snprintf(buf, len, "0 %u %u\n%u %u 1\n%u %u %u\n", SUBID_BASE, id, id, id,
				   id + 1, SUBID_BASE + id + 1, SUBID_COUNT - id - 1);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : n;
}

/* A map where each of ids[0..n) is itself and nothing else exists: "id id 1" lines. */
static int own_map(char *buf, size_t len, const unsigned *ids, size_t n)
{
	size_t off = 0;
	for (size_t i = 0; i < n; i++) {
		bool seen = false;
		for (size_t j = 0; j < i; j++)
			seen = seen || ids[j] == ids[i]; /* extents may not overlap */
		int k = seen ? 0 : snprintf(buf + off, len - off, "%u %u 1\n", ids[i], ids[i]);
		if (k < 0 || (size_t)k >= len - off)
			return -ENAMETOOLONG;
		off += (size_t)k;
	}
	return (int)off;
}

static int write_map(pid_t pid, const char *file, const char *map, int len)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return util_write_all(fd, map, (size_t)len);
}

/* The largest map we write: the copy's three lines, or the user's groups. */
#define MAP_MAX 4096

/* A user namespace with these maps, held by a child for as long as we open it. */
static int make_userns(const char *uid_map, int uid_len, const char *gid_map, int gid_len)
{
	int go[2], ready[2];
	char c = 0, path[64];
	if (pipe2(go, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(ready, O_CLOEXEC) < 0) {
		close(go[0]);
		close(go[1]);
		return -errno;
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(go[1]); /* or our own copy would keep the read below from ever ending */
		close(ready[0]);
		if (unshare(CLONE_NEWUSER) < 0 || write(ready[1], &c, 1) != 1)
			_exit(1);
		_exit(read(go[0], &c, 1) < 0); /* until the parent is done */
	}
	close(ready[1]);
	close(go[0]);
	int r = pid < 0 ? -errno : read(ready[0], &c, 1) == 1 ? 0 : -ECHILD;
	if (r == 0)
		r = write_map(pid, "uid_map", uid_map, uid_len);
	if (r == 0)
		r = write_map(pid, "gid_map", gid_map, gid_len);
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	int fd = r < 0 ? r : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && r == 0)
		r = -errno;
	close(go[1]);
	close(ready[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return r < 0 ? r : fd;
}

int ctr_mount_lower(const char *lower, const char *mnt, unsigned uid, unsigned gid)
{
	char umap[MAP_MAX], gmap[MAP_MAX];
	int ul = copy_map(umap, sizeof(umap), uid), gl = copy_map(gmap, sizeof(gmap), gid);
	if (ul < 0 || gl < 0)
		return -ENAMETOOLONG;
	_cleanup_close_ int ns = make_userns(umap, ul, gmap, gl);
	if (ns < 0)
		return ns;
	_cleanup_close_ int tree = open_tree(AT_FDCWD, lower, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (tree < 0)
		return -errno;
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_RDONLY |
					       MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
				   .userns_fd = (uint64_t)ns };
	if (mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0 ||
	    move_mount(tree, "", AT_FDCWD, mnt, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return -errno;
	return 0;
}

/* A user namespace where only the user's uid, gid and groups exist, each as itself. */
static int own_userns(const struct ctr_ids *ids)
{
	char umap[MAP_MAX], gmap[MAP_MAX];
	unsigned gids[CTR_IDS_MAX_GROUPS + 1] = { ids->gid };
	size_t n = 1;
	for (size_t i = 0; i < ids->n_groups && n < ELEMENTSOF(gids); i++)
		gids[n++] = ids->groups[i];
	unsigned uid = ids->uid;
	int ul = own_map(umap, sizeof(umap), &uid, 1), gl = own_map(gmap, sizeof(gmap), gids, n);
	if (ul < 0 || gl < 0)
		return -ENAMETOOLONG;
	return make_userns(umap, ul, gmap, gl);
}

int ctr_bind_tree(const char *src, bool ro, const struct ctr_ids *ids)
{
	_cleanup_close_ int ns = own_userns(ids);
	if (ns < 0)
		return ns;
	struct mount_attr a = { .attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_NOSUID |
					    MOUNT_ATTR_NODEV | (ro ? MOUNT_ATTR_RDONLY : 0),
				.userns_fd = (uint64_t)ns };
	/* The tree's top mount only, as a bind entry is. */
	_cleanup_close_ int tree = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (tree < 0)
		return -errno;
	if (mount_setattr(tree, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0)
		return -errno;
	return TAKE_FD(tree);
}

int ctr_staged_bind(char *buf, size_t len, const char *session, size_t i)
{
	int n = i == SIZE_MAX ? snprintf(buf, len, "%s/%s", CTR_BINDS_DIR, session)
			      : snprintf(buf, len, "%s/%s/%zu", CTR_BINDS_DIR, session, i);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int ctr_mount_bind(const char *src, const char *mnt, bool ro, const struct ctr_ids *ids)
{
	_cleanup_close_ int tree = ctr_bind_tree(src, ro, ids);
	if (tree < 0)
		return tree;
	return move_mount(tree, "", AT_FDCWD, mnt, MOVE_MOUNT_F_EMPTY_PATH) < 0 ? -errno : 0;
}

/* The upper tmpfs's inode cap: one per 4 KiB of its size, and a few even when it is tiny. */
#define TMPFS_BYTES_PER_INODE 4096
#define TMPFS_MIN_INODES 1024

int ctr_mount_upper(const char *copydir, unsigned long long size, uid_t root)
{
	char path[PATH_MAX], delta[PATH_MAX], opts[160];
	unsigned long long inodes = size / TMPFS_BYTES_PER_INODE;
	if (inodes < TMPFS_MIN_INODES)
		inodes = TMPFS_MIN_INODES;
	if ((size_t)snprintf(path, sizeof(path), "%s/overlay", copydir) >= sizeof(path) ||
	    (size_t)snprintf(delta, sizeof(delta), "%s/delta", path) >= sizeof(delta))
		return -ENAMETOOLONG;
	/* Owned by the copy's root, who makes overlayfs's work directory in it. */
	snprintf(opts, sizeof(opts), "size=%llu,nr_inodes=%llu,mode=0755,uid=%u,gid=%u", size,
		 inodes, (unsigned)root, (unsigned)root);
	if (mount("throwaway", path, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0)
		return -errno;
	if (mkdir(delta, 0755) < 0 || chown(delta, root, root) < 0)
		return -errno;
	return 0;
}

void ctr_release_mounts(const char *copydir, const char *session)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/overlay", copydir);
	umount2(p, MNT_DETACH);
	if (!session)
		return;
	snprintf(p, sizeof(p), "%s/%s", CTR_LOWER_DIR, session);
	umount2(p, MNT_DETACH);
	/* The staged binds are numbered from 0 on: the first one missing ends them. */
	for (size_t i = 0; i < CTR_BINDS_MAX && ctr_staged_bind(p, sizeof(p), session, i) == 0;
	     i++) {
		umount2(p, MNT_DETACH);
		if (rmdir(p) < 0 && errno == ENOENT)
			break;
	}
	if (ctr_staged_bind(p, sizeof(p), session, SIZE_MAX) == 0)
		rmdir(p);
}
