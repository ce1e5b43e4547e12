/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * throwaway-init: PID 1 of copies with boot = minimal, instead of the
 * origin's init. A login sandbox needs no services: this only reaps what
 * the session leaves as orphans, and ends on the signals that stop a
 * container (SIGTERM, SIGINT, SIGHUP, SIGPWR, SIGRTMIN+3), which ends the
 * session. Bound read-only into the copy from the host; static, so it runs
 * in any origin. Every signal is blocked and taken with sigwaitinfo(): a
 * PID 1 drops signals it has no handler for, but never blocked ones.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <unistd.h>

static bool is_stop_signal(int sig)
{
	return sig == SIGTERM || sig == SIGINT || sig == SIGHUP || sig == SIGPWR ||
	       sig == SIGRTMIN + 3;
}

int main(void)
{
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	if (getpid() != 1)
		return 2; /* only useful as a namespace's init */
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&all, &si);
		if (sig < 0 && errno == EINTR)
			continue;
		if (sig == SIGCHLD) {
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
			continue;
		}
		if (sig > 0 && is_stop_signal(sig))
			return 0; /* the kernel kills the rest of the namespace */
	}
}
