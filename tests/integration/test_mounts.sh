#!/bin/bash
# What a session's processes hold of the host's mounts. This host's / is
# private, so a mount namespace made by copying it (the keeper's, shared
# by the lxc monitor) receives no unmount from the host: every mount it
# copied stays alive until the session ends unless we drop it. So:
#  - a tmpfs mounted on the host before a login and unmounted during it is
#    gone from the mountinfo of every process on the machine;
#  - a same-host sshfs of a sandboxed user's home exits after fusermount
#    -u, and its session's copy goes with it: the FUSE mount is already
#    there when that session's keeper makes its namespace, so a keeper
#    that copied it held it, and the session held itself open (and so does
#    any later session's: one is opened while it is mounted);
#  - the keeper and its monitor hold no host mount off the paths they use;
#  - with pool = 1, neither the filler's monitor nor a pooled copy (given
#    the home when a login takes it) holds a host mount beneath the home.
# With the busybox origin the suite makes; with TW_MOUNTS_DEBIAN=1 (make
# check-slow, tests/slow/test_mounts_debian.sh) with a Debian origin made
# by config/make-debian-origin.sh.
source "$(dirname "$0")/../lib.sh"

make_origin() {
	[ -z "${TW_MOUNTS_DEBIAN:-}" ] && {
		tw_origin_create
		return
	}
	TW_ORIGIN=tw-test-deb$TW_ID # tw_cleanup and tw_residue go by it
	local t0=$SECONDS
	"$TW_ROOT/config/make-debian-origin.sh" "$TW_ORIGIN" >"$TW_TMP/make-origin.log" 2>&1 || {
		sed 's/^/#   /' "$TW_TMP/make-origin.log"
		return 1
	}
	echo "# Debian origin made in $((SECONDS - t0)) s"
}

make_origin && tw_config && tw_user tw-test-mona && tw_user tw-test-nils && tw_sshd_start ||
	{ not_ok "setup"; tw_finish; exit 1; }
M=tw-test-mona
N=tw-test-nils
TAG=tw-test-mnt$TW_ID # the source name of our host mounts, unique to this run
MP=$TW_TMP/hostmnt
mkdir -p "$MP"

# USER's program runs: the keeper has an attached child. Sets SID.
program_runs() { SID=$(tw_session_of "$1") && [ -n "$SID" ] && pgrep -u "$1" -P "$(tw_field "$SID" keeper)" >/dev/null; }

