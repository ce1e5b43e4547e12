#!/bin/bash
# End to end on backend = lxd over HTTPS (lxd_url): the test's LXD
# (tests/lxd.sh) listens on 127.0.0.1 (core.https_address), trusts a
# client certificate made here, and its own certificate is pinned in
# lxd_server_cert. An ssh login through a real sshd lands in an instance
# as the user's uid with the home there; a command's output and exit
# status come back, and a terminal works, through the exec websockets
# over TLS; logout leaves no instance. A certificate LXD does not trust,
# or a pin that is not LXD's certificate, denies the login with a line
# the user can read, a log event (captured as tests/logcapture.sh does)
# and nothing else; doctor says which and what to do.
source "$(dirname "$0")/../lib.sh"
source "$TW_ROOT/tests/lxd.sh"
# shellcheck source=tests/logcapture.sh
source "$TW_ROOT/tests/logcapture.sh"
A=tw-test-lxr
CTL=/usr/local/sbin/throwawayctl

trap '[ -n "$SINK" ] && kill "$SINK" 2>/dev/null; tw_lxd_stop; tw_finish >/dev/null' EXIT

check "lxd starts as a one-member cluster with the origin image" tw_lxd_start
ADDR=$(lxc config get core.https_address 2>/dev/null)
expect_match "LXD listens on a loopback port" '^127\.0\.0\.1:[0-9]+$' "$ADDR"

# Certificates, root's and private, under the test's root-owned directory:
# ours (trusted), another client's (never trusted), and a server
# certificate that is not LXD's (a wrong pin).
CERTS=$TW_TMP/certs
install -d -m 0700 "$CERTS"
make_cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:secp384r1 -nodes -days 2 \
		-subj "/CN=$1" -keyout "$CERTS/$1.key" -out "$CERTS/$1.crt" >/dev/null 2>&1 &&
		chmod 0600 "$CERTS/$1.key"
}
check_all "client certificates are made" \
	"make_cert tw-test-front && make_cert tw-test-stranger && make_cert tw-test-impostor"
# The certificate LXD shows on its HTTPS port, pinned as the admin would,
# from its LXD_DIR: a cluster member shows the cluster's (cluster.crt),
# not its own server.crt, which is then a wrong pin too.
install -m 0644 "$TW_LXD_DIR/cluster.crt" "$CERTS/server.crt"
install -m 0644 "$TW_LXD_DIR/server.crt" "$CERTS/member.crt"
check "LXD trusts our certificate" lxc config trust add "$CERTS/tw-test-front.crt" --name tw-test-front

# lxd_config [CERT [SERVER]] [KEY = VALUE]...: the test's config on this
# LXD over HTTPS, with client certificate CERT and pin SERVER.
lxd_config() {
	local cert=${1:-tw-test-front} server=${2:-$CERTS/server.crt}
	tw_lxd_config "lxd_url = https://$ADDR" "lxd_cert = $CERTS/$cert.crt" \
		"lxd_key = $CERTS/$cert.key" "lxd_server_cert = $server"
}
lxd_config
tw_user $A && tw_sshd_start && tw_logs_start || { not_ok "setup"; exit 1; }
HOME_A=$(getent passwd $A | cut -d: -f6)
UID_A=$(id -u $A)
echo "from the host" >"$HOME_A/marker" && chown $A: "$HOME_A/marker"

check "check-config takes lxd_url with its three files" $CTL check-config "$TW_CONF"
out=$($CTL doctor "$TW_CONF" 2>&1)
expect_match "doctor: LXD answers over HTTPS with the pinned certificate and trusts this host" \
	"ok +lxd +LXD [0-9.]+ answers at https://$ADDR with the pinned certificate and trusts this host" \
	"$out"
expect_match "doctor: the origin is found over HTTPS" \
	"ok +origin +'$TW_LXD_IMAGE' \[global\] is an image alias in LXD" "$out"

lssh() { tw_lxd_ssh "$@"; }
has_instance() { [ -n "$(tw_lxd_instances)" ]; }
running() { [ "$(tw_field "$1" state)" = running ]; }
gone() { ! kill -0 "$1" 2>/dev/null; }

expect_eq "ssh host id -u prints the user's uid from inside" "$UID_A" "$(lssh $A id -u 2>&1)"
check "after logout LXD has no instance left" wait_for 30 tw_lxd_no_instances
expect_eq "the home is there, the user's own" "from the host $UID_A" \
	"$(lssh $A 'cat ~/marker; stat -c %u ~/marker' 2>&1 | paste -sd ' ')"
lssh $A 'echo to-stdout; echo to-stderr >&2; exit 7' >"$TW_TMP/out" 2>"$TW_TMP/err"
expect_eq "the exit status comes back" 7 "$?"
expect_eq "and the output, stdout and stderr apart" "to-stdout|to-stderr" \
	"$(cat "$TW_TMP/out")|$(cat "$TW_TMP/err")"
