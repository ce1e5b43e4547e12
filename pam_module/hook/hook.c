/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * throwaway-hook SESSION — run by a copy's engine when the copy has
 * stopped, whoever stopped it (for lxc: its post-stop hook). The driver
 * removes the copy (copy.h, retire); then the session's ledger record is
 * closed and its end logged, as lxc-start-ephemeral's post-stop hook did.
 * Run as the copy's network comes up (for lxc: its up script), it has the
 * driver isolate the copy's port on the bridge (copy_net_up); a failure
 * there fails the copy's start.
 *
 * Trusts its arguments and environment, which the keeper wrote into the
 * copy's root-owned config. Reads no file of the user's.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "copy.h"
#include "kept.h"
#include "ledger.h"
#include "log.h"
#include "util.h"

static void log_kept(const struct copy_retired *d)
{
	char where[PATH_MAX], removed[16];
	snprintf(where, sizeof(where), "%s/%s/%s", KEPT_DIR, d->kept_user, d->session);
	snprintf(removed, sizeof(removed), "%u", d->kept_removed);
	/* removed_older: kept sessions removed, oldest first, for kept_total */
	log_event(LOG_INFO, "kept", "session", d->session, "user", d->kept_user, "container",
		  d->name, "path", where, "removed_older", removed, NULL);
}

/* The record of the session: closed when the copy is gone and its keeper too. */
static int close_record(const struct copy_retired *d)
{
	struct ledger_entry e;
	char uid[16], ms[32];
	int r = ledger_read(TW_RUNDIR, d->session, &e);
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	if (strcmp(e.container, d->name) != 0)
		return -EINVAL;
	/* A live keeper removes the record itself once the monitor is gone; a
	 * copy left in place keeps its record for gc. */
	if (d->removed && !util_proc_alive(e.keeper, e.keeper_start))
		ledger_remove(TW_RUNDIR, d->session);
	snprintf(uid, sizeof(uid), "%u", (unsigned)e.uid);
	snprintf(ms, sizeof(ms), "%llu", (unsigned long long)(util_wall_ms() - e.started_ms));
	log_event(LOG_INFO, "destroy", "session", e.session, "user", e.user, "uid", uid, "rhost",
		  e.rhost, "container", e.container, "ms", ms, NULL);
	return 0;
}

/* The network's step: -1 when this is not it, else the exit status. */
static int net_up(int argc, char **argv)
{
	struct tw_err err = { 0 };
	char session[32] = "";
	int r = copy_net_up("lxc", argc, argv, session, sizeof(session), &err);
	if (r == 1)
		return -1;
	if (r < 0)
		log_event(LOG_ERR, "error", "session", session[0] ? session : NULL, "reason",
			  err.msg, NULL);
	return r < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct copy_retired d;
	struct tw_err err = { 0 };
	char why[160];

	log_open(false);
	int net = net_up(argc, argv);
	if (net >= 0)
		return net;
	int r = copy_retire("lxc", argc, argv, &d, &err);
	if (d.kept)
		log_kept(&d);
	if (r < 0)
		log_event(LOG_ERR, "error", "session", d.session[0] ? d.session : NULL, "container",
			  d.name[0] ? d.name : NULL, "reason", err.msg, NULL);
	if (!d.session[0])
		return 1;
	int c = close_record(&d);
	if (c < 0) {
		snprintf(why, sizeof(why), "post-stop hook: %s", strerror(-c));
		log_event(LOG_ERR, "error", "session", d.session, "container", d.name, "reason",
			  why, NULL);
	}
	return c < 0 ? 1 : 0; /* what the driver could not remove, gc will */
}
