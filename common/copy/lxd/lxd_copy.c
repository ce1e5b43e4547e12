/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The lxd driver: each copy an ephemeral LXD instance made from the
 * origin (an image alias, else an instance, of the cluster), placed by
 * LXD, marked with user.throwaway.* keys so that list finds ours. A place
 * is LXD's socket, or its HTTPS URL with our certificate files, with
 * "#PROJECT" when the copies are in another project than "default"
 * (place.h). Through LXD's REST API (api.c) only.
 *
 * Not built yet: the copy's end as an fd (the keeper learns of it from
 * its programs), usage, sweep and the pool. Those operations say
 * -EOPNOTSUPP, or are absent where copy.c has a default.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "cleanup.h"
#include "copy.h"
#include "exec.h"
#include "lxd_driver.h"
#include "marks.h"
#include "names.h"
#include "nic.h"
#include "place.h"
#include "seccomp.h"
#include "share.h"
#include "util.h"

#define PATH_SIZE 512
/*
 * Of a file the origin has, on a passing error of LXD's: 200 ms apart, for
 * up to 5 s. Three tries (400 ms) were once not enough in a burst of eight
 * logins, whose ends delete instances that take LXD ~0.8 s each.
 */
#define READ_TRIES 25
#define GONE_WAIT_MS 10000                /* how long stop waits for LXD to delete the instance */
#define LXD_CREATE_LOCK "lxd-create.lock" /* under TW_RUNDIR: see create_lock */
/* Where each copy has throwaway-enter (init/throwaway-enter.c), and how large it may be. */
#define ENTER_PATH "/.throwaway-enter"
#define ENTER_MAX (4 * 1024 * 1024)

/* What a copy takes from its origin. */
struct lxd_origin {
	bool image;           /* an image alias, not an instance */
	struct lxd_nics nics; /* the interfaces a copy would take from it and its profiles */
	/* An instance's profiles, which a copy of it is given too: LXD 5.0
	 * gives a copy none unless asked, and then no root disk (NULL: an image's). */
	json_object *profiles;
};

struct lxd_copy {
	struct copy base;
	struct copy_spec spec;
	struct lxd_conn *conn;
	struct lxd_origin origin;
	bool made;
};

static struct lxd_copy *lxd_of(struct copy *c)
{
	return (struct lxd_copy *)c;
}

static int lxd_place(const struct config *cfg, char *buf, size_t len)
{
	return lxd_place_format(cfg, buf, len);
}

/* A connection to the LXD of PLACE (as lxd_place writes it). */
static int place_open(const char *place, struct lxd_conn **ret, struct tw_err *err)
{
	struct lxd_place p;

	int r = lxd_place_parse(place, &p);
	if (r < 0)
		return tw_err_set(err, r, "'%s' is not a place of LXD's copies", place);
	return lxd_open(&p, ret, err);
}

/* A connection to the LXD of CFG (lxd_socket, or lxd_url and its files). */
static int config_open(const struct config *cfg, struct lxd_conn **ret, struct tw_err *err)
{
	char place[NAMES_PLACE_MAX + 1];

	if (lxd_place_format(cfg, place, sizeof(place)) < 0)
		return tw_err_set(err, -ENAMETOOLONG, "the LXD of the config is not a place");
	return place_open(place, ret, err);
}

/*
 * The interfaces a copy of the origin would take: an instance's own and
 * its profiles' (a copy of it keeps both); an image's copy takes the
 * default profile's.
 */
static int inherited_nics(struct lxd_conn *c, json_object *inst, struct lxd_origin *ret,
			  struct tw_err *err)
{
	_cleanup_json_ json_object *profile = NULL;
	json_object *devices = NULL;

	if (!inst) {
		int r = lxd_call(c, "GET", "/profiles/default", NULL, 10, &profile, err);
		if (r < 0)
			return r;
	}
	json_object_object_get_ex(inst ?: profile, inst ? "expanded_devices" : "devices", &devices);
	lxd_nics_of(devices, &ret->nics);
	if (ret->nics.more)
		return tw_err_set(
			err, E2BIG,
			"the origin '%s' would give a copy more than %d network interfaces",
			inst ? lxd_str(inst, "name") : "default profile", LXD_NICS_MAX);
	return 0;
}

static void origin_free(struct lxd_origin *o)
{
	if (o->profiles)
		json_object_put(o->profiles);
	o->profiles = NULL;
}

/*
 * The origin: an image alias, else an instance; -ENOENT with err if
 * neither. What its copies take from it into RET when it is not NULL.
 */
static int find_origin(struct lxd_conn *c, const char *origin, struct lxd_origin *ret,
		       bool *ret_image, struct tw_err *err)
{
	_cleanup_json_ json_object *inst = NULL;
	json_object *profiles = NULL;
	char path[PATH_SIZE];

	snprintf(path, sizeof(path), "/images/aliases/%s", origin);
	int r = lxd_call(c, "GET", path, NULL, 10, NULL, err);
	if (r != -ENOENT) {
		*ret_image = true;
		return r < 0 || !ret ? r : inherited_nics(c, NULL, ret, err);
	}
	snprintf(path, sizeof(path), "/instances/%s", origin);
	r = lxd_call(c, "GET", path, NULL, 10, &inst, err);
	if (r == -ENOENT)
		return tw_err_set(
			err, -ENOENT,
			"the origin '%s' is neither an image alias nor an instance in LXD", origin);
	*ret_image = false;
	if (r < 0 || !ret)
		return r;
	if (json_object_object_get_ex(inst, "profiles", &profiles) &&
	    json_object_is_type(profiles, json_type_array))
		ret->profiles = json_object_get(profiles);
	return inherited_nics(c, inst, ret, err);
}

/* A handle for S, connected to its LXD; then FN (may be NULL) on it. */
static int new_handle(const struct copy_spec *s, int (*fn)(struct lxd_copy *l, struct tw_err *err),
		      struct copy **ret, struct tw_err *err)
{
	struct lxd_copy *l = calloc(1, sizeof(*l));

	if (!l)
		return tw_err_set(err, -ENOMEM, "out of memory");
	l->base.drv = &copy_driver_lxd;
	l->spec = *s;
	int r = config_open(s->cfg, &l->conn, err);
	if (r >= 0 && fn)
		r = fn(l, err);
	if (r < 0) {
		lxd_close(l->conn);
		origin_free(&l->origin);
		free(l);
		return r;
	}
	*ret = &l->base;
	return 0;
}

/* Is this front door's throwaway-enter there to put into copies? 0 or -errno. */
static int enter_usable(void)
{
	return access(LIBEXECDIR "/throwaway-enter", X_OK) < 0 ? -errno : 0;
}

static int check_prepared(struct lxd_copy *l, struct tw_err *err)
{
	int r = 0;

	/* Known before anything is asked of LXD: no copy without it (push_enter). */
	int e = enter_usable();
	if (e < 0)
		return tw_err_set(err, e, "%s/throwaway-enter is missing (%s)", LIBEXECDIR,
				  strerror(-e));

	/* Over its socket LXD trusts root; over HTTPS a certificate it does not
	 * trust would fail later with less to say. */
	if (l->spec.cfg->lxd_url)
		r = lxd_check_trust(l->conn, NULL, err);
	return r < 0 ? r
		     : find_origin(l->conn, l->spec.cfg->origin, &l->origin, &l->origin.image, err);
}

