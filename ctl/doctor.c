/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * throwawayctl doctor: is this host ready for sandboxed logins? Each check
 * prints one line, "ok", "warn" or "fail", and a one-line fix under every
 * warn and fail. Runs as root, reads the kernel's and the host's settings,
 * the config, the origins' configurations and the PAM files; the users and
 * sshd are doctor_sshd.c's. Changes nothing.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "budget.h"
#include "cgroup.h"
#include "cleanup.h"
#include "config.h"
#include "copy.h"
#include "ctl.h"
#include "doctor.h"
#include "landlock.h"
#include "names.h"
#include "subid.h"
#include "util.h"

#ifndef LIBEXECDIR
#define LIBEXECDIR "/usr/local/libexec/throwaway"
#endif
#ifndef DATADIR
#define DATADIR "/usr/local/share/throwaway"
#endif

#define SMALL_FILE_MAX (1024 * 1024)
#define MAX_ORIGINS 64

static void vsay(struct doctor *d, enum verdict v, const char *check, const char *fix,
		 const char *fmt, va_list ap)
{
	static const char *const words[] = { "ok", "warn", "fail" };
	char msg[1024];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	printf("%-5s %-8s %s\n", words[v], check, msg);
	if (v != V_OK && fix)
		printf("%-14s fix: %s\n", "", fix);
	d->count[v]++;
}

void doctor_say(struct doctor *d, enum verdict v, const char *check, const char *fix,
		const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay(d, v, check, fix, fmt, ap);
	va_end(ap);
}

/* One line of the report; a fix line under warn and fail. */
__attribute__((format(printf, 5, 6))) static void
say(struct doctor *d, enum verdict v, const char *check, const char *fix, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay(d, v, check, fix, fmt, ap);
	va_end(ap);
}

/* Needed only by unprivileged copies: a fail with userns = yes, else a warn. */
static enum verdict userns_verdict(const struct doctor *d)
{
	return !d->cfg_ok || d->cfg.userns ? V_FAIL : V_WARN;
}

static int read_small(const char *path, char **ret)
{
	size_t len;

	return util_read_path(path, SMALL_FILE_MAX, ret, &len);
}

/* Kernel ------------------------------------------------------------------ */

static void check_overlay(struct doctor *d)
{
	_cleanup_free_ char *fs = NULL;
	struct utsname u;
	char mod[PATH_MAX];
	if (read_small("/proc/filesystems", &fs) >= 0 && fs && strstr(fs, "\toverlay\n")) {
		say(d, V_OK, "overlay", NULL, "the kernel has overlayfs");
		return;
	}
	uname(&u);
	snprintf(mod, sizeof(mod), "/lib/modules/%s/kernel/fs/overlayfs", u.release);
	if (access(mod, F_OK) == 0)
		say(d, V_OK, "overlay", NULL, "overlayfs is a module, loaded at the first mount");
	else
		say(d, V_FAIL, "overlay", "use a kernel built with CONFIG_OVERLAY_FS",
		    "the kernel has no overlayfs, which every copy is made of");
}

static void check_userns(struct doctor *d)
{
	_cleanup_free_ char *text = NULL;
	const char *end;
	uint64_t max = 0;
	int r = read_small("/proc/sys/user/max_user_namespaces", &text);
	if (r >= 0 && util_parse_u64(text, UINT64_MAX, &end, &max) < 0)
		max = 0;
	if (max > 0)
		say(d, V_OK, "userns", NULL,
		    "user namespaces are enabled (user.max_user_namespaces = %llu)",
		    (unsigned long long)max);
	else if (r < 0)
		say(d, userns_verdict(d), "userns",
		    "use a kernel built with CONFIG_USER_NS, or set userns = no",
		    "the kernel has no user namespaces, which userns = yes needs");
	else
		say(d, userns_verdict(d), "userns",
		    "sysctl -w user.max_user_namespaces=15000, and set it in /etc/sysctl.d/",
		    "user.max_user_namespaces = 0: no user namespaces, which userns = yes needs");
}

