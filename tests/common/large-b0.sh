# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Shared body of the scenarios for a disk whose own Block Limits page is
# larger than its host queue: QEMU's scsi-hd behind a virtio-scsi HBA that
# takes 256 KiB (scripts/vm.py). Call _large_b0 SERIAL.

# _rw10 SG read|write BLOCKS BLOCK_SIZE FILE: READ(10) into or WRITE(10)
# from FILE at LBA 0 through sg_raw; its report goes to stdout.
_rw10() {
	local op=28 dir=-r io=-o
	[ "$2" = write ] && op=2a dir=-s io=-i
	sg_raw "$dir" $(($3 * $4)) "$io" "$5" "$1" \
		"$op" 00 00 00 00 00 00 "$(printf %02x $(($3 >> 8)))" "$(printf %02x $(($3 & 255)))" 00 2>&1
}

# _rw10_buf SG BLOCKS BLOCK_SIZE BYTES FILE: a READ(10) of BLOCKS at LBA 0
# whose buffer has BYTES (a pass-through command's size is the buffer's).
_rw10_buf() {
	sg_raw -r "$4" -o "$5" "$1" 28 00 00 00 00 00 00 \
		"$(printf %02x $(($2 >> 8)))" "$(printf %02x $(($2 & 255)))" 00 2>&1
}

# _rw10_good SG read|write BLOCKS BLOCK_SIZE FILE WHAT: _rw10, which must
# end GOOD (its report in $tmp/out, of the caller).
_rw10_good() {
	_rw10 "$1" "$2" "$3" "$4" "$5" >"$tmp/out"
	_expect "$6: GOOD" "$(grep -o 'SCSI Status: Good' "$tmp/out")" "SCSI Status: Good"
}

