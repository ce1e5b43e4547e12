#!/bin/bash
# 2. Cycle: our open -> enter -> close against the stock LXC tools, on the
# same origin, interleaved.
#   ours  = one session through the real PAM stack: tests' pam_harness opens
#           it (keeper, clone, start), runs `throwaway-shell -c true` as the
#           user (attach), and closes it (stop, which destroys the copy).
#           Three series: our defaults (userns = yes), userns = no (a
#           privileged copy, as the stock tools' is), and pool = 2.
#   stock = lxc-copy -e -d (ephemeral overlay copy, daemonized start),
#           lxc-attach -- true, lxc-stop -k (which destroys it).
# The stock stop is `lxc-stop -k`, which is what the keeper does (liblxc's
# stop(): SIGKILL to init, then the ephemeral destroy, then it returns).
# A plain `lxc-stop` asks busybox init for a clean shutdown, which takes
# about 2 s, and returns before the copy is destroyed: a few cycles of that
# are measured apart (until the copy's directory is gone).
#
#   BENCH_CYCLE_N        cycles of each (default 20)
#   BENCH_CYCLE_CLEAN_N  stock cycles with a clean lxc-stop (default 2; 0: none)
# shellcheck source=bench/lib.sh disable=SC2154
source "$(dirname "$0")/lib.sh"
N=${BENCH_CYCLE_N:-20}
CLEAN_N=${BENCH_CYCLE_CLEAN_N:-2}
S=tw-bench-s$B_ID
HARNESS=$B_BUILD/tests/pam_harness
CONFDIR=$B_TMP/pam.d

b_title "cycle: $N x ours (pam_harness + throwaway-shell -c true) vs stock (lxc-copy -e -d, lxc-attach, lxc-stop -k)"
[ -x "$HARNESS" ] || make -s -C "$B_ROOT" build/tests/pam_harness >/dev/null || { say "   cannot build pam_harness"; exit 1; }
{ b_require_install && b_origin_create && b_user "$S" && b_config "max_sessions_per_user = 128"; } ||
	{ say "   setup failed"; exit 1; }
mkdir -p "$CONFDIR"
b_pam_lines >"$CONFDIR/$B_SERVICE"

FAILS_OURS=0
FAILS_STOCK=0

ours() {
	local t0
	b_now
	t0=$B_NOW
	"$HARNESS" "$CONFDIR" "$B_SERVICE" "$S" -- "$B_SHELL" -c true >"$B_TMP/ours.out" 2>&1
	local rc=$?
	b_now
	if [ "$rc" != 0 ] || ! grep -q '^open=PAM_SUCCESS' "$B_TMP/ours.out"; then
		FAILS_OURS=$((FAILS_OURS + 1))
		sed 's/^/   ! ours: /' "$B_TMP/ours.out" | head -4
		return
	fi
	echo $((B_NOW - t0)) >>"$B_TMP/cyc.ours"
}

# stock ID [clean]: one stock cycle; per-phase times go to cyc.stock.phases.
stock() {
	local name=tw-bench-k$B_ID-$1 t0 t1 t2 rc=0 kill=-k
	[ "${2:-}" = clean ] && kill=
	b_now
	t0=$B_NOW
	lxc-copy -e -d -N "$name" -n "$B_ORIGIN" >"$B_TMP/stock.out" 2>&1 || rc=1
	b_now
	t1=$B_NOW
	[ "$rc" = 0 ] && { lxc-attach -n "$name" -- true >>"$B_TMP/stock.out" 2>&1 || rc=1; }
	b_now
	t2=$B_NOW
	[ "$rc" = 0 ] && { lxc-stop $kill -n "$name" >>"$B_TMP/stock.out" 2>&1 || rc=1; }
	# A clean stop returns before the ephemeral destroy: the cycle ends when the copy is gone.
	if [ -z "$kill" ]; then
		for _ in $(seq 5000); do [ -e "/var/lib/lxc/$name" ] || break; b_msleep 0.001; done
	fi
	b_now
	# Outside the clock: the stock tools leave their lock file behind, and a
	# copy that survived its stop would be a failure (and must go).
	rm -f "/run/lxc/lock/var/lib/lxc/.$name"
	if [ -e "/var/lib/lxc/$name" ]; then
		rc=1
		echo "the stopped copy $name was not destroyed" >>"$B_TMP/stock.out"
		lxc-stop -k -n "$name" >/dev/null 2>&1
		# lxc-destroy skips stopped ephemeral containers: make it not ephemeral first.
		sed -i '/^lxc.ephemeral/d' "/var/lib/lxc/$name/config" 2>/dev/null
		lxc-destroy -n "$name" >/dev/null 2>&1
	fi
	if [ "$rc" != 0 ]; then
		FAILS_STOCK=$((FAILS_STOCK + 1))
		sed 's/^/   ! stock: /' "$B_TMP/stock.out" | head -4
		return
	fi
	if [ -z "$kill" ]; then
		echo $((B_NOW - t0)) >>"$B_TMP/cyc.clean"
		return
	fi
	echo $((B_NOW - t0)) >>"$B_TMP/cyc.stock"
	echo $((t1 - t0)) >>"$B_TMP/cyc.stock.copy"
	echo $((t2 - t1)) >>"$B_TMP/cyc.stock.attach"
	echo $((B_NOW - t2)) >>"$B_TMP/cyc.stock.stop"
}

