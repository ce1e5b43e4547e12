#!/bin/bash
# Attacks on the kernel from inside a copy: the system calls the seccomp
# profile refuses, from every ABI an x86_64 kernel runs, and the kernel
# budgets that copies share with root on the host. After each case no
# process of the user is left and nothing is left behind.
#
# 11. io_uring, TIOCSTI and TIOCLINUX, CLONE_NEWUSER (unshare, clone,
#     clone3) and the keyring, from a 64-bit, a 32-bit (-m32) and an x32
#     (-mx32) probe and x32 calls from a 64-bit process, as the user and
#     as root inside; an allowed neighbour of each argument rule still
#     works. A kernel without the x32 ABI must prove it: the x32 probe
#     does not execute, and even x32 getpid gets ENOSYS. Likewise a
#     kernel that runs no 32-bit program on the host (IA32 emulation
#     built out or off) runs none in a copy.
# 12. inotify instances and fanotify groups: every copy's user namespace
#     is root's, so what a user makes in one also counts against root's
#     budget on the host. A user takes all the kernel lets them in one
#     copy, then in three at once; each copy's own budget stops them, and
#     root on the host can still make its own.
#
# TW_USERNS=yes|no as in test_attacks.sh (case 12 needs userns = yes).
source "$(dirname "$0")/../lib.sh"

A=tw-test-krn$TW_ID
LX=/var/lib/throwaway/containers
ORIGIN_ROOTFS=/var/lib/lxc/$TW_ORIGIN/rootfs
CTL=/usr/local/sbin/throwawayctl

cfg() { tw_config ${TW_USERNS:+"userns = $TW_USERNS"}; }

