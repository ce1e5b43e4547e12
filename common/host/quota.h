/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Disk caps for what copies write to disk (storage = dir, keep = yes).
 *
 * throwawayctl setup-disk makes QUOTA_MOUNT a file system of its own, once:
 * a btrfs in an image (QUOTA_IMAGE, its blocks allocated up front, so the
 * host's file system gives nothing more as copies write), loop-mounted,
 * with quotas on (simple quotas where the kernel has them). Each
 * dir-storage copy's overlay directory (upper and work layers) is then a
 * subvolume of its own with a qgroup limit: two ioctls per login. btrfs
 * rather than ext4 or xfs project quotas: qgroup limits hold for root too
 * (overlayfs writes the upper layer with its mounter's credentials, which
 * for a privileged copy are the host root's, and quota code lets
 * CAP_SYS_RESOURCE past ext4's and xfs's limits), a subvolume moves to the
 * kept area by a rename, and kernels built without a quota format (no
 * CONFIG_QFMT_V2) still have them. Rather than an image per copy: no mkfs,
 * loop device and mount at every login.
 */
#ifndef THROWAWAY_QUOTA_H
#define THROWAWAY_QUOTA_H

#include <stdbool.h>
#include <stdint.h>

#define QUOTA_MOUNT "/var/lib/throwaway"
#define QUOTA_IMAGE "/var/lib/throwaway.img"

/* 0 when the file system of fd is btrfs with quotas on; -EOPNOTSUPP when not; -errno. */
int quota_ready(int fd);

/* Turn quotas on for the btrfs of fd (simple quotas where the kernel has them). Root. */
int quota_enable(int fd);

/*
 * Make NAME beneath dfd a subvolume whose data may not pass BYTES. Root
 * (CAP_SYS_ADMIN) on a file system quota_ready() accepts.
 */
int quota_subvol(int dfd, const char *name, uint64_t bytes);

/* True when the directory fd is the top of a subvolume. */
bool quota_is_subvol(int fd);

/* The bytes held by the subvolume whose top directory is fd. -ENODATA when fd is none. */
int quota_used(int fd, uint64_t *ret_bytes);

/*
 * Remove NAME beneath dfd when it is a subvolume's top directory (its
 * files with safefs_remove_tree, within that subvolume, then the
 * subvolume). 0 when removed or not a subvolume, -errno.
 */
int quota_subvol_remove(int dfd, const char *name);

#endif
