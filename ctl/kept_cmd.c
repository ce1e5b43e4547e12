/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* throwawayctl kept: what keep = yes sessions left for the admin, and removing it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "ctl.h"
#include "kept.h"

static void utc(time_t t, char *buf, size_t len)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int print_row(const struct kept_entry *e, void *data)
{
	char ended[32], size[16];
	unsigned *n = data;
	utc(e->ended, ended, sizeof(ended));
	copystat_human((int64_t)e->bytes, size, sizeof(size));
	if ((*n)++ == 0)
		printf("%-16s %-16s %-20s %-6s %-24s %s\n", "USER", "SESSION", "KEPT", "SIZE",
		       "CONTAINER", "PATH");
	printf("%-16s %-16s %-20s %-6s %-24s %s/%s/%s/upper\n", e->user, e->session, ended, size,
	       e->container, KEPT_DIR, e->user, e->session);
	return 0;
}

struct older {
	time_t before;
	unsigned removed, failed;
};

static int remove_old(const struct kept_entry *e, void *data)
{
	struct older *o = data;
	if (e->ended >= o->before)
		return 0;
	int r = kept_remove(e->user, e->session);
	if (r < 0) {
		fprintf(stderr, "throwawayctl: cannot remove %s/%s: %s\n", e->user, e->session,
			strerror(-r));
		o->failed++;
	} else {
		printf("removed %s/%s\n", e->user, e->session);
		o->removed++;
	}
	return 0;
}

static int cmd_rm_older(const char *duration)
{
	uint64_t secs;
	if (config_parse_duration(duration, &secs) < 0) {
		fprintf(stderr, "throwawayctl: bad duration '%s' (e.g. 12h or 7d)\n", duration);
		return 2;
	}
	struct older o = { .before = time(NULL) - (time_t)secs };
	int r = kept_list(NULL, remove_old, &o);
	if (r < 0)
		fprintf(stderr, "throwawayctl: cannot read %s: %s\n", KEPT_DIR, strerror(-r));
	printf("kept rm: %u removed\n", o.removed);
	return r < 0 || o.failed ? 1 : 0;
}

int kept_cmd(int argc, char **argv)
{
	if (argc >= 1 && argc <= 2 && strcmp(argv[0], "list") == 0) {
		unsigned n = 0;
		int r = kept_list(argc == 2 ? argv[1] : NULL, print_row, &n);
		if (r < 0) {
			fprintf(stderr, "throwawayctl: cannot read %s: %s\n", KEPT_DIR,
				strerror(-r));
			return 1;
		}
		if (n == 0)
			printf("no kept data\n");
		return 0;
	}
	if (argc == 3 && strcmp(argv[0], "rm") == 0 && strcmp(argv[1], "--older-than") == 0)
		return cmd_rm_older(argv[2]);
	if (argc == 3 && strcmp(argv[0], "rm") == 0) {
		int r = kept_remove(argv[1], argv[2]);
		if (r < 0) {
			fprintf(stderr, "throwawayctl: cannot remove kept data %s/%s: %s\n",
				argv[1], argv[2], r == -ENOENT ? "there is none" : strerror(-r));
			return 1;
		}
		printf("removed %s/%s\n", argv[1], argv[2]);
		return 0;
	}
	fprintf(stderr, "usage: throwawayctl kept list [USER] | kept rm USER SESSION | "
			"kept rm --older-than DURATION\n");
	return 2;
}
