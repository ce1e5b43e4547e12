/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for common/host/ledger.c (cmocka). Run as root (the ledger checks
 * ownership). Each test gets its own rundir below a fresh
 * /run/tw-unit.XXXXXX, removed again by the teardown; /run/throwaway is
 * never touched.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "ledger.h"
#include "util.h"

#define SID_A "0123456789abcdef"
#define SID_B "fedcba9876543210"
#define SID_C "00000000deadbeef"
#define SID_D "1111111111111111"

/* Helpers ------------------------------------------------------------- */

struct fixture {
	char dir[64];
	char rundir[96];  /* dir/rt: made by ledger_init */
	char ledger[128]; /* rundir/ledger */
};

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (type == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? -1 : 0;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/run/tw-unit.XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->rundir, sizeof(f->rundir), "%s/rt", f->dir);
	snprintf(f->ledger, sizeof(f->ledger), "%s/ledger", f->rundir);
	*state = f;
	return 0;
}

/* The same, with ledger_init already done. */
static int setup_init(void **state)
{
	if (setup(state) < 0)
		return -1;
	struct fixture *f = *state;
	return ledger_init(f->rundir) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int r = nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);

	free(f);
	return r;
}

/* f->ledger "/" name, into buf. */
static const char *in_ledger(const struct fixture *f, const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", f->ledger, name);

	assert_true(n > 0 && (size_t)n < len);
	return buf;
}

static void put_file(const struct fixture *f, const char *name, const char *text)
{
	char p[256];
	int fd = open(in_ledger(f, name, p, sizeof(p)), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		      0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* A fully filled-in entry. */
static void sample(struct ledger_entry *e, const char *session, uid_t uid, pid_t keeper,
		   uint64_t keeper_start)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->session, sizeof(e->session), "%s", session);
	snprintf(e->user, sizeof(e->user), "user%u", (unsigned)uid);
	e->uid = uid;
	snprintf(e->container, sizeof(e->container), "base-user%u-abc123", (unsigned)uid);
	snprintf(e->lxcpath, sizeof(e->lxcpath), "/var/lib/throwaway/containers");
	snprintf(e->origin, sizeof(e->origin), "base");
	snprintf(e->state, sizeof(e->state), "running");
	snprintf(e->rhost, sizeof(e->rhost), "192.0.2.7");
	snprintf(e->service, sizeof(e->service), "sshd");
	e->keeper = keeper;
	e->keeper_start = keeper_start;
	e->caller = 4242;
	e->started = 1700000000;
	snprintf(e->share, sizeof(e->share), "user");
	e->logins = 3;
	snprintf(e->addr, sizeof(e->addr), "10.251.3.17");
	snprintf(e->options, sizeof(e->options), "storage=dir keep=yes devices=/dev/a,/dev/b");
}

static void assert_entry_equal(const struct ledger_entry *a, const struct ledger_entry *b)
{
	assert_string_equal(a->session, b->session);
	assert_string_equal(a->user, b->user);
	assert_int_equal(a->uid, b->uid);
	assert_string_equal(a->container, b->container);
	assert_string_equal(a->lxcpath, b->lxcpath);
	assert_string_equal(a->origin, b->origin);
	assert_string_equal(a->state, b->state);
	assert_string_equal(a->rhost, b->rhost);
	assert_string_equal(a->service, b->service);
	assert_int_equal(a->keeper, b->keeper);
	assert_int_equal(a->keeper_start, b->keeper_start);
	assert_int_equal(a->caller, b->caller);
	assert_int_equal(a->started, b->started);
	assert_string_equal(a->share, b->share);
	assert_int_equal(a->logins, b->logins);
	assert_string_equal(a->addr, b->addr);
	assert_string_equal(a->options, b->options);
}

static void assert_mode(const char *path, mode_t mode)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode) || S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, mode);
	assert_int_equal(st.st_uid, 0);
	assert_int_equal(st.st_gid, 0);
}

/* The names in the ledger directory other than "." "..", sorted, joined by ' '. */
static void list_ledger(const struct fixture *f, char *out, size_t len)
{
	struct dirent **names;
	int n = scandir(f->ledger, &names, NULL, alphasort);

	assert_true(n >= 0);
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		const char *d = names[i]->d_name;
		if (strcmp(d, ".") != 0 && strcmp(d, "..") != 0) {
			if (out[0])
				strncat(out, " ", len - strlen(out) - 1);
			strncat(out, d, len - strlen(out) - 1);
		}
		free(names[i]);
	}
	free(names);
}

