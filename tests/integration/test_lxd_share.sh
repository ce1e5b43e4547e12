#!/bin/bash
# share = user on backend = lxd: one instance per user that the sessions of
# every front door join, wherever it runs, and that goes with the last of
# them. Two front doors on one LXD: this host's sshd, and a second sshd
# with a host name and a /run/throwaway of its own (new UTS and mount
# namespaces), as another machine would have. The instance's config says
# who holds it (user.throwaway.holders); each front door judges its own.
source "$(dirname "$0")/../lib.sh"
source "$TW_ROOT/tests/lxd.sh"
A=tw-test-lxs
DOOR2=tw-test-door2
D2=$TW_DOOR2

gc1='' gc2=''
trap 'kill $gc1 $gc2 2>/dev/null; tw_door2_stop; tw_lxd_stop; tw_finish >/dev/null' EXIT

check "lxd starts as a one-member cluster with the origin image" tw_lxd_start
tw_lxd_config "lxd_socket = $TW_LXD_SOCKET" "share = user"
tw_user $A && tw_sshd_start || { not_ok "setup"; exit 1; }
HOME_A=$(getent passwd $A | cut -d: -f6)

check "a second front door starts, with its own host name and /run/throwaway" \
	tw_door2_start "$DOOR2"
door2() { tw_door2 "$@"; }
expect_eq "its programs see that host name" "$DOOR2" "$(door2 hostname)"

ssh1() { timeout -k 5 60 ssh "${tw_ssh_opts[@]}" -i "$TW_TMP/$A.key" -p "$TW_PORT" $A@127.0.0.1 "$@"; }
ssh2() { tw_door2_ssh $A "$@"; }
# bg1/bg2 NAME: a session on door 1 or 2 that runs until ~/NAME exists.
# shellcheck disable=SC2016 # expanded inside, $0 the file's name
hold='while [ ! -e ~/$0 ]; do sleep 0.1; done; rm ~/$0'
bg1() { (ssh1 sh -c "'$hold'" "$1") & }
bg2() { (ssh2 sh -c "'$hold'" "$1") & }
has_instance() { [ -n "$(tw_lxd_instances)" ]; }
gone() { ! kill -0 "$1" 2>/dev/null; }
holders() { lxc config get "$1" user.throwaway.holders 2>/dev/null; }
# HOLDS NAME: the front doors holding it, one word each, sorted.
holds() { holders "$1" | tr ' ' '\n' | sed 's|/.*||' | sort | paste -sd ' '; }
held_by() { [ "$(holds "$1")" = "$2" ]; }
# What LXD and both ledgers hold, for a failed case.
dump() {
	local i
	for i in $(tw_lxd_instances); do
		echo "#   instance $i $(lxc list "$i" --format csv -c s)" \
			"share=$(lxc config get "$i" user.throwaway.share) holders=$(holders "$i")"
	done
	echo "#   ledger here: $(ls /run/throwaway/ledger 2>/dev/null | paste -sd ' ')"
	echo "#   ledger door2: $(ledger2 | paste -sd ' ')"
}
check_or_dump() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else
		not_ok "$name"
		dump
	fi
}
ledger2() { door2 sh -c 'ls /run/throwaway/ledger 2>/dev/null'; }
no_ledger2() { [ -z "$(ledger2)" ]; }
ME=$(hostname)
DOORS=$(printf '%s\n' "$ME" "$DOOR2" | sort | paste -sd ' ')

# One front door: a second login joins the first's instance.
bg1 go1
b1=$!
check "a session on this front door has its instance" wait_for 30 has_instance
NAME=$(tw_lxd_instances)
wait_for 30 held_by "$NAME" "$ME"
expect_eq "a second login on the same front door lands in it" "$NAME" "$(ssh1 hostname 2>&1)"
expect_eq "the instance is marked shared, held by this front door's session" \
	"user $ME/$(tw_session_of $A)" \
	"$(lxc config get "$NAME" user.throwaway.share) $(holders "$NAME")"

# Another front door: its login finds the instance on the cluster, joins it.
expect_eq "a login through the other front door lands in the same instance" "$NAME" \
	"$(ssh2 hostname 2>&1)"
expect_eq "as the user, with the home" "$(id -u $A) $HOME_A" "$(ssh2 'id -u; echo ~' 2>&1 | paste -sd ' ')"
bg2 go2
b2=$!
check_or_dump "while it runs, both front doors hold the instance" wait_for 30 held_by "$NAME" "$DOORS"
expect_eq "LXD has that one instance only" "$NAME" "$(tw_lxd_instances)"

# The first front door's session ends: the other's still holds it.
touch "$HOME_A/go1"
check "the first front door's session ends" wait_for 30 gone $b1
check "its hold is dropped; the other front door's stays" wait_for 30 held_by "$NAME" "$DOOR2"
expect_eq "the instance still runs" RUNNING "$(lxc list "$NAME" --format csv -c s 2>&1)"
expect_eq "a new login on the first front door joins it again" "$NAME" "$(ssh1 hostname 2>&1)"
check "and after it the other front door alone holds it" wait_for 30 held_by "$NAME" "$DOOR2"
touch "$HOME_A/go2"
check "the last session ends" wait_for 30 gone $b2
check "with its last holder gone LXD deletes the instance" wait_for 30 tw_lxd_no_instances
check "the other front door has no record left" wait_for 30 no_ledger2

