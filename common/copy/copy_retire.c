/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* copy_retire (copy.h): each driver's end-of-copy step, by the driver's name. */
#include <errno.h>
#include <string.h>

#include "container.h"
#include "copy.h"

static const struct {
	const char *driver;
	int (*retire)(int argc, char **argv, struct copy_retired *ret, struct tw_err *err);
} steps[] = {
	{ "lxc", ctr_retire },
};

int copy_retire(const char *driver, int argc, char **argv, struct copy_retired *ret,
		struct tw_err *err)
{
	memset(ret, 0, sizeof(*ret));
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (strcmp(steps[i].driver, driver) == 0)
			return steps[i].retire(argc, argv, ret, err);
	return tw_err_set(err, ENOENT, "no copy driver '%s'", driver);
}
