/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The keeper's event loop: serve the session's shells on its socket,
 * watch the PAM caller and the copy's init through pidfds, enforce the
 * session timeout, and tear the copy down when any of them ends it.
 * Peers are untrusted: each is checked with SO_PEERCRED, and everything it
 * sends is bounded and validated before it reaches an attached program.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
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
 * Closing a unix socket with unread data makes the peer's next read fail
 * with ECONNRESET, losing what we sent last ("end", "exit"): read it first.
 */
static void drain(int fd)
{
	char buf[512];
	for (int i = 0; i < 64; i++)
		if (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0)
			return;
}

static void close_client(struct keeper *k, size_t i)
{
	struct client *cl = &k->clients[i];
	/* The shell went away: its program goes too, like a hung-up login. */
	if (cl->pid > 0)
		kill(-cl->pid, SIGKILL);
	drain(cl->fd);
	close(cl->fd);
	k->clients[i] = k->clients[--k->n_clients];
}

static void send_error(int fd, const char *msg, const char *code)
{
	proto_send_simple(fd, "error", "msg", msg, "code", code);
}

/*
 * With a network, the banner shows the copy's addresses, as
 * lxc-start-ephemeral printed them: the first terminal waits for DHCP a
 * little, once; later ones ask again only if none came.
 */
static const char *addresses(struct keeper *k, bool pty)
{
	if (strcmp(k->cfg.network, "none") == 0 || !pty || !k->cfg.banner)
		return NULL;
	if (!k->addrs[0])
		copy_addresses(k->copy, k->addrs, sizeof(k->addrs), k->addrs_tried ? 0 : ADDR_WAIT_MS);
	k->addrs_tried = true;
	return k->addrs[0] ? k->addrs : NULL;
}

/* "started": the copy's name, the banner, and the terminal's master side. */
static void send_started(struct keeper *k, struct client *cl, int master)
{
	struct proto_msg m;
	int r = proto_begin(&m, "started");
	if (r == 0)
		r = proto_put(&m, "container", k->container) ?:
		    proto_put(&m, "banner", k->cfg.banner ? "1" : NULL) ?:
		    proto_put(&m, "keep", k->cfg.keep ? "1" : NULL) ?:
		    proto_put(&m, "addrs", addresses(k, master >= 0));
	/* When a session_timeout will end it: the wall-clock time, for the banner. */
	if (r == 0 && k->cfg.session_timeout)
		r = proto_putu(&m, "ends", (unsigned long long)k->entry.started + k->cfg.session_timeout);
	if (r == 0)
		proto_send(cl->fd, &m, master >= 0 ? &master : NULL, master >= 0 ? 1 : 0);
	proto_free(&m);
}

static void on_accept(struct keeper *k)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd = accept4(k->listenfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    (cred.uid != k->uid && cred.uid != 0) || k->n_clients >= KEEPER_MAX_CLIENTS) {
		close(fd);
		return;
	}
	k->clients[k->n_clients++] = (struct client){ .fd = fd, .uid = cred.uid };
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

static int build_env(struct keeper *k, const struct proto_msg *m, char **env, char *store, size_t max)
{
	size_t n = 0, off = 0;
	const char *base = k->cfg.shell;
	char line[PATH_MAX + 32];
	const char *fixed[] = { "HOME", k->home, "USER", k->user, "LOGNAME", k->user, "SHELL", base,
				"PATH", DEFAULT_PATH, "THROWAWAY_SESSION", k->session,
				"THROWAWAY_CONTAINER", k->container };

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
	if (strcmp(base_name(prog), "sftp-server") != 0 || copy_path_exists(k->copy, prog))
		return 0;
	snprintf(why, len, "this sandbox has no sftp server: %.128s is missing from the origin '%s'",
		 prog, k->cfg.origin);
	return -ENOPKG;
}

/* argv for the configured shell: "sh -c CMD", or "-sh" for a login shell. */
static int build_argv(const struct keeper *k, const struct proto_msg *m, char **argv,
		      char *login, size_t len)
{
	const char *mode = proto_get(m, "mode");
	const char *cmd = proto_get(m, "cmd");

	if (mode && strcmp(mode, "cmd") == 0 && cmd) {
		argv[0] = (char *)base_name(k->cfg.shell);
		argv[1] = (char *)"-c";
		argv[2] = (char *)cmd;
	} else if (mode && strcmp(mode, "login") == 0) {
		snprintf(login, len, "-%s", base_name(k->cfg.shell));
		argv[0] = login;
	} else {
		return -EBADMSG;
	}
	return 0;
}

