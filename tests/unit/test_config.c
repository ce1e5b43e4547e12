/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for common/base/config.c (cmocka). Run as root (trust checks). */
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cleanup.h"
#include "config.h"
#include "names.h"

/* Helpers ------------------------------------------------------------- */

static char *write_conf_len(const char *text, size_t len)
{
	char tmpl[] = "/tmp/tw-test-config-XXXXXX";
	int fd = mkstemp(tmpl);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	return strdup(tmpl);
}

/* Load TEXT for WHO; the file is removed again. Returns config_load's r. */
static int load_len(const char *text, size_t len, const struct config_who *who, struct config *c,
		    struct tw_err *err, char **ret_path)
{
	_cleanup_free_ char *path = write_conf_len(text, len);
	int r;

	tw_err_clear(err);
	r = config_load(path, who, c, err);
	unlink(path);
	if (ret_path)
		*ret_path = TAKE_PTR(path);
	return r;
}

static int load(const char *text, const struct config_who *who, struct config *c,
		struct tw_err *err)
{
	return load_len(text, strlen(text), who, c, err, NULL);
}

/* Loading TEXT must fail with exactly "PATH" SUFFIX as the message. */
static void expect_error_len(const char *text, size_t len, const struct config_who *who,
			     const char *suffix)
{
	struct tw_err err = { 0 };
	char want[TW_ERR_MAX];
	_cleanup_free_ char *path = NULL;
	struct config c = { 0 };
	int r;

	r = load_len(text, len, who, &c, &err, &path);
	snprintf(want, sizeof(want), "%s%s", path, suffix);
	if (r >= 0 || strcmp(err.msg, want) != 0)
		print_error("input:\n%s\nwant: %s\ngot (%d): %s\n", text, want, r, err.msg);
	assert_int_equal(r, -EINVAL);
	assert_int_equal(err.code, EINVAL);
	assert_string_equal(err.msg, want);
}

static void expect_error(const char *text, const char *suffix)
{
	expect_error_len(text, strlen(text), NULL, suffix);
}

/* "[global]\norigin = base\n" plus LINE (line 3) must load. */
static void load_global(const char *line, struct config *c)
{
	struct tw_err err = { 0 };
	char text[4096];
	int r;

	snprintf(text, sizeof(text), "[global]\norigin = base\n%s\n", line);
	r = load(text, NULL, c, &err);
	if (r < 0)
		print_error("%s\n", err.msg);
	assert_int_equal(r, 0);
}

/* "[global]\norigin = base\n" plus LINE (line 3) must fail with SUFFIX. */
static void expect_global_error(const char *line, const char *suffix)
{
	char text[4096];

	snprintf(text, sizeof(text), "[global]\norigin = base\n%s\n", line);
	expect_error(text, suffix);
}

static char *repeat(char ch, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, ch, n);
	s[n] = '\0';
	return s;
}

/* config_load: defaults and valid values ------------------------------ */

static void test_config_load_defaults(void **state)
{
	struct config c = { 0 };

	(void)state;
	load_global("", &c);
	assert_string_equal(c.origin, "base");
	assert_string_equal(c.origin_lxcpath, "/var/lib/lxc");
	assert_string_equal(c.lxcpath, "/var/lib/throwaway/containers");
	assert_int_equal(c.backend, BACKEND_LXC);
	assert_string_equal(c.lxd_socket, "/var/lib/lxd/unix.socket");
	assert_string_equal(c.lxd_project, "default");
	assert_null(c.lxd_url);
	assert_null(c.lxd_cert);
	assert_null(c.lxd_key);
	assert_null(c.lxd_server_cert);
	assert_null(c.lxd_target);
	assert_int_equal(c.storage, STORAGE_TMPFS);
	assert_int_equal(c.tmpfs_size, UINT64_C(1) << 30);
	assert_int_equal(c.dir_size, UINT64_C(1) << 30);
	assert_false(c.keep);
	assert_int_equal(c.kept_total, UINT64_C(10) << 30);
	assert_true(c.bind_home);
	assert_int_equal(c.n_binds, 0);
	assert_int_equal(c.ssh_keys, SSH_KEYS_ALL);
	assert_string_equal(c.shell, "/bin/sh");
	assert_true(c.userns);
	assert_string_equal(c.network, "none");
	assert_int_equal(c.pids_max, 512);
	assert_int_equal(c.memory_max, UINT64_C(1) << 30);
	assert_int_equal(c.memory_max_per_user, 0);
	assert_int_equal(c.memory_max_total, 0);
	/* 0: memory_max x max_sessions_per_user */
	assert_int_equal(config_memory_per_user(&c), UINT64_C(8) << 30);
	assert_int_equal(c.cpu_weight, 100);
	assert_int_equal(c.pty_max, 16);
	assert_int_equal(c.max_sessions, 256);
	assert_int_equal(c.max_sessions_per_user, 8);
	assert_int_equal(c.session_timeout, 0);
	assert_int_equal(c.idle_timeout, 0);
	assert_int_equal(c.start_timeout, 10);
	assert_string_equal(c.name, "%o-%u-%r");
	assert_int_equal(c.share, SHARE_SESSION);
	assert_int_equal(c.n_devices, 0);
	assert_int_equal(c.boot, BOOT_INIT);
	assert_int_equal(c.pool, 0);
	assert_true(c.banner);
	config_free(&c);
}

static void test_config_load_all_keys(void **state)
{
	static const char text[] = "# a comment\n"
				   "; another comment\n"
				   "\n"
				   "[global]\n"
				   "origin = base-1.x_y\n"
				   "origin_lxcpath = /srv/lxc\n"
				   "lxcpath=/srv/copies/\n"
				   "storage = dir\n"
				   "tmpfs_size = 512M\n"
				   "dir_size = 2G\n"
				   "keep = no\n"
				   "kept_total = 100G\n"
				   "bind_home = no\n"
				   "bind = /srv/data:/data:ro\n"
				   "bind = /srv/scratch:/scratch\n"
				   "ssh_keys = used\n"
				   "shell = /bin/bash\n"
				   "userns = no\n"
				   "network = none\n"
				   "pids_max = 100\n"
				   "memory_max = 2G\n"
				   "cpu_weight = 10000\n"
				   "pty_max = 1024\n"
				   "max_sessions = 1\n"
				   "max_sessions_per_user = 2\n"
				   "session_timeout = 1h\n"
				   "idle_timeout = 0s\n"
				   "start_timeout = 5m\n"
				   "name = tw.%u-%r-%U\n"
				   "share = session\n"
				   "boot = init\n"
				   "pool = 0\n"
				   "banner = no\n";
	struct tw_err err = { 0 };
	struct config c = { 0 };

	(void)state;
	assert_int_equal(load(text, NULL, &c, &err), 0);
	assert_string_equal(c.origin, "base-1.x_y");
	assert_string_equal(c.origin_lxcpath, "/srv/lxc");
	assert_string_equal(c.lxcpath, "/srv/copies/");
	assert_int_equal(c.storage, STORAGE_DIR);
	assert_int_equal(c.tmpfs_size, UINT64_C(512) << 20);
	assert_int_equal(c.dir_size, UINT64_C(2) << 30);
	assert_false(c.keep);
	assert_int_equal(c.kept_total, UINT64_C(100) << 30);
	assert_false(c.bind_home);
	assert_int_equal(c.n_binds, 2);
	assert_string_equal(c.binds[0].src, "/srv/data");
	assert_string_equal(c.binds[0].dst, "/data");
	assert_true(c.binds[0].ro);
	assert_string_equal(c.binds[1].src, "/srv/scratch");
	assert_string_equal(c.binds[1].dst, "/scratch");
	assert_false(c.binds[1].ro);
	assert_int_equal(c.ssh_keys, SSH_KEYS_USED);
	assert_string_equal(c.shell, "/bin/bash");
	assert_false(c.userns);
	assert_string_equal(c.network, "none");
	assert_int_equal(c.pids_max, 100);
	assert_int_equal(c.memory_max, UINT64_C(2) << 30);
	assert_int_equal(c.cpu_weight, 10000);
	assert_int_equal(c.pty_max, 1024);
	assert_int_equal(c.max_sessions, 1);
	assert_int_equal(c.max_sessions_per_user, 2);
	assert_int_equal(c.session_timeout, 3600);
	assert_int_equal(c.idle_timeout, 0);
	assert_int_equal(c.start_timeout, 300);
	assert_string_equal(c.name, "tw.%u-%r-%U");
	assert_int_equal(c.share, SHARE_SESSION);
	assert_int_equal(c.boot, BOOT_INIT);
	assert_int_equal(c.pool, 0);
	assert_false(c.banner);
	config_free(&c);
}

