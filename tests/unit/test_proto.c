/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for common/base/proto.c (cmocka): encoding, parsing, and transport. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "proto.h"

/* Helpers ------------------------------------------------------------- */

/* A message holding a copy of the raw bytes RAW[0..len). Free with proto_free. */
static void raw_msg(struct proto_msg *m, const char *raw, size_t len)
{
	memset(m, 0, sizeof(*m));
	m->data = malloc(len ? len : 1);
	assert_non_null(m->data);
	memcpy(m->data, raw, len);
	m->len = m->cap = len;
}

/* proto_parse of the raw bytes (a string literal, with its embedded NULs). */
#define PARSE_RAW(lit) parse_raw(lit, sizeof(lit) - 1)
static int parse_raw(const char *raw, size_t len)
{
	struct proto_msg m;

	raw_msg(&m, raw, len);
	int r = proto_parse(&m);
	proto_free(&m);
	return r;
}

/* Parse a copy of m (m itself stays sendable: parsing works in place). */
static void parsed_copy(const struct proto_msg *m, struct proto_msg *ret)
{
	raw_msg(ret, m->data, m->len);
	assert_int_equal(proto_parse(ret), 0);
}

static void seqpacket_pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
}

/* Send raw bytes with optional fds, bypassing proto_send's checks. */
static void send_raw(int sock, const void *data, size_t len, const int *fds, size_t n_fds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 16)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	assert_true(n_fds <= 16);
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
	assert_int_equal(sendmsg(sock, &mh, MSG_NOSIGNAL), (ssize_t)len);
}

/*
 * N pipes; the write ends are what travels. rd[i] stays here: once every
 * copy of a write end is closed, reading rd[i] gives EOF at once.
 */
static void make_pipes(size_t n, int *rd, int *wr)
{
	for (size_t i = 0; i < n; i++) {
		int p[2];
		assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
		rd[i] = p[0];
		wr[i] = p[1];
	}
}

static void close_all(size_t n, const int *fds)
{
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
}

/* True when every writer of the pipe is closed (read gives EOF, not EAGAIN). */
static bool writers_closed(int rd)
{
	char c;
	ssize_t n = read(rd, &c, 1);

	assert_true(n == 0 || (n < 0 && errno == EAGAIN));
	return n == 0;
}

