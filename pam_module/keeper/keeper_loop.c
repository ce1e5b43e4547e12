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
	struct client *cl = &k->cl.c[i];
	/* The shell went away: its program goes too, like a hung-up login. */
	if (cl->pid > 0)
		kill(-cl->pid, SIGKILL);
	drain(cl->fd);
	close(cl->fd);
	k->cl.c[i] = k->cl.c[--k->cl.n];
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
	if (strcmp(k->s.cfg.network, "none") == 0 || !pty || !k->s.cfg.banner)
		return NULL;
	if (!k->s.addrs[0])
		copy_addresses(k->s.copy, k->s.addrs, sizeof(k->s.addrs), k->s.addrs_tried ? 0 : ADDR_WAIT_MS);
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
		r = proto_putu(&m, "ends", (unsigned long long)k->s.entry.started + k->s.cfg.session_timeout);
	if (r == 0)
		proto_send(cl->fd, &m, master >= 0 ? &master : NULL, master >= 0 ? 1 : 0);
	proto_free(&m);
}

static void on_accept(struct keeper *k)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd = accept4(k->s.listenfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    (cred.uid != k->req.uid && cred.uid != 0) || k->cl.n >= KEEPER_MAX_CLIENTS) {
		close(fd);
		return;
	}
	k->cl.c[k->cl.n++] = (struct client){ .fd = fd, .uid = cred.uid };
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
	const char *base = k->s.cfg.shell;
	char line[PATH_MAX + 32];
	const char *fixed[] = { "HOME", k->req.home, "USER", k->req.user, "LOGNAME", k->req.user, "SHELL", base,
				"PATH", DEFAULT_PATH, "THROWAWAY_SESSION", k->req.session,
				"THROWAWAY_CONTAINER", k->s.container };

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
	snprintf(why, len, "this sandbox has no sftp server: %.128s is missing from the origin '%s'",
		 prog, k->s.cfg.origin);
	return -ENOPKG;
}

/* argv for the configured shell: "sh -c CMD", or "-sh" for a login shell. */
static int build_argv(const struct keeper *k, const struct proto_msg *m, char **argv,
		      char *login, size_t len)
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

static int run_program(struct keeper *k, struct client *cl, const struct proto_msg *m, const int *fds,
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
	struct copy_exec x = { .uid = k->req.uid, .gid = k->req.gid, .groups = k->req.groups,
			      .n_groups = k->req.n_groups, .cwd = k->req.home, .path = k->s.cfg.shell,
			      .argv = argv, .envp = env, .fds = { fds[0], fds[1], fds[2] },
			      .pty = pty, .rows = (unsigned short)rows, .cols = (unsigned short)cols };
	return copy_enter(k->s.copy, &x, &cl->pid, ret_master);
}

/*
 * The first program's entry, made ready now: the copy is ready before an
 * ssh client has asked for its channel. If it cannot be, the first program
 * enters as every other one.
 */
void keeper_make_spare(struct keeper *k)
{
	struct copy_exec who = { .uid = k->req.uid, .gid = k->req.gid, .groups = k->req.groups,
				 .n_groups = k->req.n_groups };
	copy_enter_ahead(k->s.copy, &who);
}

static void on_run(struct keeper *k, size_t i, const struct proto_msg *m, const int *fds,
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
			snprintf(why, sizeof(why), "cannot run the program in your sandbox (%s)", strerror(-r));
		log_event(LOG_WARNING, "error", "session", k->req.session, "user", k->req.user, "container",
			  k->s.container, "reason", why, NULL);
		send_error(cl->fd, why, r == -ENOPKG ? "no-sftp" : NULL);
		close_client(k, i);
		return;
	}
	cl->pty = master >= 0;
	k->s.last_activity_ms = util_now_ms();
	log_event(LOG_INFO, "enter", "session", k->req.session, "user", k->req.user, "container",
		  k->s.container, "mode", proto_get(m, "mode"), "pty", master >= 0 ? "yes" : "no", NULL);
	send_started(k, cl, master);
	if (master >= 0)
		close(master);
}

static void on_signal_request(struct keeper *k, size_t i, const struct proto_msg *m,
			      const int *fds, size_t n_fds)
{
	const struct client *cl = &k->cl.c[i];
	(void)fds, (void)n_fds;
	static const int allowed[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGWINCH, SIGCONT };
	unsigned long long sig;
	if (cl->pid <= 0 || proto_getu(m, "sig", 64, &sig) < 0)
		return;
	for (size_t a = 0; a < ELEMENTSOF(allowed); a++)
		if ((int)sig == allowed[a])
			kill(-cl->pid, (int)sig);
}