# Warm up both paths, then alternate which goes first.
ours
stock w1
for f in ours stock stock.copy stock.attach stock.stop clean; do : >"$B_TMP/cyc.$f"; done
for i in $(seq "$N"); do
	if [ $((i % 2)) = 1 ]; then ours; stock "$i"; else stock "$i"; ours; fi
done
for i in $(seq "$CLEAN_N"); do stock "c$i" clean; done
b_wait_copies_gone 5 || say "   ! a copy of ours outlived its session"

read -r no omed op95 _ omin omax _ < <(b_stats "$B_TMP/cyc.ours")
read -r ns smed sp95 _ smin smax _ < <(b_stats "$B_TMP/cyc.stock")
say "   ours:  n=$no median ${omed} ms p95 ${op95} ms (min $omin, max $omax)"
say "   stock: n=$ns median ${smed} ms p95 ${sp95} ms (min $smin, max $smax)"
say "          lxc-copy -e -d $(b_stats "$B_TMP/cyc.stock.copy" | cut -d' ' -f2) ms," \
	"lxc-attach $(b_stats "$B_TMP/cyc.stock.attach" | cut -d' ' -f2) ms," \
	"lxc-stop -k $(b_stats "$B_TMP/cyc.stock.stop" | cut -d' ' -f2) ms (medians)"
if [ "$CLEAN_N" -gt 0 ]; then
	read -r nc cmed _ < <(b_stats "$B_TMP/cyc.clean")
	say "   stock with a clean lxc-stop (no -k), until the copy is gone: n=$nc median ${cmed} ms"
	b_result cycle.stock_clean_stop.median_ms "$cmed"
fi
b_result cycle.ours.median_ms "$omed"
b_result cycle.stock.median_ms "$smed"
b_result cycle.ratio "$(b_ratio "$omed" "$smed")"
b_result cycle.failures "ours $FAILS_OURS, stock $FAILS_STOCK"

# series TAG WAIT: N cycles of ours (the config as set) and stock, interleaved;
# before each, WAIT (a command, or :).
series() {
	: >"$B_TMP/cyc.ours"
	: >"$B_TMP/cyc.stock"
	for i in $(seq "$N"); do
		$2
		if [ $((i % 2)) = 1 ]; then ours; stock "$1$i"; else stock "$1$i"; ours; fi
	done
}

# report KEY WHAT: the last series' medians, as cycle.KEY.*
report() {
	read -r no omed op95 _ < <(b_stats "$B_TMP/cyc.ours")
	read -r ns smed sp95 _ < <(b_stats "$B_TMP/cyc.stock")
	say "   $2: ours n=$no median ${omed} ms p95 ${op95} ms; stock n=$ns median ${smed} ms p95 ${sp95} ms"
	b_result "cycle.$1.ours.median_ms" "$omed"
	b_result "cycle.$1.stock.median_ms" "$smed"
	b_result "cycle.$1.ratio" "$(b_ratio "$omed" "$smed")"
	b_result "cycle.$1.failures" "ours $FAILS_OURS, stock $FAILS_STOCK"
}

# Like for like: the stock tools' copy is privileged (no user namespace),
# and so is ours with userns = no (which keeps the rest of its hardening:
# seccomp, capability drops, limits, the device list).
b_config "max_sessions_per_user = 128" "userns = no"
series u :
b_wait_copies_gone 5 || say "   ! a copy of ours outlived its session"
report privileged "with userns = no"

# With a pool: ours adopts a started copy; each cycle waits for the refill
# (made in the background, not timed), interleaved with the stock cycle.
POOL=${BENCH_POOL:-2}
pool_ready() { b_wait_pool_ready 20 "$POOL" || say "   ! the pool was not refilled within 20 s"; }
b_config "max_sessions_per_user = 128" "pool = $POOL"
throwawayctl pool fill "$B_CONF" >/dev/null 2>&1
series p pool_ready
# The last refill first, then no pool, then nothing pooled.
b_wait_pool_ready 20 "$POOL"
b_config "max_sessions_per_user = 128"
throwawayctl pool drain >/dev/null 2>&1
b_wait_copies_gone 10 || say "   ! a copy of ours outlived its session"
report pool "with pool = $POOL"
