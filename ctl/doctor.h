/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * throwawayctl doctor's own parts: the report (doctor.c) and the checks of
 * the sandboxed users and of every sshd that serves them (doctor_sshd.c).
 */
#ifndef THROWAWAY_DOCTOR_H
#define THROWAWAY_DOCTOR_H

#include <stdbool.h>

#include "config.h"
#include "err.h"

enum verdict { V_OK, V_WARN, V_FAIL };

struct doctor {
	const char *config_path;
	struct config cfg;
	bool cfg_ok;
	struct tw_err cfg_err; /* why it is not */
	char *cfg_text;        /* the file as read, for the origins of every section */
	unsigned count[3];
};

/* One line of the report; a fix line under warn and fail. */
__attribute__((format(printf, 5, 6))) void doctor_say(struct doctor *d, enum verdict v,
						      const char *check, const char *fix,
						      const char *fmt, ...);

/*
 * Every user whose shell is throwaway-shell is in the group the sshd
 * snippet matches, and every member of that group has the shell.
 */
void doctor_check_enroll(struct doctor *d);

/*
 * Every running sshd (or, with none, the one that would start), as
 * "sshd -T" shows its configuration for each sandboxed user: forwarding,
 * ~/.ssh/rc and internal-sftp must not reach the host.
 */
void doctor_check_sshd(struct doctor *d);

/* network = veth:BRIDGE in any section: the bridge, where the copies run, holds its network_range. */
void doctor_check_network(struct doctor *d);

/* storage = dir in any section: the copies' directory has its disk cap (throwawayctl setup-disk). */
void doctor_check_disk(struct doctor *d);

#endif
