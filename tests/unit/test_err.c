/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for common/base/err.c (cmocka). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"

static void test_tw_err_set_returns_negative(void **state)
{
	(void)state;
	struct tw_err e = { 0 };
	assert_int_equal(tw_err_set(&e, ENOENT, "no '%s'", "x"), -ENOENT);
	assert_int_equal(e.code, ENOENT);
	assert_string_equal(e.msg, "no 'x'");
	assert_int_equal(tw_err_set(&e, -EPERM, "denied"), -EPERM);
	assert_int_equal(e.code, EPERM);
}

static void test_tw_err_set_zero_is_eio(void **state)
{
	(void)state;
	struct tw_err e = { 0 };
	assert_int_equal(tw_err_set(&e, 0, "odd"), -EIO);
}

static void test_tw_err_set_null(void **state)
{
	(void)state;
	assert_int_equal(tw_err_set(NULL, EINVAL, "nobody listens"), -EINVAL);
}

static void test_tw_err_wrap_prefixes(void **state)
{
	(void)state;
	struct tw_err e = { 0 };
	tw_err_set(&e, EACCES, "lxc.cap.drop = 'x' refused");
	assert_int_equal(tw_err_wrap(&e, "configuring the copy '%s'", "c1"), -EACCES);
	assert_string_equal(e.msg, "configuring the copy 'c1': lxc.cap.drop = 'x' refused");
}

static void test_tw_err_wrap_truncates(void **state)
{
	(void)state;
	struct tw_err e = { 0 };
	char big[TW_ERR_MAX * 2];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	tw_err_set(&e, E2BIG, "%s", big);
	assert_int_equal(strlen(e.msg), TW_ERR_MAX - 1);
	tw_err_wrap(&e, "ctx");
	assert_int_equal(strlen(e.msg), TW_ERR_MAX - 1);
	assert_memory_equal(e.msg, "ctx: aaa", 8);
}

static void test_tw_err_clear(void **state)
{
	(void)state;
	struct tw_err e = { 0 };
	tw_err_set(&e, EIO, "x");
	tw_err_clear(&e);
	assert_int_equal(e.code, 0);
	assert_string_equal(e.msg, "");
	tw_err_clear(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tw_err_set_returns_negative),
		cmocka_unit_test(test_tw_err_set_zero_is_eio),
		cmocka_unit_test(test_tw_err_set_null),
		cmocka_unit_test(test_tw_err_wrap_prefixes),
		cmocka_unit_test(test_tw_err_wrap_truncates),
		cmocka_unit_test(test_tw_err_clear),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
