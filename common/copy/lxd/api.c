/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * LXD's REST API over its unix socket or HTTPS (libcurl, json-c). Trusts
 * the daemon at the socket (root-owned, found by the admin's config), and
 * over HTTPS the one whose certificate is the admin's pinned one, but not
 * the size of what either says: a response body is capped. Paths come
 * from the driver, built of names it has checked; nothing here escapes
 * them.
 */
#include "api.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "config.h"

#define URL_MAX 2048

struct lxd_conn {
	CURL *curl;
	struct lxd_place where;
	char base[LXD_HOST_MAX + 32]; /* "http://lxd" (the socket) or "https://HOST:PORT" */
	char tls_error[CURL_ERROR_SIZE];
};

struct body {
	char *buf;
	size_t len;
	bool too_big;
};

/* One request and the parts of its answer we keep. */
struct request {
	const char *method;
	const char *path;
	const char *data;
	size_t len;
	const char *const *headers;
	unsigned timeout_s;
	const char *if_match; /* an ETag the change is conditional on, or NULL */
	char *etag;           /* where the answer's ETag goes (LXD_ETAG_MAX), or NULL */
};

static void body_free(struct body *b)
{
	free(b->buf);
}
#define _cleanup_body_ __attribute__((cleanup(body_free)))

static void slist_free(struct curl_slist **l)
{
	curl_slist_free_all(*l);
}
#define _cleanup_slist_ __attribute__((cleanup(slist_free)))

/*
 * FILE, the value of KEY, checked as lxd_check_files says; SECRET: a key.
 * Whatever is wrong with it is -EINVAL: the admin's file to fix, told
 * apart from a peer that fails the pin (-EPERM).
 */
static int check_file(const char *key, const char *file, bool secret, struct tw_err *err)
{
	_cleanup_close_ int fd = -EBADF;
	struct tw_err e = { 0 };
	struct stat st;

	if (config_open_trusted(file, &fd, &e) < 0)
		return tw_err_set(err, -EINVAL, "cannot use '%s': %s", key, e.msg);
	if (fstat(fd, &st) < 0)
		return tw_err_set(err, -EINVAL, "cannot use '%s': %s: %s", key, file,
				  strerror(errno));
	if (secret && (st.st_mode & (S_IRWXG | S_IRWXO)))
		return tw_err_set(err, -EINVAL,
				  "cannot use '%s': %s is readable by group or others, and it is "
				  "what LXD trusts this host by",
				  key, file);
	return 0;
}

int lxd_check_files(const struct lxd_place *p, struct tw_err *err)
{
	int r = check_file("lxd_cert", p->cert, false, err);

	if (r >= 0)
		r = check_file("lxd_key", p->key, true, err);
	if (r >= 0)
		r = check_file("lxd_server_cert", p->server, false, err);
	return r;
}

/*
 * The connections of this process, shared by all its lxd_conns: a keeper
 * asks LXD a few questions per login (the other front doors' copies, the
 * bridge, the copy itself), each through an lxd_conn of its own, and over
 * HTTPS each would open a connection and make a TLS handshake with our
 * client certificate. curl's share keeps the open connections and the TLS
 * sessions between them; curl reuses one only for the same place and
 * files. Per process: a forked child has its parent's open connections,
 * which two processes must never both talk on, so a child makes a share
 * of its own and leaves the inherited one alone (cleaning it up would
 * close the parent's connections); its requests, on an lxd_conn of its
 * own or of its parent's, go over connections of its own. Without a
 * share each request opens a connection of its own.
 */
static CURLSH *inherited_share; /* a parent's, kept reachable and never used */

static CURLSH *process_share(void)
{
	static CURLSH *share;
	static pid_t owner;
	pid_t me = getpid();

	if (share && owner == me)
		return share;
	if (share)
		inherited_share = share;
	share = curl_share_init();
	owner = me;
	if (share && (curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) != 0 ||
		      curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != 0)) {
		curl_share_cleanup(share);
		share = NULL;
	}
	return share;
}

