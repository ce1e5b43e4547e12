/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for common/copy/lxd/place.c (cmocka): an LXD copy's place
 * written from a config and read back, the socket form and the HTTPS one,
 * and every kind of place that must not read back.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "place.h"

#define FILES "?cert=/etc/tw/c.crt&key=/etc/tw/c.key&server=/etc/tw/s.crt"

static struct config url_config(const char *url, const char *project)
{
	return (struct config){ .lxd_socket = (char *)"/var/lib/lxd/unix.socket",
				.lxd_url = (char *)url,
				.lxd_cert = (char *)"/etc/tw/c.crt",
				.lxd_key = (char *)"/etc/tw/c.key",
				.lxd_server_cert = (char *)"/etc/tw/s.crt",
				.lxd_project = (char *)project };
}

static void test_lxd_place_format_socket(void **state)
{
	struct config c = url_config(NULL, "default");
	char buf[128];

	(void)state;
	assert_int_equal(lxd_place_format(&c, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/var/lib/lxd/unix.socket");
	c.lxd_project = (char *)"lab-1";
	assert_int_equal(lxd_place_format(&c, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/var/lib/lxd/unix.socket#lab-1");
}

/* The port is always written: a place reads back one way. */
static void test_lxd_place_format_url(void **state)
{
	struct config c = url_config("https://lxd.example.org", "default");
	char buf[256];

	(void)state;
	assert_int_equal(lxd_place_format(&c, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "https://lxd.example.org:8443" FILES);
	c = url_config("https://10.0.0.5:9443", "lab-1");
	assert_int_equal(lxd_place_format(&c, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "https://10.0.0.5:9443" FILES "#lab-1");
}

static void test_lxd_place_format_too_long(void **state)
{
	struct config c = url_config("https://lxd.example.org", "default");
	char buf[40];

	(void)state;
	assert_int_equal(lxd_place_format(&c, buf, sizeof(buf)), -ENAMETOOLONG);
	c.lxd_url = NULL;
	assert_int_equal(lxd_place_format(&c, buf, 10), -ENAMETOOLONG);
}

/* lxd_url without its files (the config refuses it) has no place. */
static void test_lxd_place_format_url_without_files(void **state)
{
	struct config c = url_config("https://lxd.example.org", "default");
	char buf[256];

	(void)state;
	c.lxd_key = NULL;
	assert_int_equal(lxd_place_format(&c, buf, sizeof(buf)), -EINVAL);
}

static void test_lxd_place_parse_socket(void **state)
{
	struct lxd_place p;

	(void)state;
	assert_int_equal(lxd_place_parse("/var/lib/lxd/unix.socket", &p), 0);
	assert_string_equal(p.socket, "/var/lib/lxd/unix.socket");
	assert_string_equal(p.host, "");
	assert_string_equal(p.project, "");
	assert_int_equal(lxd_place_parse("/run/lxd.socket#lab-1", &p), 0);
	assert_string_equal(p.socket, "/run/lxd.socket");
	assert_string_equal(p.project, "lab-1");
}

static void test_lxd_place_parse_url(void **state)
{
	struct lxd_place p;

	(void)state;
	assert_int_equal(lxd_place_parse("https://lxd.example.org:8443" FILES "#lab-1", &p), 0);
	assert_string_equal(p.socket, "");
	assert_string_equal(p.host, "lxd.example.org");
	assert_int_equal(p.port, 8443);
	assert_string_equal(p.cert, "/etc/tw/c.crt");
	assert_string_equal(p.key, "/etc/tw/c.key");
	assert_string_equal(p.server, "/etc/tw/s.crt");
	assert_string_equal(p.project, "lab-1");
	assert_int_equal(lxd_place_parse("https://127.0.0.1:1" FILES, &p), 0);
	assert_string_equal(p.host, "127.0.0.1");
	assert_int_equal(p.port, 1);
	assert_string_equal(p.project, "");
}

/* What lxd_place_format writes, lxd_place_parse reads back as the config said. */
static void test_lxd_place_round_trip(void **state)
{
	struct config c = url_config("https://m1.lxd", "p");
	struct lxd_place p;
	char buf[256];

	(void)state;
	assert_int_equal(lxd_place_format(&c, buf, sizeof(buf)), 0);
	assert_int_equal(lxd_place_parse(buf, &p), 0);
	assert_string_equal(p.host, "m1.lxd");
	assert_int_equal(p.port, 8443);
	assert_string_equal(p.cert, c.lxd_cert);
	assert_string_equal(p.key, c.lxd_key);
	assert_string_equal(p.server, c.lxd_server_cert);
	assert_string_equal(p.project, "p");
}

/* Every place lxd_place_format does not write is refused, never half read. */
static void test_lxd_place_parse_bad(void **state)
{
	static const char *const bad[] = {
		"",
		"unix.socket",
		"lxd.example.org:8443" FILES,
		"http://lxd:8443" FILES,
		"https://lxd" FILES,   /* no port */
		"https://lxd:8443",    /* no files */
		"https://lxd:8443?",   /* none either */
		"https://lxd:0" FILES, /* port out of range */
		"https://lxd:65536" FILES,
		"https://lxd:84x3" FILES,
		"https://-lxd:8443" FILES, /* host */
		"https://lx_d:8443" FILES,
		"https://u@lxd:8443" FILES,
		"https://lxd:8443/1.0" FILES,
		"https://lxd:8443?key=/k&cert=/c&server=/s",  /* order */
		"https://lxd:8443?cert=/c&key=/k",            /* no server */
		"https://lxd:8443?cert=/c&key=/k&server=/s&", /* trailing part */
		"https://lxd:8443?cert=/c&key=/k&server=/s&x=1",
		"https://lxd:8443?cert=c&key=/k&server=/s", /* not absolute */
		"https://lxd:8443?cert=/c&key=&server=/s",
		"https://lxd:8443?cert=/c&key=/k&server=/a b",
		"https://lxd:8443?cert=/c&key=/../k&server=/s",
		"https://lxd:8443?cert=/c&key=/k%41&server=/s",
		"https://lxd:8443?cert=/c&key=/k=1&server=/s",
		"https://lxd:8443?cert=/c&key=/k&server=/s#", /* project */
		"https://lxd:8443?cert=/c&key=/k&server=/s#a/b",
		"https://lxd:8443?cert=/c&key=/k&server=/s#x#y",
		"/run/lxd.socket#",
		"/run/lxd.socket#-p",
	};
	struct lxd_place p;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = lxd_place_parse(bad[i], &p);
		if (r != -EINVAL)
			print_error("'%s' gave %d\n", bad[i], r);
		assert_int_equal(r, -EINVAL);
	}
}

static void test_lxd_place_parse_too_long(void **state)
{
	char place[NAMES_PLACE_MAX + 2];
	struct lxd_place p;

	(void)state;
	memset(place, 'a', sizeof(place) - 1);
	place[0] = '/';
	place[sizeof(place) - 1] = '\0';
	assert_int_equal(lxd_place_parse(place, &p), -ENAMETOOLONG);
	place[sizeof(place) - 2] = '\0';
	assert_int_equal(lxd_place_parse(place, &p), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lxd_place_format_socket),
		cmocka_unit_test(test_lxd_place_format_url),
		cmocka_unit_test(test_lxd_place_format_too_long),
		cmocka_unit_test(test_lxd_place_format_url_without_files),
		cmocka_unit_test(test_lxd_place_parse_socket),
		cmocka_unit_test(test_lxd_place_parse_url),
		cmocka_unit_test(test_lxd_place_round_trip),
		cmocka_unit_test(test_lxd_place_parse_bad),
		cmocka_unit_test(test_lxd_place_parse_too_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
