# shellcheck shell=bash
# Shared helpers for the integration tests: a busybox origin, test users,
# a loopback sshd with a PAM service of its own, clients, and the check
# that nothing is left behind. Everything made here is named tw-test-*.
set -u

TW_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TW_BUILD=$TW_ROOT/build
# shellcheck source=tests/sshd.sh
source "$TW_ROOT/tests/sshd.sh"
TW_SHELL=/usr/local/bin/throwaway-shell
TW_ID=$$
TW_TMP=$(mktemp -d /run/tw-test.XXXXXX) # root-owned parents: config trust holds
chmod 0755 "$TW_TMP" # sshd reads $TW_TMP/authkeys/USER as the user
TW_ORIGIN=tw-test-o$TW_ID
TW_SERVICE=tw-test-sshd$TW_ID
TW_CONF=$TW_TMP/throwaway.conf
TW_USERS=()
TW_UIDS=() # kept past userdel: their copies' parent cgroups are named after them
TW_GROUPS=()
TW_PASS=0
TW_FAIL=0
TW_PORT=""
# TW_BACKEND=lxd: a suite written for the local driver run on backend = lxd
# (run.sh's lxd pass): its origin is an image of an LXD of its own
# (tests/lxd.sh) and its copies are that LXD's instances. Cases that test
# what only the local driver has say so and are left to its pass.
TW_BACKEND=${TW_BACKEND:-lxc}
if [ "$TW_BACKEND" = lxd ]; then
	# shellcheck source=tests/lxd.sh
	source "$TW_ROOT/tests/lxd.sh"
	TW_ORIGIN=$TW_LXD_IMAGE
fi

# A case reached long after the one before says how long: a wait that
# passed but took minutes is found in the log, not guessed at.
TW_LAST_CASE=$SECONDS
tw_slow_note() {
	local took=$((SECONDS - TW_LAST_CASE))
	[ "$took" -ge 30 ] && echo "# $took s since the case before this one"
	TW_LAST_CASE=$SECONDS
}
ok() { tw_slow_note; TW_PASS=$((TW_PASS + 1)); echo "ok - $*"; }
not_ok() { tw_slow_note; TW_FAIL=$((TW_FAIL + 1)); echo "not ok - $*"; }

# check NAME COMMAND...: the command's success is the case's result.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

# check_all NAME CONDITION: CONDITION is a shell list (with && or !) run in
# this shell; `check NAME [ a ] && [ b ]` would judge only its first test.
check_all() {
	if eval "$2"; then ok "$1"; else not_ok "$1"; fi
}

# expect_eq NAME EXPECTED ACTUAL
expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else
		not_ok "$1"
		printf '#   expected: %q\n#   actual:   %q\n' "$2" "$3"
	fi
}

# expect_match NAME REGEX ACTUAL
expect_match() {
	if printf '%s' "$3" | grep -Eq -- "$2"; then ok "$1"; else
		not_ok "$1"
		printf '#   wanted /%s/ in: %q\n' "$2" "$3"
	fi
}

# tw_origin_copy NAME: the run's busybox origin (tests/run.sh makes one in
# TW_ORIGIN_CACHE: lxc-create -t busybox takes 1.7 s here, a copy 20 ms)
# as the container NAME, its config naming its own rootfs.
tw_origin_copy() {
	local dir=/var/lib/lxc/$1
	mkdir -m 0770 "$dir" && cp -a "$TW_ORIGIN_CACHE/o/rootfs" "$dir/" &&
		sed -e "s|^lxc.rootfs.path = .*|lxc.rootfs.path = dir:$dir/rootfs|" \
			-e "s|^lxc.uts.name = .*|lxc.uts.name = \"$1\"|" \
			"$TW_ORIGIN_CACHE/o/config" >"$dir/config" && chmod 0640 "$dir/config"
}
tw_origin_create() {
	local name=${1:-$TW_ORIGIN}
	[ "$TW_BACKEND" = lxd ] && { tw_lxd_start; return; }
	if [ -n "${TW_ORIGIN_CACHE:-}" ]; then
		tw_origin_copy "$name" || return 1
	else
		lxc-create -t busybox -n "$name" >"$TW_TMP/lxc-create.log" 2>&1 || {
			cat "$TW_TMP/lxc-create.log"
			return 1
		}
	fi
	# No network for the test origin (the suite makes no bridge).
	sed -i -e 's/^lxc.net.0.type = .*/lxc.net.0.type = empty/' \
		-e '/^lxc.net.0.link/d' -e '/^lxc.net.0.flags/d' "/var/lib/lxc/$name/config"
}

