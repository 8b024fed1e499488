/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The boot sector tests/guest/003-seabios-boot writes to a disk that pscsi
 * passes through: SeaBIOS loads it from the vhost-scsi disk and jumps to
 * it. It says so on the serial port, reads the next 64 sectors (32 KiB,
 * LBA 1-64) with an INT 13h extended read, prints the line the test wrote
 * into the last of them, and ends QEMU through isa-debug-exit at port 0xf4:
 * exit status 99 when the read worked, 97 when it failed.
 *
 * scripts/guest.sh assembles it:
 *   as --32 -o bootsect.o bootsect.S
 *   ld -m elf_i386 -Ttext 0x7c00 --oformat binary -o bootsect.bin bootsect.o
 */
	.code16
	.intel_syntax noprefix
	.text
	.globl _start

	.set SECTORS, 64
	.set BUF, 0x8000

_start:
	cli
	xor	ax, ax
	mov	ds, ax
	mov	es, ax
	mov	ss, ax
	mov	sp, 0x7c00
	sti
	cld
	mov	[drive], dl

	mov	si, offset hello
	call	print

	mov	dl, [drive]
	mov	si, offset dap
	mov	ah, 0x42
	int	0x13
	jc	failed

	mov	si, offset readok
	call	print
	mov	si, BUF + (SECTORS - 1) * 512
	call	print
	mov	al, 0x31		/* QEMU exits with (0x31 << 1) | 1 = 99 */
	out	0xf4, al
	jmp	halt

failed:
	mov	si, offset readfail
	call	print
	mov	al, 0x30		/* 97 */
	out	0xf4, al
halt:
	hlt
	jmp	halt

/* print: the NUL-terminated string at DS:SI to COM1, as it comes. */
print:
	mov	dx, 0x3f8
1:	lodsb
	test	al, al
	jz	2f
	out	dx, al
	jmp	1b
2:	ret

	.balign 4
dap:	.byte	16, 0		/* size of this packet, reserved */
	.word	SECTORS		/* sectors to read */
	.word	BUF, 0		/* offset, segment */
	.quad	1		/* first LBA */

drive:	.byte	0
hello:	.asciz	"SEABOOT: the boot sector runs\r\n"
readok:	.asciz	"SEABOOT: INT 13h read 64 sectors: "
readfail: .asciz "SEABOOT: INT 13h read failed\r\n"

	.org	510
	.byte	0x55, 0xaa

	.section .note.GNU-stack, "", @progbits