/* A pid that existed and is gone: a child that exited and was reaped. */
static pid_t reaped_pid(void)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return pid;
}

static uint64_t my_starttime(void)
{
	uint64_t st;

	assert_int_equal(util_proc_starttime(getpid(), &st), 0);
	return st;
}

/* ledger_init ---------------------------------------------------------- */

static void test_ledger_init_modes(void **state)
{
	struct fixture *f = *state;
	char p[160];

	mode_t old = umask(0077); /* the modes must not depend on the umask */
	int r = ledger_init(f->rundir);
	umask(old);
	assert_int_equal(r, 0);
	assert_mode(f->rundir, 0711);
	assert_mode(f->ledger, 0700);
	snprintf(p, sizeof(p), "%s/sock", f->rundir);
	assert_mode(p, 0711);
	/* Again: nothing to do, still fine. */
	assert_int_equal(ledger_init(f->rundir), 0);
}

static void test_ledger_init_fixes_modes(void **state)
{
	struct fixture *f = *state;
	char p[160];

	assert_int_equal(ledger_init(f->rundir), 0);
	snprintf(p, sizeof(p), "%s/sock", f->rundir);
	assert_int_equal(chmod(f->rundir, 0777), 0);
	assert_int_equal(chmod(f->ledger, 0755), 0);
	assert_int_equal(chmod(p, 01777), 0);
	assert_int_equal(ledger_init(f->rundir), 0);
	assert_mode(f->rundir, 0711);
	assert_mode(f->ledger, 0700);
	assert_mode(p, 0711);
}

static void test_ledger_init_not_root_owned(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(ledger_init(f->rundir), 0);
	assert_int_equal(chown(f->ledger, 65534, 65534), 0);
	assert_int_equal(ledger_init(f->rundir), -EPERM);
}

static void test_ledger_init_symlink(void **state)
{
	struct fixture *f = *state;
	char real[128];

	snprintf(real, sizeof(real), "%s/real", f->dir);
	assert_int_equal(mkdir(real, 0755), 0);
	assert_int_equal(symlink(real, f->rundir), 0);
	assert_true(ledger_init(f->rundir) < 0);
	struct stat st;
	snprintf(real, sizeof(real), "%s/real/ledger", f->dir);
	assert_int_equal(lstat(real, &st), -1); /* nothing made through the link */
}

static void test_ledger_init_missing_parent(void **state)
{
	struct fixture *f = *state;
	char p[160];

	snprintf(p, sizeof(p), "%s/no/such", f->dir);
	assert_int_equal(ledger_init(p), -ENOENT);
}

/* ledger_write / ledger_read ------------------------------------------- */

static void test_ledger_write_read_roundtrip(void **state)
{
	struct fixture *f = *state;
	struct ledger_entry e, got;

	sample(&e, SID_A, 1000, 12345, 987654321);
	/* Values with spaces, '=' and punctuation survive. */
	snprintf(e.user, sizeof(e.user), "Domain User=x");
	snprintf(e.rhost, sizeof(e.rhost), "host name=with spaces.example");
	snprintf(e.service, sizeof(e.service), "su-l");
	snprintf(e.state, sizeof(e.state), "stopping");
	e.uid = 4294967294U;
	e.keeper = 2147483647;
	e.keeper_start = 9223372036854775807ULL;
	e.caller = 1;
	e.started = 4102444800; /* past 2038 */
	assert_int_equal(ledger_write(f->rundir, &e), 0);
	memset(&got, 0x5a, sizeof(got));
	assert_int_equal(ledger_read(f->rundir, SID_A, &got), 0);
	assert_entry_equal(&e, &got);
}

static void test_ledger_write_read_empty_fields(void **state)
{
	struct fixture *f = *state;
	struct ledger_entry e = { 0 }, got;

	snprintf(e.session, sizeof(e.session), SID_B);
	assert_int_equal(ledger_write(f->rundir, &e), 0);
	assert_int_equal(ledger_read(f->rundir, SID_B, &got), 0);
	assert_entry_equal(&e, &got);
}

