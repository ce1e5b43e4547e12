/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Copy lifecycle with liblxc: clone the origin as an overlay snapshot,
 * harden and configure the copy, start it from a short-lived child, attach
 * programs as the user, stop it (which destroys it: the post-stop hook).
 * Callers must have reset signal dispositions and the mask (liblxc breaks
 * with SIGCHLD ignored) and run as root.
 */
#ifndef THROWAWAY_CONTAINER_H
#define THROWAWAY_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cgroup.h"
#include "config.h"
#include "copy.h"

struct lxc_container;

struct ctr_params {
	const struct config *cfg;
	const char *name;    /* copy name, also its hostname */
	const char *session; /* passed to the hooks */
	const char *hook;    /* path of throwaway-hook */
	const char *home;    /* the user's home (validated) */
	const char *user;    /* the user's name, for kept data (keep = yes) */
	uid_t uid;           /* the session user, passed through with userns */
	gid_t gid;
	const gid_t *groups; /* all the user's: with userns = no, their ids on binds */
	size_t n_groups;
	char *ret_lower;     /* out: the origin's rootfs directory (PATH_MAX) */
	const char *logfile; /* liblxc's debug log (the module's debug argument), or NULL */
	bool pool;           /* a copy made ahead of logins: no user yet (see keeper_pool.c) */
	const char *address; /* network = veth: "A.B.C.D/P" and the gateway (copy.h) */
	const char *gateway;
};

/* In a copy's directory: the session id. Only copies carrying it are ours. */
#define CTR_MARKER "throwaway.session"

/* boot = minimal: the init on the host, and where copies see it. */
#define CTR_INIT LIBEXECDIR "/throwaway-init"
#define CTR_INIT_REL ".throwaway-init"
#define CTR_INIT_INSIDE "/" CTR_INIT_REL

/* The lock between starting copies and removing idle parent cgroups (ctr_cgroup_lock). */
#define CTR_CGROUP_LOCK "/run/throwaway/cgroup.lock"

/* Where a userns copy's idmapped lower layer is mounted (copy_mounts.c). */
#define CTR_LOWER_DIR "/run/throwaway/lower"

/* Not an id: the map of a pooled copy, where every user's ids pass through. */
#define CTR_POOL_ID 0xffffffffU

/*
 * Where a privileged copy's binds are staged, idmapped, before its start:
 * CTR_BINDS_DIR/<session>/<i>, i = 0 ... (copy_mounts.c). At most the home
 * and every configured bind.
 */
#define CTR_BINDS_DIR "/run/throwaway/binds"
#define CTR_BINDS_MAX (CONFIG_MAX_BINDS + 1)

/*
 * The ids that exist on a privileged copy's binds, and on a pooled copy's
 * of either kind: the user's uid, gid and groups, each as itself; every
 * other id, root's first, has none there.
 */
#define CTR_IDS_MAX_GROUPS 64
struct ctr_ids {
	uid_t uid;
	gid_t gid;
	const gid_t *groups;
	size_t n_groups; /* the first CTR_IDS_MAX_GROUPS count */
};

/*
 * copy_mounts.c: a copy's upper tmpfs and idmapped lower, made by
 * ctr_create in the calling process's own mount namespace before the copy
 * starts; ctr_release_mounts undoes them there (before a destroy in this
 * process, and in the post-stop hook).
 */
/*
 * mount_ns.c: ctr_mount_namespace gives the calling process that
 * namespace, called once, before the process's first ctr_create (the
 * driver's prepare_process); each call makes a new one. It is a slave of
 * the one the process was in (a host mount that reaches us also goes when
 * the host unmounts it), and holds only the mounts the process needs of
 * it: those on the way to each keep[i].path, and with tree every mount
 * beneath it too; every other is detached. ctr_mount_kept is that rule.
 */
