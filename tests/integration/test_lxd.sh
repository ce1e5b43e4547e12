#!/bin/bash
# The lxd driver against a real LXD (tests/lxd.sh: a daemon of the test's
# own, a one-member cluster, a busybox image): a copy is made as an
# ephemeral instance from the image, marked, limited and hardened as the
# config says, with the user's home and ids; a program in it runs as the
# user's uid; stopping it leaves nothing in LXD; a copy whose maker died is
# destroyed by name; a missing origin and an unreachable LXD are told.
source "$(dirname "$0")/../lib.sh"
source "$TW_ROOT/tests/lxd.sh"
CLIENT=$TW_BUILD/tests/lxd_client
USER_NAME=tw-test-lx$TW_ID
COPY=tw-test-c$TW_ID
SESSION=0123456789abcdef

trap 'tw_lxd_stop; tw_finish >/dev/null' EXIT

# lxd_conf [extra lines...]: a config whose origin is the test's image.
lxd_conf() {
	{
		printf '[global]\norigin = %s\nlxd_socket = %s\n' "$TW_LXD_IMAGE" "$TW_LXD_SOCKET"
		printf '%s\n' "$@"
	} >"$TW_CONF"
}

cfg() { lxc config get "$COPY" "$1" 2>/dev/null; }

check "lxd starts as a one-member cluster with the origin image" tw_lxd_start
expect_eq "the cluster has one member" 1 "$(lxc cluster list --format csv 2>/dev/null | wc -l)"

tw_user "$USER_NAME" /bin/sh
uid=$(id -u "$USER_NAME")
gid=$(id -g "$USER_NAME")
home=$(getent passwd "$USER_NAME" | cut -d: -f6)
echo "from the host" >"$home/marker"
chown "$USER_NAME:" "$home/marker"
lxd_conf "pids_max = 100" "memory_max = 256M"

# session_start: lxd_client session in the background, its stdin a fifo we
# hold open ($SESSION_IN), its output in $TW_TMP/session.out.
session_start() {
	rm -f "$TW_TMP/session.in" "$TW_TMP/session.out"
	mkfifo "$TW_TMP/session.in"
	"$CLIENT" session "$TW_CONF" "$COPY" "$SESSION" "$USER_NAME" "$home" "$uid" "$gid" \
		<"$TW_TMP/session.in" >"$TW_TMP/session.out" 2>&1 &
	SESSION_PID=$!
	exec {SESSION_IN}>"$TW_TMP/session.in"
	wait_for 60 grep -q . "$TW_TMP/session.out"
}
first_line() { head -1 "$TW_TMP/session.out"; }
said_gone() { grep -qx gone "$TW_TMP/session.out"; }
# run|runpty ARGS...: a copy of its own (named apart, so that one left by a
# failure cannot fail the next; they run in subshells, hence $RANDOM),
# PROGRAM ARGS run in it.
run() { timeout -k 5 60 "$CLIENT" run "$TW_CONF" "$COPY-$RANDOM" "$SESSION" "$USER_NAME" "$home" "$uid" "$gid" "$@"; }
runpty() { timeout -k 5 60 "$CLIENT" "${PTY_MODE:-runpty}" "$TW_CONF" "$COPY-$RANDOM" "$SESSION" "$USER_NAME" "$home" "$uid" "$gid" "$@"; }

echo "# LXD's kernel features: $(lxc info 2>/dev/null | grep -iE 'idmapped_mounts|shiftfs' | paste -sd ' ')"
session_start
expect_eq "the copy is made, started and given the user's entries" ready "$(first_line)"
expect_eq "the user's ids pass through the isolated map" "uid $uid $uid
gid $gid $gid" "$(cfg raw.idmap)"
expect_eq "it is an instance of LXD, running" "$COPY,RUNNING" \
	"$(lxc list --format csv -c ns "$COPY" 2>/dev/null)"
