/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer harness for the name checks and the copy-name template
 * (common/base/names.c), and for the syslog key=value writer (common/host/log.c),
 * which quotes the same untrusted strings. Input: a 4-byte uid, then
 * NUL-separated strings: template, origin, user, session, log value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "names.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The next NUL-terminated string of [*p, end); end[0] is a NUL. */
static const char *next(char **p, char *end)
{
	char *s = *p;

	if (s >= end)
		return end;
	*p = s + strlen(s) + 1;
	return s;
}

static void check_session(const char *s)
{
	bool ok = strlen(s) == NAMES_SESSION_LEN && strspn(s, "0123456789abcdef") == strlen(s);

	if (names_session_valid(s) != ok)
		__builtin_trap();
}

static void check_container(const char *tmpl, const char *origin, const char *user, uid_t uid,
			    const char *session)
{
	char out[NAMES_CONTAINER_MAX + 1];

	if (names_container(tmpl, origin, user, uid, session, out) == 0 &&
	    !names_container_valid(out))
		__builtin_trap();
	names_user_safe(user);
}

/* Append VALUE to a buffer of size MAX, allocated exactly for ASan. Keys are
 * program constants; only values come from users. */
static void check_log(const char *value, size_t max)
{
	char *buf = malloc(max);

	if (!buf)
		__builtin_trap();
	if (max > 0)
		buf[0] = '\0';
	log_kv_append(buf, max, "user", value);
	log_kv_append(buf, max, "rhost", value);
	if (max > 0) {
		size_t n = strnlen(buf, max);
		if (n >= max)
			__builtin_trap();
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)buf[i] < 0x20 || (unsigned char)buf[i] >= 0x7f)
				__builtin_trap();
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t uid = 0;

	if (size < sizeof(uid))
		return 0;
	memcpy(&uid, data, sizeof(uid));
	data += sizeof(uid);
	size -= sizeof(uid);

	char *copy = malloc(size + 1), *p = copy, *end = copy + size;
	if (!copy)
		__builtin_trap();
	memcpy(copy, data, size);
	copy[size] = '\0';
	const char *tmpl = next(&p, end), *origin = next(&p, end), *user = next(&p, end);
	const char *session = next(&p, end), *value = next(&p, end);

	check_session(session);
	check_container(tmpl, origin, user, (uid_t)uid, session);
	check_container(tmpl, origin, user, (uid_t)uid, NULL);
	check_log(value, uid % 65);
	check_log(value, LOG_LINE_MAX);
	free(copy);
	return 0;
}