/* Overlayfs over idmapped lower layers: Linux 5.19. */
static void check_idmap(struct doctor *d)
{
	struct utsname u;
	const char *end;
	uint64_t major, minor = 0;
	/* "6.1.0-18-amd64": the major number, then the minor one if any. */
	if (uname(&u) < 0 || util_parse_u64(u.release, ULONG_MAX, &end, &major) < 0) {
		say(d, V_WARN, "idmap", "run Linux 5.19 or later",
		    "cannot tell the kernel's version");
		return;
	}
	if (*end == '.' && util_parse_u64(end + 1, ULONG_MAX, &end, &minor) < 0)
		minor = 0;
	if (major > 5 || (major == 5 && minor >= 19))
		say(d, V_OK, "idmap", NULL, "Linux %lu.%lu has idmapped mounts under overlayfs",
		    (unsigned long)major, (unsigned long)minor);
	else
		say(d, userns_verdict(d), "idmap", "run Linux 5.19 or later, or set userns = no",
		    "Linux %lu.%lu cannot overlay idmapped layers (5.19 can): userns = yes needs "
		    "it",
		    (unsigned long)major, (unsigned long)minor);
}

/*
 * Landlock keeps the copies of one user from making sockets and FIFOs where
 * they meet (the home, the binds); without it only the per-user memory cap
 * bounds what a copy that ended can be kept holding through one.
 */
static void check_landlock(struct doctor *d)
{
	const char *fix = NULL;
	int abi = landlock_abi();
	const char *missing = landlock_missing(abi, &fix);
	if (!missing)
		say(d, V_OK, "landlock", NULL,
		    "Landlock ABI %d: copies make no socket or FIFO in the home or a bind", abi);
	else
		say(d, V_WARN, "landlock", fix,
		    "%s: copies of one user may pass each other fds through sockets in the home; "
		    "only memory_max_per_user bounds what they keep",
		    missing);
}

/* Host ids ------------------------------------------------------------------ */

static void check_subids(struct doctor *d)
{
	static const char *const files[] = { "/etc/subuid", "/etc/subgid" };
	char err[256];
	for (size_t i = 0; i < ELEMENTSOF(files); i++) {
		_cleanup_free_ char *text = NULL;
		if (read_small(files[i], &text) < 0 ||
		    !subid_covers(text, "root", SUBID_BASE, SUBID_COUNT) ||
		    !subid_covers(text, "root", SUBID_USERS_FIRST, SUBID_USERS_COUNT)) {
			say(d, userns_verdict(d), "subids", "throwawayctl setup-ids",
			    "%s does not give root ids %u-%u (the copies) and %u-%u (users passed "
			    "through)",
			    files[i], SUBID_BASE, SUBID_BASE + SUBID_COUNT - 1, SUBID_USERS_FIRST,
			    SUBID_USERS_FIRST + SUBID_USERS_COUNT - 1);
			return;
		}
	}
	/* What a login checks, for a first ordinary user. */
	if (subid_check(SUBID_USERS_FIRST, SUBID_USERS_FIRST, err, sizeof(err)) < 0) {
		say(d, userns_verdict(d), "subids", "throwawayctl setup-ids", "%s", err);
		return;
	}
	say(d, V_OK, "subids", NULL,
	    "root owns ids %u-%u and passes through %u-%u (/etc/subuid, /etc/subgid)", SUBID_BASE,
	    SUBID_BASE + SUBID_COUNT - 1, SUBID_USERS_FIRST,
	    SUBID_USERS_FIRST + SUBID_USERS_COUNT - 1);
}

/* Cgroups ------------------------------------------------------------------- */

static void check_cgroups(struct doctor *d)
{
	char missing[128];
	enum cgroup_layout layout = cgroup_layout(CGROUP_ROOT);
	cgroup_missing_controllers(CGROUP_ROOT, layout, missing, sizeof(missing));
	if (missing[0])
		say(d, V_FAIL, "cgroups", "enable these controllers for the root cgroup",
		    "%s, without the %s controller(s) the copies' limits need",
		    cgroup_layout_names[layout], missing);
	else
		say(d, V_OK, "cgroups", NULL, "%s", cgroup_layout_names[layout]);
}

