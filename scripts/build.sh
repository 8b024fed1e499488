#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the test kernel of a flavour (series, debug or baseline) out of
# tree: tinyconfig + the flavour's fragments (lib.sh: config_fragments),
# bzImage, modules installed into $O/mod, and the rig's helper programs.
# Progress goes to stderr, logs to $O/logs.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

flavour=${1:-series}
[ "$flavour" = check ] || "$TOP/scripts/prepare.sh" "$flavour"
src=$(tree_of "$flavour")
O=$(build_of "$flavour")
mkdir -p "$O/logs"

# Run make with a one-line status every 20 s; the full output goes to a log.
kmake() {
	local what=$1; shift
	local logf=$O/logs/$what.log start=$SECONDS rc=0
	log "make $what -> $logf"
	make -C "$src" O="$O" -j"$JOBS" "$@" >"$logf" 2>&1 &
	local pid=$! next=$((SECONDS + 20))
	while kill -0 "$pid" 2>/dev/null; do
		sleep 2
		if [ "$SECONDS" -ge "$next" ]; then
			next=$((SECONDS + 20))
			printf '[%s]   %s: %4ds, %5d lines, at: %s\n' "$(date +%H:%M:%S)" \
				"$what" $((SECONDS - start)) "$(wc -l <"$logf")" \
				"$(grep -E '^\s+(CC|LD|AR|AS)' "$logf" | tail -n1 | sed 's/^ *//')" >&2
		fi
	done
	wait "$pid" || rc=$?
	if [ "$rc" != 0 ]; then
		grep -E 'error|Error' "$logf" | head -20 >&2 || true
		die "make $what failed (rc $rc); full log: $logf"
	fi
	log "make $what done in $((SECONDS - start))s"
}

# What .config breaks of the fragments: an option lost ("lost: LINE") or
# one set that they unset. A patch-by-patch check build may predate an
# option, which its tree's Kconfig then does not know.
config_breaks() {
	local line sym
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*)
			grep -qxF "$line" "$O/.config" && continue
			sym=${line%%=*}
			if [ "$flavour" = check ] &&
			   ! grep -rqx "config ${sym#CONFIG_}" --include='Kconfig*' "$src"; then
				continue
			fi
			echo "lost: $line" ;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }
			sym=${sym%% *}
			if grep -q "^$sym=" "$O/.config"; then
				echo "set although the fragment unsets it: $sym"
			fi ;;
		esac
	done < <(cat "${frags[@]}")
}

# Configure when the fragment changed (or on first build), or when .config
# no longer holds it: a make in the build folder while the tree was at a
# patch before an option's Kconfig entry (a rebase stopped there) drops
# the option.
mapfile -t frags < <(config_fragments "$flavour")
fhash=$(cat "${frags[@]}" | sha256sum | cut -c1-16)
if [ ! -f "$O/.config" ] || [ "$(cat "$O/.rig-config-hash" 2>/dev/null)" != "$fhash" ] ||
   [ -n "$(config_breaks)" ]; then
	log "configuring $flavour: tinyconfig + ${frags[*]##*/}"
	configure_tree "$src" "$O" "${frags[@]}" >"$O/logs/config.log" 2>&1 ||
		die "configuring $flavour failed: $O/logs/config.log"
	# Every option of the fragment must have survived olddefconfig.
	bad=$(config_breaks)
	[ -z "$bad" ] || { sed 's/^/  /' <<<"$bad" >&2
		die "kernel config options lost after olddefconfig (see $O/logs/config.log)"; }
	echo "$fhash" >"$O/.rig-config-hash"
fi

kmake kernel bzImage modules
rm -rf "$O/mod.tmp"
make -C "$src" O="$O" INSTALL_MOD_PATH="$O/mod.tmp" modules_install \
	>"$O/logs/modules_install.log" 2>&1 || die "modules_install failed: $O/logs/modules_install.log"
ls "$O"/mod.tmp/lib/modules/*/modules.dep >/dev/null 2>&1 ||
	die "modules_install wrote no modules.dep (is depmod installed?): $O/logs/modules_install.log"
rm -rf "$O/mod" && mv "$O/mod.tmp" "$O/mod"
make -C "$src" O="$O" headers >"$O/logs/headers.log" 2>&1 ||
	die "make headers failed: $O/logs/headers.log"
"$TOP/scripts/build-tests.sh" "$flavour"
"$TOP/scripts/guest.sh" "$flavour"
krel=$(cat "$O/include/config/kernel.release")
echo "$krel" >"$O/.rig-release"
log "built $flavour: $O/arch/x86/boot/bzImage ($krel)"
