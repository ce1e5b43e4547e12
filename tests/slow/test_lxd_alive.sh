#!/bin/bash
# Slow and optional (make check-slow; not in make check: it waits a
# minute). On backend = lxd a session's keeper vouches for its instance
# every minute (user.throwaway.alive), so that another front door's gc,
# which deletes an instance nobody vouched for in ten minutes, never takes
# a live session's: an instance whose mark is made old by hand is vouched
# for again within a minute of it, by a child of the keeper (an LXD slow
# to answer holds up nothing of the session), and vouching changes no
# other key. (That another front door's gc deletes what nobody vouched
# for is in test_lxd_share.)
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
source "$TW_ROOT/tests/lxd.sh"
A=tw-test-lxv
trap 'tw_lxd_stop; tw_finish >/dev/null' EXIT

check "lxd starts as a one-member cluster with the origin image" tw_lxd_start
tw_lxd_config "lxd_socket = $TW_LXD_SOCKET"
tw_user $A && tw_sshd_start || { not_ok "setup"; exit 1; }
HOME_A=$(getent passwd $A | cut -d: -f6)

has_instance() { [ -n "$(tw_lxd_instances)" ]; }
gone() { ! kill -0 "$1" 2>/dev/null; }
alive() { lxc config get "$NAME" user.throwaway.alive 2>/dev/null; }
vouched_since() { [ "$(alive)" -ge "$1" ] 2>/dev/null; }

tw_ssh_bg $A 'while [ ! -e ~/go ]; do sleep 0.1; done; rm ~/go' >/dev/null 2>&1
bg=$!
check "a session has its instance" wait_for 30 has_instance
NAME=$(tw_lxd_instances)
# (LXD refuses a config change while the start it is running lasts)
running() { [ "$(lxc list "$NAME" --format csv -c s 2>&1)" = RUNNING ]; }
check "and it runs" wait_for 30 running
KEEPER=$(tw_field "$(tw_session_of $A)" keeper)
strace -f -qq -p "$KEEPER" -e trace=sendto,write -s 40 -o "$TW_TMP/renew.trace" &
st=$!
traced() { ! grep -q '^TracerPid:[[:space:]]*0$' "/proc/$KEEPER/status"; }
wait_for 10 traced || not_ok "strace follows the keeper"
old=$(($(date +%s) - 601))
lxc config set "$NAME" user.throwaway.alive "$old" || not_ok "its mark is made old"
t0=$(date +%s)
check "its keeper vouches for it again within a minute (and a few seconds)" \
	wait_for 75 vouched_since "$t0"
kill "$st"
wait "$st" 2>/dev/null
# A child asks, so that an LXD slow to answer holds up nothing of the
# session's (the keeper's loop: its programs, signals and timeouts).
by=$(grep -m1 'PATCH /1.0/instances/' "$TW_TMP/renew.trace" | awk '{ print $1 }')
check_all "a child of the keeper vouches, not the keeper's loop ($KEEPER; by ${by:-none})" \
	'[ -n "$by" ] && [ "$by" != "$KEEPER" ]'
expect_eq "and the session's instance runs on" RUNNING "$(lxc list "$NAME" --format csv -c s 2>&1)"
expect_eq "the other keys of the instance are as they were" "$A true" \
	"$(lxc config get "$NAME" user.throwaway.user) $(lxc config show "$NAME" | sed -n 's/^ephemeral: //p')"
touch "$HOME_A/go"
check "the session ends when its program does" wait_for 60 gone "$bg"
check "and LXD has no instance left" wait_for 30 tw_lxd_no_instances
tw_finish