static void test_ledger_write_no_temp_file(void **state)
{
	struct fixture *f = *state;
	struct ledger_entry e;
	char names[512], p[256];

	sample(&e, SID_A, 1000, 1, 1);
	assert_int_equal(ledger_write(f->rundir, &e), 0);
	list_ledger(f, names, sizeof(names));
	assert_string_equal(names, SID_A);
	assert_mode(in_ledger(f, SID_A, p, sizeof(p)), 0600);
	/* A stale temp file from a crashed writer is replaced, not in the way. */
	put_file(f, "." SID_B ".tmp", "junk");
	sample(&e, SID_B, 1000, 1, 1);
	assert_int_equal(ledger_write(f->rundir, &e), 0);
	list_ledger(f, names, sizeof(names));
	assert_string_equal(names, SID_A " " SID_B);
}

static void test_ledger_write_replaces(void **state)
{
	struct fixture *f = *state;
	struct ledger_entry e, got;

	sample(&e, SID_A, 1000, 1, 1);
	snprintf(e.state, sizeof(e.state), "starting");
	assert_int_equal(ledger_write(f->rundir, &e), 0);
	snprintf(e.state, sizeof(e.state), "running");
	snprintf(e.container, sizeof(e.container), "x");
	assert_int_equal(ledger_write(f->rundir, &e), 0);
	assert_int_equal(ledger_read(f->rundir, SID_A, &got), 0);
	assert_string_equal(got.state, "running");
	assert_string_equal(got.container, "x");
}

static void test_ledger_write_invalid_session(void **state)
{
	static const char *const bad[] = {
		"",      "0123456789ABCDEF", "0123456789abcde", "../../../../etc",
		".lock", "0123456789abcdeg"
	};
	struct fixture *f = *state;
	struct ledger_entry e;
	char names[512];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sample(&e, SID_A, 1000, 1, 1);
		snprintf(e.session, sizeof(e.session), "%s", bad[i]);
		assert_int_equal(ledger_write(f->rundir, &e), -EINVAL);
	}
	list_ledger(f, names, sizeof(names));
	assert_string_equal(names, "");
}

static void test_ledger_write_newline(void **state)
{
	struct fixture *f = *state;
	struct ledger_entry e;
	char names[512];

	sample(&e, SID_A, 1000, 1, 1);
	snprintf(e.user, sizeof(e.user), "alice\nuid=0");
	assert_int_equal(ledger_write(f->rundir, &e), -EINVAL);
	sample(&e, SID_A, 1000, 1, 1);
	snprintf(e.rhost, sizeof(e.rhost), "evil\nkeeper=1");
	assert_int_equal(ledger_write(f->rundir, &e), -EINVAL);
	list_ledger(f, names, sizeof(names));
	assert_string_equal(names, "");
}

static void test_ledger_write_no_init(void **state)
{
	struct fixture *f = *state;
	struct ledger_entry e;

	sample(&e, SID_A, 1000, 1, 1);
	assert_int_equal(ledger_write(f->rundir, &e), -ENOENT);
}

static void test_ledger_read_missing(void **state)
{
	struct fixture *f = *state;
	struct ledger_entry got;

	assert_int_equal(ledger_read(f->rundir, SID_A, &got), -ENOENT);
}

static void test_ledger_read_invalid_session(void **state)
{
	struct fixture *f = *state;
	struct ledger_entry got;

	put_file(f, ".lock-ish", "session=" SID_A "\n");
	assert_int_equal(ledger_read(f->rundir, ".lock-ish", &got), -EINVAL);
	assert_int_equal(ledger_read(f->rundir, "../ledger/" SID_A, &got), -EINVAL);
	assert_int_equal(ledger_read(f->rundir, "0123456789ABCDEF", &got), -EINVAL);
	assert_int_equal(ledger_read(f->rundir, NULL, &got), -EINVAL);
}

static void test_ledger_read_symlink(void **state)
{
	struct fixture *f = *state;
	struct ledger_entry e, got;
	char p[256];

	sample(&e, SID_A, 1000, 1, 1);
	assert_int_equal(ledger_write(f->rundir, &e), 0);
	assert_int_equal(symlink(SID_A, in_ledger(f, SID_B, p, sizeof(p))), 0);
	assert_int_equal(ledger_read(f->rundir, SID_B, &got), -ELOOP);
}

static void test_ledger_read_oversized(void **state)
{
	struct fixture *f = *state;
	struct ledger_entry got;
	static char big[16384];

	memset(big, 'x', sizeof(big) - 1);
	memcpy(big, "session=" SID_A "\nfoo=", 29);
	put_file(f, SID_A, big);
	assert_int_equal(ledger_read(f->rundir, SID_A, &got), -EFBIG);
}