/* Terminal I/O a shell saw: the session is not idle. */
static void on_activity(struct keeper *k, size_t i, const struct proto_msg *m, const int *fds,
			size_t n_fds)
{
	(void)i, (void)m, (void)fds, (void)n_fds;
	k->s.last_activity_ms = util_now_ms();
	k->s.warned_idle = false;
}

/* A login of this copy ended: the copy goes with the last one. */
static void drop_caller(struct keeper *k, size_t i)
{
	char n[16];
	close(k->s.callers[i].fd);
	k->s.callers[i] = k->s.callers[--k->s.n_callers];
	if (k->s.n_callers == 0)
		return;
	k->s.entry.logins = (unsigned)k->s.n_callers;
	ledger_write(TW_RUNDIR, &k->s.entry);
	snprintf(n, sizeof(n), "%zu", k->s.n_callers);
	log_event(LOG_INFO, "leave", "session", k->req.session, "user", k->req.user, "container",
		  k->s.container, "logins", n, NULL);
}

static void caller_gone(struct keeper *k, size_t i)
{
	drop_caller(k, i);
	if (k->s.n_callers == 0)
		k->s.end_reason = "caller-gone";
}

/* share = user: root (the PAM module of another login) adds its login process. */
static void on_join(struct keeper *k, size_t i, const struct proto_msg *m, const int *fds,
		    size_t n_fds)
{
	const struct client *cl = &k->cl.c[i];
	unsigned long long pid;
	char n[16];
	int fd = -EBADF;
	(void)fds, (void)n_fds;
	if (k->s.cfg.share != SHARE_USER || k->s.n_callers >= KEEPER_MAX_CALLERS ||
	    proto_getu(m, "caller", INT32_MAX, &pid) < 0 || (fd = util_pidfd_open((pid_t)pid)) < 0) {
		send_error(cl->fd, "cannot join this sandbox", NULL);
		return;
	}
	k->s.callers[k->s.n_callers++] = (struct caller){ .pid = (pid_t)pid, .fd = fd };
	k->s.entry.logins = (unsigned)k->s.n_callers;
	ledger_write(TW_RUNDIR, &k->s.entry);
	snprintf(n, sizeof(n), "%zu", k->s.n_callers);
	log_event(LOG_INFO, "join", "session", k->req.session, "user", k->req.user, "rhost",
		  proto_get(m, "rhost"), "container", k->s.container, "logins", n, NULL);
	proto_send_pair(cl->fd, "ready", "container", k->s.container);
}

/*
 * root's "close": an admin's ends the session; a login's ends it when it
 * is the last login of the copy, else only that login leaves.
 */
static void on_close(struct keeper *k, size_t i, const struct proto_msg *m, const int *fds,
		     size_t n_fds)
{
	struct client *cl = &k->cl.c[i];
	const char *reason = proto_get(m, "reason");
	unsigned long long pid;
	(void)fds, (void)n_fds;
	bool admin = reason && strcmp(reason, "admin") == 0;
	if (!admin && k->s.n_callers > 1 && proto_getu(m, "caller", INT32_MAX, &pid) == 0) {
		for (size_t c = 0; c < k->s.n_callers; c++)
			if (k->s.callers[c].pid == (pid_t)pid) {
				drop_caller(k, c);
				proto_send_pair(cl->fd, "closed", "reason", "left");
				return;
			}
	}
	cl->closer = true;
	k->s.end_reason = admin ? "admin" : "logout";
}

/* Who may send a request: the session's user (its shells), root (the PAM module, throwawayctl). */
enum { FROM_USER = 1 << 0, FROM_ROOT = 1 << 1 };

/* Every request the keeper answers, who may send it, and its handler (cf. OpenSSH monitor.c). */
static const struct {
	const char *type;
	unsigned from;
	void (*handle)(struct keeper *k, size_t i, const struct proto_msg *m, const int *fds,
		       size_t n_fds);
} requests[] = {
	{ "run", FROM_USER, on_run },               /* the shell's program, once per connection */
	{ "signal", FROM_USER, on_signal_request }, /* to that program */
	{ "activity", FROM_USER, on_activity },     /* terminal I/O: not idle */
	{ "close", FROM_ROOT, on_close },           /* a logout, or throwawayctl kill */
	{ "join", FROM_ROOT, on_join },             /* share = user: another login */
};

