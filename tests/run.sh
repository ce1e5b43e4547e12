#!/bin/bash
# Run every test: the cmocka unit tests, then the integration tests (real
# LXC copies, a real sshd, real clients). Ends with "N passed, N failed"
# and exits non-zero on any failure. Needs root: it fails, never skips.
set -u
cd "$(dirname "$0")/.." || exit 1
PASS=0
FAIL=0
ONLY=${TESTS:-}
# What failed, repeated above the summary: a log's tail says which cases.
FAILED=()

if [ "$(id -u)" != 0 ]; then
	echo "tests: the integration tests need root (containers, sshd, PAM)"
	echo "0 passed, 1 failed"
	exit 1
fi

# One run at a time on a machine: every run names its things tw-test-*,
# and sweeps what a killed earlier run left (tests/sweep.sh). make check
# takes the lock before its install (tests/locked.sh); run alone, this
# takes it here.
if [ "${TW_SUITE_LOCKED:-}" != 1 ]; then
	exec bash tests/locked.sh bash tests/run.sh "$@"
fi
bash tests/sweep.sh

run_unit() {
	local t=$1 out run passed
	out=$("$t" 2>&1)
	echo "$out" | sed "s|^|$(basename "$t"): |"
	run=$(echo "$out" | sed -n 's/^\[==========\] \(tests: \)\{0,1\}\([0-9]*\) test(s) run\./\2/p' | tail -1)
	passed=$(echo "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' | tail -1)
	if [ -z "$run" ]; then
		FAIL=$((FAIL + 1)) # crashed before its summary
		FAILED+=("$(basename "$t"): crashed before its summary")
		return
	fi
	mapfile -t -O "${#FAILED[@]}" FAILED < <(echo "$out" |
		sed -n "s|^\[  FAILED  \] \([^ ].*\)|$(basename "$t"): \1|p" | grep -v 'test(s)' | awk '!seen[$0]++')
	PASS=$((PASS + ${passed:-0}))
	FAIL=$((FAIL + run - ${passed:-0}))
}

# run_script SCRIPT [LABEL]: its lines prefixed with LABEL (its name).
run_script() {
	local t=$1 label=${2:-$(basename "$1" .sh)} log p f rc t0=$SECONDS
	log=$(mktemp)
	bash "$t" >"$log" 2>&1
	rc=$?
	echo "# took $((SECONDS - t0)) s" >>"$log"
	sed "s|^|$label: |" "$log"
	p=$(grep -c '^ok ' "$log")
	f=$(grep -c '^not ok ' "$log")
	mapfile -t -O "${#FAILED[@]}" FAILED < <(sed -n "s|^not ok - |$label: |p" "$log")
	rm -f "$log"
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		f=1
		FAILED+=("$label: exited $rc, no case failed")
	fi
	PASS=$((PASS + p))
	FAIL=$((FAIL + f))
}

# What no test may leave on the machine, whichever test made it.
suite_residue() {
	local r=""
	[ -n "$(ls -A /var/lib/throwaway/containers 2>/dev/null)" ] && r+="copies "
	lxc-ls -1 2>/dev/null | grep -q '^tw-test-' && r+="test-containers "
	grep -q -e ' /var/lib/throwaway' -e 'tw-test-' /proc/mounts && r+="mounts "
	pgrep -f 'libexec/throwaway/' >/dev/null && r+="helpers "
	ls -d /run/tw-test.* /run/tw-unit.* >/dev/null 2>&1 && r+="temp-dirs "
	ls /etc/pam.d/ | grep -q '^tw-test' && r+="pam-services "
	getent passwd | grep -q '^tw-test-' && r+="users "
	ls -A /run/throwaway/ledger 2>/dev/null | grep -qv '^.lock$' && r+="ledger "
	ls -A /run/lxc/lock/var/lib/lxc /run/lxc/lock/var/lib/throwaway/containers 2>/dev/null |
		grep -q '^\.tw-test-' && r+="lock-files "
	ls -d /run/lxc/lock/run/tw-test.* /run/lxc/lock/run/tw-unit.* >/dev/null 2>&1 && r+="lock-dirs "
	# copies' cgroups: <hierarchy>/throwaway/copies/<parent>/lxc.payload.<name>
	find /sys/fs/cgroup -maxdepth 5 -name '*tw-test-*' | grep -q . && r+="cgroups "
	# a user's parent cgroup goes with their copies; the test users are gone by now
	# (throwaway/, copies/, keeper/ and an idle copies/pool stay: see throwawayctl(8))
	for d in /sys/fs/cgroup/throwaway/copies/u* /sys/fs/cgroup/*/throwaway/copies/u*; do
		[ -d "$d" ] && ! getent passwd "${d##*/u}" >/dev/null && { r+="parent-cgroups "; break; }
	done
	ls /var/lib/throwaway/kept 2>/dev/null | grep -q '^tw-test-' && r+="kept-data "
	# tests/lxd.sh's daemon and its state (its mounts are under tw-test-lxd.*)
	pgrep -x lxd >/dev/null && r+="lxd-daemon "
	ls -d /var/lib/tw-test-lxd.* >/dev/null 2>&1 && r+="lxd-state "
	# tests/bridge.sh's bridges (twt-*: an interface name has 15 bytes) and web servers
	ip -o link show type bridge 2>/dev/null | grep -q ': twt-' && r+="bridges "
	pgrep -f 'httpd .*-h /run/tw-test\.' >/dev/null && r+="web-servers "
	echo "$r"
}

