/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * No socket or FIFO made where copies of one user meet (landlock.h): a
 * Landlock ruleset that grants both beneath every directory beside the
 * paths down to the shared ones.
 */
#include "landlock.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/landlock.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

#define MAKE_RIGHTS (LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO)

/* Directories on the paths down to the shared ones, all together: deeper is refused (-E2BIG). */
#define LANDLOCK_ABOVE_MAX 1024

/* The directories of one restriction: the shared ones and those on the paths down to them. */
struct plan {
	char *shared[LANDLOCK_SHARED_MAX];
	size_t n_shared;
	/* every proper ancestor of a shared directory, "/" included */
	char *above[LANDLOCK_ABOVE_MAX];
	size_t n_above;
};

static void plan_free(struct plan *p)
{
	for (size_t i = 0; i < p->n_shared; i++)
		free(p->shared[i]);
	for (size_t i = 0; i < p->n_above; i++)
		free(p->above[i]);
	p->n_shared = p->n_above = 0;
}

int landlock_abi(void)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	return v < 0 ? -errno : (int)v;
}

const char *landlock_missing(int abi, const char **ret_fix)
{
	if (abi >= LANDLOCK_ABI_MIN)
		return NULL;
	if (abi > 0) {
		*ret_fix = "run Linux 5.19 or later";
		return "Landlock ABI 1 only, 2 is needed";
	}
	if (abi == -EOPNOTSUPP) {
		*ret_fix = "add landlock to the kernel's lsm= boot parameter";
		return "Landlock not enabled at boot";
	}
	*ret_fix = "use a kernel built with CONFIG_SECURITY_LANDLOCK";
	return "Landlock not built in";
}

static bool listed(char *const *list, size_t n, const char *path)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], path) == 0)
			return true;
	return false;
}

/* Is path a shared directory, or on the way down to one? */
static bool on_the_way(const struct plan *p, const char *path)
{
	return listed(p->shared, p->n_shared, path) || listed(p->above, p->n_above, path);
}

/* Is path at or beneath a shared directory? */
static bool beneath_shared(const struct plan *p, const char *path)
{
	for (size_t i = 0; i < p->n_shared; i++) {
		size_t l = strlen(p->shared[i]);
		if (strncmp(path, p->shared[i], l) == 0 &&
		    (path[l] == '\0' || path[l] == '/' || strcmp(p->shared[i], "/") == 0))
			return true;
	}
	return false;
}

/* Record the proper ancestors of the canonical path dir ("/a/b": "/", "/a"). */
static int add_ancestors(struct plan *p, const char *dir)
{
	char buf[PATH_MAX];
	for (const char *s = dir; (s = strchr(s, '/')); s++) {
		size_t l = s == dir ? 1 : (size_t)(s - dir);
		if (l >= strlen(dir) || l >= sizeof(buf))
			break;
		memcpy(buf, dir, l);
		buf[l] = '\0';
		if (listed(p->above, p->n_above, buf))
			continue;
		if (p->n_above >= ELEMENTSOF(p->above))
			return -E2BIG;
		if (!(p->above[p->n_above] = strdup(buf)))
			return -ENOMEM;
		p->n_above++;
	}
	return 0;
}

/* The shared directories, resolved as the caller; those it cannot reach are left out. */
static int plan_make(struct plan *p, const char *const *shared, size_t n)
{
	if (n > LANDLOCK_SHARED_MAX)
		return -E2BIG;
	for (size_t i = 0; i < n; i++) {
		if (!shared[i] || shared[i][0] != '/')
			return -EINVAL;
		char *real = realpath(shared[i], NULL);
		if (!real && (errno == ENOENT || errno == EACCES))
			continue;
		if (!real)
			return -errno;
		p->shared[p->n_shared++] = real;
	}
	for (size_t i = 0; i < p->n_shared; i++) {
		int r = add_ancestors(p, p->shared[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

static int add_rule(int ruleset, int fd, uint64_t access)
{
	struct landlock_path_beneath_attr a = { .allowed_access = access, .parent_fd = fd };
	if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &a, 0) < 0)
		return -errno;
	return 0;
}

/* Grant the makes beneath the entry NAME of dfd (at path dir) if it is a directory off the way. */
static int grant_entry(const struct plan *p, int ruleset, int dfd, const char *dir,
		       const char *name)
{
	char path[PATH_MAX];
	struct stat st;
	int n = snprintf(path, sizeof(path), "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, name);
	if (n < 0 || (size_t)n >= sizeof(path) || on_the_way(p, path))
		return 0;
	/* O_PATH: a directory the caller may not read still gets its grant */
	_cleanup_close_ int fd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0; /* gone, or not a directory: nothing to grant */
	return add_rule(ruleset, fd, MAKE_RIGHTS);
}

/*
 * Grant the makes beneath every directory in dir that is not on the way
 * down. A directory the caller cannot list gets no grant in it (fails
 * closed: its entries then make no sockets either).
 */
static int grant_beside(const struct plan *p, int ruleset, const char *dir)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return 0;
	_cleanup_closedir_ DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -errno;
	}
	struct dirent *de;
	int r = 0;
	for (size_t seen = 0; r == 0 && seen < LANDLOCK_LIST_MAX && (de = readdir(d)); seen++)
		if (!util_dot_or_dotdot(de->d_name))
			r = grant_entry(p, ruleset, dirfd(d), dir, de->d_name);
	return r;
}

/* Moves across directories beneath "/" (what a grant of the makes allows decides the rest). */
static int build_rules(const struct plan *p, int ruleset)
{
	_cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int r = root < 0 ? -errno : add_rule(ruleset, root, LANDLOCK_ACCESS_FS_REFER);
	for (size_t i = 0; r == 0 && i < p->n_above; i++)
		if (!beneath_shared(p, p->above[i]))
			r = grant_beside(p, ruleset, p->above[i]);
	return r;
}

int landlock_deny_make(const char *const *shared, size_t n)
{
	_cleanup_(plan_free) struct plan p = { .n_shared = 0 };
	int abi = landlock_abi();
	if (abi < 0)
		return abi;
	if (abi < LANDLOCK_ABI_MIN)
		return -EPROTONOSUPPORT;
	int r = plan_make(&p, shared, n);
	if (r < 0)
		return r;
	struct landlock_ruleset_attr attr = { .handled_access_fs =
						      MAKE_RIGHTS | LANDLOCK_ACCESS_FS_REFER };
	_cleanup_close_ int ruleset =
		(int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (ruleset < 0)
		return -errno;
	if ((r = build_rules(&p, ruleset)) < 0)
		return r;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_landlock_restrict_self, ruleset, 0) < 0)
		return -errno;
	return 0;
}
