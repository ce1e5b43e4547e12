/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small helpers shared by every program: I/O loops, fds, randomness, procfs. */
#ifndef THROWAWAY_UTIL_H
#define THROWAWAY_UTIL_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TW_RUNDIR "/run/throwaway"

/* Read/write exactly len bytes, retrying on EINTR. 0 or -errno (-EPIPE on EOF). */
int util_write_all(int fd, const void *buf, size_t len);
int util_read_all(int fd, void *buf, size_t len);

/*
 * The one capped reader: all of FD (a file, pipe or socket, up to EOF)
 * into a malloc'd, NUL-terminated buffer, at most MAX bytes (-EFBIG past
 * them). 0 or -errno; nothing is written to the outputs on failure.
 */
int util_read_capped(int fd, size_t max, char **ret_buf, size_t *ret_len);

/* util_read_capped of the file at PATH, opened without following a final symlink. */
int util_read_path(const char *path, size_t max, char **ret_buf, size_t *ret_len);

/* Fill buf with len bytes from the kernel's random source. 0 or -errno. */
int util_random(void *buf, size_t len);

/* Mark every fd >= from close-on-exec. 0 or -errno. */
int util_cloexec_from(int from);

/* Reset every signal disposition to default and unblock all signals. */
void util_reset_signals(void);

/* The start time (field 22 of /proc/PID/stat), for pid-reuse checks. */
int util_proc_starttime(pid_t pid, uint64_t *ret);

/* True when PID is alive and still started at STARTTIME. */
bool util_proc_alive(pid_t pid, uint64_t starttime);

/* Milliseconds of CLOCK_REALTIME (wall clock, comparable across processes). */
uint64_t util_wall_ms(void);

/* Milliseconds of CLOCK_MONOTONIC. */
uint64_t util_now_ms(void);

/*
 * The one sanitizer for strings that reach a message, a terminal or a log
 * line: copies SRC (NULL: "") into DST of MAX bytes, every byte outside
 * printable ASCII as '?', cut at MAX - 1 bytes. Returns how many bytes of
 * SRC it took: SRC[n] != '\0' means it was cut.
 */
size_t util_sanitize(char *dst, size_t max, const char *src);

/* pidfd_open(2); -errno on failure. */
int util_pidfd_open(pid_t pid);

/* pidfd_send_signal(2): sig to the process of pidfd, never to a pid reused since. 0 or -errno. */
int util_pidfd_signal(int pidfd, int sig);

/* Open (creating if needed) a root-owned directory with MODE, O_NOFOLLOW. */
int util_mkdir_secure(const char *path, mode_t mode, int *ret_fd);

/*
 * An exclusive flock(2) on the file at PATH (made 0600 if missing; a
 * symlink is not followed), waited for up to TIMEOUT_MS: the locked fd,
 * close-on-exec (closing it unlocks), or -ETIMEDOUT, or -errno. The lock
 * goes with its holder's death, so a killed holder never blocks the rest.
 */
int util_lock_wait(const char *path, unsigned timeout_ms);

/*
 * A stream listing the directory dfd from its start, on a duplicate of
 * dfd: dfd stays open and the caller's whatever happens, and closedir
 * closes only the stream's own fd (so a _cleanup_close_ dfd and a
 * _cleanup_closedir_ stream never lose or double-close anything).
 * 0 or -errno.
 */
int util_list_dir(int dfd, DIR **ret_dir);

/*
 * ARR (N elements of SIZE bytes in room for *CAP) with room for one more:
 * ARR itself when there is, else grown to twice *CAP (FIRST at first),
 * *CAP updated. NULL when memory is short: ARR is then left as it was.
 */
void *util_grow(void *arr, size_t *cap, size_t n, size_t size, size_t first);

/* True for the "." and ".." entries of a directory listing. */
bool util_dot_or_dotdot(const char *name);

/*
 * Copy the string SRC into DST of SIZE bytes. 0, or -ENAMETOOLONG when it
 * does not fit with its NUL (DST is then left untouched).
 */
int util_strscpy(char *dst, size_t size, const char *src);

/*
 * The one decimal parser: numbers from files, messages, /proc and the
 * command line all go through it. Parses the decimal digits that start S
 * (at least one; no sign, no blanks) as a number of at most MAX. With
 * RET_END, *RET_END gets the first byte after them; without, the digits
 * must be all of S. 0, -EINVAL or -ERANGE.
 */
int util_parse_u64(const char *s, uint64_t max, const char **ret_end, uint64_t *ret);

/*
 * A pty pair, raw and ROWS x COLS from the start: its master (close-on-exec)
 * and the slave's path. Raw before any byte is written to the master, so
 * none is echoed or edited by a line discipline meant for no one.
 */
int util_pty_raw(unsigned short rows, unsigned short cols, int *ret_master, char *pts, size_t len);

/* The fd a /proc/self/fd entry NAME names, or -EINVAL ("." and ".."). */
int util_fd_name(const char *name);

/* LEN bytes of BUF as lowercase hex into OUT, which holds 2 * LEN + 1. */
void util_hex(const void *buf, size_t len, char *out);
/* Lowercase hex HEX back into at most MAX bytes of OUT: how many, or -EINVAL. */
ssize_t util_unhex(const char *hex, void *out, size_t max);

/* From "key=value\n" text, copy the value of KEY into buf. 0, -ENOENT, -ENAMETOOLONG. */
int util_kv_get(const char *text, const char *key, char *buf, size_t len);
#endif
