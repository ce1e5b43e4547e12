/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The "run" request: the program a shell asks for, run inside the copy as
 * the user with the environment DESIGN.md names, and the first program's
 * entry made ready ahead of it. What the shell sends is untrusted: each
 * environment hint is checked, and the program is the configured shell.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include "cleanup.h"
#include "copy.h"
#include "keeper.h"
#include "log.h"
#include "proto.h"
#include "util.h"

#define ENV_MAX 32
#define ADDR_WAIT_MS 3000
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/*
 * With a network, the banner shows the copy's addresses, as
 * lxc-start-ephemeral printed them. Its IPv4 address is set before the
 * copy runs; the first terminal still waits a little, once, for one to
 * show (a router's IPv6 ones come later); later ones ask again only if
 * none came.
 */
static const char *addresses(struct keeper *k, bool pty)
{
	if (strcmp(k->s.cfg.network, "none") == 0 || !pty || !k->s.cfg.banner)
		return NULL;
	if (!k->s.addrs[0])
		copy_addresses(k->s.copy, k->s.addrs, sizeof(k->s.addrs),
			       k->s.addrs_tried ? 0 : ADDR_WAIT_MS);
	k->s.addrs_tried = true;
	return k->s.addrs[0] ? k->s.addrs : NULL;
}

/* "started": the copy's name, the banner, and the terminal's master side. */
static void send_started(struct keeper *k, struct client *cl, int master)
{
	struct proto_msg m;
	int r = proto_begin(&m, "started");
	if (r == 0)
		r = proto_put(&m, "container", k->s.container) ?:
		    proto_put(&m, "banner", k->s.cfg.banner ? "1" : NULL) ?:
		    proto_put(&m, "keep", k->s.cfg.keep ? "1" : NULL) ?:
		    proto_put(&m, "addrs", addresses(k, master >= 0));
	/* When a session_timeout will end it: the wall-clock time, for the banner. */
	if (r == 0 && k->s.cfg.session_timeout)
		r = proto_putu(&m, "ends",
			       (unsigned long long)k->s.entry.started + k->s.cfg.session_timeout);
	if (r == 0)
		proto_send(cl->fd, &m, master >= 0 ? &master : NULL, master >= 0 ? 1 : 0);
	proto_free(&m);
}

