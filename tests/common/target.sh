# SPDX-License-Identifier: GPL-2.0
# Helpers for scenario tests: LIO objects through configfs, always torn
# down children first. Sourced by tests; names start with "_".

CFS=/sys/kernel/config/target
_CLEANUPS=()

_log() { echo "# $*"; }
_fail() { echo "FAIL: $*"; exit 1; }
_skip() { echo "SKIP: $*"; exit 4; }

# _check DESCRIPTION COMMAND...: run, print TAP-ish progress, fail on error.
_check() {
	local what=$1; shift
	if "$@"; then
		echo "ok - $what"
	else
		_fail "$what (command: $*)"
	fi
}

# Cleanups run in reverse order on any exit.
_on_exit() { _CLEANUPS=("$*" "${_CLEANUPS[@]}"); }
_run_cleanups() {
	local c
	for c in "${_CLEANUPS[@]}"; do eval "$c" || true; done
	_CLEANUPS=()
}
trap _run_cleanups EXIT

_modprobe() {
	local m
	for m in "$@"; do
		modprobe "$m" || _skip "module $m not available"
	done
}

# _scsi_debug_disk [params...]: load scsi_debug; sets SD_DEV to its /dev node.
_scsi_debug_disk() {
	local dev i
	rmmod scsi_debug 2>/dev/null
	modprobe scsi_debug "$@" || _skip "scsi_debug not available"
	_on_exit "rmmod scsi_debug"
	for i in $(seq 50); do
		dev=$(ls -d /sys/bus/pseudo/drivers/scsi_debug/adapter*/host*/target*/*/block/* 2>/dev/null | head -n1)
		[ -n "$dev" ] && [ -b "/dev/$(basename "$dev")" ] && break
		sleep 0.2
	done
	[ -n "$dev" ] || _fail "scsi_debug disk did not appear"
	SD_DEV=/dev/$(basename "$dev")
}

# _hctl_of /dev/sdX: print "H C T L" of a SCSI disk.
_hctl_of() {
	basename "$(readlink -f "/sys/class/block/$(basename "$1")/device")" | tr ':' ' '
}

# _pscsi_backstore NAME /dev/sdX: create and enable a pscsi device.
_pscsi_backstore() {
	local name=$1 dev=$2 h c t l d
	read -r h c t l <<<"$(_hctl_of "$dev")"
	d=$CFS/core/pscsi_0/$name
	mkdir -p "$d" || _fail "mkdir $d"
	_on_exit "rmdir '$d'; rmdir '$CFS/core/pscsi_0' 2>/dev/null"
	echo "scsi_host_id=$h,scsi_channel_id=$c,scsi_target_id=$t,scsi_lun_id=$l" >"$d/control" ||
		_fail "pscsi control for $dev"
	echo -n "$dev" >"$d/udev_path" || _fail "pscsi udev_path $dev"
	echo 1 >"$d/enable" || _fail "enabling pscsi backstore $name on $dev"
}

# _vhost_target WWPN: a vhost target with tpgt_1 and a nexus.
_vhost_target() {
	local w=$1 tp=$CFS/vhost/$1/tpgt_1
	mkdir -p "$tp" || _fail "mkdir $tp"
	_on_exit "rmdir '$tp'; rmdir '$CFS/vhost/$w'"
	echo -n "$w" >"$tp/nexus" || _fail "vhost nexus $w"
	_on_exit "echo -n NULL >'$tp/nexus' 2>/dev/null"
}

# _vhost_lun WWPN LUN BACKSTORE_PATH(core/...): map a backstore as a LUN.
_vhost_lun() {
	local l=$CFS/vhost/$1/tpgt_1/lun/lun_$2
	mkdir -p "$l" || _fail "mkdir $l"
	_on_exit "rmdir '$l'"
	ln -s "$CFS/$3" "$l/port" || _fail "linking $3 to $l"
	_on_exit "rm -f '$l/port'"
}
