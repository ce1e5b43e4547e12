/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for common/copy/lxd/seccomp.c (cmocka): the rules of a
 * liblxc seccomp profile as LXD takes them (without the header LXD writes
 * itself), the project's own profile among them, and every profile that
 * must be refused, with the reason.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "seccomp.h"

#define RULES "reject_force_umount\n[all]\nkeyctl errno 38\n"

static void test_lxd_seccomp_rules(void **state)
{
	(void)state;
	assert_string_equal(lxd_seccomp_rules("2\ndenylist\n" RULES), RULES);
	assert_string_equal(lxd_seccomp_rules("2\ndenylist\n"), "");
}

/* Only what LXD's own header ("2\ndenylist\n") can stand for. */
static void test_lxd_seccomp_rules_refused(void **state)
{
	static const char *const bad[] = {
		"",
		"2",
		"2\n",
		"2\ndenylist",
		"1\ndenylist\n" RULES,
		"20\ndenylist\n" RULES,
		"2\nallowlist\n" RULES,
		"2\ndenylist extra\n" RULES,
		" 2\ndenylist\n" RULES,
		"2\r\ndenylist\n" RULES,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_null(lxd_seccomp_rules(bad[i]));
}

/* A temporary file holding TEXT; its path in PATH. */
static void write_temp(char path[64], const char *text)
{
	snprintf(path, 64, "/tmp/tw-test-seccomp.XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void test_lxd_seccomp_read(void **state)
{
	char path[64];
	char *rules = NULL;
	struct tw_err err = { 0 };

	(void)state;
	write_temp(path, "2\ndenylist\n" RULES);
	assert_int_equal(lxd_seccomp_read(path, &rules, &err), 0);
	assert_string_equal(rules, RULES);
	free(rules);
	rules = NULL;

	/* A bad profile: its path and why; nothing returned. */
	write_temp(path, "2\nallowlist\n" RULES);
	assert_int_equal(lxd_seccomp_read(path, &rules, &err), -EINVAL);
	assert_null(rules);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, "\"denylist\""));
	unlink(path);
}

/* The project's own profile (the tests run in the source tree). */
static void test_lxd_seccomp_read_project(void **state)
{
	char *rules = NULL;
	struct tw_err err = { 0 };

	(void)state;
	assert_int_equal(lxd_seccomp_read("config/seccomp.profile", &rules, &err), 0);
	assert_true(strncmp(rules, "reject_force_umount\n", 20) == 0);
	assert_non_null(strstr(rules, "\n[all]\n"));
	assert_non_null(strstr(rules, "\nioctl errno 1 [1,21522,SCMP_CMP_MASKED_EQ,4294967295]\n"));
	assert_non_null(strstr(rules, "\nio_uring_setup errno 38\n"));
	free(rules);
}

/* Missing, a symlink (not followed), too large: each refused with why. */
static void test_lxd_seccomp_read_bad_files(void **state)
{
	char path[64], link[80];
	char *rules = NULL;
	struct tw_err err = { 0 };

	(void)state;
	assert_int_equal(lxd_seccomp_read("/nonexistent/seccomp.profile", &rules, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "/nonexistent/seccomp.profile"));

	write_temp(path, "2\ndenylist\n" RULES);
	snprintf(link, sizeof(link), "%s.link", path);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(lxd_seccomp_read(link, &rules, &err), -ELOOP);
	unlink(link);

	size_t n = LXD_SECCOMP_MAX + 1;
	char *big = malloc(n + 1);
	assert_non_null(big);
	memset(big, '#', n);
	big[n] = '\0';
	memcpy(big, "2\ndenylist\n", 11);
	write_temp(link, big);
	free(big);
	assert_int_equal(lxd_seccomp_read(link, &rules, &err), -EFBIG);
	assert_null(rules);
	unlink(link);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lxd_seccomp_rules),
		cmocka_unit_test(test_lxd_seccomp_rules_refused),
		cmocka_unit_test(test_lxd_seccomp_read),
		cmocka_unit_test(test_lxd_seccomp_read_project),
		cmocka_unit_test(test_lxd_seccomp_read_bad_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