/* TERM: at most 64 of [A-Za-z0-9._+-]; LANG/LC_*: at most 64 of [A-Za-z0-9._@-]. */
static bool env_hint_ok(const char *kv)
{
	static const struct {
		const char *prefix, *chars;
	} rules[] = {
		{ "TERM=", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._+-" },
		{ "LANG=", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._@-" },
		{ "LC_", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._@-" },
		{ "SSH_CONNECTION=", "0123456789abcdefABCDEF.: " },
		{ "SSH_CLIENT=", "0123456789abcdefABCDEF.: " },
	};
	for (size_t i = 0; i < ELEMENTSOF(rules); i++) {
		size_t pl = strlen(rules[i].prefix);
		if (strncmp(kv, rules[i].prefix, pl) != 0)
			continue;
		const char *v = kv + pl;
		if (pl == 3) { /* LC_NAME=: the name is upper case letters */
			size_t nl = strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
			if (nl == 0 || nl > 16 || v[nl] != '=')
				return false;
			v += nl + 1;
		}
		return *v && strlen(v) <= 64 && strspn(v, rules[i].chars) == strlen(v);
	}
	return false;
}

static int build_env(struct keeper *k, const struct proto_msg *m, char **env, char *store,
		     size_t max)
{
	size_t n = 0, off = 0;
	const char *base = k->s.cfg.shell;
	char line[PATH_MAX + 32];
	const char *fixed[] = { "HOME",
				k->req.home,
				"USER",
				k->req.user,
				"LOGNAME",
				k->req.user,
				"SHELL",
				base,
				"PATH",
				DEFAULT_PATH,
				"THROWAWAY_SESSION",
				k->req.session,
				"THROWAWAY_CONTAINER",
				k->s.container };

	for (size_t i = 0; i + 1 < ELEMENTSOF(fixed); i += 2) {
		int len = snprintf(line, sizeof(line), "%s=%s", fixed[i], fixed[i + 1]);
		if (len < 0 || off + (size_t)len + 1 > max)
			return -E2BIG;
		env[n++] = memcpy(store + off, line, (size_t)len + 1);
		off += (size_t)len + 1;
	}
	for (size_t i = 0; i < m->n && n + 1 < ENV_MAX; i++) {
		if (strcmp(m->keys[i], "env") != 0 || !env_hint_ok(m->vals[i]))
			continue;
		env[n++] = (char *)m->vals[i];
	}
	env[n] = NULL;
	return 0;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/*
 * sshd runs "throwaway-shell -c /usr/lib/openssh/sftp-server" for sftp and
 * scp; an origin without one would only say "not found". Say what is wrong.
 */
static int check_sftp(struct keeper *k, const char *cmd, char *why, size_t len)
{
	char prog[PATH_MAX];
	size_t n = strcspn(cmd, " \t");
	if (n == 0 || n >= sizeof(prog) || cmd[0] != '/')
		return 0;
	memcpy(prog, cmd, n);
	prog[n] = '\0';
	if (strcmp(base_name(prog), "sftp-server") != 0 || copy_path_exists(k->s.copy, prog))
		return 0;
	snprintf(why, len,
		 "this sandbox has no sftp server: %.128s is missing from the origin '%s'", prog,
		 k->s.cfg.origin);
	return -ENOPKG;
}

/* argv for the configured shell: "sh -c CMD", or "-sh" for a login shell. */
static int build_argv(const struct keeper *k, const struct proto_msg *m, char **argv, char *login,
		      size_t len)
{
	const char *mode = proto_get(m, "mode");
	const char *cmd = proto_get(m, "cmd");

	if (mode && strcmp(mode, "cmd") == 0 && cmd) {
		argv[0] = (char *)base_name(k->s.cfg.shell);
		argv[1] = (char *)"-c";
		argv[2] = (char *)cmd;
	} else if (mode && strcmp(mode, "login") == 0) {
		snprintf(login, len, "-%s", base_name(k->s.cfg.shell));
		argv[0] = login;
	} else {
		return -EBADMSG;
	}
	return 0;
}

static int run_program(struct keeper *k, struct client *cl, const struct proto_msg *m,
		       const int *fds, int *ret_master, char *why, size_t len)
{
	unsigned long long rows = 0, cols = 0;
	char *env[ENV_MAX + 1], store[8192], login[PATH_MAX + 2];
	char *argv[4] = { NULL };
	int r = build_argv(k, m, argv, login, sizeof(login));
	if (r < 0)
		return r;
	if (argv[2] && (r = check_sftp(k, argv[2], why, len)) < 0)
		return r;
	if ((r = build_env(k, m, env, store, sizeof(store))) < 0)
		return r;
	bool pty = proto_get(m, "pty") != NULL;
	if (pty && (proto_getu(m, "rows", PROTO_MAX_WINSIZE, &rows) < 0 ||
		    proto_getu(m, "cols", PROTO_MAX_WINSIZE, &cols) < 0))
		return -EBADMSG;
	char typed[PROTO_MAX_TYPED];
	const char *hex = pty ? proto_get(m, "typed") : NULL;
	ssize_t n_typed = hex ? util_unhex(hex, typed, sizeof(typed)) : 0;
	if (n_typed < 0)
		return -EBADMSG;
	struct copy_exec x = { .uid = k->req.uid,
			       .gid = k->req.gid,
			       .groups = k->req.groups,
			       .n_groups = k->req.n_groups,
			       .cwd = k->req.home,
			       .path = k->s.cfg.shell,
			       .argv = argv,
			       .envp = env,
			       .fds = { fds[0], fds[1], fds[2] },
			       .pty = pty,
			       .rows = (unsigned short)rows,
			       .cols = (unsigned short)cols,
			       .typed = typed,
			       .n_typed = (size_t)n_typed };
	return copy_enter(k->s.copy, &x, &cl->pid, ret_master);
}

/*
 * The first program's entry, made ready now: the copy is ready before an
 * ssh client has asked for its channel. If it cannot be, the first program
 * enters as every other one.
 */
void keeper_make_spare(struct keeper *k)
{
	struct copy_exec who = { .uid = k->req.uid,
				 .gid = k->req.gid,
				 .groups = k->req.groups,
				 .n_groups = k->req.n_groups };
	copy_enter_ahead(k->s.copy, &who);
}

void keeper_request_run(struct keeper *k, size_t i, const struct proto_msg *m, const int *fds,
			size_t n_fds)
{
	struct client *cl = &k->cl.c[i];
	char why[256] = "";
	int r = -EBADMSG, master = -EBADF;

	/* One program per connection, with its three fds. */
	if (cl->pid == 0 && n_fds == 3)
		r = run_program(k, cl, m, fds, &master, why, sizeof(why));
	if (r < 0) {
		if (!why[0])
			snprintf(why, sizeof(why), "cannot run the program in your sandbox (%s)",
				 strerror(-r));
		log_event(LOG_WARNING, "error", "session", k->req.session, "user", k->req.user,
			  "container", k->s.container, "reason", why, NULL);
		keeper_client_error(cl->fd, why, r == -ENOPKG ? "no-sftp" : NULL);
		keeper_client_close(k, i);
		return;
	}
	cl->pty = master >= 0;
	k->s.last_activity_ms = util_now_ms();
	log_event(LOG_INFO, "enter", "session", k->req.session, "user", k->req.user, "container",
		  k->s.container, "mode", proto_get(m, "mode"), "pty", master >= 0 ? "yes" : "no",
		  NULL);
	send_started(k, cl, master);
	if (master >= 0)
		close(master);
	/* A program that starts after the session's warning hears it too. */
	if (k->s.warned_timeout) {
		uint64_t end = k->s.t0_ms + k->s.cfg.session_timeout * 1000, now = util_now_ms();
		keeper_client_warn(cl->fd, end > now ? end - now : 0, "session timeout");
	}
}