static void test_config_load_other_values(void **state)
{
	struct config c = { 0 };

	(void)state;
	load_global("ssh_keys = none", &c);
	assert_int_equal(c.ssh_keys, SSH_KEYS_NONE);
	config_free(&c);
	load_global("ssh_keys = all", &c);
	assert_int_equal(c.ssh_keys, SSH_KEYS_ALL);
	config_free(&c);
	load_global("storage = tmpfs", &c);
	assert_int_equal(c.storage, STORAGE_TMPFS);
	config_free(&c);
	load_global("keep = no", &c);
	assert_false(c.keep);
	config_free(&c);
	load_global("bind_home = yes", &c);
	assert_true(c.bind_home);
	config_free(&c);
	load_global("banner = yes", &c);
	assert_true(c.banner);
	config_free(&c);
	load_global("start_timeout = 1", &c);
	assert_int_equal(c.start_timeout, 1);
	config_free(&c);
	load_global("session_timeout = 90", &c);
	assert_int_equal(c.session_timeout, 90);
	config_free(&c);
	load_global("tmpfs_size = 1", &c);
	assert_int_equal(c.tmpfs_size, 1);
	config_free(&c);
	load_global("dir_size = 1M", &c);
	assert_int_equal(c.dir_size, 1 << 20);
	config_free(&c);
	load_global("kept_total = 1024K", &c);
	assert_int_equal(c.kept_total, 1 << 20);
	config_free(&c);
	load_global("memory_max = 64K", &c);
	assert_int_equal(c.memory_max, 65536);
	config_free(&c);
	load_global("memory_max_per_user = 3G", &c);
	assert_int_equal(c.memory_max_per_user, UINT64_C(3) << 30);
	assert_int_equal(config_memory_per_user(&c), UINT64_C(3) << 30);
	config_free(&c);
	load_global("memory_max = 9223372036854775808\nmax_sessions_per_user = 4", &c);
	assert_int_equal(config_memory_per_user(&c), UINT64_MAX); /* saturates */
	config_free(&c);
	load_global("memory_max_total = 20G", &c);
	assert_int_equal(c.memory_max_total, UINT64_C(20) << 30);
	config_free(&c);
	load_global("cpu_weight = 1", &c);
	assert_int_equal(c.cpu_weight, 1);
	config_free(&c);
	load_global("pty_max = 1", &c);
	assert_int_equal(c.pty_max, 1);
	config_free(&c);
	load_global("pids_max = 4194304", &c);
	assert_int_equal(c.pids_max, 4194304);
	config_free(&c);
	load_global("name = %o", &c);
	assert_string_equal(c.name, "%o");
	config_free(&c);
}

/* Names the config takes are exactly those names_container_valid / names_bridge_valid take. */
static void test_config_load_name_edges(void **state)
{
	static const char *const ok[] = {
		"network = veth:012345678901234\nnetwork_range = 10.0.0.2-10.0.0.9",
		"name = %o%u%U%s%r",
		"name = _%o",
		"name = 0123456789012345678901234567890123456789012345678901234567%r",
	};
	struct config c = { 0 };

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
		load_global(ok[i], &c);
		config_free(&c);
	}
	struct tw_err err = { 0 };
	assert_int_equal(load("[global]\norigin = "
			      "a12345678901234567890123456789012345678901234567890123456789012\n",
			      NULL, &c, &err),
			 0);
	assert_int_equal(strlen(c.origin), NAMES_CONTAINER_MAX);
	config_free(&c);
	expect_error("[global]\norigin = "
		     "a123456789012345678901234567890123456789012345678901234567890123\n",
		     ":2: bad value "
		     "'a123456789012345678901234567890123456789012345678901234567890123'"
		     " for 'origin'");
}

static void test_config_load_syntax_tolerated(void **state)
{
	static const char text[] = "\xef\xbb\xbf"
				   "# BOM, CRLF, blanks and comments\r\n"
				   "  # indented comment\r\n"
				   "\t\r\n"
				   "[global]   \r\n"
				   "origin=base\t\r\n"
				   "shell   =    /bin/zsh   \r\n"
				   "name = a%sb";
	struct tw_err err = { 0 };
	struct config c = { 0 };

	(void)state;
	assert_int_equal(load(text, NULL, &c, &err), 0);
	assert_string_equal(c.origin, "base");
	assert_string_equal(c.shell, "/bin/zsh");
	assert_string_equal(c.name, "a%sb");
	config_free(&c);
}

static void test_config_load_long_line(void **state)
{
	_cleanup_free_ char *dir = repeat('d', 490), *text = NULL;
	struct tw_err err = { 0 };
	struct config c = { 0 };

	(void)state;
	/* A 500-byte line: more than inih's 200-byte buffer, not cut. */
	assert_true(asprintf(&text, "[global]\norigin = base\nshell = /%s/sh\n", dir) > 0);
	assert_int_equal(load(text, NULL, &c, &err), 0);
	assert_int_equal(strlen(c.shell), 494);
	assert_int_equal(strncmp(c.shell + 1, dir, 490), 0);
	assert_string_equal(c.shell + 491, "/sh");
	config_free(&c);
}

static void test_config_load_line_of_1024(void **state)
{
	_cleanup_free_ char *src = repeat('s', 500), *dst = repeat('t', 511), *text = NULL;
	struct tw_err err = { 0 };
	struct config c = { 0 };

	(void)state;
	/* "bind = /" + 500 + ":/" + 511 + ":ro" = 8 + 500 + 2 + 511 + 3 */
	assert_true(asprintf(&text, "[global]\norigin = base\nbind = /%s:/%s:ro\n", src, dst) > 0);
	assert_int_equal(strlen(strchr(text + 23, 'b')), 1024 + 1);
	assert_int_equal(load(text, NULL, &c, &err), 0);
	assert_int_equal(c.n_binds, 1);
	assert_int_equal(strlen(c.binds[0].src), 501);
	assert_int_equal(strlen(c.binds[0].dst), 512);
	assert_true(c.binds[0].ro);
	config_free(&c);
}

static void test_config_load_long_line_bad_value(void **state)
{
	_cleanup_free_ char *v = repeat('x', 400), *text = NULL, *want = NULL;

	(void)state;
	/* The message quotes the full value's start, cut, never inih's cut. */
	assert_true(asprintf(&text, "[global]\norigin = base\npids_max = %s\n", v) > 0);
	assert_true(asprintf(&want, ":3: bad value '%.64s...' for 'pids_max'", v) > 0);
	expect_error(text, want);
}

/* config_load: bad input ---------------------------------------------- */

static void test_config_load_too_long_line(void **state)
{
	_cleanup_free_ char *dir = repeat('d', 1017), *text = NULL, *comment = repeat('#', 1025);

	(void)state;
	/* "shell = /" + 1017 + "/sh" = 1029 > 1024 */
	assert_true(asprintf(&text, "[global]\norigin = base\nshell = /%s/sh\n", dir) > 0);
	expect_error(text, ":3: line longer than 1024 bytes");
	free(text);
	/* 1025 bytes: one too many. */
	assert_true(asprintf(&text, "[global]\norigin = base\nshell = /%.1013s/sh\n", dir) > 0);
	assert_int_equal(strlen(strchr(text + 23, 's')), 1025 + 1);
	expect_error(text, ":3: line longer than 1024 bytes");
	free(text);
	/* Also a comment. */
	assert_true(asprintf(&text, "[global]\n%s\norigin = base\n", comment) > 0);
	expect_error(text, ":2: line longer than 1024 bytes");
}

static void test_config_load_unknown_key(void **state)
{
	(void)state;
	expect_error("[global]\norigin = base\n\n\n\n\nfoo = 1\n", ":7: unknown key 'foo'");
	expect_global_error("Origin = base", ":3: unknown key 'Origin'");
	expect_global_error("pids max = 5", ":3: unknown key 'pids max'");
	expect_global_error("a:b = 5", ":3: unknown key 'a:b'");
	expect_global_error("= 5", ":3: missing key before '='");
	expect_global_error("origin", ":3: expected 'key = value' or '[section]'");
}

static void test_config_load_unknown_key_quoted(void **state)
{
	_cleanup_free_ char *key = repeat('k', 100), *text = NULL, *want = NULL;

	(void)state;
	assert_true(asprintf(&text, "[global]\n%s = 1\n", key) > 0);
	assert_true(asprintf(&want, ":2: unknown key '%.64s...'", key) > 0);
	expect_error(text, want);
}

