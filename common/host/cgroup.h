/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The host's cgroups and the ones liblxc makes for our copies: the layout
 * the host runs, the hierarchies a copy's cgroups sit in, their names
 * (lxc.monitor.<name> for the copy's lxc monitor, lxc.payload.<name> for
 * the copy itself, each at the top of every hierarchy: liblxc run by root
 * escapes to the root cgroup), and what is done with them: read their
 * processes and usage, kill what they hold, remove them once empty.
 *
 * cgroup.c has the layout, names, paths and the files read; cgroup_walk.c
 * walks a copy's cgroup and those below it (kill, processes, removal).
 * Every function takes the cgroup root: CGROUP_ROOT on a host, a directory
 * of their own in the unit tests. They run as root, trust what the kernel
 * (root) wrote below root, follow no symlink below a hierarchy, and signal
 * a process only through a pidfd taken while it was in the cgroup.
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

/* The cgroup the keeper and the pool filler move to on a unified host. */
#define CGROUP_OWN "throwaway"

enum cgroup_layout {
	CGROUP_UNIFIED, /* cgroup v2 only, at the root */
	CGROUP_HYBRID,  /* v1 controllers, and a v2 hierarchy at <root>/unified */
	CGROUP_LEGACY,  /* v1 controllers only */
};

/* Which of a copy's two cgroups. */
/* Each layout in words, by value. */
extern const char *const cgroup_layout_names[];

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
 * The path of copy NAME's cgroup of KIND in hierarchy HIER of a root of
 * LAYOUT: "<root>/lxc.payload.NAME" on a unified root (HIER unused),
 * "<root>/HIER/lxc.payload.NAME" else. 0, -EINVAL, -ENAMETOOLONG.
 */
int cgroup_copy_path(const char *root, enum cgroup_layout layout, const char *hier,
		     enum cgroup_kind kind, const char *name, char *buf, size_t len);

/* Open that path: an O_DIRECTORY fd, or -errno (-ENOENT: no such cgroup). */
int cgroup_open_copy(const char *root, enum cgroup_layout layout, const char *hier,
		     enum cgroup_kind kind, const char *name);

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
 * starts must not count there. Nothing to do on v1 (0). 0 or -errno.
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

/* Remove copy NAME's monitor and payload cgroups in every hierarchy; how many went. */
unsigned cgroup_remove_copy(const char *root, const char *name);

/*
 * Remove the cgroups of every copy that is_dead(name, data) says is gone,
 * in every hierarchy (cgroup_remove_copy). Other cgroups are never
 * touched. Returns how many went.
 */
unsigned cgroup_remove_leftovers(const char *root, bool (*is_dead)(const char *name, void *data),
				 void *data);

#endif
