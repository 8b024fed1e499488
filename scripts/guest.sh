#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# What the nested guests of tests/guest boot, written to <build>/guest/:
#   initramfs.cpio    busybox, sg_vpd, sg_dd, coreutils' dd and diffutils' cmp
#                     (with the libraries they load) and tests/guest/guest-init
#   bootsect.bin      tests/guest/bootsect.S, the boot sector SeaBIOS loads
#   debian-6.1/       Debian 12's own kernel: vmlinuz, version, and
#                     modules.cpio (virtio-scsi, sd and their dependencies),
#                     appended to the initramfs when that kernel boots
# The test kernel builds virtio-scsi, sd and sg in, so it needs no modules.
# Debian's image is downloaded once into $CACHE/guest.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

flavour=${1:-series}
O=$(build_of "$flavour")/guest
GCACHE=$CACHE/guest
mkdir -p "$O" "$GCACHE"

# --- the shared initramfs ------------------------------------------------
stage=$O/stage.tmp
rm -rf "$stage"
mkdir -p "$stage"/{bin,dev,proc,sys,tmp}
busybox=$(dpkg -L busybox-static 2>/dev/null | grep -m1 '/busybox$' || true)
[ -n "$busybox" ] && [ -x "$busybox" ] || die "no static busybox: run scripts/deps.sh"
cp "$busybox" "$stage/bin/busybox"

# Programs the guest runs, each with the libraries ldd names.
progs=(sg_vpd sg_dd dd cmp)
for p in "${progs[@]}"; do
	path=$(command -v "$p") || die "$p not installed (scripts/deps.sh)"
	cp "$path" "$stage/bin/$p"
	ldd "$path" | awk '/=> \// {print $3} /^\t\/lib/ {print $1}' |
		while read -r lib; do
			mkdir -p "$stage$(dirname "$lib")"
			cp -L "$lib" "$stage$lib"
		done
done
install -m 0755 "$TOP/tests/guest/guest-init" "$stage/init"
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$O/initramfs.cpio.tmp"
mv "$O/initramfs.cpio.tmp" "$O/initramfs.cpio"
rm -rf "$stage"
log "guest initramfs: $O/initramfs.cpio ($(($(stat -c %s "$O/initramfs.cpio") / 1024)) KiB)"

# --- the boot sector of tests/guest/003-seabios-boot ----------------------
as --32 -o "$O/bootsect.o" "$TOP/tests/guest/bootsect.S"
ld -m elf_i386 -Ttext 0x7c00 --oformat binary -o "$O/bootsect.bin" "$O/bootsect.o"
rm -f "$O/bootsect.o"
[ "$(stat -c %s "$O/bootsect.bin")" = 512 ] || die "bootsect.bin is not one 512-byte sector"
log "guest boot sector: $O/bootsect.bin"

# --- Debian 12's 6.1 kernel ------------------------------------------------
# The newest 6.1 image the archive's bookworm suites offer (the metapackage
# linux-image-amd64 names it).
meta_ver=$(apt-cache madison linux-image-amd64 2>/dev/null |
	awk -F'|' '{gsub(/ /, "", $2); if ($2 ~ /^6\.1\./) print $2}' | sort -V | tail -n1)
[ -n "$meta_ver" ] || die "the archive offers no 6.1 linux-image-amd64 (Debian 12): is bookworm in /etc/apt?"
img=$(apt-cache show "linux-image-amd64=$meta_ver" | sed -n 's/^Depends: *//p' | head -n1 |
	tr ',' '\n' | awk '{print $1}' | grep -m1 '^linux-image-6\.1')
[ -n "$img" ] || die "cannot tell which image linux-image-amd64 $meta_ver depends on"
d=$GCACHE/$img
if [ ! -s "$d/vmlinuz" ] || [ ! -s "$d/modules.cpio" ]; then
	log "downloading $img (Debian 12, linux-image-amd64 $meta_ver)"
	rm -rf "$d"
	mkdir -p "$d/deb" "$d/root"
	(cd "$d/deb" && apt-get download -q "$img") >&2
	dpkg-deb -x "$d"/deb/*.deb "$d/root"
	kver=$(basename "$(find "$d/root/lib/modules" -mindepth 1 -maxdepth 1 -type d | head -n1)")
	cp "$d/root/boot/vmlinuz-$kver" "$d/vmlinuz"
	# The modules the guest loads, in dependency order, as modprobe of the
	# host computes it against the image's own modules.dep.
	depmod -b "$d/root" "$kver"
	mst=$d/mstage
	stage_modules "$d/root" "$kver" "$mst/lib/modules/$kver" "$mst/lib/modules/insmod-order" \
		virtio_pci virtio_scsi sd_mod sg
	[ -s "$mst/lib/modules/insmod-order" ] || die "no modules found for $kver"
	(cd "$mst" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$d/modules.cpio"
	echo "$kver ($img $(dpkg-deb -f "$d"/deb/*.deb Version))" >"$d/version"
	rm -rf "$d/root" "$mst"
fi
mkdir -p "$O/debian-6.1"
cp "$d/vmlinuz" "$d/modules.cpio" "$d/version" "$O/debian-6.1/"
log "guest kernel: Debian $(cat "$d/version")"
