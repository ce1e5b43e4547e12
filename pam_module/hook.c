/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * throwaway-hook SESSION [ARGS] — run by liblxc (lxc.hook.version = 1: the
 * type is in LXC_HOOK_TYPE and nothing is appended to our arguments).
 *
 * pre-start  idmap LOWER MNT UID GID | idmap LOWER MNT pool   (unprivileged
 *     copies only; host root,
 *     in the monitor's own mount namespace, lxc.monitor.unshare = 1):
 *     mount the origin's rootfs LOWER at MNT idmapped with the copy's map,
 *     so the unmodified origin appears owned by the copy's root. The mount
 *     lives and dies with the monitor's namespace.
 * pre-mount  upper tmpfs SIZE | upper dir   (in the copy's namespaces,
 *     before its rootfs is mounted; as the copy's root with userns): mount
 *     the size-capped tmpfs that holds the upper layer, so it dies with the
 *     copy and a dead keeper cannot leak it, and make the upper directory.
 * post-stop  (host, right before the ephemeral destroy): with keep = yes
 *     move the upper layer to KEPT_DIR; close the session's ledger record
 *     and log the end.
 *
 * Trusts the environment liblxc sets and its arguments, which the keeper
 * wrote into the copy's root-owned config. Reads no file of the user's.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "container.h"
#include "kept.h"
#include "ledger.h"
#include "log.h"
#include "names.h"
#include "subid.h"
#include "util.h"

/* Not an id: the map of a pooled copy, where every user's ids pass through. */
#define POOL_ID UINT32_MAX

static const char *failed_step;

/* Remember which step failed, for the log line. */
static int hook_fail(const char *step, int r)
{
	failed_step = step;
	return r;
}

static int parse_id(const char *s, unsigned *ret)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v >= SUBID_COUNT)
		return -EINVAL;
	*ret = (unsigned)v;
	return 0;
}

/* The copy's map (see container.c): the user's id, or (POOL_ID) all users' ids, pass through. */
static int write_map(pid_t pid, const char *file, unsigned id)
{
	char path[64], map[160];
	const unsigned first = SUBID_USERS_FIRST, end = SUBID_USERS_FIRST + SUBID_USERS_COUNT;
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	int n = id == POOL_ID ? snprintf(map, sizeof(map), "0 %u %u\n%u %u %u\n%u %u %u\n", SUBID_BASE,
					 first, first, first, SUBID_USERS_COUNT, end,
					 SUBID_BASE + end, SUBID_COUNT - end)
			      : snprintf(map, sizeof(map), "0 %u %u\n%u %u 1\n%u %u %u\n", SUBID_BASE,
					 id, id, id, id + 1, SUBID_BASE + id + 1, SUBID_COUNT - id - 1);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return util_write_all(fd, map, (size_t)n);
}

/* A user namespace with the copy's map, held by a child for as long as we open it. */
static int make_userns(unsigned uid, unsigned gid)
{
	int go[2], ready[2];
	char c = 0, path[64];
	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(ready, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		close(go[1]); /* or our own copy would keep the read below from ever ending */
		close(ready[0]);
		if (unshare(CLONE_NEWUSER) < 0 || write(ready[1], &c, 1) != 1)
			_exit(1);
		_exit(read(go[0], &c, 1) < 0); /* until the parent is done */
	}
	close(ready[1]);
	close(go[0]);
	int r = read(ready[0], &c, 1) == 1 ? 0 : -ECHILD;
	if (r == 0)
		r = write_map(pid, "uid_map", uid);
	if (r == 0)
		r = write_map(pid, "gid_map", gid);
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	int fd = r < 0 ? r : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && r == 0)
		r = -errno;
	close(go[1]);
	close(ready[0]);
	waitpid(pid, NULL, 0);
	return r < 0 ? r : fd;
}

