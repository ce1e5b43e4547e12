/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "proto.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

static bool key_valid(const char *k, size_t len)
{
	if (len == 0 || len > PROTO_MAX_KEY)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || k[i] == '_'))
			return false;
	return true;
}

static int append(struct proto_msg *m, const char *key, const char *value)
{
	size_t kl = strlen(key), vl = strlen(value), need = kl + vl + 2;

	if (m->len + need > PROTO_MAX_MSG)
		return -E2BIG;
	if (m->len + need > m->cap) {
		size_t cap = m->cap ? m->cap : 256;
		while (cap < m->len + need)
			cap *= 2;
		char *d = realloc(m->data, cap);
		if (!d)
			return -ENOMEM;
		m->data = d;
		m->cap = cap;
	}
	memcpy(m->data + m->len, key, kl);
	m->data[m->len + kl] = '=';
	memcpy(m->data + m->len + kl + 1, value, vl + 1);
	m->len += need;
	return 0;
}

int proto_begin(struct proto_msg *m, const char *type)
{
	memset(m, 0, sizeof(*m));
	int r = append(m, "v", PROTO_VERSION);
	return r < 0 ? r : append(m, "t", type);
}

int proto_put(struct proto_msg *m, const char *key, const char *value)
{
	if (!value)
		return 0;
	if (!key_valid(key, strlen(key)))
		return -EINVAL;
	return append(m, key, value);
}

int proto_putu(struct proto_msg *m, const char *key, unsigned long long value)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%llu", value);
	return proto_put(m, key, buf);
}

/* Split one "key=value\0" field at *off; advances *off. */
static int split_field(struct proto_msg *m, size_t *off, const char **rk, const char **rv)
{
	char *f = m->data + *off;
	char *end = memchr(f, '\0', m->len - *off);
	if (!end)
		return -EBADMSG;
	char *eq = memchr(f, '=', (size_t)(end - f));
	if (!eq || !key_valid(f, (size_t)(eq - f)))
		return -EBADMSG;
	*eq = '\0';
	*rk = f;
	*rv = eq + 1;
	*off += (size_t)(end - f) + 1;
	return 0;
}

int proto_parse(struct proto_msg *m)
{
	size_t off = 0;
	const char *k, *v;

	m->n = 0;
	m->type = NULL;
	if (m->len == 0 || m->len > PROTO_MAX_MSG || split_field(m, &off, &k, &v) < 0)
		return -EBADMSG;
	if (strcmp(k, "v") != 0)
		return -EBADMSG;
	if (strcmp(v, PROTO_VERSION) != 0)
		return -EPROTO;
	if (off >= m->len || split_field(m, &off, &k, &v) < 0 || strcmp(k, "t") != 0 || !*v)
		return -EBADMSG;
	m->type = v;
	while (off < m->len) {
		if (m->n >= PROTO_MAX_FIELDS || split_field(m, &off, &k, &v) < 0)
			return -EBADMSG;
		m->keys[m->n] = k;
		m->vals[m->n++] = v;
	}
	return 0;
}

const char *proto_get(const struct proto_msg *m, const char *key)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->keys[i], key) == 0)
			return m->vals[i];
	return NULL;
}

int proto_getu(const struct proto_msg *m, const char *key, unsigned long long max,
	       unsigned long long *ret)
{
	const char *v = proto_get(m, key);
	uint64_t x;

	/* A number on the wire is at most as long as UINT64_MAX is (20 digits). */
	if (!v || strlen(v) > 20 || util_parse_u64(v, max, NULL, &x) < 0)
		return -EBADMSG;
	*ret = x;
	return 0;
}

void proto_free(struct proto_msg *m)
{
	free(m->data);
	m->data = NULL;
	m->len = m->cap = m->n = 0;
}

