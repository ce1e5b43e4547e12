/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for common/host/kept.c (cmocka). Run as root: kept data lives
 * in the real KEPT_DIR, so each test uses a user name of its own
 * (tw-unit-kept-<pid>) and a scratch copy directory beside KEPT_DIR (the
 * upper layer is renamed into KEPT_DIR: same file system), and the
 * teardown removes both and puts KEPT_PARENT's mode back.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "kept.h"
#include "names.h"

/* Helpers ------------------------------------------------------------- */

struct fixture {
	char copy[sizeof(KEPT_PARENT) + 32]; /* the scratch copy directory */
	char user[64];
	char session[NAMES_SESSION_LEN + 1];
	mode_t parent_mode;
	bool made_parent, made_kept;
	int cfd; /* the copy directory */
};

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (type == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? -1 : 0;
}

static void rm_tree(const char *path)
{
	struct stat st;
	if (lstat(path, &st) == 0)
		nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct stat st;

	if (!f)
		return -1;
	f->made_parent = mkdir(KEPT_PARENT, 0711) == 0;
	f->made_kept = mkdir(KEPT_DIR, 0700) == 0;
	if (stat(KEPT_PARENT, &st) < 0)
		return -1;
	f->parent_mode = st.st_mode & 07777;
	snprintf(f->user, sizeof(f->user), "tw-unit-kept-%d", (int)getpid());
	snprintf(f->copy, sizeof(f->copy), "%s/tw-unit.XXXXXX", KEPT_PARENT);
	if (names_session_id(f->session) < 0 || !mkdtemp(f->copy))
		return -1;
	f->cfd = open(f->copy, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f->cfd < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX];

	close(f->cfd);
	rm_tree(f->copy);
	snprintf(path, sizeof(path), "%s/%s", KEPT_DIR, f->user);
	rm_tree(path);
	snprintf(path, sizeof(path), "%s/%s-link", KEPT_DIR, f->user);
	unlink(path);
	if (f->made_kept)
		rmdir(KEPT_DIR);
	chmod(KEPT_PARENT, f->parent_mode);
	if (f->made_parent)
		rmdir(KEPT_PARENT);
	free(f);
	return 0;
}

/* A file of N bytes of 'x' beneath dfd (written, not sparse). */
static void make_sized(int dfd, const char *rel, size_t n)
{
	static char chunk[4096];
	int fd = openat(dfd, rel, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	memset(chunk, 'x', sizeof(chunk));
	for (size_t done = 0; done < n;) {
		size_t k = n - done < sizeof(chunk) ? n - done : sizeof(chunk);
		assert_int_equal(write(fd, chunk, k), (ssize_t)k);
		done += k;
	}
	close(fd);
}

/* The copy's marker and an upper layer: files, a nested directory, a symlink out. */
static void make_copy(struct fixture *f)
{
	struct kept_entry e = { .started = 1700000000 };

	snprintf(e.user, sizeof(e.user), "%s", f->user);
	memcpy(e.session, f->session, sizeof(e.session));
	snprintf(e.container, sizeof(e.container), "base-%s", "unit");
	snprintf(e.origin, sizeof(e.origin), "base");
	assert_int_equal(kept_mark(f->cfd, &e), 0);
	assert_int_equal(mkdirat(f->cfd, "overlay", 0755), 0);
	assert_int_equal(mkdirat(f->cfd, "overlay/delta", 0755), 0);
	make_sized(f->cfd, "overlay/delta/a", 10000);
	assert_int_equal(mkdirat(f->cfd, "overlay/delta/d1", 0755), 0);
	assert_int_equal(mkdirat(f->cfd, "overlay/delta/d1/d2", 0755), 0);
	make_sized(f->cfd, "overlay/delta/d1/d2/b", 70000);
	/* Not followed: its target is large, the link itself is not. */
	assert_int_equal(symlinkat("/usr/lib", f->cfd, "overlay/delta/lib"), 0);
}

/* What nftw (physical, one file system) counts for a tree: the oracle. */
static uint64_t oracle_sum;

static int add_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)path;
	(void)type;
	(void)ftw;
	oracle_sum += (uint64_t)st->st_blocks * 512;
	return 0;
}