# tw_lxd_lines [the suite's lines...]: how the lxd pass reaches its LXD,
# each key unless the suite sets it.
tw_lxd_lines() {
	local l
	for l in "backend = lxd" "lxd_socket = $TW_LXD_SOCKET" "start_timeout = 60s"; do
		printf '%s\n' "$@" | grep -q "^${l%% *} " || echo "$l"
	done
}

# tw_config [extra lines...]: a config for the test origin.
tw_config() {
	{
		echo "[global]"
		echo "origin = $TW_ORIGIN"
		[ "$TW_BACKEND" = lxd ] && tw_lxd_lines "$@"
		for l in "$@"; do echo "$l"; done
	} >"$TW_CONF"
	chmod 0644 "$TW_CONF"
}

# tw_user NAME [SHELL]: a user with an ed25519 key the tests log in with.
tw_user() {
	local name=$1 shell=${2:-$TW_SHELL}
	useradd -m -s "$shell" "$name" || return 1
	TW_USERS+=("$name")
	TW_UIDS+=("$(id -u "$name")")
	local home
	home=$(getent passwd "$name" | cut -d: -f6)
	ssh-keygen -q -t ed25519 -N '' -C "$name@test" -f "$TW_TMP/$name.key" || return 1
	install -d -m 0700 -o "$name" -g "$name" "$home/.ssh"
	install -m 0600 -o "$name" -g "$name" "$TW_TMP/$name.key.pub" "$home/.ssh/authorized_keys"
	# A root-owned copy sshd also accepts, so a test may make the user's own
	# authorized_keys hostile and still log in.
	install -d -m 0755 "$TW_TMP/authkeys"
	install -m 0644 "$TW_TMP/$name.key.pub" "$TW_TMP/authkeys/$name"
}

