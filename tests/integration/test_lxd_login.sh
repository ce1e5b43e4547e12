#!/bin/bash
# End to end on backend = lxd: an ssh login through a real sshd with the
# project's PAM service lands in an ephemeral instance of an LXD of the
# test's own (tests/lxd.sh: a one-member cluster, a busybox image), as the
# user's uid, with the home there; its programs' input, output and exit
# status pass through LXD's exec websockets; after logout LXD has no
# instance left.
source "$(dirname "$0")/../lib.sh"
source "$TW_ROOT/tests/lxd.sh"
source "$TW_ROOT/tests/kprobe.sh"
A=tw-test-lxa

trap 'tw_lxd_stop; tw_finish >/dev/null' EXIT

check "lxd starts as a one-member cluster with the origin image" tw_lxd_start
# lxd_config [KEY = VALUE]...: the test's config on this LXD, with these too.
lxd_config() { tw_lxd_config "lxd_socket = $TW_LXD_SOCKET" "$@"; }
lxd_config
tw_user $A && tw_sshd_start || { not_ok "setup"; exit 1; }
HOME_A=$(getent passwd $A | cut -d: -f6)
UID_A=$(id -u $A)
echo "from the host" >"$HOME_A/marker" && chown $A: "$HOME_A/marker"

has_instance() { [ -n "$(tw_lxd_instances)" ]; }
running() { [ "$(tw_field "$1" state)" = running ]; }
gone() { ! kill -0 "$1" 2>/dev/null; }
lssh() { tw_lxd_ssh "$@"; }

expect_eq "ssh host id -u prints the user's uid from inside" "$UID_A" "$(lssh $A id -u 2>&1)"
check "after logout LXD has no instance left" wait_for 30 tw_lxd_no_instances
expect_match "the copy is named by the name template" "^$TW_LXD_IMAGE-$A-[a-z0-9]{6}\$" \
	"$(lssh $A hostname 2>&1)"
expect_eq "the home is there, the user's own" "from the host $UID_A" \
	"$(lssh $A 'cat ~/marker; stat -c %u ~/marker' 2>&1 | paste -sd ' ')"
lssh $A 'echo from-copy > ~/copy-file'
expect_eq "what the user writes inside lands in the home, theirs" "from-copy $A" \
	"$(cat "$HOME_A/copy-file" 2>&1) $(stat -c %U "$HOME_A/copy-file" 2>&1)"
expect_eq "the copy's passwd names the user" "$A:x:$UID_A:$(id -g $A)::$HOME_A:/bin/sh" \
	"$(lssh $A "grep '^$A:' /etc/passwd" 2>&1)"

# The hardening LXD has no key for, as raw.lxc: no_new_privs, and the
# capabilities every copy's root goes without (sys_admin 21, sys_module 16,
# sys_rawio 17, mknod 27, net_admin 12, net_raw 13, sys_ptrace 19).
DROPPED=$(((1 << 21) | (1 << 16) | (1 << 17) | (1 << 27) | (1 << 12) | (1 << 13) | (1 << 19)))
expect_eq "no_new_privs is set for the user's programs" 1 \
	"$(lssh $A 'grep NoNewPrivs /proc/self/status | tr -dc 0-9' 2>&1)"
read -r b_user b_init <<<"$(lssh $A 'grep CapBnd /proc/self/status /proc/1/status | cut -f2' 2>&1 | paste -sd ' ')"
check "the dropped capabilities are out of the bounding set of the user's programs and of init" \
	[ $(((0x${b_user:-ffffffffff} | 0x${b_init:-ffffffffff}) & DROPPED)) = 0 ]

# The local driver's seccomp profile on LXD's copies too: io_uring, TIOCSTI
# and TIOCLINUX, CLONE_NEWUSER and the keyring refused, from every ABI
# (tests/kprobe.sh); the probes in the (bound) home.
KP=$HOME_A/kp
mkdir -p "$TW_TMP/kp" && kprobe_build "$TW_TMP/kp" && install -d -o $A "$KP" &&
	install -m 0755 -o $A "$TW_TMP/kp/twk64" "$TW_TMP/kp/twk32" "$TW_TMP/kp/twkx32" "$KP/" ||
	not_ok "the seccomp probes are built"
