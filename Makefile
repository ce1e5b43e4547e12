# throwaway — see README.md. `make`, `make check`, `make install`, `make demo`.
PREFIX ?= /usr/local
DESTDIR ?=
LIBEXECDIR ?= $(PREFIX)/libexec/throwaway
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share/throwaway
SYSCONFDIR ?= /etc
# The sshd settings of sandboxed users (config/sshd-throwaway.conf), for the
# members of TW_GROUP (throwawayctl enroll puts users in it). Debian's
# sshd_config includes sshd_config.d/*.conf at its top. Installing does not
# reload sshd: the admin does.
SSHD_SNIPPET_DIR ?= $(SYSCONFDIR)/ssh/sshd_config.d
SSHD_SNIPPET = $(SSHD_SNIPPET_DIR)/throwaway.conf
TW_GROUP = throwaway
PKG_CONFIG ?= pkg-config
PAMDIR ?= $(shell $(PKG_CONFIG) --variable=libdir pam 2>/dev/null || echo /lib/x86_64-linux-gnu)/security

CC ?= cc
WARN = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
OPT ?= -O2 -g
# SANITIZE=1: ASan and UBSan in the programs and unit tests; UBSan alone in
# the PAM module (sshd and libpam are not ASan-built, and the ASan runtime
# must be the first library of a process). Undefined behaviour aborts. No
# _FORTIFY_SOURCE then: its __*_chk calls get past ASan's checks. The
# programs link san_options.o (no LeakSanitizer, reports to syslog too).
ifneq ($(SANITIZE),)
SAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
PAM_SAN_FLAGS = -fsanitize=undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN_OPTS = $(B)/san_options.o
HARDEN = -fstack-protector-strong
else
HARDEN = -D_FORTIFY_SOURCE=2 -fstack-protector-strong
endif
# Never installed by accident: a SANITIZE=1 throwaway-shell is dynamically
# linked (ASan cannot link statically), and as a login shell on the host it
# would obey LD_PRELOAD and the loader's other variables. make check's
# sanitizer pass installs it on purpose, with INSTALL_SANITIZED=1.
ifneq ($(SANITIZE),)
ifneq ($(filter install,$(MAKECMDGOALS)),)
ifeq ($(INSTALL_SANITIZED),)
$(error make install refuses a SANITIZE=1 build: its throwaway-shell is dynamically linked and obeys LD_PRELOAD, so never on a machine with users; INSTALL_SANITIZED=1 installs it anyway, for tests)
endif
endif
endif
CFLAGS_COMMON = -std=gnu11 $(WARN) $(HARDEN) $(OPT) -D_GNU_SOURCE \
	-DLIBEXECDIR='"$(LIBEXECDIR)"' -DDATADIR='"$(DATADIR)"' -DBINDIR='"$(BINDIR)"'
CFLAGS_BASE = $(CFLAGS_COMMON) $(SAN_FLAGS)
LDFLAGS_BASE = -Wl,-z,relro,-z,now $(SAN_FLAGS)
# The PAM module and the copy of the base layer linked into it.
CFLAGS_PIC = $(CFLAGS_COMMON) $(PAM_SAN_FLAGS) -fPIC -fvisibility=hidden
LDFLAGS_PIC = -Wl,-z,relro,-z,now $(PAM_SAN_FLAGS)

LXC_CFLAGS := $(shell $(PKG_CONFIG) --cflags lxc 2>/dev/null)
LXC_LIBS := $(shell $(PKG_CONFIG) --libs lxc 2>/dev/null)
SSH_CFLAGS := $(shell $(PKG_CONFIG) --cflags libssh 2>/dev/null)
SSH_LIBS := $(shell $(PKG_CONFIG) --libs libssh 2>/dev/null)
INIH_CFLAGS := $(shell $(PKG_CONFIG) --cflags inih 2>/dev/null)
INIH_LIBS := $(shell $(PKG_CONFIG) --libs inih 2>/dev/null)
PAM_LIBS := $(shell $(PKG_CONFIG) --libs pam 2>/dev/null || echo -lpam)
CMOCKA_LIBS := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)
# The lxd driver's: HTTP over LXD's socket, JSON, and websockets for the
# programs' streams (common/copy/lxd only, a module: throwaway-lxd.so).
LXD_LIBS := $(shell $(PKG_CONFIG) --libs libcurl json-c libwebsockets 2>/dev/null)