static int lxd_prepare(const struct copy_spec *s, struct copy **ret, struct tw_err *err)
{
	return new_handle(s, check_prepared, ret, err);
}

static void lxd_free(struct copy *c)
{
	struct lxd_copy *l = lxd_of(c);

	lxd_close(l->conn);
	origin_free(&l->origin);
	free(l);
}

/* VAL in decimal, then SUFFIX ("" or a unit). */
static int add_u64(json_object *o, const char *key, uint64_t val, const char *suffix)
{
	char buf[48];

	snprintf(buf, sizeof(buf), "%llu%s", (unsigned long long)val, suffix);
	return lxd_add_str(o, key, buf);
}

/*
 * The user's own uid and gid passed through the instance's otherwise
 * isolated map, so that the home keeps its ownership both ways (as the
 * lxc driver's map does). LXD wants root allowed these ids in
 * /etc/subuid and /etc/subgid (throwawayctl setup-ids gives root:1000:59000).
 */
static int add_idmap(json_object *o, const struct copy_spec *s)
{
	char map[64];

	if (!s->user)
		return 0; /* a copy made ahead of its user (the pool) has no one to pass */
	snprintf(map, sizeof(map), "uid %u %u\ngid %u %u", (unsigned)s->uid, (unsigned)s->uid,
		 (unsigned)s->gid, (unsigned)s->gid);
	return lxd_add_str(o, "raw.idmap", map);
}

/* share = user: the marks of an instance that sessions join (share.h), held by SESSION. */
static int add_shared(json_object *o, const char *door, const char *session)
{
	char holders[LXD_HOLDERS_MAX];

	int r = lxd_holders_add("", door, session, holders, sizeof(holders));
	if (r >= 0)
		r = lxd_add_str(o, "user.throwaway.share", "starting");
	return r < 0 ? r : lxd_add_str(o, "user.throwaway.holders", holders);
}

/*
 * What LXD has no key for, as the local driver has it: the capabilities
 * every copy's root goes without, and no_new_privs, which LXD's exec (an
 * lxc attach) gives the user's programs too, so that a setuid binary of
 * the origin's gives none of them back. And the address of its interface
 * on a bridge (nic.h).
 */
static int add_raw_lxc(json_object *o, const struct copy_spec *s)
{
	char net[2 * NETADDR_STRLEN + 64], raw[sizeof(net) + 512];

	lxd_nic_raw(s, net, sizeof(net));
	snprintf(raw, sizeof(raw), "lxc.cap.drop = %s\nlxc.no_new_privs = 1\n%s", COPY_CAPS_DROPPED,
		 net);
	return lxd_add_str(o, "raw.lxc", raw);
}

/*
 * Keys that let an instance reach more of its member, or of LXD, than a
 * copy may: on by LXD's default (/dev/lxd, which tells the instance its
 * config, our marks among it: other front doors' names, sessions and
 * addresses), or taken from an instance origin, whose config LXD keeps
 * under ours: syscalls that LXD does for root inside (mount, mknod,
 * setxattr, bpf), more AppArmor rules, kernel modules loaded on the
 * member, scheduling classes that LXD sets for root inside, one fixed id
 * range for every copy, a delete refused. (An origin's raw.seccomp or
 * security.syscalls.allow, either of which would take the place of our
 * deny list, fails the copy's create: LXD takes neither beside it.)
 */
static const char *const held_back[][2] = {
	{ "security.devlxd", "false" },
	{ "security.syscalls.intercept.mount", "false" },
	{ "security.syscalls.intercept.mknod", "false" },
	{ "security.syscalls.intercept.setxattr", "false" },
	{ "security.syscalls.intercept.bpf", "false" },
	{ "security.syscalls.intercept.sched_setscheduler", "false" },
	{ "raw.apparmor", "" },
	{ "linux.kernel_modules", "" },
	{ "security.idmap.base", "" },
	{ "security.idmap.size", "" },
	{ "security.protection.delete", "false" },
};

static int hold_back(json_object *o)
{
	int r = 0;

	for (size_t i = 0; r >= 0 && i < ELEMENTSOF(held_back); i++)
		r = lxd_add_str(o, held_back[i][0], held_back[i][1]);
	return r;
}

/* Now, as user.throwaway.alive says it (marks.h). */
static const char *alive_now(char buf[24])
{
	snprintf(buf, 24, "%lld", (long long)time(NULL));
	return buf;
}

/* network = veth: S's address alone ("A.B.C.D"), or "" without one. */
static void addr_of(const struct copy_spec *s, char buf[NETADDR_STRLEN])
{
	size_t n = s->address ? strcspn(s->address, "/") : 0;

	if (n >= NETADDR_STRLEN)
		n = 0; /* never: the keeper wrote it */
	memcpy(buf, s->address ? s->address : "", n);
	buf[n] = '\0';
}

/* The marks that say whose the copy is, which front door vouches for it, and its address. */
static int add_marks(json_object *o, const struct copy_spec *s, const char *host)
{
	char alive[24], addr[NETADDR_STRLEN];
	int r = lxd_add_str(o, "user.throwaway.session", s->session);

	addr_of(s, addr);
	if (r >= 0)
		r = lxd_add_str(o, "user.throwaway.user", s->user ? s->user : "");
	if (r >= 0)
		r = lxd_add_str(o, "user.throwaway.host", host);
	if (r >= 0)
		r = lxd_add_str(o, LXD_ALIVE_KEY, alive_now(alive));
	if (r >= 0 && addr[0])
		r = lxd_add_str(o, LXD_ADDR_KEY, addr);
	if (r >= 0 && s->cfg->share == SHARE_USER)
		r = add_shared(o, host, s->session);
	return r;
}

