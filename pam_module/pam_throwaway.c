/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pam_throwaway: session module. Decides whether the user is sandboxed
 * (before any config is read, so a broken config never locks out admins),
 * starts the session's keeper and waits until it has accepted the login
 * (with wait: until its copy is ready), and asks the keeper to tear the
 * copy down at close. Runs as root inside the host program (sshd's
 * monitor, login, su): it never calls liblxc, never prints, never changes
 * the host's syslog ident, and leaves no child behind.
 *
 *   session required pam_throwaway.so [config=/path] [force] [wait] [debug]
 *
 * Without wait the copy is made while the host program finishes the login
 * (for sshd: the client's channel and command requests, the session's
 * process), and the shell waits for it; a copy that fails then is reported
 * by the shell.
 */
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <security/pam_modutil.h>

#include "cleanup.h"
#include "config.h"
#include "names.h"
#include "proto.h"
#include "spawn.h"
#include "util.h"

#define PUBLIC __attribute__((visibility("default")))
#define KEEPER LIBEXECDIR "/throwaway-keeper"
#define KEEPER_REQUEST_FD 3 /* where the keeper reads its request */
#define DATA_SESSION "pam_throwaway_session"
#define CLOSE_TIMEOUT_MS 30000
#define DESTROY_TIMEOUT_MS 30000
#define SHELL_NAME "throwaway-shell"

struct args {
	const char *config;
	bool force;
	bool wait;
	bool debug;
};

static int parse_args(pam_handle_t *pamh, int argc, const char **argv, struct args *a)
{
	*a = (struct args){ .config = CONFIG_DEFAULT_PATH };
	for (int i = 0; i < argc; i++) {
		if (strncmp(argv[i], "config=", 7) == 0 && argv[i][7] == '/')
			a->config = argv[i] + 7;
		else if (strcmp(argv[i], "force") == 0)
			a->force = true;
		else if (strcmp(argv[i], "debug") == 0)
			a->debug = true;
		else if (strcmp(argv[i], "wait") == 0)
			a->wait = true;
		else {
			pam_syslog(pamh, LOG_ERR, "unknown or bad module argument '%s'", argv[i]);
			return -EINVAL;
		}
	}
	return 0;
}

/* Is this user sandboxed? Cheap, and decided before any config is read. */
static bool sandboxed(const struct passwd *pw, const struct args *a)
{
	if (pw->pw_uid == 0)
		return false;
	if (a->force)
		return true;
	const char *s = strrchr(pw->pw_shell, '/');
	return strcmp(s ? s + 1 : pw->pw_shell, SHELL_NAME) == 0;
}

static int get_user(pam_handle_t *pamh, struct passwd **ret)
{
	const char *user = NULL;
	if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || !user || !*user)
		return -ENOENT;
	struct passwd *pw = pam_modutil_getpwnam(pamh, user);
	if (!pw)
		return -ENOENT;
	*ret = pw;
	return 0;
}

/* Tell the user (conversation), the shell (THROWAWAY_ERROR) and the admin (syslog). */
static int fail(pam_handle_t *pamh, const char *user, const char *why)
{
	char env[640];
	char clean[512];
	util_sanitize(clean, sizeof(clean), why);
	pam_syslog(pamh, LOG_ERR, "cannot create a sandbox for '%s': %s", user, clean);
	pam_error(pamh, "throwaway: cannot create your sandbox: %s", clean);
	snprintf(env, sizeof(env), "THROWAWAY_ERROR=cannot create your sandbox: %s", clean);
	pam_putenv(pamh, env);
	return PAM_SESSION_ERR;
}

/*
 * The keeper, with an empty environment, fds 0-2 on /dev/null and fd 3 a
 * socket to us. Detached (a double fork) so that it is nobody's child
 * here: login waits on any child. spawn_start reaps the intermediate
 * child itself, with SIGCHLD at its default for that moment.
 */
static int spawn_keeper(struct tw_err *e, int *ret_sock)
{
	int sv[2];
	char *const argv[] = { (char *)"throwaway-keeper", NULL };

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return tw_err_set(e, errno, "%s", strerror(errno));
	_cleanup_close_ int sock = sv[0];
	_cleanup_close_ int theirs = sv[1];
	const struct spawn_fd fd3 = { .fd = theirs, .at = KEEPER_REQUEST_FD };
	const struct spawn_opts o = {
		.path = KEEPER, .argv = argv, .fds = &fd3, .n_fds = 1, .flags = SPAWN_DETACH
	};
	int r = spawn_start(&o, e, NULL);
	if (r < 0)
		return r;
	*ret_sock = TAKE_FD(sock);
	return 0;
}

