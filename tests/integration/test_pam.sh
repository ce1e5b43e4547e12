#!/bin/bash
# The PAM module through the real libpam (pam_start_confdir with a service
# file of the test's own): the return code and messages on every path, and
# the user's groups, all of them or a refusal.
source "$(dirname "$0")/../lib.sh"

H=$TW_BUILD/tests/pam_harness
PAMD=$TW_TMP/pam.d
mkdir -p "$PAMD"
tw_origin_create && tw_config && tw_user tw-test-pbob && tw_user tw-test-pcarol /bin/sh ||
	{ not_ok "setup"; tw_finish; exit 1; }

# service NAME ARGS: a session stack as a login service has it (a module
# that always succeeds, then ours), so PAM_IGNORE from ours reads as success.
service() { printf 'session required pam_permit.so\nsession required pam_throwaway.so %s\n' "$2" >"$PAMD/$1"; }
# A session that is not sandboxed: PAM_SUCCESS and no THROWAWAY_SESSION.
not_sandboxed() { printf '%s' "$("$H" "$PAMD" "$1" "$2" 2>/dev/null | grep -E '^(open|session)=' | tr '\n' ' ')"; }
open_code() { "$H" "$PAMD" "$1" "$2" "${@:3}" 2>/dev/null | sed -n 's/^open=//p'; }

service good "config=$TW_CONF"
service bad-arg "config=$TW_CONF frobnicate"
service force "config=$TW_CONF force"
service rel-config "config=relative.conf"

expect_eq "unknown argument: PAM_SERVICE_ERR" PAM_SERVICE_ERR "$(open_code bad-arg tw-test-pbob)"
expect_eq "relative config path: PAM_SERVICE_ERR" PAM_SERVICE_ERR "$(open_code rel-config tw-test-pbob)"
expect_eq "root is never sandboxed, even with force" "open=PAM_SUCCESS session= " "$(not_sandboxed force root)"
expect_eq "a user without throwaway-shell is not sandboxed" "open=PAM_SUCCESS session= " "$(not_sandboxed good tw-test-pcarol)"
expect_eq "an unknown user: PAM_USER_UNKNOWN" PAM_USER_UNKNOWN "$(open_code good tw-test-nobody)"

out=$("$H" "$PAMD" good tw-test-pbob -- "$TW_SHELL" -c hostname 2>&1)
expect_match "a sandboxed user: PAM_SUCCESS" "^open=PAM_SUCCESS" "$out"
expect_match "THROWAWAY_SESSION is 16 hex characters" "session=[0-9a-f]{16}$" "$out"
expect_match "the shell runs inside the copy" "^$TW_ORIGIN-tw-test-pbob-" "$out"
expect_match "close: PAM_SUCCESS" "close=PAM_SUCCESS" "$out"
check_clean "close destroyed the copy"

out=$("$H" "$PAMD" force tw-test-pcarol -- /bin/hostname 2>&1)
expect_match "force sandboxes any non-root user" "open=PAM_SUCCESS" "$out"
check_clean

# A broken config stops only the sandboxed.
tw_config "bogus_key = 1"
expect_eq "broken config: a plain user is not affected" "open=PAM_SUCCESS session= " "$(not_sandboxed good tw-test-pcarol)"
out=$("$H" "$PAMD" good tw-test-pbob 2>&1)
expect_match "broken config: PAM_SESSION_ERR" "open=PAM_SESSION_ERR" "$out"
expect_match "broken config: the message names file and line" \
	"throwaway: cannot create your sandbox: $TW_CONF:3: unknown key 'bogus_key'" "$out"
expect_match "broken config: THROWAWAY_ERROR for the shell" "error=cannot create your sandbox: $TW_CONF:3" "$out"

tw_config && chmod 0666 "$TW_CONF"
expect_match "a world-writable config is refused" "PAM_SESSION_ERR" "$(open_code good tw-test-pbob)"
chmod 0644 "$TW_CONF"

# The keeper dies: close_session still gets the copy destroyed.
"$H" "$PAMD" good tw-test-pbob -- /bin/sleep 1.5 >"$TW_TMP/killed.out" 2>&1 &
h=$!
running() { SID=$(tw_session_of tw-test-pbob) && [ "$(tw_field "$SID" state)" = running ]; }
wait_for 5 running
kill -KILL "$(tw_field "$SID" keeper)"
sleep 0.2
expect_eq "with its keeper killed the copy still exists" 1 "$(tw_copies)"
wait $h
expect_match "and close_session succeeds" "close=PAM_SUCCESS" "$(cat "$TW_TMP/killed.out")"
check_clean "and the copy is gone after close"

# Caps hold: one session per user.
tw_config "max_sessions_per_user = 1"
"$H" "$PAMD" good tw-test-pbob -- /bin/sleep 3 >/dev/null 2>&1 &
first=$!
wait_for 5 running
out=$("$H" "$PAMD" good tw-test-pbob 2>&1)
expect_match "a second session over max_sessions_per_user is refused" "open=PAM_SESSION_ERR" "$out"
expect_match "with a message saying so" "limit" "$out"
wait $first
check_clean

