#!/bin/bash
# throwawayctl as an admin runs it: list (table and JSON, with each copy's
# processes, memory and upper layer), show, kill of one session and of a
# user's, gc of an orphan, check-config, enroll and unenroll, doctor (every
# running sshd, with the -f and -o it was started with, for every sandboxed
# user; and where ~/.ssh/rc runs, which it reports), the warning for a
# running origin under live copies, and refusal for non-root users.
source "$(dirname "$0")/../lib.sh"

# THROWAWAYCTL=PATH tries another build; the suite runs the installed one.
CTL=${THROWAWAYCTL:-/usr/local/sbin/throwawayctl}
LX=/var/lib/throwaway/containers

tw_origin_create && tw_config && tw_user tw-test-cara && tw_user tw-test-cbo &&
	tw_sshd_start || { not_ok "setup"; tw_finish; exit 1; }
A=tw-test-cara
B=tw-test-cbo
UID_A=$(id -u $A)

# This test's rows only: other tests may run sessions of their own meanwhile.
our_rows() { grep -e " $A " -e " $B "; }
json_obj() { grep "\"session\": \"$1\""; }
client_gone() { ! kill -0 "$1" 2>/dev/null; }
copy_gone() { [ ! -e "$LX/$1" ]; }
n_running() {
	[ "$(grep -l "^user=$1\$" /run/throwaway/ledger/* 2>/dev/null | xargs -r grep -l '^state=running$' | wc -l)" = "$2" ] &&
		[ "$(pgrep -u "$1" -x sleep | wc -l)" = "$2" ]
}

