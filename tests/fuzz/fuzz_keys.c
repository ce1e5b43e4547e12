/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer harness for authorized_keys parsing (common/host/keys.c): the input
 * is an authorized_keys buffer (no NUL terminator, exact-size allocation so
 * an over-read is caught) and, NUL-terminated, an SSH_AUTH_INFO_0 string.
 * What keys_parse() keeps must format back into text that parses to the
 * same keys.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_list(const struct key_list *l)
{
	if (l->n > KEYS_MAX_KEYS || (l->skipped == 0) != (l->first_bad_line == 0))
		__builtin_trap();
	for (size_t i = 0; i < l->n; i++)
		if (!l->keys[i].line || !l->keys[i].type ||
		    strncmp(l->keys[i].fp, "SHA256:", 7) != 0)
			__builtin_trap();
}

static void round_trip(const struct key_list *l)
{
	struct key_list again;
	char *text;
	size_t len;

	if (keys_format(l, &text, &len) < 0)
		__builtin_trap();
	if (len <= KEYS_MAX_FILE) {
		if (keys_parse(text, len, &again) < 0 || again.n != l->n || again.skipped)
			__builtin_trap();
		for (size_t i = 0; i < l->n; i++)
			if (strcmp(again.keys[i].fp, l->keys[i].fp) != 0)
				__builtin_trap();
		keys_free(&again);
	}
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct key_list l;
	char *buf = malloc(size ? size : 1), *info = malloc(size + 1);

	if (!buf || !info)
		__builtin_trap();
	memcpy(buf, data, size);
	if (keys_parse(buf, size, &l) == 0) {
		check_list(&l);
		round_trip(&l);
		keys_free(&l);
	}
	memcpy(info, data, size);
	info[size] = '\0';
	if (keys_from_auth_info(info, &l) == 0) {
		if (l.n > 1)
			__builtin_trap();
		check_list(&l);
		keys_free(&l);
	}
	free(info);
	free(buf);
	return 0;
}
