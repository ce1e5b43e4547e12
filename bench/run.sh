#!/bin/bash
# make bench: every benchmark once, then one summary table with the issue's
# targets next to the figures, printed and appended (dated) to
# bench/results.md. Benchmarks print figures; they do not fail the build.
# The machine is noisy: each benchmark compares its two sides in the same
# run, interleaved, and the ratios are what to read.
#
#   BENCH_ONLY="login cycle"   run only these (login cycle concurrency footprint teardown profile lxd)
#   BENCH_NO_INSTALL=1         bench what is installed: no build, no `make install` first
#   BENCH_RESULTS=FILE         where the dated table goes (default bench/results.md; "" = nowhere)
#   BENCH_CLIENT=light|default the ssh client the benchmarks log in with (see lib.sh)
#   and each script's own N (see their headers): BENCH_LOGIN_N, BENCH_CYCLE_N,
#   BENCH_CONC_LEVELS, BENCH_IDLE_N, BENCH_TEARDOWN_N, BENCH_PROFILE_N,
#   BENCH_LXD_LOGIN_N, BENCH_LXD_CYCLE_N, BENCH_LXD_STEPS_N.
set -u
export LC_ALL=C
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
ONLY=${BENCH_ONLY:-login cycle concurrency footprint teardown profile lxd}
RESULTS=${BENCH_RESULTS-$ROOT/bench/results.md}
export BENCH_IDLE_N=${BENCH_IDLE_N:-200}

[ "$(id -u)" = 0 ] || { echo "bench: run as root (containers, users, an sshd)"; exit 1; }

# ---- what the benchmarks need ----------------------------------------------
sh tests/deps.sh || { echo "bench: cannot install the build and test dependencies"; exit 1; }
missing=""
for p in gnuplot-nox strace; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "bench: installing$missing"
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >/dev/null 2>&1 ||
		{ apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -q --no-install-recommends $missing >/dev/null; } ||
		echo "bench: could not install$missing (the plot or the profile will be missing)"
fi
if [ "${BENCH_NO_INSTALL:-0}" = 1 ]; then
	for t in build/tests/pam_harness build/tests/logsink; do
		[ -x "$t" ] || make -s "$t" >/dev/null || echo "bench: cannot build $t"
	done
elif ! make -s all build/tests/pam_harness build/tests/logsink >/dev/null; then
	echo "bench: the build failed; benching what is installed"
else
	make -s install >/dev/null || echo "bench: make install failed; benching what is installed"
fi

# ---- run them ----------------------------------------------------------------
OUT=$(mktemp /run/tw-bench-results.XXXXXX)
SUM=$(mktemp /run/tw-bench-summary.XXXXXX)
trap 'rm -f "$OUT" "$SUM"' EXIT
export BENCH_OUT=$OUT
START=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
# What was built, before the results file (which the run appends to) changes.
REV="$(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD -- . ':!bench/results.md' 2>/dev/null ||
	echo ' + uncommitted changes')"
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
T0=$(date +%s)
echo "bench: $(nproc) cores, kernel $(uname -r), load average $LOAD, client ${BENCH_CLIENT:-light}"
for b in $ONLY; do
	[ -f "bench/$b.sh" ] || { echo "bench: no benchmark '$b'"; continue; }
	bash "bench/$b.sh"
done
ELAPSED=$(($(date +%s) - T0))

# ---- the summary -------------------------------------------------------------
get() { awk -F'\t' -v k="$1" '$1 == k { v = $2 } END { print (v == "" ? "-" : v) }' "$OUT"; }
# mark VALUE OP LIMIT: met / not met / "-" when there is no figure.
mark() {
	awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
		if (v == "-" || v == "" || v !~ /^[0-9.]+$/) { print "no figure"; exit }
		ok = (op == "<=") ? (v + 0 <= l + 0) : (op == "<") ? (v + 0 < l + 0) : (v + 0 == l + 0)
		print ok ? "met" : "NOT met"
	}'
}

