/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * twkprobe: the system calls the copies' seccomp profile refuses, and one
 * allowed neighbour of each argument rule, as this binary's ABI makes
 * them (built -m64, -m32 and -mx32). "twkprobe x32" makes the same calls
 * from a 64-bit process with the x32 bit set in the system call number.
 * Prints NAME:ERRNO-NAME, NAME:OK, or NAME:SIG<n> when the call killed
 * the process; each call runs in a child of its own. "twkprobe exec
 * PATH" runs PATH, or says why the kernel would not (exec:ENOEXEC).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

struct nrs {
	long io_uring_setup, io_uring_enter, io_uring_register, ioctl, unshare, clone, clone3,
		keyctl, add_key, request_key, getpid;
};

/* This binary's own ABI. */
static const struct nrs native = {
	SYS_io_uring_setup, SYS_io_uring_enter, SYS_io_uring_register,
	SYS_ioctl,          SYS_unshare,        SYS_clone,
	SYS_clone3,         SYS_keyctl,         SYS_add_key,
	SYS_request_key,    SYS_getpid,
};

/* x32's numbers (arch/x86/entry/syscalls/syscall_64.tbl), with __X32_SYSCALL_BIT. */
#define X32(n) (0x40000000L | (n))
static const struct nrs x32 = {
	X32(425), X32(426), X32(427), X32(514), X32(272), X32(56),
	X32(435), X32(250), X32(248), X32(249), X32(39),
};

static void report(const char *name, long r, int err)
{
	const char *e = r < 0 ? strerrorname_np(err) : "OK";
	printf("%s:%s\n", name, e ? e : "E?");
	fflush(stdout);
}

/* Run one call in a child, so that a kill (SIGSYS) is reported too. */
#define TRY(name, call)                                            \
	do {                                                       \
		fflush(stdout);                                    \
		pid_t p_ = fork();                                 \
		if (p_ == 0) {                                     \
			errno = 0;                                 \
			long r_ = (call);                          \
			report(name, r_, errno);                   \
			_exit(0);                                  \
		}                                                  \
		int st_ = 0;                                       \
		waitpid(p_, &st_, 0);                              \
		if (WIFSIGNALED(st_))                              \
			printf("%s:SIG%d\n", name, WTERMSIG(st_)); \
	} while (0)

/* clone without a new stack: the child returns 0 like fork's and leaves at once. */
static long clone_flags(const struct nrs *n, long flags)
{
	long r = syscall(n->clone, flags | SIGCHLD, 0L, 0L, 0L, 0L);
	if (r == 0)
		_exit(0);
	if (r > 0)
		waitpid((pid_t)r, NULL, 0);
	return r;
}

static long clone3_user(const struct nrs *n)
{
	struct clone_args a;
	memset(&a, 0, sizeof(a));
	a.flags = CLONE_NEWUSER;
	a.exit_signal = SIGCHLD;
	long r = syscall(n->clone3, &a, sizeof(a));
	if (r == 0)
		_exit(0);
	if (r > 0)
		waitpid((pid_t)r, NULL, 0);
	return r;
}

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "exec")) {
		execv(argv[2], argv + 2);
		report("exec", -1, errno);
		return 0;
	}
	const struct nrs *n = argc > 1 && !strcmp(argv[1], "x32") ? &x32 : &native;
	char params[256] = { 0 }; /* struct io_uring_params, and room */
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	char ch = 'x', sub = 12; /* TIOCL_GETSHIFTSTATE */
	struct termios t;

	if (n == &x32)
		TRY("getpid", syscall(n->getpid));
	TRY("io_uring_setup", syscall(n->io_uring_setup, 1L, params));
	TRY("io_uring_enter", syscall(n->io_uring_enter, -1L, 0L, 0L, 0L, 0L, 0L));
	TRY("io_uring_register", syscall(n->io_uring_register, -1L, 0L, 0L, 0L));
	/* On /dev/null the kernel itself says ENOTTY: EPERM is the filter's. */
	TRY("tiocsti", syscall(n->ioctl, (long)fd, (long)TIOCSTI, &ch));
	TRY("tioclinux", syscall(n->ioctl, (long)fd, (long)TIOCLINUX, &sub));
	TRY("tcgets", syscall(n->ioctl, (long)fd, (long)TCGETS, &t));
	TRY("unshare-user", syscall(n->unshare, (long)CLONE_NEWUSER));
	TRY("unshare-none", syscall(n->unshare, 0L));
	TRY("clone-user", clone_flags(n, CLONE_NEWUSER));
	TRY("clone-plain", clone_flags(n, 0));
	TRY("clone3-user", clone3_user(n));
	TRY("keyctl", syscall(n->keyctl, 0L /* KEYCTL_GET_KEYRING_ID */, -3L, 0L));
	TRY("add_key", syscall(n->add_key, "user", "tw", "x", 1L, -3L));
	TRY("request_key", syscall(n->request_key, "user", "tw", 0L, 0L));
	return 0;
}