_large_b0() {
	local serial=$1 pt lim lbs p0 b0 wb g g_sg tmp big
	_modprobe target_core_mod target_core_pscsi tcm_loop
	_qemu_disk "$serial"
	lbs=$(cat "/sys/block/${QDISK#/dev/}/queue/logical_block_size")
	tmp=$(mktemp -d)
	_on_exit "rm -rf '$tmp'"
	# A pattern on the disk, written before pscsi claims it.
	head -c $((1 << 20)) /dev/urandom >"$tmp/pattern"
	dd if="$tmp/pattern" of="$QDISK" bs=64k oflag=direct status=none ||
		_fail "writing the pattern to $QDISK"
	_kmsg_mark "large-b0-$serial"
	_pscsi_backstore "$serial" "$QDISK"
	pt=$CFS/core/pscsi_0/$serial
	_loop_lun naa.5001405000000030 0 "core/pscsi_0/$serial"
	g=$LOOP_DEV g_sg=$LOOP_SG
	_log "QEMU disk $QDISK ($lbs-byte blocks), passed through as $g ($g_sg)"

	lim=$(_queue_limit_blocks "$QDISK")
	_expect "pscsi recorded that the disk lists 0xb0" "$(cat "$pt/attrib/vpd_b0_supported")" 1
	_expect "host limit: the HBA's 256 KiB" "$lim" $((262144 / lbs))
	_expect "attribute max_transfer_length shows it" "$(cat "$pt/attrib/max_transfer_length")" "$lim"
	p0=$(_inquiry "$QDISK_SG" 0 255)
	b0=$(_inquiry "$QDISK_SG" 0xb0 255)
	_log "device: page 0x00 [$p0], page 0xb0 [$b0]"
	wb=$(_b0_clamp "$b0" "$lim" 1)
	_expect "device's MTL is above the host limit" \
		"$([ "$(_be32 "$b0" 8)" -gt "$lim" ] || [ "$(_be32 "$b0" 8)" = 0 ] && echo yes)" yes
	_expect "page 0x00 untouched: it lists 0xb0 already" "$(_inquiry "$g_sg" 0 36)" "$(_hex_head "$p0" 36)"
	_expect "page 0xb0 header" "$(_inquiry "$g_sg" 0xb0 4)" "$(_hex_head "$b0" 4)"
	_expect "page 0xb0 clamped" "$(_inquiry "$g_sg" 0xb0 255)" "$wb"
	_expect "MAXIMUM TRANSFER LENGTH is the host limit" "$(_be32 "$(_inquiry "$g_sg" 0xb0 64)" 8)" "$lim"
	_expect "the initiator's sd follows it (max_sectors_kb)" \
		"$(cat "/sys/block/${g#/dev/}/queue/max_sectors_kb")" 256

	# A READ of exactly the limit succeeds with the right data.
	_rw10_good "$g_sg" read "$lim" "$lbs" "$tmp/read" "READ of $lim blocks"
	_expect "READ of $lim blocks: data" "$(cmp -n $((lim * lbs)) "$tmp/read" "$tmp/pattern" && echo same)" same

	# A WRITE of exactly the limit succeeds; read back through pscsi.
	head -c $((lim * lbs)) /dev/urandom >"$tmp/new"
	_rw10_good "$g_sg" write "$lim" "$lbs" "$tmp/new" "WRITE of $lim blocks"
	_rw10 "$g_sg" read "$lim" "$lbs" "$tmp/read" >/dev/null
	_expect "WRITE of $lim blocks: data read back" "$(cmp "$tmp/read" "$tmp/new" && echo same)" same

	# Four times the limit, as an SG_IO program sends it whatever the page
	# says: pscsi splits the READ and the WRITE (split=Y, the default) and
	# says so once.
	big=$((lim * 4))
	{ cat "$tmp/new"; tail -c +$((lim * lbs + 1)) "$tmp/pattern" | head -c $(((big - lim) * lbs)); } >"$tmp/want"
	_rw10_good "$g_sg" read "$big" "$lbs" "$tmp/read" "split READ of $big blocks"
	_expect "split READ of $big blocks: data" "$(cmp "$tmp/read" "$tmp/want" && echo same)" same
	head -c $((big * lbs)) /dev/urandom >"$tmp/bignew"
	_rw10_good "$g_sg" write "$big" "$lbs" "$tmp/bignew" "split WRITE of $big blocks"
	dd if="$g" of="$tmp/read" bs=$((big * lbs)) count=1 iflag=direct status=none
	_expect "split WRITE of $big blocks: on the disk" "$(cmp "$tmp/read" "$tmp/bignew" && echo same)" same
	_expect "the log says once that pscsi splits" \
		"$(_kmsg_since "large-b0-$serial" | grep -c "pSCSI: .*: splitting READ and WRITE commands larger than the host queue takes")" 1
	head -c $((lim * lbs)) "$tmp/bignew" >"$tmp/new"

	# Split off: one block more is a clean ILLEGAL REQUEST, INVALID FIELD
	# IN CDB, and no data lost.
	echo off >"$pt/attrib/split" || _fail "split=off"
	_rw10 "$g_sg" read $((lim + 1)) "$lbs" "$tmp/read" >"$tmp/out"
	_log "READ of $((lim + 1)) blocks: $(tr -s '\n ' ' ' <"$tmp/out" | cut -c1-200)"
	_expect "READ of $((lim + 1)) blocks: Illegal Request" "$(grep -oi 'Illegal Request' "$tmp/out" | head -n1)" "Illegal Request"
	_expect "READ of $((lim + 1)) blocks: Invalid field in cdb" "$(grep -oi 'Invalid field in cdb' "$tmp/out" | head -n1)" "Invalid field in cdb"
	head -c $(((lim + 1) * lbs)) /dev/urandom >"$tmp/big"
	_rw10 "$g_sg" write $((lim + 1)) "$lbs" "$tmp/big" >"$tmp/out"
	_expect "WRITE of $((lim + 1)) blocks: Invalid field in cdb" "$(grep -oi 'Invalid field in cdb' "$tmp/out" | head -n1)" "Invalid field in cdb"
	_rw10 "$g_sg" read "$lim" "$lbs" "$tmp/read" >/dev/null
	_expect "refused WRITE changed nothing" "$(cmp "$tmp/read" "$tmp/new" && echo same)" same
	# A buffer up to 511 bytes over the limit is over it too: the size
	# check compares bytes, not 512-byte sectors.
	_rw10_buf "$g_sg" "$lim" "$lbs" $((lim * lbs + 256)) "$tmp/read" >"$tmp/out"
	_log "READ of $lim blocks into $((lim * lbs + 256)) bytes: $(tr -s '\n ' ' ' <"$tmp/out" | cut -c1-200)"
	_expect "$((lim * lbs + 256))-byte command: Invalid field in cdb" \
		"$(grep -oi 'Invalid field in cdb' "$tmp/out" | head -n1)" "Invalid field in cdb"
	_expect "the log names the device and both sizes" \
		"$(dmesg | grep -c "pSCSI: .*: $(((lim + 1) * lbs))-byte command exceeds the host queue: max_hw_sectors_kb 256")" 2
	echo default >"$pt/attrib/split" || _fail "split=default"
	_done
}
