/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for common/host/keys.c. Keys are generated at run time with libssh. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libssh/libssh.h>
#include <cmocka.h>

#include "keys.h"

/* Public keys made by ssh-keygen, with the fingerprints `ssh-keygen -lf` printed. */
static const struct {
	const char *line;
	const char *type;
	const char *fp;
} vectors[] = {
	{ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB/61eJwoFiVjUNlmRIfQrbjZt6u+v7WewYuX5J36gzq",
	  "ssh-ed25519", "SHA256:kpVAKtwPwtrNOaqckhXkm0IxXT+OXl4yZ9DhOhNV3nk" },
	{ "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQDnh4Ep5/mZlAr8bvA/FdkiYAsuBaqtkOYJ1Exs78Hkncr4f91dkqBxoIXUk1L87lA3oqmfvluAh/VdvuUzTUGULTE/RWAiOXh73lI7M/lqYkMKmxKG8627xlyoV/ub0RlOsqz5J5+PoVHPCMc89SR0zl1TcFfojCThjMepS84h6fecyNTAOvAHj6ZH1qrYT18wdjeTtJgmj0hMPwnPY+MQrRcu97gFc4cIqoGZZ5Vf3iyMzTHoYvu6AMNhHaYxLw6E9pQqSeEhsENzmJuQwTI60N5AnBdTimNOHDrdfJcb9Ks3JFP4z2PG3qupcavr75WFuykvNH3ufm88Z7DQpeYAwiv+OgPpululCObhA+w6PYTZ/h/3qW2ArHrr7cN6V1bSmgVChaiwLsMV0KUoozhOBaFXHXZiF/O7ZpVaGs2LU9Jy60sfv55geWhRAdfSfItUgO+XPagoiqkSAjpvi5qNoU/eCW/PS/L7jUAzAZmqyikatpmyenghXIbH21+Hrqs= vec",
	  "ssh-rsa", "SHA256:OKw2N5IYWAMgXVgCWH6v90mBHzY/v2EKymw/4ZYUlPk" },
	{ "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBLJ5HP43xO3zAic5UzaurSx5Sfqobqvm09Pvi+FEAv/u/zUi5razXDpsK04Prh/15MRKp11zwWoRwF6qTMOTm/g= vec",
	  "ecdsa-sha2-nistp256", "SHA256:36HOJ5NkFK8STjQxas9NRunt6FijqhMNDLsSA0PD8ao" },
};

/* One key generated for this run. */
struct gen_key {
	const char *type;
	char *b64;
	char fp[KEYS_FP_MAX]; /* computed from the private key, not by keys.c */
};

static struct gen_key ed, rsa, ecdsa;

static void b64_encode(const unsigned char *in, size_t n, char *out, int pad)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = tab[(v >> 18) & 63];
		out[o++] = tab[(v >> 12) & 63];
		if (i + 1 < n)
			out[o++] = tab[(v >> 6) & 63];
		else if (pad)
			out[o++] = '=';
		if (i + 2 < n)
			out[o++] = tab[v & 63];
		else if (pad)
			out[o++] = '=';
	}
	out[o] = '\0';
}

static int gen(struct gen_key *g, enum ssh_keytypes_e t, int bits)
{
	ssh_key priv = NULL;
	unsigned char *hash = NULL;
	size_t hlen = 0;

	if (ssh_pki_generate(t, bits, &priv) != SSH_OK)
		return -1;
	g->type = ssh_key_type_to_char(ssh_key_type(priv));
	if (ssh_pki_export_pubkey_base64(priv, &g->b64) != SSH_OK ||
	    ssh_get_publickey_hash(priv, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen) < 0 ||
	    hlen != 32) {
		ssh_key_free(priv);
		return -1;
	}
	strcpy(g->fp, "SHA256:");
	b64_encode(hash, hlen, g->fp + 7, 0);
	ssh_clean_pubkey_hash(&hash);
	ssh_key_free(priv);
	return 0;
}

static int group_setup(void **state)
{
	(void)state;
	if (ssh_init() != SSH_OK)
		return -1;
	if (gen(&ed, SSH_KEYTYPE_ED25519, 0) < 0 || gen(&rsa, SSH_KEYTYPE_RSA, 2048) < 0 ||
	    gen(&ecdsa, SSH_KEYTYPE_ECDSA_P256, 0) < 0)
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	ssh_string_free_char(ed.b64);
	ssh_string_free_char(rsa.b64);
	ssh_string_free_char(ecdsa.b64);
	ssh_finalize();
	return 0;
}

