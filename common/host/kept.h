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
	uint64_t bytes; /* disk used by the upper layer */
};

/* Write KEPT_MARKER into the copy's directory (dfd) for E (user, session, container, origin, started). */
int kept_mark(int dfd, const struct kept_entry *e);

/*
 * If the copy in COPYDIR carries KEPT_MARKER, move its upper layer into
 * KEPT_DIR. 0 when there was nothing to keep (no marker, or an empty
 * upper layer), 1 when kept, -errno.
 * The upper layer must be on the same filesystem as KEPT_DIR.
 */
int kept_save(const char *copydir, struct kept_entry *ret);

/* Call fn for every kept session (of USER when not NULL); stops at fn's first error. */
int kept_list(const char *user, int (*fn)(const struct kept_entry *e, void *data), void *data);

/* Remove one kept session. -ENOENT when there is none. */
int kept_remove(const char *user, const char *session);

#endif
