/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kept.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "safefs.h"
#include "util.h"

#define INFO_MAX 4096

static int format_info(const struct kept_entry *e, char *buf, size_t len)
{
	int n = snprintf(buf, len, "user=%s\nsession=%s\ncontainer=%s\norigin=%s\nstarted=%lld\nended=%lld\n",
			 e->user, e->session, e->container, e->origin, (long long)e->started,
			 (long long)e->ended);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : n;
}

static int parse_time(const char *text, const char *key, time_t *ret)
{
	char v[32];
	uint64_t t;
	const char *end;
	if (util_kv_get(text, key, v, sizeof(v)) < 0 || util_parse_u64(v, INT64_MAX, &end, &t) < 0 || *end)
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

/* KEPT_DIR/<user>, made root-only on the way. Returns an fd or -errno. */
static int open_user_dir(const char *user)
{
	char path[PATH_MAX];
	int r = util_mkdir_secure("/var/lib/throwaway", 0755, NULL);
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
	if (mkdirat(udir, ret->session, 0700) < 0)
		return -errno;
	_cleanup_close_ int sdir = openat(udir, ret->session, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sdir < 0 || renameat(dfd, "overlay/delta", sdir, "upper") < 0) {
		r = -errno;
		unlinkat(udir, ret->session, AT_REMOVEDIR);
		return r;
	}
	unlinkat(dfd, KEPT_MARKER, 0); /* kept once: a second stop has nothing to move */
	int n = format_info(ret, buf, sizeof(buf));
	if (n < 0)
		return n;
	r = safefs_write_beneath(sdir, "info", buf, (size_t)n, 0600, 0, 0, 1);
	return r < 0 ? r : 1;
}

static uint64_t walk_bytes;

static int add_size(const char *path, const struct stat *st, int type, struct FTW *f)
{
	(void)path, (void)type, (void)f;
	walk_bytes += (uint64_t)st->st_blocks * 512;
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *f)
{
	(void)st, (void)f;
	return (type == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? -1 : 0;
}

/* The kept session at PATH (KEPT_DIR/<user>/<session>). */
static int read_entry(const char *path, struct kept_entry *e)
{
	_cleanup_close_ int dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_free_ char *text = NULL;
	size_t len;
	char upper[PATH_MAX + 8];
	if (dfd < 0)
		return -errno;
	int r = safefs_read_beneath(dfd, "info", INFO_MAX - 1, &text, &len);
	if (r < 0 || (r = parse_info(text, e)) < 0)
		return r;
	snprintf(upper, sizeof(upper), "%s/upper", path);
	walk_bytes = 0;
	/* Physical walk of a root-only tree: nothing in it is followed. */
	nftw(upper, add_size, 16, FTW_PHYS | FTW_MOUNT);
	e->bytes = walk_bytes;
	return 0;
}

static int list_user(const char *user, int (*fn)(const struct kept_entry *, void *), void *data)
{
	char path[PATH_MAX];
	struct kept_entry e;
	struct dirent *de;
	snprintf(path, sizeof(path), "%s/%s", KEPT_DIR, user);
	_cleanup_closedir_ DIR *d = opendir(path);
	int r = 0;
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while (r == 0 && (de = readdir(d))) {
		if (!names_session_valid(de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s/%s", KEPT_DIR, user, de->d_name);
		if (read_entry(path, &e) == 0)
			r = fn(&e, data);
	}
	return r;
}

int kept_list(const char *user, int (*fn)(const struct kept_entry *e, void *data), void *data)
{
	if (user)
		return names_user_safe(user) ? list_user(user, fn, data) : -EINVAL;
	_cleanup_closedir_ DIR *d = opendir(KEPT_DIR);
	struct dirent *de;
	int r = 0;
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while (r == 0 && (de = readdir(d)))
		if (names_user_safe(de->d_name))
			r = list_user(de->d_name, fn, data);
	return r;
}

int kept_remove(const char *user, const char *session)
{
	char path[PATH_MAX];
	if (!names_user_safe(user) || !names_session_valid(session))
		return -EINVAL;
	snprintf(path, sizeof(path), "%s/%s/%s", KEPT_DIR, user, session);
	struct stat st;
	if (lstat(path, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (nftw(path, remove_one, 16, FTW_PHYS | FTW_DEPTH | FTW_MOUNT) < 0)
		return -errno;
	snprintf(path, sizeof(path), "%s/%s", KEPT_DIR, user);
	/* The last one of the user, of everyone: fails while others remain. */
	if (rmdir(path) == 0)
		rmdir(KEPT_DIR);
	return 0;
}
