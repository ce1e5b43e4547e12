#!/bin/bash
# Attacks: real users logged in over ssh (and an admin's root inside a copy)
# try to reach the host. After each case the host is as it was: /etc/passwd,
# /etc/shadow and /etc/group, the origin's rootfs (listing and contents),
# the mount table, a few host-global kernel settings, and no process of the
# test users left.
#
#  1. a hostile ~/.ssh/authorized_keys (bind_home = no): symlink and hardlink
#     to /etc/shadow, FIFO, 1 GiB sparse file, random bytes, a million lines,
#     and a symlink swapped in and out during 200 logins
#  2. hostile user names (u<uid> copy names, hostname = copy name)
#  3. a hostile client environment (sshd made to accept it)
#  4. a fork bomb under pids_max    5. a memory bomb under memory_max
#  6. filling the tmpfs upper layer (size and inodes)
#  7. a setuid-root binary in the origin (userns = yes and no)
#  8. root inside the copy (an admin's lxc-attach, or any root service of
#     the origin) and the user, against the host, including setuid-root
#     files planted in the bound home (userns = yes and no)
#  9. TIOCSTI, with and without a pty, and a real terminal on the host
# 10. another user's session: its socket, ledger, throwawayctl
#
# Cases 7 and 8 run against copies with and without a user namespace;
# TW_USERNS=yes|no runs every case in that mode only (default: the others
# in the product's default).
source "$(dirname "$0")/../lib.sh"

# Names of this run only: the suite may run twice at once.
A=tw-test-mal$TW_ID # the attacker
B=tw-test-bob$TW_ID # a bystander, and the second user of case 10
LX=/var/lib/throwaway/containers
ORIGIN_ROOTFS=/var/lib/lxc/$TW_ORIGIN/rootfs
TM=tw-test-atk$TW_ID
DEVN=/dev/tw-test-null$TW_ID # a device the config gives the copies in cases 7 and 8

USERNS=${TW_USERNS:-}
cfg() { tw_config ${USERNS:+"userns = $USERNS"} "$@"; }

# Programs an attacker would bring: built here, put into the test's own origin.
build_tools() {
	local c=$TW_TMP/c
	mkdir -p "$c" && chmod 0755 "$c" || return 1
	cat >"$c/probe.c" <<'EOF'
/* twprobe: what an attacker inside a copy tries; prints NAME:ERRNO or NAME:OK. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

static void res(const char *what, long r)
{
	const char *e = r < 0 ? strerrorname_np(errno) : "OK";
	printf("%s:%s\n", what, e ? e : "E?");
	fflush(stdout);
}

/* TEXT and a newline, one TIOCSTI per byte; cmd may carry bits above 32. */
static void sti(const char *label, int fd, unsigned long cmd, const char *text)
{
	long r = 0;
	for (const char *p = text;; p++) {
		char ch = *p ? *p : '\n';
		r = syscall(SYS_ioctl, fd, cmd, &ch);
		if (r < 0 || !*p)
			break;
	}
	res(label, r);
}

int main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "";
	if (!strcmp(c, "euid")) {
		printf("euid=%d uid=%d\n", (int)geteuid(), (int)getuid());
	} else if (!strcmp(c, "keyctl")) {
		res("keyctl", syscall(SYS_keyctl, 0 /* GET_KEYRING_ID */, -3 /* session */, 0));
		res("add_key", syscall(SYS_add_key, "user", "tw", "x", 1, -3));
		res("request_key", syscall(SYS_request_key, "user", "tw", NULL, 0));
	} else if (!strcmp(c, "userns")) {
		res("unshare-user", unshare(CLONE_NEWUSER));
	} else if (!strcmp(c, "handle")) {
		/* open_by_handle_at ("shocker"): a bogus handle; only the filter may say EPERM. */
		struct { struct file_handle h; unsigned char b[8]; } fh = { .h = { .handle_bytes = 8, .handle_type = 1 } };
		res("open_by_handle_at", syscall(SYS_open_by_handle_at, AT_FDCWD, &fh.h, O_RDONLY));
	} else if (!strcmp(c, "tiocsti") || !strcmp(c, "tiocsti64")) {
		/* tiocsti64: the same request with bit 32 set; the kernel's cmd is an
		 * unsigned int and drops it, a filter comparing 64 bits does not. */
		unsigned long cmd = TIOCSTI | (strcmp(c, "tiocsti64") ? 0 : 1UL << 32);
		char text[256] = "x";
		for (int i = 2, n = 0; i < argc; i++)
			n += snprintf(text + n, sizeof(text) - (size_t)n, "%s%s", i > 2 ? " " : "", argv[i]);
		char l[32];
		for (int fd = 0; fd < 3; fd++) {
			snprintf(l, sizeof(l), "%s-fd%d", c, fd);
			sti(l, fd, cmd, text);
		}
		snprintf(l, sizeof(l), "%s-tty", c);
		int t = open("/dev/tty", O_RDWR | O_NOCTTY);
		if (t < 0)
			res(l, -1);
		else
			sti(l, t, cmd, text);
	} else if (!strcmp(c, "tioclinux")) {
		char sub = 12; /* TIOCL_GETSHIFTSTATE */
		res("tioclinux", syscall(SYS_ioctl, 0, TIOCLINUX, &sub));
	} else if (!strcmp(c, "ptrace") && argc > 2) {
		res("ptrace", ptrace(PTRACE_ATTACH, atoi(argv[2]), 0, 0));
	} else if (!strcmp(c, "connect") && argc > 2) {
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		int s = socket(AF_UNIX, SOCK_STREAM, 0);
		snprintf(a.sun_path, sizeof(a.sun_path), "%s", argv[2]);
		res("connect", connect(s, (struct sockaddr *)&a, sizeof(a)));
	} else {
		fprintf(stderr, "usage: twprobe euid|keyctl|userns|handle|tiocsti[64] [TEXT]|tioclinux|ptrace PID|connect PATH\n");
		return 2;
	}
	return 0;
}
EOF
	# Swaps two names in a directory, atomically, as fast as it can.
	cat >"$c/racer.c" <<'EOF'
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
int main(int argc, char **argv)
{
	int d = argc == 4 ? open(argv[1], O_RDONLY | O_DIRECTORY) : -1;
	if (d < 0)
		return 1;
	for (;;)
		if (renameat2(d, argv[2], d, argv[3], RENAME_EXCHANGE) < 0)
			return 2;
}
EOF
	# A preload library that leaves a mark on the host if it is ever loaded there.
	cat >"$c/evil.c" <<'EOF'
