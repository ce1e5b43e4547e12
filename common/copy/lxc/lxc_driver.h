/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The lxc driver's operation table (driver.c), for copy.c's list of drivers. */
#ifndef THROWAWAY_LXC_DRIVER_H
#define THROWAWAY_LXC_DRIVER_H

#include "copy.h"

extern const struct copy_driver copy_driver_lxc;

#endif
