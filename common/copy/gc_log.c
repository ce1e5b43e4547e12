/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gc_log (gc.h): what gc did, as the syslog events the programs write. */
#include <string.h>
#include <syslog.h>

#include "gc.h"
#include "log.h"

void gc_log(const struct gc_item *it, void *data)
{
	(void)data;
	if (it->error == 0) {
		log_event(LOG_INFO, "destroy", "session", it->session, "user", it->user, "rhost",
			  it->rhost, "container", it->container, "reason", it->reason, NULL);
		return;
	}
	const char *why = it->reason && strcmp(it->reason, "drain") == 0
				  ? "draining a pooled copy failed"
				  : "destroying the copy failed";
	log_event(LOG_ERR, "error", "session", it->session, "user", it->user, "rhost", it->rhost,
		  "container", it->container, "reason", why, NULL);
}
