#!/bin/bash
# tests/sweep.sh, which tests/run.sh runs first: what a killed run left
# (its sshd, a session's user and processes, a running origin, a PAM
# service, a temp dir, sub-id ranges, lock files) is swept, and nothing
# else is touched. It sweeps a prefix of its own here, so this run's
# things stay.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
trap tw_cleanup EXIT

P=tw-test-swp$TW_ID
U=$P-u
O=$P-o
setup() {
	useradd -m "$U" || return 1
	install -d "/run/$P.x" || return 1
	ln -s /bin/sleep "/run/$P.x/$P-sshd" || return 1
	( setsid "/run/$P.x/$P-sshd" 600 </dev/null >/dev/null 2>&1 &)
	# and one as a listening sshd titles itself, its path's directory gone
	# shellcheck disable=SC2016 # $0 is the title, given below
	( setsid bash -c 'exec -a "$0" sleep 601' \
		"$P-sshd1: /run/$P.y/$P-sshd1 -f /run/$P.y/sshd_config [listener]" \
		</dev/null >/dev/null 2>&1 &)
	( setsid su -s /bin/sh -c "exec sleep 600" "$U" </dev/null >/dev/null 2>&1 &)
	printf 'auth required pam_deny.so\n' >"/etc/pam.d/$P-sshd" || return 1
	echo "$U:3000000000:65536" >>/etc/subuid
	lxc-create -t busybox -n "$O" >"$TW_TMP/lxc-create.log" 2>&1 || return 1
	sed -i -e 's/^lxc.net.0.type = .*/lxc.net.0.type = empty/' \
		-e '/^lxc.net.0.link/d' -e '/^lxc.net.0.flags/d' "/var/lib/lxc/$O/config"
	lxc-start -n "$O" || return 1
	# this run's own things, which must stay
	tw_user tw-test-swk
}
check setup setup
sleep 1

before_users=$(getent passwd | wc -l)
out=$(TW_SWEEP=$P bash "$TW_ROOT/tests/sweep.sh")
expect_match "it says what it swept" \
	"swept .*sshd .*containers.*pam-services.*users.*temp-dirs" "$out"
check_all "the killed run's sshd is gone" '! pgrep -f "^/run/$P\\." >/dev/null'
check_all "so is one titled as a listening sshd" '! pgrep -f "^$P-sshd1: " >/dev/null'
check_all "its user's processes are gone" '! pgrep -f "^sleep 600" >/dev/null'
check_all "its user is gone" '! getent passwd "$U" >/dev/null'
check "its home is gone" test ! -e "/home/$U"
check_all "its origin is gone" '! lxc-info -n "$O" >/dev/null 2>&1'
check "its PAM service is gone" test ! -e "/etc/pam.d/$P-sshd"
check "its temp dir is gone" test ! -e "/run/$P.x"
check_all "its sub-ids are gone" '! grep -q "^$P-" /etc/subuid'
check_all "this run's user stays (one user fewer, not two)" \
	'getent passwd tw-test-swk >/dev/null && [ "$(getent passwd | wc -l)" = $((before_users - 1)) ]'
check "this run's temp dir stays" test -d "$TW_TMP"
check "a second sweep has nothing to sweep" test -z "$(TW_SWEEP=$P bash "$TW_ROOT/tests/sweep.sh")"
tw_finish
