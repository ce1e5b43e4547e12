/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A minimal libssh client for the tests: public-key login, one exec
 * channel, stdin to the channel, the channel's stdout/stderr to ours, and
 * the remote exit status as ours (255 on a connection or auth failure).
 * With -t it asks for a terminal (80x24) first and sends what stdin holds
 * the moment the command is accepted; the end of stdin then sends nothing,
 * as a terminal has no end of input.
 *
 *   ssh_client [-t] HOST PORT USER KEYFILE COMMAND
 */
#include <libssh/libssh.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int tty;

static int pump_stdin(ssh_channel ch, int *open)
{
	char buf[16384];
	ssize_t n = read(0, buf, sizeof(buf));
	if (n <= 0) {
		if (!tty)
			ssh_channel_send_eof(ch);
		*open = 0;
		return 0;
	}
	return ssh_channel_write(ch, buf, (uint32_t)n) == n ? 0 : -1;
}

/* Copy what is buffered on one stream; 0 when nothing (or EOF), -1 on error. */
static int pump_out(ssh_channel ch, int is_stderr)
{
	char buf[16384];
	int n = ssh_channel_read_nonblocking(ch, buf, sizeof(buf), is_stderr);
	if (n == SSH_EOF)
		return 0;
	if (n < 0)
		return -1;
	if (n > 0 && write(is_stderr ? 2 : 1, buf, (size_t)n) != n)
		return -1;
	return n;
}

static int relay(ssh_channel ch)
{
	int in_open = 1;
	for (;;) {
		if (in_open) {
			struct pollfd p = { .fd = 0, .events = POLLIN };
			if (poll(&p, 1, 0) > 0 && pump_stdin(ch, &in_open) < 0)
				return -1;
		}
		int a = pump_out(ch, 0), b = pump_out(ch, 1);
		if (a < 0 || b < 0)
			return -1;
		if (a > 0 || b > 0)
			continue;
		if (ssh_channel_is_eof(ch) || ssh_channel_is_closed(ch))
			return 0;
		/* Wait for data from the server (or a moment, while stdin is open). */
		ssh_channel_poll_timeout(ch, in_open ? 5 : 100, 0);
	}
}

int main(int argc, char **argv)
{
	if (argc == 7 && strcmp(argv[1], "-t") == 0) {
		tty = 1;
		argc--, argv++;
	}
	if (argc != 6)
		return 2;
	int port = atoi(argv[2]);
	ssh_key key = NULL;
	ssh_session s = ssh_new();
	ssh_options_set(s, SSH_OPTIONS_HOST, argv[1]);
	ssh_options_set(s, SSH_OPTIONS_PORT, &port);
	ssh_options_set(s, SSH_OPTIONS_USER, argv[3]);
	if (ssh_connect(s) != SSH_OK ||
	    ssh_pki_import_privkey_file(argv[4], NULL, NULL, NULL, &key) != SSH_OK ||
	    ssh_userauth_publickey(s, NULL, key) != SSH_AUTH_SUCCESS) {
		fprintf(stderr, "ssh_client: %s\n", ssh_get_error(s));
		return 255;
	}
	ssh_channel ch = ssh_channel_new(s);
	if (!ch || ssh_channel_open_session(ch) != SSH_OK ||
	    (tty && ssh_channel_request_pty_size(ch, "xterm", 80, 24) != SSH_OK) ||
	    ssh_channel_request_exec(ch, argv[5]) != SSH_OK) {
		fprintf(stderr, "ssh_client: %s\n", ssh_get_error(s));
		return 255;
	}
	if (relay(ch) < 0)
		return 255;
	ssh_channel_send_eof(ch);
	int status = ssh_channel_get_exit_status(ch);
	ssh_channel_close(ch);
	ssh_channel_free(ch);
	ssh_key_free(key);
	ssh_disconnect(s);
	ssh_free(s);
	return status < 0 ? 255 : status;
}
