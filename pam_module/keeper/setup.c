/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * From the PAM module's request to a running copy. keeper_setup: config,
 * caps, ledger record, the origin, the socket (then the login may go on);
 * keeper_make_copy: copy, start, the session's files (or a pooled copy).
 * Runs as root with a clean environment; the request comes from the PAM
 * module (root) and is trusted, the user's files are not.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "copy.h"
#include "keeper.h"
#include "log.h"
#include "proto.h"
#include "subid.h"
#include "util.h"

/* A home we put into a mount entry: absolute, plain characters, no "..". */
static bool home_ok(const char *h)
{
	static const char ok[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-/@+";
	size_t n = strlen(h);
	return h[0] == '/' && n > 1 && strspn(h, ok) == n && !strstr(h, "/../") &&
	       !strstr(h, "/./") && !(n >= 3 && strcmp(h + n - 3, "/..") == 0);
}

static int check_home(struct keeper *k, struct tw_err *err)
{
	if (home_ok(k->req.home))
		return 0;
	tw_err_set(err, 0, "the home directory '%.64s' cannot be used", k->req.home);
	return -EINVAL;
}

static int load_config(struct keeper *k, struct tw_err *err)
{
	struct config_who who = { .user = k->req.user,
				  .groups = (const char *const *)k->req.group_names,
				  .n_groups = k->req.n_groups };
	return config_load_trusted(k->req.config_path, &who, &k->s.cfg, err);
}

/* "storage=dir keep=yes network=veth:br0 …": what throwawayctl show prints. */
static int format_options(const struct config *c, char *buf, size_t len)
{
	size_t off;
	/* Another driver than lxc is named, for gc and throwawayctl (copy_driver_of_record). */
	int n = snprintf(buf, len, "storage=%s keep=%s userns=%s network=%s share=%s boot=%s%s%s",
			 config_storage_names[c->storage], c->keep ? "yes" : "no",
			 c->userns ? "yes" : "no", c->network, config_share_names[c->share],
			 config_boot_names[c->boot], c->backend == BACKEND_LXC ? "" : " backend=",
			 c->backend == BACKEND_LXC ? "" : config_backend_names[c->backend]);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	off = (size_t)n;
	for (size_t i = 0; i < c->n_devices; i++) {
		n = snprintf(buf + off, len - off, "%s%s", i ? "," : " devices=", c->devices[i]);
		if (n < 0 || (size_t)n >= len - off)
			return -ENAMETOOLONG;
		off += (size_t)n;
	}
	return 0;
}

/* The session's first ledger record. 0, or -ENAMETOOLONG when a name does not fit. */
static int fill_entry(const struct keeper *k, struct ledger_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->uid = k->req.uid;
	e->keeper = getpid();
	util_proc_starttime(e->keeper, &e->keeper_start);
	e->caller = k->req.caller;
	e->started_ms = util_wall_ms();
	e->started = (time_t)(e->started_ms / 1000);
	e->logins = 1;
	return format_options(&k->s.cfg, e->options, sizeof(e->options)) ?:
	       util_strscpy(e->share, sizeof(e->share),
			    config_share_names[k->s.cfg.share]) ?:
	       util_strscpy(e->session, sizeof(e->session), k->req.session) ?:
	       util_strscpy(e->user, sizeof(e->user), k->req.user) ?:
	       util_strscpy(e->container, sizeof(e->container), k->s.container) ?:
	       copy_place(k->s.drv, &k->s.cfg, e->lxcpath, sizeof(e->lxcpath)) ?:
	       util_strscpy(e->origin, sizeof(e->origin), k->s.cfg.origin) ?:
	       util_strscpy(e->state, sizeof(e->state), "starting") ?:
	       util_strscpy(e->rhost, sizeof(e->rhost), k->req.rhost) ?:
	       util_strscpy(e->service, sizeof(e->service), k->req.service);
}

/* What the ledger says for this login, read in one pass under its lock. */
struct census {
	struct keeper *k;
	const char *pool_sig; /* the pool signature this login may take, or NULL */
	unsigned all, mine;   /* live records: every one, the user's */
	struct ledger_entry pooled;
	bool have_pooled;
};

static int take_census(const struct ledger_entry *e, void *data)
{
	struct census *c = data;
	struct keeper *k = c->k;
	if (!ledger_entry_live(e)) {
		k->s.gc_wanted = true; /* a dead keeper's record: collect it now */
		return 0;
	}
	c->all++;
	c->mine += e->uid == k->req.uid;
	/* share = user: a live copy of this user's that later logins join. */
	if (k->s.cfg.share == SHARE_USER && !k->s.join[0] && e->uid == k->req.uid &&
	    strcmp(e->share, "user") == 0 && strcmp(e->state, "stopping") != 0)
		memcpy(k->s.join, e->session, sizeof(k->s.join));
	if (c->pool_sig && !c->have_pooled && keeper_pool_match(c->pool_sig, e)) {
		c->pooled = *e;
		c->have_pooled = true;
	}
	return 0;
}

/*
 * The copies other front doors run on a shared cluster count in the caps:
 * asked before the ledger's lock (it would hold every login of this host
 * on a network call). Another front door may take a slot meanwhile: the
 * caps hold across front doors up to logins that start at the same moment.
 * Unanswered, they count nothing: the copy's make then says what is wrong.
 */
static void count_elsewhere(struct keeper *k, struct copy_elsewhere *ret)
{
	char place[PATH_MAX];

	*ret = (struct copy_elsewhere){ 0 };
	if (!k->s.drv->count_elsewhere ||
	    copy_place(k->s.drv, &k->s.cfg, place, sizeof(place)) < 0 ||
	    k->s.drv->count_elsewhere(place, k->req.user, ret) < 0)
		*ret = (struct copy_elsewhere){ 0 };
}

/* The addresses other front doors' copies hold, for a pick: NULL where there are none. */
static const struct copy_elsewhere *others_of(const struct keeper *k,
					      const struct copy_elsewhere *others)
{
	return k->s.drv->count_elsewhere ? others : NULL;
}

/*
 * share = user where another front door may have made the user's copy: its
 * name into shared, asked before the ledger's lock like count_elsewhere.
 * Unanswered, there is none: the login makes a copy of its own.
 */
static void find_shared(struct keeper *k, char *shared, size_t len)
{
	char place[PATH_MAX];

	shared[0] = '\0';
	if (k->s.cfg.share != SHARE_USER || !k->s.drv->find_shared ||
	    copy_place(k->s.drv, &k->s.cfg, place, sizeof(place)) < 0 ||
	    k->s.drv->find_shared(place, k->req.user, shared, len) < 0)
		shared[0] = '\0';
}

/* Reserve a session slot: caps are checked and the record written under the lock. */
static int reserve_slot(struct keeper *k, struct tw_err *err)
{
	int r = ledger_init(TW_RUNDIR);
	if (r < 0) {
		tw_err_set(err, 0, "cannot prepare %s (%s)", TW_RUNDIR, strerror(-r));
		return r;
	}
	char sig[LEDGER_OPTIONS_MAX];
	struct census c = { .k = k,
			    .pool_sig = keeper_pool_wanted(k, sig, sizeof(sig)) ? sig : NULL };
	char shared[NAMES_CONTAINER_MAX + 1];
	_cleanup_(copy_elsewhere_free) struct copy_elsewhere others;
	count_elsewhere(k, &others);
	c.all = others.all;
	c.mine = others.user;
	find_shared(k, shared, sizeof(shared));
	if ((r = keeper_net_subnet(&k->s.cfg, &k->s.subnet, err)) < 0)
		return r;
	_cleanup_close_ int lock = ledger_lock(TW_RUNDIR);
	if (lock < 0 || (r = ledger_foreach(TW_RUNDIR, take_census, &c)) < 0) {
		tw_err_set(err, 0, "cannot read the session ledger");
		return lock < 0 ? lock : r;
	}
	/* Under the lock: two first logins at once still make one copy. */
	if (k->s.join[0]) {
		tw_err_set(err, 0, "joining session %s", k->s.join);
		return -EEXIST;
	}
	/* The user's copy that sessions of other front doors share: no new sandbox. */
	if (shared[0]) {
		memcpy(k->s.container, shared, sizeof(k->s.container));
		k->s.attached = true;
	} else if (c.mine >= k->s.cfg.max_sessions_per_user) {
		tw_err_set(err, 0, "you already have %u sandboxes, the limit", c.mine);
		return -EUSERS;
	}
	/* A pooled copy becomes this session's (same id): it is counted already. */
	if (c.have_pooled) {
		memcpy(k->req.session, c.pooled.session, sizeof(k->req.session));
		memcpy(k->s.container, c.pooled.container, sizeof(k->s.container));
		k->s.pooled = true;
	} else if (!k->s.attached && c.all >= k->s.cfg.max_sessions) {
		tw_err_set(err, 0, "the %s already runs its limit of %llu sandboxes",
			   k->s.drv->count_elsewhere ? "cluster" : "host",
			   (unsigned long long)k->s.cfg.max_sessions);
		return -EUSERS;
	}
	r = fill_entry(k, &k->s.entry);
	/* A pooled copy has its address; a new one takes a free one now; one
	 * that another front door's session made has its own already. */
	if (r == 0 && c.have_pooled)
		memcpy(k->s.entry.addr, c.pooled.addr, sizeof(k->s.entry.addr));
	else if (r == 0 && !k->s.attached &&
		 (r = keeper_net_pick(&k->s.cfg, &k->s.subnet, others_of(k, &others),
				      k->s.entry.addr, sizeof(k->s.entry.addr), err)) < 0)
		return r;
	if (r == 0)
		r = ledger_write(TW_RUNDIR, &k->s.entry);
	if (r < 0)
		tw_err_set(err, 0, "cannot write the session ledger (%s)", strerror(-r));
	return r;
}

/*
 * The copy's address clashed with another front door's copy (its make said
 * -EADDRINUSE, having deleted what it made): another one, picked as
 * reserve_slot picks, into this session's record. The record still holds
 * the old one while the pick reads the ledger: that one is left out too.
 */
static int repick(struct keeper *k, struct tw_err *err)
{
	_cleanup_(copy_elsewhere_free) struct copy_elsewhere others;
	count_elsewhere(k, &others);
	_cleanup_close_ int lock = ledger_lock(TW_RUNDIR);
	if (lock < 0)
		return tw_err_set(err, lock, "cannot read the session ledger");
	int r = keeper_net_pick(&k->s.cfg, &k->s.subnet, others_of(k, &others), k->s.entry.addr,
				sizeof(k->s.entry.addr), err);
	if (r == 0 && (r = ledger_write(TW_RUNDIR, &k->s.entry)) < 0)
		tw_err_set(err, r, "cannot write the session ledger (%s)", strerror(-r));
	return r < 0 ? r : keeper_net_spec(&k->s.subnet, k->s.entry.addr, &k->s.net, err);
}

static int make_socket(struct keeper *k, struct tw_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/sock/%s", TW_RUNDIR, k->req.session);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || n < 0 || (size_t)n >= sizeof(sa.sun_path))
		goto fail;
	unlink(sa.sun_path);
	/* The directory is root-owned 0711: nobody can swap the path between these calls. */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chown(sa.sun_path, k->req.uid, k->req.gid) < 0 || chmod(sa.sun_path, 0600) < 0 ||
	    listen(fd, 16) < 0)
		goto fail;
	snprintf(k->s.sockpath, sizeof(k->s.sockpath), "%s", sa.sun_path); /* PATH_MAX > sun_path */
	k->s.listenfd = fd;
	return 0;
fail:
	tw_err_set(err, 0, "cannot create the session socket (%s)", strerror(errno));
	if (fd >= 0)
		close(fd);
	return -EIO;
}

