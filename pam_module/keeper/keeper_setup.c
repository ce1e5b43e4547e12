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

#include "cleanup.h"
#include "copy.h"
#include "keeper.h"
#include "keys.h"
#include "log.h"
#include "proto.h"
#include "safefs.h"
#include "subid.h"
#include "util.h"

static int copy_field(char *dst, size_t max, const char *v)
{
	if (!v || strlen(v) >= max)
		return -EBADMSG;
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

/* One "GID:NAME" of the request's groups. */
static int read_group(struct keeper *k, const char *v)
{
	const char *colon;
	uint64_t gid;
	if (util_parse_u64(v, UINT32_MAX - 1, &colon, &gid) < 0 || *colon != ':' ||
	    strlen(colon + 1) > CONFIG_GROUP_NAME_MAX || k->n_groups >= KEEPER_MAX_GROUPS)
		return -EBADMSG;
	if (!(k->group_names[k->n_groups] = strdup(colon + 1)))
		return -ENOMEM;
	k->groups[k->n_groups++] = (gid_t)gid;
	return 0;
}

/*
 * The user's gid, home and groups (primary first), looked up by the module
 * where NSS is loaded already, and so not again here, on the login's path.
 */
static int read_ids(struct keeper *k, const struct proto_msg *m)
{
	unsigned long long gid;
	if (proto_getu(m, "gid", UINT32_MAX - 1, &gid) < 0 ||
	    copy_field(k->home, sizeof(k->home), proto_get(m, "home")) < 0)
		return -EBADMSG;
	for (size_t i = 0; i < m->n; i++) {
		int r = strcmp(m->keys[i], "group") == 0 ? read_group(k, m->vals[i]) : 0;
		if (r < 0)
			return r;
	}
	k->gid = (gid_t)gid;
	return k->n_groups > 0 && k->groups[0] == k->gid ? 0 : -EBADMSG;
}

int keeper_read_request(struct keeper *k, int fd, char *err)
{
	struct proto_msg m;
	unsigned long long uid, caller;
	int r = proto_recv(fd, &m, NULL, 0, NULL, 10000);
	if (r < 0) {
		snprintf(err, KEEPER_ERR_MAX, "no request from the PAM module (%s)", strerror(-r));
		return r;
	}
	if (strcmp(m.type, "open") != 0 || copy_field(k->session, sizeof(k->session), proto_get(&m, "session")) < 0 ||
	    !names_session_valid(k->session) || copy_field(k->user, sizeof(k->user), proto_get(&m, "user")) < 0 ||
	    proto_getu(&m, "uid", UINT32_MAX - 1, &uid) < 0 || proto_getu(&m, "caller", INT32_MAX, &caller) < 0 ||
	    copy_field(k->config_path, sizeof(k->config_path), proto_get(&m, "config")) < 0) {
		proto_free(&m);
		snprintf(err, KEEPER_ERR_MAX, "malformed request from the PAM module");
		return -EBADMSG;
	}
	k->uid = (uid_t)uid;
	k->caller = (pid_t)caller;
	/* Optional fields: absent or too long become empty. */
	copy_field(k->rhost, sizeof(k->rhost), proto_get(&m, "rhost"));
	copy_field(k->service, sizeof(k->service), proto_get(&m, "service"));
	copy_field(k->auth_info, sizeof(k->auth_info), proto_get(&m, "auth_info"));
	k->debug = proto_get(&m, "debug") != NULL;
	k->wait = proto_get(&m, "wait") != NULL;
	r = read_ids(k, &m);
	proto_free(&m);
	if (r < 0)
		snprintf(err, KEEPER_ERR_MAX, "malformed request from the PAM module");
	return r;
}

/* A home we put into a mount entry: absolute, plain characters, no "..". */
static bool home_ok(const char *h)
{
	static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-/@+";
	size_t n = strlen(h);
	return h[0] == '/' && n > 1 && strspn(h, ok) == n && !strstr(h, "/../") && !strstr(h, "/./") &&
	       !(n >= 3 && strcmp(h + n - 3, "/..") == 0);
}

static int check_home(struct keeper *k, char *err)
{
	if (home_ok(k->home))
		return 0;
	snprintf(err, KEEPER_ERR_MAX, "the home directory '%.64s' cannot be used", k->home);
	return -EINVAL;
}

static int load_config(struct keeper *k, char *err)
{
	struct config_who who = { .user = k->user, .groups = (const char *const *)k->group_names,
				  .n_groups = k->n_groups };
	return config_load_trusted(k->config_path, &who, &k->cfg, err);
}

/* "storage=dir keep=yes network=veth:br0 …": what throwawayctl show prints. */
static int format_options(const struct config *c, char *buf, size_t len)
{
	size_t off;
	int n = snprintf(buf, len, "storage=%s keep=%s userns=%s network=%s share=%s boot=%s",
			 c->storage == STORAGE_DIR ? "dir" : "tmpfs", c->keep ? "yes" : "no",
			 c->userns ? "yes" : "no", c->network,
			 c->share == SHARE_USER ? "user" : "session",
			 c->boot == BOOT_MINIMAL ? "minimal" : "init");
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
	e->uid = k->uid;
	e->keeper = getpid();
	util_proc_starttime(e->keeper, &e->keeper_start);
	e->caller = k->caller;
	e->started_ms = util_wall_ms();
	e->started = (time_t)(e->started_ms / 1000);
	e->logins = 1;
	return format_options(&k->cfg, e->options, sizeof(e->options)) ?:
	       util_strscpy(e->share, sizeof(e->share),
			    k->cfg.share == SHARE_USER ? "user" : "session") ?:
	       util_strscpy(e->session, sizeof(e->session), k->session) ?:
	       util_strscpy(e->user, sizeof(e->user), k->user) ?:
	       util_strscpy(e->container, sizeof(e->container), k->container) ?:
	       util_strscpy(e->lxcpath, sizeof(e->lxcpath), k->cfg.lxcpath) ?:
	       util_strscpy(e->origin, sizeof(e->origin), k->cfg.origin) ?:
	       util_strscpy(e->state, sizeof(e->state), "starting") ?:
	       util_strscpy(e->rhost, sizeof(e->rhost), k->rhost) ?:
	       util_strscpy(e->service, sizeof(e->service), k->service);
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
	if (!ledger_entry_live(e))
		return 0;
	c->all++;
	c->mine += e->uid == k->uid;
	/* share = user: a live copy of this user's that later logins join. */
	if (k->cfg.share == SHARE_USER && !k->join[0] && e->uid == k->uid &&
	    strcmp(e->share, "user") == 0 && strcmp(e->state, "stopping") != 0)
		memcpy(k->join, e->session, sizeof(k->join));
	if (c->pool_sig && !c->have_pooled && keeper_pool_match(c->pool_sig, e)) {
		c->pooled = *e;
		c->have_pooled = true;
	}
	return 0;
}

/* Reserve a session slot: caps are checked and the record written under the lock. */
static int reserve_slot(struct keeper *k, char *err)
{
	int r = ledger_init(TW_RUNDIR);
	if (r < 0) {
		snprintf(err, KEEPER_ERR_MAX, "cannot prepare %s (%s)", TW_RUNDIR, strerror(-r));
		return r;
	}
	char sig[LEDGER_OPTIONS_MAX];
	struct census c = { .k = k, .pool_sig = keeper_pool_wanted(k, sig, sizeof(sig)) ? sig : NULL };
	_cleanup_close_ int lock = ledger_lock(TW_RUNDIR);
	if (lock < 0 || (r = ledger_foreach(TW_RUNDIR, take_census, &c)) < 0) {
		snprintf(err, KEEPER_ERR_MAX, "cannot read the session ledger");
		return lock < 0 ? lock : r;
	}
	/* Under the lock: two first logins at once still make one copy. */
	if (k->join[0]) {
		snprintf(err, KEEPER_ERR_MAX, "joining session %s", k->join);
		return -EEXIST;
	}
	if (c.mine >= k->cfg.max_sessions_per_user) {
		snprintf(err, KEEPER_ERR_MAX, "you already have %u sandboxes, the limit", c.mine);
		return -EUSERS;
	}
	/* A pooled copy becomes this session's (same id): it is counted already. */
	if (c.have_pooled) {
		memcpy(k->session, c.pooled.session, sizeof(k->session));
		memcpy(k->container, c.pooled.container, sizeof(k->container));
		k->pooled = true;
	} else if (c.all >= k->cfg.max_sessions) {
		snprintf(err, KEEPER_ERR_MAX, "the host already runs its limit of %llu sandboxes",
			 (unsigned long long)k->cfg.max_sessions);
		return -EUSERS;
	}
	r = fill_entry(k, &k->entry);
	if (r == 0)
		r = ledger_write(TW_RUNDIR, &k->entry);
	if (r < 0)
		snprintf(err, KEEPER_ERR_MAX, "cannot write the session ledger (%s)", strerror(-r));
	return r;
}

/* On a systemd host the keeper starts in the user's session scope (the filler
 * in a unit's cgroup): leave it. */
void keeper_leave_caller_cgroup(void)
{
	if (access("/sys/fs/cgroup/cgroup.controllers", F_OK) < 0)
		return; /* not the unified layout */
	if (mkdir("/sys/fs/cgroup/throwaway", 0755) < 0 && errno != EEXIST)
		return;
	int fd = open("/sys/fs/cgroup/throwaway/cgroup.procs", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "0", 1) < 0) {
			/* stays where it was; nothing depends on it */
		}
		close(fd);
	}
}