/* The hardening and limits as LXD config, with SECCOMP's rules, and our marks. */
static json_object *instance_config(const struct copy_spec *s, const char *seccomp)
{
	const struct config *cfg = s->cfg;
	json_object *o = json_object_new_object();
	char host[HOST_NAME_MAX + 1];
	int r = o ? 0 : -ENOMEM;

	lxd_front_door(host);
	if (r >= 0)
		r = add_u64(o, "limits.processes", cfg->pids_max, "");
	if (r >= 0)
		r = add_u64(o, "limits.memory", cfg->memory_max, "");
	if (r >= 0)
		r = add_u64(o, "limits.cpu.allowance", cfg->cpu_weight, "%");
	if (r >= 0)
		r = lxd_add_str(o, "security.idmap.isolated", "true");
	if (r >= 0)
		r = add_idmap(o, s);
	if (r >= 0)
		r = lxd_add_str(o, "security.privileged", "false");
	if (r >= 0)
		r = lxd_add_str(o, "security.nesting", "false");
	if (r >= 0)
		r = hold_back(o);
	/* The local driver's seccomp profile (seccomp.h), whose list holds
	 * LXD's default one and more: io_uring, TIOCSTI, CLONE_NEWUSER, the
	 * keyring, from every ABI. */
	if (r >= 0)
		r = lxd_add_str(o, "security.syscalls.deny_default", "false");
	if (r >= 0)
		r = lxd_add_str(o, "security.syscalls.deny", seccomp);
	if (r >= 0)
		r = add_raw_lxc(o, s);
	if (r >= 0)
		r = add_marks(o, s, host);
	if (r < 0 && o) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

/* A disk device of host path SRC at DST in the copy, into D as NAME. */
static int add_disk(json_object *d, const char *name, const char *src, const char *dst, bool ro)
{
	json_object *disk = json_object_new_object();
	int r = disk ? lxd_add_str(disk, "type", "disk") : -ENOMEM;

	if (r >= 0)
		r = lxd_add_str(disk, "source", src);
	if (r >= 0)
		r = lxd_add_str(disk, "path", dst);
	if (r >= 0 && ro)
		r = lxd_add_str(disk, "readonly", "true");
	if (r >= 0 && json_object_object_add(d, name, disk) != 0)
		r = -ENOMEM;
	if (r < 0 && disk)
		json_object_put(disk);
	return r;
}

/*
 * The home and each bind, where every member mounts them (the same path on
 * all: the guide says so), as disk devices. The home is found on a member
 * at home_source when it is set (shared storage mounted elsewhere there),
 * else at its passwd path; in the copy it is at its passwd path.
 */
static json_object *instance_devices(const struct copy_spec *s, const struct lxd_nics *nics)
{
	json_object *d = json_object_new_object();
	int r = d ? lxd_nic_devices(d, s, nics) : -ENOMEM;
	char name[32], home[PATH_MAX];

	if (r >= 0 && s->cfg->bind_home && s->home) {
		r = config_home_source(s->cfg, s->user, s->uid, s->home, home, sizeof(home));
		if (r >= 0)
			r = add_disk(d, "home", home, s->home, false);
	}
	for (size_t i = 0; r >= 0 && i < s->cfg->n_binds; i++) {
		const struct config_bind *b = &s->cfg->binds[i];
		snprintf(name, sizeof(name), "bind%zu", i);
		r = add_disk(d, name, b->src, b->dst, b->ro);
	}
	if (r < 0 && d) {
		json_object_put(d);
		d = NULL;
	}
	return d;
}

static json_object *instance_source(const struct lxd_copy *l)
{
	json_object *src = json_object_new_object();

	if (src &&
	    (lxd_add_str(src, "type", l->origin.image ? "image" : "copy") < 0 ||
	     lxd_add_str(src, l->origin.image ? "alias" : "source", l->spec.cfg->origin) < 0)) {
		json_object_put(src);
		src = NULL;
	}
	return src;
}

static json_object *instance_body(const struct lxd_copy *l, const char *seccomp)
{
	json_object *b = json_object_new_object();
	json_object *parts[] = { instance_source(l), instance_config(&l->spec, seccomp),
				 instance_devices(&l->spec, &l->origin.nics),
				 l->origin.profiles ? json_object_get(l->origin.profiles) : NULL };
	static const char *const names[] = { "source", "config", "devices", "profiles" };
	int r = b && lxd_add_str(b, "name", l->spec.name) >= 0 &&
				lxd_add_str(b, "type", "container") >= 0
			? 0
			: -ENOMEM;

	if (r >= 0 && json_object_object_add(b, "ephemeral", json_object_new_boolean(1)) != 0)
		r = -ENOMEM;
	for (size_t i = 0; i < ELEMENTSOF(parts); i++) {
		if (i == 3 && !parts[i])
			continue; /* an image's copy takes LXD's default profile */
		if (r >= 0 && parts[i] && json_object_object_add(b, names[i], parts[i]) == 0)
			parts[i] = NULL;
		else
			r = -ENOMEM;
		if (parts[i])
			json_object_put(parts[i]);
	}
	if (r < 0 && b) {
		json_object_put(b);
		b = NULL;
	}
	return b;
}

/*
 * This host's creates, one at a time, each until LXD has finished it.
 * LXD 5.0 gives an isolated instance its ids (volatile.idmap.base) in a
 * step of the create after the instance is listed, and counts a listed
 * instance without them as holding ids from 0: a create that overlaps
 * another's is given ids below LXD's own range (65536 times a count),
 * and its start fails at newuidmap ("uid range ... not allowed"). Up to
 * TIMEOUT_S: a login that cannot start in time is refused anyway.
 * Another front door's creates on the same member can still overlap
 * ours: throwaway.conf(5) says so.
 */
static int create_lock(unsigned timeout_s, struct tw_err *err)
{
	int r = util_mkdir_secure(TW_RUNDIR, 0711, NULL);
	int fd = r < 0 ? r : util_lock_wait(TW_RUNDIR "/" LXD_CREATE_LOCK, timeout_s * 1000);

	if (fd == -ETIMEDOUT)
		return tw_err_set(err, fd, "LXD was still making other copies after %u s",
				  timeout_s);
	if (fd < 0)
		return tw_err_set(err, fd, "cannot lock %s/%s (%s)", TW_RUNDIR, LXD_CREATE_LOCK,
				  strerror(-fd));
	return fd;
}

static int push_file(struct lxd_copy *l, const struct copy_file *f);

/*
 * throwaway-enter into the copy LXD has just made, before it starts, so
 * that nothing of the copy's runs while it is written; every program
 * enters through it (stand_in).
 */
static int push_enter(struct lxd_copy *l, struct tw_err *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;

	int r = util_read_path(LIBEXECDIR "/throwaway-enter", ENTER_MAX, &buf, &len);
	if (r < 0)
		return tw_err_set(err, r, "cannot read %s/throwaway-enter (%s)", LIBEXECDIR,
				  strerror(-r));
	const struct copy_file f = { .path = ENTER_PATH, .data = buf, .len = len, .mode = 0755 };
	r = push_file(l, &f);
	return r < 0 ? tw_err_set(err, r, "cannot put throwaway-enter into the copy '%s' (%s)",
				  l->spec.name, strerror(-r))
		     : 0;
}

static int destroy_on(struct lxd_conn *conn, const char *name);

struct clash {
	const char *addr;
	char door[HOST_NAME_MAX + 1];
	char other[NAMES_CONTAINER_MAX + 1]; /* the first instance that has it too */
};

static int same_addr(const struct lxd_mark *m, void *data)
{
	struct clash *c = data;

	if (!c->other[0] && strcmp(m->door, c->door) != 0 && strcmp(m->addr, c->addr) == 0)
		snprintf(c->other, sizeof(c->other), "%s", m->name);
	return 0;
}

/*
 * network = veth, where other front doors' copies may share the bridge
 * and the range: two doors that picked at the same moment may have picked
 * one address, each before the other's instance was there to see. Each
 * looks once its own instance, marked with it, exists: the later of two
 * always sees the earlier one. A door that sees another door's instance
 * with its address yields: it deletes its own, not started yet, and its
 * keeper picks again (-EADDRINUSE). Both may yield; neither keeps a clash.
 */
static int addr_clash(struct lxd_copy *l, struct tw_err *err)
{
	char addr[NETADDR_STRLEN];
	struct clash c = { .addr = addr };

	addr_of(&l->spec, addr);
	if (!addr[0])
		return 0;
	lxd_front_door(c.door);
	int r = lxd_marks_foreach(l->conn, LXD_DOORS_OTHERS, c.door, same_addr, &c);
	if (r < 0)
		return tw_err_set(err, r, "cannot ask LXD which addresses are taken (%s)",
				  strerror(-r));
	if (!c.other[0])
		return 0;
	l->made = false;
	destroy_on(l->conn, l->spec.name);
	return tw_err_set(err, -EADDRINUSE, "address %s was taken meanwhile by the copy '%s'", addr,
			  c.other);
}

static int lxd_make(struct copy *c, struct tw_err *err)
{
	struct lxd_copy *l = lxd_of(c);
	_cleanup_json_ json_object *body = NULL;
	_cleanup_free_ char *target = NULL, *seccomp = NULL;
	_cleanup_close_ int lock = -EBADF;
	char path[PATH_SIZE] = "/instances";

	if (!names_container_valid(l->spec.name))
		return tw_err_set(err, -EINVAL, "bad copy name '%s'", l->spec.name);
	char home[PATH_MAX];
	if (l->spec.cfg->bind_home && l->spec.home &&
	    config_home_source(l->spec.cfg, l->spec.user, l->spec.uid, l->spec.home, home,
			       sizeof(home)) < 0)
		return tw_err_set(err, -EINVAL, "home_source '%s' cannot name a path for user '%s'",
				  l->spec.cfg->home_source, l->spec.user);
	int r = lxd_seccomp_read(DATADIR "/seccomp.profile", &seccomp, err);
	if (r < 0)
		return tw_err_wrap(err, "cannot make the copy '%s'", l->spec.name);
	body = instance_body(l, seccomp);
	if (!body)
		return tw_err_set(err, -ENOMEM, "out of memory");
	if (l->spec.cfg->lxd_target) {
		target = lxd_escape(l->conn, l->spec.cfg->lxd_target);
		if (!target)
			return tw_err_set(err, -ENOMEM, "out of memory");
		snprintf(path, sizeof(path), "/instances?target=%s", target);
	}
	lock = create_lock((unsigned)l->spec.cfg->start_timeout, err);
	if (lock < 0)
		return tw_err_wrap(err, "cannot make the copy '%s'", l->spec.name);
	r = lxd_call(l->conn, "POST", path, body, (unsigned)l->spec.cfg->start_timeout, NULL, err);
	if (r < 0)
		return tw_err_wrap(err, "cannot make the copy '%s'", l->spec.name);
	l->made = true;
	r = addr_clash(l, err);
	return r < 0 ? r : push_enter(l, err);
}

/* ACTION ("start", "stop") on instance NAME; stop is forced. */
static int change_state(struct lxd_conn *conn, const char *name, const char *action,
			unsigned timeout_s, struct tw_err *err)
{
	_cleanup_json_ json_object *body = json_object_new_object();
	char path[PATH_SIZE];

	if (!body || lxd_add_str(body, "action", action) < 0 ||
	    json_object_object_add(body, "timeout", json_object_new_int((int)timeout_s)) != 0 ||
	    json_object_object_add(body, "force", json_object_new_boolean(1)) != 0)
		return tw_err_set(err, -ENOMEM, "out of memory");
	snprintf(path, sizeof(path), "/instances/%s/state", name);
	return lxd_call(conn, "PUT", path, body, timeout_s, NULL, err);
}

static int lxd_start(struct copy *c, unsigned timeout_ms, struct tw_err *err)
{
	struct lxd_copy *l = lxd_of(c);
	unsigned s = timeout_ms / 1000 ? timeout_ms / 1000 : 1;

	int r = change_state(l->conn, l->spec.name, "start", s, err);
	if (r < 0)
		return tw_err_wrap(err, "cannot start the copy '%s'", l->spec.name);
	/* A hint for later finders: those who joined while it started wait for it anyway. */
	if (l->spec.cfg->share == SHARE_USER)
		lxd_share_started(l->conn, l->spec.name);
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * Until LXD no longer has instance NAME: 0, -ETIMEDOUT, or the error of an
 * LXD that does not answer (gc deletes the instance once it does again).
 */
static int wait_gone(struct lxd_conn *conn, const char *name)
{
	uint64_t deadline = now_ms() + GONE_WAIT_MS;
	char path[PATH_SIZE];
	int r;

	snprintf(path, sizeof(path), "/instances/%s", name);
	while ((r = lxd_call(conn, "GET", path, NULL, 5, NULL, NULL)) == 0) {
		if (now_ms() >= deadline)
			return -ETIMEDOUT;
		usleep(20 * 1000);
	}
	return r == -ENOENT ? 0 : r;
}

/* Stopped (LXD then deletes an ephemeral instance), else deleted; gone either way. */
static int destroy_on(struct lxd_conn *conn, const char *name)
{
	char path[PATH_SIZE];

	if (!names_container_valid(name))
		return -EINVAL;
	lxd_settle(conn, name, 30);
	change_state(conn, name, "stop", 10, NULL);
	snprintf(path, sizeof(path), "/instances/%s", name);
	int r = lxd_call(conn, "DELETE", path, NULL, 30, NULL, NULL);
	if (r < 0 && r != -ENOENT && wait_gone(conn, name) < 0)
		return r;
	return wait_gone(conn, name);
}

struct holder_of {
	char door[HOST_NAME_MAX + 1];
	const char *session;
};

static bool is_holder(const char *door, const char *session, void *data)
{
	const struct holder_of *h = data;

	return strcmp(door, h->door) == 0 && strcmp(session, h->session) == 0;
}

/*
 * SESSION is done with NAME: gone, unless it is a shared instance (share
 * = user) that other sessions still hold; then only SESSION's hold goes.
 */
static int let_go(struct lxd_conn *conn, const char *name, const char *session)
{
	enum lxd_release how = LXD_RELEASE_UNSHARED;
	struct holder_of h = { .session = session };

	lxd_front_door(h.door);
	if (session) {
		int r = lxd_share_release(conn, name, is_holder, &h, &how);
		if (r == -ENOENT)
			return 0;
		if (r < 0)
			return r; /* gc drops the hold once LXD answers */
	}
	return how == LXD_RELEASE_HELD ? 0 : destroy_on(conn, name);
}

static int lxd_stop(struct copy *c)
{
	struct lxd_copy *l = lxd_of(c);
	bool shared = l->spec.cfg->share == SHARE_USER;

	if (!l->made)
		return 0;
	l->made = false;
	/* An unshared copy is its session's alone: nothing to ask LXD first. */
	return let_go(l->conn, l->spec.name, shared ? l->spec.session : NULL);
}

/* This front door still vouches for its session's instance (marks.h). */
static int lxd_renew(struct copy *c)
{
	struct lxd_copy *l = lxd_of(c);
	_cleanup_json_ json_object *body = json_object_new_object();
	json_object *config = json_object_new_object();
	char path[PATH_SIZE], alive[24];

	if (!body || !config || json_object_object_add(body, "config", config) < 0) {
		json_object_put(config);
		return -ENOMEM;
	}
	int r = lxd_add_str(config, LXD_ALIVE_KEY, alive_now(alive));
	snprintf(path, sizeof(path), "/instances/%s", l->spec.name);
	/* PATCH: the other keys stay as they are (a share's holders included) */
	return r < 0 ? r : lxd_call(l->conn, "PATCH", path, body, 5, NULL, NULL);
}

static int lxd_kill(struct copy *c)
{
	(void)c;
	return 0; /* stop forces it */
}

static int lxd_destroy(const char *place, const char *name, const char *session)
{
	_cleanup_conn_ struct lxd_conn *conn = NULL;
	int r = place_open(place, &conn, NULL);

	return r < 0 ? r : let_go(conn, name, session);
}

/* 1 when instance NAME runs, 0 when not, or LXD's error (-ENOENT: none). */
static int runs(struct lxd_conn *conn, const char *name)
{
	_cleanup_json_ json_object *state = NULL;
	char path[PATH_SIZE];

	snprintf(path, sizeof(path), "/instances/%s/state", name);
	int r = lxd_call(conn, "GET", path, NULL, 5, &state, NULL);
	if (r < 0)
		return r;
	const char *status = lxd_str(state, "status");
	return status && strcmp(status, "Running") == 0;
}

static bool lxd_running(const char *place, const char *name)
{
	_cleanup_conn_ struct lxd_conn *conn = NULL;

	if (!names_container_valid(name) || place_open(place, &conn, NULL) < 0)
		return false;
	return runs(conn, name) == 1;
}

struct listing {
	char host[HOST_NAME_MAX + 1];
	int (*fn)(const struct copy_found *f, void *data);
	void *data;
};

static int list_one(const struct lxd_mark *m, void *data)
{
	struct listing *l = data;
	struct copy_found f = { m->name, m->session };

	/* A shared instance goes with its last holder: the sweep judges those. */
	if (m->share[0] || strcmp(m->door, l->host) != 0)
		return 0;
	return l->fn(&f, l->data);
}

/* Each instance of PLACE that carries our session mark and this front door's. */
static int lxd_list(const char *place, int (*fn)(const struct copy_found *f, void *data),
		    void *data)
{
	_cleanup_conn_ struct lxd_conn *conn = NULL;
	struct listing l = { .fn = fn, .data = data };
	int r = place_open(place, &conn, NULL);

	lxd_front_door(l.host);
	return r < 0 ? r : lxd_marks_foreach(conn, LXD_DOORS_MINE, l.host, list_one, &l);
}

struct census {
	char host[HOST_NAME_MAX + 1];
	const char *user;
	struct copy_elsewhere *out;
	size_t room; /* of out->addrs */
};

/* An address M is marked with into c's list; one that is none is left out. */
static int note_addr(struct census *c, const struct lxd_mark *m)
{
	struct copy_elsewhere *o = c->out;
	uint32_t a;

	if (netaddr_parse(m->addr, &a) < 0)
		return 0;
	if (o->n_addrs == c->room) {
		size_t room = c->room ? 2 * c->room : 64;
		uint32_t *p = reallocarray(o->addrs, room, sizeof(*p));
		if (!p)
			return -ENOMEM;
		o->addrs = p;
		c->room = room;
	}
	o->addrs[o->n_addrs++] = a;
	return 0;
}

static int count_one(const struct lxd_mark *m, void *data)
{
	struct census *c = data;

	if (strcmp(m->door, c->host) == 0)
		return 0;
	c->out->all++;
	c->out->user += strcmp(m->user, c->user) == 0;
	return note_addr(c, m);
}

/* The copies other front doors run on the same cluster: they count in the caps, and
 * their addresses are not to be picked. */
static int lxd_count_elsewhere(const char *place, const char *user, struct copy_elsewhere *ret)
{
	_cleanup_conn_ struct lxd_conn *conn = NULL;
	struct census c = { .user = user, .out = ret };
	int r = place_open(place, &conn, NULL);

	*ret = (struct copy_elsewhere){ 0 };
	lxd_front_door(c.host);
	if (r >= 0)
		r = lxd_marks_foreach(conn, LXD_DOORS_OTHERS, c.host, count_one, &c);
	if (r < 0) {
		free(ret->addrs);
		*ret = (struct copy_elsewhere){ 0 };
	}
	return r;
}

/* One file or directory through LXD's files API, with its owner and mode. */
static int push_file(struct lxd_copy *l, const struct copy_file *f)
{
	char path[PATH_SIZE], uid[32], gid[32], mode[32];
	_cleanup_free_ char *esc = lxd_escape(l->conn, f->path);

	if (!esc || f->path[0] != '/')
		return -EINVAL;
	snprintf(path, sizeof(path), "/instances/%s/files?path=%s", l->spec.name, esc);
	snprintf(uid, sizeof(uid), "X-LXD-uid: %u", (unsigned)f->uid);
	snprintf(gid, sizeof(gid), "X-LXD-gid: %u", (unsigned)f->gid);
	snprintf(mode, sizeof(mode), "X-LXD-mode: %04o", (unsigned)(f->mode & 07777));
	const char *const headers[] = { uid,
					gid,
					mode,
					f->data ? "X-LXD-type: file" : "X-LXD-type: directory",
					"X-LXD-write: overwrite",
					NULL };
	return lxd_call_raw(l->conn, "POST", path, f->data, f->data ? f->len : 0, headers, NULL);
}

/*
 * The directories above F that the origin lacks (a fresh home under a
 * /home the image does not have): at or below F's owned_below F's owner's
 * and 0700, above it root's and 0755; those that exist stay as they are.
 */
static void push_parents(struct lxd_copy *l, const struct copy_file *f)
{
	size_t below = f->owned_below ? strlen(f->owned_below) : 0;
	char dir[PATH_MAX];

	for (const char *p = strchr(f->path + 1, '/'); p; p = strchr(p + 1, '/')) {
		snprintf(dir, sizeof(dir), "%.*s", (int)(p - f->path), f->path);
		bool owned = below && strncmp(dir, f->owned_below, below) == 0 &&
			     (dir[below] == '\0' || dir[below] == '/');
		struct copy_file d = { .path = dir,
				       .mode = owned ? 0700 : 0755,
				       .uid = owned ? f->uid : 0,
				       .gid = owned ? f->gid : 0 };
		push_file(l, &d);
	}
}

/* Synchronous: the files are in when it returns; the job is a formality. */
static int lxd_write_begin(struct copy *c, const struct copy_file *f, size_t n, int *ret_job)
{
	struct lxd_copy *l = lxd_of(c);

	for (size_t i = 0; i < n; i++) {
		int r = push_file(l, &f[i]);
		if (r == -ENOENT) {
			push_parents(l, &f[i]);
			r = push_file(l, &f[i]);
		}
		if (r < 0)
			return r;
	}
	*ret_job = 0;
	return 0;
}

static int lxd_write_end(struct copy *c, int job)
{
	(void)c;
	(void)job;
	return 0;
}

/* A file of the copy's /etc as it came from the origin, read before it is replaced. */
static int lxd_read_origin(struct copy *c, const char *path, size_t max, char **ret_buf,
			   size_t *ret_len)
{
	struct lxd_copy *l = lxd_of(c);
	_cleanup_free_ char *esc = lxd_escape(l->conn, path);
	char url[PATH_SIZE];

	if (!esc)
		return -ENOMEM;
	if (snprintf(url, sizeof(url), "/instances/%s/files?path=%s", l->spec.name, esc) >=
	    (int)sizeof(url))
		return -ENAMETOOLONG;
	/* A GET is safe to repeat: LXD 5.0 answers some of them with a passing 500
	 * while another instance of the same pool is being deleted (READ_TRIES). */
	int r = -EIO;
	for (int i = 0; i < READ_TRIES && r == -EIO; i++) {
		if (i)
			usleep(200 * 1000);
		r = lxd_get_raw(l->conn, url, max, ret_buf, ret_len, NULL);
	}
	return r;
}

/* A file too large to read is there all the same. */
static bool lxd_path_exists(struct copy *c, const char *path)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r = lxd_read_origin(c, path, LXD_RESPONSE_MAX, &buf, &len);

	return r >= 0 || r == -EFBIG;
}

/* Every program enters through its own exec request: nothing to ready. */
static int lxd_enter_ahead(struct copy *c, const struct copy_exec *who)
{
	(void)c;
	(void)who;
	return 0;
}

/* Not built yet (see the top of this file). */
static int not_yet(struct copy *c)
{
	(void)c;
	return -EOPNOTSUPP;
}

/* Until NAME runs, up to TIMEOUT_S: a shared instance joined while its maker starts it. */
static int wait_running(struct lxd_conn *conn, const char *name, unsigned timeout_s)
{
	uint64_t deadline = now_ms() + (uint64_t)timeout_s * 1000;
	int r;

	while ((r = runs(conn, name)) == 0) {
		if (now_ms() >= deadline)
			return -ETIMEDOUT;
		usleep(50 * 1000);
	}
	return r == -ENOENT ? -ESTALE : r < 0 ? r : 0;
}

/*
 * Joined once it runs, not before: a change to an instance's config while
 * LXD still makes or starts it can fail that start (LXD 5.0). Its maker
 * holds it meanwhile; if the start fails, the maker deletes it, and this
 * session makes a copy of its own.
 */
static int join_shared(struct lxd_copy *l, struct tw_err *err)
{
	const char *name = l->spec.name;
	int r = wait_running(l->conn, name, (unsigned)l->spec.cfg->start_timeout);

	if (r < 0)
		return tw_err_set(err, r, "the shared copy '%s' did not run (%s)", name,
				  strerror(-r));
	r = lxd_share_join(l->conn, name, l->spec.user, l->spec.session, err);
	l->made = r >= 0;
	return r;
}

/*
 * share = user: the user's instance that a session of another front door
 * (or an earlier one of this) made, joined by this session. No pool on lxd.
 */
static int lxd_open_copy(const struct copy_spec *s, struct copy **ret, struct tw_err *err)
{
	if (s->cfg->share != SHARE_USER || s->pool)
		return tw_err_set(err, -EOPNOTSUPP, "pooled copies are not supported on lxd");
	return new_handle(s, join_shared, ret, err);
}

/* A running shared instance of USER's in PLACE, made by any front door. */
static int lxd_find_shared(const char *place, const char *user, char *ret_name, size_t len)
{
	_cleanup_conn_ struct lxd_conn *conn = NULL;
	int r = place_open(place, &conn, NULL);

	return r < 0 ? r : lxd_share_find(conn, user, ret_name, len);
}

struct sweeping {
	char door[HOST_NAME_MAX + 1];
	const struct copy_liveness *live;
	struct lxd_conn *conn;
	struct copy_swept *swept;
};

/* This front door's holds whose session is over: the others judge theirs. */
static bool hold_gone(const char *door, const char *session, void *data)
{
	const struct sweeping *w = data;

	return strcmp(door, w->door) == 0 && !w->live->session(session, w->live->data);
}

/* Another front door's instance that nobody vouched for in a lease (marks.h): gone? */
static bool sweep_unvouched(struct sweeping *w, const struct lxd_mark *m)
{
	if (strcmp(m->door, w->door) == 0 || !lxd_mark_expired(m, time(NULL)) ||
	    destroy_on(w->conn, m->name) < 0)
		return false;
	w->swept->copies++;
	return true;
}

static int sweep_one(const struct lxd_mark *m, void *data)
{
	struct sweeping *w = data;
	enum lxd_release how;

	if (sweep_unvouched(w, m) || !m->share[0] ||
	    lxd_share_release(w->conn, m->name, hold_gone, w, &how) < 0)
		return 0;
	if (how == LXD_RELEASE_LAST && destroy_on(w->conn, m->name) == 0)
		w->swept->copies++;
	return 0;
}

/* Shared instances: this front door's dead sessions' holds dropped, the unheld deleted. */
static void lxd_sweep(const char *const *places, const struct copy_liveness *live,
		      struct copy_swept *ret)
{
	for (size_t i = 0; places[i]; i++) {
		_cleanup_conn_ struct lxd_conn *conn = NULL;
		struct sweeping w = { .live = live, .swept = ret };
		if (place_open(places[i], &conn, NULL) < 0)
			continue;
		lxd_front_door(w.door);
		w.conn = conn;
		lxd_marks_foreach(conn, LXD_DOORS_ALL, NULL, sweep_one, &w);
	}
}

static int take_fds(const struct copy_exec *x)
{
	if (setpgid(0, 0) < 0)
		return -errno;
	for (int i = 0; i < 3; i++)
		if (x->fds[i] != i && dup2(x->fds[i], i) < 0)
			return -errno;
	return 0;
}

/*
 * The stand-in's terminal: a new session whose controlling terminal is the
 * slave at PTS (raw and sized already: util_pty_raw), as fds 0, 1 and 2.
 */
static int take_terminal(const char *pts)
{
	if (setsid() < 0)
		return -errno;
	_cleanup_close_ int fd = open(pts, O_RDWR | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, TIOCSCTTY, 0) < 0)
		return -errno;
	for (int i = 0; i < 3; i++)
		if (dup2(fd, i) < 0)
			return -errno;
	return 0;
}

