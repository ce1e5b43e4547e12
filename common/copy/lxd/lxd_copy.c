/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The lxd driver: each copy an ephemeral LXD instance made from the
 * origin (an image alias, else an instance, of the cluster), placed by
 * LXD, marked with user.throwaway.* keys so that list finds ours. A place
 * is LXD's socket, with "#PROJECT" when the copies are in another
 * project than "default". Through LXD's REST API (api.c) only.
 *
 * Not built yet: a terminal for a program inside, the copy's end as an
 * fd, usage and the pool. Those operations say
 * -EOPNOTSUPP; the driver is not in copy.c's list until they are built.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "cleanup.h"
#include "copy.h"
#include "exec.h"
#include "lxd_driver.h"
#include "names.h"
#include "util.h"

#define PATH_SIZE 512
#define GONE_WAIT_MS 10000 /* how long stop waits for LXD to delete the instance */

struct lxd_copy {
	struct copy base;
	struct copy_spec spec;
	struct lxd_conn *conn;
	bool from_image; /* the origin is an image alias, not an instance */
	bool made;
};

static struct lxd_copy *lxd_of(struct copy *c)
{
	return (struct lxd_copy *)c;
}

/* PLACE is "SOCKET" or "SOCKET#PROJECT". */
static int place_open(const char *place, struct lxd_conn **ret, struct tw_err *err)
{
	const char *hash = strchr(place, '#');
	char socket[PATH_MAX];

	if (snprintf(socket, sizeof(socket), "%.*s", hash ? (int)(hash - place) : PATH_MAX,
		     place) >= (int)sizeof(socket))
		return tw_err_set(err, -ENAMETOOLONG, "LXD socket path too long");
	return lxd_open(socket, hash ? hash + 1 : NULL, ret, err);
}

/* The origin: an image alias, else an instance; -ENOENT with err if neither. */
static int find_origin(struct lxd_conn *c, const char *origin, bool *ret_image, struct tw_err *err)
{
	char path[PATH_SIZE];

	snprintf(path, sizeof(path), "/images/aliases/%s", origin);
	int r = lxd_call(c, "GET", path, NULL, 10, NULL, err);
	if (r != -ENOENT) {
		*ret_image = true;
		return r;
	}
	snprintf(path, sizeof(path), "/instances/%s", origin);
	r = lxd_call(c, "GET", path, NULL, 10, NULL, err);
	if (r == -ENOENT)
		return tw_err_set(
			err, -ENOENT,
			"the origin '%s' is neither an image alias nor an instance in LXD", origin);
	*ret_image = false;
	return r;
}

static int lxd_prepare(const struct copy_spec *s, struct copy **ret, struct tw_err *err)
{
	struct lxd_copy *l = calloc(1, sizeof(*l));

	if (!l)
		return tw_err_set(err, -ENOMEM, "out of memory");
	l->base.drv = &copy_driver_lxd;
	l->spec = *s;
	int r = lxd_open(s->cfg->lxd_socket, s->cfg->lxd_project, &l->conn, err);
	if (r >= 0)
		r = find_origin(l->conn, s->cfg->origin, &l->from_image, err);
	if (r < 0) {
		lxd_close(l->conn);
		free(l);
		return r;
	}
	*ret = &l->base;
	return 0;
}

static void lxd_free(struct copy *c)
{
	struct lxd_copy *l = lxd_of(c);

	lxd_close(l->conn);
	free(l);
}

static int add_str(json_object *o, const char *key, const char *val)
{
	json_object *v = json_object_new_string(val);

	return v && json_object_object_add(o, key, v) == 0 ? 0 : -ENOMEM;
}

/* VAL in decimal, then SUFFIX ("" or a unit). */
static int add_u64(json_object *o, const char *key, uint64_t val, const char *suffix)
{
	char buf[48];

	snprintf(buf, sizeof(buf), "%llu%s", (unsigned long long)val, suffix);
	return add_str(o, key, buf);
}

/*
 * The user's own uid and gid passed through the instance's otherwise
 * isolated map, so that the home keeps its ownership both ways (as the
 * lxc driver's map does). LXD wants root allowed these ids in
 * /etc/subuid and /etc/subgid (throwawayctl setup-ids gives root:1000:59000).
 */
