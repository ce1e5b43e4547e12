#!/bin/bash
# make format-check (clang-format with the committed .clang-format) is clean.
cd "$(dirname "$0")/../.." || exit 1
if out=$(make -s format-check 2>&1); then
	echo "ok - make format-check is clean"
	echo "# 1 passed, 0 failed"
else
	echo "not ok - make format-check is clean"
	echo "$out" | grep -E 'error|warning:' | head -20 | sed 's/^/#   /'
	echo "# 0 passed, 1 failed"
	exit 1
fi
