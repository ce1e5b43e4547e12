#!/bin/bash
# backend = lxd under logins made at the same moment: eight of one user,
# eight of two users, each through a real sshd into an ephemeral instance
# of an LXD of the test's own (tests/lxd.sh), each as its user's uid in an
# instance of its own; four that stay while throwawayctl lists them, with
# id maps of their own. After they end LXD has no instance left and the
# ledger no record.
source "$(dirname "$0")/../lib.sh"
source "$TW_ROOT/tests/lxd.sh"
A=tw-test-lba
B=tw-test-lbb
N=8

trap 'tw_lxd_stop; tw_finish >/dev/null' EXIT

check "lxd starts as a one-member cluster with the origin image" tw_lxd_start
tw_config "backend = lxd" "lxd_socket = $TW_LXD_SOCKET" "start_timeout = 60s"
sed -i "s/^origin = .*/origin = $TW_LXD_IMAGE/" "$TW_CONF"
tw_user $A && tw_user $B && tw_sshd_start || {
	not_ok "setup"
	exit 1
}

no_records() { ! has_session $A && ! has_session $B; }

# start_at_go I USER CMD: login I, held until $TW_TMP/go exists, so that
# all of a burst's logins start together; its output, error and status in
# $TW_TMP/bI.{out,err,rc}.
start_at_go() {
	local i=$1 user=$2 cmd=$3
	(
		while [ ! -e "$TW_TMP/go" ]; do sleep 0.01; done
		timeout -k 5 120 ssh "${tw_ssh_opts[@]}" -i "$TW_TMP/$user.key" -p "$TW_PORT" \
			"$user@127.0.0.1" "$cmd" >"$TW_TMP/b$i.out" 2>"$TW_TMP/b$i.err"
		echo $? >"$TW_TMP/b$i.rc"
	) &
	PIDS[$i]=$!
}

# burst COUNT CMD USER...: COUNT logins at once, the users taken in turn;
# USER_OF[i] says whose login i is.
declare -a PIDS USER_OF
burst() {
	local count=$1 cmd=$2 i
	shift 2
	local users=("$@")
	rm -f "$TW_TMP/go" "$TW_TMP"/b*.out "$TW_TMP"/b*.err "$TW_TMP"/b*.rc
	PIDS=() USER_OF=()
	for i in $(seq "$count"); do
		USER_OF[$i]=${users[$(((i - 1) % ${#users[@]}))]}
		start_at_go "$i" "${USER_OF[$i]}" "$cmd"
	done
	touch "$TW_TMP/go"
}

burst_wait() {
	local p
	for p in "${PIDS[@]}"; do wait "$p"; done
}

# What went wrong with login I, for the log.
tell() {
	local i=$1
	echo "#   login $i (${USER_OF[$i]}): rc=$(cat "$TW_TMP/b$i.rc" 2>/dev/null)" \
		"out=$(paste -sd '|' "$TW_TMP/b$i.out" 2>/dev/null)" \
		"err=$(paste -sd '|' "$TW_TMP/b$i.err" 2>/dev/null)"
}

# Each login of the last burst: status 0, its user's uid, then a hostname
# of the name template; no two with the same hostname.
each_right() {
	local i bad=0 uid host
	for i in "${!USER_OF[@]}"; do
		uid=$(id -u "${USER_OF[$i]}")
		host=$(sed -n 2p "$TW_TMP/b$i.out" 2>/dev/null)
		if [ "$(cat "$TW_TMP/b$i.rc" 2>/dev/null)" != 0 ] ||
			[ "$(sed -n 1p "$TW_TMP/b$i.out" 2>/dev/null)" != "$uid" ] ||
			! [[ "$host" =~ ^$TW_LXD_IMAGE-${USER_OF[$i]}-[a-z0-9]{6}$ ]]; then
			tell "$i"
			bad=1
		fi
	done
	return $bad
}

distinct_hosts() {
	local n
	n=$(for i in "${!USER_OF[@]}"; do sed -n 2p "$TW_TMP/b$i.out"; done | sort -u | grep -c .)
	[ "$n" = "${#USER_OF[@]}" ]
}

# What LXD and the ledger still hold, for a failure's log.
tell_left() {
	lxc list --format csv -c nsL 2>&1 | sed 's/^/#   left in LXD: /'
	lxc operation list --format csv 2>&1 | sed 's/^/#   operation: /'
	ls /run/throwaway/ledger | sed 's/^/#   ledger: /'
	tail -n 20 "$TW_LXD_DIR/lxd.log" "$TW_TMP/lxd.log" 2>/dev/null | sed 's/^/#   lxd.log: /'
}

# judge_burst WHAT: the cases every burst must pass.
judge_burst() {
	check "$1: every login ends with status 0, as its user, in a copy of the template" \
		each_right
	check "$1: each in an instance of its own" distinct_hosts
	check "$1: after they end LXD has no instance left" wait_for 60 tw_lxd_no_instances
	check "$1: and the ledger no record" wait_for 30 no_records
	tw_lxd_no_instances && no_records || tell_left
}

burst $N 'id -u; hostname' $A
burst_wait
judge_burst "$N logins of one user at once"

burst $N 'id -u; hostname' $A $B
burst_wait
judge_burst "$N logins of two users at once"

# Four that stay until ~/stop is there (the home is the host's).
# Rows of running sessions (a row shows up at the start's beginning).
rows() { /usr/local/sbin/throwawayctl list 2>/dev/null | grep -cE "^[0-9a-f]{16} +($A|$B) +[^ ]+ +running "; }
four_rows() { [ "$(rows)" = 4 ]; }
burst 4 'id -u; hostname; while [ ! -e ~/stop ]; do sleep 0.2; done' $A $B
check "4 logins at once that stay: throwawayctl list shows 4 running rows" wait_for 90 four_rows
four_rows || {
	/usr/local/sbin/throwawayctl list 2>&1 | sed 's/^/#   list: /'
	for i in 1 2 3 4; do tell $i; done
}
# Each has ids of its own: LXD's isolated maps of copies made at once do
# not overlap (one base each, 65536 apart at least).
bases() {
	local i
	for i in $(tw_lxd_instances); do lxc config get "$i" volatile.idmap.base 2>/dev/null; done | sort -n
}
apart() { awk 'NR > 1 && $1 - last < 65536 { bad = 1 } { last = $1; n++ } END { exit bad || n != 4 }'; }
b=$(bases)
check "and their instances' id maps do not overlap" apart <<<"$b"
apart <<<"$b" || echo "#   bases: $(echo "$b" | paste -sd ' ')"
for u in $A $B; do
	home=$(getent passwd $u | cut -d: -f6)
	touch "$home/stop" && chown $u: "$home/stop"
done
burst_wait
judge_burst "4 logins at once that stay, then end"

tw_lxd_stop
expect_eq "stopping LXD leaves nothing of it" "" "$(tw_lxd_residue)"
trap - EXIT
tw_finish
