#!/bin/bash
# Build the libFuzzer harnesses for the parsers of untrusted input into
# build/fuzz/ and run each for $FUZZ_SECONDS (default 10) on a temporary copy
# of its seed corpus (nothing is written into tests/). Prints "ok - fuzz_X
# (N runs)" or "not ok - fuzz_X" per harness, then "# N passed, N failed",
# and exits non-zero on any failure. A failing run's crash input and log are
# kept in the temporary directory it names. Installs clang with apt-get when
# it is missing. Does not use the Makefile: it compiles the library's sources directly.
set -u
cd "$(dirname "$0")/../.." || exit 1

SECONDS_EACH=${FUZZ_SECONDS:-10}
CC=${FUZZ_CC:-clang}
OUT=build/fuzz
# shellcheck disable=SC2054 # the commas are part of -fsanitize=
CFLAGS=(-std=gnu11 -Wall -Wextra -g -O1 -D_GNU_SOURCE -Icommon/base -Icommon/host
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
	-fno-omit-frame-pointer)
PASS=0
FAIL=0

# The common/ sources and pkg-config packages each harness links.
declare -A SRCS=(
	[fuzz_config]="common/base/config.c common/base/config_backend.c common/base/err.c common/base/names.c common/base/netaddr.c common/base/util.c"
	[fuzz_keys]="common/host/keys.c"
	[fuzz_names]="common/base/names.c common/host/log.c common/base/util.c"
	[fuzz_proto]="common/base/proto.c common/base/util.c"
	[fuzz_ledger]="common/host/ledger.c common/base/names.c common/host/safefs.c common/base/util.c common/base/spawn.c common/base/err.c"
)
declare -A PKGS=([fuzz_config]=inih [fuzz_keys]=libssh)
HARNESSES=(fuzz_config fuzz_keys fuzz_names fuzz_proto fuzz_ledger)

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# apt-get install, running apt-get update once if a package is not found.
UPDATED=
apt_install() {
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" && return 0
	[ -n "$UPDATED" ] && return 1
	UPDATED=1
	as_root apt-get update -q && as_root env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q "$@"
}

fuzzer_links() {
	local dir
	dir=$(mktemp -d) || return 1
	echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);
int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' >"$dir/t.c"
	"$CC" -fsanitize=fuzzer,address,undefined "$dir/t.c" -o "$dir/t" >/dev/null 2>&1
	local rc=$?
	rm -rf "$dir"
	return $rc
}

ensure_clang() {
	if ! command -v "$CC" >/dev/null 2>&1; then
		apt_install clang || { echo "# cannot install clang" >&2; return 1; }
	fi
	if ! fuzzer_links; then
		apt_install libclang-rt-14-dev || true
		fuzzer_links || { echo "# $CC cannot link -fsanitize=fuzzer" >&2; return 1; }
	fi
}

build() {
	local h=$1 flags=
	if [ -n "${PKGS[$h]:-}" ]; then
		flags=$(pkg-config --cflags --libs "${PKGS[$h]}") || return 1
	fi
	# shellcheck disable=SC2086
	"$CC" "${CFLAGS[@]}" -o "$OUT/$h" "tests/fuzz/$h.c" ${SRCS[$h]} $flags
}

# Run one harness; echo the number of runs on success.
fuzz() {
	local h=$1 work=$2 runs
	mkdir -p "$work/corpus" "$work/artifacts"
	if [ -d "tests/fuzz/corpus/${h#fuzz_}" ]; then
		cp -r "tests/fuzz/corpus/${h#fuzz_}/." "$work/corpus/"
	fi
	"$OUT/$h" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$work/artifacts/" "$work/corpus" >"$work/log" 2>&1 || return 1
	runs=$(sed -n 's/^Done \([0-9]*\) runs in .*/\1/p' "$work/log" | tail -1)
	[ -n "$runs" ] || return 1
	echo "$runs"
}

report_failure() {
	local h=$1 work=$2 a
	echo "# $h: log and crash input kept in $work"
	grep -E '^(==[0-9]+==|SUMMARY|    #[0-9]+ |.*runtime error)' "$work/log" | head -40 | sed 's/^/#   /'
	for a in "$work"/artifacts/*; do
		[ -f "$a" ] || continue
		echo "# $h: $(basename "$a") ($(stat -c %s "$a") bytes):"
		od -An -tx1 -v "$a" | head -20 | sed 's/^/#  /'
	done
}

ensure_clang || { echo "not ok - clang with libFuzzer"; echo "# 0 passed, 1 failed"; exit 1; }
mkdir -p "$OUT" || exit 1
TMP=$(mktemp -d /tmp/throwaway-fuzz.XXXXXX) || exit 1

for h in "${HARNESSES[@]}"; do
	if ! build "$h" >"$TMP/$h.build" 2>&1; then
		sed 's/^/# /' "$TMP/$h.build"
		echo "not ok - $h (build failed)"
		FAIL=$((FAIL + 1))
		continue
	fi
	[ -s "$TMP/$h.build" ] && sed 's/^/# /' "$TMP/$h.build" # warnings
	if runs=$(fuzz "$h" "$TMP/$h"); then
		echo "ok - $h ($runs runs)"
		PASS=$((PASS + 1))
		rm -rf "${TMP:?}/$h"
	else
		echo "not ok - $h"
		report_failure "$h" "$TMP/$h"
		FAIL=$((FAIL + 1))
	fi
done

[ "$FAIL" = 0 ] && rm -rf "$TMP"
echo "# $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
