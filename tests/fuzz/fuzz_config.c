/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer harness for the throwaway.conf reader (common/base/config.c). The
 * input is the whole file, handed over through a memfd as config_load() does
 * with the real one; it is resolved once for a user in two groups (so
 * [user:] and [group:] sections apply) and once for the global view.
 */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const groups[] = { "alice", "wheel" };
static const struct config_who alice = { "alice", groups, 2 };

static void load(int fd, const struct config_who *who)
{
	struct config c;
	struct tw_err err = { 0 };

	if (lseek(fd, 0, SEEK_SET) != 0)
		__builtin_trap();
	int r = config_load_fd(fd, "fuzz.conf", who, &c, &err);
	if (r < 0) {
		/* Every refusal says why, with the errno it returned. */
		if (!memchr(err.msg, '\0', sizeof(err.msg)) || !err.msg[0] || err.code != -r)
			__builtin_trap();
		return;
	}
	if (!c.origin || c.n_binds > CONFIG_MAX_BINDS || c.n_devices > CONFIG_MAX_DEVICES)
		__builtin_trap();
	config_free(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz.conf", MFD_CLOEXEC);

	if (fd < 0)
		__builtin_trap();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		__builtin_trap();
	load(fd, &alice);
	load(fd, NULL);
	close(fd);
	return 0;
}
