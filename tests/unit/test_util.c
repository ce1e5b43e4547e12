/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for common/base/util.c (cmocka). Run as root: util_mkdir_secure
 * checks ownership. Scratch files live in a fresh /run/tw-unit.XXXXXX per
 * test, removed again by the teardown.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cleanup.h"
#include "util.h"

/* Helpers ------------------------------------------------------------- */

struct fixture {
	char dir[64];
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
	strcpy(f->dir, "/run/tw-unit.XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int r = nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);

	free(f);
	return r;
}

/* f->dir "/" name, into buf. */
static const char *path_in(const struct fixture *f, const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", f->dir, name);

	assert_true(n > 0 && (size_t)n < len);
	return buf;
}

/* A pid that existed and is now gone: a child that exited and was reaped. */
static pid_t reaped_pid(void)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return pid;
}

static bool is_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	assert_true(fl >= 0);
	return fl & FD_CLOEXEC;
}

/* util_write_all / util_read_all --------------------------------------- */

static void test_util_write_all_read_all_pipe(void **state)
{
	enum { SIZE = 256 * 1024 }; /* larger than a pipe buffer: partial writes */
	/* Static, not malloc'd: the forked child must not own heap blocks (valgrind). */
	static unsigned char out[SIZE], in[SIZE];
	int p[2], status;

	(void)state;
	for (size_t i = 0; i < SIZE; i++)
		out[i] = (unsigned char)(i * 7 + i / 251);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		_exit(util_write_all(p[1], out, SIZE) == 0 ? 0 : 1);
	}
	close(p[1]);
	assert_int_equal(util_read_all(p[0], in, SIZE), 0);
	assert_memory_equal(in, out, SIZE);
	/* The writer is done and gone: one more byte is EOF. */
	assert_int_equal(util_read_all(p[0], in, 1), -EPIPE);
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_util_read_all_eof(void **state)
{
	char buf[8];
	int p[2];

	(void)state;
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(util_write_all(p[1], "abc", 3), 0);
	close(p[1]);
	/* Short by two bytes: EOF in the middle is -EPIPE. */
	assert_int_equal(util_read_all(p[0], buf, 5), -EPIPE);
	close(p[0]);
}

static void test_util_read_all_zero_len(void **state)
{
	int p[2];

	(void)state;
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(util_read_all(p[0], NULL, 0), 0); /* does not block */
	assert_int_equal(util_write_all(p[1], NULL, 0), 0);
	close(p[0]);
	close(p[1]);
}

static void test_util_write_all_closed_pipe(void **state)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	int p[2];

	(void)state;
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	close(p[0]);
	assert_int_equal(sigaction(SIGPIPE, &ign, &old), 0);
	int r = util_write_all(p[1], "x", 1);
	assert_int_equal(sigaction(SIGPIPE, &old, NULL), 0);
	close(p[1]);
	assert_int_equal(r, -EPIPE);
}

static void test_util_write_all_bad_fd(void **state)
{
	char c;

	(void)state;
	assert_int_equal(util_write_all(-1, "x", 1), -EBADF);
	assert_int_equal(util_read_all(-1, &c, 1), -EBADF);
}

/* util_random ---------------------------------------------------------- */

static void test_util_random_fills(void **state)
{
	unsigned char a[64], b[64], zero[64] = { 0 };

	(void)state;
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	assert_int_equal(util_random(a, sizeof(a)), 0);
	assert_int_equal(util_random(b, sizeof(b)), 0);
	assert_memory_not_equal(a, zero, sizeof(a));
	assert_memory_not_equal(a, b, sizeof(a));
	assert_int_equal(util_random(NULL, 0), 0);
}

static void test_util_random_large(void **state)
{
	size_t n = 1024 * 1024; /* more than one getrandom() call returns */
	unsigned char *buf = calloc(1, n);
	size_t zeros = 0;

	(void)state;
	assert_non_null(buf);
	assert_int_equal(util_random(buf, n), 0);
	for (size_t i = n - 4096; i < n; i++)
		zeros += buf[i] == 0;
	assert_true(zeros < 200); /* the tail was written too (~16 expected) */
	free(buf);
}

/* util_read_capped ----------------------------------------------------- */

