/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * throwawayctl: the admin's view of the sandboxes.
 *
 *   throwawayctl list [--json]          one row per live session, with its usage
 *   throwawayctl show SESSION           everything known about one
 *   throwawayctl kill SESSION           end it as at logout
 *   throwawayctl kill --user USER       end all of a user's sessions
 *   throwawayctl gc [FILE]              collect what dead sessions left (FILE: the config)
 *   throwawayctl check-config [FILE]    validate a config, like sshd -t
 *   throwawayctl kept list [USER]       data kept by keep = yes sessions
 *   throwawayctl kept rm USER SESSION   remove kept data (or: rm --older-than DUR)
 *   throwawayctl pool fill [FILE]       make the pooled copies now (FILE: the config)
 *   throwawayctl pool drain             destroy the pooled copies
 *   throwawayctl setup-ids [FILE]       give root the subordinate ids of copies, and
 *                                       size root's kernel budgets for them
 *   throwawayctl doctor [FILE]          check that this host is ready for logins
 *   throwawayctl enroll [--force] USER  make USER sandboxed: the shell and the group
 *   throwawayctl unenroll [--shell PATH] USER   out of both again
 *
 * Root only (except check-config): it reads the root-only ledger.
 */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "budget.h"
#include "cleanup.h"
#include "config.h"
#include "ctl.h"
#include "gc.h"
#include "ledger.h"
#include "log.h"
#include "proto.h"
#include "spawn.h"
#include "subid.h"
#include "util.h"

#define KILL_TIMEOUT_MS 30000
#define DEFAULT_MAX_SESSIONS 256 /* max_sessions when there is no config */

/* What gc does from here is logged as the keeper logs it. */
static const struct gc_report ctl_gc_log = { .fn = gc_log };

