/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The list of copy drivers, and the calls that reach a handle's own. */
#include "copy.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lxc_driver.h"
#include "lxd_driver.h"

/*
 * The lxd driver is a module of its own (throwaway-lxd.so), loaded when a
 * config or a ledger record names it: its libraries (libcurl, json-c,
 * libwebsockets, some thirty with theirs) made each keeper's exec, and so
 * each login, cost three times the loader's time of the lxc driver's alone.
 * A program that links it in (the unit tests) uses that one.
 */
#define LXD_MODULE LIBEXECDIR "/throwaway-lxd.so"
extern const struct copy_driver copy_driver_lxd __attribute__((weak));

/* Why the lxd module could not be loaded, for the stand-in's errors. */
static char lxd_missing[256];

static int unloaded_place(const struct config *cfg, char *buf, size_t len)
{
	(void)cfg;
	(void)buf;
	(void)len;
	return -ELIBACC;
}

static int unloaded_prepare(const struct copy_spec *s, struct copy **ret, struct tw_err *err)
{
	(void)s;
	*ret = NULL;
	tw_err_set(err, 0, "the lxd driver cannot be loaded: %s", lxd_missing);
	return -ELIBACC;
}

static int unloaded_destroy(const char *place, const char *name, const char *session)
{
	(void)place;
	(void)name;
	(void)session;
	return -ELIBACC;
}

static void unloaded_usage(const char *place, const char *name, const struct copy_usage_want *want,
			   struct copy_usage *ret)
{
	(void)place;
	(void)name;
	(void)want;
	*ret = (struct copy_usage){ .procs = -1, .memory = -1, .upper = -1 };
}

static bool unloaded_running(const char *place, const char *name)
{
	(void)place;
	(void)name;
	return false;
}

static int unloaded_list(const char *place, int (*fn)(const struct copy_found *f, void *data),
			 void *data)
{
	(void)place;
	(void)fn;
	(void)data;
	return -ELIBACC;
}

static size_t unloaded_check(const char *place, struct copy_finding ret[COPY_FINDINGS_MAX])
{
	(void)place;
	ret[0] = (struct copy_finding){ .verdict = COPY_FAIL };
	snprintf(ret[0].msg, sizeof(ret[0].msg), "driver cannot be loaded: %s", lxd_missing);
	snprintf(ret[0].fix, sizeof(ret[0].fix), "install throwaway whole (%s)", LXD_MODULE);
	return 1;
}

static size_t unloaded_check_origin(const char *place, const char *origin,
				    struct copy_finding ret[COPY_FINDINGS_MAX])
{
	(void)origin;
	return unloaded_check(place, ret);
}

static void unloaded_sweep(const char *const *places, const struct copy_liveness *live,
			   struct copy_swept *ret)
{
	(void)places;
	(void)live;
	*ret = (struct copy_swept){ 0 };
}

/* What stands for the lxd driver when its module is missing: every call fails, saying why. */
static const struct copy_driver lxd_unloaded = {
	.name = "lxd",
	.place = unloaded_place,
	.prepare = unloaded_prepare,
	.open = unloaded_prepare,
	.destroy = unloaded_destroy,
	.usage = unloaded_usage,
	.running = unloaded_running,
	.list = unloaded_list,
	.check_place = unloaded_check,
	.check_origin = unloaded_check_origin,
	.sweep = unloaded_sweep,
};

static const struct copy_driver *lxd_driver(void)
{
	static const struct copy_driver *lxd;

	if (lxd)
		return lxd;
	if (&copy_driver_lxd)
		return lxd = &copy_driver_lxd;
	void *h = dlopen(LXD_MODULE, RTLD_NOW | RTLD_LOCAL);
	lxd = h ? dlsym(h, "copy_driver_lxd") : NULL;
	if (!lxd) {
		snprintf(lxd_missing, sizeof(lxd_missing), "%s", dlerror());
		lxd = &lxd_unloaded;
	}
	return lxd;
}

/* A backend by its index in config_backend_names. */
static const struct copy_driver *driver_at(enum config_backend b)
{
	return b == BACKEND_LXD ? lxd_driver() : &copy_driver_lxc;
}