static int run_program(struct keeper *k, struct client *cl, const struct proto_msg *m, int *fds,
		       int *ret_master, char *why, size_t len)
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
	if (pty && (proto_getu(m, "rows", 4096, &rows) < 0 || proto_getu(m, "cols", 4096, &cols) < 0))
		return -EBADMSG;
	struct copy_exec x = { .uid = k->uid, .gid = k->gid, .groups = k->groups,
			      .n_groups = k->n_groups, .cwd = k->home, .path = k->cfg.shell,
			      .argv = argv, .envp = env, .fds = { fds[0], fds[1], fds[2] },
			      .pty = pty, .rows = (unsigned short)rows, .cols = (unsigned short)cols };
	return copy_enter(k->copy, &x, &cl->pid, ret_master);
}

/*
 * The first program's entry, made ready now: the copy is ready before an
 * ssh client has asked for its channel. If it cannot be, the first program
 * enters as every other one.
 */
void keeper_make_spare(struct keeper *k)
{
	struct copy_exec who = { .uid = k->uid, .gid = k->gid, .groups = k->groups,
				 .n_groups = k->n_groups };
	copy_enter_ahead(k->copy, &who);
}

static void on_run(struct keeper *k, size_t i, const struct proto_msg *m, int *fds, size_t n_fds)
{
	struct client *cl = &k->clients[i];
	char why[256] = "";
	int r = -EBADMSG, master = -EBADF;

	if (cl->uid == k->uid && cl->pid == 0 && n_fds == 3)
		r = run_program(k, cl, m, fds, &master, why, sizeof(why));
	if (r < 0) {
		if (!why[0])
			snprintf(why, sizeof(why), "cannot run the program in your sandbox (%s)", strerror(-r));
		log_event(LOG_WARNING, "error", "session", k->session, "user", k->user, "container",
			  k->container, "reason", why, NULL);
		send_error(cl->fd, why, r == -ENOPKG ? "no-sftp" : NULL);
		close_client(k, i);
		return;
	}
	cl->pty = master >= 0;
	k->last_activity_ms = util_now_ms();
	log_event(LOG_INFO, "enter", "session", k->session, "user", k->user, "container",
		  k->container, "mode", proto_get(m, "mode"), "pty", master >= 0 ? "yes" : "no", NULL);
	send_started(k, cl, master);
	if (master >= 0)
		close(master);
}

static void on_signal_request(struct keeper *k, struct client *cl, const struct proto_msg *m)
{
	static const int allowed[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGWINCH, SIGCONT };
	unsigned long long sig;
	if (cl->pid <= 0 || proto_getu(m, "sig", 64, &sig) < 0)
		return;
	for (size_t i = 0; i < ELEMENTSOF(allowed); i++)
		if ((int)sig == allowed[i])
			kill(-cl->pid, (int)sig);
	(void)k;
}

/* A login of this copy ended: the copy goes with the last one. */
static void drop_caller(struct keeper *k, size_t i)
{
	char n[16];
	close(k->callers[i].fd);
	k->callers[i] = k->callers[--k->n_callers];
	if (k->n_callers == 0)
		return;
	k->entry.logins = (unsigned)k->n_callers;
	ledger_write(TW_RUNDIR, &k->entry);
	snprintf(n, sizeof(n), "%zu", k->n_callers);
	log_event(LOG_INFO, "leave", "session", k->session, "user", k->user, "container",
		  k->container, "logins", n, NULL);
}

static void caller_gone(struct keeper *k, size_t i)
{
	drop_caller(k, i);
	if (k->n_callers == 0)
		k->end_reason = "caller-gone";
}

/* share = user: root (the PAM module of another login) adds its login process. */
static void on_join(struct keeper *k, struct client *cl, const struct proto_msg *m)
{
	unsigned long long pid;
	char n[16];
	int fd = -EBADF;
	if (cl->uid != 0 || k->cfg.share != SHARE_USER || k->n_callers >= KEEPER_MAX_CALLERS ||
	    proto_getu(m, "caller", INT32_MAX, &pid) < 0 || (fd = util_pidfd_open((pid_t)pid)) < 0) {
		send_error(cl->fd, "cannot join this sandbox", NULL);
		return;
	}
	k->callers[k->n_callers++] = (struct caller){ .pid = (pid_t)pid, .fd = fd };
	k->entry.logins = (unsigned)k->n_callers;
	ledger_write(TW_RUNDIR, &k->entry);
	snprintf(n, sizeof(n), "%zu", k->n_callers);
	log_event(LOG_INFO, "join", "session", k->session, "user", k->user, "rhost",
		  proto_get(m, "rhost"), "container", k->container, "logins", n, NULL);
	proto_send_pair(cl->fd, "ready", "container", k->container);
}

