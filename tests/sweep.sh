#!/bin/bash
# What an earlier run of the tests left when it was killed part-way (a
# timeout, a lost session, a reboot of the runner but not of the host):
# its sshd, users, copies, origin, LXD, PAM service and temp dirs, every
# one named tw-test-*, a prefix only the tests use. tests/run.sh calls this
# holding the suite lock, so no other run is under way: anything tw-test-*
# is stale. Without it a run after a killed one failed at its first
# useradd ("already exists") and at the residue check, for what it did
# not make. Prints one line naming what it swept; sweeping is not a
# failure, leaving something is (the run's own residue check judges).
set -u
# TW_SWEEP: the prefix (test_sweep sweeps a prefix of its own).
P=${TW_SWEEP:-tw-test}
swept=""
note() { case " $swept " in *" $1 "*) ;; *) swept+="$1 " ;; esac; }

# The test sshds run through symlinks in their /run/tw-test.* dirs, named
# after their PAM service; once listening, sshd retitles itself "NAME:
# PATH ... [listener]", and its sessions "NAME: USER [priv]". The users'
# own processes go with them.
pkill -KILL -f "^/run/$P\\.|^$P-sshd[^ ]*: " && note sshd
pkill -KILL -f "^sshd: $P-" && note sessions
for u in $(getent passwd | awk -F: -v p="$P-" 'index($1, p) == 1 { print $1 }'); do
	pkill -KILL -u "$u" 2>/dev/null
done

# A keeper sees its sshd go and ends its copy; what remains is forced.
for _ in $(seq 50); do
	ls /var/lib/throwaway/containers 2>/dev/null | grep -q "^$P-" || break
	sleep 0.2
done
for c in $(ls /var/lib/throwaway/containers 2>/dev/null | grep "^$P-"); do
	lxc-stop -k -P /var/lib/throwaway/containers -n "$c" >/dev/null 2>&1
	lxc-destroy -P /var/lib/throwaway/containers -n "$c" >/dev/null 2>&1
	rm -rf "/var/lib/throwaway/containers/$c"
	note copies
done
for c in $(lxc-ls -1 2>/dev/null | grep "^$P-"); do
	lxc-stop -k -n "$c" >/dev/null 2>&1
	lxc-destroy -n "$c" >/dev/null 2>&1
	note containers
done
rm -f /run/lxc/lock/var/lib/lxc/.$P-* /run/lxc/lock/var/lib/throwaway/containers/.$P-*
# liblxc's lock dirs for the containers of the suites' temp dirs
for d in /run/lxc/lock/run/$P.* /run/lxc/lock/run/${P/test/unit}.*; do
	[ -e "$d" ] && rm -rf "$d" && note lock-dirs
done

# tests/lxd.sh's daemon: its state dir names it.
for d in /var/lib/$P-lxd.*; do
	[ -e "$d" ] || continue
	pkill -KILL -f "$d" && sleep 1
	for m in $(awk -v d="$d" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r); do
		umount -l "$m"
	done
	rm -rf "$d"
	note lxd
done

# tests/bridge.sh's bridges, named twt-* (15 bytes at most), and web servers.
pkill -KILL -f "httpd .*-h /run/$P\\." && note web-servers
if [ "$P" = tw-test ]; then
	for b in $(ip -o link show type bridge 2>/dev/null | awk -F': ' '$2 ~ /^twt-/ { print $2 }'); do
		ip link del "$b" && note bridges
	done
fi

for f in /etc/pam.d/$P-*; do [ -e "$f" ] && rm -f "$f" && note pam-services; done
for r in /run/throwaway/ledger/*; do
	grep -qs "^user=$P-" "$r" && rm -f "$r" && note ledger
done
for u in $(getent passwd | awk -F: -v p="$P-" 'index($1, p) == 1 { print $1 }'); do
	userdel -r "$u" >/dev/null 2>&1 || userdel "$u" >/dev/null 2>&1
	note users
done
for g in $(getent group | awk -F: -v p="$P-" 'index($1, p) == 1 { print $1 }'); do
	groupdel "$g" 2>/dev/null
	note groups
done
for f in /etc/subuid /etc/subgid; do
	grep -q "^$P-" "$f" 2>/dev/null && sed -i "/^$P-/d" "$f" && note subids
done
for d in /run/$P.* /run/${P/test/unit}.*; do
	[ -e "$d" ] && rm -rf "$d" && note temp-dirs
done
for d in /var/lib/throwaway/kept/$P-*; do
	[ -e "$d" ] && rm -rf "$d" && note kept-data
done
# Cgroups last, deepest first: they empty once the processes are gone.
for d in $(find /sys/fs/cgroup -depth -name "*$P-*" 2>/dev/null); do
	rmdir "$d" 2>/dev/null && note cgroups
done

[ -n "$swept" ] && echo "# swept what an earlier, killed run left: $swept"
exit 0
