#!/bin/sh
# Install the Debian packages that building, the demo and the tests need.
# Run as root on Debian 12; a no-op when everything is there.
set -eu
# gcc-multilib: the attack tests build 32-bit and x32 probes. curl and
# xauth: the forwarding attacks (a SOCKS client; sshd's X11 forwarding).
# btrfs-progs: throwawayctl setup-disk makes the copies' capped disk.
# libcurl, json-c, libwebsockets: the lxd driver (HTTP, JSON, exec streams).
# sshfs: test_mounts (a FUSE mount of a sandboxed home on this host).
# strace: test_lxd_login counts the connections throwawayctl list opens.
PKGS="build-essential gcc-multilib pkg-config lxc liblxc1 lxc-dev libpam0g-dev libssh-dev libinih-dev
libcurl4-openssl-dev libjson-c-dev libwebsockets-dev
libcmocka-dev openssh-server openssh-client busybox-static uidmap mandoc tmux procps
iproute2 psmisc clang libclang-rt-14-dev dnsmasq-base dropbear-bin
dpkg-dev debhelper fakeroot cppcheck clang-tidy clang-format file curl xauth btrfs-progs sshfs strace"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine's package lists may be empty: update once, then install.
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null
