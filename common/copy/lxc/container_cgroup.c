/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Where a copy's cgroups go, and the lock that keeps a parent from being
 * removed while a copy's cgroups are being made below it (container.h).
 */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/file.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "util.h"

/* Nine tenths of the host's memory: what the copies together may hold by default. */
static uint64_t host_share(void)
{
	struct sysinfo si;
	if (sysinfo(&si) < 0 || si.totalram == 0)
		return 0; /* unknown: no cap */
	uint64_t total = (uint64_t)si.totalram * (si.mem_unit ? si.mem_unit : 1);
	return total / 10 * 9;
}

void ctr_cgroup_plan(const struct config *cfg, bool pool, uid_t uid, struct ctr_cgroup *ret)
{
	/* "pool" and "u<uid>" always fit CGROUP_PARENT_MAX */
	cgroup_parent_name(pool, uid, ret->parent, sizeof(ret->parent));
	ret->caps.parent = pool ? 0 : config_memory_per_user(cfg);
	ret->caps.total = cfg->memory_max_total ? cfg->memory_max_total : host_share();
}

/* How often an exclusive lock is tried again while copies start. */
#define LOCK_RETRY_MS 5

int ctr_cgroup_lock(bool exclusive, unsigned wait_ms)
{
	int r = util_mkdir_secure(TW_RUNDIR, 0711, NULL);
	if (r < 0)
		return r;
	_cleanup_close_ int fd =
		open(CTR_CGROUP_LOCK, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	uint64_t deadline = util_now_ms() + wait_ms;
	const struct timespec tick = { .tv_nsec = LOCK_RETRY_MS * 1000 * 1000 };
	while (flock(fd, exclusive ? LOCK_EX | LOCK_NB : LOCK_SH) < 0) {
		if (errno == EWOULDBLOCK && util_now_ms() < deadline)
			nanosleep(&tick, NULL);
		else if (errno != EINTR)
			return errno == EWOULDBLOCK ? -EBUSY : -errno;
	}
	return TAKE_FD(fd);
}

/* How often a charged parent is looked at again while its copy's last mounts go. */
#define RELEASE_RETRY_MS 10

/*
 * After a copy ends, what it charged may take moments to go: its mounts
 * are let go lazily, and measured after a keeper was killed, some 4 s.
 */
#define RELEASE_WAIT_MS 10000

/*
 * How often a charged parent is asked to give back what it can while it
 * is waited for: once at first, and again as what the copy's end let go
 * (its mounts, lazily) becomes reclaimable.
 */
#define RECLAIM_EVERY_MS 1000

/*
 * Remove PARENT once idle, looking again until wait_ms have passed and
 * meanwhile having the kernel reclaim what it can, so that only what is
 * held keeps it. True when nothing is left to do (removed, gone, or in use by
 * another copy, whose end will do it); false when it is still charged, or
 * the lock was not free in time.
 */
static bool release(const char *parent, unsigned wait_ms)
{
	uint64_t deadline = util_now_ms() + wait_ms, reclaimed = 0, now;
	const struct timespec tick = { .tv_nsec = RELEASE_RETRY_MS * 1000 * 1000 };
	for (;;) {
		enum cgroup_parent_state st = cgroup_parent_state(CGROUP_ROOT, parent);
		if (st == CGROUP_PARENT_IN_USE)
			return true;
		if (st == CGROUP_PARENT_IDLE)
			break;
		now = util_now_ms();
		if (now >= deadline)
			return false;
		if (now - reclaimed >= RECLAIM_EVERY_MS) {
			cgroup_reclaim_parent(CGROUP_ROOT, parent);
			reclaimed = now;
		} else {
			nanosleep(&tick, NULL);
		}
	}
	now = util_now_ms();
	_cleanup_close_ int lock =
		ctr_cgroup_lock(true, deadline > now ? (unsigned)(deadline - now) : 0);
	if (lock < 0)
		return false;
	cgroup_remove_parent(CGROUP_ROOT, parent);
	return true;
}

/* release() for up to RELEASE_WAIT_MS from a grandchild nobody waits for. */
static void release_later(const char *parent)
{
	pid_t pid = fork();
	if (pid != 0) {
		if (pid > 0)
			waitpid(pid, NULL, 0);
		return;
	}
	/* the middle child goes at once: the caller waits for nothing more */
	if (fork() != 0)
		_exit(0);
	util_reset_signals();
	close_range(3, ~0U, 0);
	release(parent, RELEASE_WAIT_MS);
	_exit(0);
}

void ctr_cgroup_release(const char *parent)
{
	/* the pool's is gc's: copies come and go below it all the time */
	if (strcmp(parent, CGROUP_POOL) == 0)
		return;
	if (!release(parent, 0))
		release_later(parent);
}

unsigned ctr_cgroup_sweep(unsigned wait_ms)
{
	/* before the lock: starts wait for it, and a reclaim takes its time */
	cgroup_reclaim_parents(CGROUP_ROOT);
	_cleanup_close_ int lock = ctr_cgroup_lock(true, wait_ms);
	return lock < 0 ? 0 : cgroup_remove_idle_parents(CGROUP_ROOT);
}