static void test_ledger_read_garbage(void **state)
{
	struct fixture *f = *state;
	struct ledger_entry got;

	put_file(f, SID_A, "this is not a ledger record\n");
	assert_int_equal(ledger_read(f->rundir, SID_A, &got), -EINVAL);
	put_file(f, SID_B, "");
	assert_int_equal(ledger_read(f->rundir, SID_B, &got), -EINVAL);
	/* A record must be named after its own session. */
	put_file(f, SID_A, "session=" SID_B "\nuser=x\n");
	assert_int_equal(ledger_read(f->rundir, SID_A, &got), -EINVAL);
}

/* ledger_remove -------------------------------------------------------- */

static void test_ledger_remove_ok(void **state)
{
	struct fixture *f = *state;
	struct ledger_entry e, got;
	char names[512];

	sample(&e, SID_A, 1000, 1, 1);
	assert_int_equal(ledger_write(f->rundir, &e), 0);
	assert_int_equal(ledger_remove(f->rundir, SID_A), 0);
	assert_int_equal(ledger_read(f->rundir, SID_A, &got), -ENOENT);
	list_ledger(f, names, sizeof(names));
	assert_string_equal(names, "");
}

/* A writer killed before its rename left its temporary file: it goes too. */
static void test_ledger_remove_killed_writer(void **state)
{
	struct fixture *f = *state;
	struct ledger_entry e;
	char names[512];

	sample(&e, SID_A, 1000, 1, 1);
	assert_int_equal(ledger_write(f->rundir, &e), 0);
	put_file(f, "." SID_A ".tmp", "");
	assert_int_equal(ledger_remove(f->rundir, SID_A), 0);
	list_ledger(f, names, sizeof(names));
	assert_string_equal(names, "");
}

static void test_ledger_remove_missing(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(ledger_remove(f->rundir, SID_A), -ENOENT);
}

static void test_ledger_remove_invalid_session(void **state)
{
	struct fixture *f = *state;
	char names[512];

	put_file(f, ".lock", "");
	assert_int_equal(ledger_remove(f->rundir, ".lock"), -EINVAL);
	assert_int_equal(ledger_remove(f->rundir, "../ledger/.lock"), -EINVAL);
	assert_int_equal(ledger_remove(f->rundir, NULL), -EINVAL);
	list_ledger(f, names, sizeof(names));
	assert_string_equal(names, ".lock");
}

/* ledger_count --------------------------------------------------------- */

static void test_ledger_count_live_and_dead(void **state)
{
	struct fixture *f = *state;
	struct ledger_entry e;
	uint64_t st = my_starttime();
	pid_t dead = reaped_pid();
	unsigned all = 99, user = 99;

	sample(&e, SID_A, 1000, getpid(), st); /* live, uid 1000 */
	assert_int_equal(ledger_write(f->rundir, &e), 0);
	sample(&e, SID_B, 1001, getpid(), st); /* live, uid 1001 */
	assert_int_equal(ledger_write(f->rundir, &e), 0);
	sample(&e, SID_C, 1000, dead, st); /* keeper gone */
	assert_int_equal(ledger_write(f->rundir, &e), 0);
	sample(&e, SID_D, 1000, getpid(), st + 1); /* pid reused: other start time */
	assert_int_equal(ledger_write(f->rundir, &e), 0);

	assert_int_equal(ledger_count(f->rundir, 1000, &all, &user), 0);
	assert_int_equal(all, 2);
	assert_int_equal(user, 1);
	assert_int_equal(ledger_count(f->rundir, 1001, &all, &user), 0);
	assert_int_equal(all, 2);
	assert_int_equal(user, 1);
	assert_int_equal(ledger_count(f->rundir, 5, &all, &user), 0);
	assert_int_equal(all, 2);
	assert_int_equal(user, 0);
}

static void test_ledger_count_pid_zero(void **state)
{
	struct fixture *f = *state;
	struct ledger_entry e;
	unsigned all = 99, user = 99;

	sample(&e, SID_A, 1000, 0, 0); /* keeper not recorded yet */
	assert_int_equal(ledger_write(f->rundir, &e), 0);
	assert_int_equal(ledger_count(f->rundir, 1000, &all, &user), 0);
	assert_int_equal(all, 0);
	assert_int_equal(user, 0);
}

