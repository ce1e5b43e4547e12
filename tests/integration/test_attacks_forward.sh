#!/bin/bash
# Forwarding, against sshd as install leaves it. Forwarding never passes
# through the login shell: sshd does it on the host. What keeps a sandboxed
# user off the host's loopback is the snippet install puts in
# /etc/ssh/sshd_config.d/throwaway.conf for the group throwaway, and
# `throwawayctl enroll`, which gives the shell and the group together. The
# test's sshd reads that installed file the way Debian's sshd does (its
# config starts by including it, and says X11Forwarding yes as Debian's
# does), with no Match block of its own.
#
# A listener on the host's 127.0.0.1 serves a secret. An enrolled user tries
# -L, -W and -D to reach it, -R to open a host port to it, -R to make a
# host socket, and -X to open an X11 port on the host; every try fails and
# the listener sees no request. The same tries by a user who is not
# sandboxed (a control, against the same sshd) succeed: the tries are real,
# and it is the installed settings that stop them. A user with the shell
# but not the group (what enroll prevents) gets through too, and doctor
# fails for that user; enrolled, the user no longer gets through, and
# doctor is content.
source "$(dirname "$0")/../lib.sh"

CTL=${THROWAWAYCTL:-/usr/local/sbin/throwawayctl}
E=tw-test-fwe$TW_ID # enrolled
C=tw-test-fwc$TW_ID # control: an ordinary shell, not in the group
D=tw-test-fwd$TW_ID # the shell without the group, until enrolled
SECRET_TEXT=tw-test-secret$TW_ID
WWW=$TW_TMP/www
HTTPD_LOG=$TW_TMP/httpd.log

# Ports: free ones, each different from the others.
PORTS=()
new_port() {
	local p
	for _ in $(seq 20); do
		p=$(sshd_free_port) || return 1
		[[ " ${PORTS[*]} " == *" $p "* ]] || { PORTS+=("$p"); echo "$p"; return 0; }
	done
	return 1
}

listening() { ss -Hltn "sport = :$1" | grep -q .; }
not_listening() { ! listening "$1"; }
requests() { grep -c 'url:/secret' "$HTTPD_LOG" 2>/dev/null || true; }
# The X11 ports sshd would open on the host (X11DisplayOffset 10 and up).
x11_ports() { ss -Hltn | awk '{print $4}' | grep -E ':60[1-9][0-9]$' | sort; }
x11_changed() { [ "$(x11_ports)" != "$X11_BEFORE" ]; }
has_group() { getent group throwaway >/dev/null; }

# OpenSSH's client as the tests run it, but telling why a forwarding failed.
fwd_opts=(-o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
	-o LogLevel=INFO -o ConnectTimeout=10)
# bg_ssh USER LOG ARGS...: a client in the background, $BG its pid (the
# client's own, so that stop_client ends it and its forwardings).
bg_ssh() {
	local u=$1 log=$2
	shift 2
	(exec ssh "${fwd_opts[@]}" -i "$TW_TMP/$u.key" -p "$TW_PORT" "$u@127.0.0.1" "$@") \
		>"$log" 2>&1 </dev/null &
	BG=$!
}
stop_client() { tw_stop "$1"; }
# Each try starts with its ports free: a try never sees an earlier one's.
ports_free() {
	local p
	for p in "$@"; do wait_for 5 not_listening "$p" || { echo "port $p busy"; return 1; }; done
}

fwd_cleanup() {
	[ -n "${HTTPD:-}" ] && kill "$HTTPD" 2>/dev/null
	rm -f /tmp/tw-test-fwsock$TW_ID-*
}

# --- What install left ---------------------------------------------------

check "install put the sshd snippet in $TW_SSHD_SNIPPET" cmp -s "$TW_ROOT/config/sshd-throwaway.conf" "$TW_SSHD_SNIPPET"
check "install made the group throwaway" has_group
expect_match "the snippet turns forwarding off for the group" \
	'^Match Group throwaway( DisableForwarding yes)+' "$(grep -v '^#' "$TW_SSHD_SNIPPET" | tr -s '\t\n' '  ')"

mkdir -p "$WWW" && echo "$SECRET_TEXT" >"$WWW/secret"
SECRET=$(new_port) && L1=$(new_port) && L2=$(new_port) && L3=$(new_port) && R1=$(new_port) ||
	{ not_ok "setup: ports"; tw_finish; exit 1; }
