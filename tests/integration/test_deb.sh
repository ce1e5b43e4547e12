#!/bin/bash
# The Debian package: dpkg-buildpackage builds it from a copy of the tree,
# it installs with PREFIX=/usr (with the sshd snippet as a conffile and the
# group throwaway), an ssh login goes through the installed package into a
# copy, and remove and purge take everything back out but what holds
# copies or the admin's files. The package's pam_throwaway.so
# replaces the one `make install` put in the same PAM directory, so the
# test ends by reinstalling /usr/local (make install) for the later tests.
source "$(dirname "$0")/../lib.sh"

PKG=throwaway
DEB_SHELL=/usr/bin/throwaway-shell
PAMDIR=$(pkg-config --variable=libdir pam 2>/dev/null || echo /lib/x86_64-linux-gnu)/security
SRC=$TW_TMP/src/throwaway-0.1 # dpkg-buildpackage writes into $TW_TMP/src
KEEP=tw-test-keep$TW_ID       # a stand-in for a copy, for purge to spare
U=tw-test-deb
SNIPPET=/etc/ssh/sshd_config.d/throwaway.conf
FILES=(
	/usr/libexec/throwaway/throwaway-keeper
	/usr/libexec/throwaway/throwaway-hook
	/usr/libexec/throwaway/throwaway-lxd.so
	/usr/bin/throwaway-shell
	/usr/sbin/throwawayctl
	/usr/share/throwaway/seccomp.profile
	/usr/share/man/man1/throwaway-shell.1.gz
	/usr/share/man/man5/throwaway.conf.5.gz
	/usr/share/man/man8/pam_throwaway.8.gz
	/usr/share/man/man8/throwawayctl.8.gz
	/lib/systemd/system/throwaway-boot.service
	/lib/systemd/system/throwaway-gc.service
	/lib/systemd/system/throwaway-gc.timer
	/usr/share/doc/throwaway/examples/throwaway.conf
	/usr/share/doc/throwaway/examples/sshd-throwaway.conf
	/usr/share/doc/throwaway/examples/pam.d-snippet
	/usr/share/doc/throwaway/copyright
)
ENABLED=(
	/etc/systemd/system/multi-user.target.wants/throwaway-boot.service
	/etc/systemd/system/timers.target.wants/throwaway-gc.timer
)

pkg_status() { dpkg-query -W -f='${db:Status-Status}' "$PKG" 2>/dev/null || echo not-installed; }
in_shells() { grep -qx "$1" /etc/shells; }
not_in_shells() { ! in_shells "$1"; }

# Whatever happens, take the package out and put the local install back.
RESTORED=""
deb_restore() {
	[ -n "$RESTORED" ] && return 0
	RESTORED=1
	[ "$(pkg_status)" = not-installed ] || dpkg --purge "$PKG" >/dev/null 2>&1
	rmdir "/var/lib/throwaway/containers/$KEEP" 2>/dev/null
	rm -f "/etc/throwaway/$KEEP"
	# The build under test as it was installed: make check SANITIZE=1 passes
	# SANITIZE down, and its install needs the sanitizer's consent.
	make -C "$TW_ROOT" install INSTALL_SANITIZED=1 >/dev/null
}
trap deb_restore EXIT

# What this machine had before, so purge can be judged against it.
ETC_BEFORE=$(ls -A /etc/throwaway 2>/dev/null)
PARENT_BEFORE=$(ls -A "$(dirname "$TW_ROOT")")

tw_origin_create && tw_config && tw_user $U $DEB_SHELL && tw_sshd_start ||
	{ not_ok "setup"; deb_restore; tw_finish; exit 1; }

# --- Build, in a copy of the tree without build/ and .git/.
build_deb() {
	local p need=""
	for p in dpkg-dev debhelper fakeroot; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			need="$need $p"
	done
	export DEBIAN_FRONTEND=noninteractive
	if [ -n "$need" ]; then
		apt-get update -q >/dev/null
		# shellcheck disable=SC2086
		apt-get install -y -q --no-install-recommends $need >/dev/null || return 1
	fi
	mkdir -p "$SRC"
	tar -C "$TW_ROOT" --exclude=./build --exclude=./.git -cf - . | tar -C "$SRC" -xf - || return 1
	dpkg-checkbuilddeps "$SRC/debian/control" 2>/dev/null ||
		apt-get build-dep -y -q "$SRC" >/dev/null || return 1
	# As a packager builds it: not with the variables of the make that runs
	# this suite (make check SANITIZE=1 passes SANITIZE down in MAKEFLAGS,
	# and a package is never a sanitizer build), on every core as a
	# packager's builder would (DEB_BUILD_OPTIONS parallel).
	(cd "$SRC" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u SANITIZE -u INSTALL_SANITIZED \
		DEB_BUILD_OPTIONS="parallel=$(nproc)" dpkg-buildpackage -us -uc -b) >"$TW_TMP/build.log" 2>&1
}
if build_deb; then ok "dpkg-buildpackage -us -uc -b builds"; else
	not_ok "dpkg-buildpackage -us -uc -b builds"
	tail -n 20 "$TW_TMP/build.log" | sed 's/^/#   /'
