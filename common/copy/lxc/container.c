/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <lxc/attach_options.h>
#include <lxc/lxccontainer.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "kept.h"
#include "names.h"
#include "quota.h"
#include "safefs.h"
#include "spawn.h"
#include "subid.h"
#include "util.h"

/* Devices a copy may use: the basics of a login, nothing that touches hardware. */
static const char *const allowed_devices[] = {
	"c 1:3 rwm",   /* null */
	"c 1:5 rwm",   /* zero */
	"c 1:7 rwm",   /* full */
	"c 1:8 rwm",   /* random */
	"c 1:9 rwm",   /* urandom */
	"c 5:0 rwm",   /* tty */
	"c 5:1 rwm",   /* console */
	"c 5:2 rwm",   /* ptmx */
	"c 136:* rwm", /* pts */
};

/*
 * A privileged copy's root is host root. It must not pass permission
 * checks on files that are not its own, or make them its own, or set
 * their privileges (dac_*, fowner, fsetid, setfcap, chown); become another
 * host user, whose files and per-user kernel limits it would then have
 * (setuid, setgid); or reach past the copy's limits: real-time scheduling
 * (sys_nice), limits and reserves (sys_resource), other processes' IPC
 * objects (ipc_owner); net_admin and net_raw go for every copy. Files on the binds
 * are kept from it by their idmapped mounts (copy_mounts.c), whatever
 * capability is left.
 */
static const char cap_drop_privileged[] =
	"dac_override dac_read_search fowner fsetid setfcap chown "
	"setuid setgid sys_nice sys_resource ipc_owner";

/*
 * A copy's configuration as it is written: the first key liblxc refuses
 * is kept with its value, so that the error names it.
 */
struct conf {
	struct lxc_container *lxc;
	struct tw_err *err;
};

static bool refused(struct conf *c, const char *what, const char *key, const char *value)
{
	tw_err_set(c->err, EINVAL, "liblxc refused %s %s = '%.200s'", what, key,
		   value ? value : "");
	return false;
}

static bool set_item(struct conf *c, const char *key, const char *value)
{
	return c->lxc->set_config_item(c->lxc, key, value) || refused(c, "setting", key, value);
}

static bool clear_item(struct conf *c, const char *key)
{
	return c->lxc->clear_config_item(c->lxc, key) || refused(c, "clearing", key, NULL);
}

static bool save(struct conf *c)
{
	return c->lxc->save_config(c->lxc, NULL) ||
	       refused(c, "saving", "the config", c->lxc->name);
}

static bool set_itemu(struct conf *c, const char *key, unsigned long long v)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%llu", v);
	return set_item(c, key, buf);
}

static bool set_limits_v1(struct conf *c, const struct config *cfg)
{
	bool ok = set_item(c, "lxc.cgroup.devices.deny", "a");
	for (size_t i = 0; ok && i < ELEMENTSOF(allowed_devices); i++)
		ok = set_item(c, "lxc.cgroup.devices.allow", allowed_devices[i]);
	uint64_t shares = cfg->cpu_weight * 1024 / 100;
	ok = ok && set_itemu(c, "lxc.cgroup.pids.max", cfg->pids_max) &&
	     set_itemu(c, "lxc.cgroup.memory.limit_in_bytes", cfg->memory_max) &&
	     set_itemu(c, "lxc.cgroup.cpu.shares", shares < 2 ? 2 : shares);
	/* Swap accounting is optional on v1; an unknown key would abort start. */
	if (ok && cgroup_v1_swap_accounting(CGROUP_ROOT))
		ok = set_itemu(c, "lxc.cgroup.memory.memsw.limit_in_bytes", cfg->memory_max);
	return ok;
}

static bool set_limits_v2(struct conf *c, const struct config *cfg)
{
	bool ok = set_item(c, "lxc.cgroup2.devices.deny", "a");
	for (size_t i = 0; ok && i < ELEMENTSOF(allowed_devices); i++)
		ok = set_item(c, "lxc.cgroup2.devices.allow", allowed_devices[i]);
	return ok && set_itemu(c, "lxc.cgroup2.pids.max", cfg->pids_max) &&
	       set_itemu(c, "lxc.cgroup2.memory.max", cfg->memory_max) &&
	       set_item(c, "lxc.cgroup2.memory.swap.max", "0") &&
	       set_itemu(c, "lxc.cgroup2.cpu.weight", cfg->cpu_weight);
}

/*
 * device = /dev/X: the host's node bound in (without nodev) and its
 * major:minor allowed in the devices cgroup of either layout. Read-only:
 * the device reads and writes as ever, but the host's node keeps its
 * owner and mode (a privileged copy's root owns it).
 */
