/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * throwawayctl doctor: the sandboxed users, and every sshd that serves
 * them. Forwarding, internal-sftp and ~/.ssh/rc are sshd's own, on the
 * host: they never pass through throwaway-shell, so only sshd's settings
 * keep them off. Every running sshd is found in /proc (a root process of
 * our pid namespace whose program is an sshd and whose parent's is not: a
 * listener), and
 * "sshd -T" is run with the -f, -o and -p it was started with, once for
 * every sandboxed user with "-C user=...", as that user's login over
 * loopback would see it. sshd -T reads the files as they are now; an sshd
 * keeps what it read when it started or was last reloaded.
 *
 * Runs as root, and changes nothing. A process's command line is used
 * only when the process is root's; its program is run only when it and
 * every directory above it are root's and not writable by others (else
 * /usr/sbin/sshd is). sshd runs with a fixed environment and a deadline.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "config.h"
#include "ctl.h"
#include "doctor.h"
#include "spawn.h"
#include "util.h"

#define SSHD_PATH "/usr/sbin/sshd"
#define SSHD_CONFIG "/etc/ssh/sshd_config"
#define SSHD_TIMEOUT_MS 10000
#define SSHD_OUT_MAX (256 * 1024)
#define SSHDS_MAX 32
#define SSHD_ARGS_MAX 32 /* -f, -o and -p with their values */
#define CMDLINE_MAX 4096
#define PROC_FILE_MAX 16384
#define USERS_MAX 65536
#define SHOWN_MAX 4 /* names in one line, then "and N more" */

/* Names, and how many there are: the first SHOWN_MAX are kept for a line. */
struct names {
	size_t n;
	char shown[SHOWN_MAX * 40];
	char why[160]; /* for findings: what sshd -T said for the first one */
};

static void names_add(struct names *s, const char *name)
{
	char safe[33];
	size_t used = strlen(s->shown);
	if (s->n++ >= SHOWN_MAX)
		return;
	util_sanitize(safe, sizeof(safe), name);
	snprintf(s->shown + used, sizeof(s->shown) - used, "%s'%s'", used ? ", " : "", safe);
}

/* "'alice', 'bob' and 3 more" into buf. */
static const char *names_text(const struct names *s, char *buf, size_t len)
{
	if (s->n > SHOWN_MAX)
		snprintf(buf, len, "%s and %zu more", s->shown, s->n - SHOWN_MAX);
	else
		snprintf(buf, len, "%s", s->shown);
	return buf;
}

/* Users --------------------------------------------------------------------- */

struct users {
	char **name;
	size_t n;
};

static void users_free(struct users *u)
{
	for (size_t i = 0; i < u->n; i++)
		free(u->name[i]);
	free(u->name);
	u->name = NULL;
	u->n = 0;
}

static int users_add(struct users *u, const char *name)
{
	if (u->n == USERS_MAX)
		return -E2BIG;
	if ((u->n & (u->n - 1)) == 0) { /* 0, 1, 2, 4, ...: grow */
		char **l = reallocarray(u->name, u->n ? u->n * 2 : 1, sizeof(*l));
		if (!l)
			return -ENOMEM;
		u->name = l;
	}
	u->name[u->n] = strdup(name);
	if (!u->name[u->n])
		return -ENOMEM;
	u->n++;
	return 0;
}

/* Is pw sandboxed? As the module decides: throwaway-shell, and never uid 0. */
static bool sandboxed(const struct passwd *pw)
{
	return pw->pw_uid != 0 && enroll_has_shell(pw);
}

/* Every sandboxed user, in passwd order. 0 or -errno. */
static int sandboxed_users(struct users *ret)
{
	struct users u = { 0 };
	struct passwd *pw;
	int r = 0;
	setpwent();
	while (r >= 0 && (pw = getpwent()))
		if (sandboxed(pw))
			r = users_add(&u, pw->pw_name);
	endpwent();
	if (r < 0)
		users_free(&u);
	else
		*ret = u;
	return r;
}

static bool users_has(const struct users *u, const char *name)
{
	for (size_t i = 0; i < u->n; i++)
		if (strcmp(u->name[i], name) == 0)
			return true;
	return false;
}

/* The group's members as /etc/group (or NSS) lists them; false if there is no group. */
static bool group_members(gid_t *ret_gid, struct users *ret)
{
	struct users m = { 0 };
	struct group *gr = getgrnam(CTL_GROUP);
	if (!gr)
		return false;
	*ret_gid = gr->gr_gid;
	for (char **p = gr->gr_mem; p && *p; p++)
		if (users_add(&m, *p) < 0)
			break;
	*ret = m;
	return true;
}

