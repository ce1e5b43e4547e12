/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * throwawayctl's own modules: what a copy uses (copystat.c) and the
 * installation checks (doctor.c). The command line is in throwawayctl.c.
 */
#ifndef THROWAWAY_CTL_H
#define THROWAWAY_CTL_H

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

/* throwawayctl doctor [FILE]: 0 when nothing failed, 1 otherwise. */
int doctor_run(const char *config_path);

#endif