static bool add_device(struct conf *c, const char *dev)
{
	struct stat st;
	char rule[64], entry[PATH_MAX * 2 + 64];
	if (stat(dev, &st) < 0 || !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
		return tw_err_set(c->err, ENODEV, "the device %s is not a device on this host",
				  dev),
		       false;
	snprintf(rule, sizeof(rule), "%c %u:%u rwm", S_ISCHR(st.st_mode) ? 'c' : 'b',
		 major(st.st_rdev), minor(st.st_rdev));
	int n = snprintf(entry, sizeof(entry), "%s %s none bind,nosuid,ro,create=file 0 0", dev,
			 dev + 1);
	return n > 0 && (size_t)n < sizeof(entry) &&
	       set_item(c,
			cgroup_unified() ? "lxc.cgroup2.devices.allow" : "lxc.cgroup.devices.allow",
			rule) &&
	       set_item(c, "lxc.mount.entry", entry);
}

/* Our hook's command line: its arguments are the session (retire.c). */
static void hook_command(char *buf, size_t len, const struct ctr_params *p)
{
	snprintf(buf, len, "%s %s", p->hook, p->session);
}

/*
 * network = veth:BRIDGE: one interface on the bridge, a fresh MAC each
 * time, its address and route set by liblxc before the copy's init runs
 * (the copy has no net_admin to set its own, nor a DHCP client to need
 * it). Unless network_peers = yes, our hook makes the host side an
 * isolated port as liblxc brings it up, before anything of the copy runs:
 * a copy reaches the bridge's host, not another copy.
 */
static bool set_network(struct conf *c, const struct ctr_params *p)
{
	const char *network = p->cfg->network;
	/* flags = up on an empty network brings the loopback up: without
	 * net_admin the copy's init (systemd) cannot do it itself. */
	if (strcmp(network, "none") == 0)
		return set_item(c, "lxc.net.0.type", "empty") &&
		       set_item(c, "lxc.net.0.flags", "up");
	if (!p->address || !p->gateway)
		return tw_err_set(c->err, EADDRNOTAVAIL, "a copy on a bridge needs its address"),
		       false;
	char up[PATH_MAX + 64];
	hook_command(up, sizeof(up), p);
	/* liblxc fills each "xx" with random hex when the item is set */
	return set_item(c, "lxc.net.0.type", "veth") &&
	       set_item(c, "lxc.net.0.link", config_bridge(p->cfg)) &&
	       set_item(c, "lxc.net.0.name", "eth0") && set_item(c, "lxc.net.0.flags", "up") &&
	       set_item(c, "lxc.net.0.hwaddr", "00:16:3e:xx:xx:xx") &&
	       set_item(c, "lxc.net.0.ipv4.address", p->address) &&
	       set_item(c, "lxc.net.0.ipv4.gateway", p->gateway) &&
	       (p->cfg->network_peers || set_item(c, "lxc.net.0.script.up", up));
}

/* "home/alice": a mount target relative to the copy's root. */
static const char *rel(const char *abs)
{
	while (*abs == '/')
		abs++;
	return abs;
}

static bool add_bind(struct conf *c, const char *src, const char *dst, bool ro)
{
	char entry[PATH_MAX * 2 + 128];
	int n = snprintf(entry, sizeof(entry), "%s %s none bind,nosuid,nodev%s,create=dir 0 0", src,
			 rel(dst), ro ? ",ro" : "");
	return n > 0 && (size_t)n < sizeof(entry) && set_item(c, "lxc.mount.entry", entry);
}

/* A bind of the copy: the home, or a configured one. */
struct bind {
	const char *src, *dst;
	bool ro;
};

/* The copy's binds, the home first, into b (CTR_BINDS_MAX); how many. */
static size_t binds_of(const struct ctr_params *p, struct bind *b)
{
	size_t n = 0;
	if (p->cfg->bind_home)
		b[n++] = (struct bind){ .src = p->home, .dst = p->home };
	for (size_t i = 0; i < p->cfg->n_binds && n < CTR_BINDS_MAX; i++)
		b[n++] = (struct bind){ .src = p->cfg->binds[i].src,
					.dst = p->cfg->binds[i].dst,
					.ro = p->cfg->binds[i].ro };
	return n;
}

/* A privileged copy's binds are staged, idmapped (copy_mounts.c); a pooled copy's come later. */
static bool staged_binds(const struct ctr_params *p)
{
	return !p->cfg->userns && !p->pool;
}

/* Their bind entries: from the host, or from where they are staged. */
static bool add_binds(struct conf *c, const struct ctr_params *p)
{
	struct bind b[CTR_BINDS_MAX];
	char staged[PATH_MAX];
	size_t n = p->pool ? 0 : binds_of(p, b);
	bool ok = true;
	for (size_t i = 0; ok && i < n; i++) {
		const char *src = b[i].src;
		if (staged_binds(p)) {
			ok = ctr_staged_bind(staged, sizeof(staged), p->session, i) == 0;
			src = staged;
		}
		ok = ok && add_bind(c, src, b[i].dst, b[i].ro);
	}
	return ok;
}

/* Host uid/gid of a copy's root: SUBID_BASE with userns, else 0. */
static uid_t ctr_root_uid(const struct config *cfg)
{
	return cfg->userns ? SUBID_BASE : 0;
}

/*
 * The post-stop hook gets its arguments on the command line
 * (lxc.hook.version = 1: nothing appended, the type in LXC_HOOK_TYPE).
 * The same version gives the network's up script (set_network) its
 * interfaces in LXC_NET_* and appends "veth BRIDGE PORT" to its command.
 */
static bool set_hooks(struct conf *c, const struct ctr_params *p)
{
	char cmd[PATH_MAX + 64];
	hook_command(cmd, sizeof(cmd), p);
	return set_item(c, "lxc.hook.version", "1") && set_item(c, "lxc.hook.post-stop", cmd);
}

/* "u 0 BASE uid", "u uid uid 1", "u uid+1 BASE+uid+1 rest": the user passes through. */
static bool set_idmap(struct conf *c, char kind, unsigned id)
{
	char line[96];
	snprintf(line, sizeof(line), "%c 0 %u %u", kind, SUBID_BASE, id);
	bool ok = set_item(c, "lxc.idmap", line);
	snprintf(line, sizeof(line), "%c %u %u 1", kind, id, id);
	ok = ok && set_item(c, "lxc.idmap", line);
	snprintf(line, sizeof(line), "%c %u %u %u", kind, id + 1, SUBID_BASE + id + 1,
		 SUBID_COUNT - id - 1);
	return ok && set_item(c, "lxc.idmap", line);
}

/*
 * A pooled copy does not know its user yet: every ordinary user id
 * (SUBID_USERS_FIRST ...) passes through, "u 0 BASE 1000", "u 1000 1000
 * 59000", "u 60000 BASE+60000 5536", so whoever takes it keeps their ids.
 */
static bool set_pool_idmap(struct conf *c, char kind)
{
	char line[96];
	const unsigned end = SUBID_USERS_FIRST + SUBID_USERS_COUNT;
	snprintf(line, sizeof(line), "%c 0 %u %u", kind, SUBID_BASE, SUBID_USERS_FIRST);
	bool ok = set_item(c, "lxc.idmap", line);
	snprintf(line, sizeof(line), "%c %u %u %u", kind, SUBID_USERS_FIRST, SUBID_USERS_FIRST,
		 SUBID_USERS_COUNT);
	ok = ok && set_item(c, "lxc.idmap", line);
	snprintf(line, sizeof(line), "%c %u %u %u", kind, end, SUBID_BASE + end, SUBID_COUNT - end);
	return ok && set_item(c, "lxc.idmap", line);
}

/*
 * An unprivileged copy: its root is SUBID_BASE on the host. The origin is
 * not shifted on disk: it is mounted idmapped before the start (see
 * copy_mounts.c) and that mount is the overlay's lower.
 */
static bool set_userns(struct conf *c, const struct ctr_params *p)
{
	char rootfs[PATH_MAX * 2 + 64];
	snprintf(rootfs, sizeof(rootfs), "overlay:%s/%s:%s/%s/overlay/delta", CTR_LOWER_DIR,
		 p->session, c->lxc->config_path, c->lxc->name);
	bool ok = p->pool ? set_pool_idmap(c, 'u') && set_pool_idmap(c, 'g')
			  : set_idmap(c, 'u', p->uid) && set_idmap(c, 'g', p->gid);
	return ok && set_item(c, "lxc.rootfs.path", rootfs);
}

/*
 * boot = minimal: our static reaper as PID 1, bound read-only over a file
 * the mount creates in the copy's upper layer; the origin's init and its
 * services never run.
 */
static bool set_boot(struct conf *c, const struct config *cfg)
{
	if (cfg->boot != BOOT_MINIMAL)
		return true;
	return set_item(c, "lxc.mount.entry",
			CTR_INIT " " CTR_INIT_REL " none bind,ro,nosuid,nodev,create=file 0 0") &&
	       clear_item(c, "lxc.init.cmd") && set_item(c, "lxc.init.cmd", CTR_INIT_INSIDE);
}

/* The copy's cgroups below ours, not at the top of each hierarchy (cgroup.h). */
static bool set_cgroup_dirs(struct conf *c, const struct ctr_params *p)
{
	char parent[CGROUP_PARENT_MAX], monitor[PATH_MAX], payload[PATH_MAX];
	if (cgroup_parent_name(p->pool, p->uid, parent, sizeof(parent)) < 0 ||
	    cgroup_copy_relpath(CGROUP_MONITOR, parent, p->name, monitor, sizeof(monitor)) < 0 ||
	    cgroup_copy_relpath(CGROUP_PAYLOAD, parent, p->name, payload, sizeof(payload)) < 0)
		return tw_err_set(c->err, EINVAL, "cannot name the cgroups of the copy '%s'",
				  p->name),
		       false;
	return set_item(c, "lxc.cgroup.dir.monitor", monitor) &&
	       set_item(c, "lxc.cgroup.dir.container", payload);
}

/* Everything a copy gets on top of the origin's configuration. */
static bool configure(struct conf *c, const struct ctr_params *p)
{
	const struct config *cfg = p->cfg;
	/* No network unless configured: the origin's interfaces are dropped.
	 * Not ephemeral: the post-stop hook destroys the copy (hook.c). */
	bool ok = clear_item(c, "lxc.net") && set_network(c, p) &&
		  set_item(c, "lxc.uts.name", p->name) && set_item(c, "lxc.ephemeral", "0") &&
		  set_item(c, "lxc.no_new_privs", "1") &&
		  set_item(c, "lxc.cap.drop", COPY_CAPS_DROPPED) &&
		  set_item(c, "lxc.seccomp.profile", DATADIR "/seccomp.profile") &&
		  /* /proc/sys and /sys read-only, whatever the origin says; a
		   * privileged copy may not write its own cgroup limits either */
		  clear_item(c, "lxc.mount.auto") &&
		  set_item(c, "lxc.mount.auto",
			   cfg->userns ? "proc:mixed sys:ro cgroup:mixed"
				       : "proc:mixed sys:ro cgroup:ro") &&
		  /* Nesting mounts a writable /proc and /sys under /dev/.lxc, which
		   * LXC leaves to AppArmor to guard; these hosts may have none. */
		  set_item(c, "lxc.apparmor.allow_nesting", "0") &&
		  (cfg->userns || set_item(c, "lxc.cap.drop", cap_drop_privileged)) &&
		  /* pty_max for the user's programs; the console takes one more */
		  set_itemu(c, "lxc.pty.max", cfg->pty_max + 1) &&
		  set_item(c, "lxc.start.auto", "0") && set_hooks(c, p) && set_cgroup_dirs(c, p);
	ok = ok && (cgroup_unified() ? set_limits_v2(c, cfg) : set_limits_v1(c, cfg)) &&
	     set_boot(c, cfg);
	if (ok && cfg->userns)
		ok = set_userns(c, p);
	if (ok && p->logfile)
		ok = set_item(c, "lxc.log.file", p->logfile) &&
		     set_item(c, "lxc.log.level", "DEBUG");
	/* A pooled copy gets its user's home and binds when it is taken. */
	ok = ok && add_binds(c, p);
	for (size_t i = 0; ok && i < cfg->n_devices; i++)
		ok = add_device(c, cfg->devices[i]);
	return ok && save(c);
}

int ctr_configure(struct lxc_container *lxc, const struct ctr_params *p, struct tw_err *err)
{
	struct conf c = { .lxc = lxc, .err = err };
	tw_err_clear(err);
	if (configure(&c, p))
		return 0;
	if (err && err->code)
		return -err->code;
	return tw_err_set(err, ENAMETOOLONG, "a path in its configuration is too long");
}

static int open_origin(const struct config *cfg, struct lxc_container **ret, struct tw_err *err)
{
	struct lxc_container *o = lxc_container_new(cfg->origin, cfg->origin_lxcpath);
	if (!o || !o->is_defined(o)) {
		if (o)
			lxc_container_put(o);
		return tw_err_set(err, ENOENT, "the origin container '%s' does not exist in %s",
				  cfg->origin, cfg->origin_lxcpath);
	}
	/* An overlay over a lower layer that changes under it is undefined. */
	if (o->is_running(o)) {
		lxc_container_put(o);
		return tw_err_set(err, EBUSY, "the origin container '%s' is running", cfg->origin);
	}
	*ret = o;
	return 0;
}

/* keep = yes: what the copy's upper layer is kept as when it stops. */
static int mark_kept(int dfd, const struct ctr_params *p)
{
	struct kept_entry e = { .started = time(NULL), .total = p->cfg->kept_total };
	/* A name that is not safe as a path component is kept under u<uid>. */
	if (p->user && names_user_safe(p->user))
		snprintf(e.user, sizeof(e.user), "%s", p->user);
	else
		snprintf(e.user, sizeof(e.user), "u%u", (unsigned)p->uid);
	snprintf(e.session, sizeof(e.session), "%s", p->session);
	snprintf(e.container, sizeof(e.container), "%s", p->name);
	snprintf(e.origin, sizeof(e.origin), "%s", p->cfg->origin);
	return kept_mark(dfd, &e);
}

/* The copy's own directory (<lxcpath>/<name>), copied into buf. */
static int ctr_dir(struct lxc_container *c, char *buf, size_t len);

/* Mountpoints for a privileged copy's staged binds, root's only. */
static int prepare_staging(const struct ctr_params *p)
{
	struct bind b[CTR_BINDS_MAX];
	char path[PATH_MAX];
	size_t n = binds_of(p, b);
	if (n == 0)
		return 0;
	int r = util_mkdir_secure(CTR_BINDS_DIR, 0700, NULL);
	if (r == 0 && (r = ctr_staged_bind(path, sizeof(path), p->session, SIZE_MAX)) == 0 &&
	    mkdir(path, 0700) < 0)
		r = -errno;
	for (size_t i = 0; r == 0 && i < n; i++)
		if ((r = ctr_staged_bind(path, sizeof(path), p->session, i)) == 0 &&
		    mkdir(path, 0700) < 0)
			r = -errno;
	return r;
}

/*
 * Files the copy needs besides its config: the marker that makes it ours
 * (gc destroys only copies that carry it), and with userns the way in for
 * the copy's root (group SUBID_BASE may traverse; nobody else) and an
 * upper layer it owns when it lives on disk.
 */
static int prepare_dirs(struct lxc_container *c, const struct ctr_params *p)
{
	char dir[PATH_MAX], path[PATH_MAX + 32];
	snprintf(dir, sizeof(dir), "%s/%s", c->config_path, c->name);
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	int r = safefs_write_beneath(dfd, CTR_MARKER, p->session, strlen(p->session), 0600, 0, 0,
				     1);
	if (r == 0 && p->cfg->keep)
		r = mark_kept(dfd, p);
	if (r == 0 && staged_binds(p))
		r = prepare_staging(p);
	if (r < 0 || !p->cfg->userns)
		return r;
	gid_t g = (gid_t)SUBID_BASE;
	if (fchown(dfd, 0, g) < 0 || fchmod(dfd, 0710) < 0)
		return -errno;
	_cleanup_close_ int top =
		open(c->config_path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (top < 0 || fchown(top, 0, g) < 0 || fchmod(top, 0710) < 0)
		return -errno;
	if (p->cfg->storage == STORAGE_DIR) {
		/* overlayfs in the copy's namespace manages work/work itself: a
		 * work directory it cannot write makes the whole rootfs read-only. */
		const char *own[] = { "overlay", "overlay/delta", "overlay/work" };
		if (mkdirat(dfd, "overlay/work", 0700) < 0 && errno != EEXIST)
			return -errno;
		for (size_t i = 0; i < ELEMENTSOF(own); i++)
			if (fchownat(dfd, own[i], SUBID_BASE, g, AT_SYMLINK_NOFOLLOW) < 0)
				return -errno;
	}
	r = util_mkdir_secure(CTR_LOWER_DIR, 0711, NULL);
	snprintf(path, sizeof(path), "%s/%s", CTR_LOWER_DIR, p->session);
	if (r == 0 && mkdir(path, 0755) < 0 && errno != EEXIST)
		r = -errno;
	return r;
}

/*
 * A privileged copy's binds, idmapped so that only the user's ids exist
 * on them (ctr_bind_tree), at their staged places. err names a bind that
 * cannot be.
 */
static int stage_binds(const struct ctr_params *p, struct tw_err *err)
{
	struct bind b[CTR_BINDS_MAX];
	char mnt[PATH_MAX];
	const struct ctr_ids ids = { p->uid, p->gid, p->groups, p->n_groups };
	size_t n = binds_of(p, b);
	for (size_t i = 0; i < n; i++) {
		int r = ctr_staged_bind(mnt, sizeof(mnt), p->session, i);
		if (r == 0)
			r = ctr_mount_bind(b[i].src, mnt, b[i].ro, &ids);
		if (r == -EINVAL)
			return tw_err_set(err, r,
					  "the file system of '%s' cannot be mounted idmapped, "
					  "which the binds of a copy with userns = no need",
					  b[i].src);
		if (r < 0)
			return tw_err_set(err, r, "cannot mount '%s' for the copy (%s)", b[i].src,
					  strerror(-r));
	}
	return 0;
}

/*
 * The upper layer's tmpfs and the idmapped lower, or a privileged copy's
 * idmapped binds, in our own mount namespace (made by the caller:
 * ctr_mount_namespace).
 */
static int copy_mounts(struct lxc_container *c, const struct ctr_params *p, struct tw_err *err)
{
	char dir[PATH_MAX], mnt[PATH_MAX];
	const struct config *cfg = p->cfg;
	int r = ctr_dir(c, dir, sizeof(dir));
	if (r == 0 && cfg->storage == STORAGE_TMPFS)
		r = ctr_mount_upper(dir, (unsigned long long)cfg->tmpfs_size, ctr_root_uid(cfg));
	if (r == 0 && !cfg->userns)
		return staged_binds(p) ? stage_binds(p, err) : 0;
	snprintf(mnt, sizeof(mnt), "%s/%s", CTR_LOWER_DIR, p->session);
	if (r == 0)
		r = p->pool ? ctr_mount_lower(p->ret_lower, mnt, CTR_POOL_ID, CTR_POOL_ID)
			    : ctr_mount_lower(p->ret_lower, mnt, (unsigned)p->uid,
					      (unsigned)p->gid);
	if (r < 0)
		tw_err_set(err, r, "preparing its directory and mounts failed (%s)", strerror(-r));
	return r;
}

/* Before destroying a copy here: our mounts of it would keep its directory busy. */
static void release_mounts(struct lxc_container *c, const char *session)
{
	char dir[PATH_MAX];
	if (ctr_dir(c, dir, sizeof(dir)) == 0)
		ctr_release_mounts(dir, session);
}

/* storage = dir: the copies' directory must be where its cap can hold (quota.h). */
static int check_disk(const struct config *cfg, struct tw_err *err)
{
	if (cfg->storage != STORAGE_DIR)
		return 0;
	_cleanup_close_ int fd =
		open(cfg->lxcpath, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int r = fd < 0 ? -errno : quota_ready(fd);
	if (r < 0)
		return tw_err_set(err, r,
				  "storage = dir needs a disk cap, and %s has none "
				  "(throwawayctl setup-disk makes it)",
				  cfg->lxcpath);
	return 0;
}

/* What the config names on the host must be there: say which is not. */
static int check_host(const struct config *cfg, struct tw_err *err)
{
	char path[PATH_MAX];
	struct stat st;
	for (size_t i = 0; i < cfg->n_devices; i++) {
		if (stat(cfg->devices[i], &st) < 0 ||
		    !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))) {
			return tw_err_set(err, ENODEV, "the device %s is not a device on this host",
					  cfg->devices[i]);
		}
	}
	int r = check_disk(cfg, err);
	const char *bridge = config_bridge(cfg);
	if (r < 0 || !bridge)
		return r;
	snprintf(path, sizeof(path), "/sys/class/net/%s/bridge", bridge);
	if (access(path, F_OK) < 0)
		return tw_err_set(err, ENODEV, "the bridge %s does not exist on this host", bridge);
	return 0;
}

int ctr_check(const struct config *cfg, struct lxc_container **ret_origin, struct tw_err *err)
{
	int r = check_host(cfg, err);
	return r < 0 ? r : open_origin(cfg, ret_origin, err);
}

int ctr_origin_dir(struct lxc_container *o, char *buf, size_t len)
{
	char v[PATH_MAX + 16];
	int n = o->get_config_item(o, "lxc.rootfs.path", v, sizeof(v));
	if (n <= 0 || (size_t)n >= sizeof(v))
		return -ENOENT;
	/* "dir:/path" or a plain "/path": the kinds an overlay takes as its lower */
	const char *dir = strncmp(v, "dir:", 4) == 0 ? v + 4 : v;
	if (dir[0] != '/' || strlen(dir) >= len)
		return -EINVAL;
	memcpy(buf, dir, strlen(dir) + 1);
	return 0;
}

/*
 * A stopped copy's directory, with ours, never liblxc's destroy() (see
 * ctr_remove_dir). With keep = yes its data are kept first: a copy whose
 * monitor died ran no post-stop hook (one that did has no marker left).
 */
static void remove_copy(struct lxc_container *c)
{
	char dir[PATH_MAX];
	struct kept_entry k;
	if (ctr_dir(c, dir, sizeof(dir)) < 0)
		return;
	kept_save(dir, &k);
	ctr_remove_dir(dir);
}

/* What make_copy makes in the copy's directory, children first. */
static const char *const skeleton[] = { "overlay/work", "overlay/delta", "overlay", "rootfs" };

/* A copy that never got going: nothing of it stays (best effort, every step). */
static void remove_skeleton(const char *lxcpath, const char *name)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/%s", lxcpath, name);
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return;
	unlinkat(dfd, "config", 0);
	unlinkat(dfd, CTR_MARKER, 0);
	unlinkat(dfd, KEPT_MARKER, 0);
	for (size_t i = 0; i < ELEMENTSOF(skeleton); i++)
		unlinkat(dfd, skeleton[i], AT_REMOVEDIR);
	rmdir(dir);
}