static int count_fds(void)
{
	int n = 0;
	for (int fd = 0; fd < 1024; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

/* proto_begin / proto_put / proto_parse -------------------------------- */

static void test_proto_begin_layout(void **state)
{
	struct proto_msg m;

	(void)state;
	assert_int_equal(proto_begin(&m, "hello"), 0);
	assert_int_equal(m.len, 12);
	assert_memory_equal(m.data, "v=1\0t=hello\0", 12);
	assert_int_equal(proto_put(&m, "k", "v"), 0);
	assert_int_equal(m.len, 16);
	assert_memory_equal(m.data, "v=1\0t=hello\0k=v\0", 16);
	proto_free(&m);
}

static void test_proto_put_roundtrip(void **state)
{
	struct proto_msg m, p;
	unsigned long long u;

	(void)state;
	assert_int_equal(proto_begin(&m, "exec"), 0);
	assert_int_equal(proto_put(&m, "session", "0123456789abcdef"), 0);
	assert_int_equal(proto_put(&m, "empty", ""), 0);
	assert_int_equal(proto_put(&m, "text", "a b=c\n\"'\\\x01\xff"), 0);
	assert_int_equal(proto_putu(&m, "cols", 80), 0);
	assert_int_equal(proto_putu(&m, "big", ULLONG_MAX), 0);
	assert_int_equal(proto_put(&m, "sixteen_chars_ok", "x"), 0);
	parsed_copy(&m, &p);
	assert_string_equal(p.type, "exec");
	assert_int_equal(p.n, 6);
	assert_string_equal(proto_get(&p, "session"), "0123456789abcdef");
	assert_string_equal(proto_get(&p, "empty"), "");
	assert_string_equal(proto_get(&p, "text"), "a b=c\n\"'\\\x01\xff");
	assert_string_equal(proto_get(&p, "sixteen_chars_ok"), "x");
	assert_int_equal(proto_getu(&p, "cols", 65535, &u), 0);
	assert_int_equal(u, 80);
	assert_int_equal(proto_getu(&p, "big", ULLONG_MAX, &u), 0);
	assert_true(u == ULLONG_MAX);
	/* The version and type are not fields. */
	assert_null(proto_get(&p, "v"));
	assert_null(proto_get(&p, "t"));
	proto_free(&p);
	proto_free(&m);
}

static void test_proto_put_repeated_keys(void **state)
{
	static const char *const argv[] = { "ls", "-l", "", "a b", "ls" };
	struct proto_msg m, p;

	(void)state;
	assert_int_equal(proto_begin(&m, "exec"), 0);
	assert_int_equal(proto_put(&m, "argv", argv[0]), 0);
	assert_int_equal(proto_put(&m, "env", "TERM=xterm"), 0);
	for (size_t i = 1; i < 5; i++)
		assert_int_equal(proto_put(&m, "argv", argv[i]), 0);
	parsed_copy(&m, &p);
	assert_int_equal(p.n, 6);
	size_t a = 0;
	for (size_t i = 0; i < p.n; i++) {
		if (strcmp(p.keys[i], "argv") != 0)
			continue;
		assert_true(a < 5);
		assert_string_equal(p.vals[i], argv[a++]);
	}
	assert_int_equal(a, 5);
	assert_string_equal(proto_get(&p, "argv"), "ls"); /* the first */
	assert_string_equal(proto_get(&p, "env"), "TERM=xterm");
	proto_free(&p);
	proto_free(&m);
}

static void test_proto_put_null_value(void **state)
{
	struct proto_msg m;

	(void)state;
	assert_int_equal(proto_begin(&m, "x"), 0);
	size_t len = m.len;
	assert_int_equal(proto_put(&m, "rhost", NULL), 0); /* skipped */
	assert_int_equal(m.len, len);
	proto_free(&m);
}

static void test_proto_put_bad_key(void **state)
{
	static const char *const bad[] = {
		"Upper", "UPPER", "",    "seventeen_chars_x", "a=b", "=", "a-b",
		"a1",    "a b",   "a\n", "\xc3\xa9",
	};
	struct proto_msg m;

	(void)state;
	assert_int_equal(proto_begin(&m, "x"), 0);
	size_t len = m.len;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(proto_put(&m, bad[i], "v"), -EINVAL);
		assert_int_equal(proto_putu(&m, bad[i], 1), -EINVAL);
	}
	assert_int_equal(m.len, len); /* nothing appended */
	proto_free(&m);
}

static void test_proto_put_too_big(void **state)
{
	struct proto_msg m, p;
	static char value[PROTO_MAX_MSG];

	(void)state;
	assert_int_equal(proto_begin(&m, "x"), 0); /* 8 bytes */
	/* "k=" + value + NUL filling the message to exactly PROTO_MAX_MSG. */
	size_t vl = PROTO_MAX_MSG - m.len - 3;
	memset(value, 'a', vl);
	value[vl] = '\0';
	assert_int_equal(proto_put(&m, "k", value), 0);
	assert_int_equal(m.len, PROTO_MAX_MSG);
	assert_int_equal(proto_put(&m, "k", ""), -E2BIG);
	assert_int_equal(m.len, PROTO_MAX_MSG);
	parsed_copy(&m, &p);
	assert_int_equal(strlen(proto_get(&p, "k")), vl);
	proto_free(&p);
	proto_free(&m);

	/* One byte more does not fit at all. */
	assert_int_equal(proto_begin(&m, "x"), 0);
	value[vl] = 'a';
	value[vl + 1] = '\0';
	assert_int_equal(proto_put(&m, "k", value), -E2BIG);
	assert_int_equal(m.len, 8);
	proto_free(&m);
}

static void test_proto_put_many_fields_until_full(void **state)
{
	struct proto_msg m;
	int r = 0;
	size_t n = 0;

	(void)state;
	assert_int_equal(proto_begin(&m, "x"), 0);
	while ((r = proto_put(&m, "argv", "0123456789")) == 0)
		n++;
	assert_int_equal(r, -E2BIG);
	assert_true(m.len <= PROTO_MAX_MSG);
	assert_true(m.len + 16 > PROTO_MAX_MSG);
	assert_true(n > PROTO_MAX_FIELDS); /* more than a parser accepts: see below */
	proto_free(&m);
}

static void test_proto_putu_values(void **state)
{
	struct proto_msg m;

	(void)state;
	assert_int_equal(proto_begin(&m, "x"), 0);
	assert_int_equal(proto_putu(&m, "a", 0), 0);
	assert_int_equal(proto_putu(&m, "b", ULLONG_MAX), 0);
	assert_memory_equal(m.data, "v=1\0t=x\0a=0\0b=18446744073709551615\0", m.len);
	proto_free(&m);
}

/* proto_get / proto_getu ----------------------------------------------- */

static void test_proto_get_absent(void **state)
{
	struct proto_msg p;

	(void)state;
	raw_msg(&p, "v=1\0t=x\0ab=1\0", 13);
	assert_int_equal(proto_parse(&p), 0);
	assert_null(proto_get(&p, "a"));   /* a prefix of a key */
	assert_null(proto_get(&p, "abc")); /* longer than a key */
	assert_null(proto_get(&p, ""));
	assert_string_equal(proto_get(&p, "ab"), "1");
	proto_free(&p);
}

static void test_proto_getu_bounds(void **state)
{
	static const char raw[] = "v=1\0t=x\0"
				  "ok=42\0zero=0\0max=18446744073709551615\0"
				  "over=18446744073709551616\0twenty=99999999999999999999\0"
				  "twentyone=000000000000000000001\0lead=007\0"
				  "empty=\0alpha=12a\0neg=-1\0plus=+1\0space= 1\0hex=0x10\0";
	struct proto_msg p;
	unsigned long long u;

	(void)state;
	raw_msg(&p, raw, sizeof(raw) - 1);
	assert_int_equal(proto_parse(&p), 0);

	assert_int_equal(proto_getu(&p, "ok", 42, &u), 0);
	assert_int_equal(u, 42);
	assert_int_equal(proto_getu(&p, "zero", 0, &u), 0);
	assert_int_equal(u, 0);
	assert_int_equal(proto_getu(&p, "max", ULLONG_MAX, &u), 0);
	assert_true(u == ULLONG_MAX);
	assert_int_equal(proto_getu(&p, "lead", 7, &u), 0);
	assert_int_equal(u, 7);

	u = 1234;
	assert_int_equal(proto_getu(&p, "ok", 41, &u), -EBADMSG); /* > max */
	assert_int_equal(proto_getu(&p, "absent", ULLONG_MAX, &u), -EBADMSG);
	assert_int_equal(proto_getu(&p, "over", ULLONG_MAX, &u), -EBADMSG);
	assert_int_equal(proto_getu(&p, "twenty", ULLONG_MAX, &u), -EBADMSG);
	assert_int_equal(proto_getu(&p, "twentyone", ULLONG_MAX, &u), -EBADMSG);
	assert_int_equal(proto_getu(&p, "empty", ULLONG_MAX, &u), -EBADMSG);
	assert_int_equal(proto_getu(&p, "alpha", ULLONG_MAX, &u), -EBADMSG);
	assert_int_equal(proto_getu(&p, "neg", ULLONG_MAX, &u), -EBADMSG);
	assert_int_equal(proto_getu(&p, "plus", ULLONG_MAX, &u), -EBADMSG);
	assert_int_equal(proto_getu(&p, "space", ULLONG_MAX, &u), -EBADMSG);
	assert_int_equal(proto_getu(&p, "hex", ULLONG_MAX, &u), -EBADMSG);
	assert_int_equal(u, 1234); /* untouched on failure */
	proto_free(&p);
}

/* proto_parse ---------------------------------------------------------- */

static void test_proto_parse_ok(void **state)
{
	struct proto_msg p;

	(void)state;
	assert_int_equal(PARSE_RAW("v=1\0t=x\0"), 0);
	assert_int_equal(PARSE_RAW("v=1\0t=x\0a=\0b=c=d\0"), 0);
	raw_msg(&p, "v=1\0t=ready\0a=b=c\0", 18);
	assert_int_equal(proto_parse(&p), 0);
	assert_string_equal(p.type, "ready");
	assert_string_equal(proto_get(&p, "a"), "b=c");
	proto_free(&p);
}

static void test_proto_parse_empty(void **state)
{
	(void)state;
	assert_int_equal(parse_raw("", 0), -EBADMSG);
	assert_int_equal(PARSE_RAW("\0"), -EBADMSG);
}

static void test_proto_parse_missing_version(void **state)
{
	(void)state;
	assert_int_equal(PARSE_RAW("t=x\0"), -EBADMSG);
	assert_int_equal(PARSE_RAW("t=x\0v=1\0"), -EBADMSG);
	assert_int_equal(PARSE_RAW("a=b\0t=x\0"), -EBADMSG);
}

static void test_proto_parse_wrong_version(void **state)
{
	(void)state;
	assert_int_equal(PARSE_RAW("v=2\0t=x\0"), -EPROTO);
	assert_int_equal(PARSE_RAW("v=10\0t=x\0"), -EPROTO);
	assert_int_equal(PARSE_RAW("v=\0t=x\0"), -EPROTO);
	assert_int_equal(PARSE_RAW("v=1 \0t=x\0"), -EPROTO);
}

static void test_proto_parse_missing_type(void **state)
{
	(void)state;
	assert_int_equal(PARSE_RAW("v=1\0"), -EBADMSG);
	assert_int_equal(PARSE_RAW("v=1\0a=b\0"), -EBADMSG);
	assert_int_equal(PARSE_RAW("v=1\0a=b\0t=x\0"), -EBADMSG);
}

static void test_proto_parse_empty_type(void **state)
{
	(void)state;
	assert_int_equal(PARSE_RAW("v=1\0t=\0"), -EBADMSG);
	assert_int_equal(PARSE_RAW("v=1\0t=\0a=b\0"), -EBADMSG);
}

static void test_proto_parse_field_without_equals(void **state)
{
	(void)state;
	assert_int_equal(PARSE_RAW("v=1\0t=x\0abc\0"), -EBADMSG);
	assert_int_equal(PARSE_RAW("v=1\0t=x\0\0"), -EBADMSG); /* an empty field */
	assert_int_equal(PARSE_RAW("v1\0t=x\0"), -EBADMSG);
	assert_int_equal(PARSE_RAW("v=1\0tx\0"), -EBADMSG);
}

static void test_proto_parse_bad_key(void **state)
{
	(void)state;
	assert_int_equal(PARSE_RAW("v=1\0t=x\0A=b\0"), -EBADMSG);
	assert_int_equal(PARSE_RAW("v=1\0t=x\0=b\0"), -EBADMSG);
	assert_int_equal(PARSE_RAW("v=1\0t=x\0seventeen_chars_x=b\0"), -EBADMSG);
	assert_int_equal(PARSE_RAW("v=1\0t=x\0a b=c\0"), -EBADMSG);
	assert_int_equal(PARSE_RAW("v=1\0t=x\0\xff=c\0"), -EBADMSG);
	assert_int_equal(PARSE_RAW("v=1\0t=x\0sixteen_chars_ok=b\0"), 0);
}

static void test_proto_parse_missing_trailing_nul(void **state)
{
	(void)state;
	assert_int_equal(PARSE_RAW("v=1\0t=x\0a=b"), -EBADMSG);
	assert_int_equal(PARSE_RAW("v=1\0t=x"), -EBADMSG);
	assert_int_equal(PARSE_RAW("v=1"), -EBADMSG);
}

static void test_proto_parse_too_many_fields(void **state)
{
	static char raw[8 + (PROTO_MAX_FIELDS + 1) * 4];
	size_t len = 0;

	(void)state;
	memcpy(raw, "v=1\0t=x\0", 8);
	len = 8;
	for (size_t i = 0; i < PROTO_MAX_FIELDS; i++) {
		memcpy(raw + len, "a=b\0", 4);
		len += 4;
	}
	assert_int_equal(parse_raw(raw, len), 0); /* exactly the maximum */
	memcpy(raw + len, "a=b\0", 4);
	assert_int_equal(parse_raw(raw, len + 4), -EBADMSG);
}

static void test_proto_parse_too_long(void **state)
{
	struct proto_msg p;
	static char raw[PROTO_MAX_MSG + 1];

	(void)state;
	/* A valid message, but one byte over the cap. */
	memcpy(raw, "v=1\0t=x\0k=", 10);
	memset(raw + 10, 'a', sizeof(raw) - 11);
	raw[sizeof(raw) - 1] = '\0';
	raw_msg(&p, raw, sizeof(raw));
	assert_int_equal(proto_parse(&p), -EBADMSG);
	proto_free(&p);
	/* The same message one byte shorter is fine. */
	raw[sizeof(raw) - 2] = '\0';
	raw_msg(&p, raw, sizeof(raw) - 1);
	assert_int_equal(proto_parse(&p), 0);
	proto_free(&p);
}

static void test_proto_free_twice(void **state)
{
	struct proto_msg m;

	(void)state;
	assert_int_equal(proto_begin(&m, "x"), 0);
	proto_free(&m);
	proto_free(&m);
	assert_null(m.data);
	assert_int_equal(m.len, 0);
}

/* proto_send / proto_recv ---------------------------------------------- */

static void test_proto_send_recv_roundtrip(void **state)
{
	struct proto_msg m, r = { 0 };
	int sv[2];
	size_t nfds = 99;

	(void)state;
	seqpacket_pair(sv);
	assert_int_equal(proto_begin(&m, "hello"), 0);
	assert_int_equal(proto_put(&m, "user", "alice"), 0);
	assert_int_equal(proto_put(&m, "argv", "a"), 0);
	assert_int_equal(proto_put(&m, "argv", "b"), 0);
	assert_int_equal(proto_send(sv[0], &m, NULL, 0), 0);
	assert_int_equal(proto_recv(sv[1], &r, NULL, 0, &nfds, 1000), 0);
	assert_int_equal(nfds, 0);
	assert_string_equal(r.type, "hello");
	assert_int_equal(r.n, 3);
	assert_string_equal(proto_get(&r, "user"), "alice");
	assert_string_equal(r.keys[1], "argv");
	assert_string_equal(r.vals[1], "a");
	assert_string_equal(r.vals[2], "b");
	proto_free(&r);
	/* Both directions; the same message twice. */
	assert_int_equal(proto_send(sv[1], &m, NULL, 0), 0);
	assert_int_equal(proto_send(sv[1], &m, NULL, 0), 0);
	assert_int_equal(proto_recv(sv[0], &r, NULL, 0, NULL, -1), 0);
	proto_free(&r);
	assert_int_equal(proto_recv(sv[0], &r, NULL, 0, NULL, 1000), 0);
	assert_string_equal(r.type, "hello");
	proto_free(&r);
	proto_free(&m);
	close(sv[0]);
	close(sv[1]);
}

static void test_proto_send_recv_max_size(void **state)
{
	struct proto_msg m, r = { 0 };
	static char value[PROTO_MAX_MSG];
	int sv[2];
	int bufsz = 4 * PROTO_MAX_MSG;

	(void)state;
	seqpacket_pair(sv);
	assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz)), 0);
	assert_int_equal(proto_begin(&m, "x"), 0);
	size_t vl = PROTO_MAX_MSG - m.len - 3;
	memset(value, 'z', vl);
	value[vl] = '\0';
	assert_int_equal(proto_put(&m, "k", value), 0);
	assert_int_equal(m.len, PROTO_MAX_MSG);
	assert_int_equal(proto_send(sv[0], &m, NULL, 0), 0);
	assert_int_equal(proto_recv(sv[1], &r, NULL, 0, NULL, 1000), 0);
	assert_int_equal(strlen(proto_get(&r, "k")), vl);
	proto_free(&r);
	proto_free(&m);
	close(sv[0]);
	close(sv[1]);
}

