#!/bin/bash
# 3. Concurrency: 1, 10, 50, 100 simultaneous `ssh host true` logins of one
# sandboxed user: how many succeed, p50 and p99 latency (each client timed
# from its own start to its exit), and the time from the last logout (the
# last client's exit) until every copy is gone. For reference, the same
# number of simultaneous logins of a plain user (/bin/sh) on the same sshd
# right after each level. Plots the sweep with gnuplot into
# bench/concurrency.png.
#
#   BENCH_CONC_LEVELS  the sweep (default "1 10 50 100")
#   BENCH_CONC_PLAIN   1: also the plain reference (default), 0: not
#   BENCH_CONC_POOL    1: the largest burst again with pool = that many (default), 0: not
#   BENCH_PLOT         where the plot goes (default bench/concurrency.png; "" = none)
# shellcheck source=bench/lib.sh disable=SC2154
source "$(dirname "$0")/lib.sh"
LEVELS=${BENCH_CONC_LEVELS:-1 10 50 100}
PLOT=${BENCH_PLOT-$B_ROOT/bench/concurrency.png}
PLAIN=${BENCH_CONC_PLAIN:-1}
S=tw-bench-s$B_ID
P=tw-bench-p$B_ID
MAX=0
for n in $LEVELS; do [ "$n" -gt "$MAX" ] && MAX=$n; done

b_title "concurrency: $LEVELS simultaneous 'ssh host true' logins of one sandboxed user ($B_CLIENT client)"
[ -z "$PLOT" ] || b_need gnuplot gnuplot-nox || say "   no gnuplot: no plot"
{ b_require_install && b_origin_create && b_user "$S" && b_user "$P" /bin/sh &&
	b_config "max_sessions = $((MAX * 2 + 64))" "max_sessions_per_user = $((MAX + 28))" &&
	b_sshd_start; } || { say "   setup failed"; exit 1; }

b_ssh "$S" true </dev/null >/dev/null 2>&1 # warm up
b_ssh "$P" true </dev/null >/dev/null 2>&1
b_wait_copies_gone 10

# ratio A B: A / B to two places, "-" without a B.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

# one USER TAG I: a client timed from its own start; "status start end" in c.TAG.I.
one() {
	local t0
	b_now
	t0=$B_NOW
	b_ssh "$1" true </dev/null >"$B_TMP/out.$2.$3" 2>&1
	local rc=$?
	b_now
	echo "$rc $t0 $B_NOW" >"$B_TMP/c.$2.$3"
}

# burst USER TAG N: N simultaneous logins; sets OK, LAST (the last exit), and lat.TAG.
burst() {
	local user=$1 tag=$2 n=$3 i pids=() rc t0 t1
	for i in $(seq "$n"); do
		one "$user" "$tag" "$i" &
		pids+=($!)
	done
	wait "${pids[@]}"
	: >"$B_TMP/lat.$tag"
	OK=0
	LAST=0
	for i in $(seq "$n"); do
		read -r rc t0 t1 <"$B_TMP/c.$tag.$i"
		[ "$t1" -gt "$LAST" ] && LAST=$t1
		if [ "$rc" = 0 ]; then
			OK=$((OK + 1))
			echo $((t1 - t0)) >>"$B_TMP/lat.$tag"
		fi
	done
}

: >"$B_TMP/sweep.dat"
say "   $(printf '%-6s %-9s %-9s %-9s %-9s %s' N ok p50_ms p99_ms max_ms 'last-logout->all-gone_ms')"
for n in $LEVELS; do
	burst "$S" "$n" "$n"
	ok=$OK
	last=$LAST
	gone=-
	if b_wait_copies_gone 120; then gone=$(((B_NOW - last) / 1000)); fi
	[ "$gone" != - ] && [ "$gone" -lt 0 ] && gone=0 # gone before we looked
	read -r _ p50 _ p99 _ max _ < <(b_stats "$B_TMP/lat.$n")
	say "   $(printf '%-6s %-9s %-9s %-9s %-9s %s' "$n" "$ok/$n" "$p50" "$p99" "$max" "$gone")"
	if [ "$ok" != "$n" ]; then
		cat "$B_TMP"/out."$n".* | sort | uniq -c | sort -rn | head -3 | sed 's/^/   ! /'
	fi
	pp50=NaN pp99=NaN
	if [ "$PLAIN" = 1 ]; then
		b_msleep 1
		burst "$P" "plain$n" "$n"
		read -r _ pp50 _ pp99 _ pmax _ < <(b_stats "$B_TMP/lat.plain$n")
		say "   $(printf '%-6s %-9s %-9s %-9s %-9s %s' "" "$OK/$n" "$pp50" "$pp99" "$pmax" "(plain user, same sshd)")"
		b_result "conc.$n.plain" "ok $OK/$n, p50 $pp50 ms, p99 $pp99 ms"
		b_result "conc.$n.p99_ratio" "$(ratio "$p99" "$pp99")"
	fi
	echo "$n $ok $p50 $p99 $gone $pp50 $pp99" >>"$B_TMP/sweep.dat"
	b_result "conc.$n" "ok $ok/$n, p50 $p50 ms, p99 $p99 ms, all gone $gone ms after the last logout"
	b_result "conc.$n.ok" "$ok"
	b_result "conc.$n.p99_ms" "$p99"
	b_result "conc.$n.gone_ms" "$gone"
	b_msleep 2 # a quiet moment between levels
