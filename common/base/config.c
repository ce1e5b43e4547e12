/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * throwaway.conf parser. Input: a file written by root, but parsed inside
 * sshd, so every line, key, value and the file itself is bounded, and
 * nothing is silently cut or ignored.
 *
 * Lines are parsed by inih (Debian's r55: 200-byte line buffer, multi-line
 * continuation and inline ';' comments on, no line number for the handler).
 * Our reader feeds inih one line at a time from our own buffer, counts lines,
 * and refuses what inih would accept differently than we mean before inih
 * sees it: over-long lines, continuation lines, inline comments, NUL and
 * control bytes, malformed section headers and keys. Section headers are
 * handled by the reader (inih does not report them to the handler); a line
 * too long for inih's buffer is passed as "key=<marker>" with the full value
 * kept on the side.
 *
 * Never prints, never exits; returns 0 or -errno with the message in a
 * struct tw_err.
 */
#include "config.h"

#include <fcntl.h>
#include <grp.h>
#include <ini.h>
#include <limits.h>
#include <search.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "config_backend.h"
#include "names.h"
#include "netaddr.h"
#include "util.h"

#define KEY_MAX 64                            /* longest key the reader accepts as a key */
#define SECTION_ARG_MAX CONFIG_GROUP_NAME_MAX /* longest NAME in [group:NAME] / [user:NAME] */
#define QUOTE_MAX 64                          /* user strings are cut to this in messages */
#define QUOTE_SIZE (QUOTE_MAX + 4)
#define PID_MAX_LIMIT_64 4194304
#define LONG_MARKER "\x01" /* the value inih sees for a line kept aside */

static bool streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

/* Messages ------------------------------------------------------------ */

/* Record r and a message in err (may be NULL); %m shows -r. Returns r. */
__attribute__((format(printf, 3, 4))) static int fail(struct tw_err *err, int r, const char *fmt,
						      ...)
{
	char msg[TW_ERR_MAX];
	va_list ap;

	if (!err)
		return r;
	errno = -r;
	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		msg[0] = '\0';
	va_end(ap);
	return tw_err_set(err, r, "%s", msg);
}

/* Copy S for a message (util_sanitize), cut at QUOTE_MAX bytes with "..." to say so. */
static const char *quote(char buf[static QUOTE_SIZE], const char *s)
{
	size_t n = util_sanitize(buf, QUOTE_MAX + 1, s);

	if (s[n])
		memcpy(buf + n, "...", sizeof("...")); /* QUOTE_SIZE has room for it */
	return buf;
}

/* Numbers ------------------------------------------------------------- */

struct unit {
	char suffix;
	uint64_t factor;
};

static const struct unit size_units[] = {
	{ 'K', UINT64_C(1) << 10 },
	{ 'M', UINT64_C(1) << 20 },
	{ 'G', UINT64_C(1) << 30 },
};

static const struct unit duration_units[] = {
	{ 's', 1 },
	{ 'm', 60 },
	{ 'h', 3600 },
	{ 'd', 86400 },
};

/* Decimal digits, then at most one suffix from UNITS. No sign, no space. */
static int parse_scaled(const char *s, const struct unit *units, size_t n_units, uint64_t *ret)
{
	uint64_t v, factor = 1;
	size_t i;

	/* Too large is as bad a value as any other here. */
	if (!s || util_parse_u64(s, UINT64_MAX, &s, &v) < 0)
		return -EINVAL;
	if (*s) {
		for (i = 0; i < n_units && units[i].suffix != *s; i++)
			;
		if (i == n_units || s[1])
			return -EINVAL;
		factor = units[i].factor;
	}
	if (__builtin_mul_overflow(v, factor, &v))
		return -EINVAL;
	*ret = v;
	return 0;
}

int config_parse_size(const char *s, uint64_t *ret)
{
	return parse_scaled(s, size_units, ELEMENTSOF(size_units), ret);
}

int config_parse_duration(const char *s, uint64_t *ret)
{
	return parse_scaled(s, duration_units, ELEMENTSOF(duration_units), ret);
}

static int parse_plain(const char *s, uint64_t *ret)
{
	return parse_scaled(s, NULL, 0, ret);
}

/* String checks ------------------------------------------------------- */

/* What the reader takes for a key, to name it in "unknown key" if it is none. */
static bool is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

/*
 * Absolute, printable ASCII without whitespace, ',' or ':' (they separate
 * fields in LXC mount entries and in bind), no ".." component.
 */
static bool valid_path(const char *s)
{
	const char *c;

	if (s[0] != '/' || strlen(s) >= PATH_MAX)
		return false;
	for (c = s; *c; c++)
		if ((unsigned char)*c <= ' ' || (unsigned char)*c >= 0x7f || *c == ',' || *c == ':')
			return false;
	for (c = s; c; c = strchr(c + 1, '/'))
		if (c[1] == '.' && c[2] == '.' && (c[3] == '/' || !c[3]))
			return false;
	return true;
}

static bool valid_device(const char *s)
{
	return valid_path(s) && strncmp(s, "/dev/", 5) == 0 && s[5] && s[5] != '/';
}

/* "none" or "veth:BRIDGE". */
static bool valid_network(const char *s)
{
	if (streq(s, "none"))
		return true;
	return strncmp(s, "veth:", 5) == 0 && names_bridge_valid(s + 5);
}

/*
 * An LXD project or cluster member name: a letter or digit, then letters,
 * digits, '_', '.', '-', at most 63 bytes (it goes into URLs unescaped).
 */