static void test_config_load_bad_values(void **state)
{
	static const char *const bad[][2] = {
		{ "origin", "-base" },
		{ "origin", ".base" },
		{ "origin", "a/b" },
		{ "origin", "a b" },
		{ "origin", "" },
		{ "origin", "0123456789012345678901234567890123456789012345678901"
			    "234567890123" },
		{ "origin_lxcpath", "var/lib/lxc" },
		{ "origin_lxcpath", "/var/../lxc" },
		{ "lxcpath", "/a:b" },
		{ "lxcpath", "/a,b" },
		{ "lxcpath", "/a b" },
		{ "lxcpath", "/.." },
		{ "storage", "nfs" },
		{ "storage", "TMPFS" },
		{ "tmpfs_size", "0" },
		{ "tmpfs_size", "0G" },
		{ "tmpfs_size", "1T" },
		{ "tmpfs_size", "-1G" },
		{ "tmpfs_size", "1 G" },
		{ "dir_size", "0" },
		{ "dir_size", "1023K" },
		{ "dir_size", "1T" },
		{ "dir_size", "-1G" },
		{ "kept_total", "0" },
		{ "kept_total", "1048575" },
		{ "kept_total", "10G5" },
		{ "keep", "true" },
		{ "keep", "1" },
		{ "bind_home", "Yes" },
		{ "bind_home", "" },
		{ "ssh_keys", "some" },
		{ "shell", "sh" },
		{ "shell", "" },
		{ "userns", "maybe" },
		{ "network", "bridge" },
		{ "network", "veth:" },
		{ "network", "veth:0123456789abcdef" },
		{ "network", "veth:br/0" },
		{ "network", "NONE" },
		{ "network_range", "10.0.0.2" },
		{ "network_range", "10.0.0.9-10.0.0.2" },
		{ "network_range", "10.0.0.2-" },
		{ "network_range", "-10.0.0.2" },
		{ "network_range", "10.0.0.2-10.1.0.2" },
		{ "network_range", "10.0.0.2 - 10.0.0.9" },
		{ "network_range", "10.0.0.02-10.0.0.9" },
		{ "network_range", "10.0.2-10.0.0.9" },
		{ "network_range", "10.0.0.2/24-10.0.0.9" },
		{ "network_range", "fd00::2-fd00::9" },
		{ "network_peers", "on" },
		{ "pids_max", "abc" },
		{ "pids_max", "0" },
		{ "pids_max", "-1" },
		{ "pids_max", "+5" },
		{ "pids_max", "5K" },
		{ "pids_max", "4194305" },
		{ "pids_max", "99999999999999999999999" },
		{ "memory_max", "0" },
		{ "memory_max", "1.5G" },
		{ "memory_max_per_user", "-1" },
		{ "memory_max_per_user", "2X" },
		{ "memory_max_total", "" },
		{ "memory_max_total", "1.5G" },
		{ "cpu_weight", "0" },
		{ "cpu_weight", "10001" },
		{ "pty_max", "0" },
		{ "pty_max", "1025" },
		{ "pty_max", "4K" },
		{ "pty_max", "-1" },
		{ "max_sessions", "0" },
		{ "max_sessions_per_user", "0" },
		{ "session_timeout", "1w" },
		{ "session_timeout", "-1" },
		{ "session_timeout", "4294967296" },
		{ "idle_timeout", "5x" },
		{ "start_timeout", "0" },
		{ "start_timeout", "0s" },
		{ "start_timeout", "301" },
		{ "start_timeout", "6m" },
		{ "start_timeout", "1h" },
		{ "name", "" },
		{ "name", "%x" },
		{ "name", "a%%b" },
		{ "name", "%" },
		{ "name", "a/b" },
		{ "name", "-%u" },
		{ "name", ".%u" },
		{ "name", "a b" },
		{ "name", "0123456789012345678901234567890123456789012345678901"
			  "234567890123" },
		{ "share", "everyone" },
		{ "device", "/tmp/fuse" },
		{ "device", "/dev/" },
		{ "device", "/dev/../etc/shadow" },
		{ "boot", "systemd" },
		{ "pool", "-1" },
		{ "pool", "x" },
		{ "banner", "on" },
		{ "backend", "LXD" },
		{ "backend", "docker" },
		{ "backend", "" },
		{ "lxd_socket", "unix.socket" },
		{ "lxd_socket", "/a/../b" },
		{ "lxd_project", "" },
		{ "lxd_project", "a/b" },
		{ "lxd_project", "a b" },
		{ "lxd_project", "-x" },
		{ "lxd_project", ".." },
		{ "lxd_project", "a?b" },
		{ "lxd_project", "0123456789012345678901234567890123456789012345678901"
				 "234567890123" },
		{ "lxd_target", "@" },
		{ "lxd_target", "@@g" },
		{ "lxd_target", "m&x=1" },
		{ "lxd_url", "http://h:8443" },
		{ "lxd_url", "https://" },
		{ "lxd_url", "https://h:0" },
		{ "lxd_url", "https://h:65536" },
		{ "lxd_url", "https://h:84x" },
		{ "lxd_url", "https://h/path" },
		{ "lxd_url", "https://u@h" },
		{ "lxd_url", "https://-h" },
		{ "lxd_cert", "cert.pem" },
		{ "lxd_key", "" },
		{ "lxd_server_cert", "/a b" },
		{ "lxd_cert", "/etc/lxd#1.crt" },
		{ "lxd_cert", "/etc/lxd?.crt" },
		{ "lxd_key", "/etc/a&key=/x" },
		{ "lxd_key", "/etc/a=b" },
		{ "lxd_server_cert", "/etc/100%.crt" },
		{ "lxd_server_cert", "/etc/../x.crt" },
		{ "home_source", "/srv/homes" },
		{ "home_source", "srv/homes/%u" },
		{ "home_source", "/srv/%h" },
		{ "home_source", "/srv/%u%" },
		{ "home_source", "/srv/100%%" },
		{ "home_source", "/srv/../%u" },
		{ "home_source", "/srv/%u:x" },
	};
	char line[256], want[256];
	size_t i;

	(void)state;
	for (i = 0; i < ELEMENTSOF(bad); i++) {
		snprintf(line, sizeof(line), "%s = %s", bad[i][0], bad[i][1]);
		snprintf(want, sizeof(want), ":3: bad value '%s' for '%s'", bad[i][1], bad[i][0]);
		if (strcmp(bad[i][0], "origin") == 0) {
			char text[512];

			snprintf(text, sizeof(text), "[global]\n\n%s\n", line);
			expect_error(text, want);
		} else {
			expect_global_error(line, want);
		}
	}
}

static void test_config_load_bad_bind(void **state)
{
	static const char *const bad[] = {
		"/a",       "/a:",        ":/b",    "a:/b",       "/a:b",
		"/a:/b:rw", "/a:/b:ro:x", "/a:/b:", "/a/../b:/c", "/a:/b/..",
		"/a b:/c",  "/a,b:/c",    "/a::/b", "",           "/a:/b:RO",
	};
	char line[256], want[256];
	size_t i;

	(void)state;
	for (i = 0; i < ELEMENTSOF(bad); i++) {
		snprintf(line, sizeof(line), "bind = %s", bad[i]);
		snprintf(want, sizeof(want), ":3: bad value '%s' for 'bind'", bad[i]);
		expect_global_error(line, want);
	}
}

static void test_config_load_pool(void **state)
{
	struct config c = { 0 };

	(void)state;
	load_global("pool = 256", &c);
	assert_int_equal(c.pool, 256);
	config_free(&c);
	expect_global_error("pool = 257", ":3: bad value '257' for 'pool'");
}
static void test_config_load_duplicate_key(void **state)
{
	(void)state;
	expect_error("[global]\norigin = base\nshell = /bin/sh\n\n\n"
		     "shell = /bin/bash\n",
		     ":6: key 'shell' given twice in [global]");
	expect_error("[global]\norigin = base\n[group:staff]\npids_max = 1\n"
		     "pids_max = 1\n",
		     ":5: key 'pids_max' given twice in [group:staff]");
	expect_error("[global]\norigin = a\norigin = a\n",
		     ":3: key 'origin' given twice in [global]");
}

static void test_config_load_duplicate_section(void **state)
{
	(void)state;
	expect_error("[global]\norigin = base\n[global]\n", ":3: section [global] given twice");
	expect_error("[global]\norigin = base\n[user:bob]\n[group:bob]\n"
		     "[user:bob]\n",
		     ":5: section [user:bob] given twice");
}

static void test_config_load_unknown_section(void **state)
{
	(void)state;
	expect_error("[foo]\n", ":1: unknown section '[foo]'");
	expect_error("[global]\norigin = base\n[Global]\n", ":3: unknown section '[Global]'");
	expect_error("[ global ]\n", ":1: unknown section '[ global ]'");
	expect_error("[group:]\n", ":1: unknown section '[group:]'");
	expect_error("[user:]\n", ":1: unknown section '[user:]'");
	expect_error("[user:a b]\n", ":1: unknown section '[user:a b]'");
	expect_error("[user]\n", ":1: unknown section '[user]'");
	expect_error("[global\n", ":1: malformed section header '[global'");
	expect_error("[global] x\n", ":1: malformed section header '[global] x'");
	expect_error("[glo]bal]\n", ":1: malformed section header '[glo]bal]'");
}