#include <fcntl.h>
#include <unistd.h>
__attribute__((constructor)) static void evil(void)
{
	int fd = open(MARK, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd >= 0)
		close(fd);
}
EOF
	# Everything root (or the user) inside a copy tries against the host.
	# Host-global files are written with the value they already hold: a
	# success proves the hole without changing anything.
	cat >"$c/tw-attacks" <<'EOF'
#!/bin/sh
# tw-attacks HOST_SSHD_PID HOME DEVICE: one line per attack, NAME:blocked or NAME:BREACH.
PATH=/bin:/sbin:/usr/bin:/usr/sbin
sshd=$1 home=$2 dev=$3
r() { if [ "$2" = 0 ]; then echo "$1:BREACH${3:+ $3}"; else echo "$1:blocked"; fi; }
same() { [ -e "$1" ] || return 1; v=$(cat "$1" 2>/dev/null) || return 1; (printf '%s' "$v" >"$1") 2>/dev/null; }
(echo x >/proc/sys/kernel/hostname) 2>/dev/null; r sysctl-hostname $?
w=1 via=""
for m in $(awk '$3 == "proc" {print $2}' /proc/mounts); do
	same "$m/sys/kernel/core_pattern" && { w=0; via="$via $m"; }
done
r sysctl-core_pattern $w "via$via"
w=1 via=""
for m in $(awk '$3 == "proc" {print $2}' /proc/mounts); do
	[ -e "$m/sysrq-trigger" ] && (echo h >"$m/sysrq-trigger") 2>/dev/null && { w=0; via="$via $m"; }
done
r sysrq-trigger $w "via$via"
w=1 via=""
for m in $(awk '$3 == "sysfs" {print $2}' /proc/mounts); do
	same "$m/kernel/uevent_helper" && { w=0; via="$via $m"; }
done
r uevent_helper $w "via$via"
(head -c 1 /proc/kcore >/dev/null) 2>/dev/null; r read-kcore $?
w=1 via=""
for f in /sys/fs/cgroup/release_agent /sys/fs/cgroup/*/release_agent; do
	[ -e "$f" ] && same "$f" && { w=0; via="$via $f"; }
done
mkdir -p /tmp/tw-cg
if mount -t cgroup -o memory tw /tmp/tw-cg 2>/dev/null || mount -t cgroup2 tw /tmp/tw-cg 2>/dev/null; then
	w=0 via="$via mount-cgroup"
	same /tmp/tw-cg/release_agent && via="$via release_agent"
	umount /tmp/tw-cg
fi
r cgroup-release_agent $w "via$via"
w=1 via=""
for f in /sys/fs/cgroup/pids.max /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/memory.max \
	/sys/fs/cgroup/memory/memory.limit_in_bytes; do
	same "$f" && { w=0; via="$via $f"; }
done
r own-cgroup-limits $w "via$via"
mknod /tmp/tw-sda b 8 0 2>/dev/null; r mknod $?
mount -t tmpfs tw /mnt 2>/dev/null; m=$?; [ $m = 0 ] && umount /mnt; r mount-tmpfs $m
(: >/lib/tw-attack) 2>/dev/null; m=$?; [ $m = 0 ] && rm -f /lib/tw-attack; r write-host-lib $m
# A configured device is the host's node: its mode is the host's.
chmod 0666 "$dev" 2>/dev/null; r chmod-host-device $?
# Setuid- and setgid-root files planted in the bound home (the host looks
# at them: an owner inside says nothing about the owner on the host), three
# ways: a file of root's own in the home; the user's file given to root
# (chown first, then the mode); root's own file in a directory of the
# user's that anyone may write. The user made the last two ready.
f=$home/.tw-suid-plant
cp /bin/busybox "$f" 2>/dev/null && chown 0:0 "$f" 2>/dev/null && chmod 6755 "$f" 2>/dev/null
f=$home/.tw-suid-own
chown 0:0 "$f" 2>/dev/null && chmod 6755 "$f" 2>/dev/null
f=$home/.tw-open/plant
cp /bin/busybox "$f" 2>/dev/null && chmod 6755 "$f" 2>/dev/null
for t in $(twprobe keyctl) $(twprobe userns) $(twprobe handle); do
	case $t in *:ENOSYS | *:EPERM) echo "${t%%:*}:blocked" ;; *) echo "${t%%:*}:BREACH ${t#*:}" ;; esac
done
# The copy runs no sshd and no keeper: seeing one means seeing the host's.
n=$(ls /proc | grep -c '^[0-9]')
seen=$(for f in /proc/[0-9]*/cmdline; do tr '\0' ' ' <"$f"; echo; done 2>/dev/null | grep -e 'ss[h]d' -e 'throwaway-kee[p]er')
[ -n "$seen" ]; r host-processes-visible $? "$seen"
[ "$n" -ge 40 ]; r few-pids $? "$n"
is_sshd() { tr '\0' ' ' <"/proc/$sshd/cmdline" 2>/dev/null | grep -q 'ss[h]d'; }
m=1; kill -0 "$sshd" 2>/dev/null && is_sshd && m=0
r kill-host-sshd $m
m=1; case $(twprobe ptrace "$sshd") in *:OK) is_sshd && m=0 ;; esac
r ptrace-host-sshd $m
EOF
	(cd "$c" && gcc -static -O2 -o twprobe probe.c && gcc -static -O2 -o twracer racer.c &&
		gcc -shared -fPIC -O2 -DMARK="\"/tmp/tw-evil-$TW_ID\"" -o evil.so evil.c) || return 1
	chmod 0755 "$c"/twprobe "$c"/twracer "$c"/tw-attacks
	install -m 0755 "$c/twprobe" "$ORIGIN_ROOTFS/bin/twprobe" &&
		install -m 0755 "$c/tw-attacks" "$ORIGIN_ROOTFS/bin/tw-attacks" &&
		install -m 4755 -o root -g root "$c/twprobe" "$ORIGIN_ROOTFS/bin/tw-euid"
}

