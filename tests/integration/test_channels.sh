#!/bin/bash
# sftp, scp, multiplexed channels and su - all land in the session's copy.
source "$(dirname "$0")/../lib.sh"

tw_origin_create && tw_config && tw_user tw-test-sam && tw_sshd_start ||
	{ not_ok "setup"; tw_finish; exit 1; }
S=tw-test-sam
CTL=$TW_TMP/ctl
head -c 300000 /dev/urandom >"$TW_TMP/data"
SUM=$(sha256sum <"$TW_TMP/data" | cut -d' ' -f1)
sum_of() { sha256sum <"$1" 2>/dev/null | cut -d' ' -f1; }

# sftp: put then get within one session, into the copy's /tmp.
cat >"$TW_TMP/batch" <<B
put $TW_TMP/data /tmp/up
get /tmp/up $TW_TMP/down
B
sftp "${tw_ssh_opts[@]}" -i "$TW_TMP/$S.key" -P "$TW_PORT" -b "$TW_TMP/batch" "$S@127.0.0.1" >/dev/null 2>"$TW_TMP/sftp.err"
expect_eq "sftp put and get round-trip inside the copy" "$SUM" "$(sum_of "$TW_TMP/down")"
check "sftp's upload never reached the host" [ ! -e /tmp/up ]
expect_eq "the next session's copy does not have it" "absent" \
	"$(tw_ssh $S 'test -e /tmp/up && echo present || echo absent')"

# One connection, many channels: a ControlMaster.
ssh "${tw_ssh_opts[@]}" -i "$TW_TMP/$S.key" -p "$TW_PORT" -o ControlMaster=yes \
	-o ControlPath="$CTL" -o ControlPersist=no -fN "$S@127.0.0.1"
mux() { ssh "${tw_ssh_opts[@]}" -o ControlPath="$CTL" -p "$TW_PORT" "$S@127.0.0.1" "$@"; }
h1=$(mux hostname)
h2=$(mux hostname)
expect_match "a multiplexed channel lands in a copy" "^$TW_ORIGIN-$S-" "$h1"
expect_eq "every channel of one connection joins the same copy" "$h1" "$h2"
expect_eq "exactly one copy for the connection" 1 "$(tw_copies)"
# Concurrent channels see each other's files.
mux 'for i in $(seq 50); do [ -e /tmp/flag ] && break; sleep 0.1; done; cat /tmp/flag' >"$TW_TMP/reader" &
reader=$!
sleep 0.3
mux 'echo from-channel-2 > /tmp/flag'
wait $reader
expect_eq "concurrent channels see each other's files" "from-channel-2" "$(cat "$TW_TMP/reader")"

# scp both ways over the same connection (scp speaks sftp): inside the copy.
scp -q "${tw_ssh_opts[@]}" -o ControlPath="$CTL" -P "$TW_PORT" "$TW_TMP/data" "$S@127.0.0.1:/tmp/scp-up"
expect_eq "scp upload lands in the copy" "$SUM" "$(mux 'sha256sum /tmp/scp-up' | cut -d' ' -f1)"
scp -q "${tw_ssh_opts[@]}" -o ControlPath="$CTL" -P "$TW_PORT" "$S@127.0.0.1:/tmp/scp-up" "$TW_TMP/scp-down"
expect_eq "scp download comes from the copy" "$SUM" "$(sum_of "$TW_TMP/scp-down")"
check "scp's upload never reached the host" [ ! -e /tmp/scp-up ]
# One channel ends while another runs: the other goes on.
mux 'sleep 3; echo still-here' >"$TW_TMP/long" 2>&1 &
long=$!
sleep 0.5
mux -tt 'seq 20000; exit 3' >/dev/null 2>&1
expect_eq "a channel that ends leaves the connection's other channel running" 3 $?
wait $long
expect_eq "which finishes as it would have" still-here "$(cat "$TW_TMP/long")"
ssh -o ControlPath="$CTL" -O exit "$S@127.0.0.1" 2>/dev/null
check_clean "closing the master connection destroys its copy"

# The same, made certain: program A ends while its client keeps the keeper
# reading (its queue from A's client full: a message waits at every turn);
# the keeper handles A's exit and A's message in one turn, and B, whose
# slot moves into A's, must be left alone; and A's client gets A's exit,
# whatever it left unread when the keeper closed (10 rounds). On a failure
# the client says per round what A's client and B's got, and when.
install -m 0755 "$TW_BUILD/tests/keeper_client" "$TW_TMP/keeper_client"
tw_ssh_bg $S -N >/dev/null 2>&1
holder=$!
wait_for 20 has_session $S
sid=$(tw_session_of $S)
out=$(setpriv --reuid=$S --regid=$S --clear-groups env -i PATH=/usr/bin:/bin \
	"$TW_TMP/keeper_client" "$sid" channels 10 2>&1)
expect_eq "one program ending never ends the session's other one" "B survived 10 of 10" "$out"
[ "$out" = "B survived 10 of 10" ] || tw_dump
# What a shell says its terminal echoed already: hex, at most 1 KiB, or refused.
typed_answer() {
	setpriv --reuid=$S --regid=$S --clear-groups env -i PATH=/usr/bin:/bin \
		"$TW_TMP/keeper_client" "$sid" typed "$1" 2>&1
}
expect_eq "typed-ahead bytes in hex are taken" "started" "$(typed_answer 6c730d)"
expect_eq "typed-ahead bytes not in hex are refused" "error" "$(typed_answer 'ls; id')"
expect_eq "more than 1 KiB typed ahead is refused" "error" "$(typed_answer "$(head -c 1025 /dev/zero | od -An -tx1 | tr -d ' \n')")"
tw_stop "$holder"
check_clean

# su - from root reaches the same path (in a mount namespace of its own,
# so the system's /etc/pam.d/su-l is never touched).
cat >"$TW_TMP/su-l" <<PAM
auth sufficient pam_rootok.so
account required pam_permit.so
session required pam_permit.so
session required pam_throwaway.so config=$TW_CONF
PAM
out=$(unshare -m sh -c "mount --bind $TW_TMP/su-l /etc/pam.d/su-l && su - $S -c 'hostname; id -un'" 2>&1)
expect_match "su - user lands in a copy" "^$TW_ORIGIN-$S-[a-z0-9]{6}" "$out"
expect_match "as the user" "^$S\$" "$(echo "$out" | tail -1)"
check_clean "su's session end destroys the copy"

# An origin without an sftp server: the user is told so.
if tw_lxc_only "an origin without sftp-server (the lxd pass has one image)"; then
	tw_origin_create "$TW_ORIGIN-nosftp" # a second origin of this test
	sed -i '/usr\/lib usr\/lib/d' "/var/lib/lxc/$TW_ORIGIN-nosftp/config"
	tw_config && sed -i "s/^origin = .*/origin = $TW_ORIGIN-nosftp/" "$TW_CONF"
	err=$(sftp "${tw_ssh_opts[@]}" -i "$TW_TMP/$S.key" -P "$TW_PORT" -b "$TW_TMP/batch" "$S@127.0.0.1" 2>&1 >/dev/null)
	expect_match "no sftp-server in the origin: said clearly" \
		"this sandbox has no sftp server: /usr/lib/openssh/sftp-server is missing from the origin" "$err"
	wait_for 5 no_copies
	lxc-destroy -n "$TW_ORIGIN-nosftp" >/dev/null
	rm -f "/run/lxc/lock/var/lib/lxc/.$TW_ORIGIN-nosftp"
fi
check_clean
tw_finish