# The probes: built here for each ABI, static, put into the test's origin.
build_probes() {
	local c=$TW_TMP/c
	mkdir -p "$c" && chmod 0755 "$c" || return 1
	cat >"$c/kprobe.c" <<'EOF'
/*
 * twkprobe: the system calls the copies' seccomp profile refuses, and one
 * allowed neighbour of each argument rule, as this binary's ABI makes
 * them (built -m64, -m32 and -mx32). "twkprobe x32" makes the same calls
 * from a 64-bit process with the x32 bit set in the system call number.
 * Prints NAME:ERRNO-NAME, NAME:OK, or NAME:SIG<n> when the call killed
 * the process; each call runs in a child of its own. "twkprobe exec
 * PATH" runs PATH, or says why the kernel would not (exec:ENOEXEC).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

struct nrs {
	long io_uring_setup, io_uring_enter, io_uring_register, ioctl, unshare, clone, clone3,
		keyctl, add_key, request_key, getpid;
};

/* This binary's own ABI. */
static const struct nrs native = {
	SYS_io_uring_setup, SYS_io_uring_enter, SYS_io_uring_register, SYS_ioctl, SYS_unshare,
	SYS_clone, SYS_clone3, SYS_keyctl, SYS_add_key, SYS_request_key, SYS_getpid,
};

/* x32's numbers (arch/x86/entry/syscalls/syscall_64.tbl), with __X32_SYSCALL_BIT. */
#define X32(n) (0x40000000L | (n))
static const struct nrs x32 = {
	X32(425), X32(426), X32(427), X32(514), X32(272),
	X32(56),  X32(435), X32(250), X32(248), X32(249), X32(39),
};

static void report(const char *name, long r, int err)
{
	const char *e = r < 0 ? strerrorname_np(err) : "OK";
	printf("%s:%s\n", name, e ? e : "E?");
	fflush(stdout);
}

/* Run one call in a child, so that a kill (SIGSYS) is reported too. */
#define TRY(name, call)                                                  \
	do {                                                             \
		fflush(stdout);                                          \
		pid_t p_ = fork();                                       \
		if (p_ == 0) {                                           \
			errno = 0;                                       \
			long r_ = (call);                                \
			report(name, r_, errno);                         \
			_exit(0);                                        \
		}                                                        \
		int st_ = 0;                                             \
		waitpid(p_, &st_, 0);                                    \
		if (WIFSIGNALED(st_))                                    \
			printf("%s:SIG%d\n", name, WTERMSIG(st_));       \
	} while (0)

/* clone without a new stack: the child returns 0 like fork's and leaves at once. */
static long clone_flags(const struct nrs *n, long flags)
{
	long r = syscall(n->clone, flags | SIGCHLD, 0L, 0L, 0L, 0L);
	if (r == 0)
		_exit(0);
	if (r > 0)
		waitpid((pid_t)r, NULL, 0);
	return r;
}

static long clone3_user(const struct nrs *n)
{
	struct clone_args a;
	memset(&a, 0, sizeof(a));
	a.flags = CLONE_NEWUSER;
	a.exit_signal = SIGCHLD;
	long r = syscall(n->clone3, &a, sizeof(a));
	if (r == 0)
		_exit(0);
	if (r > 0)
		waitpid((pid_t)r, NULL, 0);
	return r;
}

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "exec")) {
		execv(argv[2], argv + 2);
		report("exec", -1, errno);
		return 0;
	}
	const struct nrs *n = argc > 1 && !strcmp(argv[1], "x32") ? &x32 : &native;
	char params[256] = { 0 }; /* struct io_uring_params, and room */
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	char ch = 'x', sub = 12; /* TIOCL_GETSHIFTSTATE */
	struct termios t;

	if (n == &x32)
		TRY("getpid", syscall(n->getpid));
	TRY("io_uring_setup", syscall(n->io_uring_setup, 1L, params));
	TRY("io_uring_enter", syscall(n->io_uring_enter, -1L, 0L, 0L, 0L, 0L, 0L));
	TRY("io_uring_register", syscall(n->io_uring_register, -1L, 0L, 0L, 0L));
	/* On /dev/null the kernel itself says ENOTTY: EPERM is the filter's. */
	TRY("tiocsti", syscall(n->ioctl, (long)fd, (long)TIOCSTI, &ch));
	TRY("tioclinux", syscall(n->ioctl, (long)fd, (long)TIOCLINUX, &sub));
	TRY("tcgets", syscall(n->ioctl, (long)fd, (long)TCGETS, &t));
	TRY("unshare-user", syscall(n->unshare, (long)CLONE_NEWUSER));
	TRY("unshare-none", syscall(n->unshare, 0L));
	TRY("clone-user", clone_flags(n, CLONE_NEWUSER));
	TRY("clone-plain", clone_flags(n, 0));
	TRY("clone3-user", clone3_user(n));
	TRY("keyctl", syscall(n->keyctl, 0L /* KEYCTL_GET_KEYRING_ID */, -3L, 0L));
	TRY("add_key", syscall(n->add_key, "user", "tw", "x", 1L, -3L));
	TRY("request_key", syscall(n->request_key, "user", "tw", 0L, 0L));
	return 0;
}
EOF
	cat >"$c/hog.c" <<'EOF'
