# throwaway — see README.md. `make`, `make check`, `make install`, `make demo`.
PREFIX ?= /usr/local
DESTDIR ?=
LIBEXECDIR ?= $(PREFIX)/libexec/throwaway
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share/throwaway
SYSCONFDIR ?= /etc
PKG_CONFIG ?= pkg-config
PAMDIR ?= $(shell $(PKG_CONFIG) --variable=libdir pam 2>/dev/null || echo /lib/x86_64-linux-gnu)/security

CC ?= cc
WARN = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
HARDEN = -D_FORTIFY_SOURCE=2 -fstack-protector-strong
OPT ?= -O2 -g
comma := ,
SAN_FLAGS = $(if $(SANITIZE),-fsanitize=address$(comma)undefined -fno-omit-frame-pointer)
CFLAGS_BASE = -std=gnu11 $(WARN) $(HARDEN) $(OPT) $(SAN_FLAGS) -D_GNU_SOURCE \
	-DLIBEXECDIR='"$(LIBEXECDIR)"' -DDATADIR='"$(DATADIR)"' -Icommon
LDFLAGS_BASE = -Wl,-z,relro,-z,now $(SAN_FLAGS)

LXC_CFLAGS := $(shell $(PKG_CONFIG) --cflags lxc 2>/dev/null)
LXC_LIBS := $(shell $(PKG_CONFIG) --libs lxc 2>/dev/null)
SSH_CFLAGS := $(shell $(PKG_CONFIG) --cflags libssh 2>/dev/null)
SSH_LIBS := $(shell $(PKG_CONFIG) --libs libssh 2>/dev/null)
INIH_CFLAGS := $(shell $(PKG_CONFIG) --cflags inih 2>/dev/null)
INIH_LIBS := $(shell $(PKG_CONFIG) --libs inih 2>/dev/null)
PAM_LIBS := $(shell $(PKG_CONFIG) --libs pam 2>/dev/null || echo -lpam)
CMOCKA_LIBS := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)

B = build
# Modules linked into the PAM module (position independent, no liblxc, no libssh).
PIC_MODS = config names ledger safefs proto log util subid
# Everything, for the programs.
ALL_MODS = $(PIC_MODS) keys container gc

PIC_OBJS = $(PIC_MODS:%=$(B)/pic/%.o)
LIB_OBJS = $(ALL_MODS:%=$(B)/lib/%.o)
PROGS = $(B)/pam_throwaway.so $(B)/throwaway-keeper $(B)/throwaway-hook $(B)/throwaway-shell $(B)/throwawayctl
UNIT_TESTS = $(patsubst tests/unit/%.c,$(B)/tests/%,$(wildcard tests/unit/test_*.c))

all: $(PROGS)