static void test_config_load_long_section_name(void **state)
{
	_cleanup_free_ char *user = repeat('u', 256), *text = NULL, *over = NULL, *want = NULL;
	const struct config_who who = { .user = user };
	struct tw_err err = { 0 };
	struct config c = { 0 };

	(void)state;
	/* Longer than inih's 200-byte line and 50-byte section buffers. */
	assert_true(asprintf(&text,
			     "[global]\norigin = base\n[user:%s]\n"
			     "shell = /bin/long\n[user:x]\nshell = /bin/x\n",
			     user) > 0);
	assert_int_equal(load(text, &who, &c, &err), 0);
	assert_string_equal(c.shell, "/bin/long");
	config_free(&c);
	assert_true(asprintf(&over, "[user:%su]\n", user) > 0);
	assert_true(asprintf(&want, ":1: unknown section '%.64s...'", over) > 0);
	expect_error(over, want);
}

/*
 * A group name as long as CONFIG_GROUP_NAME_MAX applies (the keeper writes
 * names up to that long into a copy's /etc/group); a longer one is refused.
 */
static void test_config_load_long_group_name(void **state)
{
	_cleanup_free_ char *group = repeat('g', CONFIG_GROUP_NAME_MAX), *text = NULL, *over = NULL,
			    *want = NULL;
	const char *groups[] = { "users", group };
	const struct config_who who = { .user = "alice", .groups = groups, .n_groups = 2 };
	struct tw_err err = { 0 };
	struct config c = { 0 };

	(void)state;
	assert_true(asprintf(&text, "[global]\norigin = base\n[group:%s]\nshell = /bin/long\n",
			     group) > 0);
	assert_int_equal(load(text, &who, &c, &err), 0);
	assert_string_equal(c.shell, "/bin/long");
	config_free(&c);
	assert_true(asprintf(&over, "[group:%sg]\n", group) > 0);
	assert_true(asprintf(&want, ":1: unknown section '%.64s...'", over) > 0);
	expect_error(over, want);
}

/* memory_max_total caps all copies together: one value, in [global] only. */
static void test_config_load_global_only(void **state)
{
	(void)state;
	expect_error("[global]\norigin = base\n[user:alice]\nmemory_max_total = 4G\n",
		     ":4: 'memory_max_total' is one value for all users: set it in [global]");
	expect_error("[global]\norigin = base\n[group:staff]\nmemory_max_total = 4G\n",
		     ":4: 'memory_max_total' is one value for all users: set it in [global]");
	/* a per-user cap may differ per user and group */
	struct config c = { 0 };
	struct tw_err err = { 0 };
	struct config_who who = { .user = "alice" };
	assert_int_equal(load("[global]\norigin = base\n[user:alice]\nmemory_max_per_user = 2G\n",
			      &who, &c, &err),
			 0);
	assert_int_equal(c.memory_max_per_user, UINT64_C(2) << 30);
	config_free(&c);
}

static void test_config_load_key_outside_section(void **state)
{
	(void)state;
	expect_error("origin = base\n[global]\n", ":1: key outside of a section");
	expect_error("# comment\n\nshell = /bin/sh\n", ":3: key outside of a section");
}

static void test_config_load_continuation(void **state)
{
	(void)state;
	expect_global_error("  more", ":3: continuation lines are not allowed");
	expect_global_error("\tshell = /bin/sh", ":3: continuation lines are not allowed");
	expect_error("  [global]\n", ":1: continuation lines are not allowed");
}

static void test_config_load_inline_comment(void **state)
{
	(void)state;
	expect_global_error("shell = /bin/sh ; comment", ":3: inline comments are not allowed");
	expect_global_error("shell = /bin/sh;comment", ":3: inline comments are not allowed");
	expect_global_error("shell = /bin/sh # comment", ":3: inline comments are not allowed");
	expect_global_error("shell = /bin/sh\t# comment", ":3: inline comments are not allowed");
	expect_error("[global] ; comment\n", ":1: inline comments are not allowed");
	expect_error("[global]\t#c\n", ":1: inline comments are not allowed");
}

static void test_config_load_nul_and_control(void **state)
{
	static const char nul[] = "[global]\norigin = ba\0se\n";
	static const char bel[] = "[global]\norigin = ba\ase\n";

	(void)state;
	expect_error_len(nul, sizeof(nul) - 1, NULL, ":2: NUL byte in line");
	expect_error(bel, ":2: control character in line");
	expect_error("[global]\n\rorigin = base\n", ":2: control character in line");
}

static void test_config_load_missing_origin(void **state)
{
	(void)state;
	expect_error("[global]\nshell = /bin/sh\n", ": no 'origin' set");
	expect_error("", ": no 'origin' set");
	expect_error("# nothing\n", ": no 'origin' set");
}

static void test_config_load_origin_only_for_user(void **state)
{
	static const char text[] = "[global]\n[user:alice]\norigin = a\n";
	const struct config_who alice = { .user = "alice" };
	const struct config_who bob = { .user = "bob" };
	struct tw_err err = { 0 };
	struct config c = { 0 };

	(void)state;
	assert_int_equal(load(text, &alice, &c, &err), 0);
	assert_string_equal(c.origin, "a");
	config_free(&c);
	expect_error_len(text, strlen(text), &bob, ": no 'origin' set");
}

static void test_config_load_bind_cap(void **state)
{
	char text[8192], *p = text;
	int i;

	(void)state;
	p += sprintf(p, "[global]\norigin = base\n");
	for (i = 0; i < CONFIG_MAX_BINDS + 1; i++)
		p += sprintf(p, "bind = /s%d:/d%d\n", i, i);
	expect_error(text, ":35: 'bind' is repeated too often");
}

static void test_config_load_bind_cap_across_sections(void **state)
{
	const struct config_who alice = { .user = "alice" };
	const struct config_who bob = { .user = "bob" };
	struct tw_err err = { 0 };
	char text[8192], *p = text;
	struct config c = { 0 };
	int i;

	(void)state;
	p += sprintf(p, "[global]\norigin = base\n");
	for (i = 0; i < 20; i++)
		p += sprintf(p, "bind = /g%d:/g%d\n", i, i); /* lines 3..22 */
	p += sprintf(p, "[user:alice]\n");                   /* line 23 */
	for (i = 0; i < 20; i++)
		p += sprintf(p, "bind = /a%d:/a%d\n", i, i); /* lines 24..43 */
	expect_error_len(text, strlen(text), &alice, ":36: 'bind' is repeated too often");
	assert_int_equal(load(text, &bob, &c, &err), 0);
	assert_int_equal(c.n_binds, 20);
	config_free(&c);
	assert_int_equal(load(text, NULL, &c, &err), 0);
	assert_int_equal(c.n_binds, 20);
	config_free(&c);
}

static void test_config_load_device_cap(void **state)
{
	char text[8192], *p = text;
	struct config c = { 0 };
	struct tw_err err = { 0 };
	int i;

	(void)state;
	p += sprintf(p, "[global]\norigin = base\n");
	for (i = 0; i < CONFIG_MAX_DEVICES; i++)
		p += sprintf(p, "device = /dev/d%d\n", i); /* lines 3..34 */
	assert_int_equal(load(text, NULL, &c, &err), 0);
	assert_int_equal(c.n_devices, CONFIG_MAX_DEVICES);
	assert_string_equal(c.devices[CONFIG_MAX_DEVICES - 1], "/dev/d31");
	config_free(&c);
	sprintf(p, "device = /dev/one-too-many\n");
	expect_error(text, ":35: 'device' is repeated too often");
}

static void test_config_load_ephemeral_options(void **state)
{
	struct config c = { 0 };

	(void)state;
	load_global("storage = dir\nkeep = yes\nnetwork = veth:twbr0\n"
		    "network_range = 10.0.0.10-10.0.0.250\nnetwork_peers = yes\n"
		    "share = user\ndevice = /dev/fuse\nname = lab-%u-%s\nboot = minimal",
		    &c);
	assert_int_equal(c.boot, BOOT_MINIMAL);
	assert_true(c.keep);
	assert_int_equal(c.storage, STORAGE_DIR);
	assert_string_equal(c.network, "veth:twbr0");
	assert_string_equal(c.network_range, "10.0.0.10-10.0.0.250");
	assert_true(c.network_peers);
	assert_int_equal(c.share, SHARE_USER);
	assert_int_equal(c.n_devices, 1);
	assert_string_equal(c.devices[0], "/dev/fuse");
	assert_string_equal(c.name, "lab-%u-%s");
	config_free(&c);
	/* keep needs an upper layer on disk; the error names the keep line */
	expect_global_error("keep = yes", ":3: 'keep = yes' needs 'storage = dir'");
	/* a bridge needs the addresses the host gives its copies; none by default */
	expect_global_error("network = veth:br0", ":3: 'network = veth:br0' needs 'network_range'");
	load_global("network_range = 10.0.0.10-10.0.0.250", &c);
	assert_string_equal(c.network, "none");
	assert_false(c.network_peers);
	config_free(&c);
	/* resolved per user: alice's own storage undoes the global one */
	static const char text[] = "[global]\norigin = base\nstorage = dir\nkeep = yes\n"
				   "[user:alice]\nstorage = tmpfs\n";
	const struct config_who alice = { .user = "alice" };
	expect_error_len(text, strlen(text), &alice, ":4: 'keep = yes' needs 'storage = dir'");
	struct tw_err err = { 0 };
	assert_int_equal(load(text, NULL, &c, &err), 0);
	config_free(&c);
}

