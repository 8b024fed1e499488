# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Helpers for the tests of pscsi-vpd-dkms on Debian's own kernel
# (tests/stock, tests/unstock; make stock-test). Sourced after target.sh.

# _module_dir MODULE: the folder of the file modprobe would load.
_module_dir() { dirname "$(modinfo -n "$1" 2>/dev/null)"; }

# _package_modules: the package's modules under the running kernel's
# updates folder, one a line (none once it is removed).
_package_modules() {
	find "/lib/modules/$(uname -r)/updates" -name 'target_core_*' -o -name 'vhost_scsi*' 2>/dev/null
}

# _unload_target_core: what an administrator does first, the targets
# cleared (targetctl clear, which knows every fabric's objects, iSCSI
# portals and ACLs included, then _clear_lio for what is left: what the
# groups before left configured holds the fabric modules), then
# target_core_mod and every module that holds it, fabrics first.
_unload_target_core() {
	local h
	[ ! -d /sys/kernel/config/target ] || ! command -v targetctl >/dev/null ||
		targetctl clear >/dev/null 2>&1
	_clear_lio
	for _ in 1 2 3 4 5; do
		[ -d /sys/module/target_core_mod ] || return 0
		for h in /sys/module/target_core_mod/holders/*; do
			[ -e "$h" ] && modprobe -r "$(basename "$h")"
		done
		modprobe -r target_core_mod 2>/dev/null
	done
	[ ! -d /sys/module/target_core_mod ] ||
		_fail "target_core_mod stays loaded, held by: $(ls /sys/module/target_core_mod/holders)"
}

# _image_modules WHEN: modprobe takes the image's own three modules (from
# kernel/drivers, not updates/dkms), and its pscsi has no block_limits.
_image_modules() {
	local m sub
	for m in target_core_mod target_core_pscsi vhost_scsi; do
		sub=target
		[ "$m" != vhost_scsi ] || sub=vhost
		_expect "$1: $m comes from the image" "$(_module_dir "$m")" \
			"/lib/modules/$(uname -r)/kernel/drivers/$sub"
	done
	_check "$1: the image's target_core_pscsi loads" modprobe target_core_pscsi
	_check "$1: the image's pscsi has no block_limits parameter" \
		test ! -e /sys/module/target_core_pscsi/parameters/block_limits
	_unload_target_core
}