const struct copy_driver *copy_driver_named(const char *name)
{
	for (size_t i = 0; config_backend_names[i]; i++)
		if (strcmp(config_backend_names[i], name) == 0)
			return driver_at((enum config_backend)i);
	return NULL;
}

const struct copy_driver *copy_driver_of(const struct config *cfg)
{
	return driver_at(cfg->backend);
}

int copy_driver_loaded(const struct copy_driver *d, struct tw_err *err)
{
	if (d != &lxd_unloaded)
		return 0;
	tw_err_set(err, 0, "the lxd driver cannot be loaded: %s", lxd_missing);
	return -ELIBACC;
}

const struct copy_driver *copy_driver_of_record(const char *options)
{
	const char *p = strstr(options, "backend=");
	char name[16];

	if (!p || (p != options && p[-1] != ' '))
		return &copy_driver_lxc;
	p += strlen("backend=");
	snprintf(name, sizeof(name), "%.*s", (int)strcspn(p, " "), p);
	const struct copy_driver *d = copy_driver_named(name);
	return d ? d : &copy_driver_lxc;
}

int copy_place(const struct copy_driver *d, const struct config *cfg, char *buf, size_t len)
{
	return d->place(cfg, buf, len);
}

int copy_prepare_process(const struct copy_driver *d, const struct copy_spec *s, struct tw_err *err)
{
	return d->prepare_process ? d->prepare_process(s, err) : 0;
}

int copy_prepare(const struct copy_driver *d, const struct copy_spec *s, struct copy **ret,
		 struct tw_err *err)
{
	return d->prepare(s, ret, err);
}

int copy_open(const struct copy_driver *d, const struct copy_spec *s, struct copy **ret,
	      struct tw_err *err)
{
	return d->open(s, ret, err);
}

int copy_make(struct copy *c, struct tw_err *err)
{
	return c->drv->make(c, err);
}

int copy_start(struct copy *c, unsigned timeout_ms, struct tw_err *err)
{
	return c->drv->start(c, timeout_ms, err);
}

void copy_free(struct copy *c)
{
	if (c)
		c->drv->free(c);
}

void copy_elsewhere_free(struct copy_elsewhere *e)
{
	free(e->addrs);
	*e = (struct copy_elsewhere){ 0 };
}

int copy_read_origin(struct copy *c, const char *path, size_t max, char **ret_buf, size_t *ret_len)
{
	return c->drv->read_origin(c, path, max, ret_buf, ret_len);
}

int copy_write_begin(struct copy *c, const struct copy_file *f, size_t n, int *ret_job)
{
	return c->drv->write_begin(c, f, n, ret_job);
}

int copy_write_end(struct copy *c, int job)
{
	return c->drv->write_end(c, job);
}

int copy_inject_bind(struct copy *c, const char *src, const char *dst, bool ro)
{
	return c->drv->inject_bind(c, src, dst, ro);
}

int copy_set_hostname(struct copy *c, const char *name)
{
	return c->drv->set_hostname(c, name);
}

int copy_enter_ahead(struct copy *c, const struct copy_exec *who)
{
	return c->drv->enter_ahead(c, who);
}

int copy_enter(struct copy *c, const struct copy_exec *x, pid_t *ret_pid, int *ret_master)
{
	return c->drv->enter(c, x, ret_pid, ret_master);
}

bool copy_path_exists(struct copy *c, const char *path)
{
	return c->drv->path_exists(c, path);
}

int copy_addresses(struct copy *c, char *buf, size_t len, unsigned wait_ms)
{
	return c->drv->addresses(c, buf, len, wait_ms);
}

int copy_stopped_fd(struct copy *c)
{
	return c->drv->stopped_fd(c);
}

int copy_owner(struct copy *c, pid_t *ret_pid, uint64_t *ret_start)
{
	return c->drv->owner ? c->drv->owner(c, ret_pid, ret_start) : -EOPNOTSUPP;
}

bool copy_renews(const struct copy *c)
{
	return c->drv->renew != NULL;
}

int copy_renew(struct copy *c)
{
	return c->drv->renew ? c->drv->renew(c) : -EOPNOTSUPP;
}

int copy_kill(struct copy *c)
{
	return c->drv->kill(c);
}

int copy_stop(struct copy *c)
{
	return c->drv->stop(c);
}
