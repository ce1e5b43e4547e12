/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for common/copy/lxd/marks.c (cmocka): the query that asks
 * LXD for one front door's instances, or every other front door's.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "marks.h"

static void test_lxd_marks_path_mine(void **state)
{
	char buf[256];

	(void)state;
	assert_int_equal(lxd_marks_path(LXD_DOORS_MINE, "door-1.example.org", buf, sizeof(buf)), 0);
	assert_string_equal(
		buf,
		"/instances?recursion=1&filter=config.user.throwaway.host%20eq%20door-1.example.org");
}

static void test_lxd_marks_path_others(void **state)
{
	char buf[256];

	(void)state;
	assert_int_equal(lxd_marks_path(LXD_DOORS_OTHERS, "front_2", buf, sizeof(buf)), 0);
	assert_string_equal(
		buf, "/instances?recursion=1&filter=config.user.throwaway.host%20ne%20front_2");
}

/* A name the filter would misread (a space, a quote, a query's own
 * characters) or none: every instance is asked for, and judged by its mark. */
static void test_lxd_marks_path_odd_door(void **state)
{
	static const char *const odd[] = { "", "a b", "a\"b", "a&filter=x", "a%20b", "a/b", NULL };
	char buf[256];

	(void)state;
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		assert_int_equal(lxd_marks_path(LXD_DOORS_OTHERS, odd[i], buf, sizeof(buf)), 0);
		assert_string_equal(buf, "/instances?recursion=1");
	}
}

static void test_lxd_marks_path_too_long(void **state)
{
	char buf[40];

	(void)state;
	assert_int_equal(lxd_marks_path(LXD_DOORS_MINE, "door", buf, sizeof(buf)), -ENAMETOOLONG);
	assert_int_equal(lxd_marks_path(LXD_DOORS_MINE, "door", buf, 10), -ENAMETOOLONG);
}

static bool expired(const char *alive, time_t now)
{
	struct lxd_mark m = { .name = "c", .session = "0123456789abcdef", .alive = alive };
	return lxd_mark_expired(&m, now);
}

/* A lease of LXD_ALIVE_LEASE_S from the last word, not a second less. */
static void test_lxd_mark_expired_lease(void **state)
{
	(void)state;
	assert_false(expired("1000", 1000));
	assert_false(expired("1000", 1000 + LXD_ALIVE_LEASE_S));
	assert_true(expired("1000", 1000 + LXD_ALIVE_LEASE_S + 1));
	/* a clock behind the writer's: not over */
	assert_false(expired("5000", 1000));
}

/* Without the mark, or with what we never write, nobody judges it. */
static void test_lxd_mark_expired_unmarked(void **state)
{
	(void)state;
	assert_false(expired("", 1000000));
	assert_false(expired("12x", 1000000));
	assert_false(expired("-5", 1000000));
	assert_false(expired(" 5", 1000000));
	assert_false(expired("99999999999999999999999", 1000000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lxd_marks_path_mine),
		cmocka_unit_test(test_lxd_marks_path_others),
		cmocka_unit_test(test_lxd_marks_path_odd_door),
		cmocka_unit_test(test_lxd_marks_path_too_long),
		cmocka_unit_test(test_lxd_mark_expired_lease),
		cmocka_unit_test(test_lxd_mark_expired_unmarked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
