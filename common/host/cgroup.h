/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The host's cgroups and the ones liblxc makes for our copies: the layout
 * the host runs, the hierarchies a copy's cgroups sit in, where in them
 * (below CGROUP_TOP, the same in every hierarchy):
 *
 *   throwaway/keeper                  the keepers (unified hosts)
 *   throwaway/lxc.monitor.<name>      a copy's lxc monitor
 *   throwaway/copies                  every copy: memory_max_total
 *   throwaway/copies/u<uid>           a user's copies: memory_max_per_user
 *   throwaway/copies/pool             pooled copies (no user when made)
 *   throwaway/copies/<parent>/lxc.payload.<name>   the copy itself
 *
 * A copy that ends leaves its memory cgroup dying, not gone, as long as
 * anything still holds what it charged (an fd of a file on its tmpfs,
 * passed away): those charges still count in its parents. So a user's
 * parent is what bounds what a user's dead copies can hold, and it is
 * removed only once nothing unreclaimable is charged to it: removed with
 * charges below, a new one would start the user's count from zero.
 * Copies of an older layout sit at the top of each hierarchy
 * (lxc.monitor.<name>, lxc.payload.<name>): they are still found.
 *
 * What is done with them: read their processes and usage, kill what they
 * hold, remove them once empty; make the parents with their caps, and
 * remove the idle ones.
 *
 * cgroup.c has the layout, names, paths and the files read; cgroup_walk.c
 * walks a copy's cgroup and those below it (kill, processes, removal);
 * cgroup_parent.c the parents. Every function takes the cgroup root:
 * CGROUP_ROOT on a host, a directory of their own in the unit tests. They
 * run as root, trust what the kernel (root) wrote below root, follow no
 * symlink below a hierarchy, and signal a process only through a pidfd
 * taken while it was in the cgroup.
 */
#ifndef THROWAWAY_CGROUP_H
#define THROWAWAY_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CGROUP_ROOT "/sys/fs/cgroup"

/*
 * How many levels below a copy's cgroup are looked at: liblxc keeps init
 * in a ".lxc" child and nests attached processes one or two levels down;
 * a copy's root may make more (cgroup:mixed), but not without bound.
 */
#define CGROUP_DEPTH_MAX 8

/* At most this many pids are read from one copy: more than any pids_max. */
#define CGROUP_PIDS_MAX 65536

/* Ours, in every hierarchy. */
#define CGROUP_TOP "throwaway"
/* The cgroup the keeper and the pool filler move to on a unified host. */
#define CGROUP_OWN CGROUP_TOP "/keeper"
/* The parent of every copy's parent, capped at memory_max_total. */
#define CGROUP_COPIES CGROUP_TOP "/copies"
/* The parent of pooled copies, below CGROUP_COPIES (a user's is u<uid>). */
#define CGROUP_POOL "pool"
/* "u4294967295" and its NUL. */
#define CGROUP_PARENT_MAX 12

enum cgroup_layout {
	CGROUP_UNIFIED, /* cgroup v2 only, at the root */
	CGROUP_HYBRID,  /* v1 controllers, and a v2 hierarchy at <root>/unified */
	CGROUP_LEGACY,  /* v1 controllers only */
};

/* Each layout in words, by value. */
extern const char *const cgroup_layout_names[];

/* Which of a copy's two cgroups. */
enum cgroup_kind {
	CGROUP_MONITOR, /* lxc.monitor.<name>: the copy's lxc monitor */
	CGROUP_PAYLOAD, /* lxc.payload.<name>: the copy's processes */
};

/* Layout, names, paths (cgroup.c) ------------------------------------------ */

/* The layout of the cgroup file system at root (a v2 root has cgroup.controllers). */
enum cgroup_layout cgroup_layout(const char *root);
/* The same, of a root already open (an O_DIRECTORY fd). */
enum cgroup_layout cgroup_layout_at(int rfd);

/* The host runs the unified layout: liblxc then takes lxc.cgroup2.* keys only. */
bool cgroup_unified(void);

/* The name of copy NAME's cgroup of KIND ("lxc.payload.NAME"). 0, -EINVAL, -ENAMETOOLONG. */
int cgroup_copy_dirname(enum cgroup_kind kind, const char *name, char *buf, size_t len);

/*
 * The parent below CGROUP_COPIES of a copy's payload cgroup: CGROUP_POOL
 * for a pooled copy, else "u<uid>" of its user. 0 or -ENAMETOOLONG.
 */
int cgroup_parent_name(bool pool, uid_t uid, char *buf, size_t len);

/* Is NAME one of those ("pool", "u" and 1 to 10 digits)? */
bool cgroup_parent_valid(const char *name);

/*
 * Where copy NAME's cgroup of KIND goes in each hierarchy, relative to it,
 * as liblxc's lxc.cgroup.dir.monitor and lxc.cgroup.dir.container take it:
 * "throwaway/lxc.monitor.NAME", "throwaway/copies/PARENT/lxc.payload.NAME".
 * 0, -EINVAL (a bad name or parent), -ENAMETOOLONG.
 */
