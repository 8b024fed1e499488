# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # G_* are for the tests
# Helpers for tests/guest: the setup an administrator builds with targetcli
# (pscsi backstores, one vhost target) and a second Linux guest that QEMU
# boots behind it with -device vhost-scsi-pci. The guest runs
# tests/guest/guest-init from an initramfs (scripts/guest.sh) and reports
# on the serial console in lines starting with "GUEST ". Sourced after
# target.sh.

# shellcheck disable=SC2154 # vm/init exports rig_build
GUEST_DIR=$rig_build/guest
GUEST_WWPN=naa.5001405000000100

# _guest_disks: the three disks of the issue, each passed through by pscsi
# and mapped on one vhost target, LUN by LUN:
#   LUN 0  a disk without page 0xb0 (a LIO ramdisk without a unit serial,
#          behind tcm_loop's host: 256 segments)
#   LUN 1  a QEMU scsi-hd whose 0xb0 promises far more than its host
#          adapter (virtio-scsi, max_sectors=512) carries
#   LUN 2  the same for a 4Kn disk
# Sets G_NAME[lun], G_LIMIT[lun] (host limit in the disk's blocks, from
# the disk's queue in this VM, so that the baseline is held to it too),
# G_LBS[lun] and G_DEV[lun] (the disk in this VM).
_guest_disks() {
	local lun
	_modprobe target_core_mod target_core_pscsi tcm_loop vhost_scsi
	_targetcli_start
	_on_exit _clear_lio
	_rd_backstore nob0 64
	_loop_lun naa.5001405000000110 0 core/rd_mcp_0/nob0
	G_DEV[0]=$LOOP_DEV G_NAME[0]=no-b0-behind-tcm_loop
	_qemu_disk rig-512
	G_DEV[1]=$QDISK G_NAME[1]=large-b0-512
	_qemu_disk rig-4kn
	G_DEV[2]=$QDISK G_NAME[2]=large-b0-4kn

	tcli /vhost create "$GUEST_WWPN" >/dev/null
	for lun in 0 1 2; do
		tcli /backstores/pscsi create "name=${G_NAME[$lun]}" "dev=${G_DEV[$lun]}" >/dev/null
		tcli "/vhost/$GUEST_WWPN/tpg1/luns" create "/backstores/pscsi/${G_NAME[$lun]}" "lun=$lun" >/dev/null
		G_LIMIT[lun]=$(_queue_limit_blocks "${G_DEV[$lun]}")
		G_LBS[lun]=$(cat "/sys/block/${G_DEV[$lun]#/dev/}/queue/logical_block_size")
		_log "LUN $lun: ${G_NAME[$lun]} on ${G_DEV[$lun]}, host limit ${G_LIMIT[$lun]} blocks of ${G_LBS[$lun]} bytes"
	done
}

# _guest_wait LOG PATTERN PID: wait for a GUEST line while QEMU runs.
_guest_wait() {
	while kill -0 "$3" 2>/dev/null; do
		tr -d '\r' <"$1" | grep -q -E "^GUEST $2" && return 0
		sleep 1
	done
	return 1
}

