/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for common/host/log.c (cmocka): key=value formatting (no syslog). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "log.h"

/* Helpers ------------------------------------------------------------- */

/* The result of appending KEY=VALUE to an empty buffer of LOG_LINE_MAX. */
static void assert_kv(const char *key, const char *value, const char *want)
{
	char buf[LOG_LINE_MAX] = "";

	log_kv_append(buf, sizeof(buf), key, value);
	assert_string_equal(buf, want);
}

/* log_kv_append -------------------------------------------------------- */

static void test_log_kv_append_plain(void **state)
{
	char buf[LOG_LINE_MAX] = "";

	(void)state;
	log_kv_append(buf, sizeof(buf), "user", "alice");
	assert_string_equal(buf, "user=alice"); /* no leading space on an empty line */
	log_kv_append(buf, sizeof(buf), "uid", "1000");
	assert_string_equal(buf, "user=alice uid=1000");
	assert_kv("key", "SHA256:abc+/x", "key=SHA256:abc+/x");
}

static void test_log_kv_append_spaces(void **state)
{
	(void)state;
	assert_kv("reason", "no such origin", "reason=\"no such origin\"");
	assert_kv("reason", " ", "reason=\" \"");
}

static void test_log_kv_append_quotes(void **state)
{
	(void)state;
	assert_kv("user", "a\"b", "user=\"a\\\"b\"");
	assert_kv("user", "\"", "user=\"\\\"\"");
}

static void test_log_kv_append_backslash(void **state)
{
	(void)state;
	assert_kv("user", "a\\b", "user=\"a\\\\b\"");
	assert_kv("user", "\\", "user=\"\\\\\"");
}

static void test_log_kv_append_equals(void **state)
{
	(void)state;
	/* A bare '=' could forge a pair: "user=a event=close" must stay one value. */
	assert_kv("user", "a=b", "user=\"a=b\"");
	assert_kv("user", "a event=close", "user=\"a event=close\"");
}

static void test_log_kv_append_empty_value(void **state)
{
	(void)state;
	assert_kv("rhost", "", "rhost=\"\"");
}

static void test_log_kv_append_control_chars(void **state)
{
	(void)state;
	assert_kv("user", "a\nb", "user=a?b");
	assert_kv("user", "a\rb", "user=a?b");
	assert_kv("user", "a\tb", "user=a?b");
	assert_kv("user", "\x1b[31m", "user=?[31m");
	assert_kv("user", "\x7f", "user=?");
	assert_kv("user", "\x01\x1f", "user=??");
	/* Non-ASCII bytes are replaced too. */
	assert_kv("user", "\xc3\xa9t\xc3\xa9", "user=??t??");
	assert_kv("user", "\xff", "user=?");
	/* A forged line break cannot start a new event, even inside quotes. */
	assert_kv("user", "a b\nevent=open", "user=\"a b?event=open\"");
}

static void test_log_kv_append_appends_after_existing(void **state)
{
	char buf[LOG_LINE_MAX] = "event=open";

	(void)state;
	log_kv_append(buf, sizeof(buf), "reason", "x y");
	assert_string_equal(buf, "event=open reason=\"x y\"");
}

/*
 * For every buffer size, the result is a NUL-terminated prefix of the full
 * line and nothing past the buffer is touched.
 */
static void check_truncation(const char *start, const char *key, const char *value)
{
	char full[LOG_LINE_MAX];
	char area[LOG_LINE_MAX + 64];

	snprintf(full, sizeof(full), "%s", start);
	log_kv_append(full, sizeof(full), key, value);
	size_t flen = strlen(full);

	for (size_t max = strlen(start) + 1; max <= flen + 4; max++) {
		memset(area, 0x5a, sizeof(area));
		memcpy(area, start, strlen(start) + 1);
		log_kv_append(area, max, key, value);
		size_t want = flen < max - 1 ? flen : max - 1;
		assert_int_equal(strlen(area), want);
		assert_memory_equal(area, full, want);
		for (size_t i = max; i < sizeof(area); i++)
			assert_int_equal((unsigned char)area[i], 0x5a);
	}
}

static void test_log_kv_append_truncation(void **state)
{
	(void)state;
	check_truncation("", "user", "alice");
	check_truncation("", "reason", "a \"quoted\" \\ value = x");
	check_truncation("event=open", "reason", "cannot start: \x01\n\xff");
	check_truncation("event=open", "rhost", "");
}

static void test_log_kv_append_full_buffer(void **state)
{
	char area[16];

	(void)state;
	memset(area, 0x5a, sizeof(area));
	memcpy(area, "abcdefg", 8); /* already max - 1 long */
	log_kv_append(area, 8, "k", "v");
	assert_string_equal(area, "abcdefg");
	for (size_t i = 8; i < sizeof(area); i++)
		assert_int_equal((unsigned char)area[i], 0x5a);

	/* max == 1: only the terminator fits. */
	area[0] = '\0';
	log_kv_append(area, 1, "k", "v");
	assert_int_equal(area[0], '\0');
	assert_int_equal((unsigned char)area[1], 'b');
}

