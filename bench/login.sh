#!/bin/bash
# 1. Login latency: N interleaved `ssh host true` logins by a sandboxed user
# (login shell throwaway-shell, PAM session pam_throwaway.so) and by a plain
# user (/bin/sh) on the SAME sshd and PAM service: medians, p95, and the
# ratio sandboxed/plain. Each login starts once the previous one's copy is
# gone, so it is measured on a quiet machine. Two clients, interleaved too:
# Debian's ssh with its defaults (the figure the target is judged on: what
# users run), and a light one (curve25519, no GSSAPI; see lib.sh), where the
# server's share of a login is larger. The same again with boot = minimal,
# and with a pool (config `pool`): copies made ahead of logins.
#
#   BENCH_LOGIN_N   logins per user (default 40: Debian's client has two clusters of
#                   login times, ~60 ms apart, and a median of 20 jumps between them)
#   BENCH_POOL      pool size for the pooled pass (default 2), when supported
# shellcheck source=bench/lib.sh disable=SC2154
source "$(dirname "$0")/lib.sh"
N=${BENCH_LOGIN_N:-40}
POOL=${BENCH_POOL:-2}
S=tw-bench-s$B_ID
P=tw-bench-p$B_ID

b_title "login latency: $N sandboxed and $N plain 'ssh host true' per client kind, interleaved, one sshd"
{ b_require_install && b_origin_create && b_user "$S" && b_user "$P" /bin/sh &&
	b_config "max_sessions_per_user = 128" && b_sshd_start; } || { say "   setup failed"; exit 1; }

# series TAG: N logins of each user with each client, in an order that rotates.
series() {
	local tag=$1 i k u c fails=0 order
	local combos=("s default" "p default" "s light" "p light")
	for k in "${combos[@]}"; do : >"$B_TMP/lat.$tag.${k/ /.}"; done
	for i in $(seq "$N"); do
		order=()
		for k in 0 1 2 3; do order+=("${combos[$(((k + i) % 4))]}"); done
		[ $((i % 2)) = 0 ] && order=("${order[3]}" "${order[2]}" "${order[1]}" "${order[0]}")
		for k in "${order[@]}"; do
			read -r u c <<<"$k"
			B_CLIENT=$c
			if [ "$u" = s ]; then b_timed_ssh "$S" true; else b_timed_ssh "$P" true; fi
			if [ "$B_RC" != 0 ]; then
				fails=$((fails + 1))
				sed 's/^/   ! /' "$B_TMP/ssh.out" | head -3
				continue
			fi
			echo "$B_US" >>"$B_TMP/lat.$tag.$u.$c"
			if [ "$tag" = pool ]; then
				b_wait_pool_ready 10 "$POOL" || say "   ! the pool was not refilled within 10 s"
			else
				b_wait_copies_gone 10 || say "   ! a copy outlived its login by 10 s"
			fi
		done
	done
	FAILS=$fails
	for c in default light; do
		read -r ns smed sp95 _ smin smax _ < <(b_stats "$B_TMP/lat.$tag.s.$c")
		read -r np pmed pp95 _ pmin pmax _ < <(b_stats "$B_TMP/lat.$tag.p.$c")
		eval "SMED_$c=$smed SP95_$c=$sp95 PMED_$c=$pmed PP95_$c=$pp95"
		eval "RATIO_$c=$(b_ratio "$smed" "$pmed")"
		say "   $tag, $c client: sandboxed n=$ns median ${smed} ms p95 ${sp95} ms (min $smin, max $smax)"
		say "   $tag, $c client: plain     n=$np median ${pmed} ms p95 ${pp95} ms (min $pmin, max $pmax)"
		say "   $tag, $c client: ratio $(b_ratio "$smed" "$pmed"), added $(awk -v a="$smed" -v b="$pmed" 'BEGIN { printf "%.1f", a - b }') ms"
	done
}

# Warm up: the first logins pay for cold caches.
b_ssh "$S" true </dev/null >/dev/null 2>&1
b_ssh "$P" true </dev/null >/dev/null 2>&1
b_wait_copies_gone 10

series nopool
for c in default light; do
	eval "smed=\$SMED_$c sp95=\$SP95_$c pmed=\$PMED_$c pp95=\$PP95_$c ratio=\$RATIO_$c"
	b_result "login.$c.sandboxed.median_ms" "$smed"
	b_result "login.$c.sandboxed.p95_ms" "$sp95"
	b_result "login.$c.plain.median_ms" "$pmed"
	b_result "login.$c.plain.p95_ms" "$pp95"
	b_result "login.$c.ratio" "$ratio"
	b_result "login.$c.added_ms" "$(awk -v a="$smed" -v b="$pmed" 'BEGIN { printf "%.1f", a - b }')"
done
b_result login.failures "$FAILS"

# boot = minimal: throwaway-init instead of the origin's init and its rcS.
b_config "max_sessions_per_user = 128" "boot = minimal"
b_ssh "$S" true </dev/null >/dev/null 2>&1
b_wait_copies_gone 10
series minimal
b_result login.minimal "sandboxed median $SMED_default ms, ratio $RATIO_default (light client: $RATIO_light, $SMED_light / $PMED_light ms)"
b_result login.minimal.ratio "$RATIO_default"
b_config "max_sessions_per_user = 128"

# The pool: only when this build's config accepts it.
{
	echo "[global]"
	echo "origin = $B_ORIGIN"
	echo "pool = $POOL"
} >"$B_TMP/pool.conf"
chmod 0644 "$B_TMP/pool.conf"
if throwawayctl check-config "$B_TMP/pool.conf" >/dev/null 2>&1; then
	b_config "max_sessions_per_user = 128" "pool = $POOL"
	throwawayctl pool fill "$B_CONF" >/dev/null 2>&1
	b_wait_pool_ready 20 "$POOL" || say "   ! the pool did not fill"
	series pool
	b_result login.pool "pool = $POOL: sandboxed median $SMED_default ms, ratio $RATIO_default (light client: $RATIO_light)"
	b_result login.pool.ratio "$RATIO_default"
	b_config "max_sessions_per_user = 128"
	throwawayctl pool drain >/dev/null 2>&1
	b_wait_copies_gone 10
else
	say "   pool: not available (this build's config refuses 'pool = $POOL')"
	b_result login.pool "not available"
fi
