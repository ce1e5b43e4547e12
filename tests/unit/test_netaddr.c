/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for common/base/netaddr.c (cmocka): the copies' addresses on a bridge. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "netaddr.h"

#define IP(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (d))

static void test_netaddr_parse_ok(void **state)
{
	uint32_t a;
	char buf[NETADDR_STRLEN];

	(void)state;
	assert_int_equal(netaddr_parse("10.251.3.1", &a), 0);
	assert_int_equal(a, IP(10, 251, 3, 1));
	netaddr_format(a, buf);
	assert_string_equal(buf, "10.251.3.1");
	netaddr_format(IP(255, 255, 255, 255), buf);
	assert_string_equal(buf, "255.255.255.255");
}

static void test_netaddr_parse_bad(void **state)
{
	static const char *const bad[] = { "",          "10.0.0",     "10.0.0.256",  "010.0.0.1",
					   "10.0.0.1 ", "0x0a.0.0.1", "10.0.0.1/24", "::1" };
	uint32_t a = 7;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(netaddr_parse(bad[i], &a), -EINVAL);
	assert_int_equal(netaddr_parse(NULL, &a), -EINVAL);
	assert_int_equal(a, 7);
}

static void test_netaddr_parse_range_ok(void **state)
{
	struct netaddr_range r;

	(void)state;
	assert_int_equal(netaddr_parse_range("10.0.0.10-10.0.0.10", &r), 0);
	assert_int_equal(r.first, r.last);
	assert_int_equal(netaddr_parse_range("10.0.0.0-10.0.255.255", &r), 0);
	assert_int_equal(r.last - r.first + 1, NETADDR_RANGE_MAX);
	assert_true(netaddr_range_valid("192.168.1.2-192.168.1.254"));
}

static void test_netaddr_parse_range_bad(void **state)
{
	static const char *const bad[] = {
		"10.0.0.9-10.0.0.2",
		"10.0.0.0-10.1.0.0",
		"10.0.0.2",
		"-10.0.0.2",
		"10.0.0.2-",
		"10.0.0.2--10.0.0.3",
		"10.0.0.2 -10.0.0.3",
		"10.0.0.2-10.0.0.3-",
		"255.255.255.255255-10.0.0.1",
		"",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(netaddr_range_valid(bad[i]));
	assert_false(netaddr_range_valid(NULL));
}

static void test_netaddr_range_in(void **state)
{
	const struct netaddr_net net = { .gateway = IP(10, 0, 0, 1), .prefix = 24 };
	struct netaddr_range r = { IP(10, 0, 0, 2), IP(10, 0, 0, 254) };
	struct netaddr_net wide = net;

	(void)state;
	assert_true(netaddr_range_in(&r, &net));
	r.first = IP(10, 0, 0, 0); /* the network's own address */
	assert_false(netaddr_range_in(&r, &net));
	r = (struct netaddr_range){ IP(10, 0, 0, 2), IP(10, 0, 0, 255) }; /* broadcast */
	assert_false(netaddr_range_in(&r, &net));
	r = (struct netaddr_range){ IP(10, 0, 0, 2), IP(10, 0, 1, 2) }; /* past the subnet */
	assert_false(netaddr_range_in(&r, &net));
	wide.prefix = 16;
	assert_true(netaddr_range_in(&r, &wide));
	wide.prefix = 31;
	assert_false(netaddr_range_in(&r, &wide));
}

/* The bridge's own address, the copies' gateway, in both pick cases. */
static const struct netaddr_net net = { .gateway = IP(10, 0, 0, 1), .prefix = 24 };

static void test_netaddr_pick(void **state)
{
	const struct netaddr_range r = { IP(10, 0, 0, 1), IP(10, 0, 0, 4) };
	uint8_t used[1] = { 0 };
	uint32_t a;

	(void)state;
	/* the gateway is never a copy's */
	assert_int_equal(netaddr_pick(&r, &net, used, 0, &a), 0);
	assert_int_equal(a, IP(10, 0, 0, 2));
	netaddr_mark(&r, used, a);
	netaddr_mark(&r, used, IP(10, 0, 0, 4));
	netaddr_mark(&r, used, IP(10, 0, 0, 200)); /* outside: ignored */
	assert_int_equal(netaddr_pick(&r, &net, used, 0, &a), 0);
	assert_int_equal(a, IP(10, 0, 0, 3));
	netaddr_mark(&r, used, a);
	a = 7;
	assert_int_equal(netaddr_pick(&r, &net, used, 0, &a), -EADDRNOTAVAIL);
	assert_int_equal(a, 7);
}

/* A front door that shares a range starts at a point of its own and wraps round. */
static void test_netaddr_pick_from(void **state)
{
	const struct netaddr_range r = { IP(10, 0, 0, 10), IP(10, 0, 0, 13) };
	const struct netaddr_range whole = { IP(10, 0, 0, 0), IP(10, 0, 255, 255) };
	uint8_t used[1] = { 0 };
	uint32_t a = 0;

	(void)state;
	/* from the third address of the range */
	assert_int_equal(netaddr_pick(&r, &net, used, 2, &a), 0);
	assert_int_equal(a, IP(10, 0, 0, 12));
	/* START past the end is taken modulo the range's size */
	assert_int_equal(netaddr_pick(&r, &net, used, 4 * 1000 + 3, &a), 0);
	assert_int_equal(a, IP(10, 0, 0, 13));
	netaddr_mark(&r, used, IP(10, 0, 0, 13));
	assert_int_equal(netaddr_pick(&r, &net, used, 3, &a), 0);
	assert_int_equal(a, IP(10, 0, 0, 10));
	netaddr_mark(&r, used, IP(10, 0, 0, 10));
	netaddr_mark(&r, used, IP(10, 0, 0, 11));
	netaddr_mark(&r, used, IP(10, 0, 0, 12));
	assert_int_equal(netaddr_pick(&r, &net, used, 1, &a), -EADDRNOTAVAIL);
	/* the largest range: its size does not fit the offset's type's arithmetic naively */
	uint8_t *big = test_calloc(NETADDR_RANGE_MAX / 8, 1);
	assert_int_equal(netaddr_pick(&whole, &net, big, UINT32_MAX, &a), 0);
	assert_int_equal(a, IP(10, 0, 0, 0) + UINT32_MAX % NETADDR_RANGE_MAX);
	test_free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_netaddr_parse_ok),
		cmocka_unit_test(test_netaddr_parse_bad),
		cmocka_unit_test(test_netaddr_parse_range_ok),
		cmocka_unit_test(test_netaddr_parse_range_bad),
		cmocka_unit_test(test_netaddr_range_in),
		cmocka_unit_test(test_netaddr_pick),
		cmocka_unit_test(test_netaddr_pick_from),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
