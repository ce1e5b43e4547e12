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
 *   throwaway-enter [-q N] [-d DIR]... -- PATH ARGV0 [ARG]...
 *
 * -q N: N bytes the user typed ahead, which the front door's terminal has
 * echoed already, come first on stdin, a terminal (LXD's pty): its echo
 * goes off, one NUL byte on stdout says so to the front door's relay,
 * which then sends them (and drops the NUL), and the modes come back once
 * they are in (at most QUIET_WAIT_MS later). LXD's API cannot set the
 * modes of its pty itself.
 *
 * Fails as a shell would: 126 when the program cannot be run (or the
 * restriction fails), 127 when there is no such program; 2 for bad usage.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "landlock.h"
#include "util.h"

#define QUIET_WAIT_MS 2000
#define TYPED_MAX 65536

/*
 * Echo and line editing off (ICANON too: only then does FIONREAD count a
 * line not yet ended), the NUL, then wait until N bytes are in. Setting
 * ICANON back makes what came a line the program can read at once.
 */
static void take_typed(unsigned long n)
{
	struct termios saved, quiet;
	bool tty = tcgetattr(0, &saved) == 0;

	if (tty) {
		quiet = saved;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON);
		quiet.c_cc[VMIN] = 1;
		quiet.c_cc[VTIME] = 0;
		tty = tcsetattr(0, TCSANOW, &quiet) == 0;
	}
	util_write_all(1, "", 1);
	if (!tty)
		return;
	uint64_t end = util_now_ms() + QUIET_WAIT_MS;
	for (int in = 0; ioctl(0, FIONREAD, &in) == 0 && (unsigned long)in < n;) {
		uint64_t now = util_now_ms();
		if (now >= end)
			break;
		struct pollfd p = { .fd = 0, .events = POLLIN };
		/* readable with fewer than N: the rest is a moment behind */
		if (poll(&p, 1, (int)(end - now)) > 0)
			nanosleep(&(struct timespec){ .tv_nsec = 1000 * 1000 }, NULL);
	}
	tcsetattr(0, TCSANOW, &saved);
}

int main(int argc, char **argv)
{
	const char *dirs[LANDLOCK_SHARED_MAX];
	size_t n = 0;
	uint64_t typed = 0;
	int i = 1;

	if (i + 1 < argc && strcmp(argv[i], "-q") == 0) {
		if (util_parse_u64(argv[i + 1], TYPED_MAX, NULL, &typed) < 0)
			return 2;
		i += 2;
	}
	for (; i + 1 < argc && strcmp(argv[i], "-d") == 0; i += 2) {
		if (n == LANDLOCK_SHARED_MAX)
			return 2;
		dirs[n++] = argv[i + 1];
	}
	if (i + 2 >= argc || strcmp(argv[i], "--") != 0) {
		fputs("usage: throwaway-enter [-q N] [-d DIR]... -- PATH ARGV0 [ARG]...\n", stderr);
		return 2;
	}
	if (typed)
		take_typed(typed);
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
