/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * throwaway-shell: the login shell of sandboxed users. Not setuid; runs as
 * the user. It connects to its session's keeper and asks it to run the
 * user's shell or a -c command inside the copy, handing over its own
 * stdin, stdout and stderr, then waits and exits with the program's status.
 * It never runs anything on the host: with no usable session it explains
 * why and exits 1. THROWAWAY_SESSION is only a hint of which socket to try;
 * the keeper decides who may use it (SO_PEERCRED).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "names.h"
#include "proto.h"
#include "sftp_refuse.h"
#include "util.h"

extern char **environ;

/* A longer environment hint is not passed on (kv in put_env_hints holds NAME=value). */
#define HINT_MAX 200
/* What one relay step moves between the terminals. */
#define RELAY_CHUNK 16384
#define DRAIN_QUIET_MS 100 /* after the exit, how long a silent terminal is waited for */
/* Terminal I/O tells the keeper the session is not idle, at most this often. */
#define ACTIVITY_REPORT_MS 1000

static volatile sig_atomic_t pending_signal;
static bool interactive;

static void on_signal(int sig)
{
	pending_signal = sig;
}

/*
 * Our terminal (sshd's pty, or the console) only carries bytes to the
 * copy's, whose line discipline echoes and edits: ours must do neither,
 * from the start. Were it still cooked while the copy is made, what the
 * user (or a client writing right after its pty request) types in that
 * time would be echoed here and then again inside.
 */
static struct termios saved_tio;
static bool raw_mode;

static void enter_raw(void)
{
	struct termios tio;
	if (tcgetattr(0, &saved_tio) < 0)
		return;
	tio = saved_tio;
	cfmakeraw(&tio);
	/* TCSANOW: TCSAFLUSH would throw away what the user typed ahead. */
	raw_mode = tcsetattr(0, TCSANOW, &tio) == 0;
}

static void leave_raw(void)
{
	if (raw_mode)
		tcsetattr(0, TCSANOW, &saved_tio);
	raw_mode = false;
}

/*
 * sshd writes what the client sends to its pty from the moment the command
 * is accepted, before it has even started us: a client that writes at once
 * has been echoed by our terminal already. Take what is waiting now, before
 * anything else can arrive echoed; it goes to the keeper with the request
 * (put_typed), and the driver gives it to the program's terminal without
 * echoing it a second time. At most 1 KiB (PROTO_MAX_TYPED); more (a paste
 * before the shell even ran) goes on as usual and is echoed twice.
 */
static char echoed[PROTO_MAX_TYPED];
static size_t n_echoed;

static void take_echoed(void)
{
	int pending = 0;
	if (!raw_mode || !(saved_tio.c_lflag & ECHO) || ioctl(0, FIONREAD, &pending) < 0 ||
	    pending <= 0)
		return;
	ssize_t n = read(0, echoed,
			 (size_t)pending < sizeof(echoed) ? (size_t)pending : sizeof(echoed));
	n_echoed = n > 0 ? (size_t)n : 0;
}

/* What take_echoed took, in hex: bytes a terminal passes may be any. */
static int put_typed(struct proto_msg *m)
{
	char hex[2 * PROTO_MAX_TYPED + 1];
	if (!n_echoed)
		return 0;
	util_hex(echoed, n_echoed, hex);
	return proto_put(m, "typed", hex);
}