static int make_socket(struct keeper *k, char *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/sock/%s", TW_RUNDIR, k->session);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || n < 0 || (size_t)n >= sizeof(sa.sun_path))
		goto fail;
	unlink(sa.sun_path);
	/* The directory is root-owned 0711: nobody can swap the path between these calls. */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chown(sa.sun_path, k->uid, k->gid) < 0 ||
	    chmod(sa.sun_path, 0600) < 0 || listen(fd, 16) < 0)
		goto fail;
	snprintf(k->sockpath, sizeof(k->sockpath), "%s", sa.sun_path); /* PATH_MAX > sun_path */
	k->listenfd = fd;
	return 0;
fail:
	snprintf(err, KEEPER_ERR_MAX, "cannot create the session socket (%s)", strerror(errno));
	if (fd >= 0)
		close(fd);
	return -EIO;
}

/* With the module's debug argument: how long each step of the start took. */
static void step_done(const struct keeper *k, const char *step, uint64_t *t)
{
	char ms[32];
	uint64_t now = util_now_ms();
	if (k->debug) {
		snprintf(ms, sizeof(ms), "%llu", (unsigned long long)(now - *t));
		log_event(LOG_DEBUG, "debug", "session", k->session, "step", step, "ms", ms, NULL);
	}
	*t = now;
}