# _guest_follow LOG PID: the host side of guest_follow=$G_FOLLOW: once the
# guest is ready, halve max_sectors_kb of that LUN's disk on the host; once
# the guest's queue has followed, restore it. Sets G_FOLLOW_KB (halved).
_guest_follow() {
	local log=$1 pid=$2 q kb0
	q=/sys/block/${G_DEV[$G_FOLLOW]#/dev/}/queue
	kb0=$(cat "$q/max_sectors_kb")
	G_FOLLOW_KB=$((kb0 / 2))
	_guest_wait "$log" "follow: ready" "$pid" || return 0
	echo "$G_FOLLOW_KB" >"$q/max_sectors_kb"
	_log "host: max_sectors_kb of ${G_DEV[$G_FOLLOW]} (LUN $G_FOLLOW) $kb0 -> $G_FOLLOW_KB"
	_guest_wait "$log" "follow: changed" "$pid"
	echo "$kb0" >"$q/max_sectors_kb"
	_log "host: max_sectors_kb of ${G_DEV[$G_FOLLOW]} back to $kb0"
}

# _guest_unplug LOG PID: the host side of guest_unplug=$G_UNPLUG: once the
# guest reads that LUN, delete the disk under it in this VM (as a hot
# unplug of the host's disk does), with the pscsi backstore, the LUN and the
# vhost endpoint left in place.
_guest_unplug() {
	local log=$1 pid=$2 dev=${G_DEV[$G_UNPLUG]#/dev/}
	_guest_wait "$log" "unplug: ready" "$pid" || return 0
	sleep 2
	echo 1 >"/sys/block/$dev/device/delete" || _log "host: deleting $dev failed"
	_log "host: deleted ${G_DEV[$G_UNPLUG]} (LUN $G_UNPLUG) while the guest reads it"
}

# _guest_check_unplug LOG: the guest saw its reads of the deleted disk fail
# (in time, not hung) and read its other disk after that.
_guest_check_unplug() {
	_expect "LUN $G_UNPLUG: the guest's reads fail once the host's disk is deleted" \
		"$(_guest_line "$1" "unplug: lun $G_UNPLUG read exit" |
			sed 's/.*exit \([0-9]*\).*/\1/;s/^0$/none/;s/^[1-9][0-9]*$/failed/')" failed
	_expect "the guest reads its other disk after that" \
		"$(_guest_line "$1" "unplug: other disk" | sed 's/.*exit //')" 0
}

# _guest_boot KERNEL(test|debian-6.1) LOG [TIMEOUT]: boot the nested guest
# behind the vhost target and wait for it to end. The virtqueue of 1024
# lets the guest build requests of up to 1022 segments, as large as its
# own block layer allows. With G_FOLLOW=LUN set, the host changes that
# disk's limit while the guest runs (_guest_follow); with G_UNPLUG=LUN, it
# then deletes that disk (_guest_unplug). TIMEOUT and the
# guest's I/O timeout are for the series kernel: RIG_SLOW (vm/run-tests, 3
# on the debug kernel) stretches them.
_guest_boot() {
	local kind=$1 log=$2 limit=$((${3:-900} * ${RIG_SLOW:-1})) kernel initrd=/tmp/guest-initrd t0 rc pid
	G_KERNEL=$kind
	command -v qemu-system-x86_64 >/dev/null || _skip "qemu-system-x86 not installed"
	[ -s "$GUEST_DIR/initramfs.cpio" ] || _fail "no $GUEST_DIR/initramfs.cpio: run scripts/guest.sh"
	case "$kind" in
	test)
		kernel=$rig_build/arch/x86/boot/bzImage
		# The debug kernel checks the host; as a nested TCG guest it
		# stops in its own early boot (KASAN: wild-memory-access in
		# handle_edge_irq, 7.3.4), so the guest is the series kernel.
		if [ "${RIG_FLAVOUR:-}" = debug ]; then
			# vm/init binds the series build folder there
			# shellcheck disable=SC2154
			kernel=${rig_series_build:-/nonexistent}/arch/x86/boot/bzImage
			[ -s "$kernel" ] ||
				_skip "the debug kernel does not boot as a nested guest, and the series kernel is not built (make build)"
		fi
		cp "$GUEST_DIR/initramfs.cpio" "$initrd"
		;;
	debian-6.1)
		kernel=$GUEST_DIR/debian-6.1/vmlinuz
		cat "$GUEST_DIR/initramfs.cpio" "$GUEST_DIR/debian-6.1/modules.cpio" >"$initrd"
		_log "Debian kernel $(cat "$GUEST_DIR/debian-6.1/version")"
		;;
	*) _fail "unknown guest kernel $kind" ;;
	esac
	_log "booting the $kind guest kernel behind vhost-scsi-pci,wwpn=$GUEST_WWPN (TCG, up to ${limit}s)"
	t0=$SECONDS
	_kmsg_mark guest-boot
	timeout -k 10 "$limit" qemu-system-x86_64 -machine q35 -accel tcg -cpu max \
		-smp 1 -m 512M -nodefaults -no-user-config -display none -no-reboot \
		-nic none -serial stdio -kernel "$kernel" -initrd "$initrd" \
		-append "console=ttyS0 loglevel=4 panic=-1 rdinit=/init guest_luns=3 guest_blocks=2 guest_io_timeout=$((120 * ${RIG_SLOW:-1}))${G_FOLLOW:+ guest_follow=$G_FOLLOW}${G_UNPLUG:+ guest_unplug=$G_UNPLUG}" \
		-device "vhost-scsi-pci,wwpn=$GUEST_WWPN,virtqueue_size=1024" \
		</dev/null >"$log" 2>&1 &
	pid=$!
	[ -z "${G_FOLLOW:-}" ] || _guest_follow "$log" "$pid"
	[ -z "${G_UNPLUG:-}" ] || _guest_unplug "$log" "$pid"
	wait "$pid"
	rc=$?
	G_SECONDS=$((SECONDS - t0))
	_log "guest ran ${G_SECONDS}s, QEMU exit $rc"
	grep -q '^GUEST end' "$log" || { sed 's/^/#   console: /' "$log" | tail -n 40; _fail "the guest did not finish (QEMU exit $rc)"; }
}

