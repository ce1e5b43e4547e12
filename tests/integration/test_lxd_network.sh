#!/bin/bash
# network on backend = lxd, as on the local driver: with network =
# veth:BRIDGE on a bridge this test makes, each instance's one interface
# on it (a bridged nic), its address from network_range and its route out
# set from outside (no DHCP server runs; the copy's root has no net_admin),
# unique among live copies, in the banner and in throwawayctl show; a
# fresh MAC per copy; an isolated port (a copy reaches the bridge's host,
# not another copy) unless network_peers = yes. With network = none, no
# interface but loopback, even when LXD's default profile gives one.
# Two front doors on one bridge and range (a second sshd with a host name
# of its own) leave each other's addresses be, also when both pick at the
# same moment. Traffic goes only to that bridge.
source "$(dirname "$0")/../lib.sh"
source "$TW_ROOT/tests/lxd.sh"
source "$TW_ROOT/tests/bridge.sh"
W=tw-test-lxn
CTL=${THROWAWAYCTL:-/usr/local/sbin/throwawayctl}
BR=twt-lb$((TW_ID % 100000))
NET=10.249.$((TW_ID % 250))
HTTP_PORT=$((20000 + TW_ID % 20000))

trap 'tw_door2_stop; tw_lxd_stop; tw_bridge_down; tw_finish >/dev/null' EXIT

# net_conf [RANGE] [KEY = VALUE]...: the bridge for the user, these keys too.
net_conf() {
	tw_lxd_config "lxd_socket = $TW_LXD_SOCKET" \
		"[user:$W]" "network = veth:$BR" "network_range = ${1:-$NET.10-$NET.20}" "${@:2}"
}

check "lxd starts as a one-member cluster with the origin image" tw_lxd_start
tw_bridge_up && net_conf && tw_user $W && tw_sshd_start || {
	not_ok "setup"
	exit 1
}

