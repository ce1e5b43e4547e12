/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "share.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "marks.h"
#include "names.h"

/* A change another front door made first is read again, this many times. */
#define SHARE_TRIES 20
#define PATH_SIZE 512

struct holder {
	char door[HOST_NAME_MAX + 1];
	char session[NAMES_SESSION_LEN + 1];
};

/* The word of N bytes at W as DOOR/SESSION; false when it is not one. */
static bool holder_parse(const char *w, size_t n, struct holder *h)
{
	const char *slash = memchr(w, '/', n);
	size_t d = slash ? (size_t)(slash - w) : 0;

	if (!slash || d == 0 || d > HOST_NAME_MAX || n - d - 1 > NAMES_SESSION_LEN)
		return false;
	memcpy(h->door, w, d);
	h->door[d] = '\0';
	memcpy(h->session, slash + 1, n - d - 1);
	h->session[n - d - 1] = '\0';
	return strspn(h->door,
		      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") == d &&
	       names_session_valid(h->session);
}

/* FN for each DOOR/SESSION of HOLDERS; FN < 0 stops. */
static int holders_foreach(const char *holders, int (*fn)(const struct holder *h, void *data),
			   void *data)
{
	struct holder h;

	for (const char *p = holders; *p;) {
		p += strspn(p, " ");
		size_t n = strcspn(p, " ");
		if (n && holder_parse(p, n, &h)) {
			int r = fn(&h, data);
			if (r < 0)
				return r;
		}
		p += n;
	}
	return 0;
}

struct joined {
	char *out;
	size_t len, used, n;
	const struct holder *find;
	bool (*gone)(const char *door, const char *session, void *data);
	void *data;
};

static int append(struct joined *j, const struct holder *h)
{
	int n = snprintf(j->out + j->used, j->len - j->used, "%s%s/%s", j->used ? " " : "", h->door,
			 h->session);

	if (n < 0 || (size_t)n >= j->len - j->used)
		return -ENOSPC;
	j->used += (size_t)n;
	j->n++;
	return 0;
}

static int keep_one(const struct holder *h, void *data)
{
	struct joined *j = data;

	if (j->find && strcmp(h->door, j->find->door) == 0 &&
	    strcmp(h->session, j->find->session) == 0)
		return -EEXIST;
	if (j->gone && j->gone(h->door, h->session, j->data))
		return 0;
	return append(j, h);
}

int lxd_holders_add(const char *holders, const char *door, const char *session, char *out,
		    size_t len)
{
	struct holder h;
	struct joined j = { .out = out, .len = len, .find = &h };
	char word[sizeof(h.door) + sizeof(h.session) + 1];

	int n = snprintf(word, sizeof(word), "%s/%s", door, session);
	if (n < 0 || (size_t)n >= sizeof(word) || !holder_parse(word, (size_t)n, &h) || len == 0)
		return -EINVAL;
	out[0] = '\0';
	int r = holders_foreach(holders, keep_one, &j);
	return r < 0 ? r : append(&j, &h);
}

size_t lxd_holders_keep(const char *holders,
			bool (*gone)(const char *door, const char *session, void *data), void *data,
			char *out, size_t len)
{
	struct joined j = { .out = out, .len = len, .gone = gone, .data = data };

	if (len)
		out[0] = '\0';
	/* It only shortens the list: it fits where the list did. */
	holders_foreach(holders, keep_one, &j);
	return j.n;
}

bool lxd_share_joinable(const char *share)
{
	return strcmp(share, "starting") == 0 || strcmp(share, "user") == 0;
}

struct finding {
	const char *user;
	char *name;
	size_t len;
	bool found;
};

static int find_one(const struct lxd_mark *m, void *data)
{
	struct finding *f = data;

	/* Being started by its maker, or running: joined; anything else is on its way out. */
	bool starting = strcmp(m->share, "starting") == 0;
	bool running = strcmp(m->share, "user") == 0 && strcmp(m->status, "Running") == 0;
	if (strcmp(m->user, f->user) != 0 || !(starting || running) || strlen(m->name) >= f->len)
		return 0;
	memcpy(f->name, m->name, strlen(m->name) + 1);
	f->found = true;
	return -ECANCELED;
}

int lxd_share_find(struct lxd_conn *c, const char *user, char *ret_name, size_t len)
{
	struct finding f = { .user = user, .name = ret_name, .len = len };

	int r = lxd_marks_foreach(c, LXD_DOORS_ALL, NULL, find_one, &f);
	if (f.found)
		return 0;
	return r < 0 ? r : -ENOENT;
}

static const char *config_str(json_object *inst, const char *key)
{
	json_object *config = NULL;
	const char *v =
		json_object_object_get_ex(inst, "config", &config) ? lxd_str(config, key) : NULL;

	return v ? v : "";
}

/* PATCH NAME's config with KEY=VALUE pairs (NULL-ended), if it still has ETAG. */
static int patch_if(struct lxd_conn *c, const char *name, const char *etag, const char *const *kv,
		    struct tw_err *err)
{
	_cleanup_json_ json_object *body = json_object_new_object();
	json_object *config = json_object_new_object();
	char path[PATH_SIZE];

	if (!body || !config || json_object_object_add(body, "config", config) != 0) {
		if (config)
			json_object_put(config);
		return -ENOMEM;
	}
	for (size_t i = 0; kv[i]; i += 2)
		if (json_object_object_add(config, kv[i], json_object_new_string(kv[i + 1])) != 0)
			return -ENOMEM;
	snprintf(path, sizeof(path), "/instances/%s", name);
	return lxd_call_if(c, "PATCH", path, body, etag, err);
}

/*
 * A change of NAME's config that holds only if nothing changed it since it
 * was read: FN judges the instance it was given and says what to set (KEY,
 * VALUE pairs into kv, NULL-ended) with 1, nothing to do with 0, or an
 * error; tried again while another change came first.
 */
#define CHANGE_KV_MAX 5
static int change_if(struct lxd_conn *c, const char *name,
		     int (*fn)(json_object *inst, const char **kv, void *data), void *data,
		     struct tw_err *err)
{
	char path[PATH_SIZE];
	int r = -EAGAIN;

	if (!names_container_valid(name))
		return tw_err_set(err, -EINVAL, "bad copy name '%s'", name);
	snprintf(path, sizeof(path), "/instances/%s", name);
	for (int i = 0; i < SHARE_TRIES && r == -EAGAIN; i++) {
		_cleanup_json_ json_object *inst = NULL;
		const char *kv[CHANGE_KV_MAX] = { NULL };
		char etag[LXD_ETAG_MAX];
		r = lxd_get_tagged(c, path, &inst, etag, err);
		if (r >= 0)
			r = fn(inst, kv, data);
		if (r > 0 && (r = patch_if(c, name, etag, kv, err)) == -ESTALE)
			r = -EAGAIN;
	}
	if (r == -EAGAIN)
		return tw_err_set(err, -EBUSY, "the shared copy '%s' changed %d times in a row",
				  name, SHARE_TRIES);
	return r;
}

struct joining {
	const char *name, *user, *session;
	char holders[LXD_HOLDERS_MAX];
	struct tw_err *err;
};

static int join_change(json_object *inst, const char **kv, void *data)
{
	struct joining *j = data;
	char door[HOST_NAME_MAX + 1];
	const char *share = config_str(inst, "user.throwaway.share");

	if (strcmp(config_str(inst, "user.throwaway.user"), j->user) != 0 || !*share)
		return tw_err_set(j->err, -EPERM, "'%s' is not a copy of yours that is shared",
				  j->name);
	if (!lxd_share_joinable(share))
		return tw_err_set(j->err, -ESTALE, "the shared copy '%s' is stopping", j->name);
	lxd_front_door(door);
	int r = lxd_holders_add(config_str(inst, "user.throwaway.holders"), door, j->session,
				j->holders, sizeof(j->holders));
	if (r == -EEXIST)
		return 0;
	if (r < 0)
		return tw_err_set(j->err, r, "the shared copy '%s' has too many sessions", j->name);
	kv[0] = "user.throwaway.holders";
	kv[1] = j->holders;
	return 1;
}

int lxd_share_join(struct lxd_conn *c, const char *name, const char *user, const char *session,
		   struct tw_err *err)
{
	struct joining j = { .name = name, .user = user, .session = session, .err = err };

	int r = change_if(c, name, join_change, &j, err);
	if (r == -ENOENT)
		return tw_err_set(err, -ESTALE, "the shared copy '%s' is gone", name);
	return r < 0 ? r : 0;
}

static int started_change(json_object *inst, const char **kv, void *data)
{
	(void)data;
	if (strcmp(config_str(inst, "user.throwaway.share"), "starting") != 0)
		return 0;
	kv[0] = "user.throwaway.share";
	kv[1] = "user";
	return 1;
}

int lxd_share_started(struct lxd_conn *c, const char *name)
{
	int r = change_if(c, name, started_change, NULL, NULL);

	return r < 0 ? r : 0;
}

struct releasing {
	bool (*gone)(const char *door, const char *session, void *data);
	void *data;
	enum lxd_release how;
	char kept[LXD_HOLDERS_MAX];
};

static int release_change(json_object *inst, const char **kv, void *data)
{
	struct releasing *l = data;
	const char *share = config_str(inst, "user.throwaway.share");
	const char *holders = config_str(inst, "user.throwaway.holders");

	l->how = !*share                      ? LXD_RELEASE_UNSHARED
		 : !lxd_share_joinable(share) ? LXD_RELEASE_LAST
					      : LXD_RELEASE_HELD;
	if (l->how != LXD_RELEASE_HELD)
		return 0;
	size_t n = lxd_holders_keep(holders, l->gone, l->data, l->kept, sizeof(l->kept));
	if (n && strcmp(l->kept, holders) == 0)
		return 0;
	kv[0] = "user.throwaway.holders";
	kv[1] = l->kept;
	/* The last one out marks it, so that no join comes after. */
	if (!n) {
		kv[2] = "user.throwaway.share";
		kv[3] = "stopping";
		l->how = LXD_RELEASE_LAST;
	}
	return 1;
}

int lxd_share_release(struct lxd_conn *c, const char *name,
		      bool (*gone)(const char *door, const char *session, void *data), void *data,
		      enum lxd_release *ret)
{
	struct releasing l = { .gone = gone, .data = data };

	int r = change_if(c, name, release_change, &l, NULL);
	*ret = l.how;
	return r < 0 ? r : 0;
}
