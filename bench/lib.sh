# shellcheck shell=bash
# Shared helpers for the benchmarks: a busybox origin, users with keys, a
# loopback sshd with a PAM service of its own, clients, timing and
# statistics, the syslog capture, and cleanup of everything made here.
# Everything is named tw-bench-*; temp files live in /run/tw-bench.*.
#
# Benchmarks print figures; they do not pass or fail. Each script records
# its figures with b_result, which run.sh collects into the summary table.
set -u
export LC_ALL=C # EPOCHREALTIME and awk with a '.' decimal point
[ "$(id -u)" = 0 ] || { echo "bench: run as root (containers, users, an sshd)"; exit 1; }

B_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
B_BUILD=$B_ROOT/build
# shellcheck source=tests/sshd.sh
source "$B_ROOT/tests/sshd.sh"
B_SHELL=/usr/local/bin/throwaway-shell
B_KEEPER=/usr/local/libexec/throwaway/throwaway-keeper
B_ID=$$
B_TMP=$(mktemp -d /run/tw-bench.XXXXXX) # root-owned parents: the config trust holds
chmod 0755 "$B_TMP"
B_ORIGIN=tw-bench-o$B_ID
B_SERVICE=tw-bench-sshd$B_ID
B_CONF=$B_TMP/throwaway.conf
B_COPIES=/var/lib/throwaway/containers
B_OUT=${BENCH_OUT:-} # where b_result appends "key<TAB>value" for run.sh
B_USERS=()
B_PORT=""
B_LOGSINK_PID=""
B_DEVLOG_OURS=0
B_LOG=""
B_LOG_SOCK=""
B_CLEANED=0

# A file descriptor that never becomes readable: `read -t` on it sleeps
# without forking (sleep(1) would cost a fork per poll).
exec {B_SLEEPFD}<> <(:)

b_msleep() { read -r -t "$1" -u "$B_SLEEPFD" _ || :; }

# b_now: microseconds since the epoch in B_NOW, without a fork.
b_now() { B_NOW=${EPOCHREALTIME/./}; }

say() { printf '%s\n' "$*"; }
b_title() { printf '\n== %s\n' "$*"; }

# b_result KEY VALUE: a figure for run.sh's summary (the scripts print
# their figures for people themselves; BENCH_VERBOSE=1 shows these too).
b_result() {
	[ "${BENCH_VERBOSE:-0}" = 1 ] && printf '   %-34s %s\n' "$1" "$2"
	[ -n "$B_OUT" ] && printf '%s\t%s\n' "$1" "$2" >>"$B_OUT"
	return 0
}

# b_stats FILE: "n median p95 p99 min max mean" in ms, from microsecond
# values one a line (nearest-rank percentiles).
b_stats() {
	sort -n "$1" | awk '
		{ v[NR] = $1; s += $1 }
		function pct(p,  i) { i = int(p * NR / 100); if (i < p * NR / 100) i++; if (i < 1) i = 1; return v[i] / 1000 }
		END {
			if (NR == 0) { print "0 - - - - - -"; exit }
			med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%d %.1f %.1f %.1f %.1f %.1f %.1f\n", NR, med / 1000, pct(95), pct(99), v[1] / 1000, v[NR] / 1000, s / NR / 1000
		}'
}

# b_ratio A B: A/B with two decimals.
b_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "-"; else printf "%.2f\n", a / b }'; }

# b_need COMMAND PACKAGE: install the package with apt-get when the command is missing.
b_need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	say "   installing $2 (apt-get)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$2" >"$B_TMP/apt.log" 2>&1 ||
		{ apt-get update >>"$B_TMP/apt.log" 2>&1 &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$2" >>"$B_TMP/apt.log" 2>&1; } ||
		{ tail -5 "$B_TMP/apt.log"; return 1; }
}

b_require_install() {
	[ -x "$B_KEEPER" ] && [ -x "$B_SHELL" ] && return 0
	say "   throwaway is not installed: make install"
	make -s -C "$B_ROOT" install >/dev/null || return 1
}

b_origin_create() {
	lxc-create -t busybox -n "$B_ORIGIN" >"$B_TMP/lxc-create.log" 2>&1 || {
		cat "$B_TMP/lxc-create.log"
		return 1
	}
	# No network (the benchmarks make no bridge).
	sed -i -e 's/^lxc.net.0.type = .*/lxc.net.0.type = empty/' \
		-e '/^lxc.net.0.link/d' -e '/^lxc.net.0.flags/d' "/var/lib/lxc/$B_ORIGIN/config"
}

