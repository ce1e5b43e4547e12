#!/bin/bash
# Many sessions: caps hold exactly under parallel logins, 50 parallel logins
# each get their own copy, 200 sequential sessions leave zero residue, and
# a long-lived keeper's fds stay flat.
source "$(dirname "$0")/../lib.sh"

tw_origin_create && tw_user tw-test-lou && tw_user tw-test-lea && tw_sshd_start ||
	{ not_ok "setup"; tw_finish; exit 1; }
L=tw-test-lou

# run_parallel N USER CMD: N logins at once; prints how many exited 0.
run_parallel() {
	local n=$1 user=$2 cmd=$3 i pids=() good=0
	for i in $(seq "$n"); do
		tw_ssh "$user" "$cmd" >"$TW_TMP/par.$user.$i" 2>&1 &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do wait "${pids[$i]}" && good=$((good + 1)); done
	echo "$good"
}

tw_config "max_sessions_per_user = 3"
expect_eq "max_sessions_per_user = 3 holds exactly under 10 parallel logins" 3 \
	"$(run_parallel 10 $L 'sleep 4')"
expect_match "the refused see why" "you already have 3 sandboxes, the limit" "$(cat "$TW_TMP"/par.$L.*)"
check_clean

tw_config "max_sessions = 4"
( run_parallel 5 $L 'sleep 4' >"$TW_TMP/count.lou" ) &
( run_parallel 5 tw-test-lea 'sleep 4' >"$TW_TMP/count.lea" ) &
wait
expect_eq "max_sessions = 4 holds exactly across users" 4 \
	$(( $(cat "$TW_TMP/count.lou") + $(cat "$TW_TMP/count.lea") ))
expect_match "the refused see why" "the host already runs its limit of 4 sandboxes" \
	"$(cat "$TW_TMP"/par.*)"
check_clean

tw_config "max_sessions_per_user = 64"
rm -f "$TW_TMP"/par.*
expect_eq "50 parallel logins of one user all succeed" 50 "$(run_parallel 50 $L hostname)"
expect_eq "each in its own copy" 50 "$(cat "$TW_TMP"/par.$L.* | grep -c "^$TW_ORIGIN-$L-" | sort -u)"
expect_eq "50 distinct copies" 50 "$(cat "$TW_TMP"/par.$L.* | sort -u | grep -c "^$TW_ORIGIN-$L-")"
check_clean "after 50 parallel logins nothing remains"

# 200 sessions one after the other: nothing accumulates.
snapshot() {
	echo "mounts=$(wc -l </proc/mounts) cgroups=$(find /sys/fs/cgroup -maxdepth 2 -type d | wc -l)" \
		"ours=$(find /sys/fs/cgroup -maxdepth 6 -type d -path '*/throwaway/*' | wc -l)" \
		"locks=$(ls -a /run/lxc/lock/var/lib/throwaway/containers 2>/dev/null | wc -l)" \
		"ledger=$(ls -a /run/throwaway/ledger | wc -l) socks=$(ls /run/throwaway/sock | wc -l)" \
		"procs=$(ps -eo stat=,args= | awk '$1 !~ /^Z/ && ($2 ~ /^-?(\/usr\/local\/(bin|libexec\/throwaway)\/)?throwaway-(keeper|hook|shell)/ || $0 ~ /lxc monitor\] \/var\/lib\/throwaway\//)' | wc -l)"
}
# procs: our programs by their own name (argv[0]), not any command line that
# mentions one (an editor, a grep). Keepers finish their teardown (and gc children) just after the copy goes.
flat() { [ "$(snapshot)" = "$before" ]; }
before=$(snapshot)
fails=0
for i in $(seq 200); do
	[ "$(tw_lssh $L 'echo ok')" = ok ] || fails=$((fails + 1))
done
wait_for 5 no_copies
wait_for 10 flat
expect_eq "200 sequential sessions all work" 0 "$fails"
expect_eq "200 sequential sessions: mounts, cgroups, locks, records, sockets, processes flat" \
	"$before" "$(snapshot)"
check_clean

# One long session, many channels: the keeper's fds stay flat.
ssh "${tw_ssh_opts[@]}" -i "$TW_TMP/$L.key" -p "$TW_PORT" -o ControlMaster=yes \
	-o ControlPath="$TW_TMP/ctl" -o ControlPersist=no -fN "$L@127.0.0.1"
mux() { ssh "${tw_ssh_opts[@]}" -o ControlPath="$TW_TMP/ctl" -p "$TW_PORT" "$L@127.0.0.1" "$@"; }
mux true
keeper=$(tw_field "$(tw_session_of $L)" keeper)
fds_before=$(ls /proc/"$keeper"/fd | wc -l)
for i in $(seq 100); do mux true; done
for i in $(seq 20); do mux -tt true >/dev/null 2>&1; done
expect_eq "a keeper's open fds stay flat over 120 channels" "$fds_before" "$(ls /proc/"$keeper"/fd | wc -l)"
ssh -o ControlPath="$TW_TMP/ctl" -O exit "$L@127.0.0.1" 2>/dev/null
check_clean

tw_finish
