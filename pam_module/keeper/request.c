/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The PAM module's request ("open"): who logs in, from where, with which
 * config. Root wrote it and it is trusted, but still bounded: every field
 * is checked to fit before it is kept.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keeper.h"
#include "proto.h"
#include "util.h"

static int copy_field(char *dst, size_t max, const char *v)
{
	if (!v || strlen(v) >= max)
		return -EBADMSG;
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

/* One "GID:NAME" of the request's groups. */
static int read_group(struct keeper *k, const char *v)
{
	const char *colon;
	uint64_t gid;
	if (util_parse_u64(v, UINT32_MAX - 1, &colon, &gid) < 0 || *colon != ':' ||
	    strlen(colon + 1) > CONFIG_GROUP_NAME_MAX || k->req.n_groups >= KEEPER_MAX_GROUPS)
		return -EBADMSG;
	if (!(k->req.group_names[k->req.n_groups] = strdup(colon + 1)))
		return -ENOMEM;
	k->req.groups[k->req.n_groups++] = (gid_t)gid;
	return 0;
}

/*
 * The user's gid, home and groups (primary first), looked up by the module
 * where NSS is loaded already, and so not again here, on the login's path.
 */
static int read_ids(struct keeper *k, const struct proto_msg *m)
{
	unsigned long long gid;
	if (proto_getu(m, "gid", UINT32_MAX - 1, &gid) < 0 ||
	    copy_field(k->req.home, sizeof(k->req.home), proto_get(m, "home")) < 0)
		return -EBADMSG;
	for (size_t i = 0; i < m->n; i++) {
		int r = strcmp(m->keys[i], "group") == 0 ? read_group(k, m->vals[i]) : 0;
		if (r < 0)
			return r;
	}
	k->req.gid = (gid_t)gid;
	return k->req.n_groups > 0 && k->req.groups[0] == k->req.gid ? 0 : -EBADMSG;
}

int keeper_read_request(struct keeper *k, int fd, struct tw_err *err)
{
	struct proto_msg m;
	unsigned long long uid, caller;
	int r = proto_recv(fd, &m, NULL, 0, NULL, 10000);
	if (r < 0) {
		tw_err_set(err, 0, "no request from the PAM module (%s)", strerror(-r));
		return r;
	}
	if (strcmp(m.type, "open") != 0 ||
	    copy_field(k->req.session, sizeof(k->req.session), proto_get(&m, "session")) < 0 ||
	    !names_session_valid(k->req.session) ||
	    copy_field(k->req.user, sizeof(k->req.user), proto_get(&m, "user")) < 0 ||
	    proto_getu(&m, "uid", UINT32_MAX - 1, &uid) < 0 ||
	    proto_getu(&m, "caller", INT32_MAX, &caller) < 0 ||
	    copy_field(k->req.config_path, sizeof(k->req.config_path), proto_get(&m, "config")) <
		    0) {
		proto_free(&m);
		tw_err_set(err, 0, "malformed request from the PAM module");
		return -EBADMSG;
	}
	k->req.uid = (uid_t)uid;
	k->req.caller = (pid_t)caller;
	/* Optional fields: absent or too long become empty. */
	copy_field(k->req.rhost, sizeof(k->req.rhost), proto_get(&m, "rhost"));
	copy_field(k->req.service, sizeof(k->req.service), proto_get(&m, "service"));
	copy_field(k->req.auth_info, sizeof(k->req.auth_info), proto_get(&m, "auth_info"));
	k->req.debug = proto_get(&m, "debug") != NULL;
	k->req.wait = proto_get(&m, "wait") != NULL;
	r = read_ids(k, &m);
	proto_free(&m);
	if (r < 0)
		tw_err_set(err, 0, "malformed request from the PAM module");
	return r;
}
