/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * throwaway.conf: INI with [global], [group:NAME] and [user:NAME] sections.
 * The whole file is validated whatever the user; the values that apply to
 * one user are global, then every group section of a group the user is in
 * (file order), then the user's own section. Errors name file and line.
 */
#ifndef THROWAWAY_CONFIG_H
#define THROWAWAY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

#define CONFIG_DEFAULT_PATH "/etc/throwaway/throwaway.conf"
#define CONFIG_MAX_LINE 1024
#define CONFIG_MAX_BINDS 32
#define CONFIG_MAX_DEVICES 32
#define CONFIG_MAX_POOL 256
#define CONFIG_MAX_FILE (1024 * 1024)

enum config_storage { STORAGE_TMPFS, STORAGE_DIR };
enum config_ssh_keys { SSH_KEYS_ALL, SSH_KEYS_USED, SSH_KEYS_NONE };
enum config_share { SHARE_SESSION, SHARE_USER };
enum config_boot { BOOT_INIT, BOOT_MINIMAL };
enum config_backend { BACKEND_LXC, BACKEND_LXD };

/* Each enum's words, as the config and the logs write them, by value (NULL-terminated). */
extern const char *const config_storage_names[];
extern const char *const config_ssh_keys_names[];
extern const char *const config_share_names[];
extern const char *const config_boot_names[];
extern const char *const config_backend_names[];

struct config_bind {
	char *src; /* absolute host path */
	char *dst; /* absolute path inside the copy */
	bool ro;
};

struct config {
	char *origin;         /* required */
	char *origin_lxcpath; /* /var/lib/lxc */
	char *lxcpath;        /* /var/lib/throwaway/containers */
	enum config_storage storage;
	uint64_t tmpfs_size; /* bytes, 1G */
	uint64_t dir_size;   /* bytes, 1G: the cap of a dir upper layer */
	bool keep;
	uint64_t kept_total; /* bytes, 10G: all kept data together */
	bool bind_home;
	struct config_bind binds[CONFIG_MAX_BINDS];
	size_t n_binds;
	enum config_ssh_keys ssh_keys;
	char *shell; /* /bin/sh */
	bool userns;
	char *network;       /* "none" */
	char *network_range; /* "FIRST-LAST": the copies' addresses, needed with veth */
	bool network_peers;  /* copies on the bridge may reach each other */
	uint64_t pids_max;
	uint64_t memory_max;          /* bytes */
	uint64_t memory_max_per_user; /* bytes, one user's copies; 0: config_memory_per_user */
	uint64_t memory_max_total;    /* bytes, all copies, [global] only; 0: the host's less 10% */
	uint64_t cpu_weight;
	uint64_t pty_max; /* terminals of one copy */
	uint64_t max_sessions;
	uint64_t max_sessions_per_user;
	uint64_t session_timeout; /* seconds, 0 = none */
	uint64_t idle_timeout;    /* seconds, 0 = none */
	uint64_t start_timeout;   /* seconds */
	char *name;               /* copy name template, %o-%u-%r */
	enum config_share share;
	char *devices[CONFIG_MAX_DEVICES];
	size_t n_devices;
	enum config_boot boot;
	uint64_t pool;
	bool banner;
	enum config_backend backend; /* lxc: this host's liblxc; lxd: an LXD (cluster) */
	char *lxd_socket;            /* /var/lib/lxd/unix.socket */
	char *lxd_url;               /* https://HOST[:PORT], NULL: the socket */
	char *lxd_cert, *lxd_key;    /* our client certificate for lxd_url */
	char *lxd_server_cert;       /* the server's, pinned */
	char *lxd_project;           /* default */
	char *lxd_target;            /* a member or @group, NULL: LXD places */
	char *home_source;           /* the home on the members, %u/%U; NULL: the passwd path */
};

/* Who the values are resolved for. groups[] holds names (primary first). */
struct config_who {
	const char *user;
	const char *const *groups;
	size_t n_groups;
};