int lxd_open(const struct lxd_place *p, struct lxd_conn **ret, struct tw_err *err)
{
	struct lxd_conn *c;

	if (p->host[0]) {
		int r = lxd_check_files(p, err);
		if (r < 0)
			return r;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return tw_err_set(err, -ENOMEM, "out of memory");
	c->where = *p;
	if (!c->where.project[0])
		snprintf(c->where.project, sizeof(c->where.project), "default");
	if (p->host[0])
		snprintf(c->base, sizeof(c->base), "https://%s:%u", p->host, p->port);
	else
		snprintf(c->base, sizeof(c->base), "http://lxd");
	c->curl = curl_easy_init();
	if (!c->curl) {
		lxd_close(c);
		return tw_err_set(err, -ENOMEM, "cannot set up a connection to LXD");
	}
	*ret = c;
	return 0;
}

void lxd_close(struct lxd_conn *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	free(c);
}

char *lxd_escape(struct lxd_conn *c, const char *s)
{
	char *e = curl_easy_escape(c->curl, s, 0);
	char *ret = e ? strdup(e) : NULL;

	curl_free(e);
	return ret;
}

const char *lxd_str(json_object *obj, const char *key)
{
	json_object *v;

	if (!obj || !json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

int lxd_add_str(json_object *obj, const char *key, const char *val)
{
	json_object *v = json_object_new_string(val);

	if (v && json_object_object_add(obj, key, v) == 0)
		return 0;
	json_object_put(v);
	return -ENOMEM;
}

static size_t on_body(char *p, size_t size, size_t n, void *data)
{
	struct body *b = data;
	size_t add = size * n;
	char *bigger;

	if (b->len + add > LXD_RESPONSE_MAX) {
		b->too_big = true;
		return 0;
	}
	bigger = realloc(b->buf, b->len + add + 1);
	if (!bigger)
		return 0;
	b->buf = bigger;
	memcpy(b->buf + b->len, p, add);
	b->len += add;
	b->buf[b->len] = '\0';
	return add;
}

static int make_url(const struct lxd_conn *c, const char *path, char url[static URL_MAX])
{
	int n = snprintf(url, URL_MAX, "%s/1.0%s%cproject=%s", c->base, path,
			 strchr(path, '?') ? '&' : '?', c->where.project);

	return n < 0 || n >= URL_MAX ? -ENAMETOOLONG : 0;
}

static int set_headers(const struct request *q, struct curl_slist **l)
{
	char match[LXD_ETAG_MAX + 16];
	size_t i;

	*l = curl_slist_append(NULL, q->headers ? "Content-Type: application/octet-stream"
						: "Content-Type: application/json");
	if (*l && q->if_match) {
		snprintf(match, sizeof(match), "If-Match: %s", q->if_match);
		if (!curl_slist_append(*l, match))
			return -ENOMEM;
	}
	for (i = 0; *l && q->headers && q->headers[i]; i++)
		if (!curl_slist_append(*l, q->headers[i]))
			return -ENOMEM;
	return *l ? 0 : -ENOMEM;
}

/* The ETag header of an answer, for a change conditional on what was read. */
static size_t on_header(char *p, size_t size, size_t n, void *data)
{
	static const char name[] = "etag:";
	size_t len = size * n, v;
	char *etag = data;

	if (len <= sizeof(name) - 1 || strncasecmp(p, name, sizeof(name) - 1) != 0)
		return len;
	for (v = sizeof(name) - 1; v < len && (p[v] == ' ' || p[v] == '\t'); v++)
		;
	size_t end = len;
	while (end > v && (p[end - 1] == '\r' || p[end - 1] == '\n' || p[end - 1] == ' '))
		end--;
	if (end - v < LXD_ETAG_MAX) {
		memcpy(etag, p + v, end - v);
		etag[end - v] = '\0';
	}
	return len;
}

#define SET(opt, val)                                      \
	do {                                               \
		if (r == CURLE_OK)                         \
			r = curl_easy_setopt(h, opt, val); \
	} while (0)

/*
 * How C reaches LXD: its unix socket, or HTTPS with our client certificate
 * and LXD's certificate pinned. The pin: LXD's certificate is the only
 * trust anchor (CAINFO, no CA directory, so no system CA counts), and
 * the peer is verified against it; curl's partial-chain default lets that
 * self-signed leaf anchor itself, so the peer passes only by showing a
 * chain to it, that is by holding its private key. The host name check
 * is off because the pin replaces it: LXD's certificate names the member
 * it was made on, not the address in lxd_url, and a pinned certificate
 * says more than a name would. CURLOPT_PINNEDPUBLICKEY is not used: it
 * wants the public key alone, which the admin would have to cut out of
 * LXD's certificate, while CAINFO takes the certificate as LXD gives it.
 */
static CURLcode set_transport(struct lxd_conn *c)
{
	const struct lxd_place *p = &c->where;
	CURL *h = c->curl;
	CURLcode r = CURLE_OK;

	if (!p->host[0]) {
		SET(CURLOPT_UNIX_SOCKET_PATH, p->socket);
		SET(CURLOPT_PROTOCOLS_STR, "http");
		return r;
	}
	SET(CURLOPT_PROTOCOLS_STR, "https");
	SET(CURLOPT_SSLCERT, p->cert);
	SET(CURLOPT_SSLKEY, p->key);
	SET(CURLOPT_CAINFO, p->server);
	SET(CURLOPT_CAPATH, NULL);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 0L);
	SET(CURLOPT_ERRORBUFFER, c->tls_error);
	return r;
}

static int setup(struct lxd_conn *c, const struct request *q, const char *url,
		 struct curl_slist *headers, struct body *b)
{
	CURL *h = c->curl;
	CURLcode r;

	curl_easy_reset(h);
	c->tls_error[0] = '\0';
	r = set_transport(c);
	/* Asked per request: an lxd_conn used in a forked child talks over
	 * the child's connections, never its parent's. */
	CURLSH *share = process_share();
	if (share)
		SET(CURLOPT_SHARE, share);
	SET(CURLOPT_URL, url);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_CUSTOMREQUEST, q->method);
	SET(CURLOPT_HTTPHEADER, headers);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, b);
	SET(CURLOPT_TIMEOUT, (long)q->timeout_s + 10);
	if (q->etag) {
		q->etag[0] = '\0';
		SET(CURLOPT_HEADERFUNCTION, on_header);
		SET(CURLOPT_HEADERDATA, q->etag);
	}
	if (q->data) {
		SET(CURLOPT_POSTFIELDS, q->data);
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->len);
	}
	return r == CURLE_OK ? 0 : -EINVAL;
}
#undef SET

