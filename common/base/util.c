/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"

int util_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int util_read_all(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len > 0) {
		ssize_t n = read(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int util_read_capped(int fd, size_t max, char **ret_buf, size_t *ret_len)
{
	_cleanup_free_ char *buf = NULL;
	size_t cap = 0, len = 0;

	for (;;) {
		if (len == cap) {
			/* Room for max + 1 bytes at most: the one past max says too large. */
			if (len > max)
				return -EFBIG;
			size_t want = cap ? cap * 2 : 4096;
			if (want > max)
				want = max + 1;
			char *b = realloc(buf, want + 1);
			if (!b)
				return -ENOMEM;
			buf = b;
			cap = want;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret_buf = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

int util_read_path(const char *path, size_t max, char **ret_buf, size_t *ret_len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

	return fd < 0 ? -errno : util_read_capped(fd, max, ret_buf, ret_len);
}

int util_random(void *buf, size_t len)
{
	char *p = buf;

	while (len > 0) {
		ssize_t n = getrandom(p, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int util_cloexec_from(int from)
{
	/* close_range(CLOSE_RANGE_CLOEXEC) exists since 5.11; fall back to /proc. */
	if (syscall(SYS_close_range, (unsigned)from, ~0U, 4 /* CLOEXEC */) == 0)
		return 0;

	_cleanup_closedir_ DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -errno;
	struct dirent *de;
	while ((de = readdir(d))) {
		int fd = util_fd_name(de->d_name);
		if (fd >= from && fd != dirfd(d))
			fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	return 0;
}

/*
 * The kernel's struct sigaction where its handler comes first (the
 * architectures Debian builds this for): enough to read a disposition and
 * to set SIG_DFL with no flags and an empty mask.
 */
struct kernel_sigaction {
	void (*handler)(int);
	unsigned long flags;
	void (*restorer)(void);
	unsigned long mask;
};

/*
 * glibc keeps two signals below SIGRTMIN for itself (thread cancellation
 * and setxid) and refuses sigaction() on them, but an ignore inherited
 * from whoever started us survives every exec: turn such an ignore into
 * the default through the system call. A handler of glibc's stays.
 */
static void reset_reserved(int sig)
{
#if defined(__x86_64__) || defined(__aarch64__) || defined(__i386__)
	struct kernel_sigaction old, dfl = { .handler = SIG_DFL };
	if (syscall(SYS_rt_sigaction, sig, NULL, &old, sizeof(old.mask)) == 0 &&
	    old.handler == SIG_IGN)
		syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof(dfl.mask));
#else
	(void)sig;
#endif
}

void util_reset_signals(void)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };
	sigset_t all;

	for (int sig = 1; sig < NSIG; sig++)
		if (sigaction(sig, &sa, NULL) < 0 && errno == EINVAL && sig > SIGSYS)
			reset_reserved(sig); /* KILL and STOP fail harmlessly */
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
}

/* The field after the one at F, in a line of blank-separated fields; NULL at its end. */
static const char *next_field(const char *f)
{
	f = strchr(f, ' ');
	return f && f[1] ? f + 1 : NULL;
}

/* State (field 3) and start time (field 22) of /proc/PID/stat. */
static int proc_stat(pid_t pid, char *ret_state, uint64_t *ret_start)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	buf[n] = '\0';
	/* comm may hold spaces and ')': fields start after the last ')'. */
	const char *p = strrchr(buf, ')'), *f, *end;
	if (!p || p[1] != ' ' || !p[2])
		return -EIO;
	f = p + 2; /* field 3 */
	char state = *f;
	for (int i = 3; f && i < 22; i++)
		f = next_field(f);
	uint64_t v;
	if (!f || util_parse_u64(f, UINT64_MAX, &end, &v) < 0 || (*end != ' ' && *end != '\n'))
		return -EIO;
	*ret_state = state;
	*ret_start = v;
	return 0;
}

int util_proc_starttime(pid_t pid, uint64_t *ret)
{
	char state;
	return proc_stat(pid, &state, ret);
}

bool util_proc_alive(pid_t pid, uint64_t starttime)
{
	uint64_t st = 0;
	char state = '\0';

	/* A zombie has exited: nothing of it runs, whoever has yet to reap it. */
	if (pid <= 0 || proc_stat(pid, &state, &st) < 0 || state == 'Z' || state == 'X')
		return false;
	return st == starttime;
}

uint64_t util_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t util_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

size_t util_sanitize(char *dst, size_t max, const char *src)
{
	size_t i = 0;

	if (max == 0)
		return 0;
	for (; src && src[i] && i + 1 < max; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	dst[i] = '\0';
	return i;
}

int util_pidfd_open(pid_t pid)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	return fd < 0 ? -errno : fd;
}

int util_pidfd_signal(int pidfd, int sig)
{
	return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 ? -errno : 0;
}

int util_mkdir_secure(const char *path, mode_t mode, int *ret_fd)
{
	struct stat st;

	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return -errno;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || st.st_uid != 0) {
		close(fd);
		return -EPERM;
	}
	/* mkdir honours the umask; a directory made earlier may be looser. */
	if ((st.st_mode & 07777) != mode && fchmod(fd, mode) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	if (ret_fd)
		*ret_fd = fd;
	else
		close(fd);
	return 0;
}

int util_lock_wait(const char *path, unsigned timeout_ms)
{
	uint64_t deadline = util_now_ms() + timeout_ms;
	_cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0)
		return -errno;
	/* Polled, not blocked on: a blocking flock has no deadline. */
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -errno;
		if (util_now_ms() >= deadline)
			return -ETIMEDOUT;
		usleep(10 * 1000);
	}
	return TAKE_FD(fd);
}

void util_hex(const void *buf, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *b = buf;
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * len] = '\0';
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

ssize_t util_unhex(const char *hex, void *out, size_t max)
{
	unsigned char *o = out;
	size_t n = strlen(hex);
	if (n % 2 || n / 2 > max)
		return -EINVAL;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		o[i] = (unsigned char)(hi << 4 | lo);
	}
	return (ssize_t)(n / 2);
}

int util_kv_get(const char *text, const char *key, char *buf, size_t len)
{
	size_t kl = strlen(key);

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, key, kl) != 0 || l[kl] != '=')
			continue;
		const char *v = l + kl + 1;
		size_t vl = strcspn(v, "\n");
		if (vl >= len)
			return -ENAMETOOLONG;
		memcpy(buf, v, vl);
		buf[vl] = '\0';
		return 0;
	}
	return -ENOENT;
}

