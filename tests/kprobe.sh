#!/bin/bash
# The seccomp probes (tests/kprobe.c) for every ABI an x86_64 kernel
# runs, and what they must print in a copy of either driver: sourced by
# test_attacks_kernel.sh and test_lxd_login.sh after lib.sh.

# kprobe_build DIR: twk64, twk32 (-m32) and twkx32 (-mx32), static, in
# DIR; HOST_IA32=yes when this kernel runs 32-bit programs at all (IA32
# emulation may be built out or off: then no copy does either).
kprobe_build() {
	local c=$1
	cp "$TW_ROOT/tests/kprobe.c" "$c/kprobe.c" &&
		(cd "$c" && gcc -static -O2 -o twk64 kprobe.c && gcc -m32 -static -O2 -o twk32 kprobe.c &&
			gcc -mx32 -static -O2 -o twkx32 kprobe.c) || return 1
	printf 'int main(void) { return 0; }\n' | gcc -m32 -static -x c -o "$c/true32" - || return 1
	if "$c/true32" 2>/dev/null; then HOST_IA32=yes; else HOST_IA32=no; fi
}

# What each probe must see: refused calls refused, their allowed
# neighbours (TCGETS, unshare(0), a plain clone) answered by the kernel.
KPROBE_WANT="io_uring_setup:ENOSYS io_uring_enter:ENOSYS io_uring_register:ENOSYS tiocsti:EPERM \
tioclinux:EPERM tcgets:ENOTTY unshare-user:EPERM unshare-none:OK clone-user:EPERM \
clone-plain:OK clone3-user:ENOSYS keyctl:ENOSYS add_key:ENOSYS request_key:ENOSYS"
# A kernel without x32: the filter still answers its argument rules
# first; every other x32 call is the kernel's ENOSYS.
KPROBE_WANT_NO_X32="getpid:ENOSYS $(printf '%s' "$KPROBE_WANT" | sed -e 's/:OK/:ENOSYS/g' -e 's/:ENOTTY/:ENOSYS/g')"

# kprobe_script DIR: shell lines that run the probes installed in DIR (in
# the copy), one output line per probe: "<abi> <results...>".
kprobe_script() {
	local d=$1
	printf '%s\n' "echo \"64 \$($d/twk64 | tr '\n' ' ')\"" \
		"echo \"32 \$($d/twk64 exec $d/twk32 | tr '\n' ' ')\"" \
		"echo \"x32bin \$($d/twk64 exec $d/twkx32 | tr '\n' ' ')\"" \
		"echo \"x32bit \$($d/twk64 x32 | tr '\n' ' ')\""
}

# kprobe_line OUTPUT ABI: that probe's results, one space between them.
kprobe_line() { printf '%s\n' "$1" | sed -n "s/^$2 //p" | xargs; }

# kprobe_check WHO OUTPUT: the cases of every ABI's probe on OUTPUT.
kprobe_check() {
	local who=$1 out=$2 x32
	expect_eq "$who: 64-bit probe: io_uring, TIOCSTI, CLONE_NEWUSER, keyring refused" \
		"$KPROBE_WANT" "$(kprobe_line "$out" 64)"
	if [ "$HOST_IA32" = yes ]; then
		expect_eq "$who: 32-bit (-m32) probe: the same refused, the same allowed" \
			"$KPROBE_WANT" "$(kprobe_line "$out" 32)"
	else
		echo "# this kernel runs no 32-bit programs (no IA32 emulation)"
		expect_eq "$who: the 32-bit probe does not execute, as on the host (no IA32 emulation)" \
			"exec:ENOEXEC" "$(kprobe_line "$out" 32)"
	fi
	x32=$(kprobe_line "$out" x32bit)
	case $x32 in
	getpid:OK*)
		echo "# the kernel runs x32 programs"
		expect_eq "$who: x32 (-mx32) probe: the same refused, the same allowed" \
			"$KPROBE_WANT" "$(kprobe_line "$out" x32bin)"
		expect_eq "$who: x32 calls from a 64-bit process: the same" "getpid:OK $KPROBE_WANT" "$x32"
		;;
	*)
		expect_eq "$who: the x32 probe does not execute (no x32 ABI in this kernel)" \
			"exec:ENOEXEC" "$(kprobe_line "$out" x32bin)"
		expect_eq "$who: x32 calls from a 64-bit process: ENOSYS, or the filter's refusal" \
			"$KPROBE_WANT_NO_X32" "$x32"
		;;
	esac
}