/* X's terminal size as the stand-in's terminal has it now (resized since X was asked for). */
static void window_size(struct copy_exec *x)
{
	struct winsize ws;

	if (ioctl(0, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col) {
		x->rows = ws.ws_row;
		x->cols = ws.ws_col;
	}
}

/*
 * X as throwaway-enter runs it in the copy: restricted as the local driver
 * restricts its programs (no socket or FIFO made at or beneath the home
 * and the binds), with X's own argv[0]; with bytes typed ahead on a
 * terminal, -q and their count (exec.c hands them over). Into ret; its
 * argv is malloc'd (a stand-in's, which execs or exits).
 */
static int through_enter(const struct copy_spec *s, const struct copy_exec *x,
			 struct copy_exec *ret)
{
	static char typed[24];
	const char *dirs[CONFIG_MAX_BINDS + 1];
	size_t n_dirs = config_shared_dirs(s->cfg, s->home, dirs, ELEMENTSOF(dirs));
	size_t n_args = 0, i = 0;

	while (x->argv && x->argv[n_args])
		n_args++;
	char **argv = calloc(2 * n_dirs + n_args + 7, sizeof(*argv));
	if (!argv)
		return -ENOMEM;
	argv[i++] = (char *)ENTER_PATH;
	if (lxd_exec_hushed(x)) {
		snprintf(typed, sizeof(typed), "%zu", x->n_typed);
		argv[i++] = (char *)"-q";
		argv[i++] = typed;
	}
	for (size_t d = 0; d < n_dirs; d++) {
		argv[i++] = (char *)"-d";
		argv[i++] = (char *)dirs[d];
	}
	argv[i++] = (char *)"--";
	argv[i++] = (char *)x->path;
	if (!n_args)
		argv[i++] = (char *)x->path;
	for (size_t a = 0; a < n_args; a++)
		argv[i++] = x->argv[a];
	*ret = *x;
	ret->path = ENTER_PATH;
	ret->argv = argv;
	return 0;
}

/*
 * The stand-in: a child in a process group of its own (with a terminal, a
 * session with PTS as its controlling terminal), with X's fds or the
 * terminal as 0, 1 and 2, that runs the program through LXD (exec.c) and
 * exits with its status. It talks to LXD on a connection of its own: the
 * parent's is not to be shared across fork.
 */
static _Noreturn void stand_in(struct lxd_copy *l, const struct copy_exec *x, const char *pts,
			       int master, pid_t parent)
{
	struct copy_exec entered;
	struct lxd_conn *conn = NULL;
	struct tw_err err = { 0 };

	/* It dies with its caller, as a program attached by the lxc driver
	 * goes with its copy: it holds the session's fds, whose close ends
	 * the login, and that close has the copy destroyed. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127);
	/* The master is the caller's alone: the slave must see its close. */
	if (master >= 0)
		close(master);
	util_reset_signals();
	/* A window size set before the relay watches for it (exec.c) is not
	 * lost: SIGWINCH waits, blocked, from before the terminal is ours, and
	 * the program starts at the size the terminal has then. */
	sigset_t winch;
	sigemptyset(&winch);
	sigaddset(&winch, SIGWINCH);
	sigprocmask(SIG_BLOCK, &winch, NULL);
	int r = pts ? take_terminal(pts) : take_fds(x);
	/* Nothing of the caller's (a keeper's sockets, its clients') stays open
	 * here for the program's life: their ends must see their peers go. */
	if (r >= 0 && syscall(SYS_close_range, 3U, ~0U, 0) < 0)
		r = -errno;
	if (r >= 0)
		r = config_open(l->spec.cfg, &conn, &err);
	if (r >= 0)
		r = through_enter(&l->spec, x, &entered);
	if (r >= 0 && pts)
		window_size(&entered);
	if (r >= 0)
		r = lxd_exec_run(conn, l->spec.name, &entered, &err);
	/* The program's stderr is the user's: a session that ends because its
	 * program cannot be reached (its member gone) says why there. */
	if (r < 0 && err.msg[0])
		dprintf(2, "throwaway: %s\n", err.msg);
	_exit(r < 0 ? 127 : r);
}

/* A program inside, with a terminal of its own when X asks. */
static int lxd_enter(struct copy *c, const struct copy_exec *x, pid_t *ret_pid, int *ret_master)
{
	_cleanup_close_ int master = -EBADF;
	char pts[64];

	/* Raw before the caller relays a byte to it: a pty still cooked when
	 * the first bytes come would echo them, and LXD's terminal inside
	 * echoes them again. */
	int r = x->pty ? util_pty_raw(x->rows, x->cols, &master, pts, sizeof(pts)) : 0;
	if (r < 0)
		return r;
	pid_t parent = getpid(), pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		stand_in(lxd_of(c), x, x->pty ? pts : NULL, master, parent);
	*ret_pid = pid;
	*ret_master = TAKE_FD(master);
	return 0;
}

/* Not measured yet: every count unknown. */
static int64_t int_at(json_object *o, const char *key, const char *sub)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v) ||
	    (sub && !json_object_object_get_ex(v, sub, &v)) ||
	    !json_object_is_type(v, json_type_int))
		return -1;
	return json_object_get_int64(v);
}

