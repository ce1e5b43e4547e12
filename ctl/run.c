/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * How throwawayctl runs the host's programs and reads what they say (sshd
 * -T for doctor, usermod and groupadd for enroll): through spawn_start
 * (an absolute path, the environment given, stdin from /dev/null, no
 * other fd, signals at their defaults), its stdout and stderr captured,
 * and a deadline for the whole run.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "ctl.h"
#include "spawn.h"
#include "util.h"

/* Read fd into out (NUL-terminated, capped) until its EOF or the deadline. */
static void read_until(int fd, uint64_t deadline, char *out, size_t len)
{
	size_t got = 0;
	for (uint64_t now = util_now_ms(); now < deadline; now = util_now_ms()) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		char buf[4096];
		int ready = poll(&pfd, 1, (int)(deadline - now));
		if (ready < 0 && errno == EINTR)
			continue;
		ssize_t n = ready > 0 ? read(fd, buf, sizeof(buf)) : 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		size_t take = (size_t)n < len - 1 - got ? (size_t)n : len - 1 - got;
		memcpy(out + got, buf, take);
		got += take;
	}
	out[got] = '\0';
}

int ctl_run(char *const argv[], char *const envp[], int timeout_ms, char *out, size_t len)
{
	struct tw_err e = { 0 };
	int p[2], status;
	pid_t pid;
	out[0] = '\0';
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	_cleanup_close_ int rfd = p[0];
	const struct spawn_opts o = { .path = argv[0],
				      .argv = argv,
				      .envp = envp,
				      .stdio = (const int[]){ -1, p[1], p[1] } };
	int r = spawn_start(&o, &e, &pid);
	close(p[1]);
	if (r < 0) {
		snprintf(out, len, "%s", e.msg);
		return r;
	}
	uint64_t deadline = util_now_ms() + (uint64_t)timeout_ms;
	read_until(rfd, deadline, out, len);
	uint64_t now = util_now_ms();
	r = spawn_wait(pid, now < deadline ? (int)(deadline - now) : 0, &status);
	return r < 0 ? r : status;
}