/* An unlinked file of N 'x' bytes, at offset 0. */
static int sized_fd(size_t n)
{
	static char chunk[4096];
	int fd = memfd_create("tw-unit", MFD_CLOEXEC);

	assert_true(fd >= 0);
	memset(chunk, 'x', sizeof(chunk));
	for (size_t done = 0; done < n;) {
		size_t k = n - done < sizeof(chunk) ? n - done : sizeof(chunk);
		assert_int_equal(write(fd, chunk, k), (ssize_t)k);
		done += k;
	}
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static void test_util_read_capped_caps(void **state)
{
	static const struct {
		size_t size, max;
		int want;
	} cases[] = {
		{ 0, 0, 0 },
		{ 1, 0, -EFBIG },
		{ 100, 100, 0 },
		{ 101, 100, -EFBIG },
		{ 4096, 4096, 0 },
		{ 4097, 4096, -EFBIG },
		{ 4096, 4095, -EFBIG },
		{ 10000, 10000, 0 },
		{ 10001, 10000, -EFBIG },
		{ 100000, 65536, -EFBIG },
		{ 100000, 1 << 20, 0 },
		{ 8192, 8193, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *buf = NULL;
		size_t len = 12345;
		int fd = sized_fd(cases[i].size);
		int r = util_read_capped(fd, cases[i].max, &buf, &len);
		close(fd);
		assert_int_equal(r, cases[i].want);
		if (r == 0) {
			assert_int_equal(len, cases[i].size);
			assert_int_equal(buf[len], '\0');
			assert_int_equal(strspn(buf, "x"), len);
			free(buf);
		} else {
			assert_null(buf); /* outputs untouched on failure */
			assert_int_equal(len, 12345);
		}
	}
}

static void test_util_read_capped_pipe(void **state)
{
	char *buf = NULL;
	size_t len;
	int p[2];

	(void)state;
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(write(p[1], "abc", 3), 3);
	close(p[1]);
	assert_int_equal(util_read_capped(p[0], 3, &buf, &len), 0);
	close(p[0]);
	assert_int_equal(len, 3);
	assert_string_equal(buf, "abc");
	free(buf);

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(write(p[1], "abcd", 4), 4);
	close(p[1]);
	buf = NULL;
	assert_int_equal(util_read_capped(p[0], 3, &buf, &len), -EFBIG);
	assert_null(buf);
	close(p[0]);
}

/* Bytes are bytes: a NUL inside is kept and counted (the config parser refuses it itself). */
static void test_util_read_capped_nul_inside(void **state)
{
	char *buf = NULL;
	size_t len;
	int p[2];

	(void)state;
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(write(p[1], "a\0b", 3), 3);
	close(p[1]);
	assert_int_equal(util_read_capped(p[0], 100, &buf, &len), 0);
	close(p[0]);
	assert_int_equal(len, 3);
	assert_memory_equal(buf, "a\0b", 4);
	free(buf);
}

static void test_util_read_capped_bad_fd(void **state)
{
	char *buf = NULL;
	size_t len;

	(void)state;
	assert_int_equal(util_read_capped(-1, 100, &buf, &len), -EBADF);
	assert_null(buf);
}

/* util_proc_starttime / util_proc_alive -------------------------------- */

/* Field 22 of /proc/PID/stat, parsed independently of util.c. */
static uint64_t starttime_of(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "re");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	assert_non_null(p);
	p += 2; /* field 3 */
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		assert_non_null(p);
		p++;
	}
	return strtoull(p, NULL, 10);
}

static void test_util_proc_starttime_self(void **state)
{
	uint64_t st = 0;

	(void)state;
	assert_int_equal(util_proc_starttime(getpid(), &st), 0);
	assert_true(st > 0);
	assert_int_equal(st, starttime_of(getpid()));
}

static void test_util_proc_starttime_reaped_child(void **state)
{
	uint64_t st = 12345;

	(void)state;
	assert_int_equal(util_proc_starttime(reaped_pid(), &st), -ENOENT);
	assert_int_equal(st, 12345); /* untouched on failure */
}

static void test_util_proc_starttime_bad_pid(void **state)
{
	uint64_t st = 12345;

	(void)state;
	assert_true(util_proc_starttime(0, &st) < 0);
	assert_true(util_proc_starttime(-1, &st) < 0);
	assert_true(util_proc_starttime(-2147483647 - 1, &st) < 0);
	assert_int_equal(st, 12345);
}

/* A comm with spaces and ')' must not shift the fields. */
static void test_util_proc_starttime_odd_comm(void **state)
{
	int p[2], q[2], status;
	char c;
	uint64_t st = 0;

	(void)state;
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(pipe2(q, O_CLOEXEC), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_NAME, "a) 1 2 3 ) x y");
		(void)!write(p[1], "r", 1);
		(void)!read(q[0], &c, 1); /* wait until the parent has looked */
		_exit(0);
	}
	assert_int_equal(read(p[0], &c, 1), 1);
	assert_int_equal(util_proc_starttime(pid, &st), 0);
	assert_int_equal(st, starttime_of(pid));
	assert_true(util_proc_alive(pid, st));
	assert_int_equal(write(q[1], "g", 1), 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_false(util_proc_alive(pid, st));
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
}

static void test_util_proc_alive_self(void **state)
{
	uint64_t st;

	(void)state;
	assert_int_equal(util_proc_starttime(getpid(), &st), 0);
	assert_true(util_proc_alive(getpid(), st));
}

static void test_util_proc_alive_wrong_starttime(void **state)
{
	uint64_t st;

	(void)state;
	assert_int_equal(util_proc_starttime(getpid(), &st), 0);
	assert_false(util_proc_alive(getpid(), st + 1));
	assert_false(util_proc_alive(getpid(), 0));
}

