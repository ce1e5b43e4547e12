/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * throwawayctl's own modules: what a copy uses (copystat.c), the
 * installation checks (doctor.c, doctor_sshd.c), enrolling users
 * (enroll.c) and running the host's programs (run.c). The command line is
 * in throwawayctl.c.
 */
#ifndef THROWAWAY_CTL_H
#define THROWAWAY_CTL_H

#include <pwd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "copy.h"
#include "ledger.h"

/*
 * What the copy of record e uses, from its driver. Never talks to its
 * engine's monitor, so a wedged copy cannot make it hang. Always fills
 * *ret (unknown values are -1).
 */
void copystat_read(const struct ledger_entry *e, bool addresses, struct copy_usage *ret);

/* Does the origin of record e (or an origin NAME in its place) run? */
bool copystat_origin_running(const char *origin);

/* "0", "512", "4.0K", "12M", "1.5G": at most 6 characters. */
void copystat_human(int64_t bytes, char *buf, size_t len);

/* Origins of live copies, with how many copies each has. */
struct origin_count {
	char name[NAMES_CONTAINER_MAX + 1];
	unsigned copies;
};

/*
 * Count the live copies of every origin in entries[0..n). Returns how many
 * distinct origins were written to ret (at most max).
 */
size_t copystat_origins(const struct ledger_entry *entries, size_t n, struct origin_count *ret,
			size_t max);

/* The sentence that warns of a running origin with copies. */
void copystat_origin_warning(const struct origin_count *o, char *buf, size_t len);

/* throwawayctl kept list [USER] | kept rm USER SESSION | kept rm --older-than DUR. */
int kept_cmd(int argc, char **argv);

/* throwawayctl setup-disk [SIZE]: make and mount the copies' capped disk (quota.h). 0, 1 or 2. */
int disk_cmd(int argc, char **argv);

/* throwawayctl doctor [FILE]: 0 when nothing failed, 1 otherwise. */
int doctor_run(const char *config_path);

/*
 * The sandboxed users' login shell (by its basename, as the module decides),
 * and the group they are in, which the sshd snippet that install puts in
 * /etc/ssh/sshd_config.d/throwaway.conf matches.
 */
#define CTL_SHELL_NAME "throwaway-shell"
#define CTL_GROUP "throwaway"

/* throwawayctl enroll [--force] USER: the shell and the group. 0, 1, or 2 (usage). */
int enroll_cmd(int argc, char **argv);

/* throwawayctl unenroll [--shell PATH] USER: out of both. 0, 1 or 2 (usage). */
int unenroll_cmd(int argc, char **argv);

/* Is pw's login shell throwaway-shell (any directory), so that its logins are sandboxed? */
bool enroll_has_shell(const struct passwd *pw);

/* Is pw in group gid, as its primary or a supplementary group? */
bool enroll_in_group(const struct passwd *pw, gid_t gid);

/*
 * Run argv[0] (an absolute path) through spawn_start with the environment
 * envp (NULL: an empty one), stdin from /dev/null, stdout and stderr into
 * out (NUL-terminated, capped at len; why it could not start, if it could
 * not); kill it once timeout_ms have passed. Its wait status, or -errno
 * (-ETIMEDOUT when it was killed at the deadline).
 */
int ctl_run(char *const argv[], char *const envp[], int timeout_ms, char *out, size_t len);

#endif
