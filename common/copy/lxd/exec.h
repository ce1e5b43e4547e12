/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A program in an LXD instance, its streams relayed (exec.c). */
#ifndef THROWAWAY_LXD_EXEC_H
#define THROWAWAY_LXD_EXEC_H

#include <stdbool.h>

#include "api.h"
#include "copy.h"

/*
 * Run X in instance NAME with fds 0, 1 and 2 of this process as its
 * streams; returns its exit status (0 to 255, 128 + N for a signal), or
 * -errno with err. Blocks until it has ended. For the stand-in process.
 */
int lxd_exec_run(struct lxd_conn *c, const char *name, const struct copy_exec *x,
		 struct tw_err *err);

/*
 * Does X hand typed-ahead bytes over through throwaway-enter -q? The one
 * answer for its argv (lxd_copy.c) and for the relay, which waits for
 * the NUL that -q writes.
 */
bool lxd_exec_hushed(const struct copy_exec *x);

/*
 * The relay alone: OP's websockets (secrets in FDS) on the LXD of WHERE,
 * to fds 0, 1 and 2 (with X's pty, one stream). With X's typed bytes, the
 * program is throwaway-enter -q (lxd_copy.c): they go first, once it says
 * its terminal's echo is off.
 */
int lxd_exec_relay(const struct lxd_place *where, const char *op, json_object *fds,
		   const struct copy_exec *x, struct tw_err *err);

#endif