static void test_proto_send_recv_fds(void **state)
{
	struct proto_msg m, r = { 0 };
	int sv[2], rd[3], wr[3], got[PROTO_MAX_FDS];
	size_t nfds = 0;

	(void)state;
	seqpacket_pair(sv);
	make_pipes(3, rd, wr);
	for (size_t i = 0; i < 3; i++) /* the sender's fds need not be close-on-exec */
		assert_int_equal(fcntl(wr[i], F_SETFD, 0), 0);
	assert_int_equal(proto_begin(&m, "fds"), 0);
	assert_int_equal(proto_send(sv[0], &m, wr, 3), 0);
	close_all(3, wr);
	assert_int_equal(proto_recv(sv[1], &r, got, PROTO_MAX_FDS, &nfds, 1000), 0);
	assert_int_equal(nfds, 3);
	for (size_t i = 0; i < 3; i++) {
		char c = 0;
		assert_true(fcntl(got[i], F_GETFD) & FD_CLOEXEC);
		/* The fd received in slot i is pipe i's write end, and it works. */
		assert_int_equal(write(got[i], &"0123"[i], 1), 1);
		assert_int_equal(read(rd[i], &c, 1), 1);
		assert_int_equal(c, "0123"[i]);
		close(got[i]);
		assert_true(writers_closed(rd[i]));
	}
	close_all(3, rd);
	proto_free(&r);
	proto_free(&m);
	close(sv[0]);
	close(sv[1]);
}