/*
 * Root's kernel budgets on the host (budget.h): every unprivileged copy's
 * user namespace is root's, so what its users make counts against them.
 * Too small, one busy copy takes what root's daemons and other copies need.
 */
static void check_budgets(struct doctor *d)
{
	if (d->cfg_ok && !d->cfg.userns) {
		say(d, V_OK, "budgets", NULL, "userns = no: copies are charged as their own uids");
		return;
	}
	unsigned long sessions = d->cfg_ok && d->cfg.max_sessions < ULONG_MAX
					 ? (unsigned long)d->cfg.max_sessions
					 : 256;
	for (size_t i = 0; i < budget_count; i++) {
		const struct budget *b = &budget_table[i];
		unsigned long now = 0, need = budget_host_needed(b, sessions);
		int r = budget_host_read(b, &now);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			say(d, V_WARN, "budgets", NULL, "cannot read %s: %s", b->host,
			    strerror(-r));
		else if (now < need)
			say(d, V_WARN, "budgets", "throwawayctl setup-ids",
			    "%s = %lu: %lu copies may use it up (needs %lu)", b->host, now,
			    sessions, need);
		else
			say(d, V_OK, "budgets", NULL, "%s = %lu holds %lu copies (needs %lu)",
			    b->host, now, sessions, need);
	}
}

/* Config and origins -------------------------------------------------------- */

/* Read and validate the config once, first: whether userns is on decides some verdicts. */
static void load_config(struct doctor *d)
{
	_cleanup_close_ int fd = -EBADF;
	size_t len;
	int r = config_open_trusted(d->config_path, &fd, &d->cfg_err);
	if (r >= 0 && (r = util_read_capped(fd, CONFIG_MAX_FILE, &d->cfg_text, &len)) < 0)
		tw_err_set(&d->cfg_err, r, "%s: cannot read: %s", d->config_path, strerror(-r));
	if (r >= 0 && lseek(fd, 0, SEEK_SET) < 0)
		r = tw_err_set(&d->cfg_err, errno, "%s: cannot read: %s", d->config_path,
			       strerror(errno));
	if (r >= 0)
		r = config_load_fd(fd, d->config_path, NULL, &d->cfg, &d->cfg_err);
	d->cfg_ok = r >= 0;
}

static void check_config(struct doctor *d)
{
	const char *fix = "correct the line named, then run 'throwawayctl check-config'";
	int code = d->cfg_err.code;
	if (code == ENOENT)
		fix = "write it: '[global]', 'origin = NAME' (config/throwaway.conf has every key)";
	else if (code == EPERM || code == ELOOP || code == ENOTDIR)
		fix = "make the file and every directory above it root's, mode go-w, no symlinks";
	if (d->cfg_ok)
		say(d, V_OK, "config", NULL, "%s is valid and trusted", d->config_path);
	else
		say(d, V_FAIL, "config", fix, "%s", d->cfg_err.msg);
}

struct origin_ref {
	char name[NAMES_CONTAINER_MAX + 1];
	char lxcpath[PATH_MAX];
	char section[96];
};

struct origin_set {
	struct origin_ref refs[MAX_ORIGINS];
	size_t n;
};