static int idmap_lower(int argc, char **argv)
{
	unsigned uid = POOL_ID, gid = POOL_ID;
	bool pool = argc == 6 && strcmp(argv[5], "pool") == 0;
	if (!pool && (argc != 7 || parse_id(argv[5], &uid) < 0 || parse_id(argv[6], &gid) < 0))
		return -EINVAL;
	/* liblxc runs us in the monitor's own mount namespace, already made
	 * rslave (lxc.monitor.unshare = 1): the mount cannot reach the host. */
	_cleanup_close_ int ns = make_userns(uid, gid);
	if (ns < 0)
		return hook_fail("making the user namespace", ns);
	_cleanup_close_ int tree = open_tree(AT_FDCWD, argv[3], OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (tree < 0)
		return hook_fail("open_tree of the origin", -errno);
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_RDONLY |
					       MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
				   .userns_fd = (uint64_t)ns };
	if (mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
		return hook_fail("idmapping the origin", -errno);
	if (move_mount(tree, "", AT_FDCWD, argv[4], MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return hook_fail("mounting the idmapped origin", -errno);
	return 0;
}

/* The tmpfs that holds the upper layer: <copy>/overlay/{delta,olwork} live on it. */
static int mount_upper(const char *copydir, int argc, char **argv)
{
	char path[PATH_MAX], delta[PATH_MAX], opts[128];
	unsigned long long size, inodes;
	char *end;

	if (argc == 4 && strcmp(argv[3], "dir") == 0)
		return 0;
	if (argc != 5 || strcmp(argv[3], "tmpfs") != 0)
		return -EINVAL;
	errno = 0;
	size = strtoull(argv[4], &end, 10);
	if (errno || *end || size == 0)
		return -EINVAL;
	inodes = size / 4096 < 1024 ? 1024 : size / 4096;
	if ((size_t)snprintf(path, sizeof(path), "%s/overlay", copydir) >= sizeof(path) ||
	    (size_t)snprintf(delta, sizeof(delta), "%s/delta", path) >= sizeof(delta))
		return -ENAMETOOLONG;
	snprintf(opts, sizeof(opts), "size=%llu,nr_inodes=%llu,mode=0755", size, inodes);
	if (mount("throwaway", path, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0)
		return -errno;
	if (mkdir(delta, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* keep = yes: move the upper layer aside before liblxc's destroy removes it. */
static void keep_upper(const char *copydir, const char *session, const char *name)
{
	struct kept_entry k;
	char where[PATH_MAX];
	int r = kept_save(copydir, &k);
	if (r == 0)
		return;
	if (r < 0) {
		snprintf(where, sizeof(where), "keeping the upper layer failed: %s", strerror(-r));
		log_event(LOG_ERR, "error", "session", session, "container", name, "reason", where, NULL);
		return;
	}
	snprintf(where, sizeof(where), "%s/%s/%s", KEPT_DIR, k.user, k.session);
	log_event(LOG_INFO, "kept", "session", session, "user", k.user, "container", name, "path",
		  where, NULL);
}

static int post_stop(const char *copydir, const char *session, const char *name)
{
	struct ledger_entry e;
	char uid[16], ms[32], mnt[PATH_MAX];

	keep_upper(copydir, session, name);

	/* The idmapped lower's mountpoint (the mount went with the monitor's namespace). */
	snprintf(mnt, sizeof(mnt), "%s/%s", CTR_LOWER_DIR, session);
	umount2(mnt, MNT_DETACH);
	rmdir(mnt);
	int r = ledger_read(TW_RUNDIR, session, &e);
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	if (strcmp(e.container, name) != 0)
		return -EINVAL;
	/* A live keeper removes the record once the copy is gone; removing it
	 * here, before liblxc's destroy, would make the copy look orphaned. */
	if (!util_proc_alive(e.keeper, e.keeper_start))
		ledger_remove(TW_RUNDIR, session);
	snprintf(uid, sizeof(uid), "%u", (unsigned)e.uid);
	snprintf(ms, sizeof(ms), "%llu", (unsigned long long)(util_wall_ms() - e.started_ms));
	log_event(LOG_INFO, "destroy", "session", e.session, "user", e.user, "uid", uid,
		  "rhost", e.rhost, "container", e.container, "ms", ms, NULL);
	return 0;
}

static int dispatch(const char *type, const char *copydir, const char *name, int argc, char **argv)
{
	if (strcmp(type, "pre-start") == 0 && argc >= 3 && strcmp(argv[2], "idmap") == 0)
		return idmap_lower(argc, argv);
	if (strcmp(type, "pre-mount") == 0 && argc >= 3 && strcmp(argv[2], "upper") == 0)
		return mount_upper(copydir, argc, argv);
	if (strcmp(type, "post-stop") == 0 && argc == 2)
		return post_stop(copydir, argv[1], name);
	return -EINVAL;
}

int main(int argc, char **argv)
{
	const char *type = getenv("LXC_HOOK_TYPE");
	const char *conf = getenv("LXC_CONFIG_FILE");
	const char *name = getenv("LXC_NAME");
	char copydir[PATH_MAX], err[160];

	log_open(false);
	if (argc < 2 || !names_session_valid(argv[1]) || !type || !conf || !name ||
	    strlen(conf) >= sizeof(copydir)) {
		log_event(LOG_ERR, "error", "reason", "throwaway-hook: bad invocation", NULL);
		return 1;
	}
	memcpy(copydir, conf, strlen(conf) + 1);
	dirname(copydir);
	int r = dispatch(type, copydir, name, argc, argv);
	if (r < 0) {
		snprintf(err, sizeof(err), "%s hook: %s%s%s", type, failed_step ? failed_step : "",
			 failed_step ? ": " : "", strerror(-r));
		log_event(LOG_ERR, "error", "session", argv[1], "container", name, "reason", err, NULL);
		return 1;
	}
	return 0;
}
