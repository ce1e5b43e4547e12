/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * File access that never resolves a path twice and never follows a symlink
 * below a trusted directory fd (openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS).
 */
#ifndef THROWAWAY_SAFEFS_H
#define THROWAWAY_SAFEFS_H

#include <stddef.h>
#include <sys/types.h>

/* openat2 beneath dirfd, no symlinks, no magic links. fd or -errno. */
int safefs_open_beneath(int dirfd, const char *path, int flags, mode_t mode);

/* Open PATH beneath dirfd read-only, regular files only, and read it capped (util_read_capped). */
int safefs_read_beneath(int dirfd, const char *path, size_t max, char **ret_buf, size_t *ret_len);

/*
 * Read HOME/RELPATH as the user: a forked child drops to uid/gid with no
 * supplementary groups (checked), opens the file without following any
 * symlink, non-blocking, regular files only, at most max bytes, and passes
 * the bytes back over a pipe. Trusts nothing in the file or the tree; the
 * caller must be root. -ENOENT when absent, -EFBIG past max, -EPERM, ...
 */
int safefs_read_as_user(uid_t uid, gid_t gid, const char *home, const char *relpath, size_t max,
			char **ret_buf, size_t *ret_len);

/*
 * Make each missing directory of RELPATH beneath dirfd (mode, owner as
 * given for the ones it creates; existing ones are only checked not to be
 * symlinks). Returns an O_DIRECTORY fd of the last one, or -errno.
 */
int safefs_mkdirs_beneath(int dirfd, const char *relpath, mode_t mode, uid_t uid, gid_t gid);

/* Create RELPATH beneath dirfd (O_EXCL unless replace) with data, mode and owner. */
int safefs_write_beneath(int dirfd, const char *relpath, const void *data, size_t len, mode_t mode,
			 uid_t uid, gid_t gid, int replace);

/*
 * Remove NAME beneath dirfd and, if a directory, all it holds, without
 * following a symlink, without resolving a path twice and without
 * entering another file system than dev (-EXDEV there), however deep the
 * tree: for trees their owner may still change while this runs. Goes on
 * past a failure; the first one is returned, and what could not go stays.
 * Gone already: 0.
 */
int safefs_remove_tree(int dirfd, const char *name, dev_t dev);
/* The same for everything in the directory dirfd but the entry named except (or NULL). */
int safefs_empty_dir(int dirfd, dev_t dev, const char *except);

#endif