int proto_send(int sock, const struct proto_msg *m, const int *fds, size_t n_fds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * PROTO_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = m->data, .iov_len = m->len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (n_fds > PROTO_MAX_FDS)
		return -EINVAL;
	if (n_fds > 0) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * n_fds);
	}
	uint64_t deadline = 0;
	for (;;) {
		ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL);
		if (n >= 0)
			return (size_t)n == m->len ? 0 : -EMSGSIZE;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		/* A non-blocking socket whose peer does not read: a moment, no more. */
		uint64_t now = util_now_ms();
		if (!deadline)
			deadline = now + PROTO_SEND_WAIT_MS;
		struct pollfd p = { .fd = sock, .events = POLLOUT };
		if (now >= deadline || (poll(&p, 1, (int)(deadline - now)) < 0 && errno != EINTR))
			return -ETIMEDOUT;
	}
}

static int wait_readable(int sock, int timeout_ms)
{
	struct pollfd p = { .fd = sock, .events = POLLIN };
	for (;;) {
		int r = poll(&p, 1, timeout_ms);
		if (r > 0)
			return 0;
		if (r == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

/* Take the fds out of the control data; close any beyond max_fds. */
static size_t take_fds(struct msghdr *mh, int *fds, size_t max_fds)
{
	size_t got = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int *p = (int *)CMSG_DATA(c);
		for (size_t i = 0; i < n; i++) {
			if (fds && got < max_fds)
				fds[got++] = p[i];
			else
				close(p[i]);
		}
	}
	return got;
}

int proto_send_simple(int sock, const char *type, const char *k1, const char *v1, const char *k2,
		      const char *v2)
{
	struct proto_msg m;
	int r = proto_begin(&m, type) ?: proto_put(&m, k1, v1) ?: (k2 ? proto_put(&m, k2, v2) : 0) ?:
		proto_send(sock, &m, NULL, 0);
	proto_free(&m);
	return r;
}

int proto_recv(int sock, struct proto_msg *m, int *fds, size_t max_fds, size_t *ret_n_fds,
	       int timeout_ms)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * PROTO_MAX_FDS * 2)];
		struct cmsghdr align;
	} u;
	memset(m, 0, sizeof(*m)); /* proto_free() is safe on every return */
	int r = wait_readable(sock, timeout_ms);
	if (r < 0)
		return r;
	m->data = malloc(PROTO_MAX_MSG);
	if (!m->data)
		return -ENOMEM;
	m->cap = PROTO_MAX_MSG;
	struct iovec iov = { .iov_base = m->data, .iov_len = PROTO_MAX_MSG };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	ssize_t n;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		r = -errno;
	size_t got = n < 0 ? 0 : take_fds(&mh, fds, max_fds);
	if (r == 0 && n == 0)
		r = -EPIPE;
	if (r == 0 && (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		r = -EMSGSIZE;
	if (r == 0) {
		m->len = (size_t)n;
		r = proto_parse(m);
	}
	if (r < 0) {
		for (size_t i = 0; fds && i < got; i++)
			close(fds[i]);
		proto_free(m);
		return r;
	}
	if (ret_n_fds)
		*ret_n_fds = got;
	return 0;
}

int proto_connect_session(const char *session)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/sock/%s", TW_RUNDIR, session);
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

int proto_close_session(const char *session, const char *reason, pid_t caller, int timeout_ms)
{
	struct proto_msg m;
	_cleanup_close_ int fd = proto_connect_session(session);
	if (fd < 0)
		return fd;
	int r = proto_begin(&m, "close") ?: proto_put(&m, "reason", reason);
	if (r == 0 && caller > 0)
		r = proto_putu(&m, "caller", (unsigned long long)caller);
	if (r == 0)
		r = proto_send(fd, &m, NULL, 0);
	proto_free(&m);
	if (r == 0)
		r = proto_recv(fd, &m, NULL, 0, NULL, timeout_ms);
	if (r == 0)
		r = m.type && strcmp(m.type, "closed") == 0 ? 0 : -EIO;
	proto_free(&m);
	return r;
}