static void test_util_proc_alive_reaped_child(void **state)
{
	uint64_t st;

	(void)state;
	assert_int_equal(util_proc_starttime(getpid(), &st), 0);
	assert_false(util_proc_alive(reaped_pid(), st));
}

static void test_util_proc_alive_zombie(void **state)
{
	uint64_t st;
	siginfo_t si;

	(void)state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	/* Wait for the exit without reaping: the child stays a zombie. */
	assert_int_equal(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
	assert_int_equal(util_proc_starttime(pid, &st), 0);
	assert_false(util_proc_alive(pid, st));
	assert_int_equal(waitpid(pid, NULL, 0), pid);
}

static void test_util_proc_alive_bad_pid(void **state)
{
	uint64_t st;

	(void)state;
	assert_int_equal(util_proc_starttime(1, &st), 0);
	assert_false(util_proc_alive(0, st));
	assert_false(util_proc_alive(-1, st));
}

/* util_sanitize -------------------------------------------------------- */

static void test_util_sanitize_printable(void **state)
{
	char out[64];

	(void)state;
	util_sanitize(out, sizeof(out), "Hello, World! ~{}");
	assert_string_equal(out, "Hello, World! ~{}");
}

static void test_util_sanitize_control_and_non_ascii(void **state)
{
	char out[64];

	(void)state;
	util_sanitize(out, sizeof(out), "a\nb\tc\x1b[0m\x7f\xc3\xa9\xff");
	assert_string_equal(out, "a?b?c?[0m????");
}

static void test_util_sanitize_truncates(void **state)
{
	char area[16];

	(void)state;
	memset(area, 0x5a, sizeof(area));
	util_sanitize(area, 4, "abcdef");
	assert_string_equal(area, "abc");
	for (size_t i = 4; i < sizeof(area); i++)
		assert_int_equal((unsigned char)area[i], 0x5a);
	util_sanitize(area, 1, "abcdef");
	assert_string_equal(area, "");
	assert_int_equal((unsigned char)area[1], 'b');
}

static void test_util_sanitize_zero_size(void **state)
{
	char area[4];

	(void)state;
	memset(area, 0x5a, sizeof(area));
	util_sanitize(area, 0, "abc");
	for (size_t i = 0; i < sizeof(area); i++)
		assert_int_equal((unsigned char)area[i], 0x5a);
}

static void test_util_sanitize_null_src(void **state)
{
	char out[8] = "xxxxxxx";

	(void)state;
	util_sanitize(out, sizeof(out), NULL);
	assert_string_equal(out, "");
}

/* The count of bytes taken says whether the copy was cut (config's "..."). */
static void test_util_sanitize_returns_taken(void **state)
{
	char out[8];

	(void)state;
	assert_int_equal(util_sanitize(out, sizeof(out), "abc"), 3);
	assert_int_equal(util_sanitize(out, sizeof(out), "a\nbcdefgh"), 7);
	assert_string_equal(out, "a?bcdef");
	assert_int_equal(util_sanitize(out, sizeof(out), ""), 0);
	assert_int_equal(util_sanitize(out, sizeof(out), NULL), 0);
	assert_int_equal(util_sanitize(out, 0, "abc"), 0);
	assert_int_equal(util_sanitize(out, 1, "abc"), 0);
	assert_string_equal(out, "");
}

/* util_kv_get ---------------------------------------------------------- */

static const char kv_text[] = "username=bob\n"
			      "user=alice\n"
			      "other=user=mallory\n"
			      "empty=\n"
			      "last=end";

static void test_util_kv_get_found(void **state)
{
	char buf[32];

	(void)state;
	assert_int_equal(util_kv_get(kv_text, "username", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "bob");
	assert_int_equal(util_kv_get(kv_text, "other", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "user=mallory");
	assert_int_equal(util_kv_get(kv_text, "last", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "end"); /* no trailing newline */
	assert_int_equal(util_kv_get(kv_text, "empty", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
}

static void test_util_kv_get_absent(void **state)
{
	char buf[32] = "untouched";

	(void)state;
	assert_int_equal(util_kv_get(kv_text, "nothere", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(util_kv_get("", "user", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(util_kv_get(NULL, "user", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(util_kv_get("user\n", "user", buf, sizeof(buf)), -ENOENT);
	assert_string_equal(buf, "untouched");
}

static void test_util_kv_get_prefix_not_matched(void **state)
{
	char buf[32];

	(void)state;
	/* "user" is a prefix of "username", listed first: the real "user" wins. */
	assert_int_equal(util_kv_get(kv_text, "user", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "alice");
	/* Only as a prefix: absent. */
	assert_int_equal(util_kv_get("username=bob\n", "user", buf, sizeof(buf)), -ENOENT);
	/* "name" occurs inside a line, not at its start: absent. */
	assert_int_equal(util_kv_get("username=bob\n", "name", buf, sizeof(buf)), -ENOENT);
	/* A key named in a value is not a key. */
	assert_int_equal(util_kv_get("other=user=x\n", "user", buf, sizeof(buf)), -ENOENT);
}

static void test_util_kv_get_too_long(void **state)
{
	char buf[8] = "untouch";

	(void)state;
	assert_int_equal(util_kv_get("k=12345678\n", "k", buf, sizeof(buf)), -ENAMETOOLONG);
	assert_string_equal(buf, "untouch");
	/* 7 characters and the NUL fit exactly. */
	assert_int_equal(util_kv_get("k=1234567\n", "k", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1234567");
	assert_int_equal(util_kv_get("k=\n", "k", buf, 0), -ENAMETOOLONG);
}

/* util_strscpy --------------------------------------------------------- */

/* Room for one more: the same array while it has it, doubled when full. */
static void test_util_grow(void **state)
{
	size_t cap = 0;
	int *a = NULL;

	(void)state;
	for (size_t n = 0; n < 9; n++) {
		int *g = util_grow(a, &cap, n, sizeof(*g), 4);
		assert_non_null(g);
		if (n < 4 && a)
			assert_ptr_equal(g, a);
		a = g;
		a[n] = (int)n;
	}
	assert_int_equal(cap, 16);
	for (int i = 0; i < 9; i++)
		assert_int_equal(a[i], i);
	free(a);
}

static void test_util_strscpy_fits(void **state)
{
	char buf[4];

	(void)state;
	assert_int_equal(util_strscpy(buf, sizeof(buf), "abc"), 0); /* 3 and the NUL */
	assert_string_equal(buf, "abc");
	assert_int_equal(util_strscpy(buf, sizeof(buf), ""), 0);
	assert_string_equal(buf, "");
}

static void test_util_strscpy_too_long(void **state)
{
	char buf[4] = "old";

	(void)state;
	assert_int_equal(util_strscpy(buf, sizeof(buf), "abcd"), -ENAMETOOLONG);
	assert_string_equal(buf, "old"); /* untouched */
	assert_int_equal(util_strscpy(buf, 0, ""), -ENAMETOOLONG);
	assert_string_equal(buf, "old");
}

/* util_hex / util_unhex ------------------------------------------------ */

static void test_util_hex_round_trip(void **state)
{
	const unsigned char raw[] = { 0x00, 0x0a, 0x7f, 0x80, 0xff, 'a' };
	unsigned char back[sizeof(raw)] = { 0 };
	char hex[2 * sizeof(raw) + 1];

	(void)state;
	util_hex(raw, sizeof(raw), hex);
	assert_string_equal(hex, "000a7f80ff61");
	assert_int_equal(util_unhex(hex, back, sizeof(back)), sizeof(raw));
	assert_memory_equal(back, raw, sizeof(raw));
	util_hex(raw, 0, hex);
	assert_string_equal(hex, "");
	assert_int_equal(util_unhex("", back, sizeof(back)), 0);
}

static void test_util_unhex_bad(void **state)
{
	static const char *const bad[] = { "0", "abc", "0G", "AB", " 0", "0x", "-1", NULL };
	unsigned char out[4] = { 7, 7, 7, 7 };

	(void)state;
	for (size_t i = 0; bad[i]; i++)
		assert_int_equal(util_unhex(bad[i], out, sizeof(out)), -EINVAL);
	/* More than fits is refused whole, not cut. */
	assert_int_equal(util_unhex("0102030405", out, sizeof(out)), -EINVAL);
	assert_int_equal(util_unhex("01020304", out, sizeof(out)), 4);
}

/* util_parse_u64 / util_fd_name ---------------------------------------- */

static void test_util_parse_u64_whole(void **state)
{
	uint64_t v = 7;

	(void)state;
	assert_int_equal(util_parse_u64("0", 10, NULL, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(util_parse_u64("18446744073709551615", UINT64_MAX, NULL, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(util_parse_u64("10", 10, NULL, &v), 0);
	assert_int_equal(v, 10);
}

static void test_util_parse_u64_bad(void **state)
{
	static const char *const bad[] = { "", " 1", "+1", "-1", "1 ", "1x", "x", "0x10", NULL };
	uint64_t v = 7;

	(void)state;
	for (size_t i = 0; bad[i]; i++)
		assert_int_equal(util_parse_u64(bad[i], UINT64_MAX, NULL, &v), -EINVAL);
	assert_int_equal(v, 7); /* untouched */
}

static void test_util_parse_u64_range(void **state)
{
	uint64_t v = 7;

	(void)state;
	assert_int_equal(util_parse_u64("11", 10, NULL, &v), -ERANGE);
	assert_int_equal(util_parse_u64("18446744073709551616", UINT64_MAX, NULL, &v), -ERANGE);
	assert_int_equal(util_parse_u64("99999999999999999999999", UINT64_MAX, NULL, &v), -ERANGE);
	assert_int_equal(v, 7);
}

static void test_util_parse_u64_end(void **state)
{
	const char *end = NULL;
	uint64_t v;

	(void)state;
	assert_int_equal(util_parse_u64("123:45", UINT64_MAX, &end, &v), 0);
	assert_int_equal(v, 123);
	assert_string_equal(end, ":45");
	assert_int_equal(util_parse_u64("9", UINT64_MAX, &end, &v), 0);
	assert_string_equal(end, "");
	assert_int_equal(util_parse_u64(":1", UINT64_MAX, &end, &v), -EINVAL);
}

/* How the callers read /proc and cgroup fields: digits up to a blank, then the next. */
static void test_util_parse_u64_fields(void **state)
{
	const char *end = NULL, *line = "4242\t1\n";
	uint64_t v;

	(void)state;
	assert_int_equal(util_parse_u64(line, INT32_MAX, &end, &v), 0);
	assert_int_equal(v, 4242);
	assert_int_equal(*end, '\t');
	assert_int_equal(util_parse_u64(end + 1, INT32_MAX, &end, &v), 0);
	assert_int_equal(v, 1);
	assert_string_equal(end, "\n");
	assert_int_equal(util_parse_u64("007", 7, NULL, &v), 0); /* leading zeros */
	assert_int_equal(v, 7);
	assert_int_equal(util_parse_u64("6.1.0-18-amd64", UINT64_MAX, &end, &v), 0);
	assert_int_equal(v, 6);
	assert_string_equal(end, ".1.0-18-amd64");
	assert_int_equal(util_parse_u64("max\n", UINT64_MAX, &end, &v), -EINVAL);
}

/* util_list_dir / _cleanup_closedir_ ----------------------------------- */

/* The number of entries a stream lists. */
static size_t count_entries(DIR *d)
{
	size_t n = 0;
	while (readdir(d))
		n++;
	return n;
}

static void test_util_list_dir_keeps_fd(void **state)
{
	int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = NULL;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(util_list_dir(fd, &d), 0);
	assert_non_null(d);
	assert_true(dirfd(d) != fd);
	assert_true(fcntl(dirfd(d), F_GETFD) & FD_CLOEXEC);
	size_t n = count_entries(d);
	assert_true(n >= 3); /* ".", ".." and something */
	closedir(d);
	assert_true(fcntl(fd, F_GETFD) >= 0); /* still open, still ours */
	/* A second listing of the same fd starts from the start again. */
	assert_int_equal(util_list_dir(fd, &d), 0);
	assert_int_equal(count_entries(d), n);
	closedir(d);
	close(fd);
}

/* Not a directory: nothing is written to ret, fd stays open, no fd is left behind. */
static void test_util_list_dir_not_a_dir(void **state)
{
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	DIR *d = (DIR *)&fd;

	(void)state;
	assert_true(fd >= 0);
	int spare = dup(0);
	assert_true(spare >= 0);
	close(spare); /* the lowest free fd: the duplicate's number */
	assert_int_equal(util_list_dir(fd, &d), -ENOTDIR);
	assert_ptr_equal(d, (DIR *)&fd);
	assert_true(fcntl(fd, F_GETFD) >= 0);
	assert_int_equal(fcntl(spare, F_GETFD), -1); /* the duplicate went again */
	close(fd);
}

static void test_util_list_dir_bad_fd(void **state)
{
	DIR *d = NULL;

	(void)state;
	assert_int_equal(util_list_dir(-EBADF, &d), -EBADF);
	assert_null(d);
}

static void test_util_cleanup_closedir(void **state)
{
	int raw;

	(void)state;
	{
		_cleanup_closedir_ DIR *d = opendir("/");
		assert_non_null(d);
		raw = dirfd(d);
		assert_true(fcntl(raw, F_GETFD) >= 0);
	}
	assert_int_equal(fcntl(raw, F_GETFD), -1); /* closed at the end of the scope */
	{
		_cleanup_closedir_ DIR *none = NULL; /* NULL is fine */
		errno = ENOENT;
		(void)none;
	}
	assert_int_equal(errno, ENOENT);
}

static void test_util_fd_name(void **state)
{
	(void)state;
	assert_int_equal(util_fd_name("0"), 0);
	assert_int_equal(util_fd_name("42"), 42);
	assert_int_equal(util_fd_name("2147483647"), 2147483647);
	assert_int_equal(util_fd_name("2147483648"), -ERANGE);
	assert_int_equal(util_fd_name("."), -EINVAL);
	assert_int_equal(util_fd_name(".."), -EINVAL);
	assert_int_equal(util_fd_name("-1"), -EINVAL);
	assert_int_equal(util_fd_name(""), -EINVAL);
}

/*
 * util_pty_raw: what is written to the master before anyone opened the
 * slave comes out of the slave as it was (no ^C taken as a signal, no line
 * held back) and is not echoed; the size is set.
 */
static void test_util_pty_raw(void **state)
{
	static const char sent[] = "ab\003\025c";
	char pts[64], got[16];
	struct winsize ws;
	_cleanup_close_ int master = -EBADF;
	(void)state;

	assert_int_equal(util_pty_raw(30, 100, &master, pts, sizeof(pts)), 0);
	assert_true(fcntl(master, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(write(master, sent, sizeof(sent) - 1), (ssize_t)sizeof(sent) - 1);
	_cleanup_close_ int slave = open(pts, O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(slave >= 0);
	struct pollfd p = { .fd = slave, .events = POLLIN };
	assert_int_equal(poll(&p, 1, 2000), 1);
	assert_int_equal(read(slave, got, sizeof(got)), (ssize_t)sizeof(sent) - 1);
	assert_memory_equal(got, sent, sizeof(sent) - 1);
	p.fd = master; /* an echo would be there by now: the slave has read */
	assert_int_equal(poll(&p, 1, 100), 0);
	assert_int_equal(ioctl(slave, TIOCGWINSZ, &ws), 0);
	assert_int_equal(ws.ws_row, 30);
	assert_int_equal(ws.ws_col, 100);
}

/* util_lock_wait ------------------------------------------------------- */

static void test_util_lock_wait_excludes(void **state)
{
	struct fixture *f = *state;
	char p[128];
	struct stat st;

	path_in(f, "lock", p, sizeof(p));
	int a = util_lock_wait(p, 0);
	assert_true(a >= 0);
	assert_true(is_cloexec(a));
	assert_int_equal(fstat(a, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* A second holder (its own open file) waits its time out, then gives up. */
	uint64_t t = util_now_ms();
	assert_int_equal(util_lock_wait(p, 100), -ETIMEDOUT);
	assert_true(util_now_ms() - t >= 100);
	close(a);
	int b = util_lock_wait(p, 0);
	assert_true(b >= 0);
	close(b);
}

static void test_util_lock_wait_holder_died(void **state)
{
	struct fixture *f = *state;
	char p[128];
	int go[2];

	path_in(f, "lock", p, sizeof(p));
	assert_int_equal(pipe2(go, O_CLOEXEC), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = util_lock_wait(p, 0);
		char c = 'x';
		(void)!write(go[1], &c, 1);
		pause(); /* killed holding it */
		_exit(fd < 0);
	}
	char c;
	assert_int_equal(read(go[0], &c, 1), 1);
	assert_int_equal(util_lock_wait(p, 50), -ETIMEDOUT);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	int fd = util_lock_wait(p, 1000);
	assert_true(fd >= 0);
	close(fd);
	close(go[0]);
	close(go[1]);
}

static void test_util_lock_wait_symlink(void **state)
{
	struct fixture *f = *state;
	char p[128], target[128];

	path_in(f, "target", target, sizeof(target));
	path_in(f, "link", p, sizeof(p));
	assert_int_equal(symlink(target, p), 0);
	assert_int_equal(util_lock_wait(p, 0), -ELOOP);
	assert_int_equal(access(target, F_OK), -1); /* nothing made through it */
}

static void test_util_lock_wait_missing_dir(void **state)
{
	struct fixture *f = *state;
	char p[128];

	path_in(f, "none/lock", p, sizeof(p));
	assert_int_equal(util_lock_wait(p, 0), -ENOENT);
}

/* util_mkdir_secure ---------------------------------------------------- */

static void test_util_mkdir_secure_creates(void **state)
{
	struct fixture *f = *state;
	char p[128];
	struct stat st;
	int fd = -1;

	path_in(f, "d", p, sizeof(p));
	mode_t old = umask(0077); /* the mode must not depend on the umask */
	int r = util_mkdir_secure(p, 0711, &fd);
	umask(old);
	assert_int_equal(r, 0);
	assert_true(fd >= 0);
	assert_true(is_cloexec(fd));
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0711);
	assert_int_equal(st.st_uid, 0);
	struct stat ps;
	assert_int_equal(lstat(p, &ps), 0);
	assert_int_equal(ps.st_ino, st.st_ino);
	close(fd);

	/* Again, without asking for the fd: it exists, fine. */
	assert_int_equal(util_mkdir_secure(p, 0711, NULL), 0);
}

static void test_util_mkdir_secure_fixes_mode(void **state)
{
	struct fixture *f = *state;
	char p[128];
	struct stat st;

	path_in(f, "loose", p, sizeof(p));
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(chmod(p, 0777), 0);
	assert_int_equal(util_mkdir_secure(p, 0700, NULL), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	/* A sticky, setgid, world-writable one too. */
	assert_int_equal(chmod(p, 03777), 0);
	assert_int_equal(util_mkdir_secure(p, 0711, NULL), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0711);
}

static void test_util_mkdir_secure_not_root_owned(void **state)
{
	struct fixture *f = *state;
	char p[128];
	struct stat st;
	int fd = -77;

	path_in(f, "theirs", p, sizeof(p));
	assert_int_equal(mkdir(p, 0777), 0);
	assert_int_equal(chmod(p, 0777), 0);
	assert_int_equal(chown(p, 65534, 0), 0);
	assert_int_equal(util_mkdir_secure(p, 0700, &fd), -EPERM);
	assert_int_equal(fd, -77);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0777); /* left alone */
}

static void test_util_mkdir_secure_symlink(void **state)
{
	struct fixture *f = *state;
	char target[128], link[128];
	struct stat st;
	int fd = -77;

	path_in(f, "real", target, sizeof(target));
	path_in(f, "link", link, sizeof(link));
	assert_int_equal(mkdir(target, 0700), 0);
	assert_int_equal(chmod(target, 0777), 0);
	assert_int_equal(symlink(target, link), 0);
	assert_true(util_mkdir_secure(link, 0711, &fd) < 0);
	assert_int_equal(fd, -77);
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0777); /* not chmodded through the link */
	/* A dangling symlink is refused as well, and nothing is created. */
	assert_int_equal(unlink(link), 0);
	assert_int_equal(rmdir(target), 0);
	assert_int_equal(symlink(target, link), 0);
	assert_true(util_mkdir_secure(link, 0711, NULL) < 0);
	assert_int_equal(lstat(target, &st), -1);
}

static void test_util_mkdir_secure_not_a_dir(void **state)
{
	struct fixture *f = *state;
	char p[128];

	path_in(f, "file", p, sizeof(p));
	int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(util_mkdir_secure(p, 0700, NULL), -ENOTDIR);
}

static void test_util_mkdir_secure_missing_parent(void **state)
{
	struct fixture *f = *state;
	char p[128];

	path_in(f, "no/such", p, sizeof(p));
	assert_int_equal(util_mkdir_secure(p, 0700, NULL), -ENOENT);
}

/* util_cloexec_from ---------------------------------------------------- */

static void test_util_cloexec_from_marks(void **state)
{
	(void)state;
	int a = open("/dev/null", O_RDONLY);
	int b = open("/dev/null", O_RDONLY);
	int c = open("/dev/null", O_RDONLY);
	assert_true(a >= 0 && b > a && c > b);
	assert_false(is_cloexec(a));
	assert_int_equal(util_cloexec_from(b), 0);
	assert_false(is_cloexec(a)); /* below: untouched */
	assert_true(is_cloexec(b));
	assert_true(is_cloexec(c));
	close(a);
	close(b);
	close(c);
}

/* util_reset_signals --------------------------------------------------- */

/* In a child: the test's own handlers (cmocka's) must survive. */
static void test_util_reset_signals_defaults(void **state)
{
	int status;

	(void)state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sigaction ign = { .sa_handler = SIG_IGN }, cur;
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, SIGUSR2);
		sigaddset(&set, SIGTERM);
		if (sigaction(SIGUSR1, &ign, NULL) < 0 || sigaction(SIGCHLD, &ign, NULL) < 0 ||
		    sigprocmask(SIG_BLOCK, &set, NULL) < 0)
			_exit(2);
		util_reset_signals();
		if (sigaction(SIGUSR1, NULL, &cur) < 0 || cur.sa_handler != SIG_DFL)
			_exit(3);
		if (sigaction(SIGCHLD, NULL, &cur) < 0 || cur.sa_handler != SIG_DFL)
			_exit(4);
		if (sigprocmask(SIG_SETMASK, NULL, &set) < 0 || sigismember(&set, SIGUSR2) ||
		    sigismember(&set, SIGTERM))
			_exit(5);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* util_now_ms / util_pidfd_open ---------------------------------------- */

static void test_util_now_ms_monotonic(void **state)
{
	(void)state;
	uint64_t a = util_now_ms();
	usleep(20 * 1000);
	uint64_t b = util_now_ms();
	assert_true(b >= a + 20);
}

/*
 * valgrind 3.19 does not know pidfd_open (syscall 434) and fails it with
 * ENOSYS; util_pidfd_open must then pass that on. Natively, the real checks run.
 */
static bool pidfd_supported(void)
{
	int fd = (int)syscall(SYS_pidfd_open, getpid(), 0);

	if (fd >= 0)
		close(fd);
	return !(fd < 0 && errno == ENOSYS);
}

static void test_util_pidfd_open_self(void **state)
{
	(void)state;
	int fd = util_pidfd_open(getpid());
	if (!pidfd_supported()) {
		assert_int_equal(fd, -ENOSYS);
		return;
	}
	assert_true(fd >= 0);
	assert_true(is_cloexec(fd));
	close(fd);
}

static void test_util_pidfd_open_bad_pid(void **state)
{
	(void)state;
	if (!pidfd_supported()) {
		assert_int_equal(util_pidfd_open(-1), -ENOSYS);
		return;
	}
	assert_int_equal(util_pidfd_open(reaped_pid()), -ESRCH);
	assert_int_equal(util_pidfd_open(-1), -EINVAL);
	assert_int_equal(util_pidfd_open(0), -EINVAL);
}

/* A pidfd's signal reaches its process while it lives, and no other once it is reaped. */
static void test_util_pidfd_signal(void **state)
{
	(void)state;
	if (!pidfd_supported()) {
		assert_int_equal(util_pidfd_signal(-1, 0), -ENOSYS);
		return;
	}
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		pause();
		_exit(0);
	}
	int fd = util_pidfd_open(pid), st;
	assert_true(fd >= 0);
	assert_int_equal(util_pidfd_signal(fd, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	/* Reaped: the pid may be anyone's now, the pidfd is still its own. */
	assert_int_equal(util_pidfd_signal(fd, SIGKILL), -ESRCH);
	close(fd);
	assert_int_equal(util_pidfd_signal(-1, SIGKILL), -EBADF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_util_write_all_read_all_pipe),
		cmocka_unit_test(test_util_read_all_eof),
		cmocka_unit_test(test_util_read_all_zero_len),
		cmocka_unit_test(test_util_write_all_closed_pipe),
		cmocka_unit_test(test_util_write_all_bad_fd),
		cmocka_unit_test(test_util_random_fills),
		cmocka_unit_test(test_util_random_large),
		cmocka_unit_test(test_util_read_capped_caps),
		cmocka_unit_test(test_util_read_capped_pipe),
		cmocka_unit_test(test_util_read_capped_nul_inside),
		cmocka_unit_test(test_util_read_capped_bad_fd),
		cmocka_unit_test(test_util_proc_starttime_self),
		cmocka_unit_test(test_util_proc_starttime_reaped_child),
		cmocka_unit_test(test_util_proc_starttime_bad_pid),
		cmocka_unit_test(test_util_proc_starttime_odd_comm),
		cmocka_unit_test(test_util_proc_alive_self),
		cmocka_unit_test(test_util_proc_alive_wrong_starttime),
		cmocka_unit_test(test_util_proc_alive_reaped_child),
		cmocka_unit_test(test_util_proc_alive_zombie),
		cmocka_unit_test(test_util_proc_alive_bad_pid),
		cmocka_unit_test(test_util_sanitize_printable),
		cmocka_unit_test(test_util_sanitize_control_and_non_ascii),
		cmocka_unit_test(test_util_sanitize_truncates),
		cmocka_unit_test(test_util_sanitize_zero_size),
		cmocka_unit_test(test_util_sanitize_null_src),
		cmocka_unit_test(test_util_sanitize_returns_taken),
		cmocka_unit_test(test_util_kv_get_found),
		cmocka_unit_test(test_util_kv_get_absent),
		cmocka_unit_test(test_util_kv_get_prefix_not_matched),
		cmocka_unit_test(test_util_kv_get_too_long),
		cmocka_unit_test(test_util_grow),
		cmocka_unit_test(test_util_strscpy_fits),
		cmocka_unit_test(test_util_strscpy_too_long),
		cmocka_unit_test(test_util_hex_round_trip),
		cmocka_unit_test(test_util_unhex_bad),
		cmocka_unit_test(test_util_parse_u64_whole),
		cmocka_unit_test(test_util_parse_u64_bad),
		cmocka_unit_test(test_util_parse_u64_range),
		cmocka_unit_test(test_util_parse_u64_end),
		cmocka_unit_test(test_util_parse_u64_fields),
		cmocka_unit_test(test_util_list_dir_keeps_fd),
		cmocka_unit_test(test_util_list_dir_not_a_dir),
		cmocka_unit_test(test_util_list_dir_bad_fd),
		cmocka_unit_test(test_util_cleanup_closedir),
		cmocka_unit_test(test_util_fd_name),
		cmocka_unit_test(test_util_pty_raw),
		cmocka_unit_test_setup_teardown(test_util_mkdir_secure_creates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_util_mkdir_secure_fixes_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_util_mkdir_secure_not_root_owned, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_util_mkdir_secure_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_util_mkdir_secure_not_a_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_util_mkdir_secure_missing_parent, setup,
						teardown),
		cmocka_unit_test(test_util_cloexec_from_marks),
		cmocka_unit_test(test_util_reset_signals_defaults),
		cmocka_unit_test(test_util_now_ms_monotonic),
		cmocka_unit_test(test_util_pidfd_open_self),
		cmocka_unit_test(test_util_pidfd_open_bad_pid),
		cmocka_unit_test(test_util_pidfd_signal),
		cmocka_unit_test_setup_teardown(test_util_lock_wait_excludes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_util_lock_wait_holder_died, setup, teardown),
		cmocka_unit_test_setup_teardown(test_util_lock_wait_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_util_lock_wait_missing_dir, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
