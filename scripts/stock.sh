#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The "stock" flavour of a kernel line: Debian 12's own kernel image of the
# line's version, booted with an initramfs that mounts the host root over
# 9p under a writable overlay (vm/stock-init), so that in the VM dpkg -i of
# the kernel's headers and of pscsi-vpd-dkms works and dkms builds the
# modules there (tests/stock). Writes the flavour's build folder:
#   vmlinuz, initrd.cpio  the image's kernel; busybox, the modules that
#                         mount the root and vm/stock-init as /init
#   root                  link to the image's files (/lib/modules/<krel>),
#                         the overlay's layer over the host root
#   debs/                 linux-headers-<krel> and the packages of the
#                         archive it needs, and pscsi-vpd-dkms (make dkms)
#   krel                  the image's kernel release
#   kselftest, rig-tools, guest, arch
#                         links to the series build: the tests' programs
#                         and the nested guests' kernel
# Downloads go to $CACHE/stock/<version>.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

case "$KERNEL" in
6.12|6.1) ;;
*) die "stock: Debian 12 has images of 6.12 and 6.1 only (KERNEL=6.12 or KERNEL=6.1)" ;;
esac
# dkms and what Debian's headers packages need, in the VM's root (the host's).
"$TOP/scripts/deps.sh" dkms dwarves linux-base linux-compiler-gcc-12-x86
series=$(build_of series)
[ -x "$series/kselftest/install/run_kselftest.sh" ] ||
	die "no series build of $KERNEL: run make build KERNEL=$KERNEL first"
O=$(build_of stock)
SC=$CACHE/stock/$KVER_DEB
mkdir -p "$O" "$SC/debs"

# The image of the line's version: linux-image-<abi>-amd64 at $KVER_DEB
# (6.1.0-56-amd64 for 6.1.192-2, 6.12.117+deb12-amd64 for 6.12.117-1~deb12u1).
# apt-cache show exits 0 with "E: No packages found" for a missing version.
has_version() { apt-cache show "$1=$KVER_DEB" 2>/dev/null | grep '^Package:' >/dev/null; }
img=
for p in $(apt-cache pkgnames "linux-image-$KERNEL." | sort); do
	[[ "$p" =~ ^linux-image-${KERNEL//./\\.}\.[0-9]+[-+][a-z0-9]+-amd64$ ]] || continue
	has_version "$p" && { img=$p; break; }
done
[ -n "$img" ] || die "the archive has no linux-image-$KERNEL.*-amd64 at $KVER_DEB"
krel=${img#linux-image-}

# The headers and the packages of the archive they depend on (common
# headers, kbuild); the image itself is the overlay layer, not installed.
hdr=linux-headers-$krel
deps=$(apt-cache show "$hdr=$KVER_DEB" | sed -n 's/^Depends: *//p' | head -n1 | tr ',' '\n' |
	sed 's/|.*//; s/(.*//; s/ //g' | grep -E '^linux-(headers|kbuild)-' || true)
[ -n "$deps" ] || die "cannot tell which packages $hdr needs"
# Each at the line's version where the archive has it (linux-kbuild-6.1
# is versioned apart), else the newest.
for p in "$img" "$hdr" $deps; do
	ls "$SC/debs/${p}_"*.deb >/dev/null 2>&1 && continue
	want=$p
	has_version "$p" && want=$p=$KVER_DEB
	log "downloading $want"
	(cd "$SC/debs" && apt-get download -q "$want") >&2
done

if [ ! -d "$SC/root/lib/modules/$krel" ]; then
	log "unpacking $img"
	rm -rf "$SC/root.tmp"
	dpkg-deb -x "$SC/debs/${img}_"*.deb "$SC/root.tmp"
	# Debian generates modules.dep at install time; the VM's dkms adds its
	# own modules and runs depmod again.
	depmod -b "$SC/root.tmp" "$krel"
	# The host's /lib is a link to usr/lib (merged /usr): a real lib/ in
	# the layer would hide it. Lay the image out the same way.
	if [ -d "$SC/root.tmp/lib" ] && [ ! -L "$SC/root.tmp/lib" ]; then
		mkdir -p "$SC/root.tmp/usr/lib"
		cp -a "$SC/root.tmp/lib/." "$SC/root.tmp/usr/lib/"
		rm -rf "$SC/root.tmp/lib"
		ln -s usr/lib "$SC/root.tmp/lib"
	fi
	mv "$SC/root.tmp" "$SC/root"
fi

# The initramfs: busybox, the modules that mount the root (virtio-pci, 9p,
# overlay) in dependency order, and vm/stock-init.
stage=$O/stage.tmp
rm -rf "$stage"
mkdir -p "$stage"/{bin,dev,proc,sys,lower,rw,newroot,lib/modules}
busybox=$(dpkg -L busybox-static 2>/dev/null | grep -m1 '/busybox$' || true)
[ -n "$busybox" ] && [ -x "$busybox" ] || die "no static busybox: run scripts/deps.sh"
cp "$busybox" "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"
stage_modules "$SC/root" "$krel" "$stage/lib/modules" "$stage/lib/modules/insmod-order" \
	virtio_pci 9pnet_virtio 9p overlay
grep -q '^9p\.ko$' "$stage/lib/modules/insmod-order" || die "no 9p module in $img"
install -m 0755 "$TOP/vm/stock-init" "$stage/init"
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$O/initrd.cpio"
rm -rf "$stage"
cp "$SC/root/boot/vmlinuz-$krel" "$O/vmlinuz"
echo "$krel" >"$O/krel"
ln -sfn "$SC/root" "$O/root"
rm -rf "$O/debs"
mkdir -p "$O/debs"
for p in "$hdr" $deps; do ln -s "$SC/debs/${p}_"*.deb "$O/debs/"; done
for d in kselftest rig-tools guest arch; do ln -sfn "$series/$d" "$O/$d"; done

# The package under test, built from this checkout.
deb=$("$TOP/scripts/dkms.sh" | tail -n1)
[ -f "$deb" ] || die "scripts/dkms.sh made no package"
cp "$deb" "$O/debs/"
log "stock $KERNEL: Debian $img $KVER_DEB, $(basename "$deb")"