static uint64_t oracle_bytes(const char *path)
{
	oracle_sum = 0;
	assert_int_equal(nftw(path, add_one, 16, FTW_PHYS | FTW_MOUNT), 0);
	return oracle_sum;
}

struct seen {
	unsigned n;
	struct kept_entry e;
	bool nested;    /* list again from inside the callback */
	uint64_t inner; /* what the nested listing said */
};

static int collect(const struct kept_entry *e, void *data)
{
	struct seen *s = data;
	s->n++;
	s->e = *e;
	if (s->nested) {
		struct seen in = { 0 };
		assert_int_equal(kept_list(e->user, collect, &in), 0);
		assert_int_equal(in.n, 1);
		s->inner = in.e.bytes;
	}
	return 0;
}

/* KEPT_DIR/<user>/<session>, empty, made by hand. */
static void make_kept_dir(const struct fixture *f, const char *user)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", KEPT_DIR, user);
	assert_true(mkdir(path, 0700) == 0 || errno == EEXIST);
	snprintf(path, sizeof(path), "%s/%s/%s", KEPT_DIR, user, f->session);
	assert_int_equal(mkdir(path, 0700), 0);
}

/* kept_save ------------------------------------------------------------ */

/* KEPT_PARENT keeps the mode make install gives it (it once became 0755). */
static void test_kept_save_keeps_parent_mode(void **state)
{
	struct fixture *f = *state;
	struct kept_entry e;
	struct stat st;
	char path[PATH_MAX];

	make_copy(f);
	assert_int_equal(chmod(KEPT_PARENT, KEPT_PARENT_MODE), 0);
	assert_int_equal(kept_save(f->copy, &e), 1);
	assert_int_equal(stat(KEPT_PARENT, &st), 0);
	assert_int_equal(st.st_mode & 07777, KEPT_PARENT_MODE);
	snprintf(path, sizeof(path), "%s/%s/%s/upper/d1/d2/b", KEPT_DIR, f->user, f->session);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 70000);
}

/* kept_list ------------------------------------------------------------ */

static void test_kept_list_bytes(void **state)
{
	struct fixture *f = *state;
	struct kept_entry e;
	struct seen s = { 0 };
	char upper[PATH_MAX];

	make_copy(f);
	assert_int_equal(kept_save(f->copy, &e), 1);
	assert_int_equal(kept_list(f->user, collect, &s), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.e.session, f->session);
	assert_string_equal(s.e.container, "base-unit");
	snprintf(upper, sizeof(upper), "%s/%s/%s/upper", KEPT_DIR, f->user, f->session);
	assert_true(s.e.bytes >= 80000);
	assert_true(s.e.bytes == oracle_bytes(upper));
	assert_true(s.e.bytes < 100 * 1024 * 1024); /* /usr/lib was not walked */
}

/* Nothing global: a listing inside a listing's callback counts the same. */
static void test_kept_list_reentrant(void **state)
{
	struct fixture *f = *state;
	struct kept_entry e;
	struct seen s = { .nested = true };

	make_copy(f);
	assert_int_equal(kept_save(f->copy, &e), 1);
	assert_int_equal(kept_list(f->user, collect, &s), 0);
	assert_int_equal(s.n, 1);
	assert_true(s.e.bytes > 0);
	assert_true(s.inner == s.e.bytes);
}

