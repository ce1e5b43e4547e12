/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for common/base/spawn.c (cmocka). The programs run are
 * /bin/sh, /bin/cat, /bin/sleep, /usr/bin/env and this binary itself,
 * which, given "fds" or "sid" as its first argument, reports what a
 * spawned program sees instead of running the tests.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "spawn.h"
#include "util.h"

/* Helpers ------------------------------------------------------------- */

static char self[PATH_MAX];

/* Read fd to EOF into buf (NUL-terminated). */
static void read_to_eof(int fd, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;
	while (got + 1 < len &&
	       ((n = read(fd, buf + got, len - 1 - got)) > 0 || (n < 0 && errno == EINTR)))
		got += n > 0 ? (size_t)n : 0;
	buf[got] = '\0';
}

/*
 * Run O with its stdout (and stderr when both) into a pipe, wait for it
 * and return its output and wait status. Stdin stays as O has it.
 */
static void capture(const struct spawn_opts *o, bool both, char *out, size_t len, int *ret_status)
{
	int p[2];
	pid_t pid;
	struct tw_err e = { 0 };
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	const int stdio[3] = { o->stdio ? o->stdio[0] : -1, p[1], both ? p[1] : -1 };
	struct spawn_opts c = *o;
	c.stdio = stdio;
	assert_int_equal(spawn_start(&c, &e, &pid), 0);
	close(p[1]);
	read_to_eof(p[0], out, len);
	close(p[0]);
	assert_int_equal(spawn_wait(pid, 10000, ret_status), 0);
}

