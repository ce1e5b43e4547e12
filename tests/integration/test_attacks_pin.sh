#!/bin/bash
# Memory pinned past logout. Every session of a user binds the same home,
# so a unix socket there would connect two copies of one user: session A
# fills its /tmp (the tmpfs upper layer), passes an fd of a file there to
# a holder over the socket and logs out; the holder keeps A's overlay and
# tmpfs alive, charged to A's dead cgroup, invisible to list and gc.
#
#  1. the copies make no socket or FIFO in the bound home or a bind
#     (Landlock), not even in a directory made in /tmp and moved in, while
#     /tmp keeps both and moves across directories still work; an abstract socket does not reach another copy of the user
#     (each copy has its own network namespace)
#  2. four sessions of 700 MB each, with a holder in another session of
#     the user: the host's Shmem is back at its baseline after each logout
#  3. the same with a holder the copies reach anyway (a socket made on
#     the host): what the dead sessions pin stays under the user's cap
#     (memory_max_per_user), charged to one parent cgroup of the user
#     from the first logout on (never removed and made anew while charged),
#     and another user still gets their memory
#     and gc keeps the user's parent cgroup while it is charged, and
#     removes it once the holder is gone
source "$(dirname "$0")/../lib.sh"

A=tw-test-pin$TW_ID
B=tw-test-pib$TW_ID # a bystander
ORIGIN_ROOTFS=/var/lib/lxc/$TW_ORIGIN/rootfs
BINDSRC=$TW_TMP/shared
CTL=/usr/local/sbin/throwawayctl
MB=700

# twpin: the attacker's program, static, put into the test's origin.
build_tools() {
	local c=$TW_TMP/c
	mkdir -p "$c" && chmod 0755 "$c" || return 1
	cat >"$c/pin.c" <<'EOF'
/*
 * twpin hold PATH           bind a unix socket at PATH (@NAME: abstract),
 *                           print hold:listening (or hold:bind:ERRNO), then
 *                           keep every fd sent to it until killed
 * twpin send PATH FILE MB   write MB MiB into FILE, send an fd of it to PATH:
 *                           send:sent, or send:STEP:ERRNO
 * twpin sock PATH | fifo PATH   make one: PATH:OK or PATH:ERRNO
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static socklen_t addr(const char *path, struct sockaddr_un *a)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	snprintf(a->sun_path, sizeof(a->sun_path), "%s", path);
	if (path[0] == '@')
		a->sun_path[0] = '\0';
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + (path[0] != '@'));
}

static int fail(const char *what, const char *step)
{
	printf("%s:%s:%s\n", what, step, strerrorname_np(errno));
	fflush(stdout);
	return 1;
}

static int hold(const char *path)
{
	struct sockaddr_un a;
	socklen_t l = addr(path, &a);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&a, l) < 0 || listen(s, 16) < 0)
		return fail("hold", "bind");
	printf("hold:listening\n");
	fflush(stdout);
	for (;;) {
		int c = accept(s, NULL, NULL);
		char b, cb[CMSG_SPACE(sizeof(int))];
		struct iovec v = { &b, 1 };
		struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1, .msg_control = cb,
				    .msg_controllen = sizeof(cb) };
		if (c >= 0 && recvmsg(c, &m, 0) == 1) {
			printf("hold:got\n");
			fflush(stdout);
		}
		/* the received fd stays open: that is the point */
	}
}

static int send_fd(const char *path, const char *file, long mb)
{
	static char buf[1 << 20];
	memset(buf, 0x5a, sizeof(buf));
	int f = open(file, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (f < 0)
		return fail("send", "open");
	for (long i = 0; i < mb; i++)
		if (write(f, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			return fail("send", "write");
	struct sockaddr_un a;
	socklen_t l = addr(path, &a);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&a, l) < 0)
		return fail("send", "connect");
	char b = 'x', cb[CMSG_SPACE(sizeof(int))];
	struct iovec v = { &b, 1 };
	struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1, .msg_control = cb,
			    .msg_controllen = sizeof(cb) };
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(h), &f, sizeof(int));
	if (sendmsg(s, &m, 0) != 1)
		return fail("send", "sendmsg");
	printf("send:sent\n");
	return 0;
}

