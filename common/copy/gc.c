/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "gc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "copy.h"
#include "util.h"

#define GC_MAX_LIVE 4096
#define GC_MAX_PLACES 16
#define GC_MAX_POOL 1024 /* more than CONFIG_MAX_POOL: stale ones of older configs too */
#define GC_DEBUG_LOG_KEEP_S (24 * 3600)
#define GC_STAMP "gc.done"

static void report(const struct gc_report *rep, const struct gc_item *it)
{
	if (rep && rep->fn)
		rep->fn(it, rep->data);
}

/* The driver of a record's copy: its record names it. */
static const struct copy_driver *driver_of(const struct ledger_entry *e)
{
	return copy_driver_of_record(e->options);
}

/*
 * A place is an absolute path (an lxcpath, LXD's socket) or LXD's HTTPS
 * URL with its files; the driver reads its own places strictly.
 */
static bool place_plausible(const char *place)
{
	return place[0] == '/' || strncmp(place, "https://", 8) == 0;
}

static int destroy_copy(const struct ledger_entry *e)
{
	if (!names_container_valid(e->container) || !place_plausible(e->lxcpath))
		return -EINVAL;
	return driver_of(e)->destroy(e->lxcpath, e->container, e->session);
}

int gc_destroy_session(const char *rundir, const struct ledger_entry *e, const char *reason,
		       const struct gc_report *rep)
{
	char sock[PATH_MAX];

	/* A keeper that still runs but did not answer is wedged: it goes first. */
	if (util_proc_alive(e->keeper, e->keeper_start))
		kill(e->keeper, SIGKILL);
	int r = e->container[0] ? destroy_copy(e) : 0;
	snprintf(sock, sizeof(sock), "%s/sock/%s", rundir, e->session);
	unlink(sock);
	ledger_remove(rundir, e->session);
	struct gc_item it = { .session = e->session,
			      .user = e->user,
			      .rhost = e->rhost,
			      .container = e->container,
			      .reason = reason,
			      .error = r };
	report(rep, &it);
	return r;
}

struct live {
	char (*names)[NAMES_CONTAINER_MAX + 1];
	size_t n;
	struct gc_stats *st;
	const char *rundir;
	const struct gc_report *rep;
	const struct gc_place *place; /* the place being listed */
};

static int collect_record(const struct ledger_entry *e, void *data)
{
	struct live *l = data;
	if (!util_proc_alive(e->keeper, e->keeper_start)) {
		l->st->records++;
		if (gc_destroy_session(l->rundir, e, "gc", l->rep) == 0 && e->container[0])
			l->st->copies++;
		return 0;
	}
	if (l->n < GC_MAX_LIVE &&
	    util_strscpy(l->names[l->n], sizeof(l->names[0]), e->container) == 0)
		l->n++;
	return 0;
}

static bool is_live(const struct live *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->names[i], name) == 0)
			return true;
	return false;
}

/*
 * Is SESSION alive right now? Asked at the moment of removal, not from the
 * snapshot gc started with: a session opened since then already has its
 * record (written before anything else of it exists) and must be spared.
 */
static bool session_alive(const char *rundir, const char *session)
{
	struct ledger_entry e;
	int r = ledger_read(rundir, session, &e);
	if (r == -ENOENT)
		return false;
	return r < 0 || util_proc_alive(e.keeper, e.keeper_start); /* unreadable: keep */
}

/* One copy a place holds: an orphan when its session is not alive now. */
static int collect_copy(const struct copy_found *f, void *data)
{
	struct live *l = data;
	if (is_live(l, f->name) || session_alive(l->rundir, f->session))
		return 0;
	int r = l->place->drv->destroy(l->place->path, f->name, f->session);
	struct gc_item it = {
		.session = f->session, .container = f->name, .reason = "gc-orphan", .error = r
	};
	l->st->copies += r == 0;
	report(l->rep, &it);
	return 0;
}