/* With the module's debug argument: how long each step of the start took. */
static void step_done(const struct keeper *k, const char *step, uint64_t *t)
{
	char ms[32];
	uint64_t now = util_now_ms();
	if (k->req.debug) {
		snprintf(ms, sizeof(ms), "%llu", (unsigned long long)(now - *t));
		log_event(LOG_DEBUG, "debug", "session", k->req.session, "step", step, "ms", ms,
			  NULL);
	}
	*t = now;
}

/*
 * The copy this session was to take could not be had: a pooled copy that
 * could not be adopted (destroyed: its post-stop hook still finds the
 * record naming it), or a shared one that stopped meanwhile. It makes one
 * of its own, under its own name, the usual way.
 */
static int own_copy(struct keeper *k, const char *why)
{
	log_event(LOG_WARNING, "error", "session", k->req.session, "container", k->s.container,
		  "reason", why, NULL);
	if (k->s.pooled)
		keeper_abort_copy(k);
	k->s.pooled = k->s.attached = false;
	memcpy(k->s.container, k->s.hostname, sizeof(k->s.container));
	memcpy(k->s.entry.container, k->s.container, sizeof(k->s.container));
	return ledger_write(TW_RUNDIR, &k->s.entry);
}

/* A pooled copy that could not be adopted: now made like any other. */
static int prepare_copy(struct keeper *k, struct tw_err *err)
{
	return copy_prepare(k->s.drv, &k->s.spec, &k->s.copy, err);
}