/* What a failed transfer means, for the admin or the user: CR and its detail. */
static int transfer_error(struct lxd_conn *c, const struct request *q, CURLcode cr,
			  struct tw_err *err)
{
	const char *why = c->tls_error[0] ? c->tls_error : curl_easy_strerror(cr);

	switch (cr) {
	case CURLE_COULDNT_CONNECT:
		return tw_err_set(err, -ECONNREFUSED, "LXD is not reachable at '%s'", lxd_where(c));
	case CURLE_PEER_FAILED_VERIFICATION:
		return tw_err_set(err, -EPERM,
				  "LXD at '%s' does not show the certificate pinned in "
				  "'lxd_server_cert' (%s)",
				  lxd_where(c), why);
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
		return tw_err_set(err, -EINVAL, "cannot use the certificate files for '%s': %s",
				  lxd_where(c), why);
	default:
		return tw_err_set(err, -EIO, "LXD request %s %s failed: %s", q->method, q->path,
				  why);
	}
}

/* The request sent; its body into *b (the caller's to free), its HTTP status into *ret_status. */
static int transfer(struct lxd_conn *c, const struct request *q, struct body *b, long *ret_status,
		    struct tw_err *err)
{
	_cleanup_slist_ struct curl_slist *headers = NULL;
	char url[URL_MAX];
	CURLcode cr;

	if (make_url(c, q->path, url) < 0)
		return tw_err_set(err, -ENAMETOOLONG, "LXD request path too long");
	if (set_headers(q, &headers) < 0 || setup(c, q, url, headers, b) < 0)
		return tw_err_set(err, -ENOMEM, "cannot set up an LXD request");
	cr = curl_easy_perform(c->curl);
	if (b->too_big)
		return tw_err_set(err, -EFBIG, "LXD's answer to %s %s is larger than %d bytes",
				  q->method, q->path, LXD_RESPONSE_MAX);
	if (cr != CURLE_OK)
		return transfer_error(c, q, cr, err);
	*ret_status = 0;
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, ret_status);
	return 0;
}

