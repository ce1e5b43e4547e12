/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * landlock_deny_make on a tree of its own (/run/tw-unit.XXXXXX): each case
 * restricts a forked child, which reports what it could make where; the
 * test process itself is never restricted. Needs a kernel with Landlock
 * ABI >= 2 (a kernel without it fails the first case, it does not skip).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "landlock.h"

struct tree {
	char root[64];
};

static char *at(const struct tree *t, const char *rel)
{
	static char buf[8][PATH_MAX];
	static unsigned next;
	char *b = buf[next++ % 8];
	snprintf(b, PATH_MAX, "%s/%s", t->root, rel);
	return b;
}

/*
 * root/a/home/alice (shared), root/a/home/bob, root/a/srv/x (shared),
 * root/a/srv/y/z, root/b, root/link -> a/home, root/file.
 */
static int setup(void **state)
{
	static struct tree t;
	static const char *const dirs[] = {
		"a",     "a/home",  "a/home/alice", "a/home/alice/sub", "a/home/bob",
		"a/srv", "a/srv/x", "a/srv/y",      "a/srv/y/z",        "b"
	};
	strcpy(t.root, "/run/tw-unit.XXXXXX");
	if (!mkdtemp(t.root))
		return -1;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (mkdir(at(&t, dirs[i]), 0755) < 0)
			return -1;
	if (symlink("a/home", at(&t, "link")) < 0 ||
	    close(open(at(&t, "file"), O_CREAT | O_WRONLY, 0644)) < 0)
		return -1;
	*state = &t;
	return 0;
}

static int teardown(void **state)
{
	const struct tree *t = *state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->root);
	return system(cmd) == 0 ? 0 : -1;
}

static int make_sock(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	int r = s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 ? -errno : 0;
	if (s >= 0)
		close(s);
	return r;
}

static int make_fifo(const char *path)
{
	return mkfifo(path, 0600) < 0 ? -errno : 0;
}

/* A kernel without Landlock, as the child sees it: the errno of its first call, when nonzero. */
static int fake_errno;

static int fake_kernel(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_landlock_create_ruleset, 0, 1),
		BPF_STMT(BPF_RET | BPF_K,
			 SECCOMP_RET_ERRNO | ((unsigned)fake_errno & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };
	if (!fake_errno)
		return 0;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0 ? -errno : 0;
}

/* What the child may do once restricted: 0 or -errno, one byte each over a pipe. */
typedef int (*step_fn)(const struct tree *t);

/* Run the steps in a child restricted to shared[]; their results into ret[]. */
static int restricted(const struct tree *t, const char *const *shared, size_t n,
		      const step_fn *steps, size_t n_steps, int *ret)
{
	int p[2];
	if (pipe(p) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid == 0) {
		signed char res[32] = { 0 };
		int r = fake_kernel();
		if (r == 0)
			r = landlock_deny_make(shared, n);
		/* unrestricted: the steps show that nothing was */
		if (fake_errno && (r == -ENOSYS || r == -EOPNOTSUPP))
			r = 0;
		res[0] = (signed char)r;
		for (size_t i = 0; r == 0 && i < n_steps; i++)
			res[i + 1] = (signed char)steps[i](t);
		_exit(write(p[1], res, n_steps + 1) == (ssize_t)(n_steps + 1) ? 0 : 1);
	}
	close(p[1]);
	signed char res[32] = { 0 };
	ssize_t got = read(p[0], res, sizeof(res));
	close(p[0]);
	waitpid(pid, NULL, 0);
	if (got != (ssize_t)(n_steps + 1))
		return -EIO;
	for (size_t i = 0; i < n_steps; i++)
		ret[i] = res[i + 1];
	return res[0];
}

static const struct tree *T;

