#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build pscsi-vpd-dkms_<version>_all.deb: the series' target_core_mod,
# target_core_pscsi and vhost_scsi as DKMS sources for Debian's kernels,
# one folder per kernel line. Prints the path of the .deb (in $CACHE/dkms).
#
# For each line (6.1, 6.12, 7.3) whose series folder has patches, the
# line's cache tree is brought up to date (scripts/prepare.sh series) and
# the modules' sources are taken from its branch "series" (committed
# content only, never the work tree):
#   <line>/target/  every object of target_core_mod-y in the line's
#                   drivers/target/Makefile, target_core_pscsi, the local
#                   headers they include, and a generated Kbuild
#   <line>/vhost/   drivers/vhost/scsi.c, its local headers, a Kbuild
#   <line>/BASE     the upstream and Debian version the sources are from
# The KUnit modules are not built. What the series changes beyond these
# modules is named and left out (fs/configfs/mount.c: a lockdep class of
# the kernel image); a change under include/ or to the exports of an
# existing symbol stops the build, because stock modules link against
# target_core_mod.
#
# Environment:
#   DKMS_LINES="7.3 6.12"  the lines to include (default: all that have patches)
#   DKMS_NO_PREPARE=1      use the trees' branch "series" as it is (no
#                          fetch, no git am: for a tree someone is editing)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

NAME=pscsi-vpd
PKG=pscsi-vpd-dkms
SUPPORTED=(6.1 6.12 7.3)
OUTDIR=$CACHE/dkms

# --- which lines --------------------------------------------------------
# line_info LINE: lib.sh's SERIES_DIR, BASE_TREE, KPKG and KVER_DEB of a
# line and how many patches its series has (series_patches), one a line
# (lib.sh maps KERNEL= when sourced).
line_info() {
	(
		KERNEL=$1
		# shellcheck source=scripts/lib.sh
		. "$TOP/scripts/lib.sh"
		printf '%s\n' "$SERIES_DIR" "$BASE_TREE" "$KPKG" "$KVER_DEB" \
			"$(series_patches 2>/dev/null | wc -l)"
	)
}

read -r -a want <<<"${DKMS_LINES:-${SUPPORTED[*]}}"
lines=()
declare -A TREE KPKG_OF KVER_OF
for L in "${want[@]}"; do
	case " ${SUPPORTED[*]} " in
	*" $L "*) ;;
	*) die "DKMS_LINES: no kernel line '$L' (lines: ${SUPPORTED[*]})" ;;
	esac
	mapfile -t info < <(line_info "$L")
	[ "${#info[@]}" = 5 ] || die "scripts/lib.sh does not know KERNEL=$L"
	if [ "${info[4]}" = 0 ]; then
		log "$L: no patches in ${info[0]#"$TOP"/}: line left out"
		continue
	fi
	lines+=("$L")
	TREE[$L]=${info[1]}
	KPKG_OF[$L]=${info[2]}
	KVER_OF[$L]=${info[3]}
