#!/bin/bash
# Where the time of a login goes. Not a benchmark with a target: it feeds
# docs/performance.md.
#  1. the keeper's own step timings (PAM argument `debug`: event=debug
#     step=... ms=...), over N open/enter/close cycles through pam_harness;
#  2. a timeline of one cycle from the kernel's scheduler tracepoints
#     (perf: fork, exec, exit of every process of the cycle, keeper, hook,
#     lxc monitor and the copy's processes included), when perf works;
#  3. CPU time against wall time: one cycle (perf stat, the whole process
#     tree), and the server side of N ssh logins, sandboxed and plain
#     (perf stat on the sshd, which counts every descendant);
#  4. the system calls of one cycle (strace -c -f).
#
#   BENCH_PROFILE_N   cycles / logins for 1 and 3 (default 10)
# shellcheck source=bench/lib.sh disable=SC2154
source "$(dirname "$0")/lib.sh"
N=${BENCH_PROFILE_N:-10}
S=tw-bench-s$B_ID
P=tw-bench-p$B_ID
HARNESS=$B_BUILD/tests/pam_harness
CONFDIR=$B_TMP/pam.d

b_title "profile: where the time of a login goes"
[ -x "$HARNESS" ] || make -s -C "$B_ROOT" build/tests/pam_harness >/dev/null || { say "   cannot build pam_harness"; exit 1; }
b_need strace strace || say "   no strace"
{ b_require_install && b_origin_create && b_user "$S" && b_user "$P" /bin/sh && b_config && b_log_start; } ||
	{ say "   setup failed"; exit 1; }
mkdir -p "$CONFDIR"
b_pam_lines debug >"$CONFDIR/$B_SERVICE"
cycle() { "$HARNESS" "$CONFDIR" "$B_SERVICE" "$S" -- "$B_SHELL" -c true; }
PERF=0
perf stat -e task-clock -- true >/dev/null 2>&1 && PERF=1

# ---- 1. the keeper's step timings -----------------------------------------
b_logged "$HARNESS" "$CONFDIR" "$B_SERVICE" "$S" -- "$B_SHELL" -c true >/dev/null 2>&1 # warm up
: >"$B_LOG"
: >"$B_TMP/cycles"
for _ in $(seq "$N"); do
	b_now
	t0=$B_NOW
	b_logged "$HARNESS" "$CONFDIR" "$B_SERVICE" "$S" -- "$B_SHELL" -c true >/dev/null 2>&1
	b_now
	echo $((B_NOW - t0)) >>"$B_TMP/cycles"
done
b_msleep 0.2
say "   1. keeper step timings over $N cycles (PAM 'debug'; medians, ms):"
b_log_steps >"$B_TMP/step.medians"
if [ -s "$B_TMP/step.medians" ]; then
	while read -r step med p95; do
		label=$step
		[ "$step" = ready ] && label="ready (request -> ready, total)"
		say "      $(printf '%-32s %6s   (p95 %s)' "$label" "$med" "$p95")"
		b_result "profile.step.$step" "$med"
	done <"$B_TMP/step.medians"
else
	say "      (no event=debug lines reached the log)"
fi
read -r _ cmed _ < <(b_stats "$B_TMP/cycles")
say "      whole cycle (pam_harness, open + enter + close): $cmed ms"

