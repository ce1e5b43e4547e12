/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The session's files inside the running copy: /etc/passwd and /etc/group
 * with the user's entries, /etc/hostname, /etc/hosts, and with
 * bind_home = no the user's SSH keys in the copy's fresh home.
 *
 * The keeper prepares them (the origin's files read on the host without
 * symlinks, the user's keys read as the user) and a child that joined the
 * copy's namespaces as its root (ctr_run_as_root) writes them right after
 * start: paths resolve inside the copy, ids are the copy's, and the files
 * land in its upper layer whatever namespace mounted it.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <lxc/lxccontainer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "cleanup.h"
#include "container.h"
#include "keeper.h"
#include "keys.h"
#include "log.h"
#include "safefs.h"
#include "util.h"

#define ETC_MAX (1024 * 1024)

/* The copy's /etc/passwd: the origin's, minus any entry for this name or uid, plus ours. */
static int build_passwd(struct keeper *k, int lowerfd, char **ret, size_t *ret_len)
{
	_cleanup_free_ char *orig = NULL;
	size_t len = 0;
	int r = safefs_read_beneath(lowerfd, "etc/passwd", ETC_MAX, &orig, &len);
	if (r < 0 && r != -ENOENT)
		return r;
	size_t cap = len + strlen(k->user) + strlen(k->home) + strlen(k->cfg.shell) + 64;
	char *out = malloc(cap), *o = out;
	if (!out)
		return -ENOMEM;
	char uidpfx[32];
	snprintf(uidpfx, sizeof(uidpfx), ":%u:", (unsigned)k->uid);
	for (char *save = NULL, *l = orig ? strtok_r(orig, "\n", &save) : NULL; l;
	     l = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(l, ':');
		char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		bool same_name = c1 && (size_t)(c1 - l) == strlen(k->user) && !strncmp(l, k->user, strlen(k->user));
		bool same_uid = c2 && !strncmp(c2, uidpfx, strlen(uidpfx));
		if (!same_name && !same_uid)
			o += sprintf(o, "%s\n", l);
	}
	o += sprintf(o, "%s:x:%u:%u::%s:%s\n", k->user, (unsigned)k->uid, (unsigned)k->gid, k->home,
		     k->cfg.shell);
	*ret = out;
	*ret_len = (size_t)(o - out);
	return 0;
}

/* The copy's /etc/group: the origin's, plus each of the user's groups it lacks. */
static int build_group(struct keeper *k, int lowerfd, char **ret, size_t *ret_len)
{
	_cleanup_free_ char *orig = NULL;
	size_t len = 0;
	int r = safefs_read_beneath(lowerfd, "etc/group", ETC_MAX, &orig, &len);
	if (r < 0 && r != -ENOENT)
		return r;
	/* Per group "NAME:x:GID:USER\n": NAME is at most 64, GID 10 digits. */
	size_t cap = len + 2 + k->n_groups * (64 + 3 + 10 + 1 + strlen(k->user) + 1);
	char *out = malloc(cap), *o = out;
	if (!out)
		return -ENOMEM;
	o += sprintf(o, "%s", orig ? orig : "");
	if (o > out && o[-1] != '\n')
		*o++ = '\n', *o = '\0';
	for (size_t i = 0; i < k->n_groups; i++) {
		char pat[32];
		snprintf(pat, sizeof(pat), ":%u:", (unsigned)k->groups[i]);
		const char *name = k->group_names[i];
		if (!name[0] || strlen(name) > 64 || strstr(out, pat))
			continue;
		o += sprintf(o, "%s:x:%u:%s\n", name, (unsigned)k->groups[i], k->user);
	}
	*ret = out;
	*ret_len = (size_t)(o - out);
	return 0;
}

/* The keys to install in a fresh home (bind_home = no). n = 0: none. */
static int collect_keys(struct keeper *k, struct key_list *keys)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;

	memset(keys, 0, sizeof(*keys));
	if (k->cfg.bind_home || k->cfg.ssh_keys == SSH_KEYS_NONE)
		return 0;
	if (k->cfg.ssh_keys == SSH_KEYS_USED)
		return keys_from_auth_info(k->auth_info, keys);
	int r = safefs_read_as_user(k->uid, k->gid, k->home, ".ssh/authorized_keys", KEYS_MAX_FILE,
				    &buf, &len);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		/* A symlink, FIFO, oversized or unreadable file: no key, but a login. */
		char why[64];
		snprintf(why, sizeof(why), "%s", strerror(-r));
		if (r != -ENOENT)
			log_event(LOG_WARNING, "error", "session", k->session, "user", k->user, "reason",
				  "authorized_keys not used, ignoring", "errno", why, NULL);
		return 0;
	}
	r = keys_parse(buf, len, keys);
	if (r == 0 && keys->skipped > 0) {
		char n[24], line[24];
		snprintf(n, sizeof(n), "%zu", keys->skipped);
		snprintf(line, sizeof(line), "%zu", keys->first_bad_line);
		log_event(LOG_WARNING, "error", "session", k->session, "user", k->user, "reason",
			  "authorized_keys lines skipped, ignoring", "skipped", n, "line", line, NULL);
	}
	return r;
}