/* A tree deeper than KEPT_SIZE_DEPTH_MAX is listed; what is below the cap is not counted. */
static void test_kept_list_deep_tree(void **state)
{
	struct fixture *f = *state;
	struct kept_entry e;
	struct seen s = { 0 };
	int dfd;

	make_copy(f);
	dfd = openat(f->cfd, "overlay/delta", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	for (int i = 0; i < KEPT_SIZE_DEPTH_MAX + 20; i++) {
		assert_int_equal(mkdirat(dfd, "d", 0755), 0);
		int next = openat(dfd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		assert_true(next >= 0);
		close(dfd);
		dfd = next;
	}
	make_sized(dfd, "deep", 16 << 20);
	close(dfd);
	assert_int_equal(kept_save(f->copy, &e), 1);
	assert_int_equal(kept_list(f->user, collect, &s), 0);
	assert_int_equal(s.n, 1);
	assert_true(s.e.bytes >= 80000);
	assert_true(s.e.bytes < (8 << 20)); /* the deep file is past the cap, its directories not */
}

static void test_kept_list_bad_user(void **state)
{
	struct seen s = { 0 };

	(void)state;
	assert_int_equal(kept_list("../etc", collect, &s), -EINVAL);
	assert_int_equal(kept_list("Root", collect, &s), -EINVAL);
	assert_int_equal(s.n, 0);
}

/* kept_remove ---------------------------------------------------------- */

static void test_kept_remove_tree(void **state)
{
	struct fixture *f = *state;
	struct kept_entry e;
	struct stat st;
	char path[PATH_MAX];

	make_copy(f);
	assert_int_equal(kept_save(f->copy, &e), 1);
	assert_int_equal(kept_remove(f->user, f->session), 0);
	snprintf(path, sizeof(path), "%s/%s", KEPT_DIR, f->user);
	assert_int_equal(lstat(path, &st), -1); /* the user's last one: their directory went too */
	assert_int_equal(errno, ENOENT);
	assert_int_equal(stat("/usr/lib", &st), 0); /* the symlink's target stays */
	assert_int_equal(kept_remove(f->user, f->session), -ENOENT);
}

/* Another session of the user stays, and so does the user's directory. */
static void test_kept_remove_one_of_two(void **state)
{
	struct fixture *f = *state;
	char other[NAMES_SESSION_LEN + 1], path[PATH_MAX];
	struct stat st;

	make_kept_dir(f, f->user);
	assert_int_equal(names_session_id(other), 0);
	snprintf(path, sizeof(path), "%s/%s/%s", KEPT_DIR, f->user, other);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(kept_remove(f->user, f->session), 0);
	assert_int_equal(stat(path, &st), 0);
}

static void test_kept_remove_not_a_dir(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", KEPT_DIR, f->user);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/%s/%s", KEPT_DIR, f->user, f->session);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(kept_remove(f->user, f->session), -ENOTDIR);
	assert_int_equal(stat(path, &st), 0);
}

/* A user directory that is a symlink is not followed: what it points to stays. */
static void test_kept_remove_symlinked_user(void **state)
{
	struct fixture *f = *state;
	char link[PATH_MAX], target[PATH_MAX], user[80];
	struct stat st;

	snprintf(user, sizeof(user), "%s-link", f->user);
	snprintf(target, sizeof(target), "%s/%s", f->copy, f->session);
	assert_int_equal(mkdir(target, 0700), 0);
	snprintf(link, sizeof(link), "%s/%s", KEPT_DIR, user);
	assert_int_equal(symlink(f->copy, link), 0);
	int r = kept_remove(user, f->session);
	assert_true(r == -ELOOP || r == -ENOTDIR);
	assert_int_equal(stat(target, &st), 0);
}

static void test_kept_remove_bad_names(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(kept_remove("../x", f->session), -EINVAL);
	assert_int_equal(kept_remove(f->user, "../../etc"), -EINVAL);
	assert_int_equal(kept_remove(f->user, "0123456789abcdeF"), -EINVAL);
}

/* kept_over_total: the cap arithmetic and the oldest-first choice ------- */

static void entry(struct kept_entry *e, const char *session, time_t started, time_t ended,
		  uint64_t bytes)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->session, sizeof(e->session), "%s", session);
	e->started = started;
	e->ended = ended;
	e->bytes = bytes;
}

