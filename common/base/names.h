/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Session ids and copy names. Usernames are untrusted here: any byte string. */
#ifndef THROWAWAY_NAMES_H
#define THROWAWAY_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define NAMES_SESSION_LEN 16
#define NAMES_CONTAINER_MAX 63 /* longest copy name (hostname limit) */
#define NAMES_BRIDGE_MAX 15    /* longest network interface name (IFNAMSIZ - 1) */
/*
 * Longest place of a copy: an lxcpath, or an LXD socket or HTTPS URL with
 * its certificate files and project. The session's record keeps it, and
 * gc and a record-driven destroy have nothing else to find the copy by.
 */
#define NAMES_PLACE_MAX 1023

/* 16 lowercase hex characters from getrandom(). out holds 17 bytes. */
int names_session_id(char out[NAMES_SESSION_LEN + 1]);
bool names_session_valid(const char *s);

/* True when s is a user name safe to put in a copy name: ^[a-z_][a-z0-9_-]*$. */
bool names_user_safe(const char *s);

/*
 * The one container name check, for origins and copies alike: true when s
 * is a valid LXC container name, [A-Za-z0-9_.-]{1,63}, no leading '.' or '-'.
 */
bool names_container_valid(const char *s);

/* The same alphabet for a bridge (network = veth:BRIDGE), at most NAMES_BRIDGE_MAX. */
bool names_bridge_valid(const char *s);

/*
 * Expand a name template (%o origin, %u user, %U uid, %s session, %r six
 * random [a-z0-9]). The user is written as u<uid> when
 * it is not names_user_safe() or would make the name longer than 63.
 * out holds NAMES_CONTAINER_MAX + 1 bytes. 0, -EINVAL (bad template or
 * result), -ENAMETOOLONG.
 */
int names_container(const char *tmpl, const char *origin, const char *user, uid_t uid,
		    const char *session, char out[NAMES_CONTAINER_MAX + 1]);

#endif