/* What goes into the copy, prepared by the keeper and written from inside. */
struct files {
	char *passwd, *group, *keys;
	size_t plen, glen, klen;
	char hosts[256];
	char hostname[NAMES_CONTAINER_MAX + 2];
	const char *home;
	uid_t uid;
	gid_t gid;
	const char *dirs[CONFIG_MAX_BINDS + 1]; /* mount points to make (pooled copies) */
	size_t n_dirs;
};

/* Replace dir/name atomically: a new file, then rename over the old one. */
static int replace_file(int dirfd, const char *name, const char *data, size_t len, mode_t mode,
			uid_t uid, gid_t gid)
{
	char tmp[NAME_MAX + 1];
	snprintf(tmp, sizeof(tmp), ".throwaway-%.200s", name);
	unlinkat(dirfd, tmp, 0);
	int r = safefs_write_beneath(dirfd, tmp, data, len, mode, uid, gid, 0);
	if (r < 0)
		return r;
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		r = -errno;
		unlinkat(dirfd, tmp, 0);
	}
	return r;
}

static int write_etc(const struct files *f, int rootfd)
{
	_cleanup_close_ int etc = safefs_mkdirs_beneath(rootfd, "etc", 0755, 0, 0);
	if (etc < 0)
		return etc;
	int r = replace_file(etc, "passwd", f->passwd, f->plen, 0644, 0, 0);
	if (r >= 0)
		r = replace_file(etc, "group", f->group, f->glen, 0644, 0, 0);
	if (r >= 0)
		r = replace_file(etc, "hosts", f->hosts, strlen(f->hosts), 0644, 0, 0);
	if (r >= 0)
		r = replace_file(etc, "hostname", f->hostname, strlen(f->hostname), 0644, 0, 0);
	for (size_t i = 0; r >= 0 && i < f->n_dirs; i++) {
		int fd = safefs_mkdirs_beneath(rootfd, f->dirs[i] + strspn(f->dirs[i], "/"), 0755, 0, 0);
		r = fd < 0 ? fd : 0;
		if (fd >= 0)
			close(fd);
	}
	return r;
}

/* ~/.ssh: missing parents of the home belong to root, the home and .ssh to the user. */
static int open_ssh_dir(const struct files *f, int rootfd)
{
	char parent[PATH_MAX], rel[PATH_MAX + 8];
	const char *home = f->home + strspn(f->home, "/");
	const char *slash = strrchr(home, '/');

	if (slash) {
		snprintf(parent, sizeof(parent), "%.*s", (int)(slash - home), home);
		int r = safefs_mkdirs_beneath(rootfd, parent, 0755, 0, 0);
		if (r < 0)
			return r;
		close(r);
	}
	snprintf(rel, sizeof(rel), "%s/.ssh", home);
	return safefs_mkdirs_beneath(rootfd, rel, 0700, f->uid, f->gid);
}