/*
 * root's "close": an admin's ends the session; a login's ends it when it
 * is the last login of the copy, else only that login leaves.
 */
static void on_close(struct keeper *k, struct client *cl, const struct proto_msg *m)
{
	const char *reason = proto_get(m, "reason");
	unsigned long long pid;
	if (cl->uid != 0)
		return;
	bool admin = reason && strcmp(reason, "admin") == 0;
	if (!admin && k->n_callers > 1 && proto_getu(m, "caller", INT32_MAX, &pid) == 0) {
		for (size_t i = 0; i < k->n_callers; i++)
			if (k->callers[i].pid == (pid_t)pid) {
				drop_caller(k, i);
				proto_send_pair(cl->fd, "closed", "reason", "left");
				return;
			}
	}
	cl->closer = true;
	k->end_reason = admin ? "admin" : "logout";
}

static void on_client(struct keeper *k, size_t i)
{
	struct client *cl = &k->clients[i];
	struct proto_msg m;
	int fds[PROTO_MAX_FDS];
	size_t n_fds = 0;

	int r = proto_recv(cl->fd, &m, fds, PROTO_MAX_FDS, &n_fds, 0);
	if (r < 0) {
		close_client(k, i);
		return;
	}
	if (strcmp(m.type, "run") == 0)
		on_run(k, i, &m, fds, n_fds);
	else if (strcmp(m.type, "signal") == 0)
		on_signal_request(k, cl, &m);
	else if (strcmp(m.type, "activity") == 0 && cl->uid == k->uid) {
		k->last_activity_ms = util_now_ms();
		k->warned_idle = false;
	}
	else if (strcmp(m.type, "close") == 0)
		on_close(k, cl, &m);
	else if (strcmp(m.type, "join") == 0)
		on_join(k, cl, &m);
	/* The program got its own copies: ours are not needed any more. */
	for (size_t f = 0; f < n_fds; f++)
		close(fds[f]);
	proto_free(&m);
}

/*
 * When the copy's init exits, the kernel kills every process in the copy
 * before init's pidfd reports: a program killed by SIGKILL may be the first
 * sign. Wait a moment for init, so the user hears that the copy stopped.
 */
static bool copy_stopping(struct keeper *k, int status)
{
	struct pollfd p = { .fd = copy_stopped_fd(k->copy), .events = POLLIN };
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
		return false;
	if (poll(&p, 1, 200) <= 0)
		return false;
	k->end_reason = "copy-stopped";
	return true;
}

static void report_exit(struct keeper *k, pid_t pid, int status)
{
	char v[16];
	for (size_t i = 0; i < k->n_clients; i++) {
		struct client *cl = &k->clients[i];
		if (cl->pid != pid)
			continue;
		/* Only a client's program may be the first sign of a stopped
		 * copy; another child (a spare killed unused) is just reaped. */
		if (k->end_reason || copy_stopping(k, status))
			return; /* teardown tells every client why */
		cl->pid = 0;
		if (WIFSIGNALED(status)) {
			snprintf(v, sizeof(v), "%d", WTERMSIG(status));
			proto_send_pair(cl->fd, "exit", "signal", v);
		} else {
			snprintf(v, sizeof(v), "%d", WEXITSTATUS(status));
			proto_send_pair(cl->fd, "exit", "status", v);
		}
		close_client(k, i);
		return;
	}
}

static void on_signal(struct keeper *k)
{
	struct signalfd_siginfo si;
	while (read(k->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo != SIGCHLD)
			k->end_reason = "killed";
	}
	for (;;) {
		int st;
		pid_t pid = waitpid(-1, &st, WNOHANG);
		if (pid <= 0)
			break;
		report_exit(k, pid, st);
	}
}

static int setup_signals(struct keeper *k)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGPIPE);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	sigdelset(&set, SIGPIPE);
	k->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return k->sigfd < 0 ? -errno : 0;
}

