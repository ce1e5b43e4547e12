/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The lxc driver's part of gc: which copies a place (an lxcpath) holds,
 * and what copies that are gone left on this host: liblxc's lock files,
 * lxc.monitor/lxc.payload cgroups and idle parents of them, the
 * mountpoints of idmapped lowers.
 * gc (gc.c) decides what is alive; nothing here removes what it calls so.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "container.h"
#include "names.h"
#include "safefs.h"
#include "util.h"

/* How long gc waits for copies that are starting to leave the parents alone. */
#define SWEEP_LOCK_WAIT_MS 200
/* A lock file younger than this may be a copy's being made or started. */
#define LOCK_YOUNG_S 60
/* Where liblxc keeps containers by default: origins' cgroups are not ours. */
#define DEFAULT_LXCPATH "/var/lib/lxc"

/*
 * A directory of place is one of our copies when it carries our marker,
 * root's, naming its session. A copy without the marker yet is being made.
 */
static int marker_session(int dfd, const char *name, char *buf, size_t len)
{
	char p[NAME_MAX + 32];
	_cleanup_free_ char *session = NULL;
	size_t n;
	struct stat st;
	snprintf(p, sizeof(p), "%.255s/" CTR_MARKER, name);
	if (fstatat(dfd, p, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) || st.st_uid != 0)
		return -ENOENT;
	int r = safefs_read_beneath(dfd, p, NAMES_SESSION_LEN + 1, &session, &n);
	if (r < 0 || !names_session_valid(session))
		return r < 0 ? r : -EINVAL;
	return util_strscpy(buf, len, session);
}

int ctr_list(const char *place, int (*fn)(const struct copy_found *f, void *data), void *data)
{
	_cleanup_closedir_ DIR *d = opendir(place);
	struct dirent *de;
	char session[NAMES_SESSION_LEN + 1];
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (!names_container_valid(de->d_name) ||
		    marker_session(dirfd(d), de->d_name, session, sizeof(session)) < 0)
			continue;
		struct copy_found f = { .name = de->d_name, .session = session };
		int r = fn(&f, data);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Is there a container NAME in any of places, or among the host's own? */
static bool defined_somewhere(const char *const *places, const char *name)
{
	char p[PATH_MAX];
	for (const char *const *pl = places; *pl; pl++) {
		snprintf(p, sizeof(p), "%s/%s", *pl, name);
		if (access(p, F_OK) == 0)
			return true;
	}
	snprintf(p, sizeof(p), "%s/%s", DEFAULT_LXCPATH, name);
	return access(p, F_OK) == 0;
}

/* liblxc's ".<name>" lock files of copies that no longer exist. */
static unsigned sweep_locks(const char *place, const struct copy_liveness *live)
{
	char dir[PATH_MAX], copy[PATH_MAX];
	unsigned n = 0;
	snprintf(dir, sizeof(dir), "/run/lxc/lock/%s", place);
	_cleanup_closedir_ DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		const char *name = de->d_name + 1;
		struct stat st;
		if (de->d_name[0] != '.' || !names_container_valid(name) ||
		    live->copy(name, live->data))
			continue;
		snprintf(copy, sizeof(copy), "%s/%s", place, name);
		/* A lock of a copy still being made or started: young ones stay. */
		if (access(copy, F_OK) == 0 ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    time(NULL) - st.st_mtime < LOCK_YOUNG_S)
			continue;
		n += unlinkat(dirfd(d), de->d_name, 0) == 0;
	}
	return n;
}

struct dead {
	const char *const *places;
	const struct copy_liveness *live;
};

/* A copy name of no live copy and of no container any place defines. */
static bool cgroup_dead(const char *name, void *data)
{
	const struct dead *d = data;
	return !d->live->copy(name, d->live->data) && !defined_somewhere(d->places, name);
}

/* A staged binds' directory: its empty mountpoints "0", "1", ..., never more. */
static void remove_staged(int dfd, const char *session)
{
	char i[24];
	_cleanup_close_ int fd =
		openat(dfd, session, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	for (size_t n = 0; fd >= 0 && n < CTR_BINDS_MAX; n++) {
		snprintf(i, sizeof(i), "%zu", n);
		if (unlinkat(fd, i, AT_REMOVEDIR) < 0 && errno == ENOENT)
			break;
	}
}

/*
 * The mountpoints of sessions that ended: idmapped lowers
 * (CTR_LOWER_DIR/<session>) and staged binds (CTR_BINDS_DIR/<session>/<i>).
 * Directories are only ever removed empty: a mount in another namespace
 * of ours would be detached by it, never walked.
 */
static unsigned sweep_mountpoints(const char *top, const struct copy_liveness *live)
{
	unsigned n = 0;
	_cleanup_closedir_ DIR *d = opendir(top);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		/* made after the session's record: no record now means it ended */
		if (!names_session_valid(de->d_name) || live->session(de->d_name, live->data))
			continue;
		if (strcmp(top, CTR_BINDS_DIR) == 0)
			remove_staged(dirfd(d), de->d_name);
		n += unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) == 0;
	}
	return n;
}

void ctr_sweep(const char *const *places, const struct copy_liveness *live, struct copy_swept *ret)
{
	struct dead d = { .places = places, .live = live };
	memset(ret, 0, sizeof(*ret));
	for (const char *const *p = places; *p; p++)
		ret->locks += sweep_locks(*p, live);
	ret->cgroups = cgroup_remove_leftovers(CGROUP_ROOT, cgroup_dead, &d);
	/* the parents of users' and pooled copies that are idle (cgroup.h) */
	ret->cgroups += ctr_cgroup_sweep(SWEEP_LOCK_WAIT_MS);
	ret->mounts =
		sweep_mountpoints(CTR_LOWER_DIR, live) + sweep_mountpoints(CTR_BINDS_DIR, live);
}