static void test_ledger_count_empty(void **state)
{
	struct fixture *f = *state;
	unsigned all = 99, user = 99;

	assert_int_equal(ledger_count(f->rundir, 1000, &all, &user), 0);
	assert_int_equal(all, 0);
	assert_int_equal(user, 0);
}

static void test_ledger_count_no_ledger_dir(void **state)
{
	struct fixture *f = *state;
	unsigned all = 99, user = 99;

	/* Before the first login: nothing there yet, zero sessions. */
	assert_int_equal(ledger_count(f->rundir, 1000, &all, &user), 0);
	assert_int_equal(all, 0);
	assert_int_equal(user, 0);
}

/* ledger_foreach ------------------------------------------------------- */

struct collected {
	unsigned n;
	char sessions[8][NAMES_SESSION_LEN + 1];
};

static int collect(const struct ledger_entry *e, void *data)
{
	struct collected *c = data;

	if (c->n < 8)
		snprintf(c->sessions[c->n], sizeof(c->sessions[0]), "%s", e->session);
	c->n++;
	return 0;
}

static void test_ledger_foreach_skips_bad_records(void **state)
{
	struct fixture *f = *state;
	struct ledger_entry e;
	struct collected c = { 0 };
	char p[256];
	static char big[16384];

	sample(&e, SID_A, 1000, 1, 1);
	assert_int_equal(ledger_write(f->rundir, &e), 0);
	/* Garbage, empty and oversized files under valid names. */
	put_file(f, SID_B, "garbage without equals\n");
	put_file(f, SID_C, "");
	memset(big, 'x', sizeof(big) - 1);
	memcpy(big, "session=" SID_D "\nfoo=", 29);
	put_file(f, SID_D, big);
	/* Not regular files, under valid names. */
	assert_int_equal(mkdir(in_ledger(f, "2222222222222222", p, sizeof(p)), 0700), 0);
	assert_int_equal(mkfifo(in_ledger(f, "3333333333333333", p, sizeof(p)), 0600), 0);
	assert_int_equal(symlink(SID_A, in_ledger(f, "4444444444444444", p, sizeof(p))), 0);
	/* Good content under invalid names. */
	put_file(f, "5555555555555555.tmp", "session=5555555555555555\n");
	put_file(f, ".5555555555555555.tmp", "session=5555555555555555\n");
	put_file(f, "ABCDEFABCDEFABCD", "session=abcdefabcdefabcd\n");
	put_file(f, ".lock", "");

	assert_int_equal(ledger_foreach(f->rundir, collect, &c), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.sessions[0], SID_A);
}

static void test_ledger_foreach_all(void **state)
{
	struct fixture *f = *state;
	struct ledger_entry e;
	struct collected c = { 0 };

	sample(&e, SID_A, 1000, 1, 1);
	assert_int_equal(ledger_write(f->rundir, &e), 0);
	sample(&e, SID_B, 1001, 1, 1);
	assert_int_equal(ledger_write(f->rundir, &e), 0);
	sample(&e, SID_C, 1002, 1, 1);
	assert_int_equal(ledger_write(f->rundir, &e), 0);
	assert_int_equal(ledger_foreach(f->rundir, collect, &c), 0);
	assert_int_equal(c.n, 3);
	int seen = 0;
	for (unsigned i = 0; i < 3; i++)
		seen |= strcmp(c.sessions[i], SID_A) == 0   ? 1
			: strcmp(c.sessions[i], SID_B) == 0 ? 2
			: strcmp(c.sessions[i], SID_C) == 0 ? 4
							    : 8;
	assert_int_equal(seen, 7);
}

static int stop_at_first(const struct ledger_entry *e, void *data)
{
	(void)e;
	++*(unsigned *)data;
	return -EINTR;
}

static void test_ledger_foreach_stops_on_error(void **state)
{
	struct fixture *f = *state;
	struct ledger_entry e;
	unsigned calls = 0;

	sample(&e, SID_A, 1000, 1, 1);
	assert_int_equal(ledger_write(f->rundir, &e), 0);
	sample(&e, SID_B, 1000, 1, 1);
	assert_int_equal(ledger_write(f->rundir, &e), 0);
	assert_int_equal(ledger_foreach(f->rundir, stop_at_first, &calls), -EINTR);
	assert_int_equal(calls, 1);
}

static int remove_each(const struct ledger_entry *e, void *data)
{
	return ledger_remove((const char *)data, e->session);
}

