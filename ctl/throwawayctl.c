/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * throwawayctl: the admin's view of the sandboxes.
 *
 *   throwawayctl list [--json]          one row per live session
 *   throwawayctl show SESSION           everything known about one
 *   throwawayctl kill SESSION           end it as at logout
 *   throwawayctl kill --user USER       end all of a user's sessions
 *   throwawayctl gc                     collect what dead sessions left
 *   throwawayctl check-config [FILE]    validate a config, like sshd -t
 *   throwawayctl setup-ids              give root the subordinate ids of copies
 *
 * Root only (except check-config): it reads the root-only ledger.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "config.h"
#include "gc.h"
#include "ledger.h"
#include "log.h"
#include "proto.h"
#include "subid.h"
#include "util.h"

#define KILL_TIMEOUT_MS 30000

static int usage(void)
{
	fprintf(stderr, "usage: throwawayctl list [--json] | show SESSION | kill SESSION | "
			"kill --user USER | gc | check-config [FILE] | setup-ids\n");
	return 2;
}

static void format_time(time_t t, char *buf, size_t len)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A JSON string: quotes, backslashes and control characters escaped. */
static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

struct list_ctx {
	bool json;
	size_t n;
};

static int print_row(const struct ledger_entry *e, void *data)
{
	struct list_ctx *l = data;
	char started[32];
	const char *state = util_proc_alive(e->keeper, e->keeper_start) ? e->state : "orphaned";

	format_time(e->started, started, sizeof(started));
	if (l->json) {
		const char *kv[] = { "session", e->session, "user", e->user, "container", e->container,
				     "state", state, "started", started, "rhost", e->rhost,
				     "origin", e->origin, "service", e->service };
		printf("%s\n  {", l->n ? "," : "");
		for (size_t i = 0; i < ELEMENTSOF(kv); i += 2) {
			printf("%s\"%s\": ", i ? ", " : "", kv[i]);
			json_str(kv[i + 1]);
		}
		printf(", \"uid\": %u, \"keeper\": %d}", (unsigned)e->uid, (int)e->keeper);
	} else {
		printf("%-16s  %-12s  %-36s  %-9s  %s  %s\n", e->session, e->user, e->container,
		       state, started, e->rhost[0] ? e->rhost : "-");
	}
	l->n++;
	return 0;
}

static int cmd_list(int argc, char **argv)
{
	struct list_ctx l = { .json = argc == 1 && strcmp(argv[0], "--json") == 0 };
	if (argc > 1 || (argc == 1 && !l.json))
		return usage();
	if (l.json)
		printf("[");
	else
		printf("%-16s  %-12s  %-36s  %-9s  %-20s  %s\n", "SESSION", "USER", "CONTAINER",
		       "STATE", "STARTED", "RHOST");
	int r = ledger_foreach(TW_RUNDIR, print_row, &l);
	if (l.json)
		printf("%s]\n", l.n ? "\n" : "");
	if (r < 0) {
		fprintf(stderr, "throwawayctl: cannot read the sessions: %s\n", strerror(-r));
		return 1;
	}
	return 0;
}

static int cmd_show(const char *session)
{
	struct ledger_entry e;
	char started[32];
	int r = ledger_read(TW_RUNDIR, session, &e);
	if (r < 0) {
		fprintf(stderr, "throwawayctl: no session '%s'\n", session);
		return 1;
	}
	format_time(e.started, started, sizeof(started));
	printf("session:   %s\nuser:      %s (uid %u)\ncontainer: %s\nlxcpath:   %s\n"
	       "origin:    %s\nstate:     %s\nstarted:   %s\nrhost:     %s\nservice:   %s\n"
	       "keeper:    %d%s\n",
	       e.session, e.user, (unsigned)e.uid, e.container, e.lxcpath, e.origin, e.state,
	       started, e.rhost[0] ? e.rhost : "-", e.service, (int)e.keeper,
	       util_proc_alive(e.keeper, e.keeper_start) ? "" : " (gone)");
	return 0;
}

/* Ask the keeper to end the session as at logout; wait until it is gone. */
static int ask_close(const char *session)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct proto_msg m;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/sock/%s", TW_RUNDIR, session);
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	int r = proto_begin(&m, "close") ?: proto_put(&m, "reason", "admin");
	if (r == 0)
		r = proto_send(fd, &m, NULL, 0);
	proto_free(&m);
	if (r == 0)
		r = proto_recv(fd, &m, NULL, 0, NULL, KILL_TIMEOUT_MS);
	if (r == 0)
		r = strcmp(m.type, "closed") == 0 ? 0 : -EIO;
	proto_free(&m);
	return r;
}

