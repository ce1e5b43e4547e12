/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for common/copy/lxd/nic.c (cmocka): a copy's network as LXD
 * devices and raw.lxc. With network = none every interface it would
 * inherit is masked; with a bridge, one isolated eth0 (not isolated with
 * network_peers) and its address and route as the only raw.lxc network
 * keys LXD takes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nic.h"

/* DEVICES (JSON text) parsed; the caller puts it. */
static json_object *parse(const char *devices)
{
	json_object *o = json_tokener_parse(devices);

	assert_non_null(o);
	return o;
}

/* Device NAME's KEY in D, or NULL. */
static const char *dev_key(json_object *d, const char *name, const char *key)
{
	json_object *dev = NULL;

	if (!json_object_object_get_ex(d, name, &dev))
		return NULL;
	return lxd_str(dev, key);
}

static void test_lxd_nics_of(void **state)
{
	json_object *d = parse("{\"root\":{\"type\":\"disk\",\"path\":\"/\"},"
			       "\"eth0\":{\"type\":\"nic\",\"network\":\"lxdbr0\"},"
			       "\"mgmt\":{\"type\":\"nic\",\"nictype\":\"macvlan\"},"
			       "\"gpu\":{\"type\":\"gpu\"}}");
	struct lxd_nics n;

	(void)state;
	lxd_nics_of(d, &n);
	assert_int_equal(n.n, 2);
	assert_false(n.more);
	assert_string_equal(n.names[0], "eth0");
	assert_string_equal(n.names[1], "mgmt");
	json_object_put(d);
	lxd_nics_of(NULL, &n);
	assert_int_equal(n.n, 0);
}

/* More interfaces than a copy masks: said, never silently dropped. */
static void test_lxd_nics_of_too_many(void **state)
{
	json_object *d = json_object_new_object();
	char name[16];
	struct lxd_nics n;

	(void)state;
	for (int i = 0; i <= LXD_NICS_MAX; i++) {
		json_object *dev = json_object_new_object();
		json_object_object_add(dev, "type", json_object_new_string("nic"));
		snprintf(name, sizeof(name), "eth%d", i);
		json_object_object_add(d, name, dev);
	}
	lxd_nics_of(d, &n);
	assert_int_equal(n.n, LXD_NICS_MAX);
	assert_true(n.more);
	json_object_put(d);
}

static void test_lxd_nic_none_masks_inherited(void **state)
{
	struct config cfg = { .network = "none" };
	struct copy_spec s = { .cfg = &cfg };
	struct lxd_nics n = { .names = { "eth0", "mgmt" }, .n = 2 };
	json_object *d = json_object_new_object();
	char raw[256];

	(void)state;
	assert_int_equal(lxd_nic_devices(d, &s, &n), 0);
	assert_int_equal(json_object_object_length(d), 2);
	assert_string_equal(dev_key(d, "eth0", "type"), "none");
	assert_string_equal(dev_key(d, "mgmt", "type"), "none");
	lxd_nic_raw(&s, raw, sizeof(raw));
	assert_string_equal(raw, "");
	json_object_put(d);
}

static void test_lxd_nic_bridge(void **state)
{
	struct config cfg = { .network = "veth:br0" };
	struct copy_spec s = { .cfg = &cfg, .address = "10.0.3.10/24", .gateway = "10.0.3.1" };
	struct lxd_nics n = { .names = { "eth0", "mgmt" }, .n = 2 };
	json_object *d = json_object_new_object();
	char raw[256];

	(void)state;
	assert_int_equal(lxd_nic_devices(d, &s, &n), 0);
	/* the inherited eth0 is replaced by ours, the other masked */
	assert_string_equal(dev_key(d, "mgmt", "type"), "none");
	assert_string_equal(dev_key(d, "eth0", "type"), "nic");
	assert_string_equal(dev_key(d, "eth0", "nictype"), "bridged");
	assert_string_equal(dev_key(d, "eth0", "parent"), "br0");
	assert_string_equal(dev_key(d, "eth0", "name"), "eth0");
	assert_string_equal(dev_key(d, "eth0", "security.port_isolation"), "true");
	lxd_nic_raw(&s, raw, sizeof(raw));
	assert_string_equal(raw, "lxc.net.0.ipv4.address = 10.0.3.10/24\n"
				 "lxc.net.0.ipv4.gateway = 10.0.3.1\n");
	json_object_put(d);

	cfg.network_peers = true;
	d = json_object_new_object();
	assert_int_equal(lxd_nic_devices(d, &s, &(struct lxd_nics){ 0 }), 0);
	assert_string_equal(dev_key(d, "eth0", "security.port_isolation"), "false");
	json_object_put(d);
}

/* A copy joined, not made (no address chosen): no raw.lxc address. */
static void test_lxd_nic_raw_without_address(void **state)
{
	struct config cfg = { .network = "veth:br0" };
	struct copy_spec s = { .cfg = &cfg };
	char raw[256] = "x";

	(void)state;
	lxd_nic_raw(&s, raw, sizeof(raw));
	assert_string_equal(raw, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lxd_nics_of),
		cmocka_unit_test(test_lxd_nics_of_too_many),
		cmocka_unit_test(test_lxd_nic_none_masks_inherited),
		cmocka_unit_test(test_lxd_nic_bridge),
		cmocka_unit_test(test_lxd_nic_raw_without_address),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
