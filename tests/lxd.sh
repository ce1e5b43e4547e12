# shellcheck shell=bash
# An LXD of the test's own, for the tests of the lxd driver: the daemon
# started here (no systemd), its state in a directory of its own
# (LXD_DIR, so the host's /var/lib/lxd is never touched), initialised as a
# one-member cluster with a dir storage pool and no network, and a busybox
# origin imported as an image. tw_lxd_stop takes all of it away again.
# Source after tests/lib.sh; everything made here is named tw-test-*.
# What it takes from there: TW_ID, TW_TMP (its files), wait_for and
# sshd_free_port; bench/lxd.sh gives it the benchmark's own.

TW_LXD_DIR=/var/lib/tw-test-lxd.$TW_ID
TW_LXD_SOCKET=$TW_LXD_DIR/unix.socket
TW_LXD_IMAGE=tw-test-img$TW_ID
TW_LXD_POOL=tw-test-pool
TW_LXD_PID=""
# The client finds this daemon by LXD_DIR and keeps its own config (it
# would write ~/.config/lxc) in the test's directory.
export LXD_DIR=$TW_LXD_DIR
export LXD_CONF=$TW_TMP/lxc-client

tw_lxd_deps() {
	local p missing=""
	for p in lxd lxd-client busybox-static; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing+=" $p"
	done
	[ -z "$missing" ] && return 0
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >/dev/null
}

# LXD takes only the first of root's ranges in /etc/subuid (and subgid)
# that holds 65536 ids, and an instance with security.idmap.isolated
# needs room beyond that first 65536. Here the first is throwaway's own
# (setup-ids: root:1879048192:65536) and LXD's package put its ten million
# after it, so the daemon is given copies of the files with root's largest
# range first, bound over the real ones in a mount namespace of its own:
# the host's files are never changed.
tw_lxd_subids() {
	local f
	for f in subuid subgid; do
		{
			awk -F: '$1 == "root"' "/etc/$f" | sort -t: -k3,3nr | head -1
			cat "/etc/$f"
		} >"$TW_TMP/lxd-$f" || return 1
	done
}

# tw_lxd_start: the daemon up, a one-member cluster, the origin image in it.
tw_lxd_start() {
	tw_lxd_deps || return 1
	install -d -m 0711 "$TW_LXD_DIR" || return 1
	tw_lxd_subids || return 1
	# shellcheck disable=SC2016
	setsid unshare --mount --propagation private -- sh -c \
		'mount --bind "$1/lxd-subuid" /etc/subuid && mount --bind "$1/lxd-subgid" /etc/subgid &&
		exec lxd --group root --logfile "$1/lxd.log"' sh "$TW_TMP" \
		</dev/null >>"$TW_TMP/lxd.out" 2>&1 &
	TW_LXD_PID=$!
	if ! lxd waitready --timeout 60; then
		echo "# lxd did not become ready:"
		tail -n 20 "$TW_TMP/lxd.log" "$TW_TMP/lxd.out" 2>/dev/null | sed 's/^/#   /'
		return 1
	fi
	tw_lxd_preseed && tw_lxd_image_import
}

# The preseed's dir pool, the default profile's root disk on it.
tw_lxd_pool_yaml() {
	cat <<YAML
storage_pools:
- name: $TW_LXD_POOL
  driver: dir
profiles:
- name: default
  devices:
    root:
      path: /
      pool: $TW_LXD_POOL
      type: disk
YAML
}

tw_lxd_preseed() {
	local port
	port=$(sshd_free_port) || return 1
	{
		cat <<YAML
config:
  core.https_address: 127.0.0.1:$port
  cluster.https_address: 127.0.0.1:$port
cluster:
  server_name: tw-test-m1
  enabled: true
YAML
		tw_lxd_pool_yaml
	} | lxd init --preseed >"$TW_TMP/lxd-init.log" 2>&1 || {
		sed 's/^/#   lxd init: /' "$TW_TMP/lxd-init.log"
		return 1
	}
}