B = build

# The library, in three layers (docs/hacking.md). Each is a folder and a
# static library, and sees only its own headers and those below it:
#   common/base  config, names, protocol, spawn, util: no liblxc,
#                libssh or syslog; the only layer the PAM module links.
#   common/host  root-side host state: safe file access, ledger, kept
#                data, subordinate ids, syslog events, keys (libssh),
#                cgroups, Landlock.
#   common/copy  the copy driver interface and gc; common/copy/lxc, the
#                liblxc driver, is the only code that includes liblxc.
# common/copy/lxd, the lxd driver, is a module of its own (LXD_MODS).
BASE_MODS = config config_backend err names netaddr proto spawn util
HOST_MODS = safefs ledger quota kept subid budget log keys cgroup cgroup_walk cgroup_parent bridge landlock
COPY_MODS = copy copy_net copy_retire gc gc_log lxc/driver lxc/container lxc/container_attach lxc/container_cgroup lxc/container_live lxc/copy_mounts lxc/mount_ns \
	lxc/files lxc/net_up lxc/origin lxc/retire lxc/sweep lxc/usage
LXD_MODS = api exec lxd_copy marks nic place seccomp share
INC_BASE = -Icommon/base
INC_HOST = $(INC_BASE) -Icommon/host
INC_COPY = $(INC_HOST) -Icommon/copy
INC_LXC = $(INC_COPY) -Icommon/copy/lxc
INC_LXD = $(INC_COPY) -Icommon/copy/lxd

BASE_PIC_OBJS = $(BASE_MODS:%=$(B)/base-pic/%.o)
BASE_OBJS = $(BASE_MODS:%=$(B)/base/%.o)
HOST_OBJS = $(HOST_MODS:%=$(B)/host/%.o)
COPY_OBJS = $(COPY_MODS:%=$(B)/copy/%.o)
LXD_OBJS = $(LXD_MODS:%=$(B)/lxd-pic/%.o)
LIB_BASE = $(B)/libtw-base.a
LIB_HOST = $(B)/libtw-host.a
LIB_COPY = $(B)/libtw-copy.a
LIB_LXD = $(B)/libtw-lxd.a
PROGS = $(B)/pam_throwaway.so $(B)/throwaway-keeper $(B)/throwaway-hook $(B)/throwaway-shell \
	$(B)/throwawayctl $(B)/throwaway-init $(B)/throwaway-enter $(B)/throwaway-lxd.so
UNIT_TESTS = $(patsubst tests/unit/%.c,$(B)/tests/%,$(wildcard tests/unit/test_*.c))

all: $(PROGS)

# Everything in $(B) is built with the flags recorded in $(B)/.flags: a
# build with other flags (SANITIZE=1 or not, another PREFIX or CC) rebuilds
# it all, so a sanitized and a plain build never mix.
FLAGS = $(B)/.flags
BUILD_FLAGS = $(CC) | $(CFLAGS_BASE) | $(LDFLAGS_BASE) | $(CFLAGS_PIC) | $(LDFLAGS_PIC)
$(FLAGS): FORCE | $(B)
	$(file >$@.new,$(BUILD_FLAGS))
	@if cmp -s $@.new $@; then rm -f $@.new; else mv -f $@.new $@; fi
FORCE:

BASE_H = $(wildcard common/base/*.h)
HOST_H = $(BASE_H) $(wildcard common/host/*.h)
COPY_H = $(HOST_H) $(wildcard common/copy/*.h common/copy/*/*.h)
$(B)/base-pic/%.o: common/base/%.c $(BASE_H) $(FLAGS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_PIC) $(INC_BASE) $(INIH_CFLAGS) -c $< -o $@
$(B)/base/%.o: common/base/%.c $(BASE_H) $(FLAGS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) -fPIE $(INC_BASE) $(INIH_CFLAGS) -c $< -o $@
$(B)/host/%.o: common/host/%.c $(HOST_H) $(FLAGS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) -fPIE $(INC_HOST) $(SSH_CFLAGS) -c $< -o $@
$(B)/copy/%.o: common/copy/%.c $(COPY_H) $(FLAGS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) -fPIE $(INC_LXC) -Icommon/copy/lxd $(LXC_CFLAGS) -c $< -o $@
$(B)/lxd-pic/%.o: common/copy/lxd/%.c $(COPY_H) $(FLAGS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) -fPIC -fvisibility=hidden $(INC_LXD) -c $< -o $@
$(B)/san_options.o: common/base/san_options.c $(FLAGS) | $(B)
	$(CC) $(CFLAGS_BASE) -fPIE -c $< -o $@
