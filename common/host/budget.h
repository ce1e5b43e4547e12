/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel's per-user budgets (ucounts) that unprivileged copies share
 * with root on the host. liblxc, run as root, makes each copy's user
 * namespace, so host root owns it, and the kernel charges what any uid
 * makes in a copy twice: to that uid in the copy's namespace, against the
 * namespace's own limit (/proc/sys/user/ there, unlimited by default),
 * and to the namespace's owner one level up, against the host's limit for
 * root. So inotify instances and watches and fanotify groups and marks
 * made in any copy count against root's budget on the host
 * (fs.inotify.max_user_instances, 128 by default): one user could use up
 * what root's daemons and every other copy need.
 *
 * Hence two halves: every copy gets budgets of its own as it starts
 * (ctr_start writes per_copy into its user namespace), which bounds what
 * one user can make; and root's budgets on the host are sized to hold
 * what every copy may use beside root's own reserve (budget_setup, run by
 * 'throwawayctl setup-ids'; 'throwawayctl doctor' checks them).
 */
#ifndef THROWAWAY_BUDGET_H
#define THROWAWAY_BUDGET_H

#include <stdbool.h>
#include <stddef.h>

struct budget {
	const char *name;       /* in /proc/sys/user/, one per user namespace */
	unsigned long per_copy; /* what each uid in a copy may have */
	const char *host;       /* root's budget on the host, a sysctl key; NULL: none */
	unsigned long reserve;  /* of it, kept for root's own processes */
};

extern const struct budget budget_table[];
extern const size_t budget_count;

/* Sized for the user and the copy's root busy in every copy at once. */
#define BUDGET_UIDS_PER_COPY 2UL

/* Where budget_setup keeps the host's sizes across reboots. */
#define BUDGET_SYSCTL_FILE "/etc/sysctl.d/60-throwaway.conf"

/*
 * What root's budget on the host must hold for max_sessions copies:
 * reserve + max_sessions * BUDGET_UIDS_PER_COPY * per_copy (saturating).
 * 0 for a budget with no host side.
 */
unsigned long budget_host_needed(const struct budget *b, unsigned long max_sessions);

/* "fs.inotify.max_user_instances" -> "/proc/sys/fs/inotify/max_user_instances".
 */
int budget_sysctl_path(const char *key, char *buf, size_t len);

/* The current value of root's budget on the host. 0 or -errno. */
int budget_host_read(const struct budget *b, unsigned long *ret);

/*
 * Raise each of root's budgets on the host that is below what max_sessions
 * copies need, now, and write BUDGET_SYSCTL_FILE with every budget at the
 * larger of its current and its needed value (a higher value an admin set
 * is never lowered, at boot either). How many were raised, or -errno.
 */
int budget_setup(unsigned long max_sessions);

#endif