# The test's sshd, restarted with the client environment an over-trusting
# admin would accept, and reading only the root-owned copy of each user's key
# (so a hostile ~/.ssh/authorized_keys costs sshd nothing and login times
# measure the product).
sshd_up() { [ -s "$TW_TMP/sshd.pid" ] && ss -Hltn "sport = :$TW_PORT" | grep -q .; }
sshd_restart() {
	local pid
	pid=$(cat "$TW_TMP/sshd.pid")
	{
		echo 'AcceptEnv LANG LC_* TERM LD_PRELOAD LXC_* THROWAWAY_*'
		sed "s|^AuthorizedKeysFile .*|AuthorizedKeysFile $TW_TMP/authkeys/%u|" "$TW_TMP/sshd_config"
	} >"$TW_TMP/sshd_config.new" && mv "$TW_TMP/sshd_config.new" "$TW_TMP/sshd_config"
	kill "$pid" && wait_for 5 sh -c "! kill -0 $pid 2>/dev/null" || return 1
	rm -f "$TW_TMP/sshd.pid"
	"$TW_TMP/$TW_SERVICE" -f "$TW_TMP/sshd_config" -E "$TW_TMP/sshd.log" && wait_for 5 sshd_up
}

# tssh SECONDS USER [ssh args...]: OpenSSH as USER, bounded in time.
# Variables for the client's environment go before it: tssh_env VAR=VALUE... -- SECONDS USER ...
tssh() { tssh_env -- "$@"; }
tssh_env() {
	local vars=()
	while [ "$1" != -- ]; do vars+=("$1"); shift; done
	local t=$2 u=$3
	shift 3
	env "${vars[@]}" timeout "$t" ssh "${tw_ssh_opts[@]}" -i "$TW_TMP/$u.key" -p "$TW_PORT" -l "$u" 127.0.0.1 "$@"
}

# bad_user NAME [USERADD ARGS]: like tw_user, for names useradd takes only with --badname.
bad_user() {
	local name=$1 home
	shift
	useradd --badname -m -s "$TW_SHELL" "$@" "$name" || return 1
	TW_USERS+=("$name")
	home=$(getent passwd "$name" | cut -d: -f6)
	ssh-keygen -q -t ed25519 -N '' -C "tw-test@test" -f "$TW_TMP/$name.key" || return 1
	install -d -m 0700 -o "$name" -g "$name" "$home/.ssh"
	install -m 0600 -o "$name" -g "$name" "$TW_TMP/$name.key.pub" "$home/.ssh/authorized_keys"
	install -m 0644 "$TW_TMP/$name.key.pub" "$TW_TMP/authkeys/$name"
}

# The session of exactly this user name (names here hold regex characters).
session_of() { grep -lFx "user=$1" /run/throwaway/ledger/* 2>/dev/null | head -1 | xargs -r basename; }
# A session's record outlives its client by a moment: wait for none before
# a new login, then for the new one to run.
no_session() { [ -z "$(session_of "$1")" ]; }
running_session() {
	local s
	s=$(session_of "$1") && [ -n "$s" ] && [ "$(tw_field "$s" state)" = running ] &&
		kill -0 "$(tw_field "$s" keeper)" 2>/dev/null
}
# hold USER CMD CASE: a background ssh login running CMD; HOLD is its client.
hold() {
	wait_for 10 no_session "$1"
	tw_ssh_bg "$1" "$2" >/dev/null 2>&1
	HOLD=$!
	check "$3: a session of $1 is held open" wait_for 20 running_session "$1"
}
copy_of() { [ -n "$1" ] && tw_field "$1" container; }

# --- host state ---------------------------------------------------------

user_list() { local u s="|"; for u in "${TW_USERS[@]}"; do s+="$u|"; done; echo "$s"; }
host_state() {
	local f m
	m=$(user_list)
	for f in /etc/passwd /etc/shadow /etc/group; do
		# Other suites' users come and go; ours and everyone else's lines count.
		echo "$f $(awk -F: -v m="$m" '$1 !~ /^tw-/ || index(m, "|" $1 "|")' "$f" | sha256sum)"
	done
	echo "origin-list $(find "$ORIGIN_ROOTFS" -xdev -printf '%p %m %u %s\n' | sort | sha256sum)"
	echo "origin-data $(cd "$ORIGIN_ROOTFS" && find . -xdev -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum)"
	echo "origin-config $(sha256sum <"/var/lib/lxc/$TW_ORIGIN/config")"
	m=$(grep -v -e throwaway -e lxc -e tw-test -e tw-bench -e tw-unit /proc/mounts | sort)
	echo "mounts $(printf '%s\n' "$m" | wc -l) $(printf '%s\n' "$m" | sha256sum)"
	for f in /proc/sys/kernel/core_pattern /proc/sys/kernel/hostname /proc/sys/kernel/domainname \
		/proc/sys/kernel/modprobe /proc/sys/kernel/poweroff_cmd /sys/kernel/uevent_helper \
		/sys/fs/cgroup/*/release_agent; do
		[ -e "$f" ] && echo "$f=$(cat "$f")"
	done
	echo "hostname=$(hostname)"
}
user_procs() {
	local u
	for u in "${TW_USERS[@]}"; do
		pgrep -u "$(id -u "$u")" >/dev/null && return 0
	done
	return 1
}
no_user_procs() { ! user_procs; }

