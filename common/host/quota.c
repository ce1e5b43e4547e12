/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "quota.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/btrfs.h>
#include <linux/btrfs_tree.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cleanup.h"
#include "safefs.h"

#ifndef BTRFS_QUOTA_CTL_ENABLE_SIMPLE_QUOTA
#define BTRFS_QUOTA_CTL_ENABLE_SIMPLE_QUOTA 4
#endif
#ifndef BTRFS_QGROUP_STATUS_KEY
#define BTRFS_QGROUP_STATUS_KEY 240
#endif

/* The one item (0, type, offset) of the quota tree, copied into item. */
static int quota_item(int fd, unsigned type, uint64_t offset, void *item, size_t len)
{
	struct btrfs_ioctl_search_args a = { .key = {
						     .tree_id = BTRFS_QUOTA_TREE_OBJECTID,
						     .min_type = type,
						     .max_type = type,
						     .min_offset = offset,
						     .max_offset = offset,
						     .max_transid = UINT64_MAX,
						     .nr_items = 1,
					     } };
	struct btrfs_ioctl_search_header h;
	if (ioctl(fd, BTRFS_IOC_TREE_SEARCH, &a) < 0)
		return errno == ENOENT ? -EOPNOTSUPP : -errno; /* no quota tree: quotas off */
	if (a.key.nr_items == 0)
		return -ENODATA;
	memcpy(&h, a.buf, sizeof(h));
	if (h.len < len)
		return -EBADMSG;
	memcpy(item, a.buf + sizeof(h), len);
	return 0;
}

int quota_ready(int fd)
{
	struct statfs sf;
	struct btrfs_qgroup_status_item st;
	if (fstatfs(fd, &sf) < 0)
		return -errno;
	if (sf.f_type != BTRFS_SUPER_MAGIC)
		return -EOPNOTSUPP;
	int r = quota_item(fd, BTRFS_QGROUP_STATUS_KEY, 0, &st, sizeof(st));
	return r == -ENODATA ? -EOPNOTSUPP : r;
}

int quota_enable(int fd)
{
	struct btrfs_ioctl_quota_ctl_args a = { .cmd = BTRFS_QUOTA_CTL_ENABLE_SIMPLE_QUOTA };
	if (ioctl(fd, BTRFS_IOC_QUOTA_CTL, &a) == 0)
		return 0;
	/* A kernel before 6.7: full qgroup accounting */
	a.cmd = BTRFS_QUOTA_CTL_ENABLE;
	return ioctl(fd, BTRFS_IOC_QUOTA_CTL, &a) < 0 ? -errno : 0;
}

int quota_subvol(int dfd, const char *name, uint64_t bytes)
{
	struct btrfs_ioctl_vol_args v = { 0 };
	struct btrfs_ioctl_qgroup_limit_args l = {
		.lim = { .flags = BTRFS_QGROUP_LIMIT_MAX_RFER | BTRFS_QGROUP_LIMIT_MAX_EXCL,
			 .max_rfer = bytes,
			 .max_excl = bytes },
	}; /* qgroupid 0: the subvolume of the fd */
	if (strlen(name) >= sizeof(v.name))
		return -ENAMETOOLONG;
	memcpy(v.name, name, strlen(name) + 1);
	if (ioctl(dfd, BTRFS_IOC_SUBVOL_CREATE, &v) < 0)
		return -errno;
	_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, BTRFS_IOC_QGROUP_LIMIT, &l) < 0) {
		int r = -errno;
		unlinkat(dfd, name, AT_REMOVEDIR); /* an uncapped subvolume never stays */
		return r;
	}
	return 0;
}

/* The id of the subvolume whose top directory is fd; -ENODATA when fd is not one. */
static int subvol_id(int fd, uint64_t *ret)
{
	struct statfs sf;
	struct stat st;
	struct btrfs_ioctl_ino_lookup_args a = { .objectid = BTRFS_FIRST_FREE_OBJECTID };
	if (fstatfs(fd, &sf) < 0 || fstat(fd, &st) < 0)
		return -errno;
	if (sf.f_type != BTRFS_SUPER_MAGIC || st.st_ino != BTRFS_FIRST_FREE_OBJECTID ||
	    !S_ISDIR(st.st_mode))
		return -ENODATA;
	if (ioctl(fd, BTRFS_IOC_INO_LOOKUP, &a) < 0)
		return -errno;
	*ret = a.treeid;
	return 0;
}

bool quota_is_subvol(int fd)
{
	uint64_t id;
	return subvol_id(fd, &id) == 0;
}

int quota_used(int fd, uint64_t *ret_bytes)
{
	struct btrfs_qgroup_info_item info = { 0 };
	uint64_t id = 0;
	int r = subvol_id(fd, &id);
	if (r == 0)
		r = quota_item(fd, BTRFS_QGROUP_INFO_KEY, id, &info, sizeof(info));
	if (r == 0)
		*ret_bytes = le64toh(info.rfer);
	return r;
}

int quota_subvol_remove(int dfd, const char *name)
{
	struct stat st;
	uint64_t id;
	_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
	int r = subvol_id(fd, &id);
	if (r == -ENODATA)
		return 0;
	if (r < 0 || fstat(fd, &st) < 0)
		return r < 0 ? r : -errno;
	/* Its files have the subvolume's own st_dev; rmdir of its emptied top removes it. */
	return safefs_remove_tree(dfd, name, st.st_dev);
}
