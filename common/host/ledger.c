/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ledger.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "safefs.h"
#include "util.h"

#define LEDGER_MAX_FILE 8192

int ledger_init(const char *rundir)
{
	char p[512];
	int r = util_mkdir_secure(rundir, 0711, NULL);
	if (r < 0)
		return r;
	snprintf(p, sizeof(p), "%s/ledger", rundir);
	r = util_mkdir_secure(p, 0700, NULL);
	if (r < 0)
		return r;
	snprintf(p, sizeof(p), "%s/sock", rundir);
	return util_mkdir_secure(p, 0711, NULL);
}

int ledger_lock(const char *rundir)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/ledger/.lock", rundir);
	int fd = open(p, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int r = -errno;
			close(fd);
			return r;
		}
	}
	return fd;
}

int ledger_format(const struct ledger_entry *e, char *buf, size_t max)
{
	int n = snprintf(
		buf, max,
		"session=%s\nuser=%s\nuid=%u\ncontainer=%s\nlxcpath=%s\norigin=%s\n"
		"state=%s\nrhost=%s\nservice=%s\nkeeper=%d\nkeeper_start=%llu\n"
		"caller=%d\nstarted=%lld\nstarted_ms=%llu\nshare=%s\nlogins=%u\naddr=%s\noptions=%s\n",
		e->session, e->user, (unsigned)e->uid, e->container, e->lxcpath, e->origin,
		e->state, e->rhost, e->service, (int)e->keeper, (unsigned long long)e->keeper_start,
		(int)e->caller, (long long)e->started, (unsigned long long)e->started_ms, e->share,
		e->logins, e->addr, e->options);
	if (n < 0 || (size_t)n >= max)
		return -ENAMETOOLONG;
	/* A newline inside a value would forge a field. */
	const char *const fields[] = { e->user,  e->container, e->lxcpath, e->origin, e->state,
				       e->rhost, e->service,   e->share,   e->addr,   e->options };
	for (size_t i = 0; i < ELEMENTSOF(fields); i++)
		if (strchr(fields[i], '\n'))
			return -EINVAL;
	return n;
}

