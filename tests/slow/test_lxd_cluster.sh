#!/bin/bash
# Slow and optional (make check-slow): backend = lxd against a three-member
# LXD cluster. Each member is a privileged LXC container made here
# (tw-test-*) that runs the host's own lxd (read-only /usr, a copy of
# /etc, its own /var/lib/lxd, /run, /tmp), on a bridge made here with
# static addresses and no route anywhere else; member 1 is bootstrapped
# with a preseed, members 2 and 3 join with tokens. The host's sshd with
# the project's PAM service talks to member 1's unix socket; the test
# user's home is bound into every member at its own path. Logins spread
# over the members; one member's LXD killed mid-session ends the sessions
# whose instances run there, with the reason on the client's stderr, and
# no others. Everything made here is taken away again.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/lxd.sh
source "$TW_ROOT/tests/lxd.sh" # the image and its import; not its daemon

A=tw-test-cla
CL_BRIDGE=tw-br$TW_ID
CL_NET=10.213.$((TW_ID % 250))
CL_PORT=8443
CL_MEMBERS=(1 2 3)

ct_name() { echo "tw-test-cl$TW_ID-$1"; }
ct_root() { echo "/var/lib/lxc/$(ct_name "$1")/rootfs"; }
ct_addr() { echo "$CL_NET.$((10 + $1))"; }
member_name() { echo "tw-test-m$1"; }
# lxcm N ARGS...: the lxc client against member N's unix socket, from the host.
lxcm() {
	local n=$1
	shift
	LXD_DIR=$(ct_root "$n")/var/lib/lxd lxc "$@"
}
ct_attach() {
	local n=$1
	shift
	lxc-attach -n "$(ct_name "$n")" --clear-env \
		--set-var PATH=/usr/sbin:/usr/bin:/sbin:/bin -- "$@"
}

# The bridge alone: no address, no route, so the members reach each other
# and nothing else.
bridge_up() {
	ip link add "$CL_BRIDGE" type bridge && ip link set "$CL_BRIDGE" up
}

# A member's rootfs: the host's /usr bound read-only (and the usr-merged
# links), a copy of /etc, empty /var/lib/lxd, /run, /tmp.
ct_rootfs() {
	local r=$1 l
	install -d "$r/usr" "$r/proc" "$r/sys" "$r/dev" "$r/run" "$r/var/lib/lxd" \
		"$r/var/log" "$r/var/cache" "$r/root" "$r/home" "$r/mnt" || return 1
	install -d -m 1777 "$r/tmp" "$r/var/tmp" || return 1
	for l in bin sbin lib lib64; do ln -s "usr/$l" "$r/$l" || return 1; done
	cp -a /etc "$r/etc" || return 1
	echo '::ctrlaltdel:/bin/true' >"$r/etc/inittab"
	rm -f "$r/etc/hostname"
	# LXD takes root's first range that holds 65536 ids: the largest first
	# (as tests/lxd.sh does, here in the member's own copy).
	for l in subuid subgid; do
		{
			awk -F: '$1 == "root"' "/etc/$l" | sort -t: -k3,3nr | head -1
			cat "/etc/$l"
		} >"$r/etc/$l.new" && mv "$r/etc/$l.new" "$r/etc/$l" || return 1
	done
}

