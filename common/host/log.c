/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "log.h"

#include <stdarg.h>
#include <string.h>
#include <syslog.h>

#include "cleanup.h"
#include "util.h"

static bool needs_quotes(const char *v)
{
	if (!*v)
		return true;
	for (; *v; v++)
		if (*v == ' ' || *v == '"' || *v == '=' || *v == '\\')
			return true;
	return false;
}

static void put(char *buf, size_t max, size_t *len, char c)
{
	if (max == 0)
		return;
	if (*len + 1 < max)
		buf[(*len)++] = c;
	buf[*len] = '\0';
}

void log_kv_append(char *buf, size_t max, const char *key, const char *value)
{
	if (max == 0)
		return;
	size_t len = strnlen(buf, max - 1);
	bool q = needs_quotes(value);

	if (len > 0)
		put(buf, max, &len, ' ');
	for (const char *k = key; *k; k++)
		put(buf, max, &len, *k);
	put(buf, max, &len, '=');
	if (q)
		put(buf, max, &len, '"');
	/* Sanitized a piece at a time: a value is as long as it likes, the line is not. */
	for (const char *v = value; *v && len + 1 < max;) {
		char piece[256];
		size_t n = util_sanitize(piece, sizeof(piece), v);
		for (size_t i = 0; i < n; i++) {
			if (q && (piece[i] == '"' || piece[i] == '\\'))
				put(buf, max, &len, '\\');
			put(buf, max, &len, piece[i]);
		}
		v += n;
	}
	if (q)
		put(buf, max, &len, '"');
}

void log_format(char *buf, size_t max, const char *event, const char *const *pairs)
{
	buf[0] = '\0';
	log_kv_append(buf, max, "event", event);
	for (size_t i = 0; pairs[i]; i += 2)
		if (pairs[i + 1])
			log_kv_append(buf, max, pairs[i], pairs[i + 1]);
}

void log_open(bool debug)
{
	openlog("throwaway", LOG_PID | (debug ? LOG_PERROR : 0), LOG_AUTHPRIV);
}

void log_event(int priority, const char *event, ...)
{
	const char *pairs[64];
	size_t n = 0;
	va_list ap;
	char line[LOG_LINE_MAX];

	va_start(ap, event);
	for (const char *k; n + 2 < ELEMENTSOF(pairs) && (k = va_arg(ap, const char *));) {
		pairs[n++] = k;
		pairs[n++] = va_arg(ap, const char *);
	}
	va_end(ap);
	pairs[n] = NULL;
	log_format(line, sizeof(line), event, pairs);
	syslog(priority, "%s", line);
}