static int set_str(char *dst, size_t max, const char *v)
{
	if (strlen(v) >= max)
		return -EINVAL;
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

/* Digits only, at most MAX. */
static int set_num(const char *v, uint64_t max, uint64_t *ret)
{
	return util_parse_u64(v, max, NULL, ret) < 0 ? -EINVAL : 0;
}

static int parse_field(struct ledger_entry *e, const char *k, const char *v)
{
	uint64_t n = 0;
	int r = 0;

#define STR(name)                  \
	if (strcmp(k, #name) == 0) \
	return set_str(e->name, sizeof(e->name), v)
	STR(session);
	STR(user);
	STR(container);
	STR(lxcpath);
	STR(origin);
	STR(state);
	STR(rhost);
	STR(service);
	STR(share);
	STR(addr);
	STR(options);
#undef STR
	if (strcmp(k, "uid") == 0 && (r = set_num(v, UINT32_MAX - 1, &n)) == 0)
		e->uid = (uid_t)n;
	else if (strcmp(k, "keeper") == 0 && (r = set_num(v, INT32_MAX, &n)) == 0)
		e->keeper = (pid_t)n;
	else if (strcmp(k, "caller") == 0 && (r = set_num(v, INT32_MAX, &n)) == 0)
		e->caller = (pid_t)n;
	else if (strcmp(k, "keeper_start") == 0 && (r = set_num(v, INT64_MAX, &n)) == 0)
		e->keeper_start = (uint64_t)n;
	else if (strcmp(k, "started") == 0 && (r = set_num(v, INT64_MAX, &n)) == 0)
		e->started = (time_t)n;
	else if (strcmp(k, "started_ms") == 0 && (r = set_num(v, INT64_MAX, &n)) == 0)
		e->started_ms = (uint64_t)n;
	else if (strcmp(k, "logins") == 0 && (r = set_num(v, UINT32_MAX, &n)) == 0)
		e->logins = (unsigned)n;
	return r; /* unknown keys are ignored: newer writers may add some */
}

int ledger_parse(const char *text, struct ledger_entry *ret)
{
	struct ledger_entry e = { 0 };
	_cleanup_free_ char *copy = strdup(text);
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(l, '=');
		if (!eq)
			return -EINVAL;
		*eq = '\0';
		int r = parse_field(&e, l, eq + 1);
		if (r < 0)
			return r;
	}
	if (!names_session_valid(e.session))
		return -EINVAL;
	*ret = e;
	return 0;
}

static int ledger_dirfd(const char *rundir)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/ledger", rundir);
	int fd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int ledger_write(const char *rundir, const struct ledger_entry *e)
{
	char buf[LEDGER_MAX_FILE], tmp[64];
	int n = ledger_format(e, buf, sizeof(buf));
	if (n < 0)
		return n;
	if (!names_session_valid(e->session))
		return -EINVAL;
	_cleanup_close_ int dfd = ledger_dirfd(rundir);
	if (dfd < 0)
		return dfd;
	snprintf(tmp, sizeof(tmp), ".%s.tmp", e->session);
	unlinkat(dfd, tmp, 0);
	int r = safefs_write_beneath(dfd, tmp, buf, (size_t)n, 0600, 0, 0, 0);
	if (r < 0)
		return r;
	if (renameat(dfd, tmp, dfd, e->session) < 0) {
		r = -errno;
		unlinkat(dfd, tmp, 0);
		return r;
	}
	return 0;
}

int ledger_read(const char *rundir, const char *session, struct ledger_entry *ret)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;

	if (!names_session_valid(session))
		return -EINVAL;
	_cleanup_close_ int dfd = ledger_dirfd(rundir);
	if (dfd < 0)
		return dfd;
	struct ledger_entry e;
	int r = safefs_read_beneath(dfd, session, LEDGER_MAX_FILE, &buf, &len);
	if (r < 0 || (r = ledger_parse(buf, &e)) < 0)
		return r;
	/* A record is named after its session; anything else is not ours. */
	if (strcmp(e.session, session) != 0)
		return -EINVAL;
	*ret = e;
	return 0;
}

int ledger_remove(const char *rundir, const char *session)
{
	if (!names_session_valid(session))
		return -EINVAL;
	_cleanup_close_ int dfd = ledger_dirfd(rundir);
	if (dfd < 0)
		return dfd;
	/*
	 * A writer killed between making its temporary file and renaming it
	 * (a keeper's SIGKILL) leaves the file: it goes with the record.
	 */
	char tmp[64];
	snprintf(tmp, sizeof(tmp), ".%s.tmp", session);
	unlinkat(dfd, tmp, 0);
	if (unlinkat(dfd, session, 0) < 0)
		return -errno;
	return 0;
}

int ledger_foreach(const char *rundir, int (*fn)(const struct ledger_entry *e, void *data),
		   void *data)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/ledger", rundir);
	_cleanup_closedir_ DIR *d = opendir(p);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	struct dirent *de;
	int r = 0;
	while (r >= 0 && (de = readdir(d))) {
		struct ledger_entry e;
		if (!names_session_valid(de->d_name) || ledger_read(rundir, de->d_name, &e) < 0)
			continue;
		r = fn(&e, data);
	}
	return r < 0 ? r : 0;
}

struct count_ctx {
	uid_t uid;
	unsigned all, user;
};

bool ledger_entry_live(const struct ledger_entry *e)
{
	/* A record whose keeper is gone does not hold a slot; gc removes it. */
	return util_proc_alive(e->keeper, e->keeper_start);
}

static int count_one(const struct ledger_entry *e, void *data)
{
	struct count_ctx *c = data;
	if (!ledger_entry_live(e))
		return 0;
	c->all++;
	if (e->uid == c->uid)
		c->user++;
	return 0;
}

int ledger_count(const char *rundir, uid_t uid, unsigned *ret_all, unsigned *ret_user)
{
	struct count_ctx c = { .uid = uid };
	int r = ledger_foreach(rundir, count_one, &c);
	if (r < 0)
		return r;
	*ret_all = c.all;
	*ret_user = c.user;
	return 0;
}
