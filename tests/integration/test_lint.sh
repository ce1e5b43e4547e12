#!/bin/bash
# make lint (cppcheck and clang-tidy, warnings as errors) is clean.
cd "$(dirname "$0")/../.." || exit 1
if out=$(make -s lint 2>&1); then
	echo "ok - make lint is clean"
	echo "# 1 passed, 0 failed"
else
	echo "not ok - make lint is clean"
	echo "$out" | grep -E 'error|warning:' | head -40 | sed 's/^/#   /'
	echo "# 0 passed, 1 failed"
	exit 1
fi
