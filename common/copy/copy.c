/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The list of copy drivers, and the calls that reach a handle's own. */
#include "copy.h"

#include <errno.h>
#include <string.h>

#include "lxc_driver.h"

static const struct copy_driver *const drivers[] = { &copy_driver_lxc };

const struct copy_driver *copy_driver_named(const char *name)
{
	for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++)
		if (strcmp(drivers[i]->name, name) == 0)
			return drivers[i];
	return NULL;
}

const struct copy_driver *copy_driver_of(const struct config *cfg)
{
	(void)cfg; /* one driver so far */
	return &copy_driver_lxc;
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

int copy_kill(struct copy *c)
{
	return c->drv->kill(c);
}

int copy_stop(struct copy *c)
{
	return c->drv->stop(c);
}
