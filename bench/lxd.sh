#!/bin/bash
# 7. The lxd driver (backend = lxd: an ephemeral LXD instance per login),
# on an LXD of the benchmark's own: tests/lxd.sh's daemon (its state in a
# directory of its own, a one-member cluster, a dir pool, a busybox image),
# stopped and removed at the end.
#  login  `ssh host true` by three users of one sshd and one config, in
#         interleaved rounds whose order rotates: backend = lxd ([user:]
#         section), backend = lxc (the [global] one, a busybox origin made
#         by lxc-create) and a plain user (/bin/sh); each login starts once
#         the previous one's copy is gone.
#  cycle  the driver's open + enter + close (tests/lxd_client run: create
#         from the image, start, the user's passwd and group written, `true`
#         run as the user through the exec websockets, stop and delete),
#         against the stock tools on the same image in the same LXD: `lxc
#         launch --ephemeral`, `lxc exec -- true`, `lxc stop --force`, until
#         LXD no longer has the instance (as the driver's stop waits).
#  steps  where an lxd login's time goes: the keeper's `debug` step
#         timings over a few PAM cycles (pam_harness), and the requests one
#         cycle sends LXD, in order (strace -f).
#
#   BENCH_LXD_LOGIN_N   rounds of the three logins (default 20)
#   BENCH_LXD_CYCLE_N   cycles of each (default 10)
#   BENCH_LXD_STEPS_N   PAM cycles for the step timings (default 5)
# shellcheck source=bench/lib.sh disable=SC2154
source "$(dirname "$0")/lib.sh"
N=${BENCH_LXD_LOGIN_N:-20}
CN=${BENCH_LXD_CYCLE_N:-10}
SN=${BENCH_LXD_STEPS_N:-5}
D=tw-bench-d$B_ID
S=tw-bench-s$B_ID
P=tw-bench-p$B_ID
CLIENT=$B_BUILD/tests/lxd_client
HARNESS=$B_BUILD/tests/pam_harness
CONFDIR=$B_TMP/pam.d

# tests/lxd.sh's daemon, named after this benchmark, its files in B_TMP.
TW_ID=$B_ID
TW_TMP=$B_TMP
wait_for() { b_wait_for "$@"; }
# shellcheck source=tests/lxd.sh
source "$B_ROOT/tests/lxd.sh"

# The daemon first (it deletes whatever instance is left), then the rest.
lxd_finish() {
	tw_lxd_stop
	b_finish
	local r
	r=$(tw_lxd_residue)
	[ -z "$r" ] || say "   WARNING: left behind: $r"
}
trap 'lxd_finish' EXIT

b_title "lxd: $N rounds of 'ssh host true' (backend = lxd, backend = lxc, plain), interleaved, one sshd; $CN cycles, driver vs stock lxc launch/exec/stop"
for t in "$CLIENT" "$HARNESS"; do
	[ -x "$t" ] || make -s -C "$B_ROOT" "${t#"$B_ROOT"/}" >/dev/null || { say "   cannot build $t"; exit 1; }
done
b_now
t0=$B_NOW
# (The client's first-run advice, on stderr, is kept from the figures.)
tw_lxd_start 2>"$B_TMP/lxd-start.err" || {
	sed 's/^/   ! /' "$B_TMP/lxd-start.err" | tail -5
	say "   LXD did not start"
	exit 1
}
b_now
say "   LXD $(lxd --version) up, one-member cluster, image $TW_LXD_IMAGE: $(((B_NOW - t0) / 1000)) ms"

# lxd_lines: the keys that put a login on this LXD.
lxd_lines() {
	printf '%s\n' "backend = lxd" "lxd_socket = $TW_LXD_SOCKET" "origin = $TW_LXD_IMAGE" "start_timeout = 60s"
}
mapfile -t LXD_LINES < <(lxd_lines)
{ b_require_install && b_origin_create && b_user "$D" && b_user "$S" && b_user "$P" /bin/sh &&
	b_config "max_sessions_per_user = 128" "[user:$D]" "${LXD_LINES[@]}" && b_sshd_start; } ||
	{ say "   setup failed"; exit 1; }

lxd_idle() { tw_lxd_no_instances; }
lxc_idle() { b_wait_copies_gone 10; }

# ---- login ---------------------------------------------------------------
# login WHO: one timed login; its latency to lat.WHO, the wait for its copy
# to be gone after (not timed).
FAILS=0
login() {
	local user=$P
	[ "$1" = lxd ] && user=$D
	[ "$1" = lxc ] && user=$S
	b_timed_ssh "$user" true
	if [ "$B_RC" != 0 ]; then
		FAILS=$((FAILS + 1))
		sed "s/^/   ! $1: /" "$B_TMP/ssh.out" | head -3
	else
		echo "$B_US" >>"$B_TMP/lat.$1"
	fi
	case $1 in
	lxd) b_wait_for 30 lxd_idle || say "   ! an lxd instance outlived its login by 30 s" ;;
	lxc) lxc_idle || say "   ! a copy outlived its login by 10 s" ;;
	esac
}