# TESTS: words, each a part of the names to run ("test_pool test_lxc");
# empty runs all.
wanted() {
	local w
	[ -z "$ONLY" ] && return 0
	for w in $ONLY; do
		case "$1" in *"$w"*) return 0 ;; esac
	done
	return 1
}

for t in build/tests/test_*; do
	wanted "$t" && run_unit "$t"
done
# make check-all's sanitizer pass (TW_CHECK_PASS=sanitizer) leaves three kinds
# of suite to its plain pass, saying so here: those that judge the sources
# (the layers: test_structure), or build and test a package of their own,
# whatever the build under test; those whose point is volume, the same code
# paths many times over (every path they take, the other suites take under
# the sanitizers too); and those that judge what the host does, sshd's
# forwarding and the kernel's answers to a sandboxed user, through logins
# like every other suite's.
SOURCE_SUITES=" test_lint test_format test_manpages test_deb test_structure "
VOLUME_SUITES=" test_load test_lxd_burst "
HOST_SUITES=" test_attacks_forward test_attacks_kernel "
# And, for time (make check-all stays well inside 30 minutes), the lxd
# network suite: its driver code runs under the sanitizers in test_lxd_nic
# and in every lxd suite's logins (their copies' devices and origin).
PLAIN_SUITES=" test_lxd_network "
# The busybox origin the suites copy (tw_origin_create, tests/lib.sh): made
# once for the run, gone before the residue check.
TW_ORIGIN_CACHE=/run/tw-test.origin
origin_cache() {
	rm -rf "$TW_ORIGIN_CACHE" && mkdir -m 0700 "$TW_ORIGIN_CACHE" &&
		lxc-create -P "$TW_ORIGIN_CACHE" -t busybox -n o >"$TW_ORIGIN_CACHE/log" 2>&1 &&
		rm -rf "/run/lxc/lock$TW_ORIGIN_CACHE" && export TW_ORIGIN_CACHE && return
	echo "# the run's busybox origin could not be made: each suite makes its own"
	sed 's/^/#   /' "$TW_ORIGIN_CACHE/log"
	rm -rf "$TW_ORIGIN_CACHE" "/run/lxc/lock$TW_ORIGIN_CACHE"
}
origin_cache
for t in tests/integration/test_*.sh; do
	wanted "$t" || continue
	n=$(basename "$t" .sh)
	if [ "${TW_CHECK_PASS:-}" = sanitizer ] && [[ $SOURCE_SUITES == *" $n "* ]]; then
		echo "$n: # judges the sources, not this build: run in the plain pass"
		continue
	fi
	if [ "${TW_CHECK_PASS:-}" = sanitizer ] && [[ $VOLUME_SUITES == *" $n "* ]]; then
		echo "$n: # volume, the same paths many times: run in the plain pass"
		continue
	fi
	if [ "${TW_CHECK_PASS:-}" = sanitizer ] && [[ $HOST_SUITES == *" $n "* ]]; then
		echo "$n: # judges what the host does: run in the plain pass"
		continue
	fi
	if [ "${TW_CHECK_PASS:-}" = sanitizer ] && [[ $PLAIN_SUITES == *" $n "* ]]; then
		echo "$n: # for time: run in the plain pass"
		continue
	fi
	run_script "$t"
done
# The suites written for the local driver that test what any copy driver
# does (sftp, scp, channels, su, a terminal; timeouts in make check-slow,
# whose waits are a minute of sleep), once more on backend = lxd
# (TW_BACKEND, tests/lib.sh), as "SUITE[lxd]". The plain pass only: the
# lxd driver's own suites (test_lxd*) run in both.
LXD_PASS_SUITES="test_channels test_terminal${SLOW:+ test_timeouts}"
for n in $LXD_PASS_SUITES; do
	wanted "$n[lxd]" || continue
	if [ "${TW_CHECK_PASS:-}" = sanitizer ]; then
		echo "$n[lxd]: # the lxd pass: run in the plain pass"
		continue
	fi
	export TW_BACKEND=lxd
	run_script "tests/integration/$n.sh" "$n[lxd]"
	unset TW_BACKEND
done
# Slow tests (make check-slow: SLOW=1 TESTS=slow), e.g. a debootstrapped origin.
if [ -n "${SLOW:-}" ]; then
	for t in tests/slow/test_*.sh; do
		wanted "$t" && run_script "$t"
	done
fi
# A short pass of every fuzz harness (make fuzz runs them longer). They are
# built with sanitizers of their own whatever the pass: the plain pass only.
if [ "${TW_CHECK_PASS:-}" = sanitizer ]; then
	wanted fuzz && echo "fuzz: # built with sanitizers of its own: run in the plain pass"
else
	wanted fuzz && FUZZ_SECONDS=${FUZZ_SECONDS:-3} run_script tests/fuzz/run.sh
fi

rm -rf "$TW_ORIGIN_CACHE"
left=$(suite_residue)
if [ -z "$left" ]; then
	echo "ok - the suite left nothing behind"
	PASS=$((PASS + 1))
else
	echo "not ok - the suite left nothing behind: $left"
	FAIL=$((FAIL + 1))
	FAILED+=("the suite left: $left")
fi
for f in "${FAILED[@]}"; do
	echo "failed: $f"
done
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
