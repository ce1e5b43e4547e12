/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The copy driver interface: everything the keeper, the hook, gc and
 * throwawayctl may ask of a session's copy, whatever makes it. One driver
 * per kind of copy (common/copy/<driver>/), one table of operations each,
 * as lxc's storage backends do (struct lxc_storage_ops).
 *
 * Written for a driver whose copies may run on another machine: a caller
 * never sees a host path, a pid or a pidfd of a copy. What it gets is a
 * handle (struct copy), a name and a place (where copies of this driver
 * live, in the driver's own terms: an lxcpath for lxc), a pollable fd that
 * reports the copy's end, and, for a program run inside, a local process
 * that stands for it: its exit status is the program's, and a signal sent
 * to its process group reaches the program.
 *
 * Callers run as root with signal dispositions and the mask reset, and
 * reap their children (a driver may run helpers as children). Every
 * operation that can fail for a reason worth telling fills a struct tw_err.
 */
#ifndef THROWAWAY_COPY_H
#define THROWAWAY_COPY_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "err.h"
#include "netaddr.h"

struct copy;

/*
 * What every copy's root goes without, in a user namespace or not, on
 * either driver. net_admin and net_raw too: on a bridge they would let it
 * take other addresses, answer ARP, DHCP and router advertisements for
 * other copies, and reach nf_tables and the rest of netlink's kernel
 * surface; its address comes from the host (lxc's set_network), so it
 * needs neither.
 */
#define COPY_CAPS_DROPPED                                                                \
	"sys_admin sys_module sys_time sys_rawio sys_boot mac_admin mac_override mknod " \
	"sys_ptrace sys_pacct syslog wake_alarm block_suspend audit_control "            \
	"linux_immutable net_admin net_raw"

/* What a copy is made from. Strings are borrowed for the handle's life. */
struct copy_spec {
	const struct config *cfg;
	const char *name;    /* the copy's name, also its hostname */
	const char *session; /* the session it belongs to (its marker) */
	const char *home;    /* the user's home (validated), bound when cfg->bind_home */
	const char *user;    /* the user's name, for kept data (keep = yes) */
	uid_t uid;           /* the session's user, passed through with userns */
	gid_t gid;
	const gid_t *groups; /* all the user's groups: the ids a privileged copy's binds keep */
	size_t n_groups;
	bool debug; /* the driver keeps a full log of this copy */
	bool pool;  /* made ahead of logins: no user yet */
	/* network = veth: its address on the bridge ("A.B.C.D/P", unique among
	 * live copies) and its gateway, chosen by the caller: no DHCP inside */
	const char *address;
	const char *gateway;
};

/* What other front doors' copies hold in a place they share with this one. */
struct copy_elsewhere {
	unsigned all, user; /* copies: every one, the user's */
	uint32_t *addrs;    /* network = veth: the addresses they are marked with */
	size_t n_addrs;
};

/* A program to run inside, as a user. */
struct copy_exec {
	uid_t uid;
	gid_t gid;
	const gid_t *groups;
	size_t n_groups;
	const char *cwd;
	const char *path; /* program to execute inside */
	char *const *argv;
	char *const *envp;
	int fds[3]; /* stdin, stdout, stderr (unused with a pty) */
	bool pty;   /* a terminal of the copy's own */
	unsigned short rows, cols;
	/*
	 * With a terminal: what the user typed before the program was asked
	 * for, which the front door's terminal echoed already. The driver
	 * gives it to the program's terminal with that terminal's echo off.
	 */
	const char *typed;
	size_t n_typed;
};

/* A file (or with data NULL, a directory) to put into the running copy. */
struct copy_file {
	const char *path; /* absolute, inside the copy */
	const char *data;
	size_t len;
	mode_t mode;
	uid_t uid; /* its owner; directories made for it at or below */
	gid_t gid; /* owned_below get this owner too, those above root */
	const char *owned_below;
};

/* What the driver's end-of-copy step found (copy_retire). */
struct copy_retired {
	char session[32];
	char name[64];
	bool removed; /* nothing of the copy is left */
	bool kept;    /* keep = yes: its data were kept */
	char kept_user[256];
	unsigned kept_removed; /* older kept sessions removed for kept_total */
};

/* One copy a driver finds in a place (copy_list). */
struct copy_found {
	const char *name;
	const char *session; /* the session its marker names */
};

/* What gc says is alive, for a driver's sweep: a copy by name, a session by id. */
struct copy_liveness {
	bool (*copy)(const char *name, void *data);
	bool (*session)(const char *id, void *data);
	void *data;
};

/* What a sweep removed. */
struct copy_swept {
	unsigned locks;   /* the engine's lock files */
	unsigned cgroups; /* cgroups of copies */
	unsigned mounts;  /* mountpoints of copies' layers */
	unsigned copies;  /* copies no session holds any more */
};

/* What a running copy uses, for throwawayctl list and show (-1: not known). */
struct copy_usage {
	int64_t procs;   /* processes in the copy */
	int64_t memory;  /* bytes charged to it */
	int64_t upper;   /* bytes used in its upper layer (a tmpfs of its own) */
	char init[32];   /* its init, as the machine it runs on names it; "" if none */
	char addrs[256]; /* its global addresses, space separated (when asked for) */
	char member[64]; /* the cluster member it runs on; "" when it runs on this host */
};

/* What a caller of usage wants besides the counts. */
struct copy_usage_want {
	bool upper_tmpfs; /* the upper layer is a tmpfs of the copy's: measure it */
	bool addresses;   /* the copy has a network: list its addresses */
};

/* What a driver found of an origin, for throwawayctl doctor. */
enum copy_verdict { COPY_OK, COPY_WARN, COPY_FAIL, COPY_RUNNING };
#define COPY_FINDINGS_MAX 2
struct copy_finding {
	enum copy_verdict verdict;    /* COPY_RUNNING: the origin runs (its copies would break) */
	char msg[2 * PATH_MAX + 128]; /* after the origin's name: "does not exist in …" */
	char fix[2 * PATH_MAX + 128]; /* one line for the admin, "" with COPY_OK */
};

struct copy_driver {
	const char *name;

	/* Where CFG's copies live, in the driver's terms: the place of the calls below. */
	int (*place)(const struct config *cfg, char *buf, size_t len);

	/*
	 * Once in a process that makes copies, before its first make: what the
	 * engine needs of the process itself (lxc: a mount namespace of its
	 * own, where each copy's mounts are made). It changes the whole
	 * process, so the caller says when; NULL when nothing is needed. s
	 * says what the process's copies use of the host (no home: a pool's).
	 */
	int (*prepare_process)(const struct copy_spec *s, struct tw_err *err);
	/* What can be checked before making it (origin, devices, bridge). */
	int (*prepare)(const struct copy_spec *s, struct copy **ret, struct tw_err *err);
	/* Make it from the prepared handle; on failure nothing of it is left. */
	int (*make)(struct copy *c, struct tw_err *err);
	int (*start)(struct copy *c, unsigned timeout_ms, struct tw_err *err);
	/*
	 * A running copy by name: a pooled copy being taken, or (find_shared)
	 * the user's shared copy, which this session then holds too.
	 */
	int (*open)(const struct copy_spec *s, struct copy **ret, struct tw_err *err);
	void (*free)(struct copy *c);
	/*
	 * network = veth:BRIDGE where CFG's copies run: the address of BRIDGE
	 * whose subnet holds all of R (the copies' gateway), as bridge.h's
	 * bridge_subnet; NULL: this host's bridge. 0, -ENODEV (no such
	 * interface), -EADDRNOTAVAIL (no address holds R) or -errno with err.
	 */
	int (*bridge_subnet)(const struct config *cfg, const char *bridge,
			     const struct netaddr_range *r, struct netaddr_net *ret,
			     struct tw_err *err);

	/* A file of the origin, at most max bytes. */
	int (*read_origin)(struct copy *c, const char *path, size_t max, char **ret_buf,
			   size_t *ret_len);
	/* Files into the running copy, in a job of their own: *ret_job for end. */
	int (*write_begin)(struct copy *c, const struct copy_file *f, size_t n, int *ret_job);
	int (*write_end)(struct copy *c, int job);
	int (*inject_bind)(struct copy *c, const char *src, const char *dst, bool ro);
	int (*set_hostname)(struct copy *c, const char *name);

	/* Make ready the next enter as who (its ids), ahead of its request. */
	int (*enter_ahead)(struct copy *c, const struct copy_exec *who);
	int (*enter)(struct copy *c, const struct copy_exec *x, pid_t *ret_pid, int *ret_master);
	bool (*path_exists)(struct copy *c, const char *path);
	int (*addresses)(struct copy *c, char *buf, size_t len, unsigned wait_ms);

	/* Readable (POLLIN) once the copy has stopped, whoever stopped it. */
	int (*stopped_fd)(struct copy *c);
	/* A local process whose life is the copy's (pool records); -EOPNOTSUPP. */
	int (*owner)(struct copy *c, pid_t *ret_pid, uint64_t *ret_start);
	/*
	 * A copy that other hosts judge by when it was last vouched for (lxd:
	 * a front door's gc deletes another's instance that nobody renewed
	 * for a lease): vouch for it now. Called every COPY_RENEW_S while the
	 * session runs; NULL when nobody else judges it.
	 */
	int (*renew)(struct copy *c);
	/* Begin the end now; stop waits for it (and destroys the copy). */
	int (*kill)(struct copy *c);
	int (*stop)(struct copy *c);

	/*
	 * By name, no handle: the cleanup paths and throwawayctl. SESSION (or
	 * NULL) is done with it: a copy that sessions share (lxd, share =
	 * user) goes only with its last, this one's hold dropped meanwhile.
	 */
	int (*destroy)(const char *place, const char *name, const char *session);
	/* What a copy uses, without asking anything that could hang on it. */
	void (*usage)(const char *place, const char *name, const struct copy_usage_want *want,
		      struct copy_usage *ret);
	/* Does a container NAME run in place (a copy, or an origin)? */
	bool (*running)(const char *place, const char *name);
	/* Every copy of ours in place, marked with its session; fn < 0 stops. */
	int (*list)(const char *place, int (*fn)(const struct copy_found *f, void *data),
		    void *data);
	/*
	 * The copies that other front doors run in PLACE (a cluster's): how
	 * many, USER's, and their addresses, for the caps and network_range;
	 * ret's addrs are the caller's to free. NULL when a place serves one
	 * host only.
	 */
	int (*count_elsewhere)(const char *place, const char *user, struct copy_elsewhere *ret);
	/*
	 * share = user where copies may run for several front doors: a running
	 * copy of USER's that sessions share, whoever made it, by name; -ENOENT
	 * if none. NULL when a place serves one host (its ledger knows).
	 */
	int (*find_shared)(const char *place, const char *user, char *ret_name, size_t len);
	/* The engine at PLACE, for doctor: findings into ret; how many. NULL: nothing to ask. */
	size_t (*check_place)(const char *place, struct copy_finding ret[COPY_FINDINGS_MAX]);
	/* The origin ORIGIN in PLACE, for doctor: findings into ret; how many. */
	size_t (*check_origin)(const char *place, const char *origin,
			       struct copy_finding ret[COPY_FINDINGS_MAX]);
	/* What copies that are gone left behind in places (NULL-terminated). */
	void (*sweep)(const char *const *places, const struct copy_liveness *live,
		      struct copy_swept *ret);
};

/*
 * The end-of-copy step that DRIVER's engine runs on the host when a copy
 * has stopped (lxc: the post-stop hook, throwaway-hook), from its
 * arguments and environment: remove what the copy was made of, keep its
 * data if asked. Not in the table above: the hook is a small static
 * program and must link no engine library (copy_retire.c).
 */
int copy_retire(const char *driver, int argc, char **argv, struct copy_retired *ret,
		struct tw_err *err);

/*
 * The step DRIVER's engine runs on the host as a copy's network comes up
 * (lxc: its up script, throwaway-hook again), from its arguments and
 * environment: the copy's port on the bridge made isolated. 1 when the
 * invocation is not that step (copy_retire's then), else 0 or -errno with
 * err; the session it names into ret_session (len bytes) when known.
 */
int copy_net_up(const char *driver, int argc, char **argv, char *ret_session, size_t len,
		struct tw_err *err);

/* The driver of a config (cfg->backend: "lxc" or "lxd"). */
const struct copy_driver *copy_driver_of(const struct config *cfg);
/* By name; NULL when there is none. */
const struct copy_driver *copy_driver_named(const char *name);
/*
 * 0 when D is there to use. A driver that is a module of its own (lxd)
 * and could not be loaded is a stand-in whose calls fail: -ELIBACC, and
 * err says why.
 */
int copy_driver_loaded(const struct copy_driver *d, struct tw_err *err);
/*
 * The driver of a session's copy from its ledger record's options, which
 * name it ("backend=lxd") unless it is lxc's (records older than lxd say
 * nothing). An unknown name is lxc's too: its calls find nothing there.
 */
const struct copy_driver *copy_driver_of_record(const char *options);

/*
 * network = veth:BRIDGE (copy_net.c): CFG's network_range, and the subnet
 * of the bridge that holds it where CFG's copies run (the copies' gateway
 * and prefix). 1 with both, 0 without a bridge, or -errno with err saying
 * what is wrong (no such bridge, no address of it holds the range).
 */
int copy_net_subnet(const struct config *cfg, struct netaddr_range *ret_range,
		    struct netaddr_net *ret_net, struct tw_err *err);

/* Every handle starts with this, so the calls below find their driver. */
struct copy {
	const struct copy_driver *drv;
};

/* The calls, for reading: copy_enter(c, …) is c->drv->enter(c, …). */
int copy_place(const struct copy_driver *d, const struct config *cfg, char *buf, size_t len);
int copy_prepare_process(const struct copy_driver *d, const struct copy_spec *s,
			 struct tw_err *err);
int copy_prepare(const struct copy_driver *d, const struct copy_spec *s, struct copy **ret,
		 struct tw_err *err);
int copy_open(const struct copy_driver *d, const struct copy_spec *s, struct copy **ret,
	      struct tw_err *err);
int copy_make(struct copy *c, struct tw_err *err);
int copy_start(struct copy *c, unsigned timeout_ms, struct tw_err *err);
void copy_free(struct copy *c);
/* What count_elsewhere gave, released (a cleanup function). */
void copy_elsewhere_free(struct copy_elsewhere *e);
int copy_read_origin(struct copy *c, const char *path, size_t max, char **ret_buf, size_t *ret_len);
int copy_write_begin(struct copy *c, const struct copy_file *f, size_t n, int *ret_job);
int copy_write_end(struct copy *c, int job);
int copy_inject_bind(struct copy *c, const char *src, const char *dst, bool ro);
int copy_set_hostname(struct copy *c, const char *name);
int copy_enter_ahead(struct copy *c, const struct copy_exec *who);
int copy_enter(struct copy *c, const struct copy_exec *x, pid_t *ret_pid, int *ret_master);
bool copy_path_exists(struct copy *c, const char *path);
int copy_addresses(struct copy *c, char *buf, size_t len, unsigned wait_ms);
int copy_stopped_fd(struct copy *c);
int copy_owner(struct copy *c, pid_t *ret_pid, uint64_t *ret_start);
#define COPY_RENEW_S 60
bool copy_renews(const struct copy *c);
int copy_renew(struct copy *c);
int copy_kill(struct copy *c);
int copy_stop(struct copy *c);

#endif
