/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Garbage collection: whatever sessions whose keeper is gone left behind.
 * Runs as root from the programs (never in the PAM module): at each
 * session open (in a child of the keeper), from throwawayctl gc, at boot.
 */
#ifndef THROWAWAY_GC_H
#define THROWAWAY_GC_H

#include "ledger.h"

struct gc_stats {
	unsigned records;  /* ledger records of dead keepers */
	unsigned copies;   /* copies destroyed */
	unsigned locks;    /* stale liblxc lock files */
	unsigned cgroups;  /* leftover lxc.monitor/payload cgroups */
	unsigned sockets;  /* session sockets without a record */
	unsigned logs;     /* debug logs of copies gone for a day */
};

/*
 * Destroy the copy of record e (its keeper must be gone or wedged: it is
 * killed first), remove its socket and its record, log why. 0 or -errno.
 */
int gc_destroy_session(const char *rundir, const struct ledger_entry *e, const char *reason);

/*
 * Destroy the pooled copies (pool = N) whose configuration signature is not
 * KEEP (NULL: all of them). Returns how many went, or -errno.
 */
int gc_drain_pool(const char *rundir, const char *keep);

/*
 * Collect everything: records of dead keepers, copies under lxcpaths
 * (NULL-terminated) that no live record owns and that carry our staging
 * directory, stale lock files, leftover cgroups, orphan sockets. Only one
 * gc runs at a time; when another holds the lock this returns -EBUSY at
 * once unless wait is set.
 */
int gc_run(const char *rundir, const char *const *lxcpaths, bool wait, struct gc_stats *ret);

#endif
