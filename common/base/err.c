/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int tw_err_set(struct tw_err *e, int code, const char *fmt, ...)
{
	int c = code < 0 ? -code : code;
	if (c == 0)
		c = EIO;
	if (e) {
		va_list ap;
		va_start(ap, fmt);
		if (vsnprintf(e->msg, sizeof(e->msg), fmt, ap) < 0)
			e->msg[0] = '\0';
		va_end(ap);
		e->code = c;
	}
	return -c;
}

int tw_err_wrap(struct tw_err *e, const char *fmt, ...)
{
	char ctx[TW_ERR_MAX], old[TW_ERR_MAX];
	va_list ap;
	if (!e)
		return -EIO;
	if (e->code == 0)
		e->code = EIO;
	va_start(ap, fmt);
	if (vsnprintf(ctx, sizeof(ctx), fmt, ap) < 0)
		ctx[0] = '\0';
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	/* Cut, never fail: the context first, then as much of the old text as fits. */
	size_t n = strlen(ctx);
	memcpy(e->msg, ctx, n + 1);
	if (old[0] && n + 2 < sizeof(e->msg)) {
		memcpy(e->msg + n, ": ", 3);
		n += 2;
		size_t m = strnlen(old, sizeof(e->msg) - 1 - n);
		memcpy(e->msg + n, old, m);
		e->msg[n + m] = '\0';
	}
	return -e->code;
}