static void test_proto_recv_extra_fds_closed(void **state)
{
	struct proto_msg m, r = { 0 };
	int sv[2], rd[3], wr[3], got[1] = { -1 };
	size_t nfds = 0;

	(void)state;
	seqpacket_pair(sv);
	make_pipes(3, rd, wr);
	assert_int_equal(proto_begin(&m, "fds"), 0);
	assert_int_equal(proto_send(sv[0], &m, wr, 3), 0);
	close_all(3, wr);
	int before = count_fds();
	assert_int_equal(proto_recv(sv[1], &r, got, 1, &nfds, 1000), 0);
	assert_int_equal(nfds, 1);
	assert_int_equal(count_fds(), before + 1);
	assert_false(writers_closed(rd[0])); /* kept */
	assert_true(writers_closed(rd[1]));  /* closed by proto_recv */
	assert_true(writers_closed(rd[2]));
	close(got[0]);
	assert_true(writers_closed(rd[0]));
	proto_free(&r);

	close_all(3, rd);
	proto_free(&m);

	/* max_fds = 0 with no array: all of them are closed. */
	make_pipes(3, rd, wr);
	assert_int_equal(proto_begin(&m, "fds"), 0);
	assert_int_equal(proto_send(sv[0], &m, wr, 3), 0);
	close_all(3, wr);
	before = count_fds();
	assert_int_equal(proto_recv(sv[1], &r, NULL, 0, &nfds, 1000), 0);
	assert_int_equal(nfds, 0);
	assert_int_equal(count_fds(), before);
	for (size_t i = 0; i < 3; i++)
		assert_true(writers_closed(rd[i]));
	close_all(3, rd);
	proto_free(&r);
	proto_free(&m);
	close(sv[0]);
	close(sv[1]);
}