/*
 * Runs as the copy's root in its namespaces (ctr_run_as_root): ids are the copy's,
 * and no path can lead out of it. No symlink is followed on the way.
 */
static int write_inside(void *data)
{
	const struct files *f = data;
	_cleanup_close_ int rootfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		_exit(errno);
	int r = write_etc(f, rootfd);
	if (r >= 0 && f->keys) {
		_cleanup_close_ int ssh = open_ssh_dir(f, rootfd);
		/* The key file is written as the user: a privileged copy's root may
		 * not write into the user's directories (no dac_override). */
		if (ssh >= 0 && (setgroups(0, NULL) < 0 || setresgid(f->gid, f->gid, f->gid) < 0 ||
				 setresuid(f->uid, f->uid, f->uid) < 0))
			_exit(EPERM);
		r = ssh < 0 ? ssh : replace_file(ssh, "authorized_keys", f->keys, f->klen, 0600, f->uid, f->gid);
	}
	_exit(r < 0 ? -r : 0);
}

/* The keys for a fresh home, as authorized_keys text; logged by fingerprint. */
static int keys_text(struct keeper *k, char **ret, size_t *ret_len)
{
	struct key_list keys;
	int r = collect_keys(k, &keys);
	if (r == 0 && keys.n > 0)
		r = keys_format(&keys, ret, ret_len);
	for (size_t i = 0; r == 0 && i < keys.n; i++)
		log_event(LOG_INFO, "open", "session", k->session, "user", k->user, "container",
			  k->container, "key", keys.keys[i].fp, NULL);
	keys_free(&keys);
	return r;
}

int keeper_populate_begin(struct keeper *k, const char *lower, pid_t *ret_pid, char *err)
{
	struct files f = { .home = k->home, .uid = k->uid, .gid = k->gid };
	_cleanup_close_ int lowerfd = open(lower, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int r = lowerfd < 0 ? -errno : build_passwd(k, lowerfd, &f.passwd, &f.plen);
	if (r >= 0)
		r = build_group(k, lowerfd, &f.group, &f.glen);
	if (r < 0) {
		snprintf(err, KEEPER_ERR_MAX, "cannot read the origin's /etc (%s)", strerror(-r));
		goto out;
	}
	if ((r = keys_text(k, &f.keys, &f.klen)) < 0) {
		snprintf(err, KEEPER_ERR_MAX, "cannot read your SSH keys (%s)", strerror(-r));
		goto out;
	}
	snprintf(f.hosts, sizeof(f.hosts),
		 "127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n",
		 k->hostname);
	snprintf(f.hostname, sizeof(f.hostname), "%s\n", k->hostname);
	/* A pooled copy had no mount points for the home and the binds made yet. */
	if (k->pooled && k->cfg.bind_home)
		f.dirs[f.n_dirs++] = k->home;
	for (size_t i = 0; k->pooled && i < k->cfg.n_binds; i++)
		f.dirs[f.n_dirs++] = k->cfg.binds[i].dst;
	/* The child has its own copy of f: ours can go once it is forked. */
	r = ctr_run_as_root_begin(k->c, write_inside, &f, ret_pid);
	if (r < 0)
		snprintf(err, KEEPER_ERR_MAX, "cannot write your files into the copy (%s)", strerror(-r));
out:
	free(f.passwd);
	free(f.group);
	free(f.keys);
	return r;
}

int keeper_populate_end(pid_t pid, char *err)
{
	int r = ctr_run_end(pid);
	if (r < 0)
		snprintf(err, KEEPER_ERR_MAX, "cannot write your files into the copy (%s)", strerror(-r));
	return r;
}

int keeper_populate(struct keeper *k, const char *lower, char *err)
{
	pid_t pid = -1;
	int r = keeper_populate_begin(k, lower, &pid, err);
	return r < 0 ? r : keeper_populate_end(pid, err);
}