done

# The largest burst once more with boot = minimal: the origin's own boot
# (busybox's rcS, syslogd, getty) is a good part of what a copy costs in CPU
# at its start, and a burst is bound by CPU.
if [ "${BENCH_CONC_MINIMAL:-1}" = 1 ]; then
	b_config "max_sessions = $((MAX * 2 + 64))" "max_sessions_per_user = $((MAX + 28))" "boot = minimal"
	b_msleep 2
	burst "$S" "min$MAX" "$MAX"
	b_wait_copies_gone 120
	read -r _ p50 _ p99 _ max _ < <(b_stats "$B_TMP/lat.min$MAX")
	say "   $(printf '%-6s %-9s %-9s %-9s %-9s %s' "$MAX" "$OK/$MAX" "$p50" "$p99" "$max" "(boot = minimal)")"
	b_result "conc.minimal" "ok $OK/$MAX, p50 $p50 ms, p99 $p99 ms"
fi

# The largest burst with pool = that many, the pool filled and waited for
# first (throwawayctl pool fill): each login adopts a started copy, and the
# pool refills behind them, during the burst. Judged against the plain
# user's p99 at the same level, above.
if [ "${BENCH_CONC_POOL:-1}" = 1 ]; then
	b_config "max_sessions = $((MAX * 3 + 64))" "max_sessions_per_user = $((MAX * 2 + 28))" "pool = $MAX"
	throwawayctl pool fill "$B_CONF" >/dev/null 2>&1
	if b_wait_pool_ready 300 "$MAX"; then
		b_msleep 2
		burst "$S" "pool$MAX" "$MAX"
		read -r _ p50 _ p99 _ max _ < <(b_stats "$B_TMP/lat.pool$MAX")
		say "   $(printf '%-6s %-9s %-9s %-9s %-9s %s' "$MAX" "$OK/$MAX" "$p50" "$p99" "$max" "(pool = $MAX, filled first)")"
		b_result conc.pool "ok $OK/$MAX, p50 $p50 ms, p99 $p99 ms"
		b_result conc.pool.ok "$OK"
		b_result conc.pool.p99_ratio "$(ratio "$p99" "$(awk -v n="$MAX" '$1 == n { p = $7 } END { print p }' "$B_TMP/sweep.dat")")"
	else
		say "   ! the pool of $MAX did not fill within 300 s"
	fi
	throwawayctl pool drain >/dev/null 2>&1
	b_wait_copies_gone 120
fi

if [ -n "$PLOT" ] && command -v gnuplot >/dev/null; then
	# "-" (no figure) plots as a gap.
	sed 's/ - / NaN /g; s/ -$/ NaN/; s/ - / NaN /g' "$B_TMP/sweep.dat" >"$B_TMP/sweep.plot"
	ymax=$(awk '{ for (i = 3; i <= 7; i++) if (i != 5 && $i != "NaN" && $i > m) m = $i } END { m = m < 3000 ? 3000 : m; printf "%.1f", m * 1.15 / 1000 }' "$B_TMP/sweep.plot")
	gnuplot <<GP 2>"$B_TMP/gnuplot.err" || { say "   gnuplot failed:"; cat "$B_TMP/gnuplot.err"; }
set terminal pngcairo size 900,600 font "DejaVu Sans,11"
set output "$PLOT"
set title "throwaway: simultaneous 'ssh host true' logins, one sshd ($(nproc) cores, $B_CLIENT ssh client, $(date -u +%Y-%m-%d))"
set xlabel "simultaneous logins"
set ylabel "latency per login, client start to exit (s)"
set y2label "last logout -> every copy gone (ms)"
set logscale x
set xtics ($(echo "$LEVELS" | sed 's/\([0-9][0-9]*\)/"\1" \1/g; s/ "/, "/g'))
set xrange [0.8:$((MAX * 3 / 2))]
set yrange [0:$ymax]
set y2range [0:*]
set ytics nomirror
set y2tics
set grid ytics
set key below horizontal maxrows 2
set datafile missing "NaN"
set arrow from 0.8,3 to $((MAX * 3 / 2)),3 nohead dashtype 2 lw 1.5 lc rgb "red"
set label "target at 100: all succeed, p99 <= 3 s" at 1,3 offset 0,0.7 textcolor rgb "red"
plot "$B_TMP/sweep.plot" using 1:(\$3/1000) with linespoints lw 2 pt 7 lc rgb "#1f77b4" title "p50, sandboxed", \
     "" using 1:(\$4/1000) with linespoints lw 2 pt 5 lc rgb "#d62728" title "p99, sandboxed", \
     "" using 1:(\$6/1000) with linespoints lw 1.5 pt 6 dashtype 2 lc rgb "#1f77b4" title "p50, plain user", \
     "" using 1:(\$7/1000) with linespoints lw 1.5 pt 4 dashtype 2 lc rgb "#d62728" title "p99, plain user", \
     "" using 1:5 axes x1y2 with linespoints lw 1.5 pt 9 dashtype 3 lc rgb "#2ca02c" title "copies gone after last logout (ms, right)", \
     "" using 1:(\$4/1000):(sprintf("%d/%d ok", \$2, \$1)) with labels offset 0,1 textcolor rgb "#d62728" notitle
GP
	[ -s "$PLOT" ] && say "   plot: ${PLOT#"$B_ROOT"/}"
fi