/* printf into a fresh heap string; fails the test on error. */
static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, f);
	int r = vasprintf(&s, f, ap);
	va_end(ap);
	assert_true(r >= 0);
	return s;
}

static void parse_str(const char *text, struct key_list *l)
{
	assert_int_equal(keys_parse(text, strlen(text), l), 0);
}

static void assert_fp_shape(const char *fp)
{
	assert_true(strncmp(fp, "SHA256:", 7) == 0);
	assert_int_equal(strlen(fp), 7 + 43);
	assert_int_equal(
		strspn(fp + 7, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"),
		43);
}

static void assert_entry(const struct key_entry *e, const char *line, const struct gen_key *g)
{
	assert_string_equal(e->line, line);
	assert_string_equal(e->type, g->type);
	assert_string_equal(e->fp, g->fp);
	assert_fp_shape(e->fp);
}

static void test_keys_parse_plain(void **state)
{
	(void)state;
	struct key_list l = { 0 };
	char *l1 = fmt("ssh-ed25519 %s me@host", ed.b64);
	char *l2 = fmt("ssh-rsa %s", rsa.b64);
	char *l3 = fmt("ecdsa-sha2-nistp256 %s ec", ecdsa.b64);
	char *text = fmt("%s\n%s\n%s\n", l1, l2, l3);

	parse_str(text, &l);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.skipped, 0);
	assert_int_equal(l.first_bad_line, 0);
	assert_entry(&l.keys[0], l1, &ed);
	assert_entry(&l.keys[1], l2, &rsa);
	assert_entry(&l.keys[2], l3, &ecdsa);
	keys_free(&l);
	free(l1);
	free(l2);
	free(l3);
	free(text);
}

static void test_keys_parse_fingerprint_matches_ssh_keygen(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		struct key_list l = { 0 };
		parse_str(vectors[i].line, &l);
		assert_int_equal(l.n, 1);
		assert_string_equal(l.keys[0].line, vectors[i].line);
		assert_string_equal(l.keys[0].type, vectors[i].type);
		assert_string_equal(l.keys[0].fp, vectors[i].fp);
		keys_free(&l);
	}
}

static void test_keys_parse_options_verbatim(void **state)
{
	(void)state;
	struct key_list l = { 0 };
	char *line = fmt(
		"from=\"10.0.0.1\",command=\"echo \\\"hi there\\\"\",no-pty ssh-ed25519 %s comment",
		ed.b64);
	char *line2 = fmt("restrict,command=\"ssh-rsa x y\" ssh-rsa %s", rsa.b64);
	char *text = fmt("%s\n%s\n", line, line2);

	parse_str(text, &l);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.skipped, 0);
	assert_entry(&l.keys[0], line, &ed);
	assert_entry(&l.keys[1], line2, &rsa);
	keys_free(&l);
	free(line);
	free(line2);
	free(text);
}

static void test_keys_parse_comment_with_spaces(void **state)
{
	(void)state;
	struct key_list l = { 0 };
	char *line = fmt("  ssh-ed25519\t%s  my laptop key  (2024)\t", ed.b64);

	parse_str(line, &l);
	assert_int_equal(l.n, 1);
	assert_entry(&l.keys[0], line, &ed);
	keys_free(&l);
	free(line);
}

static void test_keys_parse_comments_and_blank_lines(void **state)
{
	(void)state;
	struct key_list l = { 0 };
	char *line = fmt("ssh-ed25519 %s", ed.b64);
	char *text =
		fmt("# a comment\n\n   \n\t# indented comment ssh-rsa %s\n%s\n\n", rsa.b64, line);

	parse_str(text, &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.skipped, 0);
	assert_int_equal(l.first_bad_line, 0);
	assert_entry(&l.keys[0], line, &ed);
	keys_free(&l);
	free(line);
	free(text);
}

static void test_keys_parse_crlf(void **state)
{
	(void)state;
	struct key_list l = { 0 };
	char *l1 = fmt("ssh-ed25519 %s a b", ed.b64);
	char *l2 = fmt("ssh-rsa %s", rsa.b64);
	char *text = fmt("# c\r\n\r\n%s\r\n%s\r\n", l1, l2);

	parse_str(text, &l);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.skipped, 0);
	assert_entry(&l.keys[0], l1, &ed);
	assert_entry(&l.keys[1], l2, &rsa);
	keys_free(&l);
	free(l1);
	free(l2);
	free(text);
}

