/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The lxd driver's operation table (lxd_copy.c): the one symbol that
 * throwaway-lxd.so exports (lxd.map), found by copy.c with dlsym.
 */
#ifndef THROWAWAY_LXD_DRIVER_H
#define THROWAWAY_LXD_DRIVER_H

#include "copy.h"

/* Default visibility: the module is built with everything else hidden. */
extern const struct copy_driver copy_driver_lxd __attribute__((visibility("default")));

#endif
