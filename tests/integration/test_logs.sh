#!/bin/bash
# What the product tells syslog during real ssh sessions: one line per
# event from the keeper, the hook and throwawayctl, with the ident
# "throwaway" and the facility authpriv; the session's keys on every line;
# the module's own lines under the host program's ident.
#
# The host's syslog is not touched. The test's sshd runs in a mount
# namespace of its own whose /dev is an overlay of the host's /dev (its
# submounts bound again on top), with /dev/log in it bound to a socket the
# test listens on. The keepers (spawned by the module inside sshd), the lxc
# monitors and hooks (spawned by the keepers) and throwawayctl (run with
# nsenter) all log there, while the host's /dev, /dev/log or no /dev/log at
# all stays as it is. The namespace and its mounts go with its last process.
source "$(dirname "$0")/../lib.sh"

# shellcheck source=tests/logcapture.sh
source "$TW_ROOT/tests/logcapture.sh"
trap '[ -n "$SINK" ] && kill "$SINK" 2>/dev/null' EXIT

tw_origin_create && tw_config && tw_user tw-test-lara && tw_user tw-test-lkim &&
	tw_sshd_start && tw_logs_start || { not_ok "setup"; tw_dump; tw_finish; exit 1; }
L=tw-test-lara
K=tw-test-lkim
UID_L=$(id -u $L)
UID_K=$(id -u $K)
CRE_L="$TW_ORIGIN-$L-[a-z0-9]{6}"
CRE_K="$TW_ORIGIN-$K-[a-z0-9]{6}"
SIDRE='[0-9a-f]{16}'

# --- reading the capture ----------------------------------------------------

# glibc's syslog(3) over /dev/log: "<PRI>Mmm dd hh:mm:ss IDENT[PID]: MESSAGE"
# ([PID] with LOG_PID: the product's; sshd's pam_syslog lines have none).
HDR='^<([0-9]{1,3})>[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} ([^ []+)(\[([0-9]+)\])?: (.*)$'
# One key=value pair: a bare value has no space, quote, '=' or backslash.
PAIR='^([a-z_]+)=("(([^"\\]|\\.)*)"|([^ "=\\]+))( |$)'

mark() { wc -l <"$LOG"; }
since() { tail -n "+$(($1 + 1))" "$LOG"; }
pri() { [[ $1 =~ $HDR ]] && echo "${BASH_REMATCH[1]}"; }
ident() { [[ $1 =~ $HDR ]] && echo "${BASH_REMATCH[2]}"; }
pid() { [[ $1 =~ $HDR ]] && echo "${BASH_REMATCH[4]}"; }
msg() { [[ $1 =~ $HDR ]] && printf '%s' "${BASH_REMATCH[5]}"; }
# ere STRING: STRING as an ERE that matches only itself.
ere() { printf '%s' "$1" | sed 's/[][\\.*^$+?(){}|]/\\&/g'; }

