/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Syslog events as one line of key=value pairs (DESIGN.md "Logs"). The
 * programs call log_open() once; the PAM module never calls anything here
 * that touches syslog (it must not change the host program's ident).
 */
#ifndef THROWAWAY_LOG_H
#define THROWAWAY_LOG_H

#include <stdbool.h>
#include <stddef.h>

#define LOG_LINE_MAX 2048

/* Append " key=value" to buf (NUL-terminated, size max); values with
 * spaces or quotes are double-quoted, control bytes become '?'. */
void log_kv_append(char *buf, size_t max, const char *key, const char *value);

/* Format pairs (key, value, key, value, ..., NULL) after "event=EVENT". */
void log_format(char *buf, size_t max, const char *event, const char *const *pairs);

/* openlog("throwaway", LOG_PID, LOG_AUTHPRIV). debug also copies to stderr. */
void log_open(bool debug);

/* Log one event; NULL-terminated key/value list. Values may be NULL (skipped). */
void log_event(int priority, const char *event, ...) __attribute__((sentinel));

#endif