# Warm up: the first logins pay for cold caches (the image's first unpack).
for w in lxd lxc plain; do login "$w"; done
for w in lxd lxc plain; do : >"$B_TMP/lat.$w"; done
FAILS=0
kinds=(lxd lxc plain)
for i in $(seq "$N"); do
	for k in 0 1 2; do
		j=$(((k + i) % 3))
		[ $((i % 2)) = 0 ] && j=$(((2 - k + i) % 3))
		login "${kinds[$j]}"
	done
done
for w in lxd lxc plain; do
	read -r n med p95 _ min max _ < <(b_stats "$B_TMP/lat.$w")
	say "   login, $(printf '%-5s' "$w"): n=$n median ${med} ms p95 ${p95} ms (min $min, max $max)"
	b_result "lxd.login.$w.median_ms" "$med"
	b_result "lxd.login.$w.p95_ms" "$p95"
	eval "MED_$w=$med"
done
say "   ratios (medians): lxd / plain $(b_ratio "$MED_lxd" "$MED_plain"), lxd / lxc $(b_ratio "$MED_lxd" "$MED_lxc"), lxc / plain $(b_ratio "$MED_lxc" "$MED_plain")"
[ "$FAILS" = 0 ] || say "   ! $FAILS logins failed"
b_result lxd.login.ratio_plain "$(b_ratio "$MED_lxd" "$MED_plain")"
b_result lxd.login.ratio_lxc "$(b_ratio "$MED_lxd" "$MED_lxc")"
b_result lxd.login.failures "$FAILS"

# ---- cycle ----------------------------------------------------------------
# The driver's own config: lxd for everyone ([global]).
CONF_LXD=$B_TMP/lxd.conf
printf '[global]\n%s\n' "$(lxd_lines)" >"$CONF_LXD"
chmod 0644 "$CONF_LXD"
D_UID=$(id -u "$D")
D_GID=$(id -g "$D")
D_HOME=$(getent passwd "$D" | cut -d: -f6)
FAILS_OURS=0
FAILS_STOCK=0

# ours ID: the driver's cycle, as one program.
ours() {
	b_timed "$B_TMP/ours.out" "$CLIENT" run "$CONF_LXD" "tw-bench-c$B_ID-$1" 0123456789abcdef \
		"$D" "$D_HOME" "$D_UID" "$D_GID" /bin/true
	if [ "$B_RC" != 0 ]; then
		FAILS_OURS=$((FAILS_OURS + 1))
		sed 's/^/   ! ours: /' "$B_TMP/ours.out" | head -3
		return
	fi
	echo "$B_US" >>"$B_TMP/cyc.ours"
}

# has NAME: LXD still has the instance (one REST call, no client start-up).
has() {
	[ "$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$TW_LXD_SOCKET" \
		"http://lxd/1.0/instances/$1")" = 200 ]
}

# stock ID: the stock tools' cycle; its phases to cyc.stock.*.
stock() {
	local name=tw-bench-k$B_ID-$1 t0 t1 t2 t3 rc=0
	b_now
	t0=$B_NOW
	lxc launch "$TW_LXD_IMAGE" "$name" --ephemeral >"$B_TMP/stock.out" 2>&1 || rc=1
	b_now
	t1=$B_NOW
	[ "$rc" = 0 ] && { lxc exec "$name" -- /bin/true >>"$B_TMP/stock.out" 2>&1 || rc=1; }
	b_now
	t2=$B_NOW
	[ "$rc" = 0 ] && { lxc stop "$name" --force >>"$B_TMP/stock.out" 2>&1 || rc=1; }
	b_now
	t3=$B_NOW
	for _ in $(seq 1000); do has "$name" || break; b_msleep 0.005; done
	b_now
	if has "$name"; then
		rc=1
		echo "the stopped instance $name was not deleted" >>"$B_TMP/stock.out"
		lxc delete --force "$name" >/dev/null 2>&1
	fi
	if [ "$rc" != 0 ]; then
		FAILS_STOCK=$((FAILS_STOCK + 1))
		sed 's/^/   ! stock: /' "$B_TMP/stock.out" | head -3
		return
	fi
	echo $((B_NOW - t0)) >>"$B_TMP/cyc.stock"
	echo $((t1 - t0)) >>"$B_TMP/cyc.stock.launch"
	echo $((t2 - t1)) >>"$B_TMP/cyc.stock.exec"
	echo $((t3 - t2)) >>"$B_TMP/cyc.stock.stop"
	echo $((B_NOW - t3)) >>"$B_TMP/cyc.stock.gone"
}

