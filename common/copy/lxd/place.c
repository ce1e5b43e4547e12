/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An LXD copy's place written and read back (place.h). The place comes
 * from the session's root-only record, so it is trusted as root's, but it
 * is read as strictly as the config it was made of: a record that does
 * not parse is refused, never half understood.
 */
#include "place.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "util.h"

#define HTTPS "https://"

static bool default_project(const char *project)
{
	return !project || strcmp(project, "default") == 0;
}

int lxd_place_format(const struct config *cfg, char *buf, size_t len)
{
	bool other = !default_project(cfg->lxd_project);
	const char *sep = other ? "#" : "", *project = other ? cfg->lxd_project : "";
	char port[8] = "";
	int n;

	if (!cfg->lxd_url) {
		n = snprintf(buf, len, "%s%s%s", cfg->lxd_socket, sep, project);
		return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
	}
	if (!cfg->lxd_cert || !cfg->lxd_key || !cfg->lxd_server_cert)
		return -EINVAL; /* the config refuses it: lxd_url needs all three */
	if (!strchr(cfg->lxd_url + strlen(HTTPS), ':'))
		snprintf(port, sizeof(port), ":%u", LXD_PORT_DEFAULT);
	n = snprintf(buf, len, "%s%s?cert=%s&key=%s&server=%s%s%s", cfg->lxd_url, port,
		     cfg->lxd_cert, cfg->lxd_key, cfg->lxd_server_cert, sep, project);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/*
 * "NAME=FILE" at *S into OUT, then the '&' that follows it (none after the
 * LAST); *S moved past them.
 */
static int take_file(char **s, const char *name, bool last, char *out, size_t size)
{
	size_t n = strlen(name);

	if (strncmp(*s, name, n) != 0 || (*s)[n] != '=')
		return -EINVAL;
	char *v = *s + n + 1, *amp = strchr(v, '&');
	if (last == (amp != NULL))
		return -EINVAL;
	if (amp)
		*amp = '\0';
	if (!config_lxd_file_valid(v) || util_strscpy(out, size, v) < 0)
		return -EINVAL;
	*s = amp ? amp + 1 : v + strlen(v);
	return 0;
}

/* "https://HOST:PORT?cert=C&key=K&server=S" (BODY, changed) into P. */
static int parse_url(char *body, struct lxd_place *p)
{
	char *query = strchr(body, '?'), *colon;
	uint64_t port;

	if (!query)
		return -EINVAL;
	*query++ = '\0';
	colon = strchr(body + strlen(HTTPS), ':');
	if (!config_lxd_url_valid(body) || !colon ||
	    util_parse_u64(colon + 1, 65535, NULL, &port) < 0)
		return -EINVAL;
	*colon = '\0';
	if (util_strscpy(p->host, sizeof(p->host), body + strlen(HTTPS)) < 0)
		return -EINVAL;
	p->port = (unsigned)port;
	int r = take_file(&query, "cert", false, p->cert, sizeof(p->cert));
	if (r >= 0)
		r = take_file(&query, "key", false, p->key, sizeof(p->key));
	if (r >= 0)
		r = take_file(&query, "server", true, p->server, sizeof(p->server));
	return r;
}

int lxd_place_parse(const char *place, struct lxd_place *ret)
{
	struct lxd_place p = { 0 };
	_cleanup_free_ char *body = NULL;
	const char *hash = strchr(place, '#');
	int r;

	if (strlen(place) > NAMES_PLACE_MAX)
		return -ENAMETOOLONG;
	if (hash && (!config_lxd_name_valid(hash + 1) ||
		     util_strscpy(p.project, sizeof(p.project), hash + 1) < 0))
		return -EINVAL;
	body = strndup(place, hash ? (size_t)(hash - place) : strlen(place));
	if (!body)
		return -ENOMEM;
	if (strncmp(body, HTTPS, strlen(HTTPS)) == 0)
		r = parse_url(body, &p);
	else if (body[0] == '/')
		r = util_strscpy(p.socket, sizeof(p.socket), body) < 0 ? -EINVAL : 0;
	else
		r = -EINVAL;
	if (r < 0)
		return r;
	*ret = p;
	return 0;
}