# A killed keeper: its login's close drops its hold alone.
bg1 go3
b1=$!
wait_for 30 has_instance
NAME=$(tw_lxd_instances)
bg2 go4
b2=$!
check_or_dump "both front doors hold the next instance" wait_for 30 held_by "$NAME" "$DOORS"
s2=$(ledger2)
k2=$(door2 sh -c "sed -n 's/^keeper=//p' /run/throwaway/ledger/$s2")
kill -KILL "$k2"
check "the other front door's session ends when its keeper is killed" wait_for 30 gone $b2
check "its hold is dropped, this front door's stays" wait_for 30 held_by "$NAME" "$ME"
expect_eq "and the instance runs on for it" RUNNING "$(lxc list "$NAME" --format csv -c s 2>&1)"
touch "$HOME_A/go3"
check "this session ends" wait_for 30 gone $b1
check "and the instance goes with it" wait_for 30 tw_lxd_no_instances

# A front door that lost its records (a reboot empties /run): gc drops its
# sessions' holds, leaves another front door's, and deletes an instance
# that nobody holds any more. Each session's own housekeeping gc (its
# keeper's child, at nice 19) would do the same as soon as the record is
# gone: each door's gc lock is held here until its gc is run by hand, so
# that theirs are skipped, and the holds seen are the ones this gc judged.
# gc_hold FILE: a process of its own holds the lock FILE until killed (a
# lock fd of this shell's would go to every login started after it).
gc_hold() {
	(exec 9>"$1" && flock 9 && exec sleep 600) &
	wait_for 10 locked "$1"
}
locked() { ! flock -n "$1" true; }
gc_hold /run/throwaway/gc.lock
gc1=$!
gc_hold "/proc/$(cat "$D2/sshd.pid")/root/run/throwaway/gc.lock"
gc2=$!
bg1 go5
b1=$!
wait_for 30 has_instance
NAME=$(tw_lxd_instances)
bg2 go6
b2=$!
wait_for 30 held_by "$NAME" "$DOORS"
s1=$(tw_session_of $A)
k1=$(tw_field "$s1" keeper)
rm -f "/run/throwaway/ledger/$s1"
kill -KILL "$k1"
wait_for 30 gone $b1
check "without its record, this front door's hold outlives its session" held_by "$NAME" "$DOORS"
kill "$gc1"
wait "$gc1" 2>/dev/null
out=$(/usr/local/sbin/throwawayctl gc "$TW_CONF" 2>&1)
expect_eq "gc drops it and leaves the other front door's" "$DOOR2" "$(holds "$NAME")"
expect_eq "the instance runs on for that one" RUNNING "$(lxc list "$NAME" --format csv -c s 2>&1)"
s2=$(ledger2)
k2=$(door2 sh -c "sed -n 's/^keeper=//p' /run/throwaway/ledger/$s2")
door2 rm -f "/run/throwaway/ledger/$s2"
kill -KILL "$k2"
wait_for 30 gone $b2
kill "$gc2"
wait "$gc2" 2>/dev/null
out=$(door2 /usr/local/sbin/throwawayctl gc "$TW_CONF" 2>&1)
expect_match "the other front door's gc, its last holder's record lost too, deletes it" \
	"gc: .*1 copies" "$out"
check "and LXD has no instance left" wait_for 30 tw_lxd_no_instances

# A front door that is gone for good (retired, or reinstalled under another
# name): its instance stays while its lease runs (user.throwaway.alive,
# renewed every minute by a live session's keeper), and any other front
# door's gc deletes it once ten minutes went by without a word.
bg2 go7
b2=$!
check "a session on the other front door has its instance" wait_for 30 has_instance
NAME=$(tw_lxd_instances)
wait_for 30 held_by "$NAME" "$DOOR2"
alive=$(lxc config get "$NAME" user.throwaway.alive 2>&1)
check_all "its front door vouched for it as it made it (alive=$alive)" \
	'[ -n "$alive" ] && [ $(( $(date +%s) - alive )) -ge 0 ] && [ $(( $(date +%s) - alive )) -lt 120 ]'
# The whole front door at once, as when its host dies: every process of
# its namespaces (sshd, the keeper and its helpers) killed together, so
# that none of them lets the instance go.
uts2=$(readlink "/proc/$(cat "$D2/sshd.pid")/ns/uts")
door2_procs() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/uts" 2>/dev/null)" = "$uts2" ] && echo "${p#/proc/}"
	done
}
no_door2_procs() { [ -z "$(door2_procs)" ]; }
# shellcheck disable=SC2046 # one pid per word
kill -KILL $(door2_procs)
rm -f "$D2/sshd.pid"
check "the other front door is gone, all of it at once" wait_for 10 no_door2_procs
wait_for 30 gone $b2
check_or_dump "its instance runs on, held by it" held_by "$NAME" "$DOOR2"
out=$(/usr/local/sbin/throwawayctl gc "$TW_CONF" 2>&1)
expect_eq "gc here leaves another front door's instance alone while its lease runs" \
	RUNNING "$(lxc list "$NAME" --format csv -c s 2>&1)"
lxc config set "$NAME" user.throwaway.alive $(($(date +%s) - 601))
out=$(/usr/local/sbin/throwawayctl gc "$TW_CONF" 2>&1)
expect_match "once nobody vouched for it for ten minutes, gc here deletes it" "gc: .*1 copies" "$out"
check "and LXD has no instance left" wait_for 30 tw_lxd_no_instances

tw_finish
