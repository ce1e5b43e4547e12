/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The mount namespace of a process that makes copies (a keeper, the
 * pool's filler): the lxc monitors it starts share it, and each copy's is
 * made from it (copy_mounts.c makes the copy's mounts there).
 *
 * unshare(CLONE_NEWNS) gives that namespace a copy of every mount of the
 * host's. Where the host's mounts are private (a host without systemd,
 * whose / is not shared), MS_SLAVE receives nothing from them: an unmount
 * on the host never reaches the copy, which then holds the file system for
 * as long as the session lasts. A tmpfs stays allocated; a FUSE mount's
 * daemon never hears of its unmount and never exits (an sshfs of the
 * session's own home then keeps the session, and so the copy, alive).
 * So the namespace keeps only what the process, its monitors and their
 * post-stop hooks use, and detaches every other mount at once:
 *
 *  - the mounts on the way to each path that is needed (an ancestor of
 *    it, or the one it is on), but none beneath it: the root, /usr, /etc,
 *    the user's home and the configured binds, where the programs,
 *    the config and the syslog socket are;
 *  - whole trees where everything beneath is needed: /proc, /sys, /dev,
 *    our runtime directories, the copies' place and the origin's rootfs.
 *
 * Trusts its paths (the config's, the validated home). Needs root and
 * leaves the calling process in the new namespace.
 */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

/* What a host's mount table may take in /proc/self/mountinfo. */
#define MOUNTINFO_MAX (16u << 20)

/* Is path a itself or beneath b? "/" holds every path. */
static bool path_within(const char *a, const char *b)
{
	size_t n = strlen(b);
	if (n == 1 && b[0] == '/')
		return true;
	return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/');
}

bool ctr_mount_kept(const char *mnt, const struct ctr_keep *keep, size_t n)
{
	if (strcmp(mnt, "/") == 0)
		return true; /* the namespace's root, whatever is kept */
	for (size_t i = 0; i < n; i++) {
		const char *k = keep[i].path;
		if (k && (path_within(k, mnt) || (keep[i].tree && path_within(mnt, k))))
			return true;
	}
	return false;
}

/* A mountinfo path with its \ooo escapes (space, tab, newline, backslash) undone, in place. */
static void unescape(char *s)
{
	char *w = s;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

/* The mount point of one mountinfo line (its fifth field), or NULL. */
static char *mount_point(char *line)
{
	char *save = NULL, *f = strtok_r(line, " ", &save);
	for (int i = 1; f && i < 5; i++)
		f = strtok_r(NULL, " ", &save);
	if (f)
		unescape(f);
	return f;
}

/*
 * Detach every mount not kept. A mount's fate follows from its path alone,
 * so whatever is found at a path that goes is itself one that goes: one
 * beneath a mount already detached has gone with it (EINVAL, ENOENT).
 */
static int prune(const struct ctr_keep *keep, size_t n)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	_cleanup_close_ int fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = util_read_capped(fd, MOUNTINFO_MAX, &buf, &len);
	if (r < 0)
		return r;
	char *save = NULL;
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *mnt = mount_point(line);
		if (!mnt || ctr_mount_kept(mnt, keep, n))
			continue;
		if (umount2(mnt, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL &&
		    errno != ENOENT)
			return -errno;
	}
	return 0;
}

/*
 * keep with each path resolved (a symlinked /home is kept by where it
 * leads), into real; one that cannot be is kept as it is written, and
 * whatever needs it fails later where it says why.
 */
static void resolve(const struct ctr_keep *keep, size_t n, struct ctr_keep *real,
		    char (*buf)[PATH_MAX])
{
	for (size_t i = 0; i < n; i++) {
		real[i] = keep[i];
		if (keep[i].path && realpath(keep[i].path, buf[i]))
			real[i].path = buf[i];
	}
}

int ctr_mount_namespace(const struct ctr_keep *keep, size_t n)
{
	_cleanup_free_ char(*buf)[PATH_MAX] = calloc(n ? n : 1, PATH_MAX);
	_cleanup_free_ struct ctr_keep *real = calloc(n ? n : 1, sizeof(*real));
	if (!buf || !real)
		return -ENOMEM;
	resolve(keep, n, real, buf);
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return -errno;
	return prune(real, n);
}
