/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What list and show print of copies: sizes for people, and which
 * origins run under copies of theirs. What a copy uses comes from its
 * driver (copy.h, usage).
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"

/* The driver of record e's copy: its record names it. */
static const struct copy_driver *driver_of(const struct ledger_entry *e)
{
	return copy_driver_of_record(e->options);
}

void copystat_read(const struct ledger_entry *e, bool addresses, struct copy_usage *ret)
{
	const struct copy_usage_want want = {
		.upper_tmpfs = strncmp(e->options, "storage=tmpfs", 13) == 0,
		.addresses = addresses && !strstr(e->options, "network=none"),
	};
	driver_of(e)->usage(e->lxcpath, e->container, &want, ret);
}

bool copystat_origin_running(const char *origin)
{
	/* Cgroups are named after a container alone: any place will do. */
	return copy_driver_named("lxc")->running(NULL, origin);
}

void copystat_human(int64_t bytes, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";

	if (bytes < 0) {
		snprintf(buf, len, "-");
		return;
	}
	if (bytes < 1024) {
		snprintf(buf, len, "%lld", (long long)bytes);
		return;
	}
	double v = (double)bytes / 1024;
	size_t u = 0;
	/* Up to 1023.5 of a unit, so that rounding never prints "1024K". */
	while (v >= 1023.5 && u + 1 < sizeof(units) - 1) {
		v /= 1024;
		u++;
	}
	/* 9.96K would print as "10.0K": round first, then choose the format. */
	if (v < 9.95)
		snprintf(buf, len, "%.1f%c", v, units[u]);
	else
		snprintf(buf, len, "%.0f%c", v, units[u]);
}

size_t copystat_origins(const struct ledger_entry *entries, size_t n, struct origin_count *ret,
			size_t max)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		size_t j = 0;
		while (j < k && strcmp(ret[j].name, entries[i].origin) != 0)
			j++;
		if (j == k) {
			if (k == max || !entries[i].origin[0])
				continue;
			snprintf(ret[k].name, sizeof(ret[k].name), "%s", entries[i].origin);
			ret[k++].copies = 0;
		}
		ret[j].copies++;
	}
	return k;
}

void copystat_origin_warning(const struct origin_count *o, char *buf, size_t len)
{
	snprintf(buf, len,
		 "warning: the origin '%s' is running while %u %s of it %s: never start or modify "
		 "an origin while copies of it exist; stop it (lxc-stop -n %s)",
		 o->name, o->copies, o->copies == 1 ? "copy" : "copies",
		 o->copies == 1 ? "exists" : "exist", o->name);
}