/* The copy made; with another front door's copy on its address, again on another. */
static int make_addressed(struct keeper *k, struct tw_err *err)
{
	int r = copy_make(k->s.copy, err);
	for (unsigned tries = 1; r == -EADDRINUSE && tries < KEEPER_ADDR_TRIES; tries++) {
		log_event(LOG_WARNING, "error", "session", k->req.session, "container",
			  k->s.container, "reason", err->msg, NULL);
		copy_free(k->s.copy);
		k->s.copy = NULL;
		if ((r = repick(k, err)) < 0 || (r = prepare_copy(k, err)) < 0)
			return r;
		r = copy_make(k->s.copy, err);
	}
	return r;
}

static int create_copy(struct keeper *k, struct tw_err *err)
{
	uint64_t t = util_now_ms();
	struct tw_err e = { 0 };
	int r = k->s.copy ? 0 : prepare_copy(k, err);
	/* The one copy this keeper makes: the driver readies the process for it. */
	if (r == 0)
		r = copy_prepare_process(k->s.drv, &k->s.spec, err);
	if (r < 0 || (r = make_addressed(k, err)) < 0)
		return r;
	step_done(k, "clone", &t);
	r = copy_start(k->s.copy, (unsigned)k->s.cfg.start_timeout * 1000, &e);
	step_done(k, "start", &t);
	if (r < 0) {
		/* The user hears that it failed; the admin's log says why. */
		tw_err_set(err, 0, "the copy '%s' did not start", k->s.container);
		log_event(LOG_ERR, "error", "session", k->req.session, "container", k->s.container,
			  "reason", e.msg, NULL);
		return r;
	}
	/* The user's files are written while the spare is attached (2 cores),
	 * unless the login waits for ready: then the spare comes after it, while
	 * sshd finishes the login. */
	int job = -1;
	r = keeper_populate_begin(k, &job, err);
	if (r < 0)
		return r;
	if (!k->req.wait)
		keeper_make_spare(k);
	r = keeper_populate_end(k, job, err);
	step_done(k, "populate", &t);
	return r;
}