fi
DEB=$(ls "$TW_TMP"/src/${PKG}_0.1-1_*.deb 2>/dev/null | head -1)
check "the .deb is ${PKG}_0.1-1_ARCH.deb" [ -n "$DEB" ]
expect_eq "nothing was written beside the checkout" "$PARENT_BEFORE" "$(ls -A "$(dirname "$TW_ROOT")")"
expect_eq "package is Architecture: any" "$(dpkg --print-architecture)" \
	"$(dpkg-deb -f "$DEB" Architecture 2>/dev/null)"
expect_eq "depends on lxc and uidmap" "lxc uidmap" \
	"$(dpkg-deb -f "$DEB" Depends 2>/dev/null | sed 's/, */\n/g' | grep -xE 'lxc|uidmap' | tr '\n' ' ' | sed 's/ $//')"
expect_eq "ships nothing in /var, and in /etc only the sshd snippet" ".$SNIPPET" \
	"$(dpkg-deb -c "$DEB" 2>/dev/null | awk '$1 !~ /^d/ {print $6}' | grep -E '^\./(etc|var)/')"
expect_eq "the sshd snippet is a conffile" "$SNIPPET" "$(dpkg-deb -I "$DEB" conffiles 2>/dev/null)"
expect_match "depends on passwd (groupadd, usermod)" "(^|, )passwd(,|\$)" "$(dpkg-deb -f "$DEB" Depends 2>/dev/null)"
expect_eq "and on the lxd driver's libraries (dh_shlibdeps read throwaway-lxd.so)" \
	"libcurl4 libjson-c5 libwebsockets17" \
	"$(dpkg-deb -f "$DEB" Depends 2>/dev/null | sed 's/, */\n/g' | sed 's/ .*//' |
		grep -xE 'libcurl4|libjson-c5|libwebsockets[0-9]+' | sort | paste -sd ' ')"
[ -n "$DEB" ] || { deb_restore; tw_finish; exit 1; }