# tw_lxd_program ROOTFS PROGRAM: the program at its path in the rootfs,
# with the libraries it loads, as a package would have put them there.
tw_lxd_program() {
	local r=$1 f
	for f in "$2" $(ldd "$2" | grep -o '/[^ ]*'); do
		install -D -m 0755 "$(readlink -f "$f")" "$r$f" || return 1
	done
}

# A rootfs of busybox: its applets as links, an inittab with nothing to
# respawn (init just waits), root's passwd and group entries; and
# sftp-server, which an origin with openssh-sftp-server has.
tw_lxd_rootfs() {
	local r=$1 a
	install -d "$r/bin" "$r/sbin" "$r/etc" "$r/dev" "$r/proc" "$r/sys" "$r/tmp" \
		"$r/root" "$r/home" "$r/run" "$r/var" || return 1
	cp /bin/busybox "$r/bin/busybox" || return 1
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] || ln -sf busybox "$r/bin/$a"
	done
	ln -sf ../bin/busybox "$r/sbin/init"
	echo 'root:x:0:0:root:/root:/bin/sh' >"$r/etc/passwd"
	echo 'root:x:0:' >"$r/etc/group"
	echo '::ctrlaltdel:/bin/true' >"$r/etc/inittab"
	chmod 1777 "$r/tmp"
	tw_lxd_program "$r" /usr/lib/openssh/sftp-server
}

tw_lxd_image_import() {
	local d=$TW_TMP/lxd-image
	install -d "$d/rootfs" || return 1
	tw_lxd_rootfs "$d/rootfs" || return 1
	cat >"$d/metadata.yaml" <<YAML
architecture: $(uname -m)
creation_date: $(date +%s)
properties:
  description: throwaway test origin (busybox)
  os: busybox
YAML
	tar -C "$d" -czf "$TW_TMP/lxd-image.tar.gz" metadata.yaml rootfs || return 1
	lxc image import "$TW_TMP/lxd-image.tar.gz" --alias "$TW_LXD_IMAGE" >/dev/null
}

# Instances in this LXD, one name a line.
tw_lxd_instances() {
	lxc list --format csv -c n 2>/dev/null
}

tw_lxd_no_instances() { [ -z "$(tw_lxd_instances)" ]; }