printf 'line one\nline two\n' | lssh $A cat >"$TW_TMP/cat.out" 2>&1
expect_eq "stdin reaches the program, and its end" "line one|line two" \
	"$(paste -sd '|' "$TW_TMP/cat.out")"
check "after them LXD has no instance left" wait_for 30 tw_lxd_no_instances
tw_lxd_terminal_cases $A

# A login's keeper asks LXD several things (other front doors' copies,
# the origin, the copy itself) over one TLS connection, which curl's
# share keeps between them (api.c, process_share).
SSHD=$(cat "$TW_TMP/sshd.pid")
strace -f -qq -p "$SSHD" -e trace=connect,execve -o "$TW_TMP/login.trace" &
st=$!
traced() { ! grep -q '^TracerPid:[[:space:]]*0$' "/proc/$SSHD/status"; }
wait_for 10 traced || not_ok "strace follows sshd"
lssh $A true
wait_for 30 tw_lxd_no_instances
kill "$st"
wait "$st" 2>/dev/null
# (strace pads the pid column with spaces)
keeper=$(grep -m1 'execve("[^"]*/throwaway-keeper"' "$TW_TMP/login.trace" | awk '{ print $1 }')
expect_eq "a login's keeper opens one connection to LXD for all it asks" 1 \
	"$(grep -Ec "^${keeper:-none} +connect\(.*htons\(${ADDR##*:}\)" "$TW_TMP/login.trace")"

# The record keeps the whole place: a killed keeper's instance is still
# deleted when the login ends, through the URL and files it names.
tw_ssh_bg $A 'sleep 120'
bg=$!
wait_for 30 has_instance
session=$(tw_session_of $A)
wait_for 30 running "$session"
expect_eq "the record's place is the URL with the certificate files" \
	"https://$ADDR?cert=$CERTS/tw-test-front.crt&key=$CERTS/tw-test-front.key&server=$CERTS/server.crt" \
	"$(tw_field "$session" lxcpath)"
kill -KILL "$(tw_field "$session" keeper)"
check "a killed keeper's instance is deleted when the login ends" wait_for 40 tw_lxd_no_instances
check "and the login has ended" wait_for 30 gone "$bg"
kill -KILL "$bg" 2>/dev/null
wait "$bg" 2>/dev/null

# denied CASE WHY FIX: a login with the config as it is now is denied with
# WHY in a line the user can read and in the keeper's log event, and
# doctor fails its lxd line with WHY and FIX.
denied() {
	local m
	m=$(wc -l <"$LOG")
	expect_match "$1 denies the login with a line the user can read" \
		"^throwaway: cannot create your sandbox: .*$2" "$(lssh $A id -u 2>&1)"
	expect_match "$1 is logged as the keeper's error event" "throwaway\[[0-9]+\]: event=error .*user=$A .*reason=\".*$2" \
		"$(tail -n "+$((m + 1))" "$LOG")"
	expect_match "doctor fails $1, and says what to do" \
		"fail +lxd +https://$ADDR: .*$2.*fix: $3" "$($CTL doctor "$TW_CONF" 2>&1 | paste -sd ' ')"
}

# A pin that is not LXD's certificate: no TLS session, no login, nothing made.
lxd_config tw-test-front "$CERTS/tw-test-impostor.crt"
denied "a wrong lxd_server_cert" \
	"LXD at 'https://$ADDR' does not show the certificate pinned in 'lxd_server_cert'" \
	"put the certificate LXD shows in 'lxd_server_cert'"
lxd_config tw-test-front "$CERTS/member.crt"
expect_match "a cluster member's own server.crt is not the certificate it shows" \
	"does not show the certificate pinned" "$(lssh $A id -u 2>&1)"
# A client certificate LXD does not trust.
lxd_config tw-test-stranger
denied "an untrusted client certificate" \
	"LXD at 'https://$ADDR' does not trust this host's certificate" \
	"trust this host's certificate on LXD: lxc config trust add"

# A key others may read is refused before it is used.
lxd_config
chmod 0644 "$CERTS/tw-test-front.key"
out=$(lssh $A id -u 2>&1)
chmod 0600 "$CERTS/tw-test-front.key"
expect_match "a key readable by others denies the login, saying so" \
	"^throwaway: cannot create your sandbox: .*'lxd_key': $CERTS/tw-test-front.key is readable by group or others" \
	"$out"
check "the denied logins left no instance" tw_lxd_no_instances
no_session() { ! has_session $A; }
check "and no session" wait_for 30 no_session

# check-config refuses lxd_url without its files, at its line.
tw_config "backend = lxd" "lxd_url = https://$ADDR" "lxd_cert = $CERTS/tw-test-front.crt"
out=$($CTL check-config "$TW_CONF" 2>&1)
expect_match "check-config refuses lxd_url without lxd_key, with file and line" \
	"$TW_CONF:4: 'lxd_url' needs 'lxd_key'" "$out"

kill "$SINK" && wait "$SINK" 2>/dev/null
SINK=""
tw_lxd_stop
expect_eq "stopping LXD leaves nothing of it" "" "$(tw_lxd_residue)"
trap - EXIT
tw_finish