kprobe_check "user" "$(lssh $A "$(kprobe_script "$KP")" 2>&1)"
# Every program enters through throwaway-enter: no FIFO (nor socket) made
# in the home, where a user's copies meet (Landlock); in /tmp it can be.
expect_eq "a FIFO cannot be made in the home; in /tmp it can" "denied made" \
	"$(lssh $A 'mkfifo ~/fifo 2>/dev/null && echo made || echo denied; mkfifo /tmp/fifo && echo made' 2>&1 | paste -sd ' ')"
check "and none was" [ ! -e "$HOME_A/fifo" ]

lssh $A 'echo to-stderr >&2; exit 7' >/dev/null 2>"$TW_TMP/err"
expect_eq "the exit status comes back" 7 "$?"
expect_eq "stderr is kept apart" to-stderr "$(cat "$TW_TMP/err")"
printf 'line one\nline two\n' | lssh $A cat >"$TW_TMP/cat.out" 2>&1
rc=$?
expect_eq "stdin reaches the program, and its end" "line one|line two|0" \
	"$(paste -sd '|' "$TW_TMP/cat.out")|$rc"
head -c 300000 /dev/urandom >"$TW_TMP/blob"
expect_eq "300 KB of binary data survive cat" "$(sha256sum <"$TW_TMP/blob")" \
	"$(lssh $A cat <"$TW_TMP/blob" | sha256sum)"

# While a session runs, LXD has its instance, marked with the session
# (the last login's may still be on its way out: not that one).
no_session() { ! has_session $A; }
wait_for 30 no_session
wait_for 30 tw_lxd_no_instances
tw_ssh_bg $A 'while [ ! -e ~/go ]; do sleep 0.1; done; rm ~/go'
bg=$!
wait_for 30 has_instance
name=$(tw_lxd_instances | head -1)
session=$(tw_session_of $A)
wait_for 30 running "$session"
expect_eq "during the session the instance carries its session's mark" "$session" \
	"$(lxc config get "$name" user.throwaway.session 2>&1)"
kprobe_check "root inside" "$(lxc exec "$name" -- /bin/sh -c "$(kprobe_script "$KP")" 2>&1)"
rm -rf "$KP"
expect_eq "and it is ephemeral" true "$(lxc config show "$name" 2>/dev/null | sed -n 's/^ephemeral: //p')"
row=$(/usr/local/sbin/throwawayctl list | grep "^$session ")
expect_match "throwawayctl list shows it, with the member it runs on" \
	"^$session +$A +$name +running +[0-9]+ +[0-9.]+[KMG] +- +.* tw-test-m1\$" "$row"
expect_match "and show too" "^member: +tw-test-m1\$" \
	"$(/usr/local/sbin/throwawayctl show "$session" | grep '^member:')"
expect_match "and list --json" '"member": "tw-test-m1"' "$(/usr/local/sbin/throwawayctl list --json)"
# With a second session, list asks LXD for both rows over one connection.
tw_ssh_bg $A 'while [ ! -e ~/go2 ]; do sleep 0.1; done; rm ~/go2'
bg2=$!
rows_on_m1() { [ "$(/usr/local/sbin/throwawayctl list | grep -c " tw-test-m1\$")" = "$1" ]; }
check "list has both sessions, each with its member" wait_for 30 rows_on_m1 2
strace -f -qq -e trace=connect -o "$TW_TMP/list.trace" /usr/local/sbin/throwawayctl list >/dev/null
expect_eq "and asks LXD for both over one connection" 1 "$(grep -c "$TW_LXD_SOCKET" "$TW_TMP/list.trace")"
touch "$HOME_A/go" "$HOME_A/go2"
check "that login ends when its program does" wait_for 60 gone "$bg"
check "and so does the second" wait_for 60 gone "$bg2"
check "after that logout too, LXD has no instance left" wait_for 30 tw_lxd_no_instances

# A keeper killed while LXD still makes its instance: the create goes on
# without it, and the login's close waits for it before the delete.
recorded() { has_session $A; }
tw_ssh_bg $A 'sleep 120'
bg=$!
wait_for 30 recorded
session=$(tw_session_of $A)
state=$(tw_field "$session" state)
kill -KILL "$(tw_field "$session" keeper)"
# LXD may take a create that was sent just before the kill after the close
# looked (its operation not listed yet): gc, as the next logins run it,
# deletes that one once LXD has finished it.
lxd_idle() { ! lxc operation list --format csv 2>/dev/null | grep -qi ',running,'; }
swept() { lxd_idle && /usr/local/sbin/throwawayctl gc "$TW_CONF" >/dev/null && tw_lxd_no_instances; }
check "a keeper killed at '$state' leaves no instance once its login ends (and gc ran)" \
	wait_for 60 swept