static void test_keys_parse_no_trailing_newline(void **state)
{
	(void)state;
	struct key_list l = { 0 };
	char *l1 = fmt("ssh-rsa %s", rsa.b64);
	char *l2 = fmt("ssh-ed25519 %s last", ed.b64);
	char *text = fmt("%s\n%s", l1, l2);

	parse_str(text, &l);
	assert_int_equal(l.n, 2);
	assert_entry(&l.keys[1], l2, &ed);
	keys_free(&l);

	/* Not NUL-terminated: the byte after the buffer must not be read. */
	size_t n = strlen(text);
	char *exact = malloc(n);
	assert_non_null(exact);
	memcpy(exact, text, n);
	assert_int_equal(keys_parse(exact, n, &l), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.keys[1].line, l2);
	keys_free(&l);
	free(exact);
	free(l1);
	free(l2);
	free(text);
}

static void test_keys_parse_empty(void **state)
{
	(void)state;
	struct key_list l = { .n = 99 };

	assert_int_equal(keys_parse(NULL, 0, &l), 0);
	assert_int_equal(l.n, 0);
	assert_null(l.keys);
	assert_int_equal(l.skipped, 0);
	keys_free(&l);
	assert_int_equal(keys_parse("", 0, &l), 0);
	assert_int_equal(l.n, 0);
	keys_free(&l);
	parse_str("\n\n# only comments\n", &l);
	assert_int_equal(l.n, 0);
	assert_int_equal(l.skipped, 0);
	keys_free(&l);
}

static void test_keys_parse_bad_base64(void **state)
{
	(void)state;
	struct key_list l = { 0 };
	char *good = fmt("ssh-ed25519 %s", ed.b64);
	char *text = fmt(
		"# c\n%s\nssh-ed25519 AAAA!!!notbase64 x\nssh-ed25519 %s\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5\n",
		good, rsa.b64);

	parse_str(text, &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.skipped, 3);
	assert_int_equal(l.first_bad_line, 3);
	assert_string_equal(l.keys[0].line, good);
	keys_free(&l);
	free(good);
	free(text);
}

static void test_keys_parse_missing_blob(void **state)
{
	(void)state;
	struct key_list l = { 0 };

	parse_str("ssh-ed25519\nssh-ed25519   \nno-pty ssh-ed25519\n", &l);
	assert_int_equal(l.n, 0);
	assert_int_equal(l.skipped, 3);
	assert_int_equal(l.first_bad_line, 1);
	keys_free(&l);
}

static void test_keys_parse_unknown_type(void **state)
{
	(void)state;
	struct key_list l = { 0 };
	char *text = fmt("ssh-ed25519 %s\nssh-foo %s x\nno-pty ssh-foo %s\necdsa %s\n", ed.b64,
			 ed.b64, ed.b64, ecdsa.b64);

	parse_str(text, &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.skipped, 3);
	assert_int_equal(l.first_bad_line, 2);
	keys_free(&l);
	free(text);
}

static void test_keys_parse_type_mismatch(void **state)
{
	(void)state;
	struct key_list l = { 0 };
	char *text = fmt("ssh-ed25519 %s\nssh-rsa %s\necdsa-sha2-nistp384 %s\n"
			 "ssh-ed25519-cert-v01@openssh.com %s\n",
			 rsa.b64, ed.b64, ecdsa.b64, ed.b64);

	parse_str(text, &l);
	assert_int_equal(l.n, 0);
	assert_int_equal(l.skipped, 4);
	assert_int_equal(l.first_bad_line, 1);
	keys_free(&l);
	free(text);
}

/* An ed25519 blob built by hand: type name, 32-byte key, optional extra. */
static char *ed_blob(const char *name, size_t extra)
{
	unsigned char raw[128] = { 0 };
	size_t nl = strlen(name), o = 0;

	raw[o++] = 0, raw[o++] = 0, raw[o++] = 0, raw[o++] = (unsigned char)nl;
	memcpy(raw + o, name, nl);
	o += nl;
	raw[o++] = 0, raw[o++] = 0, raw[o++] = 0, raw[o++] = 32;
	for (size_t i = 0; i < 32; i++)
		raw[o++] = (unsigned char)(i * 7 + 1);
	o += extra; /* zero bytes after the key */
	char *out = malloc(4 * (o / 3 + 1) + 1);
	assert_non_null(out);
	b64_encode(raw, o, out, 1);
	return out;
}

