/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * share = user on a cluster: one instance per user that the sessions of
 * every front door join, wherever it runs. The instance says who holds it
 * in its own config, the only record every front door sees:
 *
 *   user.throwaway.share    "starting" while its maker starts it, "user"
 *                           once it runs (either may be joined), then
 *                           "stopping" once its last holder has let it go
 *   user.throwaway.holders  "DOOR/SESSION ...", one per session in it
 *
 * Each change is conditional on the ETag of what was read (lxd_call_if),
 * so two front doors that join and leave at once both count: the last
 * holder out marks it stopping and deletes it, and a join that comes after
 * finds it stopping and makes a copy of its own. A front door judges only
 * its own holders (its ledger knows their sessions): gc on each front door
 * drops the holds of its dead sessions.
 */
#ifndef THROWAWAY_LXD_SHARE_H
#define THROWAWAY_LXD_SHARE_H

#include <stdbool.h>
#include <stddef.h>

#include "api.h"

#define LXD_HOLDERS_MAX 4096 /* bytes of user.throwaway.holders */

/* HOLDERS with DOOR/SESSION added into out; -ENOSPC, -EEXIST (held already). */
int lxd_holders_add(const char *holders, const char *door, const char *session, char *out,
		    size_t len);

/*
 * HOLDERS without those GONE says are gone (DOOR and SESSION of each) into
 * out; how many are left. Words that are not DOOR/SESSION are dropped.
 */
size_t lxd_holders_keep(const char *holders,
			bool (*gone)(const char *door, const char *session, void *data), void *data,
			char *out, size_t len);

/* May an instance whose user.throwaway.share is SHARE be joined? */
bool lxd_share_joinable(const char *share);

/*
 * An instance of USER's that is shared and running, or being started by
 * its maker, made by any front door: its name into ret_name. -ENOENT if
 * none.
 */
int lxd_share_find(struct lxd_conn *c, const char *user, char *ret_name, size_t len);

/*
 * This front door's SESSION holds NAME too, if it is USER's and shared.
 * -ESTALE when it is stopping (make one of your own), -EPERM when it is
 * not USER's shared instance. Join a running one only (lxd_copy.c).
 */
int lxd_share_join(struct lxd_conn *c, const char *name, const char *user, const char *session,
		   struct tw_err *err);

/* Its maker started NAME: "starting" becomes "user". */
int lxd_share_started(struct lxd_conn *c, const char *name);

/* What a release found. */
enum lxd_release {
	LXD_RELEASE_HELD,     /* others still hold it: leave it running */
	LXD_RELEASE_LAST,     /* it was let go by its last holder: delete it */
	LXD_RELEASE_UNSHARED, /* it is no shared instance: the caller decides */
};

/*
 * Holds of NAME that GONE says are gone (this front door's sessions only)
 * dropped; when none is left it is marked stopping. -ENOENT when there is
 * no such instance.
 */
int lxd_share_release(struct lxd_conn *c, const char *name,
		      bool (*gone)(const char *door, const char *session, void *data), void *data,
		      enum lxd_release *ret);

#endif