# tw_group NAME [MEMBER...]: a group (tw_cleanup removes it) with these
# members, who need not be users; set as vigr sets them (under the shadow
# suite's lock, the file installed whole), so a group may have hundreds.
tw_group() {
	local name=$1 members ed=$TW_TMP/group-edit
	shift
	groupadd "$name" || return 1
	TW_GROUPS+=("$name")
	[ $# = 0 ] && return 0
	members=$(IFS=,; echo "$*")
	# vigr sees a change by the file's mtime, in whole seconds: hence the sleep.
	cat >"$ed" <<'ED'
#!/bin/sh
sleep 1
out=$(awk -F: -v OFS=: -v g="$TW_GROUP" -v m="$TW_MEMBERS" '$1 == g { $4 = m } { print }' "$1") &&
	printf '%s\n' "$out" >"$1"
ED
	chmod 0700 "$ed"
	TW_GROUP=$name TW_MEMBERS=$members EDITOR=$ed vigr </dev/null >/dev/null &&
		getent group "$name" | grep -qF ":$members"
}

tw_pam_service() {
	sshd_pam_lines "throwaway test service (removed by the test)" "$TW_CONF" "${1:-}" \
		>"/etc/pam.d/$TW_SERVICE"
}

# tw_sshd_start [PAM ARGS]: a loopback sshd whose PAM service is $TW_SERVICE.
tw_sshd_start() {
	tw_pam_service "${1:-}"
	TW_PORT=$(sshd_free_port) || return 1
	sshd_start "$TW_TMP" "$TW_SERVICE" "$TW_PORT" 'tw-test-*' VERBOSE \
		".ssh/authorized_keys $TW_TMP/authkeys/%u" && return 0
	echo "# sshd did not start" >&2
	return 1
}

# tw_sshd_start_installed [PAM ARGS]: the same sshd, but configured as
# install leaves the host's: its config starts by including the installed
# sshd_config.d/throwaway.conf (as Debian's sshd_config includes that
# directory), says X11Forwarding yes (as Debian's does), and has no Match
# block of its own.
TW_SSHD_SNIPPET=/etc/ssh/sshd_config.d/throwaway.conf
tw_sshd_start_installed() {
	tw_pam_service "${1:-}"
	TW_PORT=$(sshd_free_port) || return 1
	SSHD_INCLUDE=$TW_SSHD_SNIPPET SSHD_EXTRA="X11Forwarding yes" \
		sshd_start "$TW_TMP" "$TW_SERVICE" "$TW_PORT" '' VERBOSE \
		".ssh/authorized_keys $TW_TMP/authkeys/%u" && return 0
	echo "# sshd did not start" >&2
	return 1
}

tw_ssh_opts=(-o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
	-o LogLevel=ERROR -o ConnectTimeout=10)

# tw_ssh USER [ssh args...] -- run OpenSSH's client as root with USER's key.
tw_ssh() {
	local user=$1
	shift
	ssh "${tw_ssh_opts[@]}" -i "$TW_TMP/$user.key" -p "$TW_PORT" "$user@127.0.0.1" "$@"
}

# tw_ssh_bg USER CMD: ssh in the background; $! is the ssh client itself.
tw_ssh_bg() {
	local user=$1
	shift
	(exec ssh "${tw_ssh_opts[@]}" -i "$TW_TMP/$user.key" -p "$TW_PORT" "$user@127.0.0.1" "$@") &
}

# tw_lssh USER CMD -- the libssh client.
tw_lssh() {
	"$TW_BUILD/tests/ssh_client" 127.0.0.1 "$TW_PORT" "$1" "$TW_TMP/$1.key" "$2"
}

# Copies of our test origin that exist right now.
tw_copies() {
	if [ "$TW_BACKEND" = lxd ]; then
		lxc list --format csv -c n 2>/dev/null | grep -c "^$TW_ORIGIN-" || true
		return
	fi
	ls /var/lib/throwaway/containers 2>/dev/null | grep -c "^$TW_ORIGIN-" || true
}

# tw_lxc_only WHAT: a case the lxd pass leaves to the local driver's, said
# in the log (returns 1 on the lxd pass, for "tw_lxc_only … || …").
tw_lxc_only() {
	[ "$TW_BACKEND" = lxd ] || return 0
	echo "# lxc only, not on the lxd pass: $*"
	return 1
}

# wait_for SECONDS COMMAND...: poll until the command succeeds.
wait_for() {
	local deadline=$(($(date +%s%N) / 1000000 + $1 * 1000))
	shift
	while ! "$@"; do
		[ "$(($(date +%s%N) / 1000000))" -ge "$deadline" ] && return 1
		sleep 0.05
	done
}

no_copies() { [ "$(tw_copies)" = 0 ]; }

# tw_stop PID...: end background clients (SIGTERM) and reap them. OpenSSH
# 9.2's client misses a SIGTERM that lands while it is busy, between its
# look at its quit flag and its poll(): it then sleeps until its next timer,
# 300 s on (seen in test_attacks_forward, 2 runs in 7, a client killed just
# as its forwarding was refused), and its session stays open. So one still
# running 3 s later gets SIGKILL.
tw_running() { local s; s=$(ps -o stat= -p "$1" 2>/dev/null) && [[ $s != Z* ]]; }
tw_ended() { ! tw_running "$1"; }
tw_stop() {
	local p
	kill "$@" 2>/dev/null
	for p in "$@"; do
		wait_for 3 tw_ended "$p" || {
			echo "# client $p outlived its SIGTERM by 3 s: SIGKILL" >&2
			kill -KILL "$p" 2>/dev/null
		}
		wait "$p" 2>/dev/null
	done
	return 0
}

# What a session could leave behind, for this test's origin and users.
tw_residue() {
	local out="" u
	[ "$(tw_copies)" = 0 ] || out+="copies "
	grep -q -e "$TW_ORIGIN-" /proc/mounts && out+="mounts "
	ls -a /run/lxc/lock/var/lib/throwaway/containers 2>/dev/null | grep -q "^\.$TW_ORIGIN-" && out+="locks "
	# <hierarchy>/throwaway/copies/u<uid>/lxc.payload.<name>, and a user's parent
	find /sys/fs/cgroup -maxdepth 5 -name "*$TW_ORIGIN-*" 2>/dev/null | grep -q . && out+="cgroups "
	for u in "${TW_UIDS[@]}"; do
		for d in /sys/fs/cgroup/throwaway/copies/u"$u" /sys/fs/cgroup/*/throwaway/copies/u"$u"; do
			[ -e "$d" ] && { out+="parent-cgroups "; break 2; }
		done
	done
	for u in "${TW_USERS[@]}"; do
		grep -lqs "^user=$u\$" /run/throwaway/ledger/* && out+="ledger "
	done
	pgrep -f "lxc monitor.*$TW_ORIGIN-" >/dev/null && out+="monitors "
	[ -n "$out" ] && echo "$out"
	return 0
}

# What is running of ours, for a failure's diagnosis.
tw_dump() {
	ps -eo pid,ppid,user,stat,args --forest | grep -E 'sshd|throwaway|lxc|ssh |sleep' |
		grep -v -e grep -e ' Z ' | cut -c1-160 | sed 's/^/#   /'
	tail -n 6 "$TW_TMP/sshd.log" 2>/dev/null | sed 's/^/#   sshd: /'
}

no_residue() { [ -z "$(tw_residue)" ]; }

check_clean() {
	local r
	wait_for 5 no_copies
	# a user's parent cgroup goes once what the copy charged is released,
	# some seconds after the copy when its keeper was killed
	wait_for 10 no_residue
	r=$(tw_residue)
	if [ -z "$r" ]; then ok "${1:-nothing left behind}"; else
		not_ok "${1:-nothing left behind}"
		echo "#   left: $r"
		tw_dump
	fi
}

# tw_disk [SIZE]: the copies' capped disk (throwawayctl setup-disk, 256M
# here), which storage = dir needs. What this test made, tw_cleanup takes
# down: the mount, and the image when there was none.
TW_DISK_MOUNTED="" TW_DISK_IMAGE=""
tw_disk() {
	mountpoint -q /var/lib/throwaway || TW_DISK_MOUNTED=1
	[ -e /var/lib/throwaway.img ] || TW_DISK_IMAGE=1
	/usr/local/sbin/throwawayctl setup-disk "${1:-256M}" >"$TW_TMP/disk.log" 2>&1 || {
		cat "$TW_TMP/disk.log"
		return 1
	}
}

tw_disk_down() {
	if [ -n "$TW_DISK_MOUNTED" ] && mountpoint -q /var/lib/throwaway; then
		umount /var/lib/throwaway || return 1
	fi
	[ -z "$TW_DISK_IMAGE" ] || rm -f /var/lib/throwaway.img
	TW_DISK_MOUNTED="" TW_DISK_IMAGE=""
}

tw_cleanup() {
	local u g
	[ -s "$TW_TMP/sshd.pid" ] && kill "$(cat "$TW_TMP/sshd.pid")" 2>/dev/null
	# Sessions still open end with their sshd; give their copies a moment.
	wait_for 10 no_copies
	[ "$TW_BACKEND" = lxd ] && tw_lxd_stop
	for c in $(ls /var/lib/throwaway/containers 2>/dev/null | grep "^$TW_ORIGIN-"); do
		lxc-stop -k -P /var/lib/throwaway/containers -n "$c" >/dev/null 2>&1
		lxc-destroy -P /var/lib/throwaway/containers -n "$c" >/dev/null 2>&1
	done
	rm -f "/etc/pam.d/$TW_SERVICE"
	for u in "${TW_USERS[@]}"; do
		pkill -KILL -u "$u" 2>/dev/null
		userdel -r "$u" >/dev/null 2>&1
		# The host's own PAM stack (pam_cgfs, for su) may have made these.
		for d in /sys/fs/cgroup/*/user/"$u"; do rmdir "$d"/* "$d" 2>/dev/null; done
	done
	for g in "${TW_GROUPS[@]}"; do groupdel "$g" 2>/dev/null; done
	tw_disk_down
	lxc-destroy -n "$TW_ORIGIN" >/dev/null 2>&1
	rm -f "/run/lxc/lock/var/lib/lxc/.$TW_ORIGIN"
	rm -rf "$TW_TMP"
}

tw_finish() {
	tw_cleanup
	local r
	r=$(tw_residue)
	lxc-info -n "$TW_ORIGIN" >/dev/null 2>&1 && r+="origin "
	if [ -z "$r" ]; then ok "suite cleanup leaves nothing"; else
		not_ok "suite cleanup leaves nothing"
		echo "#   left: $r"
	fi
	echo "# $TW_PASS passed, $TW_FAIL failed"
	[ "$TW_FAIL" = 0 ]
}

# The session id of USER's (first) live session, from the ledger.
tw_session_of() {
	grep -l "^user=$1\$" /run/throwaway/ledger/* 2>/dev/null | head -1 | xargs -r basename
}

# tw_field SESSION KEY: one field of a session's ledger record.
tw_field() { sed -n "s/^$2=//p" "/run/throwaway/ledger/$1" 2>/dev/null; }

has_session() { [ -n "$(tw_session_of "$1")" ]; }
