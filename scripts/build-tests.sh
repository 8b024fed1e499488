#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build what the VM runs besides the kernel: the kselftests named in
# tests/kselftest.targets (from the series tree, against the flavour's
# headers) and the rig's helper programs in tests/tools.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

flavour=${1:-series}
O=$(build_of "$flavour")
hdr=$O/usr/include
[ -d "$hdr" ] || die "no headers in $hdr: run scripts/build.sh $flavour"

# Rig helpers: small C programs, built against the kernel's uapi headers.
mkdir -p "$O/rig-tools"
for c in "$TOP"/tests/tools/*.c; do
	[ -f "$c" ] || continue
	out=$O/rig-tools/$(basename "$c" .c)
	if [ ! -x "$out" ] || [ "$c" -nt "$out" ] || [ "$hdr" -nt "$out" ]; then
		gcc -O2 -Wall -Wextra -Werror -isystem "$hdr" -o "$out" "$c" ||
			die "building $(basename "$c") failed"
	fi
done

# kselftests come from the series tree for every flavour: on the baseline
# they show that the tests catch what the series fixes. They are built
# against the flavour's own uapi headers. Flavours built from the series
# tree (series, debug) had it prepared by build.sh already.
[ "$(tree_of "$flavour")" = "$BASE_TREE" ] || "$TOP/scripts/prepare.sh" series >/dev/null
ksrc=$BASE_TREE
targets=()
while read -r t _; do
	case "$t" in ''|\#*) continue ;; esac
	[ -d "$ksrc/tools/testing/selftests/$t" ] && targets+=("$t")
done <"$TOP/tests/kselftest.targets"
ks=$O/kselftest
rm -rf "$ks/install"
if [ ${#targets[@]} -gt 0 ]; then
	log "building kselftests: ${targets[*]}"
	make -C "$ksrc/tools/testing/selftests" O="$ks/build" \
		TARGETS="${targets[*]}" KHDR_INCLUDES="-isystem $hdr" \
		INSTALL_PATH="$ks/install" install >"$O/logs/kselftest.log" 2>&1 ||
		{ tail -30 "$O/logs/kselftest.log" >&2; die "kselftest build failed: $O/logs/kselftest.log"; }
else
	mkdir -p "$ks/install"
fi
