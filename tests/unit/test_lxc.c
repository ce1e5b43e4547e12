/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for the lxc driver's pure parts (common/copy/lxc): the
 * configuration a copy gets, with the key liblxc refuses named, and a
 * start whose fork fails leaving no fd behind. No copy is started: the
 * containers live in a temporary lxcpath and are never defined. Root.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lxc/lxccontainer.h>
#include <cmocka.h>

#include "cleanup.h"
#include "container.h"
#include "copy.h"
#include "lxc_driver.h"
#include "subid.h"

#define SESSION "0123456789abcdef"

struct fixture {
	char dir[64];
	struct config cfg;
	struct ctr_params p;
	struct lxc_container *c;
	char text[65536];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/run/tw-unit.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->cfg = (struct config){ .origin = "o",
				  .origin_lxcpath = f->dir,
				  .lxcpath = f->dir,
				  .storage = STORAGE_DIR,
				  .bind_home = true,
				  .shell = "/bin/sh",
				  .network = "none",
				  .pids_max = 77,
				  .memory_max = 1 << 30,
				  .cpu_weight = 100,
				  .boot = BOOT_INIT };
	f->cfg.pty_max = 21;
	f->p = (struct ctr_params){ .cfg = &f->cfg,
				    .name = "tw-unit-copy",
				    .session = SESSION,
				    .hook = "/x/throwaway-hook",
				    .home = "/home/alice",
				    .user = "alice",
				    .uid = 1234,
				    .gid = 1234 };
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[320];
	if (f->c)
		lxc_container_put(f->c);
	/* liblxc keeps its container locks in a dir named after the lxcpath */
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s' '/run/lxc/lock%s'", f->dir, f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Configure the copy named f->p.name, then read back the config file liblxc saved. */
static int configure(struct fixture *f, struct tw_err *err)
{
	char path[256];
	/* As make_skeleton leaves it: the origin's config, copied. */
	snprintf(path, sizeof(path), "%s/%s", f->dir, f->p.name);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/%s/config", f->dir, f->p.name);
	FILE *o = fopen(path, "we");
	assert_non_null(o);
	fputs("lxc.uts.name = origin\nlxc.rootfs.path = dir:/nonexistent\nlxc.net.0.type = empty\n",
	      o);
	fclose(o);
	f->c = lxc_container_new(f->p.name, f->dir);
	assert_non_null(f->c);
	int r = ctr_configure(f->c, &f->p, err);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s/%s/config", f->dir, f->p.name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	ssize_t n = read(fd, f->text, sizeof(f->text) - 1);
	close(fd);
	assert_true(n > 0);
	f->text[n] = '\0';
	return 0;
}

static void assert_line(const struct fixture *f, const char *line)
{
	char want[512];
	snprintf(want, sizeof(want), "\n%s\n", line);
	if (!strstr(f->text, want))
		fail_msg("no line '%s' in:\n%s", line, f->text);
}

static void test_ctr_configure_hardening(void **state)
{
	struct fixture *f = *state;
	struct tw_err err = { 0 };
	assert_int_equal(configure(f, &err), 0);
	assert_line(f, "lxc.no_new_privs = 1");
	assert_line(f, "lxc.seccomp.profile = " DATADIR "/seccomp.profile");
	assert_line(f, "lxc.hook.post-stop = /x/throwaway-hook " SESSION);
	assert_line(f, "lxc.net.0.type = empty");
	assert_line(f, "lxc.uts.name = tw-unit-copy");
	assert_line(f, "lxc.apparmor.allow_nesting = 0");
	assert_line(f, "lxc.pty.max = 22"); /* pty_max and the console */
	/* a privileged copy's root may not act on files not its own, become
	 * another user, or reach past the copy's limits */
	static const char *const dropped[] = { "dac_override", "dac_read_search", "fowner",
					       "fsetid",       "setfcap",         "chown",
					       "setuid",       "setgid",          "sys_nice",
					       "sys_resource", "net_raw",         "ipc_owner" };
	for (size_t i = 0; i < sizeof(dropped) / sizeof(dropped[0]); i++)
		if (!strstr(f->text, dropped[i]))
			fail_msg("%s is not dropped in:\n%s", dropped[i], f->text);
	assert_non_null(strstr(f->text, "sys_admin"));
	assert_non_null(strstr(f->text, "pids.max = 77"));
	/* below the user's parent, capped with the user's other copies (cgroup.h) */
	assert_line(f, "lxc.cgroup.dir.monitor = throwaway/lxc.monitor.tw-unit-copy");
	assert_line(f,
		    "lxc.cgroup.dir.container = throwaway/copies/u1234/lxc.payload.tw-unit-copy");
}

/* On a bridge: the host's address and route, an isolating up script, and no net_admin or net_raw. */
static void test_ctr_configure_veth(void **state)
{
	struct fixture *f = *state;
	struct tw_err err = { 0 };
	f->cfg.userns = true;
	f->cfg.network = "veth:twbr0";
	f->p.address = "10.0.3.10/24";
	f->p.gateway = "10.0.3.1";
	assert_int_equal(configure(f, &err), 0);
	assert_line(f, "lxc.net.0.type = veth");
	assert_line(f, "lxc.net.0.link = twbr0");
	assert_line(f, "lxc.net.0.ipv4.address = 10.0.3.10/24");
	assert_line(f, "lxc.net.0.ipv4.gateway = 10.0.3.1");
	assert_line(f, "lxc.net.0.script.up = /x/throwaway-hook " SESSION);
	assert_non_null(strstr(f->text, " net_admin net_raw\n"));
	lxc_container_put(f->c);
	f->c = NULL;
	/* network_peers = yes: an ordinary port, and still neither capability */
	f->cfg.network_peers = true;
	assert_int_equal(configure(f, &err), 0);
	assert_null(strstr(f->text, "script.up"));
	assert_non_null(strstr(f->text, " net_admin net_raw\n"));
	lxc_container_put(f->c);
	f->c = NULL;
	/* never a copy on a bridge without its address */
	f->p.address = NULL;
	assert_int_equal(configure(f, &err), -EADDRNOTAVAIL);
	assert_non_null(strstr(err.msg, "needs its address"));
}

static void test_ctr_configure_binds_nosuid_nodev(void **state)
{
	struct fixture *f = *state;
	struct tw_err err = { 0 };
	f->cfg.userns = true;
	f->cfg.binds[0] = (struct config_bind){ .src = "/srv/data", .dst = "/data", .ro = true };
	f->cfg.n_binds = 1;
	assert_int_equal(configure(f, &err), 0);
	assert_line(
		f,
		"lxc.mount.entry = /home/alice home/alice none bind,nosuid,nodev,create=dir 0 0");
	assert_line(f, "lxc.mount.entry = /srv/data data none bind,nosuid,nodev,ro,create=dir 0 0");
}

/* A privileged copy's binds come from their idmapped mounts, staged per session. */
static void test_ctr_configure_privileged_binds_are_staged(void **state)
{
	struct fixture *f = *state;
	struct tw_err err = { 0 };
	f->cfg.binds[0] = (struct config_bind){ .src = "/srv/data", .dst = "/data", .ro = true };
	f->cfg.n_binds = 1;
	assert_int_equal(configure(f, &err), 0);
	assert_line(f, "lxc.mount.entry = " CTR_BINDS_DIR "/" SESSION
		       "/0 home/alice none bind,nosuid,nodev,create=dir 0 0");
	assert_line(f, "lxc.mount.entry = " CTR_BINDS_DIR "/" SESSION
		       "/1 data none bind,nosuid,nodev,ro,create=dir 0 0");
	assert_null(strstr(f->text, "/srv/data data"));
}

/* A device is the host's node: bound read-only, so that its mode stays the host's. */
static void test_ctr_configure_devices_read_only(void **state)
{
	struct fixture *f = *state;
	struct tw_err err = { 0 };
	f->cfg.devices[0] = "/dev/null";
	f->cfg.n_devices = 1;
	assert_int_equal(configure(f, &err), 0);
	assert_line(f, "lxc.mount.entry = /dev/null dev/null none bind,nosuid,ro,create=file 0 0");
}

static void test_ctr_configure_pool_has_no_binds(void **state)
{
	struct fixture *f = *state;
	struct tw_err err = { 0 };
	f->p.pool = true;
	assert_int_equal(configure(f, &err), 0);
	assert_null(strstr(f->text, "home/alice"));
	assert_line(f, "lxc.cgroup.dir.container = throwaway/copies/pool/lxc.payload.tw-unit-copy");
}

static void test_ctr_cgroup_plan_caps(void **state)
{
	struct fixture *f = *state;
	struct ctr_cgroup cg;
	f->cfg.max_sessions_per_user = 3;
	ctr_cgroup_plan(&f->cfg, false, 1234, &cg);
	assert_string_equal(cg.parent, "u1234");
	assert_int_equal(cg.caps.parent, 3ULL << 30);
	assert_true(cg.caps.total > 0); /* nine tenths of this host's memory */
	f->cfg.memory_max_per_user = 5 << 20;
	f->cfg.memory_max_total = 7 << 20;
	ctr_cgroup_plan(&f->cfg, false, 1234, &cg);
	assert_int_equal(cg.caps.parent, 5 << 20);
	assert_int_equal(cg.caps.total, 7 << 20);
	/* a pooled copy has no user yet: the total only */
	ctr_cgroup_plan(&f->cfg, true, 1234, &cg);
	assert_string_equal(cg.parent, "pool");
	assert_int_equal(cg.caps.parent, 0);
}

static void test_ctr_configure_userns_passes_the_user_through(void **state)
{
	struct fixture *f = *state;
	struct tw_err err = { 0 };
	char line[128];
	f->cfg.userns = true;
	assert_int_equal(configure(f, &err), 0);
	snprintf(line, sizeof(line), "lxc.idmap = u 0 %u 1234", SUBID_BASE);
	assert_line(f, line);
	assert_line(f, "lxc.idmap = u 1234 1234 1");
	assert_line(f, "lxc.idmap = g 1234 1234 1");
	assert_null(strstr(f->text, "dac_override")); /* dropped only when privileged */
	assert_non_null(
		strstr(f->text, "lxc.rootfs.path = overlay:" CTR_LOWER_DIR "/" SESSION ":"));
}

static void test_ctr_configure_names_the_refused_key(void **state)
{
	struct fixture *f = *state;
	struct tw_err err = { 0 };
	/* liblxc refuses a hostname longer than the kernel's 64 bytes */
	f->p.name = "tw-unit-a-name-far-too-long-for-a-hostname-which-the-kernel-caps-at-64";
	assert_true(configure(f, &err) < 0);
	assert_non_null(strstr(err.msg, "lxc.uts.name"));
	assert_non_null(strstr(err.msg, f->p.name));
}

static void test_ctr_configure_names_a_missing_device(void **state)
{
	struct fixture *f = *state;
	struct tw_err err = { 0 };
	f->cfg.devices[0] = "/dev/tw-unit-no-such-device";
	f->cfg.n_devices = 1;
	assert_int_equal(configure(f, &err), -ENODEV);
	assert_non_null(strstr(err.msg, "/dev/tw-unit-no-such-device"));
}

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* A fork that fails (no process left to the uid) leaves no pipe open. */
static void test_ctr_start_fork_failure_leaks_nothing(void **state)
{
	struct fixture *f = *state;
	struct lxc_container *c = lxc_container_new("tw-unit-start", f->dir);
	assert_non_null(c);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit none = { 0, 0 };
		struct tw_err err = { 0 };
		if (setrlimit(RLIMIT_NPROC, &none) < 0 || setresgid(65534, 65534, 65534) < 0 ||
		    setresuid(65534, 65534, 65534) < 0)
			_exit(2);
		int before = count_fds();
		int r = ctr_start(c, NULL, 1000, &err);
		_exit(r == -EAGAIN && count_fds() == before && strstr(err.msg, "cannot start") ? 0
											       : 1);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	lxc_container_put(c);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* The inode of this process's mount namespace. */
static ino_t mnt_ns(void)
{
	struct stat st;
	assert_int_equal(stat("/proc/self/ns/mnt", &st), 0);
	return st.st_ino;
}

/* Each call makes a namespace: nothing is done once behind the caller's back. */
static void test_ctr_mount_namespace_each_call(void **state)
{
	(void)state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		ino_t first = mnt_ns();
		const struct ctr_keep proc[] = { { "/proc", true } };
		if (ctr_mount_namespace(proc, 1) < 0)
			_exit(2);
		ino_t second = mnt_ns();
		if (ctr_mount_namespace(proc, 1) < 0)
			_exit(3);
		_exit(second != first && mnt_ns() != second ? 0 : 1);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* The mounts kept: those on the way to a path, and beneath a tree; "/" always. */
static void test_ctr_mount_kept_the_way_and_the_trees(void **state)
{
	(void)state;
	const struct ctr_keep keep[] = { { "/home/ann", false }, { "/run/throwaway", true } };
	const char *kept[] = { "/",    "/home",          "/home/ann",
			       "/run", "/run/throwaway", "/run/throwaway/lower/x" };
	const char *gone[] = { "/mnt",      "/home/ann/sshfs", "/homes",  "/home/annex",
			       "/run/user", "/run/throwawayx", "/tmp/a b" };
	for (size_t i = 0; i < ELEMENTSOF(kept); i++)
		assert_true(ctr_mount_kept(kept[i], keep, ELEMENTSOF(keep)));
	for (size_t i = 0; i < ELEMENTSOF(gone); i++)
		assert_false(ctr_mount_kept(gone[i], keep, ELEMENTSOF(keep)));
	assert_true(ctr_mount_kept("/", NULL, 0));
}

/* Is path a mount point of its own (another device than its parent's)? */
static bool mounted(const char *path)
{
	char parent[PATH_MAX];
	struct stat in, up;
	snprintf(parent, sizeof(parent), "%s/..", path);
	return stat(path, &in) == 0 && stat(parent, &up) == 0 && in.st_dev != up.st_dev;
}

/*
 * A host mount that is not kept is gone from the new namespace (its name
 * with a space, escaped in mountinfo), one in a kept tree stays, and the
 * host still has both.
 */
static void test_ctr_mount_namespace_detaches_the_rest(void **state)
{
	struct fixture *f = *state;
	char host[96], kept[96], tree[96];
	snprintf(host, sizeof(host), "%s/host mnt", f->dir);
	snprintf(tree, sizeof(tree), "%s/tree", f->dir);
	snprintf(kept, sizeof(kept), "%s/tree/kept", f->dir);
	assert_int_equal(mkdir(host, 0700), 0);
	assert_int_equal(mkdir(tree, 0700), 0);
	assert_int_equal(mkdir(kept, 0700), 0);
	assert_int_equal(mount("tw-unit", host, "tmpfs", 0, "size=1M"), 0);
	assert_int_equal(mount("tw-unit", kept, "tmpfs", 0, "size=1M"), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		const struct ctr_keep keep[] = { { tree, true } };
		if (ctr_mount_namespace(keep, ELEMENTSOF(keep)) < 0)
			_exit(2);
		_exit(!mounted(host) && mounted(kept) ? 0 : 1);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(mounted(host) && mounted(kept));
	assert_int_equal(umount(host), 0);
	assert_int_equal(umount(kept), 0);
	assert_int_equal(rmdir(host), 0);
	assert_int_equal(rmdir(kept), 0);
	assert_int_equal(rmdir(tree), 0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* What the process that makes copies mounts after copy_prepare_process stays its own. */
static void test_copy_prepare_process_mounts_stay_inside(void **state)
{
	struct fixture *f = *state;
	char mnt[96];
	snprintf(mnt, sizeof(mnt), "%s/mnt", f->dir);
	assert_int_equal(mkdir(mnt, 0700), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct tw_err err = { 0 };
		const struct copy_spec spec = { .cfg = &f->cfg, .pool = true };
		ino_t before = mnt_ns();
		if (copy_prepare_process(&copy_driver_lxc, &spec, &err) < 0 || mnt_ns() == before)
			_exit(2);
		if (mount("tw-unit", mnt, "tmpfs", 0, "size=1M") < 0)
			_exit(3);
		struct stat in, dir;
		bool mounted =
			stat(mnt, &in) == 0 && stat(f->dir, &dir) == 0 && in.st_dev != dir.st_dev;
		_exit(mounted ? 0 : 1);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	struct stat in, dir;
	assert_int_equal(stat(mnt, &in), 0);
	assert_int_equal(stat(f->dir, &dir), 0);
	assert_true(in.st_dev == dir.st_dev); /* not mounted here */
	assert_int_equal(rmdir(mnt), 0);
}

/* Make directory NAME in the place, with a marker naming session (or none), of owner uid. */
static void make_copy_dir(struct fixture *f, const char *name, const char *session, uid_t uid,
			  bool as_link)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	assert_int_equal(mkdir(path, 0700), 0);
	if (!session)
		return;
	snprintf(path, sizeof(path), "%s/%s/" CTR_MARKER, f->dir, name);
	if (as_link) {
		assert_int_equal(symlink("/etc/hostname", path), 0);
		return;
	}
	FILE *m = fopen(path, "we");
	assert_non_null(m);
	fputs(session, m);
	fclose(m);
	assert_int_equal(chown(path, uid, uid), 0);
}

struct listed {
	char names[8][64];
	char sessions[8][32];
	size_t n;
};

static int collect(const struct copy_found *c, void *data)
{
	struct listed *l = data;
	assert_true(l->n < 8);
	snprintf(l->names[l->n], sizeof(l->names[0]), "%s", c->name);
	snprintf(l->sessions[l->n], sizeof(l->sessions[0]), "%s", c->session);
	l->n++;
	return 0;
}

/* gc's orphans come from this list: only directories with root's marker naming a session. */
static void test_ctr_list_only_marked_copies(void **state)
{
	struct fixture *f = *state;
	struct listed l = { .n = 0 };
	make_copy_dir(f, "tw-unit-ours", SESSION, 0, false);
	make_copy_dir(f, "tw-unit-being-made", NULL, 0, false);
	make_copy_dir(f, "tw-unit-users-marker", SESSION, 65534, false);
	make_copy_dir(f, "tw-unit-linked-marker", SESSION, 0, true);
	make_copy_dir(f, "tw-unit-bad-session", "not-a-session-id", 0, false);
	assert_int_equal(ctr_list(f->dir, collect, &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.names[0], "tw-unit-ours");
	assert_string_equal(l.sessions[0], SESSION);
	/* A place that does not exist holds nothing. */
	l.n = 0;
	assert_int_equal(ctr_list("/run/tw-unit-no-such-place", collect, &l), 0);
	assert_int_equal(l.n, 0);
}

/* What fn(dir) returns in a child with the ids uid:gid, as an errno or 0 (no cmocka there). */
static int as(uid_t uid, gid_t gid, int (*fn)(const char *), const char *dir)
{
	int st;
	pid_t pid = fork();
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
		    setresuid(uid, uid, uid) < 0)
			_exit(255);
		_exit(fn(dir));
	}
	return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) ? WEXITSTATUS(st) : 254;
}

static int make_file(const char *dir)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/open/made", dir);
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int give_to_root(const char *dir)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/mine", dir);
	return chown(p, 0, 0) < 0 ? errno : 0;
}

static int set_suid(const char *dir)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/mine", dir);
	return chmod(p, 04755) < 0 ? errno : 0;
}

/*
 * A privileged copy's bind (ctr_bind_tree with ids): root, whatever its
 * capabilities, can neither make a file there, even in a directory of the
 * user's that anyone may write, nor be given one; the user makes files as
 * ever, their own on the host.
 */
static void test_ctr_bind_tree_keeps_root_out(void **state)
{
	(void)state;
	char top[] = "/var/tmp/tw-unit.XXXXXX", src[64], mnt[64], p[96];
	struct stat st;
	assert_non_null(mkdtemp(top));
	assert_int_equal(chmod(top, 0755), 0);
	snprintf(src, sizeof(src), "%s/home", top);
	snprintf(mnt, sizeof(mnt), "%s/mnt", top);
	assert_int_equal(mkdir(src, 0755), 0);
	assert_int_equal(mkdir(mnt, 0755), 0);
	snprintf(p, sizeof(p), "%s/open", src);
	assert_int_equal(mkdir(p, 0777), 0);
	assert_int_equal(chmod(p, 0777), 0);
	assert_int_equal(chown(p, 1234, 1234), 0);
	snprintf(p, sizeof(p), "%s/mine", src);
	assert_int_equal(close(open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0755)), 0);
	assert_int_equal(chown(p, 1234, 1234), 0);
	assert_int_equal(chown(src, 1234, 1234), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		gid_t groups[] = { 1235 };
		const struct ctr_ids ids = {
			.uid = 1234, .gid = 1234, .groups = groups, .n_groups = 1
		};
		const struct ctr_keep keep[] = { { top, true }, { "/proc", true } };
		if (ctr_mount_namespace(keep, 2) < 0 || ctr_mount_bind(src, mnt, false, &ids) < 0)
			_exit(100);
		int root_makes = make_file(mnt), root_gives = give_to_root(mnt);
		int user_makes = as(1234, 1234, make_file, mnt),
		    user_suid = as(1234, 1234, set_suid, mnt);
		_exit(root_makes == EOVERFLOW && root_gives != 0
			      ? (user_makes == 0 && user_suid == 0 ? 0 : 2)
			      : 1);
	}
	int st_code;
	assert_int_equal(waitpid(pid, &st_code, 0), pid);
	assert_true(WIFEXITED(st_code));
	assert_int_equal(WEXITSTATUS(st_code), 0);
	snprintf(p, sizeof(p), "%s/open/made", src);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_uid, 1234);
	snprintf(p, sizeof(p), "%s/mine", src);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_uid, 1234);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", top);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ctr_configure_hardening, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ctr_configure_veth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ctr_configure_binds_nosuid_nodev, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ctr_configure_privileged_binds_are_staged,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_ctr_configure_devices_read_only, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ctr_configure_pool_has_no_binds, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ctr_cgroup_plan_caps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ctr_configure_userns_passes_the_user_through,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_ctr_configure_names_the_refused_key, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ctr_configure_names_a_missing_device, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ctr_start_fork_failure_leaks_nothing, setup,
						teardown),
		cmocka_unit_test(test_ctr_mount_namespace_each_call),
		cmocka_unit_test(test_ctr_mount_kept_the_way_and_the_trees),
		cmocka_unit_test_setup_teardown(test_ctr_mount_namespace_detaches_the_rest, setup,
						teardown),
		cmocka_unit_test(test_ctr_bind_tree_keeps_root_out),
		cmocka_unit_test_setup_teardown(test_copy_prepare_process_mounts_stay_inside, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ctr_list_only_marked_copies, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
