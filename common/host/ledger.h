/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The session ledger: one root-only record per live session under
 * RUNDIR/ledger/<session>, written atomically (temp file + rename). The
 * lock serializes cap checks so parallel logins cannot overshoot.
 */
#ifndef THROWAWAY_LEDGER_H
#define THROWAWAY_LEDGER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "names.h"

#define LEDGER_FIELD_MAX 256
#define LEDGER_OPTIONS_MAX 1536

struct ledger_entry {
	char session[NAMES_SESSION_LEN + 1];
	char user[LEDGER_FIELD_MAX];
	uid_t uid;
	char container[NAMES_CONTAINER_MAX + 1];
	char lxcpath[NAMES_PLACE_MAX + 1]; /* the copy's place (copy_place) */
	char origin[NAMES_CONTAINER_MAX + 1];
	char state[32]; /* starting, running, stopping */
	char rhost[LEDGER_FIELD_MAX];
	char service[64];
	pid_t keeper;
	uint64_t keeper_start; /* /proc starttime, guards against pid reuse */
	pid_t caller;
	time_t started;
	uint64_t started_ms;              /* the same, in ms (CLOCK_REALTIME), for durations */
	char share[16];                   /* "user": later logins of the user join this copy */
	unsigned logins;                  /* logins in this copy (more than 1 with share = user) */
	char addr[16];                    /* network = veth: the copy's IPv4 address, "" without */
	char options[LEDGER_OPTIONS_MAX]; /* the copy's options, for throwawayctl show */
};

/* Make RUNDIR (0711), RUNDIR/ledger (0700) and RUNDIR/sock (0711). */
int ledger_init(const char *rundir);

/* Take the ledger lock (flock, exclusive); returns the fd to close. */
int ledger_lock(const char *rundir);

int ledger_write(const char *rundir, const struct ledger_entry *e);
int ledger_read(const char *rundir, const char *session, struct ledger_entry *ret);
int ledger_remove(const char *rundir, const char *session);

/* Count live records: all, and those of uid. */
int ledger_count(const char *rundir, uid_t uid, unsigned *ret_all, unsigned *ret_user);

/* Does the record's keeper still run (the same process: pid and start time)? */
bool ledger_entry_live(const struct ledger_entry *e);

/* Call fn for every record (unreadable ones are skipped). Stops on fn < 0. */
int ledger_foreach(const char *rundir, int (*fn)(const struct ledger_entry *e, void *data),
		   void *data);

/* Serialization, exposed for tests. */
int ledger_format(const struct ledger_entry *e, char *buf, size_t max);
int ledger_parse(const char *text, struct ledger_entry *ret);

#endif