/*
 * The pooled copy could not be adopted: destroy it (its post-stop hook
 * still finds the record naming it) and make a copy the usual way.
 */
static int unpool(struct keeper *k, const char *why)
{
	log_event(LOG_WARNING, "error", "session", k->session, "container", k->container,
		  "reason", why, NULL);
	keeper_abort_copy(k);
	k->pooled = false;
	memcpy(k->container, k->hostname, sizeof(k->container));
	memcpy(k->entry.container, k->container, sizeof(k->container));
	return ledger_write(TW_RUNDIR, &k->entry);
}

/* A pooled copy that could not be adopted: now made like any other. */
static int prepare_copy(struct keeper *k, char *err)
{
	struct tw_err e = { 0 };
	int r = copy_prepare(k->drv, &k->spec, &k->copy, &e);
	if (r < 0)
		snprintf(err, KEEPER_ERR_MAX, "%s", e.msg);
	return r;
}

static int create_copy(struct keeper *k, char *err)
{
	uint64_t t = util_now_ms();
	struct tw_err e = { 0 };
	if (!k->copy && prepare_copy(k, err) < 0)
		return -EIO;
	int r = copy_make(k->copy, &e);
	step_done(k, "clone", &t);
	if (r < 0) {
		snprintf(err, KEEPER_ERR_MAX, "%s", e.msg);
		return r;
	}
	r = copy_start(k->copy, (unsigned)k->cfg.start_timeout * 1000, &e);
	step_done(k, "start", &t);
	if (r < 0) {
		/* The user hears that it failed; the admin's log says why. */
		snprintf(err, KEEPER_ERR_MAX, "the copy '%s' did not start", k->container);
		log_event(LOG_ERR, "error", "session", k->session, "container", k->container,
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
	if (!k->wait)
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
static int check_userns(struct keeper *k, char *err)
{
	if (!k->cfg.userns)
		return 0;
	if (k->uid >= SUBID_COUNT || k->gid >= SUBID_COUNT) {
		snprintf(err, KEEPER_ERR_MAX, "your uid or gid is above %u, which userns = yes cannot map",
			 SUBID_COUNT - 1);
		return -ERANGE;
	}
	k->groups[0] = k->gid;
	k->n_groups = 1;
	return subid_check(k->uid, k->gid, err, KEEPER_ERR_MAX);
}

int keeper_setup(struct keeper *k, char *err)
{
	int r = check_home(k, err);
	if (r < 0 || (r = load_config(k, err)) < 0 || (r = check_userns(k, err)) < 0)
		return r;
	r = names_container(k->cfg.name, k->cfg.origin, k->user, k->uid, k->session, k->hostname);
	if (r < 0) {
		snprintf(err, KEEPER_ERR_MAX, "cannot make a copy name from the template '%s'", k->cfg.name);
		return r;
	}
	memcpy(k->container, k->hostname, sizeof(k->container));
	k->drv = copy_driver_of(&k->cfg);
	k->spec = (struct copy_spec){ .cfg = &k->cfg, .name = k->container, .session = k->session,
				      .home = k->home, .user = k->user, .uid = k->uid, .gid = k->gid,
				      .debug = k->debug };
	if ((r = reserve_slot(k, err)) < 0)
		return r;
	keeper_leave_caller_cgroup();
	int fd = util_pidfd_open(k->caller);
	if (fd < 0) {
		snprintf(err, KEEPER_ERR_MAX, "the login process is gone");
		return fd;
	}
	k->callers[k->n_callers++] = (struct caller){ .pid = k->caller, .fd = fd };
	/* What makes most logins fail is known now, while the login still waits. */
	if (!k->pooled && (r = prepare_copy(k, err)) < 0)
		return r;
	return make_socket(k, err);
}

int keeper_make_copy(struct keeper *k, char *err)
{
	int r;
	/* A pooled copy that cannot be adopted is replaced by a fresh one. */
	if (k->pooled && keeper_pool_adopt(k, err) < 0 && (r = unpool(k, err)) < 0)
		return r;
	if (!k->pooled && (r = create_copy(k, err)) < 0)
		return r;
	strcpy(k->entry.state, "running");
	return ledger_write(TW_RUNDIR, &k->entry);
}

void keeper_abort_copy(struct keeper *k)
{
	if (k->copy) {
		copy_stop(k->copy);
		copy_free(k->copy);
		k->copy = NULL;
	} else if (k->drv && k->container[0] && k->cfg.lxcpath) {
		k->drv->destroy(k->cfg.lxcpath, k->container);
	}
	k->container[0] = '\0';
}

void keeper_abort(struct keeper *k)
{
	keeper_abort_copy(k);
	if (k->sockpath[0])
		unlink(k->sockpath);
	if (k->entry.session[0])
		ledger_remove(TW_RUNDIR, k->entry.session);
}