/* The global addresses of STATE's interfaces (an instance's state), space separated. */
static void global_addrs(json_object *state, char *buf, size_t len)
{
	json_object *net = NULL;
	size_t at = 0;

	buf[0] = '\0';
	if (!json_object_object_get_ex(state, "network", &net) ||
	    !json_object_is_type(net, json_type_object))
		return;
	json_object_object_foreach(net, ifname, iface)
	{
		json_object *addrs = NULL;
		(void)ifname;
		if (!json_object_object_get_ex(iface, "addresses", &addrs) ||
		    !json_object_is_type(addrs, json_type_array))
			continue;
		for (size_t i = 0; i < json_object_array_length(addrs); i++) {
			json_object *a = json_object_array_get_idx(addrs, i);
			const char *addr = lxd_str(a, "address"), *scope = lxd_str(a, "scope");
			if (!addr || !scope || strcmp(scope, "global") != 0)
				continue;
			int n = snprintf(buf + at, len - at, "%s%s", at ? " " : "", addr);
			if (n < 0 || (size_t)n >= len - at) {
				buf[at] = '\0';
				return;
			}
			at += (size_t)n;
		}
	}
}

/*
 * usage is asked once per row of throwawayctl list and show: the rows of one
 * place share a connection (a TLS handshake each, to a remote LXD), kept
 * until the place changes; the process's exit closes the last.
 */