static void add_origin(struct origin_set *s, const char *name, const char *lxcpath,
		       const char *section)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->refs[i].name, name) == 0 && strcmp(s->refs[i].lxcpath, lxcpath) == 0)
			return;
	if (s->n == MAX_ORIGINS)
		return;
	struct origin_ref *o = &s->refs[s->n++];
	snprintf(o->name, sizeof(o->name), "%s", name);
	snprintf(o->lxcpath, sizeof(o->lxcpath), "%s", lxcpath);
	snprintf(o->section, sizeof(o->section), "[%s]", section);
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && strchr(" \t\r", s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* One section's own origin and origin_lxcpath, over the global values. */
struct section_vals {
	char name[96];
	char origin[NAMES_CONTAINER_MAX + 1];
	char lxcpath[PATH_MAX];
};

static void flush_section(const struct doctor *d, struct section_vals *v, struct origin_set *s)
{
	bool global = strcmp(v->name, "global") == 0;
	if (v->name[0] && (global || v->origin[0] || v->lxcpath[0]))
		add_origin(s, v->origin[0] ? v->origin : d->cfg.origin,
			   v->lxcpath[0] ? v->lxcpath : d->cfg.origin_lxcpath, v->name);
	memset(v, 0, sizeof(*v));
}

/*
 * Every origin the config names, with the origin_lxcpath it is looked up
 * in: the config API resolves one user's values, so read the (already
 * validated) text for the sections' own lines.
 */
static void config_origins(const struct doctor *d, struct origin_set *s)
{
	_cleanup_free_ char *text = strdup(d->cfg_text ? d->cfg_text : "");
	struct section_vals v;
	memset(&v, 0, sizeof(v));
	char *save = NULL;
	for (char *l = text ? strtok_r(text, "\n", &save) : NULL; l;
	     l = strtok_r(NULL, "\n", &save)) {
		l = trim(l);
		char *eq = strchr(l, '=');
		if (l[0] == '[') {
			flush_section(d, &v, s);
			snprintf(v.name, sizeof(v.name), "%.*s", (int)strcspn(l + 1, "]"), l + 1);
		} else if (eq && l[0] != '#' && l[0] != ';') {
			*eq = '\0';
			const char *key = trim(l), *val = trim(eq + 1);
			if (strcmp(key, "origin") == 0)
				snprintf(v.origin, sizeof(v.origin), "%s", val);
			else if (strcmp(key, "origin_lxcpath") == 0)
				snprintf(v.lxcpath, sizeof(v.lxcpath), "%s", val);
		}
	}
	flush_section(d, &v, s);
	if (s->n == 0 && d->cfg.origin)
		add_origin(s, d->cfg.origin, d->cfg.origin_lxcpath, "global");
}

static int count_copies(const struct ledger_entry *e, void *data)
{
	struct origin_count *o = data;
	if (strcmp(e->origin, o->name) == 0)
		o->copies++;
	return 0;
}

/* A running origin: logins fail, and with copies it changes under them. */
static void origin_running(struct doctor *d, const struct origin_ref *o, const char *fix)
{
	struct origin_count oc = { .copies = 0 };
	char msg[512];
	snprintf(oc.name, sizeof(oc.name), "%s", o->name);
	say(d, V_FAIL, "origin", fix, "'%s' %s is running: logins cannot copy it", o->name,
	    o->section);
	ledger_foreach(TW_RUNDIR, count_copies, &oc);
	if (oc.copies == 0)
		return;
	copystat_origin_warning(&oc, msg, sizeof(msg));
	say(d, V_WARN, "origin", fix, "%s", msg + strlen("warning: "));
}

/* A driver's finding as doctor's verdict. */
static const enum verdict verdicts[] = { [COPY_OK] = V_OK,
					 [COPY_WARN] = V_WARN,
					 [COPY_FAIL] = V_FAIL,
					 [COPY_RUNNING] = V_FAIL };

static void check_one_origin(struct doctor *d, const struct origin_ref *o)
{
	struct copy_finding f[COPY_FINDINGS_MAX];
	if (!names_container_valid(o->name)) {
		say(d, V_FAIL, "origin", "name an existing container",
		    "'%s' %s is not a valid container name", o->name, o->section);
		return;
	}
	const struct copy_driver *drv = copy_driver_of(&d->cfg);
	char place[PATH_MAX];
	/* Another engine than this host's LXC finds origins in its own place. */
	const char *where = drv == copy_driver_named("lxc") ||
					    copy_place(drv, &d->cfg, place, sizeof(place)) < 0
				    ? o->lxcpath
				    : place;
	size_t n = drv->check_origin(where, o->name, f);
	for (size_t i = 0; i < n; i++) {
		if (f[i].verdict == COPY_RUNNING)
			origin_running(d, o, f[i].fix);
		else
			say(d, verdicts[f[i].verdict], "origin", f[i].fix[0] ? f[i].fix : NULL,
			    "'%s'%s%s %s", o->name, i ? "" : " ", i ? "" : o->section, f[i].msg);
	}
}

/* The engine of the config's backend, when it has one to ask (lxd: the daemon). */
static void check_backend(struct doctor *d)
{
	const struct copy_driver *drv = d->cfg_ok ? copy_driver_of(&d->cfg) : NULL;
	struct copy_finding f[COPY_FINDINGS_MAX];
	char place[PATH_MAX];

	if (!drv || !drv->check_place)
		return;
	/* A driver that could not be loaded has no place, and says why. */
	if (copy_driver_loaded(drv, NULL) < 0)
		place[0] = '\0';
	else if (copy_place(drv, &d->cfg, place, sizeof(place)) < 0)
		return;
	size_t n = drv->check_place(place, f);
	for (size_t i = 0; i < n; i++)
		say(d, verdicts[f[i].verdict], drv->name, f[i].fix[0] ? f[i].fix : NULL, "%s",
		    f[i].msg);
}

static void check_origins(struct doctor *d)
{
	struct origin_set *s;
	if (!d->cfg_ok) {
		say(d, V_WARN, "origin", "correct the config first",
		    "not checked: the config is not valid");
		return;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		say(d, V_FAIL, "origin", NULL, "out of memory");
		return;
	}
	config_origins(d, s);
	for (size_t i = 0; i < s->n; i++)
		check_one_origin(d, &s->refs[i]);
	free(s);
}

/* Installed files ------------------------------------------------------------ */

/* PATH and every directory above it root-owned, not group/world writable. */
static bool trusted_file(struct doctor *d, const char *check, const char *path, const char *fix,
			 struct stat *ret)
{
	struct tw_err err = { 0 };
	_cleanup_close_ int fd = -EBADF;
	int r = config_open_trusted(path, &fd, &err);
	if (r >= 0 && fstat(fd, ret) < 0)
		r = tw_err_set(&err, errno, "%s: cannot stat it: %s", path, strerror(errno));
	if (r < 0) {
		say(d, V_FAIL, check, fix, "%s", err.msg);
		return false;
	}
	return true;
}

static void check_seccomp(struct doctor *d)
{
	struct stat st;
	if (trusted_file(d, "seccomp", DATADIR "/seccomp.profile", "make install", &st))
		say(d, V_OK, "seccomp", NULL, "%s is installed", DATADIR "/seccomp.profile");
}

static void check_helpers(struct doctor *d)
{
	static const char *const helpers[] = { LIBEXECDIR "/throwaway-keeper",
					       LIBEXECDIR "/throwaway-hook" };
	struct stat st;
	for (size_t i = 0; i < ELEMENTSOF(helpers); i++) {
		if (!trusted_file(d, "helpers", helpers[i], "make install", &st))
			continue;
		if (!(st.st_mode & S_IXUSR))
			say(d, V_FAIL, "helpers", "make install", "%s is not executable",
			    helpers[i]);
		else
			say(d, V_OK, "helpers", NULL, "%s is root's and not writable by others",
			    helpers[i]);
	}
}

/* The throwaway-shell lines of /etc/shells, space separated, in buf. */
static void shells_listed(char *buf, size_t len)
{
	_cleanup_free_ char *text = NULL;
	char *save = NULL;
	buf[0] = '\0';
	if (read_small("/etc/shells", &text) < 0)
		return;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		const char *base = strrchr(l, '/');
		if (l[0] == '/' && base && strcmp(base + 1, CTL_SHELL_NAME) == 0 &&
		    strlen(buf) + strlen(l) + 2 < len)
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", buf[0] ? " " : "",
				 l);
	}
}