/* The request sent, its answer parsed into *ret. */
static int perform(struct lxd_conn *c, const struct request *q, json_object **ret,
		   struct tw_err *err)
{
	_cleanup_body_ struct body b = { 0 };
	long status = 0;

	int r = transfer(c, q, &b, &status, err);
	if (r < 0)
		return r;
	*ret = b.buf ? json_tokener_parse(b.buf) : NULL;
	if (!*ret)
		return tw_err_set(err, -EIO, "LXD's answer to %s %s is not JSON", q->method,
				  q->path);
	return 0;
}

static int64_t int_of(json_object *obj, const char *key)
{
	json_object *v;

	if (!obj || !json_object_object_get_ex(obj, key, &v))
		return 0;
	return json_object_get_int64(v);
}

/* The metadata of a sync answer, the operation of an async one; errors. */
static int answer(json_object *resp, const char *what, json_object **ret_meta, const char **ret_op,
		  struct tw_err *err)
{
	const char *type = lxd_str(resp, "type");
	json_object *meta = NULL;

	if (type && strcmp(type, "error") == 0) {
		int64_t status = int_of(resp, "error_code");
		int code = status == 404   ? -ENOENT
			   : status == 403 ? -EACCES
			   : status == 412 ? -ESTALE
					   : -EIO;
		const char *msg = lxd_str(resp, "error");
		return tw_err_set(err, code, "LXD refused %s: %s", what, msg ? msg : "no reason");
	}
	if (!type || (strcmp(type, "sync") != 0 && strcmp(type, "async") != 0))
		return tw_err_set(err, -EIO, "LXD's answer to %s has no type", what);
	*ret_op = strcmp(type, "async") == 0 ? lxd_str(resp, "operation") : NULL;
	if (json_object_object_get_ex(resp, "metadata", &meta) && meta)
		json_object_get(meta);
	*ret_meta = meta;
	return 0;
}

/* Wait for operation OP (its path, "/1.0/operations/ID"); its metadata into *ret. */
static uint64_t now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

/* One wait of up to TIMEOUT_S on OP: its state into *ret (Running or done). */
static int wait_once(struct lxd_conn *c, const char *op, const char *what, unsigned timeout_s,
		     json_object **ret, struct tw_err *err)
{
	_cleanup_json_ json_object *resp = NULL;
	const char *next = NULL;
	char path[URL_MAX];

	if (strncmp(op, "/1.0", 4) != 0 ||
	    snprintf(path, sizeof(path), "%s/wait?timeout=%u", op + 4, timeout_s) >= URL_MAX)
		return tw_err_set(err, -EIO, "LXD gave a strange operation for %s", what);
	struct request q = { .method = "GET", .path = path, .timeout_s = timeout_s };
	int r = perform(c, &q, &resp, err);
	return r < 0 ? r : answer(resp, what, ret, &next, err);
}

/*
 * Until OP has ended or TIMEOUT_S have passed. LXD may answer a wait
 * before its timeout with the operation still running: asked again then.
 */
static int wait_operation(struct lxd_conn *c, const char *op, const char *what, unsigned timeout_s,
			  json_object **ret, struct tw_err *err)
{
	uint64_t start = now_s(), left = timeout_s;
	_cleanup_json_ json_object *meta = NULL;
	int64_t code = 0;

	for (;;) {
		lxd_json_put(&meta);
		meta = NULL;
		int r = wait_once(c, op, what, (unsigned)(left ? left : 1), &meta, err);
		if (r < 0)
			return r;
		code = int_of(meta, "status_code");
		uint64_t spent = now_s() - start;
		if (code >= 200 || spent >= timeout_s)
			break;
		left = timeout_s - spent;
		usleep(50 * 1000); /* an early answer must not make this a busy loop */
	}
	if (code != 200) {
		const char *msg = lxd_str(meta, "err");
		if (code < 200)
			return tw_err_set(err, -ETIMEDOUT, "LXD did not finish %s in %u s", what,
					  timeout_s);
		return tw_err_set(err, -EIO, "LXD failed at %s: %s", what,
				  msg && *msg ? msg : lxd_str(meta, "status"));
	}
	if (ret)
		*ret = TAKE_PTR(meta);
	return 0;
}

