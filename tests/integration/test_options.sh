#!/bin/bash
# lxc-start-ephemeral's options as login-time config, each over real ssh:
# the name template (and hostname), device = (a harmless host device),
# keep = yes (upper layer kept, throwawayctl kept list/rm), share = user
# (logins of one user join one copy, counted once, gone with the last),
# network = veth:BRIDGE on a bridge this test makes: each copy's address
# from network_range, set by the host (no DHCP server runs), unique among
# live copies, in the banner and in throwawayctl show; a fresh MAC per
# copy; the user's key working for ssh into the copy (dropbear, added to
# the test origin); isolated bridge ports (a copy reaches the bridge's
# host, not another copy) unless network_peers = yes; and a copy's root
# without net_admin or net_raw (no link or address changes, no raw or
# packet sockets, no forged ARP). Traffic goes only to that bridge.
# And boot = minimal: throwaway-init as PID 1, nothing of the origin runs.
source "$(dirname "$0")/../lib.sh"
source "$TW_ROOT/tests/bridge.sh"

CTL=${THROWAWAYCTL:-/usr/local/sbin/throwawayctl}
KEPT=/var/lib/throwaway/kept
BR=twt-br$((TW_ID % 100000))
NET=10.251.$((TW_ID % 250))
DEV=/dev/tw-test-tun$TW_ID
N=tw-test-pname K=tw-test-pkeep S=tw-test-pshr D=tw-test-pdev W=tw-test-pnet M=tw-test-pmin
HTTP_PORT=$((20000 + TW_ID % 20000))

# The test origin runs dropbear (host keys made on first use) before udhcpc.
add_dropbear() {
	local root=/var/lib/lxc/$TW_ORIGIN/rootfs f
	for f in /usr/sbin/dropbear $(ldd /usr/sbin/dropbear | grep -o '/[^ ]*'); do
		cp --parents -L "$f" "$root" || return 1
	done
	mkdir -p "$root/etc/dropbear"
	sed -i 's|^/bin/udhcpc|/usr/sbin/dropbear -R -p 22\n/bin/udhcpc|' "$root/etc/init.d/rcS"
}

# Every user's options; a case that changes one restores the rest with it.
# $1: another network_range, then more keys for the network user.
base_conf() {
	tw_config "[user:$N]" "name = %o-%U-%s" \
		"[user:$D]" "device = $DEV" \
		"[user:$K]" "storage = dir" "keep = yes" \
		"[user:$S]" "share = user" \
		"[user:$W]" "network = veth:$BR" "network_range = ${1:-$NET.10-$NET.20}" "${@:2}" \
		"[user:$M]" "boot = minimal"
}

tw_origin_create && add_dropbear && tw_bridge_up && tw_disk && base_conf && mknod -m 0666 "$DEV" c 10 200 &&
	tw_user $N && tw_user $K && tw_user $S && tw_user $D && tw_user $W && tw_user $M && tw_sshd_start ||
	{ not_ok "setup"; tw_bridge_down; rm -f "$DEV"; tw_finish; exit 1; }

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
tw_stop "$first"
wait_for 10 logins_are $S 1 && ok "share: the copy outlives a logout while a login remains" ||
	not_ok "share: the copy outlives a logout while a login remains"
check "share: the copy is still there" [ "$(tw_copies)" = 1 ]
tw_stop "$second"
wait_for 10 gone $S && ok "share: the last logout destroys it" || not_ok "share: the last logout destroys it"
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
[ -n "$victim" ] && tw_stop "$victim"
tw_stop "$holder"
wait_for 10 gone $S
# Three first logins at once still make one copy.
for i in 1 2 3; do tw_ssh $S 'hostname; sleep 2' >"$TW_TMP/shr.$i" 2>&1 & done
wait
expect_eq "share: simultaneous first logins land in one copy" 1 "$(sort -u "$TW_TMP"/shr.* | wc -l)"
wait_for 10 gone $S

# --- network = veth:BRIDGE ----------------------------------------------

