/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * authorized_keys handling with libssh.
 *
 * Trust: every byte handed to this module is user-controlled (the user's
 * authorized_keys, or sshd's SSH_AUTH_INFO_0, which carries a key the client
 * chose). Nothing here is trusted until libssh has imported the key and
 * re-encoded it to exactly the bytes that were written.
 * Privileges: none needed; no files but libssh itself, loaded on first use.
 * Leaves behind: only the returned key_list (release with keys_free()).
 */
#include "keys.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dlfcn.h>
#include <libssh/libssh.h>

#include "cleanup.h"

/*
 * libssh is loaded when keys are first parsed, not when a program that may
 * parse them starts: with what it pulls in (libcrypto, GSSAPI, Kerberos)
 * it cost every keeper start 1.5 ms, and only bind_home = no sessions
 * parse keys.
 */
static struct {
	__typeof__(ssh_key_free) *key_free;
	__typeof__(ssh_string_free_char) *string_free_char;
	__typeof__(ssh_get_publickey_hash) *get_publickey_hash;
	__typeof__(ssh_get_fingerprint_hash) *get_fingerprint_hash;
	__typeof__(ssh_clean_pubkey_hash) *clean_pubkey_hash;
	__typeof__(ssh_key_type_from_name) *key_type_from_name;
	__typeof__(ssh_pki_import_pubkey_base64) *pki_import_pubkey_base64;
	__typeof__(ssh_key_type_to_char) *key_type_to_char;
	__typeof__(ssh_key_type) *key_type;
	__typeof__(ssh_pki_export_pubkey_base64) *pki_export_pubkey_base64;
} lib;

#define LIBSSH_SONAME "libssh.so.4"

static int load_libssh(void)
{
	static int loaded; /* 1: done, -1: failed */
	if (loaded)
		return loaded > 0 ? 0 : -ENOSYS;
	loaded = -1;
	void *h = dlopen(LIBSSH_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (!h)
		return -ENOSYS;
	struct {
		void **ptr;
		const char *name;
	} syms[] = {
		{ (void **)&lib.key_free, "ssh_key_free" },
		{ (void **)&lib.string_free_char, "ssh_string_free_char" },
		{ (void **)&lib.get_publickey_hash, "ssh_get_publickey_hash" },
		{ (void **)&lib.get_fingerprint_hash, "ssh_get_fingerprint_hash" },
		{ (void **)&lib.clean_pubkey_hash, "ssh_clean_pubkey_hash" },
		{ (void **)&lib.key_type_from_name, "ssh_key_type_from_name" },
		{ (void **)&lib.pki_import_pubkey_base64, "ssh_pki_import_pubkey_base64" },
		{ (void **)&lib.key_type_to_char, "ssh_key_type_to_char" },
		{ (void **)&lib.key_type, "ssh_key_type" },
		{ (void **)&lib.pki_export_pubkey_base64, "ssh_pki_export_pubkey_base64" },
	};
	for (size_t i = 0; i < ELEMENTSOF(syms); i++)
		if (!(*syms[i].ptr = dlsym(h, syms[i].name)))
			return -ENOSYS;
	loaded = 1;
	return 0;
}

#define KEYS_MAX_LINE (16 * 1024)
#define KEYS_MAX_AUTH_INFO (64 * 1024)
#define KEYS_TYPE_NAME_MAX 64
#define FP_PREFIX "SHA256:"
#define AUTH_PUBLICKEY "publickey"
#define BLANKS " \t"

static void cleanup_ssh_keyp(ssh_key *k)
{
	if (*k)
		lib.key_free(*k);
}

static void cleanup_ssh_charp(char **s)
{
	if (*s)
		lib.string_free_char(*s);
}

static void entry_clear(struct key_entry *e)
{
	free(e->line);
	free(e->type);
	*e = (struct key_entry){ 0 };
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* A cursor over a buffer that need not be NUL-terminated. */
struct line_iter {
	const char *p;
	const char *end;
	size_t no; /* 1-based number of the line last returned */
};

/* Next line without its '\n' and one trailing '\r'; false at the end. */
static bool line_next(struct line_iter *it, const char **ret_s, size_t *ret_n)
{
	if (!it->p || it->p == it->end)
		return false;
	const char *s = it->p;
	const char *nl = memchr(s, '\n', (size_t)(it->end - s));
	size_t n = nl ? (size_t)(nl - s) : (size_t)(it->end - s);

	it->p = nl ? nl + 1 : it->end;
	it->no++;
	if (n > 0 && s[n - 1] == '\r')
		n--;
	*ret_s = s;
	*ret_n = n;
	return true;
}

static void note_skipped(struct key_list *l, size_t line_no)
{
	if (l->skipped++ == 0)
		l->first_bad_line = line_no;
}

/* Append *e, taking ownership of its strings. Capacity is the next power of two. */
static int list_push(struct key_list *l, struct key_entry *e)
{
	if ((l->n & (l->n - 1)) == 0) {
		size_t cap = l->n ? 2 * l->n : 1;
		struct key_entry *k = reallocarray(l->keys, cap, sizeof(*k));
		if (!k)
			return -ENOMEM;
		l->keys = k;
	}
	l->keys[l->n++] = *e;
	*e = (struct key_entry){ 0 };
	return 0;
}

/* "SHA256:<base64 without padding>", as ssh-keygen -l prints it. */
static int key_fingerprint(ssh_key key, char fp[static KEYS_FP_MAX])
{
	_cleanup_(cleanup_ssh_charp) char *s = NULL;
	unsigned char *hash = NULL;
	size_t hlen = 0;

	if (lib.get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen) < 0)
		return -EINVAL;
	s = lib.get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
	lib.clean_pubkey_hash(&hash);
	if (!s)
		return -EINVAL;

	size_t n = strcspn(s, "=");
	if (strncmp(s, FP_PREFIX, strlen(FP_PREFIX)) != 0 || n <= strlen(FP_PREFIX) ||
	    n >= KEYS_FP_MAX)
		return -EINVAL;
	memcpy(fp, s, n);
	fp[n] = '\0';
	return 0;
}

static int b64_value(char c)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c ? strchr(tab, c) : NULL;

	return p ? (int)(p - tab) : -1;
}

