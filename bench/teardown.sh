#!/bin/bash
# 5. Teardown: the time from logout (the ssh client's exit) to the copy's
# directory being gone, one login at a time. The login is `ssh host
# hostname`, which prints the copy's name, i.e. the directory to watch
# (polled every millisecond).
#
#   BENCH_TEARDOWN_N   logins (default 20)
# shellcheck source=bench/lib.sh disable=SC2154
source "$(dirname "$0")/lib.sh"
N=${BENCH_TEARDOWN_N:-20}
S=tw-bench-s$B_ID

b_title "teardown: $N logins, client exit -> copy directory gone"
{ b_require_install && b_origin_create && b_user "$S" && b_config && b_sshd_start; } ||
	{ say "   setup failed"; exit 1; }

b_ssh "$S" true </dev/null >/dev/null 2>&1 # warm up
b_wait_copies_gone 10

: >"$B_TMP/td"
fails=0
slow=0
for _ in $(seq "$N"); do
	b_timed_ssh "$S" hostname
	name=$(head -1 "$B_TMP/ssh.out")
	if [ "$B_RC" != 0 ] || [ "${name#"$B_ORIGIN"-}" = "$name" ]; then
		fails=$((fails + 1))
		sed 's/^/   ! /' "$B_TMP/ssh.out" | head -3
		b_wait_copies_gone 10
		continue
	fi
	t0=$B_END
	gone=0
	for _ in $(seq 10000); do
		[ -e "$B_COPIES/$name" ] || { gone=1; break; }
		b_msleep 0.001
	done
	b_now
	if [ "$gone" = 0 ]; then
		slow=$((slow + 1))
		continue
	fi
	echo $((B_NOW - t0)) >>"$B_TMP/td"
done
read -r n med p95 _ min max _ < <(b_stats "$B_TMP/td")
say "   client exit -> copy gone: n=$n median ${med} ms p95 ${p95} ms (min $min, max $max)"
[ "$fails" = 0 ] || say "   ! $fails logins failed"
[ "$slow" = 0 ] || say "   ! $slow copies still there 10 s after logout"
b_result teardown.median_ms "$med"
b_result teardown.p95_ms "$p95"
b_result teardown.failures "$((fails + slow))"
