#!/bin/bash
# End to end: ssh logins of a throwaway-shell user through a real sshd land
# in fresh copies of the origin, as the user, with the home bound, and
# leave nothing behind.
source "$(dirname "$0")/../lib.sh"

tw_origin_create && tw_config && tw_user tw-test-alice && tw_user tw-test-plain /bin/sh &&
	tw_sshd_start || { not_ok "setup"; tw_finish; exit 1; }
A=tw-test-alice
HOME_A=$(getent passwd $A | cut -d: -f6)
UID_A=$(id -u $A)

out=$(tw_ssh $A hostname)
expect_match "hostname is the copy's name" "^$TW_ORIGIN-$A-[a-z0-9]{6}\$" "$out"
out2=$(tw_lssh $A hostname)
expect_match "libssh client lands in a copy" "^$TW_ORIGIN-$A-[a-z0-9]{6}\$" "$out2"
check "every login gets a fresh copy" [ "$out" != "$out2" ]

expect_eq "user and uid inside equal the host's" "$A $UID_A" "$(tw_ssh $A 'echo $(id -un) $(id -u)')"
expect_eq "groups inside equal the host's" "$(id -G $A)" "$(tw_ssh $A 'id -G')"
expect_eq "cwd and HOME are the home" "$HOME_A $HOME_A" "$(tw_ssh $A 'echo $(pwd) $HOME')"
expect_eq "environment is the documented set" \
	"HOME LOGNAME PATH PWD SHELL SSH_CLIENT SSH_CONNECTION THROWAWAY_CONTAINER THROWAWAY_SESSION USER" \
	"$(tw_ssh $A 'env | cut -d= -f1 | grep -v "^SHLVL$" | sort | tr "\n" " " | sed "s/ $//"')"

# The home is the user's real home, both ways.
echo "from-host" >"$HOME_A/host-file" && chown $A: "$HOME_A/host-file"
expect_eq "host file visible inside" "from-host" "$(tw_ssh $A 'cat ~/host-file')"
tw_ssh $A 'echo from-copy > ~/copy-file'
expect_eq "file written inside lands in the home" "from-copy" "$(cat "$HOME_A/copy-file" 2>/dev/null)"
expect_eq "and belongs to the user" "$A" "$(stat -c %U "$HOME_A/copy-file" 2>/dev/null)"

# Writes outside the home die with the copy and never reach the origin.
tw_ssh $A 'echo gone > /tmp/marker; cat /tmp/marker' >/dev/null
expect_eq "writes outside the home do not survive the session" "absent" \
	"$(tw_ssh $A 'cat /tmp/marker 2>/dev/null || echo absent')"
check "writes never reach the origin" [ ! -e "/var/lib/lxc/$TW_ORIGIN/rootfs/tmp/marker" ]

# Exit status and signals.
tw_ssh $A 'exit 7'
expect_eq "exit status comes back (ssh)" 7 $?
tw_lssh $A 'exit 42'
expect_eq "exit status comes back (libssh)" 42 $?
tw_ssh $A 'kill -9 $$'
expect_eq "death by signal N is 128+N" 137 $?

# Binary data through pipes, both ways.
head -c 1048576 /dev/urandom >"$TW_TMP/blob"
expect_eq "1 MB of binary data survives ssh cat" "$(sha256sum <"$TW_TMP/blob")" \
	"$(tw_ssh $A cat <"$TW_TMP/blob" | sha256sum)"
expect_eq "1 MB of binary data survives libssh cat" "$(sha256sum <"$TW_TMP/blob")" \
	"$(tw_lssh $A cat <"$TW_TMP/blob" | sha256sum)"
tw_ssh $A 'cat > ~/upload' <"$TW_TMP/blob"
expect_eq "cat > file stores the upload in the home" "$(sha256sum <"$TW_TMP/blob")" \
	"$(sha256sum <"$HOME_A/upload")"
expect_eq "stderr is kept apart" "err" "$(tw_ssh $A 'echo out; echo err >&2' 2>&1 >/dev/null)"