# _guest_check_follow LOG: the guest's queue followed the host's change of
# max_sectors_kb (G_FOLLOW_KB) and its restoration, with no action in the
# guest but reads.
_guest_check_follow() {
	local kb0
	kb0=$(_guest_line "$1" "follow: ready" | sed 's/.*max_sectors_kb \([0-9]*\).*/\1/')
	_expect "LUN $G_FOLLOW: host lowers max_sectors_kb to $G_FOLLOW_KB: the guest's queue follows by itself" \
		"$(_guest_line "$1" "follow: changed" | sed 's/.*max_sectors_kb \([0-9]*\).*/\1/')" "$G_FOLLOW_KB"
	if [ "${RIG_KERNEL:-7.3}" = 6.1 ] && [ "${G_KERNEL:-}" = test ]; then
		# The guest is the 6.1 line's own kernel, whose sd sets
		# max_sectors on its first scan and later only lowers it
		# (sd_revalidate_disk()): it rescans, and stays where it is.
		_expect "LUN $G_FOLLOW: host restores it: a 6.1 guest keeps ${G_FOLLOW_KB} (its sd only lowers max_sectors after the first scan)" \
			"$(_guest_line "$1" "follow: restored" | sed 's/.*max_sectors_kb \([0-9]*\).*/\1/')" "$G_FOLLOW_KB"
		return
	fi
	_expect "LUN $G_FOLLOW: host restores it: the guest's queue is back at ${kb0:-?}" \
		"$(_guest_line "$1" "follow: restored" | sed 's/.*max_sectors_kb \([0-9]*\).*/\1/')" "${kb0:-none}"
}

# _guest_host_log KMSG WHO: the host's kernel log KMSG of a guest boot
# shows that pscsi refused WHO no command as too large ("... exceeds the
# host queue: max_hw_sectors_kb N") and no buffer as laid out ("...
# exceeds the host queue, even in pages of its own"), and carried the
# firmware's misaligned buffers: SeaBIOS reads READ CAPACITY and REQUEST
# SENSE into buffers the host queue's DMA alignment refuses, and pscsi
# says once per disk that it carries them through its own pages.
_guest_host_log() {
	_expect "host: pscsi refused $2 no command as too large" \
		"$(grep -c 'pSCSI: .*exceeds the host queue: max_hw' "$1")" 0
	_expect "host: pscsi refused $2 no buffer" \
		"$(grep -c 'pSCSI: .*exceeds the host queue, even in' "$1")" 0
	_expect "host: pscsi carried the firmware's misaligned buffers" \
		"$(grep -q 'pSCSI: .*through pages of its own' "$1" && echo yes || echo no)" yes
}

