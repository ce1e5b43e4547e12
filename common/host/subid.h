/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Subordinate ids for unprivileged copies. Every copy maps its root to
 * SUBID_BASE on the host (65536 ids), except the session user's own uid and
 * gid, which pass through unchanged so the bound home keeps its ownership.
 * liblxc, run as root without newuidmap on its PATH (see ctr_start), writes
 * the maps itself; root still owns the ranges in /etc/subuid and
 * /etc/subgid, which keeps shadow from handing them to a user and lets
 * liblxc's tools (which use newuidmap) work on the copies too.
 */
#ifndef THROWAWAY_SUBID_H
#define THROWAWAY_SUBID_H

#include <stdbool.h>
#include <sys/types.h>

#define SUBID_BASE 1879048192U /* 0x70000000: far above what useradd hands out */
#define SUBID_COUNT 65536U
#define SUBID_USERS_FIRST 1000U  /* root may pass through host ids 1000 ... */
#define SUBID_USERS_COUNT 59000U /* ... up to 59999: ordinary login users */

/* Is [first, first+count) inside one of NAME's ranges in the text of a subid file? */
bool subid_covers(const char *text, const char *name, unsigned long first, unsigned long count);

/*
 * Check that root owns the copies' range and the pass-through id in both
 * files. 0, or -ENOENT with which file and id is missing in err.
 */
int subid_check(uid_t uid, gid_t gid, char *err, size_t len);

/*
 * Add root's lines to /etc/subuid and /etc/subgid (created 0644 if absent)
 * when missing: the copies' range, and the users' pass-through range.
 * Returns how many lines were added, or -errno.
 */
int subid_setup(void);

#endif
