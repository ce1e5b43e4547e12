/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "subid.h"

static const char text[] = "alice:100000:65536\n"
			   "root:1879048192:65536\n"
			   "root:1000:59000\n"
			   "bad line\n"
			   "root:x:y\n"
			   "rootless:0:4294967295\n";

static void test_subid_covers_inside(void **state)
{
	(void)state;
	assert_true(subid_covers(text, "root", SUBID_BASE, SUBID_COUNT));
	assert_true(subid_covers(text, "root", 1000, 1));
	assert_true(subid_covers(text, "root", 59999, 1));
	assert_true(subid_covers(text, "alice", 100000, 65536));
}

static void test_subid_covers_outside(void **state)
{
	(void)state;
	assert_false(subid_covers(text, "root", 999, 1));
	assert_false(subid_covers(text, "root", 60000, 1));
	assert_false(subid_covers(text, "root", SUBID_BASE, SUBID_COUNT + 1));
	assert_false(subid_covers(text, "root", 100000, 1)); /* alice's */
}

static void test_subid_covers_name_prefix(void **state)
{
	(void)state;
	/* "rootless" is not "root" */
	assert_false(subid_covers("rootless:0:4294967295\n", "root", 5, 1));
}

static void test_subid_covers_garbage(void **state)
{
	(void)state;
	assert_false(subid_covers("", "root", 1000, 1));
	assert_false(subid_covers("root:x:y\nroot:\n:::\n", "root", 1000, 1));
	assert_true(subid_covers("root:1000:1", "root", 1000, 1)); /* no final newline */
}

static void test_subid_covers_sign_and_blanks(void **state)
{
	(void)state;
	/* strtoul-style parsing would take these as ULONG_MAX-ish or 1000. */
	assert_false(subid_covers("root:-1:10\n", "root", 5, 1));
	assert_false(subid_covers("root: 1000:10\n", "root", 1000, 1));
	assert_false(subid_covers("root:1000:+10\n", "root", 1000, 1));
	assert_false(subid_covers("root:99999999999999999999999:10\n", "root", 1000, 1));
}

static void test_subid_covers_no_wrap(void **state)
{
	(void)state;
	/* first + count wraps past ULONG_MAX: not inside [0, 10). */
	assert_false(subid_covers("root:0:10\n", "root", ULONG_MAX - 1, 5));
	/* start + n wraps: the range still covers what follows start. */
	assert_true(subid_covers("root:10:18446744073709551615\n", "root", 20, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subid_covers_inside),
		cmocka_unit_test(test_subid_covers_outside),
		cmocka_unit_test(test_subid_covers_name_prefix),
		cmocka_unit_test(test_subid_covers_garbage),
		cmocka_unit_test(test_subid_covers_sign_and_blanks),
		cmocka_unit_test(test_subid_covers_no_wrap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