/* A once-a-second tick while a timeout is set: cheap, and no deadline to re-arm. */
static int setup_timer(struct keeper *k)
{
	k->timerfd = -EBADF;
	k->last_activity_ms = util_now_ms();
	if (k->cfg.session_timeout == 0 && k->cfg.idle_timeout == 0)
		return 0;
	k->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (k->timerfd < 0)
		return -errno;
	struct itimerspec its = { .it_value = { .tv_sec = 1 }, .it_interval = { .tv_sec = 1 } };
	return timerfd_settime(k->timerfd, 0, &its, NULL) < 0 ? -errno : 0;
}

/* Tell every terminal of the session that it ends soon. */
static void warn_clients(struct keeper *k, uint64_t left_ms, const char *why)
{
	char msg[128];
	snprintf(msg, sizeof(msg), "this session ends in %llu s (%s)",
		 (unsigned long long)((left_ms + 999) / 1000), why);
	for (size_t i = 0; i < k->n_clients; i++)
		if (k->clients[i].pid > 0)
			proto_send_pair(k->clients[i].fd, "warn", "msg", msg);
}

/* How long before a timeout the user is warned: 60 s, or half a short one. */
static uint64_t warn_ms(uint64_t timeout_s)
{
	return (timeout_s >= 120 ? 60 : timeout_s / 2) * 1000;
}

static bool has_plain_program(const struct keeper *k)
{
	for (size_t i = 0; i < k->n_clients; i++)
		if (k->clients[i].pid > 0 && !k->clients[i].pty)
			return true;
	return false;
}

static void on_tick(struct keeper *k)
{
	uint64_t ticks, now = util_now_ms();
	if (read(k->timerfd, &ticks, sizeof(ticks)) < 0) {
		/* nothing to read: spurious wakeup */
	}
	if (k->cfg.session_timeout) {
		uint64_t end = k->t0_ms + k->cfg.session_timeout * 1000;
		if (now >= end)
			k->end_reason = "timeout";
		else if (!k->warned_timeout && now + warn_ms(k->cfg.session_timeout) >= end) {
			warn_clients(k, end - now, "session timeout");
			k->warned_timeout = true;
		}
	}
	if (!k->cfg.idle_timeout || k->end_reason)
		return;
	/* A program without a terminal does I/O we cannot see: it counts as activity. */
	if (has_plain_program(k))
		k->last_activity_ms = now;
	uint64_t end = k->last_activity_ms + k->cfg.idle_timeout * 1000;
	if (now >= end)
		k->end_reason = "idle";
	else if (!k->warned_idle && now + warn_ms(k->cfg.idle_timeout) >= end) {
		warn_clients(k, end - now, "idle");
		k->warned_idle = true;
	}
}

enum { P_SIG, P_INIT, P_LISTEN, P_TIMER, P_CALLERS };

/* The callers' pidfds, then the clients' sockets, into p; how many. */
static size_t poll_peers(const struct keeper *k, struct pollfd *p)
{
	size_t n = 0;
	for (size_t i = 0; i < k->n_callers; i++)
		p[n++] = (struct pollfd){ .fd = k->callers[i].fd, .events = POLLIN };
	for (size_t i = 0; i < k->n_clients; i++)
		p[n++] = (struct pollfd){ .fd = k->clients[i].fd, .events = POLLIN };
	return n;
}

#define HOUSEKEEPING_QUIET_MS 50

int keeper_loop(struct keeper *k)
{
	struct pollfd p[P_CALLERS + KEEPER_MAX_CALLERS + KEEPER_MAX_CLIENTS];
	int r = setup_signals(k);
	if (r < 0 || (r = setup_timer(k)) < 0)
		return r;
	keeper_make_spare(k);
	while (!k->end_reason) {
		p[P_SIG] = (struct pollfd){ .fd = k->sigfd, .events = POLLIN };
		p[P_INIT] = (struct pollfd){ .fd = copy_stopped_fd(k->copy), .events = POLLIN };
		p[P_LISTEN] = (struct pollfd){ .fd = k->listenfd, .events = POLLIN };
		p[P_TIMER] = (struct pollfd){ .fd = k->timerfd, .events = POLLIN };
		size_t n_callers = k->n_callers, n_clients = k->n_clients;
		struct pollfd *pc = p + P_CALLERS, *pk = pc + n_callers;
		/* Housekeeping waits for a quiet moment: the first programs come first. */
		int n = poll(p, P_CALLERS + poll_peers(k, pc), k->housekept ? -1 : HOUSEKEEPING_QUIET_MS);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0) {
			keeper_housekeeping(k);
			continue;
		}
		if (p[P_SIG].revents)
			on_signal(k);
		if (p[P_INIT].revents)
			k->end_reason = "copy-stopped";
		if (p[P_TIMER].revents)
			on_tick(k);
		/* Backwards: removing moves the last one into slot i. */
		for (size_t i = n_callers; i-- > 0;)
			if (i < k->n_callers && pc[i].revents)
				caller_gone(k, i);
		for (size_t i = n_clients; i-- > 0;)
			if (i < k->n_clients && pk[i].revents)
				on_client(k, i);
		if (p[P_LISTEN].revents)
			on_accept(k);
	}
	return 0;
}