check "and that login has ended" wait_for 30 gone "$bg"
kill -KILL "$bg" 2>/dev/null
wait "$bg" 2>/dev/null

# A keeper killed mid-session: the login's close has its instance deleted,
# found through the ledger's record (the driver and place it names).
tw_ssh_bg $A 'sleep 120'
bg=$!
wait_for 30 has_instance
session=$(tw_session_of $A)
wait_for 30 running "$session"
expect_eq "the record names the lxd driver and LXD's socket" "backend=lxd $TW_LXD_SOCKET" \
	"$(tw_field "$session" options | grep -o 'backend=lxd') $(tw_field "$session" lxcpath)"
kill -KILL "$(tw_field "$session" keeper)"
check "a killed keeper's instance is deleted when the login ends" wait_for 40 tw_lxd_no_instances
check "and the login has ended" wait_for 30 gone "$bg"
kill -KILL "$bg" 2>/dev/null
wait "$bg" 2>/dev/null

# bind_home = no: a fresh home in the copy, with the keys; bind: a host
# directory as a disk device, read-only when asked.
mkdir -p "$TW_TMP/data" && echo shared-data >"$TW_TMP/data/f" && chmod 755 "$TW_TMP/data"
lxd_config "bind_home = no" "bind = $TW_TMP/data:/data:ro"
expect_eq "bind_home = no: the copy's home is its own, without the host's files" \
	"$UID_A none" "$(lssh $A 'id -u; test -e ~/marker && echo there || echo none' 2>&1 | paste -sd ' ')"
expect_eq "a bind is there" shared-data "$(lssh $A cat /data/f 2>&1)"
expect_match "and read-only" "Read-only" "$(lssh $A 'touch /data/x' 2>&1)"
# home_source: the members keep homes elsewhere (shared storage mounted at
# another path there); the copy still sees it at the passwd path.
SRC=$TW_TMP/homes/$A.$UID_A
mkdir -p "$SRC" && echo "from shared storage" >"$SRC/marker" && chown -R $A: "$SRC"
lxd_config "home_source = $TW_TMP/homes/%u.%U"
expect_eq "home_source: the home comes from there, at the passwd path" \
	"from shared storage $HOME_A" "$(lssh $A 'cat ~/marker; echo $HOME' 2>&1 | paste -sd ' ')"
lssh $A 'echo written > ~/via-source'
expect_eq "and what the user writes lands there, not in the host's home" "written none" \
	"$(cat "$SRC/via-source" 2>&1) $(test -e "$HOME_A/via-source" && echo there || echo none)"
lxd_config
check "LXD has no instance left after them" wait_for 30 tw_lxd_no_instances
tw_lxd_no_instances || {
	lxc list --format csv -c nsL 2>&1 | sed 's/^/#   left: /'
	ls /run/throwaway/ledger | sed 's/^/#   ledger: /'
	tail -n 5 "$TW_TMP/lxd.log" | sed 's/^/#   lxd.log: /'
}

# A front door that lost its records (a reboot empties /run): its marked
# instances are orphans, and gc deletes them; another front door's
# instances on the same cluster it leaves alone.
tw_ssh_bg $A 'sleep 120'
bg=$!
wait_for 30 has_instance
session=$(tw_session_of $A)
wait_for 30 running "$session"
orphan=$(tw_lxd_instances | head -1)
keeper=$(tw_field "$session" keeper)
rm -f "/run/throwaway/ledger/$session"
kill -KILL "$keeper"
wait_for 30 gone "$bg"
kill -KILL "$bg" 2>/dev/null
wait "$bg" 2>/dev/null
check "without its record, the session's instance outlives its login" \
	lxc info "$orphan" >/dev/null 2>&1
lxc init "$TW_LXD_IMAGE" tw-test-other-door --ephemeral -c user.throwaway.session=0123456789abcdef \
	-c user.throwaway.host=another-front-door >/dev/null 2>&1
out=$(/usr/local/sbin/throwawayctl gc "$TW_CONF" 2>&1)
expect_match "throwawayctl gc deletes it" "gc: [0-9]+ dead sessions, 1 copies" "$out"
expect_eq "and leaves another front door's instance" tw-test-other-door "$(tw_lxd_instances)"
# The driver asks LXD for one front door's instances, or the others', alone.
door_query() {
	lxc query "/1.0/instances?filter=config.user.throwaway.host%20$1%20$(hostname)" 2>&1 |
		grep -o '/1.0/instances/[^"]*' | paste -sd ' '
}
expect_eq "LXD's filter gives the other front door's instance to the caps' count, none to gc's" \
	"/1.0/instances/tw-test-other-door|" "$(door_query ne)|$(door_query eq)"