/*
 * Parse and validate PATH, resolving values for WHO (NULL: global only).
 * Returns 0 and fills *ret, or -errno with a "file:line: message" (or
 * "file: message") in err (may be NULL). -EINVAL for a bad file.
 * Does not check file ownership; see config_open_trusted().
 */
int config_load(const char *path, const struct config_who *who, struct config *ret,
		struct tw_err *err);

/* Same, reading an already opened stream named NAME in messages. */
int config_load_fd(int fd, const char *name, const struct config_who *who, struct config *ret,
		   struct tw_err *err);

/*
 * Refuse a config that someone other than root could have written: the file
 * and every parent directory must be owned by root and not group- or
 * world-writable, the file a regular file. Returns 0 or -errno with a
 * sentence in err. On success *ret_fd is the opened file (O_CLOEXEC).
 */
int config_open_trusted(const char *path, int *ret_fd, struct tw_err *err);

/*
 * Open PATH as config_open_trusted() does and resolve it for USER, whose
 * groups come from the group database (primary GID first). 0 or -errno
 * with a sentence in err.
 */
int config_load_user(const char *path, const char *user, gid_t gid, struct config *ret,
		     struct tw_err *err);

/* The same steps apart: the trusted file loaded for WHO, and a user's groups. */
int config_load_trusted(const char *path, const struct config_who *who, struct config *ret,
			struct tw_err *err);
/*
 * The groups USER (primary group gid) is in, primary first: ids into
 * gids[], names into names[] (malloc'd; "" for a group the database has no
 * entry for, or one with a name longer than CONFIG_GROUP_NAME_MAX, which no
 * section can name; free them). How many, or -E2BIG when the user is in
 * more than max (at most CONFIG_USER_MAX_GROUPS), or -errno when a group's
 * entry cannot be read: every group counts, as any may have a section, so
 * none is ever left out. gids[] must hold max ids.
 */
#define CONFIG_USER_MAX_GROUPS 64
#define CONFIG_GROUP_NAME_MAX 256 /* as a [group:NAME] section may be */
int config_user_groups(const char *user, gid_t gid, gid_t *gids, char **names, size_t max);
/* What config_user_groups' failure R means: "in more than 64 groups, …". */
const char *config_groups_error(int r);

void config_free(struct config *c);

/*
 * What all copies of one user may hold together: memory_max_per_user, or
 * when it is 0, memory_max x max_sessions_per_user (saturating).
 */
uint64_t config_memory_per_user(const struct config *c);

/*
 * The checks of the lxd keys' values, for the lxd driver to parse a copy's
 * place back as strictly as the config was read: an LXD project or member
 * name, an lxd_url, a certificate or key file.
 */
bool config_lxd_name_valid(const char *s);
bool config_lxd_url_valid(const char *s);
bool config_lxd_file_valid(const char *s);

/*
 * The directories a user's copies share, as the copies see them: the home
 * when it is bound, and each bind's place (read-only ones too: nothing is
 * made in them). Where no copy's program may make a socket or FIFO
 * (landlock.h), on either driver. At most max into dirs; how many.
 */
size_t config_shared_dirs(const struct config *c, const char *home, const char **dirs, size_t max);

/*
 * Where the members of an LXD cluster find USER's home (uid UID): C's
 * home_source with %u the name and %U the uid, or HOME when it is unset.
 * 0; -EINVAL when the name cannot be part of a path (not
 * names_user_safe), -ENAMETOOLONG when BUF is too small.
 */
int config_home_source(const struct config *c, const char *user, uid_t uid, const char *home,
		       char *buf, size_t len);

/* network = veth:BRIDGE: BRIDGE; NULL with network = none. */
const char *config_bridge(const struct config *c);

/* "1G" -> bytes; "10s"/"5m"/"2h"/"7d" -> seconds. 0 or -EINVAL. */
int config_parse_size(const char *s, uint64_t *ret);
int config_parse_duration(const char *s, uint64_t *ret);

#endif
