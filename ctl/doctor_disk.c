/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* throwawayctl doctor: the disk cap of storage = dir and keep = yes (quota.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/statvfs.h>

#include "cleanup.h"
#include "ctl.h"
#include "doctor.h"
#include "quota.h"

/*
 * Does any section of the (already validated) text say storage = dir? The
 * config API resolves one user's values; a group's or a user's own line
 * counts too.
 */
static bool any_dir_storage(const char *text)
{
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		l += strspn(l, " \t");
		if (strncmp(l, "storage", 7) != 0)
			continue;
		const char *v = l + 7 + strspn(l + 7, " \t");
		if (*v++ != '=')
			continue;
		v += strspn(v, " \t");
		if (strncmp(v, "dir", 3) == 0 && strchr(" \t\r\n", v[3]))
			return true;
	}
	return false;
}

/* 0 when PATH is on a file system with its disk cap. */
static int ready_at(const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : quota_ready(fd);
}

void doctor_check_disk(struct doctor *d)
{
	const char *fix = "throwawayctl setup-disk SIZE (see throwawayctl(8))";
	const char *lxcpath = d->cfg_ok ? d->cfg.lxcpath : QUOTA_MOUNT "/containers";
	bool dir = d->cfg_ok && (d->cfg.storage == STORAGE_DIR || any_dir_storage(d->cfg_text));
	struct statvfs sv;
	char avail[16], size[16];
	int r = ready_at(lxcpath);
	if (r < 0) {
		doctor_say(d, dir ? V_FAIL : V_OK, "disk", dir ? fix : NULL,
			   "%s has no disk cap (btrfs with quotas)%s", lxcpath,
			   dir ? ": storage = dir copies cannot start"
			       : "; only storage = dir needs one");
		return;
	}
	if (statvfs(lxcpath, &sv) < 0)
		sv = (struct statvfs){ 0 };
	copystat_human((int64_t)(sv.f_bavail * sv.f_frsize), avail, sizeof(avail));
	copystat_human((int64_t)(sv.f_blocks * sv.f_frsize), size, sizeof(size));
	doctor_say(d, V_OK, "disk", NULL,
		   "%s is capped: a btrfs with quotas, %s of %s free; each dir copy gets "
		   "a subvolume of at most dir_size",
		   lxcpath, avail, size);
}