static void test_proto_send_too_many_fds(void **state)
{
	struct proto_msg m;
	int sv[2], fds[4];

	(void)state;
	seqpacket_pair(sv);
	for (size_t i = 0; i < 4; i++)
		fds[i] = sv[0];
	assert_int_equal(proto_begin(&m, "x"), 0);
	assert_int_equal(proto_send(sv[0], &m, fds, PROTO_MAX_FDS + 1), -EINVAL);
	/* Nothing went out. */
	struct pollfd pf = { .fd = sv[1], .events = POLLIN };
	assert_int_equal(poll(&pf, 1, 0), 0);
	proto_free(&m);
	close(sv[0]);
	close(sv[1]);
}

/* A peer that sends more fds than fit: every one received is closed. */
static void test_proto_recv_too_many_fds_raw(void **state)
{
	enum { N = 10 };
	struct proto_msg r = { 0 };
	int sv[2], rd[N], wr[N], got[PROTO_MAX_FDS];
	size_t nfds = 77;

	(void)state;
	seqpacket_pair(sv);
	make_pipes(N, rd, wr);
	send_raw(sv[0], "v=1\0t=x\0", 8, wr, N);
	close_all(N, wr);
	int before = count_fds();
	int ret = proto_recv(sv[1], &r, got, PROTO_MAX_FDS, &nfds, 1000);
	assert_int_equal(ret, -EMSGSIZE); /* control data truncated */
	assert_int_equal(nfds, 77);
	assert_int_equal(count_fds(), before);
	for (size_t i = 0; i < N; i++)
		assert_true(writers_closed(rd[i]));
	close_all(N, rd);
	assert_null(r.data);
	close(sv[0]);
	close(sv[1]);
}

