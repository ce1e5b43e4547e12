/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Kept data (keep = yes, storage = dir): when such a copy stops, its upper
 * layer moves to KEPT_DIR/<user>/<session>/upper, with an "info" file
 * beside it, before the copy is destroyed. Root-only (0700); kept until an
 * admin removes it (throwawayctl kept rm).
 */
#ifndef THROWAWAY_KEPT_H
#define THROWAWAY_KEPT_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "names.h"

/*
 * KEPT_DIR's parent, made if missing as make install makes it: 0711, so
 * that the copies' lxcpath below it stays reachable for a copy's root and
 * nothing in it is listed.
 */
#define KEPT_PARENT "/var/lib/throwaway"
#define KEPT_PARENT_MODE 0711
#define KEPT_DIR_NAME "kept"
#define KEPT_DIR KEPT_PARENT "/" KEPT_DIR_NAME
/* Below this many levels an upper layer's size is not counted (kept_list). */
#define KEPT_SIZE_DEPTH_MAX 256
/* In a copy's directory: what to keep it as ("user=… session=… …" lines). */
#define KEPT_MARKER "throwaway.keep"
#define KEPT_FIELD_MAX 256

struct kept_entry {
	char user[KEPT_FIELD_MAX];
	char session[NAMES_SESSION_LEN + 1];
	char container[NAMES_CONTAINER_MAX + 1];
	char origin[KEPT_FIELD_MAX];
	time_t started, ended;
	uint64_t total;   /* kept_total when it was kept: the cap on all kept data */
	uint64_t bytes;   /* disk used by the upper layer */
	unsigned removed; /* kept_save: older kept sessions removed for total */
};

/* Most kept sessions looked at for the total: more are never removed by it. */
#define KEPT_TOTAL_ENTRIES_MAX 4096

/* Write KEPT_MARKER into the copy's directory (dfd) for E (user, session, container, origin, started, total). */
int kept_mark(int dfd, const struct kept_entry *e);

/*
 * If the copy in COPYDIR carries KEPT_MARKER, move its upper layer into
 * KEPT_DIR, then remove the oldest kept sessions (everyone's) while all
 * together hold more than the marker's total (kept_total). 0 when there
 * was nothing to keep (no marker, or an empty upper layer), 1 when kept,
 * -errno. The upper layer must be on the same filesystem as KEPT_DIR;
 * when its overlay directory is a subvolume (quota.h) the subvolume
 * itself moves, and stays one, with its limit.
 */
int kept_save(const char *copydir, struct kept_entry *ret);

/* Call fn for every kept session (of USER when not NULL); stops at fn's first error. */
int kept_list(const char *user, int (*fn)(const struct kept_entry *e, void *data), void *data);

/*
 * Sort E[0..n) oldest first (ended, then started) and say how many of the
 * first must go for the rest to hold at most TOTAL bytes. Pure.
 */
size_t kept_over_total(struct kept_entry *e, size_t n, uint64_t total);

/*
 * Remove the oldest kept sessions while all of them hold more than TOTAL
 * bytes; NEWEST (a session id, or NULL) counts as the newest of all,
 * whatever the clock said, and goes alone when it alone holds more than
 * TOTAL. How many older ones went, or -errno.
 */
int kept_trim(uint64_t total, const char *newest);

/* Remove one kept session. -ENOENT when there is none. */
int kept_remove(const char *user, const char *session);

#endif
