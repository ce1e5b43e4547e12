#!/bin/bash
# Interactive logins through a real terminal (tmux): the pty is the copy's
# own, the window size follows, Ctrl-C, job control and full-screen programs
# work, the exit status comes back, what a client sends the moment it has a
# terminal is echoed once, a hangup ends the session cleanly, and a copy
# holds no more terminals than pty_max.
source "$(dirname "$0")/../lib.sh"

tw_origin_create && tw_config && tw_user tw-test-tina && tw_sshd_start ||
	{ not_ok "setup"; tw_finish; exit 1; }
T=tw-test-tina
TM=tw-test-tmux$TW_ID
N=0

tm() { tmux -L "$TM" "$@"; }
screen() { tm capture-pane -p -t t; }
# wait_screen REGEX: until the screen shows it (10 s).
wait_screen() { wait_for 10 sh -c "tmux -L $TM capture-pane -p -t t | grep -Eq -- '$1'"; }
# type LINE: send it with Enter.
type_line() { tm send-keys -t t -l "$1" && tm send-keys -t t Enter; }

# A tmux server of its own per login: a dying server cannot take the next one down.
start_login() {
	tm kill-server 2>/dev/null
	N=$((N + 1))
	TM=tw-test-tmux$TW_ID-$N
	tm -f /dev/null new-session -d -s t -x 100 -y 30 \
		"ssh ${tw_ssh_opts[*]} -tt -i $TW_TMP/$T.key -p $TW_PORT $T@127.0.0.1 $*; echo ssh-exit=\$?; sleep 30"
	tm set -g status off
}

start_login
check "the banner names the copy" wait_screen "throwaway: you are in $TW_ORIGIN-$T-[a-z0-9]{6}"
type_line 'PS1="tw\$ "'
check "a shell prompt appears" wait_screen '^tw\$ ?$'
type_line 'echo "[$(tty)]"'
check "tty is a terminal of the copy's own devpts" wait_screen '^\[/dev/pts/[0-9]+\]$'
type_line 'echo "argv0=$0 cwd=$(pwd)"'
check "a login shell, in the home" wait_screen "^argv0=-sh cwd=/home/$T\$"
type_line 'echo "size=$(stty size)"'
check "stty size is the terminal's" wait_screen '^size=30 100$'
tm resize-window -t t -x 120 -y 40
sleep 0.3
type_line 'echo "size=$(stty size)"'
check "stty size follows a window resize" wait_screen '^size=40 120$'

type_line 'sleep 100'
sleep 0.5
tm send-keys -t t C-c
type_line 'echo "alive=$?"'
check "Ctrl-C interrupts the command, not the shell" wait_screen '^alive=130$'

type_line 'sleep 101'
sleep 0.5
tm send-keys -t t C-z
type_line 'jobs; kill -9 %1; echo jobs-done'
check "Ctrl-Z stops a job (job control works)" wait_screen 'Stopped|stopped'
check "and the shell goes on" wait_screen '^jobs-done$'

type_line 'vi /tmp/edited'
sleep 0.5
tm send-keys -t t i 'written in vi'
sleep 0.3
tm send-keys -t t Escape # alone: vi reads ESC plus what follows at once as a key sequence
sleep 0.3
tm send-keys -t t ':wq' Enter
type_line 'echo "file=$(cat /tmp/edited)"'
check "a full-screen program (vi) works" wait_screen '^file=written in vi$'

type_line 'exit 3'
check "exit 3 comes back as 3" wait_screen '^ssh-exit=3$'
check_clean "after an interactive logout nothing remains"

# ssh -t with a command: a terminal too.
start_login 'tty'
check "ssh -t host CMD runs CMD on a terminal of the copy" wait_screen '^/dev/pts/[0-9]+'
check "and exits with its status" wait_screen '^ssh-exit=0$'

# Type-ahead: a client that writes the moment its command is accepted on a
# terminal (sshd passes that to its pty before the login shell even runs)
# sees it echoed once, by the copy's terminal, as one that waits does.
# ahead DELAY: the marker's count in what comes back, and what the command read.
ahead() {
	local out
	out=$({ sleep "$1"; printf 'tw-ahead-marker\n'; } |
		timeout 20 "$TW_BUILD/tests/ssh_client" -t 127.0.0.1 "$TW_PORT" $T "$TW_TMP/$T.key" \
			'read x; echo "read=$x" | tr a-z A-Z' 2>&1 | tr -d '\r')
	echo "$(echo "$out" | grep -o tw-ahead-marker | wc -l):$(echo "$out" | grep -c '^READ=TW-AHEAD-MARKER$')"
}
counts=""
for _ in 1 2 3 4 5; do counts+="$(ahead 0) "; done
expect_eq "typed ahead at once: echoed once, read once (5 logins)" "1:1 1:1 1:1 1:1 1:1 " "$counts"
expect_eq "typed ahead after a pause: echoed once, read once" "1:1" "$(ahead 1.5)"
check_clean "type-ahead logins leave nothing behind"

# Hangup: the client disappears mid-session.
start_login
wait_screen '^\$ |# $|\$ $'
type_line 'sleep 1000'
one_copy() { [ "$(tw_copies)" = 1 ]; }
wait_for 10 one_copy
pkill -HUP -f "ssh.*-p $TW_PORT $T@127.0.0.1"
check_clean "a hung-up client leaves nothing behind"

tm kill-server 2>/dev/null

# pty_max: a copy holds at most that many terminals of the host's (each
# open of /dev/ptmx is one), so that one user's copies cannot take them all.
# (A redirection that fails ends the shell: each success is a line.)
if tw_lxc_only "pty_max (LXD has no per-instance terminal limit)"; then
	count_ptys='for i in 3 4 5 6 7 8 9; do eval "exec $i<>/dev/ptmx" 2>/dev/null && echo opened; done'
	tw_config "pty_max = 4"
	out=$(tw_ssh $T "$count_ptys" 2>&1)
	expect_eq "pty_max = 4: a program opens 4 terminals, no more" 4 "$(echo "$out" | grep -c '^opened$')"
	tw_config
	out=$(tw_ssh $T "$count_ptys" 2>&1)
	expect_eq "by default (16) the same program opens all 7 it tries" 7 "$(echo "$out" | grep -c '^opened$')"
	check_clean "pty_max: nothing left behind"
fi
tw_finish