$(B)/pic/%.o: common/%.c common/*.h | $(B)/pic
	$(CC) $(CFLAGS_BASE) -fPIC -fvisibility=hidden $(INIH_CFLAGS) -c $< -o $@
$(B)/lib/%.o: common/%.c common/*.h | $(B)/lib
	$(CC) $(CFLAGS_BASE) -fPIE $(INIH_CFLAGS) $(SSH_CFLAGS) $(LXC_CFLAGS) -c $< -o $@
$(B)/libthrowaway-pic.a: $(PIC_OBJS)
	$(AR) rcs $@ $^
$(B)/libthrowaway.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

$(B)/pam_throwaway.so: pam_module/pam_throwaway.c pam_module/pam_throwaway.map $(B)/libthrowaway-pic.a
	$(CC) $(CFLAGS_BASE) -fPIC -fvisibility=hidden -shared $(LDFLAGS_BASE) \
		-Wl,--version-script=pam_module/pam_throwaway.map -o $@ $< \
		$(B)/libthrowaway-pic.a $(INIH_LIBS) $(PAM_LIBS)

PROG_LINK = $(CC) $(CFLAGS_BASE) -fPIE -pie $(LDFLAGS_BASE) $(LXC_CFLAGS) $(SSH_CFLAGS)
$(B)/throwawayctl: ctl/throwawayctl.c $(B)/libthrowaway.a
	$(PROG_LINK) -o $@ $< $(B)/libthrowaway.a $(LXC_LIBS) $(SSH_LIBS) $(INIH_LIBS)
KEEPER_SRCS = pam_module/keeper.c pam_module/keeper_setup.c pam_module/keeper_loop.c \
	pam_module/keeper_files.c
$(B)/throwaway-keeper: $(KEEPER_SRCS) pam_module/keeper.h $(B)/libthrowaway.a
	$(PROG_LINK) -o $@ $(KEEPER_SRCS) $(B)/libthrowaway.a $(LXC_LIBS) $(SSH_LIBS) $(INIH_LIBS)
$(B)/throwaway-hook: pam_module/hook.c $(B)/libthrowaway.a
	$(PROG_LINK) -o $@ $< $(B)/libthrowaway.a $(LXC_LIBS) $(SSH_LIBS) $(INIH_LIBS)
# Static: the shell runs as the user on the host, and the login's PAM stack
# may have put LD_PRELOAD & co. from the user's own files into its
# environment (pam_env user_readenv); a static binary has no loader to obey.
SHELL_SRCS = shell/throwaway-shell.c shell/sftp_refuse.c
$(B)/throwaway-shell: $(SHELL_SRCS) shell/sftp_refuse.h $(B)/libthrowaway.a
	$(CC) $(CFLAGS_BASE) -fPIE $(if $(SANITIZE),-pie,-static-pie) $(LDFLAGS_BASE) -Ishell -o $@ $(SHELL_SRCS) $(B)/libthrowaway.a

$(B)/tests/%: tests/unit/%.c $(B)/libthrowaway.a | $(B)/tests
	$(PROG_LINK) -Wno-missing-prototypes -o $@ $< $(B)/libthrowaway.a $(CMOCKA_LIBS) $(LXC_LIBS) $(SSH_LIBS) $(INIH_LIBS)
$(B)/tests/pam_harness: tests/pam_harness.c | $(B)/tests
	$(PROG_LINK) -o $@ $< $(PAM_LIBS)
$(B)/tests/logsink: tests/logsink.c | $(B)/tests
	$(PROG_LINK) -o $@ $<
$(B)/tests/ssh_client: tests/ssh_client.c | $(B)/tests
	$(PROG_LINK) -o $@ $< $(SSH_LIBS)

$(B)/pic $(B)/lib $(B)/tests:
	mkdir -p $@

tests-build: all $(UNIT_TESTS) $(B)/tests/pam_harness $(B)/tests/ssh_client $(B)/tests/logsink

deps:
	@sh tests/deps.sh

# The integration tests drive the installed module, keeper and shell, as an
# admin would have them: check installs first.
check: deps
	$(MAKE) tests-build
	$(MAKE) install
	bash tests/run.sh

# Each harness for FUZZ_SECONDS (60 by default); make check runs a short pass.
FUZZ_SECONDS ?= 60
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests/fuzz/run.sh

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
	install -m 0755 $(B)/throwaway-keeper $(B)/throwaway-hook $(DESTDIR)$(LIBEXECDIR)/
	install -m 0755 $(B)/throwaway-shell $(DESTDIR)$(BINDIR)/throwaway-shell
	install -m 0755 $(B)/throwawayctl $(DESTDIR)$(SBINDIR)/throwawayctl
	install -d $(DESTDIR)$(DATADIR)
	install -m 0644 config/seccomp.profile $(DESTDIR)$(DATADIR)/seccomp.profile
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0644 docs/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 docs/*.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 docs/*.8 $(DESTDIR)$(MANDIR)/man8/
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/throwaway
	install -d -m 0711 $(DESTDIR)/var/lib/throwaway
	install -d -m 0700 $(DESTDIR)/var/lib/throwaway/containers
	@if [ -z "$(DESTDIR)" ] && ! grep -qx '$(BINDIR)/throwaway-shell' /etc/shells; then \
		echo '$(BINDIR)/throwaway-shell' >> /etc/shells; fi
	@if [ -z "$(DESTDIR)" ]; then $(DESTDIR)$(SBINDIR)/throwawayctl setup-ids; fi

uninstall:
	rm -f $(DESTDIR)$(PAMDIR)/pam_throwaway.so $(DESTDIR)$(BINDIR)/throwaway-shell \
		$(DESTDIR)$(SBINDIR)/throwawayctl
	rm -rf $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(DATADIR)
	rm -f $(DESTDIR)$(MANDIR)/man1/throwaway-shell.1 $(DESTDIR)$(MANDIR)/man5/throwaway.conf.5 \
		$(DESTDIR)$(MANDIR)/man8/pam_throwaway.8
	@if [ -z "$(DESTDIR)" ]; then sed -i '\#^$(BINDIR)/throwaway-shell$$#d' /etc/shells; fi

LINT_SRCS = common/*.c pam_module/*.c shell/*.c ctl/*.c
# cppcheck cannot see __attribute__((cleanup)) frees (memleak), and takes
# NULL as a variadic sentinel for undefined behaviour (it is a pointer here).
lint: deps
	cppcheck --quiet --enable=warning,portability --inline-suppr \
		--suppress=missingIncludeSystem --suppress=memleak --suppress=varFuncNullUB \
		-D_GNU_SOURCE -Icommon --std=c11 --error-exitcode=1 common pam_module shell ctl
	clang-tidy --quiet $(LINT_SRCS) -- -std=gnu11 -D_GNU_SOURCE -DLIBEXECDIR='"x"' \
		-DDATADIR='"x"' -Icommon -Ishell $(INIH_CFLAGS) $(SSH_CFLAGS) $(LXC_CFLAGS)

format-check:
	clang-format --dry-run --Werror common/*.[ch] pam_module/*.[ch] shell/*.[ch] ctl/*.c tests/*.c tests/unit/*.c

clean:
	rm -rf $(B)

.PHONY: all bench check deps demo fuzz lint install uninstall clean tests-build format-check