/* An origin's config is the admin's: no cap a real one comes near. */
#define ORIGIN_CONFIG_MAX (1 << 20)

/*
 * skeleton[i] beneath dfd. With storage = dir the overlay directory, which
 * holds the upper and work layers, is a subvolume capped at dir_size
 * (quota.h): what the copy writes cannot pass it.
 */
static int make_skeleton_dir(int dfd, size_t i, const struct config *cfg)
{
	if (cfg->storage == STORAGE_DIR && strcmp(skeleton[i], "overlay") == 0)
		return quota_subvol(dfd, skeleton[i], cfg->dir_size);
	return mkdirat(dfd, skeleton[i], 0755) < 0 ? -errno : 0;
}

/* The copy's directory, liblxc's layout for an overlay clone, and the origin's config. */
static int make_skeleton(struct lxc_container *o, const char *dir, const struct config *cfg)
{
	_cleanup_free_ char *origin_config = o->config_file_name(o), *text = NULL;
	size_t len;
	if (!origin_config)
		return -ENOMEM;
	_cleanup_close_ int cfd = open(origin_config, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int r = cfd < 0 ? -errno : util_read_capped(cfd, ORIGIN_CONFIG_MAX, &text, &len);
	if (r < 0)
		return r;
	if (mkdir(dir, 0770) < 0)
		return -errno; /* EEXIST too: a name is never reused */
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	for (size_t i = ELEMENTSOF(skeleton); i > 0; i--)
		if ((r = make_skeleton_dir(dfd, i - 1, cfg)) < 0)
			return r;
	return safefs_write_beneath(dfd, "config", text, len, 0640, 0, 0, 0);
}

/*
 * The copy's directory and config, made here rather than by liblxc's
 * clone(): that forks a child to mount the new rootfs (for clone hooks and
 * a new hostname, which copies do not use), writes the config four times,
 * and records the copy in the origin's lxc_snapshots under the origin's
 * lock, which every login and every destroy then take in turn. Measured:
 * 1.8 ms against 0.2 ms, and the ephemeral destroy 0.8 against 0.3 ms.
 * The copy is opened from its own config file, so liblxc names that file
 * to the hooks (LXC_CONFIG_FILE), as it does for a clone.
 */
static struct lxc_container *make_copy(struct lxc_container *o, const struct ctr_params *p)
{
	char dir[PATH_MAX], rootfs[PATH_MAX * 2 + 32];
	int n = snprintf(dir, sizeof(dir), "%s/%s", p->cfg->lxcpath, p->name);
	if (n < 0 || (size_t)n >= sizeof(dir) || ctr_origin_dir(o, p->ret_lower, PATH_MAX) < 0)
		return NULL;
	int r = make_skeleton(o, dir, p->cfg);
	struct lxc_container *c = r == 0 ? lxc_container_new(p->name, p->cfg->lxcpath) : NULL;
	snprintf(rootfs, sizeof(rootfs), "overlay:%s:%s/overlay/delta", p->ret_lower, dir);
	if (c && c->is_defined(c) && c->set_config_item(c, "lxc.rootfs.path", rootfs))
		return c;
	if (c)
		lxc_container_put(c);
	if (r != -EEXIST)
		remove_skeleton(p->cfg->lxcpath, p->name);
	return NULL;
}

static void remove_lock(const char *lxcpath, const char *name);

int ctr_create(const struct ctr_params *p, struct lxc_container *o, struct lxc_container **ret,
	       struct tw_err *err)
{
	int r = o ? 0 : ctr_check(p->cfg, &o, err);
	if (r < 0 || !o)
		return r < 0 ? r : -ENOENT;
	struct lxc_container *c = make_copy(o, p);
	lxc_container_put(o);
	if (!c) {
		return tw_err_set(err, EIO, "copying the origin '%s' failed", p->cfg->origin);
	}
	if ((r = ctr_configure(c, p, err)) == 0 && (r = prepare_dirs(c, p)) < 0)
		tw_err_set(err, r, "preparing its directory and mounts failed (%s)", strerror(-r));
	if (r == 0)
		r = copy_mounts(c, p, err);
	if (r < 0) {
		tw_err_wrap(err, "configuring the copy '%s'", p->name);
		release_mounts(c, p->session);
		remove_copy(c);
		remove_skeleton(p->cfg->lxcpath, p->name);
		remove_lock(p->cfg->lxcpath, p->name);
		lxc_container_put(c);
		return r;
	}
	*ret = c;
	return 0;
}

static int ctr_dir(struct lxc_container *c, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", c->config_path, c->name);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int wait_child(pid_t pid)
{
	int st;
	int r = spawn_wait(pid, -1, &st);
	if (r < 0)
		return r;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

/* The last line liblxc wrote, without its "lxc name timestamp" prefix noise. */
static void last_line(const char *buf, char *out, size_t len)
{
	const char *end = buf + strlen(buf);
	while (end > buf && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	const char *start = end;
	while (start > buf && start[-1] != '\n')
		start--;
	const char *msg = strstr(start, " - ");
	if (msg && msg < end)
		start = msg + 3;
	snprintf(out, len, "%.*s", (int)(end - start), start);
}

/*
 * A start that failed leaves liblxc's monitor running the post-stop hook,
 * which removes the copy: let it finish, or the caller's cleanup races it.
 */
static void settle_failed_start(struct lxc_container *c)
{
	struct timespec tick = { .tv_nsec = 10 * 1000 * 1000 };
	for (int i = 0; i < 200 && c->is_defined(c) && !c->is_running(c); i++)
		nanosleep(&tick, NULL);
}

/*
 * Wait for the starting child's word (one byte on fd) that start()
 * returned true: 0 then, without waiting for the child to exit, which
 * costs a process teardown on the login's path (whoever reaps children
 * reaps it). Its exit without a word: -EIO; past timeout_ms: -ETIMEDOUT.
 */
static int wait_started(pid_t pid, int fd, unsigned timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char b;
	int n;
	while ((n = poll(&p, 1, (int)timeout_ms)) < 0 && errno == EINTR)
		;
	if (n > 0 && read(fd, &b, 1) == 1)
		return 0;
	if (n == 0)
		kill(pid, SIGKILL);
	int r = wait_child(pid);
	return n == 0 ? -ETIMEDOUT : r < 0 ? r : -EIO;
}

/* The starting child: liblxc's start() from a process of its own, which it keeps. */
static _Noreturn void start_child(struct lxc_container *c, int errfd, int wordfd, int lockfd)
{
	/* The caller holds the cgroup lock for both of us; the monitor must not keep it. */
	if (lockfd >= 0)
		close(lockfd);
	/* liblxc says why a start failed on stderr only: keep it for the log. */
	dup2(errfd, 2);
	util_reset_signals();
	/* With newuidmap on PATH liblxc runs it (and newgidmap) through
	 * /bin/sh for every copy; as root it writes the maps itself,
	 * which saves four execs per login. The ranges stay reserved
	 * for root in /etc/subuid and /etc/subgid. */
	setenv("PATH", "/usr/sbin:/sbin", 1);
	c->want_daemonize(c, true);
	c->want_close_all_fds(c, true);
	bool ok = c->start(c, 0, NULL);
	/* Before the word: nothing of the user's runs in it yet. */
	int r = ok ? ctr_set_budgets(c) : 0;
	if (r < 0)
		fprintf(stderr, "cannot give the copy its own kernel budgets: %s\n", strerror(-r));
	_exit(ok && r == 0 && write(wordfd, "", 1) == 1 ? 0 : 1);
}

/* ctr_start once its parent cgroup is ready, the lock (lockfd) held. */
static int start_forked(struct lxc_container *c, int lockfd, unsigned timeout_ms,
			struct tw_err *err)
{
	_cleanup_close_ int err_r = -EBADF, err_w = -EBADF, word_r = -EBADF, word_w = -EBADF;
	int p[2];
	char buf[8192] = "", why[256] = "";
	if (pipe2(p, O_CLOEXEC) < 0)
		return tw_err_set(err, errno, "cannot start the copy '%s': %s", c->name,
				  strerror(errno));
	err_r = p[0], err_w = p[1];
	if (pipe2(p, O_CLOEXEC) < 0)
		return tw_err_set(err, errno, "cannot start the copy '%s': %s", c->name,
				  strerror(errno));
	word_r = p[0], word_w = p[1];
	pid_t pid = fork();
	if (pid < 0)
		return tw_err_set(err, errno, "cannot start the copy '%s': %s", c->name,
				  strerror(errno));
	if (pid == 0)
		start_child(c, err_w, word_w, lockfd);
	close(TAKE_FD(err_w));
	close(TAKE_FD(word_w));
	int r = wait_started(pid, word_r, timeout_ms);
	if (r == -ETIMEDOUT)
		snprintf(why, sizeof(why), "it did not start within %u s", timeout_ms / 1000);
	fcntl(err_r, F_SETFL, O_NONBLOCK);
	ssize_t n = read(err_r, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	if (r < 0 && r != -ETIMEDOUT)
		last_line(buf, why, sizeof(why));
	if (r < 0) {
		settle_failed_start(c);
		tw_err_set(err, r, "the copy '%s' did not start: %s", c->name,
			   why[0] ? why : "liblxc gave no reason");
	}
	return r;
}

int ctr_start(struct lxc_container *c, const struct ctr_cgroup *cg, unsigned timeout_ms,
	      struct tw_err *err)
{
	if (!cg)
		return start_forked(c, -EBADF, timeout_ms, err);
	_cleanup_close_ int lock = ctr_cgroup_lock(false, 0);
	if (lock < 0)
		return tw_err_set(err, -lock, "cannot start the copy '%s': cannot lock %s: %s",
				  c->name, CTR_CGROUP_LOCK, strerror(-lock));
	int r = cgroup_prepare_parent(CGROUP_ROOT, cg->parent, &cg->caps);
	if (r < 0)
		return tw_err_set(err, -r,
				  "cannot start the copy '%s': cannot make its cgroup %s/%s: %s",
				  c->name, CGROUP_COPIES, cg->parent, strerror(-r));
	return start_forked(c, lock, timeout_ms, err);
}

/* liblxc leaves its per-container lock file (".<name>") behind after destroy. */
static void remove_lock(const char *lxcpath, const char *name)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "/run/lxc/lock/%s/.%s", lxcpath, name);
	unlink(p);
}

#define STOP_TIMEOUT_MS 15000

/*
 * A copy whose lxc monitor died still runs: liblxc calls it stopped and
 * would delete its directory under live processes. Kill them first.
 */
static void kill_cgroup_processes(enum cgroup_kind kind, const char *name)
{
	/* the kills take effect asynchronously: until the cgroups are empty, 1 s at most */
	for (int i = 0; i < 100 && cgroup_kill_copy(CGROUP_ROOT, kind, name) > 0; i++)
		usleep(10000);
}

/*
 * Reap every child until the process of pidfd fd has ended, or the
 * deadline passes: the copy's init waits for its processes to be reaped,
 * and those are ours (DESIGN.md, "Deadlock at stop"). A signalfd tells of
 * each exit. If that process is our child (watch), its exit status is the
 * result: 0 for 0, else -EIO. -ETIMEDOUT past the deadline.
 */
static int reap_until_gone(int fd, pid_t watch)
{
	sigset_t chld, old;
	uint64_t deadline = util_now_ms() + STOP_TIMEOUT_MS;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);
	_cleanup_close_ int sfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
	int r = -ETIMEDOUT;
	for (uint64_t now = util_now_ms(); r == -ETIMEDOUT && now < deadline; now = util_now_ms()) {
		struct signalfd_siginfo si;
		int st;
		pid_t w;
		while ((w = waitpid(-1, &st, WNOHANG)) > 0)
			if (w == watch)
				r = WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
		if (r != -ETIMEDOUT)
			break;
		/* Without a signalfd, look again every 50 ms. */
		struct pollfd p[2] = { { .fd = fd, .events = POLLIN },
				       { .fd = sfd, .events = POLLIN } };
		int n = poll(p, 2, sfd >= 0 ? (int)(deadline - now) : 50);
		if (n > 0 && p[0].revents && watch <= 0)
			r = 0;
		while (sfd >= 0 && read(sfd, &si, sizeof(si)) == sizeof(si))
			;
	}
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	sigprocmask(SIG_SETMASK, &old, NULL);
	return r;
}

/*
 * After the monitor is gone, or past the deadline (a wedged monitor: end
 * it and the copy's processes by their cgroups, and remove those, which a
 * monitor killed never does): what liblxc may leave, the copy itself and
 * its lock.
 */
static int finish_stop(struct lxc_container *c, int r)
{
	if (r == -ETIMEDOUT) {
		kill_cgroup_processes(CGROUP_MONITOR, c->name);
		kill_cgroup_processes(CGROUP_PAYLOAD, c->name);
		cgroup_remove_copy(CGROUP_ROOT, c->name);
	}
	if (c->is_defined(c) && !c->is_running(c)) {
		release_mounts(c, NULL);
		remove_copy(c);
	}
	remove_lock(c->config_path, c->name);
	return c->is_defined(c) ? -EBUSY : r;
}

int ctr_stop(struct lxc_container *c)
{
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		util_reset_signals();
		_exit(c->stop(c) ? 0 : 1);
	}
	_cleanup_close_ int fd = util_pidfd_open(pid);
	int r = reap_until_gone(fd, pid);
	if (r == -ETIMEDOUT) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	return finish_stop(c, r);
}

/* "Key:\t<number>" from a /proc status-like file; -1 if absent. */
static long proc_number(const char *path, const char *key)
{
	char buf[4096];
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	size_t kl = strlen(key);
	for (const char *l = buf; l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, key, kl) != 0 || l[kl] != ':')
			continue;
		const char *v = l + kl + 1 + strspn(l + kl + 1, " \t"), *end;
		uint64_t num;
		if (util_parse_u64(v, INT_MAX, &end, &num) < 0 || (*end != '\n' && *end))
			return -1;
		return (long)num;
	}
	return -1;
}