# b_config [extra lines...]: the benchmark config for our origin.
b_config() {
	{
		echo "[global]"
		echo "origin = $B_ORIGIN"
		for l in "$@"; do echo "$l"; done
	} >"$B_CONF.new"
	chmod 0644 "$B_CONF.new"
	mv -f "$B_CONF.new" "$B_CONF"
}

# b_user NAME [SHELL]: a user with an ed25519 key the benchmark logs in with.
b_user() {
	local name=$1 shell=${2:-$B_SHELL} home
	useradd -m -s "$shell" "$name" || return 1
	B_USERS+=("$name")
	home=$(getent passwd "$name" | cut -d: -f6)
	ssh-keygen -q -t ed25519 -N '' -C "$name@bench" -f "$B_TMP/$name.key" || return 1
	install -d -m 0700 -o "$name" -g "$name" "$home/.ssh"
	install -m 0600 -o "$name" -g "$name" "$B_TMP/$name.key.pub" "$home/.ssh/authorized_keys"
}

b_pam_lines() {
	sshd_pam_lines "throwaway benchmark service (removed by the benchmark)" "$B_CONF" "${1:-}"
}

# b_sshd_start [PAM ARGS]: a loopback sshd whose PAM service is $B_SERVICE;
# with B_SSHD_LOGGED=1 its sessions log to B_LOG (see b_logged).
b_sshd_start() {
	local runner=()
	b_pam_lines "${1:-}" >"/etc/pam.d/$B_SERVICE"
	B_PORT=$(sshd_free_port) || return 1
	[ "${B_SSHD_LOGGED:-0}" = 1 ] && runner=(b_logged)
	sshd_start "$B_TMP" "$B_SERVICE" "$B_PORT" 'tw-bench-*' ERROR .ssh/authorized_keys \
		"${runner[@]}" && return 0
	say "   sshd did not start"
	return 1
}

b_ssh_opts=(-o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
	-o LogLevel=ERROR -o ConnectTimeout=30 -o ControlMaster=no -o ControlPath=none)
# The client. The benchmark's clients run on the machine under test, so
# what they cost competes with the server. Debian 12's OpenSSH client
# defaults to the post-quantum key exchange sntrup761x25519 and tries
# GSSAPI: measured here, ~100-150 ms of CPU per login in the client alone
# (the server side of a plain login is ~30 ms). BENCH_CLIENT=light (the
# default) uses curve25519-sha256 and no GSSAPI (~15 ms); BENCH_CLIENT=default
# uses the client's own defaults.
B_CLIENT=${BENCH_CLIENT:-light}
b_light_opts=(-o GSSAPIAuthentication=no -o KexAlgorithms=curve25519-sha256)

# b_client_opts: the options of the client kind in B_CLIENT.
b_client_opts() {
	B_OPTS=("${b_ssh_opts[@]}")
	[ "$B_CLIENT" = light ] && B_OPTS+=("${b_light_opts[@]}")
	return 0
}

# b_ssh USER [ssh args...]: OpenSSH's client as root with USER's key.
b_ssh() {
	local user=$1 B_OPTS
	shift
	b_client_opts
	ssh "${B_OPTS[@]}" -i "$B_TMP/$user.key" -p "$B_PORT" "$user@127.0.0.1" "$@"
}

# b_timed OUT COMMAND...: run it, stdin /dev/null, its output to OUT;
# B_US = its wall time in microseconds, B_RC its status, B_END when it ended.
b_timed() {
	local out=$1 t0
	shift
	b_now
	t0=$B_NOW
	"$@" </dev/null >"$out" 2>&1
	B_RC=$?
	b_now
	B_END=$B_NOW
	B_US=$((B_NOW - t0))
}

# b_timed_ssh USER CMD: one login, its output in ssh.out; B_US, B_RC, B_END as b_timed.
b_timed_ssh() { b_timed "$B_TMP/ssh.out" b_ssh "$1" "$2"; }

# Copies of our origin that exist right now.
b_copies() {
	local n=0 f
	for f in "$B_COPIES/$B_ORIGIN"-*; do [ -e "$f" ] && n=$((n + 1)); done
	echo "$n"
}