int cgroup_copy_relpath(enum cgroup_kind kind, const char *parent, const char *name, char *buf,
			size_t len);

/*
 * Open copy NAME's cgroup of KIND in hierarchy HIER ("memory"; unused on
 * a unified root), wherever it is (below its parent, or at the top where
 * an older layout put it): an O_DIRECTORY fd, or -errno (-ENOENT: no such
 * cgroup).
 */
int cgroup_open_copy(const char *root, enum cgroup_layout layout, const char *hier,
		     enum cgroup_kind kind, const char *name);

/*
 * What cgroup_foreach_copy_at calls for each place that holds a copy's
 * cgroup: holder, an fd of the directory that has it as dirname (named as
 * cgroup_copy_dirname names it), and parent, the name of that directory
 * when it is a parent below CGROUP_COPIES, else NULL.
 */
typedef int cgroup_copy_fn(int holder, const char *parent, const char *dirname, void *data);

/*
 * Call fn for each place in the hierarchy hfd that holds copy NAME's
 * cgroup of KIND: its parent below CGROUP_TOP, and the top of the
 * hierarchy where an older layout put it, when there is one there. Stops
 * at fn's first nonzero return, which it returns; else 0. -EINVAL for a
 * bad name.
 */
int cgroup_foreach_copy_at(int hfd, enum cgroup_kind kind, const char *name, cgroup_copy_fn *fn,
			   void *data);

/*
 * The copy name in a cgroup's directory name ENTRY, when it is one of a
 * copy's ("lxc.monitor.<name>" or "lxc.payload.<name>" with a valid copy
 * name), with its kind in *ret_kind (may be NULL); else NULL.
 */
const char *cgroup_copy_name(const char *entry, enum cgroup_kind *ret_kind);

/* Files, as text (cgroup.c) -------------------------------------------------- */

/* A list of pids; release with cgroup_pids_free. */
struct cgroup_pids {
	pid_t *pids;
	size_t n, cap;
};
void cgroup_pids_free(struct cgroup_pids *l);

/*
 * Append the pids of a cgroup.procs text (one decimal pid a line) to l.
 * -EINVAL on anything else, -E2BIG past CGROUP_PIDS_MAX, -ENOMEM.
 */
int cgroup_parse_procs(const char *text, struct cgroup_pids *l);

/* A file of one number ("123\n"): memory.current, memory.usage_in_bytes. 0 or -EINVAL. */
int cgroup_parse_number(const char *text, uint64_t *ret);

/* The value of KEY in a flat keyed file ("usage_usec 123\n…": cpu.stat). 0, -ENOENT, -EINVAL. */
int cgroup_parse_keyed(const char *text, const char *key, uint64_t *ret);

/* Does a cgroup.controllers text ("cpu io memory pids\n") name CONTROLLER? */
bool cgroup_controllers_has(const char *text, const char *controller);

/* Host state (cgroup.c) ------------------------------------------------------ */

/* What a copy uses, from its payload cgroup. -1: unknown. */
struct cgroup_usage {
	int64_t memory;   /* bytes charged (v2 memory.current, v1 memory.usage_in_bytes) */
	int64_t cpu_usec; /* CPU time (v2 cpu.stat usage_usec, v1 cpuacct.usage) */
};

/* Read copy NAME's usage below root. Always fills *ret. */
void cgroup_copy_usage(const char *root, const char *name, struct cgroup_usage *ret);

/*
 * The controllers copies' limits need (v2: cpu memory pids in the root's
 * cgroup.controllers; v1: cpu devices memory pids mounted) that root lacks,
 * space separated, into buf ("" when none).
 */
void cgroup_missing_controllers(const char *root, enum cgroup_layout layout, char *buf, size_t len);

/* v1: does the memory controller account swap (memory.memsw.*)? */
bool cgroup_v1_swap_accounting(const char *root);

/*
 * On a unified root, move the calling process to the cgroup CGROUP_OWN
 * (made if missing): a process forked from sshd sits in the user's session
 * scope, one started by systemd in its unit's cgroup, and the copies it
 * starts must not count there. Processes an older version left in
 * CGROUP_TOP itself move along (a cgroup with processes of its own cannot
 * pass controllers down to the copies' parents). Nothing to do on v1 (0).
 * 0 or -errno.
 */
int cgroup_enter_own(const char *root);

/* Walking cgroups (cgroup_walk.c) --------------------------------------------- */

/*
 * Call fn for each hierarchy of root that a copy has cgroups in: root
 * itself on a unified host, else each controller's directory (the "unified"
 * and "systemd" ones too; symlinks such as cpu -> cpu,cpuacct skipped, so
 * that none is seen twice). fn gets an O_DIRECTORY fd of the hierarchy and
 * its name ("" for the unified root). Stops at the first negative return of
 * fn, which it returns; else 0, or -errno when root cannot be read.
 */
int cgroup_foreach_hierarchy(const char *root, int (*fn)(int hfd, const char *hier, void *data),
			     void *data);

/*
 * Append the pids in the cgroup dfd and in those below it (".lxc" too, at
 * most CGROUP_DEPTH_MAX levels) to l. 0 or -errno.
 */
