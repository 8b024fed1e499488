#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# POST_INSTALL of pscsi-vpd (dkms.conf), given the kernel release. For a
# kernel the package builds nothing for, built/ holds notes in place of
# the modules and OBSOLETE_BY keeps dkms from installing them, but "dkms
# install --force" (which dkms's own message suggests) skips that check
# and copies the notes as modules, where they would hide the kernel's
# own. Remove any such note; dkms runs depmod after this script.
kver=${1:?post-install.sh KERNEL}
dir=${PSCSI_VPD_MODROOT:-/lib/modules}/$kver/updates/dkms	# (a test's own)
for f in "$dir/"target_core_mod.ko* "$dir/"target_core_pscsi.ko* "$dir/"vhost_scsi.ko*; do
	[ -f "$f" ] || continue
	case "$f" in
	*.xz) head=$(xz -dc "$f" 2>/dev/null | head -c 32) ;;
	*.zst) head=$(zstd -qdc "$f" 2>/dev/null | head -c 32) ;;
	*.gz) head=$(gzip -dc "$f" 2>/dev/null | head -c 32) ;;
	*) head=$(head -c 32 "$f") ;;
	esac
	case "$head" in
	"pscsi-vpd: not built"*)
		rm -f "$f"
		echo "pscsi-vpd: removed $f: a note, not a module (nothing is built for kernel $kver)" >&2
		;;
	esac
done
exit 0