static struct lxd_conn *usage_conn(const char *place)
{
	static char open_place[NAMES_PLACE_MAX + 1];
	static struct lxd_conn *conn;

	if (conn && strcmp(open_place, place) == 0)
		return conn;
	lxd_close(conn);
	conn = NULL;
	if (strlen(place) >= sizeof(open_place) || place_open(place, &conn, NULL) < 0)
		return NULL;
	snprintf(open_place, sizeof(open_place), "%s", place);
	return conn;
}

/* Processes, memory and member as LXD reports them; its root is in LXD's pool: no upper. */
static void lxd_usage(const char *place, const char *name, const struct copy_usage_want *want,
		      struct copy_usage *ret)
{
	_cleanup_json_ json_object *inst = NULL;
	json_object *state = NULL;
	struct lxd_conn *conn;
	char path[PATH_SIZE];

	*ret = (struct copy_usage){ .procs = -1, .memory = -1, .upper = -1 };
	snprintf(path, sizeof(path), "/instances/%s?recursion=1", name);
	if (!names_container_valid(name) || !(conn = usage_conn(place)) ||
	    lxd_call(conn, "GET", path, NULL, 5, &inst, NULL) < 0)
		return;
	snprintf(ret->member, sizeof(ret->member), "%s", lxd_str(inst, "location") ?: "");
	if (!json_object_object_get_ex(inst, "state", &state))
		return;
	ret->procs = int_at(state, "processes", NULL);
	ret->memory = int_at(state, "memory", "usage");
	if (want->addresses)
		global_addrs(state, ret->addrs, sizeof(ret->addrs));
}