/* Who has the shell but not the group, and who has the group but not the shell. */
static void enroll_drift(gid_t gid, const struct users *members, struct names *no_group,
			 struct names *no_shell, size_t *ret_sandboxed)
{
	struct passwd *pw;
	size_t n = 0;
	setpwent();
	while ((pw = getpwent())) {
		bool in_group = pw->pw_gid == gid || users_has(members, pw->pw_name);
		if (sandboxed(pw))
			n++;
		if (sandboxed(pw) && !in_group)
			names_add(no_group, pw->pw_name);
		else if (!sandboxed(pw) && in_group && pw->pw_uid != 0)
			names_add(no_shell, pw->pw_name);
	}
	endpwent();
	*ret_sandboxed = n;
}

void doctor_check_enroll(struct doctor *d)
{
	struct users members = { 0 };
	struct names no_group = { 0 }, no_shell = { 0 };
	size_t n = 0;
	char list[256];
	gid_t gid = (gid_t)-1;
	bool group = group_members(&gid, &members);
	enroll_drift(gid, &members, &no_group, &no_shell, &n);
	users_free(&members);
	if (!group)
		doctor_say(d, V_WARN, "enroll",
			   "make install creates it (or throwawayctl enroll USER)",
			   "there is no group '%s', which /etc/ssh/sshd_config.d/throwaway.conf "
			   "keeps forwarding off for",
			   CTL_GROUP);
	if (no_group.n)
		doctor_say(d, V_WARN, "enroll", "throwawayctl enroll USER, for each of them",
			   "%s %s %s but %s not in group '%s'",
			   names_text(&no_group, list, sizeof(list)),
			   no_group.n == 1 ? "has" : "have", CTL_SHELL_NAME,
			   no_group.n == 1 ? "is" : "are", CTL_GROUP);
	if (no_shell.n)
		doctor_say(d, V_WARN, "enroll",
			   "throwawayctl enroll USER, or throwawayctl unenroll USER",
			   "%s %s in group '%s' without %s: not sandboxed",
			   names_text(&no_shell, list, sizeof(list)),
			   no_shell.n == 1 ? "is" : "are", CTL_GROUP, CTL_SHELL_NAME);
	if (group && !no_group.n && !no_shell.n)
		doctor_say(d, V_OK, "enroll", NULL, "%zu sandboxed user%s, each in group '%s'", n,
			   n == 1 ? "" : "s", CTL_GROUP);
}

/* Running sshds ------------------------------------------------------------- */

struct sshd {
	pid_t pid; /* 0: none runs; the config one would start with */
	char bin[PATH_MAX];
	char text[CMDLINE_MAX];        /* the words of its command line */
	char *args[SSHD_ARGS_MAX + 1]; /* -f, -o and -p with their values, into text */
	size_t n_args;
	bool cut; /* more of them than args holds */
	const char *config;
};

static int read_proc(pid_t pid, const char *file, char **ret, size_t *ret_len)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return util_read_capped(fd, PROC_FILE_MAX, ret, ret_len);
}

/* The program pid runs, if it is an sshd ("sshd", or "sshd (deleted)" after an upgrade). */
static bool sshd_exe(pid_t pid, char *buf, size_t len)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	ssize_t n = readlink(path, buf, len - 1);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	char *del = strstr(buf, " (deleted)");
	if (del && del[strlen(" (deleted)")] == '\0')
		*del = '\0';
	const char *base = strrchr(buf, '/');
	return base && strcmp(base + 1, "sshd") == 0;
}

/* A number after "\nKEY:\t" in /proc/PID/status, the FIELD-th one (0-based). */
static int status_field(const char *text, const char *key, int field, uint64_t *ret)
{
	char pat[32];
	snprintf(pat, sizeof(pat), "\n%s:", key);
	const char *p = strstr(text, pat), *end;
	if (!p)
		return -ENOENT;
	p += strlen(pat);
	for (int i = 0;; i++) {
		p += strspn(p, " \t");
		if (util_parse_u64(p, UINT64_MAX, &end, ret) < 0)
			return -EINVAL;
		if (i == field)
			return 0;
		p = end;
	}
}

