/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * throwawayctl enroll / unenroll: make a user sandboxed, or not, in one
 * step. Enrolled means two things that must go together: the login shell
 * is the installed throwaway-shell (what the module goes by), and the user
 * is in the group that the sshd snippet install puts in
 * /etc/ssh/sshd_config.d/throwaway.conf matches (what keeps forwarding,
 * which never passes through the shell, off the host).
 *
 * Runs as root. Changes the passwd and group databases only through the
 * shadow suite's own tools (usermod, and groupadd for a missing group),
 * each run with an empty environment and a deadline, so their locking and
 * their logs are the system's. Trusts the user name only as an argument
 * to them: it is looked up first and refused unless it names a user.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "ctl.h"

#ifndef BINDIR
#define BINDIR "/usr/local/bin"
#endif

#define SHELL_PATH BINDIR "/" CTL_SHELL_NAME
#define USERMOD "/usr/sbin/usermod"
#define GROUPADD "/usr/sbin/groupadd"
#define DEFAULT_SHELL "/bin/bash"
#define ENROLL_UID_MIN 1000U /* below: system users (Debian's UID_MIN) */
#define TOOL_TIMEOUT_MS 30000
#define GROUPS_MAX 65536

bool enroll_has_shell(const struct passwd *pw)
{
	const char *s = pw->pw_shell ? strrchr(pw->pw_shell, '/') : NULL;
	return pw->pw_shell && strcmp(s ? s + 1 : pw->pw_shell, CTL_SHELL_NAME) == 0;
}

bool enroll_in_group(const struct passwd *pw, gid_t gid)
{
	int n = 64;
	if (pw->pw_gid == gid)
		return true;
	for (;;) {
		_cleanup_free_ gid_t *groups = calloc((size_t)n, sizeof(gid_t));
		int want = n;
		if (!groups)
			return false;
		if (getgrouplist(pw->pw_name, pw->pw_gid, groups, &want) >= 0) {
			for (int i = 0; i < want; i++)
				if (groups[i] == gid)
					return true;
			return false;
		}
		if (want <= n || want > GROUPS_MAX)
			return false;
		n = want;
	}
}