/*
 * twkhog inotify|fanotify N SECONDS: make up to N inotify instances or
 * fanotify groups, print KIND:HOW-MANY:WHY-IT-STOPPED (OK: it did not),
 * then hold them for SECONDS.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 4)
		return 2;
	int fan = !strcmp(argv[1], "fanotify"), max = atoi(argv[2]), n, err = 0;
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	for (n = 0; n < max; n++) {
		int fd = fan ? fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_FID | FAN_CLOEXEC, O_RDONLY)
			     : inotify_init1(IN_CLOEXEC);
		if (fd < 0) {
			err = errno;
			break;
		}
	}
	printf("%s:%d:%s\n", argv[1], n, n == max ? "OK" : strerrorname_np(err));
	fflush(stdout);
	sleep((unsigned)atoi(argv[3]));
	return 0;
}
EOF
	(cd "$c" && gcc -static -O2 -o twk64 kprobe.c && gcc -m32 -static -O2 -o twk32 kprobe.c &&
		gcc -mx32 -static -O2 -o twkx32 kprobe.c && gcc -static -O2 -o twkhog hog.c) || return 1
	# Whether this kernel runs 32-bit programs at all (IA32 emulation may
	# be built out or off): if not, neither does any copy.
	printf 'int main(void) { return 0; }\n' | gcc -m32 -static -x c -o "$c/true32" - || return 1
	if "$c/true32" 2>/dev/null; then HOST_IA32=yes; else HOST_IA32=no; fi
	local p
	for p in twk64 twk32 twkx32 twkhog; do
		install -m 0755 "$c/$p" "$ORIGIN_ROOTFS/bin/$p" || return 1
	done
}

# The session of exactly this user.
session_of() { grep -lFx "user=$1" /run/throwaway/ledger/* 2>/dev/null | head -1 | xargs -r basename; }
no_session() { [ -z "$(session_of "$1")" ]; }
running_session() {
	local s
	s=$(session_of "$1") && [ -n "$s" ] && [ "$(tw_field "$s" state)" = running ] &&
		kill -0 "$(tw_field "$s" keeper)" 2>/dev/null
}
# tssh SECONDS USER [ssh args...]: OpenSSH as USER, bounded in time.
tssh() {
	local t=$1 u=$2
	shift 2
	timeout "$t" ssh "${tw_ssh_opts[@]}" -i "$TW_TMP/$u.key" -p "$TW_PORT" -l "$u" 127.0.0.1 "$@"
}
user_procs() { pgrep -u "$(id -u $A)" >/dev/null; }
no_user_procs() { ! user_procs; }
# after CASE: no process of the user is left, and nothing else is.
after() {
	wait_for 10 no_copies
	check "$1: no process of the user is left" wait_for 5 no_user_procs
	check_clean "$1: nothing left behind"
}

tw_origin_create && cfg && tw_user $A && tw_sshd_start && build_probes ||
	{ not_ok "setup"; tw_finish; exit 1; }

# --- 11. the seccomp profile, from every ABI ----------------------------

# What each probe must see: refused calls refused, their allowed
# neighbours (TCGETS, unshare(0), a plain clone) answered by the kernel.
WANT="io_uring_setup:ENOSYS io_uring_enter:ENOSYS io_uring_register:ENOSYS tiocsti:EPERM \
tioclinux:EPERM tcgets:ENOTTY unshare-user:EPERM unshare-none:OK clone-user:EPERM \
clone-plain:OK clone3-user:ENOSYS keyctl:ENOSYS add_key:ENOSYS request_key:ENOSYS"
# A kernel without x32: the filter still answers its argument rules
# first; every other x32 call is the kernel's ENOSYS.
WANT_NO_X32="getpid:ENOSYS $(printf '%s' "$WANT" | sed -e 's/:OK/:ENOSYS/g' -e 's/:ENOTTY/:ENOSYS/g')"
# One line per probe: "<abi> <results...>".
PROBES='echo "64 $(/bin/twk64 | tr "\n" " ")"
echo "32 $(/bin/twk64 exec /bin/twk32 | tr "\n" " ")"
echo "x32bin $(/bin/twk64 exec /bin/twkx32 | tr "\n" " ")"
echo "x32bit $(/bin/twk64 x32 | tr "\n" " ")"'
# abi_line OUTPUT ABI: that probe's results, one space between them.
abi_line() { printf '%s\n' "$1" | sed -n "s/^$2 //p" | xargs; }

check_abis() {
	local who=$1 out=$2 x32
	expect_eq "$who: 64-bit probe: io_uring, TIOCSTI, CLONE_NEWUSER, keyring refused" "$WANT" "$(abi_line "$out" 64)"
	if [ "$HOST_IA32" = yes ]; then
		expect_eq "$who: 32-bit (-m32) probe: the same refused, the same allowed" "$WANT" "$(abi_line "$out" 32)"
	else
		echo "# this kernel runs no 32-bit programs (no IA32 emulation)"
		expect_eq "$who: the 32-bit probe does not execute, as on the host (no IA32 emulation)" \
			"exec:ENOEXEC" "$(abi_line "$out" 32)"
	fi
	x32=$(abi_line "$out" x32bit)
	case $x32 in
	getpid:OK*)
		echo "# the kernel runs x32 programs"
		expect_eq "$who: x32 (-mx32) probe: the same refused, the same allowed" "$WANT" "$(abi_line "$out" x32bin)"
		expect_eq "$who: x32 calls from a 64-bit process: the same" "getpid:OK $WANT" "$x32"
		;;
	*)
		expect_eq "$who: the x32 probe does not execute (no x32 ABI in this kernel)" \
			"exec:ENOEXEC" "$(abi_line "$out" x32bin)"
		expect_eq "$who: x32 calls from a 64-bit process: ENOSYS, or the filter's refusal" \
			"$WANT_NO_X32" "$x32"
		;;
	esac
}

out=$(tssh 30 $A "$PROBES" 2>&1)
check_abis "user" "$out"
after "seccomp, as the user"

wait_for 10 no_session $A
tw_ssh_bg $A 'sleep 60' >/dev/null 2>&1
HOLD=$!
check "a session of $A is held open" wait_for 20 running_session $A
C=$(tw_field "$(session_of $A)" container)
out=$(timeout 30 lxc-attach --clear-env -P $LX -n "$C" -- /bin/sh -c "$PROBES" 2>&1)
check_abis "root inside" "$out"
kill "$HOLD" 2>/dev/null
wait "$HOLD" 2>/dev/null
after "seccomp, as root inside"

# --- 12. kernel budgets shared with root on the host ---------------------

if [ "${TW_USERNS:-yes}" = yes ]; then
	expect_eq "the copy's user namespace has budgets of its own (inotify, fanotify, no user namespaces)" \
		"128 8192 16 8192 0" \
		"$(tssh 20 $A 'cd /proc/sys/user && cat max_inotify_instances max_inotify_watches max_fanotify_groups max_fanotify_marks max_user_namespaces' 2>&1 | xargs)"
	out=$($CTL doctor "$TW_CONF" 2>&1 | grep ' budgets ')
	check "doctor: root's kernel budgets on the host hold max_sessions copies (make install ran setup-ids)" \
		sh -c "[ -n \"\$1\" ] && ! printf '%s\n' \"\$1\" | grep -qv '^ok '" _ "$out"
	printf '%s\n' "$out" | sed 's/^/#   /'

	# hog_in KIND I: a background login making as many KIND as it can,
	# holding them 25 s; its first line lands in $TW_TMP/hog.KIND.I, and
	# $! is its ssh client.
	hog_in() { tw_ssh_bg $A "twkhog $1 1000 25" >"$TW_TMP/hog.$1.$2" 2>&1; }
	hogs_said() {
		local i
		for i in "${@:2}"; do grep -q "^$1:" "$TW_TMP/hog.$1.$i" 2>/dev/null || return 1; done
	}
	for kind in inotify fanotify; do
		[ $kind = inotify ] && per=128 || per=16
		pids=()
		hog_in $kind 1
		pids+=($!)
		check "$kind: the user's first copy is full" wait_for 30 hogs_said $kind 1
		expect_eq "$kind: one copy gets its own budget, $per, and no more" \
			"$kind:$per:EMFILE" "$(head -1 "$TW_TMP/hog.$kind.1")"
		expect_eq "$kind: root on the host still makes its own" \
			"$kind:1:OK" "$("$TW_TMP/c/twkhog" $kind 1 0 2>&1)"
		for i in 2 3; do
			hog_in $kind $i
			pids+=($!)
		done
		check "$kind: two more copies of the user are full" wait_for 40 hogs_said $kind 2 3
		expect_eq "$kind: each copy stops at its own budget" \
			"$kind:$per:EMFILE $kind:$per:EMFILE" \
			"$(head -qn1 "$TW_TMP/hog.$kind.2" "$TW_TMP/hog.$kind.3" | xargs)"
		expect_eq "$kind: with three copies full, root on the host still makes its own" \
			"$kind:1:OK" "$("$TW_TMP/c/twkhog" $kind 1 0 2>&1)"
		for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
		for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
		after "$kind budgets"
	done
fi

tw_finish