static void on_client(struct keeper *k, size_t i)
{
	struct client *cl = &k->cl.c[i];
	struct proto_msg m;
	int fds[PROTO_MAX_FDS];
	size_t n_fds = 0;

	int r = proto_recv(cl->fd, &m, fds, PROTO_MAX_FDS, &n_fds, 0);
	if (r < 0) {
		close_client(k, i);
		return;
	}
	unsigned from = cl->uid == 0 ? FROM_ROOT : FROM_USER;
	size_t t = 0;
	while (t < ELEMENTSOF(requests) && strcmp(requests[t].type, m.type) != 0)
		t++;
	bool allowed = t < ELEMENTSOF(requests) && (requests[t].from & from);
	if (allowed)
		requests[t].handle(k, i, &m, fds, n_fds);
	/* The program got its own copies: ours are not needed any more. */
	for (size_t f = 0; f < n_fds; f++)
		close(fds[f]);
	proto_free(&m);
	/* A peer that asks what it may not ask is told so and let go. */
	if (!allowed) {
		send_error(cl->fd, "request not allowed", NULL);
		close_client(k, i);
	}
}

/*
 * When the copy's init exits, the kernel kills every process in the copy
 * before init's pidfd reports: a program killed by SIGKILL may be the first
 * sign. Wait a moment for init, so the user hears that the copy stopped.
 */
static bool copy_stopping(struct keeper *k, int status)
{
	struct pollfd p = { .fd = copy_stopped_fd(k->s.copy), .events = POLLIN };
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
		return false;
	if (poll(&p, 1, 200) <= 0)
		return false;
	k->s.end_reason = "copy-stopped";
	return true;
}

