#!/bin/bash
# Slow and optional (make check-slow; not in make check): a real Debian 12 origin with
# systemd as init, made by config/make-debian-origin.sh (debootstrap; the
# first run downloads ~60 MB and takes about a minute, later runs reuse
# /var/cache/throwaway). ssh logins land in copies where PID 1 is systemd,
# the boot reaches running (or degraded), the copy's sshd is up, each copy
# has its own host keys, and after logout the copy is gone. With
# userns = yes (the default): systemd in a privileged copy would need a
# writable cgroup tree, which userns = no copies do not get. Software is
# added to the origin with the guide's own commands.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"

# An origin of our own; tw_cleanup and tw_residue go by $TW_ORIGIN.
TW_ORIGIN=tw-test-deb$TW_ID
BOOT_DEADLINE=30 # seconds, from login, for systemd to finish booting

tw_debian_origin_create() {
	local t0=$SECONDS
	"$TW_ROOT/config/make-debian-origin.sh" "$TW_ORIGIN" >"$TW_TMP/make-origin.log" 2>&1 || {
		sed 's/^/#   /' "$TW_TMP/make-origin.log"
		return 1
	}
	echo "# origin made in $((SECONDS - t0)) s: $(tail -n 1 "$TW_TMP/make-origin.log")"
}

if ! { tw_debian_origin_create && tw_user tw-test-deb && tw_sshd_start; }; then
	not_ok "setup"
	tw_finish
	exit 1
fi
A=tw-test-deb
UID_A=$(id -u $A)

# The guide's "To add software" commands, as written there but for the
# origin's name, work on a fresh origin (it has no apt lists), and leave
# no lists, no downloads and the origin's own resolv.conf behind.
R=/var/lib/lxc/$TW_ORIGIN/rootfs
guide_add_software() {
	awk '/^To add software/ { on = 1 } on && /^    / { code = 1; sub(/^    /, ""); print; next }
		code { exit }' "$TW_ROOT/docs/guide.md" | sed "s/debian12/$TW_ORIGIN/g"
}
cp -a "$R/etc/resolv.conf" "$TW_TMP/resolv.conf.before"
steps=$(guide_add_software)
echo "$steps" | sed 's/^/#   guide: /'
expect_match "the guide's steps run apt-get update before installing" "apt-get update && apt-get install" "$steps"
sh -e -c "$steps" >"$TW_TMP/add-software.log" 2>&1
rc=$?
[ $rc = 0 ] || tail -n 20 "$TW_TMP/add-software.log" | sed 's/^/#   /'
expect_eq "the guide's steps to add software succeed" 0 "$rc"
check "they leave no apt lists in the origin" \
	sh -c "[ -z \"\$(ls -A '$R/var/lib/apt/lists' 2>/dev/null)\" ]"
check "and no downloaded packages" sh -c "! ls '$R'/var/cache/apt/archives/*.deb >/dev/null 2>&1"
check "and the origin's resolv.conf as it was" cmp -s "$TW_TMP/resolv.conf.before" "$R/etc/resolv.conf"

keys=$(find "/var/lib/lxc/$TW_ORIGIN/rootfs/etc/ssh/" -maxdepth 1 -name 'ssh_host_*')
expect_eq "the origin has no ssh host keys" "" "$keys"
expect_eq "the origin's machine-id is empty" 0 \
	"$(stat -c %s "/var/lib/lxc/$TW_ORIGIN/rootfs/etc/machine-id")"

differ() { [ -n "$1" ] && [ "$1" != "$2" ]; }
copy_name() {
	find /var/lib/throwaway/containers -mindepth 1 -maxdepth 1 -name "$TW_ORIGIN-*" \
		-printf '%f\n' 2>/dev/null | head -1
}
# copy_running: a copy's directory is there and liblxc knows its init.
copy_running() {
	local c
	c=$(copy_name)
	[ -n "$c" ] && [ -n "$(lxc-info -P /var/lib/throwaway/containers -n "$c" -pH 2>/dev/null)" ]
}

# Inside the copy: wait (in this one session: each login is a new copy)
# until systemd says the boot is over, then print its verdict.
# shellcheck disable=SC2016 # expanded inside the copy
WAIT_BOOT='i=0; while [ $i -lt '$((BOOT_DEADLINE * 5))' ]; do
	s=$(systemctl is-system-running 2>/dev/null)
	case $s in running|degraded) break ;; esac
	sleep 0.2; i=$((i + 1))
done; echo "$s"'

for userns in yes; do
	tw_config "boot = init" "userns = $userns"
	m="userns=$userns:"

	expect_eq "$m PID 1 of the copy is systemd" "systemd" "$(tw_ssh $A 'cat /proc/1/comm')"

	t0=$(date +%s%N)
	state=$(tw_ssh $A "$WAIT_BOOT")
	expect_match "$m systemd reaches running or degraded" '^(running|degraded)$' "$state"
	echo "# $m login + boot to '$state' in $((($(date +%s%N) - t0) / 1000000)) ms"
	if [ "$state" = degraded ]; then
		tw_ssh $A 'systemctl --failed --no-legend --plain' 2>&1 | sed 's/^/#   failed: /'
	fi

	expect_eq "$m what the guide installed is there" "42" "$(tw_ssh $A 'python3 -c "print(6 * 7)"')"

	out=$(tw_ssh $A "$WAIT_BOOT >/dev/null; echo \$(whoami) \$(id -u) \$(systemctl is-active ssh)")
	expect_eq "$m whoami, uid, and the copy's sshd" "$A $UID_A active" "$out"

	k1=$(tw_ssh $A "$WAIT_BOOT >/dev/null; cat /etc/ssh/ssh_host_ed25519_key.pub")
	k2=$(tw_ssh $A "$WAIT_BOOT >/dev/null; cat /etc/ssh/ssh_host_ed25519_key.pub")
	expect_match "$m a copy makes its own host key" '^ssh-ed25519 ' "$k1"
	check "$m each copy has a different host key" differ "$k1" "$k2"

	# While a session is open its copy exists and its init is systemd;
	# after logout the copy is gone.
	tw_ssh_bg $A "$WAIT_BOOT >/dev/null; sleep 3"
	sshpid=$!
	# The ledger has the session from PAM's open on, the copy a moment later.
	check "$m a copy runs during the session" wait_for 10 copy_running
	copy=$(copy_name)
	init=$(lxc-info -P /var/lib/throwaway/containers -n "$copy" -pH 2>/dev/null)
	expect_eq "$m the copy's init on the host is systemd" "systemd" \
		"$(cat "/proc/${init:-0}/comm" 2>/dev/null)"
	if [ "$userns" = yes ]; then
		expect_eq "$m the copy's systemd runs as 1879048192 on the host" 1879048192 \
			"$(ps -o uid= -p "${init:-0}" | tr -d ' ')"
	fi
	wait "$sshpid"
	check "$m after logout the copy is gone" wait_for 10 no_copies
	check_clean "$m nothing left behind"
done

tw_finish
