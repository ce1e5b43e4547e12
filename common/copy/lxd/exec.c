/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A program in an LXD instance, through LXD's exec API: one POST starts
 * it waiting for our websockets (libwebsockets, over LXD's unix socket or
 * TLS with the same client certificate and pin as the REST calls),
 * one each for stdin, stdout and stderr and one for control; the relay
 * pumps fds 0, 1 and 2 through them until LXD closes the outputs (the
 * program has ended), then reads the program's exit status from the
 * finished operation. Runs in the stand-in process the driver forks, as
 * root, with the caller's fds as 0, 1 and 2; nothing of it outlives that
 * process. With a terminal (interactive), LXD gives one stream for both
 * directions and the program's pty is LXD's; ours is a local pty whose
 * slave is the stand-in's fds 0, 1 and 2 (raw), so the window size set on
 * its master reaches the stand-in as SIGWINCH. Window sizes and the
 * signals sent to the stand-in go to the program through the control
 * stream. What the user typed ahead (copy_exec's typed), which the front
 * door's terminal echoed already, must not be echoed by LXD's pty too,
 * and LXD's API has no say over its modes: throwaway-enter -q turns the
 * echo off, says so with one NUL byte as its first output, and turns it
 * back on once the bytes are in; the relay holds them, and fd 0, until
 * that byte, which it does not pass on.
 */
#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <libwebsockets.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cleanup.h"
#include "proto.h"
#include "util.h"

#define CHUNK 65536
_Static_assert(PROTO_MAX_TYPED <= CHUNK, "typed bytes go in one chunk");
#define N_WS 4 /* stdin, stdout, stderr, control */
#define IN_FILE ((void *)(intptr_t)N_WS)
#define SIG_FILE ((void *)(intptr_t)(N_WS + 1))
#define CONTROL 3
#define OP_PATH_MAX 256
#define CTL_MAX 8    /* control messages waiting to be sent */
#define CTL_SIZE 160 /* one control message */

/* What the stand-in passes on to the program; SIGWINCH as a window size. */
static const int relayed_signals[] = {
	SIGWINCH, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2
};

static const char *const ws_keys[N_WS] = { "0", "1", "2", "control" };

struct relay {
	struct lws_context *ctx;
	struct lws *ws[N_WS];
	bool established[N_WS], closed[N_WS];
	struct lws *in; /* fd 0, adopted once the stdin websocket is up */
	unsigned char buf[LWS_PRE + CHUNK];
	size_t len;
	bool in_hup; /* lws no longer watches fd 0: it is read to its end here */
	bool in_eof;
	bool eof_sent;
	bool failed;
	char why[128];     /* libwebsockets' reason for the first stream that failed */
	bool pty;          /* one stream, 0, for both directions */
	const char *typed; /* until throwaway-enter's NUL, NULL after: fd 0 not read yet */
	size_t n_typed;
	bool adopt_next; /* fd 0 to be watched once the typed bytes are sent */
	int sigfd;
	char ctl[CTL_MAX][LWS_PRE + CTL_SIZE];
	size_t n_ctl;
};

static intptr_t index_of(struct lws *wsi)
{
	return (intptr_t)lws_get_opaque_user_data(wsi);
}

/*
 * fd 0 is read through lws as a duplicate: lws closes the file it watches
 * on its own when poll says POLLHUP without POLLIN, which is what a pipe
 * whose writer has gone says while its reading is held back (POLLIN not
 * asked for), with data still in it. Then fd 0 itself is read to its end
 * (no read blocks once the writer is gone) and nothing is lost.
 */
static void adopt_stdin(struct relay *r, struct lws *wsi)
{
	lws_sock_file_fd_type fd = { .filefd = fcntl(0, F_DUPFD_CLOEXEC, 3) };

	r->in = fd.filefd < 0
			? NULL
			: lws_adopt_descriptor_vhost(lws_get_vhost(wsi), LWS_ADOPT_RAW_FILE_DESC,
						     fd, "lxd-exec", NULL);
	if (r->in) {
		lws_set_opaque_user_data(r->in, IN_FILE);
		return;
	}
	if (fd.filefd >= 0)
		close(fd.filefd);
	r->in_eof = true; /* no stdin to give: the program reads EOF */
}

/* One read of fd 0 into the held buffer; its end noted. */
static void fill(struct relay *r)
{
	ssize_t n;

	do
		n = read(0, r->buf + LWS_PRE, CHUNK);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		r->len = (size_t)n;
	else
		r->in_eof = true;
}

/* What fd 0 has, held until the stdin websocket can take it. */
static int read_stdin(struct relay *r, struct lws *wsi)
{
	fill(r);
	if (r->ws[0])
		lws_callback_on_writable(r->ws[0]);
	if (r->in_eof)
		return -1; /* closes the watched duplicate */
	lws_rx_flow_control(wsi, 0);
	return 0;
}

/* The watched duplicate closed (at its end, or by lws on a hangup). */
static void stdin_unwatched(struct relay *r)
{
	r->in = NULL;
	r->in_hup = true;
	if (r->ws[0])
		lws_callback_on_writable(r->ws[0]);
}

/*
 * Held stdin to LXD; after a hangup, the rest of fd 0 read here; at its
 * end the barrier, an empty text message, as LXD's own client sends it
 * (LXD ends the program's stdin on it, or on a close).
 */
static int send_stdin(struct relay *r, struct lws *wsi)
{
	if (!r->len && r->in_hup && !r->in_eof)
		fill(r);
	if (r->len > 0) {
		if (lws_write(wsi, r->buf + LWS_PRE, r->len, LWS_WRITE_BINARY) < (int)r->len)
			return -1;
		r->len = 0;
		if (r->in)
			lws_rx_flow_control(r->in, 1);
		else if (r->in_hup && !r->in_eof)
			lws_callback_on_writable(wsi);
	}
	if (r->adopt_next) {
		r->adopt_next = false;
		adopt_stdin(r, wsi);
	}
	if (r->in_eof && !r->eof_sent) {
		r->eof_sent = true;
		if (lws_write(wsi, r->buf + LWS_PRE, 0, LWS_WRITE_TEXT) < 0)
			return -1;
	}
	return 0;
}

/* A control message queued for the control stream (dropped when the queue is full). */
__attribute__((format(printf, 2, 3))) static void queue_control(struct relay *r, const char *fmt,
								...)
{
	va_list ap;

	if (r->n_ctl >= CTL_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(r->ctl[r->n_ctl++] + LWS_PRE, CTL_SIZE, fmt, ap);
	va_end(ap);
	if (r->ws[CONTROL])
		lws_callback_on_writable(r->ws[CONTROL]);
}

static int send_control(struct relay *r, struct lws *wsi)
{
	for (size_t k = 0; k < r->n_ctl; k++) {
		char *m = r->ctl[k] + LWS_PRE;
		if (lws_write(wsi, (unsigned char *)m, strlen(m), LWS_WRITE_TEXT) < (int)strlen(m))
			return -1;
	}
	r->n_ctl = 0;
	return 0;
}

/* A signal to the stand-in: the window's new size, or the signal itself, to the program. */
static int read_signal(struct relay *r)
{
	struct signalfd_siginfo si;
	struct winsize ws;

	if (read(r->sigfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return 0;
	if (si.ssi_signo != SIGWINCH)
		queue_control(r, "{\"command\":\"signal\",\"signal\":%u}", si.ssi_signo);
	else if (r->pty && ioctl(0, TIOCGWINSZ, &ws) == 0)
		queue_control(r,
			      "{\"command\":\"window-resize\",\"args\":{\"width\":\"%u\","
			      "\"height\":\"%u\"}}",
			      ws.ws_col, ws.ws_row);
	return 0;
}

/* The relayed signals blocked and read from an fd the loop watches. */
static int watch_signals(struct relay *r)
{
	lws_sock_file_fd_type fd;
	sigset_t set;

	sigemptyset(&set);
	for (size_t k = 0; k < ELEMENTSOF(relayed_signals); k++)
		sigaddset(&set, relayed_signals[k]);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	r->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (r->sigfd < 0)
		return -errno;
	fd.filefd = r->sigfd;
	struct lws *w = lws_adopt_descriptor_vhost(lws_get_vhost_by_name(r->ctx, "default"),
						   LWS_ADOPT_RAW_FILE_DESC, fd, "lxd-exec", NULL);
	if (!w)
		return -ENOMEM;
	lws_set_opaque_user_data(w, SIG_FILE);
	return 0;
}

/*
 * The program's first output while hushed: throwaway-enter's NUL (not the
 * user's), and the typed bytes go now, before anything read from fd 0.
 * Output of any other kind (a throwaway-enter that failed first) ends the
 * wait as well: the bytes go as they are.
 */
static void unhush(struct relay *r, const char **in, size_t *len)
{
	if (*len && **in == '\0') {
		(*in)++;
		(*len)--;
	}
	memcpy(r->buf + LWS_PRE, r->typed, r->n_typed);
	r->len = r->n_typed;
	r->typed = NULL;
	r->adopt_next = true;
	if (r->ws[0])
		lws_callback_on_writable(r->ws[0]);
}

static void ws_gone(struct relay *r, intptr_t i, bool error)
{
	if (i < 0 || i >= N_WS)
		return;
	r->ws[i] = NULL;
	r->closed[i] = true;
	if (error && !r->established[i])
		r->failed = true;
}

/*
 * With a terminal, LXD 5.0 ends the program's output with a barrier (an
 * empty text message) and then waits for ours before it closes the
 * stream and finishes the operation; later LXDs close it themselves.
 * Either way the output has ended: closing here is our barrier.
 */
static int output_ended(struct relay *r, intptr_t i)
{
	ws_gone(r, i, false);
	return -1;
}

/* Output of stream I to our fd of it (the terminal's to 1); a reader gone loses the rest. */
static int receive(struct relay *r, intptr_t i, const char *in, size_t len)
{
	if (i == 0 && r->typed)
		unhush(r, &in, &len);
	if (len && (i == 1 || i == 2 || (i == 0 && r->pty)))
		util_write_all(i == 0 ? 1 : (int)i, in, len);
	return 0;
}

static int on_event(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		    size_t len)
{
	struct lws_context *ctx = lws_get_context(wsi);
	struct relay *r = ctx ? lws_context_user(ctx) : NULL;
	intptr_t i = index_of(wsi);

	(void)user;
	if (!r)
		return 0;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		r->established[i] = true;
		if (i == 0 && !r->typed)
			adopt_stdin(r, wsi);
		return 0;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (i == 0 && r->pty && !len && !lws_frame_is_binary(wsi))
			return output_ended(r, i);
		return receive(r, i, in, len);
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		return i == 0 ? send_stdin(r, wsi) : i == CONTROL ? send_control(r, wsi) : 0;
	case LWS_CALLBACK_RAW_RX_FILE:
		return lws_get_opaque_user_data(wsi) == SIG_FILE ? read_signal(r)
								 : read_stdin(r, wsi);
	case LWS_CALLBACK_RAW_CLOSE_FILE:
		if (lws_get_opaque_user_data(wsi) == IN_FILE)
			stdin_unwatched(r);
		return 0;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (!r->why[0])
			snprintf(r->why, sizeof(r->why), "%s: %.*s",
				 ws_keys[i < 0 || i >= N_WS ? 0 : i], in ? (int)len : 0,
				 in ? (const char *)in : "");
		ws_gone(r, i, true);
		return 0;
	case LWS_CALLBACK_CLIENT_CLOSED:
		ws_gone(r, i, false);
		return 0;
	default:
		return 0;
	}
}

static const struct lws_protocols protocols[] = {
	{ .name = "lxd-exec", .callback = on_event, .rx_buffer_size = CHUNK },
	{ 0 },
};

/* How stream I reaches LXD: over its unix socket, or TLS to HOST:PORT. */
static void set_endpoint(struct lws_client_connect_info *ci, const struct lxd_place *where,
			 char *address, size_t len)
{
	if (!where->host[0]) {
		snprintf(address, len, "+%s", where->socket);
		ci->address = address;
		ci->host = "lxd";
		ci->origin = "lxd";
		return;
	}
	/* The pin replaces the host name check, as for the REST calls (api.c):
	 * LXD's certificate names its member, not the address we use. */
	ci->address = where->host;
	ci->port = (int)where->port;
	ci->host = where->host;
	ci->origin = where->host;
	ci->ssl_connection = LCCSCF_USE_SSL | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK;
}

/* The websocket of stream I, to OP's websocket endpoint with its secret. */
static int connect_ws(struct relay *r, const struct lxd_place *where, const char *op, intptr_t i,
		      const char *secret)
{
	char address[NAMES_PLACE_MAX + 2], path[OP_PATH_MAX + 256];
	struct lws_client_connect_info ci = { 0 };

	if (strlen(where->socket) + 2 > sizeof(address) ||
	    snprintf(path, sizeof(path), "%s/websocket?secret=%s", op, secret) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	set_endpoint(&ci, where, address, sizeof(address));
	ci.context = r->ctx;
	ci.path = path;
	ci.local_protocol_name = "lxd-exec";
	ci.ietf_version_or_minus_one = -1;
	ci.opaque_user_data = (void *)i;
	ci.pwsi = &r->ws[i];
	return lws_client_connect_via_info(&ci) ? 0 : -ECONNREFUSED;
}

/*
 * Over HTTPS, the client TLS context: our certificate and key, and LXD's
 * certificate as the only CA (the OS's not loaded), checked beforehand by
 * lxd_open (lxd_check_files). A peer that shows another certificate fails
 * the handshake: LCCSCF_ALLOW_SELFSIGNED is not given.
 */
static int make_context(struct relay *r, const struct lxd_place *where)
{
	struct lws_context_creation_info info = { 0 };

	lws_set_log_level(0, NULL); /* lws would log to stderr: the user's */
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.user = r;
	info.gid = (gid_t)-1;
	info.uid = (uid_t)-1;
	if (where->host[0]) {
		info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
			       LWS_SERVER_OPTION_DISABLE_OS_CA_CERTS;
		info.client_ssl_cert_filepath = where->cert;
		info.client_ssl_private_key_filepath = where->key;
		info.client_ssl_ca_filepath = where->server;
	}
	r->ctx = lws_create_context(&info);
	return r->ctx ? 0 : -ENOMEM;
}

bool lxd_exec_hushed(const struct copy_exec *x)
{
	return x->pty && x->typed && x->n_typed;
}

static bool outputs_done(const struct relay *r)
{
	return r->pty ? r->closed[0] : r->closed[1] && r->closed[2];
}

int lxd_exec_relay(const struct lxd_place *where, const char *op, json_object *fds,
		   const struct copy_exec *x, struct tw_err *err)
{
	bool pty = x->pty;
	struct relay r = { .pty = pty,
			   .sigfd = -EBADF,
			   .typed = lxd_exec_hushed(x) ? x->typed : NULL,
			   .n_typed = x->n_typed };
	int ret = 0;

	if (make_context(&r, where) < 0)
		return tw_err_set(err, -ENOMEM, "cannot set up the program's websockets");
	ret = watch_signals(&r);
	for (intptr_t i = 0; i < N_WS && ret >= 0; i++) {
		const char *secret = lxd_str(fds, ws_keys[i]);
		if (pty && (i == 1 || i == 2))
			continue; /* one stream for both directions */
		ret = secret ? connect_ws(&r, where, op, i, secret) : -EPROTO;
	}
	while (ret >= 0 && !outputs_done(&r) && !r.failed)
		if (lws_service(r.ctx, 0) < 0)
			ret = -EIO;
	lws_context_destroy(r.ctx);
	if (r.sigfd >= 0)
		close(r.sigfd);
	if (ret >= 0 && r.failed)
		ret = -ECONNREFUSED;
	return ret < 0 ? tw_err_set(err, ret, "cannot reach the program's streams in LXD%s%s",
				    r.why[0] ? ": " : "", r.why)
		       : 0;
}

/* "K=V" entries of ENVP as LXD's environment object. */
static int add_environment(json_object *body, char *const *envp)
{
	json_object *env = json_object_new_object();

	if (!env)
		return -ENOMEM;
	for (size_t i = 0; envp && envp[i]; i++) {
		const char *eq = strchr(envp[i], '=');
		char key[256];
		if (!eq || (size_t)(eq - envp[i]) >= sizeof(key))
			continue;
		snprintf(key, sizeof(key), "%.*s", (int)(eq - envp[i]), envp[i]);
		json_object_object_add(env, key, json_object_new_string(eq + 1));
	}
	return json_object_object_add(body, "environment", env) == 0 ? 0 : -ENOMEM;
}

/*
 * The command: X's path, then its arguments after argv[0]: LXD's exec has
 * no argv[0] of its own (the path is it; throwaway-enter gives the
 * program its own).
 */
static int add_command(json_object *body, const struct copy_exec *x)
{
	json_object *cmd = json_object_new_array();

	if (!cmd)
		return -ENOMEM;
	json_object_array_add(cmd, json_object_new_string(x->path));
	for (size_t i = 1; x->argv && x->argv[0] && x->argv[i]; i++)
		json_object_array_add(cmd, json_object_new_string(x->argv[i]));
	return json_object_object_add(body, "command", cmd) == 0 ? 0 : -ENOMEM;
}

static json_object *exec_body(const struct copy_exec *x)
{
	json_object *b = json_object_new_object();

	if (!b || add_command(b, x) < 0 || add_environment(b, x->envp) < 0 ||
	    json_object_object_add(b, "interactive", json_object_new_boolean(x->pty)) != 0 ||
	    json_object_object_add(b, "width", json_object_new_int(x->pty ? x->cols : 0)) != 0 ||
	    json_object_object_add(b, "height", json_object_new_int(x->pty ? x->rows : 0)) != 0 ||
	    json_object_object_add(b, "wait-for-websocket", json_object_new_boolean(1)) != 0 ||
	    json_object_object_add(b, "user", json_object_new_int64(x->uid)) != 0 ||
	    json_object_object_add(b, "group", json_object_new_int64(x->gid)) != 0 ||
	    json_object_object_add(b, "cwd", json_object_new_string(x->cwd ? x->cwd : "/")) != 0) {
		if (b)
			json_object_put(b);
		return NULL;
	}
	return b;
}

int lxd_exec_run(struct lxd_conn *c, const char *name, const struct copy_exec *x,
		 struct tw_err *err)
{
	_cleanup_json_ json_object *body = exec_body(x), *meta = NULL, *done = NULL, *fds = NULL;
	_cleanup_free_ char *op = NULL;
	char path[OP_PATH_MAX];
	json_object *ret;

	if (!body)
		return tw_err_set(err, -ENOMEM, "out of memory");
	snprintf(path, sizeof(path), "/instances/%s/exec", name);
	int r = lxd_call_async(c, "POST", path, body, &op, &meta, err);
	if (r < 0)
		return r;
	if (!json_object_object_get_ex(meta, "fds", &fds) || !fds)
		return tw_err_set(err, -EPROTO, "LXD gave no streams for the program");
	json_object_get(fds);
	r = lxd_exec_relay(lxd_place_of(c), op, fds, x, err);
	if (r >= 0)
		r = lxd_wait(c, op, 30, &done, err);
	if (r < 0)
		return r;
	json_object *inner = NULL;
	if (!json_object_object_get_ex(done, "metadata", &inner) ||
	    !json_object_object_get_ex(inner, "return", &ret))
		return tw_err_set(err, -EPROTO, "LXD gave no exit status for the program");
	return json_object_get_int(ret) & 0xff;
}
