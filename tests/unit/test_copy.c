/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for the driver choice (common/copy/copy.c, cmocka): a
 * config's driver, a ledger record's driver from its options, and each
 * driver's place for a config.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "copy.h"

static void test_copy_driver_of_config(void **state)
{
	struct config c = { .backend = BACKEND_LXC };

	(void)state;
	assert_string_equal(copy_driver_of(&c)->name, "lxc");
	c.backend = BACKEND_LXD;
	assert_string_equal(copy_driver_of(&c)->name, "lxd");
}

static void test_copy_driver_of_record_named(void **state)
{
	(void)state;
	assert_string_equal(
		copy_driver_of_record("storage=tmpfs keep=no userns=yes network=none share=session "
				      "boot=init backend=lxd")
			->name,
		"lxd");
	assert_string_equal(copy_driver_of_record("backend=lxd devices=/dev/fuse")->name, "lxd");
}

/* Records that name no driver, or one that is not there, are lxc's. */
static void test_copy_driver_of_record_lxc(void **state)
{
	(void)state;
	assert_string_equal(copy_driver_of_record("")->name, "lxc");
	assert_string_equal(copy_driver_of_record("storage=tmpfs keep=no")->name, "lxc");
	assert_string_equal(copy_driver_of_record("xbackend=lxd")->name, "lxc");
	assert_string_equal(copy_driver_of_record("backend=nope")->name, "lxc");
	assert_string_equal(copy_driver_of_record("backend=lxdx")->name, "lxc");
	assert_string_equal(copy_driver_of_record("backend=")->name, "lxc");
}

static void test_copy_place_of_each(void **state)
{
	struct config c = { .lxcpath = (char *)"/srv/copies",
			    .lxd_socket = (char *)"/var/lib/lxd/unix.socket",
			    .lxd_project = (char *)"default" };
	char buf[64];

	(void)state;
	assert_int_equal(copy_place(copy_driver_named("lxc"), &c, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/srv/copies");
	assert_int_equal(copy_place(copy_driver_named("lxd"), &c, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/var/lib/lxd/unix.socket");
	c.lxd_project = (char *)"lab-1";
	assert_int_equal(copy_place(copy_driver_named("lxd"), &c, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/var/lib/lxd/unix.socket#lab-1");
	assert_int_equal(copy_place(copy_driver_named("lxd"), &c, buf, 20), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy_driver_of_config),
		cmocka_unit_test(test_copy_driver_of_record_named),
		cmocka_unit_test(test_copy_driver_of_record_lxc),
		cmocka_unit_test(test_copy_place_of_each),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