# host_unchanged CASE: the host is as before the attacks, nothing of ours runs.
host_unchanged() {
	local now
	wait_for 10 no_copies
	wait_for 5 no_user_procs
	now=$(host_state)
	if [ "$now" = "$(cat "$TW_TMP/state.0")" ] && no_user_procs; then ok "$1: the host is unchanged"; else
		not_ok "$1: the host is unchanged"
		diff "$TW_TMP/state.0" <(echo "$now") | sed 's/^/#   /'
		for u in "${TW_USERS[@]}"; do pgrep -a -u "$(id -u "$u")" | sed 's/^/#   left: /'; done
	fi
	check_clean "$1: nothing left behind"
}

no_shadow() {
	! printf '%s\n' "$1" | grep -q '^root:' && ! printf '%s\n' "$1" | grep -Fxq -f /etc/shadow
}

# --- setup --------------------------------------------------------------

tw_origin_create && cfg && tw_user $A && tw_user $B && tw_sshd_start && sshd_restart &&
	build_tools || { not_ok "setup"; tw_finish; exit 1; }
HOME_A=$(getent passwd $A | cut -d: -f6)
UID_A=$(id -u $A)
SSHD_PID=$(cat "$TW_TMP/sshd.pid")
host_state >"$TW_TMP/state.0"

# --- 1. a hostile ~/.ssh/authorized_keys (bind_home = no: keys are read) ----

cfg "bind_home = no"
AK=$HOME_A/.ssh/authorized_keys
as_a() { setpriv --reuid=$A --regid=$A --clear-groups "$@"; }
# ak_login LABEL: log in with the hostile file in place; the keys that land.
ak_login() {
	local t0 out rc ms
	t0=$(date +%s%N)
	out=$(tssh 20 $A 'echo LOGIN-OK; cat ~/.ssh/authorized_keys 2>/dev/null' 2>&1)
	rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	check "authorized_keys $1: the login completes within 10 s (${ms} ms)" [ $rc != 124 -a $ms -lt 10000 ]
	expect_eq "authorized_keys $1: the login still works and installs nothing" "LOGIN-OK" "$out"
	check "authorized_keys $1: nothing of /etc/shadow reaches the copy" no_shadow "$out"
}
restore_ak() { rm -f "$AK" && install -m 0600 -o $A -g $A "$TW_TMP/$A.key.pub" "$AK"; }

rm -f "$AK" && as_a ln -s /etc/shadow "$AK"
ak_login "a symlink to /etc/shadow"

rm -f "$AK"
if [ "$(cat /proc/sys/fs/protected_hardlinks)" = 1 ]; then
	check "authorized_keys: the user cannot hardlink /etc/shadow (protected_hardlinks)" \
		sh -c "! setpriv --reuid=$A --regid=$A --clear-groups ln /etc/shadow '$AK' 2>/dev/null"
fi
[ -e "$AK" ] || ln /etc/shadow "$AK" # an admin's mistake: root made the link
ak_login "a hardlink to /etc/shadow"
rm -f "$AK"

as_a mkfifo "$AK"
ak_login "a FIFO"
rm -f "$AK"

as_a truncate -s 1G "$AK"
ak_login "a 1 GiB sparse file"
rm -f "$AK"

head -c 30000 /dev/urandom >"$AK" && chown $A: "$AK"
ak_login "random binary"
rm -f "$AK"

seq 1000000 >"$AK" && chown $A: "$AK"
ak_login "a million lines"

{ head -c 20000 /dev/urandom; echo; cat "$TW_TMP/$A.key.pub"; echo 'ssh-ed25519 AAAAnotakey'; } >"$AK"
chown $A: "$AK"
expect_eq "authorized_keys garbage around a key: only the key is installed" \
	"$(cat "$TW_TMP/$A.key.pub")" "$(tssh 20 $A 'cat ~/.ssh/authorized_keys' 2>&1)"
restore_ak
host_unchanged "authorized_keys attacks"

# A symlink to /etc/shadow swapped with the real file as fast as the kernel
# renames, during 200 logins (4 at a time; 48 in make check-all's
# sanitizer pass, whose plain pass makes the 200).
RACE_N=200
[ "${TW_CHECK_PASS:-}" = sanitizer ] && RACE_N=48
as_a ln -s /etc/shadow "$HOME_A/.ssh/swap"
nice -n 10 "$TW_TMP/c/twracer" "$HOME_A/.ssh" authorized_keys swap &
RACER=$!
race_worker() {
	local i
	for i in $(seq $((RACE_N / 4))); do
		timeout 20 "$TW_BUILD/tests/ssh_client" 127.0.0.1 "$TW_PORT" $A "$TW_TMP/$A.key" \
			'echo LOGIN-OK; cat ~/.ssh/authorized_keys 2>/dev/null' >"$TW_TMP/race.$1.$i" 2>&1
	done
}
pids=()
for w in 1 2 3 4; do
	race_worker $w &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