/*
 * Is pid in our pid namespace? An sshd in another (a container's, a copy's)
 * reads its own files and serves none of the host's logins.
 */
static bool same_pidns(pid_t pid)
{
	char path[64], ours[64], theirs[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
	ssize_t a = readlink("/proc/self/ns/pid", ours, sizeof(ours) - 1);
	ssize_t b = readlink(path, theirs, sizeof(theirs) - 1);
	return a > 0 && b == a && memcmp(ours, theirs, (size_t)a) == 0;
}

/*
 * A root process of our pid namespace whose program is an sshd, and whose
 * parent's is not: a listener.
 */
static bool sshd_listener(pid_t pid, char *exe, size_t len)
{
	_cleanup_free_ char *status = NULL;
	size_t n;
	uint64_t euid, ppid;
	char pexe[PATH_MAX];
	if (!sshd_exe(pid, exe, len) || !same_pidns(pid) ||
	    read_proc(pid, "status", &status, &n) < 0 || !status)
		return false;
	if (status_field(status, "Uid", 1, &euid) < 0 || euid != 0 ||
	    status_field(status, "PPid", 0, &ppid) < 0 || ppid > INT_MAX)
		return false;
	return ppid == 0 || !sshd_exe((pid_t)ppid, pexe, sizeof(pexe));
}

/*
 * The words of a command line, in place: argv as the kernel keeps it, or,
 * once sshd has made it its title ("sshd: /usr/sbin/sshd -f FILE
 * [listener] 0 of 10-100 startups", one string), that title's words after
 * "NAME: " and before " [listener]". *ret_title says which.
 */
static size_t cmdline_words(char *text, size_t len, char **words, size_t max, bool *ret_title)
{
	size_t n = 0, strings = 0;
	for (size_t i = 0; i < len; i += strlen(text + i) + 1)
		strings += text[i] != '\0';
	char *colon = strstr(text, ": ");
	*ret_title = strings == 1 && colon;
	if (!*ret_title) {
		for (size_t i = 0; i < len && n < max; i += strlen(text + i) + 1)
			if (text[i])
				words[n++] = text + i;
		return n;
	}
	char *listener = strstr(colon, " [listener]"), *save = NULL;
	if (listener)
		*listener = '\0';
	for (char *w = strtok_r(colon + 2, " ", &save); w && n < max;
	     w = strtok_r(NULL, " ", &save))
		words[n++] = w;
	return n;
}

/* In a title, a value runs on over the words that do not start with '-'. */
static size_t join_value(char **words, size_t i, size_t n)
{
	while (i + 1 < n && words[i + 1][0] != '-') {
		words[i][strlen(words[i])] = ' ';
		i++;
	}
	return i;
}

/* The -f, -o and -p of a command line's words (after argv[0]), for sshd -T. */
static void sshd_args(struct sshd *s, char **words, size_t n, bool title)
{
	static const char kept[] = "fop";
	static const char *const flags[] = { "-f", "-o", "-p" };
	for (size_t i = 1; i < n; i++) {
		char *w = words[i], *val;
		/* sshd's options that take a value (OpenSSH's getopt string). */
		if (w[0] != '-' || !w[1] || !strchr("CEbcfghkopu", w[1]))
			continue;
		char opt = w[1];
		if (w[2])
			val = w + 2;
		else if (i + 1 < n)
			val = words[++i];
		else
			break;
		if (title && val != w + 2)
			i = join_value(words, i, n);
		const char *k = strchr(kept, opt);
		if (!k)
			continue;
		if (s->n_args + 2 > SSHD_ARGS_MAX) {
			s->cut = true;
			continue;
		}
		s->args[s->n_args++] = (char *)flags[k - kept];
		s->args[s->n_args++] = val;
		if (opt == 'f')
			s->config = val;
	}
	s->args[s->n_args] = NULL;
}

/* What to run sshd -T with: the listener's program when it is trusted, else SSHD_PATH. */
static void sshd_bin(struct sshd *s, const char *exe)
{
	struct tw_err e = { 0 };
	_cleanup_close_ int fd = -EBADF;
	if (config_open_trusted(exe, &fd, &e) < 0 || access(exe, X_OK) < 0)
		exe = SSHD_PATH;
	snprintf(s->bin, sizeof(s->bin), "%s", exe);
}

static int sshd_read(struct sshd *s, pid_t pid, const char *exe)
{
	_cleanup_free_ char *cmd = NULL;
	char *words[256];
	size_t len = 0;
	bool title;
	int r = read_proc(pid, "cmdline", &cmd, &len);
	if (r < 0 || !cmd)
		return r < 0 ? r : -EIO;
	memset(s, 0, sizeof(*s));
	s->pid = pid;
	s->config = SSHD_CONFIG;
	if (len >= sizeof(s->text))
		len = sizeof(s->text) - 1;
	memcpy(s->text, cmd, len);
	s->text[len] = '\0';
	size_t n = cmdline_words(s->text, len, words, ELEMENTSOF(words), &title);
	sshd_args(s, words, n, title);
	sshd_bin(s, exe);
	return 0;
}

static bool sshd_same(const struct sshd *a, const struct sshd *b)
{
	if (strcmp(a->bin, b->bin) != 0 || a->n_args != b->n_args)
		return false;
	for (size_t i = 0; i < a->n_args; i++)
		if (strcmp(a->args[i], b->args[i]) != 0)
			return false;
	return true;
}

/* Every running sshd listener, one per distinct command line. */
static size_t running_sshds(struct sshd *list, size_t max)
{
	_cleanup_closedir_ DIR *dir = opendir("/proc");
	struct dirent *de;
	size_t n = 0;
	while (dir && n < max && (de = readdir(dir))) {
		uint64_t pid;
		char exe[PATH_MAX];
		if (util_parse_u64(de->d_name, INT_MAX, NULL, &pid) < 0 ||
		    !sshd_listener((pid_t)pid, exe, sizeof(exe)) ||
		    sshd_read(&list[n], (pid_t)pid, exe) < 0)
			continue;
		bool dup = false;
		for (size_t i = 0; i < n && !dup; i++)
			dup = sshd_same(&list[i], &list[n]);
		n += !dup;
	}
	return n;
}

/* sshd -T ------------------------------------------------------------------- */

static int sshd_t(const struct sshd *s, const char *spec, char *out, size_t len)
{
	static char *const envp[] = { "PATH=" SPAWN_PATH, "LC_ALL=C", NULL };
	char *argv[SSHD_ARGS_MAX + 6] = { (char *)s->bin, (char *)"-T" };
	size_t n = 2;
	for (size_t i = 0; i < s->n_args; i++)
		argv[n++] = s->args[i];
	if (spec) {
		argv[n++] = (char *)"-C";
		argv[n++] = (char *)spec;
	}
	argv[n] = NULL;
	int st = ctl_run(argv, envp, SSHD_TIMEOUT_MS, out, len);
	if (st == -ETIMEDOUT)
		snprintf(out, len, "no answer within %d s", SSHD_TIMEOUT_MS / 1000);
	if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return st < 0 ? st : -EIO;
	return 0;
}

/* "key value" lines of sshd -T: the value of KEY (lowercase), or NULL. */
static const char *sshd_value(const char *out, const char *key, char *buf, size_t len)
{
	size_t kl = strlen(key);
	for (const char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, key, kl) == 0 && l[kl] == ' ') {
			snprintf(buf, len, "%.*s", (int)strcspn(l + kl + 1, "\n"), l + kl + 1);
			return buf;
		}
	}
	return NULL;
}