/* The lxd keys, overridden per user as every key is. */
static void test_config_load_lxd_keys(void **state)
{
	static const char text[] = "[global]\norigin = base\nbackend = lxc\n"
				   "lxd_socket = /run/lxd.socket\nlxd_target = member2\n"
				   "[user:alice]\nlxd_project = lab-1\nlxd_target = @students\n";
	const struct config_who alice = { .user = "alice" };
	struct tw_err err = { 0 };
	struct config c = { 0 };

	(void)state;
	assert_int_equal(load(text, &alice, &c, &err), 0);
	assert_int_equal(c.backend, BACKEND_LXC);
	assert_string_equal(c.lxd_socket, "/run/lxd.socket");
	assert_string_equal(c.lxd_project, "lab-1");
	assert_string_equal(c.lxd_target, "@students");
	config_free(&c);
	assert_int_equal(load(text, NULL, &c, &err), 0);
	assert_string_equal(c.lxd_project, "default");
	assert_string_equal(c.lxd_target, "member2");
	config_free(&c);
}

/* Keys that cannot work on lxd: an error at their line, saying why. */
static void test_config_load_lxd_refuses_host_keys(void **state)
{
	static const char *const refused[][2] = {
		{ "origin_lxcpath = /srv/lxc",
		  "'origin_lxcpath' does not work with 'backend = lxd': "
		  "it is a directory of this host's LXC" },
		{ "lxcpath = /srv/copies", "'lxcpath' does not work with 'backend = lxd': LXD" },
		{ "storage = tmpfs", "'storage' does not work with 'backend = lxd'" },
		{ "tmpfs_size = 2G", "'tmpfs_size' does not work with 'backend = lxd'" },
		{ "dir_size = 2G", "'dir_size' does not work with 'backend = lxd'" },
		{ "kept_total = 20G", "'kept_total' does not work with 'backend = lxd'" },
		{ "keep = no", "'keep' does not work with 'backend = lxd'" },
		{ "device = /dev/fuse", "'device' does not work with 'backend = lxd': it is a "
					"device path of this host" },
		{ "pty_max = 32", "'pty_max' does not work with 'backend = lxd'" },
		{ "memory_max_per_user = 4G",
		  "'memory_max_per_user' does not work with 'backend = lxd': LXD places" },
		{ "memory_max_total = 16G",
		  "'memory_max_total' does not work with 'backend = lxd'" },
		{ "boot = minimal", "'boot' does not work with 'backend = lxd'" },
		{ "userns = no", "'userns' does not work with 'backend = lxd': LXD copies are "
				 "never privileged" },
		{ "pool = 2", "'pool' does not work with 'backend = lxd': an LXD copy passes the "
			      "user's own uid through its id map" },
	};
	char text[512];
	struct tw_err err = { 0 };
	struct config c = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		snprintf(text, sizeof(text), "[global]\norigin = base\nbackend = lxd\n%s\n",
			 refused[i][0]);
		assert_int_equal(load(text, NULL, &c, &err), -EINVAL);
		if (!strstr(err.msg, ":4: ") || !strstr(err.msg, refused[i][1]))
			print_error("%s\ngot: %s\n", refused[i][0], err.msg);
		assert_non_null(strstr(err.msg, ":4: "));
		assert_non_null(strstr(err.msg, refused[i][1]));
		/* the same line is fine on lxc */
		snprintf(text, sizeof(text), "[global]\norigin = base\n%s\n", refused[i][0]);
		if (strncmp(refused[i][0], "keep", 4) != 0) {
			assert_int_equal(load(text, NULL, &c, &err), 0);
			config_free(&c);
		}
	}
}

/* What lxd can do, with the defaults that mean nothing there, is a config that loads. */
static void test_config_load_lxd_accepted(void **state)
{
	static const char text[] = "[global]\norigin = base\nbackend = lxd\nuserns = yes\n"
				   "network = none\npool = 0\nshare = session\nbind_home = no\n"
				   "bind = /srv:/data:ro\nboot = init\nlxd_project = p\n";
	struct tw_err err = { 0 };
	struct config c = { 0 };

	(void)state;
	assert_int_equal(load(text, NULL, &c, &err), 0);
	assert_int_equal(c.backend, BACKEND_LXD);
	assert_string_equal(c.lxd_project, "p");
	assert_int_equal(c.n_binds, 1);
	config_free(&c);
	/* A bridge too: its port, address and gateway become LXD's (nic.h). */
	static const char bridged[] = "[global]\norigin = base\nbackend = lxd\n"
				      "network = veth:br0\nnetwork_range = 10.0.0.2-10.0.0.9\n"
				      "network_peers = yes\n";
	assert_int_equal(load(bridged, NULL, &c, &err), 0);
	assert_string_equal(c.network, "veth:br0");
	assert_true(c.network_peers);
	config_free(&c);
}

#define URL "lxd_url = https://lxd.example.org:8443\n"
#define CERT "lxd_cert = /etc/throwaway/lxd.crt\n"
#define KEY "lxd_key = /etc/throwaway/lxd.key\n"
#define SERVER "lxd_server_cert = /etc/throwaway/server.crt\n"

/* lxd_url with its three files: a missing one is an error at lxd_url's line, saying why. */
static void test_config_load_lxd_url_needs_files(void **state)
{
	(void)state;
	expect_global_error(URL KEY SERVER, ":3: 'lxd_url' needs 'lxd_cert': LXD knows this host "
					    "by its client certificate");
	expect_global_error(URL CERT SERVER, ":3: 'lxd_url' needs 'lxd_key': the private key of "
					     "'lxd_cert'");
	expect_global_error(KEY URL CERT, ":4: 'lxd_url' needs 'lxd_server_cert': LXD's own "
					  "certificate is pinned, no other is trusted");
}

/* The files without lxd_url mean nothing: an error at their line, never ignored. */
static void test_config_load_lxd_files_need_url(void **state)
{
	(void)state;
	expect_global_error(CERT, ":3: 'lxd_cert' needs 'lxd_url': only a connection to LXD "
				  "over HTTPS uses it");
	expect_global_error("backend = lxd\n" KEY, ":4: 'lxd_key' needs 'lxd_url': only a "
						   "connection to LXD over HTTPS uses it");
	expect_global_error(SERVER, ":3: 'lxd_server_cert' needs 'lxd_url': only a connection "
				    "to LXD over HTTPS uses it");
}

/* All four: loaded, on lxd and lxc alike (a group may switch the backend). */
static void test_config_load_lxd_url_accepted(void **state)
{
	static const char text[] = "[global]\norigin = base\nbackend = lxd\n" URL CERT KEY SERVER;
	struct tw_err err = { 0 };
	struct config c = { 0 };

	(void)state;
	assert_int_equal(load(text, NULL, &c, &err), 0);
	assert_string_equal(c.lxd_url, "https://lxd.example.org:8443");
	assert_string_equal(c.lxd_cert, "/etc/throwaway/lxd.crt");
	assert_string_equal(c.lxd_key, "/etc/throwaway/lxd.key");
	assert_string_equal(c.lxd_server_cert, "/etc/throwaway/server.crt");
	config_free(&c);
}