static void test_ledger_foreach_remove_while_iterating(void **state)
{
	struct fixture *f = *state;
	struct ledger_entry e;
	char names[512];

	sample(&e, SID_A, 1000, 1, 1);
	assert_int_equal(ledger_write(f->rundir, &e), 0);
	sample(&e, SID_B, 1000, 1, 1);
	assert_int_equal(ledger_write(f->rundir, &e), 0);
	assert_int_equal(ledger_foreach(f->rundir, remove_each, f->rundir), 0);
	list_ledger(f, names, sizeof(names));
	assert_string_equal(names, "");
}

/* ledger_parse --------------------------------------------------------- */

static void test_ledger_parse_minimal(void **state)
{
	struct ledger_entry got;

	(void)state;
	memset(&got, 0x5a, sizeof(got));
	assert_int_equal(ledger_parse("session=" SID_A "\n", &got), 0);
	assert_string_equal(got.session, SID_A);
	assert_string_equal(got.user, "");
	assert_int_equal(got.uid, 0);
	assert_int_equal(got.keeper, 0);
	/* No trailing newline, blank lines. */
	assert_int_equal(ledger_parse("\n\nuid=7\n\nsession=" SID_A, &got), 0);
	assert_int_equal(got.uid, 7);
}

static void test_ledger_parse_values_with_equals(void **state)
{
	struct ledger_entry got;

	(void)state;
	assert_int_equal(ledger_parse("session=" SID_A "\nrhost=a=b c\nuser=\n", &got), 0);
	assert_string_equal(got.rhost, "a=b c");
	assert_string_equal(got.user, "");
}

static void test_ledger_parse_bad_number(void **state)
{
	static const char *const bad[] = {
		"uid=abc",
		"uid=",
		"uid=-1",
		"uid=12x",
		"uid=0x10",
		"uid=4294967295", /* (uid_t)-1 */
		"uid=99999999999999999999999",
		"keeper=-5",
		"keeper=2147483648",
		"keeper=",
		"caller=1.5",
		"caller=2147483648",
		"keeper_start=-1",
		"keeper_start=99999999999999999999",
		"keeper_start=x",
		"started=-5",
		"started=soon",
		"started=",
		"uid=+5",
		"uid= 5",
		"keeper=\t7",
	};
	char text[256];
	struct ledger_entry got;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "session=" SID_A "\n%s\n", bad[i]);
		memset(&got, 0x5a, sizeof(got));
		assert_int_equal(ledger_parse(text, &got), -EINVAL);
		assert_int_equal((unsigned char)got.session[0], 0x5a); /* untouched */
	}
}

static void test_ledger_parse_number_bounds(void **state)
{
	struct ledger_entry got;

	(void)state;
	assert_int_equal(ledger_parse("session=" SID_A "\nuid=4294967294\nkeeper=2147483647\n"
				      "caller=0\nkeeper_start=9223372036854775807\nstarted=0\n",
				      &got),
			 0);
	assert_int_equal(got.uid, 4294967294U);
	assert_int_equal(got.keeper, 2147483647);
	assert_int_equal(got.caller, 0);
	assert_int_equal(got.keeper_start, 9223372036854775807ULL);
	assert_int_equal(got.started, 0);
}

static void test_ledger_parse_missing_equals(void **state)
{
	struct ledger_entry got;

	(void)state;
	assert_int_equal(ledger_parse("session=" SID_A "\nuser alice\n", &got), -EINVAL);
	assert_int_equal(ledger_parse("session " SID_A "\n", &got), -EINVAL);
}

static void test_ledger_parse_invalid_session(void **state)
{
	struct ledger_entry got;

	(void)state;
	assert_int_equal(ledger_parse("", &got), -EINVAL);
	assert_int_equal(ledger_parse("user=alice\nuid=1000\n", &got), -EINVAL);
	assert_int_equal(ledger_parse("session=\n", &got), -EINVAL);
	assert_int_equal(ledger_parse("session=0123456789ABCDEF\n", &got), -EINVAL);
	assert_int_equal(ledger_parse("session=0123456789abcde\n", &got), -EINVAL);
	assert_int_equal(ledger_parse("session=../../etc/passwd\n", &got), -EINVAL);
	/* Longer than the field: refused, not cut to a valid id. */
	assert_int_equal(ledger_parse("session=" SID_A "0\n", &got), -EINVAL);
}

static void test_ledger_parse_unknown_key(void **state)
{
	struct ledger_entry got;

	(void)state;
	assert_int_equal(ledger_parse("future=thing\nsession=" SID_A "\nx=\n", &got), 0);
	assert_string_equal(got.session, SID_A);
}

