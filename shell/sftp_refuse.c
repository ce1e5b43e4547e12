/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * When a sandbox cannot serve sftp, tell the sftp client why in its own
 * protocol: sshd discards a subsystem's stderr, so a plain message would
 * never reach the user. Answers INIT with VERSION 3 and every request with
 * SSH_FX_FAILURE carrying the message, until the client hangs up.
 */
#include "sftp_refuse.h"

#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define SSH_FXP_INIT 1
#define SSH_FXP_VERSION 2
#define SSH_FXP_STATUS 101
#define SSH_FX_FAILURE 4
#define MAX_PACKET (256 * 1024)

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Skip a packet body we do not care about, in bounded reads. */
static int skip(int fd, uint32_t len)
{
	unsigned char buf[4096];
	while (len > 0) {
		uint32_t n = len < sizeof(buf) ? len : (uint32_t)sizeof(buf);
		if (util_read_all(fd, buf, n) < 0)
			return -1;
		len -= n;
	}
	return 0;
}

static int reply_status(int out, uint32_t id, const char *msg)
{
	unsigned char p[600];
	size_t ml = strnlen(msg, 512);
	size_t len = 1 + 4 + 4 + 4 + ml + 4;
	put32(p, (uint32_t)len);
	p[4] = SSH_FXP_STATUS;
	put32(p + 5, id);
	put32(p + 9, SSH_FX_FAILURE);
	put32(p + 13, (uint32_t)ml);
	memcpy(p + 17, msg, ml);
	put32(p + 17 + ml, 0); /* language tag */
	return util_write_all(out, p, 4 + len);
}

int sftp_refuse(int in, int out, const char *msg)
{
	unsigned char hdr[9];
	for (;;) {
		if (util_read_all(in, hdr, 5) < 0)
			return 0; /* the client hung up */
		uint32_t len = get32(hdr);
		if (len < 1 || len > MAX_PACKET)
			return -1;
		if (hdr[4] == SSH_FXP_INIT) {
			unsigned char v[9] = { 0, 0, 0, 5, SSH_FXP_VERSION, 0, 0, 0, 3 };
			if (skip(in, len - 1) < 0 || util_write_all(out, v, sizeof(v)) < 0)
				return -1;
			continue;
		}
		if (len < 5 || util_read_all(in, hdr + 5, 4) < 0 || skip(in, len - 5) < 0)
			return -1;
		if (reply_status(out, get32(hdr + 5), msg) < 0)
			return -1;
	}
}