running() { [ "$(tw_field "$(tw_session_of "$1")" state)" = running ]; }
gone() { ! has_session $W; }
port_isolated() { cat /sys/class/net/$BR/brif/*/isolated 2>&1; }
# The first copy: its MAC, then a server on 8080 that answers peer-reached.
first_copy() {
	tw_ssh_bg $W 'cat /sys/class/net/eth0/address; nc -ll -p 8080 -e echo peer-reached' \
		>"$TW_TMP/net.1" 2>&1
	n1=$!
	wait_for 60 running $W || not_ok "network: the login started"
	sid=$(tw_session_of $W)
	name=$(tw_field "$sid" container)
	ip1=$(tw_field "$sid" addr)
}
# A second copy: its address, the bridge's host, and the first copy's server.
second_copy() {
	tw_lxd_ssh $W "ip -4 -o addr show eth0 | grep -o 'inet [0-9.]*'; printf \"GET / HTTP/1.0\\r\\n\\r\\n\" | timeout 4 nc -w 2 $NET.1 $HTTP_PORT; timeout 4 nc -w 2 $1 8080 </dev/null; echo end" 2>&1
}
as_root_in() { lxc exec "$name" -- "$@"; }

expect_match "network: doctor finds the bridge through LXD, holding the range" \
	"^ok +network +\[user:$W\] veth:$BR: the bridge has $NET\.1/24, holding $NET\.10-$NET\.20" \
	"$("$CTL" doctor "$TW_CONF" 2>&1)"
first_copy
# Where a front door starts in the range is set by its host name: copies of
# other front doors on the same bridge mostly start elsewhere.
expect_match "network: the copy has an address of network_range" "^$NET\.(1[0-9]|20)\$" "$ip1"
expect_match "network: set from outside, on eth0" "inet $ip1/24" \
	"$(as_root_in ip -4 addr show eth0 2>&1)"
expect_match "network: its route out is the bridge's host address" "default via $NET.1 dev eth0" \
	"$(as_root_in ip -4 route 2>&1)"
expect_eq "network: LXD isolates its port (security.port_isolation)" true \
	"$(lxc config device get "$name" eth0 security.port_isolation 2>&1)"
expect_eq "network: and the bridge has it isolated" 1 "$(port_isolated)"
expect_match "network: root in the copy cannot change the address (no net_admin)" \
	"Operation not permitted" "$(as_root_in ip addr add $NET.11/24 dev eth0 2>&1)"
addr_known() { "$CTL" show "$sid" | grep -Eq "^addresses: +$ip1( |\$)"; }
wait_for 10 addr_known && ok "network: throwawayctl show has the copy's address" ||
	not_ok "network: throwawayctl show has the copy's address: $("$CTL" show "$sid" 2>&1 | grep -i addr)"
# after_ip ADDR: the address after ADDR in $NET.10-$NET.20, wrapping round.
after_ip() {
	local n=$((${1##*.} + 1))
	[ "$n" -le 20 ] || n=10
	echo "$NET.$n"
}
out=$(second_copy "$ip1")
expect_match "network: a second copy has the next free address" "^inet $(after_ip "$ip1")\$" "$out"
expect_match "network: a copy reaches the bridge's host address" "^host-reached\$" "$out"
check "network: a copy cannot reach another copy on the bridge ($(echo $out))" \
	eval '! grep -q "^peer-reached" <<<"$out" && grep -q "^end$" <<<"$out"'
out=$( (echo 'cat /sys/class/net/eth0/address; exit'; sleep 8) | tw_lxd_ssh $W -tt 2>&1 | tr -d '\r')
expect_match "network: the banner shows the addresses" "its addresses: $NET\.[0-9]+" "$out"
mac1=$(head -1 "$TW_TMP/net.1")
mac2=$(echo "$out" | grep -Eo '^([0-9a-f]{2}:){5}[0-9a-f]{2}$' | head -1)
check_all "network: each copy gets a fresh MAC ($mac1, $mac2)" \
	'[ -n "$mac1" ] && [ -n "$mac2" ] && [ "$mac1" != "$mac2" ]'
net_conf "$ip1-$ip1"
expect_match "network: with every address taken, a login is refused, saying so" \
	"every address of network_range $ip1-$ip1 is taken" "$(tw_lxd_ssh $W true 2>&1)"
tw_stop "$n1"
wait_for 30 gone

# Front doors that share the bridge and the range: each leaves the
# addresses of the other's copies be (user.throwaway.addr).
check "network: a second front door starts, with a host name of its own" \
	tw_door2_start tw-test-door2n
in_door2() { tw_door2_ssh $W 'ip -4 -o addr show eth0 | grep -o "inet [0-9.]*"' 2>&1; }
net_conf "$NET.10-$NET.11"
first_copy
check "network: the copy is marked with its address" \
	[ "$(lxc config get "$name" user.throwaway.addr 2>&1)" = "$ip1" ]
other=$NET.10
[ "$ip1" != "$other" ] || other=$NET.11
expect_match "network: the other front door's copy takes the address this one's left" \
	"^inet $other\$" "$(in_door2)"
net_conf "$ip1-$ip1"
expect_match "network: with another front door's copy on the only address, a login is refused" \
	"every address of network_range $ip1-$ip1 is taken" "$(tw_door2_ssh $W true 2>&1)"
tw_stop "$n1"
wait_for 30 gone
tw_door2_stop
check "network: LXD has no instance left" wait_for 30 tw_lxd_no_instances

# Two front doors that pick at the same moment: this one picks X, then
# another's copy with X appears before this one's instance is made (the
# test holds the lock its makes wait for). This one sees it once its own
# instance exists, deletes that, and picks again.
net_conf "$NET.10-$NET.11"
FAKE=tw-test-lxf$TW_ID
exec {lk}>>/run/throwaway/lxd-create.lock
flock "$lk"
in_door1() { tw_lxd_ssh $W 'ip -4 -o addr show eth0 | grep -o "inet [0-9.]*"' 2>&1; }
# (not holding the lock itself: a flock goes with the open file)
(
	exec {lk}>&-
	in_door1
) >"$TW_TMP/clash" &
c1=$!
wait_for 30 has_session $W || not_ok "network: a login waits to make its copy"
x=$(tw_field "$(tw_session_of $W)" addr)
lxc init "$TW_LXD_IMAGE" "$FAKE" -c user.throwaway.session=0123456789abcdef \
	-c user.throwaway.host=tw-test-elsewhere -c user.throwaway.user=nobody \
	-c user.throwaway.addr="$x" >/dev/null || not_ok "network: another front door's copy"
exec {lk}>&-
wait "$c1"
y=$NET.10
[ "$x" != "$y" ] || y=$NET.11
expect_match "network: a pick that another front door's copy took meanwhile is made again ($x)" \
	"^inet $y\$" "$(cat "$TW_TMP/clash")"
expect_eq "network: that copy keeps its address" "$x" \
	"$(lxc config get "$FAKE" user.throwaway.addr 2>&1)"
lxc delete "$FAKE" >/dev/null
check "network: LXD has no instance left" wait_for 30 tw_lxd_no_instances

# network_peers = yes: the admin asks for copy-to-copy traffic.
net_conf "" "network_peers = yes"
first_copy
expect_eq "network_peers = yes: the copy's port is not isolated" 0 "$(port_isolated)"
out=$(second_copy "$ip1")
expect_match "network_peers = yes: a copy reaches another copy" "^peer-reached" "$out"
expect_match "network_peers = yes: and the bridge's host" "^host-reached\$" "$out"
tw_stop "$n1"
wait_for 30 gone
check "network: LXD has no instance left" wait_for 30 tw_lxd_no_instances
check "network: no port is left on the bridge" [ -z "$(ls /sys/class/net/$BR/brif 2>/dev/null)" ]

# What LXD is asked about the bridge, where the copies run.
tw_lxd_config "lxd_socket = $TW_LXD_SOCKET" \
	"[user:$W]" "network = veth:twt-nobr$TW_ID" "network_range = $NET.10-$NET.20"
expect_match "network: a missing bridge denies the login, naming it" \
	"bridge twt-nobr$TW_ID does not exist where the copies run" "$(tw_lxd_ssh $W true 2>&1)"
expect_match "network: doctor names the section and the bridge LXD does not have" \
	"^fail +network +\[user:$W\] the bridge twt-nobr$TW_ID does not exist where the copies run" \
	"$("$CTL" doctor "$TW_CONF" 2>&1)"
net_conf 10.252.0.10-10.252.0.20
expect_match "network: a range outside the bridge's subnet denies the login, naming both" \
	"bridge $BR has no IPv4 address whose subnet holds network_range 10.252.0.10-10.252.0.20" \
	"$(tw_lxd_ssh $W true 2>&1)"

# network = none: the interface LXD's default profile gives instances is
# not a copy's (as lxc.net is cleared on the local driver).
tw_lxd_config "lxd_socket = $TW_LXD_SOCKET"
lxc profile device add default eth0 nic nictype=bridged parent="$BR" name=eth0 >/dev/null ||
	not_ok "network = none: the default profile gets an interface"
expect_eq "network = none: a copy has loopback alone, whatever the profile gives" "lo" \
	"$(tw_lxd_ssh $W 'ls /sys/class/net' 2>&1 | paste -sd ' ')"
check "network = none: LXD has no instance left" wait_for 30 tw_lxd_no_instances
lxc profile device remove default eth0 >/dev/null
# nor an interface of an instance origin's own (a copy of it would keep it).
O=tw-test-lxo$TW_ID
lxc init "$TW_LXD_IMAGE" "$O" >/dev/null &&
	lxc config device add "$O" eth1 nic nictype=bridged parent="$BR" name=eth1 >/dev/null ||
	not_ok "network = none: an instance origin with an interface of its own"
sed -i "s/^origin = .*/origin = $O/" "$TW_CONF"
expect_eq "network = none: a copy of an instance origin has loopback alone" "lo" \
	"$(tw_lxd_ssh $W 'ls /sys/class/net' 2>&1 | paste -sd ' ')"
check "network = none: LXD has no copy left" wait_for 30 eval '[ "$(tw_lxd_instances)" = "$O" ]'
lxc delete "$O" >/dev/null

tw_lxd_stop
expect_eq "stopping LXD leaves nothing of it" "" "$(tw_lxd_residue)"
tw_bridge_down
trap - EXIT
check_clean
tw_finish
