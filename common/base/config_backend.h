/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What each backend cannot do with a resolved config: the keys that mean
 * something only on this host (an lxcpath, a device path) or that a
 * backend does not do yet. The config parser turns a refusal into an error
 * at the line that set the key.
 */
#ifndef THROWAWAY_CONFIG_BACKEND_H
#define THROWAWAY_CONFIG_BACKEND_H

#include "config.h"

struct config_refusal {
	const char *key;
	/* NULL: refused whenever the key is given; else refused when true */
	bool (*refused)(const struct config *c);
	const char *why; /* follows "'KEY' " in the message */
};

/*
 * The first refusal that applies to C, or NULL. LINE_OF(key, data) says
 * where the key's resolved value was set (0: it was not, the default holds).
 */
const struct config_refusal *
config_backend_refusal(const struct config *c, unsigned (*line_of)(const char *key, void *data),
		       void *data);

#endif