static void test_log_kv_append_long_value(void **state)
{
	char value[3 * LOG_LINE_MAX];
	char area[LOG_LINE_MAX + 16];

	(void)state;
	memset(value, 'x', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';
	memset(area, 0x5a, sizeof(area));
	area[0] = '\0';
	log_kv_append(area, LOG_LINE_MAX, "user", value);
	assert_int_equal(strlen(area), LOG_LINE_MAX - 1);
	assert_int_equal(strncmp(area, "user=xxx", 8), 0);
	for (size_t i = LOG_LINE_MAX; i < sizeof(area); i++)
		assert_int_equal((unsigned char)area[i], 0x5a);
}

/* Escapes and replacements come out the same wherever a value's bytes fall. */
static void test_log_kv_append_escapes_past_piece_boundary(void **state)
{
	char value[600], want[700], buf[LOG_LINE_MAX] = "";
	size_t n = 0, w = 0;

	(void)state;
	memset(value, 'a', 254);
	n = 254;
	memcpy(value + n, "\"\\ \n", 4); /* '"' ends the first 255 bytes, '\\' starts the next */
	n += 4;
	memset(value + n, 'b', 300);
	n += 300;
	value[n] = '\0';

	w += (size_t)sprintf(want, "reason=\"");
	memset(want + w, 'a', 254);
	w += 254;
	w += (size_t)sprintf(want + w, "\\\"\\\\ ?");
	memset(want + w, 'b', 300);
	w += 300;
	sprintf(want + w, "\"");

	log_kv_append(buf, sizeof(buf), "reason", value);
	assert_string_equal(buf, want);
}

/* log_format ----------------------------------------------------------- */

static void test_log_format_basic(void **state)
{
	const char *const pairs[] = { "session", "0123456789abcdef", "user", "alice",
				      "reason",  "no origin",        NULL };
	char buf[LOG_LINE_MAX];

	(void)state;
	memset(buf, 'Q', sizeof(buf)); /* log_format starts from an empty line */
	log_format(buf, sizeof(buf), "open", pairs);
	assert_string_equal(buf,
			    "event=open session=0123456789abcdef user=alice reason=\"no origin\"");
}

static void test_log_format_null_values_skipped(void **state)
{
	const char *const pairs[] = { "user", NULL, "uid", "1000", "rhost", NULL, "ms", "3", NULL };
	char buf[LOG_LINE_MAX];

	(void)state;
	log_format(buf, sizeof(buf), "close", pairs);
	assert_string_equal(buf, "event=close uid=1000 ms=3");
}

static void test_log_format_no_pairs(void **state)
{
	const char *const pairs[] = { NULL };
	char buf[LOG_LINE_MAX];

	(void)state;
	log_format(buf, sizeof(buf), "destroy", pairs);
	assert_string_equal(buf, "event=destroy");
}

static void test_log_format_event_quoted(void **state)
{
	const char *const pairs[] = { NULL };
	char buf[LOG_LINE_MAX];

	(void)state;
	log_format(buf, sizeof(buf), "bad event\n", pairs);
	assert_string_equal(buf, "event=\"bad event?\"");
}

static void test_log_format_truncation(void **state)
{
	const char *const pairs[] = { "user", "alice", "reason", "a b c", NULL };
	char area[64];

	(void)state;
	memset(area, 0x5a, sizeof(area));
	log_format(area, 20, "error", pairs);
	assert_int_equal(strlen(area), 19);
	assert_string_equal(area, "event=error user=al");
	for (size_t i = 20; i < sizeof(area); i++)
		assert_int_equal((unsigned char)area[i], 0x5a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_kv_append_plain),
		cmocka_unit_test(test_log_kv_append_spaces),
		cmocka_unit_test(test_log_kv_append_quotes),
		cmocka_unit_test(test_log_kv_append_backslash),
		cmocka_unit_test(test_log_kv_append_equals),
		cmocka_unit_test(test_log_kv_append_empty_value),
		cmocka_unit_test(test_log_kv_append_control_chars),
		cmocka_unit_test(test_log_kv_append_appends_after_existing),
		cmocka_unit_test(test_log_kv_append_truncation),
		cmocka_unit_test(test_log_kv_append_full_buffer),
		cmocka_unit_test(test_log_kv_append_long_value),
		cmocka_unit_test(test_log_kv_append_escapes_past_piece_boundary),
		cmocka_unit_test(test_log_format_basic),
		cmocka_unit_test(test_log_format_null_values_skipped),
		cmocka_unit_test(test_log_format_no_pairs),
		cmocka_unit_test(test_log_format_event_quoted),
		cmocka_unit_test(test_log_format_truncation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