done
[ ${#lines[@]} -gt 0 ] || die "no kernel line with patches among: ${want[*]}"
# In the order of make's $(sort) (the DKMS Makefile lists them so).
mapfile -t lines < <(printf '%s\n' "${lines[@]}" | LC_ALL=C sort)

for L in "${lines[@]}"; do
	if [ "${DKMS_NO_PREPARE:-0}" = 1 ]; then
		log "$L: DKMS_NO_PREPARE=1: taking branch series of ${TREE[$L]} as it is"
	else
		KERNEL=$L "$TOP/scripts/prepare.sh" series
	fi
	git -C "${TREE[$L]}" rev-parse -q --verify 'series^{commit}' >/dev/null ||
		die "$L: ${TREE[$L]} has no branch series (KERNEL=$L scripts/prepare.sh series)"
	git -C "${TREE[$L]}" rev-parse -q --verify 'base^{commit}' >/dev/null ||
		die "$L: ${TREE[$L]} has no tag base"
done

# --- the version --------------------------------------------------------
# <series revision>.0+git<HEAD's commit time, UTC>.<HEAD>, reproducible from
# the repository; ".dirty<hash>" when what is packaged differs from HEAD
# (edits to the series, to dkms/ or to this script, or commits on a tree's
# branch series that series/ does not have yet).
rev=$(sed -n 's/^Subject: \[PATCH v\([0-9][0-9]*\) 0*\/.*/\1/p' \
	"$TOP/series/0000-cover-letter.patch" 2>/dev/null | head -n1)
rev=${rev:-1}
stamp=$(TZ=UTC git -C "$TOP" log -1 --format=%cd --date=format-local:%Y%m%d%H%M%S HEAD)
SOURCE_DATE_EPOCH=$(git -C "$TOP" log -1 --format=%ct HEAD)
export SOURCE_DATE_EPOCH
version=$rev.0+git$stamp.$(git -C "$TOP" rev-parse --short=12 HEAD)

mine=(series lts dkms scripts/dkms.sh scripts/lib.sh)
dirty=$(
	git -C "$TOP" diff HEAD -- "${mine[@]}"
	git -C "$TOP" ls-files -o --exclude-standard -- "${mine[@]}" | LC_ALL=C sort |
		while read -r f; do echo "new file $f"; cat "$TOP/$f"; done
	for L in "${lines[@]}"; do
		t=${TREE[$L]}
		applied=$(cut -d' ' -f2 "$(git -C "$t" rev-parse --absolute-git-dir)/pscsi-vpd-applied" 2>/dev/null || true)
		[ "$(git -C "$t" rev-parse series)" = "$applied" ] ||
			echo "$L tree $(git -C "$t" rev-parse 'series^{tree}')"
	done
)
if [ -n "$dirty" ]; then
	version=$version.dirty$(printf '%s' "$dirty" | sha256sum | cut -c1-8)
	log "WARNING: packaging edits not committed (or not exported to the series folder): version $version"
fi

# --- sources of one line ------------------------------------------------
# kbuild_lines TREE DIR PREFIX...: the lines of DIR/Makefile (branch
# series) that name the objects or flags of the modules PREFIX..., with
# continuation lines joined and blanks squeezed.
kbuild_lines() {
	local tree=$1 dir=$2 re
	shift 2
	re=$(printf '|%s-' "$@")
	git -C "$tree" show "series:$dir/Makefile" |
		sed -e ':a' -e '/\\$/N; s/\\\n/ /; ta' | tr -s ' \t' ' ' |
		grep -E "^(${re#|}|CFLAGS_(REMOVE_)?[A-Za-z0-9_-]+\.o|ccflags-|subdir-ccflags-)" || true
}

# objects_of KBUILD_LINES: the objects named on the right of the
# <module>- lines.
objects_of() {
	grep -E '^[A-Za-z0-9_]+-[^ ]* ?[:+]?=' <<<"$1" | grep -vE '^(CFLAGS_|ccflags-|subdir-ccflags-)' |
		sed 's/^[^=]*= *//' | tr ' ' '\n' | grep '\.o$' || true
}

# local_headers TREE DIR FILE...: FILE... and the "quoted" headers they
# include, recursively; each must be a file of DIR on branch series.
local_headers() {
	local tree=$1 dir=$2 f inc
	shift 2
	local -a queue=("$@")
	local -A seen=()
	while [ ${#queue[@]} -gt 0 ]; do
		f=${queue[0]}
		queue=("${queue[@]:1}")
		[ -z "${seen[$f]:-}" ] || continue
		seen[$f]=1
		echo "$f"
		while read -r inc; do
			case "$inc" in
			*/*) die "$dir/$f includes \"$inc\", outside $dir: the DKMS tree does not carry it" ;;
			esac
			git -C "$tree" cat-file -e "series:$dir/$inc" 2>/dev/null ||
				die "$dir/$f includes \"$inc\", which $dir does not have"
			queue+=("$inc")
		done < <(git -C "$tree" show "series:$dir/$f" |
			sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p')
	done
}

# write_kbuild FILE ORIGIN OBJ-M KBUILD_LINES: a Kbuild with obj-m and the
# Makefile's own lines, one object a line.
write_kbuild() {
	{
		echo "# SPDX-License-Identifier: GPL-2.0"
		echo "# Generated by pscsi-vpd's scripts/dkms.sh from $2"
		echo "obj-m := $3"
		awk '{
			if ($2 ~ /^[:+]?=$/ && NF > 3) {
				printf "%s %s", $1, $2
				for (i = 3; i <= NF; i++) printf " \\\n\t%s", $i
				printf "\n"
			} else print
		}' <<<"$4"
	} >"$1"
}

# copy_from TREE DIR DEST FILE...: FILE... of DIR on branch series into DEST.
copy_from() {
	local tree=$1 dir=$2 dest=$3 f
	shift 3
	mkdir -p "$dest"
	for f in "$@"; do
		git -C "$tree" show "series:$dir/$f" >"$dest/$f"
	done
}

# check_series LINE TREE: what the series changes beyond the modules.
check_series() {
	local L=$1 tree=$2 f sym
	local -a out=()
	while read -r f; do
		case "$f" in
		drivers/target/*_kunit.c|drivers/target/.kunitconfig|drivers/target/Kconfig) ;;
		drivers/target/*|drivers/vhost/scsi.c) ;;
		Documentation/*|MAINTAINERS|tools/testing/selftests/*) ;;
		fs/configfs/mount.c) out+=("$f (a lockdep class for the configfs root inode: kernel image, not a module; Debian kernels have no lockdep)") ;;
		*) die "$L: the series changes $f, which the DKMS modules cannot carry" ;;
		esac
	done < <(git -C "$tree" diff --name-only base series)
	for f in "${out[@]}"; do log "$L: left out: $f"; done
	# Stock modules link against target_core_mod and vhost: no export of the
	# base may go away or change its license or namespace.
	while read -r f; do
		case "$f" in *.c) ;; *) continue ;; esac
		git -C "$tree" cat-file -e "base:$f" 2>/dev/null || continue
		sym=$(comm -23 \
			<(git -C "$tree" show "base:$f" | grep -E '^EXPORT_SYMBOL' | LC_ALL=C sort) \
			<(git -C "$tree" show "series:$f" | grep -E '^EXPORT_SYMBOL' | LC_ALL=C sort))
		[ -z "$sym" ] || die "$L: the series drops or changes exports of $f: $sym"
	done < <(git -C "$tree" diff --name-only base series -- drivers/target drivers/vhost)
}

stage=$OUTDIR/stage.tmp
rm -rf "$stage"
src=$stage/usr/src/$NAME-$version
mkdir -p "$src" "$OUTDIR"

for L in "${lines[@]}"; do
	t=${TREE[$L]}
	check_series "$L" "$t"
	head=$(git -C "$t" rev-parse --short=12 series)
	up=$(git -C "$t" show series:Makefile | awk '
		$1 == "VERSION" {v = $3} $1 == "PATCHLEVEL" {p = $3} $1 == "SUBLEVEL" {s = $3}
		END {print v "." p "." s}')

	# target_core_mod and target_core_pscsi
	kb=$(kbuild_lines "$t" drivers/target target_core_mod target_core_pscsi)
	mapfile -t objs < <(objects_of "$kb")
	[ ${#objs[@]} -gt 1 ] || die "$L: no target_core_mod-y objects in drivers/target/Makefile"
	cs=()
	for o in "${objs[@]}" target_core_pscsi.o; do
		case "$o" in
		*/*) die "$L: object $o of drivers/target/Makefile is in a subfolder" ;;
		*_kunit.o) die "$L: a KUnit object ($o) is part of target_core_mod" ;;
		esac
		git -C "$t" cat-file -e "series:drivers/target/${o%.o}.c" 2>/dev/null ||
			die "$L: drivers/target/${o%.o}.c (object $o) not in the tree"
		case " ${cs[*]} " in *" ${o%.o}.c "*) ;; *) cs+=("${o%.o}.c") ;; esac
	done
	hdrs=$(local_headers "$t" drivers/target "${cs[@]}")
	mapfile -t files <<<"$hdrs"
	for f in "${files[@]}"; do
		case "$f" in *_kunit.c) die "$L: $f (KUnit) is included by the module sources" ;; esac
	done
	copy_from "$t" drivers/target "$src/$L/target" "${files[@]}"
	write_kbuild "$src/$L/target/Kbuild" "drivers/target/Makefile of the $L series ($head)" \
		"target_core_mod.o target_core_pscsi.o" "$kb"
	# Tracepoints defined here must come from the kernel headers (include/).
	while read -r f; do
		hdr=$(sed -n '/CREATE_TRACE_POINTS/,$ s/^#include <\(trace\/events\/[^>]*\)>.*/\1/p' \
			"$src/$L/target/$f" | head -n1)
		[ -n "$hdr" ] || die "$L: $f creates tracepoints from a header that is not under include/trace/events"
		git -C "$t" cat-file -e "series:include/$hdr" || die "$L: include/$hdr missing"
		log "$L: $f defines the tracepoints of <$hdr> (from the kernel headers)"
	done < <(cd "$src/$L/target" && grep -l 'CREATE_TRACE_POINTS' -- *.c || true)

	# vhost_scsi
	kb=$(kbuild_lines "$t" drivers/vhost vhost_scsi)
	mapfile -t objs < <(objects_of "$kb")
	[ ${#objs[@]} -gt 0 ] || die "$L: no vhost_scsi-y objects in drivers/vhost/Makefile"
	cs=()
	for o in "${objs[@]}"; do
		git -C "$t" cat-file -e "series:drivers/vhost/${o%.o}.c" 2>/dev/null ||
			die "$L: drivers/vhost/${o%.o}.c (object $o) not in the tree"
		cs+=("${o%.o}.c")
	done
	hdrs=$(local_headers "$t" drivers/vhost "${cs[@]}")
	mapfile -t files <<<"$hdrs"
	copy_from "$t" drivers/vhost "$src/$L/vhost" "${files[@]}"
	write_kbuild "$src/$L/vhost/Kbuild" "drivers/vhost/Makefile of the $L series ($head)" \
		"vhost_scsi.o" "$kb"

	echo "$up (Debian ${KPKG_OF[$L]} ${KVER_OF[$L]}, series $head)" >"$src/$L/BASE"
	log "$L: $(find "$src/$L/target" -name '*.[ch]' | wc -l) files for target_core_mod and target_core_pscsi, $(find "$src/$L/vhost" -name '*.[ch]' | wc -l) for vhost_scsi (Linux $up, series $head)"
done

# --- the package --------------------------------------------------------
# fill TEMPLATE: the template with @VERSION@, @LINES@,
# @BUILD_EXCLUSIVE_KERNEL@ and @INSTALLED_SIZE@ filled in.
linelist=${lines[*]}
alt=
for L in "${lines[@]}"; do alt+="|${L//./\\.}"; done
re="^(${alt#|})[.+-]"
fill() {
	local s
	s=$(<"$1")
	s=${s//@VERSION@/"$version"}
	s=${s//@LINES@/"$linelist"}
	s=${s//@BUILD_EXCLUSIVE_KERNEL@/"$re"}
	s=${s//@INSTALLED_SIZE@/"${size:-0}"}
	printf '%s\n' "$s"
}

fill "$TOP/dkms/dkms.conf.in" >"$src/dkms.conf"
cp "$TOP/dkms/Makefile" "$src/Makefile"
cp "$TOP/dkms/release.sh" "$TOP/dkms/post-build.sh" "$TOP/dkms/post-install.sh" "$src/"
# dkms's kernel removal hook skips a kernel the package installs nothing
# on (dkms status: "installed (WARNING! ...)"): the package's own does it.
mkdir -p "$stage/etc/kernel/prerm.d"
cp "$TOP/dkms/kernel-prerm" "$stage/etc/kernel/prerm.d/$PKG"
# The modules replace modules of the kernel itself, which carry no
# MODULE_VERSION: dkms finds the versions equal and would not install them
# ("exactly matches what is already found in kernel"). dkms's own list of
# modules whose version check is overridden says that this replacement is
# the point (dkms: force_installation()).
mkdir -p "$stage/usr/share/dkms/modules_to_force_install"
echo "${NAME}_version-override" >"$stage/usr/share/dkms/modules_to_force_install/$NAME"
doc=$stage/usr/share/doc/$PKG
mkdir -p "$doc"
cp "$TOP/dkms/README.md" "$doc/README.md"
cat >"$doc/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: pscsi-vpd (Linux kernel sources with the pscsi-vpd series)
Comment: Linux $linelist sources from Debian's linux-source packages, with
 the pscsi-vpd patch series applied.

Files: *
Copyright: the Linux kernel's authors
License: GPL-2
 On Debian systems, the full text of the GNU General Public License
 version 2 is in /usr/share/common-licenses/GPL-2.
EOF

# Self-checks: dkms.conf parses and its BUILD_EXCLUSIVE_KERNEL takes each
# line's Debian kernel releases and no other; the Makefile refuses another
# line with its message.
for L in "${lines[@]}" 5.10 6.6 7.30; do
	case " $linelist " in *" $L "*) expect=yes ;; *) expect=no ;; esac
	for k in "$L.0-56-amd64" "$L.117+deb12-amd64" "$L.4+deb13-amd64"; do
		got=$(kernelver=$k kernel_source_dir=/nonexistent bash -c '
			set -e; . "$1"
			[[ $2 =~ $BUILD_EXCLUSIVE_KERNEL ]] && echo yes || echo no' _ "$src/dkms.conf" "$k") ||
			die "dkms.conf does not parse"
		[ "$got" = "$expect" ] ||
			die "BUILD_EXCLUSIVE_KERNEL ($re) says $got for kernel $k (expected $expect)"
	done
done
msg=$(make -s -C "$src" PSCSI_VPD_KVER=5.10.0-1-amd64 check 2>&1) &&
	die "the DKMS Makefile accepted a 5.10 kernel"
grep -qF "for Linux $linelist only" <<<"$msg" ||
	die "the DKMS Makefile's message for another line is unexpected: $msg"
# Headers of another release of a line (here an upstream version the
# sources are not of, with no headers package): by hand the Makefile
# refuses; dkms.conf sets OBSOLETE_BY, STRIP off and PSCSI_VPD_OTHER=1,
# with which the Makefile builds notes and says why; post-build.sh
# prints that; post-install.sh removes notes "dkms install --force"
# would have copied.
L=${lines[0]}
fake=$(mktemp -d)
mkdir -p "$fake/kdir" "$fake/src" "$fake/mods/$L.9999-amd64/updates/dkms"
printf 'kernelversion:\n\t@echo %s.9999\n' "$L" >"$fake/kdir/Makefile"
cp -a "$src/." "$fake/src/"
msg=$(make -s -C "$fake/src" PSCSI_VPD_KVER="$L.9999-amd64" PSCSI_VPD_KDIR="$fake/kdir" modules 2>&1) &&
	die "the DKMS Makefile built for another release of $L: $msg"
grep -qF "kernel $L.9999-amd64 is Linux $L.9999, the package's $L sources are of" <<<"$msg" ||
	die "the DKMS Makefile's refusal of another release of $L: $msg"
got=$(kernelver=$L.9999-amd64 kernel_source_dir=$fake/kdir bash -c '
	set -e; . "$1"; echo "${OBSOLETE_BY:-} ${STRIP[*]} ${MAKE[0]##* }"' _ "$fake/src/dkms.conf")
[ "$got" = "$L.9999-amd64 no no no PSCSI_VPD_OTHER=1" ] ||
	die "dkms.conf for another release of $L: OBSOLETE_BY, STRIP and MAKE[0]'s last word are '$got'"
msg=$(make -s -C "$fake/src" PSCSI_VPD_KVER="$L.9999-amd64" PSCSI_VPD_KDIR="$fake/kdir" \
	PSCSI_VPD_OTHER=1 modules 2>&1) ||
	die "the DKMS Makefile failed for another release of $L under dkms: $msg"
grep -qF "WARNING: kernel $L.9999-amd64 is Linux $L.9999, the package's $L sources are of" <<<"$msg" ||
	die "the DKMS Makefile did not warn about another release of $L: $msg"
for m in target_core_mod target_core_pscsi vhost_scsi; do
	grep -q "^pscsi-vpd: not built: " "$fake/src/built/$m.ko" ||
		die "the DKMS Makefile built $m for another release of $L"
done
[ "$(cd "$fake/src" && sh post-build.sh 2>&1 >/dev/null)" = "$(cat "$fake/src/built/NOTICE")" ] ||
	die "post-build.sh does not print the Makefile's NOTICE on stderr"
xz -c "$fake/src/built/target_core_mod.ko" >"$fake/mods/$L.9999-amd64/updates/dkms/target_core_mod.ko.xz"
cp "$fake/src/built/vhost_scsi.ko" "$fake/mods/$L.9999-amd64/updates/dkms/"
echo "an ELF module" >"$fake/mods/$L.9999-amd64/updates/dkms/target_core_pscsi.ko"
PSCSI_VPD_MODROOT=$fake/mods sh "$fake/src/post-install.sh" "$L.9999-amd64" 2>/dev/null
[ "$(ls "$fake/mods/$L.9999-amd64/updates/dkms")" = target_core_pscsi.ko ] ||
	die "post-install.sh left $(ls "$fake/mods/$L.9999-amd64/updates/dkms" | tr '\n' ' ')(only the notes go)"
# ... and for headers of the sources' own release, neither.
printf 'kernelversion:\n\t@echo %s\n' "$(cut -d' ' -f1 "$src/$L/BASE")" >"$fake/kdir/Makefile"
got=$(kernelver=$L.0-1-amd64 kernel_source_dir=$fake/kdir bash -c '
	set -e; . "$1"; echo "[${OBSOLETE_BY:-}]"' _ "$fake/src/dkms.conf")
[ "$got" = "[]" ] || die "dkms.conf for the headers of the sources' release: OBSOLETE_BY $got"
rm -rf "$fake"

mkdir -p "$stage/DEBIAN"
for s in postinst prerm; do
	fill "$TOP/dkms/$s.in" >"$stage/DEBIAN/$s"
	sh -n "$stage/DEBIAN/$s" || die "DEBIAN/$s: syntax error"
done
find "$stage" -type d -exec chmod 0755 {} +
find "$stage" -type f -exec chmod 0644 {} +
chmod 0755 "$stage/DEBIAN/postinst" "$stage/DEBIAN/prerm" "$src/release.sh" "$src/post-build.sh" \
	"$src/post-install.sh" "$stage/etc/kernel/prerm.d/$PKG"
echo "/etc/kernel/prerm.d/$PKG" >"$stage/DEBIAN/conffiles"
size=$(du -sk --apparent-size "$stage/usr" | cut -f1)
fill "$TOP/dkms/control.in" >"$stage/DEBIAN/control"
(cd "$stage" && find usr -type f | LC_ALL=C sort | xargs -d '\n' md5sum) >"$stage/DEBIAN/md5sums"
chmod 0644 "$stage/DEBIAN/control" "$stage/DEBIAN/md5sums" "$stage/DEBIAN/conffiles"
find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

# One package in $OUTDIR, the newest: the stock VM takes it by its name's pattern.
deb=$OUTDIR/${PKG}_${version}_all.deb
find "$OUTDIR" -maxdepth 1 -name "${PKG}_*_all.deb" -delete
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
rm -rf "$stage"
log "built $PKG $version for Linux $linelist ($(($(stat -c %s "$deb") / 1024)) KiB)"
echo "$deb"
