/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for common/base/names.c (cmocka): session ids and copy names. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "names.h"

#define LOWER_HEX "0123456789abcdef"
#define RANDOM_SET "abcdefghijklmnopqrstuvwxyz0123456789"

/* Helpers ------------------------------------------------------------- */

/* NAME must be PREFIX followed by six of [a-z0-9] and nothing else. */
static void assert_prefix_random(const char *name, const char *prefix)
{
	size_t pl = strlen(prefix);

	assert_int_equal(strncmp(name, prefix, pl), 0);
	assert_int_equal(strlen(name), pl + 6);
	assert_int_equal(strspn(name + pl, RANDOM_SET), 6);
	assert_true(names_container_valid(name));
}

/* A string of N copies of C (N < 256), in a static buffer: one use at a time. */
static const char *repeat(char c, size_t n)
{
	static char buf[256];

	assert_true(n < sizeof(buf));
	memset(buf, c, n);
	buf[n] = '\0';
	return buf;
}

/* out = a b c, which must fit in NAMES_CONTAINER_MAX + 1 bytes. */
static void join3(char out[NAMES_CONTAINER_MAX + 1], const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);

	assert_true(la + lb + lc <= NAMES_CONTAINER_MAX);
	memcpy(out, a, la);
	memcpy(out + la, b, lb);
	memcpy(out + la + lb, c, lc + 1);
}

/* names_session_id / names_session_valid ------------------------------- */

static void test_names_session_id_format(void **state)
{
	char id[NAMES_SESSION_LEN + 1];

	(void)state;
	memset(id, 'X', sizeof(id));
	assert_int_equal(names_session_id(id), 0);
	assert_int_equal(strlen(id), 16);
	assert_int_equal(strspn(id, LOWER_HEX), 16);
	assert_true(names_session_valid(id));
}

static void test_names_session_id_distinct(void **state)
{
	char ids[64][NAMES_SESSION_LEN + 1];

	(void)state;
	for (size_t i = 0; i < 64; i++) {
		assert_int_equal(names_session_id(ids[i]), 0);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(ids[i], ids[j]);
	}
}

static void test_names_session_valid_ok(void **state)
{
	(void)state;
	assert_true(names_session_valid("0123456789abcdef"));
	assert_true(names_session_valid("ffffffffffffffff"));
	assert_true(names_session_valid("0000000000000000"));
}

static void test_names_session_valid_null(void **state)
{
	(void)state;
	assert_false(names_session_valid(NULL));
}

static void test_names_session_valid_wrong_length(void **state)
{
	(void)state;
	assert_false(names_session_valid(""));
	assert_false(names_session_valid("0123456789abcde"));   /* 15 */
	assert_false(names_session_valid("0123456789abcdef0")); /* 17 */
	assert_false(names_session_valid("0123456789abcdef0123456789abcdef"));
}

static void test_names_session_valid_upper_case(void **state)
{
	(void)state;
	assert_false(names_session_valid("0123456789ABCDEF"));
	assert_false(names_session_valid("0123456789abcdeF"));
}

static void test_names_session_valid_non_hex(void **state)
{
	(void)state;
	assert_false(names_session_valid("0123456789abcdeg"));
	assert_false(names_session_valid("0123456789abcde "));
	assert_false(names_session_valid("0123456789abcde-"));
	assert_false(names_session_valid("../../../etc/pas"));
	assert_false(names_session_valid("0123456789abcde\n"));
	assert_false(names_session_valid("0123456789abcde\xff"));
	/* An embedded NUL makes it short. */
	assert_false(names_session_valid("01234567\0"
					 "9abcdef"));
}

/* names_user_safe ------------------------------------------------------ */

static void test_names_user_safe_ok(void **state)
{
	(void)state;
	assert_true(names_user_safe("alice"));
	assert_true(names_user_safe("_svc"));
	assert_true(names_user_safe("a"));
	assert_true(names_user_safe("user-1_x9"));
	assert_true(names_user_safe("a-"));
}

static void test_names_user_safe_null_empty(void **state)
{
	(void)state;
	assert_false(names_user_safe(NULL));
	assert_false(names_user_safe(""));
}

static void test_names_user_safe_bad_first(void **state)
{
	(void)state;
	assert_false(names_user_safe("1alice"));
	assert_false(names_user_safe("-alice"));
	assert_false(names_user_safe("Alice"));
	assert_false(names_user_safe(".alice"));
	assert_false(names_user_safe("1000"));
}