static void test_proto_recv_eof(void **state)
{
	struct proto_msg r = { 0 };
	int sv[2];

	(void)state;
	seqpacket_pair(sv);
	close(sv[0]);
	assert_int_equal(proto_recv(sv[1], &r, NULL, 0, NULL, 1000), -EPIPE);
	assert_null(r.data);
	close(sv[1]);
}

static void test_proto_recv_timeout(void **state)
{
	struct proto_msg r = { 0 };
	int sv[2];

	(void)state;
	seqpacket_pair(sv);
	assert_int_equal(proto_recv(sv[1], &r, NULL, 0, NULL, 50), -ETIMEDOUT);
	assert_int_equal(proto_recv(sv[1], &r, NULL, 0, NULL, 0), -ETIMEDOUT);
	assert_null(r.data);
	close(sv[0]);
	close(sv[1]);
}

static void test_proto_recv_oversized(void **state)
{
	struct proto_msg r = { 0 };
	static char raw[PROTO_MAX_MSG + 1];
	int sv[2], rd[2], wr[2], got[PROTO_MAX_FDS];
	int bufsz = 4 * PROTO_MAX_MSG;

	(void)state;
	seqpacket_pair(sv);
	assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz)), 0);
	memcpy(raw, "v=1\0t=x\0k=", 10);
	memset(raw + 10, 'a', sizeof(raw) - 11);
	raw[sizeof(raw) - 1] = '\0';
	make_pipes(2, rd, wr);
	send_raw(sv[0], raw, sizeof(raw), wr, 2);
	close_all(2, wr);
	assert_int_equal(proto_recv(sv[1], &r, got, PROTO_MAX_FDS, NULL, 1000), -EMSGSIZE);
	assert_null(r.data);
	for (size_t i = 0; i < 2; i++)
		assert_true(writers_closed(rd[i])); /* the fds that came with it too */
	close_all(2, rd);
	/* The next message is read whole: the oversized one is gone entirely. */
	send_raw(sv[0], "v=1\0t=next\0", 11, NULL, 0);
	assert_int_equal(proto_recv(sv[1], &r, NULL, 0, NULL, 1000), 0);
	assert_string_equal(r.type, "next");
	proto_free(&r);
	close(sv[0]);
	close(sv[1]);
}