# The processes that hold a mount whose source is $TAG, as "pid command" lines.
holders() {
	local f p
	for f in /proc/[0-9]*/mountinfo; do
		grep -qs " $TAG " "$f" || continue
		p=${f#/proc/}
		p=${p%/mountinfo}
		echo "$p $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-80)"
	done
}
none_holds() { [ -z "$(holders)" ]; }
is_mounted() { grep -qs " $TAG " /proc/self/mountinfo; }

# 1. A host tmpfs, mounted before the login, unmounted during it.
mount -t tmpfs -o size=1M "$TAG" "$MP"
tw_ssh_bg $M "sleep 60" >"$TW_TMP/client.out" 2>&1
CLIENT=$!
wait_for 10 program_runs $M || { not_ok "a session runs"; tw_dump; }
KEEPER=$(tw_field "$SID" keeper)
MONITOR=$(pgrep -f "lxc monitor.*$TW_ORIGIN-$M")
check "the keeper has a mount namespace of its own" \
	[ "$(readlink /proc/"$KEEPER"/ns/mnt)" != "$(readlink /proc/self/ns/mnt)" ]
umount "$MP"
expect_eq "the host unmounts its tmpfs during the session" 0 "$?"
check "and no process holds it any more (keeper, monitor, copy)" wait_for 2 none_holds
holders | sed 's/^/#   held by: /'

# What the keeper and the monitor hold: the way to what they use, never
# what lies off it (a host mount made before the login under /mnt, where
# nothing of ours looks). Mount and unmount it around a second login.
mkdir -p /mnt/"$TAG"
mount -t tmpfs -o size=1M "$TAG" /mnt/"$TAG"
tw_ssh_bg $N "sleep 60" >"$TW_TMP/client2.out" 2>&1
CLIENT2=$!
wait_for 10 program_runs $N || { not_ok "a second session runs"; tw_dump; }
expect_eq "a host mount under /mnt is not in the new keeper's namespace" "" \
	"$(grep " $TAG " /proc/"$(tw_field "$SID" keeper)"/mountinfo)"
umount /mnt/"$TAG"
rmdir /mnt/"$TAG"
check "nor in any process once the host unmounts it" wait_for 2 none_holds
off_the_way() {
	[ -n "$1" ] && [ -r "/proc/$1/mountinfo" ] || { echo "no such process"; return; }
	awk '{ print $5 }' "/proc/$1/mountinfo" | grep -E '^/(mnt|media|srv|home/[^/]+/)' | head -3
}
expect_eq "the keeper holds no mount off the way to what it uses" "" "$(off_the_way "$KEEPER")"
expect_eq "nor does the lxc monitor" "" "$(off_the_way "$MONITOR")"
tw_stop "$CLIENT" "$CLIENT2"
check "both copies are gone within 5 s" wait_for 5 no_copies
check_clean "nothing left behind by the tmpfs cases"

# 2. sshfs of M's home on this host; while it is mounted, another session opens.
sshfs_of() {
	sshfs -f -p "$TW_PORT" -o IdentityFile="$TW_TMP/$M.key",BatchMode=yes,StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null,LogLevel=ERROR,fsname="$TAG" "$M@127.0.0.1:" "$MP"
}
sshfs_mounted() { is_mounted && [ -e "$MP/.ssh/authorized_keys" ]; }
sshfs_of >"$TW_TMP/sshfs.out" 2>&1 &
SSHFS=$!
if wait_for 15 sshfs_mounted; then ok "sshfs mounts M's home from its copy"; else
	not_ok "sshfs mounts M's home from its copy"
	sed 's/^/#   sshfs: /' "$TW_TMP/sshfs.out"
	tw_dump
fi
SSHFS_SID=$(tw_session_of $M)
tw_ssh_bg $N "sleep 60" >"$TW_TMP/client3.out" 2>&1
CLIENT3=$!
wait_for 10 program_runs $N || { not_ok "a later session runs"; tw_dump; }
fusermount -u "$MP"
expect_eq "fusermount -u succeeds" 0 "$?"
sshfs_gone() { ! kill -0 "$SSHFS" 2>/dev/null; }
if wait_for 5 sshfs_gone; then ok "sshfs exits within 5 s of fusermount -u"; else
	not_ok "sshfs exits within 5 s of fusermount -u"
	holders | sed 's/^/#   held by: /'
fi
tw_stop "$SSHFS"
session_gone() { [ ! -e "/run/throwaway/ledger/$SSHFS_SID" ]; }
check "and its session's copy is gone within 5 s" wait_for 5 session_gone
check "no process holds the FUSE mount" wait_for 2 none_holds
tw_stop "$CLIENT3"
check_clean "nothing left behind by the sshfs case"

# 3. pool = 1: a pooled copy is made by the filler in a namespace of its
# own, and gets the home when a login takes it, from that login's keeper.
# A host mount beneath the home, there before both, is held by neither.
CTL=/usr/local/sbin/throwawayctl
SUB=$(getent passwd $M | cut -d: -f6)/sub
mkdir "$SUB"
mount -t tmpfs -o size=1M "$TAG" "$SUB"
tw_config "pool = 1"
timeout 60 "$CTL" pool fill "$TW_CONF" >/dev/null
pooled() { grep -l '^state=pooled$' /run/throwaway/ledger/* 2>/dev/null | wc -l; }
expect_eq "pool = 1: the filler makes a pooled copy" 1 "$(pooled)"
tw_ssh_bg $M "sleep 60" >"$TW_TMP/client4.out" 2>&1
CLIENT4=$!
wait_for 10 program_runs $M || { not_ok "a session runs"; tw_dump; }
expect_match "the login takes the pooled copy" "^$TW_ORIGIN-pool-" "$(tw_field "$SID" container)"
umount "$SUB"
expect_eq "the host unmounts a tmpfs beneath the home during the session" 0 "$?"
check "and no process holds it (filler's monitor, pooled copy)" wait_for 2 none_holds
holders | sed 's/^/#   held by: /'
tw_config "pool = 0" # the keeper's refill after the logout drains instead
tw_stop "$CLIENT4"
# The refill the login's adoption started (300 ms after it, with pool = 1
# still) may be making a copy now: drain once it is done, or its copy would
# come after the drain.
no_filler() { ! pgrep -f -- '--pool-fill' >/dev/null; }
check "no filler is left at work" wait_for 60 no_filler
"$CTL" pool drain >/dev/null 2>&1
check_clean "nothing left behind by the pool case"

rmdir "$MP" "$SUB"
tw_finish
