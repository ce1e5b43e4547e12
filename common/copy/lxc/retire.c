/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The lxc driver's end of a copy: the work of its post-stop hook
 * (throwaway-hook SESSION, run by liblxc with lxc.hook.version = 1: the
 * type is in LXC_HOOK_TYPE and nothing is appended to our arguments), on
 * the host in the monitor's mount namespace, whoever stopped the copy:
 * with keep = yes move the upper layer to KEPT_DIR; release the copy's
 * mounts (copy_mounts.c); remove the copy.
 *
 * Trusts the environment liblxc sets and its arguments, which the keeper
 * wrote into the copy's root-owned config. Reads no file of the user's.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "container.h"
#include "kept.h"
#include "names.h"
#include "quota.h"
#include "safefs.h"

/*
 * Destroy the stopped copy: its directory, as lxc-start-ephemeral's
 * post-stop hook did. liblxc's ephemeral destroy would first parse the
 * copy's config anew to learn its storage: 0.8 ms of every logout, against
 * 0.1 here. The config goes last: a copy that could not be emptied stays
 * defined, and is left for gc and the log.
 */
int ctr_remove_dir(const char *copydir)
{
	struct stat st;
	_cleanup_close_ int fd = open(copydir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	/* storage = dir: the overlay directory is a subvolume, another st_dev */
	int r = quota_subvol_remove(fd, "overlay");
	if (r == 0)
		r = safefs_empty_dir(fd, st.st_dev, "config");
	if (r == 0 && unlinkat(fd, "config", 0) < 0 && errno != ENOENT)
		r = -errno;
	if (r == 0 && rmdir(copydir) < 0 && errno != ENOENT)
		r = -errno;
	return r;
}

/* keep = yes: move the upper layer aside before remove_copy removes the rest. */
static int keep_upper(const char *copydir, struct copy_retired *ret, struct tw_err *err)
{
	struct kept_entry k;
	int r = kept_save(copydir, &k);
	if (r < 0)
		return tw_err_set(err, r, "keeping the upper layer failed: %s", strerror(-r));
	if (r == 1) {
		ret->kept = true;
		ret->kept_removed = k.removed;
		snprintf(ret->kept_user, sizeof(ret->kept_user), "%s", k.user);
	}
	return 0;
}

static int post_stop(const char *copydir, struct copy_retired *ret, struct tw_err *err)
{
	char mnt[PATH_MAX];
	int r = keep_upper(copydir, ret, err);
	/* The monitor's copies of the upper tmpfs and the idmapped lower
	 * (copy_mounts.c): a mountpoint cannot be removed. */
	ctr_release_mounts(copydir, ret->session);
	snprintf(mnt, sizeof(mnt), "%s/%s", CTR_LOWER_DIR, ret->session);
	rmdir(mnt);
	int gone = ctr_remove_dir(copydir);
	ret->removed = gone == 0;
	if (gone < 0)
		return tw_err_set(err, gone, "removing the copy failed: %s", strerror(-gone));
	return r;
}

int ctr_retire(int argc, char **argv, struct copy_retired *ret, struct tw_err *err)
{
	const char *type = getenv("LXC_HOOK_TYPE");
	const char *conf = getenv("LXC_CONFIG_FILE");
	const char *name = getenv("LXC_NAME");
	char copydir[PATH_MAX];

	memset(ret, 0, sizeof(*ret));
	if (argc != 2 || !names_session_valid(argv[1]) || !type || !conf || !name ||
	    !names_container_valid(name) || strlen(conf) >= sizeof(copydir))
		return tw_err_set(err, EINVAL, "throwaway-hook: bad invocation");
	snprintf(ret->session, sizeof(ret->session), "%s", argv[1]);
	snprintf(ret->name, sizeof(ret->name), "%s", name);
	if (strcmp(type, "post-stop") != 0)
		return tw_err_set(err, EINVAL, "%s hook: not a hook of ours", type);
	memcpy(copydir, conf, strlen(conf) + 1);
	dirname(copydir);
	return post_stop(copydir, ret, err);
}