static void test_proto_recv_bad_message(void **state)
{
	struct proto_msg r = { 0 };
	int sv[2], rd[1], wr[1], got[PROTO_MAX_FDS];

	(void)state;
	seqpacket_pair(sv);
	make_pipes(1, rd, wr);
	send_raw(sv[0], "garbage", 7, wr, 1);
	close_all(1, wr);
	assert_int_equal(proto_recv(sv[1], &r, got, PROTO_MAX_FDS, NULL, 1000), -EBADMSG);
	assert_null(r.data);
	assert_true(writers_closed(rd[0]));
	close(rd[0]);
	/* A bad field after a good header. */
	send_raw(sv[0], "v=1\0t=x\0nokey\0", 14, NULL, 0);
	assert_int_equal(proto_recv(sv[1], &r, NULL, 0, NULL, 1000), -EBADMSG);
	close(sv[0]);
	close(sv[1]);
}

static void test_proto_recv_wrong_version(void **state)
{
	struct proto_msg r = { 0 };
	int sv[2];

	(void)state;
	seqpacket_pair(sv);
	send_raw(sv[0], "v=2\0t=x\0", 8, NULL, 0);
	assert_int_equal(proto_recv(sv[1], &r, NULL, 0, NULL, 1000), -EPROTO);
	assert_null(r.data);
	close(sv[0]);
	close(sv[1]);
}

static void test_proto_recv_bad_socket(void **state)
{
	struct proto_msg r = { 0 };
	int p[2];

	(void)state;
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(write(p[1], "v=1\0t=x\0", 8), 8);
	assert_int_equal(proto_recv(p[0], &r, NULL, 0, NULL, 1000), -ENOTSOCK);
	assert_null(r.data);
	close(p[0]);
	close(p[1]);
}

static void test_proto_send_closed_peer(void **state)
{
	struct proto_msg m;
	int sv[2];

	(void)state;
	seqpacket_pair(sv);
	close(sv[1]);
	assert_int_equal(proto_begin(&m, "x"), 0);
	/* No SIGPIPE (that would end the test program): -EPIPE. */
	assert_int_equal(proto_send(sv[0], &m, NULL, 0), -EPIPE);
	proto_free(&m);
	close(sv[0]);
}

/* proto_send_simple: one or two pairs; a NULL second key or value leaves it out. */
static void test_proto_send_simple(void **state)
{
	struct proto_msg m;
	size_t n_fds = 0;
	int sv[2];

	(void)state;
	seqpacket_pair(sv);
	assert_int_equal(proto_send_simple(sv[0], "ready", "container", "c1", "session", "s1"), 0);
	assert_int_equal(proto_recv(sv[1], &m, NULL, 0, &n_fds, 1000), 0);
	assert_string_equal(m.type, "ready");
	assert_string_equal(proto_get(&m, "container"), "c1");
	assert_string_equal(proto_get(&m, "session"), "s1");
	proto_free(&m);
	assert_int_equal(proto_send_simple(sv[0], "exit", "status", "3", NULL, NULL), 0);
	assert_int_equal(proto_recv(sv[1], &m, NULL, 0, &n_fds, 1000), 0);
	assert_string_equal(m.type, "exit");
	assert_string_equal(proto_get(&m, "status"), "3");
	assert_null(proto_get(&m, "session"));
	proto_free(&m);
	close(sv[1]);
	assert_int_equal(proto_send_simple(sv[0], "x", "k", "v", NULL, NULL), -EPIPE);
	close(sv[0]);
}

