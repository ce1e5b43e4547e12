#!/bin/bash
# However a session dies, its copy goes: SIGKILL of the sshd session
# monitor, of the shell, of the keeper; a dropped client; an sshd restart;
# a reboot inside the copy; a wedged lxc monitor; a crash of every keeper
# and monitor, then gc.
source "$(dirname "$0")/../lib.sh"

tw_origin_create && tw_config && tw_user tw-test-dora && tw_sshd_start ||
	{ not_ok "setup"; tw_finish; exit 1; }
D=tw-test-dora

# The session's program runs: the keeper has an attached child.
program_runs() { SID=$(tw_session_of $D) && [ -n "$SID" ] && pgrep -u $D -P "$(tw_field "$SID" keeper)" >/dev/null && pgrep -u $D -f throwaway-shell >/dev/null; }

# start_session: a background login that would last 60 s; sets SID and CLIENT.
start_session() {
	tw_ssh_bg $D "${1:-sleep 60}" >"$TW_TMP/client.out" 2>&1
	CLIENT=$!
	wait_for 10 program_runs
}
client_gone() { ! kill -0 "$CLIENT" 2>/dev/null; }

start_session
kill -KILL "$(tw_field "$SID" caller)"
check "SIGKILL of the sshd session monitor: the copy is gone within 5 s" wait_for 5 no_copies
check "and the client's connection ends" wait_for 5 client_gone
check_clean

start_session
pkill -KILL -u $D -f throwaway-shell
check "SIGKILL of the user's shell: the copy is gone within 5 s" wait_for 5 no_copies
check_clean

start_session
kill -KILL "$CLIENT"
check "a dropped client connection: the copy is gone within 5 s" wait_for 5 no_copies
check_clean

start_session
kill -KILL "$(tw_field "$SID" keeper)"
check "SIGKILL of the keeper: its shells lose it and the session ends" wait_for 5 client_gone
check "and the copy is gone within 5 s (close_session destroys it)" wait_for 5 no_copies
check_clean

# A connection with no channel open when its keeper dies (a ControlMaster).
ssh "${tw_ssh_opts[@]}" -i "$TW_TMP/$D.key" -p "$TW_PORT" -o ControlMaster=yes \
	-o ControlPath="$TW_TMP/ctl" -o ControlPersist=no -fN "$D@127.0.0.1"
session_running() { SID=$(tw_session_of $D) && [ "$(tw_field "$SID" state)" = running ]; }
wait_for 10 session_running
kill -KILL "$(tw_field "$SID" keeper)"
sleep 0.5
expect_eq "a keeper killed under an idle connection: the copy waits for the session" 1 "$(tw_copies)"
ssh -o ControlPath="$TW_TMP/ctl" -O exit "$D@127.0.0.1" 2>/dev/null
check "and goes when the connection ends" wait_for 5 no_copies
check_clean

# Both the keeper and the session monitor die: nobody closes the session.
start_session
kill -KILL "$(tw_field "$SID" keeper)" "$(tw_field "$SID" caller)"
sleep 0.5
expect_eq "keeper and monitor killed: the copy is orphaned" 1 "$(tw_copies)"
out=$(tw_ssh $D hostname)
check "the next login's gc destroys the orphan within 5 s" wait_for 5 no_copies
expect_match "and that login works" "^$TW_ORIGIN-$D-" "$out"
check_clean

# sshd restarted under a live session.
start_session 'sleep 3; hostname'
kill "$(cat "$TW_TMP/sshd.pid")"
sleep 0.3
"$TW_TMP/$TW_SERVICE" -f "$TW_TMP/sshd_config" -E "$TW_TMP/sshd.log"
wait_for 5 sh -c "ss -Hltn 'sport = :$TW_PORT' | grep -q ."
expect_match "sshd restarted: a new login works" "^$TW_ORIGIN-$D-" "$(tw_ssh $D hostname)"
wait "$CLIENT"
expect_match "and the live session carried on in its copy" "^$TW_ORIGIN-$D-" "$(cat "$TW_TMP/client.out")"
check_clean

# A reboot inside the copy (root there: an admin's lxc-attach) ends the session.
start_session
lxc-attach -P /var/lib/throwaway/containers -n "$(tw_field "$SID" container)" -- /bin/reboot
check "a reboot inside the copy ends the session" wait_for 5 client_gone
check "and destroys the copy (nothing restarts it)" wait_for 5 no_copies
check_clean

# A wedged lxc monitor (stopped here): the keeper's stop waits its 15 s,
# then ends the monitor and the copy by their cgroups and removes those,
# which a killed monitor never does. No gc runs meanwhile (no login opens,
# no keeper lives to run one), so what is gone, the keeper removed.
start_session
C=$(tw_field "$SID" container)
MON=$(pgrep -f "lxc monitor.*$C")
kill -STOP $MON
kill -KILL "$CLIENT"
check "a stopped lxc monitor: the copy is gone after the stop's deadline" wait_for 30 no_copies
copy_cgroups() { find /sys/fs/cgroup -maxdepth 5 -name "*$C" 2>/dev/null; }
expect_eq "and so are its cgroups, in every hierarchy, without gc" "" "$(copy_cgroups)"
monitor_gone() { ! pgrep -f "lxc monitor.*$C" >/dev/null; }
check "and its monitor" wait_for 5 monitor_gone
check_clean

# A host crash, simulated: every keeper and every lxc monitor killed at once.
for _ in 1 2 3; do tw_ssh $D 'sleep 60' >/dev/null 2>&1 & done
wait_for 10 sh -c "[ \$(ls /run/throwaway/ledger | grep -c .) -ge 3 ]"
wait_for 10 sh -c "[ \$(ls /var/lib/throwaway/containers | grep -c '^$TW_ORIGIN-') = 3 ]"
for s in $(grep -l "^user=$D\$" /run/throwaway/ledger/*); do kill -KILL "$(sed -n 's/^keeper=//p' "$s")"; done
pkill -KILL -f "lxc monitor.*$TW_ORIGIN-"
sleep 0.5
throwawayctl gc >"$TW_TMP/gc.out"
expect_match "gc after a crash reports what it removed" "dead sessions" "$(cat "$TW_TMP/gc.out")"
check_clean "after a crash and gc nothing remains"
pkill -KILL -u $D 2>/dev/null
pkill -f "ssh.*$D@127.0.0.1" 2>/dev/null
wait
check_clean "and the sessions ending later leave nothing either"

tw_finish