busybox httpd -f -vv -p "127.0.0.1:$SECRET" -h "$WWW" 2>"$HTTPD_LOG" &
HTTPD=$!
tw_origin_create && tw_config && tw_user $E /bin/sh && tw_user $C /bin/sh && tw_user $D &&
	tw_sshd_start_installed && wait_for 5 listening "$SECRET" ||
	{ not_ok "setup"; fwd_cleanup; tw_finish; exit 1; }
# The secret is there for anyone on the host to read.
expect_eq "the host's listener serves the secret on 127.0.0.1:$SECRET" "$SECRET_TEXT" \
	"$(curl -s -m 5 "http://127.0.0.1:$SECRET/secret")"

out=$("$CTL" enroll $E)
expect_eq "throwawayctl enroll $E" "enrolled '$E': shell $TW_SHELL, group throwaway" "$out"

# --- The tries, each a function USER that prints what it got -----------

# -L: a local port of the client forwarded to the host's listener.
try_L() {
	ports_free "$L1" || return
	bg_ssh "$1" "$TW_TMP/L.$1" -N -L "127.0.0.1:$L1:127.0.0.1:$SECRET"
	wait_for 10 listening "$L1"
	curl -s -m 5 "http://127.0.0.1:$L1/secret"
	stop_client "$BG"
}
# -W: the client's stdin and stdout to the host's listener.
try_W() {
	printf 'GET /secret HTTP/1.0\r\n\r\n' | timeout 15 ssh "${fwd_opts[@]}" -i "$TW_TMP/$1.key" \
		-p "$TW_PORT" -W "127.0.0.1:$SECRET" "$1@127.0.0.1" 2>/dev/null | tr -d '\r' | tail -1
}
# -D: a SOCKS proxy on the client, through which curl asks for the secret.
try_D() {
	ports_free "$L2" || return
	bg_ssh "$1" "$TW_TMP/D.$1" -N -D "127.0.0.1:$L2"
	wait_for 10 listening "$L2"
	curl -s -m 5 --socks5-hostname "127.0.0.1:$L2" "http://127.0.0.1:$SECRET/secret"
	stop_client "$BG"
}
# -R: a port on the host that leads back to the client (which points it at
# the listener); prints what that port serves, or nothing when sshd opened none.
try_R() {
	ports_free "$R1" || return
	bg_ssh "$1" "$TW_TMP/R.$1" -N -R "127.0.0.1:$R1:127.0.0.1:$SECRET"
	wait_for 10 sh -c "ss -Hltn 'sport = :$R1' | grep -q . || grep -q 'forwarding failed' '$TW_TMP/R.$1'"
	listening "$R1" && curl -s -m 5 "http://127.0.0.1:$R1/secret"
	stop_client "$BG"
	wait_for 5 not_listening "$R1"
}
# -R with ExitOnForwardFailure: the client's exit status when sshd refuses.
try_R_exit() {
	ports_free "$L3" || return
	timeout 15 ssh "${fwd_opts[@]}" -i "$TW_TMP/$1.key" -p "$TW_PORT" -N \
		-o ExitOnForwardFailure=yes -R "127.0.0.1:$L3:127.0.0.1:$SECRET" "$1@127.0.0.1" \
		>/dev/null 2>&1 &
	local pid=$!
	wait_for 10 sh -c "ss -Hltn 'sport = :$L3' | grep -q . || ! kill -0 $pid 2>/dev/null"
	if listening "$L3"; then echo "port opened"; stop_client "$pid"; else
		wait "$pid"
		echo "exit $?"
	fi
}
# -R to a socket: a host UNIX socket, made by sshd, leading back to the client.
try_R_sock() {
	local sock=/tmp/tw-test-fwsock$TW_ID-$1
	bg_ssh "$1" "$TW_TMP/S.$1" -N -R "$sock:127.0.0.1:$SECRET"
	wait_for 10 sh -c "[ -S '$sock' ] || grep -q 'forwarding failed' '$TW_TMP/S.$1'"
	[ -S "$sock" ] && echo "socket made"
	stop_client "$BG"
	rm -f "$sock"
}
# -X: an X11 display sshd listens for on the host's loopback.
try_X() {
	X11_BEFORE=$(x11_ports)
	export DISPLAY=127.0.0.1:99
	bg_ssh "$1" "$TW_TMP/X.$1" -X -o ForwardX11Trusted=yes 'sleep 4'
	wait_for 3 x11_changed && echo "X11 port opened"
	stop_client "$BG"
}