int ctr_monitor_pidfd(int initfd)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", initfd);
	long init = proc_number(path, "Pid");
	if (init <= 0)
		return -ESRCH;
	/* The copy's init is the monitor's child: on the host its parent is the monitor. */
	snprintf(path, sizeof(path), "/proc/%ld/status", init);
	long monitor = proc_number(path, "PPid");
	int fd = monitor > 1 ? util_pidfd_open((pid_t)monitor) : -ESRCH;
	/* The pid could have been reused between the two reads only if init had died. */
	if (fd >= 0 && proc_number(path, "PPid") != monitor) {
		close(fd);
		return -ESRCH;
	}
	return fd;
}

int ctr_kill_init(int initfd)
{
	/* What liblxc's stop() asks the monitor to do, without the round trip. */
	if (syscall(SYS_pidfd_send_signal, initfd, SIGKILL, NULL, 0) < 0 && errno != ESRCH)
		return -errno;
	return 0;
}

int ctr_stop_init(struct lxc_container *c, int initfd, int monitorfd)
{
	if (initfd < 0 || monitorfd < 0 || ctr_kill_init(initfd) < 0)
		return ctr_stop(c);
	return finish_stop(c, reap_until_gone(monitorfd, 0));
}

unsigned ctr_remove_cgroups(const char *name)
{
	return cgroup_remove_copy(CGROUP_ROOT, name);
}

