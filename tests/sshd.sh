# shellcheck shell=bash
# A loopback sshd with a PAM service of its own: for the integration tests
# (tests/lib.sh) and the benchmarks (bench/lib.sh). Sourced; defines
# functions only.

# sshd_free_port: a port below the kernel's ephemeral range (32768 and up
# here), where a client's local port could take it between this check and
# sshd's bind; no socket in any state on it.
sshd_free_port() {
	local p low
	read -r low _ </proc/sys/net/ipv4/ip_local_port_range
	[ "$low" -gt 21000 ] || low=40000
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % (low - 20000)))
		ss -Htan "sport = :$p" | grep -q . || { echo "$p"; return 0; }
	done
	return 1
}

# sshd_pam_lines COMMENT CONF [ARGS]: a service with no password and our module.
sshd_pam_lines() {
	cat <<PAM
# $1
auth required pam_deny.so
account required pam_permit.so
session required pam_permit.so
session required pam_throwaway.so config=$2 ${3:-}
PAM
}

# sshd_start DIR SERVICE PORT USERS LOGLEVEL KEYFILES [RUNNER...]: a host
# key and sshd_config in DIR, then sshd on 127.0.0.1:PORT, run as SERVICE
# (sshd takes its PAM service name from its program name) through RUNNER
# if given; returns once it listens. USERS: the Match pattern of the users
# it serves, for whom it turns forwarding and ~/.ssh/rc off (empty: no
# Match block of its own); KEYFILES: its AuthorizedKeysFile. With
# SSHD_INCLUDE set, the config starts with "Include $SSHD_INCLUDE", as
# Debian's starts with its sshd_config.d; SSHD_EXTRA: more global lines.
sshd_start() {
	local dir=$1 service=$2 port=$3 users=$4 level=$5 keys=$6
	shift 6
	ssh-keygen -q -t ed25519 -N '' -f "$dir/hostkey" || return 1
	mkdir -p /run/sshd
	{
		[ -n "${SSHD_INCLUDE:-}" ] && echo "Include $SSHD_INCLUDE"
		sshd_config_lines "$port" "$dir" "$level" "$keys"
		[ -n "${SSHD_EXTRA:-}" ] && printf '%s\n' "$SSHD_EXTRA"
		[ -n "$users" ] && printf 'Match User %s\n\tDisableForwarding yes\n\tPermitUserRC no\n' "$users"
	} >"$dir/sshd_config"
	ln -sf /usr/sbin/sshd "$dir/$service"
	"$@" "$dir/$service" -f "$dir/sshd_config" -E "$dir/sshd.log" || return 1
	for _ in $(seq 100); do
		[ -s "$dir/sshd.pid" ] && ss -Hltn "sport = :$port" | grep -q . && return 0
		sleep 0.05
	done
	return 1
}

# sshd_config_lines PORT DIR LOGLEVEL KEYFILES: the test sshd's global settings.
sshd_config_lines() {
	local port=$1 dir=$2 level=$3 keys=$4
	cat <<CFG
Port $port
ListenAddress 127.0.0.1
HostKey $dir/hostkey
PidFile $dir/sshd.pid
UsePAM yes
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile $keys
UseDNS no
MaxStartups 200:30:300
MaxSessions 100
LogLevel $level
Subsystem sftp /usr/lib/openssh/sftp-server
CFG
}