# start USER CMD: a background login running CMD; CLIENT is its ssh, SID its session.
start() {
	local n
	n=$(grep -l "^user=$1\$" /run/throwaway/ledger/* 2>/dev/null | wc -l)
	tw_ssh_bg "$1" "$2" >"$TW_TMP/client.$1.$n" 2>&1
	CLIENT=$!
	wait_for 20 n_running "$1" $((n + 1)) || {
		echo "# $1's session did not start"
		sed 's/^/#   client: /' "$TW_TMP/client.$1.$n"
		tw_dump
	}
	SID=$(grep -l "^user=$1\$" /run/throwaway/ledger/* | xargs -r ls -t | head -1 | xargs -r basename)
	COPY=$(tw_field "$SID" container)
}

# --- refusal for non-root users -----------------------------------------

as_a() { setpriv --reuid="$UID_A" --regid="$(id -g $A)" --clear-groups env -i PATH=/usr/bin:/bin "$@"; }
for cmd in "list" "list --json" "show 0123456789abcdef" "kill 0123456789abcdef" "kill --user $A" \
	"gc" "doctor" "enroll $A" "unenroll $A"; do
	# shellcheck disable=SC2086
	out=$(as_a timeout 10 "$CTL" $cmd 2>&1)
	rc=$?
	expect_match "non-root '$cmd' is refused (exit $rc)" "needs root" "$([ $rc = 1 ] && echo "$out")"
done

# --- list, show ---------------------------------------------------------

out=$("$CTL" list)
expect_match "list's header has the usage columns" \
	"^SESSION +USER +CONTAINER +STATE +PROCS +MEM +UPPER +STARTED +RHOST +MEMBER\$" "$(echo "$out" | head -1)"

# A session that puts 4 MiB in its upper layer (the tmpfs) and waits.
start $A 'head -c 4194304 /dev/zero > /tmp/fill && sleep 60'
sleep 0.5
INIT=$(lxc-info -P $LX -n "$COPY" -pH)
INIT_NS=$(readlink "/proc/$INIT/ns/pid")
# Every process of the copy, counted independently: those in its pid namespace.
in_copy=0
for p in /proc/[0-9]*; do [ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$INIT_NS" ] && in_copy=$((in_copy + 1)); done

row=$("$CTL" list | grep "^$SID ")
expect_match "list shows the session: id, user, copy, state" \
	"^$SID +$A +$COPY +running +" "$row"
expect_match "and its start time (UTC), remote host and member (this host: -)" " [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z +127\.0\.0\.1 +-\$" "$row"
read -r _ _ _ _ procs mem upper _ <<<"$row"
expect_eq "PROCS counts the copy's processes ($in_copy in its pid namespace)" "$in_copy" "$procs"
expect_match "MEM is a human size" "^[0-9.]+[KMG]\$" "$mem"
expect_match "UPPER is a human size of at least the 4 MiB written" "^([4-9](\.[0-9])?M|[0-9]{2,}M|[0-9.]+G)\$" "$upper"

json=$("$CTL" list --json)
expect_eq "list --json is an array" "[]" "$(echo "$json" | head -1 | cut -c1)$(echo "$json" | tail -1)"
obj=$(echo "$json" | json_obj "$SID")
for kv in "\"session\": \"$SID\"" "\"user\": \"$A\"" "\"container\": \"$COPY\"" '"state": "running"' \
	'"started": "[0-9-]+T[0-9:]+Z"' '"rhost": "127.0.0.1"' "\"origin\": \"$TW_ORIGIN\"" \
	"\"service\": \"$TW_SERVICE\"" "\"uid\": $UID_A" '"keeper": [0-9]+' "\"procs\": $in_copy" \
	'"memory": [0-9]+' '"upper": [0-9]+'; do
	expect_match "list --json: $kv" "(\{|, )$kv(, |\},?\$)" "$obj"
done
expect_eq "list --json: the object is one line with one pair of braces" "1 1 1" \
	"$(echo "$obj" | wc -l) $(echo "$obj" | tr -cd '{' | wc -c) $(echo "$obj" | tr -cd '}' | wc -c)"
check "list --json: objects are comma separated" \
	sh -c "printf '%s\n' \"\$1\" | sed '1d;\$d' | sed '\$d' | grep -v ',\$' | grep -q . && exit 1 || exit 0" _ "$json"
up=$(echo "$obj" | sed -n 's/.*"upper": \([0-9]*\).*/\1/p')
check "list --json: upper is at least the 4194304 bytes written ($up)" [ "${up:-0}" -ge 4194304 ]
mb=$(echo "$obj" | sed -n 's/.*"memory": \([0-9]*\).*/\1/p')
check "list --json: memory is what the copy's cgroup is charged ($mb)" [ "${mb:-0}" -gt 0 ]

out=$("$CTL" show "$SID")
for kv in "session: +$SID" "user: +$A \\(uid $UID_A\\)" "container: +$COPY" "lxcpath: +$LX" \
	"origin: +$TW_ORIGIN" "state: +running" "rhost: +127\\.0\\.0\\.1" "service: +$TW_SERVICE" \
	"keeper: +[0-9]+\$" "init: +$INIT\$" "procs: +$in_copy\$" "memory: +[0-9.]+[KMG] \\([0-9]+ bytes\\)" \
	"upper: +[0-9.]+M \\([0-9]+ bytes\\)"; do
	expect_match "show: ${kv%% *}" "^$kv" "$out"
done
"$CTL" show 0123456789abcdef >/dev/null 2>"$TW_TMP/err"
expect_eq "show of an unknown session fails" "1 throwawayctl: no session '0123456789abcdef'" "$? $(cat "$TW_TMP/err")"
check "and nothing is printed for it on stdout" [ -z "$("$CTL" show 0123456789abcdef 2>/dev/null)" ]

# --- a wedged copy ---------------------------------------------------------

# Its lxc monitor stopped: liblxc's commands (init_pid, state) would wait on
# it forever; list and show read cgroup files and /proc and never ask it.
MON=$(pgrep -f "^\[lxc monitor\] $LX $COPY\$")
kill -STOP "$MON"
timeout 2 lxc-info -P $LX -n "$COPY" -p >/dev/null 2>&1
expect_eq "a stopped monitor hangs liblxc's own query (lxc-info)" 124 "$?"
row=$(timeout 5 "$CTL" list | grep "^$SID ")
expect_match "list still answers, with the copy's usage, within 5 s" "^$SID +$A +$COPY +running +$in_copy +[0-9.]+[KMG] +[0-9.]+[KMG] " "$row"
expect_match "so does show" "^init: +$INIT\$" "$(timeout 5 "$CTL" show "$SID")"
expect_match "and list --json" "\"procs\": $in_copy" "$(timeout 5 "$CTL" list --json | json_obj "$SID")"
kill -CONT "$MON"

# --- a running origin under a live copy -----------------------------------

check "list warns of nothing while the origin is stopped" \
	sh -c "! '$CTL' list 2>&1 >/dev/null | grep -q \"origin '$TW_ORIGIN'\""
# What the guide says never to do, done for a moment: start the origin.
lxc-start -n "$TW_ORIGIN" -d && wait_for 5 sh -c "[ \"\$(lxc-info -n $TW_ORIGIN -sH)\" = RUNNING ]"
err=$("$CTL" list 2>&1 >/dev/null)
expect_match "list warns on stderr of a running origin with a copy" \
	"^throwawayctl: warning: the origin '$TW_ORIGIN' is running while 1 copy of it exists" "$err"
check "and stdout stays the table" sh -c "! '$CTL' list 2>/dev/null | grep -q warning"
expect_match "list --json warns on stderr too, its stdout stays JSON" \
	"warning: the origin '$TW_ORIGIN' is running.*\[" "$("$CTL" list --json 2>&1 >/dev/null)$("$CTL" list --json 2>/dev/null | head -1)"
expect_match "show warns of it" "warning: the origin '$TW_ORIGIN' is running while 1 copy of it exists" \
	"$("$CTL" show "$SID")"
out=$("$CTL" doctor "$TW_CONF")
rc=$?
expect_match "doctor fails the running origin" "^fail +origin +'$TW_ORIGIN' \[global\] is running" "$out"
expect_match "and warns that a copy of it exists" "^warn +origin .*running while 1 copy of it exists" "$out"
expect_eq "doctor exits 1" 1 "$rc"
lxc-stop -n "$TW_ORIGIN" -k
check "the origin is stopped again" wait_for 5 sh -c "[ \"\$(lxc-info -n $TW_ORIGIN -sH)\" = STOPPED ]"
check "and the warning is gone" sh -c "! '$CTL' list 2>&1 | grep -q 'warning:'"

# --- kill SESSION -------------------------------------------------------

out=$("$CTL" kill "$SID")
expect_eq "kill prints what it ended" "ended $SID ($A, $COPY)" "$out"
check "kill SESSION: the user's ssh client exits within 5 s" wait_for 5 client_gone "$CLIENT"
check "kill SESSION: the copy is gone within 5 s" wait_for 5 copy_gone "$COPY"
wait "$CLIENT" 2>/dev/null
expect_match "the user is told why" "your sandbox has ended \(admin\)" "$(cat "$TW_TMP/client.$A.0")"
check "the session left the ledger" [ ! -e "/run/throwaway/ledger/$SID" ]
check "and list" sh -c "! '$CTL' list | grep -q '^$SID '"
"$CTL" kill 0123456789abcdef >/dev/null 2>"$TW_TMP/err"
expect_eq "kill of an unknown session fails" "1 throwawayctl: no session '0123456789abcdef'" "$? $(cat "$TW_TMP/err")"
check_clean "after kill nothing is left"

# --- kill --user --------------------------------------------------------

start $B 'sleep 60'
C1=$CLIENT P1=$COPY
start $B 'sleep 60'
C2=$CLIENT P2=$COPY
expect_eq "two sessions of $B listed" 2 "$("$CTL" list | our_rows | grep -c " $B ")"
out=$("$CTL" kill --user $B)
expect_eq "kill --user ends both" 2 "$(echo "$out" | grep -c "^ended [0-9a-f]\{16\} ($B, $TW_ORIGIN-$B-")"
check "kill --user: both ssh clients exit within 5 s" wait_for 5 sh -c "! kill -0 $C1 2>/dev/null && ! kill -0 $C2 2>/dev/null"
check "kill --user: both copies are gone within 5 s" wait_for 5 sh -c "[ ! -e $LX/$P1 ] && [ ! -e $LX/$P2 ]"
wait "$C1" "$C2" 2>/dev/null
out=$("$CTL" kill --user $B)
expect_eq "kill --user with no sessions says so, exit 0" "0 no sessions of '$B'" "$? $out"
check_clean "after kill --user nothing is left"

# --- gc of an orphan ----------------------------------------------------

start $A 'sleep 60'
kill -KILL "$(tw_field "$SID" keeper)" "$(tw_field "$SID" caller)"
orphaned() { "$CTL" list | grep -Eq "^$SID +$A +$COPY +orphaned "; }
check "a session whose keeper and sshd died is listed orphaned" wait_for 5 orphaned
expect_match "show says the keeper is gone" "keeper: +[0-9]+ \(gone\)" "$("$CTL" show "$SID")"
out=$("$CTL" gc)
rc=$?
expect_match "gc reports what it removed, in one line" \
	"^gc: [0-9]+ dead sessions, [0-9]+ copies, [0-9]+ lock files, [0-9]+ cgroups, [0-9]+ sockets, [0-9]+ debug logs removed\$" "$out"
expect_eq "gc exits 0" 0 "$rc"
check "gc removed the orphan's copy" copy_gone "$COPY"
check "and its record" [ ! -e "/run/throwaway/ledger/$SID" ]
wait "$CLIENT" 2>/dev/null
check_clean "after gc nothing is left"

# The debug argument's liblxc logs go a day after their copy.
mkdir -p /run/throwaway/log
OLD=/run/throwaway/log/$TW_ORIGIN-gc-old.log NEW=/run/throwaway/log/$TW_ORIGIN-gc-new.log
echo old >"$OLD" && touch -d '2 days ago' "$OLD"
echo new >"$NEW"
expect_match "gc removes a day-old debug log of a copy that is gone" ", 1 debug logs removed\$" "$("$CTL" gc)"
check "the old log is gone" [ ! -e "$OLD" ]
check "a fresh one stays" [ -e "$NEW" ]
rm -f "$NEW"

# --- check-config -------------------------------------------------------

out=$(as_a "$CTL" check-config "$TW_CONF" 2>&1)
expect_eq "check-config of a good file: ok, exit 0 (as a user, too)" "0 $TW_CONF: ok" "$? $out"
printf '[global]\norigin = %s\norign = x\n' "$TW_ORIGIN" >"$TW_TMP/bad.conf"
out=$("$CTL" check-config "$TW_TMP/bad.conf" 2>"$TW_TMP/err")
rc=$?
expect_eq "check-config of a bad file prints FILE:LINE: message" \
	"$TW_TMP/bad.conf:3: unknown key 'orign'" "$(cat "$TW_TMP/err")"
expect_eq "and exits 1, printing nothing on stdout" "1 " "$rc $out"
chmod 0666 "$TW_TMP/bad.conf"
printf '[global]\norigin = %s\n' "$TW_ORIGIN" >"$TW_TMP/bad.conf"
"$CTL" check-config "$TW_TMP/bad.conf" >/dev/null 2>"$TW_TMP/err"
expect_match "check-config refuses a world-writable file" "writable by group or others" "$? $(cat "$TW_TMP/err")"

# --- enroll, unenroll -----------------------------------------------------

N=tw-test-cnew
SYS=tw-test-csys
shell_of() { getent passwd "$1" | cut -d: -f7; }
in_group() { id -nG "$1" | tr ' ' '\n' | grep -qx throwaway; }
not_in_group() { ! in_group "$1"; }
tw_user $N /bin/sh || not_ok "setup: user $N"
# A system user (uid below 1000), removed at the end like the others.
useradd -r -M -s /usr/sbin/nologin $SYS && TW_USERS+=("$SYS") || not_ok "setup: user $SYS"

out=$("$CTL" enroll $N)
expect_eq "enroll: the shell and the group in one step, exit 0" \
	"0 enrolled '$N': shell $TW_SHELL, group throwaway" "$? $out"
expect_eq "enroll: the login shell is the installed throwaway-shell" "$TW_SHELL" "$(shell_of $N)"
check "enroll: the user is in group throwaway" in_group $N
out=$("$CTL" enroll $N)
expect_eq "enroll again changes nothing, exit 0" "0 '$N' is already enrolled" "$? $out"
gpasswd -d $N throwaway >/dev/null
out=$("$CTL" enroll $N)
expect_eq "enroll puts back a group taken away by hand" "0 enrolled '$N': shell $TW_SHELL, group throwaway" "$? $out"
check "the user is in the group again" in_group $N
usermod -s /bin/sh $N
"$CTL" enroll $N >/dev/null
expect_eq "enroll puts back a shell changed by hand" "$TW_SHELL" "$(shell_of $N)"
expect_match "a login of the enrolled user lands in a copy" "^$TW_ORIGIN-$N-" "$(tw_ssh $N hostname)"
check "and the copy is gone after it" wait_for 5 no_copies

out=$("$CTL" unenroll $N)
expect_eq "unenroll: out of both, exit 0" "0 unenrolled '$N': shell /bin/bash, not in group throwaway" "$? $out"
expect_eq "unenroll: the shell is /bin/bash" /bin/bash "$(shell_of $N)"
check "unenroll: not in group throwaway" not_in_group $N
out=$("$CTL" unenroll $N)
expect_eq "unenroll again changes nothing, exit 0" "0 '$N' is not enrolled" "$? $out"
"$CTL" enroll $N >/dev/null
out=$("$CTL" unenroll --shell /bin/sh $N)
expect_eq "unenroll --shell gives that shell" "0 /bin/sh" "$? $(shell_of $N)"
check "and takes the group" not_in_group $N

"$CTL" enroll root >/dev/null 2>"$TW_TMP/err"
expect_match "enroll refuses root (exit 1)" "^1 throwawayctl: 'root' has uid 0, which is never sandboxed" "$? $(cat "$TW_TMP/err")"
"$CTL" enroll --force root >/dev/null 2>"$TW_TMP/err"
expect_match "enroll --force refuses root too" "^1 .*uid 0" "$? $(cat "$TW_TMP/err")"
expect_eq "root's shell is untouched" "$(getent passwd root | cut -d: -f7)" "$(grep '^root:' /etc/passwd | cut -d: -f7)"
check "root is not in the group" not_in_group root
"$CTL" enroll $SYS >/dev/null 2>"$TW_TMP/err"
expect_match "enroll refuses a system user (exit 1)" "^1 throwawayctl: '$SYS' is a system user \(uid [0-9]+, below 1000\); use --force" \
	"$? $(cat "$TW_TMP/err")"
expect_eq "and leaves its shell" /usr/sbin/nologin "$(shell_of $SYS)"
out=$("$CTL" enroll --force $SYS)
expect_eq "enroll --force enrolls a system user" "0 enrolled '$SYS': shell $TW_SHELL, group throwaway" "$? $out"
"$CTL" unenroll --shell /usr/sbin/nologin $SYS >/dev/null
expect_eq "and unenroll gives it back its shell" /usr/sbin/nologin "$(shell_of $SYS)"
"$CTL" enroll tw-test-nobody$TW_ID >/dev/null 2>"$TW_TMP/err"
expect_eq "enroll of an unknown user fails" "1 throwawayctl: no user 'tw-test-nobody$TW_ID'" "$? $(cat "$TW_TMP/err")"
"$CTL" enroll >/dev/null 2>&1
expect_eq "enroll without a user is a usage error" 2 "$?"
"$CTL" enroll --force >/dev/null 2>&1
expect_eq "so is enroll --force alone" 2 "$?"
"$CTL" unenroll --shell sh $N >/dev/null 2>&1
expect_eq "unenroll --shell refuses a relative path" 1 "$?"
"$CTL" unenroll --shell "$TW_SHELL" $N >/dev/null 2>&1
expect_eq "unenroll --shell refuses throwaway-shell" 1 "$?"
# Without the group, enroll makes it (as install would): only when nobody
# is in it, so that nothing of anyone else's changes.
if [ -z "$(getent group throwaway | cut -d: -f4)" ]; then
	groupdel throwaway
	out=$("$CTL" enroll $N)
	expect_eq "enroll makes a missing group" \
		"0 created the group 'throwaway' enrolled '$N': shell $TW_SHELL, group throwaway" "$? $(echo $out)"
	check "a system group" [ "$(getent group throwaway | cut -d: -f3)" -lt 1000 ]
	"$CTL" unenroll $N >/dev/null
fi

# --- ~/.ssh/rc -----------------------------------------------------------

# sshd runs a user's ~/.ssh/rc as "SHELL -c '/bin/sh ~/.ssh/rc'" before the
# command, so with throwaway-shell as SHELL it runs inside the copy, never
# on the host. Shown by an sshd of our own with PermitUserRC yes.
HOME_A=$(getent passwd $A | cut -d: -f6)
RC_MARK=/tmp/tw-test-rc$TW_ID
RC_PORT=$(sshd_free_port)
sed -e "s/^Port .*/Port $RC_PORT/" -e "s|^PidFile .*|PidFile $TW_TMP/rc-sshd.pid|" \
	-e 's/PermitUserRC no/PermitUserRC yes/' "$TW_TMP/sshd_config" >"$TW_TMP/rc-sshd_config"
listening() { ss -Hltn "sport = :$1" | grep -q .; }
"$TW_TMP/$TW_SERVICE" -f "$TW_TMP/rc-sshd_config" -E "$TW_TMP/rc-sshd.log" && wait_for 5 listening "$RC_PORT" ||
	not_ok "setup: an sshd with PermitUserRC yes"
# shellcheck disable=SC2016 # expanded by the rc, wherever it runs
printf 'echo "rc ran in $(hostname)" >%s\n' "$RC_MARK" >"$HOME_A/.ssh/rc"
chown $A: "$HOME_A/.ssh/rc"
out=$(ssh "${tw_ssh_opts[@]}" -i "$TW_TMP/$A.key" -p "$RC_PORT" $A@127.0.0.1 "cat $RC_MARK; hostname" 2>&1)
copy=$(echo "$out" | sed -n 2p)
expect_match "PermitUserRC yes: the login lands in a copy" "^$TW_ORIGIN-$A-[a-z0-9]{6}\$" "$copy"
expect_eq "~/.ssh/rc ran inside that copy, before the command" "rc ran in $copy" "$(echo "$out" | sed -n 1p)"
check "and not on the host" [ ! -e "$RC_MARK" ]
# It still starts the host's /bin/sh: doctor fails it.
out=$("$CTL" doctor "$TW_CONF")
expect_match "doctor fails PermitUserRC yes of the running sshd, for every sandboxed user" \
	"^fail +sshd +sshd $(cat "$TW_TMP/rc-sshd.pid") \($TW_TMP/rc-sshd_config\): for ('$A', '$B'|'$B', '$A'), sshd runs ~/.ssh/rc through the host's /bin/sh.*\(permituserrc yes\)" "$out"
kill "$(cat "$TW_TMP/rc-sshd.pid")" 2>/dev/null
rm -f "$HOME_A/.ssh/rc" "$RC_MARK"
check "the copy is gone after it" wait_for 5 no_copies

# --- doctor -------------------------------------------------------------

# doctor_consistent OUT RC: every line is a verdict, a fix under each warn and
# fail, or the summary; the summary counts them; exit 1 exactly when one failed.
doctor_consistent() {
	local out=$1 rc=$2 ok warn fail
	ok=$(echo "$out" | grep -c '^ok ')
	warn=$(echo "$out" | grep -c '^warn ')
	fail=$(echo "$out" | grep -c '^fail ')
	echo "$out" | grep -vE '^(ok|warn|fail) +[a-z]+ +[^ ]|^ +fix: [^ ]|^doctor: [0-9]+ ok, [0-9]+ warn, [0-9]+ fail$' | grep -q . && return 1
	[ "$(echo "$out" | grep -A1 -E '^(warn|fail) ' | grep -c '^ \+fix: ')" = $((warn + fail)) ] || return 1
	[ "$(echo "$out" | tail -1)" = "doctor: $ok ok, $warn warn, $fail fail" ] || return 1
	if [ "$fail" = 0 ]; then [ "$rc" = 0 ]; else [ "$rc" = 1 ]; fi
}

out=$("$CTL" doctor "$TW_CONF")
rc=$?
echo "$out" | sed 's/^/#   /'
check "doctor: its lines, summary and exit status ($rc) agree" doctor_consistent "$out" "$rc"
expect_match "doctor: overlay ok" "^ok +overlay " "$out"
expect_match "doctor: user namespaces ok" "^ok +userns +user namespaces are enabled" "$out"
expect_match "doctor: idmapped mounts ok on Linux $(uname -r | cut -d. -f1-2)" "^ok +idmap +Linux $(uname -r | cut -d. -f1-2) " "$out"
expect_match "doctor: root's subordinate ids ok (make install ran setup-ids)" "^ok +subids " "$out"
if [ -e /sys/fs/cgroup/cgroup.controllers ]; then layout="cgroup v2"; else layout="cgroup v1"; fi
expect_match "doctor: names the cgroup layout ($layout)" "^ok +cgroups +$layout" "$out"
expect_match "doctor: the config is valid" "^ok +config +$TW_CONF is valid" "$out"
expect_match "doctor: the origin exists, is stopped, has a directory rootfs" \
	"^ok +origin +'$TW_ORIGIN' \[global\] exists in /var/lib/lxc, is stopped" "$out"
check "doctor: no network warning for an origin with lxc.net.0.type = empty" \
	sh -c "! printf '%s' \"\$1\" | grep -q 'lxc.net.0.type'" _ "$out"
expect_match "doctor: the seccomp profile is installed" "^ok +seccomp " "$out"
expect_match "doctor: the keeper is root's" "^ok +helpers +.*/throwaway-keeper is root's" "$out"
expect_match "doctor: the hook is root's" "^ok +helpers +.*/throwaway-hook is root's" "$out"
expect_match "doctor: the shell is in /etc/shells" "^ok +shell +.*/throwaway-shell is in /etc/shells" "$out"
expect_match "doctor: lists the PAM files with the module" "^ok +pam +pam_throwaway.so is in /etc/pam.d: .*$TW_SERVICE" "$out"
# Every running sshd, by the config it was started with (-f), for every
# sandboxed user ($A and $B: the test's Match User tw-test-* covers both).
LABEL="sshd $(cat "$TW_TMP/sshd.pid") \\($TW_TMP/sshd_config\\)"
expect_match "doctor: the test's sshd, by its pid and -f: forwarding off for every sandboxed user" \
	"^ok +sshd +$LABEL: forwarding is off for all [0-9]+ sandboxed users" "$out"
expect_match "doctor: PermitUserRC no for them" "^ok +sshd +$LABEL: PermitUserRC no for all" "$out"
expect_match "doctor: sftp is not internal-sftp for them" "^ok +sshd +$LABEL: sftp is not internal-sftp for all" "$out"
expect_match "doctor: PermitUserEnvironment no for them" "^ok +sshd +$LABEL: PermitUserEnvironment no for all" "$out"
expect_match "doctor: names who has the shell without the group" \
	"^warn +enroll +.*'$A'.* throwaway-shell but .* not in group 'throwaway'" "$out"
check "doctor: never says that ~/.ssh/rc runs on the host" \
	sh -c "! printf '%s' \"\$1\" | grep -q 'rc on the host'" _ "$out"

# A second sshd whose Match covers only $A (the first sandboxed user in
# passwd), with internal-sftp, and -o on its command line: doctor fails it
# for $B too, and replays the -o (whose value has a space).
X_PORT=$(sshd_free_port)
sed -e "s/^Port .*/Port $X_PORT/" -e "s|^PidFile .*|PidFile $TW_TMP/x-sshd.pid|" \
	-e "s/^Match User .*/Match User $A/" -e 's|^Subsystem sftp .*|Subsystem sftp internal-sftp|' \
	"$TW_TMP/sshd_config" >"$TW_TMP/x-sshd_config"
"$TW_TMP/$TW_SERVICE" -f "$TW_TMP/x-sshd_config" -E "$TW_TMP/x-sshd.log" -o "PermitUserEnvironment yes" &&
	wait_for 5 listening "$X_PORT" || not_ok "setup: a second sshd"
out=$("$CTL" doctor "$TW_CONF")
rc=$?
XLABEL="sshd $(cat "$TW_TMP/x-sshd.pid") \\($TW_TMP/x-sshd_config\\)"
expect_match "doctor: fails forwarding on the second sshd for the second sandboxed user" \
	"^fail +sshd +$XLABEL: for '$B', forwarding .* reaches the host \(allowtcpforwarding yes" "$out"
check "doctor: and only for that user" sh -c "! printf '%s\n' \"\$1\" | grep -E '^fail +sshd +.*x-sshd_config.*forwarding' | grep -q \"'$A'\"" _ "$out"
expect_match "doctor: fails PermitUserRC (default yes) for that user" \
	"^fail +sshd +$XLABEL: for '$B', sshd runs ~/.ssh/rc" "$out"
expect_match "doctor: fails internal-sftp for both" \
	"^fail +sshd +$XLABEL: for ('$A', '$B'|'$B', '$A'), internal-sftp serves the host's files.*\(subsystem sftp internal-sftp\)" "$out"
expect_match "doctor: replays the -o of its command line (PermitUserEnvironment yes)" \
	"^warn +sshd +$XLABEL: for .*'$B'.*, ~/.ssh/environment reaches throwaway-shell on the host \(permituserenvironment yes\)" "$out"
expect_match "doctor: the first sshd stays ok" "^ok +sshd +$LABEL: forwarding is off for all" "$out"
check "doctor: its lines, summary and exit status ($rc) agree" doctor_consistent "$out" "$rc"
expect_eq "doctor: exits 1" 1 "$rc"
kill "$(cat "$TW_TMP/x-sshd.pid")" 2>/dev/null
wait_for 5 sh -c "! ss -Hltn 'sport = :$X_PORT' | grep -q ."

# Origins of every section are checked, each where its section says.
printf '[global]\norigin = %s\n\n[user:%s]\norigin = tw-test-none%s\n' "$TW_ORIGIN" $A "$TW_ID" >"$TW_TMP/two.conf"
out=$("$CTL" doctor "$TW_TMP/two.conf")
rc=$?
expect_match "doctor: an origin named in a [user:] section is checked too" \
	"^fail +origin +'tw-test-none$TW_ID' \[user:$A\] does not exist in /var/lib/lxc" "$out"
expect_match "doctor: with a fix" "fix: create it \(lxc-create -P /var/lib/lxc -n tw-test-none$TW_ID\)" "$out"
check "doctor: and exits 1, consistently" doctor_consistent "$out" "$rc"
check "doctor: exit status 1" [ "$rc" = 1 ]

out=$("$CTL" doctor "$TW_TMP/bad.conf")
rc=$?
expect_match "doctor: an untrusted config fails" "^fail +config +.*writable by group or others" "$out"
check "doctor: and exits 1, consistently" doctor_consistent "$out" "$rc"
out=$("$CTL" doctor "$TW_TMP/absent.conf")
expect_match "doctor: a missing config fails" "^fail +config +$TW_TMP/absent.conf: .*No such file" "$out"
expect_match "doctor: and says how to write one" "^ +fix: write it" "$out"

# An origin whose rootfs lies on a path without its name: the keeper makes
# each copy itself (liblxc's clone() would have needed the name there).
ELSEWHERE=/var/lib/tw-test-rootfs$TW_ID
OCONF=/var/lib/lxc/$TW_ORIGIN/config
mv "/var/lib/lxc/$TW_ORIGIN/rootfs" "$ELSEWHERE" &&
	sed -i "s|^lxc.rootfs.path = .*|lxc.rootfs.path = dir:$ELSEWHERE|" "$OCONF"
out=$("$CTL" doctor "$TW_CONF")
expect_match "doctor: a rootfs on a path without the origin's name is fine" \
	"^ok +origin +'$TW_ORIGIN' \[global\] exists in /var/lib/lxc, is stopped" "$out"
expect_match "and a login lands in a copy of that origin" "^$TW_ORIGIN-$A-" "$(tw_ssh $A hostname)"
check "and the copy is gone after it" wait_for 5 no_copies
mv "$ELSEWHERE" "/var/lib/lxc/$TW_ORIGIN/rootfs" &&
	sed -i "s|^lxc.rootfs.path = .*|lxc.rootfs.path = dir:/var/lib/lxc/$TW_ORIGIN/rootfs|" "$OCONF"

check_clean
tw_finish
