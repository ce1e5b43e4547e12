/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Drives the lxd driver's operations from the tests, against a real LXD
 * (tests/lxd.sh starts one):
 *   lxd_client session CONF NAME SESSION USER HOME UID GID
 *     make and start a copy as CONF says (its lxd_socket, lxd_project,
 *     origin, limits), put USER's passwd and group entries in it, print
 *     "ready", and at EOF on stdin stop it and print "gone".
 *   lxd_client run CONF NAME SESSION USER HOME UID GID PROGRAM [ARG...]
 *     the same copy, PROGRAM run in it as UID:GID with our stdin, stdout
 *     and stderr; then the copy stopped; exits with the program's status.
 *   lxd_client runpty CONF NAME SESSION USER HOME UID GID PROGRAM [ARG...]
 *     the same with a terminal of 33 rows and 101 columns, resized to 40
 *     and 120 once it has shown two lines; what it shows goes to stdout.
 *   lxd_client runpty-early ...
 *     the same, resized at once, before the program can have started.
 *   lxd_client check CONF       prepare only (the origin, the socket)
 *   lxd_client list PLACE        "NAME SESSION" for each marked copy
 *   lxd_client destroy PLACE NAME
 * Errors go to stderr as the driver words them; exit 1.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "copy.h"
#include "lxd_driver.h"
#include "util.h"

static const struct copy_driver *drv = &copy_driver_lxd;

static int fail(const char *what, const struct tw_err *e)
{
	fprintf(stderr, "lxd_client: %s: %s\n", what, e->msg[0] ? e->msg : "failed");
	return 1;
}

static int print_found(const struct copy_found *f, void *data)
{
	(void)data;
	printf("%s %s\n", f->name, f->session);
	return 0;
}

/* The user's entries after root's, as the keeper would write them. */
static int put_ids(struct copy *c, const char *user, const char *home, uid_t uid, gid_t gid)
{
	char passwd[512], group[256];
	int job;

	snprintf(passwd, sizeof(passwd), "root:x:0:0:root:/root:/bin/sh\n%s:x:%u:%u::%s:/bin/sh\n",
		 user, (unsigned)uid, (unsigned)gid, home);
	snprintf(group, sizeof(group), "root:x:0:\n%s:x:%u:\n", user, (unsigned)gid);
	const struct copy_file files[] = {
		{ .path = "/etc/passwd", .data = passwd, .len = strlen(passwd), .mode = 0644 },
		{ .path = "/etc/group", .data = group, .len = strlen(group), .mode = 0644 },
	};
	if (copy_write_begin(c, files, 2, &job) < 0)
		return -1;
	return copy_write_end(c, job);
}

/* A copy made and started as CONF says, with the user's entries; NULL on failure. */
static struct copy *make_copy(const struct config *cfg, char **a, struct copy_spec *s)
{
	struct tw_err e = { 0 };
	struct copy *c = NULL;
	uint64_t uid, gid;

	if (util_parse_u64(a[4], UINT32_MAX, NULL, &uid) < 0 ||
	    util_parse_u64(a[5], UINT32_MAX, NULL, &gid) < 0)
		return NULL;
	*s = (struct copy_spec){ .cfg = cfg,
				 .name = a[0],
				 .session = a[1],
				 .user = a[2],
				 .home = a[3],
				 .uid = (uid_t)uid,
				 .gid = (gid_t)gid };
	if (copy_prepare(drv, s, &c, &e) < 0) {
		fail("prepare", &e);
		return NULL;
	}
	if (copy_make(c, &e) < 0 || copy_start(c, 30000, &e) < 0 ||
	    put_ids(c, a[2], a[3], s->uid, s->gid) < 0) {
		fail("make", &e);
		copy_stop(c);
		copy_free(c);
		return NULL;
	}
	return c;
}

/* Stopped and freed: 0, or 1 when the stop failed. */
static int end_copy(struct copy *c)
{
	int r = copy_stop(c) < 0;

	copy_free(c);
	return r;
}

