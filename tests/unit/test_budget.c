/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "budget.h"

static const struct budget *find(const char *name)
{
	for (size_t i = 0; i < budget_count; i++)
		if (strcmp(budget_table[i].name, name) == 0)
			return &budget_table[i];
	return NULL;
}

static void test_budget_table_names(void **state)
{
	(void)state;
	/* What a copy gets: inotify as a stock host's user, no user namespaces. */
	assert_non_null(find("max_inotify_instances"));
	assert_int_equal(find("max_inotify_instances")->per_copy, 128);
	assert_non_null(find("max_inotify_watches"));
	assert_non_null(find("max_fanotify_groups"));
	assert_non_null(find("max_fanotify_marks"));
	assert_non_null(find("max_user_namespaces"));
	assert_int_equal(find("max_user_namespaces")->per_copy, 0);
	assert_null(find("max_user_namespaces")->host);
	for (size_t i = 0; i < budget_count; i++)
		assert_null(strchr(budget_table[i].name, '/'));
}

static void test_budget_host_needed_sizes(void **state)
{
	(void)state;
	const struct budget *b = find("max_inotify_instances");
	/* Root's own 128, then 2 uids x 128 for each of 256 copies. */
	assert_int_equal(budget_host_needed(b, 256), 128 + 256 * 2 * 128);
	assert_int_equal(budget_host_needed(b, 1), 128 + 2 * 128);
	assert_int_equal(budget_host_needed(b, 0), 128);
}

static void test_budget_host_needed_no_host(void **state)
{
	(void)state;
	assert_int_equal(budget_host_needed(find("max_user_namespaces"), 256), 0);
}

static void test_budget_host_needed_saturates(void **state)
{
	(void)state;
	const struct budget *b = find("max_inotify_watches");
	/* The kernel keeps an int: never more, never a wrapped small number. */
	assert_int_equal(budget_host_needed(b, ULONG_MAX), INT_MAX);
	assert_int_equal(budget_host_needed(b, (unsigned long)INT_MAX), INT_MAX);
	assert_true(budget_host_needed(b, 100000) <= INT_MAX);
}

static void test_budget_sysctl_path_dots(void **state)
{
	(void)state;
	char buf[64];
	assert_int_equal(budget_sysctl_path("fs.inotify.max_user_instances", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/proc/sys/fs/inotify/max_user_instances");
}

static void test_budget_sysctl_path_too_long(void **state)
{
	(void)state;
	char buf[16];
	assert_int_equal(budget_sysctl_path("fs.inotify.max_user_instances", buf, sizeof(buf)),
			 -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_budget_table_names),
		cmocka_unit_test(test_budget_host_needed_sizes),
		cmocka_unit_test(test_budget_host_needed_no_host),
		cmocka_unit_test(test_budget_host_needed_saturates),
		cmocka_unit_test(test_budget_sysctl_path_dots),
		cmocka_unit_test(test_budget_sysctl_path_too_long),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
