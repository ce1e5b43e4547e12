/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Where an LXD copy is, as one string (its place): what gc, throwawayctl
 * and a record-driven destroy have to reach the copy's LXD with, so it
 * carries all of the connection. Two forms:
 *
 *   SOCKET[#PROJECT]                                   LXD's unix socket
 *   https://HOST:PORT?cert=C&key=K&server=S[#PROJECT]  LXD over HTTPS
 *
 * C, K and S are the client certificate, its key and LXD's pinned
 * certificate, absolute paths written as they are: the config refuses
 * paths with '?', '&', '#', '%' or '=' (config_lxd_file_valid), so no
 * escaping is needed and a place reads back only one way. The port is
 * always written; "#PROJECT" only for a project other than "default".
 */
#ifndef THROWAWAY_LXD_PLACE_H
#define THROWAWAY_LXD_PLACE_H

#include <stddef.h>

#include "config.h"
#include "names.h"

#define LXD_PORT_DEFAULT 8443U
#define LXD_HOST_MAX 253

struct lxd_place {
	char socket[NAMES_PLACE_MAX + 1]; /* "" over HTTPS */
	char host[LXD_HOST_MAX + 1];      /* HTTPS: the host, "" with a socket */
	unsigned port;
	char cert[NAMES_PLACE_MAX + 1];   /* HTTPS: our client certificate */
	char key[NAMES_PLACE_MAX + 1];    /* its private key */
	char server[NAMES_PLACE_MAX + 1]; /* LXD's certificate, pinned */
	char project[64];                 /* "" for "default" */
};

/* CFG's place into BUF: 0, or -ENAMETOOLONG when it does not fit in LEN. */
int lxd_place_format(const struct config *cfg, char *buf, size_t len);

/*
 * PLACE read back, strictly: each part checked as the config checks its
 * key. 0, -EINVAL (not a place lxd_place_format writes) or -ENAMETOOLONG.
 */
int lxd_place_parse(const char *place, struct lxd_place *ret);

#endif
