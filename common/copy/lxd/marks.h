/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The instances of ours in an LXD, found by their user.throwaway.* marks:
 * which session, user and front door each belongs to, and the cluster
 * member it runs on. A cluster may serve several front doors; each finds
 * its own by its host name.
 */
#ifndef THROWAWAY_LXD_MARKS_H
#define THROWAWAY_LXD_MARKS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "api.h"

struct lxd_mark {
	const char *name;
	const char *session;  /* a valid session id */
	const char *user;     /* "" when not marked */
	const char *door;     /* the front door's host name, "" when not marked */
	const char *location; /* the member it runs on, "" when LXD says none */
	const char *share;    /* share = user: "user", or "stopping"; "" when not shared */
	const char *holders;  /* share = user: the sessions in it (share.h), else "" */
	const char *status;   /* LXD's: "Running", "Stopped", ...; "" when not said */
	const char *alive;    /* when a front door last vouched for it, "" when not marked */
	const char *addr;     /* network = veth: its address on the bridge, "" without */
};

/* network = veth: the copy's address ("A.B.C.D"), so that other front doors leave it be. */
#define LXD_ADDR_KEY "user.throwaway.addr"

/*
 * A front door vouches for the instances of its live sessions: it writes
 * the time (seconds since the epoch) into user.throwaway.alive when it
 * makes one and every COPY_RENEW_S while a session of its holds it. A
 * front door that is gone for good (a host retired, or reinstalled under
 * another name) vouches no more, and once LXD_ALIVE_LEASE_S has passed
 * any other front door's gc deletes its instances. The lease is ten
 * renewals long, so the doors' clocks may disagree by minutes.
 */
#define LXD_ALIVE_KEY "user.throwaway.alive"
#define LXD_ALIVE_LEASE_S 600

/* Is M's lease over at NOW? Never for an instance without the mark. */
bool lxd_mark_expired(const struct lxd_mark *m, time_t now);

/* This front door's name, as its instances' user.throwaway.host says. */
void lxd_front_door(char host[HOST_NAME_MAX + 1]);

/* Which instances a query asks LXD for. */
enum lxd_doors {
	LXD_DOORS_MINE,   /* marked with DOOR */
	LXD_DOORS_OTHERS, /* not marked with DOOR */
	LXD_DOORS_ALL,    /* every front door's */
};

/*
 * The path that lists the instances of WHICH with their config, LXD
 * choosing them (its filter= on user.throwaway.host), so that a front
 * door is not sent every instance of a cluster at each login. A DOOR
 * that is not a plain host name ([A-Za-z0-9.-_]) is asked for all: the
 * caller judges each instance's mark anyway. 0 or -ENAMETOOLONG.
 */
int lxd_marks_path(enum lxd_doors which, const char *door, char *buf, size_t len);

/*
 * FN for each instance of C's project of WHICH (lxd_marks_path) with a
 * valid session mark; FN < 0 stops.
 */
int lxd_marks_foreach(struct lxd_conn *c, enum lxd_doors which, const char *door,
		      int (*fn)(const struct lxd_mark *m, void *data), void *data);

#endif