static int make(const char *kind, const char *path)
{
	int r;
	if (!strcmp(kind, "fifo")) {
		r = mkfifo(path, 0600);
	} else {
		struct sockaddr_un a;
		socklen_t l = addr(path, &a);
		int s = socket(AF_UNIX, SOCK_STREAM, 0);
		r = s < 0 ? -1 : bind(s, (struct sockaddr *)&a, l);
	}
	printf("%s:%s\n", path, r < 0 ? strerrorname_np(errno) : "OK");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "hold"))
		return hold(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "send"))
		return send_fd(argv[2], argv[3], atol(argv[4]));
	if (argc == 3 && (!strcmp(argv[1], "sock") || !strcmp(argv[1], "fifo")))
		return make(argv[1], argv[2]);
	fprintf(stderr, "usage: twpin hold PATH | send PATH FILE MB | sock PATH | fifo PATH\n");
	return 2;
}
EOF
	(cd "$c" && gcc -static -O2 -o twpin pin.c) || return 1
	install -m 0755 "$c/twpin" "$ORIGIN_ROOTFS/bin/twpin" && install -m 0755 "$c/twpin" "$TW_TMP/twpin"
}

shmem_kb() { awk '$1 == "Shmem:" { print $2 }' /proc/meminfo; }
# The host's Shmem above BASE, in MB.
shmem_up() { echo $((($(shmem_kb) - BASE) / 1024)); }

