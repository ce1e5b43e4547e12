#!/bin/bash
# session_timeout and idle_timeout: a warning on the user's terminal first,
# then the session ends, the copy is destroyed, and the log says why.
source "$(dirname "$0")/../lib.sh"

tw_origin_create && tw_user tw-test-tim && tw_sshd_start ||
	{ not_ok "setup"; tw_finish; exit 1; }
T=tw-test-tim
elapsed() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

tw_config "session_timeout = 4s"
t0=$(date +%s%N)
out=$(tw_ssh $T -tt 'sleep 30' 2>&1)
rc=$?
ms=$(elapsed "$t0")
expect_match "session_timeout: a warning reaches the terminal first" "this session ends in 2 s \(session timeout\)" "$out"
expect_match "session_timeout: then the session ends, saying why" "your sandbox has ended \(timeout\)" "$out"
check_all "session_timeout: it ended after about 4 s (took ${ms} ms)" '[ "$ms" -ge 3500 ] && [ "$ms" -lt 15000 ]'
expect_eq "session_timeout: the client sees the session fail" 255 "$rc"
check_clean "session_timeout: the copy is destroyed"

# An interactive login's banner says when the session will end.
out=$( (sleep 6) | tw_ssh $T -tt 2>&1)
expect_match "the banner says when a session_timeout ends it" \
	"destroyed when you log out, at the latest at [0-9]{2}:[0-9]{2}:[0-9]{2} \(session timeout\)" "$out"
check_clean

# Without a terminal there is no warning line, but the end is the same.
out=$(tw_ssh $T 'sleep 30' 2>&1)
expect_match "session_timeout ends a command without a terminal too" "has ended \(timeout\)" "$out"
check_clean

tw_config "idle_timeout = 4s"
# An interactive login that stays silent. Its stdin stays open for 20 s and
# is a process substitution, so the time taken is the session's, not sleep's.
t0=$(date +%s%N)
out=$(tw_ssh $T -tt 2>&1 < <(exec sleep 20 2>/dev/null))
ms=$(elapsed "$t0")
expect_match "idle_timeout: a warning reaches the terminal first" "this session ends in 2 s \(idle\)" "$out"
expect_match "idle_timeout: then the session ends, saying why" "your sandbox has ended \(idle\)" "$out"
check_all "idle_timeout: it ended after about 4 s of silence (took ${ms} ms)" '[ "$ms" -ge 3500 ] && [ "$ms" -lt 15000 ]'
check_clean "idle_timeout: the copy is destroyed"

# Typing keeps it alive: a line every second for 7 s, then exit.
out=$( (for i in 1 2 3 4 5 6 7; do echo "echo tick$i"; sleep 1; done; echo 'exit 0') | tw_ssh $T -tt 2>&1)
rc=$?
expect_match "idle_timeout: terminal activity keeps the session alive past it" "tick7" "$out"
expect_eq "and it ends as the user chose" 0 "$rc"
check_clean

# A command without a terminal is busy, not idle.
expect_eq "idle_timeout: a running command is not idle" "done" "$(tw_ssh $T 'sleep 6; echo done' 2>&1)"
check_clean

# A program of the user's on the host (cron, a .forward pipe: anything but
# this shell) that connects to the session's keeper again and again, asks
# for programs and never reads the answers: the keeper still serves the
# user's next shell, and still ends the session at its timeout.
install -m 0755 "$TW_BUILD/tests/keeper_client" "$TW_TMP/keeper_client"
as_t() { setpriv --reuid=$T --regid=$T --clear-groups env -i PATH=/usr/bin:/bin "$@"; }
tw_config "session_timeout = 8s"
t0=$(date +%s%N)
tw_ssh_bg $T -N >/dev/null 2>&1
holder=$!
wait_for 20 has_session $T
sid=$(tw_session_of $T)
as_t "$TW_TMP/keeper_client" "$sid" hog 100 30 >"$TW_TMP/hog.out" 2>&1 &
hog=$!
wait_for 10 grep -q '^connected' "$TW_TMP/hog.out"
expect_eq "a client hogging the keeper: it got its connections" "connected 100" "$(cat "$TW_TMP/hog.out")"
out=$(as_t THROWAWAY_SESSION="$sid" timeout 10 "$TW_SHELL" -c 'echo second-shell' 2>&1)
expect_eq "a client hogging the keeper: the user's next shell is served" second-shell "$out"
check "a client hogging the keeper: the session still ends at its timeout" wait_for 20 no_copies
ms=$(elapsed "$t0")
check_all "a client hogging the keeper: after about 8 s (took ${ms} ms)" '[ "$ms" -ge 7500 ] && [ "$ms" -lt 15000 ]'
tw_stop "$hog" "$holder"
check_clean

# A terminal that joins the session after its warning was given hears it
# too (share = user: the second login joins the first one's copy).
tw_config "session_timeout = 10s" "share = user"
tw_ssh_bg $T -N >/dev/null 2>&1
holder=$!
wait_for 20 has_session $T
sleep 6.5 # past the warning, at 5 s before the end
out=$(tw_ssh $T -tt 'sleep 30' 2>&1 </dev/null)
expect_match "a terminal that joins after the warning is warned too" \
	"this session ends in [1-4] s \(session timeout\)" "$out"
expect_match "and its session ends at the timeout" "your sandbox has ended \(timeout\)" "$out"
tw_stop "$holder"
check_clean
tw_finish