static void test_proto_send_too_big_for_socket(void **state)
{
	struct proto_msg m = { 0 };
	int sv[2];
	int bufsz = 4096;

	(void)state;
	seqpacket_pair(sv);
	assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz)), 0);
	assert_int_equal(proto_begin(&m, "x"), 0);
	static char value[PROTO_MAX_MSG];
	memset(value, 'a', PROTO_MAX_MSG - 100);
	assert_int_equal(proto_put(&m, "k", value), 0);
	assert_int_equal(proto_send(sv[0], &m, NULL, 0), -EMSGSIZE);
	proto_free(&m);
	close(sv[0]);
	close(sv[1]);
}

/*
 * A non-blocking socket whose peer never reads: proto_send waits
 * PROTO_SEND_WAIT_MS for room, then gives up; with room again, it sends.
 */
static void test_proto_send_peer_never_reads(void **state)
{
	struct proto_msg m, got;
	struct timespec t0, t1;
	int sv[2];

	(void)state;
	seqpacket_pair(sv);
	assert_int_equal(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(proto_begin(&m, "warn"), 0);
	/* Fill the peer's queue as a keeper's sends would. */
	while (send(sv[0], m.data, m.len, MSG_DONTWAIT) >= 0)
		;
	assert_int_equal(errno, EAGAIN);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(proto_send(sv[0], &m, NULL, 0), -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(ms >= PROTO_SEND_WAIT_MS - 10);
	assert_true(ms < PROTO_SEND_WAIT_MS + 1000);
	/* The peer reads one: there is room again. */
	assert_int_equal(proto_recv(sv[1], &got, NULL, 0, NULL, 1000), 0);
	proto_free(&got);
	assert_int_equal(proto_send(sv[0], &m, NULL, 0), 0);
	proto_free(&m);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proto_begin_layout),
		cmocka_unit_test(test_proto_put_roundtrip),
		cmocka_unit_test(test_proto_put_repeated_keys),
		cmocka_unit_test(test_proto_put_null_value),
		cmocka_unit_test(test_proto_put_bad_key),
		cmocka_unit_test(test_proto_put_too_big),
		cmocka_unit_test(test_proto_put_many_fields_until_full),
		cmocka_unit_test(test_proto_putu_values),
		cmocka_unit_test(test_proto_get_absent),
		cmocka_unit_test(test_proto_getu_bounds),
		cmocka_unit_test(test_proto_parse_ok),
		cmocka_unit_test(test_proto_parse_empty),
		cmocka_unit_test(test_proto_parse_missing_version),
		cmocka_unit_test(test_proto_parse_wrong_version),
		cmocka_unit_test(test_proto_parse_missing_type),
		cmocka_unit_test(test_proto_parse_empty_type),
		cmocka_unit_test(test_proto_parse_field_without_equals),
		cmocka_unit_test(test_proto_parse_bad_key),
		cmocka_unit_test(test_proto_parse_missing_trailing_nul),
		cmocka_unit_test(test_proto_parse_too_many_fields),
		cmocka_unit_test(test_proto_parse_too_long),
		cmocka_unit_test(test_proto_free_twice),
		cmocka_unit_test(test_proto_send_recv_roundtrip),
		cmocka_unit_test(test_proto_send_recv_max_size),
		cmocka_unit_test(test_proto_send_recv_fds),
		cmocka_unit_test(test_proto_recv_extra_fds_closed),
		cmocka_unit_test(test_proto_send_too_many_fds),
		cmocka_unit_test(test_proto_recv_too_many_fds_raw),
		cmocka_unit_test(test_proto_recv_eof),
		cmocka_unit_test(test_proto_recv_timeout),
		cmocka_unit_test(test_proto_recv_oversized),
		cmocka_unit_test(test_proto_recv_bad_message),
		cmocka_unit_test(test_proto_recv_wrong_version),
		cmocka_unit_test(test_proto_recv_bad_socket),
		cmocka_unit_test(test_proto_send_closed_peer),
		cmocka_unit_test(test_proto_send_too_big_for_socket),
		cmocka_unit_test(test_proto_send_simple),
		cmocka_unit_test(test_proto_send_peer_never_reads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
