/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The copies' parents (cgroup.h): CGROUP_COPIES, capped at
 * memory_max_total, and below it one per user (u<uid>, capped at
 * memory_max_per_user) and one for pooled copies. A dead copy's charges
 * stay in its parents for as long as something holds them, so these caps
 * bound what copies that ended can keep, and a parent goes only once
 * nothing unreclaimable is charged to it.
 *
 * What is charged is read from the page counters (memory.current,
 * memory.usage_in_bytes), never from memory.stat: the kernel (6.8 and
 * later) updates a parent's memory.stat lazily, up to some 2 s late, and
 * read as a copy that had just filled 700 MB of its /tmp ended, a parent's
 * shmem showed a part of it, or none (then the parent went, charged, and
 * the user's next copies counted from zero). A page counter is exact at
 * every moment, but counts what could still be reclaimed too (page
 * cache, kernel objects): cgroup_reclaim_parent gives that back first.
 */
#include "cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

/* A page counter's file: one number. */
#define NUMBER_FILE_MAX 64

/*
 * At or below this a parent without children holds nothing: a dead
 * copy's last kernel objects, freed moments later (measured as busybox
 * copies ended: 130 KiB to 1.4 MiB, and after a reclaim at most 950 KiB).
 * Removed with this charged, a parent leaves at most this much outside a
 * new one's cap, and inside memory_max_total still.
 */
#define RESIDUE_MAX (4 * 1024 * 1024)

/* At and past this a cap is no cap: the kernel's page counters stop below 2^63. */
#define CAP_NONE (1ULL << 62)

static int open_dir_at(int dfd, const char *rel)
{
	int fd = openat(dfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* The hierarchy that accounts memory: the unified root, or v1's "memory". */
static int memory_hierarchy(const char *root, bool *ret_unified)
{
	_cleanup_close_ int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0)
		return -errno;
	*ret_unified = cgroup_layout_at(rfd) == CGROUP_UNIFIED;
	return *ret_unified ? fcntl(rfd, F_DUPFD_CLOEXEC, 3) : open_dir_at(rfd, "memory");
}

static int write_at(int dfd, const char *file, const char *text)
{
	_cleanup_close_ int fd = openat(dfd, file, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : -errno;
}

/* mkdir REL below dfd (there already is fine) and open it. */
static int make_at(int dfd, const char *rel)
{
	if (mkdirat(dfd, rel, 0755) < 0 && errno != EEXIST)
		return -errno;
	return open_dir_at(dfd, rel);
}

/*
 * v1: the limit, and with swap accounting memsw the same, which must never
 * be below it: raising, memsw goes first. A limit below what is charged
 * is refused (EBUSY): the old one stays.
 */
static int cap_v1(int dfd, const char *v)
{
	bool memsw = faccessat(dfd, "memory.memsw.limit_in_bytes", F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	int r = write_at(dfd, "memory.limit_in_bytes", v);
	if (r == -EINVAL && memsw && (r = write_at(dfd, "memory.memsw.limit_in_bytes", v)) == 0)
		return write_at(dfd, "memory.limit_in_bytes", v);
	if (r == 0 && memsw)
		r = write_at(dfd, "memory.memsw.limit_in_bytes", v);
	return r == -EBUSY ? 0 : r;
}

static int set_cap(int dfd, bool unified, uint64_t bytes)
{
	char v[32];
	if (bytes == 0 || bytes >= CAP_NONE)
		snprintf(v, sizeof(v), "%s", unified ? "max" : "-1");
	else
		snprintf(v, sizeof(v), "%llu", (unsigned long long)bytes);
	return unified ? write_at(dfd, "memory.max", v) : cap_v1(dfd, v);
}

/* v2: the memory controller passed down from dfd to its children. */
static int pass_memory(int dfd, bool unified)
{
	return unified ? write_at(dfd, "cgroup.subtree_control", "+memory") : 0;
}

int cgroup_prepare_parent(const char *root, const char *parent, const struct cgroup_caps *caps)
{
	bool unified = false;
	if (!cgroup_parent_valid(parent))
		return -EINVAL;
	_cleanup_close_ int hfd = memory_hierarchy(root, &unified);
	if (hfd < 0)
		return hfd;
	int r = pass_memory(hfd, unified);
	_cleanup_close_ int top = r < 0 ? r : make_at(hfd, CGROUP_TOP);
	if (top < 0 || (r = pass_memory(top, unified)) < 0)
		return top < 0 ? top : r;
	_cleanup_close_ int copies = make_at(hfd, CGROUP_COPIES);
	if (copies < 0 || (r = pass_memory(copies, unified)) < 0 ||
	    (r = set_cap(copies, unified, caps->total)) < 0)
		return copies < 0 ? copies : r;
	_cleanup_close_ int pfd = make_at(copies, parent);
	if (pfd < 0)
		return pfd;
	return set_cap(pfd, unified, caps->parent);
}

/* Has the cgroup dfd a cgroup below it? */
static bool has_children(int dfd)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	if (util_list_dir(dfd, &d) < 0)
		return true; /* cannot tell: keep it */
	while ((de = readdir(d))) {
		struct stat st;
		if (!util_dot_or_dotdot(de->d_name) &&
		    fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
			return true;
	}
	return false;
}

/* The number in FILE below dfd; a file that is not there counts 0. */
static int read_number(int dfd, const char *file, uint64_t *ret)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	_cleanup_close_ int fd = openat(dfd, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	*ret = 0;
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	int r = util_read_capped(fd, NUMBER_FILE_MAX, &text, &len);
	return r < 0 ? r : cgroup_parse_number(text, ret);
}

/*
 * What is charged to the parent pfd, its dead children's charges
 * included, memory and swap: v2 memory.current and memory.swap.current;
 * v1 memory.memsw.usage_in_bytes where swap is accounted, else
 * memory.usage_in_bytes.
 */
static int charged(int pfd, bool unified, uint64_t *ret)
{
	uint64_t mem = 0, swap = 0;
	int r;
	if (unified) {
		r = read_number(pfd, "memory.current", &mem);
		if (r == 0)
			r = read_number(pfd, "memory.swap.current", &swap);
	} else if (faccessat(pfd, "memory.memsw.usage_in_bytes", F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		r = read_number(pfd, "memory.memsw.usage_in_bytes", &mem);
	} else {
		r = read_number(pfd, "memory.usage_in_bytes", &mem);
	}
	if (r == 0)
		*ret = mem + swap;
	return r;
}

/* PARENT in the memory hierarchy: an fd, -ENOENT when it has none, -EINVAL. */
static int open_parent(const char *root, const char *parent, bool *ret_unified)
{
	char rel[64];
	if (!cgroup_parent_valid(parent))
		return -EINVAL;
	_cleanup_close_ int hfd = memory_hierarchy(root, ret_unified);
	if (hfd < 0)
		return hfd;
	snprintf(rel, sizeof(rel), "%s/%s", CGROUP_COPIES, parent);
	return open_dir_at(hfd, rel);
}

enum cgroup_parent_state cgroup_parent_state(const char *root, const char *parent)
{
	bool unified = false;
	uint64_t bytes = 0;
	_cleanup_close_ int pfd = open_parent(root, parent, &unified);
	if (pfd == -ENOENT)
		return CGROUP_PARENT_IDLE;
	if (pfd < 0 || has_children(pfd))
		return CGROUP_PARENT_IN_USE;
	return charged(pfd, unified, &bytes) == 0 && bytes <= RESIDUE_MAX ? CGROUP_PARENT_IDLE
									  : CGROUP_PARENT_CHARGED;
}

int cgroup_reclaim_parent(const char *root, const char *parent)
{
	bool unified = false;
	uint64_t bytes = 0;
	char v[32];
	_cleanup_close_ int pfd = open_parent(root, parent, &unified);
	if (pfd < 0)
		return pfd == -ENOENT ? 0 : pfd;
	/* a copy running below it keeps what it uses */
	if (has_children(pfd))
		return 0;
	int r = charged(pfd, unified, &bytes);
	if (r < 0 || bytes <= RESIDUE_MAX)
		return r;
	if (!unified)
		return write_at(pfd, "memory.force_empty", "0");
	snprintf(v, sizeof(v), "%llu", (unsigned long long)bytes);
	r = write_at(pfd, "memory.reclaim", v);
	/* less than all of it could go: what is left is held */
	return r == -EAGAIN ? 0 : r;
}

struct removal {
	char rel[64];
	unsigned gone, left;
};

static int remove_in(int hfd, const char *hier, void *data)
{
	struct removal *rm = data;
	(void)hier;
	if (unlinkat(hfd, rm->rel, AT_REMOVEDIR) == 0)
		rm->gone++;
	else if (errno != ENOENT)
		rm->left++;
	return 0;
}

bool cgroup_remove_parent(const char *root, const char *parent)
{
	struct removal rm = { .gone = 0 };
	if (cgroup_parent_state(root, parent) != CGROUP_PARENT_IDLE)
		return false;
	snprintf(rm.rel, sizeof(rm.rel), "%s/%s", CGROUP_COPIES, parent);
	cgroup_foreach_hierarchy(root, remove_in, &rm);
	return rm.gone > 0 && rm.left == 0;
}

struct sweep {
	const char *root;
	bool (*fn)(const char *root, const char *parent);
	unsigned n;
};

/* fn for every parent a hierarchy has: one in any of them is removed from all. */
static int parents_in(int hfd, const char *hier, void *data)
{
	struct sweep *sw = data;
	_cleanup_close_ int copies = open_dir_at(hfd, CGROUP_COPIES);
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	(void)hier;
	if (copies < 0 || util_list_dir(copies, &d) < 0)
		return 0;
	while ((de = readdir(d)))
		if (cgroup_parent_valid(de->d_name) && sw->fn(sw->root, de->d_name))
			sw->n++;
	return 0;
}

unsigned cgroup_remove_idle_parents(const char *root)
{
	struct sweep sw = { .root = root, .fn = cgroup_remove_parent };
	cgroup_foreach_hierarchy(root, parents_in, &sw);
	return sw.n;
}

static bool reclaim(const char *root, const char *parent)
{
	return cgroup_reclaim_parent(root, parent) == 0;
}

void cgroup_reclaim_parents(const char *root)
{
	bool unified = false;
	struct sweep sw = { .root = root, .fn = reclaim };
	_cleanup_close_ int hfd = memory_hierarchy(root, &unified);
	if (hfd >= 0)
		parents_in(hfd, "", &sw);
}