{
	echo "| figure | result | target | |"
	echo "|---|---|---|---|"
	if [[ " $ONLY " == *" login "* ]]; then
		echo "| login latency, sandboxed / plain, median, same sshd (Debian ssh client defaults) | $(get login.default.ratio) ($(get login.default.sandboxed.median_ms) / $(get login.default.plain.median_ms) ms; p95 $(get login.default.sandboxed.p95_ms) / $(get login.default.plain.p95_ms) ms) | ≤ 1.05 without a pool | $(mark "$(get login.default.ratio)" "<=" 1.05) |"
		echo "| same, light client (curve25519, no GSSAPI) | $(get login.light.ratio) ($(get login.light.sandboxed.median_ms) / $(get login.light.plain.median_ms) ms; +$(get login.light.added_ms) ms) | (information) | |"
		echo "| login latency with boot = minimal (Debian client; ratio to plain) | $(get login.minimal.ratio): $(get login.minimal) | ≤ 1.10 | $(mark "$(get login.minimal.ratio)" "<=" 1.10) |"
		echo "| login latency with a pool | $(get login.pool) | | |"
	fi
	if [[ " $ONLY " == *" cycle "* ]]; then
		echo "| cycle ours / stock, median (open+enter+close vs lxc-copy -e -d, lxc-attach, lxc-stop -k), our defaults: userns = yes, a user namespace the stock copy does not have | $(get cycle.ratio) ($(get cycle.ours.median_ms) / $(get cycle.stock.median_ms) ms) | ≤ 0.80 | $(mark "$(get cycle.ratio)" "<=" 0.80) |"
		echo "| same, like for like: ours with userns = no, a privileged copy as the stock tools' is (still with our seccomp, capability drops and limits) | $(get cycle.privileged.ratio) ($(get cycle.privileged.ours.median_ms) / $(get cycle.privileged.stock.median_ms) ms) | ≤ 0.75 | $(mark "$(get cycle.privileged.ratio)" "<=" 0.75) |"
		echo "| cycle with pool = 2, ours / stock, median (ours adopts a pooled copy; the refill is not timed) | $(get cycle.pool.ratio) ($(get cycle.pool.ours.median_ms) / $(get cycle.pool.stock.median_ms) ms) | < 1.0 | $(mark "$(get cycle.pool.ratio)" "<" 1.0) |"
		echo "| stock cycle with a clean lxc-stop (no -k), until the copy is gone | $(get cycle.stock_clean_stop.median_ms) ms | (information) | |"
	fi
	if [[ " $ONLY " == *" concurrency "* ]]; then
		for n in ${BENCH_CONC_LEVELS:-1 10 50 100}; do
			echo "| $n simultaneous logins | $(get "conc.$n") | | |"
			[ "$(get "conc.$n.plain")" != - ] && echo "| $n simultaneous logins, plain user | $(get "conc.$n.plain") | (reference) | |"
		done
		[ "$(get conc.minimal)" != - ] && echo "| the largest burst again, boot = minimal | $(get conc.minimal) | (information) | |"
		for n in 50 100; do
			ok=$(get "conc.$n.ok")
			r=$(get "conc.$n.p99_ratio")
			if [ "$ok" = - ]; then m="no figure"
			elif [ "$ok" = "$n" ] && [ "$(mark "$r" "<=" 1.5)" = met ]; then m=met
			else m="NOT met"; fi
			echo "| $n simultaneous logins: successes, p99 sandboxed / plain, same sshd, same run | $ok/$n, $r (p99 $(get "conc.$n.p99_ms") ms) | all succeed, ≤ 1.5 | $m |"
		done
		ok=$(get conc.pool.ok)
		n=$(echo ${BENCH_CONC_LEVELS:-1 10 50 100} | awk '{ for (i = 1; i <= NF; i++) if ($i > m) m = $i } END { print m }')
		m=$(mark "$(get conc.pool.p99_ratio)" "<=" 1.2)
		[ "$ok" != - ] && [ "$ok" != "$n" ] && m="NOT met"
		echo "| $n simultaneous logins with pool = $n (filled first): successes, p99 sandboxed / plain | $(get conc.pool), ratio $(get conc.pool.p99_ratio) | all succeed, ≤ 1.2 | $m |"
	fi
	if [[ " $ONLY " == *" footprint "* ]]; then
		echo "| host memory per idle session, PSS of keeper + lxc monitor + copy + shell ($(get idle.sessions) sessions) | $(get idle.pss_ours_mib) MiB ($(get idle.pss_parts)) | ≤ 4 MiB | $(mark "$(get idle.pss_ours_mib)" "<=" 4) |"
		echo "| same, host-wide: MemAvailable drop per sandboxed session minus per plain session (kernel included; noisy) | $(get idle.added_hostwide_mib) MiB (sandboxed $(get idle.memavailable_drop_mib), plain $(get idle.plain_memavailable_drop_mib) MiB; kernel: $(get idle.kernel_parts)) | (≤ 4 MiB) | $(mark "$(get idle.added_hostwide_mib)" "<=" 4) |"
		echo "| sshd per session (PSS, apart: a plain login has it too) | $(get idle.pss_sshd_mib) MiB | | |"
		echo "| per idle session: processes, open fds (ours) | $(get idle.procs_ours), $(get idle.fds_ours) | | |"
		echo "| failed logins while building up $(get idle.sessions) sessions | $(get idle.failed_logins) | 0 | $(mark "$(get idle.failed_logins)" "=" 0) |"
		echo "| tear down all idle sessions at once (every client killed -> every copy gone) | $(get idle.teardown_ms) ms ($(get idle.teardown_per_session_ms) ms per session) | | |"
	fi
	if [[ " $ONLY " == *" teardown "* ]]; then
		echo "| logout (client exit) -> copy gone, median | $(get teardown.median_ms) ms (p95 $(get teardown.p95_ms) ms) | ≤ 100 ms | $(mark "$(get teardown.median_ms)" "<=" 100) |"
	fi
	if [[ " $ONLY " == *" profile "* ]]; then
		steps=$(awk -F'\t' '$1 ~ /^profile.step./ { sub(/^profile.step./, "", $1); printf "%s%s %s", (n++ ? ", " : ""), $1, $2 }' "$OUT")
		echo "| keeper steps, medians in ms (PAM debug) | $steps | | |"
		echo "| CPU per ssh login, server side + client | sandboxed: $(get profile.login_cpu.sandboxed); plain: $(get profile.login_cpu.plain) | | |"
		echo "| server CPU per login, sandboxed / plain | $(get profile.login_cpu.ratio) | ≤ 1.3 | $(mark "$(get profile.login_cpu.ratio)" "<=" 1.3) |"
		echo "| CPU floor for 100 simultaneous logins on $(nproc) cores | $(get profile.floor100_ms) ms | | |"
	fi
	if [[ " $ONLY " == *" lxd "* ]]; then
		echo "| lxd login latency, median (p95): backend = lxd / backend = lxc / plain, same sshd, interleaved | $(get lxd.login.lxd.median_ms) ($(get lxd.login.lxd.p95_ms)) / $(get lxd.login.lxc.median_ms) ($(get lxd.login.lxc.p95_ms)) / $(get lxd.login.plain.median_ms) ($(get lxd.login.plain.p95_ms)) ms | (information) | |"
		echo "| lxd login, ratio of medians: lxd / plain, lxd / lxc | $(get lxd.login.ratio_plain), $(get lxd.login.ratio_lxc) | (information) | |"
		echo "| lxd cycle, driver / stock, median (create, start, ids, exec true, stop and delete vs lxc launch --ephemeral, lxc exec, lxc stop --force until gone) | $(get lxd.cycle.ratio) ($(get lxd.cycle.ours.median_ms) / $(get lxd.cycle.stock.median_ms) ms; stock $(get lxd.cycle.stock.phases)) | (information) | |"
		echo "| lxd login's keeper steps, medians in ms (PAM debug); whole PAM cycle | $(get lxd.steps); $(get lxd.pam_cycle.median_ms) ms, $(get lxd.requests) requests to LXD | | |"
	fi
} >"$SUM"

echo
echo "== summary ($START, ${ELAPSED} s)"
cat "$SUM"

if [ -n "$RESULTS" ]; then
	{
		[ -s "$RESULTS" ] || printf '# Benchmark results\n\nAppended by `make bench` (bench/run.sh), newest last. See docs/performance.md for the method.\n'
		echo
		echo "## $START"
		echo
		echo "$(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)," \
			"kernel $(uname -r), load average at start $LOAD;" \
			"commit $REV;" \
			"ssh client ${BENCH_CLIENT:-light}; N: login ${BENCH_LOGIN_N:-40}, cycle ${BENCH_CYCLE_N:-20}," \
			"idle $BENCH_IDLE_N, teardown ${BENCH_TEARDOWN_N:-20}," \
			"lxd ${BENCH_LXD_LOGIN_N:-20} rounds and ${BENCH_LXD_CYCLE_N:-10} cycles; ${ELAPSED} s."
		echo
		cat "$SUM"
	} >>"$RESULTS"
	echo
	echo "bench: appended to ${RESULTS#"$ROOT"/}"
fi
