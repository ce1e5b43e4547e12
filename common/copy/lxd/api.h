/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * LXD's REST API over its unix socket or HTTPS: libcurl for HTTP (its
 * unix-socket support, or TLS with our client certificate and LXD's
 * pinned), json-c for the bodies. One connection per caller, not shared
 * between threads; the open connections behind them are the process's,
 * shared by its connections, and a forked child's requests go over its
 * own (api.c, process_share). Requests name a path below /1.0 and get
 * the response's metadata; an async response (an operation) is waited
 * for, so a caller sees one result either way. The only code that
 * includes libcurl or json-c is under common/copy/lxd/.
 */
#ifndef THROWAWAY_LXD_API_H
#define THROWAWAY_LXD_API_H

#include <json-c/json.h>
#include <stddef.h>
#include <sys/types.h>

#include "err.h"
#include "place.h"

#define LXD_RESPONSE_MAX (4 * 1024 * 1024) /* a response body larger than this is refused */

struct lxd_conn;

/*
 * A connection to the LXD of P (its socket, or its URL and certificate
 * files), its requests in P's project. Over HTTPS the three files are
 * checked first (lxd_check_files). Nothing is sent yet. 0 or -errno with
 * err.
 */
int lxd_open(const struct lxd_place *p, struct lxd_conn **ret, struct tw_err *err);
void lxd_close(struct lxd_conn *c);

/*
 * The admin's certificate files of P, before any library opens them: each
 * reached from / without a symlink, through root-owned directories that
 * are not group or world writable, a regular root-owned file that is not
 * either; the key, which is this host's standing with LXD, also not
 * readable by group or others. 0, or -EINVAL with err naming the file.
 */
int lxd_check_files(const struct lxd_place *p, struct tw_err *err);

/*
 * Does LXD trust us? GET /1.0 says "auth: trusted" (over its socket LXD
 * trusts root always; over HTTPS, only a client certificate it was given).
 * Its answer into *ret (may be NULL). -EACCES with err when not trusted.
 */
int lxd_check_trust(struct lxd_conn *c, json_object **ret, struct tw_err *err);

/*
 * METHOD PATH (below /1.0, e.g. "/instances/NAME/state"; the project is
 * added) with BODY (NULL: none). Waits up to TIMEOUT_S for an operation
 * the request starts. On success *ret (may be NULL) is the response's
 * metadata, or the finished operation's (json_object_put it; NULL when
 * there is none). A response of LXD's own error is -EIO, -ENOENT for a
 * 404 or -EACCES for a 403, with LXD's message in err; a socket or host
 * that answers nothing, -ECONNREFUSED; an HTTPS peer without the pinned
 * certificate, -EPERM; certificate files TLS cannot use, -EINVAL.
 */
int lxd_call(struct lxd_conn *c, const char *method, const char *path, json_object *body,
	     unsigned timeout_s, json_object **ret, struct tw_err *err);

/*
 * The same, but an operation the request starts is not waited for: its
 * path ("/1.0/operations/ID") into *ret_op (malloc'd) and its own
 * metadata into *ret (the operation's "metadata", e.g. exec's fds).
 */
int lxd_call_async(struct lxd_conn *c, const char *method, const char *path, json_object *body,
		   char **ret_op, json_object **ret, struct tw_err *err);

/*
 * A change that holds only if nothing changed since a read: GET PATH's
 * metadata into *ret with its ETag, then METHOD PATH with BODY if it still
 * has that ETag, else -ESTALE (LXD's 412): read again and redo. LXD's own
 * client changes an instance's config the same way.
 */
#define LXD_ETAG_MAX 128
int lxd_get_tagged(struct lxd_conn *c, const char *path, json_object **ret, char etag[LXD_ETAG_MAX],
		   struct tw_err *err);
int lxd_call_if(struct lxd_conn *c, const char *method, const char *path, json_object *body,
		const char *etag, struct tw_err *err);

/* Wait up to TIMEOUT_S for operation OP to end; its metadata into *ret (may be NULL). */
int lxd_wait(struct lxd_conn *c, const char *op, unsigned timeout_s, json_object **ret,
	     struct tw_err *err);

/*
 * Until no task of LXD's (a create, a start) acts on instance NAME, up to
 * TIMEOUT_S each: one started by a process that died goes on without it,
 * and a delete sent before its create ends would find nothing to delete.
 * Programs running in the instance (websocket operations) are not waited for.
 */
int lxd_settle(struct lxd_conn *c, const char *name, unsigned timeout_s);

/* Where C talks to: its place, parsed. */
const struct lxd_place *lxd_place_of(const struct lxd_conn *c);

/* Where C talks to, for a message: the socket, or "https://HOST:PORT". */
const char *lxd_where(const struct lxd_conn *c);

/* The same, the body raw bytes with these extra headers (NULL-terminated): the files API. */
int lxd_call_raw(struct lxd_conn *c, const char *method, const char *path, const char *data,
		 size_t len, const char *const *headers, struct tw_err *err);

/*
 * GET PATH's body as it is (not JSON: the files API), at most MAX bytes,
 * into *ret_buf (malloc'd, NUL-terminated) and *ret_len. -ENOENT for a 404.
 */
int lxd_get_raw(struct lxd_conn *c, const char *path, size_t max, char **ret_buf, size_t *ret_len,
		struct tw_err *err);

/* S escaped for a URL's query (malloc'd), or NULL. */
char *lxd_escape(struct lxd_conn *c, const char *s);

/* Cleanups for the two kinds of thing this API hands out. */
static inline void lxd_json_put(json_object **o)
{
	if (*o)
		json_object_put(*o);
}
#define _cleanup_json_ __attribute__((cleanup(lxd_json_put)))
static inline void lxd_closep(struct lxd_conn **c)
{
	lxd_close(*c);
}
#define _cleanup_conn_ __attribute__((cleanup(lxd_closep)))

/* A string member of OBJ, or NULL. */
const char *lxd_str(json_object *obj, const char *key);
/* KEY = VAL (a string) into OBJ: 0 or -ENOMEM. */
int lxd_add_str(json_object *obj, const char *key, const char *val);

#endif
