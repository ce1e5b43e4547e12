#!/bin/bash
# The disk cap of storage = dir and keep = yes: throwawayctl setup-disk
# (a btrfs image with quotas, mounted on /var/lib/throwaway; refused where
# it would hide something), a storage = dir login refused without it, a
# user's dd stopped at dir_size while the host's file system keeps its
# free space (for userns = yes and no), doctor's verdicts, and keep = yes
# past kept_total removing the oldest kept sessions first.
source "$(dirname "$0")/../lib.sh"

CTL=${THROWAWAYCTL:-/usr/local/sbin/throwawayctl}
KEPT=/var/lib/throwaway/kept
IMG=/var/lib/throwaway.img
U=tw-test-dcap K=tw-test-dkeep

base_conf() {
	tw_config "storage = dir" "dir_size = 16M" \
		"[user:$K]" "keep = yes" "kept_total = 40M" "dir_size = 24M"
}

tw_origin_create && base_conf && tw_user $U && tw_user $K && tw_sshd_start ||
	{ not_ok "setup"; tw_finish; exit 1; }

gone() { ! grep -lqs "^user=$1\$" /run/throwaway/ledger/*; }
host_avail() { df --output=avail -B1M /var/lib | tail -1 | tr -d ' '; }

# --- before setup-disk --------------------------------------------------

if mountpoint -q /var/lib/throwaway || [ -e $IMG ]; then
	not_ok "the machine has a disk set up already: the cases below need none"
	tw_finish
	exit 1
fi
out=$(tw_ssh $U true 2>&1)
expect_match "storage = dir without the disk cap is refused, naming the fix" \
	"storage = dir needs a disk cap.*throwawayctl setup-disk" "$out"
out=$("$CTL" doctor "$TW_CONF")
expect_match "doctor fails storage = dir without the disk cap" \
	"^fail +disk +/var/lib/throwaway/containers has no disk cap" "$out"
touch /var/lib/throwaway/tw-test-hidden
out=$("$CTL" setup-disk 256M 2>&1)
rc=$?
expect_match "setup-disk refuses to hide what is there" "tw-test-hidden is there" "$out"
check_all "and makes no image ($rc)" '[ "$rc" = 1 ] && [ ! -e $IMG ]'
rm -f /var/lib/throwaway/tw-test-hidden
out=$("$CTL" setup-disk 1Q 2>&1)
expect_match "setup-disk refuses a bad size" "^usage: " "$out"

# --- setup-disk ---------------------------------------------------------

tw_disk 256M || { not_ok "setup-disk"; tw_finish; exit 1; }
ok "setup-disk makes and mounts the disk"
check "its blocks are taken up front" [ "$(($(stat -c '%b * %B' $IMG)))" -ge $((256 << 20)) ]
expect_eq "the disk is a btrfs" "btrfs" "$(stat -f -c %T /var/lib/throwaway)"
expect_match "setup-disk again says it is there" "has its disk cap already" "$("$CTL" setup-disk 2>&1)"
out=$("$CTL" doctor "$TW_CONF")
expect_match "doctor: the disk is capped" "^ok +disk +/var/lib/throwaway/containers is capped" "$out"

# --- dir_size -----------------------------------------------------------

for userns in yes no; do
	base_conf
	echo "userns = $userns" >>"$TW_CONF"
	before=$(host_avail)
	blocks=$(stat -c %b $IMG)
	out=$(tw_ssh $U 'dd if=/dev/zero of=/tmp/big bs=1M count=128 2>&1; ls -l /tmp/big' 2>&1)
	expect_match "userns = $userns: dd stops at dir_size" \
		"(Disk quota exceeded|No space left on device)" "$out"
	size=$(echo "$out" | awk '$NF == "/tmp/big" { print $5 }')
	check "userns = $userns: what it wrote is within the 16M cap ($size)" \
		[ -n "$size" ] && [ "$size" -le $((16 * 1024 * 1024)) ] && [ "$size" -ge $((8 * 1024 * 1024)) ]
	expect_eq "userns = $userns: the image took no more of the host's disk" "$blocks" "$(stat -c %b $IMG)"
	after=$(host_avail)
	check "userns = $userns: the host's file system kept its free space ($before -> $after MiB)" \
		[ $((before - after)) -lt 64 ]
	wait_for 10 gone $U || not_ok "userns = $userns: the session ended"
done
base_conf
check "the copies are gone, their subvolumes too" \
	[ -z "$(ls -A /var/lib/throwaway/containers)" ]

# --- kept_total ---------------------------------------------------------

sids=()
for i in 1 2 3 4; do
	out=$(tw_ssh $K "dd if=/dev/zero of=/tmp/f$i bs=1M count=12 2>/dev/null; echo \$THROWAWAY_SESSION" 2>&1)
	sids+=("$(echo "$out" | tail -1)")
	wait_for 10 gone $K || not_ok "kept login $i ended"
	sleep 1 # kept in seconds: one each, so that oldest is plain
done
list=$("$CTL" kept list $K)
check "keep: all four logins ran (${sids[*]})" [ "$(printf '%s\n' "${sids[@]}" | grep -cE '^[0-9a-f]{16}$')" = 4 ]
check "past kept_total the oldest kept session is removed" [ ! -e "$KEPT/$K/${sids[0]}" ]
for i in 1 2 3; do
	check "kept session $((i + 1)) stays" [ -s "$KEPT/$K/${sids[$i]}/upper/tmp/f$((i + 1))" ]
done
expect_eq "kept list shows the three" 3 "$(echo "$list" | grep -c "^$K ")"
expect_match "kept list sizes them from their quota (about 12M)" "^$K +${sids[3]} +[^ ]+ +1[2-3](\.[0-9])?M " "$list"
expect_eq "kept data is root-only" "700 root" "$(stat -c '%a %U' "$KEPT/$K/${sids[3]}")"

# one whose upper alone passes kept_total is not kept at all
tw_config "storage = dir" "[user:$K]" "keep = yes" "kept_total = 40M" "dir_size = 64M"
out=$(tw_ssh $K "dd if=/dev/zero of=/tmp/g bs=1M count=48 2>/dev/null; echo \$THROWAWAY_SESSION" 2>&1)
sid=$(echo "$out" | tail -1)
wait_for 10 gone $K
check_all "a session alone over kept_total is not kept ($sid)" '[ ${#sid} = 16 ] && [ ! -e "$KEPT/$K/$sid" ]'
check_all "and the older ones, within it, stay" '[ -d "$KEPT/$K/${sids[1]}" ] && [ -d "$KEPT/$K/${sids[3]}" ]'
for i in 1 2 3; do "$CTL" kept rm $K "${sids[$i]}" >/dev/null; done
check "kept rm removes kept subvolumes" [ ! -e "$KEPT/$K" ]
base_conf

# --- a crash: the keeper and the copy's monitor killed, then gc -----------

sleeps() { pgrep -u $K -x sleep >/dev/null; }
tw_ssh_bg $K 'echo crashed >/tmp/crash; sleep 60' >/dev/null 2>&1
client=$!
wait_for 20 sleeps || not_ok "crash: the session started"
sid=$(tw_session_of $K)
kill -KILL "$(tw_field "$sid" keeper)"
pkill -KILL -f "lxc monitor.*$TW_ORIGIN-"
sleep 0.5
"$CTL" gc >/dev/null
check "crash: gc destroys the copy, its subvolume too" wait_for 10 no_copies
expect_eq "crash: what it wrote is kept" "crashed" "$(cat "$KEPT/$K/$sid/upper/tmp/crash" 2>&1)"
expect_match "crash: kept rm removes it" "^removed $K/$sid" "$("$CTL" kept rm $K "$sid")"
tw_stop "$client"
check "the disk holds no copy and no kept data" \
	[ -z "$(ls -A /var/lib/throwaway/containers)" ] && [ ! -e "$KEPT" ]

check_clean
tw_finish
