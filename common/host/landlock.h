/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Landlock (Linux 5.13, reparenting under control from ABI 2, Linux 5.19):
 * what a copy's programs may not make in the directories every copy of a
 * user shares. Each session of a user binds the same home (and the same
 * binds), so a unix socket made there would connect two copies of one
 * user: one could pass the other an fd of its /tmp and keep that copy's
 * overlay and tmpfs alive, with all they hold, after it ended. A FIFO
 * there would be a channel between them too. So the programs a copy runs
 * for the user make neither at or beneath those directories (created,
 * renamed or linked in); everywhere else in the copy both work as before,
 * and so do moves across directories.
 *
 * Landlock grants, it does not deny: the ruleset handles "make a socket",
 * "make a FIFO" (and with ABI 2 "reparent"), grants reparenting beneath
 * "/", and grants the two makes beneath every directory that sits beside
 * the path from "/" down to each shared directory. The shared
 * directories, and the directories on those paths themselves (/, /home),
 * get no grant: nothing is made there. A directory made beside them
 * after the ruleset (by root inside) gets none either: that fails closed.
 *
 * What Landlock lets through: a move never gains rights, but may lose
 * them, and a directory moved carries what it holds. A directory with a
 * socket in it, made beside, could be moved into a shared directory on
 * the same mount. In a copy the home and each bind are mounts of their
 * own, so rename(2) into them from anywhere else fails (EXDEV) before
 * Landlock is asked, and the copy that mv(1) makes instead is refused its
 * socket. Callers must keep it so: pass only directories that are mount
 * points, or beneath one, none of whose paths is granted.
 *
 * Abstract unix sockets need nothing: each copy has a network namespace
 * of its own, and they do not cross it.
 */
#ifndef THROWAWAY_LANDLOCK_H
#define THROWAWAY_LANDLOCK_H

#include <stddef.h>

/*
 * The least ABI used: 1 denies every move across directories once a
 * ruleset is in force (mv a/x b/ would fail), 2 lets a ruleset grant it.
 */
#define LANDLOCK_ABI_MIN 2

/* Shared directories one restriction takes: the home and every bind. */
#define LANDLOCK_SHARED_MAX 64

/* Entries looked at in one directory on the way down; those past it get no grant. */
#define LANDLOCK_LIST_MAX 4096

/*
 * The kernel's Landlock ABI version (>= 1), or -ENOSYS (a kernel built
 * without it) or -EOPNOTSUPP (built in, not enabled at boot: not in
 * "lsm=").
 */
int landlock_abi(void);

/*
 * Why a kernel of ABI abi (landlock_abi()) leaves the copies' programs
 * free to make sockets and FIFOs where copies of a user meet, in words
 * ("not built in", ...), and what fixes it into *ret_fix; NULL when it
 * does not (abi >= LANDLOCK_ABI_MIN).
 */
const char *landlock_missing(int abi, const char **ret_fix);

/*
 * Restrict the calling process, and whatever it runs and forks from now
 * on, for good: no unix socket or FIFO made at or beneath any of the n
 * absolute directories shared[] (at most LANDLOCK_SHARED_MAX), nor in a
 * directory on the path down to one. Paths are resolved as the caller
 * (symlinks followed): one the caller cannot reach (ENOENT, EACCES) is
 * left out, since its programs cannot reach it either.
 *
 * Runs as the user who is being restricted, in the mount namespace where
 * the paths mean something (inside a copy); sets no_new_privs, which
 * Landlock needs. 0; -ENOSYS or -EOPNOTSUPP when the kernel has no
 * Landlock, -EPROTONOSUPPORT when its ABI is below LANDLOCK_ABI_MIN
 * (nothing restricted then); -E2BIG past LANDLOCK_SHARED_MAX, -EINVAL for
 * a path that is not absolute; other -errno when the ruleset could not be
 * built or enforced.
 */
int landlock_deny_make(const char *const *shared, size_t n);

#endif
