/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Cgroups: the layout, the names and paths of a copy's cgroups, and the
 * files read from them (cgroup.h). Walking a cgroup tree is in
 * cgroup_walk.c.
 */
#include "cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "names.h"
#include "util.h"

/* A cgroup file of single values (memory.current, cpu.stat, cgroup.controllers). */
#define CGROUP_FILE_MAX 4096

static const char *const kind_prefix[] = {
	[CGROUP_MONITOR] = "lxc.monitor.",
	[CGROUP_PAYLOAD] = "lxc.payload.",
};

/* Layout ---------------------------------------------------------------------- */

const char *const cgroup_layout_names[] = {
	[CGROUP_UNIFIED] = "cgroup v2 (unified)",
	[CGROUP_HYBRID] = "cgroup v1 hybrid (v1 controllers, v2 at " CGROUP_ROOT "/unified)",
	[CGROUP_LEGACY] = "cgroup v1 (legacy)",
};

enum cgroup_layout cgroup_layout(const char *root)
{
	_cleanup_close_ int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return rfd < 0 ? CGROUP_LEGACY : cgroup_layout_at(rfd);
}

enum cgroup_layout cgroup_layout_at(int rfd)
{
	/* Only the root of a v2 mount has cgroup.controllers. */
	if (faccessat(rfd, "cgroup.controllers", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return CGROUP_UNIFIED;
	if (faccessat(rfd, "unified/cgroup.controllers", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return CGROUP_HYBRID;
	return CGROUP_LEGACY;
}

bool cgroup_unified(void)
{
	return cgroup_layout(CGROUP_ROOT) == CGROUP_UNIFIED;
}

/* Names and paths -------------------------------------------------------------- */

int cgroup_copy_dirname(enum cgroup_kind kind, const char *name, char *buf, size_t len)
{
	if ((kind != CGROUP_MONITOR && kind != CGROUP_PAYLOAD) || !names_container_valid(name))
		return -EINVAL;
	int n = snprintf(buf, len, "%s%s", kind_prefix[kind], name);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* A hierarchy's directory name: one component, never "." or "..". */
static bool hier_valid(const char *hier)
{
	return hier && hier[0] && !strchr(hier, '/') && !util_dot_or_dotdot(hier);
}

int cgroup_parent_name(bool pool, uid_t uid, char *buf, size_t len)
{
	int n = pool ? snprintf(buf, len, "%s", CGROUP_POOL)
		     : snprintf(buf, len, "u%u", (unsigned)uid);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

bool cgroup_parent_valid(const char *name)
{
	size_t digits = name[0] == 'u' ? strspn(name + 1, "0123456789") : 0;
	return strcmp(name, CGROUP_POOL) == 0 ||
	       (digits >= 1 && digits <= 10 && name[1 + digits] == '\0');
}

int cgroup_copy_relpath(enum cgroup_kind kind, const char *parent, const char *name, char *buf,
			size_t len)
{
	char dir[NAME_MAX + 1];
	int r = cgroup_copy_dirname(kind, name, dir, sizeof(dir));
	if (r < 0)
		return r;
	if (kind == CGROUP_PAYLOAD && (!parent || !cgroup_parent_valid(parent)))
		return -EINVAL;
	int n = kind == CGROUP_MONITOR ? snprintf(buf, len, "%s/%s", CGROUP_TOP, dir)
				       : snprintf(buf, len, "%s/%s/%s", CGROUP_COPIES, parent, dir);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* The directory REL below dfd, if it is one: an fd, or -errno. */
static int open_dir_at(int dfd, const char *rel)
{
	int fd = openat(dfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* Does holder (the parent PARENT, or NULL) have the entry DIRNAME (not followed)? Then fn. */
static int visit(int holder, const char *parent, const char *dirname, cgroup_copy_fn *fn,
		 void *data)
{
	struct stat st;
	if (fstatat(holder, dirname, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	return fn(holder, parent, dirname, data);
}

/* The parents below CGROUP_COPIES that hold DIRNAME. */
static int foreach_parent(int hfd, const char *dirname, cgroup_copy_fn *fn, void *data)
{
	_cleanup_close_ int cfd = open_dir_at(hfd, CGROUP_COPIES);
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int r = 0;
	if (cfd < 0 || util_list_dir(cfd, &d) < 0)
		return 0;
	while (r == 0 && (de = readdir(d))) {
		if (!cgroup_parent_valid(de->d_name))
			continue;
		_cleanup_close_ int pfd = open_dir_at(cfd, de->d_name);
		if (pfd >= 0)
			r = visit(pfd, de->d_name, dirname, fn, data);
	}
	return r;
}

int cgroup_foreach_copy_at(int hfd, enum cgroup_kind kind, const char *name, cgroup_copy_fn *fn,
			   void *data)
{
	char dir[NAME_MAX + 1];
	int r = cgroup_copy_dirname(kind, name, dir, sizeof(dir));
	if (r < 0)
		return r;
	if (kind == CGROUP_PAYLOAD) {
		r = foreach_parent(hfd, dir, fn, data);
	} else {
		_cleanup_close_ int top = open_dir_at(hfd, CGROUP_TOP);
		r = top >= 0 ? visit(top, NULL, dir, fn, data) : 0;
	}
	/* where a copy made by an older version has it */
	return r ? r : visit(hfd, NULL, dir, fn, data);
}

struct found_parent {
	const char *name;
	char *buf;
	size_t len;
	int r;
};

/* A holder below CGROUP_COPIES is a parent: its name into the buffer. */
static int parent_found(int holder, const char *parent, const char *dirname, void *data)
{
	struct found_parent *fp = data;
	(void)holder;
	(void)dirname;
	if (!parent)
		return 0; /* the top of an older layout: not a parent */
	fp->r = util_strscpy(fp->buf, fp->len, parent);
	return 1;
}

static int parent_in(int hfd, const char *hier, void *data)
{
	struct found_parent *fp = data;
	(void)hier;
	int r = cgroup_foreach_copy_at(hfd, CGROUP_PAYLOAD, fp->name, parent_found, fp);
	return r > 0 ? -EEXIST : 0; /* found: stop */
}

int cgroup_copy_parent(const char *root, const char *name, char *buf, size_t len)
{
	struct found_parent fp = { .buf = buf, .len = len, .r = -ENOENT, .name = name };
	if (!names_container_valid(name))
		return -EINVAL;
	cgroup_foreach_hierarchy(root, parent_in, &fp);
	return fp.r;
}

struct opened {
	int fd;
};

static int open_found(int holder, const char *parent, const char *dirname, void *data)
{
	struct opened *o = data;
	(void)parent;
	o->fd = open_dir_at(holder, dirname);
	return 1;
}

int cgroup_open_copy(const char *root, enum cgroup_layout layout, const char *hier,
		     enum cgroup_kind kind, const char *name)
{
	if ((layout != CGROUP_UNIFIED && !hier_valid(hier)) || !names_container_valid(name))
		return -EINVAL;
	_cleanup_close_ int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0)
		return -errno;
	/* followed: Debian mounts cpu,cpuacct and links cpuacct to it */
	_cleanup_close_ int hfd = layout == CGROUP_UNIFIED
					  ? fcntl(rfd, F_DUPFD_CLOEXEC, 3)
					  : openat(rfd, hier, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (hfd < 0)
		return -errno;
	struct opened o = { .fd = -ENOENT };
	int r = cgroup_foreach_copy_at(hfd, kind, name, open_found, &o);
	return r < 0 ? r : o.fd;
}

const char *cgroup_copy_name(const char *entry, enum cgroup_kind *ret_kind)
{
	for (size_t k = 0; k < ELEMENTSOF(kind_prefix); k++) {
		size_t pl = strlen(kind_prefix[k]);
		if (strncmp(entry, kind_prefix[k], pl) != 0 || !names_container_valid(entry + pl))
			continue;
		if (ret_kind)
			*ret_kind = (enum cgroup_kind)k;
		return entry + pl;
	}
	return NULL;
}

/* Parsers ----------------------------------------------------------------------- */

void cgroup_pids_free(struct cgroup_pids *l)
{
	free(l->pids);
	*l = (struct cgroup_pids){ 0 };
}

static int pids_add(struct cgroup_pids *l, pid_t pid)
{
	if (l->n == CGROUP_PIDS_MAX)
		return -E2BIG;
	pid_t *p = util_grow(l->pids, &l->cap, l->n, sizeof(*p), 64);
	if (!p)
		return -ENOMEM;
	l->pids = p;
	l->pids[l->n++] = pid;
	return 0;
}

/* The number that starts s and ends its line; *ret_next: the next line. */
static int parse_line_number(const char *s, uint64_t max, const char **ret_next, uint64_t *ret)
{
	const char *end;
	int r = util_parse_u64(s, max, &end, ret);
	if (r < 0)
		return r;
	if (*end != '\n' && *end != '\0')
		return -EINVAL;
	*ret_next = *end ? end + 1 : end;
	return 0;
}

int cgroup_parse_procs(const char *text, struct cgroup_pids *l)
{
	for (const char *p = text; *p;) {
		uint64_t pid;
		int r = parse_line_number(p, INT_MAX, &p, &pid);
		if (r < 0)
			return r == -ERANGE ? -EINVAL : r;
		if (pid == 0)
			return -EINVAL;
		if ((r = pids_add(l, (pid_t)pid)) < 0)
			return r;
	}
	return 0;
}

int cgroup_parse_number(const char *text, uint64_t *ret)
{
	const char *next;
	uint64_t v;
	if (parse_line_number(text, INT64_MAX, &next, &v) < 0 || *next)
		return -EINVAL;
	*ret = v;
	return 0;
}

int cgroup_parse_keyed(const char *text, const char *key, uint64_t *ret)
{
	size_t kl = strlen(key);
	for (const char *l = text; *l; l += strcspn(l, "\n"), l += *l == '\n') {
		const char *next;
		if (strncmp(l, key, kl) != 0 || l[kl] != ' ')
			continue;
		return parse_line_number(l + kl + 1, INT64_MAX, &next, ret) < 0 ? -EINVAL : 0;
	}
	return -ENOENT;
}

bool cgroup_controllers_has(const char *text, const char *controller)
{
	size_t cl = strlen(controller);
	for (const char *w = text + strspn(text, " \n"); *w; w += strspn(w, " \n")) {
		size_t wl = strcspn(w, " \n");
		if (wl == cl && strncmp(w, controller, cl) == 0)
			return true;
		w += wl;
	}
	return false;
}

/* Usage ---------------------------------------------------------------------------- */

/* The text of the cgroup file FILE below dfd. */
static int read_at(int dfd, const char *file, char **ret)
{
	size_t len;
	_cleanup_close_ int fd = openat(dfd, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return util_read_capped(fd, CGROUP_FILE_MAX, ret, &len);
}

/* The text of FILE in copy NAME's payload cgroup of hierarchy HIER. */
static int read_payload_file(const char *root, enum cgroup_layout layout, const char *hier,
			     const char *name, const char *file, char **ret)
{
	_cleanup_close_ int dfd = cgroup_open_copy(root, layout, hier, CGROUP_PAYLOAD, name);
	return dfd < 0 ? dfd : read_at(dfd, file, ret);
}

/* One number of copy NAME's payload cgroup: KEY of a keyed FILE, or the whole file (KEY NULL). */
static int64_t payload_number(const char *root, enum cgroup_layout layout, const char *hier,
			      const char *name, const char *file, const char *key)
{
	_cleanup_free_ char *text = NULL;
	uint64_t v;
	if (read_payload_file(root, layout, hier, name, file, &text) < 0 || !text)
		return -1;
	int r = key ? cgroup_parse_keyed(text, key, &v) : cgroup_parse_number(text, &v);
	return r < 0 ? -1 : (int64_t)v;
}

void cgroup_copy_usage(const char *root, const char *name, struct cgroup_usage *ret)
{
	enum cgroup_layout layout = cgroup_layout(root);
	if (layout == CGROUP_UNIFIED) {
		ret->memory = payload_number(root, layout, NULL, name, "memory.current", NULL);
		ret->cpu_usec = payload_number(root, layout, NULL, name, "cpu.stat", "usage_usec");
		return;
	}
	ret->memory = payload_number(root, layout, "memory", name, "memory.usage_in_bytes", NULL);
	/* cpuacct.usage counts nanoseconds */
	int64_t ns = payload_number(root, layout, "cpuacct", name, "cpuacct.usage", NULL);
	ret->cpu_usec = ns < 0 ? -1 : ns / 1000;
}

/* Controllers ------------------------------------------------------------------------ */

static void append_word(char *buf, size_t len, const char *word)
{
	size_t used = strlen(buf);
	snprintf(buf + used, len - used, "%s%s", used ? " " : "", word);
}

void cgroup_missing_controllers(const char *root, enum cgroup_layout layout, char *buf, size_t len)
{
	/* v2 has no devices controller: liblxc filters devices with eBPF there. */
	static const char *const want_v2[] = { "cpu", "memory", "pids" };
	static const char *const want_v1[] = { "cpu", "devices", "memory", "pids" };
	_cleanup_close_ int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_free_ char *have = NULL;
	buf[0] = '\0';
	if (layout == CGROUP_UNIFIED) {
		if (rfd < 0 || read_at(rfd, "cgroup.controllers", &have) < 0)
			have = NULL;
		for (size_t i = 0; i < ELEMENTSOF(want_v2); i++)
			if (!have || !cgroup_controllers_has(have, want_v2[i]))
				append_word(buf, len, want_v2[i]);
		return;
	}
	for (size_t i = 0; i < ELEMENTSOF(want_v1); i++) {
		char p[64];
		/* followed: Debian mounts cpu,cpuacct and links cpu to it */
		snprintf(p, sizeof(p), "%s/cgroup.procs", want_v1[i]);
		if (rfd < 0 || faccessat(rfd, p, F_OK, 0) < 0)
			append_word(buf, len, want_v1[i]);
	}
}

bool cgroup_v1_swap_accounting(const char *root)
{
	_cleanup_close_ int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return rfd >= 0 && faccessat(rfd, "memory/memory.memsw.limit_in_bytes", F_OK, 0) == 0;
}

/* The calling process's own cgroup ----------------------------------------------------- */

/* Write the processes listed in from's cgroup.procs to the cgroup.procs fd (best effort). */
static void move_procs(int from, int fd)
{
	_cleanup_free_ char *text = NULL;
	if (read_at(from, "cgroup.procs", &text) < 0 || !text)
		return;
	for (const char *l = text; *l; l += strcspn(l, "\n"), l += *l == '\n') {
		size_t n = strcspn(l, "\n");
		if (n > 0 && write(fd, l, n) < 0) {
			/* gone meanwhile: the others still move */
		}
	}
}

int cgroup_enter_own(const char *root)
{
	_cleanup_close_ int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0)
		return -errno;
	if (cgroup_layout_at(rfd) != CGROUP_UNIFIED)
		return 0;
	if ((mkdirat(rfd, CGROUP_TOP, 0755) < 0 && errno != EEXIST) ||
	    (mkdirat(rfd, CGROUP_OWN, 0755) < 0 && errno != EEXIST))
		return -errno;
	_cleanup_close_ int top = open_dir_at(rfd, CGROUP_TOP);
	if (top < 0)
		return top;
	_cleanup_close_ int fd =
		openat(rfd, CGROUP_OWN "/cgroup.procs", O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* keepers of an older version lived in CGROUP_TOP itself */
	move_procs(top, fd);
	/* "0": the writer itself */
	return write(fd, "0", 1) == 1 ? 0 : -errno;
}