static void test_keys_parse_noncanonical_blob(void **state)
{
	(void)state;
	struct key_list l = { 0 };
	char *ok = ed_blob("ssh-ed25519", 0);
	char *renamed = ed_blob("ssh-ed25518", 0);
	char *trailing = ed_blob("ssh-ed25519", 4);
	char *text = fmt("ssh-ed25519 %s\nssh-ed25519 %s\nssh-ed25519 %s\n", ok, renamed, trailing);

	parse_str(text, &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.skipped, 2);
	assert_int_equal(l.first_bad_line, 2);
	assert_fp_shape(l.keys[0].fp);
	keys_free(&l);
	free(ok);
	free(renamed);
	free(trailing);
	free(text);
}

static void test_keys_parse_unterminated_quote(void **state)
{
	(void)state;
	struct key_list l = { 0 };
	char *text = fmt("command=\"echo hi ssh-ed25519 %s\n"
			 "command=\"echo \\\" ssh-ed25519 %s\n"
			 "ssh-rsa %s\n",
			 ed.b64, ed.b64, rsa.b64);

	parse_str(text, &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.skipped, 2);
	assert_int_equal(l.first_bad_line, 1);
	assert_string_equal(l.keys[0].type, "ssh-rsa");
	keys_free(&l);
	free(text);
}

static void test_keys_parse_nul_byte(void **state)
{
	(void)state;
	struct key_list l = { 0 };
	char *l1 = fmt("ssh-ed25519 %s", ed.b64);
	char *text = fmt("%s comment\n%s\n", l1, l1);
	size_t n = strlen(text);

	text[strlen(l1) + 3] = '\0'; /* inside line 1's comment */
	assert_int_equal(keys_parse(text, n, &l), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.skipped, 1);
	assert_int_equal(l.first_bad_line, 1);
	assert_string_equal(l.keys[0].line, l1);
	keys_free(&l);

	text[strlen(l1) + 3] = 'x';
	text[5] = '\0'; /* inside the type name */
	assert_int_equal(keys_parse(text, n, &l), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.first_bad_line, 1);
	keys_free(&l);
	free(l1);
	free(text);
}

