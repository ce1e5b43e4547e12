/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for common/host/safefs.c (cmocka). Run as root: files are chowned
 * and safefs_read_as_user drops to uid/gid 65534 (nobody). Each test gets a
 * fresh /run/tw-unit.XXXXXX (mode 0711 so that nobody can traverse it),
 * removed again by the teardown.
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
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "safefs.h"

#define NOBODY 65534
#define DEADLINE_S 5 /* an operation that must not block gets this long */

/* Helpers ------------------------------------------------------------- */

struct fixture {
	char dir[64];
	int dfd;
	char home[96]; /* dir/home, owned by nobody, 0700 */
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
	f->dfd = -1;
	strcpy(f->dir, "/run/tw-unit.XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->home, sizeof(f->home), "%s/home", f->dir);
	if (chmod(f->dir, 0711) < 0 || mkdir(f->home, 0700) < 0 ||
	    chown(f->home, NOBODY, NOBODY) < 0 ||
	    (f->dfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	close(f->dfd);
	int r = nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return r;
}

/* Create f->dir/REL with DATA, MODE and owner. */
static void make_file(const struct fixture *f, const char *rel, const char *data, mode_t mode,
		      uid_t uid, gid_t gid)
{
	int fd = openat(f->dfd, rel, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	if (data)
		assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	assert_int_equal(fchown(fd, uid, gid), 0);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* A file of N bytes of 'x' (written, not sparse). */
static void make_sized(const struct fixture *f, const char *rel, size_t n, uid_t uid)
{
	static char chunk[4096];
	int fd = openat(f->dfd, rel, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	memset(chunk, 'x', sizeof(chunk));
	for (size_t done = 0; done < n;) {
		size_t k = n - done < sizeof(chunk) ? n - done : sizeof(chunk);
		assert_int_equal(write(fd, chunk, k), (ssize_t)k);
		done += k;
	}
	assert_int_equal(fchown(fd, uid, uid), 0);
	close(fd);
}

static void make_dir(const struct fixture *f, const char *rel, mode_t mode, uid_t uid)
{
	assert_int_equal(mkdirat(f->dfd, rel, mode), 0);
	assert_int_equal(fchownat(f->dfd, rel, uid, uid, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(fchmodat(f->dfd, rel, mode, 0), 0);
}

static void make_link(const struct fixture *f, const char *target, const char *rel)
{
	assert_int_equal(symlinkat(target, f->dfd, rel), 0);
}

static bool exists(const struct fixture *f, const char *rel)
{
	struct stat st;
	return fstatat(f->dfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* The content of f->dir/REL, read plainly (as root). */
static void assert_content(const struct fixture *f, const char *rel, const char *want)
{
	char buf[256];
	int fd = openat(f->dfd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	assert_true(fd >= 0);
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	assert_string_equal(buf, want);
}

static void assert_stat(const struct fixture *f, const char *rel, mode_t type, mode_t mode,
			uid_t uid, gid_t gid)
{
	struct stat st;

	assert_int_equal(fstatat(f->dfd, rel, &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(st.st_mode & S_IFMT, type);
	assert_int_equal(st.st_mode & 07777, mode);
	assert_int_equal(st.st_uid, uid);
	assert_int_equal(st.st_gid, gid);
}

static bool is_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	assert_true(fl >= 0);
	return fl & FD_CLOEXEC;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

enum deadline_op { OP_READ_BENEATH, OP_READ_AS_USER };

/*
 * Run a read that must not block in a child with an alarm, so a regression
 * fails the test instead of hanging the suite. Returns the call's result
 * (-errno, or 0); fails the test when the child was killed (blocked).
 */
static int run_with_deadline(const struct fixture *f, enum deadline_op op, const char *rel)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		char *buf = NULL;
		size_t len = 0;
		int r;
		alarm(DEADLINE_S);
		if (op == OP_READ_BENEATH)
			r = safefs_read_beneath(f->dfd, rel, 4096, &buf, &len);
		else
			r = safefs_read_as_user(NOBODY, NOBODY, f->home, rel, 4096, &buf, &len);
		free(buf);
		_exit(r < 0 ? -r : 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status)); /* not killed by SIGALRM */
	return -WEXITSTATUS(status);
}

/* safefs_open_beneath -------------------------------------------------- */

static void test_safefs_open_beneath_regular(void **state)
{
	struct fixture *f = *state;
	char buf[8] = "";

	make_dir(f, "d", 0755, 0);
	make_file(f, "d/file", "hello", 0644, 0, 0);
	int fd = safefs_open_beneath(f->dfd, "d/file", O_RDONLY, 0);
	assert_true(fd >= 0);
	assert_true(is_cloexec(fd));
	assert_int_equal(read(fd, buf, sizeof(buf) - 1), 5);
	assert_string_equal(buf, "hello");
	close(fd);
	fd = safefs_open_beneath(f->dfd, "./d/./file", O_RDONLY, 0);
	assert_true(fd >= 0);
	close(fd);
}

static void test_safefs_open_beneath_create(void **state)
{
	struct fixture *f = *state;

	mode_t old = umask(0);
	int fd = safefs_open_beneath(f->dfd, "new", O_WRONLY | O_CREAT | O_EXCL, 0640);
	umask(old);
	assert_true(fd >= 0);
	close(fd);
	assert_stat(f, "new", S_IFREG, 0640, 0, 0);
	assert_int_equal(safefs_open_beneath(f->dfd, "new", O_WRONLY | O_CREAT | O_EXCL, 0640),
			 -EEXIST);
}

static void test_safefs_open_beneath_missing(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(safefs_open_beneath(f->dfd, "nothere", O_RDONLY, 0), -ENOENT);
}

static void test_safefs_open_beneath_final_symlink(void **state)
{
	struct fixture *f = *state;

	make_file(f, "target", "secret", 0644, 0, 0);
	make_link(f, "target", "link");         /* relative, inside the tree */
	make_link(f, "/etc/passwd", "abslink"); /* absolute */
	assert_int_equal(safefs_open_beneath(f->dfd, "link", O_RDONLY, 0), -ELOOP);
	assert_int_equal(safefs_open_beneath(f->dfd, "abslink", O_RDONLY, 0), -ELOOP);
	/* O_CREAT does not create the target through a dangling link either. */
	make_link(f, "made", "dangling");
	assert_true(safefs_open_beneath(f->dfd, "dangling", O_WRONLY | O_CREAT, 0600) < 0);
	assert_false(exists(f, "made"));
}

static void test_safefs_open_beneath_intermediate_symlink(void **state)
{
	struct fixture *f = *state;

	make_dir(f, "real", 0755, 0);
	make_file(f, "real/file", "x", 0644, 0, 0);
	make_link(f, "real", "dirlink");
	make_link(f, "/etc", "etclink");
	assert_int_equal(safefs_open_beneath(f->dfd, "dirlink/file", O_RDONLY, 0), -ELOOP);
	assert_int_equal(safefs_open_beneath(f->dfd, "etclink/passwd", O_RDONLY, 0), -ELOOP);
}

static void test_safefs_open_beneath_dotdot(void **state)
{
	struct fixture *f = *state;

	make_dir(f, "d", 0755, 0);
	assert_int_equal(safefs_open_beneath(f->dfd, "..", O_RDONLY, 0), -EXDEV);
	assert_int_equal(safefs_open_beneath(f->dfd, "../etc/passwd", O_RDONLY, 0), -EXDEV);
	assert_int_equal(safefs_open_beneath(f->dfd, "d/../../etc/passwd", O_RDONLY, 0), -EXDEV);
}

static void test_safefs_open_beneath_absolute(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(safefs_open_beneath(f->dfd, "/etc/passwd", O_RDONLY, 0), -EXDEV);
	assert_int_equal(safefs_open_beneath(f->dfd, "/", O_RDONLY, 0), -EXDEV);
}

static void test_safefs_open_beneath_bad_dirfd(void **state)
{
	(void)state;
	assert_int_equal(safefs_open_beneath(-1, "x", O_RDONLY, 0), -EBADF);
}

/* safefs_read_beneath -------------------------------------------------- */

static void test_safefs_read_beneath_regular(void **state)
{
	struct fixture *f = *state;
	char *buf = NULL;
	size_t len = 0;

	make_dir(f, "d", 0755, 0);
	make_file(f, "d/f", "line one\nline two\n", 0600, 0, 0);
	assert_int_equal(safefs_read_beneath(f->dfd, "d/f", 4096, &buf, &len), 0);
	assert_int_equal(len, 18);
	assert_string_equal(buf, "line one\nline two\n");
	free(buf);
}

static void test_safefs_read_beneath_empty(void **state)
{
	struct fixture *f = *state;
	char *buf = NULL;
	size_t len = 99;

	make_file(f, "empty", NULL, 0600, 0, 0);
	assert_int_equal(safefs_read_beneath(f->dfd, "empty", 4096, &buf, &len), 0);
	assert_int_equal(len, 0);
	assert_string_equal(buf, "");
	free(buf);
}

static void test_safefs_read_beneath_cap(void **state)
{
	struct fixture *f = *state;
	char *buf = NULL;
	size_t len;

	make_sized(f, "exact", 5000, 0);
	make_sized(f, "over", 5001, 0);
	assert_int_equal(safefs_read_beneath(f->dfd, "exact", 5000, &buf, &len), 0);
	assert_int_equal(len, 5000);
	free(buf);
	buf = NULL;
	assert_int_equal(safefs_read_beneath(f->dfd, "over", 5000, &buf, &len), -EFBIG);
	assert_null(buf);
}

static void test_safefs_read_beneath_sparse_huge(void **state)
{
	struct fixture *f = *state;
	char *buf = NULL;
	size_t len;

	int fd = openat(f->dfd, "sparse", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 1024L * 1024 * 1024), 0);
	close(fd);
	double t0 = now_s();
	assert_int_equal(safefs_read_beneath(f->dfd, "sparse", 65536, &buf, &len), -EFBIG);
	assert_true(now_s() - t0 < DEADLINE_S); /* refused by size, not read through */
	assert_null(buf);
}

static void test_safefs_read_beneath_fifo(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(mkfifoat(f->dfd, "fifo", 0666), 0);
	/* No writer: a blocking open or read would hang here. */
	assert_int_equal(run_with_deadline(f, OP_READ_BENEATH, "fifo"), -EINVAL);
}

static void test_safefs_read_beneath_directory(void **state)
{
	struct fixture *f = *state;
	char *buf = NULL;
	size_t len;

	make_dir(f, "d", 0755, 0);
	assert_int_equal(safefs_read_beneath(f->dfd, "d", 4096, &buf, &len), -EINVAL);
	assert_int_equal(safefs_read_beneath(f->dfd, ".", 4096, &buf, &len), -EINVAL);
	assert_null(buf);
}

static void test_safefs_read_beneath_device(void **state)
{
	struct fixture *f = *state;
	char *buf = NULL;
	size_t len;

	/* A copy of /dev/zero: reading it would never end. */
	assert_int_equal(mknodat(f->dfd, "zero", S_IFCHR | 0666, makedev(1, 5)), 0);
	assert_true(safefs_read_beneath(f->dfd, "zero", 4096, &buf, &len) < 0);
	assert_null(buf);
}

static void test_safefs_read_beneath_symlink(void **state)
{
	struct fixture *f = *state;
	char *buf = NULL;
	size_t len;

	make_file(f, "target", "x", 0644, 0, 0);
	make_link(f, "target", "link");
	make_link(f, "/etc/passwd", "abslink");
	assert_int_equal(safefs_read_beneath(f->dfd, "link", 4096, &buf, &len), -ELOOP);
	assert_int_equal(safefs_read_beneath(f->dfd, "abslink", 4096, &buf, &len), -ELOOP);
	assert_int_equal(safefs_read_beneath(f->dfd, "../etc/passwd", 4096, &buf, &len), -EXDEV);
	assert_int_equal(safefs_read_beneath(f->dfd, "/etc/passwd", 4096, &buf, &len), -EXDEV);
	assert_int_equal(safefs_read_beneath(f->dfd, "nothere", 4096, &buf, &len), -ENOENT);
	assert_null(buf);
}

/* safefs_read_as_user -------------------------------------------------- */

static int read_user(const struct fixture *f, const char *rel, size_t max, char **buf, size_t *len)
{
	return safefs_read_as_user(NOBODY, NOBODY, f->home, rel, max, buf, len);
}

static void test_safefs_read_as_user_own_file(void **state)
{
	struct fixture *f = *state;
	char *buf = NULL;
	size_t len = 0;

	make_dir(f, "home/.ssh", 0700, NOBODY);
	make_file(f, "home/.ssh/authorized_keys", "ssh-ed25519 AAAA k\n", 0600, NOBODY, NOBODY);
	assert_int_equal(read_user(f, ".ssh/authorized_keys", 65536, &buf, &len), 0);
	assert_int_equal(len, 19);
	assert_string_equal(buf, "ssh-ed25519 AAAA k\n");
	free(buf);
}

static void test_safefs_read_as_user_empty(void **state)
{
	struct fixture *f = *state;
	char *buf = NULL;
	size_t len = 99;

	make_file(f, "home/empty", NULL, 0600, NOBODY, NOBODY);
	assert_int_equal(read_user(f, "empty", 65536, &buf, &len), 0);
	assert_int_equal(len, 0);
	assert_string_equal(buf, "");
	free(buf);
}

static void test_safefs_read_as_user_root_only(void **state)
{
	struct fixture *f = *state;
	char *buf = NULL;
	size_t len;

	/* In the user's own directory, but root's file, 0600: root could read it. */
	make_file(f, "home/secret", "root only", 0600, 0, 0);
	assert_int_equal(read_user(f, "secret", 65536, &buf, &len), -EACCES);
	assert_null(buf);
}

static void test_safefs_read_as_user_groups_dropped(void **state)
{
	struct fixture *f = *state;
	char *buf = NULL;
	size_t len;

	/* Group root may read: the child must not keep root's groups. */
	make_file(f, "home/grp", "group root", 0640, 0, 0);
	assert_int_equal(read_user(f, "grp", 65536, &buf, &len), -EACCES);
	assert_null(buf);
}

static void test_safefs_read_as_user_symlink(void **state)
{
	struct fixture *f = *state;
	char *buf = NULL;
	size_t len;

	make_link(f, "/etc/shadow", "home/shadow");
	assert_int_equal(read_user(f, "shadow", 65536, &buf, &len), -ELOOP);
	/* Refused as a symlink, not merely for lack of permission. */
	make_file(f, "public", "world readable", 0644, 0, 0);
	char target[128];
	snprintf(target, sizeof(target), "%s/public", f->dir);
	make_link(f, target, "home/public");
	make_link(f, "../public", "home/relpublic");
	assert_int_equal(read_user(f, "public", 65536, &buf, &len), -ELOOP);
	assert_int_equal(read_user(f, "relpublic", 65536, &buf, &len), -ELOOP);
	assert_null(buf);
}

static void test_safefs_read_as_user_intermediate_symlink(void **state)
{
	struct fixture *f = *state;
	char *buf = NULL;
	size_t len;

	make_dir(f, "home/real", 0700, NOBODY);
	make_file(f, "home/real/authorized_keys", "k\n", 0600, NOBODY, NOBODY);
	make_link(f, "real", "home/.ssh");
	assert_int_equal(read_user(f, ".ssh/authorized_keys", 65536, &buf, &len), -ELOOP);
	assert_null(buf);
}

static void test_safefs_read_as_user_escape(void **state)
{
	struct fixture *f = *state;
	char *buf = NULL;
	size_t len;

	make_file(f, "public", "world readable", 0644, 0, 0);
	assert_int_equal(read_user(f, "../public", 65536, &buf, &len), -EXDEV);
	assert_int_equal(read_user(f, "/etc/passwd", 65536, &buf, &len), -EXDEV);
	assert_null(buf);
}

static void test_safefs_read_as_user_home_symlink(void **state)
{
	struct fixture *f = *state;
	char *buf = NULL, link[128];
	size_t len;

	make_file(f, "home/f", "x", 0600, NOBODY, NOBODY);
	make_link(f, "home", "homelink");
	snprintf(link, sizeof(link), "%s/homelink", f->dir);
	/* open(O_DIRECTORY | O_NOFOLLOW) of a symlink fails with ENOTDIR (or ELOOP). */
	int r = safefs_read_as_user(NOBODY, NOBODY, link, "f", 65536, &buf, &len);
	assert_true(r == -ENOTDIR || r == -ELOOP);
	assert_null(buf);
}

static void test_safefs_read_as_user_home_not_accessible(void **state)
{
	struct fixture *f = *state;
	char *buf = NULL, rootdir[128];
	size_t len;

	make_dir(f, "rootdir", 0700, 0);
	make_file(f, "rootdir/f", "x", 0644, 0, 0);
	snprintf(rootdir, sizeof(rootdir), "%s/rootdir", f->dir);
	assert_int_equal(safefs_read_as_user(NOBODY, NOBODY, rootdir, "f", 65536, &buf, &len),
			 -EACCES);
	assert_null(buf);
}

static void test_safefs_read_as_user_missing(void **state)
{
	struct fixture *f = *state;
	char *buf = NULL, nohome[128];
	size_t len;

	assert_int_equal(read_user(f, ".ssh/authorized_keys", 65536, &buf, &len), -ENOENT);
	snprintf(nohome, sizeof(nohome), "%s/nohome", f->dir);
	assert_int_equal(safefs_read_as_user(NOBODY, NOBODY, nohome, "f", 65536, &buf, &len),
			 -ENOENT);
	assert_null(buf);
}

static void test_safefs_read_as_user_too_big(void **state)
{
	struct fixture *f = *state;
	char *buf = NULL;
	size_t len;

	make_sized(f, "home/exact", 65536, NOBODY);
	make_sized(f, "home/big", 65537, NOBODY);
	assert_int_equal(read_user(f, "exact", 65536, &buf, &len), 0);
	assert_int_equal(len, 65536);
	free(buf);
	buf = NULL;
	assert_int_equal(read_user(f, "big", 65536, &buf, &len), -EFBIG);
	assert_null(buf);
}

static void test_safefs_read_as_user_sparse_huge(void **state)
{
	struct fixture *f = *state;
	char *buf = NULL;
	size_t len;

	int fd = openat(f->dfd, "home/sparse", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 1024L * 1024 * 1024), 0);
	assert_int_equal(fchown(fd, NOBODY, NOBODY), 0);
	close(fd);
	double t0 = now_s();
	assert_int_equal(read_user(f, "sparse", 65536, &buf, &len), -EFBIG);
	assert_true(now_s() - t0 < DEADLINE_S);
	assert_null(buf);
}

static void test_safefs_read_as_user_fifo(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(mkfifoat(f->dfd, "home/fifo", 0666), 0);
	assert_int_equal(fchownat(f->dfd, "home/fifo", NOBODY, NOBODY, 0), 0);
	assert_int_equal(run_with_deadline(f, OP_READ_AS_USER, "fifo"), -EINVAL);
}

static void test_safefs_read_as_user_directory(void **state)
{
	struct fixture *f = *state;
	char *buf = NULL;
	size_t len;

	make_dir(f, "home/.ssh", 0700, NOBODY);
	assert_int_equal(read_user(f, ".ssh", 65536, &buf, &len), -EINVAL);
	assert_null(buf);
}

/* safefs_mkdirs_beneath ------------------------------------------------ */

static void test_safefs_mkdirs_beneath_creates(void **state)
{
	struct fixture *f = *state;
	struct stat a, b;

	mode_t old = umask(0077); /* the mode must not depend on the umask */
	int fd = safefs_mkdirs_beneath(f->dfd, "a/b/c", 0751, NOBODY, 1234);
	umask(old);
	assert_true(fd >= 0);
	assert_true(is_cloexec(fd));
	assert_stat(f, "a", S_IFDIR, 0751, NOBODY, 1234);
	assert_stat(f, "a/b", S_IFDIR, 0751, NOBODY, 1234);
	assert_stat(f, "a/b/c", S_IFDIR, 0751, NOBODY, 1234);
	/* The fd is the last directory. */
	assert_int_equal(fstat(fd, &a), 0);
	assert_int_equal(fstatat(f->dfd, "a/b/c", &b, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	assert_int_equal(a.st_dev, b.st_dev);
	close(fd);
}

static void test_safefs_mkdirs_beneath_existing(void **state)
{
	struct fixture *f = *state;

	make_dir(f, "keep", 0705, 4321);
	int fd = safefs_mkdirs_beneath(f->dfd, "keep//new/", 0700, NOBODY, NOBODY);
	assert_true(fd >= 0);
	close(fd);
	assert_stat(f, "keep", S_IFDIR, 0705, 4321, 4321); /* existing: left as it was */
	assert_stat(f, "keep/new", S_IFDIR, 0700, NOBODY, NOBODY);
	/* All of it already there. */
	fd = safefs_mkdirs_beneath(f->dfd, "keep/new", 0755, 0, 0);
	assert_true(fd >= 0);
	close(fd);
	assert_stat(f, "keep/new", S_IFDIR, 0700, NOBODY, NOBODY);
}

static void test_safefs_mkdirs_beneath_symlink(void **state)
{
	struct fixture *f = *state;

	make_dir(f, "a", 0755, 0);
	make_dir(f, "elsewhere", 0755, 0);
	make_link(f, "../elsewhere", "a/link");
	assert_true(safefs_mkdirs_beneath(f->dfd, "a/link/c", 0700, 0, 0) < 0);
	assert_false(exists(f, "elsewhere/c"));
	/* The link as the last component too. */
	assert_true(safefs_mkdirs_beneath(f->dfd, "a/link", 0700, 0, 0) < 0);
	/* And an absolute one to outside the tree. */
	make_link(f, "/tmp", "a/tmp");
	assert_true(safefs_mkdirs_beneath(f->dfd, "a/tmp/tw-unit-never", 0700, 0, 0) < 0);
	struct stat st;
	assert_int_equal(lstat("/tmp/tw-unit-never", &st), -1);
}

static void test_safefs_mkdirs_beneath_dotdot(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(safefs_mkdirs_beneath(f->dfd, "a/../b", 0700, 0, 0), -EINVAL);
	assert_int_equal(safefs_mkdirs_beneath(f->dfd, "..", 0700, 0, 0), -EINVAL);
	assert_int_equal(safefs_mkdirs_beneath(f->dfd, "./x", 0700, 0, 0), -EINVAL);
	assert_false(exists(f, "b"));
	assert_false(exists(f, "x"));
}

static void test_safefs_mkdirs_beneath_file_component(void **state)
{
	struct fixture *f = *state;

	make_file(f, "file", "x", 0644, 0, 0);
	assert_int_equal(safefs_mkdirs_beneath(f->dfd, "file/sub", 0700, 0, 0), -ENOTDIR);
	assert_int_equal(safefs_mkdirs_beneath(f->dfd, "file", 0700, 0, 0), -ENOTDIR);
}

static void test_safefs_mkdirs_beneath_bad_dirfd(void **state)
{
	(void)state;
	assert_int_equal(safefs_mkdirs_beneath(-1, "a", 0700, 0, 0), -EBADF);
}

/* safefs_write_beneath ------------------------------------------------- */

static void test_safefs_write_beneath_creates(void **state)
{
	struct fixture *f = *state;

	make_dir(f, "d", 0755, 0);
	mode_t old = umask(0077);
	int r = safefs_write_beneath(f->dfd, "d/file", "data\n", 5, 0644, NOBODY, 1234, 0);
	umask(old);
	assert_int_equal(r, 0);
	assert_stat(f, "d/file", S_IFREG, 0644, NOBODY, 1234);
	assert_content(f, "d/file", "data\n");
}

static void test_safefs_write_beneath_empty(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(safefs_write_beneath(f->dfd, "e", "", 0, 0600, 0, 0, 0), 0);
	assert_stat(f, "e", S_IFREG, 0600, 0, 0);
	assert_content(f, "e", "");
}

static void test_safefs_write_beneath_exclusive(void **state)
{
	struct fixture *f = *state;

	make_file(f, "file", "old content", 0600, 0, 0);
	assert_int_equal(safefs_write_beneath(f->dfd, "file", "new", 3, 0644, NOBODY, NOBODY, 0),
			 -EEXIST);
	assert_content(f, "file", "old content");
	assert_stat(f, "file", S_IFREG, 0600, 0, 0);
}

static void test_safefs_write_beneath_replace(void **state)
{
	struct fixture *f = *state;

	make_file(f, "file", "old, longer content", 0666, 0, 0);
	assert_int_equal(safefs_write_beneath(f->dfd, "file", "new", 3, 0640, NOBODY, 1234, 1), 0);
	assert_content(f, "file", "new"); /* truncated */
	assert_stat(f, "file", S_IFREG, 0640, NOBODY, 1234);
	/* replace also creates. */
	assert_int_equal(safefs_write_beneath(f->dfd, "fresh", "x", 1, 0600, 0, 0, 1), 0);
	assert_content(f, "fresh", "x");
}

static void test_safefs_write_beneath_symlink(void **state)
{
	struct fixture *f = *state;

	make_file(f, "target", "untouched", 0644, 0, 0);
	make_link(f, "target", "link");
	make_link(f, "made", "dangling");
	for (int replace = 0; replace <= 1; replace++) {
		assert_true(safefs_write_beneath(f->dfd, "link", "evil", 4, 0666, NOBODY, NOBODY,
						 replace) < 0);
		assert_true(safefs_write_beneath(f->dfd, "dangling", "evil", 4, 0666, NOBODY,
						 NOBODY, replace) < 0);
	}
	assert_content(f, "target", "untouched");
	assert_stat(f, "target", S_IFREG, 0644, 0, 0);
	assert_false(exists(f, "made"));
}

static void test_safefs_write_beneath_intermediate_symlink(void **state)
{
	struct fixture *f = *state;

	make_dir(f, "real", 0755, 0);
	make_link(f, "real", "dirlink");
	for (int replace = 0; replace <= 1; replace++)
		assert_int_equal(
			safefs_write_beneath(f->dfd, "dirlink/file", "x", 1, 0600, 0, 0, replace),
			-ELOOP);
	assert_false(exists(f, "real/file"));
}

static void test_safefs_write_beneath_escape(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(safefs_write_beneath(f->dfd, "../tw-unit-escape", "x", 1, 0600, 0, 0, 0),
			 -EXDEV);
	assert_int_equal(safefs_write_beneath(f->dfd, "/run/tw-unit-escape", "x", 1, 0600, 0, 0, 1),
			 -EXDEV);
	struct stat st;
	assert_int_equal(lstat("/run/tw-unit-escape", &st), -1);
}

static void test_safefs_write_beneath_directory(void **state)
{
	struct fixture *f = *state;

	make_dir(f, "d", 0755, 0);
	assert_int_equal(safefs_write_beneath(f->dfd, "d", "x", 1, 0600, 0, 0, 0), -EEXIST);
	assert_int_equal(safefs_write_beneath(f->dfd, "d", "x", 1, 0600, 0, 0, 1), -EISDIR);
	assert_stat(f, "d", S_IFDIR, 0755, 0, 0);
}

static void test_safefs_write_beneath_fifo(void **state)
{
	struct fixture *f = *state;

	/* Must fail at once, never block waiting for a reader. */
	assert_int_equal(mkfifoat(f->dfd, "fifo", 0600), 0);
	alarm(5);
	assert_true(safefs_write_beneath(f->dfd, "fifo", "x", 1, 0600, 0, 0, 1) < 0); /* ENXIO */
	alarm(0);
}

static void test_safefs_write_beneath_hardlink(void **state)
{
	struct fixture *f = *state;

	make_file(f, "elsewhere", "precious", 0644, 0, 0);
	assert_int_equal(linkat(f->dfd, "elsewhere", f->dfd, "alias", 0), 0);
	assert_int_equal(safefs_write_beneath(f->dfd, "alias", "x", 1, 0600, NOBODY, NOBODY, 1),
			 -EINVAL);
	assert_content(f, "elsewhere", "precious");
	assert_stat(f, "elsewhere", S_IFREG, 0644, 0, 0);
}

/* safefs_remove_tree / safefs_empty_dir ---------------------------------- */

static dev_t dev_of(const struct fixture *f)
{
	struct stat st;
	assert_int_equal(fstat(f->dfd, &st), 0);
	return st.st_dev;
}

static void test_safefs_remove_tree_nested(void **state)
{
	struct fixture *f = *state;

	make_dir(f, "t", 0755, 0);
	make_dir(f, "t/a", 0, NOBODY); /* mode 0: root removes it all the same */
	make_dir(f, "t/a/b", 0700, NOBODY);
	make_file(f, "t/a/b/file", "x", 0, NOBODY, NOBODY);
	make_file(f, "t/top", "y", 0644, 0, 0);
	assert_int_equal(safefs_remove_tree(f->dfd, "t", dev_of(f)), 0);
	assert_false(exists(f, "t"));
	/* Gone already is no error. */
	assert_int_equal(safefs_remove_tree(f->dfd, "t", dev_of(f)), 0);
}

static void test_safefs_remove_tree_symlink(void **state)
{
	struct fixture *f = *state;

	make_dir(f, "keep", 0755, 0);
	make_file(f, "keep/file", "precious", 0644, 0, 0);
	make_dir(f, "t", 0755, 0);
	make_link(f, "../keep", "t/link");
	make_link(f, "../keep/file", "t/flink");
	assert_int_equal(safefs_remove_tree(f->dfd, "t", dev_of(f)), 0);
	assert_false(exists(f, "t"));
	assert_content(f, "keep/file", "precious");
}

static void test_safefs_remove_tree_other_device(void **state)
{
	struct fixture *f = *state;

	make_dir(f, "t", 0755, 0);
	make_file(f, "t/file", "x", 0644, 0, 0);
	/* A device that is not the tree's: nothing of it is entered. */
	assert_int_equal(safefs_remove_tree(f->dfd, "t", dev_of(f) + 1), -EXDEV);
	assert_content(f, "t/file", "x");
}

/* Deeper than any fd or stack bound: all of it goes (subtrees are lifted, not entered). */
#define DEEP_LEVELS 3000

static void test_safefs_remove_tree_very_deep(void **state)
{
	struct fixture *f = *state;
	int fd = openat(f->dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	/* Made by fds: a path this deep is longer than PATH_MAX. */
	make_dir(f, "t", 0755, 0);
	int cur = openat(fd, "t", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (int i = 0; i < DEEP_LEVELS; i++) {
		assert_int_equal(mkdirat(cur, "d", 0755), 0);
		if (i % 100 == 0)
			close(openat(cur, "f", O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
		int next = openat(cur, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		close(cur);
		cur = next;
		assert_true(cur >= 0);
	}
	close(cur);
	close(fd);
	assert_int_equal(safefs_remove_tree(f->dfd, "t", dev_of(f)), 0);
	assert_false(exists(f, "t"));
}

/*
 * The owner swaps directories for symlinks to a canary while the tree is
 * removed: nothing of the canary goes, whatever the timing.
 */
static void swap_loop(int dfd, int rounds)
{
	for (int i = 0; i < rounds; i++) {
		char d[32];
		snprintf(d, sizeof(d), "t/%d/x", i % 50);
		/* a directory, then a symlink to the canary in its place */
		if ((unlinkat(dfd, d, AT_REMOVEDIR) == 0 || errno == ENOENT) &&
		    symlinkat("../../keep", dfd, d) < 0)
			continue;
		unlinkat(dfd, d, 0);
		mkdirat(dfd, d, 0755);
	}
}

static void test_safefs_remove_tree_swap_race(void **state)
{
	struct fixture *f = *state;
	make_dir(f, "keep", 0755, 0);
	make_file(f, "keep/file", "precious", 0644, 0, 0);
	for (int round = 0; round < 20; round++) {
		make_dir(f, "t", 0755, 0);
		for (int i = 0; i < 50; i++) {
			char d[32];
			snprintf(d, sizeof(d), "t/%d", i);
			make_dir(f, d, 0755, 0);
			snprintf(d, sizeof(d), "t/%d/x", i);
			make_dir(f, d, 0755, 0);
		}
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			swap_loop(f->dfd, 2000);
			_exit(0);
		}
		safefs_remove_tree(f->dfd, "t", dev_of(f)); /* may fail: the tree moves */
		assert_int_equal(waitpid(pid, NULL, 0), pid);
		assert_content(f, "keep/file", "precious");
		assert_int_equal(safefs_remove_tree(f->dfd, "t", dev_of(f)), 0);
	}
}

static void test_safefs_empty_dir_except(void **state)
{
	struct fixture *f = *state;

	make_dir(f, "c", 0755, 0);
	make_file(f, "c/config", "lxc.uts.name = x\n", 0640, 0, 0);
	make_dir(f, "c/rootfs", 0755, 0);
	make_dir(f, "c/overlay", 0755, 0);
	make_dir(f, "c/overlay/delta", 0755, NOBODY);
	make_file(f, "c/overlay/delta/data", "user's", 0600, NOBODY, NOBODY);
	int c = openat(f->dfd, "c", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(c >= 0);
	assert_int_equal(safefs_empty_dir(c, dev_of(f), "config"), 0);
	close(c);
	assert_content(f, "c/config", "lxc.uts.name = x\n");
	assert_false(exists(f, "c/rootfs"));
	assert_false(exists(f, "c/overlay"));
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_safefs_open_beneath_regular),
		T(test_safefs_open_beneath_create),
		T(test_safefs_open_beneath_missing),
		T(test_safefs_open_beneath_final_symlink),
		T(test_safefs_open_beneath_intermediate_symlink),
		T(test_safefs_open_beneath_dotdot),
		T(test_safefs_open_beneath_absolute),
		T(test_safefs_open_beneath_bad_dirfd),
		T(test_safefs_read_beneath_regular),
		T(test_safefs_read_beneath_empty),
		T(test_safefs_read_beneath_cap),
		T(test_safefs_read_beneath_sparse_huge),
		T(test_safefs_read_beneath_fifo),
		T(test_safefs_read_beneath_directory),
		T(test_safefs_read_beneath_device),
		T(test_safefs_read_beneath_symlink),
		T(test_safefs_read_as_user_own_file),
		T(test_safefs_read_as_user_empty),
		T(test_safefs_read_as_user_root_only),
		T(test_safefs_read_as_user_groups_dropped),
		T(test_safefs_read_as_user_symlink),
		T(test_safefs_read_as_user_intermediate_symlink),
		T(test_safefs_read_as_user_escape),
		T(test_safefs_read_as_user_home_symlink),
		T(test_safefs_read_as_user_home_not_accessible),
		T(test_safefs_read_as_user_missing),
		T(test_safefs_read_as_user_too_big),
		T(test_safefs_read_as_user_sparse_huge),
		T(test_safefs_read_as_user_fifo),
		T(test_safefs_read_as_user_directory),
		T(test_safefs_mkdirs_beneath_creates),
		T(test_safefs_mkdirs_beneath_existing),
		T(test_safefs_mkdirs_beneath_symlink),
		T(test_safefs_mkdirs_beneath_dotdot),
		T(test_safefs_mkdirs_beneath_file_component),
		T(test_safefs_mkdirs_beneath_bad_dirfd),
		T(test_safefs_write_beneath_creates),
		T(test_safefs_write_beneath_empty),
		T(test_safefs_write_beneath_exclusive),
		T(test_safefs_write_beneath_replace),
		T(test_safefs_write_beneath_symlink),
		T(test_safefs_write_beneath_intermediate_symlink),
		T(test_safefs_write_beneath_escape),
		T(test_safefs_write_beneath_directory),
		T(test_safefs_write_beneath_fifo),
		T(test_safefs_write_beneath_hardlink),
		T(test_safefs_remove_tree_nested),
		T(test_safefs_remove_tree_symlink),
		T(test_safefs_remove_tree_other_device),
		T(test_safefs_remove_tree_very_deep),
		T(test_safefs_remove_tree_swap_race),
		T(test_safefs_empty_dir_except),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
