/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The per-session keeper (throwaway-keeper): its state, and what its files offer each other. */
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
#include "netaddr.h"
#include "proto.h"

struct pollfd;

#define KEEPER_MAX_CLIENTS 64
/* Of these, root's alone (the PAM module's close and join, throwawayctl): the user cannot take them. */
#define KEEPER_ROOT_CLIENTS 8
#define KEEPER_MAX_GROUPS 64
#define KEEPER_MAX_CALLERS 32 /* logins sharing one copy (share = user) */
/* Picks of an address for one copy, where other front doors pick from the same range. */
#define KEEPER_ADDR_TRIES 3

struct client {
	uint64_t id; /* in the order they came, never reused (slots move) */
	int fd;
	uid_t uid;   /* SO_PEERCRED */
	pid_t pid;   /* attached program, 0 if none */
	bool pty;    /* the program has a terminal (its I/O is reported) */
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

/* network = veth: a copy's address ("A.B.C.D/P") and gateway, as its spec points at them. */
struct keeper_net {
	char address[NETADDR_STRLEN + 4];
	char gateway[NETADDR_STRLEN];
};

/* The range and the bridge's subnet of cfg's network; .on false without one. */
struct keeper_subnet {
	bool on;
	struct netaddr_range range;
	struct netaddr_net net;
};
/* What a session holds: its config, its copy and record, its logins, its clocks. */
struct session {
	struct config cfg;
	char container[NAMES_CONTAINER_MAX + 1]; /* the copy's name */
	char hostname[NAMES_CONTAINER_MAX +
		      1]; /* from the name template (= container unless pooled) */
	bool pooled;      /* the copy came from the pool */
	bool attached;    /* share = user: the copy is one another session shares (find_shared) */
	const struct copy_driver *drv;
	struct copy_spec spec;       /* what the copy is made from (points into the keeper) */
	struct keeper_subnet subnet; /* network = veth: the range and the bridge's subnet */
	struct keeper_net net;       /* its address, with network = veth */
	struct copy *copy;           /* prepared by keeper_setup, made by keeper_make_copy */
	struct ledger_entry entry;
	uint64_t t0_ms;