# --- The control: the same sshd, a user who is not sandboxed -------------

expect_eq "control: -L reaches the host's listener" "$SECRET_TEXT" "$(try_L $C)"
expect_eq "control: -W reaches it" "$SECRET_TEXT" "$(try_W $C)"
expect_eq "control: -D reaches it" "$SECRET_TEXT" "$(try_D $C)"
expect_eq "control: -R opens a host port that reaches it" "$SECRET_TEXT" "$(try_R $C)"
expect_eq "control: -R with ExitOnForwardFailure opens the port" "port opened" "$(try_R_exit $C)"
expect_eq "control: -R makes a socket on the host" "socket made" "$(try_R_sock $C)"
expect_eq "control: -X opens an X11 port on the host" "X11 port opened" "$(try_X $C)"
seen=$(requests)
check "control: the listener saw the requests ($seen)" [ "$seen" -ge 4 ]

# --- The enrolled user ----------------------------------------------------

check_enrolled() {
	local u=$1 who=$2 before out
	before=$(requests)
	expect_eq "$who: -L does not reach the host's listener" "" "$(try_L "$u")"
	expect_eq "$who: -W does not reach it" "" "$(try_W "$u")"
	expect_eq "$who: -D does not reach it" "" "$(try_D "$u")"
	expect_eq "$who: -R opens no host port" "" "$(try_R "$u")"
	check "$who: port $R1 is not open on the host" not_listening "$R1"
	out=$(try_R_exit "$u")
	expect_eq "$who: -R with ExitOnForwardFailure: refused, the client exits 255" "exit 255" "$out"
	check "$who: port $L3 is not open on the host" not_listening "$L3"
	expect_eq "$who: -R makes no socket on the host" "" "$(try_R_sock "$u")"
	expect_eq "$who: -X opens no X11 port on the host" "" "$(try_X "$u")"
	expect_eq "$who: the listener saw no request" "$before" "$(requests)"
	expect_match "$who: sshd refused the forwarding" "refused local port forward|administratively prohibited|[Pp]ort forwarding.*disabled|tcpip-forward" \
		"$(cat "$TW_TMP/sshd.log")"
}
check_enrolled $E "enrolled"
expect_match "and the enrolled user's logins land in a copy" "^$TW_ORIGIN-$E-" "$(tw_ssh $E hostname)"

# --- The shell without the group, then enrolled ---------------------------

expect_eq "shell without the group: -L reaches the host's listener" "$SECRET_TEXT" "$(try_L $D)"
# doctor, on this test's sshd: sshd -T with the -f it was started with.
LABEL="sshd $(cat "$TW_TMP/sshd.pid") \\($TW_TMP/sshd_config\\)"
out=$("$CTL" doctor "$TW_CONF")
rc=$?
expect_match "doctor fails forwarding for the user with the shell but not the group" \
	"^fail +sshd +$LABEL: for [^(]*'$D'.*, forwarding .*reaches the host \(.*allowtcpforwarding yes" "$out"
check "and not for the enrolled user" sh -c "! printf '%s\n' \"\$1\" | grep -E '^fail +sshd +.*forwarding' | grep -q \"'$E'\"" _ "$out"
expect_match "doctor names the drift" "^warn +enroll +.*'$D' has throwaway-shell but is not in group 'throwaway'" "$out"
expect_eq "doctor exits 1" 1 "$rc"
out=$("$CTL" enroll $D)
expect_eq "throwawayctl enroll $D adds the group" "enrolled '$D': shell $TW_SHELL, group throwaway" "$out"
check_enrolled $D "enrolled after the drift"
out=$("$CTL" doctor "$TW_CONF")
expect_match "doctor: forwarding is off for every sandboxed user on this sshd" \
	"^ok +sshd +$LABEL: forwarding is off for all [0-9]+ sandboxed users" "$out"
expect_match "doctor: so is ~/.ssh/rc" "^ok +sshd +$LABEL: PermitUserRC no for all" "$out"
check "doctor: no fail for this sshd" sh -c "! printf '%s\n' \"\$1\" | grep -qE '^fail +sshd +$LABEL'" _ "$out"

fwd_cleanup
check_clean
tw_finish
