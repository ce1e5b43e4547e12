/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * throwaway-hook SESSION — the copies' post-stop hook, run by liblxc
 * (lxc.hook.version = 1: the type is in LXC_HOOK_TYPE and nothing is
 * appended to our arguments), on the host in the monitor's mount
 * namespace, whoever stopped the copy: with keep = yes move the upper
 * layer to KEPT_DIR; release the copy's mounts (copy_mounts.c); destroy
 * the copy; close the session's ledger record and log the end.
 *
 * Trusts the environment liblxc sets and its arguments, which the keeper
 * wrote into the copy's root-owned config. Reads no file of the user's.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "cleanup.h"
#include "container.h"
#include "kept.h"
#include "ledger.h"
#include "log.h"
#include "names.h"
#include "safefs.h"
#include "util.h"

/* keep = yes: move the upper layer aside before remove_copy removes the rest. */
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

/*
 * Destroy the stopped copy: its directory, as lxc-start-ephemeral's
 * post-stop hook did. liblxc's ephemeral destroy would first parse the
 * copy's config anew to learn its storage: 0.8 ms of every logout, against
 * 0.1 here. The config goes last: a copy that could not be emptied stays
 * defined, and whoever stopped it (the keeper, gc) destroys it with liblxc.
 */
static int remove_copy(const char *copydir)
{
	struct stat st;
	_cleanup_close_ int fd = open(copydir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	int r = safefs_empty_dir(fd, st.st_dev, "config");
	if (r == 0 && unlinkat(fd, "config", 0) < 0 && errno != ENOENT)
		r = -errno;
	if (r == 0 && rmdir(copydir) < 0 && errno != ENOENT)
		r = -errno;
	return r;
}

static int post_stop(const char *copydir, const char *session, const char *name)
{
	struct ledger_entry e;
	char uid[16], ms[32], mnt[PATH_MAX];

	keep_upper(copydir, session, name);

	/* The monitor's copies of the upper tmpfs and the idmapped lower
	 * (copy_mounts.c): a mountpoint cannot be removed. */
	ctr_release_mounts(copydir, session);
	snprintf(mnt, sizeof(mnt), "%s/%s", CTR_LOWER_DIR, session);
	rmdir(mnt);
	int gone = remove_copy(copydir);
	if (gone < 0) {
		char why[128];
		snprintf(why, sizeof(why), "removing the copy failed: %s", strerror(-gone));
		log_event(LOG_ERR, "error", "session", session, "container", name, "reason", why, NULL);
	}
	int r = ledger_read(TW_RUNDIR, session, &e);
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	if (strcmp(e.container, name) != 0)
		return -EINVAL;
	/* A live keeper removes the record itself once the monitor is gone; a
	 * copy left in place keeps its record for gc. */
	if (gone == 0 && !util_proc_alive(e.keeper, e.keeper_start))
		ledger_remove(TW_RUNDIR, session);
	snprintf(uid, sizeof(uid), "%u", (unsigned)e.uid);
	snprintf(ms, sizeof(ms), "%llu", (unsigned long long)(util_wall_ms() - e.started_ms));
	log_event(LOG_INFO, "destroy", "session", e.session, "user", e.user, "uid", uid,
		  "rhost", e.rhost, "container", e.container, "ms", ms, NULL);
	return 0;
}

static int dispatch(const char *type, const char *copydir, const char *name, int argc, char **argv)
{
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
		snprintf(err, sizeof(err), "%s hook: %s", type, strerror(-r));
		log_event(LOG_ERR, "error", "session", argv[1], "container", name, "reason", err, NULL);
		return 1;
	}
	return 0;
}
