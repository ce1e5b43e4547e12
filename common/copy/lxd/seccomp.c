/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The copies' seccomp profile as LXD config (seccomp.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "seccomp.h"
#include "util.h"

/* Past the line at P (and its newline) when that line is S, else NULL (P too). */
static const char *past_line(const char *p, const char *s)
{
	size_t n = strlen(s);

	return p && strncmp(p, s, n) == 0 && p[n] == '\n' ? p + n + 1 : NULL;
}

const char *lxd_seccomp_rules(const char *profile)
{
	return past_line(past_line(profile, "2"), "denylist");
}

int lxd_seccomp_read(const char *path, char **ret_rules, struct tw_err *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;

	int r = util_read_path(path, LXD_SECCOMP_MAX, &buf, &len);
	if (r < 0)
		return tw_err_set(err, r, "cannot read the seccomp profile %s (%s)", path,
				  strerror(-r));
	const char *rules = lxd_seccomp_rules(buf);
	if (!rules)
		return tw_err_set(err, -EINVAL,
				  "%s: a copy's seccomp profile starts \"2\", then \"denylist\"",
				  path);
	char *dup = strdup(rules);
	if (!dup)
		return tw_err_set(err, -ENOMEM, "out of memory");
	*ret_rules = dup;
	return 0;
}
