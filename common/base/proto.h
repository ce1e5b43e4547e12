/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The keeper protocol. One message per SOCK_SEQPACKET datagram:
 *   "v=1\0t=TYPE\0key=value\0key=value\0..."
 * Keys are [a-z_]{1,16}; a key may repeat (argv, env). Up to PROTO_MAX_FDS
 * file descriptors travel with a message as SCM_RIGHTS. Every message
 * carries the version, so either side can refuse a peer it does not speak.
 * Messages from a peer are untrusted: proto_parse() bounds everything.
 */
#ifndef THROWAWAY_PROTO_H
#define THROWAWAY_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define PROTO_VERSION "1"
#define PROTO_MAX_MSG (64 * 1024)
#define PROTO_MAX_FIELDS 512
#define PROTO_MAX_KEY 16
#define PROTO_MAX_FDS 3
/* The largest "rows" or "cols" a run message may ask a terminal for. */
#define PROTO_MAX_WINSIZE 4096
/* The most a run message carries of what its terminal echoed already ("typed", in hex). */
#define PROTO_MAX_TYPED 1024

struct proto_msg {
	char *data; /* encoded message; parsed in place by proto_parse */
	size_t len;
	size_t cap;
	const char *type;
	size_t n;
	const char *keys[PROTO_MAX_FIELDS];
	const char *vals[PROTO_MAX_FIELDS];
};

/* Start a message of TYPE. 0 or -errno. */
int proto_begin(struct proto_msg *m, const char *type);
/* Append key=value; -E2BIG past PROTO_MAX_MSG, -EINVAL for a bad key or a NUL-less value. */
int proto_put(struct proto_msg *m, const char *key, const char *value);
int proto_putu(struct proto_msg *m, const char *key, unsigned long long value);

/* Split m->data[0..len) into fields. 0, or -EBADMSG / -EPROTO (version). */
int proto_parse(struct proto_msg *m);

/* The first value of KEY, or NULL. */
const char *proto_get(const struct proto_msg *m, const char *key);
/* The value of KEY as an unsigned number ≤ max; -EBADMSG when absent or bad. */
int proto_getu(const struct proto_msg *m, const char *key, unsigned long long max,
	       unsigned long long *ret);

void proto_free(struct proto_msg *m);

/*
 * Send m with up to PROTO_MAX_FDS fds. 0 or -errno. On a non-blocking
 * socket whose peer's queue is full, waits PROTO_SEND_WAIT_MS for room,
 * then gives up with -ETIMEDOUT: a peer that never reads cannot hold the
 * sender (the keeper serves every client from one loop).
 */
#define PROTO_SEND_WAIT_MS 100
int proto_send(int sock, const struct proto_msg *m, const int *fds, size_t n_fds);

/* A message of TYPE with one or two key=value pairs (k2 may be NULL) and no fds. */
int proto_send_simple(int sock, const char *type, const char *k1, const char *v1, const char *k2,
		      const char *v2);

/* The same with one pair. */
static inline int proto_send_pair(int sock, const char *type, const char *key, const char *value)
{
	return proto_send_simple(sock, type, key, value, NULL, NULL);
}

/*
 * Receive and parse one message. Received fds are close-on-exec; unwanted
 * ones (beyond max_fds) are closed. -EPIPE on orderly EOF. timeout_ms < 0
 * waits forever. On success *ret_n_fds fds are in fds[].
 */
int proto_recv(int sock, struct proto_msg *m, int *fds, size_t max_fds, size_t *ret_n_fds,
	       int timeout_ms);

/* Connect to SESSION's keeper (its socket under TW_RUNDIR/sock). fd or -errno. */
int proto_connect_session(const char *session);

/*
 * Ask SESSION's keeper to end the session as at logout (reason, may be
 * NULL, is logged) and wait up to timeout_ms until the copy is gone. With
 * share = user only the login CALLER leaves while others remain (0: none).
 * 0, or -errno (-ECONNREFUSED/-ENOENT: no keeper answers).
 */
int proto_close_session(const char *session, const char *reason, pid_t caller, int timeout_ms);

#endif