/*
 * An unprivileged copy maps only the user's own uid and gid through, below
 * SUBID_COUNT, and needs root's subordinate ids. Other groups of the user
 * have no id inside, so the user's programs run with the primary one only.
 */
static int check_userns(struct keeper *k, struct tw_err *err)
{
	if (!k->s.cfg.userns)
		return 0;
	if (k->req.uid >= SUBID_COUNT || k->req.gid >= SUBID_COUNT) {
		tw_err_set(err, 0, "your uid or gid is above %u, which userns = yes cannot map",
			   SUBID_COUNT - 1);
		return -ERANGE;
	}
	k->req.groups[0] = k->req.gid;
	k->req.n_groups = 1;
	return subid_check(k->req.uid, k->req.gid, err->msg, sizeof(err->msg));
}

int keeper_setup(struct keeper *k, struct tw_err *err)
{
	int r = check_home(k, err);
	if (r < 0 || (r = load_config(k, err)) < 0 || (r = check_userns(k, err)) < 0)
		return r;
	r = names_container(k->s.cfg.name, k->s.cfg.origin, k->req.user, k->req.uid, k->req.session,
			    k->s.hostname);
	if (r < 0) {
		tw_err_set(err, 0, "cannot make a copy name from the template '%s'", k->s.cfg.name);
		return r;
	}
	memcpy(k->s.container, k->s.hostname, sizeof(k->s.container));
	k->s.drv = copy_driver_of(&k->s.cfg);
	if ((r = copy_driver_loaded(k->s.drv, err)) < 0)
		return r;
	k->s.spec = (struct copy_spec){ .cfg = &k->s.cfg,
					.name = k->s.container,
					.session = k->req.session,
					.home = k->req.home,
					.user = k->req.user,
					.uid = k->req.uid,
					.gid = k->req.gid,
					.debug = k->req.debug };
	/* All of them: a privileged copy's binds keep these ids (userns = yes kept the primary). */
	k->s.spec.groups = k->req.groups;
	k->s.spec.n_groups = k->req.n_groups;
	if ((r = reserve_slot(k, err)) < 0 ||
	    (r = keeper_net_spec(&k->s.subnet, k->s.entry.addr, &k->s.net, err)) < 0)
		return r;
	if (k->s.entry.addr[0]) {
		k->s.spec.address = k->s.net.address;
		k->s.spec.gateway = k->s.net.gateway;
	}
	/* On a systemd host the keeper starts in the user's session scope: leave
	 * it. Failing, it stays where it was; nothing depends on it. */
	cgroup_enter_own(CGROUP_ROOT);
	int fd = util_pidfd_open(k->req.caller);
	if (fd < 0) {
		tw_err_set(err, 0, "the login process is gone");
		return fd;
	}
	k->s.callers[k->s.n_callers++] = (struct caller){ .pid = k->req.caller, .fd = fd };
	/* What makes most logins fail is known now, while the login still waits. */
	if (!k->s.pooled && !k->s.attached && (r = prepare_copy(k, err)) < 0)
		return r;
	return make_socket(k, err);
}

