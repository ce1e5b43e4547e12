/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The per-session keeper: shared state of keeper.c, keeper_setup.c, keeper_loop.c. */
#ifndef THROWAWAY_KEEPER_H
#define THROWAWAY_KEEPER_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "copy.h"
#include "ledger.h"
#include "names.h"

#define KEEPER_MAX_CLIENTS 64
#define KEEPER_MAX_GROUPS 64
#define KEEPER_ERR_MAX 512
#define KEEPER_MAX_CALLERS 32 /* logins sharing one copy (share = user) */

struct client {
	int fd;
	uid_t uid;  /* SO_PEERCRED */
	pid_t pid;  /* attached program, 0 if none */
	bool pty;   /* the program has a terminal (its I/O is reported) */
	bool closer; /* root asked to close; answer when done */
};

/* A login process (sshd's monitor, login, su) the session lives for. */
struct caller {
	pid_t pid;
	int fd; /* its pidfd */
};

/*
 * What the PAM module's request carries (request.c). Read once; only the
 * session id changes after (a pooled copy's becomes the session's), and
 * the groups (userns = yes keeps the primary one).
 */
struct request {
	char session[NAMES_SESSION_LEN + 1];
	char user[LEDGER_FIELD_MAX];
	uid_t uid;
	gid_t gid;
	gid_t groups[KEEPER_MAX_GROUPS];
	char *group_names[KEEPER_MAX_GROUPS]; /* "" when unnamed */
	size_t n_groups;
	char home[PATH_MAX];
	pid_t caller;
	char rhost[LEDGER_FIELD_MAX];
	char service[64];
	char auth_info[8192];
	char config_path[PATH_MAX];
	bool debug;
	bool wait; /* the module waits for "ready" (PAM argument wait) */
};

/* What a session holds: its config, its copy and record, its logins, its clocks. */
struct session {
	struct config cfg;
	char container[NAMES_CONTAINER_MAX + 1]; /* the copy's name */
	char hostname[NAMES_CONTAINER_MAX + 1];  /* from the name template (= container unless pooled) */
	bool pooled;                             /* the copy came from the pool */
	const struct copy_driver *drv;
	struct copy_spec spec; /* what the copy is made from (points into the keeper) */
	struct copy *copy;     /* prepared by keeper_setup, made by keeper_make_copy */
	struct ledger_entry entry;
	uint64_t t0_ms;

	struct caller callers[KEEPER_MAX_CALLERS]; /* the first is the PAM caller */
	size_t n_callers;
	char join[NAMES_SESSION_LEN + 1]; /* share = user: the session to join instead */
	bool housekept; /* keeper_housekeeping has run */
	int listenfd;
	int sigfd;
	int timerfd;
	char sockpath[PATH_MAX];
	const char *end_reason;
	uint64_t last_activity_ms; /* terminal I/O, for idle_timeout */
	char addrs[256];           /* the copy's addresses (network = veth:…), once known */
	bool addrs_tried;
	bool warned_timeout, warned_idle;
};

/* What the session's clients (shells, the PAM module, throwawayctl) hold. */
struct clients {
	struct client c[KEEPER_MAX_CLIENTS];
	size_t n;
};

struct keeper {
	struct request req;
	struct session s;
	struct clients cl;
};


/* keeper_setup.c: everything between the request and "ready". */
int keeper_read_request(struct keeper *k, int fd, char *err);
/* Up to "accepted": what can fail for the login's own reasons, and the socket. */
int keeper_setup(struct keeper *k, char *err);
/* The running copy: made and started, or taken from the pool. */
int keeper_make_copy(struct keeper *k, char *err);
/* keeper_files.c: the user's files in the running copy. */
int keeper_populate(struct keeper *k, char *err);
/* The same in two halves: the driver writes them while the keeper goes on. */
int keeper_populate_begin(struct keeper *k, int *ret_job, char *err);
int keeper_populate_end(struct keeper *k, int job, char *err);

/* keeper_loop.c: the first program's attach, made ahead of its request. */
void keeper_make_spare(struct keeper *k);

/* keeper_pool.c: copies made ahead of logins (pool = N). */
int keeper_pool_signature(const struct config *c, char *buf, size_t len);
/* May this login take a pooled copy? Then sig gets the copies' signature. */
bool keeper_pool_wanted(const struct keeper *k, char *sig, size_t len);
/* Is record e a live pooled copy with signature sig (read under the ledger lock)? */
bool keeper_pool_match(const char *sig, const struct ledger_entry *e);
/* Give the taken copy k->container the session's name, files, home and binds. */
int keeper_pool_adopt(struct keeper *k, char *err);
void keeper_pool_spawn_fill(const struct keeper *k);
/* throwaway-keeper --pool-fill[-later] CONFIG: 0, or 1 on failure. */
int keeper_pool_fill(const char *config_path, bool later);

void keeper_leave_caller_cgroup(void);

/* Undo keeper_setup as far as it got (no copy left, no record, no socket). */
void keeper_abort(struct keeper *k);
/* Only the copy (and the opened origin): the socket and the record stay. */
void keeper_abort_copy(struct keeper *k);

/* keeper_loop.c: serve the session until it ends, then tear down. */
int keeper_loop(struct keeper *k);

/*
 * keeper.c: what a session does for the host (the at-open gc, the pool's
 * refill), once: at the session's first quiet moment, or after its end.
 */
void keeper_housekeeping(struct keeper *k);
/* The copy could not be made after the login went on: tell its shells why. */
void keeper_serve_failure(struct keeper *k, const char *why);
void keeper_teardown(struct keeper *k);

#endif