static int __attribute__((format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;
	leave_raw(); /* a sentence, not a staircase */
	fputs("throwaway: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static int no_session(void)
{
	char why[512];
	const char *e = getenv("THROWAWAY_ERROR");
	if (e && *e) {
		util_sanitize(why, sizeof(why), e);
		return die("%s", why);
	}
	return die("%s", "there is no sandbox for this login, so no shell is started");
}

/* Pass on the hints the keeper may accept; it validates every one. */
static int put_env_hints(struct proto_msg *m)
{
	static const char *const names[] = { "TERM", "LANG", "SSH_CONNECTION", "SSH_CLIENT" };
	int r = 0;
	for (size_t i = 0; r == 0 && i < ELEMENTSOF(names); i++) {
		const char *v = getenv(names[i]);
		char kv[256];
		if (v && strlen(v) < HINT_MAX) {
			snprintf(kv, sizeof(kv), "%s=%s", names[i], v);
			r = proto_put(m, "env", kv);
		}
	}
	for (char **e = environ; r == 0 && *e; e++)
		if (strncmp(*e, "LC_", 3) == 0 && strlen(*e) < HINT_MAX)
			r = proto_put(m, "env", *e);
	return r;
}

static int put_winsize(struct proto_msg *m)
{
	struct winsize ws = { 0 };
	for (int fd = 0; fd < 3 && ioctl(fd, TIOCGWINSZ, &ws) < 0; fd++)
		;
	return proto_put(m, "pty", "1") ?: proto_putu(m, "rows", ws.ws_row) ?:
	       proto_putu(m, "cols", ws.ws_col);
}

static int send_run(int fd, const char *cmd, bool pty)
{
	struct proto_msg m;
	int fds[3] = { 0, 1, 2 };
	int r = proto_begin(&m, "run");
	if (r == 0)
		r = proto_put(&m, "mode", cmd ? "cmd" : "login") ?: proto_put(&m, "cmd", cmd) ?:
		    put_env_hints(&m);
	if (r == 0 && pty)
		r = put_winsize(&m) ?: put_typed(&m);
	if (r == 0)
		r = proto_send(fd, &m, fds, 3);
	proto_free(&m);
	return r;
}

static void forward_signal(int fd, int sig)
{
	struct proto_msg m;
	if (proto_begin(&m, "signal") == 0 && proto_putu(&m, "sig", (unsigned)sig) == 0)
		proto_send(fd, &m, NULL, 0);
	proto_free(&m);
}

/* One message from the keeper: returns an exit code, or -1 to keep waiting. */
static int handle(const struct proto_msg *m)
{
	unsigned long long v;
	if (strcmp(m->type, "started") == 0)
		return -1;
	if (strcmp(m->type, "exit") == 0 && proto_getu(m, "status", 255, &v) == 0)
		return (int)v;
	if (strcmp(m->type, "exit") == 0 && proto_getu(m, "signal", 64, &v) == 0)
		return 128 + (int)v;
	if (strcmp(m->type, "error") == 0) {
		char why[512];
		util_sanitize(why, sizeof(why), proto_get(m, "msg"));
		/* sshd drops a subsystem's stderr: sftp clients hear it in sftp. */
		if (proto_get(m, "code") && strcmp(proto_get(m, "code"), "no-sftp") == 0 &&
		    !isatty(0))
			sftp_refuse(0, 1, why);
		return die("%s", why);
	}
	if (strcmp(m->type, "warn") == 0) {
		char why[160];
		util_sanitize(why, sizeof(why), proto_get(m, "msg"));
		if (isatty(2))
			fprintf(stderr, "\r\nthrowaway: %s\r\n", why);
		return -1;
	}
	if (strcmp(m->type, "end") == 0) {
		char why[64];
		util_sanitize(why, sizeof(why), proto_get(m, "reason"));
		fprintf(stderr, "\r\nthrowaway: your sandbox has ended (%s)\r\n", why);
		return 255;
	}
	return -1;
}

static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGWINCH };
	for (size_t i = 0; i < ELEMENTSOF(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* One line on interactive logins: which copy, and when it goes. */
static void print_banner(const struct proto_msg *m)
{
	char name[80], when[64] = "";
	unsigned long long ends;
	util_sanitize(name, sizeof(name), proto_get(m, "container"));
	if (proto_getu(m, "ends", (unsigned long long)INT64_MAX, &ends) == 0) {
		time_t t = (time_t)ends;
		struct tm tm;
		char hm[16];
		if (localtime_r(&t, &tm) && strftime(hm, sizeof(hm), "%H:%M:%S", &tm))
			snprintf(when, sizeof(when), ", at the latest at %s (session timeout)", hm);
	}
	fprintf(stderr,
		"throwaway: you are in %s, a throwaway copy; it is destroyed when you log out%s.\r\n",
		name, when);
	if (proto_get(m, "keep"))
		fprintf(stderr,
			"throwaway: what you change outside your home is kept for the administrator.\r\n");
	if (proto_get(m, "addrs")) {
		char addrs[256];
		util_sanitize(addrs, sizeof(addrs), proto_get(m, "addrs"));
		fprintf(stderr, "throwaway: its addresses: %s\r\n", addrs);
	}
}

/* Read one keeper message; an exit code, -1 to go on, 255 when the link is gone. */
static int read_keeper(int fd, int *ret_master)
{
	struct proto_msg m;
	int fds[1];
	size_t n = 0;
	if (proto_recv(fd, &m, fds, 1, &n, -1) < 0) {
		die("%s", "lost the connection to your sandbox");
		return 255;
	}
	int code = handle(&m);
	if (strcmp(m.type, "started") == 0) {
		if (n == 1 && ret_master)
			*ret_master = fds[0];
		else if (n == 1)
			close(fds[0]);
		if (interactive && proto_get(&m, "banner"))
			print_banner(&m);
	}
	proto_free(&m);
	return code;
}

/* Without a terminal: the program has our stdio; wait for its status. */
static int wait_exit(int fd)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int n = poll(&p, 1, -1);
		if (pending_signal) {
			if (pending_signal != SIGWINCH)
				forward_signal(fd, pending_signal);
			pending_signal = 0;
		}
		if (n <= 0)
			continue;
		int code = read_keeper(fd, NULL);
		if (code >= 0)
			return code;
	}
}

/* Copy what is readable from in to out; false on EOF or error. */
static bool pump(int in, int out)
{
	char buf[RELAY_CHUNK];
	ssize_t n = read(in, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	return n > 0 && util_write_all(out, buf, (size_t)n) == 0;
}

/*
 * Whatever the program wrote before it exited still reaches the user. What
 * it wrote last may not be in the master yet when its exit is told (a pty
 * moves writes across in the kernel's own time): read until the master
 * says EIO, the slave closed by all, or until it has been quiet for
 * DRAIN_QUIET_MS (a process left behind may hold the slave).
 */
static void drain(int master)
{
	fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
	for (int i = 0; i < 1024; i++) {
		char buf[RELAY_CHUNK];
		struct pollfd p = { .fd = master, .events = POLLIN };
		ssize_t n = read(master, buf, sizeof(buf));
		if (n < 0 && errno == EAGAIN && poll(&p, 1, DRAIN_QUIET_MS) > 0)
			continue;
		if (n <= 0 || util_write_all(1, buf, (size_t)n) < 0)
			return;
	}
}

static void on_pending_signal(int fd, int master)
{
	int sig = pending_signal;
	pending_signal = 0;
	if (sig == SIGWINCH) {
		struct winsize ws;
		for (int tty = 0; tty < 3; tty++)
			if (ioctl(tty, TIOCGWINSZ, &ws) == 0) {
				ioctl(master, TIOCSWINSZ, &ws);
				break;
			}
	} else if (sig) {
		forward_signal(fd, sig);
	}
}

/* Terminal I/O keeps the session from idling out: say so, at most once a second. */
static void report_activity(int fd)
{
	static uint64_t last;
	uint64_t now = util_now_ms();
	if (now - last < ACTIVITY_REPORT_MS)
		return;
	last = now;
	struct proto_msg m;
	if (proto_begin(&m, "activity") == 0)
		proto_send(fd, &m, NULL, 0);
	proto_free(&m);
}

/* With a terminal: relay between ours and the copy's, until the program exits. */
static int relay(int fd, int master)
{
	bool in_open = true, out_open = true;
	for (;;) {
		struct pollfd p[3] = { { .fd = fd, .events = POLLIN },
				       { .fd = out_open ? master : -1, .events = POLLIN },
				       { .fd = in_open ? 0 : -1, .events = POLLIN } };
		int n = poll(p, 3, -1);
		if (pending_signal)
			on_pending_signal(fd, master);
		if (n <= 0)
			continue;
		if (p[1].revents && !pump(master, 1))
			out_open = false; /* EIO: nothing holds the terminal inside any more */
		if (p[2].revents && !pump(0, master))
			in_open = false;
		if (p[1].revents || p[2].revents)
			report_activity(fd);
		if (p[0].revents) {
			int code = read_keeper(fd, NULL);
			if (code >= 0) {
				drain(master);
				leave_raw();
				return code;
			}
		}
	}
}

static int run(const char *cmd)
{
	const char *session = getenv("THROWAWAY_SESSION");
	if (!session || !names_session_valid(session))
		return no_session();
	_cleanup_close_ int fd = proto_connect_session(session);
	if (fd < 0)
		return die("cannot reach your sandbox (%s)", strerror(-fd));
	/* Any terminal among our stdio means a terminal inside: a host terminal
	 * fd must never reach the copy (TIOCSTI could type into it). */
	bool pty = isatty(0) || isatty(1) || isatty(2);
	interactive = pty && !cmd;
	catch_signals();
	int r = send_run(fd, cmd, pty);
	if (r < 0)
		return die("cannot reach your sandbox (%s)", strerror(-r));
	int master = -1;
	int code = read_keeper(fd, &master);
	if (code >= 0)
		return code;
	return master >= 0 ? relay(fd, master) : wait_exit(fd);
}

int main(int argc, char **argv)
{
	const char *cmd = NULL;

	/* First of all: from here on our terminal echoes nothing (see enter_raw). */
	if (isatty(0)) {
		enter_raw();
		take_echoed();
	}
	if (argc == 3 && strcmp(argv[1], "-c") == 0)
		cmd = argv[2];
	else if (argc != 1)
		return die("%s", "usage: throwaway-shell [-c command]");
	int code = run(cmd);
	leave_raw();
	return code;
}