bool config_lxd_name_valid(const char *s)
{
	size_t n;

	if (strchr("_.-", s[0]))
		return false;
	for (n = 0; s[n]; n++)
		if (!is_key_char(s[n]))
			return false;
	return n >= 1 && n <= 63;
}

/* A member name, or '@' and a cluster group's name. */
static bool valid_lxd_target(const char *s)
{
	return config_lxd_name_valid(s[0] == '@' ? s + 1 : s);
}

/* https://HOST or https://HOST:PORT, HOST a DNS name or IPv4 address. */
bool config_lxd_url_valid(const char *s)
{
	const char *h = s + strlen("https://"), *c;
	uint64_t port;

	if (strncmp(s, "https://", 8) != 0 || !*h || *h == '.' || *h == '-')
		return false;
	for (c = h; *c && *c != ':'; c++)
		if (!is_key_char(*c) || *c == '_')
			return false;
	if (c == h || c - h > 253)
		return false;
	return !*c || (util_parse_u64(c + 1, 65535, &c, &port) >= 0 && !*c && port > 0);
}

size_t config_shared_dirs(const struct config *c, const char *home, const char **dirs, size_t max)
{
	size_t n = 0;

	if (c->bind_home && home && n < max)
		dirs[n++] = home;
	for (size_t i = 0; i < c->n_binds && n < max; i++)
		dirs[n++] = c->binds[i].dst;
	return n;
}

/*
 * A home_source: a path whose only '%'s are %u (the user's name), %U
 * (their uid) and %%, with one of the first two: a source without them
 * would give every user the same home.
 */
static bool valid_home_source(const char *s)
{
	bool per_user = false;

	if (!valid_path(s))
		return false;
	for (const char *p = strchr(s, '%'); p; p = strchr(p + 2, '%')) {
		if (p[1] != 'u' && p[1] != 'U' && p[1] != '%')
			return false;
		per_user |= p[1] != '%';
	}
	return per_user;
}

int config_home_source(const struct config *c, const char *user, uid_t uid, const char *home,
		       char *buf, size_t len)
{
	const char *t = c->home_source ? c->home_source : "%h";
	size_t n = 0;

	for (const char *p = t; *p; p++) {
		char one[2] = { *p, '\0' }, num[16];
		const char *piece = one;
		if (*p == '%') {
			p++;
			if (*p == 'h')
				piece = home; /* the default only: not a key's */
			else if (*p == 'U' && snprintf(num, sizeof(num), "%u", (unsigned)uid) > 0)
				piece = num;
			else if (*p == 'u' && names_user_safe(user))
				piece = user;
			else if (*p != '%')
				return -EINVAL;
		}
		size_t pl = strlen(piece);
		if (n + pl >= len)
			return -ENAMETOOLONG;
		memcpy(buf + n, piece, pl);
		n += pl;
	}
	buf[n] = '\0';
	return 0;
}

/*
 * A certificate or key file for lxd_url: a path, and none of the
 * characters that delimit the parts of an LXD copy's place, which carries
 * it unescaped (lxd/place.c).
 */
bool config_lxd_file_valid(const char *s)
{
	return valid_path(s) && !strpbrk(s, "?&#%=");
}

/*
 * Copy name template: %o %u %U %s %r and what a container name may hold,
 * at most NAMES_CONTAINER_MAX bytes. Each %X stands for the one character
 * X, so that the container name check decides about the rest.
 */
static bool valid_template(const char *s)
{
	char shape[NAMES_CONTAINER_MAX + 1];
	size_t n = 0;

	if (strlen(s) > NAMES_CONTAINER_MAX)
		return false;
	for (; *s; s++) {
		if (*s == '%' && (!*++s || !strchr("ouUsr", *s)))
			return false;
		shape[n++] = *s;
	}
	shape[n] = '\0';
	return names_container_valid(shape);
}

/* Keys ---------------------------------------------------------------- */

enum key_type {
	T_STRING,
	T_SIZE,
	T_NUMBER,
	T_DURATION,
	T_BOOL,
	T_CHOICE,
	T_BIND,
	T_DEVICE,
};

union value {
	uint64_t u;
	bool b;
	int e;
	char *s;
	struct config_bind bind;
};

struct key_def {
	const char *name;
	enum key_type type;
	bool global_only;             /* one value for the host: [global] only */
	size_t offset;                /* into struct config */
	const char *def;              /* default as text, NULL: none */
	uint64_t min, max;            /* T_SIZE, T_NUMBER, T_DURATION */
	bool (*valid)(const char *s); /* T_STRING, T_DEVICE */
	const char *const *choices;   /* T_CHOICE, index = enum value */
	size_t max_repeat;            /* 0: once per section */
};

const char
	*const config_storage_names[] = { [STORAGE_TMPFS] = "tmpfs", [STORAGE_DIR] = "dir", NULL };
const char *const config_ssh_keys_names
	[] = { [SSH_KEYS_ALL] = "all", [SSH_KEYS_USED] = "used", [SSH_KEYS_NONE] = "none", NULL };
const char
	*const config_share_names[] = { [SHARE_SESSION] = "session", [SHARE_USER] = "user", NULL };
const char *const config_boot_names[] = { [BOOT_INIT] = "init", [BOOT_MINIMAL] = "minimal", NULL };
const char *const config_backend_names[] = { [BACKEND_LXC] = "lxc", [BACKEND_LXD] = "lxd", NULL };

_Static_assert(sizeof(enum config_storage) == sizeof(int), "enum size");
_Static_assert(sizeof(enum config_ssh_keys) == sizeof(int), "enum size");
_Static_assert(sizeof(enum config_share) == sizeof(int), "enum size");
_Static_assert(sizeof(enum config_boot) == sizeof(int), "enum size");
_Static_assert(sizeof(enum config_backend) == sizeof(int), "enum size");