void keeper_teardown(struct keeper *k)
{
	char ms[32];
	/* The copy dies while the end is logged and recorded. */
	copy_kill(k->copy);
	snprintf(ms, sizeof(ms), "%llu", (unsigned long long)(util_now_ms() - k->t0_ms));
	log_event(LOG_INFO, "close", "session", k->session, "user", k->user, "rhost", k->rhost,
		  "container", k->container, "ms", ms, "reason", k->end_reason, NULL);
	strcpy(k->entry.state, "stopping");
	ledger_write(TW_RUNDIR, &k->entry);
	unlink(k->sockpath);
	k->sockpath[0] = '\0';
	int r = copy_stop(k->copy);
	if (r < 0)
		log_event(LOG_ERR, "error", "session", k->session, "container", k->container,
			  "reason", "stopping the copy failed", NULL);
	copy_free(k->copy);
	k->copy = NULL;
	ledger_remove(TW_RUNDIR, k->session);
	for (size_t i = k->n_clients; i-- > 0;) {
		struct client *cl = &k->clients[i];
		if (cl->closer)
			proto_send_pair(cl->fd, "closed", "reason", k->end_reason);
		else
			proto_send_pair(cl->fd, "end", "reason", k->end_reason);
		cl->pid = 0;
		close_client(k, i);
	}
}

#define FAILURE_LINGER_MS 30000

/* One message in the failure loop: a shell hears why; root's close ends it. */
static bool on_failed_client(struct keeper *k, size_t i, const char *msg)
{
	struct client *cl = &k->clients[i];
	struct proto_msg m;
	int fds[PROTO_MAX_FDS];
	size_t n_fds = 0;
	bool done = false;

	if (proto_recv(cl->fd, &m, fds, PROTO_MAX_FDS, &n_fds, 0) < 0) {
		close_client(k, i);
		return false;
	}
	for (size_t f = 0; f < n_fds; f++)
		close(fds[f]);
	if (strcmp(m.type, "close") == 0 && cl->uid == 0) {
		proto_send_pair(cl->fd, "closed", "reason", "failed");
		done = true;
	} else if (strcmp(m.type, "run") == 0 || strcmp(m.type, "join") == 0) {
		send_error(cl->fd, msg, NULL);
	}
	proto_free(&m);
	close_client(k, i);
	return done;
}

/*
 * The copy failed after the login went on (the module returned at
 * "accepted"): the login's shell is on its way, and hears why instead of
 * getting a program. Ends when the login closes or its process goes, or
 * after FAILURE_LINGER_MS.
 */
void keeper_serve_failure(struct keeper *k, const char *why)
{
	char msg[KEEPER_ERR_MAX + 64];
	struct pollfd p[1 + KEEPER_MAX_CALLERS + KEEPER_MAX_CLIENTS];
	uint64_t end = util_now_ms() + FAILURE_LINGER_MS, now;
	bool done = false;

	snprintf(msg, sizeof(msg), "cannot create your sandbox: %s", why);
	while (!done && (now = util_now_ms()) < end) {
		size_t n_callers = k->n_callers, n_clients = k->n_clients;
		p[0] = (struct pollfd){ .fd = k->listenfd, .events = POLLIN };
		int n = poll(p, 1 + poll_peers(k, p + 1), (int)(end - now));
		if (n < 0 && errno != EINTR)
			break;
		for (size_t i = 0; n > 0 && i < n_callers; i++)
			done = done || p[1 + i].revents;
		for (size_t i = n_clients; n > 0 && i-- > 0;)
			if (p[1 + n_callers + i].revents)
				done = on_failed_client(k, i, msg) || done;
		if (n > 0 && p[0].revents)
			on_accept(k);
	}
	while (k->n_clients > 0)
		close_client(k, k->n_clients - 1);
}
