/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The session's files inside the running copy: /etc/passwd and /etc/group
 * with the user's entries, /etc/hostname, /etc/hosts, and with
 * bind_home = no the user's SSH keys in the copy's fresh home.
 *
 * The keeper prepares them (the origin's files through the copy driver,
 * the user's keys read as the user) and the driver writes them into the
 * running copy (copy_write_begin), beside whatever the keeper does next.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "cleanup.h"
#include "copy.h"
#include "keeper.h"
#include "keys.h"
#include "log.h"
#include "safefs.h"
#include "util.h"

#define ETC_MAX (1024 * 1024)

/* The copy's /etc/passwd: the origin's, minus any entry for this name or uid, plus ours. */
static int build_passwd(struct keeper *k, char **ret, size_t *ret_len)
{
	_cleanup_free_ char *orig = NULL;
	size_t len = 0;
	int r = copy_read_origin(k->s.copy, "/etc/passwd", ETC_MAX, &orig, &len);
	if (r < 0 && r != -ENOENT)
		return r;
	size_t cap = len + strlen(k->req.user) + strlen(k->req.home) + strlen(k->s.cfg.shell) + 64;
	char *out = malloc(cap), *o = out;
	if (!out)
		return -ENOMEM;
	char uidpfx[32];
	snprintf(uidpfx, sizeof(uidpfx), ":%u:", (unsigned)k->req.uid);
	for (char *save = NULL, *l = orig ? strtok_r(orig, "\n", &save) : NULL; l;
	     l = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(l, ':');
		char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		bool same_name = c1 && (size_t)(c1 - l) == strlen(k->req.user) &&
				 !strncmp(l, k->req.user, strlen(k->req.user));
		bool same_uid = c2 && !strncmp(c2, uidpfx, strlen(uidpfx));
		if (!same_name && !same_uid)
			o += sprintf(o, "%s\n", l);
	}
	o += sprintf(o, "%s:x:%u:%u::%s:%s\n", k->req.user, (unsigned)k->req.uid,
		     (unsigned)k->req.gid, k->req.home, k->s.cfg.shell);
	*ret = out;
	*ret_len = (size_t)(o - out);
	return 0;
}

/* The copy's /etc/group: the origin's, plus each of the user's groups it lacks. */
static int build_group(struct keeper *k, char **ret, size_t *ret_len)
{
	_cleanup_free_ char *orig = NULL;
	size_t len = 0;
	int r = copy_read_origin(k->s.copy, "/etc/group", ETC_MAX, &orig, &len);
	if (r < 0 && r != -ENOENT)
		return r;
	/* Per group "NAME:x:GID:USER\n": NAME is at most CONFIG_GROUP_NAME_MAX (what
	 * a [group:NAME] section takes, and the module sends), GID 10 digits. */
	size_t cap =
		len + 2 +
		k->req.n_groups * (CONFIG_GROUP_NAME_MAX + 3 + 10 + 1 + strlen(k->req.user) + 1);
	char *out = malloc(cap), *o = out;
	if (!out)
		return -ENOMEM;
	o += sprintf(o, "%s", orig ? orig : "");
	if (o > out && o[-1] != '\n')
		*o++ = '\n', *o = '\0';
	for (size_t i = 0; i < k->req.n_groups; i++) {
		char pat[32];
		snprintf(pat, sizeof(pat), ":%u:", (unsigned)k->req.groups[i]);
		const char *name = k->req.group_names[i];
		if (!name[0] || strlen(name) > CONFIG_GROUP_NAME_MAX || strstr(out, pat))
			continue;
		o += sprintf(o, "%s:x:%u:%s\n", name, (unsigned)k->req.groups[i], k->req.user);
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
	if (k->s.cfg.bind_home || k->s.cfg.ssh_keys == SSH_KEYS_NONE)
		return 0;
	if (k->s.cfg.ssh_keys == SSH_KEYS_USED)
		return keys_from_auth_info(k->req.auth_info, keys);
	int r = safefs_read_as_user(k->req.uid, k->req.gid, k->req.home, ".ssh/authorized_keys",
				    KEYS_MAX_FILE, &buf, &len);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		/* A symlink, FIFO, oversized or unreadable file: no key, but a login. */
		char why[64];
		snprintf(why, sizeof(why), "%s", strerror(-r));
		if (r != -ENOENT)
			log_event(LOG_WARNING, "error", "session", k->req.session, "user",
				  k->req.user, "reason", "authorized_keys not used, ignoring",
				  "errno", why, NULL);
		return 0;
	}
	r = keys_parse(buf, len, keys);
	if (r == 0 && keys->skipped > 0) {
		char n[24], line[24];
		snprintf(n, sizeof(n), "%zu", keys->skipped);
		snprintf(line, sizeof(line), "%zu", keys->first_bad_line);
		log_event(LOG_WARNING, "error", "session", k->req.session, "user", k->req.user,
			  "reason", "authorized_keys lines skipped, ignoring", "skipped", n, "line",
			  line, NULL);
	}
	return r;
}

/* The keys for a fresh home, as authorized_keys text; logged by fingerprint. */
static int keys_text(struct keeper *k, char **ret, size_t *ret_len)
{
	struct key_list keys;
	int r = collect_keys(k, &keys);
	if (r == 0 && keys.n > 0)
		r = keys_format(&keys, ret, ret_len);
	for (size_t i = 0; r == 0 && i < keys.n; i++)
		log_event(LOG_INFO, "open", "session", k->req.session, "user", k->req.user,
			  "container", k->s.container, "key", keys.keys[i].fp, NULL);
	keys_free(&keys);
	return r;
}

/* Everything a session puts into its copy: the root's files first, the user's last. */
#define FILES_MAX (4 + CONFIG_MAX_BINDS + 2)

struct files {
	struct copy_file f[FILES_MAX];
	size_t n;
	char *passwd, *group, *keys;
	char hosts[256];
	char hostname[NAMES_CONTAINER_MAX + 2];
	char keyfile[PATH_MAX];
};

static void add(struct files *w, const char *path, const char *data, size_t len, mode_t mode)
{
	w->f[w->n++] = (struct copy_file){ .path = path, .data = data, .len = len, .mode = mode };
}

static int prepare(struct keeper *k, struct files *w, struct tw_err *err)
{
	size_t plen, glen, klen = 0;
	int r = build_passwd(k, &w->passwd, &plen);
	if (r >= 0)
		r = build_group(k, &w->group, &glen);
	if (r < 0) {
		tw_err_set(err, 0, "cannot read the origin's /etc (%s)", strerror(-r));
		return r;
	}
	if ((r = keys_text(k, &w->keys, &klen)) < 0) {
		tw_err_set(err, 0, "cannot read your SSH keys (%s)", strerror(-r));
		return r;
	}
	snprintf(w->hosts, sizeof(w->hosts),
		 "127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n",
		 k->s.hostname);
	snprintf(w->hostname, sizeof(w->hostname), "%s\n", k->s.hostname);
	add(w, "/etc/passwd", w->passwd, plen, 0644);
	add(w, "/etc/group", w->group, glen, 0644);
	add(w, "/etc/hosts", w->hosts, strlen(w->hosts), 0644);
	add(w, "/etc/hostname", w->hostname, strlen(w->hostname), 0644);
	/* A pooled copy had no mount points for the home and the binds made yet. */
	if (k->s.pooled && k->s.cfg.bind_home)
		add(w, k->req.home, NULL, 0, 0755);
	for (size_t i = 0; k->s.pooled && i < k->s.cfg.n_binds; i++)
		add(w, k->s.cfg.binds[i].dst, NULL, 0, 0755);
	if (w->keys) {
		snprintf(w->keyfile, sizeof(w->keyfile), "%s/.ssh/authorized_keys", k->req.home);
		add(w, w->keyfile, w->keys, klen, 0600);
		w->f[w->n - 1].uid = k->req.uid;
		w->f[w->n - 1].gid = k->req.gid;
		w->f[w->n - 1].owned_below = k->req.home;
	}
	return 0;
}

int keeper_populate_begin(struct keeper *k, int *ret_job, struct tw_err *err)
{
	struct files *w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	int r = prepare(k, w, err);
	/* The driver keeps what it needs of w: ours can go once it has begun. */
	if (r >= 0 && (r = copy_write_begin(k->s.copy, w->f, w->n, ret_job)) < 0)
		tw_err_set(err, 0, "cannot write your files into the copy (%s)", strerror(-r));
	free(w->passwd);
	free(w->group);
	free(w->keys);
	free(w);
	return r;
}

int keeper_populate_end(struct keeper *k, int job, struct tw_err *err)
{
	int r = copy_write_end(k->s.copy, job);
	if (r < 0)
		tw_err_set(err, 0, "cannot write your files into the copy (%s)", strerror(-r));
	return r;
}

int keeper_populate(struct keeper *k, struct tw_err *err)
{
	int job = -1;
	int r = keeper_populate_begin(k, &job, err);
	return r < 0 ? r : keeper_populate_end(k, job, err);
}
