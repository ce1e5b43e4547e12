#!/bin/bash
# make check-all: every test twice, first built with ASan and UBSan
# (SANITIZE=1), then as shipped, which leaves the plain build installed.
# The suites that judge the sources (lint, format, man pages, the layers, the
# .deb, fuzz), are about volume (test_load, test_lxd_burst, the attack
# suite's race's count) or judge what the host does (sshd's forwarding, the
# kernel's answers) run whole in the second pass only: the first would
# repeat them unchanged, or the same paths many times (tests/run.sh).
# Ends with what failed in each pass, then the sum of both passes:
# "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
total_pass=0 total_fail=0 rc=0
failed=""
for flags in "SANITIZE=1" ""; do
	echo "=== make check $flags"
	out=$(mktemp)
	# Some suites run once, in the plain pass (run.sh says which and why).
	# (Not TW_PASS: the tests' lib.sh counts passed cases in that.)
	pass=plain
	[ -n "$flags" ] && pass=sanitizer
	TW_CHECK_PASS=$pass make --no-print-directory check $flags 2>&1 | tee "$out"
	[ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -1)
	f=$(sed -n "s/^failed: /failed ($pass pass): /p" "$out")
	[ -z "$f" ] || failed+="$f"$'\n'
	rm -f "$out"
	if [ -z "$line" ]; then
		total_fail=$((total_fail + 1)) rc=1
		continue
	fi
	set -- $line
	total_pass=$((total_pass + $1)) total_fail=$((total_fail + $3))
done
# Each pass's failures again, above the sum: a log's tail says which.
printf '%s' "$failed"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ] && exit $rc
exit 1