# Every group of the user counts, or none: a group left out could be the
# one whose section is stricter. A group of 600 members (an entry longer
# than a 4 KiB lookup buffer) with a stricter limit: the limit holds.
BIG=tw-test-big$TW_ID
tw_group "$BIG" $(seq -f 'tw-test-m%03g' 599) tw-test-pbob || not_ok "setup: a group of 600 members"
check "the user is in the 600-member group" sh -c "id -Gn tw-test-pbob | grep -qw $BIG"
printf '[global]\norigin = %s\n[group:%s]\nmax_sessions_per_user = 1\n' "$TW_ORIGIN" "$BIG" >"$TW_CONF"
"$H" "$PAMD" good tw-test-pbob -- /bin/sleep 3 >/dev/null 2>&1 &
first=$!
wait_for 5 running
out=$("$H" "$PAMD" good tw-test-pbob 2>&1)
expect_match "a 600-member group's section applies: a second session is refused" "open=PAM_SESSION_ERR" "$out"
expect_match "by that section's limit" "you already have 1 sandboxes, the limit" "$out"
wait $first
check_clean

# More groups than the module takes (64): refused, saying why; never the first 64.
MANY=tw-test-pmany
groups=""
tw_user $MANY && for i in $(seq 64); do
	tw_group "tw-test-g$TW_ID-$i" && groups+=${groups:+,}tw-test-g$TW_ID-$i
done && usermod -aG "$groups" $MANY || not_ok "setup: a user in 65 groups"
tw_config
expect_eq "the user is in 65 groups" 65 "$(id -G $MANY | wc -w)"
out=$("$H" "$PAMD" good $MANY -- "$TW_SHELL" -c hostname 2>&1)
expect_match "a user in 65 groups: PAM_SESSION_ERR" "^open=PAM_SESSION_ERR" "$out"
expect_match "with the reason" "cannot create your sandbox: you are in more than 64 groups" "$out"
check "and nothing runs" sh -c "! echo '$out' | grep -q '^$TW_ORIGIN-'"
gpasswd -d $MANY "tw-test-g$TW_ID-64" >/dev/null
out=$("$H" "$PAMD" good $MANY -- "$TW_SHELL" -c hostname 2>&1)
expect_match "in 64 groups: a copy" "^$TW_ORIGIN-$MANY-" "$out"
check_clean

# Sections apply to the module's own decisions too: a user's origin.
printf '[global]\norigin = tw-test-none%s\n[group:tw-test-pbob]\norigin = %s\n[user:tw-test-pbob]\nstart_timeout = 20s\n' \
	"$TW_ID" "$TW_ORIGIN" >"$TW_CONF"
out=$("$H" "$PAMD" good tw-test-pbob -- "$TW_SHELL" -c hostname 2>&1)
expect_match "the origin of the user's group section is used" "^$TW_ORIGIN-tw-test-pbob-" "$out"
check_clean

# Variables a module before ours read from the user's own files (pam_env
# user_readenv) never steer a loader on the host.
tw_config
HOME_B=$(getent passwd tw-test-pbob | cut -d: -f6)
printf 'LD_PRELOAD DEFAULT=%s/evil.so\nGCONV_PATH DEFAULT=/tmp\nLANG DEFAULT=C.UTF-8\n' "$HOME_B" >"$HOME_B/.pam_environment"
chown tw-test-pbob: "$HOME_B/.pam_environment"
printf 'session required pam_env.so user_readenv=1 envfile=/dev/null\nsession required pam_throwaway.so config=%s\n' \
	"$TW_CONF" >"$PAMD/readenv"
out=$("$H" "$PAMD" readenv tw-test-pbob -- /usr/bin/env 2>&1)
expect_match "pam_env read the user's file (LANG)" "^LANG=C.UTF-8" "$out"
check "LD_PRELOAD and GCONV_PATH from it are dropped" sh -c "! echo '$out' | grep -qE '^(LD_PRELOAD|GCONV_PATH)='"
# A sanitizer build (make check SANITIZE=1) cannot be static: then the
# scrubbed environment above is what holds.
if grep -q fsanitize "$TW_BUILD/.flags" 2>/dev/null; then
	expect_match "the login shell is the sanitizer build" "dynamically linked" "$(file -L "$TW_SHELL")"
else
	expect_match "the login shell has no loader to obey" "static-pie linked|statically linked" "$(file -L "$TW_SHELL")"
fi
rm -f "$HOME_B/.pam_environment"
check_clean

# The shell without a session never runs anything on the host.
out=$(su -s /bin/sh tw-test-pbob -c "env -i $TW_SHELL -c 'echo ran'" 2>&1)
expect_eq "no session: the shell refuses" 1 $?
expect_match "no session: and says why" "^throwaway: there is no sandbox" "$out"
out=$(su -s /bin/sh tw-test-pbob -c "env -i THROWAWAY_ERROR='cannot create your sandbox: x' $TW_SHELL -c 'echo ran'" 2>&1)
expect_eq "THROWAWAY_ERROR is what the shell prints" "throwaway: cannot create your sandbox: x" "$out"
out=$(su -s /bin/sh tw-test-pbob -c "env -i THROWAWAY_SESSION=0123456789abcdef $TW_SHELL -c 'echo ran'" 2>&1)
expect_match "a session that does not exist: refused" "^throwaway: cannot reach your sandbox" "$out"

tw_finish
