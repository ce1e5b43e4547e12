/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a session does for the host, once, off the login path: collect
 * what sessions whose keeper died left behind, and refill the pool.
 */
#include <errno.h>
#include <limits.h>
#include <sys/resource.h>
#include <unistd.h>

#include "gc.h"
#include "keeper.h"
#include "util.h"

/*
 * A full gc sweeps every record, place and cgroup hierarchy. In a burst of
 * logins one sweep serves them all: a login skips its own when one finished
 * this recently and its census saw no record of a dead keeper.
 */
#define GC_PERIOD_S 60

/*
 * Once per session (keeper_housekeeping), off the login path: a child collects
 * what sessions whose keeper died left behind. Skipped while another runs.
 */
static void spawn_gc(const struct keeper *k)
{
	pid_t pid = fork();
	if (pid != 0)
		return; /* reaped with the keeper's other children, or by init after its end */
	util_reset_signals();
	/* Housekeeping: it must not take CPU from the login it follows. */
	if (setpriority(PRIO_PROCESS, 0, 19) < 0) {
		/* runs at the keeper's priority then */
	}
	const struct gc_report rep = { .fn = gc_log };
	struct gc_place places[GC_CONFIG_PLACES];
	char place[PATH_MAX];
	if (gc_config_places(&k->s.cfg, place, sizeof(place), places) < 0)
		_exit(1);
	_exit(gc_run(TW_RUNDIR, places, false, &rep, NULL) < 0 ? 1 : 0);
}

void keeper_housekeeping(struct keeper *k)
{
	if (k->s.housekept)
		return;
	k->s.housekept = true;
	if (k->s.gc_wanted || !gc_recent(TW_RUNDIR, GC_PERIOD_S))
		spawn_gc(k);
	keeper_pool_spawn_fill(k);
}