# kv LINE KEY: KEY's value (quotes and escapes undone); fails when absent
# or when the message is not a clean sequence of pairs.
kv() {
	local m k v
	m=$(msg "$1") || return 2
	while [ -n "$m" ]; do
		[[ $m =~ $PAIR ]] || return 2
		k=${BASH_REMATCH[1]}
		if [[ ${BASH_REMATCH[2]} == \"* ]]; then
			v=$(printf '%s' "${BASH_REMATCH[3]}" | sed 's/\\\(.\)/\1/g')
		else
			v=${BASH_REMATCH[5]}
		fi
		m=${m:${#BASH_REMATCH[0]}}
		[ "$k" = "$2" ] && { printf '%s' "$v"; return 0; }
	done
	return 1
}

# wellformed LINE: a whole message, "event=NAME" first, then pairs only.
wellformed() {
	local m
	m=$(msg "$1") || return 1
	[[ $m =~ ^event=[a-z]+( |$) ]] || return 1
	while [ -n "$m" ]; do
		[[ $m =~ $PAIR ]] || return 1
		m=${m:${#BASH_REMATCH[0]}}
	done
}

# The lines of one session, in the order they were sent.
slines() { grep -E " session=$1( |\$)" "$LOG"; }
# Its events, space-separated.
sevents() { slines "$1" | sed -E 's/^<[0-9]+>.{15} [^ ]+: event=([a-z]+).*$/\1/' | tr '\n' ' ' | sed 's/ $//'; }
# The Nth (default first) line of a session's EVENT; open lines without key=.
sline() {
	local l
	l=$(slines "$1" | grep -E ": event=$2( |\$)")
	[ "$2" = open ] && l=$(printf '%s\n' "$l" | grep -v ' key=')
	printf '%s\n' "$l" | sed -n "${3:-1}p"
}
has_event() { sevents "$1" | grep -Eq "(^| )$2( |\$)"; }

# new_session MARK USER: the id of USER's session opened after MARK.
new_session() {
	since "$1" | grep -E ": event=open .*user=$2( |\$)" | grep -v ' key=' | head -1 |
		sed -nE "s/.* session=($SIDRE)( .*|)\$/\1/p"
}
# wait_session MARK USER: set SID once the keeper logged the open.
wait_session() { SID=""; wait_for "${3:-15}" got_session "$1" "$2"; }
got_session() { SID=$(new_session "$1" "$2") && [ -n "$SID" ]; }

# expect_line NAME LINE PRI KEY=ERE...: LINE is ident throwaway's, at PRI,
# well formed, and has every KEY with a value matching the whole ERE.
expect_line() {
	local name=$1 line=$2 p=$3 bad="" a k re v
	shift 3
	if [ -z "$line" ]; then
		not_ok "$name"
		echo "#   no such line"
		return
	fi
	[ "$(ident "$line")" = throwaway ] || bad+=" ident:$(ident "$line")"
	[ -n "$(pid "$line")" ] || bad+=" no-pid"
	[ "$(pri "$line")" = "$p" ] || bad+=" pri:$(pri "$line")"
	wellformed "$line" || bad+=" not-key=value"
	for a in "$@"; do
		k=${a%%=*} re=${a#*=}
		if ! v=$(kv "$line" "$k"); then
			bad+=" $k:absent"
		elif ! [[ $v =~ ^($re)$ ]]; then
			bad+=" $k:$(printf %q "$v")"
		fi
	done
	if [ -z "$bad" ]; then ok "$name"; else
		not_ok "$name"
		echo "#   wrong:$bad"
		printf '#   line: %s\n' "$line"
	fi
}

# consistent NAME SID: every line of the session is the product's, and
# user, uid, rhost and container, wherever present, agree across them.
consistent() {
	local name=$1 sid=$2 bad="" k n
	[ -z "$(slines "$sid" | while IFS= read -r l; do [ "$(ident "$l")" = throwaway ] || echo x; done)" ] ||
		bad+=" foreign-ident"
	for k in user uid rhost container; do
		n=$(slines "$sid" | while IFS= read -r l; do kv "$l" $k && echo; done | sort -u | grep -c .)
		[ "$n" -le 1 ] || bad+=" $k:$n-values"
	done
	if [ -z "$bad" ]; then ok "$name"; else
		not_ok "$name"
		echo "#   wrong:$bad"
		slines "$sid" | sed 's/^/#   /'
	fi
}

# lifecycle NAME SID USER UID CONTAINER EVENTS REASON MODE PTY [ready KEY=ERE...]:
# the whole story of one ended session.
lifecycle() {
	local n=$1 sid=$2 u=$3 id=$4 c=$5 evs=$6 reason=$7 mode=$8 pty=$9
	shift 9
	wait_for 20 has_event "$sid" destroy
	expect_eq "$n: events open..destroy, one each, in order" "$evs" "$(sevents "$sid")"
	expect_line "$n: open has session, user, uid, rhost, service" "$(sline "$sid" open)" 86 \
		"session=$sid" "user=$u" "uid=$id" "rhost=127\.0\.0\.1" "service=$TW_SERVICE"
	expect_line "$n: ready has user, rhost, container, ms" "$(sline "$sid" ready)" 86 \
		"session=$sid" "user=$u" "rhost=127\.0\.0\.1" "container=$c" "ms=[0-9]+" "$@"
	expect_line "$n: enter has user, container, mode=$mode, pty=$pty" "$(sline "$sid" enter)" 86 \
		"session=$sid" "user=$u" "container=$c" "mode=$mode" "pty=$pty"
	expect_line "$n: close has user, rhost, container, ms, reason=$reason" "$(sline "$sid" close)" 86 \
		"session=$sid" "user=$u" "rhost=127\.0\.0\.1" "container=$c" "ms=[0-9]+" "reason=$reason"
	expect_line "$n: destroy (hook) has user, uid, rhost, container, ms" "$(sline "$sid" destroy)" 86 \
		"session=$sid" "user=$u" "uid=$id" "rhost=127\.0\.0\.1" "container=$c" "ms=[0-9]+"
	consistent "$n: user, uid, rhost and container agree on every line" "$sid"
}

# --- a plain command ----------------------------------------------------------

m=$(mark)
out=$(tw_ssh $L 'echo $THROWAWAY_SESSION $(hostname)')
wait_session "$m" $L
expect_match "keeper: the session id is 16 hex characters" "^$SIDRE\$" "$SID"
expect_eq "keeper: the logged session is the one the shell saw" "${out%% *}" "$SID"
C=${out#* }
lifecycle "ssh command" "$SID" $L "$UID_L" "$C" "open ready enter close destroy" logout cmd no keys=home
expect_match "ssh command: the logged copy is the session's copy" "^$CRE_L\$" "$C"
check_clean

# --- an interactive login with a terminal --------------------------------------

m=$(mark)
out=$(printf 'exit\n' | timeout 30 ssh "${tw_ssh_opts[@]}" -tt -i "$TW_TMP/$L.key" -p "$TW_PORT" "$L@127.0.0.1" 2>&1)
wait_session "$m" $L
lifecycle "pty login" "$SID" $L "$UID_L" "$CRE_L" "open ready enter close destroy" logout login yes keys=home
check_clean

# --- bind_home = no: the user's key goes into the copy, logged by fingerprint ---

tw_config "bind_home = no"
FP=$(ssh-keygen -lf "$TW_TMP/$K.key.pub" | awk '{print $2}')
m=$(mark)
out=$(tw_ssh $K 'cat ~/.ssh/authorized_keys')
expect_eq "bind_home=no: the key is in the copy" "$(cat "$TW_TMP/$K.key.pub")" "$out"
wait_session "$m" $K
lifecycle "bind_home=no" "$SID" $K "$UID_K" "$CRE_K" "open open ready enter close destroy" logout cmd no
keyline=$(slines "$SID" | grep ' key=')
expect_eq "bind_home=no: one key line for one key" 1 "$(printf '%s' "$keyline" | grep -c .)"
expect_line "bind_home=no: the key line is an open with the ssh-keygen -l fingerprint" "$keyline" 86 \
	"session=$SID" "user=$K" "container=$CRE_K" "key=$(ere "$FP")"
expect_match "bind_home=no: the fingerprint is SHA256:base64" '^SHA256:[A-Za-z0-9+/]{43}$' "$(kv "$keyline" key)"
check "bind_home=no: ready does not say keys=home" sh -c "! printf '%s' \"\$1\" | grep -q ' keys='" _ "$(sline "$SID" ready)"
check_clean

# A line libssh cannot read is skipped, with a warning, and the rest installed.
HOME_K=$(getent passwd $K | cut -d: -f6)
echo "not-a-key-type AAAAnot-base64" >>"$HOME_K/.ssh/authorized_keys"
m=$(mark)
tw_ssh $K true
wait_session "$m" $K
wait_for 20 has_event "$SID" destroy
expect_eq "bad authorized_keys line: events open, error, open (key), ready, enter, close, destroy" \
	"open error open ready enter close destroy" "$(sevents "$SID")"
expect_line "bad authorized_keys line: a warning saying which line, the reason quoted" "$(sline "$SID" error)" 84 \
	"session=$SID" "user=$K" "reason=authorized_keys lines skipped, ignoring" "skipped=1" "line=2"
expect_match "bad authorized_keys line: the reason, with spaces, is double-quoted" \
	' reason="authorized_keys lines skipped, ignoring"' "$(sline "$SID" error)"
expect_line "bad authorized_keys line: the good key is still logged" "$(slines "$SID" | grep ' key=')" 86 \
	"session=$SID" "key=$(ere "$FP")"
install -m 0600 -o $K -g $K "$TW_TMP/$K.key.pub" "$HOME_K/.ssh/authorized_keys"
check_clean
tw_config

# --- a session that cannot start: the origin is missing -------------------------

printf '[global]\norigin = tw-test-nosuch%s\n' "$TW_ID" >"$TW_CONF"
m=$(mark)
out=$(tw_ssh $K true 2>&1)
wait_session "$m" $K
expect_match "missing origin: the login fails, saying why" "cannot create your sandbox" "$out"
wait_for 10 has_event "$SID" error
wait_for 10 sh -c "tail -n +$((m + 1)) '$LOG' | grep -q \"cannot create a sandbox for '$K'\""
err=$(sline "$SID" error)
expect_eq "missing origin: events are open, error" "open error" "$(sevents "$SID")"
expect_line "missing origin: open has session, user, uid, rhost" "$(sline "$SID" open)" 86 \
	"session=$SID" "user=$K" "uid=$UID_K" "rhost=127\.0\.0\.1"
expect_line "missing origin: error (err) has session, user, uid, rhost, reason" "$err" 83 \
	"session=$SID" "user=$K" "uid=$UID_K" "rhost=127\.0\.0\.1" "reason=.*tw-test-nosuch$TW_ID.*"
expect_match "missing origin: the reason, with spaces, is double-quoted" ' reason="[^"]* [^"]*"' "$err"
if kv "$err" container >/dev/null; then
	expect_match "missing origin: a container on the error is the copy's name" \
		"^tw-test-nosuch$TW_ID-$K-[a-z0-9]{6}\$" "$(kv "$err" container)"
fi
consistent "missing origin: user, uid, rhost agree" "$SID"
modl=$(since "$m" | grep "cannot create a sandbox for '$K'" | head -1)
expect_eq "missing origin: the module's line has sshd's ident, not throwaway" "$TW_SERVICE" "$(ident "$modl")"
expect_eq "missing origin: the module's line is authpriv.err" 83 "$(pri "$modl")"
expect_eq "missing origin: the module logs the keeper's reason" \
	"pam_throwaway($TW_SERVICE:session): cannot create a sandbox for '$K': $(kv "$err" reason)" "$(msg "$modl")"
check_clean
tw_config

# --- session_timeout ----------------------------------------------------------

tw_config "session_timeout = 3s"
m=$(mark)
out=$(tw_ssh $L 'sleep 30' 2>&1)
wait_session "$m" $L
lifecycle "timeout" "$SID" $L "$UID_L" "$CRE_L" "open ready enter close destroy" timeout cmd no keys=home
ms=$(kv "$(sline "$SID" close)" ms)
check "timeout: close's ms counts the 3 s (ms=$ms)" [ "${ms:-0}" -ge 3000 ]
tw_config

# --- throwawayctl kill ---------------------------------------------------------

m=$(mark)
tw_ssh_bg $L 'sleep 60' >/dev/null 2>&1
CLIENT=$!
wait_session "$m" $L
wait_for 15 has_event "$SID" enter
out=$(in_ns throwawayctl kill "$SID" 2>&1)
expect_match "throwawayctl kill: ends the session" "^ended $SID " "$out"
lifecycle "throwawayctl kill" "$SID" $L "$UID_L" "$CRE_L" "open ready enter close destroy" admin cmd no keys=home
check "throwawayctl kill: the client's connection ends" wait_for 10 pid_gone "$CLIENT"
wait "$CLIENT" 2>/dev/null
check_clean

# --- the session's process dies -------------------------------------------------

m=$(mark)
tw_ssh_bg $L 'sleep 60' >/dev/null 2>&1
CLIENT=$!
wait_session "$m" $L
wait_for 15 has_event "$SID" enter
kill -KILL "$(tw_field "$SID" caller)"
lifecycle "sshd session killed" "$SID" $L "$UID_L" "$CRE_L" "open ready enter close destroy" caller-gone cmd no keys=home
wait_for 10 pid_gone "$CLIENT"
wait "$CLIENT" 2>/dev/null
check_clean

# --- a keeper that does not answer --------------------------------------------------
# Under an idle connection (a ControlMaster: no channel), the keeper is
# stopped and its socket removed: alive, so no collection on this host takes
# the session (gc only takes sessions whose keeper is gone), but it answers
# nobody. throwawayctl kill, then close_session, fall back to destroying.

master() {
	ssh "${tw_ssh_opts[@]}" -i "$TW_TMP/$1.key" -p "$TW_PORT" -o ControlMaster=yes \
		-o ControlPath="$TW_TMP/ctl" -o ControlPersist=no -fN "$1@127.0.0.1"
}
master_exit() { ssh -o ControlPath="$TW_TMP/ctl" -O exit "$1@127.0.0.1" 2>/dev/null; }
running() { [ "$(tw_field "$1" state)" = running ]; }
destroys() { [ "$(slines "$1" | grep -c ': event=destroy')" -ge "$2" ]; }
# wedge: an idle session of $L whose keeper is stopped and unreachable.
wedge() {
	m=$(mark)
	master $L
	wait_session "$m" $L && wait_for 10 running "$SID"
	keeper=$(tw_field "$SID" keeper)
	kill -STOP "$keeper" && rm -f "/run/throwaway/sock/$SID"
}
# unwedge: should the product have left the stopped keeper, end it.
unwedge() { grep -qs throwaway-keeper "/proc/$keeper/cmdline" && kill -KILL "$keeper"; }

wedge
out=$(in_ns throwawayctl kill "$SID" 2>&1)
expect_match "wedged keeper: throwawayctl kill still ends the session" "^ended $SID " "$out"
wait_for 20 destroys "$SID" 2
expect_eq "wedged keeper, throwawayctl kill: events open, ready, destroy (hook), destroy (ctl)" \
	"open ready destroy destroy" "$(sevents "$SID")"
expect_line "wedged keeper, throwawayctl kill: the hook's destroy" "$(sline "$SID" destroy 1)" 86 \
	"session=$SID" "user=$L" "uid=$UID_L" "rhost=127\.0\.0\.1" "container=$CRE_L" "ms=[0-9]+"
expect_line "wedged keeper: throwawayctl's destroy says reason=admin" "$(sline "$SID" destroy 2)" 86 \
	"session=$SID" "user=$L" "rhost=127\.0\.0\.1" "container=$CRE_L" "reason=admin"
consistent "wedged keeper, throwawayctl kill: the lines agree" "$SID"
check "wedged keeper, throwawayctl kill: the keeper is gone" wait_for 5 pid_gone "$keeper"
unwedge
master_exit $L
check_clean

wedge
master_exit $L
wait_for 20 destroys "$SID" 2
expect_eq "wedged keeper, logout: events open, ready, destroy (hook), destroy (--destroy)" \
	"open ready destroy destroy" "$(sevents "$SID")"
expect_line "wedged keeper, logout: the hook's destroy" "$(sline "$SID" destroy 1)" 86 \
	"session=$SID" "user=$L" "uid=$UID_L" "rhost=127\.0\.0\.1" "container=$CRE_L" "ms=[0-9]+"
expect_line "wedged keeper, logout: throwaway-keeper --destroy says reason=keeper-gone" "$(sline "$SID" destroy 2)" 86 \
	"session=$SID" "user=$L" "rhost=127\.0\.0\.1" "container=$CRE_L" "reason=keeper-gone"
consistent "wedged keeper, logout: the lines agree" "$SID"
check "wedged keeper, logout: the keeper is gone" wait_for 5 pid_gone "$keeper"
unwedge
check_clean

# --- the module keeps the host program's ident -----------------------------------

# A module after ours that logs with pam_syslog: its lines, at open and at
# close, must still carry sshd's ident (ours must not have called openlog).
tw_pam_service && echo "session optional pam_warn.so" >>"/etc/pam.d/$TW_SERVICE"
m=$(mark)
tw_ssh $L true
wait_session "$m" $L
wait_for 20 has_event "$SID" destroy
wait_for 5 sh -c "tail -n +$((m + 1)) '$LOG' | grep -q 'pam_warn(.*function=\[pam_sm_close_session\]'"
for f in open close; do
	wl=$(since "$m" | grep "pam_warn(.*function=\[pam_sm_${f}_session\]" | head -1)
	expect_eq "after our ${f}_session, another module's pam_syslog keeps sshd's ident" \
		"$TW_SERVICE authpriv" "$(ident "$wl") $([ "$(($(pri "$wl") / 8))" = 10 ] && echo authpriv)"
done
check "and the session itself was logged as usual" has_event "$SID" ready

# An unknown module argument: logged by the module, under sshd's ident.
tw_pam_service "tw-bogus-arg"
m=$(mark)
out=$(tw_ssh $L true 2>&1)
wait_for 10 sh -c "tail -n +$((m + 1)) '$LOG' | grep -q 'tw-bogus-arg'"
bl=$(since "$m" | grep "tw-bogus-arg" | head -1)
expect_eq "unknown argument: the module's line" \
	"pam_throwaway($TW_SERVICE:session): unknown or bad module argument 'tw-bogus-arg'" "$(msg "$bl")"
expect_eq "unknown argument: under sshd's ident (the PAM service), not throwaway" "$TW_SERVICE" "$(ident "$bl")"
expect_eq "unknown argument: at authpriv.err" 83 "$(pri "$bl")"
expect_eq "unknown argument: no keeper ran, nothing logged as throwaway" "" \
	"$(since "$m" | grep -E '^<[0-9]+>.{15} throwaway\[')"

# debug: the module's accepted line under sshd's ident, the keeper's step timings.
had_logdir=no
[ -d /run/throwaway/log ] && had_logdir=yes
tw_pam_service debug
m=$(mark)
out=$(tw_ssh $L hostname)
wait_session "$m" $L
wait_for 20 has_event "$SID" destroy
dl=$(since "$m" | grep "pam_throwaway(.*session $SID accepted" | head -1)
expect_eq "debug: the module's accepted line names the keeper's session" \
	"pam_throwaway($TW_SERVICE:session): session $SID accepted for '$L'" "$(msg "$dl")"
expect_eq "debug: under sshd's ident, at authpriv.debug" "$TW_SERVICE 87" "$(ident "$dl") $(pri "$dl")"
expect_line "debug: the keeper logs each step's time" "$(sline "$SID" debug)" 87 "session=$SID" "step=[a-z-]+" "ms=[0-9]+"
expect_eq "debug: and the session's events as usual" "open ready enter close destroy" \
	"$(sevents "$SID" | tr ' ' '\n' | grep -v '^debug$' | tr '\n' ' ' | sed 's/ $//')"
rm -f "/run/throwaway/log/$out.log"
[ $had_logdir = no ] && rmdir /run/throwaway/log 2>/dev/null
tw_pam_service
check_clean

# --- the capture as a whole --------------------------------------------------------

# (pam_warn ends its message with a newline: the blank line after it is its.)
bad=$(awk 'p ~ /pam_warn\(/ && $0 == "" { p = ""; next } { p = $0; print }' "$LOG" | grep -vcE "$HDR")
expect_eq "every captured line is one whole syslog message (no line breaks inside)" 0 "$bad"
ours=$(grep -E '^<[0-9]+>.{15} throwaway\[[0-9]+\]: ' "$LOG")
expect_match "the product logged under the ident throwaway" . "$ours"
nbad=$(printf '%s\n' "$ours" | while IFS= read -r l; do wellformed "$l" || printf '%s\n' "$l"; done)
expect_eq "every throwaway line is event=NAME then key=value pairs, quoted where needed" "" "$nbad"
fac=$(printf '%s\n' "$ours" | while IFS= read -r l; do p=$(pri "$l"); [ $((p / 8)) = 10 ] || echo "$p"; done | sort -u)
expect_eq "every throwaway line has the facility authpriv" "" "$fac"
evs=$(printf '%s\n' "$ours" | sed -E 's/^[^]]*\]: event=([a-z]+).*/\1/' | sort -u |
	grep -vxE 'open|ready|enter|close|destroy|error|debug')
expect_eq "every event is a documented one" "" "$evs"
expect_eq "no module line ever carries the ident throwaway" "" \
	"$(printf '%s\n' "$ours" | grep 'pam_throwaway(')"
# The hook's destroy measures the session in ms like close does (its ms
# values cannot all be whole seconds).
hms=$(printf '%s\n' "$ours" | grep ': event=destroy .* ms=' | sed -E 's/.* ms=([0-9]+).*/\1/' | tr '\n' ' ')
check "the hook's destroy ms= has millisecond resolution (got: $hms)" \
	sh -c 'for v in $1; do [ $((v % 1000)) != 0 ] && exit 0; done; exit 1' _ "$hms"

# --- nothing left behind ----------------------------------------------------------

sshd_pid=$(cat "$TW_TMP/sshd.pid")
kill "$sshd_pid"
wait_for 5 pid_gone "$sshd_pid"
rm -f "$TW_TMP/sshd.pid"
ns_procs() { for p in /proc/[0-9]*; do [ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$NS" ] && echo "${p#/proc/}"; done; }
ns_gone() { [ -z "$(ns_procs)" ]; }
check "the capture namespace (and its mounts) went with sshd" wait_for 10 ns_gone
check "the host's /dev is as it was" sh -c "! grep -qE 'tw-test-(dev|logns)' /proc/self/mountinfo"
kill "$SINK" && wait "$SINK" 2>/dev/null
SINK=""
if [ "$TW_FAIL" != 0 ]; then
	echo "# the capture:"
	sed 's/^/#   /' "$LOG"
fi
tw_finish
