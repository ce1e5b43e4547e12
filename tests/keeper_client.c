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
 *       the keeper's queue from it full of "activity", so that the keeper
 *       always has something to read from it, and more than it reads, when
 *       A ends; A's client must get A's exit, and B must still run. Prints
 *       "B survived K of ROUNDS", and on stderr what went wrong in a round.
 *   keeper_client SESSION typed HEX
 *       ask for a program ("true") on a terminal, with HEX as the bytes
 *       typed ahead, as the shell would send them; print the keeper's
 *       answer's type ("started", "error").
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

/*
 * The next message's type from fd within timeout_ms: NULL on a timeout,
 * and on EOF or an error what it was, in parentheses.
 */
static const char *next_type(int fd, int timeout_ms, char *buf, size_t len)
{
	struct proto_msg m;
	int r = proto_recv(fd, &m, NULL, 0, NULL, timeout_ms);
	if (r == -ETIMEDOUT)
		return NULL;
	if (r == 0)
		snprintf(buf, len, "%s", m.type);
	else
		snprintf(buf, len, "(%s)", strerror(-r));
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

/* What A's client saw while it kept the keeper reading. */
struct flood {
	unsigned sent, full; /* "activity" sent, and how often the keeper's queue was full */
	uint64_t ms;         /* from the ask to A's last word */
	char last[64];       /* that word: "exit", another type, "(error)", or "" for none */
	char behind[64];     /* after an error, what was still queued behind it */
};

/* The keeper's queue from a kept full of "activity" until a's program has ended. */
static bool flood_until_exit(int a, uint64_t t0, struct flood *f)
{
	struct proto_msg m;
	const char *type = NULL;
	uint64_t deadline = util_now_ms() + 10000;
	if (proto_begin(&m, "activity") < 0)
		return false;
	while (!type && util_now_ms() < deadline) {
		while (send(a, m.data, m.len, MSG_DONTWAIT | MSG_NOSIGNAL) > 0)
			f->sent++;
		f->full += errno == EAGAIN;
		type = next_type(a, 0, f->last, sizeof(f->last));
		if (type && strcmp(type, "started") == 0)
			type = NULL;
	}
	proto_free(&m);
	f->ms = util_now_ms() - t0;
	if (type && type[0] == '(')
		next_type(a, 0, f->behind, sizeof(f->behind));
	return type && strcmp(type, "exit") == 0;
}

static int channels(const char *session, int rounds)
{
	char t[64];
	int survived = 0;
	for (int i = 0; i < rounds; i++) {
		struct flood f = { 0 };
		uint64_t t0 = util_now_ms();
		int a = proto_connect_session(session), b = proto_connect_session(session);
		if (a < 0 || b < 0 || ask(a, "sleep 0.3") < 0 || ask(b, "sleep 30") < 0) {
			fprintf(stderr, "round %d: cannot reach the keeper\n", i);
			return 1;
		}
		const char *type = next_type(b, 5000, t, sizeof(t));
		bool b_runs = type && strcmp(type, "started") == 0;
		bool a_ended = flood_until_exit(a, t0, &f);
		/* B's program runs 30 s: any word from the keeper now is its end. */
		type = next_type(b, 1000, t, sizeof(t));
		if (b_runs && a_ended && !type)
			survived++;
		else
			fprintf(stderr,
				"round %d: A ended %d (its client's last word '%s' then '%s', %llu ms "
				"after the ask; %u activity sent, the queue full %u times), B started "
				"%d, then B got '%s'\n",
				i, a_ended, f.last, f.behind, (unsigned long long)f.ms, f.sent,
				f.full, b_runs, type ? type : "(nothing)");
		close(a);
		close(b);
	}
	printf("B survived %d of %d\n", survived, rounds);
	return 0;
}

static int typed(const char *session, const char *hex)
{
	struct proto_msg m = { 0 };
	char t[64];
	int fd = proto_connect_session(session), null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int fds[3] = { null, null, null };
	int r = fd < 0 || null < 0 ? -EIO : proto_begin(&m, "run");
	if (r == 0)
		r = proto_put(&m, "mode", "cmd") ?: proto_put(&m, "cmd", "true") ?:
		    proto_put(&m, "pty", "1") ?: proto_put(&m, "rows", "24") ?:
		    proto_put(&m, "cols", "80") ?: proto_put(&m, "typed", hex) ?:
		    proto_send(fd, &m, fds, 3);
	proto_free(&m);
	const char *type = r == 0 ? next_type(fd, 10000, t, sizeof(t)) : NULL;
	printf("%s\n", type ? type : "(nothing)");
	return r == 0 ? 0 : 1;
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
	if (argc == 4 && strcmp(argv[2], "typed") == 0)
		return typed(argv[1], argv[3]);
	fprintf(stderr,
		"usage: keeper_client SESSION hog N SECONDS | channels ROUNDS | typed HEX\n");
	return 2;
}