struct ctr_keep {
	const char *path;
	bool tree;
};
int ctr_mount_namespace(const struct ctr_keep *keep, size_t n);
bool ctr_mount_kept(const char *mnt, const struct ctr_keep *keep, size_t n);

int ctr_mount_upper(const char *copydir, unsigned long long size, uid_t root);
int ctr_mount_lower(const char *lower, const char *mnt, unsigned uid, unsigned gid);
void ctr_release_mounts(const char *copydir, const char *session);

/*
 * A detached copy of the host's tree at src for a copy's bind: nosuid,
 * nodev, read-only with ro, only its top mount, idmapped so that only
 * the ids exist on it: a file there can neither be made by nor given to any
 * other id, root's least of all. Its fd, or -errno (-EINVAL: src's file
 * system cannot be idmapped).
 */
int ctr_bind_tree(const char *src, bool ro, const struct ctr_ids *ids);
/* The same, mounted at mnt (a staged bind). */
int ctr_mount_bind(const char *src, const char *mnt, bool ro, const struct ctr_ids *ids);
/* The staged bind i of session into buf (i = SIZE_MAX: their directory). */
int ctr_staged_bind(char *buf, size_t len, const char *session, size_t i);

/*
 * What a copy needs that can be checked before making it: the devices and
 * the bridge the config names, and an origin that exists and is stopped
 * (opened into *ret_origin). err gets a sentence for the user.
 */
int ctr_check(const struct config *cfg, struct lxc_container **ret_origin, struct tw_err *err);

/*
 * Copy the origin (o, from ctr_check, taken over; NULL: checked and
 * opened here) into cfg->lxcpath as NAME, an overlay over the origin's
 * rootfs, and write its hardened configuration. On failure the half-made
 * copy is removed. err gets a sentence for the user. Returns 0 / -errno
 * with *ret set on success.
 */
int ctr_create(const struct ctr_params *p, struct lxc_container *o, struct lxc_container **ret,
	       struct tw_err *err);

/*
 * Write the copy's configuration (its hardening, limits, ids, binds,
 * devices, hooks) into c and save it. A key liblxc refuses is named in
 * err with its value. Exposed for tests.
 */
int ctr_configure(struct lxc_container *c, const struct ctr_params *p, struct tw_err *err);

/*
 * Where a copy's cgroups go (cgroup.h): its payload below CGROUP_COPIES/
 * parent, the parent of a user's copies (u<uid>) or of pooled ones, and
 * the memory caps of that parent and of all copies: memory_max_per_user
 * (config_memory_per_user) for a user's, none of its own for the pool's
 * (they have no user yet), and memory_max_total, or nine tenths of the
 * host's memory.
 */
struct ctr_cgroup {
	char parent[CGROUP_PARENT_MAX];
	struct cgroup_caps caps;
};
void ctr_cgroup_plan(const struct config *cfg, bool pool, uid_t uid, struct ctr_cgroup *ret);

/*
 * CTR_CGROUP_LOCK: held shared while a copy's parent is made with its caps
 * and liblxc makes the copy's cgroups below it (ctr_start), and exclusive
 * while idle parents are removed, so that no parent is removed between
 * the two (liblxc would make it again, without its cap). Shared waits;
 * exclusive tries for wait_ms (-EBUSY: copies are starting, try later).
 * An fd to close, or -errno.
 */
int ctr_cgroup_lock(bool exclusive, unsigned wait_ms);

/*
 * After a copy below PARENT ended: remove PARENT if it is idle
 * (cgroup_remove_parent); not while another copy runs below it, and
 * never the pool's (gc's). What the
 * copy charged may take seconds to go (its last mounts are let go
 * lazily): while it is charged, a grandchild of the caller, which nobody
 * waits for, looks again for some seconds (the caller may be a login's
 * close that sshd waits on); after that, gc does it.
 */
void ctr_cgroup_release(const char *parent);

/*
 * gc's part: what childless parents charged reclaimed, then every idle
 * parent removed, the lock taken within wait_ms; how many went.
 */
