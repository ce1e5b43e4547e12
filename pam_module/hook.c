/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * throwaway-hook SESSION — run by liblxc (lxc.hook.version = 1) as root.
 *
 * pre-mount (in the copy's mount namespace, before its rootfs is mounted):
 *   mount the size-capped tmpfs upper layer (storage = tmpfs), so it lives
 *   and dies with the copy's namespace and a dead keeper cannot leak it;
 *   then write the files the keeper staged in <copy>/throwaway/ into the
 *   upper layer: /etc/passwd, /etc/group, /etc/hostname, /etc/hosts and,
 *   when staged, the user's ~/.ssh/authorized_keys.
 * post-stop (host namespace, right before the ephemeral destroy):
 *   close the session's ledger record and log the end.
 *
 * Trusts: the environment liblxc sets (LXC_CONFIG_FILE, LXC_NAME,
 * LXC_HOOK_TYPE) and the staging directory, which is root-only. The origin
 * rootfs is trusted as the admin's, but still walked without symlinks.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "ledger.h"
#include "log.h"
#include "names.h"
#include "safefs.h"
#include "util.h"

#define MANIFEST_MAX 4096
#define STAGED_MAX (4 * 1024 * 1024)

struct staged {
	const char *name; /* file in <copy>/throwaway/ */
	const char *dest; /* path inside the copy's root */
	mode_t mode;
};

static const struct staged etc_files[] = {
	{ "passwd", "etc/passwd", 0644 },
	{ "group", "etc/group", 0644 },
	{ "hostname", "etc/hostname", 0644 },
	{ "hosts", "etc/hosts", 0644 },
};

struct manifest {
	char text[MANIFEST_MAX];
	char lower[PATH_MAX];
	char storage[16];
	char home[PATH_MAX];
	unsigned long long tmpfs_size;
	uid_t uid;
	gid_t gid;
	int keys;
};

static int manifest_num(const char *text, const char *key, unsigned long long *ret)
{
	char v[32];
	char *end;
	int r = util_kv_get(text, key, v, sizeof(v));
	if (r < 0)
		return r;
	errno = 0;
	*ret = strtoull(v, &end, 10);
	return errno || *end || end == v ? -EINVAL : 0;
}

static int read_manifest(int stagefd, struct manifest *m)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	unsigned long long uid, gid, keys;
	int r = safefs_read_beneath(stagefd, "manifest", MANIFEST_MAX - 1, &buf, &len);
	if (r < 0)
		return r;
	memcpy(m->text, buf, len + 1);
	if ((r = util_kv_get(m->text, "lower", m->lower, sizeof(m->lower))) < 0 ||
	    (r = util_kv_get(m->text, "storage", m->storage, sizeof(m->storage))) < 0 ||
	    (r = util_kv_get(m->text, "home", m->home, sizeof(m->home))) < 0 ||
	    (r = manifest_num(m->text, "tmpfs_size", &m->tmpfs_size)) < 0 ||
	    (r = manifest_num(m->text, "uid", &uid)) < 0 ||
	    (r = manifest_num(m->text, "gid", &gid)) < 0 || (r = manifest_num(m->text, "keys", &keys)) < 0)
		return r;
	m->uid = (uid_t)uid;
	m->gid = (gid_t)gid;
	m->keys = keys != 0;
	return 0;
}