static void check_shell(struct doctor *d)
{
	char listed[1024];
	struct stat st;
	shells_listed(listed, sizeof(listed));
	if (!listed[0]) {
		say(d, V_WARN, "shell", "add the shell's path to /etc/shells (make install does)",
		    "/etc/shells has no %s line: chsh refuses it, and so may other programs",
		    CTL_SHELL_NAME);
		return;
	}
	char *first = listed;
	first[strcspn(first, " ")] = '\0';
	if (!trusted_file(d, "shell", first, "make install", &st))
		return;
	if (st.st_mode & (S_ISUID | S_ISGID))
		say(d, V_FAIL, "shell", "chmod ug-s, or make install",
		    "%s is setuid or setgid: it must not be", first);
	else
		say(d, V_OK, "shell", NULL, "%s is in /etc/shells, root's, not setuid", first);
}

/* PAM ------------------------------------------------------------------------ */

struct pam_scan {
	char with[512];        /* services with the module */
	char not_session[256]; /* ... on a line that is not a session line */
	char readenv[256];     /* ... that also read ~/.pam_environment */
};

static void append_name(char *buf, size_t len, const char *name)
{
	if (strlen(buf) + strlen(name) + 3 < len)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", buf[0] ? ", " : "", name);
}

static void scan_pam_file(int dfd, const char *name, struct pam_scan *s)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	bool module = false, session = true, readenv = false;
	char *save = NULL;
	_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || util_read_capped(fd, SMALL_FILE_MAX, &text, &len) < 0)
		return;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		l = trim(l);
		if (l[0] == '#')
			continue;
		if (strstr(l, "pam_throwaway.so")) {
			module = true;
			session = session &&
				  (strncmp(l, "session", 7) == 0 || strncmp(l, "-session", 8) == 0);
		}
		if (strstr(l, "pam_env.so") && strstr(l, "user_readenv=1"))
			readenv = true;
	}
	if (!module)
		return;
	append_name(s->with, sizeof(s->with), name);
	if (!session)
		append_name(s->not_session, sizeof(s->not_session), name);
	if (readenv)
		append_name(s->readenv, sizeof(s->readenv), name);
}