unsigned ctr_cgroup_sweep(unsigned wait_ms);

/*
 * Start c daemonized from a forked child (whose cgroup liblxc takes),
 * killed if it takes longer than timeout_ms, its cgroups below cg's parent
 * (made first, with its caps, under ctr_cgroup_lock; cg NULL: neither, for
 * tests of the start itself). On failure err says so, with liblxc's last
 * complaint.
 */
int ctr_start(struct lxc_container *c, const struct ctr_cgroup *cg, unsigned timeout_ms,
	      struct tw_err *err);

/*
 * Stop c from a forked child while this process reaps every child of its
 * own (attached processes must be reaped for the copy's init to finish).
 * Stopping destroys the copy (the post-stop hook). Then remove what is
 * left: the copy if still defined (with liblxc), and its lock file.
 */
int ctr_stop(struct lxc_container *c);

/* A pidfd of the lxc monitor of the copy whose init initfd is (its parent on the host). */
int ctr_monitor_pidfd(int initfd);

/* SIGKILL to the copy's init (initfd, a pidfd); an init already gone is no error. */
int ctr_kill_init(int initfd);

/*
 * Stop c as ctr_stop does, by SIGKILL to its init (initfd, a pidfd), which
 * is all liblxc's stop() has the monitor do, and wait for the monitor
 * (monitorfd) to finish: cgroups, post-stop hook (the destroy), exit. Saves
 * the stopper process and the command round trip. Either fd < 0: ctr_stop.
 */
int ctr_stop_init(struct lxc_container *c, int initfd, int monitorfd);

/* Remove the empty lxc.monitor/lxc.payload cgroups of copy NAME; how many went. */
unsigned ctr_remove_cgroups(const char *name);

/*
 * Stop (if running) and destroy the copy NAME in LXCPATH; for cleanup
 * paths. A copy whose monitor died has its processes killed through its
 * payload cgroup and its cgroups removed.
 */
int ctr_destroy(const char *lxcpath, const char *name);

/*
 * Start fn(data) as the running copy's root, in a forked child that joined
 * its user (if any) and mount namespaces, at its root (container_live.c):
 * paths resolve in the copy, files it makes get owners of the copy's user
 * namespace. fn returns 0 or a positive errno. Returns 0 or -errno, and
 * the child in *ret_pid, which the caller may not reap otherwise:
 * ctr_run_end(pid) waits for it and gives 0 or fn's -errno.
 */
int ctr_run_as_root_begin(struct lxc_container *c, int (*fn)(void *), void *data, pid_t *ret_pid);
int ctr_run_end(pid_t pid);

/*
 * Write files (copy.h) into the running copy from a child that is its root
 * (ctr_run_as_root_begin); ctr_run_end(*ret_pid) waits for it (files.c).
 */
int ctr_write_files_begin(struct lxc_container *c, const struct copy_file *f, size_t n,
			  pid_t *ret_pid);

/* throwawayctl doctor's look at an origin (origin.c). */
size_t ctr_check_origin(const char *place, const char *origin,
			struct copy_finding ret[COPY_FINDINGS_MAX]);

/*
 * Remove a stopped copy's directory (retire.c): by fds, no symlink
 * followed, no other file system entered, its config last. The only way
 * a copy is removed: liblxc's destroy() walks the upper layer, which the
 * copy's user could write, by path as root.
 */
int ctr_remove_dir(const char *copydir);

/* throwawayctl's look at a copy (usage.c): the copy_driver usage and running operations. */
void ctr_usage(const char *place, const char *name, const struct copy_usage_want *want,
	       struct copy_usage *ret);
bool ctr_running(const char *place, const char *name);
/* The global addresses of the copy whose init is INIT, from its network namespace. */
int ctr_addresses_of(pid_t init, char *buf, size_t len);

