/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What failed, carried up to the boundary that tells a person: an errno
 * and one sentence. Every layer that can fail for a reason worth telling
 * takes a struct tw_err * (one size, checked by the compiler); the
 * programs print or log e->msg, the PAM module passes it to the user.
 * (After crun's libcrun_error_t: made where it fails, context added on the
 * way up with tw_err_wrap.)
 */
#ifndef THROWAWAY_ERR_H
#define THROWAWAY_ERR_H

#define TW_ERR_MAX 512

struct tw_err {
	int code;             /* a positive errno, 0 while nothing failed */
	char msg[TW_ERR_MAX]; /* a sentence for people, "" while nothing failed */
};

/*
 * Record CODE (an errno, either sign) and the message. Returns -|CODE|
 * so that a failing function can end with "return tw_err_set(e, r, …)".
 * e may be NULL (the caller does not want the text).
 */
int tw_err_set(struct tw_err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Put context in front of what is there already: "CONTEXT: old message".
 * Returns -e->code (or -EIO when nothing was recorded).
 */
int tw_err_wrap(struct tw_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Forget what was recorded. */
static inline void tw_err_clear(struct tw_err *e)
{
	if (e) {
		e->code = 0;
		e->msg[0] = '\0';
	}
}

#endif
