2
denylist
reject_force_umount
# [all]: liblxc 5.0 on x86_64 adds each rule for the 64-bit, the 32-bit
# (x86) and the x32 system call tables, by name, so a program built -m32
# or -mx32 (or making x32 calls from a 64-bit process) meets the same
# rules; tests/integration/test_attacks_kernel.sh checks all three.
[all]
# Kernel modules, kexec and raw kernel surfaces: never from a sandbox.
kexec_load errno 1
kexec_file_load errno 1
init_module errno 1
finit_module errno 1
delete_module errno 1
open_by_handle_at errno 1
lookup_dcookie errno 1
quotactl errno 1
swapon errno 1
swapoff errno 1
acct errno 1
# The kernel keyring is not namespaced: ENOSYS, so programs fall back.
keyctl errno 38
add_key errno 38
request_key errno 38
# Large, bug-prone attack surfaces a login does not need.
bpf errno 1
userfaultfd errno 1
perf_event_open errno 1
# io_uring: ENOSYS, as on a kernel built without it, so programs fall
# back to plain system calls (its operations are not seen by seccomp).
io_uring_setup errno 38
io_uring_enter errno 38
io_uring_register errno 38
# Typing into another terminal (TIOCSTI) or the console (TIOCLINUX). The
# kernel reads only the request's low 32 bits: compare under that mask, or
# 0x100005412 would slip past (liblxc: [arg,value,MASKED_EQ,mask]).
ioctl errno 1 [1,21522,SCMP_CMP_MASKED_EQ,4294967295]
ioctl errno 1 [1,21532,SCMP_CMP_MASKED_EQ,4294967295]
# No nested user namespaces. clone3's flags are out of seccomp's reach:
# ENOSYS makes libc fall back to clone, whose flags are checked.
unshare errno 1 [0,268435456,SCMP_CMP_MASKED_EQ,268435456]
clone errno 1 [0,268435456,SCMP_CMP_MASKED_EQ,268435456]
clone3 errno 38