static void check_pam(struct doctor *d)
{
	struct pam_scan s = { "", "", "" };
	_cleanup_closedir_ DIR *dir = opendir("/etc/pam.d");
	struct dirent *de;
	while (dir && (de = readdir(dir)))
		if (de->d_type != DT_DIR && de->d_name[0] != '.')
			scan_pam_file(dirfd(dir), de->d_name, &s);
	if (!s.with[0]) {
		say(d, V_WARN, "pam",
		    "add 'session required pam_throwaway.so' at the end of /etc/pam.d/sshd",
		    "no file in /etc/pam.d uses pam_throwaway.so: no login gets a sandbox");
		return;
	}
	say(d, V_OK, "pam", NULL, "pam_throwaway.so is in /etc/pam.d: %s", s.with);
	if (s.not_session[0])
		say(d, V_WARN, "pam", "use it as 'session required pam_throwaway.so'",
		    "pam_throwaway.so is not on a session line in: %s", s.not_session);
	if (s.readenv[0])
		say(d, V_WARN, "pam", "remove user_readenv=1 from pam_env in those files",
		    "pam_env reads ~/.pam_environment (user_readenv=1), which a sandboxed user "
		    "writes from inside, in: %s",
		    s.readenv);
}

/* ---------------------------------------------------------------------------- */

static const struct {
	void (*fn)(struct doctor *d);
} checks[] = {
	{ check_overlay },     { check_userns },      { check_idmap },
	{ check_landlock },    { check_subids },      { check_cgroups },
	{ check_budgets },     { check_config },      { check_backend },
	{ check_origins },     { check_seccomp },     { check_helpers },
	{ check_shell },       { check_pam },         { doctor_check_enroll },
	{ doctor_check_sshd }, { doctor_check_disk }, { doctor_check_network },
};

int doctor_run(const char *config_path)
{
	struct doctor d = { .config_path = config_path };
	load_config(&d);
	for (size_t i = 0; i < ELEMENTSOF(checks); i++)
		checks[i].fn(&d);
	printf("doctor: %u ok, %u warn, %u fail\n", d.count[V_OK], d.count[V_WARN],
	       d.count[V_FAIL]);
	config_free(&d.cfg);
	free(d.cfg_text);
	return d.count[V_FAIL] ? 1 : 0;
}
