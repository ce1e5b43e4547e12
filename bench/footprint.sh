#!/bin/bash
# 4. Footprint: N idle sessions (`ssh host sleep 600` in the background),
# then what each costs the host: PSS (/proc/PID/smaps_rollup) of the
# keeper, the lxc monitor, the copy's processes (its payload cgroup) and
# throwaway-shell, per session; the sshd session processes apart (a plain
# ssh login has them too); open fds and process counts; the host-wide
# MemAvailable drop and its kernel parts (Slab, PageTables, KernelStack,
# Shmem); then the time to tear them all down when every client goes at once.
# For reference, the host-wide drop for as many idle sessions of a plain
# user (/bin/sh) on the same sshd: the difference is what the sandbox adds,
# kernel included.
#
#   BENCH_IDLE_N      sessions (default 50; the issue's figure is 200)
#   BENCH_IDLE_BATCH  logins started at once while building up (default 10)
#   BENCH_IDLE_PLAIN  1: also the plain reference (default), 0: not
# shellcheck source=bench/lib.sh disable=SC2154
source "$(dirname "$0")/lib.sh"
N=${BENCH_IDLE_N:-50}
BATCH=${BENCH_IDLE_BATCH:-10}
PLAIN=${BENCH_IDLE_PLAIN:-1}
S=tw-bench-s$B_ID
P=tw-bench-p$B_ID

b_title "footprint: $N idle sessions ('ssh host sleep 600')"
{ b_require_install && b_origin_create && b_user "$S" && b_user "$P" /bin/sh &&
	b_config "max_sessions = $((N * 2 + 64))" "max_sessions_per_user = $((N + 8))" &&
	b_sshd_start; } || { say "   setup failed"; exit 1; }

meminfo() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
snap_mem() {
	local k
	for k in MemAvailable Slab PageTables KernelStack Shmem Percpu; do
		eval "$1_$k=$(meminfo "$k")"
	done
}

# A user's `sleep 600` commands: inside the copies, or on the host for the plain user.
sleepers() { pgrep -u "$1" -x sleep | wc -l; }

# Clients that have exited already (a failed login ends its client).
gone_clients() {
	local n=0 c
	for c in "${CLIENTS[@]}"; do kill -0 "$c" 2>/dev/null || n=$((n + 1)); done
	echo "$n"
}

# build_up USER: N idle sessions of USER, BATCH at a time; CLIENTS, UP, UP_S, FAILED.
build_up() {
	local user=$1 started=0 k want B_OPTS
	b_client_opts
	CLIENTS=()
	b_now
	local t0=$B_NOW
	while [ "$started" -lt "$N" ]; do
		k=$((N - started < BATCH ? N - started : BATCH))
		for _ in $(seq "$k"); do
			(exec ssh "${B_OPTS[@]}" -i "$B_TMP/$user.key" -p "$B_PORT" "$user@127.0.0.1" \
				sleep 600 </dev/null >>"$B_TMP/clients.out" 2>&1) &
			CLIENTS+=($!)
		done
		started=$((started + k))
		want=$started
		b_wait_for 60 eval '[ $(($(sleepers "$user") + $(gone_clients))) -ge "$want" ]' ||
			{ say "   ! only $(sleepers "$user") of $started sessions came up within 60 s"; break; }
	done
	b_now
	UP_S=$(awk -v d=$((B_NOW - t0)) 'BEGIN { printf "%.1f", d / 1e6 }')
	UP=$(sleepers "$user")
	FAILED=$(gone_clients)
	if [ "$FAILED" != 0 ]; then
		say "   ! $FAILED of $started logins failed:"
		sort "$B_TMP/clients.out" | uniq -c | sort -rn | head -3 | sed 's/^/   !   /'
	fi
	: >"$B_TMP/clients.out"
}

b_ssh "$S" true </dev/null >/dev/null 2>&1 # warm up
b_ssh "$P" true </dev/null >/dev/null 2>&1
b_wait_copies_gone 10
sync
b_msleep 1
snap_mem M0

