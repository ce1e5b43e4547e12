/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The keys a backend refuses, in one table per backend, so that an admin
 * learns at check-config (or at the login whose sections combine them),
 * with the line, why a key cannot work there: never accepted and ignored.
 */
#include "config_backend.h"

#include <stddef.h>
#include <string.h>

#include "cleanup.h"
#include "names.h"

static bool privileged(const struct config *c)
{
	return !c->userns;
}

static bool pooled(const struct config *c)
{
	return c->pool > 0;
}

static bool minimal(const struct config *c)
{
	return c->boot == BOOT_MINIMAL;
}

#define ON_LXD "does not work with 'backend = lxd': "

static bool no_url(const struct config *c)
{
	return !c->lxd_url;
}

static bool no_cert(const struct config *c)
{
	return c->lxd_url && !c->lxd_cert;
}

static bool no_key(const struct config *c)
{
	return c->lxd_url && !c->lxd_key;
}

static bool no_server_cert(const struct config *c)
{
	return c->lxd_url && !c->lxd_server_cert;
}

static size_t len_of(const char *s)
{
	return s ? strlen(s) : 0;
}

/*
 * An LXD copy's place carries the URL, the three files and the project
 * (lxd/place.c), and the session's record keeps it in NAMES_PLACE_MAX
 * bytes: a config whose place would not fit is refused here, not at the
 * first login. A bound: the port and the place's own punctuation counted
 * at their longest.
 */
static bool place_too_long(const struct config *c)
{
	size_t n = len_of(c->lxd_url) + len_of(c->lxd_cert) + len_of(c->lxd_key) +
		   len_of(c->lxd_server_cert) + len_of(c->lxd_project) + 64;

	return c->lxd_url && n > NAMES_PLACE_MAX;
}

_Static_assert(NAMES_PLACE_MAX == 1023, "place_too_long's message says 1023 bytes");

#define NEEDS_URL "needs 'lxd_url': only a connection to LXD over HTTPS uses it"

/*
 * Whatever the backend: lxd_url comes with its three files, and they with
 * it, so that a half-made HTTPS setup is an error where it was written.
 */
static const struct config_refusal any_refusals[] = {
	{ "lxd_url", no_cert, "needs 'lxd_cert': LXD knows this host by its client certificate" },
	{ "lxd_url", no_key, "needs 'lxd_key': the private key of 'lxd_cert'" },
	{ "lxd_url", no_server_cert,
	  "needs 'lxd_server_cert': LXD's own certificate is pinned, no other is trusted" },
	{ "lxd_url", place_too_long,
	  "is, with 'lxd_cert', 'lxd_key', 'lxd_server_cert' and 'lxd_project', longer than a "
	  "session's record keeps (1023 bytes)" },
	{ "lxd_cert", no_url, NEEDS_URL },
	{ "lxd_key", no_url, NEEDS_URL },
	{ "lxd_server_cert", no_url, NEEDS_URL },
};

static const struct config_refusal lxd_refusals[] = {
	{ "origin_lxcpath", NULL,
	  ON_LXD "it is a directory of this host's LXC; 'origin' names an image alias or "
		 "instance on the cluster" },
	{ "lxcpath", NULL, ON_LXD "LXD keeps its instances in its own storage pools" },
	{ "storage", NULL, ON_LXD "an instance's root is in an LXD storage pool" },
	{ "tmpfs_size", NULL, ON_LXD "an instance's root is in an LXD storage pool" },
	{ "dir_size", NULL, ON_LXD "an instance's root is in an LXD storage pool" },
	{ "kept_total", NULL, ON_LXD "an ephemeral LXD instance is deleted whole when it stops" },
	{ "keep", NULL, ON_LXD "an ephemeral LXD instance is deleted whole when it stops" },
	{ "device", NULL,
	  ON_LXD "it is a device path of this host, which another cluster member does not have" },
	{ "pty_max", NULL, ON_LXD "LXD has no per-instance terminal limit to map it to" },
	{ "memory_max_per_user", NULL,
	  ON_LXD "LXD places its instances' cgroups itself, under no parent of a user's" },
	{ "memory_max_total", NULL,
	  ON_LXD "LXD places its instances' cgroups itself, under no parent of ours" },
	{ "boot", minimal, ON_LXD "an LXD instance boots its image's own init" },
	{ "userns", privileged, ON_LXD "LXD copies are never privileged" },
	{ "pool", pooled,
	  ON_LXD "an LXD copy passes the user's own uid through its id map (raw.idmap), "
		 "which LXD changes only on a stopped instance, so a copy made ahead of a "
		 "login cannot be given it" },
};

static const struct config_refusal *first_of(const struct config_refusal *t, size_t n,
					     const struct config *c,
					     unsigned (*line_of)(const char *key, void *data),
					     void *data)
{
	for (size_t i = 0; i < n; i++) {
		bool given = line_of(t[i].key, data) > 0;
		if (given && (!t[i].refused || t[i].refused(c)))
			return &t[i];
	}
	return NULL;
}

const struct config_refusal *
config_backend_refusal(const struct config *c, unsigned (*line_of)(const char *key, void *data),
		       void *data)
{
	const struct config_refusal *r =
		first_of(any_refusals, ELEMENTSOF(any_refusals), c, line_of, data);

	if (r || c->backend != BACKEND_LXD)
		return r;
	return first_of(lxd_refusals, ELEMENTSOF(lxd_refusals), c, line_of, data);
}
