#!/bin/bash
# pool = N: copies made and started ahead of logins. throwawayctl pool
# fill makes them; a login takes one (the session's hostname, the user's
# passwd entry, home and binds are added to the running copy) and the pool
# refills behind it; every login still lands in a fresh copy; a user whose
# config makes a different copy is not given a pooled one; a config change
# drains the stale copies; a pooled copy stopped behind our back takes its
# record with it; throwawayctl pool drain leaves nothing. Both userns modes.
#
# And an attack: root inside a pooled copy (an admin's lxc-attach, or any
# root service of the origin), whose map passes every ordinary uid
# through, tries to act as another user (B) on the home and on a
# read-write bind: chown to B, files made as root or as B, B's private
# file read. Each fails; nothing on the host is owned by another uid
# afterwards, and the user's own files are theirs, inside and out.
source "$(dirname "$0")/../lib.sh"

CTL=${THROWAWAYCTL:-/usr/local/sbin/throwawayctl}
A=tw-test-qa B=tw-test-qb C=tw-test-qc
DATA=$TW_TMP/data RW=$TW_TMP/rw
LX=/var/lib/throwaway/containers

pool_conf() { # pool_conf N [more [global] lines]
	local n=$1
	shift
	tw_config "pool = $n" "bind = $DATA:/data:ro" "bind = $RW:/rw" "$@" \
		"[user:$B]" "memory_max = 512M" "[user:$C]" "bind = $DATA:/more:ro"
}

# A read-write bind of root's: a file of A's, a directory of A's that anyone
# may write, B's private file, and a directory of root's that anyone may write.
make_rw() {
	install -d -m 0755 "$RW" && install -m 0644 -o $A -g $A /dev/null "$RW/a-file" &&
		install -d -m 0777 -o $A -g $A "$RW/a-dir" && install -d -m 1777 "$RW/shared" &&
		echo secret-of-b >"$RW/b-secret" && chown $B:$B "$RW/b-secret" && chmod 0600 "$RW/b-secret"
}

# busybox's setpriv cannot change uids: the host's (its libraries are bound in).
tw_origin_create && install -m 0755 /usr/bin/setpriv "/var/lib/lxc/$TW_ORIGIN/rootfs/bin/tw-setpriv" &&
	mkdir -p "$DATA" && echo shared >"$DATA/file" && chmod 0755 "$DATA" && pool_conf 0 &&
	tw_user $A && tw_user $B && tw_user $C && make_rw && tw_sshd_start ||
	{ not_ok "setup"; tw_finish; exit 1; }
HOME_A=$(getent passwd $A | cut -d: -f6)
UID_A=$(id -u $A) GID_A=$(id -g $A) UID_B=$(id -u $B) GID_B=$(id -g $B)
trap drain EXIT

# --- root inside a pooled copy, against other users' ids ----------------

# A session of A's that took a pooled copy, held open; the user has made
# a file in the home and a directory there that anyone may write.
no_session_a() { [ -z "$(tw_session_of $A)" ]; }
hold_pooled() {
	local s
	wait_for 10 no_session_a
	tw_ssh_bg $A 'echo mine >~/x && mkdir -m 0777 ~/open && chmod 0777 ~/open && echo ready >~/ready; sleep 60' >/dev/null 2>&1
	HOLD=$!
	wait_for 20 test -e "$HOME_A/ready" || return 1
	s=$(tw_session_of $A) && [ -n "$s" ] && CTR=$(tw_field "$s" container) && [ -n "$CTR" ]
}
as_root_in() { timeout 20 lxc-attach --clear-env -P $LX -n "$CTR" -- "$@" </dev/null 2>&1; }
as_b_in() { as_root_in /bin/tw-setpriv --reuid=$UID_B --regid=$GID_B --clear-groups "$@"; }
# Files under the home and the bind that are owned by neither A nor root
# (the bind's own directory), or setuid/setgid to anyone but A, but B's own
# file: what an attack left on the host.
others_files() {
	find "$HOME_A" "$RW" -xdev \( \( ! -uid $UID_A ! -uid 0 \) -o \( ! -gid $GID_A ! -gid 0 \) \
		-o \( -perm -4000 ! -uid $UID_A \) -o \( -perm -2000 ! -gid $GID_A \) \) \
		! -path "$RW/b-secret" -printf '%p %u:%g %m\n' 2>/dev/null
}