static int s_home_sock(const struct tree *t)
{
	return make_sock(at(t, "a/home/alice/s"));
}
static int s_home_fifo(const struct tree *t)
{
	return make_fifo(at(t, "a/home/alice/f"));
}
static int s_home_deep(const struct tree *t)
{
	return make_sock(at(t, "a/home/alice/sub/s"));
}
static int s_bind_fifo(const struct tree *t)
{
	return make_fifo(at(t, "a/srv/x/f"));
}
static int s_above(const struct tree *t)
{
	return make_fifo(at(t, "a/home/f"));
}
static int s_bob_sock(const struct tree *t)
{
	return make_sock(at(t, "a/home/bob/s"));
}
static int s_bob_fifo(const struct tree *t)
{
	return make_fifo(at(t, "a/home/bob/f"));
}
static int s_bob_fifo2(const struct tree *t)
{
	return make_fifo(at(t, "a/home/bob/f2"));
}
static int s_deep_beside(const struct tree *t)
{
	return make_fifo(at(t, "a/srv/y/z/f"));
}
static int s_elsewhere(const struct tree *t)
{
	return make_sock(at(t, "b/s"));
}
static int s_elsewhere2(const struct tree *t)
{
	return make_sock(at(t, "b/s2"));
}
static int s_via_link(const struct tree *t)
{
	return make_fifo(at(t, "link/alice/f2"));
}
static int s_reg_in_home(const struct tree *t)
{
	int fd = open(at(t, "a/home/alice/reg"), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	return fd < 0 ? -errno : close(fd);
}

static int s_move_file(const struct tree *t)
{
	int fd = open(at(t, "b/m"), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	close(fd);
	return rename(at(t, "b/m"), at(t, "a/srv/y/m")) < 0 ? -errno : 0;
}

static int s_move_fifo_in(const struct tree *t)
{
	int r = make_fifo(at(t, "b/mf"));
	if (r < 0)
		return r;
	return rename(at(t, "b/mf"), at(t, "a/home/alice/mf")) < 0 ? -errno : 0;
}

static int s_link_fifo_in(const struct tree *t)
{
	int r = make_fifo(at(t, "b/lf"));
	if (r < 0)
		return r;
	return link(at(t, "b/lf"), at(t, "a/home/alice/lf")) < 0 ? -errno : 0;
}

static int s_free_sock(const struct tree *t)
{
	return make_sock(at(t, "a/home/alice/free-s"));
}
static int s_free_fifo(const struct tree *t)
{
	return make_fifo(at(t, "a/home/alice/free-f"));
}

static int s_move_reg_in(const struct tree *t)
{
	int fd = open(at(t, "b/mr"), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	close(fd);
	return rename(at(t, "b/mr"), at(t, "a/home/alice/mr")) < 0 ? -errno : 0;
}

/* A directory made elsewhere, a socket made in it, the directory moved into the home. */
static int s_move_sockdir_in(const struct tree *t)
{
	struct stat st;
	int r = mkdir(at(t, "b/md"), 0700) < 0 ? -errno : make_sock(at(t, "b/md/s"));
	if (r == 0 && rename(at(t, "b/md"), at(t, "a/home/alice/md")) < 0)
		r = -errno;
	return r == 0 && lstat(at(t, "a/home/alice/md/s"), &st) == 0 && S_ISSOCK(st.st_mode) ? 1
											     : r;
}

static int s_move_dir_out(const struct tree *t)
{
	if (mkdir(at(t, "a/home/alice/mo"), 0700) < 0)
		return -errno;
	return rename(at(t, "a/home/alice/mo"), at(t, "b/mo")) < 0 ? -errno : 0;
}

static void test_landlock_abi_present(void **state)
{
	(void)state;
	/* This project's hosts (Debian 12: 6.1, ABI 2) have it; a test that cannot run fails. */
	assert_true(landlock_abi() >= LANDLOCK_ABI_MIN);
}

static void test_landlock_deny_make_shared(void **state)
{
	T = *state;
	char home[PATH_MAX], bind[PATH_MAX];
	snprintf(home, sizeof(home), "%s", at(T, "a/home/alice"));
	snprintf(bind, sizeof(bind), "%s", at(T, "a/srv/x"));
	const char *shared[] = { home, bind };
	const step_fn steps[] = { s_home_sock, s_home_fifo,    s_home_deep,    s_bind_fifo,
				  s_above,     s_move_fifo_in, s_link_fifo_in, s_reg_in_home };
	int res[8];
	assert_int_equal(restricted(T, shared, 2, steps, 8, res), 0);
	assert_int_equal(res[0], -EACCES); /* a socket in the home */
	assert_int_equal(res[1], -EACCES); /* a FIFO there */
	assert_int_equal(res[2], -EACCES); /* deeper down */
	assert_int_equal(res[3], -EACCES); /* a FIFO in a bind */
	assert_int_equal(res[4], -EACCES); /* on the way down: nothing made there either */
	assert_int_equal(res[5], -EACCES); /* a FIFO made elsewhere, moved in */
	assert_int_equal(res[6], -EACCES); /* or linked in */
	assert_int_equal(res[7], 0);       /* regular files are not concerned */
}

static void test_landlock_deny_make_elsewhere(void **state)
{
	T = *state;
	char home[PATH_MAX];
	snprintf(home, sizeof(home), "%s", at(T, "a/home/alice"));
	const char *shared[] = { home, NULL };
	const step_fn steps[] = { s_bob_sock, s_bob_fifo, s_deep_beside, s_elsewhere, s_move_file };
	int res[5];
	assert_int_equal(restricted(T, shared, 1, steps, 5, res), 0);
	assert_int_equal(res[0], 0); /* beside the home */
	assert_int_equal(res[1], 0);
	assert_int_equal(res[2], 0); /* anywhere below a directory beside the way */
	assert_int_equal(res[3], 0);
	assert_int_equal(res[4], 0); /* moves across directories still work */
}

static void test_landlock_deny_make_symlink(void **state)
{
	T = *state;
	char home[PATH_MAX];
	/* The shared directory named through a symlink: resolved, so root/a is not "beside" it. */
	snprintf(home, sizeof(home), "%s", at(T, "link/alice"));
	const char *shared[] = { home };
	const step_fn steps[] = { s_home_fifo, s_via_link, s_bob_fifo2 };
	int res[3];
	assert_int_equal(restricted(T, shared, 1, steps, 3, res), 0);
	assert_int_equal(res[0], -EACCES);
	assert_int_equal(res[1], -EACCES);
	assert_int_equal(res[2], 0);
}

static void test_landlock_deny_make_missing(void **state)
{
	T = *state;
	/* What the caller cannot reach is left out; the rest still holds. */
	char home[PATH_MAX], gone[PATH_MAX];
	snprintf(home, sizeof(home), "%s", at(T, "a/home/alice"));
	snprintf(gone, sizeof(gone), "%s", at(T, "no/such/dir"));
	const char *shared[] = { gone, home };
	const step_fn steps[] = { s_home_sock, s_elsewhere2 };
	int res[2];
	assert_int_equal(restricted(T, shared, 2, steps, 2, res), 0);
	assert_int_equal(res[0], -EACCES);
	assert_int_equal(res[1], 0);
}

static void test_landlock_deny_make_bad_input(void **state)
{
	T = *state;
	const char *relative[] = { "home/alice" };
	const char *null_path[] = { NULL };
	const char *many[LANDLOCK_SHARED_MAX + 1];
	int res[1];
	for (size_t i = 0; i < LANDLOCK_SHARED_MAX + 1; i++)
		many[i] = "/tmp";
	assert_int_equal(restricted(T, relative, 1, NULL, 0, res), -EINVAL);
	assert_int_equal(restricted(T, null_path, 1, NULL, 0, res), -EINVAL);
	assert_int_equal(restricted(T, many, LANDLOCK_SHARED_MAX + 1, NULL, 0, res), -E2BIG);
}

/*
 * A kernel without Landlock (not built in: ENOSYS; not in lsm=: EOPNOTSUPP):
 * landlock_deny_make says so and restricts nothing, which the callers log
 * (landlock_missing) instead of refusing the program.
 */
static void test_landlock_deny_make_no_landlock(void **state)
{
	T = *state;
	char home[PATH_MAX];
	snprintf(home, sizeof(home), "%s", at(T, "a/home/alice"));
	const char *shared[] = { home };
	const step_fn steps[] = { s_free_sock, s_free_fifo };
	static const int errnos[] = { ENOSYS, EOPNOTSUPP };
	for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++) {
		int res[2] = { 1, 1 };
		fake_errno = errnos[i];
		assert_int_equal(restricted(T, shared, 1, steps, 2, res), 0);
		assert_int_equal(res[0], 0);
		assert_int_equal(res[1], 0);
		unlink(at(T, "a/home/alice/free-s"));
		unlink(at(T, "a/home/alice/free-f"));
	}
	fake_errno = 0;
}

static void test_landlock_missing_words(void **state)
{
	const char *fix = NULL;
	(void)state;
	assert_null(landlock_missing(LANDLOCK_ABI_MIN, &fix));
	assert_null(fix);
	assert_string_equal(landlock_missing(1, &fix), "Landlock ABI 1 only, 2 is needed");
	assert_non_null(strstr(fix, "5.19"));
	assert_string_equal(landlock_missing(-ENOSYS, &fix), "Landlock not built in");
	assert_non_null(strstr(fix, "CONFIG_SECURITY_LANDLOCK"));
	assert_string_equal(landlock_missing(-EOPNOTSUPP, &fix), "Landlock not enabled at boot");
	assert_non_null(strstr(fix, "lsm="));
}

/*
 * Moves: a file from elsewhere goes into the home; a directory of the
 * home does not go out (EXDEV: it would gain the right to hold sockets;
 * mv(1) copies it instead). A directory from elsewhere goes in, with a socket
 * made in it (1): Landlock lets a move lose rights, and what the directory
 * holds comes along. On one file system, as here, that is a way in; in a
 * copy the home and each bind are mounts of their own, and rename(2)
 * across mounts fails (EXDEV) before Landlock is asked, so mv(1) copies,
 * and making the socket anew is refused (test_attacks_pin.sh).
 */
static void test_landlock_deny_make_moves(void **state)
{
	T = *state;
	char home[PATH_MAX];
	snprintf(home, sizeof(home), "%s", at(T, "a/home/alice"));
	const char *shared[] = { home };
	const step_fn steps[] = { s_move_reg_in, s_move_dir_out, s_move_sockdir_in };
	int res[3];
	assert_int_equal(restricted(T, shared, 1, steps, 3, res), 0);
	assert_int_equal(res[0], 0);
	assert_int_equal(res[1], -EXDEV);
	assert_int_equal(res[2], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_landlock_abi_present),
		cmocka_unit_test(test_landlock_deny_make_shared),
		cmocka_unit_test(test_landlock_deny_make_elsewhere),
		cmocka_unit_test(test_landlock_deny_make_symlink),
		cmocka_unit_test(test_landlock_deny_make_missing),
		cmocka_unit_test(test_landlock_deny_make_bad_input),
		cmocka_unit_test(test_landlock_deny_make_moves),
		cmocka_unit_test(test_landlock_deny_make_no_landlock),
		cmocka_unit_test(test_landlock_missing_words),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
