/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "names.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

int names_session_id(char out[NAMES_SESSION_LEN + 1])
{
	unsigned char raw[NAMES_SESSION_LEN / 2];
	int r = util_random(raw, sizeof(raw));
	if (r < 0)
		return r;
	util_hex(raw, sizeof(raw), out);
	return 0;
}

bool names_session_valid(const char *s)
{
	if (!s || strlen(s) != NAMES_SESSION_LEN)
		return false;
	return strspn(s, "0123456789abcdef") == NAMES_SESSION_LEN;
}

bool names_user_safe(const char *s)
{
	if (!s || !*s || !strchr("abcdefghijklmnopqrstuvwxyz_", *s))
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == strlen(s);
}

/* 1..MAX of [A-Za-z0-9_.-], not starting with '.' or '-' (LXC's rule for names). */
static bool ident_valid(const char *s, size_t max)
{
	static const char ok[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-";
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > max || s[0] == '.' || s[0] == '-')
		return false;
	return strspn(s, ok) == n;
}

bool names_container_valid(const char *s)
{
	return ident_valid(s, NAMES_CONTAINER_MAX);
}

bool names_bridge_valid(const char *s)
{
	return ident_valid(s, NAMES_BRIDGE_MAX);
}

static int random_suffix(char out[7])
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char raw[6];
	int r = util_random(raw, sizeof(raw));
	if (r < 0)
		return r;
	/* 256 % 36 bias is irrelevant for a uniqueness suffix. */
	for (int i = 0; i < 6; i++)
		out[i] = set[raw[i] % 36];
	out[6] = '\0';
	return 0;
}

/* Expand tmpl with the user part USER; -ENAMETOOLONG when it does not fit. */
static int expand(const char *tmpl, const char *origin, const char *user, uid_t uid,
		  const char *session, const char *rnd, char *out)
{
	char uidbuf[16];
	size_t len = 0;

	snprintf(uidbuf, sizeof(uidbuf), "%u", (unsigned)uid);
	for (const char *p = tmpl; *p; p++) {
		const char *piece;
		char one[2] = { *p, '\0' };
		if (*p != '%') {
			piece = one;
		} else {
			switch (*++p) {
			case 'o':
				piece = origin;
				break;
			case 'u':
				piece = user;
				break;
			case 'U':
				piece = uidbuf;
				break;
			case 's':
				piece = session ? session : "";
				break;
			case 'r':
				piece = rnd;
				break;
			default:
				return -EINVAL;
			}
		}
		size_t n = strlen(piece);
		if (len + n > NAMES_CONTAINER_MAX)
			return -ENAMETOOLONG;
		memcpy(out + len, piece, n);
		len += n;
	}
	out[len] = '\0';
	return 0;
}

int names_container(const char *tmpl, const char *origin, const char *user, uid_t uid,
		    const char *session, char out[NAMES_CONTAINER_MAX + 1])
{
	char rnd[7], uname[16], buf[NAMES_CONTAINER_MAX + 1];
	int r = random_suffix(rnd);
	if (r < 0)
		return r;
	snprintf(uname, sizeof(uname), "u%u", (unsigned)uid);

	r = -ENAMETOOLONG;
	if (names_user_safe(user))
		r = expand(tmpl, origin, user, uid, session, rnd, buf);
	if (r == -ENAMETOOLONG)
		r = expand(tmpl, origin, uname, uid, session, rnd, buf);
	if (r < 0)
		return r;
	if (!names_container_valid(buf))
		return -EINVAL;
	memcpy(out, buf, strlen(buf) + 1);
	return 0;
}
