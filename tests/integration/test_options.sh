#!/bin/bash
# lxc-start-ephemeral's options as login-time config, each over real ssh:
# the name template (and hostname), device = (a harmless host device),
# keep = yes (upper layer kept, throwawayctl kept list/rm), share = user
# (logins of one user join one copy, counted once, gone with the last),
# network = veth:BRIDGE on a bridge this test makes, with DHCP from a
# dnsmasq of its own, addresses in the banner and in throwawayctl show, a
# fresh MAC per copy, and the user's key working for ssh into the copy
# (dropbear, added to the test origin). Traffic goes only to that bridge.
# And boot = minimal: throwaway-init as PID 1, nothing of the origin runs.
source "$(dirname "$0")/../lib.sh"

CTL=${THROWAWAYCTL:-/usr/local/sbin/throwawayctl}
KEPT=/var/lib/throwaway/kept
BR=twt-br$((TW_ID % 100000))
NET=10.251.$((TW_ID % 250))
DEV=/dev/tw-test-tun$TW_ID
N=tw-test-pname K=tw-test-pkeep S=tw-test-pshr D=tw-test-pdev W=tw-test-pnet M=tw-test-pmin

# The test origin runs dropbear (host keys made on first use) before udhcpc.
add_dropbear() {
	local root=/var/lib/lxc/$TW_ORIGIN/rootfs f
	for f in /usr/sbin/dropbear $(ldd /usr/sbin/dropbear | grep -o '/[^ ]*'); do
		cp --parents -L "$f" "$root" || return 1
	done
	mkdir -p "$root/etc/dropbear"
	sed -i 's|^/bin/udhcpc|/usr/sbin/dropbear -R -p 22\n/bin/udhcpc|' "$root/etc/init.d/rcS"
}

net_up() {
	ip link add "$BR" type bridge && ip addr add "$NET.1/24" dev "$BR" && ip link set "$BR" up &&
		dnsmasq --conf-file=/dev/null --port=0 --no-ping --bind-interfaces --interface="$BR" \
			--except-interface=lo --listen-address="$NET.1" \
			--dhcp-range="$NET.10,$NET.200,1h" --dhcp-leasefile="$TW_TMP/leases" \
			--pid-file="$TW_TMP/dnsmasq.pid"
}

net_down() {
	[ -s "$TW_TMP/dnsmasq.pid" ] && kill "$(cat "$TW_TMP/dnsmasq.pid")" 2>/dev/null
	ip link del "$BR" 2>/dev/null
}

# Every user's options; a case that changes one restores the rest with it.
base_conf() {
	tw_config "[user:$N]" "name = %o-%U-%s" \
		"[user:$D]" "device = $DEV" \
		"[user:$K]" "storage = dir" "keep = yes" \
		"[user:$S]" "share = user" \
		"[user:$W]" "network = veth:$BR" \
		"[user:$M]" "boot = minimal"
}

tw_origin_create && add_dropbear && net_up && tw_disk && base_conf && mknod -m 0666 "$DEV" c 10 200 &&
	tw_user $N && tw_user $K && tw_user $S && tw_user $D && tw_user $W && tw_user $M && tw_sshd_start ||
	{ not_ok "setup"; net_down; rm -f "$DEV"; tw_finish; exit 1; }

