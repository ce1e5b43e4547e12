#!/bin/sh
# make-debian-origin.sh NAME [LXCPATH]
#
# Make a Debian 12 (bookworm) LXC container with systemd as init, fit to be
# a throwaway origin: many short-lived overlay copies boot from it at once.
#
# - debootstrap --variant=minbase plus systemd, systemd-sysv, dbus,
#   openssh-server and iproute2, from http://deb.debian.org/debian. The
#   finished debootstrap tree is cached under /var/cache/throwaway/, so a
#   second origin takes seconds (delete the cache directory to refresh it).
# - No network in the config (lxc.net.0.type = empty) and no DHCP client:
#   copies that get one (network = veth:BRIDGE) get their address from
#   the host.
# - Units that make no sense in a container are masked, /etc/machine-id is
#   empty (each boot gets a transient one), /etc/hostname is absent (the
#   copy keeps the name liblxc gives it), and the ssh host keys are removed:
#   each copy makes its own on first boot (ssh-hostkeys.service).
#
# Must run as root. The origin is left stopped; keep it stopped.
set -eu

MIRROR=${MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
CACHE_BASE=${THROWAWAY_CACHE:-/var/cache/throwaway}
PACKAGES=systemd,systemd-sysv,dbus,openssh-server,iproute2

usage() {
	echo "usage: $0 NAME [LXCPATH]" >&2
	exit 2
}

if [ $# -lt 1 ] || [ $# -gt 2 ]; then usage; fi
NAME=$1
LXCPATH=${2:-/var/lib/lxc}
case $NAME in
'' | -* | *[!A-Za-z0-9_.-]*) echo "$0: bad container name: $NAME" >&2; exit 2 ;;
esac
case $LXCPATH in
/*) ;;
*) echo "$0: LXCPATH must be absolute: $LXCPATH" >&2; exit 2 ;;
esac
[ "$(id -u)" = 0 ] || { echo "$0: must run as root" >&2; exit 1; }

CTDIR=$LXCPATH/$NAME
ROOTFS=$CTDIR/rootfs
if [ -e "$CTDIR" ]; then
	echo "$0: $CTDIR already exists" >&2
	exit 1
fi

if ! command -v debootstrap >/dev/null 2>&1; then
	apt-get install -y debootstrap >/dev/null 2>&1 ||
		{ apt-get update >/dev/null && apt-get install -y debootstrap; }
fi

ARCH=$(dpkg --print-architecture)
CACHE=$CACHE_BASE/debian-$SUITE-$ARCH
mkdir -p "$CACHE_BASE"
chmod 0700 "$CACHE_BASE"

# One debootstrap at a time per cache; others wait for it and reuse it.
exec 9>"$CACHE_BASE/.lock"
flock 9

if [ ! -d "$CACHE/rootfs" ] || [ "$(cat "$CACHE/packages" 2>/dev/null)" != "$PACKAGES" ]; then
	rm -rf "$CACHE"
	mkdir -p "$CACHE"
	echo "debootstrap $SUITE ($ARCH) into $CACHE (first run only)..." >&2
	debootstrap --variant=minbase --include="$PACKAGES" --arch="$ARCH" \
		"$SUITE" "$CACHE/partial" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 || {
		tail -n 30 "$CACHE/debootstrap.log" >&2
		rm -rf "$CACHE/partial"
		exit 1
	}
	# No downloaded .debs in the cache; apt lists stay out of the origin.
	rm -rf "$CACHE"/partial/var/cache/apt/archives/*.deb \
		"$CACHE"/partial/var/lib/apt/lists/*
	mv "$CACHE/partial" "$CACHE/rootfs"
	echo "$PACKAGES" >"$CACHE/packages"
fi

mkdir -p "$LXCPATH"
mkdir -m 0755 "$CTDIR"
trap 'rm -rf "$CTDIR"' EXIT
cp -a "$CACHE/rootfs" "$ROOTFS"
exec 9>&-

R=$ROOTFS
# Unit links, made by hand: no systemctl runs inside the rootfs.
mask() { for u in "$@"; do ln -sfn /dev/null "$R/etc/systemd/system/$u"; done; }
want() { # want TARGET UNIT
	mkdir -p "$R/etc/systemd/system/$1.wants"
	ln -sfn "/etc/systemd/system/$2" "$R/etc/systemd/system/$1.wants/$2"
}

# Identity: fresh per copy.
: >"$R/etc/machine-id"
rm -f "$R/var/lib/dbus/machine-id"
ln -s /etc/machine-id "$R/var/lib/dbus/machine-id"
rm -f "$R/etc/hostname"
cat >"$R/etc/hosts" <<'EOF'
127.0.0.1	localhost
::1		localhost ip6-localhost ip6-loopback
EOF
: >"$R/etc/fstab"
printf 'deb %s %s main\ndeb http://security.debian.org/debian-security %s-security main\n' \
	"$MIRROR" "$SUITE" "$SUITE" >"$R/etc/apt/sources.list"

# SSH host keys: none in the origin, made by each copy before sshd starts.
rm -f "$R"/etc/ssh/ssh_host_*
cat >"$R/etc/systemd/system/ssh-hostkeys.service" <<'EOF'
[Unit]
Description=Generate this copy's SSH host keys
DefaultDependencies=no
Before=ssh.service
After=local-fs.target
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
# ed25519 and ECDSA only: an RSA key (ssh-keygen -A) adds ~2 s to every boot.
ExecStart=/usr/bin/ssh-keygen -q -t ed25519 -N "" -f /etc/ssh/ssh_host_ed25519_key
ExecStart=/usr/bin/ssh-keygen -q -t ecdsa -N "" -f /etc/ssh/ssh_host_ecdsa_key

[Install]
WantedBy=ssh.service
EOF
want ssh.service ssh-hostkeys.service
printf 'HostKey /etc/ssh/ssh_host_ed25519_key\nHostKey /etc/ssh/ssh_host_ecdsa_key\n' \
	>"$R/etc/ssh/sshd_config.d/throwaway-hostkeys.conf"
want multi-user.target ssh-hostkeys.service

# No DHCP client: copies with network = veth:BRIDGE get their address,
# prefix and route from the host before init runs, and have no net_admin
# to change them, so systemd-networkd (which needs it) stays off.
rm -f "$R/etc/systemd/system/sockets.target.wants/systemd-networkd.socket" \
	"$R/etc/systemd/system/multi-user.target.wants/systemd-networkd.service"

# Nothing of this makes sense in a container (no hardware, no kernel
# tunables, no consoles but lxc's, no audit, no first-boot wizard).
mask systemd-udevd.service systemd-udevd-control.socket systemd-udevd-kernel.socket \
	systemd-udev-trigger.service systemd-udev-settle.service \
	systemd-remount-fs.service systemd-journald-audit.socket \
	sys-kernel-debug.mount sys-kernel-tracing.mount sys-kernel-config.mount \
	sys-fs-fuse-connections.mount dev-hugepages.mount dev-mqueue.mount \
	proc-sys-fs-binfmt_misc.automount proc-sys-fs-binfmt_misc.mount \
	systemd-binfmt.service systemd-modules-load.service systemd-sysctl.service \
	kmod-static-nodes.service systemd-hwdb-update.service \
	systemd-firstboot.service systemd-machine-id-commit.service \
	systemd-networkd-wait-online.service systemd-pstore.service \
	systemd-random-seed.service systemd-update-utmp-runlevel.service \
	apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service \
	fstrim.timer \
	getty@tty1.service getty@tty2.service getty@tty3.service \
	getty@tty4.service getty@tty5.service getty@tty6.service
rm -f "$R/etc/systemd/system/getty.target.wants/getty@tty1.service"

# Journal in memory only: copies are short-lived, many at once.
mkdir -p "$R/etc/systemd/journald.conf.d"
printf '[Journal]\nStorage=volatile\nRuntimeMaxUse=16M\n' \
	>"$R/etc/systemd/journald.conf.d/throwaway.conf"

# No logs or caches of the build in the origin.
rm -rf "$R"/var/log/*.log "$R"/var/log/apt/* "$R"/var/cache/debconf/*-old \
	"$R"/var/cache/apt/*.bin

cat >"$CTDIR/config" <<EOF
# Debian $SUITE with systemd, made by make-debian-origin.sh
lxc.arch = $ARCH
lxc.rootfs.path = dir:$ROOTFS
lxc.uts.name = $NAME
lxc.net.0.type = empty
lxc.tty.max = 0
lxc.pty.max = 256
lxc.autodev = 1
# systemd halts on SIGRTMIN+3 and reboots on SIGINT.
lxc.signal.halt = SIGRTMIN+3
lxc.signal.reboot = SIGINT
lxc.init.cmd = /sbin/init
lxc.mount.auto = proc:mixed sys:ro cgroup:mixed
# systemd mounts these itself only with CAP_SYS_ADMIN, and stops if it
# cannot; throwaway drops that capability, so liblxc mounts them first.
lxc.mount.entry = tmpfs run tmpfs rw,nosuid,nodev,mode=0755,size=64m 0 0
lxc.mount.entry = tmpfs run/lock tmpfs rw,nosuid,nodev,noexec,mode=1777,size=5m,create=dir 0 0
lxc.mount.entry = tmpfs dev/shm tmpfs rw,nosuid,nodev,mode=1777,create=dir 0 0
EOF
chmod 0640 "$CTDIR/config"
trap - EXIT
echo "origin $NAME ready in $CTDIR ($(du -sh "$ROOTFS" | cut -f1))" >&2