static int add_idmap(json_object *o, const struct copy_spec *s)
{
	char map[64];

	if (!s->user)
		return 0; /* a copy made ahead of its user (the pool) has no one to pass */
	snprintf(map, sizeof(map), "uid %u %u\ngid %u %u", (unsigned)s->uid, (unsigned)s->uid,
		 (unsigned)s->gid, (unsigned)s->gid);
	return add_str(o, "raw.idmap", map);
}

/* The hardening and limits as LXD config, and our marks. */
static json_object *instance_config(const struct copy_spec *s)
{
	const struct config *cfg = s->cfg;
	json_object *o = json_object_new_object();
	char host[256] = "";
	int r = o ? 0 : -ENOMEM;

	gethostname(host, sizeof(host) - 1);
	if (r >= 0)
		r = add_u64(o, "limits.processes", cfg->pids_max, "");
	if (r >= 0)
		r = add_u64(o, "limits.memory", cfg->memory_max, "");
	if (r >= 0)
		r = add_u64(o, "limits.cpu.allowance", cfg->cpu_weight, "%");
	if (r >= 0)
		r = add_str(o, "security.idmap.isolated", "true");
	if (r >= 0)
		r = add_idmap(o, s);
	if (r >= 0)
		r = add_str(o, "security.privileged", "false");
	if (r >= 0)
		r = add_str(o, "security.nesting", "false");
	if (r >= 0)
		r = add_str(o, "user.throwaway.session", s->session);
	if (r >= 0)
		r = add_str(o, "user.throwaway.user", s->user ? s->user : "");
	if (r >= 0)
		r = add_str(o, "user.throwaway.host", host);
	if (r < 0 && o) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

/* The home, where every member mounts it, as a disk device. */
static json_object *instance_devices(const struct copy_spec *s)
{
	json_object *d = json_object_new_object(), *home = json_object_new_object();
	int r = d && home ? 0 : -ENOMEM;

	if (r >= 0 && s->cfg->bind_home && s->home) {
		r = add_str(home, "type", "disk");
		if (r >= 0)
			r = add_str(home, "source", s->home);
		if (r >= 0)
			r = add_str(home, "path", s->home);
		if (r >= 0 && json_object_object_add(d, "home", home) == 0)
			home = NULL;
	}
	if (home)
		json_object_put(home);
	if (r < 0 && d) {
		json_object_put(d);
		d = NULL;
	}
	return d;
}

static json_object *instance_source(const struct lxd_copy *l)
{
	json_object *src = json_object_new_object();

	if (src && (add_str(src, "type", l->from_image ? "image" : "copy") < 0 ||
		    add_str(src, l->from_image ? "alias" : "source", l->spec.cfg->origin) < 0)) {
		json_object_put(src);
		src = NULL;
	}
	return src;
}

static json_object *instance_body(const struct lxd_copy *l)
{
	json_object *b = json_object_new_object();
	json_object *parts[] = { instance_source(l), instance_config(&l->spec),
				 instance_devices(&l->spec) };
	static const char *const names[] = { "source", "config", "devices" };
	int r = b && add_str(b, "name", l->spec.name) >= 0 && add_str(b, "type", "container") >= 0
			? 0
			: -ENOMEM;

	if (r >= 0 && json_object_object_add(b, "ephemeral", json_object_new_boolean(1)) != 0)
		r = -ENOMEM;
	for (size_t i = 0; i < ELEMENTSOF(parts); i++) {
		if (r >= 0 && parts[i] && json_object_object_add(b, names[i], parts[i]) == 0)
			parts[i] = NULL;
		else
			r = -ENOMEM;
		if (parts[i])
			json_object_put(parts[i]);
	}
	if (r < 0 && b) {
		json_object_put(b);
		b = NULL;
	}
	return b;
}

static int lxd_make(struct copy *c, struct tw_err *err)
{
	struct lxd_copy *l = lxd_of(c);
	_cleanup_json_ json_object *body = NULL;
	_cleanup_free_ char *target = NULL;
	char path[PATH_SIZE] = "/instances";

	if (!names_container_valid(l->spec.name))
		return tw_err_set(err, -EINVAL, "bad copy name '%s'", l->spec.name);
	body = instance_body(l);
	if (!body)
		return tw_err_set(err, -ENOMEM, "out of memory");
	if (l->spec.cfg->lxd_target) {
		target = lxd_escape(l->conn, l->spec.cfg->lxd_target);
		if (!target)
			return tw_err_set(err, -ENOMEM, "out of memory");
		snprintf(path, sizeof(path), "/instances?target=%s", target);
	}
	int r = lxd_call(l->conn, "POST", path, body, (unsigned)l->spec.cfg->start_timeout, NULL,
			 err);
	if (r < 0)
		return tw_err_wrap(err, "cannot make the copy '%s'", l->spec.name);
	l->made = true;
	return 0;
}

/* ACTION ("start", "stop") on instance NAME; stop is forced. */
static int change_state(struct lxd_conn *conn, const char *name, const char *action,
			unsigned timeout_s, struct tw_err *err)
{
	_cleanup_json_ json_object *body = json_object_new_object();
	char path[PATH_SIZE];

	if (!body || add_str(body, "action", action) < 0 ||
	    json_object_object_add(body, "timeout", json_object_new_int((int)timeout_s)) != 0 ||
	    json_object_object_add(body, "force", json_object_new_boolean(1)) != 0)
		return tw_err_set(err, -ENOMEM, "out of memory");
	snprintf(path, sizeof(path), "/instances/%s/state", name);
	return lxd_call(conn, "PUT", path, body, timeout_s, NULL, err);
}

static int lxd_start(struct copy *c, unsigned timeout_ms, struct tw_err *err)
{
	struct lxd_copy *l = lxd_of(c);
	unsigned s = timeout_ms / 1000 ? timeout_ms / 1000 : 1;

	int r = change_state(l->conn, l->spec.name, "start", s, err);
	return r < 0 ? tw_err_wrap(err, "cannot start the copy '%s'", l->spec.name) : 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Until LXD no longer has instance NAME: 0, or -ETIMEDOUT. */
static int wait_gone(struct lxd_conn *conn, const char *name)
{
	uint64_t deadline = now_ms() + GONE_WAIT_MS;
	char path[PATH_SIZE];

	snprintf(path, sizeof(path), "/instances/%s", name);
	while (lxd_call(conn, "GET", path, NULL, 5, NULL, NULL) != -ENOENT) {
		if (now_ms() >= deadline)
			return -ETIMEDOUT;
		usleep(20 * 1000);
	}
	return 0;
}

/* Stopped (LXD then deletes an ephemeral instance), else deleted; gone either way. */
static int destroy_on(struct lxd_conn *conn, const char *name)
{
	char path[PATH_SIZE];

	if (!names_container_valid(name))
		return -EINVAL;
	change_state(conn, name, "stop", 10, NULL);
	snprintf(path, sizeof(path), "/instances/%s", name);
	int r = lxd_call(conn, "DELETE", path, NULL, 30, NULL, NULL);
	if (r < 0 && r != -ENOENT && wait_gone(conn, name) < 0)
		return r;
	return wait_gone(conn, name);
}

static int lxd_stop(struct copy *c)
{
	struct lxd_copy *l = lxd_of(c);

	if (!l->made)
		return 0;
	l->made = false;
	return destroy_on(l->conn, l->spec.name);
}

static int lxd_kill(struct copy *c)
{
	(void)c;
	return 0; /* stop forces it */
}

static int lxd_destroy(const char *place, const char *name)
{
	_cleanup_conn_ struct lxd_conn *conn = NULL;
	int r = place_open(place, &conn, NULL);

	return r < 0 ? r : destroy_on(conn, name);
}

static bool lxd_running(const char *place, const char *name)
{
	_cleanup_conn_ struct lxd_conn *conn = NULL;
	_cleanup_json_ json_object *state = NULL;
	char path[PATH_SIZE];

	if (!names_container_valid(name) || place_open(place, &conn, NULL) < 0)
		return false;
	snprintf(path, sizeof(path), "/instances/%s/state", name);
	if (lxd_call(conn, "GET", path, NULL, 5, &state, NULL) < 0)
		return false;
	const char *status = lxd_str(state, "status");
	return status && strcmp(status, "Running") == 0;
}

/* Each instance of PLACE that carries our session mark. */
static int lxd_list(const char *place, int (*fn)(const struct copy_found *f, void *data),
		    void *data)
{
	_cleanup_conn_ struct lxd_conn *conn = NULL;
	_cleanup_json_ json_object *all = NULL;
	json_object *config;
	int r = place_open(place, &conn, NULL);

	if (r >= 0)
		r = lxd_call(conn, "GET", "/instances?recursion=1", NULL, 10, &all, NULL);
	if (r < 0)
		return r;
	if (!json_object_is_type(all, json_type_array))
		return -EIO;
	for (size_t i = 0; i < json_object_array_length(all); i++) {
		json_object *inst = json_object_array_get_idx(all, i);
		if (!json_object_object_get_ex(inst, "config", &config))
			continue;
		struct copy_found f = { lxd_str(inst, "name"),
					lxd_str(config, "user.throwaway.session") };
		if (!f.name || !f.session || !names_session_valid(f.session))
			continue;
		r = fn(&f, data);
		if (r < 0)
			return r;
	}
	return 0;
}

/* One file or directory through LXD's files API, with its owner and mode. */
static int push_file(struct lxd_copy *l, const struct copy_file *f)
{
	char path[PATH_SIZE], uid[32], gid[32], mode[32];
	_cleanup_free_ char *esc = lxd_escape(l->conn, f->path);

	if (!esc || f->path[0] != '/')
		return -EINVAL;
	snprintf(path, sizeof(path), "/instances/%s/files?path=%s", l->spec.name, esc);
	snprintf(uid, sizeof(uid), "X-LXD-uid: %u", (unsigned)f->uid);
	snprintf(gid, sizeof(gid), "X-LXD-gid: %u", (unsigned)f->gid);
	snprintf(mode, sizeof(mode), "X-LXD-mode: %04o", (unsigned)(f->mode & 07777));
	const char *const headers[] = { uid,
					gid,
					mode,
					f->data ? "X-LXD-type: file" : "X-LXD-type: directory",
					"X-LXD-write: overwrite",
					NULL };
	return lxd_call_raw(l->conn, "POST", path, f->data, f->data ? f->len : 0, headers, NULL);
}

/* Synchronous: the files are in when it returns; the job is a formality. */
static int lxd_write_begin(struct copy *c, const struct copy_file *f, size_t n, int *ret_job)
{
	struct lxd_copy *l = lxd_of(c);

	for (size_t i = 0; i < n; i++) {
		int r = push_file(l, &f[i]);
		if (r < 0)
			return r;
	}
	*ret_job = 0;
	return 0;
}

static int lxd_write_end(struct copy *c, int job)
{
	(void)c;
	(void)job;
	return 0;
}

/* Not built yet (see the top of this file). */
static int not_yet(struct copy *c)
{
	(void)c;
	return -EOPNOTSUPP;
}

static int lxd_open_copy(const struct copy_spec *s, struct copy **ret, struct tw_err *err)
{
	(void)s;
	(void)ret;
	return tw_err_set(err, -EOPNOTSUPP, "pooled copies are not supported yet on lxd");
}

static int take_fds(const struct copy_exec *x)
{
	if (setpgid(0, 0) < 0)
		return -errno;
	for (int i = 0; i < 3; i++)
		if (x->fds[i] != i && dup2(x->fds[i], i) < 0)
			return -errno;
	return 0;
}

/*
 * The stand-in: a child in a process group of its own, with X's fds as 0,
 * 1 and 2, that runs the program through LXD (exec.c) and exits with its
 * status. It talks to LXD on a connection of its own: the parent's is not
 * to be shared across fork.
 */
static _Noreturn void stand_in(struct lxd_copy *l, const struct copy_exec *x)
{
	struct lxd_conn *conn = NULL;

	util_reset_signals();
	int r = take_fds(x);
	if (r >= 0)
		r = util_cloexec_from(3);
	if (r >= 0)
		r = lxd_open(l->spec.cfg->lxd_socket, l->spec.cfg->lxd_project, &conn, NULL);
	if (r >= 0)
		r = lxd_exec_run(conn, l->spec.name, x, NULL);
	_exit(r < 0 ? 127 : r);
}

/* A program inside; no terminal yet (LXD's interactive mode is not relayed so far). */
static int lxd_enter(struct copy *c, const struct copy_exec *x, pid_t *ret_pid, int *ret_master)
{
	if (x->pty)
		return -EOPNOTSUPP;
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		stand_in(lxd_of(c), x);
	*ret_pid = pid;
	*ret_master = -EBADF;
	return 0;
}

const struct copy_driver copy_driver_lxd = {
	.name = "lxd",
	.prepare = lxd_prepare,
	.make = lxd_make,
	.start = lxd_start,
	.open = lxd_open_copy,
	.free = lxd_free,
	.write_begin = lxd_write_begin,
	.write_end = lxd_write_end,
	.enter = lxd_enter,
	.stopped_fd = not_yet,
	.kill = lxd_kill,
	.stop = lxd_stop,
	.destroy = lxd_destroy,
	.running = lxd_running,
	.list = lxd_list,
};