# _guest_line LOG PATTERN: the first GUEST line matching PATTERN.
_guest_line() { tr -d '\r' <"$1" | grep -m1 -E "^GUEST $2"; }

# _guest_kb LOG LUN: the max_sectors_kb the guest's queue of LUN took.
_guest_kb() { _guest_line "$1" "lun $2 dev " | sed 's/.*max_sectors_kb \([0-9]*\).*/\1/'; }

# _guest_io LOG LUN: "write W read R compare C", the exit codes of the I/O.
_guest_io() {
	_guest_line "$1" "lun $2 io:" |
		sed 's/.*io: \(write [0-9]* read [0-9]* compare [0-9]*\).*/\1/'
}

# _guest_sgio LOG LUN: the same of the guest's 4 MiB SG_IO commands
_guest_sgio() {
	_guest_line "$1" "lun $2 sgio:" |
		sed 's/.*sgio: \(write [0-9]* read [0-9]* compare [0-9]*\).*/\1/'
}

# _guest_check LOG: what the issue asks of every LUN, checked exactly.
_guest_check() {
	local log=$1 lun line kb want_kb mtl
	tr -d '\r' <"$log" | grep '^GUEST ' | sed 's/^/#   /'
	for lun in 0 1 2; do
		line=$(_guest_line "$log" "lun $lun dev ")
		[ -n "$line" ] || { _expect "LUN $lun: the guest sees the disk" missing present; continue; }
		_expect "LUN $lun (${G_NAME[$lun]}): guest's logical block size" \
			"$(sed 's/.*logical_block_size \([0-9]*\).*/\1/' <<<"$line")" "${G_LBS[$lun]}"
		_expect "LUN $lun: sg_vpd lists page 0xb0 in page 0x00" \
			"$(_guest_line "$log" "lun $lun vpd00: +Block limits" | sed 's/.*: *//')" "Block limits (SBC) [bl]"
		mtl=$(_guest_line "$log" "lun $lun vpdb0: .*Maximum transfer length" |
			sed 's/.*length: *\([0-9]*\).*/\1/')
		_expect "LUN $lun: sg_vpd decodes MAXIMUM TRANSFER LENGTH = host limit" \
			"${mtl:-none}" "${G_LIMIT[$lun]}"
		kb=$(_guest_kb "$log" "$lun")
		want_kb=$((G_LIMIT[lun] * G_LBS[lun] / 1024))
		_expect "LUN $lun: guest max_sectors_kb $kb <= host limit $want_kb KiB" \
			"$([ "$kb" -le "$want_kb" ] && echo yes || echo no)" yes
		_expect "LUN $lun: 4 MiB direct I/O: write, read back, compare" \
			"$(_guest_io "$log" "$lun")" "write 0 read 0 compare 0"
		_expect "LUN $lun: 4 MiB SG_IO commands, ignoring the page: write, read back, compare" \
			"$(_guest_sgio "$log" "$lun")" "write 0 read 0 compare 0"
	done
	_expect "no I/O errors in the guest's kernel log" \
		"$(_guest_line "$log" 'kernel errors:' | sed 's/.*errors: //')" 0
	_kmsg_since guest-boot >/tmp/guest.kmsg
	_guest_host_log /tmp/guest.kmsg "the guest and its firmware"
	_expect "host: pscsi split the guest's SG_IO commands" \
		"$(grep -q 'pSCSI: .*splitting READ and WRITE commands' /tmp/guest.kmsg && echo yes || echo no)" yes
}