#define K_STRING(n, d, f)                                                                       \
	{                                                                                       \
		.name = #n, .type = T_STRING, .offset = offsetof(struct config, n), .def = (d), \
		.valid = (f)                                                                    \
	}
#define K_NUMBER(n, t, d, lo, hi)                                                          \
	{                                                                                  \
		.name = #n, .type = (t), .offset = offsetof(struct config, n), .def = (d), \
		.min = (lo), .max = (hi)                                                   \
	}
#define K_GLOBAL_SIZE(n, d)                                                                   \
	{                                                                                     \
		.name = #n, .type = T_SIZE, .offset = offsetof(struct config, n), .def = (d), \
		.max = UINT64_MAX, .global_only = true                                        \
	}
#define K_BOOL(n, d)                                                                         \
	{                                                                                    \
		.name = #n, .type = T_BOOL, .offset = offsetof(struct config, n), .def = (d) \
	}
#define K_CHOICE(n, d, c)                                                                       \
	{                                                                                       \
		.name = #n, .type = T_CHOICE, .offset = offsetof(struct config, n), .def = (d), \
		.choices = (c)                                                                  \
	}

static const struct key_def keys[] = {
	K_STRING(origin, NULL, names_container_valid),
	K_STRING(origin_lxcpath, "/var/lib/lxc", valid_path),
	K_STRING(lxcpath, "/var/lib/throwaway/containers", valid_path),
	K_CHOICE(storage, "tmpfs", config_storage_names),
	K_NUMBER(tmpfs_size, T_SIZE, "1G", 1, UINT64_MAX),
	K_NUMBER(dir_size, T_SIZE, "1G", 1 << 20, UINT64_MAX),
	K_BOOL(keep, "no"),
	K_NUMBER(kept_total, T_SIZE, "10G", 1 << 20, UINT64_MAX),
	K_BOOL(bind_home, "yes"),
	{ .name = "bind", .type = T_BIND, .max_repeat = CONFIG_MAX_BINDS },
	K_CHOICE(ssh_keys, "all", config_ssh_keys_names),
	K_STRING(shell, "/bin/sh", valid_path),
	K_BOOL(userns, "yes"),
	K_STRING(network, "none", valid_network),
	K_STRING(network_range, NULL, netaddr_range_valid),
	K_BOOL(network_peers, "no"),
	K_NUMBER(pids_max, T_NUMBER, "512", 1, PID_MAX_LIMIT_64),
	K_NUMBER(memory_max, T_SIZE, "1G", 1, UINT64_MAX),
	K_NUMBER(memory_max_per_user, T_SIZE, "0", 0, UINT64_MAX),
	K_GLOBAL_SIZE(memory_max_total, "0"),
	K_NUMBER(cpu_weight, T_NUMBER, "100", 1, 10000),
	K_NUMBER(pty_max, T_NUMBER, "16", 1, 1024),
	K_NUMBER(max_sessions, T_NUMBER, "256", 1, UINT64_MAX),
	K_NUMBER(max_sessions_per_user, T_NUMBER, "8", 1, UINT64_MAX),
	K_NUMBER(session_timeout, T_DURATION, "0", 0, UINT32_MAX),
	K_NUMBER(idle_timeout, T_DURATION, "0", 0, UINT32_MAX),
	K_NUMBER(start_timeout, T_DURATION, "10s", 1, 300),
	K_STRING(name, "%o-%u-%r", valid_template),
	K_CHOICE(share, "session", config_share_names),
	{ .name = "device",
	  .type = T_DEVICE,
	  .valid = valid_device,
	  .max_repeat = CONFIG_MAX_DEVICES },
	K_CHOICE(boot, "init", config_boot_names),
	K_NUMBER(pool, T_NUMBER, "0", 0, CONFIG_MAX_POOL),
	K_BOOL(banner, "yes"),
	K_CHOICE(backend, "lxc", config_backend_names),
	K_STRING(lxd_socket, "/var/lib/lxd/unix.socket", valid_path),
	K_STRING(lxd_url, NULL, config_lxd_url_valid),
	K_STRING(lxd_cert, NULL, config_lxd_file_valid),
	K_STRING(lxd_key, NULL, config_lxd_file_valid),
	K_STRING(lxd_server_cert, NULL, config_lxd_file_valid),
	K_STRING(lxd_project, "default", config_lxd_name_valid),
	K_STRING(lxd_target, NULL, valid_lxd_target),
	K_STRING(home_source, NULL, valid_home_source),
};

#define N_KEYS ELEMENTSOF(keys)

static const struct key_def *find_key(const char *name)
{
	size_t i;

	for (i = 0; i < N_KEYS; i++)
		if (streq(keys[i].name, name))
			return &keys[i];
	return NULL;
}

/* Values -------------------------------------------------------------- */

