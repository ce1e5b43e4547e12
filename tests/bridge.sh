# shellcheck shell=bash
# A bridge of the test's own for copies with network = veth:BRIDGE, and on
# its host address a web server that copies may reach: BR, NET (the /24's
# first three octets; the host is NET.1) and HTTP_PORT, set by the test.
# No DHCP server runs: the copies' addresses come from the front door.
# Source after tests/lib.sh (TW_TMP).

tw_bridge_up() {
	mkdir -p "$TW_TMP/www" && echo host-reached >"$TW_TMP/www/index.html" &&
		ip link add "$BR" type bridge && ip addr add "$NET.1/24" dev "$BR" &&
		ip link set "$BR" up || return 1
	# not a job of the test's shell: its cases wait for theirs
	(
		busybox httpd -f -p "$NET.1:$HTTP_PORT" -h "$TW_TMP/www" </dev/null >/dev/null 2>&1 &
		echo $! >"$TW_TMP/httpd.pid"
	)
}

tw_bridge_down() {
	[ -s "$TW_TMP/httpd.pid" ] && kill "$(cat "$TW_TMP/httpd.pid")" 2>/dev/null
	ip link del "$BR" 2>/dev/null
}