static void capture_ok(const struct spawn_opts *o, char *out, size_t len)
{
	int st;
	capture(o, false, out, len, &st);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* No child of ours is left, reaped or not. */
static void assert_no_child(void)
{
	errno = 0;
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

/* The helper side: the open fds, then "!" to fd wfd when given. */
static int helper_fds(int wfd)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	const char *sep = "";
	if (!d)
		return 1;
	while ((de = readdir(d))) {
		int fd = util_fd_name(de->d_name);
		if (fd < 0 || fd == dirfd(d))
			continue;
		printf("%s%d", sep, fd);
		sep = " ";
	}
	closedir(d);
	printf("\n");
	fflush(stdout);
	return wfd >= 0 && write(wfd, "!", 1) != 1 ? 1 : 0;
}

/* spawn_start: environment -------------------------------------------- */

static void test_spawn_start_empty_env(void **state)
{
	char out[256];
	char *const argv[] = { "env", NULL };
	const struct spawn_opts o = { .path = "/usr/bin/env", .argv = argv };
	(void)state;
	assert_int_equal(setenv("TW_SPAWN_TEST", "leak", 1), 0);
	capture_ok(&o, out, sizeof(out));
	assert_string_equal(out, "");
	unsetenv("TW_SPAWN_TEST");
}

static void test_spawn_start_env_given(void **state)
{
	char out[256];
	char *const argv[] = { "env", NULL };
	char *const envp[] = { "A=1", "PATH=" SPAWN_PATH, NULL };
	const struct spawn_opts o = { .path = "/usr/bin/env", .argv = argv, .envp = envp };
	(void)state;
	capture_ok(&o, out, sizeof(out));
	assert_string_equal(out, "A=1\nPATH=/usr/sbin:/usr/bin:/sbin:/bin\n");
}

/* spawn_start: fds ----------------------------------------------------- */

/* The test's own fds, opened without O_CLOEXEC on purpose: spawn closes them. */
static void test_spawn_start_only_stdio(void **state)
{
	char out[256];
	char *const argv[] = { "test_spawn", "fds", NULL };
	const struct spawn_opts o = { .path = self, .argv = argv };
	int a = open("/dev/null", O_RDONLY);
	int b = open("/dev/null", O_RDONLY);
	int c = dup2(b, 40);
	(void)state;
	assert_true(a >= 0 && b >= 0 && c == 40);
	capture_ok(&o, out, sizeof(out));
	assert_string_equal(out, "0 1 2\n");
	close(a);
	close(b);
	close(c);
}

static void test_spawn_start_placed_fds(void **state)
{
	char out[256], mark[8];
	int p[2];
	char *const argv[] = { "test_spawn", "fds", "5", NULL };
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	const struct spawn_fd fds[] = { { .fd = p[1], .at = 5 }, { .fd = null, .at = 9 } };
	const struct spawn_opts o = { .path = self, .argv = argv, .fds = fds, .n_fds = 2 };
	(void)state;
	capture_ok(&o, out, sizeof(out));
	assert_string_equal(out, "0 1 2 5 9\n");
	close(p[1]);
	read_to_eof(p[0], mark, sizeof(mark));
	assert_string_equal(mark, "!");
	close(p[0]);
	close(null);
}

/*
 * Sources that are each other's targets (20 and 21 swap), and one already
 * at its number with close-on-exec set (22): each ends where it belongs.
 */
static void test_spawn_start_placed_fds_collide(void **state)
{
	char out[256], mark[8];
	int a[2], b[2];
	char *const argv[] = { "test_spawn", "fds", "21", NULL };
	(void)state;
	assert_int_equal(pipe2(a, O_CLOEXEC), 0);
	assert_int_equal(pipe2(b, O_CLOEXEC), 0);
	assert_int_equal(dup3(a[1], 20, O_CLOEXEC), 20);
	assert_int_equal(dup3(b[1], 21, O_CLOEXEC), 21);
	assert_int_equal(dup3(b[1], 22, O_CLOEXEC), 22);
	close(a[1]);
	close(b[1]);
	const struct spawn_fd fds[] = { { .fd = 20, .at = 21 },
					{ .fd = 21, .at = 20 },
					{ .fd = 22, .at = 22 } };
	const struct spawn_opts o = { .path = self, .argv = argv, .fds = fds, .n_fds = 3 };
	capture_ok(&o, out, sizeof(out));
	assert_string_equal(out, "0 1 2 20 21 22\n");
	close(20);
	close(21);
	close(22);
	read_to_eof(a[0], mark, sizeof(mark)); /* 20 went to 21: the mark is on a */
	assert_string_equal(mark, "!");
	read_to_eof(b[0], mark, sizeof(mark));
	assert_string_equal(mark, "");
	close(a[0]);
	close(b[0]);
}

static void test_spawn_start_stdio_given(void **state)
{
	char out[256];
	int in[2], st;
	char *const argv[] = { "sh", "-c", "cat; echo err >&2", NULL };
	(void)state;
	assert_int_equal(pipe2(in, O_CLOEXEC), 0);
	assert_int_equal(write(in[1], "hello\n", 6), 6);
	close(in[1]);
	const int stdio[3] = { in[0], -1, -1 };
	const struct spawn_opts o = { .path = "/bin/sh", .argv = argv, .stdio = stdio };
	capture(&o, true, out, sizeof(out), &st);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_string_equal(out, "hello\nerr\n");
	close(in[0]);
}

/* The caller's fds are left as they were, close-on-exec flags too. */
static void test_spawn_start_caller_fds_untouched(void **state)
{
	char out[64];
	int p[2];
	char *const argv[] = { "test_spawn", "fds", NULL };
	(void)state;
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	const struct spawn_fd fds[] = { { .fd = p[1], .at = 3 } };
	const struct spawn_opts o = { .path = self, .argv = argv, .fds = fds, .n_fds = 1 };
	capture_ok(&o, out, sizeof(out));
	assert_true(fcntl(p[1], F_GETFD) & FD_CLOEXEC);
	assert_true(fcntl(p[0], F_GETFD) & FD_CLOEXEC);
	close(p[0]);
	close(p[1]);
}

/* spawn_start: signals, sessions --------------------------------------- */

/* Field KEY of /proc/PID/status text, e.g. "SigBlk": its hex value. */
static unsigned long long status_field(const char *text, const char *key)
{
	const char *l = strstr(text, key);
	assert_non_null(l);
	return strtoull(l + strlen(key) + 1, NULL, 16);
}

static void test_spawn_start_signals_reset(void **state)
{
	char out[4096];
	char *const argv[] = { "cat", "/proc/self/status", NULL };
	const struct spawn_opts o = { .path = "/bin/cat", .argv = argv };
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_hup, old_usr2;
	sigset_t set, old_mask;
	(void)state;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	assert_int_equal(sigprocmask(SIG_BLOCK, &set, &old_mask), 0);
	assert_int_equal(sigaction(SIGHUP, &ign, &old_hup), 0);
	assert_int_equal(sigaction(SIGUSR2, &ign, &old_usr2), 0);
	capture_ok(&o, out, sizeof(out));
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	sigaction(SIGUSR2, &old_usr2, NULL);
	assert_int_equal(status_field(out, "SigBlk:"), 0);
	assert_int_equal(status_field(out, "SigIgn:"), 0);
}

static void test_spawn_start_setsid(void **state)
{
	char out[64];
	int pid = 0, sid = -1;
	char *const argv[] = { "test_spawn", "sid", NULL };
	const struct spawn_opts o = { .path = self, .argv = argv, .flags = SPAWN_SETSID };
	(void)state;
	capture_ok(&o, out, sizeof(out));
	assert_int_equal(sscanf(out, "%d %d", &pid, &sid), 2);
	assert_int_equal(pid, sid);
}

/*
 * Detached, with SIGCHLD ignored as a host program may have it: the
 * program runs in a session of its own that it does not lead, is no
 * child of ours, and SIGCHLD is as the caller had it.
 */
static void test_spawn_start_detach(void **state)
{
	char out[64];
	int p[2], pid = 0, sid = -1;
	char *const argv[] = { "test_spawn", "sid", NULL };
	struct sigaction ign = { .sa_handler = SIG_IGN }, old, now;
	(void)state;
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	const int stdio[3] = { -1, p[1], -1 };
	const struct spawn_opts o = {
		.path = self, .argv = argv, .stdio = stdio, .flags = SPAWN_DETACH
	};
	assert_int_equal(sigaction(SIGCHLD, &ign, &old), 0);
	int r = spawn_start(&o, NULL, NULL);
	sigaction(SIGCHLD, NULL, &now);
	sigaction(SIGCHLD, &old, NULL);
	assert_int_equal(r, 0);
	assert_true(now.sa_handler == SIG_IGN);
	assert_no_child();
	close(p[1]);
	read_to_eof(p[0], out, sizeof(out));
	close(p[0]);
	assert_int_equal(sscanf(out, "%d %d", &pid, &sid), 2);
	assert_int_not_equal(pid, sid);
	assert_int_not_equal(sid, getsid(0));
}

/* spawn_start: errors -------------------------------------------------- */

static void test_spawn_start_missing_program(void **state)
{
	struct tw_err e = { 0 };
	pid_t pid = 12345;
	char *const argv[] = { "tw-missing", NULL };
	const struct spawn_opts o = { .path = "/nonexistent/tw-missing", .argv = argv };
	(void)state;
	assert_int_equal(spawn_start(&o, &e, &pid), -ENOENT);
	assert_int_equal(e.code, ENOENT);
	assert_string_equal(e.msg,
			    "cannot run '/nonexistent/tw-missing': No such file or directory");
	assert_int_equal(pid, 12345); /* not written */
	assert_no_child();
}

static void test_spawn_start_missing_program_detached(void **state)
{
	struct tw_err e = { 0 };
	char *const argv[] = { "tw-missing", NULL };
	const struct spawn_opts o = { .path = "/nonexistent/tw-missing",
				      .argv = argv,
				      .flags = SPAWN_DETACH };
	(void)state;
	assert_int_equal(spawn_start(&o, &e, NULL), -ENOENT);
	assert_string_equal(e.msg,
			    "cannot run '/nonexistent/tw-missing': No such file or directory");
	assert_no_child();
}

static void test_spawn_start_not_executable(void **state)
{
	struct tw_err e = { 0 };
	char *const argv[] = { "null", NULL };
	const struct spawn_opts o = { .path = "/dev/null", .argv = argv };
	(void)state;
	assert_int_equal(spawn_start(&o, &e, NULL), -EACCES);
	assert_non_null(strstr(e.msg, "'/dev/null'"));
	assert_no_child();
}

static void test_spawn_start_closed_fd(void **state)
{
	struct tw_err e = { 0 };
	char *const argv[] = { "true", NULL };
	const struct spawn_fd fds[] = { { .fd = 60, .at = 3 } }; /* not open */
	const struct spawn_opts o = { .path = "/bin/true", .argv = argv, .fds = fds, .n_fds = 1 };
	(void)state;
	assert_int_equal(fcntl(60, F_GETFD), -1);
	assert_int_equal(spawn_start(&o, &e, NULL), -EBADF);
	assert_non_null(strstr(e.msg, "passing it its fds"));
	assert_no_child();
}

static void test_spawn_start_bad_opts(void **state)
{
	struct tw_err e = { 0 };
	char *const argv[] = { "true", NULL };
	const struct spawn_fd low[] = { { .fd = 0, .at = 2 } };
	const struct spawn_fd high[] = { { .fd = 0, .at = SPAWN_FD_LIMIT } };
	const struct spawn_fd twice[] = { { .fd = 0, .at = 3 }, { .fd = 1, .at = 3 } };
	const struct spawn_opts bad[] = {
		{ .path = "true", .argv = argv },
		{ .path = NULL, .argv = argv },
		{ .path = "/bin/true", .argv = NULL },
		{ .path = "/bin/true", .argv = argv, .fds = low, .n_fds = 1 },
		{ .path = "/bin/true", .argv = argv, .fds = high, .n_fds = 1 },
		{ .path = "/bin/true", .argv = argv, .fds = twice, .n_fds = 2 },
		{ .path = "/bin/true", .argv = argv, .fds = twice, .n_fds = SPAWN_FDS_MAX + 1 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(spawn_start(&bad[i], &e, NULL), -EINVAL);
		assert_int_equal(e.code, EINVAL);
	}
	assert_no_child();
}

/* spawn_wait ----------------------------------------------------------- */

static pid_t start_sh(const char *script)
{
	pid_t pid;
	char *const argv[] = { "sh", "-c", (char *)script, NULL };
	const struct spawn_opts o = { .path = "/bin/sh", .argv = argv };
	assert_int_equal(spawn_start(&o, NULL, &pid), 0);
	return pid;
}

static void test_spawn_wait_exit_status(void **state)
{
	int st = -1;
	(void)state;
	assert_int_equal(spawn_wait(start_sh("exit 7"), -1, &st), 0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 7);
	assert_int_equal(spawn_wait(start_sh("exit 0"), 5000, &st), 0);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_no_child();
}

static void test_spawn_wait_signal_status(void **state)
{
	int st = -1;
	(void)state;
	assert_int_equal(spawn_wait(start_sh("kill -TERM $$"), 5000, &st), 0);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGTERM);
	assert_no_child();
}

static void test_spawn_wait_deadline_kills(void **state)
{
	int st = 12345;
	pid_t pid;
	char *const argv[] = { "sleep", "30", NULL };
	const struct spawn_opts o = { .path = "/bin/sleep", .argv = argv };
	(void)state;
	assert_int_equal(spawn_start(&o, NULL, &pid), 0);
	uint64_t t0 = util_now_ms();
	assert_int_equal(spawn_wait(pid, 200, &st), -ETIMEDOUT);
	uint64_t took = util_now_ms() - t0;
	assert_true(took >= 200 && took < 5000);
	/* Not written; killed and reaped. */
	assert_int_equal(st, 12345);
	assert_true(kill(pid, 0) < 0 && errno == ESRCH);
	assert_no_child();
}

/* A child that has ended already is reaped even with no time left. */
static void test_spawn_wait_deadline_zero_ended(void **state)
{
	int st = -1;
	siginfo_t si;
	(void)state;
	pid_t pid = start_sh("exit 3");
	assert_int_equal(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
	assert_int_equal(spawn_wait(pid, 0, &st), 0);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 3);
	assert_no_child();
}

/* No fd left for a pidfd: spawn_wait looks every 10 ms instead. */
static void test_spawn_wait_without_pidfd(void **state)
{
	struct rlimit old, low;
	int st = -1;
	(void)state;
	pid_t slow = start_sh("sleep 30");
	pid_t quick = start_sh("sleep 0.1; exit 4");
	int lowest = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(lowest >= 0);
	close(lowest);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = (rlim_t)lowest;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	assert_true(util_pidfd_open(quick) == -EMFILE);
	int r1 = spawn_wait(quick, 5000, &st);
	int r2 = spawn_wait(slow, 200, NULL);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	assert_int_equal(r1, 0);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 4);
	assert_int_equal(r2, -ETIMEDOUT);
	assert_no_child();
}

