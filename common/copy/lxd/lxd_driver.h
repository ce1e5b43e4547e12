/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The lxd driver's operation table (lxd_copy.c). */
#ifndef THROWAWAY_LXD_DRIVER_H
#define THROWAWAY_LXD_DRIVER_H

#include "copy.h"

extern const struct copy_driver copy_driver_lxd;

#endif