# doctor asks the LXD of the config, and finds the origin there.
out=$(/usr/local/sbin/throwawayctl doctor "$TW_CONF" 2>&1)
expect_match "doctor: LXD answers, trusts this host, and is a cluster member" \
	"ok +lxd +LXD [0-9.]+ answers at $TW_LXD_SOCKET and trusts this host, a cluster member" "$out"
expect_match "doctor: the origin is an image alias in it" \
	"ok +origin +'$TW_LXD_IMAGE' \[global\] is an image alias in LXD" "$out"
sed -i "s|^lxd_socket = .*|lxd_socket = $TW_TMP/no-lxd.socket|" "$TW_CONF"
out=$(/usr/local/sbin/throwawayctl doctor "$TW_CONF" 2>&1)
expect_match "doctor fails an LXD that does not answer, and says what to do" \
	"fail +lxd +$TW_TMP/no-lxd.socket: .*fix: start LXD, or set 'lxd_socket'" "$(echo "$out" | paste -sd ' ')"
expect_match "a login there is denied with a line the user can read" \
	"^throwaway: cannot create your sandbox: .*LXD" "$(lssh $A id -u 2>&1)"
lxd_config
# without FILE: doctor's answer ($out) and a login's ($out_login) while
# that installed FILE is away, put back even if the suite is killed.
without() {
	AWAY=$1
	mv "$AWAY" "$AWAY.away"
	trap '[ -e "$AWAY.away" ] && mv "$AWAY.away" "$AWAY"; tw_lxd_stop; tw_finish >/dev/null' EXIT
	out=$(/usr/local/sbin/throwawayctl doctor "$TW_CONF" 2>&1 | paste -sd ' ')
	out_login=$(lssh $A id -u 2>&1)
	mv "$AWAY.away" "$AWAY"
	trap 'tw_lxd_stop; tw_finish >/dev/null' EXIT
}
# The driver is a module of its own: without it, doctor and a login say so.
MOD=/usr/local/libexec/throwaway/throwaway-lxd.so
without "$MOD"
expect_match "doctor fails a missing lxd driver module, and names it" \
	"fail +lxd +driver cannot be loaded: $MOD: .*fix: install throwaway whole \($MOD\)" "$out"
expect_match "a login then is denied, saying why" \
	"^throwaway: cannot create your sandbox: the lxd driver cannot be loaded: $MOD" "$out_login"
expect_match "with it back, doctor finds LXD again" "ok +lxd +LXD" \
	"$(/usr/local/sbin/throwawayctl doctor "$TW_CONF" 2>&1)"
# Without throwaway-enter, which every copy's programs enter through, no
# copy is made: doctor and a login say so, and LXD is asked for nothing.
ENTER=/usr/local/libexec/throwaway/throwaway-enter
without "$ENTER"
expect_match "doctor fails a missing throwaway-enter, and names it" \
	"fail +lxd +$ENTER is missing: .*fix: install throwaway whole" "$out"
expect_match "a login then is denied, saying why" \
	"^throwaway: cannot create your sandbox: .*throwaway-enter" "$out_login"
expect_eq "and LXD was asked for no instance" tw-test-other-door "$(tw_lxd_instances)"

# The caps count the copies other front doors run on the cluster.
lxc config set tw-test-other-door user.throwaway.user $A
lxd_config "max_sessions_per_user = 1"
expect_match "a user's copy made by another front door counts in max_sessions_per_user" \
	"you already have 1 sandboxes, the limit" "$(lssh $A id -u 2>&1)"
lxc config set tw-test-other-door user.throwaway.user someone-else
expect_eq "another user's does not" "$UID_A" "$(lssh $A id -u 2>&1)"
lxd_config "max_sessions = 1"
expect_match "but it counts in max_sessions" "the cluster already runs its limit of 1 sandboxes" \
	"$(lssh $A id -u 2>&1)"
lxd_config
lxc delete -f tw-test-other-door >/dev/null 2>&1
check "after which LXD has none" wait_for 30 tw_lxd_no_instances

# A terminal: the program has one inside.
tw_lxd_terminal_cases $A

tw_lxd_stop
expect_eq "stopping LXD leaves nothing of it" "" "$(tw_lxd_residue)"
trap - EXIT
tw_finish