# ---- 2. a timeline of one cycle -------------------------------------------
if [ "$PERF" = 1 ]; then
	say "   2. one cycle, every fork/exec/exit of its processes (perf sched tracepoints, ms from start):"
	perf record -q -o "$B_TMP/tl.data" -a \
		-e sched:sched_process_fork -e sched:sched_process_exec -e sched:sched_process_exit \
		-- "$HARNESS" "$CONFDIR" "$B_SERVICE" "$S" -- "$B_SHELL" -c true >/dev/null 2>"$B_TMP/perf.err"
	perf script -i "$B_TMP/tl.data" -F comm,pid,time,event,trace 2>/dev/null >"$B_TMP/tl.txt"
	# The cycle's processes: pam_harness and everything that descends from it.
	awk -v harness="$HARNESS" '
		function strip(s) { sub(/:$/, "", s); return s + 0 }
		{
			pid = $2; t = strip($3); ev = $4
			if (ev == "sched:sched_process_exec:" && !root) {
				for (i = 5; i <= NF; i++) if ($i == "filename=" harness) { root = pid; t0 = t; mine[pid] = 1 }
			}
			if (!root || !(pid in mine)) next
			ms = (t - t0) * 1000
			if (ev == "sched:sched_process_fork:") {
				for (i = 5; i <= NF; i++) if ($i ~ /^child_pid=/) { c = substr($i, 11); mine[c] = 1; parent[c] = pid }
				forks[pid]++
			} else if (ev == "sched:sched_process_exec:") {
				for (i = 5; i <= NF; i++) if ($i ~ /^filename=/) f = substr($i, 10)
				printf "      %7.1f  exec %-44s pid %s\n", ms, f, pid
				name[pid] = f
			} else if (ev == "sched:sched_process_exit:") {
				n = name[pid] != "" ? name[pid] : "(fork of " $1 ")"
				if (name[pid] != "" || $1 ~ /^(throwaway|lxc|init)/)
					printf "      %7.1f  exit %-44s pid %s\n", ms, n, pid
				if (pid == root) exit
			}
		}' "$B_TMP/tl.txt" | awk '!/exit \(fork of throwaway-keepe\)/ || ++k <= 12' >"$B_TMP/timeline"
	cat "$B_TMP/timeline"
else
	say "   2. (perf does not work here: no timeline)"
fi

# ---- 3. CPU against wall time ---------------------------------------------
if [ "$PERF" = 1 ]; then
	say "   3. CPU time (task-clock, every process involved) against wall time:"
	perf stat -x, -e task-clock -o "$B_TMP/stat.cycle" -- \
		"$HARNESS" "$CONFDIR" "$B_SERVICE" "$S" -- "$B_SHELL" -c true >/dev/null 2>&1
	cpu=$(awk -F, '/task-clock/ { printf "%.1f", $1 }' "$B_TMP/stat.cycle")
	say "      one cycle: $cpu ms of CPU"
	b_result profile.cycle_cpu_ms "$cpu"
	b_config "max_sessions_per_user = 128"
	b_sshd_start || { say "   sshd did not start"; exit 1; }
	sshd_pid=$(cat "$B_TMP/sshd.pid")
	for u in "$S" "$P"; do
		b_ssh "$u" true </dev/null >/dev/null 2>&1
		b_wait_copies_gone 10
		: >"$B_TMP/lat.$u"
		perf stat -x, -e task-clock -p "$sshd_pid" -o "$B_TMP/stat.$u" &
		ps_pid=$!
		b_msleep 0.3
		: >"$B_TMP/client.$u"
		for _ in $(seq "$N"); do
			b_client_opts
			perf stat -x, -e task-clock -o "$B_TMP/c1" -- \
				ssh "${B_OPTS[@]}" -i "$B_TMP/$u.key" -p "$B_PORT" "$u@127.0.0.1" true </dev/null >/dev/null 2>&1
			awk -F, '/task-clock/ { print $1 }' "$B_TMP/c1" >>"$B_TMP/client.$u"
			b_wait_copies_gone 10
		done
		b_msleep 0.3
		kill -INT "$ps_pid"
		wait "$ps_pid" 2>/dev/null
		srv=$(awk -F, -v n="$N" '/task-clock/ { printf "%.1f", $1 / n }' "$B_TMP/stat.$u")
		cli=$(awk -v n="$N" '{ s += $1 } END { printf "%.1f", s / n }' "$B_TMP/client.$u")
		tag=sandboxed
		[ "$u" = "$P" ] && tag=plain
		say "      ssh login, $tag: server side $srv ms CPU, client $cli ms CPU (mean of $N)"
		b_result "profile.login_cpu.$tag" "server $srv ms, client $cli ms"
		eval "SRV_$tag=$srv CLI_$tag=$cli"
	done
	b_result profile.login_cpu.ratio "$(awk -v a="$SRV_sandboxed" -v b="$SRV_plain" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')"
	total_s=$(awk -v a="$SRV_sandboxed" -v b="$CLI_sandboxed" 'BEGIN { printf "%.0f", a + b }')
	total_p=$(awk -v a="$SRV_plain" -v b="$CLI_plain" 'BEGIN { printf "%.0f", a + b }')
	cores=$(nproc)
	say "      => 100 simultaneous logins need at least $((100 * total_s / cores)) ms sandboxed," \
		"$((100 * total_p / cores)) ms plain, on $cores cores (CPU bound)"
	b_result profile.floor100_ms "sandboxed $((100 * total_s / cores)), plain $((100 * total_p / cores))"