ours w
stock w
for f in ours stock stock.launch stock.exec stock.stop stock.gone; do : >"$B_TMP/cyc.$f"; done
for i in $(seq "$CN"); do
	if [ $((i % 2)) = 1 ]; then ours "$i"; stock "$i"; else stock "$i"; ours "$i"; fi
done
med() { b_stats "$B_TMP/cyc.$1" | cut -d' ' -f2; }
read -r no omed op95 _ omin omax _ < <(b_stats "$B_TMP/cyc.ours")
read -r ns smed sp95 _ smin smax _ < <(b_stats "$B_TMP/cyc.stock")
say "   cycle, driver: n=$no median ${omed} ms p95 ${op95} ms (min $omin, max $omax)"
say "   cycle, stock:  n=$ns median ${smed} ms p95 ${sp95} ms (min $smin, max $smax)"
say "          lxc launch --ephemeral $(med stock.launch) ms, lxc exec $(med stock.exec) ms," \
	"lxc stop --force $(med stock.stop) ms, then gone $(med stock.gone) ms (medians)"
say "   ratio driver / stock $(b_ratio "$omed" "$smed")"
b_result lxd.cycle.ours.median_ms "$omed"
b_result lxd.cycle.stock.median_ms "$smed"
b_result lxd.cycle.stock.phases "launch $(med stock.launch), exec $(med stock.exec), stop $(med stock.stop), gone $(med stock.gone)"
b_result lxd.cycle.ratio "$(b_ratio "$omed" "$smed")"
b_result lxd.cycle.failures "ours $FAILS_OURS, stock $FAILS_STOCK"

# ---- steps ----------------------------------------------------------------
# PAM cycles as the lxd user with the module's debug argument, their
# keeper's syslog read through the benchmark's own /dev/log.
mkdir -p "$CONFDIR"
b_pam_lines debug >"$CONFDIR/$B_SERVICE"
pam_cycle() { "$@" "$HARNESS" "$CONFDIR" "$B_SERVICE" "$D" -- "$B_SHELL" -c true >/dev/null 2>&1; }
if b_log_start; then
	pam_cycle b_logged
	b_wait_for 30 lxd_idle
	: >"$B_LOG"
	: >"$B_TMP/pam"
	for _ in $(seq "$SN"); do
		b_timed /dev/null pam_cycle b_logged
		echo "$B_US" >>"$B_TMP/pam"
		b_wait_for 30 lxd_idle
	done
	b_msleep 0.2
	steps=$(b_log_steps | awk '{ printf "%s%s %s", (n++ ? ", " : ""), $1, $2 }')
	say "   keeper steps of an lxd login (PAM debug, medians of $SN, ms): ${steps:-none logged}"
	say "   whole PAM cycle (open + enter + close through the keeper): $(b_stats "$B_TMP/pam" | cut -d' ' -f2) ms"
	b_result lxd.steps "${steps:--}"
	b_result lxd.pam_cycle.median_ms "$(b_stats "$B_TMP/pam" | cut -d' ' -f2)"
fi
# One PAM cycle's requests to LXD, in order, from its system calls (strace
# -f, which slows it down): each REST call and exec websocket is a request
# line the keeper (or a child of its) sends on LXD's socket.
if b_need strace strace; then
	strace -f -ttt -s 160 -e trace=sendto,write,sendmsg -o "$B_TMP/strace.txt" -- \
		"$HARNESS" "$CONFDIR" "$B_SERVICE" "$D" -- "$B_SHELL" -c true >/dev/null 2>&1
	b_wait_for 30 lxd_idle
	grep -a -E '"(GET|POST|PUT|DELETE|PATCH) /1\.0' "$B_TMP/strace.txt" |
		sed -E 's/^[0-9]+ +([0-9.]+) .*"(GET|POST|PUT|DELETE|PATCH) (\/1\.0[^ ?]*)[^"]*HTTP.*/\1 \2 \3/' |
		awk 'NF == 3 {
			if (!t0) t0 = $1
			sub(/\/operations\/[0-9a-f-]+/, "/operations/ID", $3)
			sub(/\/instances\/[^\/]+/, "/instances/NAME", $3)
			printf "%.0f %s %s\n", ($1 - t0) * 1000, $2, $3
		}' >"$B_TMP/requests"
	n=$(wc -l <"$B_TMP/requests")
	say "   requests to LXD in one PAM cycle (strace -f; ms from the first; strace slows it down): $n"
	awk '{ printf "      %6s  %-6s %s\n", $1, $2, $3 }' "$B_TMP/requests"
	b_result lxd.requests "$n"
fi
