/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kept.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "quota.h"
#include "safefs.h"
#include "util.h"

#define INFO_MAX 4096

static int format_info(const struct kept_entry *e, char *buf, size_t len)
{
	int n = snprintf(
		buf, len,
		"user=%s\nsession=%s\ncontainer=%s\norigin=%s\nstarted=%lld\nended=%lld\ntotal=%llu\n",
		e->user, e->session, e->container, e->origin, (long long)e->started,
		(long long)e->ended, (unsigned long long)e->total);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : n;
}

static int parse_number(const char *text, const char *key, uint64_t max, uint64_t *ret)
{
	char v[32];
	const char *end;
	int r = util_kv_get(text, key, v, sizeof(v));
	if (r == -ENOENT)
		return r;
	if (r < 0 || util_parse_u64(v, max, &end, ret) < 0 || *end)
		return -EBADMSG;
	return 0;
}

static int parse_time(const char *text, const char *key, time_t *ret)
{
	uint64_t t;
	if (parse_number(text, key, INT64_MAX, &t) < 0)
		return -EBADMSG;
	*ret = (time_t)t;
	return 0;
}

/* Lines written by format_info(); names are checked again, they become paths. */
static int parse_info(const char *text, struct kept_entry *e)
{
	memset(e, 0, sizeof(*e));
	if (util_kv_get(text, "user", e->user, sizeof(e->user)) < 0 || !names_user_safe(e->user) ||
	    util_kv_get(text, "session", e->session, sizeof(e->session)) < 0 ||
	    !names_session_valid(e->session) ||
	    util_kv_get(text, "container", e->container, sizeof(e->container)) < 0 ||
	    util_kv_get(text, "origin", e->origin, sizeof(e->origin)) < 0)
		return -EBADMSG;
	/* no total: kept before there was one */
	int r = parse_number(text, "total", UINT64_MAX, &e->total);
	if (r < 0 && r != -ENOENT)
		return r;
	return parse_time(text, "started", &e->started) ?: parse_time(text, "ended", &e->ended);
}

int kept_mark(int dfd, const struct kept_entry *e)
{
	char buf[INFO_MAX];
	/* Only names that are safe as a path component can be kept under. */
	if (!names_user_safe(e->user) || !names_session_valid(e->session))
		return -EINVAL;
	int n = format_info(e, buf, sizeof(buf));
	return n < 0 ? n : safefs_write_beneath(dfd, KEPT_MARKER, buf, (size_t)n, 0600, 0, 0, 1);
}