static void test_keys_parse_long_line(void **state)
{
	(void)state;
	struct key_list l = { 0 };
	char pad[17 * 1024];

	memset(pad, 'a', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	char *text = fmt("ssh-ed25519 %s %s\nssh-rsa %s\n", ed.b64, pad, rsa.b64);

	parse_str(text, &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.skipped, 1);
	assert_int_equal(l.first_bad_line, 1);
	keys_free(&l);
	free(text);
}

static void test_keys_parse_max_keys(void **state)
{
	(void)state;
	struct key_list l = { 0 };
	char *line = fmt("ssh-ed25519 %s\n", ed.b64);
	size_t ll = strlen(line), count = KEYS_MAX_KEYS + 1;
	char *text = malloc(ll * count + 1);

	assert_non_null(text);
	for (size_t i = 0; i < count; i++)
		memcpy(text + i * ll, line, ll);
	assert_int_equal(keys_parse(text, ll * count, &l), 0);
	assert_int_equal(l.n, KEYS_MAX_KEYS);
	assert_int_equal(l.skipped, 1);
	assert_int_equal(l.first_bad_line, KEYS_MAX_KEYS + 1);
	assert_string_equal(l.keys[KEYS_MAX_KEYS - 1].fp, ed.fp);
	keys_free(&l);
	free(line);
	free(text);
}

static void test_keys_parse_too_big(void **state)
{
	(void)state;
	struct key_list l = { .n = 7 };
	char *text = malloc(KEYS_MAX_FILE + 1);

	assert_non_null(text);
	memset(text, '\n', KEYS_MAX_FILE + 1);
	assert_int_equal(keys_parse(text, KEYS_MAX_FILE + 1, &l), -EFBIG);
	assert_int_equal(l.n, 7); /* untouched on failure */
	assert_int_equal(keys_parse(text, KEYS_MAX_FILE, &l), 0);
	assert_int_equal(l.n, 0);
	keys_free(&l);
	free(text);
}

static void test_keys_parse_random_garbage(void **state)
{
	(void)state;
	unsigned seed = 12345;
	size_t n = 8192;
	char *buf = malloc(n);

	assert_non_null(buf);
	for (int round = 0; round < 50; round++) {
		struct key_list l = { 0 };
		for (size_t i = 0; i < n; i++)
			buf[i] = (char)(rand_r(&seed) & 0xff);
		assert_int_equal(keys_parse(buf, n, &l), 0);
		assert_int_equal(l.n, 0);
		keys_free(&l);
	}
	free(buf);
}

static void test_keys_parse_mutated_input(void **state)
{
	(void)state;
	unsigned seed = 777;
	char *orig = fmt("from=\"a\",command=\"x \\\"y\\\"\" ssh-ed25519 %s c\nssh-rsa %s\n# x\n",
			 ed.b64, rsa.b64);
	size_t n = strlen(orig);

	for (int round = 0; round < 200; round++) {
		struct key_list l = { 0 };
		char *m = malloc(n);
		assert_non_null(m);
		memcpy(m, orig, n);
		for (int k = 0; k < 3; k++)
			m[(size_t)rand_r(&seed) % n] = (char)(rand_r(&seed) & 0xff);
		assert_int_equal(keys_parse(m, n, &l), 0);
		assert_true(l.n <= 2);
		for (size_t i = 0; i < l.n; i++)
			assert_fp_shape(l.keys[i].fp);
		keys_free(&l);
		free(m);
	}
	free(orig);
}

static void test_keys_from_auth_info_publickey(void **state)
{
	(void)state;
	struct key_list l = { 0 };
	char *info = fmt("publickey ssh-ed25519 %s\n", ed.b64);
	char *want = fmt("ssh-ed25519 %s", ed.b64);

	assert_int_equal(keys_from_auth_info(info, &l), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.skipped, 0);
	assert_entry(&l.keys[0], want, &ed);
	keys_free(&l);
	free(info);
	free(want);
}

static void test_keys_from_auth_info_last_publickey_wins(void **state)
{
	(void)state;
	struct key_list l = { 0 };
	char *info = fmt("publickey ssh-ed25519 %s\npassword\npublickey ssh-rsa %s\n"
			 "keyboard-interactive/pam",
			 ed.b64, rsa.b64);
	char *want = fmt("ssh-rsa %s", rsa.b64);

	assert_int_equal(keys_from_auth_info(info, &l), 0);
	assert_int_equal(l.n, 1);
	assert_entry(&l.keys[0], want, &rsa);
	keys_free(&l);
	free(info);
	free(want);
}

static void test_keys_from_auth_info_password_only(void **state)
{
	(void)state;
	struct key_list l = { .n = 3 };

	assert_int_equal(keys_from_auth_info("password\n", &l), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(l.skipped, 0);
	keys_free(&l);
	assert_int_equal(keys_from_auth_info("keyboard-interactive/pam\n", &l), 0);
	assert_int_equal(l.n, 0);
	keys_free(&l);
	assert_int_equal(keys_from_auth_info("", &l), 0);
	assert_int_equal(l.n, 0);
	keys_free(&l);
	assert_int_equal(keys_from_auth_info(NULL, &l), 0);
	assert_int_equal(l.n, 0);
	keys_free(&l);
}

static void test_keys_from_auth_info_garbage(void **state)
{
	(void)state;
	struct key_list l = { 0 };
	char *bad_last = fmt("publickey ssh-ed25519 %s\npublickey ssh-ed25519 AAAA%%%%\n", ed.b64);
	char *mismatch = fmt("publickey ssh-ed25519 %s\n", rsa.b64);
	const char *cases[] = { "publickey",
				"publickey \n",
				"publickeyssh-ed25519 AAAA",
				"publickey ssh-foo AAAA",
				"\x01\x02\xff\xfe\n\n\r\n",
				bad_last,
				mismatch };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(keys_from_auth_info(cases[i], &l), 0);
		assert_int_equal(l.n, 0);
		keys_free(&l);
	}
	assert_int_equal(keys_from_auth_info(bad_last, &l), 0);
	assert_int_equal(l.skipped, 1);
	assert_int_equal(l.first_bad_line, 2);
	keys_free(&l);

	unsigned seed = 99;
	char buf[4096];
	for (int round = 0; round < 50; round++) {
		for (size_t i = 0; i < sizeof(buf) - 1; i++)
			buf[i] = (char)(1 + rand_r(&seed) % 255);
		buf[sizeof(buf) - 1] = '\0';
		memcpy(buf + 100, "\npublickey ssh-ed25519 ", 23);
		assert_int_equal(keys_from_auth_info(buf, &l), 0);
		assert_int_equal(l.n, 0);
		keys_free(&l);
	}
	free(bad_last);
	free(mismatch);
}

static void test_keys_from_auth_info_too_big(void **state)
{
	(void)state;
	struct key_list l = { .n = 5 };
	size_t n = 64 * 1024 + 1;
	char *info = malloc(n + 1);

	assert_non_null(info);
	memset(info, '\n', n);
	info[n] = '\0';
	assert_int_equal(keys_from_auth_info(info, &l), -EFBIG);
	assert_int_equal(l.n, 5);
	free(info);
}

static void test_keys_format_round_trip(void **state)
{
	(void)state;
	struct key_list a = { 0 }, b = { 0 };
	char *text = fmt("# c\r\nno-pty,command=\"a \\\"b c\\\"\" ssh-ed25519 %s x y\r\n\n"
			 "ssh-rsa %s\nbogus line\necdsa-sha2-nistp256 %s",
			 ed.b64, rsa.b64, ecdsa.b64);
	char *out = NULL;
	size_t len = 0;

	parse_str(text, &a);
	assert_int_equal(a.n, 3);
	assert_int_equal(keys_format(&a, &out, &len), 0);
	assert_int_equal(len, strlen(out));
	assert_int_equal(out[len - 1], '\n');
	assert_int_equal(keys_parse(out, len, &b), 0);
	assert_int_equal(b.n, a.n);
	assert_int_equal(b.skipped, 0);
	for (size_t i = 0; i < a.n; i++) {
		assert_string_equal(a.keys[i].line, b.keys[i].line);
		assert_string_equal(a.keys[i].fp, b.keys[i].fp);
		assert_string_equal(a.keys[i].type, b.keys[i].type);
	}
	char *want = fmt("%s\n%s\n%s\n", a.keys[0].line, a.keys[1].line, a.keys[2].line);
	assert_string_equal(out, want);
	keys_free(&a);
	keys_free(&b);
	free(out);
	free(want);
	free(text);
}

static void test_keys_format_empty(void **state)
{
	(void)state;
	struct key_list l = { 0 };
	char *out = NULL;
	size_t len = 1;

	assert_int_equal(keys_format(&l, &out, &len), 0);
	assert_int_equal(len, 0);
	assert_string_equal(out, "");
	free(out);
}

static void test_keys_free_zeroed(void **state)
{
	(void)state;
	struct key_list l = { 0 };

	keys_free(&l);
	keys_free(&l);
	keys_free(NULL);
	assert_int_equal(l.n, 0);
	assert_null(l.keys);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys_parse_plain),
		cmocka_unit_test(test_keys_parse_fingerprint_matches_ssh_keygen),
		cmocka_unit_test(test_keys_parse_options_verbatim),
		cmocka_unit_test(test_keys_parse_comment_with_spaces),
		cmocka_unit_test(test_keys_parse_comments_and_blank_lines),
		cmocka_unit_test(test_keys_parse_crlf),
		cmocka_unit_test(test_keys_parse_no_trailing_newline),
		cmocka_unit_test(test_keys_parse_empty),
		cmocka_unit_test(test_keys_parse_bad_base64),
		cmocka_unit_test(test_keys_parse_missing_blob),
		cmocka_unit_test(test_keys_parse_unknown_type),
		cmocka_unit_test(test_keys_parse_type_mismatch),
		cmocka_unit_test(test_keys_parse_noncanonical_blob),
		cmocka_unit_test(test_keys_parse_unterminated_quote),
		cmocka_unit_test(test_keys_parse_nul_byte),
		cmocka_unit_test(test_keys_parse_long_line),
		cmocka_unit_test(test_keys_parse_max_keys),
		cmocka_unit_test(test_keys_parse_too_big),
		cmocka_unit_test(test_keys_parse_random_garbage),
		cmocka_unit_test(test_keys_parse_mutated_input),
		cmocka_unit_test(test_keys_from_auth_info_publickey),
		cmocka_unit_test(test_keys_from_auth_info_last_publickey_wins),
		cmocka_unit_test(test_keys_from_auth_info_password_only),
		cmocka_unit_test(test_keys_from_auth_info_garbage),
		cmocka_unit_test(test_keys_from_auth_info_too_big),
		cmocka_unit_test(test_keys_format_round_trip),
		cmocka_unit_test(test_keys_format_empty),
		cmocka_unit_test(test_keys_free_zeroed),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
