# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # SD_DEV, LOOP_*, QDISK* are for the tests
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

# _kmsg_mark NAME: a mark in the kernel log; _kmsg_since NAME: the lines
# after it, or a failure if the log wrapped past it (vm/kmsg.sh).
# shellcheck source=vm/kmsg.sh
. "$RIG_TOP/vm/kmsg.sh"
_kmsg_mark() { echo "<6>rig: test mark $1" >/dev/kmsg; }
_kmsg_since() {
	kmsg_after "rig: test mark $1" || _fail "the kernel log wrapped past mark $1"
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

# _backstore KIND NAME CONTROL [BLOCK_SIZE]: create, configure and enable
# core/KIND_0/NAME.
_backstore() {
	local d=$CFS/core/$1_0/$2
	mkdir -p "$d" || _fail "mkdir $d"
	_on_exit "rmdir '$d'; rmdir '$CFS/core/$1_0' 2>/dev/null"
	echo "$3" >"$d/control" || _fail "$1 control: $3"
	echo 1 >"$d/enable" || _fail "enabling $1 $2"
	if [ -n "${4:-}" ]; then
		echo "$4" >"$d/attrib/block_size" || _fail "block_size $4 for $2"
	fi
}

# _rd_backstore NAME MIB [BLOCK_SIZE]: a LIO ramdisk. Without a unit serial
# LIO lists no VPD pages for it, yet answers page 0xb0 when asked.
_rd_backstore() { _backstore rd_mcp "$1" "rd_pages=$(($2 * 256))" "${3:-}"; }

# _loop_lun WWN LUN BACKSTORE(core/...): export a backstore through
# tcm_loop; sets LOOP_DEV (/dev/sdX) and LOOP_SG (/dev/sgN).
_loop_lun() {
	local w=$1 lun=$2 tp=$CFS/loopback/$1/tpgt_1 l addr i dev=
	if [ ! -d "$tp" ]; then
		mkdir -p "$tp" || _fail "mkdir $tp"
		_on_exit "rmdir '$tp'; rmdir '$CFS/loopback/$w'"
		echo -n "$w" >"$tp/nexus" || _fail "tcm_loop nexus $w"
		_on_exit "echo -n NULL >'$tp/nexus' 2>/dev/null"
	fi
	l=$tp/lun/lun_$lun
	mkdir "$l" || _fail "mkdir $l"
	_on_exit "rmdir '$l'"
	ln -s "$CFS/$3" "$l/port" || _fail "linking $3 to $l"
	_on_exit "rm -f '$l/port'; udevadm settle 2>/dev/null; sleep 0.2"
	addr=$(cat "$tp/address")
	for i in $(seq 100); do
		dev=$(ls "/sys/class/scsi_device/$addr:$lun/device/block" 2>/dev/null)
		[ -n "$dev" ] && [ -b "/dev/$dev" ] && break
		sleep 0.1
	done
	[ -n "$dev" ] || _fail "no disk for tcm_loop $w LUN $lun ($addr:$lun)"
	LOOP_DEV=/dev/$dev
	LOOP_SG=/dev/$(ls "/sys/class/scsi_device/$addr:$lun/device/scsi_generic")
}

# _inquiry SG PAGE ALLOC: INQUIRY EVPD through SG_IO; prints the bytes the
# target returned (allocation length minus residual) as hex, or
# "status:..." when the command did not complete with GOOD.
_inquiry() {
	local out rc
	out=$(sg_raw -r "$3" -b "$1" 12 01 "$(printf %02x "$2")" \
		"$(printf %02x $(($3 >> 8)))" "$(printf %02x $(($3 & 255)))" 00 \
		2>/tmp/sg_raw.err | od -An -v -tx1 | tr -s ' \n' ' ')
	rc=${PIPESTATUS[0]}
	if [ "$rc" != 0 ]; then
		echo "status:$(tr -s ' \n' ' ' </tmp/sg_raw.err)"
		return
	fi
	echo "${out# }" | sed 's/ $//'
}

# _qemu_disk SERIAL: the VM's QEMU scsi-hd disk with that serial (see
# scripts/vm.py); sets QDISK (/dev/sdX).
_qemu_disk() {
	local d
	QDISK=
	for d in /sys/class/scsi_disk/*/device; do
		[ -e "$d/vpd_pg80" ] || continue
		if tr -d '\0' <"$d/vpd_pg80" | grep -q "$1"; then
			QDISK=/dev/$(ls "$d/block")
			QDISK_SG=/dev/$(ls "$d/scsi_generic")
			return 0
		fi
	done
	_fail "no QEMU disk with serial $1 (is scripts/vm.py adding it?)"
}

# _limit_blocks MAX_HW_SECTORS MAX_SECTORS MAX_SEGMENTS LBS [FABRIC_PAGES]:
# the transfer limit the documentation promises for such a host queue, in
# logical blocks (sectors are 512 bytes; MAX_SECTORS 0 means unset).
_limit_blocks() {
	local bytes=$(($1 * 512)) page
	page=$(getconf PAGESIZE)
	[ "$2" -gt 0 ] && bytes=$(_min "$bytes" $(($2 * 512)))
	bytes=$(_min "$bytes" $((($3 - 1) * page)))
	[ -n "${5:-}" ] && bytes=$(_min "$bytes" $(($5 * page)))
	echo $((bytes / $4))
}

# _queue_limit_blocks /dev/sdX [FABRIC_PAGES]: that limit from the disk's
# own queue in sysfs, read now; tests must not trust the code under test
# for it (and may run on a kernel without it).
_queue_limit_blocks() {
	local q=/sys/block/${1#/dev/}/queue
	_limit_blocks $(($(cat "$q/max_hw_sectors_kb") * 2)) $(($(cat "$q/max_sectors_kb") * 2)) \
		"$(cat "$q/max_segments")" "$(cat "$q/logical_block_size")" "${2:-}"
}

_min() { if [ "$1" -lt "$2" ]; then echo "$1"; else echo "$2"; fi; }

# _expect DESCRIPTION GOT WANT: exact comparison.
_expect() {
	if [ "$2" == "$3" ]; then
		echo "ok - $1"
	else
		echo "not ok - $1"
		echo "#   got:  $2"
		echo "#   want: $3"
		_FAILED=1
	fi
}
_FAILED=0
_done() { [ "$_FAILED" = 0 ] || _fail "some checks failed"; }

_set_param() { echo "$1" >/sys/module/target_core_pscsi/parameters/block_limits || _fail "block_limits=$1"; }
_set_split() { echo "$1" >/sys/module/target_core_pscsi/parameters/split || _fail "split=$1"; }

# _bench: the path of the selftests' vhost_scsi_bench in BENCH, built
# beside the rig's tools (scripts/build-tests.sh).
_bench() {
	BENCH=$(dirname "$(dirname "$(command -v vhost-scsi-bind)")")/kselftest/install/vhost_scsi/vhost_scsi_bench
	[ -x "$BENCH" ] || _fail "no $BENCH (scripts/build-tests.sh builds it)"
}

# Byte strings are space-separated hex, as _inquiry prints them.
_hex_head() { local -a b; read -ra b <<<"$1"; echo "${b[@]:0:$2}"; }
_be32() { local -a b; read -ra b <<<"$1"; echo $((16#${b[$2]}${b[$2 + 1]}${b[$2 + 2]}${b[$2 + 3]})); }
_put_be32() {
	local -a b
	read -ra b <<<"$1"
	local h i
	h=$(printf %08x "$3")
	for i in 0 1 2 3; do b[$2 + i]=${h:$((2 * i)):2}; done
	echo "${b[@]}"
}

# _vpd00_insert REPLY CODE: what the documentation says page 0x00 becomes:
# CODE before the first larger code, PAGE LENGTH one more.
_vpd00_insert() {
	local -a b
	read -ra b <<<"$1"
	local n pos h
	n=$((16#${b[2]}${b[3]}))
	pos=4
	while [ "$pos" -lt $((4 + n)) ] && [ $((16#${b[$pos]})) -lt $((16#$2)) ]; do
		pos=$((pos + 1))
	done
	h=$(printf %04x $((n + 1)))
	b[2]=${h:0:2} b[3]=${h:2:2}
	echo "${b[*]:0:$pos} $2 ${b[*]:$pos}" | sed "s/ *$//"
}

# _b0_clamp REPLY LIMIT PHYS_BLOCKS: what the documentation says a device's
# 0xb0 becomes: MTL the smaller non-zero, an OTL above it lowered to a
# multiple of OTLG and of the physical block (or zero).
_b0_clamp() {
	local r=$1 lim=$2 pbs=$3 mtl otl step a b
	mtl=$(_be32 "$r" 8)
	[ "$mtl" = 0 ] || [ "$mtl" -gt "$lim" ] && mtl=$lim
	r=$(_put_be32 "$r" 8 "$mtl")
	otl=$(_be32 "$r" 12)
	if [ "$otl" -gt "$mtl" ]; then
		local -a x
		read -ra x <<<"$r"
		step=$((16#${x[6]}${x[7]}))
		[ "$step" = 0 ] && step=1
		a=$step b=$pbs
		while [ "$b" != 0 ]; do set -- "$b" $((a % b)); a=$1 b=$2; done
		step=$((step / a * pbs))
		if [ "$step" -le "$mtl" ]; then otl=$((mtl / step * step)); else otl=0; fi
		r=$(_put_be32 "$r" 12 "$otl")
	fi
	echo "$r"
}

# _b0_expected_at FULL_DEVICE FULL_WANT N: a reply cut to N bytes; fields
# cut in half keep the device's bytes.
_b0_expected_at() {
	local n=$3
	if [ "$n" -ge 16 ]; then
		_hex_head "$2" "$n"
	elif [ "$n" -ge 12 ]; then
		local -a d
		read -ra d <<<"$1"
		echo "$(_hex_head "$2" 12) ${d[*]:12:$((n - 12))}" | sed 's/ *$//'
	else
		_hex_head "$1" "$n"
	fi
}

# _fileio_backstore NAME MIB [BLOCK_SIZE]: a LIO fileio device on a file in
# the VM's tmpfs (which can punch holes, so UNMAP can be turned on).
_fileio_backstore() {
	local f=/tmp/fileio-$1.img
	truncate -s "$2M" "$f" || _fail "creating $f"
	_on_exit "rm -f '$f'"
	_backstore fileio "$1" "fd_dev_name=$f,fd_dev_size=$(($2 << 20))" "${3:-}"
}

# _clear_lio: remove every LIO object, children first (what targetcli's
# clearconfig does, without rtslib), and last the fabric folders
# themselves: configfs holds a reference on a fabric's module for as long
# as its folder (target/vhost, target/loopback) exists, so without this
# no fabric module could be unloaded afterwards.
_clear_lio() {
	local t l p
	for t in "$CFS"/*/*/tpgt_*; do
		[ -d "$t" ] || continue
		for l in "$t"/lun/lun_*; do
			[ -d "$l" ] || continue
			for p in "$l"/*; do [ -L "$p" ] && rm -f "$p"; done
			rmdir "$l"
		done
		[ -e "$t/nexus" ] && echo -n NULL >"$t/nexus" 2>/dev/null
		rmdir "$t"
	done
	for t in "$CFS"/*/*; do
		case "$t" in "$CFS"/core/*) continue ;; esac
		[ -d "$t" ] && rmdir "$t" 2>/dev/null
	done
	for t in "$CFS"/*; do
		case "$t" in "$CFS"/core) continue ;; esac
		[ -d "$t" ] && rmdir "$t" 2>/dev/null
	done
	for t in "$CFS"/core/*/*; do [ -d "$t" ] && rmdir "$t" 2>/dev/null; done
	for t in "$CFS"/core/*; do [ -d "$t" ] && rmdir "$t" 2>/dev/null; done
	return 0
}

# _targetcli_start: targetcli-fb asks the system D-Bus for tcmu-runner's
# handlers; give it a private bus.
_targetcli_start() {
	command -v targetcli >/dev/null || _skip "targetcli not installed (scripts/deps.sh installs it)"
	command -v dbus-daemon >/dev/null || _skip "dbus-daemon not installed"
	mkdir -p /run/dbus /etc/rtslib-fb-target/backup
	[ -S /run/dbus/system_bus_socket ] && return 0
	rm -f /run/dbus/pid	# left by a bus an earlier test stopped
	dbus-daemon --system --fork --print-pid >/run/dbus/rig.pid || _fail "starting dbus-daemon"
	_on_exit "kill \$(cat /run/dbus/rig.pid) 2>/dev/null; rm -f /run/dbus/rig.pid /run/dbus/pid /run/dbus/system_bus_socket"
}

# tcli ARGS...: targetcli, failing the test when it reports an error.
tcli() {
	local out
	out=$(targetcli "$@" 2>&1) || _fail "targetcli $*: $out"
	case "$out" in *"No such"*|*rror*) _fail "targetcli $*: $out" ;; esac
	echo "$out"
}