	struct caller callers[KEEPER_MAX_CALLERS]; /* the first is the PAM caller */
	size_t n_callers;
	char join[NAMES_SESSION_LEN + 1]; /* share = user: the session to join instead */
	bool housekept;                   /* keeper_housekeeping has run */
	bool gc_wanted;                   /* the census saw a record of a dead keeper */
	int listenfd;
	int sigfd;
	int timerfd;
	char sockpath[PATH_MAX];
	const char *end_reason;
	uint64_t last_activity_ms; /* terminal I/O, for idle_timeout */
	uint64_t renewed_ms;       /* when the copy was last vouched for (copy_renew) */
	char addrs[256];           /* the copy's addresses (network = veth:…), once known */
	bool addrs_tried;
	bool warned_timeout, warned_idle;
};

/* What the session's clients (shells, the PAM module, throwawayctl) hold. */
struct clients {
	struct client c[KEEPER_MAX_CLIENTS];
	size_t n;
	uint64_t last_id;
};

struct keeper {
	struct request req;
	struct session s;
	struct clients cl;
};

/*
 * The keeper's files, each calling only those below it (a test checks
 * that no file calls one above it):
 *   main.c          the program: a session, --destroy, --pool-fill
 *   failure.c       a copy that failed after the login went on
 *   loop.c          the event loop, timeouts, teardown
 *   requests.c      the table of requests and their handlers
 *   run.c           the "run" request: a program inside the copy
 *   clients.c       the socket's clients and the session's logins
 *   housekeeping.c  gc and the pool's refill, once per session
 *   setup.c         from the request to a running copy
 *   pool.c          copies made ahead of logins (pool = N)
 *   files.c         the session's files in its copy
 *   request.c       the PAM module's request
 *   network.c       the copies' addresses on a bridge
 */

/* network.c: with network = veth, the bridge's subnet (before the ledger
 * lock: a cluster's is a question to it), a free address of network_range
 * into ret_addr (under the lock; nothing without a bridge), and a record's
 * address made a copy's (the bridge's subnet and gateway). */
int keeper_net_subnet(const struct config *cfg, struct keeper_subnet *ret, struct tw_err *err);
/* A free address of sn's range (under the ledger's lock), none that OTHERS (other front
 * doors' copies in a shared place, or NULL) hold; "" without a network. */
int keeper_net_pick(const struct config *cfg, const struct keeper_subnet *sn,
		    const struct copy_elsewhere *others, char *ret_addr, size_t len,
		    struct tw_err *err);
int keeper_net_spec(const struct keeper_subnet *sn, const char *addr, struct keeper_net *ret,
		    struct tw_err *err);

/* request.c */
int keeper_read_request(struct keeper *k, int fd, struct tw_err *err);

/* files.c: the user's files in the running copy. */
int keeper_populate(struct keeper *k, struct tw_err *err);
/* The same in two halves: the driver writes them while the keeper goes on. */
int keeper_populate_begin(struct keeper *k, int *ret_job, struct tw_err *err);
int keeper_populate_end(struct keeper *k, int job, struct tw_err *err);

/* pool.c: copies made ahead of logins (pool = N). */
/* May this login take a pooled copy? Then sig gets the copies' signature. */
bool keeper_pool_wanted(const struct keeper *k, char *sig, size_t len);
/* Is record e a live pooled copy with signature sig (read under the ledger lock)? */
bool keeper_pool_match(const char *sig, const struct ledger_entry *e);
/* Give the taken copy the session's name, files, home and binds. */
int keeper_pool_adopt(struct keeper *k, struct tw_err *err);
void keeper_pool_spawn_fill(const struct keeper *k);
/* throwaway-keeper --pool-fill[-later] CONFIG: 0, or 1 on failure. */
int keeper_pool_fill(const char *config_path, bool later);

/* setup.c: everything between the request and "ready". */
/* Up to "accepted": what can fail for the login's own reasons, and the socket. */
int keeper_setup(struct keeper *k, struct tw_err *err);
/* The running copy: made and started, or taken from the pool. */
int keeper_make_copy(struct keeper *k, struct tw_err *err);
/* Undo keeper_setup as far as it got (no copy left, no record, no socket). */
void keeper_abort(struct keeper *k);
/* Only the copy: the socket and the record stay. */
void keeper_abort_copy(struct keeper *k);

/* housekeeping.c: gc and the pool's refill, once: at the session's first
 * quiet moment, or after its end. */
void keeper_housekeeping(struct keeper *k);

/* clients.c */
void keeper_client_accept(struct keeper *k);
/* Let client i go (its program too, like a hung-up login). */
void keeper_client_close(struct keeper *k, size_t i);
void keeper_client_error(int fd, const char *msg, const char *code);
/* "this session ends in N s (why)", for the client's terminal. */
void keeper_client_warn(int fd, uint64_t left_ms, const char *why);
/* The callers' pidfds, then the clients' sockets, into p; how many. */
size_t keeper_poll_peers(const struct keeper *k, struct pollfd *p);
/* The slot of the client with this id, or -1 once it is gone. */
ssize_t keeper_client_find(const struct keeper *k, uint64_t id);
/* A login of this copy ended: the copy goes with the last one. */
void keeper_drop_caller(struct keeper *k, size_t i);

/* run.c: the first program's entry, made ready ahead of its request. */
void keeper_make_spare(struct keeper *k);
void keeper_request_run(struct keeper *k, size_t i, const struct proto_msg *m, const int *fds,
			size_t n_fds);

/* requests.c: one message from client i, answered as the table says. */
void keeper_request(struct keeper *k, size_t i);

/* loop.c: serve the session until it ends, then tear down. */
int keeper_loop(struct keeper *k);
void keeper_teardown(struct keeper *k);

/* failure.c: the copy could not be made after the login went on: tell its shells why. */
void keeper_serve_failure(struct keeper *k, const char *why);

#endif