expect_eq "it is ephemeral" true "$(lxc config show "$COPY" 2>/dev/null | sed -n 's/^ephemeral: //p')"
expect_eq "it carries the session's mark" "$SESSION" "$(cfg user.throwaway.session)"
expect_eq "it carries the user's mark" "$USER_NAME" "$(cfg user.throwaway.user)"
expect_eq "it carries the front door's mark" "$(hostname)" "$(cfg user.throwaway.host)"
expect_eq "pids_max is limits.processes" 100 "$(cfg limits.processes)"
expect_eq "memory_max is limits.memory" $((256 << 20)) "$(cfg limits.memory)"
expect_eq "cpu_weight is limits.cpu.allowance" "100%" "$(cfg limits.cpu.allowance)"
expect_eq "its ids are isolated" true "$(cfg security.idmap.isolated)"
expect_eq "it is not privileged" false "$(cfg security.privileged)"
expect_eq "it is not nested" false "$(cfg security.nesting)"
expect_eq "it has no /dev/lxd (LXD's default gives one: our marks are in its config)" \
	"false absent" "$(cfg security.devlxd) $(lxc exec "$COPY" -- sh -c \
		'[ -e /dev/lxd ] && echo present || echo absent' 2>&1)"
expect_eq "a program runs in it as the user's uid" "$uid" \
	"$(lxc exec "$COPY" --user "$uid" --group "$gid" -- id -u 2>&1)"
expect_eq "its passwd names the user" "$USER_NAME:x:$uid:$gid::$home:/bin/sh" \
	"$(lxc exec "$COPY" -- grep "^$USER_NAME:" /etc/passwd 2>&1)"
expect_eq "the home is there, the user's own" "from the host $uid" \
	"$(lxc exec "$COPY" --user "$uid" --group "$gid" -- sh -c "cat $home/marker; stat -c %u $home/marker" 2>&1 | paste -sd ' ')"
lxc exec "$COPY" --user "$uid" --group "$gid" --cwd "$home" -- sh -c 'echo inside >made-inside' 2>/dev/null
expect_eq "what the user writes inside is the user's on the host" "inside $USER_NAME" \
	"$(cat "$home/made-inside" 2>&1) $(stat -c %U "$home/made-inside" 2>&1)"
expect_eq "list finds it by its mark" "$COPY $SESSION" "$("$CLIENT" list "$TW_LXD_SOCKET")"
exec {SESSION_IN}>&-
check "stop says it is gone" wait_for 30 said_gone
wait "$SESSION_PID" 2>/dev/null
check "LXD has no instance left" tw_lxd_no_instances

# An instance origin's keys that reach the member, or refuse the delete,
# are not a copy's: LXD keeps the source's config under ours.
O=tw-test-lxo$TW_ID
lxc init "$TW_LXD_IMAGE" "$O" -c security.syscalls.intercept.mknod=true \
	-c security.syscalls.intercept.setxattr=true -c security.protection.delete=true \
	-c security.syscalls.intercept.sched_setscheduler=true -c linux.kernel_modules=dummy \
	>/dev/null 2>"$TW_TMP/init.err" || not_ok "an instance origin: $(cat "$TW_TMP/init.err")"
sed -i "s/^origin = .*/origin = $O/" "$TW_CONF"
session_start
expect_eq "a copy of an instance origin is made from it" ready "$(first_line)"
expect_eq "without the origin's syscall interception, kernel modules or delete protection" \
	"false false false false ''" "$(cfg security.syscalls.intercept.mknod) \
$(cfg security.syscalls.intercept.setxattr) $(cfg security.syscalls.intercept.sched_setscheduler) \
$(cfg security.protection.delete) '$(cfg linux.kernel_modules)'"
exec {SESSION_IN}>&-
check "and it goes at the end, as any copy" wait_for 30 said_gone
wait "$SESSION_PID" 2>/dev/null
check "LXD has the origin left alone" wait_for 30 eval '[ "$(tw_lxd_instances)" = "$O" ]'
# An allow list would take the place of our deny list: LXD refuses the two together.
lxc config set "$O" security.syscalls.allow=getpid
session_start
expect_match "an origin with an allow list of syscalls is refused, saying why" \
	'security.syscalls.allow is mutually exclusive' "$(cat "$TW_TMP/session.out")"
wait "$SESSION_PID" 2>/dev/null
exec {SESSION_IN}>&-
check "and no copy of it is left" wait_for 30 eval '[ "$(tw_lxd_instances)" = "$O" ]'
lxc config set "$O" security.protection.delete=false && lxc delete "$O" >/dev/null
sed -i "s/^origin = .*/origin = $TW_LXD_IMAGE/" "$TW_CONF"