sessions_of() { grep -l "^user=$1\$" /run/throwaway/ledger/* 2>/dev/null | wc -l; }
running() { [ "$(grep -l "^user=$1\$" /run/throwaway/ledger/* 2>/dev/null | xargs -r grep -l '^state=running$' | wc -l)" -ge 1 ]; }
gone() { [ "$(sessions_of "$1")" = 0 ]; }
logins_are() { [ "$(tw_field "$(tw_session_of "$1")" logins)" = "$2" ]; }

# --- names: every placeholder, and the hostname -------------------------

out=$(tw_ssh $N 'hostname; echo "$THROWAWAY_CONTAINER $THROWAWAY_SESSION"')
host=$(echo "$out" | sed -n 1p)
set -- $(echo "$out" | sed -n 2p)
expect_eq "name = %o-%U-%s names the copy" "$TW_ORIGIN-$(id -u $N)-$2" "$1"
expect_eq "the copy's hostname is its name" "$1" "$host"

# --- boot = minimal -----------------------------------------------------

for userns in yes no; do
	base_conf
	echo "userns = $userns" >>"$TW_CONF"
	m="boot = minimal, userns = $userns:"
	out=$(tw_ssh $M 'cat /proc/1/comm; sleep 0.5; ps -o comm | grep -cE "^(init|syslogd|getty|udhcpc|rcS)$"' 2>&1)
	expect_eq "$m PID 1 is throwaway-init" ".throwaway-init" "$(echo "$out" | head -1)"
	expect_eq "$m nothing of the origin's boot runs (init, syslogd, getty, udhcpc)" 0 \
		"$(echo "$out" | sed -n 2p)"
	# An orphan is reaped by PID 1: no zombie is left after it exits.
	out=$(tw_ssh $M '(sleep 0.2 &); sleep 1; ps -o stat,comm | grep -c "^Z"' 2>&1)
	expect_eq "$m orphans are reaped" 0 "$out"
	expect_eq "$m the user's command runs as the user" "$M" "$(tw_ssh $M 'id -un' 2>&1)"
	check "$m the copy is gone after logout" wait_for 10 no_copies
done
base_conf

# --- device = /dev/fuse -------------------------------------------------

out=$(tw_ssh $D "exec 3<>$DEV && echo opened; ls -l $DEV" 2>&1)
expect_match "device: the user opens $DEV inside" "^opened" "$out"
out=$(tw_ssh $N "exec 3<>$DEV && echo opened" 2>&1)
check "without device, $DEV cannot be opened" [ "${out#opened}" = "$out" ]
out=$(tw_ssh $D "ls /dev" 2>&1)
check "device adds only that device" [ "$(echo "$out" | grep -c -e tw-test -e fuse -e '^mem$' -e kmsg)" = 1 ]
tw_config "[user:$D]" "device = /dev/tw-test-nodev$TW_ID"
out=$(tw_ssh $D true 2>&1)
expect_match "a missing device denies the login, naming it" \
	"not a device on this host" "$out"
base_conf

# --- keep = yes ---------------------------------------------------------

out=$(tw_ssh $K 'echo kept-data >/tmp/tw-kept; echo $THROWAWAY_SESSION' 2>&1)
sid=$(echo "$out" | tail -1)
check "keep: the login worked ($sid)" [ ${#sid} = 16 ]
wait_for 10 gone $K
dir=$KEPT/$K/$sid
expect_eq "keep: a file written outside the home is kept" "kept-data" "$(cat "$dir/upper/tmp/tw-kept" 2>&1)"
expect_eq "keep: kept data is root-only" "700 root" "$(stat -c '%a %U' "$KEPT/$K")"
check "keep: the copy itself is gone" no_copies
out=$("$CTL" kept list)
expect_match "kept list shows it" "^$K +$sid +[0-9T:Z-]+ +[0-9.]+[KMG]? +$TW_ORIGIN-" "$out"
expect_match "kept list USER too" "$sid" "$("$CTL" kept list $K)"
expect_match "kept rm --older-than spares recent data" "0 removed" "$("$CTL" kept rm --older-than 1h)"
expect_match "kept rm USER SESSION removes it" "^removed $K/$sid" "$("$CTL" kept rm $K "$sid")"
check "nothing of it is left" [ ! -e "$dir" ]
expect_match "kept rm of nothing says so" "there is none" "$("$CTL" kept rm $K "$sid" 2>&1)"
tw_config "[user:$K]" "keep = yes"
out=$(tw_ssh $K true 2>&1)
expect_match "keep = yes without storage = dir is refused, with file and line" \
	"throwaway.conf:4: 'keep = yes' needs 'storage = dir'" "$out"
base_conf

# --- share = user -------------------------------------------------------

tw_ssh_bg $S 'touch /tmp/tw-shared; sleep 60' >/dev/null 2>&1
first=$!
wait_for 20 running $S || not_ok "share: the first login started"
out=$(tw_ssh $S 'ls /tmp/tw-shared; echo $THROWAWAY_SESSION' 2>&1)
expect_match "share: a second login joins the same copy" "^/tmp/tw-shared" "$out"
expect_eq "share: both logins have one session" "$(tw_session_of $S)" "$(echo "$out" | tail -1)"
tw_ssh_bg $S 'sleep 60' >/dev/null 2>&1
second=$!
wait_for 10 logins_are $S 2 && ok "share: the ledger counts the logins (2)" || not_ok "share: the ledger counts the logins (2)"
expect_eq "share: one record, counted once against the caps" 1 "$(sessions_of $S)"
expect_match "share: throwawayctl show has the logins and the option" \
	"logins: +2" "$("$CTL" show "$(tw_session_of $S)")"
kill $first
wait_for 10 logins_are $S 1 && ok "share: the copy outlives a logout while a login remains" ||
	not_ok "share: the copy outlives a logout while a login remains"
check "share: the copy is still there" [ "$(tw_copies)" = 1 ]
kill $second
wait_for 10 gone $S && ok "share: the last logout destroys it" || not_ok "share: the last logout destroys it"
wait "$first" "$second" 2>/dev/null
# The first program is attached ahead of time (a spare process of the
# user's, waiting in the copy). One killed before it was used: the next
# program is attached as usual. (A login without a command, ssh -N, makes
# the copy and its spare and runs nothing; a joining login runs the program.)
tw_ssh_bg $S -N >/dev/null 2>&1
holder=$!
wait_for 20 running $S || not_ok "spare: the login without a command started"
spare_of() { pgrep -u "$S" -x throwaway-keepe; }
wait_for 10 spare_of && ok "spare: a process of the user's waits in the copy" ||
	not_ok "spare: a process of the user's waits in the copy"
# Not dumpable: another process of the user's in the copy (here one that
# lxc-attach puts there) may not read its memory or trace it.
sid=$(tw_session_of $S)
nspid=$(awk '/^NSpid/ { print $NF }' "/proc/$(spare_of)/status")
read_inside() {
	lxc-attach -n "$(tw_field "$sid" container)" -P "$(tw_field "$sid" lxcpath)" --clear-env \
		--uid "$(id -u $S)" --gid "$(id -g $S)" -- cat "/proc/$1/environ" >/dev/null 2>&1
}
not_readable() { ! read_inside "$1"; }
check "spare: the user's programs in the copy cannot read its memory" not_readable "$nspid"
check "spare: (they can read their own)" read_inside self
spare=$(spare_of)
kill -KILL "$spare" 2>/dev/null
# Reaped by the keeper, its pid goes to a process of the host's (made so
# with ns_last_pid): finding its spare gone, the keeper must not signal
# whatever has that pid now.
reaped() { [ ! -e "/proc/$spare" ]; }
wait_for 10 reaped
victim=
for _ in $(seq 50); do
	echo $((spare - 1)) >/proc/sys/kernel/ns_last_pid
	sleep 60 &
	[ "$!" = "$spare" ] && { victim=$!; break; }
	kill $! 2>/dev/null
	wait $! 2>/dev/null
done
check "spare: its pid went to another process (${victim:-none})" [ -n "$victim" ]
out=$(tw_ssh $S 'echo ran; id -un' 2>&1)
expect_eq "spare: killed, the next program is attached anew" "ran $S" "$(echo $out)"
check "spare: the process that has its pid now is left alone" kill -0 "${victim:-0}"
[ -n "$victim" ] && kill "$victim" 2>/dev/null
wait "$victim" 2>/dev/null
kill $holder
wait_for 10 gone $S
wait "$holder" 2>/dev/null
# Three first logins at once still make one copy.
for i in 1 2 3; do tw_ssh $S 'hostname; sleep 2' >"$TW_TMP/shr.$i" 2>&1 & done
wait
expect_eq "share: simultaneous first logins land in one copy" 1 "$(sort -u "$TW_TMP"/shr.* | wc -l)"
wait_for 10 gone $S

# --- network = veth:BRIDGE ----------------------------------------------

tw_ssh_bg $W 'cat /sys/class/net/eth0/address; sleep 60' >"$TW_TMP/net.1" 2>&1
n1=$!
wait_for 20 running $W || not_ok "network: the login started"
sid=$(tw_session_of $W)
addr_known() { "$CTL" show "$sid" | grep -Eq "^addresses: +$NET\."; }
wait_for 15 addr_known && ok "network: throwawayctl show has the copy's address" ||
	not_ok "network: throwawayctl show has the copy's address"
ip4=$("$CTL" show "$sid" | sed -n "s/^addresses: *\($NET\.[0-9]*\).*/\1/p")
expect_match "network: show has the options" "network=veth:$BR" "$("$CTL" show "$sid")"
host=$(tw_field "$sid" container)
dropbear_up() { timeout 3 bash -c "</dev/tcp/$ip4/22" 2>/dev/null; }
wait_for 10 dropbear_up
out=$(ssh "${tw_ssh_opts[@]}" -i "$TW_TMP/$W.key" "$W@$ip4" 'hostname; id -un' 2>&1)
expect_eq "network: the user's key logs straight into the copy" "$host $W" "$(echo $out)"
out=$( (echo 'cat /sys/class/net/eth0/address; exit'; sleep 8) | tw_ssh $W -tt 2>&1 | tr -d '\r')
expect_match "network: the banner shows the addresses" "its addresses: $NET\.[0-9]+" "$out"
mac1=$(head -1 "$TW_TMP/net.1")
mac2=$(echo "$out" | grep -Eo '^([0-9a-f]{2}:){5}[0-9a-f]{2}$' | head -1)
check "network: each copy gets a fresh MAC ($mac1, $mac2)" [ -n "$mac1" ] && [ -n "$mac2" ] && [ "$mac1" != "$mac2" ]
kill $n1
wait_for 10 gone $W
check "network: no veth is left on the bridge" [ -z "$(ls /sys/class/net/$BR/brif 2>/dev/null)" ]
tw_config "[user:$W]" "network = veth:twt-nobr$TW_ID"
expect_match "network: a missing bridge denies the login, naming it" \
	"bridge twt-nobr$TW_ID does not exist" "$(tw_ssh $W true 2>&1)"

net_down
rm -f "$DEV"
check_clean
tw_finish