int lxd_wait(struct lxd_conn *c, const char *op, unsigned timeout_s, json_object **ret,
	     struct tw_err *err)
{
	return wait_operation(c, op, "running the program", timeout_s, ret, err);
}

/* Q sent and answered: the metadata, and the operation it started (or NULL). */
static int send_request(struct lxd_conn *c, const struct request *q, json_object **ret_meta,
			char **ret_op, struct tw_err *err)
{
	_cleanup_json_ json_object *resp = NULL, *meta = NULL;
	const char *op = NULL;
	char what[256];

	snprintf(what, sizeof(what), "%s %s", q->method, q->path);
	int r = perform(c, q, &resp, err);
	if (r >= 0)
		r = answer(resp, what, &meta, &op, err);
	if (r < 0)
		return r;
	/* A member that forwards a request to another member answers with the
	 * operation's path and a query (?project=...): the path alone, which
	 * "/websocket" and "/wait" are added to. */
	*ret_op = op ? strndup(op, strcspn(op, "?")) : NULL;
	if (op && !*ret_op)
		return tw_err_set(err, -ENOMEM, "out of memory");
	*ret_meta = TAKE_PTR(meta);
	return 0;
}

static int call(struct lxd_conn *c, const struct request *q, json_object **ret, struct tw_err *err)
{
	_cleanup_json_ json_object *meta = NULL, *done = NULL;
	_cleanup_free_ char *op = NULL;
	char what[256];

	snprintf(what, sizeof(what), "%s %s", q->method, q->path);
	int r = send_request(c, q, &meta, &op, err);
	if (r >= 0 && op)
		r = wait_operation(c, op, what, q->timeout_s, &done, err);
	if (r < 0)
		return r;
	if (ret)
		*ret = op ? TAKE_PTR(done) : TAKE_PTR(meta);
	return 0;
}

static int body_request(const char *method, const char *path, json_object *body, unsigned timeout_s,
			struct request *ret)
{
	const char *data =
		body ? json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN) : NULL;

	if (body && !data)
		return -ENOMEM;
	*ret = (struct request){ .method = method,
				 .path = path,
				 .data = data,
				 .len = data ? strlen(data) : 0,
				 .timeout_s = timeout_s };
	return 0;
}

int lxd_call_async(struct lxd_conn *c, const char *method, const char *path, json_object *body,
		   char **ret_op, json_object **ret, struct tw_err *err)
{
	_cleanup_json_ json_object *meta = NULL;
	_cleanup_free_ char *op = NULL;
	json_object *inner = NULL;
	struct request q;

	if (body_request(method, path, body, 30, &q) < 0)
		return tw_err_set(err, -ENOMEM, "out of memory");
	int r = send_request(c, &q, &meta, &op, err);
	if (r < 0)
		return r;
	if (!op)
		return tw_err_set(err, -EPROTO, "LXD started no operation for %s %s", method, path);
	if (json_object_object_get_ex(meta, "metadata", &inner) && inner)
		json_object_get(inner);
	*ret_op = TAKE_PTR(op);
	*ret = inner;
	return 0;
}

const struct lxd_place *lxd_place_of(const struct lxd_conn *c)
{
	return &c->where;
}

const char *lxd_where(const struct lxd_conn *c)
{
	return c->where.host[0] ? c->base : c->where.socket;
}

int lxd_check_trust(struct lxd_conn *c, json_object **ret, struct tw_err *err)
{
	_cleanup_json_ json_object *server = NULL;

	int r = lxd_call(c, "GET", "", NULL, 10, &server, err);
	if (r < 0)
		return r;
	const char *auth = lxd_str(server, "auth");
	if (!auth || strcmp(auth, "trusted") != 0)
		return tw_err_set(err, -EACCES,
				  "LXD at '%s' does not trust this host's certificate (auth: %s)",
				  lxd_where(c), auth ? auth : "none");
	if (ret)
		*ret = TAKE_PTR(server);
	return 0;
}