session_of() { grep -lFx "user=$1" /run/throwaway/ledger/* 2>/dev/null | head -1 | xargs -r basename; }
sessions_of() { grep -lFx "user=$1" /run/throwaway/ledger/* 2>/dev/null | wc -l; }
# tssh SECONDS USER [ssh args...]: OpenSSH as USER, bounded in time.
tssh() {
	local t=$1 u=$2
	shift 2
	timeout "$t" ssh "${tw_ssh_opts[@]}" -i "$TW_TMP/$u.key" -p "$TW_PORT" -l "$u" 127.0.0.1 "$@"
}
said() { grep -q "^hold:" "$1" 2>/dev/null; }
# Sessions of USER down to N (the holder's, or none).
sessions_down_to() { [ "$(sessions_of "$1")" -le "$2" ]; }

# hold_in_copy OUT: a session of $A running the holder on ~/.twpin.sock; $! is its ssh.
hold_in_copy() {
	tw_ssh_bg $A 'exec twpin hold ~/.twpin.sock' >"$1" 2>&1
	HOLDER=$!
	wait_for 30 said "$1"
}

# pin_rounds LABEL LIMIT_MB: four sessions of $A each fill $MB MB in /tmp and
# send an fd of it to ~/.twpin.sock; after each logout the host's Shmem is
# at most LIMIT_MB above its baseline. MAX holds the highest figure seen.
# With PARENT set, what is held is also charged to that one cgroup after
# each logout (PARENTS: its inode and charge after each).
pin_rounds() {
	local label=$1 limit=$2 i out up figures=""
	MAX=0 PARENTS="" ESCAPED=0
	for i in 1 2 3 4; do
		out=$(tssh 120 $A "twpin send ~/.twpin.sock /tmp/twpin.fill $MB" 2>&1 | tr '\n' ' ')
		wait_for 20 sessions_down_to $A "$HOLDERS"
		wait_for 10 no_copies_but "$HOLDERS"
		sleep 1
		up=$(shmem_up)
		[ "$up" -gt "$MAX" ] && MAX=$up
		figures+="$i:${up}MB(${out% }) "
		[ -n "${PARENT:-}" ] || continue
		PARENTS+="$i:$(parent_ino):$(parent_mb)MB "
		[ "$(parent_mb)" -ge $((up - 64)) ] || ESCAPED=1
	done
	echo "# $label: Shmem above baseline after each logout: $figures"
	[ -n "${PARENT:-}" ] && echo "# $label: the user's parent (inode:charge) after each logout: $PARENTS"
	check "$label: after each of 4 logouts of $MB MB, Shmem is at most $limit MB above its baseline (highest: $MAX MB)" \
		[ "$MAX" -le "$limit" ]
}
copies_now() { tw_copies; }
no_copies_but() { [ "$(tw_copies)" -le "$1" ]; }

tw_origin_create && tw_config && tw_user $A && tw_user $B && tw_sshd_start && build_tools ||
	{ not_ok "setup"; tw_finish; exit 1; }
install -d -m 0777 "$BINDSRC"
HOME_A=$(getent passwd $A | cut -d: -f6)

# --- 1. no socket or FIFO in what copies share ---------------------------

tw_config "bind = $BINDSRC:/srv/shared" "bind = $BINDSRC:/srv/shared-ro:ro"
out=$(tssh 60 $A 'twpin sock ~/s; twpin fifo ~/f; mkdir -p ~/d/e && twpin sock ~/d/e/s; twpin fifo ~/d/e/f
twpin sock /srv/shared/s; twpin fifo /srv/shared/f
twpin sock /tmp/s; twpin fifo /tmp/f; mkdir -p /tmp/d && twpin sock /tmp/d/s
echo x >/tmp/mv1 && mkdir -p /tmp/mvdir && mv /tmp/mv1 /tmp/mvdir/ && echo mv-tmp:OK
echo x >~/mv2 && mkdir -p ~/mvdir && mv ~/mv2 ~/mvdir/ && echo mv-home:OK
mv /tmp/s ~/moved-sock 2>/dev/null; [ -S ~/moved-sock ] && echo mv-sock-home:BREACH || echo mv-sock-home:refused
mkdir -p /tmp/sd && twpin sock /tmp/sd/s >/dev/null && mv /tmp/sd ~/sd 2>/dev/null
[ -S ~/sd/s ] && echo mv-sockdir-home:BREACH || echo mv-sockdir-home:refused' 2>&1 | tr '\n' ' ')
for want in "$HOME_A/s:EACCES" "$HOME_A/f:EACCES" "$HOME_A/d/e/s:EACCES" "$HOME_A/d/e/f:EACCES" \
	"/srv/shared/s:EACCES" "/srv/shared/f:EACCES"; do
	expect_match "no socket or FIFO in the home or a bind: ${want%:*}" "(^| )$want( |$)" "$out"
done
for want in "/tmp/s:OK" "/tmp/f:OK" "/tmp/d/s:OK" "mv-tmp:OK" "mv-home:OK" "mv-sock-home:refused" \
	"mv-sockdir-home:refused"; do
	expect_match "the copy's own directories keep them, moves still work: ${want%:*}" "(^| )$want( |$)" "$out"
done
check "nothing of them reached the home or the bind on the host" \
	sh -c "! find '$HOME_A' '$BINDSRC' \( -type s -o -type p \) | grep -q ."
rm -rf "${HOME_A:?}/d" "$HOME_A/mvdir" "$HOME_A/sd"
check_clean "case 1: nothing left behind"

# An abstract socket is per network namespace: one copy's does not reach another's.
tw_config
tw_ssh_bg $A 'exec twpin hold @twpin-abstract' >"$TW_TMP/abs.out" 2>&1
HOLDER=$!
check "an abstract socket can be made in a copy" wait_for 30 said "$TW_TMP/abs.out"
out=$(tssh 60 $A 'twpin send @twpin-abstract /tmp/x 1' 2>&1)
expect_eq "another copy of the user cannot reach it" "send:connect:ECONNREFUSED" "$out"
tw_stop "$HOLDER"
check_clean "abstract sockets: nothing left behind"

# --- 2. four dead sessions of 700 MB, a holder in another session ---------

hold_in_copy "$TW_TMP/hold2.out"
HOLDERS=1
expect_eq "the holder in a copy cannot make its socket in the home" "hold:bind:EACCES" \
	"$(head -1 "$TW_TMP/hold2.out")"
sleep 1
BASE=$(shmem_kb)
pin_rounds "holder in a copy" 200
tw_stop "$HOLDER"
check_clean "case 2: nothing left behind (the user's parent cgroup went with the last copy)"

# --- 3. a holder the copies reach anyway: the user's cap holds ------------

# The user's parent in the memory hierarchy (v1 "memory", or the unified root).
if [ -e /sys/fs/cgroup/cgroup.controllers ]; then
	PARENT=/sys/fs/cgroup/throwaway/copies/u$(id -u $A) USAGE=memory.current
else
	PARENT=/sys/fs/cgroup/memory/throwaway/copies/u$(id -u $A) USAGE=memory.usage_in_bytes
fi
parent_mb() { echo $(($(cat "$PARENT/$USAGE" 2>/dev/null || echo 0) / 1048576)); }
parent_ino() { stat -c %i "$PARENT" 2>/dev/null || echo none; }
parent_gone() { ! ls -d /sys/fs/cgroup/throwaway/copies/u"$(id -u $A)" \
	/sys/fs/cgroup/*/throwaway/copies/u"$(id -u $A)" >/dev/null 2>&1; }