static int session(const struct config *cfg, char **a)
{
	struct copy_spec s;
	struct copy *c = make_copy(cfg, a, &s);
	char buf[64];

	if (!c)
		return 1;
	printf("ready\n");
	fflush(stdout);
	while (read(0, buf, sizeof(buf)) > 0)
		;
	int r = end_copy(c);
	printf("%s\n", r ? "stop failed" : "gone");
	return r;
}

static bool with_pty, resize_early;

/* What the master shows, to stdout, until the stand-in's side is gone; one resize on the way. */
static void relay_master(int master)
{
	struct winsize ws = { .ws_row = 40, .ws_col = 120 };
	bool resized = resize_early && ioctl(master, TIOCSWINSZ, &ws) == 0;
	unsigned lines = 0;
	char buf[4096];

	for (;;) {
		ssize_t got = read(master, buf, sizeof(buf));
		if (got <= 0)
			return;
		fwrite(buf, 1, (size_t)got, stdout);
		fflush(stdout);
		for (ssize_t i = 0; i < got; i++)
			lines += buf[i] == '\n';
		if (!resized && lines >= 2)
			resized = ioctl(master, TIOCSWINSZ, &ws) == 0;
	}
}

static int run(const struct config *cfg, char **a)
{
	char *const envp[] = { (char *)"PATH=/bin:/sbin", (char *)"HOME=/", NULL };
	struct copy_spec s;
	struct copy *c = make_copy(cfg, a, &s);
	int status = 0;
	pid_t pid;

	if (!c)
		return 1;
	struct copy_exec x = { .uid = s.uid,
			       .gid = s.gid,
			       .cwd = s.home,
			       .path = a[6],
			       .argv = a + 6,
			       .envp = envp,
			       .fds = { 0, 1, 2 },
			       .pty = with_pty,
			       .rows = 33,
			       .cols = 101 };
	int master = -1;
	int r = copy_enter(c, &x, &pid, &master);
	if (r >= 0 && master >= 0) {
		relay_master(master);
		close(master);
	}
	if (r >= 0 && waitpid(pid, &status, 0) < 0)
		r = -1;
	if (end_copy(c) || r < 0)
		return 125;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 126;
}

static int check(const struct config *cfg)
{
	struct copy_spec s = { .cfg = cfg, .name = "tw-test-check", .session = "0" };
	struct tw_err e = { 0 };
	struct copy *c = NULL;

	if (copy_prepare(drv, &s, &c, &e) < 0)
		return fail("prepare", &e);
	copy_free(c);
	printf("ok\n");
	return 0;
}

static int with_config(const char *path, int argc, char **argv)
{
	struct config cfg = { 0 };
	struct tw_err e = { 0 };

	if (config_load(path, NULL, &cfg, &e) < 0)
		return fail("config", &e);
	int r = argc == 6   ? session(&cfg, argv)
		: argc > 6  ? run(&cfg, argv)
		: argc == 0 ? check(&cfg)
			    : 2;
	config_free(&cfg);
	return r;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "session") == 0)
		return with_config(argv[2], argc - 3, argv + 3);
	resize_early = argc >= 10 && strcmp(argv[1], "runpty-early") == 0;
	with_pty = resize_early || (argc >= 10 && strcmp(argv[1], "runpty") == 0);
	if (argc >= 10 && (strcmp(argv[1], "run") == 0 || with_pty))
		return with_config(argv[2], argc - 3, argv + 3);
	if (argc == 3 && strcmp(argv[1], "check") == 0)
		return with_config(argv[2], 0, argv + 3);
	if (argc == 3 && strcmp(argv[1], "list") == 0)
		return drv->list(argv[2], print_found, NULL) < 0;
	if (argc == 4 && strcmp(argv[1], "destroy") == 0)
		return drv->destroy(argv[2], argv[3], NULL) < 0;
	fprintf(stderr,
		"usage: lxd_client session|run|runpty|runpty-early CONF NAME SESSION USER HOME UID GID [PROGRAM ARG...] | check CONF "
		"| list PLACE | destroy PLACE NAME\n");
	return 2;
}
