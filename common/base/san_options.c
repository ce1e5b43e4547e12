/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Sanitizer defaults for the programs of a SANITIZE=1 build; the Makefile
 * links this file into them only then, never into the unit tests (which
 * keep leak detection) nor into libthrowaway.a.
 *
 * No LeakSanitizer: the keeper lives as long as a session and holds
 * liblxc's allocations, and the hook's exit status is liblxc's verdict, so
 * an exit-time leak report must not change it. Reports also go to syslog:
 * the keeper's stderr is /dev/null, the hook's goes to liblxc's log.
 */

const char *__asan_default_options(void);
const char *__ubsan_default_options(void);

const char *__asan_default_options(void)
{
	return "detect_leaks=0:log_to_syslog=1";
}

const char *__ubsan_default_options(void)
{
	return "print_stacktrace=1:log_to_syslog=1";
}
