/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * throwaway-enter: how the lxd driver starts a program in a copy. LXD's
 * exec runs it (the driver puts it into each copy as it makes one), as the
 * user; it restricts itself as the local driver restricts every program it
 * starts (no unix socket or FIFO made at or beneath the home and each
 * bind, which a user's copies share: landlock.h), then executes the
 * program with the argv[0] it was given, which LXD's exec cannot (a login
 * shell's is "-sh"). Static, so it runs in any origin; never built with
 * sanitizers, whose runtimes an origin does not have.
 *
 *   throwaway-enter [-d DIR]... -- PATH ARGV0 [ARG]...
 *
 * Fails as a shell would: 126 when the program cannot be run (or the
 * restriction fails), 127 when there is no such program; 2 for bad usage.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "landlock.h"

int main(int argc, char **argv)
{
	const char *dirs[LANDLOCK_SHARED_MAX];
	size_t n = 0;
	int i = 1;

	for (; i + 1 < argc && strcmp(argv[i], "-d") == 0; i += 2) {
		if (n == LANDLOCK_SHARED_MAX)
			return 2;
		dirs[n++] = argv[i + 1];
	}
	if (i + 2 >= argc || strcmp(argv[i], "--") != 0) {
		fputs("usage: throwaway-enter [-d DIR]... -- PATH ARGV0 [ARG]...\n", stderr);
		return 2;
	}
	/* A kernel without Landlock (ABI 2) leaves it to LXD's memory limit:
	 * doctor and the guide say so. Any other failure refuses the program. */
	int r = landlock_deny_make(dirs, n);
	if (r < 0 && r != -ENOSYS && r != -EOPNOTSUPP && r != -EPROTONOSUPPORT) {
		fprintf(stderr, "throwaway: cannot restrict the program: %s\n", strerror(-r));
		return 126;
	}
	execv(argv[i + 1], argv + i + 2);
	int e = errno;
	fprintf(stderr, "throwaway: cannot run %s: %s\n", argv[i + 1], strerror(e));
	return e == ENOENT ? 127 : 126;
}