/*
 * Who logs in: the passwd entry and the groups, looked up once, here, where
 * the host program's NSS is loaded already; the keeper gets them with the
 * request instead of looking them up again on the login's path.
 */
struct user {
	const struct passwd *pw;
	gid_t gids[CONFIG_USER_MAX_GROUPS];
	char *names[CONFIG_USER_MAX_GROUPS];
	size_t n;
};

static void user_free(struct user *u)
{
	for (size_t i = 0; i < u->n; i++)
		free(u->names[i]);
	u->n = 0;
}

/* "gid=", "home=" and one "group=GID:NAME" per group. */
static int put_ids(struct proto_msg *m, const struct user *u)
{
	char g[16 + CONFIG_GROUP_NAME_MAX];
	int r = proto_putu(m, "gid", u->pw->pw_gid) ?: proto_put(m, "home", u->pw->pw_dir);
	for (size_t i = 0; r == 0 && i < u->n; i++) {
		int n = snprintf(g, sizeof(g), "%u:%s", (unsigned)u->gids[i], u->names[i]);
		r = n > 0 && (size_t)n < sizeof(g) ? proto_put(m, "group", g) : -ENAMETOOLONG;
	}
	return r;
}

static int send_request(pam_handle_t *pamh, int sock, const struct user *u, const char *session,
			const struct args *a)
{
	const struct passwd *pw = u->pw;
	struct proto_msg m;
	const void *rhost = NULL, *service = NULL;
	pam_get_item(pamh, PAM_RHOST, &rhost);
	pam_get_item(pamh, PAM_SERVICE, &service);
	int r = proto_begin(&m, "open");
	if (r == 0)
		r = proto_put(&m, "session", session) ?: proto_put(&m, "user", pw->pw_name) ?:
		    proto_putu(&m, "uid", pw->pw_uid) ?: proto_putu(&m, "caller", (unsigned long long)getpid()) ?:
		    proto_put(&m, "config", a->config) ?: proto_put(&m, "rhost", rhost) ?:
		    proto_put(&m, "service", service) ?:
		    proto_put(&m, "auth_info", pam_getenv(pamh, "SSH_AUTH_INFO_0")) ?:
		    proto_put(&m, "debug", a->debug ? "1" : NULL) ?: proto_put(&m, "wait", a->wait ? "1" : NULL) ?:
		    put_ids(&m, u);
	if (r == 0)
		r = proto_send(sock, &m, NULL, 0);
	proto_free(&m);
	return r;
}

/*
 * Wait for "accepted" or, with the wait argument, "ready" (either's session
 * id, if any, into why); on "error" copy the keeper's sentence into why.
 * On "join" (share = user, the user has a copy) -EALREADY with its session
 * in why.
 */
static int wait_ready(int sock, unsigned long long timeout_s, char *why, size_t len)
{
	struct proto_msg m;
	int r = proto_recv(sock, &m, NULL, 0, NULL, (int)(timeout_s * 1000));
	if (r == 0 && strcmp(m.type, "join") == 0) {
		const char *s = proto_get(&m, "session");
		r = s && names_session_valid(s) ? -EALREADY : -EBADMSG;
		snprintf(why, len, "%s", r == -EALREADY ? s : "bad answer from its helper");
		proto_free(&m);
		return r;
	}
	if (r == -ETIMEDOUT) {
		snprintf(why, len, "it did not start within %llu s", timeout_s);
		return r;
	}
	if (r < 0) {
		snprintf(why, len, "its helper failed (%s)", strerror(-r));
		return r;
	}
	r = strcmp(m.type, "ready") == 0 || strcmp(m.type, "accepted") == 0 ? 0 : -EIO;
	if (r < 0)
		snprintf(why, len, "%s",
			 proto_get(&m, "msg") ? proto_get(&m, "msg") : "unknown error");
	/* A pooled copy keeps the session id it was made with: it is the session's now. */
	const char *s = r == 0 ? proto_get(&m, "session") : NULL;
	if (s && names_session_valid(s))
		snprintf(why, len, "%s", s);
	proto_free(&m);
	return r;
}

/*
 * Modules before us (pam_env with user_readenv) may have copied variables
 * from the user's own files into the environment the host program gives
 * the login shell. The shell is static, but drop what steers a dynamic
 * loader or libc anyway: nothing of the user's may run code on the host.
 */