/* DIR beneath dfd as a directory fd, no symlink followed. -errno. */
static int open_dir_at(int dfd, const char *dir)
{
	int fd = openat(dfd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* KEPT_DIR/<user>, made root-only on the way. Returns an fd or -errno. */
static int open_user_dir(const char *user)
{
	char path[PATH_MAX];
	int r = util_mkdir_secure(KEPT_PARENT, KEPT_PARENT_MODE, NULL);
	if (r == 0)
		r = util_mkdir_secure(KEPT_DIR, 0700, NULL);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s/%s", KEPT_DIR, user);
	int fd = -1;
	r = util_mkdir_secure(path, 0700, &fd);
	return r < 0 ? r : fd;
}

/* True when dfd/path is a directory with nothing in it, or is missing. */
static bool dir_empty(int dfd, const char *path)
{
	_cleanup_close_ int fd = openat(dfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT;
	_cleanup_closedir_ DIR *d = NULL;
	if (util_list_dir(fd, &d) < 0)
		return false;
	struct dirent *de;
	bool empty = true;
	while (empty && (de = readdir(d)))
		empty = util_dot_or_dotdot(de->d_name);
	return empty;
}

/*
 * The overlay directory is a subvolume (storage = dir, quota.h): it moves
 * whole, as udir/session, root's only; a rename of its upper layer alone
 * out of it would be EXDEV. Its work layer goes.
 */
static int move_subvol(int dfd, int udir, const char *session)
{
	struct stat st;
	if (renameat(dfd, "overlay", udir, session) < 0)
		return -errno;
	_cleanup_close_ int sdir = open_dir_at(udir, session);
	if (sdir < 0)
		return sdir;
	if (fchown(sdir, 0, 0) < 0 || fchmod(sdir, 0700) < 0 ||
	    renameat(sdir, "delta", sdir, "upper") < 0 || fstat(sdir, &st) < 0)
		return -errno;
	return safefs_remove_tree(sdir, "work", st.st_dev);
}

/* The copy's upper layer (beneath dfd, the copy's directory) as udir/session/upper. */
static int move_upper(int dfd, int udir, const char *session)
{
	_cleanup_close_ int ov = open_dir_at(dfd, "overlay");
	if (ov >= 0 && quota_is_subvol(ov))
		return move_subvol(dfd, udir, session);
	if (mkdirat(udir, session, 0700) < 0)
		return -errno;
	_cleanup_close_ int sdir = open_dir_at(udir, session);
	if (sdir < 0 || renameat(dfd, "overlay/delta", sdir, "upper") < 0) {
		int r = sdir < 0 ? sdir : -errno;
		unlinkat(udir, session, AT_REMOVEDIR);
		return r;
	}
	return 0;
}

int kept_save(const char *copydir, struct kept_entry *ret)
{
	_cleanup_close_ int dfd = open(copydir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_free_ char *text = NULL;
	size_t len;
	char buf[INFO_MAX];
	if (dfd < 0)
		return -errno;
	int r = safefs_read_beneath(dfd, KEPT_MARKER, INFO_MAX - 1, &text, &len);
	if (r == -ENOENT)
		return 0;
	if (r < 0 || (r = parse_info(text, ret)) < 0)
		return r;
	ret->ended = time(NULL);
	/* A copy that never ran (or changed nothing) has nothing to keep. */
	if (dir_empty(dfd, "overlay/delta"))
		return 0;
	_cleanup_close_ int udir = open_user_dir(ret->user);
	if (udir < 0)
		return udir;
	if ((r = move_upper(dfd, udir, ret->session)) < 0)
		return r;
	unlinkat(dfd, KEPT_MARKER, 0); /* kept once: a second stop has nothing to move */
	_cleanup_close_ int sdir = open_dir_at(udir, ret->session);
	int n = format_info(ret, buf, sizeof(buf));
	r = sdir < 0 ? sdir : n;
	if (r >= 0)
		r = safefs_write_beneath(sdir, "info", buf, (size_t)n, 0600, 0, 0, 1);
	if (r < 0 || ret->total == 0)
		return r < 0 ? r : 1;
	r = kept_trim(ret->total, ret->session);
	ret->removed = r > 0 ? (unsigned)r : 0;
	/* Alone more than the total: not kept after all. */
	return faccessat(udir, ret->session, F_OK, AT_SYMLINK_NOFOLLOW) == 0 ? 1 : 0;
}

/*
 * Disk used below the directory fd (ours, closed here): every entry's
 * blocks, no symlink followed, no other file system than dev entered, and
 * nothing deeper than KEPT_SIZE_DEPTH_MAX levels counted (a user made the
 * tree; the figure is for a listing).
 */
static uint64_t tree_bytes(int fd, dev_t dev, unsigned depth)
{
	_cleanup_close_ int owned = fd;
	_cleanup_closedir_ DIR *d = NULL;
	uint64_t bytes = 0;
	struct dirent *de;
	if (depth >= KEPT_SIZE_DEPTH_MAX || util_list_dir(owned, &d) < 0)
		return 0;
	while ((de = readdir(d))) {
		struct stat st;
		if (util_dot_or_dotdot(de->d_name) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != dev)
			continue;
		bytes += (uint64_t)st.st_blocks * 512;
		if (!S_ISDIR(st.st_mode))
			continue;
		int sub = openat(dirfd(d), de->d_name,
				 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0)
			bytes += tree_bytes(sub, dev, depth + 1);
	}
	return bytes;
}

/* The disk used by the directory NAME beneath dfd, itself included; 0 if there is none. */
static uint64_t dir_bytes(int dfd, const char *name)
{
	struct stat st;
	_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		return 0;
	return (uint64_t)st.st_blocks * 512 + tree_bytes(TAKE_FD(fd), st.st_dev, 0);
}

/* The kept session SESSION beneath udir (KEPT_DIR/<user>). */
static int read_entry(int udir, const char *session, struct kept_entry *e)
{
	_cleanup_close_ int dfd =
		openat(udir, session, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_free_ char *text = NULL;
	size_t len;
	if (dfd < 0)
		return -errno;
	int r = safefs_read_beneath(dfd, "info", INFO_MAX - 1, &text, &len);
	if (r < 0 || (r = parse_info(text, e)) < 0)
		return r;
	/* A subvolume's qgroup knows its size: no walk of the user's tree. */
	if (quota_used(dfd, &e->bytes) < 0)
		e->bytes = dir_bytes(dfd, "upper");
	return 0;
}

/* Every kept session of USER, from kdir (KEPT_DIR); none when USER has no directory. */
static int list_user(int kdir, const char *user, int (*fn)(const struct kept_entry *, void *),
		     void *data)
{
	_cleanup_close_ int fd = open_dir_at(kdir, user);
	_cleanup_closedir_ DIR *d = NULL;
	struct kept_entry e;
	struct dirent *de;
	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;
	int r = util_list_dir(fd, &d);
	while (r == 0 && (de = readdir(d))) {
		if (!names_session_valid(de->d_name))
			continue;
		if (read_entry(dirfd(d), de->d_name, &e) == 0)
			r = fn(&e, data);
	}
	return r;
}

int kept_list(const char *user, int (*fn)(const struct kept_entry *e, void *data), void *data)
{
	if (user && !names_user_safe(user))
		return -EINVAL;
	_cleanup_close_ int kdir = open(KEPT_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	if (kdir < 0)
		return errno == ENOENT ? 0 : -errno;
	if (user)
		return list_user(kdir, user, fn, data);
	int r = util_list_dir(kdir, &d);
	while (r == 0 && (de = readdir(d)))
		if (names_user_safe(de->d_name))
			r = list_user(dirfd(d), de->d_name, fn, data);
	return r;
}

static int older_first(const void *a, const void *b)
{
	const struct kept_entry *x = a, *y = b;
	if (x->ended != y->ended)
		return x->ended < y->ended ? -1 : 1;
	if (x->started != y->started)
		return x->started < y->started ? -1 : 1;
	return strcmp(x->session, y->session);
}

size_t kept_over_total(struct kept_entry *e, size_t n, uint64_t total)
{
	uint64_t sum = 0;
	if (n == 0)
		return 0;
	qsort(e, n, sizeof(*e), older_first);
	/* The newest that fit together stay; from the first that does not, all go. */
	for (size_t i = n; i > 0; i--) {
		if (e[i - 1].bytes > total - sum)
			return i;
		sum += e[i - 1].bytes;
	}
	return 0;
}

struct collected {
	struct kept_entry *e;
	size_t n, size;
};

/* kept_list's callback: the first KEPT_TOTAL_ENTRIES_MAX entries, into a growing array. */
static int collect(const struct kept_entry *e, void *data)
{
	struct collected *c = data;
	if (c->n == KEPT_TOTAL_ENTRIES_MAX)
		return 0;
	struct kept_entry *grown = util_grow(c->e, &c->size, c->n, sizeof(*grown), 16);
	if (!grown)
		return -ENOMEM;
	c->e = grown;
	c->e[c->n++] = *e;
	return 0;
}

int kept_trim(uint64_t total, const char *newest)
{
	struct collected c = { 0 };
	int removed = 0;
	int r = kept_list(NULL, collect, &c);
	_cleanup_free_ struct kept_entry *owned = c.e;
	if (r < 0)
		return r;
	size_t n = c.n;
	for (size_t i = 0; newest && i < n; i++) {
		if (strcmp(c.e[i].session, newest) != 0)
			continue;
		/* Alone over the total, it cannot stay whatever else goes: the rest may. */
		if (c.e[i].bytes > total) {
			kept_remove(c.e[i].user, c.e[i].session);
			c.e[i] = c.e[--n];
		} else {
			c.e[i].ended = (time_t)INT64_MAX;
		}
		break;
	}
	size_t k = kept_over_total(c.e, n, total);
	for (size_t i = 0; i < k; i++)
		if (kept_remove(c.e[i].user, c.e[i].session) == 0)
			removed++;
	return removed;
}

/*
 * Walks down from KEPT_PARENT one directory fd at a time (no symlink
 * followed anywhere) and removes the session's tree through those fds,
 * not through its path again.
 */
int kept_remove(const char *user, const char *session)
{
	struct stat st;
	if (!names_user_safe(user) || !names_session_valid(session))
		return -EINVAL;
	_cleanup_close_ int parent =
		open(KEPT_PARENT, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (parent < 0)
		return -errno;
	_cleanup_close_ int kdir = open_dir_at(parent, KEPT_DIR_NAME);
	_cleanup_close_ int udir = kdir < 0 ? kdir : open_dir_at(kdir, user);
	if (udir < 0)
		return udir;
	if (fstatat(udir, session, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	int r = safefs_remove_tree(udir, session, st.st_dev);
	if (r < 0)
		return r;
	/* The last one of the user, of everyone: fails while others remain. */
	if (unlinkat(kdir, user, AT_REMOVEDIR) == 0)
		unlinkat(parent, KEPT_DIR_NAME, AT_REMOVEDIR);
	return 0;
}