# CMD as the root of session $1's copy: more than its user may ever be, so
# what fails here fails for anyone in the copy.
as_root_in() {
	local sid=$1
	shift
	lxc-attach -n "$(tw_field "$sid" container)" -P "$(tw_field "$sid" lxcpath)" --clear-env -- "$@"
}
# The one port on the bridge (the first copy's), and whether it is isolated.
port_isolated() { cat /sys/class/net/$BR/brif/*/isolated 2>&1; }
# A second copy: its address, the bridge's host, and the first copy's ssh port.
second_copy() {
	tw_ssh $W "ip -4 -o addr show eth0 | grep -o 'inet [0-9.]*'; printf \"GET / HTTP/1.0\\r\\n\\r\\n\" | timeout 4 nc -w 2 $NET.1 $HTTP_PORT; timeout 4 nc -w 2 $1 22 </dev/null | head -c 7; echo; echo end" 2>&1
}
first_copy() {
	tw_ssh_bg $W 'cat /sys/class/net/eth0/address; sleep 60' >"$TW_TMP/net.1" 2>&1
	n1=$!
	wait_for 20 running $W || not_ok "network: the login started"
	sid=$(tw_session_of $W)
	ip1=$(tw_field "$sid" addr)
}

expect_match "network: doctor finds the bridge, holding the range" \
	"^ok +network +\[user:$W\] veth:$BR: the bridge has $NET\.1/24, holding $NET\.10-$NET\.20" \
	"$("$CTL" doctor "$TW_CONF" 2>&1)"
first_copy
expect_eq "network: the copy has the first address of network_range, and no DHCP server runs" \
	"$NET.10" "$ip1"
addr_known() { "$CTL" show "$sid" | grep -Eq "^addresses: +$ip1( |\$)"; }
wait_for 5 addr_known && ok "network: throwawayctl show has the copy's address" ||
	not_ok "network: throwawayctl show has the copy's address"
expect_match "network: show has the options" "network=veth:$BR" "$("$CTL" show "$sid")"
expect_match "network: its route out is the bridge's host address" "default via $NET.1 dev eth0" \
	"$(as_root_in "$sid" ip -4 route 2>&1)"
expect_eq "network: its port on the bridge is isolated" 1 "$(port_isolated)"
capbnd=$(as_root_in "$sid" sh -c 'grep ^CapBnd /proc/self/status' | awk '{ print $2 }')
check "network: the copy's root has neither net_admin nor net_raw (CapBnd $capbnd)" \
	test $((0x${capbnd:-3000} >> 12 & 3)) = 0
for cmd in "ip link set eth0 down" "ip link set eth0 address 00:16:3e:00:00:01" \
	"ip addr add $NET.11/24 dev eth0" "ip route add 10.99.0.0/16 dev eth0" \
	"arp -i eth0 -s $NET.1 00:16:3e:00:00:01"; do
	expect_match "network: root in the copy: '$cmd' fails (EPERM)" "Operation not permitted" \
		"$(as_root_in "$sid" $cmd 2>&1)"
done
expect_match "network: root in the copy opens no raw socket (ping)" \
	"ermission denied|not permitted" "$(as_root_in "$sid" ping -c 1 -W 1 $NET.1 2>&1)"
expect_match "network: root in the copy forges no ARP (arping -U for another address)" \
	"not permitted" "$(as_root_in "$sid" arping -U -c 1 -I eth0 -s $NET.11 $NET.11 2>&1)"
expect_match "network: the copy's address is as the host set it" "inet $ip1/24" \
	"$(as_root_in "$sid" ip -4 addr show eth0 2>&1)"
host=$(tw_field "$sid" container)
dropbear_up() { timeout 3 bash -c "</dev/tcp/$ip1/22" 2>/dev/null; }
wait_for 10 dropbear_up
out=$(ssh "${tw_ssh_opts[@]}" -i "$TW_TMP/$W.key" "$W@$ip1" 'hostname; id -un' 2>&1)
expect_eq "network: the user's key logs straight into the copy" "$host $W" "$(echo $out)"
out=$(second_copy "$ip1")
expect_match "network: a second copy has the next free address" "^inet $NET\.11\$" "$out"
expect_match "network: a copy reaches the bridge's host address" "^host-reached\$" "$out"
check "network: a copy cannot reach another copy on the bridge ($(echo $out))" \
	eval '! grep -q "^SSH-2.0" <<<"$out" && grep -q "^end$" <<<"$out"'
out=$( (echo 'cat /sys/class/net/eth0/address; exit'; sleep 8) | tw_ssh $W -tt 2>&1 | tr -d '\r')
expect_match "network: the banner shows the addresses" "its addresses: $NET\.[0-9]+" "$out"
mac1=$(head -1 "$TW_TMP/net.1")
mac2=$(echo "$out" | grep -Eo '^([0-9a-f]{2}:){5}[0-9a-f]{2}$' | head -1)
check_all "network: each copy gets a fresh MAC ($mac1, $mac2)" '[ -n "$mac1" ] && [ -n "$mac2" ] && [ "$mac1" != "$mac2" ]'
base_conf "$NET.10-$NET.10"
expect_match "network: with every address taken, a login is refused, saying so" \
	"every address of network_range $NET.10-$NET.10 is taken" "$(tw_ssh $W true 2>&1)"
tw_stop "$n1"
wait_for 10 gone $W

# network_peers = yes: the admin asks for copy-to-copy traffic.
base_conf "" "network_peers = yes"
first_copy
expect_eq "network_peers = yes: the copy's port is not isolated" 0 "$(port_isolated)"
wait_for 10 dropbear_up
out=$(second_copy "$ip1")
expect_match "network_peers = yes: a copy reaches another copy" "^SSH-2.0" "$out"
expect_match "network_peers = yes: and the bridge's host" "^host-reached\$" "$out"
tw_stop "$n1"
wait_for 10 gone $W
# A pooled copy on the bridge takes its address when it is made, and the
# login that adopts it keeps it.
fill_pool() { timeout 60 "$CTL" pool fill "$TW_CONF" >/dev/null; }
pooled_addr() { grep -l '^state=pooled$' /run/throwaway/ledger/* 2>/dev/null | xargs -r sed -n 's/^addr=//p'; }
tw_config "network = veth:$BR" "network_range = $NET.10-$NET.20" "pool = 1"
fill_pool
expect_eq "network, pool: the pooled copy has the first address" "$NET.10" "$(pooled_addr)"
expect_eq "network, pool: its port is isolated" 1 "$(port_isolated)"
out=$(tw_ssh $W 'echo $THROWAWAY_CONTAINER; ip -4 -o addr show eth0 | grep -o "inet [0-9.]*"' 2>&1)
expect_match "network, pool: the login adopts the pooled copy" "^$TW_ORIGIN-pool-" "$out"
expect_match "network, pool: and keeps its address" "^inet $NET\.10\$" "$out"
tw_config "network = veth:$BR" "network_range = $NET.10-$NET.20" "pool = 0"
# the login's own refill reads pool = 0 too, whenever it runs
fill_pool
check "network, pool: drained" wait_for 10 no_copies
check "network: no veth is left on the bridge" [ -z "$(ls /sys/class/net/$BR/brif 2>/dev/null)" ]
tw_config "[user:$W]" "network = veth:twt-nobr$TW_ID" "network_range = $NET.10-$NET.20"
expect_match "network: a missing bridge denies the login, naming it" \
	"bridge twt-nobr$TW_ID does not exist" "$(tw_ssh $W true 2>&1)"
expect_match "network: doctor names the section and the missing bridge" \
	"^fail +network +\[user:$W\] the bridge twt-nobr$TW_ID does not exist on this host" \
	"$("$CTL" doctor "$TW_CONF" 2>&1)"
base_conf 10.252.0.10-10.252.0.20
expect_match "network: a range outside the bridge's subnet denies the login, naming both" \
	"bridge $BR has no IPv4 address whose subnet holds network_range 10.252.0.10-10.252.0.20" \
	"$(tw_ssh $W true 2>&1)"
tw_config "[user:$W]" "network = veth:$BR"
expect_match "network: a bridge without network_range is refused, with file and line" \
	"throwaway.conf:[0-9]+: 'network = veth:$BR' needs 'network_range'" "$(tw_ssh $W true 2>&1)"

tw_bridge_down
rm -f "$DEV"
check_clean
tw_finish
