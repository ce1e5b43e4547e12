/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer harness for session ledger records (common/host/ledger.c). The
 * input is a record's text (NUL-terminated, as ledger_read() passes it). A
 * record that parses must format and parse back to the same entry.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same(const struct ledger_entry *a, const struct ledger_entry *b)
{
	return !strcmp(a->session, b->session) && !strcmp(a->user, b->user) && a->uid == b->uid &&
	       !strcmp(a->container, b->container) && !strcmp(a->lxcpath, b->lxcpath) &&
	       !strcmp(a->origin, b->origin) && !strcmp(a->state, b->state) &&
	       !strcmp(a->rhost, b->rhost) && !strcmp(a->service, b->service) &&
	       a->keeper == b->keeper && a->keeper_start == b->keeper_start &&
	       a->caller == b->caller && a->started == b->started;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ledger_entry e, again;
	char *text = malloc(size + 1), buf[4096];

	if (!text)
		__builtin_trap();
	memcpy(text, data, size);
	text[size] = '\0';
	if (ledger_parse(text, &e) == 0) {
		if (!names_session_valid(e.session))
			__builtin_trap();
		int n = ledger_format(&e, buf, sizeof(buf));
		if (n < 0 || ledger_parse(buf, &again) < 0 || !same(&e, &again))
			__builtin_trap();
	}
	free(text);
	return 0;
}