/* The tmpfs that holds the upper layer; <copy>/overlay/{delta,olwork} live on it. */
static int mount_upper(const char *copydir, const struct manifest *m)
{
	char path[PATH_MAX], opts[128];
	unsigned long long inodes = m->tmpfs_size / 4096;

	snprintf(path, sizeof(path), "%s/overlay", copydir);
	snprintf(opts, sizeof(opts), "size=%llu,nr_inodes=%llu,mode=0755", m->tmpfs_size,
		 inodes < 1024 ? 1024 : inodes);
	if (mount("throwaway", path, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0)
		return -errno;
	if (mkdir(strcat(path, "/delta"), 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/*
 * Create the missing directories of relpath in the upper layer with the
 * lower layer's mode and owner where the lower has them (the merged
 * directory takes the upper's attributes), else with mode/uid/gid.
 */
static int mkdirs_like_lower(int upperfd, int lowerfd, const char *relpath, mode_t mode,
			     uid_t uid, gid_t gid)
{
	char part[PATH_MAX];
	size_t len = strlen(relpath);

	if (len >= sizeof(part))
		return -ENAMETOOLONG;
	for (size_t i = 1; i <= len; i++) {
		if (relpath[i] != '/' && relpath[i] != '\0')
			continue;
		memcpy(part, relpath, i);
		part[i] = '\0';
		struct stat st = { .st_mode = mode, .st_uid = uid, .st_gid = gid };
		_cleanup_close_ int lfd = safefs_open_beneath(lowerfd, part, O_PATH | O_DIRECTORY, 0);
		if (lfd >= 0 && fstat(lfd, &st) < 0)
			return -errno;
		int fd = safefs_mkdirs_beneath(upperfd, part, st.st_mode & 07777, st.st_uid, st.st_gid);
		if (fd < 0)
			return fd;
		close(fd);
	}
	return 0;
}

static int copy_staged(int stagefd, int upperfd, int lowerfd, const char *name, const char *dest,
		       mode_t mode, uid_t uid, gid_t gid)
{
	_cleanup_free_ char *buf = NULL;
	_cleanup_free_ char *dir = strdup(dest);
	size_t len;
	if (!dir)
		return -ENOMEM;
	int r = safefs_read_beneath(stagefd, name, STAGED_MAX, &buf, &len);
	if (r < 0)
		return r;
	char *slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		r = mkdirs_like_lower(upperfd, lowerfd, dir, 0755, 0, 0);
		if (r < 0)
			return r;
	}
	return safefs_write_beneath(upperfd, dest, buf, len, mode, uid, gid, 1);
}

static int install_keys(int stagefd, int upperfd, int lowerfd, const struct manifest *m)
{
	char ssh[PATH_MAX + 8], dest[PATH_MAX + 32];
	const char *home = m->home;
	while (*home == '/')
		home++;
	/* The home and ~/.ssh belong to the user, whatever the parents are. */
	int r = mkdirs_like_lower(upperfd, lowerfd, home, 0700, m->uid, m->gid);
	if (r < 0)
		return r;
	snprintf(ssh, sizeof(ssh), "%s/.ssh", home);
	int fd = safefs_mkdirs_beneath(upperfd, ssh, 0700, m->uid, m->gid);
	if (fd < 0)
		return fd;
	close(fd);
	snprintf(dest, sizeof(dest), "%s/authorized_keys", ssh);
	return copy_staged(stagefd, upperfd, lowerfd, "authorized_keys", dest, 0600, m->uid, m->gid);
}

static int pre_mount(const char *copydir)
{
	char path[PATH_MAX];
	struct manifest m;

	snprintf(path, sizeof(path), "%s/throwaway", copydir);
	_cleanup_close_ int stagefd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (stagefd < 0)
		return -errno;
	int r = read_manifest(stagefd, &m);
	if (r < 0)
		return r;
	if (strcmp(m.storage, "tmpfs") == 0 && (r = mount_upper(copydir, &m)) < 0)
		return r;
	snprintf(path, sizeof(path), "%s/overlay/delta", copydir);
	_cleanup_close_ int upperfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int lowerfd = open(m.lower, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (upperfd < 0 || lowerfd < 0)
		return -errno;
	for (size_t i = 0; i < ELEMENTSOF(etc_files); i++) {
		r = copy_staged(stagefd, upperfd, lowerfd, etc_files[i].name, etc_files[i].dest,
				etc_files[i].mode, 0, 0);
		if (r < 0)
			return r;
	}
	return m.keys ? install_keys(stagefd, upperfd, lowerfd, &m) : 0;
}

static int post_stop(const char *session, const char *name)
{
	struct ledger_entry e;
	char uid[16], ms[32];

	int r = ledger_read(TW_RUNDIR, session, &e);
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	if (strcmp(e.container, name) != 0)
		return -EINVAL;
	ledger_remove(TW_RUNDIR, session);
	snprintf(uid, sizeof(uid), "%u", (unsigned)e.uid);
	snprintf(ms, sizeof(ms), "%lld", (long long)(time(NULL) - e.started) * 1000);
	log_event(LOG_INFO, "destroy", "session", e.session, "user", e.user, "uid", uid,
		  "rhost", e.rhost, "container", e.container, "ms", ms, NULL);
	return 0;
}

int main(int argc, char **argv)
{
	const char *type = getenv("LXC_HOOK_TYPE");
	const char *conf = getenv("LXC_CONFIG_FILE");
	const char *name = getenv("LXC_NAME");
	char copydir[PATH_MAX], err[64];
	int r;

	log_open(false);
	if (argc != 2 || !names_session_valid(argv[1]) || !type || !conf || !name ||
	    strlen(conf) >= sizeof(copydir)) {
		log_event(LOG_ERR, "error", "reason", "throwaway-hook: bad invocation", NULL);
		return 1;
	}
	memcpy(copydir, conf, strlen(conf) + 1);
	dirname(copydir);
	if (strcmp(type, "pre-mount") == 0)
		r = pre_mount(copydir);
	else if (strcmp(type, "post-stop") == 0)
		r = post_stop(argv[1], name);
	else
		r = -EINVAL;
	if (r < 0) {
		snprintf(err, sizeof(err), "%s hook: %s", type, strerror(-r));
		log_event(LOG_ERR, "error", "session", argv[1], "container", name, "reason", err, NULL);
		return 1;
	}
	return 0;
}
