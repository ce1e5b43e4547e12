#!/bin/bash
# Every man page is clean under mandoc -Tlint.
cd "$(dirname "$0")/../../docs" || exit 1
pass=0
fail=0
for page in *.[1-8]; do
	# RETURN VALUES is mdoc's section for 2, 3 and 9, but a PAM module's page
	# has one (as the Linux-PAM modules' pages do); that warning is expected.
	out=$(mandoc -Tlint "$page" 2>&1 | grep -v -e 'mandoc.db' -e 'Sh RETURN VALUES for 2, 3, 9 only')
	if [ -z "$out" ]; then
		echo "ok - $page is lint-clean"
		pass=$((pass + 1))
	else
		echo "not ok - $page is lint-clean"
		echo "$out" | sed 's/^/#   /'
		fail=$((fail + 1))
	fi
done
echo "# $pass passed, $fail failed"
[ "$fail" = 0 ]