$(B)/libtw-base-pic.a: $(BASE_PIC_OBJS)
	rm -f $@ && $(AR) rcs $@ $^
$(LIB_BASE): $(BASE_OBJS)
	rm -f $@ && $(AR) rcs $@ $^
$(LIB_HOST): $(HOST_OBJS)
	rm -f $@ && $(AR) rcs $@ $^
$(LIB_COPY): $(COPY_OBJS)
	rm -f $@ && $(AR) rcs $@ $^
$(LIB_LXD): $(LXD_OBJS)
	rm -f $@ && $(AR) rcs $@ $^

# The lxd driver, loaded by the keeper and throwawayctl only when a config
# or a ledger record names it (common/copy/copy.c): linked into them, its
# libraries tripled the keeper's exec, which every login pays. It has its
# own copy of the base layer, and exports only its table (lxd.map). The
# base's config.o comes with it (the checks of lxd_url's files and place),
# and with that libinih, which the keeper and throwawayctl load anyway.
$(B)/throwaway-lxd.so: $(LXD_OBJS) common/copy/lxd/lxd.map $(B)/libtw-base-pic.a $(FLAGS)
	$(CC) $(CFLAGS_BASE) -fPIC -shared $(LDFLAGS_BASE) -Wl,-z,defs \
		-Wl,--version-script=common/copy/lxd/lxd.map -o $@ $(LXD_OBJS) \
		$(B)/libtw-base-pic.a $(LXD_LIBS) $(INIH_LIBS)

# The PAM module: the base layer only (a test checks its symbols).
$(B)/pam_throwaway.so: pam_module/pam_throwaway.c pam_module/pam_throwaway.map $(B)/libtw-base-pic.a $(FLAGS)
	$(CC) $(CFLAGS_PIC) $(INC_BASE) -shared $(LDFLAGS_PIC) \
		-Wl,--version-script=pam_module/pam_throwaway.map -o $@ $< \
		$(B)/libtw-base-pic.a $(INIH_LIBS) $(PAM_LIBS)

