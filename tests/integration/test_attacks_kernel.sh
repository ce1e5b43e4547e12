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
source "$TW_ROOT/tests/kprobe.sh"

A=tw-test-krn$TW_ID
LX=/var/lib/throwaway/containers
ORIGIN_ROOTFS=/var/lib/lxc/$TW_ORIGIN/rootfs
CTL=/usr/local/sbin/throwawayctl

cfg() { tw_config ${TW_USERNS:+"userns = $TW_USERNS"}; }

# The probes: built here for each ABI, static, put into the test's origin.
build_probes() {
	local c=$TW_TMP/c
	mkdir -p "$c" && chmod 0755 "$c" || return 1
	kprobe_build "$c" || return 1
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
	(cd "$c" && gcc -static -O2 -o twkhog hog.c) || return 1
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

out=$(tssh 30 $A "$(kprobe_script /bin)" 2>&1)
kprobe_check "user" "$out"
after "seccomp, as the user"

wait_for 10 no_session $A
tw_ssh_bg $A 'sleep 60' >/dev/null 2>&1
HOLD=$!
check "a session of $A is held open" wait_for 20 running_session $A
C=$(tw_field "$(session_of $A)" container)
out=$(timeout 30 lxc-attach --clear-env -P $LX -n "$C" -- /bin/sh -c "$(kprobe_script /bin)" 2>&1)
kprobe_check "root inside" "$out"
tw_stop "$HOLD"
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
		tw_stop "${pids[@]}"
		after "$kind budgets"
	done
fi

tw_finish