static void test_ledger_parse_too_long_value(void **state)
{
	char text[LEDGER_FIELD_MAX + 64];
	struct ledger_entry got;

	(void)state;
	/* LEDGER_FIELD_MAX - 1 characters fit, LEDGER_FIELD_MAX do not. */
	int n = snprintf(text, sizeof(text), "session=" SID_A "\nuser=");
	memset(text + n, 'a', LEDGER_FIELD_MAX - 1);
	text[n + LEDGER_FIELD_MAX - 1] = '\0';
	assert_int_equal(ledger_parse(text, &got), 0);
	assert_int_equal(strlen(got.user), LEDGER_FIELD_MAX - 1);
	strcat(text, "a");
	assert_int_equal(ledger_parse(text, &got), -EINVAL);
	/* A short field: service holds 63. */
	snprintf(text, sizeof(text), "session=" SID_A "\nservice=%0*d\n", 64, 0);
	assert_int_equal(ledger_parse(text, &got), -EINVAL);
	snprintf(text, sizeof(text), "session=" SID_A "\nstate=%0*d\n", 32, 0);
	assert_int_equal(ledger_parse(text, &got), -EINVAL);
}

/* ledger_format -------------------------------------------------------- */

static void test_ledger_format_roundtrip(void **state)
{
	struct ledger_entry e, got;
	char buf[4096];

	(void)state;
	sample(&e, SID_A, 1000, 321, 654);
	int n = ledger_format(&e, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(buf));
	assert_non_null(strstr(buf, "session=" SID_A "\n"));
	assert_non_null(strstr(buf, "\nuid=1000\n"));
	assert_non_null(strstr(buf, "\nkeeper=321\n"));
	assert_non_null(strstr(buf, "\nkeeper_start=654\n"));
	assert_int_equal(ledger_parse(buf, &got), 0);
	assert_entry_equal(&e, &got);
}

static void test_ledger_format_newline(void **state)
{
	struct ledger_entry e;
	char buf[4096];

	(void)state;
	sample(&e, SID_A, 1000, 1, 1);
	snprintf(e.user, sizeof(e.user), "alice\nuid=0");
	assert_int_equal(ledger_format(&e, buf, sizeof(buf)), -EINVAL);
	sample(&e, SID_A, 1000, 1, 1);
	snprintf(e.rhost, sizeof(e.rhost), "host\nkeeper=1");
	assert_int_equal(ledger_format(&e, buf, sizeof(buf)), -EINVAL);
	sample(&e, SID_A, 1000, 1, 1);
	snprintf(e.service, sizeof(e.service), "sshd\n");
	assert_int_equal(ledger_format(&e, buf, sizeof(buf)), -EINVAL);
	sample(&e, SID_A, 1000, 1, 1);
	snprintf(e.container, sizeof(e.container), "c\nuid=0");
	assert_int_equal(ledger_format(&e, buf, sizeof(buf)), -EINVAL);
	sample(&e, SID_A, 1000, 1, 1);
	snprintf(e.lxcpath, sizeof(e.lxcpath), "/x\nkeeper=1");
	assert_int_equal(ledger_format(&e, buf, sizeof(buf)), -EINVAL);
	sample(&e, SID_A, 1000, 1, 1);
	snprintf(e.addr, sizeof(e.addr), "10.0.0.2\nuid=0");
	assert_int_equal(ledger_format(&e, buf, sizeof(buf)), -EINVAL);
}

