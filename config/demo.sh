#!/bin/bash
# make demo: one throwaway login, end to end, on this machine.
# Builds and installs (done by make), makes a busybox origin, a demo user, a
# loopback sshd with a PAM service of its own, logs the user in over ssh,
# shows the copy from inside and from the host, logs out and shows that the
# copy is gone. Cleans up after itself; can be run again.
set -eu
[ "$(id -u)" = 0 ] || { echo "demo: run as root (it makes containers, a user and an sshd)"; exit 1; }

ORIGIN=throwaway-demo
USER_=tw-demo
SERVICE=throwaway-demo-sshd
DIR=/run/throwaway-demo
PORT=${DEMO_PORT:-2222}
while ss -Hltn "sport = :$PORT" | grep -q .; do PORT=$((PORT + 1)); done
COPIES=/var/lib/throwaway/containers

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

cleanup() {
	[ -s $DIR/sshd.pid ] && kill "$(cat $DIR/sshd.pid)" 2>/dev/null || true
	sleep 0.2
	rm -f /etc/pam.d/$SERVICE
	if getent passwd $USER_ >/dev/null; then
		pkill -KILL -u $USER_ 2>/dev/null || true
		userdel -r $USER_ >/dev/null 2>&1 || true
	fi
	lxc-destroy -n $ORIGIN >/dev/null 2>&1 || true
	rm -f /run/lxc/lock/var/lib/lxc/.$ORIGIN
	rm -rf $DIR
}
cleanup # a run that was interrupted may have left its pieces
trap cleanup EXIT

say "installing throwaway"
make -s install
mkdir -p -m 0755 $DIR

say "making the origin container '$ORIGIN' (busybox, no network)"
lxc-create -t busybox -n $ORIGIN >/dev/null
sed -i -e 's/^lxc.net.0.type = .*/lxc.net.0.type = empty/' -e '/^lxc.net.0.link/d' \
	-e '/^lxc.net.0.flags/d' /var/lib/lxc/$ORIGIN/config
cat >$DIR/throwaway.conf <<CONF
[global]
origin = $ORIGIN
tmpfs_size = 256M
CONF
cat $DIR/throwaway.conf

say "making the user '$USER_', enrolled: the login shell throwaway-shell and the group throwaway"
useradd -m $USER_
/usr/local/sbin/throwawayctl enroll $USER_
ssh-keygen -q -t ed25519 -N '' -f $DIR/key
install -d -m 0700 -o $USER_ -g $USER_ /home/$USER_/.ssh
install -m 0600 -o $USER_ -g $USER_ $DIR/key.pub /home/$USER_/.ssh/authorized_keys
echo "hello from the host" >/home/$USER_/notes.txt
chown $USER_: /home/$USER_/notes.txt

say "starting sshd on 127.0.0.1:$PORT with the PAM service '$SERVICE'"
cat >/etc/pam.d/$SERVICE <<PAM
auth required pam_deny.so
account required pam_permit.so
session required pam_permit.so
session required pam_throwaway.so config=$DIR/throwaway.conf
PAM
cat /etc/pam.d/$SERVICE
ssh-keygen -q -t ed25519 -N '' -f $DIR/hostkey
mkdir -p /run/sshd
# As Debian's sshd_config does, read sshd_config.d first: make install put
# the sandboxed users' settings there (forwarding off for group throwaway).
cat >$DIR/sshd_config <<CFG
Include /etc/ssh/sshd_config.d/throwaway.conf
Port $PORT
ListenAddress 127.0.0.1
HostKey $DIR/hostkey
PidFile $DIR/sshd.pid
UsePAM yes
PasswordAuthentication no
KbdInteractiveAuthentication no
Subsystem sftp /usr/lib/openssh/sftp-server
CFG
ln -sf /usr/sbin/sshd $DIR/$SERVICE # sshd's PAM service is its program name
$DIR/$SERVICE -f $DIR/sshd_config
for _ in $(seq 50); do ss -Hltn "sport = :$PORT" | grep -q . && break; sleep 0.1; done

ssh_() {
	ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o LogLevel=ERROR -i $DIR/key -p $PORT $USER_@127.0.0.1 "$@"
}

say "ssh $USER_@127.0.0.1 — inside the copy"
ssh_ 'echo "hostname: $(hostname)"; echo "user:     $(id)"; echo "home:     $HOME ($(cat ~/notes.txt))";
      echo "writing /tmp/scratch inside the copy"; echo x > /tmp/scratch; sleep 1' &
sleep 0.6
say "meanwhile on the host: the copy under $COPIES"
ls $COPIES
wait
say "logged out: what is left under $COPIES"
sleep 0.2
n=$(ls -A $COPIES | wc -l)
echo "$n copies"
say "a second login lands in a fresh copy (no /tmp/scratch)"
ssh_ 'echo "hostname: $(hostname)"; ls /tmp/scratch 2>&1 || true'
sleep 0.2
[ "$(ls -A $COPIES | wc -l)" = 0 ] && say "done: every copy is gone" || { echo "copies left!"; exit 1; }
