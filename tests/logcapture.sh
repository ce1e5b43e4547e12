# shellcheck shell=bash
# What the product tells syslog, captured without touching the host's
# syslog: tw_logs_start moves tw_sshd_start's sshd into a mount namespace
# of its own whose /dev is an overlay of the host's /dev (its submounts
# bound again on top), with /dev/log in it bound to a socket a sink of the
# test's listens on, writing to $LOG. The keepers (spawned by the module
# inside sshd), their helpers and throwawayctl run there with in_ns all
# log to it, while the host's /dev, /dev/log or no /dev/log at all stays
# as it is. The namespace and its mounts go with its last process; the
# caller kills $SINK. Source after tests/lib.sh.

LOG=$TW_TMP/syslog.txt
SOCK=$TW_TMP/log.sock
SINK=""
NS=""
# The namespace's setup, run by unshare before it execs the command.
cat >"$TW_TMP/ns.sh" <<'NS'
set -e
d=$1
shift
mount -t tmpfs -o size=1m,mode=0700 tw-test-logns "$d/ns"
mkdir "$d/ns/old" "$d/ns/upper" "$d/ns/work"
mount --rbind /dev "$d/ns/old"
mount -t overlay -o "lowerdir=$d/ns/old,upperdir=$d/ns/upper,workdir=$d/ns/work" tw-test-dev /dev
# The overlay shows /dev's own files; its submounts (pts, shm, ...) go on top.
for m in $(awk -v p="$d/ns/old/" 'index($5, p) == 1 && substr($5, length(p) + 1) !~ /\// {
	print substr($5, length(p) + 1) }' /proc/self/mountinfo | sort -u); do
	mount --rbind "$d/ns/old/$m" "/dev/$m"
done
umount -l "$d/ns/old"
rm -f /dev/log
: >/dev/log
mount --bind "$d/log.sock" /dev/log
exec "$@"
NS

port_free() { ! ss -Hltn "sport = :$TW_PORT" | grep -q .; }
port_used() { ! port_free; }
sshd_up() { [ -s "$TW_TMP/sshd.pid" ] && port_used; }
pid_gone() { ! kill -0 "$1" 2>/dev/null; }

# Start the sink, then move tw_sshd_start's sshd into the namespace.
tw_logs_start() {
	mkdir -m 0700 "$TW_TMP/ns" || return 1
	"$TW_BUILD/tests/logsink" "$SOCK" "$LOG" &
	SINK=$!
	wait_for 5 test -S "$SOCK" || return 1
	chmod 0666 "$SOCK" # as /dev/log is: any uid may log
	local old
	old=$(cat "$TW_TMP/sshd.pid") && kill "$old" || return 1
	wait_for 5 pid_gone "$old" && wait_for 5 port_free || return 1
	rm -f "$TW_TMP/sshd.pid"
	unshare -m --propagation private sh "$TW_TMP/ns.sh" "$TW_TMP" \
		"$TW_TMP/$TW_SERVICE" -f "$TW_TMP/sshd_config" -E "$TW_TMP/sshd.log" || return 1
	wait_for 5 sshd_up || return 1
	NS=$(readlink "/proc/$(cat "$TW_TMP/sshd.pid")/ns/mnt")
	[ -n "$NS" ] && [ "$NS" != "$(readlink /proc/self/ns/mnt)" ]
}

# Run a command in the capture namespace (throwawayctl logs too).
in_ns() { nsenter -t "$(cat "$TW_TMP/sshd.pid")" -m -- "$@"; }