/* gc's part (sweep.c): the copies of a place, and what gone ones left. */
int ctr_list(const char *place, int (*fn)(const struct copy_found *f, void *data), void *data);
void ctr_sweep(const char *const *places, const struct copy_liveness *live, struct copy_swept *ret);

/*
 * The network's up script (net_up.c): the copy's port on its bridge made
 * isolated. 1 when this is not that script's invocation; else the session
 * into ret_session (len > NAMES_SESSION_LEN) and 0, or -errno with err.
 */
int ctr_net_up(int argc, char **argv, char *ret_session, size_t len, struct tw_err *err);

/* The post-stop hook's work (retire.c): the copy_driver retire operation. */
int ctr_retire(int argc, char **argv, struct copy_retired *ret, struct tw_err *err);

/*
 * The copy's global addresses, space separated, into buf; waits up to
 * wait_ms for a first one. -EADDRNOTAVAIL when there is none.
 */
int ctr_addresses(struct lxc_container *c, char *buf, size_t len, unsigned wait_ms);

/*
 * For pooled copies, on a running copy (container_live.c): bind SRC from
 * the host at DST inside it (nosuid, nodev, ro if asked), idmapped to ids
 * (ctr_bind_tree), whatever the copy's own map; DST must exist.
 */
int ctr_inject_bind(struct lxc_container *c, const char *src, const char *dst, bool ro,
		    const struct ctr_ids *ids);

/*
 * Give the running copy's user namespace budgets of its own (budget.h:
 * inotify, fanotify, no user namespaces), so that what its users make
 * is bounded there and not only by root's budgets on the host. Nothing
 * for a copy without a user namespace of its own. 0 or -errno.
 */
int ctr_set_budgets(struct lxc_container *c);

/* Set the running copy's hostname (its UTS namespace). */
int ctr_set_hostname(struct lxc_container *c, const char *name);

/* The origin's root file system directory (from its lxc.rootfs.path). */
int ctr_origin_rootfs(const struct config *cfg, char *buf, size_t len);

/* Same, of the origin o already open: "dir:/path" or "/path", else -EINVAL. */
int ctr_origin_dir(struct lxc_container *o, char *buf, size_t len);

/* Does PATH exist inside the running copy (resolved in its root and mounts)? */
bool ctr_path_exists(struct lxc_container *c, const char *path);

/*
 * The directories every copy of the user shares with the others: the
 * bound home and each bind, as seen inside. The user's programs make no
 * socket or FIFO there (landlock.h): that would be a channel between two
 * copies of one user, which could pass fds that keep a copy that ended
 * alive. Built from the copy's spec (ctr_shared_of).
 */
struct ctr_shared {
	const char *dirs[CONFIG_MAX_BINDS + 1];
	size_t n;
};
void ctr_shared_of(const struct config *cfg, const char *home, struct ctr_shared *ret);

/*
 * Run a program inside the running copy as x->uid, in a session of its
 * own, restricted as to shared; returns its pid (our child). With x->pty
 * the program gets a terminal from the copy's own devpts as its
 * controlling terminal and stdio, and *ret_master receives the master side
 * (close-on-exec).
 */
int ctr_attach(struct lxc_container *c, const struct copy_exec *x, const struct ctr_shared *shared,
	       pid_t *ret_pid, int *ret_master);

/*
 * A spare: a process attached as who->uid (who's gid and groups) ahead of
 * the first program, waiting on *ret_sock for what to run; its pid is our
 * child's. ctr_spare_run hands it x (x's ids are the spare's) and, with
 * x->pty, gets the terminal's master. Either way the socket is then spent.
 * What it runs is restricted as to shared (copied: it need not outlive the call).
 */
int ctr_spare(struct lxc_container *c, const struct copy_exec *who, const struct ctr_shared *shared,
	      pid_t *ret_pid, int *ret_sock);
int ctr_spare_run(int sock, const struct copy_exec *x, int *ret_master);

#endif
