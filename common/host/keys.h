/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * authorized_keys handling with libssh: parse, keep options as written,
 * fingerprint. Input here is user-controlled and already size-capped by the
 * reader (safefs); this module bounds the key count itself.
 */
#ifndef THROWAWAY_KEYS_H
#define THROWAWAY_KEYS_H

#include <stddef.h>

#define KEYS_MAX_FILE (64 * 1024)
#define KEYS_MAX_KEYS 256
#define KEYS_FP_MAX 128

struct key_entry {
	char *line;           /* the whole line as written, options included */
	char fp[KEYS_FP_MAX]; /* "SHA256:..." */
	char *type;           /* "ssh-ed25519", ... */
};

struct key_list {
	struct key_entry *keys;
	size_t n;
	size_t skipped;        /* lines libssh could not parse (or over the cap) */
	size_t first_bad_line; /* 1-based line number of the first skipped, 0 if none */
};

/*
 * Parse an authorized_keys buffer (need not be NUL-terminated). Comment and
 * blank lines are ignored; option prefixes (from=, command="...", ...) are
 * kept verbatim; unparseable lines, lines with NUL bytes and keys beyond
 * KEYS_MAX_KEYS are counted in skipped. Returns 0 or -errno (-ENOMEM,
 * -EFBIG when len > KEYS_MAX_FILE).
 */
int keys_parse(const char *buf, size_t len, struct key_list *ret);

/*
 * Parse sshd's SSH_AUTH_INFO_0 ("publickey <type> <base64>\n", possibly
 * several lines; only publickey lines count) into a one-key list holding
 * "<type> <base64>". Returns 0 (n may be 0 when no key authenticated) or
 * -errno.
 */
int keys_from_auth_info(const char *info, struct key_list *ret);

/* Serialize as authorized_keys text: each line + '\n'. Caller frees. */
int keys_format(const struct key_list *l, char **ret_text, size_t *ret_len);

void keys_free(struct key_list *l);

#endif
