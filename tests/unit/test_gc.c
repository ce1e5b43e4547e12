/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for gc_recent (common/copy/gc.c, cmocka): when a login may
 * skip its gc because a full one just finished. Each test works in a
 * scratch run directory of its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "gc.h"

struct fixture {
	char dir[64];
	char stamp[96];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/tw-unit-gc-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->stamp, sizeof(f->stamp), "%s/gc.done", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	unlink(f->stamp);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Make the stamp (a file, or a symlink to one) with its mtime age_s ago. */
static void stamp(const struct fixture *f, long age_s, bool as_link)
{
	if (as_link) {
		assert_int_equal(symlink("/etc/hostname", f->stamp), 0);
		return;
	}
	int fd = open(f->stamp, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	struct timespec t[2] = { { .tv_sec = now.tv_sec - age_s },
				 { .tv_sec = now.tv_sec - age_s } };
	assert_int_equal(futimens(fd, t), 0);
	close(fd);
}

static void test_gc_recent_no_stamp(void **state)
{
	struct fixture *f = *state;
	assert_false(gc_recent(f->dir, 60));
	assert_false(gc_recent("/nonexistent/tw-unit-gc", 60));
}

static void test_gc_recent_fresh(void **state)
{
	struct fixture *f = *state;
	stamp(f, 1, false);
	assert_true(gc_recent(f->dir, 60));
	assert_false(gc_recent(f->dir, 0)); /* period 0: always sweep */
}

static void test_gc_recent_old(void **state)
{
	struct fixture *f = *state;
	stamp(f, 61, false);
	assert_false(gc_recent(f->dir, 60));
	assert_true(gc_recent(f->dir, 120));
}

/* The clock set back after the last gc: the stamp proves nothing. */
static void test_gc_recent_future(void **state)
{
	struct fixture *f = *state;
	stamp(f, -3600, false);
	assert_false(gc_recent(f->dir, 60));
}

/* Only root's own regular file counts: not a symlink to a fresh one. */
static void test_gc_recent_symlink(void **state)
{
	struct fixture *f = *state;
	stamp(f, 0, true);
	assert_false(gc_recent(f->dir, 60));
}

static void test_gc_recent_not_root(void **state)
{
	struct fixture *f = *state;
	stamp(f, 1, false);
	assert_int_equal(chown(f->stamp, 65534, 65534), 0);
	assert_false(gc_recent(f->dir, 60));
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_gc_recent_no_stamp), T(test_gc_recent_fresh),   T(test_gc_recent_old),
		T(test_gc_recent_future),   T(test_gc_recent_symlink), T(test_gc_recent_not_root),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
