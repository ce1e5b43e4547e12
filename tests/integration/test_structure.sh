#!/bin/bash
# The layers hold (docs/hacking.md): the PAM module carries no liblxc,
# libssh or syslog; only the liblxc driver (common/copy/lxc) includes
# liblxc; each layer of common/ includes only its own headers and those
# below it; the shell and the PAM module include only the base layer; and
# the keeper's files depend on one another without a cycle (headers, and
# calls read from the symbols of build/keeper/*.o). Reads the built tree
# (make), needs no root and no container.
cd "$(dirname "$0")/../.." || exit 1
export LC_ALL=C # sort and join agree on the order
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
not_ok() { fail=$((fail + 1)); echo "not ok - $*"; }
# result NAME PROBLEMS: ok when PROBLEMS is empty, else not ok and each line.
result() {
	if [ -z "$2" ]; then ok "$1"; else
		not_ok "$1"
		printf '%s\n' "$2" | sed 's/^/#   /'
	fi
}

# Every C file of the tree, the build directory aside.
sources() {
	find common pam_module shell ctl init tests bench -name '*.[ch]' 2>/dev/null | sort
}

# The #include lines of FILE: "<name>" or "\"name\"", one a line.
includes() {
	sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*\([<"][^>"]*[>"]\).*/\1/p' "$1"
}

# resolve FILE NAME: the header a quoted include of FILE names, as the
# compiler finds it: beside FILE, else in a layer of common/ (lowest
# first), else beside a program. Empty if there is none.
HEADER_DIRS="common/base common/host common/copy $(find common/copy -mindepth 1 -type d | sort)
	pam_module/keeper pam_module/hook shell ctl"
resolve() {
	local d
	for d in "$(dirname "$1")" $HEADER_DIRS; do
		if [ -f "$d/$2" ]; then
			realpath --relative-to=. "$d/$2"
			return
		fi
	done
}

# layer PATH: base, host or copy for common/, else the program's folder.
layer() {
	case $1 in
	common/base/*) echo base ;;
	common/host/*) echo host ;;
	common/copy/*) echo copy ;;
	*) dirname "$1" ;;
	esac
}

# quoted_deps FILE: "FILE HEADER" for each quoted include ("?NAME" if none).
quoted_deps() {
	local name h
	for name in $(includes "$1" | sed -n 's/^"\(.*\)"$/\1/p'); do
		h=$(resolve "$1" "$name")
		echo "$1 ${h:-?$name}"
	done
}

# cycles: read "FROM TO WHY" edges; print every cycle (shortest first, each
# once, from its least node), then each of its edges with what makes it.
cycles() {
	awk '
	function dfs(s, x, d,    nx, m, i, y) {
		path[d] = x; on[x] = 1
		m = split(out[x], nx, " ")
		for (i = 1; i <= m; i++) {
			y = nx[i]
			if (y == s) {
				c = ""; for (j = 1; j <= d; j++) c = c path[j] " -> "
				cyc[++nc] = c s; len[nc] = d
			} else if (y > s && !(y in on))
				dfs(s, y, d + 1)
		}
		delete on[x]
	}
	{
		k = $1 SUBSEP $2
		if (!(k in why)) { out[$1] = out[$1] " " $2; why[k] = $3 }
		else if (length(why[k]) < 60) why[k] = why[k] ", " $3
		else if (why[k] !~ /[.][.][.]$/) why[k] = why[k] ", ..."
		if (!($1 in node)) { node[$1]; nodes[++nn] = $1 }
		if (!($2 in node)) { node[$2]; nodes[++nn] = $2 }
	}
	END {
		for (i = 1; i <= nn; i++)
			dfs(nodes[i], nodes[i], 1)
		for (i = 2; i <= nc; i++)   # insertion sort: shortest, then by name
			for (j = i; j > 1 && (len[j - 1] > len[j] || \
			    (len[j - 1] == len[j] && cyc[j - 1] > cyc[j])); j--) {
				t = cyc[j]; cyc[j] = cyc[j - 1]; cyc[j - 1] = t
				t = len[j]; len[j] = len[j - 1]; len[j - 1] = t
			}
		for (i = 1; i <= nc && i <= 20; i++) {
			print "cycle: " cyc[i]
			m = split(cyc[i], p, " -> ")
			for (j = 1; j < m; j++)
				print "  " p[j] " -> " p[j + 1] ": " why[p[j], p[j + 1]]
		}
		if (nc > 20) print "... and " nc - 20 " more cycles"
	}'
}

# (a) The PAM module runs inside sshd, login and su: it links only the
# base layer, and logs with pam_syslog (libpam's), never syslog(3).
so=build/pam_throwaway.so
if [ ! -f "$so" ]; then
	not_ok "$so is built (run make)"
else
	# Both tables, every symbol, defined or not: a library linked in
	# statically shows up as local symbols too (the version script makes
	# everything but pam_sm_* local). Only a file-local symbol of one of
	# our own files (the FILE entry before it, in table order) may have
	# such a name, like config.c's ssh_keys_names.
	ours=" $(cd common/base && echo *.c) pam_throwaway.c "
	syms=$({
		nm -a -p "$so" 2>/dev/null | sed 's/^/static /'
		nm -D "$so" 2>/dev/null | sed 's/^/dynamic /'
	})
	if ! printf '%s\n' "$syms" | grep -q ' pam_sm_open_session$'; then
		not_ok "nm reads the symbols of $so"
	else
		bad=$(printf '%s\n' "$syms" | awk -v ours="$ours" '
			NF == 4 { t = $3; n = $4 }
			NF == 3 && length($2) == 1 { t = $2; n = $3 }
			NF == 3 && length($2) > 1 { t = $3; n = "" }
			NF < 3 { next }
			t == "a" { file = n; next }
			{ sub(/@.*/, "", n) }
			n !~ /^(lxc_|ssh_|curl_|json_|lws_)/ && n !~ /^(__)?(v?syslog|openlog|closelog)(_chk)?$/ { next }
			{ local = t ~ /^[a-tx-z]$/ }
			$1 == "static" && local && index(ours, " " file " ") { next }
			{
				print $1 " table, " (t ~ /^[Uvw]$/ ? "undefined" : "defined") ": " n \
					(local && $1 == "static" ? " (local, after FILE \"" file "\")" : "")
			}' | sort -u)
		result "pam_throwaway.so has no liblxc (lxc_*), libssh (ssh_*), libcurl (curl_*), json-c (json_*), libwebsockets (lws_*) or syslog symbol" "$bad"
	fi
	needed=$(readelf -d "$so" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
	linked=$(ldd "$so" 2>/dev/null | awk '{print $1}')
	bad=$(printf '%s\n' "$needed" "$linked" | sort -u | grep -E '^lib(lxc|ssh|curl|json-c|websockets)([.-]|$)')
	result "pam_throwaway.so needs none of liblxc, libssh, libcurl, json-c, libwebsockets (NEEDED: $(echo "$needed" | paste -sd ' '))" "$bad"
fi

# (a') The lxd driver and its libraries are a module, throwaway-lxd.so,
# loaded only when a config or record names backend = lxd: linked into the
# keeper, they made every login's exec of it three times as slow.
for prog in build/throwaway-keeper build/throwawayctl; do
	needed=$(readelf -d "$prog" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
	bad=$( (echo "$needed"; ldd "$prog" 2>/dev/null | awk '{print $1}') | sort -u |
		grep -E '^lib(curl|json-c|websockets)([.-]|$)')
	if [ -z "$needed" ]; then not_ok "readelf reads what $prog needs"; else
		result "$prog needs none of libcurl, json-c, libwebsockets" "$bad"
	fi
done
exported=$(nm -D --defined-only build/throwaway-lxd.so 2>/dev/null | awk '{print $3}' | paste -sd ' ')
result "throwaway-lxd.so exports its driver table alone ($exported)" "$([ "$exported" = copy_driver_lxd ] || echo "exports: $exported")"

# (b) Only the liblxc driver includes liblxc: no program, no other layer,
# no other test. The driver's own unit tests (tests/unit/test_lxc*.c) look
# at what it configured through liblxc, and may.
bad=$(for f in $(sources); do
	case $f in common/copy/lxc/* | tests/unit/test_lxc*.c) continue ;; esac
	includes "$f" | grep -E '^[<"]lxc/' | sed "s|^|$f: |"
done)
result "only common/copy/lxc (and its unit tests) includes liblxc's headers (<lxc/...>)" "$bad"

# (b') Only the lxd driver includes libcurl, json-c or libwebsockets: the
# PAM module and the shell never, the other layers never.
bad=$(for f in $(sources); do
	case $f in common/copy/lxd/*) continue ;; esac
	includes "$f" | grep -E '^[<"](curl/|json-c/|json\.h|libwebsockets)' | sed "s|^|$f: |"
done)
result "only common/copy/lxd includes libcurl, json-c or libwebsockets headers" "$bad"

# (c) Each layer includes its own headers and those below it.
# layer_check NAME ALLOWED FILES...: every quoted include of FILES is a
# header of one of the ALLOWED layers (or folders).
layer_check() {
	local name=$1 allowed=$2 bad="" f h
	shift 2
	while read -r f h; do
		[ -n "$f" ] || continue
		case " $allowed " in *" $(layer "$h") "*) continue ;; esac
		case $h in
		\?*) bad+="$f: \"${h#\?}\" is no header of the tree"$'\n' ;;
		*) bad+="$f: $h ($(layer "$h"))"$'\n' ;;
		esac
	done < <(for f in "$@"; do quoted_deps "$f"; done)
	result "$name" "${bad%$'\n'}"
}
layer_check "common/base includes no header of common/host or common/copy" "base" \
	common/base/*.[ch]
bad=$(for f in common/base/*.[ch]; do
	includes "$f" | grep -E '^<(lxc/|libssh/|syslog\.h>)' | sed "s|^|$f: |"
done)
result "common/base includes neither liblxc, libssh nor <syslog.h>" "$bad"
layer_check "common/host includes no header of common/copy" "base host" common/host/*.[ch]
layer_check "the shell includes only base headers (and its own)" "base shell" shell/*.[ch]
layer_check "pam_throwaway.c includes only base headers" "base" pam_module/pam_throwaway.c

# (d) The keeper's files: no include cycle among its headers, no call cycle
# between its files.
edges=$(for f in pam_module/keeper/*.h; do quoted_deps "$f"; done |
	awk '$2 ~ /^pam_module\/keeper\// { sub(/.*\//, "", $1); sub(/.*\//, "", $2); print $1, $2, "#include" }')
result "the keeper's headers include one another without a cycle" "$(printf '%s\n' "$edges" | grep . | cycles)"

# The objects the Makefile links the keeper from, one per file.
objs=()
stale=""
for c in pam_module/keeper/*.c; do
	o=build/keeper/$(basename "$c" .c).o
	if [ -f "$o" ] && ! [ "$c" -nt "$o" ]; then objs+=("$o"); else stale+=" $o"; fi
done
if [ -n "$stale" ]; then
	not_ok "the keeper's objects are built and up to date (run make):$stale"
else
	defs=$(for o in "${objs[@]}"; do
		nm -g --defined-only "$o" | awk -v f="$(basename "$o" .o).c" 'NF == 3 { print $3, f }'
	done | sort)
	uses=$(for o in "${objs[@]}"; do
		nm -u "$o" | awk -v f="$(basename "$o" .o).c" '{ print $NF, f }'
	done | sort)
	# "FROM TO SYMBOL": FROM uses SYMBOL, which TO defines.
	edges=$(join <(echo "$uses") <(echo "$defs") | awk '$2 != $3 { print $2, $3, $1 }')
	result "no two keeper files call each other, directly or through others" \
		"$(printf '%s\n' "$edges" | grep . | cycles)"
fi

echo "# $pass passed, $fail failed"
[ "$fail" = 0 ]
