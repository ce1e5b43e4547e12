/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The lxc driver's look at an origin for throwawayctl doctor: does it
 * exist, is it stopped, is its rootfs a directory (the overlay's lower
 * layer), has it a network of its own. Reads its configuration only.
 */
#include <errno.h>
#include <limits.h>
#include <lxc/lxccontainer.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "container.h"

/* The origin's rootfs must be a directory: the lower layer of its copies' overlay. */
static int origin_rootfs(struct lxc_container *c, char *why, size_t len)
{
	char v[PATH_MAX + 32];
	struct stat st;
	if (c->get_config_item(c, "lxc.rootfs.path", v, sizeof(v)) <= 0) {
		snprintf(why, len, "has no lxc.rootfs.path");
		return -EINVAL;
	}
	const char *path = v;
	if (v[0] != '/') {
		size_t t = strcspn(v, ":");
		if (t != 3 || strncmp(v, "dir", 3) != 0 || v[t] != ':') {
			snprintf(why, len, "has a '%.*s' rootfs, not a directory", (int)t, v);
			return -EINVAL;
		}
		path = v + t + 1;
	}
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(why, len, "has no rootfs directory %s", path);
		return -ENOENT;
	}
	return 0;
}

/* The findings for one origin, into f[0..COPY_FINDINGS_MAX); how many. */
static size_t check(struct lxc_container *c, const char *place, const char *origin,
		    struct copy_finding *f)
{
	char why[PATH_MAX + 128], net[64] = "";
	if (!c || !c->is_defined(c)) {
		f[0] = (struct copy_finding){ .verdict = COPY_FAIL };
		snprintf(f[0].msg, sizeof(f[0].msg), "does not exist in %s", place);
		snprintf(f[0].fix, sizeof(f[0].fix),
			 "create it (lxc-create -P %s -n %s) or correct 'origin'", place, origin);
		return 1;
	}
	if (c->is_running(c)) {
		f[0] = (struct copy_finding){ .verdict = COPY_RUNNING };
		snprintf(f[0].fix, sizeof(f[0].fix),
			 "lxc-stop -P %s -n %s (and read the guide's 'Updating an origin safely')",
			 place, origin);
		return 1;
	}
	if (origin_rootfs(c, why, sizeof(why)) < 0) {
		f[0] = (struct copy_finding){ .verdict = COPY_FAIL };
		snprintf(f[0].msg, sizeof(f[0].msg), "%s", why);
		snprintf(f[0].fix, sizeof(f[0].fix),
			 "give it a directory rootfs at <origin_lxcpath>/<name>/rootfs");
		return 1;
	}
	f[0] = (struct copy_finding){ .verdict = COPY_OK };
	snprintf(f[0].msg, sizeof(f[0].msg), "exists in %s, is stopped, has a directory rootfs",
		 place);
	if (c->get_config_item(c, "lxc.net.0.type", net, sizeof(net)) <= 0 || !net[0] ||
	    strcmp(net, "empty") == 0)
		return 1;
	f[1] = (struct copy_finding){ .verdict = COPY_WARN };
	snprintf(f[1].msg, sizeof(f[1].msg), "has lxc.net.0.type = %s", net);
	snprintf(f[1].fix, sizeof(f[1].fix), "set lxc.net.0.type = empty in %s/%s/config", place,
		 origin);
	return 2;
}

size_t ctr_check_origin(const char *place, const char *origin,
			struct copy_finding ret[COPY_FINDINGS_MAX])
{
	struct lxc_container *c = lxc_container_new(origin, place);
	size_t n = check(c, place, origin, ret);
	if (c)
		lxc_container_put(c);
	return n;
}