/* share = user: the copy the user's sessions share, made on another front door; holds it. */
static int attach_copy(struct keeper *k, struct tw_err *err)
{
	return copy_open(k->s.drv, &k->s.spec, &k->s.copy, err);
}

int keeper_make_copy(struct keeper *k, struct tw_err *err)
{
	int r;
	/* A pooled copy that cannot be adopted is replaced by a fresh one. */
	if (k->s.pooled && keeper_pool_adopt(k, err) < 0 && (r = own_copy(k, err->msg)) < 0)
		return r;
	if (k->s.attached && attach_copy(k, err) < 0 && (r = own_copy(k, err->msg)) < 0)
		return r;
	if (!k->s.pooled && !k->s.attached && (r = create_copy(k, err)) < 0)
		return r;
	strcpy(k->s.entry.state, "running");
	return ledger_write(TW_RUNDIR, &k->s.entry);
}

void keeper_abort_copy(struct keeper *k)
{
	if (k->s.copy) {
		copy_stop(k->s.copy);
		copy_free(k->s.copy);
		k->s.copy = NULL;
	} else if (k->s.drv && k->s.container[0] && k->s.entry.lxcpath[0]) {
		k->s.drv->destroy(k->s.entry.lxcpath, k->s.container, k->req.session);
	}
	k->s.container[0] = '\0';
}

void keeper_abort(struct keeper *k)
{
	keeper_abort_copy(k);
	if (k->s.sockpath[0])
		unlink(k->s.sockpath);
	if (k->s.entry.session[0])
		ledger_remove(TW_RUNDIR, k->s.entry.session);
}