static void test_kept_over_total_none(void **state)
{
	struct kept_entry e[2];

	(void)state;
	assert_int_equal(kept_over_total(e, 0, 0), 0);
	entry(&e[0], "a", 1, 10, 5 << 20);
	entry(&e[1], "b", 2, 20, 5 << 20);
	/* exactly at the total: nothing goes */
	assert_int_equal(kept_over_total(e, 2, 10 << 20), 0);
}

static void test_kept_over_total_oldest_first(void **state)
{
	struct kept_entry e[4];

	(void)state;
	/* not in order: the oldest by the time each was kept goes first */
	entry(&e[0], "c", 30, 300, 4 << 20);
	entry(&e[1], "a", 10, 100, 4 << 20);
	entry(&e[2], "d", 40, 400, 4 << 20);
	entry(&e[3], "b", 20, 200, 4 << 20);
	assert_int_equal(kept_over_total(e, 4, 12 << 20), 1);
	assert_string_equal(e[0].session, "a");
	assert_string_equal(e[1].session, "b");
	assert_string_equal(e[3].session, "d");
	/* one byte over needs a whole session to go */
	assert_int_equal(kept_over_total(e, 4, (12 << 20) - 1), 2);
	assert_int_equal(kept_over_total(e, 4, 1), 4);
}

static void test_kept_over_total_big_one(void **state)
{
	struct kept_entry e[3];

	(void)state;
	/* a small old one is spared only once the big older one is gone */
	entry(&e[0], "old-big", 1, 10, 30 << 20);
	entry(&e[1], "old-small", 2, 20, 1 << 20);
	entry(&e[2], "new", 3, 30, 8 << 20);
	assert_int_equal(kept_over_total(e, 3, 10 << 20), 1);
	assert_string_equal(e[0].session, "old-big");
	/* the newest alone over the total: everything goes */
	assert_int_equal(kept_over_total(e, 3, 4 << 20), 3);
}

static void test_kept_over_total_ties(void **state)
{
	struct kept_entry e[3];

	(void)state;
	/* kept in the same second: the one started first is older */
	entry(&e[0], "x", 7, 100, 1 << 20);
	entry(&e[1], "y", 5, 100, 1 << 20);
	entry(&e[2], "z", 9, (time_t)INT64_MAX, 1 << 20);
	assert_int_equal(kept_over_total(e, 3, 2 << 20), 1);
	assert_string_equal(e[0].session, "y");
	assert_string_equal(e[2].session, "z");
}

static void test_kept_over_total_saturates(void **state)
{
	struct kept_entry e[3];

	(void)state;
	/* sizes whose sum does not fit 64 bits still count as over */
	entry(&e[0], "a", 1, 1, UINT64_MAX);
	entry(&e[1], "b", 2, 2, UINT64_MAX);
	entry(&e[2], "c", 3, 3, 1);
	assert_int_equal(kept_over_total(e, 3, UINT64_MAX - 1), 2);
	assert_int_equal(kept_over_total(e, 3, 1), 2);
	assert_int_equal(kept_over_total(e, 3, 0), 3);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_kept_save_keeps_parent_mode),
		T(test_kept_list_bytes),
		T(test_kept_list_reentrant),
		T(test_kept_list_deep_tree),
		T(test_kept_list_bad_user),
		T(test_kept_remove_tree),
		T(test_kept_remove_one_of_two),
		T(test_kept_remove_not_a_dir),
		T(test_kept_remove_symlinked_user),
		T(test_kept_remove_bad_names),
		cmocka_unit_test(test_kept_over_total_none),
		cmocka_unit_test(test_kept_over_total_oldest_first),
		cmocka_unit_test(test_kept_over_total_big_one),
		cmocka_unit_test(test_kept_over_total_ties),
		cmocka_unit_test(test_kept_over_total_saturates),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