CAP=1600
tw_config "memory_max_per_user = ${CAP}M"
# A socket made on the host, as the user, outside any copy: what Landlock
# cannot see (made before, or by a program not run through the keeper).
runuser -u $A -- "$TW_TMP/twpin" hold "$HOME_A/.twpin.sock" >"$TW_TMP/hold3.out" 2>&1 &
HOLDER=$!
check "a holder on the host listens in the home" wait_for 10 said "$TW_TMP/hold3.out"
HOLDERS=0
sleep 1
BASE=$(shmem_kb)
pin_rounds "holder on the host, memory_max_per_user = ${CAP}M" $((CAP + 64))
# A parent removed while charged leaves what it held outside the cap
# (its memory.stat lags the page counter: read as a copy ends, it showed
# no shmem), and the user's next copies count from zero in a new one.
check "after each logout, what the holder keeps is charged to the user's parent ($PARENTS)" \
	[ "$ESCAPED" = 0 ]
one_parent() {
	local ids
	ids=$(echo "$PARENTS" | tr ' ' '\n' | grep . | cut -d: -f2 | sort -u)
	[ "$(echo "$ids" | wc -l)" = 1 ] && [ "$ids" != none ]
}
check "the user's parent is never removed while charged: one cgroup after every logout ($PARENTS)" \
	one_parent
check "the holder kept what it was sent: at least two sessions' worth ($MAX MB)" [ "$MAX" -ge $((2 * MB - 64)) ]
held=$(parent_mb)
echo "# the user's parent cgroup is charged $held MB with no copy of the user running"
check "the dead copies' memory is charged to the user's parent ($held MB)" [ "$held" -ge $((2 * MB - 64)) ]
check "while it is held, gc keeps the user's parent (a new one would count from zero)" \
	sh -c "$CTL gc >/dev/null 2>&1; [ -d '$PARENT' ]"
out=$(tssh 120 $B "dd if=/dev/zero of=/tmp/big bs=1M count=$MB 2>/dev/null && echo wrote" 2>&1)
expect_eq "another user still gets $MB MB" "wrote" "$out"
out=$(tssh 60 $A 'echo in' 2>&1)
expect_eq "the user still logs in, under what is left of the cap" "in" "$out"
tw_stop "$HOLDER"
shmem_back() { [ "$(shmem_up)" -le 200 ]; }
check "once the holder is gone, Shmem is back at its baseline" wait_for 20 shmem_back
echo "# after the holder: Shmem $(shmem_up) MB above baseline"
check "and gc removes the user's idle parent" sh -c "$CTL gc >/dev/null 2>&1; ! [ -e '$PARENT' ]"
check_clean "case 3: nothing left behind"
check "no parent cgroup of the user is left in any hierarchy" parent_gone

tw_finish
