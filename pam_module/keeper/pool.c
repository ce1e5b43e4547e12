/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pool = N: copies of the [global] configuration, made and started ahead
 * of logins, so that a login only has to adopt one.
 *
 * A pooled copy is a running copy with a ledger record in state "pooled"
 * whose keeper field is the copy's init (so gc sees it alive exactly while
 * the copy runs) and whose options field is the signature of the config
 * it was made with. It has no user yet, so with userns = yes its map passes
 * every ordinary user id through (see set_pool_idmap in container.c); the
 * home and binds it is given are mounted with a map of their own that
 * holds only the session user's ids, so that its root cannot make, or
 * give a file to, any other user's id there (the driver's inject_bind).
 *
 * A session takes one under the ledger lock (its record becomes the
 * session's, same id), then gives it the session's hostname, the user's
 * passwd entry and keys, the home and the binds (mounts moved into the
 * running copy), and refills the pool in the background. A taken copy is a
 * session's copy like any other: it is destroyed when the session ends.
 *
 * The filler (throwaway-keeper --pool-fill CONFIG, or --pool-fill-later
 * from a keeper, 300 ms later; one at a time, under
 * RUNDIR/pool.lock) tops the pool up to N within max_sessions, and drains
 * pooled copies made from another configuration.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "copy.h"
#include "gc.h"
#include "keeper.h"
#include "log.h"
#include "spawn.h"
#include "subid.h"
#include "util.h"

#define POOL_LOCK TW_RUNDIR "/pool.lock"
#define POOL_NAME "%o-pool-%r"
#define FILL_DELAY_MS 300

/* buf[n...] gets the text: the new length, or -1 once it does not fit. */
__attribute__((format(printf, 4, 5))) static int add(char *buf, size_t len, int n, const char *fmt,
						     ...)
{
	va_list ap;
	if (n < 0 || (size_t)n >= len)
		return -1;
	va_start(ap, fmt);
	int m = vsnprintf(buf + n, len - (size_t)n, fmt, ap);
	va_end(ap);
	return m < 0 || (size_t)m >= len - (size_t)n ? -1 : n + m;
}

/*
 * What makes two copies the same, whoever uses them: the keys a copy is
 * made with, and the home and binds it is given when taken, so that a
 * login whose config differs from the pool's in any of them (a [user:]
 * or [group:] bind, say) makes a copy of its own.
 */
static int pool_signature(const struct config *c, char *buf, size_t len)
{
	int n = add(
		buf, len, 0,
		"pool origin=%s origin_lxcpath=%s lxcpath=%s storage=%s tmpfs_size=%llu "
		"dir_size=%llu userns=%s network=%s pids_max=%llu memory_max=%llu "
		"cpu_weight=%llu pty_max=%llu boot=%s bind_home=%s network_range=%s network_peers=%s",
		c->origin, c->origin_lxcpath, c->lxcpath, config_storage_names[c->storage],
		(unsigned long long)c->tmpfs_size, (unsigned long long)c->dir_size,
		c->userns ? "yes" : "no", c->network, (unsigned long long)c->pids_max,
		(unsigned long long)c->memory_max, (unsigned long long)c->cpu_weight,
		(unsigned long long)c->pty_max, config_boot_names[c->boot],
		c->bind_home ? "yes" : "no", c->network_range ? c->network_range : "",
		c->network_peers ? "yes" : "no");
	for (size_t i = 0; i < c->n_devices; i++)
		n = add(buf, len, n, " device=%s", c->devices[i]);
	for (size_t i = 0; i < c->n_binds; i++)
		n = add(buf, len, n, " bind=%s:%s%s", c->binds[i].src, c->binds[i].dst,
			c->binds[i].ro ? ":ro" : "");
	return n < 0 ? -ENAMETOOLONG : 0;
}

/* May this session take a pooled copy at all? */
static bool usable(const struct keeper *k)
{
	const unsigned first = SUBID_USERS_FIRST, end = SUBID_USERS_FIRST + SUBID_USERS_COUNT;
	if (k->s.cfg.pool == 0 || k->s.cfg.keep || k->s.cfg.share != SHARE_SESSION || k->req.debug)
		return false;
	/* A pooled copy passes through only the ordinary user ids. */
	return !k->s.cfg.userns ||
	       (k->req.uid >= first && k->req.uid < end && k->req.gid >= first && k->req.gid < end);
}

bool keeper_pool_wanted(const struct keeper *k, char *sig, size_t len)
{
	return usable(k) && pool_signature(&k->s.cfg, sig, len) == 0;
}

bool keeper_pool_match(const char *sig, const struct ledger_entry *e)
{
	return strcmp(e->state, "pooled") == 0 && strcmp(e->options, sig) == 0 &&
	       util_proc_alive(e->keeper, e->keeper_start);
}

/* Mount points for the home and the binds, made inside as the copy's root. */
static int adopt_mounts(struct keeper *k)
{
	int r = 0;
	if (k->s.cfg.bind_home)
		r = copy_inject_bind(k->s.copy, k->req.home, k->req.home, false);
	for (size_t i = 0; r == 0 && i < k->s.cfg.n_binds; i++)
		r = copy_inject_bind(k->s.copy, k->s.cfg.binds[i].src, k->s.cfg.binds[i].dst,
				     k->s.cfg.binds[i].ro);
	return r;
}

int keeper_pool_adopt(struct keeper *k, struct tw_err *err)
{
	int r = copy_open(k->s.drv, &k->s.spec, &k->s.copy, err);
	if (r < 0)
		return r;
	if ((r = copy_set_hostname(k->s.copy, k->s.hostname)) < 0)
		tw_err_set(err, 0, "cannot name the pooled copy (%s)", strerror(-r));
	if (r == 0)
		r = keeper_populate(k, err);
	if (r == 0 && (r = adopt_mounts(k)) < 0)
		tw_err_set(err, 0, "cannot mount your home into the pooled copy (%s)",
			   strerror(-r));
	return r;
}

/*
 * Start the filler in the background; the keeper reaps it with its other
 * children. It waits FILL_DELAY_MS first: a refill (a copy and a start) is
 * CPU the login that just took a copy should not have to share.
 */
void keeper_pool_spawn_fill(const struct keeper *k)
{
	char *const argv[] = { (char *)"throwaway-keeper", (char *)"--pool-fill-later",
			       (char *)k->req.config_path, NULL };
	char *const envp[] = { (char *)"PATH=" SPAWN_PATH, NULL };
	const struct spawn_opts o = { .path = LIBEXECDIR "/throwaway-keeper",
				      .argv = argv,
				      .envp = envp };
	struct tw_err e;
	if (k->s.cfg.pool == 0)
		return;
	if (spawn_start(&o, &e, NULL) < 0)
		log_event(LOG_ERR, "error", "session", k->req.session, "reason", e.msg, NULL);
}

struct census {
	const char *sig;
	unsigned have;
};

static int count_ours(const struct ledger_entry *e, void *data)
{
	struct census *c = data;
	if ((strcmp(e->state, "pooled") == 0 || strcmp(e->state, "pooling") == 0) &&
	    strcmp(e->options, c->sig) == 0 && util_proc_alive(e->keeper, e->keeper_start))
		c->have++;
	return 0;
}

/* Under the ledger lock: a record for one more pooled copy, if the pool and the caps allow. */
static int reserve(const struct config *cfg, const char *sig, struct ledger_entry *e)
{
	struct census c = { .sig = sig };
	unsigned all = 0, mine = 0;
	_cleanup_close_ int lock = ledger_lock(TW_RUNDIR);
	if (lock < 0)
		return lock;
	int r = ledger_foreach(TW_RUNDIR, count_ours, &c);
	if (r == 0)
		r = ledger_count(TW_RUNDIR, 0, &all, &mine);
	if (r < 0 || c.have >= cfg->pool || all >= cfg->max_sessions)
		return r < 0 ? r : 0;
	memset(e, 0, sizeof(*e));
	r = names_session_id(e->session);
	if (r == 0)
		r = names_container(POOL_NAME, cfg->origin, "pool", 0, e->session, e->container);
	if (r < 0)
		return r;
	e->keeper = getpid();
	util_proc_starttime(e->keeper, &e->keeper_start);
	e->started_ms = util_wall_ms();
	e->started = (time_t)(e->started_ms / 1000);
	snprintf(e->user, sizeof(e->user), "(pool)");
	snprintf(e->state, sizeof(e->state), "pooling");
	snprintf(e->share, sizeof(e->share), "session");
	snprintf(e->options, sizeof(e->options), "%s", sig);
	if (util_strscpy(e->lxcpath, sizeof(e->lxcpath), cfg->lxcpath) < 0 ||
	    util_strscpy(e->origin, sizeof(e->origin), cfg->origin) < 0)
		return -ENAMETOOLONG;
	struct tw_err err = { 0 };
	struct keeper_subnet sn;
	if ((r = keeper_net_subnet(cfg, &sn, &err)) < 0 ||
	    (r = keeper_net_pick(cfg, &sn, NULL, e->addr, sizeof(e->addr), &err)) < 0) {
		log_event(LOG_ERR, "error", "reason", err.msg, NULL);
		return r;
	}
	r = ledger_write(TW_RUNDIR, e);
	return r < 0 ? r : 1;
}

/* Make and start the copy of record e; on success e says "pooled", its keeper is the copy's owner. */
static int make_one(const struct config *cfg, struct ledger_entry *e)
{
	const struct copy_driver *drv = copy_driver_of(cfg);
	struct copy_spec spec = {
		.cfg = cfg, .name = e->container, .session = e->session, .pool = true
	};
	struct tw_err err = { 0 };
	struct copy *c = NULL;
	struct keeper_net net;
	struct keeper_subnet sn;
	int r = keeper_net_subnet(cfg, &sn, &err);
	if (r == 0)
		r = keeper_net_spec(&sn, e->addr, &net, &err);
	if (r == 0 && e->addr[0]) {
		spec.address = net.address;
		spec.gateway = net.gateway;
	}
	if (r == 0)
		r = copy_prepare(drv, &spec, &c, &err);
	if (r == 0)
		r = copy_make(c, &err);
	if (r == 0)
		r = copy_start(c, (unsigned)cfg->start_timeout * 1000, &err);
	/* A driver with no local owner to watch cannot keep a pool. */
	if (r == 0 && (r = copy_owner(c, &e->keeper, &e->keeper_start)) < 0)
		tw_err_set(&err, r, "a pooled copy needs a process to watch");
	if (r == 0) {
		snprintf(e->state, sizeof(e->state), "pooled");
		r = ledger_write(TW_RUNDIR, e);
	}
	if (r < 0) {
		log_event(LOG_ERR, "error", "session", e->session, "container", e->container,
			  "reason", err.msg[0] ? err.msg : "a pooled copy did not start", NULL);
		if (c)
			copy_stop(c);
		ledger_remove(TW_RUNDIR, e->session);
	} else {
		log_event(LOG_INFO, "pooled", "session", e->session, "container", e->container,
			  NULL);
	}
	if (c)
		copy_free(c);
	return r;
}

int keeper_pool_fill(const char *config_path, bool later)
{
	struct timespec delay = { .tv_nsec = FILL_DELAY_MS * 1000000L };
	if (later)
		nanosleep(&delay, NULL);
	struct config cfg = { 0 };
	char sig[LEDGER_OPTIONS_MAX];
	struct tw_err err = { 0 };
	_cleanup_close_ int fd = -EBADF;
	if (ledger_init(TW_RUNDIR) < 0)
		return 1;
	/* A keeper's filler gives way to one at work; throwawayctl's waits for it. */
	_cleanup_close_ int lock = open(POOL_LOCK, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lock < 0)
		return 1;
	while (flock(lock, LOCK_EX | (later ? LOCK_NB : 0)) < 0)
		if (errno != EINTR)
			return later ? 0 : 1;
	int r = config_open_trusted(config_path, &fd, &err);
	if (r == 0)
		r = config_load_fd(fd, config_path, NULL, &cfg, &err);
	if (r < 0) {
		log_event(LOG_ERR, "error", "reason", err.msg, NULL);
		return 1;
	}
	const struct gc_report drained = { .fn = gc_log };
	bool fits = !cfg.keep && cfg.share == SHARE_SESSION;
	/* A filler started by systemd sits in its unit's cgroup: leave it (or stay). */
	cgroup_enter_own(CGROUP_ROOT);
	if ((r = pool_signature(&cfg, sig, sizeof(sig))) < 0)
		log_event(LOG_ERR, "error", "reason",
			  "the configuration is too long for a pool's record: nothing is pooled",
			  NULL);
	/* Copies made from another configuration, or a pool turned off, go. */
	gc_drain_pool(TW_RUNDIR, r == 0 && fits && cfg.pool ? sig : NULL, &drained);
	/* This process makes the copies: the driver readies it once, for all of them. */
	const struct copy_spec pool = { .cfg = &cfg, .pool = true };
	if (r == 0 && fits && cfg.pool &&
	    (r = copy_prepare_process(copy_driver_of(&cfg), &pool, &err)) < 0)
		log_event(LOG_ERR, "error", "reason", err.msg, NULL);
	struct ledger_entry e;
	while (r == 0 && fits && (r = reserve(&cfg, sig, &e)) == 1)
		r = make_one(&cfg, &e) < 0 ? -EIO : 0;
	config_free(&cfg);
	return r < 0 ? 1 : 0;
}