static void report_exit(struct keeper *k, pid_t pid, int status)
{
	char v[16];
	for (size_t i = 0; i < k->cl.n; i++) {
		struct client *cl = &k->cl.c[i];
		if (cl->pid != pid)
			continue;
		/* Only a client's program may be the first sign of a stopped
		 * copy; another child (a spare killed unused) is just reaped. */
		if (k->s.end_reason || copy_stopping(k, status))
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
	while (read(k->s.sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo != SIGCHLD)
			k->s.end_reason = "killed";
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
	k->s.sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return k->s.sigfd < 0 ? -errno : 0;
}

/* A once-a-second tick while a timeout is set: cheap, and no deadline to re-arm. */
static int setup_timer(struct keeper *k)
{
	k->s.timerfd = -EBADF;
	k->s.last_activity_ms = util_now_ms();
	if (k->s.cfg.session_timeout == 0 && k->s.cfg.idle_timeout == 0)
		return 0;
	k->s.timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (k->s.timerfd < 0)
		return -errno;
	struct itimerspec its = { .it_value = { .tv_sec = 1 }, .it_interval = { .tv_sec = 1 } };
	return timerfd_settime(k->s.timerfd, 0, &its, NULL) < 0 ? -errno : 0;
}

/* Tell every terminal of the session that it ends soon. */
static void warn_clients(struct keeper *k, uint64_t left_ms, const char *why)
{
	char msg[128];
	snprintf(msg, sizeof(msg), "this session ends in %llu s (%s)",
		 (unsigned long long)((left_ms + 999) / 1000), why);
	for (size_t i = 0; i < k->cl.n; i++)
		if (k->cl.c[i].pid > 0)
			proto_send_pair(k->cl.c[i].fd, "warn", "msg", msg);
}

/* How long before a timeout the user is warned: 60 s, or half a short one. */
static uint64_t warn_ms(uint64_t timeout_s)
{
	return (timeout_s >= 120 ? 60 : timeout_s / 2) * 1000;
}

static bool has_plain_program(const struct keeper *k)
{
	for (size_t i = 0; i < k->cl.n; i++)
		if (k->cl.c[i].pid > 0 && !k->cl.c[i].pty)
			return true;
	return false;
}

static void on_tick(struct keeper *k)
{
	uint64_t ticks, now = util_now_ms();
	if (read(k->s.timerfd, &ticks, sizeof(ticks)) < 0) {
		/* nothing to read: spurious wakeup */
	}
	if (k->s.cfg.session_timeout) {
		uint64_t end = k->s.t0_ms + k->s.cfg.session_timeout * 1000;
		if (now >= end)
			k->s.end_reason = "timeout";
		else if (!k->s.warned_timeout && now + warn_ms(k->s.cfg.session_timeout) >= end) {
			warn_clients(k, end - now, "session timeout");
			k->s.warned_timeout = true;
		}
	}
	if (!k->s.cfg.idle_timeout || k->s.end_reason)
		return;
	/* A program without a terminal does I/O we cannot see: it counts as activity. */
	if (has_plain_program(k))
		k->s.last_activity_ms = now;
	uint64_t end = k->s.last_activity_ms + k->s.cfg.idle_timeout * 1000;
	if (now >= end)
		k->s.end_reason = "idle";
	else if (!k->s.warned_idle && now + warn_ms(k->s.cfg.idle_timeout) >= end) {
		warn_clients(k, end - now, "idle");
		k->s.warned_idle = true;
	}
}

enum { P_SIG, P_INIT, P_LISTEN, P_TIMER, P_CALLERS };

/* The callers' pidfds, then the clients' sockets, into p; how many. */
static size_t poll_peers(const struct keeper *k, struct pollfd *p)
{
	size_t n = 0;
	for (size_t i = 0; i < k->s.n_callers; i++)
		p[n++] = (struct pollfd){ .fd = k->s.callers[i].fd, .events = POLLIN };
	for (size_t i = 0; i < k->cl.n; i++)
		p[n++] = (struct pollfd){ .fd = k->cl.c[i].fd, .events = POLLIN };
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
	while (!k->s.end_reason) {
		p[P_SIG] = (struct pollfd){ .fd = k->s.sigfd, .events = POLLIN };
		p[P_INIT] = (struct pollfd){ .fd = copy_stopped_fd(k->s.copy), .events = POLLIN };
		p[P_LISTEN] = (struct pollfd){ .fd = k->s.listenfd, .events = POLLIN };
		p[P_TIMER] = (struct pollfd){ .fd = k->s.timerfd, .events = POLLIN };
		size_t n_callers = k->s.n_callers, n_clients = k->cl.n;
		struct pollfd *pc = p + P_CALLERS, *pk = pc + n_callers;
		/* Housekeeping waits for a quiet moment: the first programs come first. */
		int n = poll(p, P_CALLERS + poll_peers(k, pc), k->s.housekept ? -1 : HOUSEKEEPING_QUIET_MS);
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
			k->s.end_reason = "copy-stopped";
		if (p[P_TIMER].revents)
			on_tick(k);
		/* Backwards: removing moves the last one into slot i. */
		for (size_t i = n_callers; i-- > 0;)
			if (i < k->s.n_callers && pc[i].revents)
				caller_gone(k, i);
		for (size_t i = n_clients; i-- > 0;)
			if (i < k->cl.n && pk[i].revents)
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
	copy_kill(k->s.copy);
	snprintf(ms, sizeof(ms), "%llu", (unsigned long long)(util_now_ms() - k->s.t0_ms));
	log_event(LOG_INFO, "close", "session", k->req.session, "user", k->req.user, "rhost", k->req.rhost,
		  "container", k->s.container, "ms", ms, "reason", k->s.end_reason, NULL);
	strcpy(k->s.entry.state, "stopping");
	ledger_write(TW_RUNDIR, &k->s.entry);
	unlink(k->s.sockpath);
	k->s.sockpath[0] = '\0';
	int r = copy_stop(k->s.copy);
	if (r < 0)
		log_event(LOG_ERR, "error", "session", k->req.session, "container", k->s.container,
			  "reason", "stopping the copy failed", NULL);
	copy_free(k->s.copy);
	k->s.copy = NULL;
	ledger_remove(TW_RUNDIR, k->req.session);
	for (size_t i = k->cl.n; i-- > 0;) {
		struct client *cl = &k->cl.c[i];
		if (cl->closer)
			proto_send_pair(cl->fd, "closed", "reason", k->s.end_reason);
		else
			proto_send_pair(cl->fd, "end", "reason", k->s.end_reason);
		cl->pid = 0;
		close_client(k, i);
	}
}

#define FAILURE_LINGER_MS 30000

/* One message in the failure loop: a shell hears why; root's close ends it. */
static bool on_failed_client(struct keeper *k, size_t i, const char *msg)
{
	struct client *cl = &k->cl.c[i];
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
		size_t n_callers = k->s.n_callers, n_clients = k->cl.n;
		p[0] = (struct pollfd){ .fd = k->s.listenfd, .events = POLLIN };
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
	while (k->cl.n > 0)
		close_client(k, k->cl.n - 1);
}