int cgroup_read_tree(int dfd, struct cgroup_pids *l);

/*
 * The pids of copy NAME's payload cgroup and below: from the pids
 * hierarchy, or the first other one that has it. -ENOENT when none has.
 */
int cgroup_copy_pids(const char *root, const char *name, struct cgroup_pids *l);

/*
 * SIGKILL what is in the cgroup dfd and below it: through its cgroup.kill
 * where there is one (v2), else to each pid of each cgroup.procs through a
 * pidfd, and only when the pid is still listed after that pidfd was
 * opened, so a pid reused by another process is never signalled (pid 1
 * never is). Returns how many processes were there (0: empty), or -errno.
 */
int cgroup_kill_tree(int dfd);

/*
 * One pass of cgroup_kill_tree over copy NAME's cgroup of KIND in every
 * hierarchy. Returns how many processes were there; the caller repeats
 * until none is left (the kills take effect asynchronously).
 */
unsigned cgroup_kill_copy(const char *root, enum cgroup_kind kind, const char *name);

/*
 * Remove the cgroup NAME below parent and the empty cgroups below it,
 * deepest first (CGROUP_DEPTH_MAX levels at most); busy ones, and those
 * above them, stay. True when NAME itself went.
 */
bool cgroup_remove_tree(int parent, const char *name);

/*
 * Remove copy NAME's monitor and payload cgroups in every hierarchy,
 * wherever they are (its parent stays); how many went.
 */
unsigned cgroup_remove_copy(const char *root, const char *name);

/*
 * Remove the cgroups of every copy that is_dead(name, data) says is gone,
 * in every hierarchy and every place (cgroup_remove_copy). Other cgroups,
 * the parents among them, are never touched. Returns how many went.
 */
unsigned cgroup_remove_leftovers(const char *root, bool (*is_dead)(const char *name, void *data),
				 void *data);

/* The copies' parents (cgroup_parent.c) ------------------------------------------ */

/* Memory caps, in bytes; 0: none (v2 "max", v1 -1). */
struct cgroup_caps {
	uint64_t total;  /* CGROUP_COPIES: every copy */
	uint64_t parent; /* CGROUP_COPIES/<parent>: one user's copies, or the pool */
};

/*
 * Make CGROUP_COPIES and its child PARENT (cgroup_parent_name) in the
 * memory hierarchy (the unified root, with the memory controller passed
 * down to them; v1: "memory") and set their caps; other hierarchies are
 * left to liblxc. A cap below what is charged already stays as it was
 * (v1 refuses it, EBUSY). Call it before liblxc makes the copy's cgroup
 * below PARENT, and keep cgroup_remove_idle_parents from running between
 * the two (a removed parent would come back without its cap). 0 or -errno.
 */
int cgroup_prepare_parent(const char *root, const char *parent, const struct cgroup_caps *caps);

/*
 * What holds the parent PARENT: a copy's cgroup below it (in use); else
 * more than a residue (4 MiB) charged to it, memory or swap, by the page
 * counters, which count what dead children left (v2 memory.current and
 * memory.swap.current; v1 memory.memsw.usage_in_bytes, or
 * memory.usage_in_bytes without swap accounting), such as a dead copy's
 * tmpfs kept by an fd passed away: removing the parent then would start
 * the user's count from zero; else nothing (idle). memory.stat is never
 * asked: a parent's is flushed lazily and lags by up to some 2 s. Page
 * cache counts as charged until cgroup_reclaim_parent gives it back. A
 * parent the memory hierarchy does not have is idle; one whose charges
 * cannot be read is charged.
 */
enum cgroup_parent_state { CGROUP_PARENT_IDLE, CGROUP_PARENT_IN_USE, CGROUP_PARENT_CHARGED };
enum cgroup_parent_state cgroup_parent_state(const char *root, const char *parent);

/*
 * Have the kernel reclaim what PARENT and the dead children below it
 * charged, when no copy runs below it and more than the residue is
 * charged (v1 memory.force_empty, v2 memory.reclaim): page cache and
 * kernel objects nobody uses go, what is held (a tmpfs kept open, swap)
 * stays. It takes some 100 ms per 100 MB reclaimed: run it where no
 * session waits, and never under the lock copies start under. 0 or -errno.
 */
int cgroup_reclaim_parent(const char *root, const char *parent);

/* cgroup_reclaim_parent for every parent below CGROUP_COPIES. */
void cgroup_reclaim_parents(const char *root);

/*
 * The parent that holds copy NAME's payload cgroup, in the first
 * hierarchy that has it, into buf. 0, -ENOENT (none, or a copy of an
 * older layout), -EINVAL, -ENAMETOOLONG.
 */
int cgroup_copy_parent(const char *root, const char *name, char *buf, size_t len);

/* Remove the parent PARENT in every hierarchy if it is idle. True when it went. */
bool cgroup_remove_parent(const char *root, const char *parent);

/* cgroup_remove_parent for every parent below CGROUP_COPIES; how many went. */
unsigned cgroup_remove_idle_parents(const char *root);

#endif