# Hardening: the busybox template makes its binary setuid root.
expect_eq "the origin's busybox is setuid root inside" "6755 0" \
	"$(tw_ssh $A 'stat -c "%a %u" /bin/busybox')"
expect_eq "no_new_privs is set for the user's programs" "1" \
	"$(tw_ssh $A 'grep NoNewPrivs /proc/self/status | tr -dc 0-9')"
expect_match "the setuid binary gives no privilege" "must be suid" \
	"$(tw_ssh $A 'su -c id root' 2>&1)"
expect_eq "the user's programs have no capabilities" "0000000000000000" \
	"$(tw_ssh $A 'grep CapEff /proc/self/status | cut -f2')"
bnd=$(tw_ssh $A 'grep CapBnd /proc/self/status | cut -f2')
# sys_admin (21), sys_module (16), sys_rawio (17), mknod (27), net_admin (12), sys_ptrace (19)
check "dropped capabilities are out of the bounding set" \
	[ $((0x${bnd:-ffffffffffffffff} & ((1 << 21) | (1 << 16) | (1 << 17) | (1 << 27) | (1 << 12) | (1 << 19)))) = 0 ]
expect_match "mknod fails inside" "Operation not permitted|Permission denied" \
	"$(tw_ssh $A 'mknod /tmp/sda b 8 0' 2>&1)"
expect_eq "the copy is not on the host's network" "lo" "$(tw_ssh $A 'ls /sys/class/net | tr "\n" " " | sed "s/ $//"')"

# userns = yes (the default): the copy's root is an unprivileged id on the host.
origin_state() { find "/var/lib/lxc/$TW_ORIGIN/rootfs" -xdev -printf '%p %u %g %m\n' | sort | sha256sum; }
before=$(origin_state)
expect_match "the copy runs in a user namespace (root maps to 1879048192)" "^ +0 +1879048192 +$UID_A" \
	"$(tw_ssh $A 'cat /proc/self/uid_map')"
expect_match "the user's own uid passes through" "^ +$UID_A +$UID_A +1" "$(tw_ssh $A 'sed -n 2p /proc/self/uid_map')"
expect_eq "inside, the origin's files belong to the copy's root" "root root" \
	"$(tw_ssh $A 'stat -c "%U %G" /etc/inittab')"
tw_ssh $A 'sleep 2' &
sleep 1
init_uid=$(ps -o uid= -p "$(lxc-info -P /var/lib/throwaway/containers -n "$(ls /var/lib/throwaway/containers | head -1)" -pH)" | tr -d ' ')
expect_eq "on the host, the copy's init runs as 1879048192" 1879048192 "$init_uid"
expect_eq "a running copy is not recorded in the origin's directory (no lxc_snapshots)" "config rootfs" \
	"$(ls "/var/lib/lxc/$TW_ORIGIN" | tr "\n" " " | sed "s/ $//")"
wait
expect_eq "the origin is not modified (owners and modes)" "$before" "$(origin_state)"

# A user whose shell is not throwaway-shell logs in as usual.
expect_eq "a plain user gets a host shell" "$(hostname)" "$(tw_ssh tw-test-plain hostname)"

check_clean "after logouts no copy, mount, lock, cgroup, record or monitor remains"

# bind_home = no: a fresh home from the origin, with the user's key in it.
tw_config "bind_home = no"
expect_eq "bind_home=no installs the user's key in the copy" \
	"$(cat "$TW_TMP/$A.key.pub")" "$(tw_ssh $A 'cat ~/.ssh/authorized_keys')"
expect_eq "bind_home=no: key file is the user's, 0600, in a 0700 .ssh" "600 $A 700 $A" \
	"$(tw_ssh $A 'stat -c "%a %U" ~/.ssh/authorized_keys ~/.ssh | tr "\n" " " | sed "s/ $//"')"
tw_ssh $A 'echo x > ~/fresh-file'
check "bind_home=no: the host home is untouched" [ ! -e "$HOME_A/fresh-file" ]

check_clean
tw_finish