int ctr_destroy(const char *lxcpath, const char *name)
{
	char parent[CGROUP_PARENT_MAX];
	struct lxc_container *c = lxc_container_new(name, lxcpath);
	if (!c)
		return -ENOMEM;
	bool has_parent = cgroup_copy_parent(CGROUP_ROOT, name, parent, sizeof(parent)) == 0;
	int r = 0;
	bool orphaned = c->is_defined(c) && !c->is_running(c);
	/* No post-stop hook will run for it: ctr_stop keeps its data (remove_copy). */
	if (orphaned)
		kill_cgroup_processes(CGROUP_PAYLOAD, name);
	if (c->is_defined(c))
		r = ctr_stop(c);
	/* Without its monitor nobody removes the copy's cgroups: we do. */
	if (orphaned)
		ctr_remove_cgroups(name);
	else
		remove_lock(lxcpath, name);
	lxc_container_put(c);
	/* a user's parent goes with their last copy */
	if (has_parent)
		ctr_cgroup_release(parent);
	return r;
}

int ctr_addresses(struct lxc_container *c, char *buf, size_t len, unsigned wait_ms)
{
	uint64_t deadline = util_now_ms() + wait_ms;
	struct timespec tick = { .tv_nsec = 100 * 1000 * 1000 };
	pid_t init = c->init_pid(c);
	if (init <= 0)
		return -ESRCH;
	/* The one way addresses are read, as throwawayctl show reads them. */
	while (ctr_addresses_of(init, buf, len) < 0 || !buf[0]) {
		buf[0] = '\0';
		if (util_now_ms() >= deadline)
			return -EADDRNOTAVAIL;
		nanosleep(&tick, NULL);
	}
	return 0;
}

bool ctr_path_exists(struct lxc_container *c, const char *path)
{
	char root[64];
	struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
	pid_t init = c->init_pid(c);
	if (init <= 0)
		return false;
	snprintf(root, sizeof(root), "/proc/%d/root", (int)init);
	_cleanup_close_ int dfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return false;
	/* RESOLVE_IN_ROOT: symlinks inside resolve against the copy's root, not ours. */
	_cleanup_close_ int fd = (int)syscall(SYS_openat2, dfd, path, &how, sizeof(how));
	return fd >= 0;
}