ct_config() {
	local n=$1 home=$2
	cat <<CONF
lxc.uts.name = $(member_name "$n")
lxc.rootfs.path = dir:$(ct_root "$n")
lxc.init.cmd = /usr/bin/busybox init
lxc.autodev = 1
# cgroup:rw alone is left to the container's init where the kernel has
# cgroup namespaces; busybox init mounts none, and LXD inside needs them
# to set an instance's limits: hence :force.
lxc.mount.auto = proc:rw sys:rw cgroup:rw:force
lxc.apparmor.profile = unconfined
# An uncovered proc and sysfs besides the container's own (as LXC's
# nesting.conf adds): the kernel lets a user namespace mount proc or sysfs
# only where one is fully visible, and an unprivileged instance needs to.
lxc.mount.entry = proc dev/.lxc/proc proc create=dir,optional 0 0
lxc.mount.entry = sys dev/.lxc/sys sysfs create=dir,optional 0 0
lxc.mount.entry = /usr usr none bind,ro 0 0
lxc.mount.entry = $home ${home#/} none bind,create=dir 0 0
lxc.mount.entry = /dev/fuse dev/fuse none bind,create=file,optional 0 0
lxc.mount.entry = /dev/net/tun dev/net/tun none bind,create=file,optional 0 0
lxc.net.0.type = veth
lxc.net.0.link = $CL_BRIDGE
lxc.net.0.flags = up
lxc.net.0.name = eth0
lxc.net.0.ipv4.address = $(ct_addr "$n")/24
CONF
}

ct_create() {
	local n=$1 home=$2 d
	d=/var/lib/lxc/$(ct_name "$n")
	install -d -m 0700 "$d" || return 1
	ct_config "$n" "$home" >"$d/config" || return 1
	ct_rootfs "$d/rootfs" || return 1
	lxc-start -n "$(ct_name "$n")" -l INFO -o "$TW_TMP/ct$n.log" || {
		echo "# lxc-start $(ct_name "$n") failed:"
		tail -n 20 "$TW_TMP/ct$n.log" | sed 's/^/#   /'
		return 1
	}
	lxc-wait -n "$(ct_name "$n")" -s RUNNING -t 30
}

# member_lxd_start N: the member's lxd daemon, started inside it (no
# systemd there), until it answers on its socket.
member_lxd_start() {
	local n=$1
	ct_attach "$n" sh -c 'setsid lxd --group root --logfile /var/log/lxd.log \
		</dev/null >>/var/log/lxd.out 2>&1 &' || return 1
	LXD_DIR=$(ct_root "$n")/var/lib/lxd lxd waitready --timeout 60 && return 0
	echo "# member $n's lxd did not become ready:"
	tail -n 20 "$(ct_root "$n")/var/log/lxd.log" "$(ct_root "$n")/var/log/lxd.out" |
		sed 's/^/#   /'
	return 1
}

member_lxd_kill() {
	ct_attach "$1" pkill -KILL -f '^lxd --group root'
}

# The preseed of the bootstrap member: a cluster, a dir pool, no network.
bootstrap_preseed() {
	cat <<YAML
config:
  core.https_address: $(ct_addr 1):$CL_PORT
  cluster.https_address: $(ct_addr 1):$CL_PORT
cluster:
  server_name: $(member_name 1)
  enabled: true
YAML
	tw_lxd_pool_yaml
}

# The preseed of a joining member: its address and the token member 1
# made for it; the pool's per-member source is its own default.
join_preseed() {
	local n=$1 token=$2
	cat <<YAML
cluster:
  enabled: true
  server_name: $(member_name "$n")
  server_address: $(ct_addr "$n"):$CL_PORT
  cluster_address: $(ct_addr 1):$CL_PORT
  cluster_token: $token
  member_config:
  - entity: storage-pool
    name: $TW_LXD_POOL
    key: source
    value: ""
YAML
}

# preseed N: lxd init inside member N, which reaches the others' addresses
# (the host has no route to them, as it must not).
preseed() {
	local n=$1 log=$TW_TMP/init$1.log
	ct_attach "$n" lxd init --preseed >"$log" 2>&1 && return 0
	sed "s/^/#   member $n: lxd init: /" "$log"
	return 1
}

member_join() {
	local n=$1 token
	token=$(lxcm 1 cluster add "$(member_name "$n")" 2>"$TW_TMP/token$n.err" | tail -n 1)
	if [ -z "$token" ]; then
		sed "s/^/#   lxc cluster add: /" "$TW_TMP/token$n.err"
		return 1
	fi
	join_preseed "$n" "$token" | preseed "$n"
}

cluster_up() {
	local n
	bootstrap_preseed | preseed 1 || return 1
	for n in 2 3; do member_join "$n" || return 1; done
	LXD_DIR=$(ct_root 1)/var/lib/lxd tw_lxd_image_import
}

cluster_online() {
	[ "$(lxcm 1 cluster list --format csv 2>/dev/null | grep -c ',ONLINE,')" = 3 ]
}

# Every container, the bridge, the state: what this test made, gone.
cluster_down() {
	local n c
	for n in "${CL_MEMBERS[@]}"; do
		c=$(ct_name "$n")
		[ -e "/var/lib/lxc/$c" ] || continue
		lxc-stop -k -n "$c" >/dev/null 2>&1
		lxc-destroy -n "$c" >"$TW_TMP/destroy$n.log" 2>&1 || {
			sed "s/^/#   lxc-destroy $c: /" "$TW_TMP/destroy$n.log"
			rm -rf "/var/lib/lxc/$c"
		}
		rm -f "/run/lxc/lock/var/lib/lxc/.$c"
	done
	ip link del "$CL_BRIDGE" 2>/dev/null
	return 0
}

cluster_residue() {
	local out="" n
	for n in "${CL_MEMBERS[@]}"; do
		[ -e "/var/lib/lxc/$(ct_name "$n")" ] && out+="container-$n "
	done
	ip link show "$CL_BRIDGE" >/dev/null 2>&1 && out+="bridge "
	grep -q "tw-test-cl$TW_ID" /proc/mounts && out+="mounts "
	pgrep -x lxd >/dev/null && out+="lxd-processes "
	find /sys/fs/cgroup -maxdepth 3 -name "*tw-test-cl$TW_ID*" | grep -q . && out+="cgroups "
	[ -n "$out" ] && echo "$out"
	return 0
}

# The sessions end first, while their instances can still be deleted.
sessions_end() {
	[ -s "$TW_TMP/sshd.pid" ] && kill "$(cat "$TW_TMP/sshd.pid")" 2>/dev/null
	pkill -KILL -u $A 2>/dev/null
	wait_for 60 no_session
}
no_session() { ! has_session $A; }
trap 'sessions_end; cluster_down; tw_finish >/dev/null' EXIT

setup() {
	tw_lxd_deps && tw_user $A || return 1
	HOME_A=$(getent passwd $A | cut -d: -f6)
	bridge_up || return 1
	for n in "${CL_MEMBERS[@]}"; do ct_create "$n" "$HOME_A" || return 1; done
	for n in "${CL_MEMBERS[@]}"; do member_lxd_start "$n" || return 1; done
}

# A step the rest needs: its failure ends the test (a failure, never a skip).
must() {
	local name=$1
	shift
	"$@" && { ok "$name"; return 0; }
	not_ok "$name"
	exit 1
}
must "three member containers run, each with its lxd" setup
must "members 2 and 3 join member 1's cluster, the image is imported" cluster_up
check "all three members are online" wait_for 30 cluster_online
lxcm 1 cluster list --format csv | sed 's/^/#   /'

tw_config "backend = lxd" "lxd_socket = $(ct_root 1)/var/lib/lxd/unix.socket" \
	"start_timeout = 60s"
sed -i "s/^origin = .*/origin = $TW_LXD_IMAGE/" "$TW_CONF"
tw_sshd_start || { not_ok "sshd starts"; exit 1; }
UID_A=$(id -u $A)
echo "from the host" >"$HOME_A/marker" && chown $A: "$HOME_A/marker"

said_where() { [ "$(wc -l <"$TW_TMP/s$1.out")" -ge 3 ] || gone "${PID[$1]}"; }
# instance,member for each instance of the cluster.
placements() { lxcm 1 list --format csv -c nL 2>/dev/null; }
no_instances() { [ -z "$(placements)" ]; }
gone() { ! kill -0 "$1" 2>/dev/null; }

# The driver itself, through member 1, with a copy on each member: its
# program's output and status come back through the member that forwards.
for n in "${CL_MEMBERS[@]}"; do
	sed "/^\[global\]/a lxd_target = $(member_name "$n")" "$TW_CONF" >"$TW_TMP/target$n.conf"
	chmod 0644 "$TW_TMP/target$n.conf"
	out=$(timeout 60 "$TW_BUILD/tests/lxd_client" run "$TW_TMP/target$n.conf" "tw-test-dr$n-$TW_ID" \
		0123456789abcdef $A "$HOME_A" "$UID_A" "$(id -g $A)" /bin/sh -c 'hostname; id -u; exit 3' 2>&1)
	rc=$?
	expect_eq "a program in a copy on member $n, through member 1" "tw-test-dr$n-$TW_ID|$UID_A|3" \
		"$(echo "$out" | paste -sd '|')|$rc"
done
check "and those copies are gone" wait_for 30 no_instances

# Six logins, one after another, each staying until the test creates
# ~/stop (the home is the same on every member).
N=6
declare -A PID
for i in $(seq $N); do
	tw_ssh_bg $A "hostname; id -u; cat ~/marker; while ! [ -e ~/stop ]; do sleep 1; done; echo survived" \
		>"$TW_TMP/s$i.out" 2>"$TW_TMP/s$i.err"
	PID[$i]=$!
	wait_for 120 said_where "$i"
done
placements | sed 's/^/#   /'
members=$(placements | cut -d, -f2 | sort -u | paste -sd ' ')
expect_match "their instances run on more than one member" ' ' "$members"
each_as_user() {
	local i
	for i in $(seq $N); do
		[ "$(sed -n 2,3p "$TW_TMP/s$i.out" | paste -sd ' ')" = "$UID_A from the host" ] || {
			echo "#   login $i: $(paste -sd '|' "$TW_TMP/s$i.out") $(cat "$TW_TMP/s$i.err")"
			return 1
		}
	done
}
# Why an instance would not start here: instances like the driver's, one
# part of its config at a time, each with LXD's error and the instance's log.
probe() {
	local what=$1 n=$2
	shift 2
	lxcm 1 init "$TW_LXD_IMAGE" "tw-test-probe$TW_ID-$n" "$@" >"$TW_TMP/probe.log" 2>&1
	probe_start "$what" "$n"
}
probe_start() {
	local what=$1 p=tw-test-probe$TW_ID-$2
	if lxcm 1 start "$p" >>"$TW_TMP/probe.log" 2>&1; then
		echo "#   probe $what: started on $(lxcm 1 list --format csv -c L "$p")"
	else
		echo "#   probe $what: $(paste -sd '|' "$TW_TMP/probe.log")"
		lxcm 1 info --show-log "$p" 2>&1 | grep -E 'ERROR|WARN' | head -n 6 | sed 's/^/#     /'
	fi
	lxcm 1 delete --force "$p" >/dev/null 2>&1
}
diagnose() {
	probe plain 1
	probe isolated 2 -c security.idmap.isolated=true
	probe raw.idmap 3 -c security.idmap.isolated=true \
		-c raw.idmap="$(printf 'uid %s %s\ngid %s %s' "$UID_A" "$UID_A" "$(id -g $A)" "$(id -g $A)")"
	probe limits 4 -c limits.processes=512 -c limits.memory=1073741824 -c limits.cpu.allowance=100%
	lxcm 1 init "$TW_LXD_IMAGE" tw-test-probe$TW_ID-7 -c security.idmap.isolated=true >/dev/null 2>&1 &&
		lxcm 1 config device add tw-test-probe$TW_ID-7 home disk source="$HOME_A" path="$HOME_A" \
			>/dev/null 2>&1 && probe_start home 7
	lxcm 1 init "$TW_LXD_IMAGE" tw-test-probe$TW_ID-8 -c security.idmap.isolated=true \
		-c raw.idmap="$(printf 'uid %s %s\ngid %s %s' "$UID_A" "$UID_A" "$(id -g $A)" "$(id -g $A)")" \
		-c limits.processes=512 -c limits.memory=1073741824 -c limits.cpu.allowance=100% \
		-c security.privileged=false -c security.nesting=false >/dev/null 2>&1 &&
		lxcm 1 config device add tw-test-probe$TW_ID-8 home disk source="$HOME_A" path="$HOME_A" \
			>/dev/null 2>&1 && probe_start "all of the driver's" 8
	ct_attach 1 grep -E ' /(proc|sys|dev)' /proc/self/mountinfo | sed 's/^/#   member 1 mounts: /'
	local n
	for n in "${CL_MEMBERS[@]}"; do
		grep -E 'level=(error|warn)' "$(ct_root "$n")/var/log/lxd.log" | tail -n 6 |
			sed "s/^/#   member $n's lxd: /"
	done
}
each_as_user || diagnose
must "each runs as the user, with the home there" each_as_user

# The member to kill: one other than the front door's with an instance.
VICTIM=""
for n in 3 2; do
	placements | grep -q ",$(member_name $n)\$" && VICTIM=$n && break
done
[ -n "$VICTIM" ] || { not_ok "an instance on member 2 or 3"; exit 1; }
on_victim=() others=()
for i in $(seq $N); do
	inst=$(head -1 "$TW_TMP/s$i.out")
	if placements | grep -qx "$inst,$(member_name $VICTIM)"; then on_victim+=("$i"); else others+=("$i"); fi
done
echo "# killing member $VICTIM's lxd; on it: ${on_victim[*]}; elsewhere: ${others[*]}"
member_lxd_kill $VICTIM
all_gone() { local i; for i in "$@"; do gone "${PID[$i]}" || return 1; done; }
check "the logins whose instance ran on the killed member end" wait_for 60 all_gone "${on_victim[@]}"
for i in "${on_victim[@]}"; do
	echo "#   login $i's stderr: $(paste -sd '|' "$TW_TMP/s$i.err")"
	expect_match "login $i ended with a message on stderr" . "$(cat "$TW_TMP/s$i.err")"
done
alive=0
for i in "${others[@]}"; do gone "${PID[$i]}" || alive=$((alive + 1)); done
expect_eq "the others still run" "${#others[@]}" "$alive"
expect_eq "and a new login works meanwhile" "$UID_A" \
	"$(timeout -k 5 120 ssh "${tw_ssh_opts[@]}" -i "$TW_TMP/$A.key" -p "$TW_PORT" \
		"$A@127.0.0.1" id -u 2>&1)"

check "member $VICTIM's lxd starts again" member_lxd_start $VICTIM
check "all three members are online again" wait_for 60 cluster_online
touch "$HOME_A/stop"
check "the others' programs run to their end" wait_for 60 all_gone "${others[@]}"
for i in "${others[@]}"; do
	expect_eq "login $i's program finished" survived "$(tail -1 "$TW_TMP/s$i.out")"
done
# What the killed member's sessions left there, gc deletes now that it is back.
/usr/local/sbin/throwawayctl gc "$TW_CONF" >"$TW_TMP/gc.log" 2>&1
sed 's/^/#   /' "$TW_TMP/gc.log"
check "after gc the cluster has no instance left" wait_for 60 no_instances
placements | sed 's/^/#   left: /'

# Their keepers delete their instances while the cluster is still there.
check "every session has ended, its record gone" wait_for 60 no_session
cluster_down
expect_eq "the cluster's containers, bridge and state are gone" "" "$(cluster_residue)"
trap - EXIT
tw_finish