/* Append "key value" to why when KEY's value is not WANT (or is missing). */
static bool differs(const char *out, const char *key, const char *want, char *why, size_t len)
{
	char v[128];
	const char *got = sshd_value(out, key, v, sizeof(v));
	if (got && strcmp(got, want) == 0)
		return false;
	size_t used = strlen(why);
	snprintf(why + used, len - used, "%s%s %s", used ? ", " : "", key, got ? got : "(none)");
	return true;
}

/* Forwarding: all of it off (DisableForwarding), or every kind of it that reaches the host. */
static bool bad_forwarding(const char *out, char *why, size_t len)
{
	static const char *const keys[] = { "allowtcpforwarding", "allowstreamlocalforwarding",
					    "permittunnel", "x11forwarding" };
	bool bad = false;
	char none[8] = "";
	if (!differs(out, "disableforwarding", "yes", none, sizeof(none)))
		return false;
	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		bad |= differs(out, keys[i], "no", why, len);
	return bad;
}

static bool bad_rc(const char *out, char *why, size_t len)
{
	return differs(out, "permituserrc", "no", why, len);
}

/* internal-sftp is sshd's own, on the host: as the subsystem or as a forced command. */
static bool bad_sftp(const char *out, char *why, size_t len)
{
	char v[PATH_MAX];
	const char *sub = sshd_value(out, "subsystem sftp", v, sizeof(v));
	if (sub && strstr(sub, "internal-sftp")) {
		snprintf(why, len, "subsystem sftp %s", sub);
		return true;
	}
	const char *fc = sshd_value(out, "forcecommand", v, sizeof(v));
	if (fc && strncmp(fc, "internal-sftp", strlen("internal-sftp")) == 0) {
		snprintf(why, len, "forcecommand %s", fc);
		return true;
	}
	return false;
}