static void test_names_user_safe_bad_chars(void **state)
{
	static const char *const bad[] = {
		"al/ice",  "..",         "a..b",   "al ice", "aLice",
		"al.ice",  "al\xc3\xa9", "al\xff", "al$",    "al@host",
		"al\nice", "al\tice",    "al:ice", "al%u",   "al=x",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(names_user_safe(bad[i]));
}

/* names_container_valid ------------------------------------------------ */

static void test_names_container_valid_ok(void **state)
{
	(void)state;
	assert_true(names_container_valid("a"));
	assert_true(names_container_valid("base-alice-abc123"));
	assert_true(names_container_valid("Base_1.2-x"));
	assert_true(names_container_valid("_leading_underscore"));
	assert_true(names_container_valid("9lives"));
	assert_true(names_container_valid(repeat('a', 63)));
}

static void test_names_container_valid_null_empty(void **state)
{
	(void)state;
	assert_false(names_container_valid(NULL));
	assert_false(names_container_valid(""));
}

static void test_names_container_valid_too_long(void **state)
{
	(void)state;
	assert_false(names_container_valid(repeat('a', 64)));
	assert_false(names_container_valid(repeat('a', 200)));
}

static void test_names_container_valid_leading_dot_dash(void **state)
{
	(void)state;
	assert_false(names_container_valid(".hidden"));
	assert_false(names_container_valid("."));
	assert_false(names_container_valid(".."));
	assert_false(names_container_valid("-opt"));
	assert_false(names_container_valid("-"));
}

static void test_names_container_valid_bad_chars(void **state)
{
	static const char *const bad[] = {
		"a/b", "a b", "a%b", "a:b", "a\xc3\xa9", "a\nb", "a\tb", "a*", "a$b", "a@b", "a=b",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(names_container_valid(bad[i]));
}

/* names_bridge_valid --------------------------------------------------- */

static void test_names_bridge_valid_ok(void **state)
{
	(void)state;
	assert_true(names_bridge_valid("br0"));
	assert_true(names_bridge_valid("lxcbr0"));
	assert_true(names_bridge_valid("tw_br.1-x"));
	assert_true(names_bridge_valid(repeat('b', 15)));
}

static void test_names_bridge_valid_bad(void **state)
{
	static const char *const bad[] = { "", "-br", ".br", "br/0", "br 0", "br:0", "br\n" };

	(void)state;
	assert_false(names_bridge_valid(NULL));
	assert_false(names_bridge_valid(repeat('b', 16))); /* IFNAMSIZ */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(names_bridge_valid(bad[i]));
}

/* names_container ------------------------------------------------------ */

static void test_names_container_default_template(void **state)
{
	char out[NAMES_CONTAINER_MAX + 1];

	(void)state;
	assert_int_equal(names_container("%o-%u-%r", "base", "alice", 1000, NULL, out), 0);
	assert_prefix_random(out, "base-alice-");
}

static void test_names_container_random_differs(void **state)
{
	char out[16][NAMES_CONTAINER_MAX + 1];

	(void)state;
	for (size_t i = 0; i < 16; i++) {
		assert_int_equal(names_container("%r", "base", "alice", 1000, NULL, out[i]), 0);
		assert_int_equal(strlen(out[i]), 6);
		assert_int_equal(strspn(out[i], RANDOM_SET), 6);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(out[i], out[j]);
	}
}

static void test_names_container_unsafe_user(void **state)
{
	static const char *const users[] = {
		"al/ice", "../../etc", "..", "al ice",  "1234", "al\xc3\xa9", "\xff\xfe",
		"Alice",  "ALICE",     "",   "al\nice", "al%r", "-rf",        "al.ice",
	};
	char out[NAMES_CONTAINER_MAX + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
		assert_int_equal(names_container("%o-%u-%r", "base", users[i], 1000, NULL, out), 0);
		assert_prefix_random(out, "base-u1000-");
	}
}

static void test_names_container_null_user(void **state)
{
	char out[NAMES_CONTAINER_MAX + 1];

	(void)state;
	assert_int_equal(names_container("%o-%u-%r", "base", NULL, 42, NULL, out), 0);
	assert_prefix_random(out, "base-u42-");
}

/*
 * DESIGN.md: the user is replaced only when it is not ^[a-z_][a-z0-9_-]*$
 * or would push the name past 63. A long but safe name that fits is kept:
 * 32 and 40 characters with a short origin.
 */
static void test_names_container_long_user_that_fits(void **state)
{
	char out[NAMES_CONTAINER_MAX + 1], want[NAMES_CONTAINER_MAX + 1];

	(void)state;
	join3(want, "b-", repeat('x', 32), "-");
	assert_int_equal(names_container("%o-%u-%r", "b", repeat('x', 32), 7, NULL, out), 0);
	assert_prefix_random(out, want);

	join3(want, "b-", repeat('y', 40), "-");
	assert_int_equal(names_container("%o-%u-%r", "b", repeat('y', 40), 7, NULL, out), 0);
	assert_prefix_random(out, want);
}

static void test_names_container_user_too_long(void **state)
{
	char out[NAMES_CONTAINER_MAX + 1];

	(void)state;
	/* "base-" + 51 + "-" + 6 = 63 fits; one more character does not. */
	assert_int_equal(names_container("%o-%u-%r", "base", repeat('a', 52), 1000, NULL, out), 0);
	assert_prefix_random(out, "base-u1000-");
	assert_int_equal(names_container("%o-%u-%r", "base", repeat('a', 200), 1000, NULL, out), 0);
	assert_prefix_random(out, "base-u1000-");
}

static void test_names_container_exactly_63(void **state)
{
	char out[NAMES_CONTAINER_MAX + 1], want[NAMES_CONTAINER_MAX + 1];

	(void)state;
	join3(want, "base-", repeat('a', 51), "-");
	assert_int_equal(names_container("%o-%u-%r", "base", repeat('a', 51), 1000, NULL, out), 0);
	assert_int_equal(strlen(out), 63);
	assert_prefix_random(out, want);
}

static void test_names_container_origin_too_long(void **state)
{
	char out[NAMES_CONTAINER_MAX + 1], origin[NAMES_CONTAINER_MAX + 1];

	(void)state;
	/* 63 - len("-u1000-") - 6 = 50: an origin of 50 still fits with u<uid>. */
	join3(origin, "", repeat('o', 50), "");
	assert_int_equal(names_container("%o-%u-%r", origin, "alice_smith", 1000, NULL, out), 0);
	assert_int_equal(strlen(out), 63);
	assert_int_equal(strncmp(out + 50, "-u1000-", 7), 0);

	join3(origin, "", repeat('o', 51), "");
	memset(out, 'Z', sizeof(out));
	assert_int_equal(names_container("%o-%u-%r", origin, "alice_smith", 1000, NULL, out),
			 -ENAMETOOLONG);
	assert_int_equal(out[0], 'Z'); /* written only on success */
	assert_int_equal(names_container("%o", repeat('o', 64), "alice", 1000, NULL, out),
			 -ENAMETOOLONG);
}

static void test_names_container_uid_placeholder(void **state)
{
	char out[NAMES_CONTAINER_MAX + 1];

	(void)state;
	assert_int_equal(names_container("%o-%U", "base", "alice", 1000, NULL, out), 0);
	assert_string_equal(out, "base-1000");
	assert_int_equal(names_container("%o-%U", "base", "alice", 4294967294U, NULL, out), 0);
	assert_string_equal(out, "base-4294967294");
	assert_int_equal(names_container("%o-%u", "base", "Bad", 4294967294U, NULL, out), 0);
	assert_string_equal(out, "base-u4294967294");
}

static void test_names_container_session_placeholder(void **state)
{
	char out[NAMES_CONTAINER_MAX + 1];

	(void)state;
	assert_int_equal(names_container("%o-%s", "base", "alice", 1000, "0123456789abcdef", out),
			 0);
	assert_string_equal(out, "base-0123456789abcdef");
	/* No session: %s expands to nothing. */
	assert_int_equal(names_container("%o%s", "base", "alice", 1000, NULL, out), 0);
	assert_string_equal(out, "base");
}

/* '%' is not valid in a container name, so there is no %% placeholder. */
static void test_names_container_percent(void **state)
{
	char out[NAMES_CONTAINER_MAX + 1];

	(void)state;
	memset(out, 'Z', sizeof(out));
	assert_int_equal(names_container("%o%%%u", "base", "alice", 1000, NULL, out), -EINVAL);
	assert_int_equal(names_container("%%", "base", "alice", 1000, NULL, out), -EINVAL);
	assert_int_equal(out[0], 'Z');
}

static void test_names_container_literal_text(void **state)
{
	char out[NAMES_CONTAINER_MAX + 1];

	(void)state;
	assert_int_equal(names_container("tw.%u", "base", "alice", 1000, NULL, out), 0);
	assert_string_equal(out, "tw.alice");
}

static void test_names_container_bad_placeholder(void **state)
{
	static const char *const bad[] = { "%x", "%o-%x", "%o-%", "%", "%O", "%o-%u-%r%-" };
	char out[NAMES_CONTAINER_MAX + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(out, 'Z', sizeof(out));
		int r = names_container(bad[i], "base", "alice", 1000, NULL, out);
		assert_int_equal(r, -EINVAL);
		assert_int_equal(out[0], 'Z');
	}
	/* Same with an unsafe user (second expansion path). */
	assert_int_equal(names_container("%u-%x", "base", "Bad User", 1000, NULL, out), -EINVAL);
}

static void test_names_container_invalid_result(void **state)
{
	char out[NAMES_CONTAINER_MAX + 1];

	(void)state;
	memset(out, 'Z', sizeof(out));
	assert_int_equal(names_container("", "base", "alice", 1000, NULL, out), -EINVAL);
	assert_int_equal(names_container("-%u", "base", "alice", 1000, NULL, out), -EINVAL);
	assert_int_equal(names_container(".%u", "base", "alice", 1000, NULL, out), -EINVAL);
	assert_int_equal(names_container("%o-%u", "ba se", "alice", 1000, NULL, out), -EINVAL);
	assert_int_equal(names_container("%o-%u", "ba/se", "alice", 1000, NULL, out), -EINVAL);
	assert_int_equal(names_container("a b%u", "base", "alice", 1000, NULL, out), -EINVAL);
	assert_int_equal(names_container("%s", "base", "alice", 1000, NULL, out), -EINVAL);
	assert_int_equal(out[0], 'Z');
}

/* Whatever the user is, a successful result is always a valid name. */
static void test_names_container_always_valid(void **state)
{
	static const char *const tmpls[] = { "%o-%u-%r", "%u", "%u%u%u", "%o.%U.%u", "x_%u%r" };
	char user[80], out[NAMES_CONTAINER_MAX + 1];

	(void)state;
	for (int round = 0; round < 2000; round++) {
		size_t n = (size_t)(rand() % 70);
		for (size_t i = 0; i < n; i++)
			user[i] = (char)(1 + rand() % 255);
		user[n] = '\0';
		for (size_t t = 0; t < sizeof(tmpls) / sizeof(tmpls[0]); t++) {
			int r = names_container(tmpls[t], "base", user, (uid_t)rand(), NULL, out);
			assert_true(r == 0 || r == -ENAMETOOLONG);
			if (r == 0)
				assert_true(names_container_valid(out));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_session_id_format),
		cmocka_unit_test(test_names_session_id_distinct),
		cmocka_unit_test(test_names_session_valid_ok),
		cmocka_unit_test(test_names_session_valid_null),
		cmocka_unit_test(test_names_session_valid_wrong_length),
		cmocka_unit_test(test_names_session_valid_upper_case),
		cmocka_unit_test(test_names_session_valid_non_hex),
		cmocka_unit_test(test_names_user_safe_ok),
		cmocka_unit_test(test_names_user_safe_null_empty),
		cmocka_unit_test(test_names_user_safe_bad_first),
		cmocka_unit_test(test_names_user_safe_bad_chars),
		cmocka_unit_test(test_names_container_valid_ok),
		cmocka_unit_test(test_names_container_valid_null_empty),
		cmocka_unit_test(test_names_container_valid_too_long),
		cmocka_unit_test(test_names_container_valid_leading_dot_dash),
		cmocka_unit_test(test_names_container_valid_bad_chars),
		cmocka_unit_test(test_names_bridge_valid_ok),
		cmocka_unit_test(test_names_bridge_valid_bad),
		cmocka_unit_test(test_names_container_default_template),
		cmocka_unit_test(test_names_container_random_differs),
		cmocka_unit_test(test_names_container_unsafe_user),
		cmocka_unit_test(test_names_container_null_user),
		cmocka_unit_test(test_names_container_long_user_that_fits),
		cmocka_unit_test(test_names_container_user_too_long),
		cmocka_unit_test(test_names_container_exactly_63),
		cmocka_unit_test(test_names_container_origin_too_long),
		cmocka_unit_test(test_names_container_uid_placeholder),
		cmocka_unit_test(test_names_container_session_placeholder),
		cmocka_unit_test(test_names_container_percent),
		cmocka_unit_test(test_names_container_literal_text),
		cmocka_unit_test(test_names_container_bad_placeholder),
		cmocka_unit_test(test_names_container_invalid_result),
		cmocka_unit_test(test_names_container_always_valid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
