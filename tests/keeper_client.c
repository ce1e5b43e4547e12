/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * keeper_client: a client of a session's keeper that a shell would not be,
 * for the integration tests. Run as the session's user.
 *
 *   keeper_client SESSION hog N SECONDS
 *       connect N times and hold every connection for SECONDS, never
 *       sending or reading; the last 4 first ask for a program ("sleep
 *       SECONDS") and never read the answers. Prints "connected K".
 *   keeper_client SESSION channels ROUNDS
 *       per round, two programs of the session: A ("sleep 0.3"), asked
 *       for first, then B ("sleep 30"). While A runs its client keeps
 *       sending "activity" as fast as it can, so that the keeper always
 *       has something to read from it; when A has ended, B must still
 *       run. Prints "B survived K of ROUNDS".
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"
#include "util.h"

static int ask(int fd, const char *cmd)
{
	struct proto_msg m = { 0 };
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int fds[3] = { null, null, null };
	int r = null < 0 ? -errno : proto_begin(&m, "run");
	if (r == 0)
		r = proto_put(&m, "mode", "cmd") ?: proto_put(&m, "cmd", cmd) ?: proto_send(fd, &m, fds, 3);
	proto_free(&m);
	if (null >= 0)
		close(null);
	return r;
}

/* The next message's type from fd within timeout_ms ("" on EOF or error, NULL on a timeout). */
static const char *next_type(int fd, int timeout_ms, char *buf, size_t len)
{
	struct proto_msg m;
	int r = proto_recv(fd, &m, NULL, 0, NULL, timeout_ms);
	if (r == -ETIMEDOUT)
		return NULL;
	snprintf(buf, len, "%s", r == 0 ? m.type : "");
	proto_free(&m);
	return buf;
}

static int hog(const char *session, int n, int seconds)
{
	char cmd[64];
	int k = 0;
	snprintf(cmd, sizeof(cmd), "sleep %d", seconds);
	for (int i = 0; i < n; i++) {
		int fd = proto_connect_session(session);
		if (fd < 0)
			continue;
		if (i >= n - 4)
			ask(fd, cmd);
		k++; /* kept open, never read, until we exit */
	}
	printf("connected %d\n", k);
	fflush(stdout);
	sleep((unsigned)seconds);
	return 0;
}

/* Keep the keeper busy reading a's "activity" until a's program has ended. */
static bool flood_until_exit(int a)
{
	char t[32];
	const char *type;
	uint64_t deadline = util_now_ms() + 10000;
	while (util_now_ms() < deadline) {
		struct proto_msg m;
		if (proto_begin(&m, "activity") == 0)
			send(a, m.data, m.len, MSG_DONTWAIT | MSG_NOSIGNAL);
		proto_free(&m);
		if ((type = next_type(a, 0, t, sizeof(t))) && strcmp(type, "started") != 0)
			return strcmp(type, "exit") == 0;
	}
	return false;
}

static int channels(const char *session, int rounds)
{
	char t[32];
	int survived = 0;
	for (int i = 0; i < rounds; i++) {
		int a = proto_connect_session(session), b = proto_connect_session(session);
		if (a < 0 || b < 0 || ask(a, "sleep 0.3") < 0 || ask(b, "sleep 30") < 0) {
			fprintf(stderr, "round %d: cannot reach the keeper\n", i);
			return 1;
		}
		const char *type = next_type(b, 5000, t, sizeof(t));
		bool b_runs = type && strcmp(type, "started") == 0;
		bool a_ended = flood_until_exit(a);
		/* B's program runs 30 s: any word from the keeper now is its end. */
		type = next_type(b, 1000, t, sizeof(t));
		if (b_runs && a_ended && !type)
			survived++;
		else
			fprintf(stderr, "round %d: A ended %d, B started %d, then B got '%s'\n", i,
				a_ended, b_runs, type ? type : "(nothing)");
		close(a);
		close(b);
	}
	printf("B survived %d of %d\n", survived, rounds);
	return 0;
}

static int number(const char *s)
{
	uint64_t v;
	return util_parse_u64(s, 10000, NULL, &v) < 0 ? -1 : (int)v;
}

int main(int argc, char **argv)
{
	int n = argc >= 4 ? number(argv[3]) : -1, secs = argc == 5 ? number(argv[4]) : -1;
	if (argc == 5 && strcmp(argv[2], "hog") == 0 && n > 0 && secs > 0)
		return hog(argv[1], n, secs);
	if (argc == 4 && strcmp(argv[2], "channels") == 0 && n > 0)
		return channels(argv[1], n);
	fprintf(stderr, "usage: keeper_client SESSION hog N SECONDS | channels ROUNDS\n");
	return 2;
}