/* home_source: %u and %U filled in, the passwd home without it, a name unfit for a path refused. */
static void test_config_home_source(void **state)
{
	static const char text[] = "[global]\norigin = base\nbackend = lxd\n"
				   "home_source = /srv/100%%/%u.%U\n";
	struct tw_err err = { 0 };
	struct config c = { 0 };
	char buf[64];

	(void)state;
	assert_int_equal(load(text, NULL, &c, &err), 0);
	assert_int_equal(config_home_source(&c, "alice", 1001, "/home/alice", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/srv/100%/alice.1001");
	assert_int_equal(config_home_source(&c, "Al/../x", 1001, "/home/x", buf, sizeof(buf)),
			 -EINVAL);
	assert_int_equal(config_home_source(&c, "alice", 1001, "/home/alice", buf, 12),
			 -ENAMETOOLONG);
	free(c.home_source);
	c.home_source = NULL;
	assert_int_equal(config_home_source(&c, "alice", 1001, "/home/alice", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/home/alice");
	config_free(&c);
}

/* A place the session's record could not keep is refused when the config is read. */
static void test_config_load_lxd_url_place_too_long(void **state)
{
	_cleanup_free_ char *dir = repeat('d', 330);
	char text[2048];

	(void)state;
	snprintf(text, sizeof(text),
		 URL "lxd_cert = /%s/c\nlxd_key = /%s/k\nlxd_server_cert = /%s/s", dir, dir, dir);
	expect_global_error(text, ":3: 'lxd_url' is, with 'lxd_cert', 'lxd_key', "
				  "'lxd_server_cert' and 'lxd_project', longer than a session's "
				  "record keeps (1023 bytes)");
}

/* Resolved per user: a global host key and alice's own backend meet only for her. */
static void test_config_load_lxd_per_user(void **state)
{
	static const char text[] = "[global]\norigin = base\ndevice = /dev/fuse\n"
				   "[group:cluster]\nbackend = lxd\n";
	const char *groups[] = { "staff", "cluster" };
	const struct config_who alice = { .user = "alice", .groups = groups, .n_groups = 2 };
	struct tw_err err = { 0 };
	struct config c = { 0 };

	(void)state;
	expect_error_len(text, strlen(text), &alice,
			 ":3: 'device' does not work with 'backend = lxd': it is a device path "
			 "of this host, which another cluster member does not have");
	assert_int_equal(load(text, NULL, &c, &err), 0);
	assert_int_equal(c.backend, BACKEND_LXC);
	config_free(&c);
}

static void test_config_load_file_too_large(void **state)
{
	size_t len = CONFIG_MAX_FILE + 1;
	_cleanup_free_ char *text = repeat('\n', len);

	(void)state;
	memcpy(text, "[global]\norigin = base\n", 23);
	expect_error_len(text, len, NULL, ": file larger than 1048576 bytes");
}

static void test_config_load_file_at_limit(void **state)
{
	size_t len = CONFIG_MAX_FILE;
	_cleanup_free_ char *text = repeat('\n', len);
	struct tw_err err = { 0 };
	struct config c = { 0 };

	(void)state;
	memcpy(text, "[global]\norigin = base\n", 23);
	assert_int_equal(load_len(text, len, NULL, &c, &err, NULL), 0);
	config_free(&c);
}

static void test_config_load_other_sections_validated(void **state)
{
	const struct config_who alice = { .user = "alice" };
	static const char t1[] = "[global]\norigin = base\n[user:bob]\nfoo = 1\n";
	static const char t2[] = "[global]\norigin = base\n[group:x]\n"
				 "pids_max = 0\n";

	(void)state;
	expect_error_len(t1, strlen(t1), &alice, ":4: unknown key 'foo'");
	expect_error_len(t2, strlen(t2), &alice, ":4: bad value '0' for 'pids_max'");
}

/* config_load: resolution --------------------------------------------- */

static const char override_text[] = "[user:alice]\n" /* 1 */
				    "shell = /bin/alice\n"
				    "bind = /u:/u\n"
				    "[global]\n" /* 4 */
				    "origin = base\n"
				    "shell = /bin/global\n"
				    "pids_max = 10\n"
				    "bind = /g:/g\n"
				    "[group:staff]\n" /* 9 */
				    "shell = /bin/staff\n"
				    "pids_max = 20\n"
				    "cpu_weight = 5\n"
				    "bind = /s:/s\n"
				    "[group:other]\n" /* 14 */
				    "pids_max = 30\n"
				    "banner = no\n"
				    "[group:dev]\n" /* 17 */
				    "pids_max = 40\n"
				    "bind = /d:/d:ro\n"
				    "[user:bob]\n"
				    "memory_max = 2G\n";

static void test_config_load_override_order(void **state)
{
	static const char *const groups[] = { "dev", "staff" };
	const struct config_who alice = { "alice", groups, 2 };
	struct tw_err err = { 0 };
	struct config c = { 0 };

	(void)state;
	assert_int_equal(load(override_text, &alice, &c, &err), 0);
	/* user section wins although it comes first in the file */
	assert_string_equal(c.shell, "/bin/alice");
	/* groups apply in file order (dev after staff), not in who's order */
	assert_int_equal(c.pids_max, 40);
	assert_int_equal(c.cpu_weight, 5);
	/* a group alice is not in does not apply; neither does bob's section */
	assert_true(c.banner);
	assert_int_equal(c.memory_max, UINT64_C(1) << 30);
	/* binds accumulate: global, groups in file order, user */
	assert_int_equal(c.n_binds, 4);
	assert_string_equal(c.binds[0].src, "/g");
	assert_string_equal(c.binds[1].src, "/s");
	assert_string_equal(c.binds[2].src, "/d");
	assert_true(c.binds[2].ro);
	assert_string_equal(c.binds[3].src, "/u");
	config_free(&c);
}

static void test_config_load_override_group_only(void **state)
{
	static const char *const groups[] = { "staff" };
	const struct config_who bob = { "bob", groups, 1 };
	struct tw_err err = { 0 };
	struct config c = { 0 };

	(void)state;
	assert_int_equal(load(override_text, &bob, &c, &err), 0);
	assert_string_equal(c.shell, "/bin/staff");
	assert_int_equal(c.pids_max, 20);
	assert_int_equal(c.memory_max, UINT64_C(2) << 30);
	assert_int_equal(c.n_binds, 2);
	assert_string_equal(c.binds[1].src, "/s");
	config_free(&c);
}

static void test_config_load_override_global_only(void **state)
{
	const struct config_who nobody = { .user = "carol" };
	struct tw_err err = { 0 };
	struct config c = { 0 };

	(void)state;
	assert_int_equal(load(override_text, NULL, &c, &err), 0);
	assert_string_equal(c.shell, "/bin/global");
	assert_int_equal(c.pids_max, 10);
	assert_int_equal(c.n_binds, 1);
	config_free(&c);
	assert_int_equal(load(override_text, &nobody, &c, &err), 0);
	assert_string_equal(c.shell, "/bin/global");
	assert_int_equal(c.cpu_weight, 100);
	config_free(&c);
}

static void test_config_load_global_after_groups(void **state)
{
	static const char text[] = "[group:staff]\npids_max = 20\n"
				   "[global]\norigin = base\npids_max = 10\n";
	static const char *const groups[] = { "staff" };
	const struct config_who who = { "x", groups, 1 };
	struct tw_err err = { 0 };
	struct config c = { 0 };

	(void)state;
	assert_int_equal(load(text, &who, &c, &err), 0);
	assert_int_equal(c.pids_max, 20);
	config_free(&c);
}

static void test_config_load_failure_leaves_ret(void **state)
{
	struct config c, before;
	struct tw_err err = { 0 };

	(void)state;
	memset(&c, 0x5a, sizeof(c));
	before = c;
	assert_int_equal(load("[global]\norigin = base\nfoo = 1\n", NULL, &c, &err), -EINVAL);
	assert_memory_equal(&c, &before, sizeof(c));
	assert_int_equal(load("[global]\n", NULL, &c, &err), -EINVAL);
	assert_memory_equal(&c, &before, sizeof(c));
}

static void test_config_load_missing_file(void **state)
{
	struct tw_err err = { 0 };
	struct config c = { 0 };

	(void)state;
	assert_int_equal(config_load("/nonexistent/throwaway.conf", NULL, &c, &err), -ENOENT);
	assert_string_equal(err.msg, "/nonexistent/throwaway.conf: cannot open: "
				     "No such file or directory");
	assert_int_equal(err.code, ENOENT);
	assert_int_equal(config_load("/tmp", NULL, &c, &err), -EINVAL);
	assert_string_equal(err.msg, "/tmp: not a regular file");
	assert_int_equal(err.code, EINVAL);
}

/* A caller that wants no sentence passes NULL: the errno still comes back. */
static void test_config_load_null_err(void **state)
{
	struct config c = { 0 };

	(void)state;
	assert_int_equal(config_load("/nonexistent/throwaway.conf", NULL, &c, NULL), -ENOENT);
	assert_int_equal(load("[global]\n", NULL, &c, NULL), -EINVAL);
	assert_int_equal(config_open_trusted("relative", &(int){ -1 }, NULL), -EINVAL);
}

static void test_config_load_fd_pipe(void **state)
{
	static const char text[] = "[global]\norigin = piped\n";
	struct tw_err err = { 0 };
	struct config c = { 0 };
	int fds[2];

	(void)state;
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	assert_int_equal(write(fds[1], text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fds[1]);
	assert_int_equal(config_load_fd(fds[0], "<pipe>", NULL, &c, &err), 0);
	close(fds[0]);
	assert_string_equal(c.origin, "piped");
	config_free(&c);

	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	assert_int_equal(write(fds[1], "[x]\n", 4), 4);
	close(fds[1]);
	assert_int_equal(config_load_fd(fds[0], "<pipe>", NULL, &c, &err), -EINVAL);
	close(fds[0]);
	assert_string_equal(err.msg, "<pipe>:1: unknown section '[x]'");
}

/* config_free --------------------------------------------------------- */

static void test_config_free_zeroed(void **state)
{
	struct config c = { 0 };

	(void)state;
	config_free(&c);
	config_free(&c);
	config_free(NULL);
}

static void test_config_free_half_built(void **state)
{
	struct config c = { 0 };

	(void)state;
	c.origin = strdup("x");
	c.binds[0].src = strdup("/a");
	c.n_binds = 1;
	c.devices[0] = strdup("/dev/null");
	c.n_devices = 1;
	config_free(&c);
	assert_null(c.origin);
	assert_int_equal(c.n_binds, 0);
}

/* config_parse_size / config_parse_duration --------------------------- */

static void test_config_parse_size_valid(void **state)
{
	static const struct {
		const char *s;
		uint64_t v;
	} ok[] = {
		{ "0", 0 },
		{ "1", 1 },
		{ "007", 7 },
		{ "1K", 1024 },
		{ "2M", UINT64_C(2) << 20 },
		{ "3G", UINT64_C(3) << 30 },
		{ "0G", 0 },
		{ "18446744073709551615", UINT64_MAX },
		{ "17179869183G", UINT64_MAX - (UINT64_C(1) << 30) + 1 },
		{ "18014398509481983K", UINT64_MAX - 1023 },
	};
	uint64_t v;
	size_t i;

	(void)state;
	for (i = 0; i < ELEMENTSOF(ok); i++) {
		v = 42;
		assert_int_equal(config_parse_size(ok[i].s, &v), 0);
		assert_int_equal(v, ok[i].v);
	}
}

static void test_config_parse_size_invalid(void **state)
{
	static const char *const bad[] = {
		"",
		"-1",
		"+1",
		" 1",
		"1 ",
		"1k",
		"1KB",
		"K",
		"1T",
		"1.5G",
		"0x10",
		"1e3",
		"18446744073709551616",
		"17179869184G",
		"18014398509481984K",
		"99999999999999999999999999",
	};
	uint64_t v = 42;
	size_t i;

	(void)state;
	for (i = 0; i < ELEMENTSOF(bad); i++) {
		assert_int_equal(config_parse_size(bad[i], &v), -EINVAL);
		assert_int_equal(v, 42);
	}
	assert_int_equal(config_parse_size(NULL, &v), -EINVAL);
}

static void test_config_parse_duration_valid(void **state)
{
	static const struct {
		const char *s;
		uint64_t v;
	} ok[] = {
		{ "0", 0 },
		{ "10", 10 },
		{ "10s", 10 },
		{ "5m", 300 },
		{ "2h", 7200 },
		{ "7d", 604800 },
		{ "0h", 0 },
		{ "18446744073709551615", UINT64_MAX },
		{ "18446744073709551615s", UINT64_MAX },
		{ "307445734561825860m", UINT64_C(307445734561825860) * 60 },
		{ "5124095576030431h", UINT64_C(5124095576030431) * 3600 },
	};
	uint64_t v;
	size_t i;

	(void)state;
	for (i = 0; i < ELEMENTSOF(ok); i++) {
		v = 42;
		assert_int_equal(config_parse_duration(ok[i].s, &v), 0);
		assert_int_equal(v, ok[i].v);
	}
}

static void test_config_parse_duration_invalid(void **state)
{
	static const char *const bad[] = {
		"",
		"-5",
		"+5",
		"5 ",
		" 5",
		"1w",
		"5ms",
		"5S",
		"s",
		"1.5h",
		"5M",
		"18446744073709551616",
		"307445734561825861m",
		"5124095576030432h",
	};
	uint64_t v = 42;
	size_t i;

	(void)state;
	for (i = 0; i < ELEMENTSOF(bad); i++) {
		assert_int_equal(config_parse_duration(bad[i], &v), -EINVAL);
		assert_int_equal(v, 42);
	}
	assert_int_equal(config_parse_duration(NULL, &v), -EINVAL);
}

/* config_open_trusted ------------------------------------------------- */

/*
 * A root-owned 0755 directory under /run (/tmp itself is world-writable,
 * so nothing under it can be trusted), removed after each test.
 */
static char trusted_dir[64];

static int make_trusted_dir(void **state)
{
	(void)state;
	snprintf(trusted_dir, sizeof(trusted_dir), "/run/tw-test-config-XXXXXX");
	if (!mkdtemp(trusted_dir) || chmod(trusted_dir, 0755) < 0)
		return -1;
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int remove_trusted_dir(void **state)
{
	(void)state;
	return nftw(trusted_dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Create DIR/NAME with TEXT, MODE and owner UID; returns its path. */
static char *make_file(const char *dir, const char *name, mode_t mode, uid_t uid)
{
	char *path = NULL;
	int fd;

	assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "[global]\norigin = base\n", 23), 23);
	assert_int_equal(fchown(fd, uid, 0), 0);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

static char *make_dir(const char *dir, const char *name, mode_t mode, uid_t uid)
{
	char *path = NULL;

	assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(chown(path, uid, 0), 0);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static void expect_untrusted(const char *path, int want_r, const char *msg)
{
	struct tw_err err = { 0 };
	char want[TW_ERR_MAX];
	int fd = -12345;

	tw_err_clear(&err);
	assert_int_equal(config_open_trusted(path, &fd, &err), want_r);
	assert_int_equal(err.code, -want_r);
	assert_int_equal(fd, -12345);
	snprintf(want, sizeof(want), "%s%s", path, msg);
	assert_string_equal(err.msg, want);
}

static void test_config_open_trusted_ok(void **state)
{
	_cleanup_free_ char *path = make_file(trusted_dir, "t.conf", 0644, 0);
	_cleanup_free_ char *sub = make_dir(trusted_dir, "sub", 0755, 0);
	_cleanup_free_ char *deep = make_file(sub, "t.conf", 0600, 0);
	_cleanup_free_ char *odd = NULL;
	struct tw_err err = { 0 };
	struct config c = { 0 };
	int fd = -1, flags;

	(void)state;
	assert_int_equal(config_open_trusted(path, &fd, &err), 0);
	assert_true(fd >= 0);
	flags = fcntl(fd, F_GETFD);
	assert_true(flags & FD_CLOEXEC);
	assert_int_equal(config_load_fd(fd, path, NULL, &c, &err), 0);
	assert_string_equal(c.origin, "base");
	config_free(&c);
	close(fd);
	assert_int_equal(config_open_trusted(deep, &fd, &err), 0);
	close(fd);
	assert_true(asprintf(&odd, "%s//./sub/t.conf", trusted_dir) > 0);
	assert_int_equal(config_open_trusted(odd, &fd, &err), 0);
	close(fd);
}

static void test_config_open_trusted_not_root(void **state)
{
	_cleanup_free_ char *path = make_file(trusted_dir, "t.conf", 0644, 65534);

	(void)state;
	expect_untrusted(path, -EPERM, ": not owned by root, refusing it");
}

static void test_config_open_trusted_group_writable(void **state)
{
	_cleanup_free_ char *g = make_file(trusted_dir, "g.conf", 0664, 0);
	_cleanup_free_ char *o = make_file(trusted_dir, "o.conf", 0646, 0);

	(void)state;
	expect_untrusted(g, -EPERM, ": writable by group or others, refusing it");
	expect_untrusted(o, -EPERM, ": writable by group or others, refusing it");
}

static void test_config_open_trusted_dir_world_writable(void **state)
{
	_cleanup_free_ char *dir = make_dir(trusted_dir, "ww", 01777, 0);
	_cleanup_free_ char *path = make_file(dir, "t.conf", 0644, 0);
	char msg[256];

	(void)state;
	snprintf(msg, sizeof(msg), ": %s is writable by group or others, refusing it", dir);
	expect_untrusted(path, -EPERM, msg);
}

static void test_config_open_trusted_dir_group_writable(void **state)
{
	_cleanup_free_ char *dir = make_dir(trusted_dir, "gw", 0775, 0);
	_cleanup_free_ char *path = make_file(dir, "t.conf", 0644, 0);
	char msg[256];

	(void)state;
	snprintf(msg, sizeof(msg), ": %s is writable by group or others, refusing it", dir);
	expect_untrusted(path, -EPERM, msg);
}

static void test_config_open_trusted_dir_not_root(void **state)
{
	_cleanup_free_ char *dir = make_dir(trusted_dir, "nr", 0755, 65534);
	_cleanup_free_ char *path = make_file(dir, "t.conf", 0644, 0);
	char msg[256];

	(void)state;
	snprintf(msg, sizeof(msg), ": %s is not owned by root, refusing it", dir);
	expect_untrusted(path, -EPERM, msg);
}

static void test_config_open_trusted_tmp(void **state)
{
	char tmpl[] = "/tmp/tw-test-config-XXXXXX";
	_cleanup_free_ char *path = NULL;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	assert_int_equal(chmod(tmpl, 0755), 0);
	path = make_file(tmpl, "t.conf", 0644, 0);
	expect_untrusted(path, -EPERM, ": /tmp is writable by group or others, refusing it");
	unlink(path);
	rmdir(tmpl);
}

static void test_config_open_trusted_symlink(void **state)
{
	_cleanup_free_ char *real = make_file(trusted_dir, "real.conf", 0644, 0);
	_cleanup_free_ char *link = NULL, *dirlink = NULL, *via = NULL;
	char msg[256];

	(void)state;
	assert_true(asprintf(&link, "%s/link.conf", trusted_dir) > 0);
	assert_int_equal(symlink(real, link), 0);
	expect_untrusted(link, -ELOOP, ": is a symbolic link, refusing it");

	assert_true(asprintf(&dirlink, "%s/dirlink", trusted_dir) > 0);
	assert_int_equal(symlink(trusted_dir, dirlink), 0);
	assert_true(asprintf(&via, "%s/real.conf", dirlink) > 0);
	snprintf(msg, sizeof(msg), ": cannot open directory %s: Not a directory", dirlink);
	expect_untrusted(via, -ENOTDIR, msg);
}

static void test_config_open_trusted_bad_path(void **state)
{
	_cleanup_free_ char *dir = make_dir(trusted_dir, "d", 0755, 0);
	_cleanup_free_ char *dotdot = NULL, *slash = NULL, *missing = NULL, *fifo = NULL;

	(void)state;
	expect_untrusted("etc/throwaway.conf", -EINVAL, ": not an absolute path, refusing it");
	assert_true(asprintf(&dotdot, "%s/../x.conf", dir) > 0);
	expect_untrusted(dotdot, -EINVAL, ": '..' in path, refusing it");
	assert_true(asprintf(&slash, "%s/", dir) > 0);
	expect_untrusted(slash, -EINVAL, ": not a regular file, refusing it");
	expect_untrusted(dir, -EINVAL, ": not a regular file, refusing it");
	assert_true(asprintf(&missing, "%s/none.conf", dir) > 0);
	expect_untrusted(missing, -ENOENT, ": cannot open: No such file or directory");
	assert_true(asprintf(&fifo, "%s/fifo", dir) > 0);
	assert_int_equal(mkfifo(fifo, 0644), 0);
	expect_untrusted(fifo, -EINVAL, ": not a regular file, refusing it");
}

/* config_load_trusted and config_user_groups --------------------------- */

static void test_config_load_trusted_who(void **state)
{
	_cleanup_free_ char *path = NULL;
	const char *groups[] = { "tw-none", "staff" };
	struct config_who who = { .user = "tw-nobody", .groups = groups, .n_groups = 2 };
	struct tw_err err = { 0 };
	struct config c = { 0 };
	FILE *f;

	(void)state;
	assert_true(asprintf(&path, "%s/who.conf", trusted_dir) > 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("[global]\norigin = base\n[group:staff]\norigin = staffs\n", f);
	fclose(f);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(config_load_trusted(path, &who, &c, &err), 0);
	assert_string_equal(c.origin, "staffs");
	config_free(&c);
	/* The same file through config_load_user, for a user in none of them. */
	assert_int_equal(config_load_user(path, "root", 0, &c, &err), 0);
	assert_string_equal(c.origin, "base");
	config_free(&c);
	/* Untrusted: refused as config_open_trusted refuses it. */
	assert_int_equal(chmod(path, 0666), 0);
	assert_int_equal(config_load_trusted(path, &who, &c, &err), -EPERM);
}

static void test_config_user_groups_root(void **state)
{
	gid_t gids[CONFIG_USER_MAX_GROUPS];
	char *names[CONFIG_USER_MAX_GROUPS];
	int n;

	(void)state;
	n = config_user_groups("root", 0, gids, names, CONFIG_USER_MAX_GROUPS);
	assert_true(n >= 1);
	/* The primary group first, named. */
	assert_int_equal(gids[0], 0);
	assert_string_equal(names[0], "root");
	for (int i = 0; i < n; i++)
		free(names[i]);
	/* An unknown user still has the primary group it was given. */
	n = config_user_groups("tw-no-such-user", 0, gids, names, CONFIG_USER_MAX_GROUPS);
	assert_int_equal(n, 1);
	assert_int_equal(gids[0], 0);
	free(names[0]);
}

/* More groups than max: an error, never the first max of them. */
static void test_config_user_groups_too_many(void **state)
{
	gid_t gids[CONFIG_USER_MAX_GROUPS];
	char *names[CONFIG_USER_MAX_GROUPS];
	int n;

	(void)state;
	n = config_user_groups("root", 0, gids, names, CONFIG_USER_MAX_GROUPS);
	assert_true(n >= 1);
	for (int i = 0; i < n; i++)
		free(names[i]);
	assert_int_equal(config_user_groups("root", 0, gids, names, (size_t)n - 1), -E2BIG);
	assert_int_equal(config_user_groups("root", 0, gids, names, (size_t)n), n);
	for (int i = 0; i < n; i++)
		free(names[i]);
	assert_non_null(strstr(config_groups_error(-E2BIG), "in more than 64 groups"));
	assert_non_null(strstr(config_groups_error(-ERANGE), "too long to read"));
}

int main(void)
{
#define T(f) cmocka_unit_test(f)
#define TT(f) cmocka_unit_test_setup_teardown(f, make_trusted_dir, remove_trusted_dir)
	const struct CMUnitTest tests[] = {
		T(test_config_load_defaults),
		T(test_config_load_global_only),
		T(test_config_load_all_keys),
		T(test_config_load_other_values),
		T(test_config_load_name_edges),
		T(test_config_load_syntax_tolerated),
		T(test_config_load_long_line),
		T(test_config_load_line_of_1024),
		T(test_config_load_long_line_bad_value),
		T(test_config_load_too_long_line),
		T(test_config_load_unknown_key),
		T(test_config_load_unknown_key_quoted),
		T(test_config_load_bad_values),
		T(test_config_load_bad_bind),
		T(test_config_load_pool),
		T(test_config_load_duplicate_key),
		T(test_config_load_duplicate_section),
		T(test_config_load_unknown_section),
		T(test_config_load_long_section_name),
		T(test_config_load_long_group_name),
		T(test_config_load_key_outside_section),
		T(test_config_load_continuation),
		T(test_config_load_inline_comment),
		T(test_config_load_nul_and_control),
		T(test_config_load_missing_origin),
		T(test_config_load_origin_only_for_user),
		T(test_config_load_bind_cap),
		T(test_config_load_bind_cap_across_sections),
		T(test_config_load_device_cap),
		T(test_config_load_ephemeral_options),
		T(test_config_load_file_too_large),
		T(test_config_load_file_at_limit),
		T(test_config_load_other_sections_validated),
		T(test_config_load_override_order),
		T(test_config_load_override_group_only),
		T(test_config_load_override_global_only),
		T(test_config_load_global_after_groups),
		T(test_config_load_failure_leaves_ret),
		T(test_config_load_missing_file),
		T(test_config_load_null_err),
		T(test_config_load_fd_pipe),
		T(test_config_load_lxd_keys),
		T(test_config_load_lxd_refuses_host_keys),
		T(test_config_load_lxd_accepted),
		T(test_config_load_lxd_url_needs_files),
		T(test_config_load_lxd_files_need_url),
		T(test_config_load_lxd_url_accepted),
		T(test_config_home_source),
		T(test_config_load_lxd_url_place_too_long),
		T(test_config_load_lxd_per_user),
		T(test_config_free_zeroed),
		T(test_config_free_half_built),
		T(test_config_parse_size_valid),
		T(test_config_parse_size_invalid),
		T(test_config_parse_duration_valid),
		T(test_config_parse_duration_invalid),
		TT(test_config_open_trusted_ok),
		TT(test_config_open_trusted_not_root),
		TT(test_config_open_trusted_group_writable),
		TT(test_config_open_trusted_dir_world_writable),
		TT(test_config_open_trusted_dir_group_writable),
		TT(test_config_open_trusted_dir_not_root),
		TT(test_config_open_trusted_tmp),
		TT(test_config_open_trusted_symlink),
		TT(test_config_open_trusted_bad_path),
		TT(test_config_load_trusted_who),
		T(test_config_user_groups_root),
		T(test_config_user_groups_too_many),
	};
#undef T
#undef TT

	return cmocka_run_group_tests(tests, NULL, NULL);
}