static bool bad_environment(const char *out, char *why, size_t len)
{
	return differs(out, "permituserenvironment", "no", why, len);
}

/* What sshd must not do for a sandboxed user, each judged on sshd -T's output. */
static const struct rule {
	bool (*bad)(const char *out, char *why, size_t len);
	enum verdict verdict; /* when it does */
	bool global;          /* judged without a user too (not a Match setting) */
	const char *ok, *what, *fix;
} rules[] = {
	{ bad_forwarding, V_FAIL, false, "forwarding is off",
	  "forwarding (-L, -R, -D, -W, X11, tunnels) reaches the host",
	  "throwawayctl enroll USER (the group /etc/ssh/sshd_config.d/throwaway.conf matches), "
	  "that file included at the top of the sshd config, then reload sshd" },
	{ bad_rc, V_FAIL, false, "PermitUserRC no",
	  "sshd runs ~/.ssh/rc through the host's /bin/sh, before every command",
	  "'PermitUserRC no' in their Match block (/etc/ssh/sshd_config.d/throwaway.conf), then "
	  "reload sshd" },
	{ bad_sftp, V_FAIL, true, "sftp is not internal-sftp",
	  "internal-sftp serves the host's files, never the copy's",
	  "'Subsystem sftp /usr/lib/openssh/sftp-server' and no 'ForceCommand internal-sftp' "
	  "for them, then reload sshd" },
	{ bad_environment, V_WARN, true, "PermitUserEnvironment no",
	  "~/.ssh/environment reaches throwaway-shell on the host",
	  "'PermitUserEnvironment no' (the default), then reload sshd" },
};

/* One sshd's findings: for each rule, the users it fails for; and the runs that failed. */
struct sshd_report {
	struct names bad[ELEMENTSOF(rules)];
	struct names failed; /* sshd -T -C did not answer */
	char laddr[64], lport[16];
};

static void label(const struct sshd *s, char *buf, size_t len)
{
	if (s->pid)
		snprintf(buf, len, "sshd %d (%s)", (int)s->pid, s->config);
	else
		snprintf(buf, len, "%s (no sshd runs)", s->config);
}

/* laddr and lport of -C: the first address it listens on (a wildcard as loopback). */
static void first_listen(const char *out, struct sshd_report *rep)
{
	char v[128];
	snprintf(rep->laddr, sizeof(rep->laddr), "127.0.0.1");
	snprintf(rep->lport, sizeof(rep->lport), "22");
	if (!sshd_value(out, "listenaddress", v, sizeof(v)))
		return;
	char *colon = strrchr(v, ':');
	if (!colon)
		return;
	*colon = '\0';
	if (util_strscpy(rep->lport, sizeof(rep->lport), colon + 1) < 0)
		return;
	char *addr = v[0] == '[' ? v + 1 : v;
	addr[strcspn(addr, "]")] = '\0';
	if (strcmp(addr, "0.0.0.0") != 0 && strcmp(addr, "::") != 0)
		util_strscpy(rep->laddr, sizeof(rep->laddr), addr);
}

static void judge(const char *out, const char *user, struct sshd_report *rep, bool global)
{
	for (size_t i = 0; i < ELEMENTSOF(rules); i++) {
		char why[160] = "";
		if (global && !rules[i].global)
			continue;
		if (!rules[i].bad(out, why, sizeof(why)))
			continue;
		if (rep->bad[i].n == 0)
			snprintf(rep->bad[i].why, sizeof(rep->bad[i].why), "%s", why);
		names_add(&rep->bad[i], user);
	}
}