kill "$RACER"
wait "$RACER" 2>/dev/null
rm -f "$HOME_A/.ssh/swap"
restore_ak
race_out=$(cat "$TW_TMP"/race.*)
logins=$(grep -c '^LOGIN-OK' <<<"$race_out")
keyed=$(grep -cFx "$(cat "$TW_TMP/$A.key.pub")" <<<"$race_out")
tried=$(find "$TW_TMP" -maxdepth 1 -name 'race.*' | wc -l)
echo "# race: $tried logins tried, $logins worked, $keyed got the key"
check "symlink race: $RACE_N logins ran" [ "$tried" = "$RACE_N" ]
check "symlink race: never any /etc/shadow content in a copy" no_shadow "$race_out"
odd=$(grep -hv -e '^LOGIN-OK$' -e '^throwaway: ' "$TW_TMP"/race.* | grep -vFx "$(cat "$TW_TMP/$A.key.pub")")
expect_eq "symlink race: a copy holds the real key or nothing" "" "$odd"
check "symlink race: logins keep working (at least one in $RACE_N)" [ "$logins" -gt 0 ]
rm -f "$TW_TMP"/race.*
host_unchanged "symlink race"
cfg

# --- 2. hostile user names ----------------------------------------------

LONG=tw-test-l$TW_ID
while [ ${#LONG} -lt 32 ]; do LONG+=x; done # 32 characters, a valid name
SHELLISH="tw-test-a b;\$(id)$TW_ID"
WEIRD=("tw-test-UPPER.Dots$TW_ID" "tw-test-x@y$TW_ID" "$SHELLISH")
for u in "${WEIRD[@]:0:2}" $LONG; do bad_user "$u" || not_ok "useradd --badname '$u'"; done
# Its home gets a plain name: the case is about the user name.
bad_user "$SHELLISH" -d "/home/tw-test-shellish$TW_ID" || not_ok "useradd --badname '$SHELLISH'"
host_state >"$TW_TMP/state.0" # the users are new; nothing else may change

# name_login USER EXPECTED-NAME-PART: the copy is named so, is the hostname inside.
name_login() {
	local u=$1 part=$2 out sid ctr bg
	wait_for 10 no_session "$u"
	timeout 20 "$TW_BUILD/tests/ssh_client" 127.0.0.1 "$TW_PORT" "$u" "$TW_TMP/$u.key" \
		'hostname; id -un; sleep 2' >"$TW_TMP/name.out" 2>&1 &
	bg=$!
	wait_for 20 running_session "$u"
	sid=$(session_of "$u")
	ctr=$(copy_of "$sid")
	wait "$bg"
	out=$(cat "$TW_TMP/name.out")
	expect_match "user '$u': the copy's name is $TW_ORIGIN-$part-XXXXXX" \
		"^$TW_ORIGIN-$part-[a-z0-9]{6}\$" "$ctr"
	expect_eq "user '$u': the login works, hostname inside is the copy's name, id -un the user" \
		"$ctr"$'\n'"$u" "$out"
}
for u in "${WEIRD[@]}"; do name_login "$u" "u$(id -u "$u")"; done
name_login $LONG $LONG
cfg "name = %o-%u-%u-%r"
name_login $LONG "u$(id -u $LONG)-u$(id -u $LONG)"
name_login $A "$A-$A"
cfg
host_unchanged "hostile user names"

# --- 3. environment injection -------------------------------------------

envsend=(-o SetEnv=LD_PRELOAD=/tmp/evil.so -o SendEnv=LXC_CONFIG_FILE -o SendEnv=LANG
	-o SendEnv=LC_ALL -o SendEnv=TERM)
out=$(tssh_env LXC_CONFIG_FILE=/tmp/x LANG='$(id)' LC_ALL='x;reboot' TERM='../../etc/passwd' -- \
	20 $A "${envsend[@]}" 'echo LOGIN-OK; env' 2>/dev/null)
expect_match "bad client environment: the login works" '^LOGIN-OK' "$out"
for bad in LD_PRELOAD LXC_CONFIG_FILE '$(id)' 'x;reboot' '../../etc/passwd' /tmp/evil.so; do
	check "bad client environment: '$bad' does not reach the copy" sh -c "! printf '%s' \"\$1\" | grep -qF -- \"\$2\"" _ "$out" "$bad"
done
out=$(tssh_env THROWAWAY_SESSION=another-value -- 20 $A -o SendEnv=THROWAWAY_SESSION 'echo LOGIN-OK; echo $THROWAWAY_SESSION' 2>&1)
expect_match "a client-sent THROWAWAY_SESSION: the login works, the real session inside" \
	'^LOGIN-OK.[0-9a-f]{16}$' "$(printf '%s' "$out" | tr '\n' '.')"
out=$(tssh_env LANG=C.UTF-8 LC_TIME=en_GB.UTF-8 TERM=xterm-256color -- \
	20 $A -o SendEnv=LANG -o SendEnv=LC_TIME -o SendEnv=TERM 'echo "$LANG $LC_TIME $TERM"' 2>&1)
expect_eq "valid LANG, LC_* and TERM pass" "C.UTF-8 en_GB.UTF-8 xterm-256color" "$out"

# The keeper of a session opened with a bad environment has none of it.
wait_for 10 no_session $A
(exec env LXC_CONFIG_FILE=/tmp/x LANG='$(id)' ssh "${tw_ssh_opts[@]}" -i "$TW_TMP/$A.key" -p "$TW_PORT" \
	"${envsend[@]}" "$A@127.0.0.1" 'sleep 30') >"$TW_TMP/hold.out" 2>&1 &
HOLD=$!
wait_for 20 running_session $A
KEEPER=$(tw_field "$(session_of $A)" keeper)
kenv=$(tr '\0' '\n' <"/proc/${KEEPER:-0}/environ" 2>/dev/null)
if [ -n "$KEEPER" ] && [ -e "/proc/$KEEPER" ]; then ok "the keeper of a session with a bad environment runs"; else
	not_ok "the keeper of a session with a bad environment runs"
	sed 's/^/#   client: /' "$TW_TMP/hold.out"
	tw_dump
fi
check "the keeper's environment holds no LD_*, LXC_*, LANG, LC_* or TERM" \
	sh -c "! printf '%s\n' \"\$1\" | grep -Eq '^(LD_|LXC_|LANG=|LC_|TERM=)'" _ "$kenv"
tw_stop "$HOLD"

# With LD_PRELOAD accepted, a library the user wrote into the home from
# inside the copy must still never load on the host.
tssh 20 $A 'cat > ~/evil.so' <"$TW_TMP/c/evil.so"
rm -f "/tmp/tw-evil-$TW_ID"
tssh 20 $A -o "SetEnv=LD_PRELOAD=$HOME_A/evil.so" 'echo inside' >/dev/null 2>&1
check "a client-sent LD_PRELOAD of the user's own library runs nothing on the host" \
	[ ! -e "/tmp/tw-evil-$TW_ID" ]
rm -f "/tmp/tw-evil-$TW_ID" "$HOME_A/evil.so"
# A sanitizer build's shell is dynamically linked and would obey it: make
# install refuses one unless told it is for the tests (make check's pass).
out=$(make -C "$TW_ROOT" -n install SANITIZE=1 2>&1)
rc=$?
check "make install refuses a SANITIZE=1 build (rc $rc)" [ "$rc" != 0 ]
expect_match "and says why" "refuses a SANITIZE=1 build: its throwaway-shell is dynamically linked and obeys LD_PRELOAD" "$out"
mkdir -p "$TW_TMP/sanbuild"
out=$(make -C "$TW_ROOT" -n install SANITIZE=1 INSTALL_SANITIZED=1 B="$TW_TMP/sanbuild" 2>&1)
expect_match "INSTALL_SANITIZED=1 installs it (make check SANITIZE=1 does)" \
	"install -m 0755 $TW_TMP/sanbuild/throwaway-shell " "$out"
rm -rf "$TW_TMP/sanbuild"
host_unchanged "environment injection"

# --- 4. a fork bomb under pids_max = 64 ---------------------------------

cfg "pids_max = 64"
# Every process forks two more and spins. (busybox sh exits when a fork fails,
# so "b(){ b|b& }" collapses at the limit at once; this one stays at it.) The
# session waits with a built-in, no fork left, reading a pipe that stays silent.
(sleep 8 | tssh 60 $A 'sh -c "b(){ b & b & while :; do :; done; }; b" >/dev/null 2>&1 & read -t 6 x; echo bomb-done' \
	>"$TW_TMP/bomb.out" 2>&1) &
BOMB=$!
sleep 1.5
t0=$(date +%s%N)
out=$(tssh 10 $B 'echo alive' 2>&1)
ms=$((($(date +%s%N) - t0) / 1000000))
expect_eq "during a fork bomb another user's login answers within 10 s (${ms} ms)" alive "$out"
peak=0
for _ in 1 2 3 4 5 6; do
	n=$(pgrep -c -u "$UID_A")
	[ "${n:-0}" -gt "$peak" ] && peak=$n
	sleep 0.3
done
check "the bomb stays within pids_max ($peak of the user's processes on the host, at most 64 + 2)" \
	[ "$peak" -gt 10 -a "$peak" -le 66 ]
wait "$BOMB"
expect_eq "the bombing session ends" bomb-done "$(cat "$TW_TMP/bomb.out")"
check "the bomb's copy is gone within 10 s" wait_for 10 no_copies
host_unchanged "fork bomb"

# --- 5. a memory bomb under memory_max = 64M -----------------------------

cfg "memory_max = 64M"
out=$(tssh 30 $A 'dd if=/dev/zero of=/dev/null bs=200M count=1 2>/dev/null; echo rc=$?' 2>&1)
expect_match "a 200 MB allocation inside fails (OOM inside only)" 'rc=[1-9]' "$out"
out=$(tssh 30 $A 'dd if=/dev/zero of=/dev/shm/big bs=1M count=200 2>/dev/null; stat -c %s /dev/shm/big' 2>&1)
check "filling /dev/shm inside stops below 200 MB ($out)" [ "${out:-0}" -lt 209715200 ] 2>/dev/null
check "the host's sshd lives on" kill -0 "$SSHD_PID"
expect_eq "the next login works" ok "$(tssh 20 $A 'echo ok' 2>&1)"
expect_eq "another user's login works" ok "$(tssh 20 $B 'echo ok' 2>&1)"
host_unchanged "memory bomb"

# --- 6. filling the upper layer under tmpfs_size = 16M -------------------

cfg "tmpfs_size = 16M"
disk0=$(df -k --output=avail / | tail -1)
tssh 40 $A 'dd if=/dev/zero of=/tmp/big bs=1M count=100 2>&1; echo MARK; sleep 3' >"$TW_TMP/fill.out" 2>&1 &
FILL=$!
wait_for 30 grep -q MARK "$TW_TMP/fill.out"
disk1=$(df -k --output=avail / | tail -1)
wait "$FILL"
expect_match "writing 100 MB into a 16M upper layer: No space left on device" \
	'No space left on device' "$(cat "$TW_TMP/fill.out")"
check "the host's disk is not what filled ($(((disk0 - disk1) / 1024)) MB less free)" \
	[ $((disk0 - disk1)) -lt 12288 ]
# (echo, not ":": a redirection error of a special built-in ends the shell)
out=$(tssh 60 $A 'i=0; while echo -n 2>/dev/null >/tmp/f$i; do i=$((i+1)); done; echo files=$i; echo -n >/tmp/one-more' 2>&1)
expect_match "many small files hit the inode cap (No space left on device)" \
	'files=[0-9]+.*No space left on device' "$(printf '%s' "$out" | tr '\n' ' ')"
n=$(printf '%s' "$out" | sed -n 's/^files=//p')
check "the inode cap is well below 100000 (${n:-?} files)" [ "${n:-100000}" -lt 100000 ]
host_unchanged "filling the upper layer"
cfg

# --- 7 and 8, in a copy with and without a user namespace ------------------

# The host's view of the files tw-attacks tried to plant: setuid or setgid
# and owned by host root, or not. Removes them.
planted() {
	local f m u g bad=
	for f in "$HOME_A/.tw-suid-plant" "$HOME_A/.tw-suid-own" "$HOME_A/.tw-open/plant"; do
		read -r m u g < <(stat -c '%a %u %g' "$f" 2>/dev/null) || continue
		m=$((8#$m))
		if { [ "$u" = 0 ] && [ $((m & 04000)) != 0 ]; } || { [ "$g" = 0 ] && [ $((m & 02000)) != 0 ]; }; then
			bad+=" ${f#"$HOME_A"/}"
		fi
	done
	if [ -n "$bad" ]; then echo "setuid-root-in-home:BREACH$bad"; else echo "setuid-root-in-home:blocked"; fi
	rm -rf "$HOME_A/.tw-suid-plant" "$HOME_A/.tw-suid-own" "$HOME_A/.tw-open"
}
# What the user makes ready, inside, for root to finish: a file of theirs,
# and a directory anyone may write, in a home anyone may enter.
plant_ready() {
	expect_eq "$1: the user makes a file and an open directory in the home" ready \
		"$(tssh 20 $A 'cp /bin/busybox ~/.tw-suid-own && mkdir -m 0777 ~/.tw-open && chmod 0777 ~/.tw-open && chmod 0711 ~ && echo ready' 2>&1)"
}
HOME_MODE_A=$(stat -c %a "$HOME_A")

mknod -m 0600 "$DEVN" c 1 3 || not_ok "mknod $DEVN"
for USERNS in ${TW_USERNS:-yes no}; do
	m="userns = $USERNS:"
	cfg "device = $DEVN"

	# --- 7. a setuid-root binary in the origin ---------------------------

	expect_eq "$m the test's setuid-root binary is setuid root inside" "4755 0" \
		"$(tssh 20 $A 'stat -c "%a %u" /bin/tw-euid' 2>&1)"
	expect_eq "$m and gives no privilege: it runs as the user" "euid=$UID_A uid=$UID_A" \
		"$(tssh 20 $A '/bin/tw-euid euid' 2>&1)"
	host_unchanged "$m setuid-root binary"
	expect_eq "$m the user's files in the home are the user's, inside and on the host" "$UID_A $UID_A" \
		"$(tssh 20 $A 'echo x >~/.tw-mine && stat -c %u ~/.tw-mine' 2>&1) $(stat -c %u "$HOME_A/.tw-mine")"
	rm -f "$HOME_A/.tw-mine"

	# --- 8. root inside a copy, and the user, against the host -----------

	hold $A 'sleep 60' "$m root inside"
	C=$(copy_of "$(session_of $A)")
	plant_ready "$m root"
	root_out=$(timeout 30 lxc-attach --clear-env -P $LX -n "$C" -- /bin/tw-attacks "$SSHD_PID" "$HOME_A" "$DEVN" 2>&1; planted)
	eff=$(timeout 10 lxc-attach --clear-env -P $LX -n "$C" -- sh -c "sed -n 's/^CapEff:\t*//p' /proc/self/status")
	# net_admin and net_raw: no copy's root holds them, in a user namespace or not
	expect_eq "$m root inside holds neither net_admin nor net_raw ($eff)" 0 \
		"$((0x${eff:-ffffffffff} >> 12 & 3))"
	if [ "$USERNS" = no ]; then
		# chown dac_override dac_read_search fowner fsetid setgid setuid
		# net_raw ipc_owner sys_nice sys_resource setfcap
		held=$((0x${eff:-ffffffffff} & (1 << 0 | 1 << 1 | 1 << 2 | 1 << 3 | 1 << 4 | 1 << 6 | 1 << 7 |
			1 << 13 | 1 << 15 | 1 << 23 | 1 << 24 | 1 << 31)))
		expect_eq "$m root inside holds none of the capabilities a privileged copy drops ($eff)" 0 "$held"
	fi
	plant_ready "$m the user"
	user_out=$(tssh 30 $A "/bin/tw-attacks $SSHD_PID $HOME_A $DEVN" 2>&1; planted)
	chmod "$HOME_MODE_A" "$HOME_A"
	expect_eq "$m the host's device node keeps its mode" "600" "$(stat -c %a "$DEVN")"
	chmod 0600 "$DEVN"
	tw_stop "$HOLD"
	for who in root user; do
		[ $who = root ] && out=$root_out || out=$user_out
		for t in sysctl-hostname sysctl-core_pattern sysrq-trigger uevent_helper read-kcore \
			cgroup-release_agent own-cgroup-limits mknod mount-tmpfs write-host-lib \
			chmod-host-device setuid-root-in-home keyctl add_key request_key unshare-user open_by_handle_at \
			host-processes-visible few-pids kill-host-sshd ptrace-host-sshd; do
			line=$(printf '%s\n' "$out" | grep "^$t:" | head -1)
			expect_eq "$m $who inside the copy: $t is blocked" "$t:blocked" "$line"
		done
	done
	host_unchanged "$m root and user inside the copy"
done
rm -f "$DEVN"
USERNS=${TW_USERNS:-}
cfg

# --- 9. TIOCSTI ---------------------------------------------------------

out=$(tssh 20 $A 'twprobe tiocsti; twprobe tioclinux' 2>&1 | tr '\n' ' ')
expect_eq "no pty: TIOCSTI and TIOCLINUX fail with EPERM" \
	"tiocsti-fd0:EPERM tiocsti-fd1:EPERM tiocsti-fd2:EPERM tiocsti-tty:ENXIO tioclinux:EPERM " "$out"
out=$(tssh 20 $A 'twprobe tiocsti64' 2>&1 | tr '\n' ' ')
expect_eq "no pty: TIOCSTI with bit 32 set in the request fails with EPERM too" \
	"tiocsti64-fd0:EPERM tiocsti64-fd1:EPERM tiocsti64-fd2:EPERM tiocsti64-tty:ENXIO " "$out"
out=$(tssh 20 $A -tt 'twprobe tiocsti; twprobe tiocsti64; read -t 2 x; echo "inside-got:[$x]"' </dev/null 2>&1 | tr -d '\r' | tr '\n' ' ')
expect_match "pty: TIOCSTI fails with EPERM on every fd" \
	'tiocsti-fd0:EPERM tiocsti-fd1:EPERM tiocsti-fd2:EPERM tiocsti-tty:EPERM' "$out"
expect_match "pty: TIOCSTI with bit 32 set in the request fails too" \
	'tiocsti64-fd0:EPERM tiocsti64-fd1:EPERM tiocsti64-fd2:EPERM tiocsti64-tty:EPERM' "$out"
expect_match "pty: nothing was typed into the session" 'inside-got:\[\]' "$out"

# A real terminal on the host: nothing a program in the copy does types into it.
tm() { tmux -L "$TM" "$@"; }
pane_says() { tm capture-pane -p -t t | tr -d '\n' | grep -q -- "$1"; }
tm -f /dev/null new-session -d -s t -x 200 -y 40 \
	"ssh ${tw_ssh_opts[*]} -tt -i $TW_TMP/$A.key -p $TW_PORT $A@127.0.0.1 'twprobe tiocsti echo INJECTED-A; twprobe tiocsti64 echo INJECTED-B'; read -t 3 x; echo \"host-got:[\$x]\"; sleep 30"
tm set -g status off
check "a terminal on the host: the ssh session ran" wait_for 20 pane_says 'host-got:'
check "a terminal on the host: nothing was typed into it" pane_says 'host-got:\[\]'
tm kill-server 2>/dev/null
hold $A 'sleep 60' "TIOCSTI"
C=$(copy_of "$(session_of $A)")
tm -f /dev/null new-session -d -s t -x 200 -y 40 \
	"lxc-attach --clear-env -P $LX -n $C -- sh -c '/bin/twprobe tiocsti echo INJECTED-C; /bin/twprobe tiocsti64 echo INJECTED-D'; read -t 3 x; echo \"host-got:[\$x]\"; sleep 30"
tm set -g status off
check "a root terminal (lxc-attach): the probe ran" wait_for 20 pane_says 'host-got:'
check "a root terminal (lxc-attach): nothing was typed into it" pane_says 'host-got:\[\]'
check "a root terminal (lxc-attach): TIOCSTI fails with EPERM" pane_says 'tiocsti-fd0:EPERM'
check "a root terminal (lxc-attach): TIOCSTI with bit 32 set fails too" pane_says 'tiocsti64-fd0:EPERM'
tm kill-server 2>/dev/null
tw_stop "$HOLD"
host_unchanged "TIOCSTI"

# --- 10. another user's session -----------------------------------------

hold $A 'sleep 60' "another user's session"
SID=$(session_of $A)
C=$(copy_of "$SID")
as_b() { setpriv --reuid=$B --regid=$B --clear-groups env -i PATH=/usr/bin:/bin "$@"; }
out=$(as_b THROWAWAY_SESSION="$SID" timeout 10 $TW_SHELL -c 'id; hostname' 2>&1)
expect_match "B with A's session id: refused (Permission denied)" \
	'cannot reach your sandbox \(Permission denied\)' "$out"
check "B with A's session id: nothing ran in A's copy" sh -c "! printf '%s' \"\$1\" | grep -q -e uid= -e \"\$2\"" _ "$out" "$C"
expect_eq "B cannot connect to A's socket" "connect:EACCES" "$(as_b "$TW_TMP/c/twprobe" connect "/run/throwaway/sock/$SID")"
check "A's socket is A's, mode 0600" [ "$(stat -c '%U %a' "/run/throwaway/sock/$SID")" = "$A 600" ]
check "B cannot list the ledger" sh -c "! setpriv --reuid=$B --regid=$B --clear-groups ls /run/throwaway/ledger >/dev/null 2>&1"
check "B cannot list the sockets" sh -c "! setpriv --reuid=$B --regid=$B --clear-groups ls /run/throwaway/sock >/dev/null 2>&1"
out=$(as_b timeout 10 /usr/local/sbin/throwawayctl list 2>&1)
rc=$?
check "throwawayctl list as B refuses" [ $rc != 0 ]
check "and shows nothing of A's session" sh -c "! printf '%s' \"\$1\" | grep -q -e \"\$2\" -e \"\$3\"" _ "$out" "$SID" "$C"
# The socket opened up by mistake: the keeper still checks who connects.
chmod 0666 "/run/throwaway/sock/$SID"
out=$(as_b THROWAWAY_SESSION="$SID" timeout 10 $TW_SHELL -c 'id; hostname' 2>&1)
chmod 0600 "/run/throwaway/sock/$SID"
check "with A's socket made 0666, the keeper still refuses B (SO_PEERCRED) ($out)" \
	sh -c "! printf '%s' \"\$1\" | grep -q -e uid= -e \"\$2\"" _ "$out" "$C"
# Over ssh: B sends A's session id as THROWAWAY_SESSION (sshd accepts THROWAWAY_*).
out=$(tssh_env THROWAWAY_SESSION="$SID" -- 20 $B -o SendEnv=THROWAWAY_SESSION 'hostname; id -un' 2>&1)
check "B sending A's session id over ssh never lands in A's copy ($(echo $out))" \
	sh -c "! printf '%s' \"\$1\" | grep -qF -- \"\$2\"" _ "$out" "$C"
tw_stop "$HOLD"
host_unchanged "another user's session"

tw_finish
