/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Where the keeper's processes are accounted: a cgroup of its own, not the login's. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keeper.h"

/* On a systemd host the keeper starts in the user's session scope (the filler
 * in a unit's cgroup): leave it. */
void keeper_leave_caller_cgroup(void)
{
	if (access("/sys/fs/cgroup/cgroup.controllers", F_OK) < 0)
		return; /* not the unified layout */
	if (mkdir("/sys/fs/cgroup/throwaway", 0755) < 0 && errno != EEXIST)
		return;
	int fd = open("/sys/fs/cgroup/throwaway/cgroup.procs", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "0", 1) < 0) {
			/* stays where it was; nothing depends on it */
		}
		close(fd);
	}
}