static bool copy_live(const char *name, void *data)
{
	return is_live(data, name);
}

static bool session_live(const char *id, void *data)
{
	const struct live *l = data;
	return session_alive(l->rundir, id);
}

/* Entries named after sessions in dir (sockets, lower mountpoints) with no live record. */
static void collect_session_entries(struct live *l, const char *dir, int flags)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	struct dirent *de;
	if (!d)
		return;
	while ((de = readdir(d))) {
		/* made after the session's record: no record now means it ended */
		if (!names_session_valid(de->d_name) || session_alive(l->rundir, de->d_name))
			continue;
		if (unlinkat(dirfd(d), de->d_name, flags) == 0 && flags == 0)
			l->st->sockets++;
	}
}

/*
 * The debug argument's liblxc logs (<rundir>/log/<copy>.log): kept a day
 * after their copy is gone, for whoever looks into a failed login, then
 * removed.
 */
static void collect_debug_logs(struct live *l)
{
	char dir[PATH_MAX], name[NAMES_CONTAINER_MAX + 1];
	struct stat st;
	snprintf(dir, sizeof(dir), "%s/log", l->rundir);
	_cleanup_closedir_ DIR *d = opendir(dir);
	struct dirent *de;
	if (!d)
		return;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n <= 4 || n - 4 > NAMES_CONTAINER_MAX ||
		    strcmp(de->d_name + n - 4, ".log") != 0)
			continue;
		memcpy(name, de->d_name, n - 4);
		name[n - 4] = '\0';
		if (!names_container_valid(name) || is_live(l, name) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode) || time(NULL) - st.st_mtime < GC_DEBUG_LOG_KEEP_S)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			l->st->logs++;
	}
}

static void collect_sockets(struct live *l)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/sock", l->rundir);
	collect_session_entries(l, dir, 0);
}

/* The end of a full gc, for gc_recent: the stamp's mtime. */
static void mark_done(const char *rundir)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/" GC_STAMP, rundir);
	_cleanup_close_ int fd = open(p, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0 && futimens(fd, NULL) < 0) {
		/* the next login sweeps again: costs time, loses nothing */
	}
}

static int gc_lock(const char *rundir, bool wait)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/gc.lock", rundir);
	int fd = open(p, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	while (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0) {
		if (errno != EINTR) {
			int r = errno == EWOULDBLOCK ? -EBUSY : -errno;
			close(fd);
			return r;
		}
	}
	return fd;
}

/* Is P's driver that of a place before it? Then it was swept with that one. */
static bool driver_seen(const struct gc_place *places, const struct gc_place *p)
{
	for (const struct gc_place *q = places; q < p; q++)
		if (q->drv == p->drv)
			return true;
	return false;
}

/* What the drivers' copies left: each driver sweeps all its places at once. */
static void collect_driver_leftovers(const struct gc_place *places, struct live *l)
{
	struct copy_liveness live = { .copy = copy_live, .session = session_live, .data = l };
	const char *paths[GC_MAX_PLACES + 1];

	for (const struct gc_place *p = places; p->drv; p++) {
		if (!p->drv->sweep || driver_seen(places, p))
			continue;
		size_t n = 0;
		for (const struct gc_place *q = p; q->drv && n < GC_MAX_PLACES; q++)
			if (q->drv == p->drv)
				paths[n++] = q->path;
		paths[n] = NULL;
		struct copy_swept sw = { 0 };
		p->drv->sweep(paths, &live, &sw);
		l->st->locks += sw.locks;
		l->st->cgroups += sw.cgroups;
		l->st->copies += sw.copies;
	}
}

int gc_config_places(const struct config *cfg, char *buf, size_t len,
		     struct gc_place out[GC_CONFIG_PLACES])
{
	const struct copy_driver *lxc = copy_driver_named("lxc"), *drv = copy_driver_of(cfg);
	size_t n = 0;

