/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The copies' seccomp profile (DATADIR/seccomp.profile, the one the lxc
 * driver gives liblxc) as LXD config: its rules, argument rules too, as
 * security.syscalls.deny, LXD's own default list off. LXD writes "2",
 * "denylist" and then that key's text into the profile it hands liblxc,
 * so one file holds the rules of both drivers' copies.
 */
#ifndef THROWAWAY_LXD_SECCOMP_H
#define THROWAWAY_LXD_SECCOMP_H

#include <stddef.h>

#include "err.h"

#define LXD_SECCOMP_MAX (64 * 1024) /* the profile is ~2 KB */

/*
 * The rules of PROFILE (a liblxc profile: "2", then "denylist", then
 * rules), or NULL when it is not one LXD can carry (another version, an
 * allowlist: LXD writes the header itself). Points into PROFILE.
 */
const char *lxd_seccomp_rules(const char *profile);

/* PATH's rules into *RET_RULES (malloc'd). 0, or -errno with ERR set. */
int lxd_seccomp_read(const char *path, char **ret_rules, struct tw_err *err);

#endif