# A maker killed after the make: the copy stays until destroyed by name (gc's way).
session_start
kill -KILL "$SESSION_PID" 2>/dev/null
wait "$SESSION_PID" 2>/dev/null
exec {SESSION_IN}>&-
expect_eq "a copy outlives its killed maker" "$COPY $SESSION" "$("$CLIENT" list "$TW_LXD_SOCKET")"
check "destroy by name removes it" "$CLIENT" destroy "$TW_LXD_SOCKET" "$COPY"
check "and LXD has no instance left" tw_lxd_no_instances
check "destroying what is gone is no error" "$CLIENT" destroy "$TW_LXD_SOCKET" "$COPY"

# Programs through LXD's exec websockets, from the driver's stand-in.
expect_eq "the driver runs a program as the user, its output relayed" "$uid $home" \
	"$(run /bin/sh -c 'echo $(id -u) $(pwd)' </dev/null 2>&1)"
printf 'line one\nline two\n' | run /bin/cat >"$TW_TMP/cat.out" 2>"$TW_TMP/cat.err"
rc=$?
expect_eq "stdin reaches the program, and its end" "line one|line two|0|" \
	"$(paste -sd '|' "$TW_TMP/cat.out")|$rc|$(paste -sd '|' "$TW_TMP/cat.err")"
run /bin/sh -c 'echo to-stderr >&2; exit 7' </dev/null >/dev/null 2>"$TW_TMP/err"
expect_eq "the program's exit status is the stand-in's" 7 "$?"
expect_eq "its stderr is relayed apart" to-stderr "$(cat "$TW_TMP/err")"
# The program shows its size, then waits (up to 20 s) for it to change:
# lxd_client resizes the terminal once it has seen those two lines.
# shellcheck disable=SC2016 # expanded inside
resized='tty; s=$(stty size); echo "$s"; n=0
while [ "$(stty size)" = "$s" ] && [ $n -lt 200 ]; do sleep 0.1; n=$((n + 1)); done; stty size'
out=$(runpty /bin/sh -c "$resized" </dev/null 2>&1 | tr -d '\r')
expect_match "with a terminal, the program has one inside" '^/dev/pts/[0-9]+$' "$(echo "$out" | sed -n 1p)"
expect_eq "of the size asked" "33 101" "$(echo "$out" | sed -n 2p)"
expect_eq "and a window size change reaches it" "40 120" "$(echo "$out" | sed -n 3p)"
# Resized at once, before the stand-in reached LXD: not lost (the
# program starts at the new size, or is told it).
# shellcheck disable=SC2016 # expanded inside
early='n=0; while [ "$(stty size)" != "40 120" ] && [ $n -lt 200 ]; do sleep 0.1; n=$((n + 1)); done
stty size'
out=$(PTY_MODE=runpty-early runpty /bin/sh -c "$early" </dev/null 2>&1 | tr -d '\r')
expect_eq "a window size change before the program started reaches it" "40 120" "$out"
runpty /bin/sh -c 'exit 5' </dev/null >/dev/null 2>&1
expect_eq "with a terminal too, the exit status is the stand-in's" 5 "$?"
check "and LXD has no instance left after them" tw_lxd_no_instances

lxd_conf
sed -i "s/^origin = .*/origin = tw-test-none/" "$TW_CONF"
expect_eq "a missing origin is told by name" \
	"lxd_client: prepare: the origin 'tw-test-none' is neither an image alias nor an instance in LXD" \
	"$("$CLIENT" check "$TW_CONF" 2>&1)"
lxd_conf
sed -i "s|^lxd_socket = .*|lxd_socket = $TW_TMP/no.socket|" "$TW_CONF"
expect_eq "an unreachable LXD is told with its socket" \
	"lxd_client: prepare: LXD is not reachable at '$TW_TMP/no.socket'" \
	"$("$CLIENT" check "$TW_CONF" 2>&1)"

tw_lxd_stop
expect_eq "stopping LXD leaves nothing of it" "" "$(tw_lxd_residue)"
trap - EXIT
tw_finish
