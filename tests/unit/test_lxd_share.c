/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for common/copy/lxd/share.c (cmocka): the list of sessions
 * that hold a shared instance (user.throwaway.holders), as a join adds to
 * it and a leave or a front door's gc takes from it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "share.h"

#define S1 "0123456789abcdef"
#define S2 "fedcba9876543210"
#define S3 "00112233445566aa"

static void test_lxd_holders_add_first(void **state)
{
	char out[LXD_HOLDERS_MAX];

	(void)state;
	assert_int_equal(lxd_holders_add("", "door-1", S1, out, sizeof(out)), 0);
	assert_string_equal(out, "door-1/" S1);
}

static void test_lxd_holders_add_more(void **state)
{
	char out[LXD_HOLDERS_MAX];

	(void)state;
	assert_int_equal(lxd_holders_add("door-1/" S1, "door-2.example.org", S2, out, sizeof(out)),
			 0);
	assert_string_equal(out, "door-1/" S1 " door-2.example.org/" S2);
}

/* A join that is tried again after it was written once adds nothing. */
static void test_lxd_holders_add_again(void **state)
{
	char out[LXD_HOLDERS_MAX];

	(void)state;
	assert_int_equal(
		lxd_holders_add("door-1/" S1 " door-2/" S2, "door-2", S2, out, sizeof(out)),
		-EEXIST);
}

/* What is not DOOR/SESSION is never passed on, and cannot be added. */
static void test_lxd_holders_add_junk(void **state)
{
	char out[LXD_HOLDERS_MAX];

	(void)state;
	assert_int_equal(lxd_holders_add("x  door-1/" S1 " a/b /" S2 " d/" S3 "zz", "door-2", S2,
					 out, sizeof(out)),
			 0);
	assert_string_equal(out, "door-1/" S1 " door-2/" S2);
	assert_int_equal(lxd_holders_add("", "a b", S1, out, sizeof(out)), -EINVAL);
	assert_int_equal(lxd_holders_add("", "door", "not-a-session", out, sizeof(out)), -EINVAL);
	assert_int_equal(lxd_holders_add("", "", S1, out, sizeof(out)), -EINVAL);
}

static void test_lxd_holders_add_full(void **state)
{
	char out[40];

	(void)state;
	assert_int_equal(lxd_holders_add("door-1/" S1, "door-2", S2, out, sizeof(out)), -ENOSPC);
}

static bool second_gone(const char *door, const char *session, void *data)
{
	(void)data;
	return strcmp(door, "door-2") == 0 && strcmp(session, S2) == 0;
}

static bool door_1_gone(const char *door, const char *session, void *data)
{
	(void)session;
	return strcmp(door, (const char *)data) == 0;
}

static void test_lxd_holders_keep(void **state)
{
	char out[LXD_HOLDERS_MAX];

	(void)state;
	assert_int_equal(lxd_holders_keep("door-1/" S1 " door-2/" S2 " door-1/" S3, second_gone,
					  NULL, out, sizeof(out)),
			 2);
	assert_string_equal(out, "door-1/" S1 " door-1/" S3);
	/* Every hold of one front door gone (its gc): the other's stays. */
	assert_int_equal(lxd_holders_keep("door-1/" S1 " door-2/" S2 " door-1/" S3, door_1_gone,
					  (void *)"door-1", out, sizeof(out)),
			 1);
	assert_string_equal(out, "door-2/" S2);
}

/* The last one out: nothing is left, and the caller marks it stopping. */
static void test_lxd_holders_keep_none(void **state)
{
	char out[LXD_HOLDERS_MAX];

	(void)state;
	assert_int_equal(lxd_holders_keep("door-2/" S2, second_gone, NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(lxd_holders_keep("", second_gone, NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lxd_holders_add_first),
		cmocka_unit_test(test_lxd_holders_add_more),
		cmocka_unit_test(test_lxd_holders_add_again),
		cmocka_unit_test(test_lxd_holders_add_junk),
		cmocka_unit_test(test_lxd_holders_add_full),
		cmocka_unit_test(test_lxd_holders_keep),
		cmocka_unit_test(test_lxd_holders_keep_none),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