static int parse_number(const struct key_def *k, const char *s, uint64_t *ret)
{
	uint64_t v;
	int r;

	if (k->type == T_SIZE)
		r = config_parse_size(s, &v);
	else if (k->type == T_DURATION)
		r = config_parse_duration(s, &v);
	else
		r = parse_plain(s, &v);
	if (r < 0)
		return r;
	if (v < k->min || v > k->max)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int parse_choice(const char *const *choices, const char *s, int *ret)
{
	int i;

	for (i = 0; choices[i]; i++)
		if (streq(choices[i], s)) {
			*ret = i;
			return 0;
		}
	return -EINVAL;
}

static int parse_string(bool (*valid)(const char *s), const char *s, char **ret)
{
	if (!valid(s))
		return -EINVAL;
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

/* SRC:DST[:ro], both paths as valid_path(). */
static int parse_bind(const char *s, struct config_bind *ret)
{
	_cleanup_free_ char *copy = strdup(s), *src = NULL, *dst = NULL;
	char *d, *opt;

	if (!copy)
		return -ENOMEM;
	d = strchr(copy, ':');
	if (!d)
		return -EINVAL;
	*d++ = '\0';
	opt = strchr(d, ':');
	if (opt) {
		*opt++ = '\0';
		if (!streq(opt, "ro"))
			return -EINVAL;
	}
	if (!valid_path(copy) || !valid_path(d))
		return -EINVAL;
	src = strdup(copy);
	dst = strdup(d);
	if (!src || !dst)
		return -ENOMEM;
	*ret = (struct config_bind){ TAKE_PTR(src), TAKE_PTR(dst), opt != NULL };
	return 0;
}

/* 0, -EINVAL for a bad value, or -ENOMEM. */
static int parse_value(const struct key_def *k, const char *s, union value *v)
{
	switch (k->type) {
	case T_STRING:
	case T_DEVICE:
		return parse_string(k->valid, s, &v->s);
	case T_SIZE:
	case T_NUMBER:
	case T_DURATION:
		return parse_number(k, s, &v->u);
	case T_BOOL:
		if (!streq(s, "yes") && !streq(s, "no"))
			return -EINVAL;
		v->b = streq(s, "yes");
		return 0;
	case T_CHOICE:
		return parse_choice(k->choices, s, &v->e);
	case T_BIND:
		return parse_bind(s, &v->bind);
	}
	return -EINVAL;
}

static void free_value(const struct key_def *k, union value *v)
{
	if (k->type == T_STRING || k->type == T_DEVICE) {
		free(v->s);
		v->s = NULL;
	} else if (k->type == T_BIND) {
		free(v->bind.src);
		free(v->bind.dst);
		v->bind = (struct config_bind){ 0 };
	}
}

/* Move V into C (V is left empty). -E2BIG when a list is full. */
static int store_value(struct config *c, const struct key_def *k, union value *v)
{
	void *field = (char *)c + k->offset;

	switch (k->type) {
	case T_STRING:
		free(*(char **)field);
		*(char **)field = TAKE_PTR(v->s);
		return 0;
	case T_SIZE:
	case T_NUMBER:
	case T_DURATION:
		*(uint64_t *)field = v->u;
		return 0;
	case T_BOOL:
		*(bool *)field = v->b;
		return 0;
	case T_CHOICE:
		memcpy(field, &v->e, sizeof(int));
		return 0;
	case T_BIND:
		if (c->n_binds >= CONFIG_MAX_BINDS)
			return -E2BIG;
		c->binds[c->n_binds++] = v->bind;
		v->bind = (struct config_bind){ 0 };
		return 0;
	case T_DEVICE:
		if (c->n_devices >= CONFIG_MAX_DEVICES)
			return -E2BIG;
		c->devices[c->n_devices++] = TAKE_PTR(v->s);
		return 0;
	}
	return -EINVAL;
}

static int config_defaults(struct config *c)
{
	union value v = { 0 };
	size_t i;
	int r;

	for (i = 0; i < N_KEYS; i++) {
		if (!keys[i].def)
			continue;
		r = parse_value(&keys[i], keys[i].def, &v);
		if (r >= 0)
			r = store_value(c, &keys[i], &v);
		if (r < 0)
			return r;
	}
	return 0;
}

uint64_t config_memory_per_user(const struct config *c)
{
	if (c->memory_max_per_user)
		return c->memory_max_per_user;
	if (c->max_sessions_per_user && c->memory_max > UINT64_MAX / c->max_sessions_per_user)
		return UINT64_MAX;
	return c->memory_max * c->max_sessions_per_user;
}

void config_free(struct config *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < N_KEYS; i++)
		if (keys[i].type == T_STRING)
			free(*(char **)((char *)c + keys[i].offset));
	for (i = 0; i < c->n_binds && i < CONFIG_MAX_BINDS; i++) {
		free(c->binds[i].src);
		free(c->binds[i].dst);
	}
	for (i = 0; i < c->n_devices && i < CONFIG_MAX_DEVICES; i++)
		free(c->devices[i]);
	memset(c, 0, sizeof(*c));
}

/* Parser state -------------------------------------------------------- */

enum section_kind { SEC_GLOBAL, SEC_GROUP, SEC_USER };

static const struct section_type {
	const char *prefix;
	enum section_kind kind;
	bool has_arg;
} section_types[] = {
	{ "global", SEC_GLOBAL, false },
	{ "group:", SEC_GROUP, true },
	{ "user:", SEC_USER, true },
};

struct kv_entry {
	const struct key_def *key;
	union value v;
	unsigned line;
};

/* A section that applies to WHO, with its entries in file order. */
struct section {
	enum section_kind kind;
	struct kv_entry *entries;
	size_t n_entries;
};

struct parser {
	const char *path;
	const struct config_who *who;
	struct tw_err *err;
	char *buf;
	size_t len, pos;
	unsigned line;
	int error;            /* first error, sticky */
	void *names;          /* tsearch tree of section headers seen */
	const char *cur_name; /* current header, owned by names */
	size_t count[N_KEYS]; /* uses of each key in the current section */
	struct section *sections;
	size_t n_sections;
	ssize_t cur;               /* index in sections, -1: does not apply */
	bool shortened;            /* the current line's value is in side */
	unsigned set_line[N_KEYS]; /* where each resolved value was set, 0: default */
	char text[CONFIG_MAX_LINE + 1];
	char side[CONFIG_MAX_LINE + 1];
};

/* Record "PATH:LINE: message" and make it the parser's error. */
__attribute__((format(printf, 4, 5))) static int perr_at(struct parser *p, unsigned line, int r,
							 const char *fmt, ...)
{
	char msg[TW_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		msg[0] = '\0';
	va_end(ap);
	if (p->error >= 0)
		p->error = fail(p->err, r, "%s:%u: %s", p->path, line, msg);
	return p->error;
}

#define perr(p, r, ...) perr_at(p, (p)->line, r, __VA_ARGS__)

static void parser_done(struct parser *p)
{
	size_t i, j;

	for (i = 0; i < p->n_sections; i++) {
		for (j = 0; j < p->sections[i].n_entries; j++)
			free_value(p->sections[i].entries[j].key, &p->sections[i].entries[j].v);
		free(p->sections[i].entries);
	}
	free(p->sections);
	tdestroy(p->names, free);
	free(p->buf);
}

static bool applies(const struct parser *p, enum section_kind kind, const char *arg)
{
	size_t i;

	if (kind == SEC_GLOBAL)
		return true;
	if (!p->who)
		return false;
	if (kind == SEC_USER)
		return p->who->user && streq(p->who->user, arg);
	for (i = 0; p->who->groups && i < p->who->n_groups; i++)
		if (p->who->groups[i] && streq(p->who->groups[i], arg))
			return true;
	return false;
}

/* Sections ------------------------------------------------------------ */

/* NAME of [group:NAME] / [user:NAME]: printable ASCII, no space. */
static bool valid_section_arg(const char *s)
{
	size_t n;

	for (n = 0; s[n]; n++)
		if ((unsigned char)s[n] <= ' ' || (unsigned char)s[n] >= 0x7f)
			return false;
	return n >= 1 && n <= SECTION_ARG_MAX;
}

static const struct section_type *find_section_type(const char *name)
{
	size_t i, n;

	for (i = 0; i < ELEMENTSOF(section_types); i++) {
		n = strlen(section_types[i].prefix);
		if (!section_types[i].has_arg && streq(name, section_types[i].prefix))
			return &section_types[i];
		if (section_types[i].has_arg && strncmp(name, section_types[i].prefix, n) == 0 &&
		    valid_section_arg(name + n))
			return &section_types[i];
	}
	return NULL;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Remember NAME (taking it) as seen; -EEXIST if it was seen before. */
static int add_name(struct parser *p, char *name)
{
	char **node = tsearch(name, &p->names, compare_names);

	if (!node) {
		free(name);
		return -ENOMEM;
	}
	if (*node != name) {
		free(name);
		return -EEXIST;
	}
	p->cur_name = name;
	return 0;
}

static int push_section(struct parser *p, enum section_kind kind)
{
	struct section *s;

	s = reallocarray(p->sections, p->n_sections + 1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	p->sections = s;
	p->sections[p->n_sections] = (struct section){ .kind = kind };
	p->cur = (ssize_t)p->n_sections++;
	return 0;
}

/* A "[...]" line, T right-trimmed. */
static int read_section(struct parser *p, const char *t)
{
	const struct section_type *type;
	char q[QUOTE_SIZE];
	size_t n = strlen(t);
	char *name;
	int r;

	if (n < 2 || t[n - 1] != ']' || strpbrk(t + 1, "[]") != t + n - 1)
		return perr(p, -EINVAL, "malformed section header '%s'", quote(q, t));
	name = strndup(t + 1, n - 2);
	if (!name)
		return perr(p, -ENOMEM, "out of memory");
	type = find_section_type(name);
	if (!type) {
		free(name);
		return perr(p, -EINVAL, "unknown section '%s'", quote(q, t));
	}
	r = add_name(p, name); /* takes name */
	if (r == -EEXIST)
		return perr(p, -EINVAL, "section %s given twice", quote(q, t));
	if (r < 0)
		return perr(p, r, "out of memory");
	memset(p->count, 0, sizeof(p->count));
	p->cur = -1;
	if (!applies(p, type->kind, p->cur_name + strlen(type->prefix)))
		return 0;
	r = push_section(p, type->kind);
	return r < 0 ? perr(p, r, "out of memory") : 0;
}

/* Entries ------------------------------------------------------------- */

/* Keep V (taking it) if the current section applies, else drop it. */
static int keep_entry(struct parser *p, const struct key_def *k, union value *v)
{
	struct section *s;
	struct kv_entry *e;

	if (p->cur < 0) {
		free_value(k, v);
		return 0;
	}
	s = &p->sections[p->cur];
	e = reallocarray(s->entries, s->n_entries + 1, sizeof(*e));
	if (!e) {
		free_value(k, v);
		return perr(p, -ENOMEM, "out of memory");
	}
	s->entries = e;
	s->entries[s->n_entries++] = (struct kv_entry){ k, *v, p->line };
	return 0;
}

static int check_count(struct parser *p, const struct key_def *k)
{
	size_t n = p->count[k - keys];
	char q[QUOTE_SIZE];

	if (k->max_repeat == 0 && n > 0)
		return perr(p, -EINVAL, "key '%s' given twice in [%s]", k->name,
			    quote(q, p->cur_name));
	if (k->max_repeat > 0 && n >= k->max_repeat)
		return perr(p, -EINVAL, "'%s' is repeated too often", k->name);
	return 0;
}

static int handle_entry(struct parser *p, const char *name, const char *value)
{
	const struct key_def *k;
	union value v = { 0 };
	char q[QUOTE_SIZE];
	int r;

	if (!p->cur_name)
		return perr(p, -EINVAL, "key outside of a section");
	k = find_key(name);
	if (!k)
		return perr(p, -EINVAL, "unknown key '%s'", quote(q, name));
	if (k->global_only && !streq(p->cur_name, "global"))
		return perr(p, -EINVAL, "'%s' is one value for all users: set it in [global]",
			    k->name);
	r = check_count(p, k);
	if (r < 0)
		return r;
	r = parse_value(k, value, &v);
	if (r == -EINVAL)
		return perr(p, r, "bad value '%s' for '%s'", quote(q, value), k->name);
	if (r < 0) {
		free_value(k, &v);
		return perr(p, r, "out of memory");
	}
	p->count[k - keys]++;
	return keep_entry(p, k, &v);
}

/* inih's handler: one key = value of the line the reader just gave. */
static int ini_handle(void *user, const char *section, const char *name, const char *value)
{
	struct parser *p = user;

	(void)section; /* inih cuts section names; ours is p->cur_name */
	if (p->error < 0)
		return 0;
	if (p->shortened) {
		if (!streq(value, LONG_MARKER)) {
			perr(p, -EINVAL, "cannot parse line");
			return 0;
		}
		value = p->side;
	}
	return handle_entry(p, name, value) < 0 ? 0 : 1;
}

/* The reader ---------------------------------------------------------- */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Hand inih LINE, or SHORT when LINE does not fit its buffer. */
static int emit(struct parser *p, char *out, size_t size, const char *line, const char *shortform)
{
	const char *s = strlen(line) + 2 <= size ? line : shortform;
	size_t n = strlen(s);

	if (n + 2 > size)
		return perr(p, -EINVAL, "cannot parse line");
	memcpy(out, s, n);
	out[n] = '\n';
	out[n + 1] = '\0';
	p->shortened = s != line;
	return 0;
}

/* A "key = value" line, T right-trimmed, not starting with a blank. */
static int read_key(struct parser *p, const char *t, char *out, size_t size)
{
	char q[QUOTE_SIZE], key[KEY_MAX + 1], shortform[KEY_MAX + 8];
	const char *eq = strchr(t, '='), *v;
	size_t n, i;

	if (!eq)
		return perr(p, -EINVAL, "expected 'key = value' or '[section]'");
	for (n = (size_t)(eq - t); n > 0 && is_blank(t[n - 1]); n--)
		;
	if (n == 0)
		return perr(p, -EINVAL, "missing key before '='");
	for (i = 0; i < n && is_key_char(t[i]); i++)
		;
	if (i < n || n > KEY_MAX) {
		snprintf(p->side, sizeof(p->side), "%.*s", (int)n, t);
		return perr(p, -EINVAL, "unknown key '%s'", quote(q, p->side));
	}
	snprintf(key, sizeof(key), "%.*s", (int)n, t);
	for (v = eq + 1; is_blank(*v); v++)
		;
	snprintf(p->side, sizeof(p->side), "%s", v);
	snprintf(shortform, sizeof(shortform), "%s=%s", key, LONG_MARKER);
	return emit(p, out, size, t, shortform);
}

static bool has_control(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
			return true;
	return false;
}

static bool has_inline_comment(const char *t)
{
	return strchr(t, ';') || strstr(t, " #") || strstr(t, "\t#");
}

/* Check one line (without its newline) and give inih what it should see. */
static int read_line(struct parser *p, const char *s, size_t n, char *out, size_t size)
{
	char *t;

	if (n > 0 && s[n - 1] == '\r')
		n--;
	if (n > CONFIG_MAX_LINE)
		return perr(p, -EINVAL, "line longer than %d bytes", CONFIG_MAX_LINE);
	if (memchr(s, '\0', n))
		return perr(p, -EINVAL, "NUL byte in line");
	if (has_control(s, n))
		return perr(p, -EINVAL, "control character in line");
	memcpy(p->text, s, n);
	while (n > 0 && is_blank(p->text[n - 1]))
		n--;
	p->text[n] = '\0';
	for (t = p->text; is_blank(*t); t++)
		;
	if (!*t || *t == ';' || *t == '#')
		return emit(p, out, size, "", "");
	if (t != p->text)
		return perr(p, -EINVAL, "continuation lines are not allowed");
	if (has_inline_comment(t))
		return perr(p, -EINVAL, "inline comments are not allowed");
	if (*t == '[') {
		if (read_section(p, t) < 0)
			return p->error;
		return emit(p, out, size, t, "[-]");
	}
	return read_key(p, t, out, size);
}

/* inih's fgets-like reader: one line of p->buf per call. */
static char *ini_read(char *str, int num, void *stream)
{
	struct parser *p = stream;
	const char *s, *nl;
	size_t n;

	if (p->error < 0 || p->pos >= p->len || num < 2)
		return NULL;
	s = p->buf + p->pos;
	nl = memchr(s, '\n', p->len - p->pos);
	n = nl ? (size_t)(nl - s) : p->len - p->pos;
	p->pos += n + (nl ? 1 : 0);
	p->line++;
	if (p->line == 1 && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
		s += 3;
		n -= 3;
	}
	if (read_line(p, s, n, str, (size_t)num) < 0)
		return NULL;
	return str;
}

/* Loading ------------------------------------------------------------- */

static int apply_sections(struct parser *p, struct config *c, enum section_kind kind)
{
	struct kv_entry *e;
	size_t i, j;
	int r;

	for (i = 0; i < p->n_sections; i++) {
		if (p->sections[i].kind != kind)
			continue;
		for (j = 0; j < p->sections[i].n_entries; j++) {
			e = &p->sections[i].entries[j];
			p->set_line[e->key - keys] = e->line;
			r = store_value(c, e->key, &e->v);
			if (r == -E2BIG)
				return perr_at(p, e->line, -EINVAL, "'%s' is repeated too often",
					       e->key->name);
			if (r < 0)
				return perr_at(p, e->line, r, "cannot store value");
		}
	}
	return 0;
}

static unsigned line_of(const char *key, void *data)
{
	const struct parser *p = data;
	const struct key_def *k = find_key(key);

	return k ? p->set_line[k - keys] : 0;
}

/* A key the resolved backend cannot honour is an error at its line. */
static int check_backend(struct parser *p, const struct config *c)
{
	const struct config_refusal *no = config_backend_refusal(c, line_of, p);

	if (!no)
		return 0;
	return perr_at(p, line_of(no->key, p), -EINVAL, "'%s' %s", no->key, no->why);
}

/* Global, then groups in file order, then the user's section. */
static int resolve(struct parser *p, struct config *c)
{
	static const enum section_kind order[] = { SEC_GLOBAL, SEC_GROUP, SEC_USER };
	size_t i;
	int r;

	r = config_defaults(c);
	if (r < 0)
		return fail(p->err, r, "%s: out of memory", p->path);
	for (i = 0; i < ELEMENTSOF(order); i++) {
		r = apply_sections(p, c, order[i]);
		if (r < 0)
			return r;
	}
	if (!c->origin)
		return fail(p->err, -EINVAL, "%s: no 'origin' set", p->path);
	/* A tmpfs upper layer dies with the copy: there is nothing to keep. */
	if (c->keep && c->storage != STORAGE_DIR)
		return perr_at(p, line_of("keep", p), -EINVAL,
			       "'keep = yes' needs 'storage = dir'");
	r = check_backend(p, c);
	/* Copies on a bridge get their addresses from the host, never by DHCP. */
	if (r == 0 && !streq(c->network, "none") && !c->network_range)
		return perr_at(p, line_of("network", p), -EINVAL,
			       "'network = %s' needs 'network_range'", c->network);
	return r;
}

static int parse(struct parser *p)
{
	int r;

	r = ini_parse_stream(ini_read, p, ini_handle, p);
	if (p->error < 0)
		return p->error;
	if (r > 0)
		return perr_at(p, (unsigned)r, -EINVAL, "cannot parse line");
	if (r < 0)
		return fail(p->err, -ENOMEM, "%s: out of memory", p->path);
	return 0;
}

int config_load_fd(int fd, const char *name, const struct config_who *who, struct config *ret,
		   struct tw_err *err)
{
	struct parser p = { .path = name, .who = who, .err = err, .cur = -1 };
	struct config c = { 0 };
	int r;

	r = util_read_capped(fd, CONFIG_MAX_FILE, &p.buf, &p.len);
	if (r == -EFBIG)
		return fail(err, -EINVAL, "%s: file larger than %d bytes", name, CONFIG_MAX_FILE);
	if (r < 0)
		return fail(err, r, "%s: cannot read: %m", name);
	r = parse(&p);
	if (r >= 0)
		r = resolve(&p, &c);
	parser_done(&p);
	if (r < 0) {
		config_free(&c);
		return r;
	}
	*ret = c;
	return 0;
}

int config_load(const char *path, const struct config_who *who, struct config *ret,
		struct tw_err *err)
{
	_cleanup_close_ int fd = -EBADF;
	struct stat st;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return fail(err, -errno, "%s: cannot open: %m", path);
	if (fstat(fd, &st) < 0)
		return fail(err, -errno, "%s: cannot stat: %m", path);
	if (!S_ISREG(st.st_mode))
		return fail(err, -EINVAL, "%s: not a regular file", path);
	return config_load_fd(fd, path, who, ret, err);
}

/* Trust --------------------------------------------------------------- */

/*
 * FD (the file PATH, or its parent directory DIR) must be root-owned and
 * not group/world writable; a directory must be one, the file regular.
 */
static int check_trusted(int fd, const char *path, const char *dir, struct tw_err *err)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return fail(err, -errno, "%s: cannot stat %s: %m", path, dir ? dir : "it");
	if (!dir && !S_ISREG(st.st_mode))
		return fail(err, -EINVAL, "%s: not a regular file, refusing it", path);
	if (dir && !S_ISDIR(st.st_mode))
		return fail(err, -ENOTDIR, "%s: %s is not a directory", path, dir);
	if (st.st_uid != 0)
		return fail(err, -EPERM, "%s: %s%snot owned by root, refusing it", path,
			    dir ? dir : "", dir ? " is " : "");
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return fail(err, -EPERM, "%s: %s%swritable by group or others, refusing it", path,
			    dir ? dir : "", dir ? " is " : "");
	return 0;
}

/* Replace *DIR by its subdirectory NAME (a symlink is refused). */
static int descend(int *dir, const char *name, const char *prefix, const char *path,
		   struct tw_err *err)
{
	int fd, r;

	if (streq(name, ".."))
		return fail(err, -EINVAL, "%s: '..' in path, refusing it", path);
	fd = openat(*dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return fail(err, -errno, "%s: cannot open directory %s: %m", path, prefix);
	close(*dir);
	*dir = fd;
	r = check_trusted(fd, path, prefix, err);
	return r;
}

/* Walk DIRS (an absolute path's copy without its last component). */
static int walk_dirs(int *dir, char *copy, const char *path, struct tw_err *err)
{
	char *comp = copy + 1, *next;
	int r;

	for (;;) {
		next = strchr(comp, '/');
		if (!next)
			return (int)(comp - copy);
		if (next == comp || (next == comp + 1 && *comp == '.')) {
			comp = next + 1;
			continue;
		}
		*next = '\0';
		r = descend(dir, comp, copy, path, err);
		*next = '/';
		if (r < 0)
			return r;
		comp = next + 1;
	}
}

/*
 * Trusts nothing about PATH: walks it from / one component at a time with
 * O_NOFOLLOW (no symlink anywhere, no ".."), checking each directory and
 * then the file on its open fd, so nothing is resolved twice. Needs search
 * permission on the directories (root). Leaves no fd open on failure.
 */
int config_open_trusted(const char *path, int *ret_fd, struct tw_err *err)
{
	_cleanup_close_ int dir = -EBADF, fd = -EBADF;
	_cleanup_free_ char *copy = NULL;
	const char *last;
	int r;

	if (!path || path[0] != '/')
		return fail(err, -EINVAL, "%s: not an absolute path, refusing it",
			    path ? path : "(null)");
	if (strlen(path) >= PATH_MAX)
		return fail(err, -ENAMETOOLONG, "%s: path too long", path);
	copy = strdup(path);
	if (!copy)
		return fail(err, -ENOMEM, "%s: out of memory", path);
	dir = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return fail(err, -errno, "%s: cannot open /: %m", path);
	r = check_trusted(dir, path, "/", err);
	if (r >= 0)
		r = walk_dirs(&dir, copy, path, err);
	if (r < 0)
		return r;
	last = path + r;
	if (!*last || streq(last, ".") || streq(last, ".."))
		return fail(err, -EINVAL, "%s: not a regular file, refusing it", path);
	fd = openat(dir, last, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 && errno == ELOOP)
		return fail(err, -ELOOP, "%s: is a symbolic link, refusing it", path);
	if (fd < 0)
		return fail(err, -errno, "%s: cannot open: %m", path);
	r = check_trusted(fd, path, NULL, err);
	if (r < 0)
		return r;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/*
 * The name of group GID into *ret (malloc'd): "" when the group database has
 * no entry for it, or one whose name no section can hold. A long entry (a
 * group of many members) gets a larger buffer, up to GROUP_BUF_MAX; past
 * that, or on any lookup error, -errno: a name never read must not count
 * as "no name".
 */
#define GROUP_BUF_MAX (1024 * 1024)
static int group_name(gid_t gid, char **ret)
{
	_cleanup_free_ char *buf = NULL;
	for (size_t size = 4096; size <= GROUP_BUF_MAX; size *= 2) {
		struct group gr, *res = NULL;
		char *bigger = realloc(buf, size);
		if (!bigger)
			return -ENOMEM;
		buf = bigger;
		int r = getgrgid_r(gid, &gr, buf, size, &res);
		if (r == ERANGE)
			continue;
		if (r != 0)
			return r > 0 ? -r : -EIO;
		bool named = res && strlen(res->gr_name) <= CONFIG_GROUP_NAME_MAX;
		char *name = strdup(named ? res->gr_name : "");
		if (!name)
			return -ENOMEM;
		*ret = name;
		return 0;
	}
	return -ERANGE;
}

int config_user_groups(const char *user, gid_t gid, gid_t *gids, char **names, size_t max)
{
	int n = max < CONFIG_USER_MAX_GROUPS ? (int)max : CONFIG_USER_MAX_GROUPS;

	/* More groups than we keep: a section of one left out would fail open. */
	if (getgrouplist(user, gid, gids, &n) < 0)
		return -E2BIG;
	for (int i = 0; i < n; i++) {
		char *name = NULL;
		int r = group_name(gids[i], &name);
		if (r < 0 || !name) {
			while (i > 0)
				free(names[--i]);
			return r < 0 ? r : -EIO;
		}
		names[i] = name;
	}
	return n;
}

#define STR_(x) #x
#define STR(x) STR_(x)
#define GROUPS_MAX_TEXT STR(CONFIG_USER_MAX_GROUPS)
const char *config_groups_error(int r)
{
	switch (r) {
	case -E2BIG:
		return "in more than " GROUPS_MAX_TEXT " groups, the most that [group:] sections "
		       "are checked for";
	case -ERANGE:
		return "in a group whose entry is too long to read ([group:] sections not checked)";
	default:
		return "in a group the group database did not give ([group:] sections not checked)";
	}
}

int config_load_trusted(const char *path, const struct config_who *who, struct config *ret,
			struct tw_err *err)
{
	_cleanup_close_ int fd = -EBADF;
	int r = config_open_trusted(path, &fd, err);
	return r < 0 ? r : config_load_fd(fd, path, who, ret, err);
}

int config_load_user(const char *path, const char *user, gid_t gid, struct config *ret,
		     struct tw_err *err)
{
	gid_t gids[CONFIG_USER_MAX_GROUPS];
	char *names[CONFIG_USER_MAX_GROUPS];
	int n = config_user_groups(user, gid, gids, names, CONFIG_USER_MAX_GROUPS);
	if (n < 0)
		return fail(err, n, "%s: cannot apply it to '%s', who is %s", path, user,
			    config_groups_error(n));
	struct config_who who = { .user = user,
				  .groups = (const char *const *)names,
				  .n_groups = (size_t)n };
	int r = config_load_trusted(path, &who, ret, err);
	for (int i = 0; i < n; i++)
		free(names[i]);
	return r;
}

const char *config_bridge(const struct config *c)
{
	return c->network && strncmp(c->network, "veth:", 5) == 0 ? c->network + 5 : NULL;
}
