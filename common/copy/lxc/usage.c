/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What an lxc copy uses, for throwawayctl list and show: its processes and
 * memory from its payload cgroup, the space used in its upper layer from a
 * statfs of its init's root (overlayfs reports its upper file system
 * there), its addresses from its network namespace.
 *
 * Nothing here talks to a copy's lxc monitor (liblxc's init_pid() and
 * is_running() do, and a wedged monitor would hang them): it reads cgroup
 * files, /proc and the copy's configuration, all written by root. Runs as
 * root; leaves nothing behind.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <netdb.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "container.h"
#include "util.h"

/*
 * Is the process behind procfd the init of a copy: pid 1 of a pid
 * namespace one level below ours? ("NSpid:\t<ours>\t1").
 */
static bool is_copy_init(int procfd)
{
	char buf[4096];
	_cleanup_close_ int fd = openat(procfd, "status", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	const char *l = strstr(buf, "\nNSpid:");
	if (!l)
		return false;
	const char *p = l + 7, *end;
	uint64_t ours, inner;
	/* Our pid for it, then its pid in the copy. */
	if (util_parse_u64(p + strspn(p, " \t"), INT_MAX, &end, &ours) < 0 ||
	    util_parse_u64(end + strspn(end, " \t"), INT_MAX, &end, &inner) < 0)
		return false;
	return inner == 1 && *end == '\n';
}

static int compare_pids(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
	return (x > y) - (x < y);
}

/*
 * The copy's init among its pids, checked (init is usually the lowest, so
 * that one is tried first). Returns an open /proc/<pid> directory, which
 * stays bound to that process even if the pid is reused; -ESRCH if none.
 */
static int find_init(struct cgroup_pids *l, pid_t *ret_pid)
{
	char p[32];
	/* A cgroup being emptied (a copy that stops) lists no pid, and no array. */
	if (l->n == 0)
		return -ESRCH;
	qsort(l->pids, l->n, sizeof(*l->pids), compare_pids);
	for (size_t i = 0; i < l->n; i++) {
		snprintf(p, sizeof(p), "/proc/%d", (int)l->pids[i]);
		_cleanup_close_ int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0 && is_copy_init(fd)) {
			*ret_pid = l->pids[i];
			return TAKE_FD(fd);
		}
	}
	return -ESRCH;
}

/* Bytes used on the file system of the init's root: the overlay's upper one. */
static int64_t upper_used(int procfd)
{
	struct statfs sf;
	_cleanup_close_ int root = openat(procfd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0 || fstatfs(root, &sf) < 0 || sf.f_blocks < sf.f_bfree)
		return -1;
	return (int64_t)((sf.f_blocks - sf.f_bfree) * (uint64_t)sf.f_bsize);
}

/* In a child that joined the copy's network namespace: its global addresses. */
static void __attribute__((noreturn)) list_addresses(int nsfd, int out)
{
	struct ifaddrs *ifa = NULL;
	char host[INET6_ADDRSTRLEN];
	if (setns(nsfd, CLONE_NEWNET) < 0 || getifaddrs(&ifa) < 0)
		_exit(1);
	for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
		int fam = i->ifa_addr ? i->ifa_addr->sa_family : AF_UNSPEC;
		if ((fam != AF_INET && fam != AF_INET6) || (i->ifa_flags & IFF_LOOPBACK))
			continue;
		if (fam == AF_INET6 &&
		    IN6_IS_ADDR_LINKLOCAL(&((struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr))
			continue;
		size_t sa =
			fam == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
		if (getnameinfo(i->ifa_addr, (socklen_t)sa, host, sizeof(host), NULL, 0,
				NI_NUMERICHOST) == 0 &&
		    (write(out, host, strlen(host)) < 0 || write(out, " ", 1) < 0))
			_exit(1);
	}
	_exit(0);
}

int ctr_addresses_of(pid_t init, char *buf, size_t len)
{
	char path[64];
	int p[2];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)init);
	_cleanup_close_ int ns = open(path, O_RDONLY | O_CLOEXEC);
	if (ns < 0 || len == 0 || pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		list_addresses(ns, p[1]);
	}
	close(p[1]);
	ssize_t n = 0, got = 1;
	while (pid > 0 && got > 0 && (size_t)n < len - 1) {
		got = read(p[0], buf + n, len - 1 - (size_t)n);
		if (got > 0)
			n += got;
		else if (got < 0 && errno == EINTR)
			got = 1;
	}
	if (pid < 0 || got < 0)
		n = -1;
	close(p[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	if (n < 0)
		return -EIO;
	while (n > 0 && buf[n - 1] == ' ')
		n--;
	buf[n] = '\0';
	return 0;
}

void ctr_usage(const char *place, const char *name, const struct copy_usage_want *want,
	       struct copy_usage *ret)
{
	_cleanup_(cgroup_pids_free) struct cgroup_pids l = { 0 };
	struct copy_usage u = { .procs = -1, .memory = -1, .upper = -1 };
	struct cgroup_usage cu;
	pid_t init = 0;

	(void)place; /* cgroups are named after the copy alone */
	if (cgroup_copy_pids(CGROUP_ROOT, name, &l) >= 0) {
		u.procs = (int64_t)l.n;
		_cleanup_close_ int procfd = find_init(&l, &init);
		/* With storage = dir the upper layer is a directory on the host's
		 * file system, whose statfs says nothing of it. */
		if (procfd >= 0 && want->upper_tmpfs)
			u.upper = upper_used(procfd);
	}
	if (init > 0)
		snprintf(u.init, sizeof(u.init), "%d", (int)init);
	if (init > 0 && want->addresses)
		ctr_addresses_of(init, u.addrs, sizeof(u.addrs));
	cgroup_copy_usage(CGROUP_ROOT, name, &cu);
	u.memory = cu.memory;
	*ret = u;
}

bool ctr_running(const char *place, const char *name)
{
	_cleanup_(cgroup_pids_free) struct cgroup_pids l = { 0 };
	(void)place;
	return cgroup_copy_pids(CGROUP_ROOT, name, &l) >= 0 && l.n > 0;
}