int lxd_call(struct lxd_conn *c, const char *method, const char *path, json_object *body,
	     unsigned timeout_s, json_object **ret, struct tw_err *err)
{
	struct request q;

	if (body_request(method, path, body, timeout_s, &q) < 0)
		return tw_err_set(err, -ENOMEM, "out of memory");
	return call(c, &q, ret, err);
}

int lxd_get_tagged(struct lxd_conn *c, const char *path, json_object **ret, char etag[LXD_ETAG_MAX],
		   struct tw_err *err)
{
	struct request q = { .method = "GET", .path = path, .timeout_s = 10, .etag = etag };

	return call(c, &q, ret, err);
}

int lxd_call_if(struct lxd_conn *c, const char *method, const char *path, json_object *body,
		const char *etag, struct tw_err *err)
{
	struct request q;

	if (body_request(method, path, body, 10, &q) < 0)
		return tw_err_set(err, -ENOMEM, "out of memory");
	q.if_match = etag;
	return call(c, &q, NULL, err);
}

int lxd_call_raw(struct lxd_conn *c, const char *method, const char *path, const char *data,
		 size_t len, const char *const *headers, struct tw_err *err)
{
	static const char *const none[] = { NULL };
	struct request q = { .method = method,
			     .path = path,
			     .data = data ? data : "",
			     .len = len,
			     .headers = headers ? headers : none,
			     .timeout_s = 30 };

	return call(c, &q, NULL, err);
}

int lxd_get_raw(struct lxd_conn *c, const char *path, size_t max, char **ret_buf, size_t *ret_len,
		struct tw_err *err)
{
	_cleanup_body_ struct body b = { 0 };
	struct request q = { .method = "GET", .path = path, .timeout_s = 30 };
	long status = 0;

	int r = transfer(c, &q, &b, &status, err);
	if (r < 0)
		return r;
	if (status == 404)
		return tw_err_set(err, -ENOENT, "LXD has no %s", path);
	if (status != 200)
		return tw_err_set(err, -EIO, "LXD answered GET %s with %ld", path, status);
	if (b.len > max)
		return tw_err_set(err, -EFBIG, "%s is larger than %zu bytes", path, max);
	*ret_len = b.len;
	*ret_buf = b.buf ? TAKE_PTR(b.buf) : strdup("");
	return *ret_buf ? 0 : tw_err_set(err, -ENOMEM, "out of memory");
}

/* Does operation OP (its JSON) act on instance NAME? Its resources say. */
static bool acts_on(json_object *op, const char *name)
{
	json_object *res = NULL, *list = NULL;
	char want[300];

	if (!json_object_object_get_ex(op, "resources", &res) ||
	    !json_object_object_get_ex(res, "instances", &list) ||
	    !json_object_is_type(list, json_type_array))
		return false;
	int n = snprintf(want, sizeof(want), "/1.0/instances/%s", name);
	for (size_t i = 0; n > 0 && i < json_object_array_length(list); i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(list, i));
		if (s && strncmp(s, want, (size_t)n) == 0 && (s[n] == '\0' || s[n] == '?'))
			return true;
	}
	return false;
}

int lxd_settle(struct lxd_conn *c, const char *name, unsigned timeout_s)
{
	_cleanup_json_ json_object *ops = NULL;
	json_object *running = NULL;
	char op[300];

	int r = lxd_call(c, "GET", "/operations?recursion=1", NULL, 5, &ops, NULL);
	if (r < 0 || !json_object_object_get_ex(ops, "running", &running) ||
	    !json_object_is_type(running, json_type_array))
		return r < 0 ? r : 0;
	for (size_t i = 0; i < json_object_array_length(running); i++) {
		json_object *o = json_object_array_get_idx(running, i);
		const char *cls = lxd_str(o, "class"), *id = lxd_str(o, "id");
		if (!cls || strcmp(cls, "task") != 0 || !id || !acts_on(o, name))
			continue;
		snprintf(op, sizeof(op), "/1.0/operations/%s", id);
		wait_operation(c, op, "settling the copy", timeout_s, NULL, NULL);
	}
	return 0;
}