static void scrub_env(pam_handle_t *pamh)
{
	static const char *const unsafe[] = { "LD_",          "GCONV_PATH=",     "LOCPATH=",
					      "NLSPATH=",     "GLIBC_TUNABLES=", "MALLOC_",
					      "HOSTALIASES=", "RES_OPTIONS=",    "LOCALDOMAIN=" };
	char **env = pam_getenvlist(pamh);
	for (char **e = env; e && *e; e++) {
		for (size_t i = 0; i < ELEMENTSOF(unsafe); i++) {
			if (strncmp(*e, unsafe[i], strlen(unsafe[i])) != 0)
				continue;
			char *eq = strchr(*e, '=');
			if (eq)
				*eq = '\0';
			pam_putenv(pamh, *e); /* a bare name removes it */
			break;
		}
	}
	for (char **e = env; e && *e; e++)
		free(*e);
	free(env);
}

static void free_data(pam_handle_t *pamh, void *data, int status)
{
	(void)pamh;
	(void)status;
	free(data);
}

/* The keeper is gone: have a one-shot keeper destroy what it left. */
static int run_destroy(const char *session)
{
	char *const argv[] = { (char *)"throwaway-keeper", (char *)"--destroy", (char *)session,
			       NULL };
	const struct spawn_opts o = { .path = KEEPER, .argv = argv };
	struct sigaction dfl = { .sa_handler = SIG_DFL }, old;
	pid_t pid;
	int st = 0;

	/* SIGCHLD at its default while we wait: the host program may ignore it
	 * (no child to wait for then) or reap any child from a handler. */
	sigaction(SIGCHLD, &dfl, &old);
	int r = spawn_start(&o, NULL, &pid);
	/* Bounded: a wedged helper must not hold the host program (sshd) forever. */
	if (r == 0)
		r = spawn_wait(pid, DESTROY_TIMEOUT_MS, &st);
	sigaction(SIGCHLD, &old, NULL);
	return r == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

/*
 * share = user: add this login to the user's copy SESSION. Its keeper may
 * still be starting it (no socket yet): wait for it, up to the deadline.
 */
static int join_session(pam_handle_t *pamh, const char *session, uint64_t deadline_ms)
{
	struct proto_msg m;
	const void *rhost = NULL;
	struct timespec tick = { .tv_nsec = 20 * 1000 * 1000 };
	int fd;
	pam_get_item(pamh, PAM_RHOST, &rhost);
	while ((fd = proto_connect_session(session)) == -ENOENT && util_now_ms() < deadline_ms)
		nanosleep(&tick, NULL);
	if (fd < 0)
		return fd;
	int r = proto_begin(&m, "join") ?: proto_putu(&m, "caller", (unsigned long long)getpid()) ?:
		proto_put(&m, "rhost", rhost);
	if (r == 0)
		r = proto_send(fd, &m, NULL, 0);
	proto_free(&m);
	uint64_t now = util_now_ms();
	if (r == 0)
		r = proto_recv(fd, &m, NULL, 0, NULL,
			       now < deadline_ms ? (int)(deadline_ms - now) : 1);
	if (r == 0) {
		r = strcmp(m.type, "ready") == 0 || strcmp(m.type, "accepted") == 0 ? 0 : -EIO;
		proto_free(&m);
	}
	close(fd);
	return r;
}

/*
 * A new copy from a new keeper; -EALREADY with the session to join in why.
 * On success session may have changed (a pooled copy's id).
 */
static int new_session(pam_handle_t *pamh, const struct user *u, const struct args *a,
		       const struct config *cfg, char *session, char *why, size_t len)
{
	_cleanup_close_ int sock = -EBADF;
	struct tw_err e = { 0 };
	int r = spawn_keeper(&e, &sock);
	if (r < 0) {
		tw_err_wrap(&e, "cannot start its helper");
		snprintf(why, len, "%s", e.msg);
		return r;
	}
	r = send_request(pamh, sock, u, session, a);
	if (r < 0) {
		snprintf(why, len, "cannot talk to its helper (%s)", strerror(-r));
		return r;
	}
	why[0] = '\0';
	r = wait_ready(sock, cfg->start_timeout, why, len);
	/* A keeper that died or hung half way cannot clean up: do it for it. */
	if (r < 0 && r != -EIO && r != -EALREADY)
		run_destroy(session);
	if (r == 0 && names_session_valid(why))
		memcpy(session, why, NAMES_SESSION_LEN + 1);
	return r;
}

static int start_session(pam_handle_t *pamh, const struct user *u, const struct args *a,
			 const struct config *cfg)
{
	const struct passwd *pw = u->pw;
	char session[NAMES_SESSION_LEN + 1], why[512], env[64];
	uint64_t deadline = util_now_ms() + cfg->start_timeout * 1000;

	int r = names_session_id(session);
	if (r < 0)
		return fail(pamh, pw->pw_name, "no random session id");
	/* A copy that ends while we join it: try again, a fresh one the second time. */
	for (int round = 0; round < 3; round++) {
		r = new_session(pamh, u, a, cfg, session, why, sizeof(why));
		if (r != -EALREADY)
			break;
		char shared[NAMES_SESSION_LEN + 1];
		r = util_strscpy(shared, sizeof(shared), why);
		if (r == 0)
			r = join_session(pamh, shared, deadline);
		if (r == 0) {
			memcpy(session, shared, sizeof(session));
			break;
		}
		snprintf(why, sizeof(why), "cannot join your running sandbox (%s)", strerror(-r));
	}
	if (r < 0)
		return fail(pamh, pw->pw_name, why);
	snprintf(env, sizeof(env), "THROWAWAY_SESSION=%s", session);
	char *copy = strdup(session);
	if (!copy || pam_set_data(pamh, DATA_SESSION, copy, free_data) != PAM_SUCCESS ||
	    pam_putenv(pamh, env) != PAM_SUCCESS) {
		free(copy);
		return fail(pamh, pw->pw_name, "out of memory");
	}
	if (a->debug)
		pam_syslog(pamh, LOG_DEBUG, "session %s %s for '%s'", session,
			   a->wait ? "ready" : "accepted", pw->pw_name);
	return PAM_SUCCESS;
}

PUBLIC int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct args a;
	struct passwd *pw;
	struct config cfg = { 0 };
	struct tw_err err = { 0 };
	int r;
	(void)flags;

	if (parse_args(pamh, argc, argv, &a) < 0) {
		pam_error(
			pamh,
			"throwaway: the sandbox service is misconfigured; please tell the administrator");
		return PAM_SERVICE_ERR;
	}
	if (get_user(pamh, &pw) < 0)
		return PAM_USER_UNKNOWN;
	if (!sandboxed(pw, &a))
		return PAM_IGNORE;
	scrub_env(pamh);
	struct user u = { .pw = pw };
	/* Every group or none: a group left out could be one whose section is stricter. */
	r = config_user_groups(pw->pw_name, pw->pw_gid, u.gids, u.names, CONFIG_USER_MAX_GROUPS);
	if (r < 0) {
		tw_err_set(&err, r, "you are %s", config_groups_error(r));
		return fail(pamh, pw->pw_name, err.msg);
	}
	u.n = (size_t)r;
	/* Resolved for this user: their sections may set start_timeout, even origin. */
	struct config_who who = { .user = pw->pw_name,
				  .groups = (const char *const *)u.names,
				  .n_groups = u.n };
	r = config_load_trusted(a.config, &who, &cfg, &err);
	if (r < 0) {
		user_free(&u);
		return fail(pamh, pw->pw_name, err.msg);
	}
	r = start_session(pamh, &u, &a, &cfg);
	config_free(&cfg);
	user_free(&u);
	return r;
}

PUBLIC int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct args a;
	const void *data = NULL;
	(void)flags;

	if (parse_args(pamh, argc, argv, &a) < 0)
		return PAM_SERVICE_ERR;
	if (pam_get_data(pamh, DATA_SESSION, &data) != PAM_SUCCESS || !data)
		return PAM_IGNORE; /* we opened nothing in this handle */
	const char *session = data;
	if (!names_session_valid(session))
		return PAM_IGNORE;
	int r = proto_close_session(session, NULL, getpid(), CLOSE_TIMEOUT_MS);
	if (r < 0) {
		if (a.debug)
			pam_syslog(pamh, LOG_DEBUG, "keeper of %s did not answer (%s), destroying",
				   session, strerror(-r));
		if (run_destroy(session) < 0) {
			pam_syslog(pamh, LOG_ERR, "cannot destroy the sandbox of session %s",
				   session);
			return PAM_SESSION_ERR;
		}
	}
	return PAM_SUCCESS;
}
