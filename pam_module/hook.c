/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * throwaway-hook SESSION — the copies' post-stop hook, run by liblxc
 * (lxc.hook.version = 1: the type is in LXC_HOOK_TYPE and nothing is
 * appended to our arguments), on the host in the monitor's mount
 * namespace, right before the ephemeral destroy: with keep = yes move the
 * upper layer to KEPT_DIR; release the copy's mounts (copy_mounts.c);
 * close the session's ledger record and log the end.
 *
 * Trusts the environment liblxc sets and its arguments, which the keeper
 * wrote into the copy's root-owned config. Reads no file of the user's.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "container.h"
#include "kept.h"
#include "ledger.h"
#include "log.h"
#include "names.h"
#include "util.h"

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

	/* The monitor's copies of the upper tmpfs and the idmapped lower
	 * (copy_mounts.c): liblxc's destroy, next, cannot remove a mountpoint. */
	ctr_release_mounts(copydir, session);
	snprintf(mnt, sizeof(mnt), "%s/%s", CTR_LOWER_DIR, session);
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