# The processes in the daemon's mount namespace (it, its helpers, their
# children); none once it is gone.
TW_LXD_NS=""
tw_lxd_ns_procs() {
	local p
	[ -n "$TW_LXD_NS" ] || return 0
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$TW_LXD_NS" ] && echo "${p#/proc/}"
	done
}
tw_lxd_ns_empty() { [ -z "$(tw_lxd_ns_procs)" ]; }
# Its helpers, and children of its that outlived it until init reaps them
# (a process named lxd: the suite's leftovers check looks for one).
tw_lxd_helpers_gone() {
	tw_lxd_ns_empty && ! pgrep -f "$TW_LXD_DIR" >/dev/null && ! pgrep -x lxd >/dev/null
}

# tw_lxd_config [KEY = VALUE]...: the test's config for copies of the
# origin image on this LXD, with these lines too (how LXD is reached).
tw_lxd_config() {
	tw_config "backend = lxd" "start_timeout = 60s" "$@"
	sed -i "s/^origin = .*/origin = $TW_LXD_IMAGE/" "$TW_CONF"
}

# tw_lxd_ssh USER ARGS...: ssh as USER with a deadline, so that a relay
# that never ends fails its case instead of holding the suite.
tw_lxd_ssh() {
	local user=$1
	shift
	timeout -k 5 60 ssh "${tw_ssh_opts[@]}" -i "$TW_TMP/$user.key" -p "$TW_PORT" \
		"$user@127.0.0.1" "$@"
}

# tw_door2_start NAME: a second front door on this LXD, as another machine
# would have one: the same PAM service and config, its own port
# (TW_DOOR2_PORT), its host name NAME and its own /run/throwaway (new UTS
# and mount namespaces), its files in TW_DOOR2. tw_door2 CMD...: CMD in
# its namespaces. tw_door2_ssh USER ARGS...: ssh to it, with a deadline.
TW_DOOR2="$TW_TMP/door2"
tw_door2_start() {
	mkdir -p "$TW_DOOR2"
	TW_DOOR2_PORT=$(sshd_free_port) || return 1
	# shellcheck disable=SC2016 # expanded by that sh: $0 the host name
	sshd_start "$TW_DOOR2" "$TW_SERVICE" "$TW_DOOR2_PORT" 'tw-test-*' VERBOSE \
		".ssh/authorized_keys $TW_TMP/authkeys/%u" \
		unshare --uts --mount --propagation private -- sh -c \
		'hostname "$0" && mount -t tmpfs -o mode=0711 tw-test-door2 /run/throwaway && exec "$@"' \
		"$1"
}
tw_door2() { nsenter -t "$(cat "$TW_DOOR2/sshd.pid")" -m -u -- "$@"; }
tw_door2_ssh() {
	local user=$1
	shift
	timeout -k 5 60 ssh "${tw_ssh_opts[@]}" -i "$TW_TMP/$user.key" -p "$TW_DOOR2_PORT" \
		"$user@127.0.0.1" "$@"
}
# Its sshd stopped (its sessions' keepers end with their logins).
tw_door2_stop() {
	[ -s "$TW_DOOR2/sshd.pid" ] && kill "$(cat "$TW_DOOR2/sshd.pid")" 2>/dev/null
	rm -f "$TW_DOOR2/sshd.pid"
}

# tw_lxd_terminal_cases USER: with ssh -tt the program has a terminal
# inside, its exit status comes back, and no instance is left after them.
tw_lxd_terminal_cases() {
	local out
	out=$(tw_lxd_ssh "$1" -tt 'tty; stty size' </dev/null 2>&1 | tr -d '\r')
	expect_match "with ssh -t the program has a terminal inside" '^/dev/pts/[0-9]+$' \
		"$(echo "$out" | grep '^/dev/' | head -1)"
	tw_lxd_ssh "$1" -tt 'exit 5' </dev/null >/dev/null 2>&1
	expect_eq "with a terminal too, the exit status comes back" 5 "$?"
	check "and LXD has no instance left after them" wait_for 30 tw_lxd_no_instances
}

# tw_lxd_stop: every instance deleted, the daemon stopped, its mounts
# unmounted, its state removed; nothing of it left on the machine.
tw_lxd_stop() {
	local i m
	if [ -n "$TW_LXD_PID" ] && kill -0 "$TW_LXD_PID" 2>/dev/null; then
		TW_LXD_NS=$(readlink "/proc/$TW_LXD_PID/ns/mnt")
		for i in $(tw_lxd_instances); do
			lxc delete --force "$i" >/dev/null 2>&1
		done
		lxd shutdown --timeout 30 >/dev/null 2>&1
		wait_for 10 tw_lxd_gone || kill -KILL "$TW_LXD_PID" 2>/dev/null
		wait "$TW_LXD_PID" 2>/dev/null
		# Its helpers (forkexec in an instance's namespaces, monitors) may
		# outlive it by a moment; they name its directory.
		wait_for 10 tw_lxd_helpers_gone ||
			kill -KILL $(tw_lxd_ns_procs) $(pgrep -f "$TW_LXD_DIR") 2>/dev/null
		wait_for 5 tw_lxd_helpers_gone
	fi
	# Deepest first, as they were mounted on top of each other.
	for m in $(awk -v d="$TW_LXD_DIR" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r); do
		umount -l "$m"
	done
	rm -rf "$TW_LXD_DIR"
	TW_LXD_PID=""
}

tw_lxd_gone() { ! kill -0 "$TW_LXD_PID" 2>/dev/null; }

# What this LXD could leave behind, for tw_residue's callers.
tw_lxd_residue() {
	local out=""
	[ -e "$TW_LXD_DIR" ] && out+="lxd-state "
	grep -q " $TW_LXD_DIR" /proc/mounts && out+="lxd-mounts "
	[ -n "$TW_LXD_PID" ] && kill -0 "$TW_LXD_PID" 2>/dev/null && out+="lxd-daemon "
	pgrep -f "$TW_LXD_DIR" >/dev/null && out+="lxd-processes "
	pgrep -x lxd >/dev/null && out+="lxd-named-processes "
	tw_lxd_ns_empty || out+="lxd-namespace-processes "
	[ -n "$out" ] && echo "$out"
	return 0
}