pool_attack() {
	local m="$1 root inside a pooled copy:" out
	rm -rf "$RW" && make_rw || not_ok "$m the bind's files are made"
	check "$m A's session holds a pooled copy" hold_pooled
	expect_match "$m ... taken from the pool" "^$TW_ORIGIN-pool-" "${CTR:-}"
	# The pool's map passes B's uid through: root there can take it.
	[ "$userns" = yes ] && expect_eq "$m root becomes B's uid inside" "$UID_B" "$(as_b_in id -u)"
	out=$(as_root_in chown $UID_B:$GID_B "$HOME_A/x"; echo rc=$?)
	expect_match "$m chown of the user's file to B fails" "rc=[1-9]" "$out"
	as_root_in chmod 4755 "$HOME_A/x" >/dev/null
	expect_eq "$m ... the file stays the user's (chmod 4755 makes it setuid to them only)" \
		"$UID_A:$GID_A" "$(stat -c %u:%g "$HOME_A/x")"
	out=$(as_root_in chown $UID_B:$GID_B /rw/a-file; echo rc=$?)
	expect_match "$m chown of the user's file on the rw bind to B fails" "rc=[1-9]" "$out"
	for f in "$HOME_A/open/by-root" /rw/a-dir/by-root; do
		out=$(as_root_in touch "$f"; echo rc=$?)
		expect_match "$m root cannot make $f" "rc=[1-9]" "$out"
	done
	out=$(as_root_in sh -c "cp /bin/busybox /rw/a-dir/plant && chown $UID_B:$GID_B /rw/a-dir/plant && chmod 6755 /rw/a-dir/plant"; echo rc=$?)
	expect_match "$m root cannot plant a setuid-B program on the rw bind" "rc=[1-9]" "$out"
	for f in "$HOME_A/open/by-b" /rw/a-dir/by-b; do
		out=$(as_b_in touch "$f"; echo rc=$?)
		expect_match "$m B's uid cannot make $f" "rc=[1-9]" "$out"
	done
	out=$(as_b_in cat /rw/b-secret)
	check "$m B's uid cannot read B's private file on the bind ($out)" sh -c "! printf '%s' \"\$1\" | grep -q secret-of-b" _ "$out"
	out=$(as_root_in cat /rw/b-secret)
	check "$m root cannot read it either ($out)" sh -c "! printf '%s' \"\$1\" | grep -q secret-of-b" _ "$out"
	out=$(others_files)
	expect_eq "$m nothing on the host is owned by another uid afterwards" "" "$out"
	expect_eq "$m B's file is as it was" "$UID_B:$GID_B 600 secret-of-b" \
		"$(stat -c '%u:%g %a' "$RW/b-secret") $(cat "$RW/b-secret")"
	tw_stop "$HOLD"
	wait_for 20 pooled_is 2
	# The user, in a pooled copy: their own files as theirs, inside and out.
	out=$(tw_ssh $A 'echo $THROWAWAY_CONTAINER; stat -c %u:%g ~/x /rw/a-file; echo new >~/new; echo new >/rw/a-dir/new;
		cat ~/new /rw/a-dir/new; stat -c %u /rw/b-secret; touch /rw/shared/new 2>/dev/null; echo shared-rc=$?' 2>&1)
	expect_match "$m the user's next login takes a pooled copy" "^$TW_ORIGIN-pool-" "$out"
	expect_eq "$m ... their files are theirs inside, new ones too, B's shows as nobody" \
		"$UID_A:$GID_A $UID_A:$GID_A new new 65534" "$(echo "$out" | sed -n '2,6p' | tr '\n' ' ' | sed 's/ $//')"
	expect_eq "$m ... and theirs on the host" "$UID_A:$GID_A $UID_A:$GID_A" \
		"$(stat -c %u:%g "$HOME_A/new" "$RW/a-dir/new" | tr '\n' ' ' | sed 's/ $//')"
	# The price (SECURITY.md): what is neither the user's nor their group's is read-only there.
	expect_match "$m ... a directory of root's that anyone may write is read-only to them" \
		"shared-rc=[1-9]" "$out"
	rm -rf "$HOME_A/x" "$HOME_A/open" "$HOME_A/ready" "$HOME_A/new"
}

fill() { timeout 60 "$CTL" pool fill "$TW_CONF" >/dev/null; }
pooled() { grep -l '^state=pooled$' /run/throwaway/ledger/* 2>/dev/null | wc -l; }
pooled_is() { [ "$(pooled)" = "$1" ]; }
drain() { "$CTL" pool drain >/dev/null 2>&1; }

for userns in yes no; do
	m="userns = $userns:"
	pool_conf 2 "userns = $userns"
	drain
	fill
	expect_eq "$m pool fill makes the pooled copies" 2 "$(pooled)"
	check "$m they run, named after the origin" [ "$(tw_copies)" = 2 ]
	expect_match "$m throwawayctl list shows them as pooled" "pooled" "$("$CTL" list)"
	ids=$(grep -l '^state=pooled$' /run/throwaway/ledger/* | xargs -n1 basename | sort | tr '\n' ' ')

	out=$(tw_ssh $A 'echo "$THROWAWAY_SESSION $THROWAWAY_CONTAINER"; hostname; id -un; cat /data/file;
		echo in-home >~/from-pool; echo scratch >/tmp/scratch; touch /data/x 2>&1 | grep -c Read-only' 2>&1)
	set -- $(echo "$out" | sed -n 1p)
	check "$m the login took a pooled copy ($2)" [ "${ids/$1/}" != "$ids" ]
	expect_match "$m ... and it is one of the pool's" "^$TW_ORIGIN-pool-" "$2"
	expect_match "$m the copy's hostname is the session's name" "^$TW_ORIGIN-$A-[a-z0-9]{6}$" "$(echo "$out" | sed -n 2p)"
	expect_eq "$m the user, a bind and its ro flag are there" "$A shared 1" "$(echo "$out" | sed -n '3,5p' | tr '\n' ' ' | sed 's/ $//')"
	expect_eq "$m the home is the user's own" in-home "$(cat "$(getent passwd $A | cut -d: -f6)/from-pool")"
	check "$m the pool refills behind the login" wait_for 20 pooled_is 2
	out=$(tw_ssh $A 'cat /tmp/scratch 2>&1; echo $THROWAWAY_CONTAINER' 2>&1)
	expect_match "$m the next login is in a fresh copy" "No such file" "$out"
	out=$(tw_ssh $B 'echo $THROWAWAY_CONTAINER; cat /data/file' 2>&1)
	expect_match "$m a user whose copy differs gets one of its own" "^$TW_ORIGIN-$B-[a-z0-9]{6}" "$out"
	expect_match "$m ... with the binds all the same" "shared" "$out"
	out=$(tw_ssh $C 'echo $THROWAWAY_CONTAINER; cat /more/file' 2>&1)
	expect_match "$m a user with a bind of their own gets a copy of their own" "^$TW_ORIGIN-$C-[a-z0-9]{6}" "$out"
	expect_match "$m ... with that bind" "shared" "$out"
	wait_for 20 pooled_is 2
	pool_attack "$m"
	wait_for 20 pooled_is 2
done

# A config change drains the stale copies and makes new ones.
pool_conf 1 "tmpfs_size = 256M"
fill
expect_eq "after a config change the pool holds the new copies only" 1 "$(pooled)"
expect_match "... made with the new config" "tmpfs_size=268435456" "$(grep -h '^options=' $(grep -l '^state=pooled$' /run/throwaway/ledger/*))"

# A pooled copy stopped behind our back takes its record with it. Every
# keeper of the logins above refills the pool 300 ms after its session ends:
# those refills must be over first, or one of them makes the copy that this
# says is gone (seen in CI as "... nor a copy").
settled() { ! pgrep -f -- '--pool-fill' >/dev/null && ! pgrep -f '^throwaway-keeper' >/dev/null; }
wait_for 20 settled
c=$(grep -h '^container=' $(grep -l '^state=pooled$' /run/throwaway/ledger/*) | cut -d= -f2)
lxc-stop -k -P /var/lib/throwaway/containers -n "$c" >/dev/null 2>&1
check "a pooled copy stopped by lxc-stop leaves no record" wait_for 10 pooled_is 0
check "... nor a copy" wait_for 10 no_copies
# liblxc leaves its lock file after an outside stop; gc takes it after 60 s.
rm -f "/run/lxc/lock/var/lib/throwaway/containers/.$c"

# pool = 0 drains; pool drain drains.
fill
pool_conf 0
fill
expect_eq "pool = 0: the filler drains the pool" 0 "$(pooled)"
no_filler() { ! pgrep -f -- '--pool-fill' >/dev/null; }
pool_conf 1
fill
# A filler still at work (a refill after an earlier login, or the at-open
# one) would drain the copy itself once the config says pool = 0.
wait_for 10 no_filler
expect_eq "pool = 1 holds one copy" 1 "$(pooled)"
pool_conf 0 # a refill still on its way (300 ms after a login) drains instead
expect_match "pool drain destroys them" "1 copies destroyed" "$("$CTL" pool drain)"
check "... no filler is still at work" wait_for 10 no_filler
check "... and nothing of them is left" wait_for 10 no_copies
expect_eq "... no record either" 0 "$(ls /run/throwaway/ledger | wc -l)"

check_clean
tw_finish
