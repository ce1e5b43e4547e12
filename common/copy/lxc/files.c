/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Files into a running copy (the copy interface's write operation): a
 * child that joined the copy's namespaces as its root (ctr_run_as_root)
 * writes them, so paths resolve inside the copy, ids are the copy's, and
 * the files land in its upper layer whatever namespace mounted it. No
 * symlink is followed on the way.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "container.h"
#include "safefs.h"

struct files {
	const struct copy_file *f;
	size_t n;
};

/* Replace dir/name atomically: a new file, then rename over the old one. */
static int replace_file(int dirfd, const char *name, const struct copy_file *f)
{
	char tmp[NAME_MAX + 1];
	snprintf(tmp, sizeof(tmp), ".throwaway-%.200s", name);
	unlinkat(dirfd, tmp, 0);
	int r = safefs_write_beneath(dirfd, tmp, f->data, f->len, f->mode, f->uid, f->gid, 0);
	if (r < 0)
		return r;
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		r = -errno;
		unlinkat(dirfd, tmp, 0);
	}
	return r;
}

/* "a/b/c" → "a/b" in buf; "c" → "" (the root). */
static void parent_of(const char *rel, char *buf, size_t len)
{
	const char *slash = strrchr(rel, '/');
	snprintf(buf, len, "%.*s", slash ? (int)(slash - rel) : 0, rel);
}

/*
 * The directory f goes into (or f itself, a directory), made where
 * missing: those above f->owned_below belong to root (0755), those at or
 * below it to f's owner (0700, or f's mode for a directory). An fd of it.
 */
static int make_dirs(int rootfd, const struct copy_file *f)
{
	char target[PATH_MAX], top[PATH_MAX];
	const char *rel = f->path + strspn(f->path, "/");
	bool dir = !f->data;
	if (dir)
		snprintf(target, sizeof(target), "%s", rel);
	else
		parent_of(rel, target, sizeof(target));
	if (!target[0])
		return fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
	if (!f->owned_below)
		return safefs_mkdirs_beneath(rootfd, target, dir ? f->mode : 0755, dir ? f->uid : 0,
					     dir ? f->gid : 0);
	parent_of(f->owned_below + strspn(f->owned_below, "/"), top, sizeof(top));
	if (top[0]) {
		int fd = safefs_mkdirs_beneath(rootfd, top, 0755, 0, 0);
		if (fd < 0)
			return fd;
		close(fd);
	}
	return safefs_mkdirs_beneath(rootfd, target, dir ? f->mode : 0700, f->uid, f->gid);
}

/*
 * A file of a user is written as that user: a privileged copy's root may
 * not write into the user's directories (no dac_override). The ids stay
 * dropped, so such files come last.
 */
static int become(const struct copy_file *f)
{
	if (f->uid == 0 || !f->data || geteuid() == f->uid)
		return 0;
	if (setgroups(0, NULL) < 0 || setresgid(f->gid, f->gid, f->gid) < 0 ||
	    setresuid(f->uid, f->uid, f->uid) < 0)
		return -EPERM;
	return 0;
}

static int write_one(int rootfd, const struct copy_file *f)
{
	_cleanup_close_ int dfd = make_dirs(rootfd, f);
	if (dfd < 0 || !f->data)
		return dfd < 0 ? dfd : 0;
	int r = become(f);
	const char *base = strrchr(f->path, '/');
	return r < 0 ? r : replace_file(dfd, base ? base + 1 : f->path, f);
}

/* Runs as the copy's root in its namespaces: 0 or a positive errno. */
static int write_inside(void *data)
{
	const struct files *w = data;
	_cleanup_close_ int rootfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return errno;
	for (size_t i = 0; i < w->n; i++) {
		int r = write_one(rootfd, &w->f[i]);
		if (r < 0)
			return -r;
	}
	return 0;
}

int ctr_write_files_begin(struct lxc_container *c, const struct copy_file *f, size_t n,
			  pid_t *ret_pid)
{
	struct files w = { .f = f, .n = n };
	/* The child has its own copy of w and what it points to. */
	return ctr_run_as_root_begin(c, write_inside, &w, ret_pid);
}