static int usage(void)
{
	fprintf(stderr,
		"usage: throwawayctl list [--json] | show SESSION | kill SESSION | "
		"kill --user USER | gc [FILE] | kept list [USER] | kept rm USER SESSION | "
		"kept rm --older-than DURATION | pool fill [FILE] | pool drain | check-config [FILE] | "
		"setup-ids [FILE] | setup-disk [SIZE] | doctor [FILE] | enroll [--force] USER | "
		"unenroll [--shell PATH] USER\n");
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

/* Every record of the ledger, oldest first. */
struct entries {
	struct ledger_entry *list;
	size_t n, cap;
	const char *user; /* only this user's, when set */
};

static int collect_entry(const struct ledger_entry *e, void *data)
{
	struct entries *k = data;
	if (k->user && strcmp(e->user, k->user) != 0)
		return 0;
	struct ledger_entry *l = util_grow(k->list, &k->cap, k->n, sizeof(*l), 8);
	if (!l)
		return -ENOMEM;
	k->list = l;
	k->list[k->n++] = *e;
	return 0;
}

static int compare_started(const void *a, const void *b)
{
	const struct ledger_entry *x = a, *y = b;
	if (x->started != y->started)
		return x->started < y->started ? -1 : 1;
	return strcmp(x->session, y->session);
}

static int collect_entries(const char *user, struct entries *ret)
{
	struct entries k = { .user = user };
	int r = ledger_foreach(TW_RUNDIR, collect_entry, &k);
	if (r < 0) {
		free(k.list);
		return r;
	}
	if (k.n)
		qsort(k.list, k.n, sizeof(*k.list), compare_started);
	*ret = k;
	return 0;
}

/* A number member of a JSON object, null when unknown. */
static void json_num(const char *key, int64_t v)
{
	if (v < 0)
		printf(", \"%s\": null", key);
	else
		printf(", \"%s\": %lld", key, (long long)v);
}

static const char *entry_state(const struct ledger_entry *e)
{
	return util_proc_alive(e->keeper, e->keeper_start) ? e->state : "orphaned";
}

static void print_json(const struct ledger_entry *e, const struct copy_usage *u, bool first)
{
	char started[32];
	format_time(e->started, started, sizeof(started));
	const char *kv[] = { "session",   e->session,   "user",    e->user,
			     "container", e->container, "state",   entry_state(e),
			     "started",   started,      "rhost",   e->rhost,
			     "origin",    e->origin,    "service", e->service };
	printf("%s\n  {", first ? "" : ",");
	for (size_t i = 0; i < ELEMENTSOF(kv); i += 2) {
		printf("%s\"%s\": ", i ? ", " : "", kv[i]);
		json_str(kv[i + 1]);
	}
	printf(", \"uid\": %u, \"keeper\": %d", (unsigned)e->uid, (int)e->keeper);
	json_num("procs", u->procs);
	json_num("memory", u->memory);
	json_num("upper", u->upper);
	printf(", \"member\": ");
	json_str(u->member);
	printf("}");
}

#define ROW_FMT "%-16s  %-12s  %-36s  %-9s  %5s  %6s  %6s  %-20s  %-15s  %s\n"

static void print_row(const struct ledger_entry *e, const struct copy_usage *u)
{
	char started[32], procs[24], mem[16], upper[16];
	format_time(e->started, started, sizeof(started));
	if (u->procs < 0)
		snprintf(procs, sizeof(procs), "-");
	else
		snprintf(procs, sizeof(procs), "%lld", (long long)u->procs);
	copystat_human(u->memory, mem, sizeof(mem));
	copystat_human(u->upper, upper, sizeof(upper));
	printf(ROW_FMT, e->session, e->user, e->container, entry_state(e), procs, mem, upper,
	       started, e->rhost[0] ? e->rhost : "-", u->member[0] ? u->member : "-");
}

/*
 * Warn (on f) of every origin that runs while copies of it exist: it is the
 * lower layer of those copies, and changing it under them is undefined.
 */
static void warn_running_origins(const struct entries *k, FILE *f)
{
	struct origin_count *o = calloc(k->n ? k->n : 1, sizeof(*o));
	char msg[512];
	if (!o)
		return;
	size_t n = copystat_origins(k->list, k->n, o, k->n);
	for (size_t i = 0; i < n; i++) {
		if (!copystat_origin_running(o[i].name))
			continue;
		copystat_origin_warning(&o[i], msg, sizeof(msg));
		fprintf(f, "throwawayctl: %s\n", msg);
	}
	free(o);
}

static int cmd_list(int argc, char **argv)
{
	bool json = argc == 1 && strcmp(argv[0], "--json") == 0;
	struct entries k;
	if (argc > 1 || (argc == 1 && !json))
		return usage();
	int r = collect_entries(NULL, &k);
	if (r < 0) {
		fprintf(stderr, "throwawayctl: cannot read the sessions: %s\n", strerror(-r));
		return 1;
	}
	if (!json)
		printf(ROW_FMT, "SESSION", "USER", "CONTAINER", "STATE", "PROCS", "MEM", "UPPER",
		       "STARTED", "RHOST", "MEMBER");
	else
		printf("[");
	for (size_t i = 0; i < k.n; i++) {
		struct copy_usage u;
		copystat_read(&k.list[i], false, &u);
		if (json)
			print_json(&k.list[i], &u, i == 0);
		else
			print_row(&k.list[i], &u);
	}
	if (json)
		printf("%s]\n", k.n ? "\n" : "");
	fflush(stdout);
	warn_running_origins(&k, stderr);
	free(k.list);
	return 0;
}

/* "1.5M (1572864 bytes)", or "-" when unknown. */
static void show_size(const char *label, int64_t v)
{
	char h[16];
	copystat_human(v, h, sizeof(h));
	if (v < 0)
		printf("%-10s -\n", label);
	else
		printf("%-10s %s (%lld bytes)\n", label, h, (long long)v);
}

/* The same warning as list's, on stdout with the rest of show's report. */
static void show_origin_warning(const struct ledger_entry *e)
{
	struct origin_count o = { .copies = 0 };
	struct entries k;
	char msg[512];
	if (!e->origin[0] || !copystat_origin_running(e->origin) || collect_entries(NULL, &k) < 0)
		return;
	snprintf(o.name, sizeof(o.name), "%s", e->origin);
	for (size_t i = 0; i < k.n; i++)
		o.copies += strcmp(k.list[i].origin, e->origin) == 0;
	free(k.list);
	if (o.copies == 0)
		o.copies = 1; /* this one, gone from the ledger meanwhile */
	copystat_origin_warning(&o, msg, sizeof(msg));
	printf("%s\n", msg);
}

static int cmd_show(const char *session)
{
	struct ledger_entry e;
	struct copy_usage u;
	char started[32];
	int r = ledger_read(TW_RUNDIR, session, &e);
	if (r < 0) {
		fprintf(stderr, "throwawayctl: no session '%s'\n", session);
		return 1;
	}
	format_time(e.started, started, sizeof(started));
	copystat_read(&e, true, &u);
	printf("session:   %s\nuser:      %s (uid %u)\ncontainer: %s\nlxcpath:   %s\n"
	       "origin:    %s\nstate:     %s\nstarted:   %s\nrhost:     %s\nservice:   %s\n"
	       "keeper:    %d%s\n",
	       e.session, e.user, (unsigned)e.uid, e.container, e.lxcpath, e.origin,
	       entry_state(&e), started, e.rhost[0] ? e.rhost : "-", e.service, (int)e.keeper,
	       util_proc_alive(e.keeper, e.keeper_start) ? "" : " (gone)");
	printf("options:   %s\nlogins:    %u\n", e.options[0] ? e.options : "-",
	       e.logins ? e.logins : 1);
	printf("member:    %s\n", u.member[0] ? u.member : "-");
	printf("init:      %s\n", u.init[0] ? u.init : "-");
	printf("addresses: %s\n", u.addrs[0] ? u.addrs : "-");
	if (u.procs < 0)
		printf("procs:     -\n");
	else
		printf("procs:     %lld\n", (long long)u.procs);
	show_size("memory:", u.memory);
	show_size("upper:", u.upper);
	show_origin_warning(&e);
	return 0;
}

static int kill_one(const struct ledger_entry *e)
{
	int r = proto_close_session(e->session, "admin", 0, KILL_TIMEOUT_MS);
	if (r < 0)
		r = gc_destroy_session(TW_RUNDIR, e, "admin", &ctl_gc_log);
	if (r < 0)
		fprintf(stderr, "throwawayctl: cannot end session %s: %s\n", e->session,
			strerror(-r));
	else
		printf("ended %s (%s, %s)\n", e->session, e->user, e->container);
	return r;
}

static int cmd_kill(int argc, char **argv)
{
	struct ledger_entry e;
	struct entries k;
	int failed = 0;
	if (argc == 1) {
		if (ledger_read(TW_RUNDIR, argv[0], &e) < 0) {
			fprintf(stderr, "throwawayctl: no session '%s'\n", argv[0]);
			return 1;
		}
		return kill_one(&e) < 0 ? 1 : 0;
	}
	if (argc != 2 || strcmp(argv[0], "--user") != 0)
		return usage();
	int r = collect_entries(argv[1], &k);
	if (r < 0) {
		fprintf(stderr, "throwawayctl: cannot read the sessions: %s\n", strerror(-r));
		return 1;
	}
	for (size_t i = 0; i < k.n; i++)
		if (kill_one(&k.list[i]) < 0)
			failed = 1;
	if (k.n == 0)
		printf("no sessions of '%s'\n", argv[1]);
	free(k.list);
	return failed;
}

static int cmd_gc(const char *path)
{
	struct gc_stats st;
	struct config cfg = { 0 };
	/* The default lxcpath, then the config's places (its lxcpath if another, an LXD's). */
	struct gc_place places[1 + GC_CONFIG_PLACES] = { { copy_driver_named("lxc"),
							   "/var/lib/throwaway/containers" } };
	struct gc_place *conf = places + 1;
	char place[PATH_MAX];

	if (config_load_user(path, "root", 0, &cfg, NULL) == 0 &&
	    gc_config_places(&cfg, place, sizeof(place), conf) == 0 &&
	    strcmp(conf[0].path, places[0].path) == 0)
		memmove(conf, conf + 1, (GC_CONFIG_PLACES - 1) * sizeof(*conf)); /* listed once */
	int r = gc_run(TW_RUNDIR, places, true, &ctl_gc_log, &st);
	config_free(&cfg);
	if (r < 0) {
		fprintf(stderr, "throwawayctl: gc failed: %s\n", strerror(-r));
		return 1;
	}
	printf("gc: %u dead sessions, %u copies, %u lock files, %u cgroups, %u sockets, %u debug logs removed\n",
	       st.records, st.copies, st.locks, st.cgroups, st.sockets, st.logs);
	return 0;
}

/*
 * pool fill: top the pool up now (as every login does in the background),
 * waiting for it; pool drain: destroy every pooled copy (at shutdown).
 */
static int cmd_pool(int argc, char **argv)
{
	int st;
	if (argc == 1 && strcmp(argv[0], "drain") == 0) {
		int n = gc_drain_pool(TW_RUNDIR, NULL, &ctl_gc_log);
		if (n < 0) {
			fprintf(stderr, "throwawayctl: cannot drain the pool: %s\n", strerror(-n));
			return 1;
		}
		printf("pool drain: %d copies destroyed\n", n);
		return 0;
	}
	if (argc < 1 || argc > 2 || strcmp(argv[0], "fill") != 0 ||
	    (argc == 2 && argv[1][0] != '/'))
		return usage();
	char *const args[] = { (char *)"throwaway-keeper", (char *)"--pool-fill",
			       (char *)(argc == 2 ? argv[1] : CONFIG_DEFAULT_PATH), NULL };
	char *const envp[] = { (char *)"PATH=" SPAWN_PATH, NULL };
	const struct spawn_opts o = { .path = LIBEXECDIR "/throwaway-keeper",
				      .argv = args,
				      .envp = envp };
	struct tw_err e = { 0 };
	pid_t pid;
	if (spawn_start(&o, &e, &pid) < 0) {
		fprintf(stderr, "throwawayctl: cannot fill the pool: %s\n", e.msg);
		return 1;
	}
	if (spawn_wait(pid, -1, &st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "throwawayctl: filling the pool failed (see the system log)\n");
		return 1;
	}
	printf("pool fill: done\n");
	return 0;
}

static int cmd_check_config(const char *path)
{
	struct config cfg = { 0 };
	struct tw_err err = { 0 };
	_cleanup_close_ int fd = -EBADF;
	int r = config_open_trusted(path, &fd, &err);
	if (r >= 0)
		r = config_load_fd(fd, path, NULL, &cfg, &err);
	if (r < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	config_free(&cfg);
	printf("%s: ok\n", path);
	return 0;
}

/* max_sessions from the config at path; its default when there is none. */
static unsigned long configured_sessions(const char *path)
{
	struct config cfg = { 0 };
	struct tw_err err = { 0 };
	_cleanup_close_ int fd = -EBADF;
	int r = config_open_trusted(path, &fd, &err);
	if (r == -ENOENT)
		return DEFAULT_MAX_SESSIONS;
	if (r >= 0)
		r = config_load_fd(fd, path, NULL, &cfg, &err);
	if (r < 0) {
		fprintf(stderr, "%s; sizing for max_sessions = %d, ignoring\n", err.msg,
			DEFAULT_MAX_SESSIONS);
		return DEFAULT_MAX_SESSIONS;
	}
	unsigned long n =
		cfg.max_sessions > ULONG_MAX ? ULONG_MAX : (unsigned long)cfg.max_sessions;
	config_free(&cfg);
	return n;
}

static int cmd_setup_ids(const char *path)
{
	int r = subid_setup();
	if (r < 0) {
		fprintf(stderr, "throwawayctl: cannot update /etc/subuid and /etc/subgid: %s\n",
			strerror(-r));
		return 1;
	}
	printf("setup-ids: root owns %u ids from %u for the copies, and may pass through "
	       "ids %u to %u (%d lines added)\n",
	       SUBID_COUNT, SUBID_BASE, SUBID_USERS_FIRST,
	       SUBID_USERS_FIRST + SUBID_USERS_COUNT - 1, r);
	unsigned long sessions = configured_sessions(path);
	r = budget_setup(sessions);
	if (r < 0) {
		fprintf(stderr, "throwawayctl: cannot size root's kernel budgets: %s\n",
			strerror(-r));
		return 1;
	}
	printf("setup-ids: root's kernel budgets hold %lu copies beside root's own "
	       "(%d raised, kept in %s)\n",
	       sessions, r, BUDGET_SYSCTL_FILE);
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
	if (strcmp(cmd, "gc") == 0 && argc <= 3)
		return cmd_gc(argc == 3 ? argv[2] : CONFIG_DEFAULT_PATH);
	if (strcmp(cmd, "pool") == 0)
		return cmd_pool(argc - 2, argv + 2);
	if (strcmp(cmd, "kept") == 0)
		return kept_cmd(argc - 2, argv + 2);
	if (strcmp(cmd, "setup-ids") == 0 && argc <= 3)
		return cmd_setup_ids(argc == 3 ? argv[2] : CONFIG_DEFAULT_PATH);
	if (strcmp(cmd, "setup-disk") == 0)
		return disk_cmd(argc - 2, argv + 2);
	if (strcmp(cmd, "doctor") == 0 && argc <= 3)
		return doctor_run(argc == 3 ? argv[2] : CONFIG_DEFAULT_PATH);
	if (strcmp(cmd, "enroll") == 0)
		return enroll_cmd(argc - 2, argv + 2);
	if (strcmp(cmd, "unenroll") == 0)
		return unenroll_cmd(argc - 2, argv + 2);
	return usage();
}
