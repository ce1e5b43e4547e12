#!/bin/bash
# Runs "$@" holding the suite's lock (/run/lock/tw-test-suite.lock): one
# run of the suite at a time on a machine, from its make install to its
# last test. Without it a second make check installed its build under a
# run already under way. Its children see TW_SUITE_LOCKED=1 (tests/run.sh
# then takes no lock of its own, which would wait for this one forever).
set -u
if [ "${TW_SUITE_LOCKED:-}" = 1 ]; then
	exec "$@"
fi
exec 9>/run/lock/tw-test-suite.lock
if ! flock -w 3600 9; then
	echo "tests: another run of the suite holds /run/lock/tw-test-suite.lock"
	echo "0 passed, 1 failed"
	exit 1
fi
export TW_SUITE_LOCKED=1
exec "$@"
