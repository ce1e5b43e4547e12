/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "subid.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

#define SUBID_FILE_MAX (1024 * 1024)

static const char *const files[] = { "/etc/subuid", "/etc/subgid" };

/* "START:COUNT" at the start of a line (the rest of it ignored). 0 or -EINVAL. */
static int parse_range(const char *s, uint64_t *ret_start, uint64_t *ret_count)
{
	const char *end;
	uint64_t start, count;
	if (util_parse_u64(s, ULONG_MAX, &end, &start) < 0 || *end != ':' ||
	    util_parse_u64(end + 1, ULONG_MAX, &end, &count) < 0)
		return -EINVAL;
	*ret_start = start;
	*ret_count = count;
	return 0;
}

bool subid_covers(const char *text, const char *name, unsigned long first, unsigned long count)
{
	size_t nl = strlen(name);
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		uint64_t start, n;
		if (strncmp(l, name, nl) != 0 || l[nl] != ':')
			continue;
		if (parse_range(l + nl + 1, &start, &n) < 0)
			continue;
		/* first + count could wrap: compare offsets into the range. */
		if (first >= start && count <= n && first - start <= n - count)
			return true;
	}
	return false;
}

static int read_file(const char *path, char **ret)
{
	size_t len;
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return util_read_capped(fd, SUBID_FILE_MAX, ret, &len);
}

int subid_check(uid_t uid, gid_t gid, char *err, size_t len)
{
	const unsigned long ids[] = { uid, gid };
	for (size_t i = 0; i < ELEMENTSOF(files); i++) {
		_cleanup_free_ char *text = NULL;
		if (read_file(files[i], &text) < 0)
			text = strdup("");
		if (!text)
			return -ENOMEM;
		if (!subid_covers(text, "root", SUBID_BASE, SUBID_COUNT) ||
		    !subid_covers(text, "root", ids[i], 1)) {
			snprintf(err, len,
				 "%s does not give root the ids unprivileged copies need "
				 "(run 'throwawayctl setup-ids')",
				 files[i]);
			return -ENOENT;
		}
	}
	return 0;
}

static int append_line(const char *path, const char *line)
{
	_cleanup_close_ int fd =
		open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	return util_write_all(fd, line, strlen(line));
}

int subid_setup(void)
{
	char line[64];
	int added = 0;
	for (size_t i = 0; i < ELEMENTSOF(files); i++) {
		_cleanup_free_ char *text = NULL;
		int r = read_file(files[i], &text);
		if (r == -ENOENT)
			text = strdup("");
		else if (r < 0)
			return r;
		if (!text)
			return -ENOMEM;
		/* A file not ending in a newline would glue our line to its last. */
		bool nl = !*text || text[strlen(text) - 1] == '\n';
		if (!subid_covers(text, "root", SUBID_BASE, SUBID_COUNT)) {
			snprintf(line, sizeof(line), "%sroot:%u:%u\n", nl ? "" : "\n", SUBID_BASE,
				 SUBID_COUNT);
			if ((r = append_line(files[i], line)) < 0)
				return r;
			added++;
			nl = true;
		}
		if (!subid_covers(text, "root", SUBID_USERS_FIRST, SUBID_USERS_COUNT)) {
			snprintf(line, sizeof(line), "%sroot:%u:%u\n", nl ? "" : "\n",
				 SUBID_USERS_FIRST, SUBID_USERS_COUNT);
			if ((r = append_line(files[i], line)) < 0)
				return r;
			added++;
		}
	}
	return added;
}
