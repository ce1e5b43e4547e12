/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for common/host/cgroup.c and cgroup_walk.c (cmocka). Run as
 * root. No real cgroup file system is touched: each test that walks gets a
 * fake root, a fresh /run/tw-unit.XXXXXX laid out as a unified, hybrid or
 * v1 host would be (directories for cgroups, plain files for cgroup.procs
 * and the rest), removed again by the teardown. On it an rmdir fails where
 * a cgroup file is left, as a real one fails on a cgroup with a process.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cgroup.h"

/* Helpers ------------------------------------------------------------- */

struct fixture {
	char root[64];
	int rfd;
};

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (type == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? -1 : 0;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	strcpy(f->root, "/run/tw-unit.XXXXXX");
	if (!mkdtemp(f->root) || (f->rfd = open(f->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	close(f->rfd);
	int r = nftw(f->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return r;
}

/* mkdir -p ROOT/REL */
static void mk(const struct fixture *f, const char *rel)
{
	char p[512];
	snprintf(p, sizeof(p), "%s", rel);
	for (char *s = strchr(p, '/');; s = strchr(s + 1, '/')) {
		if (s)
			*s = '\0';
		assert_true(mkdirat(f->rfd, p, 0755) == 0 || errno == EEXIST);
		if (!s)
			return;
		*s = '/';
	}
}

/* ROOT/REL with TEXT, its directories made. */
static void put(const struct fixture *f, const char *rel, const char *text)
{
	char dir[512];
	snprintf(dir, sizeof(dir), "%s", rel);
	char *slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		mk(f, dir);
	}
	int fd = openat(f->rfd, rel, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static bool exists(const struct fixture *f, const char *rel)
{
	struct stat st;
	return fstatat(f->rfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static void assert_content(const struct fixture *f, const char *rel, const char *want)
{
	char buf[256];
	int fd = openat(f->rfd, rel, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	assert_string_equal(buf, want);
}

static int open_rel(const struct fixture *f, const char *rel)
{
	int fd = openat(f->rfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

/* A child that waits to be killed. */
static pid_t sleeper(void)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

static bool killed_by_sigkill(pid_t pid)
{
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
}

/* Reap a child that must not have been killed. */
static bool was_alive(pid_t pid)
{
	int st;
	bool alive = waitpid(pid, &st, WNOHANG) == 0;
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return alive;
}

/* A hybrid host: v1 controllers, the v2 hierarchy at unified/. */
static void make_hybrid(const struct fixture *f)
{
	put(f, "unified/cgroup.controllers", "");
	put(f, "unified/cgroup.procs", "");
	put(f, "pids/cgroup.procs", "");
	put(f, "memory/cgroup.procs", "");
}

/* The pid_max of this kernel plus one: a pid no process can have. */
static pid_t unused_pid(void)
{
	char buf[32] = "";
	int fd = open("/proc/sys/kernel/pid_max", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_true(read(fd, buf, sizeof(buf) - 1) > 0);
	close(fd);
	return (pid_t)strtol(buf, NULL, 10) + 1;
}

/* Layout ------------------------------------------------------------- */

static void test_cgroup_layout_unified(void **state)
{
	struct fixture *f = *state;
	put(f, "cgroup.controllers", "cpu memory pids\n");
	assert_int_equal(cgroup_layout(f->root), CGROUP_UNIFIED);
	assert_int_equal(cgroup_layout_at(f->rfd), CGROUP_UNIFIED);
}

static void test_cgroup_layout_hybrid(void **state)
{
	struct fixture *f = *state;
	make_hybrid(f);
	assert_int_equal(cgroup_layout(f->root), CGROUP_HYBRID);
}

static void test_cgroup_layout_legacy(void **state)
{
	struct fixture *f = *state;
	put(f, "memory/cgroup.procs", "");
	mk(f, "unified"); /* a directory, but no v2 mount in it */
	assert_int_equal(cgroup_layout(f->root), CGROUP_LEGACY);
}

static void test_cgroup_layout_missing_root(void **state)
{
	(void)state;
	assert_int_equal(cgroup_layout("/nonexistent/tw-cgroup"), CGROUP_LEGACY);
}

/* Names and paths ------------------------------------------------------ */

static void test_cgroup_copy_dirname_kinds(void **state)
{
	(void)state;
	char buf[128];
	assert_int_equal(cgroup_copy_dirname(CGROUP_MONITOR, "o-u-abc123", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "lxc.monitor.o-u-abc123");
	assert_int_equal(cgroup_copy_dirname(CGROUP_PAYLOAD, "o-u-abc123", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "lxc.payload.o-u-abc123");
}

static void test_cgroup_copy_dirname_bad_name(void **state)
{
	(void)state;
	char buf[128], long_name[80];
	memset(long_name, 'a', 64);
	long_name[64] = '\0';
	static const char *const bad[] = { "", ".hidden", "-x", "a/b", "..", "a b", "a\nb" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cgroup_copy_dirname(CGROUP_PAYLOAD, bad[i], buf, sizeof(buf)),
				 -EINVAL);
	assert_int_equal(cgroup_copy_dirname(CGROUP_PAYLOAD, long_name, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(cgroup_copy_dirname(CGROUP_PAYLOAD, NULL, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(cgroup_copy_dirname((enum cgroup_kind)7, "a", buf, sizeof(buf)), -EINVAL);
}

static void test_cgroup_copy_dirname_too_long(void **state)
{
	(void)state;
	char buf[16];
	assert_int_equal(cgroup_copy_dirname(CGROUP_PAYLOAD, "abcd", buf, sizeof(buf)),
			 -ENAMETOOLONG);
}

static void test_cgroup_parent_name_kinds(void **state)
{
	(void)state;
	char buf[CGROUP_PARENT_MAX];
	assert_int_equal(cgroup_parent_name(false, 1000, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "u1000");
	assert_int_equal(cgroup_parent_name(false, 4294967295U, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "u4294967295");
	assert_int_equal(cgroup_parent_name(true, 1000, buf, sizeof(buf)), 0);
	assert_string_equal(buf, CGROUP_POOL);
	assert_int_equal(cgroup_parent_name(false, 1000, buf, 4), -ENAMETOOLONG);
}

static void test_cgroup_parent_valid_names(void **state)
{
	(void)state;
	static const char *const good[] = { "pool", "u0", "u1000", "u4294967295" };
	static const char *const bad[] = {
		"",   "u",     "u-1", "u1000x", "u12345678901", "pool2", "lxc.payload.c1",
		"..", "U1000", "u 1"
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(cgroup_parent_valid(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(cgroup_parent_valid(bad[i]));
}

static void test_cgroup_copy_relpath_kinds(void **state)
{
	(void)state;
	char buf[256];
	assert_int_equal(cgroup_copy_relpath(CGROUP_PAYLOAD, "u1000", "c1", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "throwaway/copies/u1000/lxc.payload.c1");
	assert_int_equal(cgroup_copy_relpath(CGROUP_PAYLOAD, "pool", "c1", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "throwaway/copies/pool/lxc.payload.c1");
	/* the monitor is no user's: beside the copies, whatever the parent */
	assert_int_equal(cgroup_copy_relpath(CGROUP_MONITOR, "u1000", "c1", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "throwaway/lxc.monitor.c1");
}

static void test_cgroup_copy_relpath_bad(void **state)
{
	(void)state;
	char buf[256];
	assert_int_equal(cgroup_copy_relpath(CGROUP_PAYLOAD, "../u1", "c1", buf, sizeof(buf)),
			 -EINVAL);
	assert_int_equal(cgroup_copy_relpath(CGROUP_PAYLOAD, NULL, "c1", buf, sizeof(buf)),
			 -EINVAL);
	assert_int_equal(cgroup_copy_relpath(CGROUP_PAYLOAD, "u1", "../x", buf, sizeof(buf)),
			 -EINVAL);
	assert_int_equal(cgroup_copy_relpath(CGROUP_MONITOR, "u1", "", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(cgroup_copy_relpath(CGROUP_PAYLOAD, "u1", "c1", buf, 24), -ENAMETOOLONG);
}

static void test_cgroup_open_copy_below_parent(void **state)
{
	struct fixture *f = *state;
	put(f, "cgroup.controllers", "cpu memory pids\n");
	put(f, "throwaway/copies/u1000/lxc.payload.c1/cgroup.procs", "");
	put(f, "throwaway/copies/u1001/lxc.payload.c2/cgroup.procs", "");
	put(f, "throwaway/lxc.monitor.c1/cgroup.procs", "");
	mk(f, "throwaway/copies/not-a-parent/lxc.payload.c3");
	int fd = cgroup_open_copy(f->root, CGROUP_UNIFIED, NULL, CGROUP_PAYLOAD, "c1");
	assert_true(fd >= 0);
	close(fd);
	fd = cgroup_open_copy(f->root, CGROUP_UNIFIED, NULL, CGROUP_MONITOR, "c1");
	assert_true(fd >= 0);
	close(fd);
	fd = cgroup_open_copy(f->root, CGROUP_UNIFIED, NULL, CGROUP_PAYLOAD, "c2");
	assert_true(fd >= 0);
	close(fd);
	/* only the parents' names are looked into */
	assert_int_equal(cgroup_open_copy(f->root, CGROUP_UNIFIED, NULL, CGROUP_PAYLOAD, "c3"),
			 -ENOENT);
	assert_int_equal(cgroup_open_copy(f->root, CGROUP_UNIFIED, NULL, CGROUP_MONITOR, "c2"),
			 -ENOENT);
}

static void test_cgroup_open_copy_bad_hierarchy(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[] = { NULL, "", "a/b", ".", "..", "/memory" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(
			cgroup_open_copy(f->root, CGROUP_LEGACY, bad[i], CGROUP_PAYLOAD, "c1"),
			-EINVAL);
	assert_int_equal(cgroup_open_copy(f->root, CGROUP_LEGACY, "pids", CGROUP_PAYLOAD, "../x"),
			 -EINVAL);
}

static void test_cgroup_open_copy_found(void **state)
{
	struct fixture *f = *state;
	put(f, "pids/lxc.payload.c1/cgroup.procs", "");
	int fd = cgroup_open_copy(f->root, CGROUP_LEGACY, "pids", CGROUP_PAYLOAD, "c1");
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(cgroup_open_copy(f->root, CGROUP_LEGACY, "memory", CGROUP_PAYLOAD, "c1"),
			 -ENOENT);
}

static void test_cgroup_open_copy_symlink(void **state)
{
	struct fixture *f = *state;
	mk(f, "elsewhere");
	mk(f, "pids");
	assert_int_equal(symlinkat("../elsewhere", f->rfd, "pids/lxc.payload.c1"), 0);
	/* O_DIRECTORY | O_NOFOLLOW: ENOTDIR, or ELOOP on some kernels */
	int r = cgroup_open_copy(f->root, CGROUP_LEGACY, "pids", CGROUP_PAYLOAD, "c1");
	assert_true(r == -ENOTDIR || r == -ELOOP);
}

static void test_cgroup_copy_name_copies(void **state)
{
	(void)state;
	enum cgroup_kind k = CGROUP_PAYLOAD;
	const char *n = cgroup_copy_name("lxc.monitor.o-u-abc123", &k);
	assert_non_null(n);
	assert_string_equal(n, "o-u-abc123");
	assert_int_equal(k, CGROUP_MONITOR);
	n = cgroup_copy_name("lxc.payload.u1000.x_y", &k);
	assert_non_null(n);
	assert_string_equal(n, "u1000.x_y");
	assert_int_equal(k, CGROUP_PAYLOAD);
	assert_non_null(cgroup_copy_name("lxc.payload.c", NULL));
}

static void test_cgroup_copy_name_other_names(void **state)
{
	(void)state;
	char long_name[96];
	snprintf(long_name, sizeof(long_name), "lxc.payload.%064d", 0);
	static const char *const other[] = {
		"init.scope",
		"system.slice",
		"user.slice",
		"throwaway",
		"lxc.payload",
		"lxc.payload.",
		"lxc.monitor",
		"lxc.monitor.",
		"lxc.pivot",
		"lxc.payloadx.c1",
		"lxc.payload..c1",
		"lxc.payload.-c1",
		"LXC.payload.c1",
		"xlxc.payload.c1",
		"lxc.monitor.a b",
		"lxc.payload.a/b",
		"lxc.payload.c1\n",
		"lxc",
		".",
		"..",
		"",
	};
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		assert_null(cgroup_copy_name(other[i], NULL));
	assert_null(cgroup_copy_name(long_name, NULL));
}

/* Parsers ---------------------------------------------------------------- */

static void test_cgroup_parse_procs_lines(void **state)
{
	(void)state;
	struct cgroup_pids l = { 0 };
	assert_int_equal(cgroup_parse_procs("12\n345\n6\n", &l), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.pids[0], 12);
	assert_int_equal(l.pids[1], 345);
	assert_int_equal(l.pids[2], 6);
	/* appended, and the last line may lack its newline */
	assert_int_equal(cgroup_parse_procs("7", &l), 0);
	assert_int_equal(l.n, 4);
	assert_int_equal(l.pids[3], 7);
	cgroup_pids_free(&l);
	assert_null(l.pids);
	assert_int_equal(l.n, 0);
}

static void test_cgroup_parse_procs_empty(void **state)
{
	(void)state;
	struct cgroup_pids l = { 0 };
	assert_int_equal(cgroup_parse_procs("", &l), 0);
	assert_int_equal(l.n, 0);
	cgroup_pids_free(&l);
}

static void test_cgroup_parse_procs_bad(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"x\n",    "12x\n", "12 \n", " 12\n",   "-1\n",         "+1\n",
		"0\n",    "\n",    "1\n\n", "1\n2\nz", "2147483648\n", "99999999999999999999\n",
		"1\t2\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cgroup_pids l = { 0 };
		assert_int_equal(cgroup_parse_procs(bad[i], &l), -EINVAL);
		cgroup_pids_free(&l);
	}
}

static void test_cgroup_parse_procs_too_many(void **state)
{
	(void)state;
	size_t n = CGROUP_PIDS_MAX + 1;
	char *text = malloc(n * 2 + 1);
	assert_non_null(text);
	for (size_t i = 0; i < n; i++)
		memcpy(text + i * 2, "1\n", 2);
	text[n * 2] = '\0';
	struct cgroup_pids l = { 0 };
	assert_int_equal(cgroup_parse_procs(text, &l), -E2BIG);
	assert_int_equal(l.n, CGROUP_PIDS_MAX);
	cgroup_pids_free(&l);
	free(text);
}

static void test_cgroup_parse_number_ok(void **state)
{
	(void)state;
	uint64_t v = 1;
	assert_int_equal(cgroup_parse_number("123456\n", &v), 0);
	assert_int_equal(v, 123456);
	assert_int_equal(cgroup_parse_number("0", &v), 0);
	assert_int_equal(v, 0);
}

static void test_cgroup_parse_number_bad(void **state)
{
	(void)state;
	uint64_t v = 7;
	static const char *const bad[] = {
		"",       "\n",    "max\n",
		"-1\n",   "1 2\n", "12\n3",
		"12\n\n", " 1\n",  "99999999999999999999\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cgroup_parse_number(bad[i], &v), -EINVAL);
	assert_int_equal(v, 7);
}

static void test_cgroup_parse_keyed_ok(void **state)
{
	(void)state;
	static const char stat[] = "usage_usec 5123\nuser_usec 4000\nsystem_usec 1123\n"
				   "nr_periods 0\n";
	uint64_t v = 0;
	assert_int_equal(cgroup_parse_keyed(stat, "usage_usec", &v), 0);
	assert_int_equal(v, 5123);
	assert_int_equal(cgroup_parse_keyed(stat, "system_usec", &v), 0);
	assert_int_equal(v, 1123);
	assert_int_equal(cgroup_parse_keyed("a 1\nnr_periods 9", "nr_periods", &v), 0);
	assert_int_equal(v, 9);
}

static void test_cgroup_parse_keyed_missing(void **state)
{
	(void)state;
	uint64_t v = 0;
	/* a key that starts another key, or is found mid-line, is not the key */
	assert_int_equal(cgroup_parse_keyed("usage_usec 5\n", "usage", &v), -ENOENT);
	assert_int_equal(cgroup_parse_keyed("usage_usecx 5\n", "usage_usec", &v), -ENOENT);
	assert_int_equal(cgroup_parse_keyed("x usage_usec 5\n", "usage_usec", &v), -ENOENT);
	assert_int_equal(cgroup_parse_keyed("", "usage_usec", &v), -ENOENT);
}

static void test_cgroup_parse_keyed_bad(void **state)
{
	(void)state;
	uint64_t v = 0;
	assert_int_equal(cgroup_parse_keyed("usage_usec x\n", "usage_usec", &v), -EINVAL);
	assert_int_equal(cgroup_parse_keyed("usage_usec 5 6\n", "usage_usec", &v), -EINVAL);
	assert_int_equal(cgroup_parse_keyed("usage_usec -5\n", "usage_usec", &v), -EINVAL);
}

static void test_cgroup_controllers_has_words(void **state)
{
	(void)state;
	static const char text[] = "cpuset cpu io memory hugetlb pids rdma misc\n";
	assert_true(cgroup_controllers_has(text, "cpu"));
	assert_true(cgroup_controllers_has(text, "cpuset"));
	assert_true(cgroup_controllers_has(text, "memory"));
	assert_true(cgroup_controllers_has(text, "misc"));
	assert_false(cgroup_controllers_has(text, "mem"));
	assert_false(cgroup_controllers_has(text, "cpus"));
	assert_false(cgroup_controllers_has(text, "devices"));
	assert_false(cgroup_controllers_has("", "cpu"));
	assert_false(cgroup_controllers_has("\n", "cpu"));
	assert_true(cgroup_controllers_has("  pids", "pids"));
}

/* Hierarchies --------------------------------------------------------- */

struct seen {
	char names[16][64];
	size_t n;
	int fail_at; /* return -EIO on this call, 1-based; 0: never */
};

static int record_hier(int hfd, const char *hier, void *data)
{
	struct seen *s = data;
	assert_true(hfd >= 0);
	snprintf(s->names[s->n++], sizeof(s->names[0]), "%s", hier);
	return s->fail_at && (int)s->n == s->fail_at ? -EIO : 0;
}

static bool seen_has(const struct seen *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->names[i], name) == 0)
			return true;
	return false;
}

static void test_cgroup_foreach_hierarchy_unified(void **state)
{
	struct fixture *f = *state;
	struct seen s = { 0 };
	put(f, "cgroup.controllers", "cpu memory pids\n");
	mk(f, "system.slice");
	assert_int_equal(cgroup_foreach_hierarchy(f->root, record_hier, &s), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.names[0], "");
}

static void test_cgroup_foreach_hierarchy_v1(void **state)
{
	struct fixture *f = *state;
	struct seen s = { 0 };
	make_hybrid(f);
	mk(f, "cpu,cpuacct");
	mk(f, ".hidden");
	put(f, "afile", "");
	assert_int_equal(symlinkat("cpu,cpuacct", f->rfd, "cpu"), 0);
	assert_int_equal(cgroup_foreach_hierarchy(f->root, record_hier, &s), 0);
	assert_int_equal(s.n, 4);
	assert_true(seen_has(&s, "unified"));
	assert_true(seen_has(&s, "pids"));
	assert_true(seen_has(&s, "memory"));
	assert_true(seen_has(&s, "cpu,cpuacct"));
	assert_false(seen_has(&s, "cpu"));
}

static void test_cgroup_foreach_hierarchy_stops(void **state)
{
	struct fixture *f = *state;
	struct seen s = { .fail_at = 2 };
	make_hybrid(f);
	assert_int_equal(cgroup_foreach_hierarchy(f->root, record_hier, &s), -EIO);
	assert_int_equal(s.n, 2);
}

static void test_cgroup_foreach_hierarchy_missing_root(void **state)
{
	(void)state;
	struct seen s = { 0 };
	assert_int_equal(cgroup_foreach_hierarchy("/nonexistent/tw-cgroup", record_hier, &s),
			 -ENOENT);
	assert_int_equal(s.n, 0);
}

/* Walks ----------------------------------------------------------------- */

static bool has_pid(const struct cgroup_pids *l, pid_t pid)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->pids[i] == pid)
			return true;
	return false;
}

static void test_cgroup_read_tree_nested(void **state)
{
	struct fixture *f = *state;
	put(f, "c/cgroup.procs", "10\n");
	put(f, "c/.lxc/cgroup.procs", "11\n12\n");
	put(f, "c/a/cgroup.procs", "");
	put(f, "c/a/b/cgroup.procs", "13\n");
	put(f, "c/notacgroup", "99\n");
	struct cgroup_pids l = { 0 };
	int fd = open_rel(f, "c");
	assert_int_equal(cgroup_read_tree(fd, &l), 0);
	close(fd);
	assert_int_equal(l.n, 4);
	assert_true(has_pid(&l, 10) && has_pid(&l, 11) && has_pid(&l, 12) && has_pid(&l, 13));
	cgroup_pids_free(&l);
}

static void test_cgroup_read_tree_depth_limit(void **state)
{
	struct fixture *f = *state;
	char rel[512] = "c";
	char file[600];
	size_t len = 1;
	/* one cgroup at each level, 0 .. CGROUP_DEPTH_MAX + 1, with its level as pid */
	for (int depth = 0; depth <= CGROUP_DEPTH_MAX + 1; depth++) {
		char pid[16];
		if (depth > 0)
			len += (size_t)snprintf(rel + len, sizeof(rel) - len, "/d");
		snprintf(file, sizeof(file), "%s/cgroup.procs", rel);
		snprintf(pid, sizeof(pid), "%d\n", 100 + depth);
		put(f, file, pid);
	}
	struct cgroup_pids l = { 0 };
	int fd = open_rel(f, "c");
	assert_int_equal(cgroup_read_tree(fd, &l), 0);
	close(fd);
	assert_int_equal(l.n, CGROUP_DEPTH_MAX + 1);
	assert_true(has_pid(&l, 100 + CGROUP_DEPTH_MAX));
	assert_false(has_pid(&l, 100 + CGROUP_DEPTH_MAX + 1));
	cgroup_pids_free(&l);
}

static void test_cgroup_read_tree_no_procs(void **state)
{
	struct fixture *f = *state;
	mk(f, "c");
	struct cgroup_pids l = { 0 };
	int fd = open_rel(f, "c");
	assert_int_equal(cgroup_read_tree(fd, &l), -ENOENT);
	close(fd);
	cgroup_pids_free(&l);
}

static void test_cgroup_read_tree_symlink_not_followed(void **state)
{
	struct fixture *f = *state;
	put(f, "c/cgroup.procs", "10\n");
	put(f, "other/cgroup.procs", "20\n");
	assert_int_equal(symlinkat("../other", f->rfd, "c/link"), 0);
	struct cgroup_pids l = { 0 };
	int fd = open_rel(f, "c");
	assert_int_equal(cgroup_read_tree(fd, &l), 0);
	close(fd);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.pids[0], 10);
	cgroup_pids_free(&l);
}

static void test_cgroup_copy_pids_unified(void **state)
{
	struct fixture *f = *state;
	put(f, "cgroup.controllers", "cpu memory pids\n");
	put(f, "lxc.payload.c1/cgroup.procs", "5\n");
	put(f, "lxc.payload.c1/.lxc/cgroup.procs", "6\n");
	put(f, "lxc.monitor.c1/cgroup.procs", "4\n");
	put(f, "lxc.payload.c2/cgroup.procs", "7\n");
	struct cgroup_pids l = { 0 };
	assert_int_equal(cgroup_copy_pids(f->root, "c1", &l), 0);
	assert_int_equal(l.n, 2);
	assert_true(has_pid(&l, 5) && has_pid(&l, 6));
	cgroup_pids_free(&l);
}

static void test_cgroup_copy_pids_v1_pids_first(void **state)
{
	struct fixture *f = *state;
	make_hybrid(f);
	put(f, "pids/lxc.payload.c1/cgroup.procs", "5\n");
	put(f, "memory/lxc.payload.c1/cgroup.procs", "5\n");
	struct cgroup_pids l = { 0 };
	assert_int_equal(cgroup_copy_pids(f->root, "c1", &l), 0);
	assert_int_equal(l.n, 1); /* one hierarchy read, not every one */
	cgroup_pids_free(&l);
}

static void test_cgroup_copy_pids_v1_fallback(void **state)
{
	struct fixture *f = *state;
	put(f, "memory/lxc.payload.c1/cgroup.procs", "8\n");
	put(f, "pids/cgroup.procs", "");
	struct cgroup_pids l = { 0 };
	assert_int_equal(cgroup_copy_pids(f->root, "c1", &l), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.pids[0], 8);
	cgroup_pids_free(&l);
}

static void test_cgroup_copy_pids_none(void **state)
{
	struct fixture *f = *state;
	make_hybrid(f);
	put(f, "pids/lxc.payload.other/cgroup.procs", "8\n");
	struct cgroup_pids l = { 0 };
	assert_int_equal(cgroup_copy_pids(f->root, "c1", &l), -ENOENT);
	assert_int_equal(l.n, 0);
	assert_int_equal(cgroup_copy_pids(f->root, "../pids", &l), -EINVAL);
	cgroup_pids_free(&l);
}

/* Kill -------------------------------------------------------------------- */

static void test_cgroup_kill_tree_cgroup_kill(void **state)
{
	struct fixture *f = *state;
	put(f, "c/cgroup.procs", "");
	put(f, "c/cgroup.kill", "");
	put(f, "c/.lxc/cgroup.procs", "123\n124\n");
	int fd = open_rel(f, "c");
	assert_int_equal(cgroup_kill_tree(fd), 2);
	close(fd);
	/* the kernel kills the subtree; no pid was signalled by us */
	assert_content(f, "c/cgroup.kill", "1");
}

static void test_cgroup_kill_tree_cgroup_kill_empty(void **state)
{
	struct fixture *f = *state;
	put(f, "c/cgroup.procs", "");
	put(f, "c/cgroup.kill", "");
	int fd = open_rel(f, "c");
	assert_int_equal(cgroup_kill_tree(fd), 0);
	close(fd);
	assert_content(f, "c/cgroup.kill", "");
}

static void test_cgroup_kill_tree_pidfd(void **state)
{
	struct fixture *f = *state;
	char text[64];
	pid_t a = sleeper(), b = sleeper();
	snprintf(text, sizeof(text), "%d\n", (int)a);
	put(f, "c/cgroup.procs", text);
	snprintf(text, sizeof(text), "%d\n", (int)b);
	put(f, "c/.lxc/cgroup.procs", text);
	int fd = open_rel(f, "c");
	assert_int_equal(cgroup_kill_tree(fd), 2);
	close(fd);
	assert_true(killed_by_sigkill(a));
	assert_true(killed_by_sigkill(b));
}

static void test_cgroup_kill_tree_spares(void **state)
{
	struct fixture *f = *state;
	char text[64];
	/* pid 1 and a pid no process has are never signalled */
	snprintf(text, sizeof(text), "1\n%d\n", (int)unused_pid());
	put(f, "c/cgroup.procs", text);
	int fd = open_rel(f, "c");
	assert_int_equal(cgroup_kill_tree(fd), 0);
	close(fd);
}

static void test_cgroup_kill_tree_many(void **state)
{
	struct fixture *f = *state;
	/* more pids than pidfds are opened at once: the last one is reached too */
	size_t n = 600, off = 0;
	char *text = malloc(n * 2 + 32);
	assert_non_null(text);
	for (size_t i = 0; i < n; i++)
		off += (size_t)sprintf(text + off, "1\n");
	pid_t last = sleeper();
	sprintf(text + off, "%d\n", (int)last);
	put(f, "c/cgroup.procs", text);
	free(text);
	int fd = open_rel(f, "c");
	assert_int_equal(cgroup_kill_tree(fd), 1);
	close(fd);
	assert_true(killed_by_sigkill(last));
}

static void test_cgroup_kill_copy_only_its_own(void **state)
{
	struct fixture *f = *state;
	char text[64];
	pid_t mine = sleeper(), other = sleeper(), monitor = sleeper();
	make_hybrid(f);
	snprintf(text, sizeof(text), "%d\n", (int)mine);
	put(f, "pids/lxc.payload.c1/cgroup.procs", text);
	put(f, "memory/lxc.payload.c1/.lxc/cgroup.procs", text);
	snprintf(text, sizeof(text), "%d\n", (int)other);
	put(f, "pids/lxc.payload.c10/cgroup.procs", text);
	put(f, "pids/lxc.payload.c1x/cgroup.procs", text);
	snprintf(text, sizeof(text), "%d\n", (int)monitor);
	put(f, "pids/lxc.monitor.c1/cgroup.procs", text);
	assert_true(cgroup_kill_copy(f->root, CGROUP_PAYLOAD, "c1") >= 1);
	assert_true(killed_by_sigkill(mine));
	assert_true(was_alive(other));
	assert_true(was_alive(monitor));
	assert_int_equal(cgroup_kill_copy(f->root, CGROUP_PAYLOAD, "../c1"), 0);
}

static void test_cgroup_kill_copy_unified(void **state)
{
	struct fixture *f = *state;
	put(f, "cgroup.controllers", "cpu memory pids\n");
	put(f, "lxc.monitor.c1/cgroup.procs", "55\n");
	put(f, "lxc.monitor.c1/cgroup.kill", "");
	put(f, "lxc.payload.c1/cgroup.kill", "");
	put(f, "lxc.payload.c1/cgroup.procs", "");
	assert_int_equal(cgroup_kill_copy(f->root, CGROUP_MONITOR, "c1"), 1);
	assert_content(f, "lxc.monitor.c1/cgroup.kill", "1");
	assert_content(f, "lxc.payload.c1/cgroup.kill", "");
}

/* Removal ------------------------------------------------------------------ */

static void test_cgroup_remove_tree_deepest_first(void **state)
{
	struct fixture *f = *state;
	mk(f, "c/.lxc");
	mk(f, "c/a/b/c");
	mk(f, "c/d");
	assert_true(cgroup_remove_tree(f->rfd, "c"));
	assert_false(exists(f, "c"));
}

static void test_cgroup_remove_tree_busy_stays(void **state)
{
	struct fixture *f = *state;
	mk(f, "c/a/empty");
	put(f, "c/a/busy/cgroup.procs", "1\n"); /* rmdir fails there, as on a cgroup in use */
	mk(f, "c/d");
	assert_false(cgroup_remove_tree(f->rfd, "c"));
	assert_true(exists(f, "c/a/busy/cgroup.procs"));
	assert_false(exists(f, "c/a/empty"));
	assert_false(exists(f, "c/d"));
}

static void test_cgroup_remove_tree_depth_limit(void **state)
{
	struct fixture *f = *state;
	char rel[512] = "c";
	size_t len = 1;
	for (int depth = 1; depth <= CGROUP_DEPTH_MAX + 1; depth++)
		len += (size_t)snprintf(rel + len, sizeof(rel) - len, "/d");
	mk(f, rel);
	/* the cgroup past the limit is not entered: it and those above it stay */
	assert_false(cgroup_remove_tree(f->rfd, "c"));
	assert_true(exists(f, rel));
}

static void test_cgroup_remove_tree_missing(void **state)
{
	struct fixture *f = *state;
	assert_false(cgroup_remove_tree(f->rfd, "nothing"));
}

static void test_cgroup_remove_copy_v1(void **state)
{
	struct fixture *f = *state;
	make_hybrid(f);
	static const char *const hier[] = { "unified", "pids", "memory" };
	char rel[128];
	for (size_t i = 0; i < 3; i++) {
		snprintf(rel, sizeof(rel), "%s/lxc.monitor.c1", hier[i]);
		mk(f, rel);
		snprintf(rel, sizeof(rel), "%s/lxc.payload.c1/.lxc", hier[i]);
		mk(f, rel);
		snprintf(rel, sizeof(rel), "%s/lxc.payload.c2", hier[i]);
		mk(f, rel);
	}
	mk(f, "pids/c1");
	assert_int_equal(cgroup_remove_copy(f->root, "c1"), 6);
	assert_false(exists(f, "memory/lxc.payload.c1"));
	assert_false(exists(f, "unified/lxc.monitor.c1"));
	assert_true(exists(f, "memory/lxc.payload.c2"));
	assert_true(exists(f, "pids/c1"));
	assert_int_equal(cgroup_remove_copy(f->root, "c1"), 0);
	assert_int_equal(cgroup_remove_copy(f->root, ".."), 0);
}

static void test_cgroup_remove_copy_unified(void **state)
{
	struct fixture *f = *state;
	put(f, "cgroup.controllers", "cpu memory pids\n");
	mk(f, "lxc.monitor.c1");
	mk(f, "lxc.payload.c1/.lxc");
	mk(f, "system.slice/lxc.payload.c1");
	assert_int_equal(cgroup_remove_copy(f->root, "c1"), 2);
	assert_false(exists(f, "lxc.payload.c1"));
	assert_true(exists(f, "system.slice/lxc.payload.c1"));
}

struct dead {
	const char *alive;
	char asked[16][64];
	size_t n;
};

static bool is_dead(const char *name, void *data)
{
	struct dead *d = data;
	if (d->n < 16)
		snprintf(d->asked[d->n++], sizeof(d->asked[0]), "%s", name);
	return strcmp(name, d->alive) != 0;
}

static void test_cgroup_remove_leftovers_copies_only(void **state)
{
	struct fixture *f = *state;
	struct dead d = { .alive = "live" };
	make_hybrid(f);
	mk(f, "pids/lxc.payload.gone/.lxc");
	mk(f, "pids/lxc.monitor.gone");
	mk(f, "memory/lxc.payload.gone");
	mk(f, "pids/lxc.payload.live");
	mk(f, "memory/lxc.monitor.live");
	static const char *const others[] = {
		"pids/init.scope",           "pids/lxc.payload",  "pids/lxc.pivot",
		"pids/lxc.payload.-x",       "memory/user.slice", "memory/throwaway",
		"unified/lxc.payloadx.gone",
	};
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		mk(f, others[i]);
	put(f, "pids/lxc.payload.file", "");
	assert_int_equal(cgroup_remove_leftovers(f->root, is_dead, &d), 3);
	assert_false(exists(f, "pids/lxc.payload.gone"));
	assert_false(exists(f, "pids/lxc.monitor.gone"));
	assert_false(exists(f, "memory/lxc.payload.gone"));
	assert_true(exists(f, "pids/lxc.payload.live"));
	assert_true(exists(f, "memory/lxc.monitor.live"));
	assert_true(exists(f, "pids/lxc.payload.file"));
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		assert_true(exists(f, others[i]));
	/* only the names of copies' cgroups were asked about */
	for (size_t i = 0; i < d.n; i++)
		assert_true(strcmp(d.asked[i], "gone") == 0 || strcmp(d.asked[i], "live") == 0);
}

/* Usage, controllers, own cgroup ------------------------------------------- */

static void test_cgroup_copy_usage_unified(void **state)
{
	struct fixture *f = *state;
	struct cgroup_usage u;
	put(f, "cgroup.controllers", "cpu memory pids\n");
	put(f, "lxc.payload.c1/memory.current", "1234567\n");
	put(f, "lxc.payload.c1/cpu.stat", "usage_usec 5000\nuser_usec 4000\nsystem_usec 1000\n");
	cgroup_copy_usage(f->root, "c1", &u);
	assert_int_equal(u.memory, 1234567);
	assert_int_equal(u.cpu_usec, 5000);
}

static void test_cgroup_copy_usage_v1(void **state)
{
	struct fixture *f = *state;
	struct cgroup_usage u;
	make_hybrid(f);
	put(f, "memory/lxc.payload.c1/memory.usage_in_bytes", "4096\n");
	put(f, "cpu,cpuacct/lxc.payload.c1/cpuacct.usage", "7000999\n");
	assert_int_equal(symlinkat("cpu,cpuacct", f->rfd, "cpuacct"), 0);
	cgroup_copy_usage(f->root, "c1", &u);
	assert_int_equal(u.memory, 4096);
	assert_int_equal(u.cpu_usec, 7000);
}

static void test_cgroup_copy_usage_unknown(void **state)
{
	struct fixture *f = *state;
	struct cgroup_usage u;
	put(f, "cgroup.controllers", "cpu memory pids\n");
	put(f, "lxc.payload.c1/memory.current", "max\n");
	cgroup_copy_usage(f->root, "c1", &u);
	assert_int_equal(u.memory, -1);
	assert_int_equal(u.cpu_usec, -1);
	cgroup_copy_usage(f->root, "nothere", &u);
	assert_int_equal(u.memory, -1);
}

static void test_cgroup_missing_controllers_unified(void **state)
{
	struct fixture *f = *state;
	char buf[128];
	put(f, "cgroup.controllers", "cpuset cpu io memory\n");
	cgroup_missing_controllers(f->root, CGROUP_UNIFIED, buf, sizeof(buf));
	assert_string_equal(buf, "pids");
	put(f, "cgroup.controllers", "cpuset cpu io memory pids\n");
	cgroup_missing_controllers(f->root, CGROUP_UNIFIED, buf, sizeof(buf));
	assert_string_equal(buf, "");
}

static void test_cgroup_missing_controllers_v1(void **state)
{
	struct fixture *f = *state;
	char buf[128];
	make_hybrid(f);
	put(f, "cpu,cpuacct/cgroup.procs", "");
	assert_int_equal(symlinkat("cpu,cpuacct", f->rfd, "cpu"), 0);
	cgroup_missing_controllers(f->root, CGROUP_HYBRID, buf, sizeof(buf));
	assert_string_equal(buf, "devices");
	cgroup_missing_controllers("/nonexistent/tw-cgroup", CGROUP_LEGACY, buf, sizeof(buf));
	assert_string_equal(buf, "cpu devices memory pids");
}

static void test_cgroup_v1_swap_accounting_file(void **state)
{
	struct fixture *f = *state;
	make_hybrid(f);
	assert_false(cgroup_v1_swap_accounting(f->root));
	put(f, "memory/memory.memsw.limit_in_bytes", "9223372036854771712\n");
	assert_true(cgroup_v1_swap_accounting(f->root));
}

static void test_cgroup_enter_own_unified(void **state)
{
	struct fixture *f = *state;
	put(f, "cgroup.controllers", "cpu memory pids\n");
	/* a real cgroup has its cgroup.procs from birth; the fake one gets it first */
	put(f, CGROUP_OWN "/cgroup.procs", "");
	assert_int_equal(cgroup_enter_own(f->root), 0);
	assert_content(f, CGROUP_OWN "/cgroup.procs", "0");
}

static void test_cgroup_enter_own_makes_cgroup(void **state)
{
	struct fixture *f = *state;
	put(f, "cgroup.controllers", "cpu memory pids\n");
	/* made, and then (a fake root makes no cgroup.procs) the move fails */
	assert_int_equal(cgroup_enter_own(f->root), -ENOENT);
	assert_true(exists(f, CGROUP_OWN));
}

static void test_cgroup_enter_own_v1(void **state)
{
	struct fixture *f = *state;
	make_hybrid(f);
	assert_int_equal(cgroup_enter_own(f->root), 0);
	assert_false(exists(f, CGROUP_OWN));
	assert_false(exists(f, "unified/" CGROUP_OWN));
}

static void test_cgroup_copy_pids_below_parent(void **state)
{
	struct fixture *f = *state;
	make_hybrid(f);
	put(f, "pids/throwaway/copies/u1000/lxc.payload.c1/cgroup.procs", "5\n");
	put(f, "pids/throwaway/copies/u1000/lxc.payload.c1/.lxc/cgroup.procs", "6\n");
	put(f, "pids/throwaway/lxc.monitor.c1/cgroup.procs", "4\n");
	struct cgroup_pids l = { 0 };
	assert_int_equal(cgroup_copy_pids(f->root, "c1", &l), 0);
	assert_int_equal(l.n, 2);
	assert_true(has_pid(&l, 5) && has_pid(&l, 6));
	cgroup_pids_free(&l);
}

static void test_cgroup_kill_copy_every_place(void **state)
{
	struct fixture *f = *state;
	char text[64];
	pid_t ours = sleeper(), older = sleeper(), monitor = sleeper(), other = sleeper();
	make_hybrid(f);
	snprintf(text, sizeof(text), "%d\n", (int)ours);
	put(f, "pids/throwaway/copies/u1000/lxc.payload.c1/cgroup.procs", text);
	/* a copy of an older version's layout, of the same name: found too */
	snprintf(text, sizeof(text), "%d\n", (int)older);
	put(f, "pids/lxc.payload.c1/cgroup.procs", text);
	snprintf(text, sizeof(text), "%d\n", (int)monitor);
	put(f, "pids/throwaway/lxc.monitor.c1/cgroup.procs", text);
	snprintf(text, sizeof(text), "%d\n", (int)other);
	put(f, "pids/throwaway/copies/u1000/lxc.payload.c2/cgroup.procs", text);
	assert_int_equal(cgroup_kill_copy(f->root, CGROUP_PAYLOAD, "c1"), 2);
	assert_true(killed_by_sigkill(ours));
	assert_true(killed_by_sigkill(older));
	assert_true(was_alive(monitor));
	assert_true(was_alive(other));
}

static void test_cgroup_remove_copy_every_place(void **state)
{
	struct fixture *f = *state;
	make_hybrid(f);
	static const char *const hier[] = { "unified", "pids", "memory" };
	char rel[128];
	for (size_t i = 0; i < 3; i++) {
		snprintf(rel, sizeof(rel), "%s/throwaway/lxc.monitor.c1", hier[i]);
		mk(f, rel);
		snprintf(rel, sizeof(rel), "%s/throwaway/copies/u1000/lxc.payload.c1/.lxc",
			 hier[i]);
		mk(f, rel);
		snprintf(rel, sizeof(rel), "%s/throwaway/copies/u1000/lxc.payload.c2", hier[i]);
		mk(f, rel);
	}
	mk(f, "pids/lxc.payload.c1");
	assert_int_equal(cgroup_remove_copy(f->root, "c1"), 7);
	assert_false(exists(f, "memory/throwaway/copies/u1000/lxc.payload.c1"));
	assert_false(exists(f, "unified/throwaway/lxc.monitor.c1"));
	assert_false(exists(f, "pids/lxc.payload.c1"));
	/* the parent stays, and the user's other copy */
	assert_true(exists(f, "memory/throwaway/copies/u1000/lxc.payload.c2"));
	assert_int_equal(cgroup_remove_copy(f->root, "c2"), 3);
	assert_true(exists(f, "memory/throwaway/copies/u1000"));
}

static void test_cgroup_remove_leftovers_below_parents(void **state)
{
	struct fixture *f = *state;
	struct dead d = { .alive = "live" };
	make_hybrid(f);
	mk(f, "pids/throwaway/copies/u1000/lxc.payload.gone/.lxc");
	mk(f, "pids/throwaway/lxc.monitor.gone");
	mk(f, "memory/throwaway/copies/pool/lxc.payload.gone");
	mk(f, "pids/throwaway/copies/u1000/lxc.payload.live");
	mk(f, "pids/throwaway/keeper");
	mk(f, "memory/throwaway/copies/u1001");
	assert_int_equal(cgroup_remove_leftovers(f->root, is_dead, &d), 3);
	assert_false(exists(f, "pids/throwaway/copies/u1000/lxc.payload.gone"));
	assert_false(exists(f, "pids/throwaway/lxc.monitor.gone"));
	assert_false(exists(f, "memory/throwaway/copies/pool/lxc.payload.gone"));
	assert_true(exists(f, "pids/throwaway/copies/u1000/lxc.payload.live"));
	/* parents, even empty ones, and the keepers' cgroup are not leftovers of copies */
	assert_true(exists(f, "pids/throwaway/keeper"));
	assert_true(exists(f, "memory/throwaway/copies/u1001"));
	assert_true(exists(f, "memory/throwaway/copies/pool"));
}

static void test_cgroup_copy_usage_below_parent(void **state)
{
	struct fixture *f = *state;
	struct cgroup_usage u;
	make_hybrid(f);
	put(f, "memory/throwaway/copies/u1000/lxc.payload.c1/memory.usage_in_bytes", "8192\n");
	put(f, "cpuacct/throwaway/copies/u1000/lxc.payload.c1/cpuacct.usage", "3000000\n");
	cgroup_copy_usage(f->root, "c1", &u);
	assert_int_equal(u.memory, 8192);
	assert_int_equal(u.cpu_usec, 3000);
}

static void test_cgroup_enter_own_moves_older_keepers(void **state)
{
	struct fixture *f = *state;
	put(f, "cgroup.controllers", "cpu memory pids\n");
	put(f, CGROUP_TOP "/cgroup.procs", "123\n456\n");
	put(f, CGROUP_OWN "/cgroup.procs", "");
	assert_int_equal(cgroup_enter_own(f->root), 0);
	/* each pid written on its own (a real cgroup.procs takes one per write), then ours */
	assert_content(f, CGROUP_OWN "/cgroup.procs", "1234560");
}

/* The files of a memory cgroup a test writes to: what a real one has. */
static void memory_files(const struct fixture *f, const char *dir, bool unified)
{
	char rel[256];
	static const char *const v2[] = { "memory.max", "cgroup.subtree_control" };
	static const char *const v1[] = { "memory.limit_in_bytes", "memory.memsw.limit_in_bytes" };
	for (size_t i = 0; i < 2; i++) {
		snprintf(rel, sizeof(rel), "%s/%s", dir, unified ? v2[i] : v1[i]);
		put(f, rel, "");
	}
}

static void test_cgroup_prepare_parent_unified(void **state)
{
	struct fixture *f = *state;
	put(f, "cgroup.controllers", "cpu memory pids\n");
	put(f, "cgroup.subtree_control", "");
	memory_files(f, "throwaway", true);
	memory_files(f, "throwaway/copies", true);
	memory_files(f, "throwaway/copies/u1000", true);
	struct cgroup_caps caps = { .total = 8ULL << 30, .parent = 2ULL << 30 };
	assert_int_equal(cgroup_prepare_parent(f->root, "u1000", &caps), 0);
	assert_content(f, "cgroup.subtree_control", "+memory");
	assert_content(f, "throwaway/cgroup.subtree_control", "+memory");
	assert_content(f, "throwaway/copies/cgroup.subtree_control", "+memory");
	assert_content(f, "throwaway/copies/memory.max", "8589934592");
	assert_content(f, "throwaway/copies/u1000/memory.max", "2147483648");
	/* nothing capped above the copies: the keepers' cgroup is beside them */
	assert_content(f, "throwaway/memory.max", "");
}

static void test_cgroup_prepare_parent_v1(void **state)
{
	struct fixture *f = *state;
	make_hybrid(f);
	memory_files(f, "memory/throwaway/copies", false);
	memory_files(f, "memory/throwaway/copies/u1000", false);
	struct cgroup_caps caps = { .total = 4096000, .parent = 1024000 };
	assert_int_equal(cgroup_prepare_parent(f->root, "u1000", &caps), 0);
	assert_content(f, "memory/throwaway/copies/memory.limit_in_bytes", "4096000");
	assert_content(f, "memory/throwaway/copies/memory.memsw.limit_in_bytes", "4096000");
	assert_content(f, "memory/throwaway/copies/u1000/memory.limit_in_bytes", "1024000");
	assert_content(f, "memory/throwaway/copies/u1000/memory.memsw.limit_in_bytes", "1024000");
	/* only the memory hierarchy: liblxc makes the rest */
	assert_false(exists(f, "pids/throwaway"));
	assert_false(exists(f, "unified/throwaway"));
}

static void test_cgroup_prepare_parent_v1_raise(void **state)
{
	struct fixture *f = *state;
	make_hybrid(f);
	memory_files(f, "memory/throwaway/copies", false);
	/* a limit above memsw is refused (EINVAL): memsw goes first then; here a
	 * directory stands for the file that refuses a write */
	mk(f, "memory/throwaway/copies/u1000/memory.limit_in_bytes");
	put(f, "memory/throwaway/copies/u1000/memory.memsw.limit_in_bytes", "");
	struct cgroup_caps caps = { .total = 0, .parent = 1024000 };
	assert_true(cgroup_prepare_parent(f->root, "u1000", &caps) < 0);
	assert_content(f, "memory/throwaway/copies/memory.limit_in_bytes", "-1");
}

static void test_cgroup_prepare_parent_no_cap(void **state)
{
	struct fixture *f = *state;
	put(f, "cgroup.controllers", "cpu memory pids\n");
	put(f, "cgroup.subtree_control", "");
	memory_files(f, "throwaway", true);
	memory_files(f, "throwaway/copies", true);
	memory_files(f, "throwaway/copies/pool", true);
	struct cgroup_caps caps = { .total = UINT64_MAX, .parent = 0 };
	assert_int_equal(cgroup_prepare_parent(f->root, "pool", &caps), 0);
	assert_content(f, "throwaway/copies/memory.max", "max");
	assert_content(f, "throwaway/copies/pool/memory.max", "max");
}

static void test_cgroup_prepare_parent_bad_name(void **state)
{
	struct fixture *f = *state;
	struct cgroup_caps caps = { 0 };
	put(f, "cgroup.controllers", "cpu memory pids\n");
	assert_int_equal(cgroup_prepare_parent(f->root, "../x", &caps), -EINVAL);
	assert_int_equal(cgroup_prepare_parent(f->root, "lxc.payload.c1", &caps), -EINVAL);
	assert_false(exists(f, "throwaway"));
}

static void test_cgroup_parent_idle_charges(void **state)
{
	struct fixture *f = *state;
	make_hybrid(f);
	/* v1: the page counter, hierarchical, dead children's included */
	put(f, "memory/throwaway/copies/u1000/memory.usage_in_bytes", "734003200\n");
	assert_int_equal(cgroup_parent_state(f->root, "u1000"), CGROUP_PARENT_CHARGED);
	/* a residue of the per-CPU caches and kernel objects is nothing */
	put(f, "memory/throwaway/copies/u1000/memory.usage_in_bytes", "4194304\n");
	assert_int_equal(cgroup_parent_state(f->root, "u1000"), CGROUP_PARENT_IDLE);
	put(f, "memory/throwaway/copies/u1000/memory.usage_in_bytes", "4198400\n");
	assert_int_equal(cgroup_parent_state(f->root, "u1000"), CGROUP_PARENT_CHARGED);
	/* with swap accounting, memory and swap together */
	put(f, "memory/throwaway/copies/u1000/memory.usage_in_bytes", "0\n");
	put(f, "memory/throwaway/copies/u1000/memory.memsw.usage_in_bytes", "734003200\n");
	assert_int_equal(cgroup_parent_state(f->root, "u1000"), CGROUP_PARENT_CHARGED);
	put(f, "memory/throwaway/copies/u1000/memory.memsw.usage_in_bytes", "4096\n");
	assert_int_equal(cgroup_parent_state(f->root, "u1000"), CGROUP_PARENT_IDLE);
	put(f, "memory/throwaway/copies/u1000/memory.memsw.usage_in_bytes", "x\n");
	assert_int_equal(cgroup_parent_state(f->root, "u1000"), CGROUP_PARENT_CHARGED);
	/* a parent the memory hierarchy does not have holds nothing */
	assert_int_equal(cgroup_parent_state(f->root, "u1001"), CGROUP_PARENT_IDLE);
	assert_int_equal(cgroup_parent_state(f->root, "../u1000"), CGROUP_PARENT_IN_USE);
}

/*
 * memory.stat lags: read as a copy that had filled 700 MB of its /tmp
 * ended, a parent's said no shmem while its page counter had all of it.
 * The counter decides.
 */
static void test_cgroup_parent_idle_stats_lag(void **state)
{
	struct fixture *f = *state;
	make_hybrid(f);
	put(f, "memory/throwaway/copies/u1000/memory.stat",
	    "shmem 0\ntotal_cache 0\ntotal_shmem 0\ntotal_swap 0\n");
	put(f, "memory/throwaway/copies/u1000/memory.usage_in_bytes", "736100352\n");
	assert_int_equal(cgroup_parent_state(f->root, "u1000"), CGROUP_PARENT_CHARGED);
	assert_false(cgroup_remove_parent(f->root, "u1000"));
	assert_true(exists(f, "memory/throwaway/copies/u1000"));
	put(f, "throwaway/copies/u1000/memory.stat", "anon 0\nfile 0\nshmem 0\n");
	put(f, "throwaway/copies/u1000/memory.current", "736100352\n");
	put(f, "cgroup.controllers", "cpu memory pids\n");
	assert_int_equal(cgroup_parent_state(f->root, "u1000"), CGROUP_PARENT_CHARGED);
}

static void test_cgroup_parent_idle_unified(void **state)
{
	struct fixture *f = *state;
	put(f, "cgroup.controllers", "cpu memory pids\n");
	put(f, "throwaway/copies/u1000/memory.current", "734003200\n");
	assert_int_equal(cgroup_parent_state(f->root, "u1000"), CGROUP_PARENT_CHARGED);
	put(f, "throwaway/copies/u1000/memory.current", "4096\n");
	put(f, "throwaway/copies/u1000/memory.swap.current", "734003200\n");
	assert_int_equal(cgroup_parent_state(f->root, "u1000"), CGROUP_PARENT_CHARGED);
	put(f, "throwaway/copies/u1000/memory.swap.current", "0\n");
	assert_int_equal(cgroup_parent_state(f->root, "u1000"), CGROUP_PARENT_IDLE);
	put(f, "throwaway/copies/u1000/memory.current", "garbage\n");
	assert_int_equal(cgroup_parent_state(f->root, "u1000"), CGROUP_PARENT_CHARGED);
	put(f, "throwaway/copies/u1000/memory.current", "");
	assert_int_equal(cgroup_parent_state(f->root, "u1000"), CGROUP_PARENT_CHARGED);
}

/* v1: memory.force_empty, only with more than the residue and no copy below. */
static void test_cgroup_reclaim_parent_v1(void **state)
{
	struct fixture *f = *state;
	make_hybrid(f);
	put(f, "memory/throwaway/copies/u1000/memory.force_empty", "");
	put(f, "memory/throwaway/copies/u1000/memory.usage_in_bytes", "4096\n");
	assert_int_equal(cgroup_reclaim_parent(f->root, "u1000"), 0);
	assert_content(f, "memory/throwaway/copies/u1000/memory.force_empty", "");
	put(f, "memory/throwaway/copies/u1000/memory.usage_in_bytes", "734003200\n");
	mk(f, "memory/throwaway/copies/u1000/lxc.payload.c1");
	assert_int_equal(cgroup_reclaim_parent(f->root, "u1000"), 0);
	assert_content(f, "memory/throwaway/copies/u1000/memory.force_empty", "");
	assert_int_equal(
		unlinkat(f->rfd, "memory/throwaway/copies/u1000/lxc.payload.c1", AT_REMOVEDIR), 0);
	assert_int_equal(cgroup_reclaim_parent(f->root, "u1000"), 0);
	assert_content(f, "memory/throwaway/copies/u1000/memory.force_empty", "0");
	/* none, or not ours: nothing */
	assert_int_equal(cgroup_reclaim_parent(f->root, "u1001"), 0);
	assert_int_equal(cgroup_reclaim_parent(f->root, "../u1000"), -EINVAL);
}

/* v2: memory.reclaim, asked for all that is charged; every parent by cgroup_reclaim_parents. */
static void test_cgroup_reclaim_parent_unified(void **state)
{
	struct fixture *f = *state;
	put(f, "cgroup.controllers", "cpu memory pids\n");
	put(f, "throwaway/copies/u1000/memory.current", "734003200\n");
	put(f, "throwaway/copies/u1000/memory.reclaim", "");
	put(f, "throwaway/copies/pool/memory.current", "8192\n");
	put(f, "throwaway/copies/pool/memory.reclaim", "");
	cgroup_reclaim_parents(f->root);
	assert_content(f, "throwaway/copies/u1000/memory.reclaim", "734003200");
	assert_content(f, "throwaway/copies/pool/memory.reclaim", "");
}

static void test_cgroup_parent_idle_children(void **state)
{
	struct fixture *f = *state;
	put(f, "cgroup.controllers", "cpu memory pids\n");
	put(f, "throwaway/copies/u1000/memory.current", "0\n");
	mk(f, "throwaway/copies/u1000/lxc.payload.c1");
	assert_int_equal(cgroup_parent_state(f->root, "u1000"), CGROUP_PARENT_IN_USE);
}

static void test_cgroup_remove_parent_every_hierarchy(void **state)
{
	struct fixture *f = *state;
	make_hybrid(f);
	mk(f, "memory/throwaway/copies/u1000");
	mk(f, "pids/throwaway/copies/u1000");
	mk(f, "unified/throwaway/copies/u1000");
	mk(f, "pids/throwaway/copies/u1001/lxc.payload.c1");
	assert_true(cgroup_remove_parent(f->root, "u1000"));
	assert_false(exists(f, "memory/throwaway/copies/u1000"));
	assert_false(exists(f, "pids/throwaway/copies/u1000"));
	assert_false(exists(f, "unified/throwaway/copies/u1000"));
	assert_true(exists(f, "memory/throwaway/copies"));
	/* busy in one hierarchy: not gone */
	assert_false(cgroup_remove_parent(f->root, "u1001"));
	assert_true(exists(f, "pids/throwaway/copies/u1001/lxc.payload.c1"));
	assert_false(cgroup_remove_parent(f->root, "u1000"));
}

static void test_cgroup_copy_parent_found(void **state)
{
	struct fixture *f = *state;
	char buf[CGROUP_PARENT_MAX];
	make_hybrid(f);
	mk(f, "pids/throwaway/copies/u1000/lxc.payload.c1");
	mk(f, "memory/throwaway/copies/pool/lxc.payload.c2");
	mk(f, "pids/lxc.payload.c3");
	mk(f, "pids/throwaway/lxc.monitor.c4");
	assert_int_equal(cgroup_copy_parent(f->root, "c1", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "u1000");
	assert_int_equal(cgroup_copy_parent(f->root, "c2", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "pool");
	/* an older layout's copy, a monitor only, none: no parent */
	assert_int_equal(cgroup_copy_parent(f->root, "c3", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(cgroup_copy_parent(f->root, "c4", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(cgroup_copy_parent(f->root, "c5", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(cgroup_copy_parent(f->root, "../c1", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(cgroup_copy_parent(f->root, "c1", buf, 3), -ENAMETOOLONG);
}

static void test_cgroup_remove_idle_parents_only(void **state)
{
	struct fixture *f = *state;
	make_hybrid(f);
	mk(f, "pids/throwaway/copies/u1000");
	mk(f, "memory/throwaway/copies/u1000");
	mk(f, "pids/throwaway/copies/pool");
	mk(f, "pids/throwaway/copies/u1001/lxc.payload.c1");
	mk(f, "memory/throwaway/copies/u1001/lxc.payload.c1");
	put(f, "memory/throwaway/copies/u1002/memory.usage_in_bytes", "734003200\n");
	mk(f, "pids/throwaway/copies/u1002");
	mk(f, "pids/throwaway/copies/not-ours");
	mk(f, "pids/throwaway/keeper");
	assert_int_equal(cgroup_remove_idle_parents(f->root), 2);
	assert_false(exists(f, "pids/throwaway/copies/u1000"));
	assert_false(exists(f, "memory/throwaway/copies/u1000"));
	assert_false(exists(f, "pids/throwaway/copies/pool"));
	assert_true(exists(f, "pids/throwaway/copies/u1001"));
	/* what a dead copy left charged keeps its user's parent */
	assert_true(exists(f, "pids/throwaway/copies/u1002"));
	assert_true(exists(f, "pids/throwaway/copies/not-ours"));
	assert_true(exists(f, "pids/throwaway/keeper"));
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_cgroup_layout_unified),
		T(test_cgroup_layout_hybrid),
		T(test_cgroup_layout_legacy),
		T(test_cgroup_layout_missing_root),
		T(test_cgroup_copy_dirname_kinds),
		T(test_cgroup_copy_dirname_bad_name),
		T(test_cgroup_copy_dirname_too_long),
		T(test_cgroup_parent_name_kinds),
		T(test_cgroup_parent_valid_names),
		T(test_cgroup_copy_relpath_kinds),
		T(test_cgroup_copy_relpath_bad),
		T(test_cgroup_open_copy_below_parent),
		T(test_cgroup_open_copy_bad_hierarchy),
		T(test_cgroup_open_copy_found),
		T(test_cgroup_open_copy_symlink),
		T(test_cgroup_copy_name_copies),
		T(test_cgroup_copy_name_other_names),
		T(test_cgroup_parse_procs_lines),
		T(test_cgroup_parse_procs_empty),
		T(test_cgroup_parse_procs_bad),
		T(test_cgroup_parse_procs_too_many),
		T(test_cgroup_parse_number_ok),
		T(test_cgroup_parse_number_bad),
		T(test_cgroup_parse_keyed_ok),
		T(test_cgroup_parse_keyed_missing),
		T(test_cgroup_parse_keyed_bad),
		T(test_cgroup_controllers_has_words),
		T(test_cgroup_foreach_hierarchy_unified),
		T(test_cgroup_foreach_hierarchy_v1),
		T(test_cgroup_foreach_hierarchy_stops),
		T(test_cgroup_foreach_hierarchy_missing_root),
		T(test_cgroup_read_tree_nested),
		T(test_cgroup_read_tree_depth_limit),
		T(test_cgroup_read_tree_no_procs),
		T(test_cgroup_read_tree_symlink_not_followed),
		T(test_cgroup_copy_pids_unified),
		T(test_cgroup_copy_pids_v1_pids_first),
		T(test_cgroup_copy_pids_v1_fallback),
		T(test_cgroup_copy_pids_none),
		T(test_cgroup_copy_pids_below_parent),
		T(test_cgroup_kill_tree_cgroup_kill),
		T(test_cgroup_kill_tree_cgroup_kill_empty),
		T(test_cgroup_kill_tree_pidfd),
		T(test_cgroup_kill_tree_spares),
		T(test_cgroup_kill_tree_many),
		T(test_cgroup_kill_copy_only_its_own),
		T(test_cgroup_kill_copy_unified),
		T(test_cgroup_kill_copy_every_place),
		T(test_cgroup_remove_tree_deepest_first),
		T(test_cgroup_remove_tree_busy_stays),
		T(test_cgroup_remove_tree_depth_limit),
		T(test_cgroup_remove_tree_missing),
		T(test_cgroup_remove_copy_v1),
		T(test_cgroup_remove_copy_unified),
		T(test_cgroup_remove_copy_every_place),
		T(test_cgroup_remove_leftovers_copies_only),
		T(test_cgroup_remove_leftovers_below_parents),
		T(test_cgroup_copy_usage_unified),
		T(test_cgroup_copy_usage_v1),
		T(test_cgroup_copy_usage_unknown),
		T(test_cgroup_copy_usage_below_parent),
		T(test_cgroup_missing_controllers_unified),
		T(test_cgroup_missing_controllers_v1),
		T(test_cgroup_v1_swap_accounting_file),
		T(test_cgroup_enter_own_unified),
		T(test_cgroup_enter_own_makes_cgroup),
		T(test_cgroup_enter_own_v1),
		T(test_cgroup_enter_own_moves_older_keepers),
		T(test_cgroup_prepare_parent_unified),
		T(test_cgroup_prepare_parent_v1),
		T(test_cgroup_prepare_parent_v1_raise),
		T(test_cgroup_prepare_parent_no_cap),
		T(test_cgroup_prepare_parent_bad_name),
		T(test_cgroup_parent_idle_charges),
		T(test_cgroup_parent_idle_stats_lag),
		T(test_cgroup_parent_idle_unified),
		T(test_cgroup_reclaim_parent_v1),
		T(test_cgroup_reclaim_parent_unified),
		T(test_cgroup_parent_idle_children),
		T(test_cgroup_remove_parent_every_hierarchy),
		T(test_cgroup_copy_parent_found),
		T(test_cgroup_remove_idle_parents_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