static int kill_one(const struct ledger_entry *e)
{
	int r = ask_close(e->session);
	if (r < 0)
		r = gc_destroy_session(TW_RUNDIR, e, "admin");
	if (r < 0)
		fprintf(stderr, "throwawayctl: cannot end session %s: %s\n", e->session, strerror(-r));
	else
		printf("ended %s (%s, %s)\n", e->session, e->user, e->container);
	return r;
}

struct kill_ctx {
	const char *user;
	int failed;
	size_t n;
	struct ledger_entry *list;
	size_t cap;
};

static int collect_user(const struct ledger_entry *e, void *data)
{
	struct kill_ctx *k = data;
	if (strcmp(e->user, k->user) != 0)
		return 0;
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 8;
		struct ledger_entry *l = realloc(k->list, cap * sizeof(*l));
		if (!l)
			return -ENOMEM;
		k->list = l;
		k->cap = cap;
	}
	k->list[k->n++] = *e;
	return 0;
}

static int cmd_kill(int argc, char **argv)
{
	struct ledger_entry e;
	if (argc == 1) {
		if (ledger_read(TW_RUNDIR, argv[0], &e) < 0) {
			fprintf(stderr, "throwawayctl: no session '%s'\n", argv[0]);
			return 1;
		}
		return kill_one(&e) < 0 ? 1 : 0;
	}
	if (argc != 2 || strcmp(argv[0], "--user") != 0)
		return usage();
	struct kill_ctx k = { .user = argv[1] };
	int r = ledger_foreach(TW_RUNDIR, collect_user, &k);
	for (size_t i = 0; r >= 0 && i < k.n; i++)
		if (kill_one(&k.list[i]) < 0)
			k.failed = 1;
	if (k.n == 0)
		printf("no sessions of '%s'\n", argv[1]);
	free(k.list);
	return r < 0 || k.failed ? 1 : 0;
}

static int cmd_gc(void)
{
	struct gc_stats st;
	struct config cfg = { 0 };
	char err[CONFIG_ERR_MAX];
	const char *paths[3] = { "/var/lib/throwaway/containers", NULL, NULL };

	/* The configured lxcpath too, when the config can be read. */
	if (config_load_user(CONFIG_DEFAULT_PATH, "root", 0, &cfg, err) == 0 &&
	    strcmp(cfg.lxcpath, paths[0]) != 0)
		paths[1] = cfg.lxcpath;
	int r = gc_run(TW_RUNDIR, paths, true, &st);
	config_free(&cfg);
	if (r < 0) {
		fprintf(stderr, "throwawayctl: gc failed: %s\n", strerror(-r));
		return 1;
	}
	printf("gc: %u dead sessions, %u copies, %u lock files, %u cgroups, %u sockets removed\n",
	       st.records, st.copies, st.locks, st.cgroups, st.sockets);
	return 0;
}

static int cmd_check_config(const char *path)
{
	struct config cfg = { 0 };
	char err[CONFIG_ERR_MAX];
	_cleanup_close_ int fd = -EBADF;
	int r = config_open_trusted(path, &fd, err);
	if (r >= 0)
		r = config_load_fd(fd, path, NULL, &cfg, err);
	if (r < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	config_free(&cfg);
	printf("%s: ok\n", path);
	return 0;
}

static int cmd_setup_ids(void)
{
	int r = subid_setup();
	if (r < 0) {
		fprintf(stderr, "throwawayctl: cannot update /etc/subuid and /etc/subgid: %s\n",
			strerror(-r));
		return 1;
	}
	printf("setup-ids: root owns %u ids from %u for the copies, and may pass through "
	       "ids %u to %u (%d lines added)\n",
	       SUBID_COUNT, SUBID_BASE, SUBID_USERS_FIRST, SUBID_USERS_FIRST + SUBID_USERS_COUNT - 1, r);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	const char *cmd = argv[1];
	log_open(false);
	if (strcmp(cmd, "check-config") == 0 && argc <= 3)
		return cmd_check_config(argc == 3 ? argv[2] : CONFIG_DEFAULT_PATH);
	if (geteuid() != 0) {
		fprintf(stderr, "throwawayctl: %s needs root\n", cmd);
		return 1;
	}
	if (strcmp(cmd, "list") == 0)
		return cmd_list(argc - 2, argv + 2);
	if (strcmp(cmd, "show") == 0 && argc == 3)
		return cmd_show(argv[2]);
	if (strcmp(cmd, "kill") == 0)
		return cmd_kill(argc - 2, argv + 2);
	if (strcmp(cmd, "gc") == 0 && argc == 2)
		return cmd_gc();
	if (strcmp(cmd, "setup-ids") == 0 && argc == 2)
		return cmd_setup_ids();
	return usage();
}
