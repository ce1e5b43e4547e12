#!/bin/bash
# Bad input over ssh: the user gets a clear message, the session is denied
# (nothing runs, on the host or elsewhere), and nothing is left behind.
source "$(dirname "$0")/../lib.sh"

tw_origin_create && tw_config && tw_user tw-test-dave && tw_user tw-test-erin /bin/sh &&
	tw_sshd_start || { not_ok "setup"; tw_finish; exit 1; }
D=tw-test-dave

# denied NAME REGEX: ssh D 'echo RAN' fails with a message matching REGEX.
denied() {
	local out rc
	out=$(tw_ssh $D 'echo RAN' 2>&1)
	rc=$?
	expect_match "$1: the user is told why" "$2" "$out"
	check_all "$1: nothing runs" '[ "$rc" != 0 ] && ! echo "$out" | grep -q RAN'
	out=$(tw_lssh $D 'echo RAN' 2>&1)
	rc=$?
	check_all "$1: nothing runs (libssh)" '[ "$rc" != 0 ] && ! echo "$out" | grep -q RAN'
}

tw_config && sed -i "s/^origin = .*/origin = tw-test-missing$TW_ID/" "$TW_CONF"
denied "missing origin" "^throwaway: cannot create your sandbox: the origin container 'tw-test-missing$TW_ID' does not exist"
check_clean

tw_config "pids_max = lots"
denied "broken config" "^throwaway: cannot create your sandbox: $TW_CONF:3: .*pids_max"
expect_eq "broken config: other users still log in" "$(hostname)" "$(tw_ssh tw-test-erin hostname)"
check_clean

tw_config "storage = tmpfs" "keep = yes"
denied "keep without storage = dir" "$TW_CONF:4: 'keep = yes' needs 'storage = dir'"

tw_config
lxc-start -n "$TW_ORIGIN" -d
denied "origin running" "^throwaway: cannot create your sandbox: the origin container '$TW_ORIGIN' is running"
lxc-stop -k -n "$TW_ORIGIN"
check_clean

# A copy that fails to start after the login went on (the module returns
# at "accepted"): the shell says why, nothing runs, nothing is left.
cp "/var/lib/lxc/$TW_ORIGIN/config" "$TW_TMP/origin.config"
echo "lxc.init.cmd = /tw-no-such-init" >>"/var/lib/lxc/$TW_ORIGIN/config"
denied "a copy that does not start" "^throwaway: cannot create your sandbox: the copy '$TW_ORIGIN-$D-[a-z0-9]*' did not start"
check_clean
tw_pam_service "wait"
denied "a copy that does not start, PAM argument wait" \
	"^throwaway: cannot create your sandbox: the copy '$TW_ORIGIN-$D-[a-z0-9]*' did not start"
check_clean
cp "$TW_TMP/origin.config" "/var/lib/lxc/$TW_ORIGIN/config"
expect_match "wait: logins work" "^$TW_ORIGIN-$D-" "$(tw_ssh $D hostname)"
tw_pam_service
check_clean

tw_pam_service "frobnicate"
denied "unknown PAM argument" "^throwaway: the sandbox service is misconfigured"
expect_match "unknown PAM argument: sshd logs the failed session" "pam_open_session\(\): Error in service module" \
	"$(cat "$TW_TMP/sshd.log")"
tw_pam_service
expect_match "after the fix logins work again" "^$TW_ORIGIN-$D-" "$(tw_ssh $D hostname)"

check_clean
tw_finish