# b_wait_copies_gone SECONDS: poll (1 ms) until no copy of our origin is left.
# b_wait_pool_ready SECONDS N: no session left, and N pooled copies ready.
b_wait_pool_ready() {
	local deadline busy pooled
	b_now
	deadline=$((B_NOW + $1 * 1000000))
	while :; do
		busy=$(grep -L -e '^state=pooled$' /run/throwaway/ledger/* 2>/dev/null | wc -l)
		pooled=$(grep -l '^state=pooled$' /run/throwaway/ledger/* 2>/dev/null | wc -l)
		[ "$busy" = 0 ] && [ "$pooled" -ge "$2" ] && { b_now; return 0; }
		b_now
		[ "$B_NOW" -ge "$deadline" ] && return 1
		b_msleep 0.005
	done
}

b_wait_copies_gone() {
	local deadline f any
	b_now
	deadline=$((B_NOW + $1 * 1000000))
	while :; do
		any=0
		for f in "$B_COPIES/$B_ORIGIN"-*; do [ -e "$f" ] && { any=1; break; }; done
		[ "$any" = 0 ] && { b_now; return 0; }
		b_now
		[ "$B_NOW" -ge "$deadline" ] && return 1
		b_msleep 0.001
	done
}

# wait_for SECONDS COMMAND...: poll until the command succeeds.
b_wait_for() {
	local deadline
	b_now
	deadline=$((B_NOW + $1 * 1000000))
	shift
	while ! "$@"; do
		b_now
		[ "$B_NOW" -ge "$deadline" ] && return 1
		b_msleep 0.05
	done
}

# ---- syslog capture (the keeper's debug step timings) ----------------------
# The keeper and hook log to /dev/log. To read what our own sessions log
# without touching the host's /dev/log (another program may serve it), run
# the program under test with b_logged: in a private mount namespace where
# /dev/log is bind-mounted to our own tests/logsink socket. Only when the
# host has no /dev/log at all do we serve /dev/log itself, and remove it at
# the end. B_LOG is the file the messages go to ("" when none).
b_log_start() {
	[ -x "$B_BUILD/tests/logsink" ] || make -s -C "$B_ROOT" build/tests/logsink >/dev/null 2>&1 ||
		{ say "   no tests/logsink: no log"; return 1; }
	B_LOG=$B_TMP/syslog
	: >"$B_LOG"
	if [ -e /dev/log ]; then
		B_LOG_SOCK=$B_TMP/log.sock
	else
		B_LOG_SOCK=/dev/log
		B_DEVLOG_OURS=1
	fi
	"$B_BUILD/tests/logsink" "$B_LOG_SOCK" "$B_LOG" &
	B_LOGSINK_PID=$!
	# An executable form of b_logged, for perf and strace to run.
	cat >"$B_TMP/logged" <<SH
#!/bin/sh
[ "$B_DEVLOG_OURS" = 1 ] && exec "\$@"
exec unshare -m --propagation private -- /bin/sh -c 'mount --bind "\$0" /dev/log && exec "\$@"' "$B_LOG_SOCK" "\$@"
SH
	chmod 0755 "$B_TMP/logged"
	for _ in $(seq 100); do [ -S "$B_LOG_SOCK" ] && return 0; b_msleep 0.02; done
	say "   logsink did not start"
	return 1
}

# b_logged COMMAND...: run it so that what it (and its children) send to
# /dev/log reaches B_LOG.
b_logged() { "$B_TMP/logged" "$@"; }

# b_log_lines: what the log received.
b_log_lines() {
	[ -n "$B_LOG" ] && [ -f "$B_LOG" ] && tr -s '\n' <"$B_LOG"
}

# b_log_steps: the keeper's step timings in the log (PAM argument `debug`:
# event=debug step=... ms=...; event=ready ms=... as the step "ready"), one
# line a step in the order it logs them: "STEP MEDIAN P95" (ms).
b_log_steps() {
	local step
	b_log_lines | grep -a 'event=debug' | sed -n 's/.* step=\([a-z_]*\) ms=\([0-9]*\).*/\1 \2/p' >"$B_TMP/steps"
	b_log_lines | grep -a 'event=ready' | sed -n 's/.* ms=\([0-9]*\).*/ready \1/p' >>"$B_TMP/steps"
	for step in $(awk '!seen[$1]++ { print $1 }' "$B_TMP/steps"); do
		awk -v s="$step" '$1 == s { print $2 * 1000 }' "$B_TMP/steps" >"$B_TMP/step.$step"
		echo "$step $(b_stats "$B_TMP/step.$step" | cut -d' ' -f2-3)"
	done
}

b_log_stop() {
	if [ -n "$B_LOGSINK_PID" ]; then
		kill "$B_LOGSINK_PID" 2>/dev/null
		wait "$B_LOGSINK_PID" 2>/dev/null
		B_LOGSINK_PID=""
	fi
	[ "$B_DEVLOG_OURS" = 1 ] && rm -f /dev/log
	B_DEVLOG_OURS=0
}

# ---- processes of our sessions ---------------------------------------------
# b_pss PID...: the sum of their PSS in KiB (processes gone meanwhile count 0).
b_pss() {
	local f=() p
	for p in "$@"; do f+=("/proc/$p/smaps_rollup"); done
	[ ${#f[@]} = 0 ] && { echo 0; return; }
	awk '/^Pss:/ { s += $2 } END { print s + 0 }' "${f[@]}" 2>/dev/null
}

# b_fds PID...: how many fds they hold open, together.
b_fds() {
	local n=0 p c
	for p in "$@"; do
		c=$(find "/proc/$p/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
		n=$((n + c))
	done
	echo "$n"
}

# ---- cleanup ---------------------------------------------------------------
b_cleanup() {
	[ "$B_CLEANED" = 1 ] && return 0
	B_CLEANED=1
	local u c d
	# Background clients of ours first, then the sshd they talk to.
	local sshd
	sshd=$(cat "$B_TMP/sshd.pid" 2>/dev/null)
	[ -n "$sshd" ] && kill "$sshd" 2>/dev/null
	pkill -TERM -f "$B_TMP/" 2>/dev/null
	throwawayctl pool drain >/dev/null 2>&1 # a pool of ours, if the config had one
	# Sessions still open end with their sshd; give their copies a moment.
	b_wait_copies_gone 30 || say "   cleanup: copies still there after 30 s, destroying them"
	for c in $(ls "$B_COPIES" 2>/dev/null | grep "^$B_ORIGIN-"); do
		lxc-stop -k -P "$B_COPIES" -n "$c" >/dev/null 2>&1
		lxc-destroy -P "$B_COPIES" -n "$c" >/dev/null 2>&1
		rm -f "/run/lxc/lock/$B_COPIES/.$c"
	done
	# Stock copies (cycle benchmark), named tw-bench-k<id>-*.
	for c in $(lxc-ls -1 2>/dev/null | grep "^tw-bench-k$B_ID-"); do
		lxc-stop -k -n "$c" >/dev/null 2>&1
		lxc-destroy -n "$c" >/dev/null 2>&1
	done
	rm -f /run/lxc/lock/var/lib/lxc/.tw-bench-k"$B_ID"-*
	rm -f "/etc/pam.d/$B_SERVICE"
	for u in "${B_USERS[@]}"; do
		pkill -KILL -u "$u" 2>/dev/null
		# SIGKILL takes a moment; zombies nobody reaps would keep it "in use".
		for _ in $(seq 20); do userdel -r "$u" >/dev/null 2>&1 && break; b_msleep 0.1; done
		getent passwd "$u" >/dev/null && userdel -r -f "$u" >/dev/null 2>&1
		for d in /sys/fs/cgroup/*/user/"$u"; do [ -d "$d" ] && rmdir "$d"/* "$d" 2>/dev/null; done
	done
	lxc-destroy -n "$B_ORIGIN" >/dev/null 2>&1
	rm -f "/run/lxc/lock/var/lib/lxc/.$B_ORIGIN"
	rm -f /run/throwaway/log/"$B_ORIGIN"-*.log # liblxc's logs of the debug argument (profile)
	b_log_stop
	exec {B_SLEEPFD}<&-
	rm -rf "$B_TMP"
}

# What this benchmark could have left behind; empty when nothing.
b_residue() {
	local out="" u
	ls "$B_COPIES" 2>/dev/null | grep -q "^$B_ORIGIN-" && out+="copies "
	lxc-ls -1 2>/dev/null | grep -q -e "^$B_ORIGIN\$" -e "^tw-bench-k$B_ID-" && out+="containers "
	grep -q -e "$B_ORIGIN" -e "tw-bench-k$B_ID-" /proc/mounts && out+="mounts "
	ls -a /run/lxc/lock/var/lib/throwaway/containers /run/lxc/lock/var/lib/lxc 2>/dev/null |
		grep -q -e "^\.$B_ORIGIN" -e "^\.tw-bench-k$B_ID-" && out+="locks "
	for u in "${B_USERS[@]}"; do getent passwd "$u" >/dev/null && out+="user:$u "; done
	[ -e "/etc/pam.d/$B_SERVICE" ] && out+="pam-service "
	[ -e "$B_TMP" ] && out+="tmp "
	pgrep -f "lxc monitor.*$B_ORIGIN-" >/dev/null && out+="monitors "
	compgen -G "/run/throwaway/log/$B_ORIGIN-*.log" >/dev/null && out+="debug-logs "
	echo "$out"
}

b_finish() {
	b_cleanup
	local r
	r=$(b_residue)
	if [ -n "$r" ]; then say "   WARNING: left behind: $r"; fi
}

trap 'b_finish' EXIT
trap 'exit 130' INT TERM