	out[n++] = (struct gc_place){ lxc, cfg->lxcpath };
	if (drv != lxc) {
		int r = copy_place(drv, cfg, buf, len);
		if (r < 0)
			return r;
		out[n++] = (struct gc_place){ drv, buf };
	}
	out[n] = (struct gc_place){ 0 };
	return 0;
}

int gc_run(const char *rundir, const struct gc_place *places, bool wait,
	   const struct gc_report *rep, struct gc_stats *ret)
{
	struct gc_stats st = { 0 };
	_cleanup_free_ struct live *l = calloc(1, sizeof(*l));
	_cleanup_free_ char(*names)[NAMES_CONTAINER_MAX + 1] = calloc(GC_MAX_LIVE, sizeof(*names));
	if (!l || !names)
		return -ENOMEM;
	int r = ledger_init(rundir);
	if (r < 0)
		return r;
	_cleanup_close_ int lock = gc_lock(rundir, wait);
	if (lock < 0)
		return lock;
	*l = (struct live){ .names = names, .st = &st, .rundir = rundir, .rep = rep };
	r = ledger_foreach(rundir, collect_record, l);
	for (const struct gc_place *p = places; r >= 0 && p->drv; p++) {
		l->place = p;
		p->drv->list(p->path, collect_copy, l);
	}
	if (r >= 0) {
		collect_driver_leftovers(places, l);
		collect_sockets(l);
		collect_debug_logs(l);
	}
	if (r >= 0)
		mark_done(rundir);
	if (ret)
		*ret = st;
	return r;
}

bool gc_recent(const char *rundir, unsigned period_s)
{
	char p[PATH_MAX];
	struct stat st;
	struct timespec now;
	snprintf(p, sizeof(p), "%s/" GC_STAMP, rundir);
	if (lstat(p, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 ||
	    clock_gettime(CLOCK_REALTIME, &now) < 0)
		return false;
	/* A stamp from the future (the clock was set back) proves nothing. */
	return st.st_mtim.tv_sec <= now.tv_sec && now.tv_sec - st.st_mtim.tv_sec < period_s;
}

struct drain {
	const char *rundir;
	const char *keep; /* signature of the copies that stay, NULL: none */
	struct ledger_entry *list;
	size_t n, max;
};

/* Under the ledger lock: no session can take it once it says "draining". */
static int claim_pooled(const struct ledger_entry *e, void *data)
{
	struct drain *d = data;
	if (strcmp(e->state, "pooled") != 0 || (d->keep && strcmp(e->options, d->keep) == 0) ||
	    d->n >= d->max)
		return 0;
	struct ledger_entry *c = &d->list[d->n];
	*c = *e;
	snprintf(c->state, sizeof(c->state), "draining");
	if (ledger_write(d->rundir, c) == 0)
		d->n++;
	return 0;
}

int gc_drain_pool(const char *rundir, const char *keep, const struct gc_report *rep)
{
	struct drain d = { .rundir = rundir, .keep = keep, .max = GC_MAX_POOL };
	_cleanup_free_ struct ledger_entry *list = calloc(GC_MAX_POOL, sizeof(*list));
	int n = 0;
	if (!list)
		return -ENOMEM;
	d.list = list;
	{
		_cleanup_close_ int lock = ledger_lock(rundir);
		if (lock < 0)
			return lock;
		ledger_foreach(rundir, claim_pooled, &d);
	}
	/* Stopping destroys it; its post-stop hook logs that and drops the record. */
	for (size_t i = 0; i < d.n; i++) {
		int r = destroy_copy(&list[i]);
		ledger_remove(rundir, list[i].session);
		n += r == 0;
		/* A drained copy's end is logged by its post-stop hook; only a failure here. */
		if (r < 0) {
			struct gc_item it = { .session = list[i].session,
					      .container = list[i].container,
					      .reason = "drain",
					      .error = r };
			report(rep, &it);
		}
	}
	return n;
}