/* Decode at most max leading bytes of b64 into out; returns how many. */
static size_t b64_prefix(const char *b64, unsigned char *out, size_t max)
{
	unsigned acc = 0;
	int bits = 0;
	size_t o = 0;

	for (; o < max; b64++) {
		int v = b64_value(*b64);
		if (v < 0)
			break;
		acc = ((acc << 6) | (unsigned)v) & 0xffffu;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	return o;
}

/*
 * Whether the blob's own type name (its first SSH string) is type. libssh
 * imports with the type it is told and does not compare (an
 * ecdsa-sha2-nistp256 blob imports as "ecdsa-sha2-nistp384"), so check here.
 */
static bool blob_declares(const char *b64, const char *type)
{
	unsigned char raw[4 + KEYS_TYPE_NAME_MAX] = { 0 };
	size_t tl = strlen(type);

	if (tl >= KEYS_TYPE_NAME_MAX || b64_prefix(b64, raw, 4 + tl) != 4 + tl)
		return false;
	uint32_t len =
		(uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 | (uint32_t)raw[2] << 8 | raw[3];
	return len == tl && memcmp(raw + 4, type, tl) == 0;
}

/*
 * Import "<type> <b64>" with libssh; fill e->fp and e->type. -EINVAL when
 * libssh refuses the key, when the blob or the imported key is not of the
 * named type, or when libssh's encoding of the key differs from b64
 * (trailing bytes, non-canonical fields): what is installed is exactly what
 * was checked and fingerprinted. -ENOMEM when our own allocation fails.
 */
static int key_check(const char *type, const char *b64, struct key_entry *e)
{
	_cleanup_(cleanup_ssh_keyp) ssh_key key = NULL;
	_cleanup_(cleanup_ssh_charp) char *canon = NULL;
	enum ssh_keytypes_e t = lib.key_type_from_name(type);

	if (t == SSH_KEYTYPE_UNKNOWN || !blob_declares(b64, type))
		return -EINVAL;
	if (lib.pki_import_pubkey_base64(b64, t, &key) != SSH_OK)
		return -EINVAL;
	const char *name = lib.key_type_to_char(lib.key_type(key));
	if (!name || strcmp(name, type) != 0)
		return -EINVAL;
	if (lib.pki_export_pubkey_base64(key, &canon) != SSH_OK || strcmp(canon, b64) != 0)
		return -EINVAL;

	int r = key_fingerprint(key, e->fp);
	if (r < 0)
		return r;
	e->type = strdup(name);
	return e->type ? 0 : -ENOMEM;
}

/* Cut the next blank-separated token out of *p (NUL-terminating it). */
static char *cut_token(char **p)
{
	char *s = *p + strspn(*p, BLANKS);
	char *end = s + strcspn(s, BLANKS);

	if (*end)
		*end++ = '\0';
	*p = end;
	return s;
}

static bool starts_with_key_type(const char *p)
{
	char name[KEYS_TYPE_NAME_MAX];
	size_t n = strcspn(p, BLANKS);

	if (n == 0 || n >= sizeof(name))
		return false;
	memcpy(name, p, n);
	name[n] = '\0';
	return lib.key_type_from_name(name) != SSH_KEYTYPE_UNKNOWN;
}

/*
 * Step over an OpenSSH options field: it ends at the first blank outside
 * double quotes; \" does not open or close a quote. -EINVAL if a quote is
 * left open.
 */
static int skip_options(char **p)
{
	bool quoted = false;
	char *c = *p;

	for (; *c && (quoted || !is_blank(*c)); c++) {
		if (c[0] == '\\' && c[1] == '"')
			c++;
		else if (*c == '"')
			quoted = !quoted;
	}
	if (quoted)
		return -EINVAL;
	*p = c;
	return 0;
}

/* Parse "[options] type base64 [comment]" (n bytes, no NUL) into e. */
static int key_line_parse(const char *s, size_t n, struct key_entry *e)
{
	_cleanup_free_ char *scratch = strndup(s, n);
	if (!scratch)
		return -ENOMEM;

	char *p = scratch + strspn(scratch, BLANKS);
	if (!starts_with_key_type(p)) {
		int r = skip_options(&p);
		if (r < 0)
			return r;
	}
	const char *type = cut_token(&p);
	const char *b64 = cut_token(&p);
	if (!*type || !*b64)
		return -EINVAL;

	int r = key_check(type, b64, e);
	if (r < 0)
		return r;
	e->line = strndup(s, n);
	return e->line ? 0 : -ENOMEM;
}

static bool is_comment_or_blank(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && is_blank(s[i]))
		i++;
	return i == n || s[i] == '#';
}

/*
 * One authorized_keys line: 0 if kept or ignored (comment, blank), -ENOMEM,
 * or another -errno when the line is to be counted as skipped.
 */
static int add_key_line(struct key_list *l, const char *s, size_t n)
{
	_cleanup_(entry_clear) struct key_entry e = { 0 };

	if (n > KEYS_MAX_LINE || memchr(s, '\0', n))
		return -EINVAL;
	if (is_comment_or_blank(s, n))
		return 0;
	if (l->n >= KEYS_MAX_KEYS)
		return -E2BIG;

	int r = key_line_parse(s, n, &e);
	if (r < 0)
		return r;
	return list_push(l, &e);
}

int keys_parse(const char *buf, size_t len, struct key_list *ret)
{
	_cleanup_(keys_free) struct key_list l = { 0 };

	if (load_libssh() < 0)
		return -ENOSYS;

	if (len > KEYS_MAX_FILE)
		return -EFBIG;
	if (!ret || (len > 0 && !buf))
		return -EINVAL;

	struct line_iter it = { .p = buf, .end = buf ? buf + len : NULL };
	const char *s;
	size_t n;
	while (line_next(&it, &s, &n)) {
		int r = add_key_line(&l, s, n);
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			note_skipped(&l, it.no);
	}
	*ret = l;
	l = (struct key_list){ 0 };
	return 0;
}

static bool is_publickey_line(const char *s, size_t n)
{
	size_t k = strlen(AUTH_PUBLICKEY);

	return n > k && memcmp(s, AUTH_PUBLICKEY, k) == 0 && is_blank(s[k]);
}

/* "publickey <type> <base64> [...]": store "<type> <base64>". */
static int add_auth_line(struct key_list *l, const char *s, size_t n)
{
	_cleanup_(entry_clear) struct key_entry e = { 0 };
	size_t k = strlen(AUTH_PUBLICKEY);

	if (n > KEYS_MAX_LINE)
		return -EINVAL;
	_cleanup_free_ char *scratch = strndup(s + k, n - k);
	if (!scratch)
		return -ENOMEM;

	char *p = scratch;
	const char *type = cut_token(&p);
	const char *b64 = cut_token(&p);
	if (!*type || !*b64)
		return -EINVAL;
	int r = key_check(type, b64, &e);
	if (r < 0)
		return r;
	if (asprintf(&e.line, "%s %s", type, b64) < 0) {
		e.line = NULL;
		return -ENOMEM;
	}
	return list_push(l, &e);
}

int keys_from_auth_info(const char *info, struct key_list *ret)
{
	_cleanup_(keys_free) struct key_list l = { 0 };

	if (load_libssh() < 0)
		return -ENOSYS;

	if (!ret)
		return -EINVAL;
	size_t len = info ? strnlen(info, KEYS_MAX_AUTH_INFO + 1) : 0;
	if (len > KEYS_MAX_AUTH_INFO)
		return -EFBIG;

	/* Several methods may have run; the last publickey one completed auth. */
	struct line_iter it = { .p = info, .end = info ? info + len : NULL };
	const char *s, *last = NULL;
	size_t n, last_n = 0, last_no = 0;
	while (line_next(&it, &s, &n)) {
		if (is_publickey_line(s, n)) {
			last = s;
			last_n = n;
			last_no = it.no;
		}
	}
	if (last) {
		int r = add_auth_line(&l, last, last_n);
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			note_skipped(&l, last_no);
	}
	*ret = l;
	l = (struct key_list){ 0 };
	return 0;
}

int keys_format(const struct key_list *l, char **ret_text, size_t *ret_len)
{
	size_t total = 0;

	if (!l || !ret_text || !ret_len)
		return -EINVAL;
	for (size_t i = 0; i < l->n; i++) {
		size_t n = strlen(l->keys[i].line);
		if (n + 1 > SIZE_MAX - 1 - total)
			return -EOVERFLOW;
		total += n + 1;
	}

	char *text = malloc(total + 1);
	if (!text)
		return -ENOMEM;
	char *p = text;
	for (size_t i = 0; i < l->n; i++) {
		p = stpcpy(p, l->keys[i].line);
		*p++ = '\n';
	}
	*p = '\0';
	*ret_text = text;
	*ret_len = total;
	return 0;
}

void keys_free(struct key_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		entry_clear(&l->keys[i]);
	free(l->keys);
	*l = (struct key_list){ 0 };
}
