/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "marks.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "names.h"

/*
 * The host name: a cluster serves other front doors too, and gc and list
 * must take only this one's instances (each front door needs a host name
 * of its own; throwaway.conf(5) says so).
 */
void lxd_front_door(char host[HOST_NAME_MAX + 1])
{
	memset(host, 0, HOST_NAME_MAX + 1);
	if (gethostname(host, HOST_NAME_MAX) < 0)
		snprintf(host, HOST_NAME_MAX + 1, "localhost");
}

bool lxd_mark_expired(const struct lxd_mark *m, time_t now)
{
	char *end;
	errno = 0;
	long long t = strtoll(m->alive, &end, 10);

	/* unmarked, or not our writing (digits alone): not ours to judge */
	if (*m->alive < '0' || *m->alive > '9' || *end || errno)
		return false;
	return now > t && now - t > LXD_ALIVE_LEASE_S;
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

static bool plain_host(const char *s)
{
	return *s &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") ==
		       strlen(s);
}

int lxd_marks_path(enum lxd_doors which, const char *door, char *buf, size_t len)
{
	int n;

	/* The filter's spaces as %20; a plain host name needs no other escape. */
	if (which == LXD_DOORS_ALL || !door || !plain_host(door))
		n = snprintf(buf, len, "/instances?recursion=1");
	else
		n = snprintf(buf, len,
			     "/instances?recursion=1&filter=config.user.throwaway.host%%20%s%%20%s",
			     which == LXD_DOORS_MINE ? "eq" : "ne", door);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int lxd_marks_foreach(struct lxd_conn *c, enum lxd_doors which, const char *door,
		      int (*fn)(const struct lxd_mark *m, void *data), void *data)
{
	_cleanup_json_ json_object *all = NULL;
	json_object *config;
	char path[HOST_NAME_MAX + 128];

	int r = lxd_marks_path(which, door, path, sizeof(path));
	if (r >= 0)
		r = lxd_call(c, "GET", path, NULL, 10, &all, NULL);
	if (r < 0)
		return r;
	if (!json_object_is_type(all, json_type_array))
		return -EIO;
	for (size_t i = 0; i < json_object_array_length(all); i++) {
		json_object *inst = json_object_array_get_idx(all, i);
		if (!json_object_object_get_ex(inst, "config", &config))
			continue;
		struct lxd_mark m = { lxd_str(inst, "name"),
				      lxd_str(config, "user.throwaway.session"),
				      or_empty(lxd_str(config, "user.throwaway.user")),
				      or_empty(lxd_str(config, "user.throwaway.host")),
				      or_empty(lxd_str(inst, "location")),
				      or_empty(lxd_str(config, "user.throwaway.share")),
				      or_empty(lxd_str(config, "user.throwaway.holders")),
				      or_empty(lxd_str(inst, "status")),
				      or_empty(lxd_str(config, LXD_ALIVE_KEY)),
				      or_empty(lxd_str(config, LXD_ADDR_KEY)) };
		if (!m.name || !m.session || !names_session_valid(m.session))
			continue;
		r = fn(&m, data);
		if (r < 0)
			return r;
	}
	return 0;
}