static void test_spawn_wait_bad_pid(void **state)
{
	(void)state;
	pid_t gone = start_sh("exit 0");
	assert_int_equal(spawn_wait(gone, -1, NULL), 0);
	assert_int_equal(spawn_wait(gone, -1, NULL), -ECHILD);
	assert_int_equal(spawn_wait(gone, 100, NULL), -ECHILD);
	assert_int_equal(spawn_wait(0, -1, NULL), -EINVAL);
	assert_int_equal(spawn_wait(-1, -1, NULL), -EINVAL);
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "fds") == 0)
		return helper_fds(argc > 2 ? atoi(argv[2]) : -1);
	if (argc == 2 && strcmp(argv[1], "sid") == 0) {
		printf("%d %d\n", (int)getpid(), (int)getsid(0));
		return 0;
	}
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return 1;
	self[n] = '\0';

	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spawn_start_empty_env),
		cmocka_unit_test(test_spawn_start_env_given),
		cmocka_unit_test(test_spawn_start_only_stdio),
		cmocka_unit_test(test_spawn_start_placed_fds),
		cmocka_unit_test(test_spawn_start_placed_fds_collide),
		cmocka_unit_test(test_spawn_start_stdio_given),
		cmocka_unit_test(test_spawn_start_caller_fds_untouched),
		cmocka_unit_test(test_spawn_start_signals_reset),
		cmocka_unit_test(test_spawn_start_setsid),
		cmocka_unit_test(test_spawn_start_detach),
		cmocka_unit_test(test_spawn_start_missing_program),
		cmocka_unit_test(test_spawn_start_missing_program_detached),
		cmocka_unit_test(test_spawn_start_not_executable),
		cmocka_unit_test(test_spawn_start_closed_fd),
		cmocka_unit_test(test_spawn_start_bad_opts),
		cmocka_unit_test(test_spawn_wait_exit_status),
		cmocka_unit_test(test_spawn_wait_signal_status),
		cmocka_unit_test(test_spawn_wait_deadline_kills),
		cmocka_unit_test(test_spawn_wait_deadline_zero_ended),
		cmocka_unit_test(test_spawn_wait_without_pidfd),
		cmocka_unit_test(test_spawn_wait_bad_pid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