static void check_user(const struct sshd *s, const char *user, struct sshd_report *rep, char *out,
		       size_t len)
{
	char spec[1024];
	/* Every criterion, or sshd refuses a config with a Match on a missing one. */
	int w = snprintf(spec, sizeof(spec),
			 "user=%s,host=localhost,addr=127.0.0.1,laddr=%s,lport=%s", user,
			 rep->laddr, rep->lport);
	if (strchr(user, ',') || w < 0 || (size_t)w >= sizeof(spec)) {
		snprintf(out, len, "a name sshd -C cannot take");
	} else {
		if (sshd_t(s, spec, out, len) >= 0) {
			judge(out, user, rep, false);
			return;
		}
	}
	if (rep->failed.n == 0)
		snprintf(rep->failed.why, sizeof(rep->failed.why), "%.*s", (int)strcspn(out, "\n"),
			 out);
	names_add(&rep->failed, user);
}

static void report(struct doctor *d, const char *who, const struct sshd_report *rep, size_t users)
{
	char list[256], whom[64];
	size_t checked = users - rep->failed.n;
	if (checked == users)
		snprintf(whom, sizeof(whom),
			 users == 1 ? "the sandboxed user" : "all %zu sandboxed users", users);
	else
		snprintf(whom, sizeof(whom), "the other %zu sandboxed user%s", checked,
			 checked == 1 ? "" : "s");
	if (rep->failed.n)
		doctor_say(d, V_FAIL, "sshd", "run sshd -T -C user=NAME,... to see what is wrong",
			   "%s: sshd -T -C failed for %s: %s", who,
			   names_text(&rep->failed, list, sizeof(list)), rep->failed.why);
	for (size_t i = 0; i < ELEMENTSOF(rules); i++) {
		const struct names *b = &rep->bad[i];
		if (b->n && users)
			doctor_say(d, rules[i].verdict, "sshd", rules[i].fix, "%s: for %s, %s (%s)",
				   who, names_text(b, list, sizeof(list)), rules[i].what, b->why);
		else if (b->n)
			doctor_say(d, V_WARN, "sshd", rules[i].fix, "%s: %s (%s)", who,
				   rules[i].what, b->why);
		else if (checked)
			doctor_say(d, V_OK, "sshd", NULL, "%s: %s for %s", who, rules[i].ok, whom);
	}
}

static void check_one_sshd(struct doctor *d, const struct sshd *s, const struct users *u, char *out,
			   size_t len)
{
	struct sshd_report rep;
	char who[PATH_MAX + 64];
	memset(&rep, 0, sizeof(rep));
	label(s, who, sizeof(who));
	if (s->cut)
		doctor_say(d, V_WARN, "sshd", "start it with fewer -o options",
			   "%s: more than %d options on its command line: checked with the first",
			   who, SSHD_ARGS_MAX / 2);
	if (sshd_t(s, NULL, out, len) < 0) {
		doctor_say(d, V_FAIL, "sshd", "run sshd -t with the same -f to see what is wrong",
			   "%s: sshd -T failed: %.*s", who, (int)strcspn(out, "\n"), out);
		return;
	}
	first_listen(out, &rep);
	if (u->n == 0) {
		judge(out, "", &rep, true);
		doctor_say(d, V_OK, "sshd", NULL, "%s: no user has %s yet: forwarding not checked",
			   who, CTL_SHELL_NAME);
	}
	for (size_t i = 0; i < u->n; i++)
		check_user(s, u->name[i], &rep, out, len);
	report(d, who, &rep, u->n);
}

void doctor_check_sshd(struct doctor *d)
{
	struct users u = { 0 };
	_cleanup_free_ char *out = malloc(SSHD_OUT_MAX);
	_cleanup_free_ struct sshd *list = calloc(SSHDS_MAX, sizeof(*list));
	int r = out && list ? sandboxed_users(&u) : -ENOMEM;
	if (r < 0) {
		doctor_say(d, V_FAIL, "sshd", NULL, "cannot list the sandboxed users: %s",
			   strerror(-r));
		return;
	}
	if (access(SSHD_PATH, X_OK) < 0) {
		doctor_say(d, V_OK, "sshd", NULL, "%s is not installed: no ssh logins to check",
			   SSHD_PATH);
		users_free(&u);
		return;
	}
	size_t n = running_sshds(list, SSHDS_MAX);
	if (n == 0) {
		/* None runs: the config one would start with. */
		list[0].config = SSHD_CONFIG;
		snprintf(list[0].bin, sizeof(list[0].bin), "%s", SSHD_PATH);
		n = 1;
	}
	for (size_t i = 0; i < n; i++)
		check_one_sshd(d, &list[i], &u, out, SSHD_OUT_MAX);
	users_free(&u);
}