# --- Install (apt pulls the dependencies).
install_deb() { DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$DEB" >"$TW_TMP/apt.log" 2>&1; }
install_deb
expect_eq "apt-get install ./the.deb installs it" installed "$(pkg_status)"
missing=""
for f in "${FILES[@]}"; do [ -f "$f" ] || missing+="$f "; done
expect_eq "files are where the package puts them" "" "$missing"
expect_eq "the PAM module is in pkg-config's PAM directory" "$PAMDIR/pam_throwaway.so" \
	"$(dpkg -L $PKG | grep '/pam_throwaway\.so$')"
# starts KEEPER: the PAM module holds KEEPER's path as a string of its own.
starts() { grep -qazx -- "$1" "$PAMDIR/pam_throwaway.so"; }
check "the module starts /usr/libexec's keeper" starts /usr/libexec/throwaway/throwaway-keeper
ctl_check() { /usr/sbin/throwawayctl check-config "$TW_CONF" >/dev/null; }
check "the package's throwawayctl runs" ctl_check
expect_eq "units run /usr/sbin/throwawayctl" \
	"ExecStart=/usr/sbin/throwawayctl gc ExecStart=/usr/sbin/throwawayctl gc" \
	"$(grep -h '^ExecStart=' /lib/systemd/system/throwaway-{boot,gc}.service | tr '\n' ' ' | sed 's/ $//')"
enabled=""
for l in "${ENABLED[@]}"; do [ -L "$l" ] && enabled+="$(basename "$l") "; done
expect_eq "the boot unit and the timer are enabled" \
	"throwaway-boot.service throwaway-gc.timer " "$enabled"
if [ -d /run/systemd/system ]; then
	check "the timer is started" systemctl is-active --quiet throwaway-gc.timer
fi
check "the shell is in /etc/shells" in_shells $DEB_SHELL
check "the sshd snippet is installed, as shipped" cmp -s "$TW_ROOT/config/sshd-throwaway.conf" "$SNIPPET"
has_group() { getent group throwaway >/dev/null; }
check "the group throwaway is there" has_group
check "the package's throwawayctl enrolls into it" sh -c \
	"/usr/sbin/throwawayctl enroll $U >/dev/null && id -nG $U | grep -qw throwaway && getent passwd $U | grep -q ':$DEB_SHELL\$'"
check "setup-ids gave root subordinate ids" grep -q '^root:' /etc/subuid
# The keeper makes the copies' directory 0710 for unprivileged copies.
expect_match "state, copies and config directories are there" '^711 root 7[01]0 root 755 root$' \
	"$(stat -c '%a %U' /var/lib/throwaway /var/lib/throwaway/containers /etc/throwaway | tr '\n' ' ' | sed 's/ $//')"

# --- A login through the package.
verify() {
	dpkg --verify $PKG >"$TW_TMP/verify.log" 2>&1 && [ ! -s "$TW_TMP/verify.log" ] && return 0
	sed "s/^/#   /" "$TW_TMP/verify.log"
	return 1
}
check "dpkg --verify: the installed files are the package's" verify
out=$(tw_ssh $U hostname)
expect_match "login with shell $DEB_SHELL lands in a copy" "^$TW_ORIGIN-$U-[a-z0-9]{6}\$" "$out"
tw_ssh_bg $U 'sleep 3' >/dev/null
bg=$!
SEEN=""
package_keeper() {
	local k
	k=$(tw_field "$(tw_session_of $U)" keeper)
	[ -n "$k" ] && SEEN=$(readlink "/proc/$k/exe" 2>/dev/null)
	[ "$SEEN" = /usr/libexec/throwaway/throwaway-keeper ]
}
wait_for 10 package_keeper
expect_eq "the session's keeper is the package's" /usr/libexec/throwaway/throwaway-keeper "$SEEN"
wait "$bg"
check_clean "the package's logins leave nothing behind"

# --- Remove, then purge while something holds a copy and the admin's file.
mkdir "/var/lib/throwaway/containers/$KEEP"
touch "/etc/throwaway/$KEEP"
dpkg --remove $PKG >"$TW_TMP/dpkg.log" 2>&1
expect_eq "dpkg --remove leaves the config-files state" config-files "$(pkg_status)"
check "remove takes the shell out of /etc/shells" not_in_shells $DEB_SHELL
left=""
for f in "${FILES[@]}"; do [ -e "$f" ] && left+="$f "; done
expect_eq "remove takes the files out" "" "$left"
check "remove keeps the sshd snippet (a conffile)" [ -f "$SNIPPET" ]
check "and the group, which $U is in" has_group
usermod -r -G throwaway $U
dpkg --purge $PKG >>"$TW_TMP/dpkg.log" 2>&1
expect_eq "purge with a copy present succeeds" not-installed "$(pkg_status)"
check "purge leaves a directory that holds copies" [ -d "/var/lib/throwaway/containers/$KEEP" ]
check "purge leaves the admin's files in /etc/throwaway" [ -f "/etc/throwaway/$KEEP" ]
rmdir "/var/lib/throwaway/containers/$KEEP"
rm -f "/etc/throwaway/$KEEP"

# --- Install again on a machine without the directories (make install made
# them), and purge at once: everything goes.
fresh=""
rmdir /var/lib/throwaway/containers /var/lib/throwaway 2>/dev/null && fresh=1
[ -z "$ETC_BEFORE" ] && rmdir /etc/throwaway 2>/dev/null
install_deb
expect_eq "reinstalls" installed "$(pkg_status)"
modes=$(stat -c %a /var/lib/throwaway /var/lib/throwaway/containers /etc/throwaway 2>&1 | tr '\n' ' ' | sed 's/ $//')
if [ -n "$fresh" ]; then
	expect_eq "postinst creates the state, copies and config directories" "711 700 755" "$modes"
else # copies of another test's sessions kept them: just there
	expect_match "postinst keeps the state, copies and config directories" '^711 7[01]0 755$' "$modes"
fi
members=$(getent group throwaway | cut -d: -f4)
dpkg --purge $PKG >"$TW_TMP/dpkg.log" 2>&1
expect_eq "dpkg --purge forgets the package" not-installed "$(pkg_status)"
if [ -z "$members" ]; then
	check "purge removes the group, which nobody is in" sh -c '! getent group throwaway'
else # someone on this machine is enrolled: theirs to keep
	check "purge keeps the group, which has members" has_group
fi
left=""
for f in "${FILES[@]}" "${ENABLED[@]}" "$PAMDIR/pam_throwaway.so" "$SNIPPET" /usr/libexec/throwaway \
	/usr/share/throwaway /usr/share/doc/throwaway /var/lib/throwaway \
	/var/lib/systemd/deb-systemd-helper-enabled/throwaway-boot.service.dsh-also \
	/var/lib/systemd/deb-systemd-helper-enabled/throwaway-gc.timer.dsh-also; do
	[ -e "$f" ] || [ -L "$f" ] && left+="$f "
done
left+=$(ls /var/lib/dpkg/info/$PKG.* 2>/dev/null | tr '\n' ' ')
expect_eq "purge leaves no files" "" "$left"
check "purge takes the shell out of /etc/shells" not_in_shells $DEB_SHELL
if [ -z "$ETC_BEFORE" ]; then
	check "purge removes the empty /etc/throwaway" [ ! -e /etc/throwaway ]
else
	expect_eq "purge leaves the admin's /etc/throwaway" "$ETC_BEFORE" "$(ls -A /etc/throwaway 2>/dev/null)"
fi

# --- The local install is back for the later tests.
deb_restore
local_back() {
	[ -x /usr/local/libexec/throwaway/throwaway-keeper ] && [ -x /usr/local/sbin/throwawayctl ] &&
		[ -d /var/lib/throwaway/containers ] && in_shells "$TW_SHELL" &&
		starts /usr/local/libexec/throwaway/throwaway-keeper && [ -f "$SNIPPET" ] && has_group
}
check "make install restores /usr/local" local_back
usermod -s "$TW_SHELL" $U
out=$(tw_ssh $U hostname)
expect_match "logins work again through the local install" "^$TW_ORIGIN-$U-[a-z0-9]{6}\$" "$out"
check_clean

tw_finish
