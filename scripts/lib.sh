# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Common settings and helpers for the rig's scripts. Sourced, never run.
# shellcheck disable=SC2034 # the variables are used by the scripts that source this

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# The kernel line (make ... KERNEL=6.12): which Debian linux-source package
# the series of that line is based on, and where that series lives. 7.3 is
# the upstream submission (series/); the LTS lines are backports of it
# (lts/<line>/, each with a cover letter of what differs).
KERNEL=${KERNEL:-7.3}
case "$KERNEL" in
7.3)
	KPKG=linux-source-7.3
	KVER_DEB=7.3.4-1~bpo13+1
	KSUITE=trixie-backports
	SERIES_DIR=$TOP/series ;;
6.12)
	KPKG=linux-source-6.12
	KVER_DEB=6.12.117-1~deb12u1
	KSUITE=bookworm-security
	SERIES_DIR=$TOP/lts/6.12 ;;
6.1)
	KPKG=linux-source-6.1
	KVER_DEB=6.1.192-2
	KSUITE=bookworm-security
	SERIES_DIR=$TOP/lts/6.1 ;;
*)
	die "KERNEL=$KERNEL: no series for that kernel line (7.3, 6.12 or 6.1)" ;;
esac
# Everything large lives outside the clone, keyed by the base version, so
# that CI and later runs reuse it.
CACHE=${PSCSI_VPD_CACHE:-/var/cache/pscsi-vpd}
VCACHE=$CACHE/$KVER_DEB
BASE_TREE=$VCACHE/linux          # git tree: tag "base" = pristine source
BUILD_ROOT=$VCACHE/build         # one O= folder per flavour
JOBS=${JOBS:-$(nproc)}

# Flavours: "series" (base + patches), "debug" (the same tree with
# kernel/debug.config: KASAN, UBSAN, KFENCE, lockdep, kmemleak...),
# "baseline" (the pristine source of the line) and "check" (scripts/check.sh: the series one
# patch at a time). Each has its own build folder.
tree_of() {
	case "$1" in
	series|debug) echo "$BASE_TREE" ;;
	baseline) echo "$VCACHE/linux-baseline" ;;
	check) echo "$VCACHE/linux-check" ;;
	*) die "unknown flavour '$1' (series, debug or baseline)" ;;
	esac
}
build_of() { echo "$BUILD_ROOT/$1"; }

# How much slower than the series kernel a flavour runs under TCG: the VM
# multiplies its timeouts by it (scripts/vm.py --slow, rig_slow=).
slow_of() {
	case "$1" in
	debug) echo 3 ;;
	*) echo 1 ;;
	esac
}

# The patches, in order: every numbered file but the cover letter.
series_patches() {
	find "$SERIES_DIR" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch' \
		! -name '0000-*' | sort
}

# Kconfig fragments of a flavour, in merge order: the rig's, the series'
# own options (which an unpatched tree does not know), and for the debug
# flavour the checkers on top.
config_fragments() {
	echo "$TOP/kernel/rig.config"
	[ "$1" = baseline ] || echo "$TOP/kernel/series.config"
	[ "$1" != debug ] || echo "$TOP/kernel/debug.config"
}

# configure_tree SRC O FRAGMENT...: O's .config from tinyconfig with the
# fragments merged; merge_fragments SRC O FRAGMENT...: the fragments
# merged again into O's .config. Both end with olddefconfig and print
# kconfig's output, for the caller's log.
configure_tree() {
	make -C "$1" O="$2" tinyconfig && merge_fragments "$@"
}
merge_fragments() {
	local src=$1 O=$2
	shift 2
	(cd "$O" && "$src/scripts/kconfig/merge_config.sh" -m .config "$@") &&
		make -C "$src" O="$O" olddefconfig
}

# Versions of the source package the archive offers, one a line.
archive_versions() {
	apt-cache madison "$KPKG" 2>/dev/null | awk -F'|' '{gsub(/ /, "", $2); print $2}'
}
archive_has_pin() { archive_versions | grep -qxF "$KVER_DEB"; }

# stage_modules ROOT KREL DIR ORDER MODULE...: the modules of the kernel
# KREL unpacked at ROOT (a Debian image) that MODULE... need, in the order
# modprobe would load them, decompressed into DIR, their file names
# appended to ORDER: what an initramfs insmods one by one.
stage_modules() {
	local root=$1 krel=$2 dir=$3 order=$4 ko base
	shift 4
	mkdir -p "$dir"
	touch "$order"
	modprobe -d "$root" -S "$krel" -a --show-depends "$@" |
		awk '$1 == "insmod" {print $2}' | while read -r ko; do
			base=$(basename "$ko")
			case "$base" in
			*.ko.xz) xz -dc "$ko" >"$dir/${base%.xz}"; base=${base%.xz} ;;
			*.ko.zst) zstd -qdc "$ko" >"$dir/${base%.zst}"; base=${base%.zst} ;;
			*) cp "$ko" "$dir/$base" ;;
			esac
			grep -qxF "$base" "$order" || echo "$base" >>"$order"
		done
}