PROG_LINK = $(CC) $(CFLAGS_BASE) -fPIE -pie $(LDFLAGS_BASE)
STATIC_LINK = $(CC) $(CFLAGS_BASE) -fPIE $(if $(SANITIZE),-pie,-static-pie) $(LDFLAGS_BASE)
# Who links what: the root-side programs all three layers, the shell the base.
LIBS_ALL = $(LIB_COPY) $(LIB_HOST) $(LIB_BASE)
PROG_DEPS = $(LIBS_ALL) $(SAN_OPTS) $(FLAGS)
# throwawayctl's own modules (ctl/*.c) beside its command line.
CTL_SRCS = $(wildcard ctl/*.c)
$(B)/throwawayctl: $(CTL_SRCS) $(wildcard ctl/*.h) $(PROG_DEPS) $(COPY_H)
	$(PROG_LINK) $(INC_COPY) -Ictl -o $@ $(CTL_SRCS) $(SAN_OPTS) $(LIBS_ALL) \
		$(LXC_LIBS) $(SSH_LIBS) $(INIH_LIBS)
# The keeper is linked from one object per file: tests/integration/
# test_structure.sh reads their symbols for the keeper's call graph.
KEEPER_SRCS = $(wildcard pam_module/keeper/*.c)
KEEPER_OBJS = $(KEEPER_SRCS:pam_module/keeper/%.c=$(B)/keeper/%.o)
$(B)/keeper/%.o: pam_module/keeper/%.c $(wildcard pam_module/keeper/*.h) $(COPY_H) $(FLAGS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) -fPIE $(INC_COPY) -Ipam_module/keeper -c $< -o $@
$(B)/throwaway-keeper: $(KEEPER_OBJS) $(PROG_DEPS)
	$(PROG_LINK) -o $@ $(KEEPER_OBJS) $(SAN_OPTS) $(LIBS_ALL) $(LXC_LIBS) $(INIH_LIBS)
# Static: liblxc runs it (through sh) two or three times per copy, and a
# loader resolving libc for each run was half of what it cost.
$(B)/throwaway-hook: pam_module/hook/hook.c $(PROG_DEPS) $(COPY_H)
	$(STATIC_LINK) $(INC_COPY) -o $@ $< $(SAN_OPTS) $(LIBS_ALL)
# Static: the shell runs as the user on the host, and the login's PAM stack
# may have put LD_PRELOAD & co. from the user's own files into its
# environment (pam_env user_readenv); a static binary has no loader to obey.
# ASan cannot link statically: a SANITIZE=1 shell is -pie, and obeys it.
SHELL_SRCS = shell/throwaway-shell.c shell/sftp_refuse.c
$(B)/throwaway-shell: $(SHELL_SRCS) shell/sftp_refuse.h $(LIB_BASE) $(SAN_OPTS) $(FLAGS) $(BASE_H)
	$(STATIC_LINK) $(INC_BASE) -Ishell -o $@ $(SHELL_SRCS) $(SAN_OPTS) $(LIB_BASE)

# boot = minimal: PID 1 of the copies, bound into them, so static (any origin).
$(B)/throwaway-init: init/throwaway-init.c $(FLAGS) | $(B)
	$(STATIC_LINK) -o $@ $<

# The lxd driver's way into a copy, put into each: static and never
# sanitized whatever the build (an origin has no sanitizer runtime).
ENTER_SRCS = init/throwaway-enter.c common/host/landlock.c common/base/util.c
$(B)/throwaway-enter: $(ENTER_SRCS) common/host/landlock.h $(BASE_H) $(FLAGS) | $(B)
	$(CC) $(CFLAGS_COMMON) -fPIE -static-pie -Wl,-z,relro,-z,now $(INC_BASE) -Icommon/host \
		-o $@ $(ENTER_SRCS)

# Unit tests: no san_options.o, so LeakSanitizer stays on. They link the
# lxd driver in (-u: copy.c's reference to it is weak), and the tests
# below use it as well.
LINK_LXD = -Wl,-u,copy_driver_lxd $(LIB_LXD)
$(B)/tests/%: tests/unit/%.c $(LIB_LXD) $(LIBS_ALL) $(FLAGS) | $(B)/tests
	$(PROG_LINK) $(INC_LXC) -Icommon/copy/lxd $(LXC_CFLAGS) $(SSH_CFLAGS) -Wno-missing-prototypes -o $@ $< \
		$(LINK_LXD) $(LIBS_ALL) $(CMOCKA_LIBS) $(LXC_LIBS) $(LXD_LIBS) $(SSH_LIBS) $(INIH_LIBS)
$(B)/tests/pam_harness: tests/pam_harness.c $(SAN_OPTS) $(FLAGS) | $(B)/tests
	$(PROG_LINK) -o $@ $< $(SAN_OPTS) $(PAM_LIBS)
$(B)/tests/logsink: tests/logsink.c $(SAN_OPTS) $(FLAGS) | $(B)/tests
	$(PROG_LINK) -o $@ $< $(SAN_OPTS)
$(B)/tests/ssh_client: tests/ssh_client.c $(SAN_OPTS) $(FLAGS) | $(B)/tests
	$(PROG_LINK) $(SSH_CFLAGS) -o $@ $< $(SAN_OPTS) $(SSH_LIBS)
$(B)/tests/lxd_client: tests/lxd_client.c $(LIB_LXD) $(LIBS_ALL) $(SAN_OPTS) $(FLAGS) $(COPY_H) | $(B)/tests
	$(PROG_LINK) $(INC_LXD) -o $@ $< $(SAN_OPTS) $(LINK_LXD) $(LIBS_ALL) $(LXD_LIBS) \
		$(LXC_LIBS) $(SSH_LIBS) $(INIH_LIBS)
$(B)/tests/keeper_client: tests/keeper_client.c $(LIB_BASE) $(SAN_OPTS) $(FLAGS) $(BASE_H) | $(B)/tests
	$(PROG_LINK) $(INC_BASE) -o $@ $< $(SAN_OPTS) $(LIB_BASE) $(INIH_LIBS)

$(B) $(B)/tests:
	mkdir -p $@

tests-build: all $(UNIT_TESTS) $(B)/tests/pam_harness $(B)/tests/ssh_client $(B)/tests/logsink \
	$(B)/tests/keeper_client $(B)/tests/lxd_client

deps:
	@sh tests/deps.sh

# The integration tests drive the installed module, keeper and shell, as an
# admin would have them: check installs first, holding the suite's lock
# (one run at a time on a machine: tests/locked.sh).
INSTALL_FOR_TESTS = $(MAKE) install $(if $(SANITIZE),INSTALL_SANITIZED=1)
check: deps
	$(MAKE) -j$(NPROC) tests-build
	bash tests/locked.sh sh -c '$(INSTALL_FOR_TESTS) && bash tests/run.sh'

# Slow, optional tests (tests/slow/): a Debian origin with systemd made by
# config/make-debian-origin.sh (debootstrap, cached in /var/cache/throwaway),
# LXD clusters, and the timeouts suite's second pass on backend = lxd.
check-slow: deps
	$(MAKE) -j$(NPROC) tests-build
	bash tests/locked.sh sh -c '$(INSTALL_FOR_TESTS) && SLOW=1 TESTS="slow test_timeouts[lxd]" bash tests/run.sh'

# What CI runs: make check with ASan and UBSan, then as shipped.
check-all: deps
	bash tests/check-all.sh

# Each harness for FUZZ_SECONDS (60 by default); make check runs a short pass.
FUZZ_SECONDS ?= 60
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests/fuzz/run.sh

# The Debian package (debian/): built from a copy of the tree in build/deb,
# since dpkg-buildpackage writes its results into the parent directory;
# the .deb ends in build/.
deb:
	@command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null || { \
		apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends dpkg-dev debhelper fakeroot >/dev/null; }
	@dpkg-checkbuilddeps 2>/dev/null || DEBIAN_FRONTEND=noninteractive apt-get build-dep -y -q ./ >/dev/null
	rm -rf $(B)/deb && mkdir -p $(B)/deb/throwaway
	tar --exclude=./build --exclude=./.git -cf - . | tar -C $(B)/deb/throwaway -xf -
	cd $(B)/deb/throwaway && dpkg-buildpackage -us -uc -b
	mv $(B)/deb/*.deb $(B)/
	rm -rf $(B)/deb

# Benchmarks, side by side with plain logins and the stock lxc tools.
bench: deps
	$(MAKE) tests-build
	bash bench/run.sh

demo: deps
	$(MAKE) all
	bash config/demo.sh

install: all
	install -d $(DESTDIR)$(PAMDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR)
	install -m 0644 $(B)/pam_throwaway.so $(DESTDIR)$(PAMDIR)/pam_throwaway.so
	install -m 0755 $(B)/throwaway-keeper $(B)/throwaway-hook $(B)/throwaway-init \
		$(B)/throwaway-enter $(DESTDIR)$(LIBEXECDIR)/
	install -m 0644 $(B)/throwaway-lxd.so $(DESTDIR)$(LIBEXECDIR)/
	install -m 0755 $(B)/throwaway-shell $(DESTDIR)$(BINDIR)/throwaway-shell
	install -m 0755 $(B)/throwawayctl $(DESTDIR)$(SBINDIR)/throwawayctl
	install -d $(DESTDIR)$(DATADIR)
	install -m 0644 config/seccomp.profile $(DESTDIR)$(DATADIR)/seccomp.profile
	install -m 0755 config/make-debian-origin.sh $(DESTDIR)$(DATADIR)/make-debian-origin.sh
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0644 docs/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 docs/*.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 docs/*.8 $(DESTDIR)$(MANDIR)/man8/
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/throwaway
	install -d -m 0711 $(DESTDIR)/var/lib/throwaway
	install -d -m 0700 $(DESTDIR)/var/lib/throwaway/containers
	install -d $(DESTDIR)$(SSHD_SNIPPET_DIR)
	install -m 0644 config/sshd-throwaway.conf $(DESTDIR)$(SSHD_SNIPPET)
	@if [ -z "$(DESTDIR)" ] && ! grep -qx '$(BINDIR)/throwaway-shell' /etc/shells; then \
		echo '$(BINDIR)/throwaway-shell' >> /etc/shells; fi
	@if [ -z "$(DESTDIR)" ] && ! getent group $(TW_GROUP) >/dev/null; then \
		groupadd --system $(TW_GROUP); fi
	@if [ -z "$(DESTDIR)" ]; then $(DESTDIR)$(SBINDIR)/throwawayctl setup-ids; fi

uninstall:
	rm -f $(DESTDIR)$(PAMDIR)/pam_throwaway.so $(DESTDIR)$(BINDIR)/throwaway-shell \
		$(DESTDIR)$(SBINDIR)/throwawayctl
	rm -rf $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(DATADIR)
	rm -f $(DESTDIR)$(MANDIR)/man1/throwaway-shell.1 $(DESTDIR)$(MANDIR)/man5/throwaway.conf.5 \
		$(DESTDIR)$(MANDIR)/man8/pam_throwaway.8 $(DESTDIR)$(MANDIR)/man8/throwawayctl.8
	rm -f $(DESTDIR)$(SSHD_SNIPPET)
	@if [ -z "$(DESTDIR)" ]; then sed -i '\#^$(BINDIR)/throwaway-shell$$#d' /etc/shells; fi
	@# The group goes only when nobody is in it (throwawayctl unenroll takes users out).
	@if [ -z "$(DESTDIR)" ] && getent group $(TW_GROUP) >/dev/null && \
		[ -z "$$(getent group $(TW_GROUP) | cut -d: -f4)" ] && \
		! getent passwd | cut -d: -f4 | grep -qx "$$(getent group $(TW_GROUP) | cut -d: -f3)"; then \
		groupdel $(TW_GROUP); fi

# Every C file of the programs and the library; .clang-tidy adds our headers.
# Both tools run on every core: one file at a time, lint took over a minute.
NPROC := $(shell nproc 2>/dev/null || echo 1)
LINT_SRCS = $(wildcard common/*/*.c common/copy/*/*.c pam_module/*.c pam_module/*/*.c) \
	shell/*.c ctl/*.c init/*.c
LINT_INC = $(INC_LXC) -Icommon/copy/lxd -Ipam_module/keeper -Ishell -Ictl
# cppcheck cannot see __attribute__((cleanup)) frees (memleak), and takes
# NULL as a variadic sentinel for undefined behaviour (it is a pointer here).
lint: deps
	cppcheck --quiet --enable=warning,portability --inline-suppr \
		--suppress=missingIncludeSystem --suppress=memleak --suppress=varFuncNullUB \
		-D_GNU_SOURCE $(LINT_INC) --std=c11 --error-exitcode=1 -j $(NPROC) \
		common pam_module shell ctl init
	printf '%s\n' $(LINT_SRCS) | xargs -P $(NPROC) -I{} clang-tidy --quiet {} -- -std=gnu11 \
		-D_GNU_SOURCE -DLIBEXECDIR='"x"' -DDATADIR='"x"' -DBINDIR='"x"' $(LINT_INC) \
		$(INIH_CFLAGS) $(SSH_CFLAGS) $(LXC_CFLAGS)

FORMAT_SRCS = $(wildcard common/*/*.[ch] common/copy/*/*.[ch] pam_module/*.[ch] pam_module/*/*.[ch] \
	shell/*.[ch] ctl/*.[ch] init/*.c tests/*.c tests/unit/*.c tests/fuzz/*.c)
format-check: deps
	clang-format --dry-run --Werror $(FORMAT_SRCS)

clean:
	rm -rf $(B)

.PHONY: all bench check check-all check-slow deb deps demo fuzz lint install uninstall clean tests-build format-check FORCE