void *util_grow(void *arr, size_t *cap, size_t n, size_t size, size_t first)
{
	if (n < *cap)
		return arr;
	size_t want = *cap ? *cap * 2 : first;
	void *grown = reallocarray(arr, want, size);
	if (grown)
		*cap = want;
	return grown;
}

int util_strscpy(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size);
	if (n >= size)
		return -ENAMETOOLONG;
	memcpy(dst, src, n + 1);
	return 0;
}

int util_parse_u64(const char *s, uint64_t max, const char **ret_end, uint64_t *ret)
{
	char *end;

	/* strtoull would also take blanks and a sign (and negate it). */
	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno == ERANGE || v > max)
		return -ERANGE;
	if (!ret_end && *end)
		return -EINVAL;
	if (ret_end)
		*ret_end = end;
	*ret = v;
	return 0;
}

int util_pty_raw(unsigned short rows, unsigned short cols, int *ret_master, char *pts, size_t len)
{
	struct winsize ws = { .ws_row = rows, .ws_col = cols };
	struct termios t;
	_cleanup_close_ int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);

	/* A master's termios and size are its slave's. */
	if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, pts, len) != 0 ||
	    tcgetattr(m, &t) < 0)
		return -errno;
	cfmakeraw(&t);
	if (tcsetattr(m, TCSANOW, &t) < 0 || ioctl(m, TIOCSWINSZ, &ws) < 0)
		return -errno;
	*ret_master = TAKE_FD(m);
	return 0;
}

int util_fd_name(const char *name)
{
	uint64_t fd;
	int r = util_parse_u64(name, INT_MAX, NULL, &fd);
	return r < 0 ? r : (int)fd;
}

int util_list_dir(int dfd, DIR **ret_dir)
{
	_cleanup_close_ int fd = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -errno;
	DIR *d = fdopendir(fd);
	if (!d)
		return -errno;
	TAKE_FD(fd); /* the stream's now */
	/* The duplicate shares dfd's offset: list from the start, whatever read dfd before. */
	rewinddir(d);
	*ret_dir = d;
	return 0;
}

bool util_dot_or_dotdot(const char *name)
{
	return name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}