static void test_ledger_format_small_buffer(void **state)
{
	struct ledger_entry e;
	char buf[4096];

	(void)state;
	sample(&e, SID_A, 1000, 1, 1);
	int n = ledger_format(&e, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(ledger_format(&e, buf, (size_t)n), -ENAMETOOLONG);
	assert_int_equal(ledger_format(&e, buf, (size_t)n + 1), n);
	assert_int_equal(ledger_format(&e, buf, 16), -ENAMETOOLONG);
}

/* ledger_lock ---------------------------------------------------------- */

static void test_ledger_lock_exclusive(void **state)
{
	struct fixture *f = *state;
	char p[256];

	int fd = ledger_lock(f->rundir);
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_mode(in_ledger(f, ".lock", p, sizeof(p)), 0600);
	/* A second open file description cannot take it meanwhile. */
	int other = open(p, O_RDWR | O_CLOEXEC);
	assert_true(other >= 0);
	assert_int_equal(flock(other, LOCK_EX | LOCK_NB), -1);
	assert_int_equal(errno, EWOULDBLOCK);
	assert_int_equal(flock(other, LOCK_SH | LOCK_NB), -1);
	close(fd);
	assert_int_equal(flock(other, LOCK_EX | LOCK_NB), 0);
	close(other);
	/* Taken again after release. */
	fd = ledger_lock(f->rundir);
	assert_true(fd >= 0);
	close(fd);
}

static void test_ledger_lock_serializes(void **state)
{
	struct fixture *f = *state;
	int p[2], status;
	char c;

	int fd = ledger_lock(f->rundir);
	assert_true(fd >= 0);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fd); /* the child's copy would keep the parent's lock */
		alarm(10);
		int l = ledger_lock(f->rundir);
		(void)!write(p[1], l >= 0 ? "y" : "n", 1);
		_exit(l >= 0 ? 0 : 1);
	}
	close(p[1]);
	struct pollfd pf = { .fd = p[0], .events = POLLIN };
	assert_int_equal(poll(&pf, 1, 200), 0); /* the child waits */
	close(fd);
	assert_int_equal(poll(&pf, 1, 10000), 1); /* and gets it once released */
	assert_int_equal(read(p[0], &c, 1), 1);
	assert_int_equal(c, 'y');
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_ledger_lock_no_ledger_dir(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(ledger_lock(f->rundir), -ENOENT);
}

static void test_ledger_lock_symlink(void **state)
{
	struct fixture *f = *state;
	char p[256], target[128];

	snprintf(target, sizeof(target), "%s/elsewhere", f->dir);
	assert_int_equal(symlink(target, in_ledger(f, ".lock", p, sizeof(p))), 0);
	assert_int_equal(ledger_lock(f->rundir), -ELOOP);
	struct stat st;
	assert_int_equal(lstat(target, &st), -1); /* not created through the link */
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
#define TI(name) cmocka_unit_test_setup_teardown(name, setup_init, teardown)
	const struct CMUnitTest tests[] = {
		T(test_ledger_init_modes),
		T(test_ledger_init_fixes_modes),
		T(test_ledger_init_not_root_owned),
		T(test_ledger_init_symlink),
		T(test_ledger_init_missing_parent),
		TI(test_ledger_write_read_roundtrip),
		TI(test_ledger_write_read_empty_fields),
		TI(test_ledger_write_no_temp_file),
		TI(test_ledger_write_replaces),
		TI(test_ledger_write_invalid_session),
		TI(test_ledger_write_newline),
		T(test_ledger_write_no_init),
		TI(test_ledger_read_missing),
		TI(test_ledger_read_invalid_session),
		TI(test_ledger_read_symlink),
		TI(test_ledger_read_oversized),
		TI(test_ledger_read_garbage),
		TI(test_ledger_remove_ok),
		TI(test_ledger_remove_killed_writer),
		TI(test_ledger_remove_missing),
		TI(test_ledger_remove_invalid_session),
		TI(test_ledger_count_live_and_dead),
		TI(test_ledger_count_pid_zero),
		TI(test_ledger_count_empty),
		T(test_ledger_count_no_ledger_dir),
		TI(test_ledger_foreach_skips_bad_records),
		TI(test_ledger_foreach_all),
		TI(test_ledger_foreach_stops_on_error),
		TI(test_ledger_foreach_remove_while_iterating),
		cmocka_unit_test(test_ledger_parse_minimal),
		cmocka_unit_test(test_ledger_parse_values_with_equals),
		cmocka_unit_test(test_ledger_parse_bad_number),
		cmocka_unit_test(test_ledger_parse_number_bounds),
		cmocka_unit_test(test_ledger_parse_missing_equals),
		cmocka_unit_test(test_ledger_parse_invalid_session),
		cmocka_unit_test(test_ledger_parse_unknown_key),
		cmocka_unit_test(test_ledger_parse_too_long_value),
		cmocka_unit_test(test_ledger_format_roundtrip),
		cmocka_unit_test(test_ledger_format_newline),
		cmocka_unit_test(test_ledger_format_small_buffer),
		TI(test_ledger_lock_exclusive),
		TI(test_ledger_lock_serializes),
		T(test_ledger_lock_no_ledger_dir),
		TI(test_ledger_lock_symlink),
	};
#undef T
#undef TI

	return cmocka_run_group_tests(tests, NULL, NULL);
}