fi

# ---- 4. system calls of one cycle -----------------------------------------
if command -v strace >/dev/null; then
	say "   4. system calls of one cycle (strace -c -f; top 12 by time; strace slows it down):"
	strace -c -f -o "$B_TMP/strace.txt" -- \
		"$HARNESS" "$CONFDIR" "$B_SERVICE" "$S" -- "$B_SHELL" -c true >/dev/null 2>&1
	awk 'NR <= 2 || /^-/ { next } /total/ { tot = $0; next } { print }' "$B_TMP/strace.txt" |
		sort -k2 -nr | head -12 | awk '{ printf "      %-18s %6s%%  %8s calls  %s errors\n", $NF, $1, $4, ($6 ~ /^[0-9]+$/ ? $5 : "0") }'
	grep total "$B_TMP/strace.txt" | awk '{ printf "      total: %s s in %s calls\n", $2, $4 }'
	for sc in clone clone3 execve mount umount2 openat; do
		n=$(awk -v s="$sc" '$NF == s { print ($5 ~ /^[0-9]+$/ && NF == 6) ? $4 : $4 }' "$B_TMP/strace.txt")
		[ -n "$n" ] && printf '      %-8s %s calls\n' "$sc" "$n"
	done
fi

# ---- 5. where the CPU of N cycles goes, by program --------------------------
if [ "$PERF" = 1 ]; then
	say "   5. CPU of $N cycles by program (perf record -a, 997 Hz; share of every sample, top 14):"
	perf record -q -F 997 -a -o "$B_TMP/cpu.data" -- bash -c \
		"for i in \$(seq $N); do '$HARNESS' '$CONFDIR' '$B_SERVICE' '$S' -- '$B_SHELL' -c true >/dev/null 2>&1; done" \
		2>/dev/null
	perf report -i "$B_TMP/cpu.data" --stdio --sort comm -q 2>/dev/null | awk 'NF >= 2 && $1 ~ /%$/' |
		head -14 | awk '{ printf "      %-8s %s\n", $1, $2 }'
	say "      kernel / user:"
	perf report -i "$B_TMP/cpu.data" --stdio --sort dso -q 2>/dev/null | awk 'NF >= 2 && $1 ~ /%$/' |
		head -6 | awk '{ printf "      %-8s %s\n", $1, $2 }'
	say "      the keeper's (and its forks') top symbols:"
	perf report -i "$B_TMP/cpu.data" --stdio --comm throwaway-keepe --sort dso,sym -q 2>/dev/null |
		awk 'NF >= 3 && $1 ~ /%$/' | head -16 | awk '{ $1 = sprintf("      %-8s", $1); print }'
	[ -n "${BENCH_PERF_KEEP:-}" ] && cp "$B_TMP/cpu.data" "$BENCH_PERF_KEEP"
fi