/* The copy's global addresses, waiting up to WAIT_MS for one to show (the banner's). */
static int lxd_addresses(struct copy *c, char *buf, size_t len, unsigned wait_ms)
{
	struct lxd_copy *l = lxd_of(c);
	char path[PATH_SIZE];
	uint64_t end = now_ms() + wait_ms;

	snprintf(path, sizeof(path), "/instances/%s/state", l->spec.name);
	for (;;) {
		_cleanup_json_ json_object *state = NULL;
		int r = lxd_call(l->conn, "GET", path, NULL, 5, &state, NULL);
		if (r < 0)
			return r;
		global_addrs(state, buf, len);
		if (buf[0] || now_ms() >= end)
			return buf[0] ? 0 : -EADDRNOTAVAIL;
		struct timespec ts = { .tv_nsec = 100 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

/* network = veth:BRIDGE: the bridge where LXD runs the copies (nic.h). */
static int lxd_bridge_subnet_of(const struct config *cfg, const char *bridge,
				const struct netaddr_range *r, struct netaddr_net *ret,
				struct tw_err *err)
{
	_cleanup_conn_ struct lxd_conn *conn = NULL;
	int n = config_open(cfg, &conn, err);

	return n < 0 ? n : lxd_bridge_subnet(conn, bridge, cfg->lxd_target, r, ret, err);
}

/* What the admin can do about a connection that failed with R. */
static const char *place_fix(int r, bool https)
{
	switch (r) {
	case -EPERM:
		return "put the certificate LXD shows in 'lxd_server_cert': cluster.crt in its "
		       "LXD_DIR for a cluster, else server.crt";
	case -EACCES:
		return "trust this host's certificate on LXD: lxc config trust add "
		       "<the file of 'lxd_cert'>";
	case -EINVAL:
		return "make 'lxd_cert', 'lxd_key' and 'lxd_server_cert' root's files in PEM, in "
		       "root-owned directories, the key readable by root alone";
	default:
		return https ? "start LXD, and check 'lxd_url' against its core.https_address"
			     : "start LXD, or set 'lxd_socket' to its unix socket (lxd waitready)";
	}
}

/* What every copy's programs enter through, which the front door puts into each: 0 or 1 finding. */
static size_t check_enter(struct copy_finding *ret)
{
	if (enter_usable() == 0)
		return 0;
	*ret = (struct copy_finding){ .verdict = COPY_FAIL };
	snprintf(ret->msg, sizeof(ret->msg),
		 "%s/throwaway-enter is missing: no LXD copy can be made without it", LIBEXECDIR);
	snprintf(ret->fix, sizeof(ret->fix), "install throwaway whole (%s/throwaway-enter)",
		 LIBEXECDIR);
	return 1;
}

/* Does PLACE's LXD answer, trust us (over HTTPS: with the pin held), and is it a cluster? */
static size_t lxd_check_place(const char *place, struct copy_finding ret[COPY_FINDINGS_MAX])
{
	_cleanup_conn_ struct lxd_conn *conn = NULL;
	_cleanup_json_ json_object *server = NULL;
	json_object *env = NULL;
	struct tw_err e = { 0 };
	int r = place_open(place, &conn, &e);

	if (r >= 0)
		r = lxd_check_trust(conn, &server, &e);
	bool https = conn ? lxd_place_of(conn)->host[0] : strncmp(place, "https:", 6) == 0;
	const char *where = conn && https ? lxd_where(conn) : place;
	ret[0] = (struct copy_finding){ .verdict = r < 0 ? COPY_FAIL : COPY_OK };
	if (r < 0) {
		snprintf(ret[0].msg, sizeof(ret[0].msg), "%s: %s", where, e.msg);
		snprintf(ret[0].fix, sizeof(ret[0].fix), "%s", place_fix(r, https));
		return 1;
	}
	json_object_object_get_ex(server, "environment", &env);
	const char *version = lxd_str(env, "server_version");
	json_object *clustered = NULL;
	bool cluster = json_object_object_get_ex(env, "server_clustered", &clustered) &&
		       json_object_get_boolean(clustered);
	snprintf(ret[0].msg, sizeof(ret[0].msg), "LXD %s answers at %s%s and trusts this host%s",
		 version ? version : "?", where, https ? " with the pinned certificate" : "",
		 cluster ? ", a cluster member" : ", not clustered (copies run on it alone)");
	return 1 + check_enter(&ret[1]);
}

/* The origin, an image alias or an instance in PLACE's LXD, for doctor. */
static size_t lxd_check_origin(const char *place, const char *origin,
			       struct copy_finding ret[COPY_FINDINGS_MAX])
{
	_cleanup_conn_ struct lxd_conn *conn = NULL;
	struct tw_err e = { 0 };
	bool image = false;
	int r = place_open(place, &conn, &e);

	if (r >= 0)
		r = find_origin(conn, origin, NULL, &image, &e);
	ret[0] = (struct copy_finding){ .verdict = r < 0 ? COPY_FAIL : COPY_OK };
	snprintf(ret[0].msg, sizeof(ret[0].msg), "%s",
		 r < 0   ? e.msg
		 : image ? "is an image alias in LXD"
			 : "is an instance in LXD");
	if (r < 0)
		snprintf(ret[0].fix, sizeof(ret[0].fix),
			 "import the origin into LXD as an image with that alias, or make an "
			 "instance of that name, and check 'lxd_socket' or 'lxd_url'");
	return 1;
}

const struct copy_driver copy_driver_lxd = {
	.name = "lxd",
	.place = lxd_place,
	.usage = lxd_usage,
	.check_place = lxd_check_place,
	.check_origin = lxd_check_origin,
	.prepare = lxd_prepare,
	.make = lxd_make,
	.start = lxd_start,
	.open = lxd_open_copy,
	.free = lxd_free,
	.bridge_subnet = lxd_bridge_subnet_of,
	.read_origin = lxd_read_origin,
	.write_begin = lxd_write_begin,
	.write_end = lxd_write_end,
	.enter_ahead = lxd_enter_ahead,
	.enter = lxd_enter,
	.path_exists = lxd_path_exists,
	.addresses = lxd_addresses,
	.stopped_fd = not_yet,
	.renew = lxd_renew,
	.kill = lxd_kill,
	.stop = lxd_stop,
	.destroy = lxd_destroy,
	.running = lxd_running,
	.list = lxd_list,
	.count_elsewhere = lxd_count_elsewhere,
	.find_shared = lxd_find_shared,
	.sweep = lxd_sweep,
};
