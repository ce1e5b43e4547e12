/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "budget.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

/*
 * Per copy: what a user of a stock host gets of each (128 inotify
 * instances; 8192 watches and marks, the kernel's default for years);
 * fanotify groups, rarely used without privilege, fewer. No user
 * namespaces: the seccomp profile refuses them, and this is the second
 * lock (ENOSPC), for what a filter cannot see (clone3's flags).
 */
const struct budget budget_table[] = {
	{ "max_inotify_instances", 128, "fs.inotify.max_user_instances", 128 },
	{ "max_inotify_watches", 8192, "fs.inotify.max_user_watches", 8192 },
	{ "max_fanotify_groups", 16, "fs.fanotify.max_user_groups", 128 },
	{ "max_fanotify_marks", 8192, "fs.fanotify.max_user_marks", 8192 },
	{ "max_user_namespaces", 0, NULL, 0 },
};
const size_t budget_count = ELEMENTSOF(budget_table);

/* The kernel keeps these as int. */
#define BUDGET_MAX ((unsigned long)INT_MAX)

unsigned long budget_host_needed(const struct budget *b, unsigned long max_sessions)
{
	if (!b->host)
		return 0;
	unsigned long per = b->per_copy * BUDGET_UIDS_PER_COPY;
	if (per && max_sessions > (BUDGET_MAX - b->reserve) / per)
		return BUDGET_MAX;
	return b->reserve + max_sessions * per;
}

int budget_sysctl_path(const char *key, char *buf, size_t len)
{
	int n = snprintf(buf, len, "/proc/sys/%s", key);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	for (char *p = buf + strlen("/proc/sys/"); *p; p++)
		if (*p == '.')
			*p = '/';
	return 0;
}

int budget_host_read(const struct budget *b, unsigned long *ret)
{
	char path[PATH_MAX], text[32];
	const char *end;
	uint64_t v;
	if (!b->host)
		return -ENOENT;
	int r = budget_sysctl_path(b->host, path, sizeof(path));
	if (r < 0)
		return r;
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, text, sizeof(text) - 1);
	if (n < 0)
		return -errno;
	text[n] = '\0';
	if (util_parse_u64(text, BUDGET_MAX, &end, &v) < 0 || (*end && *end != '\n'))
		return -EINVAL;
	*ret = (unsigned long)v;
	return 0;
}

static int host_write(const struct budget *b, unsigned long v)
{
	char path[PATH_MAX], text[32];
	int r = budget_sysctl_path(b->host, path, sizeof(path));
	if (r < 0)
		return r;
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int n = snprintf(text, sizeof(text), "%lu\n", v);
	return util_write_all(fd, text, (size_t)n);
}

/* Replace BUDGET_SYSCTL_FILE with text, through a temporary file beside it. */
static int write_sysctl_file(const char *text)
{
	const char *tmp = BUDGET_SYSCTL_FILE ".new";
	if (mkdir("/etc/sysctl.d", 0755) < 0 && errno != EEXIST)
		return -errno;
	(void)unlink(tmp);
	_cleanup_close_ int fd =
		open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	int r = util_write_all(fd, text, strlen(text));
	if (r >= 0 && fsync(fd) < 0)
		r = -errno;
	if (r >= 0 && rename(tmp, BUDGET_SYSCTL_FILE) < 0)
		r = -errno;
	if (r < 0)
		(void)unlink(tmp);
	return r;
}

int budget_setup(unsigned long max_sessions)
{
	char text[2048];
	int raised = 0;
	size_t off =
		(size_t)snprintf(text, sizeof(text),
				 "# Written by throwawayctl setup-ids: root's budgets hold what "
				 "%lu copies may use\n# beside root's own (see throwawayctl(8)).\n",
				 max_sessions);
	for (size_t i = 0; i < budget_count; i++) {
		const struct budget *b = &budget_table[i];
		unsigned long now = 0, need = budget_host_needed(b, max_sessions);
		int r = budget_host_read(b, &now);
		if (r == -ENOENT)
			continue; /* no host side, or a kernel without it */
		if (r < 0)
			return r;
		if (now < need) {
			if ((r = host_write(b, need)) < 0)
				return r;
			raised++;
		}
		off += (size_t)snprintf(text + off, sizeof(text) - off, "%s = %lu\n", b->host,
					now > need ? now : need);
		if (off >= sizeof(text))
			return -ENAMETOOLONG;
	}
	int r = write_sysctl_file(text);
	return r < 0 ? r : raised;
}
