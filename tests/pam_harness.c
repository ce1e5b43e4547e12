/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Test driver through the real libpam: open a session for USER with the
 * service file SERVICE in CONFDIR, optionally run a command as the user with
 * the PAM environment (like a login program would), then close the session.
 *
 *   pam_harness CONFDIR SERVICE USER [--no-close] [-- CMD ARGS...]
 *
 * Prints "open=<pam code name>" and "close=<name>" lines; exits with the
 * command's status, or 0.
 */
#include <grp.h>
#include <pwd.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	(void)data;
	*resp = calloc((size_t)n, sizeof(**resp));
	for (int i = 0; i < n; i++)
		fprintf(stderr, "pam-message: %s\n", msg[i]->msg);
	return PAM_SUCCESS;
}

static const char *code_name(int r)
{
	switch (r) {
	case PAM_SUCCESS:
		return "PAM_SUCCESS";
	case PAM_IGNORE:
		return "PAM_IGNORE";
	case PAM_SESSION_ERR:
		return "PAM_SESSION_ERR";
	case PAM_SERVICE_ERR:
		return "PAM_SERVICE_ERR";
	case PAM_USER_UNKNOWN:
		return "PAM_USER_UNKNOWN";
	case PAM_PERM_DENIED:
		return "PAM_PERM_DENIED";
	default:
		return "PAM_OTHER";
	}
}

static int run_as(pam_handle_t *pamh, const char *user, char **cmd)
{
	struct passwd *pw = getpwnam(user);
	int st;
	if (!pw)
		return 1;
	pid_t pid = fork();
	if (pid == 0) {
		char **env = pam_getenvlist(pamh);
		if (initgroups(user, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
		    setuid(pw->pw_uid) < 0)
			_exit(126);
		execve(cmd[0], cmd, env);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(int argc, char **argv)
{
	struct pam_conv c = { conv, NULL };
	pam_handle_t *pamh = NULL;
	int status = 0, close_it = 1, i = 4;

	if (argc < 4)
		return 2;
	if (i < argc && strcmp(argv[i], "--no-close") == 0)
		close_it = 0, i++;
	if (pam_start_confdir(argv[2], argv[3], &c, argv[1], &pamh) != PAM_SUCCESS)
		return 2;
	pam_set_item(pamh, PAM_RHOST, "127.0.0.1");
	int r = pam_open_session(pamh, 0);
	printf("open=%s\n", code_name(r));
	const char *e = pam_getenv(pamh, "THROWAWAY_SESSION");
	printf("session=%s\n", e ? e : "");
	e = pam_getenv(pamh, "THROWAWAY_ERROR");
	printf("error=%s\n", e ? e : "");
	fflush(stdout);
	if (i < argc && strcmp(argv[i], "--") == 0)
		status = run_as(pamh, argv[3], argv + i + 1);
	if (close_it) {
		r = pam_close_session(pamh, 0);
		printf("close=%s\n", code_name(r));
	}
	pam_end(pamh, PAM_SUCCESS);
	return status;
}
