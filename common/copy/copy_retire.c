/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * copy_retire and copy_net_up (copy.h): each driver's steps run by its
 * engine on the host, by the driver's name.
 */
#include <errno.h>
#include <string.h>

#include "container.h"
#include "copy.h"

struct steps {
	const char *driver;
	int (*retire)(int argc, char **argv, struct copy_retired *ret, struct tw_err *err);
	int (*net_up)(int argc, char **argv, char *ret_session, size_t len, struct tw_err *err);
};

static const struct steps steps[] = {
	{ "lxc", ctr_retire, ctr_net_up },
};

static const struct steps *steps_of(const char *driver, struct tw_err *err)
{
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (strcmp(steps[i].driver, driver) == 0)
			return &steps[i];
	tw_err_set(err, ENOENT, "no copy driver '%s'", driver);
	return NULL;
}

int copy_retire(const char *driver, int argc, char **argv, struct copy_retired *ret,
		struct tw_err *err)
{
	memset(ret, 0, sizeof(*ret));
	const struct steps *s = steps_of(driver, err);
	return s ? s->retire(argc, argv, ret, err) : -ENOENT;
}

int copy_net_up(const char *driver, int argc, char **argv, char *ret_session, size_t len,
		struct tw_err *err)
{
	const struct steps *s = steps_of(driver, err);
	return s ? s->net_up(argc, argv, ret_session, len, err) : -ENOENT;
}
