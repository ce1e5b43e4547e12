/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer harness for keeper protocol messages (common/base/proto.c). The
 * input is one datagram, placed in an exact-size buffer as proto_recv()
 * would leave it, then parsed in place. A message that parses must encode
 * back, with proto_begin()/proto_put(), to exactly the bytes received.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void re_encode(const struct proto_msg *m, const uint8_t *data, size_t size)
{
	struct proto_msg out;

	if (proto_begin(&out, m->type) < 0)
		__builtin_trap();
	for (size_t i = 0; i < m->n; i++)
		if (proto_put(&out, m->keys[i], m->vals[i]) < 0)
			__builtin_trap();
	if (out.len != size || memcmp(out.data, data, size) != 0)
		__builtin_trap();
	proto_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_msg m = { .data = malloc(size ? size : 1), .len = size, .cap = size };
	unsigned long long u;

	if (!m.data)
		__builtin_trap();
	memcpy(m.data, data, size);
	if (proto_parse(&m) == 0) {
		if (!m.type || m.n > PROTO_MAX_FIELDS)
			__builtin_trap();
		re_encode(&m, data, size);
		for (size_t i = 0; i < m.n; i++) {
			if (proto_get(&m, m.keys[i]) == NULL)
				__builtin_trap();
			if (proto_getu(&m, m.keys[i], UINT32_MAX, &u) == 0 && u > UINT32_MAX)
				__builtin_trap();
		}
		proto_get(&m, "missing");
		proto_getu(&m, "pid", ~0ULL, &u);
	}
	proto_free(&m);
	return 0;
}