build_up "$S"
say "   $UP sessions up in $UP_S s ($BATCH logins at a time)"
[ "$UP" -gt 0 ] || { say "   no session came up"; head -5 "$B_TMP/clients.out"; exit 1; }
b_msleep 2 # settle: the copies' init scripts, the gc children
snap_mem M1

# ---- the processes of each class ------------------------------------------
KEEPERS=() MONITORS=() COPY=() SHELLS=() SSHD=() CONTAINERS=()
for rec in /run/throwaway/ledger/*; do
	[ -f "$rec" ] || continue
	grep -qx "user=$S" "$rec" || continue
	KEEPERS+=("$(sed -n 's/^keeper=//p' "$rec")")
	CONTAINERS+=("$(sed -n 's/^container=//p' "$rec")")
done
for c in "${CONTAINERS[@]}"; do
	# The monitor calls itself "[lxc monitor] LXCPATH NAME".
	for p in $(pgrep -f "^\[lxc monitor\] $B_COPIES $c\$"); do MONITORS+=("$p"); done
	# The copy's processes: its payload cgroup (and children), any hierarchy,
	# below its parent (throwaway/copies/<parent>/).
	for p in $(cat /sys/fs/cgroup/*/throwaway/copies/*/lxc.payload."$c"/cgroup.procs \
		/sys/fs/cgroup/*/throwaway/copies/*/lxc.payload."$c"/*/cgroup.procs \
		/sys/fs/cgroup/throwaway/copies/*/lxc.payload."$c"/cgroup.procs \
		/sys/fs/cgroup/throwaway/copies/*/lxc.payload."$c"/*/cgroup.procs 2>/dev/null | sort -un); do
		COPY+=("$p")
	done
done
for p in $(pgrep -u "$S" -x throwaway-shell); do SHELLS+=("$p"); done
# sshd's per-connection processes: "sshd: USER [priv]" (root) and "sshd: USER@notty"
# (sshd names them after its program name, here the PAM service).
for p in $(pgrep -f "^$B_SERVICE: $S"); do SSHD+=("$p"); done

NS=${#KEEPERS[@]}
[ "$NS" -gt 0 ] || { say "   no ledger records for $S"; exit 1; }
per() { awk -v v="$1" -v n="$NS" 'BEGIN { printf "%.2f", v / n / 1024 }'; } # KiB total -> MiB per session
perc() { awk -v v="$1" -v n="$NS" 'BEGIN { printf "%.1f", v / n }'; }

pk=$(b_pss "${KEEPERS[@]}")
pm=$(b_pss "${MONITORS[@]}")
pc=$(b_pss "${COPY[@]}")
ps_=$(b_pss "${SHELLS[@]}")
pd=$(b_pss "${SSHD[@]}")
ours=$((pk + pm + pc + ps_))
fk=$(b_fds "${KEEPERS[@]}")
fm=$(b_fds "${MONITORS[@]}")
fc=$(b_fds "${COPY[@]}")
fs=$(b_fds "${SHELLS[@]}")
fd=$(b_fds "${SSHD[@]}")

say "   per session ($NS sessions in the ledger), PSS MiB / processes / open fds:"
say "     keeper          $(per "$pk")  $(perc ${#KEEPERS[@]})  $(perc "$fk")"
say "     lxc monitor     $(per "$pm")  $(perc ${#MONITORS[@]})  $(perc "$fm")"
say "     copy processes  $(per "$pc")  $(perc ${#COPY[@]})  $(perc "$fc")   (init, its children, the attached sleep)"
say "     throwaway-shell $(per "$ps_")  $(perc ${#SHELLS[@]})  $(perc "$fs")"
say "     = ours          $(per "$ours")  $(perc $((${#KEEPERS[@]} + ${#MONITORS[@]} + ${#COPY[@]} + ${#SHELLS[@]})))  $(perc $((fk + fm + fc + fs)))"
say "     sshd (apart)    $(per "$pd")  $(perc ${#SSHD[@]})  $(perc "$fd")   (a plain ssh login has these too)"
avail=$(awk -v a="$M0_MemAvailable" -v b="$M1_MemAvailable" -v n="$NS" 'BEGIN { printf "%.2f", (a - b) / n / 1024 }')
kern=$(awk -v n="$NS" -v s=$((M1_Slab - M0_Slab)) -v p=$((M1_PageTables - M0_PageTables)) \
	-v k=$((M1_KernelStack - M0_KernelStack)) -v h=$((M1_Shmem - M0_Shmem)) -v c=$((M1_Percpu - M0_Percpu)) \
	'BEGIN { printf "Slab %.2f, PageTables %.2f, KernelStack %.2f, Percpu %.2f, Shmem %.2f", s/n/1024, p/n/1024, k/n/1024, c/n/1024, h/n/1024 }')
say "   host-wide MemAvailable drop per session (everything, sshd and kernel included): $avail MiB"
say "     of which kernel-side, MiB per session: $kern"

b_result idle.sessions "$NS"
b_result idle.failed_logins "$FAILED"
b_result idle.pss_ours_mib "$(per "$ours")"
b_result idle.pss_parts "keeper $(per "$pk"), monitor $(per "$pm"), copy $(per "$pc"), shell $(per "$ps_") MiB"
b_result idle.pss_sshd_mib "$(per "$pd")"
b_result idle.memavailable_drop_mib "$avail"
b_result idle.fds_ours "$(perc $((fk + fm + fc + fs)))"
b_result idle.procs_ours "$(perc $((${#KEEPERS[@]} + ${#MONITORS[@]} + ${#COPY[@]} + ${#SHELLS[@]})))"
b_result idle.startup_s "$UP_S"
b_result idle.kernel_parts "$kern"

# ---- tear them all down: every client goes at once --------------------------
b_now
T0=$B_NOW
kill -TERM "${CLIENTS[@]}" 2>/dev/null
wait "${CLIENTS[@]}" 2>/dev/null
if b_wait_copies_gone 120; then
	down=$(((B_NOW - T0) / 1000))
	b_wait_for 30 eval '! pgrep -f "^\[lxc monitor\] $B_COPIES $B_ORIGIN-" >/dev/null'
	b_now
	mon=$(((B_NOW - T0) / 1000))
	say "   all $NS copies gone $down ms after every client was killed (${mon} ms until the last monitor exited)"
	b_result idle.teardown_ms "$down"
	b_result idle.teardown_per_session_ms "$(awk -v d="$down" -v n="$NS" 'BEGIN { printf "%.1f", d / n }')"
else
	say "   ! copies still there 120 s after the clients were killed: $(b_copies)"
	b_result idle.teardown_ms "not within 120 s"
fi

# ---- the plain reference ----------------------------------------------------
if [ "$PLAIN" = 1 ]; then
	b_msleep 1
	snap_mem P0
	build_up "$P"
	b_msleep 2
	snap_mem P1
	PSSHD=()
	for p in $(pgrep -f "^$B_SERVICE: $P"); do PSSHD+=("$p"); done
	pdrop=$(awk -v a="$P0_MemAvailable" -v b="$P1_MemAvailable" -v n="$UP" 'BEGIN { printf "%.2f", (a - b) / n / 1024 }')
	ppss=$(awk -v v="$(b_pss "${PSSHD[@]}")" -v n="$UP" 'BEGIN { printf "%.2f", v / n / 1024 }')
	added=$(awk -v a="$avail" -v b="$pdrop" 'BEGIN { printf "%.2f", a - b }')
	say "   plain user, $UP idle sessions: MemAvailable drop $pdrop MiB per session (sshd PSS $ppss MiB)"
	say "   => what the sandbox adds host-wide, kernel included: $added MiB per session"
	b_result idle.plain_memavailable_drop_mib "$pdrop"
	b_result idle.added_hostwide_mib "$added"
	kill -TERM "${CLIENTS[@]}" 2>/dev/null
	wait "${CLIENTS[@]}" 2>/dev/null
fi