/* Run one of the shadow suite's tools; on failure say what it said. 0 or -1. */
static int run_tool(char *const argv[])
{
	char out[1024];
	int st = ctl_run(argv, NULL, TOOL_TIMEOUT_MS, out, sizeof(out));
	if (st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	out[strcspn(out, "\n")] = '\0';
	if (st == -ETIMEDOUT)
		fprintf(stderr, "throwawayctl: %s did not finish within %d s\n", argv[0],
			TOOL_TIMEOUT_MS / 1000);
	else if (st < 0)
		fprintf(stderr, "throwawayctl: cannot run %s: %s\n", argv[0], strerror(-st));
	else
		fprintf(stderr, "throwawayctl: %s failed%s%s\n", argv[0], out[0] ? ": " : "", out);
	return -1;
}

/* The group's gid, made (a system group) when there is none. 0 or -1. */
static int ensure_group(gid_t *ret)
{
	struct group *gr = getgrnam(CTL_GROUP);
	if (!gr) {
		char *const argv[] = { (char *)GROUPADD, (char *)"--system", (char *)CTL_GROUP,
				       NULL };
		if (run_tool(argv) < 0)
			return -1;
		gr = getgrnam(CTL_GROUP);
		if (!gr) {
			fprintf(stderr, "throwawayctl: groupadd made no group '%s'\n", CTL_GROUP);
			return -1;
		}
		printf("created the group '%s'\n", CTL_GROUP);
	}
	*ret = gr->gr_gid;
	return 0;
}

/* The user named, or NULL after saying why not. */
static struct passwd *find_user(const char *name)
{
	struct passwd *pw = name[0] ? getpwnam(name) : NULL;
	if (!pw)
		fprintf(stderr, "throwawayctl: no user '%s'\n", name);
	return pw;
}

/* Root and system users are refused: root is never sandboxed, so its logins would get no shell. */
static int may_enroll(const struct passwd *pw, bool force)
{
	if (pw->pw_uid == 0) {
		fprintf(stderr,
			"throwawayctl: '%s' has uid 0, which is never sandboxed: with %s as its "
			"shell it could not log in at all\n",
			pw->pw_name, CTL_SHELL_NAME);
		return -1;
	}
	if (pw->pw_uid < ENROLL_UID_MIN && !force) {
		fprintf(stderr,
			"throwawayctl: '%s' is a system user (uid %u, below %u); use --force to "
			"enroll it anyway\n",
			pw->pw_name, (unsigned)pw->pw_uid, ENROLL_UID_MIN);
		return -1;
	}
	return 0;
}

/* The installed shell is there and runnable, or nobody gets it as a login shell. */
static int shell_installed(void)
{
	if (access(SHELL_PATH, X_OK) == 0)
		return 0;
	fprintf(stderr, "throwawayctl: %s is not installed: %s (run make install)\n", SHELL_PATH,
		strerror(errno));
	return -1;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: throwawayctl enroll [--force] USER | unenroll [--shell PATH] USER\n");
	return 2;
}

int enroll_cmd(int argc, char **argv)
{
	bool force = argc == 2 && strcmp(argv[0], "--force") == 0;
	gid_t gid;
	if (argc != 1 + force || argv[argc - 1][0] == '-')
		return usage();
	struct passwd *pw = find_user(argv[force]);
	if (!pw || may_enroll(pw, force) < 0 || shell_installed() < 0 || ensure_group(&gid) < 0)
		return 1;
	bool shell_ok = strcmp(pw->pw_shell, SHELL_PATH) == 0, group_ok = enroll_in_group(pw, gid);
	if (shell_ok && group_ok) {
		printf("'%s' is already enrolled\n", pw->pw_name);
		return 0;
	}
	/* One usermod: the group and the shell change together. */
	char *const um[] = { (char *)USERMOD,   (char *)"-a", (char *)"-G",
			     (char *)CTL_GROUP, (char *)"-s", (char *)SHELL_PATH,
			     (char *)"--",      pw->pw_name,  NULL };
	if (run_tool(um) < 0)
		return 1;
	printf("enrolled '%s': shell %s, group %s\n", pw->pw_name, SHELL_PATH, CTL_GROUP);
	return 0;
}

/* The shell unenroll gives: an absolute path to a program, and not throwaway-shell. */
static int valid_shell(const char *path)
{
	struct passwd p = { .pw_shell = (char *)path };
	if (path[0] != '/' || enroll_has_shell(&p)) {
		fprintf(stderr, "throwawayctl: --shell takes the absolute path of another shell\n");
		return -1;
	}
	if (access(path, X_OK) < 0) {
		fprintf(stderr, "throwawayctl: cannot use '%s' as a shell: %s\n", path,
			strerror(errno));
		return -1;
	}
	return 0;
}

int unenroll_cmd(int argc, char **argv)
{
	bool given = argc == 3 && strcmp(argv[0], "--shell") == 0;
	const char *shell = given ? argv[1] : DEFAULT_SHELL;
	if (argc != 1 + 2 * given || argv[argc - 1][0] == '-')
		return usage();
	if (valid_shell(shell) < 0)
		return 1;
	struct group *gr = getgrnam(CTL_GROUP);
	gid_t gid = gr ? gr->gr_gid : (gid_t)-1;
	struct passwd *pw = find_user(argv[argc - 1]);
	if (!pw)
		return 1;
	bool has_shell = enroll_has_shell(pw), in_group = gr && enroll_in_group(pw, gid);
	if (!has_shell && !in_group) {
		printf("'%s' is not enrolled\n", pw->pw_name);
		return 0;
	}
	/* One usermod: out of both together. */
	char *um[9] = { (char *)USERMOD };
	size_t n = 1;
	if (has_shell) {
		um[n++] = (char *)"-s";
		um[n++] = (char *)shell;
	}
	if (in_group) {
		um[n++] = (char *)"-r";
		um[n++] = (char *)"-G";
		um[n++] = (char *)CTL_GROUP;
	}
	um[n++] = (char *)"--";
	um[n++] = pw->pw_name;
	um[n] = NULL;
	if (run_tool(um) < 0)
		return 1;
	printf("unenrolled '%s': shell %s, not in group %s\n", pw->pw_name,
	       has_shell ? shell : pw->pw_shell, CTL_GROUP);
	return 0;
}
