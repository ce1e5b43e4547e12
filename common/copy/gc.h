/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Garbage collection: whatever sessions whose keeper is gone left behind.
 * Runs as root from the programs (never in the PAM module): at a session's
 * open (in a child of the keeper, unless gc_recent and no dead record),
 * from throwawayctl gc, at boot.
 * It logs nothing itself: what it did goes to the caller's report
 * function (gc_log writes it as syslog events).
 */
#ifndef THROWAWAY_GC_H
#define THROWAWAY_GC_H

#include "copy.h"
#include "ledger.h"

struct gc_stats {
	unsigned records; /* ledger records of dead keepers */
	unsigned copies;  /* copies destroyed */
	unsigned locks;   /* stale lock files */
	unsigned cgroups; /* leftover lxc.monitor/payload cgroups, idle parents of them */
	unsigned sockets; /* session sockets without a record */
	unsigned logs;    /* debug logs of copies gone for a day */
};

/* One session or copy gc destroyed (or failed to). Fields may be NULL. */
struct gc_item {
	const char *session, *user, *rhost, *container;
	const char *reason; /* why it went: "gc", "gc-orphan", "keeper-gone", "admin", "drain" */
	int error;          /* 0, or -errno: destroying it failed */
};

/* Where gc reports what it did; data is the caller's. */
struct gc_report {
	void (*fn)(const struct gc_item *it, void *data);
	void *data;
};

/* A report function that logs each item as a destroy or error event (log.h). */
void gc_log(const struct gc_item *it, void *data);

/*
 * Destroy the copy of record e (its keeper must be gone or wedged: it is
 * killed first), remove its socket and its record; reported with reason.
 * 0 or -errno.
 */
int gc_destroy_session(const char *rundir, const struct ledger_entry *e, const char *reason,
		       const struct gc_report *rep);

/*
 * Destroy the pooled copies (pool = N) whose configuration signature is not
 * KEEP (NULL: all of them). Returns how many went, or -errno.
 */
int gc_drain_pool(const char *rundir, const char *keep, const struct gc_report *rep);

/* A place gc sweeps: where a driver keeps copies (lxc: an lxcpath; lxd: a socket). */
struct gc_place {
	const struct copy_driver *drv;
	const char *path;
};

/*
 * The places of CFG's copies: its lxcpath, and its backend's place when
 * that is another driver's (lxd: its socket and project, written into
 * buf). OUT ends with an empty place. 0 or -errno.
 */
#define GC_CONFIG_PLACES 3
int gc_config_places(const struct config *cfg, char *buf, size_t len,
		     struct gc_place out[GC_CONFIG_PLACES]);

/*
 * Collect everything: records of dead keepers, copies in places (ended
 * by one whose drv is NULL) that no live record owns and that carry our
 * marker, and what each driver says gone copies left (locks, cgroups,
 * mountpoints), orphan sockets, old debug logs. Only one gc runs at a
 * time; when another holds the lock this returns -EBUSY at once unless
 * wait is set.
 */
int gc_run(const char *rundir, const struct gc_place *places, bool wait,
	   const struct gc_report *rep, struct gc_stats *ret);

/*
 * Whether a full gc_run finished in rundir less than period_s seconds ago
 * (its stamp, rundir/gc.done, is written at the end of each one). Logins
 * use it to skip their gc in a burst: one sweep of every place serves them
 * all, and a record of a dead keeper still asks for one (keeper census).
 */
bool gc_recent(const char *rundir, unsigned period_s);

#endif
